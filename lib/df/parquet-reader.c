/* Parquet reader: the footer (schema, row groups, key-value metadata),
 * the columns as this layer types them, and reads of column chunks by
 * their byte ranges. The decoding of a chunk is in parquet-chunk.c. */
#include "config.h"

#include "df/parquet-reader.h"
#include "df/parquet-reader-private.h"
#include "df/parquet-codec.h"
#include "df/parquet-format.h"
#include "df/thrift-read.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define NS_PER_DAY G_GINT64_CONSTANT (86400000000000)

typedef struct {
  gint64   type, type_length, repetition, num_children, converted, scale, precision;
  char    *name;
  gint64   logical;           /* LogicalType's field id; 0: none */
  gint64   unit;              /* TIME, TIMESTAMP: DMPI_PQ_MILLIS... */
  gint64   bit_width;         /* INTEGER */
  gboolean is_signed;
  gint64   lt_scale, lt_precision;
} SchemaElement;

struct _DmpiParquetFile {
  char            *path;
  int              fd;          /* -1 when reading from bytes */
  GBytes          *bytes;
  guint64          size;
  guint64          footer_start;
  guint64          n_rows;
  DmpiPqColumn    *columns;
  guint            n_columns;
  DmpiPqRowGroup  *row_groups;
  guint            n_row_groups;
  guint            n_leaves;
  gsize            max_bytes;
};

static gboolean
file_error (GError **error, gint code, const DmpiParquetFile *f, const char *fmt, ...)
  G_GNUC_PRINTF (4, 5);

static gboolean
file_error (GError **error, gint code, const DmpiParquetFile *f, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *msg = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, DMPI_DF_ERROR, code, "%s: %s", f->path, msg);
  return FALSE;
}

/* ---- Bytes of the file -------------------------------------------------- */

/* @len bytes at @offset (inside the file: checked by the callers): a pointer
 * into the bytes in memory, or into *buf, read with pread. Errors do not
 * name the file: the callers add it. */
static const guint8 *
read_range (DmpiParquetFile *f, guint64 offset, gsize len, guint8 **buf, gsize *cap,
            GError **error)
{
  g_assert (offset <= f->size && len <= f->size - offset);
  if (f->bytes != NULL)
    return (const guint8 *) g_bytes_get_data (f->bytes, NULL) + offset;
  if (len > *cap)
    {
      guint8 *p = g_try_realloc (*buf, len);
      if (p == NULL)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                       "cannot allocate %" G_GSIZE_FORMAT " bytes to read", len);
          return NULL;
        }
      *buf = p;
      *cap = len;
    }
  gsize done = 0;
  while (done < len)
    {
      ssize_t n = pread (f->fd, *buf + done, MIN (len - done, (gsize) G_MAXSSIZE),
                         (off_t) (offset + done));
      if (n < 0 && errno == EINTR)
        continue;
      if (n < 0)
        {
          int e = errno;
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "cannot read %" G_GSIZE_FORMAT
                       " bytes at offset %" G_GUINT64_FORMAT ": %s", len, offset, g_strerror (e));
          return NULL;
        }
      if (n == 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "the file ends at offset %"
                       G_GUINT64_FORMAT ", before the %" G_GSIZE_FORMAT " bytes at offset %"
                       G_GUINT64_FORMAT " (did it shrink?)", offset + done, len, offset);
          return NULL;
        }
      done += (gsize) n;
    }
  return *buf;
}

/* ---- The footer ---------------------------------------------------------------- */

/* Skips the @n elements of a list of unexpected type @et. */
static void
skip_elements (DmpiThriftReader *r, DmpiThriftType et, guint32 n)
{
  for (guint32 i = 0; i < n && r->error == NULL; i++)
    (void) dmpi_thrift_read_elem_int (r, et);
}

