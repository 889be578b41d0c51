/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The manifests made from vm_specs: Forklift's sizing and naming rules, the
 * content of the VirtualMachine and DataVolumes, their YAML form, and their
 * validity against the real KubeVirt v1.9.0 and CDI v1.66.0 API schemas
 * (../shared/testdata/kubevirt-openapi and cdi-openapi).
 */

#include <ferry.h>

#include "ferry-kubevirt-manifest.h"
#include "ferry-test-schemas.h"
#include "ferry-test-yaml.h"

static FerryTestSchemas schemas;
static gboolean have_schemas;

static gboolean
require_schemas(void)
{
	if (have_schemas)
		return TRUE;
	g_test_skip("../shared/testdata (kubevirt-openapi, cdi-openapi) is not there; the "
		    "schema checks need it");
	return FALSE;
}

/* every manifest of @target against the schemas, before and after YAML */
static void
assert_target_valid(FerryKubevirtTarget *target)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *yaml = NULL;
	g_autoptr(JsonNode) reloaded = NULL;

	if (!require_schemas())
		return;
	ferry_test_schemas_assert_vm(&schemas, target->vm);
	yaml = ferry_yaml_to_string(target->vm, &error);
	g_assert_no_error(error);
	reloaded = ferry_test_yaml_load(yaml, -1, &error);
	g_assert_no_error(error);
	g_assert_true(json_node_equal(reloaded, target->vm));
	ferry_test_schemas_assert_vm(&schemas, reloaded);
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autofree char *dv_yaml = ferry_yaml_to_string(disk->data_volume, &error);
		g_autoptr(JsonNode) dv = NULL;
		g_assert_no_error(error);
		dv = ferry_test_yaml_load(dv_yaml, -1, &error);
		g_assert_no_error(error);
		g_assert_true(json_node_equal(dv, disk->data_volume));
		ferry_test_schemas_assert_data_volume(&schemas, dv);
	}
}

static JsonObject *
parse_spec(const char *json)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	json_parser_load_from_data(parser, json, -1, &error);
	g_assert_no_error(error);
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static FerryKubevirtTarget *
build(const char *json)
{
	g_autoptr(JsonObject) spec = parse_spec(json);
	g_autoptr(GError) error = NULL;
	FerryKubevirtSizing sizing;
	FerryKubevirtTarget *target;

	ferry_kubevirt_sizing_init(&sizing);
	target = ferry_kubevirt_target_new(spec, &sizing, "raw", &error);
	g_assert_no_error(error);
	g_assert_nonnull(target);
	return target;
}

/* the value at a JSONPath such as $.spec.template.spec.domain.cpu.cores */
static JsonNode *
at(JsonNode *root, const char *path)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) matches = json_path_query(path, root, &error);
	JsonArray *array;
	g_assert_no_error(error);
	array = json_node_get_array(matches);
	if (json_array_get_length(array) == 0)
		return NULL;
	return json_node_copy(json_array_get_element(array, 0));
}

/* strings are interned so that callers compare them without freeing */
static const char *
at_string(JsonNode *root, const char *path)
{
	g_autoptr(JsonNode) node = at(root, path);
	return node != NULL ? g_intern_string(json_node_get_string(node)) : NULL;
}

static const char *
at_json(JsonNode *root, const char *path)
{
	g_autoptr(JsonNode) node = at(root, path);
	g_autofree char *text = node != NULL ? json_to_string(node, FALSE) : NULL;
	return text != NULL ? g_intern_string(text) : NULL;
}

static guint
at_length(JsonNode *root, const char *path)
{
	g_autoptr(JsonNode) node = at(root, path);
	g_assert_nonnull(node);
	return json_array_get_length(json_node_get_array(node));
}

static gint64
at_int(JsonNode *root, const char *path)
{
	g_autoptr(JsonNode) node = at(root, path);
	g_assert_nonnull(node);
	return json_node_get_int(node);
}

static gboolean
has(JsonNode *root, const char *path)
{
	g_autoptr(JsonNode) node = at(root, path);
	return node != NULL;
}

/* --- sizing and names --- */

