/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include "ferry-naming.h"
#include "ferry-resource.h"
#include "ferry-secret.h"

G_BEGIN_DECLS

/* the kinds: names, plurals, short forms */
const char *ferry_resource_kind_lookup(const char *name);
const char *ferry_resource_kind_get_plural(const char *kind);
const char *ferry_resource_kind_get_api_version(const char *kind);
GType ferry_resource_kind_get_gtype(const char *kind);
GStrv ferry_resource_kind_list(void);
GStrv ferry_resource_kind_list_columns(const char *kind);
GStrv ferry_resource_dup_columns(FerryResource *resource);

#define FERRY_TYPE_PROVIDER_RESOURCE (ferry_provider_resource_get_type())
G_DECLARE_FINAL_TYPE(FerryProviderResource, ferry_provider_resource, FERRY, PROVIDER_RESOURCE,
		     FerryResource)
const char *ferry_provider_resource_get_provider_type(FerryProviderResource *self);
const char *ferry_provider_resource_get_url(FerryProviderResource *self);
const char *ferry_provider_resource_get_secret(FerryProviderResource *self,
					       const char **name_space);
const char *ferry_provider_resource_get_setting(FerryProviderResource *self, const char *key);
gboolean ferry_provider_resource_is_host(FerryProviderResource *self);

#define FERRY_TYPE_SECRET_RESOURCE (ferry_secret_resource_get_type())
G_DECLARE_FINAL_TYPE(FerrySecretResource, ferry_secret_resource, FERRY, SECRET_RESOURCE,
		     FerryResource)
const char *ferry_secret_resource_get_secret_type(FerrySecretResource *self);
FerrySecret *ferry_secret_resource_to_secret(FerrySecretResource *self, GError **error);
GStrv ferry_secret_resource_list_keys(FerrySecretResource *self);

#define FERRY_TYPE_HOST (ferry_host_get_type())
G_DECLARE_FINAL_TYPE(FerryHost, ferry_host, FERRY, HOST, FerryResource)
const char *ferry_host_get_host_id(FerryHost *self);
const char *ferry_host_get_ip_address(FerryHost *self);
const char *ferry_host_get_provider(FerryHost *self, const char **name_space);
const char *ferry_host_get_secret(FerryHost *self, const char **name_space);

#define FERRY_TYPE_NETWORK_MAP (ferry_network_map_get_type())
G_DECLARE_FINAL_TYPE(FerryNetworkMap, ferry_network_map, FERRY, NETWORK_MAP, FerryResource)
const char *ferry_network_map_get_source_provider(FerryNetworkMap *self, const char **name_space);
const char *ferry_network_map_get_destination_provider(FerryNetworkMap *self,
						       const char **name_space);
JsonArray *ferry_network_map_get_pairs(FerryNetworkMap *self);
JsonObject *ferry_network_map_find_destination(FerryNetworkMap *self, const char *source_id,
					       const char *source_name);

#define FERRY_TYPE_STORAGE_MAP (ferry_storage_map_get_type())
G_DECLARE_FINAL_TYPE(FerryStorageMap, ferry_storage_map, FERRY, STORAGE_MAP, FerryResource)
const char *ferry_storage_map_get_source_provider(FerryStorageMap *self, const char **name_space);
const char *ferry_storage_map_get_destination_provider(FerryStorageMap *self,
						       const char **name_space);
JsonArray *ferry_storage_map_get_pairs(FerryStorageMap *self);
JsonObject *ferry_storage_map_find_destination(FerryStorageMap *self, const char *source_id,
					       const char *source_name);

#define FERRY_TYPE_PLAN (ferry_plan_get_type())
G_DECLARE_FINAL_TYPE(FerryPlan, ferry_plan, FERRY, PLAN, FerryResource)
const char *ferry_plan_get_target_namespace(FerryPlan *self);
const char *ferry_plan_get_source_provider(FerryPlan *self, const char **name_space);
const char *ferry_plan_get_destination_provider(FerryPlan *self, const char **name_space);
const char *ferry_plan_get_network_map(FerryPlan *self, const char **name_space);
const char *ferry_plan_get_storage_map(FerryPlan *self, const char **name_space);
JsonArray *ferry_plan_get_vms(FerryPlan *self);
const char *ferry_plan_get_migration_type(FerryPlan *self);
gboolean ferry_plan_is_warm(FerryPlan *self);
gboolean ferry_plan_is_archived(FerryPlan *self);
gboolean ferry_plan_get_preserve_static_ips(FerryPlan *self);
gboolean ferry_plan_get_migrate_shared_disks(FerryPlan *self);
gboolean ferry_plan_get_delete_vm_on_fail_migration(FerryPlan *self);
gboolean ferry_plan_get_skip_guest_conversion(FerryPlan *self);
const char *ferry_plan_get_target_power_state(FerryPlan *self);
const char *ferry_plan_get_pvc_name_template(FerryPlan *self);
gboolean ferry_plan_get_pvc_name_template_use_generate_name(FerryPlan *self,
							    gboolean default_value);
const char *ferry_plan_get_volume_name_template(FerryPlan *self);
const char *ferry_plan_get_network_name_template(FerryPlan *self);
const char *ferry_plan_get_transfer_network(FerryPlan *self, const char **name_space);

typedef struct _FerryForkliftController FerryForkliftController;
const char *ferry_plan_get_name_template(FerryPlan *self, guint vm_index,
					 FerryNameTemplateKind kind,
					 FerryForkliftController *controller, gboolean ocp_source);

#define FERRY_TYPE_MIGRATION (ferry_migration_get_type())
G_DECLARE_FINAL_TYPE(FerryMigration, ferry_migration, FERRY, MIGRATION, FerryResource)
const char *ferry_migration_get_plan(FerryMigration *self, const char **name_space);
const char *ferry_migration_get_cutover(FerryMigration *self);
const char *ferry_migration_get_vm_cutover(FerryMigration *self, const char *vm_id);
JsonArray *ferry_migration_get_cancel(FerryMigration *self);
gboolean ferry_migration_get_resume_conversion(FerryMigration *self);

#define FERRY_TYPE_HOOK (ferry_hook_get_type())
G_DECLARE_FINAL_TYPE(FerryHook, ferry_hook, FERRY, HOOK, FerryResource)
const char *ferry_hook_get_image(FerryHook *self);
GBytes *ferry_hook_dup_playbook(FerryHook *self, GError **error);
const char *ferry_hook_get_service_account(FerryHook *self);
gint64 ferry_hook_get_deadline(FerryHook *self);

#define FERRY_TYPE_FORKLIFT_CONTROLLER (ferry_forklift_controller_get_type())
G_DECLARE_FINAL_TYPE(FerryForkliftController, ferry_forklift_controller, FERRY, FORKLIFT_CONTROLLER,
		     FerryResource)
gint64 ferry_forklift_controller_get_setting_int(FerryForkliftController *self, const char *key);
const char *ferry_forklift_controller_get_setting_string(FerryForkliftController *self,
							 const char *key);
gboolean ferry_forklift_controller_get_setting_boolean(FerryForkliftController *self,
						       const char *key);
gint64 ferry_forklift_controller_default_int(const char *key);

G_END_DECLS
