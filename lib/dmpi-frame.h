#pragma once

#if !defined(DMPI_INSIDE_DASKMPI_H) && !defined(DMPI_COMPILATION)
#error "Only <daskmpi.h> can be included directly."
#endif

#include <glib.h>

#include "dmpi-client.h"
#include "dmpi-table.h"

G_BEGIN_DECLS

/**
 * DmpiFrame:
 *
 * A lazy, partitioned data frame, as in dask.dataframe. A reader gives one;
 * each verb (select, filter, assign, ...) returns a new frame and leaves its
 * argument as it was; nothing runs until a terminal verb (compute, head, len,
 * persist, agg, to_parquet, to_csv), which submits one task graph. Partitions
 * stay on the workers and move worker to worker.
 *
 * A frame knows its schema (dmpi_frame_get_column_name() and the like), so
 * every verb checks its columns and expressions when it is called, before
 * anything runs: an unknown column or a type error is a #GError naming the
 * columns that exist. Frames are reference-counted and immutable; they must
 * be used from the client's thread.
 *
 * A partition's verbs run fused in one task where they can: a filter right
 * after a reader is evaluated while parsing, and a reader reads only the
 * columns that later verbs use.
 */
typedef struct _DmpiFrame DmpiFrame;

/**
 * DmpiCsvOptions:
 *
 * The options of dmpi_read_csv(), Dask's read_csv keywords: a mutable,
 * reference-counted builder. Defaults: 64 MB blocks, ',' and '"', a header
 * line, pandas' NA strings, column types inferred from a 256 kB sample.
 */
typedef struct _DmpiCsvOptions DmpiCsvOptions;

DmpiCsvOptions *dmpi_csv_options_new (void);
DmpiCsvOptions *dmpi_csv_options_ref (DmpiCsvOptions *options);
void            dmpi_csv_options_unref (DmpiCsvOptions *options);
/* Bytes of a plain file per partition (0: 64 MB). A compressed file is one partition. */
void dmpi_csv_options_set_blocksize (DmpiCsvOptions *options, guint64 bytes);
void dmpi_csv_options_set_delimiter (DmpiCsvOptions *options, char delimiter);
/* 0: fields are never quoted. */
void dmpi_csv_options_set_quote     (DmpiCsvOptions *options, char quote);
/* FALSE: no header line; the columns are named "0", "1", ... */
void dmpi_csv_options_set_header    (DmpiCsvOptions *options, gboolean header);
/* The type of a column (pandas' dtype=); the others are inferred. */
void dmpi_csv_options_set_type      (DmpiCsvOptions *options, const char *column, DmpiColType type);
/* A timestamp column and its strptime-style format (pandas' parse_dates with format=);
 * %NULL: ISO 8601, "2015-01-15 19:05:39". */
void dmpi_csv_options_set_timestamp (DmpiCsvOptions *options, const char *column, const char *format);
/* The columns to read, in the order given (pandas' usecols); %NULL: all. */
void dmpi_csv_options_set_columns   (DmpiCsvOptions *options, const char *const *columns);
/* @column may be spelled @alternative in a file's header; it is called @column in the frame. */
void dmpi_csv_options_add_alias     (DmpiCsvOptions *options, const char *column, const char *alternative);
/* Strings read as missing besides the empty field (pandas' na_values); with
 * @keep_default_na FALSE, pandas' default list ("NA", "NaN", "null", ...) is not used. */
void dmpi_csv_options_set_na_values (DmpiCsvOptions *options, const char *const *values, gboolean keep_default_na);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiCsvOptions, dmpi_csv_options_unref)

/* ---- readers ------------------------------------------------------------ */

/* @paths: files, folders (every *.csv, *.csv.gz, .bz2, .xz, .zst, *.zip in
 * it, by name) or glob patterns; %NULL-terminated. Files are read in name
 * order; plain files are split into blocks at line boundaries. The header of
 * the first file gives the schema (with the types from @options or inferred
 * from a sample of it); every file's header is checked when the frame is made. */
DmpiFrame  *dmpi_read_csv     (DmpiClient *client, const char *const *paths, DmpiCsvOptions *options,
                               GError **error);
/* @paths as for dmpi_read_csv() (*.parquet in folders); @columns: %NULL for all.
 * One partition per row group. */
