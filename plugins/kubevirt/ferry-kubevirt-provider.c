/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The KubeVirt destination (Provider type `openshift`, alias `kubevirt`).
 *
 * Bundle mode (`spec.url: file:///DIR`) writes, per VM, a folder
 * DIR/<namespace>/<vm>/ with one sparse disk image per disk, one CDI
 * DataVolume manifest per disk, the VirtualMachine manifest and upload.sh,
 * ready for `kubectl apply -f` and `virtctl image-upload`. Cluster mode (an
 * empty URL or an API URL) creates the objects through the Kubernetes API
 * (ferry-kubevirt-cluster.c).
 */

#define _GNU_SOURCE /* SEEK_DATA */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ferry-plugin-sdk.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include "ferry-kubevirt-cluster.h"
#include "ferry-kubevirt-inventory.h"
#include "ferry-kubevirt-manifest.h"
#include "ferry-kubevirt-provider.h"
#include "ferry-kubevirt-pull.h"
#include "ferry-kubevirt-push.h"

/*
 * a file in each VM folder the plugin made; remove_vm deletes no other
 * folder. Hidden and without .json so that `kubectl apply -f` skips it.
 */
#define BUNDLE_MARKER ".ferry-bundle"
#define QEMU_NBD_START_TIMEOUT_MS 10000


struct _FerryKubevirtProvider {
	GObject parent_instance;
	char *display; /* "Provider/ns/name" */
	char *root;    /* bundle directory; NULL until connected in bundle mode */
	FerryKubevirtCluster *cluster; /* cluster mode; NULL in bundle mode */
	char *default_format;
	FerryKubevirtSizing sizing;
	GMutex folder_lock; /* disks of one VM are prepared in parallel threads */
};

static void ferry_kubevirt_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryKubevirtProvider,
			       ferry_kubevirt_provider,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_kubevirt_provider_iface_init))

static void
ferry_kubevirt_provider_finalize(GObject *object)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(object);
	g_free(self->display);
	g_free(self->root);
	ferry_kubevirt_cluster_free(self->cluster);
	g_free(self->default_format);
	g_mutex_clear(&self->folder_lock);
	G_OBJECT_CLASS(ferry_kubevirt_provider_parent_class)->finalize(object);
}

static void
ferry_kubevirt_provider_class_init(FerryKubevirtProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_kubevirt_provider_finalize;
}

static void
ferry_kubevirt_provider_class_finalize(FerryKubevirtProviderClass *klass)
{
}

static void
ferry_kubevirt_provider_init(FerryKubevirtProvider *self)
{
	self->display = g_strdup("Provider");
	self->default_format = g_strdup("raw");
	ferry_kubevirt_sizing_init(&self->sizing);
	g_mutex_init(&self->folder_lock);
}

static const char *
ferry_kubevirt_get_provider_type(FerryProvider *provider)
{
	return "openshift";
}

static FerryProviderCapabilities
ferry_kubevirt_get_capabilities(FerryProvider *provider)
{
	/* a cluster's token; a bundle directory (file://) or the cluster Ferry
	 * runs in needs none (ferry_platform_local_needs_no_secret) */
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	/* a cluster attaches a source's direct LUNs in place (static PV/PVC); a
	 * bundle cannot */
	return FERRY_PROVIDER_CAPABILITY_DESTINATION | FERRY_PROVIDER_CAPABILITY_CREDENTIALS |
	       FERRY_PROVIDER_CAPABILITY_DESTINATION_INVENTORY |
	       (self->cluster != NULL ? FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS : 0);
}

static void
ferry_kubevirt_get_map_kinds(FerryProvider *provider,
			     const char **network_kind,
			     const char **storage_kind)
{
	*network_kind = "networkattachmentdefinition";
	*storage_kind = "storageclass";
}

/* a remote cluster needs a token; the local cluster (no URL) and a bundle
 * directory (file://) need nothing */
static const char *const *
ferry_kubevirt_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"token", NULL};
	*needs_ca = FALSE;
	if (url == NULL || url[0] == '\0' || g_str_has_prefix(url, "file://"))
		return NULL;
	return keys;
}

static gboolean
ferry_kubevirt_check_connected(FerryKubevirtProvider *self, GError **error)
{
	if (self->root != NULL || self->cluster != NULL)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
		    "%s is not connected; connect it before creating VMs", self->display);
	return FALSE;
}

/* the FERRY_ERROR code of an errno value (ENOSPC → NO_SPACE, EACCES → PERMISSION_DENIED) */
static int
ferry_kubevirt_errno_code(int errno_value)
{
	g_autoptr(GError) error =
	    g_error_new_literal(G_FILE_ERROR, g_file_error_from_errno(errno_value), "");
	ferry_error_convert(&error);
	return error->code;
}

/* converts @error to FERRY_ERROR and puts "@display: " before its message */
static gboolean
ferry_kubevirt_propagate(GError **error, GError *local_error, const char *display)
{
	ferry_error_convert(&local_error);
	g_prefix_error(&local_error, "%s: ", display);
	g_propagate_error(error, local_error);
	return FALSE;
}

/* --- connect --- */

static gboolean
ferry_kubevirt_apply_settings(FerryKubevirtProvider *self,
			      FerryProviderConfig *config,
			      GError **error)
{
	const char *overhead = ferry_provider_config_get_setting(config, "filesystemOverhead");
	const char *block = ferry_provider_config_get_setting(config, "blockOverhead");
	const char *format = ferry_provider_config_get_setting(config, "diskFormat");
	g_autoptr(GError) local_error = NULL;

	if (overhead != NULL &&
	    !ferry_kubevirt_parse_percent(overhead, &self->sizing.filesystem_overhead_ppm,
					  &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.settings.filesystemOverhead: %s", self->display,
			    local_error->message);
		return FALSE;
	}
	if (block != NULL &&
	    !ferry_kubevirt_parse_quantity(block, &self->sizing.block_overhead, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.settings.blockOverhead: %s", self->display,
			    local_error->message);
		return FALSE;
	}
	if (format != NULL) {
		if (g_strcmp0(format, "raw") != 0 && g_strcmp0(format, "qcow2") != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.settings.diskFormat '%s' is not supported; use raw "
				    "or qcow2",
				    self->display, format);
			return FALSE;
		}
		g_free(self->default_format);
		self->default_format = g_strdup(format);
	}
	return TRUE;
}

