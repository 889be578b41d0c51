/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ferryd, Ferry's operator. Every replica serves the inventory routes,
 * /metrics and the health routes (tools/ferryd-server.c) from the state
 * folder; the replica that holds the Lease (tools/ferryd-lease.c) runs the
 * controller (tools/ferryd-controller.c), which reconciles the cluster's
 * Forklift resources with the same library the ferry command uses. */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <glib-unix.h>
#include <glib/gstdio.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "ferryd-controller.h"
#include "ferryd-lease.h"
#include "ferryd-server.h"

typedef struct {
	GMainLoop *loop;
	FerrydLease *lease;
	/* what the leader needs to open the state folder and reconcile */
	FerryKubeConfig *config;
	FerryPluginRegistry *registry;
	const char *state_dir;
	const char *name_space;
	const char *identity;
	guint resync_seconds;
	FerrydController *controller;
	gboolean leading;
	gboolean quitting;
	int status;
} Ferryd;

static void
ferryd_log_handler(const char *log_domain,
		   GLogLevelFlags log_level,
		   const char *message,
		   gpointer user_data)
{
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *stamp = NULL;

	if (log_level & (G_LOG_LEVEL_ERROR | G_LOG_LEVEL_CRITICAL)) {
		g_log_default_handler(log_domain, log_level, message, user_data);
		return;
	}
	if ((log_level & G_LOG_LEVEL_DEBUG) && g_getenv("G_MESSAGES_DEBUG") == NULL)
		return;
	now = g_date_time_new_now_utc();
	stamp = g_date_time_format(now, "%H:%M:%S.%f");
	fprintf(stderr, "ferryd: %.12s %s%s\n", stamp,
		log_level & G_LOG_LEVEL_WARNING ? "warning: " : "", message);
}

/* Replicas share the state folder (a ReadWriteMany PVC) and start at the
 * same time; the store, the inventory and the engine read their schema
 * version and then create their tables, so two first opens at once could
 * both try to create them. Opening is serialized by a lock file in the
 * folder; returns its descriptor (close it to unlock), or -1. */
static int
ferryd_lock_state(const char *state_dir, GError **error)
{
	g_autofree char *path = g_build_filename(state_dir, "ferryd.lock", NULL);
	int fd;

	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno),
			    "cannot create the state folder %s: %s; choose another with --state",
			    state_dir, g_strerror(saved_errno));
		return -1;
	}
	fd = g_open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	while (fd >= 0 && flock(fd, LOCK_EX) != 0) {
		if (errno != EINTR) {
			close(fd);
			fd = -1;
		}
	}
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, G_IO_ERROR, g_io_error_from_errno(saved_errno),
			    "cannot lock %s: %s", path, g_strerror(saved_errno));
	}
	return fd;
}

/* the leader's work: the controller reconciles until ferryd exits (a lost
 * Lease ends the process, see ferryd_stopped_leading_cb). The runner opens
 * the state folder only now: a follower shares that folder (a ReadWriteMany
 * PVC) and must not write it, and the new leader reads the ledger and the
 * copy journals as the last leader left them. */
static void
ferryd_lead(Ferryd *d)
{
	g_autoptr(GError) error = NULL;

	d->leading = TRUE;
	if (d->config == NULL)
		return;
	if (d->controller == NULL) {
		g_autoptr(FerryRunner) runner = NULL;
		int lock = ferryd_lock_state(d->state_dir, &error);

		if (lock >= 0) {
			runner = ferry_runner_new(d->state_dir, d->registry, &error);
			close(lock);
		}
		if (runner == NULL) {
			g_printerr("ferryd: error: %s\n", error->message);
			d->status = 1;
			g_main_loop_quit(d->loop);
			return;
		}
		d->controller =
			ferryd_controller_new(runner, d->config, d->name_space, d->identity);
		ferryd_controller_set_resync_period(d->controller, d->resync_seconds);
	}
	if (ferryd_controller_is_running(d->controller))
		return;
	if (!ferryd_controller_start(d->controller, &error)) {
		g_printerr("ferryd: error: %s\n", error->message);
		d->status = 1;
		g_main_loop_quit(d->loop);
	}
}

static void
ferryd_started_leading_cb(FerrydLease *lease, Ferryd *d)
{
	g_message("Lease %s/%s: %s started leading", ferryd_lease_get_namespace(lease),
		  ferryd_lease_get_name(lease), ferryd_lease_get_identity(lease));
	ferryd_lead(d);
}

static void
ferryd_stopped_leading_cb(FerrydLease *lease, Ferryd *d)
{
	g_message("Lease %s/%s: %s stopped leading", ferryd_lease_get_namespace(lease),
		  ferryd_lease_get_name(lease), ferryd_lease_get_identity(lease));
	if (d->quitting)
		return;
	/* as client-go controllers do: exit, and the Deployment restarts the
	 * pod as a fresh candidate with nothing half-done in memory */
	g_printerr("ferryd: error: leadership lost; exiting so that the pod restarts\n");
	d->status = 1;
	g_main_loop_quit(d->loop);
}

