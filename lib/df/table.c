/* Typed columns with lazily created validity bytes, tables of them, and a
 * compact little-endian byte form with a validating reader. */
#include "config.h"

#include "df/table.h"
#include "df/table-text.h"

#include <math.h>
#include <stdio.h>

#include <string.h>

G_DEFINE_QUARK (dmpi-df-error-quark, dmpi_df_error)

static const struct {
  const char *name;
  gsize       size;
} col_types[DMPI_COL_N_TYPES] = {
  [DMPI_COL_INT32]     = { "int32", 4 },
  [DMPI_COL_INT64]     = { "int64", 8 },
  [DMPI_COL_FLOAT32]   = { "float32", 4 },
  [DMPI_COL_FLOAT64]   = { "float64", 8 },
  [DMPI_COL_TIMESTAMP] = { "timestamp", 8 },
  [DMPI_COL_STRING]    = { "string", 0 },
  [DMPI_COL_DURATION]  = { "duration", 8 },
  [DMPI_COL_BOOL]      = { "bool", 1 },
};

const char *
dmpi_col_type_name (DmpiColType type)
{
  if ((guint) type >= DMPI_COL_N_TYPES)
    return "invalid";
  return col_types[type].name;
}

gint
dmpi_col_type_from_name (const char *name)
{
  for (guint i = 0; i < DMPI_COL_N_TYPES; i++)
    if (g_strcmp0 (name, col_types[i].name) == 0)
      return (gint) i;
  return -1;
}

gsize
dmpi_col_type_size (DmpiColType type)
{
  if ((guint) type >= DMPI_COL_N_TYPES)
    return 0;
  return col_types[type].size;
}

DmpiColumn *
dmpi_column_new (const char *name, DmpiColType type, gsize capacity)
{
  g_return_val_if_fail (name != NULL, NULL);
  g_return_val_if_fail ((guint) type < DMPI_COL_N_TYPES, NULL);

  DmpiColumn *c = g_new0 (DmpiColumn, 1);
  c->name = g_strdup (name);
  c->type = type;
  if (type == DMPI_COL_STRING)
    {
      c->offsets = g_new0 (guint32, 1);
      c->capacity = 0;
    }
  dmpi_column_reserve (c, capacity);
  return c;
}

void
dmpi_column_free (DmpiColumn *column)
{
  if (column == NULL)
    return;
  g_free (column->name);
  g_free (column->data);
  g_free (column->valid);
  g_free (column->offsets);
  g_free (column->chars);
  g_free (column);
}

void
dmpi_column_reserve (DmpiColumn *c, gsize capacity)
{
  if (capacity <= c->capacity)
    return;
  if (c->type == DMPI_COL_STRING)
    c->offsets = g_renew (guint32, c->offsets, capacity + 1);
  else
    c->data = g_realloc_n (c->data, capacity, dmpi_col_type_size (c->type));
  if (c->valid != NULL)
    c->valid = g_realloc (c->valid, capacity);
  c->capacity = capacity;
}

gboolean
dmpi_column_is_valid (const DmpiColumn *c, gsize row)
{
  return c->valid == NULL || c->valid[row] != 0;
}

static inline void
column_grow_for_one (DmpiColumn *c)
{
  if (G_UNLIKELY (c->n_rows == c->capacity))
    dmpi_column_reserve (c, c->capacity < 16 ? 16 : c->capacity * 2);
}

static inline void
column_mark_valid (DmpiColumn *c)
{
  if (G_UNLIKELY (c->valid != NULL))
    c->valid[c->n_rows] = 1;
}

void
dmpi_column_append_int32 (DmpiColumn *c, gint32 value)
{
  g_return_if_fail (c->type == DMPI_COL_INT32);
  column_grow_for_one (c);
  column_mark_valid (c);
  DMPI_COLUMN_INT32 (c)[c->n_rows++] = value;
}

