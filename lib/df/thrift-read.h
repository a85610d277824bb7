/* Thrift compact protocol, read side: a bounds-checked cursor over a byte
 * buffer, for Parquet's footer and page headers. The first problem is kept
 * in @error (a static sentence) and every later call returns zeros, so a
 * parser can read a whole struct and check once. */
#pragma once

#include <glib.h>

#include "df/thrift.h"

G_BEGIN_DECLS

typedef struct {
  const guint8 *start, *p, *end;
  const char   *error;     /* NULL while all is well */
  gboolean      truncated; /* the error: the data ends too soon */
  guint         depth;     /* structs open, for the nesting limit */
} DmpiThriftReader;

void     dmpi_thrift_reader_init (DmpiThriftReader *r, const guint8 *data, gsize len);

/* Enters a struct (the top one, a field's or a list element's). */
gboolean dmpi_thrift_struct_enter (DmpiThriftReader *r);
/* The next field of the struct entered last: FALSE at its end (the struct is
 * then left) or on error. @last_id is the struct's previous field id, 0 at
 * first. */
gboolean dmpi_thrift_next_field (DmpiThriftReader *r, gint16 *last_id, gint16 *id,
                                 DmpiThriftType *type);

/* Values of a field of type @type; a value of another type is skipped and
 * gives 0 (or FALSE/NULL), as a reader of a newer schema would. */
gint64   dmpi_thrift_read_int    (DmpiThriftReader *r, DmpiThriftType type);
gboolean dmpi_thrift_read_bool   (DmpiThriftReader *r, DmpiThriftType type);
/* A binary or string: points into the buffer, @len bytes. */
const guint8 *dmpi_thrift_read_binary (DmpiThriftReader *r, DmpiThriftType type, gsize *len);
/* A list header: its element type and count (the count is checked against
 * the bytes left, each element taking at least one). FALSE if @type is not a
 * list (the field is skipped) or on error. */
gboolean dmpi_thrift_read_list   (DmpiThriftReader *r, DmpiThriftType type,
                                  DmpiThriftType *elem_type, guint32 *n);
/* A list element of a scalar type (an integer, bool or binary). */
gint64   dmpi_thrift_read_elem_int (DmpiThriftReader *r, DmpiThriftType elem_type);
const guint8 *dmpi_thrift_read_elem_binary (DmpiThriftReader *r, DmpiThriftType elem_type,
                                            gsize *len);

/* Skips a value of @type (a field's or an element's). */
void     dmpi_thrift_skip (DmpiThriftReader *r, DmpiThriftType type);

G_END_DECLS
