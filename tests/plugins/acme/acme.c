/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * "acme": a fixture platform the core has never heard of. It proves that a
 * new platform needs only its plugin folder (and its rules folder): the
 * core has no row, no string and no branch for "acme", yet its Providers
 * are validated (URL, Secret keys), its maps name its own inventory kinds
 * (`segment`, `pool`), its VMs get its own concerns (rules/acme/), and
 * cold and warm migrations run end to end.
 *
 * It is built from the test provider's approach (tests/plugins/testprov):
 * qcow2 images served by qemu-nbd, persistent dirty bitmaps standing in for
 * changed-block tracking, sparse raw target files and a JSON file per
 * created VM. The world file (the Provider's file:// URL) has the test
 * provider's format; the inventory it loads has Acme's own shape:
 *   vm: {"id", "name", "generation", "toolsInstalled", "vcpus", "ramMiB",
 *        "bootMode": "legacy"|"uefi",
 *        "volumes": [{"slot", "sizeBytes", "pool", "image"}],
 *        "ports": [{"hwaddr", "segment"}]}
 *   segment: {"id", "name"}     pool: {"id", "name"}
 * which only its describe_vm turns into Ferry's normalised description.
 */

#include <errno.h>
#include <ferry-plugin-sdk.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libnbd.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#define ACME_TYPE_PROVIDER (acme_provider_get_type())
G_DECLARE_FINAL_TYPE(AcmeProvider, acme_provider, ACME, PROVIDER, GObject)

struct _AcmeProvider {
	GObject parent_instance;
	char *world_path;
	char *state_path;
	char *exports_dir;
	JsonObject *world;
};

static GMutex state_lock; /* the state file is shared by every instance */

static void stop_orphans(const char *path);
static void sweep_exports(const char *exports_dir);

static void acme_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(AcmeProvider, acme_provider, G_TYPE_OBJECT, G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     acme_provider_iface_init))

static void
acme_provider_finalize(GObject *object)
{
	AcmeProvider *self = ACME_PROVIDER(object);
	g_free(self->world_path);
	g_free(self->state_path);
	g_free(self->exports_dir);
	g_clear_pointer(&self->world, json_object_unref);
	G_OBJECT_CLASS(acme_provider_parent_class)->finalize(object);
}

static void
acme_provider_class_init(AcmeProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = acme_provider_finalize;
}

static void
acme_provider_class_finalize(AcmeProviderClass *klass)
{
}

static void
acme_provider_init(AcmeProvider *self)
{
}

static JsonObject *
load_json(const char *path, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	if (!json_parser_load_from_file(parser, path, error))
		return NULL;
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s is not a JSON object",
			    path);
		return NULL;
	}
	return json_object_ref(json_node_get_object(root));
}

static gboolean
save_json(const char *path, JsonObject *object, GError **error)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), object);
	g_autofree char *text = json_to_string(node, TRUE);
	return g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600,
					error);
}

/* the mutable state, created from the world on first use; call locked */
static JsonObject *
state_load(AcmeProvider *self, GError **error)
{
	JsonObject *state;
	if (g_file_test(self->state_path, G_FILE_TEST_EXISTS))
		return load_json(self->state_path, error);
	state = json_object_new();
	json_object_set_object_member(state, "power", json_object_new());
	json_object_set_object_member(state, "snapshots", json_object_new());
	json_object_set_object_member(state, "fail", json_object_new());
	if (json_object_has_member(self->world, "fail")) {
		g_autoptr(JsonNode) copy =
		    json_node_copy(json_object_get_member(self->world, "fail"));
		json_object_set_object_member(state, "fail", json_node_dup_object(copy));
	}
	{
		JsonArray *vms = json_object_get_array_member(self->world, "vms");
		JsonObject *power = json_object_get_object_member(state, "power");
		for (guint i = 0; i < json_array_get_length(vms); i++) {
			JsonObject *vm = json_array_get_object_element(vms, i);
			json_object_set_string_member(
			    power, json_object_get_string_member(vm, "id"),
			    json_object_get_string_member_with_default(vm, "powerState", "On"));
		}
	}
	return state;
}

/* injected failures and delays */
static gboolean
test_check(AcmeProvider *self, const char *operation, GError **error)
{
	g_autoptr(JsonObject) state = NULL;
	JsonObject *delay = json_object_has_member(self->world, "delayMs")
				? json_object_get_object_member(self->world, "delayMs")
				: NULL;
	gboolean fail = FALSE;

	if (delay != NULL && json_object_has_member(delay, operation))
		g_usleep((gulong)json_object_get_int_member(delay, operation) * 1000);
	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	if (state == NULL) {
		g_mutex_unlock(&state_lock);
		return FALSE;
	}
	{
		JsonObject *failures = json_object_get_object_member(state, "fail");
		gint64 left = json_object_get_int_member_with_default(failures, operation, 0);
		if (left > 0) {
			json_object_set_int_member(failures, operation, left - 1);
			fail = TRUE;
			if (!save_json(self->state_path, state, error)) {
				g_mutex_unlock(&state_lock);
				return FALSE;
			}
		}
	}
	g_mutex_unlock(&state_lock);
	if (fail) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "injected failure in %s", operation);
		return FALSE;
	}
	return TRUE;
}

