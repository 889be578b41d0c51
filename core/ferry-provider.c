/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-provider.h"
#include "ferry-worker-private.h"

/**
 * FerryProvider:
 *
 * A platform VMs are migrated from or to: vSphere, oVirt, OpenStack, an OVA
 * directory, a KubeVirt cluster or bundle, libvirt. Plugins implement it; the
 * engine calls it. See #FerryProviderInterface for the vtable and
 * `docs/plugin-howto.md` for how each platform maps onto it.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE(FerryProvider, ferry_provider, G_TYPE_OBJECT)

static GQuark
ferry_provider_config_quark(void)
{
	static GQuark quark = 0;
	if (G_UNLIKELY(quark == 0))
		quark = g_quark_from_static_string("ferry-provider-config");
	return quark;
}

static void
ferry_provider_default_init(FerryProviderInterface *iface)
{
}

static const char *const power_state_names[] = {"Unknown", "On", "Off", "Suspended"};

/**
 * ferry_power_state_to_string:
 * @state: a #FerryPowerState
 *
 * Returns: (transfer none): `On`, `Off`, `Suspended` or `Unknown`, as
 *   Forklift writes power states
 *
 * Since: 0.1
 */
const char *
ferry_power_state_to_string(FerryPowerState state)
{
	if ((guint)state >= G_N_ELEMENTS(power_state_names))
		return "Unknown";
	return power_state_names[state];
}

/**
 * ferry_provider_capabilities_to_string:
 * @capabilities: a set of capabilities
 *
 * Returns: (transfer full): the capability names, comma-separated, e.g.
 *   `source,power,snapshot`
 *
 * Since: 0.1
 */
char *
ferry_provider_capabilities_to_string(FerryProviderCapabilities capabilities)
{
	static const char *const names[] = {"source",	"destination",	  "power",
					    "snapshot", "changed-blocks", "live",
					    "hosts",	"watch",	  "pre-transfer",
					    "guest-conversion", "convert-on-copy", "conversion-only",
					    "snapshot-consolidation", "credentials", "certificate-pin",
					    "destination-inventory", "direct-luns"};
	g_autoptr(GString) str = g_string_new(NULL);
	for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
		if ((capabilities & (1u << i)) == 0)
			continue;
		if (str->len > 0)
			g_string_append_c(str, ',');
		g_string_append(str, names[i]);
	}
	return g_string_free(g_steal_pointer(&str), FALSE);
}

/**
 * ferry_provider_get_provider_type:
 * @self: a #FerryProvider
 *
 * Returns: (transfer none): the provider type, e.g. `vsphere`
 *
 * Since: 0.1
 */
const char *
ferry_provider_get_provider_type(FerryProvider *self)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	g_return_val_if_fail(iface->get_provider_type != NULL, NULL);
	return iface->get_provider_type(self);
}

/**
 * ferry_provider_get_capabilities:
 * @self: a #FerryProvider
 *
 * Returns: what the provider implements
 *
 * Since: 0.1
 */
FerryProviderCapabilities
ferry_provider_get_capabilities(FerryProvider *self)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FERRY_PROVIDER_CAPABILITY_NONE);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->get_capabilities == NULL)
		return FERRY_PROVIDER_CAPABILITY_NONE;
	return iface->get_capabilities(self);
}

/**
 * ferry_provider_has_capability:
 * @self: a #FerryProvider
 * @capability: one or more capabilities
 *
 * Returns: whether the provider has all of @capability
 *
 * Since: 0.1
 */
gboolean
ferry_provider_has_capability(FerryProvider *self, FerryProviderCapabilities capability)
{
	return (ferry_provider_get_capabilities(self) & capability) == capability;
}

/**
 * ferry_provider_get_config:
 * @self: a #FerryProvider
 *
 * Returns: (transfer none) (nullable): the configuration of the last
 *   successful ferry_provider_connect()
 *
 * Since: 0.1
 */
FerryProviderConfig *
ferry_provider_get_config(FerryProvider *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	return g_object_get_qdata(G_OBJECT(self), ferry_provider_config_quark());
}

static gboolean
ferry_provider_check(FerryProvider *self,
		     FerryProviderCapabilities capability,
		     gboolean implemented,
		     const char *what,
		     GError **error)
{
	if (capability != FERRY_PROVIDER_CAPABILITY_NONE &&
	    !ferry_provider_has_capability(self, capability)) {
		g_autofree char *caps = ferry_provider_capabilities_to_string(capability);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "provider type '%s' cannot %s (it lacks the %s capability)",
			    ferry_provider_get_provider_type(self), what, caps);
		return FALSE;
	}
	if (!implemented) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "provider type '%s' does not implement %s",
			    ferry_provider_get_provider_type(self), what);
		return FALSE;
	}
	return TRUE;
}

/* plugins may forget to set an error or return an error in another domain:
 * keep the contract for callers */
static void
ferry_provider_fixup_error(FerryProvider *self, const char *what, GError **error)
{
	if (error == NULL)
		return;
	if (*error == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
			    "provider type '%s' failed to %s without saying why",
			    ferry_provider_get_provider_type(self), what);
		return;
	}
	ferry_error_convert(error);
}

