/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* `ferry transfer --description FILE`: what a pull transfer pod runs. It
 * connects the source provider named by the description (its Secret read
 * from a mounted directory), opens one disk and copies it with the copy
 * engine into a file or block device, reporting JSON lines: progress at an
 * interval, then one result line */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-cli.h"

#define TRANSFER_DEFAULT_INTERVAL 2.0

typedef struct {
	FerryTransferDescription *description;
	FerryPluginRegistry *registry;
	FerryProgress *progress;
	GCancellable *cancellable;
	GPtrArray *secrets; /* of FerrySecret, for redaction; set before any peer is contacted */
	char *target_file;
	char *journal_file;
	char *state_dir;
	/* results, read by the main thread once the worker ended */
	FerryCopy *copy;
	gboolean target_created;
	GMutex lock;
} TransferJob;

typedef struct {
	FILE *out;
	TransferJob *job;
	GMainLoop *loop;
	GError *error;
	gboolean done;
	gint64 started;
} TransferRun;

static void
transfer_job_clear(TransferJob *job)
{
	g_clear_object(&job->description);
	g_clear_object(&job->progress);
	g_clear_object(&job->cancellable);
	g_clear_pointer(&job->secrets, g_ptr_array_unref);
	g_clear_object(&job->copy);
	g_clear_pointer(&job->target_file, g_free);
	g_clear_pointer(&job->journal_file, g_free);
	g_clear_pointer(&job->state_dir, g_free);
	g_mutex_clear(&job->lock);
}

/* -- the JSON lines -- */

static void
transfer_emit(FILE *out, JsonBuilder *builder)
{
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autoptr(JsonGenerator) generator = json_generator_new();
	g_autofree char *text = NULL;

	json_generator_set_root(generator, root);
	text = json_generator_to_data(generator, NULL);
	fprintf(out, "%s\n", text);
	fflush(out);
}

static void
transfer_add_string(JsonBuilder *builder, const char *member, const char *value)
{
	if (value == NULL)
		return;
	json_builder_set_member_name(builder, member);
	json_builder_add_string_value(builder, value);
}

static void
transfer_add_int(JsonBuilder *builder, const char *member, guint64 value)
{
	json_builder_set_member_name(builder, member);
	json_builder_add_int_value(builder, (gint64)value);
}

static JsonBuilder *
transfer_begin_line(TransferJob *job, const char *event)
{
	JsonBuilder *builder = json_builder_new();
	json_builder_begin_object(builder);
	transfer_add_string(builder, "event", event);
	if (job->description != NULL) {
		transfer_add_string(builder, "vm",
				    ferry_transfer_description_get_vm_id(job->description));
		transfer_add_string(builder, "disk",
				    ferry_transfer_description_get_disk_id(job->description));
	}
	return builder;
}

static void
transfer_emit_progress(TransferRun *run)
{
	FerryProgress *progress = run->job->progress;
	g_autoptr(JsonBuilder) builder = transfer_begin_line(run->job, "progress");

	transfer_add_int(builder, "bytesDone", ferry_progress_get_done(progress));
	transfer_add_int(builder, "bytesTotal", ferry_progress_get_total(progress));
	transfer_add_int(builder, "bytesPerSecond", (guint64)ferry_progress_get_rate(progress));
	json_builder_set_member_name(builder, "percent");
	json_builder_add_double_value(builder,
				      (double)(gint64)(ferry_progress_get_fraction(progress) *
						       1000.0) / 10.0);
	json_builder_end_object(builder);
	transfer_emit(run->out, builder);
}