/* cluster mode's own settings: the transfer pods' image, how long they may
 * take, push or pull, and whether pull pods share the node's network */
static gboolean
ferry_kubevirt_apply_cluster_settings(FerryKubevirtProvider *self,
				      FerryKubevirtCluster *cluster,
				      FerryProviderConfig *config,
				      GError **error)
{
	const char *image = ferry_provider_config_get_setting(config, "transferImage");
	const char *timeout = ferry_provider_config_get_setting(config, "transferPodTimeout");
	const char *mode = ferry_provider_config_get_setting(config, "transferMode");
	const char *host_network = ferry_provider_config_get_setting(config, "transferHostNetwork");

	if (image != NULL && *image != '\0') {
		g_free(cluster->transfer_image);
		cluster->transfer_image = g_strdup(image);
	}
	if (timeout != NULL && *timeout != '\0') {
		guint64 seconds = 0;
		if (!g_ascii_string_to_unsigned(timeout, 10, 1, 86400, &seconds, NULL)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.settings.transferPodTimeout '%s' is not a number of "
				    "seconds from 1 to 86400",
				    self->display, timeout);
			return FALSE;
		}
		cluster->pod_timeout = (guint)seconds;
	}
	if (mode != NULL && *mode != '\0') {
		if (g_strcmp0(mode, "push") != 0 && g_strcmp0(mode, "pull") != 0 &&
		    g_strcmp0(mode, "auto") != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.settings.transferMode '%s' is not push, pull or auto",
				    self->display, mode);
			return FALSE;
		}
		g_free(cluster->transfer_mode);
		cluster->transfer_mode = g_strdup(mode);
	}
	if (host_network != NULL && *host_network != '\0') {
		if (g_strcmp0(host_network, "true") != 0 && g_strcmp0(host_network, "false") != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.settings.transferHostNetwork '%s' is not true or false",
				    self->display, host_network);
			return FALSE;
		}
		cluster->host_network = g_strcmp0(host_network, "true") == 0;
	}
	return TRUE;
}

/* whether @url names a cluster: empty (the cluster Ferry runs in) or an API URL */
static gboolean
ferry_kubevirt_is_cluster_url(const char *url)
{
	return url == NULL || *url == '\0' || g_str_has_prefix(url, "https://") ||
	       g_str_has_prefix(url, "http://");
}

/* the bundle directory of a file:///DIR URL */
static char *
ferry_kubevirt_parse_url(FerryKubevirtProvider *self, const char *url, GError **error)
{
	g_autofree char *hostname = NULL;
	g_autofree char *path = NULL;
	g_autoptr(GError) local_error = NULL;

	path = g_filename_from_uri(url, &hostname, &local_error);
	if (path == NULL || (hostname != NULL && g_strcmp0(hostname, "localhost") != 0)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.url '%s' is not valid (UrlNotValid); use file:///DIR with "
			    "an absolute directory for a bundle, or an https:// API URL",
			    self->display, url);
		return NULL;
	}
	return g_steal_pointer(&path);
}

/* creates @dir when missing and proves a file can be created in it */
static gboolean
ferry_kubevirt_check_directory(FerryKubevirtProvider *self, const char *dir, GError **error)
{
	g_autofree char *probe = g_build_filename(dir, ".ferry-write-test-XXXXXX", NULL);
	int fd;

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "%s: cannot create the bundle directory %s: %s; create it or point "
			    "spec.url at a writable directory",
			    self->display, dir, g_strerror(saved_errno));
		return FALSE;
	}
	fd = g_mkstemp_full(probe, O_RDWR, 0600);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "%s: the bundle directory %s is not writable: %s; fix its "
			    "permissions or point spec.url at a writable directory",
			    self->display, dir, g_strerror(saved_errno));
		return FALSE;
	}
	close(fd);
	g_unlink(probe);
	return TRUE;
}

static gboolean
ferry_kubevirt_connect(FerryProvider *provider,
		       FerryProviderConfig *config,
		       GCancellable *cancellable,
		       GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	g_autofree char *root = NULL;

	g_free(self->display);
	self->display = g_strdup_printf("Provider/%s/%s",
					ferry_provider_config_get_namespace(config),
					ferry_provider_config_get_name(config));
	if (ferry_kubevirt_is_cluster_url(ferry_provider_config_get_url(config))) {
		FerryKubevirtCluster *cluster;
		if (!ferry_kubevirt_apply_settings(self, config, error))
			return FALSE;
		cluster = ferry_kubevirt_cluster_connect(self->display, config, cancellable, error);
		if (cluster == NULL)
			return FALSE;
		if (!ferry_kubevirt_apply_cluster_settings(self, cluster, config, error)) {
			ferry_kubevirt_cluster_free(cluster);
			return FALSE;
		}
		ferry_kubevirt_cluster_free(self->cluster);
		self->cluster = cluster;
		return TRUE;
	}
	root = ferry_kubevirt_parse_url(self, ferry_provider_config_get_url(config), error);
	if (root == NULL || !ferry_kubevirt_apply_settings(self, config, error) ||
	    !ferry_kubevirt_check_directory(self, root, error))
		return FALSE;
	g_free(self->root);
	self->root = g_steal_pointer(&root);
	g_debug("%s: bundle mode in %s", self->display, self->root);
	return TRUE;
}

/* --- the VM folder --- */

static char *
ferry_kubevirt_vm_directory(FerryKubevirtProvider *self,
			    const char *name_space,
			    const char *name)
{
	return g_build_filename(self->root, name_space, name, NULL);
}