static JsonObject *
find_vm(AcmeProvider *self, const char *vm_id, GError **error)
{
	JsonArray *vms = json_object_get_array_member(self->world, "vms");
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		if (g_strcmp0(json_object_get_string_member(vm, "id"), vm_id) == 0)
			return vm;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "VM %s not found", vm_id);
	return NULL;
}

static JsonObject *
find_disk(JsonObject *vm, const char *disk_id, GError **error)
{
	JsonArray *disks = json_object_get_array_member(vm, "disks");
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		g_autofree char *key =
		    g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(disk, "key"));
		if (g_strcmp0(key, disk_id) == 0)
			return disk;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "disk %s not found", disk_id);
	return NULL;
}

static const char *
acme_get_provider_type(FerryProvider *provider)
{
	return "acme";
}

static FerryProviderCapabilities
acme_get_capabilities(FerryProvider *provider)
{
	/* no guest conversion: Acme guests already run virtio */
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_DESTINATION |
	       FERRY_PROVIDER_CAPABILITY_POWER | FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
	       FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS;
}

static gboolean
acme_connect(FerryProvider *provider,
	   FerryProviderConfig *config,
	   GCancellable *cancellable,
	   GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	const char *url = ferry_provider_config_get_url(config);
	g_autofree char *path = NULL;

	if (url == NULL || !g_str_has_prefix(url, "file://")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: an Acme provider needs a file:// URL of a world file",
			    ferry_provider_config_get_name(config));
		return FALSE;
	}
	path = g_filename_from_uri(url, NULL, error);
	if (path == NULL)
		return FALSE;
	g_clear_pointer(&self->world, json_object_unref);
	self->world = load_json(path, error);
	if (self->world == NULL)
		return FALSE;
	g_free(self->world_path);
	self->world_path = g_steal_pointer(&path);
	g_free(self->state_path);
	self->state_path = g_strconcat(self->world_path, ".state", NULL);
	g_free(self->exports_dir);
	self->exports_dir = g_strconcat(self->world_path, ".exports", NULL);
	{
		/* once per process, before this process exports anything */
		static gsize swept = 0;
		if (g_once_init_enter(&swept)) {
			sweep_exports(self->exports_dir);
			g_once_init_leave(&swept, 1);
		}
	}
	return test_check(self, "connect", error);
}

/* a world VM in Acme's own inventory shape */
static JsonObject *
acme_document(JsonObject *vm)
{
	JsonObject *doc = json_object_new();
	JsonArray *volumes = json_array_new();
	JsonArray *ports = json_array_new();
	JsonArray *disks = json_object_get_array_member(vm, "disks");
	JsonArray *nics = json_object_has_member(vm, "nics") ? json_object_get_array_member(vm, "nics")
							     : NULL;

	json_object_set_string_member(doc, "id", json_object_get_string_member(vm, "id"));
	json_object_set_string_member(doc, "name", json_object_get_string_member(vm, "name"));
	json_object_set_int_member(doc, "generation",
				   json_object_get_int_member_with_default(vm, "generation", 2));
	json_object_set_boolean_member(
	    doc, "toolsInstalled",
	    json_object_get_boolean_member_with_default(vm, "toolsInstalled", TRUE));
	json_object_set_int_member(doc, "vcpus", json_object_get_int_member_with_default(vm, "cpuCount", 1));
	json_object_set_int_member(doc, "ramMiB",
				   json_object_get_int_member_with_default(vm, "memoryMB", 256));
	json_object_set_string_member(doc, "bootMode",
				      json_object_get_string_member_with_default(vm, "bootMode", "legacy"));
	json_object_set_string_member(doc, "state",
				      json_object_get_string_member_with_default(vm, "powerState", "On"));
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		JsonObject *volume = json_object_new();
		JsonObject *datastore = json_object_get_object_member(disk, "datastore");
		json_object_set_int_member(volume, "slot", json_object_get_int_member(disk, "key"));
		json_object_set_int_member(volume, "sizeBytes",
					   json_object_get_int_member(disk, "capacity"));
		json_object_set_string_member(volume, "pool",
					      json_object_get_string_member(datastore, "id"));
		json_array_add_object_element(volumes, volume);
	}
	for (guint i = 0; nics != NULL && i < json_array_get_length(nics); i++) {
		JsonObject *nic = json_array_get_object_element(nics, i);
		JsonObject *port = json_object_new();
		json_object_set_string_member(port, "hwaddr", json_object_get_string_member(nic, "mac"));
		json_object_set_string_member(
		    port, "segment",
		    json_object_get_string_member(json_object_get_object_member(nic, "network"), "id"));
		json_array_add_object_element(ports, port);
	}
	json_object_set_array_member(doc, "volumes", volumes);
	json_object_set_array_member(doc, "ports", ports);
	return doc;
}

