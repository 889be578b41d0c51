/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-ovirt-client.h"
#include "ferry-ovirt-inventory.h"
#include "ferry-ovirt-provider.h"

/* how long a guest gets to shut down before it is stopped (setting
 * guestShutdownSeconds overrides) */
#define GUEST_SHUTDOWN_SECONDS 300
/* how long an image transfer may take to reach the transferring phase */
#define TRANSFER_START_SECONDS 120
/* how long a backup may take to become ready */
#define BACKUP_READY_SECONDS 300

/* where ovirt.so and ferry-ovirt-imageio.py are */
char *ferry_ovirt_plugin_dir = NULL;

struct _FerryOvirtProvider {
	GObject parent_instance;
	GMutex lock; /* protects what follows */
	FerryOvirtClient *client;
	FerryProviderConfig *config;
	GHashTable *backups; /* id -> VM id: the backups it started, not finalized yet */
};

static void ferry_ovirt_provider_iface_init(FerryProviderInterface *iface);

G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryOvirtProvider, ferry_ovirt_provider, G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_ovirt_provider_iface_init))

void
ferry_ovirt_provider_register(GTypeModule *module)
{
	ferry_ovirt_provider_register_type(module);
}

static void
ferry_ovirt_provider_dispose(GObject *object)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(object);
	g_clear_pointer(&self->client, ferry_ovirt_client_free);
	g_clear_object(&self->config);
	g_clear_pointer(&self->backups, g_hash_table_unref);
	G_OBJECT_CLASS(ferry_ovirt_provider_parent_class)->dispose(object);
}

static void
ferry_ovirt_provider_finalize(GObject *object)
{
	g_mutex_clear(&FERRY_OVIRT_PROVIDER(object)->lock);
	G_OBJECT_CLASS(ferry_ovirt_provider_parent_class)->finalize(object);
}

static void
ferry_ovirt_provider_class_init(FerryOvirtProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->dispose = ferry_ovirt_provider_dispose;
	G_OBJECT_CLASS(klass)->finalize = ferry_ovirt_provider_finalize;
}

static void
ferry_ovirt_provider_class_finalize(FerryOvirtProviderClass *klass)
{
}

static void
ferry_ovirt_provider_init(FerryOvirtProvider *self)
{
	g_mutex_init(&self->lock);
	self->backups = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
}

static const char *
ferry_ovirt_get_provider_type(FerryProvider *provider)
{
	return "ovirt";
}

static FerryProviderCapabilities
ferry_ovirt_get_capabilities(FerryProvider *provider)
{
	/* SNAPSHOT and CHANGED_BLOCKS are incremental backups (warm migration) */
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_POWER |
	       FERRY_PROVIDER_CAPABILITY_SNAPSHOT | FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS |
	       FERRY_PROVIDER_CAPABILITY_WATCH | FERRY_PROVIDER_CAPABILITY_CREDENTIALS |
	       FERRY_PROVIDER_CAPABILITY_CERTIFICATE_PIN | FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS;
}

/* the client stays owned by the provider; connect happens once */
static FerryOvirtClient *
ferry_ovirt_get_client(FerryProvider *provider, GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	FerryOvirtClient *client;
	g_mutex_lock(&self->lock);
	client = self->client;
	g_mutex_unlock(&self->lock);
	if (client == NULL)
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "ovirt: the provider is not connected; connect it first");
	return client;
}

static gboolean
ferry_ovirt_connect(FerryProvider *provider, FerryProviderConfig *config, GCancellable *cancellable,
		    GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	g_autoptr(FerryOvirtClient) client = ferry_ovirt_client_new(config, error);
	g_autoptr(xmlDoc) api = NULL;

	if (client == NULL || !ferry_ovirt_client_login(client, cancellable, error))
		return FALSE;
	/* the API root proves the token works */
	api = ferry_ovirt_client_get(client, "", cancellable, error);
	if (api == NULL)
		return FALSE;
	g_mutex_lock(&self->lock);
	g_clear_pointer(&self->client, ferry_ovirt_client_free);
	g_clear_object(&self->config);
	self->client = g_steal_pointer(&client);
	self->config = g_object_ref(config);
	g_mutex_unlock(&self->lock);
	return TRUE;
}

static char *
ferry_ovirt_get_fingerprint(FerryProvider *provider)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, NULL);
	return client != NULL ? ferry_ovirt_client_dup_fingerprint(client) : NULL;
}

static gboolean
ferry_ovirt_load_inventory(FerryProvider *provider, FerryInventory *inventory,
			   GCancellable *cancellable, GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	if (client == NULL)
		return FALSE;
	return ferry_ovirt_inventory_load(client, inventory,
					  ferry_provider_config_get_name(self->config), cancellable,
					  error);
}

/* Forklift polls the engine's events every 10 s; the Provider setting
 * eventPollSeconds changes that */
static gboolean
ferry_ovirt_watch_inventory(FerryProvider *provider, FerryInventory *inventory,
			    GCancellable *cancellable, GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	const char *setting;
	guint seconds = 10;

	if (client == NULL)
		return FALSE;
	setting = ferry_provider_config_get_setting(self->config, "eventPollSeconds");
	if (setting != NULL && g_ascii_strtoull(setting, NULL, 10) > 0)
		seconds = (guint)MIN(g_ascii_strtoull(setting, NULL, 10), 3600);
	return ferry_ovirt_inventory_watch(client, inventory,
					   ferry_provider_config_get_name(self->config),
					   seconds * 1000, cancellable, error);
}

static JsonObject *
ferry_ovirt_test_connection(FerryProvider *provider, const char *const *namespaces,
			    GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autoptr(xmlDoc) api = NULL;
	JsonObject *report;
	g_autofree char *version = NULL;
	g_autofree char *fingerprint = NULL;

	if (client == NULL)
		return NULL;
	api = ferry_ovirt_client_get(client, "", cancellable, error);
	if (api == NULL)
		return NULL;
	report = json_object_new();
	version = ferry_ovirt_xml_text(xmlDocGetRootElement(api),
				       "product_info/version/full_version");
	if (version != NULL)
		json_object_set_string_member(report, "version", version);
	fingerprint = ferry_ovirt_client_dup_fingerprint(client);
	if (fingerprint != NULL)
		json_object_set_string_member(report, "fingerprint", fingerprint);
	return report;
}

/* --- power --- */

static char *
vm_path(const char *vm_id, const char *action)
{
	g_autofree char *escaped = g_uri_escape_string(vm_id, NULL, FALSE);
	return g_strdup_printf("/vms/%s%s%s", escaped, action != NULL ? "/" : "",
			       action != NULL ? action : "");
}

