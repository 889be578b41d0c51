/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#define _GNU_SOURCE /* SEEK_DATA */
#include "config.h"

#include <glib/gstdio.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-disk-endpoint.h"
#include "ferry-error.h"

/**
 * FerryDiskEndpoint:
 *
 * One end of a disk copy: an NBD URI (`nbd+unix:///?socket=…`, `nbd://host/`)
 * or a local file or block device, plus whatever serves it. A provider's
 * `open_disk` typically starts nbdkit or qemu-nbd and hands the child
 * process to the endpoint with ferry_disk_endpoint_add_process(); closing
 * the endpoint (or dropping the last reference) stops those processes and
 * removes the files registered with ferry_disk_endpoint_add_cleanup_path().
 * What is neither a local process nor a file (a port-forward to a pod, the
 * pod itself) is released by a function given to
 * ferry_disk_endpoint_add_close_func().
 *
 * A deferred endpoint (ferry_disk_endpoint_new_deferred()) knows its disk
 * (size, format, description) but is served only when something needs its
 * bytes and calls ferry_disk_endpoint_open(): a destination whose serving
 * is costly (a pod and a port-forward) does not serve a disk that a
 * transfer method writes by other means.
 *
 * Since: 0.1
 */
struct _FerryDiskEndpoint {
	GObject parent_instance;
	FerryDiskRole role;
	char *uri;
	char *path;
	char *format;
	char *disk_id;
	char *description;
	guint64 size;
	gboolean zeroed;
	GPtrArray *processes;	  /* of GSubprocess */
	GPtrArray *cleanup_paths; /* of utf8 */
	GPtrArray *artifacts;	  /* of utf8: kind, id, kind, id, … */
	GPtrArray *close_funcs;	  /* of FerryDiskEndpointCloser */
	gboolean closed;
	FerryDiskEndpointOpenFunc open_func; /* until opened */
	gpointer open_data;
	GDestroyNotify open_destroy;
};

typedef struct {
	FerryDiskEndpointCloseFunc func;
	gpointer user_data;
	GDestroyNotify destroy;
} FerryDiskEndpointCloser;

static void
ferry_disk_endpoint_closer_free(gpointer data)
{
	FerryDiskEndpointCloser *closer = data;
	if (closer->destroy != NULL)
		closer->destroy(closer->user_data);
	g_free(closer);
}

G_DEFINE_TYPE(FerryDiskEndpoint, ferry_disk_endpoint, G_TYPE_OBJECT)

/* how a deferred endpoint is named until something describes it */
#define DEFERRED_DESCRIPTION "a disk not served yet"

static void
ferry_disk_endpoint_dispose(GObject *object)
{
	FerryDiskEndpoint *self = FERRY_DISK_ENDPOINT(object);
	g_autoptr(GError) error = NULL;
	if (!ferry_disk_endpoint_close(self, &error))
		g_warning("closing %s: %s", self->description, error->message);
	G_OBJECT_CLASS(ferry_disk_endpoint_parent_class)->dispose(object);
}

static void
ferry_disk_endpoint_finalize(GObject *object)
{
	FerryDiskEndpoint *self = FERRY_DISK_ENDPOINT(object);
	g_free(self->uri);
	g_free(self->path);
	g_free(self->format);
	g_free(self->disk_id);
	g_free(self->description);
	g_ptr_array_unref(self->processes);
	g_ptr_array_unref(self->cleanup_paths);
	g_ptr_array_unref(self->artifacts);
	g_ptr_array_unref(self->close_funcs);
	if (self->open_destroy != NULL)
		self->open_destroy(self->open_data);
	G_OBJECT_CLASS(ferry_disk_endpoint_parent_class)->finalize(object);
}

static void
ferry_disk_endpoint_class_init(FerryDiskEndpointClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = ferry_disk_endpoint_dispose;
	object_class->finalize = ferry_disk_endpoint_finalize;
}

static void
ferry_disk_endpoint_init(FerryDiskEndpoint *self)
{
	self->processes = g_ptr_array_new_with_free_func(g_object_unref);
	self->cleanup_paths = g_ptr_array_new_with_free_func(g_free);
	self->artifacts = g_ptr_array_new_with_free_func(g_free);
	self->close_funcs = g_ptr_array_new_with_free_func(ferry_disk_endpoint_closer_free);
	self->format = g_strdup("raw");
}

