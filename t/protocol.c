/* The protocol: every kind round-trips; truncated, wrong-type, oversized and
 * unknown messages are refused with the sender's rank in the message. */
#include "config.h"

#include <string.h>

#include "protocol.h"
#include "dmpi-error.h"
#include "batch.h"

/* A sample message of @kind: a full (not floating) reference. */
static GVariant *sample_floating_or_not (guint32 kind);

static GVariant *
sample (guint32 kind)
{
  return g_variant_take_ref (sample_floating_or_not (kind));
}

static GVariant *
sample_floating_or_not (guint32 kind)
{
  switch (kind)
    {
    case DMPI_MSG_HELLO: return g_variant_new ("(uusut)", 1u, 2u, "node-7", 4u, (guint64) 1 << 30);
    case DMPI_MSG_WELCOME: return g_variant_new ("(uss)", 1u, "", "10.0.0.8:8787");
    case DMPI_MSG_SUBMIT:
    case DMPI_MSG_COMPUTE:
      {
        guint64 deps[] = { 1, 2 };
        guint32 ranks[] = { 2, 3 };
        DmpiTaskBatchBuilder *b = dmpi_task_batch_builder_new ();
        dmpi_task_batch_builder_add_variant (b, 3, "sum-3", "sum", g_variant_new ("(x)", (gint64) 5), deps,
                                             kind == DMPI_MSG_COMPUTE ? ranks : NULL, 2);
        dmpi_task_batch_builder_add_variant (b, 4, "inc-4", "inc", g_variant_new ("(s)", "text"), NULL, NULL, 0);
        guint32 only[] = { 5 };
        dmpi_task_batch_builder_set_options (b, -3, 2, only, 1);
        GVariant *v = dmpi_task_batch_builder_end (b);
        dmpi_task_batch_builder_free (b);
        return v;
      }
    case DMPI_MSG_REPORT:
    case DMPI_MSG_FINISHED:
      {
        DmpiResultBatchBuilder *b = dmpi_result_batch_builder_new ();
        dmpi_result_batch_builder_add (b, 1, 1, 0, 8, 2, NULL, 1.5, 2.5);
        dmpi_result_batch_builder_add (b, 2, 2, 5, 0, 3, "boom", 1.5, 2.5);
        GVariant *v = dmpi_result_batch_builder_end (b);
        dmpi_result_batch_builder_free (b);
        return v;
      }
    case DMPI_MSG_DATA: return g_variant_new ("(tbvs)", (guint64) 9, TRUE, g_variant_new_string ("value"), "");
    case DMPI_MSG_SHUTDOWN: return g_variant_new ("(is)", 3, "the client exited with status 3");
    case DMPI_MSG_WORKERS: return g_variant_parse (G_VARIANT_TYPE ("a(usut)"), "[(2, 'n1', 1, 0), (3, 'n2', 4, 1000)]", NULL, NULL, NULL);
    case DMPI_MSG_FETCH:
    case DMPI_MSG_FREE:
    case DMPI_MSG_RELEASE:
    case DMPI_MSG_CANCEL:
    case DMPI_MSG_KEEP: return g_variant_parse (G_VARIANT_TYPE ("at"), "[1, 2, 3]", NULL, NULL, NULL);
    case DMPI_MSG_SCATTER: return g_variant_parse (G_VARIANT_TYPE ("a(tsv)"), "[(4, 'scatter-4', <int64 5>)]", NULL, NULL, NULL);
    case DMPI_MSG_SCATTER_ACK: return g_variant_parse (G_VARIANT_TYPE ("a(tt)"), "[(4, 8)]", NULL, NULL, NULL);
    case DMPI_MSG_UPDATE_DATA: return g_variant_parse (G_VARIANT_TYPE ("a(tstu)"), "[(4, 'scatter-4', 8, 2)]", NULL, NULL, NULL);
    case DMPI_MSG_LOAD_MODULE: return g_variant_new ("(ts)", (guint64) 1, "/opt/m.so");
    case DMPI_MSG_MODULE_LOADED: return g_variant_new ("(tbs)", (guint64) 1, FALSE, "no such file");
    case DMPI_MSG_HEARTBEAT: return g_variant_new ("(utttd)", 2u, (guint64) 100, (guint64) 50, (guint64) 1 << 20, 0.5);
    case DMPI_MSG_GOODBYE: return g_variant_new ("(s)", "shutdown");
    default:
      /* A kind without a sample of its own: its type's default value (zeros,
       * empty strings and arrays), which GLib reads from no data at all. */
      {
        g_autoptr(GVariant) empty = g_variant_ref_sink (g_variant_new_from_data (dmpi_msg_kind_type (kind), NULL, 0,
                                                                                 FALSE, NULL, NULL));
        return g_variant_get_normal_form (empty);
      }
    }
}

