/* Partition plans (lib/df/plan.h) run on their own, without MPI: each
 * source, op and sink, the reader's pushed-down ranges against the same
 * filter as an op, partition functions and their meta, and the errors. */
#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "df/groupby.h"
#include "df/parquet-reader.h"
#include "df/plan.h"
#include "test-tables.h"

static const char csv_text[] =
  "id,name,price,when\n"
  "1,apple,0.5,2015-01-01 10:00:00\n"
  "2,pear,,2015-01-02 11:30:00\n"
  "3,plum,2.25,2015-01-03 12:00:00\n"
  "4,fig,7,\n"
  "5,kiwi,-1,2015-01-05 23:59:59\n";

typedef struct {
  char *dir, *csv;
} Fixture;

static void
fixture_set_up (Fixture *f, gconstpointer data)
{
  f->dir = test_dir_new ();
  f->csv = g_build_filename (f->dir, "in.csv", NULL);
  g_assert_true (g_file_set_contents (f->csv, csv_text, -1, NULL));
}

static void
fixture_tear_down (Fixture *f, gconstpointer data)
{
  test_dir_remove (f->dir);
  g_free (f->dir);
  g_free (f->csv);
}

/* A csv source over the whole file with the four columns typed. */
static GVariant *
csv_source (const Fixture *f, GVariant *ranges)
{
  GVariantDict d;
  GVariantBuilder cols;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", "csv");
  g_variant_dict_insert (&d, "path", "s", f->csv);
  g_variant_dict_insert (&d, "offset", "t", (guint64) 0);
  g_variant_dict_insert (&d, "length", "t", (guint64) G_MAXINT64);
  g_variant_builder_init (&cols, G_VARIANT_TYPE ("a(sssis)"));
  g_variant_builder_add (&cols, "(sssis)", "id", "", "id", (gint32) DMPI_COL_INT64, "");
  g_variant_builder_add (&cols, "(sssis)", "name", "", "name", (gint32) DMPI_COL_STRING, "");
  g_variant_builder_add (&cols, "(sssis)", "price", "", "price", (gint32) DMPI_COL_FLOAT32, "");
  g_variant_builder_add (&cols, "(sssis)", "when", "", "when", (gint32) DMPI_COL_TIMESTAMP, "");
  g_variant_dict_insert_value (&d, "columns", g_variant_builder_end (&cols));
  if (ranges != NULL)
    g_variant_dict_insert_value (&d, "ranges", ranges);
  return g_variant_dict_end (&d);
}

static GVariant *
op (const char *kind, const char *k1, const char *v1, const char *k2, const char *v2)
{
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", kind);
  if (k1 != NULL)
    g_variant_dict_insert (&d, k1, "s", v1);
  if (k2 != NULL)
    g_variant_dict_insert (&d, k2, "s", v2);
  return g_variant_dict_end (&d);
}

static GVariant *
strv_op (const char *kind, const char *key, const char *const *v)
{
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", kind);
  g_variant_dict_insert_value (&d, key, g_variant_new_strv (v, -1));
  return g_variant_dict_end (&d);
}

static GVariant *
sink (const char *kind)
{
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", kind);
  return g_variant_dict_end (&d);
}

/* Runs source + ops (NULL-terminated, floating) + sink. */
static GVariant *
run (GVariant *src, GVariant **ops, GVariant *snk, DmpiPlanMapFunc map, DmpiPlanStats *stats, GError **error)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (GVariant **o = ops; o != NULL && *o != NULL; o++)
    g_variant_builder_add_value (&b, *o);
  g_autoptr(GVariant) plan = g_variant_ref_sink (g_variant_new ("(@a{sv}@aa{sv}@a{sv})", src,
                                                                g_variant_builder_end (&b), snk));
  return dmpi_plan_run (plan, NULL, 0, map, NULL, stats, error);
}

