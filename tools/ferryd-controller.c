/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferryd-controller.h"

/**
 * FerrydController:
 *
 * ferryd's controller: it lists and watches Forklift's kinds in the
 * cluster (an informer cache per kind, fed by #FerryKubeWatch, which
 * resumes from the last `resourceVersion` and lists again after `410
 * Gone`), mirrors every object into the runner's store (keeping its
 * `metadata.uid`), reconciles with the library code the CLI uses
 * (connection tests, inventory, plan validation, the runner and engine),
 * and writes the store's `status` back through the status subresource.
 *
 * Everything but the watches' reading threads runs in one worker thread
 * of its own, whose main context receives the watches' events: the cache, the store calls, the
 * engine's steps (the copies run in the engine's thread pool) and the
 * writes to the API server. The caller's main loop (signals, the HTTP
 * server) is never blocked by it.
 */

#define CTL_SYNC_INTERVAL_US     (1 * G_USEC_PER_SEC)
#define CTL_INITIAL_SYNC_TIMEOUT (30 * G_USEC_PER_SEC)

/* processing order: what a Plan refers to comes before it */
static const char *const ctl_kinds[] = {
	"ForkliftController", "Provider", "Host", "NetworkMap",
	"StorageMap",         "Hook",     "Plan", "Migration",
};

typedef struct {
	FerrydController *controller;
	char *kind;
	FerryKubeClient *client;
	FerryKubeWatch *watch;
	GHashTable *cache; /* "ns/name" → JsonNode, the cluster's object */
	gboolean failed;
} CtlInformer;

/* one source Provider's inventory kept live (ferry_runner_watch_inventory)
 * in a thread of its own, retried with backoff while the platform fails */
typedef struct {
	FerrydController *controller;
	char *key; /* "Provider/ns/name" */
	char *name_space;
	char *name;
	GCancellable *cancellable;
	GThread *thread;
	GThread *running_in; /* set by the thread itself */
	gint finished;
	gint failing; /* in a failure streak: logged and reported once */
} CtlInventoryWatch;

struct _FerrydController {
	GObject parent_instance;
	FerryRunner *runner;
	FerryKubeConfig *config;
	char *name_space;
	char *identity;
	guint resync_seconds;
	GThread *thread;
	gint stopping;
	gint running;
	GMainContext *context;
	GError *start_error;

	/* the worker thread's only */
	FerryKubeClient *client;
	GHashTable *informers; /* kind → CtlInformer */
	GHashTable *dirty;     /* "Kind/ns/name" set */
	GHashTable *deleting;  /* "Kind/ns/name" → GINT (1 = finalizer to remove) */
	GHashTable *canceled;  /* "Kind/ns/name" set: cancel sent while deleting */
	GHashTable *written;   /* "Kind/ns/name" → JsonNode: the status last written */
	GHashTable *echoed; /* "Kind/ns/name" → JsonNode: that status as the API server kept it */
	GHashTable *observed; /* "Kind/ns/name" → generation reconciled */
	GHashTable *extra;    /* "Kind/ns/name" → JsonObject: ferryd's own condition */
	GHashTable *ready;    /* "Plan/ns/name" set: plans without blockers */
	GHashTable *applied;  /* "Migration/ns/name#cutover|cancel" → string last applied */
	GHashTable *checked;  /* "Plan/ns/name" → world version it was checked at */
	GHashTable *inventory_watches; /* "Provider/ns/name" → CtlInventoryWatch */
	guint world;                   /* goes up when what Plans refer to changes */
	gboolean engine_dirty;
	gboolean publish;
	gint64 synced_at;
	gint64 next_resync;
};

G_DEFINE_TYPE(FerrydController, ferryd_controller, G_TYPE_OBJECT)

static void
ctl_informer_free(CtlInformer *informer)
{
	if (informer->watch != NULL) {
		ferry_kube_watch_stop(informer->watch);
		g_object_unref(informer->watch);
	}
	g_clear_object(&informer->client);
	g_hash_table_unref(informer->cache);
	g_free(informer->kind);
	g_free(informer);
}

static void
ferryd_controller_finalize(GObject *object)
{
	FerrydController *self = FERRYD_CONTROLLER(object);

	ferryd_controller_stop(self);
	g_clear_object(&self->runner);
	g_clear_object(&self->config);
	g_free(self->name_space);
	g_free(self->identity);
	g_clear_error(&self->start_error);
	g_clear_pointer(&self->context, g_main_context_unref);
	G_OBJECT_CLASS(ferryd_controller_parent_class)->finalize(object);
}

static void
ferryd_controller_class_init(FerrydControllerClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferryd_controller_finalize;
}

static void
ferryd_controller_init(FerrydController *self)
{
	self->resync_seconds = 120;
}

/**
 * ferryd_controller_new:
 * @runner: the runner on ferryd's state directory
 * @config: how to reach the API server
 * @name_space: (nullable): the namespace to watch; %NULL for all
 * @identity: (nullable): who this ferryd is (events name it)
 *
 * Returns: (transfer full): a controller, not started
 */
FerrydController *
ferryd_controller_new(FerryRunner *runner, FerryKubeConfig *config, const char *name_space,
		      const char *identity)
{
	FerrydController *self = g_object_new(FERRYD_TYPE_CONTROLLER, NULL);

	self->runner = g_object_ref(runner);
	self->config = g_object_ref(config);
	self->name_space = g_strdup(name_space != NULL && *name_space != '\0' ? name_space : NULL);
	self->identity = g_strdup(identity != NULL ? identity : "ferryd");
	return self;
}

/**
 * ferryd_controller_set_resync_period:
 * @self: a #FerrydController
 * @seconds: how often every cached object is reconciled again
 */
void
ferryd_controller_set_resync_period(FerrydController *self, guint seconds)
{
	self->resync_seconds = MAX(seconds, 5);
}

/* -- small helpers -- */

static JsonObject *
ctl_object_member(JsonObject *object, const char *member)
{
	JsonNode *node;

	if (object == NULL || !json_object_has_member(object, member))
		return NULL;
	node = json_object_get_member(object, member);
	return JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node) : NULL;
}

static JsonObject *
ctl_metadata(JsonNode *object)
{
	return ctl_object_member(json_node_get_object(object), "metadata");
}

static const char *
ctl_meta(JsonNode *object, const char *member)
{
	JsonObject *metadata = ctl_metadata(object);
	return metadata != NULL ? ferry_json_get_string_or(metadata, member, NULL) : NULL;
}

/* json_node_copy() shares objects and arrays; this does not */
static JsonNode *
ctl_deep_copy(JsonNode *node)
{
	g_autofree char *text = json_to_string(node, FALSE);
	return json_from_string(text, NULL);
}

static char *
ctl_key(const char *kind, const char *name_space, const char *name)
{
	return g_strdup_printf("%s/%s/%s", kind, name_space != NULL ? name_space : "", name);
}

static char *
ctl_object_key(const char *kind, JsonNode *object)
{
	return ctl_key(kind, ctl_meta(object, "namespace"), ctl_meta(object, "name"));
}

/* splits "Kind/ns/name" */
static GStrv
ctl_split_key(const char *key)
{
	return g_strsplit(key, "/", 3);
}

static gboolean
ctl_has_finalizer(JsonNode *object)
{
	JsonObject *metadata = ctl_metadata(object);
	JsonArray *finalizers;

	if (metadata == NULL || !json_object_has_member(metadata, "finalizers"))
		return FALSE;
	finalizers = json_object_get_array_member(metadata, "finalizers");
	for (guint i = 0; finalizers != NULL && i < json_array_get_length(finalizers); i++) {
		if (g_strcmp0(json_array_get_string_element(finalizers, i), FERRYD_FINALIZER) == 0)
			return TRUE;
	}
	return FALSE;
}

/* a copy of a table's keys (strings), to change the table while going through them */
static GPtrArray *
ctl_keys(GHashTable *table)
{
	GPtrArray *keys = g_ptr_array_new_with_free_func(g_free);
	GHashTableIter iter;
	gpointer key;

	g_hash_table_iter_init(&iter, table);
	while (g_hash_table_iter_next(&iter, &key, NULL))
		g_ptr_array_add(keys, g_strdup(key));
	return keys;
}

static CtlInformer *
ctl_informer(FerrydController *self, const char *kind)
{
	return g_hash_table_lookup(self->informers, kind);
}

static JsonNode *
ctl_cached(FerrydController *self, const char *kind, const char *name_space, const char *name)
{
	CtlInformer *informer = ctl_informer(self, kind);
	g_autofree char *key = g_strdup_printf("%s/%s", name_space != NULL ? name_space : "", name);

	return informer != NULL ? g_hash_table_lookup(informer->cache, key) : NULL;
}

/* the namespace a Kubernetes Event about ferryd itself goes to */
static const char *
ctl_event_namespace(FerrydController *self)
{
	if (g_getenv("POD_NAMESPACE") != NULL)
		return g_getenv("POD_NAMESPACE");
	if (self->name_space != NULL)
		return self->name_space;
	return "default";
}

