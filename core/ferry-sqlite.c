/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <glib/gstdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-error.h"
#include "ferry-sqlite-private.h"

gboolean
ferry_sqlite_set_error(sqlite3 *db, const char *label, const char *path, const char *what,
		       GError **error)
{
	int code = sqlite3_errcode(db);
	FerryError ferry_code = FERRY_ERROR_IO;
	const char *hint = "";

	if (code == SQLITE_FULL) {
		ferry_code = FERRY_ERROR_NO_SPACE;
		hint = "; free some space in that file system and try again";
	} else if (code == SQLITE_BUSY || code == SQLITE_LOCKED) {
		ferry_code = FERRY_ERROR_BUSY;
		hint = "; another ferry is writing to it, try again when it is done";
	} else if (code == SQLITE_READONLY || code == SQLITE_PERM || code == SQLITE_CANTOPEN) {
		ferry_code = FERRY_ERROR_PERMISSION_DENIED;
		hint = "; check that its folder exists and is writable by this user";
	} else if (code == SQLITE_NOTADB || code == SQLITE_CORRUPT) {
		ferry_code = FERRY_ERROR_INVALID_DATA;
		hint = "; it is damaged or not Ferry's: move it away, or use another --state "
		       "directory";
	}
	g_set_error(error, FERRY_ERROR, ferry_code, "%s %s: %s: %s%s", label, path, what,
		    sqlite3_errmsg(db), hint);
	return FALSE;
}

/* creates @path empty with mode 0600 when it does not exist, before SQLite
 * opens it: SQLite creates a database 0644, and gives its journal and WAL
 * files the database's mode */
void
ferry_sqlite_create_private(const char *path)
{
	int fd;

	if (path == NULL || path[0] == '\0' || g_str_equal(path, ":memory:"))
		return;
	fd = g_open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd >= 0)
		close(fd);
}

/* never crosses into another file system: an NFS export or a FUSE disk
 * mounted under the state directory is not Ferry's to change */
static guint
make_private(const char *path, dev_t device)
{
	struct stat st;
	guint fixed = 0;

	if (g_lstat(path, &st) != 0 || S_ISLNK(st.st_mode) || st.st_dev != device)
		return 0;
	if ((st.st_mode & 077) != 0 && g_chmod(path, st.st_mode & 0700) == 0)
		fixed++;
	if (S_ISDIR(st.st_mode)) {
		g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
		const char *name;
		while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
			g_autofree char *child = g_build_filename(path, name, NULL);
			fixed += make_private(child, device);
		}
	}
	return fixed;
}

/* every file and directory under the state directory is private to its
 * owner: what is not is tightened, with a warning when others could reach
 * it through the directory itself */
void
ferry_state_dir_make_private(const char *state_dir)
{
	struct stat st;
	/* the state directory may be a link to the real one */
	g_autofree char *real = realpath(state_dir, NULL);
	gboolean found = real != NULL && g_stat(real, &st) == 0;
	gboolean open_dir = found && (st.st_mode & 077) != 0;
	guint fixed = found ? make_private(real, st.st_dev) : 0;
	static char *warned = NULL;
	G_LOCK_DEFINE_STATIC(warned);

	if (!open_dir)
		return;
	/* said once per process: the store, the ledger and the journals each
	 * open the same directory */
	G_LOCK(warned);
	if (g_strcmp0(warned, real) == 0) {
		G_UNLOCK(warned);
		return;
	}
	g_free(warned);
	warned = g_strdup(real);
	G_UNLOCK(warned);
	if (g_stat(real, &st) == 0 && (st.st_mode & 077) != 0)
		/* not its owner (a volume's mount point, say): say what to do */
		g_warning("the state directory %s can be read by others (mode %04o, owner uid %u) "
			  "and Ferry, running as uid %u, cannot change that; use a folder of "
			  "Ferry's own (a subfolder of the volume: Ferry creates it with mode 0700) "
			  "or chmod 0700 it",
			  state_dir, (guint)(st.st_mode & 07777), (guint)st.st_uid, (guint)getuid());
	else
		g_warning("the state directory %s could be read by others; made %u files and "
			  "folders in it private to their owner (mode 0700/0600)",
			  state_dir, fixed);
}