void
dmpi_column_append_int64 (DmpiColumn *c, gint64 value)
{
  g_return_if_fail (c->type == DMPI_COL_INT64 || c->type == DMPI_COL_TIMESTAMP ||
                    c->type == DMPI_COL_DURATION);
  column_grow_for_one (c);
  column_mark_valid (c);
  DMPI_COLUMN_INT64 (c)[c->n_rows++] = value;
}

void
dmpi_column_append_float32 (DmpiColumn *c, gfloat value)
{
  g_return_if_fail (c->type == DMPI_COL_FLOAT32);
  column_grow_for_one (c);
  column_mark_valid (c);
  DMPI_COLUMN_FLOAT32 (c)[c->n_rows++] = value;
}

void
dmpi_column_append_float64 (DmpiColumn *c, gdouble value)
{
  g_return_if_fail (c->type == DMPI_COL_FLOAT64);
  column_grow_for_one (c);
  column_mark_valid (c);
  DMPI_COLUMN_FLOAT64 (c)[c->n_rows++] = value;
}

void
dmpi_column_append_bool (DmpiColumn *c, gboolean value)
{
  g_return_if_fail (c->type == DMPI_COL_BOOL);
  column_grow_for_one (c);
  column_mark_valid (c);
  DMPI_COLUMN_BOOL (c)[c->n_rows++] = value ? 1 : 0;
}

void
dmpi_column_append_string (DmpiColumn *c, const char *s, gssize len)
{
  g_return_if_fail (c->type == DMPI_COL_STRING);
  gsize n = len < 0 ? strlen (s) : (gsize) len;
  /* Offsets are 32-bit, as in the serialized form and Parquet pages. */
  g_return_if_fail (c->chars_len + n <= G_MAXUINT32);
  column_grow_for_one (c);
  column_mark_valid (c);
  if (c->chars_len + n > c->chars_capacity)
    {
      gsize cap = MAX (c->chars_capacity * 2, c->chars_len + n);
      cap = MAX (cap, 64);
      c->chars = g_realloc (c->chars, cap);
      c->chars_capacity = cap;
    }
  if (n > 0)
    memcpy (c->chars + c->chars_len, s, n);
  c->chars_len += n;
  c->offsets[++c->n_rows] = (guint32) c->chars_len;
}

void
dmpi_column_set_missing (DmpiColumn *c, gsize row)
{
  g_return_if_fail (row < c->n_rows);
  if (c->valid == NULL)
    {
      c->valid = g_malloc (MAX (c->capacity, 1));
      memset (c->valid, 1, c->n_rows);
    }
  c->valid[row] = 0;
}

void
dmpi_column_append_missing (DmpiColumn *c)
{
  switch (c->type)
    {
    case DMPI_COL_INT32: dmpi_column_append_int32 (c, 0); break;
    case DMPI_COL_FLOAT32: dmpi_column_append_float32 (c, 0); break;
    case DMPI_COL_FLOAT64: dmpi_column_append_float64 (c, 0); break;
    case DMPI_COL_STRING: dmpi_column_append_string (c, "", 0); break;
    case DMPI_COL_BOOL: dmpi_column_append_bool (c, FALSE); break;
    case DMPI_COL_INT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:
    default:
      dmpi_column_append_int64 (c, 0);
      break;
    }
  dmpi_column_set_missing (c, c->n_rows - 1);
}

gsize
dmpi_column_count_missing (const DmpiColumn *c)
{
  if (c->valid == NULL)
    return 0;
  gsize n = 0;
  for (gsize i = 0; i < c->n_rows; i++)
    n += c->valid[i] == 0;
  return n;
}

const char *
dmpi_column_get_string (const DmpiColumn *c, gsize row, gsize *len)
{
  g_return_val_if_fail (c->type == DMPI_COL_STRING && row < c->n_rows, NULL);
  *len = c->offsets[row + 1] - c->offsets[row];
  return c->chars != NULL ? c->chars + c->offsets[row] : "";
}

