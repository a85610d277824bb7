/* Snappy codec: round trips of all kinds of input, matching that really
 * shrinks repetitive data, and blocks made by the reference implementation
 * (libsnappy, through python3-snappy) decompress to their known text. */
#include "config.h"

#include <string.h>

#include "df/snappy.h"
#include "df/table.h"

static GBytes *
compress (const guint8 *in, gsize len)
{
  guint8 *out = g_malloc (dmpi_snappy_max_compressed_length (len));
  gsize n = dmpi_snappy_compress (in, len, out);
  g_assert_cmpuint (n, <=, dmpi_snappy_max_compressed_length (len));
  return g_bytes_new_take (g_realloc (out, MAX (n, 1)), n);
}

/* Compresses, decompresses, compares; returns the compressed size. */
static gsize
round_trip (const guint8 *in, gsize len)
{
  g_autoptr (GError) error = NULL;
  g_autoptr (GBytes) c = compress (in, len);
  gsize clen, ulen;
  const guint8 *cdata = g_bytes_get_data (c, &clen);

  g_assert_true (dmpi_snappy_uncompressed_length (cdata, clen, &ulen));
  g_assert_cmpuint (ulen, ==, len);
  g_autofree guint8 *back = g_malloc (MAX (len, 1));
  g_assert_true (dmpi_snappy_decompress (cdata, clen, back, len, &error));
  g_assert_no_error (error);
  g_assert_true (len == 0 || memcmp (in, back, len) == 0);
  return clen;
}

static void
test_empty_and_one_byte (void)
{
  g_assert_cmpuint (round_trip ((const guint8 *) "", 0), ==, 1);
  g_assert_cmpuint (round_trip ((const guint8 *) "x", 1), ==, 3);
}

static void
test_random (void)
{
  g_autoptr (GRand) rand = g_rand_new_with_seed (42);
  gsize sizes[] = { 2, 3, 14, 15, 16, 17, 100, 4095, 65535, 65536, 65537, 200000 };

  for (gsize i = 0; i < G_N_ELEMENTS (sizes); i++)
    {
      g_autofree guint8 *buf = g_malloc (sizes[i]);
      for (gsize j = 0; j < sizes[i]; j++)
        buf[j] = (guint8) g_rand_int (rand);
      gsize clen = round_trip (buf, sizes[i]);
      /* Incompressible: only the literal headers are added. */
      g_assert_cmpuint (clen, <=, dmpi_snappy_max_compressed_length (sizes[i]));
    }
}

static void
test_repetitive (void)
{
  gsize len = 1 << 20;
  g_autofree guint8 *zeros = g_malloc0 (len);
  g_autofree guint8 *text = g_malloc (len);
  const char *phrase = "2015-01-15 19:05:39,1,1.59,-73.993896484375,40.750110626220703,";

  for (gsize i = 0; i < len; i++)
    text[i] = (guint8) phrase[i % strlen (phrase)];

  gsize zc = round_trip (zeros, len);
  gsize tc = round_trip (text, len);
  g_test_message ("1 MiB of zeros -> %" G_GSIZE_FORMAT " bytes, of a repeated phrase -> %"
                  G_GSIZE_FORMAT, zc, tc);
  g_assert_cmpuint (zc, <, len / 20);
  g_assert_cmpuint (tc, <, len / 20);
}

/* Mixed: short repeats among random bytes, so that literals and copies of
 * every length and offset alternate; several megabytes across fragments. */
static void
test_multi_megabyte_mixed (void)
{
  gsize len = 5 * 1000 * 1000 + 7;
  g_autofree guint8 *buf = g_malloc (len);
  g_autoptr (GRand) rand = g_rand_new_with_seed (7);
  gsize i = 0;

  while (i < len)
    {
      gsize n = (gsize) g_rand_int_range (rand, 1, 300);
      if (i > 70000 && g_rand_boolean (rand))
        {
          gsize off = (gsize) g_rand_int_range (rand, 1, 70000);
          for (gsize j = 0; j < n && i < len; j++, i++)
            buf[i] = buf[i - off];
        }
      else
        for (gsize j = 0; j < n && i < len; j++, i++)
          buf[i] = (guint8) g_rand_int_range (rand, 'a', 'a' + 4);
    }
  gsize clen = round_trip (buf, len);
  g_assert_cmpuint (clen, <, len * 7 / 10);
}

typedef struct {
  const char *compressed;
  gsize       clen;
  const char *plain;
  gsize       plen;
} Vector;

#define V(c, p) { c, sizeof (c) - 1, p, sizeof (p) - 1 }

