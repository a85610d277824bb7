/* Thrift compact protocol reader: see thrift-read.h. Every byte taken is
 * checked against the end of the buffer; nesting is bounded so that a
 * crafted footer cannot exhaust the stack. */
#include "config.h"

#include "df/thrift-read.h"

#define THRIFT_UUID 13   /* 16 bytes; newer than the types Parquet uses */

static void skip_value (DmpiThriftReader *r, DmpiThriftType type, gboolean elem);

static void
fail (DmpiThriftReader *r, const char *why)
{
  if (r->error == NULL)
    r->error = why;
  r->p = r->end;
}

/* The data ends before the value does. */
static void
fail_short (DmpiThriftReader *r, const char *why)
{
  if (r->error == NULL)
    r->truncated = TRUE;
  fail (r, why);
}

void
dmpi_thrift_reader_init (DmpiThriftReader *r, const guint8 *data, gsize len)
{
  r->start = r->p = data;
  r->end = data + len;
  r->error = NULL;
  r->truncated = FALSE;
  r->depth = 0;
}

static guint64
read_varint (DmpiThriftReader *r)
{
  guint64 v = 0;
  for (guint shift = 0; shift < 64; shift += 7)
    {
      if (r->p >= r->end)
        {
          fail_short (r, "Thrift data ends inside an integer");
          return 0;
        }
      guint8 b = *r->p++;
      v |= (guint64) (b & 0x7f) << shift;
      if (!(b & 0x80))
        return v;
    }
  fail (r, "a Thrift integer is longer than 10 bytes");
  return 0;
}

static gint64
read_zigzag (DmpiThriftReader *r)
{
  guint64 v = read_varint (r);
  return (gint64) (v >> 1) ^ -(gint64) (v & 1);
}

gboolean
dmpi_thrift_struct_enter (DmpiThriftReader *r)
{
  if (r->error != NULL)
    return FALSE;
  if (r->depth >= DMPI_THRIFT_MAX_DEPTH)
    {
      fail (r, "Thrift structs are nested too deeply");
      return FALSE;
    }
  r->depth++;
  return TRUE;
}

gboolean
dmpi_thrift_next_field (DmpiThriftReader *r, gint16 *last_id, gint16 *id, DmpiThriftType *type)
{
  if (r->error != NULL)
    return FALSE;
  if (r->p >= r->end)
    {
      fail_short (r, "Thrift data ends inside a struct");
      return FALSE;
    }
  guint8 h = *r->p++;
  if (h == 0)
    {
      r->depth--;
      return FALSE;
    }
  guint delta = h >> 4;
  gint64 fid = delta != 0 ? *last_id + (gint64) delta : read_zigzag (r);
  if (fid < G_MININT16 || fid > G_MAXINT16)
    {
      fail (r, "a Thrift field id is out of range");
      return FALSE;
    }
  *id = *last_id = (gint16) fid;
  *type = (DmpiThriftType) (h & 0x0f);
  if (*type == 0 || (*type > DMPI_THRIFT_STRUCT && *type != THRIFT_UUID))
    {
      fail (r, "a Thrift field has an unknown type");
      return FALSE;
    }
  return r->error == NULL;
}

static gboolean
is_int (DmpiThriftType type)
{
  return type == DMPI_THRIFT_BYTE || type == DMPI_THRIFT_I16 || type == DMPI_THRIFT_I32
         || type == DMPI_THRIFT_I64;
}

gint64
dmpi_thrift_read_elem_int (DmpiThriftReader *r, DmpiThriftType type)
{
  if (type == DMPI_THRIFT_BYTE)
    {
      if (r->p >= r->end)
        {
          fail_short (r, "Thrift data ends inside a byte");
          return 0;
        }
      return (gint8) *r->p++;
    }
  if (is_int (type))
    return read_zigzag (r);
  if (type == DMPI_THRIFT_BOOL_TRUE || type == DMPI_THRIFT_BOOL_FALSE)
    {
      if (r->p >= r->end)
        {
          fail_short (r, "Thrift data ends inside a bool");
          return 0;
        }
      return *r->p++ == 1;
    }
  skip_value (r, type, TRUE);
  return 0;
}

gint64
dmpi_thrift_read_int (DmpiThriftReader *r, DmpiThriftType type)
{
  if (!is_int (type))
    {
      dmpi_thrift_skip (r, type);
      return 0;
    }
  return dmpi_thrift_read_elem_int (r, type);
}

gboolean
dmpi_thrift_read_bool (DmpiThriftReader *r, DmpiThriftType type)
{
  /* A bool field's value is its type. */
  if (type == DMPI_THRIFT_BOOL_TRUE)
    return TRUE;
  if (type != DMPI_THRIFT_BOOL_FALSE)
    dmpi_thrift_skip (r, type);
  return FALSE;
}

