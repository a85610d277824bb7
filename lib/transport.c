/* The MPI transport: framing, chunking, reassembly and an MPI-polling GSource.
 *
 * Wire format, all on one tag of a private duplicate of MPI_COMM_WORLD (MPI
 * keeps messages on one (source, tag, communicator) in order, which is what
 * keeps a sender's logical messages in order whatever their sizes):
 *
 *   inline:   one MPI message  = header {FRAME_MAGIC_INLINE, kind, len} + payload
 *   chunked:  one MPI message  = header {FRAME_MAGIC_CHUNKED, kind, len}
 *             then N messages  = the payload, each at most the chunk size
 *
 * Header fields are in the host's byte order: every rank of a job runs the
 * same build on the same kind of machine. */
#include "config.h"

#include "transport.h"

#include <limits.h>
#include <string.h>
#include <unistd.h>

#include <mpi.h>

#include "dmpi-error.h"

#define TRANSPORT_TAG 7
#define PROBE_TAG 8
#define FRAME_MAGIC_INLINE  0x49504d44u /* "DMPI" in memory on little-endian */
#define FRAME_MAGIC_CHUNKED 0x43504d44u /* "DMPC" */
#define FRAME_HEADER_BYTES 16
#define DEFAULT_CHUNK_BYTES ((gsize) 64 << 20)
/* Header + chunk must fit an int count. */
#define MAX_CHUNK_BYTES ((gsize) 1 << 30)
/* Payloads up to this size are copied behind the header (one MPI message);
 * larger ones go zero-copy, which costs one extra small message. */
#define INLINE_MAX_BYTES ((gsize) 16 << 10)
/* A length beyond this is not a message any rank sends: 1 TiB. */
#define MAX_MESSAGE_BYTES ((guint64) 1 << 40)
/* Poll hot for this long after the last message received or send completed. */
#define HOT_WINDOW_US 200
/* After sending, poll hot for longer: the reply from a peer asleep in its
 * longest back-off comes within the idle cap. With only HOT_WINDOW_US, two
 * ranks in request/reply fall into a stable pattern where each reply finds
 * the other asleep (measured: ping-pong round trips of 2-12 ms instead of
 * 8 µs, on 3 ranks over 2 cores). This costs at most idle cap + 1 ms of
 * polling per message sent. */
#define HOT_AFTER_SEND_EXTRA_US 1000
/* The idle cap also sets how long a rank polls hot after each send (cap +
 * 1 ms), which is most of the CPU a rank that sends now and then takes from
 * the ranks doing the work on a shared core. 2 ms rather than 10: moving 10 MB
 * results between two workers on 4 ranks over 2 cores went from 3.07 to
 * 3.65-3.74 GB/s (contrib/bench/transfer), while an idle rank's CPU went
 * from 1.2% to 1.3% of a core (contrib/bench/idle). */
#define DEFAULT_IDLE_POLL_MAX_MS 2
/* At most this many MPI_Isend requests are active; the rest wait in a FIFO
 * and are started in order as earlier ones complete. Open MPI copes with
 * many more, but MPI_Testsome scans the whole array on every poll, and
 * 100k small messages queued at once would make every poll slow. */
#define MAX_SENDS_IN_FLIGHT 512
/* Messages handled per dispatch before yielding to other sources. */
#define RECV_BUDGET 256
/* ... or bytes: after a large payload the process's other sources run (a
 * worker starts the task that waited for it, and frees what finished) before
 * the next one is received, rather than after a whole queue of them. */
#define RECV_BUDGET_BYTES ((guint64) 1 << 20)
/* Zeroed bytes allocated past the end of every received message, not part of
 * its payload: GLib 2.74's g_variant_is_normal_form() can read one byte past
 * the end of some damaged values (valgrind shows it), and the decoder runs it
 * on whatever arrives. With this slack the stray read stays inside the
 * allocation and sees a zero, so it is harmless whatever the sender sent. */
#define RECV_PAD_BYTES 8

typedef struct {
  guint32 magic;
  guint32 kind;
  guint64 total_len;
} FrameHeader;

G_STATIC_ASSERT (sizeof (FrameHeader) == FRAME_HEADER_BYTES);

/* One logical message being sent: freed when its last MPI send completed. */
typedef struct {
  guint outstanding;  /* MPI sends queued or active */
  GPtrArray *parts;   /* chunked: GBytes *, the chunks are sent from their memory */
  guint8 *frame;      /* header, or header + inline payload */
} OutMsg;

/* One MPI send, waiting in the backlog or active. */
typedef struct {
  OutMsg *msg;
  int dest;
  const guint8 *buf;
  int count;
} SendOp;

/* A receive buffer of a chunked message (see recv_buf_take). */
typedef struct {
  guint8 *data;
  gsize capacity;
} RecvBuf;

