/* The replayed connection (see replay.h): an input stream that serves a
 * prefix and then its base stream, and the GIOStream that pairs it with the
 * socket's output stream. */
#include "config.h"

#include "replay.h"

#include <string.h>

/* ---- the input stream ------------------------------------------------------- */

#define DMPI_TYPE_REPLAY_INPUT (dmpi_replay_input_get_type ())
G_DECLARE_FINAL_TYPE (DmpiReplayInput, dmpi_replay_input, DMPI, REPLAY_INPUT, GInputStream)

struct _DmpiReplayInput {
  GInputStream parent;
  GInputStream *base;  /* the socket's, pollable */
  GBytes *prefix;
  gsize pos;           /* bytes of the prefix already given */
};

static void dmpi_replay_input_pollable_init (GPollableInputStreamInterface *iface);

G_DEFINE_TYPE_WITH_CODE (DmpiReplayInput, dmpi_replay_input, G_TYPE_INPUT_STREAM,
                         G_IMPLEMENT_INTERFACE (G_TYPE_POLLABLE_INPUT_STREAM, dmpi_replay_input_pollable_init))

static gsize
prefix_left (DmpiReplayInput *in)
{
  return g_bytes_get_size (in->prefix) - in->pos;
}

static gssize
take_prefix (DmpiReplayInput *in, void *buffer, gsize count)
{
  gsize n = MIN (count, prefix_left (in));
  memcpy (buffer, (const char *) g_bytes_get_data (in->prefix, NULL) + in->pos, n);
  in->pos += n;
  return (gssize) n;
}

static gssize
replay_read (GInputStream *stream, void *buffer, gsize count, GCancellable *cancellable, GError **error)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (stream);
  if (prefix_left (in) > 0)
    return take_prefix (in, buffer, count);
  return g_input_stream_read (in->base, buffer, count, cancellable, error);
}

static gboolean
replay_close (GInputStream *stream, GCancellable *cancellable, GError **error)
{
  /* The connection is closed by the GIOStream that owns this stream. */
  return TRUE;
}

static gboolean
replay_can_poll (GPollableInputStream *stream)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (stream);
  return G_IS_POLLABLE_INPUT_STREAM (in->base)
         && g_pollable_input_stream_can_poll (G_POLLABLE_INPUT_STREAM (in->base));
}

static gboolean
replay_is_readable (GPollableInputStream *stream)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (stream);
  return prefix_left (in) > 0 || g_pollable_input_stream_is_readable (G_POLLABLE_INPUT_STREAM (in->base));
}

static GSource *
replay_create_source (GPollableInputStream *stream, GCancellable *cancellable)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (stream);
  /* While the prefix lasts the stream is readable at once. */
  g_autoptr(GSource) child = prefix_left (in) > 0
    ? g_timeout_source_new (0)
    : g_pollable_input_stream_create_source (G_POLLABLE_INPUT_STREAM (in->base), NULL);
  return g_pollable_source_new_full (stream, child, cancellable);
}

static gssize
replay_read_nonblocking (GPollableInputStream *stream, void *buffer, gsize count, GError **error)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (stream);
  if (prefix_left (in) > 0)
    return take_prefix (in, buffer, count);
  return g_pollable_input_stream_read_nonblocking (G_POLLABLE_INPUT_STREAM (in->base), buffer, count, NULL, error);
}

static void
dmpi_replay_input_finalize (GObject *object)
{
  DmpiReplayInput *in = DMPI_REPLAY_INPUT (object);
  g_clear_object (&in->base);
  g_clear_pointer (&in->prefix, g_bytes_unref);
  G_OBJECT_CLASS (dmpi_replay_input_parent_class)->finalize (object);
}

static void
dmpi_replay_input_class_init (DmpiReplayInputClass *klass)
{
  G_OBJECT_CLASS (klass)->finalize = dmpi_replay_input_finalize;
  G_INPUT_STREAM_CLASS (klass)->read_fn = replay_read;
  G_INPUT_STREAM_CLASS (klass)->close_fn = replay_close;
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

/* ---- the connection ------------------------------------------------------- */

#define DMPI_TYPE_REPLAY_STREAM (dmpi_replay_stream_get_type ())
G_DECLARE_FINAL_TYPE (DmpiReplayStream, dmpi_replay_stream, DMPI, REPLAY_STREAM, GIOStream)

struct _DmpiReplayStream {
  GIOStream parent;
  GIOStream *connection;
  GInputStream *input;
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
  g_input_stream_close (self->input, cancellable, NULL);
  return g_io_stream_close (self->connection, cancellable, error);
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
dmpi_replay_stream_new (GSocketConnection *connection, GBytes *already_read)
{
  DmpiReplayInput *in = g_object_new (DMPI_TYPE_REPLAY_INPUT, NULL);
  in->base = g_object_ref (g_io_stream_get_input_stream (G_IO_STREAM (connection)));
  in->prefix = g_bytes_ref (already_read);

  DmpiReplayStream *self = g_object_new (DMPI_TYPE_REPLAY_STREAM, NULL);
  self->connection = g_object_ref (G_IO_STREAM (connection));
  self->input = G_INPUT_STREAM (in);
  return G_IO_STREAM (self);
}
