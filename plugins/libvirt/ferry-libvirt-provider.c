/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libvirt destination (Provider type `libvirt`): sparse raw disk files
 * in a storage pool's directory, a domain defined from the VM description
 * through libvirt's C API, and an optional boot check that starts the
 * domain, reads its serial console and asks its guest agent.
 */

#define _GNU_SOURCE /* SEEK_DATA */

#include "config.h"

#include <errno.h>
#include <fcntl.h>
#include <ferry-plugin-sdk.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt-qemu.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-libvirt-domain.h"
#include "ferry-libvirt-provider.h"

#define DEFAULT_IMAGE_DIR "/var/lib/libvirt/images"
#define DEFAULT_BOOT_TIMEOUT 600
#define DEFAULT_BOOT_MARKER "login:"
#define DEFAULT_SHUTDOWN_TIMEOUT 60
#define AGENT_PING_INTERVAL_US (5 * G_USEC_PER_SEC)
#define CONSOLE_WINDOW (64 * 1024) /* the marker is searched in the last 64 KiB */
#define CONSOLE_TAIL_LINES 20


struct _FerryLibvirtProvider {
	GObject parent_instance;
	char *display; /* "Provider/ns/name" */
	char *uri; /* spec.url without a password, for messages */
	virConnectPtr conn; /* NULL until connected; libvirt connections are thread-safe */
	char *storage_dir;  /* setting storageDir */
	char *domain_type;  /* kvm, qemu or test */
	char *disk_format;  /* setting diskFormat: raw or qcow2 for every disk, or NULL */
	char *state_dir;    /* console logs; NULL: next to the disks */
	guint shutdown_timeout;
	GMutex disk_lock; /* disks of one VM are prepared in parallel threads */
};

static void ferry_libvirt_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryLibvirtProvider,
			       ferry_libvirt_provider,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_libvirt_provider_iface_init))

G_DEFINE_AUTOPTR_CLEANUP_FUNC(virDomain, virDomainFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virNetwork, virNetworkFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStoragePool, virStoragePoolFree)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(virStream, virStreamFree)

static void
ferry_libvirt_provider_finalize(GObject *object)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(object);
	if (self->conn != NULL)
		virConnectClose(self->conn);
	g_free(self->display);
	g_free(self->uri);
	g_free(self->storage_dir);
	g_free(self->domain_type);
	g_free(self->disk_format);
	g_free(self->state_dir);
	g_mutex_clear(&self->disk_lock);
	G_OBJECT_CLASS(ferry_libvirt_provider_parent_class)->finalize(object);
}

static void
ferry_libvirt_provider_class_init(FerryLibvirtProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_libvirt_provider_finalize;
}

static void
ferry_libvirt_provider_class_finalize(FerryLibvirtProviderClass *klass)
{
}

static void
ferry_libvirt_provider_init(FerryLibvirtProvider *self)
{
	self->display = g_strdup("Provider");
	self->shutdown_timeout = DEFAULT_SHUTDOWN_TIMEOUT;
	g_mutex_init(&self->disk_lock);
}

static const char *
ferry_libvirt_get_provider_type(FerryProvider *provider)
{
	return "libvirt";
}

static FerryProviderCapabilities
ferry_libvirt_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_DESTINATION;
}

/* --- errors --- */

/* the FERRY_ERROR code of libvirt's last error */
static int
ferry_libvirt_error_code(int fallback)
{
	virErrorPtr last = virGetLastError();
	if (last == NULL)
		return fallback;
	switch (last->code) {
	case VIR_ERR_NO_DOMAIN:
	case VIR_ERR_NO_NETWORK:
	case VIR_ERR_NO_STORAGE_POOL:
		return FERRY_ERROR_NOT_FOUND;
	case VIR_ERR_AUTH_FAILED:
	case VIR_ERR_AUTH_CANCELLED:
	case VIR_ERR_AUTH_UNAVAILABLE:
		return FERRY_ERROR_AUTH_FAILED;
	case VIR_ERR_NO_CONNECT:
	case VIR_ERR_RPC:
	case VIR_ERR_SYSTEM_ERROR:
		return FERRY_ERROR_CONNECTION_FAILED;
	case VIR_ERR_OPERATION_INVALID:
		return FERRY_ERROR_INVALID_STATE;
	case VIR_ERR_NO_SUPPORT:
		return FERRY_ERROR_NOT_SUPPORTED;
	case VIR_ERR_OPERATION_DENIED:
	case VIR_ERR_ACCESS_DENIED:
		return FERRY_ERROR_PERMISSION_DENIED;
	case VIR_ERR_OPERATION_TIMEOUT:
		return FERRY_ERROR_TIMED_OUT;
	default:
		return fallback;
	}
}

/* sets @error to "PREFIX: <libvirt's message>[; HINT]" */
static void
ferry_libvirt_set_error(GError **error, const char *hint, const char *format, ...)
    G_GNUC_PRINTF(3, 4);

static void
ferry_libvirt_set_error(GError **error, const char *hint, const char *format, ...)
{
	g_autofree char *prefix = NULL;
	const char *message = virGetLastErrorMessage();
	va_list args;

	va_start(args, format);
	prefix = g_strdup_vprintf(format, args);
	va_end(args);
	g_set_error(error, FERRY_ERROR, ferry_libvirt_error_code(FERRY_ERROR_FAILED), "%s: %s%s%s",
		    prefix, message != NULL ? message : "unknown libvirt error",
		    hint != NULL ? "; " : "", hint != NULL ? hint : "");
	virResetLastError();
}

static int
ferry_libvirt_errno_code(int errno_value)
{
	g_autoptr(GError) error =
	    g_error_new_literal(G_FILE_ERROR, g_file_error_from_errno(errno_value), "");
	ferry_error_convert(&error);
	return error->code;
}

static gboolean
ferry_libvirt_check_connected(FerryLibvirtProvider *self, GError **error)
{
	if (self->conn != NULL)
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
		    "%s is not connected; connect it before creating VMs", self->display);
	return FALSE;
}

/* --- connect --- */

static void
ferry_libvirt_quiet(void *data, virErrorPtr error)
{
	/* errors reach the caller through GError; libvirt would print them to stderr */
}

static gpointer
ferry_libvirt_event_loop(gpointer data)
{
	for (;;)
		virEventRunDefaultImpl();
	return NULL;
}

/*
 * libvirt delivers console streams and keepalives of remote connections
 * only through an event loop, which must exist before the first
 * connection is opened; one thread runs it for the life of the process.
 */