/* Reassembly of a chunked message, per source rank. */
typedef struct {
  gboolean active;
  guint32 kind;
  RecvBuf *buf;       /* NULL: could not allocate, chunks are drained */
  guint64 total;
  guint64 received;
} Inbound;

typedef struct {
  GSource base;
  DmpiTransport *transport;
} TransportSource;

struct _DmpiTransport {
  GMainContext *context;
  GSource *source;
  DmpiTransportRecvFunc recv;
  gpointer user_data;
  MPI_Comm comm;
  int rank;
  int size;
  gsize chunk_size;
  gsize inline_max;
  guint idle_poll_max_ms;
  gint64 hot_after_send_us;

  GQueue backlog;          /* SendOp *, not yet started, in send order */
  GArray *requests;        /* MPI_Request, active sends */
  GPtrArray *active_ops;   /* SendOp *, parallel to requests */
  GArray *indices;         /* scratch for MPI_Testsome */
  guint pending;           /* logical messages not completely sent */

  Inbound *inbound;        /* [size] */
  gboolean have_msg;       /* a message matched by MPI_Improbe, not yet received */
  MPI_Message msg;
  MPI_Status status;

  gint64 last_activity;    /* monotonic µs: last receive or send completion */
  gint64 last_send;        /* monotonic µs: last send started */
  guint backoff_ms;        /* 0 while hot */

  DmpiTransportStats stats;
};

static gboolean mpi_started;   /* by dmpi_transport_init_mpi */
static int world_rank = -1;
static int world_size = -1;
static int node_workers = -1;
static MPI_Comm transport_comm = MPI_COMM_NULL;
static MPI_Comm probe_comm = MPI_COMM_NULL;

static void
mpi_error_text (int code, char text[MPI_MAX_ERROR_STRING])
{
  int len = 0;

  if (MPI_Error_string (code, text, &len) != MPI_SUCCESS)
    g_snprintf (text, MPI_MAX_ERROR_STRING, "MPI error code %d", code);
}

static void
set_mpi_error (GError **error, int code, const char *what)
{
  char text[MPI_MAX_ERROR_STRING];

  mpi_error_text (code, text);
  if (world_rank >= 0)
    g_set_error (error, DMPI_ERROR, DMPI_ERROR_MPI, "%s failed on rank %d: %s", what, world_rank,
                 text);
  else
    g_set_error (error, DMPI_ERROR, DMPI_ERROR_MPI, "%s failed: %s", what, text);
}

static void
warn_mpi (int code, const char *what, int peer)
{
  char text[MPI_MAX_ERROR_STRING];

  mpi_error_text (code, text);
  g_warning ("transport: %s (rank %d) failed: %s", what, peer, text);
}

/* World rank and size, errors returned as codes, and the private
 * communicators. Collective (MPI_Comm_dup) over MPI_COMM_WORLD. */
static gboolean
setup_world (GError **error)
{
  int rc;

  if (transport_comm != MPI_COMM_NULL)
    return TRUE;
  if ((rc = MPI_Comm_set_errhandler (MPI_COMM_WORLD, MPI_ERRORS_RETURN)) != MPI_SUCCESS)
    {
      set_mpi_error (error, rc, "MPI_Comm_set_errhandler(MPI_COMM_WORLD, MPI_ERRORS_RETURN)");
      return FALSE;
    }
  MPI_Comm_rank (MPI_COMM_WORLD, &world_rank);
  MPI_Comm_size (MPI_COMM_WORLD, &world_size);
  /* Own communicators, so that neither benchmark probes nor any other MPI
   * user in the process can match the transport's messages. */
  if ((rc = MPI_Comm_dup (MPI_COMM_WORLD, &transport_comm)) != MPI_SUCCESS)
    {
      set_mpi_error (error, rc, "MPI_Comm_dup of MPI_COMM_WORLD");
      return FALSE;
    }
  if ((rc = MPI_Comm_dup (MPI_COMM_WORLD, &probe_comm)) != MPI_SUCCESS)
    {
      set_mpi_error (error, rc, "MPI_Comm_dup of MPI_COMM_WORLD");
      return FALSE;
    }
  /* Workers on this node (ranks 2 and up sharing its memory): a worker's
   * default memory limit is the node's memory shared among them. */
  MPI_Comm node = MPI_COMM_NULL;
  int is_worker = world_rank >= 2;
  if ((rc = MPI_Comm_split_type (MPI_COMM_WORLD, MPI_COMM_TYPE_SHARED, 0, MPI_INFO_NULL, &node)) != MPI_SUCCESS
      || (rc = MPI_Allreduce (&is_worker, &node_workers, 1, MPI_INT, MPI_SUM, node)) != MPI_SUCCESS)
    {
      set_mpi_error (error, rc, "counting the ranks on this node (MPI_Comm_split_type, MPI_Allreduce)");
      return FALSE;
    }
  MPI_Comm_free (&node);
  return TRUE;
}