/**
 * ferry_provider_connect:
 * @self: a #FerryProvider
 * @config: where and how to connect
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Connects and checks the credentials, the way Forklift's provider
 * `ConnectionTestSucceeded` condition does. On success @config is kept and
 * returned by ferry_provider_get_config().
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_connect(FerryProvider *self,
		       FerryProviderConfig *config,
		       GCancellable *cancellable,
		       GError **error)
{
	FerryProviderInterface *iface;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(config), FALSE);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (!ferry_provider_check(self, FERRY_PROVIDER_CAPABILITY_NONE, iface->connect != NULL,
				  "connect", error))
		return FALSE;
	if (!iface->connect(self, config, cancellable, &local_error)) {
		ferry_provider_fixup_error(self, "connect", &local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	g_object_set_qdata_full(G_OBJECT(self), ferry_provider_config_quark(),
				g_object_ref(config), g_object_unref);
	return TRUE;
}

/**
 * ferry_provider_get_fingerprint:
 * @self: a #FerryProvider
 *
 * Returns: (transfer full) (nullable): the SHA-1 fingerprint of the peer's
 *   certificate seen by the last connect (Forklift's `status.fingerprint`)
 *
 * Since: 0.1
 */
char *
ferry_provider_get_fingerprint(FerryProvider *self)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	return iface->get_fingerprint != NULL ? iface->get_fingerprint(self) : NULL;
}

/* generic synchronous dispatch with capability check and error fix-up */
#define PROVIDER_CALL(self, cap, vfunc, what, fail_value, error, ...)                              \
	G_STMT_START                                                                               \
	{                                                                                          \
		FerryProviderInterface *iface_ = FERRY_PROVIDER_GET_IFACE(self);                   \
		if (!ferry_provider_check(self, cap, iface_->vfunc != NULL, what, error))          \
			return fail_value;                                                         \
		{                                                                                  \
			g_autoptr(GError) local_error_ = NULL;                                     \
			__auto_type result_ = iface_->vfunc(self, __VA_ARGS__, &local_error_);     \
			if (result_ == fail_value) {                                               \
				ferry_provider_fixup_error(self, what, &local_error_);             \
				g_propagate_error(error, g_steal_pointer(&local_error_));          \
			}                                                                          \
			return result_;                                                            \
		}                                                                                  \
	}                                                                                          \
	G_STMT_END

/**
 * ferry_provider_load_inventory:
 * @self: a #FerryProvider
 * @inventory: where to store what is found
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads the whole inventory of the platform in one full update: a
 * source's VMs, networks and storage, or what a destination with
 * %FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY already holds
 * (namespaces, storage classes, networks, VMs).
 *
 * Returns: %TRUE on success; %FERRY_ERROR_NOT_SUPPORTED when the provider
 *   (or, for a destination, this connection) has no inventory
 *
 * Since: 0.1
 */
gboolean
ferry_provider_load_inventory(FerryProvider *self,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(FERRY_IS_INVENTORY(inventory), FALSE);
	PROVIDER_CALL(self,
		      ferry_provider_has_capability(self,
						    FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY)
			  ? FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY
			  : FERRY_PROVIDER_CAPABILITY_SOURCE,
		      load_inventory, "load the inventory", FALSE, error, inventory, cancellable);
}

/**
 * ferry_provider_watch_inventory:
 * @self: a #FerryProvider
 * @inventory: where to store changes
 * @cancellable: (nullable): cancels the watch
 * @error: return location for a #GError
 *
 * Follows changes on the platform and applies them to @inventory until
 * @cancellable is cancelled.
 *
 * Returns: %FALSE with %FERRY_ERROR_CANCELLED when cancelled, or another error
 *
 * Since: 0.1
 */
gboolean
ferry_provider_watch_inventory(FerryProvider *self,
			       FerryInventory *inventory,
			       GCancellable *cancellable,
			       GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(FERRY_IS_INVENTORY(inventory), FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_WATCH, watch_inventory,
		      "watch the inventory", FALSE, error, inventory, cancellable);
}

/**
 * ferry_provider_get_power_state:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: the power state, or %FERRY_POWER_STATE_UNKNOWN with @error set
 *
 * Since: 0.1
 */
FerryPowerState
ferry_provider_get_power_state(FerryProvider *self,
			       const char *vm_id,
			       GCancellable *cancellable,
			       GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FERRY_POWER_STATE_UNKNOWN);
	g_return_val_if_fail(vm_id != NULL, FERRY_POWER_STATE_UNKNOWN);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_POWER, get_power_state,
		      "read the power state", FERRY_POWER_STATE_UNKNOWN, error, vm_id,
		      cancellable);
}

/**
 * ferry_provider_power_off:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Powers the VM off and waits until it is off.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_power_off(FerryProvider *self,
			 const char *vm_id,
			 GCancellable *cancellable,
			 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_POWER, power_off, "power off a VM", FALSE,
		      error, vm_id, cancellable);
}

/**
 * ferry_provider_power_on:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Powers the VM on and waits until it is on.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_power_on(FerryProvider *self,
			const char *vm_id,
			GCancellable *cancellable,
			GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_POWER, power_on, "power on a VM", FALSE,
		      error, vm_id, cancellable);
}

/**
 * ferry_provider_create_snapshot:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @name: the snapshot name, e.g. `forklift-migration-precopy`
 * @flags: how to take it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the snapshot with per-disk change ids
 *
 * Since: 0.1
 */
