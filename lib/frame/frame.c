/* Frames on the client: readers, verbs with their checks, and the plan of
 * one partition (lib/df/plan.h) with the reader told which columns to read
 * and which rows to drop while parsing. */
#include "config.h"

#include "frame/frame-private.h"

#include "dmpi-error.h"
#include "df/csv.h"
#include "df/expr.h"
#include "df/groupby.h"
#include "df/parquet-reader.h"
#include "df/plan.h"

#include <glob.h>
#include <math.h>
#include <string.h>

/* ---- CSV options ---------------------------------------------------------- */

struct _DmpiCsvOptions {
  gint        ref;
  guint64     blocksize;
  char        delimiter, quote;
  gboolean    header, keep_default_na;
  char      **na_values;
  char      **columns;
  GHashTable *types;     /* name → GINT_TO_POINTER (type + 1) */
  GHashTable *formats;   /* name → format (timestamps) */
  GHashTable *aliases;   /* name → alternative */
};

DmpiCsvOptions *
dmpi_csv_options_new (void)
{
  DmpiCsvOptions *o = g_new0 (DmpiCsvOptions, 1);
  o->ref = 1;
  o->delimiter = ',';
  o->quote = '"';
  o->header = TRUE;
  o->keep_default_na = TRUE;
  o->types = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  o->formats = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  o->aliases = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, g_free);
  return o;
}

DmpiCsvOptions *
dmpi_csv_options_ref (DmpiCsvOptions *o)
{
  g_return_val_if_fail (o != NULL, NULL);
  g_atomic_int_inc (&o->ref);
  return o;
}

void
dmpi_csv_options_unref (DmpiCsvOptions *o)
{
  if (o == NULL || !g_atomic_int_dec_and_test (&o->ref))
    return;
  g_strfreev (o->na_values);
  g_strfreev (o->columns);
  g_hash_table_unref (o->types);
  g_hash_table_unref (o->formats);
  g_hash_table_unref (o->aliases);
  g_free (o);
}

void
dmpi_csv_options_set_blocksize (DmpiCsvOptions *o, guint64 bytes)
{
  o->blocksize = bytes;
}

void
dmpi_csv_options_set_delimiter (DmpiCsvOptions *o, char delimiter)
{
  o->delimiter = delimiter;
}

void
dmpi_csv_options_set_quote (DmpiCsvOptions *o, char quote)
{
  o->quote = quote;
}

void
dmpi_csv_options_set_header (DmpiCsvOptions *o, gboolean header)
{
  o->header = header;
}

void
dmpi_csv_options_set_type (DmpiCsvOptions *o, const char *column, DmpiColType type)
{
  g_return_if_fail (column != NULL && (guint) type < DMPI_COL_N_TYPES);
  g_hash_table_replace (o->types, g_strdup (column), GINT_TO_POINTER (type + 1));
}

void
dmpi_csv_options_set_timestamp (DmpiCsvOptions *o, const char *column, const char *format)
{
  dmpi_csv_options_set_type (o, column, DMPI_COL_TIMESTAMP);
  if (format != NULL)
    g_hash_table_replace (o->formats, g_strdup (column), g_strdup (format));
  else
    g_hash_table_remove (o->formats, column);
}

void
dmpi_csv_options_set_columns (DmpiCsvOptions *o, const char *const *columns)
{
  g_strfreev (o->columns);
  o->columns = g_strdupv ((char **) columns);
}

void
dmpi_csv_options_add_alias (DmpiCsvOptions *o, const char *column, const char *alternative)
{
  g_return_if_fail (column != NULL && alternative != NULL);
  g_hash_table_replace (o->aliases, g_strdup (column), g_strdup (alternative));
}

void
dmpi_csv_options_set_na_values (DmpiCsvOptions *o, const char *const *values, gboolean keep_default_na)
{
  g_strfreev (o->na_values);
  o->na_values = g_strdupv ((char **) values);
  o->keep_default_na = keep_default_na;
}

/* ---- sources and frames ------------------------------------------------- */

static void
source_column_clear (SourceColumn *c)
{
  g_free (c->name);
  g_free (c->alt);
  g_free (c->out_name);
  g_free (c->format);
}

static void
source_part_clear (SourcePart *p)
{
  g_free (p->path);
}

static Source *
source_new (SourceKind kind, DmpiClient *client)
{
  Source *s = g_new0 (Source, 1);
  s->ref = 1;
  s->kind = kind;
  s->client = dmpi_client_ref (client);
  s->parts = g_array_new (FALSE, TRUE, sizeof (SourcePart));
  g_array_set_clear_func (s->parts, (GDestroyNotify) source_part_clear);
  s->columns = g_array_new (FALSE, TRUE, sizeof (SourceColumn));
  g_array_set_clear_func (s->columns, (GDestroyNotify) source_column_clear);
  return s;
}

static Source *
source_ref (Source *s)
{
  s->ref++;
  return s;
}

static void
source_unref (Source *s)
{
  if (s == NULL || --s->ref > 0)
    return;
  g_array_unref (s->parts);
  g_array_unref (s->columns);
  g_strfreev (s->na_values);
  g_clear_pointer (&s->futures, g_ptr_array_unref);
  g_clear_pointer (&s->parent, dmpi_frame_unref);
  g_strfreev (s->keys);
  g_strfreev (s->aggs);
  dmpi_client_unref (s->client);
  g_free (s);
}

static DmpiFrame *
frame_new (Source *source)
{
  DmpiFrame *f = g_new0 (DmpiFrame, 1);
  f->ref = 1;
  f->source = source;
  f->ops = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  f->names = g_ptr_array_new_with_free_func (g_free);
  f->types = g_array_new (FALSE, FALSE, sizeof (DmpiColType));
  return f;
}

static void
frame_add_column (DmpiFrame *f, const char *name, DmpiColType type)
{
  g_ptr_array_add (f->names, g_strdup (name));
  g_array_append_val (f->types, type);
}

/* The same frame with one more op, and the schema @names/@types (NULL:
 * unchanged). */
static DmpiFrame *
frame_derive (DmpiFrame *f, GVariant *op)
{
  DmpiFrame *d = frame_new (source_ref (f->source));
  for (guint i = 0; i < f->ops->len; i++)
    g_ptr_array_add (d->ops, g_variant_ref (f->ops->pdata[i]));
  if (op != NULL)
    g_ptr_array_add (d->ops, g_variant_ref_sink (op));
  for (guint i = 0; i < f->names->len; i++)
    frame_add_column (d, f->names->pdata[i], g_array_index (f->types, DmpiColType, i));
  return d;
}

DmpiFrame *
dmpi_frame_ref (DmpiFrame *f)
{
  g_return_val_if_fail (f != NULL, NULL);
  f->ref++;
  return f;
}

void
dmpi_frame_unref (DmpiFrame *f)
{
  if (f == NULL || --f->ref > 0)
    return;
  g_ptr_array_unref (f->ops);
  g_ptr_array_unref (f->names);
  g_array_unref (f->types);
  source_unref (f->source);
  g_free (f);
}

DmpiClient *
dmpi_frame_get_client (DmpiFrame *f)
{
  return f->source->client;
}

