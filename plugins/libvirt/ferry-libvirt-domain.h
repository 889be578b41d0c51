/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libvirt destination's view of a VM description (vm_spec) and the
 * domain XML made from it. No libvirt calls: the plugin resolves storage
 * and networks and this file only checks and renders.
 */

#pragma once

#include <glib.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/* the namespace of Ferry's element in a domain's <metadata> */
#define FERRY_LIBVIRT_METADATA_URI "urn:x-ferry:libvirt:1"
#define FERRY_LIBVIRT_METADATA_PREFIX "ferry"

typedef struct {
	char *name;	    /* disks[].name */
	char *format;	    /* raw or qcow2 */
	char *file_name;    /* the domain's file: NAME.img (raw) or NAME.qcow2 */
	char *copy_name;    /* the file the copy writes: NAME.img, sparse raw */
	char *id;	    /* the source disk id, or NULL */
	char *bus;	    /* virtio, sata or scsi */
	char *storage_pool; /* disks[].storageClass, or NULL */
	guint64 capacity;
	/* filled in by the plugin from the storage it chose */
	char *path;	 /* the domain's file */
	char *copy_path; /* the file the copy writes; the same as path for raw */
} FerryLibvirtDisk;

typedef enum {
	FERRY_LIBVIRT_NIC_NETWORK, /* <interface type='network'> */
	FERRY_LIBVIRT_NIC_USER,	   /* <interface type='user'> */
	FERRY_LIBVIRT_NIC_NONE,	   /* ignored by the NetworkMap */
} FerryLibvirtNicKind;

typedef struct {
	char *mac;
	char *model;
	char *network_type; /* pod, multus or ignored */
	char *network_name; /* the libvirt network for multus; NULL for pod */
	/* filled in by the plugin */
	FerryLibvirtNicKind kind;
	char *libvirt_network;
} FerryLibvirtNic;

typedef struct {
	char *display; /* "VM NAME" */
	char *name;
	char *name_space;
	char *plan;
	char *source_provider;
	char *source_vm;
	char *target_power_state; /* on, off or auto */
	char *uuid;		  /* the UUID of the domain being redefined, or NULL */
	guint sockets;
	guint cores;
	guint threads;
	guint64 memory_mib;
	gboolean efi;
	gboolean secure_boot;
	GPtrArray *disks; /* FerryLibvirtDisk */
	GPtrArray *nics;  /* FerryLibvirtNic */
	GPtrArray *labels; /* key, value, key, value … */
} FerryLibvirtTarget;

typedef struct {
	const char *domain_type; /* kvm, qemu or test */
	const char *machine;	 /* q35, or NULL for the driver's default */
	const char *arch;	 /* x86_64 */
	gboolean guest_agent;
} FerryLibvirtDomainOptions;

FerryLibvirtTarget *
ferry_libvirt_target_new(JsonObject *vm_spec, const char *disk_format, GError **error);
void
ferry_libvirt_target_free(FerryLibvirtTarget *target);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryLibvirtTarget, ferry_libvirt_target_free)

FerryLibvirtDisk *
ferry_libvirt_target_get_disk(FerryLibvirtTarget *target, guint index, GError **error);

gboolean
ferry_libvirt_check_name(const char *what, const char *name, GError **error);

char *
ferry_libvirt_domain_xml(FerryLibvirtTarget *target,
			 const FerryLibvirtDomainOptions *options,
			 GError **error);

char *
ferry_libvirt_xml_get(const char *xml, const char *xpath);
GPtrArray *
ferry_libvirt_metadata_disk_paths(const char *metadata_xml);

char *
ferry_libvirt_console_tail(const char *text, gsize length, guint lines);

G_END_DECLS
