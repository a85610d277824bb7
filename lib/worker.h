#pragma once
/* The worker role (lib/worker.c): a GThreadPool of compute threads around a
 * store of results; dependencies are fetched from the peers that hold them.
 * Entry point dmpi_worker_run() in role.h. */
