/* The client: the user's program on rank 1. Calls block by iterating the
 * client's own main context until what they wait for has arrived; MPI is
 * only called from that thread, through the transport. */
#include "config.h"

#include "dmpi-client.h"
#include "dmpi-error.h"
#include "role.h"
#include "protocol.h"
#include "batch.h"
#include "transport.h"
#include "log.h"

#include <stdlib.h>
#include <string.h>

#define SCHEDULER_RANK 0
#define WELCOME_TIMEOUT_S 120.0
#define SHUTDOWN_FLUSH_S 10.0

typedef struct {
  int rank;
  char *host;
  guint nthreads;
  guint64 memory_limit;
} WorkerInfo;

struct _DmpiFuture {
  gint ref_count;
  DmpiClient *client;          /* NULL once the client is gone */
  guint64 id;
  char *key;
  DmpiFutureStatus status;
  GError *error;
  guint64 nbytes;
  int holder;
  GVariant *value;             /* once gathered */
  gboolean fetching;
};

/* Workers that took a scattered value so far (several when broadcast). */
typedef struct {
  guint64 nbytes;
  guint count;
} ScatterAck;

struct _DmpiClient {
  gint ref_count;
  GMainContext *context;
  DmpiTransport *transport;
  gboolean welcomed;
  char *refused;
  GArray *workers;             /* of WorkerInfo */
  GHashTable *futures;         /* id → DmpiFuture* (weak: futures remove themselves) */
  GHashTable *keys;            /* key → DmpiFuture*, of the live futures with a key the user chose */
  guint64 next_id;
  guint64 next_request;
  DmpiTaskBatchBuilder *submit;
  GArray *release;             /* ids to release */
  GHashTable *scatter_acks;    /* id → ScatterAck* */
  guint64 module_request;
  gboolean module_done;
  gboolean module_ok;
  char *module_message;
  gboolean shut_down;
  char *dashboard;
};

static DmpiClient *the_client;

static void client_free (DmpiClient *client);

/* ---- messages ---- */

static void
on_report (DmpiClient *c, GVariant *msg)
{
  DmpiResultBatch batch;
  g_autoptr(GError) error = NULL;

  if (!dmpi_result_batch_parse (&batch, msg, &error))
    {
      g_warning ("dropped a report from the scheduler: %s", error->message);
      dmpi_result_batch_clear (&batch);
      return;
    }
  for (gsize i = 0; i < batch.n; i++)
    {
      DmpiFuture *f = g_hash_table_lookup (c->futures, &batch.ids[i]);
      if (f == NULL || f->status != DMPI_FUTURE_PENDING)
        continue;
      if (batch.states[i] == DMPI_STATE_MEMORY)
        {
          f->status = DMPI_FUTURE_FINISHED;
          f->nbytes = batch.nbytes[i];
          f->holder = (int) batch.ranks[i];
        }
      else
        {
          f->status = batch.codes[i] == DMPI_ERROR_CANCELLED ? DMPI_FUTURE_CANCELLED : DMPI_FUTURE_ERROR;
          f->error = g_error_new_literal (DMPI_ERROR, (gint) batch.codes[i], dmpi_result_batch_message (&batch, i));
        }
    }
  dmpi_result_batch_clear (&batch);
}

static void
on_workers (DmpiClient *c, GVariant *msg)
{
  GVariantIter iter;
  guint32 rank, nthreads;
  const char *host;
  guint64 memory_limit;

  for (guint i = 0; i < c->workers->len; i++)
    g_free (g_array_index (c->workers, WorkerInfo, i).host);
  g_array_set_size (c->workers, 0);
  g_variant_iter_init (&iter, msg);
  while (g_variant_iter_next (&iter, "(u&sut)", &rank, &host, &nthreads, &memory_limit))
    {
      WorkerInfo info = { (int) rank, g_strdup (host), nthreads, memory_limit };
      g_array_append_val (c->workers, info);
    }
}

static void
on_data (DmpiClient *c, int src, GVariant *msg)
{
  guint64 id;
  gboolean found;
  g_autoptr(GVariant) value = NULL;
  const char *message;

  g_variant_get (msg, "(tbv&s)", &id, &found, &value, &message);
  DmpiFuture *f = g_hash_table_lookup (c->futures, &id);
  if (f == NULL || !f->fetching || f->holder != src)
    return;
  f->fetching = FALSE;
  if (found)
    f->value = g_steal_pointer (&value);
  else
    {
      f->status = DMPI_FUTURE_ERROR;
      g_clear_error (&f->error);
      f->error = g_error_new (DMPI_ERROR, DMPI_ERROR_WORKER_LOST, "result of '%s' could not be fetched from rank %d: %s",
                              f->key, src, message);
    }
}

