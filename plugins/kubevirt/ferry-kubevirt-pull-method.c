/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cluster mode, pull: the transfer method `kubevirt-pull` copies a disk into
 * its PVC from inside the target cluster. For each disk it creates, in the
 * target namespace, a Secret with the source Provider's credentials, a
 * ConfigMap with the transfer description (no credential in it) and a pod
 * of Ferry's image running `ferry transfer` on them with the PVC mounted
 * (ferry-kubevirt-pull.c renders them); it follows the pod's log (JSON
 * lines) into the progress, waits for the result line and deletes the
 * three objects. The disk's bytes go from the source to the cluster
 * directly, not through the API server and Ferry's machine.
 *
 * The method finds the cluster and the PVC on the target endpoint, where
 * the KubeVirt provider's prepare_disk put them
 * (ferry_kubevirt_pull_attach_target), and the source in the request (its
 * Provider configuration and the VM, disk and snapshot ids).
 */

#include "config.h"

#include <string.h>

#include "ferry-kubevirt-pull.h"
#include "ferry-kubevirt-push.h"

#define PULL_TARGET_KEY "ferry-kubevirt-pull-target"
#define PULL_RESTARTS 2 /* container restarts after a transient failure before giving up */

/* what the method needs of the target: set on the endpoint by prepare_disk */
typedef struct {
	FerryKubeClient *client;
	char *cluster;	  /* "Provider/ns/name" of the destination */
	char *name_space;
	char *pvc;
	gboolean block;
	char *image;
	guint pod_timeout;
	gboolean host_network;
	char *mode; /* push, pull or auto */
	GHashTable *labels; /* the PVC's plan/migration/vmID labels + the transfer label */
} PullTarget;

static void
pull_target_free(gpointer data)
{
	PullTarget *target = data;
	g_clear_object(&target->client);
	g_free(target->cluster);
	g_free(target->name_space);
	g_free(target->pvc);
	g_free(target->image);
	g_free(target->mode);
	g_clear_pointer(&target->labels, g_hash_table_unref);
	g_free(target);
}

/**
 * ferry_kubevirt_pull_attach_target:
 * @endpoint: the target endpoint of a PVC, from prepare_disk in cluster mode
 * @cluster: the destination cluster
 * @target: the VM
 * @disk: (nullable): the disk
 *
 * Tells the kubevirt-pull method where @endpoint's disk is: the cluster,
 * the PVC, its volume mode, and the cluster's pull settings.
 */
void
ferry_kubevirt_pull_attach_target(FerryDiskEndpoint *endpoint,
				  FerryKubevirtCluster *cluster,
				  FerryKubevirtTarget *target,
				  FerryKubevirtDisk *disk)
{
	PullTarget *pull;
	JsonObject *metadata;
	JsonObject *labels;

	if (disk == NULL || disk->claim == NULL)
		return;
	pull = g_new0(PullTarget, 1);
	pull->client = g_object_ref(cluster->client);
	pull->cluster = g_strdup(cluster->display);
	pull->name_space = g_strdup(target->name_space);
	pull->pvc = g_strdup(disk->name);
	pull->block = g_strcmp0(disk->volume_mode, "Block") == 0;
	pull->image = g_strdup(cluster->transfer_image);
	pull->pod_timeout = cluster->pod_timeout;
	pull->host_network = cluster->host_network;
	pull->mode = g_strdup(cluster->transfer_mode);
	pull->labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	metadata = json_object_get_object_member(json_node_get_object(disk->claim), "metadata");
	labels = metadata != NULL && json_object_has_member(metadata, "labels")
		     ? json_object_get_object_member(metadata, "labels")
		     : NULL;
	if (labels != NULL) {
		g_autoptr(GList) keys = json_object_get_members(labels);
		for (GList *l = keys; l != NULL; l = l->next)
			g_hash_table_replace(pull->labels, g_strdup(l->data),
					     g_strdup(json_object_get_string_member(labels,
										    l->data)));
	}
	g_hash_table_replace(pull->labels, g_strdup(FERRY_KUBEVIRT_TRANSFER_LABEL),
			     g_strdup(disk->name));
	g_object_set_data_full(G_OBJECT(endpoint), PULL_TARGET_KEY, pull, pull_target_free);
}

