/* Bounds on a request head, and the length of its body (see head.h).
 * libsoup 2.4 reads up to 64 KiB of head and then drops the connection
 * without an answer; checking the head before libsoup sees it lets the
 * dashboard answer with a 4xx instead. The gate frames each request on a
 * kept-alive connection by dmpi_head_body and gives libsoup exactly those
 * bytes, so the two cannot disagree on where a request ends. */
#include "config.h"

#include "head.h"

#include <string.h>

DmpiHeadVerdict
dmpi_head_scan (DmpiHeadScan *scan, const char *data, gsize len, gsize *head_len)
{
  /* Never look past the bound: what lies beyond cannot be part of a head we take. */
  gsize end = MIN (len, DMPI_HEAD_MAX_BYTES);

  while (scan->scanned < end)
    {
      const char *nl = memchr (data + scan->scanned, '\n', end - scan->scanned);
      if (nl == NULL)
        {
          scan->scanned = end;
          break;
        }
      gsize line_end = (gsize) (nl - data);  /* at the '\n' */
      gsize length = line_end - scan->line_start;
      if (length > 0 && data[line_end - 1] == '\r')
        length--;
      scan->scanned = line_end + 1;
      scan->line_start = line_end + 1;
      if (length == 0)
        {
          /* RFC 9112 §2.2: empty lines before the request line are ignored. */
          if (scan->n_lines == 0)
            continue;
          *head_len = line_end + 1;
          return DMPI_HEAD_COMPLETE;
        }
      scan->n_lines++;
      if (scan->n_lines == 1 && length > DMPI_HEAD_MAX_LINE)
        return DMPI_HEAD_LINE_TOO_LONG;
      if (scan->n_lines > 1 + DMPI_HEAD_MAX_FIELDS)
        return DMPI_HEAD_TOO_MANY_FIELDS;
    }

  /* An unfinished request line that is already too long (its "\r\n" to come). */
  if (scan->n_lines == 0 && end - scan->line_start > DMPI_HEAD_MAX_LINE + 1)
    return DMPI_HEAD_LINE_TOO_LONG;
  if (len >= DMPI_HEAD_MAX_BYTES)
    return DMPI_HEAD_TOO_LARGE;
  return DMPI_HEAD_INCOMPLETE;
}

guint
dmpi_head_verdict_status (DmpiHeadVerdict verdict)
{
  switch (verdict)
    {
    case DMPI_HEAD_LINE_TOO_LONG:
      return 414;
    case DMPI_HEAD_TOO_LARGE:
    case DMPI_HEAD_TOO_MANY_FIELDS:
      return 431;
    case DMPI_HEAD_INCOMPLETE:
    case DMPI_HEAD_COMPLETE:
    default:
      return 400;
    }
}

/* @line (@len bytes, no line end) is the field @name (lower case): sets
 * *value to its value without the whitespace around it. */
static gboolean
is_field (const char *line, gsize len, const char *name, const char **value, gsize *value_len)
{
  gsize n = strlen (name);

  if (len <= n || line[n] != ':' || g_ascii_strncasecmp (line, name, n) != 0)
    return FALSE;
  const char *v = line + n + 1, *end = line + len;
  while (v < end && (*v == ' ' || *v == '\t'))
    v++;
  while (end > v && (end[-1] == ' ' || end[-1] == '\t'))
    end--;
  *value = v;
  *value_len = (gsize) (end - v);
  return TRUE;
}

DmpiBodyVerdict
dmpi_head_body (const char *head, gsize head_len, gsize *length)
{
  gboolean request_line = TRUE, has_length = FALSE, has_encoding = FALSE;
  gsize found = 0;

  for (gsize start = 0; start < head_len;)
    {
      const char *nl = memchr (head + start, '\n', head_len - start);
      gsize end = nl != NULL ? (gsize) (nl - head) : head_len;
      gsize len = end - start;
      const char *line = head + start, *value;
      gsize value_len;

      start = end + 1;
      if (len > 0 && line[len - 1] == '\r')
        len--;
      if (len == 0)
        continue;  /* empty lines before the request line, the blank line at the end */
      if (request_line)
        {
          request_line = FALSE;
          continue;
        }
      if (is_field (line, len, "transfer-encoding", &value, &value_len))
        has_encoding = TRUE;
      else if (is_field (line, len, "content-length", &value, &value_len))
        {
          gsize v = 0;
          if (value_len == 0)
            return DMPI_BODY_BAD_LENGTH;
          for (gsize i = 0; i < value_len; i++)
            {
              if (!g_ascii_isdigit (value[i]))
                return DMPI_BODY_BAD_LENGTH;
              /* Saturates above the bound: any such length is refused. */
              v = MIN (v * 10 + (gsize) (value[i] - '0'), (gsize) DMPI_HEAD_MAX_BODY + 1);
            }
          if (has_length && v != found)
            return DMPI_BODY_BAD_LENGTH;
          has_length = TRUE;
          found = v;
        }
    }
  if (has_encoding || found > DMPI_HEAD_MAX_BODY)
    return DMPI_BODY_TOO_LARGE;
  *length = found;
  return DMPI_BODY_LENGTH;
}
