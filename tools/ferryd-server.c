/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ferryd's HTTP side: Forklift's inventory routes over the state folder's
 * inventory, /metrics computed from its Plans and Migrations, /healthz and
 * /readyz; HTTPS with a bearer token checked by the API server
 * (TokenReview, then a SubjectAccessReview on the Provider, as Forklift's
 * inventory does). */

#include "config.h"

#include <libsoup/soup.h>
#include <math.h>
#include <string.h>

#include "ferryd-server.h"

/* Forklift's inventory caches a token's permission for 10 s */
#define AUTH_CACHE_SECONDS 10
/* how long the cluster's Provider uids are reused */
#define UID_CACHE_SECONDS 5

struct _FerrydServer {
	GObject parent_instance;
	char *state_dir;
	FerryStore *store;
	FerryInventory *inventory;
	FerryKubeClient *kube;
	gboolean auth;
	SoupServer *server;
	guint16 port;
	/* sha256(token) + verb + namespace + name -> expiry (monotonic µs) */
	GHashTable *auth_cache;
	/* "namespace/name" -> the cluster's uid of that Provider */
	GHashTable *cluster_uids;
	gint64 cluster_uids_expiry;
	/* requests run in worker threads: the lock guards both caches */
	GMutex lock;
};

G_DEFINE_FINAL_TYPE(FerrydServer, ferryd_server, G_TYPE_OBJECT)

/* a request handled in a worker thread (the API server and SQLite calls
 * block), and the reply it makes; the main thread answers with it */
typedef struct {
	SoupServerMessage *msg;
	char *path;
	char *query;
	char *authorization;
	guint status;
	const char *content_type;
	char *body;
	const char *reason; /* X-Reason */
} Job;

static void
job_free(Job *job)
{
	g_clear_object(&job->msg);
	g_free(job->path);
	g_free(job->query);
	g_free(job->authorization);
	g_free(job->body);
	g_free(job);
}

/* ---- request parsing (fuzzed: tools/fuzz-ferryd-request.c) ---- */

void
ferryd_request_clear(FerrydRequest *request)
{
	g_clear_pointer(&request->provider_type, g_free);
	g_clear_pointer(&request->provider_uid, g_free);
	g_clear_pointer(&request->collection, g_free);
	g_clear_pointer(&request->id, g_free);
	g_clear_pointer(&request->name, g_free);
	g_clear_pointer(&request->name_space, g_free);
}

static gboolean
parse_count(const char *key, const char *value, gint64 *out, GError **error)
{
	guint64 n;
	if (!g_ascii_string_to_unsigned(value, 10, 0, G_MAXINT32, &n, NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "query parameter %s=%s: expected a whole number from 0 to %d", key,
			    value, G_MAXINT32);
		return FALSE;
	}
	*out = (gint64)n;
	return TRUE;
}

static gboolean
parse_query(const char *query, FerrydRequest *request, GError **error)
{
	g_autoptr(GHashTable) params = NULL;
	GHashTableIter iter;
	const char *key, *value;
	g_autoptr(GError) local_error = NULL;

	if (query == NULL || *query == '\0')
		return TRUE;
	params = g_uri_parse_params(query, -1, "&", G_URI_PARAMS_WWW_FORM, &local_error);
	if (params == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "the query string is not valid: %s", local_error->message);
		return FALSE;
	}
	g_hash_table_iter_init(&iter, params);
	while (g_hash_table_iter_next(&iter, (gpointer *)&key, (gpointer *)&value)) {
		if (g_str_equal(key, "detail")) {
			gint64 n;
			if (g_ascii_strcasecmp(value, "all") == 0) {
				request->detail = FERRYD_DETAIL_ALL;
				continue;
			}
			if (!parse_count(key, value, &n, error)) {
				g_prefix_error(error, "(or detail=all) ");
				return FALSE;
			}
			request->detail = (int)n;
		} else if (g_str_equal(key, "limit")) {
			if (!parse_count(key, value, &request->limit, error))
				return FALSE;
		} else if (g_str_equal(key, "offset")) {
			if (!parse_count(key, value, &request->offset, error))
				return FALSE;
		} else if (g_str_equal(key, "name")) {
			g_free(request->name);
			request->name = g_strdup(value);
		} else if (g_str_equal(key, "namespace")) {
			g_free(request->name_space);
			request->name_space = g_strdup(value);
		}
		/* other parameters are ignored, as Forklift's server does */
	}
	return TRUE;
}

static gboolean
not_found(GError **error, const char *path)
{
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "no route for %s: the inventory serves /providers, /providers/<type>, "
		    "/providers/<type>/<uid>[/<collection>[/<id>]], /metrics, /healthz and /readyz",
		    path);
	return FALSE;
}

/**
 * ferryd_request_parse:
 * @path: the request's path, still percent-encoded
 * @query: (nullable): its query string, still encoded
 * @request: (out caller-allocates): the parsed request; clear it with
 *   ferryd_request_clear() whatever the result
 *
 * Returns: %TRUE, or %FALSE with %FERRY_ERROR_NOT_FOUND for a path no route
 *   serves and %FERRY_ERROR_INVALID_ARGUMENT for a malformed one
 */
gboolean
ferryd_request_parse(const char *path, const char *query, FerrydRequest *request, GError **error)
{
	g_auto(GStrv) raw = NULL;
	g_autoptr(GPtrArray) segments = g_ptr_array_new_with_free_func(g_free);

	memset(request, 0, sizeof(*request));
	request->limit = -1;
	if (path == NULL || path[0] != '/')
		return not_found(error, path != NULL ? path : "(none)");
	raw = g_strsplit(path + 1, "/", 0);
	for (guint i = 0; raw[i] != NULL; i++) {
		char *segment;
		/* a trailing slash names the same route */
		if (raw[i][0] == '\0' && raw[i + 1] == NULL)
			break;
		segment = g_uri_unescape_segment(raw[i], NULL, "/");
		if (segment == NULL || segment[0] == '\0' || !g_utf8_validate(segment, -1, NULL)) {
			g_free(segment);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "path segment %u of the request is empty or not valid "
				    "percent-encoded UTF-8",
				    i + 1);
			return FALSE;
		}
		g_ptr_array_add(segments, segment);
	}
	if (!parse_query(query, request, error))
		return FALSE;

#define SEG(n) ((const char *)g_ptr_array_index(segments, (n)))
	if (segments->len == 1 && g_str_equal(SEG(0), "healthz")) {
		request->route = FERRYD_ROUTE_HEALTHZ;
		return TRUE;
	}
	if (segments->len == 1 && g_str_equal(SEG(0), "readyz")) {
		request->route = FERRYD_ROUTE_READYZ;
		return TRUE;
	}
	if (segments->len == 1 && g_str_equal(SEG(0), "metrics")) {
		request->route = FERRYD_ROUTE_METRICS;
		return TRUE;
	}
	if (segments->len == 0 || !g_str_equal(SEG(0), "providers") || segments->len > 5)
		return not_found(error, path);
	if (segments->len >= 2)
		request->provider_type = g_strdup(SEG(1));
	if (segments->len >= 3)
		request->provider_uid = g_strdup(SEG(2));
	if (segments->len >= 4)
		request->collection = g_strdup(SEG(3));
	if (segments->len >= 5)
		request->id = g_strdup(SEG(4));
	switch (segments->len) {
	case 1:
		request->route = FERRYD_ROUTE_PROVIDERS;
		break;
	case 2:
		request->route = FERRYD_ROUTE_PROVIDER_TYPE;
		break;
	case 3:
		request->route = FERRYD_ROUTE_PROVIDER;
		break;
	case 4:
		if (g_str_equal(request->collection, "tree"))
			return not_found(error, path);
		request->route = FERRYD_ROUTE_COLLECTION;
		break;
	default:
		request->route = g_str_equal(request->collection, "tree") ? FERRYD_ROUTE_TREE
									   : FERRYD_ROUTE_OBJECT;
		break;
	}
