/* Parquet writer: see parquet.h for the type mapping and the guarantees.
 *
 * File layout: "PAR1", then per row group and column one column chunk of v1
 * data pages (page header in Thrift compact, then the page body: for an
 * OPTIONAL column the definition levels, RLE/bit-packed hybrid with a 4-byte
 * length, then the present values PLAIN-encoded), then the FileMetaData,
 * its 4-byte little-endian length and "PAR1". */
#include "config.h"

#include "df/parquet.h"
#include "df/parquet-format.h"
#include "df/snappy.h"
#include "df/thrift.h"
#include "tempfiles.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <glib/gstdio.h>

#if G_BYTE_ORDER != G_LITTLE_ENDIAN
#error "PLAIN encoding is little-endian; this writer copies values as they lie in memory"
#endif

#define DEFAULT_ROW_GROUP_ROWS (1u << 20)
#define DEFAULT_PAGE_BYTES     (1u << 20)
#define MAX_STRING_STAT        256   /* longer string min/max are left out */

/* parquet.thrift enums */
enum { PQ_BOOLEAN, PQ_INT32, PQ_INT64, PQ_INT96, PQ_FLOAT, PQ_DOUBLE, PQ_BYTE_ARRAY };
enum { PQ_REQUIRED = 0, PQ_OPTIONAL = 1 };
enum { PQ_CONVERTED_UTF8 = 0, PQ_CONVERTED_TIMESTAMP_MICROS = 10 };
enum { PQ_ENC_PLAIN = 0, PQ_ENC_RLE = 3 };
enum { PQ_CODEC_UNCOMPRESSED = 0, PQ_CODEC_SNAPPY = 1 };
enum { PQ_PAGE_DATA = 0 };

/* ---- Atomic buffered output file ---------------------------------------- */

#define OUT_BUFFER_SIZE (1u << 20)

struct _DmpiOutFile {
  char    *path;       /* final name */
  char    *tmp_path;   /* .NAME.XXXXXX beside it, registered in tempfiles.h */
  int      tmp_slot;
  int      fd;
  guint8  *buf;
  gsize    buf_len;
  guint64  offset;     /* bytes written so far, buffered ones included */
};

static gboolean
set_errno_error (GError **error, int saved_errno, const char *fmt, ...) G_GNUC_PRINTF (3, 4);

static gboolean
set_errno_error (GError **error, int saved_errno, const char *fmt, ...)
{
  va_list ap;
  va_start (ap, fmt);
  g_autofree char *what = g_strdup_vprintf (fmt, ap);
  va_end (ap);
  g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_IO, "%s: %s", what, g_strerror (saved_errno));
  return FALSE;
}

DmpiOutFile *
dmpi_out_file_open (const char *path, GError **error)
{
  g_autofree char *dir = g_path_get_dirname (path);
  g_autofree char *base = g_path_get_basename (path);
  g_autofree char *tmp = g_strdup_printf ("%s%s.%s.XXXXXX", dir, G_DIR_SEPARATOR_S, base);

  /* 0666 through the umask, like any other output file (g_mkstemp: 0600);
   * removed if a signal ends the process before the commit. */
  int slot;
  int fd = dmpi_tempfile_create (tmp, O_WRONLY | O_CLOEXEC, 0666, &slot);
  if (fd < 0)
    {
      set_errno_error (error, errno, "cannot create a temporary file in %s for %s", dir, path);
      return NULL;
    }

  DmpiOutFile *f = g_new0 (DmpiOutFile, 1);
  f->path = g_strdup (path);
  f->tmp_path = g_steal_pointer (&tmp);
  f->tmp_slot = slot;
  f->fd = fd;
  f->buf = g_malloc (OUT_BUFFER_SIZE);
  return f;
}

static gboolean
write_all (DmpiOutFile *f, const guint8 *data, gsize len, GError **error)
{
  while (len > 0)
    {
      ssize_t n = write (f->fd, data, MIN (len, (gsize) G_MAXSSIZE));
      if (n < 0)
        {
          if (errno == EINTR)
            continue;
          return set_errno_error (error, errno, "cannot write %s (temporary for %s)",
                                  f->tmp_path, f->path);
        }
      data += n;
      len -= (gsize) n;
    }
  return TRUE;
}

