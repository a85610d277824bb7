/* Thrift compact protocol writer (the encoding Parquet uses for its
 * metadata): zigzag varints for integers, a field header that carries the
 * delta from the previous field id in its high nibble when it fits, booleans
 * folded into the field header's type. */
#include "config.h"

#include "df/thrift.h"

#include <string.h>

static void
put_byte (DmpiThrift *t, guint8 b)
{
  g_byte_array_append (t->out, &b, 1);
}

static void
put_varint (DmpiThrift *t, guint64 v)
{
  guint8 buf[10];
  guint n = 0;

  while (v >= 0x80)
    {
      buf[n++] = (guint8) (v | 0x80);
      v >>= 7;
    }
  buf[n++] = (guint8) v;
  g_byte_array_append (t->out, buf, n);
}

static inline guint64
zigzag64 (gint64 v)
{
  return ((guint64) v << 1) ^ (guint64) (v >> 63);
}

static void
field_header (DmpiThrift *t, gint16 id, DmpiThriftType type)
{
  gint16 *last = &t->last_id[t->depth];
  gint delta = id - *last;

  if (delta > 0 && delta <= 15)
    put_byte (t, (guint8) ((delta << 4) | type));
  else
    {
      put_byte (t, (guint8) type);
      put_varint (t, zigzag64 (id));
    }
  *last = id;
}

static void
push (DmpiThrift *t)
{
  g_assert (t->depth + 1 < DMPI_THRIFT_MAX_DEPTH);
  t->last_id[++t->depth] = 0;
}

void
dmpi_thrift_init (DmpiThrift *t, GByteArray *out)
{
  t->out = out;
  t->depth = 0;
  t->last_id[0] = 0;
}

void
dmpi_thrift_i32 (DmpiThrift *t, gint16 id, gint32 v)
{
  field_header (t, id, DMPI_THRIFT_I32);
  put_varint (t, zigzag64 (v));
}

void
dmpi_thrift_i64 (DmpiThrift *t, gint16 id, gint64 v)
{
  field_header (t, id, DMPI_THRIFT_I64);
  put_varint (t, zigzag64 (v));
}

void
dmpi_thrift_bool (DmpiThrift *t, gint16 id, gboolean v)
{
  field_header (t, id, v ? DMPI_THRIFT_BOOL_TRUE : DMPI_THRIFT_BOOL_FALSE);
}

void
dmpi_thrift_binary (DmpiThrift *t, gint16 id, const void *data, gsize len)
{
  field_header (t, id, DMPI_THRIFT_BINARY);
  put_varint (t, len);
  g_byte_array_append (t->out, data, (guint) len);
}

void
dmpi_thrift_string (DmpiThrift *t, gint16 id, const char *s)
{
  dmpi_thrift_binary (t, id, s, strlen (s));
}

void
dmpi_thrift_struct_begin (DmpiThrift *t, gint16 id)
{
  field_header (t, id, DMPI_THRIFT_STRUCT);
  push (t);
}

void
dmpi_thrift_struct_end (DmpiThrift *t)
{
  put_byte (t, 0);   /* field stop */
  if (t->depth > 0)
    t->depth--;
}

void
dmpi_thrift_list_begin (DmpiThrift *t, gint16 id, DmpiThriftType elem_type, guint32 n)
{
  field_header (t, id, DMPI_THRIFT_LIST);
  if (n < 15)
    put_byte (t, (guint8) ((n << 4) | elem_type));
  else
    {
      put_byte (t, (guint8) (0xf0 | elem_type));
      put_varint (t, n);
    }
}

void
dmpi_thrift_elem_i32 (DmpiThrift *t, gint32 v)
{
  put_varint (t, zigzag64 (v));
}

void
dmpi_thrift_elem_string (DmpiThrift *t, const char *s)
{
  gsize len = strlen (s);
  put_varint (t, len);
  g_byte_array_append (t->out, (const guint8 *) s, (guint) len);
}

void
dmpi_thrift_elem_struct_begin (DmpiThrift *t)
{
  push (t);
}