static gboolean
acme_load_inventory(FerryProvider *provider,
		  FerryInventory *inventory,
		  GCancellable *cancellable,
		  GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	JsonArray *vms = json_object_get_array_member(self->world, "vms");

	if (!ferry_inventory_begin_update(inventory, ferry_provider_config_get_name(config), TRUE,
					  error))
		return FALSE;
	for (guint i = 0; i < json_array_get_length(vms); i++) {
		JsonObject *vm = json_array_get_object_element(vms, i);
		g_autoptr(JsonObject) doc = acme_document(vm);
		JsonArray *volumes = json_object_get_array_member(doc, "volumes");
		JsonArray *ports = json_object_get_array_member(doc, "ports");
		gboolean ok = ferry_inventory_upsert(inventory, "vm",
						     json_object_get_string_member(doc, "id"),
						     json_object_get_string_member(doc, "name"), NULL,
						     doc, error);
		for (guint v = 0; ok && v < json_array_get_length(volumes); v++) {
			const char *pool = json_object_get_string_member(
			    json_array_get_object_element(volumes, v), "pool");
			g_autoptr(JsonObject) object = json_object_new();
			json_object_set_string_member(object, "id", pool);
			json_object_set_string_member(object, "name", pool);
			ok = ferry_inventory_upsert(inventory, "pool", pool, pool, NULL, object, error);
		}
		for (guint p = 0; ok && p < json_array_get_length(ports); p++) {
			const char *segment = json_object_get_string_member(
			    json_array_get_object_element(ports, p), "segment");
			g_autoptr(JsonObject) object = json_object_new();
			json_object_set_string_member(object, "id", segment);
			json_object_set_string_member(object, "name", segment);
			ok = ferry_inventory_upsert(inventory, "segment", segment, segment, NULL,
						    object, error);
		}
		if (!ok) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
	}
	return ferry_inventory_commit_update(inventory, error);
}

static FerryPowerState
power_from_string(const char *text)
{
	if (g_strcmp0(text, "On") == 0)
		return FERRY_POWER_STATE_ON;
	if (g_strcmp0(text, "Off") == 0)
		return FERRY_POWER_STATE_OFF;
	return FERRY_POWER_STATE_UNKNOWN;
}

static FerryPowerState
acme_get_power_state(FerryProvider *provider,
		   const char *vm_id,
		   GCancellable *cancellable,
		   GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	g_autoptr(JsonObject) state = NULL;
	FerryPowerState power;

	if (find_vm(self, vm_id, error) == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	g_mutex_unlock(&state_lock);
	if (state == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	power = power_from_string(json_object_get_string_member_with_default(
	    json_object_get_object_member(state, "power"), vm_id, "On"));
	if (power == FERRY_POWER_STATE_UNKNOWN)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "VM %s has no known power state", vm_id);
	return power;
}

static gboolean
acme_set_power(AcmeProvider *self, const char *vm_id, const char *want, GError **error)
{
	g_autoptr(JsonObject) state = NULL;
	JsonObject *power;
	gboolean ok;

	if (find_vm(self, vm_id, error) == NULL)
		return FALSE;
	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	if (state == NULL) {
		g_mutex_unlock(&state_lock);
		return FALSE;
	}
	power = json_object_get_object_member(state, "power");
	if (g_strcmp0(json_object_get_string_member_with_default(power, vm_id, ""), want) == 0) {
		g_mutex_unlock(&state_lock);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE, "VM %s is already %s",
			    vm_id, want);
		return FALSE;
	}
	json_object_set_string_member(power, vm_id, want);
	ok = save_json(self->state_path, state, error);
	g_mutex_unlock(&state_lock);
	return ok;
}

static gboolean
acme_power_off(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	return test_check(self, "power_off", error) && acme_set_power(self, vm_id, "Off", error);
}

static gboolean
acme_power_on(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	return test_check(self, "power_on", error) && acme_set_power(self, vm_id, "On", error);
}


static gboolean
run_tool(const char *const *argv, GError **error)
{
	g_autoptr(GSubprocess) process =
	    g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
			      error);
	g_autofree char *output = NULL;
	if (process == NULL)
		return FALSE;
	if (!g_subprocess_communicate_utf8(process, NULL, NULL, &output, NULL, error))
		return FALSE;
	if (!g_subprocess_get_successful(process)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s failed: %s", argv[0],
			    output != NULL ? g_strstrip(output) : "");
		return FALSE;
	}
	return TRUE;
}

/* a snapshot adds a persistent dirty bitmap named after it to every disk:
 * from then on it records the guest's writes, like CBT after a snapshot */