static void
test_request_size(void)
{
	FerryKubevirtSizing sizing;
	guint64 size = 0;
	g_autoptr(GError) error = NULL;
	const struct {
		guint64 capacity;
		const char *mode;
		guint32 overhead_ppm;
		guint64 block_overhead;
		guint64 expected;
	} cases[] = {
	    /* forklift.md §7: 1 MiB rounding, Filesystem ÷ (1 - 10 %), Block + overhead */
	    {G_GUINT64_CONSTANT(1) << 30, "Filesystem", 100000, 0, G_GUINT64_CONSTANT(1193046472)},
	    {1, "Filesystem", 100000, 0, 1165085},
	    {1, "Block", 100000, 0, 1048576},
	    {G_GUINT64_CONSTANT(17179869184), NULL, 100000, 0, G_GUINT64_CONSTANT(19088743538)},
	    {G_GUINT64_CONSTANT(17179869184), "Block", 100000, 0,
	     G_GUINT64_CONSTANT(17179869184)},
	    {(G_GUINT64_CONSTANT(10) << 30) - 1, "Filesystem", 55000, 0,
	     G_GUINT64_CONSTANT(11362347344)},
	    {1048577, "Block", 100000, G_GUINT64_CONSTANT(1) << 30,
	     (G_GUINT64_CONSTANT(1) << 30) + 2097152},
	    {1048576, "Filesystem", 0, 0, 1048576},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		sizing.filesystem_overhead_ppm = cases[i].overhead_ppm;
		sizing.block_overhead = cases[i].block_overhead;
		g_assert_true(ferry_kubevirt_request_size(cases[i].capacity, cases[i].mode, &sizing,
							  &size, &error));
		g_assert_no_error(error);
		g_assert_cmpuint(size, ==, cases[i].expected);
	}
	sizing.filesystem_overhead_ppm = 100000;
	g_assert_false(ferry_kubevirt_request_size(G_MAXUINT64 - 5, "Filesystem", &sizing, &size,
						   &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

static void
test_quantities(void)
{
	guint64 bytes = 0;
	guint32 ppm = 0;
	g_autoptr(GError) error = NULL;
	const struct {
		const char *text;
		guint64 bytes;
	} good[] = {{"0", 0}, {"4096", 4096}, {"1Gi", G_GUINT64_CONSTANT(1) << 30},
		    {"512Mi", G_GUINT64_CONSTANT(512) << 20}, {"2k", 2000},
		    {"3T", G_GUINT64_CONSTANT(3000000000000)}};
	const char *const bad[] = {"", "Gi", "1.5Gi", "-1", "1 Gi", "1Xi", "99999999999Ei"};
	const struct {
		const char *text;
		guint32 ppm;
	} percents[] = {{"10", 100000}, {"5.5", 55000}, {"5.5%", 55000}, {"0", 0},
			{"99.9999", 999999}, {"0.0001", 1}};
	const char *const bad_percents[] = {"", "100", "150", "abc", "5.55555", "-1", "10%%"};

	for (guint i = 0; i < G_N_ELEMENTS(good); i++) {
		g_assert_true(ferry_kubevirt_parse_quantity(good[i].text, &bytes, &error));
		g_assert_cmpuint(bytes, ==, good[i].bytes);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad); i++) {
		g_assert_false(ferry_kubevirt_parse_quantity(bad[i], &bytes, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(percents); i++) {
		g_assert_true(ferry_kubevirt_parse_percent(percents[i].text, &ppm, &error));
		g_assert_cmpuint(ppm, ==, percents[i].ppm);
	}
	for (guint i = 0; i < G_N_ELEMENTS(bad_percents); i++) {
		g_assert_false(ferry_kubevirt_parse_percent(bad_percents[i], &ppm, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_clear_error(&error);
	}
	{
		g_autofree char *a = ferry_kubevirt_format_quantity(G_GUINT64_CONSTANT(1) << 30);
		g_autofree char *b = ferry_kubevirt_format_quantity(G_GUINT64_CONSTANT(1193046472));
		g_autofree char *c = ferry_kubevirt_format_quantity(G_GUINT64_CONSTANT(3) << 20);
		g_autofree char *d = ferry_kubevirt_format_quantity(1536);
		g_autofree char *e = ferry_kubevirt_format_quantity(0);
		g_assert_cmpstr(a, ==, "1Gi");
		g_assert_cmpstr(b, ==, "1193046472");
		g_assert_cmpstr(c, ==, "3Mi");
		g_assert_cmpstr(d, ==, "1536");
		g_assert_cmpstr(e, ==, "0");
	}
}

static void
test_names(void)
{
	const char *const labels[] = {"a", "web-01", "0abc",
				      "x23456789012345678901234567890123456789"
				      "012345678901234567890123"};
	const char *const not_labels[] = {"",       "-a",   "a-",     "Web",   "a.b", "a_b",
					  "a b",    "ä",    "../etc", "a/b",   NULL,
					  "x234567890123456789012345678901234567890123456789012"
					  "345678901234"};
	const char *const subdomains[] = {"a.b", "web-01.example", "a"};
	const char *const not_subdomains[] = {"a..b", ".a", "a.", "a.-b", "A.b"};
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < G_N_ELEMENTS(labels); i++)
		g_assert_true(ferry_kubevirt_check_dns1123_label("name", labels[i], NULL));
	for (guint i = 0; i < G_N_ELEMENTS(not_labels); i++) {
		g_assert_false(ferry_kubevirt_check_dns1123_label("name", not_labels[i], &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		g_assert_nonnull(strstr(error->message, "DNS-1123"));
		g_clear_error(&error);
	}
	for (guint i = 0; i < G_N_ELEMENTS(subdomains); i++)
		g_assert_true(
		    ferry_kubevirt_check_dns1123_subdomain("name", subdomains[i], 63, NULL));
	for (guint i = 0; i < G_N_ELEMENTS(not_subdomains); i++)
		g_assert_false(
		    ferry_kubevirt_check_dns1123_subdomain("name", not_subdomains[i], 63, NULL));
	g_assert_true(ferry_kubevirt_check_label("app", "web", NULL));
	g_assert_true(ferry_kubevirt_check_label("example.com/tier", "Front_end.1", NULL));
	g_assert_true(ferry_kubevirt_check_label("empty", "", NULL));
	g_assert_false(ferry_kubevirt_check_label("bad key", "x", NULL));
	g_assert_false(ferry_kubevirt_check_label("Bad_Prefix/x", "x", NULL));
	g_assert_false(ferry_kubevirt_check_label("app", "-web", NULL));
	g_assert_false(ferry_kubevirt_check_label("app", "a b", NULL));
}

/* --- manifests --- */

static void
test_bios_minimal(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
	    "{\"name\": \"web-01\", \"namespace\": \"migrated\", \"plan\": \"web-tier\","
	    " \"memoryMiB\": 2048,"
	    " \"source\": {\"provider\": \"ova-lab\", \"type\": \"vsphere\", \"needsConversion\": true,"
	    "              \"vm\": {\"id\": \"vm-42\", \"name\": \"web-01\"}},"
	    " \"disks\": [{\"id\": \"disk-2000\", \"capacity\": 1073741824,"
	    "              \"name\": \"web-tier-web-01-disk-0\"}]}");
	JsonNode *vm = target->vm;
	FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, 0);

	g_assert_cmpstr(target->display, ==, "Plan/web-tier VM migrated/web-01");
	g_assert_cmpstr(at_string(vm, "$.apiVersion"), ==, "kubevirt.io/v1");
	g_assert_cmpstr(at_string(vm, "$.kind"), ==, "VirtualMachine");
	g_assert_cmpstr(at_string(vm, "$.metadata.name"), ==, "web-01");
	g_assert_cmpstr(at_string(vm, "$.metadata.namespace"), ==, "migrated");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.plan"), ==, "web-tier");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.vmID"), ==, "vm-42");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.guestConverted"), ==, "true");
	g_assert_false(has(vm, "$.metadata.labels.migration"));
	/* not renamed: no display-name annotation */
	g_assert_false(has(vm, "$.metadata.annotations"));
	g_assert_cmpstr(at_string(vm, "$.spec.runStrategy"), ==, "Halted");
	g_assert_cmpstr(at_string(vm, "$.spec.template.metadata.labels.app"), ==, "web-01");
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.cpu.sockets"), ==, 1);
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.cpu.cores"), ==, 1);
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.memory.guest"), ==, "2048Mi");
	g_assert_true(has(vm, "$.spec.template.spec.domain.firmware.bootloader.bios"));
	g_assert_false(has(vm, "$.spec.template.spec.domain.features"));
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.devices.disks[0].name"), ==,
			"vol-0");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.devices.disks[0].disk.bus"), ==,
			"virtio");
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.devices.disks[0].bootOrder"), ==,
			1);
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.volumes[0].dataVolume.name"), ==,
			"web-tier-web-01-disk-0");
	/* no NICs at all: KubeVirt must not add a pod interface by itself */
	g_assert_false(has(vm, "$.spec.template.spec.domain.devices.interfaces"));
	g_assert_false(has(vm, "$.spec.template.spec.networks"));
	g_assert_cmpstr(
	    at_json(vm, "$.spec.template.spec.domain.devices.autoattachPodInterface"),
	    ==, "false");

	g_assert_cmpstr(disk->name, ==, "web-tier-web-01-disk-0");
	g_assert_cmpstr(disk->file_name, ==, "web-tier-web-01-disk-0.img");
	g_assert_cmpstr(disk->manifest_name, ==, "dv-web-tier-web-01-disk-0.yaml");
	g_assert_cmpuint(disk->capacity, ==, G_GUINT64_CONSTANT(1073741824));
	g_assert_cmpuint(disk->request_size, ==, G_GUINT64_CONSTANT(1193046472));
	g_assert_cmpstr(at_string(disk->data_volume, "$.apiVersion"), ==,
			"cdi.kubevirt.io/v1beta1");
	g_assert_cmpstr(at_string(disk->data_volume, "$.kind"), ==, "DataVolume");
	g_assert_cmpstr(at_string(disk->data_volume, "$.metadata.namespace"), ==, "migrated");
	g_assert_cmpstr(at_string(disk->data_volume, "$.metadata.labels.vmID"), ==, "vm-42");
	g_assert_cmpstr(at_string(disk->data_volume,
				  "$.metadata.annotations['forklift.konveyor.io/disk-source']"),
			==, "disk-2000");
	g_assert_cmpstr(at_string(disk->data_volume,
				  "$.metadata.annotations['forklift.konveyor.io/disk-index']"),
			==, "0");
	g_assert_true(has(disk->data_volume, "$.spec.source.upload"));
	g_assert_cmpstr(at_string(disk->data_volume, "$.spec.storage.resources.requests.storage"),
			==, "1193046472");
	g_assert_false(has(disk->data_volume, "$.spec.storage.volumeMode"));
	g_assert_false(has(disk->data_volume, "$.spec.storage.storageClassName"));
	assert_target_valid(target);
}

