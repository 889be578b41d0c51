/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libnbd.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include "ferry-error.h"
#include "ferry-files.h"
#include "ferry-nbd-server.h"

/**
 * FerryNbdServer:
 *
 * One disk served over NBD on a Unix socket by nbdkit or qemu-nbd, for a
 * provider's `open_disk` or `prepare_disk`.
 *
 * The server is started with systemd-style socket activation: Ferry creates
 * the socket in a private 0700 directory, listens on it and hands it to the
 * child as file descriptor 3 (`LISTEN_FDS=1`, `LISTEN_PID`), so the socket
 * accepts connections before the child runs. ferry_nbd_server_start() then
 * completes one NBD handshake (waiting on the socket, not polling a file) and
 * reads the disk's size; when the child stops or refuses instead, the error
 * names the disk and quotes the child's log (its stderr, kept in the private
 * directory, with the secret's values redacted).
 *
 * The child runs in its own process group and receives SIGTERM when Ferry
 * ends (`PR_SET_PDEATHSIG`; the child is forked by one thread that lives as
 * long as the process, so a caller's thread may come and go).
 * ferry_nbd_server_stop(), a cancelled or failed start, and disposing of the
 * object stop the whole group and remove the private directory; an endpoint
 * made with ferry_nbd_server_new_endpoint() takes over both.
 *
 * Secrets never reach a command line: ferry_nbd_server_add_secret_parameter()
 * writes the value to a 0600 file and passes nbdkit `KEY=+FILE`.
 *
 * Since: 0.1
 */
struct _FerryNbdServer {
	GObject parent_instance;
	FerryNbdServerProgram program;
	char *display;
	gboolean read_only;
	guint timeout;
	FerrySecret *secret;
	GPtrArray *arguments; /* of utf8 */
	GPtrArray *environment; /* of utf8: name, value, name, value, … */
	char *dir;	      /* private directory, NULL until needed */
	GPtrArray *files;     /* paths inside dir, in the order made */
	char *socket_path;
	char *log_path;
	char *uri;
	guint64 size;
	GSubprocess *process;
	gboolean started;
	gboolean handed_over; /* an endpoint owns the process and the paths */
};

G_DEFINE_TYPE(FerryNbdServer, ferry_nbd_server, G_TYPE_OBJECT)

#define FERRY_NBD_SERVER_DEFAULT_TIMEOUT 30
#define FERRY_NBD_SERVER_STOP_GRACE_MS 5000

static void
ferry_nbd_server_dispose(GObject *object)
{
	FerryNbdServer *self = FERRY_NBD_SERVER(object);
	g_autoptr(GError) error = NULL;

	if (!ferry_nbd_server_stop(self, &error))
		g_warning("%s: %s", self->display, error->message);
	g_clear_object(&self->secret);
	G_OBJECT_CLASS(ferry_nbd_server_parent_class)->dispose(object);
}

static void
ferry_nbd_server_finalize(GObject *object)
{
	FerryNbdServer *self = FERRY_NBD_SERVER(object);

	g_free(self->display);
	g_ptr_array_unref(self->arguments);
	g_ptr_array_unref(self->environment);
	g_ptr_array_unref(self->files);
	g_free(self->dir);
	g_free(self->socket_path);
	g_free(self->log_path);
	g_free(self->uri);
	g_clear_object(&self->process);
	G_OBJECT_CLASS(ferry_nbd_server_parent_class)->finalize(object);
}

static void
ferry_nbd_server_class_init(FerryNbdServerClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = ferry_nbd_server_dispose;
	object_class->finalize = ferry_nbd_server_finalize;
}

static void
ferry_nbd_server_init(FerryNbdServer *self)
{
	self->arguments = g_ptr_array_new_with_free_func(g_free);
	self->environment = g_ptr_array_new_with_free_func(g_free);
	self->files = g_ptr_array_new_with_free_func(g_free);
	self->timeout = FERRY_NBD_SERVER_DEFAULT_TIMEOUT;
}

/**
 * ferry_nbd_server_new:
 * @program: nbdkit or qemu-nbd
 * @display: how messages name the disk, such as `disk-2000 of VM web-01`;
 *   must not contain credentials
 *
 * Returns: (transfer full): a server, not started yet
 *
 * Since: 0.1
 */