static FerrySnapshot *
acme_create_snapshot(FerryProvider *provider,
		   const char *vm_id,
		   const char *name,
		   FerrySnapshotFlags flags,
		   GCancellable *cancellable,
		   GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	JsonObject *vm = find_vm(self, vm_id, error);
	g_autoptr(JsonObject) state = NULL;
	JsonObject *snapshots;
	JsonArray *list;
	g_autoptr(FerrySnapshot) snapshot = NULL;
	g_autofree char *id = NULL;
	JsonArray *disks;

	if (vm == NULL || !test_check(self, "create_snapshot", error))
		return NULL;
	id = g_strdup_printf("snapshot-%s", name);
	disks = json_object_get_array_member(vm, "disks");
	snapshot = ferry_snapshot_new(vm_id, id);
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		const char *path = json_object_get_string_member(disk, "path");
		const char *argv[] = {"qemu-img", "bitmap", "--add", path, id, NULL};
		const char *remove[] = {"qemu-img", "bitmap", "--remove", path, id, NULL};
		g_autofree char *key =
		    g_strdup_printf("%" G_GINT64_FORMAT, json_object_get_int_member(disk, "key"));
		stop_orphans(path);
		/* a crash may have left a bitmap of this name: start it afresh */
		run_tool(remove, NULL);
		if (!run_tool(argv, error))
			return NULL;
		ferry_snapshot_set_change_id(snapshot, key, id);
	}
	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	if (state == NULL) {
		g_mutex_unlock(&state_lock);
		return NULL;
	}
	snapshots = json_object_get_object_member(state, "snapshots");
	if (!json_object_has_member(snapshots, vm_id))
		json_object_set_array_member(snapshots, vm_id, json_array_new());
	list = json_object_get_array_member(snapshots, vm_id);
	json_array_add_string_element(list, id);
	if (!save_json(self->state_path, state, error)) {
		g_mutex_unlock(&state_lock);
		return NULL;
	}
	g_mutex_unlock(&state_lock);
	return g_steal_pointer(&snapshot);
}

static gboolean
acme_remove_snapshot(FerryProvider *provider,
		   const char *vm_id,
		   const char *snapshot_id,
		   GCancellable *cancellable,
		   GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	JsonObject *vm = find_vm(self, vm_id, error);
	g_autoptr(JsonObject) state = NULL;
	JsonArray *list, *disks;
	gboolean ok;

	if (vm == NULL || !test_check(self, "remove_snapshot", error))
		return FALSE;
	disks = json_object_get_array_member(vm, "disks");
	for (guint d = 0; d < json_array_get_length(disks); d++)
		stop_orphans(json_object_get_string_member(json_array_get_object_element(disks, d),
							   "path"));
	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	if (state == NULL) {
		g_mutex_unlock(&state_lock);
		return FALSE;
	}
	{
		JsonObject *all = json_object_get_object_member(state, "snapshots");
		list = json_object_has_member(all, vm_id) ? json_object_get_array_member(all, vm_id)
							  : NULL;
	}
	for (guint i = 0; i <= (list != NULL ? json_array_get_length(list) : 0); i++) {
		gboolean listed = list != NULL && i < json_array_get_length(list);
		if (listed && g_strcmp0(json_array_get_string_element(list, i), snapshot_id) != 0)
			continue;
		if (listed)
			json_array_remove_element(list, i);
		for (guint d = 0; d < json_array_get_length(disks); d++) {
			const char *path =
			    json_object_get_string_member(json_array_get_object_element(disks, d), "path");
			const char *argv[] = {"qemu-img", "bitmap", "--remove", path, snapshot_id, NULL};
			g_autoptr(GError) local_error = NULL;
			/* removing what is already gone is not an error (a crash may have
			 * come between the removal and the state write) */
			if (!run_tool(argv, &local_error) &&
			    strstr(local_error->message, "not found") == NULL) {
				g_propagate_error(error, g_steal_pointer(&local_error));
				g_mutex_unlock(&state_lock);
				return FALSE;
			}
		}
		break;
	}
	ok = save_json(self->state_path, state, error);
	g_mutex_unlock(&state_lock);
	return ok;
}

typedef struct {
	char *dir;
	char *socket;
	char *uri;
	GSubprocess *process;
} Export;

static void
export_free(Export *export)
{
	g_free(export->dir);
	g_free(export->socket);
	g_free(export->uri);
	g_clear_object(&export->process);
	g_free(export);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Export, export_free)

/* qemu-nbd servers of a run that was killed keep their image locked:
 * stop those whose parent is gone (re-parented to init) */