static DmpiTable *
as_table (GVariant *v)
{
  g_autoptr(GError) error = NULL;
  g_assert_true (g_variant_is_of_type (v, G_VARIANT_TYPE_BYTESTRING));
  g_autoptr(GBytes) bytes = g_variant_get_data_as_bytes (v);
  DmpiTable *t = dmpi_table_deserialize (bytes, &error);
  g_assert_no_error (error);
  return t;
}

static void
test_ops (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *keep[] = { "name", "id", "price", NULL };
  const char *from[] = { "name", NULL }, *to[] = { "fruit", NULL };
  GVariantDict rename;
  g_variant_dict_init (&rename, NULL);
  g_variant_dict_insert (&rename, "op", "s", "rename");
  g_variant_dict_insert_value (&rename, "from", g_variant_new_strv (from, -1));
  g_variant_dict_insert_value (&rename, "to", g_variant_new_strv (to, -1));
  GVariant *ops[] = {
    op ("filter", "expr", "id != 2", NULL, NULL),
    op ("assign", "name", "double", "expr", "price * 2"),
    strv_op ("select", "columns", keep),
    g_variant_dict_end (&rename),
    NULL,
  };
  DmpiPlanStats stats;
  g_autoptr(GVariant) v = run (csv_source (f, NULL), ops, sink ("table"), NULL, &stats, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) t = as_table (v);
  g_assert_cmpuint (stats.rows_in, ==, 5);
  g_assert_cmpuint (stats.rows_out, ==, 4);
  g_assert_cmpuint (t->n_rows, ==, 4);
  g_assert_cmpuint (dmpi_table_n_columns (t), ==, 3);
  g_assert_cmpstr (dmpi_table_column (t, 0)->name, ==, "fruit");
  g_assert_cmpstr (dmpi_table_column (t, 1)->name, ==, "id");
  g_autofree char *third = dmpi_table_format_value (t, 0, 2);
  g_assert_cmpstr (third, ==, "fig");
  const gint64 *ids = DMPI_COLUMN_INT64 (dmpi_table_column (t, 1));
  g_assert_cmpint (ids[0], ==, 1);
  g_assert_cmpint (ids[1], ==, 3);
  g_assert_cmpint (ids[3], ==, 5);
}