FerrySnapshot *
ferry_provider_create_snapshot(FerryProvider *self,
			       const char *vm_id,
			       const char *name,
			       FerrySnapshotFlags flags,
			       GCancellable *cancellable,
			       GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_id != NULL && name != NULL, NULL);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_SNAPSHOT, create_snapshot,
		      "create a snapshot", NULL, error, vm_id, name, flags, cancellable);
}

/**
 * ferry_provider_remove_snapshot:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @snapshot_id: the snapshot
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes (consolidates) a snapshot. A snapshot that no longer exists is not
 * an error.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_remove_snapshot(FerryProvider *self,
			       const char *vm_id,
			       const char *snapshot_id,
			       GCancellable *cancellable,
			       GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL && snapshot_id != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_SNAPSHOT, remove_snapshot,
		      "remove a snapshot", FALSE, error, vm_id, snapshot_id, cancellable);
}

/**
 * ferry_provider_get_changed_areas:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @disk_id: the disk
 * @snapshot_id: the snapshot the areas lead up to
 * @change_id: the change id of the previous copy, or `*` for every
 *   allocated area
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the changed areas, in order
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_provider_get_changed_areas(FerryProvider *self,
				 const char *vm_id,
				 const char *disk_id,
				 const char *snapshot_id,
				 const char *change_id,
				 GCancellable *cancellable,
				 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_id != NULL && disk_id != NULL && snapshot_id != NULL, NULL);
	g_return_val_if_fail(change_id != NULL, NULL);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS, get_changed_areas,
		      "list changed disk areas", NULL, error, vm_id, disk_id, snapshot_id,
		      change_id, cancellable);
}

/**
 * ferry_provider_detach_disk:
 * @self: a #FerryProvider
 * @vm_id: the source VM
 * @disk_id: one of its direct LUNs (the description's `luns[].id`)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Detaches a direct LUN from the source VM without deleting it, after the
 * VM was migrated with the LUN attached in place on the destination. A disk
 * that is attached no more is not an error.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.2
 */
gboolean
ferry_provider_detach_disk(FerryProvider *self,
			   const char *vm_id,
			   const char *disk_id,
			   GCancellable *cancellable,
			   GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL && disk_id != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS, detach_disk,
		      "detach a direct LUN", FALSE, error, vm_id, disk_id, cancellable);
}

/**
 * ferry_provider_pre_transfer:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Prepares the source VM for a copy. Providers without
 * %FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER need nothing and return %TRUE.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_pre_transfer(FerryProvider *self,
			    const char *vm_id,
			    GCancellable *cancellable,
			    GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL, FALSE);
	if (!ferry_provider_has_capability(self, FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER))
		return TRUE;
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER, pre_transfer,
		      "prepare a VM for transfer", FALSE, error, vm_id, cancellable);
}

/**
 * ferry_provider_open_disk:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @disk_id: the disk
 * @snapshot_id: (nullable): read the disk as of this snapshot
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a readable endpoint; close it when done
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_provider_open_disk(FerryProvider *self,
			 const char *vm_id,
			 const char *disk_id,
			 const char *snapshot_id,
			 GCancellable *cancellable,
			 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_id != NULL && disk_id != NULL, NULL);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_SOURCE, open_disk, "open a disk", NULL,
		      error, vm_id, disk_id, snapshot_id, cancellable);
}

/**
 * ferry_provider_prepare_disk:
 * @self: a #FerryProvider
 * @vm_spec: the target VM description
 * @disk_index: index into `disks` of @vm_spec
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Creates (or finds, when it already exists: the call is idempotent) the
 * target of one disk. The endpoint may be deferred (served at
 * ferry_disk_endpoint_open()), when serving it is costly.
 *
 * Returns: (transfer full): a writable endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_provider_prepare_disk(FerryProvider *self,
			    JsonObject *vm_spec,
			    guint disk_index,
			    GCancellable *cancellable,
			    GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_spec != NULL, NULL);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_DESTINATION, prepare_disk,
		      "prepare a target disk", NULL, error, vm_spec, disk_index, cancellable);
}

/**
 * ferry_provider_create_vm:
 * @self: a #FerryProvider
 * @vm_spec: the target VM description
 * @disks: (element-type FerryDiskEndpoint): the written target disks, in
 *   the order of `disks` in @vm_spec
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the id of the created VM on the destination
 *
 * Since: 0.1
 */
char *
ferry_provider_create_vm(FerryProvider *self,
			 JsonObject *vm_spec,
			 GPtrArray *disks,
			 GCancellable *cancellable,
			 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_spec != NULL && disks != NULL, NULL);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_DESTINATION, create_vm, "create a VM", NULL,
		      error, vm_spec, disks, cancellable);
}

