/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* Forklift's controller_filesystem_overhead default: 10 % */
#define FERRY_KUBEVIRT_DEFAULT_FILESYSTEM_OVERHEAD_PPM 100000

/* how PVC requests are sized from disk capacities (forklift.md §7) */
typedef struct {
	guint32 filesystem_overhead_ppm; /* parts per million of the PVC lost to the filesystem */
	guint64 block_overhead;          /* bytes added to Block mode requests */
} FerryKubevirtSizing;

void
ferry_kubevirt_sizing_init(FerryKubevirtSizing *sizing);
gboolean
ferry_kubevirt_parse_percent(const char *text, guint32 *ppm, GError **error);
gboolean
ferry_kubevirt_parse_quantity(const char *text, guint64 *bytes, GError **error);
char *
ferry_kubevirt_format_quantity(guint64 bytes);
gboolean
ferry_kubevirt_request_size(guint64 capacity,
			    const char *volume_mode,
			    const FerryKubevirtSizing *sizing,
			    guint64 *size,
			    GError **error);

gboolean
ferry_kubevirt_check_dns1123_label(const char *what, const char *name, GError **error);
gboolean
ferry_kubevirt_check_dns1123_subdomain(const char *what,
				       const char *name,
				       gsize max_length,
				       GError **error);
gboolean
ferry_kubevirt_check_label(const char *key, const char *value, GError **error);

/* one disk of the target VM */
typedef struct {
	char *name;      /* DataVolume (and PVC) name */
	char *id;        /* source disk id */
	char *format;    /* raw or qcow2: the image in the bundle */
	char *file_name; /* the image file inside the VM folder */
	char *manifest_name;
	guint64 capacity;     /* guest-visible bytes */
	guint64 populated;    /* bytes of data, when the source knows; 0 otherwise */
	guint64 request_size; /* the PVC request */
	char *volume_mode;    /* Filesystem, Block or NULL (the PVC's default: Filesystem) */
	JsonNode *data_volume;
	JsonNode *claim; /* the PersistentVolumeClaim of cluster mode */
} FerryKubevirtDisk;

/* one direct LUN of the target VM, attached in place: a static
 * PersistentVolume naming the LUN and the claim bound to it */
typedef struct {
	char *name;    /* the PersistentVolumeClaim's name */
	char *pv_name; /* the PersistentVolume's name (cluster-wide) */
	char *id;      /* source disk id */
	JsonNode *volume;
	JsonNode *claim;
} FerryKubevirtLun;

/* a validated vm_spec and the manifests made from it */
typedef struct {
	char *name;
	char *name_space;
	char *display; /* how messages name it: "Plan/web-tier VM migrated/web-01" */
	char *run_strategy;
	GPtrArray *disks; /* of FerryKubevirtDisk */
	GPtrArray *luns;  /* of FerryKubevirtLun */
	JsonNode *vm;
} FerryKubevirtTarget;

FerryKubevirtTarget *
ferry_kubevirt_target_new(JsonObject *vm_spec,
			  const FerryKubevirtSizing *sizing,
			  const char *default_format,
			  GError **error);
void
ferry_kubevirt_target_free(FerryKubevirtTarget *target);
void
ferry_kubevirt_target_use_claims(FerryKubevirtTarget *target);
FerryKubevirtDisk *
ferry_kubevirt_target_get_disk(FerryKubevirtTarget *target, guint index, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryKubevirtTarget, ferry_kubevirt_target_free)

G_END_DECLS
