/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* `ferry convert --description FILE`: what a conversion pod runs. It loads
 * the plugins, takes the first transfer method that converts guests
 * (virt-v2v) and converts the guest in place on the VM's disks, which the
 * pod mounts from the VM's PVCs (a file disk.img on a Filesystem volume, or
 * a block device). Reports JSON lines: progress at an interval, then one
 * result line with what the conversion found, under the names the engine
 * stores in the VM status.
 *
 * The description:
 *
 *   {
 *     "vm": { the VM description the engine built: name, firmware, disks… },
 *     "disks": [ {"path": "/var/lib/ferry/disks/0", "format": "raw"}, … ],
 *     "luksKeyDir": "/var/run/secrets/ferry/luks",   (optional)
 *     "workDir": "/var/lib/ferry/work"
 *   }
 *
 * A disk path that is a directory means its disk.img (a Filesystem PVC). */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-cli.h"

#define CONVERT_DEFAULT_INTERVAL 2.0

/* what the engine copies from a conversion's result into the VM status
 * (core/ferry-engine-phases.c), and the warnings a converter may add */
static const char *const convert_result_fields[] = {"operatingSystem", "firmware",
						    "detectedBootDisk", "warnings"};

typedef struct {
	JsonObject *vm_spec;   /* with workDir and luksKeyDir set */
	GPtrArray *disks;      /* of FerryDiskEndpoint */
	char *name;            /* the VM's name, for the lines */
	FerrySecret *keys;     /* the LUKS keys, for redaction */
	FerryPluginRegistry *registry;
	FerryTransferMethod *converter;
	FerryProgress *progress;
	GCancellable *cancellable;
	JsonObject *result;
	char *result_file; /* nullable: the result line also goes here */
} ConvertJob;

typedef struct {
	FILE *out;
	ConvertJob *job;
	GMainLoop *loop;
	GError *error;
	gboolean done;
	gint64 started;
} ConvertRun;

static void
convert_job_clear(ConvertJob *job)
{
	g_clear_pointer(&job->vm_spec, json_object_unref);
	g_clear_pointer(&job->disks, g_ptr_array_unref);
	g_clear_pointer(&job->name, g_free);
	g_clear_object(&job->keys);
	g_clear_object(&job->converter);
	g_clear_object(&job->progress);
	g_clear_object(&job->cancellable);
	g_clear_pointer(&job->result, json_object_unref);
	g_clear_pointer(&job->result_file, g_free);
}

/* -- the JSON lines -- */

static char *
convert_emit(FILE *out, JsonBuilder *builder)
{
	g_autoptr(JsonNode) root = json_builder_get_root(builder);
	g_autoptr(JsonGenerator) generator = json_generator_new();
	char *text;

	json_generator_set_root(generator, root);
	text = json_generator_to_data(generator, NULL);
	fprintf(out, "%s\n", text);
	fflush(out);
	return text;
}

/* the result line, also in --result-file (a pod's termination message) */
static void
convert_emit_result(FILE *out, ConvertJob *job, JsonBuilder *builder)
{
	g_autofree char *text = convert_emit(out, builder);
	FILE *file;

	if (job->result_file == NULL)
		return;
	/* written in place: a termination-log is a file mounted by itself */
	file = fopen(job->result_file, "w");
	if (file == NULL || fprintf(file, "%s\n", text) < 0 || fclose(file) != 0) {
		int saved_errno = errno;
		g_printerr("ferry convert: --result-file %s: %s\n", job->result_file,
			   g_strerror(saved_errno));
	}
}

static void
convert_add_string(JsonBuilder *builder, const char *member, const char *value)
{
	if (value == NULL)
		return;
	json_builder_set_member_name(builder, member);
	json_builder_add_string_value(builder, value);
}

static void
convert_add_int(JsonBuilder *builder, const char *member, gint64 value)
{
	json_builder_set_member_name(builder, member);
	json_builder_add_int_value(builder, value);
}

static JsonBuilder *
convert_begin_line(ConvertJob *job, const char *event)
{
	JsonBuilder *builder = json_builder_new();
	json_builder_begin_object(builder);
	convert_add_string(builder, "event", event);
	convert_add_string(builder, "vm", job->name);
	return builder;
}

static char *
convert_redact(ConvertJob *job, const char *text)
{
	return job->keys != NULL ? ferry_secret_redact(job->keys, text) : g_strdup(text);
}