/* the last line of a run that failed: why, and the exit status */
static int
transfer_emit_failure(FILE *out, TransferJob *job, GError *error)
{
	g_autoptr(JsonBuilder) builder = transfer_begin_line(job, "result");
	g_autofree char *message = NULL;
	int status;

	status = ferry_error_to_exit_status(error);
	if (status == 0)
		status = FERRY_EXIT_FAILURE;
	if (error->domain != G_OPTION_ERROR)
		ferry_error_convert(&error);
	/* a peer may have quoted a credential back */
	message = g_strdup(error->message);
	for (guint i = 0; job->secrets != NULL && i < job->secrets->len; i++) {
		char *redacted = ferry_secret_redact(g_ptr_array_index(job->secrets, i), message);
		g_free(message);
		message = redacted;
	}
	transfer_add_string(builder, "result",
			    g_error_matches(error, FERRY_ERROR, FERRY_ERROR_CANCELLED) ? "Canceled"
										    : "Failed");
	transfer_add_string(builder, "reason",
			    error->domain == FERRY_ERROR ? ferry_error_to_string(error->code)
			    : error->domain == G_OPTION_ERROR ? "usage"
							       : "failed");
	transfer_add_string(builder, "error", message);
	transfer_add_int(builder, "exitStatus", (guint64)status);
	json_builder_end_object(builder);
	transfer_emit(out, builder);
	g_error_free(error);
	return status;
}

static void
transfer_emit_success(TransferRun *run)
{
	TransferJob *job = run->job;
	FerryCopy *copy = job->copy;
	g_autoptr(JsonBuilder) builder = transfer_begin_line(job, "result");
	const struct {
		const char *name;
		guint64 value;
	} members[] = {
	    {"bytesTotal", ferry_copy_get_bytes_total(copy)},
	    {"bytesRead", ferry_copy_get_bytes_read(copy)},
	    {"bytesWritten", ferry_copy_get_bytes_written(copy)},
	    {"bytesZeroed", ferry_copy_get_bytes_zeroed(copy)},
	    {"bytesSkipped", ferry_copy_get_bytes_skipped(copy)},
	    {"bytesResumed", ferry_copy_get_bytes_resumed(copy)},
	    {"bytesVerified", ferry_copy_get_bytes_verified(copy)},
	    {"retried", ferry_copy_get_retried(copy)},
	};

	transfer_add_string(builder, "result", "Succeeded");
	transfer_add_string(builder, "target", job->target_file);
	for (guint i = 0; i < G_N_ELEMENTS(members); i++)
		transfer_add_int(builder, members[i].name, members[i].value);
	json_builder_set_member_name(builder, "incremental");
	json_builder_add_boolean_value(builder, ferry_copy_get_extents(copy) != NULL);
	json_builder_set_member_name(builder, "verified");
	json_builder_add_boolean_value(builder, ferry_copy_get_verify(copy));
	transfer_add_int(builder, "milliseconds",
			 (guint64)((g_get_monotonic_time() - run->started) / 1000));
	json_builder_end_object(builder);
	transfer_emit(run->out, builder);
}

/* -- the work, in a thread -- */

/* fails early, before the source is contacted, when the target cannot be
 * written: the file (or device) must open read-write, or its directory
 * must take a new file */
static gboolean
transfer_check_target(const char *path, GError **error)
{
	g_autofree char *parent = g_path_get_dirname(path);
	GStatBuf st;
	int fd;

	if (g_stat(path, &st) == 0) {
		fd = g_open(path, O_RDWR | O_CLOEXEC, 0);
		if (fd < 0) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "target %s cannot be written: %s; mount the volume "
				    "read-write for the pod's user",
				    path, g_strerror(saved_errno));
			return FALSE;
		}
		close(fd);
		return TRUE;
	}
	if (g_stat(parent, &st) != 0 || !S_ISDIR(st.st_mode)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "target %s cannot be created: %s is not a directory; check the "
			    "volume's mount path",
			    path, parent);
		return FALSE;
	}
	if (g_access(parent, W_OK) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "target %s cannot be created in %s: %s; mount the volume "
			    "read-write for the pod's user",
			    path, parent, g_strerror(saved_errno));
		return FALSE;
	}
	return TRUE;
}