static gboolean
flush (DmpiOutFile *f, GError **error)
{
  gsize n = f->buf_len;
  f->buf_len = 0;
  return write_all (f, f->buf, n, error);
}

gboolean
dmpi_out_file_write (DmpiOutFile *f, const void *data, gsize len, GError **error)
{
  f->offset += len;
  if (f->buf_len + len <= OUT_BUFFER_SIZE)
    {
      memcpy (f->buf + f->buf_len, data, len);
      f->buf_len += len;
      return TRUE;
    }
  if (!flush (f, error))
    return FALSE;
  if (len >= OUT_BUFFER_SIZE / 2)
    return write_all (f, data, len, error);   /* big pieces skip the copy */
  memcpy (f->buf, data, len);
  f->buf_len = len;
  return TRUE;
}

guint64
dmpi_out_file_offset (const DmpiOutFile *f)
{
  return f->offset;
}

static void
out_file_free (DmpiOutFile *f)
{
  g_free (f->path);
  g_free (f->tmp_path);
  g_free (f->buf);
  g_free (f);
}

void
dmpi_out_file_abort (DmpiOutFile *f)
{
  if (f == NULL)
    return;
  if (f->fd >= 0)
    close (f->fd);
  dmpi_tempfile_remove (f->tmp_slot, f->tmp_path);
  out_file_free (f);
}

gboolean
dmpi_out_file_commit (DmpiOutFile *f, GError **error)
{
  if (!flush (f, error))
    goto fail;
  if (fsync (f->fd) != 0)
    {
      set_errno_error (error, errno, "cannot flush %s (temporary for %s) to disk",
                       f->tmp_path, f->path);
      goto fail;
    }
  int fd = f->fd;
  f->fd = -1;
  if (close (fd) != 0)
    {
      set_errno_error (error, errno, "cannot close %s (temporary for %s)", f->tmp_path, f->path);
      goto fail;
    }
  if (dmpi_tempfile_rename (f->tmp_slot, f->tmp_path, f->path) != 0)
    {
      set_errno_error (error, errno, "cannot rename %s to %s", f->tmp_path, f->path);
      goto fail;
    }
  out_file_free (f);
  return TRUE;

fail:
  dmpi_out_file_abort (f);
  return FALSE;
}

/* ---- Column chunks ----------------------------------------------------- */

typedef struct {
  guint64  data_page_offset;
  gint64   uncompressed_size;   /* page headers included, as the format counts */
  gint64   compressed_size;
  gint64   null_count;
  gboolean has_min_max;
  guint8  *min, *max;           /* PLAIN bytes of the value (strings: raw) */
  gsize    min_len, max_len;
} ChunkMeta;

typedef struct {
  const DmpiParquetOptions *opts;
  DmpiOutFile *out;
  const char  *path;
  GByteArray  *header;           /* a page header being built */
  guint8      *page;             /* an uncompressed page being built */
  gsize        page_cap;
  guint8      *comp;
  gsize        comp_cap;
} Writer;

static void
ensure (guint8 **buf, gsize *cap, gsize need)
{
  if (*cap >= need)
    return;
  *cap = MAX (need, *cap * 2);
  g_free (*buf);
  *buf = g_malloc (*cap);
}

static int
physical_type (DmpiColType type)
{
  switch (type)
    {
    case DMPI_COL_INT32:     return PQ_INT32;
    case DMPI_COL_INT64:
    case DMPI_COL_DURATION:  return PQ_INT64;
    case DMPI_COL_FLOAT32:   return PQ_FLOAT;
    case DMPI_COL_FLOAT64:   return PQ_DOUBLE;
    case DMPI_COL_TIMESTAMP: return PQ_INT64;
    case DMPI_COL_STRING:    return PQ_BYTE_ARRAY;
    case DMPI_COL_BOOL:      return PQ_BOOLEAN;
    default:                 g_assert_not_reached ();
    }
}

static gsize
value_width (DmpiColType type)
{
  switch (type)
    {
    case DMPI_COL_INT32:
    case DMPI_COL_FLOAT32:   return 4;
    case DMPI_COL_INT64:
    case DMPI_COL_FLOAT64:
    case DMPI_COL_TIMESTAMP:
    case DMPI_COL_DURATION:  return 8;
    default:                 return 0;
    }
}