FerryNbdServer *
ferry_nbd_server_new(FerryNbdServerProgram program, const char *display)
{
	FerryNbdServer *self;

	g_return_val_if_fail(display != NULL, NULL);
	self = g_object_new(FERRY_TYPE_NBD_SERVER, NULL);
	self->program = program;
	self->display = g_strdup(display);
	return self;
}

static const char *
ferry_nbd_server_program_name(FerryNbdServer *self)
{
	return self->program == FERRY_NBD_SERVER_NBDKIT ? "nbdkit" : "qemu-nbd";
}

/**
 * ferry_nbd_server_set_read_only:
 * @self: a #FerryNbdServer
 * @read_only: whether clients may only read (nbdkit `--readonly`, qemu-nbd
 *   `--read-only`); %FALSE by default
 *
 * Since: 0.1
 */
void
ferry_nbd_server_set_read_only(FerryNbdServer *self, gboolean read_only)
{
	g_return_if_fail(FERRY_IS_NBD_SERVER(self));
	self->read_only = read_only;
}

/**
 * ferry_nbd_server_set_timeout:
 * @self: a #FerryNbdServer
 * @seconds: how long ferry_nbd_server_start() waits for the first handshake
 *   (30 s by default)
 *
 * Since: 0.1
 */
void
ferry_nbd_server_set_timeout(FerryNbdServer *self, guint seconds)
{
	g_return_if_fail(FERRY_IS_NBD_SERVER(self));
	g_return_if_fail(seconds > 0);
	self->timeout = seconds;
}

/**
 * ferry_nbd_server_set_secret:
 * @self: a #FerryNbdServer
 * @secret: (nullable): credentials whose values are redacted from the
 *   server's log before it appears in an error
 *
 * Since: 0.1
 */
void
ferry_nbd_server_set_secret(FerryNbdServer *self, FerrySecret *secret)
{
	g_return_if_fail(FERRY_IS_NBD_SERVER(self));
	g_set_object(&self->secret, secret);
}

/**
 * ferry_nbd_server_setenv:
 * @self: a #FerryNbdServer, not started yet
 * @name: an environment variable
 * @value: its value for the server (never a secret: environments are
 *   readable in /proc)
 *
 * Sets a variable of the server's environment, such as the PATH from which
 * nbdkit's python plugin finds its interpreter's standard library.
 *
 * Since: 0.1
 */
void
ferry_nbd_server_setenv(FerryNbdServer *self, const char *name, const char *value)
{
	g_return_if_fail(FERRY_IS_NBD_SERVER(self));
	g_return_if_fail(name != NULL && value != NULL);
	g_return_if_fail(!self->started);
	g_ptr_array_add(self->environment, g_strdup(name));
	g_ptr_array_add(self->environment, g_strdup(value));
}

/**
 * ferry_nbd_server_add_argument:
 * @self: a #FerryNbdServer
 * @argument: one argument, after the options the server sets itself: for
 *   nbdkit filters (`--filter=offset`), the plugin and its `KEY=VALUE`
 *   parameters; for qemu-nbd options (`--format=qcow2`) and the image
 *
 * Never pass a credential here: it would be visible on the command line;
 * use ferry_nbd_server_add_secret_parameter().
 *
 * Since: 0.1
 */
void
ferry_nbd_server_add_argument(FerryNbdServer *self, const char *argument)
{
	g_return_if_fail(FERRY_IS_NBD_SERVER(self));
	g_return_if_fail(argument != NULL);
	g_return_if_fail(!self->started);
	g_ptr_array_add(self->arguments, g_strdup(argument));
}

