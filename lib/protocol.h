/* The control protocol: one GVariant type per message kind.
 *
 * Every message received is checked against its kind's type, in normal form
 * and within its kind's size bound before anyone reads it; a message that
 * fails is logged with the sender's rank and dropped. Lists travel in one
 * message (a whole graph, many finished tasks) so that the message count
 * does not grow with the task count. */
#pragma once

#include <glib.h>
#include "transport.h"

G_BEGIN_DECLS

#define DMPI_PROTOCOL_VERSION 1u

/* Entries per list message (submit, compute, report, finished). Reading the
 * n-th element of a received array of variable-size entries costs O(n) in
 * the GLib releases with the 2023 GVariant hardening (2.74.6 here: iterating
 * 100,000 entries took 3.8 s, 1,000 entries 1 ms), so long lists travel as
 * several messages of this many entries. */
#define DMPI_BATCH_MAX 1024u

typedef enum {
  DMPI_ROLE_SCHEDULER = 0,
  DMPI_ROLE_CLIENT = 1,
  DMPI_ROLE_WORKER = 2,
} DmpiRole;

/* Task states in reports (scheduler → client) and results (worker → scheduler). */
typedef enum {
  DMPI_STATE_MEMORY = 1,
  DMPI_STATE_ERRED = 2,
} DmpiResultState;

typedef enum {
  /*                          direction                  type */
  DMPI_MSG_HELLO = 1,      /* worker|client → scheduler: (uusut)  version, role, host, nthreads, memory_limit */
  DMPI_MSG_WELCOME,        /* scheduler → worker|client: (uss)    version, message ("" when accepted), dashboard HOST:PORT ("" if none) */
  DMPI_MSG_WORKERS,        /* scheduler → client:        a(usut)  rank, host, nthreads, memory_limit */
  /* The task and result lists are in columns: see batch.h. */
  DMPI_MSG_SUBMIT,         /* client → scheduler:        task batch: id, key, function, args, dependency ids */
  DMPI_MSG_REPORT,         /* scheduler → client:        result batch: id, state, error code, nbytes, holder rank, message */
  DMPI_MSG_COMPUTE,        /* scheduler → worker:        task batch, with each dependency's holder rank */
  DMPI_MSG_FINISHED,       /* worker → scheduler:        result batch: id, state, error code, nbytes, message, start, stop */
  DMPI_MSG_FETCH,          /* any → worker:              at       ids */
  DMPI_MSG_DATA,           /* worker → requester:        (tbvs)   id, found, value, message */
  DMPI_MSG_FREE,           /* scheduler → worker:        at       ids */
  DMPI_MSG_RELEASE,        /* client → scheduler:        at       ids the client holds no future to */
  DMPI_MSG_SCATTER,        /* client → worker:           a(tsv)   id, key, value */
  DMPI_MSG_SCATTER_ACK,    /* worker → client:           a(tt)    id, nbytes */
  DMPI_MSG_UPDATE_DATA,    /* client → scheduler:        a(tstu)  id, key, nbytes, rank */
  DMPI_MSG_LOAD_MODULE,    /* client → scheduler → workers: (ts)  request id, path */
  DMPI_MSG_MODULE_LOADED,  /* worker → scheduler → client: (tbs)  request id, ok, message */
  DMPI_MSG_HEARTBEAT,      /* worker → scheduler:        (utttd)  executing, bytes in memory, bytes spilled, rss, cpu seconds */
  DMPI_MSG_SHUTDOWN,       /* client → scheduler → workers: (is)  exit status, reason */
  DMPI_MSG_GOODBYE,        /* worker → scheduler:        (s)      reason */
  DMPI_MSG_CANCEL,         /* client → scheduler:        at       ids to cancel */
  DMPI_MSG_KEEP,           /* client → scheduler:        at       ids to run even when released (fire and forget) */
  DMPI_MSG_STEAL,          /* scheduler → worker:        at       ids to give back if not started */
  DMPI_MSG_GIVE_BACK,      /* worker → scheduler:        (atat)   ids it gave back (not started), ids it kept (started or done) */
  DMPI_MSG_PAUSE,          /* worker → scheduler:        (bbs)    paused (no new tasks), for good (a task was stopped for memory), why */
  DMPI_MSG_N_KINDS
} DmpiMsgKind;

const char         *dmpi_msg_kind_name (guint32 kind);
const GVariantType *dmpi_msg_kind_type (guint32 kind);
gsize               dmpi_msg_kind_max_bytes (guint32 kind);

/* Validate and wrap a received payload. NULL with DMPI_ERROR_PROTOCOL (the
 * message names the kind, the sender and what is wrong) when it must be dropped. */
GVariant *dmpi_msg_decode (guint32 kind, GBytes *payload, int src_rank, GError **error);

/* Serialise @message (sinks a floating ref) after checking its type fits @kind. */
GBytes   *dmpi_msg_encode (guint32 kind, GVariant *message);

/* dmpi_msg_decode(), logging and dropping what fails (NULL then). */
GVariant *dmpi_msg_receive (guint32 kind, GBytes *payload, int src_rank);

/* Encode and send. */
void      dmpi_msg_send   (DmpiTransport *transport, int dest_rank, guint32 kind, GVariant *message);

/* A data message (tbvs) — id, found (@value not NULL), @value (NULL: "()"),
 * @message — as the parts whose concatenation is its normal-form bytes,
 * with @value's own serialised bytes as one part, not copied. GBytes *s. */
GPtrArray *dmpi_msg_data_parts (guint64 id, GVariant *value, const char *message);

/* Send a data message built by dmpi_msg_data_parts(): MPI reads the value
 * straight from its buffer, which is kept alive until it has been sent. */
void      dmpi_msg_send_data (DmpiTransport *transport, int dest_rank, guint64 id,
                              GVariant *value, const char *message);

G_END_DECLS
