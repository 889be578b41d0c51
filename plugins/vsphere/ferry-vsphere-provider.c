/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-vsphere-client.h"
#include "ferry-vsphere-disk.h"
#include "ferry-vsphere-inventory.h"
#include "ferry-vsphere-provider.h"

/* objects per RetrievePropertiesEx page of a full load */
#define INVENTORY_PAGE_SIZE 500
/* how long one WaitForUpdatesEx waits on the server */
#define WATCH_MAX_WAIT_SECONDS 60
/* how long a guest gets to shut down before it is powered off */
#define GUEST_SHUTDOWN_SECONDS 300

struct _FerryVsphereProvider {
	GObject parent_instance;
	GMutex lock; /* protects what follows */
	FerryVsphereClient *client;
	FerryProviderConfig *config;
	GHashTable *host_clients; /* host id → FerryVsphereClient */
};

static void ferry_vsphere_provider_iface_init(FerryProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryVsphereProvider,
			       ferry_vsphere_provider,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_vsphere_provider_iface_init))

void
ferry_vsphere_provider_register(GTypeModule *module)
{
	ferry_vsphere_provider_register_type(module);
}

static void
ferry_vsphere_logout_client_cb(gpointer key, gpointer value, gpointer user_data)
{
	ferry_vsphere_client_logout(FERRY_VSPHERE_CLIENT(value));
}

static void
ferry_vsphere_provider_dispose(GObject *object)
{
	FerryVsphereProvider *self = FERRY_VSPHERE_PROVIDER(object);

	g_hash_table_foreach(self->host_clients, ferry_vsphere_logout_client_cb, NULL);
	g_hash_table_remove_all(self->host_clients);
	if (self->client != NULL)
		ferry_vsphere_client_logout(self->client);
	g_clear_object(&self->client);
	g_clear_object(&self->config);
	G_OBJECT_CLASS(ferry_vsphere_provider_parent_class)->dispose(object);
}

static void
ferry_vsphere_provider_finalize(GObject *object)
{
	FerryVsphereProvider *self = FERRY_VSPHERE_PROVIDER(object);

	g_hash_table_unref(self->host_clients);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_vsphere_provider_parent_class)->finalize(object);
}

static void
ferry_vsphere_provider_class_init(FerryVsphereProviderClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);
	object_class->dispose = ferry_vsphere_provider_dispose;
	object_class->finalize = ferry_vsphere_provider_finalize;
}

static void
ferry_vsphere_provider_class_finalize(FerryVsphereProviderClass *klass)
{
}

static void
ferry_vsphere_provider_init(FerryVsphereProvider *self)
{
	g_mutex_init(&self->lock);
	self->host_clients = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
}

static const char *
ferry_vsphere_get_provider_type(FerryProvider *provider)
{
	return "vsphere";
}

static FerryProviderCapabilities
ferry_vsphere_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_POWER |
	       FERRY_PROVIDER_CAPABILITY_SNAPSHOT | FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS |
	       FERRY_PROVIDER_CAPABILITY_HOSTS | FERRY_PROVIDER_CAPABILITY_WATCH |
	       FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION | FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY |
	       FERRY_PROVIDER_CAPABILITY_CONVERSION_ONLY |
	       FERRY_PROVIDER_CAPABILITY_SNAPSHOT_CONSOLIDATION | FERRY_PROVIDER_CAPABILITY_CREDENTIALS |
	       FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN;
}

/* the connected client and its configuration, or an error */
static FerryVsphereClient *
ferry_vsphere_provider_get_client(FerryVsphereProvider *self,
				  FerryProviderConfig **config,
				  GError **error)
{
	FerryVsphereClient *client = NULL;

	g_mutex_lock(&self->lock);
	if (self->client != NULL) {
		client = g_object_ref(self->client);
		if (config != NULL)
			*config = g_object_ref(self->config);
	}
	g_mutex_unlock(&self->lock);
	if (client == NULL)
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "vsphere: the provider is not connected; connect it first");
	return client;
}

static char *
ferry_vsphere_provider_display_name(FerryProviderConfig *config)
{
	return ferry_provider_config_dup_display_name(config);
}

/* plain http:// sends the password (and then the session cookie) in clear:
 * only when the Provider says so explicitly */
static gboolean
ferry_vsphere_check_plain_http(FerryProviderConfig *config,
			       const char *url,
			       const char *display,
			       GError **error)
{
	if (url == NULL || g_ascii_strncasecmp(url, "http://", 7) != 0 ||
	    g_strcmp0(ferry_provider_config_get_setting(config, "insecureHTTP"), "true") == 0)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "vsphere: %s: %s is plain HTTP, which would send the user and password in "
		    "clear; use https://, or allow it explicitly with the Provider setting "
		    "spec.settings.insecureHTTP: \"true\"",
		    display, url);
	return FALSE;
}

