/* Test program for the MPI transport, run as 3 ranks by t/transport.sh.
 *
 * Rank 0 checks and prints TAP (without test numbers; it prints its plan
 * first). Ranks 1 and 2 send, check what comes back, and send their own
 * verdicts to rank 0 as KIND_RESULT messages, so every line of TAP comes out
 * of rank 0. Run with --perf for the measurements (small-message rate,
 * ping-pong bandwidth against raw MPI) instead of the correctness checks. */
#include "config.h"

#include <stdio.h>
#include <string.h>
#include <sys/resource.h>

#include "transport.h"
#include "protocol.h"

/* The wire format, as lib/transport.c defines it, to forge bad frames. */
#define WIRE_MAGIC_INLINE  0x49504d44u
#define WIRE_MAGIC_CHUNKED 0x43504d44u

enum {
  KIND_RESULT = 0xF0000001u,  /* payload: one TAP line */
  KIND_DONE,                  /* end of a rank's results for a phase */
  KIND_GO,
  KIND_QUIT,
  KIND_ACK,
  KIND_BIG,
  KIND_CHECKSUM,
  KIND_MANY,
  KIND_AFTER_GARBAGE,
  KIND_PARTS,
  KIND_PAD,
};

#define N_ORDERED 300
#define N_MANY 100000
#define BIG_BYTES ((gsize) 8 << 20)
#define IDLE_SECONDS 2.0
#define IDLE_MAX_CPU_PERCENT 5.0
#define N_GARBAGE 5

typedef struct {
  int src;
  guint32 kind;
  GBytes *payload;
} Msg;

static DmpiTransport *transport;
static GMainContext *context;
static GQueue *inbox;           /* [size]: Msg * from each rank, in arrival order */
static GPtrArray *warnings;     /* char *: every warning logged */
static int rank, size;
static gboolean all_ok = TRUE;
static GPtrArray *outbox;       /* char *: lines for rank 0, sent by phase_done() */