/* every key the provider needs for this URL is a file in the directory */
static gboolean
transfer_check_secret(TransferJob *job,
		      FerryProvider *provider,
		      FerrySecret *secret,
		      GError **error)
{
	FerryTransferDescription *description = job->description;
	const char *dir = ferry_transfer_description_get_secret_dir(description);
	const char *type = ferry_transfer_description_get_source_type(description);
	const char *const *keys = ferry_provider_get_secret_keys(
	    provider, ferry_transfer_description_get_source_url(description), NULL);
	g_auto(GStrv) present = NULL;

	if (dir == NULL) {
		if (!ferry_provider_has_capability(provider,
						   FERRY_PROVIDER_CAPABILITY_CREDENTIALS) ||
		    keys == NULL || keys[0] == NULL)
			return TRUE;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "source.secretDir is missing: a %s source needs its Provider's Secret "
			    "mounted as files",
			    type);
		return FALSE;
	}
	present = ferry_secret_list_keys(secret);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		g_autofree char *list = NULL;
		if (ferry_secret_has_key(secret, keys[i]))
			continue;
		list = present[0] != NULL ? g_strjoinv(", ", present) : g_strdup("no key");
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the Secret mounted at %s has no file '%s' (it has %s); a %s source "
			    "needs it: add the key to the Provider's Secret",
			    dir, keys[i], list, type);
		return FALSE;
	}
	return TRUE;
}

static FerryProvider *
transfer_connect(TransferJob *job, GError **error)
{
	FerryTransferDescription *description = job->description;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_auto(GStrv) hosts = ferry_transfer_description_list_source_hosts(description);

	config = ferry_transfer_description_dup_provider_config(description, error);
	if (config == NULL)
		return NULL;
	/* where a provider keeps its work files (an OVA provider's unpacked
	 * disks): --state or FERRY_STATE_DIR when given, else its default */
	if (job->state_dir != NULL)
		ferry_provider_config_set_state_dir(config, job->state_dir);
	g_mutex_lock(&job->lock);
	job->secrets = g_ptr_array_new_with_free_func(g_object_unref);
	if (ferry_provider_config_get_secret(config) != NULL)
		g_ptr_array_add(job->secrets, g_object_ref(ferry_provider_config_get_secret(config)));
	for (guint i = 0; hosts[i] != NULL; i++) {
		FerrySecret *secret = ferry_provider_config_get_host_secret(config, hosts[i]);
		if (secret != NULL)
			g_ptr_array_add(job->secrets, g_object_ref(secret));
	}
	g_mutex_unlock(&job->lock);
	provider = ferry_plugin_registry_create_provider(
	    job->registry, ferry_transfer_description_get_source_type(description), error);
	if (provider == NULL)
		return NULL;
	if (!ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_SOURCE)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "a %s provider is not a migration source",
			    ferry_transfer_description_get_source_type(description));
		return NULL;
	}
	if (!transfer_check_secret(job, provider, ferry_provider_config_get_secret(config), error))
		return NULL;
	/* the provider's errors name the Provider already */
	if (!ferry_provider_connect(provider, config, job->cancellable, error)) {
		g_prefix_error(error, "source: ");
		return NULL;
	}
	return g_steal_pointer(&provider);
}

static FerryExtentList *
transfer_changed_areas(TransferJob *job, FerryProvider *provider, GError **error)
{
	FerryTransferDescription *description = job->description;
	const char *change_id = ferry_transfer_description_get_change_id(description);
	FerryExtentList *extents = ferry_transfer_description_get_extents(description);

	if (change_id == NULL)
		return extents != NULL ? ferry_extent_list_ref(extents) : NULL;
	if (!ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "a %s source cannot list changed areas: leave changeId out and "
			    "copy the whole disk",
			    ferry_transfer_description_get_source_type(description));
		return NULL;
	}
	return ferry_provider_get_changed_areas(
	    provider, ferry_transfer_description_get_vm_id(description),
	    ferry_transfer_description_get_disk_id(description),
	    ferry_transfer_description_get_snapshot_id(description), change_id, job->cancellable,
	    error);
}

static gboolean
transfer_sync_path(const char *path, int flags, GError **error)
{
	int fd = g_open(path, flags | O_CLOEXEC, 0);
	int saved_errno;

	if (fd >= 0 && fsync(fd) == 0) {
		close(fd);
		return TRUE;
	}
	saved_errno = errno;
	if (fd >= 0)
		close(fd);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot sync %s: %s", path,
		    g_strerror(saved_errno));
	return FALSE;
}

/* the copy flushed what it wrote; a disk of zeroes alone wrote nothing, and a
 * new file's size and directory entry need their own sync */
