/* frame-client: the public data-frame API on a whole cluster, for the tests
 * in t/frame/. Only <daskmpi.h>.
 *
 *   dask-mpi-run -n 4 frame-client --data DIR --out DIR [--module SO]
 *                     [--blocksize BYTES] [--taxi-blocksize BYTES] SCENARIO...
 *
 * A scenario (read_csv, filter, groupby_agg, ...) names the cases whose name
 * is it or starts with it and a dot; a case name runs that case. Each case
 * opens a source (DIR/mixed.csv typed or inferred, the taxi folder, ...),
 * applies a list of steps (verbs) and writes its result, a computed table or
 * a write report, as OUT/CASE.csv (dmpi_table_write_csv) with OUT/CASE.types
 * ("column<TAB>type" lines), for t/frame/pandas_ref.py to compare with
 * pandas. Lines "fact CASE KEY VALUE" on stdout tell the shell tests what
 * the frames were like (partitions; whether the computed table has the
 * schema the frame declared). A case that fails prints "error CASE: MESSAGE"
 * (one line) on stderr, and the next case runs; the exit status is 1 if any
 * case failed. */
#include "config.h"

#include <daskmpi.h>

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_STEPS 12

typedef struct {
  DmpiClient *client;
  const char *data, *out, *module, *name;
  guint64     blocksize, taxi_blocksize;
  gboolean    module_loaded;
} Ctx;

typedef struct _Case Case;
struct _Case {
  const char *name;
  gboolean  (*run) (Ctx *c, const Case *k, GError **error);
  const char *source;
  const char *steps[MAX_STEPS];
};

static void G_GNUC_PRINTF (3, 4)
fact (Ctx *c, const char *key, const char *format, ...)
{
  va_list ap;
  va_start (ap, format);
  g_autofree char *value = g_strdup_vprintf (format, ap);
  va_end (ap);
  printf ("fact %s %s %s\n", c->name, key, value);
}

/* ---- sources ------------------------------------------------------------------ */

static DmpiCsvOptions *
csv_options (Ctx *c)
{
  DmpiCsvOptions *o = dmpi_csv_options_new ();
  dmpi_csv_options_set_blocksize (o, c->blocksize);
  return o;
}

static DmpiCsvOptions *
taxi_options (Ctx *c)
{
  DmpiCsvOptions *o = dmpi_csv_options_new ();
  dmpi_csv_options_set_blocksize (o, c->taxi_blocksize);
  dmpi_csv_options_add_alias (o, "RateCodeID", "RatecodeID");
  return o;
}

static DmpiFrame *
read_csv (Ctx *c, const char *file, DmpiCsvOptions *o, GError **error)
{
  g_autofree char *path = g_build_filename (c->data, file, NULL);
  const char *paths[] = { path, NULL };
  return dmpi_read_csv (c->client, paths, o, error);
}

static DmpiFrame *
read_parquet (Ctx *c, const char *root, const char *file, const char *const *columns, GError **error)
{
  g_autofree char *path = g_build_filename (root, file, NULL);
  const char *paths[] = { path, NULL };
  return dmpi_read_parquet (c->client, paths, columns, error);
}

/* mixed.csv with some types given (the others inferred). */
static DmpiFrame *
src_mixed (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_type (o, "id", DMPI_COL_INT32);
  dmpi_csv_options_set_type (o, "k2", DMPI_COL_INT32);
  dmpi_csv_options_set_type (o, "x", DMPI_COL_FLOAT32);
  dmpi_csv_options_set_type (o, "y", DMPI_COL_FLOAT64);
  dmpi_csv_options_set_timestamp (o, "t0", NULL);
  dmpi_csv_options_set_timestamp (o, "t1", "%Y-%m-%d %H:%M:%S");
  return read_csv (c, "mixed.csv", o, error);
}

static DmpiFrame *
src_mixed_inferred (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  return read_csv (c, "mixed.csv", o, error);
}

/* The taxi folder (two files, the rate code spelled two ways), types inferred. */
static DmpiFrame *
src_taxi (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = taxi_options (c);
  return read_csv (c, "taxi", o, error);
}

/* usecols in an order of our own, with a type for one of them. */
static DmpiFrame *
src_usecols (Ctx *c, GError **error)
{
  static const char *const cols[] = { "s", "id", "x", NULL };
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_columns (o, cols);
  dmpi_csv_options_set_type (o, "x", DMPI_COL_FLOAT32);
  return read_csv (c, "mixed.csv", o, error);
}

/* Some columns of the taxi folder, the rate code by either spelling. */
static DmpiFrame *
src_alias (Ctx *c, GError **error)
{
  static const char *const cols[] = { "VendorID", "tpep_pickup_datetime", "RateCodeID", "fare_amount", NULL };
  g_autoptr(DmpiCsvOptions) o = taxi_options (c);
  dmpi_csv_options_set_columns (o, cols);
  dmpi_csv_options_set_timestamp (o, "tpep_pickup_datetime", NULL);
  dmpi_csv_options_set_type (o, "RateCodeID", DMPI_COL_INT32);
  return read_csv (c, "taxi", o, error);
}

