/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-kube-client.h"
#include "ferry-json-private.h"
#include "ferry-kube-private.h"

/**
 * FerryKubeWatch:
 *
 * Follows the changes of one kind of object and keeps following them: a
 * broken connection (an API-server restart) resumes from the last
 * `resourceVersion`, and when that version is gone (`410 Gone` after an
 * etcd compaction) the watch lists again and reports what changed in
 * between as `ADDED`, `MODIFIED` and `DELETED` events, so the caller's view
 * stays whole. Bookmarks keep the version current on quiet resources.
 *
 * The HTTP stream is read by a thread of the watch's own; signals are
 * emitted in the main context that was thread-default at
 * ferry_kube_watch_start().
 *
 * Since: 0.1
 */
struct _FerryKubeWatch {
	GObject parent_instance;
	FerryKubeClient *client;
	FerryKubeResource *resource;
	char *api_version;
	char *namespace;
	char *label_selector;
	GMutex lock;
	char *resource_version;
	guint relists;
	GHashTable *known; /* "ns/name" → last object seen; the thread's */
	GMainContext *context;
	GCancellable *cancellable;
	GThread *thread;
	gint stopped;
};

enum { SIGNAL_EVENT, SIGNAL_FAILED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE(FerryKubeWatch, ferry_kube_watch, G_TYPE_OBJECT)

#define FERRY_KUBE_WATCH_SERVER_TIMEOUT "290"
#define FERRY_KUBE_WATCH_MAX_BACKOFF	5

static void
ferry_kube_watch_dispose(GObject *object)
{
	ferry_kube_watch_stop(FERRY_KUBE_WATCH(object));
	G_OBJECT_CLASS(ferry_kube_watch_parent_class)->dispose(object);
}

static void
ferry_kube_watch_finalize(GObject *object)
{
	FerryKubeWatch *self = FERRY_KUBE_WATCH(object);

	g_clear_object(&self->client);
	ferry_kube_resource_free(self->resource);
	g_free(self->api_version);
	g_free(self->namespace);
	g_free(self->label_selector);
	g_free(self->resource_version);
	g_hash_table_unref(self->known);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_clear_object(&self->cancellable);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_kube_watch_parent_class)->finalize(object);
}