/**
 * ferry_disk_endpoint_new_nbd:
 * @role: source or target
 * @uri: an NBD URI
 *
 * Returns: (transfer full): a new endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_disk_endpoint_new_nbd(FerryDiskRole role, const char *uri)
{
	FerryDiskEndpoint *self;
	g_return_val_if_fail(uri != NULL, NULL);
	self = g_object_new(FERRY_TYPE_DISK_ENDPOINT, NULL);
	self->role = role;
	self->uri = g_strdup(uri);
	self->description = g_strdup(uri);
	return self;
}

/**
 * ferry_disk_endpoint_new_file:
 * @role: source or target
 * @path: a local file or block device
 *
 * Returns: (transfer full): a new endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_disk_endpoint_new_file(FerryDiskRole role, const char *path)
{
	FerryDiskEndpoint *self;
	g_return_val_if_fail(path != NULL, NULL);
	self = g_object_new(FERRY_TYPE_DISK_ENDPOINT, NULL);
	self->role = role;
	self->path = g_strdup(path);
	self->description = g_strdup(path);
	return self;
}

/**
 * ferry_disk_endpoint_new_deferred:
 * @role: source or target
 * @func: (scope notified): serves the disk, at the first
 *   ferry_disk_endpoint_open()
 * @user_data: (closure): data for @func
 * @destroy: (nullable): frees @user_data when the endpoint goes
 *
 * An endpoint whose disk is served only when it is opened; until then it
 * has neither a URI nor a path. Set its size, format and description as
 * for any endpoint.
 *
 * Returns: (transfer full): a new endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_disk_endpoint_new_deferred(FerryDiskRole role,
				 FerryDiskEndpointOpenFunc func,
				 gpointer user_data,
				 GDestroyNotify destroy)
{
	FerryDiskEndpoint *self;
	g_return_val_if_fail(func != NULL, NULL);
	self = g_object_new(FERRY_TYPE_DISK_ENDPOINT, NULL);
	self->role = role;
	self->open_func = func;
	self->open_data = user_data;
	self->open_destroy = destroy;
	self->description = g_strdup(DEFERRED_DESCRIPTION);
	return self;
}

/**
 * ferry_disk_endpoint_open:
 * @self: a #FerryDiskEndpoint
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Serves a deferred endpoint's disk; does nothing for an endpoint that is
 * served already (any other endpoint). Whoever reads or writes an
 * endpoint's URI or path calls it first.
 *
 * Returns: %FALSE with @error set when the disk cannot be served (it may
 *   be tried again)
 *
 * Since: 0.1
 */
gboolean
ferry_disk_endpoint_open(FerryDiskEndpoint *self, GCancellable *cancellable, GError **error)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), FALSE);
	if (self->open_func == NULL)
		return TRUE;
	if (self->closed) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "%s: the endpoint is closed", self->description);
		return FALSE;
	}
	if (!self->open_func(self, self->open_data, cancellable, error))
		return FALSE;
	/* an open function that did not describe the disk: its URI does */
	if (self->uri != NULL && g_strcmp0(self->description, DEFERRED_DESCRIPTION) == 0) {
		g_free(self->description);
		self->description = g_strdup(self->uri);
	}
	if (self->open_destroy != NULL)
		self->open_destroy(self->open_data);
	self->open_func = NULL;
	self->open_data = NULL;
	self->open_destroy = NULL;
	return TRUE;
}

/**
 * ferry_disk_endpoint_is_deferred:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: whether the endpoint waits for ferry_disk_endpoint_open()
 *
 * Since: 0.1
 */
gboolean
ferry_disk_endpoint_is_deferred(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), FALSE);
	return self->open_func != NULL;
}

