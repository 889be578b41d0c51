/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Cluster mode, push: Ferry writes each disk into a PersistentVolumeClaim
 * of the target namespace through a short-lived transfer pod of its own
 * image that serves the PVC over NBD with nbdkit; the copy reaches it
 * through a port-forward of the API server (ferry_kube_client_port_forward),
 * so nothing but the API server needs to be reachable. The VirtualMachine
 * then names the PVCs. Every object carries Forklift's plan/migration/vmID
 * labels, which is how a run after a crash finds (and reuses) its own and
 * refuses to touch anyone else's.
 */

#include "config.h"

#include <string.h>

#include "ferry-kubevirt-push.h"

#define PUSH_ATTEMPTS 6		/* tries of one API call while the API server is unreachable */
#define PUSH_UNSCHEDULABLE_S 30 /* seconds a pod may stay unschedulable */
#define PUSH_DISK_MOUNT "/disk"
#define PUSH_DISK_DEVICE "/dev/ferry-disk"

/* --- API calls, retried while the API server is unreachable --- */

/* sets @result to @call (which reports to error_), tried again while the
 * error is transient; the last error goes to @dest */
#define PUSH_RETRY(result, dest, call)                                                        \
	do {                                                                                  \
		for (guint attempt_ = 0;; attempt_++) {                                       \
			g_autoptr(GError) try_error_ = NULL;                                  \
			GError **error_ = &try_error_;                                        \
			result = call;                                                        \
			if (try_error_ == NULL)                                               \
				break;                                                        \
			if (!ferry_kubevirt_is_transient(try_error_) || attempt_ + 1 >= PUSH_ATTEMPTS || \
			    !ferry_kubevirt_backoff(attempt_, try_error_, cancellable)) {               \
				g_propagate_error(dest, g_steal_pointer(&try_error_));        \
				break;                                                        \
			}                                                                     \
		}                                                                             \
	} while (0)

static JsonNode *
push_get(FerryKubevirtCluster *cluster,
	 const char *api_version,
	 const char *kind,
	 const char *name_space,
	 const char *name,
	 GCancellable *cancellable,
	 GError **error)
{
	JsonNode *node;
	PUSH_RETRY(node, error, ferry_kube_client_get(cluster->client, api_version, kind, name_space, name,
					       cancellable, error_));
	return node;
}

static JsonNode *
push_list(FerryKubevirtCluster *cluster,
	  const char *api_version,
	  const char *kind,
	  const char *name_space,
	  const char *selector,
	  GCancellable *cancellable,
	  GError **error)
{
	JsonNode *node;
	PUSH_RETRY(node, error, ferry_kube_client_list(cluster->client, api_version, kind, name_space,
						selector, cancellable, error_));
	return node;
}

static JsonNode *
push_create(FerryKubevirtCluster *cluster,
	    JsonNode *object,
	    GCancellable *cancellable,
	    GError **error)
{
	JsonNode *node;
	PUSH_RETRY(node, error, ferry_kube_client_create(cluster->client, object, cancellable, error_));
	return node;
}

/* a missing object is deleted already */
static gboolean
push_delete(FerryKubeClient *client,
	    const char *api_version,
	    const char *kind,
	    const char *name_space,
	    const char *name,
	    GCancellable *cancellable,
	    GError **error)
{
	g_autoptr(GError) local_error = NULL;
	gboolean ok;

	PUSH_RETRY(ok, &local_error,
		   ferry_kube_client_delete(client, api_version, kind, name_space, name,
					    FERRY_KUBE_PROPAGATION_BACKGROUND, cancellable, error_));
	if (ok || g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
		return TRUE;
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

/* --- object helpers --- */

static JsonObject *
push_labels(JsonNode *object)
{
	return ferry_json_get_object(ferry_json_get_object(json_node_get_object(object), "metadata"),
				  "labels");
}

/* Forklift's labels that identify a VM of a plan: plan and vmID */
static const char *const push_owner_keys[] = {"plan", "vmID"};

/*
 * Whether @found was made for the same plan and VM as @ours: the plan and
 * vmID labels @ours carries must be on @found with the same values. (The
 * migration label is left out: a later migration of the same plan resumes
 * what an earlier one left.)
 */
static gboolean
push_is_ours(JsonNode *found, JsonNode *ours)
{
	JsonObject *want = push_labels(ours);
	JsonObject *have = push_labels(found);
	gboolean any = FALSE;

	for (guint i = 0; i < G_N_ELEMENTS(push_owner_keys); i++) {
		const char *value = ferry_json_get_string(want, push_owner_keys[i]);
		if (value == NULL)
			continue;
		any = TRUE;
		if (g_strcmp0(value, ferry_json_get_string(have, push_owner_keys[i])) != 0)
			return FALSE;
	}
	/* without plan and vmID labels nothing proves the object is ours */
	return any;
}

/* "plan=…,vmID=…" of @ours, with @extra first when given */
static char *
push_owner_selector(JsonNode *ours, const char *extra)
{
	JsonObject *labels = push_labels(ours);
	g_autoptr(GString) selector = g_string_new(extra);

	for (guint i = 0; i < G_N_ELEMENTS(push_owner_keys); i++) {
		const char *value = ferry_json_get_string(labels, push_owner_keys[i]);
		if (value == NULL)
			continue;
		if (selector->len > 0)
			g_string_append_c(selector, ',');
		g_string_append_printf(selector, "%s=%s", push_owner_keys[i], value);
	}
	return g_string_free(g_steal_pointer(&selector), FALSE);
}

static char *
push_describe_owner(JsonNode *found)
{
	JsonObject *labels = push_labels(found);
	const char *plan = ferry_json_get_string(labels, "plan");
	const char *vm_id = ferry_json_get_string(labels, "vmID");
	if (plan == NULL && vm_id == NULL)
		return g_strdup("it has no plan and vmID labels");
	return g_strdup_printf("its labels say plan=%s vmID=%s", plan != NULL ? plan : "(none)",
			       vm_id != NULL ? vm_id : "(none)");
}

/* --- the namespace --- */

static gboolean
push_check_namespace(FerryKubevirtCluster *cluster,
		     FerryKubevirtTarget *target,
		     GCancellable *cancellable,
		     GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonNode) found = push_get(cluster, "v1", "Namespace", NULL, target->name_space,
					     cancellable, &local_error);

	if (found != NULL)
		return TRUE;
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: the target namespace %s does not exist in the cluster of %s; "
			    "create it (kubectl create namespace %s) or set the plan's "
			    "targetNamespace to an existing namespace",
			    target->display, target->name_space, cluster->display,
			    target->name_space);
		return FALSE;
	}
	/* a user allowed into the namespace but not to read Namespace objects:
	 * the objects' own creation tells */
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED))
		return TRUE;
	g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", cluster->display,
		    local_error->message);
	return FALSE;
}

