/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ferry-v2v-run.h"

/* seconds virt-v2v gets to clean up after SIGTERM before SIGKILL */
#define FERRY_V2V_GRACE_SECONDS 15

/* --- the output monitor --- */

/**
 * ferry_v2v_monitor_new:
 * @n_disks: how many disks virt-v2v copies (for the overall fraction)
 *
 * Returns: (transfer full): a monitor with nothing seen yet
 */
FerryV2vMonitor *
ferry_v2v_monitor_new(guint n_disks)
{
	FerryV2vMonitor *self = g_new0(FerryV2vMonitor, 1);
	self->n_disks = MAX(n_disks, 1);
	self->facts = json_object_new();
	self->warnings = g_ptr_array_new_with_free_func(g_free);
	g_queue_init(&self->tail);
	g_queue_init(&self->raw_tail);
	return self;
}

/**
 * ferry_v2v_monitor_free:
 * @self: (transfer full): a monitor
 */
void
ferry_v2v_monitor_free(FerryV2vMonitor *self)
{
	if (self == NULL)
		return;
	g_free(self->stage);
	g_free(self->error);
	json_object_unref(self->facts);
	g_ptr_array_unref(self->warnings);
	g_queue_clear_full(&self->tail, g_free);
	g_queue_clear_full(&self->raw_tail, g_free);
	g_free(self);
}

static gboolean
parse_fraction(const char *line, guint64 *done, guint64 *total)
{
	const char *slash = strchr(line, '/');
	g_autofree char *left = NULL;
	if (slash == NULL || slash == line || slash[1] == '\0')
		return FALSE;
	left = g_strndup(line, slash - line);
	return g_ascii_string_to_unsigned(left, 10, 0, G_MAXUINT64, done, NULL) &&
	       g_ascii_string_to_unsigned(slash + 1, 10, 1, G_MAXUINT64, total, NULL) &&
	       *done <= *total;
}

/* nbdcopy's progress bar, which virt-v2v 2.2 passes through even with
 * --machine-readable: `▗  42% [*****-----]`, several on a line at times */
static gboolean
parse_percent(const char *line, guint64 *percent)
{
	gboolean found = FALSE;
	*percent = 0;
	for (const char *mark = strstr(line, "% ["); mark != NULL; mark = strstr(mark + 1, "% [")) {
		const char *start = mark;
		guint64 value = 0;
		g_autofree char *digits = NULL;
		while (start > line && g_ascii_isdigit(start[-1]))
			start--;
		if (start == mark)
			continue;
		digits = g_strndup(start, mark - start);
		if (!g_ascii_string_to_unsigned(digits, 10, 0, 100, &value, NULL))
			continue;
		*percent = MAX(*percent, value);
		found = TRUE;
	}
	return found;
}

/* `[  12.3] Copying disk 1/2` → `Copying disk 1/2`; the appliance kernel's
 * own lines (`[    2.141574] pci_bus …`) have six decimals and are not stages */
static const char *
strip_timestamp(const char *line)
{
	const char *p = line + 1;
	if (line[0] != '[')
		return NULL;
	while (*p == ' ')
		p++;
	if (!g_ascii_isdigit(*p))
		return NULL;
	while (g_ascii_isdigit(*p))
		p++;
	if (p[0] != '.' || !g_ascii_isdigit(p[1]) || p[2] != ']')
		return NULL;
	p += 3;
	while (*p == ' ')
		p++;
	return p;
}

/* the lines worth showing in an error: stages and virt-v2v's own
 * messages, not the appliance's debug output */
static void
push_line(GQueue *queue, const char *line)
{
	g_queue_push_tail(queue, g_strdup(line));
	while (queue->length > FERRY_V2V_TAIL_LINES)
		g_free(g_queue_pop_head(queue));
}

static void
remember_line(FerryV2vMonitor *self, const char *line)
{
	push_line(&self->tail, line);
}