static gboolean
ferry_vsphere_connect(FerryProvider *provider,
		      FerryProviderConfig *config,
		      GCancellable *cancellable,
		      GError **error)
{
	FerryVsphereProvider *self = FERRY_VSPHERE_PROVIDER(provider);
	g_autoptr(FerryVsphereClient) client = NULL;
	g_autoptr(FerryVsphereClient) old = NULL;
	g_autofree char *display = ferry_vsphere_provider_display_name(config);
	const char *endpoint = ferry_provider_config_get_setting(config, "sdkEndpoint");
	const char *api_type;

	if (endpoint != NULL && g_strcmp0(endpoint, "vcenter") != 0 &&
	    g_strcmp0(endpoint, "esxi") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: %s: settings.sdkEndpoint is '%s'; use vcenter or esxi",
			    display, endpoint);
		return FALSE;
	}
	if (!ferry_vsphere_check_plain_http(config, ferry_provider_config_get_url(config), display,
					    error))
		return FALSE;
	client = ferry_vsphere_client_new(ferry_provider_config_get_url(config),
					  ferry_provider_config_get_secret(config), display, error);
	if (client == NULL || !ferry_vsphere_client_login(client, cancellable, error))
		return FALSE;
	api_type = ferry_vsphere_client_get_api_type(client);
	if (g_strcmp0(endpoint, "esxi") == 0 && g_strcmp0(api_type, "HostAgent") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: %s: settings.sdkEndpoint is esxi but %s is %s; remove the "
			    "setting or point spec.url at the ESXi host",
			    display, ferry_provider_config_get_url(config),
			    ferry_vsphere_client_get_full_name(client));
		ferry_vsphere_client_logout(client);
		return FALSE;
	}
	if (g_strcmp0(endpoint, "vcenter") == 0 && g_strcmp0(api_type, "HostAgent") == 0)
		g_warning("vsphere: %s: settings.sdkEndpoint is vcenter but %s is an ESXi host; "
			  "set sdkEndpoint: esxi",
			  display, ferry_provider_config_get_url(config));
	g_debug("vsphere: %s: connected to %s (API %s)", display,
		ferry_vsphere_client_get_full_name(client),
		ferry_vsphere_client_get_api_version(client));

	g_mutex_lock(&self->lock);
	old = g_steal_pointer(&self->client);
	self->client = g_steal_pointer(&client);
	g_set_object(&self->config, config);
	g_hash_table_remove_all(self->host_clients);
	g_mutex_unlock(&self->lock);
	if (old != NULL)
		ferry_vsphere_client_logout(old);
	return TRUE;
}

static char *
ferry_vsphere_get_fingerprint(FerryProvider *provider)
{
	g_autoptr(FerryVsphereClient) client =
	    ferry_vsphere_provider_get_client(FERRY_VSPHERE_PROVIDER(provider), NULL, NULL);
	return client != NULL ? ferry_vsphere_client_dup_fingerprint(client) : NULL;
}

static gboolean
ferry_vsphere_load_inventory(FerryProvider *provider,
			     FerryInventory *inventory,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryVsphereClient) client =
	    ferry_vsphere_provider_get_client(FERRY_VSPHERE_PROVIDER(provider), &config, error);

	if (client == NULL)
		return FALSE;
	return ferry_vsphere_inventory_load(client, inventory,
					    ferry_provider_config_get_name(config),
					    INVENTORY_PAGE_SIZE, cancellable, error);
}

static gboolean
ferry_vsphere_watch_inventory(FerryProvider *provider,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryVsphereClient) client =
	    ferry_vsphere_provider_get_client(FERRY_VSPHERE_PROVIDER(provider), &config, error);

	if (client == NULL)
		return FALSE;
	return ferry_vsphere_inventory_watch(client, inventory,
					     ferry_provider_config_get_name(config),
					     WATCH_MAX_WAIT_SECONDS, cancellable, error);
}

/* --- VMs --- */

typedef struct {
	FerryVsphereClient *client;
	FerryProviderConfig *config;
	char *context; /* vsphere: Provider ns/name: VM vm-42 (web-01) */
	FerryVsphereResult *result;
	FerryVsphereObject *vm;
} VmCall;