/**
 * ferry_provider_remove_vm:
 * @self: a #FerryProvider
 * @vm_spec: the target VM description used to create it
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes the target VM and its disks (`deleteVmOnFailMigration`, archive).
 * A VM that does not exist is not an error.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_remove_vm(FerryProvider *self,
			 JsonObject *vm_spec,
			 GCancellable *cancellable,
			 GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_spec != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_DESTINATION, remove_vm, "remove a VM",
		      FALSE, error, vm_spec, cancellable);
}

/**
 * ferry_provider_remove_artifact:
 * @self: a #FerryProvider
 * @kind: what was created: `snapshot`, `vm`, `disk`, `image`, `volume`, …
 * @id: its id
 * @details: (nullable): what the engine recorded about it (`vmId` for a
 *   snapshot, the `vmSpec` for a VM)
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Removes an object the engine's ledger says this provider created. Used to
 * clean up after a crash; a missing object is not an error. When the plugin
 * has no remove_artifact, snapshots and VMs are removed through
 * remove_snapshot and remove_vm.
 *
 * A provider with %FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER gets one entry of
 * kind `pre-transfer` per VM (@id and `vmId` in @details: the VM's id),
 * recorded before pre_transfer starts: it removes whatever the preparation
 * of that VM made (found by the names it gives them). Without a
 * remove_artifact there is nothing to remove.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_remove_artifact(FerryProvider *self,
			       const char *kind,
			       const char *id,
			       JsonObject *details,
			       GCancellable *cancellable,
			       GError **error)
{
	FerryProviderInterface *iface;

	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(kind != NULL && id != NULL, FALSE);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->remove_artifact == NULL) {
		if (g_strcmp0(kind, "snapshot") == 0 && details != NULL &&
		    json_object_has_member(details, "vmId"))
			return ferry_provider_remove_snapshot(
			    self, json_object_get_string_member(details, "vmId"), id, cancellable,
			    error);
		if (g_strcmp0(kind, "vm") == 0 && details != NULL &&
		    json_object_has_member(details, "vmSpec"))
			return ferry_provider_remove_vm(
			    self, json_object_get_object_member(details, "vmSpec"), cancellable,
			    error);
		if (g_strcmp0(kind, "pre-transfer") == 0)
			return TRUE;
	}
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_NONE, remove_artifact, "remove an artifact",
		      FALSE, error, kind, id, details, cancellable);
}

/**
 * ferry_provider_finalize_plan:
 * @self: a #FerryProvider
 * @plan_name: the plan
 * @vm_ids: (array zero-terminated=1): the VMs of the plan
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cleans up after a plan finished. Providers that need nothing return %TRUE.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_finalize_plan(FerryProvider *self,
			     const char *plan_name,
			     const char *const *vm_ids,
			     GCancellable *cancellable,
			     GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(plan_name != NULL, FALSE);
	if (FERRY_PROVIDER_GET_IFACE(self)->finalize_plan == NULL)
		return TRUE;
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_NONE, finalize_plan, "finalize a plan",
		      FALSE, error, plan_name, vm_ids, cancellable);
}

/**
 * ferry_provider_live_migrate:
 * @self: a #FerryProvider
 * @vm_id: the running VM
 * @destination: the provider to migrate to
 * @vm_spec: the target VM description
 * @progress: (nullable): progress
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: %TRUE when the VM runs on @destination
 *
 * Since: 0.1
 */
gboolean
ferry_provider_live_migrate(FerryProvider *self,
			    const char *vm_id,
			    FerryProvider *destination,
			    JsonObject *vm_spec,
			    FerryProgress *progress,
			    GCancellable *cancellable,
			    GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(vm_id != NULL && FERRY_IS_PROVIDER(destination), FALSE);
	g_return_val_if_fail(vm_spec != NULL, FALSE);
	PROVIDER_CALL(self, FERRY_PROVIDER_CAPABILITY_LIVE, live_migrate, "live-migrate a VM",
		      FALSE, error, vm_id, destination, vm_spec, progress, cancellable);
}

/* asynchronous forms: the sync method in a worker thread */

typedef enum {
	OP_CONNECT,
	OP_LOAD_INVENTORY,
	OP_WATCH_INVENTORY,
	OP_POWER_OFF,
	OP_POWER_ON,
	OP_CREATE_SNAPSHOT,
	OP_REMOVE_SNAPSHOT,
	OP_GET_CHANGED_AREAS,
	OP_OPEN_DISK,
	OP_PREPARE_DISK,
	OP_CREATE_VM,
} ProviderOp;

typedef struct {
	ProviderOp op;
	FerryProviderConfig *config;
	FerryInventory *inventory;
	char *vm_id;
	char *disk_id;
	char *snapshot_id;
	char *change_id;
	char *name;
	FerrySnapshotFlags flags;
	JsonObject *vm_spec;
	guint disk_index;
	GPtrArray *disks;
} ProviderCall;

static void
provider_call_free(gpointer data)
{
	ProviderCall *call = data;
	g_clear_object(&call->config);
	g_clear_object(&call->inventory);
	g_free(call->vm_id);
	g_free(call->disk_id);
	g_free(call->snapshot_id);
	g_free(call->change_id);
	g_free(call->name);
	g_clear_pointer(&call->vm_spec, json_object_unref);
	g_clear_pointer(&call->disks, g_ptr_array_unref);
	g_free(call);
}