#undef SEG
	return TRUE;
}

/* ---- collections ---- */

/* the inventory kind a collection lists: Forklift's collections are the
 * plural of the inventory's kinds (`vms` → `vm`, `storageclasses` →
 * `storageclass`), so a plugin's new kinds need nothing here; `workloads`
 * are the VMs with their references expanded */
static char *
collection_kind(const char *collection)
{
	gsize len = strlen(collection);
	if (g_str_equal(collection, "workloads"))
		return g_strdup("vm");
	for (gsize i = 0; i < len; i++) {
		if (!g_ascii_islower(collection[i]))
			return NULL;
	}
	if (len > 4 && g_str_has_suffix(collection, "sses"))
		return g_strndup(collection, len - 2);
	if (len > 1 && collection[len - 1] == 's')
		return g_strndup(collection, len - 1);
	return NULL;
}

/* the count members of Forklift's provider document (detail ≥ 1) */
static const struct {
	const char *kind;
	const char *member;
} count_members[] = {
	{"vm", "vmCount"},
	{"host", "hostCount"},
	{"cluster", "clusterCount"},
	{"datacenter", "datacenterCount"},
	{"network", "networkCount"},
	{"datastore", "datastoreCount"},
	{"storageclass", "storageClassCount"},
	{"disk", "diskCount"},
	{"storage", "storageCount"},
	{"storagedomain", "storageDomainCount"},
	{"region", "regionCount"},
	{"project", "projectCount"},
	{"image", "imageCount"},
	{"volume", "volumeCount"},
	{"volumetype", "volumeTypeCount"},
	{"namespace", "namespaceCount"},
	{"networkattachmentdefinition", "networkAttachmentDefinitionCount"},
};

/* ---- providers ---- */

static void
server_refresh_cluster_uids(FerrydServer *self)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) list = NULL;
	JsonArray *items;
	gint64 now = g_get_monotonic_time();
	g_autoptr(GHashTable) uids = NULL;

	if (self->kube == NULL)
		return;
	g_mutex_lock(&self->lock);
	if (now < self->cluster_uids_expiry) {
		g_mutex_unlock(&self->lock);
		return;
	}
	self->cluster_uids_expiry = now + UID_CACHE_SECONDS * G_USEC_PER_SEC;
	g_mutex_unlock(&self->lock);
	list = ferry_kube_client_list(self->kube, "forklift.konveyor.io/v1beta1", "Provider", NULL,
				      NULL, NULL, &error);
	if (list == NULL) {
		/* keep what was known; the store's uids still answer */
		g_warning("ferryd: cannot list the cluster's Providers for their uids: %s",
			  error->message);
		return;
	}
	uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	items = JSON_NODE_HOLDS_OBJECT(list)
			? ferry_json_get_array(json_node_get_object(list), "items")
			: NULL;
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *item = json_array_get_object_element(items, i);
		JsonObject *metadata =
			item != NULL ? ferry_json_get_object(item, "metadata") : NULL;
		const char *ns = metadata != NULL ? ferry_json_get_string(metadata, "namespace")
						  : NULL;
		const char *name =
			metadata != NULL ? ferry_json_get_string(metadata, "name") : NULL;
		const char *uid = metadata != NULL ? ferry_json_get_string(metadata, "uid") : NULL;
		if (ns != NULL && name != NULL && uid != NULL)
			g_hash_table_insert(uids, g_strdup_printf("%s/%s", ns, name),
					    g_strdup(uid));
	}
	g_mutex_lock(&self->lock);
	g_hash_table_unref(self->cluster_uids);
	self->cluster_uids = g_steal_pointer(&uids);
	g_mutex_unlock(&self->lock);
}

/* a Provider's uid as clients know it: the cluster's, when the cluster has
 * this Provider (the controller mirrors it), else the store's */
static char *
provider_uid(FerrydServer *self, FerryResource *provider)
{
	g_autofree char *key = g_strdup_printf("%s/%s", ferry_resource_get_namespace(provider),
					       ferry_resource_get_name(provider));
	char *uid;
	g_mutex_lock(&self->lock);
	uid = g_strdup(g_hash_table_lookup(self->cluster_uids, key));
	g_mutex_unlock(&self->lock);
	return uid != NULL ? uid : g_strdup(ferry_resource_get_uid(provider));
}

static const char *
provider_type(FerryResource *provider)
{
	return ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(provider));
}

static GPtrArray *
server_list_providers(FerrydServer *self, const char *type, const char *name_space,
		      GError **error)
{
	g_autoptr(GPtrArray) all = NULL;
	GPtrArray *out;

	server_refresh_cluster_uids(self);
	all = ferry_store_list(self->store, "Provider", name_space, error);
	if (all == NULL)
		return NULL;
	out = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < all->len; i++) {
		FerryResource *provider = g_ptr_array_index(all, i);
		if (!FERRY_IS_PROVIDER_RESOURCE(provider))
			continue;
		if (type != NULL && g_strcmp0(provider_type(provider), type) != 0)
			continue;
		g_ptr_array_add(out, g_object_ref(provider));
	}
	return out;
}

static FerryResource *
server_find_provider(FerrydServer *self, const char *type, const char *uid, GError **error)
{
	g_autoptr(GPtrArray) providers = server_list_providers(self, type, NULL, error);
	if (providers == NULL)
		return NULL;
	for (guint i = 0; i < providers->len; i++) {
		FerryResource *provider = g_ptr_array_index(providers, i);
		g_autofree char *known = provider_uid(self, provider);
		if (g_strcmp0(known, uid) == 0 ||
		    g_strcmp0(ferry_resource_get_uid(provider), uid) == 0)
			return g_object_ref(provider);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
		    "no %s provider with uid %s in ferryd's state: the uid is the Provider's "
		    "metadata.uid (GET /providers/%s lists them)",
		    type, uid, type);
	return NULL;
}

static JsonObject *
provider_document(FerrydServer *self, FerryResource *provider, int detail)
{
	JsonObject *out = json_object_new();
	g_autofree char *uid = provider_uid(self, provider);
	const char *type = provider_type(provider);

	json_object_set_string_member(out, "uid", uid);
	json_object_set_string_member(out, "version",
				      ferry_resource_get_resource_version(provider) != NULL
					      ? ferry_resource_get_resource_version(provider)
					      : "");
	json_object_set_string_member(out, "namespace", ferry_resource_get_namespace(provider));
	json_object_set_string_member(out, "name", ferry_resource_get_name(provider));
	json_object_set_string_member(out, "type", type);
	{
		g_autofree char *link = g_strdup_printf("providers/%s/%s", type, uid);
		json_object_set_string_member(out, "selfLink", link);
	}
	if (detail > 0) {
		const char *name = ferry_resource_get_name(provider);
		JsonNode *object = json_node_copy(ferry_resource_get_json(provider));
		json_object_set_member(out, "object", object);
		for (guint i = 0; i < G_N_ELEMENTS(count_members); i++) {
			g_autoptr(GPtrArray) objects = ferry_inventory_list(
				self->inventory, name, count_members[i].kind, NULL);
			if (objects != NULL && objects->len > 0)
				json_object_set_int_member(out, count_members[i].member,
							   objects->len);
		}
		if (json_object_has_member(out, "vmCount") == FALSE &&
		    ferry_inventory_has_parity(self->inventory, name))
			json_object_set_int_member(out, "vmCount", 0);
	}
	return out;
}

