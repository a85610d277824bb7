## Parquet and CSV writers, snappy: unit tests, and the read-back by
## independent readers (DuckDB, hyparquet through node).
check_PROGRAMS += t/df/snappy t/df/parquet t/df/parquet-gen
TESTS += t/df/snappy t/df/parquet t/df/parquet-readback.sh
dist_check_SCRIPTS += t/df/parquet-readback.sh
EXTRA_DIST += t/df/parquet-readback.mjs
# Hand-built tables, shared by the writers' tests.
DMPI_DF_TEST_TABLES = t/df/test-tables.c t/df/test-tables.h

t_df_snappy_SOURCES = t/df/snappy.c
t_df_snappy_CFLAGS = $(AM_CFLAGS) -DDMPI_COMPILATION
t_df_snappy_LDADD = lib/df/libdmpi-df.la $(GLIB_LIBS)

t_df_parquet_SOURCES = t/df/parquet.c $(DMPI_DF_TEST_TABLES)
t_df_parquet_CFLAGS = $(AM_CFLAGS) -DDMPI_COMPILATION
t_df_parquet_LDADD = lib/df/libdmpi-df.la $(GLIB_LIBS)

t_df_parquet_gen_SOURCES = t/df/parquet-gen.c $(DMPI_DF_TEST_TABLES)
t_df_parquet_gen_CFLAGS = $(AM_CFLAGS) -DDMPI_COMPILATION
t_df_parquet_gen_LDADD = lib/df/libdmpi-df.la $(GLIB_LIBS)

## The Parquet reader: round trips with the writer, corrupt files
## (parquet-read); files of DuckDB and of parquet-testing compared with
## what DuckDB reads (parquet-duckdb.sh, through parquet-dump).
check_PROGRAMS += t/df/parquet-read t/df/parquet-dump
TESTS += t/df/parquet-read

t_df_parquet_read_SOURCES = t/df/parquet-read.c $(DMPI_DF_TEST_TABLES)
t_df_parquet_read_CFLAGS = $(AM_CFLAGS) -DDMPI_COMPILATION
t_df_parquet_read_LDADD = lib/df/libdmpi-df.la $(GLIB_LIBS)

t_df_parquet_dump_SOURCES = t/df/parquet-dump.c
t_df_parquet_dump_CFLAGS = $(AM_CFLAGS) -DDMPI_COMPILATION
t_df_parquet_dump_LDADD = lib/df/libdmpi-df.la $(GLIB_LIBS) -lm
TESTS += t/df/parquet-duckdb.sh
dist_check_SCRIPTS += t/df/parquet-duckdb.sh
EXTRA_DIST += t/df/parquet-duckdb.mjs t/df/node-modules.sh t/df/parquet-testing