static gboolean
ferry_nbd_server_ensure_dir(FerryNbdServer *self, GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (self->dir != NULL)
		return TRUE;
	self->dir = g_dir_make_tmp("ferry-nbd-XXXXXX", &local_error);
	if (self->dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "%s: cannot create a private directory for %s: %s", self->display,
			    ferry_nbd_server_program_name(self), local_error->message);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_nbd_server_build_private_path:
 * @self: a #FerryNbdServer
 * @name: a file name
 * @error: return location for a #GError
 *
 * A path in the server's private 0700 directory, for a file the caller
 * writes for the server (a cookie, a CA bundle). The file is removed with the
 * directory.
 *
 * Returns: (transfer full): the path, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
ferry_nbd_server_build_private_path(FerryNbdServer *self, const char *name, GError **error)
{
	char *path;

	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	g_return_val_if_fail(name != NULL && strchr(name, '/') == NULL, NULL);
	if (!ferry_nbd_server_ensure_dir(self, error))
		return NULL;
	path = g_build_filename(self->dir, name, NULL);
	g_ptr_array_add(self->files, g_strdup(path));
	return path;
}

/**
 * ferry_nbd_server_add_secret_parameter:
 * @self: a #FerryNbdServer for nbdkit
 * @key: an nbdkit plugin parameter that accepts `+FILE`, such as `password`
 * @value: the secret
 * @error: return location for a #GError
 *
 * Writes @value to a 0600 file in the private directory and passes
 * `KEY=+FILE` to nbdkit, so the secret is on no command line.
 *
 * Returns: %TRUE when the file was written
 *
 * Since: 0.1
 */
gboolean
ferry_nbd_server_add_secret_parameter(FerryNbdServer *self,
				      const char *key,
				      const char *value,
				      GError **error)
{
	g_autofree char *name = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), FALSE);
	g_return_val_if_fail(self->program == FERRY_NBD_SERVER_NBDKIT, FALSE);
	g_return_val_if_fail(key != NULL && value != NULL, FALSE);
	name = g_strdup_printf("secret-%s", key);
	path = ferry_nbd_server_build_private_path(self, name, error);
	if (path == NULL)
		return FALSE;
	if (!g_file_set_contents_full(path, value, -1, G_FILE_SET_CONTENTS_NONE, 0600,
				      &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot write %s: %s",
			    self->display, path, local_error->message);
		return FALSE;
	}
	g_ptr_array_add(self->arguments, g_strdup_printf("%s=+%s", key, path));
	return TRUE;
}

/* the child leads its own process group, so stopping it stops whatever it
 * started, receives SIGTERM if the thread that started it ends (the spawner
 * thread below, which lives as long as the process), and blocks no signal
 * whatever the spawning thread blocked */
