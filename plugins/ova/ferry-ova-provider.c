/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `ova` provider: VMs from OVA archives and unpacked OVF folders under
 * a local directory, a file:// URL or an NFS export (`server:/path`).
 *
 * Disks are never copied out of an uncompressed OVA: open_disk() serves the
 * tar member where it lies, through qemu-nbd (qemu's VMDK and qcow2 decoders
 * over a raw window of the archive) or nbdkit (file plugin with the offset
 * filter) for raw members. Compressed OVAs are unpacked once into a cache
 * under the provider's state directory. A disk is checked against the
 * package's manifest before it is served.
 */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <gio/gunixinputstream.h>
#include <gio/gunixoutputstream.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "ferry-ova-archive.h"
#include "ferry-ova-manifest.h"
#include "ferry-ova-ovf.h"
#include "ferry-ova-provider.h"

#define OVA_SCAN_MAX_DEPTH 8

/* where one disk's bytes are */
typedef struct {
	char *vm_id;
	char *label;         /* web.ova:web-disk1.vmdk, for messages */
	char *path;          /* the OVA or the disk file; NULL for a blank disk */
	guint64 offset;
	guint64 size;
	guint64 capacity;
	gboolean in_archive; /* inside an uncompressed tar */
	char *manifest;      /* the manifest's label, NULL when the package has none */
	FerryOvaDigest digest; /* type and hex; hex NULL when not listed */
	char *problem;       /* why the disk cannot be read, or NULL */
} OvaDiskSource;

static void
ova_disk_source_free(OvaDiskSource *source)
{
	g_free(source->vm_id);
	g_free(source->label);
	g_free(source->path);
	g_free(source->manifest);
	g_free(source->digest.algorithm);
	g_free(source->digest.hex);
	g_free(source->problem);
	g_free(source);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(OvaDiskSource, ova_disk_source_free)

struct _FerryOvaProvider {
	GObject parent_instance;
	GMutex lock;
	char *name;
	char *root;
	char *state_dir;
	GHashTable *disks;    /* disk id → OvaDiskSource */
	GHashTable *verified; /* "disk id\nsize\nmtime" of disks whose digest matched */
};

static void ferry_ova_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryOvaProvider,
			       ferry_ova_provider,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_ova_provider_iface_init))

void
ferry_ova_provider_register(GTypeModule *module)
{
	ferry_ova_provider_register_type(module);
}

static void
ferry_ova_provider_finalize(GObject *object)
{
	FerryOvaProvider *self = FERRY_OVA_PROVIDER(object);
	g_free(self->name);
	g_free(self->root);
	g_free(self->state_dir);
	g_hash_table_unref(self->disks);
	g_hash_table_unref(self->verified);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_ova_provider_parent_class)->finalize(object);
}

static void
ferry_ova_provider_class_init(FerryOvaProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_ova_provider_finalize;
}

static void
ferry_ova_provider_class_finalize(FerryOvaProviderClass *klass)
{
}

static void
ferry_ova_provider_init(FerryOvaProvider *self)
{
	g_mutex_init(&self->lock);
	self->disks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)ova_disk_source_free);
	self->verified = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
}

/**
 * ferry_ova_hash_id:
 * @kind: `vm`, `disk` or `network`
 * @first: the package path, or the network name
 * @second: (nullable): the id inside the package
 *
 * Forklift's OVA ids are the first 36 hex digits of a SHA-256; Ferry hashes
 * the kind, the package path and the id in it, so ids are stable across
 * refreshes and distinct across packages.
 *
 * Returns: (transfer full): the id
 */
char *
ferry_ova_hash_id(const char *kind, const char *first, const char *second)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_checksum_update(checksum, (const guchar *)kind, -1);
	g_checksum_update(checksum, (const guchar *)"\n", 1);
	g_checksum_update(checksum, (const guchar *)first, -1);
	if (second != NULL) {
		g_checksum_update(checksum, (const guchar *)"\n", 1);
		g_checksum_update(checksum, (const guchar *)second, -1);
	}
	return g_strndup(g_checksum_get_string(checksum), 36);
}

static gboolean
ova_is_uuid(const char *text)
{
	static const char pattern[] = "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx";
	if (text == NULL || strlen(text) != sizeof(pattern) - 1)
		return FALSE;
	for (guint i = 0; pattern[i] != '\0'; i++) {
		if (pattern[i] == '-' ? text[i] != '-' : !g_ascii_isxdigit(text[i]))
			return FALSE;
	}
	return TRUE;
}

static const char *
ova_get_provider_type(FerryProvider *provider)
{
	return "ova";
}

static FerryProviderCapabilities
ova_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION |
	       FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY;
}

/* Forklift's NFS form, `server:/export/path` */
static gboolean
ova_url_is_nfs(const char *url)
{
	const char *colon = strchr(url, ':');
	return colon != NULL && colon != url && colon[1] == '/' && colon[2] != '\0' &&
	       colon[2] != '/' && memchr(url, '/', (gsize)(colon - url)) == NULL &&
	       strchr(colon + 1, ':') == NULL;
}

static gboolean
ova_is_mounted(const char *mount_point)
{
	g_autofree char *mountinfo = NULL;
	g_auto(GStrv) lines = NULL;
	if (!g_file_get_contents("/proc/self/mountinfo", &mountinfo, NULL, NULL))
		return FALSE;
	lines = g_strsplit(mountinfo, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		g_auto(GStrv) fields = g_strsplit(lines[i], " ", 6);
		if (g_strv_length(fields) >= 5 && g_str_equal(fields[4], mount_point))
			return TRUE;
	}
	return FALSE;
}

