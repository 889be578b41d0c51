/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-vsphere-disk.h"

void
ferry_vsphere_disk_free(FerryVsphereDisk *self)
{
	if (self == NULL)
		return;
	g_free(self->vm_id);
	g_free(self->vm_name);
	g_free(self->host_id);
	g_free(self->folder_id);
	g_free(self->disk_id);
	g_free(self->file_name);
	g_free(self->datastore_id);
	g_free(self->backing_type);
	g_free(self->parent_file);
	g_free(self->change_id);
	g_free(self);
}

/* a disk is named `disk-2000` (the inventory's disks[].id), `2000` (its
 * device key) or by its backing file `[ds] dir/name.vmdk` */
gboolean
ferry_vsphere_disk_id_matches(const char *disk_id, gint64 key, const char *file_name)
{
	g_autofree char *with_prefix = g_strdup_printf("disk-%" G_GINT64_FORMAT, key);
	g_autofree char *plain = g_strdup_printf("%" G_GINT64_FORMAT, key);

	return g_strcmp0(disk_id, with_prefix) == 0 || g_strcmp0(disk_id, plain) == 0 ||
	       (file_name != NULL && g_strcmp0(disk_id, file_name) == 0);
}

/**
 * ferry_vsphere_disk_list:
 * @client: a logged-in client
 * @vm_id: the VM
 * @snapshot_id: (nullable): read the disks as they are in this snapshot
 * @context: prefix for errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer container) (element-type FerryVsphereDisk): the disks
 */
GPtrArray *
ferry_vsphere_disk_list(FerryVsphereClient *client,
			const char *vm_id,
			const char *snapshot_id,
			const char *context,
			GCancellable *cancellable,
			GError **error)
{
	static const char *const vm_paths[] = {"name",
					       "parent",
					       "runtime.host",
					       "config.changeTrackingEnabled",
					       "config.hardware.device",
					       NULL};
	static const char *const snapshot_paths[] = {
	    "config.changeTrackingEnabled", "config.hardware.device", NULL};
	g_autoptr(FerryVsphereResult) vm = NULL;
	g_autoptr(FerryVsphereResult) snapshot = NULL;
	g_autoptr(GPtrArray) disks =
	    g_ptr_array_new_with_free_func((GDestroyNotify)ferry_vsphere_disk_free);
	FerryVsphereObject *vm_object;
	FerryVsphereObject *config_object;
	g_autofree char *vm_name = NULL;
	g_autofree char *host = NULL;
	g_autofree char *folder = NULL;
	gboolean tracking = FALSE;

	vm = ferry_vsphere_client_retrieve_object(client, "VirtualMachine", vm_id, vm_paths, context,
						  cancellable, error);
	if (vm == NULL)
		return NULL;
	vm_object = ferry_vsphere_result_get_object(vm, vm_id);
	config_object = vm_object;
	if (snapshot_id != NULL) {
		snapshot = ferry_vsphere_client_retrieve_object(client, "VirtualMachineSnapshot",
								snapshot_id, snapshot_paths, context,
								cancellable, error);
		if (snapshot == NULL)
			return NULL;
		config_object = ferry_vsphere_result_get_object(snapshot, snapshot_id);
	}
	vm_name = ferry_vsphere_object_dup_string(vm_object, "name");
	host = ferry_vsphere_object_dup_string(vm_object, "runtime.host");
	folder = ferry_vsphere_object_dup_string(vm_object, "parent");
	ferry_vsphere_xml_get_boolean(
	    ferry_vsphere_object_get(config_object, "config.changeTrackingEnabled"), NULL, &tracking);
	for (xmlNode *device = ferry_vsphere_xml_child(
		 ferry_vsphere_object_get(config_object, "config.hardware.device"), NULL);
	     device != NULL; device = ferry_vsphere_xml_next(device, NULL)) {
		FerryVsphereDisk *disk;
		xmlNode *backing;

		if (!ferry_vsphere_xml_type_is(device, "VirtualDisk"))
			continue;
		backing = ferry_vsphere_xml_child(device, "backing");
		disk = g_new0(FerryVsphereDisk, 1);
		disk->vm_id = g_strdup(vm_id);
		disk->vm_name = g_strdup(vm_name);
		disk->host_id = g_strdup(host);
		disk->folder_id = g_strdup(folder);
		ferry_vsphere_xml_get_int64(device, "key", &disk->key);
		disk->disk_id = g_strdup_printf("disk-%" G_GINT64_FORMAT, disk->key);
		if (!ferry_vsphere_xml_get_int64(device, "capacityInBytes", &disk->capacity) ||
		    disk->capacity <= 0) {
			gint64 kb = 0;
			ferry_vsphere_xml_get_int64(device, "capacityInKB", &kb);
			disk->capacity = kb * 1024;
		}
		disk->file_name = ferry_vsphere_xml_dup_path_text(backing, "fileName");
		disk->datastore_id = ferry_vsphere_xml_dup_path_text(backing, "datastore");
		disk->backing_type = ferry_vsphere_xml_dup_type(backing);
		disk->parent_file = ferry_vsphere_xml_dup_path_text(backing, "parent.fileName");
		disk->change_id = ferry_vsphere_xml_dup_path_text(backing, "changeId");
		disk->change_tracking = tracking;
		g_ptr_array_add(disks, disk);
	}
	return g_steal_pointer(&disks);
}