void
dmpi_column_filter (DmpiColumn *c, const guint8 *keep)
{
  gsize out = 0;
  if (c->type == DMPI_COL_STRING)
    {
      gsize pos = 0;
      for (gsize i = 0; i < c->n_rows; i++)
        {
          guint32 start = c->offsets[i], len = c->offsets[i + 1] - start;
          if (!keep[i])
            continue;
          memmove (c->chars + pos, c->chars + start, len);
          c->offsets[out] = (guint32) pos;
          pos += len;
          if (c->valid != NULL)
            c->valid[out] = c->valid[i];
          out++;
        }
      c->offsets[out] = (guint32) pos;
      c->chars_len = pos;
    }
  else
    {
      /* By value size, so that the copies compile to single moves. */
#define FILTER_AS(T) \
      { \
        T *d = c->data; \
        for (gsize i = 0; i < c->n_rows; i++) \
          if (keep[i]) \
            { \
              d[out] = d[i]; \
              if (c->valid != NULL) \
                c->valid[out] = c->valid[i]; \
              out++; \
            } \
      }
      gsize size = dmpi_col_type_size (c->type);
      if (size == 1)
        FILTER_AS (guint8)
      else if (size == 4)
        FILTER_AS (guint32)
      else
        FILTER_AS (guint64)
#undef FILTER_AS
    }
  c->n_rows = out;
}

DmpiTable *
dmpi_table_new (void)
{
  DmpiTable *t = g_new0 (DmpiTable, 1);
  t->columns = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_column_free);
  return t;
}

void
dmpi_table_free (DmpiTable *table)
{
  if (table == NULL)
    return;
  g_ptr_array_unref (table->columns);
  g_free (table);
}

void
dmpi_table_add_column (DmpiTable *t, DmpiColumn *column)
{
  g_return_if_fail (column != NULL);
  if (t->columns->len == 0)
    t->n_rows = column->n_rows;
  else if (column->n_rows != t->n_rows)
    {
      g_critical ("column '%s' has %" G_GSIZE_FORMAT " rows, the table %" G_GSIZE_FORMAT,
                  column->name, column->n_rows, t->n_rows);
      dmpi_column_free (column);
      return;
    }
  g_ptr_array_add (t->columns, column);
}

gint
dmpi_table_column_index (DmpiTable *t, const char *name)
{
  for (guint i = 0; i < t->columns->len; i++)
    if (strcmp (((DmpiColumn *) t->columns->pdata[i])->name, name) == 0)
      return (gint) i;
  return -1;
}

DmpiColumn *
dmpi_table_get_column (DmpiTable *t, const char *name)
{
  gint i = dmpi_table_column_index (t, name);
  return i < 0 ? NULL : t->columns->pdata[i];
}

guint
dmpi_table_n_columns (const DmpiTable *t)
{
  return t->columns->len;
}

gsize
dmpi_table_n_rows (const DmpiTable *t)
{
  return t->n_rows;
}

DmpiColumn *
dmpi_table_steal_column (DmpiTable *t, guint index)
{
  g_return_val_if_fail (index < t->columns->len, NULL);
  DmpiColumn *c = t->columns->pdata[index];
  t->columns->pdata[index] = NULL;
  g_ptr_array_remove_index (t->columns, index);   /* frees NULL: nothing */
  return c;
}

char *
dmpi_table_to_string (const DmpiTable *t, gsize max_rows)
{
  guint nc = t->columns->len;
  gsize nr = max_rows > 0 ? MIN (max_rows, t->n_rows) : t->n_rows;
  g_autofree gsize *width = g_new0 (gsize, MAX (nc, 1));
  for (guint c = 0; c < nc; c++)
    {
      width[c] = g_utf8_strlen (dmpi_table_column (t, c)->name, -1);
      for (gsize r = 0; r < nr; r++)
        {
          g_autofree char *v = dmpi_table_format_value (t, c, r);
          width[c] = MAX (width[c], (gsize) g_utf8_strlen (v, -1));
        }
    }
  GString *out = g_string_new (NULL);
  for (gssize r = -1; r < (gssize) nr; r++)
    {
      for (guint c = 0; c < nc; c++)
        {
          g_autofree char *v = r < 0 ? g_strdup (dmpi_table_column (t, c)->name)
                                     : dmpi_table_format_value (t, c, (gsize) r);
          gsize len = (gsize) g_utf8_strlen (v, -1);
          if (c > 0)
            g_string_append (out, "  ");
          for (gsize k = len; k < width[c]; k++)
            g_string_append_c (out, ' ');
          g_string_append (out, v);
        }
      g_string_append_c (out, '\n');
    }
  return g_string_free (out, FALSE);
}

