/* The request stream (see replay.h): an input stream that serves a fixed
 * request and then end of file, and the GIOStream that pairs it with the
 * connection's output stream. */
#include "config.h"

#include "replay.h"

#include <string.h>

/* ---- the input stream ------------------------------------------------------- */

#define DMPI_TYPE_REPLAY_INPUT (dmpi_replay_input_get_type ())
G_DECLARE_FINAL_TYPE (DmpiReplayInput, dmpi_replay_input, DMPI, REPLAY_INPUT, GInputStream)

struct _DmpiReplayInput {
  GInputStream parent;
  GBytes *request;
  gsize pos;  /* bytes of it already given */
};

static void dmpi_replay_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (DmpiReplayInput, dmpi_replay_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM, dmpi_replay_input_pollable_init))

/* Never blocks: the request, then 0 bytes (end of file). */
static gssize
take (DmpiReplayInput *in, void *buffer, gsize count)
{
  gsize n = MIN (count, g_bytes_get_size (in->request) - in->pos);
  memcpy (buffer, (const char *) g_bytes_get_data (in->request, NULL) + in->pos, n);
  in->pos += n;
  return (gssize) n;
}

static gssize
replay_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  return take (DMPI_REPLAY_INPUT (stream), buffer, count);
}

static gssize
replay_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count, GError **error)
{
  return take (DMPI_REPLAY_INPUT (stream), buffer, count);
}

static gboolean
replay_can_poll (GPollableInputStream *stream)
{
  return TRUE;
}

static gboolean
replay_is_readable (GPollableInputStream *stream)
{
  return TRUE;
}

static GSource *
replay_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  /* Always readable. */
  g_autoptr(GSource) child = g_timeout_source_new (0);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static void
dmpi_replay_input_finalize (GObject *object)
{
  g_clear_pointer (&DMPI_REPLAY_INPUT (object)->request, g_bytes_unref);
  G_OBJECT_CLASS (dmpi_replay_input_parent_class)->finalize (object);
}

static void
dmpi_replay_input_class_init (DmpiReplayInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dmpi_replay_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = replay_read;
}

static void
dmpi_replay_input_pollable_init (GPollableInputStreamInterface *iface)
{
  iface->can_poll = replay_can_poll;
  iface->is_readable = replay_is_readable;
  iface->create_source = replay_create_source;
  iface->read_nonblocking = replay_read_nonblocking;
}

static void
dmpi_replay_input_init (DmpiReplayInput *in)
{
}

/* ---- the request stream ------------------------------------------------------ */

#define DMPI_TYPE_REPLAY_STREAM (dmpi_replay_stream_get_type ())
G_DECLARE_FINAL_TYPE (DmpiReplayStream, dmpi_replay_stream, DMPI, REPLAY_STREAM, GIOStream)

struct _DmpiReplayStream {
  GIOStream parent;
  GIOStream *connection;
  GInputStream *input;
  DmpiReplayClosed closed;  /* NULL once closed or released */
  gpointer data;
};

G_DEFINE_TYPE (DmpiReplayStream, dmpi_replay_stream, G_TYPE_IO_STREAM)

static GInputStream *
replay_stream_get_input (GIOStream *stream)
{
  return DMPI_REPLAY_STREAM (stream)->input;
}

static GOutputStream *
replay_stream_get_output (GIOStream *stream)
{
  return g_io_stream_get_output_stream (DMPI_REPLAY_STREAM (stream)->connection);
}

static gboolean
replay_stream_close (GIOStream *stream, GCancellable *cancellable, GError **error)
{
  DmpiReplayStream *self = DMPI_REPLAY_STREAM (stream);
  DmpiReplayClosed closed = self->closed;

  /* The owner of the connection closes it (or lingers first). */
  self->closed = NULL;
  if (closed != NULL)
    closed (self->data);
  return TRUE;
}

static void
dmpi_replay_stream_finalize (GObject *object)
{
  DmpiReplayStream *self = DMPI_REPLAY_STREAM (object);
  g_clear_object (&self->input);
  g_clear_object (&self->connection);
  G_OBJECT_CLASS (dmpi_replay_stream_parent_class)->finalize (object);
}

static void
dmpi_replay_stream_class_init (DmpiReplayStreamClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dmpi_replay_stream_finalize;
  G_IO_STREAM_CLASS (klass)->get_input_stream = replay_stream_get_input;
  G_IO_STREAM_CLASS (klass)->get_output_stream = replay_stream_get_output;
  G_IO_STREAM_CLASS (klass)->close_fn = replay_stream_close;
}

static void
dmpi_replay_stream_init (DmpiReplayStream *self)
{
}

GIOStream *
dmpi_replay_stream_new (GSocketConnection *connection, GBytes *request, DmpiReplayClosed closed, gpointer data)
{
  DmpiReplayInput *in = g_object_new (DMPI_TYPE_REPLAY_INPUT, NULL);
  in->request = g_bytes_ref (request);

  DmpiReplayStream *self = g_object_new (DMPI_TYPE_REPLAY_STREAM, NULL);
  self->connection = g_object_ref (G_IO_STREAM (connection));
  self->input = G_INPUT_STREAM (in);
  self->closed = closed;
  self->data = data;
  return G_IO_STREAM (self);
}

gpointer
dmpi_replay_stream_release (GIOStream *stream)
{
  if (!DMPI_IS_REPLAY_STREAM (stream))
    return NULL;

  DmpiReplayStream *self = DMPI_REPLAY_STREAM (stream);
  gpointer data = self->closed != NULL ? self->data : NULL;
  self->closed = NULL;
  self->data = NULL;
  return data;
}
