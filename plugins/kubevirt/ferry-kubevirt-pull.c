/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* Pull mode: the objects of one transfer pod, which runs `ferry transfer`
 * in the target cluster and copies one source disk into its PVC. The
 * description (with no credential in it) goes into a ConfigMap mounted as a
 * file; the source Provider's Secret is mounted as files beside it; the PVC
 * is mounted as a directory (Filesystem: the disk is its disk.img, the copy
 * journal beside it, so that a restarted container or a new pod resumes) or
 * as a device (Block: the journal in an emptyDir, which lasts as long as
 * the pod, so that a restarted container resumes).
 *
 * The kubevirt-pull transfer method (ferry-kubevirt-pull-method.c) creates
 * these objects. */

#include "config.h"

#include <ferry-plugin-sdk.h>

#include "ferry-kubevirt-manifest.h"
#include "ferry-kubevirt-pull.h"

/* the host ids with a Secret, sorted: their volumes are numbered in this order */
static GList *
ferry_kubevirt_pull_host_ids(const FerryKubevirtPullPod *pod)
{
	GList *ids = pod->host_secrets != NULL ? g_hash_table_get_keys(pod->host_secrets) : NULL;
	return g_list_sort(ids, (GCompareFunc)g_strcmp0);
}

/**
 * ferry_kubevirt_pull_dup_host_secret_dir:
 * @host_id: a Host's id, e.g. `host-21`
 *
 * Returns: (transfer full): where the pod mounts that Host's Secret: give it
 *   to ferry_transfer_description_add_source_host()
 */
char *
ferry_kubevirt_pull_dup_host_secret_dir(const char *host_id)
{
	g_autofree char *escaped = g_uri_escape_string(host_id, NULL, FALSE);
	return g_build_filename(FERRY_KUBEVIRT_PULL_HOST_SECRETS_DIR, escaped, NULL);
}