/* a Warning Event; @object is the CR it is about, or %NULL for ferryd */
static void
ctl_event(FerrydController *self, JsonNode *object, const char *kind, const char *reason,
	  const char *message)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autoptr(JsonNode) event = NULL;
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	g_autofree char *stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	const char *ns = object != NULL && ctl_meta(object, "namespace") != NULL
				 ? ctl_meta(object, "namespace")
				 : ctl_event_namespace(self);

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "v1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "Event");
	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "generateName");
	json_builder_add_string_value(builder, "ferryd-");
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, ns);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "involvedObject");
	json_builder_begin_object(builder);
	if (object != NULL) {
		json_builder_set_member_name(builder, "apiVersion");
		json_builder_add_string_value(builder, FERRY_API_VERSION);
		json_builder_set_member_name(builder, "kind");
		json_builder_add_string_value(builder, kind);
		json_builder_set_member_name(builder, "name");
		json_builder_add_string_value(builder, ctl_meta(object, "name"));
		json_builder_set_member_name(builder, "uid");
		json_builder_add_string_value(builder, ctl_meta(object, "uid"));
	} else {
		json_builder_set_member_name(builder, "apiVersion");
		json_builder_add_string_value(builder, "v1");
		json_builder_set_member_name(builder, "kind");
		json_builder_add_string_value(builder, "Pod");
		json_builder_set_member_name(builder, "name");
		json_builder_add_string_value(builder, self->identity);
	}
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, ns);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "reason");
	json_builder_add_string_value(builder, reason);
	json_builder_set_member_name(builder, "message");
	json_builder_add_string_value(builder, message);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "Warning");
	json_builder_set_member_name(builder, "count");
	json_builder_add_int_value(builder, 1);
	json_builder_set_member_name(builder, "firstTimestamp");
	json_builder_add_string_value(builder, stamp);
	json_builder_set_member_name(builder, "lastTimestamp");
	json_builder_add_string_value(builder, stamp);
	json_builder_set_member_name(builder, "source");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "component");
	json_builder_add_string_value(builder, "ferryd");
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	event = json_builder_get_root(builder);
	created = ferry_kube_client_create(self->client, event, NULL, &error);
	if (created == NULL)
		g_debug("ferryd: the event \"%s\" was not recorded: %s", reason, error->message);
}

/* ferryd's own condition on a CR (written with the store's status), or
 * none when @error is %NULL. A 403 names the RBAC rule to add. */
static void
ctl_set_failure(FerrydController *self, const char *key, const char *verb, const char *group,
		const char *resource, const GError *error)
{
	JsonObject *condition;
	gboolean forbidden;
	g_autoptr(GDateTime) now = NULL;
	g_autofree char *stamp = NULL;
	JsonObject *old;

	if (error == NULL) {
		if (g_hash_table_remove(self->extra, key))
			self->publish = TRUE;
		return;
	}
	forbidden = g_error_matches(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	old = g_hash_table_lookup(self->extra, key);
	if (old != NULL && g_strcmp0(ferry_json_get_string(old, "message"), error->message) == 0)
		return;
	now = g_date_time_new_now_utc();
	stamp = g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
	condition = json_object_new();
	json_object_set_string_member(condition, "type", "ReconcileFailed");
	json_object_set_string_member(condition, "status", "True");
	json_object_set_string_member(condition, "category", forbidden ? "Critical" : "Error");
	json_object_set_string_member(condition, "reason", forbidden ? "Forbidden" : "Failed");
	json_object_set_string_member(condition, "message", error->message);
	json_object_set_boolean_member(condition, "durable", FALSE);
	json_object_set_string_member(condition, "lastTransitionTime", stamp);
	if (forbidden && verb != NULL) {
		g_autofree char *rule = g_strdup_printf(
			"Add to ferryd's Role (or ClusterRole): {apiGroups: [\"%s\"], resources: "
			"[\"%s\"], verbs: [\"%s\"]}",
			group != NULL ? group : "", resource, verb);
		json_object_set_string_member(condition, "suggestion", rule);
	}
	g_hash_table_replace(self->extra, g_strdup(key), condition);
	g_warning("%s: %s", key, error->message);
	self->publish = TRUE;
}

/* "plans" for Plan */
static char *
ctl_plural(const char *kind)
{
	const char *plural = ferry_resource_kind_get_plural(kind);
	return g_ascii_strdown(plural != NULL ? plural : kind, -1);
}

/* -- finalizers -- */

/* adds (@add) or removes ferryd's finalizer; re-reads on a conflict */
static gboolean
ctl_set_finalizer(FerrydController *self, const char *kind, const char *name_space,
		  const char *name, gboolean add, GError **error)
{
	for (guint attempt = 0;; attempt++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonNode) current =
			ferry_kube_client_get(self->client, FERRY_API_VERSION, kind, name_space,
					      name, NULL, &local_error);
		g_autoptr(JsonNode) replaced = NULL;
		JsonObject *metadata;
		JsonArray *finalizers;
		JsonArray *updated;
		gboolean present = FALSE;

		if (current == NULL) {
			/* gone: nothing holds it */
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
				return TRUE;
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		metadata = ctl_metadata(current);
		finalizers = json_object_has_member(metadata, "finalizers")
				     ? json_object_get_array_member(metadata, "finalizers")
				     : NULL;
		updated = json_array_new();
		for (guint i = 0; finalizers != NULL && i < json_array_get_length(finalizers);
		     i++) {
			const char *f = json_array_get_string_element(finalizers, i);
			if (g_strcmp0(f, FERRYD_FINALIZER) == 0) {
				present = TRUE;
				if (!add)
					continue;
			}
			json_array_add_string_element(updated, f);
		}
		if (present == add) {
			json_array_unref(updated);
			return TRUE;
		}
		/* a new finalizer on an object being deleted is refused */
		if (add && json_object_has_member(metadata, "deletionTimestamp")) {
			json_array_unref(updated);
			return TRUE;
		}
		if (add)
			json_array_add_string_element(updated, FERRYD_FINALIZER);
		json_object_set_array_member(metadata, "finalizers", updated);
		replaced = ferry_kube_client_replace(self->client, current, NULL, &local_error);
		if (replaced != NULL)
			return TRUE;
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return TRUE;
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_BUSY) || attempt >= 5) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
	}
}

static void
ctl_ensure_finalizer(FerrydController *self, const char *kind, JsonNode *object)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *key = ctl_object_key(kind, object);

	if (ctl_has_finalizer(object))
		return;
	if (!ctl_set_finalizer(self, kind, ctl_meta(object, "namespace"), ctl_meta(object, "name"),
			       TRUE, &error)) {
		g_autofree char *plural = ctl_plural(kind);
		ctl_set_failure(self, key, "update", FERRY_API_GROUP, plural, error);
	}
}

/* -- the mirror -- */

/* Ferry's own Plan settings that Forklift's CRD has no field for come as
 * annotations: transfer.ferry.konveyor.io/bandwidth (bytes per second per
 * disk copy) becomes spec.bandwidth */
static void
ctl_plan_extensions(JsonObject *plan)
{
	JsonObject *metadata = ctl_object_member(plan, "metadata");
	JsonObject *annotations = ctl_object_member(metadata, "annotations");
	JsonObject *spec = ctl_object_member(plan, "spec");
	const char *bandwidth =
		annotations != NULL
			? ferry_json_get_string_or(annotations,
						   "transfer.ferry.konveyor.io/bandwidth", NULL)
			: NULL;
	guint64 value = 0;

	if (bandwidth == NULL || spec == NULL)
		return;
	if (!g_ascii_string_to_unsigned(bandwidth, 10, 1, G_MAXINT64, &value, NULL)) {
		g_warning("Plan %s: the annotation transfer.ferry.konveyor.io/bandwidth=%s is not "
			  "a number of bytes per second; ignored",
			  ferry_json_get_string_or(metadata, "name", ""), bandwidth);
		return;
	}
	json_object_set_int_member(spec, "bandwidth", (gint64)value);
}

/* the cluster's object into the store; one recreated in the cluster (a new
 * uid) replaces the stored one */