static void
parse_logical_type (DmpiThriftReader *r, SchemaElement *el)
{
  gint16 last = 0, id;
  DmpiThriftType t;

  if (!dmpi_thrift_struct_enter (r))
    return;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    {
      gint16 last2 = 0, id2;
      DmpiThriftType t2;
      if (t != DMPI_THRIFT_STRUCT)
        {
          dmpi_thrift_skip (r, t);
          continue;
        }
      el->logical = id;
      dmpi_thrift_struct_enter (r);
      while (dmpi_thrift_next_field (r, &last2, &id2, &t2))
        {
          if (id == DMPI_PQ_LT_DECIMAL && id2 == 1)
            el->lt_scale = dmpi_thrift_read_int (r, t2);
          else if (id == DMPI_PQ_LT_DECIMAL && id2 == 2)
            el->lt_precision = dmpi_thrift_read_int (r, t2);
          else if ((id == DMPI_PQ_LT_TIME || id == DMPI_PQ_LT_TIMESTAMP) && id2 == 2
                   && t2 == DMPI_THRIFT_STRUCT)
            {
              /* TimeUnit: a union of empty structs */
              gint16 last3 = 0, id3;
              DmpiThriftType t3;
              dmpi_thrift_struct_enter (r);
              while (dmpi_thrift_next_field (r, &last3, &id3, &t3))
                {
                  el->unit = id3;
                  dmpi_thrift_skip (r, t3);
                }
            }
          else if (id == DMPI_PQ_LT_INTEGER && id2 == 1)
            el->bit_width = dmpi_thrift_read_int (r, t2);
          else if (id == DMPI_PQ_LT_INTEGER && id2 == 2)
            el->is_signed = dmpi_thrift_read_bool (r, t2);
          else
            dmpi_thrift_skip (r, t2);
        }
    }
}

static void
parse_schema_element (DmpiThriftReader *r, SchemaElement *el)
{
  gint16 last = 0, id;
  DmpiThriftType t;
  const guint8 *s;
  gsize len;

  el->type = el->type_length = el->repetition = el->converted = -1;
  el->scale = el->precision = el->lt_scale = el->lt_precision = -1;
  if (!dmpi_thrift_struct_enter (r))
    return;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    switch (id)
      {
      case 1: el->type = dmpi_thrift_read_int (r, t); break;
      case 2: el->type_length = dmpi_thrift_read_int (r, t); break;
      case 3: el->repetition = dmpi_thrift_read_int (r, t); break;
      case 4:
        s = dmpi_thrift_read_binary (r, t, &len);
        if (s != NULL && el->name == NULL)
          el->name = g_strndup ((const char *) s, len);
        break;
      case 5: el->num_children = dmpi_thrift_read_int (r, t); break;
      case 6: el->converted = dmpi_thrift_read_int (r, t); break;
      case 7: el->scale = dmpi_thrift_read_int (r, t); break;
      case 8: el->precision = dmpi_thrift_read_int (r, t); break;
      case 10:
        if (t == DMPI_THRIFT_STRUCT)
          parse_logical_type (r, el);
        else
          dmpi_thrift_skip (r, t);
        break;
      default: dmpi_thrift_skip (r, t);
      }
}

static void
parse_column_meta (DmpiThriftReader *r, DmpiPqChunk *c)
{
  gint16 last = 0, id;
  DmpiThriftType t;

  if (!dmpi_thrift_struct_enter (r))
    return;
  c->has_meta = TRUE;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    switch (id)
      {
      case 1: c->type = dmpi_thrift_read_int (r, t); break;
      case 4: c->codec = dmpi_thrift_read_int (r, t); break;
      case 5: c->num_values = dmpi_thrift_read_int (r, t); break;
      case 7: c->total_compressed = dmpi_thrift_read_int (r, t); break;
      case 9: c->data_page_offset = dmpi_thrift_read_int (r, t); break;
      case 11: c->dict_page_offset = dmpi_thrift_read_int (r, t); break;
      default: dmpi_thrift_skip (r, t);
      }
}

static void
parse_column_chunk (DmpiThriftReader *r, DmpiPqChunk *c)
{
  gint16 last = 0, id;
  DmpiThriftType t;

  c->type = c->codec = c->num_values = c->total_compressed = c->data_page_offset = -1;
  c->dict_page_offset = -1;
  if (!dmpi_thrift_struct_enter (r))
    return;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    if (id == 1 && t == DMPI_THRIFT_BINARY)
      {
        dmpi_thrift_skip (r, t);
        c->external = TRUE;
      }
    else if (id == 3 && t == DMPI_THRIFT_STRUCT)
      parse_column_meta (r, c);
    else
      dmpi_thrift_skip (r, t);
}

static gboolean
parse_row_group (DmpiThriftReader *r, DmpiParquetFile *f, DmpiPqRowGroup *rg, guint index,
                 GError **error)
{
  gint16 last = 0, id;
  DmpiThriftType t, et;
  guint32 n;
  gboolean have_columns = FALSE;

  rg->n_rows = -1;
  if (!dmpi_thrift_struct_enter (r))
    return TRUE;
  while (dmpi_thrift_next_field (r, &last, &id, &t))
    if (id == 1 && !have_columns && dmpi_thrift_read_list (r, t, &et, &n))
      {
        have_columns = TRUE;
        if (et != DMPI_THRIFT_STRUCT || n != f->n_leaves)
          return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "row group %u has %u column chunks "
                             "for the schema's %u columns", index, n, f->n_leaves);
        rg->chunks = g_new0 (DmpiPqChunk, f->n_leaves);
        for (guint32 i = 0; i < n && r->error == NULL; i++)
          parse_column_chunk (r, &rg->chunks[i]);
      }
    else if (id == 3)
      rg->n_rows = dmpi_thrift_read_int (r, t);
    else
      dmpi_thrift_skip (r, t);
  if (r->error == NULL && (!have_columns || rg->n_rows < 0))
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "row group %u lacks its columns or its "
                       "number of rows", index);
  return TRUE;
}