static void
test_round_trip (void)
{
  for (guint32 kind = 1; kind < DMPI_MSG_N_KINDS; kind++)
    {
      g_autoptr(GVariant) message = sample (kind);
      g_autoptr(GBytes) bytes = dmpi_msg_encode (kind, message);
      g_autoptr(GError) error = NULL;
      g_assert_nonnull (bytes);
      g_autoptr(GVariant) back = dmpi_msg_decode (kind, bytes, 4, &error);
      g_assert_no_error (error);
      g_assert_true (g_variant_equal (message, back));
      g_assert_cmpstr (dmpi_msg_kind_name (kind), !=, "unknown");
    }
}

static void
test_truncated (void)
{
  g_autoptr(GVariant) submit = sample (DMPI_MSG_SUBMIT);
  g_autoptr(GBytes) bytes = dmpi_msg_encode (DMPI_MSG_SUBMIT, submit);
  gsize size = g_bytes_get_size (bytes);

  for (gsize cut = 1; cut < size; cut++)
    {
      g_autoptr(GBytes) part = g_bytes_new_from_bytes (bytes, 0, size - cut);
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_SUBMIT, part, 5, &error);
      g_assert_null (back);
      g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "rank 5"));
      g_assert_nonnull (strstr (error->message, "submit"));
    }
}

static void
test_wrong_type (void)
{
  /* A hello decoded as a shutdown: the bytes are no valid (is). */
  g_autoptr(GVariant) hello = sample (DMPI_MSG_HELLO);
  g_autoptr(GBytes) bytes = dmpi_msg_encode (DMPI_MSG_HELLO, hello);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_SHUTDOWN, bytes, 2, &error);

  g_assert_null (back);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);

  /* Garbage of every length up to 64 bytes, for every kind: never accepted
   * unless it is the normal form of that kind's type. */
  GRand *rand = g_rand_new_with_seed (7);
  for (guint32 kind = 1; kind < DMPI_MSG_N_KINDS; kind++)
    for (gsize len = 0; len < 64; len++)
      {
        guint8 buf[64];
        for (gsize i = 0; i < len; i++)
          buf[i] = (guint8) g_rand_int (rand);
        g_autoptr(GBytes) junk = g_bytes_new (buf, len);
        g_autoptr(GError) e = NULL;
        g_autoptr(GVariant) v = dmpi_msg_decode (kind, junk, 3, &e);
        g_assert_true ((v == NULL) != (e == NULL));
        if (v != NULL)
          g_assert_true (g_variant_is_normal_form (v));
      }
  g_rand_free (rand);
}

static void
test_oversized (void)
{
  gsize limit = dmpi_msg_kind_max_bytes (DMPI_MSG_HELLO);
  g_autofree guint8 *big = g_malloc0 (limit + 1);
  g_autoptr(GBytes) bytes = g_bytes_new_take (g_steal_pointer (&big), limit + 1);
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_HELLO, bytes, 6, &error);

  g_assert_null (back);
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "over its limit"));
}