/* ---- inventory objects ---- */

static const char *
document_parent(JsonObject *document)
{
	JsonNode *parent = json_object_get_member(document, "parent");
	if (parent == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_OBJECT(parent))
		return ferry_json_get_string(json_node_get_object(parent), "id");
	if (JSON_NODE_HOLDS_VALUE(parent) && json_node_get_value_type(parent) == G_TYPE_STRING)
		return json_node_get_string(parent);
	return NULL;
}

static void
copy_member(JsonObject *from, const char *name, JsonNode *node, gpointer user_data)
{
	json_object_set_member(user_data, name, json_node_copy(node));
}

/* an object as a list shows it: Forklift's detail=0 has id, name, parent,
 * path and selfLink; any detail above that has the whole document */
static JsonObject *
object_view(JsonObject *document, const char *base, const char *collection, int detail)
{
	const char *id = ferry_json_get_string(document, "id");
	g_autofree char *link = g_strdup_printf("%s/%s/%s", base, collection, id != NULL ? id : "");
	JsonObject *out;

	if (detail > 0) {
		out = json_object_new();
		json_object_foreach_member(document, copy_member, out);
	} else {
		const char *const members[] = {"id", "name", "parent", "path", "revision", NULL};
		out = json_object_new();
		for (guint i = 0; members[i] != NULL; i++) {
			JsonNode *node = json_object_get_member(document, members[i]);
			if (node != NULL)
				json_object_set_member(out, members[i], json_node_copy(node));
		}
	}
	json_object_set_string_member(out, "selfLink", link);
	return out;
}

static gboolean
name_matches(JsonObject *document, const char *filter)
{
	const char *last;
	if (filter == NULL)
		return TRUE;
	/* `name=<name or /path/name>`: the last segment is matched */
	last = strrchr(filter, '/');
	last = last != NULL ? last + 1 : filter;
	return g_strcmp0(ferry_json_get_string(document, "name"), last) == 0;
}

static JsonNode *
collection_view(GPtrArray *documents, const FerrydRequest *request, const char *base)
{
	JsonArray *array = json_array_new();
	JsonNode *node;
	gint64 skipped = 0;
	for (guint i = 0; i < documents->len; i++) {
		JsonObject *document = g_ptr_array_index(documents, i);
		if (!name_matches(document, request->name))
			continue;
		if (skipped++ < request->offset)
			continue;
		if (request->limit >= 0 && (gint64)json_array_get_length(array) >= request->limit)
			break;
		json_array_add_object_element(
			array, object_view(document, base, request->collection, request->detail));
	}
	node = json_node_init_array(json_node_alloc(), array);
	json_array_unref(array);
	return node;
}

/* the kinds a tree is built from: what the inventory links with `parent` */
static const char *const tree_kinds[] = {"datacenter", "folder",  "cluster", "host",
					 "project",    "namespace", "vm",	    NULL};

static JsonObject *
tree_node(GHashTable *children, JsonObject *document, const char *kind, GHashTable *kinds,
	  const char *base, int detail, guint depth)
{
	JsonObject *node = json_object_new();
	JsonArray *array = json_array_new();
	const char *id = ferry_json_get_string(document, "id");
	GPtrArray *kids = id != NULL ? g_hash_table_lookup(children, id) : NULL;
	g_autofree char *collection = g_strdup_printf("%ss", kind);

	json_object_set_string_member(node, "kind", kind);
	json_object_set_object_member(node, "object",
				      object_view(document, base, collection, detail));
	/* depth bounds a damaged inventory whose parent links loop */
	for (guint i = 0; kids != NULL && depth < 64 && i < kids->len; i++) {
		JsonObject *kid = g_ptr_array_index(kids, i);
		json_array_add_object_element(
			array, tree_node(children, kid, g_hash_table_lookup(kinds, kid), kinds,
					 base, detail, depth + 1));
	}
	json_object_set_array_member(node, "children", array);
	return node;
}

static JsonNode *
server_tree(FerrydServer *self, const char *provider, const char *base, int detail,
	    GError **error)
{
	g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(GHashTable) ids = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) kinds = g_hash_table_new(NULL, NULL);
	g_autoptr(GHashTable) children =
		g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)g_ptr_array_unref);
	JsonObject *root = json_object_new();
	JsonArray *roots = json_array_new();
	JsonNode *node;

	for (guint k = 0; tree_kinds[k] != NULL; k++) {
		g_autoptr(GPtrArray) objects =
			ferry_inventory_list(self->inventory, provider, tree_kinds[k], error);
		if (objects == NULL) {
			json_object_unref(root);
			json_array_unref(roots);
			return NULL;
		}
		for (guint i = 0; i < objects->len; i++) {
			JsonObject *document = g_ptr_array_index(objects, i);
			const char *id = ferry_json_get_string(document, "id");
			if (id == NULL)
				continue;
			g_ptr_array_add(all, json_object_ref(document));
			g_hash_table_insert(ids, (gpointer)id, document);
			g_hash_table_insert(kinds, document, (gpointer)tree_kinds[k]);
		}
	}
	for (guint i = 0; i < all->len; i++) {
		JsonObject *document = g_ptr_array_index(all, i);
		const char *parent = document_parent(document);
		if (parent != NULL && g_hash_table_contains(ids, parent) &&
		    g_strcmp0(parent, ferry_json_get_string(document, "id")) != 0) {
			GPtrArray *list = g_hash_table_lookup(children, parent);
			if (list == NULL) {
				list = g_ptr_array_new();
				g_hash_table_insert(children, (gpointer)parent, list);
			}
			g_ptr_array_add(list, document);
		}
	}
	/* then the roots, once every object's children are known */
	for (guint i = 0; i < all->len; i++) {
		JsonObject *document = g_ptr_array_index(all, i);
		const char *parent = document_parent(document);
		if (parent != NULL && g_hash_table_contains(ids, parent) &&
		    g_strcmp0(parent, ferry_json_get_string(document, "id")) != 0)
			continue;
		json_array_add_object_element(roots,
					      tree_node(children, document,
							g_hash_table_lookup(kinds, document), kinds,
							base, detail, 0));
	}
	json_object_set_array_member(root, "children", roots);
	node = json_node_init_object(json_node_alloc(), root);
	json_object_unref(root);
	return node;
}

/* ---- auth: TokenReview, then SubjectAccessReview on the Provider ---- */

static char *
bearer_token(Job *job)
{
	const char *header = job->authorization;
	g_auto(GStrv) fields = NULL;
	if (header == NULL)
		return NULL;
	fields = g_strsplit_set(header, " \t", 0);
	{
		const char *scheme = NULL, *token = NULL;
		guint n = 0;
		for (guint i = 0; fields[i] != NULL; i++) {
			if (fields[i][0] == '\0')
				continue;
			if (n == 0)
				scheme = fields[i];
			else if (n == 1)
				token = fields[i];
			n++;
		}
		if (n != 2 || g_ascii_strcasecmp(scheme, "Bearer") != 0)
			return NULL;
		return g_strdup(token);
	}
}

static JsonNode *
review_node(const char *api_version, const char *kind, JsonObject *spec)
{
	JsonObject *object = json_object_new();
	json_object_set_string_member(object, "apiVersion", api_version);
	json_object_set_string_member(object, "kind", kind);
	json_object_set_object_member(object, "spec", spec);
	return json_node_init_object(json_node_alloc(), object);
}