static char *
ova_mount_nfs(FerryOvaProvider *self, const char *share, GCancellable *cancellable, GError **error)
{
	g_autofree char *safe = g_strdup(share);
	g_autofree char *mount_point = NULL;
	g_autofree char *helper = NULL;
	g_autoptr(GSubprocess) mount = NULL;
	g_autofree char *output = NULL;

	g_strcanon(safe, G_CSET_a_2_z G_CSET_A_2_Z G_CSET_DIGITS "-.", '_');
	mount_point = g_build_filename(self->state_dir, "nfs", safe, NULL);
	if (ova_is_mounted(mount_point))
		return g_steal_pointer(&mount_point);
	helper = g_find_program_in_path("mount.nfs");
	if (helper == NULL && g_file_test("/sbin/mount.nfs", G_FILE_TEST_IS_EXECUTABLE))
		helper = g_strdup("/sbin/mount.nfs");
	if (geteuid() != 0 || helper == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "%s: cannot mount the NFS share %s here (%s); mount it read-only "
			    "yourself with `mkdir -p %s && mount -t nfs -o ro,nosuid,nodev %s %s` "
			    "and run again, or set spec.url to a local directory",
			    self->name, share,
			    geteuid() != 0 ? "mounting needs root" : "mount.nfs is not installed",
			    mount_point, share, mount_point);
		return NULL;
	}
	if (g_mkdir_with_parents(mount_point, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot create %s: %s",
			    self->name, mount_point, g_strerror(saved_errno));
		return NULL;
	}
	mount = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE,
				 error, "mount", "-t", "nfs", "-o", "ro,nosuid,nodev,noexec,soft",
				 share, mount_point, NULL);
	if (mount == NULL)
		return NULL;
	if (!g_subprocess_communicate_utf8(mount, NULL, cancellable, &output, NULL, error))
		return NULL;
	if (!g_subprocess_get_successful(mount)) {
		g_autofree char *clean = g_strdup(output != NULL ? g_strstrip(output) : "");
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			    "%s: mounting the NFS share %s on %s failed: %s; check that the "
			    "export exists and allows this host read access",
			    self->name, share, mount_point, clean);
		return NULL;
	}
	return g_steal_pointer(&mount_point);
}

static gboolean
ova_connect(FerryProvider *provider,
	    FerryProviderConfig *config,
	    GCancellable *cancellable,
	    GError **error)
{
	FerryOvaProvider *self = FERRY_OVA_PROVIDER(provider);
	const char *url = ferry_provider_config_get_url(config);
	const char *state_dir = ferry_provider_config_get_state_dir(config);
	g_autofree char *root = NULL;

	g_mutex_lock(&self->lock);
	g_free(self->name);
	self->name = ferry_provider_config_dup_display_name(config);
	g_free(self->state_dir);
	self->state_dir = state_dir != NULL
			      ? g_strdup(state_dir)
			      : g_build_filename(g_get_user_cache_dir(), "ferry", "ova", NULL);
	g_hash_table_remove_all(self->disks);
	g_hash_table_remove_all(self->verified);
	g_mutex_unlock(&self->lock);

	if (url == NULL || *url == '\0') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.url is empty; set it to a directory or file of OVAs "
			    "(/srv/ova, file:///srv/ova/vm.ova) or an NFS export (server:/path)",
			    self->name);
		return FALSE;
	}
	if (g_str_has_prefix(url, "file://")) {
		g_autoptr(GError) local_error = NULL;
		root = g_filename_from_uri(url, NULL, &local_error);
		if (root == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.url %s is not a valid file:// URL: %s", self->name,
				    url, local_error->message);
			return FALSE;
		}
	} else if (g_path_is_absolute(url)) {
		root = g_canonicalize_filename(url, NULL);
	} else if (ova_url_is_nfs(url)) {
		root = ova_mount_nfs(self, url, cancellable, error);
		if (root == NULL)
			return FALSE;
	} else {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.url \"%s\" is not an absolute path, a file:// URL or an "
			    "NFS export (server:/path)",
			    self->name, url);
		return FALSE;
	}
	if (!g_file_test(root, G_FILE_TEST_EXISTS)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: %s does not exist; check spec.url", self->name, root);
		return FALSE;
	}
	if (g_access(root, R_OK) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "%s: %s is not readable by this user", self->name, root);
		return FALSE;
	}
	g_mutex_lock(&self->lock);
	g_free(self->root);
	self->root = g_steal_pointer(&root);
	g_mutex_unlock(&self->lock);
	return TRUE;
}

/* --- scanning ----------------------------------------------------------- */

typedef struct {
	FerryOvaProvider *self;
	GCancellable *cancellable;
	GPtrArray *vms;        /* JsonObject, the VM documents */
	GHashTable *networks;  /* network id → JsonObject */
	GHashTable *disks;     /* disk id → OvaDiskSource */
	GPtrArray *problems;   /* char*, packages that could not be read */
} OvaScan;

/* how to find a package's files: inside an archive or beside the OVF */
typedef struct {
	const char *package;        /* the .ova or .ovf path (Forklift's ovfPath) */
	FerryOvaArchive *archive;   /* set when reading in place */
	const char *ovf_member_dir; /* directory of the OVF member in the archive */
	const char *folder;         /* the folder holding the OVF (not in place) */
	GHashTable *manifest;       /* name → FerryOvaDigest, or NULL */
	const char *manifest_label;
} OvaPackage;

static const FerryOvaDigest *
ova_package_digest(OvaPackage *package, const char *name)
{
	g_autofree char *base = g_path_get_basename(name);
	const FerryOvaDigest *digest;
	if (package->manifest == NULL)
		return NULL;
	digest = g_hash_table_lookup(package->manifest, name);
	return digest != NULL ? digest : g_hash_table_lookup(package->manifest, base);
}

static OvaDiskSource *
ova_package_locate(OvaPackage *package, const char *vm_id, JsonObject *disk)
{
	OvaDiskSource *source = g_new0(OvaDiskSource, 1);
	const char *href = json_object_get_string_member_with_default(disk, "filePath", NULL);
	g_autofree char *package_base = g_path_get_basename(package->package);
	const FerryOvaDigest *digest;

	source->vm_id = g_strdup(vm_id);
	source->capacity = (guint64)json_object_get_int_member(disk, "capacity");
	source->manifest = g_strdup(package->manifest_label);
	if (href == NULL) {
		source->label = g_strdup_printf("%s:%s (blank)", package_base,
						json_object_get_string_member(disk, "diskId"));
		return source;
	}
	source->label = g_strdup_printf("%s:%s", package_base, href);
	if (strstr(href, "://") != NULL) {
		source->problem = g_strdup_printf("%s is at a URL; download it next to the OVF "
						  "and change the href to a file name",
						  source->label);
		return source;
	}
	if (json_object_has_member(disk, "chunkSize")) {
		source->problem = g_strdup_printf("%s is split into chunks (ovf:chunkSize), which "
						  "Ferry does not read; export the VM without "
						  "chunking",
						  source->label);
		return source;
	}
	if (g_path_is_absolute(href) || g_strcmp0(href, "..") == 0 ||
	    g_str_has_prefix(href, "../") || strstr(href, "/../") != NULL) {
		source->problem = g_strdup_printf("%s is outside the package; refusing a file "
						  "reference that leaves it",
						  source->label);
		return source;
	}
	if (package->archive != NULL) {
		g_autofree char *name =
		    package->ovf_member_dir != NULL
			? g_build_filename(package->ovf_member_dir, href, NULL)
			: g_strdup(href);
		const FerryOvaMember *member = ferry_ova_archive_find(package->archive, name);
		if (member == NULL)
			member = ferry_ova_archive_find(package->archive, href);
		if (member == NULL) {
			source->problem = g_strdup_printf("%s is not in the archive", source->label);
			return source;
		}
		source->path = g_strdup(package->archive->path);
		source->offset = member->offset;
		source->size = member->size;
		source->in_archive = TRUE;
	} else {
		g_autofree char *path = g_build_filename(package->folder, href, NULL);
		GStatBuf st;
		if (g_stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
			source->problem = g_strdup_printf("%s: %s is missing", source->label, path);
			return source;
		}
		source->path = g_steal_pointer(&path);
		source->size = (guint64)st.st_size;
	}
	digest = ova_package_digest(package, href);
	if (digest != NULL) {
		source->digest.type = digest->type;
		source->digest.algorithm = g_strdup(digest->algorithm);
		source->digest.hex = g_strdup(digest->hex);
	}
	return source;
}