static void
on_message (DmpiTransport *transport, int src, guint32 kind, GBytes *payload, gpointer user_data)
{
  DmpiClient *c = user_data;
  g_autoptr(GVariant) msg = dmpi_msg_receive (kind, payload, src);

  if (msg == NULL)
    return;
  gboolean from_scheduler = src == SCHEDULER_RANK;
  gboolean ok = TRUE;
  switch (kind)
    {
    case DMPI_MSG_WELCOME:
      if ((ok = from_scheduler))
        {
          const char *why, *dashboard;
          g_variant_get (msg, "(u&s&s)", NULL, &why, &dashboard);
          c->welcomed = TRUE;
          if (*why != '\0')
            c->refused = g_strdup (why);
          if (*dashboard != '\0')
            c->dashboard = g_strdup (dashboard);
        }
      break;
    case DMPI_MSG_WORKERS:
      if ((ok = from_scheduler))
        on_workers (c, msg);
      break;
    case DMPI_MSG_REPORT:
      if ((ok = from_scheduler))
        on_report (c, msg);
      break;
    case DMPI_MSG_DATA:
      on_data (c, src, msg);
      break;
    case DMPI_MSG_SCATTER_ACK:
      {
        GVariantIter iter;
        guint64 id, nbytes;
        g_variant_iter_init (&iter, msg);
        while (g_variant_iter_next (&iter, "(tt)", &id, &nbytes))
          {
            ScatterAck *ack = g_hash_table_lookup (c->scatter_acks, &id);
            if (ack == NULL)
              {
                guint64 *key = g_new (guint64, 1);
                *key = id;
                ack = g_new0 (ScatterAck, 1);
                g_hash_table_insert (c->scatter_acks, key, ack);
              }
            ack->nbytes = nbytes;
            ack->count++;
          }
        break;
      }
    case DMPI_MSG_MODULE_LOADED:
      if ((ok = from_scheduler))
        {
          guint64 request;
          gboolean loaded;
          const char *message;
          g_variant_get (msg, "(tb&s)", &request, &loaded, &message);
          if (request == c->module_request)
            {
              c->module_done = TRUE;
              c->module_ok = loaded;
              g_free (c->module_message);
              c->module_message = g_strdup (message);
            }
        }
      break;
    default:
      ok = FALSE;
      break;
    }
  if (!ok)
    g_warning ("dropped a %s message from rank %d: the client does not take it from that rank",
               dmpi_msg_kind_name (kind), src);
}

/* ---- waiting ---- */

typedef gboolean (*Condition) (DmpiClient *c, gpointer data);

static gboolean
check_usable (DmpiClient *c, GError **error)
{
  if (c->shut_down)
    {
      g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_SHUTDOWN, "the client has shut the cluster down");
      return FALSE;
    }
  return TRUE;
}

/* Iterate until @done says so or @timeout_s (negative: no limit) passes. */
static gboolean
iterate_until (DmpiClient *c, Condition done, gpointer data, double timeout_s, const char *what, GError **error)
{
  gint64 deadline = timeout_s < 0 ? G_MAXINT64 : g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (!done (c, data))
    {
      if (g_get_monotonic_time () >= deadline)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_TIMEOUT, "timed out after %.1f s waiting for %s", timeout_s, what);
          return FALSE;
        }
      g_main_context_iteration (c->context, TRUE);
    }
  return TRUE;
}

/* ---- lifecycle ---- */

static gboolean
is_welcomed (DmpiClient *c, gpointer data)
{
  return c->welcomed;
}

static void
on_process_exit (int status, void *arg)
{
  DmpiClient *c = the_client;

  if (c == NULL || c->shut_down)
    return;
  g_autofree char *reason = g_strdup_printf ("the client exited with status %d", status);
  c->shut_down = TRUE;
  g_autoptr(GError) error = NULL;
  dmpi_msg_send (c->transport, SCHEDULER_RANK, DMPI_MSG_SHUTDOWN, g_variant_new ("(is)", status, reason));
  if (!dmpi_transport_flush (c->transport, SHUTDOWN_FLUSH_S))
    g_warning ("the scheduler did not take the shutdown message within %.0f s", SHUTDOWN_FLUSH_S);
  dmpi_transport_free (g_steal_pointer (&c->transport));
  dmpi_transport_finalize_mpi ();
}