static char *
ferry_ovirt_vm_status(FerryOvirtClient *client, const char *vm_id, GCancellable *cancellable,
		      GError **error)
{
	g_autofree char *path = vm_path(vm_id, NULL);
	g_autoptr(xmlDoc) doc = ferry_ovirt_client_get(client, path, cancellable, error);
	if (doc == NULL)
		return NULL;
	return ferry_ovirt_xml_text(xmlDocGetRootElement(doc), "status");
}

static FerryPowerState
ferry_ovirt_get_power_state(FerryProvider *provider, const char *vm_id, GCancellable *cancellable,
			    GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autofree char *status = NULL;
	if (client == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	status = ferry_ovirt_vm_status(client, vm_id, cancellable, error);
	if (status == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	if (g_strcmp0(status, "down") == 0)
		return FERRY_POWER_STATE_OFF;
	if (g_strcmp0(status, "suspended") == 0)
		return FERRY_POWER_STATE_SUSPENDED;
	return FERRY_POWER_STATE_ON;
}

static gboolean
ferry_ovirt_wait_down(FerryOvirtClient *client, const char *vm_id, guint seconds,
		      GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;
	do {
		g_autofree char *status = ferry_ovirt_vm_status(client, vm_id, cancellable, error);
		if (status == NULL)
			return FALSE;
		if (g_strcmp0(status, "down") == 0)
			return TRUE;
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		g_usleep(G_USEC_PER_SEC);
	} while (g_get_monotonic_time() < deadline);
	return FALSE;
}

static gboolean ferry_ovirt_finalize_own_backups(FerryOvirtProvider *self, FerryOvirtClient *client,
						 const char *vm_id, const char *name,
						 GCancellable *cancellable, GError **error);

/* shutdown (the guest's ACPI), then stop after the timeout, as Forklift */
static gboolean
ferry_ovirt_power_off(FerryProvider *provider, const char *vm_id, GCancellable *cancellable,
		      GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autofree char *shutdown = vm_path(vm_id, "shutdown");
	g_autofree char *stop = vm_path(vm_id, "stop");
	g_autoptr(xmlDoc) reply = NULL;
	g_autoptr(xmlDoc) stopped = NULL;
	const char *setting;
	guint seconds = GUEST_SHUTDOWN_SECONDS;

	if (client == NULL)
		return FALSE;
	setting = ferry_provider_config_get_setting(self->config, "guestShutdownSeconds");
	if (setting != NULL)
		seconds = (guint)g_ascii_strtoull(setting, NULL, 10);
	/* the engine refuses to stop a VM during a (live) backup: the last
	 * precopy's is copied by now (warm cutover) */
	if (!ferry_ovirt_finalize_own_backups(self, client, vm_id, NULL, cancellable, error))
		return FALSE;
	reply = ferry_ovirt_client_post(client, shutdown, "<action/>", cancellable, error);
	if (reply == NULL)
		return FALSE;
	if (ferry_ovirt_wait_down(client, vm_id, seconds, cancellable, error))
		return TRUE;
	if (error != NULL && *error != NULL)
		return FALSE;
	g_message("ovirt: %s: VM %s did not shut down in %u s; stopping it",
		  ferry_ovirt_client_get_display(client), vm_id, seconds);
	stopped = ferry_ovirt_client_post(client, stop, "<action/>", cancellable, error);
	if (stopped == NULL)
		return FALSE;
	if (ferry_ovirt_wait_down(client, vm_id, 120, cancellable, error))
		return TRUE;
	if (error != NULL && *error == NULL)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
			    "ovirt: %s: VM %s is still not down two minutes after stop; check it "
			    "in the engine",
			    ferry_ovirt_client_get_display(client), vm_id);
	return FALSE;
}

static gboolean
ferry_ovirt_power_on(FerryProvider *provider, const char *vm_id, GCancellable *cancellable,
		     GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autofree char *start = vm_path(vm_id, "start");
	g_autoptr(xmlDoc) reply = NULL;
	if (client == NULL)
		return FALSE;
	reply = ferry_ovirt_client_post(client, start, "<action/>", cancellable, error);
	return reply != NULL;
}

/* --- direct LUNs --- */

/* Forklift's DetachDisks: the attachment goes, the disk (the LUN) stays */
static gboolean
ferry_ovirt_detach_disk(FerryProvider *provider, const char *vm_id, const char *disk_id,
			GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autofree char *escaped = g_uri_escape_string(disk_id, NULL, FALSE);
	g_autofree char *action = g_strdup_printf("diskattachments/%s", escaped);
	g_autofree char *path = vm_path(vm_id, action);
	g_autoptr(xmlDoc) reply = NULL;
	g_autoptr(GError) local_error = NULL;

	if (client == NULL)
		return FALSE;
	reply = ferry_ovirt_client_delete(client, path, cancellable, &local_error);
	if (reply != NULL || g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
		return TRUE; /* detached now, or before */
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

/* --- image transfers --- */

typedef struct {
	FerryOvirtClient *client; /* the provider's, which outlives its endpoints */
	char *transfer_id;
	gboolean closed;
} Transfer;

static void
transfer_free(Transfer *transfer)
{
	g_free(transfer->transfer_id);
	g_free(transfer);
}

static gboolean
ferry_ovirt_transfer_end(FerryOvirtClient *client, const char *transfer_id, const char *action,
			 GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(transfer_id, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("/imagetransfers/%s/%s", escaped, action);
	g_autoptr(xmlDoc) reply = ferry_ovirt_client_post(client, path, "<action/>", NULL, error);
	return reply != NULL;
}

/* closing the endpoint (after nbdkit stopped) finalizes the transfer */
static gboolean
transfer_close(gpointer user_data, GError **error)
{
	Transfer *transfer = user_data;
	if (transfer->closed)
		return TRUE;
	transfer->closed = TRUE;
	return ferry_ovirt_transfer_end(transfer->client, transfer->transfer_id, "finalize", error);
}

/* {url, cafile, insecure} for ferry-ovirt-imageio.py, in nbdkit's private
 * directory */
static gboolean
ferry_ovirt_write_transfer_file(FerryNbdServer *server, FerryOvirtClient *client, const char *url,
				char **argument, GError **error)
{
	g_autofree char *path = ferry_nbd_server_build_private_path(server, "transfer.json", error);
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) root = NULL;
	g_autofree char *text = NULL;
	gboolean ok;

	if (path == NULL)
		return FALSE;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "url");
	json_builder_add_string_value(builder, url);
	if (ferry_ovirt_client_get_ca_file(client) != NULL) {
		json_builder_set_member_name(builder, "cafile");
		json_builder_add_string_value(builder, ferry_ovirt_client_get_ca_file(client));
	}
	json_builder_set_member_name(builder, "insecure");
	json_builder_add_boolean_value(builder, ferry_ovirt_client_get_insecure(client));
	json_builder_end_object(builder);
	root = json_builder_get_root(builder);
	text = json_to_string(root, FALSE);
	ok = g_file_set_contents_full(path, text, -1, G_FILE_SET_CONTENTS_CONSISTENT, 0600, error);
	memset(text, 0, strlen(text));
	if (!ok)
		return FALSE;
	*argument = g_strdup_printf("transfer=%s", path);
	return TRUE;
}

/* creates an image transfer (download, raw) of a disk, or of the disk in a
 * backup, and waits until it is transferring; returns its URL (which holds
 * its ticket) and sets @transfer_id */
static char *
ferry_ovirt_start_transfer(FerryOvirtClient *client, const char *vm_id, const char *disk_id,
			   const char *backup_id, char **transfer_id, GCancellable *cancellable,
			   GError **error)
{
	g_autofree char *body = NULL;
	g_autofree char *id = NULL;
	g_autofree char *url = NULL;
	g_autoptr(xmlDoc) created = NULL;
	g_autoptr(GError) local_error = NULL;
	gint64 deadline;

	body = g_strdup_printf(
		"<image_transfer><disk id=\"%s\"/>%s%s%s<direction>download</direction>"
		"<format>raw</format><inactivity_timeout>300</inactivity_timeout>"
		"</image_transfer>",
		disk_id, backup_id != NULL ? "<backup id=\"" : "",
		backup_id != NULL ? backup_id : "", backup_id != NULL ? "\"/>" : "");
	created = ferry_ovirt_client_post(client, "/imagetransfers", body, cancellable, error);
	if (created == NULL)
		return NULL;
	id = ferry_ovirt_xml_id(xmlDocGetRootElement(created), NULL);
	if (id == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "ovirt: %s: the engine created an image transfer for disk %s without "
			    "an id",
			    ferry_ovirt_client_get_display(client), disk_id);
		return NULL;
	}
	/* wait for the transferring phase and its URL */
	deadline = g_get_monotonic_time() + TRANSFER_START_SECONDS * G_USEC_PER_SEC;
	for (;;) {
		g_autofree char *path = g_strdup_printf("/imagetransfers/%s", id);
		g_autoptr(xmlDoc) state =
			ferry_ovirt_client_get(client, path, cancellable, &local_error);
		g_autofree char *phase = NULL;
		if (state == NULL)
			break;
		phase = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "phase");
		if (g_strcmp0(phase, "transferring") == 0) {
			url = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "transfer_url");
			if (url == NULL || *url == '\0') {
				g_free(url);
				url = ferry_ovirt_xml_text(xmlDocGetRootElement(state),
							   "proxy_url");
			}
			break;
		}
		if (phase != NULL &&
		    (g_str_has_prefix(phase, "finished") || g_str_has_prefix(phase, "cancelled"))) {
			g_set_error(
				&local_error, FERRY_ERROR, FERRY_ERROR_FAILED,
				"ovirt: %s: the image transfer %s of disk %s ended (%s) before "
				"it started; check the disk and its storage domain in the engine",
				ferry_ovirt_client_get_display(client), id, disk_id, phase);
			break;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(&local_error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "ovirt: %s: the image transfer %s of disk %s is still %s after "
				    "%d s; check the hosts of its data center",
				    ferry_ovirt_client_get_display(client), id, disk_id,
				    phase != NULL ? phase : "starting", TRANSFER_START_SECONDS);
			break;
		}
		g_usleep(G_USEC_PER_SEC / 2);
	}
	if (url == NULL || *url == '\0') {
		if (local_error == NULL)
			g_set_error(
				&local_error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				"ovirt: %s: the image transfer %s of disk %s has no transfer_url "
				"or proxy_url",
				ferry_ovirt_client_get_display(client), id, disk_id);
		ferry_ovirt_transfer_end(client, id, "cancel", NULL);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	*transfer_id = g_steal_pointer(&id);
	return g_steal_pointer(&url);
}