/* The duration columns named in the writer's key-value entry: lines of
 * "duration NAME", the name %-escaped. */
static void
parse_types_entry (const guint8 *value, gsize len, GHashTable *durations)
{
  g_autofree char *text = g_strndup ((const char *) value, len);
  g_auto (GStrv) lines = g_strsplit (text, "\n", -1);
  for (char **l = lines; *l != NULL; l++)
    if (g_str_has_prefix (*l, "duration "))
      {
        char *name = g_uri_unescape_string (*l + strlen ("duration "), NULL);
        if (name != NULL)
          g_hash_table_add (durations, name);
      }
}

static void
parse_key_values (DmpiThriftReader *r, DmpiThriftType t, GHashTable *durations)
{
  DmpiThriftType et;
  guint32 n;

  if (!dmpi_thrift_read_list (r, t, &et, &n))
    return;
  for (guint32 i = 0; i < n && r->error == NULL; i++)
    {
      gint16 last = 0, id;
      DmpiThriftType ft;
      const guint8 *key = NULL, *value = NULL;
      gsize key_len = 0, value_len = 0;
      if (et != DMPI_THRIFT_STRUCT)
        {
          skip_elements (r, et, n - i);
          return;
        }
      if (!dmpi_thrift_struct_enter (r))
        return;
      while (dmpi_thrift_next_field (r, &last, &id, &ft))
        if (id == 1)
          key = dmpi_thrift_read_binary (r, ft, &key_len);
        else if (id == 2)
          value = dmpi_thrift_read_binary (r, ft, &value_len);
        else
          dmpi_thrift_skip (r, ft);
      if (key != NULL && value != NULL && key_len == strlen (DMPI_PQ_TYPES_KEY)
          && memcmp (key, DMPI_PQ_TYPES_KEY, key_len) == 0)
        parse_types_entry (value, value_len, durations);
    }
}

/* ---- Types ---------------------------------------------------------------------- */

static void
unsupported (DmpiPqColumn *col, const char *fmt, ...) G_GNUC_PRINTF (2, 3);

static void
unsupported (DmpiPqColumn *col, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_free (col->problem);
  col->problem = g_strdup_vprintf (fmt, ap);
  va_end (ap);
}

static void
map_decimal (DmpiPqColumn *col, const SchemaElement *el, DmpiPqConv conv)
{
  gint64 scale = el->logical == DMPI_PQ_LT_DECIMAL ? el->lt_scale : el->scale;
  col->type = DMPI_COL_FLOAT64;
  col->conv = conv;
  col->scale = scale < 0 ? 0 : scale;
  if (scale > 38)
    unsupported (col, "a DECIMAL of scale %" G_GINT64_FORMAT, scale);
}