static gboolean
ctl_mirror(FerrydController *self, const char *kind, JsonNode *object, FerryResource *extra,
	   GError **error)
{
	FerryStore *store = ferry_runner_get_store(self->runner);
	g_autoptr(JsonNode) copy = ctl_deep_copy(object);
	g_autoptr(FerryResource) resource = NULL;
	g_autoptr(FerryResource) stored = NULL;
	g_autoptr(GPtrArray) batch = g_ptr_array_new_with_free_func(g_object_unref);
	JsonObject *root = json_node_get_object(copy);

	json_object_set_string_member(root, "apiVersion", FERRY_API_VERSION);
	json_object_set_string_member(root, "kind", kind);
	json_object_remove_member(root, "status");
	if (g_strcmp0(kind, "Plan") == 0)
		ctl_plan_extensions(root);
	resource = ferry_resource_new_from_json(copy, NULL, error);
	if (resource == NULL)
		return FALSE;
	stored = ferry_store_get(store, kind, ferry_resource_get_namespace(resource),
				 ferry_resource_get_name(resource), NULL);
	if (stored != NULL &&
	    g_strcmp0(ferry_resource_get_uid(stored), ferry_resource_get_uid(resource)) != 0 &&
	    !ferry_store_delete(store, kind, ferry_resource_get_namespace(resource),
				ferry_resource_get_name(resource), error))
		return FALSE;
	if (extra != NULL)
		g_ptr_array_add(batch, g_object_ref(extra));
	g_ptr_array_add(batch, g_object_ref(resource));
	return ferry_store_apply(store, batch, NULL, error);
}

/* the Secret a Provider or Host names, read from the cluster now; %NULL
 * without @error when it does not exist (the store's reference check says
 * so) */
static FerryResource *
ctl_read_secret(FerrydController *self, JsonNode *object, GError **error)
{
	JsonObject *spec = ctl_object_member(json_node_get_object(object), "spec");
	JsonObject *ref = ctl_object_member(spec, "secret");
	const char *name = ref != NULL ? ferry_json_get_string_or(ref, "name", NULL) : NULL;
	const char *ns = ref != NULL ? ferry_json_get_string_or(ref, "namespace", NULL) : NULL;
	g_autoptr(JsonNode) secret = NULL;
	g_autoptr(GError) local_error = NULL;
	JsonObject *root;
	JsonObject *metadata;
	JsonObject *clean;

	if (name == NULL || *name == '\0')
		return NULL;
	if (ns == NULL || *ns == '\0')
		ns = ctl_meta(object, "namespace");
	secret = ferry_kube_client_get(self->client, "v1", "Secret", ns, name, NULL, &local_error);
	if (secret == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return NULL;
		g_propagate_error(error, g_steal_pointer(&local_error));
		return NULL;
	}
	/* only what the store keeps: name, namespace, uid, type, data */
	root = json_node_get_object(secret);
	metadata = ctl_object_member(root, "metadata");
	clean = json_object_new();
	json_object_set_string_member(clean, "name", name);
	json_object_set_string_member(clean, "namespace", ns);
	if (metadata != NULL && ferry_json_get_string_or(metadata, "uid", NULL) != NULL)
		json_object_set_string_member(clean, "uid",
					      ferry_json_get_string_or(metadata, "uid", NULL));
	json_object_set_object_member(root, "metadata", clean);
	json_object_set_string_member(root, "apiVersion", "v1");
	json_object_set_string_member(root, "kind", "Secret");
	return ferry_resource_new_from_json(secret, ns, error);
}

/* -- reconcile, per kind -- */

static gboolean
ctl_generation_changed(FerrydController *self, const char *key, JsonNode *object)
{
	JsonObject *metadata = ctl_metadata(object);
	gint64 generation = metadata != NULL ? ferry_json_get_int_or(metadata, "generation", 0) : 0;
	gpointer seen = NULL;

	if (g_hash_table_lookup_extended(self->observed, key, NULL, &seen) &&
	    GPOINTER_TO_SIZE(seen) == (gsize)generation)
		return FALSE;
	g_hash_table_replace(self->observed, g_strdup(key), GSIZE_TO_POINTER((gsize)generation));
	return TRUE;
}

static void ctl_mark_dirty(FerrydController *self, const char *key);

/* what Plans refer to changed: every Plan is checked again */
static void
ctl_world_changed(FerrydController *self)
{
	CtlInformer *informer = g_hash_table_lookup(self->informers, "Plan");
	GHashTableIter iter;
	gpointer value;

	self->world++;
	if (informer == NULL)
		return;
	g_hash_table_iter_init(&iter, informer->cache);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		g_autofree char *key = ctl_object_key("Plan", value);
		ctl_mark_dirty(self, key);
	}
}

/* -- live inventories -- */

#define CTL_WATCH_BACKOFF_MIN_US (1 * G_USEC_PER_SEC)
#define CTL_WATCH_BACKOFF_MAX_US (60 * G_USEC_PER_SEC)

typedef struct {
	FerrydController *controller;
	CtlInventoryWatch *watch; /* compared, never dereferenced: it may be gone */
	char *key;
	char *message; /* NULL: the watch works again */
} CtlWatchNews;

static void
ctl_watch_news_free(CtlWatchNews *news)
{
	g_object_unref(news->controller);
	g_free(news->key);
	g_free(news->message);
	g_free(news);
}

/* in the controller's thread: the Provider's InventoryWatchFailed condition
 * (in the store, published with its status) and, when it fails, an Event */
static gboolean
ctl_watch_news_cb(gpointer user_data)
{
	CtlWatchNews *news = user_data;
	FerrydController *self = news->controller;
	g_auto(GStrv) parts = ctl_split_key(news->key);
	FerryStore *store = ferry_runner_get_store(self->runner);
	g_autoptr(FerryResource) provider = NULL;
	g_autoptr(GError) error = NULL;
	JsonNode *object;

	if (self->inventory_watches == NULL ||
	    g_hash_table_lookup(self->inventory_watches, news->key) != news->watch)
		return G_SOURCE_REMOVE;
	provider = ferry_store_get(store, "Provider", parts[1], parts[2], NULL);
	if (provider == NULL)
		return G_SOURCE_REMOVE;
	if (news->message != NULL)
		ferry_resource_set_condition(provider, "InventoryWatchFailed", TRUE,
					     FERRY_CONDITION_CATEGORY_WARN, "WatchFailed",
					     news->message);
	else if (!ferry_resource_remove_condition(provider, "InventoryWatchFailed"))
		return G_SOURCE_REMOVE;
	if (!ferry_store_update_status(store, provider, &error))
		g_debug("ferryd: %s: the watch's condition was not saved: %s", news->key,
			error->message);
	self->publish = TRUE;
	object = ctl_cached(self, "Provider", parts[1], parts[2]);
	if (news->message != NULL && object != NULL)
		ctl_event(self, object, "Provider", "InventoryWatchFailed", news->message);
	return G_SOURCE_REMOVE;
}

static void
ctl_watch_post(CtlInventoryWatch *watch, const char *message)
{
	CtlWatchNews *news = g_new0(CtlWatchNews, 1);
	g_autoptr(GSource) source = g_idle_source_new();

	news->controller = g_object_ref(watch->controller);
	news->watch = watch;
	news->key = g_strdup(watch->key);
	news->message = g_strdup(message);
	g_source_set_callback(source, ctl_watch_news_cb, news, (GDestroyNotify)ctl_watch_news_free);
	g_source_attach(source, watch->controller->context);
}

/* in the watch's thread, after each committed update: the watch works */
static void
ctl_watch_changed_cb(FerryInventory *inventory, const char *provider, guint count,
		     gpointer user_data)
{
	CtlInventoryWatch *watch = user_data;

	/* only the watch's own commits: a reload in the controller's thread is no news */
	if (g_thread_self() != watch->running_in || g_strcmp0(provider, watch->name) != 0)
		return;
	if (g_atomic_int_compare_and_exchange(&watch->failing, TRUE, FALSE)) {
		g_message("Provider %s/%s: the inventory watch works again", watch->name_space,
			  watch->name);
		ctl_watch_post(watch, NULL);
	}
}

static gpointer
ctl_watch_thread(gpointer user_data)
{
	CtlInventoryWatch *watch = user_data;
	FerryRunner *runner = watch->controller->runner;
	FerryInventory *inventory = ferry_runner_get_inventory(runner);
	gint64 backoff = CTL_WATCH_BACKOFF_MIN_US;
	gulong handler;

	watch->running_in = g_thread_self();
	handler = g_signal_connect(inventory, "changed", G_CALLBACK(ctl_watch_changed_cb), watch);
	while (!g_cancellable_is_cancelled(watch->cancellable)) {
		g_autoptr(GError) error = NULL;
		gint64 until;

		if (ferry_runner_watch_inventory(runner, watch->name_space, watch->name,
						 watch->cancellable, &error))
			break;
		if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED)) {
			g_message("Provider %s/%s: %s", watch->name_space, watch->name,
				  error->message);
			break;
		}
		/* a working watch that failed starts a new streak, from the shortest wait */
		if (g_atomic_int_compare_and_exchange(&watch->failing, FALSE, TRUE)) {
			g_autofree char *message =
				g_strdup_printf("The inventory is no longer followed (ferryd "
						"retries with backoff): %s",
						error->message);
			g_warning("Provider %s/%s: %s", watch->name_space, watch->name, message);
			ctl_watch_post(watch, message);
			backoff = CTL_WATCH_BACKOFF_MIN_US;
		} else {
			g_debug("Provider %s/%s: the inventory watch failed again: %s",
				watch->name_space, watch->name, error->message);
		}
		until = g_get_monotonic_time() + backoff;
		while (!g_cancellable_is_cancelled(watch->cancellable) &&
		       g_get_monotonic_time() < until)
			g_usleep(100 * 1000);
		backoff = MIN(backoff * 2, CTL_WATCH_BACKOFF_MAX_US);
	}
	g_signal_handler_disconnect(inventory, handler);
	g_atomic_int_set(&watch->finished, TRUE);
	return NULL;
}