static void
vm_call_clear(VmCall *call)
{
	g_clear_object(&call->client);
	g_clear_object(&call->config);
	g_clear_pointer(&call->context, g_free);
	g_clear_pointer(&call->result, ferry_vsphere_result_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(VmCall, vm_call_clear)

/* reads @paths (and the name) of @vm_id and sets up errors that name it */
static gboolean
vm_call_init(VmCall *call,
	     FerryProvider *provider,
	     const char *vm_id,
	     const char *const *paths,
	     GCancellable *cancellable,
	     GError **error)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new();
	g_autofree char *display = NULL;
	g_autofree char *name = NULL;

	call->client = ferry_vsphere_provider_get_client(FERRY_VSPHERE_PROVIDER(provider),
							 &call->config, error);
	if (call->client == NULL)
		return FALSE;
	display = ferry_vsphere_provider_display_name(call->config);
	call->context = g_strdup_printf("vsphere: %s: VM %s", display, vm_id);
	g_ptr_array_add(all, "name");
	for (guint i = 0; paths != NULL && paths[i] != NULL; i++)
		g_ptr_array_add(all, (gpointer)paths[i]);
	g_ptr_array_add(all, NULL);
	call->result = ferry_vsphere_client_retrieve_object(call->client, "VirtualMachine", vm_id,
							    (const char *const *)all->pdata,
							    call->context, cancellable, error);
	if (call->result == NULL)
		return FALSE;
	call->vm = ferry_vsphere_result_get_object(call->result, vm_id);
	name = ferry_vsphere_object_dup_string(call->vm, "name");
	g_free(call->context);
	call->context = g_strdup_printf("vsphere: %s: VM %s (%s)", display, vm_id, name);
	return TRUE;
}

static FerryPowerState
ferry_vsphere_power_state_from_string(const char *state)
{
	if (g_strcmp0(state, "poweredOn") == 0)
		return FERRY_POWER_STATE_ON;
	if (g_strcmp0(state, "poweredOff") == 0)
		return FERRY_POWER_STATE_OFF;
	if (g_strcmp0(state, "suspended") == 0)
		return FERRY_POWER_STATE_SUSPENDED;
	return FERRY_POWER_STATE_UNKNOWN;
}

static FerryPowerState
ferry_vsphere_read_power_state(FerryVsphereClient *client,
			       const char *vm_id,
			       const char *context,
			       GCancellable *cancellable,
			       GError **error)
{
	static const char *const paths[] = {"runtime.powerState", NULL};
	g_autoptr(FerryVsphereResult) result = NULL;
	g_autofree char *state = NULL;

	result = ferry_vsphere_client_retrieve_object(client, "VirtualMachine", vm_id, paths,
						      context, cancellable, error);
	if (result == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	state = ferry_vsphere_object_dup_string(ferry_vsphere_result_get_object(result, vm_id),
						"runtime.powerState");
	return ferry_vsphere_power_state_from_string(state);
}

static FerryPowerState
ferry_vsphere_get_power_state(FerryProvider *provider,
			      const char *vm_id,
			      GCancellable *cancellable,
			      GError **error)
{
	static const char *const paths[] = {"runtime.powerState", NULL};
	g_auto(VmCall) call = {0};
	g_autofree char *state = NULL;
	FerryPowerState power;

	if (!vm_call_init(&call, provider, vm_id, paths, cancellable, error))
		return FERRY_POWER_STATE_UNKNOWN;
	state = ferry_vsphere_object_dup_string(call.vm, "runtime.powerState");
	power = ferry_vsphere_power_state_from_string(state);
	if (power == FERRY_POWER_STATE_UNKNOWN)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: unknown power state '%s'", call.context, state != NULL ? state : "");
	return power;
}

/* runs a VM method that returns a task and waits for it */
static gboolean
ferry_vsphere_run_task(VmCall *call,
		       const char *method,
		       const char *what,
		       char **result,
		       GCancellable *cancellable,
		       GError **error,
		       ...)
{
	g_autoptr(FerryVsphereRequest) request =
	    ferry_vsphere_request_new(method, "VirtualMachine", call->vm->id);
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autofree char *context = g_strdup_printf("%s: %s", call->context, what);
	g_autofree char *task = NULL;
	va_list args;
	const char *element;

	/* element/value pairs of text arguments, NULL-terminated */
	va_start(args, error);
	while ((element = va_arg(args, const char *)) != NULL)
		ferry_vsphere_request_add_text(request, element, va_arg(args, const char *));
	va_end(args);
	response = ferry_vsphere_client_call(call->client, request, context, cancellable, error);
	if (response == NULL)
		return FALSE;
	task = ferry_vsphere_xml_dup_text(ferry_vsphere_response_get_returnval(response));
	return ferry_vsphere_client_wait_task(call->client, task, context, result, cancellable,
					      error);
}

/* waits up to @seconds for the guest to power itself off */
static gboolean
ferry_vsphere_wait_powered_off(VmCall *call, guint seconds, GCancellable *cancellable)
{
	for (guint waited = 0; waited < seconds * 10; waited++) {
		g_autoptr(GError) error = NULL;
		FerryPowerState state = ferry_vsphere_read_power_state(
		    call->client, call->vm->id, call->context, cancellable, &error);
		if (state == FERRY_POWER_STATE_OFF)
			return TRUE;
		if (error != NULL || g_cancellable_is_cancelled(cancellable))
			return FALSE;
		g_usleep(G_USEC_PER_SEC / 10);
	}
	return FALSE;
}

static gboolean
ferry_vsphere_power_off(FerryProvider *provider,
			const char *vm_id,
			GCancellable *cancellable,
			GError **error)
{
	static const char *const paths[] = {"runtime.powerState", "guest.toolsRunningStatus",
					    NULL};
	g_auto(VmCall) call = {0};
	g_autofree char *state = NULL;
	g_autofree char *tools = NULL;

	if (!vm_call_init(&call, provider, vm_id, paths, cancellable, error))
		return FALSE;
	state = ferry_vsphere_object_dup_string(call.vm, "runtime.powerState");
	tools = ferry_vsphere_object_dup_string(call.vm, "guest.toolsRunningStatus");
	/* a guest with VMware Tools running gets a clean shutdown first */
	if (g_strcmp0(state, "poweredOn") == 0 && g_strcmp0(tools, "guestToolsRunning") == 0) {
		g_autoptr(FerryVsphereRequest) request =
		    ferry_vsphere_request_new("ShutdownGuest", "VirtualMachine", vm_id);
		g_autoptr(FerryVsphereResponse) response = NULL;
		g_autoptr(GError) local_error = NULL;
		g_autofree char *context = g_strdup_printf("%s: shut down the guest", call.context);

		response = ferry_vsphere_client_call(call.client, request, context, cancellable,
						     &local_error);
		if (response != NULL &&
		    ferry_vsphere_wait_powered_off(&call, GUEST_SHUTDOWN_SECONDS, cancellable))
			return TRUE;
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_error_convert(error);
			return FALSE;
		}
		g_debug("%s: guest shutdown did not finish (%s); powering off", call.context,
			local_error != NULL ? local_error->message : "timed out");
	}
	return ferry_vsphere_run_task(&call, "PowerOffVM_Task", "power off", NULL, cancellable,
				      error, NULL);
}

static gboolean
ferry_vsphere_power_on(FerryProvider *provider,
		       const char *vm_id,
		       GCancellable *cancellable,
		       GError **error)
{
	g_auto(VmCall) call = {0};

	if (!vm_call_init(&call, provider, vm_id, NULL, cancellable, error))
		return FALSE;
	return ferry_vsphere_run_task(&call, "PowerOnVM_Task", "power on", NULL, cancellable,
				      error, NULL);
}

/* --- snapshots and changed blocks --- */

static FerrySnapshot *
ferry_vsphere_create_snapshot(FerryProvider *provider,
			      const char *vm_id,
			      const char *name,
			      FerrySnapshotFlags flags,
			      GCancellable *cancellable,
			      GError **error)
{
	g_auto(VmCall) call = {0};
	g_autoptr(GPtrArray) disks = NULL;
	g_autofree char *snapshot_id = NULL;
	g_autofree char *what = NULL;
	FerrySnapshot *snapshot;

	if (!vm_call_init(&call, provider, vm_id, NULL, cancellable, error))
		return NULL;
	what = g_strdup_printf("create snapshot '%s'", name);
	if (!ferry_vsphere_run_task(&call, "CreateSnapshot_Task", what, &snapshot_id, cancellable,
				    error, "name", name, "description",
				    "Created by Ferry for a migration; removed when it ends",
				    "memory", (flags & FERRY_SNAPSHOT_FLAG_MEMORY) ? "true" : "false",
				    "quiesce", (flags & FERRY_SNAPSHOT_FLAG_QUIESCE) ? "true" : "false",
				    NULL))
		return NULL;
	if (snapshot_id == NULL || *snapshot_id == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: %s: the task returned no snapshot", call.context, what);
		return NULL;
	}
	/* the change id of each disk at the snapshot: where the next delta starts */
	disks = ferry_vsphere_disk_list(call.client, vm_id, snapshot_id, call.context, cancellable,
					error);
	if (disks == NULL)
		return NULL;
	snapshot = ferry_snapshot_new(vm_id, snapshot_id);
	for (guint i = 0; i < disks->len; i++) {
		FerryVsphereDisk *disk = g_ptr_array_index(disks, i);
		if (disk->change_id != NULL && *disk->change_id != '\0')
			ferry_snapshot_set_change_id(snapshot, disk->disk_id, disk->change_id);
	}
	return snapshot;
}

static gboolean
ferry_vsphere_remove_snapshot(FerryProvider *provider,
			      const char *vm_id,
			      const char *snapshot_id,
			      GCancellable *cancellable,
			      GError **error)
{
	static const char *const paths[] = {"runtime.consolidationNeeded", NULL};
	g_auto(VmCall) call = {0};
	g_autoptr(FerryVsphereRequest) request = NULL;
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autoptr(FerryVsphereResult) after = NULL;
	g_autofree char *context = NULL;
	g_autofree char *task = NULL;
	gboolean consolidate = FALSE;

	if (!vm_call_init(&call, provider, vm_id, NULL, cancellable, error))
		return FALSE;
	context = g_strdup_printf("%s: remove snapshot %s", call.context, snapshot_id);
	request = ferry_vsphere_request_new("RemoveSnapshot_Task", "VirtualMachineSnapshot",
					    snapshot_id);
	ferry_vsphere_request_add_boolean(request, "removeChildren", FALSE);
	ferry_vsphere_request_add_boolean(request, "consolidate", TRUE);
	response = ferry_vsphere_client_call(call.client, request, context, cancellable, error);
	if (response == NULL)
		return FALSE;
	task = ferry_vsphere_xml_dup_text(ferry_vsphere_response_get_returnval(response));
	if (!ferry_vsphere_client_wait_task(call.client, task, context, NULL, cancellable, error))
		return FALSE;
	/* a removal that left delta disks behind needs a consolidation, or the
	 * VM keeps running on them */
	after = ferry_vsphere_client_retrieve_object(call.client, "VirtualMachine", vm_id, paths,
						     context, cancellable, error);
	if (after == NULL)
		return FALSE;
	ferry_vsphere_xml_get_boolean(
	    ferry_vsphere_object_get(ferry_vsphere_result_get_object(after, vm_id),
				     "runtime.consolidationNeeded"),
	    NULL, &consolidate);
	if (consolidate)
		return ferry_vsphere_run_task(&call, "ConsolidateVMDisks_Task", "consolidate disks",
					      NULL, cancellable, error, NULL);
	return TRUE;
}

static gboolean
ferry_vsphere_remove_artifact(FerryProvider *provider,
			      const char *kind,
			      const char *id,
			      JsonObject *details,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(GError) local_error = NULL;
	const char *vm_id;

	if (g_strcmp0(kind, "snapshot") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "vsphere: the provider creates only snapshots, not %s objects (%s)",
			    kind, id);
		return FALSE;
	}
	vm_id = details != NULL ? json_object_get_string_member_with_default(details, "vmId", NULL)
				: NULL;
	if (vm_id == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "vsphere: snapshot %s: the ledger entry has no vmId", id);
		return FALSE;
	}
	if (ferry_vsphere_remove_snapshot(provider, vm_id, id, cancellable, &local_error))
		return TRUE;
	/* gone already (or the VM is): nothing left to clean */
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