DmpiColumn *
dmpi_table_column (const DmpiTable *t, guint index)
{
  g_return_val_if_fail (index < t->columns->len, NULL);
  return t->columns->pdata[index];
}

gsize
dmpi_table_nbytes (const DmpiTable *t)
{
  gsize n = 0;
  for (guint i = 0; i < t->columns->len; i++)
    {
      const DmpiColumn *c = t->columns->pdata[i];
      if (c->type == DMPI_COL_STRING)
        n += (c->n_rows + 1) * sizeof (guint32) + c->chars_len;
      else
        n += c->n_rows * dmpi_col_type_size (c->type);
      if (c->valid != NULL)
        n += c->n_rows;
    }
  return n;
}

void
dmpi_table_filter (DmpiTable *t, const guint8 *keep)
{
  for (guint i = 0; i < t->columns->len; i++)
    dmpi_column_filter (t->columns->pdata[i], keep);
  gsize n = 0;
  for (gsize r = 0; r < t->n_rows; r++)
    n += keep[r] != 0;
  t->n_rows = n;
}

/* ---- values as text, as pandas prints them ---- */

static void
put_float (GString *out, double v, gboolean single)
{
  char buf[G_ASCII_DTOSTR_BUF_SIZE];

  if (isnan (v))
    return;
  if (isinf (v))
    {
      g_string_append (out, v > 0 ? "inf" : "-inf");
      return;
    }
  /* The fewest digits that read back to the same value; g_ascii_* keep
   * the decimal point a '.' whatever the locale. */
  for (int prec = single ? 6 : 15; prec <= (single ? 9 : 17); prec++)
    {
      char fmt[16];
      snprintf (fmt, sizeof fmt, "%%.%dg", prec);
      g_ascii_formatd (buf, sizeof buf, fmt, v);
      double back = g_ascii_strtod (buf, NULL);
      if (single ? (float) back == (float) v : back == v)
        break;
    }
  g_string_append (out, buf);
}

/* Days since 1970-01-01 to a civil date (proleptic Gregorian; H. Hinnant). */
static void
civil_from_days (gint64 z, gint64 *y, int *m, int *d)
{
  z += 719468;
  gint64 era = (z >= 0 ? z : z - 146096) / 146097;
  gint64 doe = z - era * 146097;
  gint64 yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  gint64 doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  gint64 mp = (5 * doy + 2) / 153;
  *d = (int) (doy - (153 * mp + 2) / 5 + 1);
  *m = (int) (mp < 10 ? mp + 3 : mp - 9);
  *y = yoe + era * 400 + (*m <= 2);
}

/* A fraction of a second, in milli-, micro- or nanoseconds as pandas
 * prints them; nothing for whole seconds. */
static void
put_fraction (GString *out, gint64 frac)
{
  char digits[16];
  int n = 9;

  if (frac == 0)
    return;
  snprintf (digits, sizeof digits, "%09d", (int) frac);
  while (n > 3 && digits[n - 1] == '0' && digits[n - 2] == '0' && digits[n - 3] == '0')
    n -= 3;
  g_string_append_printf (out, ".%.*s", n, digits);
}

static void
put_timestamp (GString *out, gint64 ns)
{
  const gint64 ns_per_day = G_GINT64_CONSTANT (86400000000000);
  gint64 days = ns / ns_per_day, rem = ns % ns_per_day;
  if (rem < 0)
    rem += ns_per_day, days--;

  gint64 y;
  int m, d;
  civil_from_days (days, &y, &m, &d);
  gint64 secs = rem / 1000000000, frac = rem % 1000000000;
  g_string_append_printf (out, "%04" G_GINT64_FORMAT "-%02d-%02d %02d:%02d:%02d", y, m, d,
                          (int) (secs / 3600), (int) (secs / 60 % 60), (int) (secs % 60));
  put_fraction (out, frac);
}