static void
msg_free (Msg *msg)
{
  g_bytes_unref (msg->payload);
  g_free (msg);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC (Msg, msg_free)

static void
on_recv (DmpiTransport *t, int src, guint32 kind, GBytes *payload, gpointer user_data)
{
  Msg *msg = g_new (Msg, 1);

  msg->src = src;
  msg->kind = kind;
  msg->payload = g_bytes_ref (payload);
  g_queue_push_tail (&inbox[src], msg);
}

static GLogWriterOutput
capture_warnings (GLogLevelFlags level, const GLogField *fields, gsize n_fields, gpointer user_data)
{
  if (level & G_LOG_LEVEL_WARNING)
    for (gsize i = 0; i < n_fields; i++)
      if (strcmp (fields[i].key, "MESSAGE") == 0)
        g_ptr_array_add (warnings, g_strdup (fields[i].value));
  return g_log_writer_standard_streams (level, fields, n_fields, user_data);
}

/* The next message from @src, running the main context until it comes. */
static Msg *
recv_from (int src)
{
  gint64 deadline = g_get_monotonic_time () + 40 * G_USEC_PER_SEC;

  while (g_queue_is_empty (&inbox[src]))
    {
      if (g_get_monotonic_time () > deadline)
        {
          fprintf (stderr, "# rank %d: nothing from rank %d for 40 s; aborting\n", rank, src);
          if (rank == 0)
            printf ("not ok - rank 0 waited 40 s for rank %d\n", src);
          fflush (stdout);
          dmpi_transport_abort (99);
        }
      g_main_context_iteration (context, TRUE);
    }
  return g_queue_pop_head (&inbox[src]);
}

static Msg *
recv_kind (int src, guint32 kind)
{
  Msg *msg = recv_from (src);

  if (msg->kind != kind)
    {
      fprintf (stderr, "# rank %d: expected kind 0x%x from rank %d, got 0x%x; aborting\n", rank,
               kind, src, msg->kind);
      dmpi_transport_abort (98);
    }
  return msg;
}

static void
send_text (int dest, guint32 kind, const char *text)
{
  g_autoptr(GBytes) payload = g_bytes_new (text, strlen (text));

  dmpi_transport_send (transport, dest, kind, payload);
}

/* A TAP line (or a "#" diagnostic): printed on rank 0, sent there by others. */
G_GNUC_PRINTF (2, 3) static void
report (gboolean ok, const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *line = g_strdup_printf ("%s - rank %d: %s", ok ? "ok" : "not ok", rank, what);
  if (rank == 0)
    {
      printf ("%s\n", line);
      fflush (stdout);
      all_ok &= ok;
    }
  else
    g_ptr_array_add (outbox, g_steal_pointer (&line));
}

G_GNUC_PRINTF (1, 2) static void
diag (const char *format, ...)
{
  va_list args;

  va_start (args, format);
  g_autofree char *what = g_strdup_vprintf (format, args);
  va_end (args);
  g_autofree char *line = g_strdup_printf ("# rank %d: %s", rank, what);
  if (rank == 0)
    {
      printf ("%s\n", line);
      fflush (stdout);
    }
  else
    g_ptr_array_add (outbox, g_steal_pointer (&line));
}

/* On ranks other than 0: send the phase's lines, kept back until now so that
 * they do not get between the messages rank 0 waits for. */
static void
phase_done (void)
{
  for (guint i = 0; i < outbox->len; i++)
    send_text (0, KIND_RESULT, outbox->pdata[i]);
  g_ptr_array_set_size (outbox, 0);
  dmpi_transport_send (transport, 0, KIND_DONE, NULL);
}

/* On rank 0: print what @src reported, up to its KIND_DONE. */
static void
relay (int src)
{
  for (;;)
    {
      g_autoptr(Msg) msg = recv_from (src);

      if (msg->kind == KIND_DONE)
        return;
      if (msg->kind != KIND_RESULT)
        {
          printf ("not ok - rank 0: unexpected message kind 0x%x from rank %d\n", msg->kind, src);
          all_ok = FALSE;
          continue;
        }
      gsize len;
      const char *text = g_bytes_get_data (msg->payload, &len);
      printf ("%.*s\n", (int) len, text);
      if (len >= 6 && strncmp (text, "not ok", 6) == 0)
        all_ok = FALSE;
      fflush (stdout);
    }
}

/* Deterministic bytes for (seed, size): the receiver regenerates them. */
static GBytes *
pattern (guint32 seed, gsize len)
{
  guint8 *data = g_malloc (MAX (len, 1));
  guint32 x = seed * 2654435761u + 1;

  for (gsize i = 0; i < len; i++)
    {
      x = x * 1664525u + 1013904223u;
      data[i] = x >> 24;
    }
  return g_bytes_new_take (data, len);
}

static gboolean
is_pattern (GBytes *payload, guint32 seed, gsize len)
{
  g_autoptr(GBytes) expected = pattern (seed, len);

  return payload != NULL && g_bytes_equal (payload, expected);
}

static void
idle_for (double seconds)
{
  gint64 deadline = g_get_monotonic_time () + (gint64) (seconds * G_USEC_PER_SEC);

  while (g_get_monotonic_time () < deadline)
    g_main_context_iteration (context, TRUE);
}

static double
cpu_seconds (void)
{
  struct rusage usage;

  getrusage (RUSAGE_SELF, &usage);
  return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec
         + (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* ---- correctness ---- */

static const guint32 kinds[] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17,
                                 100, 255, 256, 65535, 65536, 0x7fffffff, 0x80000000,
                                 0xfffffffe, 0xffffffff };

static gsize
kind_size (guint i)
{
  return (i * 37) % 1000;
}

static void
phase_kinds (void)
{
  guint n = G_N_ELEMENTS (kinds), good = 0;

  if (rank == 1)
    {
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(GBytes) payload = pattern (i, kind_size (i));
          dmpi_transport_send (transport, 0, kinds[i], payload);
        }
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(Msg) msg = recv_from (0);
          good += msg->kind == kinds[i] && is_pattern (msg->payload, i, kind_size (i));
        }
      report (good == n, "%u/%u small messages echoed by rank 0 came back intact", good, n);
      phase_done ();
    }
  else if (rank == 0)
    {
      for (guint i = 0; i < n; i++)
        {
          g_autoptr(Msg) msg = recv_from (1);
          good += msg->kind == kinds[i] && is_pattern (msg->payload, i, kind_size (i));
          dmpi_transport_send (transport, 1, msg->kind, msg->payload);
        }
      report (good == n, "%u/%u small messages of kinds 0 to 0xffffffff from rank 1 arrived intact",
              good, n);
      relay (1);
    }
}

