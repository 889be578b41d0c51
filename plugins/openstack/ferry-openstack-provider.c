/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The `openstack` provider: VMs (Nova servers) of an OpenStack cloud, as
 * Forklift's OpenStack provider migrates them (cold only). Before the copy
 * (pre_transfer), the server is powered off and every disk becomes a Glance
 * image: the root disk of an image-booted server through Nova's createImage,
 * each attached volume through a Cinder snapshot, a volume from it and
 * upload-to-image. Each temporary object carries Forklift's name
 * (`forklift-migration-vm-<vm>` and `…-volume-<volume>`), so a Forklift user
 * recognises them and the clean-up finds them by name after a crash; the
 * engine records the preparation in its ledger before anything is created.
 * open_disk() serves a Glance image's data (GET /v2/images/ID/file, Range
 * reads) through nbdkit (its python plugin with ferry-openstack-glance.py:
 * Glance answers no HEAD, which nbdkit's curl plugin needs), the token in a
 * header read from a 0600 file, and decodes qcow2 with qemu-nbd on top.
 */

#include "config.h"

#include <string.h>

#include "ferry-openstack-client.h"
#include "ferry-openstack-glance-script.h"
#include "ferry-openstack-inventory.h"
#include "ferry-openstack-provider.h"

#define OPENSTACK_ROOT_DISK FERRY_OPENSTACK_ROOT_DISK
#define OPENSTACK_WAIT_SECONDS (30 * 60)

struct _FerryOpenstackProvider {
	GObject parent_instance;
	GMutex lock;
	char *name; /* Provider/ns/name */
	FerryOpenstackClient *client;
};

static void ferry_openstack_provider_iface_init(FerryProviderInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryOpenstackProvider,
			       ferry_openstack_provider,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_PROVIDER,
							     ferry_openstack_provider_iface_init))

void
ferry_openstack_provider_register(GTypeModule *module)
{
	ferry_openstack_provider_register_type(module);
}

static void
ferry_openstack_provider_finalize(GObject *object)
{
	FerryOpenstackProvider *self = FERRY_OPENSTACK_PROVIDER(object);
	g_free(self->name);
	g_clear_object(&self->client);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_openstack_provider_parent_class)->finalize(object);
}

static void
ferry_openstack_provider_class_init(FerryOpenstackProviderClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_openstack_provider_finalize;
}

static void
ferry_openstack_provider_class_finalize(FerryOpenstackProviderClass *klass)
{
}

static void
ferry_openstack_provider_init(FerryOpenstackProvider *self)
{
	g_mutex_init(&self->lock);
}

/**
 * ferry_openstack_image_name:
 * @vm_id: the server's id
 * @volume_id: (nullable): an attached volume's id, %NULL for the root disk
 *   of an image-booted server
 *
 * Returns: (transfer full): Forklift's name of the temporary image (and of
 *   the snapshot and volume a volume goes through)
 */
char *
ferry_openstack_image_name(const char *vm_id, const char *volume_id)
{
	if (volume_id == NULL)
		return g_strdup_printf("forklift-migration-vm-%s", vm_id);
	return g_strdup_printf("forklift-migration-vm-%s-volume-%s", vm_id, volume_id);
}

static const char *
openstack_get_provider_type(FerryProvider *provider)
{
	return "openstack";
}

static FerryProviderCapabilities
openstack_get_capabilities(FerryProvider *provider)
{
	return FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_POWER |
	       FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER | FERRY_PROVIDER_CAPABILITY_CREDENTIALS |
	       FERRY_PROVIDER_CAPABILITY_WATCH;
}

static FerryOpenstackClient *
openstack_client(FerryOpenstackProvider *self, GError **error)
{
	FerryOpenstackClient *client = NULL;
	g_mutex_lock(&self->lock);
	if (self->client != NULL)
		client = g_object_ref(self->client);
	g_mutex_unlock(&self->lock);
	if (client == NULL)
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "openstack: the provider is not connected");
	return client;
}

static gboolean
openstack_connect(FerryProvider *provider,
		  FerryProviderConfig *config,
		  GCancellable *cancellable,
		  GError **error)
{
	FerryOpenstackProvider *self = FERRY_OPENSTACK_PROVIDER(provider);
	g_autofree char *name = ferry_provider_config_dup_display_name(config);
	g_autoptr(FerryOpenstackClient) client = NULL;

	client = ferry_openstack_client_new(ferry_provider_config_get_url(config),
					    ferry_provider_config_get_secret(config), name, error);
	if (client == NULL || !ferry_openstack_client_authenticate(client, cancellable, error))
		return FALSE;
	g_mutex_lock(&self->lock);
	g_free(self->name);
	self->name = g_steal_pointer(&name);
	g_clear_object(&self->client);
	self->client = g_steal_pointer(&client);
	g_mutex_unlock(&self->lock);
	return TRUE;
}

/* --- inventory ------------------------------------------------------------ */

/* every page of a list: GET @path, then the `next` links */
static GPtrArray *
openstack_list(FerryOpenstackClient *client,
	       const char *service,
	       const char *kind,
	       const char *path,
	       GCancellable *cancellable,
	       GError **error)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autofree char *next = g_strdup(path);
	guint pages = 0;

	while (next != NULL && pages++ < 1000) {
		g_autoptr(JsonNode) reply = ferry_openstack_client_request(
		    client, service, "GET", next, NULL, NULL, NULL, cancellable, error);
		g_autofree char *text = NULL;
		g_autoptr(GPtrArray) page = NULL;
		g_autofree char *following = NULL;

		if (reply == NULL)
			return NULL;
		text = json_to_string(reply, FALSE);
		page = ferry_openstack_parse_list(kind, text, -1, &following, error);
		if (page == NULL)
			return NULL;
		for (guint i = 0; i < page->len; i++)
			g_ptr_array_add(all, json_object_ref(g_ptr_array_index(page, i)));
		g_free(next);
		next = NULL;
		/* Glance's next is a path below the host, /v2/images?marker=… */
		if (following != NULL && g_str_has_prefix(following, "/v2/"))
			next = g_strdup(following + strlen("/v2"));
		else
			next = g_steal_pointer(&following);
		if (page->len == 0)
			g_clear_pointer(&next, g_free);
	}
	return g_steal_pointer(&all);
}

