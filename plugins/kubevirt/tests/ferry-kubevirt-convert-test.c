/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* the conversion pod of plugins/kubevirt/ferry-kubevirt-convert.c: every
 * path its description names is mounted from the right volume, Filesystem
 * PVCs as directories and Block PVCs as devices, KVM as asked, and nothing
 * rendered holds a credential. No Pod schema is in ../shared/testdata (the
 * KubeVirt and CDI swagger files define no core/v1 Pod), so the structure
 * is asserted field by field. */

#include "ferry-kubevirt-convert.c"

#include <string.h>

/* where the engine keeps a VM's LUKS keys on Ferry's machine */
#define ENGINE_KEY_DIR "/var/lib/ferry/state/work/uid-1/vm-7/luks"

static const FerryKubevirtConvertDisk two_disks[] = {
    {.pvc = "plan-web-disk-0", .block = FALSE},
    {.pvc = "plan-web-disk-1", .block = TRUE, .format = "raw"},
};

static JsonObject *
make_vm_spec(void)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_data(parser,
				   "{\"name\": \"web\", \"namespace\": \"target\", \"firmware\": "
				   "{\"type\": \"bios\"}, \"disks\": [{\"name\": \"disk-0\", \"capacity\": "
				   "1073741824}, {\"name\": \"disk-1\", \"capacity\": 2147483648}], "
				   "\"workDir\": \"/var/lib/ferry/state/work/uid-1/vm-7\", "
				   "\"luksKeyDir\": \"" ENGINE_KEY_DIR "\"}",
				   -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static FerryKubevirtConvertPod
make_pod(void)
{
	FerryKubevirtConvertPod pod = {
	    .name = "web-convert",
	    .name_space = "target",
	    .image = "registry.example/ferry/ferry-v2v:0.1",
	    .disks = two_disks,
	    .n_disks = G_N_ELEMENTS(two_disks),
	    .luks_secret = "web-luks",
	    .kvm = FERRY_KUBEVIRT_CONVERT_KVM_DEVICE_PLUGIN,
	};
	return pod;
}

static JsonObject *
find_named(JsonArray *array, const char *name)
{
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		if (g_strcmp0(json_object_get_string_member_with_default(object, "name", NULL),
			      name) == 0)
			return object;
	}
	return NULL;
}

static JsonObject *
find_by(JsonArray *array, const char *member, const char *value)
{
	for (guint i = 0; array != NULL && i < json_array_get_length(array); i++) {
		JsonObject *object = json_array_get_object_element(array, i);
		if (g_strcmp0(json_object_get_string_member_with_default(object, member, NULL),
			      value) == 0)
			return object;
	}
	return NULL;
}

static JsonObject *
pod_spec(JsonNode *pod)
{
	return json_object_get_object_member(json_node_get_object(pod), "spec");
}

static JsonObject *
pod_container(JsonNode *pod)
{
	JsonArray *containers = json_object_get_array_member(pod_spec(pod), "containers");
	g_assert_cmpuint(json_array_get_length(containers), ==, 1);
	return json_array_get_object_element(containers, 0);
}

static const char *
env_value(JsonObject *container, const char *name)
{
	JsonObject *variable = find_named(json_object_get_array_member(container, "env"), name);
	return variable != NULL ? json_object_get_string_member(variable, "value") : NULL;
}

/* the volume the pod mounts (or attaches as a device) at @path */
static JsonObject *
volume_at(JsonNode *pod, const char *path, gboolean *is_device)
{
	JsonObject *container = pod_container(pod);
	JsonArray *volumes = json_object_get_array_member(pod_spec(pod), "volumes");
	JsonObject *mount = NULL;

	mount = find_by(json_object_get_array_member(container, "volumeMounts"), "mountPath", path);
	*is_device = FALSE;
	if (mount == NULL && json_object_has_member(container, "volumeDevices")) {
		mount = find_by(json_object_get_array_member(container, "volumeDevices"),
				"devicePath", path);
		*is_device = mount != NULL;
	}
	if (mount == NULL)
		return NULL;
	return find_named(volumes, json_object_get_string_member(mount, "name"));
}

