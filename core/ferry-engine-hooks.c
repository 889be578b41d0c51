/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ferry-engine-private.h"
#include "ferry-error.h"

/* PreHook and PostHook run locally: Forklift runs the hook image as a Job
 * with `plan.yml`, `workload.yml` and `playbook.yml` in /tmp/hook. Here the
 * same files are written to a work directory and the hook's playbook runs
 * with ansible-playbook, or the command in the Hook's annotation
 * `ferry.konveyor.io/command` runs with /bin/sh. Up to HOOK_RETRY (3)
 * attempts; `spec.deadline` seconds each, or the setting
 * `hook_default_deadline_seconds` (an hour) when the Hook has none: a hook
 * that hangs never holds a migration forever. A hook runs in its own process
 * group, and the whole group is killed when it runs out of time or the
 * migration is interrupted (a shell's children too, not only the shell). */

#define HOOK_RETRY 3
#define HOOK_DEFAULT_DEADLINE_SETTING "hook_default_deadline_seconds"
#define HOOK_DEFAULT_DEADLINE 3600
#define HOOK_COMMAND_ANNOTATION "ferry.konveyor.io/command"
#define HOOK_OUTPUT_TAIL_LINES 20

static JsonObject *
hook_find(FerryEngineJob *job, const char *step, char **hook_key)
{
	JsonArray *hooks = ferry_json_path_array(job->status, "hooks");
	JsonObject *all = ferry_json_path_object(job->context, "hooks");

	for (guint i = 0; hooks != NULL && i < json_array_get_length(hooks); i++) {
		JsonObject *ref = json_array_get_object_element(hooks, i);
		const char *ns, *name;
		g_autofree char *key = NULL;
		if (g_strcmp0(ferry_json_path_string(ref, "step", NULL), step) != 0)
			continue;
		ns = ferry_json_path_string(ref, "hook.namespace",
					   ferry_json_path_string(job->context, "plan.metadata.namespace",
								 "default"));
		name = ferry_json_path_string(ref, "hook.name", "");
		key = g_strdup_printf("%s/%s", ns, name);
		*hook_key = g_strdup(key);
		if (all != NULL && json_object_has_member(all, key))
			return json_object_get_object_member(all, key);
		return NULL;
	}
	return NULL;
}

static gboolean
hook_write(const char *dir, const char *name, const char *data, gsize length, GError **error)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	if (!g_file_set_contents_full(path, data, (gssize)length,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
		ferry_error_convert(error);
		return FALSE;
	}
	return TRUE;
}

static char *
hook_tail(const char *output)
{
	g_auto(GStrv) lines = g_strsplit(output != NULL ? output : "", "\n", -1);
	guint n = g_strv_length(lines);
	guint start = n > HOOK_OUTPUT_TAIL_LINES ? n - HOOK_OUTPUT_TAIL_LINES : 0;
	return g_strjoinv("\n", lines + start);
}

typedef struct {
	GMainLoop *loop;
	gboolean timed_out;
} HookWait;

static gboolean
hook_timeout_cb(gpointer data)
{
	HookWait *wait = data;
	wait->timed_out = TRUE;
	g_main_loop_quit(wait->loop);
	return G_SOURCE_REMOVE;
}

static void
hook_done_cb(GObject *source, GAsyncResult *result, gpointer data)
{
	HookWait *wait = data;
	g_main_loop_quit(wait->loop);
}

static void
hook_child_setup(gpointer data)
{
	/* a group of its own: a timeout kills what the hook started too */
	setpgid(0, 0);
}

/* kills the hook's process group, then reaps the hook */
static void
hook_kill(GSubprocess *process)
{
	const char *identifier = g_subprocess_get_identifier(process);
	gint64 pid = identifier != NULL ? g_ascii_strtoll(identifier, NULL, 10) : 0;

	if (pid > 0)
		kill(-(pid_t)pid, SIGKILL);
	g_subprocess_force_exit(process);
	g_subprocess_wait(process, NULL, NULL);
}

/* runs once; returns FALSE with the reason and the output's tail;
 * @default_deadline says whether @deadline is the setting's (the Hook has
 * no spec.deadline) */