static void
ferry_kube_watch_class_init(FerryKubeWatchClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = ferry_kube_watch_dispose;
	object_class->finalize = ferry_kube_watch_finalize;
	/**
	 * FerryKubeWatch::event:
	 * @self: the watch
	 * @type: `ADDED`, `MODIFIED`, `DELETED` or `BOOKMARK`
	 * @object: the object (for `BOOKMARK`, only its `resourceVersion`)
	 *
	 * A change of a watched object.
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_EVENT] = g_signal_new("event", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0,
					     NULL, NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING,
					     JSON_TYPE_NODE);
	/**
	 * FerryKubeWatch::failed:
	 * @self: the watch
	 * @error: why the watch stopped
	 *
	 * The watch stopped for a reason retrying cannot fix: the credentials
	 * were refused, RBAC forbids the watch, or the resource is gone.
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_FAILED] = g_signal_new("failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferry_kube_watch_init(FerryKubeWatch *self)
{
	g_mutex_init(&self->lock);
	self->known =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)json_node_unref);
	self->cancellable = g_cancellable_new();
}

/**
 * ferry_kube_client_watch:
 * @self: a #FerryKubeClient
 * @api_version: the objects' `apiVersion`
 * @kind: the objects' `kind`
 * @namespace: (nullable): the namespace; %NULL for all namespaces
 * @label_selector: (nullable): a label selector
 * @resource_version: (nullable): where to start; %NULL to list first
 *   (every existing object arrives as `ADDED`)
 * @error: return location for a #GError
 *
 * Prepares a watch; connect to #FerryKubeWatch::event, then call
 * ferry_kube_watch_start().
 *
 * Returns: (transfer full): the watch, or %NULL when the kind is unknown
 *
 * Since: 0.1
 */
FerryKubeWatch *
ferry_kube_client_watch(FerryKubeClient *self,
			const char *api_version,
			const char *kind,
			const char *namespace,
			const char *label_selector,
			const char *resource_version,
			GError **error)
{
	FerryKubeResource *resource;
	FerryKubeWatch *watch;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	resource = ferry_kube_client_lookup(self, api_version, kind, NULL, error);
	if (resource == NULL)
		return NULL;
	watch = g_object_new(FERRY_TYPE_KUBE_WATCH, NULL);
	watch->client = g_object_ref(self);
	watch->resource = resource;
	watch->api_version = g_strdup(api_version);
	watch->namespace = resource->namespaced ? g_strdup(namespace) : NULL;
	watch->label_selector = g_strdup(label_selector);
	watch->resource_version = g_strdup(resource_version);
	return watch;
}

typedef struct {
	GWeakRef watch; /* dropping the watch stops it, even with events queued */
	char *type;
	JsonNode *object;
	GError *error;
} FerryKubeWatchEvent;

static void
ferry_kube_watch_event_free(FerryKubeWatchEvent *event)
{
	g_weak_ref_clear(&event->watch);
	g_free(event->type);
	if (event->object != NULL)
		json_node_unref(event->object);
	g_clear_error(&event->error);
	g_free(event);
}

static gboolean
ferry_kube_watch_deliver_cb(gpointer user_data)
{
	FerryKubeWatchEvent *event = user_data;
	g_autoptr(FerryKubeWatch) watch = g_weak_ref_get(&event->watch);

	if (watch == NULL || g_atomic_int_get(&watch->stopped))
		return G_SOURCE_REMOVE;
	if (event->error != NULL)
		g_signal_emit(watch, signals[SIGNAL_FAILED], 0, event->error);
	else
		g_signal_emit(watch, signals[SIGNAL_EVENT], 0, event->type, event->object);
	return G_SOURCE_REMOVE;
}

/* queues a signal for the caller's context (never run in this thread) */
static void
ferry_kube_watch_dispatch(FerryKubeWatch *self, const char *type, JsonNode *object, GError *error)
{
	FerryKubeWatchEvent *event = g_new0(FerryKubeWatchEvent, 1);
	g_autoptr(GSource) source = g_idle_source_new();

	g_weak_ref_init(&event->watch, self);
	event->type = g_strdup(type);
	event->object = object != NULL ? json_node_ref(object) : NULL;
	event->error = error;
	g_source_set_priority(source, G_PRIORITY_DEFAULT);
	g_source_set_callback(source, ferry_kube_watch_deliver_cb, event,
			      (GDestroyNotify)ferry_kube_watch_event_free);
	g_source_attach(source, self->context);
}

static const char *
ferry_kube_meta_string(JsonNode *object, const char *member)
{
	JsonObject *o;

	if (object == NULL || !JSON_NODE_HOLDS_OBJECT(object))
		return NULL;
	o = json_node_get_object(object);
	if (!json_object_has_member(o, "metadata") ||
	    !JSON_NODE_HOLDS_OBJECT(json_object_get_member(o, "metadata")))
		return NULL;
	return ferry_json_get_string_or(json_object_get_object_member(o, "metadata"),
							  member, NULL);
}

static char *
ferry_kube_object_key(JsonNode *object)
{
	const char *ns = ferry_kube_meta_string(object, "namespace");
	return g_strdup_printf("%s/%s", ns != NULL ? ns : "", ferry_kube_meta_string(object, "name"));
}

static void
ferry_kube_watch_set_version(FerryKubeWatch *self, const char *version)
{
	if (version == NULL || *version == '\0')
		return;
	g_mutex_lock(&self->lock);
	g_free(self->resource_version);
	self->resource_version = g_strdup(version);
	g_mutex_unlock(&self->lock);
}

/* a backoff that ends early on stop; FALSE once stopped */
static gboolean
ferry_kube_watch_pause(FerryKubeWatch *self, guint seconds)
{
	gint64 end = g_get_monotonic_time() + (gint64)seconds * G_USEC_PER_SEC;

	while (g_get_monotonic_time() < end && !g_cancellable_is_cancelled(self->cancellable))
		g_usleep(50 * 1000);
	return !g_cancellable_is_cancelled(self->cancellable);
}

static gboolean
ferry_kube_watch_is_fatal(const GError *error)
{
	return g_error_matches(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

/* lists and reports the difference to what was seen; FALSE when stopped or failed */
static gboolean
ferry_kube_watch_relist(FerryKubeWatch *self)
{
	for (guint backoff = 1;; backoff = MIN(backoff * 2, FERRY_KUBE_WATCH_MAX_BACKOFF)) {
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonNode) list = NULL;
		g_autoptr(GHashTable) seen = NULL;
		GHashTableIter iter;
		gpointer key, value;
		JsonArray *items;

		list = ferry_kube_client_list_resource(self->client, self->resource, self->namespace,
						       self->label_selector, self->cancellable,
						       &error);
		if (list == NULL) {
			if (g_cancellable_is_cancelled(self->cancellable))
				return FALSE;
			if (ferry_kube_watch_is_fatal(error)) {
				ferry_kube_watch_dispatch(self, NULL, NULL, g_steal_pointer(&error));
				return FALSE;
			}
			g_debug("kubernetes: watch %s: list failed, retrying: %s",
				self->resource->resource, error->message);
			if (!ferry_kube_watch_pause(self, backoff))
				return FALSE;
			continue;
		}
		seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
		items = json_object_get_array_member(json_node_get_object(list), "items");
		for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
			JsonNode *item = json_array_get_element(items, i);
			g_autofree char *item_key = ferry_kube_object_key(item);
			JsonNode *old = g_hash_table_lookup(self->known, item_key);

			if (!JSON_NODE_HOLDS_OBJECT(item))
				continue;
			json_object_set_string_member(json_node_get_object(item), "apiVersion",
						      self->api_version);
			json_object_set_string_member(json_node_get_object(item), "kind",
						      self->resource->kind);
			if (old == NULL)
				ferry_kube_watch_dispatch(self, "ADDED", item, NULL);
			else if (g_strcmp0(ferry_kube_meta_string(old, "resourceVersion"),
					   ferry_kube_meta_string(item, "resourceVersion")) != 0)
				ferry_kube_watch_dispatch(self, "MODIFIED", item, NULL);
			g_hash_table_add(seen, g_strdup(item_key));
			g_hash_table_replace(self->known, g_steal_pointer(&item_key),
					     json_node_ref(item));
		}
		g_hash_table_iter_init(&iter, self->known);
		while (g_hash_table_iter_next(&iter, &key, &value)) {
			if (g_hash_table_contains(seen, key))
				continue;
			ferry_kube_watch_dispatch(self, "DELETED", value, NULL);
			g_hash_table_iter_remove(&iter);
		}
		ferry_kube_watch_set_version(self, ferry_kube_meta_string(list, "resourceVersion"));
		return TRUE;
	}
}

/* one event line; sets *gone on a 410 ERROR event */
static void
ferry_kube_watch_handle_line(FerryKubeWatch *self, const char *line, gboolean *gone)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *event;
	JsonNode *object;
	const char *type;
	g_autofree char *key = NULL;

	if (*line == '\0')
		return;
	if (!json_parser_load_from_data(parser, line, -1, NULL) ||
	    json_parser_get_root(parser) == NULL ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_debug("kubernetes: watch %s: ignoring a line that is not JSON",
			self->resource->resource);
		return;
	}
	event = json_node_get_object(json_parser_get_root(parser));
	type = ferry_json_get_string_or(event, "type", "");
	object = json_object_get_member(event, "object");
	if (object == NULL || !JSON_NODE_HOLDS_OBJECT(object))
		return;
	if (g_strcmp0(type, "ERROR") == 0) {
		gint64 code =
		    ferry_json_get_int_or(json_node_get_object(object), "code", 0);
		if (code == 410)
			*gone = TRUE;
		g_debug("kubernetes: watch %s: ERROR %" G_GINT64_FORMAT ": %s",
			self->resource->resource, code,
			ferry_json_get_string_or(json_node_get_object(object),
								   "message", ""));
		return;
	}
	ferry_kube_watch_set_version(self, ferry_kube_meta_string(object, "resourceVersion"));
	if (g_strcmp0(type, "BOOKMARK") != 0) {
		key = ferry_kube_object_key(object);
		if (g_strcmp0(type, "DELETED") == 0)
			g_hash_table_remove(self->known, key);
		else
			g_hash_table_replace(self->known, g_steal_pointer(&key), json_node_ref(object));
	}
	ferry_kube_watch_dispatch(self, type, object, NULL);
}