static gboolean
openstack_upsert_all(FerryInventory *inventory,
		     const char *kind,
		     GPtrArray *documents,
		     const char *parent_member,
		     GError **error)
{
	for (guint i = 0; documents != NULL && i < documents->len; i++) {
		JsonObject *doc = g_ptr_array_index(documents, i);
		const char *parent = parent_member != NULL ? ferry_json_get_string(doc, parent_member)
							   : NULL;
		if (!ferry_inventory_upsert(inventory, kind, ferry_json_get_string(doc, "id"),
					    ferry_json_get_string_or(doc, "name", ""), parent, doc,
					    error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
openstack_load_inventory(FerryProvider *provider,
			 FerryInventory *inventory,
			 GCancellable *cancellable,
			 GError **error)
{
	FerryOpenstackProvider *self = FERRY_OPENSTACK_PROVIDER(provider);
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	const char *name = config != NULL ? ferry_provider_config_get_name(config) : "openstack";
	g_autoptr(FerryOpenstackClient) client = openstack_client(self, error);
	g_autoptr(GPtrArray) projects = NULL;
	g_autoptr(GPtrArray) regions = NULL;
	g_autoptr(GPtrArray) images = NULL;
	g_autoptr(GPtrArray) flavors = NULL;
	g_autoptr(GPtrArray) servers = NULL;
	g_autoptr(GPtrArray) volumes = NULL;
	g_autoptr(GPtrArray) types = NULL;
	g_autoptr(GPtrArray) networks = NULL;
	g_autoptr(GPtrArray) subnets = NULL;
	g_autoptr(GPtrArray) snapshots = NULL;

	if (client == NULL)
		return FALSE;
	/* the projects the credentials reach, the regions, then each service
	 * the catalog has; Nova, Cinder and Neutron are optional (a cloud
	 * without Cinder has no volumes), Glance is not */
	if ((projects = openstack_list(client, "identity", FERRY_OPENSTACK_KIND_PROJECT,
				       "/auth/projects", cancellable, error)) == NULL ||
	    (regions = openstack_list(client, "identity", FERRY_OPENSTACK_KIND_REGION, "/regions",
				      cancellable, error)) == NULL ||
	    (images = openstack_list(client, "image", FERRY_OPENSTACK_KIND_IMAGE,
				     "/images?limit=200", cancellable, error)) == NULL)
		return FALSE;
	if (ferry_openstack_client_has_service(client, "compute")) {
		if ((flavors = openstack_list(client, "compute", FERRY_OPENSTACK_KIND_FLAVOR,
					      "/flavors/detail?is_public=None", cancellable,
					      error)) == NULL ||
		    (servers = openstack_list(client, "compute", FERRY_OPENSTACK_KIND_VM,
					      "/servers/detail", cancellable, error)) == NULL)
			return FALSE;
		for (guint i = 0; i < flavors->len; i++) {
			JsonObject *flavor = g_ptr_array_index(flavors, i);
			g_autofree char *path = NULL;
			g_autoptr(JsonNode) specs = NULL;
			g_autofree char *escaped = NULL;
			JsonObject *extra;
			/* microversion 2.1 lists no extra specs: one GET each */
			if (ferry_json_get_object(flavor, "extraSpecs") != NULL &&
			    json_object_get_size(ferry_json_get_object(flavor, "extraSpecs")) > 0)
				continue;
			escaped = g_uri_escape_string(ferry_json_get_string(flavor, "id"), NULL, FALSE);
			path = g_strdup_printf("/flavors/%s/os-extra_specs", escaped);
			specs = ferry_openstack_client_request(client, "compute", "GET", path, NULL,
							       NULL, NULL, cancellable, NULL);
			extra = specs != NULL && JSON_NODE_HOLDS_OBJECT(specs)
					? ferry_json_get_object(json_node_get_object(specs),
								"extra_specs")
					: NULL;
			if (extra != NULL)
				json_object_set_member(flavor, "extraSpecs",
						       json_node_copy(json_object_get_member(
							   json_node_get_object(specs), "extra_specs")));
		}
	}
	if (ferry_openstack_client_has_service(client, "volumev3") ||
	    ferry_openstack_client_has_service(client, "block-storage")) {
		if ((volumes = openstack_list(client, "volumev3", FERRY_OPENSTACK_KIND_VOLUME,
					      "/volumes/detail", cancellable, error)) == NULL ||
		    (types = openstack_list(client, "volumev3", FERRY_OPENSTACK_KIND_VOLUME_TYPE,
					    "/types", cancellable, error)) == NULL ||
		    (snapshots = openstack_list(client, "volumev3", FERRY_OPENSTACK_KIND_SNAPSHOT,
						"/snapshots/detail", cancellable, error)) == NULL)
			return FALSE;
	}
	if (ferry_openstack_client_has_service(client, "network")) {
		if ((networks = openstack_list(client, "network", FERRY_OPENSTACK_KIND_NETWORK,
					       "/networks", cancellable, error)) == NULL ||
		    (subnets = openstack_list(client, "network", FERRY_OPENSTACK_KIND_SUBNET,
					      "/subnets", cancellable, error)) == NULL)
			return FALSE;
	}
	for (guint i = 0; servers != NULL && i < servers->len; i++)
		ferry_openstack_add_disks(g_ptr_array_index(servers, i), flavors, images, volumes);

	if (!ferry_inventory_begin_update(inventory, name, TRUE, error))
		return FALSE;
	if (!openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_PROJECT, projects, "parentID",
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_REGION, regions, NULL, error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_IMAGE, images, "owner", error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_FLAVOR, flavors, NULL, error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_VOLUME, volumes, "tenantID",
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_VOLUME_TYPE, types, NULL,
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_SNAPSHOT, snapshots, "volumeID",
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_NETWORK, networks, "projectID",
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_SUBNET, subnets, "networkID",
				  error) ||
	    !openstack_upsert_all(inventory, FERRY_OPENSTACK_KIND_VM, servers, "tenantID", error)) {
		ferry_inventory_abort_update(inventory);
		return FALSE;
	}
	return ferry_inventory_commit_update(inventory, error);
}

/* sleeps @ms, waking for @cancellable */
static gboolean
openstack_watch_sleep(guint ms, GCancellable *cancellable, GError **error)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	while (g_get_monotonic_time() < end) {
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
					    "openstack: the inventory watch was cancelled");
			return FALSE;
		}
		g_usleep(MIN(100 * 1000, MAX(1, end - g_get_monotonic_time())));
	}
	return TRUE;
}

/* Forklift's OpenStack collector lists the cloud again every 10 s (the
 * Provider setting pollSeconds changes that); each pass is one full update,
 * which moves the revision only of what changed and removes what the cloud
 * no longer lists. OpenStack has no event feed a client can follow without
 * a message-queue account, so there is no cheaper way to learn of removals. */
static gboolean
openstack_watch_inventory(FerryProvider *provider,
			  FerryInventory *inventory,
			  GCancellable *cancellable,
			  GError **error)
{
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	const char *setting =
	    config != NULL ? ferry_provider_config_get_setting(config, "pollSeconds") : NULL;
	guint seconds = 10;

	if (setting != NULL && g_ascii_strtoull(setting, NULL, 10) > 0)
		seconds = (guint)MIN(g_ascii_strtoull(setting, NULL, 10), 3600);
	for (;;) {
		if (!openstack_watch_sleep(seconds * 1000, cancellable, error) ||
		    !openstack_load_inventory(provider, inventory, cancellable, error))
			return FALSE;
	}
}

/* --- power ---------------------------------------------------------------- */

static JsonObject *
openstack_get_server(FerryOpenstackClient *client,
		     const char *vm_id,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(vm_id, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("/servers/%s", escaped);
	g_autoptr(JsonNode) reply = ferry_openstack_client_request(client, "compute", "GET", path,
								   NULL, NULL, NULL, cancellable,
								   error);
	JsonObject *server;

	if (reply == NULL)
		return NULL;
	server = JSON_NODE_HOLDS_OBJECT(reply)
			 ? ferry_json_get_object(json_node_get_object(reply), "server")
			 : NULL;
	if (server == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: %s: Nova's reply for server %s has no server",
			    ferry_openstack_client_get_display_name(client), vm_id);
		return NULL;
	}
	return json_object_ref(server);
}

