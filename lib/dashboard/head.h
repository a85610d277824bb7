/* The head of an HTTP request (the request line and the header lines, up to
 * the blank line), checked against the dashboard's bounds as its bytes
 * arrive, and where the request's body ends. Pure: bytes in, a verdict out
 * (the gate does the I/O). */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* The whole head, its blank line included. */
#define DMPI_HEAD_MAX_BYTES (32 * 1024)
/* The request line, without its line end. */
#define DMPI_HEAD_MAX_LINE (8 * 1024)
/* Header lines (a folded continuation line counts as one more). */
#define DMPI_HEAD_MAX_FIELDS 100
/* A request body: the dashboard is read-only, so bodies are small or refused. */
#define DMPI_HEAD_MAX_BODY 4096

typedef enum {
  DMPI_HEAD_INCOMPLETE,      /* within bounds so far: wait for more bytes */
  DMPI_HEAD_COMPLETE,        /* ends within bounds, at *head_len */
  DMPI_HEAD_LINE_TOO_LONG,   /* the request line: 414 */
  DMPI_HEAD_TOO_LARGE,       /* no blank line within DMPI_HEAD_MAX_BYTES: 431 */
  DMPI_HEAD_TOO_MANY_FIELDS, /* 431 */
} DmpiHeadVerdict;

/* Where the scan of one request head stands; zero-initialise. */
typedef struct {
  gsize scanned;    /* bytes looked at */
  gsize line_start; /* where the current line begins */
  guint n_lines;    /* non-blank lines so far: the request line and the fields */
} DmpiHeadScan;

/* @data holds every byte of the connection so far (@len only grows between
 * calls; the bytes already seen do not change). Looks only at the new ones. */
DmpiHeadVerdict dmpi_head_scan (DmpiHeadScan *scan, const char *data, gsize len, gsize *head_len);

/* The status a verdict other than INCOMPLETE or COMPLETE is answered with. */
guint           dmpi_head_verdict_status (DmpiHeadVerdict verdict);

typedef enum {
  DMPI_BODY_LENGTH,     /* *length bytes of body follow the head (0: none) */
  DMPI_BODY_TOO_LARGE,  /* a Content-Length over DMPI_HEAD_MAX_BODY, or a Transfer-Encoding: 413 */
  DMPI_BODY_BAD_LENGTH, /* a Content-Length that is not one decimal number, or two that differ: 400 */
} DmpiBodyVerdict;

/* Where the body of the request ends whose complete head is the @head_len
 * bytes at @head (as dmpi_head_scan found them): from its Content-Length
 * field (no field: no body). Stricter than libsoup's parser on purpose:
 * whatever length this gives, libsoup reads the same (t/fuzz/dashboard.c). */
DmpiBodyVerdict dmpi_head_body (const char *head, gsize head_len, gsize *length);

G_END_DECLS
