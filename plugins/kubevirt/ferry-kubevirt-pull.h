/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

#include "ferry-kubevirt-cluster.h"
#include "ferry-kubevirt-manifest.h"

G_BEGIN_DECLS

/* where the pod mounts what it needs; the description names these paths */
#define FERRY_KUBEVIRT_PULL_DESCRIPTION_DIR  "/etc/ferry/transfer"
#define FERRY_KUBEVIRT_PULL_DESCRIPTION_FILE "description.json"
#define FERRY_KUBEVIRT_PULL_SECRET_DIR	     "/var/run/secrets/ferry/source"
#define FERRY_KUBEVIRT_PULL_HOST_SECRETS_DIR "/var/run/secrets/ferry/hosts"
#define FERRY_KUBEVIRT_PULL_VOLUME_DIR	     "/var/lib/ferry/volume"
#define FERRY_KUBEVIRT_PULL_DEVICE	     "/dev/ferry-target"
#define FERRY_KUBEVIRT_PULL_SCRATCH_DIR	     "/var/lib/ferry/scratch"
#define FERRY_KUBEVIRT_PULL_STATE_DIR	     "/var/lib/ferry/state"
/* the user and group the transfer runs as: KubeVirt's qemu, who owns disk.img */
#define FERRY_KUBEVIRT_PULL_QEMU_UID 107

/* one transfer pod */
typedef struct {
	const char *name;       /* the pod's name, and its ConfigMap's */
	const char *name_space; /* where the PVC, the Secret and the pod are */
	const char *image;      /* Ferry's image */
	const char *pvc;        /* the target PersistentVolumeClaim */
	gboolean block;         /* the PVC has volumeMode: Block */
	const char *secret;     /* the source Provider's Secret, or NULL */
	gboolean host_network;  /* the source is reachable only from the node itself */
	GHashTable *labels;     /* nullable: more labels, string → string */
	GHashTable *host_secrets; /* nullable: host id → its Host's Secret name */
} FerryKubevirtPullPod;

char *
ferry_kubevirt_pull_dup_host_secret_dir(const char *host_id);
gboolean
ferry_kubevirt_pull_prepare_description(const FerryKubevirtPullPod *pod,
					FerryTransferDescription *description,
					GError **error);
JsonNode *
ferry_kubevirt_pull_render_config_map(const FerryKubevirtPullPod *pod,
				      FerryTransferDescription *description,
				      GError **error);
JsonNode *
ferry_kubevirt_pull_render_pod(const FerryKubevirtPullPod *pod, GError **error);

/* the transfer method that runs these pods (ferry-kubevirt-pull-method.c) */
#define FERRY_KUBEVIRT_PULL_METHOD_NAME "kubevirt-pull"
#define FERRY_TYPE_KUBEVIRT_PULL_METHOD (ferry_kubevirt_pull_method_get_type())
G_DECLARE_FINAL_TYPE(FerryKubevirtPullMethod,
		     ferry_kubevirt_pull_method,
		     FERRY,
		     KUBEVIRT_PULL_METHOD,
		     GObject)

void
ferry_kubevirt_pull_method_register(GTypeModule *module);
void
ferry_kubevirt_pull_attach_target(FerryDiskEndpoint *endpoint,
				  FerryKubevirtCluster *cluster,
				  FerryKubevirtTarget *target,
				  FerryKubevirtDisk *disk);
gboolean
ferry_kubevirt_pull_remove_leftovers(FerryKubeClient *client,
				     const char *name_space,
				     const char *selector,
				     GCancellable *cancellable,
				     GError **error);

G_END_DECLS
