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
 * by their size, and tuples and variants by their parts plus a rebuild that
 * must give the very same bytes (framing offsets and padding). */
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
      sound = sound && same_bytes (value, g_variant_new_tuple (children, n));
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