/* @snapshot_id, when given, is a backup (create_snapshot): the disk is read
 * as the backup holds it */
static FerryDiskEndpoint *
ferry_ovirt_open_disk(FerryProvider *provider, const char *vm_id, const char *disk_id,
		      const char *snapshot_id, GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autofree char *disk_path = NULL;
	g_autofree char *escaped = NULL;
	g_autofree char *transfer_id = NULL;
	g_autofree char *url = NULL;
	g_autofree char *display = NULL;
	g_autofree char *transfer_argument = NULL;
	g_autofree char *script =
		g_build_filename(ferry_ovirt_plugin_dir, "ferry-ovirt-imageio.py", NULL);
	g_autoptr(xmlDoc) disk = NULL;
	g_autoptr(FerryNbdServer) server = NULL;
	FerryDiskEndpoint *endpoint;
	Transfer *transfer;
	gint64 size = 0;

	if (client == NULL)
		return NULL;
	escaped = g_uri_escape_string(disk_id, NULL, FALSE);
	disk_path = g_strdup_printf("/disks/%s", escaped);
	disk = ferry_ovirt_client_get(client, disk_path, cancellable, error);
	if (disk == NULL)
		return NULL;
	{
		g_autofree char *type =
			ferry_ovirt_xml_text(xmlDocGetRootElement(disk), "storage_type");
		g_autofree char *text =
			ferry_ovirt_xml_text(xmlDocGetRootElement(disk), "provisioned_size");
		if (g_strcmp0(type, "lun") == 0) {
			g_set_error(
				error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				"ovirt: %s: disk %s of VM %s is a direct LUN, which has no image "
				"to copy; map the LUN to the target yourself (Forklift makes a "
				"static PV/PVC for it in a cluster) or detach it from the VM",
				ferry_ovirt_client_get_display(client), disk_id, vm_id);
			return NULL;
		}
		size = text != NULL ? g_ascii_strtoll(text, NULL, 10) : 0;
	}
	url = ferry_ovirt_start_transfer(client, vm_id, disk_id, snapshot_id, &transfer_id,
					 cancellable, error);
	if (url == NULL)
		return NULL;

	display = g_strdup_printf("disk %s of VM %s (image transfer %s)", disk_id, vm_id,
				  transfer_id);
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, display);
	ferry_nbd_server_set_read_only(server, TRUE);
	ferry_nbd_server_set_secret(server, ferry_ovirt_client_get_secret(client));
	/* the transfer URL holds the ticket: it reaches nbdkit in a 0600 file */
	if (!ferry_ovirt_write_transfer_file(server, client, url, &transfer_argument, error)) {
		ferry_ovirt_transfer_end(client, transfer_id, "cancel", NULL);
		return NULL;
	}
	/* nbdkit's embedded interpreter takes its standard library from the first
	 * python3 on PATH: another one earlier there (pyenv, a venv) would give
	 * it a foreign one */
	ferry_nbd_server_setenv(server, "PATH", "/usr/bin:/bin:/usr/sbin:/sbin");
	ferry_nbd_server_add_argument(server, "python");
	ferry_nbd_server_add_argument(server, script);
	ferry_nbd_server_add_argument(server, transfer_argument);
	if (!ferry_nbd_server_start(server, cancellable, error)) {
		g_prefix_error(error, "ovirt: %s: %s: ", ferry_ovirt_client_get_display(client),
			       display);
		ferry_ovirt_transfer_end(client, transfer_id, "cancel", NULL);
		return NULL;
	}
	endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_SOURCE);
	if (size > 0)
		ferry_disk_endpoint_set_size(endpoint, (guint64)size);
	ferry_disk_endpoint_set_disk_id(endpoint, disk_id);
	transfer = g_new0(Transfer, 1);
	transfer->client = client;
	transfer->transfer_id = g_strdup(transfer_id);
	ferry_disk_endpoint_add_close_func(endpoint, transfer_close, transfer,
					   (GDestroyNotify)transfer_free);
	/* in the engine's ledger while open: a crash leaves it to remove_artifact */
	ferry_disk_endpoint_add_artifact(endpoint, "imagetransfer", transfer_id);
	return endpoint;
}