static gboolean
auth_entry_expired(gpointer key, gpointer value, gpointer user_data)
{
	return *(gint64 *)value <= *(gint64 *)user_data;
}

/* Returns the HTTP status: 200, or 401/403/503 with @why */
static guint
server_authorize(FerrydServer *self, Job *job, const char *verb,
		 const char *name_space, const char *name, char **why)
{
	g_autofree char *token = NULL;
	g_autofree char *digest = NULL;
	g_autofree char *key = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) review = NULL;
	g_autoptr(JsonNode) sar = NULL;
	JsonObject *status, *user, *spec, *attributes;
	gint64 now = g_get_monotonic_time();
	gint64 *expiry;

	if (!self->auth)
		return SOUP_STATUS_OK;
	token = bearer_token(job);
	if (token == NULL) {
		*why = g_strdup("no bearer token: send `Authorization: Bearer <token>` with a "
				"token the cluster's API server accepts (kubectl create token …)");
		return SOUP_STATUS_UNAUTHORIZED;
	}
	/* the cache holds a digest of the token, never the token */
	digest = g_compute_checksum_for_string(G_CHECKSUM_SHA256, token, -1);
	key = g_strdup_printf("%s %s %s %s", digest, verb, name_space != NULL ? name_space : "",
			      name != NULL ? name : "");
	g_mutex_lock(&self->lock);
	expiry = g_hash_table_lookup(self->auth_cache, key);
	if (expiry != NULL && *expiry > now) {
		g_mutex_unlock(&self->lock);
		return SOUP_STATUS_OK;
	}
	g_hash_table_remove(self->auth_cache, key);
	g_mutex_unlock(&self->lock);

	spec = json_object_new();
	json_object_set_string_member(spec, "token", token);
	review = review_node("authentication.k8s.io/v1", "TokenReview", spec);
	g_autoptr(JsonNode) reply = ferry_kube_client_create(self->kube, review, NULL, &error);
	if (reply == NULL) {
		*why = g_strdup_printf("cannot check the token with the API server: %s",
				       error->message);
		return SOUP_STATUS_SERVICE_UNAVAILABLE;
	}
	status = JSON_NODE_HOLDS_OBJECT(reply)
			 ? ferry_json_get_object(json_node_get_object(reply), "status")
			 : NULL;
	if (!ferry_json_get_bool_or(status, "authenticated", FALSE)) {
		*why = g_strdup("the API server does not accept this bearer token (TokenReview: "
				"not authenticated); get a current one with kubectl create token");
		return SOUP_STATUS_UNAUTHORIZED;
	}
	user = ferry_json_get_object(status, "user");

	spec = json_object_new();
	if (ferry_json_get_string(user, "username") != NULL)
		json_object_set_string_member(spec, "user", ferry_json_get_string(user, "username"));
	if (ferry_json_get_string(user, "uid") != NULL)
		json_object_set_string_member(spec, "uid", ferry_json_get_string(user, "uid"));
	if (ferry_json_get_array(user, "groups") != NULL)
		json_object_set_array_member(spec, "groups",
					     json_array_ref(ferry_json_get_array(user, "groups")));
	if (ferry_json_get_object(user, "extra") != NULL)
		json_object_set_object_member(spec, "extra",
					      json_object_ref(ferry_json_get_object(user, "extra")));
	attributes = json_object_new();
	json_object_set_string_member(attributes, "group", "forklift.konveyor.io");
	json_object_set_string_member(attributes, "resource", "providers");
	json_object_set_string_member(attributes, "verb", verb);
	if (name_space != NULL)
		json_object_set_string_member(attributes, "namespace", name_space);
	if (name != NULL)
		json_object_set_string_member(attributes, "name", name);
	json_object_set_object_member(spec, "resourceAttributes", attributes);
	sar = review_node("authorization.k8s.io/v1", "SubjectAccessReview", spec);
	g_autoptr(JsonNode) decision = ferry_kube_client_create(self->kube, sar, NULL, &error);
	if (decision == NULL) {
		*why = g_strdup_printf("cannot check the access with the API server: %s",
				       error->message);
		return SOUP_STATUS_SERVICE_UNAVAILABLE;
	}
	status = JSON_NODE_HOLDS_OBJECT(decision)
			 ? ferry_json_get_object(json_node_get_object(decision), "status")
			 : NULL;
	if (!ferry_json_get_bool_or(status, "allowed", FALSE)) {
		const char *username = ferry_json_get_string(user, "username");
		if (name != NULL)
			*why = g_strdup_printf(
				"%s may not %s providers.forklift.konveyor.io %s in namespace %s: "
				"the inventory of a Provider is open to whoever may %s the "
				"Provider",
				username != NULL ? username : "this user", verb, name,
				name_space, verb);
		else
			*why = g_strdup_printf(
				"%s may not list providers.forklift.konveyor.io%s%s: listing the "
				"inventory's providers needs the right to list Providers",
				username != NULL ? username : "this user",
				name_space != NULL ? " in namespace " : " in all namespaces",
				name_space != NULL ? name_space : "");
		return SOUP_STATUS_FORBIDDEN;
	}
	expiry = g_new(gint64, 1);
	*expiry = now + AUTH_CACHE_SECONDS * G_USEC_PER_SEC;
	g_mutex_lock(&self->lock);
	if (g_hash_table_size(self->auth_cache) > 1024)
		g_hash_table_foreach_remove(self->auth_cache, auth_entry_expired, &now);
	g_hash_table_insert(self->auth_cache, g_steal_pointer(&key), expiry);
	g_mutex_unlock(&self->lock);
	return SOUP_STATUS_OK;
}

/* ---- metrics: Forklift's names, labels and types, from the store ---- */

typedef struct {
	const char *name;
	const char *help;
	const char *type;
	GHashTable *samples; /* label text -> double* */
} Metric;

static void
metric_add(Metric *metric, const char *labels, double value)
{
	double *sample = g_hash_table_lookup(metric->samples, labels);
	if (sample == NULL) {
		sample = g_new0(double, 1);
		g_hash_table_insert(metric->samples, g_strdup(labels), sample);
	}
	*sample += value;
}

static void
metric_set(Metric *metric, const char *labels, double value)
{
	double *sample = g_new(double, 1);
	*sample = value;
	g_hash_table_insert(metric->samples, g_strdup(labels), sample);
}

static void
append_label(GString *out, const char *name, const char *value)
{
	if (out->len > 0)
		g_string_append_c(out, ',');
	g_string_append_printf(out, "%s=\"", name);
	for (const char *p = value != NULL ? value : ""; *p != '\0'; p++) {
		if (*p == '\\')
			g_string_append(out, "\\\\");
		else if (*p == '"')
			g_string_append(out, "\\\"");
		else if (*p == '\n')
			g_string_append(out, "\\n");
		else
			g_string_append_c(out, *p);
	}
	g_string_append_c(out, '"');
}

static void
metric_write(Metric *metric, GString *out)
{
	g_autoptr(GList) keys = g_hash_table_get_keys(metric->samples);
	g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", metric->name, metric->help,
			       metric->name, metric->type);
	keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
	for (GList *l = keys; l != NULL; l = l->next) {
		const char *labels = l->data;
		double *value = g_hash_table_lookup(metric->samples, labels);
		char number[G_ASCII_DTOSTR_BUF_SIZE];
		/* a histogram's samples carry their suffix before the labels */
		const char *suffix = "";
		const char *brace = strchr(labels, '{');
		if (brace != NULL) {
			g_string_append_printf(out, "%s%.*s%s", metric->name, (int)(brace - labels),
					       labels, brace);
		} else {
			g_string_append(out, metric->name);
			if (labels[0] != '\0')
				g_string_append_printf(out, "{%s}", labels);
		}
		g_string_append_printf(out, "%s %s\n", suffix,
				       g_ascii_dtostr(number, sizeof(number), *value));
	}
}