guint
dmpi_frame_get_n_partitions (DmpiFrame *f)
{
  switch (f->source->kind)
    {
    case SOURCE_FUTURES: return f->source->futures->len;
    case SOURCE_GROUPBY: return 1;
    default:             return f->source->parts->len;
    }
}

guint
dmpi_frame_get_n_columns (DmpiFrame *f)
{
  return f->names->len;
}

gint
dmpi_frame_get_column_index (DmpiFrame *f, const char *name)
{
  for (guint i = 0; i < f->names->len; i++)
    if (strcmp (f->names->pdata[i], name) == 0)
      return (gint) i;
  return -1;
}

const char *
dmpi_frame_get_column_name (DmpiFrame *f, guint column)
{
  g_return_val_if_fail (column < f->names->len, NULL);
  return f->names->pdata[column];
}

DmpiColType
dmpi_frame_get_column_type (DmpiFrame *f, guint column)
{
  g_return_val_if_fail (column < f->names->len, DMPI_COL_STRING);
  return g_array_index (f->types, DmpiColType, column);
}

const char *
dmpi_frame_get_partition_path (DmpiFrame *f, guint partition)
{
  if (f->source->kind != SOURCE_CSV && f->source->kind != SOURCE_PARQUET)
    return NULL;
  g_return_val_if_fail (partition < f->source->parts->len, NULL);
  return g_array_index (f->source->parts, SourcePart, partition).path;
}

char *
dmpi_frame_describe_partition (DmpiFrame *f, guint part)
{
  if ((f->source->kind != SOURCE_CSV && f->source->kind != SOURCE_PARQUET) || part >= f->source->parts->len)
    return NULL;
  const SourcePart *p = &g_array_index (f->source->parts, SourcePart, part);
  if (f->source->kind == SOURCE_PARQUET)
    return g_strdup_printf ("%s, row group %u", p->path, p->row_group);
  return g_strdup_printf ("%s, bytes %" G_GUINT64_FORMAT "+%" G_GUINT64_FORMAT, p->path, p->offset, p->length);
}

char **
dmpi_frame_get_columns (DmpiFrame *f)
{
  char **v = g_new0 (char *, f->names->len + 1);
  for (guint i = 0; i < f->names->len; i++)
    v[i] = g_strdup (f->names->pdata[i]);
  return v;
}

char *
dmpi_frame_column_list (DmpiFrame *f)
{
  GString *s = g_string_new (NULL);
  for (guint i = 0; i < f->names->len; i++)
    g_string_append_printf (s, "%s%s", i ? ", " : "", (const char *) f->names->pdata[i]);
  return g_string_free (s, FALSE);
}

static gboolean
need_column (DmpiFrame *f, const char *verb, const char *name, gint *index, GError **error)
{
  gint i = dmpi_frame_get_column_index (f, name);
  if (i < 0)
    {
      g_autofree char *have = dmpi_frame_column_list (f);
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN, "%s: no column '%s' (columns: %s)", verb,
                   name, have);
      return FALSE;
    }
  if (index != NULL)
    *index = i;
  return TRUE;
}

/* Parses and checks @text against the frame's schema. */
static DmpiExpr *
check_expr (DmpiFrame *f, const char *text, DmpiColType *type, GError **error)
{
  g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, error);
  if (e == NULL)
    return NULL;
  if (!dmpi_expr_check (e, (const char *const *) f->names->pdata, (const DmpiColType *) (gpointer) f->types->data,
                        f->names->len, type, error))
    return NULL;
  return g_steal_pointer (&e);
}

/* ---- readers -------------------------------------------------------------- */

static gboolean
is_csv_name (const char *name)
{
  static const char *const suffixes[] = { ".csv", ".csv.gz", ".csv.bz2", ".csv.xz", ".csv.zst", ".zip" };
  for (gsize i = 0; i < G_N_ELEMENTS (suffixes); i++)
    if (g_str_has_suffix (name, suffixes[i]))
      return TRUE;
  return FALSE;
}

static gboolean
is_parquet_name (const char *name)
{
  return g_str_has_suffix (name, ".parquet");
}

static gint
compare_strings (gconstpointer a, gconstpointer b, G_GNUC_UNUSED gpointer data)
{
  return strcmp (*(const char *const *) a, *(const char *const *) b);
}

/* The files @paths name: each a file, a folder (the files in it that
 * @wanted accepts, hidden ones left out) or a glob pattern. Sorted by name
 * within each item; an item that names nothing is an error. */
static GPtrArray *
expand_paths (const char *verb, const char *const *paths, gboolean (*wanted) (const char *), const char *what,
              GError **error)
{
  g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func (g_free);
  if (paths == NULL || paths[0] == NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: no paths given", verb);
      return NULL;
    }
  for (const char *const *p = paths; *p != NULL; p++)
    {
      guint before = files->len;
      if (g_file_test (*p, G_FILE_TEST_IS_DIR))
        {
          g_autoptr(GError) local = NULL;
          g_autoptr(GDir) dir = g_dir_open (*p, 0, &local);
          if (dir == NULL)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s", verb, local->message);
              return NULL;
            }
          const char *name;
          while ((name = g_dir_read_name (dir)) != NULL)
            {
              g_autofree char *path = g_build_filename (*p, name, NULL);
              if (name[0] != '.' && wanted (name) && g_file_test (path, G_FILE_TEST_IS_REGULAR))
                g_ptr_array_add (files, g_steal_pointer (&path));
            }
        }
      else if (strpbrk (*p, "*?[") != NULL)
        {
          glob_t g;
          if (glob (*p, 0, NULL, &g) == 0)
            {
              for (gsize i = 0; i < g.gl_pathc; i++)
                if (g_file_test (g.gl_pathv[i], G_FILE_TEST_IS_REGULAR))
                  g_ptr_array_add (files, g_strdup (g.gl_pathv[i]));
              globfree (&g);
            }
        }
      else if (g_file_test (*p, G_FILE_TEST_IS_REGULAR))
        g_ptr_array_add (files, g_strdup (*p));
      else
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s: no such file or folder", verb, *p);
          return NULL;
        }
      if (files->len == before)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s: no input files (%s)", verb, *p, what);
          return NULL;
        }
      g_qsort_with_data (files->pdata + before, (gint) (files->len - before), sizeof (gpointer),
                         compare_strings, NULL);
    }
  return g_steal_pointer (&files);
}

static void
csv_format_of (const Source *s, DmpiCsvFormat *format)
{
  dmpi_csv_format_init (format);
  format->delimiter = s->delimiter;
  format->quote = s->quote;
  format->header = s->header;
  format->keep_default_na = s->keep_default_na;
  format->na_values = (const char *const *) s->na_values;
}

/* Every column of the source is in @path's header (by name or alternative). */
static gboolean
check_header (const Source *s, const char *path, GError **error)
{
  DmpiCsvFormat format;
  csv_format_of (s, &format);
  g_auto(GStrv) header = dmpi_csv_read_header_format (path, &format, error);
  if (header == NULL)
    return FALSE;
  for (guint i = 0; i < s->columns->len; i++)
    {
      SourceColumn *c = &g_array_index (s->columns, SourceColumn, i);
      if (g_strv_contains ((const char *const *) header, c->name) ||
          (c->alt != NULL && g_strv_contains ((const char *const *) header, c->alt)))
        continue;
      g_autofree char *have = g_strjoinv (", ", header);
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN, "%s: no column '%s'%s%s%s in the header (%s)",
                   path, c->name, c->alt ? " (or '" : "", c->alt ? c->alt : "", c->alt ? "')" : "", have);
      return FALSE;
    }
  return TRUE;
}