static void
ferry_libvirt_init_once(void)
{
	static gsize initialised = 0;
	if (g_once_init_enter(&initialised)) {
		virInitialize();
		virSetErrorFunc(NULL, ferry_libvirt_quiet);
		if (virEventRegisterDefaultImpl() == 0)
			g_thread_unref(g_thread_new("ferry-libvirt-events",
						    ferry_libvirt_event_loop, NULL));
		g_once_init_leave(&initialised, 1);
	}
}

/* answers libvirt's questions for a user name and password from the Secret */
static int
ferry_libvirt_auth(virConnectCredentialPtr credentials, unsigned int count, void *data)
{
	FerrySecret *secret = data;

	for (unsigned int i = 0; i < count; i++) {
		g_autofree char *value = NULL;
		switch (credentials[i].type) {
		case VIR_CRED_AUTHNAME:
			value = ferry_secret_dup_string(secret, "user");
			if (value == NULL)
				value = ferry_secret_dup_string(secret, "username");
			break;
		case VIR_CRED_PASSPHRASE:
		case VIR_CRED_NOECHOPROMPT:
			value = ferry_secret_dup_string(secret, "password");
			break;
		default:
			break;
		}
		if (value == NULL)
			return -1;
		credentials[i].result = strdup(value);
		credentials[i].resultlen = (unsigned int)strlen(value);
		explicit_bzero(value, strlen(value));
	}
	return 0;
}

static gboolean
ferry_libvirt_apply_settings(FerryLibvirtProvider *self,
			     FerryProviderConfig *config,
			     GError **error)
{
	const char *storage_dir = ferry_provider_config_get_setting(config, "storageDir");
	const char *domain_type = ferry_provider_config_get_setting(config, "domainType");
	const char *format = ferry_provider_config_get_setting(config, "diskFormat");
	const char *shutdown = ferry_provider_config_get_setting(config, "shutdownTimeout");
	const char *state_dir = ferry_provider_config_get_state_dir(config);

	if (storage_dir != NULL && *storage_dir != '\0' && !g_path_is_absolute(storage_dir)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.settings.storageDir '%s' is not an absolute path",
			    self->display, storage_dir);
		return FALSE;
	}
	if (domain_type != NULL && g_strcmp0(domain_type, "kvm") != 0 &&
	    g_strcmp0(domain_type, "qemu") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.settings.domainType '%s' is not supported; use kvm or qemu "
			    "(TCG), or leave it out to choose by the host",
			    self->display, domain_type);
		return FALSE;
	}
	if (format != NULL && g_strcmp0(format, "raw") != 0 && g_strcmp0(format, "qcow2") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: spec.settings.diskFormat '%s' is not supported; use raw or qcow2",
			    self->display, format);
		return FALSE;
	}
	if (g_strcmp0(format, "qcow2") == 0) {
		g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
		if (qemu_img == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "%s: spec.settings.diskFormat qcow2 needs qemu-img, which is "
				    "not installed; install qemu-utils or use raw",
				    self->display);
			return FALSE;
		}
	}
	if (shutdown != NULL) {
		guint64 seconds = 0;
		if (!g_ascii_string_to_unsigned(shutdown, 10, 1, 3600, &seconds, NULL)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "%s: spec.settings.shutdownTimeout '%s' is not a number of "
				    "seconds from 1 to 3600",
				    self->display, shutdown);
			return FALSE;
		}
		self->shutdown_timeout = (guint)seconds;
	}
	g_free(self->storage_dir);
	self->storage_dir = storage_dir != NULL && *storage_dir != '\0' ? g_strdup(storage_dir)
									: NULL;
	g_free(self->state_dir);
	self->state_dir = state_dir != NULL ? g_build_filename(state_dir, "libvirt", NULL) : NULL;
	g_free(self->domain_type);
	self->domain_type = g_strdup(domain_type);
	g_free(self->disk_format);
	self->disk_format = g_strdup(format);
	return TRUE;
}

/*
 * kvm when guests can use it, else qemu (TCG). On this host the core's
 * cached KVM self-test answers (FERRY_ACCEL=kvm|tcg decides without it); on
 * a remote host, whether its libvirt offers KVM at all.
 */
static const char *
ferry_libvirt_host_domain_type(FerryLibvirtProvider *self, virConnectPtr conn, const char *uri)
{
	const char *after_scheme = strstr(uri, "://");
	gboolean local = after_scheme == NULL || after_scheme[3] == '/';
	g_autofree char *reason = NULL;
	char *capabilities;
	gboolean kvm;

	if (local) {
		kvm = ferry_machine_kvm_usable(FALSE, &reason);
		g_debug("%s: %s domains: %s", self->display, kvm ? "kvm" : "qemu (TCG)",
			reason != NULL ? reason : "");
		return kvm ? "kvm" : "qemu";
	}
	capabilities = virConnectGetDomainCapabilities(conn, NULL, NULL, NULL, "kvm", 0);
	kvm = capabilities != NULL;
	free(capabilities);
	virResetLastError();
	return kvm ? "kvm" : "qemu";
}

/* @uri with any password in it hidden, for messages */
static char *
ferry_libvirt_safe_uri(const char *uri)
{
	g_autoptr(GUri) parsed =
	    g_uri_parse(uri, G_URI_FLAGS_HAS_PASSWORD | G_URI_FLAGS_ENCODED, NULL);
	if (parsed == NULL || g_uri_get_password(parsed) == NULL)
		return g_strdup(uri);
	return g_uri_to_string_partial(parsed, G_URI_HIDE_PASSWORD);
}