/* --- the method --- */

struct _FerryKubevirtPullMethod {
	GObject parent_instance;
};

static void ferry_kubevirt_pull_method_iface_init(FerryTransferMethodInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryKubevirtPullMethod,
			       ferry_kubevirt_pull_method,
			       G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_TRANSFER_METHOD,
							     ferry_kubevirt_pull_method_iface_init))

void
ferry_kubevirt_pull_method_register(GTypeModule *module)
{
	ferry_kubevirt_pull_method_register_type(module);
}

static void
ferry_kubevirt_pull_method_class_init(FerryKubevirtPullMethodClass *klass)
{
}

static void
ferry_kubevirt_pull_method_class_finalize(FerryKubevirtPullMethodClass *klass)
{
}

static void
ferry_kubevirt_pull_method_init(FerryKubevirtPullMethod *self)
{
}

static const char *
pull_get_name(FerryTransferMethod *method)
{
	return FERRY_KUBEVIRT_PULL_METHOD_NAME;
}

/* a source a pod can reach by itself: one behind an http(s) URL (vSphere,
 * oVirt, OpenStack…); a local file or directory (an OVA) is not */
static gboolean
pull_source_is_remote(FerryTransferRequest *request)
{
	FerryProviderConfig *config = ferry_transfer_request_get_source_config(request);
	const char *url = config != NULL ? ferry_provider_config_get_url(config) : NULL;
	g_autofree char *scheme = url != NULL ? g_uri_parse_scheme(url) : NULL;

	return scheme != NULL &&
	       (g_ascii_strcasecmp(scheme, "https") == 0 || g_ascii_strcasecmp(scheme, "http") == 0) &&
	       ferry_transfer_request_get_vm_id(request) != NULL &&
	       ferry_transfer_request_get_disk_id(request) != NULL;
}

/* push, pull or auto: the plan's annotation transfer.ferry.konveyor.io/mode
 * first, then the destination Provider's setting transferMode */
static const char *
pull_mode(FerryTransferRequest *request, PullTarget *target)
{
	const char *mode = ferry_transfer_request_get_option(request, "mode");
	if (mode != NULL && *mode != '\0')
		return mode;
	return target->mode != NULL ? target->mode : "auto";
}

static guint
pull_supports(FerryTransferMethod *method, FerryTransferRequest *request)
{
	FerryDiskEndpoint *source = ferry_transfer_request_get_source(request);
	FerryDiskEndpoint *dst = ferry_transfer_request_get_target(request);
	PullTarget *target = g_object_get_data(G_OBJECT(dst), PULL_TARGET_KEY);
	const char *mode;

	if (target == NULL ||
	    (ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_CONVERT) != 0 ||
	    g_strcmp0(ferry_disk_endpoint_get_format(source), "raw") != 0 ||
	    !pull_source_is_remote(request))
		return 0;
	mode = pull_mode(request, target);
	if (g_strcmp0(mode, "push") == 0)
		return 0;
	/* forced: above any other method; auto: above the local copy (10) */
	return g_strcmp0(mode, "pull") == 0 ? 100 : 20;
}

/* --- the objects of one copy --- */

typedef struct {
	PullTarget *target;
	char *display; /* the disk, as messages name it */
	char *name;    /* the pod's and the ConfigMap's name */
	char *secret;  /* the Secret's name, or NULL */
	GHashTable *labels;
} PullCopy;

static void
pull_copy_clear(PullCopy *copy)
{
	g_free(copy->display);
	g_free(copy->name);
	g_free(copy->secret);
	g_clear_pointer(&copy->labels, g_hash_table_unref);
}