/* --- the PVC --- */

/* a quota's refusal says so; the client's 403 text speaks of RBAC */
static void
push_set_create_error(GError **error,
		      GError *local_error,
		      FerryKubevirtCluster *cluster,
		      FerryKubevirtTarget *target,
		      const char *kind,
		      const char *name)
{
	const char *quota = strstr(local_error->message, "exceeded quota");
	if (quota != NULL) {
		g_autofree char *reason = g_strdup(quota);
		char *end = strstr(reason, " (403");
		if (end != NULL)
			*end = '\0';
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE,
			    "%s: a ResourceQuota of namespace %s refuses the %s %s: %s; raise the "
			    "quota or free room in the namespace",
			    target->display, target->name_space, kind, name, reason);
		return;
	}
	if (strstr(local_error->message, "violates PodSecurity") != NULL) {
		g_autofree char *reason = g_strdup(strstr(local_error->message, "violates"));
		char *end = strstr(reason, " (403");
		if (end != NULL)
			*end = '\0';
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "%s: the Pod Security admission of namespace %s refuses the %s %s (it "
			    "runs as root to write the disk as CDI does): %s; let the namespace "
			    "run it (label pod-security.kubernetes.io/enforce=baseline) or "
			    "migrate into another namespace",
			    target->display, target->name_space, kind, name, reason);
		return;
	}
	/* a user who may not read Namespace objects learns it here */
	if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) &&
	    strstr(local_error->message, "namespaces") != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: cannot create the %s %s/%s: the target namespace %s does not "
			    "exist; create it (kubectl create namespace %s) or set the plan's "
			    "targetNamespace to an existing namespace (%s)",
			    target->display, kind, target->name_space, name, target->name_space,
			    target->name_space, local_error->message);
		return;
	}
	g_set_error(error, FERRY_ERROR, local_error->code, "%s: cannot create the %s %s/%s: %s",
		    target->display, kind, target->name_space, name, local_error->message);
}

/*
 * A core (v1) object of this VM, created when missing and reused when it
 * carries this plan's and VM's labels (a run after a crash); anyone else's is
 * an EXISTS error. @name_space is NULL for a cluster-wide kind.
 */
static gboolean
push_ensure(FerryKubevirtCluster *cluster,
	    FerryKubevirtTarget *target,
	    const char *kind,
	    const char *name_space,
	    const char *name,
	    JsonNode *ours,
	    GCancellable *cancellable,
	    GError **error)
{
	g_autofree char *shown = name_space != NULL ? g_strdup_printf("%s/%s", name_space, name)
						    : g_strdup(name);

	for (guint round = 0; round < 2; round++) {
		g_autoptr(GError) local_error = NULL;
		g_autoptr(JsonNode) found = NULL;
		g_autoptr(JsonNode) created = NULL;

		found = push_get(cluster, "v1", kind, name_space, name, cancellable, &local_error);
		if (found != NULL) {
			g_autofree char *owner = NULL;
			if (push_is_ours(found, ours)) {
				g_debug("%s: reusing the %s %s", target->display, kind, shown);
				return TRUE;
			}
			owner = push_describe_owner(found);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "%s: the %s %s already exists and is not this VM's (%s); "
				    "delete it, or migrate into another namespace or under another "
				    "name",
				    target->display, kind, shown, owner);
			return FALSE;
		}
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_set_error(error, FERRY_ERROR, local_error->code, "%s: cannot read the %s %s: %s",
				    target->display, kind, shown, local_error->message);
			return FALSE;
		}
		g_clear_error(&local_error);
		created = push_create(cluster, ours, cancellable, &local_error);
		if (created != NULL)
			return TRUE;
		/* made meanwhile (or by a create whose reply was lost): look again */
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_EXISTS))
			continue;
		if (name_space == NULL &&
		    g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
				    "%s: cannot create the %s %s: %s; a %s is cluster-wide, so the "
				    "destination Provider's credentials need a ClusterRole that may "
				    "get, create and delete %ss",
				    target->display, kind, shown, local_error->message, kind, kind);
			return FALSE;
		}
		push_set_create_error(error, local_error, cluster, target, kind, name);
		return FALSE;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
		    "%s: the %s %s keeps appearing and disappearing; is another program creating "
		    "it?",
		    target->display, kind, shown);
	return FALSE;
}

