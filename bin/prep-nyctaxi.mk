## dask-mpi-prep-nyctaxi: the reference NYC taxi job, a client program
## (options here, the job in lib/prep-nyctaxi.c), and its man page.
bin_PROGRAMS += bin/dask-mpi-prep-nyctaxi
bin_dask_mpi_prep_nyctaxi_SOURCES = bin/dask-mpi-prep-nyctaxi.c
bin_dask_mpi_prep_nyctaxi_CPPFLAGS = $(AM_CPPFLAGS) -DDMPI_COMPILATION
bin_dask_mpi_prep_nyctaxi_LDADD = lib/libdaskmpi.la $(GLIB_LIBS)
dist_man_MANS += man/dask-mpi-prep-nyctaxi.1
## Its benchmark against Python Dask and DuckDB (run by hand, see
## contrib/bench/README.md).
EXTRA_DIST += \
	contrib/bench/nyctaxi \
	contrib/bench/nyctaxi-dask.py \
	contrib/bench/nyctaxi-duckdb.mjs \
	contrib/bench/nyctaxi-duckdb.sql