int
dmpi_transport_node_workers (void)
{
  return node_workers;
}

gboolean
dmpi_transport_init_mpi (int *argc, char ***argv, GError **error)
{
  int initialized = 0, provided = 0, rc;

  if (mpi_started)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MPI, "MPI is already initialised in this process");
      return FALSE;
    }
  MPI_Initialized (&initialized);
  if (initialized)
    {
      /* Someone else (a client program) initialised MPI: adopt it if it
       * allows what we need. */
      MPI_Query_thread (&provided);
    }
  else
    {
      rc = MPI_Init_thread (argc, argv, MPI_THREAD_FUNNELED, &provided);
      if (rc != MPI_SUCCESS)
        {
          set_mpi_error (error, rc, "MPI_Init_thread");
          return FALSE;
        }
    }
  mpi_started = TRUE;
  if (provided < MPI_THREAD_FUNNELED)
    {
      g_set_error (error, DMPI_ERROR, DMPI_ERROR_MPI,
                   "MPI provides thread level %d, less than the MPI_THREAD_FUNNELED (%d) needed",
                   provided, MPI_THREAD_FUNNELED);
      return FALSE;
    }
  return setup_world (error);
}

void
dmpi_transport_finalize_mpi (void)
{
  int initialized = 0, finalized = 0;

  MPI_Initialized (&initialized);
  MPI_Finalized (&finalized);
  if (initialized && !finalized)
    MPI_Finalize ();
}

void
dmpi_transport_abort (int exit_code)
{
  int initialized = 0, finalized = 0;

  MPI_Initialized (&initialized);
  MPI_Finalized (&finalized);
  if (initialized && !finalized)
    MPI_Abort (MPI_COMM_WORLD, exit_code);
  _exit (exit_code);
}

int
dmpi_transport_world_rank (void)
{
  if (world_rank < 0)
    {
      int initialized = 0;

      MPI_Initialized (&initialized);
      g_return_val_if_fail (initialized, 0);
      MPI_Comm_rank (MPI_COMM_WORLD, &world_rank);
    }
  return world_rank;
}

int
dmpi_transport_world_size (void)
{
  if (world_size < 0)
    {
      int initialized = 0;

      MPI_Initialized (&initialized);
      g_return_val_if_fail (initialized, 1);
      MPI_Comm_size (MPI_COMM_WORLD, &world_size);
    }
  return world_size;
}

static guint64
env_unsigned (const char *name, guint64 min, guint64 max, guint64 fallback)
{
  const char *text = g_getenv (name);
  g_autoptr(GError) error = NULL;
  guint64 value;

  if (text == NULL || *text == '\0')
    return fallback;
  if (!g_ascii_string_to_unsigned (text, 10, min, max, &value, &error))
    {
      g_warning ("transport: environment %s=%s: %s; using %" G_GUINT64_FORMAT, name, text,
                 error->message, fallback);
      return fallback;
    }
  return value;
}

/* ---- sending ---- */

static void
out_msg_release (DmpiTransport *transport, OutMsg *msg)
{
  g_assert (msg->outstanding > 0);
  if (--msg->outstanding > 0)
    return;
  g_clear_pointer (&msg->parts, g_ptr_array_unref);
  g_free (msg->frame);
  g_free (msg);
  transport->pending--;
}

static void
mark_activity (DmpiTransport *transport)
{
  transport->last_activity = g_get_monotonic_time ();
  transport->backoff_ms = 0;
}

/* Start queued sends, in order, while there is room. */
static void
start_sends (DmpiTransport *transport)
{
  while (transport->requests->len < MAX_SENDS_IN_FLIGHT && !g_queue_is_empty (&transport->backlog))
    {
      SendOp *op = g_queue_pop_head (&transport->backlog);
      MPI_Request request;
      int rc;

      rc = MPI_Isend (op->buf, op->count, MPI_BYTE, op->dest, TRANSPORT_TAG, transport->comm,
                      &request);
      if (rc != MPI_SUCCESS)
        {
          warn_mpi (rc, "MPI_Isend to", op->dest);
          out_msg_release (transport, op->msg);
          g_free (op);
          continue;
        }
      g_array_append_val (transport->requests, request);
      g_ptr_array_add (transport->active_ops, op);
    }
}

static void
queue_op (DmpiTransport *transport, OutMsg *msg, int dest, const guint8 *buf, gsize count)
{
  SendOp *op = g_new (SendOp, 1);

  g_assert (count <= INT_MAX);
  op->msg = msg;
  op->dest = dest;
  op->buf = buf;
  op->count = (int) count;
  msg->outstanding++;
  g_queue_push_tail (&transport->backlog, op);
}