static gboolean
push_ensure_claim(FerryKubevirtCluster *cluster,
		  FerryKubevirtTarget *target,
		  FerryKubevirtDisk *disk,
		  GCancellable *cancellable,
		  GError **error)
{
	return push_ensure(cluster, target, "PersistentVolumeClaim", target->name_space,
			   disk->name, disk->claim, cancellable, error);
}

/*
 * The direct LUNs, attached in place: each one's PersistentVolume (which
 * names the LUN; deleting it later leaves the LUN's data alone, its reclaim
 * policy being Retain) and the claim bound to it.
 */
static gboolean
push_ensure_luns(FerryKubevirtCluster *cluster,
		 FerryKubevirtTarget *target,
		 GCancellable *cancellable,
		 GError **error)
{
	for (guint i = 0; i < target->luns->len; i++) {
		FerryKubevirtLun *lun = g_ptr_array_index(target->luns, i);
		if (!push_ensure(cluster, target, "PersistentVolume", NULL, lun->pv_name,
				 lun->volume, cancellable, error) ||
		    !push_ensure(cluster, target, "PersistentVolumeClaim", target->name_space,
				 lun->name, lun->claim, cancellable, error))
			return FALSE;
		g_debug("%s: direct LUN %s attached through the PersistentVolume %s",
			target->display, lun->id, lun->pv_name);
	}
	return TRUE;
}

/* --- transfer pods --- */

static gboolean
push_delete_pods(FerryKubevirtCluster *cluster,
		 const char *name_space,
		 const char *selector,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autoptr(JsonNode) list = push_list(cluster, "v1", "Pod", name_space, selector,
					     cancellable, error);
	JsonArray *items;

	if (list == NULL)
		return FALSE;
	items = json_object_get_array_member(json_node_get_object(list), "items");
	for (guint i = 0; items != NULL && i < json_array_get_length(items); i++) {
		JsonObject *metadata =
		    ferry_json_get_object(json_array_get_object_element(items, i), "metadata");
		const char *name = ferry_json_get_string(metadata, "name");
		const char *pod_namespace = ferry_json_get_string(metadata, "namespace");
		if (name == NULL)
			continue;
		g_debug("kubevirt: deleting the transfer pod %s/%s", pod_namespace, name);
		if (!push_delete(cluster->client, "v1", "Pod", pod_namespace, name, cancellable, error))
			return FALSE;
	}
	return TRUE;
}

/*
 * The pod's script: makes `disk.img` (KubeVirt's file on a Filesystem PVC)
 * sparse at full size when missing, checks its size, says whether it holds
 * no data yet (no block allocated: it reads as zeroes), and serves it.
 */
static char *
push_pod_script(FerryKubevirtDisk *disk, gboolean block)
{
	if (block)
		return g_strdup_printf(
		    "set -eu\n"
		    "size=$(blockdev --getsize64 " PUSH_DISK_DEVICE ")\n"
		    "if [ \"$size\" -lt %" G_GUINT64_FORMAT " ]; then\n"
		    "  echo \"ferry-transfer: the block volume has $size bytes, fewer than "
		    "%" G_GUINT64_FORMAT "\" >&2; exit 1\n"
		    "fi\n"
		    "echo ferry-transfer: zeroed=0\n"
		    "exec nbdkit --foreground --port=%u file " PUSH_DISK_DEVICE "\n",
		    disk->capacity, disk->capacity, FERRY_KUBEVIRT_TRANSFER_PORT);
	return g_strdup_printf(
	    "set -eu\n"
	    "img=" PUSH_DISK_MOUNT "/disk.img\n"
	    "if [ ! -e \"$img\" ]; then\n"
	    "  truncate -s %" G_GUINT64_FORMAT " \"$img.partial\"\n"
	    "  chown 107:107 \"$img.partial\"; chmod 0660 \"$img.partial\"\n"
	    "  mv \"$img.partial\" \"$img\"\n"
	    "fi\n"
	    "size=$(stat -c %%s \"$img\")\n"
	    "if [ \"$size\" != %" G_GUINT64_FORMAT " ]; then\n"
	    "  echo \"ferry-transfer: $img has $size bytes, not %" G_GUINT64_FORMAT "\" >&2; exit 1\n"
	    "fi\n"
	    "if [ \"$(stat -c %%b \"$img\")\" = 0 ]; then echo ferry-transfer: zeroed=1; "
	    "else echo ferry-transfer: zeroed=0; fi\n"
	    "exec nbdkit --foreground --port=%u file \"$img\"\n",
	    disk->capacity, disk->capacity, disk->capacity, FERRY_KUBEVIRT_TRANSFER_PORT);
}

