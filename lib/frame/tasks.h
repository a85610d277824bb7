/* The frame layer's task functions, on the workers: they run partition
 * plans (lib/df/plan.h) and combine group-by states. Registered by the
 * worker at start, under the names of the verbs that submit them, so that
 * the dashboard shows to_parquet, compute, agg ... */
#pragma once

#include "registry.h"

G_BEGIN_DECLS

void dmpi_frame_tasks_register (DmpiRegistry *registry);

G_END_DECLS