static double
seconds_between(const char *started, const char *completed)
{
	g_autoptr(GDateTime) a = NULL;
	g_autoptr(GDateTime) b = NULL;
	if (started == NULL)
		return -1;
	a = g_date_time_new_from_iso8601(started, NULL);
	b = completed != NULL ? g_date_time_new_from_iso8601(completed, NULL)
			      : g_date_time_new_now_utc();
	if (a == NULL || b == NULL)
		return -1;
	return (double)g_date_time_difference(b, a) / G_USEC_PER_SEC;
}

static gboolean
has_true_condition(JsonObject *status, const char *type)
{
	JsonArray *conditions = ferry_json_get_array(status, "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *condition = ferry_json_array_object(conditions, i);
		if (g_strcmp0(ferry_json_get_string(condition, "type"), type) == 0 &&
		    g_strcmp0(ferry_json_get_string(condition, "status"), "True") == 0)
			return TRUE;
	}
	return FALSE;
}

/* Succeeded, Failed, Canceled, or NULL while running */
static const char *
outcome(JsonObject *status)
{
	const char *const outcomes[] = {"Succeeded", "Failed", "Canceled", NULL};
	for (guint i = 0; outcomes[i] != NULL; i++) {
		if (has_true_condition(status, outcomes[i]))
			return outcomes[i];
	}
	return NULL;
}

typedef struct {
	char *provider; /* the source provider's type */
	char *mode;	/* Cold, Warm, Live */
	char *target;	/* Local, Remote */
} PlanLabels;

static void
plan_labels_clear(PlanLabels *labels)
{
	g_free(labels->provider);
	g_free(labels->mode);
	g_free(labels->target);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(PlanLabels, plan_labels_clear)

static void
plan_labels(FerrydServer *self, FerryResource *plan, PlanLabels *out)
{
	const char *ns = ferry_resource_get_namespace(plan);
	const char *source = ferry_resource_get_string(plan, "spec.provider.source.name");
	const char *source_ns = ferry_resource_get_string(plan, "spec.provider.source.namespace");
	const char *destination = ferry_resource_get_string(plan, "spec.provider.destination.name");
	const char *destination_ns =
		ferry_resource_get_string(plan, "spec.provider.destination.namespace");
	const char *type = ferry_resource_get_string(plan, "spec.type");
	g_autoptr(FerryResource) src = NULL;
	g_autoptr(FerryResource) dst = NULL;

	if (source != NULL)
		src = ferry_store_get(self->store, "Provider",
				      source_ns != NULL ? source_ns : ns, source, NULL);
	if (destination != NULL)
		dst = ferry_store_get(self->store, "Provider",
				      destination_ns != NULL ? destination_ns : ns, destination,
				      NULL);
	out->provider = g_strdup(src != NULL && FERRY_IS_PROVIDER_RESOURCE(src)
					 ? provider_type(src)
					 : "unknown");
	if (g_strcmp0(type, "live") == 0)
		out->mode = g_strdup("Live");
	else if (g_strcmp0(type, "warm") == 0 ||
		 ferry_resource_get_boolean(plan, "spec.warm", FALSE))
		out->mode = g_strdup("Warm");
	else
		out->mode = g_strdup("Cold");
	/* Forklift: a destination with no URL is the cluster ferryd runs in */
	out->target = g_strdup(dst != NULL && FERRY_IS_PROVIDER_RESOURCE(dst) &&
					       ferry_provider_resource_get_url(
						       FERRY_PROVIDER_RESOURCE(dst)) != NULL &&
					       *ferry_provider_resource_get_url(
						       FERRY_PROVIDER_RESOURCE(dst)) != '\0'
				       ? "Remote"
				       : "Local");
}

static const char *
plan_state(FerryResource *plan, JsonObject *status)
{
	const char *const states[] = {"Succeeded", "Failed",  "Canceled", "Executing",
				      "Running",   "Archived", NULL};
	for (guint i = 0; states[i] != NULL; i++) {
		if (has_true_condition(status, states[i]))
			return states[i];
	}
	if (ferry_resource_has_blocker(plan))
		return "Blocked";
	if (has_true_condition(status, "Ready"))
		return "Ready";
	return "Pending";
}

static gint64
step_completed_mib(JsonObject *vm, const char *step_name)
{
	JsonArray *pipeline = ferry_json_get_array(vm, "pipeline");
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = ferry_json_array_object(pipeline, i);
		if (g_strcmp0(ferry_json_get_string(step, "name"), step_name) == 0)
			return ferry_json_get_int_or(ferry_json_get_object(step, "progress"),
						     "completed", 0);
	}
	return 0;
}

static const double duration_buckets[] = {1 * 3600, 2 * 3600, 5 * 3600,
					  10 * 3600, 24 * 3600, 48 * 3600};