static void
test_unknown_kind (void)
{
  g_autoptr(GBytes) bytes = g_bytes_new ("x", 1);
  g_autoptr(GError) error = NULL;

  g_assert_null (dmpi_msg_decode (0, bytes, 2, &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
  g_clear_error (&error);
  g_assert_null (dmpi_msg_decode (DMPI_MSG_N_KINDS + 5, bytes, 2, &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
  g_assert_nonnull (strstr (error->message, "unknown kind"));
}

static void
test_task_batch (void)
{
  g_autoptr(GVariant) message = sample (DMPI_MSG_COMPUTE);
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;
  guint n_deps;

  g_assert_true (dmpi_task_batch_parse (&batch, message, &error));
  g_assert_cmpuint (batch.n, ==, 2);
  g_assert_cmpuint (batch.ids[1], ==, 4);
  g_assert_cmpstr (dmpi_task_batch_key (&batch, 0), ==, "sum-3");
  g_assert_cmpstr (dmpi_task_batch_key (&batch, 1), ==, "inc-4");
  g_assert_cmpstr (dmpi_task_batch_function (&batch, 1), ==, "inc");
  const guint64 *deps = dmpi_task_batch_deps (&batch, 0, &n_deps);
  g_assert_cmpuint (n_deps, ==, 2);
  g_assert_cmpuint (deps[1], ==, 2);
  g_assert_cmpuint (dmpi_task_batch_dep_ranks (&batch, 0)[1], ==, 3);
  dmpi_task_batch_deps (&batch, 1, &n_deps);
  g_assert_cmpuint (n_deps, ==, 0);
  g_autoptr(GVariant) args = dmpi_task_batch_args (&batch, 1, &error);
  g_assert_no_error (error);
  g_assert_cmpstr (g_variant_get_type_string (args), ==, "(s)");
  const char *text;
  g_variant_get (args, "(&s)", &text);
  g_assert_cmpstr (text, ==, "text");
  g_assert_cmpint (batch.priorities[0], ==, 0);
  g_assert_cmpint (batch.priorities[1], ==, -3);
  g_assert_cmpuint (batch.retries[1], ==, 2);
  guint n_only;
  const guint32 *only = dmpi_task_batch_restrict (&batch, 1, &n_only);
  g_assert_cmpuint (n_only, ==, 1);
  g_assert_cmpuint (only[0], ==, 5);
  dmpi_task_batch_restrict (&batch, 0, &n_only);
  g_assert_cmpuint (n_only, ==, 0);
  dmpi_task_batch_clear (&batch);
}

/* Found by t/fuzz/protocol: a batch with no dependencies and no
 * restrictions at all has no arrays behind them (reading one was NULL + 0,
 * undefined behaviour caught by UBSan). */
static void
test_task_batch_without_lists (void)
{
  DmpiTaskBatchBuilder *builder = dmpi_task_batch_builder_new ();
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;
  guint n = 99;

  dmpi_task_batch_builder_add_variant (builder, 1, "a", "inc", g_variant_new ("(i)", 1), NULL, NULL, 0);
  g_autoptr(GVariant) message = g_variant_ref_sink (dmpi_task_batch_builder_end (builder));
  dmpi_task_batch_builder_free (builder);
  g_assert_true (dmpi_task_batch_parse (&batch, message, &error));
  g_assert_null (dmpi_task_batch_deps (&batch, 0, &n));
  g_assert_cmpuint (n, ==, 0);
  n = 99;
  g_assert_null (dmpi_task_batch_restrict (&batch, 0, &n));
  g_assert_cmpuint (n, ==, 0);
  g_assert_null (dmpi_task_batch_dep_ranks (&batch, 0));
  dmpi_task_batch_clear (&batch);
}

/* Columns that disagree with each other are refused, not read. */
static void
test_task_batch_inconsistent (void)
{
  guint64 ids[] = { 1, 2 };
  guint32 one_end[] = { 4 };
  guint32 bad_index[] = { 0, 7 };
  guint32 zero[] = { 0, 0 };
  guint32 args_end[] = { 0, 0 };
  const char *functions[] = { "inc" };
  const char *types[] = { "()" };
  GVariant *children[] = {
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, ids, 2, sizeof (guint64)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "abc", 4, 1),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, one_end, 1, sizeof (guint32)),  /* 1 key end for 2 ids */
    g_variant_new_strv (functions, 1),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, bad_index, 2, sizeof (guint32)),
    g_variant_new_strv (types, 1),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, zero, 2, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, NULL, 0, 1),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, args_end, 2, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT64, NULL, 0, sizeof (guint64)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, zero, 2, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, NULL, 0, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_INT32, zero, 2, sizeof (gint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, zero, 2, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, NULL, 0, sizeof (guint32)),
    g_variant_new_fixed_array (G_VARIANT_TYPE_UINT32, zero, 2, sizeof (guint32)),
  };
  g_autoptr(GVariant) message = g_variant_ref_sink (g_variant_new_tuple (children, G_N_ELEMENTS (children)));
  DmpiTaskBatch batch;
  g_autoptr(GError) error = NULL;

  g_assert_false (dmpi_task_batch_parse (&batch, message, &error));
  g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
  dmpi_task_batch_clear (&batch);
}