static gboolean
ferry_kubevirt_pull_check_hosts(const FerryKubevirtPullPod *pod,
				FerryTransferDescription *description,
				GError **error)
{
	g_auto(GStrv) hosts = ferry_transfer_description_list_source_hosts(description);

	for (guint i = 0; hosts[i] != NULL; i++) {
		const char *dir =
		    ferry_transfer_description_get_source_host_secret_dir(description, hosts[i]);
		g_autofree char *mounted = ferry_kubevirt_pull_dup_host_secret_dir(hosts[i]);
		gboolean has_secret =
		    pod->host_secrets != NULL && g_hash_table_contains(pod->host_secrets, hosts[i]);
		if ((dir == NULL && !has_secret) || (has_secret && g_strcmp0(dir, mounted) == 0))
			continue;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "transfer pod %s/%s: host %s has %s; give its Secret in the pod and "
			    "%s as its secretDir",
			    pod->name_space, pod->name, hosts[i],
			    has_secret ? "another secretDir than the pod mounts"
				       : "a secretDir but no Secret mounted",
			    mounted);
		return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_kubevirt_pull_check_host_secrets(const FerryKubevirtPullPod *pod, GError **error)
{
	g_autoptr(GList) ids = ferry_kubevirt_pull_host_ids(pod);
	for (GList *l = ids; l != NULL; l = l->next) {
		if (!ferry_kubevirt_check_dns1123_subdomain(
			"Host Secret name", g_hash_table_lookup(pod->host_secrets, l->data), 253,
			error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
ferry_kubevirt_pull_check(const FerryKubevirtPullPod *pod, GError **error)
{
	const struct {
		const char *what;
		const char *value;
	} required[] = {
	    {"the pod's name", pod->name},
	    {"the namespace", pod->name_space},
	    {"Ferry's image", pod->image},
	    {"the target PVC", pod->pvc},
	};

	for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
		if (required[i].value == NULL || required[i].value[0] == '\0') {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "transfer pod: %s is not set", required[i].what);
			return FALSE;
		}
	}
	return ferry_kubevirt_check_dns1123_subdomain("transfer pod name", pod->name, 253,
						      error) &&
	       ferry_kubevirt_check_dns1123_label("namespace", pod->name_space, error) &&
	       ferry_kubevirt_check_dns1123_subdomain("PVC name", pod->pvc, 253, error) &&
	       (pod->secret == NULL ||
		ferry_kubevirt_check_dns1123_subdomain("Secret name", pod->secret, 253, error)) &&
	       ferry_kubevirt_pull_check_host_secrets(pod, error);
}

/**
 * ferry_kubevirt_pull_prepare_description:
 * @pod: the transfer pod
 * @description: what to copy: the source, the VM and disk, the options
 *
 * Points @description at the paths inside @pod: the target (the volume's
 * directory, or the device), the journal and the Secret's directory. Hosts
 * must already name the directories of
 * ferry_kubevirt_pull_dup_host_secret_dir() for the Secrets the pod mounts.
 *
 * Returns: %FALSE with @error set when @pod or @description is incomplete
 */
gboolean
ferry_kubevirt_pull_prepare_description(const FerryKubevirtPullPod *pod,
					FerryTransferDescription *description,
					GError **error)
{
	if (!ferry_kubevirt_pull_check(pod, error))
		return FALSE;
	ferry_transfer_description_set_secret_dir(
	    description, pod->secret != NULL ? FERRY_KUBEVIRT_PULL_SECRET_DIR : NULL);
	if (pod->block) {
		ferry_transfer_description_set_target(description, FERRY_KUBEVIRT_PULL_DEVICE);
		ferry_transfer_description_set_journal(
		    description, FERRY_KUBEVIRT_PULL_SCRATCH_DIR "/disk.ferry-journal");
	} else {
		ferry_transfer_description_set_target(description, FERRY_KUBEVIRT_PULL_VOLUME_DIR);
		ferry_transfer_description_set_journal(
		    description, FERRY_KUBEVIRT_PULL_VOLUME_DIR "/disk.img.ferry-journal");
	}
	if (!ferry_transfer_description_validate(description, error)) {
		g_prefix_error(error, "transfer pod %s/%s: ", pod->name_space, pod->name);
		return FALSE;
	}
	return ferry_kubevirt_pull_check_hosts(pod, description, error);
}

static void
ferry_kubevirt_pull_add_metadata(JsonBuilder *builder, const FerryKubevirtPullPod *pod)
{
	g_autoptr(GList) keys = pod->labels != NULL ? g_hash_table_get_keys(pod->labels) : NULL;

	json_builder_set_member_name(builder, "metadata");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, pod->name);
	json_builder_set_member_name(builder, "namespace");
	json_builder_add_string_value(builder, pod->name_space);
	json_builder_set_member_name(builder, "labels");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "app.kubernetes.io/name");
	json_builder_add_string_value(builder, "ferry");
	json_builder_set_member_name(builder, "app.kubernetes.io/component");
	json_builder_add_string_value(builder, "transfer");
	keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
	for (GList *l = keys; l != NULL; l = l->next) {
		json_builder_set_member_name(builder, l->data);
		json_builder_add_string_value(builder, g_hash_table_lookup(pod->labels, l->data));
	}
	json_builder_end_object(builder);
	json_builder_end_object(builder);
}

/**
 * ferry_kubevirt_pull_render_config_map:
 * @pod: the transfer pod
 * @description: the description, prepared with
 *   ferry_kubevirt_pull_prepare_description()
 *
 * Returns: (transfer full): the ConfigMap holding `description.json`, or
 *   %NULL with @error set
 */
JsonNode *
ferry_kubevirt_pull_render_config_map(const FerryKubevirtPullPod *pod,
				      FerryTransferDescription *description,
				      GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_autofree char *text = NULL;

	if (!ferry_kubevirt_pull_check(pod, error) ||
	    !ferry_transfer_description_validate(description, error) ||
	    !ferry_kubevirt_pull_check_hosts(pod, description, error))
		return NULL;
	text = ferry_transfer_description_to_data(description, NULL);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "v1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "ConfigMap");
	ferry_kubevirt_pull_add_metadata(builder, pod);
	json_builder_set_member_name(builder, "data");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, FERRY_KUBEVIRT_PULL_DESCRIPTION_FILE);
	json_builder_add_string_value(builder, text);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}

static void
ferry_kubevirt_pull_add_mount(JsonBuilder *builder,
			      const char *name,
			      const char *path,
			      gboolean read_only)
{
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, "mountPath");
	json_builder_add_string_value(builder, path);
	if (read_only) {
		json_builder_set_member_name(builder, "readOnly");
		json_builder_add_boolean_value(builder, TRUE);
	}
	json_builder_end_object(builder);
}