static void
test_known_vectors (void)
{
  static char hundred_a[101];
  static char abc[164];
  memset (hundred_a, 'a', 100);
  for (int i = 0; i < 160; i++)
    abc[i] = "abcdefgh"[i % 8];
  memcpy (abc + 160, "xyz", 4);

  /* Made by libsnappy 1.1 (python3-snappy's snappy.compress). */
  const Vector vectors[] = {
    V ("\x00", ""),
    V ("\x01\x00\x61", "a"),
    V ("\x51\xf0\x50" "Wikipedia is a free, web-based, collaborative, multilingual "
       "encyclopedia project.",
       "Wikipedia is a free, web-based, collaborative, multilingual encyclopedia project."),
  };
  for (gsize i = 0; i < G_N_ELEMENTS (vectors); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *out = g_malloc (vectors[i].plen + 1);
      g_assert_true (dmpi_snappy_decompress ((const guint8 *) vectors[i].compressed,
                                             vectors[i].clen, out, vectors[i].plen, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, vectors[i].plen, vectors[i].plain, vectors[i].plen);
    }

  struct { const char *c; gsize clen; const char *p; gsize plen; } more[] = {
    { "\x64\x00\x61\xfe\x01\x00\x8a\x01\x00", 9, hundred_a, 100 },
    { "\xa3\x01\x1c\x61\x62\x63\x64\x65\x66\x67\x68\xfe\x08\x00\xfe\x08\x00\x5e\x08\x00\x08"
      "\x78\x79\x7a", 24, abc, 163 },
  };
  for (gsize i = 0; i < G_N_ELEMENTS (more); i++)
    {
      g_autoptr (GError) error = NULL;
      g_autofree guint8 *out = g_malloc (more[i].plen);
      g_assert_true (dmpi_snappy_decompress ((const guint8 *) more[i].c, more[i].clen, out,
                                             more[i].plen, &error));
      g_assert_no_error (error);
      g_assert_cmpmem (out, more[i].plen, more[i].p, more[i].plen);

      /* Ours matches the reference byte for byte on these simple inputs. */
      g_autoptr (GBytes) ours = compress ((const guint8 *) more[i].p, more[i].plen);
      gsize olen;
      const guint8 *odata = g_bytes_get_data (ours, &olen);
      g_assert_cmpmem (odata, olen, more[i].c, more[i].clen);
    }
}

static void
test_corrupt_input (void)
{
  guint8 out[16];
  g_autoptr (GError) e1 = NULL, e2 = NULL, e3 = NULL;

  /* Copy before any output. */
  g_assert_false (dmpi_snappy_decompress ((const guint8 *) "\x04\x01\x01", 3, out, 4, &e1));
  g_assert_error (e1, DMPI_DF_ERROR, DMPI_DF_ERROR_CORRUPT);
  /* Literal longer than the input. */
  g_assert_false (dmpi_snappy_decompress ((const guint8 *) "\x04\x0c\x61", 3, out, 4, &e2));
  g_assert_nonnull (e2);
  /* Header says more than the caller expects. */
  g_assert_false (dmpi_snappy_decompress ((const guint8 *) "\x05\x00\x61", 3, out, 1, &e3));
  g_assert_nonnull (e3);
}

static void
test_speed (void)
{
  /* Column-like data: float32 values of a few distinct magnitudes. */
  gsize n = 4 << 20;
  g_autofree float *vals = g_new (float, n);
  g_autoptr (GRand) rand = g_rand_new_with_seed (1);
  for (gsize i = 0; i < n; i++)
    vals[i] = (float) g_rand_int_range (rand, 0, 5000) / 100.0f;
  gsize len = n * sizeof (float);
  g_autofree guint8 *out = g_malloc (dmpi_snappy_max_compressed_length (len));

  gint64 t0 = g_get_monotonic_time ();
  gsize clen = dmpi_snappy_compress ((const guint8 *) vals, len, out);
  gint64 t1 = g_get_monotonic_time ();
  g_test_message ("compressed %" G_GSIZE_FORMAT " MB of float32 to %" G_GSIZE_FORMAT
                  " bytes in %.1f ms: %.0f MB/s", len >> 20, clen, (t1 - t0) / 1e3,
                  (double) len / (double) MAX (t1 - t0, 1));
  g_assert_cmpuint (clen, <, len);
}

int
main (int argc, char **argv)
{
  g_test_init (&argc, &argv, NULL);
  g_test_add_func ("/snappy/empty-and-one-byte", test_empty_and_one_byte);
  g_test_add_func ("/snappy/random", test_random);
  g_test_add_func ("/snappy/repetitive", test_repetitive);
  g_test_add_func ("/snappy/multi-megabyte-mixed", test_multi_megabyte_mixed);
  g_test_add_func ("/snappy/known-vectors", test_known_vectors);
  g_test_add_func ("/snappy/corrupt-input", test_corrupt_input);
  g_test_add_func ("/snappy/speed", test_speed);
  return g_test_run ();
}
