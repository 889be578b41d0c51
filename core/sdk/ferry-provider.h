/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ferry-disk-endpoint.h"
#include "ferry-extent.h"
#include "ferry-inventory.h"
#include "ferry-progress.h"
#include "ferry-provider-config.h"
#include "ferry-snapshot.h"

G_BEGIN_DECLS

/**
 * FerryProviderCapabilities:
 * @FERRY_PROVIDER_CAPABILITY_NONE: nothing
 * @FERRY_PROVIDER_CAPABILITY_SOURCE: VMs can be migrated from it (inventory, open_disk)
 * @FERRY_PROVIDER_CAPABILITY_DESTINATION: VMs can be migrated to it (prepare_disk, create_vm)
 * @FERRY_PROVIDER_CAPABILITY_POWER: source VMs can be powered off and on
 * @FERRY_PROVIDER_CAPABILITY_SNAPSHOT: source VMs can be snapshotted
 * @FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS: changed areas can be listed (warm migration)
 * @FERRY_PROVIDER_CAPABILITY_LIVE: VMs can be live-migrated to another instance
 * @FERRY_PROVIDER_CAPABILITY_HOSTS: Host resources (per-host transfer endpoints) are used
 * @FERRY_PROVIDER_CAPABILITY_WATCH: the inventory can be followed incrementally
 * @FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER: VMs need source-side preparation before the copy
 * @FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION: guests from this source need a guest
 *   conversion (virt-v2v) to run on KubeVirt, unless the plan skips it
 * @FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY: a cold copy from this source may be done
 *   by a converter in one pass (Forklift's useV2vForTransfer)
 * @FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY: plans of type `conversion` (disks already
 *   on the destination, only converted) are supported
 * @FERRY_PROVIDER_CAPABILITY_SNAPSHOT_CONSOLIDATION: the source consolidates disks after
 *   a snapshot is removed; a warm migration waits for it
 * @FERRY_PROVIDER_CAPABILITY_CREDENTIALS: it connects with credentials from the
 *   Provider's Secret (a password, a token), so the Secret is required and a
 *   plain http:// URL is refused unless the user allows it
 * @FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN: a `thumbprint` (SHA-1 certificate
 *   pin) in the Secret may stand in for `ca.crt`
 * @FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY: a destination whose
 *   existing objects load_inventory() writes, so that plans are checked
 *   against them before anything is created (see "Destination inventory"
 *   below). A connection that has nothing to list (e.g. a directory of
 *   manifests) fails load_inventory() with %FERRY_ERROR_NOT_SUPPORTED.
 * @FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS: direct LUNs (disks on a SAN the
 *   source and the destination both reach) move without a copy. A source
 *   lists a VM's direct LUNs in its description's `luns` (not in `disks`) and
 *   detaches one from the source VM with detach_disk() once the VM is
 *   migrated; a destination attaches the vm_spec's `luns` in place in
 *   create_vm() (on KubeVirt: a static PersistentVolume and its claim). The
 *   engine refuses a VM with `luns` for a destination without it. Since: 0.2
 *
 * The in-flight limit (`controller_max_vm_inflight`) is counted per host of
 * the VM (the inventory VM's `host` member) for providers with
 * %FERRY_PROVIDER_CAPABILITY_HOSTS, else per provider.
 *
 * What a provider implements. The engine never calls a method whose
 * capability is missing.
 *
 * Destination inventory: a provider with
 * %FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY writes, in one full
 * update, the kinds its get_map_kinds() names (what a map pair's
 * destination names: a network and a storage class), `namespace` (id and
 * name: the namespace's name) and `vm` (the VMs already there), and may add
 * others. The id of an object that lives in a namespace is
 * `NAMESPACE/NAME`, and its document has `namespace` and `name`; the id of
 * any other object is its name. A `vm` document has `macs`, the MAC
 * addresses of its interfaces (lower case). Plan validation reads them:
 * a missing target namespace, storage class or network, a target VM name
 * already taken and a MAC address already in use are plan conditions.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	FERRY_PROVIDER_CAPABILITY_NONE = 0,
	FERRY_PROVIDER_CAPABILITY_SOURCE = 1 << 0,
	FERRY_PROVIDER_CAPABILITY_DESTINATION = 1 << 1,
	FERRY_PROVIDER_CAPABILITY_POWER = 1 << 2,
	FERRY_PROVIDER_CAPABILITY_SNAPSHOT = 1 << 3,
	FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS = 1 << 4,
	FERRY_PROVIDER_CAPABILITY_LIVE = 1 << 5,
	FERRY_PROVIDER_CAPABILITY_HOSTS = 1 << 6,
	FERRY_PROVIDER_CAPABILITY_WATCH = 1 << 7,
	FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER = 1 << 8,
	FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION = 1 << 9,
	FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY = 1 << 10,
	FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY = 1 << 11,
	FERRY_PROVIDER_CAPABILITY_SNAPSHOT_CONSOLIDATION = 1 << 12,
	FERRY_PROVIDER_CAPABILITY_CREDENTIALS = 1 << 13,
	FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN = 1 << 14,
	FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY = 1 << 15,
	FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS = 1 << 16,
} FerryProviderCapabilities;

/**
 * FerryPowerState:
 * @FERRY_POWER_STATE_UNKNOWN: the state could not be determined
 * @FERRY_POWER_STATE_ON: running
 * @FERRY_POWER_STATE_OFF: stopped
 * @FERRY_POWER_STATE_SUSPENDED: suspended or paused
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_POWER_STATE_UNKNOWN,
	FERRY_POWER_STATE_ON,
	FERRY_POWER_STATE_OFF,
	FERRY_POWER_STATE_SUSPENDED,
} FerryPowerState;

const char *
ferry_power_state_to_string(FerryPowerState state);
char *
ferry_provider_capabilities_to_string(FerryProviderCapabilities capabilities);

#define FERRY_TYPE_PROVIDER (ferry_provider_get_type())
G_DECLARE_INTERFACE(FerryProvider, ferry_provider, FERRY, PROVIDER, GObject)

/**
 * FerryProviderInterface:
 * @g_iface: the parent interface
 * @get_provider_type: required; the Provider `spec.type` it handles, e.g. `vsphere`
 * @get_capabilities: required; what it implements
 * @connect: required; check the configuration and credentials and connect
 * @get_fingerprint: optional; the peer's certificate SHA-1 fingerprint after connect
 * @load_inventory: SOURCE or DESTINATION_INVENTORY; write a full inventory
 *   with a full update
 * @watch_inventory: WATCH; apply incremental updates until cancelled
 * @get_power_state: POWER
 * @power_off: POWER; wait until the VM is off
 * @power_on: POWER; wait until the VM is on
 * @create_snapshot: SNAPSHOT; returns the snapshot with per-disk change ids
 * @remove_snapshot: SNAPSHOT
 * @get_changed_areas: CHANGED_BLOCKS; areas of a disk changed since @change_id
 *   up to @snapshot_id (`*` means everything allocated)
 * @pre_transfer: PRE_TRANSFER; source-side preparation (e.g. OpenStack images)
 * @open_disk: SOURCE; expose a disk (of @snapshot_id when given) for reading
 * @prepare_disk: DESTINATION; create a target for disk @disk_index of @vm_spec
 * @create_vm: DESTINATION; create the VM from @vm_spec and its written disks
 * @remove_vm: DESTINATION; remove a VM and its disks created by create_vm
 * @remove_artifact: optional; remove an object the engine recorded as created
 *   by this provider (kinds `snapshot`, `vm`, `disk`, `image`, `volume`,
 *   `pre-transfer`: all a PRE_TRANSFER preparation of a VM made, …);
 *   missing objects are not an error
 * @finalize_plan: optional; clean up after every VM of a plan finished
 * @live_migrate: LIVE; migrate a running VM to @destination
 * @describe_vm: required for SOURCE; turn an inventory VM document of this
 *   provider into the normalised source description the engine builds the
 *   target from (`docs/plugin-howto.md`); it must work on an unconnected
 *   instance (plan validation calls it)
 * @verify_vm: optional, DESTINATION; start a created VM, wait until it shows
 *   that it booted (console marker or guest agent) and stop it; see
 *   ferry_provider_verify_vm()
 * @get_map_kinds: optional; the inventory kinds a NetworkMap and a StorageMap
 *   of this provider name (e.g. `network` and `datastore`); must work on an
 *   unconnected instance
 * @check_url: optional; check the Provider's `spec.url` (set an error naming
 *   the expected form when it is not valid); must work unconnected
 * @get_secret_keys: optional; the keys the Provider's Secret must hold for
 *   its `spec.url` (empty for the local cluster), and whether it needs a
 *   `ca.crt` unless `insecureSkipVerify`; must work unconnected
 * @test_connection: optional; after connect, what the connection test
 *   reports besides the connection itself (the server's version, the APIs
 *   it serves, what the credentials may do in @namespaces, the namespaces
 *   the plans using the provider work in); see
 *   ferry_provider_test_connection()
 * @get_feature_gate: optional; the ForkliftController setting that switches
 *   plans of @migration_type from this provider on and off (Forklift's
 *   feature gates, such as `controller_ovirt_warm_migration`), or %NULL;
 *   must work unconnected
 * @detach_disk: DIRECT_LUNS, for a source; detach the direct LUN @disk_id
 *   from the source VM @vm_id without deleting it, once the VM has been
 *   migrated (so that the LUN is never used from both sides); a disk that is
 *   no longer attached is not an error. Since: 0.2
 *
 * The vtable of a platform plugin. Every method runs synchronously in the
 * calling thread; the `_async` forms of the public API call them in a worker
 * thread. Errors are in %FERRY_ERROR, name the object and never contain a
 * credential.
 *
 * VMs, disks and hosts are named by their inventory ids. @vm_spec is the
 * target description the engine builds (see `docs/plugin-howto.md`).
 *
 * Since: 0.1
 */