DmpiClient *
dmpi_client_new (int *argc, char ***argv, GError **error)
{
  if (the_client != NULL)
    {
      g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_FAILED, "a process has one client; it exists already");
      return NULL;
    }
  if (!dmpi_role_init (DMPI_ROLE_CLIENT, argc, argv, error))
    {
      if (error != NULL && g_error_matches (*error, DMPI_ERROR, DMPI_ERROR_WORLD_TOO_SMALL))
        dmpi_transport_finalize_mpi ();
      return NULL;
    }
  DmpiClient *c = g_new0 (DmpiClient, 1);
  c->ref_count = 1;
  c->context = g_main_context_new ();
  c->workers = g_array_new (FALSE, FALSE, sizeof (WorkerInfo));
  c->futures = g_hash_table_new (g_int64_hash, g_int64_equal);
  c->keys = g_hash_table_new (g_str_hash, g_str_equal);
  c->release = g_array_new (FALSE, FALSE, sizeof (guint64));
  c->scatter_acks = g_hash_table_new_full (g_int64_hash, g_int64_equal, g_free, g_free);
  c->next_id = 1;
  c->submit = dmpi_task_batch_builder_new ();
  c->next_request = 1;
  c->transport = dmpi_transport_new (c->context, on_message, c);
  the_client = c;
  on_exit (on_process_exit, NULL);

  dmpi_msg_send (c->transport, SCHEDULER_RANK, DMPI_MSG_HELLO,
                 g_variant_new ("(uusut)", DMPI_PROTOCOL_VERSION, (guint32) DMPI_ROLE_CLIENT, dmpi_hostname (),
                                (guint32) 0, (guint64) 0));
  if (!iterate_until (c, is_welcomed, NULL, WELCOME_TIMEOUT_S, "the scheduler (rank 0) to answer", error))
    {
      dmpi_client_unref (c);
      return NULL;
    }
  if (c->refused != NULL)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL, "the scheduler refused the client: %s", c->refused);
      dmpi_client_unref (c);
      return NULL;
    }
  /* Users look for this line in rank 1's log. */
  if (c->dashboard != NULL)
    g_print ("Dask dashboard on %s\n", c->dashboard);
  return c;
}

DmpiClient *
dmpi_client_ref (DmpiClient *client)
{
  g_return_val_if_fail (client != NULL, NULL);
  g_atomic_int_inc (&client->ref_count);
  return client;
}

/* The last reference going does not shut the cluster down: the process's
 * exit does, with the true exit status. */
void
dmpi_client_unref (DmpiClient *client)
{
  if (client == NULL || !g_atomic_int_dec_and_test (&client->ref_count))
    return;
  if (client->shut_down)
    client_free (client);
}

static void
client_free (DmpiClient *c)
{
  GHashTableIter iter;
  gpointer value;

  g_hash_table_iter_init (&iter, c->futures);
  while (g_hash_table_iter_next (&iter, NULL, &value))
    ((DmpiFuture *) value)->client = NULL;
  g_hash_table_unref (c->futures);
  g_hash_table_unref (c->keys);
  for (guint i = 0; i < c->workers->len; i++)
    g_free (g_array_index (c->workers, WorkerInfo, i).host);
  g_array_unref (c->workers);
  g_array_unref (c->release);
  g_hash_table_unref (c->scatter_acks);
  g_clear_pointer (&c->submit, dmpi_task_batch_builder_free);
  g_free (c->refused);
  g_free (c->module_message);
  g_free (c->dashboard);
  g_main_context_unref (c->context);
  if (the_client == c)
    the_client = NULL;
  g_free (c);
}

gboolean
dmpi_client_shutdown (DmpiClient *client, int exit_code, GError **error)
{
  if (!check_usable (client, error))
    return FALSE;
  g_autofree char *reason = g_strdup_printf ("the client asked to shut down with status %d", exit_code);
  gboolean ok = dmpi_client_flush (client, NULL);
  client->shut_down = TRUE;
  dmpi_msg_send (client->transport, SCHEDULER_RANK, DMPI_MSG_SHUTDOWN, g_variant_new ("(is)", exit_code, reason));
  if (!dmpi_transport_flush (client->transport, SHUTDOWN_FLUSH_S))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_TIMEOUT,
                   "the scheduler did not take the shutdown message within %.0f s", SHUTDOWN_FLUSH_S);
      ok = FALSE;
    }
  dmpi_transport_free (g_steal_pointer (&client->transport));
  dmpi_transport_finalize_mpi ();
  return ok;
}

