## t/transport: the MPI transport, as 3 ranks under mpirun (t/transport.sh).
check_PROGRAMS += t/transport
t_transport_SOURCES = t/transport.c
t_transport_CFLAGS = $(DMPI_TEST_CFLAGS)
t_transport_LDADD = $(DMPI_TEST_LIBS)
TESTS += t/transport.sh
dist_check_SCRIPTS += t/transport.sh