/* reads event lines from one watch stream until it ends, breaks or says the
 * version is gone (410; returns TRUE then) */
gboolean
ferry_kube_watch_read_stream(FerryKubeWatch *self, GInputStream *stream)
{
	g_autoptr(GDataInputStream) lines = g_data_input_stream_new(stream);
	gboolean gone = FALSE;

	g_data_input_stream_set_newline_type(lines, G_DATA_STREAM_NEWLINE_TYPE_LF);
	while (!gone) {
		g_autoptr(GError) read_error = NULL;
		g_autofree char *line =
		    g_data_input_stream_read_line(lines, NULL, self->cancellable, &read_error);
		if (line == NULL) {
			if (read_error != NULL && !g_cancellable_is_cancelled(self->cancellable))
				g_debug("kubernetes: watch %s: stream broke: %s",
					self->resource->resource, read_error->message);
			break;
		}
		ferry_kube_watch_handle_line(self, line, &gone);
	}
	return gone;
}

/* a watch on @resource (plural) that is never started: for feeding streams */
FerryKubeWatch *
ferry_kube_watch_new_detached(const char *resource)
{
	FerryKubeWatch *watch = g_object_new(FERRY_TYPE_KUBE_WATCH, NULL);
	watch->resource = g_new0(FerryKubeResource, 1);
	watch->resource->resource = g_strdup(resource);
	watch->resource->version = g_strdup("v1");
	watch->resource->group = g_strdup("");
	return watch;
}