static const guint8 *
read_binary (DmpiThriftReader *r, DmpiThriftType type, gsize *len, gboolean elem)
{
  *len = 0;
  if (type != DMPI_THRIFT_BINARY)
    {
      skip_value (r, type, elem);
      return NULL;
    }
  guint64 n = read_varint (r);
  if (n > (guint64) (r->end - r->p))
    {
      fail_short (r, "a Thrift string runs past the end of its data");
      return NULL;
    }
  const guint8 *s = r->p;
  r->p += n;
  *len = (gsize) n;
  return s;
}

const guint8 *
dmpi_thrift_read_elem_binary (DmpiThriftReader *r, DmpiThriftType type, gsize *len)
{
  return read_binary (r, type, len, TRUE);
}

const guint8 *
dmpi_thrift_read_binary (DmpiThriftReader *r, DmpiThriftType type, gsize *len)
{
  return read_binary (r, type, len, FALSE);
}

static gboolean
read_list_header (DmpiThriftReader *r, DmpiThriftType *elem_type, guint32 *n)
{
  if (r->p >= r->end)
    {
      fail_short (r, "Thrift data ends inside a list header");
      return FALSE;
    }
  guint8 h = *r->p++;
  guint64 count = h >> 4;
  if (count == 15)
    count = read_varint (r);
  *elem_type = (DmpiThriftType) (h & 0x0f);
  /* Every element takes a byte at least (bools too, in a list). */
  if (count > (guint64) (r->end - r->p))
    {
      fail_short (r, "a Thrift list has more elements than bytes left");
      return FALSE;
    }
  *n = (guint32) count;
  return r->error == NULL;
}

gboolean
dmpi_thrift_read_list (DmpiThriftReader *r, DmpiThriftType type, DmpiThriftType *elem_type,
                       guint32 *n)
{
  *n = 0;
  if (type != DMPI_THRIFT_LIST && type != DMPI_THRIFT_SET)
    {
      dmpi_thrift_skip (r, type);
      return FALSE;
    }
  return read_list_header (r, elem_type, n);
}

static void
skip_bytes (DmpiThriftReader *r, gsize n)
{
  if (n > (gsize) (r->end - r->p))
    fail_short (r, "a Thrift value runs past the end of its data");
  else
    r->p += n;
}

/* @elem: a list element or map entry (a bool takes a byte), not a field. */
static void
skip_value (DmpiThriftReader *r, DmpiThriftType type, gboolean elem)
{
  if (r->error != NULL)
    return;
  switch ((int) type)
    {
    case DMPI_THRIFT_BOOL_TRUE:
    case DMPI_THRIFT_BOOL_FALSE:
      if (elem)
        skip_bytes (r, 1);
      break;
    case DMPI_THRIFT_BYTE:   skip_bytes (r, 1); break;
    case DMPI_THRIFT_I16:
    case DMPI_THRIFT_I32:
    case DMPI_THRIFT_I64:    read_varint (r); break;
    case DMPI_THRIFT_DOUBLE: skip_bytes (r, 8); break;
    case THRIFT_UUID:        skip_bytes (r, 16); break;
    case DMPI_THRIFT_BINARY: skip_bytes (r, read_varint (r)); break;
    case DMPI_THRIFT_LIST:
    case DMPI_THRIFT_SET:
      {
        DmpiThriftType et;
        guint32 n;
        if (!dmpi_thrift_struct_enter (r))   /* counts toward the nesting limit */
          return;
        if (read_list_header (r, &et, &n))
          for (guint32 i = 0; i < n && r->error == NULL; i++)
            skip_value (r, et, TRUE);
        r->depth--;
        break;
      }
    case DMPI_THRIFT_MAP:
      {
        guint64 n = read_varint (r);
        if (n == 0)
          break;
        if (r->p >= r->end || n > (guint64) (r->end - r->p))
          {
            fail_short (r, "a Thrift map has more entries than bytes left");
            return;
          }
        guint8 kv = *r->p++;
        if (!dmpi_thrift_struct_enter (r))
          return;
        for (guint64 i = 0; i < n && r->error == NULL; i++)
          {
            skip_value (r, (DmpiThriftType) (kv >> 4), TRUE);
            skip_value (r, (DmpiThriftType) (kv & 0x0f), TRUE);
          }
        r->depth--;
        break;
      }
    case DMPI_THRIFT_STRUCT:
      {
        gint16 last = 0, id;
        DmpiThriftType ft;
        if (!dmpi_thrift_struct_enter (r))
          return;
        while (dmpi_thrift_next_field (r, &last, &id, &ft))
          skip_value (r, ft, FALSE);
        break;
      }
    default:
      fail (r, "a Thrift value has an unknown type");
    }
}

void
dmpi_thrift_skip (DmpiThriftReader *r, DmpiThriftType type)
{
  skip_value (r, type, FALSE);
}