static JsonNode *
pull_metadata_object(PullCopy *copy, const char *api_version, const char *kind, const char *name)
{
	g_autoptr(JsonBuilder) b = json_builder_new();
	GHashTableIter iter;
	gpointer key, value;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "apiVersion");
	json_builder_add_string_value(b, api_version);
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, kind);
	json_builder_set_member_name(b, "metadata");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, name);
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, copy->target->name_space);
	json_builder_set_member_name(b, "labels");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "app.kubernetes.io/name");
	json_builder_add_string_value(b, "ferry");
	json_builder_set_member_name(b, "app.kubernetes.io/component");
	json_builder_add_string_value(b, "transfer");
	g_hash_table_iter_init(&iter, copy->labels);
	while (g_hash_table_iter_next(&iter, &key, &value)) {
		json_builder_set_member_name(b, key);
		json_builder_add_string_value(b, value);
	}
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* the source's Secret, its keys base64-encoded: only the API server sees it */
static JsonNode *
pull_secret_manifest(PullCopy *copy, FerrySecret *secret)
{
	JsonNode *node = pull_metadata_object(copy, "v1", "Secret", copy->secret);
	JsonObject *object = json_node_get_object(node);
	JsonObject *data = json_object_new();
	g_auto(GStrv) keys = ferry_secret_list_keys(secret);

	json_object_set_string_member(object, "type", "Opaque");
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		GBytes *value = ferry_secret_get(secret, keys[i]);
		gsize length = 0;
		const guchar *bytes = value != NULL ? g_bytes_get_data(value, &length) : NULL;
		g_autofree char *encoded = g_base64_encode(bytes, length);
		json_object_set_string_member(data, keys[i], encoded);
	}
	json_object_set_object_member(object, "data", data);
	return node;
}

/* deletes the transfer objects of @copy's PVC: pods, ConfigMaps, Secrets;
 * the first error is kept, every kind is tried */
static gboolean
pull_delete_objects(PullTarget *target, GCancellable *cancellable, GError **error)
{
	static const char *const kinds[] = {"Pod", "ConfigMap", "Secret"};
	g_autofree char *selector = g_strdup_printf(
	    "%s=%s,app.kubernetes.io/component=transfer", FERRY_KUBEVIRT_TRANSFER_LABEL, target->pvc);
	gboolean ok = TRUE;

	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonNode) list = ferry_kube_client_list(
		    target->client, "v1", kinds[k], target->name_space, selector, cancellable,
		    &local_error);
		JsonArray *items =
		    list != NULL ? json_object_get_array_member(json_node_get_object(list), "items")
				 : NULL;
		for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
			JsonObject *metadata = json_object_get_object_member(
			    json_array_get_object_element(items, i), "metadata");
			const char *name = json_object_get_string_member(metadata, "name");
			if (!ferry_kube_client_delete(target->client, "v1", kinds[k], target->name_space,
						      name, FERRY_KUBE_PROPAGATION_BACKGROUND,
						      cancellable, &local_error) &&
			    !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
				break;
			g_clear_error(&local_error);
		}
		if (local_error != NULL && ok) {
			g_set_error(error, FERRY_ERROR, local_error->code,
				    "cannot remove the pull transfer %ss of PVC %s/%s: %s", kinds[k],
				    target->name_space, target->pvc, local_error->message);
			ok = FALSE;
		}
	}
	return ok;
}

static gboolean
pull_create(PullCopy *copy, JsonNode *object, const char *what, GCancellable *cancellable,
	    GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonNode) created =
	    ferry_kube_client_create(copy->target->client, object, cancellable, &local_error);
	if (created != NULL)
		return TRUE;
	g_set_error(error, FERRY_ERROR, local_error->code,
		    "%s: cannot create the pull transfer %s in namespace %s: %s", copy->display,
		    what, copy->target->name_space, local_error->message);
	return FALSE;
}

