/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * A fixture plugin that implements all three interfaces with a tiny
 * in-memory platform. It exists to test the loader, the interface wrappers
 * and the GObject Introspection bindings; it is never installed.
 */

#include <ferry-plugin-sdk.h>
#include <gio/gio.h>

/* --- provider "good": two VMs, power and snapshots --- */

#define GOOD_TYPE_PROVIDER (good_provider_get_type())
G_DECLARE_FINAL_TYPE(GoodProvider, good_provider, GOOD, PROVIDER, GObject)

struct _GoodProvider {
	GObject parent_instance;
	GHashTable *power; /* vm id → FerryPowerState */
	guint snapshots;
};

static void good_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(GoodProvider, good_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     good_provider_iface_init))

static void
good_provider_finalize(GObject *object)
{
	GoodProvider *self = GOOD_PROVIDER(object);
	g_hash_table_unref(self->power);
	G_OBJECT_CLASS(good_provider_parent_class)->finalize(object);
}

static void
good_provider_class_init(GoodProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = good_provider_finalize;
}

static void
good_provider_class_finalize(GoodProviderClass *klass)
{
}

static void
good_provider_init(GoodProvider *self)
{
	self->power = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_hash_table_insert(self->power, g_strdup("vm-1"), GINT_TO_POINTER(FERRY_POWER_STATE_ON));
	g_hash_table_insert(self->power, g_strdup("vm-2"), GINT_TO_POINTER(FERRY_POWER_STATE_OFF));
}

static const char *
good_get_provider_type(FerryProvider *provider)
{
	return "good";
}

static FerryProviderCapabilities
good_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_POWER |
	       FERRY_PROVIDER_CAPABILITY_SNAPSHOT;
}

static gboolean
good_connect(FerryProvider *provider,
	     FerryProviderConfig *config,
	     GCancellable *cancellable,
	     GError **error)
{
	FerrySecret *secret = ferry_provider_config_get_secret(config);
	g_autofree char *password = NULL;
	if (secret == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
			    "%s has no secret; set spec.secret",
			    ferry_provider_config_get_name(config));
		return FALSE;
	}
	password = ferry_secret_dup_string(secret, "password");
	if (g_strcmp0(password, "good") != 0) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED,
				    "wrong user or password");
		return FALSE;
	}
	return TRUE;
}

static JsonObject *
good_make_vm(const char *id, const char *name, gint64 memory, guint disks)
{
	JsonObject *vm = json_object_new();
	JsonArray *disk_array = json_array_new();
	json_object_set_string_member(vm, "id", id);
	json_object_set_string_member(vm, "name", name);
	json_object_set_int_member(vm, "memoryMB", memory);
	json_object_set_int_member(vm, "cpuCount", 2);
	for (guint i = 0; i < disks; i++) {
		JsonObject *disk = json_object_new();
		g_autofree char *disk_id = g_strdup_printf("%s-disk-%u", id, i);
		json_object_set_string_member(disk, "id", disk_id);
		json_object_set_int_member(disk, "capacity", 1 << 20);
		json_array_add_object_element(disk_array, disk);
	}
	json_object_set_array_member(vm, "disks", disk_array);
	return vm;
}

static gboolean
good_load_inventory(FerryProvider *provider,
		    FerryInventory *inventory,
		    GCancellable *cancellable,
		    GError **error)
{
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	const char *name = config != NULL ? ferry_provider_config_get_name(config) : "good";
	g_autoptr(JsonObject) vm1 = good_make_vm("vm-1", "web", 2048, 1);
	g_autoptr(JsonObject) vm2 = good_make_vm("vm-2", "db", 8192, 2);

	if (!ferry_inventory_begin_update(inventory, name, TRUE, error))
		return FALSE;
	if (!ferry_inventory_upsert(inventory, "vm", "vm-1", "web", NULL, vm1, error) ||
	    !ferry_inventory_upsert(inventory, "vm", "vm-2", "db", NULL, vm2, error)) {
		ferry_inventory_abort_update(inventory);
		return FALSE;
	}
	return ferry_inventory_commit_update(inventory, error);
}