static const gsize ordered_sizes[] = { 0, 1, 15, 16, 999, 1000, 1001, 2500, 16384, 100000 };

static void
phase_ordering (void)
{
  if (rank != 0)
    {
      for (guint32 seq = 0; seq < N_ORDERED; seq++)
        {
          gsize len = ordered_sizes[seq % G_N_ELEMENTS (ordered_sizes)];
          g_autoptr(GBytes) payload = pattern (rank * 1000000 + seq, len);
          dmpi_transport_send (transport, 0, seq, payload);
        }
      return;
    }
  for (int src = 1; src <= 2; src++)
    {
      guint good = 0;
      guint32 first_bad = G_MAXUINT32;

      for (guint32 seq = 0; seq < N_ORDERED; seq++)
        {
          g_autoptr(Msg) msg = recv_from (src);
          gsize len = ordered_sizes[seq % G_N_ELEMENTS (ordered_sizes)];
          if (msg->kind == seq && is_pattern (msg->payload, src * 1000000 + seq, len))
            good++;
          else if (first_bad == G_MAXUINT32)
            first_bad = seq;
        }
      report (good == N_ORDERED,
              "%u/%u interleaved messages of 0 to 100000 bytes from rank %d (sent concurrently "
              "with rank %d's, chunk size %" G_GSIZE_FORMAT ") arrived in order and intact%s",
              good, N_ORDERED, src, 3 - src, dmpi_transport_get_chunk_size (transport),
              first_bad == G_MAXUINT32 ? "" : " (first bad one listed on stderr)");
      if (first_bad != G_MAXUINT32)
        fprintf (stderr, "# first bad message from rank %d: number %u\n", src, first_bad);
    }
}

static void
phase_big (void)
{
  gsize chunks = (BIG_BYTES + dmpi_transport_get_chunk_size (transport) - 1)
                 / dmpi_transport_get_chunk_size (transport);

  if (rank == 1)
    {
      g_autoptr(GBytes) payload = pattern (4242, BIG_BYTES);
      g_autofree char *sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, payload);

      dmpi_transport_send (transport, 0, KIND_BIG, payload);
      send_text (0, KIND_CHECKSUM, sum);
      g_autoptr(Msg) back = recv_kind (0, KIND_BIG);
      g_autofree char *back_sum = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, back->payload);
      report (strcmp (sum, back_sum) == 0, "8 MiB echoed by rank 0 came back intact (sha256 %.12s…)",
              back_sum);
      phase_done ();
    }
  else if (rank == 0)
    {
      g_autoptr(Msg) big = recv_kind (1, KIND_BIG);
      g_autoptr(Msg) sum = recv_kind (1, KIND_CHECKSUM);
      g_autofree char *got = g_compute_checksum_for_bytes (G_CHECKSUM_SHA256, big->payload);
      gsize len;
      const char *expected = g_bytes_get_data (sum->payload, &len);

      report (g_bytes_get_size (big->payload) == BIG_BYTES && strlen (got) == len
              && memcmp (got, expected, len) == 0,
              "8 MiB payload in %" G_GSIZE_FORMAT " chunks from rank 1 arrived intact (sha256 %.12s…)",
              chunks, got);
      dmpi_transport_send (transport, 1, KIND_BIG, big->payload);
      relay (1);
    }
}