static void
ferry_kubevirt_pull_add_container(JsonBuilder *builder, const FerryKubevirtPullPod *pod)
{
	const char *const command[] = {
	    "ferry", "transfer", "--description",
	    FERRY_KUBEVIRT_PULL_DESCRIPTION_DIR "/" FERRY_KUBEVIRT_PULL_DESCRIPTION_FILE,
	};

	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, "transfer");
	json_builder_set_member_name(builder, "image");
	json_builder_add_string_value(builder, pod->image);
	json_builder_set_member_name(builder, "imagePullPolicy");
	json_builder_add_string_value(builder, "IfNotPresent");
	json_builder_set_member_name(builder, "command");
	json_builder_begin_array(builder);
	for (guint i = 0; i < G_N_ELEMENTS(command); i++)
		json_builder_add_string_value(builder, command[i]);
	json_builder_end_array(builder);
	/* a provider's work files (an OVA's unpacked disks) */
	json_builder_set_member_name(builder, "env");
	json_builder_begin_array(builder);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, "FERRY_STATE_DIR");
	json_builder_set_member_name(builder, "value");
	json_builder_add_string_value(builder, FERRY_KUBEVIRT_PULL_STATE_DIR);
	json_builder_end_object(builder);
	json_builder_end_array(builder);
	/* on failure the last lines of the log (the result line) become the
	 * container's termination message, where a controller reads them */
	json_builder_set_member_name(builder, "terminationMessagePolicy");
	json_builder_add_string_value(builder, "FallbackToLogsOnError");
	json_builder_set_member_name(builder, "volumeMounts");
	json_builder_begin_array(builder);
	ferry_kubevirt_pull_add_mount(builder, "description", FERRY_KUBEVIRT_PULL_DESCRIPTION_DIR,
				      TRUE);
	if (pod->secret != NULL)
		ferry_kubevirt_pull_add_mount(builder, "source-secret",
					      FERRY_KUBEVIRT_PULL_SECRET_DIR, TRUE);
	{
		g_autoptr(GList) ids = ferry_kubevirt_pull_host_ids(pod);
		guint n = 0;
		for (GList *l = ids; l != NULL; l = l->next, n++) {
			g_autofree char *name = g_strdup_printf("host-secret-%u", n);
			g_autofree char *dir = ferry_kubevirt_pull_dup_host_secret_dir(l->data);
			ferry_kubevirt_pull_add_mount(builder, name, dir, TRUE);
		}
	}
	ferry_kubevirt_pull_add_mount(builder, "state", FERRY_KUBEVIRT_PULL_STATE_DIR, FALSE);
	if (pod->block)
		ferry_kubevirt_pull_add_mount(builder, "scratch", FERRY_KUBEVIRT_PULL_SCRATCH_DIR,
					      FALSE);
	else
		ferry_kubevirt_pull_add_mount(builder, "target", FERRY_KUBEVIRT_PULL_VOLUME_DIR,
					      FALSE);
	json_builder_end_array(builder);
	if (pod->block) {
		json_builder_set_member_name(builder, "volumeDevices");
		json_builder_begin_array(builder);
		json_builder_begin_object(builder);
		json_builder_set_member_name(builder, "name");
		json_builder_add_string_value(builder, "target");
		json_builder_set_member_name(builder, "devicePath");
		json_builder_add_string_value(builder, FERRY_KUBEVIRT_PULL_DEVICE);
		json_builder_end_object(builder);
		json_builder_end_array(builder);
	}
	json_builder_set_member_name(builder, "securityContext");
	json_builder_begin_object(builder);
	/* as KubeVirt's qemu (107): disk.img is that user's, as CDI leaves it */
	json_builder_set_member_name(builder, "runAsUser");
	json_builder_add_int_value(builder, FERRY_KUBEVIRT_PULL_QEMU_UID);
	json_builder_set_member_name(builder, "runAsGroup");
	json_builder_add_int_value(builder, FERRY_KUBEVIRT_PULL_QEMU_UID);
	json_builder_set_member_name(builder, "runAsNonRoot");
	json_builder_add_boolean_value(builder, TRUE);
	json_builder_set_member_name(builder, "allowPrivilegeEscalation");
	json_builder_add_boolean_value(builder, FALSE);
	json_builder_set_member_name(builder, "capabilities");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "drop");
	json_builder_begin_array(builder);
	json_builder_add_string_value(builder, "ALL");
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	json_builder_set_member_name(builder, "seccompProfile");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "type");
	json_builder_add_string_value(builder, "RuntimeDefault");
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
}

