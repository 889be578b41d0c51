/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The in-cluster guest conversion: the objects of one conversion pod, which
 * runs `ferry convert` in the target cluster on every PVC of one VM, shaped
 * like Forklift's virt-v2v pod (label forklift.app=virt-v2v, restartPolicy
 * Never, /dev/kvm through KubeVirt's device plugin, uid 107). The
 * description (the VM description, the disks as paths in the pod, no
 * credential) goes into a ConfigMap mounted as a file; the VM's LUKS
 * passphrases are its Secret mounted as files; each PVC is mounted as a
 * directory (Filesystem: the disk is its disk.img) or as a device (Block).
 * `ferry convert` writes its result line to the termination message.
 *
 * Not used yet: conversion runs on Ferry's machine before the push (see
 * README.md, "Conversion in the cluster"). */

#include "config.h"

#include "ferry-kubevirt-convert.h"
#include "ferry-kubevirt-manifest.h"

/* Forklift's virt-v2v container defaults (virt_v2v_container_*) */
#define CONVERT_REQUEST_CPU    "1"
#define CONVERT_REQUEST_MEMORY "1Gi"
#define CONVERT_LIMIT_CPU      "4"
#define CONVERT_LIMIT_MEMORY   "8Gi"
/* the qemu user of KubeVirt and CDI, which owns disk.img */
#define CONVERT_UID 107

static gboolean
convert_check(const FerryKubevirtConvertPod *pod, GError **error)
{
	const struct {
		const char *what;
		const char *value;
	} required[] = {
	    {"the pod's name", pod->name},
	    {"the namespace", pod->name_space},
	    {"the conversion image (Provider setting " FERRY_KUBEVIRT_CONVERSION_IMAGE_SETTING ")",
	     pod->image},
	};

	for (guint i = 0; i < G_N_ELEMENTS(required); i++) {
		if (required[i].value == NULL || required[i].value[0] == '\0') {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "conversion pod: %s is not set", required[i].what);
			return FALSE;
		}
	}
	if (!ferry_kubevirt_check_dns1123_subdomain("conversion pod name", pod->name, 253,
						    error) ||
	    !ferry_kubevirt_check_dns1123_label("namespace", pod->name_space, error) ||
	    (pod->luks_secret != NULL &&
	     !ferry_kubevirt_check_dns1123_subdomain("LUKS Secret name", pod->luks_secret, 253,
						     error)))
		return FALSE;
	if (pod->n_disks == 0 || pod->disks == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "conversion pod %s/%s: the VM has no PVC to convert", pod->name_space,
			    pod->name);
		return FALSE;
	}
	for (guint i = 0; i < pod->n_disks; i++) {
		const char *format = pod->disks[i].format;
		if (pod->disks[i].pvc == NULL ||
		    !ferry_kubevirt_check_dns1123_subdomain("PVC name", pod->disks[i].pvc, 253,
							    error))
			goto bad_disk;
		if (format != NULL && g_strcmp0(format, "raw") != 0 &&
		    g_strcmp0(format, "qcow2") != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "format '%s' is not raw or qcow2", format);
			goto bad_disk;
		}
		continue;
	bad_disk:
		if (error != NULL && *error == NULL)
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "its PVC is not set");
		g_prefix_error(error, "conversion pod %s/%s: disk %u: ", pod->name_space, pod->name,
			       i);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_kubevirt_convert_dup_disk_path:
 * @pod: the conversion pod
 * @index: a disk of the VM
 *
 * Returns: (transfer full): where the pod has that disk: the PVC's
 *   directory (the disk is its disk.img) or its device
 */
char *
ferry_kubevirt_convert_dup_disk_path(const FerryKubevirtConvertPod *pod, guint index)
{
	g_return_val_if_fail(index < pod->n_disks, NULL);
	if (pod->disks[index].block)
		return g_strdup_printf(FERRY_KUBEVIRT_CONVERT_DEVICE_PREFIX "%u", index);
	return g_strdup_printf(FERRY_KUBEVIRT_CONVERT_DISKS_DIR "/%u", index);
}