static gboolean
ferry_kubevirt_write_file(const char *path,
			  const char *contents,
			  int mode,
			  const char *display,
			  GError **error)
{
	g_autoptr(GError) local_error = NULL;
	/* temporary file, fsync and rename: a crash never leaves half a file */
	if (g_file_set_contents_full(path, contents, -1,
				     G_FILE_SET_CONTENTS_CONSISTENT | G_FILE_SET_CONTENTS_DURABLE,
				     mode, &local_error))
		return TRUE;
	return ferry_kubevirt_propagate(error, g_steal_pointer(&local_error), display);
}

static char *
ferry_kubevirt_marker_contents(FerryKubevirtTarget *target)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "FerryBundle");
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, target->name_space);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, target->name);
	json_builder_set_member_name(builder, "ferryVersion");
	json_builder_add_string_value(builder, ferry_version_string());
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	return json_to_string(root, TRUE);
}

/* the VM folder, made and marked when missing; a folder Ferry did not make is
 * refused. A new folder is made under a temporary name, marked, then renamed
 * into place: a run stopped half-way (a crash, the bundle made read-only)
 * never leaves a folder of the VM's name without its marker, which every
 * later run would refuse as not Ferry's. */
static char *
ferry_kubevirt_ensure_vm_directory_locked(FerryKubevirtProvider *self,
					  FerryKubevirtTarget *target,
					  GError **error)
{
	g_autofree char *dir = ferry_kubevirt_vm_directory(self, target->name_space, target->name);
	g_autofree char *marker = g_build_filename(dir, BUNDLE_MARKER, NULL);
	g_autofree char *parent = g_path_get_dirname(dir);
	g_autofree char *base = g_path_get_basename(dir);
	g_autofree char *contents = ferry_kubevirt_marker_contents(target);
	g_autofree char *partial = NULL;
	g_autofree char *partial_marker = NULL;
	g_autoptr(GDir) listing = NULL;

	if (g_file_test(marker, G_FILE_TEST_IS_REGULAR))
		return g_steal_pointer(&dir);
	if (g_mkdir_with_parents(parent, 0755) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "%s: cannot create the bundle folder %s: %s", target->display, parent,
			    g_strerror(saved_errno));
		return NULL;
	}
	if (g_file_test(dir, G_FILE_TEST_IS_DIR)) {
		/* an empty folder of that name is taken over and marked */
		listing = g_dir_open(dir, 0, NULL);
		if (listing != NULL && g_dir_read_name(listing) != NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "%s: the folder %s already exists and was not made by Ferry; "
				    "move it away or choose another target name or namespace",
				    target->display, dir);
			return NULL;
		}
		if (!ferry_kubevirt_write_file(marker, contents, 0644, target->display, error))
			return NULL;
		return g_steal_pointer(&dir);
	}
	partial = g_strdup_printf("%s/.%s.partial-XXXXXX", parent, base);
	if (g_mkdtemp_full(partial, 0755) == NULL) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "%s: cannot create the bundle folder %s: %s", target->display, dir,
			    g_strerror(saved_errno));
		return NULL;
	}
	partial_marker = g_build_filename(partial, BUNDLE_MARKER, NULL);
	if (!ferry_kubevirt_write_file(partial_marker, contents, 0644, target->display, error)) {
		g_unlink(partial_marker);
		g_rmdir(partial);
		return NULL;
	}
	if (g_rename(partial, dir) != 0) {
		int saved_errno = errno;
		g_unlink(partial_marker);
		g_rmdir(partial);
		/* another run made it meanwhile: use it when it is Ferry's */
		if (g_file_test(marker, G_FILE_TEST_IS_REGULAR))
			return g_steal_pointer(&dir);
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "%s: cannot create the bundle folder %s: %s", target->display, dir,
			    g_strerror(saved_errno));
		return NULL;
	}
	return g_steal_pointer(&dir);
}

static char *
ferry_kubevirt_ensure_vm_directory(FerryKubevirtProvider *self,
				   FerryKubevirtTarget *target,
				   GError **error)
{
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->folder_lock);
	return ferry_kubevirt_ensure_vm_directory_locked(self, target, error);
}

/* --- disk images --- */

static gboolean
ferry_kubevirt_run(const char *display, GError **error, const char *const *argv)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *errors = NULL;
	g_autoptr(GError) local_error = NULL;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					      G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    &local_error);
	if (process == NULL || !g_subprocess_communicate_utf8(process, NULL, NULL, NULL, &errors,
							      &local_error))
		return ferry_kubevirt_propagate(error, g_steal_pointer(&local_error), display);
	if (!g_subprocess_get_successful(process)) {
		/* bundle mode holds no credential a tool could print */
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s failed: %s", display,
			    argv[0], g_strstrip(errors));
		return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_kubevirt_check_tool(const char *tool, const char *display, GError **error)
{
	g_autofree char *path = g_find_program_in_path(tool);
	if (path != NULL)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "%s: qcow2 disk images need %s, which is not installed; install qemu-utils "
		    "or set the disk format to raw",
		    display, tool);
	return FALSE;
}

/*
 * Fails early, before any byte is copied, when the bundle's filesystem
 * cannot hold the data the source says the disk has (`populatedSize`).
 */
static gboolean
ferry_kubevirt_check_space(FerryKubevirtDisk *disk,
			   const char *path,
			   const char *display,
			   GError **error)
{
	g_autofree char *dir = g_path_get_dirname(path);
	struct statvfs fs;
	struct stat info;
	guint64 available;
	guint64 allocated = 0;

	if (disk->populated == 0 || statvfs(dir, &fs) != 0)
		return TRUE;
	available = (guint64)fs.f_bavail * (guint64)fs.f_frsize;
	if (g_stat(path, &info) == 0)
		allocated = (guint64)info.st_blocks * 512;
	if (allocated >= disk->populated || disk->populated - allocated <= available)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE,
		    "%s: the disk holds %" G_GUINT64_FORMAT
		    " bytes of data but %s has only %" G_GUINT64_FORMAT
		    " bytes free; free some space or point the Provider's spec.url elsewhere",
		    display, disk->populated - allocated, dir, available);
	return FALSE;
}