static JsonObject *
description_of(JsonNode *config_map)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	JsonObject *data = json_object_get_object_member(json_node_get_object(config_map), "data");

	g_assert_cmpuint(json_object_get_size(data), ==, 1);
	json_parser_load_from_data(
	    parser, json_object_get_string_member(data, FERRY_KUBEVIRT_CONVERT_DESCRIPTION_FILE),
	    -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static char *
to_text(JsonNode *node)
{
	return json_to_string(node, FALSE);
}

/* every path of the description is mounted, each from the volume it
 * names; Filesystem PVCs are directories, Block PVCs devices */
static void
test_convert_pod_mounts_every_path(void)
{
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm_spec = make_vm_spec();
	g_autoptr(JsonNode) config_map = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	g_autoptr(JsonObject) description = NULL;
	JsonObject *container, *volume, *vm;
	JsonArray *disks, *command;
	gboolean device;

	config_map = ferry_kubevirt_convert_render_config_map(&pod, vm_spec, &error);
	g_assert_no_error(error);
	pod_node = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	description = description_of(config_map);
	container = pod_container(pod_node);

	/* the description file itself, from the ConfigMap of the same name */
	command = json_object_get_array_member(container, "command");
	g_assert_cmpstr(json_array_get_string_element(command, 0), ==, "ferry");
	g_assert_cmpstr(json_array_get_string_element(command, 1), ==, "convert");
	g_assert_cmpstr(json_array_get_string_element(command, 2), ==, "--description");
	{
		g_autofree char *dir =
		    g_path_get_dirname(json_array_get_string_element(command, 3));
		g_autofree char *base =
		    g_path_get_basename(json_array_get_string_element(command, 3));
		volume = volume_at(pod_node, dir, &device);
		g_assert_nonnull(volume);
		g_assert_cmpstr(json_object_get_string_member(
				    json_object_get_object_member(volume, "configMap"), "name"),
				==, json_object_get_string_member(
					json_object_get_object_member(
					    json_node_get_object(config_map), "metadata"),
					"name"));
		g_assert_true(json_object_has_member(
		    json_object_get_object_member(json_node_get_object(config_map), "data"),
		    base));
	}
	/* the result line goes to the termination message */
	g_assert_cmpstr(json_array_get_string_element(command, 4), ==, "--result-file");
	g_assert_cmpstr(json_array_get_string_element(command, 5), ==,
			json_object_get_string_member(container, "terminationMessagePath"));

	/* each disk: its PVC, in order */
	disks = json_object_get_array_member(description, "disks");
	g_assert_cmpuint(json_array_get_length(disks), ==, G_N_ELEMENTS(two_disks));
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *disk = json_array_get_object_element(disks, i);
		const char *path = json_object_get_string_member(disk, "path");
		volume = volume_at(pod_node, path, &device);
		g_assert_nonnull(volume);
		g_assert_cmpstr(
		    json_object_get_string_member(
			json_object_get_object_member(volume, "persistentVolumeClaim"), "claimName"),
		    ==, two_disks[i].pvc);
		g_assert_true(device == two_disks[i].block);
		g_assert_cmpstr(json_object_get_string_member(disk, "format"), ==, "raw");
	}
	/* the LUKS keys: the VM's Secret, read-only, for the pod's user only */
	volume = volume_at(pod_node, json_object_get_string_member(description, "luksKeyDir"),
			   &device);
	g_assert_nonnull(volume);
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(volume, "secret"), "secretName"),
			==, "web-luks");
	g_assert_cmpint(json_object_get_int_member(json_object_get_object_member(volume, "secret"),
						   "defaultMode"),
			==, 0400);
	g_assert_true(json_object_get_boolean_member(
	    find_by(json_object_get_array_member(container, "volumeMounts"), "mountPath",
		    json_object_get_string_member(description, "luksKeyDir")),
	    "readOnly"));
	/* the work folder: an emptyDir, also the appliance's and temporary files' */
	volume = volume_at(pod_node, json_object_get_string_member(description, "workDir"),
			   &device);
	g_assert_nonnull(volume);
	g_assert_true(json_object_has_member(volume, "emptyDir"));
	g_assert_cmpstr(env_value(container, "TMPDIR"), ==,
			json_object_get_string_member(description, "workDir"));
	g_assert_cmpstr(env_value(container, "LIBGUESTFS_CACHEDIR"), ==,
			json_object_get_string_member(description, "workDir"));
	/* the VM description as the engine built it, the engine's paths gone */
	vm = json_object_get_object_member(description, "vm");
	g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, "web");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(vm, "firmware"),
						      "type"),
			==, "bios");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(vm, "disks")), ==, 2);
	g_assert_false(json_object_has_member(vm, "workDir"));
	g_assert_false(json_object_has_member(vm, "luksKeyDir"));
	/* the caller's VM description is left alone */
	g_assert_cmpstr(json_object_get_string_member(vm_spec, "luksKeyDir"), ==, ENGINE_KEY_DIR);
	/* the description holds only what `ferry convert` reads */
	g_assert_cmpuint(json_object_get_size(description), ==, 4);
}