static JsonNode *
push_pod_manifest(FerryKubevirtCluster *cluster,
		  FerryKubevirtTarget *target,
		  FerryKubevirtDisk *disk)
{
	gboolean block = g_strcmp0(disk->volume_mode, "Block") == 0;
	g_autofree char *script = push_pod_script(disk, block);
	g_autofree char *generate = g_strdup_printf("%.*s-transfer-", 48, disk->name);
	g_autoptr(JsonBuilder) b = json_builder_new();
	JsonObject *claim_labels = push_labels(disk->claim);
	g_autoptr(GList) keys = claim_labels != NULL ? json_object_get_members(claim_labels) : NULL;

	json_builder_begin_object(b);
	json_builder_set_member_name(b, "apiVersion");
	json_builder_add_string_value(b, "v1");
	json_builder_set_member_name(b, "kind");
	json_builder_add_string_value(b, "Pod");
	json_builder_set_member_name(b, "metadata");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "generateName");
	json_builder_add_string_value(b, generate);
	json_builder_set_member_name(b, "namespace");
	json_builder_add_string_value(b, target->name_space);
	json_builder_set_member_name(b, "labels");
	json_builder_begin_object(b);
	for (GList *l = keys; l != NULL; l = l->next) {
		json_builder_set_member_name(b, l->data);
		json_builder_add_string_value(b, json_object_get_string_member(claim_labels,
									       l->data));
	}
	json_builder_set_member_name(b, FERRY_KUBEVIRT_TRANSFER_LABEL);
	json_builder_add_string_value(b, disk->name);
	json_builder_end_object(b);
	json_builder_end_object(b);

	json_builder_set_member_name(b, "spec");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "restartPolicy");
	json_builder_add_string_value(b, "Never");
	json_builder_set_member_name(b, "terminationGracePeriodSeconds");
	json_builder_add_int_value(b, 10);
	json_builder_set_member_name(b, "automountServiceAccountToken");
	json_builder_add_boolean_value(b, FALSE);
	json_builder_set_member_name(b, "containers");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "nbd");
	json_builder_set_member_name(b, "image");
	json_builder_add_string_value(b, cluster->transfer_image);
	json_builder_set_member_name(b, "imagePullPolicy");
	json_builder_add_string_value(b, "IfNotPresent");
	json_builder_set_member_name(b, "command");
	json_builder_begin_array(b);
	json_builder_add_string_value(b, "/bin/sh");
	json_builder_add_string_value(b, "-c");
	json_builder_add_string_value(b, script);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "ports");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "nbd");
	json_builder_set_member_name(b, "containerPort");
	json_builder_add_int_value(b, FERRY_KUBEVIRT_TRANSFER_PORT);
	json_builder_end_object(b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "readinessProbe");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "tcpSocket");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "port");
	json_builder_add_int_value(b, FERRY_KUBEVIRT_TRANSFER_PORT);
	json_builder_end_object(b);
	json_builder_set_member_name(b, "periodSeconds");
	json_builder_add_int_value(b, 1);
	json_builder_end_object(b);
	json_builder_set_member_name(b, block ? "volumeDevices" : "volumeMounts");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "disk");
	json_builder_set_member_name(b, block ? "devicePath" : "mountPath");
	json_builder_add_string_value(b, block ? PUSH_DISK_DEVICE : PUSH_DISK_MOUNT);
	json_builder_end_object(b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_array(b);
	json_builder_set_member_name(b, "volumes");
	json_builder_begin_array(b);
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "name");
	json_builder_add_string_value(b, "disk");
	json_builder_set_member_name(b, "persistentVolumeClaim");
	json_builder_begin_object(b);
	json_builder_set_member_name(b, "claimName");
	json_builder_add_string_value(b, disk->name);
	json_builder_end_object(b);
	json_builder_end_object(b);
	json_builder_end_array(b);
	json_builder_end_object(b);
	json_builder_end_object(b);
	return json_builder_get_root(b);
}

/* the condition @type of a pod's status, or NULL */
static JsonObject *
push_pod_condition(JsonObject *status, const char *type)
{
	JsonNode *node = status != NULL ? json_object_get_member(status, "conditions") : NULL;
	JsonArray *conditions = node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node)
									     : NULL;
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *condition = json_array_get_object_element(conditions, i);
		if (g_strcmp0(ferry_json_get_string(condition, "type"), type) == 0)
			return condition;
	}
	return NULL;
}

/* the last warning events of a pod, "reason: message; …", or NULL */
static char *
push_pod_events(FerryKubevirtCluster *cluster,
		const char *name_space,
		const char *pod,
		GCancellable *cancellable)
{
	g_autoptr(JsonNode) list = push_list(cluster, "v1", "Event", name_space, NULL, cancellable,
					     NULL);
	g_autoptr(GString) text = g_string_new(NULL);
	JsonArray *items = list != NULL ? json_object_get_array_member(json_node_get_object(list),
									"items")
					: NULL;
	guint shown = 0;

	for (guint i = items != NULL ? json_array_get_length(items) : 0; i > 0 && shown < 3; i--) {
		JsonObject *event = json_array_get_object_element(items, i - 1);
		JsonObject *involved = ferry_json_get_object(event, "involvedObject");
		if (g_strcmp0(ferry_json_get_string(involved, "name"), pod) != 0 ||
		    g_strcmp0(ferry_json_get_string(event, "type"), "Warning") != 0)
			continue;
		g_string_append_printf(text, "%s%s: %s", shown > 0 ? "; " : "",
				       ferry_json_get_string(event, "reason"),
				       ferry_json_get_string(event, "message"));
		shown++;
	}
	return text->len > 0 ? g_string_free(g_steal_pointer(&text), FALSE) : NULL;
}