/**
 * ferry_vsphere_disk_find:
 *
 * Returns: (transfer full): the disk @disk_id of @vm_id (in @snapshot_id)
 */
FerryVsphereDisk *
ferry_vsphere_disk_find(FerryVsphereClient *client,
			const char *vm_id,
			const char *disk_id,
			const char *snapshot_id,
			const char *context,
			GCancellable *cancellable,
			GError **error)
{
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GString) known = g_string_new(NULL);

	disks = ferry_vsphere_disk_list(client, vm_id, snapshot_id, context, cancellable, error);
	if (disks == NULL)
		return NULL;
	for (guint i = 0; i < disks->len; i++) {
		FerryVsphereDisk *disk = g_ptr_array_index(disks, i);
		if (ferry_vsphere_disk_id_matches(disk_id, disk->key, disk->file_name))
			return g_ptr_array_steal_index(disks, i);
		g_string_append_printf(known, "%s%s", known->len > 0 ? ", " : "", disk->disk_id);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "%s: the VM has no disk %s%s%s (it has: %s); refresh the inventory", context,
		    disk_id, snapshot_id != NULL ? " in snapshot " : "",
		    snapshot_id != NULL ? snapshot_id : "", known->len > 0 ? known->str : "none");
	return NULL;
}

/* --- serving with nbdkit --- */

typedef struct {
	char *dir;
	GPtrArray *files; /* removed when the endpoint closes, before dir */
} PrivateDir;

static void
private_dir_free(PrivateDir *self)
{
	if (self == NULL)
		return;
	/* only reached on failure: the endpoint owns the files otherwise */
	for (guint i = 0; i < self->files->len; i++)
		g_unlink(g_ptr_array_index(self->files, i));
	if (self->dir != NULL)
		g_rmdir(self->dir);
	g_ptr_array_unref(self->files);
	g_free(self->dir);
	g_free(self);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(PrivateDir, private_dir_free)

static PrivateDir *
private_dir_new(const char *context, GError **error)
{
	g_autoptr(PrivateDir) self = g_new0(PrivateDir, 1);
	g_autoptr(GError) local_error = NULL;

	self->files = g_ptr_array_new_with_free_func(g_free);
	self->dir = g_dir_make_tmp("ferry-vsphere-disk-XXXXXX", &local_error);
	if (self->dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "%s: cannot create a private directory: %s", context,
			    local_error->message);
		return NULL;
	}
	return g_steal_pointer(&self);
}

static char *
private_dir_add(PrivateDir *self, const char *name)
{
	char *path = g_build_filename(self->dir, name, NULL);
	g_ptr_array_add(self->files, g_strdup(path));
	return path;
}

/* hands the files and the directory to @endpoint, which removes them */
static void
private_dir_give(PrivateDir *self, FerryDiskEndpoint *endpoint)
{
	for (guint i = 0; i < self->files->len; i++)
		ferry_disk_endpoint_add_cleanup_path(endpoint, g_ptr_array_index(self->files, i));
	ferry_disk_endpoint_add_cleanup_path(endpoint, self->dir);
	g_ptr_array_set_size(self->files, 0);
	g_clear_pointer(&self->dir, g_free);
}

static char *
ferry_vsphere_read_log(const char *path, FerryVsphereClient *client)
{
	g_autofree char *text = NULL;
	if (!g_file_get_contents(path, &text, NULL, NULL) || *g_strstrip(text) == '\0')
		return g_strdup("no message");
	return ferry_secret_redact(ferry_vsphere_client_get_secret(client), text);
}

/* starts nbdkit in the foreground and waits until its pid file says it
 * listens on the socket */