/* The column type and conversion of a flat leaf. */
static void
map_leaf (DmpiPqColumn *col, const SchemaElement *el)
{
  gint64 lt = el->logical, ct = el->converted;
  gboolean decimal = lt == DMPI_PQ_LT_DECIMAL || (lt == 0 && ct == DMPI_PQ_CT_DECIMAL);
  gboolean timestamp = lt == DMPI_PQ_LT_TIMESTAMP
                       || (lt == 0 && (ct == DMPI_PQ_CT_TIMESTAMP_MILLIS
                                       || ct == DMPI_PQ_CT_TIMESTAMP_MICROS));
  gboolean time = lt == DMPI_PQ_LT_TIME
                  || (lt == 0 && (ct == DMPI_PQ_CT_TIME_MILLIS || ct == DMPI_PQ_CT_TIME_MICROS));
  gboolean date = lt == DMPI_PQ_LT_DATE || (lt == 0 && ct == DMPI_PQ_CT_DATE);
  gint64 unit = el->unit;
  if (lt == 0 && (ct == DMPI_PQ_CT_TIMESTAMP_MILLIS || ct == DMPI_PQ_CT_TIME_MILLIS))
    unit = DMPI_PQ_MILLIS;
  else if (lt == 0 && (ct == DMPI_PQ_CT_TIMESTAMP_MICROS || ct == DMPI_PQ_CT_TIME_MICROS))
    unit = DMPI_PQ_MICROS;
  gint64 unit_factor = unit == DMPI_PQ_MILLIS ? 1000000 : unit == DMPI_PQ_MICROS ? 1000 : 1;
  gboolean is_unsigned = lt == DMPI_PQ_LT_INTEGER ? !el->is_signed
                         : lt == 0 && ct >= DMPI_PQ_CT_UINT_8 && ct <= DMPI_PQ_CT_UINT_64;

  col->physical = el->type;
  col->type_length = el->type_length;
  col->optional = el->repetition == DMPI_PQ_OPTIONAL;
  col->conv = DMPI_PQ_CONV_COPY;
  col->factor = 1;
  if (el->repetition == DMPI_PQ_REPEATED)
    unsupported (col, "a repeated column");

  switch (el->type)
    {
    case DMPI_PQ_BOOLEAN:
      col->type = DMPI_COL_BOOL;
      col->conv = DMPI_PQ_CONV_BOOL;
      break;
    case DMPI_PQ_INT32:
      col->type = DMPI_COL_INT32;
      if (decimal)
        map_decimal (col, el, DMPI_PQ_CONV_DEC_I32);
      else if (date)
        {
          col->type = DMPI_COL_TIMESTAMP;
          col->conv = DMPI_PQ_CONV_I32_SCALE;
          col->factor = NS_PER_DAY;
        }
      else if (time && unit == DMPI_PQ_MILLIS)
        {
          col->type = DMPI_COL_DURATION;
          col->conv = DMPI_PQ_CONV_I32_SCALE;
          col->factor = unit_factor;
        }
      else if (time || timestamp)
        unsupported (col, "a TIME or TIMESTAMP of this unit on INT32");
      else if (is_unsigned && (lt == 0 ? ct == DMPI_PQ_CT_UINT_32 : el->bit_width == 32))
        {
          col->type = DMPI_COL_INT64;
          col->conv = DMPI_PQ_CONV_U32_TO_I64;
        }
      break;
    case DMPI_PQ_INT64:
      col->type = DMPI_COL_INT64;
      if (decimal)
        map_decimal (col, el, DMPI_PQ_CONV_DEC_I64);
      else if (timestamp || time)
        {
          col->type = timestamp ? DMPI_COL_TIMESTAMP : DMPI_COL_DURATION;
          if (unit != DMPI_PQ_MILLIS && unit != DMPI_PQ_MICROS && unit != DMPI_PQ_NANOS)
            unsupported (col, "a TIME or TIMESTAMP of an unknown unit");
          col->conv = unit_factor == 1 ? DMPI_PQ_CONV_COPY : DMPI_PQ_CONV_I64_SCALE;
          col->factor = unit_factor;
        }
      else if (date)
        unsupported (col, "a DATE on INT64");
      else if (is_unsigned)
        col->conv = DMPI_PQ_CONV_U64;
      break;
    case DMPI_PQ_INT96:
      col->type = DMPI_COL_TIMESTAMP;
      col->conv = DMPI_PQ_CONV_INT96;
      break;
    case DMPI_PQ_FLOAT:
      col->type = DMPI_COL_FLOAT32;
      break;
    case DMPI_PQ_DOUBLE:
      col->type = DMPI_COL_FLOAT64;
      break;
    case DMPI_PQ_BYTE_ARRAY:
      col->type = DMPI_COL_STRING;
      col->conv = DMPI_PQ_CONV_STRING;
      if (decimal)
        map_decimal (col, el, DMPI_PQ_CONV_DEC_BYTES);
      break;
    case DMPI_PQ_FIXED_LEN_BYTE_ARRAY:
      col->type = DMPI_COL_FLOAT64;
      if (decimal && el->type_length >= 1 && el->type_length <= 16)
        map_decimal (col, el, DMPI_PQ_CONV_DEC_BYTES);
      else if (lt == DMPI_PQ_LT_FLOAT16 && el->type_length == 2)
        {
          col->type = DMPI_COL_FLOAT32;
          col->conv = DMPI_PQ_CONV_FLOAT16;
        }
      else if (decimal)
        unsupported (col, "a DECIMAL of %" G_GINT64_FORMAT " bytes (at most 16 are read)",
                     el->type_length);
      else
        unsupported (col, "FIXED_LEN_BYTE_ARRAY(%" G_GINT64_FORMAT ")%s", el->type_length,
                     lt == DMPI_PQ_LT_UUID ? " UUID"
                     : lt == DMPI_PQ_LT_FLOAT16 ? " FLOAT16"
                     : ct == DMPI_PQ_CT_INTERVAL ? " INTERVAL" : "");
      break;
    default:
      col->type = DMPI_COL_INT64;
      unsupported (col, "physical type %" G_GINT64_FORMAT, el->type);
    }
}