/* --- warm migration: incremental backups --- */

/* Warm migration is oVirt's incremental backup API: a "snapshot" of the
 * engine's warm itinerary is a backup of the VM's disks
 * (POST /vms/ID/backups), and the change id of each disk is the checkpoint
 * the backup creates (to_checkpoint_id). The next backup starts from the
 * VM's newest checkpoint (from_checkpoint_id), and imageio's
 * /extents?context=dirty of a transfer of it lists what changed since.
 * The engine allows one running backup per VM: the previous one is
 * finalized before the next starts, and remove_snapshot finalizes it if it
 * is still running; each is finalized once. */

static char *
backup_path(const char *vm_id, const char *backup_id, const char *action)
{
	g_autofree char *vm = g_uri_escape_string(vm_id, NULL, FALSE);
	g_autofree char *backup =
		backup_id != NULL ? g_uri_escape_string(backup_id, NULL, FALSE) : NULL;
	return g_strdup_printf("/vms/%s/backups%s%s%s%s", vm, backup != NULL ? "/" : "",
			       backup != NULL ? backup : "", action != NULL ? "/" : "",
			       action != NULL ? action : "");
}

static gboolean
backup_phase_running(const char *phase)
{
	return g_strcmp0(phase, "initializing") == 0 || g_strcmp0(phase, "starting") == 0 ||
	       g_strcmp0(phase, "ready") == 0;
}

static void
ferry_ovirt_forget_backup(FerryOvirtProvider *self, const char *backup_id)
{
	g_mutex_lock(&self->lock);
	g_hash_table_remove(self->backups, backup_id);
	g_mutex_unlock(&self->lock);
}

/* finalizes a backup that still runs; one that is finalizing, finished or
 * gone is left alone (never finalized twice) */
static gboolean
ferry_ovirt_finalize_backup(FerryOvirtProvider *self, FerryOvirtClient *client, const char *vm_id,
			    const char *backup_id, GCancellable *cancellable, GError **error)
{
	g_autofree char *path = backup_path(vm_id, backup_id, NULL);
	g_autofree char *finalize = backup_path(vm_id, backup_id, "finalize");
	g_autoptr(GError) local_error = NULL;
	g_autoptr(xmlDoc) state = ferry_ovirt_client_get(client, path, cancellable, &local_error);
	g_autoptr(xmlDoc) reply = NULL;
	g_autofree char *phase = NULL;

	if (state == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			ferry_ovirt_forget_backup(self, backup_id);
			return TRUE;
		}
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	phase = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "phase");
	if (backup_phase_running(phase)) {
		reply = ferry_ovirt_client_post(client, finalize, "<action/>", cancellable, error);
		if (reply == NULL) {
			g_prefix_error(error, "finalizing backup %s of VM %s: ", backup_id, vm_id);
			return FALSE;
		}
	}
	ferry_ovirt_forget_backup(self, backup_id);
	return TRUE;
}

/* finalizes the backups of the VM that Ferry started and that still run:
 * those this provider remembers, and (after a restart) those whose
 * description is a Ferry snapshot name; with @name, only that one */