static void
stop_orphans(const char *path)
{
	g_autoptr(GDir) proc = g_dir_open("/proc", 0, NULL);
	const char *entry;
	while (proc != NULL && (entry = g_dir_read_name(proc)) != NULL) {
		g_autofree char *cmdline_path = NULL, *status_path = NULL;
		g_autofree char *cmdline = NULL, *status = NULL;
		gsize length = 0;
		const char *ppid;
		if (!g_ascii_isdigit(entry[0]))
			continue;
		cmdline_path = g_build_filename("/proc", entry, "cmdline", NULL);
		status_path = g_build_filename("/proc", entry, "status", NULL);
		if (!g_file_get_contents(cmdline_path, &cmdline, &length, NULL) ||
		    !g_file_get_contents(status_path, &status, NULL, NULL))
			continue;
		for (gsize i = 0; i + 1 < length; i++) {
			if (cmdline[i] == '\0')
				cmdline[i] = ' ';
		}
		ppid = strstr(status, "PPid:\t");
		/* ours are served to this process; any other server of the image is
		 * left from a run that died (its parent is init or a subreaper) */
		if (!g_str_has_prefix(cmdline, "qemu-nbd") || strstr(cmdline, path) == NULL ||
		    ppid == NULL || g_ascii_strtoll(ppid + 6, NULL, 10) == (gint64)getpid())
			continue;
		kill((pid_t)g_ascii_strtoll(entry, NULL, 10), SIGKILL);
		g_usleep(50 * 1000);
		{
			/* and its socket directory */
			const char *socket = strstr(cmdline, "--socket ");
			if (socket != NULL) {
				g_autofree char *sock = g_strdup(socket + strlen("--socket "));
				char *space = strchr(sock, ' ');
				g_autofree char *dir = NULL;
				if (space != NULL)
					*space = '\0';
				dir = g_path_get_dirname(sock);
				g_unlink(sock);
				if (strstr(dir, ".exports/export-") != NULL) {
					g_autofree char *log =
					    g_build_filename(dir, "qemu-nbd.log", NULL);
					g_unlink(log);
					g_rmdir(dir);
				}
			}
		}
	}
}

/* a killed run leaves export directories, and maybe their servers */
static void
sweep_exports(const char *exports_dir)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;
	/* servers of this world's disks that another (dead) process started */
	stop_orphans(exports_dir);
	dir = g_dir_open(exports_dir, 0, NULL);
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = g_build_filename(exports_dir, name, NULL);
		g_autofree char *sock = g_build_filename(path, "nbd.sock", NULL);
		g_autoptr(GSocketClient) client = g_socket_client_new();
		g_autoptr(GSocketAddress) address = g_unix_socket_address_new(sock);
		g_autoptr(GSocketConnection) connection = g_socket_client_connect(
		    client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
		g_autofree char *log = g_build_filename(path, "qemu-nbd.log", NULL);
		if (connection != NULL)
			continue;
		g_unlink(sock);
		g_unlink(log);
		g_rmdir(path);
	}
}

/* qemu-nbd exports the guest-visible bytes of a qcow2, read-only */
static Export *
export_start(const char *exports_dir, const char *path, const char *bitmap, GError **error)
{
	g_autoptr(Export) export = g_new0(Export, 1);
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autofree char *template = g_build_filename(exports_dir, "export-XXXXXX", NULL);
	gboolean ready = FALSE;

	g_mkdir_with_parents(exports_dir, 0700);
	if (g_mkdtemp(template) == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot create a directory in %s",
			    exports_dir);
		return NULL;
	}
	export->dir = g_steal_pointer(&template);
	export->socket = g_build_filename(export->dir, "nbd.sock", NULL);
	stop_orphans(path);
	g_ptr_array_add(argv, "qemu-nbd");
	g_ptr_array_add(argv, "--read-only");
	g_ptr_array_add(argv, "--persistent");
	g_ptr_array_add(argv, "--shared=16");
	g_ptr_array_add(argv, "--format=qcow2");
	g_ptr_array_add(argv, "--socket");
	g_ptr_array_add(argv, export->socket);
	if (bitmap != NULL) {
		g_ptr_array_add(argv, "--bitmap");
		g_ptr_array_add(argv, (gpointer)bitmap);
	}
	g_ptr_array_add(argv, (gpointer)path);
	g_ptr_array_add(argv, NULL);
	{
		g_autoptr(GSubprocessLauncher) launcher =
		    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_NONE);
		g_autofree char *log = g_build_filename(export->dir, "qemu-nbd.log", NULL);
		g_subprocess_launcher_set_stderr_file_path(launcher, log);
		export->process = g_subprocess_launcher_spawnv(
		    launcher, (const char *const *)argv->pdata, error);
	}
	if (export->process == NULL)
		return NULL;
	/* ready when it accepts a connection: the socket file exists before listen() */
	for (guint i = 0; i < 500; i++) {
		g_autoptr(GSocketClient) client = g_socket_client_new();
		g_autoptr(GSocketAddress) address = g_unix_socket_address_new(export->socket);
		g_autoptr(GSocketConnection) connection = g_socket_client_connect(
		    client, G_SOCKET_CONNECTABLE(address), NULL, NULL);
		if (connection != NULL) {
			ready = TRUE;
			break;
		}
		g_usleep(10 * 1000);
	}
	if (!ready) {
		g_autofree char *log_path = g_build_filename(export->dir, "qemu-nbd.log", NULL);
		g_autofree char *log = NULL;
		g_subprocess_force_exit(export->process);
		g_file_get_contents(log_path, &log, NULL, NULL);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "qemu-nbd did not start for %s: %s", path, log != NULL ? log : "");
		return NULL;
	}
	export->uri = g_strdup_printf("nbd+unix:///?socket=%s", export->socket);
	return g_steal_pointer(&export);
}

