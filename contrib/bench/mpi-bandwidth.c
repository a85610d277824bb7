/* mpi-bandwidth: raw MPI bandwidth between two ranks, the yardstick of
 * contrib/bench/transfer.
 *
 *   mpirun -n 2 mpi-bandwidth [SIZE [COUNT]]
 *
 * Rank 0 sends COUNT messages of SIZE bytes (default 1000 of 10,000,000) to
 * rank 1, which answers each with one byte, as a task result moving to its
 * consumer would be followed by a small reply. Prints `bytes=`, `seconds=`
 * and `gbps=` (10^9 bytes per second) on rank 0. A standalone MPI program,
 * not part of the library.
 */
#include <mpi.h>

#include <stdio.h>
#include <stdlib.h>

int
main (int argc, char **argv)
{
  long size = argc > 1 ? atol (argv[1]) : 10000000L;
  long count = argc > 2 ? atol (argv[2]) : 1000L;
  int rank, n_ranks;
  char ack = 0;
  char *buf;
  double t0, t1;

  MPI_Init (&argc, &argv);
  MPI_Comm_rank (MPI_COMM_WORLD, &rank);
  MPI_Comm_size (MPI_COMM_WORLD, &n_ranks);
  if (n_ranks != 2 || size < 1 || size > 2000000000L || count < 1)
    {
      if (rank == 0)
        fprintf (stderr, "mpi-bandwidth: needs exactly 2 ranks (got %d), 1 <= SIZE <= 2e9, COUNT >= 1\n", n_ranks);
      MPI_Finalize ();
      return 2;
    }
  buf = malloc ((size_t) size);
  if (buf == NULL)
    {
      fprintf (stderr, "mpi-bandwidth: rank %d cannot allocate %ld bytes\n", rank, size);
      MPI_Abort (MPI_COMM_WORLD, 1);
    }
  for (long i = 0; i < size; i++)
    buf[i] = (char) (i * 131 + 7);

  /* One untimed round trip, so that connection setup is not measured. */
  for (int warm = 0; warm < 2; warm++)
    {
      MPI_Barrier (MPI_COMM_WORLD);
      t0 = MPI_Wtime ();
      for (long i = 0; i < (warm ? count : 1); i++)
        {
          if (rank == 0)
            {
              MPI_Send (buf, (int) size, MPI_BYTE, 1, 0, MPI_COMM_WORLD);
              MPI_Recv (&ack, 1, MPI_BYTE, 1, 1, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
            }
          else
            {
              MPI_Recv (buf, (int) size, MPI_BYTE, 0, 0, MPI_COMM_WORLD, MPI_STATUS_IGNORE);
              MPI_Send (&ack, 1, MPI_BYTE, 0, 1, MPI_COMM_WORLD);
            }
        }
      t1 = MPI_Wtime ();
    }

  if (rank == 0)
    {
      double bytes = (double) size * (double) count;
      printf ("bytes=%.0f\nseconds=%.3f\ngbps=%.3f\n", bytes, t1 - t0, bytes / (t1 - t0) / 1e9);
    }
  free (buf);
  MPI_Finalize ();
  return 0;
}