static void
test_efi_secure_boot_networks(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
		"{\"name\": \"db-primary\", \"namespace\": \"prod\", \"plan\": \"db\","
		" \"planUID\": \"2f0c5b7e-8d1c-4c7a-9a43-1f2d3c4b5a69\","
		" \"migration\": \"7e1d0c2b-3a4f-4e5d-8c6b-9a0f1e2d3c4b\","
		" \"cpu\": {\"sockets\": 2, \"cores\": 4, \"threads\": 2}, \"memoryMiB\": 16384,"
		" \"firmware\": {\"type\": \"efi\", \"secureBoot\": true, \"serial\": \"VMware-42 "
		"1a\"},"
		" \"source\": {\"type\": \"ova\", \"needsConversion\": true, \"vm\": {\"id\": "
		"\"c0ffee00-1111-2222-3333-444455556666\","
		"              \"name\": \"DB Primary (old)\"}},"
		" \"targetPowerState\": \"on\","
		" \"labels\": {\"team\": \"data\"}, \"annotations\": {\"example.com/owner\": "
		"\"ops@example.com\"},"
		" \"targetLabels\": {\"tier\": \"db\"},"
		" \"disks\": ["
		"   {\"id\": \"d0\", \"capacity\": 17179869184, \"name\": \"db-db-primary-disk-0\","
		"    \"storageClass\": \"fast\", \"volumeMode\": \"Filesystem\","
		"    \"accessMode\": \"ReadWriteOnce\", \"bus\": \"virtio\"},"
		"   {\"id\": \"d1\", \"capacity\": 107374182400, \"name\": "
		"\"db-db-primary-disk-1\","
		"    \"storageClass\": \"ceph-block\", \"volumeMode\": \"Block\","
		"    \"accessMode\": \"ReadWriteMany\", \"bus\": \"scsi\", \"format\": \"qcow2\"}],"
		" \"nics\": ["
		"   {\"mac\": \"00:50:56:AA:BB:CC\", \"network\": {\"type\": \"pod\"}, \"model\": "
		"\"vmxnet3\"},"
		"   {\"mac\": \"00-50-56-11-22-33\", \"network\": {\"type\": \"multus\", \"name\": "
		"\"storage-net\","
		"    \"namespace\": \"infra\"}, \"model\": \"e1000e\"},"
		"   {\"mac\": \"00:50:56:44:55:66\", \"network\": {\"type\": \"ignored\"}}]}");
	JsonNode *vm = target->vm;
	FerryKubevirtDisk *disk0 = g_ptr_array_index(target->disks, 0);
	FerryKubevirtDisk *disk1 = g_ptr_array_index(target->disks, 1);

	g_assert_cmpstr(at_string(vm, "$.metadata.labels.plan"), ==,
			"2f0c5b7e-8d1c-4c7a-9a43-1f2d3c4b5a69");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.migration"), ==,
			"7e1d0c2b-3a4f-4e5d-8c6b-9a0f1e2d3c4b");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.team"), ==, "data");
	g_assert_cmpstr(at_string(vm, "$.metadata.labels.guestConverted"), ==, "true");
	g_assert_cmpstr(at_string(vm, "$.metadata.annotations['openshift.io/display-name']"), ==,
			"DB Primary (old)");
	g_assert_cmpstr(at_string(vm, "$.metadata.annotations['original-ID']"), ==,
			"c0ffee00-1111-2222-3333-444455556666");
	g_assert_cmpstr(at_string(vm, "$.metadata.annotations['example.com/owner']"), ==,
			"ops@example.com");
	g_assert_cmpstr(at_string(vm, "$.spec.runStrategy"), ==, "Always");
	g_assert_cmpstr(at_string(vm, "$.spec.template.metadata.labels.tier"), ==, "db");
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.cpu.sockets"), ==, 2);
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.cpu.cores"), ==, 4);
	g_assert_cmpint(at_int(vm, "$.spec.template.spec.domain.cpu.threads"), ==, 2);
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.memory.guest"), ==, "16384Mi");
	g_assert_cmpstr(at_json(vm, "$.spec.template.spec.domain.firmware.bootloader."
					      "efi.secureBoot"),
			==, "true");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.firmware.serial"), ==,
			"VMware-42 1a");
	g_assert_cmpstr(
	    at_json(vm, "$.spec.template.spec.domain.features.smm.enabled"), ==,
	    "true");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.devices.disks[1].disk.bus"), ==,
			"scsi");
	g_assert_false(has(vm, "$.spec.template.spec.domain.devices.disks[1].bootOrder"));
	/* the ignored NIC is left out; the others keep their MACs */
	g_assert_cmpint(at_length(vm, "$.spec.template.spec.domain.devices.interfaces"), ==, 2);
	g_assert_cmpstr(
		at_string(vm, "$.spec.template.spec.domain.devices.interfaces[0].macAddress"), ==,
		"00:50:56:aa:bb:cc");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.devices.interfaces[0].model"),
			==, "virtio");
	g_assert_true(has(vm, "$.spec.template.spec.domain.devices.interfaces[0].masquerade"));
	g_assert_true(has(vm, "$.spec.template.spec.networks[0].pod"));
	g_assert_cmpstr(
		at_string(vm, "$.spec.template.spec.domain.devices.interfaces[1].macAddress"), ==,
		"00:50:56:11:22:33");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.domain.devices.interfaces[1].model"),
			==, "e1000e");
	g_assert_true(has(vm, "$.spec.template.spec.domain.devices.interfaces[1].bridge"));
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.networks[1].multus.networkName"), ==,
			"infra/storage-net");
	g_assert_cmpstr(at_string(vm, "$.spec.template.spec.networks[1].name"), ==, "net-1");

	g_assert_cmpstr(disk0->format, ==, "raw");
	g_assert_cmpuint(disk0->request_size, ==, G_GUINT64_CONSTANT(19088743538));
	g_assert_cmpstr(at_string(disk0->data_volume, "$.spec.storage.storageClassName"), ==,
			"fast");
	g_assert_cmpstr(at_string(disk0->data_volume, "$.spec.storage.volumeMode"), ==,
			"Filesystem");
	g_assert_cmpstr(at_string(disk0->data_volume, "$.spec.storage.accessModes[0]"), ==,
			"ReadWriteOnce");
	g_assert_cmpstr(at_string(disk0->data_volume, "$.metadata.labels.migration"), ==,
			"7e1d0c2b-3a4f-4e5d-8c6b-9a0f1e2d3c4b");
	g_assert_cmpstr(disk1->format, ==, "qcow2");
	g_assert_cmpstr(disk1->file_name, ==, "db-db-primary-disk-1.qcow2");
	g_assert_cmpstr(at_string(disk1->data_volume, "$.spec.storage.resources.requests.storage"),
			==, "100Gi");
	g_assert_cmpstr(at_string(disk1->data_volume, "$.spec.storage.volumeMode"), ==, "Block");
	assert_target_valid(target);
}