struct _FerryProviderInterface {
	GTypeInterface g_iface;

	const char *(*get_provider_type)(FerryProvider *self);
	FerryProviderCapabilities (*get_capabilities)(FerryProvider *self);
	gboolean (*connect)(FerryProvider *self,
			    FerryProviderConfig *config,
			    GCancellable *cancellable,
			    GError **error);
	char *(*get_fingerprint)(FerryProvider *self);
	gboolean (*load_inventory)(FerryProvider *self,
				   FerryInventory *inventory,
				   GCancellable *cancellable,
				   GError **error);
	gboolean (*watch_inventory)(FerryProvider *self,
				    FerryInventory *inventory,
				    GCancellable *cancellable,
				    GError **error);
	FerryPowerState (*get_power_state)(FerryProvider *self,
					   const char *vm_id,
					   GCancellable *cancellable,
					   GError **error);
	gboolean (*power_off)(FerryProvider *self,
			      const char *vm_id,
			      GCancellable *cancellable,
			      GError **error);
	gboolean (*power_on)(FerryProvider *self,
			     const char *vm_id,
			     GCancellable *cancellable,
			     GError **error);
	FerrySnapshot *(*create_snapshot)(FerryProvider *self,
					  const char *vm_id,
					  const char *name,
					  FerrySnapshotFlags flags,
					  GCancellable *cancellable,
					  GError **error);
	gboolean (*remove_snapshot)(FerryProvider *self,
				    const char *vm_id,
				    const char *snapshot_id,
				    GCancellable *cancellable,
				    GError **error);
	FerryExtentList *(*get_changed_areas)(FerryProvider *self,
					      const char *vm_id,
					      const char *disk_id,
					      const char *snapshot_id,
					      const char *change_id,
					      GCancellable *cancellable,
					      GError **error);
	gboolean (*pre_transfer)(FerryProvider *self,
				 const char *vm_id,
				 GCancellable *cancellable,
				 GError **error);
	FerryDiskEndpoint *(*open_disk)(FerryProvider *self,
					const char *vm_id,
					const char *disk_id,
					const char *snapshot_id,
					GCancellable *cancellable,
					GError **error);
	FerryDiskEndpoint *(*prepare_disk)(FerryProvider *self,
					   JsonObject *vm_spec,
					   guint disk_index,
					   GCancellable *cancellable,
					   GError **error);
	char *(*create_vm)(FerryProvider *self,
			   JsonObject *vm_spec,
			   GPtrArray *disks,
			   GCancellable *cancellable,
			   GError **error);
	gboolean (*remove_vm)(FerryProvider *self,
			      JsonObject *vm_spec,
			      GCancellable *cancellable,
			      GError **error);
	gboolean (*remove_artifact)(FerryProvider *self,
				    const char *kind,
				    const char *id,
				    JsonObject *details,
				    GCancellable *cancellable,
				    GError **error);
	gboolean (*finalize_plan)(FerryProvider *self,
				  const char *plan_name,
				  const char *const *vm_ids,
				  GCancellable *cancellable,
				  GError **error);
	gboolean (*live_migrate)(FerryProvider *self,
				 const char *vm_id,
				 FerryProvider *destination,
				 JsonObject *vm_spec,
				 FerryProgress *progress,
				 GCancellable *cancellable,
				 GError **error);
	JsonObject *(*describe_vm)(FerryProvider *self, JsonObject *vm, GError **error);
	JsonObject *(*verify_vm)(FerryProvider *self,
				 const char *vm_id,
				 JsonObject *vm_spec,
				 JsonObject *options,
				 GCancellable *cancellable,
				 GError **error);
	void (*get_map_kinds)(FerryProvider *self,
			      const char **network_kind,
			      const char **storage_kind);
	gboolean (*check_url)(FerryProvider *self, const char *url, GError **error);
	const char *const *(*get_secret_keys)(FerryProvider *self,
					      const char *url,
					      gboolean *needs_ca);
	JsonObject *(*test_connection)(FerryProvider *self,
				       const char *const *namespaces,
				       GCancellable *cancellable,
				       GError **error);
	const char *(*get_feature_gate)(FerryProvider *self, const char *migration_type);
	gboolean (*detach_disk)(FerryProvider *self,
				const char *vm_id,
				const char *disk_id,
				GCancellable *cancellable,
				GError **error);