static inline gint64
floor_div (gint64 a, gint64 b)
{
  gint64 q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static inline gboolean
is_valid (const DmpiColumn *col, gsize row)
{
  return col->valid == NULL || col->valid[row] != 0;
}

static guint8 *
put_uvarint (guint8 *p, guint32 v)
{
  while (v >= 0x80)
    {
      *p++ = (guint8) (v | 0x80);
      v >>= 7;
    }
  *p++ = (guint8) v;
  return p;
}

/* How many rows from @i on share @valid[i]'s presence (at most @n - @i). */
static gsize
run_length (const guint8 *valid, gsize i, gsize n)
{
  gboolean v = valid[i] != 0;
  gsize j = i + 1;
  while (j < n && (valid[j] != 0) == v)
    j++;
  return j - i;
}

/* Definition levels (bit width 1) of rows [r0, r1) in the RLE/bit-packed
 * hybrid, preceded by their 4-byte length; returns the end. Runs of 8 or
 * more equal levels become RLE runs; the rest is bit-packed in groups of 8,
 * padded only at the very end as the format allows. */
static guint8 *
put_def_levels (guint8 *p, const guint8 *valid, gsize r0, gsize r1)
{
  guint8 *start = p;
  p += 4;

  if (memchr (valid + r0, 0, r1 - r0) == NULL)
    {
      p = put_uvarint (p, (guint32) ((r1 - r0) << 1));
      *p++ = 1;
    }
  else
    {
      gsize i = r0;
      while (i < r1)
        {
          gsize run = run_length (valid, i, r1);
          if (run >= 8)
            {
              p = put_uvarint (p, (guint32) (run << 1));
              *p++ = valid[i] != 0;
              i += run;
              continue;
            }
          /* Bit-packed groups until the next group would start a long run. */
          guint8 *hdr = p;
          p += 1;   /* header: at most 63 groups fits one varint byte */
          guint groups = 0;
          do
            {
              guint8 byte = 0;
              for (guint b = 0; b < 8 && i + b < r1; b++)
                byte |= (guint8) ((valid[i + b] != 0) << b);
              *p++ = byte;
              groups++;
              i += 8;
            }
          while (i < r1 && groups < 63 && run_length (valid, i, MIN (r1, i + 8)) < 8);
          *hdr = (guint8) ((groups << 1) | 1);
        }
    }
  guint32 len = GUINT32_TO_LE ((guint32) (p - start - 4));
  memcpy (start, &len, 4);
  return p;
}

/* Upper bound of the definition levels' bytes for @n rows. */
static gsize
def_levels_bound (gsize n)
{
  return 4 + 2 * (n / 8 + 1) + 16;
}

static gboolean
write_page (Writer *w, ChunkMeta *m, const guint8 *body, gsize body_len, gsize num_values,
            const DmpiColumn *col, GError **error)
{
  const guint8 *stored = body;
  gsize stored_len = body_len;

  if (w->opts->codec == DMPI_PARQUET_CODEC_SNAPPY)
    {
      ensure (&w->comp, &w->comp_cap, dmpi_snappy_max_compressed_length (body_len));
      stored_len = dmpi_snappy_compress (body, body_len, w->comp);
      stored = w->comp;
    }
  if (body_len > G_MAXINT32 || stored_len > G_MAXINT32)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_FAILED,
                   "%s: column %s: a page of %" G_GSIZE_FORMAT " bytes exceeds Parquet's limit",
                   w->path, col->name, body_len);
      return FALSE;
    }

  DmpiThrift t;
  g_byte_array_set_size (w->header, 0);
  dmpi_thrift_init (&t, w->header);
  dmpi_thrift_i32 (&t, 1, PQ_PAGE_DATA);
  dmpi_thrift_i32 (&t, 2, (gint32) body_len);
  dmpi_thrift_i32 (&t, 3, (gint32) stored_len);
  dmpi_thrift_struct_begin (&t, 5);             /* DataPageHeader */
  dmpi_thrift_i32 (&t, 1, (gint32) num_values);
  dmpi_thrift_i32 (&t, 2, PQ_ENC_PLAIN);
  dmpi_thrift_i32 (&t, 3, PQ_ENC_RLE);
  dmpi_thrift_i32 (&t, 4, PQ_ENC_RLE);
  dmpi_thrift_struct_end (&t);
  dmpi_thrift_struct_end (&t);

  if (!dmpi_out_file_write (w->out, w->header->data, w->header->len, error)
      || !dmpi_out_file_write (w->out, stored, stored_len, error))
    return FALSE;
  m->uncompressed_size += (gint64) (w->header->len + body_len);
  m->compressed_size += (gint64) (w->header->len + stored_len);
  return TRUE;
}