static void
test_raw_copy_compatibility(void)
{
#define LEGACY_SPEC(extra)                                                                         \
	"{\"name\": \"legacy\", \"namespace\": \"lab\", \"memoryMiB\": 512,"                       \
	" \"skipGuestConversion\": true, " extra " \"targetPowerState\": \"auto\","                \
	" \"restorePowerState\": \"On\","                                                          \
	" \"source\": {\"type\": \"ova\", \"needsConversion\": true, \"vm\": {\"id\": \"legacy-id\", \"name\": \"legacy\"}}," \
	" \"disks\": [{\"capacity\": 1048576, \"name\": \"legacy-disk-0\", \"bus\": \"virtio\"},"  \
	"             {\"capacity\": 2097152, \"name\": \"legacy-disk-1\"}],"                     \
	" \"bootDisk\": 1,"                                                                      \
	" \"nics\": [{\"mac\": \"52:54:00:12:34:56\", \"network\": {\"type\": \"pod\"},"           \
	"            \"model\": \"virtio\"}]}"
	const char *compat_json = LEGACY_SPEC("");
	const char *virtio_json = LEGACY_SPEC("\"useCompatibilityMode\": false,");
	g_autoptr(FerryKubevirtTarget) compat = build(compat_json);
	g_autoptr(FerryKubevirtTarget) virtio = build(virtio_json);

	/* raw copy, compatibility mode (the default): SATA and E1000E */
	g_assert_cmpstr(at_string(compat->vm, "$.metadata.labels.guestConverted"), ==, "false");
	g_assert_cmpstr(at_string(compat->vm, "$.spec.runStrategy"), ==, "Always");
	g_assert_cmpstr(
	    at_string(compat->vm, "$.spec.template.spec.domain.devices.disks[0].disk.bus"), ==,
	    "sata");
	g_assert_cmpstr(
	    at_string(compat->vm, "$.spec.template.spec.domain.devices.disks[1].disk.bus"), ==,
	    "sata");
	g_assert_false(has(compat->vm, "$.spec.template.spec.domain.devices.disks[0].bootOrder"));
	g_assert_cmpint(
	    at_int(compat->vm, "$.spec.template.spec.domain.devices.disks[1].bootOrder"), ==, 1);
	g_assert_cmpstr(
	    at_string(compat->vm, "$.spec.template.spec.domain.devices.interfaces[0].model"), ==,
	    "e1000e");
	/* raw copy without compatibility mode: the buses and models asked for */
	g_assert_cmpstr(
	    at_string(virtio->vm, "$.spec.template.spec.domain.devices.disks[0].disk.bus"), ==,
	    "virtio");
	g_assert_cmpstr(
	    at_string(virtio->vm, "$.spec.template.spec.domain.devices.interfaces[0].model"), ==,
	    "virtio");
	assert_target_valid(compat);
	assert_target_valid(virtio);
}

static void
test_scheduling(void)
{
	g_autoptr(FerryKubevirtTarget) target =
		build("{\"name\": \"app\", \"namespace\": \"apps\", \"memoryMiB\": 1024,"
		      " \"targetPowerState\": \"off\","
		      " \"targetNodeSelector\": {\"kubernetes.io/hostname\": \"worker-3\"},"
		      " \"targetAffinity\": {\"nodeAffinity\": "
		      "{\"requiredDuringSchedulingIgnoredDuringExecution\":"
		      "   {\"nodeSelectorTerms\": [{\"matchExpressions\": [{\"key\": \"zone\", "
		      "\"operator\": \"In\","
		      "    \"values\": [\"a\", \"b\"]}]}]}}},"
		      " \"disks\": [{\"capacity\": 10737418240, \"name\": \"app-disk-0\", "
		      "\"volumeMode\": \"Block\"}]}");

	g_assert_cmpstr(at_string(target->vm, "$.spec.runStrategy"), ==, "Halted");
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.nodeSelector['kubernetes.io/hostname']"),
	    ==, "worker-3");
	g_assert_cmpstr(at_string(target->vm, "$.spec.template.spec.affinity.nodeAffinity."
					      "requiredDuringSchedulingIgnoredDuringExecution."
					      "nodeSelectorTerms[0].matchExpressions[0].key"),
			==, "zone");
	assert_target_valid(target);
}