static gboolean
ferry_kubevirt_check_qcow2(FerryKubevirtDisk *disk,
			   const char *path,
			   const char *display,
			   GError **error)
{
	const char *argv[] = {"qemu-img", "info", "--output=json", "-U", path, NULL};
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *output = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) local_error = NULL;
	JsonNode *root;
	JsonObject *info = NULL;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					      G_SUBPROCESS_FLAGS_STDERR_SILENCE,
				    &local_error);
	if (process == NULL ||
	    !g_subprocess_communicate_utf8(process, NULL, NULL, &output, NULL, &local_error))
		return ferry_kubevirt_propagate(error, g_steal_pointer(&local_error), display);
	if (g_subprocess_get_successful(process) &&
	    json_parser_load_from_data(parser, output, -1, NULL)) {
		root = json_parser_get_root(parser);
		if (JSON_NODE_HOLDS_OBJECT(root))
			info = json_node_get_object(root);
	}
	if (info == NULL ||
	    g_strcmp0(json_object_get_string_member_with_default(info, "format", ""), "qcow2") !=
		0 ||
	    json_object_get_int_member_with_default(info, "virtual-size", -1) !=
		(gint64)disk->capacity) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
			    "%s: %s exists but is not a qcow2 image of %" G_GUINT64_FORMAT
			    " bytes; remove it and run the migration again",
			    display, path, disk->capacity);
		return FALSE;
	}
	return TRUE;
}

/* a qcow2 image served by qemu-nbd, so the copy writes guest-visible bytes */
static FerryDiskEndpoint *
ferry_kubevirt_prepare_qcow2(FerryKubevirtDisk *disk,
			     const char *path,
			     const char *display,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autofree char *size = g_strdup_printf("%" G_GUINT64_FORMAT, disk->capacity);
	const char *const options[] = {"--format=qcow2", "--shared=8", "--cache=writeback",
				       "--discard=unmap", "--detect-zeroes=unmap"};
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	gboolean zeroed = FALSE;

	if (!ferry_kubevirt_check_tool("qemu-img", display, error) ||
	    !ferry_kubevirt_check_tool("qemu-nbd", display, error))
		return NULL;
	if (g_file_test(path, G_FILE_TEST_EXISTS)) {
		if (!ferry_kubevirt_check_qcow2(disk, path, display, error))
			return NULL;
	} else {
		g_autofree char *partial = g_strconcat(path, ".partial", NULL);
		const char *argv[] = {"qemu-img", "create", "-q",    "-f", "qcow2",
				      "-o",       "preallocation=off", partial, size, NULL};
		/* made under another name and renamed: no half-made image is ever reused */
		if (!ferry_kubevirt_run(display, error, argv))
			return NULL;
		if (g_rename(partial, path) != 0) {
			int saved_errno = errno;
			g_unlink(partial);
			g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
				    "%s: cannot rename %s: %s", display, partial,
				    g_strerror(saved_errno));
			return NULL;
		}
		zeroed = TRUE;
	}

	server = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, display);
	ferry_nbd_server_set_timeout(server, QEMU_NBD_START_TIMEOUT_MS / 1000);
	for (guint i = 0; i < G_N_ELEMENTS(options); i++)
		ferry_nbd_server_add_argument(server, options[i]);
	ferry_nbd_server_add_argument(server, path);
	if (!ferry_nbd_server_start(server, cancellable, error))
		return NULL;
	if (ferry_nbd_server_get_size(server) != disk->capacity) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "%s: qemu-nbd serves %" G_GUINT64_FORMAT
			    " bytes instead of %" G_GUINT64_FORMAT,
			    display, ferry_nbd_server_get_size(server), disk->capacity);
		return NULL;
	}
	endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_TARGET);
	ferry_disk_endpoint_set_zeroed(endpoint, zeroed);
	return g_steal_pointer(&endpoint);
}

/* what a deferred PVC endpoint needs to be served by a push transfer pod */
typedef struct {
	FerryKubevirtProvider *provider;
	JsonObject *vm_spec;
	guint index;
} FerryKubevirtDeferred;

static void
ferry_kubevirt_deferred_free(gpointer data)
{
	FerryKubevirtDeferred *deferred = data;
	g_object_unref(deferred->provider);
	json_object_unref(deferred->vm_spec);
	g_free(deferred);
}

static gboolean
ferry_kubevirt_close_served(gpointer data, GError **error)
{
	return ferry_disk_endpoint_close(FERRY_DISK_ENDPOINT(data), error);
}

/* the push transfer pod and its port-forward, started when the disk's bytes
 * are needed (the local copy, a converter); the kubevirt-pull method writes
 * the PVC without them */
static gboolean
ferry_kubevirt_serve_claim(FerryDiskEndpoint *endpoint,
			   gpointer data,
			   GCancellable *cancellable,
			   GError **error)
{
	FerryKubevirtDeferred *deferred = data;
	FerryKubevirtProvider *self = deferred->provider;
	g_autoptr(FerryKubevirtTarget) target = NULL;
	FerryDiskEndpoint *served;

	if (!ferry_kubevirt_check_connected(self, error) || self->cluster == NULL)
		return FALSE;
	target = ferry_kubevirt_target_new(deferred->vm_spec, &self->sizing, self->default_format,
					   error);
	if (target == NULL)
		return FALSE;
	served = ferry_kubevirt_push_prepare_disk(self->cluster, target, deferred->index,
						  cancellable, error);
	if (served == NULL)
		return FALSE;
	ferry_disk_endpoint_set_uri(endpoint, ferry_disk_endpoint_get_uri(served));
	ferry_disk_endpoint_set_description(endpoint, ferry_disk_endpoint_get_description(served));
	ferry_disk_endpoint_set_zeroed(endpoint, ferry_disk_endpoint_get_zeroed(served));
	ferry_disk_endpoint_add_close_func(endpoint, ferry_kubevirt_close_served, served,
					   g_object_unref);
	return TRUE;
}

/* cluster mode: the PVC is made now; a push transfer pod serves it only
 * when the endpoint is opened */