static DmpiFrame *
src_noheader (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_header (o, FALSE);
  return read_csv (c, "noheader.csv", o, error);
}

static DmpiFrame *
src_semicolon (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_delimiter (o, ';');
  return read_csv (c, "semicolon.csv", o, error);
}

static DmpiFrame *
src_quote (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_quote (o, '\'');
  return read_csv (c, "quote.csv", o, error);
}

/* NA strings of our own, pandas' default ones not. */
static DmpiFrame *
src_na (Ctx *c, GError **error)
{
  static const char *const na[] = { "-999", "missing", NULL };
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_na_values (o, na, FALSE);
  return read_csv (c, "na.csv", o, error);
}

/* What the to_parquet case wrote (run it first). */
static DmpiFrame *
src_pq (Ctx *c, GError **error)
{
  return read_parquet (c, c->out, "pq", NULL, error);
}

static DmpiFrame *
src_pq_subset (Ctx *c, GError **error)
{
  static const char *const cols[] = { "d", "s", "x", NULL };
  return read_parquet (c, c->out, "pq", cols, error);
}

/* Bad input, for t/frame/bad-input.sh. */
static DmpiFrame *
src_bad_float (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  dmpi_csv_options_set_type (o, "x", DMPI_COL_FLOAT64);
  return read_csv (c, "bad-float.csv", o, error);
}

static DmpiFrame *
src_bad_fields (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = taxi_options (c);
  return read_csv (c, "bad-fields.csv", o, error);
}

static DmpiFrame *
src_bad_fields_sample (Ctx *c, GError **error)
{
  g_autoptr(DmpiCsvOptions) o = csv_options (c);
  return read_csv (c, "bad-fields-sample.csv", o, error);
}

static DmpiFrame *
src_garbage (Ctx *c, GError **error)
{
  return read_parquet (c, c->data, "garbage.parquet", NULL, error);
}

/* A Parquet file written whole on the client, then cut to half its bytes. */
static DmpiFrame *
src_truncated (Ctx *c, GError **error)
{
  g_autoptr(DmpiTable) t = dmpi_table_new ();
  DmpiColumn *col = dmpi_column_new ("v", DMPI_COL_INT64, 1000);
  for (gint64 i = 0; i < 1000; i++)
    dmpi_column_append_int64 (col, i * i);
  dmpi_table_add_column (t, col);
  g_autofree char *whole = g_build_filename (c->out, "whole.parquet", NULL);
  g_autofree char *cut = g_build_filename (c->out, "truncated.parquet", NULL);
  g_autofree char *bytes = NULL;
  gsize len;
  if (!dmpi_table_write_parquet (t, whole, NULL, error) || !g_file_get_contents (whole, &bytes, &len, error) ||
      !g_file_set_contents (cut, bytes, (gssize) len / 2, error))
    return NULL;
  return read_parquet (c, c->out, "truncated.parquet", NULL, error);
}

static const struct {
  const char *name;
  DmpiFrame *(*open) (Ctx *c, GError **error);
} sources[] = {
  { "mixed", src_mixed },
  { "mixed-inferred", src_mixed_inferred },
  { "taxi", src_taxi },
  { "usecols", src_usecols },
  { "alias", src_alias },
  { "noheader", src_noheader },
  { "semicolon", src_semicolon },
  { "quote", src_quote },
  { "na", src_na },
  { "pq", src_pq },
  { "pq-subset", src_pq_subset },
  { "bad-float", src_bad_float },
  { "bad-fields", src_bad_fields },
  { "bad-fields-sample", src_bad_fields_sample },
  { "garbage", src_garbage },
  { "truncated", src_truncated },
};

static DmpiFrame *
open_source (Ctx *c, const char *name, GError **error)
{
  for (gsize i = 0; i < G_N_ELEMENTS (sources); i++)
    if (strcmp (sources[i].name, name) == 0)
      return sources[i].open (c, error);
  g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "no source '%s'", name);
  return NULL;
}

/* ---- output ------------------------------------------------------------------- */

/* OUT/NAME.types and OUT/NAME.csv. */
static gboolean
emit (Ctx *c, const char *name, const DmpiTable *table, GError **error)
{
  g_autofree char *types_name = g_strconcat (name, ".types", NULL);
  g_autofree char *csv_name = g_strconcat (name, ".csv", NULL);
  g_autofree char *types_path = g_build_filename (c->out, types_name, NULL);
  g_autofree char *csv_path = g_build_filename (c->out, csv_name, NULL);
  g_autoptr(GString) types = g_string_new (NULL);
  for (guint i = 0; i < dmpi_table_n_columns (table); i++)
    {
      const DmpiColumn *col = dmpi_table_column (table, i);
      g_string_append_printf (types, "%s\t%s\n", col->name, dmpi_col_type_name (col->type));
    }
  return g_file_set_contents (types_path, types->str, (gssize) types->len, error) &&
         dmpi_table_write_csv (table, csv_path, error);
}