static gboolean
ferry_ovirt_finalize_own_backups(FerryOvirtProvider *self, FerryOvirtClient *client,
				 const char *vm_id, const char *name, GCancellable *cancellable,
				 GError **error)
{
	g_autofree char *path = backup_path(vm_id, NULL, NULL);
	g_autoptr(GError) local_error = NULL;
	g_autoptr(xmlDoc) list = ferry_ovirt_client_get(client, path, cancellable, &local_error);

	if (list == NULL) {
		/* an engine without backups has none to finalize */
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	for (xmlNode *b = ferry_ovirt_xml_child(xmlDocGetRootElement(list), "backup"); b != NULL;
	     b = ferry_ovirt_xml_next(b, "backup")) {
		g_autofree char *id = ferry_ovirt_xml_id(b, NULL);
		g_autofree char *phase = ferry_ovirt_xml_text(b, "phase");
		g_autofree char *description = ferry_ovirt_xml_text(b, "description");
		gboolean ours;
		if (id == NULL || !backup_phase_running(phase))
			continue;
		g_mutex_lock(&self->lock);
		ours = g_hash_table_contains(self->backups, id);
		g_mutex_unlock(&self->lock);
		if (name != NULL)
			ours = g_strcmp0(description, name) == 0;
		else
			ours = ours || g_str_has_prefix(description != NULL ? description : "",
							"ferry-migration-");
		if (ours &&
		    !ferry_ovirt_finalize_backup(self, client, vm_id, id, cancellable, error))
			return FALSE;
	}
	return TRUE;
}

/* the disks of the VM a backup covers: every attached image (not direct
 * LUNs); each must have incremental backup enabled */
static GPtrArray *
ferry_ovirt_backup_disks(FerryOvirtClient *client, const char *vm_id, GCancellable *cancellable,
			 GError **error)
{
	g_autofree char *path = vm_path(vm_id, "diskattachments");
	g_autoptr(xmlDoc) attachments = ferry_ovirt_client_get(client, path, cancellable, error);
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_free);

	if (attachments == NULL)
		return NULL;
	for (xmlNode *a =
		     ferry_ovirt_xml_child(xmlDocGetRootElement(attachments), "disk_attachment");
	     a != NULL; a = ferry_ovirt_xml_next(a, "disk_attachment")) {
		g_autofree char *disk_id = ferry_ovirt_xml_id(a, "disk");
		g_autofree char *escaped = NULL;
		g_autofree char *disk_path = NULL;
		g_autofree char *type = NULL;
		g_autofree char *backup = NULL;
		g_autoptr(xmlDoc) disk = NULL;
		if (disk_id == NULL)
			continue;
		escaped = g_uri_escape_string(disk_id, NULL, FALSE);
		disk_path = g_strdup_printf("/disks/%s", escaped);
		disk = ferry_ovirt_client_get(client, disk_path, cancellable, error);
		if (disk == NULL)
			return NULL;
		type = ferry_ovirt_xml_text(xmlDocGetRootElement(disk), "storage_type");
		if (g_strcmp0(type, "lun") == 0)
			continue;
		backup = ferry_ovirt_xml_text(xmlDocGetRootElement(disk), "backup");
		if (backup != NULL && g_strcmp0(backup, "incremental") != 0) {
			g_set_error(
				error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				"ovirt: %s: disk %s of VM %s has incremental backup %s (backup: "
				"%s), which a warm migration needs; enable it on the disk in "
				"the engine (Edit Disk, Enable Incremental Backup), or migrate "
				"the VM cold",
				ferry_ovirt_client_get_display(client), disk_id, vm_id, "disabled",
				backup);
			return NULL;
		}
		g_ptr_array_add(disks, g_steal_pointer(&disk_id));
	}
	if (disks->len == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "ovirt: %s: VM %s has no disk image to back up for a warm migration; "
			    "migrate it cold",
			    ferry_ovirt_client_get_display(client), vm_id);
		return NULL;
	}
	return g_steal_pointer(&disks);
}

/* the VM's newest checkpoint (the one no other names as its parent), or
 * NULL when it has none */
static char *
ferry_ovirt_leaf_checkpoint(FerryOvirtClient *client, const char *vm_id, GCancellable *cancellable,
			    GError **error)
{
	g_autofree char *path = vm_path(vm_id, "checkpoints");
	g_autoptr(GError) local_error = NULL;
	g_autoptr(xmlDoc) list = ferry_ovirt_client_get(client, path, cancellable, &local_error);
	g_autoptr(GHashTable) parents =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	char *leaf = NULL;

	if (list == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return NULL;
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	for (xmlNode *c = ferry_ovirt_xml_child(xmlDocGetRootElement(list), "checkpoint");
	     c != NULL; c = ferry_ovirt_xml_next(c, "checkpoint")) {
		char *parent = ferry_ovirt_xml_text(c, "parent_id");
		if (parent != NULL && *parent != '\0')
			g_hash_table_add(parents, parent);
		else
			g_free(parent);
	}
	for (xmlNode *c = ferry_ovirt_xml_child(xmlDocGetRootElement(list), "checkpoint");
	     c != NULL; c = ferry_ovirt_xml_next(c, "checkpoint")) {
		g_autofree char *id = ferry_ovirt_xml_id(c, NULL);
		if (id != NULL && !g_hash_table_contains(parents, id)) {
			g_free(leaf);
			leaf = g_steal_pointer(&id);
		}
	}
	return leaf;
}

static FerrySnapshot *
ferry_ovirt_create_snapshot(FerryProvider *provider, const char *vm_id, const char *name,
			    FerrySnapshotFlags flags, GCancellable *cancellable, GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GString) body = NULL;
	g_autoptr(xmlDoc) created = NULL;
	g_autofree char *from = NULL;
	g_autofree char *backup_id = NULL;
	g_autofree char *to = NULL;
	g_autofree char *collection = NULL;
	g_autofree char *path = NULL;
	g_autofree char *escaped_name = NULL;
	FerrySnapshot *snapshot;
	gint64 deadline;

	if (client == NULL)
		return NULL;
	disks = ferry_ovirt_backup_disks(client, vm_id, cancellable, error);
	if (disks == NULL)
		return NULL;
	/* one backup at a time: the previous precopy's is done with */
	if (!ferry_ovirt_finalize_own_backups(self, client, vm_id, NULL, cancellable, error))
		return NULL;
	from = ferry_ovirt_leaf_checkpoint(client, vm_id, cancellable, error);
	if (error != NULL && *error != NULL)
		return NULL;
	escaped_name = g_markup_escape_text(name, -1);
	body = g_string_new("<backup>");
	g_string_append_printf(body, "<description>%s</description>", escaped_name);
	if (from != NULL)
		g_string_append_printf(body, "<from_checkpoint_id>%s</from_checkpoint_id>", from);
	g_string_append(body, "<disks>");
	for (guint i = 0; i < disks->len; i++)
		g_string_append_printf(body, "<disk id=\"%s\"/>",
				       (const char *)g_ptr_array_index(disks, i));
	g_string_append(body, "</disks></backup>");
	collection = backup_path(vm_id, NULL, NULL);
	created = ferry_ovirt_client_post(client, collection, body->str, cancellable, error);
	if (created == NULL) {
		g_prefix_error(error, "starting backup '%s' of VM %s for a warm migration: ", name,
			       vm_id);
		return NULL;
	}
	backup_id = ferry_ovirt_xml_id(xmlDocGetRootElement(created), NULL);
	if (backup_id == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "ovirt: %s: the engine started a backup of VM %s without an id",
			    ferry_ovirt_client_get_display(client), vm_id);
		return NULL;
	}
	g_mutex_lock(&self->lock);
	g_hash_table_replace(self->backups, g_strdup(backup_id), g_strdup(vm_id));
	g_mutex_unlock(&self->lock);

	/* wait until it is ready: then its checkpoint is known */
	path = backup_path(vm_id, backup_id, NULL);
	deadline = g_get_monotonic_time() + BACKUP_READY_SECONDS * G_USEC_PER_SEC;
	for (;;) {
		g_autoptr(xmlDoc) state = ferry_ovirt_client_get(client, path, cancellable, error);
		g_autofree char *phase = NULL;
		if (state == NULL) {
			/* best effort: the next backup or the shutdown tries again */
			ferry_ovirt_finalize_backup(self, client, vm_id, backup_id, NULL, NULL);
			return NULL;
		}
		phase = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "phase");
		if (g_strcmp0(phase, "ready") == 0) {
			to = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "to_checkpoint_id");
			break;
		}
		if (!backup_phase_running(phase)) {
			ferry_ovirt_forget_backup(self, backup_id);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "ovirt: %s: backup %s of VM %s ended (%s) before it was ready; "
				    "see the VM's events in the engine",
				    ferry_ovirt_client_get_display(client), backup_id, vm_id,
				    phase != NULL ? phase : "no phase");
			return NULL;
		}
		if (g_get_monotonic_time() > deadline) {
			ferry_ovirt_finalize_backup(self, client, vm_id, backup_id, NULL, NULL);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "ovirt: %s: backup %s of VM %s is still %s after %d s; check "
				    "the VM's host",
				    ferry_ovirt_client_get_display(client), backup_id, vm_id, phase,
				    BACKUP_READY_SECONDS);
			return NULL;
		}
		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_ovirt_finalize_backup(self, client, vm_id, backup_id, NULL, NULL);
			return NULL;
		}
		g_usleep(G_USEC_PER_SEC / 2);
	}
	if (to == NULL || *to == '\0') {
		ferry_ovirt_finalize_backup(self, client, vm_id, backup_id, NULL, NULL);
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "ovirt: %s: backup %s of VM %s made no checkpoint, so later precopies "
			    "cannot be incremental; a warm migration needs oVirt 4.4 or later "
			    "with incremental backup enabled on the VM's disks",
			    ferry_ovirt_client_get_display(client), backup_id, vm_id);
		return NULL;
	}
	snapshot = ferry_snapshot_new(vm_id, backup_id);
	for (guint i = 0; i < disks->len; i++)
		ferry_snapshot_set_change_id(snapshot, g_ptr_array_index(disks, i), to);
	return snapshot;
}