/*
 * Waits until the pod is Ready; fails early, with the cluster's own words,
 * when it cannot get there: an image that cannot be pulled, a pod that stays
 * unschedulable (no room, a quota, a claim that cannot bind), a container
 * that ended (its log says why).
 */
static JsonNode *
push_wait_pod(FerryKubevirtCluster *cluster,
	      FerryKubevirtTarget *target,
	      const char *pod,
	      GCancellable *cancellable,
	      GError **error)
{
	gint64 deadline = g_get_monotonic_time() + (gint64)cluster->pod_timeout * G_USEC_PER_SEC;
	gint64 unschedulable_since = 0;
	g_autofree char *last_state = g_strdup("Pending");

	for (;;) {
		g_autoptr(JsonNode) node = push_get(cluster, "v1", "Pod", target->name_space, pod,
						    cancellable, error);
		JsonObject *status;
		JsonObject *ready;
		JsonObject *scheduled;
		JsonNode *statuses_node;
		const char *phase;

		if (node == NULL) {
			g_prefix_error(error, "%s: the transfer pod: ", target->display);
			return NULL;
		}
		status = ferry_json_get_object(json_node_get_object(node), "status");
		phase = ferry_json_get_string(status, "phase");
		ready = push_pod_condition(status, "Ready");
		scheduled = push_pod_condition(status, "PodScheduled");
		if (g_strcmp0(phase, "Running") == 0 && ready != NULL &&
		    g_strcmp0(ferry_json_get_string(ready, "status"), "True") == 0)
			return g_steal_pointer(&node);
		if (g_strcmp0(phase, "Failed") == 0 || g_strcmp0(phase, "Succeeded") == 0) {
			g_autofree char *log = ferry_kube_client_get_log(
			    cluster->client, target->name_space, pod, "nbd", cancellable, NULL);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "%s: the transfer pod %s/%s ended (%s) before serving the "
				    "disk: %s",
				    target->display, target->name_space, pod, phase,
				    log != NULL && *log != '\0' ? g_strstrip(log) : "no log");
			return NULL;
		}
		statuses_node = status != NULL ? json_object_get_member(status, "containerStatuses")
					       : NULL;
		if (statuses_node != NULL && JSON_NODE_HOLDS_ARRAY(statuses_node)) {
			JsonArray *statuses = json_node_get_array(statuses_node);
			for (guint i = 0; i < json_array_get_length(statuses); i++) {
				JsonObject *state = ferry_json_get_object(
				    json_array_get_object_element(statuses, i), "state");
				JsonObject *waiting = ferry_json_get_object(state, "waiting");
				const char *reason = ferry_json_get_string(waiting, "reason");
				if (reason != NULL &&
				    (g_str_has_prefix(reason, "ErrImage") ||
				     g_strcmp0(reason, "ImagePullBackOff") == 0 ||
				     g_strcmp0(reason, "InvalidImageName") == 0 ||
				     g_strcmp0(reason, "CreateContainerConfigError") == 0 ||
				     g_strcmp0(reason, "CreateContainerError") == 0)) {
					g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
						    "%s: the transfer pod %s/%s cannot start its "
						    "container from the image %s (%s: %s); make the "
						    "image available to the cluster or set the "
						    "Provider's spec.settings.transferImage",
						    target->display, target->name_space, pod,
						    cluster->transfer_image, reason,
						    ferry_json_get_string(waiting, "message") != NULL
							? ferry_json_get_string(waiting, "message")
							: "no message");
					return NULL;
				}
			}
		}
		if (scheduled != NULL &&
		    g_strcmp0(ferry_json_get_string(scheduled, "status"), "False") == 0) {
			g_free(last_state);
			last_state = g_strdup_printf("unschedulable: %s",
						     ferry_json_get_string(scheduled, "message"));
			if (unschedulable_since == 0)
				unschedulable_since = g_get_monotonic_time();
			else if (g_get_monotonic_time() - unschedulable_since >
				 PUSH_UNSCHEDULABLE_S * G_USEC_PER_SEC) {
				g_autofree char *events = push_pod_events(
				    cluster, target->name_space, pod, cancellable);
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_NO_SPACE,
					    "%s: the transfer pod %s/%s cannot be scheduled: %s%s%s",
					    target->display, target->name_space, pod,
					    ferry_json_get_string(scheduled, "message"),
					    events != NULL ? "; events: " : "",
					    events != NULL ? events : "");
				return NULL;
			}
		} else {
			unschedulable_since = 0;
			g_free(last_state);
			last_state = g_strdup(phase != NULL ? phase : "Pending");
		}
		if (g_get_monotonic_time() > deadline) {
			g_autofree char *events = push_pod_events(cluster, target->name_space, pod,
								  cancellable);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT,
				    "%s: the transfer pod %s/%s was not ready after %u s (%s)%s%s; "
				    "see kubectl describe pod -n %s %s",
				    target->display, target->name_space, pod, cluster->pod_timeout,
				    last_state, events != NULL ? "; events: " : "",
				    events != NULL ? events : "", target->name_space, pod);
			return NULL;
		}
		for (guint i = 0; i < 5; i++) {
			if (g_cancellable_set_error_if_cancelled(cancellable, error)) {
				ferry_error_convert(error);
				return NULL;
			}
			g_usleep(G_USEC_PER_SEC / 5);
		}
	}
}

