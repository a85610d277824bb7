/* libFuzzer harness: the control protocol's decoder and the batch parsers.
 *
 * Input: one byte choosing the message kind, then the payload as it would
 * arrive from another rank. A payload that decodes is read the way the
 * scheduler, worker and client read it: every entry of a task or result
 * batch, every argument variant, everything else printed in full. */
#include "config.h"

#include "protocol.h"
#include "batch.h"

#include <stdint.h>
#include <string.h>

/* protocol.c's senders call the transport; the harness never sends. */
void
dmpi_transport_send (DmpiTransport *transport, int dest_rank, guint32 kind, GBytes *payload)
{
  (void) transport; (void) dest_rank; (void) kind; (void) payload;
  g_assert_not_reached ();
}

void
dmpi_transport_send_parts (DmpiTransport *transport, int dest_rank, guint32 kind,
                           GBytes *const *parts, guint n_parts)
{
  (void) transport; (void) dest_rank; (void) kind; (void) parts; (void) n_parts;
  g_assert_not_reached ();
}

/* A data message that decodes is in normal form, so the sender's own
 * encoder, fed what was read from it, must give back the very same bytes. */
static void
check_data_encoder (GVariant *message, GBytes *payload)
{
  guint64 id;
  gboolean found;
  g_autoptr(GVariant) value = NULL;
  const char *text;

  g_variant_get (message, "(tbv&s)", &id, &found, &value, &text);
  if (!found && !g_variant_is_of_type (value, G_VARIANT_TYPE_UNIT))
    return;   /* not a message the sender makes */
  g_autoptr(GPtrArray) parts = dmpi_msg_data_parts (id, found ? value : NULL, text);
  g_autoptr(GByteArray) joined = g_byte_array_new ();
  for (guint i = 0; i < parts->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (parts->pdata[i], &len);
      g_byte_array_append (joined, data, (guint) len);
    }
  gsize len;
  const guint8 *data = g_bytes_get_data (payload, &len);
  if (joined->len != len || (len > 0 && memcmp (joined->data, data, len) != 0))
    g_error ("dmpi_msg_data_parts() does not give back a %" G_GSIZE_FORMAT "-byte data message", len);
}

static void
read_task_batch (GVariant *message)
{
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;
  gsize sum = 0;

  /* As the scheduler and worker do: the batch is cleared even when refused. */
  if (!dmpi_task_batch_parse (&batch, message, &error))
    {
      dmpi_task_batch_clear (&batch);
      return;
    }
  for (gsize i = 0; i < batch.n; i++)
    {
      gsize size = 0;
      guint n_deps = 0, n_ranks = 0;
      const guint64 *deps;
      const guint32 *dep_ranks, *ranks;
      g_autoptr(GVariant) args = NULL;
      g_autoptr(GError) args_error = NULL;

      sum += strlen (dmpi_task_batch_key (&batch, i));
      sum += strlen (dmpi_task_batch_function (&batch, i));
      sum += strlen (dmpi_task_batch_type (&batch, i));
      (void) dmpi_task_batch_args_data (&batch, i, &size);
      args = dmpi_task_batch_args (&batch, i, &args_error);
      if (args != NULL)
        g_free (g_variant_print (args, TRUE));
      deps = dmpi_task_batch_deps (&batch, i, &n_deps);
      dep_ranks = dmpi_task_batch_dep_ranks (&batch, i);
      for (guint d = 0; d < n_deps; d++)
        sum += deps[d] + (dep_ranks != NULL ? dep_ranks[d] : 0);
      ranks = dmpi_task_batch_restrict (&batch, i, &n_ranks);
      for (guint r = 0; r < n_ranks; r++)
        sum += ranks[r];
      sum += (gsize) batch.priorities[i] + batch.retries[i] + batch.ids[i] + size;
    }
  dmpi_task_batch_clear (&batch);
  (void) sum;
}

static void
read_result_batch (GVariant *message)
{
  DmpiResultBatch batch;
  g_autoptr(GError) error = NULL;
  double sum = 0;

  if (!dmpi_result_batch_parse (&batch, message, &error))
    {
      dmpi_result_batch_clear (&batch);
      return;
    }
  for (gsize i = 0; i < batch.n; i++)
    sum += (double) strlen (dmpi_result_batch_message (&batch, i)) + (double) batch.ids[i]
           + batch.states[i] + batch.codes[i] + batch.ranks[i] + (double) batch.nbytes[i]
           + batch.starts[i] + batch.stops[i];
  dmpi_result_batch_clear (&batch);
  (void) sum;
}

int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  guint32 kind;
  g_autoptr(GBytes) payload = NULL;
  g_autoptr(GVariant) message = NULL;
  g_autoptr(GError) error = NULL;

  if (size < 1)
    return 0;
  /* Kinds 0 and N_KINDS (unknown) are included: they must be refused too. */
  kind = data[0] % (DMPI_MSG_N_KINDS + 1);
  payload = g_bytes_new (data + 1, size - 1);
  message = dmpi_msg_decode (kind, payload, 3, &error);
  if (message == NULL)
    return 0;
  switch (kind)
    {
    case DMPI_MSG_SUBMIT:
    case DMPI_MSG_COMPUTE:
      read_task_batch (message);
      break;
    case DMPI_MSG_REPORT:
    case DMPI_MSG_FINISHED:
      read_result_batch (message);
      break;
    case DMPI_MSG_DATA:
      check_data_encoder (message, payload);
      g_free (g_variant_print (message, TRUE));
      break;
    default:
      g_free (g_variant_print (message, TRUE));
      break;
    }
  return 0;
}