static FerryDiskEndpoint *
ferry_kubevirt_prepare_cluster_disk(FerryKubevirtProvider *self,
				    JsonObject *vm_spec,
				    FerryKubevirtTarget *target,
				    guint disk_index,
				    GCancellable *cancellable,
				    GError **error)
{
	FerryKubevirtDisk *disk = ferry_kubevirt_target_get_disk(target, disk_index, error);
	FerryKubevirtDeferred *deferred;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autofree char *description = NULL;

	if (disk == NULL ||
	    !ferry_kubevirt_push_prepare_claim(self->cluster, target, disk_index, cancellable, error))
		return NULL;
	deferred = g_new0(FerryKubevirtDeferred, 1);
	deferred->provider = g_object_ref(self);
	deferred->vm_spec = json_object_ref(vm_spec);
	deferred->index = disk_index;
	endpoint = ferry_disk_endpoint_new_deferred(FERRY_DISK_ROLE_TARGET,
						    ferry_kubevirt_serve_claim, deferred,
						    ferry_kubevirt_deferred_free);
	description = g_strdup_printf("%s disk %u (PersistentVolumeClaim %s/%s)", target->display,
				      disk_index, target->name_space, disk->name);
	ferry_disk_endpoint_set_description(endpoint, description);
	ferry_disk_endpoint_set_size(endpoint, disk->capacity);
	ferry_disk_endpoint_set_format(endpoint, "raw");
	if (disk->id != NULL)
		ferry_disk_endpoint_set_disk_id(endpoint, disk->id);
	/* what the kubevirt-pull method needs to write the PVC itself */
	ferry_kubevirt_pull_attach_target(endpoint, self->cluster, target, disk);
	return g_steal_pointer(&endpoint);
}

static FerryDiskEndpoint *
ferry_kubevirt_prepare_disk(FerryProvider *provider,
			    JsonObject *vm_spec,
			    guint disk_index,
			    GCancellable *cancellable,
			    GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	g_autoptr(FerryKubevirtTarget) target = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autofree char *dir = NULL;
	g_autofree char *path = NULL;
	g_autofree char *display = NULL;
	g_autofree char *description = NULL;
	FerryKubevirtDisk *disk;

	if (!ferry_kubevirt_check_connected(self, error))
		return NULL;
	target = ferry_kubevirt_target_new(vm_spec, &self->sizing, self->default_format, error);
	if (target == NULL)
		return NULL;
	if (self->cluster != NULL)
		return ferry_kubevirt_prepare_cluster_disk(self, vm_spec, target, disk_index,
							   cancellable, error);
	disk = ferry_kubevirt_target_get_disk(target, disk_index, error);
	if (disk == NULL)
		return NULL;
	dir = ferry_kubevirt_ensure_vm_directory(self, target, error);
	if (dir == NULL)
		return NULL;
	path = g_build_filename(dir, disk->file_name, NULL);
	display = g_strdup_printf("%s disk %u (%s)", target->display, disk_index, disk->name);
	if (!ferry_kubevirt_check_space(disk, path, display, error))
		return NULL;
	if (g_strcmp0(disk->format, "qcow2") == 0) {
		endpoint = ferry_kubevirt_prepare_qcow2(disk, path, display, cancellable, error);
		if (endpoint == NULL)
			return NULL;
	} else {
		endpoint = ferry_disk_endpoint_new_raw_target(path, disk->capacity, display, error);
		if (endpoint == NULL)
			return NULL;
	}
	description = g_strdup_printf("%s (%s)", display, path);
	ferry_disk_endpoint_set_description(endpoint, description);
	ferry_disk_endpoint_set_size(endpoint, disk->capacity);
	ferry_disk_endpoint_set_format(endpoint, "raw");
	if (disk->id != NULL)
		ferry_disk_endpoint_set_disk_id(endpoint, disk->id);
	return g_steal_pointer(&endpoint);
}

/* --- manifests --- */

/* @word as is when the shell reads it unchanged (DNS-1123 names do), else quoted */
static char *
ferry_kubevirt_shell_word(const char *word)
{
	for (const char *p = word; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_./", *p) == NULL)
			return g_shell_quote(word);
	}
	return *word != '\0' ? g_strdup(word) : g_shell_quote(word);
}

static char *
ferry_kubevirt_upload_script(FerryKubevirtTarget *target)
{
	g_autoptr(GString) script = g_string_new(NULL);
	g_autofree char *name_space = ferry_kubevirt_shell_word(target->name_space);

	g_string_append_printf(script,
			       "#!/bin/sh\n"
			       "# Uploads the disks of the VirtualMachine %s/%s into their "
			       "DataVolumes.\n"
			       "# First: kubectl apply -f \"$(dirname \"$0\")\"\n"
			       "# Usage: upload.sh [virtctl image-upload options, such as "
			       "--insecure or --uploadproxy-url=URL]\n"
			       "# Written by Ferry %s.\n"
			       "set -eu\n"
			       "cd \"$(dirname \"$0\")\"\n"
			       "if ! command -v virtctl >/dev/null 2>&1; then\n"
			       "\techo \"upload.sh: virtctl is not installed; get the virtctl of "
			       "your KubeVirt release\" >&2\n"
			       "\texit 127\n"
			       "fi\n",
			       target->name_space, target->name, ferry_version_string());
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autofree char *name = ferry_kubevirt_shell_word(disk->name);
		g_autofree char *file = ferry_kubevirt_shell_word(disk->file_name);
		g_string_append_printf(script,
				       "echo \"upload.sh: uploading %s (%u of %u)\"\n"
				       "virtctl image-upload dv %s --namespace=%s --no-create "
				       "--image-path=%s \"$@\"\n",
				       disk->file_name, i + 1, target->disks->len, name,
				       name_space, file);
	}
	g_string_append_printf(script, "echo \"upload.sh: %u %s of %s/%s uploaded\"\n",
			       target->disks->len, target->disks->len == 1 ? "disk" : "disks",
			       target->name_space, target->name);
	return g_string_free(g_steal_pointer(&script), FALSE);
}