static gboolean
good_lookup(GoodProvider *self, const char *vm_id, FerryPowerState *state, GError **error)
{
	gpointer value;
	if (!g_hash_table_lookup_extended(self->power, vm_id, NULL, &value)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "VM %s not found", vm_id);
		return FALSE;
	}
	*state = GPOINTER_TO_INT(value);
	return TRUE;
}

static FerryPowerState
good_get_power_state(FerryProvider *provider,
		     const char *vm_id,
		     GCancellable *cancellable,
		     GError **error)
{
	FerryPowerState state;
	if (!good_lookup(GOOD_PROVIDER(provider), vm_id, &state, error))
		return FERRY_POWER_STATE_UNKNOWN;
	return state;
}

static gboolean
good_set_power(FerryProvider *provider, const char *vm_id, FerryPowerState want, GError **error)
{
	GoodProvider *self = GOOD_PROVIDER(provider);
	FerryPowerState state;
	if (!good_lookup(self, vm_id, &state, error))
		return FALSE;
	if (state == want) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE, "VM %s is already %s",
			    vm_id, ferry_power_state_to_string(want));
		return FALSE;
	}
	g_hash_table_insert(self->power, g_strdup(vm_id), GINT_TO_POINTER(want));
	return TRUE;
}

static gboolean
good_power_off(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	return good_set_power(provider, vm_id, FERRY_POWER_STATE_OFF, error);
}

static gboolean
good_power_on(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	return good_set_power(provider, vm_id, FERRY_POWER_STATE_ON, error);
}

static FerrySnapshot *
good_create_snapshot(FerryProvider *provider,
		     const char *vm_id,
		     const char *name,
		     FerrySnapshotFlags flags,
		     GCancellable *cancellable,
		     GError **error)
{
	GoodProvider *self = GOOD_PROVIDER(provider);
	FerryPowerState state;
	g_autofree char *id = NULL;
	g_autofree char *change_id = NULL;
	g_autofree char *disk_id = NULL;
	FerrySnapshot *snapshot;

	if (!good_lookup(self, vm_id, &state, error))
		return NULL;
	id = g_strdup_printf("snapshot-%u", ++self->snapshots);
	change_id = g_strdup_printf("change/%u", self->snapshots);
	disk_id = g_strdup_printf("%s-disk-0", vm_id);
	snapshot = ferry_snapshot_new(vm_id, id);
	ferry_snapshot_set_change_id(snapshot, disk_id, change_id);
	return snapshot;
}

static gboolean
good_remove_snapshot(FerryProvider *provider,
		     const char *vm_id,
		     const char *snapshot_id,
		     GCancellable *cancellable,
		     GError **error)
{
	FerryPowerState state;
	return good_lookup(GOOD_PROVIDER(provider), vm_id, &state, error);
}

static FerryDiskEndpoint *
good_open_disk(FerryProvider *provider,
	       const char *vm_id,
	       const char *disk_id,
	       const char *snapshot_id,
	       GCancellable *cancellable,
	       GError **error)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "the good fixture has no disk data for %s", disk_id);
	return NULL;
}

static void
good_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_provider_type = good_get_provider_type;
	iface->get_capabilities = good_get_capabilities;
	iface->connect = good_connect;
	iface->load_inventory = good_load_inventory;
	iface->get_power_state = good_get_power_state;
	iface->power_off = good_power_off;
	iface->power_on = good_power_on;
	iface->create_snapshot = good_create_snapshot;
	iface->remove_snapshot = good_remove_snapshot;
	iface->open_disk = good_open_disk;
}

/* --- transfer method "good-copy": local file to local file --- */

#define GOOD_TYPE_COPY (good_copy_get_type())
G_DECLARE_FINAL_TYPE(GoodCopy, good_copy, GOOD, COPY, GObject)

struct _GoodCopy {
	GObject parent_instance;
};

static void good_copy_iface_init(FerryTransferMethodInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(GoodCopy, good_copy, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_TRANSFER_METHOD,
							     good_copy_iface_init))

static void
good_copy_class_init(GoodCopyClass *klass)
{
}

static void
good_copy_class_finalize(GoodCopyClass *klass)
{
}