static void
test_invalid_specs(void)
{
	/* a member of the wrong type is INVALID_DATA (FerryVmSpec finds those it
	 * names, the plugin the others); a value KubeVirt cannot take is
	 * INVALID_ARGUMENT */
	const struct {
		const char *spec;
		const char *message;
		FerryError code;
	} cases[] = {
		{"{\"namespace\": \"ns\", \"memoryMiB\": 1}", "the VM description has no name",
		 FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"\", \"namespace\": \"ns\", \"memoryMiB\": 1}",
		 "the VM description has no name", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"Web_01\", \"namespace\": \"ns\", \"memoryMiB\": 1}",
		 "VM ns/Web_01: the VM name 'Web_01' is not a DNS-1123 name",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"a.b\", \"memoryMiB\": 1}",
		 "the namespace 'a.b' is not a DNS-1123 label", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"plan\": \"p\"}",
		 "Plan/p VM ns/web: memoryMiB is missing", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": \"4G\"}",
		 "VM web: memoryMiB must be a non-negative whole number",
		 FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1.5}",
		 "VM web: memoryMiB must be a non-negative whole number",
		 FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 0}",
		 "VM ns/web: memoryMiB is missing or 0", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"cpu\": {\"sockets\": 2, \"cores\": 0}}",
		 "the CPU topology 2×0×1 has a 0", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\"}]}",
		 "disk 0 (no id) has no capacity", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": -5}]}",
		 "VM web: disks[0].capacity must be a non-negative whole number",
		 FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"volumeMode\": 5}]}",
		 "VM ns/web: disks[0].volumeMode must be a string", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"populatedSize\": \"x\"}]}",
		 "VM web: disks[0].populatedSize must be a non-negative whole number",
		 FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"Disk 0\", \"capacity\": 1}]}",
		 "disk name 'Disk 0' is not a DNS-1123 label", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1}, {\"name\": \"d\", \"capacity\": "
		 "1}]}",
		 "disks 0 and 1 are both named 'd'", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"format\": \"vmdk\"}]}",
		 "disks[0].format 'vmdk' is not supported; use one of raw, qcow2",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"volumeMode\": \"block\"}]}",
		 "disks[0].volumeMode 'block' is not supported", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"bus\": \"ide\"}]}",
		 "disks[0].bus 'ide' is not supported; use one of virtio, sata, scsi",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"firmware\": {\"type\": \"bios\", \"secureBoot\": true}}",
		 "secure boot needs EFI firmware", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"network\": {\"type\": \"pod\"}}, {\"network\": {\"type\": "
		 "\"pod\"}}]}",
		 "more than one NIC is mapped to the pod network", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"mac\": \"00:50:56:zz:00:01\"}]}",
		 "NIC 0 has the MAC address '00:50:56:zz:00:01'", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"model\": \"pcnet32\"}]}",
		 "NIC 0 has the model 'pcnet32', which KubeVirt does not offer",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"network\": {\"type\": \"multus\"}}]}",
		 "NIC 0: Multus network '' is not a DNS-1123 name", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"network\": {\"type\": \"bridge\"}}]}",
		 "nics[0].network.type 'bridge' is not supported; use one of pod, multus, ignored",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"targetPowerState\": \"running\"}",
		 "targetPowerState 'running' is not supported; use one of on, off, auto",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"labels\": {\"app\": \"has space\"}}",
		 "label app has the value 'has space', which is not valid",
		 FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"source\": {\"vm\": {\"id\": \"[ds1] vm/vm.vmx\"}}}",
		 "label vmID has the value '[ds1] vm/vm.vmx'", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1, \"bootDisk\": 3,"
		 " \"disks\": [{\"name\": \"d\", \"capacity\": 1}]}",
		 "bootDisk 3 does not exist; the VM has 1 disks", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1, \"bootDisk\": -1}",
		 "bootDisk must be a whole number of at least 0", FERRY_ERROR_INVALID_ARGUMENT},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"plan\": \"p\", \"memoryMiB\": 1,"
		 " \"bootDisk\": \"0\"}",
		 "Plan/p VM ns/web: bootDisk must be a whole number", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"useCompatibilityMode\": \"yes\"}",
		 "useCompatibilityMode must be true or false", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"targetAffinity\": []}",
		 "targetAffinity must be an object", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"source\": {\"vm\": {\"name\": 3}}}",
		 "source.vm.name must be a string", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"labels\": {\"app\": 5}}",
		 "labels.app must be a string", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"nics\": [{\"mac\": 5}]}",
		 "VM web: nics[0].mac must be a string", FERRY_ERROR_INVALID_DATA},
		/* direct LUNs */
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1, \"luns\": {}}",
		 "VM ns/web: luns must be a list", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"capacity\": 1, \"fc\": {\"wwids\": [\"w\"]}}]}",
		 "luns[0].id must be the source disk's id", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"id\": \"l\", \"fc\": {\"wwids\": [\"w\"]}}]}",
		 "luns[0].capacity must be the LUN's size in bytes", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"id\": \"l\", \"capacity\": 1}]}",
		 "luns[0].iscsi and luns[0].fc: exactly one must be given", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"id\": \"l\", \"capacity\": 1, \"iscsi\": {\"iqn\": \"i\", \"lun\": 0}}]}",
		 "luns[0].iscsi needs targetPortal, iqn and lun", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"id\": \"l\", \"capacity\": 1, \"fc\": {\"wwids\": []}}]}",
		 "luns[0].fc needs wwids", FERRY_ERROR_INVALID_DATA},
		{"{\"name\": \"web\", \"namespace\": \"ns\", \"memoryMiB\": 1,"
		 " \"luns\": [{\"id\": \"Bad_Id\", \"capacity\": 1, \"fc\": {\"wwids\": [\"w\"]}}]}",
		 "direct LUN claim name 'Bad_Id' is not a DNS-1123 label", FERRY_ERROR_INVALID_ARGUMENT},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) spec = parse_spec(cases[i].spec);
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryKubevirtTarget) target = NULL;
		FerryKubevirtSizing sizing;

		ferry_kubevirt_sizing_init(&sizing);
		target = ferry_kubevirt_target_new(spec, &sizing, "raw", &error);
		g_assert_null(target);
		g_assert_error(error, FERRY_ERROR, (int)cases[i].code);
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' does not contain '%s'", i, error->message,
				cases[i].message);
	}
}

/* --- YAML --- */