static GSubprocess *
ferry_vsphere_start_nbdkit(FerryVsphereClient *client,
			   PrivateDir *dir,
			   GPtrArray *plugin_args,
			   const char *socket_path,
			   const char *context,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autoptr(GSubprocessLauncher) launcher =
	    g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE);
	g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *pid_path = private_dir_add(dir, "nbdkit.pid");
	g_autofree char *log_path = private_dir_add(dir, "nbdkit.log");
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *nbdkit = g_find_program_in_path("nbdkit");

	if (nbdkit == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: nbdkit is not installed; install the nbdkit package", context);
		return NULL;
	}
	g_ptr_array_add(argv, g_strdup(nbdkit));
	g_ptr_array_add(argv, g_strdup("--exit-with-parent"));
	g_ptr_array_add(argv, g_strdup("--foreground"));
	g_ptr_array_add(argv, g_strdup("--readonly"));
	g_ptr_array_add(argv, g_strdup("--unix"));
	g_ptr_array_add(argv, g_strdup(socket_path));
	g_ptr_array_add(argv, g_strdup("--pidfile"));
	g_ptr_array_add(argv, g_strdup(pid_path));
	for (guint i = 0; i < plugin_args->len; i++)
		g_ptr_array_add(argv, g_strdup(g_ptr_array_index(plugin_args, i)));
	g_ptr_array_add(argv, NULL);

	g_subprocess_launcher_set_stderr_file_path(launcher, log_path);
	process = g_subprocess_launcher_spawnv(launcher, (const char *const *)argv->pdata,
					       &local_error);
	if (process == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s: cannot start nbdkit: %s",
			    context, local_error->message);
		return NULL;
	}
	for (guint waited = 0; waited < 30000; waited += 10) {
		g_autofree char *pid = NULL;
		if (g_subprocess_get_identifier(process) == NULL) {
			g_autofree char *log = ferry_vsphere_read_log(log_path, client);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "%s: nbdkit stopped at start: %s", context, log);
			return NULL;
		}
		if (g_file_get_contents(pid_path, &pid, NULL, NULL) && *pid != '\0' &&
		    g_file_test(socket_path, G_FILE_TEST_EXISTS))
			return g_steal_pointer(&process);
		if (g_cancellable_is_cancelled(cancellable))
			break;
		g_usleep(10 * 1000);
	}
	g_subprocess_force_exit(process);
	g_subprocess_wait(process, NULL, NULL);
	if (g_cancellable_is_cancelled(cancellable)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
			    "%s: cancelled while nbdkit started", context);
		return NULL;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
		    "%s: nbdkit did not start listening within 30 s", context);
	return NULL;
}

static FerryDiskEndpoint *
ferry_vsphere_disk_endpoint(FerryVsphereDisk *disk,
			    PrivateDir *dir,
			    GSubprocess *process,
			    const char *socket_path)
{
	g_autofree char *uri = g_strdup_printf("nbd+unix:///?socket=%s", socket_path);
	g_autofree char *description =
	    g_strdup_printf("%s of VM %s (%s)", disk->file_name, disk->vm_name, disk->vm_id);
	FerryDiskEndpoint *endpoint = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, uri);

	ferry_disk_endpoint_set_size(endpoint, (guint64)disk->capacity);
	ferry_disk_endpoint_set_format(endpoint, "raw");
	ferry_disk_endpoint_set_disk_id(endpoint, disk->disk_id);
	ferry_disk_endpoint_set_description(endpoint, description);
	ferry_disk_endpoint_add_process(endpoint, process);
	private_dir_give(dir, endpoint);
	return endpoint;
}

/* `dir/name.vmdk` → `dir/name-flat.vmdk`: the raw extent of a flat disk */
static char *
ferry_vsphere_flat_path(const char *path)
{
	if (!g_str_has_suffix(path, ".vmdk") || g_str_has_suffix(path, "-flat.vmdk"))
		return g_strdup(path);
	return g_strdup_printf("%.*s-flat.vmdk", (int)(strlen(path) - strlen(".vmdk")), path);
}

/**
 * ferry_vsphere_disk_serve_https:
 * @client: a logged-in client of the server that holds the datastore (the
 *   vCenter, or the ESXi host of a Host endpoint)
 * @disk: the disk
 * @datacenter_path: the `dcPath` of the datastore file service
 * @context: prefix for errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Serves the disk's flat extent from `/folder/<path>?dcPath=&dsName=` with
 * nbdkit's curl plugin. The session cookie reaches nbdkit through a 0600 file
 * read by its cookie-script (renewed every minute, so a re-login carries
 * over), the CA through cainfo: neither is on a command line.
 *
 * Returns: (transfer full): a readable NBD endpoint owning nbdkit
 */