static FerryTransferDescription *
pull_description(FerryTransferRequest *request, GError **error)
{
	FerryProviderConfig *config = ferry_transfer_request_get_source_config(request);
	FerryDiskEndpoint *dst = ferry_transfer_request_get_target(request);
	g_autoptr(FerryTransferDescription) description = ferry_transfer_description_new();
	g_auto(GStrv) settings = ferry_provider_config_list_settings(config);
	FerryTransferFlags flags = ferry_transfer_request_get_flags(request);

	ferry_transfer_description_set_source_type(
	    description, ferry_transfer_request_get_source_provider_type(request) != NULL
			     ? ferry_transfer_request_get_source_provider_type(request)
			     : ferry_provider_config_get_provider_type(config));
	ferry_transfer_description_set_source_url(description, ferry_provider_config_get_url(config));
	ferry_transfer_description_set_source_name(description,
						   ferry_provider_config_get_namespace(config),
						   ferry_provider_config_get_name(config));
	for (guint i = 0; settings != NULL && settings[i] != NULL; i++)
		ferry_transfer_description_set_source_setting(
		    description, settings[i], ferry_provider_config_get_setting(config, settings[i]));
	ferry_transfer_description_set_vm_id(description, ferry_transfer_request_get_vm_id(request));
	ferry_transfer_description_set_disk_id(description,
					       ferry_transfer_request_get_disk_id(request));
	ferry_transfer_description_set_snapshot_id(description,
						   ferry_transfer_request_get_snapshot_id(request));
	/* the engine asked for the changed areas already: the pod copies those */
	if ((flags & FERRY_TRANSFER_FLAG_INCREMENTAL) != 0 &&
	    ferry_transfer_request_get_extents(request) != NULL)
		ferry_transfer_description_set_extents(description,
						       ferry_transfer_request_get_extents(request));
	ferry_transfer_description_set_verify(description, (flags & FERRY_TRANSFER_FLAG_VERIFY) != 0);
	ferry_transfer_description_set_target_is_zero(description, ferry_disk_endpoint_get_zeroed(dst));
	ferry_transfer_description_set_bandwidth(description,
						 ferry_transfer_request_get_bandwidth(request));
	(void)error;
	return g_steal_pointer(&description);
}

/* the journal on the volume (Filesystem) or in the pod's scratch (Block),
 * named after the engine's journal of this round, so that a warm round does
 * not resume from the previous round's journal */
static void
pull_set_journal(FerryTransferRequest *request,
		 PullTarget *target,
		 FerryTransferDescription *description)
{
	const char *journal = ferry_transfer_request_get_journal(request);
	g_autofree char *base = journal != NULL ? g_path_get_basename(journal) : NULL;
	g_autofree char *path = NULL;

	if (base == NULL)
		return;
	path = g_build_filename(target->block ? FERRY_KUBEVIRT_PULL_SCRATCH_DIR
					      : FERRY_KUBEVIRT_PULL_VOLUME_DIR,
				base, NULL);
	ferry_transfer_description_set_journal(description, path);
}

/* --- following the pod --- */

static JsonObject *
pull_container_status(JsonObject *pod)
{
	JsonObject *status = ferry_json_get_object(pod, "status");
	JsonNode *node = status != NULL ? json_object_get_member(status, "containerStatuses") : NULL;
	JsonArray *statuses =
	    node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
	return statuses != NULL && json_array_get_length(statuses) > 0
		   ? json_array_get_object_element(statuses, 0)
		   : NULL;
}

/* the result line among @text's lines (a log or a termination message) */
static JsonObject *
pull_find_result(const char *text)
{
	g_auto(GStrv) lines = text != NULL ? g_strsplit(text, "\n", -1) : NULL;
	JsonObject *found = NULL;

	for (guint i = 0; lines != NULL && lines[i] != NULL; i++) {
		g_autoptr(JsonParser) parser = json_parser_new();
		JsonNode *root;
		if (lines[i][0] != '{' || !json_parser_load_from_data(parser, lines[i], -1, NULL))
			continue;
		root = json_parser_get_root(parser);
		if (JSON_NODE_HOLDS_OBJECT(root) &&
		    g_strcmp0(ferry_json_get_string(json_node_get_object(root), "event"), "result") == 0) {
			g_clear_pointer(&found, json_object_unref);
			found = json_object_ref(json_node_get_object(root));
		}
	}
	return found;
}