static void
test_result_batch (void)
{
  g_autoptr(GVariant) message = sample (DMPI_MSG_REPORT);
  DmpiResultBatch batch;
  g_autoptr(GError) error = NULL;

  g_assert_true (dmpi_result_batch_parse (&batch, message, &error));
  g_assert_cmpuint (batch.n, ==, 2);
  g_assert_cmpstr (dmpi_result_batch_message (&batch, 0), ==, "");
  g_assert_cmpstr (dmpi_result_batch_message (&batch, 1), ==, "boom");
  g_assert_cmpuint (batch.codes[1], ==, 5);
  g_assert_cmpfloat (batch.stops[1], ==, 2.5);
  dmpi_result_batch_clear (&batch);
}

/* The decoder's verdict is GLib's normal form, exactly: on garbage, and on
 * valid messages of every kind with a byte changed or cut off. */
static gboolean
glib_says_normal (guint32 kind, GBytes *bytes)
{
  g_autoptr(GVariant) v = g_variant_ref_sink (g_variant_new_from_bytes (dmpi_msg_kind_type (kind), bytes, FALSE));
  return g_variant_is_normal_form (v);
}

static void
test_same_verdict_as_glib (void)
{
  GRand *rand = g_rand_new_with_seed (11);
  guint accepted = 0, refused = 0;

  for (guint32 kind = 1; kind < DMPI_MSG_N_KINDS; kind++)
    {
      g_autoptr(GVariant) message = sample (kind);
      g_autoptr(GBytes) valid = dmpi_msg_encode (kind, message);
      gsize size = g_bytes_get_size (valid);
      for (guint round = 0; round < 300; round++)
        {
          g_autofree guint8 *data = g_memdup (g_bytes_get_data (valid, NULL), (guint) MAX (size, 1));
          gsize len = size;
          if (round % 3 == 2 && len > 0)
            len = g_rand_int_range (rand, 0, (gint32) len);
          else if (len > 0)
            data[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int (rand);
          /* GLib 2.74.6's own normal-form check can read a byte past the end
           * of a damaged value (valgrind shows it): keep slack after it. */
          g_autofree guint8 *padded = g_malloc0 (len + 16);
          if (len > 0)
            memcpy (padded, data, len);
          g_autoptr(GBytes) whole = g_bytes_new (padded, len + 16);
          g_autoptr(GBytes) bytes = g_bytes_new_from_bytes (whole, 0, len);
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) v = dmpi_msg_decode (kind, bytes, 2, &error);
          gboolean want = glib_says_normal (kind, bytes);
          if ((v != NULL) != want)
            g_error ("%s message of %" G_GSIZE_FORMAT " bytes, round %u: decoder says %s, GLib says %s",
                     dmpi_msg_kind_name (kind), len, round, v != NULL ? "normal" : "not", want ? "normal" : "not");
          if (v != NULL)
            accepted++;
          else
            refused++;
        }
    }
  /* Both verdicts occur, so the comparison means something. */
  g_assert_cmpuint (accepted, >, 100);
  g_assert_cmpuint (refused, >, 100);
  g_rand_free (rand);
}