/* a warning, as a JSON message or a plain line; the same text once */
static void
remember_warning(FerryV2vMonitor *self, const char *message)
{
	g_autofree char *text = g_strstrip(g_strdup(message));
	for (char *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	if (*text == '\0')
		return;
	for (guint i = 0; i < self->warnings->len; i++) {
		if (g_strcmp0(g_ptr_array_index(self->warnings, i), text) == 0)
			return;
	}
	g_ptr_array_add(self->warnings, g_steal_pointer(&text));
}

/* --machine-readable messages: `{ "message": "…", "timestamp": "…",
 * "type": "error" }` */
static gboolean
parse_message(FerryV2vMonitor *self, const char *line)
{
	g_autoptr(JsonParser) parser = NULL;
	JsonNode *root;
	JsonObject *object;
	const char *type;
	const char *message;
	g_autofree char *text = NULL;

	/* stderr shares the pipe, so a message may start mid-line */
	line = strstr(line, "{ \"message\": ");
	if (line == NULL)
		return FALSE;
	parser = json_parser_new();
	if (!json_parser_load_from_data(parser, line, -1, NULL))
		return FALSE;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root))
		return FALSE;
	object = json_node_get_object(root);
	type = json_object_get_string_member_with_default(object, "type", "message");
	message = json_object_get_string_member_with_default(object, "message", NULL);
	if (message == NULL)
		return FALSE;
	text = g_strdup_printf("%s: %s", type, message);
	g_strstrip(text);
	/* one line each: a message's paragraphs are joined */
	for (char *p = text; *p != '\0'; p++) {
		if (*p == '\n')
			*p = ' ';
	}
	if (g_strcmp0(type, "error") == 0 && self->error == NULL)
		self->error = g_strdup(message);
	if (g_strcmp0(type, "warning") == 0)
		remember_warning(self, message);
	/* plain messages repeat the stage lines */
	if (g_strcmp0(type, "message") != 0)
		remember_line(self, text);
	return TRUE;
}

/* `    i_distro = debian` from virt-v2v -v's inspection dump */
static void
parse_fact(FerryV2vMonitor *self, const char *line)
{
	const char *p = line;
	const char *equals;
	g_autofree char *key = NULL;
	g_autofree char *value = NULL;

	while (*p == ' ' || *p == '\t')
		p++;
	if (!g_str_has_prefix(p, "i_"))
		return;
	equals = strstr(p, " = ");
	if (equals == NULL)
		return;
	key = g_strndup(p, equals - p);
	for (const char *k = key; *k != '\0'; k++) {
		if (!g_ascii_isalnum(*k) && *k != '_')
			return;
	}
	value = g_strstrip(g_strdup(equals + 3));
	/* the first inspection wins: later dumps describe the same guest */
	if (!json_object_has_member(self->facts, key))
		json_object_set_string_member(self->facts, key, value);
}

/**
 * ferry_v2v_monitor_feed:
 * @self: a monitor
 * @line: one line of virt-v2v's output, without its newline
 *
 * Returns: %TRUE when the progress or the stage changed
 */
gboolean
ferry_v2v_monitor_feed(FerryV2vMonitor *self, const char *line)
{
	guint64 done = 0;
	guint64 total = 0;
	const char *stage;

	if (parse_fraction(line, &done, &total) || parse_percent(line, &done)) {
		if (total == 0)
			total = 100;
		guint disk = MAX(self->disk, 1);
		double fraction = ((double)(disk - 1) + (double)done / (double)total) /
				  (double)self->n_disks;
		if (fraction < self->fraction)
			return FALSE;
		self->fraction = MIN(fraction, 1.0);
		return TRUE;
	}
	push_line(&self->raw_tail, line);
	if (parse_message(self, line))
		return FALSE;
	stage = strip_timestamp(line);
	if (stage != NULL && *stage != '\0') {
		guint64 disk = 0;
		guint64 n_disks = 0;
		remember_line(self, line);
		g_free(self->stage);
		self->stage = g_strdup(stage);
		if (g_str_has_prefix(stage, "Copying disk ") &&
		    parse_fraction(stage + strlen("Copying disk "), &disk, &n_disks) && disk > 0 &&
		    disk <= self->n_disks) {
			/* (a disk number past the disks Ferry passed is not
			 * believed: the fraction would pass 1) */
			self->disk = (guint)disk;
			self->fraction = MAX(self->fraction,
					     (double)(disk - 1) / (double)self->n_disks);
		}
		return TRUE;
	}
	/* `virt-v2v: warning: …` (the errors also come as JSON messages) */
	if (g_str_has_prefix(line, "virt-v2v") && strstr(line, ": warning: ") != NULL) {
		remember_line(self, line);
		remember_warning(self, strstr(line, ": warning: ") + strlen(": warning: "));
	}
	if (g_str_has_prefix(line, "virt-v2v") && strstr(line, ": error: ") != NULL) {
		remember_line(self, line);
		if (self->error == NULL)
			self->error = g_strdup(strstr(line, ": error: ") + strlen(": error: "));
	}
	parse_fact(self, line);
	return FALSE;
}