static gboolean
ferry_kubevirt_check_written_disks(FerryKubevirtTarget *target,
				   const char *dir,
				   GPtrArray *disks,
				   GError **error)
{
	if (disks->len != target->disks->len) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %u written disks were given for %u disks", target->display,
			    disks->len, target->disks->len);
		return FALSE;
	}
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		FerryDiskEndpoint *endpoint = g_ptr_array_index(disks, i);
		g_autofree char *path = g_build_filename(dir, disk->file_name, NULL);
		g_autoptr(GError) local_error = NULL;
		struct stat info;

		/* a qcow2 image is complete once its qemu-nbd has flushed and stopped */
		if (FERRY_IS_DISK_ENDPOINT(endpoint) &&
		    ferry_disk_endpoint_get_uri(endpoint) != NULL &&
		    !ferry_disk_endpoint_close(endpoint, &local_error))
			return ferry_kubevirt_propagate(error, g_steal_pointer(&local_error),
							target->display);

		if (g_stat(path, &info) != 0 || !S_ISREG(info.st_mode)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "%s: the image of disk %u (%s) is missing from the bundle; "
				    "prepare and copy the disk before creating the VM",
				    target->display, i, path);
			return FALSE;
		}
		if (g_strcmp0(disk->format, "raw") == 0 &&
		    (guint64)info.st_size != disk->capacity) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED,
				    "%s: the image %s has %" G_GINT64_FORMAT
				    " bytes but the disk has %" G_GUINT64_FORMAT,
				    target->display, path, (gint64)info.st_size, disk->capacity);
			return FALSE;
		}
	}
	return TRUE;
}

/* lets `kubectl apply -k` apply the folder; no .yaml suffix, so `apply -f` skips it */
static JsonNode *
ferry_kubevirt_kustomization(FerryKubevirtTarget *target)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "kustomize.config.k8s.io/v1beta1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "Kustomization");
	json_builder_set_member_name(builder, "resources");
	json_builder_begin_array(builder);
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		json_builder_add_string_value(builder, disk->manifest_name);
	}
	json_builder_add_string_value(builder, "vm.yaml");
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

typedef struct {
	char *path;
	char *contents;
	int mode;
} FerryKubevirtFile;

static void
ferry_kubevirt_file_free(gpointer data)
{
	FerryKubevirtFile *file = data;
	g_free(file->path);
	g_free(file->contents);
	g_free(file);
}

static gboolean
ferry_kubevirt_add_file(GPtrArray *files,
			const char *dir,
			const char *name,
			char *contents,
			int mode)
{
	FerryKubevirtFile *file;
	if (contents == NULL)
		return FALSE;
	file = g_new0(FerryKubevirtFile, 1);
	file->path = g_build_filename(dir, name, NULL);
	file->contents = contents;
	file->mode = mode;
	g_ptr_array_add(files, file);
	return TRUE;
}

static char *
ferry_kubevirt_create_vm(FerryProvider *provider,
			 JsonObject *vm_spec,
			 GPtrArray *disks,
			 GCancellable *cancellable,
			 GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	g_autoptr(FerryKubevirtTarget) target = NULL;
	g_autoptr(GPtrArray) files = g_ptr_array_new_with_free_func(ferry_kubevirt_file_free);
	g_autoptr(JsonNode) kustomization = NULL;
	g_autofree char *dir = NULL;

	if (!ferry_kubevirt_check_connected(self, error))
		return NULL;
	target = ferry_kubevirt_target_new(vm_spec, &self->sizing, self->default_format, error);
	if (target == NULL)
		return NULL;
	if (self->cluster != NULL)
		return ferry_kubevirt_push_create_vm(self->cluster, target, disks, cancellable, error);
	dir = ferry_kubevirt_ensure_vm_directory(self, target, error);
	if (dir == NULL || !ferry_kubevirt_check_written_disks(target, dir, disks, error))
		return NULL;

	/* everything is rendered before anything is written; vm.yaml comes last */
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		if (!ferry_kubevirt_add_file(files, dir, disk->manifest_name,
					     ferry_yaml_to_string(disk->data_volume, error),
					     0644))
			return NULL;
	}
	kustomization = ferry_kubevirt_kustomization(target);
	if (!ferry_kubevirt_add_file(files, dir, "upload.sh",
				     ferry_kubevirt_upload_script(target), 0755) ||
	    !ferry_kubevirt_add_file(files, dir, "Kustomization",
				     ferry_yaml_to_string(kustomization, error), 0644) ||
	    !ferry_kubevirt_add_file(files, dir, "vm.yaml",
				     ferry_yaml_to_string(target->vm, error), 0644))
		return NULL;
	for (guint i = 0; i < files->len; i++) {
		FerryKubevirtFile *file = g_ptr_array_index(files, i);
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_error_convert(error);
			return NULL;
		}
		if (!ferry_kubevirt_write_file(file->path, file->contents, file->mode,
					       target->display, error))
			return NULL;
	}
	g_debug("%s: bundle written to %s", target->display, dir);
	return g_strdup_printf("%s/%s", target->name_space, target->name);
}

/* --- removal --- */

static gboolean
ferry_kubevirt_remove_tree(const char *path, GError **error)
{
	g_autoptr(GDir) dir = NULL;
	const char *name;

	if (!g_file_test(path, G_FILE_TEST_IS_DIR) || g_file_test(path, G_FILE_TEST_IS_SYMLINK)) {
		if (g_unlink(path) != 0 && errno != ENOENT) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
				    "cannot remove %s: %s", path, g_strerror(saved_errno));
			return FALSE;
		}
		return TRUE;
	}
	dir = g_dir_open(path, 0, error);
	if (dir == NULL) {
		ferry_error_convert(error);
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (!ferry_kubevirt_remove_tree(child, error))
			return FALSE;
	}
	if (g_rmdir(path) != 0 && errno != ENOENT) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
			    "cannot remove %s: %s", path, g_strerror(saved_errno));
		return FALSE;
	}
	return TRUE;
}