/* A large result travels as a data message and is accepted whole. */
static void
test_large_data (void)
{
  gsize n = 10 << 20;
  g_autofree guint8 *payload = g_malloc (n);
  for (gsize i = 0; i < n; i++)
    payload[i] = (guint8) (i * 7);
  GVariant *value = g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, payload, n, 1);
  g_autoptr(GBytes) bytes = dmpi_msg_encode (DMPI_MSG_DATA, g_variant_new ("(tbvs)", (guint64) 5, TRUE, value, ""));
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) msg = dmpi_msg_decode (DMPI_MSG_DATA, bytes, 3, &error);
  g_assert_no_error (error);
  g_autoptr(GVariant) inner = NULL;
  g_variant_get (msg, "(tbvs)", NULL, NULL, &inner, NULL);
  gsize got;
  const guint8 *data = g_variant_get_fixed_array (inner, &got, 1);
  g_assert_cmpuint (got, ==, n);
  g_assert_cmpmem (data, n, payload, n);
}

/* The parts of a data message, joined as the receiver gets them. */
static GBytes *
data_joined (guint64 id, GVariant *value, const char *message)
{
  g_autoptr(GPtrArray) parts = dmpi_msg_data_parts (id, value, message);
  GByteArray *joined = g_byte_array_new ();

  g_assert_cmpuint (parts->len, >=, 2);
  for (guint i = 0; i < parts->len; i++)
    {
      gsize len;
      const guint8 *data = g_bytes_get_data (parts->pdata[i], &len);
      g_byte_array_append (joined, data, (guint) len);
    }
  return g_byte_array_free_to_bytes (joined);
}

/* Equal values: same type, same serialised bytes (for values in normal
 * form, as these are). g_variant_equal() compares untrusted values by
 * printing them, which takes seconds for megabytes (minutes under valgrind). */
static gboolean
same_bytes (GVariant *a, GVariant *b)
{
  gsize n = g_variant_get_size (a);
  return g_variant_type_equal (g_variant_get_type (a), g_variant_get_type (b)) && n == g_variant_get_size (b)
         && memcmp (g_variant_get_data (a), g_variant_get_data (b), n) == 0;
}

static GVariant *
bytes_value (gsize n, guint8 seed)
{
  g_autofree guint8 *data = g_malloc (MAX (n, 1));
  for (gsize i = 0; i < n; i++)
    data[i] = (guint8) (i * 13 + seed);
  return g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, data, n, 1);
}

/* The data encoder writes what GLib writes for (tbvs), byte for byte: values
 * of many types, and sizes on both sides of the framing offset's widths. */