static void
set_min_max (ChunkMeta *m, const void *min, gsize min_len, const void *max, gsize max_len)
{
  m->has_min_max = TRUE;
  m->min = g_malloc (MAX (min_len, 1));
  m->max = g_malloc (MAX (max_len, 1));
  memcpy (m->min, min, min_len);
  memcpy (m->max, max, max_len);
  m->min_len = min_len;
  m->max_len = max_len;
}

#define INT_STATS(T, CONV)                                                   \
  do {                                                                       \
    const T *v = (const T *) col->data;                                      \
    gboolean any = FALSE;                                                    \
    T lo = 0, hi = 0;                                                        \
    for (gsize r = r0; r < r1; r++)                                          \
      {                                                                      \
        if (!is_valid (col, r))                                              \
          continue;                                                          \
        if (!any)                                                            \
          lo = hi = v[r], any = TRUE;                                        \
        else if (v[r] < lo)                                                  \
          lo = v[r];                                                         \
        else if (v[r] > hi)                                                  \
          hi = v[r];                                                         \
      }                                                                      \
    if (any)                                                                 \
      {                                                                      \
        lo = CONV (lo);                                                      \
        hi = CONV (hi);                                                      \
        set_min_max (m, &lo, sizeof lo, &hi, sizeof hi);                     \
      }                                                                      \
  } while (0)

/* NaN is left out of the bounds, and a zero bound is written as -0 for the
 * minimum and +0 for the maximum, as the format asks. */
#define FLOAT_STATS(T)                                                       \
  do {                                                                       \
    const T *v = (const T *) col->data;                                      \
    gboolean any = FALSE;                                                    \
    T lo = 0, hi = 0;                                                        \
    for (gsize r = r0; r < r1; r++)                                          \
      {                                                                      \
        if (!is_valid (col, r) || isnan (v[r]))                              \
          continue;                                                          \
        if (!any)                                                            \
          lo = hi = v[r], any = TRUE;                                        \
        else if (v[r] < lo)                                                  \
          lo = v[r];                                                         \
        else if (v[r] > hi)                                                  \
          hi = v[r];                                                         \
      }                                                                      \
    if (any)                                                                 \
      {                                                                      \
        if (lo == 0)                                                         \
          lo = -(T) 0.0;                                                     \
        if (hi == 0)                                                         \
          hi = (T) 0.0;                                                      \
        set_min_max (m, &lo, sizeof lo, &hi, sizeof hi);                     \
      }                                                                      \
  } while (0)

static int
bytes_cmp (const char *a, gsize alen, const char *b, gsize blen)
{
  int c = memcmp (a, b, MIN (alen, blen));
  if (c != 0)
    return c;
  return alen < blen ? -1 : alen > blen;
}

static void
string_stats (const DmpiColumn *col, gsize r0, gsize r1, ChunkMeta *m)
{
  const char *lo = NULL, *hi = NULL;
  gsize lo_len = 0, hi_len = 0;

  for (gsize r = r0; r < r1; r++)
    {
      if (!is_valid (col, r))
        continue;
      const char *s = col->chars + col->offsets[r];
      gsize len = col->offsets[r + 1] - col->offsets[r];
      if (lo == NULL || bytes_cmp (s, len, lo, lo_len) < 0)
        lo = s, lo_len = len;
      if (hi == NULL || bytes_cmp (s, len, hi, hi_len) > 0)
        hi = s, hi_len = len;
    }
  if (lo != NULL && lo_len <= MAX_STRING_STAT && hi_len <= MAX_STRING_STAT)
    set_min_max (m, lo, lo_len, hi, hi_len);
}

static gsize
count_nulls (const DmpiColumn *col, gsize r0, gsize r1)
{
  gsize n = 0;
  if (col->valid != NULL)
    for (gsize r = r0; r < r1; r++)
      n += col->valid[r] == 0;
  return n;
}

static gint64 to_micros (gint64 ns) { return floor_div (ns, 1000); }
static gint64 identity64 (gint64 v) { return v; }
static gint32 identity32 (gint32 v) { return v; }
static guint8 identity8 (guint8 v) { return v; }

