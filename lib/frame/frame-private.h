/* Frames on the client: what a frame holds, and how a partition's plan is
 * made from it (frame.c); running graphs is in run.c. */
#pragma once

#include "dmpi-client.h"
#include "dmpi-frame.h"

G_BEGIN_DECLS

typedef enum {
  SOURCE_CSV,       /* blocks of CSV files, read by the partition's task */
  SOURCE_PARQUET,   /* row groups of Parquet files */
  SOURCE_FUTURES,   /* partitions held on workers (persist, group-by results) */
  SOURCE_GROUPBY,   /* a group-by over another frame: computed (once) when first needed */
} SourceKind;

/* One input column of a reader: found in a header by name (or alt), given
 * out_name in the frame. */
typedef struct {
  char        *name, *alt, *out_name, *format;
  DmpiColType  type;
} SourceColumn;

typedef struct {
  char    *path;
  guint64  offset, length;   /* CSV blocks */
  guint    row_group;        /* Parquet */
} SourcePart;

typedef struct _Source Source;
struct _Source {
  gint        ref;
  SourceKind  kind;
  DmpiClient *client;
  GArray     *parts;         /* SourcePart */
  GArray     *columns;       /* SourceColumn: what the reader can give */
  /* CSV format */
  char        delimiter, quote;
  gboolean    header, keep_default_na;
  char      **na_values;
  /* futures: one per partition */
  GPtrArray  *futures;
  /* group-by */
  DmpiFrame  *parent;
  char      **keys, **aggs;
};

struct _DmpiFrame {
  gint        ref;
  Source     *source;
  GPtrArray  *ops;      /* GVariant a{sv}, in order */
  GPtrArray  *names;    /* the schema after the ops: char* */
  GArray     *types;    /* DmpiColType */
};

/* The plan of partition @part with @sink (a{sv}, floating or not), for a
 * task whose dependency 0, if any, is *dep (set to the partition's future
 * when the source holds futures). */
GVariant   *dmpi_frame_partition_plan (DmpiFrame *frame, guint part, GVariant *sink, guint64 max_rows,
                                       DmpiFuture **dep, GError **error);
/* Computes a group-by source's tree (once); afterwards the source holds
 * the result's future. */
gboolean    dmpi_frame_realize (DmpiFrame *frame, const char *progress, GError **error);
/* Whether every op keeps the number of rows (select, rename, assign, ...). */
gboolean    dmpi_frame_keeps_rows (DmpiFrame *frame);
/* A key for a task of this verb and partition, unique in the session. */
char       *dmpi_frame_task_key (const char *verb, guint64 token, guint part);
guint64     dmpi_frame_new_token (void);
/* The frame's columns as "a, b, c", for messages. */
char       *dmpi_frame_column_list (DmpiFrame *frame);
/* Where a reader's partition comes from ("FILE, bytes OFFSET+LENGTH" or
 * "FILE, row group N"), for messages; NULL for other frames. */
char       *dmpi_frame_describe_partition (DmpiFrame *frame, guint part);
/* A frame of @n futures (one partition each) with @frame's schema and no ops. */
DmpiFrame  *dmpi_frame_new_from_futures (DmpiFrame *frame, GPtrArray *futures);

G_END_DECLS