/* "a:int32,b:string" */
static char *
frame_schema (DmpiFrame *f)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < dmpi_frame_get_n_columns (f); i++)
    g_string_append_printf (s, "%s%s:%s", i ? "," : "", dmpi_frame_get_column_name (f, i),
                            dmpi_col_type_name (dmpi_frame_get_column_type (f, i)));
  return g_string_free (s, FALSE);
}

static char *
table_schema (const DmpiTable *t)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < dmpi_table_n_columns (t); i++)
    {
      const DmpiColumn *col = dmpi_table_column (t, i);
      g_string_append_printf (s, "%s%s:%s", i ? "," : "", col->name, dmpi_col_type_name (col->type));
    }
  return g_string_free (s, FALSE);
}

/* Says whether @t has the schema @f declared before it ran. */
static void
fact_schema (Ctx *c, DmpiFrame *f, const DmpiTable *t)
{
  g_autofree char *want = frame_schema (f);
  g_autofree char *got = table_schema (t);
  if (strcmp (want, got) == 0)
    fact (c, "schema", "ok");
  else
    fact (c, "schema", "frame %s table %s", want, got);
}

/* The whole frame, computed, written as NAME. */
static gboolean
emit_frame (Ctx *c, const char *name, DmpiFrame *f, GError **error)
{
  fact (c, "partitions", "%u", dmpi_frame_get_n_partitions (f));
  g_autoptr(DmpiTable) t = dmpi_frame_compute (f, error);
  if (t == NULL)
    return FALSE;
  fact_schema (c, f, t);
  return emit (c, name, t, error);
}

/* A write report as a table, a row a part. */
static DmpiTable *
report_table (DmpiWriteReport *r)
{
  DmpiTable *t = dmpi_table_new ();
  guint n = dmpi_write_report_get_n_parts (r);
  DmpiColumn *part = dmpi_column_new ("part", DMPI_COL_INT64, n), *file = dmpi_column_new ("file", DMPI_COL_STRING, n),
             *rows = dmpi_column_new ("rows", DMPI_COL_INT64, n), *read = dmpi_column_new ("rows_read", DMPI_COL_INT64, n),
             *bytes = dmpi_column_new ("bytes", DMPI_COL_INT64, n), *worker = dmpi_column_new ("worker", DMPI_COL_INT64, n),
             *host = dmpi_column_new ("host", DMPI_COL_STRING, n), *secs = dmpi_column_new ("seconds", DMPI_COL_FLOAT64, n),
             *rss = dmpi_column_new ("peak_rss", DMPI_COL_INT64, n);
  for (guint i = 0; i < n; i++)
    {
      g_autofree char *base = g_path_get_basename (dmpi_write_report_get_path (r, i));
      dmpi_column_append_int64 (part, i);
      dmpi_column_append_string (file, base, -1);
      dmpi_column_append_int64 (rows, (gint64) dmpi_write_report_get_rows (r, i));
      dmpi_column_append_int64 (read, (gint64) dmpi_write_report_get_rows_read (r, i));
      dmpi_column_append_int64 (bytes, (gint64) dmpi_write_report_get_bytes (r, i));
      dmpi_column_append_int64 (worker, dmpi_write_report_get_worker (r, i));
      dmpi_column_append_string (host, dmpi_write_report_get_host (r, i), -1);
      dmpi_column_append_float64 (secs, dmpi_write_report_get_seconds (r, i));
      dmpi_column_append_int64 (rss, (gint64) dmpi_write_report_get_peak_rss (r, i));
    }
  DmpiColumn *all[] = { part, file, rows, read, bytes, worker, host, secs, rss };
  for (gsize i = 0; i < G_N_ELEMENTS (all); i++)
    dmpi_table_add_column (t, all[i]);
  return t;
}

/* to_parquet (7 rows per row group, timestamps in nanoseconds) or to_csv
 * into OUT/DIR; the report as a table. */
static DmpiTable *
write_parts (Ctx *c, DmpiFrame *f, gboolean parquet, const char *dir, GError **error)
{
  g_autofree char *folder = g_build_filename (c->out, dir, NULL);
  DmpiWriteOptions wo = { .row_group_rows = 7, .timestamp_nanos = TRUE };
  fact (c, "partitions", "%u", dmpi_frame_get_n_partitions (f));
  g_autoptr(DmpiWriteReport) r = parquet ? dmpi_frame_to_parquet (f, folder, &wo, error)
                                         : dmpi_frame_to_csv (f, folder, &wo, error);
  return r != NULL ? report_table (r) : NULL;
}

/* ---- steps ---------------------------------------------------------------------- */

