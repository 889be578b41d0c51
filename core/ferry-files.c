/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "ferry-error.h"
#include "ferry-files.h"

/**
 * ferry_files_remove_tree:
 * @path: a folder (or a file)
 * @error: (nullable): return location for a #GError
 *
 * Removes @path and everything below it, like `rm -rf`: symbolic links are
 * removed, never followed. A missing @path is not an error. GLib and GIO
 * have no recursive removal.
 *
 * Returns: %TRUE when nothing is left at @path
 *
 * Since: 0.1
 */
gboolean
ferry_files_remove_tree(const char *path, GError **error)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;
	gboolean ok = TRUE;

	g_return_val_if_fail(path != NULL, FALSE);
	if (g_file_test(path, G_FILE_TEST_IS_DIR) && !g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		dir = g_dir_open(path, 0, NULL);
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			if (!ferry_files_remove_tree(child, ok ? error : NULL))
				ok = FALSE;
		}
		if (g_rmdir(path) == 0 || errno == ENOENT)
			return ok;
	} else if (g_unlink(path) == 0 || errno == ENOENT) {
		return ok;
	}
	if (ok) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR,
			    saved_errno == EACCES || saved_errno == EPERM
				? FERRY_ERROR_PERMISSION_DENIED
				: FERRY_ERROR_IO,
			    "cannot remove %s: %s", path, g_strerror(saved_errno));
	}
	return FALSE;
}