/* one line of the log: progress goes to @progress, a result to @result */
static void
pull_handle_line(const char *line, FerryProgress *progress, JsonObject **result)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonObject *object;
	const char *event;

	if (line[0] != '{' || !json_parser_load_from_data(parser, line, -1, NULL) ||
	    !JSON_NODE_HOLDS_OBJECT(json_parser_get_root(parser))) {
		g_debug("kubevirt-pull: %s", line);
		return;
	}
	object = json_node_get_object(json_parser_get_root(parser));
	event = ferry_json_get_string(object, "event");
	if (g_strcmp0(event, "progress") == 0) {
		if (progress != NULL && json_object_has_member(object, "bytesTotal"))
			ferry_progress_set_total(progress,
						 (guint64)json_object_get_int_member(object,
										     "bytesTotal"));
		if (progress != NULL && json_object_has_member(object, "bytesDone"))
			ferry_progress_set_done(progress,
						(guint64)json_object_get_int_member(object,
										    "bytesDone"));
	} else if (g_strcmp0(event, "result") == 0) {
		g_clear_pointer(result, json_object_unref);
		*result = json_object_ref(object);
	}
}

/* reads the container's log to its end (the container's) */
static void
pull_follow_log(PullCopy *copy,
		FerryProgress *progress,
		JsonObject **result,
		GCancellable *cancellable)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GInputStream) stream = ferry_kube_client_read_log(
	    copy->target->client, copy->target->name_space, copy->name, "transfer", TRUE,
	    cancellable, &local_error);
	g_autoptr(GDataInputStream) lines = NULL;

	if (stream == NULL) {
		g_debug("%s: the log of pod %s: %s", copy->display, copy->name, local_error->message);
		return;
	}
	lines = g_data_input_stream_new(stream);
	for (;;) {
		gsize length;
		g_autofree char *line =
		    g_data_input_stream_read_line_utf8(lines, &length, cancellable, &local_error);
		if (line == NULL)
			break;
		pull_handle_line(g_strstrip(line), progress, result);
	}
	if (local_error != NULL)
		g_debug("%s: reading the log of pod %s: %s", copy->display, copy->name,
			local_error->message);
}

/* a failure that a restarted container would meet again */
static gboolean
pull_reason_is_final(const char *reason)
{
	FerryError code = ferry_error_from_string(reason);
	return reason != NULL &&
	       code != FERRY_ERROR_CONNECTION_FAILED && code != FERRY_ERROR_TIMED_OUT &&
	       code != FERRY_ERROR_IO && code != FERRY_ERROR_BUSY && code != FERRY_ERROR_CANCELLED &&
	       code != FERRY_ERROR_FAILED;
}

/* @retried: the pod was restarted already; a transient code would make
 * the engine run it all again */