/* The top-level columns from the schema's tree (depth first, in
 * schema[0]'s num_children): a group is one unsupported column standing for
 * all its leaves. */
static gboolean
build_columns (DmpiParquetFile *f, SchemaElement *schema, guint n, GHashTable *durations,
               GError **error)
{
  if (n == 0 || schema[0].num_children < 0 || (guint64) schema[0].num_children > n - 1)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the schema has no valid root");
  f->n_columns = (guint) schema[0].num_children;
  f->columns = g_new0 (DmpiPqColumn, f->n_columns);

  guint i = 1, leaf = 0;
  for (guint c = 0; c < f->n_columns; c++)
    {
      if (i >= n)
        return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the schema ends before its "
                           "%u columns do", f->n_columns);
      DmpiPqColumn *col = &f->columns[c];
      const SchemaElement *el = &schema[i];
      col->name = g_strdup (el->name != NULL ? el->name : "");
      col->leaf = leaf;
      if (el->type < 0 || el->num_children > 0)
        {
          /* A group: skip its subtree, counting its leaves. */
          guint64 to_visit = 1;
          while (to_visit > 0)
            {
              if (i >= n)
                return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the schema ends inside "
                                   "the group '%s'", col->name);
              to_visit--;
              if (schema[i].type < 0 || schema[i].num_children > 0)
                {
                  if (schema[i].num_children < 0 || (guint64) schema[i].num_children > n)
                    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "a schema element "
                                       "has %" G_GINT64_FORMAT " children", schema[i].num_children);
                  to_visit += (guint64) schema[i].num_children;
                }
              else
                leaf++;
              i++;
            }
          col->type = DMPI_COL_STRING;
          col->physical = -1;
          unsupported (col, "a nested column%s", el->converted == DMPI_PQ_CT_LIST
                       || el->logical == DMPI_PQ_LT_LIST ? " (LIST)"
                       : el->converted == DMPI_PQ_CT_MAP || el->logical == DMPI_PQ_LT_MAP
                       ? " (MAP)" : " (a group)");
          continue;
        }
      map_leaf (col, el);
      if (col->problem == NULL && col->type == DMPI_COL_INT64 && col->conv == DMPI_PQ_CONV_COPY
          && g_hash_table_contains (durations, col->name))
        col->type = DMPI_COL_DURATION;
      leaf++;
      i++;
    }
  if (i != n)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the schema has %u elements after its "
                       "columns", n - i);
  f->n_leaves = leaf;
  return TRUE;
}

static gboolean
parse_footer (DmpiParquetFile *f, const guint8 *data, gsize len, GError **error)
{
  DmpiThriftReader r;
  gint16 last = 0, id;
  DmpiThriftType t, et;
  guint32 n;
  SchemaElement *schema = NULL;
  guint n_schema = 0;
  gint64 n_rows = -1;
  gboolean ok = TRUE, have_schema = FALSE, have_groups = FALSE;
  g_autoptr (GHashTable) durations = g_hash_table_new_full (g_str_hash, g_str_equal, g_free, NULL);

  dmpi_thrift_reader_init (&r, data, len);
  dmpi_thrift_struct_enter (&r);
  while (ok && dmpi_thrift_next_field (&r, &last, &id, &t))
    {
      if (id == 2 && !have_schema && dmpi_thrift_read_list (&r, t, &et, &n))
        {
          have_schema = TRUE;
          if (et != DMPI_THRIFT_STRUCT)
            {
              skip_elements (&r, et, n);
              continue;
            }
          schema = g_new0 (SchemaElement, MAX (n, 1));
          n_schema = n;
          for (guint32 i = 0; i < n && r.error == NULL; i++)
            parse_schema_element (&r, &schema[i]);
          /* The row groups refer to the leaves: build the columns now. */
          if (r.error == NULL)
            ok = build_columns (f, schema, n_schema, durations, error);
        }
      else if (id == 3)
        n_rows = dmpi_thrift_read_int (&r, t);
      else if (id == 4 && have_schema && !have_groups && dmpi_thrift_read_list (&r, t, &et, &n))
        {
          have_groups = TRUE;
          if (et != DMPI_THRIFT_STRUCT)
            {
              skip_elements (&r, et, n);
              continue;
            }
          f->row_groups = g_new0 (DmpiPqRowGroup, MAX (n, 1));
          f->n_row_groups = n;
          for (guint32 i = 0; ok && i < n && r.error == NULL; i++)
            ok = parse_row_group (&r, f, &f->row_groups[i], i, error);
        }
      else if (id == 5)
        parse_key_values (&r, t, durations);
      else
        dmpi_thrift_skip (&r, t);
    }

  /* Durations named in the metadata, which may come after the schema. */
  for (guint c = 0; ok && r.error == NULL && c < f->n_columns; c++)
    {
      DmpiPqColumn *col = &f->columns[c];
      if (col->problem == NULL && col->type == DMPI_COL_INT64 && col->conv == DMPI_PQ_CONV_COPY
          && g_hash_table_contains (durations, col->name))
        col->type = DMPI_COL_DURATION;
    }
  for (guint i = 0; i < n_schema; i++)
    g_free (schema[i].name);
  g_free (schema);
  if (!ok)
    return FALSE;
  if (r.error != NULL)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the footer is corrupt: %s%s", r.error,
                       r.truncated ? " (it is cut short)" : "");
  if (!have_schema || f->columns == NULL || n_rows < 0)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the footer lacks its schema or its "
                       "number of rows");
  /* The rows are those of the row groups (some writers state 0 in the
   * footer's num_rows). */
  guint64 sum = 0;
  for (guint g = 0; g < f->n_row_groups; g++)
    if (__builtin_add_overflow (sum, (guint64) f->row_groups[g].n_rows, &sum))
      return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the row groups hold more rows than "
                         "can be counted");
  f->n_rows = sum;
  return TRUE;
}