static FerryPowerState
openstack_power_state_of(const char *status)
{
	if (g_strcmp0(status, "SHUTOFF") == 0 || g_strcmp0(status, "SHELVED_OFFLOADED") == 0 ||
	    g_strcmp0(status, "SHELVED") == 0)
		return FERRY_POWER_STATE_OFF;
	if (g_strcmp0(status, "PAUSED") == 0 || g_strcmp0(status, "SUSPENDED") == 0)
		return FERRY_POWER_STATE_SUSPENDED;
	if (g_strcmp0(status, "ACTIVE") == 0)
		return FERRY_POWER_STATE_ON;
	return FERRY_POWER_STATE_UNKNOWN;
}

static FerryPowerState
openstack_get_power_state(FerryProvider *provider,
			  const char *vm_id,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(FerryOpenstackClient) client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider),
								  error);
	g_autoptr(JsonObject) server = NULL;
	FerryPowerState state;

	if (client == NULL ||
	    (server = openstack_get_server(client, vm_id, cancellable, error)) == NULL)
		return FERRY_POWER_STATE_UNKNOWN;
	state = openstack_power_state_of(ferry_json_get_string(server, "status"));
	if (state == FERRY_POWER_STATE_UNKNOWN)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "openstack: %s: server %s is %s; wait until it is ACTIVE or SHUTOFF",
			    ferry_openstack_client_get_display_name(client), vm_id,
			    ferry_json_get_string_or(server, "status", "in an unknown state"));
	return state;
}

static gboolean
openstack_server_action(FerryOpenstackClient *client,
			const char *vm_id,
			const char *action,
			JsonNode *argument,
			SoupMessageHeaders **headers,
			JsonNode **reply,
			GCancellable *cancellable,
			GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(vm_id, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("/servers/%s/action", escaped);
	g_autoptr(JsonObject) body = json_object_new();
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	JsonNode *result;

	json_object_set_member(body, action,
			       argument != NULL ? argument : json_node_new(JSON_NODE_NULL));
	json_node_set_object(node, body);
	result = ferry_openstack_client_request(client, "compute", "POST", path, node, NULL,
						headers, cancellable, error);
	if (result == NULL)
		return FALSE;
	if (reply != NULL)
		*reply = result;
	else
		json_node_unref(result);
	return TRUE;
}

static gboolean
openstack_wait_power(FerryOpenstackClient *client,
		     const char *vm_id,
		     FerryPowerState wanted,
		     GCancellable *cancellable,
		     GError **error)
{
	gint64 deadline = g_get_monotonic_time() + OPENSTACK_WAIT_SECONDS * G_USEC_PER_SEC;
	while (TRUE) {
		g_autoptr(JsonObject) server = openstack_get_server(client, vm_id, cancellable, error);
		if (server == NULL)
			return FALSE;
		if (openstack_power_state_of(ferry_json_get_string(server, "status")) == wanted &&
		    ferry_json_get_string(server, "OS-EXT-STS:task_state") == NULL)
			return TRUE;
		if (g_strcmp0(ferry_json_get_string(server, "status"), "ERROR") == 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "openstack: %s: server %s went to ERROR while being powered %s",
				    ferry_openstack_client_get_display_name(client), vm_id,
				    wanted == FERRY_POWER_STATE_OFF ? "off" : "on");
			return FALSE;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "openstack: %s: server %s is still %s after %d minutes",
				    ferry_openstack_client_get_display_name(client), vm_id,
				    ferry_json_get_string_or(server, "status", "?"),
				    OPENSTACK_WAIT_SECONDS / 60);
			return FALSE;
		}
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		g_usleep(G_USEC_PER_SEC);
	}
}

static gboolean
openstack_power(FerryProvider *provider,
		const char *vm_id,
		FerryPowerState wanted,
		GCancellable *cancellable,
		GError **error)
{
	g_autoptr(FerryOpenstackClient) client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider),
								  error);
	g_autoptr(JsonObject) server = NULL;

	if (client == NULL ||
	    (server = openstack_get_server(client, vm_id, cancellable, error)) == NULL)
		return FALSE;
	if (openstack_power_state_of(ferry_json_get_string(server, "status")) != wanted &&
	    !openstack_server_action(client, vm_id,
				     wanted == FERRY_POWER_STATE_OFF ? "os-stop" : "os-start", NULL,
				     NULL, NULL, cancellable, error))
		return FALSE;
	return openstack_wait_power(client, vm_id, wanted, cancellable, error);
}

static gboolean
openstack_power_off(FerryProvider *provider,
		    const char *vm_id,
		    GCancellable *cancellable,
		    GError **error)
{
	return openstack_power(provider, vm_id, FERRY_POWER_STATE_OFF, cancellable, error);
}

static gboolean
openstack_power_on(FerryProvider *provider,
		   const char *vm_id,
		   GCancellable *cancellable,
		   GError **error)
{
	return openstack_power(provider, vm_id, FERRY_POWER_STATE_ON, cancellable, error);
}

/* --- temporary objects ------------------------------------------------------ */

/* the first object of a list reply's @member named @name, or NULL */
static JsonObject *
openstack_find_named(FerryOpenstackClient *client,
		     const char *service,
		     const char *collection,
		     const char *member,
		     const char *name,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(name, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("%s?name=%s", collection, escaped);
	g_autoptr(JsonNode) reply = ferry_openstack_client_request(client, service, "GET", path,
								   NULL, NULL, NULL, cancellable,
								   error);
	JsonArray *items;

	if (reply == NULL)
		return NULL;
	items = JSON_NODE_HOLDS_OBJECT(reply) ? ferry_json_get_array(json_node_get_object(reply),
								     member)
					      : NULL;
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *item = ferry_json_array_object(items, i);
		if (g_strcmp0(ferry_json_get_string(item, "name"), name) == 0)
			return json_object_ref(item);
	}
	return NULL;
}

/* waits until GET @path's @member has status @wanted */
static JsonObject *
openstack_wait_status(FerryOpenstackClient *client,
		      const char *service,
		      const char *path,
		      const char *member,
		      const char *wanted,
		      const char *what,
		      GCancellable *cancellable,
		      GError **error)
{
	gint64 deadline = g_get_monotonic_time() + OPENSTACK_WAIT_SECONDS * G_USEC_PER_SEC;

	while (TRUE) {
		g_autoptr(JsonNode) reply = ferry_openstack_client_request(
		    client, service, "GET", path, NULL, NULL, NULL, cancellable, error);
		JsonObject *object;
		const char *status;

		if (reply == NULL)
			return NULL;
		object = JSON_NODE_HOLDS_OBJECT(reply) ? json_node_get_object(reply) : NULL;
		if (member != NULL)
			object = ferry_json_get_object(object, member);
		status = ferry_json_get_string(object, "status");
		if (g_strcmp0(status, wanted) == 0)
			return json_object_ref(object);
		if (status != NULL && (g_str_has_prefix(status, "error") ||
				       g_strcmp0(status, "killed") == 0 ||
				       g_strcmp0(status, "deleted") == 0)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "openstack: %s: %s went to status %s instead of %s",
				    ferry_openstack_client_get_display_name(client), what, status,
				    wanted);
			return NULL;
		}
		if (g_get_monotonic_time() > deadline) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "openstack: %s: %s is still %s after %d minutes",
				    ferry_openstack_client_get_display_name(client), what,
				    status != NULL ? status : "without status",
				    OPENSTACK_WAIT_SECONDS / 60);
			return NULL;
		}
		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return NULL;
		g_usleep(G_USEC_PER_SEC);
	}
}

