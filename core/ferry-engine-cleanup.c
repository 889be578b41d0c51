/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Clean-up: removing the artefacts the ledger lists, through the provider
 * that made them (source, destination) or here (local files and server
 * processes), and forgetting each once it is gone. */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "ferry-engine-private.h"
#include "ferry-error.h"
#include "ferry-files.h"

/* a process recorded by pid: stop it only if it is still the one we started */
static void
engine_kill_recorded_process(JsonObject *details)
{
	gint64 pid = ferry_json_path_int(details, "pid", 0);
	const char *match = ferry_json_path_string(details, "match", NULL);
	g_autofree char *cmdline_path = NULL;
	g_autofree char *cmdline = NULL;
	gsize length = 0;

	if (pid <= 1)
		return;
	cmdline_path = g_strdup_printf("/proc/%" G_GINT64_FORMAT "/cmdline", pid);
	if (!g_file_get_contents(cmdline_path, &cmdline, &length, NULL))
		return;
	for (gsize i = 0; i + 1 < length; i++) {
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	}
	if (match != NULL && strstr(cmdline, match) == NULL)
		return;
	kill((pid_t)pid, SIGTERM);
	for (guint i = 0; i < 100 && kill((pid_t)pid, 0) == 0; i++)
		g_usleep(20 * 1000);
	if (kill((pid_t)pid, 0) == 0)
		kill((pid_t)pid, SIGKILL);
}

/* removes a file or a whole directory tree, not following links */
static void
engine_remove_tree(GFile *file)
{
	if (g_file_query_file_type(file, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL) ==
	    G_FILE_TYPE_DIRECTORY) {
		g_autoptr(GFileEnumerator) children = g_file_enumerate_children(
		    file, G_FILE_ATTRIBUTE_STANDARD_NAME, G_FILE_QUERY_INFO_NOFOLLOW_SYMLINKS, NULL,
		    NULL);
		GFileInfo *info;
		while (children != NULL &&
		       (info = g_file_enumerator_next_file(children, NULL, NULL)) != NULL) {
			g_autoptr(GFile) child = g_file_get_child(file, g_file_info_get_name(info));
			engine_remove_tree(child);
			g_object_unref(info);
		}
	}
	g_file_delete(file, NULL, NULL);
}

gboolean
engine_remove_local(JsonObject *details, GError **error)
{
	const char *path = ferry_json_path_string(details, "path", NULL);
	JsonArray *paths = ferry_json_path_array(details, "paths");
	if (ferry_json_path_int(details, "pid", 0) > 0)
		engine_kill_recorded_process(details);
	for (guint i = 0; paths != NULL && i < json_array_get_length(paths); i++) {
		g_autoptr(GFile) file = g_file_new_for_path(json_array_get_string_element(paths, i));
		engine_remove_tree(file);
	}
	if (path == NULL)
		return TRUE;
	{
		g_autoptr(GFile) file = g_file_new_for_path(path);
		engine_remove_tree(file);
	}
	if (g_file_test(path, G_FILE_TEST_EXISTS) && g_remove(path) != 0 && errno != ENOENT) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot remove %s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	return TRUE;
}

gboolean
engine_remove_entry(FerryEngine *self,
		    FerryEngineLedgerEntry *entry,
		    JsonObject *context,
		    GError **error)
{
	if (g_strcmp0(entry->side, "local") == 0) {
		if (!engine_remove_local(entry->details, error))
			return FALSE;
	} else {
		JsonObject *ref = ferry_json_path_object(
		    context, g_strcmp0(entry->side, "source") == 0 ? "source" : "destination");
		g_autoptr(FerryProvider) provider = NULL;

		if (ref == NULL)
			ref = ferry_json_path_object(entry->details, "provider");
		provider = ferry_engine_get_provider(self, ref, error);
		if (provider == NULL)
			return FALSE;
		if (!ferry_provider_remove_artifact(provider, entry->kind, entry->artifact_id,
						    entry->details, NULL, error))
			return FALSE;
	}
	return ferry_engine_ledger_forget(self->ledger, entry->row, error);
}

/* removes what a VM's run left: source and local artefacts always, the
 * destination's only when asked (failure with deleteVmOnFailMigration,
 * cancel, archive); otherwise the destination's become the result */
gboolean
ferry_engine_cleanup_vm(FerryEngine *self,
			const char *migration_uid,
			const char *vm_id,
			JsonObject *context,
			FerryCleanupDestination destination,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(GPtrArray) entries = ferry_engine_ledger_list(self->ledger, migration_uid, vm_id);
	gboolean ok = TRUE;

	for (guint i = 0; i < entries->len; i++) {
		FerryEngineLedgerEntry *entry = g_ptr_array_index(entries, i);
		g_autoptr(GError) local_error = NULL;

		if (g_strcmp0(entry->side, "destination") == 0 &&
		    destination != FERRY_CLEANUP_DESTINATION_REMOVE) {
			if (destination == FERRY_CLEANUP_DESTINATION_FORGET)
				ferry_engine_ledger_forget(self->ledger, entry->row, NULL);
			continue;
		}
		if (!engine_remove_entry(self, entry, context, &local_error)) {
			g_warning("migration %s VM %s: cannot remove %s %s: %s", migration_uid,
				  vm_id, entry->kind, entry->artifact_id, local_error->message);
			if (ok)
				g_propagate_error(error, g_steal_pointer(&local_error));
			ok = FALSE;
		}
	}
	/* the VM is done: its copy journals, and the migration's folder of
	 * them once it is empty, go too */
	{
		g_autofree char *run_journals =
		    g_build_filename(self->state_dir, "journals", migration_uid, NULL);
		g_autofree char *vm_journals = g_build_filename(run_journals, vm_id, NULL);
		ferry_files_remove_tree(vm_journals, NULL);
		g_rmdir(run_journals);
	}
	return ok;
}