/* Complete what MPI finished, then start more. TRUE if anything completed. */
static gboolean
progress_sends (DmpiTransport *transport)
{
  int outcount = 0, rc;
  guint n = transport->requests->len;

  if (n == 0)
    return FALSE;
  g_array_set_size (transport->indices, n);
  rc = MPI_Testsome ((int) n, (MPI_Request *) (void *) transport->requests->data, &outcount,
                     (int *) (void *) transport->indices->data, MPI_STATUSES_IGNORE);
  if (rc != MPI_SUCCESS && rc != MPI_ERR_IN_STATUS)
    {
      warn_mpi (rc, "MPI_Testsome on sends, this rank", transport->rank);
      return FALSE;
    }
  if (outcount == MPI_UNDEFINED || outcount == 0)
    return FALSE;
  for (int i = 0; i < outcount; i++)
    {
      int index = g_array_index (transport->indices, int, i);
      SendOp *op = g_ptr_array_index (transport->active_ops, index);

      out_msg_release (transport, op->msg);
      g_free (op);
      transport->active_ops->pdata[index] = NULL;
    }
  /* Drop the finished slots; the order of active requests does not matter,
   * MPI fixed the message order when they were started. */
  guint kept = 0;
  MPI_Request *requests = (MPI_Request *) (void *) transport->requests->data;
  for (guint i = 0; i < n; i++)
    if (transport->active_ops->pdata[i] != NULL)
      {
        requests[kept] = requests[i];
        transport->active_ops->pdata[kept] = transport->active_ops->pdata[i];
        kept++;
      }
  g_array_set_size (transport->requests, kept);
  g_ptr_array_set_size (transport->active_ops, kept);
  start_sends (transport);
  mark_activity (transport);
  return TRUE;
}

void
dmpi_transport_send (DmpiTransport *transport, int dest_rank, guint32 kind, GBytes *payload)
{
  dmpi_transport_send_parts (transport, dest_rank, kind, &payload, 1);
}

void
dmpi_transport_send_parts (DmpiTransport *transport, int dest_rank, guint32 kind,
                           GBytes *const *parts, guint n_parts)
{
  g_return_if_fail (transport != NULL);
  g_return_if_fail (dest_rank >= 0 && dest_rank < transport->size);
  g_return_if_fail (parts != NULL || n_parts == 0);

  gsize len = 0;
  for (guint i = 0; i < n_parts; i++)
    len += parts[i] != NULL ? g_bytes_get_size (parts[i]) : 0;
  OutMsg *msg = g_new0 (OutMsg, 1);
  FrameHeader header = { .kind = kind, .total_len = len };

  if (len <= transport->inline_max)
    {
      header.magic = FRAME_MAGIC_INLINE;
      msg->frame = g_malloc (FRAME_HEADER_BYTES + len);
      memcpy (msg->frame, &header, FRAME_HEADER_BYTES);
      gsize at = FRAME_HEADER_BYTES;
      for (guint i = 0; i < n_parts; i++)
        {
          gsize part_len = 0;
          const guint8 *data = parts[i] != NULL ? g_bytes_get_data (parts[i], &part_len) : NULL;
          if (part_len > 0)
            memcpy (msg->frame + at, data, part_len);
          at += part_len;
        }
      queue_op (transport, msg, dest_rank, msg->frame, FRAME_HEADER_BYTES + len);
    }
  else
    {
      /* The receiver takes chunks of any size up to the announced length, so
       * each part goes in chunks of its own: none straddles two parts. */
      header.magic = FRAME_MAGIC_CHUNKED;
      msg->frame = g_malloc (FRAME_HEADER_BYTES);
      memcpy (msg->frame, &header, FRAME_HEADER_BYTES);
      msg->parts = g_ptr_array_new_with_free_func ((GDestroyNotify) g_bytes_unref);
      queue_op (transport, msg, dest_rank, msg->frame, FRAME_HEADER_BYTES);
      for (guint i = 0; i < n_parts; i++)
        {
          gsize part_len = 0;
          const guint8 *data = parts[i] != NULL ? g_bytes_get_data (parts[i], &part_len) : NULL;
          if (part_len == 0)
            continue;
          g_ptr_array_add (msg->parts, g_bytes_ref (parts[i]));
          for (gsize offset = 0; offset < part_len; offset += transport->chunk_size)
            queue_op (transport, msg, dest_rank, data + offset,
                      MIN (transport->chunk_size, part_len - offset));
        }
    }
  transport->pending++;
  transport->stats.messages_sent++;
  transport->stats.bytes_sent += len;
  mark_activity (transport);
  transport->last_send = transport->last_activity;
  start_sends (transport);
}

/* For tests: one MPI message of raw bytes on the transport's tag. */
void
dmpi_transport_send_raw (DmpiTransport *transport, int dest_rank, gconstpointer data, gsize len)
{
  g_return_if_fail (transport != NULL);
  g_return_if_fail (dest_rank >= 0 && dest_rank < transport->size);
  g_return_if_fail (len <= INT_MAX);

  OutMsg *msg = g_new0 (OutMsg, 1);

  msg->frame = g_malloc (MAX (len, 1));
  if (len > 0)
    memcpy (msg->frame, data, len);
  queue_op (transport, msg, dest_rank, msg->frame, len);
  transport->pending++;
  mark_activity (transport);
  start_sends (transport);
}