/* the image of @name: found, or NULL without an error when there is none */
static JsonObject *
openstack_find_image(FerryOpenstackClient *client,
		     const char *name,
		     GCancellable *cancellable,
		     GError **error)
{
	return openstack_find_named(client, "image", "/images", "images", name, cancellable, error);
}

static JsonObject *
openstack_wait_image(FerryOpenstackClient *client,
		     const char *image_id,
		     const char *name,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autofree char *path = g_strdup_printf("/images/%s", image_id);
	g_autofree char *what = g_strdup_printf("image %s (%s)", name, image_id);
	return openstack_wait_status(client, "image", path, NULL, "active", what, cancellable,
				     error);
}

/* {"@outer": @inner} as a JSON node; takes @inner */
static JsonNode *
openstack_body(const char *outer, JsonObject *inner)
{
	JsonObject *root = json_object_new();
	JsonNode *node = json_node_new(JSON_NODE_OBJECT);
	json_object_set_object_member(root, outer, inner);
	json_node_take_object(node, root);
	return node;
}

/* Forklift's properties on a temporary image, so its user can tell where
 * it came from */
static void
openstack_tag_image(FerryOpenstackClient *client,
		    const char *image_id,
		    const char *key,
		    const char *value,
		    GCancellable *cancellable)
{
	g_autofree char *path = g_strdup_printf("/images/%s", image_id);
	g_autoptr(JsonNode) patch = json_node_new(JSON_NODE_ARRAY);
	g_autofree char *pointer = g_strconcat("/", key, NULL);
	JsonArray *operations = json_array_new();
	JsonObject *operation = json_object_new();
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonNode) reply = NULL;

	json_object_set_string_member(operation, "op", "add");
	json_object_set_string_member(operation, "path", pointer);
	json_object_set_string_member(operation, "value", value);
	json_array_add_object_element(operations, operation);
	json_node_take_array(patch, operations);
	reply = ferry_openstack_client_request(client, "image", "PATCH", path, patch, NULL, NULL,
					       cancellable, &local_error);
	if (reply == NULL)
		g_debug("cannot tag image %s: %s", image_id, local_error->message);
}

/* the root disk of an image-booted server → image NAME, via createImage */
static gboolean
openstack_image_server(FerryOpenstackClient *client,
		       const char *vm_id,
		       JsonObject *server,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autofree char *name = ferry_openstack_image_name(vm_id, NULL);
	g_autoptr(JsonObject) image = openstack_find_image(client, name, cancellable, error);
	g_autoptr(JsonObject) argument = NULL;
	g_autoptr(JsonObject) metadata = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autoptr(SoupMessageHeaders) headers = NULL;
	g_autoptr(JsonNode) reply = NULL;
	g_autoptr(JsonObject) active = NULL;
	const char *image_id = NULL;
	const char *location;
	const char *original = NULL;
	JsonNode *image_ref = json_object_get_member(server, "image");

	if (image == NULL && error != NULL && *error != NULL)
		return FALSE;
	if (image_ref != NULL && JSON_NODE_HOLDS_OBJECT(image_ref))
		original = ferry_json_get_string(json_node_get_object(image_ref), "id");
	if (image == NULL) {
		argument = json_object_new();
		metadata = json_object_new();
		json_object_set_string_member(argument, "name", name);
		if (original != NULL)
			json_object_set_string_member(metadata, "forklift_original_image_id",
						      original);
		json_object_set_string_member(metadata, "forklift_original_vm_id", vm_id);
		json_object_set_object_member(argument, "metadata", json_object_ref(metadata));
		node = json_node_new(JSON_NODE_OBJECT);
		json_node_set_object(node, argument);
		if (!openstack_server_action(client, vm_id, "createImage", json_node_ref(node),
					     &headers, &reply, cancellable, error))
			return FALSE;
		/* 2.45+: {"image_id"}; before: the Location header */
		if (reply != NULL && JSON_NODE_HOLDS_OBJECT(reply))
			image_id = ferry_json_get_string(json_node_get_object(reply), "image_id");
		location = headers != NULL ? soup_message_headers_get_one(headers, "Location")
					   : NULL;
		if (image_id == NULL && location != NULL && strrchr(location, '/') != NULL)
			image_id = strrchr(location, '/') + 1;
		if (image_id == NULL) {
			image = openstack_find_image(client, name, cancellable, error);
			if (image == NULL) {
				if (error != NULL && *error == NULL)
					g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
						    "openstack: %s: Nova made no image %s of "
						    "server %s",
						    ferry_openstack_client_get_display_name(client),
						    name, vm_id);
				return FALSE;
			}
		}
	}
	if (image != NULL)
		image_id = ferry_json_get_string(image, "id");
	active = openstack_wait_image(client, image_id, name, cancellable, error);
	return active != NULL;
}