/**
 * ferry_disk_endpoint_set_uri:
 * @self: a #FerryDiskEndpoint
 * @uri: the NBD URI that serves the disk, for a deferred endpoint's
 *   #FerryDiskEndpointOpenFunc
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_uri(FerryDiskEndpoint *self, const char *uri)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(uri != NULL);
	g_free(self->uri);
	self->uri = g_strdup(uri);
}

static int
endpoint_errno_code(int errno_value)
{
	g_autoptr(GError) error =
	    g_error_new_literal(G_FILE_ERROR, g_file_error_from_errno(errno_value), "");
	ferry_error_convert(&error);
	return error->code;
}

/**
 * ferry_disk_endpoint_new_raw_target:
 * @path: where the disk image goes
 * @capacity: its size in bytes
 * @display: (nullable): how errors name the disk, such as `VM web-01: disk 0`
 * @error: return location for a #GError
 *
 * The target endpoint of a destination that keeps disks as sparse raw files:
 * creates the file at @path with @capacity bytes (mode 0644), or, when it is
 * there already, checks that it is a regular file of that size, so preparing
 * a disk again is harmless. The endpoint is marked zeroed when the file holds
 * no data yet, so a copy may skip zero areas. The folder must exist.
 *
 * Returns: (transfer full): the endpoint (raw, sized), or %NULL with @error
 *   set
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_disk_endpoint_new_raw_target(const char *path,
				   guint64 capacity,
				   const char *display,
				   GError **error)
{
	g_autoptr(FerryDiskEndpoint) self = NULL;
	gboolean zeroed = FALSE;
	struct stat info;
	int fd;

	g_return_val_if_fail(path != NULL, NULL);
	if (display == NULL)
		display = path;
	fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd >= 0) {
		if (ftruncate(fd, (off_t)capacity) != 0) {
			int saved_errno = errno;
			close(fd);
			g_unlink(path);
			g_set_error(error, FERRY_ERROR, endpoint_errno_code(saved_errno),
				    "%s: cannot size the disk image %s to %" G_GUINT64_FORMAT
				    " bytes: %s",
				    display, path, capacity, g_strerror(saved_errno));
			return NULL;
		}
		close(fd);
		zeroed = TRUE;
	} else if (errno != EEXIST) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, endpoint_errno_code(saved_errno),
			    "%s: cannot create the disk image %s: %s", display, path,
			    g_strerror(saved_errno));
		return NULL;
	} else {
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fstat(fd, &info) != 0 || !S_ISREG(info.st_mode) ||
		    (guint64)info.st_size != capacity) {
			if (fd >= 0)
				close(fd);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "%s: %s exists but is not a %" G_GUINT64_FORMAT
				    "-byte disk image; remove it (ferry plan delete, or by hand) "
				    "and run the migration again",
				    display, path, capacity);
			return NULL;
		}
		/* a file left by an interrupted copy is only zeroed if nothing was written */
		zeroed = lseek(fd, 0, SEEK_DATA) < 0 && errno == ENXIO;
		close(fd);
	}
	self = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, path);
	ferry_disk_endpoint_set_size(self, capacity);
	ferry_disk_endpoint_set_format(self, "raw");
	ferry_disk_endpoint_set_zeroed(self, zeroed);
	return g_steal_pointer(&self);
}

/**
 * ferry_disk_endpoint_get_role:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: the role
 *
 * Since: 0.1
 */
FerryDiskRole
ferry_disk_endpoint_get_role(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), FERRY_DISK_ROLE_SOURCE);
	return self->role;
}

/**
 * ferry_disk_endpoint_get_uri:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer none) (nullable): the NBD URI, or %NULL for a local file
 *
 * Since: 0.1
 */
const char *
ferry_disk_endpoint_get_uri(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->uri;
}

/**
 * ferry_disk_endpoint_get_path:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer none) (nullable): the local path, or %NULL for NBD
 *
 * Since: 0.1
 */
const char *
ferry_disk_endpoint_get_path(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->path;
}

/**
 * ferry_disk_endpoint_set_size:
 * @self: a #FerryDiskEndpoint
 * @size: the virtual size in bytes, when known
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_size(FerryDiskEndpoint *self, guint64 size)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	self->size = size;
}

/**
 * ferry_disk_endpoint_get_size:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: the virtual size in bytes, 0 when unknown
 *
 * Since: 0.1
 */
guint64
ferry_disk_endpoint_get_size(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), 0);
	return self->size;
}

/**
 * ferry_disk_endpoint_set_format:
 * @self: a #FerryDiskEndpoint
 * @format: the image format of the bytes the endpoint exposes (`raw` by default)
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_format(FerryDiskEndpoint *self, const char *format)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(format != NULL);
	g_free(self->format);
	self->format = g_strdup(format);
}

/**
 * ferry_disk_endpoint_get_format:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer none): the image format
 *
 * Since: 0.1
 */
const char *
ferry_disk_endpoint_get_format(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->format;
}

/**
 * ferry_disk_endpoint_set_disk_id:
 * @self: a #FerryDiskEndpoint
 * @disk_id: (nullable): the id of the disk in the VM document
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_disk_id(FerryDiskEndpoint *self, const char *disk_id)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_free(self->disk_id);
	self->disk_id = g_strdup(disk_id);
}

/**
 * ferry_disk_endpoint_get_disk_id:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer none) (nullable): the disk id
 *
 * Since: 0.1
 */
