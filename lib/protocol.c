#include "config.h"

#include "protocol.h"
#include "dmpi-error.h"
#include "batch.h"

#include <string.h>

typedef struct {
  const char *name;
  const char *type;
  gsize max_bytes;
} KindInfo;

#define CONTROL_MAX ((gsize) 256 << 20)   /* a graph of a few million tasks */
#define DATA_MAX    ((gsize) 1 << 40)     /* results and scattered values */

static const KindInfo kinds[DMPI_MSG_N_KINDS] = {
  [DMPI_MSG_HELLO]         = { "hello",         "(uusut)",       4096 },
  [DMPI_MSG_WELCOME]       = { "welcome",       "(uss)",         4096 },
  [DMPI_MSG_WORKERS]       = { "workers",       "a(usut)",       CONTROL_MAX },
  [DMPI_MSG_SUBMIT]        = { "submit",        DMPI_TASK_BATCH_TYPE,   DATA_MAX },
  [DMPI_MSG_REPORT]        = { "report",        DMPI_RESULT_BATCH_TYPE, CONTROL_MAX },
  [DMPI_MSG_COMPUTE]       = { "compute",       DMPI_TASK_BATCH_TYPE,   DATA_MAX },
  [DMPI_MSG_FINISHED]      = { "finished",      DMPI_RESULT_BATCH_TYPE, CONTROL_MAX },
  [DMPI_MSG_FETCH]         = { "fetch",         "at",            CONTROL_MAX },
  [DMPI_MSG_DATA]          = { "data",          "(tbvs)",        DATA_MAX },
  [DMPI_MSG_FREE]          = { "free",          "at",            CONTROL_MAX },
  [DMPI_MSG_RELEASE]       = { "release",       "at",            CONTROL_MAX },
  [DMPI_MSG_SCATTER]       = { "scatter",       "a(tsv)",        DATA_MAX },
  [DMPI_MSG_SCATTER_ACK]   = { "scatter-ack",   "a(tt)",         CONTROL_MAX },
  [DMPI_MSG_UPDATE_DATA]   = { "update-data",   "a(tstu)",       CONTROL_MAX },
  [DMPI_MSG_LOAD_MODULE]   = { "load-module",   "(ts)",          65536 },
  [DMPI_MSG_MODULE_LOADED] = { "module-loaded", "(tbs)",         65536 },
  [DMPI_MSG_HEARTBEAT]     = { "heartbeat",     "(utttd)",       4096 },
  [DMPI_MSG_SHUTDOWN]      = { "shutdown",      "(is)",          65536 },
  [DMPI_MSG_GOODBYE]       = { "goodbye",       "(s)",           65536 },
  [DMPI_MSG_CANCEL]        = { "cancel",        "at",            CONTROL_MAX },
  [DMPI_MSG_KEEP]          = { "keep",          "at",            CONTROL_MAX },
  [DMPI_MSG_STEAL]         = { "steal",         "at",            CONTROL_MAX },
  [DMPI_MSG_GIVE_BACK]     = { "give-back",     "(atat)",        CONTROL_MAX },
  [DMPI_MSG_PAUSE]         = { "pause",         "(bbs)",         65536 },
};

static gboolean
kind_known (guint32 kind)
{
  return kind > 0 && kind < DMPI_MSG_N_KINDS && kinds[kind].type != NULL;
}

const char *
dmpi_msg_kind_name (guint32 kind)
{
  return kind_known (kind) ? kinds[kind].name : "unknown";
}

const GVariantType *
dmpi_msg_kind_type (guint32 kind)
{
  return kind_known (kind) ? G_VARIANT_TYPE (kinds[kind].type) : NULL;
}

gsize
dmpi_msg_kind_max_bytes (guint32 kind)
{
  return kind_known (kind) ? kinds[kind].max_bytes : 0;
}

/* Bytes per element of an array GLib may check by its size alone: fixed-size
 * basic types whose every bit pattern is valid (not booleans). 0 otherwise. */