/* the VM folder of @vm_spec, from its name and namespace alone: a VM
 * description whose other members KubeVirt refuses (a bad MAC, a disk
 * without a name) can still be removed */
static char *
ferry_kubevirt_vm_directory_for_spec(FerryKubevirtProvider *self,
				     JsonObject *vm_spec,
				     GError **error)
{
	g_autoptr(FerryVmSpec) spec = NULL;
	g_autoptr(GError) local_error = NULL;
	const char *name;
	const char *name_space;

	spec = ferry_vm_spec_new_from_json(vm_spec, &local_error);
	if (spec == NULL) {
		ferry_kubevirt_propagate(error, g_steal_pointer(&local_error), self->display);
		return NULL;
	}
	name = ferry_vm_spec_get_name(spec);
	name_space = ferry_vm_spec_get_namespace(spec);
	if (!ferry_kubevirt_check_dns1123_subdomain("the VM name", name, 63, &local_error) ||
	    !ferry_kubevirt_check_dns1123_label("the namespace", name_space, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT, "%s: %s",
			    self->display, local_error->message);
		return NULL;
	}
	return ferry_kubevirt_vm_directory(self, name_space, name);
}

/* the pull transfers' ConfigMaps and Secrets of the VM (its pods, which
 * carry the transfer label too, go with the push transfer pods) */
static gboolean
ferry_kubevirt_remove_pull_leftovers(FerryKubevirtProvider *self,
				     FerryKubevirtTarget *target,
				     GCancellable *cancellable,
				     GError **error)
{
	FerryKubevirtDisk *disk = target->disks->len > 0 ? g_ptr_array_index(target->disks, 0)
							 : NULL;
	JsonObject *metadata = disk != NULL && disk->claim != NULL
				   ? json_object_get_object_member(json_node_get_object(disk->claim),
								   "metadata")
				   : NULL;
	JsonObject *labels = metadata != NULL && json_object_has_member(metadata, "labels")
				 ? json_object_get_object_member(metadata, "labels")
				 : NULL;
	g_autofree char *selector = NULL;
	g_autoptr(GError) local_error = NULL;

	if (labels == NULL || !json_object_has_member(labels, "plan") ||
	    !json_object_has_member(labels, "vmID"))
		return TRUE;
	selector = g_strdup_printf("ferry.konveyor.io/transfer,plan=%s,vmID=%s",
				   json_object_get_string_member(labels, "plan"),
				   json_object_get_string_member(labels, "vmID"));
	if (ferry_kubevirt_pull_remove_leftovers(self->cluster->client, target->name_space, selector,
						 cancellable, &local_error))
		return TRUE;
	g_set_error(error, FERRY_ERROR, local_error->code,
		    "%s: cannot remove the pull transfer objects: %s", target->display,
		    local_error->message);
	return FALSE;
}

static gboolean
ferry_kubevirt_remove_vm(FerryProvider *provider,
			 JsonObject *vm_spec,
			 GCancellable *cancellable,
			 GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	g_autofree char *dir = NULL;
	g_autofree char *marker = NULL;
	g_autofree char *parent = NULL;
	g_autoptr(GError) local_error = NULL;

	if (!ferry_kubevirt_check_connected(self, error))
		return FALSE;
	if (self->cluster != NULL) {
		g_autoptr(FerryKubevirtTarget) target =
		    ferry_kubevirt_target_new(vm_spec, &self->sizing, self->default_format, error);
		return target != NULL &&
		       ferry_kubevirt_push_remove_vm(self->cluster, target, cancellable, error) &&
		       ferry_kubevirt_remove_pull_leftovers(self, target, cancellable, error);
	}
	dir = ferry_kubevirt_vm_directory_for_spec(self, vm_spec, error);
	if (dir == NULL)
		return FALSE;
	if (!g_file_test(dir, G_FILE_TEST_EXISTS))
		return TRUE;
	marker = g_build_filename(dir, BUNDLE_MARKER, NULL);
	if (!g_file_test(marker, G_FILE_TEST_IS_REGULAR)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "%s: %s was not made by Ferry (it has no %s), so it is left alone; "
			    "remove it by hand if it is not needed",
			    self->display, dir, BUNDLE_MARKER);
		return FALSE;
	}
	if (!ferry_kubevirt_remove_tree(dir, &local_error))
		return ferry_kubevirt_propagate(error, g_steal_pointer(&local_error),
						self->display);
	/* the namespace folder goes when its last VM goes; rmdir fails otherwise */
	parent = g_path_get_dirname(dir);
	g_rmdir(parent);
	return TRUE;
}

/* whether @dir holds the bundle marker and nothing else */
static gboolean
ferry_kubevirt_only_marker_left(const char *dir)
{
	g_autoptr(GDir) handle = g_dir_open(dir, 0, NULL);
	const char *name;
	gboolean marker = FALSE;

	while (handle != NULL && (name = g_dir_read_name(handle)) != NULL) {
		if (g_strcmp0(name, BUNDLE_MARKER) != 0)
			return FALSE;
		marker = TRUE;
	}
	return marker;
}