static gboolean
ferry_ovirt_remove_snapshot(FerryProvider *provider, const char *vm_id, const char *snapshot_id,
			    GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	if (client == NULL)
		return FALSE;
	/* the checkpoint stays: the engine keeps the chain */
	return ferry_ovirt_finalize_backup(FERRY_OVIRT_PROVIDER(provider), client, vm_id,
					   snapshot_id, cancellable, error);
}

/* what changed in a disk since @change_id (a checkpoint), as the backup
 * @snapshot_id holds it: imageio's dirty extents of a transfer of it; `*`
 * means every area with data (its zero extents) */
static FerryExtentList *
ferry_ovirt_get_changed_areas(FerryProvider *provider, const char *vm_id, const char *disk_id,
			      const char *snapshot_id, const char *change_id,
			      GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	gboolean incremental = g_strcmp0(change_id, "*") != 0;
	g_autofree char *path = NULL;
	g_autofree char *from = NULL;
	g_autofree char *phase = NULL;
	g_autofree char *transfer_id = NULL;
	g_autofree char *url = NULL;
	g_autofree char *extents_url = NULL;
	g_autofree char *what = NULL;
	g_autoptr(xmlDoc) state = NULL;
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(FerryExtentList) areas = ferry_extent_list_new();
	JsonArray *extents;

	if (client == NULL)
		return NULL;
	if (snapshot_id == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "ovirt: %s: changed areas of disk %s of VM %s need a backup",
			    ferry_ovirt_client_get_display(client), disk_id, vm_id);
		return NULL;
	}
	what = g_strdup_printf("changed areas of disk %s of VM %s in backup %s since %s%s", disk_id,
			       vm_id, snapshot_id, incremental ? "checkpoint " : "",
			       incremental ? change_id : "the start");
	path = backup_path(vm_id, snapshot_id, NULL);
	state = ferry_ovirt_client_get(client, path, cancellable, error);
	if (state == NULL)
		return NULL;
	phase = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "phase");
	from = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "from_checkpoint_id");
	if (g_strcmp0(phase, "ready") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "ovirt: %s: %s: the backup is %s, not ready; start the migration "
			    "again",
			    ferry_ovirt_client_get_display(client), what,
			    phase != NULL ? phase : "in no phase");
		return NULL;
	}
	/* the dirty extents are relative to the backup's start: it must be the
	 * checkpoint the target holds */
	if (incremental && g_strcmp0(from, change_id) != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "ovirt: %s: %s: the backup starts from checkpoint %s, not from the "
			    "one the target holds; another backup of the VM was taken during the "
			    "migration: start the migration again",
			    ferry_ovirt_client_get_display(client), what,
			    from != NULL && *from != '\0' ? from : "(none: a full backup)");
		return NULL;
	}
	url = ferry_ovirt_start_transfer(client, vm_id, disk_id, snapshot_id, &transfer_id,
					 cancellable, error);
	if (url == NULL)
		return NULL;
	extents_url = g_strdup_printf("%s/extents?context=%s", url, incremental ? "dirty" : "zero");
	root = ferry_ovirt_client_fetch_json(client, extents_url, what, cancellable, &local_error);
	memset(extents_url, 0, strlen(extents_url));
	memset(url, 0, strlen(url));
	if (!ferry_ovirt_transfer_end(client, transfer_id, "finalize",
				      local_error == NULL ? &local_error : NULL) ||
	    local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	if (!JSON_NODE_HOLDS_ARRAY(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "ovirt: %s: %s: imageio's extents are not a list",
			    ferry_ovirt_client_get_display(client), what);
		return NULL;
	}
	extents = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(extents); i++) {
		JsonObject *e = ferry_json_array_object(extents, i);
		gint64 start = e != NULL ? ferry_json_get_int_or(e, "start", -1) : -1;
		gint64 length = e != NULL ? ferry_json_get_int_or(e, "length", -1) : -1;
		gboolean wanted;
		if (start < 0 || length <= 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "ovirt: %s: %s: imageio sent an extent without a start and "
				    "length",
				    ferry_ovirt_client_get_display(client), what);
			return NULL;
		}
		wanted = incremental ? ferry_json_get_bool_or(e, "dirty", FALSE)
				     : !ferry_json_get_bool_or(e, "zero", FALSE);
		if (wanted && !ferry_extent_list_add(areas, (guint64)start, (guint64)length,
						     FERRY_EXTENT_FLAG_NONE, error)) {
			g_prefix_error(error,
				       "ovirt: %s: %s: ", ferry_ovirt_client_get_display(client),
				       what);
			return NULL;
		}
	}
	return g_steal_pointer(&areas);
}