static FerryExtentList *
ferry_vsphere_get_changed_areas(FerryProvider *provider,
				const char *vm_id,
				const char *disk_id,
				const char *snapshot_id,
				const char *change_id,
				GCancellable *cancellable,
				GError **error)
{
	g_auto(VmCall) call = {0};
	g_autoptr(FerryVsphereDisk) disk = NULL;
	g_autoptr(FerryExtentList) areas = ferry_extent_list_new();
	g_autofree char *context = NULL;
	gint64 offset = 0;

	if (!vm_call_init(&call, provider, vm_id, NULL, cancellable, error))
		return NULL;
	context = g_strdup_printf("%s: changed areas of disk %s since change %s", call.context,
				  disk_id, change_id);
	disk = ferry_vsphere_disk_find(call.client, vm_id, disk_id, snapshot_id, call.context,
				       cancellable, error);
	if (disk == NULL)
		return NULL;
	if (!disk->change_tracking) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "%s: Changed Block Tracking is not enabled on the VM; enable it "
			    "(ctkEnabled) and take a new snapshot before a warm migration",
			    context);
		return NULL;
	}
	/* the host answers in slices; ask again from where each one ends */
	while (offset < disk->capacity) {
		g_autoptr(FerryVsphereRequest) request =
		    ferry_vsphere_request_new("QueryChangedDiskAreas", "VirtualMachine", vm_id);
		g_autoptr(FerryVsphereResponse) response = NULL;
		xmlNode *info;
		gint64 start = 0;
		gint64 length = 0;

		if (snapshot_id != NULL)
			ferry_vsphere_request_add_moref(request, "snapshot", "VirtualMachineSnapshot",
							snapshot_id);
		ferry_vsphere_request_add_int(request, "deviceKey", disk->key);
		ferry_vsphere_request_add_int(request, "startOffset", offset);
		ferry_vsphere_request_add_text(request, "changeId", change_id);
		response = ferry_vsphere_client_call(call.client, request, context, cancellable,
						     error);
		if (response == NULL)
			return NULL;
		info = ferry_vsphere_response_get_returnval(response);
		for (xmlNode *area = ferry_vsphere_xml_child(info, "changedArea"); area != NULL;
		     area = ferry_vsphere_xml_next(area, "changedArea")) {
			gint64 area_start = -1;
			gint64 area_length = -1;
			if (!ferry_vsphere_xml_get_int64(area, "start", &area_start) ||
			    !ferry_vsphere_xml_get_int64(area, "length", &area_length) ||
			    area_start < 0 || area_length <= 0 ||
			    area_start + area_length > disk->capacity) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s: the host sent an area outside the disk", context);
				return NULL;
			}
			if (!ferry_extent_list_add(areas, (guint64)area_start, (guint64)area_length,
						   FERRY_EXTENT_FLAG_NONE, error)) {
				g_prefix_error(error, "%s: ", context);
				return NULL;
			}
		}
		if (!ferry_vsphere_xml_get_int64(info, "startOffset", &start) ||
		    !ferry_vsphere_xml_get_int64(info, "length", &length) || length <= 0 ||
		    start + length <= offset) {
			/* no progress: the answer covered the rest of the disk */
			break;
		}
		offset = start + length;
	}
	return g_steal_pointer(&areas);
}