static void
ctl_inventory_watch_free(CtlInventoryWatch *watch)
{
	g_cancellable_cancel(watch->cancellable);
	if (watch->thread != NULL)
		g_thread_join(watch->thread);
	g_object_unref(watch->cancellable);
	g_free(watch->key);
	g_free(watch->name_space);
	g_free(watch->name);
	g_free(watch);
}

/* the watch of a Provider ends (deleted, spec changed, not Ready) */
static void
ctl_stop_inventory_watch(FerrydController *self, const char *key)
{
	if (self->inventory_watches != NULL && g_hash_table_remove(self->inventory_watches, key))
		g_message("%s: the inventory is no longer followed", key);
}

/* a Ready source Provider whose type can watch: one watch, after the load */
static void
ctl_ensure_inventory_watch(FerrydController *self, const char *key, const char *ns,
			   const char *name)
{
	g_autoptr(FerryResource) stored =
		ferry_store_get(ferry_runner_get_store(self->runner), "Provider", ns, name, NULL);
	CtlInventoryWatch *watch = g_hash_table_lookup(self->inventory_watches, key);
	const char *type;

	if (stored == NULL)
		return;
	type = ferry_provider_resource_get_provider_type(FERRY_PROVIDER_RESOURCE(stored));
	if (!ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_SOURCE) ||
	    !ferry_platform_has_capability(type, FERRY_PROVIDER_CAPABILITY_WATCH) ||
	    !ferry_resource_has_condition(stored, "Ready")) {
		ctl_stop_inventory_watch(self, key);
		return;
	}
	if (watch != NULL && !g_atomic_int_get(&watch->finished))
		return;
	watch = g_new0(CtlInventoryWatch, 1);
	watch->controller = self;
	watch->key = g_strdup(key);
	watch->name_space = g_strdup(ns);
	watch->name = g_strdup(name);
	watch->cancellable = g_cancellable_new();
	/* the old one, finished, goes first */
	g_hash_table_replace(self->inventory_watches, g_strdup(key), watch);
	watch->thread = g_thread_new("ferryd-inventory-watch", ctl_watch_thread, watch);
	g_message("Provider %s/%s: following the inventory as it changes", ns, name);
}

static void
ctl_reconcile_provider(FerrydController *self, const char *kind, JsonNode *object, gboolean resync)
{
	g_autofree char *key = ctl_object_key(kind, object);
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryResource) secret = NULL;
	const char *ns = ctl_meta(object, "namespace");
	const char *name = ctl_meta(object, "name");
	gboolean changed = ctl_generation_changed(self, key, object);

	if (changed) {
		ctl_world_changed(self);
		/* followed again with the new spec once it is tested and loaded */
		if (g_strcmp0(kind, "Provider") == 0)
			ctl_stop_inventory_watch(self, key);
	}
	secret = ctl_read_secret(self, object, &error);
	if (error != NULL) {
		ctl_set_failure(self, key, "get", "", "secrets", error);
		g_clear_error(&error);
	} else {
		ctl_set_failure(self, key, NULL, NULL, NULL, NULL);
	}
	if (!ctl_mirror(self, kind, object, secret, &error)) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	self->publish = TRUE;
	if (g_strcmp0(kind, "Provider") != 0 || (!changed && !resync))
		return;
	/* Forklift's provider controller: a connection test, then the inventory */
	{
		g_autoptr(JsonObject) test =
			ferry_runner_test_provider(self->runner, ns, name, NULL, &error);
		ctl_world_changed(self);
		if (test == NULL) {
			g_message("Provider %s/%s: %s", ns, name, error->message);
			ctl_stop_inventory_watch(self, key);
			return;
		}
	}
	if (!ferry_runner_refresh_inventory(self->runner, ns, name, NULL, &error)) {
		if (!g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED))
			g_message("Provider %s/%s: the inventory was not loaded: %s", ns, name,
				  error->message);
		return;
	}
	ctl_ensure_inventory_watch(self, key, ns, name);
}

static void
ctl_reconcile_simple(FerrydController *self, const char *kind, JsonNode *object)
{
	g_autofree char *key = ctl_object_key(kind, object);
	g_autoptr(GError) error = NULL;

	if (ctl_generation_changed(self, key, object))
		ctl_world_changed(self);

	if (!ctl_mirror(self, kind, object, NULL, &error)) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	ctl_set_failure(self, key, NULL, NULL, NULL, NULL);
	self->publish = TRUE;
	if (g_strcmp0(kind, "ForkliftController") == 0) {
		JsonObject *spec = ctl_object_member(json_node_get_object(object), "spec");
		if (spec != NULL)
			ferry_engine_set_settings(ferry_runner_get_engine(self->runner), spec);
	}
}

static void
ctl_mark_dirty(FerrydController *self, const char *key)
{
	g_hash_table_add(self->dirty, g_strdup(key));
}

/* the Migrations of a Plan are looked at again when it changes */
static void
ctl_mark_migrations(FerrydController *self, const char *plan_ns, const char *plan)
{
	CtlInformer *informer = ctl_informer(self, "Migration");
	GHashTableIter iter;
	gpointer value;

	if (informer == NULL)
		return;
	g_hash_table_iter_init(&iter, informer->cache);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		JsonObject *spec = ctl_object_member(json_node_get_object(value), "spec");
		JsonObject *ref = ctl_object_member(spec, "plan");
		const char *ns =
			ref != NULL ? ferry_json_get_string_or(ref, "namespace", NULL) : NULL;
		if (ns == NULL || *ns == '\0')
			ns = ctl_meta(value, "namespace");
		if (ref != NULL &&
		    g_strcmp0(ferry_json_get_string_or(ref, "name", NULL), plan) == 0 &&
		    g_strcmp0(ns, plan_ns) == 0) {
			g_autofree char *key = ctl_object_key("Migration", value);
			ctl_mark_dirty(self, key);
		}
	}
}

static void
ctl_reconcile_plan(FerrydController *self, JsonNode *object, gboolean resync)
{
	g_autofree char *key = ctl_object_key("Plan", object);
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) blockers = NULL;
	g_autoptr(FerryResource) plan = NULL;
	const char *ns = ctl_meta(object, "namespace");
	const char *name = ctl_meta(object, "name");
	gboolean changed = ctl_generation_changed(self, key, object);
	FerryStore *store = ferry_runner_get_store(self->runner);

	if (!ctl_mirror(self, "Plan", object, NULL, &error)) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	self->publish = TRUE;
	ctl_ensure_finalizer(self, "Plan", object);
	plan = ferry_store_get(store, "Plan", ns, name, &error);
	if (plan == NULL) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	if (ferry_plan_is_archived(FERRY_PLAN(plan))) {
		if (!ferry_resource_has_condition(plan, "Archived") &&
		    !ferry_runner_archive(self->runner, ns, name, NULL, &error))
			ctl_set_failure(self, key, NULL, NULL, NULL, error);
		g_hash_table_remove(self->ready, key);
		return;
	}
	if (!changed && !resync &&
	    GPOINTER_TO_UINT(g_hash_table_lookup(self->checked, key)) == self->world)
		return;
	g_hash_table_replace(self->checked, g_strdup(key), GUINT_TO_POINTER(self->world));
	blockers = ferry_runner_check_plan_ready(self->runner, ns, name, NULL, &error);
	if (blockers == NULL) {
		/* the plan's conditions still say what references are broken */
		g_message("Plan %s/%s is not ready: %s", ns, name, error->message);
		ferry_runner_validate_plan(self->runner, plan, NULL);
		g_hash_table_remove(self->ready, key);
		return;
	}
	if (blockers->len == 0) {
		if (g_hash_table_add(self->ready, g_strdup(key)))
			ctl_mark_migrations(self, ns, name);
	} else {
		g_hash_table_remove(self->ready, key);
	}
}

static JsonObject *
ctl_migration_plan_ref(JsonNode *object, const char **plan_ns)
{
	JsonObject *spec = ctl_object_member(json_node_get_object(object), "spec");
	JsonObject *ref = ctl_object_member(spec, "plan");

	*plan_ns = ref != NULL ? ferry_json_get_string_or(ref, "namespace", NULL) : NULL;
	if (*plan_ns == NULL || **plan_ns == '\0')
		*plan_ns = ctl_meta(object, "namespace");
	return ref;
}