/* Rows dropped while parsing give what the same filter gives as an op. */
static void
test_ranges (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GVariantBuilder r;
  g_variant_builder_init (&r, G_VARIANT_TYPE ("a(uddbb)"));
  g_variant_builder_add (&r, "(uddbb)", 2u, 0.0, 7.0, FALSE, TRUE);   /* 0 < price <= 7 */
  DmpiPlanStats pushed, plain;
  g_autoptr(GVariant) a = run (csv_source (f, g_variant_builder_end (&r)), NULL, sink ("table"), NULL, &pushed,
                               &error);
  g_assert_no_error (error);
  GVariant *ops[] = { op ("filter", "expr", "0 < price <= 7", NULL, NULL), NULL };
  g_autoptr(GVariant) b = run (csv_source (f, NULL), ops, sink ("table"), NULL, &plain, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (pushed.rows_in, ==, 5);
  g_assert_cmpuint (pushed.rows_out, ==, 3);   /* apple, plum, fig: the missing price fails */
  g_assert_cmpuint (plain.rows_out, ==, pushed.rows_out);
  /* The same values (one may keep an all-present validity array). */
  g_autoptr(DmpiTable) ta = as_table (a), tb = as_table (b);
  g_autofree char *text_a = dmpi_table_to_string (ta, 0), *text_b = dmpi_table_to_string (tb, 0);
  g_assert_cmpstr (text_a, ==, text_b);
}

static void
test_sinks (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) n = run (csv_source (f, NULL), NULL, sink ("len"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (g_variant_get_uint64 (n), ==, 5);

  g_autoptr(GVariant) schema = run (csv_source (f, NULL), NULL, sink ("schema"), NULL, NULL, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (schema), ==, "a(si)");
  const char *name;
  gint32 type;
  g_variant_get_child (schema, 2, "(&si)", &name, &type);
  g_assert_cmpstr (name, ==, "price");
  g_assert_cmpint (type, ==, DMPI_COL_FLOAT32);

  /* Parquet: the file, its figures, and its rows read back. */
  g_autofree char *out = g_build_filename (f->dir, "part.0.parquet", NULL);
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", "parquet");
  g_variant_dict_insert (&d, "path", "s", out);
  g_variant_dict_insert (&d, "codec", "s", "snappy");
  GVariant *ops[] = { op ("filter", "expr", "id > 1", NULL, NULL), NULL };
  g_autoptr(GVariant) w = run (csv_source (f, NULL), ops, g_variant_dict_end (&d), NULL, NULL, &error);
  g_assert_no_error (error);
  guint64 in, kept, bytes;
  g_variant_get (w, "(ttt)", &in, &kept, &bytes);
  g_assert_cmpuint (in, ==, 5);
  g_assert_cmpuint (kept, ==, 4);
  GStatBuf st;
  g_assert_cmpint (g_stat (out, &st), ==, 0);
  g_assert_cmpuint (bytes, ==, (guint64) st.st_size);
  g_autoptr(DmpiParquetFile) pf = dmpi_parquet_file_open (out, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (dmpi_parquet_file_get_n_rows (pf), ==, 4);

  /* A bad codec is an error naming it, and no file. */
  g_autofree char *bad = g_build_filename (f->dir, "part.1.parquet", NULL);
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", "parquet");
  g_variant_dict_insert (&d, "path", "s", bad);
  g_variant_dict_insert (&d, "codec", "s", "lzma");
  g_autoptr(GVariant) none = run (csv_source (f, NULL), NULL, g_variant_dict_end (&d), NULL, NULL, &error);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "lzma"));
  g_assert_false (g_file_test (bad, G_FILE_TEST_EXISTS));
}

static void
test_partial (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *keys[] = { NULL };
  const char *aggs[] = { "n=count(price)", "total=sum(price)", NULL };
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "kind", "s", "partial");
  g_variant_dict_insert_value (&d, "keys", g_variant_new_strv (keys, -1));
  g_variant_dict_insert_value (&d, "aggs", g_variant_new_strv (aggs, -1));
  g_autoptr(GVariant) v = run (csv_source (f, NULL), NULL, g_variant_dict_end (&d), NULL, NULL, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) state = as_table (v);
  g_autoptr(GPtrArray) storage = NULL;
  g_autoptr(GArray) specs = dmpi_plan_parse_aggs (aggs, 2, &storage, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) result = dmpi_groupby_finalize (state, keys, 0, (const DmpiAggSpec *) (gpointer) specs->data,
                                                       specs->len, &error);
  g_assert_no_error (error);
  g_assert_cmpuint (result->n_rows, ==, 1);
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_column (result, 0))[0], ==, 4);
  /* 0.5 + 2.25 + 7 - 1, the missing price skipped */
  g_assert_cmpfloat (DMPI_COLUMN_FLOAT32 (dmpi_table_column (result, 1))[0], ==, 8.75f);
}

/* A partition function: adds a column "twice" = 2 * id. */
static DmpiTable *
twice (const char *name, DmpiTable *t, GVariant *args, gpointer user_data, GError **error)
{
  if (strcmp (name, "twice") != 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "no function %s", name);
      dmpi_table_free (t);
      return NULL;
    }
  DmpiColumn *id = dmpi_table_get_column (t, "id");
  DmpiColumn *c = dmpi_column_new ("twice", DMPI_COL_INT64, t->n_rows);
  for (gsize i = 0; i < t->n_rows; i++)
    dmpi_column_append_int64 (c, 2 * DMPI_COLUMN_INT64 (id)[i]);
  dmpi_table_add_column (t, c);
  return t;
}