static gboolean
transfer_sync_target(const char *file, gboolean created, GError **error)
{
	g_autofree char *parent = g_path_get_dirname(file);
	if (!transfer_sync_path(file, O_RDONLY, error))
		return FALSE;
	return !created || transfer_sync_path(parent, O_RDONLY | O_DIRECTORY, error);
}

static gboolean
transfer_copy(TransferJob *job, FerryDiskEndpoint *source, FerryExtentList *extents,
	      GError **error)
{
	FerryTransferDescription *description = job->description;
	g_autoptr(FerryDiskEndpoint) target = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	gboolean existed = g_file_test(job->target_file, G_FILE_TEST_EXISTS);

	target = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, job->target_file);
	ferry_disk_endpoint_set_zeroed(target,
				       ferry_transfer_description_get_target_is_zero(description));
	copy = ferry_copy_new(source, target);
	ferry_copy_set_journal(copy, job->journal_file);
	ferry_copy_set_verify(copy, ferry_transfer_description_get_verify(description));
	ferry_copy_set_bandwidth(copy, ferry_transfer_description_get_bandwidth(description));
	ferry_copy_set_extents(copy, extents);
	g_mutex_lock(&job->lock);
	job->copy = g_object_ref(copy);
	g_mutex_unlock(&job->lock);
	if (!ferry_copy_run(copy, job->progress, job->cancellable, error))
		return FALSE;
	if (!transfer_sync_target(job->target_file, !existed, error))
		return FALSE;
	/* the target is complete and durable: a restart has nothing to resume */
	if (job->journal_file != NULL && g_unlink(job->journal_file) != 0 && errno != ENOENT)
		g_warning("cannot remove copy journal %s: %s", job->journal_file,
			  g_strerror(errno));
	return TRUE;
}

static gboolean
transfer_run(TransferJob *job, GError **error)
{
	FerryTransferDescription *description = job->description;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryExtentList) extents = NULL;
	g_autoptr(FerryDiskEndpoint) source = NULL;
	g_autoptr(GError) close_error = NULL;
	gboolean ok;

	if (!transfer_check_target(job->target_file, error))
		return FALSE;
	provider = transfer_connect(job, error);
	if (provider == NULL)
		return FALSE;
	extents = transfer_changed_areas(job, provider, error);
	if (extents == NULL && ferry_transfer_description_get_change_id(description) != NULL)
		return FALSE;
	source = ferry_provider_open_disk(provider, ferry_transfer_description_get_vm_id(description),
					  ferry_transfer_description_get_disk_id(description),
					  ferry_transfer_description_get_snapshot_id(description),
					  job->cancellable, error);
	if (source == NULL)
		return FALSE;
	ok = transfer_copy(job, source, extents, error);
	if (!ferry_disk_endpoint_close(source, &close_error)) {
		if (ok) {
			g_propagate_error(error, g_steal_pointer(&close_error));
			return FALSE;
		}
		g_warning("%s", close_error->message);
	}
	return ok;
}

static void
transfer_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
	TransferJob *job = task_data;
	GError *error = NULL;

	if (!transfer_run(job, &error)) {
		g_prefix_error(&error, "VM %s disk %s: ",
			       ferry_transfer_description_get_vm_id(job->description),
			       ferry_transfer_description_get_disk_id(job->description));
		g_task_return_error(task, error);
		return;
	}
	g_task_return_boolean(task, TRUE);
}

/* -- the main thread: signals, progress lines -- */

static gboolean
transfer_tick_cb(gpointer user_data)
{
	TransferRun *run = user_data;
	if (!run->done && ferry_progress_get_total(run->job->progress) > 0)
		transfer_emit_progress(run);
	return G_SOURCE_CONTINUE;
}

static gboolean
transfer_signal_cb(gpointer user_data)
{
	TransferRun *run = user_data;
	g_cancellable_cancel(run->job->cancellable);
	return G_SOURCE_CONTINUE;
}

static void
transfer_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	TransferRun *run = user_data;
	g_task_propagate_boolean(G_TASK(result), &run->error);
	run->done = TRUE;
	g_main_loop_quit(run->loop);
}