static void
ferry_nbd_server_child_setup(gpointer user_data)
{
	sigset_t none;

	setpgid(0, 0);
	prctl(PR_SET_PDEATHSIG, SIGTERM);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Linux sends the parent-death signal when the *thread* that forked the
 * child ends, and callers start servers from pool threads that come and go;
 * so every server is forked by one thread that never ends */
typedef struct {
	GSubprocessLauncher *launcher;
	const char *const *argv;
	GSubprocess *process;
	GError *error;
	gboolean done;
	GMutex lock;
	GCond cond;
} SpawnRequest;

static GAsyncQueue *ferry_nbd_server_spawn_queue;

static gpointer
ferry_nbd_server_spawner_thread(gpointer user_data)
{
	for (;;) {
		SpawnRequest *request = g_async_queue_pop(ferry_nbd_server_spawn_queue);
		GError *error = NULL;
		GSubprocess *process =
		    g_subprocess_launcher_spawnv(request->launcher, request->argv, &error);

		g_mutex_lock(&request->lock);
		request->process = process;
		request->error = error;
		request->done = TRUE;
		g_cond_signal(&request->cond);
		g_mutex_unlock(&request->lock);
	}
	return NULL;
}

static GSubprocess *
ferry_nbd_server_spawnv(GSubprocessLauncher *launcher, const char *const *argv, GError **error)
{
	static gsize started = 0;
	SpawnRequest request = {.launcher = launcher, .argv = argv};

	if (g_once_init_enter(&started)) {
		sigset_t all;
		sigset_t previous;
		ferry_nbd_server_spawn_queue = g_async_queue_new();
		/* the spawner takes no signal meant for the application */
		sigfillset(&all);
		pthread_sigmask(SIG_SETMASK, &all, &previous);
		g_thread_unref(
		    g_thread_new("ferry-nbd-spawn", ferry_nbd_server_spawner_thread, NULL));
		pthread_sigmask(SIG_SETMASK, &previous, NULL);
		g_once_init_leave(&started, 1);
	}
	g_mutex_init(&request.lock);
	g_cond_init(&request.cond);
	g_mutex_lock(&request.lock);
	g_async_queue_push(ferry_nbd_server_spawn_queue, &request);
	while (!request.done)
		g_cond_wait(&request.cond, &request.lock);
	g_mutex_unlock(&request.lock);
	g_mutex_clear(&request.lock);
	g_cond_clear(&request.cond);
	if (request.error != NULL)
		g_propagate_error(error, request.error);
	return request.process;
}

static pid_t
ferry_nbd_server_pid(FerryNbdServer *self)
{
	const char *identifier;

	if (self->process == NULL)
		return 0;
	identifier = g_subprocess_get_identifier(self->process);
	return identifier != NULL ? (pid_t)g_ascii_strtoll(identifier, NULL, 10) : 0;
}

/* SIGTERM to the group, SIGKILL after the grace period; waits for the child */
static void
ferry_nbd_server_stop_process(FerryNbdServer *self)
{
	pid_t pid = ferry_nbd_server_pid(self);

	if (self->process == NULL)
		return;
	if (pid > 0) {
		kill(-pid, SIGTERM);
		for (guint waited = 0; waited < FERRY_NBD_SERVER_STOP_GRACE_MS; waited += 10) {
			/* reaping happens in the GLib worker thread */
			if (g_subprocess_get_identifier(self->process) == NULL)
				break;
			g_usleep(10 * 1000);
		}
		if (g_subprocess_get_identifier(self->process) != NULL)
			kill(-pid, SIGKILL);
	}
	g_subprocess_wait(self->process, NULL, NULL);
}

/* a listening socket at @path, handed to the child, so connections queue
 * before it runs */
static int
ferry_nbd_server_listen(FerryNbdServer *self, GError **error)
{
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) local_error = NULL;
	int fd;

	socket = g_socket_new(G_SOCKET_FAMILY_UNIX, G_SOCKET_TYPE_STREAM,
			      G_SOCKET_PROTOCOL_DEFAULT, &local_error);
	address = g_unix_socket_address_new(self->socket_path);
	if (socket == NULL || !g_socket_bind(socket, address, FALSE, &local_error) ||
	    !g_socket_listen(socket, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot listen on %s: %s",
			    self->display, self->socket_path, local_error->message);
		return -1;
	}
	fd = fcntl(g_socket_get_fd(socket), F_DUPFD_CLOEXEC, 10);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", self->display,
			    g_strerror(saved_errno));
	}
	return fd;
}

static GPtrArray *
ferry_nbd_server_build_argv(FerryNbdServer *self, const char *program, const char *pid_path)
{
	GPtrArray *argv = g_ptr_array_new_with_free_func(g_free);

	/* the shell only sets LISTEN_PID to its own pid, which exec keeps */
	g_ptr_array_add(argv, g_strdup("/bin/sh"));
	g_ptr_array_add(argv, g_strdup("-c"));
	g_ptr_array_add(argv, g_strdup("LISTEN_PID=$$ exec \"$0\" \"$@\""));
	g_ptr_array_add(argv, g_strdup(program));
	if (self->program == FERRY_NBD_SERVER_NBDKIT) {
		g_ptr_array_add(argv, g_strdup("--foreground"));
		g_ptr_array_add(argv, g_strdup_printf("--pidfile=%s", pid_path));
		if (self->read_only)
			g_ptr_array_add(argv, g_strdup("--readonly"));
	} else {
		/* several copy connections, and no exit when the handshake probe leaves;
		 * a later --shared from the caller wins */
		g_ptr_array_add(argv, g_strdup("--persistent"));
		g_ptr_array_add(argv, g_strdup("--shared=0"));
		g_ptr_array_add(argv, g_strdup_printf("--pid-file=%s", pid_path));
		if (self->read_only)
			g_ptr_array_add(argv, g_strdup("--read-only"));
	}
	for (guint i = 0; i < self->arguments->len; i++)
		g_ptr_array_add(argv, g_strdup(g_ptr_array_index(self->arguments, i)));
	g_ptr_array_add(argv, NULL);
	return argv;
}