static gboolean
ferry_libvirt_connect(FerryProvider *provider,
		      FerryProviderConfig *config,
		      GCancellable *cancellable,
		      GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	FerrySecret *secret = ferry_provider_config_get_secret(config);
	const char *uri = ferry_provider_config_get_url(config);
	int credential_types[] = {VIR_CRED_AUTHNAME, VIR_CRED_PASSPHRASE, VIR_CRED_NOECHOPROMPT};
	virConnectAuth auth = {credential_types, G_N_ELEMENTS(credential_types),
			       ferry_libvirt_auth, secret};
	virConnectPtr conn;
	const char *driver;
	g_autofree char *safe_uri = NULL;

	g_free(self->display);
	self->display = g_strdup_printf("Provider/%s/%s",
					ferry_provider_config_get_namespace(config),
					ferry_provider_config_get_name(config));
	if (uri == NULL || *uri == '\0' || strstr(uri, ":/") == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: spec.url is not a libvirt URI (UrlNotValid); use "
			    "qemu:///system, qemu:///session or qemu+ssh://HOST/system",
			    self->display);
		return FALSE;
	}
	safe_uri = ferry_libvirt_safe_uri(uri);
	if (!ferry_libvirt_apply_settings(self, config, error))
		return FALSE;
	ferry_libvirt_init_once();
	conn = virConnectOpenAuth(uri, secret != NULL ? &auth : virConnectAuthPtrDefault, 0);
	if (conn == NULL) {
		int code = ferry_libvirt_error_code(FERRY_ERROR_CONNECTION_FAILED);
		g_autoptr(GError) local_error = NULL;
		ferry_libvirt_set_error(&local_error,
					code == FERRY_ERROR_AUTH_FAILED
					    ? "check the user and password in the Provider's Secret"
					    : "start libvirtd (`libvirtd -d` or `systemctl start "
					      "libvirtd`) on that host, or correct spec.url",
					"%s: cannot connect to %s", self->display, safe_uri);
		/* libvirt's own code (e.g. "internal error") says less than ours */
		local_error->code = code == FERRY_ERROR_AUTH_FAILED ? code
								    : FERRY_ERROR_CONNECTION_FAILED;
		if (secret != NULL) {
			char *redacted = ferry_secret_redact(secret, local_error->message);
			g_free(local_error->message);
			local_error->message = redacted;
		}
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	/* a dead remote daemon then fails calls instead of hanging them */
	virConnectSetKeepAlive(conn, 5, 6);
	if (self->conn != NULL)
		virConnectClose(self->conn);
	self->conn = conn;
	g_free(self->uri);
	self->uri = g_steal_pointer(&safe_uri);
	driver = virConnectGetType(conn);
	if (g_strcmp0(driver, "TEST") == 0 || g_strcmp0(driver, "Test") == 0) {
		g_free(self->domain_type);
		self->domain_type = g_strdup("test");
	} else if (self->domain_type == NULL) {
		self->domain_type = g_strdup(ferry_libvirt_host_domain_type(self, conn, uri));
	}
	g_debug("%s: connected to %s (%s domains)", self->display, self->uri, self->domain_type);
	return TRUE;
}

/* --- storage --- */

/* the target directory of a dir, fs or netfs pool */
static char *
ferry_libvirt_pool_directory(FerryLibvirtProvider *self,
			     const char *pool_name,
			     const char *display,
			     gboolean missing_is_error,
			     GError **error)
{
	g_autoptr(virStoragePool) pool = virStoragePoolLookupByName(self->conn, pool_name);
	g_autofree char *xml = NULL;
	g_autofree char *type = NULL;
	g_autofree char *path = NULL;

	if (pool == NULL) {
		if (!missing_is_error) {
			virResetLastError();
			return NULL;
		}
		ferry_libvirt_set_error(error,
					"create the pool (virsh pool-define-as NAME dir --target "
					"DIR), or change the StorageMap's storageClass",
					"%s: storage pool %s on %s", display, pool_name, self->uri);
		return NULL;
	}
	xml = virStoragePoolGetXMLDesc(pool, 0);
	type = ferry_libvirt_xml_get(xml, "/pool/@type");
	path = ferry_libvirt_xml_get(xml, "/pool/target/path");
	if (g_strcmp0(type, "dir") != 0 && g_strcmp0(type, "fs") != 0 &&
	    g_strcmp0(type, "netfs") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: storage pool %s is of type %s; Ferry writes disks as files and "
			    "needs a dir, fs or netfs pool",
			    display, pool_name, type != NULL ? type : "unknown");
		return NULL;
	}
	if (path == NULL || !g_path_is_absolute(path)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: storage pool %s has no target path", display, pool_name);
		return NULL;
	}
	return g_steal_pointer(&path);
}

/*
 * Where a disk goes: the pool named by the StorageMap, else the storageDir
 * setting, else the pool `default`, else /var/lib/libvirt/images. A
 * StorageMap always names a storage class (Forklift requires one), so a
 * class that is no pool here falls back on storageDir when it is set, and
 * is an error otherwise.
 */
static char *
ferry_libvirt_disk_directory(FerryLibvirtProvider *self,
			     FerryLibvirtDisk *disk,
			     const char *display,
			     GError **error)
{
	g_autoptr(GError) local_error = NULL;
	char *dir;

	if (disk->storage_pool != NULL) {
		dir = ferry_libvirt_pool_directory(self, disk->storage_pool, display,
						   self->storage_dir == NULL, error);
		if (dir != NULL || self->storage_dir == NULL)
			return dir;
		g_debug("%s: no storage pool %s; the disk goes to storageDir %s", display,
			disk->storage_pool, self->storage_dir);
	}
	if (self->storage_dir != NULL)
		return g_strdup(self->storage_dir);
	dir = ferry_libvirt_pool_directory(self, "default", display, FALSE, &local_error);
	if (dir != NULL)
		return dir;
	if (local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	return g_strdup(DEFAULT_IMAGE_DIR);
}

/* fills in the path of every disk of @target */
static gboolean
ferry_libvirt_resolve_disks(FerryLibvirtProvider *self, FerryLibvirtTarget *target, GError **error)
{
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autofree char *dir = NULL;
		if (disk->path != NULL)
			continue;
		dir = ferry_libvirt_disk_directory(self, disk, target->display, error);
		if (dir == NULL)
			return FALSE;
		disk->path = g_build_filename(dir, disk->file_name, NULL);
		disk->copy_path = g_build_filename(dir, disk->copy_name, NULL);
	}
	return TRUE;
}

/* lets the pool holding @path list the new or removed file */
static void
ferry_libvirt_refresh_pools(FerryLibvirtProvider *self, FerryLibvirtDisk *disk)
{
	g_autoptr(virStoragePool) pool = NULL;
	if (disk->storage_pool != NULL)
		pool = virStoragePoolLookupByName(self->conn, disk->storage_pool);
	if (pool == NULL)
		pool = virStoragePoolLookupByName(self->conn, "default");
	if (pool != NULL && virStoragePoolIsActive(pool) == 1)
		virStoragePoolRefresh(pool, 0);
	virResetLastError();
}

