/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib-unix.h>
#include <stdio.h>
#include <unistd.h>

#include "ferry-cli.h"

#define BAR_WIDTH	      30
#define TTY_INTERVAL_MS	      200
#define LINES_INTERVAL_MS     5000

typedef struct {
	FerryCli *cli;
	FerryCopy *copy;
	FerryProgress *progress;
	GCancellable *cancellable;
	GMainLoop *loop;
	GError *error;
	gboolean tty;
	gboolean done;
	gint64 started;
	guint drawn_width;
} CopyRun;

static gboolean
ferry_cmd_copy_is_nbd_uri(const char *text)
{
	static const char *const schemes[] = {"nbd://",	      "nbds://",	"nbd+unix://",
					      "nbds+unix://", "nbd+vsock://", "nbds+vsock://"};
	for (guint i = 0; i < G_N_ELEMENTS(schemes); i++) {
		if (g_str_has_prefix(text, schemes[i]))
			return TRUE;
	}
	return FALSE;
}

static FerryDiskEndpoint *
ferry_cmd_copy_endpoint(FerryDiskRole role, const char *text, GError **error)
{
	if (ferry_cmd_copy_is_nbd_uri(text))
		return ferry_disk_endpoint_new_nbd(role, text);
	if (strstr(text, "://") != NULL) {
		g_set_error(error, G_OPTION_ERROR, G_OPTION_ERROR_BAD_VALUE,
			    "'%s' is neither an NBD URI (nbd://, nbd+unix://, nbds://…) nor a "
			    "local path",
			    text);
		return NULL;
	}
	return ferry_disk_endpoint_new_file(role, text);
}

static gboolean
ferry_cmd_copy_get_number(JsonNode *node, guint64 *value)
{
	if (node == NULL || json_node_get_value_type(node) != G_TYPE_INT64 ||
	    json_node_get_int(node) < 0)
		return FALSE;
	*value = (guint64)json_node_get_int(node);
	return TRUE;
}

/* reads changed areas: [{"offset": N, "length": N}, …] (or "start" as in
 * vSphere's QueryChangedDiskAreas, or [offset, length] pairs) */
static FerryExtentList *
ferry_cmd_copy_load_extents(const char *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(FerryExtentList) extents = ferry_extent_list_new();
	JsonNode *root;
	JsonArray *array;

	if (!json_parser_load_from_file(parser, path, error)) {
		g_prefix_error(error, "extents file %s: ", path);
		ferry_error_convert(error);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "extents file %s: expected a JSON array of {\"offset\": N, "
			    "\"length\": N} objects",
			    path);
		return NULL;
	}
	array = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonNode *element = json_array_get_element(array, i);
		guint64 offset = 0, length = 0;
		gboolean ok = FALSE;
		if (JSON_NODE_HOLDS_OBJECT(element)) {
			JsonObject *object = json_node_get_object(element);
			JsonNode *start = json_object_get_member(object, "offset");
			if (start == NULL)
				start = json_object_get_member(object, "start");
			ok = ferry_cmd_copy_get_number(start, &offset) &&
			     ferry_cmd_copy_get_number(json_object_get_member(object, "length"),
						       &length);
		} else if (JSON_NODE_HOLDS_ARRAY(element) &&
			   json_array_get_length(json_node_get_array(element)) == 2) {
			JsonArray *pair = json_node_get_array(element);
			ok = ferry_cmd_copy_get_number(json_array_get_element(pair, 0), &offset) &&
			     ferry_cmd_copy_get_number(json_array_get_element(pair, 1), &length);
		}
		if (!ok) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "extents file %s: element %u is not {\"offset\": N, "
				    "\"length\": N} with non-negative whole numbers",
				    path, i);
			return NULL;
		}
		if (!ferry_extent_list_add(extents, offset, length, FERRY_EXTENT_FLAG_NONE,
					   error)) {
			g_prefix_error(error, "extents file %s: element %u: ", path, i);
			return NULL;
		}
	}
	return g_steal_pointer(&extents);
}

static char *
ferry_cmd_copy_format_eta(gint64 seconds)
{
	if (seconds < 0)
		return g_strdup("--:--");
	if (seconds >= 3600)
		return g_strdup_printf("%" G_GINT64_FORMAT ":%02d:%02d", seconds / 3600,
				       (int)(seconds / 60 % 60), (int)(seconds % 60));
	return g_strdup_printf("%d:%02d", (int)(seconds / 60), (int)(seconds % 60));
}