static gboolean
ctl_engine_knows(FerrydController *self, const char *uid, gboolean running_only)
{
	g_auto(GStrv) uids =
		ferry_engine_list_migrations(ferry_runner_get_engine(self->runner), running_only);
	return uid != NULL && g_strv_contains((const char *const *)uids, uid);
}

/* an applied change of a Migration's spec (cutover time, canceled VMs) */
static gboolean
ctl_changed_since(FerrydController *self, const char *key, const char *what, const char *value)
{
	g_autofree char *slot = g_strdup_printf("%s#%s", key, what);
	const char *old = g_hash_table_lookup(self->applied, slot);

	if (g_strcmp0(old, value) == 0)
		return FALSE;
	g_hash_table_replace(self->applied, g_steal_pointer(&slot), g_strdup(value));
	return TRUE;
}

static GStrv
ctl_vm_refs(JsonArray *refs)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();

	for (guint i = 0; refs != NULL && i < json_array_get_length(refs); i++) {
		JsonNode *node = json_array_get_element(refs, i);
		const char *id;
		if (!JSON_NODE_HOLDS_OBJECT(node))
			continue;
		id = ferry_json_get_string_or(json_node_get_object(node), "id", NULL);
		if (id == NULL || *id == '\0')
			id = ferry_json_get_string_or(json_node_get_object(node), "name", NULL);
		if (id != NULL && *id != '\0')
			g_strv_builder_add(builder, id);
	}
	return g_strv_builder_end(builder);
}

static void
ctl_reconcile_migration(FerrydController *self, JsonNode *object)
{
	g_autofree char *key = ctl_object_key("Migration", object);
	g_autoptr(GError) error = NULL;
	const char *uid = ctl_meta(object, "uid");
	const char *plan_ns = NULL;
	JsonObject *ref = ctl_migration_plan_ref(object, &plan_ns);
	const char *plan = ref != NULL ? ferry_json_get_string_or(ref, "name", NULL) : NULL;
	g_autofree char *plan_key = ctl_key("Plan", plan_ns, plan != NULL ? plan : "");
	JsonObject *spec = ctl_object_member(json_node_get_object(object), "spec");
	JsonObject *status = ctl_object_member(json_node_get_object(object), "status");
	FerryStore *store = ferry_runner_get_store(self->runner);

	if (ctl_engine_knows(self, uid, FALSE)) {
		const char *cutover =
			spec != NULL ? ferry_json_get_string_or(spec, "cutover", NULL) : NULL;
		JsonArray *cancel = spec != NULL && json_object_has_member(spec, "cancel")
					    ? json_object_get_array_member(spec, "cancel")
					    : NULL;
		g_auto(GStrv) vms = ctl_vm_refs(cancel);
		g_autofree char *joined = g_strjoinv(",", vms);

		if (!ctl_mirror(self, "Migration", object, NULL, &error)) {
			ctl_set_failure(self, key, NULL, NULL, NULL, error);
			return;
		}
		ctl_ensure_finalizer(self, "Migration", object);
		if (cutover != NULL && ctl_changed_since(self, key, "cutover", cutover)) {
			g_autoptr(GDateTime) when = g_date_time_new_from_iso8601(cutover, NULL);
			if (when == NULL ||
			    !ferry_runner_cutover(self->runner, plan_ns, plan, NULL, when, &error))
				g_warning("Migration %s: cutover %s not set: %s", key, cutover,
					  error != NULL ? error->message : "not an ISO 8601 time");
			g_clear_error(&error);
			self->engine_dirty = TRUE;
		}
		if (vms[0] != NULL && ctl_changed_since(self, key, "cancel", joined)) {
			if (!ferry_engine_cancel_vms(ferry_runner_get_engine(self->runner), uid,
						     (const char *const *)vms, &error))
				g_warning("Migration %s: cancel of %s: %s", key, joined,
					  error->message);
			self->engine_dirty = TRUE;
		}
		self->publish = TRUE;
		return;
	}
	if (status != NULL && json_object_has_member(status, "completed")) {
		/* ran before (the state was lost, or another ferryd ran it): never again */
		g_autoptr(FerryResource) stored = NULL;
		if (!ctl_mirror(self, "Migration", object, NULL, &error)) {
			ctl_set_failure(self, key, NULL, NULL, NULL, error);
			return;
		}
		stored = ferry_store_get(store, "Migration", ctl_meta(object, "namespace"),
					 ctl_meta(object, "name"), NULL);
		if (stored != NULL && ferry_resource_get_status(stored) == NULL) {
			ferry_resource_set_status(stored, status);
			ferry_store_update_status(store, stored, NULL);
		}
		return;
	}
	ctl_ensure_finalizer(self, "Migration", object);
	/* as under Forklift, a Migration waits for its Plan to be ready */
	if (plan == NULL || !g_hash_table_contains(self->ready, plan_key))
		return;
	if (!ctl_mirror(self, "Migration", object, NULL, &error)) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	if (!ferry_runner_start_pending(self->runner, NULL, &error)) {
		ctl_set_failure(self, key, NULL, NULL, NULL, error);
		return;
	}
	g_message("Migration %s of Plan %s/%s started", key, plan_ns, plan);
	self->engine_dirty = TRUE;
	self->publish = TRUE;
}

/* -- deletion -- */

static void
ctl_forget(FerrydController *self, const char *key)
{
	g_hash_table_remove(self->written, key);
	g_hash_table_remove(self->echoed, key);
	g_hash_table_remove(self->observed, key);
	g_hash_table_remove(self->extra, key);
	g_hash_table_remove(self->ready, key);
	g_hash_table_remove(self->checked, key);
	g_hash_table_remove(self->canceled, key);
}

/* one step of removing a Plan or Migration being deleted; TRUE when done */
static gboolean
ctl_finish_deletion(FerrydController *self, const char *key, gboolean finalizer)
{
	g_auto(GStrv) parts = ctl_split_key(key);
	FerryStore *store = ferry_runner_get_store(self->runner);
	FerryEngine *engine = ferry_runner_get_engine(self->runner);
	g_autoptr(FerryResource) stored = NULL;
	g_autoptr(GError) error = NULL;
	const char *kind = parts[0], *ns = parts[1], *name = parts[2];
	g_autofree char *running = NULL;
	g_auto(GStrv) vms = NULL;

	stored = ferry_store_get(store, kind, ns, name, NULL);
	if (g_strcmp0(kind, "Plan") == 0) {
		running = ferry_runner_dup_active_migration(self->runner, ns, name);
		if (stored != NULL)
			vms = ctl_vm_refs(ferry_plan_get_vms(FERRY_PLAN(stored)));
	} else if (stored != NULL) {
		const char *plan_ns = NULL;
		const char *plan = ferry_migration_get_plan(FERRY_MIGRATION(stored), &plan_ns);
		g_autoptr(FerryResource) plan_resource = NULL;
		if (plan_ns == NULL || *plan_ns == '\0')
			plan_ns = ns;
		running = g_strdup(ferry_resource_get_uid(stored));
		if (plan != NULL)
			plan_resource = ferry_store_get(store, "Plan", plan_ns, plan, NULL);
		if (plan_resource != NULL)
			vms = ctl_vm_refs(ferry_plan_get_vms(FERRY_PLAN(plan_resource)));
	}
	/* mid-run: cancel first; the engine removes what the VMs created */
	if (running != NULL && ctl_engine_knows(self, running, TRUE)) {
		if (vms != NULL && vms[0] != NULL &&
		    g_hash_table_add(self->canceled, g_strdup(key))) {
			g_message("%s is being deleted during its migration: canceling it", key);
			if (!ferry_engine_cancel_vms(engine, running, (const char *const *)vms,
						     &error))
				g_warning("%s: cancel: %s", key, error->message);
			self->engine_dirty = TRUE;
		}
		return FALSE;
	}
	if (g_strcmp0(kind, "Plan") == 0) {
		g_autoptr(GPtrArray) migrations = ferry_store_list(store, "Migration", ns, NULL);
		/* what the ledger still lists (PVCs, pods, snapshots of VMs that did not
		 * finish); migrated VMs stay, as under Forklift */
		if (!ferry_engine_archive(engine, ns, name, NULL, &error)) {
			g_warning("%s: clean-up: %s", key, error->message);
			g_clear_error(&error);
		}
		for (guint i = 0; migrations != NULL && i < migrations->len; i++) {
			FerryResource *migration = g_ptr_array_index(migrations, i);
			const char *plan_ns = NULL;
			const char *plan =
				ferry_migration_get_plan(FERRY_MIGRATION(migration), &plan_ns);
			if (g_strcmp0(plan, name) == 0)
				ferry_store_delete(store, "Migration", ns,
						   ferry_resource_get_name(migration), NULL);
		}
	}
	if (stored != NULL && !ferry_store_delete(store, kind, ns, name, &error) &&
	    !g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
		g_warning("%s: %s", key, error->message);
		g_clear_error(&error);
	}
	if (finalizer && !ctl_set_finalizer(self, kind, ns, name, FALSE, &error)) {
		g_autofree char *plural = ctl_plural(kind);
		ctl_set_failure(self, key, "update", FERRY_API_GROUP, plural, error);
		return FALSE;
	}
	g_message("%s deleted; what its migration held is removed", key);
	ctl_forget(self, key);
	return TRUE;
}