static const char *
fact(FerryV2vMonitor *self, const char *key)
{
	const char *value = json_object_get_string_member_with_default(self->facts, key, NULL);
	if (value == NULL || *value == '\0' || g_strcmp0(value, "unknown") == 0)
		return NULL;
	return value;
}

/**
 * ferry_v2v_monitor_dup_result:
 * @self: a monitor that saw a whole run
 *
 * Returns: (transfer full): what the inspection found, as the engine
 *   records it: `operatingSystem` (the libosinfo short id, else the
 *   product name), `firmware` (`bios` or `efi`), `detectedBootDisk` (the
 *   root device), `warnings` (virt-v2v's warnings, when it gave any);
 *   members are missing when virt-v2v did not say
 */
JsonObject *
ferry_v2v_monitor_dup_result(FerryV2vMonitor *self)
{
	JsonObject *result = json_object_new();
	const char *os = fact(self, "i_osinfo");
	const char *firmware = fact(self, "i_firmware");

	if (os == NULL)
		os = fact(self, "i_product_name");
	if (os != NULL)
		json_object_set_string_member(result, "operatingSystem", os);
	if (firmware != NULL) {
		g_autofree char *lower = g_ascii_strdown(firmware, -1);
		json_object_set_string_member(result, "firmware",
					      g_str_has_prefix(lower, "uefi") ||
						      g_str_has_prefix(lower, "efi")
						  ? "efi"
						  : "bios");
	}
	if (fact(self, "i_root") != NULL)
		json_object_set_string_member(result, "detectedBootDisk", fact(self, "i_root"));
	if (self->warnings->len > 0) {
		JsonArray *warnings = json_array_new();
		for (guint i = 0; i < self->warnings->len; i++)
			json_array_add_string_element(warnings,
						      g_ptr_array_index(self->warnings, i));
		json_object_set_array_member(result, "warnings", warnings);
	}
	return result;
}

/**
 * ferry_v2v_monitor_dup_tail:
 * @self: a monitor
 *
 * Returns: the last stages and messages seen, one a line, or the last
 *   lines of any kind when virt-v2v said nothing of its own
 */
char *
ferry_v2v_monitor_dup_tail(FerryV2vMonitor *self)
{
	GString *text = g_string_new(NULL);
	GQueue *queue = self->tail.length > 0 ? &self->tail : &self->raw_tail;
	for (GList *l = queue->head; l != NULL; l = l->next) {
		g_string_append(text, l->data);
		g_string_append_c(text, '\n');
	}
	return g_string_free(text, FALSE);
}

/* --- the child process --- */

/**
 * ferry_v2v_default_timeout:
 *
 * Returns: seconds a conversion may take: `FERRY_V2V_TIMEOUT`, else two hours
 */
guint
ferry_v2v_default_timeout(void)
{
	const char *text = g_getenv("FERRY_V2V_TIMEOUT");
	guint64 seconds = 0;
	if (text != NULL && g_ascii_string_to_unsigned(text, 10, 1, G_MAXUINT, &seconds, NULL))
		return (guint)seconds;
	return 2 * 60 * 60;
}

/* libguestfs starts a small appliance VM; where KVM cannot run it (no
 * /dev/kvm, or a nested KVM that hangs guests) it must run under TCG:
 * ferry_machine_guestfs_environ() knows (FERRY_ACCEL forces the answer) */