static char *
server_metrics(FerrydServer *self, GError **error)
{
	Metric migrations = {"mtv_migrations_status_total",
			     "VM Migrations sorted by status, provider, mode and target", "counter"};
	Metric plans_status = {"mtv_plans_status",
			       "VM migration Plans sorted by status, provider, mode and target",
			       "gauge"};
	Metric alert = {"mtv_plan_alert_status", "VM Migration plan statuses for alerting",
			"gauge"};
	Metric duration = {"mtv_migration_duration_seconds", "Duration of VM migrations in seconds",
			   "gauge"};
	Metric transferred = {"mtv_migration_data_transferred_bytes",
			      "Total data transferred during VM migrations in bytes", "gauge"};
	Metric workload = {"mtv_workload_migrations_status_total",
			   "VM Migrations status by provider, mode, target and plan", "counter"};
	Metric histogram = {"mtv_migrations_duration_seconds",
			    "Histogram of VM migrations duration in seconds", "histogram"};
	Metric planned = {"mtv_planned_vms_total", "Number of VMs listed in migration plan specs",
			  "counter"};
	Metric migrated = {
		"mtv_migrated_vms_total",
		"Individual VM migration outcomes sorted by status, provider, mode and target",
		"counter"};
	Metric throughput = {"ferry_disk_transfer_bytes_per_second",
			     "Ferry: each disk's copy rate in its latest migration (bytes copied "
			     "over the copy's time so far)",
			     "gauge"};
	Metric *all[] = {&migrations, &migrated, &plans_status, &alert,	     &duration,
			 &transferred, &workload, &histogram,	 &planned, &throughput};
	g_autoptr(GPtrArray) plans = NULL;
	g_autoptr(GPtrArray) runs = NULL;
	g_autoptr(GHashTable) plan_by_key = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GPtrArray) keys = g_ptr_array_new_with_free_func(g_free);
	GString *out;

	plans = ferry_store_list(self->store, "Plan", NULL, error);
	if (plans == NULL)
		return NULL;
	runs = ferry_store_list(self->store, "Migration", NULL, error);
	if (runs == NULL)
		return NULL;
	for (guint m = 0; m < G_N_ELEMENTS(all); m++)
		all[m]->samples = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	for (guint i = 0; i < plans->len; i++) {
		FerryResource *plan = g_ptr_array_index(plans, i);
		JsonObject *status = ferry_json_get_object(
			json_node_get_object(ferry_resource_get_json(plan)), "status");
		JsonObject *migration = ferry_json_get_object(status, "migration");
		JsonArray *vms = ferry_json_get_array(migration, "vms");
		JsonArray *spec_vms = ferry_json_get_array(
			ferry_json_get_object(json_node_get_object(ferry_resource_get_json(plan)),
					      "spec"),
			"vms");
		const char *state = plan_state(plan, status);
		const char *uid = ferry_resource_get_uid(plan);
		g_auto(PlanLabels) labels = {0};
		g_autoptr(GString) l = g_string_new(NULL);
		char *key = g_strdup_printf("%s/%s", ferry_resource_get_namespace(plan),
					    ferry_resource_get_name(plan));
		gint64 bytes = 0;
		double seconds;

		g_ptr_array_add(keys, key);
		g_hash_table_insert(plan_by_key, key, plan);
		plan_labels(self, plan, &labels);

		append_label(l, "status", state);
		append_label(l, "provider", labels.provider);
		append_label(l, "mode", labels.mode);
		append_label(l, "target", labels.target);
		metric_add(&plans_status, l->str, 1);
		if (g_str_equal(state, "Succeeded") || g_str_equal(state, "Failed")) {
			append_label(l, "plan", uid);
			append_label(l, "plan_name", ferry_resource_get_name(plan));
			append_label(l, "phase", state);
			metric_set(&alert, l->str, 1);
		}

		g_string_truncate(l, 0);
		append_label(l, "provider", labels.provider);
		append_label(l, "mode", labels.mode);
		append_label(l, "target", labels.target);
		metric_add(&planned, l->str, spec_vms != NULL ? json_array_get_length(spec_vms) : 0);
		append_label(l, "plan", uid);
		/* the plan's latest migration, as its status.migration shows it */
		seconds = seconds_between(ferry_json_get_string(migration, "started"),
					  ferry_json_get_string(migration, "completed"));
		if (seconds >= 0)
			metric_set(&duration, l->str, seconds);
		for (guint v = 0; vms != NULL && v < json_array_get_length(vms); v++) {
			JsonObject *vm = ferry_json_array_object(vms, v);
			JsonArray *pipeline = ferry_json_get_array(vm, "pipeline");
			bytes += step_completed_mib(vm, "DiskTransfer") * (gint64)1048576;
			for (guint s = 0; pipeline != NULL && s < json_array_get_length(pipeline);
			     s++) {
				JsonObject *step = ferry_json_array_object(pipeline, s);
				JsonArray *tasks = ferry_json_get_array(step, "tasks");
				if (g_strcmp0(ferry_json_get_string(step, "name"), "DiskTransfer") != 0)
					continue;
				for (guint t = 0; tasks != NULL && t < json_array_get_length(tasks);
				     t++) {
					JsonObject *task = ferry_json_array_object(tasks, t);
					double elapsed = seconds_between(
						ferry_json_get_string(task, "started"),
						ferry_json_get_string(task, "completed"));
					gint64 done = ferry_json_get_int_or(
						ferry_json_get_object(task, "progress"), "completed",
						0);
					g_autoptr(GString) tl = g_string_new(NULL);
					const char *finished =
						ferry_json_get_string(task, "completed");
					/* status times are whole seconds: a copy done
					 * within one counts as one second */
					if (elapsed < 0 || (elapsed == 0 && finished == NULL))
						continue;
					elapsed = MAX(elapsed, 1.0);
					append_label(tl, "namespace",
						     ferry_resource_get_namespace(plan));
					append_label(tl, "plan", ferry_resource_get_name(plan));
					append_label(tl, "vm", ferry_json_get_string(vm, "id"));
					append_label(tl, "disk", ferry_json_get_string(task, "name"));
					metric_set(&throughput, tl->str,
						   (double)done * 1048576.0 / elapsed);
				}
			}
		}
		if (vms != NULL)
			metric_set(&transferred, l->str, (double)bytes);
	}

	for (guint i = 0; i < runs->len; i++) {
		FerryResource *run = g_ptr_array_index(runs, i);
		JsonObject *status = ferry_json_get_object(
			json_node_get_object(ferry_resource_get_json(run)), "status");
		const char *result = outcome(status);
		const char *plan_name = ferry_resource_get_string(run, "spec.plan.name");
		const char *plan_ns = ferry_resource_get_string(run, "spec.plan.namespace");
		g_autofree char *key = g_strdup_printf(
			"%s/%s", plan_ns != NULL ? plan_ns : ferry_resource_get_namespace(run),
			plan_name != NULL ? plan_name : "");
		FerryResource *plan = g_hash_table_lookup(plan_by_key, key);
		g_auto(PlanLabels) labels = {0};
		g_autoptr(GString) l = g_string_new(NULL);
		JsonArray *vms = ferry_json_get_array(status, "vms");
		double seconds;

		if (plan == NULL || result == NULL)
			continue;
		plan_labels(self, plan, &labels);
		append_label(l, "status", result);
		append_label(l, "provider", labels.provider);
		append_label(l, "mode", labels.mode);
		append_label(l, "target", labels.target);
		metric_add(&migrations, l->str, 1);
		for (guint v = 0; vms != NULL && v < json_array_get_length(vms); v++) {
			const char *vm_result = outcome(ferry_json_array_object(vms, v));
			g_autoptr(GString) vl = g_string_new(NULL);
			if (vm_result == NULL)
				continue;
			append_label(vl, "status", vm_result);
			append_label(vl, "provider", labels.provider);
			append_label(vl, "mode", labels.mode);
			append_label(vl, "target", labels.target);
			metric_add(&migrated, vl->str, 1);
		}
		append_label(l, "plan", ferry_resource_get_uid(plan));
		metric_add(&workload, l->str, 1);

		seconds = seconds_between(ferry_json_get_string(status, "started"),
					  ferry_json_get_string(status, "completed"));
		if (seconds >= 0 && ferry_json_get_string(status, "completed") != NULL) {
			g_autoptr(GString) hl = g_string_new(NULL);
			append_label(hl, "provider", labels.provider);
			append_label(hl, "mode", labels.mode);
			append_label(hl, "target", labels.target);
			for (guint b = 0; b <= G_N_ELEMENTS(duration_buckets); b++) {
				char le[G_ASCII_DTOSTR_BUF_SIZE];
				g_autofree char *bucket = NULL;
				if (b < G_N_ELEMENTS(duration_buckets))
					g_ascii_dtostr(le, sizeof(le), duration_buckets[b]);
				else
					g_strlcpy(le, "+Inf", sizeof(le));
				bucket = g_strdup_printf("_bucket{%s,le=\"%s\"}", hl->str, le);
				metric_add(&histogram, bucket,
					   b == G_N_ELEMENTS(duration_buckets) ||
							   seconds <= duration_buckets[b]
						   ? 1
						   : 0);
			}
			{
				g_autofree char *sum = g_strdup_printf("_sum{%s}", hl->str);
				g_autofree char *count = g_strdup_printf("_count{%s}", hl->str);
				metric_add(&histogram, sum, seconds);
				metric_add(&histogram, count, 1);
			}
		}
	}

	out = g_string_new(NULL);
	for (guint m = 0; m < G_N_ELEMENTS(all); m++) {
		metric_write(all[m], out);
		g_hash_table_unref(all[m]->samples);
	}
	return g_string_free(out, FALSE);
}

/* ---- health ---- */

static gboolean
server_ready(FerrydServer *self, GString *why)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) controllers = NULL;
	gboolean ready = TRUE;

	controllers = ferry_store_list(self->store, "ForkliftController", NULL, &error);
	if (controllers == NULL) {
		g_string_append_printf(why, "the state store in %s cannot be read: %s\n",
				       self->state_dir, error->message);
		g_clear_error(&error);
		ready = FALSE;
	}
	if (self->kube != NULL) {
		g_autoptr(JsonObject) version = ferry_kube_client_get_version(self->kube, NULL, &error);
		if (version == NULL) {
			g_string_append_printf(why, "the API server cannot be reached: %s\n",
					       error->message);
			ready = FALSE;
		}
	}
	return ready;
}