static gboolean
ferry_nbd_server_spawn(FerryNbdServer *self, const char *program, GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GPtrArray) argv = NULL;
	g_autoptr(GError) local_error = NULL;
	/* named after the socket: the engine's crash clean-up recognises the
	 * child by finding the socket's path on its command line */
	g_autofree char *pid_path = g_strconcat(self->socket_path, ".pid", NULL);
	int fd;

	self->log_path = g_build_filename(self->dir, "server.log", NULL);
	g_ptr_array_add(self->files, g_strdup(self->log_path));
	g_ptr_array_add(self->files, g_strdup(pid_path));
	g_ptr_array_add(self->files, g_strdup(self->socket_path));
	fd = ferry_nbd_server_listen(self, error);
	if (fd < 0)
		return FALSE;
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_subprocess_launcher_set_stderr_file_path(launcher, self->log_path);
	g_subprocess_launcher_take_fd(launcher, fd, 3);
	g_subprocess_launcher_setenv(launcher, "LISTEN_FDS", "1", TRUE);
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_PID");
	g_subprocess_launcher_unsetenv(launcher, "LISTEN_FDNAMES");
	for (guint i = 0; i + 1 < self->environment->len; i += 2)
		g_subprocess_launcher_setenv(launcher, g_ptr_array_index(self->environment, i),
					     g_ptr_array_index(self->environment, i + 1), TRUE);
	g_subprocess_launcher_set_child_setup(launcher, ferry_nbd_server_child_setup, NULL, NULL);
	argv = ferry_nbd_server_build_argv(self, program, pid_path);
	self->process =
	    ferry_nbd_server_spawnv(launcher, (const char *const *)argv->pdata, &local_error);
	if (self->process == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s: cannot start %s: %s",
			    self->display, ferry_nbd_server_program_name(self),
			    local_error->message);
		return FALSE;
	}
	/* the launcher closes its copy of the socket here: once the child is
	 * gone, a waiting client sees the connection reset */
	return TRUE;
}

static gboolean
ferry_nbd_server_nbd_error(FerryNbdServer *self, GError **error)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s",
		    nbd_get_error() != NULL ? nbd_get_error() : "the connection failed");
	return FALSE;
}

/* one NBD handshake, driven by poll() on the connection and the cancellable */
static gboolean
ferry_nbd_server_handshake(FerryNbdServer *self,
			   struct nbd_handle *nbd,
			   GCancellable *cancellable,
			   GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)self->timeout * G_USEC_PER_SEC;
	GPollFD cancel_fd = {.fd = -1};
	gboolean cancellable_fd = g_cancellable_make_pollfd(cancellable, &cancel_fd);
	gboolean ok = TRUE;

	if (nbd_aio_connect_unix(nbd, self->socket_path) == -1)
		ok = ferry_nbd_server_nbd_error(self, error);
	while (ok && !nbd_aio_is_ready(nbd)) {
		struct pollfd fds[2] = {{.fd = nbd_aio_get_fd(nbd)}, {.fd = cancel_fd.fd}};
		unsigned direction = nbd_aio_get_direction(nbd);
		gint64 remaining = (deadline - g_get_monotonic_time()) / 1000;
		int ready;

		if (nbd_aio_is_dead(nbd) || nbd_aio_is_closed(nbd) || fds[0].fd < 0) {
			ok = ferry_nbd_server_nbd_error(self, error);
			break;
		}
		if (remaining <= 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "no handshake within %u s", self->timeout);
			ok = FALSE;
			break;
		}
		fds[0].events = ((direction & LIBNBD_AIO_DIRECTION_READ) ? POLLIN : 0) |
				((direction & LIBNBD_AIO_DIRECTION_WRITE) ? POLLOUT : 0);
		fds[1].events = POLLIN;
		ready = poll(fds, cancellable_fd ? 2 : 1, (int)MIN(remaining, G_MAXINT));
		if (ready < 0 && errno == EINTR)
			continue;
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED, "cancelled");
			ok = FALSE;
			break;
		}
		if ((fds[0].revents & (POLLIN | POLLHUP | POLLERR)) != 0 &&
		    nbd_aio_notify_read(nbd) == -1)
			ok = ferry_nbd_server_nbd_error(self, error);
		else if ((fds[0].revents & POLLOUT) != 0 && nbd_aio_notify_write(nbd) == -1)
			ok = ferry_nbd_server_nbd_error(self, error);
	}
	if (cancellable_fd)
		g_cancellable_release_fd(cancellable);
	return ok;
}