static void
test_data_parts (void)
{
  static const gsize sizes[] = { 0, 1, 7, 8, 100, 200, 220, 230, 231, 232, 233, 234, 235, 240, 255, 256,
                                 1000, 65400, 65490, 65500, 65501, 65502, 65503, 65504, 65505, 65510,
                                 65535, 65536, 70000, 1 << 20 };
  GVariant *others[] = {
    g_variant_new_string ("value"),
    g_variant_new_int32 (-5),
    g_variant_new ("(ysay)", 7, "key", NULL),
    g_variant_new ("()"),
    g_variant_new_variant (g_variant_new_double (2.5)),
    g_variant_parse (NULL, "{'a': <1>, 'b': <(2, 'x')>}", NULL, NULL, NULL),
    g_variant_parse (NULL, "[just 3, nothing]", NULL, NULL, NULL),
  };
  guint checked = 0;

  /* One full reference each (g_variant_parse returns one already). */
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    g_variant_take_ref (others[i]);
  for (guint i = 0; i < G_N_ELEMENTS (sizes) + G_N_ELEMENTS (others); i++)
    for (guint m = 0; m < 3; m++)
      {
        static const char *const messages[] = { "", "worker rank 2: no such result", NULL };
        g_autoptr(GVariant) value = i < G_N_ELEMENTS (sizes) ? g_variant_ref_sink (bytes_value (sizes[i], (guint8) i))
                                                             : g_variant_ref (others[i - G_N_ELEMENTS (sizes)]);
        g_autofree char *long_message = g_strnfill (m == 2 ? 300 : 0, 'm');
        const char *message = m == 2 ? long_message : messages[m];
        gboolean found = m != 1;
        g_autoptr(GVariant) reference = g_variant_ref_sink (
            g_variant_new ("(tbvs)", (guint64) 1000 + i, found, found ? value : g_variant_new ("()"), message));
        g_autoptr(GBytes) ours = data_joined (1000 + i, found ? value : NULL, message);
        g_autoptr(GBytes) glibs = g_variant_get_data_as_bytes (reference);
        g_assert_true (g_bytes_equal (ours, glibs));

        g_autoptr(GError) error = NULL;
        g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_DATA, ours, 2, &error);
        g_assert_no_error (error);
        g_assert_true (same_bytes (back, reference));
        checked++;
      }
  for (guint i = 0; i < G_N_ELEMENTS (others); i++)
    g_variant_unref (others[i]);
  g_assert_cmpuint (checked, ==, 3 * (G_N_ELEMENTS (sizes) + G_N_ELEMENTS (others)));
}

/* No copy of the value: the sender's part is the value's own buffer, and the
 * decoded value is a view into the received payload. */
static void
test_data_zero_copy (void)
{
  gsize n = 10 << 20;
  g_autoptr(GVariant) value = g_variant_ref_sink (bytes_value (n, 1));
  g_autoptr(GPtrArray) parts = dmpi_msg_data_parts (7, value, "");
  gboolean shared = FALSE;

  for (guint i = 0; i < parts->len; i++)
    shared = shared || g_bytes_get_data (parts->pdata[i], NULL) == g_variant_get_data (value);
  g_assert_true (shared);

  g_autoptr(GBytes) payload = data_joined (7, value, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) msg = dmpi_msg_decode (DMPI_MSG_DATA, payload, 3, &error);
  g_assert_no_error (error);
  g_autoptr(GVariant) inner = NULL;
  gboolean found;
  g_variant_get (msg, "(tbvs)", NULL, &found, &inner, NULL);
  g_assert_true (found);
  g_assert_true (g_variant_is_of_type (inner, G_VARIANT_TYPE_BYTESTRING));
  const guint8 *received = g_bytes_get_data (payload, NULL);
  g_assert_true ((const guint8 *) g_variant_get_data (inner) > received);
  g_assert_true ((const guint8 *) g_variant_get_data (inner) < received + g_bytes_get_size (payload));
  g_assert_true (same_bytes (inner, value));
}

/* A data message for a value of @type whose bytes are @bytes, written by
 * hand (small sizes only: one-byte framing offset), since GLib will not
 * serialise a value whose bytes do not fit its type. */
static GBytes *
forge_data (const char *type, const char *bytes, gsize len)
{
  GByteArray *out = g_byte_array_new ();
  guint64 id = 11;
  guint8 pad[8] = { 1, 0, 0, 0, 0, 0, 0, 0 };   /* found, then padding */

  g_byte_array_append (out, (const guint8 *) &id, 8);
  g_byte_array_append (out, pad, 8);
  g_byte_array_append (out, (const guint8 *) bytes, (guint) len);
  g_byte_array_append (out, (const guint8 *) "", 1);
  g_byte_array_append (out, (const guint8 *) type, (guint) strlen (type));
  guint8 variant_end = (guint8) out->len;
  g_byte_array_append (out, (const guint8 *) "", 1);       /* the message, "" */
  g_byte_array_append (out, &variant_end, 1);
  g_assert_cmpuint (out->len, <, 256);
  return g_byte_array_free_to_bytes (out);
}