static void
column_stats (const Writer *w, const DmpiColumn *col, gsize r0, gsize r1, ChunkMeta *m)
{
  m->null_count = (gint64) count_nulls (col, r0, r1);
  switch (col->type)
    {
    case DMPI_COL_INT32:   INT_STATS (gint32, identity32); break;
    case DMPI_COL_INT64:
    case DMPI_COL_DURATION: INT_STATS (gint64, identity64); break;
    case DMPI_COL_FLOAT32: FLOAT_STATS (float); break;
    case DMPI_COL_FLOAT64: FLOAT_STATS (double); break;
    case DMPI_COL_TIMESTAMP:
      if (w->opts->timestamp_unit == DMPI_PARQUET_TIMESTAMP_MICROS)
        INT_STATS (gint64, to_micros);
      else
        INT_STATS (gint64, identity64);
      break;
    case DMPI_COL_STRING:  string_stats (col, r0, r1, m); break;
    case DMPI_COL_BOOL:    INT_STATS (guint8, identity8); break;   /* PLAIN: one byte, 0 or 1 */
    default:               g_assert_not_reached ();
    }
}

static gboolean
check_offsets (const Writer *w, const DmpiColumn *col, gsize r0, gsize r1, GError **error)
{
  for (gsize r = r0; r < r1; r++)
    if (col->offsets[r] > col->offsets[r + 1] || col->offsets[r + 1] > col->chars_len)
      {
        g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                     "%s: column %s: string offsets of row %" G_GSIZE_FORMAT " are out of order",
                     w->path, col->name, r);
        return FALSE;
      }
  return TRUE;
}

/* The rows [r0, end) that go into the page starting at @r0. */
static gsize
page_end (const Writer *w, const DmpiColumn *col, gsize r0, gsize r1)
{
  gsize width = value_width (col->type);
  if (width > 0)
    return r0 + MIN (r1 - r0, MAX (w->opts->page_bytes / width, 1));
  if (col->type == DMPI_COL_BOOL)
    return r0 + MIN (r1 - r0, MAX (w->opts->page_bytes * 8, 1));

  gsize bytes = 0, r = r0;
  while (r < r1 && bytes < w->opts->page_bytes)
    {
      bytes += 4 + (col->offsets[r + 1] - col->offsets[r]);
      r++;
    }
  return r;
}

static gboolean
write_chunk (Writer *w, const DmpiColumn *col, gsize r0, gsize r1, ChunkMeta *m, GError **error)
{
  gsize width = value_width (col->type);
  gboolean convert = col->type == DMPI_COL_TIMESTAMP
                     && w->opts->timestamp_unit == DMPI_PARQUET_TIMESTAMP_MICROS;

  if (col->type == DMPI_COL_STRING && !check_offsets (w, col, r0, r1, error))
    return FALSE;
  column_stats (w, col, r0, r1, m);
  m->data_page_offset = dmpi_out_file_offset (w->out);

  for (gsize p0 = r0; p0 < r1;)
    {
      gsize p1 = page_end (w, col, p0, r1);
      gsize n = p1 - p0;

      /* Present values of a REQUIRED column lie in memory as PLAIN has them. */
      if (width > 0 && col->valid == NULL && !convert)
        {
          if (!write_page (w, m, (const guint8 *) col->data + p0 * width, n * width, n, col, error))
            return FALSE;
          p0 = p1;
          continue;
        }

      gsize need = (col->valid ? def_levels_bound (n) : 0)
                   + (width > 0 ? n * width
                      : col->type == DMPI_COL_BOOL ? (n + 7) / 8
                      : 4 * n + (col->offsets[p1] - col->offsets[p0]));
      ensure (&w->page, &w->page_cap, need);
      guint8 *p = w->page;
      if (col->valid != NULL)
        p = put_def_levels (p, col->valid, p0, p1);

      if (col->type == DMPI_COL_STRING)
        {
          for (gsize r = p0; r < p1; r++)
            {
              if (!is_valid (col, r))
                continue;
              guint32 len = col->offsets[r + 1] - col->offsets[r];
              guint32 le = GUINT32_TO_LE (len);
              memcpy (p, &le, 4);
              memcpy (p + 4, col->chars + col->offsets[r], len);
              p += 4 + len;
            }
        }
      else if (col->type == DMPI_COL_BOOL)
        {
          /* PLAIN booleans: one bit a present value, least significant first. */
          const guint8 *v = col->data;
          guint bit = 0;
          for (gsize r = p0; r < p1; r++)
            if (is_valid (col, r))
              {
                if (bit == 0)
                  *p = 0;
                *p |= (guint8) ((v[r] & 1) << bit);
                if (++bit == 8)
                  bit = 0, p++;
              }
          if (bit != 0)
            p++;
        }
      else if (convert)
        {
          const gint64 *v = col->data;
          for (gsize r = p0; r < p1; r++)
            if (is_valid (col, r))
              {
                gint64 us = to_micros (v[r]);
                memcpy (p, &us, 8);
                p += 8;
              }
        }
      else if (width == 4)
        {
          const guint32 *v = col->data;
          for (gsize r = p0; r < p1; r++)
            if (col->valid[r])
              memcpy (p, &v[r], 4), p += 4;
        }
      else
        {
          const guint64 *v = col->data;
          for (gsize r = p0; r < p1; r++)
            if (col->valid[r])
              memcpy (p, &v[r], 8), p += 8;
        }

      if (!write_page (w, m, w->page, (gsize) (p - w->page), n, col, error))
        return FALSE;
      p0 = p1;
    }
  return TRUE;
}