guint
dmpi_transport_pending (DmpiTransport *transport)
{
  g_return_val_if_fail (transport != NULL, 0);
  return transport->pending;
}

/* ---- receiving ---- */

static gboolean
receive_into (DmpiTransport *transport, MPI_Message *msg, void *buf, int count, int src)
{
  int rc = MPI_Mrecv (buf, count, MPI_BYTE, msg, MPI_STATUS_IGNORE);

  if (rc != MPI_SUCCESS)
    {
      warn_mpi (rc, "MPI_Mrecv of a message from", src);
      return FALSE;
    }
  return TRUE;
}

/* Receive a message only to throw it away. */
static void
drain (DmpiTransport *transport, MPI_Message *msg, int count, int src)
{
  g_autofree guint8 *scrap = g_try_malloc (MAX (count, 1));

  if (scrap == NULL)
    {
      g_warning ("transport: cannot allocate %d bytes to drain a message from rank %d", count, src);
      return;
    }
  receive_into (transport, msg, scrap, count, src);
}

static void
deliver (DmpiTransport *transport, int src, guint32 kind, GBytes *payload)
{
  transport->stats.messages_received++;
  transport->stats.bytes_received += g_bytes_get_size (payload);
  mark_activity (transport);
  transport->recv (transport, src, kind, payload, transport->user_data);
  g_bytes_unref (payload);
}

/* Receive buffers of large messages are reused: a fresh buffer of 10 MB costs
 * more than MPI's copy into it, since the kernel faults in and zeroes every
 * page during the copy (perf: 4 times the copy's time, for 10 MB results
 * moved between workers). A buffer goes back to this small pool when the
 * last reference to its payload goes, on whatever thread that happens. */
#define POOL_MIN_BYTES ((gsize) 1 << 20)
#define POOL_MAX_BUFFERS 8
#define POOL_MAX_BYTES ((gsize) 128 << 20)

static GMutex pool_lock;
static RecvBuf *pool[POOL_MAX_BUFFERS];   /* oldest first */
static guint pool_len;
static gsize pool_bytes;

/* A buffer of at least @need bytes: from the pool if one fits without
 * wasting more than half of it, else new. NULL if it cannot be had. */
static RecvBuf *
recv_buf_take (gsize need)
{
  RecvBuf *buf = NULL;

  if (need >= POOL_MIN_BYTES)
    {
      guint best = G_MAXUINT;

      g_mutex_lock (&pool_lock);
      for (guint i = 0; i < pool_len; i++)
        if (pool[i]->capacity >= need && pool[i]->capacity / 2 <= need
            && (best == G_MAXUINT || pool[i]->capacity < pool[best]->capacity))
          best = i;
      if (best != G_MAXUINT)
        {
          buf = pool[best];
          memmove (pool + best, pool + best + 1, (pool_len - best - 1) * sizeof pool[0]);
          pool_len--;
          pool_bytes -= buf->capacity;
        }
      g_mutex_unlock (&pool_lock);
    }
  if (buf != NULL)
    return buf;
  guint8 *data = g_try_malloc (need);
  if (data == NULL)
    return NULL;
  buf = g_new (RecvBuf, 1);
  buf->data = data;
  buf->capacity = need;
  return buf;
}

/* Back to the pool, pushing out its oldest buffer when full; or freed. */
static void
recv_buf_release (gpointer data)
{
  RecvBuf *buf = data;
  RecvBuf *evicted[POOL_MAX_BUFFERS];
  guint n_evicted = 0;

  if (buf->capacity >= POOL_MIN_BYTES && buf->capacity <= POOL_MAX_BYTES / 2)
    {
      g_mutex_lock (&pool_lock);
      while (pool_len == POOL_MAX_BUFFERS || pool_bytes + buf->capacity > POOL_MAX_BYTES)
        {
          evicted[n_evicted++] = pool[0];
          pool_bytes -= pool[0]->capacity;
          memmove (pool, pool + 1, (pool_len - 1) * sizeof pool[0]);
          pool_len--;
        }
      pool_bytes += buf->capacity;
      pool[pool_len++] = g_steal_pointer (&buf);
      g_mutex_unlock (&pool_lock);
    }
  if (buf != NULL)
    evicted[n_evicted++] = buf;
  for (guint i = 0; i < n_evicted; i++)
    {
      g_free (evicted[i]->data);
      g_free (evicted[i]);
    }
}

static void
reset_inbound (Inbound *in)
{
  g_clear_pointer (&in->buf, recv_buf_release);
  *in = (Inbound) { 0 };
}