/* a transfer left by a crashed run: finalize it once */
static gboolean
ferry_ovirt_remove_artifact(FerryProvider *provider, const char *kind, const char *id,
			    JsonObject *details, GCancellable *cancellable, GError **error)
{
	FerryOvirtClient *client = ferry_ovirt_get_client(provider, error);
	g_autoptr(GError) local_error = NULL;
	g_autofree char *path = NULL;
	g_autoptr(xmlDoc) state = NULL;
	g_autofree char *phase = NULL;

	if (client == NULL)
		return FALSE;
	if (g_strcmp0(kind, "snapshot") == 0) {
		/* a backup of a warm migration: finalized, by id or by name */
		const char *vm_id = details != NULL ? ferry_json_get_string(details, "vmId") : NULL;
		if (vm_id == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "ovirt: backup %s: the ledger entry has no vmId", id);
			return FALSE;
		}
		if (ferry_json_get_bool_or(details, "byName", FALSE))
			return ferry_ovirt_finalize_own_backups(FERRY_OVIRT_PROVIDER(provider),
								client, vm_id, id, cancellable,
								error);
		return ferry_ovirt_finalize_backup(FERRY_OVIRT_PROVIDER(provider), client, vm_id,
						   id, cancellable, error);
	}
	if (g_strcmp0(kind, "imagetransfer") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "ovirt: the provider creates only image transfers and backups, not %s "
			    "objects (%s)",
			    kind, id);
		return FALSE;
	}
	path = g_strdup_printf("/imagetransfers/%s", id);
	state = ferry_ovirt_client_get(client, path, cancellable, &local_error);
	if (state == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return TRUE; /* gone already */
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	phase = ferry_ovirt_xml_text(xmlDocGetRootElement(state), "phase");
	if (phase != NULL &&
	    (g_str_has_prefix(phase, "finaliz") || g_str_has_prefix(phase, "finished") ||
	     g_str_has_prefix(phase, "cancelled")))
		return TRUE;
	return ferry_ovirt_transfer_end(client, id, "finalize", error);
}

/* --- the normalised description of a VM (describe_vm) --- */

static const char *
bus_of(const char *interface)
{
	if (g_strcmp0(interface, "virtio_scsi") == 0 || g_strcmp0(interface, "spapr_vscsi") == 0)
		return "scsi";
	if (g_strcmp0(interface, "sata") == 0 || g_strcmp0(interface, "ide") == 0)
		return "sata";
	return "virtio";
}

/*
 * A direct LUN as the description's `luns` give it: its first logical unit
 * (as Forklift: multipath is the node's business), over iSCSI when the unit
 * has an address (portal address:port, target IQN, LUN number), else Fibre
 * Channel by its WWID (the unit's id). Its size is the unit's: the disk's
 * provisioned size of a LUN is 0.
 */
static JsonObject *
ferry_ovirt_describe_lun(JsonObject *disk, const char *id, const char *bus, GError **error)
{
	JsonArray *units = ferry_json_get_array(
	    ferry_json_get_object(ferry_json_get_object(disk, "lun"), "logicalUnits"), "logicalUnit");
	JsonObject *unit = units != NULL && json_array_get_length(units) > 0
			       ? ferry_json_array_object(units, 0)
			       : NULL;
	const char *alias = ferry_json_get_string(disk, "alias");
	const char *address = unit != NULL ? ferry_json_get_string(unit, "address") : NULL;
	gint64 size = unit != NULL ? ferry_json_get_int_or(unit, "size", 0) : 0;
	g_autoptr(JsonObject) out = json_object_new();

	if (id == NULL || unit == NULL || size <= 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the direct LUN disk %s has %s; an engine older than 4.5.2.1 does not "
			    "give a LUN's details: upgrade it, or set spec.settings.skipDirectLuns: "
			    "\"true\" on the Provider to migrate the VM without the LUN",
			    alias != NULL ? alias : (id != NULL ? id : "?"),
			    unit == NULL ? "no logical unit" : "a logical unit of no size");
		return NULL;
	}
	json_object_set_string_member(out, "id", id);
	if (alias != NULL)
		json_object_set_string_member(out, "alias", alias);
	json_object_set_int_member(out, "capacity", size);
	json_object_set_string_member(out, "bus", bus);
	if (address != NULL && *address != '\0') {
		JsonObject *iscsi = json_object_new();
		const char *port = ferry_json_get_string(unit, "port");
		g_autofree char *portal = g_strdup_printf(
		    "%s:%s", address, port != NULL && *port != '\0' ? port : "3260");
		json_object_set_string_member(iscsi, "targetPortal", portal);
		json_object_set_string_member(iscsi, "iqn", ferry_json_get_string_or(unit, "target", ""));
		json_object_set_int_member(iscsi, "lun", ferry_json_get_int_or(unit, "lunMapping", 0));
		json_object_set_object_member(out, "iscsi", iscsi);
	} else {
		JsonObject *fc = json_object_new();
		JsonArray *wwids = json_array_new();
		json_array_add_string_element(wwids, ferry_json_get_string_or(unit, "lunId", ""));
		json_object_set_array_member(fc, "wwids", wwids);
		json_object_set_object_member(out, "fc", fc);
	}
	return g_steal_pointer(&out);
}