	/*< private >*/
	gpointer padding[8];
};

const char *
ferry_provider_get_provider_type(FerryProvider *self);
FerryProviderCapabilities
ferry_provider_get_capabilities(FerryProvider *self);
gboolean
ferry_provider_has_capability(FerryProvider *self, FerryProviderCapabilities capability);
FerryProviderConfig *
ferry_provider_get_config(FerryProvider *self);

gboolean
ferry_provider_connect(FerryProvider *self,
		       FerryProviderConfig *config,
		       GCancellable *cancellable,
		       GError **error);
void
ferry_provider_connect_async(FerryProvider *self,
			     FerryProviderConfig *config,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data);
gboolean
ferry_provider_connect_finish(FerryProvider *self, GAsyncResult *result, GError **error);
char *
ferry_provider_get_fingerprint(FerryProvider *self);

gboolean
ferry_provider_load_inventory(FerryProvider *self,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error);
void
ferry_provider_load_inventory_async(FerryProvider *self,
				    FerryInventory *inventory,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data);
gboolean
ferry_provider_load_inventory_finish(FerryProvider *self, GAsyncResult *result, GError **error);
gboolean
ferry_provider_watch_inventory(FerryProvider *self,
			       FerryInventory *inventory,
			       GCancellable *cancellable,
			       GError **error);