/* ---- Footer ------------------------------------------------------------- */

static void
write_schema_element (DmpiThrift *t, const Writer *w, const DmpiColumn *col)
{
  dmpi_thrift_elem_struct_begin (t);
  dmpi_thrift_i32 (t, 1, physical_type (col->type));
  dmpi_thrift_i32 (t, 3, col->valid != NULL ? PQ_OPTIONAL : PQ_REQUIRED);
  dmpi_thrift_string (t, 4, col->name);
  if (col->type == DMPI_COL_STRING)
    {
      dmpi_thrift_i32 (t, 6, PQ_CONVERTED_UTF8);
      dmpi_thrift_struct_begin (t, 10);     /* LogicalType */
      dmpi_thrift_struct_begin (t, 1);      /* STRING */
      dmpi_thrift_struct_end (t);
      dmpi_thrift_struct_end (t);
    }
  else if (col->type == DMPI_COL_TIMESTAMP)
    {
      gboolean micros = w->opts->timestamp_unit == DMPI_PARQUET_TIMESTAMP_MICROS;
      if (micros)
        dmpi_thrift_i32 (t, 6, PQ_CONVERTED_TIMESTAMP_MICROS);
      dmpi_thrift_struct_begin (t, 10);     /* LogicalType */
      dmpi_thrift_struct_begin (t, 8);      /* TIMESTAMP */
      dmpi_thrift_bool (t, 1, FALSE);       /* isAdjustedToUTC: local, no zone */
      dmpi_thrift_struct_begin (t, 2);      /* unit */
      dmpi_thrift_struct_begin (t, micros ? 2 : 3);
      dmpi_thrift_struct_end (t);
      dmpi_thrift_struct_end (t);
      dmpi_thrift_struct_end (t);
      dmpi_thrift_struct_end (t);
    }
  dmpi_thrift_struct_end (t);
}

static void
write_column_chunk (DmpiThrift *t, const DmpiColumn *col, const ChunkMeta *m, gsize n_rows,
                    const DmpiParquetOptions *opts)
{
  dmpi_thrift_elem_struct_begin (t);
  dmpi_thrift_i64 (t, 2, (gint64) m->data_page_offset);   /* file_offset */
  dmpi_thrift_struct_begin (t, 3);                         /* ColumnMetaData */
  dmpi_thrift_i32 (t, 1, physical_type (col->type));
  dmpi_thrift_list_begin (t, 2, DMPI_THRIFT_I32, col->valid ? 2 : 1);
  dmpi_thrift_elem_i32 (t, PQ_ENC_PLAIN);
  if (col->valid)
    dmpi_thrift_elem_i32 (t, PQ_ENC_RLE);
  dmpi_thrift_list_begin (t, 3, DMPI_THRIFT_BINARY, 1);
  dmpi_thrift_elem_string (t, col->name);
  dmpi_thrift_i32 (t, 4, opts->codec == DMPI_PARQUET_CODEC_SNAPPY ? PQ_CODEC_SNAPPY
                                                                  : PQ_CODEC_UNCOMPRESSED);
  dmpi_thrift_i64 (t, 5, (gint64) n_rows);
  dmpi_thrift_i64 (t, 6, m->uncompressed_size);
  dmpi_thrift_i64 (t, 7, m->compressed_size);
  dmpi_thrift_i64 (t, 9, (gint64) m->data_page_offset);
  dmpi_thrift_struct_begin (t, 12);                        /* Statistics */
  dmpi_thrift_i64 (t, 3, m->null_count);
  if (m->has_min_max)
    {
      dmpi_thrift_binary (t, 5, m->max, m->max_len);
      dmpi_thrift_binary (t, 6, m->min, m->min_len);
    }
  dmpi_thrift_struct_end (t);
  dmpi_thrift_struct_end (t);
  dmpi_thrift_struct_end (t);
}

