/* libFuzzer harness: the dashboard's request handling.
 *
 * The routing in lib/dashboard.c is static and runs on a SoupServer, so this
 * file includes dashboard.c and drives its handler without a socket: the
 * input is an HTTP request, parsed by libsoup's own request parser as the
 * server would, then resolved against the server's base URI; its path and
 * decoded query go to handle() with a scheduler core that has workers,
 * finished and failed tasks (so every view has content). The input is also
 * fed to the address parser, the JSON string escaper and the gate's scan of
 * a request head (lib/dashboard/head.c): whole and in pieces, as is and
 * repeated 16 times, so that its size bounds lie within reach of inputs
 * that -max_len keeps at 4 KiB. Where the gate takes a head, the body
 * length it frames the request by must be libsoup's own reading of the
 * same head: on a kept-alive connection the gate hands libsoup exactly
 * that many bytes, and a disagreement would shift every later request. */
#include "../../lib/dashboard.c"
#include "../../lib/dashboard/head.h"

#include <stdint.h>

int LLVMFuzzerInitialize (int *argc, char ***argv);
int LLVMFuzzerTestOneInput (const uint8_t *data, size_t size);

static DmpiDashboard dashboard;

int
LLVMFuzzerInitialize (int *argc, char ***argv)
{
  DmpiSched *sched = dmpi_sched_new ();
  g_autoptr(GError) error = NULL;
  const guint64 dep = 1;
  DmpiSchedTaskSpec specs[3] = {
    { .id = 1, .key = "load-0", .function = "load", .args_type = "()" },
    { .id = 2, .key = "sum-\"0\"", .function = "sum", .args_type = "()", .deps = &dep, .n_deps = 1 },
    { .id = 3, .key = "bad-<0>", .function = "fail\xff", .args_type = "()" },
  };

  (void) argc; (void) argv;
  g_log_set_always_fatal (G_LOG_LEVEL_CRITICAL | G_LOG_LEVEL_WARNING);
  dmpi_sched_add_worker (sched, 2, "node-a", 2, G_GUINT64_CONSTANT (1) << 30);
  dmpi_sched_add_worker (sched, 3, "node-b", 1, 0);
  if (!dmpi_sched_submit (sched, specs, G_N_ELEMENTS (specs), &error))
    g_error ("%s", error->message);
  dmpi_sched_task_finished (sched, 2, 0, 1, 1000, 10.0, 10.5);
  dmpi_sched_task_erred (sched, 3, 0, 3, DMPI_ERROR_TASK_FAILED, "it failed: \"\n\x01", 10.0, 11.0);
  dmpi_sched_worker_heartbeat (sched, 2, 1, 1000, 1 << 20, 0.5, 11.0);
  dmpi_sched_clear_actions (sched);
  dashboard.sched = sched;
  dashboard.started = 9.0;
  return 0;
}

/* Fed in pieces of @step bytes, as the socket might deliver them. */
static DmpiHeadVerdict
scan_in_pieces (const char *data, gsize size, gsize step, gsize *head_len)
{
  DmpiHeadScan scan = { 0 };
  gsize len = 0;
  DmpiHeadVerdict verdict;

  do
    {
      len = MIN (len + step, size);
      verdict = dmpi_head_scan (&scan, data, len, head_len);
    }
  while (verdict == DMPI_HEAD_INCOMPLETE && len < size);
  return verdict;
}