static void
ferryd_new_leader_cb(FerrydLease *lease, const char *holder, Ferryd *d)
{
	if (*holder == '\0')
		g_message("Lease %s/%s: released", ferryd_lease_get_namespace(lease),
			  ferryd_lease_get_name(lease));
	else
		g_message("Lease %s/%s: held by %s", ferryd_lease_get_namespace(lease),
			  ferryd_lease_get_name(lease), holder);
}

static void
ferryd_failed_cb(FerrydLease *lease, GError *error, Ferryd *d)
{
	g_printerr("ferryd: error: %s\n", error->message);
	d->status = 1;
	g_main_loop_quit(d->loop);
}

static gboolean
ferryd_signal_cb(gpointer user_data)
{
	Ferryd *d = user_data;

	g_message("stopping on a signal");
	d->quitting = TRUE;
	g_main_loop_quit(d->loop);
	return G_SOURCE_CONTINUE;
}

static guint
ferryd_seconds_to_ms(double seconds)
{
	return seconds <= 0 ? 0 : (guint)(seconds * 1000 + 0.5);
}

int
main(int argc, char **argv)
{
	g_autofree char *kubeconfig = NULL;
	g_autofree char *namespace = NULL;
	g_autofree char *state_dir = NULL;
	g_autofree char *identity = NULL;
	g_autofree char *plugin_dir = NULL;
	g_autofree char *lease_namespace = NULL;
	g_autofree char *lease_name = NULL;
	g_autofree char *listen = NULL;
	g_autofree char *tls_cert = NULL;
	g_autofree char *tls_key = NULL;
	gboolean no_leader_election = FALSE;
	gboolean no_auth = FALSE;
	gboolean verbose = FALSE;
	int resync_seconds = 120;
	double lease_duration = FERRYD_LEASE_DEFAULT_DURATION / 1000.0;
	double renew_deadline = FERRYD_LEASE_DEFAULT_RENEW_DEADLINE / 1000.0;
	double retry_period = FERRYD_LEASE_DEFAULT_RETRY_PERIOD / 1000.0;
	const GOptionEntry entries[] = {
	    {"kubeconfig", 0, 0, G_OPTION_ARG_FILENAME, &kubeconfig,
	     "The cluster's kubeconfig (default: the pod's service account)", "FILE"},
	    {"namespace", 0, 0, G_OPTION_ARG_STRING, &namespace,
	     "Watch only this namespace (default: all)", "NS"},
	    {"state", 0, 0, G_OPTION_ARG_FILENAME, &state_dir,
	     "The state folder (default: /var/lib/ferry)", "DIR"},
	    {"plugin-dir", 0, 0, G_OPTION_ARG_FILENAME, &plugin_dir,
	     "Load plugins from this folder (default: the installed plugins)", "DIR"},
	    {"resync-period", 0, 0, G_OPTION_ARG_INT, &resync_seconds,
	     "Reconcile every object again this often (default: 120)", "SECONDS"},
	    {"identity", 0, 0, G_OPTION_ARG_STRING, &identity,
	     "This replica's name in the Lease (default: $POD_NAME, else the host name)", "ID"},
	    {"lease-namespace", 0, 0, G_OPTION_ARG_STRING, &lease_namespace,
	     "The Lease's namespace (default: the pod's or the kubeconfig context's)", "NS"},
	    {"lease-name", 0, 0, G_OPTION_ARG_STRING, &lease_name,
	     "The Lease's name (default: ferryd)", "NAME"},
	    {"lease-duration", 0, 0, G_OPTION_ARG_DOUBLE, &lease_duration,
	     "How long the others wait for a silent leader (default: 15)", "SECONDS"},
	    {"renew-deadline", 0, 0, G_OPTION_ARG_DOUBLE, &renew_deadline,
	     "How long the leader retries renewing before it stops leading (default: 10)",
	     "SECONDS"},
	    {"retry-period", 0, 0, G_OPTION_ARG_DOUBLE, &retry_period,
	     "How often to try to take or renew the Lease (default: 2)", "SECONDS"},
	    {"no-leader-election", 0, 0, G_OPTION_ARG_NONE, &no_leader_election,
	     "Lead without a Lease (a single replica only)", NULL},
	    {"listen", 0, 0, G_OPTION_ARG_STRING, &listen,
	     "Address of the inventory, metrics and health server (default: 0.0.0.0:8443)",
	     "ADDR:PORT"},
	    {"tls-cert", 0, 0, G_OPTION_ARG_FILENAME, &tls_cert,
	     "PEM certificate of the server (with --tls-key, it speaks HTTPS)", "FILE"},
	    {"tls-key", 0, 0, G_OPTION_ARG_FILENAME, &tls_key, "PEM private key of the server",
	     "FILE"},
	    {"no-auth", 0, 0, G_OPTION_ARG_NONE, &no_auth,
	     "Serve without checking bearer tokens; without --kubeconfig outside a cluster, "
	     "serve the state folder only (local use)",
	     NULL},
	    {"verbose", 'v', 0, G_OPTION_ARG_NONE, &verbose, "Print debug messages", NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(FerryKubeClient) client = NULL;
	g_autoptr(FerrydLease) lease = NULL;
	g_autoptr(FerrydServer) server = NULL;
	g_autoptr(FerryPluginRegistry) registry = NULL;
	g_autoptr(GMainLoop) loop = NULL;
	Ferryd d = {0};

	setlocale(LC_ALL, "");
	g_log_set_default_handler(ferryd_log_handler, NULL);
	context = g_option_context_new(NULL);
	g_option_context_set_summary(context,
				     "Ferry's operator: reconciles Forklift resources in a cluster.");
	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("ferryd: error: %s\n", error->message);
		return 2;
	}
	if (verbose)
		g_setenv("G_MESSAGES_DEBUG", "all", TRUE);

	if (kubeconfig != NULL && *kubeconfig != '\0')
		config = ferry_kube_config_new_from_file(kubeconfig, NULL, &error);
	else if (!no_auth || g_getenv("KUBERNETES_SERVICE_HOST") != NULL)
		config = ferry_kube_config_new_in_cluster(NULL, &error);
	if (error != NULL) {
		g_printerr("ferryd: error: %s\n", error->message);
		return 1;
	}
	if (config != NULL) {
		client = ferry_kube_client_new(config);
		ferry_kube_client_set_field_manager(client, "ferryd");
	}
	if (state_dir == NULL)
		state_dir = g_strdup("/var/lib/ferry");
	if (identity == NULL && g_getenv("POD_NAME") != NULL)
		identity = g_strdup(g_getenv("POD_NAME"));
	if (identity == NULL)
		identity = g_strdup(g_get_host_name());

	/* the leader's plugins, loaded now so that a broken plugin folder stops
	 * every replica at once, not only the one that comes to lead */
	if (client != NULL) {
		if (plugin_dir != NULL) {
			const char *const paths[] = {plugin_dir, NULL};
			registry = ferry_plugin_registry_new_for_paths(paths);
		} else {
			registry = ferry_plugin_registry_new();
		}
		if (!ferry_plugin_registry_load(registry, &error)) {
			g_printerr("ferryd: error: %s\n", error->message);
			return 1;
		}
	}

	/* every replica serves; only the leader reconciles */
	{
		int lock = ferryd_lock_state(state_dir, &error);

		if (lock >= 0) {
			server = ferryd_server_new(state_dir, client, !no_auth, &error);
			close(lock);
		}
	}
	if (server == NULL ||
	    !ferryd_server_listen(server, listen != NULL ? listen : "0.0.0.0:8443", tls_cert,
				  tls_key, &error)) {
		g_printerr("ferryd: error: %s\n", error->message);
		return 1;
	}
	/* on stdout: tests read the port when --listen asks for any (port 0) */
	g_print("ferryd: serving on port %u\n", ferryd_server_get_port(server));

	loop = g_main_loop_new(NULL, FALSE);
	d.loop = loop;
	d.config = client != NULL ? config : NULL;
	d.registry = registry;
	d.state_dir = state_dir;
	d.name_space = namespace;
	d.identity = identity;
	d.resync_seconds = (guint)MAX(resync_seconds, 0);
	g_unix_signal_add(SIGTERM, ferryd_signal_cb, &d);
	g_unix_signal_add(SIGINT, ferryd_signal_cb, &d);

	if (client == NULL) {
		g_message("no cluster: serving the state folder %s only", state_dir);
	} else if (no_leader_election) {
		g_message("leader election off: leading without a Lease");
		ferryd_lead(&d);
	} else {
		if (lease_namespace == NULL)
			lease_namespace = g_strdup(ferry_kube_config_get_namespace(config));
		lease = ferryd_lease_new(client, lease_namespace,
					 lease_name != NULL ? lease_name : "ferryd", identity);
		ferryd_lease_set_timing(lease, ferryd_seconds_to_ms(lease_duration),
					ferryd_seconds_to_ms(renew_deadline),
					ferryd_seconds_to_ms(retry_period));
		g_signal_connect(lease, "started-leading", G_CALLBACK(ferryd_started_leading_cb),
				 &d);
		g_signal_connect(lease, "stopped-leading", G_CALLBACK(ferryd_stopped_leading_cb),
				 &d);
		g_signal_connect(lease, "new-leader", G_CALLBACK(ferryd_new_leader_cb), &d);
		g_signal_connect(lease, "failed", G_CALLBACK(ferryd_failed_cb), &d);
		if (!ferryd_lease_start(lease, &error)) {
			g_printerr("ferryd: error: %s\n", error->message);
			return 2;
		}
		g_message("Lease %s/%s: %s is a candidate (lease %.1f s, renew deadline %.1f s, "
			  "retry %.1f s)",
			  lease_namespace, ferryd_lease_get_name(lease), identity, lease_duration,
			  renew_deadline, retry_period);
	}
	d.lease = lease;
	g_main_loop_run(loop);

	d.quitting = TRUE;
	if (d.controller != NULL && ferryd_controller_is_running(d.controller))
		ferryd_controller_stop(d.controller);
	/* a clean stop hands the Lease over at once; after a loss it is gone */
	if (lease != NULL)
		ferryd_lease_stop(lease, d.status == 0);
	g_clear_object(&d.controller);
	return d.status;
}