/* waits until the server answers a handshake and reads the disk's size */
static gboolean
ferry_nbd_server_wait_ready(FerryNbdServer *self, GCancellable *cancellable, GError **error)
{
	struct nbd_handle *nbd = nbd_create();
	gboolean ok;
	int64_t size = -1;

	if (nbd == NULL)
		return ferry_nbd_server_nbd_error(self, error);
	ok = ferry_nbd_server_handshake(self, nbd, cancellable, error);
	if (ok) {
		size = nbd_get_size(nbd);
		if (size < 0)
			ok = ferry_nbd_server_nbd_error(self, error);
		else
			self->size = (guint64)size;
		nbd_shutdown(nbd, 0);
	}
	nbd_close(nbd);
	return ok;
}

/**
 * ferry_nbd_server_dup_log:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer full): what the server wrote to its stderr, stripped,
 *   with the secret's values redacted, or `no message`
 *
 * Since: 0.1
 */
char *
ferry_nbd_server_dup_log(FerryNbdServer *self)
{
	g_autofree char *text = NULL;

	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	if (self->log_path == NULL || !g_file_get_contents(self->log_path, &text, NULL, NULL) ||
	    *g_strstrip(text) == '\0')
		return g_strdup("no message");
	if (self->secret != NULL)
		return ferry_secret_redact(self->secret, text);
	return g_steal_pointer(&text);
}

/* stops the child, then words @cause with what its log says */
static gboolean
ferry_nbd_server_fail(FerryNbdServer *self, GError *cause, GError **error)
{
	g_autoptr(GError) owned = cause;
	const char *name = ferry_nbd_server_program_name(self);
	gboolean exited = g_subprocess_get_identifier(self->process) == NULL;
	g_autofree char *log = NULL;

	ferry_nbd_server_stop_process(self);
	log = ferry_nbd_server_dup_log(self);
	if (owned->code == FERRY_ERROR_CANCELLED)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
			    "%s: cancelled while %s started", self->display, name);
	else if (exited)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "%s: %s stopped before serving the disk: %s", self->display, name,
			    log);
	else
		g_set_error(error, FERRY_ERROR,
			    owned->code == FERRY_ERROR_TIMED_OUT ? FERRY_ERROR_TIMED_OUT
								 : FERRY_ERROR_IO,
			    "%s: %s did not serve the disk (%s); its log: %s", self->display, name,
			    owned->message, log);
	return FALSE;
}

/**
 * ferry_nbd_server_start:
 * @self: a #FerryNbdServer
 * @cancellable: (nullable): a #GCancellable; cancelling stops the start
 * @error: return location for a #GError
 *
 * Starts the server and returns once it has answered an NBD handshake, with
 * ferry_nbd_server_get_size() known. On failure the child is stopped, the
 * private directory removed and the error names the disk and quotes the
 * server's log.
 *
 * Returns: %TRUE when the server serves the disk
 *
 * Since: 0.1
 */
gboolean
ferry_nbd_server_start(FerryNbdServer *self, GCancellable *cancellable, GError **error)
{
	const char *name;
	g_autofree char *program = NULL;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), FALSE);
	g_return_val_if_fail(!self->started, FALSE);
	self->started = TRUE;
	name = ferry_nbd_server_program_name(self);
	program = g_find_program_in_path(name);
	if (program == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: %s is not installed; install the %s package", self->display, name,
			    self->program == FERRY_NBD_SERVER_NBDKIT ? "nbdkit" : "qemu-utils");
		ferry_nbd_server_stop(self, NULL);
		return FALSE;
	}
	if (!ferry_nbd_server_ensure_dir(self, error))
		return FALSE;
	self->socket_path = g_build_filename(self->dir, "nbd.sock", NULL);
	self->uri = g_strdup_printf("nbd+unix:///?socket=%s", self->socket_path);
	if (!ferry_nbd_server_spawn(self, program, error)) {
		ferry_nbd_server_stop(self, NULL);
		return FALSE;
	}
	if (!ferry_nbd_server_wait_ready(self, cancellable, &local_error)) {
		ferry_nbd_server_fail(self, g_steal_pointer(&local_error), error);
		ferry_nbd_server_stop(self, NULL);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_nbd_server_get_display:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer none): how messages name the disk
 *
 * Since: 0.1
 */