/* As pandas writes a timedelta: "0 days 00:12:34", "-1 days +23:59:50". */
static void
put_duration (GString *out, gint64 ns)
{
  const gint64 ns_per_day = G_GINT64_CONSTANT (86400000000000);
  gint64 days = ns / ns_per_day, rem = ns % ns_per_day;
  if (rem < 0)
    rem += ns_per_day, days--;
  gint64 secs = rem / 1000000000, frac = rem % 1000000000;
  g_string_append_printf (out, "%" G_GINT64_FORMAT " days %s%02d:%02d:%02d", days,
                          days < 0 ? "+" : "", (int) (secs / 3600), (int) (secs / 60 % 60),
                          (int) (secs % 60));
  put_fraction (out, frac);
}

void
dmpi_column_append_text (const DmpiColumn *c, gsize row, GString *out)
{
  switch (c->type)
    {
    case DMPI_COL_INT32:
      g_string_append_printf (out, "%d", DMPI_COLUMN_INT32 (c)[row]);
      break;
    case DMPI_COL_INT64:
      g_string_append_printf (out, "%" G_GINT64_FORMAT, DMPI_COLUMN_INT64 (c)[row]);
      break;
    case DMPI_COL_FLOAT32:
      put_float (out, DMPI_COLUMN_FLOAT32 (c)[row], TRUE);
      break;
    case DMPI_COL_FLOAT64:
      put_float (out, DMPI_COLUMN_FLOAT64 (c)[row], FALSE);
      break;
    case DMPI_COL_TIMESTAMP:
      put_timestamp (out, DMPI_COLUMN_INT64 (c)[row]);
      break;
    case DMPI_COL_DURATION:
      put_duration (out, DMPI_COLUMN_INT64 (c)[row]);
      break;
    case DMPI_COL_BOOL:
      g_string_append (out, DMPI_COLUMN_BOOL (c)[row] ? "True" : "False");
      break;
    case DMPI_COL_STRING:
      g_string_append_len (out, c->chars + c->offsets[row], (gssize) (c->offsets[row + 1] - c->offsets[row]));
      break;
    default:
      g_string_append_c (out, '?');
      break;
    }
}

char *
dmpi_table_format_value (const DmpiTable *t, guint column, gsize row)
{
  const DmpiColumn *c = dmpi_table_column (t, column);
  g_return_val_if_fail (c != NULL && row < c->n_rows, NULL);
  GString *out = g_string_new (NULL);
  if (dmpi_column_is_valid (c, row))
    dmpi_column_append_text (c, row, out);
  return g_string_free (out, FALSE);
}

/* ---- byte form ----
 *
 *   "DMPITBL\0"  magic
 *   u32 version (1), u32 n_columns, u64 n_rows
 *   per column:
 *     u32 name_len, name (UTF-8, no NUL)
 *     u8 type, u8 has_valid, u16 zero
 *     has_valid ? n_rows bytes of 0/1
 *     fixed-size types: n_rows values, little-endian
 *     strings: (n_rows + 1) u32 offsets (0 first, non-decreasing), then
 *              offsets[n_rows] bytes of characters
 */

#define TABLE_MAGIC "DMPITBL"   /* plus its NUL: 8 bytes */
#define TABLE_MAGIC_LEN 8
#define TABLE_VERSION 1

static void
put_u32 (GByteArray *b, guint32 v)
{
  v = GUINT32_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 4);
}

static void
put_u64 (GByteArray *b, guint64 v)
{
  v = GUINT64_TO_LE (v);
  g_byte_array_append (b, (const guint8 *) &v, 8);
}

/* Appends n values of size bytes each, converting to little-endian. */
static void
put_values (GByteArray *b, const void *data, gsize n, gsize size)
{
  if (n == 0)
    return;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  g_byte_array_append (b, data, (guint) (n * size));
#else
  const guint8 *p = data;
  for (gsize i = 0; i < n; i++, p += size)
    for (gsize k = 0; k < size; k++)
      g_byte_array_append (b, p + size - 1 - k, 1);
#endif
}