static void
ova_scan_add_envelope(OvaScan *scan, OvaPackage *package, JsonObject *envelope)
{
	JsonArray *systems = json_object_get_array_member(envelope, "virtualSystems");
	JsonArray *networks = json_object_get_array_member(envelope, "networks");

	for (guint i = 0; i < json_array_get_length(networks); i++) {
		JsonObject *network = json_array_get_object_element(networks, i);
		const char *name = json_object_get_string_member(network, "name");
		g_autofree char *id = ferry_ova_hash_id("network", name, NULL);
		if (!g_hash_table_contains(scan->networks, id)) {
			JsonObject *document = json_object_new();
			json_object_set_string_member(document, "id", id);
			json_object_set_string_member(document, "name", name);
			json_object_set_string_member(
			    document, "description",
			    json_object_get_string_member_with_default(network, "description", ""));
			g_hash_table_insert(scan->networks, g_steal_pointer(&id), document);
		}
	}
	for (guint i = 0; i < json_array_get_length(systems); i++) {
		JsonObject *vm = json_object_ref(json_array_get_object_element(systems, i));
		const char *ovf_id = json_object_get_string_member(vm, "ovfId");
		g_autofree char *vm_id = ova_is_uuid(ovf_id)
					     ? g_ascii_strdown(ovf_id, -1)
					     : ferry_ova_hash_id("vm", package->package, ovf_id);
		JsonArray *disks = json_object_get_array_member(vm, "disks");
		JsonArray *vm_networks = json_object_get_array_member(vm, "networks");
		JsonArray *nics = json_object_get_array_member(vm, "nics");

		json_object_set_string_member(vm, "id", vm_id);
		json_object_set_string_member(vm, "ovfPath", package->package);
		if (!json_object_has_member(vm, "uuid") && ova_is_uuid(ovf_id))
			json_object_set_string_member(vm, "uuid", vm_id);
		json_object_set_array_member(vm, "concerns", json_array_new());
		json_object_set_int_member(vm, "storageUsed", 0);
		for (guint d = 0; d < json_array_get_length(disks); d++) {
			JsonObject *disk = json_array_get_object_element(disks, d);
			OvaDiskSource *source;
			g_autofree char *key =
			    g_strdup_printf("%s\n%s", ovf_id,
					    json_object_get_string_member(disk, "diskId"));
			g_autofree char *disk_id = ferry_ova_hash_id("disk", package->package, key);
			const char *file = json_object_get_string_member_with_default(disk, "filePath",
										      NULL);
			g_autofree char *name = file != NULL ? g_path_get_basename(file)
							     : g_strdup(json_object_get_string_member(
								   disk, "diskId"));
			json_object_set_string_member(disk, "id", disk_id);
			json_object_set_string_member(disk, "name", name);
			source = ova_package_locate(package, vm_id, disk);
			/* what the package holds for the VM: the disk files' sizes */
			json_object_set_int_member(vm, "storageUsed",
						   json_object_get_int_member(vm, "storageUsed") +
						       (gint64)source->size);
			g_hash_table_replace(scan->disks, g_strdup(disk_id), source);
		}
		for (guint n = 0; n < json_array_get_length(vm_networks); n++) {
			JsonObject *network = json_array_get_object_element(vm_networks, n);
			g_autofree char *network_id = ferry_ova_hash_id(
			    "network", json_object_get_string_member(network, "name"), NULL);
			json_object_set_string_member(network, "id", network_id);
		}
		for (guint n = 0; n < json_array_get_length(nics); n++) {
			JsonObject *nic = json_array_get_object_element(nics, n);
			const char *network = json_object_get_string_member(nic, "network");
			if (*network != '\0') {
				g_autofree char *network_id = ferry_ova_hash_id("network", network,
										NULL);
				json_object_set_string_member(nic, "networkId", network_id);
			}
		}
		g_ptr_array_add(scan->vms, vm);
	}
}

static gboolean
ova_read_small_file(const char *path, gsize limit, char **data, gsize *length, GError **error)
{
	GStatBuf st;
	if (g_stat(path, &st) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", path,
			    g_strerror(saved_errno));
		return FALSE;
	}
	if ((guint64)st.st_size > limit) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s is %" G_GUINT64_FORMAT " bytes, over the limit of %" G_GSIZE_FORMAT,
			    path, (guint64)st.st_size, limit);
		return FALSE;
	}
	if (!g_file_get_contents(path, data, length, error)) {
		ferry_error_convert(error);
		return FALSE;
	}
	return TRUE;
}

/* verifies the descriptor itself against the manifest, when it lists it */
static gboolean
ova_check_descriptor(OvaPackage *package,
		     const char *name,
		     const char *path,
		     guint64 offset,
		     guint64 size,
		     const char *label,
		     GCancellable *cancellable,
		     GError **error)
{
	const FerryOvaDigest *digest = ova_package_digest(package, name);
	if (digest == NULL)
		return TRUE;
	return ferry_ova_digest_check(digest, path, offset, size, label, package->manifest_label,
				      cancellable, error);
}