static GVariant *
map_op (const char *function, const char *last_name, DmpiColType last_type)
{
  const char *names[] = { "id", "name", "price", "when", last_name, NULL };
  GVariantBuilder types;
  g_variant_builder_init (&types, G_VARIANT_TYPE ("ai"));
  DmpiColType t[] = { DMPI_COL_INT64, DMPI_COL_STRING, DMPI_COL_FLOAT32, DMPI_COL_TIMESTAMP, last_type };
  for (gsize i = 0; i < G_N_ELEMENTS (t); i++)
    g_variant_builder_add (&types, "i", (gint32) t[i]);
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "map");
  g_variant_dict_insert (&d, "function", "s", function);
  g_variant_dict_insert_value (&d, "meta_names", g_variant_new_strv (names, -1));
  g_variant_dict_insert_value (&d, "meta_types", g_variant_builder_end (&types));
  return g_variant_dict_end (&d);
}

static void
test_map (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  GVariant *ops[] = { map_op ("twice", "twice", DMPI_COL_INT64), NULL };
  g_autoptr(GVariant) v = run (csv_source (f, NULL), ops, sink ("table"), twice, NULL, &error);
  g_assert_no_error (error);
  g_autoptr(DmpiTable) t = as_table (v);
  g_assert_cmpint (DMPI_COLUMN_INT64 (dmpi_table_get_column (t, "twice"))[4], ==, 10);

  /* Output that does not match its meta is an error naming both. */
  GVariant *wrong[] = { map_op ("twice", "twice", DMPI_COL_FLOAT64), NULL };
  g_autoptr(GVariant) none = run (csv_source (f, NULL), wrong, sink ("table"), twice, NULL, &error);
  g_assert_null (none);
  g_assert_nonnull (strstr (error->message, "twice int64"));
  g_assert_nonnull (strstr (error->message, "twice float64"));
  g_clear_error (&error);

  /* No function table: an error, not a crash. */
  GVariant *nomap[] = { map_op ("twice", "twice", DMPI_COL_INT64), NULL };
  g_autoptr(GVariant) none2 = run (csv_source (f, NULL), nomap, sink ("table"), NULL, NULL, &error);
  g_assert_null (none2);
  g_assert_nonnull (strstr (error->message, "twice"));
}

static void
test_errors (Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  const char *cols[] = { "id", "colour", NULL };
  GVariant *ops[] = { strv_op ("select", "columns", cols), NULL };
  g_autoptr(GVariant) a = run (csv_source (f, NULL), ops, sink ("table"), NULL, NULL, &error);
  g_assert_null (a);
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN);
  g_assert_nonnull (strstr (error->message, "'colour'"));
  g_assert_nonnull (strstr (error->message, "id, name, price, when"));
  g_clear_error (&error);

  GVariant *bad[] = { op ("explode", NULL, NULL, NULL, NULL), NULL };
  g_autoptr(GVariant) b = run (csv_source (f, NULL), bad, sink ("table"), NULL, NULL, &error);
  g_assert_null (b);
  g_assert_nonnull (strstr (error->message, "explode"));
  g_clear_error (&error);

  g_autoptr(GVariant) c = run (csv_source (f, NULL), NULL, sink ("teleport"), NULL, NULL, &error);
  g_assert_null (c);
  g_assert_nonnull (strstr (error->message, "teleport"));
  g_clear_error (&error);

  g_autoptr(GVariant) wrong = g_variant_ref_sink (g_variant_new ("(s)", "plan"));
  g_assert_null (dmpi_plan_run (wrong, NULL, 0, NULL, NULL, NULL, &error));
  g_assert_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add ("/df/plan/ops", Fixture, NULL, fixture_set_up, test_ops, fixture_tear_down);
  g_test_add ("/df/plan/ranges", Fixture, NULL, fixture_set_up, test_ranges, fixture_tear_down);
  g_test_add ("/df/plan/sinks", Fixture, NULL, fixture_set_up, test_sinks, fixture_tear_down);
  g_test_add ("/df/plan/partial", Fixture, NULL, fixture_set_up, test_partial, fixture_tear_down);
  g_test_add ("/df/plan/map", Fixture, NULL, fixture_set_up, test_map, fixture_tear_down);
  g_test_add ("/df/plan/errors", Fixture, NULL, fixture_set_up, test_errors, fixture_tear_down);
  return g_test_run ();
}