static void
convert_emit_progress(ConvertRun *run)
{
	FerryProgress *progress = run->job->progress;
	g_autoptr(JsonBuilder) builder = convert_begin_line(run->job, "progress");
	g_autofree char *status = ferry_progress_dup_status(progress);
	g_autofree char *stage = status != NULL ? convert_redact(run->job, status) : NULL;

	convert_add_string(builder, "stage", stage);
	convert_add_int(builder, "done", (gint64)ferry_progress_get_done(progress));
	convert_add_int(builder, "total", (gint64)ferry_progress_get_total(progress));
	json_builder_set_member_name(builder, "percent");
	json_builder_add_double_value(builder,
				      (double)(gint64)(ferry_progress_get_fraction(progress) *
						       1000.0) / 10.0);
	json_builder_end_object(builder);
	g_free(convert_emit(run->out, builder));
}

/* the last line of a run that failed: why, and the exit status */
static int
convert_emit_failure(FILE *out, ConvertJob *job, GError *error)
{
	g_autoptr(JsonBuilder) builder = convert_begin_line(job, "result");
	g_autofree char *message = NULL;
	int status;

	status = ferry_error_to_exit_status(error);
	if (status == 0)
		status = FERRY_EXIT_FAILURE;
	if (error->domain != G_OPTION_ERROR)
		ferry_error_convert(&error);
	/* a converter may have quoted a passphrase back */
	message = convert_redact(job, error->message);
	convert_add_string(builder, "result",
			   g_error_matches(error, FERRY_ERROR, FERRY_ERROR_CANCELLED) ? "Canceled"
										   : "Failed");
	convert_add_string(builder, "reason",
			   error->domain == FERRY_ERROR ? ferry_error_to_string(error->code)
			   : error->domain == G_OPTION_ERROR ? "usage"
							      : "failed");
	convert_add_string(builder, "error", message);
	convert_add_int(builder, "exitStatus", status);
	json_builder_end_object(builder);
	convert_emit_result(out, job, builder);
	g_error_free(error);
	return status;
}

static void
convert_emit_success(ConvertRun *run)
{
	ConvertJob *job = run->job;
	g_autoptr(JsonBuilder) builder = convert_begin_line(job, "result");

	convert_add_string(builder, "result", "Succeeded");
	convert_add_string(builder, "method", ferry_transfer_method_get_name(job->converter));
	for (guint i = 0; i < G_N_ELEMENTS(convert_result_fields); i++) {
		JsonNode *value = json_object_get_member(job->result, convert_result_fields[i]);
		if (value == NULL)
			continue;
		json_builder_set_member_name(builder, convert_result_fields[i]);
		json_builder_add_value(builder, json_node_copy(value));
	}
	convert_add_int(builder, "disks", job->disks->len);
	convert_add_int(builder, "milliseconds", (g_get_monotonic_time() - run->started) / 1000);
	json_builder_end_object(builder);
	convert_emit_result(run->out, job, builder);
}

/* -- the description -- */

static gboolean
convert_fail(GError **error, const char *path, const char *format, ...) G_GNUC_PRINTF(3, 4);

static gboolean
convert_fail(GError **error, const char *path, const char *format, ...)
{
	g_autofree char *message = NULL;
	va_list args;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "description %s: %s", path,
		    message);
	return FALSE;
}

static const char *
convert_member_string(JsonObject *object, const char *member)
{
	JsonNode *node = json_object_get_member(object, member);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node) ||
	    json_node_get_value_type(node) != G_TYPE_STRING)
		return NULL;
	return json_node_get_string(node);
}

/* one disk: an absolute path to a file, a block device, or a directory
 * holding disk.img, that this user can read and write */
static FerryDiskEndpoint *
convert_read_disk(const char *path, JsonNode *node, guint index, GError **error)
{
	JsonObject *disk = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	const char *where = disk != NULL ? convert_member_string(disk, "path") : NULL;
	const char *format = disk != NULL ? convert_member_string(disk, "format") : "raw";
	g_autofree char *file = NULL;
	FerryDiskEndpoint *endpoint;
	GStatBuf st;

	if (where == NULL || !g_path_is_absolute(where)) {
		convert_fail(error, path, "disks[%u] needs \"path\": an absolute path in the pod", index);
		return NULL;
	}
	if (format == NULL)
		format = "raw";
	if (g_strcmp0(format, "raw") != 0 && g_strcmp0(format, "qcow2") != 0) {
		convert_fail(error, path, "disks[%u]: format '%s' is not raw or qcow2", index,
			     format);
		return NULL;
	}
	if (g_stat(where, &st) == 0 && S_ISDIR(st.st_mode))
		file = g_build_filename(where, "disk.img", NULL);
	else
		file = g_strdup(where);
	if (g_stat(file, &st) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR,
			    saved_errno == ENOENT ? FERRY_ERROR_NOT_FOUND : FERRY_ERROR_IO,
			    "disk %u: %s: %s; mount the VM's PVC there (a Filesystem volume holds "
			    "disk.img, a Block volume is a device)",
			    index, file, g_strerror(saved_errno));
		return NULL;
	}
	if (!S_ISREG(st.st_mode) && !S_ISBLK(st.st_mode)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "disk %u: %s is neither a file nor a block device", index, file);
		return NULL;
	}
	if (g_access(file, R_OK | W_OK) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "disk %u: %s cannot be written: %s; mount the volume read-write for "
			    "the pod's user",
			    index, file, g_strerror(saved_errno));
		return NULL;
	}
	endpoint = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, file);
	ferry_disk_endpoint_set_format(endpoint, format);
	return endpoint;
}