/**
 * ferry_kubevirt_convert_render_description:
 * @pod: the conversion pod
 * @vm_spec: the VM description the engine built
 *
 * What `ferry convert` reads in the pod: @vm_spec (without the engine's
 * local `workDir` and `luksKeyDir`), the disks at the paths the pod mounts
 * them, the LUKS Secret's folder when the pod mounts one, the work folder.
 *
 * Returns: (transfer full): the description, or %NULL with @error set
 */
JsonNode *
ferry_kubevirt_convert_render_description(const FerryKubevirtConvertPod *pod,
					  JsonObject *vm_spec,
					  GError **error)
{
	g_autoptr(JsonObject) root = json_object_new();
	g_autofree char *text = NULL;
	JsonNode *node;
	JsonObject *vm;
	JsonArray *disks;

	if (!convert_check(pod, error))
		return NULL;
	if (vm_spec == NULL || !json_object_has_member(vm_spec, "name")) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "conversion pod %s/%s: the VM description has no name", pod->name_space,
			    pod->name);
		return NULL;
	}
	/* a deep copy, through text: the engine's paths go, the pod's come */
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(node, vm_spec);
	text = json_to_string(node, FALSE);
	json_node_unref(node);
	node = json_from_string(text, error);
	if (node == NULL)
		return NULL;
	vm = json_node_dup_object(node);
	json_node_unref(node);
	json_object_remove_member(vm, "workDir");
	json_object_remove_member(vm, "luksKeyDir");
	json_object_set_object_member(root, "vm", vm);

	disks = json_array_new();
	for (guint i = 0; i < pod->n_disks; i++) {
		JsonObject *disk = json_object_new();
		g_autofree char *path = ferry_kubevirt_convert_dup_disk_path(pod, i);
		json_object_set_string_member(disk, "path", path);
		json_object_set_string_member(
		    disk, "format", pod->disks[i].format != NULL ? pod->disks[i].format : "raw");
		json_array_add_object_element(disks, disk);
	}
	json_object_set_array_member(root, "disks", disks);
	if (pod->luks_secret != NULL)
		json_object_set_string_member(root, "luksKeyDir", FERRY_KUBEVIRT_CONVERT_LUKS_DIR);
	json_object_set_string_member(root, "workDir", FERRY_KUBEVIRT_CONVERT_WORK_DIR);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_set_object(node, root);
	return node;
}

static JsonObject *
convert_metadata(const FerryKubevirtConvertPod *pod)
{
	JsonObject *metadata = json_object_new();
	JsonObject *labels = json_object_new();
	g_autoptr(GList) keys = pod->labels != NULL ? g_hash_table_get_keys(pod->labels) : NULL;

	json_object_set_string_member(metadata, "name", pod->name);
	json_object_set_string_member(metadata, "namespace", pod->name_space);
	json_object_set_string_member(labels, "app.kubernetes.io/name", "ferry");
	json_object_set_string_member(labels, "app.kubernetes.io/component", "conversion");
	/* as Forklift labels its conversion pods */
	json_object_set_string_member(labels, "forklift.app", "virt-v2v");
	keys = g_list_sort(keys, (GCompareFunc)g_strcmp0);
	for (GList *l = keys; l != NULL; l = l->next)
		json_object_set_string_member(labels, l->data,
					      g_hash_table_lookup(pod->labels, l->data));
	json_object_set_object_member(metadata, "labels", labels);
	return metadata;
}

/**
 * ferry_kubevirt_convert_render_config_map:
 * @pod: the conversion pod
 * @vm_spec: the VM description the engine built
 *
 * Returns: (transfer full): the ConfigMap holding `description.json`, or
 *   %NULL with @error set
 */