static gsize
plain_element_size (const GVariantType *element)
{
  switch (g_variant_type_peek_string (element)[0])
    {
    case 'y':
      return 1;
    case 'n': case 'q':
      return 2;
    case 'i': case 'u': case 'h':
      return 4;
    case 'x': case 't': case 'd':
      return 8;
    default:
      return 0;
    }
}

/* GVariant's layout of the definite type at @t: alignment (as a mask: 0, 1,
 * 3 or 7) and fixed size (0: variable). Returns the end of the type. */
static const char *
type_layout (const char *t, guint *align, gsize *fixed)
{
  switch (*t)
    {
    case 'b': case 'y':
      *align = 0, *fixed = 1;
      return t + 1;
    case 'n': case 'q':
      *align = 1, *fixed = 2;
      return t + 1;
    case 'i': case 'u': case 'h':
      *align = 3, *fixed = 4;
      return t + 1;
    case 'x': case 't': case 'd':
      *align = 7, *fixed = 8;
      return t + 1;
    case 'v':
      *align = 7, *fixed = 0;
      return t + 1;
    case 'a': case 'm':
      t = type_layout (t + 1, align, fixed);
      *fixed = 0;
      return t;
    case '(': case '{':
      {
        guint max_align = 0;
        gsize end = 0;
        gboolean variable = FALSE;

        for (t++; *t != ')' && *t != '}';)
          {
            guint a;
            gsize f;
            t = type_layout (t, &a, &f);
            max_align = MAX (max_align, a);
            variable = variable || f == 0;
            end += ((-end) & a) + f;
          }
        *align = max_align;
        /* The unit type () takes one byte. */
        *fixed = variable ? 0 : end == 0 ? 1 : end + ((-end) & max_align);
        return t + 1;
      }
    default:   /* s, o, g */
      *align = 0, *fixed = 0;
      return t + 1;
    }
}

/* Size of a container of @body bytes with @n framing offsets, each as wide as
 * the container's size needs (GLib's gvs_calculate_total_size). */
static gsize
container_size (gsize body, gsize n)
{
  if (body + n <= G_MAXUINT8)
    return body + n;
  if (body + 2 * n <= G_MAXUINT16)
    return body + 2 * n;
  if (body + 4 * n <= G_MAXUINT32)
    return body + 4 * n;
  return body + 8 * n;
}

/* Width of the framing offsets of a container of @size bytes. */
static guint
offset_width (gsize size)
{
  return size > G_MAXUINT32 ? 8 : size > G_MAXUINT16 ? 4 : size > G_MAXUINT8 ? 2 : size > 0 ? 1 : 0;
}

/* Is the serialised tuple @value exactly the normal-form serialisation of
 * its @n (sound) @children? Checked in place, without rebuilding it: each
 * child where normal form puts it, zero padding, framing offsets and size
 * as GLib writes them. Costs O(n) plus the padding, whatever the size of
 * the children. */
static gboolean
tuple_in_place (GVariant *value, GVariant **children, gsize n)
{
  const guint8 *base = g_variant_get_data (value);
  gsize size = g_variant_get_size (value), body = 0, n_offsets = 0, fixed;
  const char *type = g_variant_get_type_string (value), *t;
  guint align;

  if (base == NULL)
    return FALSE;
  type_layout (type, &align, &fixed);
  t = type + 1;
  for (gsize i = 0; i < n; i++)
    {
      gsize f;
      t = type_layout (t, &align, &f);
      body += ((-body) & align) + g_variant_get_size (children[i]);
      n_offsets += f == 0 && i + 1 < n;
    }
  if (size != (fixed > 0 ? fixed : container_size (body, n_offsets)))
    return FALSE;

  guint width = offset_width (size);
  gsize offset = 0, end = size;
  t = type + 1;
  for (gsize i = 0; i < n; i++)
    {
      gsize f, child_size = g_variant_get_size (children[i]);
      t = type_layout (t, &align, &f);
      for (; offset & align; offset++)
        if (base[offset] != 0)
          return FALSE;
      if (child_size > 0 && (const guint8 *) g_variant_get_data (children[i]) != base + offset)
        return FALSE;
      offset += child_size;
      if (f == 0 && i + 1 < n)
        {
          guint64 framing = 0;
          end -= width;
          for (guint b = 0; b < width; b++)
            framing |= (guint64) base[end + b] << (8 * b);
          if (framing != offset)
            return FALSE;
        }
    }
  for (; offset < end; offset++)
    if (base[offset] != 0)
      return FALSE;
  return TRUE;
}