static void
good_copy_init(GoodCopy *self)
{
}

static const char *
good_copy_get_name(FerryTransferMethod *method)
{
	return "good-copy";
}

static guint
good_copy_supports(FerryTransferMethod *method, FerryTransferRequest *request)
{
	FerryDiskEndpoint *source = ferry_transfer_request_get_source(request);
	FerryDiskEndpoint *target = ferry_transfer_request_get_target(request);
	if (ferry_disk_endpoint_get_path(source) == NULL ||
	    ferry_disk_endpoint_get_path(target) == NULL)
		return 0;
	if (ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_CONVERT)
		return 0;
	return 1;
}

static gboolean
good_copy_copy(FerryTransferMethod *method,
	       FerryTransferRequest *request,
	       FerryProgress *progress,
	       GCancellable *cancellable,
	       GError **error)
{
	g_autoptr(GFile) source =
	    g_file_new_for_path(ferry_disk_endpoint_get_path(ferry_transfer_request_get_source(request)));
	g_autoptr(GFile) target =
	    g_file_new_for_path(ferry_disk_endpoint_get_path(ferry_transfer_request_get_target(request)));
	g_autoptr(GFileInfo) info =
	    g_file_query_info(source, G_FILE_ATTRIBUTE_STANDARD_SIZE, 0, cancellable, error);
	if (info == NULL)
		return FALSE;
	if (progress != NULL)
		ferry_progress_set_total(progress, g_file_info_get_size(info));
	if (!g_file_copy(source, target, G_FILE_COPY_OVERWRITE, cancellable, NULL, NULL, error))
		return FALSE;
	if (progress != NULL)
		ferry_progress_set_done(progress, g_file_info_get_size(info));
	return TRUE;
}

static void
good_copy_iface_init(FerryTransferMethodInterface *iface)
{
	iface->get_name = good_copy_get_name;
	iface->supports = good_copy_supports;
	iface->copy = good_copy_copy;
}

/* --- validator "good-check": warns about VMs over 4 GiB of memory --- */

#define GOOD_TYPE_CHECK (good_check_get_type())
G_DECLARE_FINAL_TYPE(GoodCheck, good_check, GOOD, CHECK, GObject)

struct _GoodCheck {
	GObject parent_instance;
};

static void good_check_iface_init(FerryValidatorInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(GoodCheck, good_check, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_VALIDATOR,
							     good_check_iface_init))

static void
good_check_class_init(GoodCheckClass *klass)
{
}

static void
good_check_class_finalize(GoodCheckClass *klass)
{
}

static void
good_check_init(GoodCheck *self)
{
}

static const char *
good_check_get_name(FerryValidator *validator)
{
	return "good-check";
}

static GPtrArray *
good_check_validate(FerryValidator *validator,
		    const char *provider_type,
		    JsonObject *vm,
		    GCancellable *cancellable,
		    GError **error)
{
	GPtrArray *concerns = g_ptr_array_new_with_free_func(g_object_unref);
	if (json_object_get_int_member_with_default(vm, "memoryMB", 0) > 4096)
		g_ptr_array_add(concerns,
				ferry_concern_new("good.memory.large",
						  FERRY_CONCERN_CATEGORY_WARNING, "Large memory",
						  "The VM has more than 4 GiB of memory."));
	return concerns;
}

static void
good_check_iface_init(FerryValidatorInterface *iface)
{
	iface->get_name = good_check_get_name;
	iface->validate = good_check_validate;
}

static gboolean
good_register(FerryPluginModule *module, GError **error)
{
	GTypeModule *type_module = G_TYPE_MODULE(module);
	good_provider_register_type(type_module);
	good_copy_register_type(type_module);
	good_check_register_type(type_module);
	return ferry_plugin_module_add_provider(module, "good", GOOD_TYPE_PROVIDER, error) &&
	       ferry_plugin_module_add_transfer_method(module, "good-copy", GOOD_TYPE_COPY,
						       error) &&
	       ferry_plugin_module_add_validator(module, "good-check", GOOD_TYPE_CHECK, error);
}

FERRY_PLUGIN_DEFINE(good, "good", "Test fixture implementing every interface", good_register)
