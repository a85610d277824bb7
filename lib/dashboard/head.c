/* Bounds on a request head (see head.h). libsoup 2.4 reads up to 64 KiB of
 * head and then drops the connection without an answer; checking the head
 * before libsoup sees it lets the dashboard answer with a 4xx instead. */
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