DmpiFrame *
dmpi_read_csv (DmpiClient *client, const char *const *paths, DmpiCsvOptions *options, GError **error)
{
  g_autoptr(DmpiCsvOptions) defaults = options == NULL ? dmpi_csv_options_new () : NULL;
  DmpiCsvOptions *o = options != NULL ? options : defaults;
  g_return_val_if_fail (client != NULL, NULL);

  g_autoptr(GPtrArray) files = expand_paths ("read_csv", paths, is_csv_name,
                                             "*.csv, *.csv.gz, *.csv.bz2, *.csv.xz, *.csv.zst, *.zip", error);
  if (files == NULL)
    return NULL;
  Source *s = source_new (SOURCE_CSV, client);
  g_autoptr(DmpiFrame) frame = frame_new (s);
  /* Dask's default block: 64,000,000 bytes. */
  guint64 blocksize = o->blocksize > 0 ? o->blocksize : G_GUINT64_CONSTANT (64000000);
  s->delimiter = o->delimiter;
  s->quote = o->quote;
  s->header = o->header;
  s->keep_default_na = o->keep_default_na;
  s->na_values = g_strdupv (o->na_values);

  /* The schema: the first file's header, the types given or inferred from a
   * sample of it. */
  const char *first = files->pdata[0];
  DmpiCsvFormat format;
  csv_format_of (s, &format);
  g_auto(GStrv) names = NULL;
  g_autofree DmpiColType *types = NULL;
  /* Types are inferred from a sample only when some column needs it. */
  gboolean all_given = o->columns != NULL;
  for (char **c = o->columns; all_given && *c != NULL; c++)
    all_given = g_hash_table_contains (o->types, *c);
  if (all_given)
    {
      names = dmpi_csv_read_header_format (first, &format, error);
      if (names == NULL)
        return NULL;
      types = g_new0 (DmpiColType, g_strv_length (names) + 1);   /* all given: unused */
    }
  else if (!dmpi_csv_infer_types (first, &format, 0, &names, &types, error))
    return NULL;
  guint n = g_strv_length (names);
  /* A column may be there under its alternative name. */
  g_autoptr(GHashTable) by_alt = g_hash_table_new (g_str_hash, g_str_equal);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init (&it, o->aliases);
  while (g_hash_table_iter_next (&it, &k, &v))
    g_hash_table_insert (by_alt, v, k);
  g_autoptr(GPtrArray) wanted = g_ptr_array_new ();
  if (o->columns != NULL)
    for (char **c = o->columns; *c != NULL; c++)
      g_ptr_array_add (wanted, *c);
  else
    for (guint i = 0; i < n; i++)
      g_ptr_array_add (wanted, g_hash_table_contains (by_alt, names[i]) ? g_hash_table_lookup (by_alt, names[i])
                                                                         : names[i]);
  for (guint w = 0; w < wanted->len; w++)
    {
      const char *name = wanted->pdata[w];
      const char *alt = g_hash_table_lookup (o->aliases, name);
      gint found = -1;
      for (guint i = 0; i < n && found < 0; i++)
        if (strcmp (names[i], name) == 0 || (alt != NULL && strcmp (names[i], alt) == 0))
          found = (gint) i;
      if (found < 0)
        {
          g_autofree char *have = g_strjoinv (", ", names);
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                       "read_csv: %s: no column '%s' in the header (%s)", first, name, have);
          return NULL;
        }
      if (dmpi_frame_get_column_index (frame, name) >= 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "read_csv: column '%s' asked for twice", name);
          return NULL;
        }
      gpointer given = g_hash_table_lookup (o->types, name);
      SourceColumn c = {
        .name = g_strdup (name),
        .alt = g_strdup (alt),
        .out_name = g_strdup (name),
        .format = g_strdup (g_hash_table_lookup (o->formats, name)),
        .type = given != NULL ? (DmpiColType) (GPOINTER_TO_INT (given) - 1) : types[found],
      };
      g_array_append_val (s->columns, c);
      frame_add_column (frame, c.out_name, c.type);
    }
  /* Types given for columns that are not read are a mistake worth telling. */
  g_hash_table_iter_init (&it, o->types);
  while (g_hash_table_iter_next (&it, &k, NULL))
    if (dmpi_frame_get_column_index (frame, k) < 0)
      {
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                     "read_csv: a type is given for column '%s', which is not read", (const char *) k);
        return NULL;
      }

  /* Every file has the columns; plain files are cut into blocks. */
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      if (!check_header (s, path, error))
        return NULL;
      g_autoptr(GArray) blocks = dmpi_csv_list_blocks (path, blocksize, error);
      if (blocks == NULL)
        return NULL;
      for (guint b = 0; b < blocks->len; b++)
        {
          DmpiCsvBlock *blk = &g_array_index (blocks, DmpiCsvBlock, b);
          SourcePart p = { g_strdup (path), blk->offset, blk->length, 0 };
          g_array_append_val (s->parts, p);
        }
    }
  return g_steal_pointer (&frame);
}

DmpiFrame *
dmpi_read_parquet (DmpiClient *client, const char *const *paths, const char *const *columns, GError **error)
{
  g_return_val_if_fail (client != NULL, NULL);
  g_autoptr(GPtrArray) files = expand_paths ("read_parquet", paths, is_parquet_name, "*.parquet", error);
  if (files == NULL)
    return NULL;
  Source *s = source_new (SOURCE_PARQUET, client);
  g_autoptr(DmpiFrame) frame = frame_new (s);
  for (guint i = 0; i < files->len; i++)
    {
      const char *path = files->pdata[i];
      g_autoptr(DmpiParquetFile) file = dmpi_parquet_file_open (path, error);
      if (file == NULL)
        return NULL;
      guint nc = dmpi_parquet_file_get_n_columns (file);
      if (i == 0)
        {
          /* The schema: the first file's columns, or those asked for. */
          g_autoptr(GPtrArray) want = g_ptr_array_new_with_free_func (g_free);
          if (columns != NULL)
            for (const char *const *c = columns; *c != NULL; c++)
              g_ptr_array_add (want, g_strdup (*c));
          else
            for (guint c = 0; c < nc; c++)
              g_ptr_array_add (want, g_strdup (dmpi_parquet_file_get_column_name (file, c)));
          for (guint w = 0; w < want->len; w++)
            {
              gint found = -1;
              for (guint c = 0; c < nc && found < 0; c++)
                if (strcmp (dmpi_parquet_file_get_column_name (file, c), want->pdata[w]) == 0)
                  found = (gint) c;
              gboolean supported = FALSE;
              DmpiColType type = found >= 0 ? dmpi_parquet_file_get_column_type (file, (guint) found, &supported)
                                            : DMPI_COL_STRING;
              if (found < 0 || !supported)
                {
                  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
                               found < 0 ? "read_parquet: %s: no column '%s'"
                                         : "read_parquet: %s: column '%s' has a type this reader cannot convert",
                               path, (const char *) want->pdata[w]);
                  return NULL;
                }
              SourceColumn c = { g_strdup (want->pdata[w]), NULL, g_strdup (want->pdata[w]), NULL, type };
              g_array_append_val (s->columns, c);
              frame_add_column (frame, c.out_name, c.type);
            }
        }
      else
        for (guint w = 0; w < s->columns->len; w++)
          {
            SourceColumn *c = &g_array_index (s->columns, SourceColumn, w);
            gboolean found = FALSE;
            for (guint k = 0; k < nc && !found; k++)
              if (strcmp (dmpi_parquet_file_get_column_name (file, k), c->name) == 0)
                {
                  gboolean supported;
                  found = TRUE;
                  if (dmpi_parquet_file_get_column_type (file, k, &supported) != c->type)
                    {
                      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                                   "read_parquet: %s: column '%s' is %s, in %s it is %s", path, c->name,
                                   dmpi_col_type_name (dmpi_parquet_file_get_column_type (file, k, &supported)),
                                   (const char *) files->pdata[0], dmpi_col_type_name (c->type));
                      return NULL;
                    }
                }
            if (!found)
              {
                g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN, "read_parquet: %s: no column '%s'",
                             path, c->name);
                return NULL;
              }
          }
      guint nrg = dmpi_parquet_file_get_n_row_groups (file);
      for (guint rg = 0; rg < MAX (nrg, 1); rg++)
        {
          /* A file without row groups is one empty partition. */
          SourcePart p = { g_strdup (path), 0, 0, rg };
          if (nrg == 0)
            p.length = G_MAXUINT64;   /* marks "no row group" */
          g_array_append_val (s->parts, p);
        }
    }
  return g_steal_pointer (&frame);
}