/* Same bytes as @value? (@rebuilt is floating and consumed.) */
static gboolean
same_bytes (GVariant *value, GVariant *rebuilt)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (rebuilt);
  gsize size = g_variant_get_size (value);

  if (size != g_variant_get_size (owned))
    return FALSE;
  if (size == 0)
    return TRUE;
  /* GLib hands out no data for some values it found damaged. */
  gconstpointer a = g_variant_get_data (value), b = g_variant_get_data (owned);
  return a != NULL && b != NULL && memcmp (a, b, size) == 0;
}

/* Is @value in normal form? The same answer as g_variant_is_normal_form(), in
 * linear time: GLib's own check visits every element of an "ay" as a child
 * value (0.3 s for 10 MB of results), so arrays of plain numbers are judged
 * by their size, and tuples and variants by their parts plus their framing
 * and padding, checked in place (a rebuild would copy a 10 MB result). */
static gboolean
value_is_sound (GVariant *value, guint depth)
{
  const GVariantType *type = g_variant_get_type (value);

  if (depth > 64)
    return FALSE;
  if (g_variant_get_size (value) == 0)
    return g_variant_is_normal_form (value);     /* GLib's own rules for empty data */
  if (g_variant_type_is_array (type))
    {
      gsize element = plain_element_size (g_variant_type_element (type));
      if (element > 0)
        return g_variant_get_size (value) % element == 0;
      return g_variant_is_normal_form (value);
    }
  if (g_variant_type_is_variant (type))
    {
      /* Normal form of a variant: the value's own bytes, a NUL, its type
       * string — checked in place rather than by copying the value. */
      g_autoptr(GVariant) inner = g_variant_get_variant (value);
      if (!value_is_sound (inner, depth + 1))
        return FALSE;
      const char *inner_type = g_variant_get_type_string (inner);
      gsize inner_size = g_variant_get_size (inner), type_len = strlen (inner_type);
      const char *data = g_variant_get_data (value);
      if (data == NULL)
        return same_bytes (value, g_variant_new_variant (inner));
      return g_variant_get_size (value) == inner_size + 1 + type_len && data[inner_size] == '\0'
             && memcmp (data + inner_size + 1, inner_type, type_len) == 0;
    }
  if (g_variant_type_is_tuple (type) && g_variant_n_children (value) <= 64)
    {
      gsize n = g_variant_n_children (value);
      GVariant *children[64];
      gboolean sound = TRUE;
      for (gsize i = 0; i < n; i++)
        {
          children[i] = g_variant_get_child_value (value, i);
          sound = sound && value_is_sound (children[i], depth + 1);
        }
      sound = sound && tuple_in_place (value, children, n);
      for (gsize i = 0; i < n; i++)
        g_variant_unref (children[i]);
      return sound;
    }
  return g_variant_is_normal_form (value);
}

GVariant *
dmpi_msg_decode (guint32 kind, GBytes *payload, int src_rank, GError **error)
{
  if (!kind_known (kind))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL,
                   "message of unknown kind %u from rank %d", kind, src_rank);
      return NULL;
    }
  gsize size = g_bytes_get_size (payload);
  if (size > kinds[kind].max_bytes)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL,
                   "%s message from rank %d is %" G_GSIZE_FORMAT " bytes, over its limit of %" G_GSIZE_FORMAT,
                   kinds[kind].name, src_rank, size, kinds[kind].max_bytes);
      return NULL;
    }
  g_autoptr(GVariant) message = g_variant_ref_sink (
      g_variant_new_from_bytes (G_VARIANT_TYPE (kinds[kind].type), payload, FALSE));
  /* A fixed-size type of the wrong size reads as zeros, and framing offsets
   * of a variable-size one can be inconsistent: only what checks out is read. */
  if (!value_is_sound (message, 0))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL,
                   "%s message from rank %d (%" G_GSIZE_FORMAT " bytes) is not a valid %s",
                   kinds[kind].name, src_rank, size, kinds[kind].type);
      return NULL;
    }
  return g_steal_pointer (&message);
}