/* the objects a watch knows now, by "namespace/name" */
guint
ferry_kube_watch_count_known(FerryKubeWatch *self)
{
	return g_hash_table_size(self->known);
}

static char *
ferry_kube_watch_build_path(FerryKubeWatch *self)
{
	g_autofree char *base =
	    ferry_kube_resource_build_path(self->resource, self->namespace, NULL, NULL);
	GString *path = g_string_new(base);
	g_autofree char *version = ferry_kube_watch_dup_resource_version(self);

	ferry_kube_append_query(path, "watch", "1");
	ferry_kube_append_query(path, "allowWatchBookmarks", "true");
	ferry_kube_append_query(path, "resourceVersion", version);
	ferry_kube_append_query(path, "timeoutSeconds", FERRY_KUBE_WATCH_SERVER_TIMEOUT);
	ferry_kube_append_query(path, "labelSelector", self->label_selector);
	return g_string_free(path, FALSE);
}

static gpointer
ferry_kube_watch_thread(gpointer user_data)
{
	FerryKubeWatch *self = user_data;
	FerryKubeTarget target = {.verb = "watch",
				  .group = self->resource->group,
				  .resource = self->resource->resource,
				  .namespace = self->namespace};
	gboolean initial_list = self->resource_version == NULL;
	gboolean gone = initial_list;
	guint backoff = 1;

	while (!g_cancellable_is_cancelled(self->cancellable)) {
		g_autoptr(GError) error = NULL;
		g_autoptr(GInputStream) stream = NULL;
		g_autofree char *path = NULL;
		guint status = 0;

		if (gone) {
			if (!ferry_kube_watch_relist(self))
				break;
			if (!initial_list)
				g_atomic_int_inc((gint *)&self->relists);
			initial_list = FALSE;
			gone = FALSE;
		}
		path = ferry_kube_watch_build_path(self);
		stream = ferry_kube_client_open_stream(self->client, path, &target, &status,
						       self->cancellable, &error);
		if (stream == NULL) {
			if (g_cancellable_is_cancelled(self->cancellable))
				break;
			if (status == 410) {
				gone = TRUE;
				continue;
			}
			if (ferry_kube_watch_is_fatal(error)) {
				ferry_kube_watch_dispatch(self, NULL, NULL, g_steal_pointer(&error));
				break;
			}
			g_debug("kubernetes: watch %s: %s; retrying in %u s",
				self->resource->resource, error->message, backoff);
			if (!ferry_kube_watch_pause(self, backoff))
				break;
			backoff = MIN(backoff * 2, FERRY_KUBE_WATCH_MAX_BACKOFF);
			continue;
		}
		backoff = 1;
		gone = ferry_kube_watch_read_stream(self, stream);
		g_input_stream_close(stream, NULL, NULL);
	}
	return NULL;
}