DmpiFrame *
dmpi_frame_new_from_futures (DmpiFrame *f, GPtrArray *futures)
{
  Source *s = source_new (SOURCE_FUTURES, f->source->client);
  s->futures = g_ptr_array_ref (futures);
  DmpiFrame *d = frame_new (s);
  for (guint i = 0; i < f->names->len; i++)
    frame_add_column (d, f->names->pdata[i], g_array_index (f->types, DmpiColType, i));
  return d;
}

/* ---- verbs ---------------------------------------------------------------- */

static GVariant *
strv_variant (const char *const *v)
{
  return g_variant_new_strv (v, -1);
}

DmpiFrame *
dmpi_frame_select (DmpiFrame *f, const char *const *columns, GError **error)
{
  g_return_val_if_fail (f != NULL && columns != NULL, NULL);
  for (const char *const *c = columns; *c != NULL; c++)
    {
      if (!need_column (f, "select", *c, NULL, error))
        return NULL;
      for (const char *const *d = columns; d < c; d++)
        if (strcmp (*c, *d) == 0)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "select: column '%s' named twice", *c);
            return NULL;
          }
    }
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "select");
  g_variant_dict_insert_value (&d, "columns", strv_variant (columns));
  DmpiFrame *out = frame_derive (f, g_variant_dict_end (&d));
  g_ptr_array_set_size (out->names, 0);
  g_array_set_size (out->types, 0);
  for (const char *const *c = columns; *c != NULL; c++)
    frame_add_column (out, *c, g_array_index (f->types, DmpiColType, dmpi_frame_get_column_index (f, *c)));
  return out;
}

DmpiFrame *
dmpi_frame_drop (DmpiFrame *f, const char *const *columns, GError **error)
{
  g_return_val_if_fail (f != NULL && columns != NULL, NULL);
  for (const char *const *c = columns; *c != NULL; c++)
    if (!need_column (f, "drop", *c, NULL, error))
      return NULL;
  g_autoptr(GPtrArray) keep = g_ptr_array_new ();
  for (guint i = 0; i < f->names->len; i++)
    if (!g_strv_contains (columns, f->names->pdata[i]))
      g_ptr_array_add (keep, f->names->pdata[i]);
  g_ptr_array_add (keep, NULL);
  /* A drop is the select of the rest. */
  return dmpi_frame_select (f, (const char *const *) keep->pdata, error);
}

DmpiFrame *
dmpi_frame_rename (DmpiFrame *f, const char *const *from, const char *const *to, GError **error)
{
  g_return_val_if_fail (f != NULL && from != NULL && to != NULL, NULL);
  guint n = g_strv_length ((char **) from);
  if (g_strv_length ((char **) to) != n)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "rename: %u old names and %u new ones", n,
                   g_strv_length ((char **) to));
      return NULL;
    }
  g_autofree gint *idx = g_new (gint, n + 1);
  for (guint i = 0; i < n; i++)
    if (!need_column (f, "rename", from[i], &idx[i], error))
      return NULL;
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "rename");
  g_variant_dict_insert_value (&d, "from", strv_variant (from));
  g_variant_dict_insert_value (&d, "to", strv_variant (to));
  g_autoptr(DmpiFrame) out = frame_derive (f, g_variant_dict_end (&d));
  for (guint i = 0; i < n; i++)
    {
      g_free (out->names->pdata[idx[i]]);
      out->names->pdata[idx[i]] = g_strdup (to[i]);
    }
  for (guint i = 0; i < out->names->len; i++)
    for (guint j = 0; j < i; j++)
      if (strcmp (out->names->pdata[i], out->names->pdata[j]) == 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "rename: two columns would be named '%s'",
                       (const char *) out->names->pdata[i]);
          return NULL;
        }
  return g_steal_pointer (&out);
}

DmpiFrame *
dmpi_frame_filter (DmpiFrame *f, const char *expression, GError **error)
{
  g_return_val_if_fail (f != NULL && expression != NULL, NULL);
  DmpiColType type;
  g_autoptr(DmpiExpr) e = check_expr (f, expression, &type, error);
  if (e == NULL)
    return NULL;
  if (type != DMPI_COL_BOOL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "filter: expression '%s' is %s, not bool", expression, dmpi_col_type_name (type));
      return NULL;
    }
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "filter");
  g_variant_dict_insert (&d, "expr", "s", expression);
  return frame_derive (f, g_variant_dict_end (&d));
}

DmpiFrame *
dmpi_frame_assign (DmpiFrame *f, const char *name, const char *expression, GError **error)
{
  g_return_val_if_fail (f != NULL && name != NULL && expression != NULL, NULL);
  if (*name == '\0')
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "assign: an empty column name");
      return NULL;
    }
  DmpiColType type;
  g_autoptr(DmpiExpr) e = check_expr (f, expression, &type, error);
  if (e == NULL)
    return NULL;
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "assign");
  g_variant_dict_insert (&d, "name", "s", name);
  g_variant_dict_insert (&d, "expr", "s", expression);
  DmpiFrame *out = frame_derive (f, g_variant_dict_end (&d));
  gint i = dmpi_frame_get_column_index (out, name);
  if (i >= 0)
    g_array_index (out->types, DmpiColType, i) = type;
  else
    frame_add_column (out, name, type);
  return out;
}

/* `name`, quoted for the expression language. */
static char *
quote_name (const char *name)
{
  GString *s = g_string_new ("`");
  for (const char *p = name; *p; p++)
    {
      if (*p == '`' || *p == '\\')
        g_string_append_c (s, '\\');
      g_string_append_c (s, *p);
    }
  g_string_append_c (s, '`');
  return g_string_free (s, FALSE);
}