static gboolean
hook_run_once(FerryEngineJob *job,
	      const char *hook_name,
	      const char *dir,
	      const char *const *argv,
	      gint64 deadline,
	      gboolean default_deadline,
	      GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
				      G_SUBPROCESS_FLAGS_STDERR_SILENCE);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GMainContext) context = g_main_context_new();
	g_autoptr(GMainLoop) loop = g_main_loop_new(context, FALSE);
	g_autoptr(GSource) timeout = NULL;
	HookWait wait = {loop, FALSE};

	g_subprocess_launcher_set_cwd(launcher, dir);
	g_subprocess_launcher_set_child_setup(launcher, hook_child_setup, NULL, NULL);
	g_subprocess_launcher_setenv(launcher, "FERRY_HOOK_DIR", dir, TRUE);
	g_subprocess_launcher_setenv(launcher, "FERRY_VM_ID", job->vm_id, TRUE);
	g_subprocess_launcher_setenv(launcher, "FERRY_PLAN",
				     ferry_json_path_string(job->context, "plan.metadata.name", ""), TRUE);
	process = g_subprocess_launcher_spawnv(launcher, argv, error);
	if (process == NULL) {
		g_prefix_error(error, "Hook/%s: ", hook_name);
		return FALSE;
	}
	g_main_context_push_thread_default(context);
	g_subprocess_wait_async(process, job->cancellable, hook_done_cb, &wait);
	if (deadline > 0) {
		timeout = g_timeout_source_new_seconds((guint)MIN(deadline, G_MAXUINT));
		g_source_set_callback(timeout, hook_timeout_cb, &wait, NULL);
		g_source_attach(timeout, context);
	}
	g_main_loop_run(loop);
	if (wait.timed_out || g_cancellable_is_cancelled(job->cancellable)) {
		hook_kill(process);
		/* the cancelled or finished wait_async still dispatches its callback */
		while (g_main_context_iteration(context, FALSE))
			;
	}
	if (timeout != NULL)
		g_source_destroy(timeout);
	g_main_context_pop_thread_default(context);

	if (g_cancellable_set_error_if_cancelled(job->cancellable, error))
		return FALSE;
	if (wait.timed_out && default_deadline) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
			    "Hook/%s did not finish within %" G_GINT64_FORMAT
			    " s (it has no spec.deadline; the default is the setting "
			    HOOK_DEFAULT_DEADLINE_SETTING
			    "); it was stopped. Set spec.deadline or fix the hook",
			    hook_name, deadline);
		return FALSE;
	}
	if (wait.timed_out) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
			    "Hook/%s did not finish within its deadline of %" G_GINT64_FORMAT
			    " s; it was stopped. Raise spec.deadline or fix the hook",
			    hook_name, deadline);
		return FALSE;
	}
	if (!g_subprocess_get_if_exited(process) || g_subprocess_get_exit_status(process) != 0) {
		g_autofree char *log_path = g_build_filename(dir, "output.log", NULL);
		g_autofree char *log = NULL;
		g_autofree char *tail = NULL;
		g_file_get_contents(log_path, &log, NULL, NULL);
		tail = hook_tail(log);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "Hook/%s failed (exit status %d); last output:\n%s", hook_name,
			    g_subprocess_get_if_exited(process) ? g_subprocess_get_exit_status(process)
								: -1,
			    tail);
		return FALSE;
	}
	return TRUE;
}

FerryPhaseResult
ferry_engine_phase_hook(FerryEngineJob *job, GError **error);