const char *
ferry_disk_endpoint_get_disk_id(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->disk_id;
}

/**
 * ferry_disk_endpoint_set_description:
 * @self: a #FerryDiskEndpoint
 * @description: how messages name this disk, e.g. `vm-42 disk 2000`;
 *   must not contain credentials
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_description(FerryDiskEndpoint *self, const char *description)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(description != NULL);
	g_free(self->description);
	self->description = g_strdup(description);
}

/**
 * ferry_disk_endpoint_get_description:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer none): the description
 *
 * Since: 0.1
 */
const char *
ferry_disk_endpoint_get_description(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->description;
}

/**
 * ferry_disk_endpoint_set_zeroed:
 * @self: a #FerryDiskEndpoint
 * @zeroed: whether a target is known to read as zeroes everywhere (a fresh
 *   sparse file or volume), so zero ranges need not be written
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_set_zeroed(FerryDiskEndpoint *self, gboolean zeroed)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	self->zeroed = zeroed;
}

/**
 * ferry_disk_endpoint_get_zeroed:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: whether the target is known to read as zeroes
 *
 * Since: 0.1
 */
gboolean
ferry_disk_endpoint_get_zeroed(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), FALSE);
	return self->zeroed;
}

/**
 * ferry_disk_endpoint_add_process:
 * @self: a #FerryDiskEndpoint
 * @process: a child process serving the disk; the endpoint stops it on close
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_add_process(FerryDiskEndpoint *self, GSubprocess *process)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(G_IS_SUBPROCESS(process));
	g_ptr_array_add(self->processes, g_object_ref(process));
}

/**
 * ferry_disk_endpoint_get_processes:
 * @self: a #FerryDiskEndpoint
 *
 * The engine records these so that it can stop them after a crash.
 *
 * Returns: (transfer none) (element-type GSubprocess): the serving processes
 *
 * Since: 0.1
 */
GPtrArray *
ferry_disk_endpoint_get_processes(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	return self->processes;
}

/**
 * ferry_disk_endpoint_dup_cleanup_paths:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: (transfer full): the files and directories removed on close
 *
 * Since: 0.1
 */
GStrv
ferry_disk_endpoint_dup_cleanup_paths(FerryDiskEndpoint *self)
{
	GStrv paths;
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), NULL);
	paths = g_new0(char *, self->cleanup_paths->len + 1);
	for (guint i = 0; i < self->cleanup_paths->len; i++)
		paths[i] = g_strdup(g_ptr_array_index(self->cleanup_paths, i));
	return paths;
}

/**
 * ferry_disk_endpoint_add_cleanup_path:
 * @self: a #FerryDiskEndpoint
 * @path: a file or empty directory to remove on close (a socket, a pid file)
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_add_cleanup_path(FerryDiskEndpoint *self, const char *path)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(path != NULL);
	g_ptr_array_add(self->cleanup_paths, g_strdup(path));
}

/**
 * ferry_disk_endpoint_add_artifact:
 * @self: a #FerryDiskEndpoint
 * @kind: the kind of object, as the provider's remove_artifact knows it
 * @id: its id
 *
 * Names an object the provider created on its side to serve this endpoint
 * (an oVirt image transfer) and releases when the endpoint closes. The
 * engine records it in its ledger while the endpoint is open, so that after
 * a crash the provider's remove_artifact releases it once.
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_add_artifact(FerryDiskEndpoint *self, const char *kind, const char *id)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(kind != NULL && id != NULL);
	g_ptr_array_add(self->artifacts, g_strdup(kind));
	g_ptr_array_add(self->artifacts, g_strdup(id));
}

/**
 * ferry_disk_endpoint_get_n_artifacts:
 * @self: a #FerryDiskEndpoint
 *
 * Returns: how many objects ferry_disk_endpoint_add_artifact() named
 *
 * Since: 0.1
 */
guint
ferry_disk_endpoint_get_n_artifacts(FerryDiskEndpoint *self)
{
	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), 0);
	return self->artifacts->len / 2;
}

