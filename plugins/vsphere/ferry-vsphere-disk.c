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

/* nbdkit for @disk, read-only; the log it leaves in an error is redacted
 * with the client's secret */
static FerryNbdServer *
ferry_vsphere_server_new(FerryVsphereClient *client, FerryVsphereDisk *disk)
{
	g_autofree char *display =
	    g_strdup_printf("%s of VM %s (%s)", disk->file_name, disk->vm_name, disk->vm_id);
	FerryNbdServer *server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, display);

	ferry_nbd_server_set_read_only(server, TRUE);
	ferry_nbd_server_set_secret(server, ferry_vsphere_client_get_secret(client));
	return server;
}

/* starts @server and returns the endpoint that owns it */
static FerryDiskEndpoint *
ferry_vsphere_serve(FerryNbdServer *server,
		    FerryVsphereDisk *disk,
		    const char *context,
		    GCancellable *cancellable,
		    GError **error)
{
	FerryDiskEndpoint *endpoint;

	if (!ferry_nbd_server_start(server, cancellable, error)) {
		g_prefix_error(error, "%s: ", context);
		return NULL;
	}
	endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_SOURCE);
	ferry_disk_endpoint_set_size(endpoint, (guint64)disk->capacity);
	ferry_disk_endpoint_set_disk_id(endpoint, disk->disk_id);
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
	g_autoptr(FerryNbdServer) server = NULL;
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
	g_autofree char *quoted = NULL;
	g_autofree char *url_argument = NULL;
	g_autofree char *cookie_argument = NULL;
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

	server = ferry_vsphere_server_new(client, disk);
	cookie_path = ferry_nbd_server_build_private_path(server, "cookie", error);
	if (cookie_path == NULL ||
	    !ferry_vsphere_client_add_cookie_file(client, cookie_path, error))
		return NULL;
	trust_path = ferry_nbd_server_build_private_path(server, "ca.pem", error);
	if (trust_path == NULL)
		return NULL;
	trust = ferry_vsphere_client_write_trust_file(client, trust_path, &local_error);
	if (trust == NULL && local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	url = g_strconcat(ferry_vsphere_client_get_base_url(client), resource, NULL);
	quoted = g_shell_quote(cookie_path);
	url_argument = g_strdup_printf("url=%s", url);
	cookie_argument = g_strdup_printf("cookie-script=exec cat %s", quoted);

	ferry_nbd_server_add_argument(server, "curl");
	ferry_nbd_server_add_argument(server, url_argument);
	ferry_nbd_server_add_argument(server, cookie_argument);
	ferry_nbd_server_add_argument(server, "cookie-script-renew=60");
	if (trust != NULL) {
		g_autofree char *cainfo = g_strdup_printf("cainfo=%s", trust);
		ferry_nbd_server_add_argument(server, cainfo);
	} else if (ferry_vsphere_client_get_insecure(client)) {
		ferry_nbd_server_add_argument(server, "sslverify=false");
	}
	return ferry_vsphere_serve(server, disk, context, cancellable, error);
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
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(GPtrArray) args = g_ptr_array_new_with_free_func(g_free);
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
	user = ferry_secret_dup_string(ferry_vsphere_client_get_secret(client), "user");
	g_ptr_array_add(args, g_strdup("vddk"));
	g_ptr_array_add(args, g_strdup_printf("libdir=%s", libdir));
	g_ptr_array_add(args, g_strdup_printf("server=%s", ferry_vsphere_client_get_host(client)));
	g_ptr_array_add(args, g_strdup_printf("user=%s", user));
	g_ptr_array_add(args, g_strdup_printf("thumbprint=%s", thumbprint));
	g_ptr_array_add(args, g_strdup_printf("vm=moref=%s", disk->vm_id));
	if (snapshot_id != NULL)
		g_ptr_array_add(args, g_strdup_printf("snapshot=%s", snapshot_id));
	g_ptr_array_add(args, g_strdup_printf("file=%s", disk->file_name));
	server = ferry_vsphere_server_new(client, disk);
	for (guint i = 0; i < args->len; i++)
		ferry_nbd_server_add_argument(server, g_ptr_array_index(args, i));
	/* the password reaches nbdkit in a 0600 file: password=+FILE */
	password = ferry_secret_dup_string(ferry_vsphere_client_get_secret(client), "password");
	written = ferry_nbd_server_add_secret_parameter(
	    server, "password", password != NULL ? password : "", error);
	if (password != NULL)
		memset(password, 0, strlen(password));
	if (!written) {
		g_prefix_error(error, "%s: ", context);
		return NULL;
	}
	return ferry_vsphere_serve(server, disk, context, cancellable, error);
}