static void
provider_call_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	FerryProvider *self = FERRY_PROVIDER(source);
	ProviderCall *call = task_data;
	GError *error = NULL;
	gpointer result = NULL;
	GDestroyNotify result_free = g_object_unref;
	gboolean ok = FALSE;

	switch (call->op) {
	case OP_CONNECT:
		ok = ferry_provider_connect(self, call->config, cancellable, &error);
		break;
	case OP_LOAD_INVENTORY:
		ok = ferry_provider_load_inventory(self, call->inventory, cancellable, &error);
		break;
	case OP_WATCH_INVENTORY:
		ok = ferry_provider_watch_inventory(self, call->inventory, cancellable, &error);
		break;
	case OP_POWER_OFF:
		ok = ferry_provider_power_off(self, call->vm_id, cancellable, &error);
		break;
	case OP_POWER_ON:
		ok = ferry_provider_power_on(self, call->vm_id, cancellable, &error);
		break;
	case OP_REMOVE_SNAPSHOT:
		ok = ferry_provider_remove_snapshot(self, call->vm_id, call->snapshot_id,
						    cancellable, &error);
		break;
	case OP_CREATE_SNAPSHOT:
		result = ferry_provider_create_snapshot(self, call->vm_id, call->name, call->flags,
							cancellable, &error);
		break;
	case OP_GET_CHANGED_AREAS:
		result = ferry_provider_get_changed_areas(self, call->vm_id, call->disk_id,
							  call->snapshot_id, call->change_id,
							  cancellable, &error);
		result_free = (GDestroyNotify)ferry_extent_list_unref;
		break;
	case OP_OPEN_DISK:
		result = ferry_provider_open_disk(self, call->vm_id, call->disk_id,
						  call->snapshot_id, cancellable, &error);
		break;
	case OP_PREPARE_DISK:
		result = ferry_provider_prepare_disk(self, call->vm_spec, call->disk_index,
						     cancellable, &error);
		break;
	case OP_CREATE_VM:
		result = ferry_provider_create_vm(self, call->vm_spec, call->disks, cancellable,
						  &error);
		result_free = g_free;
		break;
	default:
		g_assert_not_reached();
	}
	if (error != NULL)
		g_task_return_error(task, error);
	else if (result != NULL)
		g_task_return_pointer(task, result, result_free);
	else
		g_task_return_boolean(task, ok);
}

static ProviderCall *
provider_call_new(ProviderOp op)
{
	ProviderCall *call = g_new0(ProviderCall, 1);
	call->op = op;
	return call;
}

static void
provider_call_start(FerryProvider *self,
		    ProviderCall *call,
		    gpointer source_tag,
		    GCancellable *cancellable,
		    GAsyncReadyCallback callback,
		    gpointer user_data)
{
	g_autoptr(GTask) task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, source_tag);
	g_task_set_task_data(task, call, provider_call_free);
	ferry_worker_run(task, provider_call_thread);
}

static gboolean
provider_call_finish_boolean(FerryProvider *self,
			     GAsyncResult *result,
			     gpointer source_tag,
			     GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, FALSE);
	/* GTask reports cancellation in G_IO_ERROR; callers see FERRY_ERROR */
	if (!g_task_propagate_boolean(G_TASK(result), error)) {
		ferry_error_convert(error);
		return FALSE;
	}
	return TRUE;
}

static gpointer
provider_call_finish_pointer(FerryProvider *self,
			     GAsyncResult *result,
			     gpointer source_tag,
			     GError **error)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) == source_tag, NULL);
	{
		gpointer value = g_task_propagate_pointer(G_TASK(result), error);
		if (value == NULL)
			ferry_error_convert(error);
		return value;
	}
}

/**
 * ferry_provider_connect_async:
 * @self: a #FerryProvider
 * @config: where and how to connect
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_connect().
 *
 * Since: 0.1
 */
void
ferry_provider_connect_async(FerryProvider *self,
			     FerryProviderConfig *config,
			     GCancellable *cancellable,
			     GAsyncReadyCallback callback,
			     gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(config));
	call = provider_call_new(OP_CONNECT);
	call->config = g_object_ref(config);
	provider_call_start(self, call, ferry_provider_connect_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_connect_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_connect_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_connect_async, error);
}

/**
 * ferry_provider_load_inventory_async:
 * @self: a #FerryProvider
 * @inventory: where to store what is found
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_load_inventory().
 *
 * Since: 0.1
 */
void
ferry_provider_load_inventory_async(FerryProvider *self,
				    FerryInventory *inventory,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(FERRY_IS_INVENTORY(inventory));
	call = provider_call_new(OP_LOAD_INVENTORY);
	call->inventory = g_object_ref(inventory);
	provider_call_start(self, call, ferry_provider_load_inventory_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_load_inventory_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_load_inventory_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_load_inventory_async,
					    error);
}

/**
 * ferry_provider_watch_inventory_async:
 * @self: a #FerryProvider
 * @inventory: where to store changes
 * @cancellable: (nullable): cancels the watch
 * @callback: (scope async) (closure user_data): called when the watch ends
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_watch_inventory().
 *
 * Since: 0.1
 */