/**
 * ferry_kube_watch_start:
 * @self: a #FerryKubeWatch
 * @error: return location for a #GError
 *
 * Starts following; events arrive in the thread-default main context of
 * the caller, which must run it.
 *
 * Returns: %TRUE when started
 *
 * Since: 0.1
 */
gboolean
ferry_kube_watch_start(FerryKubeWatch *self, GError **error)
{
	g_return_val_if_fail(FERRY_IS_KUBE_WATCH(self), FALSE);
	if (self->thread != NULL || g_atomic_int_get(&self->stopped)) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
				    "kubernetes: a watch starts once");
		return FALSE;
	}
	self->context = g_main_context_ref_thread_default();
	self->thread = g_thread_new("ferry-kube-watch", ferry_kube_watch_thread, self);
	return TRUE;
}

/**
 * ferry_kube_watch_stop:
 * @self: a #FerryKubeWatch
 *
 * Stops following and waits for the reading thread; no signal is emitted
 * afterwards. Dropping the last reference stops the watch too.
 *
 * Since: 0.1
 */
void
ferry_kube_watch_stop(FerryKubeWatch *self)
{
	g_return_if_fail(FERRY_IS_KUBE_WATCH(self));
	g_atomic_int_set(&self->stopped, TRUE);
	g_cancellable_cancel(self->cancellable);
	if (self->thread != NULL && self->thread != g_thread_self()) {
		g_thread_join(self->thread);
		self->thread = NULL;
	}
}

/**
 * ferry_kube_watch_dup_resource_version:
 * @self: a #FerryKubeWatch
 *
 * Returns: (transfer full) (nullable): the last `resourceVersion` seen
 *
 * Since: 0.1
 */
char *
ferry_kube_watch_dup_resource_version(FerryKubeWatch *self)
{
	char *version;

	g_return_val_if_fail(FERRY_IS_KUBE_WATCH(self), NULL);
	g_mutex_lock(&self->lock);
	version = g_strdup(self->resource_version);
	g_mutex_unlock(&self->lock);
	return version;
}

/**
 * ferry_kube_watch_get_relist_count:
 * @self: a #FerryKubeWatch
 *
 * Returns: how often the watch listed again after `410 Gone`
 *
 * Since: 0.1
 */
guint
ferry_kube_watch_get_relist_count(FerryKubeWatch *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_WATCH(self), 0);
	return (guint)g_atomic_int_get((gint *)&self->relists);
}