/* the folder of a disk image, made when missing */
static gboolean
ferry_libvirt_make_disk_folder(FerryLibvirtDisk *disk, const char *display, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(disk->copy_path);

	if (g_mkdir_with_parents(dir, 0755) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_libvirt_errno_code(saved_errno),
			    "%s: cannot create the disk folder %s: %s; create it or choose "
			    "another pool or storageDir",
			    display, dir, g_strerror(saved_errno));
		return FALSE;
	}
	return TRUE;
}

static FerryLibvirtTarget *
ferry_libvirt_target(FerryLibvirtProvider *self, JsonObject *vm_spec, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	FerryLibvirtTarget *target =
	    ferry_libvirt_target_new(vm_spec, self->disk_format, &local_error);
	if (target == NULL) {
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", self->display,
			    local_error->message);
		return NULL;
	}
	return target;
}

static gboolean
ferry_libvirt_check_qemu_access(FerryLibvirtProvider *self,
				FerryLibvirtTarget *target,
				GError **error);

static FerryDiskEndpoint *
ferry_libvirt_prepare_disk(FerryProvider *provider,
			   JsonObject *vm_spec,
			   guint disk_index,
			   GCancellable *cancellable,
			   GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autofree char *display = NULL;
	g_autofree char *description = NULL;
	FerryLibvirtDisk *disk;

	if (!ferry_libvirt_check_connected(self, error))
		return NULL;
	target = ferry_libvirt_target(self, vm_spec, error);
	if (target == NULL)
		return NULL;
	disk = ferry_libvirt_target_get_disk(target, disk_index, error);
	if (disk == NULL)
		return NULL;
	display = g_strdup_printf("%s: disk %s", target->display, disk->name);
	{
		g_autoptr(GMutexLocker) locker = NULL;
		if (!ferry_libvirt_resolve_disks(self, target, error))
			return NULL;
		/* before any data is copied or converted into a place QEMU cannot reach */
		if (!ferry_libvirt_check_qemu_access(self, target, error))
			return NULL;
		locker = g_mutex_locker_new(&self->disk_lock);
		/* always sparse raw for the copy; a qcow2 disk is converted by create_vm
		 * (0644 and root-owned: with qemu:///system libvirt hands it to QEMU's
		 * user on start) */
		if (!ferry_libvirt_make_disk_folder(disk, display, error))
			return NULL;
		endpoint = ferry_disk_endpoint_new_raw_target(disk->copy_path, disk->capacity,
							      display, error);
		if (endpoint == NULL)
			return NULL;
	}
	ferry_libvirt_refresh_pools(self, disk);
	description = g_strdup_printf("%s (%s)", display, disk->copy_path);
	ferry_disk_endpoint_set_description(endpoint, description);
	if (disk->id != NULL)
		ferry_disk_endpoint_set_disk_id(endpoint, disk->id);
	return g_steal_pointer(&endpoint);
}

/* --- the domain --- */

/* Ferry's metadata element of @domain, or NULL when Ferry did not define it */
static char *
ferry_libvirt_domain_metadata(virDomainPtr domain)
{
	char *metadata = virDomainGetMetadata(domain, VIR_DOMAIN_METADATA_ELEMENT,
					      FERRY_LIBVIRT_METADATA_URI,
					      VIR_DOMAIN_AFFECT_CONFIG);
	char *copy = g_strdup(metadata);
	free(metadata);
	virResetLastError();
	return copy;
}

/* every NIC on a network that exists; `pod` on `default` when it is active */
static gboolean
ferry_libvirt_resolve_nics(FerryLibvirtProvider *self, FerryLibvirtTarget *target, GError **error)
{
	gboolean default_active = FALSE;
	g_autoptr(virNetwork) fallback = virNetworkLookupByName(self->conn, "default");

	default_active = fallback != NULL && virNetworkIsActive(fallback) == 1;
	virResetLastError();
	for (guint i = 0; i < target->nics->len; i++) {
		FerryLibvirtNic *nic = g_ptr_array_index(target->nics, i);
		g_autoptr(virNetwork) network = NULL;

		if (nic->kind == FERRY_LIBVIRT_NIC_USER && default_active) {
			nic->kind = FERRY_LIBVIRT_NIC_NETWORK;
			nic->libvirt_network = g_strdup("default");
		}
		if (nic->kind != FERRY_LIBVIRT_NIC_NETWORK ||
		    g_strcmp0(nic->network_type, "pod") == 0)
			continue;
		network = virNetworkLookupByName(self->conn, nic->libvirt_network);
		if (network == NULL) {
			ferry_libvirt_set_error(error,
						"create it (virsh net-define) or change the "
						"NetworkMap's destination",
						"%s: the libvirt network %s of NIC %s",
						target->display, nic->libvirt_network,
						nic->mac != NULL ? nic->mac : "?");
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
ferry_libvirt_unlink(const char *path, const char *display, GError **error)
{
	if (g_unlink(path) == 0 || errno == ENOENT)
		return TRUE;
	{
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_libvirt_errno_code(saved_errno),
			    "%s: cannot remove %s: %s", display, path, g_strerror(saved_errno));
	}
	return FALSE;
}

static gboolean
ferry_libvirt_check_size(FerryLibvirtTarget *target,
			 FerryLibvirtDisk *disk,
			 const char *path,
			 GError **error)
{
	struct stat info;
	if (g_stat(path, &info) != 0 || !S_ISREG(info.st_mode)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: the image of disk %s (%s) is missing; prepare and copy the disk "
			    "before creating the VM",
			    target->display, disk->name, path);
		return FALSE;
	}
	if ((guint64)info.st_size != disk->capacity) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED,
			    "%s: the image %s has %" G_GINT64_FORMAT
			    " bytes but the disk has %" G_GUINT64_FORMAT,
			    target->display, path, (gint64)info.st_size, disk->capacity);
		return FALSE;
	}
	return TRUE;
}

/*
 * The copied raw file becomes NAME.qcow2 (written as NAME.qcow2.partial and
 * renamed, so a file of that name is always complete), then the raw file
 * goes. Once NAME.qcow2 exists, a raw file prepared again by a retried
 * phase is only deleted.
 */