void
ferry_provider_watch_inventory_async(FerryProvider *self,
				     FerryInventory *inventory,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(FERRY_IS_INVENTORY(inventory));
	call = provider_call_new(OP_WATCH_INVENTORY);
	call->inventory = g_object_ref(inventory);
	provider_call_start(self, call, ferry_provider_watch_inventory_async, cancellable,
			    callback, user_data);
}

/**
 * ferry_provider_watch_inventory_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %FALSE with the reason the watch ended
 *
 * Since: 0.1
 */
gboolean
ferry_provider_watch_inventory_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_watch_inventory_async,
					    error);
}

/**
 * ferry_provider_power_off_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_power_off().
 *
 * Since: 0.1
 */
void
ferry_provider_power_off_async(FerryProvider *self,
			       const char *vm_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL);
	call = provider_call_new(OP_POWER_OFF);
	call->vm_id = g_strdup(vm_id);
	provider_call_start(self, call, ferry_provider_power_off_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_power_off_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_power_off_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_power_off_async, error);
}

/**
 * ferry_provider_power_on_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_power_on().
 *
 * Since: 0.1
 */
void
ferry_provider_power_on_async(FerryProvider *self,
			      const char *vm_id,
			      GCancellable *cancellable,
			      GAsyncReadyCallback callback,
			      gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL);
	call = provider_call_new(OP_POWER_ON);
	call->vm_id = g_strdup(vm_id);
	provider_call_start(self, call, ferry_provider_power_on_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_power_on_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_power_on_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_power_on_async, error);
}

/**
 * ferry_provider_create_snapshot_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @name: the snapshot name
 * @flags: how to take it
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_create_snapshot().
 *
 * Since: 0.1
 */
void
ferry_provider_create_snapshot_async(FerryProvider *self,
				     const char *vm_id,
				     const char *name,
				     FerrySnapshotFlags flags,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL && name != NULL);
	call = provider_call_new(OP_CREATE_SNAPSHOT);
	call->vm_id = g_strdup(vm_id);
	call->name = g_strdup(name);
	call->flags = flags;
	provider_call_start(self, call, ferry_provider_create_snapshot_async, cancellable,
			    callback, user_data);
}

/**
 * ferry_provider_create_snapshot_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the snapshot
 *
 * Since: 0.1
 */
FerrySnapshot *
ferry_provider_create_snapshot_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_pointer(self, result, ferry_provider_create_snapshot_async,
					    error);
}

/**
 * ferry_provider_remove_snapshot_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @snapshot_id: the snapshot
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_remove_snapshot().
 *
 * Since: 0.1
 */
void
ferry_provider_remove_snapshot_async(FerryProvider *self,
				     const char *vm_id,
				     const char *snapshot_id,
				     GCancellable *cancellable,
				     GAsyncReadyCallback callback,
				     gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL && snapshot_id != NULL);
	call = provider_call_new(OP_REMOVE_SNAPSHOT);
	call->vm_id = g_strdup(vm_id);
	call->snapshot_id = g_strdup(snapshot_id);
	provider_call_start(self, call, ferry_provider_remove_snapshot_async, cancellable,
			    callback, user_data);
}

/**
 * ferry_provider_remove_snapshot_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_provider_remove_snapshot_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_boolean(self, result, ferry_provider_remove_snapshot_async,
					    error);
}

/**
 * ferry_provider_get_changed_areas_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @disk_id: the disk
 * @snapshot_id: the snapshot
 * @change_id: the previous change id, or `*`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_get_changed_areas().
 *
 * Since: 0.1
 */
void
ferry_provider_get_changed_areas_async(FerryProvider *self,
				       const char *vm_id,
				       const char *disk_id,
				       const char *snapshot_id,
				       const char *change_id,
				       GCancellable *cancellable,
				       GAsyncReadyCallback callback,
				       gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL && disk_id != NULL && snapshot_id != NULL);
	g_return_if_fail(change_id != NULL);
	call = provider_call_new(OP_GET_CHANGED_AREAS);
	call->vm_id = g_strdup(vm_id);
	call->disk_id = g_strdup(disk_id);
	call->snapshot_id = g_strdup(snapshot_id);
	call->change_id = g_strdup(change_id);
	provider_call_start(self, call, ferry_provider_get_changed_areas_async, cancellable,
			    callback, user_data);
}

/**
 * ferry_provider_get_changed_areas_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the changed areas
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_provider_get_changed_areas_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_pointer(self, result, ferry_provider_get_changed_areas_async,
					    error);
}

/**
 * ferry_provider_open_disk_async:
 * @self: a #FerryProvider
 * @vm_id: the VM
 * @disk_id: the disk
 * @snapshot_id: (nullable): the snapshot
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_open_disk().
 *
 * Since: 0.1
 */
void
ferry_provider_open_disk_async(FerryProvider *self,
			       const char *vm_id,
			       const char *disk_id,
			       const char *snapshot_id,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_id != NULL && disk_id != NULL);
	call = provider_call_new(OP_OPEN_DISK);
	call->vm_id = g_strdup(vm_id);
	call->disk_id = g_strdup(disk_id);
	call->snapshot_id = g_strdup(snapshot_id);
	provider_call_start(self, call, ferry_provider_open_disk_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_open_disk_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_provider_open_disk_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_pointer(self, result, ferry_provider_open_disk_async, error);
}