static void
ctl_process_deleting(FerrydController *self)
{
	g_autoptr(GPtrArray) keys = ctl_keys(self->deleting);

	for (guint i = 0; i < keys->len; i++) {
		g_autofree char *key = g_strdup(g_ptr_array_index(keys, i));
		gboolean finalizer = GPOINTER_TO_INT(g_hash_table_lookup(self->deleting, key)) != 0;
		if (ctl_finish_deletion(self, key, finalizer))
			g_hash_table_remove(self->deleting, key);
	}
}

static void
ctl_reconcile(FerrydController *self, const char *key, gboolean resync)
{
	g_auto(GStrv) parts = ctl_split_key(key);
	JsonNode *object;
	JsonObject *metadata;

	if (g_strv_length(parts) != 3)
		return;
	object = ctl_cached(self, parts[0], parts[1], parts[2]);
	if (object == NULL)
		return;
	metadata = ctl_metadata(object);
	if (metadata != NULL && json_object_has_member(metadata, "deletionTimestamp")) {
		if ((g_strcmp0(parts[0], "Plan") == 0 || g_strcmp0(parts[0], "Migration") == 0) &&
		    ctl_has_finalizer(object))
			g_hash_table_insert(self->deleting, g_strdup(key), GINT_TO_POINTER(1));
		return;
	}
	if (g_strcmp0(parts[0], "Provider") == 0 || g_strcmp0(parts[0], "Host") == 0)
		ctl_reconcile_provider(self, parts[0], object, resync);
	else if (g_strcmp0(parts[0], "Plan") == 0)
		ctl_reconcile_plan(self, object, resync);
	else if (g_strcmp0(parts[0], "Migration") == 0)
		ctl_reconcile_migration(self, object);
	else
		ctl_reconcile_simple(self, parts[0], object);
}

static gint
ctl_compare_keys(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static void
ctl_process_dirty(FerrydController *self, gboolean resync)
{
	g_autoptr(GHashTable) dirty = NULL;

	if (g_hash_table_size(self->dirty) == 0)
		return;
	dirty = g_steal_pointer(&self->dirty);
	self->dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	for (guint k = 0; k < G_N_ELEMENTS(ctl_kinds); k++) {
		g_autofree char *prefix = g_strdup_printf("%s/", ctl_kinds[k]);
		g_autoptr(GPtrArray) keys = ctl_keys(dirty);
		g_ptr_array_sort(keys, ctl_compare_keys);
		for (guint i = 0; i < keys->len; i++) {
			const char *key = g_ptr_array_index(keys, i);
			if (g_str_has_prefix(key, prefix) && !g_atomic_int_get(&self->stopping))
				ctl_reconcile(self, key, resync);
		}
	}
}

/* -- status -- */

/* a condition whose status did not change keeps the lastTransitionTime the
 * cluster has (validation sets the conditions afresh each time) */
static void
ctl_keep_transition_times(JsonObject *status, JsonObject *old_status)
{
	JsonArray *conditions, *old;

	if (status == NULL || old_status == NULL || !json_object_has_member(status, "conditions") ||
	    !json_object_has_member(old_status, "conditions"))
		return;
	conditions = json_object_get_array_member(status, "conditions");
	old = json_object_get_array_member(old_status, "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		for (guint j = 0; c != NULL && old != NULL && j < json_array_get_length(old); j++) {
			JsonObject *o = json_array_get_object_element(old, j);
			if (o == NULL || g_strcmp0(ferry_json_get_string(o, "type"),
						   ferry_json_get_string(c, "type")) != 0)
				continue;
			if (g_strcmp0(ferry_json_get_string(o, "status"),
				      ferry_json_get_string(c, "status")) == 0 &&
			    ferry_json_get_string(o, "lastTransitionTime") != NULL)
				json_object_set_string_member(
					c, "lastTransitionTime",
					ferry_json_get_string(o, "lastTransitionTime"));
			break;
		}
	}
}

static void
ctl_publish_one(FerrydController *self, const char *kind, JsonNode *object)
{
	g_autofree char *key = ctl_object_key(kind, object);
	g_autoptr(FerryResource) stored = NULL;
	g_autoptr(JsonNode) status = NULL;
	g_autoptr(JsonNode) written = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *extra = g_hash_table_lookup(self->extra, key);
	JsonObject *cluster_status = ctl_object_member(json_node_get_object(object), "status");
	JsonObject *status_object;
	JsonNode *last = g_hash_table_lookup(self->written, key);

	if (g_hash_table_contains(self->deleting, key))
		return;
	stored = ferry_store_get(ferry_runner_get_store(self->runner), kind,
				 ctl_meta(object, "namespace"), ctl_meta(object, "name"), NULL);
	if (stored != NULL &&
	    g_strcmp0(ferry_resource_get_uid(stored), ctl_meta(object, "uid")) != 0)
		g_clear_object(&stored);
	if (stored == NULL && extra == NULL)
		return;
	status_object = stored != NULL && ferry_resource_get_status(stored) != NULL
				? json_object_ref(ferry_resource_get_status(stored))
				: json_object_new();
	status = json_node_init_object(json_node_alloc(), status_object);
	json_object_unref(status_object);
	status_object = json_node_get_object(status);
	if (extra != NULL) {
		/* ferryd's own condition, beside the store's */
		g_autoptr(JsonNode) copy = ctl_deep_copy(status);
		JsonObject *object_copy = json_node_get_object(copy);
		JsonArray *conditions;
		if (!json_object_has_member(object_copy, "conditions"))
			json_object_set_array_member(object_copy, "conditions", json_array_new());
		conditions = json_object_get_array_member(object_copy, "conditions");
		json_array_add_object_element(conditions, json_object_ref(extra));
		json_node_unref(status);
		status = g_steal_pointer(&copy);
		status_object = json_node_get_object(status);
	}
	ctl_keep_transition_times(status_object, cluster_status);
	if (last != NULL && json_node_equal(last, status))
		return;
	if (last != NULL && JSON_NODE_HOLDS_OBJECT(last)) {
		JsonObjectIter iter;
		const char *member;
		JsonNode *value;
		json_object_iter_init(&iter, status_object);
		while (json_object_iter_next(&iter, &member, &value)) {
			JsonObject *previous = json_node_get_object(last);
			if (!json_object_has_member(previous, member) ||
			    !json_node_equal(value, json_object_get_member(previous, member)))
				g_debug("ferryd: %s: status.%s changed", key, member);
		}
	}
	/* members the cluster has and the store no longer: removed */
	written = ctl_deep_copy(status);
	if (cluster_status != NULL) {
		JsonObjectIter iter;
		const char *member;
		json_object_iter_init(&iter, cluster_status);
		while (json_object_iter_next(&iter, &member, NULL)) {
			if (!json_object_has_member(status_object, member))
				json_object_set_null_member(json_node_get_object(written), member);
		}
	}
	g_debug("ferryd: writing the status of %s", key);
	{
		g_autoptr(JsonNode) result = ferry_kube_client_update_status(
			self->client, FERRY_API_VERSION, kind, ctl_meta(object, "namespace"),
			ctl_meta(object, "name"), written, NULL, &error);
		if (result != NULL && JSON_NODE_HOLDS_OBJECT(result) &&
		    json_object_has_member(json_node_get_object(result), "status"))
			/* the API server prunes what its schema lacks */
			g_hash_table_replace(self->echoed, g_strdup(key),
					     ctl_deep_copy(json_object_get_member(
						     json_node_get_object(result), "status")));
		if (result == NULL) {
			if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
				return;
			g_warning("%s: the status was not written: %s", key, error->message);
			if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED))
				ctl_event(self, object, kind, "StatusForbidden", error->message);
			/* remembered all the same: no hot loop; the next resync tries again */
		}
	}
	g_hash_table_replace(self->written, g_steal_pointer(&key), g_steal_pointer(&status));
}

static void
ctl_publish_all(FerrydController *self)
{
	static const char *const kinds[] = {"Provider", "Host", "NetworkMap", "StorageMap",
					    "Hook",     "Plan", "Migration"};

	self->publish = FALSE;
	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
		CtlInformer *informer = ctl_informer(self, kinds[k]);
		g_autoptr(GList) values = NULL;
		if (informer == NULL)
			continue;
		values = g_hash_table_get_values(informer->cache);
		for (GList *l = values; l != NULL; l = l->next) {
			g_autoptr(JsonNode) object = json_node_ref(l->data);
			ctl_publish_one(self, kinds[k], object);
		}
	}
}

/* -- informers -- */