void
ferry_provider_watch_inventory_async(FerryProvider *self,
				     FerryInventory *inventory,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data);
gboolean
ferry_provider_watch_inventory_finish(FerryProvider *self, GAsyncResult *result, GError **error);

FerryPowerState
ferry_provider_get_power_state(FerryProvider *self,
			       const char *vm_id,
			       GCancellable *cancellable,
			       GError **error);
gboolean
ferry_provider_power_off(FerryProvider *self,
			 const char *vm_id,
			 GCancellable *cancellable,
			 GError **error);
void
ferry_provider_power_off_async(FerryProvider *self,
			       const char *vm_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data);
gboolean
ferry_provider_power_off_finish(FerryProvider *self, GAsyncResult *result, GError **error);
gboolean
ferry_provider_power_on(FerryProvider *self,
			const char *vm_id,
			GCancellable *cancellable,
			GError **error);
void
ferry_provider_power_on_async(FerryProvider *self,
			      const char *vm_id,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data);
gboolean
ferry_provider_power_on_finish(FerryProvider *self, GAsyncResult *result, GError **error);

FerrySnapshot *
ferry_provider_create_snapshot(FerryProvider *self,
			       const char *vm_id,
			       const char *name,
			       FerrySnapshotFlags flags,
			       GCancellable *cancellable,
			       GError **error);
void
ferry_provider_create_snapshot_async(FerryProvider *self,
				     const char *vm_id,
				     const char *name,
				     FerrySnapshotFlags flags,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data);
FerrySnapshot *
ferry_provider_create_snapshot_finish(FerryProvider *self, GAsyncResult *result, GError **error);
gboolean
ferry_provider_remove_snapshot(FerryProvider *self,
			       const char *vm_id,
			       const char *snapshot_id,
			       GCancellable *cancellable,
			       GError **error);