/* ---- workers ---- */

static gboolean
enough_workers (DmpiClient *c, gpointer data)
{
  return c->workers->len >= GPOINTER_TO_UINT (data);
}

gboolean
dmpi_client_wait_for_workers (DmpiClient *client, guint n_workers, double timeout_s, GError **error)
{
  if (!check_usable (client, error))
    return FALSE;
  g_autofree char *what = g_strdup_printf ("%u worker%s to join", n_workers, n_workers == 1 ? "" : "s");
  if (!iterate_until (client, enough_workers, GUINT_TO_POINTER (n_workers), timeout_s, what, error))
    {
      g_prefix_error (error, "%u joined: ", client->workers->len);
      return FALSE;
    }
  return TRUE;
}

guint
dmpi_client_get_n_workers (DmpiClient *client)
{
  return client->workers->len;
}

guint
dmpi_client_get_world_workers (DmpiClient *client)
{
  int world = dmpi_transport_world_size ();
  return world > 2 ? (guint) (world - 2) : 0;
}

guint
dmpi_client_get_n_threads (DmpiClient *client)
{
  guint n = 0;
  for (guint i = 0; i < client->workers->len; i++)
    n += g_array_index (client->workers, WorkerInfo, i).nthreads;
  return n;
}

guint64
dmpi_client_get_memory_limit (DmpiClient *client)
{
  guint64 n = 0;
  for (guint i = 0; i < client->workers->len; i++)
    n += g_array_index (client->workers, WorkerInfo, i).memory_limit;
  return n;
}

const char *
dmpi_client_get_dashboard_address (DmpiClient *client)
{
  return client->dashboard;
}

/* ---- modules ---- */

static gboolean
module_answered (DmpiClient *c, gpointer data)
{
  return c->module_done;
}

gboolean
dmpi_client_load_module (DmpiClient *client, const char *path, GError **error)
{
  g_return_val_if_fail (path != NULL, FALSE);
  if (!check_usable (client, error))
    return FALSE;
  g_autofree char *absolute = g_canonicalize_filename (path, NULL);
  if (!g_file_test (absolute, G_FILE_TEST_IS_REGULAR))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE, "module %s: no such file", absolute);
      return FALSE;
    }
  client->module_request = client->next_request++;
  client->module_done = FALSE;
  dmpi_msg_send (client->transport, SCHEDULER_RANK, DMPI_MSG_LOAD_MODULE,
                 g_variant_new ("(ts)", client->module_request, absolute));
  if (!iterate_until (client, module_answered, NULL, -1, "the workers to load a module", error))
    return FALSE;
  if (!client->module_ok)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MODULE, "%s", client->module_message);
      return FALSE;
    }
  return TRUE;
}

/* ---- futures ---- */

static DmpiFuture *
future_new (DmpiClient *c, const char *key, const char *function)
{
  DmpiFuture *f = g_new0 (DmpiFuture, 1);

  f->ref_count = 1;
  f->client = c;
  f->id = c->next_id++;
  f->key = key != NULL ? g_strdup (key) : g_strdup_printf ("%s-%" G_GUINT64_FORMAT, function, f->id);
  f->status = DMPI_FUTURE_PENDING;
  f->holder = -1;
  g_hash_table_insert (c->futures, &f->id, f);
  return f;
}

DmpiFuture *
dmpi_future_ref (DmpiFuture *future)
{
  g_return_val_if_fail (future != NULL, NULL);
  g_atomic_int_inc (&future->ref_count);
  return future;
}

void
dmpi_future_unref (DmpiFuture *future)
{
  if (future == NULL || !g_atomic_int_dec_and_test (&future->ref_count))
    return;
  DmpiClient *c = future->client;
  if (c != NULL)
    {
      g_hash_table_remove (c->futures, &future->id);
      if (g_hash_table_lookup (c->keys, future->key) == future)
        g_hash_table_remove (c->keys, future->key);
      if (!c->shut_down)
        g_array_append_val (c->release, future->id);
    }
  g_free (future->key);
  g_clear_error (&future->error);
  g_clear_pointer (&future->value, g_variant_unref);
  g_free (future);
}

const char *
dmpi_future_get_key (DmpiFuture *future)
{
  return future->key;
}

DmpiFutureStatus
dmpi_future_get_status (DmpiFuture *future)
{
  return future->status;
}