static void
ctl_watch_event_cb(FerryKubeWatch *watch, const char *type, JsonNode *object, gpointer user_data)
{
	CtlInformer *informer = user_data;
	FerrydController *self = informer->controller;
	g_autofree char *cache_key = NULL;
	g_autofree char *key = NULL;

	if (g_strcmp0(type, "BOOKMARK") == 0 || object == NULL || ctl_meta(object, "name") == NULL)
		return;
	cache_key = g_strdup_printf(
		"%s/%s", ctl_meta(object, "namespace") != NULL ? ctl_meta(object, "namespace") : "",
		ctl_meta(object, "name"));
	key = ctl_object_key(informer->kind, object);
	g_debug("ferryd: %s %s (resourceVersion %s)", type, key,
		ctl_meta(object, "resourceVersion"));
	if (g_strcmp0(type, "DELETED") == 0) {
		g_hash_table_remove(informer->cache, cache_key);
		g_hash_table_remove(self->dirty, key);
		if (g_strcmp0(informer->kind, "Plan") == 0 ||
		    g_strcmp0(informer->kind, "Migration") == 0) {
			/* gone without our finalizer's step: stop and forget */
			g_autoptr(FerryResource) stored = ferry_store_get(
				ferry_runner_get_store(self->runner), informer->kind,
				ctl_meta(object, "namespace"), ctl_meta(object, "name"), NULL);
			if (stored != NULL && !g_hash_table_contains(self->deleting, key))
				g_hash_table_insert(self->deleting, g_strdup(key),
						    GINT_TO_POINTER(0));
		} else {
			if (g_strcmp0(informer->kind, "Provider") == 0)
				ctl_stop_inventory_watch(self, key);
			ferry_store_delete(ferry_runner_get_store(self->runner), informer->kind,
					   ctl_meta(object, "namespace"), ctl_meta(object, "name"),
					   NULL);
			ctl_forget(self, key);
		}
		return;
	}
	g_hash_table_replace(informer->cache, g_steal_pointer(&cache_key), json_node_ref(object));
	ctl_mark_dirty(self, key);
}

static void
ctl_watch_failed_cb(FerryKubeWatch *watch, GError *error, gpointer user_data)
{
	CtlInformer *informer = user_data;
	FerrydController *self = informer->controller;
	g_autofree char *message = NULL;
	g_autofree char *plural = ctl_plural(informer->kind);

	informer->failed = TRUE;
	if (g_error_matches(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED))
		message = g_strdup_printf(
			"ferryd cannot list and watch %s: %s. Add to ferryd's ClusterRole (or "
			"Role): "
			"{apiGroups: [\"%s\"], resources: [\"%s\"], verbs: [\"list\", \"watch\"]}",
			informer->kind, error->message, FERRY_API_GROUP, plural);
	else
		message = g_strdup_printf("ferryd stopped watching %s: %s; it tries again at the "
					  "next resync",
					  informer->kind, error->message);
	g_warning("%s", message);
	ctl_event(self, NULL, NULL, "WatchFailed", message);
}

static void
ctl_start_watch(FerrydController *self, CtlInformer *informer)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *plural = ctl_plural(informer->kind);
	gboolean started;

	if (informer->watch != NULL) {
		ferry_kube_watch_stop(informer->watch);
		g_clear_object(&informer->watch);
	}
	informer->failed = FALSE;
	/* a session of its own: a watch holds its connection for minutes, and a
	 * session has only a few per host */
	if (informer->client == NULL)
		informer->client = ferry_kube_client_new(self->config);
	informer->watch =
		ferry_kube_client_watch(informer->client, FERRY_API_VERSION, informer->kind,
					self->name_space, NULL, NULL, &error);
	if (informer->watch == NULL) {
		g_warning("ferryd does not watch %s: %s (is its CRD, %s.%s, installed?)",
			  informer->kind, error->message, plural, FERRY_API_GROUP);
		informer->failed = TRUE;
		return;
	}
	g_signal_connect(informer->watch, "event", G_CALLBACK(ctl_watch_event_cb), informer);
	g_signal_connect(informer->watch, "failed", G_CALLBACK(ctl_watch_failed_cb), informer);
	/* events come to the worker's context; it is the thread default only
	 * here, as a blocking TLS handshake must not wait on it */
	g_main_context_push_thread_default(self->context);
	started = ferry_kube_watch_start(informer->watch, &error);
	g_main_context_pop_thread_default(self->context);
	if (!started) {
		g_warning("ferryd does not watch %s: %s", informer->kind, error->message);
		informer->failed = TRUE;
	}
}

/* every watch has listed (or failed) */
static gboolean
ctl_synced(FerrydController *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->informers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CtlInformer *informer = value;
		g_autofree char *version = NULL;
		if (informer->failed || informer->watch == NULL)
			continue;
		version = ferry_kube_watch_dup_resource_version(informer->watch);
		if (version == NULL)
			return FALSE;
	}
	return TRUE;
}

/* objects in the store that the cluster no longer has (deleted while
 * ferryd was down) */
static void
ctl_collect_garbage(FerrydController *self)
{
	FerryStore *store = ferry_runner_get_store(self->runner);

	for (guint k = 0; k < G_N_ELEMENTS(ctl_kinds); k++) {
		CtlInformer *informer = ctl_informer(self, ctl_kinds[k]);
		g_autoptr(GPtrArray) stored = NULL;
		if (informer == NULL || informer->failed)
			continue;
		stored = ferry_store_list(store, ctl_kinds[k], self->name_space, NULL);
		for (guint i = 0; stored != NULL && i < stored->len; i++) {
			FerryResource *resource = g_ptr_array_index(stored, i);
			const char *ns = ferry_resource_get_namespace(resource);
			const char *name = ferry_resource_get_name(resource);
			JsonNode *cached = ctl_cached(self, ctl_kinds[k], ns, name);
			g_autofree char *key = NULL;
			if (cached != NULL)
				continue;
			key = ctl_key(ctl_kinds[k], ns, name);
			if (g_strcmp0(ctl_kinds[k], "Plan") == 0 ||
			    g_strcmp0(ctl_kinds[k], "Migration") == 0) {
				/* a Migration waiting for its Plan is not mirrored yet */
				if (!g_hash_table_contains(self->deleting, key))
					g_hash_table_insert(self->deleting, g_strdup(key),
							    GINT_TO_POINTER(0));
			} else {
				ferry_store_delete(store, ctl_kinds[k], ns, name, NULL);
			}
		}
	}
}

static void
ctl_resync(FerrydController *self)
{
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->informers);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		CtlInformer *informer = value;
		GHashTableIter objects;
		gpointer object;
		if (informer->failed) {
			ctl_start_watch(self, informer);
			continue;
		}
		g_hash_table_iter_init(&objects, informer->cache);
		while (g_hash_table_iter_next(&objects, NULL, &object)) {
			g_autofree char *key = ctl_object_key(informer->kind, object);
			ctl_mark_dirty(self, key);
		}
	}
	ctl_collect_garbage(self);
	/* a status the cluster does not hold as written (refused, changed by
	 * someone else) is written again */
	{
		g_autoptr(GPtrArray) keys = ctl_keys(self->written);
		for (guint i = 0; i < keys->len; i++) {
			const char *key = g_ptr_array_index(keys, i);
			g_auto(GStrv) parts = ctl_split_key(key);
			JsonNode *object = g_strv_length(parts) == 3
						   ? ctl_cached(self, parts[0], parts[1], parts[2])
						   : NULL;
			JsonNode *status = object != NULL
						   ? json_object_get_member(
							     json_node_get_object(object), "status")
						   : NULL;
			JsonNode *echo = g_hash_table_lookup(self->echoed, key);
			if (status == NULL || echo == NULL || !json_node_equal(status, echo)) {
				g_autofree char *seen =
					status != NULL ? json_to_string(status, FALSE) : NULL;
				g_autofree char *kept =
					echo != NULL ? json_to_string(echo, FALSE) : NULL;
				g_debug("ferryd: the status of %s in the cluster is not the one "
					"written; it is written again (%s instead of %s)",
					key, seen, kept);
				g_hash_table_remove(self->written, key);
			}
		}
	}
	self->publish = TRUE;
}

/* -- the worker -- */

/* the Secrets a phase reads (a VM's LUKS passphrases) come from the cluster
 * when needed and are never stored; called in the engine's threads, so
 * with a client of its own */
static FerrySecret *
ctl_engine_secret_cb(const char *name_space, const char *name, gpointer user_data, GError **error)
{
	FerrydController *self = user_data;
	g_autoptr(FerryKubeClient) client = ferry_kube_client_new(self->config);
	g_autoptr(JsonNode) secret = NULL;
	g_autoptr(FerryResource) resource = NULL;

	secret = ferry_kube_client_get(client, "v1", "Secret", name_space, name, NULL, error);
	if (secret == NULL)
		return NULL;
	json_object_set_string_member(json_node_get_object(secret), "apiVersion", "v1");
	json_object_set_string_member(json_node_get_object(secret), "kind", "Secret");
	resource = ferry_resource_new_from_json(secret, name_space, error);
	if (resource == NULL)
		return NULL;
	if (!FERRY_IS_SECRET_RESOURCE(resource)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Secret %s/%s is not a Secret", name_space, name);
		return NULL;
	}
	return ferry_secret_resource_to_secret(FERRY_SECRET_RESOURCE(resource), error);
}