static gboolean
ferry_kubevirt_remove_artifact(FerryProvider *provider,
			       const char *kind,
			       const char *id,
			       JsonObject *details,
			       GCancellable *cancellable,
			       GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	JsonNode *vm_spec_node = details != NULL ? json_object_get_member(details, "vmSpec") : NULL;
	JsonObject *vm_spec = vm_spec_node != NULL && JSON_NODE_HOLDS_OBJECT(vm_spec_node)
				  ? json_node_get_object(vm_spec_node)
				  : NULL;
	if (vm_spec == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: the %s artifact %s has no vmSpec in its details", self->display,
			    kind, id);
		return FALSE;
	}
	if (g_strcmp0(kind, "vm") == 0)
		return ferry_kubevirt_remove_vm(provider, vm_spec, cancellable, error);
	if (g_strcmp0(kind, "disk") == 0) {
		g_autofree char *dir = NULL;
		g_autoptr(FerryKubevirtTarget) target = NULL;
		/* the engine's ledger writes diskIndex */
		JsonNode *index_node = json_object_get_member(details, "diskIndex");
		gint64 index = index_node != NULL && JSON_NODE_HOLDS_VALUE(index_node) &&
				       json_node_get_value_type(index_node) == G_TYPE_INT64
				   ? json_node_get_int(index_node)
				   : -1;
		FerryKubevirtDisk *disk;
		g_autofree char *path = NULL;
		g_autofree char *marker = NULL;

		if (!ferry_kubevirt_check_connected(self, error))
			return FALSE;
		target = ferry_kubevirt_target_new(vm_spec, &self->sizing, self->default_format,
						   error);
		if (target == NULL)
			return FALSE;
		if (self->cluster != NULL)
			return ferry_kubevirt_push_remove_disk(self->cluster, target,
							       index < 0 ? G_MAXUINT : (guint)index,
							       cancellable, error) &&
			       ferry_kubevirt_remove_pull_leftovers(self, target, cancellable,
								    error);
		disk = ferry_kubevirt_target_get_disk(target, index < 0 ? G_MAXUINT : (guint)index,
						      error);
		if (disk == NULL)
			return FALSE;
		dir = ferry_kubevirt_vm_directory(self, target->name_space, target->name);
		path = g_build_filename(dir, disk->file_name, NULL);
		marker = g_build_filename(dir, BUNDLE_MARKER, NULL);
		if (g_file_test(path, G_FILE_TEST_EXISTS) &&
		    !g_file_test(marker, G_FILE_TEST_IS_REGULAR)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "%s: %s was not made by Ferry (it has no %s), so %s is left "
				    "alone",
				    target->display, dir, BUNDLE_MARKER, disk->file_name);
			return FALSE;
		}
		if (g_unlink(path) != 0 && errno != ENOENT) {
			int saved_errno = errno;
			g_set_error(error, FERRY_ERROR, ferry_kubevirt_errno_code(saved_errno),
				    "%s: cannot remove %s: %s", target->display, path,
				    g_strerror(saved_errno));
			return FALSE;
		}
		/* the last disk of a VM folder that holds nothing else: the folder
		 * (marker included) and an empty namespace folder go as well */
		if (ferry_kubevirt_only_marker_left(dir)) {
			g_autofree char *parent = g_path_get_dirname(dir);
			g_unlink(marker);
			g_rmdir(dir);
			g_rmdir(parent);
		}
		return TRUE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "%s: the KubeVirt destination creates no %s artifacts", self->display, kind);
	return FALSE;
}

static gboolean
ferry_kubevirt_finalize_plan(FerryProvider *provider,
			     const char *plan_name,
			     const char *const *vm_ids,
			     GCancellable *cancellable,
			     GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	/* a bundle leaves nothing running */
	if (self->cluster == NULL)
		return TRUE;
	if (!ferry_kubevirt_push_finalize_plan(self->cluster, plan_name, vm_ids, cancellable,
					       error))
		return FALSE;
	/* pull transfers' ConfigMaps and Secrets a crash left, in any namespace */
	for (guint i = 0; vm_ids != NULL && vm_ids[i] != NULL; i++) {
		g_autofree char *selector = NULL;
		g_autoptr(GError) local_error = NULL;
		if (!ferry_kubevirt_check_label("vmID", vm_ids[i], NULL))
			continue;
		selector = g_strdup_printf("ferry.konveyor.io/transfer,vmID=%s", vm_ids[i]);
		if (ferry_kubevirt_pull_remove_leftovers(self->cluster->client, NULL, selector,
							 cancellable, &local_error))
			continue;
		/* without the right to list every namespace, remove_vm did it */
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED))
			return TRUE;
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: plan %s: %s",
			    self->display, plan_name, local_error->message);
		return FALSE;
	}
	return TRUE;
}

/* --- what a cluster holds already (ferry-kubevirt-inventory.c) --- */

static gboolean
ferry_kubevirt_load_inventory(FerryProvider *provider,
			      FerryInventory *inventory,
			      GCancellable *cancellable,
			      GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);
	FerryProviderConfig *config = ferry_provider_get_config(provider);

	if (self->cluster == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s writes a bundle of manifests and has no destination inventory; "
			    "plans into it are not checked against a cluster",
			    self->display);
		return FALSE;
	}
	return ferry_kubevirt_inventory_load(self->cluster,
					     ferry_provider_config_get_name(config), inventory,
					     cancellable, error);
}

static JsonObject *
ferry_kubevirt_test_connection(FerryProvider *provider,
			       const char *const *namespaces,
			       GCancellable *cancellable,
			       GError **error)
{
	FerryKubevirtProvider *self = FERRY_KUBEVIRT_PROVIDER(provider);

	/* a bundle directory: connect checked it, nothing more to say */
	if (self->cluster == NULL)
		return json_object_new();
	return ferry_kubevirt_inventory_test(self->cluster, namespaces, cancellable, error);
}

static void
ferry_kubevirt_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_provider_type = ferry_kubevirt_get_provider_type;
	iface->get_capabilities = ferry_kubevirt_get_capabilities;
	iface->get_map_kinds = ferry_kubevirt_get_map_kinds;
	iface->get_secret_keys = ferry_kubevirt_get_secret_keys;
	iface->connect = ferry_kubevirt_connect;
	iface->prepare_disk = ferry_kubevirt_prepare_disk;
	iface->create_vm = ferry_kubevirt_create_vm;
	iface->remove_vm = ferry_kubevirt_remove_vm;
	iface->remove_artifact = ferry_kubevirt_remove_artifact;
	iface->finalize_plan = ferry_kubevirt_finalize_plan;
	iface->load_inventory = ferry_kubevirt_load_inventory;
	iface->test_connection = ferry_kubevirt_test_connection;
}

/**
 * ferry_kubevirt_provider_register:
 * @module: the plugin's module
 *
 * Registers the provider type in @module.
 */
void
ferry_kubevirt_provider_register(GTypeModule *module)
{
	ferry_kubevirt_provider_register_type(module);
}