static void
test_yaml_quoting(void)
{
	/* strings a YAML reader could take for something else must stay strings */
	const char *const strings[] = {
	    "yes",  "No",         "on",       "OFF",  "y",      "null",  "~",     "",
	    "true", "1e3",        "0x1F",     "0o17", "12",     "-5",    ".5",    "1:20",
	    "00:50:56:11:22:33",  "1193046472", "12Mi", " lead", "trail ", "a: b", "- x",
	    "#x",   "multi\nline", "tab\there", "ünïcode ✓", "\"quoted\"", "'single'", "@at",
	    "&anchor", "*alias", "!tag", "%pct", "{a}", "[b]", "web-01", "kubevirt.io/v1",
	    ".inf", "NaN",
	};
	g_autoptr(JsonObject) object = json_object_new();
	g_autoptr(JsonNode) root = NULL;
	g_autoptr(JsonNode) reloaded = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *yaml = NULL;
	JsonArray *array = json_array_new();

	for (guint i = 0; i < G_N_ELEMENTS(strings); i++)
		json_array_add_string_element(array, strings[i]);
	json_object_set_array_member(object, "strings", array);
	json_object_set_string_member(object, "yes", "key that looks like a boolean");
	json_object_set_int_member(object, "int", -42);
	json_object_set_double_member(object, "double", 0.25);
	json_object_set_boolean_member(object, "bool", FALSE);
	json_object_set_null_member(object, "null");
	json_object_set_object_member(object, "empty-object", json_object_new());
	json_object_set_array_member(object, "empty-array", json_array_new());
	root = json_node_init_object(json_node_alloc(), object);
	yaml = ferry_yaml_to_string(root, &error);
	g_assert_no_error(error);
	reloaded = ferry_test_yaml_load(yaml, -1, &error);
	g_assert_no_error(error);
	if (!json_node_equal(root, reloaded))
		g_error("round trip changed the tree:\n%s", yaml);
	/* readable for people: plain where safe, block style */
	g_assert_nonnull(strstr(yaml, "- web-01\n"));
	g_assert_nonnull(strstr(yaml, "- kubevirt.io/v1\n"));
	g_assert_nonnull(strstr(yaml, "- \"00:50:56:11:22:33\"\n"));
	g_assert_nonnull(strstr(yaml, "\"yes\": key that looks like a boolean\n"));
	g_assert_nonnull(strstr(yaml, "empty-object: {}\n"));

	/* invalid UTF-8 cannot be written */
	json_object_set_string_member(object, "bad", "\xff\xfe");
	g_clear_pointer(&yaml, g_free);
	yaml = ferry_yaml_to_string(root, &error);
	g_assert_null(yaml);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
}

/* --- the validator itself --- */

static JsonNode *
valid_vm(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
	    "{\"name\": \"v\", \"namespace\": \"ns\", \"memoryMiB\": 64,"
	    " \"disks\": [{\"capacity\": 1048576, \"name\": \"v-disk-0\"}],"
	    " \"nics\": [{\"mac\": \"52:54:00:00:00:01\"}]}");
	return json_node_ref(target->vm);
}

typedef void (*Mutation)(JsonObject *vm);

static JsonObject *
object_at(JsonObject *root, const char *path)
{
	g_auto(GStrv) parts = g_strsplit(path, ".", -1);
	JsonObject *object = root;
	for (guint i = 0; parts[i] != NULL; i++)
		object = json_object_get_object_member(object, parts[i]);
	return object;
}

static void
mutate_cores_string(JsonObject *vm)
{
	json_object_set_string_member(object_at(vm, "spec.template.spec.domain.cpu"), "cores",
				      "two");
}

static void
mutate_unknown_member(JsonObject *vm)
{
	json_object_set_int_member(object_at(vm, "spec.template.spec.domain.cpu"), "thread", 1);
}

static void
mutate_missing_template(JsonObject *vm)
{
	json_object_remove_member(object_at(vm, "spec"), "template");
}

static void
mutate_bad_quantity(JsonObject *vm)
{
	json_object_set_string_member(object_at(vm, "spec.template.spec.domain.memory"), "guest",
				      "64 MiB");
}

static void
mutate_interface_without_name(JsonObject *vm)
{
	JsonArray *interfaces = json_object_get_array_member(
	    object_at(vm, "spec.template.spec.domain.devices"), "interfaces");
	json_object_remove_member(json_array_get_object_element(interfaces, 0), "name");
}

static void
mutate_label_not_string(JsonObject *vm)
{
	json_object_set_int_member(object_at(vm, "spec.template.metadata.labels"), "app", 7);
}

static void
mutate_int32_overflow(JsonObject *vm)
{
	JsonArray *disks = json_object_get_array_member(
		object_at(vm, "spec.template.spec.domain.devices"), "disks");
	json_object_set_int_member(json_array_get_object_element(disks, 0), "bootOrder",
				   G_GINT64_CONSTANT(1) << 40);
}

/* cluster mode: a PVC per disk with the DataVolume's labels, annotations and
 * request, and a VM whose volumes name the PVCs; both valid for KubeVirt */
static void
test_cluster_claims(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
	    "{\"name\": \"web-01\", \"namespace\": \"migrated\", \"plan\": \"web-tier\","
	    " \"planUID\": \"0c5b5e0e-uid\", \"migration\": \"mig-1\", \"memoryMiB\": 2048,"
	    " \"source\": {\"provider\": \"ova-lab\", \"type\": \"ova\","
	    "              \"vm\": {\"id\": \"vm-42\", \"name\": \"web-01\"}},"
	    " \"disks\": [{\"id\": \"disk-2000\", \"capacity\": 17179869184,"
	    "              \"name\": \"web-tier-web-01-disk-0\", \"storageClass\": \"fast\"},"
	    "             {\"id\": \"disk-2001\", \"capacity\": 17179869184,"
	    "              \"name\": \"web-tier-web-01-disk-1\", \"volumeMode\": \"Block\","
	    "              \"accessMode\": \"ReadWriteMany\"}]}");
	FerryKubevirtDisk *fs = g_ptr_array_index(target->disks, 0);
	FerryKubevirtDisk *block = g_ptr_array_index(target->disks, 1);
	JsonNode *claim = fs->claim;

	g_assert_cmpstr(at_string(claim, "$.apiVersion"), ==, "v1");
	g_assert_cmpstr(at_string(claim, "$.kind"), ==, "PersistentVolumeClaim");
	g_assert_cmpstr(at_string(claim, "$.metadata.name"), ==, "web-tier-web-01-disk-0");
	g_assert_cmpstr(at_string(claim, "$.metadata.namespace"), ==, "migrated");
	g_assert_cmpstr(at_json(claim, "$.metadata.labels"), ==,
			at_json(fs->data_volume, "$.metadata.labels"));
	g_assert_cmpstr(at_string(claim, "$.metadata.labels.plan"), ==, "0c5b5e0e-uid");
	g_assert_cmpstr(at_string(claim, "$.metadata.labels.vmID"), ==, "vm-42");
	g_assert_cmpstr(at_string(claim, "$.metadata.labels.migration"), ==, "mig-1");
	g_assert_cmpstr(at_string(claim,
				  "$.metadata.annotations['forklift.konveyor.io/disk-source']"),
			==, "disk-2000");
	g_assert_cmpstr(at_string(claim,
				  "$.metadata.annotations['forklift.konveyor.io/disk-index']"),
			==, "0");
	/* no CDI here: no bind-immediately annotation, no source */
	{
		g_autoptr(JsonNode) annotations = at(claim, "$.metadata.annotations");
		g_assert_cmpuint(json_object_get_size(json_node_get_object(annotations)), ==, 2);
	}
	g_assert_cmpstr(at_json(claim, "$.spec.accessModes"), ==, "[\"ReadWriteOnce\"]");
	g_assert_cmpstr(at_string(claim, "$.spec.storageClassName"), ==, "fast");
	g_assert_false(has(claim, "$.spec.volumeMode"));
	/* Filesystem sizing without a volumeMode: 16 GiB / 0.9 */
	g_assert_cmpstr(at_string(claim, "$.spec.resources.requests.storage"), ==, "19088743538");
	g_assert_cmpstr(at_string(block->claim, "$.spec.volumeMode"), ==, "Block");
	g_assert_cmpstr(at_json(block->claim, "$.spec.accessModes"), ==, "[\"ReadWriteMany\"]");
	g_assert_cmpstr(at_string(block->claim, "$.spec.resources.requests.storage"), ==, "16Gi");
	g_assert_false(has(block->claim, "$.spec.storageClassName"));

	ferry_kubevirt_target_use_claims(target);
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.volumes[0].persistentVolumeClaim.claimName"),
	    ==, "web-tier-web-01-disk-0");
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.volumes[1].persistentVolumeClaim.claimName"),
	    ==, "web-tier-web-01-disk-1");
	g_assert_false(has(target->vm, "$.spec.template.spec.volumes[*].dataVolume"));
	if (!require_schemas())
		return;
	assert_target_valid(target);
	for (guint i = 0; i < target->disks->len; i++) {
		FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, i);
		g_autoptr(JsonNode) spec = at(disk->claim, "$.spec");
		ferry_test_schemas_assert_valid(schemas.kubevirt,
						"k8s.io.api.core.v1.PersistentVolumeClaimSpec", spec);
	}
}