static gboolean
pull_set_result_error(PullCopy *copy,
		      JsonObject *result,
		      const char *state,
		      gboolean retried,
		      GError **error)
{
	const char *reason = result != NULL ? ferry_json_get_string(result, "reason") : NULL;
	const char *message = result != NULL ? ferry_json_get_string(result, "error") : NULL;
	FerryError code = reason != NULL ? ferry_error_from_string(reason) : FERRY_ERROR_FAILED;
	gboolean unreachable = code == FERRY_ERROR_CONNECTION_FAILED || code == FERRY_ERROR_TIMED_OUT;
	g_autofree char *hint = NULL;

	if (unreachable)
		hint = g_strdup_printf(
		    "; the pod runs in namespace %s of the cluster: check that the source is "
		    "reachable from there, or set the destination Provider's "
		    "spec.settings.transferHostNetwork: \"true\" for a source only the node "
		    "reaches (or transferMode: push)",
		    copy->target->name_space);
	if (retried && (unreachable || code == FERRY_ERROR_BUSY || code == FERRY_ERROR_IO))
		code = FERRY_ERROR_FAILED;
	if (message != NULL)
		g_set_error(error, FERRY_ERROR, code,
			    "%s: the pull transfer pod %s/%s failed%s%s%s: %s%s", copy->display,
			    copy->target->name_space, copy->name, state != NULL ? " (" : "",
			    state != NULL ? state : "", state != NULL ? ")" : "", message,
			    hint != NULL ? hint : "");
	else
		g_set_error(error, FERRY_ERROR, code,
			    "%s: the pull transfer pod %s/%s failed%s%s%s with no result line; "
			    "see kubectl logs -n %s %s while the pod exists, and check that the "
			    "pod can reach the source (the destination's setting "
			    "transferHostNetwork for a source only the node reaches)",
			    copy->display, copy->target->name_space, copy->name,
			    state != NULL ? " (" : "", state != NULL ? state : "",
			    state != NULL ? ")" : "", copy->target->name_space, copy->name);
	return FALSE;
}

static void
pull_sleep(GCancellable *cancellable, guint tenths)
{
	for (guint i = 0; i < tenths && !g_cancellable_is_cancelled(cancellable); i++)
		g_usleep(G_USEC_PER_SEC / 10);
}

/*
 * Follows the pod until the transfer ends: the container's log while it
 * runs, then its state. A container that failed for a transient reason
 * (the network, I/O) is restarted by the kubelet (restartPolicy OnFailure)
 * and resumes from the journal; a failure it would meet again (refused
 * credentials, a missing VM) ends the copy at once.
 */