static void
ferry_cmd_copy_draw(CopyRun *run, gboolean final)
{
	guint64 done = ferry_progress_get_done(run->progress);
	guint64 total = ferry_progress_get_total(run->progress);
	double fraction = ferry_progress_get_fraction(run->progress);
	double rate = ferry_progress_get_rate(run->progress);
	g_autofree char *done_text = g_format_size_full(done, G_FORMAT_SIZE_IEC_UNITS);
	g_autofree char *total_text = g_format_size_full(total, G_FORMAT_SIZE_IEC_UNITS);
	g_autofree char *rate_text = g_format_size_full((guint64)rate, G_FORMAT_SIZE_IEC_UNITS);
	g_autofree char *eta = ferry_cmd_copy_format_eta(ferry_progress_get_eta(run->progress));
	g_autoptr(GString) line = g_string_new(NULL);

	if (run->tty) {
		guint filled = (guint)(fraction * BAR_WIDTH);
		g_string_append_c(line, '[');
		for (guint i = 0; i < BAR_WIDTH; i++)
			g_string_append_c(line, i < filled ? '#' : (i == filled ? '>' : ' '));
		g_string_append_printf(line, "] %3d%%  %s / %s  %s/s  ETA %s",
				       (int)(fraction * 100), done_text, total_text, rate_text,
				       eta);
		/* pad over a longer line drawn before */
		while (line->len < run->drawn_width)
			g_string_append_c(line, ' ');
		run->drawn_width = (guint)line->len;
		fprintf(stderr, "\r%s%s", line->str, final ? "\n" : "");
	} else {
		fprintf(stderr, "ferry copy: %3d%%  %s / %s  %s/s  ETA %s\n",
			(int)(fraction * 100), done_text, total_text, rate_text, eta);
	}
	fflush(stderr);
}

static gboolean
ferry_cmd_copy_tick_cb(gpointer user_data)
{
	CopyRun *run = user_data;
	if (!run->done && ferry_progress_get_total(run->progress) > 0)
		ferry_cmd_copy_draw(run, FALSE);
	return G_SOURCE_CONTINUE;
}

static gboolean
ferry_cmd_copy_signal_cb(gpointer user_data)
{
	CopyRun *run = user_data;
	g_cancellable_cancel(run->cancellable);
	return G_SOURCE_CONTINUE;
}

static void
ferry_cmd_copy_done_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	CopyRun *run = user_data;
	ferry_copy_run_finish(FERRY_COPY(source), result, &run->error);
	run->done = TRUE;
	g_main_loop_quit(run->loop);
}