/* what the endpoint releases on close: the port-forward, then the pod */
typedef struct {
	FerryKubeClient *client;
	FerryKubePortForward *forward;
	char *name_space;
	char *pod;
	char *display;
} PushTransfer;

static void
push_transfer_free(gpointer data)
{
	PushTransfer *transfer = data;
	if (transfer->forward != NULL)
		ferry_kube_port_forward_stop(transfer->forward);
	g_clear_object(&transfer->forward);
	g_clear_object(&transfer->client);
	g_free(transfer->name_space);
	g_free(transfer->pod);
	g_free(transfer->display);
	g_free(transfer);
}

static gboolean
push_transfer_close(gpointer data, GError **error)
{
	PushTransfer *transfer = data;
	g_autoptr(GError) local_error = NULL;

	if (transfer->forward != NULL)
		ferry_kube_port_forward_stop(transfer->forward);
	g_clear_object(&transfer->forward);
	/* nbdkit flushes on SIGTERM; the copy flushed already */
	if (push_delete(transfer->client, "v1", "Pod", transfer->name_space, transfer->pod, NULL,
			&local_error))
		return TRUE;
	g_set_error(error, FERRY_ERROR, local_error->code,
		    "%s: cannot delete the transfer pod %s/%s: %s", transfer->display,
		    transfer->name_space, transfer->pod, local_error->message);
	return FALSE;
}

/* the namespace must exist; the PVC is made (or reused); nothing serves it */
gboolean
ferry_kubevirt_push_prepare_claim(FerryKubevirtCluster *cluster,
				  FerryKubevirtTarget *target,
				  guint index,
				  GCancellable *cancellable,
				  GError **error)
{
	FerryKubevirtDisk *disk = ferry_kubevirt_target_get_disk(target, index, error);
	return disk != NULL && push_check_namespace(cluster, target, cancellable, error) &&
	       push_ensure_claim(cluster, target, disk, cancellable, error);
}

/*
 * prepare_disk in cluster mode: the namespace must exist, the PVC is made
 * (or reused), a transfer pod serves it with nbdkit, and a port-forward
 * gives the copy a local nbd+unix URI. Closing the endpoint stops the
 * port-forward and deletes the pod; the PVC stays.
 */
FerryDiskEndpoint *
ferry_kubevirt_push_prepare_disk(FerryKubevirtCluster *cluster,
				 FerryKubevirtTarget *target,
				 guint index,
				 GCancellable *cancellable,
				 GError **error)
{
	FerryKubevirtDisk *disk = ferry_kubevirt_target_get_disk(target, index, error);
	g_autofree char *display = NULL;
	g_autofree char *selector = NULL;
	g_autofree char *pod_name = NULL;
	g_autofree char *log = NULL;
	g_autofree char *uri = NULL;
	g_autofree char *description = NULL;
	g_autoptr(JsonNode) pod = NULL;
	g_autoptr(JsonNode) created = NULL;
	g_autoptr(JsonNode) running = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	PushTransfer *transfer;

	if (disk == NULL)
		return NULL;
	display = g_strdup_printf("%s disk %u (%s)", target->display, index, disk->name);
	if (!push_check_namespace(cluster, target, cancellable, error) ||
	    !push_ensure_claim(cluster, target, disk, cancellable, error))
		return NULL;

	/* a pod left by a run that was killed serves nobody: it goes */
	selector = g_strdup_printf("%s=%s", FERRY_KUBEVIRT_TRANSFER_LABEL, disk->name);
	if (!push_delete_pods(cluster, target->name_space, selector, cancellable, &local_error)) {
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", display,
			    local_error->message);
		return NULL;
	}
	pod = push_pod_manifest(cluster, target, disk);
	created = push_create(cluster, pod, cancellable, &local_error);
	if (created == NULL) {
		push_set_create_error(error, local_error, cluster, target, "transfer pod",
				      disk->name);
		return NULL;
	}
	pod_name = g_strdup(ferry_json_get_string(
	    ferry_json_get_object(json_node_get_object(created), "metadata"), "name"));

	transfer = g_new0(PushTransfer, 1);
	transfer->client = g_object_ref(cluster->client);
	transfer->name_space = g_strdup(target->name_space);
	transfer->pod = g_strdup(pod_name);
	transfer->display = g_strdup(display);

	running = push_wait_pod(cluster, target, pod_name, cancellable, error);
	if (running == NULL) {
		push_transfer_close(transfer, NULL);
		push_transfer_free(transfer);
		return NULL;
	}
	log = ferry_kube_client_get_log(cluster->client, target->name_space, pod_name, "nbd",
					cancellable, NULL);
	transfer->forward = ferry_kube_client_port_forward(cluster->client, target->name_space,
							   pod_name, FERRY_KUBEVIRT_TRANSFER_PORT,
							   &local_error);
	if (transfer->forward == NULL) {
		g_set_error(error, FERRY_ERROR, local_error->code,
			    "%s: cannot forward to the transfer pod %s/%s: %s", display,
			    target->name_space, pod_name, local_error->message);
		push_transfer_close(transfer, NULL);
		push_transfer_free(transfer);
		return NULL;
	}
	uri = ferry_kube_port_forward_dup_uri(transfer->forward);
	endpoint = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_TARGET, uri);
	ferry_disk_endpoint_add_close_func(endpoint, push_transfer_close, transfer,
					   push_transfer_free);
	description = g_strdup_printf("%s (PersistentVolumeClaim %s/%s through pod %s)", display,
				      target->name_space, disk->name, pod_name);
	ferry_disk_endpoint_set_description(endpoint, description);
	ferry_disk_endpoint_set_size(endpoint, disk->capacity);
	ferry_disk_endpoint_set_format(endpoint, "raw");
	ferry_disk_endpoint_set_zeroed(endpoint,
				       log != NULL && strstr(log, "ferry-transfer: zeroed=1") != NULL);
	if (disk->id != NULL)
		ferry_disk_endpoint_set_disk_id(endpoint, disk->id);
	g_debug("%s: served by pod %s/%s at %s%s", display, target->name_space, pod_name, uri,
		ferry_disk_endpoint_get_zeroed(endpoint) ? " (zeroed)" : "");
	return g_steal_pointer(&endpoint);
}