/* --- disks --- */

/* the datastore file service's dcPath: the datacenter's inventory path */
static char *
ferry_vsphere_datacenter_path(FerryVsphereClient *client,
			      FerryVsphereDisk *disk,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(FerryVsphereIndex) index = NULL;
	g_autoptr(FerryVsphereResult) result = NULL;
	static const char *const paths[] = {"name", "parent", NULL};
	g_autofree char *name = NULL;
	g_autofree char *parent = NULL;
	g_autofree char *path = NULL;
	const char *datacenter;

	index = ferry_vsphere_inventory_build_index(client, cancellable, error);
	if (index == NULL)
		return NULL;
	datacenter = ferry_vsphere_index_find_datacenter(index, disk->folder_id);
	if (datacenter == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: cannot find the datacenter of the VM", context);
		return NULL;
	}
	result = ferry_vsphere_client_retrieve_object(client, "Datacenter", datacenter, paths,
						      context, cancellable, error);
	if (result == NULL)
		return NULL;
	name = ferry_vsphere_object_dup_string(ferry_vsphere_result_get_object(result, datacenter),
					       "name");
	parent = ferry_vsphere_object_dup_string(
	    ferry_vsphere_result_get_object(result, datacenter), "parent");
	path = ferry_vsphere_index_dup_path(index, parent, name);
	/* dcPath has no leading slash */
	return g_strdup(path + 1);
}