static GByteArray *
file_metadata (const Writer *w, const DmpiTable *table, ChunkMeta *chunks, guint n_groups)
{
  GByteArray *out = g_byte_array_new ();
  guint n_cols = table->columns->len;
  gsize rg_rows = w->opts->row_group_rows;
  DmpiThrift t;

  dmpi_thrift_init (&t, out);
  dmpi_thrift_i32 (&t, 1, 1);   /* version */

  dmpi_thrift_list_begin (&t, 2, DMPI_THRIFT_STRUCT, n_cols + 1);
  dmpi_thrift_elem_struct_begin (&t);
  dmpi_thrift_string (&t, 4, "schema");
  dmpi_thrift_i32 (&t, 5, (gint32) n_cols);
  dmpi_thrift_struct_end (&t);
  for (guint c = 0; c < n_cols; c++)
    write_schema_element (&t, w, g_ptr_array_index (table->columns, c));

  dmpi_thrift_i64 (&t, 3, (gint64) table->n_rows);

  dmpi_thrift_list_begin (&t, 4, DMPI_THRIFT_STRUCT, n_groups);
  for (guint g = 0; g < n_groups; g++)
    {
      gsize r0 = g * rg_rows, r1 = MIN (table->n_rows, r0 + rg_rows);
      gint64 uncompressed = 0, compressed = 0;
      for (guint c = 0; c < n_cols; c++)
        {
          uncompressed += chunks[g * n_cols + c].uncompressed_size;
          compressed += chunks[g * n_cols + c].compressed_size;
        }
      dmpi_thrift_elem_struct_begin (&t);
      dmpi_thrift_list_begin (&t, 1, DMPI_THRIFT_STRUCT, n_cols);
      for (guint c = 0; c < n_cols; c++)
        write_column_chunk (&t, g_ptr_array_index (table->columns, c),
                            &chunks[g * n_cols + c], r1 - r0, w->opts);
      dmpi_thrift_i64 (&t, 2, uncompressed);
      dmpi_thrift_i64 (&t, 3, (gint64) (r1 - r0));
      dmpi_thrift_i64 (&t, 5, (gint64) chunks[g * n_cols].data_page_offset);
      dmpi_thrift_i64 (&t, 6, compressed);
      dmpi_thrift_struct_end (&t);
    }

  /* Parquet has no duration type: name those columns for our own reader. */
  g_autoptr (GString) types = g_string_new (NULL);
  for (guint c = 0; c < n_cols; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (col->type != DMPI_COL_DURATION)
        continue;
      g_autofree char *name = g_uri_escape_string (col->name, "!$&'()*+,;=:@/ ", TRUE);
      g_string_append_printf (types, "duration %s\n", name);
    }
  if (types->len > 0)
    {
      dmpi_thrift_list_begin (&t, 5, DMPI_THRIFT_STRUCT, 1);
      dmpi_thrift_elem_struct_begin (&t);
      dmpi_thrift_string (&t, 1, DMPI_PQ_TYPES_KEY);
      dmpi_thrift_string (&t, 2, types->str);
      dmpi_thrift_struct_end (&t);
    }

  dmpi_thrift_string (&t, 6, "dask-mpi version " PACKAGE_VERSION);

  /* Statistics are ordered by the types' own order (signed numbers, bytes
   * unsigned); readers trust min_value/max_value only when told so. */
  dmpi_thrift_list_begin (&t, 7, DMPI_THRIFT_STRUCT, n_cols);
  for (guint c = 0; c < n_cols; c++)
    {
      dmpi_thrift_elem_struct_begin (&t);
      dmpi_thrift_struct_begin (&t, 1);   /* TYPE_ORDER */
      dmpi_thrift_struct_end (&t);
      dmpi_thrift_struct_end (&t);
    }
  dmpi_thrift_struct_end (&t);
  return out;
}