static char **
dup_child_environ(FerryV2vCommand *command)
{
	char **envp = ferry_machine_guestfs_environ(NULL);
	envp = g_environ_setenv(envp, "VIRT_V2V_TMPDIR", command->tmp_dir, TRUE);
	envp = g_environ_setenv(envp, "LC_ALL", "C.UTF-8", TRUE);
	return g_environ_unsetenv(envp, "LANGUAGE");
}

static void
child_setup(gpointer user_data)
{
	/* its own process group, so the whole tree can be stopped at once */
	setpgid(0, 0);
	/* and stopped if Ferry dies: the spawning thread waits for the run, so
	 * it outlives the child unless the whole process goes */
	prctl(PR_SET_PDEATHSIG, SIGTERM);
}

static gboolean
group_alive(pid_t group)
{
	return kill(-group, 0) == 0 || errno == EPERM;
}

/* SIGTERM lets virt-v2v remove its overlays and stop its appliance;
 * whatever is left after the grace period is killed */
static void
stop_group(GSubprocess *process, pid_t group)
{
	if (group <= 0)
		return;
	kill(-group, SIGTERM);
	for (guint i = 0; i < FERRY_V2V_GRACE_SECONDS * 10 && group_alive(group); i++)
		g_usleep(100 * G_TIME_SPAN_MILLISECOND);
	if (group_alive(group)) {
		g_warning("virt-v2v (process group %d) did not stop within %u s; killing it",
			  (int)group, FERRY_V2V_GRACE_SECONDS);
		kill(-group, SIGKILL);
		for (guint i = 0; i < 50 && group_alive(group); i++)
			g_usleep(100 * G_TIME_SPAN_MILLISECOND);
	}
	g_subprocess_wait(process, NULL, NULL);
}

typedef struct {
	FerryV2vMonitor *monitor;
	FILE *log;
	FerryProgress *progress;
	FerrySecret *keys;
	GString *pending;
} RunState;

static void
handle_line(RunState *state, const char *raw)
{
	g_autofree char *redacted = state->keys != NULL ? ferry_secret_redact(state->keys, raw)
							 : NULL;
	const char *line = redacted != NULL ? redacted : raw;
	fprintf(state->log, "%s\n", line);
	if (!ferry_v2v_monitor_feed(state->monitor, line) || state->progress == NULL)
		return;
	ferry_progress_set_done(state->progress,
				(guint64)(state->monitor->fraction *
					  (double)ferry_progress_get_total(state->progress)));
	if (state->monitor->stage != NULL)
		ferry_progress_set_status(state->progress, state->monitor->stage);
}

static void
handle_output(RunState *state, const char *data, gsize length)
{
	g_string_append_len(state->pending, data, length);
	for (;;) {
		char *end = memchr(state->pending->str, '\n', state->pending->len);
		char *cr = memchr(state->pending->str, '\r', state->pending->len);
		gsize line_length;
		if (end == NULL || (cr != NULL && cr < end))
			end = cr;
		if (end == NULL)
			break;
		line_length = end - state->pending->str;
		*end = '\0';
		if (line_length > 0)
			handle_line(state, state->pending->str);
		g_string_erase(state->pending, 0, line_length + 1);
	}
}

typedef enum {
	READ_DONE,
	READ_CANCELLED,
	READ_TIMED_OUT,
	READ_FAILED,
} ReadResult;

static ReadResult
read_output(RunState *state, int fd, gint64 deadline, GCancellable *cancellable, GError **error)
{
	GPollFD fds[2] = {{.fd = fd, .events = G_IO_IN | G_IO_HUP | G_IO_ERR}};
	gboolean have_cancel = g_cancellable_make_pollfd(cancellable, &fds[1]);
	ReadResult result = READ_DONE;
	char buffer[8192];

	for (;;) {
		gint64 remaining = deadline - g_get_monotonic_time();
		gssize n;
		int ready;

		if (g_cancellable_is_cancelled(cancellable)) {
			result = READ_CANCELLED;
			break;
		}
		if (remaining <= 0) {
			result = READ_TIMED_OUT;
			break;
		}
		ready = g_poll(fds, have_cancel ? 2 : 1,
			       (int)MIN(remaining / 1000 + 1, G_MAXINT));
		if (ready < 0 && errno == EINTR)
			continue;
		if (ready <= 0)
			continue;
		if (fds[0].revents == 0)
			continue;
		n = read(fd, buffer, sizeof buffer);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "reading virt-v2v's output: %s", g_strerror(errno));
			result = READ_FAILED;
			break;
		}
		if (n == 0)
			break;
		handle_output(state, buffer, n);
	}
	if (have_cancel)
		g_cancellable_release_fd(cancellable);
	if (state->pending->len > 0 && result == READ_DONE) {
		g_autofree char *rest = g_strdup(state->pending->str);
		g_string_truncate(state->pending, 0);
		handle_line(state, rest);
	}
	return result;
}