/* A chunk of the message being reassembled from @src. */
static void
handle_chunk (DmpiTransport *transport, MPI_Message *msg, int src, int count)
{
  Inbound *in = &transport->inbound[src];
  guint64 remaining = in->total - in->received;

  if (count <= 0 || (guint64) count > remaining)
    {
      g_warning ("transport: rank %d sent a %d-byte chunk where %" G_GUINT64_FORMAT
                 " bytes of a %" G_GUINT64_FORMAT "-byte message remain; dropping the message",
                 src, count, remaining, in->total);
      drain (transport, msg, count, src);
      reset_inbound (in);
      return;
    }
  if (in->buf != NULL)
    {
      /* Straight into place: no copy. */
      if (!receive_into (transport, msg, in->buf->data + in->received, count, src))
        {
          reset_inbound (in);
          return;
        }
    }
  else
    drain (transport, msg, count, src);
  in->received += (guint64) count;
  if (in->received < in->total)
    return;
  if (in->buf != NULL)
    {
      RecvBuf *buf = g_steal_pointer (&in->buf);
      GBytes *payload = g_bytes_new_with_free_func (buf->data, in->total, recv_buf_release, buf);
      guint32 kind = in->kind;

      reset_inbound (in);
      deliver (transport, src, kind, payload);
    }
  else
    reset_inbound (in);
}

/* A frame header, with the payload behind it (inline) or to follow (chunked). */
static void
handle_frame (DmpiTransport *transport, MPI_Message *msg, int src, int count)
{
  FrameHeader header;

  if (count < FRAME_HEADER_BYTES)
    {
      g_warning ("transport: rank %d sent a %d-byte message, shorter than a %d-byte frame header; "
                 "dropped", src, count, FRAME_HEADER_BYTES);
      drain (transport, msg, count, src);
      return;
    }
  guint8 *buf = g_try_malloc ((gsize) count + RECV_PAD_BYTES);
  if (buf == NULL)
    {
      g_warning ("transport: cannot allocate %d bytes for a message from rank %d; dropped", count,
                 src);
      drain (transport, msg, count, src);
      return;
    }
  memset (buf + count, 0, RECV_PAD_BYTES);
  if (!receive_into (transport, msg, buf, count, src))
    {
      g_free (buf);
      return;
    }
  memcpy (&header, buf, FRAME_HEADER_BYTES);

  if (header.magic == FRAME_MAGIC_INLINE)
    {
      if (header.total_len != (guint64) count - FRAME_HEADER_BYTES)
        {
          g_warning ("transport: rank %d sent a frame announcing %" G_GUINT64_FORMAT
                     " payload bytes that carries %d; dropped",
                     src, header.total_len, count - FRAME_HEADER_BYTES);
          g_free (buf);
          return;
        }
      /* The payload is a view into the received buffer: no copy. */
      g_autoptr(GBytes) whole = g_bytes_new_take (buf, count);
      deliver (transport, src, header.kind,
               g_bytes_new_from_bytes (whole, FRAME_HEADER_BYTES, header.total_len));
      return;
    }
  g_free (buf);
  if (header.magic != FRAME_MAGIC_CHUNKED)
    {
      g_warning ("transport: rank %d sent a message with bad frame magic 0x%08x; dropped", src,
                 header.magic);
      return;
    }
  if (count != FRAME_HEADER_BYTES || header.total_len == 0 || header.total_len > MAX_MESSAGE_BYTES
      || header.total_len > G_MAXSIZE)
    {
      g_warning ("transport: rank %d sent a chunked-message header of %d bytes announcing an "
                 "impossible length of %" G_GUINT64_FORMAT " bytes; dropped",
                 src, count, header.total_len);
      return;
    }
  Inbound *in = &transport->inbound[src];
  in->active = TRUE;
  in->kind = header.kind;
  in->total = header.total_len;
  in->received = 0;
  in->buf = recv_buf_take (header.total_len + RECV_PAD_BYTES);
  if (in->buf != NULL)
    memset (in->buf->data + header.total_len, 0, RECV_PAD_BYTES);
  else
    g_warning ("transport: cannot allocate %" G_GUINT64_FORMAT " bytes for a message from rank %d; "
               "it will be dropped", header.total_len, src);
}

static void
handle_message (DmpiTransport *transport, MPI_Message *msg, MPI_Status *status)
{
  int src = status->MPI_SOURCE, count = 0;

  MPI_Get_count (status, MPI_BYTE, &count);
  if (transport->inbound[src].active)
    handle_chunk (transport, msg, src, count);
  else
    handle_frame (transport, msg, src, count);
}