/* ---- the HTTP handler ---- */

static void
respond_text(Job *job, guint status, const char *text)
{
	job->status = status;
	job->content_type = "text/plain; charset=utf-8";
	g_free(job->body);
	job->body = g_strdup(text);
}

static void
respond_json(Job *job, JsonNode *node)
{
	job->status = SOUP_STATUS_OK;
	job->content_type = "application/json";
	g_free(job->body);
	job->body = json_to_string(node, FALSE);
}

static void
respond_error(Job *job, const GError *error)
{
	guint status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	g_autofree char *text = g_strdup_printf("%s\n", error->message);
	if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
		status = SOUP_STATUS_NOT_FOUND;
	else if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT))
		status = SOUP_STATUS_BAD_REQUEST;
	respond_text(job, status, text);
}

static void
server_handle_providers(FerrydServer *self, Job *job, FerrydRequest *request)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *why = NULL;
	g_autoptr(FerryResource) provider = NULL;
	g_autoptr(JsonNode) reply = NULL;
	g_autofree char *base = NULL;
	const char *name;
	guint status;

	if (request->route == FERRYD_ROUTE_PROVIDERS ||
	    request->route == FERRYD_ROUTE_PROVIDER_TYPE) {
		g_auto(GStrv) types = NULL;
		g_autoptr(GPtrArray) providers = NULL;
		JsonObject *by_type = json_object_new();
		JsonArray *only = NULL;

		if (request->route == FERRYD_ROUTE_PROVIDER_TYPE &&
		    !ferry_platform_is_known(request->provider_type)) {
			json_object_unref(by_type);
			job->reason = "ProviderNotFound";
			respond_text(job, SOUP_STATUS_NOT_FOUND,
				     "no such provider type; GET /providers lists the types\n");
			return;
		}
		status = server_authorize(self, job, "list", request->name_space, NULL, &why);
		if (status != SOUP_STATUS_OK) {
			json_object_unref(by_type);
			respond_text(job, status, why);
			return;
		}
		providers = server_list_providers(self, request->provider_type, request->name_space,
						  &error);
		if (providers == NULL) {
			json_object_unref(by_type);
			respond_error(job, error);
			return;
		}
		types = ferry_platform_dup_types();
		for (guint t = 0; types[t] != NULL; t++) {
			if (request->provider_type == NULL ||
			    g_str_equal(types[t], request->provider_type))
				json_object_set_array_member(by_type, types[t], json_array_new());
		}
		for (guint i = 0; i < providers->len; i++) {
			FerryResource *p = g_ptr_array_index(providers, i);
			JsonArray *list = ferry_json_get_array(by_type, provider_type(p));
			if (list == NULL) {
				list = json_array_new();
				json_object_set_array_member(by_type, provider_type(p), list);
			}
			if (request->name != NULL &&
			    g_strcmp0(ferry_resource_get_name(p), request->name) != 0)
				continue;
			json_array_add_object_element(list,
						      provider_document(self, p, request->detail));
		}
		if (request->route == FERRYD_ROUTE_PROVIDER_TYPE) {
			only = json_array_ref(ferry_json_get_array(by_type, request->provider_type));
			reply = json_node_init_array(json_node_alloc(), only);
			json_array_unref(only);
		} else {
			reply = json_node_init_object(json_node_alloc(), by_type);
		}
		json_object_unref(by_type);
		respond_json(job, reply);
		return;
	}

	provider = server_find_provider(self, request->provider_type, request->provider_uid,
					&error);
	if (provider == NULL) {
		if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			job->reason = "ProviderNotFound";
		respond_error(job, error);
		return;
	}
	status = server_authorize(self, job, "get", ferry_resource_get_namespace(provider),
				  ferry_resource_get_name(provider), &why);
	if (status != SOUP_STATUS_OK) {
		respond_text(job, status, why);
		return;
	}
	name = ferry_resource_get_name(provider);
	base = g_strdup_printf("providers/%s/%s", request->provider_type, request->provider_uid);

	switch (request->route) {
	case FERRYD_ROUTE_PROVIDER: {
		JsonObject *document = provider_document(self, provider, MAX(request->detail, 1));
		reply = json_node_init_object(json_node_alloc(), document);
		json_object_unref(document);
		break;
	}
	case FERRYD_ROUTE_COLLECTION: {
		g_autofree char *kind = collection_kind(request->collection);
		g_autoptr(GPtrArray) documents = NULL;
		if (kind == NULL) {
			g_set_error(&error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "no collection %s: collections are the plural of the "
				    "inventory's kinds (vms, networks, …)",
				    request->collection);
			break;
		}
		documents = ferry_inventory_list(self->inventory, name, kind, &error);
		if (documents != NULL)
			reply = collection_view(documents, request, base);
		break;
	}
	case FERRYD_ROUTE_OBJECT: {
		g_autofree char *kind = collection_kind(request->collection);
		g_autoptr(JsonObject) document = NULL;
		if (kind == NULL) {
			g_set_error(&error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "no collection %s: collections are the plural of the "
				    "inventory's kinds (vms, networks, …)",
				    request->collection);
			break;
		}
		if (g_str_equal(request->collection, "workloads"))
			document = ferry_inventory_get_workload(self->inventory, name,
								request->provider_type,
								request->id, &error);
		else
			document = ferry_inventory_get(self->inventory, name, kind, request->id,
						       &error);
		if (document != NULL) {
			JsonObject *view = object_view(document, base, request->collection,
						       MAX(request->detail, 1));
			reply = json_node_init_object(json_node_alloc(), view);
			json_object_unref(view);
		}
		break;
	}
	case FERRYD_ROUTE_TREE:
		reply = server_tree(self, name, base, request->detail, &error);
		break;
	default:
		g_assert_not_reached();
	}
	if (reply == NULL) {
		respond_error(job, error);
		return;
	}
	respond_json(job, reply);
}

static void
server_handle_job(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	FerrydServer *self = source;
	Job *job = task_data;
	FerrydRequest request;
	g_autoptr(GError) error = NULL;

	if (!ferryd_request_parse(job->path, job->query, &request, &error)) {
		respond_error(job, error);
		ferryd_request_clear(&request);
		g_task_return_boolean(task, TRUE);
		return;
	}
	switch (request.route) {
	case FERRYD_ROUTE_HEALTHZ:
		respond_text(job, SOUP_STATUS_OK, "ok\n");
		break;
	case FERRYD_ROUTE_READYZ: {
		g_autoptr(GString) why = g_string_new(NULL);
		if (server_ready(self, why))
			respond_text(job, SOUP_STATUS_OK, "ok\n");
		else
			respond_text(job, SOUP_STATUS_SERVICE_UNAVAILABLE, why->str);
		break;
	}
	case FERRYD_ROUTE_METRICS: {
		g_autofree char *why = NULL;
		char *text;
		/* Forklift serves its metrics to whoever may reach the port; ferryd
		 * asks for the right to list Providers, as its inventory does */
		guint status = server_authorize(self, job, "list", NULL, NULL, &why);
		if (status != SOUP_STATUS_OK) {
			respond_text(job, status, why);
			break;
		}
		text = server_metrics(self, &error);
		if (text == NULL) {
			respond_error(job, error);
			break;
		}
		job->status = SOUP_STATUS_OK;
		job->content_type = "text/plain; version=0.0.4; charset=utf-8";
		g_free(job->body);
		job->body = text;
		break;
	}
	default:
		server_handle_providers(self, job, &request);
		break;
	}
	ferryd_request_clear(&request);
	g_task_return_boolean(task, TRUE);
}