/* Forklift's virt-v2v pod: its label, run once, KVM through KubeVirt's
 * device plugin, libguestfs without libvirt, uid 107, no token */
static void
test_convert_pod_shape(void)
{
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(GHashTable) labels = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	JsonObject *metadata, *spec, *container, *resources, *security;

	g_hash_table_insert(labels, "plan", "uid-plan");
	g_hash_table_insert(labels, "migration", "uid-migration");
	g_hash_table_insert(labels, "vmID", "vm-7");
	pod.labels = labels;
	pod_node = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	metadata = json_object_get_object_member(json_node_get_object(pod_node), "metadata");
	g_assert_cmpstr(json_object_get_string_member(json_node_get_object(pod_node), "kind"), ==,
			"Pod");
	g_assert_cmpstr(json_object_get_string_member(metadata, "name"), ==, "web-convert");
	g_assert_cmpstr(json_object_get_string_member(metadata, "namespace"), ==, "target");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(metadata, "labels"), "forklift.app"),
			==, "virt-v2v");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(metadata, "labels"), "vmID"),
			==, "vm-7");
	spec = pod_spec(pod_node);
	g_assert_cmpstr(json_object_get_string_member(spec, "restartPolicy"), ==, "Never");
	g_assert_false(json_object_get_boolean_member(spec, "automountServiceAccountToken"));
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(spec, "nodeSelector"),
			    "kubevirt.io/schedulable"),
			==, "true");
	security = json_object_get_object_member(spec, "securityContext");
	g_assert_cmpint(json_object_get_int_member(security, "runAsUser"), ==, 107);
	g_assert_cmpint(json_object_get_int_member(security, "fsGroup"), ==, 107);
	g_assert_true(json_object_get_boolean_member(security, "runAsNonRoot"));
	container = pod_container(pod_node);
	g_assert_cmpstr(json_object_get_string_member(container, "image"), ==,
			"registry.example/ferry/ferry-v2v:0.1");
	g_assert_cmpstr(env_value(container, "LIBGUESTFS_BACKEND"), ==, "direct");
	g_assert_cmpstr(env_value(container, "FERRY_ACCEL"), ==, "kvm");
	resources = json_object_get_object_member(container, "resources");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(resources, "limits"),
			    "devices.kubevirt.io/kvm"),
			==, "1");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(resources, "requests"),
			    "devices.kubevirt.io/kvm"),
			==, "1");
	security = json_object_get_object_member(container, "securityContext");
	g_assert_false(json_object_get_boolean_member(security, "allowPrivilegeEscalation"));
	g_assert_false(json_object_has_member(security, "privileged"));
	/* no /dev/kvm from the host in this mode */
	g_assert_null(find_named(json_object_get_array_member(spec, "volumes"), "kvm"));
}

/* without KVM libguestfs emulates; with the node's /dev/kvm the container
 * mounts it and is privileged */