static int
errno_code(int saved)
{
	switch (saved) {
	case ENOSPC:
	case EDQUOT:
		return FERRY_ERROR_NO_SPACE;
	case EACCES:
	case EPERM:
	case EROFS:
		return FERRY_ERROR_PERMISSION_DENIED;
	default:
		return FERRY_ERROR_IO;
	}
}

static gboolean
prepare_files(FerryV2vCommand *command, GError **error)
{
	g_autofree char *work_dir = g_path_get_dirname(command->log_path);
	const char *dirs[] = {work_dir, command->tmp_dir, command->output_dir};
	for (guint i = 0; i < G_N_ELEMENTS(dirs); i++) {
		if (dirs[i] != NULL && g_mkdir_with_parents(dirs[i], 0700) < 0) {
			int saved = errno;
			g_set_error(error, FERRY_ERROR, errno_code(saved),
				    "cannot create the work folder %s: %s", dirs[i],
				    g_strerror(saved));
			return FALSE;
		}
	}
	if (command->domain_xml != NULL &&
	    !g_file_set_contents_full(command->domain_xml_path, command->domain_xml, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, error))
		return FALSE;
	return TRUE;
}

static char *
missing_program_message(const char *program)
{
	return g_strdup_printf("%s is not installed (looked in PATH and the sbin folders); "
			       "install the Debian package "
			       "virt-v2v (`apt-get install virt-v2v`, or scripts/install-deps), "
			       "or set spec.skipGuestConversion: true on the plan for a raw copy",
			       program);
}

static void
set_failure(GError **error,
	    int code,
	    const char *display,
	    const char *what,
	    FerryV2vCommand *command,
	    FerryV2vMonitor *monitor)
{
	g_autofree char *tail = ferry_v2v_monitor_dup_tail(monitor);
	g_autofree char *reason = NULL;
	if (monitor->error != NULL) {
		reason = g_strdup_printf(": %s", monitor->error);
		/* the first paragraph says what went wrong */
		if (strstr(reason, "\n\n") != NULL)
			*strstr(reason, "\n\n") = '\0';
	}
	g_set_error(error, FERRY_ERROR, code,
		    "%s: %s %s%s\nThe whole log is %s; its last messages:\n%s", display,
		    command->program, what, reason != NULL ? reason : "", command->log_path,
		    tail);
}

/**
 * ferry_v2v_run:
 * @command: what to run
 * @display: how errors name the VM
 * @progress: (nullable): where copy progress and the current stage go;
 *   its total must be set
 * @timeout_seconds: how long the run may take
 * @cancellable: (nullable): stops the run (the whole process group)
 * @result: (out) (optional): what the inspection found
 * @error: return location for a #GError
 *
 * Runs virt-v2v (or virt-v2v-in-place) in its own process group, writing
 * everything it says to the command's log file. On failure, timeout or
 * cancellation the error names the VM, the log and ends with the log's
 * last lines.
 *
 * Returns: %TRUE when the program succeeded
 */