static gboolean
ferry_libvirt_convert_qcow2(FerryLibvirtTarget *target,
			    FerryLibvirtDisk *disk,
			    GCancellable *cancellable,
			    GError **error)
{
	g_autofree char *partial = g_strconcat(disk->path, ".partial", NULL);
	const char *argv[] = {"qemu-img", "convert", "-q", "-f", "raw", "-O", "qcow2",
			      "-o", "preallocation=off", disk->copy_path, partial, NULL};
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *errors = NULL;
	g_autoptr(GError) local_error = NULL;

	if (!g_file_test(disk->path, G_FILE_TEST_IS_REGULAR)) {
		if (!ferry_libvirt_check_size(target, disk, disk->copy_path, error))
			return FALSE;
		process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
						      G_SUBPROCESS_FLAGS_STDERR_PIPE,
					    &local_error);
		if (process == NULL || !g_subprocess_communicate_utf8(process, NULL, cancellable,
								      NULL, &errors, &local_error)) {
			if (process != NULL)
				g_subprocess_force_exit(process);
			g_unlink(partial);
			ferry_error_convert(&local_error);
			g_prefix_error(&local_error, "%s: disk %s to qcow2: ", target->display,
				       disk->name);
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		if (!g_subprocess_get_successful(process) || g_rename(partial, disk->path) != 0) {
			g_unlink(partial);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "%s: disk %s: qemu-img could not convert %s to qcow2: %s",
				    target->display, disk->name, disk->copy_path,
				    errors != NULL && *errors != '\0' ? g_strstrip(errors)
								      : g_strerror(errno));
			return FALSE;
		}
	}
	return ferry_libvirt_unlink(disk->copy_path, target->display, error);
}

static gboolean
ferry_libvirt_check_written_disks(FerryLibvirtTarget *target,
				  GPtrArray *disks,
				  GCancellable *cancellable,
				  GError **error)
{
	if (disks != NULL && disks->len != target->disks->len) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %u written disks were given for %u disks", target->display,
			    disks->len, target->disks->len);
		return FALSE;
	}
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		if (g_strcmp0(disk->format, "qcow2") == 0
			? !ferry_libvirt_convert_qcow2(target, disk, cancellable, error)
			: !ferry_libvirt_check_size(target, disk, disk->path, error))
			return FALSE;
	}
	return TRUE;
}

/*
 * QEMU of qemu:///system runs as an unprivileged user (libvirt-qemu on
 * Debian) and must reach every disk: libvirt hands it the file but not the
 * folders above. A folder it cannot enter is found here, before the domain
 * fails to start. Only for local daemons whose QEMU user is not root.
 */
static gboolean
ferry_libvirt_check_qemu_access(FerryLibvirtProvider *self,
				FerryLibvirtTarget *target,
				GError **error)
{
	const char *after_scheme = strstr(self->uri, "://");
	g_autofree char *capabilities = NULL;
	g_autofree char *label = NULL;
	char *raw;
	guint64 uid = 0, gid = 0;

	if (g_strcmp0(self->domain_type, "test") == 0 || after_scheme == NULL ||
	    after_scheme[3] != '/')
		return TRUE;
	raw = virConnectGetCapabilities(self->conn);
	capabilities = g_strdup(raw);
	free(raw);
	virResetLastError();
	/* "+64055:+64055": the DAC label QEMU processes get */
	label = ferry_libvirt_xml_get(capabilities,
				      "/capabilities/host/secmodel[model='dac']/baselabel[1]");
	if (label == NULL || sscanf(label, "+%" G_GUINT64_FORMAT ":+%" G_GUINT64_FORMAT, &uid,
				    &gid) != 2 ||
	    uid == 0)
		return TRUE;
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autofree char *dir = g_path_get_dirname(disk->path);

		while (g_strcmp0(dir, "/") != 0 && g_strcmp0(dir, ".") != 0) {
			struct stat info;
			gboolean enter;
			char *parent;

			if (g_stat(dir, &info) != 0)
				break;
			enter = (info.st_mode & S_IXOTH) != 0 ||
				(info.st_uid == uid && (info.st_mode & S_IXUSR) != 0) ||
				(info.st_gid == gid && (info.st_mode & S_IXGRP) != 0);
			if (!enter) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
					    "%s: QEMU runs as user %" G_GUINT64_FORMAT
					    " and cannot enter %s (mode %04o), so it cannot open %s; "
					    "run chmod o+x %s or put the disks elsewhere (storageDir "
					    "or a pool)",
					    target->display, uid, dir, info.st_mode & 07777,
					    disk->path, dir);
				return FALSE;
			}
			parent = g_path_get_dirname(dir);
			g_free(dir);
			dir = parent;
		}
	}
	return TRUE;
}

/*
 * TRUE when no domain has @target's name, or when Ferry defined it for the
 * same plan (a retried phase): then its UUID goes into @target so that the
 * definition replaces it.
 */
static gboolean
ferry_libvirt_check_existing(FerryLibvirtProvider *self,
			     FerryLibvirtTarget *target,
			     GError **error)
{
	g_autoptr(virDomain) domain = virDomainLookupByName(self->conn, target->name);
	g_autofree char *metadata = NULL;
	g_autofree char *plan = NULL;

	virResetLastError();
	if (domain == NULL)
		return TRUE;
	metadata = ferry_libvirt_domain_metadata(domain);
	plan = ferry_libvirt_xml_get(metadata, "/*[local-name()='vm']/@plan");
	if (metadata != NULL && g_strcmp0(plan, target->plan) == 0) {
		char uuid[VIR_UUID_STRING_BUFLEN];
		if (virDomainGetUUIDString(domain, uuid) == 0)
			target->uuid = g_strdup(uuid);
		return TRUE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
		    "%s: a domain named %s already exists on %s%s; remove it or choose another "
		    "target name in the Plan",
		    target->display, target->name, self->uri,
		    metadata == NULL ? " and was not defined by Ferry" : " for another plan");
	return FALSE;
}

static char *
ferry_libvirt_create_vm(FerryProvider *provider,
			JsonObject *vm_spec,
			GPtrArray *disks,
			GCancellable *cancellable,
			GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(virDomain) domain = NULL;
	g_autofree char *xml = NULL;
	FerryLibvirtDomainOptions options = {
	    .domain_type = NULL, .machine = "q35", .arch = "x86_64", .guest_agent = TRUE};

	if (!ferry_libvirt_check_connected(self, error))
		return NULL;
	target = ferry_libvirt_target(self, vm_spec, error);
	if (target == NULL || !ferry_libvirt_resolve_disks(self, target, error) ||
	    !ferry_libvirt_check_written_disks(target, disks, cancellable, error) ||
	    !ferry_libvirt_check_qemu_access(self, target, error) ||
	    !ferry_libvirt_resolve_nics(self, target, error) ||
	    !ferry_libvirt_check_existing(self, target, error))
		return NULL;
	options.domain_type = self->domain_type;
	if (g_strcmp0(self->domain_type, "test") == 0)
		options.machine = NULL;
	xml = ferry_libvirt_domain_xml(target, &options, error);
	if (xml == NULL)
		return NULL;
	if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
		ferry_error_convert(error);
		return NULL;
	}
	domain = virDomainDefineXML(self->conn, xml);
	if (domain == NULL) {
		ferry_libvirt_set_error(error, NULL, "%s: cannot define the domain on %s",
					target->display, self->uri);
		return NULL;
	}
	if (g_strcmp0(target->target_power_state, "on") == 0 && virDomainIsActive(domain) != 1 &&
	    virDomainCreate(domain) != 0) {
		ferry_libvirt_set_error(error, "the domain is defined; start it by hand to see why",
					"%s: cannot start the domain on %s", target->display,
					self->uri);
		return NULL;
	}
	g_debug("%s: defined on %s", target->display, self->uri);
	return g_strdup(target->name);
}