static void
export_stop(Export *export)
{
	if (export->process != NULL) {
		g_subprocess_force_exit(export->process);
		g_subprocess_wait(export->process, NULL, NULL);
	}
	{
		g_autofree char *log = g_build_filename(export->dir, "qemu-nbd.log", NULL);
		g_unlink(log);
	}
	g_unlink(export->socket);
	g_rmdir(export->dir);
}

typedef struct {
	FerryExtentList *list;
	gboolean ok;
} DirtyData;

static int
dirty_cb(void *user_data,
	 const char *metacontext,
	 uint64_t offset,
	 uint32_t *entries,
	 size_t nr_entries,
	 int *error)
{
	DirtyData *data = user_data;
	if (!g_str_has_prefix(metacontext, "qemu:dirty-bitmap:"))
		return 0;
	for (size_t i = 0; i + 1 < nr_entries; i += 2) {
		if (entries[i + 1] & 1)
			data->ok &= ferry_extent_list_add(data->list, offset, entries[i],
							  FERRY_EXTENT_FLAG_NONE, NULL);
		offset += entries[i];
	}
	return 0;
}

static FerryExtentList *
acme_get_changed_areas(FerryProvider *provider,
		     const char *vm_id,
		     const char *disk_id,
		     const char *snapshot_id,
		     const char *change_id,
		     GCancellable *cancellable,
		     GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	JsonObject *vm = find_vm(self, vm_id, error);
	JsonObject *disk = vm != NULL ? find_disk(vm, disk_id, error) : NULL;
	g_autoptr(FerryExtentList) list = ferry_extent_list_new();
	g_autoptr(Export) export = NULL;
	g_autofree char *context = NULL;
	struct nbd_handle *nbd;
	int64_t size;
	DirtyData data = {list, TRUE};

	if (disk == NULL || !test_check(self, "changed_areas", error))
		return NULL;
	if (g_strcmp0(change_id, "*") == 0) {
		ferry_extent_list_add(list, 0, (guint64)json_object_get_int_member(disk, "capacity"),
				      FERRY_EXTENT_FLAG_NONE, NULL);
		return g_steal_pointer(&list);
	}
	export = export_start(self->exports_dir, json_object_get_string_member(disk, "path"),
			      change_id, error);
	if (export == NULL)
		return NULL;
	context = g_strdup_printf("qemu:dirty-bitmap:%s", change_id);
	nbd = nbd_create();
	if (nbd == NULL || nbd_add_meta_context(nbd, context) == -1 ||
	    nbd_connect_uri(nbd, export->uri) == -1 || (size = nbd_get_size(nbd)) == -1) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "changed areas of %s: %s", disk_id,
			    nbd_get_error());
		if (nbd != NULL)
			nbd_close(nbd);
		export_stop(export);
		return NULL;
	}
	for (int64_t offset = 0; offset < size;) {
		uint64_t count = MIN((uint64_t)(size - offset), (uint64_t)1 << 30);
		nbd_extent_callback cb = {.callback = dirty_cb, .user_data = &data};
		/* NBD_CMD_FLAG_REQ_ONE is not set: the answer covers the whole range */
		if (nbd_block_status(nbd, count, (uint64_t)offset, cb, 0) == -1) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "changed areas of %s: %s",
				    disk_id, nbd_get_error());
			nbd_close(nbd);
			export_stop(export);
			return NULL;
		}
		offset += (int64_t)count;
	}
	nbd_close(nbd);
	export_stop(export);
	if (!data.ok) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the dirty bitmap of %s overlaps itself", disk_id);
		return NULL;
	}
	return g_steal_pointer(&list);
}

static FerryDiskEndpoint *
acme_open_disk(FerryProvider *provider,
	     const char *vm_id,
	     const char *disk_id,
	     const char *snapshot_id,
	     GCancellable *cancellable,
	     GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	JsonObject *vm = find_vm(self, vm_id, error);
	JsonObject *disk = vm != NULL ? find_disk(vm, disk_id, error) : NULL;
	g_autoptr(Export) export = NULL;
	FerryDiskEndpoint *endpoint;

	if (disk == NULL || !test_check(self, "open_disk", error))
		return NULL;
	export = export_start(self->exports_dir, json_object_get_string_member(disk, "path"), NULL,
			      error);
	if (export == NULL)
		return NULL;
	endpoint = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, export->uri);
	ferry_disk_endpoint_set_size(endpoint,
				     (guint64)json_object_get_int_member(disk, "capacity"));
	ferry_disk_endpoint_set_disk_id(endpoint, disk_id);
	ferry_disk_endpoint_add_process(endpoint, export->process);
	ferry_disk_endpoint_add_cleanup_path(endpoint, export->socket);
	{
		g_autofree char *log = g_build_filename(export->dir, "qemu-nbd.log", NULL);
		ferry_disk_endpoint_add_cleanup_path(endpoint, log);
	}
	ferry_disk_endpoint_add_cleanup_path(endpoint, export->dir);
	return endpoint;
}