const GError *
dmpi_future_get_error (DmpiFuture *future)
{
  return future->error;
}

guint64
dmpi_future_get_nbytes (DmpiFuture *future)
{
  return future->nbytes;
}

/* Who has it: the rank of the worker holding its result, or -1. */
int
dmpi_future_get_worker (DmpiFuture *future)
{
  return future->status == DMPI_FUTURE_FINISHED ? future->holder : -1;
}

/* ---- submitting ---- */

gboolean
dmpi_client_flush (DmpiClient *client, GError **error)
{
  if (!check_usable (client, error))
    return FALSE;
  if (dmpi_task_batch_builder_len (client->submit) > 0)
    dmpi_msg_send (client->transport, SCHEDULER_RANK, DMPI_MSG_SUBMIT, dmpi_task_batch_builder_end (client->submit));
  if (client->release->len > 0)
    {
      dmpi_msg_send (client->transport, SCHEDULER_RANK, DMPI_MSG_RELEASE,
                     g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, client->release->data,
                                                client->release->len, sizeof (guint64)));
      g_array_set_size (client->release, 0);
    }
  return TRUE;
}

DmpiFuture *
dmpi_client_submit_full (DmpiClient *client, const char *function, GVariant *args,
                         DmpiFuture *const *deps, gsize n_deps, const DmpiSubmitOptions *options,
                         GError **error)
{
  g_return_val_if_fail (client != NULL, NULL);
  g_return_val_if_fail (function != NULL, NULL);
  g_autoptr(GVariant) owned_args = args != NULL ? g_variant_ref_sink (args) : g_variant_ref_sink (g_variant_new ("()"));
  const DmpiSubmitOptions defaults = { 0 };
  if (options == NULL)
    options = &defaults;
  const char *key = options->key;

  if (!check_usable (client, error))
    return NULL;
  if (*function == '\0' || (key != NULL && *key == '\0'))
    {
      g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH, "a task needs a function name and a non-empty key");
      return NULL;
    }
  if (key != NULL && g_hash_table_contains (client->keys, key))
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH,
                   "duplicate task key '%s': a live future already has it", key);
      return NULL;
    }
  g_autofree guint32 *ranks = g_new (guint32, MAX (options->n_workers, 1));
  for (gsize i = 0; i < options->n_workers; i++)
    {
      if (options->workers[i] < 2)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH,
                       "a %s task restricted to rank %d: workers are ranks 2 and up", function, options->workers[i]);
          return NULL;
        }
      ranks[i] = (guint32) options->workers[i];
    }
  g_autofree guint64 *dep_ids = g_new (guint64, MAX (n_deps, 1));
  for (gsize i = 0; i < n_deps; i++)
    {
      if (deps[i] == NULL || deps[i]->client != client)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_INVALID_GRAPH,
                       "dependency %" G_GSIZE_FORMAT " of a %s task is not a future of this client", i, function);
          return NULL;
        }
      dep_ids[i] = deps[i]->id;
    }
  DmpiFuture *f = future_new (client, key, function);
  if (key != NULL)
    g_hash_table_insert (client->keys, f->key, f);
  dmpi_task_batch_builder_add (client->submit, f->id, f->key, function, g_variant_get_type_string (owned_args),
                               g_variant_get_data (owned_args), g_variant_get_size (owned_args), dep_ids, NULL,
                               (guint) n_deps);
  if (options->priority != 0 || options->retries != 0 || options->n_workers > 0)
    dmpi_task_batch_builder_set_options (client->submit, options->priority, options->retries, ranks,
                                         (guint) options->n_workers);
  if (dmpi_task_batch_builder_len (client->submit) >= DMPI_BATCH_MAX)
    dmpi_client_flush (client, NULL);
  return f;
}

DmpiFuture *
dmpi_client_submit_with_key (DmpiClient *client, const char *key, const char *function, GVariant *args,
                             DmpiFuture *const *deps, gsize n_deps, GError **error)
{
  DmpiSubmitOptions options = { .key = key };

  return dmpi_client_submit_full (client, function, args, deps, n_deps, &options, error);
}

DmpiFuture *
dmpi_client_submit (DmpiClient *client, const char *function, GVariant *args,
                    DmpiFuture *const *deps, gsize n_deps, GError **error)
{
  return dmpi_client_submit_with_key (client, NULL, function, args, deps, n_deps, error);
}