GVariant *
dmpi_msg_receive (guint32 kind, GBytes *payload, int src_rank)
{
  g_autoptr(GError) error = NULL;
  GVariant *message = dmpi_msg_decode (kind, payload, src_rank, &error);

  if (message == NULL)
    g_warning ("dropped: %s", error->message);
  return message;
}

GBytes *
dmpi_msg_encode (guint32 kind, GVariant *message)
{
  g_autoptr(GVariant) owned = g_variant_ref_sink (message);

  g_return_val_if_fail (kind_known (kind), NULL);
  g_return_val_if_fail (g_variant_is_of_type (owned, G_VARIANT_TYPE (kinds[kind].type)), NULL);
  return g_variant_get_data_as_bytes (owned);
}

void
dmpi_msg_send (DmpiTransport *transport, int dest_rank, guint32 kind, GVariant *message)
{
  g_autoptr(GBytes) payload = dmpi_msg_encode (kind, message);

  if (payload != NULL)
    dmpi_transport_send (transport, dest_rank, kind, payload);
}

/* (tbvs) in normal form: id at 0, found at 8, zero padding to the variant at
 * 16 (its alignment is 8); in the variant, the value's bytes, a NUL and its
 * type string; the message and its NUL; one framing offset (the variant's
 * end), little-endian, as wide as the whole message's size needs. */
#define DATA_VALUE_OFFSET 16

GPtrArray *
dmpi_msg_data_parts (guint64 id, GVariant *value, const char *message)
{
  g_autoptr(GVariant) owned = value != NULL ? g_variant_ref_sink (value)
                                            : g_variant_ref_sink (g_variant_new ("()"));
  /* A string in normal form is UTF-8 without a NUL inside. */
  g_autofree char *text = g_utf8_make_valid (message != NULL ? message : "", -1);
  /* A fixed-size value made from data of the wrong size has no bytes (GLib
   * reads it as zeros): send its normal form, as GLib would serialise it. */
  if (g_variant_get_data (owned) == NULL && g_variant_get_size (owned) > 0)
    {
      GVariant *normal = g_variant_get_normal_form (owned);
      g_variant_unref (owned);
      owned = normal;
    }
  GBytes *bytes = g_variant_get_data_as_bytes (owned);
  const char *type = g_variant_get_type_string (owned);
  gsize value_size = g_bytes_get_size (bytes), type_len = strlen (type), text_len = strlen (text);
  gsize variant_end = DATA_VALUE_OFFSET + value_size + 1 + type_len;
  gsize body = variant_end + text_len + 1;
  gsize width = container_size (body, 1) - body;
  GPtrArray *parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);

  guint8 *head = g_malloc0 (DATA_VALUE_OFFSET);
  memcpy (head, &id, sizeof id);
  head[8] = value != NULL;
  g_ptr_array_add (parts, g_bytes_new_take (head, DATA_VALUE_OFFSET));
  g_ptr_array_add (parts, bytes);

  gsize tail_len = 1 + type_len + text_len + 1 + width;
  guint8 *tail = g_malloc0 (tail_len), *p = tail + 1;
  memcpy (p, type, type_len);
  p += type_len;
  memcpy (p, text, text_len);
  p += text_len + 1;
  for (gsize b = 0; b < width; b++)
    p[b] = (guint8) (variant_end >> (8 * b));
  g_ptr_array_add (parts, g_bytes_new_take (tail, tail_len));
  return parts;
}

void
dmpi_msg_send_data (DmpiTransport *transport, int dest_rank, guint64 id, GVariant *value,
                    const char *message)
{
  g_autoptr(GPtrArray) parts = dmpi_msg_data_parts (id, value, message);

  dmpi_transport_send_parts (transport, dest_rank, DMPI_MSG_DATA, (GBytes *const *) parts->pdata,
                             parts->len);
}