/* A value whose declared type does not match its bytes is refused, with the
 * kind and the sender's rank in the message. */
static void
test_data_type_mismatch (void)
{
  static const struct { const char *type; const char *bytes; gsize len; } cases[] = {
    { "au", "abcde", 5 },          /* 5 bytes are no array of 4-byte numbers */
    { "ai", "abcdef", 6 },
    { "s", "abc", 3 },             /* no NUL */
    { "s", "a\0bc", 5 },          /* a NUL inside */
    { "(ii)", "abcdefg", 7 },      /* a fixed-size type of the wrong size */
    { "t", "abcd", 4 },
    { "(ays)", "ab\3", 3 },       /* framing offset past the end */
    { "as", "a\0b\0\4\1", 6 },   /* offsets out of order */
    { "v", "abc", 3 },             /* no type string */
    { "b", "\2", 1 },              /* neither true nor false */
    { "a{", "ab", 2 },             /* no type at all */
  };

  /* The forger is right: a value that fits is accepted, as GLib writes it. */
  g_autoptr(GBytes) good = forge_data ("ay", "abcde", 5);
  g_autoptr(GVariant) expected = g_variant_ref_sink (
      g_variant_new ("(tbvs)", (guint64) 11, TRUE, g_variant_new_fixed_array (G_VARIANT_TYPE_BYTE, "abcde", 5, 1), ""));
  g_autoptr(GBytes) expected_bytes = g_variant_get_data_as_bytes (expected);
  g_assert_true (g_bytes_equal (good, expected_bytes));
  g_autoptr(GError) good_error = NULL;
  g_autoptr(GVariant) good_back = dmpi_msg_decode (DMPI_MSG_DATA, good, 6, &good_error);
  g_assert_no_error (good_error);

  for (guint i = 0; i < G_N_ELEMENTS (cases); i++)
    {
      g_autoptr(GBytes) payload = forge_data (cases[i].type, cases[i].bytes, cases[i].len);
      g_autoptr(GError) error = NULL;
      g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_DATA, payload, 6, &error);
      if (back != NULL)
        g_error ("a data message whose %s value is the bytes of case %u was accepted", cases[i].type, i);
      g_assert_error (error, DMPI_ERROR, DMPI_ERROR_PROTOCOL);
      g_assert_nonnull (strstr (error->message, "data message from rank 6"));
    }
}

/* A value whose data does not fit its fixed-size type reads as zeros in GLib;
 * the sender sends it so, not bytes GLib would not hand out. */
static void
test_data_damaged_value_sent_as_zeros (void)
{
  g_autoptr(GBytes) short_bytes = g_bytes_new ("abc", 3);
  g_autoptr(GVariant) damaged = g_variant_ref_sink (g_variant_new_from_bytes (G_VARIANT_TYPE ("(ii)"), short_bytes, FALSE));
  g_autoptr(GBytes) payload = data_joined (4, damaged, "");
  g_autoptr(GError) error = NULL;
  g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_DATA, payload, 2, &error);
  g_assert_no_error (error);
  g_autoptr(GVariant) inner = NULL;
  g_variant_get (back, "(tbvs)", NULL, NULL, &inner, NULL);
  gint32 a = 1, b = 1;
  g_variant_get (inner, "(ii)", &a, &b);
  g_assert_cmpint (a, ==, 0);
  g_assert_cmpint (b, ==, 0);
}

/* The in-place tuple check gives GLib's verdict on damaged data messages
 * with values of several shapes. */