const char *
ferry_nbd_server_get_display(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	return self->display;
}

/**
 * ferry_nbd_server_get_uri:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer none) (nullable): `nbd+unix:///?socket=…`, once started
 *
 * Since: 0.1
 */
const char *
ferry_nbd_server_get_uri(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	return self->uri;
}

/**
 * ferry_nbd_server_get_socket_path:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer none) (nullable): the Unix socket, once started
 *
 * Since: 0.1
 */
const char *
ferry_nbd_server_get_socket_path(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	return self->socket_path;
}

/**
 * ferry_nbd_server_get_log_path:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer none) (nullable): the file that receives the server's
 *   stderr, once started
 *
 * Since: 0.1
 */
const char *
ferry_nbd_server_get_log_path(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	return self->log_path;
}

/**
 * ferry_nbd_server_get_size:
 * @self: a #FerryNbdServer
 *
 * Returns: the size in bytes the server reported at start, 0 before
 *
 * Since: 0.1
 */
guint64
ferry_nbd_server_get_size(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), 0);
	return self->size;
}

/**
 * ferry_nbd_server_get_process:
 * @self: a #FerryNbdServer
 *
 * Returns: (transfer none) (nullable): the server process, once started
 *
 * Since: 0.1
 */
GSubprocess *
ferry_nbd_server_get_process(FerryNbdServer *self)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	return self->process;
}

/**
 * ferry_nbd_server_new_endpoint:
 * @self: a started #FerryNbdServer
 * @role: source or target
 *
 * An NBD endpoint for the served disk (raw, sized, described by the
 * display name) that owns the server: closing the endpoint stops the
 * process group and removes the private directory; the engine records both
 * for its clean-up after a crash.
 *
 * Returns: (transfer full): the endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_nbd_server_new_endpoint(FerryNbdServer *self, FerryDiskRole role)
{
	FerryDiskEndpoint *endpoint;

	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), NULL);
	g_return_val_if_fail(self->process != NULL && self->uri != NULL, NULL);
	endpoint = ferry_disk_endpoint_new_nbd(role, self->uri);
	ferry_disk_endpoint_set_size(endpoint, self->size);
	ferry_disk_endpoint_set_format(endpoint, "raw");
	ferry_disk_endpoint_set_description(endpoint, self->display);
	ferry_disk_endpoint_add_process(endpoint, self->process);
	for (guint i = 0; i < self->files->len; i++)
		ferry_disk_endpoint_add_cleanup_path(endpoint, g_ptr_array_index(self->files, i));
	ferry_disk_endpoint_add_cleanup_path(endpoint, self->dir);
	self->handed_over = TRUE;
	g_object_set_data_full(G_OBJECT(endpoint), "ferry-nbd-server", g_object_ref(self),
			       g_object_unref);
	return endpoint;
}

/**
 * ferry_nbd_server_stop:
 * @self: a #FerryNbdServer
 * @error: return location for a #GError
 *
 * Stops the server's process group (SIGTERM, SIGKILL after 5 s) and removes
 * its private directory. Stopping twice is harmless; once an endpoint owns
 * the server, closing the endpoint does this instead.
 *
 * Returns: %FALSE when the directory could not be removed
 *
 * Since: 0.1
 */
gboolean
ferry_nbd_server_stop(FerryNbdServer *self, GError **error)
{
	g_return_val_if_fail(FERRY_IS_NBD_SERVER(self), FALSE);
	if (self->handed_over)
		return TRUE;
	ferry_nbd_server_stop_process(self);
	if (self->dir != NULL && !ferry_files_remove_tree(self->dir, error))
		return FALSE;
	g_clear_pointer(&self->dir, g_free);
	return TRUE;
}