/**
 * ferry_disk_endpoint_get_artifact:
 * @self: a #FerryDiskEndpoint
 * @index: below ferry_disk_endpoint_get_n_artifacts()
 * @kind: (out) (transfer none): its kind
 * @id: (out) (transfer none): its id
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_get_artifact(FerryDiskEndpoint *self,
				 guint index,
				 const char **kind,
				 const char **id)
{
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(index < self->artifacts->len / 2);
	*kind = g_ptr_array_index(self->artifacts, 2 * index);
	*id = g_ptr_array_index(self->artifacts, 2 * index + 1);
}

/**
 * ferry_disk_endpoint_add_close_func:
 * @self: a #FerryDiskEndpoint
 * @func: (scope notified): called once when the endpoint is closed
 * @user_data: (closure): data for @func
 * @destroy: (nullable): frees @user_data after @func ran (or when the
 *   endpoint goes without having been closed, which does not happen: the
 *   last reference closes it)
 *
 * Registers what else closing the endpoint must release, such as the
 * port-forward and the transfer pod behind an NBD URI. The functions run
 * before the processes are stopped and the files removed, the last added
 * first; a failure is reported by ferry_disk_endpoint_close() and does not
 * keep the others from running.
 *
 * Since: 0.1
 */
void
ferry_disk_endpoint_add_close_func(FerryDiskEndpoint *self,
				   FerryDiskEndpointCloseFunc func,
				   gpointer user_data,
				   GDestroyNotify destroy)
{
	FerryDiskEndpointCloser *closer;
	g_return_if_fail(FERRY_IS_DISK_ENDPOINT(self));
	g_return_if_fail(func != NULL);
	closer = g_new0(FerryDiskEndpointCloser, 1);
	closer->func = func;
	closer->user_data = user_data;
	closer->destroy = destroy;
	g_ptr_array_add(self->close_funcs, closer);
}

/* a child that leads its own process group (as FerryNbdServer's do) is
 * stopped with everything it started */
static void
ferry_disk_endpoint_signal(GSubprocess *process, int signal_number)
{
	const char *identifier = g_subprocess_get_identifier(process);
	pid_t pid = identifier != NULL ? (pid_t)g_ascii_strtoll(identifier, NULL, 10) : 0;

	if (pid > 0 && getpgid(pid) == pid)
		kill(-pid, signal_number);
	else
		g_subprocess_send_signal(process, signal_number);
}

static gboolean
ferry_disk_endpoint_stop_process(GSubprocess *process)
{
	/* a polite SIGTERM first; SIGKILL after 5 s */
	if (g_subprocess_get_identifier(process) == NULL)
		return TRUE;
	ferry_disk_endpoint_signal(process, SIGTERM);
	for (guint i = 0; i < 500; i++) {
		if (g_subprocess_get_identifier(process) == NULL)
			return TRUE;
		/* reaping happens in the GLib worker thread */
		g_usleep(10 * 1000);
	}
	ferry_disk_endpoint_signal(process, SIGKILL);
	return g_subprocess_wait(process, NULL, NULL);
}

/**
 * ferry_disk_endpoint_close:
 * @self: a #FerryDiskEndpoint
 * @error: return location for a #GError
 *
 * Runs the close functions, stops the serving processes and removes the
 * registered files. Closing twice is harmless.
 *
 * Returns: %FALSE when a close function failed or a registered file could
 *   not be removed
 *
 * Since: 0.1
 */
gboolean
ferry_disk_endpoint_close(FerryDiskEndpoint *self, GError **error)
{
	gboolean ok = TRUE;

	g_return_val_if_fail(FERRY_IS_DISK_ENDPOINT(self), FALSE);
	if (self->closed)
		return TRUE;
	self->closed = TRUE;
	for (guint i = self->close_funcs->len; i > 0; i--) {
		FerryDiskEndpointCloser *closer = g_ptr_array_index(self->close_funcs, i - 1);
		g_autoptr(GError) local_error = NULL;
		if (!closer->func(closer->user_data, &local_error) && ok) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			ok = FALSE;
		}
	}
	g_ptr_array_set_size(self->close_funcs, 0);
	for (guint i = 0; i < self->processes->len; i++)
		ferry_disk_endpoint_stop_process(g_ptr_array_index(self->processes, i));
	g_ptr_array_set_size(self->processes, 0);
	for (guint i = 0; i < self->cleanup_paths->len; i++) {
		const char *path = g_ptr_array_index(self->cleanup_paths, i);
		if (g_remove(path) != 0 && errno != ENOENT && ok) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot remove %s: %s",
				    path, g_strerror(saved_errno));
			ok = FALSE;
		}
	}
	g_ptr_array_set_size(self->cleanup_paths, 0);
	return ok;
}
