/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reading VM disks: find a disk (of the VM or of one of its snapshots) and
 * serve it over NBD with nbdkit, through the datastore file service (curl
 * plugin) or VMware's VDDK (vddk plugin).
 */

#pragma once

#include "ferry-vsphere-client.h"

G_BEGIN_DECLS

typedef struct {
	char *vm_id;
	char *vm_name;
	char *host_id;	/* runtime.host */
	char *folder_id; /* the VM's parent, to find its datacenter */
	char *disk_id;	/* disk-<key> */
	gint64 key;
	gint64 capacity;
	char *file_name; /* [datastore] dir/name.vmdk */
	char *datastore_id;
	char *backing_type;
	char *parent_file; /* set for a delta disk of a snapshot chain */
	char *change_id;
	gboolean change_tracking; /* the VM's config.changeTrackingEnabled */
} FerryVsphereDisk;

void
ferry_vsphere_disk_free(FerryVsphereDisk *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereDisk, ferry_vsphere_disk_free)

gboolean
ferry_vsphere_disk_id_matches(const char *disk_id, gint64 key, const char *file_name);
GPtrArray *
ferry_vsphere_disk_list(FerryVsphereClient *client,
			const char *vm_id,
			const char *snapshot_id,
			const char *context,
			GCancellable *cancellable,
			GError **error);
FerryVsphereDisk *
ferry_vsphere_disk_find(FerryVsphereClient *client,
			const char *vm_id,
			const char *disk_id,
			const char *snapshot_id,
			const char *context,
			GCancellable *cancellable,
			GError **error);

FerryDiskEndpoint *
ferry_vsphere_disk_serve_https(FerryVsphereClient *client,
			       FerryVsphereDisk *disk,
			       const char *datacenter_path,
			       const char *context,
			       GCancellable *cancellable,
			       GError **error);
FerryDiskEndpoint *
ferry_vsphere_disk_serve_vddk(FerryVsphereClient *client,
			      FerryVsphereDisk *disk,
			      const char *snapshot_id,
			      const char *libdir,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error);

G_END_DECLS