/* Replaces *f by a verb's result; FALSE (*f kept) when the verb failed. */
static gboolean
then (DmpiFrame **f, DmpiFrame *next)
{
  if (next == NULL)
    return FALSE;
  dmpi_frame_unref (*f);
  *f = next;
  return TRUE;
}

/* map_partitions of the module's scale_x (xs = x * 2.5), the output schema
 * given or inferred. */
static DmpiFrame *
map_scale (Ctx *c, DmpiFrame *f, gboolean given, GError **error)
{
  if (!c->module_loaded)
    {
      if (c->module == NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "map_partitions needs --module");
          return NULL;
        }
      if (!dmpi_client_load_module (c->client, c->module, error))
        return NULL;
      c->module_loaded = TRUE;
    }
  GVariant *args = g_variant_new ("(sd)", "xs", 2.5);
  if (!given)
    return dmpi_frame_map_partitions (f, "scale_x", args, NULL, NULL, 0, error);
  guint n = dmpi_frame_get_n_columns (f);
  g_autofree const char **names = g_new0 (const char *, n + 2);
  g_autofree DmpiColType *types = g_new0 (DmpiColType, n + 1);
  for (guint i = 0; i < n; i++)
    {
      names[i] = dmpi_frame_get_column_name (f, i);
      types[i] = dmpi_frame_get_column_type (f, i);
    }
  names[n] = "xs";
  types[n] = DMPI_COL_FLOAT64;
  return dmpi_frame_map_partitions (f, "scale_x", args, names, types, n + 1, error);
}

/* One step, "VERB ARGS": a verb that gives a frame replaces *f; a terminal
 * one (head, len, agg, reduce, to_parquet, to_csv) sets *out. */
static gboolean
apply_step (Ctx *c, DmpiFrame **f, const char *step, DmpiTable **out, GError **error)
{
  g_auto(GStrv) w = g_strsplit (step, " ", 2);
  const char *verb = w[0], *rest = w[1] != NULL ? w[1] : "";
  g_auto(GStrv) words = g_strsplit (rest, " ", -1);
  g_auto(GStrv) two = g_strsplit (rest, " ", 2);
  const char *first = two[0] != NULL ? two[0] : "", *second = two[0] != NULL && two[1] != NULL ? two[1] : "";

  if (strcmp (verb, "select") == 0)
    return then (f, dmpi_frame_select (*f, (const char *const *) words, error));
  if (strcmp (verb, "drop") == 0)
    return then (f, dmpi_frame_drop (*f, (const char *const *) words, error));
  if (strcmp (verb, "rename") == 0)
    {
      guint n = g_strv_length (words);
      g_autofree const char **from = g_new0 (const char *, n + 1);
      g_autofree const char **to = g_new0 (const char *, n + 1);
      for (guint i = 0; i < n; i++)
        {
          char *colon = strchr (words[i], ':');
          g_assert (colon != NULL);
          *colon = '\0';
          from[i] = words[i];
          to[i] = colon + 1;
        }
      return then (f, dmpi_frame_rename (*f, from, to, error));
    }
  if (strcmp (verb, "filter") == 0)
    return then (f, dmpi_frame_filter (*f, rest, error));
  if (strcmp (verb, "assign") == 0)
    return then (f, dmpi_frame_assign (*f, first, second, error));
  if (strcmp (verb, "fillna") == 0)
    {
      g_auto(GStrv) cols = strcmp (first, "*") != 0 ? g_strsplit (first, ",", -1) : NULL;
      return then (f, dmpi_frame_fillna (*f, (const char *const *) cols, second, error));
    }
  if (strcmp (verb, "astype") == 0)
    return then (f, dmpi_frame_astype (*f, first, (DmpiColType) dmpi_col_type_from_name (second), error));
  if (strcmp (verb, "map") == 0)
    return then (f, map_scale (c, *f, strcmp (rest, "given") == 0, error));
  if (strcmp (verb, "groupby") == 0)
    {
      g_auto(GStrv) keys = g_strsplit (words[0], ",", -1);
      return then (f, dmpi_frame_groupby_agg (*f, (const char *const *) keys, (const char *const *) words + 1, error));
    }
  if (strcmp (verb, "value_counts") == 0)
    return then (f, dmpi_frame_value_counts (*f, rest, error));
  if (strcmp (verb, "persist") == 0)
    return then (f, dmpi_frame_persist (*f, error));

  /* Terminal steps. */
  if (strcmp (verb, "head") == 0)
    *out = dmpi_frame_head (*f, g_ascii_strtoull (rest, NULL, 10), error);
  else if (strcmp (verb, "agg") == 0)
    *out = dmpi_frame_agg (*f, (const char *const *) words, error);
  else if (strcmp (verb, "reduce") == 0)
    *out = dmpi_frame_reduce (*f, rest, error);
  else if (strcmp (verb, "to_parquet") == 0 || strcmp (verb, "to_csv") == 0)
    *out = write_parts (c, *f, strcmp (verb, "to_parquet") == 0, rest, error);
  else
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "unknown step '%s'", step);
  return *out != NULL;
}