DmpiFrame *
dmpi_frame_fillna (DmpiFrame *f, const char *const *columns, const char *value, GError **error)
{
  g_return_val_if_fail (f != NULL && value != NULL, NULL);
  /* The value is one literal: no column, nothing else pasted in. */
  g_autoptr(DmpiExpr) literal = dmpi_expr_parse (value, error);
  if (literal == NULL)
    {
      g_prefix_error (error, "fillna: ");
      return NULL;
    }
  g_auto(GStrv) used = dmpi_expr_get_columns (literal);
  g_autofree char *again = g_strdup_printf ("(%s)", value);
  if (used[0] != NULL || strchr (value, ',') != NULL)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "fillna: the value '%s' is not one literal (a number, a string in quotes, true or false)", value);
      return NULL;
    }
  g_autoptr(DmpiFrame) out = dmpi_frame_ref (f);
  g_autoptr(GPtrArray) targets = g_ptr_array_new ();
  if (columns != NULL)
    for (const char *const *c = columns; *c != NULL; c++)
      {
        if (!need_column (f, "fillna", *c, NULL, error))
          return NULL;
        g_ptr_array_add (targets, (gpointer) *c);
      }
  else
    for (guint i = 0; i < f->names->len; i++)
      g_ptr_array_add (targets, f->names->pdata[i]);
  for (guint i = 0; i < targets->len; i++)
    {
      g_autofree char *q = quote_name (targets->pdata[i]);
      g_autofree char *text = g_strdup_printf ("fillna(%s, %s)", q, again);
      DmpiColType type;
      g_autoptr(GError) local = NULL;
      g_autoptr(DmpiExpr) e = check_expr (out, text, &type, &local);
      if (e == NULL)
        {
          if (columns == NULL && local->domain == DMPI_DF_ERROR && local->code == DMPI_DF_ERROR_INVALID)
            continue;   /* all columns: only those that take the value */
          g_propagate_prefixed_error (error, g_steal_pointer (&local), "fillna: ");
          return NULL;
        }
      /* All columns: only those whose type the value keeps (pandas leaves a
       * bool column without missing values bool). */
      if (columns == NULL && type != g_array_index (out->types, DmpiColType,
                                                    dmpi_frame_get_column_index (out, targets->pdata[i])))
        continue;
      DmpiFrame *next = dmpi_frame_assign (out, targets->pdata[i], text, error);
      if (next == NULL)
        return NULL;
      dmpi_frame_unref (out);
      out = next;
    }
  return g_steal_pointer (&out);
}

DmpiFrame *
dmpi_frame_astype (DmpiFrame *f, const char *column, DmpiColType type, GError **error)
{
  g_return_val_if_fail (f != NULL && column != NULL, NULL);
  gint i;
  if (!need_column (f, "astype", column, &i, error))
    return NULL;
  if (g_array_index (f->types, DmpiColType, i) == type)
    return dmpi_frame_ref (f);
  if ((guint) type >= DMPI_COL_N_TYPES || type == DMPI_COL_DURATION)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID, "astype: column '%s' cannot become %s", column,
                   dmpi_col_type_name (type));
      return NULL;
    }
  g_autofree char *q = quote_name (column);
  g_autofree char *text = g_strdup_printf ("%s(%s)", dmpi_col_type_name (type), q);
  return dmpi_frame_assign (f, column, text, error);
}

DmpiFrame *
dmpi_frame_groupby_agg (DmpiFrame *f, const char *const *keys, const char *const *aggs, GError **error)
{
  g_return_val_if_fail (f != NULL && aggs != NULL, NULL);
  static const char *const no_keys[] = { NULL };
  if (keys == NULL)
    keys = no_keys;
  g_autoptr(GPtrArray) storage = NULL;
  g_autoptr(GArray) specs = dmpi_plan_parse_aggs (aggs, g_strv_length ((char **) aggs), &storage, error);
  if (specs == NULL)
    return NULL;
  g_auto(GStrv) names = NULL;
  g_autofree DmpiColType *types = NULL;
  if (!dmpi_groupby_check ((const char *const *) f->names->pdata, (const DmpiColType *) (gpointer) f->types->data,
                           f->names->len, keys, g_strv_length ((char **) keys),
                           (const DmpiAggSpec *) (gpointer) specs->data, specs->len, &names, &types, error))
    return NULL;
  Source *s = source_new (SOURCE_GROUPBY, f->source->client);
  s->parent = dmpi_frame_ref (f);
  s->keys = g_strdupv ((char **) keys);
  s->aggs = g_strdupv ((char **) aggs);
  DmpiFrame *out = frame_new (s);
  for (guint i = 0; names[i] != NULL; i++)
    frame_add_column (out, names[i], types[i]);
  return out;
}

DmpiFrame *
dmpi_frame_value_counts (DmpiFrame *f, const char *column, GError **error)
{
  g_return_val_if_fail (f != NULL && column != NULL, NULL);
  const char *keys[] = { column, NULL };
  const char *aggs[] = { "count=size()", NULL };
  if (!need_column (f, "value_counts", column, NULL, error))
    return NULL;
  if (strcmp (column, "count") == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "value_counts: the column is called 'count', as the counts would be");
      return NULL;
    }
  g_autoptr(DmpiFrame) g = dmpi_frame_groupby_agg (f, keys, aggs, error);
  if (g == NULL)
    return NULL;
  /* Most frequent first; ties by value, as the group-by sorted them. */
  GVariantBuilder asc;
  g_variant_builder_init (&asc, G_VARIANT_TYPE ("ab"));
  g_variant_builder_add (&asc, "b", FALSE);
  const char *by[] = { "count", NULL };
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "sort");
  g_variant_dict_insert_value (&d, "columns", strv_variant (by));
  g_variant_dict_insert_value (&d, "ascending", g_variant_builder_end (&asc));
  return frame_derive (g, g_variant_dict_end (&d));
}

/* ---- plans: which columns to read, which rows to drop while reading ------- */

static const char *
op_kind (GVariant *op)
{
  const char *kind = "";
  g_variant_lookup (op, "op", "&s", &kind);
  return kind;
}

static char **
op_strv (GVariant *op, const char *key)
{
  char **v = NULL;
  if (!g_variant_lookup (op, key, "^as", &v))
    v = g_new0 (char *, 1);
  return v;
}

static void
add_expr_columns (GHashTable *set, GVariant *op)
{
  const char *text = NULL;
  g_variant_lookup (op, "expr", "&s", &text);
  g_autoptr(DmpiExpr) e = text != NULL ? dmpi_expr_parse (text, NULL) : NULL;
  if (e == NULL)
    return;
  g_auto(GStrv) cols = dmpi_expr_get_columns (e);
  for (char **c = cols; *c != NULL; c++)
    g_hash_table_add (set, g_strdup (*c));
}

static void
add_strv (GHashTable *set, char **v)
{
  for (char **c = v; *c != NULL; c++)
    g_hash_table_add (set, g_strdup (*c));
}

/* Walks the ops backwards from what the sink needs (@needed; NULL: every
 * column): marks the ops that matter (*live), and returns the source
 * columns to read (NULL: all). */