/* an attached volume → snapshot → volume → upload-to-image NAME */
static gboolean
openstack_image_volume(FerryOpenstackClient *client,
		       const char *vm_id,
		       const char *volume_id,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autofree char *name = ferry_openstack_image_name(vm_id, volume_id);
	g_autoptr(JsonObject) image = openstack_find_image(client, name, cancellable, error);
	g_autoptr(JsonObject) snapshot = NULL;
	g_autoptr(JsonObject) volume = NULL;
	g_autoptr(JsonObject) ready = NULL;
	g_autofree char *snapshot_path = NULL;
	g_autofree char *volume_path = NULL;
	g_autofree char *what = NULL;
	const char *image_id = NULL;

	if (image == NULL && error != NULL && *error != NULL)
		return FALSE;
	if (image == NULL) {
		snapshot = openstack_find_named(client, "volumev3", "/snapshots", "snapshots", name,
						cancellable, error);
		if (snapshot == NULL && error != NULL && *error != NULL)
			return FALSE;
		if (snapshot == NULL) {
			JsonObject *request = json_object_new();
			g_autofree char *description =
			    g_strdup_printf("snapshot for volume %s of VM %s", volume_id, vm_id);
			g_autoptr(JsonNode) body = NULL;
			json_object_set_string_member(request, "name", name);
			json_object_set_string_member(request, "volume_id", volume_id);
			json_object_set_boolean_member(request, "force", TRUE);
			json_object_set_string_member(request, "description", description);
			body = openstack_body("snapshot", request);
			g_autoptr(JsonNode) reply = ferry_openstack_client_request(
			    client, "volumev3", "POST", "/snapshots", body, NULL, NULL, cancellable,
			    error);
			if (reply == NULL)
				return FALSE;
			snapshot = json_object_ref(
			    ferry_json_get_object(json_node_get_object(reply), "snapshot"));
		}
		snapshot_path = g_strdup_printf("/snapshots/%s", ferry_json_get_string(snapshot, "id"));
		what = g_strdup_printf("snapshot %s", name);
		ready = openstack_wait_status(client, "volumev3", snapshot_path, "snapshot",
					      "available", what, cancellable, error);
		if (ready == NULL)
			return FALSE;
		g_clear_pointer(&ready, json_object_unref);

		volume = openstack_find_named(client, "volumev3", "/volumes", "volumes", name,
					      cancellable, error);
		if (volume == NULL && error != NULL && *error != NULL)
			return FALSE;
		if (volume == NULL) {
			JsonObject *request = json_object_new();
			JsonObject *metadata = json_object_new();
			g_autofree char *description = g_strdup_printf(
			    "volume created from snapshot %s", ferry_json_get_string(snapshot, "id"));
			g_autoptr(JsonNode) body = NULL;
			json_object_set_string_member(request, "name", name);
			json_object_set_string_member(request, "snapshot_id",
						      ferry_json_get_string(snapshot, "id"));
			json_object_set_int_member(request, "size",
						   ferry_json_get_int_or(snapshot, "size", 1));
			json_object_set_string_member(request, "description", description);
			json_object_set_string_member(metadata, "forklift_original_volume_id",
						      volume_id);
			json_object_set_object_member(request, "metadata", metadata);
			body = openstack_body("volume", request);
			g_autoptr(JsonNode) reply = ferry_openstack_client_request(
			    client, "volumev3", "POST", "/volumes", body, NULL, NULL, cancellable,
			    error);
			if (reply == NULL)
				return FALSE;
			volume = json_object_ref(
			    ferry_json_get_object(json_node_get_object(reply), "volume"));
		}
		volume_path = g_strdup_printf("/volumes/%s", ferry_json_get_string(volume, "id"));
		g_free(what);
		what = g_strdup_printf("volume %s", name);
		ready = openstack_wait_status(client, "volumev3", volume_path, "volume", "available",
					      what, cancellable, error);
		if (ready == NULL)
			return FALSE;
		{
			JsonObject *request = json_object_new();
			g_autofree char *action = g_strdup_printf("%s/action", volume_path);
			g_autoptr(JsonNode) body = NULL;
			json_object_set_string_member(request, "image_name", name);
			json_object_set_boolean_member(request, "force", TRUE);
			json_object_set_string_member(request, "disk_format", "raw");
			json_object_set_string_member(request, "container_format", "bare");
			body = openstack_body("os-volume_upload_image", request);
			g_autoptr(JsonNode) reply = ferry_openstack_client_request(
			    client, "volumev3", "POST", action, body, NULL, NULL, cancellable, error);
			JsonObject *upload;
			if (reply == NULL)
				return FALSE;
			upload = JSON_NODE_HOLDS_OBJECT(reply)
					 ? ferry_json_get_object(json_node_get_object(reply),
								 "os-volume_upload_image")
					 : NULL;
			image_id = ferry_json_get_string(upload, "image_id");
			if (image_id == NULL) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "openstack: %s: Cinder's upload-to-image of volume %s "
					    "named no image",
					    ferry_openstack_client_get_display_name(client), name);
				return FALSE;
			}
			image = json_object_new();
			json_object_set_string_member(image, "id", image_id);
		}
	}
	image_id = ferry_json_get_string(image, "id");
	{
		g_autoptr(JsonObject) active = openstack_wait_image(client, image_id, name,
								    cancellable, error);
		if (active == NULL)
			return FALSE;
		if (ferry_json_get_string(active, "forklift_original_volume_id") == NULL)
			openstack_tag_image(client, image_id, "forklift_original_volume_id",
					    volume_id, cancellable);
	}
	return TRUE;
}

static gboolean
openstack_pre_transfer(FerryProvider *provider,
		       const char *vm_id,
		       GCancellable *cancellable,
		       GError **error)
{
	g_autoptr(FerryOpenstackClient) client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider),
								  error);
	g_autoptr(JsonObject) server = NULL;
	g_autoptr(JsonObject) mapped = NULL;
	JsonArray *attached;

	if (client == NULL ||
	    (server = openstack_get_server(client, vm_id, cancellable, error)) == NULL)
		return FALSE;
	mapped = ferry_openstack_map(FERRY_OPENSTACK_KIND_VM, server);
	if (mapped == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: %s: Nova's document of server %s has no id",
			    ferry_openstack_client_get_display_name(client), vm_id);
		return FALSE;
	}
	/* Forklift's order: the instance's image, then its volumes */
	if (*ferry_json_get_string_or(mapped, "imageID", "") != '\0' &&
	    !openstack_image_server(client, vm_id, server, cancellable, error))
		return FALSE;
	attached = ferry_json_get_array(mapped, "attachedVolumes");
	for (guint i = 0; attached != NULL && i < json_array_get_length(attached); i++) {
		const char *volume_id = ferry_json_get_string(ferry_json_array_object(attached, i),
							      "ID");
		if (volume_id != NULL &&
		    !openstack_image_volume(client, vm_id, volume_id, cancellable, error))
			return FALSE;
	}
	return TRUE;
}

/* deletes every object of @collection named @name (none is fine) */
static gboolean
openstack_delete_named(FerryOpenstackClient *client,
		       const char *service,
		       const char *collection,
		       const char *member,
		       const char *name,
		       const char *wait_member,
		       GCancellable *cancellable,
		       GError **error)
{
	while (TRUE) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonObject) object = openstack_find_named(client, service, collection,
								    member, name, cancellable,
								    &local_error);
		g_autofree char *path = NULL;
		g_autoptr(JsonNode) reply = NULL;
		gint64 deadline = g_get_monotonic_time() + 10 * 60 * G_USEC_PER_SEC;

		if (local_error != NULL) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		if (object == NULL)
			return TRUE;
		path = g_strdup_printf("%s/%s", collection, ferry_json_get_string(object, "id"));
		reply = ferry_openstack_client_request(client, service, "DELETE", path, NULL, NULL,
						       NULL, cancellable, &local_error);
		if (reply == NULL && !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		/* Cinder deletes asynchronously: a snapshot must be gone before
		 * its volume can go */
		while (wait_member != NULL && g_get_monotonic_time() < deadline) {
			g_autoptr(GError) gone = NULL;
			g_autoptr(JsonNode) state = ferry_openstack_client_request(
			    client, service, "GET", path, NULL, NULL, NULL, cancellable, &gone);
			if (state == NULL)
				break;
			if (g_cancellable_set_error_if_cancelled(cancellable, error))
				return FALSE;
			g_usleep(G_USEC_PER_SEC / 2);
		}
	}
}

/* removes the temporary images, volumes and snapshots of @vm_id's
 * preparation, found by Forklift's names */