/* --- stopping and removing --- */

static gboolean
ferry_libvirt_is_active(virDomainPtr domain)
{
	int state = VIR_DOMAIN_NOSTATE;
	if (virDomainGetState(domain, &state, NULL, 0) != 0) {
		virResetLastError();
		return FALSE;
	}
	return state != VIR_DOMAIN_SHUTOFF && state != VIR_DOMAIN_NOSTATE;
}

/* ACPI shutdown when @graceful, then power off after the timeout; idempotent */
static gboolean
ferry_libvirt_stop(FerryLibvirtProvider *self,
		   virDomainPtr domain,
		   gboolean graceful,
		   const char *display,
		   GError **error)
{
	if (!ferry_libvirt_is_active(domain))
		return TRUE;
	if (graceful && virDomainShutdown(domain) == 0) {
		gint64 deadline =
		    g_get_monotonic_time() + (gint64)self->shutdown_timeout * G_USEC_PER_SEC;
		while (g_get_monotonic_time() < deadline) {
			if (!ferry_libvirt_is_active(domain))
				return TRUE;
			g_usleep(G_USEC_PER_SEC / 5);
		}
		g_debug("%s: no ACPI shutdown within %u s; powering off", display,
			self->shutdown_timeout);
	}
	virResetLastError();
	if (virDomainDestroy(domain) != 0 && ferry_libvirt_is_active(domain)) {
		ferry_libvirt_set_error(error, NULL, "%s: cannot power off the domain", display);
		return FALSE;
	}
	virResetLastError();
	return TRUE;
}


/* the console log of a domain */
static char *
ferry_libvirt_console_log_path(FerryLibvirtProvider *self, FerryLibvirtTarget *target)
{
	g_autofree char *dir = NULL;
	g_autofree char *name = g_strconcat(target->name, ".console.log", NULL);

	if (self->state_dir != NULL)
		return g_build_filename(self->state_dir, name, NULL);
	if (target->disks->len > 0) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, 0);
		dir = g_path_get_dirname(disk->path);
	} else {
		dir = g_strdup(self->storage_dir != NULL ? self->storage_dir : DEFAULT_IMAGE_DIR);
	}
	return g_build_filename(dir, name, NULL);
}

static gboolean
ferry_libvirt_undefine(virDomainPtr domain, const char *display, GError **error)
{
	unsigned int flags = VIR_DOMAIN_UNDEFINE_NVRAM | VIR_DOMAIN_UNDEFINE_MANAGED_SAVE |
			     VIR_DOMAIN_UNDEFINE_SNAPSHOTS_METADATA |
			     VIR_DOMAIN_UNDEFINE_CHECKPOINTS_METADATA;
	if (virDomainUndefineFlags(domain, flags) == 0)
		return TRUE;
	/* drivers without NVRAM or checkpoints refuse the flags they do not know */
	virResetLastError();
	if (virDomainUndefine(domain) == 0)
		return TRUE;
	ferry_libvirt_set_error(error, NULL, "%s: cannot undefine the domain", display);
	return FALSE;
}

static gboolean
ferry_libvirt_remove_vm(FerryProvider *provider,
			JsonObject *vm_spec,
			GCancellable *cancellable,
			GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(virDomain) domain = NULL;
	g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *log = NULL;

	if (!ferry_libvirt_check_connected(self, error))
		return FALSE;
	target = ferry_libvirt_target(self, vm_spec, error);
	if (target == NULL || !ferry_libvirt_resolve_disks(self, target, error))
		return FALSE;
	domain = virDomainLookupByName(self->conn, target->name);
	virResetLastError();
	if (domain != NULL) {
		g_autofree char *metadata = ferry_libvirt_domain_metadata(domain);
		g_autoptr(GPtrArray) recorded = NULL;
		if (metadata == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "%s: the domain %s on %s was not defined by Ferry, so it is "
				    "left alone; remove it by hand if it is not needed",
				    target->display, target->name, self->uri);
			return FALSE;
		}
		recorded = ferry_libvirt_metadata_disk_paths(metadata);
		for (guint i = 0; i < recorded->len; i++)
			g_ptr_array_add(paths, g_strdup(g_ptr_array_index(recorded, i)));
		if (!ferry_libvirt_stop(self, domain, FALSE, target->display, error) ||
		    !ferry_libvirt_undefine(domain, target->display, error))
			return FALSE;
	}
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_ptr_array_add(paths, g_strdup(disk->path));
		g_ptr_array_add(paths, g_strdup(disk->copy_path));
		g_ptr_array_add(paths, g_strconcat(disk->path, ".partial", NULL));
	}
	for (guint i = 0; i < paths->len; i++) {
		if (!ferry_libvirt_unlink(g_ptr_array_index(paths, i), target->display, error))
			return FALSE;
	}
	for (guint i = 0; i < target->disks->len; i++)
		ferry_libvirt_refresh_pools(self, g_ptr_array_index(target->disks, i));
	/* a log in the state folder outlives the VM so a failure can be read later */
	if (self->state_dir == NULL) {
		log = ferry_libvirt_console_log_path(self, target);
		return ferry_libvirt_unlink(log, target->display, error);
	}
	return TRUE;
}