static char *
target_dir(AcmeProvider *self, JsonObject *vm_spec)
{
	return g_build_filename(json_object_get_string_member(self->world, "destDir"),
				json_object_get_string_member(vm_spec, "namespace"),
				json_object_get_string_member(vm_spec, "name"), NULL);
}

static FerryDiskEndpoint *
acme_prepare_disk(FerryProvider *provider,
		JsonObject *vm_spec,
		guint disk_index,
		GCancellable *cancellable,
		GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	g_autofree char *dir = target_dir(self, vm_spec);
	JsonArray *disks = json_object_get_array_member(vm_spec, "disks");
	JsonObject *disk;
	g_autofree char *file = NULL;
	g_autofree char *path = NULL;
	FerryDiskEndpoint *endpoint;
	gboolean fresh;

	if (disks == NULL || disk_index >= json_array_get_length(disks)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT, "no disk %u",
			    disk_index);
		return NULL;
	}
	if (!test_check(self, "prepare_disk", error))
		return NULL;
	disk = json_array_get_object_element(disks, disk_index);
	file = g_strdup_printf("%s.img", json_object_get_string_member(disk, "name"));
	path = g_build_filename(dir, file, NULL);
	if (g_mkdir_with_parents(dir, 0755) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot create %s", dir);
		return NULL;
	}
	fresh = !g_file_test(path, G_FILE_TEST_EXISTS);
	if (fresh) {
		int fd = g_open(path, O_CREAT | O_WRONLY, 0644);
		if (fd < 0 || ftruncate(fd, json_object_get_int_member(disk, "capacity")) != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot create %s", path);
			if (fd >= 0)
				close(fd);
			return NULL;
		}
		close(fd);
	}
	endpoint = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, path);
	ferry_disk_endpoint_set_size(endpoint, (guint64)json_object_get_int_member(disk, "capacity"));
	ferry_disk_endpoint_set_zeroed(endpoint, fresh);
	return endpoint;
}

static char *
acme_create_vm(FerryProvider *provider,
	     JsonObject *vm_spec,
	     GPtrArray *disks,
	     GCancellable *cancellable,
	     GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	g_autofree char *dir = target_dir(self, vm_spec);
	g_autofree char *path = g_build_filename(dir, "vm.json", NULL);

	if (!test_check(self, "create_vm", error))
		return NULL;
	g_mkdir_with_parents(dir, 0755);
	if (!save_json(path, vm_spec, error))
		return NULL;
	return g_strdup(json_object_get_string_member(vm_spec, "name"));
}

static gboolean
remove_dir(const char *dir)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	const char *name;
	while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
		g_autofree char *child = g_build_filename(dir, name, NULL);
		g_unlink(child);
	}
	return g_rmdir(dir) == 0 || errno == ENOENT;
}

static gboolean
acme_remove_vm(FerryProvider *provider,
	     JsonObject *vm_spec,
	     GCancellable *cancellable,
	     GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	g_autofree char *dir = target_dir(self, vm_spec);
	remove_dir(dir);
	return TRUE;
}

static gboolean
acme_remove_artifact(FerryProvider *provider,
		   const char *kind,
		   const char *id,
		   JsonObject *details,
		   GCancellable *cancellable,
		   GError **error)
{
	AcmeProvider *self = ACME_PROVIDER(provider);
	const char *vm_id = details != NULL ? json_object_get_string_member_with_default(
						  details, "vmId", NULL)
					    : NULL;

	if (g_strcmp0(kind, "snapshot") == 0 && vm_id != NULL) {
		gboolean by_name = json_object_get_boolean_member_with_default(details, "byName",
									       FALSE);
		g_autofree char *snapshot_id =
		    by_name ? g_strdup_printf("snapshot-%s", id) : g_strdup(id);
		return acme_remove_snapshot(provider, vm_id, snapshot_id, cancellable, error);
	}
	if (g_strcmp0(kind, "vm") == 0 && details != NULL &&
	    json_object_has_member(details, "vmSpec"))
		return acme_remove_vm(provider, json_object_get_object_member(details, "vmSpec"),
				    cancellable, error);
	if (g_strcmp0(kind, "disk") == 0 && details != NULL &&
	    json_object_has_member(details, "vmSpec")) {
		JsonObject *spec = json_object_get_object_member(details, "vmSpec");
		JsonArray *disks = json_object_get_array_member(spec, "disks");
		gint64 index = json_object_get_int_member_with_default(details, "diskIndex", -1);
		g_autofree char *dir = target_dir(self, spec);
		if (index >= 0 && disks != NULL && index < json_array_get_length(disks)) {
			g_autofree char *file = g_strdup_printf(
			    "%s.img", json_object_get_string_member(
					  json_array_get_object_element(disks, index), "name"));
			g_autofree char *path = g_build_filename(dir, file, NULL);
			g_unlink(path);
			g_rmdir(dir);
		}
		return TRUE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "the Acme provider cannot remove a %s", kind);
	return FALSE;
}