JsonNode *
ferry_kubevirt_convert_render_config_map(const FerryKubevirtConvertPod *pod,
					 JsonObject *vm_spec,
					 GError **error)
{
	g_autoptr(JsonNode) description = ferry_kubevirt_convert_render_description(pod, vm_spec,
										    error);
	g_autoptr(JsonGenerator) generator = NULL;
	g_autofree char *text = NULL;
	JsonObject *config_map, *data;
	JsonNode *node;

	if (description == NULL)
		return NULL;
	generator = json_generator_new();
	json_generator_set_root(generator, description);
	text = json_generator_to_data(generator, NULL);
	config_map = json_object_new();
	json_object_set_string_member(config_map, "apiVersion", "v1");
	json_object_set_string_member(config_map, "kind", "ConfigMap");
	json_object_set_object_member(config_map, "metadata", convert_metadata(pod));
	data = json_object_new();
	json_object_set_string_member(data, FERRY_KUBEVIRT_CONVERT_DESCRIPTION_FILE, text);
	json_object_set_object_member(config_map, "data", data);
	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, config_map);
	return node;
}

static void
convert_add_mount(JsonArray *mounts, const char *name, const char *path, gboolean read_only)
{
	JsonObject *mount = json_object_new();
	json_object_set_string_member(mount, "name", name);
	json_object_set_string_member(mount, "mountPath", path);
	if (read_only)
		json_object_set_boolean_member(mount, "readOnly", TRUE);
	json_array_add_object_element(mounts, mount);
}

static void
convert_add_env(JsonArray *env, const char *name, const char *value)
{
	JsonObject *variable = json_object_new();
	json_object_set_string_member(variable, "name", name);
	json_object_set_string_member(variable, "value", value);
	json_array_add_object_element(env, variable);
}

static JsonObject *
convert_volume(const char *name, const char *kind, JsonObject *source)
{
	JsonObject *volume = json_object_new();
	json_object_set_string_member(volume, "name", name);
	json_object_set_object_member(volume, kind, source != NULL ? source : json_object_new());
	return volume;
}

static JsonObject *
convert_source(const char *key, const char *value)
{
	JsonObject *source = json_object_new();
	json_object_set_string_member(source, key, value);
	return source;
}

static JsonObject *
convert_resources(const FerryKubevirtConvertPod *pod)
{
	JsonObject *resources = json_object_new();
	JsonObject *requests = json_object_new();
	JsonObject *limits = json_object_new();

	json_object_set_string_member(requests, "cpu", CONVERT_REQUEST_CPU);
	json_object_set_string_member(requests, "memory", CONVERT_REQUEST_MEMORY);
	json_object_set_string_member(limits, "cpu", CONVERT_LIMIT_CPU);
	json_object_set_string_member(limits, "memory", CONVERT_LIMIT_MEMORY);
	if (pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_DEVICE_PLUGIN) {
		json_object_set_string_member(requests, "devices.kubevirt.io/kvm", "1");
		json_object_set_string_member(limits, "devices.kubevirt.io/kvm", "1");
	}
	json_object_set_object_member(resources, "requests", requests);
	json_object_set_object_member(resources, "limits", limits);
	return resources;
}