/* The steps in order; *out is set by a terminal step (which must be last). */
static gboolean
apply_steps (Ctx *c, DmpiFrame **f, const char *const *steps, DmpiTable **out, GError **error)
{
  for (guint i = 0; i < MAX_STEPS && steps[i] != NULL; i++)
    {
      if (*out != NULL)
        {
          g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE, "step '%s' after a terminal one", steps[i]);
          return FALSE;
        }
      if (!apply_step (c, f, steps[i], out, error))
        return FALSE;
    }
  return TRUE;
}

static gboolean
run_script (Ctx *c, const Case *k, GError **error)
{
  g_autoptr(DmpiFrame) f = open_source (c, k->source, error);
  g_autoptr(DmpiTable) t = NULL;
  if (f == NULL || !apply_steps (c, &f, k->steps, &t, error))
    return FALSE;
  return t != NULL ? emit (c, k->name, t, error) : emit_frame (c, k->name, f, error);
}

/* ---- cases that need more than a script -------------------------------------------- */

static DmpiTable *
one_row (const char *const *names, const guint64 *values, guint n)
{
  DmpiTable *t = dmpi_table_new ();
  for (guint i = 0; i < n; i++)
    {
      DmpiColumn *col = dmpi_column_new (names[i], DMPI_COL_INT64, 1);
      dmpi_column_append_int64 (col, (gint64) values[i]);
      dmpi_table_add_column (t, col);
    }
  return t;
}

/* len of a reader, of a filtered reader, of a group-by and of a
 * map_partitions result, as one row. */
static gboolean
run_len (Ctx *c, const Case *k, GError **error)
{
  static const char *const names[] = { "mixed", "taxi_kept", "groups", "mapped" };
  static const char *const steps[][MAX_STEPS] = {
    { NULL },
    { "filter 0 < fare_amount < 500 and 0 < passenger_count < 6" },
    { "groupby grp,k2 n=size()" },
    { "map inferred", "filter xs > 0" },
  };
  static const char *const srcs[] = { "mixed", "taxi", "mixed", "mixed" };
  guint64 values[G_N_ELEMENTS (names)];
  for (gsize i = 0; i < G_N_ELEMENTS (names); i++)
    {
      g_autoptr(DmpiFrame) f = open_source (c, srcs[i], error);
      g_autoptr(DmpiTable) none = NULL;
      if (f == NULL || !apply_steps (c, &f, steps[i], &none, error) || !dmpi_frame_len (f, &values[i], error))
        return FALSE;
    }
  g_autoptr(DmpiTable) t = one_row (names, values, G_N_ELEMENTS (names));
  return emit (c, k->name, t, error);
}

static void
report_error (const char *name, const GError *error)
{
  g_autofree char *msg = g_strdup (error != NULL ? error->message : "failed without an error");
  g_strdelimit (msg, "\n", '|');
  fflush (stdout);
  g_printerr ("error %s: %s\n", name, msg);
}

/* One persisted frame, then several verbs on it: persist.group,
 * persist.assign, persist.head, persist.len (each on its own: one that
 * fails says so and the next runs). */
static gboolean
run_persist (Ctx *c, const Case *k, GError **error)
{
  static const struct {
    const char *name;
    const char *steps[MAX_STEPS];
  } uses[] = {
    { "persist.group", { "groupby grp n=size() y_sum=sum(y) x_max=max(x)" } },
    { "persist.assign", { "assign z y * 2", "filter z > 0", "select id z" } },
    { "persist.head", { "head 12" } },
  };
  g_autoptr(DmpiFrame) f = open_source (c, "mixed", error);
  if (f == NULL || !then (&f, dmpi_frame_filter (f, "n > 0 or isnull(grp)", error)))
    return FALSE;
  guint before = dmpi_frame_get_n_partitions (f);
  g_autoptr(DmpiFrame) p = dmpi_frame_persist (f, error);
  if (p == NULL)
    return FALSE;
  fact (c, "partitions", "%u %u", before, dmpi_frame_get_n_partitions (p));
  gboolean all = TRUE;
  for (gsize i = 0; i < G_N_ELEMENTS (uses); i++)
    {
      g_autoptr(GError) local = NULL;
      g_autoptr(DmpiFrame) g = dmpi_frame_ref (p);
      g_autoptr(DmpiTable) t = NULL;
      if (!apply_steps (c, &g, uses[i].steps, &t, &local) ||
          !(t != NULL ? emit (c, uses[i].name, t, &local) : emit_frame (c, uses[i].name, g, &local)))
        {
          report_error (uses[i].name, local);
          all = FALSE;
        }
    }
  static const char *const names[] = { "rows" };
  guint64 rows;
  if (!dmpi_frame_len (p, &rows, error))
    return FALSE;
  g_autoptr(DmpiTable) t = one_row (names, &rows, 1);
  if (!emit (c, "persist.len", t, error))
    return FALSE;
  if (!all)
    g_set_error (error, G_OPTION_ERROR, G_OPTION_ERROR_FAILED, "a verb on the persisted frame failed");
  return all;
}