/* an unpacked package: an .ovf with its files beside it */
static gboolean
ova_scan_ovf(OvaScan *scan, const char *ovf_path, const char *package_path, GError **error)
{
	g_autofree char *data = NULL;
	gsize length = 0;
	g_autofree char *folder = g_path_get_dirname(ovf_path);
	g_autofree char *base = g_path_get_basename(ovf_path);
	g_autofree char *stem = g_strndup(base, strlen(base) - 4);
	g_autofree char *mf_name = g_strdup_printf("%s.mf", stem);
	g_autofree char *mf_path = g_build_filename(folder, mf_name, NULL);
	g_autoptr(GHashTable) manifest = NULL;
	g_autoptr(JsonObject) envelope = NULL;
	OvaPackage package = {0};

	if (g_file_test(mf_path, G_FILE_TEST_IS_REGULAR)) {
		g_autofree char *mf = NULL;
		gsize mf_length = 0;
		if (!ova_read_small_file(mf_path, FERRY_OVA_MANIFEST_MAX_SIZE, &mf, &mf_length,
					 error))
			return FALSE;
		manifest = ferry_ova_manifest_parse(mf, mf_length, mf_path, error);
		if (manifest == NULL)
			return FALSE;
	}
	package.package = package_path;
	package.folder = folder;
	package.manifest = manifest;
	package.manifest_label = manifest != NULL ? mf_path : NULL;
	if (!ova_read_small_file(ovf_path, FERRY_OVA_OVF_MAX_SIZE, &data, &length, error))
		return FALSE;
	if (!ova_check_descriptor(&package, base, ovf_path, 0, length, ovf_path, scan->cancellable,
				  error))
		return FALSE;
	envelope = ferry_ova_ovf_parse(data, length, ovf_path, error);
	if (envelope == NULL)
		return FALSE;
	ova_scan_add_envelope(scan, &package, envelope);
	return TRUE;
}

static char *
ova_cache_dir(FerryOvaProvider *self, const char *path)
{
	GStatBuf st;
	g_autofree char *key = NULL;
	g_autofree char *digest = NULL;
	if (g_stat(path, &st) != 0)
		return NULL;
	key = g_strdup_printf("%s\n%" G_GUINT64_FORMAT "\n%" G_GINT64_FORMAT, path,
			      (guint64)st.st_size, (gint64)st.st_mtime);
	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	digest[24] = '\0';
	return g_build_filename(self->state_dir, "ova-cache", digest, NULL);
}

static gboolean
ova_scan_archive(OvaScan *scan, const char *path, GError **error)
{
	g_autoptr(FerryOvaArchive) archive = ferry_ova_archive_open(path, error);
	g_autoptr(GHashTable) manifest = NULL;
	g_autoptr(JsonObject) envelope = NULL;
	g_autofree char *data = NULL;
	g_autofree char *ovf_label = NULL;
	g_autofree char *mf_label = NULL;
	g_autofree char *ovf_dir = NULL;
	const FerryOvaMember *ovf;
	const FerryOvaMember *mf;
	OvaPackage package = {0};
	gsize length = 0;

	if (archive == NULL)
		return FALSE;
	ovf = ferry_ova_archive_find_suffix(archive, ".ovf");
	if (ovf == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the archive has no .ovf descriptor, so it is not an OVA", path);
		return FALSE;
	}
	if (!archive->in_place) {
		/* compressed: unpack once into the cache, then read it as a folder */
		g_autofree char *cache = ova_cache_dir(scan->self, path);
		g_autofree char *unpacked_ovf = NULL;
		if (cache == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot stat it", path);
			return FALSE;
		}
		if (!g_file_test(cache, G_FILE_TEST_IS_DIR) &&
		    !ferry_ova_archive_extract(path, cache, scan->cancellable, error))
			return FALSE;
		unpacked_ovf = g_build_filename(cache, ovf->name, NULL);
		return ova_scan_ovf(scan, unpacked_ovf, path, error);
	}
	ovf_label = g_strdup_printf("%s:%s", path, ovf->name);
	mf = ferry_ova_archive_find_suffix(archive, ".mf");
	if (mf != NULL) {
		g_autofree char *mf_data = NULL;
		gsize mf_length = 0;
		mf_label = g_strdup_printf("%s:%s", path, mf->name);
		mf_data = ferry_ova_archive_read_member(archive, mf, FERRY_OVA_MANIFEST_MAX_SIZE,
							&mf_length, error);
		if (mf_data == NULL)
			return FALSE;
		manifest = ferry_ova_manifest_parse(mf_data, mf_length, mf_label, error);
		if (manifest == NULL)
			return FALSE;
	}
	ovf_dir = g_path_get_dirname(ovf->name);
	package.package = path;
	package.archive = archive;
	package.ovf_member_dir = g_str_equal(ovf_dir, ".") ? NULL : ovf_dir;
	package.manifest = manifest;
	package.manifest_label = mf_label;
	data = ferry_ova_archive_read_member(archive, ovf, FERRY_OVA_OVF_MAX_SIZE, &length, error);
	if (data == NULL)
		return FALSE;
	if (!ova_check_descriptor(&package, ovf->name, path, ovf->offset, ovf->size, ovf_label,
				  scan->cancellable, error))
		return FALSE;
	envelope = ferry_ova_ovf_parse(data, length, ovf_label, error);
	if (envelope == NULL)
		return FALSE;
	ova_scan_add_envelope(scan, &package, envelope);
	return TRUE;
}

static gint
ova_compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
ova_collect(const char *path, guint depth, GPtrArray *found)
{
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = NULL;
	const char *name;

	if (g_file_test(path, G_FILE_TEST_IS_REGULAR)) {
		g_ptr_array_add(found, g_strdup(path));
		return;
	}
	if (depth > OVA_SCAN_MAX_DEPTH)
		return;
	dir = g_dir_open(path, 0, NULL);
	if (dir == NULL)
		return;
	names = g_ptr_array_new_with_free_func(g_free);
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, ova_compare_names);
	for (guint i = 0; i < names->len; i++) {
		const char *child_name = g_ptr_array_index(names, i);
		g_autofree char *child = g_build_filename(path, child_name, NULL);
		if (child_name[0] == '.')
			continue;
		if (g_file_test(child, G_FILE_TEST_IS_SYMLINK) &&
		    g_file_test(child, G_FILE_TEST_IS_DIR))
			continue; /* no loops */
		if (g_file_test(child, G_FILE_TEST_IS_DIR)) {
			ova_collect(child, depth + 1, found);
		} else if (g_str_has_suffix(child_name, ".ova") ||
			   g_str_has_suffix(child_name, ".OVA") ||
			   g_str_has_suffix(child_name, ".ovf") ||
			   g_str_has_suffix(child_name, ".OVF")) {
			g_ptr_array_add(found, g_steal_pointer(&child));
		}
	}
}