gboolean
ferry_v2v_run(FerryV2vCommand *command,
	      const char *display,
	      FerryProgress *progress,
	      guint timeout_seconds,
	      GCancellable *cancellable,
	      JsonObject **result,
	      GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(command->n_disks);
	g_autoptr(GString) pending = g_string_new(NULL);
	g_autofree char *program = ferry_machine_find_program(command->program);
	g_autofree char *line = NULL;
	g_auto(GStrv) argv = NULL;
	g_auto(GStrv) envp = NULL;
	g_autoptr(GError) local_error = NULL;
	GSubprocessFlags flags = G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE;
	RunState state = {.monitor = monitor,
			  .progress = progress,
			  .keys = command->keys,
			  .pending = pending};
	ReadResult read_result;
	pid_t group = 0;
	gint64 started = g_get_monotonic_time();
	int fd;

	if (program == NULL) {
		g_autofree char *message = missing_program_message(command->program);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "%s: %s", display, message);
		return FALSE;
	}
	if (!prepare_files(command, error)) {
		g_prefix_error(error, "%s: ", display);
		return FALSE;
	}
	state.log = g_fopen(command->log_path, "we");
	if (state.log == NULL) {
		int saved = errno;
		g_set_error(error, FERRY_ERROR, errno_code(saved),
			    "%s: cannot write the conversion log %s: %s", display,
			    command->log_path, g_strerror(saved));
		return FALSE;
	}
	line = ferry_v2v_command_dup_display(command);
	fprintf(state.log, "# ferry: %s\n", line);
	fflush(state.log);

	if (command->stdin_keys != NULL)
		flags |= G_SUBPROCESS_FLAGS_STDIN_PIPE;
	launcher = g_subprocess_launcher_new(flags);
	g_subprocess_launcher_set_child_setup(launcher, child_setup, NULL, NULL);
	envp = dup_child_environ(command);
	g_subprocess_launcher_set_environ(launcher, envp);
	argv = ferry_v2v_command_dup_argv(command);
	g_free(argv[0]);
	argv[0] = g_strdup(program);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv, &local_error);
	if (process == NULL) {
		fclose(state.log);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s: cannot start %s: %s",
			    display, command->program, local_error->message);
		return FALSE;
	}
	group = (pid_t)g_ascii_strtoll(g_subprocess_get_identifier(process), NULL, 10);
	if (command->stdin_keys != NULL) {
		GOutputStream *in = g_subprocess_get_stdin_pipe(process);
		/* a few short lines fit the pipe: this never blocks */
		g_output_stream_write_all(in, command->stdin_keys, strlen(command->stdin_keys),
					  NULL, NULL, NULL);
		g_output_stream_close(in, NULL, NULL);
	}
	fd = g_unix_input_stream_get_fd(G_UNIX_INPUT_STREAM(g_subprocess_get_stdout_pipe(process)));
	read_result = read_output(&state, fd, started + (gint64)timeout_seconds * G_USEC_PER_SEC,
				  cancellable, &local_error);
	if (read_result != READ_DONE)
		stop_group(process, group);
	else
		g_subprocess_wait(process, NULL, NULL);
	fprintf(state.log, "# ferry: %s ended after %.0f s\n", command->program,
		(double)(g_get_monotonic_time() - started) / G_USEC_PER_SEC);
	fclose(state.log);
	ferry_files_remove_tree(command->tmp_dir, NULL);

	switch (read_result) {
	case READ_CANCELLED:
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
			    "%s: the conversion was cancelled; %s was stopped. Log: %s", display,
			    command->program, command->log_path);
		return FALSE;
	case READ_TIMED_OUT: {
		g_autofree char *what = g_strdup_printf(
		    "did not finish within %u s and was stopped (raise FERRY_V2V_TIMEOUT if the "
		    "guest is large)",
		    timeout_seconds);
		set_failure(error, FERRY_ERROR_TIMED_OUT, display, what, command, monitor);
		return FALSE;
	}
	case READ_FAILED:
		g_prefix_error(&local_error, "%s: ", display);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	case READ_DONE:
		break;
	}
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0) {
		g_autofree char *what =
		    g_subprocess_get_if_exited(process)
			? g_strdup_printf("failed (exit status %d)",
					  g_subprocess_get_exit_status(process))
			: g_strdup_printf("was killed by signal %d",
					  g_subprocess_get_term_sig(process));
		set_failure(error, FERRY_ERROR_FAILED, display, what, command, monitor);
		return FALSE;
	}
	if (progress != NULL) {
		ferry_progress_set_done(progress, ferry_progress_get_total(progress));
		ferry_progress_flush(progress);
	}
	if (result != NULL)
		*result = ferry_v2v_monitor_dup_result(monitor);
	return TRUE;
}