static gboolean
ferry_libvirt_remove_artifact(FerryProvider *provider,
			      const char *kind,
			      const char *id,
			      JsonObject *details,
			      GCancellable *cancellable,
			      GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	JsonNode *spec_node = details != NULL ? json_object_get_member(details, "vmSpec") : NULL;
	JsonObject *vm_spec = spec_node != NULL && JSON_NODE_HOLDS_OBJECT(spec_node)
				  ? json_node_get_object(spec_node)
				  : NULL;
	JsonNode *index_node = details != NULL ? json_object_get_member(details, "diskIndex")
					       : NULL;
	g_autoptr(FerryLibvirtTarget) target = NULL;
	FerryLibvirtDisk *disk;
	gint64 index;

	if (vm_spec == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: the %s artifact %s has no vmSpec in its details", self->display,
			    kind, id);
		return FALSE;
	}
	if (g_strcmp0(kind, "vm") == 0)
		return ferry_libvirt_remove_vm(provider, vm_spec, cancellable, error);
	if (g_strcmp0(kind, "disk") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s: the libvirt destination creates no %s artifacts", self->display,
			    kind);
		return FALSE;
	}
	if (!ferry_libvirt_check_connected(self, error))
		return FALSE;
	target = ferry_libvirt_target(self, vm_spec, error);
	if (target == NULL)
		return FALSE;
	index = index_node != NULL && JSON_NODE_HOLDS_VALUE(index_node) &&
			json_node_get_value_type(index_node) == G_TYPE_INT64
		    ? json_node_get_int(index_node)
		    : -1;
	/* the engine's ledger names the disk by index; else by the name prepare_disk used */
	for (guint i = 0; index < 0 && i < target->disks->len; i++) {
		FerryLibvirtDisk *candidate = g_ptr_array_index(target->disks, i);
		if (g_strcmp0(candidate->name, id) == 0)
			index = i;
	}
	disk = ferry_libvirt_target_get_disk(target, index < 0 ? G_MAXUINT : (guint)index, error);
	if (disk == NULL || !ferry_libvirt_resolve_disks(self, target, error) ||
	    !ferry_libvirt_unlink(disk->copy_path, target->display, error) ||
	    !ferry_libvirt_unlink(disk->path, target->display, error))
		return FALSE;
	ferry_libvirt_refresh_pools(self, disk);
	return TRUE;
}

/* --- boot verification --- */

typedef struct {
	FerryLibvirtProvider *self;
	FerryLibvirtTarget *target;
	virDomainPtr domain;
	virStreamPtr stream; /* NULL when the console cannot be opened */
	GRegex *marker;
	GString *window; /* the last CONSOLE_WINDOW bytes, for the marker and the tail */
	FILE *log;
	char *log_path;
	gboolean console_eof;
} FerryLibvirtCheck;

static void
ferry_libvirt_check_clear(FerryLibvirtCheck *check)
{
	if (check->stream != NULL) {
		virStreamAbort(check->stream);
		virStreamFree(check->stream);
		virResetLastError();
	}
	if (check->log != NULL)
		fclose(check->log);
	g_clear_pointer(&check->marker, g_regex_unref);
	if (check->window != NULL)
		g_string_free(check->window, TRUE);
	g_free(check->log_path);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(FerryLibvirtCheck, ferry_libvirt_check_clear)

/* reads what the console has; TRUE when the marker has been printed */
static gboolean
ferry_libvirt_read_console(FerryLibvirtCheck *check)
{
	char buffer[16384];
	gboolean seen = FALSE;

	while (check->stream != NULL && !check->console_eof) {
		int got = virStreamRecv(check->stream, buffer, sizeof buffer);
		if (got == -2)
			break;
		if (got <= 0) {
			/* the domain stopped, or the console was taken by someone else */
			check->console_eof = TRUE;
			virResetLastError();
			break;
		}
		if (check->log != NULL) {
			fwrite(buffer, 1, (size_t)got, check->log);
			fflush(check->log);
		}
		g_string_append_len(check->window, buffer, got);
		if (check->window->len > CONSOLE_WINDOW)
			g_string_erase(check->window, 0,
				       (gssize)(check->window->len - CONSOLE_WINDOW));
		if (g_regex_match_full(check->marker, check->window->str,
				       (gssize)check->window->len, 0, 0, NULL, NULL)) {
			seen = TRUE;
			break;
		}
	}
	return seen;
}

static gboolean
ferry_libvirt_agent_answers(virDomainPtr domain)
{
	char *reply = virDomainQemuAgentCommand(domain, "{\"execute\":\"guest-ping\"}", 2, 0);
	gboolean answered = reply != NULL;
	free(reply);
	virResetLastError();
	return answered;
}

static gboolean
ferry_libvirt_open_log(FerryLibvirtCheck *check, GError **error)
{
	g_autofree char *dir = g_path_get_dirname(check->log_path);
	if (g_mkdir_with_parents(dir, 0755) != 0 ||
	    (check->log = fopen(check->log_path, "we")) == NULL) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, ferry_libvirt_errno_code(saved_errno),
			    "%s: cannot write the console log %s: %s", check->target->display,
			    check->log_path, g_strerror(saved_errno));
		return FALSE;
	}
	return TRUE;
}

/* starts the domain paused (or resets a running one) with the console attached */
static gboolean
ferry_libvirt_start_watched(FerryLibvirtCheck *check, char **console_note, GError **error)
{
	gboolean was_active = ferry_libvirt_is_active(check->domain);
	gboolean paused = FALSE;
	const char *display = check->target->display;

	if (!was_active) {
		paused = virDomainCreateWithFlags(check->domain, VIR_DOMAIN_START_PAUSED) == 0;
		/* drivers that cannot start paused (the test driver) start running */
		if (!paused && (virGetLastErrorCode() != VIR_ERR_INVALID_ARG ||
				virDomainCreate(check->domain) != 0)) {
			ferry_libvirt_set_error(error, NULL, "%s: cannot start the domain",
						display);
			return FALSE;
		}
		virResetLastError();
	}
	check->stream = virStreamNew(check->self->conn, VIR_STREAM_NONBLOCK);
	if (check->stream != NULL &&
	    virDomainOpenConsole(check->domain, NULL, check->stream, VIR_DOMAIN_CONSOLE_FORCE) !=
		0) {
		const char *message = virGetLastErrorMessage();
		*console_note = g_strdup_printf("the serial console could not be read (%s)",
						message != NULL ? message : "unknown error");
		virStreamFree(check->stream);
		check->stream = NULL;
		virResetLastError();
	}
	/* a domain create_vm started a moment ago is reset so the whole boot is seen */
	if (!was_active && !paused)
		return TRUE;
	if ((was_active ? virDomainReset(check->domain, 0) : virDomainResume(check->domain)) != 0) {
		ferry_libvirt_set_error(error, NULL, "%s: cannot %s the domain", display,
					was_active ? "reset" : "resume");
		return FALSE;
	}
	return TRUE;
}