static gboolean
ova_scan(FerryOvaProvider *self, OvaScan *scan, GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *root = NULL;

	g_mutex_lock(&self->lock);
	root = g_strdup(self->root);
	g_mutex_unlock(&self->lock);
	if (root == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "the ova provider is not connected");
		return FALSE;
	}
	scan->self = self;
	scan->cancellable = cancellable;
	scan->vms = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	scan->networks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					       (GDestroyNotify)json_object_unref);
	scan->disks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)ova_disk_source_free);
	scan->problems = g_ptr_array_new_with_free_func(g_free);
	ova_collect(root, 0, found);
	for (guint i = 0; i < found->len; i++) {
		const char *path = g_ptr_array_index(found, i);
		g_autoptr(GError) local_error = NULL;
		gboolean ok;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (g_str_has_suffix(path, ".ovf") || g_str_has_suffix(path, ".OVF"))
			ok = ova_scan_ovf(scan, path, path, &local_error);
		else
			ok = ova_scan_archive(scan, path, &local_error);
		if (!ok) {
			/* one bad package must not hide the others */
			g_warning("%s: skipping a package: %s", self->name, local_error->message);
			g_ptr_array_add(scan->problems, g_strdup(local_error->message));
		}
	}
	if (scan->vms->len == 0 && scan->problems->len > 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: no OVA under %s could be read: %s", self->name, root,
			    (const char *)g_ptr_array_index(scan->problems, 0));
		return FALSE;
	}
	return TRUE;
}

static void
ova_scan_clear(OvaScan *scan)
{
	g_clear_pointer(&scan->vms, g_ptr_array_unref);
	g_clear_pointer(&scan->networks, g_hash_table_unref);
	g_clear_pointer(&scan->disks, g_hash_table_unref);
	g_clear_pointer(&scan->problems, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(OvaScan, ova_scan_clear)

/* keeps what open_disk needs from a scan */
static void
ova_adopt_disks(FerryOvaProvider *self, OvaScan *scan)
{
	g_mutex_lock(&self->lock);
	g_hash_table_unref(self->disks);
	self->disks = g_steal_pointer(&scan->disks);
	g_mutex_unlock(&self->lock);
}

static JsonObject *
ova_disk_document(JsonObject *vm, JsonObject *disk)
{
	JsonObject *document = json_object_new();
	static const char *const members[] = {"id", "name", "diskId", "fileRef", "filePath",
					      "capacity", "capacityAllocationUnits",
					      "populatedSize", "format", NULL};
	for (guint i = 0; members[i] != NULL; i++) {
		JsonNode *node = json_object_get_member(disk, members[i]);
		if (node != NULL)
			json_object_set_member(document, members[i], json_node_copy(node));
	}
	json_object_set_string_member(document, "vm", json_object_get_string_member(vm, "id"));
	return document;
}

static gboolean
ova_load_inventory(FerryProvider *provider,
		   FerryInventory *inventory,
		   GCancellable *cancellable,
		   GError **error)
{
	FerryOvaProvider *self = FERRY_OVA_PROVIDER(provider);
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	const char *name = config != NULL ? ferry_provider_config_get_name(config) : "ova";
	g_auto(OvaScan) scan = {0};
	GHashTableIter iter;
	JsonObject *network;

	if (!ova_scan(self, &scan, cancellable, error))
		return FALSE;
	if (!ferry_inventory_begin_update(inventory, name, TRUE, error))
		return FALSE;
	g_hash_table_iter_init(&iter, scan.networks);
	while (g_hash_table_iter_next(&iter, NULL, (gpointer *)&network)) {
		if (!ferry_inventory_upsert(inventory, "network",
					    json_object_get_string_member(network, "id"),
					    json_object_get_string_member(network, "name"), NULL,
					    network, error)) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
	}
	for (guint i = 0; i < scan.vms->len; i++) {
		JsonObject *vm = g_ptr_array_index(scan.vms, i);
		const char *vm_id = json_object_get_string_member(vm, "id");
		JsonArray *disks = json_object_get_array_member(vm, "disks");
		if (!ferry_inventory_upsert(inventory, "vm", vm_id,
					    json_object_get_string_member(vm, "name"), NULL, vm,
					    error)) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
		for (guint d = 0; d < json_array_get_length(disks); d++) {
			JsonObject *disk = json_array_get_object_element(disks, d);
			g_autoptr(JsonObject) document = ova_disk_document(vm, disk);
			const char *disk_id = json_object_get_string_member(disk, "id");
			const char *disk_name = json_object_get_string_member(disk, "name");
			/* Forklift's OVA storage objects are the disks: a StorageMap
			 * maps each to a storage class */
			if (!ferry_inventory_upsert(inventory, "disk", disk_id, disk_name, vm_id,
						    document, error) ||
			    !ferry_inventory_upsert(inventory, "storage", disk_id, disk_name, vm_id,
						    document, error)) {
				ferry_inventory_abort_update(inventory);
				return FALSE;
			}
		}
	}
	if (!ferry_inventory_commit_update(inventory, error))
		return FALSE;
	ova_adopt_disks(self, &scan);
	return TRUE;
}

/* --- serving disks ------------------------------------------------------ */

typedef enum {
	OVA_FORMAT_RAW,
	OVA_FORMAT_VMDK,
	OVA_FORMAT_QCOW2,
	OVA_FORMAT_VMDK_DESCRIPTOR,
	OVA_FORMAT_GZIP,
} OvaFormat;

static gboolean
ova_probe_format(OvaDiskSource *source, OvaFormat *format, GError **error)
{
	char header[64] = {0};
	ssize_t n;
	int fd = g_open(source->path, O_RDONLY | O_CLOEXEC, 0);
	if (fd < 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", source->label,
			    g_strerror(saved_errno));
		return FALSE;
	}
	n = pread(fd, header, MIN(sizeof(header), source->size), (off_t)source->offset);
	close(fd);
	if (n < 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", source->label,
			    g_strerror(errno));
		return FALSE;
	}
	if (n >= 4 && memcmp(header, "KDMV", 4) == 0)
		*format = OVA_FORMAT_VMDK;
	else if (n >= 4 && memcmp(header, "QFI\xfb", 4) == 0)
		*format = OVA_FORMAT_QCOW2;
	else if (n >= 21 && memcmp(header, "# Disk DescriptorFile", 21) == 0)
		*format = OVA_FORMAT_VMDK_DESCRIPTOR;
	else if (n >= 2 && (guchar)header[0] == 0x1f && (guchar)header[1] == 0x8b)
		*format = OVA_FORMAT_GZIP;
	else
		*format = OVA_FORMAT_RAW;
	return TRUE;
}

