/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* the Provider setting naming the conversion pods' image: Ferry's image
 * with virt-v2v and libguestfs added */
#define FERRY_KUBEVIRT_CONVERSION_IMAGE_SETTING "conversionImage"

/* where a conversion pod mounts what it needs; the description names these */
#define FERRY_KUBEVIRT_CONVERT_DESCRIPTION_DIR	"/etc/ferry/convert"
#define FERRY_KUBEVIRT_CONVERT_DESCRIPTION_FILE "description.json"
#define FERRY_KUBEVIRT_CONVERT_DISKS_DIR	"/var/lib/ferry/disks"
#define FERRY_KUBEVIRT_CONVERT_DEVICE_PREFIX	"/dev/ferry-disk-"
#define FERRY_KUBEVIRT_CONVERT_LUKS_DIR		"/var/run/secrets/ferry/luks"
#define FERRY_KUBEVIRT_CONVERT_WORK_DIR		"/var/lib/ferry/work"
#define FERRY_KUBEVIRT_CONVERT_RESULT_FILE	"/dev/termination-log"

/* how libguestfs in the pod reaches KVM */
typedef enum {
	/* no KVM: libguestfs emulates (TCG), slow but works anywhere */
	FERRY_KUBEVIRT_CONVERT_KVM_NONE,
	/* request `devices.kubevirt.io/kvm: 1`, the device KubeVirt's
	 * virt-handler offers on every schedulable node (Forklift's way) */
	FERRY_KUBEVIRT_CONVERT_KVM_DEVICE_PLUGIN,
	/* mount the node's /dev/kvm (hostPath); the container is then
	 * privileged, which the device cgroup needs */
	FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH,
} FerryKubevirtConvertKvm;

/* one of the VM's PVCs, in the order of the VM's disks */
typedef struct {
	const char *pvc;    /* the PersistentVolumeClaim */
	gboolean block;     /* volumeMode: Block */
	const char *format; /* nullable: raw (default) or qcow2 */
} FerryKubevirtConvertDisk;

/* one conversion pod, for one VM */
typedef struct {
	const char *name;       /* the pod's name, and its ConfigMap's */
	const char *name_space; /* where the PVCs, the Secret and the pod are */
	const char *image;      /* the conversionImage setting */
	const FerryKubevirtConvertDisk *disks;
	guint n_disks;
	const char *luks_secret; /* nullable: the Secret of spec.vms[].luks */
	FerryKubevirtConvertKvm kvm;
	GHashTable *labels; /* nullable: more labels (plan, migration, vmID), string → string */
} FerryKubevirtConvertPod;

char *
ferry_kubevirt_convert_dup_disk_path(const FerryKubevirtConvertPod *pod, guint index);
JsonNode *
ferry_kubevirt_convert_render_description(const FerryKubevirtConvertPod *pod,
					  JsonObject *vm_spec,
					  GError **error);
JsonNode *
ferry_kubevirt_convert_render_config_map(const FerryKubevirtConvertPod *pod,
					 JsonObject *vm_spec,
					 GError **error);
JsonNode *
ferry_kubevirt_convert_render_pod(const FerryKubevirtConvertPod *pod, GError **error);

G_END_DECLS