GPtrArray *
dmpi_client_map (DmpiClient *client, const char *function, GVariant *const *args, gsize n_args, GError **error)
{
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);

  for (gsize i = 0; i < n_args; i++)
    {
      DmpiFuture *f = dmpi_client_submit (client, function, args[i], NULL, 0, error);
      if (f == NULL)
        return NULL;
      g_ptr_array_add (futures, f);
    }
  return g_steal_pointer (&futures);
}

/* ---- waiting and gathering ---- */

typedef struct {
  DmpiFuture *const *futures;
  gsize n;
  gsize next;    /* all before it are done */
} WaitSet;

static gboolean
all_done (DmpiClient *c, gpointer data)
{
  WaitSet *set = data;
  while (set->next < set->n && set->futures[set->next]->status != DMPI_FUTURE_PENDING)
    set->next++;
  return set->next == set->n;
}

static gboolean
any_done (DmpiClient *c, gpointer data)
{
  WaitSet *set = data;
  for (gsize i = 0; i < set->n; i++)
    if (set->futures[i]->status != DMPI_FUTURE_PENDING)
      return TRUE;
  return set->n == 0;
}

gboolean
dmpi_client_wait_full (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures, double timeout_s,
                       DmpiWaitMode mode, GError **error)
{
  if (!dmpi_client_flush (client, error))
    return FALSE;
  WaitSet set = { futures, n_futures, 0 };
  g_autofree char *what = g_strdup_printf ("%s%" G_GSIZE_FORMAT " task%s", mode == DMPI_WAIT_FIRST_COMPLETED ? "the first of " : "",
                                           n_futures, n_futures == 1 ? "" : "s");
  return iterate_until (client, mode == DMPI_WAIT_FIRST_COMPLETED ? any_done : all_done, &set, timeout_s, what, error);
}

gboolean
dmpi_client_wait (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures, double timeout_s, GError **error)
{
  return dmpi_client_wait_full (client, futures, n_futures, timeout_s, DMPI_WAIT_ALL_COMPLETED, error);
}

static void
send_ids (DmpiClient *client, guint32 kind, DmpiFuture *const *futures, gsize n)
{
  g_autofree guint64 *ids = g_new (guint64, MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    ids[i] = futures[i]->id;
  dmpi_msg_send (client->transport, SCHEDULER_RANK, kind,
                 g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, ids, n, sizeof (guint64)));
}

gboolean
dmpi_client_cancel (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures, GError **error)
{
  if (!dmpi_client_flush (client, error))
    return FALSE;
  for (gsize i = 0; i < n_futures; i++)
    {
      DmpiFuture *f = futures[i];
      if (f->status != DMPI_FUTURE_PENDING)
        continue;
      f->status = DMPI_FUTURE_CANCELLED;
      f->error = g_error_new (DMPI_ERROR, DMPI_ERROR_CANCELLED, "task '%s' was cancelled", f->key);
    }
  send_ids (client, DMPI_MSG_CANCEL, futures, n_futures);
  return TRUE;
}

void
dmpi_client_fire_and_forget (DmpiClient *client, DmpiFuture *future)
{
  if (client->shut_down || !dmpi_client_flush (client, NULL))
    return;
  send_ids (client, DMPI_MSG_KEEP, &future, 1);
}

struct _DmpiAsCompleted {
  DmpiClient *client;
  GPtrArray *pending;     /* of DmpiFuture*, refs */
};

DmpiAsCompleted *
dmpi_as_completed_new (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures)
{
  DmpiAsCompleted *iter = g_new0 (DmpiAsCompleted, 1);

  iter->client = dmpi_client_ref (client);
  iter->pending = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  for (gsize i = 0; i < n_futures; i++)
    g_ptr_array_add (iter->pending, dmpi_future_ref (futures[i]));
  return iter;
}

/* The next future to finish (a new reference), in the order they finish;
 * NULL with no error when all were returned, NULL with an error on timeout. */
DmpiFuture *
dmpi_as_completed_next (DmpiAsCompleted *iter, double timeout_s, GError **error)
{
  if (iter->pending->len == 0)
    return NULL;
  if (!dmpi_client_wait_full (iter->client, (DmpiFuture *const *) iter->pending->pdata, iter->pending->len,
                              timeout_s, DMPI_WAIT_FIRST_COMPLETED, error))
    return NULL;
  for (guint i = 0; i < iter->pending->len; i++)
    {
      DmpiFuture *f = g_ptr_array_index (iter->pending, i);
      if (f->status != DMPI_FUTURE_PENDING)
        return g_ptr_array_steal_index (iter->pending, i);
    }
  g_return_val_if_reached (NULL);
}

