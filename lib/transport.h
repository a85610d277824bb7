/* The MPI transport: the only part of libdaskmpi that calls MPI.
 *
 * One transport per process, owned by the thread that runs its GMainContext
 * (MPI is initialised MPI_THREAD_FUNNELED: only that thread calls MPI).
 * Messages are (kind, payload) pairs sent point to point between ranks;
 * messages from one sender arrive in the order it sent them, whatever their
 * size. Payloads larger than one MPI message may carry are split into chunks
 * and put back together on receipt, without copying the payload.
 *
 * The transport is a GSource on the context: it polls MPI hot while messages
 * flow and backs off to sleeping in the context's poll() when idle, so that
 * an idle rank does not burn a core. Other threads wake it with
 * g_main_context_wakeup() after handing it work through their own queues. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef struct _DmpiTransport DmpiTransport;

/* Called on the owning thread for each message received, in order per sender.
 * The payload is only borrowed; ref it to keep it. */
typedef void (*DmpiTransportRecvFunc) (DmpiTransport *transport, int src_rank, guint32 kind,
                                       GBytes *payload, gpointer user_data);

typedef struct {
  guint64 messages_sent;
  guint64 messages_received;
  guint64 bytes_sent;
  guint64 bytes_received;
  guint64 polls;             /* MPI progress polls made */
  guint64 sleeps;            /* times it went to sleep in poll() */
} DmpiTransportStats;

/* Initialise MPI (MPI_THREAD_FUNNELED) on the calling thread; only once per
 * process. Fails with DMPI_ERROR_MPI naming what MPI said. */
gboolean       dmpi_transport_init_mpi     (int *argc, char ***argv, GError **error);
/* MPI_Finalize, if initialised and not yet finalised. */
void           dmpi_transport_finalize_mpi (void);
/* MPI_Abort on MPI_COMM_WORLD, for a rank that cannot go on. */
void           dmpi_transport_abort        (int exit_code) G_GNUC_NORETURN;
/* This process's rank and the world's size (after init). */
int            dmpi_transport_world_rank   (void);
int            dmpi_transport_world_size   (void);
int            dmpi_transport_node_workers (void);  /* ranks >= 2 on this node; -1 before init */

DmpiTransport *dmpi_transport_new      (GMainContext *context, DmpiTransportRecvFunc recv,
                                        gpointer user_data);
void           dmpi_transport_free     (DmpiTransport *transport);

int            dmpi_transport_get_rank (DmpiTransport *transport);
int            dmpi_transport_get_size (DmpiTransport *transport);

/* Queue a message to @dest_rank. Returns at once; the payload is kept (a
 * reference) until MPI has sent it. Owning thread only. */
void           dmpi_transport_send     (DmpiTransport *transport, int dest_rank, guint32 kind,
                                        GBytes *payload);
/* Queue one message whose payload is @parts (GBytes, NULL or empty ones
 * skipped) one after the other: the receiver gets them as one payload. Large
 * parts are sent from their own memory, without a copy, each kept (a
 * reference) until MPI has sent it. Owning thread only. */
void           dmpi_transport_send_parts (DmpiTransport *transport, int dest_rank, guint32 kind,
                                          GBytes *const *parts, guint n_parts);
/* Number of messages queued or in flight. */
guint          dmpi_transport_pending  (DmpiTransport *transport);
/* Make MPI progress until every queued send completed or @timeout_s passed
 * (receiving meanwhile, which calls the recv callback). FALSE on timeout. */
gboolean       dmpi_transport_flush    (DmpiTransport *transport, double timeout_s);
/* Mark activity so the poller stays hot (e.g. when work was handed in). */
void           dmpi_transport_kick     (DmpiTransport *transport);
void           dmpi_transport_get_stats (DmpiTransport *transport, DmpiTransportStats *stats);

/* Largest payload carried in one MPI message (chunk size); settable for tests
 * through DASK_MPI_CHUNK_BYTES. */
gsize          dmpi_transport_get_chunk_size (DmpiTransport *transport);

/* A raw ping-pong/bandwidth probe for benchmarks: @bytes between this rank and
 * @peer, @iterations round trips, returns bytes/s. Both ranks must call it. */
double         dmpi_transport_bandwidth_probe (DmpiTransport *transport, int peer, gsize bytes,
                                               guint iterations);

/* Test hook: one MPI message of raw, unframed bytes on the transport's tag,
 * to check that a malformed frame is dropped. Not exported. */
void           dmpi_transport_send_raw (DmpiTransport *transport, int dest_rank,
                                        gconstpointer data, gsize len);

G_END_DECLS
