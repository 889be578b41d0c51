/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-vcsim-runner.h"

/* removes a flat directory of files */
void
ferry_vcsim_remove_dir(const char *path)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;

	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *file = g_build_filename(path, name, NULL);
		g_unlink(file);
	}
	g_rmdir(path);
}

void
ferry_vcsim_free(FerryVcsim *self)
{
	if (self == NULL)
		return;
	if (self->process != NULL) {
		g_subprocess_send_signal(self->process, SIGTERM);
		g_subprocess_wait(self->process, NULL, NULL);
		g_object_unref(self->process);
	}
	if (self->cbt_dir != NULL)
		ferry_vcsim_remove_dir(self->cbt_dir);
	g_free(self->url);
	g_free(self->ca);
	g_free(self->thumbprint);
	g_free(self->datastore);
	g_free(self->cbt_dir);
	g_free(self);
}

static gboolean
take_value(const char *line, const char *key, char **value)
{
	if (!g_str_has_prefix(line, key))
		return FALSE;
	g_free(*value);
	*value = g_strdup(line + strlen(key));
	return TRUE;
}

/**
 * ferry_vcsim_start:
 * @binary: the ferry-vcsim program
 * @cert_dir: (nullable): where its certificate is kept (made on first use);
 *   %NULL serves plain HTTP
 * @args: (nullable): more flags, e.g. `-vm=300`
 * @quiet: silence the simulator's log on stderr
 * @error: return location for a #GError
 *
 * Starts the simulator on a free port of 127.0.0.1 with user admin and
 * password Secret-Pa55, and waits until it serves. It stops when freed, or
 * when this process dies (it reads the end of its stdin).
 *
 * Returns: (transfer full): the running simulator
 */
FerryVcsim *
ferry_vcsim_start(const char *binary,
		  const char *cert_dir,
		  const char *const *args,
		  gboolean quiet,
		  GError **error)
{
	g_autoptr(FerryVcsim) self = g_new0(FerryVcsim, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GDataInputStream) lines = NULL;

	self->cbt_dir = g_dir_make_tmp("ferry-vcsim-cbt-XXXXXX", error);
	if (self->cbt_dir == NULL)
		return NULL;
	g_ptr_array_add(argv, g_strdup(binary));
	g_ptr_array_add(argv, g_strdup("-exit-on-eof"));
	if (cert_dir != NULL)
		g_ptr_array_add(argv, g_strdup_printf("-certdir=%s", cert_dir));
	g_ptr_array_add(argv, g_strdup_printf("-cbtdir=%s", self->cbt_dir));
	g_ptr_array_add(argv, g_strdup("-username=" FERRY_VCSIM_USER));
	g_ptr_array_add(argv, g_strdup("-password=" FERRY_VCSIM_PASSWORD));
	for (guint i = 0; args != NULL && args[i] != NULL; i++)
		g_ptr_array_add(argv, g_strdup(args[i]));
	g_ptr_array_add(argv, NULL);
	self->process = g_subprocess_newv((const char *const *)argv->pdata,
					  G_SUBPROCESS_FLAGS_STDIN_PIPE |
					      G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					      (quiet ? G_SUBPROCESS_FLAGS_STDERR_SILENCE : 0),
					  error);
	if (self->process == NULL)
		return NULL;
	lines = g_data_input_stream_new(g_subprocess_get_stdout_pipe(self->process));
	for (;;) {
		g_autofree char *line = g_data_input_stream_read_line(lines, NULL, NULL, error);
		if (line == NULL) {
			if (error != NULL && *error == NULL)
				g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
					    "%s stopped before it was ready", binary);
			return NULL;
		}
		if (g_strcmp0(line, "VCSIM_READY") == 0)
			break;
		if (take_value(line, "VCSIM_URL=", &self->url) ||
		    take_value(line, "VCSIM_CA=", &self->ca) ||
		    take_value(line, "VCSIM_THUMBPRINT=", &self->thumbprint))
			continue;
		take_value(line, "VCSIM_DATASTORE_LocalDS_0=", &self->datastore);
	}
	if (self->url == NULL || (cert_dir != NULL && self->ca == NULL)) {
		g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
			    "%s did not say where it listens", binary);
		return NULL;
	}
	return g_steal_pointer(&self);
}