FerryDiskEndpoint *
ferry_vsphere_disk_serve_https(FerryVsphereClient *client,
			       FerryVsphereDisk *disk,
			       const char *datacenter_path,
			       const char *context,
			       GCancellable *cancellable,
			       GError **error)
{
	g_autoptr(PrivateDir) dir = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *datastore = NULL;
	g_autofree char *path = NULL;
	g_autofree char *flat = NULL;
	g_autofree char *escaped_path = NULL;
	g_autofree char *escaped_dc = NULL;
	g_autofree char *escaped_ds = NULL;
	g_autofree char *resource = NULL;
	g_autofree char *url = NULL;
	g_autofree char *cookie_path = NULL;
	g_autofree char *trust_path = NULL;
	g_autofree char *trust = NULL;
	g_autofree char *socket_path = NULL;
	g_autofree char *quoted = NULL;
	g_autoptr(GError) local_error = NULL;
	guint64 size = 0;

	if (g_strcmp0(disk->backing_type, "VirtualDiskFlatVer2BackingInfo") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: disk %s has a %s backing, which the datastore file service "
			    "cannot serve as a raw disk; configure VDDK (settings.vddkLibdir)",
			    context, disk->disk_id,
			    disk->backing_type != NULL ? disk->backing_type : "unknown");
		return NULL;
	}
	if (disk->parent_file != NULL && *disk->parent_file != '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: disk %s is a delta disk (%s) on top of %s; the datastore file "
			    "service reads only flat disks: remove older snapshots first or "
			    "configure VDDK (settings.vddkLibdir)",
			    context, disk->disk_id, disk->file_name, disk->parent_file);
		return NULL;
	}
	if (!ferry_vsphere_split_datastore_path(disk->file_name, &datastore, &path)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: disk %s has backing file '%s', which is not a datastore path",
			    context, disk->disk_id, disk->file_name != NULL ? disk->file_name : "");
		return NULL;
	}
	flat = ferry_vsphere_flat_path(path);
	escaped_path = g_uri_escape_string(flat, "/", FALSE);
	escaped_dc = g_uri_escape_string(datacenter_path, NULL, FALSE);
	escaped_ds = g_uri_escape_string(datastore, NULL, FALSE);
	resource = g_strdup_printf("/folder/%s?dcPath=%s&dsName=%s", escaped_path, escaped_dc,
				   escaped_ds);
	if (!ferry_vsphere_client_head(client, resource, context, &size, cancellable, &local_error)) {
		g_prefix_error(&local_error, "[%s] %s: ", datastore, flat);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	if (size != (guint64)disk->capacity) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: [%s] %s holds %" G_GUINT64_FORMAT " bytes but disk %s has a "
			    "capacity of %" G_GINT64_FORMAT " bytes; the disk cannot be read as a "
			    "flat file",
			    context, datastore, flat, size, disk->disk_id, disk->capacity);
		return NULL;
	}

	dir = private_dir_new(context, error);
	if (dir == NULL)
		return NULL;
	cookie_path = private_dir_add(dir, "cookie");
	if (!ferry_vsphere_client_add_cookie_file(client, cookie_path, error))
		return NULL;
	trust_path = private_dir_add(dir, "ca.pem");
	trust = ferry_vsphere_client_write_trust_file(client, trust_path, &local_error);
	if (trust == NULL && local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	socket_path = private_dir_add(dir, "nbd.sock");
	url = g_strconcat(ferry_vsphere_client_get_base_url(client), resource, NULL);
	quoted = g_shell_quote(cookie_path);

	g_ptr_array_add(args, g_strdup("curl"));
	g_ptr_array_add(args, g_strdup_printf("url=%s", url));
	g_ptr_array_add(args, g_strdup_printf("cookie-script=exec cat %s", quoted));
	g_ptr_array_add(args, g_strdup("cookie-script-renew=60"));
	if (trust != NULL)
		g_ptr_array_add(args, g_strdup_printf("cainfo=%s", trust));
	else if (ferry_vsphere_client_get_insecure(client))
		g_ptr_array_add(args, g_strdup("sslverify=false"));
	process = ferry_vsphere_start_nbdkit(client, dir, args, socket_path, context, cancellable,
					     error);
	if (process == NULL)
		return NULL;
	return ferry_vsphere_disk_endpoint(disk, dir, process, socket_path);
}