static gboolean
convert_read_description(ConvertJob *job, const char *path, GError **error)
{
	static const char *const known[] = {"vm", "disks", "luksKeyDir", "workDir", NULL};
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GList) members = NULL;
	g_autoptr(GError) local_error = NULL;
	JsonObject *root, *vm;
	JsonArray *disks;
	const char *work_dir, *key_dir;
	JsonNode *node;

	if (!json_parser_load_from_file(parser, path, &local_error)) {
		g_set_error(error, FERRY_ERROR,
			    g_error_matches(local_error, G_FILE_ERROR, G_FILE_ERROR_NOENT)
				? FERRY_ERROR_NOT_FOUND
				: FERRY_ERROR_INVALID_DATA,
			    "description %s: %s", path, local_error->message);
		return FALSE;
	}
	node = json_parser_get_root(parser);
	if (node == NULL || !JSON_NODE_HOLDS_OBJECT(node))
		return convert_fail(error, path, "not a JSON object");
	root = json_node_get_object(node);
	members = json_object_get_members(root);
	for (GList *l = members; l != NULL; l = l->next) {
		if (!g_strv_contains((const char *const *)known, l->data))
			return convert_fail(error, path,
					    "unknown member '%s' (known: vm, disks, luksKeyDir, "
					    "workDir)",
					    (const char *)l->data);
	}
	node = json_object_get_member(root, "vm");
	vm = node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
	if (vm == NULL || convert_member_string(vm, "name") == NULL)
		return convert_fail(error, path,
				    "\"vm\" needs the VM description with its \"name\"");
	node = json_object_get_member(root, "disks");
	disks = node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
	if (disks == NULL || json_array_get_length(disks) == 0)
		return convert_fail(error, path, "\"disks\" needs the VM's disks, at least one");
	work_dir = convert_member_string(root, "workDir");
	if (work_dir == NULL || !g_path_is_absolute(work_dir))
		return convert_fail(error, path,
				    "\"workDir\" needs an absolute directory for the converter's "
				    "log and temporary files");
	key_dir = convert_member_string(root, "luksKeyDir");
	if (json_object_has_member(root, "luksKeyDir") &&
	    (key_dir == NULL || !g_path_is_absolute(key_dir)))
		return convert_fail(error, path, "\"luksKeyDir\" must be an absolute directory");

	job->name = g_strdup(convert_member_string(vm, "name"));
	job->vm_spec = json_object_ref(vm);
	job->disks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		FerryDiskEndpoint *endpoint =
		    convert_read_disk(path, json_array_get_element(disks, i), i, error);
		if (endpoint == NULL)
			return FALSE;
		g_ptr_array_add(job->disks, endpoint);
	}
	if (key_dir != NULL) {
		if (!g_file_test(key_dir, G_FILE_TEST_IS_DIR)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "luksKeyDir %s is not a directory; mount the VM's LUKS Secret "
				    "there",
				    key_dir);
			return FALSE;
		}
		job->keys = ferry_secret_new_from_directory("LUKS keys", key_dir, error);
		if (job->keys == NULL)
			return FALSE;
	}
	if (g_mkdir_with_parents(work_dir, 0700) != 0 || g_access(work_dir, W_OK) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "workDir %s cannot be written: %s; give a writable directory "
			    "(an emptyDir in a pod)",
			    work_dir, g_strerror(saved_errno));
		return FALSE;
	}
	/* as the engine's ConvertGuest phase hands them to the converter */
	json_object_set_string_member(job->vm_spec, "workDir", work_dir);
	if (key_dir != NULL)
		json_object_set_string_member(job->vm_spec, "luksKeyDir", key_dir);
	else
		json_object_remove_member(job->vm_spec, "luksKeyDir");
	return TRUE;
}

/* -- the work, in a thread -- */

static gboolean
convert_find_converter(ConvertJob *job, GError **error)
{
	g_autoptr(GPtrArray) methods = ferry_plugin_registry_create_transfer_methods(job->registry);

	for (guint i = 0; i < methods->len; i++) {
		FerryTransferMethod *method = g_ptr_array_index(methods, i);
		if (ferry_transfer_method_can_convert(method)) {
			job->converter = g_object_ref(method);
			return TRUE;
		}
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "no loaded transfer method can convert guests; install the virt-v2v "
		    "plugin with virt-v2v and libguestfs (see `ferry doctor`)");
	return FALSE;
}