/**
 * ferry_provider_prepare_disk_async:
 * @self: a #FerryProvider
 * @vm_spec: the target VM description
 * @disk_index: index into `disks`
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_prepare_disk().
 *
 * Since: 0.1
 */
void
ferry_provider_prepare_disk_async(FerryProvider *self,
				  JsonObject *vm_spec,
				  guint disk_index,
				  GCancellable *cancellable,
				  GAsyncReadyCallback callback,
				  gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_spec != NULL);
	call = provider_call_new(OP_PREPARE_DISK);
	call->vm_spec = json_object_ref(vm_spec);
	call->disk_index = disk_index;
	provider_call_start(self, call, ferry_provider_prepare_disk_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_prepare_disk_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the endpoint
 *
 * Since: 0.1
 */
FerryDiskEndpoint *
ferry_provider_prepare_disk_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_pointer(self, result, ferry_provider_prepare_disk_async,
					    error);
}

/**
 * ferry_provider_create_vm_async:
 * @self: a #FerryProvider
 * @vm_spec: the target VM description
 * @disks: (element-type FerryDiskEndpoint): the written target disks
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_provider_create_vm().
 *
 * Since: 0.1
 */
void
ferry_provider_create_vm_async(FerryProvider *self,
			       JsonObject *vm_spec,
			       GPtrArray *disks,
			       GCancellable *cancellable,
			       GAsyncReadyCallback callback,
			       gpointer user_data)
{
	ProviderCall *call;
	g_return_if_fail(FERRY_IS_PROVIDER(self));
	g_return_if_fail(vm_spec != NULL && disks != NULL);
	call = provider_call_new(OP_CREATE_VM);
	call->vm_spec = json_object_ref(vm_spec);
	call->disks = g_ptr_array_ref(disks);
	provider_call_start(self, call, ferry_provider_create_vm_async, cancellable, callback,
			    user_data);
}

/**
 * ferry_provider_create_vm_finish:
 * @self: a #FerryProvider
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the id of the created VM
 *
 * Since: 0.1
 */
char *
ferry_provider_create_vm_finish(FerryProvider *self, GAsyncResult *result, GError **error)
{
	return provider_call_finish_pointer(self, result, ferry_provider_create_vm_async, error);
}

/**
 * ferry_provider_describe_vm:
 * @self: a #FerryProvider
 * @vm: an inventory VM document of this provider
 * @error: return location for a #GError
 *
 * Turns an inventory VM document into the normalised source description
 * (`name`, `cpu`, `memoryMiB`, `firmware`, `osType`, `disks[]` with `id`,
 * `capacity`, `storage`, `bus`, `fileName`, `shared`, and `nics[]` with
 * `mac`, `network`, `model`, `name`). Required of SOURCE providers.
 *
 * Returns: (transfer full) (nullable): the description, or %NULL with
 *   @error set
 *
 * Since: 0.1
 */
JsonObject *
ferry_provider_describe_vm(FerryProvider *self, JsonObject *vm, GError **error)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm != NULL, NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->describe_vm == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "provider type %s does not implement describe_vm, which every "
			    "source provider must; update its plugin",
			    ferry_provider_get_provider_type(self));
		return NULL;
	}
	return iface->describe_vm(self, vm, error);
}

/**
 * ferry_provider_get_map_kinds:
 * @self: a #FerryProvider
 * @network_kind: (out) (optional) (transfer none) (nullable): the inventory
 *   kind a NetworkMap source names
 * @storage_kind: (out) (optional) (transfer none) (nullable): the inventory
 *   kind a StorageMap source names
 *
 * Returns: whether the provider says
 *
 * Since: 0.1
 */
gboolean
ferry_provider_get_map_kinds(FerryProvider *self,
			     const char **network_kind,
			     const char **storage_kind)
{
	FerryProviderInterface *iface;
	const char *network = NULL;
	const char *storage = NULL;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->get_map_kinds == NULL)
		return FALSE;
	iface->get_map_kinds(self, &network, &storage);
	if (network_kind != NULL)
		*network_kind = network;
	if (storage_kind != NULL)
		*storage_kind = storage;
	return TRUE;
}

/**
 * ferry_provider_check_url:
 * @self: a #FerryProvider
 * @url: a Provider `spec.url`, not empty
 * @error: return location for a #GError
 *
 * Without the method, @url must be a valid URI.
 *
 * Returns: whether @url is valid for this provider
 *
 * Since: 0.1
 */