void
dmpi_as_completed_free (DmpiAsCompleted *iter)
{
  if (iter == NULL)
    return;
  g_ptr_array_unref (iter->pending);
  dmpi_client_unref (iter->client);
  g_free (iter);
}

static gboolean
all_fetched (DmpiClient *c, gpointer data)
{
  WaitSet *set = data;
  while (set->next < set->n && !set->futures[set->next]->fetching)
    set->next++;
  return set->next == set->n;
}

static gboolean
future_failed (DmpiFuture *f, GError **error)
{
  if (f->status == DMPI_FUTURE_ERROR || f->status == DMPI_FUTURE_CANCELLED)
    {
      if (error != NULL)
        *error = g_error_copy (f->error);
      return TRUE;
    }
  return FALSE;
}

GPtrArray *
dmpi_client_gather (DmpiClient *client, DmpiFuture *const *futures, gsize n_futures, GError **error)
{
  if (!dmpi_client_wait (client, futures, n_futures, -1, error))
    return NULL;
  g_autoptr(GHashTable) by_rank = g_hash_table_new_full (NULL, NULL, NULL, (GDestroyNotify) g_array_unref);
  for (gsize i = 0; i < n_futures; i++)
    {
      DmpiFuture *f = futures[i];
      if (future_failed (f, error))
        return NULL;
      if (f->value != NULL || f->fetching)
        continue;
      f->fetching = TRUE;
      GArray *ids = g_hash_table_lookup (by_rank, GINT_TO_POINTER (f->holder));
      if (ids == NULL)
        {
          ids = g_array_new (FALSE, FALSE, sizeof (guint64));
          g_hash_table_insert (by_rank, GINT_TO_POINTER (f->holder), ids);
        }
      g_array_append_val (ids, f->id);
    }
  GHashTableIter iter;
  gpointer rank, value;
  g_hash_table_iter_init (&iter, by_rank);
  while (g_hash_table_iter_next (&iter, &rank, &value))
    {
      GArray *ids = value;
      dmpi_msg_send (client->transport, GPOINTER_TO_INT (rank), DMPI_MSG_FETCH,
                     g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, ids->data, ids->len, sizeof (guint64)));
    }
  WaitSet set = { futures, n_futures, 0 };
  if (!iterate_until (client, all_fetched, &set, -1, "results", error))
    return NULL;
  g_autoptr(GPtrArray) values = g_ptr_array_new_full ((guint) n_futures, (GDestroyNotify) g_variant_unref);
  for (gsize i = 0; i < n_futures; i++)
    {
      if (future_failed (futures[i], error))
        return NULL;
      g_ptr_array_add (values, g_variant_ref (futures[i]->value));
    }
  return g_steal_pointer (&values);
}

GVariant *
dmpi_client_gather_one (DmpiClient *client, DmpiFuture *future, GError **error)
{
  g_autoptr(GPtrArray) values = dmpi_client_gather (client, &future, 1, error);

  if (values == NULL)
    return NULL;
  return g_variant_ref (g_ptr_array_index (values, 0));
}

typedef struct {
  GPtrArray *futures;
  guint copies;        /* acks each needs: 1, or the workers when broadcast */
} ScatterSet;

static gboolean
all_acked (DmpiClient *c, gpointer data)
{
  ScatterSet *set = data;
  for (guint i = 0; i < set->futures->len; i++)
    {
      ScatterAck *ack = g_hash_table_lookup (c->scatter_acks, &((DmpiFuture *) g_ptr_array_index (set->futures, i))->id);
      if (ack == NULL || ack->count < set->copies)
        return FALSE;
    }
  return TRUE;
}

/* The workers to scatter to: @options' list, checked, or all. */
static GArray *
scatter_targets (DmpiClient *client, const DmpiScatterOptions *options, GError **error)
{
  GArray *ranks = g_array_new (FALSE, FALSE, sizeof (int));

  for (guint w = 0; w < client->workers->len; w++)
    {
      int rank = g_array_index (client->workers, WorkerInfo, w).rank;
      gboolean chosen = options == NULL || options->n_workers == 0;
      for (gsize i = 0; !chosen && i < options->n_workers; i++)
        chosen = options->workers[i] == rank;
      if (chosen)
        g_array_append_val (ranks, rank);
    }
  for (gsize i = 0; options != NULL && i < options->n_workers; i++)
    {
      gboolean known = FALSE;
      for (guint w = 0; !known && w < client->workers->len; w++)
        known = g_array_index (client->workers, WorkerInfo, w).rank == options->workers[i];
      if (!known)
        {
          g_set_error (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                       "cannot scatter to rank %d: it is not a worker of this cluster (workers are ranks 2 and up "
                       "that have joined)", options->workers[i]);
          g_array_unref (ranks);
          return NULL;
        }
    }
  return ranks;
}