static void
server_job_done(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Job *job = g_task_get_task_data(G_TASK(result));
	SoupServerMessage *msg = job->msg;
	gsize length = job->body != NULL ? strlen(job->body) : 0;

	soup_server_message_set_status(msg, job->status, NULL);
	if (job->reason != NULL)
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "X-Reason", job->reason);
	soup_server_message_set_response(msg, job->content_type, SOUP_MEMORY_TAKE,
					 g_steal_pointer(&job->body), length);
	soup_server_message_unpause(msg);
}

static void
server_handle(SoupServer *server,
	      SoupServerMessage *msg,
	      const char *unused_path,
	      GHashTable *unused_query,
	      gpointer user_data)
{
	FerrydServer *self = user_data;
	GUri *uri = soup_server_message_get_uri(msg);
	const char *method = soup_server_message_get_method(msg);
	g_autoptr(GTask) task = NULL;
	Job *job;

	if (g_strcmp0(method, "GET") != 0 && g_strcmp0(method, "HEAD") != 0) {
		const char *text = "ferryd's inventory is read-only: use GET\n";
		soup_message_headers_replace(soup_server_message_get_response_headers(msg),
					     "Allow", "GET, HEAD");
		soup_server_message_set_status(msg, SOUP_STATUS_METHOD_NOT_ALLOWED, NULL);
		soup_server_message_set_response(msg, "text/plain; charset=utf-8",
						 SOUP_MEMORY_STATIC, text, strlen(text));
		return;
	}
	job = g_new0(Job, 1);
	job->msg = g_object_ref(msg);
	job->path = g_strdup(g_uri_get_path(uri));
	job->query = g_strdup(g_uri_get_query(uri));
	job->authorization = g_strdup(soup_message_headers_get_one(
		soup_server_message_get_request_headers(msg), "Authorization"));
	job->status = SOUP_STATUS_INTERNAL_SERVER_ERROR;
	job->content_type = "text/plain; charset=utf-8";
	soup_server_message_pause(msg);
	task = g_task_new(self, NULL, server_job_done, NULL);
	g_task_set_task_data(task, job, (GDestroyNotify)job_free);
	g_task_run_in_thread(task, server_handle_job);
}

/* ---- lifecycle ---- */

static void
ferryd_server_finalize(GObject *object)
{
	FerrydServer *self = FERRYD_SERVER(object);
	if (self->server != NULL)
		soup_server_disconnect(self->server);
	g_clear_object(&self->server);
	g_clear_object(&self->store);
	g_clear_object(&self->inventory);
	g_clear_object(&self->kube);
	g_clear_pointer(&self->auth_cache, g_hash_table_unref);
	g_clear_pointer(&self->cluster_uids, g_hash_table_unref);
	g_mutex_clear(&self->lock);
	g_free(self->state_dir);
	G_OBJECT_CLASS(ferryd_server_parent_class)->finalize(object);
}

static void
ferryd_server_class_init(FerrydServerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferryd_server_finalize;
}

static void
ferryd_server_init(FerrydServer *self)
{
	self->auth_cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->cluster_uids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	g_mutex_init(&self->lock);
}

/**
 * ferryd_server_new:
 * @state_dir: the state folder (the store and the inventory the controller
 *   writes); the server reads them through its own connections
 * @kube: (nullable): the cluster's API server, for tokens and Provider uids
 * @auth: whether requests need a bearer token (needs @kube)
 */
FerrydServer *
ferryd_server_new(const char *state_dir, FerryKubeClient *kube, gboolean auth, GError **error)
{
	g_autoptr(FerrydServer) self = g_object_new(FERRYD_TYPE_SERVER, NULL);
	g_autofree char *inventory_path = g_build_filename(state_dir, "inventory.db", NULL);

	if (auth && kube == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "checking bearer tokens needs the cluster: give --kubeconfig (or run "
			    "in a pod), or --no-auth for local use");
		return NULL;
	}
	self->state_dir = g_strdup(state_dir);
	self->auth = auth;
	self->kube = kube != NULL ? g_object_ref(kube) : NULL;
	self->store = ferry_store_new(state_dir, error);
	if (self->store == NULL)
		return NULL;
	self->inventory = ferry_inventory_new(inventory_path, error);
	if (self->inventory == NULL)
		return NULL;
	return g_steal_pointer(&self);
}

/**
 * ferryd_server_listen:
 * @address: `ADDR:PORT` (port 0: any free port, see ferryd_server_get_port())
 * @tls_cert: (nullable): PEM certificate; with @tls_key, the server speaks HTTPS
 * @tls_key: (nullable): its PEM private key
 */
gboolean
ferryd_server_listen(FerrydServer *self, const char *address, const char *tls_cert,
		     const char *tls_key, GError **error)
{
	g_autoptr(GTlsCertificate) certificate = NULL;
	g_autoptr(GSocketConnectable) connectable = NULL;
	g_autoptr(GSocketAddressEnumerator) enumerator = NULL;
	g_autoptr(GSocketAddress) socket_address = NULL;
	g_autoptr(GError) local_error = NULL;
	GSList *listeners;
	SoupServerListenOptions options = 0;

	g_return_val_if_fail(FERRYD_IS_SERVER(self), FALSE);
	if ((tls_cert == NULL) != (tls_key == NULL)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "--tls-cert and --tls-key go together");
		return FALSE;
	}
	if (tls_cert != NULL) {
		certificate = g_tls_certificate_new_from_files(tls_cert, tls_key, &local_error);
		if (certificate == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED,
				    "cannot load the TLS certificate %s with key %s: %s", tls_cert,
				    tls_key, local_error->message);
			return FALSE;
		}
		options |= SOUP_SERVER_LISTEN_HTTPS;
	}
	connectable = g_network_address_parse(address, 8443, &local_error);
	if (connectable == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "--listen %s: expected ADDRESS:PORT (%s)", address,
			    local_error->message);
		return FALSE;
	}
	enumerator = g_socket_connectable_enumerate(connectable);
	socket_address = g_socket_address_enumerator_next(enumerator, NULL, &local_error);
	if (socket_address == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "--listen %s: the address does not resolve (%s)", address,
			    local_error != NULL ? local_error->message : "no address");
		return FALSE;
	}
	self->server = soup_server_new("server-header", "ferryd", "tls-certificate", certificate,
				       NULL);
	soup_server_add_handler(self->server, NULL, server_handle, self, NULL);
	if (!soup_server_listen(self->server, socket_address, options, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
			    "cannot listen on %s: %s", address, local_error->message);
		return FALSE;
	}
	/* the port chosen for port 0, from the listening socket (libsoup's
	 * soup_server_get_uris() leaks an address) */
	listeners = soup_server_get_listeners(self->server);
	if (listeners != NULL) {
		g_autoptr(GSocketAddress) local =
			g_socket_get_local_address(listeners->data, NULL);
		if (local != NULL && G_IS_INET_SOCKET_ADDRESS(local))
			self->port = g_inet_socket_address_get_port(G_INET_SOCKET_ADDRESS(local));
	}
	g_slist_free(listeners);
	return TRUE;
}

guint16
ferryd_server_get_port(FerrydServer *self)
{
	g_return_val_if_fail(FERRYD_IS_SERVER(self), 0);
	return self->port;
}