gboolean
ferry_provider_check_url(FerryProvider *self, const char *url, GError **error)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	g_return_val_if_fail(url != NULL, FALSE);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->check_url != NULL)
		return iface->check_url(self, url, error);
	if (!g_uri_is_valid(url, G_URI_FLAGS_NONE, NULL)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: write it as https://host/path.");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_provider_get_secret_keys:
 * @self: a #FerryProvider
 * @url: (nullable): the Provider's `spec.url`
 * @needs_ca: (out) (optional): whether the Secret needs `ca.crt` unless it
 *   sets `insecureSkipVerify`
 *
 * Returns: (transfer none) (nullable) (array zero-terminated=1): the keys
 *   the Provider's Secret must hold, %NULL for none
 *
 * Since: 0.1
 */
const char *const *
ferry_provider_get_secret_keys(FerryProvider *self, const char *url, gboolean *needs_ca)
{
	FerryProviderInterface *iface;
	gboolean ca = FALSE;
	const char *const *keys = NULL;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->get_secret_keys != NULL)
		keys = iface->get_secret_keys(self, url, &ca);
	if (needs_ca != NULL)
		*needs_ca = ca;
	return keys;
}

/**
 * ferry_provider_get_feature_gate:
 * @self: a #FerryProvider
 * @migration_type: a Plan `spec.type`: cold, warm, conversion or live
 *
 * The ForkliftController setting that must not be false for plans of
 * @migration_type from this provider, as Forklift's feature gates switch
 * some of them (warm from oVirt: `controller_ovirt_warm_migration`).
 *
 * Returns: (transfer none) (nullable): the setting's name, or %NULL when
 *   none gates the type
 *
 * Since: 0.1
 */
const char *
ferry_provider_get_feature_gate(FerryProvider *self, const char *migration_type)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->get_feature_gate == NULL || migration_type == NULL)
		return NULL;
	return iface->get_feature_gate(self, migration_type);
}

/**
 * ferry_provider_test_connection:
 * @self: a connected #FerryProvider
 * @namespaces: (nullable) (array zero-terminated=1): the namespaces the
 *   plans using the provider work in (for a destination: their target
 *   namespaces), where the credentials are checked
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * What the connection test reports besides the connection itself, as
 * Forklift's provider controller reports it: `details`, an object of facts
 * for the user (e.g. `version`, the APIs served, what the credentials may
 * do), and `conditions`, an array of Forklift conditions (`type`, `status`
 * "True" or "False", `category` `Required`, `Advisory`, `Warn`, `Critical`
 * or `Error`, `reason`, `message`, optionally `suggestion` and `items`)
 * to record in the Provider's status, e.g. `InsufficientPrivileges`
 * (Critical) naming each resource and verb the credentials lack. A
 * provider without the method reports nothing.
 *
 * Returns: (transfer full): an object with `details` and `conditions`, or
 *   %NULL with @error set when the test could not be made
 *
 * Since: 0.1
 */
JsonObject *
ferry_provider_test_connection(FerryProvider *self,
			       const char *const *namespaces,
			       GCancellable *cancellable,
			       GError **error)
{
	FerryProviderInterface *iface;
	g_autoptr(GError) local_error = NULL;
	JsonObject *result;

	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->test_connection == NULL) {
		result = json_object_new();
	} else {
		result = iface->test_connection(self, namespaces, cancellable, &local_error);
		if (result == NULL) {
			ferry_provider_fixup_error(self, "test the connection", &local_error);
			g_propagate_error(error, g_steal_pointer(&local_error));
			return NULL;
		}
	}
	/* both members always there, of the documented types */
	if (!json_object_has_member(result, "details") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(result, "details")))
		json_object_set_object_member(result, "details", json_object_new());
	if (!json_object_has_member(result, "conditions") ||
	    !JSON_NODE_HOLDS_ARRAY(json_object_get_member(result, "conditions")))
		json_object_set_array_member(result, "conditions", json_array_new());
	return result;
}

/**
 * ferry_provider_can_verify_vm:
 * @self: a #FerryProvider
 *
 * Returns: whether the destination can check that a created VM boots
 *
 * Since: 0.1
 */
gboolean
ferry_provider_can_verify_vm(FerryProvider *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), FALSE);
	return FERRY_PROVIDER_GET_IFACE(self)->verify_vm != NULL;
}

/**
 * ferry_provider_verify_vm:
 * @self: a #FerryProvider
 * @vm_id: the id create_vm() returned
 * @vm_spec: the VM description create_vm() was given
 * @options: (nullable): `timeoutSeconds` (int) and `marker` (a regular
 *   expression the console must print) from the plan and provider settings
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Starts the created VM, waits until it shows that it booted, and stops it
 * again. A VM that does not boot is not an error of this call: the result
 * says so.
 *
 * Returns: (transfer full) (nullable): the result (`booted` boolean,
 *   `seconds`, `reason`, `message`, `consoleTail`, `consoleLog` path), or
 *   %NULL with @error set when the check could not be run at all
 *
 * Since: 0.1
 */
JsonObject *
ferry_provider_verify_vm(FerryProvider *self,
			 const char *vm_id,
			 JsonObject *vm_spec,
			 JsonObject *options,
			 GCancellable *cancellable,
			 GError **error)
{
	FerryProviderInterface *iface;
	g_return_val_if_fail(FERRY_IS_PROVIDER(self), NULL);
	g_return_val_if_fail(vm_id != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);
	iface = FERRY_PROVIDER_GET_IFACE(self);
	if (iface->verify_vm == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "provider type %s cannot check that a VM boots",
			    ferry_provider_get_provider_type(self));
		return NULL;
	}
	return iface->verify_vm(self, vm_id, vm_spec, options, cancellable, error);
}