/* ---- Opening ----------------------------------------------------------------- */

static gboolean
read_footer (DmpiParquetFile *f, GError **error)
{
  g_autofree guint8 *buf = NULL;
  gsize cap = 0;
  const guint8 *p;

  if (f->size < 12)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "%" G_GUINT64_FORMAT " bytes are too "
                       "few for a Parquet file", f->size);
  if ((p = read_range (f, 0, 4, &buf, &cap, error)) == NULL)
    return g_prefix_error (error, "%s: ", f->path), FALSE;
  if (memcmp (p, "PAR1", 4) != 0 && memcmp (p, "PARE", 4) != 0)
    return file_error (error, DMPI_DF_ERROR_INVALID, f, "not a Parquet file (it does not "
                       "start with PAR1)");
  if ((p = read_range (f, f->size - 8, 8, &buf, &cap, error)) == NULL)
    return g_prefix_error (error, "%s: ", f->path), FALSE;
  if (memcmp (p + 4, "PARE", 4) == 0)
    return file_error (error, DMPI_DF_ERROR_FAILED, f, "the footer is encrypted, which this "
                       "reader does not support");
  if (memcmp (p + 4, "PAR1", 4) != 0)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "no PAR1 at the end: the file is "
                       "truncated or not Parquet");
  guint32 footer_len;
  memcpy (&footer_len, p, 4);
  footer_len = GUINT32_FROM_LE (footer_len);
  if (footer_len > f->size - 12)
    return file_error (error, DMPI_DF_ERROR_CORRUPT, f, "the footer length %u is more than "
                       "the file's %" G_GUINT64_FORMAT " bytes hold", footer_len, f->size);
  f->footer_start = f->size - 8 - footer_len;
  if ((p = read_range (f, f->footer_start, footer_len, &buf, &cap, error)) == NULL)
    return g_prefix_error (error, "%s: ", f->path), FALSE;
  return parse_footer (f, p, footer_len, error);
}

static DmpiParquetFile *
file_new (const char *path)
{
  DmpiParquetFile *f = g_new0 (DmpiParquetFile, 1);
  f->path = g_strdup (path);
  f->fd = -1;
  return f;
}

DmpiParquetFile *
dmpi_parquet_file_open (const char *path, GError **error)
{
  g_autoptr (DmpiParquetFile) f = file_new (path);
  struct stat st;

  f->fd = open (path, O_RDONLY | O_CLOEXEC);
  if (f->fd < 0)
    {
      int e = errno;
      file_error (error, DMPI_DF_ERROR_IO, f, "cannot open: %s", g_strerror (e));
      return NULL;
    }
  if (fstat (f->fd, &st) != 0)
    {
      int e = errno;
      file_error (error, DMPI_DF_ERROR_IO, f, "cannot stat: %s", g_strerror (e));
      return NULL;
    }
  if (!S_ISREG (st.st_mode))
    {
      file_error (error, DMPI_DF_ERROR_IO, f, "not a regular file");
      return NULL;
    }
  f->size = (guint64) st.st_size;
  if (!read_footer (f, error))
    return NULL;
  return g_steal_pointer (&f);
}