static char *
ova_qemu_json(OvaDiskSource *source, const char *driver)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "driver");
	json_builder_add_string_value(builder, driver);
	json_builder_set_member_name(builder, "read-only");
	json_builder_add_boolean_value(builder, TRUE);
	/* never follow a backing file named by the image: it could be any
	 * file on this machine */
	json_builder_set_member_name(builder, "backing");
	json_builder_add_null_value(builder);
	json_builder_set_member_name(builder, "file");
	json_builder_begin_object(builder);
	if (source->in_archive) {
		/* qemu's raw window must be whole 512-byte sectors; tar pads
		 * every member to 512 bytes with zeros, so rounding up stays
		 * inside the member's blocks */
		guint64 size = (source->size + 511) & ~G_GUINT64_CONSTANT(511);
		GStatBuf st;
		if (g_stat(source->path, &st) != 0 || source->offset + size > (guint64)st.st_size)
			size = source->size;
		json_builder_set_member_name(builder, "driver");
		json_builder_add_string_value(builder, "raw");
		json_builder_set_member_name(builder, "offset");
		json_builder_add_int_value(builder, (gint64)source->offset);
		json_builder_set_member_name(builder, "size");
		json_builder_add_int_value(builder, (gint64)size);
		json_builder_set_member_name(builder, "file");
		json_builder_begin_object(builder);
	}
	json_builder_set_member_name(builder, "driver");
	json_builder_add_string_value(builder, "file");
	json_builder_set_member_name(builder, "filename");
	json_builder_add_string_value(builder, source->path);
	if (source->in_archive)
		json_builder_end_object(builder);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = json_to_string(root, FALSE);
	return g_strdup_printf("json:%s", text);
}

/* is @path inside @folder, after resolving links? */
static gboolean
ova_path_inside(const char *path, const char *folder)
{
	g_autofree char *real_path = realpath(path, NULL);
	g_autofree char *real_folder = realpath(folder, NULL);
	return real_path != NULL && real_folder != NULL &&
	       g_str_has_prefix(real_path, real_folder) &&
	       real_path[strlen(real_folder)] == '/';
}

/* Asks qemu what the image really is before serving it: a delta disk (qcow2
 * backing file, VMDK parent) or a VMDK whose extents are files outside the
 * package would read data from elsewhere on this machine. */
static gboolean
ova_inspect(OvaDiskSource *source, const char *image, GCancellable *cancellable, GError **error)
{
	g_autoptr(GSubprocess) info = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autofree char *output = NULL;
	g_autofree char *errors = NULL;
	g_autofree char *folder = g_path_get_dirname(source->path);
	JsonObject *root;
	JsonObject *specific;
	JsonObject *data;
	JsonArray *extents;

	info = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_PIPE,
				error, "qemu-img", "info", "--output=json", image, NULL);
	if (info == NULL) {
		g_prefix_error(error, "%s: cannot run qemu-img: ", source->label);
		ferry_error_convert(error);
		return FALSE;
	}
	if (!g_subprocess_communicate_utf8(info, NULL, cancellable, &output, &errors, error))
		return FALSE;
	if (!g_subprocess_get_successful(info)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s cannot be opened as a disk image: %s", source->label,
			    errors != NULL ? g_strstrip(errors) : "");
		return FALSE;
	}
	if (!json_parser_load_from_data(parser, output, -1, error) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_clear_error(error);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "%s: qemu-img info printed something unexpected", source->label);
		return FALSE;
	}
	root = json_node_get_object(json_parser_get_root(parser));
	if (json_object_has_member(root, "backing-filename")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s is a delta disk on top of \"%s\"; an exported disk must be "
			    "self-contained: export the VM again without snapshots",
			    source->label,
			    json_object_get_string_member_with_default(root, "backing-filename", ""));
		return FALSE;
	}
	specific = json_object_has_member(root, "format-specific")
		       ? json_object_get_object_member(root, "format-specific")
		       : NULL;
	data = specific != NULL && json_object_has_member(specific, "data")
		   ? json_object_get_object_member(specific, "data")
		   : NULL;
	extents = data != NULL && json_object_has_member(data, "extents")
		      ? json_object_get_array_member(data, "extents")
		      : NULL;
	for (guint i = 0; extents != NULL && i < json_array_get_length(extents); i++) {
		JsonObject *extent = json_array_get_object_element(extents, i);
		const char *filename =
		    json_object_get_string_member_with_default(extent, "filename", "");
		/* inside an archive the only extent is the member's window
		 * (qemu names that node by its json: options); in a folder an
		 * extent is the image itself or a file beside it */
		if (source->in_archive ? g_str_has_prefix(filename, "json:")
				       : g_strcmp0(filename, source->path) == 0 ||
					     ova_path_inside(filename, folder))
			continue;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s names the extent \"%s\", which is outside the package; refusing "
			    "to read it",
			    source->label, filename);
		return FALSE;
	}
	return TRUE;
}