static int
transfer_main(FerryCli *cli, FILE *out, TransferJob *job, double interval)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GTask) task = NULL;
	TransferRun run = {.out = out, .job = job, .loop = loop};
	guint tick_id, sigint_id, sigterm_id;
	GError *error = NULL;

	job->registry = ferry_cli_get_registry(cli, &error);
	if (job->registry == NULL)
		return transfer_emit_failure(out, job, error);
	if (cli->state_dir != NULL || g_getenv("FERRY_STATE_DIR") != NULL) {
		const char *state_dir = ferry_cli_get_state_dir(cli, &error);
		if (state_dir == NULL)
			return transfer_emit_failure(out, job, error);
		job->state_dir = g_strdup(state_dir);
	}
	job->target_file = ferry_transfer_description_dup_target_file(job->description);
	job->journal_file = ferry_transfer_description_dup_journal_file(job->description);
	job->progress = ferry_progress_new();
	job->cancellable = g_cancellable_new();
	run.started = g_get_monotonic_time();

	tick_id = g_timeout_add((guint)(interval * 1000), transfer_tick_cb, &run);
	sigint_id = g_unix_signal_add(SIGINT, transfer_signal_cb, &run);
	sigterm_id = g_unix_signal_add(SIGTERM, transfer_signal_cb, &run);
	task = g_task_new(NULL, NULL, transfer_done_cb, &run);
	g_task_set_task_data(task, job, NULL);
	g_task_run_in_thread(task, transfer_thread);
	g_main_loop_run(loop);
	g_source_remove(tick_id);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);

	if (run.error != NULL)
		return transfer_emit_failure(out, job, g_steal_pointer(&run.error));
	transfer_emit_progress(&run);
	transfer_emit_success(&run);
	return FERRY_EXIT_OK;
}

int
ferry_cmd_transfer(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *description_path = NULL;
	int progress_fd = -1;
	double interval = TRANSFER_DEFAULT_INTERVAL;
	TransferJob job = {0};
	GError *error = NULL;
	FILE *out = stdout;
	int status;
	const GOptionEntry entries[] = {
	    {"description", 0, 0, G_OPTION_ARG_FILENAME, &description_path,
	     "The transfer to do, as JSON (source Provider, VM, disk, target, journal)", "FILE"},
	    {"progress-fd", 0, 0, G_OPTION_ARG_INT, &progress_fd,
	     "Write the JSON lines to this file descriptor instead of standard output", "N"},
	    {"progress-interval", 0, 0, G_OPTION_ARG_DOUBLE, &interval,
	     "Seconds between progress lines (default 2)", "SECONDS"},
	    {NULL},
	};

	g_mutex_init(&job.lock);
	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL,
			     "Copy one disk of a source VM into a file, a block device or a "
			     "volume directory (its disk.img), as a pull transfer pod does: "
			     "the description names the source Provider (credentials from its "
			     "Secret mounted as files), the VM, the disk, optionally a snapshot "
			     "and changed areas, the target and the copy journal that lets a "
			     "restarted transfer resume. Progress and the result are JSON lines "
			     "on standard output (or --progress-fd); the exit status is 0 only "
			     "when the target holds the disk durably.",
			     &error)) {
		status = transfer_emit_failure(out, &job, error);
		transfer_job_clear(&job);
		return status;
	}
	out = ferry_cli_open_progress_output(progress_fd, &error);
	if (out == NULL) {
		status = transfer_emit_failure(stdout, &job, error);
		transfer_job_clear(&job);
		return status;
	}
	if (argc != 1)
		error = g_error_new(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
				    "unexpected argument '%s': everything is in the description",
				    argv[1]);
	else if (description_path == NULL)
		error = g_error_new_literal(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
					    "give --description FILE");
	else if (interval < 0.05 || interval > 3600)
		error = g_error_new_literal(G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
					    "--progress-interval: give 0.05 to 3600 seconds");
	if (error == NULL)
		job.description = ferry_transfer_description_new_from_file(description_path, &error);
	if (error != NULL)
		status = transfer_emit_failure(out, &job, error);
	else
		status = transfer_main(cli, out, &job, interval);
	if (out != stdout)
		fclose(out);
	transfer_job_clear(&job);
	return status;
}