static JsonObject *
convert_container(const FerryKubevirtConvertPod *pod)
{
	JsonObject *container = json_object_new();
	JsonArray *command = json_array_new();
	JsonArray *env = json_array_new();
	JsonArray *mounts = json_array_new();
	JsonArray *devices = json_array_new();
	JsonObject *security = json_object_new();
	const char *const argv[] = {
	    "ferry",
	    "convert",
	    "--description",
	    FERRY_KUBEVIRT_CONVERT_DESCRIPTION_DIR "/" FERRY_KUBEVIRT_CONVERT_DESCRIPTION_FILE,
	    "--result-file",
	    FERRY_KUBEVIRT_CONVERT_RESULT_FILE,
	};

	json_object_set_string_member(container, "name", "virt-v2v");
	json_object_set_string_member(container, "image", pod->image);
	json_object_set_string_member(container, "imagePullPolicy", "IfNotPresent");
	for (guint i = 0; i < G_N_ELEMENTS(argv); i++)
		json_array_add_string_element(command, argv[i]);
	json_object_set_array_member(container, "command", command);

	/* libguestfs runs qemu itself, with KVM when the pod has it */
	convert_add_env(env, "LIBGUESTFS_BACKEND", "direct");
	convert_add_env(env, "FERRY_ACCEL",
			pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_NONE ? "tcg" : "kvm");
	/* the appliance, its cache and virt-v2v's temporary files: in the
	 * work folder, the only writable place besides the disks */
	convert_add_env(env, "HOME", FERRY_KUBEVIRT_CONVERT_WORK_DIR);
	convert_add_env(env, "TMPDIR", FERRY_KUBEVIRT_CONVERT_WORK_DIR);
	convert_add_env(env, "LIBGUESTFS_CACHEDIR", FERRY_KUBEVIRT_CONVERT_WORK_DIR);
	convert_add_env(env, "FERRY_STATE_DIR", FERRY_KUBEVIRT_CONVERT_WORK_DIR "/state");
	json_object_set_array_member(container, "env", env);
	json_object_set_object_member(container, "resources", convert_resources(pod));

	/* `ferry convert` writes its result line to the termination message;
	 * a container that dies before leaves its last log lines there */
	json_object_set_string_member(container, "terminationMessagePath",
				      FERRY_KUBEVIRT_CONVERT_RESULT_FILE);
	json_object_set_string_member(container, "terminationMessagePolicy",
				      "FallbackToLogsOnError");

	convert_add_mount(mounts, "description", FERRY_KUBEVIRT_CONVERT_DESCRIPTION_DIR, TRUE);
	if (pod->luks_secret != NULL)
		convert_add_mount(mounts, "luks-keys", FERRY_KUBEVIRT_CONVERT_LUKS_DIR, TRUE);
	convert_add_mount(mounts, "work", FERRY_KUBEVIRT_CONVERT_WORK_DIR, FALSE);
	if (pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH)
		convert_add_mount(mounts, "kvm", "/dev/kvm", FALSE);
	for (guint i = 0; i < pod->n_disks; i++) {
		g_autofree char *name = g_strdup_printf("disk-%u", i);
		g_autofree char *path = ferry_kubevirt_convert_dup_disk_path(pod, i);
		if (pod->disks[i].block) {
			JsonObject *device = json_object_new();
			json_object_set_string_member(device, "name", name);
			json_object_set_string_member(device, "devicePath", path);
			json_array_add_object_element(devices, device);
		} else {
			convert_add_mount(mounts, name, path, FALSE);
		}
	}
	json_object_set_array_member(container, "volumeMounts", mounts);
	if (json_array_get_length(devices) > 0)
		json_object_set_array_member(container, "volumeDevices", devices);
	else
		json_array_unref(devices);

	if (pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH) {
		/* a host device is reachable only from a privileged container */
		json_object_set_boolean_member(security, "privileged", TRUE);
	} else {
		JsonObject *capabilities = json_object_new();
		JsonArray *drop = json_array_new();
		json_array_add_string_element(drop, "ALL");
		json_object_set_array_member(capabilities, "drop", drop);
		json_object_set_boolean_member(security, "allowPrivilegeEscalation", FALSE);
		json_object_set_object_member(security, "capabilities", capabilities);
	}
	json_object_set_object_member(container, "securityContext", security);
	return container;
}

/* the conversion pods of several VMs spread over the nodes when they can */
static JsonObject *
convert_affinity(void)
{
	JsonObject *affinity = json_object_new();
	JsonObject *anti = json_object_new();
	JsonArray *preferred = json_array_new();
	JsonObject *weighted = json_object_new();
	JsonObject *term = json_object_new();
	JsonObject *selector = json_object_new();
	JsonArray *expressions = json_array_new();
	JsonObject *expression = json_object_new();
	JsonArray *values = json_array_new();

	json_array_add_string_element(values, "virt-v2v");
	json_object_set_string_member(expression, "key", "forklift.app");
	json_object_set_string_member(expression, "operator", "In");
	json_object_set_array_member(expression, "values", values);
	json_array_add_object_element(expressions, expression);
	json_object_set_array_member(selector, "matchExpressions", expressions);
	json_object_set_object_member(term, "labelSelector", selector);
	json_object_set_string_member(term, "topologyKey", "kubernetes.io/hostname");
	json_object_set_int_member(weighted, "weight", 100);
	json_object_set_object_member(weighted, "podAffinityTerm", term);
	json_array_add_object_element(preferred, weighted);
	json_object_set_array_member(anti, "preferredDuringSchedulingIgnoredDuringExecution",
				     preferred);
	json_object_set_object_member(affinity, "podAntiAffinity", anti);
	return affinity;
}