static FerryDiskEndpoint *
ova_serve(OvaDiskSource *source,
	  const char *disk_id,
	  GCancellable *cancellable,
	  GError **error)
{
	g_autoptr(FerryNbdServer) server = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autofree char *description = NULL;
	OvaFormat format = OVA_FORMAT_RAW;
	const char *format_name = "raw";

	if (source->path != NULL && !ova_probe_format(source, &format, error))
		return NULL;
	if (format == OVA_FORMAT_GZIP) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s is compressed twice; export the VM again", source->label);
		return NULL;
	}
	if (format == OVA_FORMAT_VMDK_DESCRIPTOR && source->in_archive) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s is a VMDK descriptor whose data is in other files; such a disk "
			    "cannot be read inside an OVA: unpack the OVA into a folder and "
			    "point spec.url at it",
			    source->label);
		return NULL;
	}
	/* a raw disk file on its own needs no server */
	if (source->path != NULL && format == OVA_FORMAT_RAW && !source->in_archive) {
		endpoint = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, source->path);
		ferry_disk_endpoint_set_size(endpoint, source->size);
		ferry_disk_endpoint_set_format(endpoint, "raw");
		ferry_disk_endpoint_set_disk_id(endpoint, disk_id);
		ferry_disk_endpoint_set_description(endpoint, source->label);
		return g_steal_pointer(&endpoint);
	}

	if (source->path == NULL) {
		/* a blank disk: zeroes of the declared capacity */
		g_autofree char *size =
		    g_strdup_printf("size=%" G_GUINT64_FORMAT, source->capacity);
		server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, source->label);
		ferry_nbd_server_add_argument(server, "null");
		ferry_nbd_server_add_argument(server, size);
		format_name = "blank";
	} else if (format == OVA_FORMAT_RAW) {
		/* a raw member of the archive, read where it lies */
		g_autofree char *file = g_strdup_printf("file=%s", source->path);
		g_autofree char *offset =
		    g_strdup_printf("offset=%" G_GUINT64_FORMAT, source->offset);
		g_autofree char *range = g_strdup_printf("range=%" G_GUINT64_FORMAT, source->size);
		server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, source->label);
		ferry_nbd_server_add_argument(server, "--filter=offset");
		ferry_nbd_server_add_argument(server, "file");
		ferry_nbd_server_add_argument(server, file);
		ferry_nbd_server_add_argument(server, offset);
		ferry_nbd_server_add_argument(server, range);
	} else {
		g_autofree char *image = NULL;
		format_name = format == OVA_FORMAT_QCOW2 ? "qcow2" : "vmdk";
		image = ova_qemu_json(source, format_name);
		if (!ova_inspect(source, image, cancellable, error))
			return NULL;
		server = ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, source->label);
		ferry_nbd_server_add_argument(server, image);
	}
	ferry_nbd_server_set_read_only(server, TRUE);
	if (!ferry_nbd_server_start(server, cancellable, error))
		return NULL;
	endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_SOURCE);
	description = g_strdup_printf("%s (%s)", source->label, format_name);
	ferry_disk_endpoint_set_disk_id(endpoint, disk_id);
	ferry_disk_endpoint_set_description(endpoint, description);
	return g_steal_pointer(&endpoint);
}

/* ovftool --compress stores disk files gzip-compressed (File
 * ovf:compression="gzip"): such a disk is unpacked once into the cache,
 * through a temporary file renamed into place, and served from there. The
 * output is capped a little above the disk's capacity (a gzip bomb fills
 * nothing). */
static gboolean
ova_gunzip(FerryOvaProvider *self, OvaDiskSource *source, GCancellable *cancellable, GError **error)
{
	g_autofree char *key = NULL;
	g_autofree char *digest = NULL;
	g_autofree char *directory = g_build_filename(self->state_dir, "ova-cache", NULL);
	g_autofree char *target = NULL;
	g_autofree char *temporary = NULL;
	g_autofree char *buffer = g_malloc(1024 * 1024);
	g_autoptr(GConverter) decompressor = NULL;
	g_autoptr(GInputStream) raw = NULL;
	g_autoptr(GInputStream) stream = NULL;
	g_autoptr(GOutputStream) out = NULL;
	guint64 limit = source->capacity > 0 ? source->capacity + (64 << 20) : G_MAXUINT64;
	guint64 written = 0;
	GStatBuf st;
	int in_fd;
	int out_fd;

	if (g_stat(source->path, &st) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", source->label,
			    g_strerror(errno));
		return FALSE;
	}
	key = g_strdup_printf("%s\n%" G_GUINT64_FORMAT "\n%" G_GUINT64_FORMAT "\n%" G_GINT64_FORMAT,
			      source->path, source->offset, source->size, (gint64)st.st_mtime);
	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, key, -1);
	digest[24] = '\0';
	target = g_strdup_printf("%s/%s.img", directory, digest);
	if (!g_file_test(target, G_FILE_TEST_IS_REGULAR)) {
		if (g_mkdir_with_parents(directory, 0700) != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "cannot create %s: %s",
				    directory, g_strerror(errno));
			return FALSE;
		}
		temporary = g_strdup_printf("%s.tmp-XXXXXX", target);
		out_fd = g_mkstemp_full(temporary, O_WRONLY | O_CLOEXEC, 0600);
		in_fd = g_open(source->path, O_RDONLY | O_CLOEXEC, 0);
		if (out_fd < 0 || in_fd < 0 || lseek(in_fd, (off_t)source->offset, SEEK_SET) < 0) {
			int saved_errno = errno;
			if (out_fd >= 0) {
				close(out_fd);
				g_unlink(temporary);
			}
			if (in_fd >= 0)
				close(in_fd);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "unpacking %s: %s",
				    source->label, g_strerror(saved_errno));
			return FALSE;
		}
		raw = g_unix_input_stream_new(in_fd, TRUE);
		decompressor = G_CONVERTER(g_zlib_decompressor_new(G_ZLIB_COMPRESSOR_FORMAT_GZIP));
		stream = g_converter_input_stream_new(raw, decompressor);
		out = g_unix_output_stream_new(out_fd, TRUE);
		for (;;) {
			gssize n = g_input_stream_read(stream, buffer, 1024 * 1024, cancellable, error);
			if (n < 0 || (n > 0 && !g_output_stream_write_all(out, buffer, (gsize)n, NULL,
									  cancellable, error))) {
				g_prefix_error(error, "unpacking %s: ", source->label);
				ferry_error_convert(error);
				g_unlink(temporary);
				return FALSE;
			}
			if (n == 0)
				break;
			written += (guint64)n;
			if (written > limit) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s unpacks to more than its capacity; refusing it",
					    source->label);
				g_unlink(temporary);
				return FALSE;
			}
		}
		if (fsync(g_unix_output_stream_get_fd(G_UNIX_OUTPUT_STREAM(out))) != 0 ||
		    !g_output_stream_close(out, cancellable, error) ||
		    g_rename(temporary, target) != 0) {
			if (error != NULL && *error == NULL)
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "unpacking %s: %s",
					    source->label, g_strerror(errno));
			ferry_error_convert(error);
			g_unlink(temporary);
			return FALSE;
		}
	}
	if (g_stat(target, &st) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: %s", target, g_strerror(errno));
		return FALSE;
	}
	g_free(source->path);
	source->path = g_steal_pointer(&target);
	source->offset = 0;
	source->size = (guint64)st.st_size;
	source->in_archive = FALSE;
	return TRUE;
}

/* a copy of the disk's source, safe from a concurrent refresh, and the key
 * under which a verified digest is remembered (the file's size and time
 * change when it is replaced) */