static void
ctl_engine_changed_cb(FerryEngine *engine, const char *uid, const char *phase, gpointer user_data)
{
	FerrydController *self = user_data;
	self->engine_dirty = TRUE;
	self->synced_at = 0; /* a phase ended: say so now */
}

static void
ctl_vm_changed_cb(FerryEngine *engine, const char *uid, const char *vm_id, JsonObject *status,
		  gpointer user_data)
{
	FERRYD_CONTROLLER(user_data)->engine_dirty = TRUE;
}

static void
ctl_drain(FerrydController *self)
{
	while (g_main_context_iteration(self->context, FALSE))
		;
}

static gpointer
ctl_thread(gpointer user_data)
{
	FerrydController *self = user_data;
	FerryEngine *engine = ferry_runner_get_engine(self->runner);
	g_autoptr(GError) error = NULL;
	gulong changed_handler, vm_handler;
	gint64 deadline;
	gboolean active = FALSE;

	self->client = ferry_kube_client_new(self->config);
	ferry_kube_client_set_field_manager(self->client, "ferryd");
	self->informers = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						(GDestroyNotify)ctl_informer_free);
	self->dirty = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->deleting = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->canceled = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->written = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					      (GDestroyNotify)json_node_unref);
	self->echoed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					     (GDestroyNotify)json_node_unref);
	self->observed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->extra = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    (GDestroyNotify)json_object_unref);
	self->ready = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->checked = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->inventory_watches = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							(GDestroyNotify)ctl_inventory_watch_free);
	self->world = 1;
	self->applied = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);

	changed_handler = g_signal_connect(engine, "migration-changed",
					   G_CALLBACK(ctl_engine_changed_cb), self);
	vm_handler = g_signal_connect(engine, "vm-changed", G_CALLBACK(ctl_vm_changed_cb), self);
	ferry_engine_set_secret_func(engine, ctl_engine_secret_cb, self, NULL);
	/* a migration the last ferryd left running goes on from its ledger */
	if (!ferry_engine_recover(engine, NULL, &error)) {
		g_warning("ferryd: the engine's state was not recovered: %s", error->message);
		g_clear_error(&error);
	}

	for (guint k = 0; k < G_N_ELEMENTS(ctl_kinds); k++) {
		CtlInformer *informer = g_new0(CtlInformer, 1);
		informer->controller = self;
		informer->kind = g_strdup(ctl_kinds[k]);
		informer->cache = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
							(GDestroyNotify)json_node_unref);
		g_hash_table_insert(self->informers, informer->kind, informer);
		ctl_start_watch(self, informer);
	}
	/* reconcile once every kind is listed, so that a Plan finds its maps */
	deadline = g_get_monotonic_time() + CTL_INITIAL_SYNC_TIMEOUT;
	while (!g_atomic_int_get(&self->stopping) && !ctl_synced(self) &&
	       g_get_monotonic_time() < deadline) {
		ctl_drain(self);
		g_usleep(20 * 1000);
	}
	ctl_drain(self);
	ctl_collect_garbage(self);
	g_message("ferryd: watching Forklift's resources in %s",
		  self->name_space != NULL ? self->name_space : "all namespaces");
	self->next_resync = g_get_monotonic_time() + (gint64)self->resync_seconds * G_USEC_PER_SEC;

	while (!g_atomic_int_get(&self->stopping)) {
		gboolean resync = FALSE;
		g_auto(GStrv) running = NULL;

		ctl_drain(self);
		if (g_get_monotonic_time() >= self->next_resync) {
			ctl_resync(self);
			resync = TRUE;
			self->next_resync = g_get_monotonic_time() +
					    (gint64)self->resync_seconds * G_USEC_PER_SEC;
		}
		ctl_process_dirty(self, resync);
		ctl_process_deleting(self);

		running = ferry_engine_list_migrations(engine, TRUE);
		active = running[0] != NULL;
		if (active && !ferry_engine_step(engine, &active, &error)) {
			g_warning("ferryd: the engine failed: %s", error->message);
			g_clear_error(&error);
		}
		if (self->engine_dirty &&
		    g_get_monotonic_time() - self->synced_at > CTL_SYNC_INTERVAL_US) {
			self->engine_dirty = FALSE;
			self->synced_at = g_get_monotonic_time();
			if (!ferry_runner_sync(self->runner, &error)) {
				g_warning("ferryd: %s", error->message);
				g_clear_error(&error);
			}
			/* a finished migration lets the next one of its plan start */
			if (!active && !ferry_runner_start_pending(self->runner, NULL, &error)) {
				g_warning("ferryd: %s", error->message);
				g_clear_error(&error);
			}
			self->publish = TRUE;
		}
		if (self->publish)
			ctl_publish_all(self);
		g_usleep(active ? 50 * 1000 : 200 * 1000);
	}

	/* phases under way stop; their ledger and journals let the next ferryd
	 * go on where they were */
	{
		g_auto(GStrv) running = ferry_engine_list_migrations(engine, TRUE);
		if (running[0] != NULL) {
			g_autoptr(GCancellable) cancel = g_cancellable_new();
			g_cancellable_cancel(cancel);
			g_message("ferryd: stopping; the migrations under way resume at the next "
				  "start");
			ferry_engine_run(engine, cancel, NULL);
			ferry_runner_sync(self->runner, NULL);
		}
	}
	/* the live inventories stop with the leadership: cancel all, then wait */
	{
		GHashTableIter iter;
		gpointer value;
		g_hash_table_iter_init(&iter, self->inventory_watches);
		while (g_hash_table_iter_next(&iter, NULL, &value))
			g_cancellable_cancel(((CtlInventoryWatch *)value)->cancellable);
		g_clear_pointer(&self->inventory_watches, g_hash_table_unref);
	}
	g_signal_handler_disconnect(engine, changed_handler);
	g_signal_handler_disconnect(engine, vm_handler);
	g_clear_pointer(&self->informers, g_hash_table_unref);
	ctl_drain(self);
	g_clear_pointer(&self->dirty, g_hash_table_unref);
	g_clear_pointer(&self->deleting, g_hash_table_unref);
	g_clear_pointer(&self->canceled, g_hash_table_unref);
	g_clear_pointer(&self->written, g_hash_table_unref);
	g_clear_pointer(&self->echoed, g_hash_table_unref);
	g_clear_pointer(&self->observed, g_hash_table_unref);
	g_clear_pointer(&self->extra, g_hash_table_unref);
	g_clear_pointer(&self->ready, g_hash_table_unref);
	g_clear_pointer(&self->checked, g_hash_table_unref);
	g_clear_pointer(&self->applied, g_hash_table_unref);
	g_clear_object(&self->client);
	return NULL;
}

/**
 * ferryd_controller_start:
 * @self: a #FerrydController
 * @error: return location for a #GError
 *
 * Starts the controller's worker thread (when leading).
 *
 * Returns: %TRUE when started
 */
gboolean
ferryd_controller_start(FerrydController *self, GError **error)
{
	g_return_val_if_fail(FERRYD_IS_CONTROLLER(self), FALSE);
	if (self->thread != NULL)
		return TRUE;
	g_atomic_int_set(&self->stopping, FALSE);
	g_clear_pointer(&self->context, g_main_context_unref);
	self->context = g_main_context_new();
	self->thread = g_thread_try_new("ferryd-controller", ctl_thread, self, error);
	if (self->thread == NULL)
		return FALSE;
	g_atomic_int_set(&self->running, TRUE);
	return TRUE;
}

/**
 * ferryd_controller_stop:
 * @self: a #FerrydController
 *
 * Stops reconciling (when no longer leading, or at exit) and waits for the
 * worker: phases under way are cancelled, to be resumed from the state
 * directory by the next start.
 */
void
ferryd_controller_stop(FerrydController *self)
{
	g_return_if_fail(FERRYD_IS_CONTROLLER(self));
	if (self->thread == NULL)
		return;
	g_atomic_int_set(&self->stopping, TRUE);
	g_thread_join(self->thread);
	self->thread = NULL;
	g_atomic_int_set(&self->running, FALSE);
}

/**
 * ferryd_controller_is_running:
 * @self: a #FerrydController
 *
 * Returns: whether the controller reconciles now
 */
gboolean
ferryd_controller_is_running(FerrydController *self)
{
	g_return_val_if_fail(FERRYD_IS_CONTROLLER(self), FALSE);
	return g_atomic_int_get(&self->running);
}