static gboolean
openstack_remove_temporaries(FerryOpenstackClient *client,
			     const char *vm_id,
			     JsonObject *details,
			     GCancellable *cancellable,
			     GError **error)
{
	g_autofree char *root = ferry_openstack_image_name(vm_id, NULL);
	JsonArray *volumes = ferry_json_get_array(details, "volumes");
	gboolean cinder = ferry_openstack_client_has_service(client, "volumev3");
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);

	g_ptr_array_add(names, g_strdup(root));
	for (guint i = 0; volumes != NULL && i < json_array_get_length(volumes); i++)
		g_ptr_array_add(names, ferry_openstack_image_name(
					       vm_id, ferry_json_array_string(volumes, i)));
	/* the images with this VM's prefix too: the record may predate the
	 * list of volumes */
	{
		g_autoptr(GError) local_error = NULL;
		g_autoptr(GPtrArray) images = openstack_list(client, "image",
							     FERRY_OPENSTACK_KIND_IMAGE,
							     "/images?limit=200", cancellable,
							     &local_error);
		g_autofree char *prefix = g_strconcat(root, "-volume-", NULL);
		if (images == NULL) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		for (guint i = 0; i < images->len; i++) {
			const char *name = ferry_json_get_string(g_ptr_array_index(images, i),
								 "name");
			if (g_str_has_prefix(name != NULL ? name : "", prefix))
				g_ptr_array_add(names, g_strdup(name));
		}
	}
	for (guint i = 0; i < names->len; i++) {
		const char *name = g_ptr_array_index(names, i);
		if (!openstack_delete_named(client, "image", "/images", "images", name, NULL,
					    cancellable, error))
			return FALSE;
		if (cinder && i > 0 &&
		    (!openstack_delete_named(client, "volumev3", "/volumes", "volumes", name,
					     "volume", cancellable, error) ||
		     !openstack_delete_named(client, "volumev3", "/snapshots", "snapshots", name,
					     "snapshot", cancellable, error)))
			return FALSE;
	}
	return TRUE;
}

static gboolean
openstack_remove_artifact(FerryProvider *provider,
			  const char *kind,
			  const char *id,
			  JsonObject *details,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(FerryOpenstackClient) client = NULL;

	if (g_strcmp0(kind, "pre-transfer") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "openstack: cannot remove a %s (%s); the provider makes only the "
			    "temporary objects of a VM's preparation",
			    kind, id);
		return FALSE;
	}
	client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider), error);
	if (client == NULL)
		return FALSE;
	return openstack_remove_temporaries(
	    client, ferry_json_get_string_or(details, "vmId", id), details, cancellable, error);
}

/* --- serving a disk ---------------------------------------------------------- */

static gboolean
openstack_stop_server(gpointer user_data, GError **error)
{
	return ferry_nbd_server_stop(FERRY_NBD_SERVER(user_data), error);
}

/* --- keeping the download's token fresh ---------------------------------- */

/* A Keystone token lives an hour by default, and a large disk takes longer
 * than that to download: while an endpoint is open, a thread renews the
 * client's token when 3/4 of its lifetime has passed (or every
 * tokenRenewSeconds, a Provider setting) and writes the new one into the
 * header file the nbdkit plugin reads again for every request. A token a
 * request of the client renewed on its own (after a 401) is written too. */
typedef struct {
	FerryOpenstackClient *client;
	char *header_path;
	char *what;
	gint64 renew_after; /* µs; 0: 3/4 of the token's lifetime */
	guint written;	    /* the client's token generation in the file */
	GMutex lock;
	GCond cond;
	gboolean stop;
	GThread *thread;
} TokenKeeper;

static gpointer
token_keeper_run(gpointer user_data)
{
	TokenKeeper *k = user_data;
	gint64 next_try = 0;

	g_mutex_lock(&k->lock);
	while (!k->stop) {
		gint64 lifetime = 0;
		guint generation = 0;
		gint64 age;
		gboolean due;

		g_cond_wait_until(&k->cond, &k->lock,
				  g_get_monotonic_time() + G_USEC_PER_SEC / 2);
		if (k->stop || g_get_monotonic_time() < next_try)
			continue;
		g_mutex_unlock(&k->lock);
		age = ferry_openstack_client_get_token_age(k->client, &lifetime, &generation);
		due = k->renew_after > 0 ? age >= k->renew_after
					 : lifetime > 0 && age >= lifetime / 4 * 3;
		if (age >= 0 && due) {
			g_autoptr(GError) error = NULL;
			if (!ferry_openstack_client_authenticate(k->client, NULL, &error)) {
				g_warning("could not renew the Keystone token for %s (trying again in "
					  "30 s): %s",
					  k->what, error->message);
				next_try = g_get_monotonic_time() + 30 * G_USEC_PER_SEC;
			}
			ferry_openstack_client_get_token_age(k->client, NULL, &generation);
		}
		if (generation != k->written) {
			g_autoptr(GError) error = NULL;
			if (ferry_openstack_client_write_token_header(k->client, k->header_path,
								      &error))
				k->written = generation;
			else
				g_warning("%s", error->message);
		}
		g_mutex_lock(&k->lock);
	}
	g_mutex_unlock(&k->lock);
	return NULL;
}

static gboolean
token_keeper_stop(gpointer user_data, GError **error)
{
	TokenKeeper *k = user_data;

	g_mutex_lock(&k->lock);
	k->stop = TRUE;
	g_cond_signal(&k->cond);
	g_mutex_unlock(&k->lock);
	if (k->thread != NULL)
		g_thread_join(g_steal_pointer(&k->thread));
	return TRUE;
}

static void
token_keeper_free(gpointer user_data)
{
	TokenKeeper *k = user_data;

	token_keeper_stop(k, NULL);
	g_clear_object(&k->client);
	g_free(k->header_path);
	g_free(k->what);
	g_mutex_clear(&k->lock);
	g_cond_clear(&k->cond);
	g_free(k);
}

static TokenKeeper *
token_keeper_start(FerryProvider *provider,
		   FerryOpenstackClient *client,
		   const char *header_path,
		   const char *what)
{
	FerryProviderConfig *config = ferry_provider_get_config(provider);
	const char *setting =
	    config != NULL ? ferry_provider_config_get_setting(config, "tokenRenewSeconds") : NULL;
	TokenKeeper *k = g_new0(TokenKeeper, 1);

	k->client = g_object_ref(client);
	k->header_path = g_strdup(header_path);
	k->what = g_strdup(what);
	if (setting != NULL && g_ascii_strtoull(setting, NULL, 10) > 0)
		k->renew_after = (gint64)MIN(g_ascii_strtoull(setting, NULL, 10), 86400) *
				 G_USEC_PER_SEC;
	ferry_openstack_client_get_token_age(client, NULL, &k->written);
	g_mutex_init(&k->lock);
	g_cond_init(&k->cond);
	k->thread = g_thread_new("ferry-openstack-token", token_keeper_run, k);
	return k;
}

