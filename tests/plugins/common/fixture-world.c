/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The disk plumbing shared by the fixture providers testprov (type "test")
 * and acme (type "acme"): their VMs have real disks, qcow2 images served by
 * qemu-nbd, with persistent dirty bitmaps standing in for changed-block
 * tracking, so every itinerary (cold, warm, conversion-only) runs end to
 * end without a hypervisor. A fixture is also a destination: target disks
 * are sparse raw files and a created VM is a JSON file.
 *
 * The provider URL names a "world" JSON file:
 *   {"vms": [{"id", "name", "powerState", "cpuCount", "memoryMB", "host",
 *             "disks": [{"key", "capacity", "path", "datastore": {"id"}}],
 *             "nics": [{"mac", "network": {"id"}}]}],
 *    "destDir": "/abs/dir",
 *    "fail": {"OPERATION": COUNT},        fail the next COUNT calls
 *    "delayMs": {"OPERATION": MS}}         sleep before an operation
 * Mutable state (power, snapshots, remaining failures) lives in
 * WORLD.state beside it, rewritten atomically, so it survives kill -9.
 * Operations: connect, power_off, power_on, create_snapshot,
 * remove_snapshot, changed_areas, open_disk, prepare_disk, create_vm.
 *
 * Each plugin keeps its own type name, capabilities, inventory shape and
 * describe_vm; it attaches a FixtureWorld to its provider object and lets
 * fixture_world_iface_init() fill in the rest of the interface.
 */

#include "fixture-world.h"

#include <errno.h>
#include <gio/gio.h>
#include <gio/gunixsocketaddress.h>
#include <glib/gstdio.h>
#include <libnbd.h>
#include <signal.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

static GMutex state_lock; /* the state file is shared by every instance */

static void stop_orphans(const char *path);
static void sweep_exports(const char *exports_dir);

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
state_load(FixtureWorld *self, GError **error)
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
test_check(FixtureWorld *self, const char *operation, GError **error)
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
find_vm(FixtureWorld *self, const char *vm_id, GError **error)
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