static const char *const credential_keys[] = {"user", "password", NULL};
static const char *const tls_keys[] = {"ca.crt", "cacert", "thumbprint", "insecureSkipVerify",
				       NULL};

static void
ferry_vsphere_copy_keys(FerrySecret *to, FerrySecret *from, const char *const *keys)
{
	for (guint i = 0; keys[i] != NULL; i++) {
		g_autoptr(GBytes) value = ferry_secret_get(from, keys[i]);
		if (value != NULL)
			ferry_secret_set(to, keys[i], value);
	}
}

static gboolean
ferry_vsphere_has_any_key(FerrySecret *secret, const char *const *keys)
{
	for (guint i = 0; keys[i] != NULL; i++) {
		if (ferry_secret_has_key(secret, keys[i]))
			return TRUE;
	}
	return FALSE;
}

/* the SHA-1 thumbprint of an ESXi host's certificate as vCenter knows it,
 * or NULL (a standalone host, or a simulator, does not say) */
static char *
ferry_vsphere_host_thumbprint(FerryVsphereClient *client,
			      const char *host_id,
			      const char *context,
			      GCancellable *cancellable)
{
	static const char *const paths[] = {"summary.config.sslThumbprint", NULL};
	g_autoptr(FerryVsphereResult) result = NULL;

	result = ferry_vsphere_client_retrieve_object(client, "HostSystem", host_id, paths, context,
						      cancellable, NULL);
	if (result == NULL)
		return NULL;
	return ferry_vsphere_object_dup_string(ferry_vsphere_result_get_object(result, host_id),
					       "summary.config.sslThumbprint");
}

/* a client logged in to the ESXi host of a Host endpoint */
static FerryVsphereClient *
ferry_vsphere_provider_host_client(FerryVsphereProvider *self,
				   FerryVsphereClient *client,
				   FerryProviderConfig *config,
				   const char *host_id,
				   const char *context,
				   GCancellable *cancellable,
				   GError **error)
{
	const char *address = ferry_provider_config_get_host_address(config, host_id);
	FerrySecret *host_secret = ferry_provider_config_get_host_secret(config, host_id);
	FerrySecret *provider_secret = ferry_vsphere_client_get_secret(client);
	FerrySecret *credentials;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryVsphereClient) host_client = NULL;
	g_autofree char *url = NULL;
	g_autofree char *display = NULL;

	g_mutex_lock(&self->lock);
	host_client = g_hash_table_lookup(self->host_clients, host_id);
	if (host_client != NULL)
		g_object_ref(host_client);
	g_mutex_unlock(&self->lock);
	if (host_client != NULL)
		return g_steal_pointer(&host_client);

	if (g_str_has_prefix(address, "https://") || g_str_has_prefix(address, "http://"))
		url = g_strdup(address);
	else if (strchr(address, ':') != NULL && strchr(address, ':') != strrchr(address, ':') &&
		 address[0] != '[')
		url = g_strdup_printf("https://[%s]/sdk", address);
	else
		url = g_strdup_printf("https://%s/sdk", address);
	/* credentials from the Host's Secret (else the Provider's); TLS keys as
	 * one group: the Host Secret's own, else the host thumbprint vCenter
	 * knows (read over the verified vCenter session, as Forklift hands it
	 * to VDDK), else the Provider Secret's */
	credentials = host_secret != NULL && ferry_secret_has_key(host_secret, "user")
			  ? host_secret
			  : provider_secret;
	secret = ferry_secret_new(ferry_secret_get_name(credentials));
	ferry_vsphere_copy_keys(secret, credentials, credential_keys);
	if (host_secret != NULL && ferry_vsphere_has_any_key(host_secret, tls_keys)) {
		ferry_vsphere_copy_keys(secret, host_secret, tls_keys);
	} else {
		g_autofree char *thumbprint =
		    ferry_vsphere_host_thumbprint(client, host_id, context, cancellable);
		if (thumbprint != NULL && *thumbprint != '\0')
			ferry_secret_set_string(secret, "thumbprint", thumbprint);
		else
			ferry_vsphere_copy_keys(secret, provider_secret, tls_keys);
	}
	display = g_strdup_printf("Host/%s (%s)", host_id, address);
	if (!ferry_vsphere_check_plain_http(config, url, display, error)) {
		g_prefix_error(error, "%s: ", context);
		return NULL;
	}
	host_client = ferry_vsphere_client_new(url, secret, display, error);
	if (host_client == NULL || !ferry_vsphere_client_login(host_client, cancellable, error)) {
		if (host_secret == NULL && error != NULL && *error != NULL &&
		    g_error_matches(*error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED)) {
			g_autofree char *message = g_strdup_printf(
			    "%s; Host %s has no spec.secret, so the Provider's credentials were "
			    "tried: name a Secret with the ESXi host's user and password in the "
			    "Host's spec.secret",
			    (*error)->message, host_id);
			g_free((*error)->message);
			(*error)->message = g_steal_pointer(&message);
		}
		g_prefix_error(error, "%s: ", context);
		return NULL;
	}
	g_mutex_lock(&self->lock);
	g_hash_table_replace(self->host_clients, g_strdup(host_id), g_object_ref(host_client));
	g_mutex_unlock(&self->lock);
	return g_steal_pointer(&host_client);
}