static FerryDiskEndpoint *
openstack_open_disk(FerryProvider *provider,
		    const char *vm_id,
		    const char *disk_id,
		    const char *snapshot_id,
		    GCancellable *cancellable,
		    GError **error)
{
	g_autoptr(FerryOpenstackClient) client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider),
								  error);
	g_autofree char *name = NULL;
	g_autoptr(JsonObject) image = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(FerryNbdServer) server = NULL;
	g_autofree char *glance = NULL;
	g_autofree char *display = NULL;
	g_autofree char *header_path = NULL;
	g_autofree char *ca_path = NULL;
	g_autofree char *ca = NULL;
	g_autofree char *script_path = NULL;
	g_autofree char *url_argument = NULL;
	g_autofree char *size_argument = NULL;
	g_autofree char *header_argument = NULL;
	g_autofree char *description = NULL;
	FerryDiskEndpoint *endpoint;
	const char *format;
	const char *status;

	if (client == NULL)
		return NULL;
	name = ferry_openstack_image_name(
	    vm_id, g_strcmp0(disk_id, OPENSTACK_ROOT_DISK) == 0 ? NULL : disk_id);
	image = openstack_find_image(client, name, cancellable, &local_error);
	if (image == NULL) {
		if (local_error != NULL) {
			g_propagate_error(error, g_steal_pointer(&local_error));
		} else {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "openstack: %s: Glance has no image %s for disk %s of VM %s; "
				    "the preparation (CreateDataVolumes) makes it: run the migration "
				    "again",
				    ferry_openstack_client_get_display_name(client), name, disk_id,
				    vm_id);
		}
		return NULL;
	}
	status = ferry_json_get_string_or(image, "status", "?");
	if (g_strcmp0(status, "active") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "openstack: %s: image %s (%s) is %s, not active; wait for it",
			    ferry_openstack_client_get_display_name(client), name,
			    ferry_json_get_string(image, "id"), status);
		return NULL;
	}
	format = ferry_json_get_string_or(image, "disk_format", "raw");
	if (g_strcmp0(format, "raw") != 0 && g_strcmp0(format, "qcow2") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "openstack: %s: image %s has disk format %s; only raw and qcow2 are "
			    "read (as Forklift's image converter does)",
			    ferry_openstack_client_get_display_name(client), name, format);
		return NULL;
	}
	glance = ferry_openstack_client_dup_endpoint(client, "image", error);
	if (glance == NULL)
		return NULL;
	display = g_strdup_printf("Glance image %s of VM %s", name, vm_id);
	server = ferry_nbd_server_new(FERRY_NBD_SERVER_NBDKIT, display);
	ferry_nbd_server_set_read_only(server, TRUE);
	ferry_nbd_server_set_secret(server, ferry_openstack_client_get_secret(client));
	header_path = ferry_nbd_server_build_private_path(server, "token-header", error);
	if (header_path == NULL ||
	    !ferry_openstack_client_write_token_header(client, header_path, error))
		return NULL;
	ca_path = ferry_nbd_server_build_private_path(server, "ca.pem", error);
	if (ca_path == NULL)
		return NULL;
	ca = ferry_openstack_client_write_ca_file(client, ca_path, &local_error);
	if (ca == NULL && local_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	script_path = ferry_nbd_server_build_private_path(server, "glance.py", error);
	if (script_path == NULL)
		return NULL;
	if (!g_file_set_contents_full(script_path, ferry_openstack_glance_script, -1,
				      G_FILE_SET_CONTENTS_CONSISTENT, 0600, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "openstack: %s: cannot write %s: %s",
			    ferry_openstack_client_get_display_name(client), script_path,
			    local_error->message);
		return NULL;
	}
	url_argument = g_strdup_printf("url=%s%s/images/%s/file", glance,
				       g_str_has_suffix(glance, "/v2") ? "" : "/v2",
				       ferry_json_get_string(image, "id"));
	size_argument = g_strdup_printf("size=%" G_GINT64_FORMAT,
					ferry_json_get_int_or(image, "size", 0));
	/* the token: from a 0600 file, never on the command line. Glance
	 * answers no HEAD, which nbdkit's curl plugin needs for the size, so
	 * the reads are Range GETs of a small python plugin */
	header_argument = g_strdup_printf("header-file=%s", header_path);
	ferry_nbd_server_add_argument(server, "python");
	ferry_nbd_server_add_argument(server, script_path);
	ferry_nbd_server_add_argument(server, url_argument);
	ferry_nbd_server_add_argument(server, size_argument);
	ferry_nbd_server_add_argument(server, header_argument);
	if (ca != NULL) {
		g_autofree char *cafile = g_strdup_printf("cafile=%s", ca);
		ferry_nbd_server_add_argument(server, cafile);
	} else if (ferry_openstack_client_get_insecure(client)) {
		ferry_nbd_server_add_argument(server, "insecure=true");
	}
	if (!ferry_nbd_server_start(server, cancellable, error))
		return NULL;
	description = g_strdup_printf("%s (%s)", display, format);
	if (g_strcmp0(format, "qcow2") == 0) {
		/* qemu's qcow2 decoder over nbdkit's raw view of the download */
		g_autoptr(FerryNbdServer) decoder =
		    ferry_nbd_server_new(FERRY_NBD_SERVER_QEMU_NBD, display);
		g_autofree char *image_json = g_strdup_printf(
		    "json:{\"driver\": \"qcow2\", \"file\": {\"driver\": \"nbd\", \"server\": "
		    "{\"type\": \"unix\", \"path\": \"%s\"}}}",
		    ferry_nbd_server_get_socket_path(server));
		ferry_nbd_server_set_read_only(decoder, TRUE);
		ferry_nbd_server_add_argument(decoder, image_json);
		if (!ferry_nbd_server_start(decoder, cancellable, error)) {
			ferry_nbd_server_stop(server, NULL);
			return NULL;
		}
		endpoint = ferry_nbd_server_new_endpoint(decoder, FERRY_DISK_ROLE_SOURCE);
		ferry_disk_endpoint_add_process(endpoint, ferry_nbd_server_get_process(server));
		ferry_disk_endpoint_add_close_func(endpoint, openstack_stop_server,
						   g_object_ref(server), g_object_unref);
	} else {
		endpoint = ferry_nbd_server_new_endpoint(server, FERRY_DISK_ROLE_SOURCE);
	}
	ferry_disk_endpoint_add_close_func(endpoint, token_keeper_stop,
					   token_keeper_start(provider, client, header_path, display),
					   token_keeper_free);
	ferry_disk_endpoint_set_disk_id(endpoint, disk_id);
	ferry_disk_endpoint_set_description(endpoint, description);
	return endpoint;
}

/* --- the normalised description (describe_vm) ----------------------------- */