DmpiParquetFile *
dmpi_parquet_file_open_bytes (const char *name, GBytes *bytes, GError **error)
{
  g_autoptr (DmpiParquetFile) f = file_new (name);
  f->bytes = g_bytes_ref (bytes);
  f->size = g_bytes_get_size (bytes);
  if (!read_footer (f, error))
    return NULL;
  return g_steal_pointer (&f);
}

void
dmpi_parquet_file_free (DmpiParquetFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  g_clear_pointer (&f->bytes, g_bytes_unref);
  for (guint c = 0; c < f->n_columns; c++)
    {
      g_free (f->columns[c].name);
      g_free (f->columns[c].problem);
    }
  g_free (f->columns);
  for (guint g = 0; g < f->n_row_groups; g++)
    g_free (f->row_groups[g].chunks);
  g_free (f->row_groups);
  g_free (f->path);
  g_free (f);
}

const char *
dmpi_parquet_file_get_path (const DmpiParquetFile *f)
{
  return f->path;
}

guint64
dmpi_parquet_file_get_n_rows (const DmpiParquetFile *f)
{
  return f->n_rows;
}

guint
dmpi_parquet_file_get_n_row_groups (const DmpiParquetFile *f)
{
  return f->n_row_groups;
}

guint64
dmpi_parquet_file_get_row_group_n_rows (const DmpiParquetFile *f, guint row_group)
{
  g_return_val_if_fail (row_group < f->n_row_groups, 0);
  return (guint64) f->row_groups[row_group].n_rows;
}

guint
dmpi_parquet_file_get_n_columns (const DmpiParquetFile *f)
{
  return f->n_columns;
}

const char *
dmpi_parquet_file_get_column_name (const DmpiParquetFile *f, guint column)
{
  g_return_val_if_fail (column < f->n_columns, NULL);
  return f->columns[column].name;
}

DmpiColType
dmpi_parquet_file_get_column_type (const DmpiParquetFile *f, guint column, gboolean *supported)
{
  g_return_val_if_fail (column < f->n_columns, DMPI_COL_INT64);
  if (supported != NULL)
    *supported = f->columns[column].problem == NULL;
  return f->columns[column].type;
}

const char *
dmpi_parquet_file_get_column_problem (const DmpiParquetFile *f, guint column)
{
  g_return_val_if_fail (column < f->n_columns, NULL);
  return f->columns[column].problem;
}

void
dmpi_parquet_file_set_max_bytes (DmpiParquetFile *f, gsize max_bytes)
{
  f->max_bytes = max_bytes;
}

/* ---- Reading ---------------------------------------------------------------------- */

static gint
find_column (const DmpiParquetFile *f, const char *name)
{
  for (guint c = 0; c < f->n_columns; c++)
    if (strcmp (f->columns[c].name, name) == 0)
      return (gint) c;
  return -1;
}

static gboolean
missing_column (const DmpiParquetFile *f, const char *name, GError **error)
{
  g_autoptr (GString) names = g_string_new (NULL);
  for (guint c = 0; c < f->n_columns; c++)
    g_string_append_printf (names, "%s%s", c ? ", " : "", f->columns[c].name);
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_MISSING_COLUMN,
               "%s: no column '%s' (the file has: %s)", f->path, name, names->str);
  return FALSE;
}

#define chunk_error(...) (g_set_error (__VA_ARGS__), FALSE)

/* The byte range of a column chunk, checked against the file. */
static gboolean
chunk_range (const DmpiParquetFile *f, const DmpiPqColumn *col, const DmpiPqChunk *c,
             guint64 *start, gsize *len, GError **error)
{
  char buf[16];
  if (!c->has_meta)
    return chunk_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "the chunk has no metadata (is it "
                       "encrypted?)");
  if (c->external)
    return chunk_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "the chunk is in another file, which "
                       "this reader does not follow");
  if (c->type != col->physical)
    return chunk_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "the chunk's type %" G_GINT64_FORMAT
                       " is not the schema's %" G_GINT64_FORMAT, c->type, col->physical);
  if (!dmpi_pq_codec_supported (c->codec))
    return chunk_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED, "the compression codec %s is not "
                       "supported (only UNCOMPRESSED, SNAPPY, GZIP and ZSTD)",
                       dmpi_pq_codec_name (c->codec, buf));
  gint64 s = c->data_page_offset;
  /* Some writers put 0 for "no dictionary page". */
  if (c->dict_page_offset > 0 && c->dict_page_offset < s)
    s = c->dict_page_offset;
  if (s < 4 || c->total_compressed < 0 || (guint64) s > f->footer_start
      || (guint64) c->total_compressed > f->footer_start - (guint64) s)
    return chunk_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT, "the chunk's %" G_GINT64_FORMAT
                       " bytes at offset %" G_GINT64_FORMAT " are not inside the file's data",
                       c->total_compressed, s);
  *start = (guint64) s;
  *len = (gsize) c->total_compressed;
  return TRUE;
}