FerryPhaseResult
ferry_engine_phase_hook(FerryEngineJob *job, GError **error)
{
	g_autofree char *hook_key = NULL;
	JsonObject *hook = hook_find(job, job->phase, &hook_key);
	g_autofree char *dir = NULL;
	g_autofree char *plan_text = NULL;
	g_autofree char *workload_text = NULL;
	g_autofree char *command = NULL;
	const char *playbook = NULL;
	const char *annotation;
	gint64 deadline;
	gboolean default_deadline;
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GError) last_error = NULL;
	gint64 row;
	JsonObject *workload;

	if (hook_key == NULL)
		return FERRY_PHASE_DONE;
	if (hook == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "VM %s: %s Hook/%s does not exist; create it or remove it from the plan",
			    job->vm_id, job->phase, hook_key);
		return FERRY_PHASE_FAIL;
	}
	{
		/* an annotation key has dots: no path lookup */
		JsonObject *annotations = ferry_json_path_object(hook, "metadata.annotations");
		annotation = annotations != NULL ? json_object_get_string_member_with_default(
						       annotations, HOOK_COMMAND_ANNOTATION, NULL)
						 : NULL;
	}
	playbook = ferry_json_path_string(hook, "spec.playbook", NULL);
	if (annotation == NULL && playbook == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "Hook/%s has no playbook and no '%s' annotation; Ferry runs hooks "
			    "locally and cannot run the image %s",
			    hook_key, HOOK_COMMAND_ANNOTATION,
			    ferry_json_path_string(hook, "spec.image", "(none)"));
		return FERRY_PHASE_FAIL;
	}
	deadline = ferry_json_path_int(hook, "spec.deadline", 0);
	default_deadline = deadline <= 0;
	if (default_deadline)
		deadline = MAX(1, ferry_engine_get_setting_int(job->engine,
							       HOOK_DEFAULT_DEADLINE_SETTING,
							       HOOK_DEFAULT_DEADLINE));

	dir = g_build_filename(ferry_engine_get_state_dir(job->engine), "hooks", job->migration_uid,
			       job->vm_id, job->phase, NULL);
	json_object_set_string_member(details, "path", dir);
	row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id, "local",
					 "directory", dir, details, error);
	if (row == 0)
		return FERRY_PHASE_FAIL;
	if (g_mkdir_with_parents(dir, 0700) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot create %s", dir);
		return FERRY_PHASE_FAIL;
	}
	ferry_engine_ledger_created(job->ledger, row, NULL, NULL);

	/* JSON is YAML: ansible reads these as it reads Forklift's */
	plan_text = ferry_json_to_string(ferry_json_path_object(job->context, "plan"));
	workload = ferry_json_path_object(job->context, "vms");
	workload = workload != NULL && json_object_has_member(workload, job->vm_id)
		       ? json_object_get_object_member(workload, job->vm_id)
		       : NULL;
	workload_text = workload != NULL ? ferry_json_to_string(workload) : g_strdup("{}");
	if (!hook_write(dir, "plan.yml", plan_text, strlen(plan_text), error) ||
	    !hook_write(dir, "workload.yml", workload_text, strlen(workload_text), error))
		return FERRY_PHASE_FAIL;
	if (playbook != NULL) {
		gsize length = 0;
		g_autofree guchar *decoded = g_base64_decode(playbook, &length);
		if (!hook_write(dir, "playbook.yml", (const char *)decoded, length, error))
			return FERRY_PHASE_FAIL;
	}
	/* on lines of its own: a command that ends in a comment or lacks its
	 * last newline still closes the subshell */
	command = annotation != NULL ? g_strdup_printf("(\n%s\n) > output.log 2>&1", annotation)
				     : g_strdup("ansible-playbook -i localhost, -c local "
						"playbook.yml > output.log 2>&1");
	for (guint attempt = 1; attempt <= HOOK_RETRY; attempt++) {
		const char *argv[] = {"/bin/sh", "-c", command, NULL};
		g_clear_error(&last_error);
		if (hook_run_once(job, hook_key, dir, argv, deadline, default_deadline,
				  &last_error)) {
			ferry_engine_ledger_forget(job->ledger, row, NULL);
			{
				g_autofree char *log = g_build_filename(dir, "output.log", NULL);
				const char *names[] = {"plan.yml", "workload.yml", "playbook.yml"};
				for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
					g_autofree char *p = g_build_filename(dir, names[i], NULL);
					g_unlink(p);
				}
				g_unlink(log);
				g_rmdir(dir);
			}
			return FERRY_PHASE_DONE;
		}
		if (g_cancellable_is_cancelled(job->cancellable))
			break;
		if (g_error_matches(last_error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT)) {
			/* the deadline bounds the hook as a whole: not tried again here,
			 * nor by the engine, which retries timed-out phases */
			last_error->code = FERRY_ERROR_FAILED;
			break;
		}
	}
	g_propagate_error(error, g_steal_pointer(&last_error));
	return FERRY_PHASE_FAIL;
}
