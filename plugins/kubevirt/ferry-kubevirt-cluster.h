/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* cluster mode: the Kubernetes API of the destination cluster */
typedef struct {
	char *display;		 /* "Provider/ns/name" */
	FerryKubeClient *client; /* authenticated; proven by connect */
	gboolean has_kubevirt;	 /* kubevirt.io/v1 is served */
	gboolean has_cdi;	 /* cdi.kubevirt.io/v1beta1 is served */
	char *transfer_image;	 /* the transfer pods' image (setting transferImage) */
	guint pod_timeout;	 /* seconds a transfer pod may take to be ready */
	char *transfer_mode;	 /* push, pull or auto (setting transferMode) */
	gboolean host_network;	 /* pull pods share the node's network (transferHostNetwork) */
} FerryKubevirtCluster;

FerryKubevirtCluster *
ferry_kubevirt_cluster_connect(const char *display,
			       FerryProviderConfig *config,
			       GCancellable *cancellable,
			       GError **error);
void
ferry_kubevirt_cluster_free(FerryKubevirtCluster *cluster);
gboolean
ferry_kubevirt_is_transient(const GError *error);
gboolean
ferry_kubevirt_backoff(guint attempt, const GError *last, GCancellable *cancellable);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryKubevirtCluster, ferry_kubevirt_cluster_free)

G_END_DECLS