/* Match the next message, if any, keeping it for handle_message. */
static gboolean
probe_incoming (DmpiTransport *transport)
{
  int flag = 0, rc;

  if (transport->have_msg)
    return TRUE;
  transport->stats.polls++;
  rc = MPI_Improbe (MPI_ANY_SOURCE, TRANSPORT_TAG, transport->comm, &flag, &transport->msg,
                    &transport->status);
  if (rc != MPI_SUCCESS)
    {
      warn_mpi (rc, "MPI_Improbe, this rank", transport->rank);
      return FALSE;
    }
  transport->have_msg = flag != 0;
  return transport->have_msg;
}

/* Complete sends and handle up to @budget incoming messages. Returns the
 * number of messages handled. Safe to re-enter from the recv callback. */
static guint
progress (DmpiTransport *transport, guint budget)
{
  guint handled = 0;
  guint64 bytes_before = transport->stats.bytes_received;

  progress_sends (transport);
  while (handled < budget && transport->stats.bytes_received - bytes_before < RECV_BUDGET_BYTES
         && probe_incoming (transport))
    {
      MPI_Message msg = transport->msg;
      MPI_Status status = transport->status;

      transport->have_msg = FALSE;
      handle_message (transport, &msg, &status);
      handled++;
      progress_sends (transport);
    }
  return handled;
}

/* ---- the GSource ---- */

static gboolean
source_prepare (GSource *source, gint *timeout)
{
  DmpiTransport *transport = ((TransportSource *) source)->transport;
  gint64 now;

  if (transport->have_msg)
    {
      *timeout = 0;
      return TRUE;
    }
  now = g_get_monotonic_time ();
  if (transport->pending > 0 || now - transport->last_activity < HOT_WINDOW_US
      || now - transport->last_send < transport->hot_after_send_us)
    {
      transport->backoff_ms = 0;
      *timeout = 0;
      return FALSE;
    }
  /* Idle: sleep in poll() for 1, 2, 4, ... ms up to the cap. New traffic is
   * seen at the next wake-up; another thread's g_main_context_wakeup() ends
   * the sleep at once. */
  transport->backoff_ms = transport->backoff_ms == 0
                          ? 1 : MIN (transport->backoff_ms * 2, transport->idle_poll_max_ms);
  transport->stats.sleeps++;
  *timeout = (gint) transport->backoff_ms;
  return FALSE;
}

static gboolean
source_check (GSource *source)
{
  DmpiTransport *transport = ((TransportSource *) source)->transport;

  progress_sends (transport);
  return probe_incoming (transport);
}

static gboolean
source_dispatch (GSource *source, GSourceFunc callback, gpointer user_data)
{
  DmpiTransport *transport = ((TransportSource *) source)->transport;

  progress (transport, RECV_BUDGET);
  return G_SOURCE_CONTINUE;
}

static GSourceFuncs transport_source_funcs = {
  .prepare = source_prepare,
  .check = source_check,
  .dispatch = source_dispatch,
};

/* ---- life cycle ---- */

DmpiTransport *
dmpi_transport_new (GMainContext *context, DmpiTransportRecvFunc recv, gpointer user_data)
{
  g_autoptr(GError) error = NULL;
  int initialized = 0;

  g_return_val_if_fail (recv != NULL, NULL);
  MPI_Initialized (&initialized);
  g_return_val_if_fail (initialized, NULL);
  if (!setup_world (&error))
    {
      g_warning ("transport: %s", error->message);
      return NULL;
    }

  DmpiTransport *transport = g_new0 (DmpiTransport, 1);
  transport->context = context ? g_main_context_ref (context) : g_main_context_ref_thread_default ();
  transport->recv = recv;
  transport->user_data = user_data;
  transport->comm = transport_comm;
  MPI_Comm_rank (transport->comm, &transport->rank);
  MPI_Comm_size (transport->comm, &transport->size);
  transport->chunk_size = env_unsigned ("DASK_MPI_CHUNK_BYTES", 1, MAX_CHUNK_BYTES,
                                        DEFAULT_CHUNK_BYTES);
  transport->inline_max = MIN (transport->chunk_size, INLINE_MAX_BYTES);
  transport->idle_poll_max_ms = env_unsigned ("DASK_MPI_IDLE_POLL_MAX_MS", 1, 1000,
                                              DEFAULT_IDLE_POLL_MAX_MS);
  transport->hot_after_send_us = transport->idle_poll_max_ms * 1000 + HOT_AFTER_SEND_EXTRA_US;
  g_queue_init (&transport->backlog);
  transport->requests = g_array_new (FALSE, FALSE, sizeof (MPI_Request));
  transport->active_ops = g_ptr_array_new ();
  transport->indices = g_array_new (FALSE, FALSE, sizeof (int));
  transport->inbound = g_new0 (Inbound, transport->size);
  transport->last_activity = g_get_monotonic_time ();

  transport->source = g_source_new (&transport_source_funcs, sizeof (TransportSource));
  ((TransportSource *) transport->source)->transport = transport;
  g_source_set_name (transport->source, "dask-mpi transport");
  g_source_attach (transport->source, transport->context);
  return transport;
}