static OvaDiskSource *
ova_lookup_disk(FerryOvaProvider *self, const char *disk_id, char **verify_key)
{
	OvaDiskSource *found;
	OvaDiskSource *copy = NULL;
	GStatBuf st;

	g_mutex_lock(&self->lock);
	found = g_hash_table_lookup(self->disks, disk_id);
	if (found != NULL) {
		copy = g_new0(OvaDiskSource, 1);
		*copy = *found;
		copy->vm_id = g_strdup(found->vm_id);
		copy->label = g_strdup(found->label);
		copy->path = g_strdup(found->path);
		copy->manifest = g_strdup(found->manifest);
		copy->digest.algorithm = g_strdup(found->digest.algorithm);
		copy->digest.hex = g_strdup(found->digest.hex);
		copy->problem = g_strdup(found->problem);
	}
	g_mutex_unlock(&self->lock);
	if (copy != NULL && copy->path != NULL && g_stat(copy->path, &st) == 0)
		*verify_key = g_strdup_printf("%s\n%" G_GINT64_FORMAT "\n%" G_GINT64_FORMAT ".%09ld",
					      disk_id, (gint64)st.st_size, (gint64)st.st_mtim.tv_sec,
					      (long)st.st_mtim.tv_nsec);
	return copy;
}

static FerryDiskEndpoint *
ova_open_disk(FerryProvider *provider,
	      const char *vm_id,
	      const char *disk_id,
	      const char *snapshot_id,
	      GCancellable *cancellable,
	      GError **error)
{
	FerryOvaProvider *self = FERRY_OVA_PROVIDER(provider);
	g_autoptr(OvaDiskSource) source = NULL;
	g_autofree char *verify_key = NULL;
	gboolean verified;

	if (snapshot_id != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: OVA disks have no snapshots", self->name);
		return NULL;
	}
	source = ova_lookup_disk(self, disk_id, &verify_key);
	if (source == NULL) {
		/* a fresh process: find the disks again */
		g_auto(OvaScan) scan = {0};
		if (!ova_scan(self, &scan, cancellable, error))
			return NULL;
		ova_adopt_disks(self, &scan);
		source = ova_lookup_disk(self, disk_id, &verify_key);
	}
	if (source == NULL || g_strcmp0(source->vm_id, vm_id) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: VM %s has no disk %s; refresh the inventory", self->name, vm_id,
			    disk_id);
		return NULL;
	}
	if (source->problem != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "%s: %s", self->name,
			    source->problem);
		return NULL;
	}
	g_mutex_lock(&self->lock);
	verified = verify_key != NULL && g_hash_table_contains(self->verified, verify_key);
	g_mutex_unlock(&self->lock);
	if (source->path != NULL && !verified) {
		if (source->manifest != NULL && source->digest.hex == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED,
				    "%s is not listed in the manifest %s, so it cannot be "
				    "verified; export the VM again",
				    source->label, source->manifest);
			return NULL;
		}
		if (source->digest.hex != NULL) {
			if (!ferry_ova_digest_check(&source->digest, source->path, source->offset,
						    source->size, source->label, source->manifest,
						    cancellable, error))
				return NULL;
			g_mutex_lock(&self->lock);
			if (verify_key != NULL)
				g_hash_table_add(self->verified, g_steal_pointer(&verify_key));
			g_mutex_unlock(&self->lock);
		}
	}
	if (source->path != NULL) {
		OvaFormat format;
		if (!ova_probe_format(source, &format, error))
			return NULL;
		if (format == OVA_FORMAT_GZIP && !ova_gunzip(self, source, cancellable, error))
			return NULL;
	}
	return ova_serve(source, disk_id, cancellable, error);
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
ova_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = describe_common(vm);
	JsonArray *in_disks = describe_array(vm, "disks");
	JsonArray *in_nics = describe_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();

	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = json_array_get_object_element(in_disks, i);
		const char *id = json_object_get_string_member_with_default(
		    d, "id", json_object_get_string_member_with_default(d, "diskId", NULL));
		g_autofree char *fallback = g_strdup_printf("disk-%u", i);
		/* one storage per OVF disk: its id is the disk id */
		describe_add_disk(disks, id != NULL ? id : fallback,
				  json_object_get_int_member_with_default(d, "capacity", 0),
				  id != NULL ? id : fallback, "scsi",
				  json_object_get_string_member_with_default(d, "filePath", NULL), FALSE);
		/* the OVF's ovf:populatedSize: how much of the disk holds data (the
		 * estimate's bytes to move, the bundle's space check) */
		if (json_object_get_int_member_with_default(d, "populatedSize", 0) > 0)
			json_object_set_int_member(json_array_get_object_element(
							   disks, json_array_get_length(disks) - 1),
						   "populatedSize",
						   json_object_get_int_member(d, "populatedSize"));
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = json_array_get_object_element(in_nics, i);
		describe_add_nic(nics, json_object_get_string_member_with_default(n, "mac", NULL),
				 describe_ref_id(n, "network"),
				 json_object_get_string_member_with_default(n, "name", NULL));
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	if (json_object_get_string_member_with_default(vm, "osType", NULL) != NULL)
		json_object_set_string_member(out, "osType",
					      json_object_get_string_member(vm, "osType"));
	return out;
}

static void
ova_get_map_kinds(FerryProvider *provider, const char **network_kind, const char **storage_kind)
{
	*network_kind = "network";
	*storage_kind = "storage";
}

/* Forklift's NFS export, and Ferry's local directory or file:// URL */
static gboolean
ova_check_url(FerryProvider *provider, const char *url, GError **error)
{
	if (!g_regex_match_simple("^[^:]+:\\/[^:].*$", url, 0, 0) && !g_path_is_absolute(url)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: write an NFS export as server:/path.");
		return FALSE;
	}
	return TRUE;
}

static const char *const *
ova_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"url", NULL};
	*needs_ca = FALSE;
	return keys;
}

static void
ferry_ova_provider_iface_init(FerryProviderInterface *iface)
{
	iface->describe_vm = ova_describe_vm;
	iface->get_map_kinds = ova_get_map_kinds;
	iface->check_url = ova_check_url;
	iface->get_secret_keys = ova_get_secret_keys;
	iface->get_provider_type = ova_get_provider_type;
	iface->get_capabilities = ova_get_capabilities;
	iface->connect = ova_connect;
	iface->load_inventory = ova_load_inventory;
	iface->open_disk = ova_open_disk;
}