/* --- the VM --- */

static gboolean
push_delete_vm_pods(FerryKubevirtCluster *cluster,
		    FerryKubevirtTarget *target,
		    GCancellable *cancellable,
		    GError **error)
{
	g_autofree char *selector = NULL;
	g_autoptr(GError) local_error = NULL;

	if (target->disks->len == 0)
		return TRUE;
	selector = push_owner_selector(((FerryKubevirtDisk *)g_ptr_array_index(target->disks, 0))
					   ->claim,
				       FERRY_KUBEVIRT_TRANSFER_LABEL);
	if (push_delete_pods(cluster, target->name_space, selector, cancellable, &local_error))
		return TRUE;
	g_set_error(error, FERRY_ERROR, local_error->code,
		    "%s: cannot remove the transfer pods: %s", target->display,
		    local_error->message);
	return FALSE;
}

char *
ferry_kubevirt_push_create_vm(FerryKubevirtCluster *cluster,
			      FerryKubevirtTarget *target,
			      GPtrArray *disks,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(GError) local_error = NULL;

	if (disks->len != target->disks->len) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %u written disks were given for %u disks", target->display,
			    disks->len, target->disks->len);
		return NULL;
	}
	/* the disks are written: their transfer pods go before the VM comes */
	for (guint i = 0; i < disks->len; i++) {
		FerryDiskEndpoint *endpoint = g_ptr_array_index(disks, i);
		g_autoptr(GError) close_error = NULL;
		if (FERRY_IS_DISK_ENDPOINT(endpoint) &&
		    !ferry_disk_endpoint_close(endpoint, &close_error))
			g_warning("%s", close_error->message);
	}
	if (!push_delete_vm_pods(cluster, target, cancellable, error))
		return NULL;
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autoptr(JsonNode) claim =
		    push_get(cluster, "v1", "PersistentVolumeClaim", target->name_space,
			     disk->name, cancellable, &local_error);
		if (claim == NULL || !push_is_ours(claim, disk->claim)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "%s: the PersistentVolumeClaim %s/%s of disk %u is %s; prepare "
				    "and copy the disk before creating the VM",
				    target->display, target->name_space, disk->name, i,
				    claim == NULL ? local_error->message : "not this VM's");
			return NULL;
		}
	}

	if (!push_ensure_luns(cluster, target, cancellable, error))
		return NULL;
	ferry_kubevirt_target_use_claims(target);
	for (guint round = 0; round < 2; round++) {
		g_autoptr(JsonNode) found = NULL;
		g_autoptr(JsonNode) created = NULL;

		g_clear_error(&local_error);
		found = push_get(cluster, "kubevirt.io/v1", "VirtualMachine", target->name_space,
				 target->name, cancellable, &local_error);
		if (found != NULL) {
			g_autofree char *owner = NULL;
			if (push_is_ours(found, target->vm))
				return g_strdup_printf("%s/%s", target->name_space, target->name);
			owner = push_describe_owner(found);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "%s: a VirtualMachine %s/%s already exists and is not this "
				    "migration's (%s); delete or rename it, or give the VM another "
				    "target name (the plan's vms[].targetName) or namespace",
				    target->display, target->name_space, target->name, owner);
			return NULL;
		}
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s",
				    target->display, local_error->message);
			return NULL;
		}
		g_clear_error(&local_error);
		created = push_create(cluster, target->vm, cancellable, &local_error);
		if (created != NULL) {
			g_debug("%s: VirtualMachine %s/%s created", target->display,
				target->name_space, target->name);
			return g_strdup_printf("%s/%s", target->name_space, target->name);
		}
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_EXISTS))
			continue;
		push_set_create_error(error, local_error, cluster, target, "VirtualMachine",
				      target->name);
		return NULL;
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
		    "%s: the VirtualMachine %s/%s keeps appearing and disappearing",
		    target->display, target->name_space, target->name);
	return NULL;
}