/* Acme's shape into Ferry's normalised description (docs/plugin-howto.md) */
static JsonObject *
acme_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = json_object_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *volumes = json_object_get_array_member(vm, "volumes");
	JsonArray *ports = json_object_get_array_member(vm, "ports");

	if (volumes == NULL || ports == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Acme VM %s has no volumes or ports; refresh the inventory",
			    json_object_get_string_member_with_default(vm, "id", "?"));
		json_object_unref(out);
		json_object_unref(cpu);
		json_object_unref(firmware);
		json_array_unref(disks);
		json_array_unref(nics);
		return NULL;
	}
	json_object_set_string_member(out, "name",
				      json_object_get_string_member_with_default(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets", 1);
	json_object_set_int_member(cpu, "cores",
				   MAX(1, json_object_get_int_member_with_default(vm, "vcpus", 1)));
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   json_object_get_int_member_with_default(vm, "ramMiB", 256));
	json_object_set_string_member(
	    firmware, "type",
	    g_strcmp0(json_object_get_string_member_with_default(vm, "bootMode", ""), "uefi") == 0
		? "efi"
		: "bios");
	json_object_set_boolean_member(firmware, "secureBoot", FALSE);
	json_object_set_object_member(out, "firmware", firmware);
	json_object_set_string_member(out, "osType", "acme-linux");
	for (guint i = 0; i < json_array_get_length(volumes); i++) {
		JsonObject *volume = json_array_get_object_element(volumes, i);
		JsonObject *disk = json_object_new();
		g_autofree char *slot = g_strdup_printf(
		    "%" G_GINT64_FORMAT, json_object_get_int_member(volume, "slot"));
		json_object_set_string_member(disk, "id", slot);
		json_object_set_int_member(disk, "capacity",
					   json_object_get_int_member(volume, "sizeBytes"));
		json_object_set_string_member(disk, "storage",
					      json_object_get_string_member(volume, "pool"));
		json_object_set_string_member(disk, "bus", "virtio");
		json_object_set_boolean_member(disk, "shared", FALSE);
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; i < json_array_get_length(ports); i++) {
		JsonObject *port = json_array_get_object_element(ports, i);
		JsonObject *nic = json_object_new();
		json_object_set_string_member(nic, "mac", json_object_get_string_member(port, "hwaddr"));
		json_object_set_string_member(nic, "network",
					      json_object_get_string_member(port, "segment"));
		json_object_set_string_member(nic, "model", "virtio");
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

static void
acme_get_map_kinds(FerryProvider *provider, const char **network_kind, const char **storage_kind)
{
	*network_kind = "segment";
	*storage_kind = "pool";
}

static gboolean
acme_check_url(FerryProvider *provider, const char *url, GError **error)
{
	if (!g_str_has_prefix(url, "file:///")) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: an Acme provider needs the file:// URL "
				    "of its world file.");
		return FALSE;
	}
	return TRUE;
}

static const char *const *
acme_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"apiKey", NULL};
	*needs_ca = FALSE;
	return keys;
}

static void
acme_provider_iface_init(FerryProviderInterface *iface)
{
	iface->describe_vm = acme_describe_vm;
	iface->get_map_kinds = acme_get_map_kinds;
	iface->check_url = acme_check_url;
	iface->get_secret_keys = acme_get_secret_keys;
	iface->get_provider_type = acme_get_provider_type;
	iface->get_capabilities = acme_get_capabilities;
	iface->connect = acme_connect;
	iface->load_inventory = acme_load_inventory;
	iface->get_power_state = acme_get_power_state;
	iface->power_off = acme_power_off;
	iface->power_on = acme_power_on;
	iface->create_snapshot = acme_create_snapshot;
	iface->remove_snapshot = acme_remove_snapshot;
	iface->get_changed_areas = acme_get_changed_areas;
	iface->open_disk = acme_open_disk;
	iface->prepare_disk = acme_prepare_disk;
	iface->create_vm = acme_create_vm;
	iface->remove_vm = acme_remove_vm;
	iface->remove_artifact = acme_remove_artifact;
}

static gboolean
acme_register(FerryPluginModule *module, GError **error)
{
	acme_provider_register_type(G_TYPE_MODULE(module));
	return ferry_plugin_module_add_provider(module, "acme", ACME_TYPE_PROVIDER, error);
}

FERRY_PLUGIN_DEFINE(acme, "acme", "Acme Cloud, a platform the core does not know (fixture)",
		    acme_register)