static void
ferry_kubevirt_pull_add_volume(JsonBuilder *builder,
			       const char *name,
			       const char *kind,
			       const char *key,
			       const char *value)
{
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "name");
	json_builder_add_string_value(builder, name);
	json_builder_set_member_name(builder, kind);
	json_builder_begin_object(builder);
	if (key != NULL) {
		json_builder_set_member_name(builder, key);
		json_builder_add_string_value(builder, value);
	}
	/* the Secret's files: for the pod's user only */
	if (g_strcmp0(kind, "secret") == 0) {
		json_builder_set_member_name(builder, "defaultMode");
		json_builder_add_int_value(builder, 0400);
	}
	json_builder_end_object(builder);
	json_builder_end_object(builder);
}

/**
 * ferry_kubevirt_pull_render_pod:
 * @pod: the transfer pod
 *
 * The pod runs `ferry transfer` once; a container that fails or is killed
 * is restarted in the same pod (restartPolicy OnFailure) and resumes from
 * the journal. With @host_network it shares the node's network, for a
 * source that only the node reaches (on its loopback, say).
 *
 * Returns: (transfer full): the Pod, or %NULL with @error set
 */
JsonNode *
ferry_kubevirt_pull_render_pod(const FerryKubevirtPullPod *pod, GError **error)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();

	if (!ferry_kubevirt_pull_check(pod, error))
		return NULL;
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "apiVersion");
	json_builder_add_string_value(builder, "v1");
	json_builder_set_member_name(builder, "kind");
	json_builder_add_string_value(builder, "Pod");
	ferry_kubevirt_pull_add_metadata(builder, pod);
	json_builder_set_member_name(builder, "spec");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "restartPolicy");
	json_builder_add_string_value(builder, "OnFailure");
	/* the transfer's credentials come from the mounted Secret alone */
	json_builder_set_member_name(builder, "automountServiceAccountToken");
	json_builder_add_boolean_value(builder, FALSE);
	/* the Secret's files (mode 0400) readable by the transfer's group */
	json_builder_set_member_name(builder, "securityContext");
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "fsGroup");
	json_builder_add_int_value(builder, FERRY_KUBEVIRT_PULL_QEMU_UID);
	json_builder_end_object(builder);
	if (pod->host_network) {
		json_builder_set_member_name(builder, "hostNetwork");
		json_builder_add_boolean_value(builder, TRUE);
		json_builder_set_member_name(builder, "dnsPolicy");
		json_builder_add_string_value(builder, "ClusterFirstWithHostNet");
	}
	json_builder_set_member_name(builder, "containers");
	json_builder_begin_array(builder);
	ferry_kubevirt_pull_add_container(builder, pod);
	json_builder_end_array(builder);
	json_builder_set_member_name(builder, "volumes");
	json_builder_begin_array(builder);
	ferry_kubevirt_pull_add_volume(builder, "description", "configMap", "name", pod->name);
	if (pod->secret != NULL)
		ferry_kubevirt_pull_add_volume(builder, "source-secret", "secret", "secretName",
					       pod->secret);
	{
		g_autoptr(GList) ids = ferry_kubevirt_pull_host_ids(pod);
		guint n = 0;
		for (GList *l = ids; l != NULL; l = l->next, n++) {
			g_autofree char *name = g_strdup_printf("host-secret-%u", n);
			ferry_kubevirt_pull_add_volume(builder, name, "secret", "secretName",
						       g_hash_table_lookup(pod->host_secrets,
									   l->data));
		}
	}
	ferry_kubevirt_pull_add_volume(builder, "state", "emptyDir", NULL, NULL);
	if (pod->block)
		ferry_kubevirt_pull_add_volume(builder, "scratch", "emptyDir", NULL, NULL);
	ferry_kubevirt_pull_add_volume(builder, "target", "persistentVolumeClaim", "claimName",
				       pod->pvc);
	json_builder_end_array(builder);
	json_builder_end_object(builder);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}
