/* Thrift compact protocol, write side: just what Parquet's footer and page
 * headers need. Fields are written in the order called; structs and lists
 * nest. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

typedef enum {
  DMPI_THRIFT_BOOL_TRUE  = 1,
  DMPI_THRIFT_BOOL_FALSE = 2,
  DMPI_THRIFT_BYTE       = 3,
  DMPI_THRIFT_I16        = 4,
  DMPI_THRIFT_I32        = 5,
  DMPI_THRIFT_I64        = 6,
  DMPI_THRIFT_DOUBLE     = 7,
  DMPI_THRIFT_BINARY     = 8,
  DMPI_THRIFT_LIST       = 9,
  DMPI_THRIFT_SET        = 10,
  DMPI_THRIFT_MAP        = 11,
  DMPI_THRIFT_STRUCT     = 12,
} DmpiThriftType;

#define DMPI_THRIFT_MAX_DEPTH 16

typedef struct {
  GByteArray *out;                          /* appended to; not owned */
  gint16      last_id[DMPI_THRIFT_MAX_DEPTH]; /* last field id per open struct */
  guint       depth;
} DmpiThrift;

/* Starts writing the top-level struct into @out. */
void dmpi_thrift_init (DmpiThrift *t, GByteArray *out);

void dmpi_thrift_i32    (DmpiThrift *t, gint16 id, gint32 v);
void dmpi_thrift_i64    (DmpiThrift *t, gint16 id, gint64 v);
void dmpi_thrift_bool   (DmpiThrift *t, gint16 id, gboolean v);
void dmpi_thrift_binary (DmpiThrift *t, gint16 id, const void *data, gsize len);
void dmpi_thrift_string (DmpiThrift *t, gint16 id, const char *s);

/* A struct-valued field: its fields follow, then dmpi_thrift_struct_end(). */
void dmpi_thrift_struct_begin (DmpiThrift *t, gint16 id);
/* Ends the innermost struct (a field's, a list element's or the top one). */
void dmpi_thrift_struct_end (DmpiThrift *t);

/* A list-valued field of @n elements of @elem_type; the elements follow with
 * the dmpi_thrift_elem_* calls. */
void dmpi_thrift_list_begin (DmpiThrift *t, gint16 id, DmpiThriftType elem_type, guint32 n);
void dmpi_thrift_elem_i32    (DmpiThrift *t, gint32 v);
void dmpi_thrift_elem_string (DmpiThrift *t, const char *s);
/* A struct element: its fields follow, then dmpi_thrift_struct_end(). */
void dmpi_thrift_elem_struct_begin (DmpiThrift *t);

G_END_DECLS