/* direct LUNs (vm_spec luns[]): a static PV naming the LUN (iSCSI, or Fibre
 * Channel by WWID), Block, ReadWriteMany, Retain, no storage class, pre-bound
 * to a claim of the same size; the VM attaches the claim as a lun device
 * after the copied disks; a malformed LUN is refused naming its member */
static void
test_direct_luns(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
	    "{\"name\": \"db-01\", \"namespace\": \"migrated\", \"plan\": \"db-tier\","
	    " \"migration\": \"mig-1\", \"memoryMiB\": 2048,"
	    " \"source\": {\"vm\": {\"id\": \"vm-7\", \"name\": \"db-01\"}},"
	    " \"disks\": [{\"id\": \"disk-1\", \"capacity\": 1073741824, \"name\": \"db-01-disk-0\"}],"
	    " \"luns\": [{\"id\": \"lun-a\", \"capacity\": 10737418240, \"bus\": \"scsi\","
	    "              \"volumeName\": \"vol-1\","
	    "              \"iscsi\": {\"targetPortal\": \"192.0.2.10:3260\","
	    "                          \"iqn\": \"iqn.2026-01.org.example:lun1\", \"lun\": 1}},"
	    "             {\"id\": \"lun-b\", \"capacity\": 5368709120,"
	    "              \"fc\": {\"wwids\": [\"36001405f1b2c3d4e5f60718293a4b5c6\"]}}]}");
	FerryKubevirtLun *iscsi;
	FerryKubevirtLun *fc;

	g_assert_cmpuint(target->luns->len, ==, 2);
	iscsi = g_ptr_array_index(target->luns, 0);
	fc = g_ptr_array_index(target->luns, 1);
	g_assert_cmpstr(iscsi->name, ==, "lun-a");
	g_assert_cmpstr(iscsi->pv_name, ==, "migrated-lun-a");
	g_assert_cmpstr(at_string(iscsi->volume, "$.kind"), ==, "PersistentVolume");
	g_assert_false(has(iscsi->volume, "$.metadata.namespace"));
	g_assert_cmpstr(at_string(iscsi->volume, "$.metadata.labels.vmID"), ==, "vm-7");
	g_assert_cmpstr(at_string(iscsi->volume, "$.metadata.labels.volume"), ==, "lun-a");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.iscsi.targetPortal"), ==,
			"192.0.2.10:3260");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.iscsi.iqn"), ==,
			"iqn.2026-01.org.example:lun1");
	g_assert_cmpint(at_int(iscsi->volume, "$.spec.iscsi.lun"), ==, 1);
	g_assert_false(has(iscsi->volume, "$.spec.fc"));
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.capacity.storage"), ==, "10Gi");
	g_assert_cmpstr(at_json(iscsi->volume, "$.spec.accessModes"), ==, "[\"ReadWriteMany\"]");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.volumeMode"), ==, "Block");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.persistentVolumeReclaimPolicy"), ==,
			"Retain");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.storageClassName"), ==, "");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.claimRef.namespace"), ==, "migrated");
	g_assert_cmpstr(at_string(iscsi->volume, "$.spec.claimRef.name"), ==, "lun-a");
	g_assert_cmpstr(at_string(iscsi->claim, "$.metadata.namespace"), ==, "migrated");
	g_assert_cmpstr(at_string(iscsi->claim, "$.spec.volumeName"), ==, "migrated-lun-a");
	g_assert_cmpstr(at_string(iscsi->claim, "$.spec.storageClassName"), ==, "");
	g_assert_cmpstr(at_string(iscsi->claim, "$.spec.volumeMode"), ==, "Block");
	g_assert_cmpstr(at_string(iscsi->claim, "$.spec.resources.requests.storage"), ==, "10Gi");
	g_assert_cmpstr(at_string(iscsi->claim, "$.metadata.annotations.lun"), ==, "true");
	g_assert_cmpstr(at_json(fc->volume, "$.spec.fc.wwids"), ==,
			"[\"36001405f1b2c3d4e5f60718293a4b5c6\"]");
	g_assert_false(has(fc->volume, "$.spec.iscsi"));
	g_assert_cmpstr(at_string(fc->volume, "$.spec.capacity.storage"), ==, "5Gi");

	/* the VM: the copied disk first, then the LUNs as lun devices */
	ferry_kubevirt_target_use_claims(target);
	g_assert_cmpuint(at_length(target->vm, "$.spec.template.spec.domain.devices.disks"), ==,
			 3);
	g_assert_cmpstr(at_string(target->vm, "$.spec.template.spec.domain.devices.disks[1].name"),
			==, "vol-1");
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.domain.devices.disks[1].lun.bus"), ==,
	    "scsi");
	g_assert_cmpstr(at_string(target->vm, "$.spec.template.spec.domain.devices.disks[2].name"),
			==, "vol-2");
	g_assert_false(has(target->vm, "$.spec.template.spec.domain.devices.disks[1].disk"));
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.volumes[1].persistentVolumeClaim.claimName"),
	    ==, "lun-a");
	g_assert_cmpstr(
	    at_string(target->vm, "$.spec.template.spec.volumes[2].persistentVolumeClaim.claimName"),
	    ==, "lun-b");
	if (require_schemas())
		assert_target_valid(target);
}