static gboolean
pull_wait(PullCopy *copy, FerryProgress *progress, GCancellable *cancellable, GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)copy->target->pod_timeout * G_USEC_PER_SEC;
	g_autoptr(JsonObject) result = NULL;

	for (;;) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonNode) node = NULL;
		JsonObject *pod, *container, *state, *waiting, *terminated, *last;
		const char *phase, *reason;
		gint64 restarts;

		if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
			ferry_error_convert(error);
			return FALSE;
		}
		node = ferry_kube_client_get(copy->target->client, "v1", "Pod",
					     copy->target->name_space, copy->name, cancellable,
					     &local_error);
		if (node == NULL) {
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED) ||
			    g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT)) {
				pull_sleep(cancellable, 20);
				continue;
			}
			g_set_error(error, FERRY_ERROR, local_error->code,
				    "%s: the pull transfer pod %s/%s: %s", copy->display,
				    copy->target->name_space, copy->name, local_error->message);
			return FALSE;
		}
		pod = json_node_get_object(node);
		phase = ferry_json_get_string(ferry_json_get_object(pod, "status"), "phase");
		container = pull_container_status(pod);
		state = ferry_json_get_object(container, "state");
		waiting = ferry_json_get_object(state, "waiting");
		terminated = ferry_json_get_object(state, "terminated");
		last = ferry_json_get_object(ferry_json_get_object(container, "lastState"), "terminated");
		reason = ferry_json_get_string(waiting, "reason");
		restarts = container != NULL && json_object_has_member(container, "restartCount")
			       ? json_object_get_int_member(container, "restartCount")
			       : 0;

		if (g_strcmp0(phase, "Succeeded") == 0) {
			if (result == NULL)
				result = pull_find_result(ferry_json_get_string(terminated, "message"));
			if (result != NULL &&
			    g_strcmp0(ferry_json_get_string(result, "result"), "Succeeded") != 0)
				return pull_set_result_error(copy, result, NULL, FALSE, error);
			if (progress != NULL)
				ferry_progress_set_done(progress, ferry_progress_get_total(progress));
			return TRUE;
		}
		if (ferry_json_get_object(state, "running") != NULL) {
			g_clear_pointer(&result, json_object_unref);
			pull_follow_log(copy, progress, &result, cancellable);
			/* the container ended (or the stream broke): its state says which */
			pull_sleep(cancellable, 5);
			continue;
		}
		if (terminated != NULL || last != NULL) {
			JsonObject *ended = terminated != NULL ? terminated : last;
			g_autoptr(JsonObject) said = pull_find_result(ferry_json_get_string(ended, "message"));
			JsonObject *outcome = said != NULL ? said : result;
			if (g_strcmp0(phase, "Failed") == 0 ||
			    (outcome != NULL && pull_reason_is_final(ferry_json_get_string(outcome, "reason"))) ||
			    restarts > PULL_RESTARTS) {
				g_autofree char *how = g_strdup_printf(
				    "exit status %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT " restarts",
				    json_object_has_member(ended, "exitCode")
					? json_object_get_int_member(ended, "exitCode")
					: -1,
				    restarts);
				return pull_set_result_error(copy, outcome, how, restarts > 0, error);
			}
		}
		if (reason != NULL &&
		    (g_str_has_prefix(reason, "ErrImage") || g_strcmp0(reason, "ImagePullBackOff") == 0 ||
		     g_strcmp0(reason, "InvalidImageName") == 0 ||
		     g_strcmp0(reason, "CreateContainerConfigError") == 0 ||
		     g_strcmp0(reason, "CreateContainerError") == 0)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "%s: the pull transfer pod %s/%s cannot start its container from "
				    "the image %s (%s: %s); make the image available to the cluster "
				    "or set the Provider's spec.settings.transferImage",
				    copy->display, copy->target->name_space, copy->name,
				    copy->target->image, reason,
				    ferry_json_get_string(waiting, "message") != NULL
					? ferry_json_get_string(waiting, "message")
					: "no message");
			return FALSE;
		}
		/* not started yet (scheduling, pulling, a restart's back-off) */
		if (restarts == 0 && terminated == NULL && g_get_monotonic_time() > deadline) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "%s: the pull transfer pod %s/%s did not start in %u s (%s); see "
				    "kubectl describe pod -n %s %s, or raise the Provider's "
				    "spec.settings.transferPodTimeout",
				    copy->display, copy->target->name_space, copy->name,
				    copy->target->pod_timeout,
				    reason != NULL ? reason : (phase != NULL ? phase : "Pending"),
				    copy->target->name_space, copy->name);
			return FALSE;
		}
		pull_sleep(cancellable, 10);
	}
}