DmpiTable *
dmpi_parquet_file_read (DmpiParquetFile *f, const char *const *columns, guint first,
                        guint n_groups, gsize max_rows, GError **error)
{
  g_autoptr (GArray) which = g_array_new (FALSE, FALSE, sizeof (guint));

  if (first > f->n_row_groups || n_groups > f->n_row_groups - first)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "%s: row groups %u to %u asked for; the file has %u", f->path, first,
                   first + n_groups - 1, f->n_row_groups);
      return NULL;
    }
  if (columns == NULL)
    {
      for (guint c = 0; c < f->n_columns; c++)
        if (f->columns[c].problem == NULL)
          g_array_append_val (which, c);
    }
  else
    for (const char *const *name = columns; *name != NULL; name++)
      {
        gint c = find_column (f, *name);
        if (c < 0)
          {
            missing_column (f, *name, error);
            return NULL;
          }
        if (f->columns[c].problem != NULL)
          {
            g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                         "%s: column '%s' cannot be read: %s", f->path, *name,
                         f->columns[c].problem);
            return NULL;
          }
        guint u = (guint) c;
        g_array_append_val (which, u);
      }

  guint64 total = 0;
  for (guint g = first; g < first + n_groups; g++)
    total += (guint64) f->row_groups[g].n_rows;
  if (max_rows > 0)
    total = MIN (total, (guint64) max_rows);
  if (total > G_MAXSIZE / 16)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "%s: %" G_GUINT64_FORMAT " rows cannot be held in memory", f->path, total);
      return NULL;
    }

  g_autoptr (DmpiTable) table = dmpi_table_new ();
  g_autoptr (DmpiPqChunkReader) cr = dmpi_pq_chunk_reader_new (f->max_bytes);
  g_autofree guint8 *buf = NULL;
  gsize cap = 0, table_bytes = 0;

  for (guint i = 0; i < which->len; i++)
    {
      const DmpiPqColumn *col = &f->columns[g_array_index (which, guint, i)];
      g_autoptr (DmpiColumn) out = dmpi_column_new (col->name, col->type, 0);
      gsize left = (gsize) total;

      /* All the rows at once when the chunks' bytes can plausibly hold them
       * (the footer alone sizes nothing); else the column grows as pages
       * are decoded. */
      guint64 stored = 0;
      for (guint g = first; g < first + n_groups; g++)
        stored += (guint64) MAX (f->row_groups[g].chunks[col->leaf].total_compressed, 0);
      if (total <= stored * 64 && total > 0
          && !dmpi_pq_reserve (cr, out, (gsize) total, &table_bytes, error))
        {
          g_prefix_error (error, "%s: column '%s': ", f->path, col->name);
          return NULL;
        }
      for (guint g = first; g < first + n_groups && left > 0; g++)
        {
          const DmpiPqRowGroup *rg = &f->row_groups[g];
          const DmpiPqChunk *chunk = &rg->chunks[col->leaf];
          gsize rows = (gsize) MIN ((guint64) rg->n_rows, (guint64) left);
          guint64 start;
          gsize len;
          const guint8 *data;
          if (rows == 0)
            continue;
          if (!chunk_range (f, col, chunk, &start, &len, error)
              || (data = read_range (f, start, len, &buf, &cap, error)) == NULL)
            {
              g_prefix_error (error, "%s: row group %u, column '%s': ", f->path, g, col->name);
              return NULL;
            }
          if (!dmpi_pq_read_chunk (cr, col, chunk, data, len, start, rg->n_rows, rows, out,
                                   &table_bytes, error))
            {
              g_prefix_error (error, "%s: row group %u, column '%s': ", f->path, g, col->name);
              return NULL;
            }
          left -= rows;
        }
      dmpi_pq_column_finish (out, &table_bytes);
      if (i == 0)
        table->n_rows = out->n_rows;
      g_ptr_array_add (table->columns, g_steal_pointer (&out));
    }
  table->n_rows = (gsize) total;
  return g_steal_pointer (&table);
}