static void
phase_empty (void)
{
  if (rank == 1)
    {
      g_autoptr(GBytes) empty = g_bytes_new (NULL, 0);

      dmpi_transport_send (transport, 0, 77, NULL);
      dmpi_transport_send (transport, 0, 78, empty);
    }
  else if (rank == 0)
    {
      g_autoptr(Msg) a = recv_from (1);
      g_autoptr(Msg) b = recv_from (1);

      report (a->kind == 77 && a->payload != NULL && g_bytes_get_size (a->payload) == 0
              && b->kind == 78 && b->payload != NULL && g_bytes_get_size (b->payload) == 0,
              "empty payloads (NULL and 0 bytes) arrive as empty GBytes");
    }
}

/* Rank 1 sends @n small messages to rank 0; returns messages per second. */
static double
many_small (guint n, gsize len, guint *in_order)
{
  if (rank == 1)
    {
      gint64 start = g_get_monotonic_time ();
      guint8 buf[64] = { 0 };

      g_assert (len >= sizeof (guint32) && len <= sizeof buf);
      for (guint32 seq = 0; seq < n; seq++)
        {
          memcpy (buf, &seq, sizeof seq);
          g_autoptr(GBytes) payload = g_bytes_new (buf, len);
          dmpi_transport_send (transport, 0, KIND_MANY, payload);
        }
      g_autoptr(Msg) ack = recv_kind (0, KIND_ACK);
      return n / ((g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC);
    }
  if (rank == 0)
    {
      guint good = 0;

      for (guint32 seq = 0; seq < n; seq++)
        {
          g_autoptr(Msg) msg = recv_from (1);
          guint32 got = G_MAXUINT32;
          if (msg->kind == KIND_MANY && g_bytes_get_size (msg->payload) == len)
            memcpy (&got, g_bytes_get_data (msg->payload, NULL), sizeof got);
          good += got == seq;
        }
      dmpi_transport_send (transport, 1, KIND_ACK, NULL);
      *in_order = good;
    }
  return 0;
}

static void
phase_many (void)
{
  guint good = 0;
  double rate = many_small (N_MANY, 8, &good);

  if (rank == 1)
    {
      diag ("%u messages of 8 bytes sent and acknowledged at %.0f messages/s", N_MANY, rate);
      phase_done ();
    }
  else if (rank == 0)
    {
      report (good == N_MANY, "%u/%u small messages from rank 1 arrived, in order", good, N_MANY);
      relay (1);
    }
}

static void
put_header (guint8 *buf, guint32 magic, guint32 kind, guint64 len)
{
  memcpy (buf, &magic, 4);
  memcpy (buf + 4, &kind, 4);
  memcpy (buf + 8, &len, 8);
}

static void
phase_garbage (void)
{
  if (rank == 2)
    {
      guint8 frame[32] = { 0 };

      dmpi_transport_send_raw (transport, 0, "junk!", 5);                  /* too short */
      put_header (frame, 0xdeadbeef, 1, 16);
      dmpi_transport_send_raw (transport, 0, frame, 32);                   /* bad magic */
      put_header (frame, WIRE_MAGIC_INLINE, 1, 100);
      dmpi_transport_send_raw (transport, 0, frame, 24);                   /* wrong length */
      put_header (frame, WIRE_MAGIC_CHUNKED, 1, (guint64) 1 << 62);
      dmpi_transport_send_raw (transport, 0, frame, 16);                   /* impossible length */
      put_header (frame, WIRE_MAGIC_CHUNKED, 1, 8);
      dmpi_transport_send_raw (transport, 0, frame, 24);                   /* header with data */
      send_text (0, KIND_AFTER_GARBAGE, "still here");
    }
  else if (rank == 0)
    {
      g_autoptr(Msg) msg = recv_from (2);
      guint naming = 0;

      report (msg->kind == KIND_AFTER_GARBAGE
              && g_bytes_get_size (msg->payload) == strlen ("still here"),
              "after %d malformed frames from rank 2, its next message is the good one", N_GARBAGE);
      for (guint i = 0; i < warnings->len; i++)
        naming += strstr (warnings->pdata[i], "rank 2 ") != NULL;
      report (warnings->len == N_GARBAGE && naming == N_GARBAGE,
              "%u warnings logged for %d malformed frames, %u of them naming rank 2",
              warnings->len, N_GARBAGE, naming);
    }
}

static void
phase_idle (void)
{
  DmpiTransportStats before, after;

  if (rank == 0)
    {
      dmpi_transport_send (transport, 1, KIND_GO, NULL);
      dmpi_transport_send (transport, 2, KIND_GO, NULL);
      dmpi_transport_flush (transport, 10);
    }
  else
    {
      g_autoptr(Msg) go = recv_kind (0, KIND_GO);
    }

  dmpi_transport_get_stats (transport, &before);
  double cpu0 = cpu_seconds ();
  gint64 start = g_get_monotonic_time ();
  idle_for (IDLE_SECONDS);
  double wall = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  double percent = 100 * (cpu_seconds () - cpu0) / wall;
  dmpi_transport_get_stats (transport, &after);

  report (percent < IDLE_MAX_CPU_PERCENT,
          "idle for %.1f s used %.2f%% CPU (limit %.0f%%; %" G_GUINT64_FORMAT " MPI polls, %"
          G_GUINT64_FORMAT " sleeps in poll())",
          wall, percent, IDLE_MAX_CPU_PERCENT, after.polls - before.polls,
          after.sleeps - before.sleeps);
  if (rank != 0)
    phase_done ();
  else
    {
      relay (1);
      relay (2);
    }
}

/* Messages sent as parts, each layout: sizes of the parts (G_MAXSIZE: a NULL
 * part). With the correctness run's 1000-byte chunks, parts straddle chunk
 * boundaries and are split across several chunks. */
static const gsize part_layouts[][5] = {
  { 16, 2500, 7, 0, 0 },
  { G_MAXSIZE, 0, 5, 0, 0 },
  { 0, 0, 0, 0, 0 },
  { 999, 1, 1000, 1001, 0 },
  { 300000, 16, 0, 0, 0 },
};
#define LAYOUT_PARTS 5

static void
phase_parts (void)
{
  guint n = G_N_ELEMENTS (part_layouts), good = 0;

  if (rank == 1)
    {
      for (guint l = 0; l < n; l++)
        {
          GBytes *parts[LAYOUT_PARTS];
          for (guint p = 0; p < LAYOUT_PARTS; p++)
            parts[p] = part_layouts[l][p] == G_MAXSIZE ? NULL : pattern (l * 10 + p, part_layouts[l][p]);
          dmpi_transport_send_parts (transport, 0, KIND_PARTS, parts, LAYOUT_PARTS);
          for (guint p = 0; p < LAYOUT_PARTS; p++)
            g_clear_pointer (&parts[p], g_bytes_unref);
        }
    }
  else if (rank == 0)
    {
      for (guint l = 0; l < n; l++)
        {
          g_autoptr(Msg) msg = recv_kind (1, KIND_PARTS);
          g_autoptr(GByteArray) expected = g_byte_array_new ();
          for (guint p = 0; p < LAYOUT_PARTS; p++)
            if (part_layouts[l][p] != G_MAXSIZE)
              {
                g_autoptr(GBytes) part = pattern (l * 10 + p, part_layouts[l][p]);
                g_byte_array_append (expected, g_bytes_get_data (part, NULL), (guint) g_bytes_get_size (part));
              }
          gsize len;
          const guint8 *data = g_bytes_get_data (msg->payload, &len);
          good += len == expected->len && (len == 0 || memcmp (data, expected->data, len) == 0);
        }
      report (good == n, "%u/%u messages sent in parts (NULL, empty, across chunk boundaries) arrived "
              "whole, as one payload", good, n);
    }
}

/* Every received payload has 8 zeroed bytes behind it (the transport's
 * guard against GLib's normal-form check reading past the end): inline,
 * chunked, and in a reused buffer that held other bytes before. */
static void
phase_padding (void)
{
  static const gsize sizes[] = { 3, 5000, 2 << 20, (3 << 20) / 2, 2 << 20 };
  guint n = G_N_ELEMENTS (sizes), good = 0;

  if (rank == 1)
    {
      for (guint i = 0; i < n; i++)
        {
          g_autofree guint8 *data = g_malloc (sizes[i]);
          memset (data, 0xff, sizes[i]);
          g_autoptr(GBytes) payload = g_bytes_new_take (g_steal_pointer (&data), sizes[i]);
          dmpi_transport_send (transport, 0, KIND_PAD, payload);
        }
    }
  else if (rank == 0)
    {
      for (guint i = 0; i < n; i++)
        {
          /* Each is freed before the next arrives, so its buffer can be reused. */
          g_autoptr(Msg) msg = recv_kind (1, KIND_PAD);
          gsize len;
          const guint8 *data = g_bytes_get_data (msg->payload, &len);
          static const guint8 zeros[8] = { 0 };
          good += len == sizes[i] && data[0] == 0xff && data[len - 1] == 0xff
                  && memcmp (data + len, zeros, sizeof zeros) == 0;
        }
      report (good == n, "%u/%u payloads of 3 bytes to 2 MiB arrived with 8 zeroed bytes behind them",
              good, n);
    }
}

static GVariant *
byte_value (guint32 seed, gsize len)
{
  g_autoptr(GBytes) bytes = pattern (seed, len);
  return g_variant_new_from_bytes (G_VARIANT_TYPE_BYTESTRING, bytes, TRUE);
}

/* Data messages (a result moving between ranks) through the transport:
 * rank 1 sends, rank 0 decodes as a worker does. */
static void
phase_data (void)
{
  gsize big = ((gsize) 3 << 20) + 17;

  if (rank == 1)
    {
      dmpi_msg_send_data (transport, 0, 1, byte_value (1, big), "");
      dmpi_msg_send_data (transport, 0, 2, byte_value (2, 0), "");
      dmpi_msg_send_data (transport, 0, 3, NULL, "worker rank 1: no result 3 here");
      /* A value whose declared type does not fit its bytes: 5 bytes are no
       * array of 32-bit numbers. GLib keeps the bytes of such a value. */
      g_autoptr(GBytes) five = g_bytes_new ("abcde", 5);
      dmpi_msg_send_data (transport, 0, 4, g_variant_new_from_bytes (G_VARIANT_TYPE ("au"), five, FALSE), "");
      dmpi_msg_send_data (transport, 0, 5, g_variant_new_string ("after"), "");
      return;
    }
  if (rank != 0)
    return;

  GVariant *got[5] = { NULL };
  guint first_warning = warnings->len;
  for (guint i = 0; i < 5; i++)
    {
      g_autoptr(Msg) msg = recv_kind (1, DMPI_MSG_DATA);
      got[i] = dmpi_msg_receive (msg->kind, msg->payload, msg->src);
    }

  guint64 id;
  gboolean found;
  const char *text;
  g_autoptr(GVariant) value = NULL;
  g_autoptr(GVariant) expected = g_variant_ref_sink (byte_value (1, big));
  gboolean ok = got[0] != NULL;
  if (ok)
    {
      g_variant_get (got[0], "(tbv&s)", &id, &found, &value, &text);
      ok = id == 1 && found && *text == '\0' && g_variant_equal (value, expected);
      g_clear_pointer (&value, g_variant_unref);
    }
  report (ok, "a %" G_GSIZE_FORMAT "-byte value sent from its own buffer arrived whole across %" G_GSIZE_FORMAT
          "-byte chunks", big, dmpi_transport_get_chunk_size (transport));

  ok = got[1] != NULL;
  if (ok)
    {
      g_variant_get (got[1], "(tbv&s)", &id, &found, &value, &text);
      ok = id == 2 && found && g_variant_is_of_type (value, G_VARIANT_TYPE_BYTESTRING)
           && g_variant_get_size (value) == 0;
      g_clear_pointer (&value, g_variant_unref);
    }
  report (ok, "a zero-length value arrived as an empty byte string");

  ok = got[2] != NULL;
  if (ok)
    {
      g_variant_get (got[2], "(tbv&s)", &id, &found, &value, &text);
      ok = id == 3 && !found && strcmp (text, "worker rank 1: no result 3 here") == 0;
      g_clear_pointer (&value, g_variant_unref);
    }
  report (ok, "a result not found arrives as found=false with its message");

  guint naming = 0;
  for (guint i = first_warning; i < warnings->len; i++)
    naming += strstr (warnings->pdata[i], "data message from rank 1 ") != NULL;
  report (got[3] == NULL && got[4] != NULL && naming == 1,
          "a value whose type does not fit its bytes was dropped with %u warning(s) naming the "
          "kind and rank 1, and the next data message was taken", naming);
  for (guint i = 0; i < 5; i++)
    g_clear_pointer (&got[i], g_variant_unref);
}

/* ---- performance ---- */

/* Rank 1 ping-pongs @bytes with rank 0 through the transport, rank 0 echoing
 * the very GBytes it received. Returns bytes/s on rank 1. */
static double
transport_pingpong (gsize bytes, guint iterations, gboolean *intact)
{
  g_autoptr(GBytes) payload = rank == 1 ? pattern (bytes, bytes) : NULL;
  gint64 start = 0;

  *intact = TRUE;
  for (guint i = 0; i <= iterations; i++)
    {
      if (i == 1)
        start = g_get_monotonic_time ();
      if (rank == 1)
        {
          dmpi_transport_send (transport, 0, KIND_BIG, payload);
          g_autoptr(Msg) back = recv_kind (0, KIND_BIG);
          *intact &= g_bytes_get_size (back->payload) == bytes;
        }
      else
        {
          g_autoptr(Msg) msg = recv_kind (1, KIND_BIG);
          dmpi_transport_send (transport, 1, KIND_BIG, msg->payload);
        }
    }
  if (rank == 0)
    dmpi_transport_flush (transport, 30);
  double elapsed = (g_get_monotonic_time () - start) / (double) G_USEC_PER_SEC;
  return 2.0 * bytes * iterations / elapsed;
}

static void
perf (void)
{
  static const struct { gsize bytes; guint iterations; } sizes[] = {
    { 64 << 10, 200 }, { 1 << 20, 100 }, { 16 << 20, 20 }, { (gsize) 128 << 20, 4 },
  };
  guint good = 0;

  if (rank == 2)
    return;
  double rate = many_small (N_MANY, 64, &good);
  if (rank == 0)
    report (good == N_MANY, "%u/%u small messages from rank 1 arrived, in order", good, N_MANY);
  else
    diag ("small-message rate rank 1 -> 0: %u messages of 64 bytes at %.0f messages/s", N_MANY,
          rate);

  /* Latency: 8-byte round trips. */
  gint64 start = g_get_monotonic_time ();
  for (guint i = 0; i < 2000; i++)
    {
      if (rank == 1)
        {
          send_text (0, KIND_ACK, "ping");
          g_autoptr(Msg) back = recv_kind (0, KIND_ACK);
        }
      else
        {
          g_autoptr(Msg) msg = recv_kind (1, KIND_ACK);
          dmpi_transport_send (transport, 1, KIND_ACK, msg->payload);
        }
    }
  /* Both ranks stay hot while messages flow: a round trip must not wait for
   * the idle back-off (which would take milliseconds). */
  double round_trip_us = (g_get_monotonic_time () - start) / 2000.0;
  if (rank == 1)
    report (round_trip_us < 1000, "small-message round trip through the transport: %.1f µs "
            "(limit 1000)", round_trip_us);

  gboolean all_intact = TRUE;
  for (guint i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      gboolean intact;
      double ours = transport_pingpong (sizes[i].bytes, sizes[i].iterations, &intact);
      double raw = dmpi_transport_bandwidth_probe (transport, 1 - rank, sizes[i].bytes,
                                                   sizes[i].iterations);
      all_intact &= intact;
      if (rank == 1)
        diag ("ping-pong %" G_GSIZE_FORMAT " KiB x %u: transport %.0f MB/s, raw MPI %.0f MB/s (%.0f%%)",
              sizes[i].bytes >> 10, sizes[i].iterations, ours / 1e6, raw / 1e6, 100 * ours / raw);
    }
  if (rank == 1)
    {
      report (all_intact, "ping-pong payloads of 64 KiB to 128 MiB came back whole");
      phase_done ();
    }
  else
    relay (1);
}

int
main (int argc, char **argv)
{
  g_autoptr(GError) error = NULL;
  gboolean perf_mode = argc > 1 && strcmp (argv[1], "--perf") == 0;

  warnings = g_ptr_array_new_with_free_func (g_free);
  outbox = g_ptr_array_new_with_free_func (g_free);
  g_log_set_writer_func (capture_warnings, NULL, NULL);
  if (!dmpi_transport_init_mpi (&argc, &argv, &error))
    {
      fprintf (stderr, "transport test: %s\n", error->message);
      return 1;
    }
  rank = dmpi_transport_world_rank ();
  size = dmpi_transport_world_size ();
  if (size != 3)
    {
      if (rank == 0)
        printf ("1..0 # SKIP needs exactly 3 ranks, has %d\n", size);
      dmpi_transport_finalize_mpi ();
      return 0;
    }
  context = g_main_context_new ();
  inbox = g_new0 (GQueue, size);
  transport = dmpi_transport_new (context, on_recv, NULL);
  g_assert (transport != NULL);
  g_assert (dmpi_transport_get_rank (transport) == rank);
  g_assert (dmpi_transport_get_size (transport) == size);

  if (perf_mode)
    {
      if (rank == 0)
        printf ("1..3\n");
      perf ();
    }
  else
    {
      if (rank == 0)
        printf ("1..19\n");
      phase_kinds ();
      phase_ordering ();
      phase_big ();
      phase_empty ();
      phase_many ();
      phase_garbage ();
      phase_parts ();
      phase_padding ();
      phase_data ();
      phase_idle ();
    }

  /* Everyone waits for rank 0's word, so that nobody finalises while
   * messages are still on the way to it. */
  if (rank == 0)
    {
      dmpi_transport_send (transport, 1, KIND_QUIT, NULL);
      dmpi_transport_send (transport, 2, KIND_QUIT, NULL);
    }
  else
    {
      g_autoptr(Msg) quit = recv_kind (0, KIND_QUIT);
    }
  if (!dmpi_transport_flush (transport, 10))
    fprintf (stderr, "# rank %d: flush timed out with %u messages pending\n", rank,
             dmpi_transport_pending (transport));
  dmpi_transport_free (transport);
  dmpi_transport_finalize_mpi ();
  for (int i = 0; i < size; i++)
    g_queue_clear_full (&inbox[i], (GDestroyNotify) msg_free);
  g_free (inbox);
  g_main_context_unref (context);
  g_ptr_array_unref (warnings);
  g_ptr_array_unref (outbox);
  return all_ok ? 0 : 1;
}