/* libsoup parses what the gate passed with the length the gate framed it by. */
static void
check_body (const char *head, gsize head_len)
{
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *method = NULL, *target = NULL;
  SoupHTTPVersion version;
  gsize length = 0;

  if (dmpi_head_body (head, head_len, &length) != DMPI_BODY_LENGTH)
    return;
  g_assert_cmpuint (length, <=, DMPI_HEAD_MAX_BODY);
  if (soup_headers_parse_request (head, (int) head_len, headers, &method, &target, &version) != SOUP_STATUS_OK)
    return;  /* libsoup answers 400 and the connection closes */
  switch (soup_message_headers_get_encoding (headers))
    {
    case SOUP_ENCODING_NONE:
      g_assert_cmpuint (length, ==, 0);
      break;
    case SOUP_ENCODING_CONTENT_LENGTH:
      g_assert_cmpuint (length, ==, (gsize) soup_message_headers_get_content_length (headers));
      break;
    case SOUP_ENCODING_UNRECOGNIZED:
      break;  /* libsoup answers 400 or 501 and the connection closes */
    case SOUP_ENCODING_EOF:
    case SOUP_ENCODING_CHUNKED:
    case SOUP_ENCODING_BYTERANGES:
    default:
      g_assert_not_reached ();  /* the gate refuses any Transfer-Encoding */
    }
}

static void
check_head (const char *data, gsize size)
{
  gsize step = size > 0 ? 1 + (guchar) data[size - 1] % 61 : 1;
  gsize whole_len = 0, pieces_len = 0;
  DmpiHeadVerdict whole = scan_in_pieces (data, size, G_MAXSIZE / 2, &whole_len);
  DmpiHeadVerdict pieces = scan_in_pieces (data, size, step, &pieces_len);

  g_assert_cmpint (whole, ==, pieces);
  if (whole == DMPI_HEAD_COMPLETE)
    {
      g_assert_cmpuint (whole_len, ==, pieces_len);
      g_assert_cmpuint (whole_len, <=, DMPI_HEAD_MAX_BYTES);
      g_assert_true (data[whole_len - 1] == '\n');
      check_body (data, whole_len);
    }
  else if (whole != DMPI_HEAD_INCOMPLETE)
    g_assert_cmpuint (dmpi_head_verdict_status (whole), >=, 400);
  if (size >= DMPI_HEAD_MAX_BYTES)
    g_assert_cmpint (whole, !=, DMPI_HEAD_INCOMPLETE);
}

int
LLVMFuzzerTestOneInput (const uint8_t *data, size_t size)
{
  g_autofree char *text = g_strndup ((const char *) data, size);
  g_autoptr(GString) json = g_string_new (NULL);
  g_autoptr(SoupMessageHeaders) headers = soup_message_headers_new (SOUP_MESSAGE_HEADERS_REQUEST);
  g_autofree char *method = NULL, *target = NULL;
  g_autofree char *host = NULL;
  SoupHTTPVersion version;
  guint port, status;

  if (parse_address (text, &host, &port, NULL))
    g_assert_cmpuint (port, <=, 65535);
  check_head ((const char *) data, size);
  {
    g_autofree char *repeated = g_malloc (16 * size + 1);
    for (int i = 0; i < 16; i++)
      memcpy (repeated + i * size, data, size);
    check_head (repeated, 16 * size);
  }
  dmpi_json_string (json, text);
  g_assert_true (g_utf8_validate (json->str, (gssize) json->len, NULL));

  status = soup_headers_parse_request ((const char *) data, (int) size, headers, &method, &target, &version);
  if (status == SOUP_STATUS_OK)
    {
      SoupURI *base = soup_uri_new ("http://127.0.0.1:8787/");
      SoupURI *uri = g_str_equal (target, "*") ? NULL : soup_uri_new_with_base (base, target);

      if (uri != NULL && uri->path != NULL)
        {
          g_autoptr(SoupMessage) msg = soup_message_new_from_uri (method, uri);
          GHashTable *query = uri->query != NULL ? soup_form_decode (uri->query) : NULL;

          if (msg != NULL)
            {
              handle (NULL, msg, uri->path, query, NULL, &dashboard);
              g_assert_cmpuint (msg->status_code, >=, 200);
              g_assert_cmpuint (msg->status_code, <, 600);
            }
          g_clear_pointer (&query, g_hash_table_unref);
        }
      g_clear_pointer (&uri, soup_uri_free);
      soup_uri_free (base);
    }
  return 0;
}