static const char *
ferry_vsphere_vddk_libdir(FerryProviderConfig *config)
{
	const char *libdir = ferry_provider_config_get_setting(config, "vddkLibdir");
	const char *image = ferry_provider_config_get_setting(config, "vddkInitImage");

	if (libdir != NULL && *libdir != '\0')
		return libdir;
	/* a local directory where Forklift expects an image */
	if (image != NULL && g_path_is_absolute(image))
		return image;
	return NULL;
}

static FerryDiskEndpoint *
ferry_vsphere_open_disk(FerryProvider *provider,
			const char *vm_id,
			const char *disk_id,
			const char *snapshot_id,
			GCancellable *cancellable,
			GError **error)
{
	FerryVsphereProvider *self = FERRY_VSPHERE_PROVIDER(provider);
	g_auto(VmCall) call = {0};
	g_autoptr(FerryVsphereDisk) disk = NULL;
	g_autoptr(FerryVsphereClient) host_client = NULL;
	g_autofree char *context = NULL;
	g_autofree char *datacenter = NULL;
	const char *libdir;

	if (!vm_call_init(&call, provider, vm_id, NULL, cancellable, error))
		return NULL;
	context = g_strdup_printf("%s: open disk %s%s%s", call.context, disk_id,
				  snapshot_id != NULL ? " of snapshot " : "",
				  snapshot_id != NULL ? snapshot_id : "");
	disk = ferry_vsphere_disk_find(call.client, vm_id, disk_id, snapshot_id, call.context,
				       cancellable, error);
	if (disk == NULL)
		return NULL;
	libdir = ferry_vsphere_vddk_libdir(call.config);
	if (libdir != NULL)
		return ferry_vsphere_disk_serve_vddk(call.client, disk, snapshot_id, libdir, context,
						     cancellable, error);
	if (disk->host_id != NULL &&
	    ferry_provider_config_get_host_address(call.config, disk->host_id) != NULL) {
		/* a Host endpoint: read straight from the ESXi host */
		host_client = ferry_vsphere_provider_host_client(self, call.client, call.config,
								 disk->host_id, context,
								 cancellable, error);
		if (host_client == NULL)
			return NULL;
		return ferry_vsphere_disk_serve_https(host_client, disk, "ha-datacenter", context,
						      cancellable, error);
	}
	datacenter = ferry_vsphere_datacenter_path(call.client, disk, context, cancellable, error);
	if (datacenter == NULL)
		return NULL;
	return ferry_vsphere_disk_serve_https(call.client, disk, datacenter, context, cancellable,
					      error);
}

/* --- the normalised description of a VM (describe_vm) --- */

/* a reference may be a string id or an object {id, name, kind} */
static const char *
describe_ref_id(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	if (JSON_NODE_HOLDS_OBJECT(node)) {
		JsonObject *ref = json_node_get_object(node);
		if (json_object_has_member(ref, "id"))
			return json_object_get_string_member_with_default(ref, "id", NULL);
		return json_object_get_string_member_with_default(ref, "name", NULL);
	}
	return NULL;
}