static void
test_data_same_verdict_as_glib (void)
{
  GVariant *values[] = {
    bytes_value (40, 3),
    g_variant_new ("(ysay)", 7, "key", NULL),
    g_variant_parse (NULL, "(uint16 1, 'x', [byte 1, 2], <(2, 'y')>, int64 9)", NULL, NULL, NULL),
    g_variant_parse (NULL, "{'a': <1>, 'b': <(2, 'x')>}", NULL, NULL, NULL),
    g_variant_parse (NULL, "([just 3, nothing], (), [(), ()])", NULL, NULL, NULL),
  };
  GRand *rand = g_rand_new_with_seed (23);
  guint accepted = 0, refused = 0;

  for (guint v = 0; v < G_N_ELEMENTS (values); v++)
    {
      /* take_ref: g_variant_parse returns a full reference already. */
      g_autoptr(GVariant) value = g_variant_take_ref (values[v]);
      g_autoptr(GBytes) valid = data_joined (3, value, v % 2 ? "why" : "");
      gsize size = g_bytes_get_size (valid);
      for (guint round = 0; round < 2000; round++)
        {
          g_autofree guint8 *data = g_malloc0 (size + 16);
          gsize len = size;
          memcpy (data, g_bytes_get_data (valid, NULL), size);
          if (round % 5 == 4)
            len = g_rand_int_range (rand, 0, (gint32) len);
          else
            for (guint k = 0; k <= round % 3; k++)
              data[g_rand_int_range (rand, 0, (gint32) len)] = (guint8) g_rand_int_range (rand, 0, 8);
          /* Slack after the end, as the transport leaves (see glib_says_normal). */
          g_autoptr(GBytes) whole = g_bytes_new (data, len + 16);
          g_autoptr(GBytes) bytes = g_bytes_new_from_bytes (whole, 0, len);
          g_autoptr(GError) error = NULL;
          g_autoptr(GVariant) back = dmpi_msg_decode (DMPI_MSG_DATA, bytes, 2, &error);
          gboolean want = glib_says_normal (DMPI_MSG_DATA, bytes);
          if ((back != NULL) != want)
            g_error ("data message with value %u, %" G_GSIZE_FORMAT " bytes, round %u: decoder says %s, GLib says %s",
                     v, len, round, back != NULL ? "normal" : "not", want ? "normal" : "not");
          if (back != NULL)
            accepted++;
          else
            refused++;
        }
    }
  g_assert_cmpuint (accepted, >, 100);
  g_assert_cmpuint (refused, >, 100);
  g_rand_free (rand);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/protocol/round-trip", test_round_trip);
  g_test_add_func ("/protocol/truncated", test_truncated);
  g_test_add_func ("/protocol/wrong-type", test_wrong_type);
  g_test_add_func ("/protocol/oversized", test_oversized);
  g_test_add_func ("/protocol/unknown-kind", test_unknown_kind);
  g_test_add_func ("/protocol/task-batch", test_task_batch);
  g_test_add_func ("/protocol/task-batch-inconsistent", test_task_batch_inconsistent);
  g_test_add_func ("/protocol/task-batch-without-lists", test_task_batch_without_lists);
  g_test_add_func ("/protocol/result-batch", test_result_batch);
  g_test_add_func ("/protocol/same-verdict-as-glib", test_same_verdict_as_glib);
  g_test_add_func ("/protocol/large-data", test_large_data);
  g_test_add_func ("/protocol/data-parts", test_data_parts);
  g_test_add_func ("/protocol/data-zero-copy", test_data_zero_copy);
  g_test_add_func ("/protocol/data-type-mismatch", test_data_type_mismatch);
  g_test_add_func ("/protocol/data-damaged-value-sent-as-zeros", test_data_damaged_value_sent_as_zeros);
  g_test_add_func ("/protocol/data-same-verdict-as-glib", test_data_same_verdict_as_glib);
  return g_test_run ();
}