static JsonObject *
openstack_describe_vm(FerryProvider *provider, JsonObject *vm, GError **error)
{
	JsonObject *out = json_object_new();
	JsonObject *cpu = json_object_new();
	JsonObject *firmware = json_object_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *in_disks = ferry_json_get_array(vm, "disks");
	JsonObject *addresses = ferry_json_get_object(vm, "addresses");
	g_autoptr(GList) networks = addresses != NULL ? json_object_get_members(addresses) : NULL;
	g_autoptr(GHashTable) macs = g_hash_table_new(g_str_hash, g_str_equal);
	JsonObject *metadata = ferry_json_get_object(vm, "metadata");

	json_object_set_string_member(out, "name", ferry_json_get_string_or(vm, "name", "vm"));
	json_object_set_int_member(cpu, "sockets", MAX(1, ferry_json_get_int_or(vm, "vcpus", 1)));
	json_object_set_int_member(cpu, "cores", 1);
	json_object_set_int_member(cpu, "threads", 1);
	json_object_set_object_member(out, "cpu", cpu);
	json_object_set_int_member(out, "memoryMiB",
				   MAX(1, ferry_json_get_int_or(vm, "memoryMB", 1024)));
	json_object_set_string_member(firmware, "type", "bios");
	json_object_set_boolean_member(firmware, "secureBoot", FALSE);
	json_object_set_object_member(out, "firmware", firmware);
	for (guint i = 0; in_disks != NULL && i < json_array_get_length(in_disks); i++) {
		JsonObject *d = ferry_json_array_object(in_disks, i);
		JsonObject *disk;
		if (ferry_json_get_string(d, "id") == NULL)
			continue;
		disk = json_object_new();
		json_object_set_string_member(disk, "id", ferry_json_get_string(d, "id"));
		json_object_set_int_member(disk, "capacity", ferry_json_get_int_or(d, "capacity", 0));
		json_object_set_string_member(disk, "storage",
					      ferry_json_get_string_or(d, "storage", ""));
		json_object_set_string_member(disk, "bus", ferry_json_get_string_or(d, "bus", "virtio"));
		json_object_set_string_member(disk, "fileName",
					      ferry_json_get_string_or(d, "name",
								       ferry_json_get_string(d, "id")));
		json_object_set_boolean_member(disk, "shared", FALSE);
		json_array_add_object_element(disks, disk);
	}
	for (GList *l = networks; l != NULL; l = l->next) {
		JsonArray *ips = ferry_json_get_array(addresses, l->data);
		for (guint i = 0; ips != NULL && i < json_array_get_length(ips); i++) {
			JsonObject *ip = ferry_json_array_object(ips, i);
			const char *mac = ferry_json_get_string(ip, "OS-EXT-IPS-MAC:mac_addr");
			JsonObject *nic;
			if (g_strcmp0(ferry_json_get_string(ip, "OS-EXT-IPS:type"), "floating") == 0)
				continue;
			if (mac != NULL && g_hash_table_contains(macs, mac))
				continue;
			if (mac != NULL)
				g_hash_table_add(macs, (gpointer)mac);
			nic = json_object_new();
			if (mac != NULL)
				json_object_set_string_member(nic, "mac", mac);
			json_object_set_string_member(nic, "network", l->data);
			json_object_set_string_member(nic, "model", "virtio");
			json_array_add_object_element(nics, nic);
		}
	}
	json_object_set_array_member(out, "disks", disks);
	json_object_set_array_member(out, "nics", nics);
	if (metadata != NULL && ferry_json_get_string(metadata, "os_type") != NULL)
		json_object_set_string_member(out, "osType", ferry_json_get_string(metadata, "os_type"));
	return out;
}

static void
openstack_get_map_kinds(FerryProvider *provider, const char **network_kind, const char **storage_kind)
{
	*network_kind = FERRY_OPENSTACK_KIND_NETWORK;
	*storage_kind = FERRY_OPENSTACK_KIND_VOLUME_TYPE;
}

static gboolean
openstack_check_url(FerryProvider *provider, const char *url, GError **error)
{
	g_autoptr(GUri) uri = url != NULL ? g_uri_parse(url, G_URI_FLAGS_NONE, NULL) : NULL;
	if (uri == NULL || g_uri_get_host(uri) == NULL ||
	    (g_strcmp0(g_uri_get_scheme(uri), "https") != 0 &&
	     g_strcmp0(g_uri_get_scheme(uri), "http") != 0)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "The `url` is not valid: write Keystone's identity URL, "
				    "https://HOST:5000/v3.");
		return FALSE;
	}
	return TRUE;
}

static const char *const *
openstack_get_secret_keys(FerryProvider *provider, const char *url, gboolean *needs_ca)
{
	/* which keys depends on authType; the client checks them itself, as
	 * Forklift's does */
	static const char *const keys[] = {NULL};
	*needs_ca = FALSE;
	return keys;
}

static JsonObject *
openstack_test_connection(FerryProvider *provider,
			  const char *const *namespaces,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(FerryOpenstackClient) client = openstack_client(FERRY_OPENSTACK_PROVIDER(provider),
								  error);
	JsonObject *out;
	JsonObject *details;
	JsonArray *services;
	JsonArray *conditions;
	g_auto(GStrv) types = NULL;
	const char *needed[][2] = {{"compute", "Nova"}, {"image", "Glance"}};

	if (client == NULL)
		return NULL;
	out = json_object_new();
	details = json_object_new();
	services = json_array_new();
	conditions = json_array_new();
	types = ferry_openstack_client_list_services(client);
	for (guint i = 0; types[i] != NULL; i++)
		json_array_add_string_element(services, types[i]);
	json_object_set_array_member(details, "services", services);
	if (ferry_openstack_client_get_project_name(client) != NULL)
		json_object_set_string_member(details, "project",
					      ferry_openstack_client_get_project_name(client));
	if (ferry_openstack_client_get_project_id(client) != NULL)
		json_object_set_string_member(details, "projectID",
					      ferry_openstack_client_get_project_id(client));
	for (guint i = 0; i < G_N_ELEMENTS(needed); i++) {
		g_autoptr(GError) missing = NULL;
		g_autofree char *url = ferry_openstack_client_dup_endpoint(client, needed[i][0],
									   &missing);
		JsonObject *condition;
		if (url != NULL)
			continue;
		condition = json_object_new();
		json_object_set_string_member(condition, "type", "ServiceNotFound");
		json_object_set_string_member(condition, "status", "True");
		json_object_set_string_member(condition, "category", "Warning");
		json_object_set_string_member(condition, "reason", needed[i][1]);
		json_object_set_string_member(condition, "message", missing->message);
		json_array_add_object_element(conditions, condition);
	}
	json_object_set_object_member(out, "details", details);
	json_object_set_array_member(out, "conditions", conditions);
	return out;
}

static void
ferry_openstack_provider_iface_init(FerryProviderInterface *iface)
{
	iface->get_provider_type = openstack_get_provider_type;
	iface->get_capabilities = openstack_get_capabilities;
	iface->connect = openstack_connect;
	iface->load_inventory = openstack_load_inventory;
	iface->watch_inventory = openstack_watch_inventory;
	iface->get_power_state = openstack_get_power_state;
	iface->power_off = openstack_power_off;
	iface->power_on = openstack_power_on;
	iface->pre_transfer = openstack_pre_transfer;
	iface->open_disk = openstack_open_disk;
	iface->remove_artifact = openstack_remove_artifact;
	iface->describe_vm = openstack_describe_vm;
	iface->get_map_kinds = openstack_get_map_kinds;
	iface->check_url = openstack_check_url;
	iface->get_secret_keys = openstack_get_secret_keys;
	iface->test_connection = openstack_test_connection;
}
