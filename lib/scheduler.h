#pragma once
/* The scheduler's loop (lib/scheduler.c): messages in, core events; core
 * actions out, messages. Entry point dmpi_scheduler_run() in role.h. */