void
ferry_provider_remove_snapshot_async(FerryProvider *self,
				     const char *vm_id,
				     const char *snapshot_id,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data);
gboolean
ferry_provider_remove_snapshot_finish(FerryProvider *self, GAsyncResult *result, GError **error);
FerryExtentList *
ferry_provider_get_changed_areas(FerryProvider *self,
				 const char *vm_id,
				 const char *disk_id,
				 const char *snapshot_id,
				 const char *change_id,
				 GCancellable *cancellable,
				 GError **error);
void
ferry_provider_get_changed_areas_async(FerryProvider *self,
				       const char *vm_id,
				       const char *disk_id,
				       const char *snapshot_id,
				       const char *change_id,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data);
FerryExtentList *
ferry_provider_get_changed_areas_finish(FerryProvider *self, GAsyncResult *result, GError **error);
gboolean
ferry_provider_detach_disk(FerryProvider *self,
			   const char *vm_id,
			   const char *disk_id,
			   GCancellable *cancellable,
			   GError **error);
gboolean
ferry_provider_pre_transfer(FerryProvider *self,
			    const char *vm_id,
			    GCancellable *cancellable,
			    GError **error);

FerryDiskEndpoint *
ferry_provider_open_disk(FerryProvider *self,
			 const char *vm_id,
			 const char *disk_id,
			 const char *snapshot_id,
			 GCancellable *cancellable,
			 GError **error);
void
ferry_provider_open_disk_async(FerryProvider *self,
			       const char *vm_id,
			       const char *disk_id,
			       const char *snapshot_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data);
FerryDiskEndpoint *
ferry_provider_open_disk_finish(FerryProvider *self, GAsyncResult *result, GError **error);
FerryDiskEndpoint *
ferry_provider_prepare_disk(FerryProvider *self,
			    JsonObject *vm_spec,
			    guint disk_index,
			    GCancellable *cancellable,
			    GError **error);
void
ferry_provider_prepare_disk_async(FerryProvider *self,
				  JsonObject *vm_spec,
				  guint disk_index,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data);
FerryDiskEndpoint *
ferry_provider_prepare_disk_finish(FerryProvider *self, GAsyncResult *result, GError **error);
char *
ferry_provider_create_vm(FerryProvider *self,
			 JsonObject *vm_spec,
			 GPtrArray *disks,
			 GCancellable *cancellable,
			 GError **error);
void
ferry_provider_create_vm_async(FerryProvider *self,
			       JsonObject *vm_spec,
			       GPtrArray *disks,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data);
char *
ferry_provider_create_vm_finish(FerryProvider *self, GAsyncResult *result, GError **error);
gboolean
ferry_provider_remove_vm(FerryProvider *self,
			 JsonObject *vm_spec,
			 GCancellable *cancellable,
			 GError **error);
gboolean
ferry_provider_remove_artifact(FerryProvider *self,
			       const char *kind,
			       const char *id,
			       JsonObject *details,
			       GCancellable *cancellable,
			       GError **error);
gboolean
ferry_provider_finalize_plan(FerryProvider *self,
			     const char *plan_name,
			     const char *const *vm_ids,
			     GCancellable *cancellable,
			     GError **error);
JsonObject *
ferry_provider_describe_vm(FerryProvider *self, JsonObject *vm, GError **error);
gboolean
ferry_provider_get_map_kinds(FerryProvider *self,
			     const char **network_kind,
			     const char **storage_kind);
gboolean
ferry_provider_check_url(FerryProvider *self, const char *url, GError **error);
const char *const *
ferry_provider_get_secret_keys(FerryProvider *self, const char *url, gboolean *needs_ca);
const char *
ferry_provider_get_feature_gate(FerryProvider *self, const char *migration_type);
JsonObject *
ferry_provider_test_connection(FerryProvider *self,
			       const char *const *namespaces,
			       GCancellable *cancellable,
			       GError **error);
gboolean
ferry_provider_can_verify_vm(FerryProvider *self);
JsonObject *
ferry_provider_verify_vm(FerryProvider *self,
			 const char *vm_id,
			 JsonObject *vm_spec,
			 JsonObject *options,
			 GCancellable *cancellable,
			 GError **error);
gboolean
ferry_provider_live_migrate(FerryProvider *self,
			    const char *vm_id,
			    FerryProvider *destination,
			    JsonObject *vm_spec,
			    FerryProgress *progress,
			    GCancellable *cancellable,
			    GError **error);

G_END_DECLS