GPtrArray *
dmpi_client_scatter (DmpiClient *client, GVariant *const *values, gsize n_values, GError **error)
{
  return dmpi_client_scatter_full (client, values, n_values, NULL, error);
}

/* Floating references are taken over even when the scatter fails. */
static GPtrArray *
drop_values (GVariant *const *values, gsize n_values)
{
  for (gsize i = 0; i < n_values; i++)
    g_variant_unref (g_variant_ref_sink (values[i]));
  return NULL;
}

GPtrArray *
dmpi_client_scatter_full (DmpiClient *client, GVariant *const *values, gsize n_values,
                          const DmpiScatterOptions *options, GError **error)
{
  if (!dmpi_client_flush (client, error))
    return drop_values (values, n_values);
  if (client->workers->len == 0)
    {
      g_set_error_literal (error, DMPI_ERROR, DMPI_ERROR_FAILED,
                           "no worker has joined yet: call dmpi_client_wait_for_workers() first");
      return drop_values (values, n_values);
    }
  g_autoptr(GArray) targets = scatter_targets (client, options, error);
  if (targets == NULL)
    return drop_values (values, n_values);
  gboolean broadcast = options != NULL && options->broadcast;
  guint n_targets = targets->len;
  g_autoptr(GPtrArray) futures = g_ptr_array_new_with_free_func ((GDestroyNotify) dmpi_future_unref);
  g_autofree GVariantBuilder **batches = g_new0 (GVariantBuilder *, n_targets);
  for (gsize i = 0; i < n_values; i++)
    {
      g_autoptr(GVariant) value = g_variant_ref_sink (values[i]);
      DmpiFuture *f = future_new (client, NULL, "scatter");
      /* Round robin; a broadcast value goes to every target, and its
       * future names the first as the holder. */
      guint first = broadcast ? 0 : (guint) (i % n_targets);
      guint last = broadcast ? n_targets - 1 : first;
      f->holder = g_array_index (targets, int, first);
      g_ptr_array_add (futures, f);
      for (guint w = first; w <= last; w++)
        {
          if (batches[w] == NULL)
            batches[w] = g_variant_builder_new (G_VARIANT_TYPE ("a(tsv)"));
          g_variant_builder_add (batches[w], "(tsv)", f->id, f->key, value);
        }
    }
  for (guint w = 0; w < n_targets; w++)
    if (batches[w] != NULL)
      {
        dmpi_msg_send (client->transport, g_array_index (targets, int, w), DMPI_MSG_SCATTER,
                       g_variant_builder_end (batches[w]));
        g_variant_builder_unref (batches[w]);
      }
  ScatterSet set = { futures, broadcast ? n_targets : 1 };
  if (!iterate_until (client, all_acked, &set, -1, "workers to take scattered data", error))
    return NULL;
  /* The scheduler learns every holder: a task needing a broadcast value
   * finds it on whichever worker it runs. */
  GVariantBuilder update;
  g_variant_builder_init (&update, G_VARIANT_TYPE ("a(tstu)"));
  for (guint i = 0; i < futures->len; i++)
    {
      DmpiFuture *f = g_ptr_array_index (futures, i);
      ScatterAck *ack = g_hash_table_lookup (client->scatter_acks, &f->id);
      f->nbytes = ack->nbytes;
      f->status = DMPI_FUTURE_FINISHED;
      if (broadcast)
        for (guint w = 0; w < n_targets; w++)
          g_variant_builder_add (&update, "(tstu)", f->id, f->key, f->nbytes, (guint32) g_array_index (targets, int, w));
      else
        g_variant_builder_add (&update, "(tstu)", f->id, f->key, f->nbytes, (guint32) f->holder);
      g_hash_table_remove (client->scatter_acks, &f->id);
    }
  dmpi_msg_send (client->transport, SCHEDULER_RANK, DMPI_MSG_UPDATE_DATA, g_variant_builder_end (&update));
  return g_steal_pointer (&futures);
}
