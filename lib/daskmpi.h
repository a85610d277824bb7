/* libdaskmpi: a Dask-style distributed task runtime for MPI clusters.
 *
 * Include this header only; it pulls in the rest. */
#pragma once

#define DMPI_INSIDE_DASKMPI_H
#include "dmpi-error.h"
#include "dmpi-task.h"
#include "dmpi-client.h"
#include "dmpi-table.h"
#include "dmpi-frame.h"
#undef DMPI_INSIDE_DASKMPI_H