static JsonObject *
ferry_libvirt_verify_vm(FerryProvider *provider,
			const char *vm_id,
			JsonObject *vm_spec,
			JsonObject *options,
			GCancellable *cancellable,
			GError **error)
{
	FerryLibvirtProvider *self = FERRY_LIBVIRT_PROVIDER(provider);
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(virDomain) domain = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonObject) result = json_object_new();
	g_autofree char *console_note = NULL;
	g_autofree char *tail = NULL;
	g_autofree char *message = NULL;
	g_autofree char *reason = NULL;
	g_auto(FerryLibvirtCheck) check = {0};
	const char *marker = options != NULL ? json_object_get_string_member_with_default(
						   options, "marker", DEFAULT_BOOT_MARKER)
					     : DEFAULT_BOOT_MARKER;
	gint64 timeout = options != NULL ? json_object_get_int_member_with_default(
					       options, "timeoutSeconds", DEFAULT_BOOT_TIMEOUT)
					 : DEFAULT_BOOT_TIMEOUT;
	gint64 start, deadline, next_ping, elapsed;
	gboolean booted = FALSE;
	gboolean cancelled = FALSE;

	if (!ferry_libvirt_check_connected(self, error))
		return NULL;
	target = ferry_libvirt_target(self, vm_spec, error);
	if (target == NULL || !ferry_libvirt_resolve_disks(self, target, error))
		return NULL;
	if (timeout <= 0)
		timeout = DEFAULT_BOOT_TIMEOUT;
	check.marker = g_regex_new(marker, G_REGEX_MULTILINE | G_REGEX_RAW, 0, &local_error);
	if (check.marker == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: the boot marker '%s' is not a valid regular expression (%s); fix "
			    "the Provider setting verifyBootMarker",
			    self->display, marker, local_error->message);
		return NULL;
	}
	domain = virDomainLookupByName(self->conn, vm_id != NULL ? vm_id : target->name);
	if (domain == NULL) {
		ferry_libvirt_set_error(error, "run the migration again to define it",
					"%s: the domain %s on %s", target->display, vm_id,
					self->uri);
		return NULL;
	}
	check.self = self;
	check.target = target;
	check.domain = domain;
	check.window = g_string_new(NULL);
	check.log_path = ferry_libvirt_console_log_path(self, target);
	if (!ferry_libvirt_open_log(&check, error) ||
	    !ferry_libvirt_start_watched(&check, &console_note, error)) {
		ferry_libvirt_stop(self, domain, FALSE, target->display, NULL);
		return NULL;
	}

	start = g_get_monotonic_time();
	deadline = start + timeout * G_USEC_PER_SEC;
	next_ping = start + AGENT_PING_INTERVAL_US;
	for (;;) {
		gint64 now;
		if (ferry_libvirt_read_console(&check)) {
			booted = TRUE;
			reason = g_strdup("MarkerSeen");
			message = g_strdup_printf("the console printed '%s'", marker);
			break;
		}
		now = g_get_monotonic_time();
		if (now >= next_ping) {
			next_ping = now + AGENT_PING_INTERVAL_US;
			if (ferry_libvirt_agent_answers(domain)) {
				booted = TRUE;
				reason = g_strdup("GuestAgent");
				message = g_strdup("the QEMU guest agent answered");
				break;
			}
		}
		if (g_cancellable_is_cancelled(cancellable)) {
			cancelled = TRUE;
			break;
		}
		if (!ferry_libvirt_is_active(domain)) {
			ferry_libvirt_read_console(&check);
			reason = g_strdup("Stopped");
			message = g_strdup("the domain stopped by itself before showing that it "
					   "booted");
			break;
		}
		if (now >= deadline) {
			reason = g_strdup("TimedOut");
			message = g_strdup_printf("no '%s' on the console and no answer from the "
						  "guest agent within %" G_GINT64_FORMAT " s%s%s",
						  marker, timeout, console_note != NULL ? "; " : "",
						  console_note != NULL ? console_note : "");
			break;
		}
		g_usleep(G_USEC_PER_SEC / 10);
	}
	elapsed = (g_get_monotonic_time() - start) / G_USEC_PER_SEC;

	/* an OS that booted shuts down cleanly; one that did not is powered off */
	if (!ferry_libvirt_stop(self, domain, booted && !cancelled, target->display, error))
		return NULL;
	if (cancelled) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
			    "%s: the boot check was cancelled after %" G_GINT64_FORMAT
			    " s; the domain is stopped",
			    target->display, elapsed);
		return NULL;
	}
	if (g_strcmp0(target->target_power_state, "on") == 0 && virDomainCreate(domain) != 0) {
		ferry_libvirt_set_error(error, "start it by hand",
					"%s: the boot check ended, but the domain could not be "
					"started again",
					target->display);
		return NULL;
	}
	tail = ferry_libvirt_console_tail(check.window->str, check.window->len,
					  CONSOLE_TAIL_LINES);
	json_object_set_boolean_member(result, "booted", booted);
	json_object_set_int_member(result, "seconds", elapsed);
	json_object_set_string_member(result, "reason", reason);
	json_object_set_string_member(result, "message", message);
	json_object_set_string_member(result, "marker", marker);
	json_object_set_string_member(result, "consoleTail", tail);
	json_object_set_string_member(result, "consoleLog", check.log_path);
	json_object_set_string_member(result, "domainType", self->domain_type);
	g_debug("%s: boot check: %s (%s)", target->display, booted ? "booted" : "not booted",
		message);
	return g_steal_pointer(&result);
}

static void
ferry_libvirt_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_provider_type = ferry_libvirt_get_provider_type;
	iface->get_capabilities = ferry_libvirt_get_capabilities;
	iface->connect = ferry_libvirt_connect;
	iface->prepare_disk = ferry_libvirt_prepare_disk;
	iface->create_vm = ferry_libvirt_create_vm;
	iface->remove_vm = ferry_libvirt_remove_vm;
	iface->remove_artifact = ferry_libvirt_remove_artifact;
	iface->verify_vm = ferry_libvirt_verify_vm;
}

/**
 * ferry_libvirt_provider_register:
 * @module: the plugin's module
 *
 * Registers the provider type in @module.
 */
void
ferry_libvirt_provider_register(GTypeModule *module)
{
	ferry_libvirt_provider_register_type(module);
}
