/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cluster mode of the KubeVirt destination: the Provider's `spec.url` is an
 * API server (or empty: the cluster Ferry runs in) and its Secret holds
 * `token`, `cacert` and `insecureSkipVerify`, as Forklift reads them.
 */

#include "config.h"

#include "ferry-kubevirt-cluster.h"

void
ferry_kubevirt_cluster_free(FerryKubevirtCluster *cluster)
{
	if (cluster == NULL)
		return;
	g_free(cluster->display);
	g_free(cluster->transfer_image);
	g_free(cluster->transfer_mode);
	g_clear_object(&cluster->client);
	g_free(cluster);
}

#define CONNECT_ATTEMPTS 5 /* tries of the first call while the API server is unreachable */

/**
 * ferry_kubevirt_is_transient:
 * @error: an error of an API call
 *
 * Returns: whether the API server could not be reached (restarting, a
 *   connection reset, a timeout), so the call may be tried again
 */
gboolean
ferry_kubevirt_is_transient(const GError *error)
{
	return g_error_matches(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT);
}

/**
 * ferry_kubevirt_backoff:
 * @attempt: the attempt that failed, from 0
 * @last: its error
 * @cancellable: (nullable): cancels the wait
 *
 * Waits before the next attempt: 1 s, 2 s, 4 s, then 8 s.
 *
 * Returns: FALSE when cancelled
 */
gboolean
ferry_kubevirt_backoff(guint attempt, const GError *last, GCancellable *cancellable)
{
	guint seconds = MIN(1u << MIN(attempt, 3u), 8u);
	g_debug("kubevirt: %s; trying again in %u s", last->message, seconds);
	for (guint i = 0; i < seconds * 10; i++) {
		if (g_cancellable_is_cancelled(cancellable))
			return FALSE;
		g_usleep(G_USEC_PER_SEC / 10);
	}
	return TRUE;
}

/*
 * Connects and proves the connection: the API groups are listed (which
 * checks the address, the certificate and the token), and KubeVirt's API
 * must be served, since every VM is a kubevirt.io/v1 VirtualMachine.
 */
FerryKubevirtCluster *
ferry_kubevirt_cluster_connect(const char *display,
			       FerryProviderConfig *config,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autoptr(FerryKubevirtCluster) cluster = g_new0(FerryKubevirtCluster, 1);
	g_autoptr(FerryKubeConfig) kube_config = NULL;
	g_autoptr(GError) local_error = NULL;
	g_auto(GStrv) versions = NULL;

	cluster->display = g_strdup(display);
	/* the Provider's transferImage (read by the provider) wins; then what the
	 * deployment says (an operator sets FERRY_TRANSFER_IMAGE to its own
	 * image, as Forklift's sets VIRT_V2V_IMAGE); then the build's default */
	cluster->transfer_image = g_strdup(g_getenv("FERRY_TRANSFER_IMAGE") != NULL &&
						   *g_getenv("FERRY_TRANSFER_IMAGE") != '\0'
					       ? g_getenv("FERRY_TRANSFER_IMAGE")
					       : FERRY_KUBEVIRT_TRANSFER_IMAGE);
	cluster->pod_timeout = 300;
	cluster->transfer_mode = g_strdup("auto");
	kube_config = ferry_kube_config_new_for_provider(ferry_provider_config_get_url(config),
							 ferry_provider_config_get_secret(config),
							 &local_error);
	if (kube_config == NULL) {
		const char *url = ferry_provider_config_get_url(config);
		if (url == NULL || *url == '\0')
			g_set_error(error, FERRY_ERROR, local_error->code,
				    "%s: an empty spec.url means the cluster Ferry runs in, but %s; "
				    "to migrate into a cluster from outside it, set spec.url to its "
				    "API server and give the Secret a token",
				    display, local_error->message);
		else
			g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", display,
				    local_error->message);
		return NULL;
	}
	cluster->client = ferry_kube_client_new(kube_config);
	ferry_kube_client_set_field_manager(cluster->client, "ferry");
	/* an API server that restarts while Ferry connects is waited for */
	for (guint attempt = 0;; attempt++) {
		g_clear_error(&local_error);
		versions =
		    ferry_kube_client_get_api_versions(cluster->client, cancellable, &local_error);
		if (versions != NULL || !ferry_kubevirt_is_transient(local_error) ||
		    attempt + 1 >= CONNECT_ATTEMPTS ||
		    !ferry_kubevirt_backoff(attempt, local_error, cancellable))
			break;
	}
	if (versions == NULL) {
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", display,
			    local_error->message);
		return NULL;
	}
	cluster->has_kubevirt = g_strv_contains((const char *const *)versions, "kubevirt.io/v1");
	cluster->has_cdi = g_strv_contains((const char *const *)versions, "cdi.kubevirt.io/v1beta1");
	if (!cluster->has_kubevirt) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: the cluster at %s does not serve kubevirt.io/v1; install KubeVirt "
			    "(or OpenShift Virtualization) on it before migrating VMs there",
			    display, ferry_kube_config_get_server(kube_config));
		return NULL;
	}
	g_debug("%s: cluster mode, API server %s (%s)%s", display,
		ferry_kube_config_get_server(kube_config), ferry_kube_config_get_origin(kube_config),
		cluster->has_cdi ? ", CDI served" : "");
	return g_steal_pointer(&cluster);
}