/**
 * ferry_kubevirt_convert_render_pod:
 * @pod: the conversion pod
 *
 * The pod runs `ferry convert` once (restartPolicy Never: a conversion
 * half done is not resumed; the controller creates a new pod), as uid 107
 * with fsGroup 107, without a service account token.
 *
 * Returns: (transfer full): the Pod, or %NULL with @error set
 */
JsonNode *
ferry_kubevirt_convert_render_pod(const FerryKubevirtConvertPod *pod, GError **error)
{
	JsonObject *object, *spec, *security, *seccomp;
	JsonArray *containers, *volumes;
	JsonNode *node;

	if (!convert_check(pod, error))
		return NULL;
	object = json_object_new();
	json_object_set_string_member(object, "apiVersion", "v1");
	json_object_set_string_member(object, "kind", "Pod");
	json_object_set_object_member(object, "metadata", convert_metadata(pod));

	spec = json_object_new();
	json_object_set_string_member(spec, "restartPolicy", "Never");
	/* the conversion talks to no API server */
	json_object_set_boolean_member(spec, "automountServiceAccountToken", FALSE);
	if (pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_DEVICE_PLUGIN) {
		/* where virt-handler offers devices.kubevirt.io/kvm */
		JsonObject *selector = json_object_new();
		json_object_set_string_member(selector, "kubevirt.io/schedulable", "true");
		json_object_set_object_member(spec, "nodeSelector", selector);
	}
	json_object_set_object_member(spec, "affinity", convert_affinity());
	security = json_object_new();
	if (pod->kvm != FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH)
		json_object_set_boolean_member(security, "runAsNonRoot", TRUE);
	json_object_set_int_member(security, "runAsUser", CONVERT_UID);
	json_object_set_int_member(security, "runAsGroup", CONVERT_UID);
	json_object_set_int_member(security, "fsGroup", CONVERT_UID);
	seccomp = json_object_new();
	json_object_set_string_member(seccomp, "type", "RuntimeDefault");
	json_object_set_object_member(security, "seccompProfile", seccomp);
	json_object_set_object_member(spec, "securityContext", security);

	containers = json_array_new();
	json_array_add_object_element(containers, convert_container(pod));
	json_object_set_array_member(spec, "containers", containers);

	volumes = json_array_new();
	json_array_add_object_element(
	    volumes, convert_volume("description", "configMap", convert_source("name", pod->name)));
	if (pod->luks_secret != NULL) {
		JsonObject *source = convert_source("secretName", pod->luks_secret);
		/* the passphrases: for the pod's user only */
		json_object_set_int_member(source, "defaultMode", 0400);
		json_array_add_object_element(volumes, convert_volume("luks-keys", "secret", source));
	}
	json_array_add_object_element(volumes, convert_volume("work", "emptyDir", NULL));
	if (pod->kvm == FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH) {
		JsonObject *source = convert_source("path", "/dev/kvm");
		json_object_set_string_member(source, "type", "CharDevice");
		json_array_add_object_element(volumes, convert_volume("kvm", "hostPath", source));
	}
	for (guint i = 0; i < pod->n_disks; i++) {
		g_autofree char *name = g_strdup_printf("disk-%u", i);
		json_array_add_object_element(
		    volumes, convert_volume(name, "persistentVolumeClaim",
					    convert_source("claimName", pod->disks[i].pvc)));
	}
	json_object_set_array_member(spec, "volumes", volumes);
	json_object_set_object_member(object, "spec", spec);

	node = json_node_new(JSON_NODE_OBJECT);
	json_node_take_object(node, object);
	return node;
}