/* ---- the cases -------------------------------------------------------------------- */

#define SCRIPT(name, source, ...) { name, run_script, source, { __VA_ARGS__ } }

#define GROUPBY_OPS                                                                                  \
  "groupby grp size=size() y_count=count(y) y_sum=sum(y) y_mean=mean(y) y_min=min(y) y_max=max(y) "  \
  "y_std=std(y) y_var=var(y) y_first=first(y) y_last=last(y) y_nunique=nunique(y) n_sum=sum(n) "     \
  "n_mean=mean(n) n_min=min(n) s_min=min(s) s_max=max(s) s_first=first(s) s_last=last(s) "           \
  "s_count=count(s) s_nunique=nunique(s) t_min=min(t0) t_max=max(t0) t1_first=first(t1) "            \
  "t1_mean=mean(t1) f_sum=sum(flag) x_sum=sum(x) x_max=max(x) k2_mean=mean(k2)"

#define AGG_ALL                                                                                      \
  "agg y_sum=sum(y) y_mean=mean(y) y_std=std(y) y_var=var(y) n_max=max(n) t_min=min(t0) "            \
  "t1_mean=mean(t1) rows=size() s_n=nunique(s) x_min=min(x) d_mean=mean(d) d_sum=sum(d) "            \
  "s_last=last(s) n_count=count(n)"