static gboolean
pull_copy(FerryTransferMethod *method,
	  FerryTransferRequest *request,
	  FerryProgress *progress,
	  GCancellable *cancellable,
	  GError **error)
{
	FerryDiskEndpoint *dst = ferry_transfer_request_get_target(request);
	PullTarget *target = g_object_get_data(G_OBJECT(dst), PULL_TARGET_KEY);
	FerryProviderConfig *config = ferry_transfer_request_get_source_config(request);
	FerrySecret *secret = config != NULL ? ferry_provider_config_get_secret(config) : NULL;
	g_autoptr(FerryTransferDescription) description = NULL;
	g_autoptr(JsonNode) config_map = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	g_autoptr(GError) cleanup_error = NULL;
	FerryKubevirtPullPod pod = {0};
	PullCopy copy = {0};
	gboolean ok = FALSE;

	if (target == NULL || config == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: not a PVC of a KubeVirt cluster, or no source Provider: the "
			    "kubevirt-pull method cannot copy it",
			    ferry_disk_endpoint_get_description(dst));
		return FALSE;
	}
	copy.target = target;
	copy.display = g_strdup_printf("PVC %s/%s of %s", target->name_space, target->pvc,
				       target->cluster);
	/* a new name per copy: the pod of a cancelled copy may still be going */
	copy.name = g_strdup_printf("%.*s-pull-%05x", 48, target->pvc, g_random_int() & 0xfffff);
	if (secret != NULL)
		copy.secret = g_strdup_printf("%.*s-pull-source", 48, target->pvc);
	copy.labels = g_hash_table_ref(target->labels);

	pod.name = copy.name;
	pod.name_space = target->name_space;
	pod.image = target->image;
	pod.pvc = target->pvc;
	pod.block = target->block;
	pod.secret = copy.secret;
	pod.host_network = target->host_network;
	pod.labels = target->labels;

	description = pull_description(request, error);
	if (description == NULL ||
	    !ferry_kubevirt_pull_prepare_description(&pod, description, error))
		goto out;
	pull_set_journal(request, target, description);
	config_map = ferry_kubevirt_pull_render_config_map(&pod, description, error);
	if (config_map == NULL)
		goto out;
	pod_node = ferry_kubevirt_pull_render_pod(&pod, error);
	if (pod_node == NULL)
		goto out;
	/* what a killed run left (its journal stays on the volume) */
	if (!pull_delete_objects(target, cancellable, error))
		goto out;
	if (progress != NULL)
		ferry_progress_set_total(progress, ferry_disk_endpoint_get_size(dst));
	if (copy.secret != NULL) {
		g_autoptr(JsonNode) secret_node = pull_secret_manifest(&copy, secret);
		if (!pull_create(&copy, secret_node, "Secret", cancellable, error))
			goto out;
	}
	if (!pull_create(&copy, config_map, "ConfigMap", cancellable, error) ||
	    !pull_create(&copy, pod_node, "pod", cancellable, error))
		goto out;
	g_debug("%s: pulled by pod %s/%s%s", copy.display, target->name_space, copy.name,
		target->host_network ? " (host network)" : "");
	ok = pull_wait(&copy, progress, cancellable, error);
out:
	/* the pod (a cancelled one keeps its journal on the volume), the
	 * ConfigMap and the Secret go, whatever happened */
	if (!pull_delete_objects(target, NULL, &cleanup_error))
		g_warning("%s: %s", copy.display, cleanup_error->message);
	pull_copy_clear(&copy);
	return ok;
}

static void
ferry_kubevirt_pull_method_iface_init(FerryTransferMethodInterface *iface)
{
	iface->get_name = pull_get_name;
	iface->supports = pull_supports;
	iface->copy = pull_copy;
}

/**
 * ferry_kubevirt_pull_remove_leftovers:
 * @client: the cluster
 * @name_space: (nullable): a namespace; %NULL for every namespace
 * @selector: the label selector of what to remove (plan and vmID labels)
 *
 * Removes the pull transfers' ConfigMaps and Secrets that a crash left
 * (their pods go with the push transfer pods, by the same label).
 */
gboolean
ferry_kubevirt_pull_remove_leftovers(FerryKubeClient *client,
				     const char *name_space,
				     const char *selector,
				     GCancellable *cancellable,
				     GError **error)
{
	static const char *const kinds[] = {"ConfigMap", "Secret"};
	g_autofree char *full = g_strdup_printf("%s,app.kubernetes.io/component=transfer", selector);

	for (guint k = 0; k < G_N_ELEMENTS(kinds); k++) {
		g_autoptr(JsonNode) list =
		    ferry_kube_client_list(client, "v1", kinds[k], name_space, full, cancellable, error);
		JsonArray *items;
		if (list == NULL)
			return FALSE;
		items = json_object_get_array_member(json_node_get_object(list), "items");
		for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
			JsonObject *metadata = json_object_get_object_member(
			    json_array_get_object_element(items, i), "metadata");
			g_autoptr(GError) local_error = NULL;
			if (!ferry_kube_client_delete(client, "v1", kinds[k],
						      json_object_get_string_member(metadata,
										    "namespace"),
						      json_object_get_string_member(metadata, "name"),
						      FERRY_KUBE_PROPAGATION_BACKGROUND, cancellable,
						      &local_error) &&
			    !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
				g_propagate_error(error, g_steal_pointer(&local_error));
				return FALSE;
			}
		}
	}
	return TRUE;
}