DmpiFrame  *dmpi_read_parquet (DmpiClient *client, const char *const *paths, const char *const *columns,
                               GError **error);

/* ---- the schema --------------------------------------------------------- */

DmpiFrame  *dmpi_frame_ref              (DmpiFrame *frame);
void        dmpi_frame_unref            (DmpiFrame *frame);
DmpiClient *dmpi_frame_get_client       (DmpiFrame *frame);
guint       dmpi_frame_get_n_partitions (DmpiFrame *frame);
guint       dmpi_frame_get_n_columns    (DmpiFrame *frame);
/* -1 when there is no such column. */
gint        dmpi_frame_get_column_index (DmpiFrame *frame, const char *name);
const char *dmpi_frame_get_column_name  (DmpiFrame *frame, guint column);
DmpiColType dmpi_frame_get_column_type  (DmpiFrame *frame, guint column);
/* The file a reader's partition comes from (borrowed; %NULL for a frame
 * that is not a reader's). */
const char *dmpi_frame_get_partition_path (DmpiFrame *frame, guint partition);
/* The column names, %NULL-terminated (transfer full: g_strfreev). */
char      **dmpi_frame_get_columns      (DmpiFrame *frame);

/* ---- verbs: a new frame (transfer full), or %NULL and @error ------------- */

DmpiFrame  *dmpi_frame_select (DmpiFrame *frame, const char *const *columns, GError **error);
DmpiFrame  *dmpi_frame_drop   (DmpiFrame *frame, const char *const *columns, GError **error);
/* @from and @to: %NULL-terminated, of one length. */
DmpiFrame  *dmpi_frame_rename (DmpiFrame *frame, const char *const *from, const char *const *to,
                               GError **error);
/* Keeps the rows where @expression (a bool expression, see dmpi-expressions(7))
 * is true; a missing value drops the row. */
DmpiFrame  *dmpi_frame_filter (DmpiFrame *frame, const char *expression, GError **error);
/* Adds (or replaces, in place) the column @name computed from @expression. */
DmpiFrame  *dmpi_frame_assign (DmpiFrame *frame, const char *name, const char *expression,
                               GError **error);
/* Replaces missing values (and NaN) of @columns (%NULL: every column whose
 * type takes @value) by @value, a literal of the expression language
 * ("-1", "0.5", "'unknown'"). Types change as in pandas: an integer column
 * filled with a float becomes float64. */
DmpiFrame  *dmpi_frame_fillna (DmpiFrame *frame, const char *const *columns, const char *value,
                               GError **error);
DmpiFrame  *dmpi_frame_astype (DmpiFrame *frame, const char *column, DmpiColType type, GError **error);
/* Runs the partition function @function (dmpi_registry_add_partition_func(),
 * built in or from a user module) on every partition, with @args (nullable,
 * floating references are sunk). The output schema is @meta_names and
 * @meta_types (@n_meta columns), or, when @meta_names is %NULL, found by
 * running the function once on an empty partition (a task on a worker, as
 * Dask's meta inference). */
DmpiFrame  *dmpi_frame_map_partitions (DmpiFrame *frame, const char *function, GVariant *args,
                                       const char *const *meta_names, const DmpiColType *meta_types,
                                       guint n_meta, GError **error);
/* Group-by: @keys (%NULL-terminated column names) and @aggs, each
 * "NAME=OP(COLUMN)" or "OP(COLUMN)" with pandas' ops (size, count, sum,
 * mean, min, max, std, var, first, last, nunique; "size()" takes no column).
 * The result is a frame of one partition, combined as a tree over the input's
 * partitions; its rows are sorted by the keys; rows with a missing key are
 * dropped (pandas' dropna=True). */
DmpiFrame  *dmpi_frame_groupby_agg (DmpiFrame *frame, const char *const *keys, const char *const *aggs,
                                    GError **error);
/* The distinct values of @column and their counts ("count", int64), most
 * frequent first, as pandas' value_counts. One partition. */
DmpiFrame  *dmpi_frame_value_counts (DmpiFrame *frame, const char *column, GError **error);

/* ---- terminal verbs: they run the graph, show progress and wait --------- */