static const Case cases[] = {
  /* read_csv */
  SCRIPT ("read_csv.inferred", "mixed-inferred", NULL),
  SCRIPT ("read_csv.typed", "mixed", NULL),
  SCRIPT ("read_csv.taxi", "taxi", NULL),
  SCRIPT ("read_csv.usecols", "usecols", NULL),
  SCRIPT ("read_csv.alias", "alias", NULL),
  SCRIPT ("read_csv.noheader", "noheader", NULL),
  SCRIPT ("read_csv.semicolon", "semicolon", NULL),
  SCRIPT ("read_csv.quote", "quote", NULL),
  SCRIPT ("read_csv.na", "na", NULL),
  /* select, drop, rename */
  SCRIPT ("select", "mixed", "select s x id"),
  SCRIPT ("drop", "mixed", "drop s t1 flag"),
  SCRIPT ("rename.plain", "mixed", "rename x:x2 id:ident"),
  SCRIPT ("rename.filter", "mixed", "rename x:x2 id:ident", "filter x2 > 0 and ident % 2 == 1"),
  /* filter */
  SCRIPT ("filter.chained", "taxi",
          "filter 0 < fare_amount < 500 and 0 < passenger_count < 6 and -75 < pickup_longitude < -73",
          "select VendorID fare_amount passenger_count pickup_longitude"),
  SCRIPT ("filter.ne", "mixed", "filter n != 3"),
  SCRIPT ("filter.not", "mixed", "filter not (n > 2) or grp == 'alpha'"),
  SCRIPT ("filter.string", "mixed", "filter startswith(s, 'b') or contains(s, ',')"),
  SCRIPT ("filter.timestamp", "mixed", "filter t0 >= '2015-03-01' and t0 < '2015-06-01 12:00:00'"),
  SCRIPT ("filter.float32", "mixed", "filter x > 0.1 and x <= 40.76"),
  /* Only range conditions: all evaluated while the CSV is parsed. */
  SCRIPT ("filter.ranges", "mixed", "filter n > 0"),
  SCRIPT ("filter.isnull", "mixed", "filter isnull(t1) or isnull(grp)"),
  SCRIPT ("filter.bool", "mixed", "filter flag and k2 >= 2"),
  SCRIPT ("filter.after_assign", "mixed", "filter y > -500", "assign z y * 2", "filter z < 800 or isnull(z)"),
  /* assign */
  SCRIPT ("assign.arith", "mixed", "assign a1 x * 2 + n", "assign a2 id // 7 % 3", "assign a3 y / n",
          "assign a4 n ** 2", "assign a5 -x", "assign a6 abs(y)", "assign a7 id % 7 - 3", "assign a8 y - x"),
  SCRIPT ("assign.floordiv", "mixed", "assign r x // 0.01 * 0.01", "assign q y // 0.25", "assign m x % 0.5",
          "assign ni n // 3", "assign nm n % 4", "select id x r y q m n ni nm"),
  SCRIPT ("assign.datetime", "mixed", "assign hour hour(t0)", "assign minute minute(t0)", "assign second second(t0)",
          "assign year year(t0)", "assign month month(t0)", "assign day day(t0)", "assign dow day_of_week(t0)",
          "assign doy day_of_year(t0)", "assign h1 hour(t1)",
          "select t0 t1 hour minute second year month day dow doy h1"),
  SCRIPT ("assign.duration", "mixed", "assign d t1 - t0", "assign ds seconds(t1 - t0)", "assign t2 t0 + (t1 - t0)",
          "assign dn -(t1 - t0)", "select t0 t1 d ds t2 dn"),
  SCRIPT ("assign.strings", "mixed", "assign u s + '!'", "assign ln length(s)", "assign sw startswith(grp, 'a')",
          "assign ew endswith(s, '7')", "assign c contains(s, ',')", "assign ids string(id)",
          "assign fs string(flag)", "select grp s u ln sw ew c ids fs"),
  SCRIPT ("assign.where", "mixed", "assign w1 where(x > 0, x, -x)", "assign w2 where(flag, s, 'none')",
          "assign w3 where(n > 5, 1, 0)", "assign w4 where(isnull(k2), -1, k2)",
          "select x flag s n k2 w1 w2 w3 w4"),
  SCRIPT ("assign.replace", "mixed", "assign x x * 10", "assign id id + 1"),
  SCRIPT ("assign.casts", "mixed", "assign i64 int64(x)", "assign f32 float32(y)", "assign b bool(n)",
          "assign fx fillna(x, -1)", "assign i32 int32(y)", "select x y n i64 f32 b fx i32"),
  /* fillna, astype */
  SCRIPT ("fillna.all", "mixed-inferred", "fillna * -1"),
  SCRIPT ("fillna.cols", "mixed", "fillna x,k2 0"),
  SCRIPT ("fillna.float", "mixed-inferred", "fillna n 0.5"),
  SCRIPT ("fillna.str", "mixed", "fillna grp,s 'unknown'"),
  SCRIPT ("astype", "mixed", "astype id float64", "astype flag int32", "astype x float64", "astype t0 int64",
          "astype n float64", "astype y float32"),
  /* map_partitions */
  SCRIPT ("map_partitions.meta", "mixed", "map given"),
  SCRIPT ("map_partitions.inferred", "mixed", "map inferred"),
  SCRIPT ("map_partitions.then", "mixed", "map inferred", "filter xs > 10", "select id xs"),
  /* head, len, compute, persist */
  SCRIPT ("head.small", "mixed", "head 5"),
  SCRIPT ("head.span", "mixed", "filter id % 3 == 0", "head 30"),
  SCRIPT ("head.all", "mixed", "head 100000"),
  { "len", run_len, NULL, { NULL } },
  SCRIPT ("compute.empty", "mixed", "filter id < 0"),
  { "persist", run_persist, NULL, { NULL } },
  /* group-by and reductions */
  SCRIPT ("groupby_agg.ops", "mixed", GROUPBY_OPS),
  SCRIPT ("groupby_agg.keys2", "mixed", "groupby grp,k2 size=size() y_mean=mean(y) n_sum=sum(n)"),
  SCRIPT ("groupby_agg.boolkey", "mixed", "groupby flag y_mean=mean(y) s_count=count(s) t1_max=max(t1) nunique(grp)"),
  SCRIPT ("groupby_agg.taxi", "taxi",
          "groupby payment_type,VendorID trips=size() fare=mean(fare_amount) tips=sum(tip_amount) "
          "dist_max=max(trip_distance) pc=nunique(passenger_count)"),
  SCRIPT ("groupby_agg.then", "mixed", "groupby grp y_sum=sum(y)", "filter y_sum > 0", "assign z y_sum * 2"),
  SCRIPT ("value_counts.grp", "mixed", "value_counts grp"),
  SCRIPT ("value_counts.taxi", "taxi", "value_counts passenger_count"),
  SCRIPT ("agg", "mixed", "assign d t1 - t0", AGG_ALL),
  SCRIPT ("reduce.count", "mixed", "select id x y n s t0 flag", "reduce count"),
  SCRIPT ("reduce.sum", "mixed", "select id x y n s t0 flag", "reduce sum"),
  SCRIPT ("reduce.mean", "mixed", "select id x y n s t0 flag", "reduce mean"),
  SCRIPT ("reduce.min", "mixed", "select id x y n s t0 flag", "reduce min"),
  SCRIPT ("reduce.max", "mixed", "select id x y n s t0 flag", "reduce max"),
  SCRIPT ("reduce.std", "mixed", "select id x y n s t0 flag", "reduce std"),
  SCRIPT ("reduce.var", "mixed", "select id x y n s t0 flag", "reduce var"),
  /* writers, and the reader of what they wrote */
  SCRIPT ("to_parquet", "mixed", "assign d t1 - t0", "filter id % 5 != 0", "to_parquet pq"),
  SCRIPT ("read_parquet.all", "pq", NULL),
  SCRIPT ("read_parquet.subset", "pq-subset", NULL),
  SCRIPT ("read_parquet.verbs", "pq", "filter x > 0", "groupby grp n=size() d_max=max(d)"),
  SCRIPT ("to_csv", "mixed", "assign d t1 - t0", "filter id % 5 != 0", "to_csv csvparts"),
  /* bad input (t/frame/bad-input.sh) */
  SCRIPT ("bad.csv_float", "bad-float", "to_parquet bad-float"),
  SCRIPT ("bad.csv_fields", "bad-fields", "to_parquet bad-fields"),
  SCRIPT ("bad.csv_fields_sample", "bad-fields-sample", "to_parquet bad-fields-sample"),
  SCRIPT ("bad.parquet_garbage", "garbage", NULL),
  SCRIPT ("bad.parquet_truncated", "truncated", NULL),
  SCRIPT ("bad.select_missing", "mixed", "select id nope", "to_parquet bad-select"),
  SCRIPT ("bad.filter_missing", "mixed", "filter nope > 1", "to_parquet bad-filter"),
  SCRIPT ("bad.expr_syntax", "mixed", "filter x > > 1", "to_parquet bad-syntax"),
  SCRIPT ("bad.expr_type", "mixed", "assign z s + 1", "to_parquet bad-type"),
  SCRIPT ("bad.output_parquet", "mixed", "to_parquet blocker/out"),
  SCRIPT ("bad.output_csv", "mixed", "to_csv blocker/out"),
};