static void
test_convert_pod_kvm_modes(void)
{
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) tcg = NULL;
	g_autoptr(JsonNode) host = NULL;
	JsonObject *container, *volume;
	gboolean device;

	pod.kvm = FERRY_KUBEVIRT_CONVERT_KVM_NONE;
	tcg = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	container = pod_container(tcg);
	g_assert_cmpstr(env_value(container, "FERRY_ACCEL"), ==, "tcg");
	g_assert_false(json_object_has_member(
	    json_object_get_object_member(json_object_get_object_member(container, "resources"),
					  "limits"),
	    "devices.kubevirt.io/kvm"));
	g_assert_false(json_object_has_member(pod_spec(tcg), "nodeSelector"));
	g_assert_null(volume_at(tcg, "/dev/kvm", &device));

	pod.kvm = FERRY_KUBEVIRT_CONVERT_KVM_HOST_PATH;
	host = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	container = pod_container(host);
	g_assert_cmpstr(env_value(container, "FERRY_ACCEL"), ==, "kvm");
	volume = volume_at(host, "/dev/kvm", &device);
	g_assert_nonnull(volume);
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(volume, "hostPath"), "path"),
			==, "/dev/kvm");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(volume, "hostPath"), "type"),
			==, "CharDevice");
	g_assert_true(json_object_get_boolean_member(
	    json_object_get_object_member(container, "securityContext"), "privileged"));
	/* privileged and allowPrivilegeEscalation: false is refused by the API */
	g_assert_false(json_object_has_member(
	    json_object_get_object_member(container, "securityContext"),
	    "allowPrivilegeEscalation"));
}

/* a VM with Filesystem PVCs alone has no volumeDevices; one with Block
 * PVCs alone mounts no disk directory */
static void
test_convert_pod_all_filesystem_or_block(void)
{
	const FerryKubevirtConvertDisk filesystem[] = {{.pvc = "a"}, {.pvc = "b", .format = "qcow2"}};
	const FerryKubevirtConvertDisk block[] = {{.pvc = "a", .block = TRUE}};
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm_spec = make_vm_spec();
	g_autoptr(JsonNode) fs_pod = NULL;
	g_autoptr(JsonNode) block_pod = NULL;
	g_autoptr(JsonNode) fs_description = NULL;
	JsonArray *mounts;

	pod.disks = filesystem;
	pod.n_disks = G_N_ELEMENTS(filesystem);
	fs_pod = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	g_assert_false(json_object_has_member(pod_container(fs_pod), "volumeDevices"));
	fs_description = ferry_kubevirt_convert_render_description(&pod, vm_spec, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(
			    json_array_get_object_element(
				json_object_get_array_member(json_node_get_object(fs_description),
							     "disks"),
				1),
			    "format"),
			==, "qcow2");

	pod.disks = block;
	pod.n_disks = G_N_ELEMENTS(block);
	block_pod = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(
			     pod_container(block_pod), "volumeDevices")),
			 ==, 1);
	mounts = json_object_get_array_member(pod_container(block_pod), "volumeMounts");
	for (guint i = 0; i < json_array_get_length(mounts); i++)
		g_assert_false(g_str_has_prefix(
		    json_object_get_string_member(json_array_get_object_element(mounts, i),
						  "mountPath"),
		    FERRY_KUBEVIRT_CONVERT_DISKS_DIR));
}

/* no credential in anything rendered: the LUKS passphrases reach the pod
 * only as the mounted Secret, nothing comes from a Secret through the
 * environment, the engine's local key folder is not named, no token */