static gboolean
ferry_vsphere_vddk_available(const char *libdir, const char *context, GError **error)
{
	g_autofree char *nbdkit = g_find_program_in_path("nbdkit");
	g_autofree char *lib64 = g_build_filename(libdir, "lib64", NULL);
	g_autoptr(GDir) dir = NULL;
	g_autofree char *output = NULL;
	int status = -1;
	const char *argv[] = {nbdkit, "vddk", "--version", NULL};

	if (nbdkit == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: nbdkit is not installed; install nbdkit and its VDDK plugin, or "
			    "remove settings.vddkLibdir to read disks over HTTPS",
			    context);
		return FALSE;
	}
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL, NULL,
			  &output, &status, NULL) ||
	    !g_spawn_check_wait_status(status, NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: VDDK was asked for (settings.vddkLibdir=%s) but nbdkit has no "
			    "vddk plugin; install nbdkit's VDDK plugin (nbdkit-vddk-plugin.so), or "
			    "remove settings.vddkLibdir to read disks over HTTPS",
			    context, libdir);
		return FALSE;
	}
	dir = g_dir_open(lib64, 0, NULL);
	if (dir != NULL) {
		const char *name;
		while ((name = g_dir_read_name(dir)) != NULL) {
			if (g_str_has_prefix(name, "libvixDiskLib.so"))
				return TRUE;
		}
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "%s: settings.vddkLibdir %s holds no lib64/libvixDiskLib.so; unpack VMware's "
		    "VDDK (VMware-vix-disklib-*.tar.gz) there",
		    context, libdir);
	return FALSE;
}

/**
 * ferry_vsphere_disk_serve_vddk:
 * @client: a logged-in client
 * @disk: the disk
 * @snapshot_id: (nullable): the snapshot to read
 * @libdir: the VDDK directory (with lib64/libvixDiskLib.so)
 * @context: prefix for errors
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Serves the disk through nbdkit's vddk plugin, which reads snapshot chains
 * and uses the fastest transport the host offers. The password reaches
 * nbdkit through a 0600 file (`password=+FILE`).
 *
 * Returns: (transfer full): a readable NBD endpoint owning nbdkit
 */
FerryDiskEndpoint *
ferry_vsphere_disk_serve_vddk(FerryVsphereClient *client,
			      FerryVsphereDisk *disk,
			      const char *snapshot_id,
			      const char *libdir,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(PrivateDir) dir = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GSubprocess) process = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autofree char *password_path = NULL;
	g_autofree char *socket_path = NULL;
	g_autofree char *password = NULL;
	g_autofree char *user = NULL;
	g_autofree char *thumbprint = NULL;
	gboolean written;

	if (!ferry_vsphere_vddk_available(libdir, context, error))
		return NULL;
	thumbprint = ferry_vsphere_client_dup_fingerprint(client);
	if (thumbprint == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
			    "%s: VDDK needs the server's TLS thumbprint and none was seen", context);
		return NULL;
	}
	dir = private_dir_new(context, error);
	if (dir == NULL)
		return NULL;
	password_path = private_dir_add(dir, "password");
	password = ferry_secret_dup_string(ferry_vsphere_client_get_secret(client), "password");
	written = g_file_set_contents_full(password_path, password != NULL ? password : "", -1,
					   G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error);
	if (password != NULL)
		memset(password, 0, strlen(password));
	if (!written) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", context,
			    local_error->message);
		return NULL;
	}
	user = ferry_secret_dup_string(ferry_vsphere_client_get_secret(client), "user");
	socket_path = private_dir_add(dir, "nbd.sock");
	g_ptr_array_add(args, g_strdup("vddk"));
	g_ptr_array_add(args, g_strdup_printf("libdir=%s", libdir));
	g_ptr_array_add(args, g_strdup_printf("server=%s", ferry_vsphere_client_get_host(client)));
	g_ptr_array_add(args, g_strdup_printf("user=%s", user));
	g_ptr_array_add(args, g_strdup_printf("password=+%s", password_path));
	g_ptr_array_add(args, g_strdup_printf("thumbprint=%s", thumbprint));
	g_ptr_array_add(args, g_strdup_printf("vm=moref=%s", disk->vm_id));
	if (snapshot_id != NULL)
		g_ptr_array_add(args, g_strdup_printf("snapshot=%s", snapshot_id));
	g_ptr_array_add(args, g_strdup_printf("file=%s", disk->file_name));
	process = ferry_vsphere_start_nbdkit(client, dir, args, socket_path, context, cancellable,
					     error);
	if (process == NULL)
		return NULL;
	return ferry_vsphere_disk_endpoint(disk, dir, process, socket_path);
}