/* ---- main -------------------------------------------------------------------------- */

static gboolean
selects (const char *scenario, const char *name)
{
  gsize n = strlen (scenario);
  return strncmp (name, scenario, n) == 0 && (name[n] == '\0' || name[n] == '.');
}

static gboolean
run_case (Ctx *c, const Case *k)
{
  g_autoptr(GError) error = NULL;
  c->name = k->name;
  gboolean ok = k->run (c, k, &error);
  if (!ok)
    report_error (k->name, error);
  printf ("case %s %s\n", k->name, ok ? "done" : "failed");
  fflush (stdout);
  return ok;
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *data = NULL, *out = NULL, *module = NULL;
  gint64 blocksize = 2000, taxi_blocksize = 100000;
  GOptionEntry entries[] = {
    { "data", 0, 0, G_OPTION_ARG_FILENAME, &data, "Folder of the input files", "DIR" },
    { "out", 0, 0, G_OPTION_ARG_FILENAME, &out, "Folder for the results", "DIR" },
    { "module", 0, 0, G_OPTION_ARG_FILENAME, &module, "frame-module.so, for map_partitions", "SO" },
    { "blocksize", 0, 0, G_OPTION_ARG_INT64, &blocksize, "CSV bytes per partition (default 2000)", "BYTES" },
    { "taxi-blocksize", 0, 0, G_OPTION_ARG_INT64, &taxi_blocksize,
      "The same for the taxi folder and bad-fields.csv (default 100000)", "BYTES" },
    { NULL },
  };
  g_autoptr(GOptionContext) context = g_option_context_new ("SCENARIO... - data-frame verbs for t/frame");
  g_option_context_add_main_entries (context, entries, NULL);
  if (!g_option_context_parse (context, &argc, &argv, &error) || data == NULL || out == NULL || argc < 2 ||
      blocksize < 1 || taxi_blocksize < 1)
    {
      g_printerr ("frame-client: %s\n", error != NULL ? error->message
                                                      : "--data DIR, --out DIR and a scenario are required");
      return 2;
    }
  g_autoptr(GPtrArray) scenarios = g_ptr_array_new ();
  for (int i = 1; i < argc; i++)
    {
      gboolean any = FALSE;
      for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
        any = any || selects (argv[i], cases[k].name);
      if (!any)
        {
          g_printerr ("frame-client: no scenario or case '%s'\n", argv[i]);
          return 2;
        }
      g_ptr_array_add (scenarios, argv[i]);
    }

  setvbuf (stdout, NULL, _IOLBF, 0);
  g_autoptr(DmpiClient) client = dmpi_client_new (&argc, &argv, &error);
  if (client == NULL)
    {
      g_printerr ("frame-client: cannot start the client: %s\n", error->message);
      return 1;
    }
  Ctx c = { client, data, out, module, NULL, (guint64) blocksize, (guint64) taxi_blocksize, FALSE };
  int failed = 0;
  if (!dmpi_client_wait_for_workers (client, MAX (dmpi_client_get_world_workers (client), 1), 60, &error))
    {
      g_printerr ("frame-client: %s\n", error->message);
      failed = 1;
    }
  else
    for (guint s = 0; s < scenarios->len; s++)
      for (gsize k = 0; k < G_N_ELEMENTS (cases); k++)
        if (selects (scenarios->pdata[s], cases[k].name) && !run_case (&c, &cases[k]))
          failed++;
  g_clear_error (&error);
  if (!dmpi_client_shutdown (client, failed > 0, &error))
    {
      g_printerr ("frame-client: shutting the cluster down: %s\n", error->message);
      return 1;
    }
  return failed > 0;
}