void
dmpi_transport_free (DmpiTransport *transport)
{
  if (transport == NULL)
    return;
  g_source_destroy (transport->source);
  g_clear_pointer (&transport->source, g_source_unref);

  progress_sends (transport);
  /* Sends MPI still works on: let them finish in the background, and keep
   * their memory (a deliberate leak) since MPI may still read it. Call
   * dmpi_transport_flush() first to avoid this. */
  if (transport->requests->len > 0)
    g_debug ("transport: freed with %u sends in flight", transport->requests->len);
  for (guint i = 0; i < transport->requests->len; i++)
    {
      MPI_Request_free (&g_array_index (transport->requests, MPI_Request, i));
      g_free (g_ptr_array_index (transport->active_ops, i));
    }
  SendOp *op;
  while ((op = g_queue_pop_head (&transport->backlog)) != NULL)
    {
      out_msg_release (transport, op->msg);
      g_free (op);
    }
  if (transport->have_msg)
    {
      int count = 0;

      MPI_Get_count (&transport->status, MPI_BYTE, &count);
      drain (transport, &transport->msg, count, transport->status.MPI_SOURCE);
    }
  for (int i = 0; i < transport->size; i++)
    reset_inbound (&transport->inbound[i]);
  g_free (transport->inbound);
  g_array_unref (transport->requests);
  g_ptr_array_unref (transport->active_ops);
  g_array_unref (transport->indices);
  g_main_context_unref (transport->context);
  g_free (transport);
}

int
dmpi_transport_get_rank (DmpiTransport *transport)
{
  g_return_val_if_fail (transport != NULL, -1);
  return transport->rank;
}

int
dmpi_transport_get_size (DmpiTransport *transport)
{
  g_return_val_if_fail (transport != NULL, 0);
  return transport->size;
}

gsize
dmpi_transport_get_chunk_size (DmpiTransport *transport)
{
  g_return_val_if_fail (transport != NULL, 0);
  return transport->chunk_size;
}

void
dmpi_transport_kick (DmpiTransport *transport)
{
  g_return_if_fail (transport != NULL);
  mark_activity (transport);
}

void
dmpi_transport_get_stats (DmpiTransport *transport, DmpiTransportStats *stats)
{
  g_return_if_fail (transport != NULL);
  g_return_if_fail (stats != NULL);
  *stats = transport->stats;
}

gboolean
dmpi_transport_flush (DmpiTransport *transport, double timeout_s)
{
  g_return_val_if_fail (transport != NULL, FALSE);

  gint64 deadline = g_get_monotonic_time () + (gint64) (timeout_s * G_USEC_PER_SEC);

  while (transport->pending > 0)
    {
      if (progress (transport, RECV_BUDGET) == 0 && transport->pending > 0)
        {
          if (g_get_monotonic_time () >= deadline)
            return FALSE;
          /* Leave the core to the peer we wait for, when oversubscribed. */
          g_thread_yield ();
        }
    }
  return TRUE;
}

/* ---- benchmark probe ---- */

double
dmpi_transport_bandwidth_probe (DmpiTransport *transport, int peer, gsize bytes, guint iterations)
{
  g_return_val_if_fail (transport != NULL, 0);
  g_return_val_if_fail (peer >= 0 && peer < transport->size && peer != transport->rank, 0);
  g_return_val_if_fail (bytes <= INT_MAX, 0);
  g_return_val_if_fail (iterations > 0, 0);

  g_autofree guint8 *buf = g_malloc0 (MAX (bytes, 1));
  gboolean first = transport->rank < peer;
  int count = (int) bytes, rc = MPI_SUCCESS;
  gint64 start = 0;

  /* Round 0 warms up (connection set-up, page faults) and is not timed. */
  for (guint i = 0; i <= iterations && rc == MPI_SUCCESS; i++)
    {
      if (i == 1)
        start = g_get_monotonic_time ();
      if (first)
        {
          rc = MPI_Send (buf, count, MPI_BYTE, peer, PROBE_TAG, probe_comm);
          if (rc == MPI_SUCCESS)
            rc = MPI_Recv (buf, count, MPI_BYTE, peer, PROBE_TAG, probe_comm, MPI_STATUS_IGNORE);
        }
      else
        {
          rc = MPI_Recv (buf, count, MPI_BYTE, peer, PROBE_TAG, probe_comm, MPI_STATUS_IGNORE);
          if (rc == MPI_SUCCESS)
            rc = MPI_Send (buf, count, MPI_BYTE, peer, PROBE_TAG, probe_comm);
        }
    }
  if (rc != MPI_SUCCESS)
    {
      warn_mpi (rc, "bandwidth probe ping-pong with", peer);
      return 0;
    }
  double elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  return elapsed > 0 ? 2.0 * (double) bytes * iterations / elapsed : 0;
}