GBytes *
dmpi_table_serialize (const DmpiTable *t)
{
  GByteArray *b = g_byte_array_sized_new ((guint) MIN (dmpi_table_nbytes (t) + 256, G_MAXUINT));
  g_byte_array_append (b, (const guint8 *) TABLE_MAGIC, TABLE_MAGIC_LEN);
  put_u32 (b, TABLE_VERSION);
  put_u32 (b, t->columns->len);
  put_u64 (b, t->n_rows);
  for (guint i = 0; i < t->columns->len; i++)
    {
      const DmpiColumn *c = t->columns->pdata[i];
      gsize name_len = strlen (c->name);
      put_u32 (b, (guint32) name_len);
      g_byte_array_append (b, (const guint8 *) c->name, (guint) name_len);
      guint8 hdr[4] = { (guint8) c->type, c->valid != NULL, 0, 0 };
      g_byte_array_append (b, hdr, 4);
      if (c->valid != NULL && t->n_rows > 0)
        g_byte_array_append (b, c->valid, (guint) t->n_rows);
      if (c->type == DMPI_COL_STRING)
        {
          put_values (b, c->offsets, t->n_rows + 1, 4);
          if (c->chars_len > 0)
            g_byte_array_append (b, (const guint8 *) c->chars, (guint) c->chars_len);
        }
      else
        put_values (b, c->data, t->n_rows, dmpi_col_type_size (c->type));
    }
  return g_byte_array_free_to_bytes (b);
}

typedef struct {
  const guint8 *p, *end;
} Reader;

static gboolean
take (Reader *r, gsize n, const guint8 **out, const char *what, GError **error)
{
  if ((gsize) (r->end - r->p) < n)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "serialized table truncated: %s needs %" G_GSIZE_FORMAT
                   " bytes, %" G_GSIZE_FORMAT " left", what, n, (gsize) (r->end - r->p));
      return FALSE;
    }
  *out = r->p;
  r->p += n;
  return TRUE;
}

static gboolean
take_u32 (Reader *r, guint32 *v, const char *what, GError **error)
{
  const guint8 *p;
  if (!take (r, 4, &p, what, error))
    return FALSE;
  memcpy (v, p, 4);
  *v = GUINT32_FROM_LE (*v);
  return TRUE;
}

static void
get_values (void *dst, const guint8 *src, gsize n, gsize size)
{
  if (n == 0)
    return;
#if G_BYTE_ORDER == G_LITTLE_ENDIAN
  memcpy (dst, src, n * size);
#else
  guint8 *d = dst;
  for (gsize i = 0; i < n; i++, d += size, src += size)
    for (gsize k = 0; k < size; k++)
      d[k] = src[size - 1 - k];
#endif
}

