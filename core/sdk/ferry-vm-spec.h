/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>
#include <json-glib/json-glib.h>

G_BEGIN_DECLS

/**
 * FerryFirmware:
 * @FERRY_FIRMWARE_BIOS: legacy BIOS
 * @FERRY_FIRMWARE_EFI: UEFI
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_FIRMWARE_BIOS,
	FERRY_FIRMWARE_EFI,
} FerryFirmware;

#define FERRY_TYPE_VM_DISK (ferry_vm_disk_get_type())
G_DECLARE_FINAL_TYPE(FerryVmDisk, ferry_vm_disk, FERRY, VM_DISK, GObject)

#define FERRY_TYPE_VM_NIC (ferry_vm_nic_get_type())
G_DECLARE_FINAL_TYPE(FerryVmNic, ferry_vm_nic, FERRY, VM_NIC, GObject)

#define FERRY_TYPE_VM_SPEC (ferry_vm_spec_get_type())
G_DECLARE_FINAL_TYPE(FerryVmSpec, ferry_vm_spec, FERRY, VM_SPEC, GObject)

FerryVmSpec *
ferry_vm_spec_new_from_json(JsonObject *document, GError **error);
JsonObject *
ferry_vm_spec_to_json(FerryVmSpec *self);
JsonObject *
ferry_vm_spec_get_json(FerryVmSpec *self);
const char *
ferry_vm_spec_get_name(FerryVmSpec *self);
const char *
ferry_vm_spec_get_namespace(FerryVmSpec *self);
const char *
ferry_vm_spec_get_plan(FerryVmSpec *self);
const char *
ferry_vm_spec_get_migration(FerryVmSpec *self);
const char *
ferry_vm_spec_get_guest_os(FerryVmSpec *self);
const char *
ferry_vm_spec_get_source_type(FerryVmSpec *self);
JsonObject *
ferry_vm_spec_get_source_vm(FerryVmSpec *self);
const char *
ferry_vm_spec_get_target_power_state(FerryVmSpec *self);
guint64
ferry_vm_spec_get_memory_mib(FerryVmSpec *self);
guint
ferry_vm_spec_get_cpu_sockets(FerryVmSpec *self);
guint
ferry_vm_spec_get_cpu_cores(FerryVmSpec *self);
guint
ferry_vm_spec_get_cpu_threads(FerryVmSpec *self);
FerryFirmware
ferry_vm_spec_get_firmware(FerryVmSpec *self);
gboolean
ferry_vm_spec_get_secure_boot(FerryVmSpec *self);
guint
ferry_vm_spec_get_n_disks(FerryVmSpec *self);
FerryVmDisk *
ferry_vm_spec_get_disk(FerryVmSpec *self, guint index);
guint
ferry_vm_spec_get_n_nics(FerryVmSpec *self);
FerryVmNic *
ferry_vm_spec_get_nic(FerryVmSpec *self, guint index);

const char *
ferry_vm_disk_get_id(FerryVmDisk *self);
const char *
ferry_vm_disk_get_name(FerryVmDisk *self);
guint64
ferry_vm_disk_get_capacity(FerryVmDisk *self);
const char *
ferry_vm_disk_get_format(FerryVmDisk *self);
const char *
ferry_vm_disk_get_bus(FerryVmDisk *self);
const char *
ferry_vm_disk_get_path(FerryVmDisk *self);
const char *
ferry_vm_disk_get_file_name(FerryVmDisk *self);
const char *
ferry_vm_disk_get_storage_class(FerryVmDisk *self);
const char *
ferry_vm_disk_get_storage(FerryVmDisk *self);
gboolean
ferry_vm_disk_get_shared(FerryVmDisk *self);
guint64
ferry_vm_disk_get_populated_size(FerryVmDisk *self);
JsonObject *
ferry_vm_disk_get_json(FerryVmDisk *self);

const char *
ferry_vm_nic_get_mac(FerryVmNic *self);
const char *
ferry_vm_nic_get_network_type(FerryVmNic *self);
const char *
ferry_vm_nic_get_network_name(FerryVmNic *self);
const char *
ferry_vm_nic_get_network_namespace(FerryVmNic *self);
const char *
ferry_vm_nic_get_model(FerryVmNic *self);
JsonObject *
ferry_vm_nic_get_json(FerryVmNic *self);

G_END_DECLS