/* ---- The file ------------------------------------------------------------ */

void
dmpi_parquet_options_init (DmpiParquetOptions *opts)
{
  opts->codec = DMPI_PARQUET_CODEC_SNAPPY;
  opts->timestamp_unit = DMPI_PARQUET_TIMESTAMP_MICROS;
  opts->row_group_rows = DEFAULT_ROW_GROUP_ROWS;
  opts->page_bytes = DEFAULT_PAGE_BYTES;
}

static gboolean
check_table (const DmpiTable *table, const char *path, GError **error)
{
  if (table->columns->len == 0)
    {
      g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                   "%s: a Parquet file needs at least one column", path);
      return FALSE;
    }
  for (guint c = 0; c < table->columns->len; c++)
    {
      const DmpiColumn *col = g_ptr_array_index (table->columns, c);
      if (col->n_rows != table->n_rows)
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "%s: column %s has %" G_GSIZE_FORMAT " rows, the table %" G_GSIZE_FORMAT,
                       path, col->name, col->n_rows, table->n_rows);
          return FALSE;
        }
      if ((guint) col->type >= DMPI_COL_N_TYPES
          || (col->type == DMPI_COL_STRING && col->offsets == NULL && col->n_rows > 0))
        {
          g_set_error (error, DMPI_DF_ERROR, DMPI_DF_ERROR_INVALID,
                       "%s: column %s has no valid type or data", path, col->name);
          return FALSE;
        }
    }
  return TRUE;
}

gboolean
dmpi_parquet_write_file (const DmpiTable *table, const char *path,
                         const DmpiParquetOptions *opts_in, GError **error)
{
  DmpiParquetOptions opts;
  static const char magic[4] = { 'P', 'A', 'R', '1' };

  if (opts_in != NULL)
    opts = *opts_in;
  else
    dmpi_parquet_options_init (&opts);
  if (opts.row_group_rows == 0)
    opts.row_group_rows = DEFAULT_ROW_GROUP_ROWS;
  if (opts.page_bytes == 0)
    opts.page_bytes = DEFAULT_PAGE_BYTES;

  if (!check_table (table, path, error))
    return FALSE;

  g_autoptr (DmpiOutFile) out = dmpi_out_file_open (path, error);
  if (out == NULL)
    return FALSE;

  guint n_cols = table->columns->len;
  guint n_groups = (guint) ((table->n_rows + opts.row_group_rows - 1) / opts.row_group_rows);
  g_autofree ChunkMeta *chunks = g_new0 (ChunkMeta, (gsize) n_groups * n_cols);
  Writer w = { .opts = &opts, .out = out, .path = path, .header = g_byte_array_new () };
  gboolean ok = dmpi_out_file_write (out, magic, 4, error);

  for (guint g = 0; ok && g < n_groups; g++)
    {
      gsize r0 = g * opts.row_group_rows;
      gsize r1 = MIN (table->n_rows, r0 + opts.row_group_rows);
      for (guint c = 0; ok && c < n_cols; c++)
        ok = write_chunk (&w, g_ptr_array_index (table->columns, c), r0, r1,
                          &chunks[g * n_cols + c], error);
    }

  if (ok)
    {
      g_autoptr (GByteArray) meta = file_metadata (&w, table, chunks, n_groups);
      guint32 len = GUINT32_TO_LE (meta->len);
      ok = dmpi_out_file_write (out, meta->data, meta->len, error)
           && dmpi_out_file_write (out, &len, 4, error)
           && dmpi_out_file_write (out, magic, 4, error);
    }

  for (gsize i = 0; i < (gsize) n_groups * n_cols; i++)
    {
      g_free (chunks[i].min);
      g_free (chunks[i].max);
    }
  g_byte_array_unref (w.header);
  g_free (w.page);
  g_free (w.comp);

  if (!ok)
    return FALSE;   /* the autoptr removes the temporary */
  return dmpi_out_file_commit (g_steal_pointer (&out), error);
}