static void
test_convert_pod_holds_no_credential(void)
{
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm_spec = make_vm_spec();
	g_autoptr(JsonNode) config_map = NULL;
	g_autoptr(JsonNode) pod_node = NULL;
	g_autofree char *config_text = NULL;
	g_autofree char *pod_text = NULL;
	JsonArray *volumes;
	JsonObject *container;

	config_map = ferry_kubevirt_convert_render_config_map(&pod, vm_spec, &error);
	g_assert_no_error(error);
	pod_node = ferry_kubevirt_convert_render_pod(&pod, &error);
	g_assert_no_error(error);
	config_text = to_text(config_map);
	pod_text = to_text(pod_node);
	for (const char *const *text = (const char *const[]){config_text, pod_text, NULL};
	     *text != NULL; text++) {
		g_assert_null(strstr(*text, ENGINE_KEY_DIR));
		g_assert_null(strstr(*text, "secretKeyRef"));
		g_assert_null(strstr(*text, "envFrom"));
		g_assert_null(strstr(*text, "serviceAccountToken"));
		g_assert_null(strstr(*text, "stringData"));
	}
	/* the Secret is only a volume */
	volumes = json_object_get_array_member(pod_spec(pod_node), "volumes");
	for (guint i = 0; i < json_array_get_length(volumes); i++) {
		JsonObject *volume = json_array_get_object_element(volumes, i);
		if (json_object_has_member(volume, "secret"))
			g_assert_cmpstr(json_object_get_string_member(volume, "name"), ==,
					"luks-keys");
	}
	container = pod_container(pod_node);
	g_assert_false(json_object_has_member(container, "envFrom"));
	/* without a LUKS Secret there is neither the mount nor the folder */
	pod.luks_secret = NULL;
	{
		g_autoptr(JsonNode) description =
		    ferry_kubevirt_convert_render_description(&pod, vm_spec, &error);
		g_autoptr(JsonNode) plain = ferry_kubevirt_convert_render_pod(&pod, &error);
		gboolean device;
		g_assert_no_error(error);
		g_assert_false(
		    json_object_has_member(json_node_get_object(description), "luksKeyDir"));
		g_assert_null(volume_at(plain, FERRY_KUBEVIRT_CONVERT_LUKS_DIR, &device));
	}
}

/* what cannot become a pod is refused with a message naming it */
static void
test_convert_pod_refused(void)
{
	const FerryKubevirtConvertDisk bad_pvc[] = {{.pvc = "Not_A_Name"}};
	const FerryKubevirtConvertDisk bad_format[] = {{.pvc = "a", .format = "vmdk"}};
	FerryKubevirtConvertPod pod = make_pod();
	g_autoptr(JsonObject) vm_spec = make_vm_spec();
	g_autoptr(JsonObject) unnamed = json_object_new();
	GError *error = NULL;
	JsonNode *node;

	pod.image = NULL;
	g_assert_null(ferry_kubevirt_convert_render_pod(&pod, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "conversionImage"));
	g_clear_error(&error);

	pod = make_pod();
	pod.disks = bad_pvc;
	pod.n_disks = 1;
	g_assert_null(ferry_kubevirt_convert_render_pod(&pod, &error));
	g_assert_nonnull(strstr(error->message, "disk 0"));
	g_assert_nonnull(strstr(error->message, "Not_A_Name"));
	g_clear_error(&error);

	pod.disks = bad_format;
	g_assert_null(ferry_kubevirt_convert_render_pod(&pod, &error));
	g_assert_nonnull(strstr(error->message, "vmdk"));
	g_clear_error(&error);

	pod = make_pod();
	pod.n_disks = 0;
	g_assert_null(ferry_kubevirt_convert_render_pod(&pod, &error));
	g_assert_nonnull(strstr(error->message, "no PVC"));
	g_clear_error(&error);

	pod = make_pod();
	node = ferry_kubevirt_convert_render_config_map(&pod, unnamed, &error);
	g_assert_null(node);
	g_assert_nonnull(strstr(error->message, "no name"));
	g_clear_error(&error);

	pod.luks_secret = "bad/secret";
	g_assert_null(ferry_kubevirt_convert_render_pod(&pod, &error));
	g_assert_nonnull(strstr(error->message, "LUKS Secret"));
	g_clear_error(&error);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/kubevirt/convert/pod-mounts-every-path", test_convert_pod_mounts_every_path);
	g_test_add_func("/kubevirt/convert/pod-shape", test_convert_pod_shape);
	g_test_add_func("/kubevirt/convert/kvm-modes", test_convert_pod_kvm_modes);
	g_test_add_func("/kubevirt/convert/all-filesystem-or-block",
			test_convert_pod_all_filesystem_or_block);
	g_test_add_func("/kubevirt/convert/holds-no-credential",
			test_convert_pod_holds_no_credential);
	g_test_add_func("/kubevirt/convert/refused", test_convert_pod_refused);
	return g_test_run();
}