static gboolean
fw_connect(FerryProvider *provider,
	   FerryProviderConfig *config,
	   GCancellable *cancellable,
	   GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	const char *url = ferry_provider_config_get_url(config);
	g_autofree char *path = NULL;

	if (url == NULL || !g_str_has_prefix(url, "file://")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: the %s provider needs a file:// URL of a world file",
			    ferry_provider_config_get_name(config), self->name);
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
fw_get_power_state(FerryProvider *provider,
		   const char *vm_id,
		   GCancellable *cancellable,
		   GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_set_power(FixtureWorld *self, const char *vm_id, const char *want, GError **error)
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
fw_power_off(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	return test_check(self, "power_off", error) && fw_set_power(self, vm_id, "Off", error);
}

static gboolean
fw_power_on(FerryProvider *provider, const char *vm_id, GCancellable *c, GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	return test_check(self, "power_on", error) && fw_set_power(self, vm_id, "On", error);
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
fw_create_snapshot(FerryProvider *provider,
		   const char *vm_id,
		   const char *name,
		   FerrySnapshotFlags flags,
		   GCancellable *cancellable,
		   GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_remove_snapshot(FerryProvider *provider,
		   const char *vm_id,
		   const char *snapshot_id,
		   GCancellable *cancellable,
		   GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_get_changed_areas(FerryProvider *provider,
		     const char *vm_id,
		     const char *disk_id,
		     const char *snapshot_id,
		     const char *change_id,
		     GCancellable *cancellable,
		     GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_open_disk(FerryProvider *provider,
	     const char *vm_id,
	     const char *disk_id,
	     const char *snapshot_id,
	     GCancellable *cancellable,
	     GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
target_dir(FixtureWorld *self, JsonObject *vm_spec)
{
	return g_build_filename(json_object_get_string_member(self->world, "destDir"),
				json_object_get_string_member(vm_spec, "namespace"),
				json_object_get_string_member(vm_spec, "name"), NULL);
}

static FerryDiskEndpoint *
fw_prepare_disk(FerryProvider *provider,
		JsonObject *vm_spec,
		guint disk_index,
		GCancellable *cancellable,
		GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_create_vm(FerryProvider *provider,
	     JsonObject *vm_spec,
	     GPtrArray *disks,
	     GCancellable *cancellable,
	     GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
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
fw_remove_vm(FerryProvider *provider,
	     JsonObject *vm_spec,
	     GCancellable *cancellable,
	     GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	g_autofree char *dir = target_dir(self, vm_spec);
	remove_dir(dir);
	return TRUE;
}

/* a PRE_TRANSFER preparation (worlds with "preTransfer": true): marks the
 * VM prepared in the state, as OpenStack's temporary images would be */
static gboolean
fw_set_prepared(FerryProvider *provider, const char *vm_id, gboolean prepared, GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	g_autoptr(JsonObject) state = NULL;
	JsonObject *all;
	gboolean ok;

	g_mutex_lock(&state_lock);
	state = state_load(self, error);
	if (state == NULL) {
		g_mutex_unlock(&state_lock);
		return FALSE;
	}
	if (!json_object_has_member(state, "prepared"))
		json_object_set_object_member(state, "prepared", json_object_new());
	all = json_object_get_object_member(state, "prepared");
	if (prepared)
		json_object_set_boolean_member(all, vm_id, TRUE);
	else if (json_object_has_member(all, vm_id))
		json_object_remove_member(all, vm_id);
	ok = save_json(self->state_path, state, error);
	g_mutex_unlock(&state_lock);
	return ok;
}

static gboolean
fw_pre_transfer(FerryProvider *provider, const char *vm_id, GCancellable *cancellable,
		GError **error)
{
	if (!test_check(fixture_world_get(provider), "pre_transfer", error))
		return FALSE;
	return fw_set_prepared(provider, vm_id, TRUE, error);
}

static gboolean
fw_remove_artifact(FerryProvider *provider,
		   const char *kind,
		   const char *id,
		   JsonObject *details,
		   GCancellable *cancellable,
		   GError **error)
{
	FixtureWorld *self = fixture_world_get(provider);
	const char *vm_id = details != NULL ? json_object_get_string_member_with_default(
						  details, "vmId", NULL)
					    : NULL;

	if (g_strcmp0(kind, "snapshot") == 0 && vm_id != NULL) {
		gboolean by_name = json_object_get_boolean_member_with_default(details, "byName",
									       FALSE);
		g_autofree char *snapshot_id =
		    by_name ? g_strdup_printf("snapshot-%s", id) : g_strdup(id);
		return fw_remove_snapshot(provider, vm_id, snapshot_id, cancellable, error);
	}
	if (g_strcmp0(kind, "vm") == 0 && details != NULL &&
	    json_object_has_member(details, "vmSpec"))
		return fw_remove_vm(provider, json_object_get_object_member(details, "vmSpec"),
				    cancellable, error);
	if (g_strcmp0(kind, "pre-transfer") == 0)
		return fw_set_prepared(provider, vm_id != NULL ? vm_id : id, FALSE, error);
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
		    "the %s provider cannot remove a %s", self->name, kind);
	return FALSE;
}

/* a reference: a string id or an object's id */

static void
fixture_world_free(gpointer data)
{
	FixtureWorld *self = data;
	g_free(self->name);
	g_free(self->world_path);
	g_free(self->state_path);
	g_free(self->exports_dir);
	g_clear_pointer(&self->world, json_object_unref);
	g_free(self);
}

void
fixture_world_attach(GObject *provider, const char *name)
{
	FixtureWorld *self = g_new0(FixtureWorld, 1);
	self->name = g_strdup(name);
	g_object_set_data_full(provider, "fixture-world", self, fixture_world_free);
}

FixtureWorld *
fixture_world_get(FerryProvider *provider)
{
	FixtureWorld *self = g_object_get_data(G_OBJECT(provider), "fixture-world");
	g_assert(self != NULL);
	return self;
}

void
fixture_world_iface_init(FerryProviderInterface *iface)
{
	iface->connect = fw_connect;
	iface->get_power_state = fw_get_power_state;
	iface->power_off = fw_power_off;
	iface->power_on = fw_power_on;
	iface->create_snapshot = fw_create_snapshot;
	iface->remove_snapshot = fw_remove_snapshot;
	iface->get_changed_areas = fw_get_changed_areas;
	iface->open_disk = fw_open_disk;
	iface->prepare_disk = fw_prepare_disk;
	iface->create_vm = fw_create_vm;
	iface->remove_vm = fw_remove_vm;
	iface->remove_artifact = fw_remove_artifact;
	iface->pre_transfer = fw_pre_transfer;
}