static GHashTable *
needed_columns (DmpiFrame *f, GHashTable *needed, gboolean *live)
{
  GHashTable *n = needed;
  for (guint i = f->ops->len; i-- > 0;)
    {
      GVariant *op = f->ops->pdata[i];
      const char *kind = op_kind (op);
      live[i] = TRUE;
      if (n == NULL)
        continue;
      if (strcmp (kind, "map") == 0)
        {
          g_hash_table_unref (n);
          n = NULL;
        }
      else if (strcmp (kind, "assign") == 0)
        {
          const char *name = "";
          g_variant_lookup (op, "name", "&s", &name);
          if (!g_hash_table_contains (n, name))
            live[i] = FALSE;   /* nothing reads it */
          else
            {
              g_hash_table_remove (n, name);
              add_expr_columns (n, op);
            }
        }
      else if (strcmp (kind, "filter") == 0)
        add_expr_columns (n, op);
      else if (strcmp (kind, "rename") == 0)
        {
          g_auto(GStrv) from = op_strv (op, "from"), to = op_strv (op, "to");
          g_autoptr(GHashTable) before = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
          GHashTableIter it;
          gpointer k;
          g_hash_table_iter_init (&it, n);
          while (g_hash_table_iter_next (&it, &k, NULL))
            {
              const char *name = k;
              for (guint j = 0; to[j] != NULL; j++)
                if (strcmp (to[j], name) == 0)
                  {
                    name = from[j];
                    break;
                  }
              if (name != NULL)
                g_hash_table_add (before, g_strdup (name));
            }
          g_hash_table_remove_all (n);
          g_hash_table_iter_init (&it, before);
          while (g_hash_table_iter_next (&it, &k, NULL))
            g_hash_table_add (n, g_strdup (k));
        }
      else if (strcmp (kind, "sort") == 0)
        {
          g_auto(GStrv) cols = op_strv (op, "columns");
          add_strv (n, cols);
        }
    }
  return n;
}

/* The ops that matter, with select/drop/rename cut to the columns read. */
static GPtrArray *
prune_ops (DmpiFrame *f, const gboolean *live, GHashTable *available)
{
  GPtrArray *out = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
  for (guint i = 0; i < f->ops->len; i++)
    {
      GVariant *op = f->ops->pdata[i];
      const char *kind = op_kind (op);
      if (!live[i])
        continue;
      if (available == NULL)
        {
          g_ptr_array_add (out, g_variant_ref (op));
          continue;
        }
      if (strcmp (kind, "select") == 0)
        {
          g_auto(GStrv) cols = op_strv (op, "columns");
          g_autoptr(GPtrArray) keep = g_ptr_array_new ();
          for (char **c = cols; *c != NULL; c++)
            if (g_hash_table_contains (available, *c))
              g_ptr_array_add (keep, *c);
          g_ptr_array_add (keep, NULL);
          g_hash_table_remove_all (available);
          for (guint k = 0; keep->pdata[k] != NULL; k++)
            g_hash_table_add (available, g_strdup (keep->pdata[k]));
          GVariantDict d;
          g_variant_dict_init (&d, NULL);
          g_variant_dict_insert (&d, "op", "s", "select");
          g_variant_dict_insert_value (&d, "columns", strv_variant ((const char *const *) keep->pdata));
          g_ptr_array_add (out, g_variant_ref_sink (g_variant_dict_end (&d)));
        }
      else if (strcmp (kind, "rename") == 0)
        {
          g_auto(GStrv) from = op_strv (op, "from"), to = op_strv (op, "to");
          g_autoptr(GPtrArray) f2 = g_ptr_array_new (), t2 = g_ptr_array_new ();
          for (guint j = 0; from[j] != NULL; j++)
            if (g_hash_table_contains (available, from[j]))
              g_ptr_array_add (f2, from[j]), g_ptr_array_add (t2, to[j]);
          for (guint j = 0; j < f2->len; j++)
            g_hash_table_remove (available, f2->pdata[j]);
          for (guint j = 0; j < t2->len; j++)
            g_hash_table_add (available, g_strdup (t2->pdata[j]));
          g_ptr_array_add (f2, NULL);
          g_ptr_array_add (t2, NULL);
          GVariantDict d;
          g_variant_dict_init (&d, NULL);
          g_variant_dict_insert (&d, "op", "s", "rename");
          g_variant_dict_insert_value (&d, "from", strv_variant ((const char *const *) f2->pdata));
          g_variant_dict_insert_value (&d, "to", strv_variant ((const char *const *) t2->pdata));
          g_ptr_array_add (out, g_variant_ref_sink (g_variant_dict_end (&d)));
        }
      else
        {
          if (strcmp (kind, "assign") == 0)
            {
              const char *name = "";
              g_variant_lookup (op, "name", "&s", &name);
              g_hash_table_add (available, g_strdup (name));
            }
          g_ptr_array_add (out, g_variant_ref (op));
        }
    }
  return out;
}

static gboolean
is_numeric (DmpiColType t)
{
  return t == DMPI_COL_INT32 || t == DMPI_COL_INT64 || t == DMPI_COL_FLOAT32 || t == DMPI_COL_FLOAT64;
}

/* A bound the reader compares as a double gives the filter's answer: the
 * expression compares in the column's type, so the bound must be exact in it. */
static gboolean
exact_in (DmpiColType t, double v)
{
  if (isinf (v))
    return TRUE;
  switch (t)
    {
    case DMPI_COL_FLOAT32: return (double) (float) v == v;
    case DMPI_COL_INT32:
    case DMPI_COL_INT64:   return fabs (v) < 9007199254740992.0;   /* 2^53 */
    case DMPI_COL_FLOAT64: return TRUE;
    default:               return FALSE;
    }
}

/* Moves the range conditions of the filters at the head of @ops (before
 * any op that changes values) into @ranges, on the reader's columns
 * (@read: SourceColumn*). */
static void
push_down_filters (GPtrArray *ops, GPtrArray *read, GVariantBuilder *ranges)
{
  /* Current name → index into @read, through renames and selects. */
  g_autoptr(GHashTable) where = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  for (guint i = 0; i < read->len; i++)
    g_hash_table_insert (where, g_strdup (((SourceColumn *) read->pdata[i])->out_name), GUINT_TO_POINTER (i + 1));
  for (guint i = 0; i < ops->len; i++)
    {
      GVariant *op = ops->pdata[i];
      const char *kind = op_kind (op);
      if (strcmp (kind, "select") == 0)
        continue;
      if (strcmp (kind, "rename") == 0)
        {
          g_auto(GStrv) from = op_strv (op, "from"), to = op_strv (op, "to");
          g_autoptr(GArray) idx = g_array_new (FALSE, TRUE, sizeof (gpointer));
          for (guint j = 0; from[j] != NULL; j++)
            {
              gpointer v = g_hash_table_lookup (where, from[j]);
              g_array_append_val (idx, v);
              g_hash_table_remove (where, from[j]);
            }
          for (guint j = 0; to[j] != NULL; j++)
            if (g_array_index (idx, gpointer, j) != NULL)
              g_hash_table_insert (where, g_strdup (to[j]), g_array_index (idx, gpointer, j));
          continue;
        }
      if (strcmp (kind, "filter") != 0)
        return;
      const char *text = "";
      g_variant_lookup (op, "expr", "&s", &text);
      g_autoptr(DmpiExpr) e = dmpi_expr_parse (text, NULL);
      DmpiExpr *rest = NULL;
      GArray *found = e != NULL ? dmpi_expr_split_ranges (e, &rest) : NULL;
      g_autoptr(DmpiExpr) owned_rest = rest;
      gboolean all = found != NULL && found->len > 0;
      for (guint r = 0; all && r < found->len; r++)
        {
          DmpiExprRange *range = &g_array_index (found, DmpiExprRange, r);
          guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (where, range->column));
          SourceColumn *c = idx > 0 ? read->pdata[idx - 1] : NULL;
          all = c != NULL && is_numeric (c->type) && exact_in (c->type, range->lo) && exact_in (c->type, range->hi);
        }
      if (all)
        {
          for (guint r = 0; r < found->len; r++)
            {
              DmpiExprRange *range = &g_array_index (found, DmpiExprRange, r);
              guint idx = GPOINTER_TO_UINT (g_hash_table_lookup (where, range->column));
              g_variant_builder_add (ranges, "(uddbb)", idx - 1, range->lo, range->hi, range->lo_inclusive,
                                     range->hi_inclusive);
            }
          if (rest == NULL)
            {
              g_ptr_array_remove_index (ops, i);
              i--;
            }
          else
            {
              GVariantDict d;
              g_variant_dict_init (&d, NULL);
              g_variant_dict_insert (&d, "op", "s", "filter");
              g_variant_dict_insert (&d, "expr", "s", dmpi_expr_get_text (rest));
              g_variant_unref (ops->pdata[i]);
              ops->pdata[i] = g_variant_ref_sink (g_variant_dict_end (&d));
            }
        }
      if (found != NULL)
        dmpi_expr_ranges_free (found);
      if (!all)
        return;
    }
}

