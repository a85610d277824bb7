## Section 3 pages of the C API: an overview (libdaskmpi.3), one page per
## group of functions, and a one-line .so page for every other function so
## that `man dmpi_client_map` finds its group. t/man3.sh checks them.
dist_man_MANS += \
	man/libdaskmpi.3 \
	man/dmpi_client_new.3 \
	man/dmpi_client_submit.3 \
	man/dmpi_client_gather.3 \
	man/dmpi_future.3 \
	man/dmpi_task.3 \
	man/dmpi_client_wait_full.3 \
	man/dmpi_client_submit_full.3 \
	man/dmpi_future_get_worker.3 \
	man/dmpi_as_completed_new.3 \
	man/dmpi_as_completed_next.3 \
	man/dmpi_as_completed_free.3 \
	man/dmpi_client_cancel.3 \
	man/dmpi_client_progress.3 \
	man/dmpi_client_fire_and_forget.3 \
	man/dmpi_client_ref.3 \
	man/dmpi_client_unref.3 \
	man/dmpi_client_wait_for_workers.3 \
	man/dmpi_client_get_n_workers.3 \
	man/dmpi_client_get_n_threads.3 \
	man/dmpi_client_get_memory_limit.3 \
	man/dmpi_client_get_dashboard_address.3 \
	man/dmpi_client_shutdown.3 \
	man/dmpi_client_submit_with_key.3 \
	man/dmpi_client_map.3 \
	man/dmpi_client_flush.3 \
	man/dmpi_client_wait.3 \
	man/dmpi_client_gather_one.3 \
	man/dmpi_client_scatter.3 \
	man/dmpi_client_scatter_full.3 \
	man/dmpi_future_ref.3 \
	man/dmpi_future_unref.3 \
	man/dmpi_future_get_key.3 \
	man/dmpi_future_get_status.3 \
	man/dmpi_future_get_error.3 \
	man/dmpi_future_get_nbytes.3 \
	man/dmpi_task_get_key.3 \
	man/dmpi_task_get_function.3 \
	man/dmpi_task_get_args.3 \
	man/dmpi_task_get_n_deps.3 \
	man/dmpi_task_get_dep.3 \
	man/dmpi_task_set_result.3 \
	man/dmpi_task_check_args.3 \
	man/dmpi_registry_add.3 \
	man/dmpi_client_load_module.3 \
	man/dmpi_error_quark.3

TESTS += t/man3.sh
EXTRA_DIST += t/man3.sh