static void
ferry_cmd_copy_print_summary(CopyRun *run, FerryOutputFormat format)
{
	FerryCopy *copy = run->copy;
	double seconds = (double)(g_get_monotonic_time() - run->started) / G_USEC_PER_SEC;

	if (format == FERRY_OUTPUT_JSON) {
		g_autoptr(JsonBuilder) builder = json_builder_new();
		g_autoptr(JsonNode) root = NULL;
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
		    {"connections", ferry_copy_get_connections_used(copy)},
		};
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "source");
		json_builder_add_string_value(
		    builder, ferry_disk_endpoint_get_description(ferry_copy_get_source(copy)));
		json_builder_set_member_name(builder, "target");
		json_builder_add_string_value(
		    builder, ferry_disk_endpoint_get_description(ferry_copy_get_target(copy)));
		for (guint i = 0; i < G_N_ELEMENTS(members); i++) {
			json_builder_set_member_name(builder, members[i].name);
			json_builder_add_int_value(builder, (gint64)members[i].value);
		}
		json_builder_set_member_name(builder, "seconds");
		json_builder_add_double_value(builder, seconds);
		json_builder_end_object(builder);
		root = json_builder_get_root(builder);
		ferry_cli_print_json(root);
		return;
	}
	if (run->cli->quiet)
		return;
	{
		guint64 total = ferry_copy_get_bytes_total(copy);
		guint64 resumed = ferry_copy_get_bytes_resumed(copy);
		guint64 zero =
		    ferry_copy_get_bytes_zeroed(copy) + ferry_copy_get_bytes_skipped(copy);
		g_autofree char *total_text = g_format_size_full(total, G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *written =
		    g_format_size_full(ferry_copy_get_bytes_written(copy), G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *zero_text = g_format_size_full(zero, G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *resumed_text =
		    g_format_size_full(resumed, G_FORMAT_SIZE_IEC_UNITS);
		g_autofree char *rate = g_format_size_full(
		    (guint64)((double)(total - resumed) / MAX(seconds, 0.001)),
		    G_FORMAT_SIZE_IEC_UNITS);
		g_print("copied %s in %.1f s (%s/s): %s of data written, %s of zeroes and holes",
			total_text, seconds, rate, written, zero_text);
		if (resumed > 0)
			g_print(", %s done before (journal)", resumed_text);
		if (ferry_copy_get_verify(copy))
			g_print(", verified");
		if (ferry_copy_get_retried(copy) > 0)
			g_print(", %u requests retried", ferry_copy_get_retried(copy));
		g_print("\n");
	}
}

int
ferry_cmd_copy(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *extents_from = NULL;
	g_autofree char *extents_file = NULL;
	g_autofree char *journal = NULL;
	g_autofree char *bandwidth = NULL;
	g_autofree char *request_size = NULL;
	g_autofree char *output = NULL;
	gboolean verify = FALSE;
	gboolean target_is_zero = FALSE;
	int connections = 0;
	int requests = 0;
	int retries = -1;
	int timeout = -1;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryDiskEndpoint) source = NULL;
	g_autoptr(FerryDiskEndpoint) target = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(FerryProgress) progress = NULL;
	g_autoptr(GCancellable) cancellable = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	CopyRun run = {0};
	guint tick_id = 0, sigint_id, sigterm_id;
	const GOptionEntry entries[] = {
	    {"extents-from", 0, 0, G_OPTION_ARG_STRING, &extents_from,
	     "Copy only the ranges this NBD metadata context of the source flags, e.g. "
	     "qemu:dirty-bitmap:bitmap0",
	     "CONTEXT"},
	    {"extents", 0, 0, G_OPTION_ARG_FILENAME, &extents_file,
	     "Copy only the ranges in this JSON file: [{\"offset\": N, \"length\": N}, …]",
	     "FILE"},
	    {"journal", 0, 0, G_OPTION_ARG_FILENAME, &journal,
	     "Record finished ranges in FILE, and resume from it", "FILE"},
	    {"verify", 0, 0, G_OPTION_ARG_NONE, &verify,
	     "Read every range back and compare it with the source", NULL},
	    {"bandwidth", 0, 0, G_OPTION_ARG_STRING, &bandwidth,
	     "Read at most RATE bytes per second, e.g. 100M (MiB/s) or 50MB", "RATE"},
	    {"connections", 0, 0, G_OPTION_ARG_INT, &connections,
	     "Connections per end (only with multi-conn; default 4)", "N"},
	    {"requests", 0, 0, G_OPTION_ARG_INT, &requests,
	     "Requests in flight per connection (default 64)", "N"},
	    {"request-size", 0, 0, G_OPTION_ARG_STRING, &request_size,
	     "Bytes per request, 4k to 32M (default 256k)", "SIZE"},
	    {"retries", 0, 0, G_OPTION_ARG_INT, &retries,
	     "Tries again per failed request before giving up (default 5)", "N"},
	    {"timeout", 0, 0, G_OPTION_ARG_INT, &timeout,
	     "Reconnect to a server that answers nothing for SECONDS (default 300; 0: never)",
	     "SECONDS"},
	    {"target-is-zero", 0, 0, G_OPTION_ARG_NONE, &target_is_zero,
	     "The target already reads as zeroes: do not write zero ranges", NULL},
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output,
	     "Summary format: table (a sentence) or json", "FORMAT"},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, "SOURCE TARGET",
			     "Copy a disk between NBD URIs (nbd://HOST/EXPORT, "
			     "nbd+unix:///EXPORT?socket=PATH, …) and local files or block "
			     "devices: sparse, several requests in flight, optionally "
			     "incremental, resumable with a journal, verified and rate-limited. "
			     "A missing local target is created.",
			     &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc != 3)
		return ferry_cli_usage_error(cli, "give a SOURCE and a TARGET");
	if (connections < 0 || connections > 64)
		return ferry_cli_usage_error(cli, "--connections: give 1 to 64");
	if (requests < 0 || requests > 1024)
		return ferry_cli_usage_error(cli, "--requests: give 1 to 1024");
	if (retries > 100)
		return ferry_cli_usage_error(cli, "--retries: give 0 to 100");
	if (timeout > 86400)
		return ferry_cli_usage_error(cli, "--timeout: give 0 to 86400 seconds");
	if (extents_from != NULL && extents_file != NULL)
		return ferry_cli_usage_error(cli, "give --extents-from or --extents, not both");

	source = ferry_cmd_copy_endpoint(FERRY_DISK_ROLE_SOURCE, argv[1], &error);
	if (source == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	target = ferry_cmd_copy_endpoint(FERRY_DISK_ROLE_TARGET, argv[2], &error);
	if (target == NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	ferry_disk_endpoint_set_zeroed(target, target_is_zero);
	copy = ferry_copy_new(source, target);
	ferry_copy_set_connections(copy, (guint)connections);
	ferry_copy_set_requests(copy, (guint)requests);
	if (retries >= 0)
		ferry_copy_set_retries(copy, (guint)retries);
	if (timeout >= 0)
		ferry_copy_set_timeout(copy, (guint)timeout);
	ferry_copy_set_journal(copy, journal);
	ferry_copy_set_verify(copy, verify);
	ferry_copy_set_extents_from(copy, extents_from);
	if (bandwidth != NULL) {
		guint64 rate = 0;
		if (!ferry_copy_parse_size(bandwidth, &rate, &error) || rate == 0) {
			g_clear_error(&error);
			return ferry_cli_usage_error(cli,
						     "--bandwidth %s: give a rate such as 100M "
						     "(MiB/s), 50MB or 1G",
						     bandwidth);
		}
		ferry_copy_set_bandwidth(copy, rate);
	}
	if (request_size != NULL) {
		guint64 size = 0;
		if (!ferry_copy_parse_size(request_size, &size, &error) || size < 4096 ||
		    size > 32 * 1024 * 1024) {
			g_clear_error(&error);
			return ferry_cli_usage_error(
			    cli, "--request-size %s: give a size from 4k to 32M", request_size);
		}
		ferry_copy_set_request_size(copy, (guint)size);
	}
	if (extents_file != NULL) {
		g_autoptr(FerryExtentList) extents =
		    ferry_cmd_copy_load_extents(extents_file, &error);
		if (extents == NULL)
			return ferry_cli_fail(cli, g_steal_pointer(&error));
		ferry_copy_set_extents(copy, extents);
	}

	progress = ferry_progress_new();
	cancellable = g_cancellable_new();
	loop = g_main_loop_new(NULL, FALSE);
	run.cli = cli;
	run.copy = copy;
	run.progress = progress;
	run.cancellable = cancellable;
	run.loop = loop;
	run.tty = isatty(STDERR_FILENO) && g_strcmp0(g_getenv("TERM"), "dumb") != 0;
	run.started = g_get_monotonic_time();
	if (!cli->quiet)
		tick_id = g_timeout_add(run.tty ? TTY_INTERVAL_MS : LINES_INTERVAL_MS,
					ferry_cmd_copy_tick_cb, &run);
	sigint_id = g_unix_signal_add(SIGINT, ferry_cmd_copy_signal_cb, &run);
	sigterm_id = g_unix_signal_add(SIGTERM, ferry_cmd_copy_signal_cb, &run);
	ferry_copy_run_async(copy, progress, cancellable, ferry_cmd_copy_done_cb, &run);
	g_main_loop_run(loop);
	if (tick_id != 0)
		g_source_remove(tick_id);
	g_source_remove(sigint_id);
	g_source_remove(sigterm_id);

	if (!cli->quiet && (run.tty || run.error == NULL) && ferry_progress_get_total(progress) > 0)
		ferry_cmd_copy_draw(&run, TRUE);
	if (run.error != NULL)
		return ferry_cli_fail(cli, g_steal_pointer(&run.error));
	ferry_cmd_copy_print_summary(&run, format);
	return FERRY_EXIT_OK;
}
