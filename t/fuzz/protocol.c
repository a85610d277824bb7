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

/* protocol.c's sender calls the transport; the harness never sends. */
void
dmpi_transport_send (DmpiTransport *transport, int dest_rank, guint32 kind, GBytes *payload)
{
  (void) transport; (void) dest_rank; (void) kind; (void) payload;
  g_assert_not_reached ();
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
    default:
      g_free (g_variant_print (message, TRUE));
      break;
    }
  return 0;
}