static JsonObject *
ferry_ovirt_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	FerryOvirtProvider *self = FERRY_OVIRT_PROVIDER(provider);
	gboolean skip_luns =
	    self->config != NULL &&
	    g_strcmp0(ferry_provider_config_get_setting(self->config, "skipDirectLuns"), "true") == 0;
	JsonObject *out = json_object_new();
	JsonArray *attachments = ferry_json_get_array(vm, "diskAttachments");
	JsonArray *in_nics = ferry_json_get_array(vm, "nics");
	JsonArray *disks = json_array_new();
	JsonArray *luns = json_array_new();
	JsonArray *nics = json_array_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	const char *bios = ferry_json_get_string_or(vm, "bios", "");

	json_object_set_string_member(out, "name", ferry_json_get_string_or(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets",
				   MAX(1, ferry_json_get_int_or(vm, "cpuSockets", 1)));
	json_object_set_int_member(cpu, "cores", MAX(1, ferry_json_get_int_or(vm, "cpuCores", 1)));
	json_object_set_int_member(cpu, "threads",
				   MAX(1, ferry_json_get_int_or(vm, "cpuThreads", 1)));
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(
		out, "memoryMiB",
		MAX(1, ferry_json_get_int_or(vm, "memory", 1 << 30) / (1024 * 1024)));
	json_object_set_string_member(firmware, "type",
				      g_str_has_prefix(bios, "q35_ovmf") ||
						      g_str_has_prefix(bios, "q35_secure")
					      ? "efi"
					      : "bios");
	json_object_set_boolean_member(firmware, "secureBoot",
				       g_str_has_prefix(bios, "q35_secure"));
	json_object_set_object_member(out, "firmware", firmware);
	for (guint i = 0; attachments != NULL && i < json_array_get_length(attachments); i++) {
		JsonObject *a = ferry_json_array_object(attachments, i);
		JsonObject *d;
		JsonNode *disk_node = a != NULL ? json_object_get_member(a, "disk") : NULL;
		JsonObject *disk = a;
		const char *id = NULL;
		if (a == NULL)
			continue;
		/* the VM document names its disk by id; a workload holds the disk */
		if (disk_node != NULL && JSON_NODE_HOLDS_OBJECT(disk_node)) {
			disk = json_node_get_object(disk_node);
			id = ferry_json_get_string(disk, "id");
		} else {
			id = ferry_json_get_string(a, "disk");
		}
		/* a direct LUN has no image: it moves without a copy (a static
		 * PV/PVC on a cluster, as Forklift), or is left out when asked */
		if (g_strcmp0(ferry_json_get_string(disk, "storageType"), "lun") == 0) {
			const char *vm_name = ferry_json_get_string_or(vm, "name", "?");
			const char *disk_name = ferry_json_get_string_or(
			    disk, "alias", id != NULL ? id : "?");
			JsonObject *lun;
			if (skip_luns) {
				g_message("ovirt: VM %s: the direct LUN disk %s is left out "
					  "(skipDirectLuns)",
					  vm_name, disk_name);
				continue;
			}
			lun = ferry_ovirt_describe_lun(disk, id, bus_of(ferry_json_get_string(a, "interface")),
						       error);
			if (lun == NULL) {
				g_prefix_error(error, "ovirt: VM %s: ", vm_name);
				json_array_unref(luns);
				json_array_unref(disks);
				json_array_unref(nics);
				json_object_unref(out);
				return NULL;
			}
			json_array_add_object_element(luns, lun);
			continue;
		}
		d = json_object_new();
		json_object_set_string_member(
			d, "id", id != NULL ? id : ferry_json_get_string_or(a, "id", "disk"));
		json_object_set_int_member(d, "capacity",
					   MAX(ferry_json_get_int_or(disk, "provisionedSize", 0),
					       ferry_json_get_int_or(disk, "actualSize", 0)));
		if (ferry_json_get_string(disk, "storageDomain") != NULL)
			json_object_set_string_member(d, "storage",
						      ferry_json_get_string(disk, "storageDomain"));
		json_object_set_string_member(d, "bus",
					      bus_of(ferry_json_get_string(a, "interface")));
		json_object_set_string_member(d, "fileName", id != NULL ? id : "disk");
		json_object_set_boolean_member(d, "shared",
					       ferry_json_get_bool_or(disk, "shared", FALSE));
		json_array_add_object_element(disks, d);
	}
	for (guint i = 0; in_nics != NULL && i < json_array_get_length(in_nics); i++) {
		JsonObject *n = ferry_json_array_object(in_nics, i);
		JsonObject *nic;
		const char *model;
		if (n == NULL)
			continue;
		nic = json_object_new();
		model = ferry_json_get_string_or(n, "interface", "virtio");
		if (ferry_json_get_string(n, "mac") != NULL &&
		    *ferry_json_get_string(n, "mac") != '\0')
			json_object_set_string_member(nic, "mac", ferry_json_get_string(n, "mac"));
		if (ferry_json_get_string(n, "network") != NULL)
			json_object_set_string_member(nic, "network",
						      ferry_json_get_string(n, "network"));
		json_object_set_string_member(nic, "model",
					      g_strcmp0(model, "e1000") == 0 ||
							      g_strcmp0(model, "rtl8139") == 0
						      ? model
						      : "virtio");
		if (ferry_json_get_string(n, "name") != NULL)
			json_object_set_string_member(nic, "name",
						      ferry_json_get_string(n, "name"));
		json_array_add_object_element(nics, nic);
	}
	json_object_set_array_member(out, "disks", disks);
	if (json_array_get_length(luns) > 0)
		json_object_set_array_member(out, "luns", luns);
	else
		json_array_unref(luns);
	json_object_set_array_member(out, "nics", nics);
	return out;
}

static void
ferry_ovirt_get_map_kinds(FerryProvider *provider, const char **network_kind,
			  const char **storage_kind)
{
	*network_kind = "network";
	*storage_kind = "storagedomain";
}

static const char *const *
ferry_ovirt_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	static const char *const keys[] = {"user", "password", NULL};
	*needs_ca = TRUE;
	return keys;
}

/* Forklift switches warm migration from oVirt with a feature gate */
static const char *
ferry_ovirt_get_feature_gate(FerryProvider *provider, const char *migration_type)
{
	return g_strcmp0(migration_type, "warm") == 0 ? "controller_ovirt_warm_migration" : NULL;
}

static void
ferry_ovirt_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_feature_gate = ferry_ovirt_get_feature_gate;
	iface->get_provider_type = ferry_ovirt_get_provider_type;
	iface->get_capabilities = ferry_ovirt_get_capabilities;
	iface->connect = ferry_ovirt_connect;
	iface->get_fingerprint = ferry_ovirt_get_fingerprint;
	iface->load_inventory = ferry_ovirt_load_inventory;
	iface->watch_inventory = ferry_ovirt_watch_inventory;
	iface->test_connection = ferry_ovirt_test_connection;
	iface->get_power_state = ferry_ovirt_get_power_state;
	iface->power_off = ferry_ovirt_power_off;
	iface->power_on = ferry_ovirt_power_on;
	iface->remove_artifact = ferry_ovirt_remove_artifact;
	iface->create_snapshot = ferry_ovirt_create_snapshot;
	iface->remove_snapshot = ferry_ovirt_remove_snapshot;
	iface->get_changed_areas = ferry_ovirt_get_changed_areas;
	iface->open_disk = ferry_ovirt_open_disk;
	iface->describe_vm = ferry_ovirt_describe_vm;
	iface->detach_disk = ferry_ovirt_detach_disk;
	iface->get_map_kinds = ferry_ovirt_get_map_kinds;
	iface->get_secret_keys = ferry_ovirt_get_secret_keys;
}