DmpiTable *
dmpi_table_deserialize (GBytes *bytes, GError **error)
{
  gsize size;
  const guint8 *data = g_bytes_get_data (bytes, &size);
  Reader r;
  const guint8 *p;
  guint32 version, n_columns;
  guint64 n_rows;

  if (size < TABLE_MAGIC_LEN || memcmp (data, TABLE_MAGIC, TABLE_MAGIC_LEN) != 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "not a serialized table (bad magic, %" G_GSIZE_FORMAT " bytes)", size);
      return NULL;
    }
  /* Only now: an empty GBytes has no data pointer (NULL + 0 is undefined). */
  r = (Reader) { data + TABLE_MAGIC_LEN, data + size };
  if (!take_u32 (&r, &version, "version", error))
    return NULL;
  if (version != TABLE_VERSION)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "serialized table version %u, expected %u", version, TABLE_VERSION);
      return NULL;
    }
  if (!take_u32 (&r, &n_columns, "column count", error) ||
      !take (&r, 8, &p, "row count", error))
    return NULL;
  memcpy (&n_rows, p, 8);
  n_rows = GUINT64_FROM_LE (n_rows);
  /* Every column takes at least 8 bytes, every row at least one byte per
   * column: bound both before allocating anything. */
  if (n_columns > (gsize) (r.end - r.p) / 8 ||
      (n_columns > 0 && n_rows > (gsize) (r.end - r.p) / n_columns))
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "serialized table claims %u columns of %" G_GUINT64_FORMAT
                   " rows in %" G_GSIZE_FORMAT " bytes", n_columns, n_rows, size);
      return NULL;
    }

  g_autoptr(DmpiTable) t = dmpi_table_new ();
  t->n_rows = n_rows;
  for (guint32 i = 0; i < n_columns; i++)
    {
      guint32 name_len;
      const guint8 *name;
      if (!take_u32 (&r, &name_len, "column name length", error) ||
          !take (&r, name_len, &name, "column name", error))
        return NULL;
      if (name_len == 0 || memchr (name, 0, name_len) != NULL ||
          !g_utf8_validate ((const char *) name, name_len, NULL))
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "serialized table: column %u has an invalid name", i);
          return NULL;
        }
      g_autofree char *cname = g_strndup ((const char *) name, name_len);
      if (!take (&r, 4, &p, "column header", error))
        return NULL;
      guint type = p[0], has_valid = p[1];
      if (type >= DMPI_COL_N_TYPES || has_valid > 1 || p[2] != 0 || p[3] != 0)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "serialized table: column '%s' has an invalid header (type %u)",
                       cname, type);
          return NULL;
        }
      g_autoptr(DmpiColumn) c = dmpi_column_new (cname, type, 0);
      if (has_valid)
        {
          if (!take (&r, n_rows, &p, "validity bytes", error))
            return NULL;
          c->valid = g_malloc (MAX (n_rows, 1));
          for (guint64 k = 0; k < n_rows; k++)
            {
              if (p[k] > 1)
                {
                  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                               "serialized table: column '%s' has validity byte %u at row %"
                               G_GUINT64_FORMAT, cname, p[k], k);
                  return NULL;
                }
              c->valid[k] = p[k];
            }
        }
      if (type == DMPI_COL_STRING)
        {
          if (n_rows + 1 > G_MAXSIZE / 4 || !take (&r, (n_rows + 1) * 4, &p, "string offsets", error))
            return NULL;
          dmpi_column_reserve (c, n_rows);
          get_values (c->offsets, p, n_rows + 1, 4);
          if (c->offsets[0] != 0)
            {
              g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                           "serialized table: column '%s' offsets do not start at 0", cname);
              return NULL;
            }
          for (guint64 k = 0; k < n_rows; k++)
            if (c->offsets[k + 1] < c->offsets[k])
              {
                g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                             "serialized table: column '%s' offsets decrease at row %"
                             G_GUINT64_FORMAT, cname, k);
                return NULL;
              }
          gsize chars_len = c->offsets[n_rows];
          if (!take (&r, chars_len, &p, "string characters", error))
            return NULL;
          c->chars = g_malloc (MAX (chars_len, 1));
          memcpy (c->chars, p, chars_len);
          c->chars_len = c->chars_capacity = chars_len;
        }
      else
        {
          gsize vsize = dmpi_col_type_size (type);
          if (n_rows > G_MAXSIZE / vsize || !take (&r, n_rows * vsize, &p, "column values", error))
            return NULL;
          dmpi_column_reserve (c, n_rows);
          get_values (c->data, p, n_rows, vsize);
          if (type == DMPI_COL_BOOL)
            for (guint64 k = 0; k < n_rows; k++)
              if (p[k] > 1)
                {
                  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                               "serialized table: bool column '%s' holds %u at row %"
                               G_GUINT64_FORMAT, cname, p[k], k);
                  return NULL;
                }
        }
      c->n_rows = n_rows;
      g_ptr_array_add (t->columns, g_steal_pointer (&c));
    }
  if (r.p != r.end)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "serialized table has %" G_GSIZE_FORMAT " trailing bytes",
                   (gsize) (r.end - r.p));
      return NULL;
    }
  return g_steal_pointer (&t);
}