/* deletes @name when it is this VM's; someone else's object is left alone */
static gboolean
push_delete_if_ours(FerryKubevirtCluster *cluster,
		    FerryKubevirtTarget *target,
		    const char *api_version,
		    const char *kind,
		    const char *name,
		    JsonNode *ours,
		    GCancellable *cancellable,
		    GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonNode) found = push_get(cluster, api_version, kind, target->name_space, name,
					     cancellable, &local_error);

	if (found == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return TRUE;
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: %s", target->display,
			    local_error->message);
		return FALSE;
	}
	if (!push_is_ours(found, ours)) {
		g_debug("%s: the %s %s/%s is not this VM's; left alone", target->display, kind,
			target->name_space, name);
		return TRUE;
	}
	if (!push_delete(cluster->client, api_version, kind, target->name_space, name, cancellable,
			 &local_error)) {
		g_set_error(error, FERRY_ERROR, local_error->code, "%s: cannot delete the %s %s/%s: %s",
			    target->display, kind, target->name_space, name, local_error->message);
		return FALSE;
	}
	g_debug("%s: deleted the %s %s/%s", target->display, kind, target->name_space, name);
	return TRUE;
}

gboolean
ferry_kubevirt_push_remove_disk(FerryKubevirtCluster *cluster,
				FerryKubevirtTarget *target,
				guint index,
				GCancellable *cancellable,
				GError **error)
{
	FerryKubevirtDisk *disk = ferry_kubevirt_target_get_disk(target, index, error);
	g_autofree char *selector = NULL;
	g_autoptr(GError) local_error = NULL;

	if (disk == NULL)
		return FALSE;
	{
		g_autofree char *transfer = g_strdup_printf("%s=%s", FERRY_KUBEVIRT_TRANSFER_LABEL,
							    disk->name);
		selector = push_owner_selector(disk->claim, transfer);
	}
	/* the PVC goes even when its pods cannot be listed or deleted (a user
	 * without rights on pods): the copy's data is what must not stay behind */
	if (!push_delete_pods(cluster, target->name_space, selector, cancellable, &local_error))
		g_prefix_error(&local_error, "%s: ", target->display);
	if (!push_delete_if_ours(cluster, target, "v1", "PersistentVolumeClaim", disk->name,
				 disk->claim, cancellable, local_error == NULL ? error : NULL) ||
	    local_error != NULL) {
		if (local_error != NULL)
			g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	return TRUE;
}

/* the VM, its PVCs and its transfer pods, the ones that are this VM's */
gboolean
ferry_kubevirt_push_remove_vm(FerryKubevirtCluster *cluster,
			      FerryKubevirtTarget *target,
			      GCancellable *cancellable,
			      GError **error)
{
	g_autoptr(GError) first = NULL;

	/* every object is tried; the first failure is reported */
	push_delete_if_ours(cluster, target, "kubevirt.io/v1", "VirtualMachine", target->name,
			    target->vm, cancellable, &first);
	push_delete_vm_pods(cluster, target, cancellable, first == NULL ? &first : NULL);
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		push_delete_if_ours(cluster, target, "v1", "PersistentVolumeClaim", disk->name,
				    disk->claim, cancellable, first == NULL ? &first : NULL);
	}
	/* a LUN's PV goes, never its data (reclaim policy Retain) */
	for (guint i = 0; i < target->luns->len; i++) {
		FerryKubevirtLun *lun = g_ptr_array_index(target->luns, i);
		push_delete_if_ours(cluster, target, "v1", "PersistentVolumeClaim", lun->name,
				    lun->claim, cancellable, first == NULL ? &first : NULL);
		push_delete_if_ours(cluster, target, "v1", "PersistentVolume", lun->pv_name,
				    lun->volume, cancellable, first == NULL ? &first : NULL);
	}
	if (first != NULL) {
		g_propagate_error(error, g_steal_pointer(&first));
		return FALSE;
	}
	return TRUE;
}

/*
 * After a plan: transfer pods of its VMs that a crash left anywhere in the
 * cluster go. Listing pods of every namespace needs a cluster-wide right; a
 * user without it has had each VM's pods removed by create_vm already.
 */
gboolean
ferry_kubevirt_push_finalize_plan(FerryKubevirtCluster *cluster,
				  const char *plan_name,
				  const char *const *vm_ids,
				  GCancellable *cancellable,
				  GError **error)
{
	for (guint i = 0; vm_ids != NULL && vm_ids[i] != NULL; i++) {
		g_autofree char *selector = NULL;
		g_autoptr(GError) local_error = NULL;

		if (!ferry_kubevirt_check_label("vmID", vm_ids[i], NULL))
			continue;
		selector = g_strdup_printf("%s,vmID=%s", FERRY_KUBEVIRT_TRANSFER_LABEL, vm_ids[i]);
		if (!push_delete_pods(cluster, NULL, selector, cancellable, &local_error)) {
			if (g_error_matches(local_error, FERRY_ERROR,
					    FERRY_ERROR_PERMISSION_DENIED)) {
				g_debug("%s: plan %s: %s", cluster->display, plan_name,
					local_error->message);
				return TRUE;
			}
			g_set_error(error, FERRY_ERROR, local_error->code, "%s: plan %s: %s",
				    cluster->display, plan_name, local_error->message);
			return FALSE;
		}
	}
	return TRUE;
}