static JsonArray *
describe_array(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

static void
describe_add_disk(JsonArray *disks,
		  const char *id,
		  gint64 capacity,
		  const char *storage,
		  const char *bus,
		  const char *file_name,
		  gboolean shared)
{
	JsonObject *disk = json_object_new();
	json_object_set_string_member(disk, "id", id);
	json_object_set_int_member(disk, "capacity", capacity);
	if (storage != NULL)
		json_object_set_string_member(disk, "storage", storage);
	json_object_set_string_member(disk, "bus", bus != NULL ? bus : "scsi");
	if (file_name != NULL)
		json_object_set_string_member(disk, "fileName", file_name);
	json_object_set_boolean_member(disk, "shared", shared);
	json_array_add_object_element(disks, disk);
}

static void
describe_add_nic(JsonArray *nics, const char *mac, const char *network, const char *name)
{
	JsonObject *nic = json_object_new();
	if (mac != NULL)
		json_object_set_string_member(nic, "mac", mac);
	if (network != NULL)
		json_object_set_string_member(nic, "network", network);
	json_object_set_string_member(nic, "model", "virtio");
	if (name != NULL)
		json_object_set_string_member(nic, "name", name);
	json_array_add_object_element(nics, nic);
}

/* Forklift's field names for CPU, memory and firmware (vSphere and OVA) */
static JsonObject *
describe_common(JsonObject *vm)
{
	JsonObject *out = json_object_new();
	gint64 cpus = MAX(1, json_object_get_int_member_with_default(vm, "cpuCount", 1));
	gint64 cores = MAX(1, json_object_get_int_member_with_default(vm, "coresPerSocket", 1));
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *fw = json_object_get_string_member_with_default(vm, "firmware", "bios");

	json_object_set_string_member(out, "name",
				      json_object_get_string_member_with_default(vm, "name", "vm"));
	if (cpus % cores != 0)
		cores = 1;
	json_object_set_int_member(cpu, "sockets", cpus / cores);
	json_object_set_int_member(cpu, "cores", cores);
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   MAX(1, json_object_get_int_member_with_default(vm, "memoryMB", 1024)));
	json_object_set_string_member(firmware, "type",
				      fw != NULL && g_ascii_strcasecmp(fw, "efi") == 0 ? "efi"
										     : "bios");
	json_object_set_boolean_member(
	    firmware, "secureBoot", json_object_get_boolean_member_with_default(vm, "secureBoot", FALSE));
	json_object_set_object_member(out, "firmware", firmware);
	return out;
}

static JsonObject *
ferry_vsphere_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = describe_common(vm);
	JsonArray *in_disks = describe_array(vm, "disks");
	JsonArray *in_nics = describe_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		g_autofree char *key = g_strdup_printf(
		    "%" G_GINT64_FORMAT, json_object_get_int_member_with_default(d, "key", i));
		const char *file = json_object_get_string_member_with_default(d, "file", NULL);
		const char *base = file != NULL ? strrchr(file, '/') : NULL;
		describe_add_disk(disks, key, json_object_get_int_member_with_default(d, "capacity", 0),
				  describe_ref_id(d, "datastore"),
				  json_object_get_string_member_with_default(d, "bus", "scsi"),
				  base != NULL ? base + 1 : file,
				  json_object_get_boolean_member_with_default(d, "shared", FALSE));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		describe_add_nic(nics, json_object_get_string_member_with_default(n, "mac", NULL),
				 describe_ref_id(n, "network"), NULL);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

static void
ferry_vsphere_get_map_kinds(FerryProvider *provider,
			    const char **network_kind,
			    const char **storage_kind)
{
	*network_kind = "network";
	*storage_kind = "datastore";
}

static const char *const *
ferry_vsphere_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"user", "password", NULL};
	*needs_ca = TRUE;
	return keys;
}

static void
ferry_vsphere_provider_iface_init(FerryProviderInterface *iface)
{
	iface->describe_vm = ferry_vsphere_describe_vm;
	iface->get_map_kinds = ferry_vsphere_get_map_kinds;
	iface->get_secret_keys = ferry_vsphere_get_secret_keys;
	iface->get_provider_type = ferry_vsphere_get_provider_type;
	iface->get_capabilities = ferry_vsphere_get_capabilities;
	iface->connect = ferry_vsphere_connect;
	iface->get_fingerprint = ferry_vsphere_get_fingerprint;
	iface->load_inventory = ferry_vsphere_load_inventory;
	iface->watch_inventory = ferry_vsphere_watch_inventory;
	iface->get_power_state = ferry_vsphere_get_power_state;
	iface->power_off = ferry_vsphere_power_off;
	iface->power_on = ferry_vsphere_power_on;
	iface->create_snapshot = ferry_vsphere_create_snapshot;
	iface->remove_snapshot = ferry_vsphere_remove_snapshot;
	iface->remove_artifact = ferry_vsphere_remove_artifact;
	iface->get_changed_areas = ferry_vsphere_get_changed_areas;
	iface->open_disk = ferry_vsphere_open_disk;
}