static void
test_validator_rejects(void)
{
	const struct {
		Mutation mutate;
		const char *problem;
	} cases[] = {
	    {mutate_cores_string, ".spec.template.spec.domain.cpu.cores: expected integer, got "
				  "string"},
	    {mutate_unknown_member, ".spec.template.spec.domain.cpu: unknown member 'thread'"},
	    {mutate_missing_template, ".spec: the required member 'template' is missing"},
	    {mutate_bad_quantity, ".spec.template.spec.domain.memory.guest: '64 MiB' is not a "
				  "quantity"},
	    {mutate_interface_without_name, ".spec.template.spec.domain.devices.interfaces[0]: "
					    "the required member 'name' is missing"},
	    {mutate_label_not_string, ".spec.template.metadata.labels.app: expected string, got "
				      "integer"},
	    {mutate_int32_overflow, "bootOrder: 1099511627776 does not fit in int32"},
	};

	if (!require_schemas())
		return;
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonNode) vm = valid_vm();
		g_autoptr(GPtrArray) problems = NULL;
		g_autofree char *text = NULL;

		problems =
			ferry_openapi_validator_validate(schemas.kubevirt, "v1.VirtualMachine", vm);
		g_assert_cmpuint(problems->len, ==, 0);
		g_ptr_array_unref(g_steal_pointer(&problems));
		cases[i].mutate(json_node_get_object(vm));
		problems =
			ferry_openapi_validator_validate(schemas.kubevirt, "v1.VirtualMachine", vm);
		text = ferry_openapi_validator_describe(problems);
		if (strstr(text, cases[i].problem) == NULL)
			g_error("case %u: expected '%s' in:%s", i, cases[i].problem, text);
	}
}

static void
test_validator_data_volume_crd(void)
{
	g_autoptr(FerryKubevirtTarget) target = build(
	    "{\"name\": \"v\", \"namespace\": \"ns\", \"memoryMiB\": 64,"
	    " \"disks\": [{\"capacity\": 1048576, \"name\": \"v-disk-0\","
	    "              \"accessMode\": \"ReadWriteOnce\"}]}");
	FerryKubevirtDisk *disk = g_ptr_array_index(target->disks, 0);
	JsonObject *storage;
	g_autoptr(GPtrArray) crd_problems = NULL;
	g_autoptr(GPtrArray) swagger_problems = NULL;
	g_autofree char *crd_text = NULL;
	g_autofree char *swagger_text = NULL;

	if (!require_schemas())
		return;
	storage = json_object_get_object_member(
	    json_object_get_object_member(json_node_get_object(disk->data_volume), "spec"),
	    "storage");
	json_object_set_string_member(
	    json_object_get_object_member(json_object_get_object_member(storage, "resources"),
					  "requests"),
	    "storage", "lots");
	json_array_add_string_element(json_object_get_array_member(storage, "accessModes"),
				      "ReadWriteSometimes");
	json_object_set_string_member(storage, "size", "1Gi");
	crd_problems = ferry_openapi_validator_validate(schemas.cdi_crd, NULL, disk->data_volume);
	swagger_problems =
	    ferry_openapi_validator_validate(schemas.cdi, "v1beta1.DataVolume", disk->data_volume);
	crd_text = ferry_openapi_validator_describe(crd_problems);
	swagger_text = ferry_openapi_validator_describe(swagger_problems);
	/* the CRD schema has the quantity pattern, the swagger the access mode enum */
	g_assert_nonnull(strstr(crd_text, ".spec.storage.resources.requests.storage"));
	g_assert_nonnull(strstr(crd_text, ".spec.storage: unknown member 'size'"));
	g_assert_nonnull(
		strstr(swagger_text,
		       ".spec.storage.accessModes[1]: \"ReadWriteSometimes\" is not one of"));
	g_assert_nonnull(strstr(swagger_text, ".spec.storage: unknown member 'size'"));
}

/* virt-v2v's -o kubevirt output (as Forklift keeps it) puts members where KubeVirt has none */
static void
test_validator_third_party(void)
{
	g_autofree char *path =
		ferry_test_testdata_path("forklift-examples", "pkg", "controller", "plan", "util",
					 "testdata", "new_format_efi.yml", NULL);
	g_autoptr(JsonNode) vm = NULL;
	g_autoptr(GPtrArray) problems = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	if (!require_schemas())
		return;
	vm = ferry_test_yaml_load_file(path, &error);
	g_assert_no_error(error);
	problems = ferry_openapi_validator_validate(schemas.kubevirt, "v1.VirtualMachine", vm);
	text = ferry_openapi_validator_describe(problems);
	g_test_message("problems:%s", text);
	g_assert_nonnull(strstr(text, ".spec.template.spec.domain.cpu: unknown member 'thread'"));
	g_assert_nonnull(
	    strstr(text, ".spec.template.spec.domain.resources: unknown member 'clock'"));
	g_assert_nonnull(
	    strstr(text, ".spec.template.spec.domain.resources: unknown member 'features'"));
	g_assert_nonnull(strstr(text, ".spec.template.spec.domain: the required member 'devices' "
				      "is missing"));
	/* and nothing else: the rest of that file is valid */
	g_assert_cmpuint(problems->len, ==, 4);
}

int
main(int argc, char **argv)
{
	int status;

	g_test_init(&argc, &argv, NULL);
	have_schemas = ferry_test_schemas_load(&schemas);
	g_test_add_func("/kubevirt/sizing/request-size", test_request_size);
	g_test_add_func("/kubevirt/sizing/quantities", test_quantities);
	g_test_add_func("/kubevirt/names", test_names);
	g_test_add_func("/kubevirt/manifest/bios-minimal", test_bios_minimal);
	g_test_add_func("/kubevirt/manifest/efi-secure-boot-networks",
			test_efi_secure_boot_networks);
	g_test_add_func("/kubevirt/manifest/raw-copy-compatibility", test_raw_copy_compatibility);
	g_test_add_func("/kubevirt/manifest/scheduling", test_scheduling);
	g_test_add_func("/kubevirt/manifest/invalid-specs", test_invalid_specs);
	g_test_add_func("/kubevirt/manifest/cluster-claims", test_cluster_claims);
	g_test_add_func("/kubevirt/manifest/direct-luns", test_direct_luns);
	g_test_add_func("/kubevirt/yaml/quoting", test_yaml_quoting);
	g_test_add_func("/kubevirt/validator/rejects", test_validator_rejects);
	g_test_add_func("/kubevirt/validator/data-volume-crd", test_validator_data_volume_crd);
	g_test_add_func("/kubevirt/validator/third-party", test_validator_third_party);
	status = g_test_run();
	ferry_test_schemas_clear(&schemas);
	return status;
}