gboolean
dmpi_frame_keeps_rows (DmpiFrame *f)
{
  for (guint i = 0; i < f->ops->len; i++)
    {
      const char *kind = op_kind (f->ops->pdata[i]);
      if (strcmp (kind, "filter") == 0 || strcmp (kind, "map") == 0 || strcmp (kind, "limit") == 0)
        return FALSE;
    }
  return TRUE;
}

static gboolean
ops_keep_rows (GPtrArray *ops)
{
  for (guint i = 0; i < ops->len; i++)
    {
      const char *kind = op_kind (ops->pdata[i]);
      if (strcmp (kind, "filter") == 0 || strcmp (kind, "map") == 0)
        return FALSE;
    }
  return TRUE;
}

/* What the sink reads: NULL for every column. */
static GHashTable *
sink_needs (DmpiFrame *f, GVariant *sink)
{
  const char *kind = "";
  g_variant_lookup (sink, "kind", "&s", &kind);
  GHashTable *n = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);
  if (strcmp (kind, "len") == 0)
    return n;
  if (strcmp (kind, "partial") == 0)
    {
      g_auto(GStrv) keys = op_strv (sink, "keys"), aggs = op_strv (sink, "aggs");
      add_strv (n, keys);
      g_autoptr(GPtrArray) storage = NULL;
      g_autoptr(GArray) specs = dmpi_plan_parse_aggs ((const char *const *) aggs, g_strv_length (aggs), &storage, NULL);
      for (guint i = 0; specs != NULL && i < specs->len; i++)
        if (g_array_index (specs, DmpiAggSpec, i).column != NULL)
          g_hash_table_add (n, g_strdup (g_array_index (specs, DmpiAggSpec, i).column));
      return n;
    }
  for (guint i = 0; i < f->names->len; i++)
    g_hash_table_add (n, g_strdup (f->names->pdata[i]));
  return n;
}

static GVariant *
ops_variant (GPtrArray *ops)
{
  GVariantBuilder b;
  g_variant_builder_init (&b, G_VARIANT_TYPE ("aa{sv}"));
  for (guint i = 0; i < ops->len; i++)
    g_variant_builder_add_value (&b, ops->pdata[i]);
  return g_variant_builder_end (&b);
}

GVariant *
dmpi_frame_partition_plan (DmpiFrame *f, guint part, GVariant *sink, guint64 max_rows, DmpiFuture **dep,
                           GError **error)
{
  Source *s = f->source;
  g_autoptr(GVariant) sink_ref = g_variant_ref_sink (sink);
  GVariantDict src;
  g_variant_dict_init (&src, NULL);
  *dep = NULL;

  if (s->kind == SOURCE_GROUPBY && !dmpi_frame_realize (f, NULL, error))
    return NULL;
  if (s->kind == SOURCE_FUTURES)
    {
      g_variant_dict_insert (&src, "kind", "s", "input");
      g_variant_dict_insert (&src, "index", "u", 0);
      *dep = s->futures->pdata[part];
      g_autoptr(GPtrArray) ops = g_ptr_array_new_with_free_func ((GDestroyNotify) g_variant_unref);
      for (guint i = 0; i < f->ops->len; i++)
        g_ptr_array_add (ops, g_variant_ref (f->ops->pdata[i]));
      if (max_rows > 0)
        {
          GVariantDict d;
          g_variant_dict_init (&d, NULL);
          g_variant_dict_insert (&d, "op", "s", "limit");
          g_variant_dict_insert (&d, "n", "t", max_rows);
          g_ptr_array_add (ops, g_variant_ref_sink (g_variant_dict_end (&d)));
        }
      return g_variant_new ("(@a{sv}@aa{sv}@a{sv})", g_variant_dict_end (&src), ops_variant (ops), sink_ref);
    }

  /* A reader: only the columns something needs, rows dropped while parsing. */
  g_autofree gboolean *live = g_new0 (gboolean, f->ops->len + 1);
  g_autoptr(GHashTable) needed = needed_columns (f, sink_needs (f, sink_ref), live);
  g_autoptr(GPtrArray) read = g_ptr_array_new ();
  g_autoptr(GHashTable) available = needed != NULL ? g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL)
                                                   : NULL;
  for (guint i = 0; i < s->columns->len; i++)
    {
      SourceColumn *c = &g_array_index (s->columns, SourceColumn, i);
      if (needed == NULL || g_hash_table_contains (needed, c->out_name))
        {
          g_ptr_array_add (read, c);
          if (available != NULL)
            g_hash_table_add (available, g_strdup (c->out_name));
        }
    }
  g_autoptr(GPtrArray) ops = prune_ops (f, live, available);
  SourcePart *p = &g_array_index (s->parts, SourcePart, part);
  if (s->kind == SOURCE_CSV)
    {
      GVariantBuilder cols, ranges;
      g_variant_builder_init (&cols, G_VARIANT_TYPE ("a(sssis)"));
      for (guint i = 0; i < read->len; i++)
        {
          SourceColumn *c = read->pdata[i];
          g_variant_builder_add (&cols, "(sssis)", c->name, c->alt ? c->alt : "", c->out_name, (gint32) c->type,
                                 c->format ? c->format : "");
        }
      g_variant_builder_init (&ranges, G_VARIANT_TYPE ("a(uddbb)"));
      push_down_filters (ops, read, &ranges);
      g_variant_dict_insert (&src, "kind", "s", "csv");
      g_variant_dict_insert (&src, "path", "s", p->path);
      g_variant_dict_insert (&src, "offset", "t", p->offset);
      g_variant_dict_insert (&src, "length", "t", p->length);
      g_variant_dict_insert_value (&src, "columns", g_variant_builder_end (&cols));
      g_variant_dict_insert_value (&src, "ranges", g_variant_builder_end (&ranges));
      g_variant_dict_insert (&src, "delimiter", "y", (guchar) s->delimiter);
      g_variant_dict_insert (&src, "quote", "y", (guchar) s->quote);
      g_variant_dict_insert (&src, "header", "b", s->header);
      g_variant_dict_insert (&src, "keep_default_na", "b", s->keep_default_na);
      if (s->na_values != NULL)
        g_variant_dict_insert_value (&src, "na_values", strv_variant ((const char *const *) s->na_values));
    }
  else
    {
      g_autoptr(GPtrArray) names = g_ptr_array_new ();
      for (guint i = 0; i < read->len; i++)
        g_ptr_array_add (names, ((SourceColumn *) read->pdata[i])->name);
      g_ptr_array_add (names, NULL);
      g_variant_dict_insert (&src, "kind", "s", "parquet");
      g_variant_dict_insert (&src, "path", "s", p->path);
      g_variant_dict_insert (&src, "row_group", "u", p->row_group);
      g_variant_dict_insert (&src, "n_row_groups", "u", p->length == G_MAXUINT64 ? 0 : 1);
      g_variant_dict_insert_value (&src, "columns", strv_variant ((const char *const *) names->pdata));
    }
  if (max_rows > 0)
    {
      if (ops_keep_rows (ops))
        g_variant_dict_insert (&src, "max_rows", "t", max_rows);
      GVariantDict d;
      g_variant_dict_init (&d, NULL);
      g_variant_dict_insert (&d, "op", "s", "limit");
      g_variant_dict_insert (&d, "n", "t", max_rows);
      g_ptr_array_add (ops, g_variant_ref_sink (g_variant_dict_end (&d)));
    }
  return g_variant_new ("(@a{sv}@aa{sv}@a{sv})", g_variant_dict_end (&src), ops_variant (ops), sink_ref);
}