static void
convert_thread(GTask *task, gpointer source_object, gpointer task_data, GCancellable *cancellable)
{
	ConvertJob *job = task_data;
	GError *error = NULL;
	JsonObject *result;

	result = ferry_transfer_method_convert(job->converter, job->vm_spec, job->disks,
					       job->progress, job->cancellable, &error);
	if (result == NULL) {
		g_task_return_error(task, error);
		return;
	}
	job->result = result;
	g_task_return_boolean(task, TRUE);
}

/* -- the main thread: signals, progress lines -- */

static gboolean
convert_tick_cb(gpointer user_data)
{
	ConvertRun *run = user_data;
	if (!run->done)
		convert_emit_progress(run);
	return G_SOURCE_CONTINUE;
}

static gboolean
convert_signal_cb(gpointer user_data)
{
	ConvertRun *run = user_data;
	g_cancellable_cancel(run->job->cancellable);
	return G_SOURCE_CONTINUE;
}

static void
convert_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	ConvertRun *run = user_data;
	g_task_propagate_boolean(G_TASK(result), &run->error);
	run->done = TRUE;
	g_main_loop_quit(run->loop);
}

static int
convert_main(FerryCli *cli, FILE *out, ConvertJob *job, double interval)
{
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GTask) task = NULL;
	ConvertRun run = {.out = out, .job = job, .loop = loop};
	guint tick_id, sigint_id, sigterm_id;
	GError *error = NULL;

	job->registry = ferry_cli_get_registry(cli, &error);
	if (job->registry == NULL)
		return convert_emit_failure(out, job, error);
	if (!convert_find_converter(job, &error))
		return convert_emit_failure(out, job, error);
	job->progress = ferry_progress_new();
	job->cancellable = g_cancellable_new();
	run.started = g_get_monotonic_time();

	tick_id = g_timeout_add((guint)(interval * 1000), convert_tick_cb, &run);
	sigint_id = g_unix_signal_add(SIGINT, convert_signal_cb, &run);
	sigterm_id = g_unix_signal_add(SIGTERM, convert_signal_cb, &run);
	task = g_task_new(NULL, NULL, convert_done_cb, &run);
	g_task_set_task_data(task, job, NULL);
	g_task_run_in_thread(task, convert_thread);
	g_main_loop_run(loop);
	g_source_remove(tick_id);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);

	if (run.error != NULL)
		return convert_emit_failure(out, job, g_steal_pointer(&run.error));
	convert_emit_progress(&run);
	convert_emit_success(&run);
	return FERRY_EXIT_OK;
}

int
ferry_cmd_convert(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *description_path = NULL;
	int progress_fd = -1;
	double interval = CONVERT_DEFAULT_INTERVAL;
	ConvertJob job = {0};
	GError *error = NULL;
	FILE *out = stdout;
	int status;
	const GOptionEntry entries[] = {
	    {"description", 0, 0, G_OPTION_ARG_FILENAME, &description_path,
	     "The conversion to do, as JSON (VM description, disks, LUKS key folder, work "
	     "folder)",
	     "FILE"},
	    {"progress-fd", 0, 0, G_OPTION_ARG_INT, &progress_fd,
	     "Write the JSON lines to this file descriptor instead of standard output", "N"},
	    {"progress-interval", 0, 0, G_OPTION_ARG_DOUBLE, &interval,
	     "Seconds between progress lines (default 2)", "SECONDS"},
	    {"result-file", 0, 0, G_OPTION_ARG_FILENAME, &job.result_file,
	     "Write the result line to this file too (a pod's /dev/termination-log)", "FILE"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL,
			     "Convert a VM's guest in place on its disks, as a conversion pod "
			     "does: the description gives the VM description the engine built, "
			     "the disks (files, block devices, or volume directories holding "
			     "disk.img), optionally a folder of LUKS passphrases (a mounted "
			     "Secret) and a work folder. The first loaded transfer method that "
			     "converts guests (virt-v2v) runs. Progress and the result (operating "
			     "system, firmware, boot disk) are JSON lines on standard output (or "
			     "--progress-fd); the exit status is 0 only when the guest was "
			     "converted.",
			     &error)) {
		status = convert_emit_failure(out, &job, error);
		convert_job_clear(&job);
		return status;
	}
	out = ferry_cli_open_progress_output(progress_fd, &error);
	if (out == NULL) {
		status = convert_emit_failure(stdout, &job, error);
		convert_job_clear(&job);
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
		convert_read_description(&job, description_path, &error);
	if (error != NULL)
		status = convert_emit_failure(out, &job, error);
	else
		status = convert_main(cli, out, &job, interval);
	if (out != stdout)
		fclose(out);
	convert_job_clear(&job);
	return status;
}