/* The partitions computed and kept on the workers: a frame over them. */
DmpiFrame  *dmpi_frame_persist (DmpiFrame *frame, GError **error);
/* The whole frame as one table on the client (transfer full). */
DmpiTable  *dmpi_frame_compute (DmpiFrame *frame, GError **error);
/* The first @n rows, computing only the partitions it needs (transfer full). */
DmpiTable  *dmpi_frame_head    (DmpiFrame *frame, gsize n, GError **error);
/* The number of rows. */
gboolean    dmpi_frame_len     (DmpiFrame *frame, guint64 *n_rows, GError **error);
/* Whole-frame reductions: one row, one column per item of @aggs
 * ("NAME=OP(COLUMN)", as for dmpi_frame_groupby_agg()). */
DmpiTable  *dmpi_frame_agg     (DmpiFrame *frame, const char *const *aggs, GError **error);
/* @op ("count", "sum", "mean", "min", "max", "std") over every column it
 * applies to, as pandas' df.sum() and the like: one row. */
DmpiTable  *dmpi_frame_reduce  (DmpiFrame *frame, const char *op, GError **error);

/**
 * DmpiWriteOptions:
 * @compression: Parquet: "snappy" (%NULL: the default) or "none"
 * @row_group_rows: Parquet rows per row group (0: 1,048,576)
 * @timestamp_nanos: Parquet timestamps in nanoseconds rather than microseconds
 * @progress: the word the progress line shows (%NULL: "partitions")
 *
 * Options of the writers. Zero-initialise it and set what you need.
 */
typedef struct {
  const char *compression;
  gsize       row_group_rows;
  gboolean    timestamp_nanos;
  const char *progress;
} DmpiWriteOptions;

/**
 * DmpiWriteReport:
 *
 * What a writer wrote: one entry per partition, in partition order.
 */
typedef struct _DmpiWriteReport DmpiWriteReport;

/* One file per partition, FOLDER/part.N.parquet (N from 0), each written by
 * the worker that holds the partition, under its final name only when
 * complete. The folder is created if missing; temporaries of an earlier
 * cancelled run are removed first; after success, part.N files of an earlier
 * run with more partitions are removed, so the folder holds exactly this
 * frame. On failure the error names the failed partitions. */
DmpiWriteReport *dmpi_frame_to_parquet (DmpiFrame *frame, const char *folder,
                                        const DmpiWriteOptions *options, GError **error);
/* The same with FOLDER/part.N.csv (a header line; pandas' to_csv text). */
DmpiWriteReport *dmpi_frame_to_csv     (DmpiFrame *frame, const char *folder,
                                        const DmpiWriteOptions *options, GError **error);

DmpiWriteReport *dmpi_write_report_ref           (DmpiWriteReport *report);
void             dmpi_write_report_unref         (DmpiWriteReport *report);
guint            dmpi_write_report_get_n_parts   (DmpiWriteReport *report);
const char      *dmpi_write_report_get_path      (DmpiWriteReport *report, guint part);
guint64          dmpi_write_report_get_rows      (DmpiWriteReport *report, guint part);
/* Rows the partition's reader read, before filters. */
guint64          dmpi_write_report_get_rows_read (DmpiWriteReport *report, guint part);
guint64          dmpi_write_report_get_bytes     (DmpiWriteReport *report, guint part);
int              dmpi_write_report_get_worker    (DmpiWriteReport *report, guint part);
const char      *dmpi_write_report_get_host      (DmpiWriteReport *report, guint part);
double           dmpi_write_report_get_seconds   (DmpiWriteReport *report, guint part);
/* The worker's peak resident memory after writing the partition, bytes. */
guint64          dmpi_write_report_get_peak_rss  (DmpiWriteReport *report, guint part);

/* A table written on the client, as one file, atomically (for small results
 * such as a group-by's). */
gboolean dmpi_table_write_parquet (const DmpiTable *table, const char *path, const DmpiWriteOptions *options,
                                   GError **error);
gboolean dmpi_table_write_csv     (const DmpiTable *table, const char *path, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiFrame, dmpi_frame_unref)
G_DEFINE_AUTOPTR_CLEANUP_FUNC (DmpiWriteReport, dmpi_write_report_unref)

G_END_DECLS