static gint64 token_counter;

guint64
dmpi_frame_new_token (void)
{
  if (token_counter == 0)
    token_counter = (gint64) g_random_int ();
  return (guint64) ++token_counter;
}

char *
dmpi_frame_task_key (const char *verb, guint64 token, guint part)
{
  return g_strdup_printf ("%s-%08" G_GINT64_MODIFIER "x-%u", verb, token, part);
}

/* ---- map_partitions ------------------------------------------------------- */

/* The schema @function makes of an empty partition of @f's schema: one
 * task on a worker (Dask's meta inference). */
static GVariant *
infer_meta (DmpiFrame *f, GVariant *op, GError **error)
{
  GVariantDict src, sink;
  GVariantBuilder types, ops;
  g_variant_dict_init (&src, NULL);
  g_variant_dict_insert (&src, "kind", "s", "empty");
  g_ptr_array_add (f->names, NULL);
  g_variant_dict_insert_value (&src, "names", g_variant_new_strv ((const char *const *) f->names->pdata, -1));
  g_ptr_array_set_size (f->names, f->names->len - 1);
  g_variant_builder_init (&types, G_VARIANT_TYPE ("ai"));
  for (guint i = 0; i < f->types->len; i++)
    g_variant_builder_add (&types, "i", (gint32) g_array_index (f->types, DmpiColType, i));
  g_variant_dict_insert_value (&src, "types", g_variant_builder_end (&types));
  g_variant_builder_init (&ops, G_VARIANT_TYPE ("aa{sv}"));
  g_variant_builder_add_value (&ops, op);
  g_variant_dict_init (&sink, NULL);
  g_variant_dict_insert (&sink, "kind", "s", "schema");
  GVariant *plan = g_variant_new ("(@a{sv}@aa{sv}@a{sv})", g_variant_dict_end (&src), g_variant_builder_end (&ops),
                                  g_variant_dict_end (&sink));
  DmpiClient *client = dmpi_frame_get_client (f);
  g_autofree char *key = dmpi_frame_task_key ("meta", dmpi_frame_new_token (), 0);
  DmpiSubmitOptions opts = { .key = key };
  g_autoptr(DmpiFuture) fut = dmpi_client_submit_full (client, "meta", plan, NULL, 0, &opts, error);
  if (fut == NULL)
    return NULL;
  g_autoptr(GVariant) schema = dmpi_client_gather_one (client, fut, error);
  if (schema == NULL)
    return NULL;
  if (!g_variant_is_of_type (schema, G_VARIANT_TYPE ("a(si)")))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "map_partitions: the meta task returned %s",
                   g_variant_get_type_string (schema));
      return NULL;
    }
  return g_steal_pointer (&schema);
}

DmpiFrame *
dmpi_frame_map_partitions (DmpiFrame *f, const char *function, GVariant *args, const char *const *meta_names,
                           const DmpiColType *meta_types, guint n_meta, GError **error)
{
  g_return_val_if_fail (f != NULL && function != NULL, NULL);
  g_return_val_if_fail (meta_names == NULL || meta_types != NULL, NULL);
  g_autoptr(GVariant) owned_args = args != NULL ? g_variant_ref_sink (args) : NULL;
  GVariantDict d;
  g_variant_dict_init (&d, NULL);
  g_variant_dict_insert (&d, "op", "s", "map");
  g_variant_dict_insert (&d, "function", "s", function);
  if (owned_args != NULL)
    g_variant_dict_insert_value (&d, "args", owned_args);
  g_autoptr(GVariant) op = g_variant_ref_sink (g_variant_dict_end (&d));

  g_autoptr(GVariant) inferred = NULL;
  if (meta_names == NULL)
    {
      inferred = infer_meta (f, op, error);
      if (inferred == NULL)
        return NULL;
      n_meta = (guint) g_variant_n_children (inferred);
    }
  g_autoptr(DmpiFrame) out = frame_derive (f, NULL);
  g_ptr_array_set_size (out->names, 0);
  g_array_set_size (out->types, 0);
  for (guint i = 0; i < n_meta; i++)
    {
      const char *name;
      gint32 type;
      if (inferred != NULL)
        g_variant_get_child (inferred, i, "(&si)", &name, &type);
      else
        name = meta_names[i], type = (gint32) meta_types[i];
      if (type < 0 || type >= DMPI_COL_N_TYPES || dmpi_frame_get_column_index (out, name) >= 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "map_partitions %s: meta column '%s' is repeated or has no valid type", function, name);
          return NULL;
        }
      frame_add_column (out, name, (DmpiColType) type);
    }
  /* The op carries the schema, so that every partition is checked against it. */
  GVariantBuilder types;
  g_variant_builder_init (&types, G_VARIANT_TYPE ("ai"));
  for (guint i = 0; i < out->types->len; i++)
    g_variant_builder_add (&types, "i", (gint32) g_array_index (out->types, DmpiColType, i));
  g_variant_dict_init (&d, op);
  g_ptr_array_add (out->names, NULL);
  g_variant_dict_insert_value (&d, "meta_names", g_variant_new_strv ((const char *const *) out->names->pdata, -1));
  g_ptr_array_set_size (out->names, out->names->len - 1);
  g_variant_dict_insert_value (&d, "meta_types", g_variant_builder_end (&types));
  g_ptr_array_add (out->ops, g_variant_ref_sink (g_variant_dict_end (&d)));
  return g_steal_pointer (&out);
}
