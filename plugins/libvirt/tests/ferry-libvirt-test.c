/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The libvirt destination loaded as a plugin, against libvirt's in-process
 * test driver (test:///default, no daemon): connect errors, disks prepared
 * twice, domains defined from several VM descriptions and read back through
 * libvirt's API, power on, removal, and a boot check that cannot succeed.
 * The test also opens test:///default itself; every connection of a
 * process shares that driver's state.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "ferry-libvirt-test-util.h"
#include <sys/stat.h>

#include "ferry-libvirt-domain.h"

#define MIB (G_GUINT64_CONSTANT(1) << 20)

typedef struct {
	char *tmp;
	FerryPluginRegistry *registry;
	FerryProvider *provider;
	virConnectPtr conn;
} Fixture;

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	fixture->tmp = g_dir_make_tmp("ferry-libvirt-test-XXXXXX", &error);
	g_assert_no_error(error);
	fixture->registry = ferry_plugin_registry_new();
	g_assert_true(ferry_plugin_registry_load(fixture->registry, &error));
	g_assert_no_error(error);
	fixture->provider =
	    ferry_plugin_registry_create_provider(fixture->registry, "libvirt", &error);
	g_assert_no_error(error);
	fixture->conn = ferry_libvirt_test_open("test:///default");
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_object(&fixture->provider);
	g_clear_object(&fixture->registry);
	virConnectClose(fixture->conn);
	ferry_files_remove_tree(fixture->tmp, NULL);
	g_free(fixture->tmp);
}

static FerryProviderConfig *
make_config(const char *url, const char *const *settings)
{
	FerryProviderConfig *config = ferry_provider_config_new("libvirt", "ferry", "host");
	ferry_provider_config_set_url(config, url);
	for (guint i = 0; settings != NULL && settings[i] != NULL; i += 2)
		ferry_provider_config_set_setting(config, settings[i], settings[i + 1]);
	return config;
}

static void
connect_test_driver(Fixture *fixture)
{
	const char *settings[] = {"storageDir", fixture->tmp, NULL};
	g_autoptr(FerryProviderConfig) config = make_config("test:///default", settings);
	g_autoptr(GError) error = NULL;
	g_assert_true(ferry_provider_connect(fixture->provider, config, NULL, &error));
	g_assert_no_error(error);
}

/* the domain's XML as libvirt keeps it, or NULL when it is not defined */
static char *
domain_xml(Fixture *fixture, const char *name)
{
	virDomainPtr domain = virDomainLookupByName(fixture->conn, name);
	char *xml;
	char *copy;
	if (domain == NULL)
		return NULL;
	xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
	copy = g_strdup(xml);
	free(xml);
	virDomainFree(domain);
	return copy;
}

static void
assert_xpath(const char *xml, const char *xpath, const char *expected)
{
	g_autofree char *value = ferry_libvirt_xml_get(xml, xpath);
	if (g_strcmp0(value, expected) != 0)
		g_error("%s: expected '%s', found '%s' in\n%s", xpath, expected, value, xml);
}

/* prepares every disk and writes a byte into each, as a copy would */
static GPtrArray *
prepare_disks(Fixture *fixture, JsonObject *spec, guint count)
{
	GPtrArray *disks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < count; i++) {
		g_autoptr(GError) error = NULL;
		FerryDiskEndpoint *endpoint =
		    ferry_provider_prepare_disk(fixture->provider, spec, i, NULL, &error);
		g_assert_no_error(error);
		g_assert_nonnull(ferry_disk_endpoint_get_path(endpoint));
		g_ptr_array_add(disks, endpoint);
	}
	return disks;
}

static const char *const multi_spec =
    "{\"name\": \"web-01\", \"namespace\": \"migrated\", \"plan\": \"web-tier\","
    " \"source\": {\"provider\": \"vsphere\", \"type\": \"vsphere\", \"vm\": {\"id\": \"vm-42\"}},"
    " \"cpu\": {\"sockets\": 2, \"cores\": 2, \"threads\": 1}, \"memoryMiB\": 2048,"
    " \"firmware\": {\"type\": \"bios\"},"
    " \"disks\": [{\"id\": \"disk-2000\", \"name\": \"web-01-disk-0\", \"capacity\": 2097152},"
    "            {\"id\": \"disk-2001\", \"name\": \"web-01-disk-1\", \"capacity\": 1048576,"
    "             \"bus\": \"sata\"}],"
    " \"nics\": [{\"mac\": \"00:50:56:A1:00:01\", \"network\": {\"type\": \"pod\"}},"
    "           {\"mac\": \"00:50:56:a1:00:02\", \"network\": {\"type\": \"multus\","
    "            \"name\": \"ferry/default\"}, \"model\": \"e1000e\"},"
    "           {\"mac\": \"00:50:56:a1:00:03\", \"network\": {\"type\": \"ignored\"}}],"
    " \"targetPowerState\": \"off\", \"labels\": {\"app\": \"web\"}}";

/* --- connect --- */

static void
test_connect_errors(Fixture *fixture, gconstpointer data)
{
	struct {
		const char *url;
		const char *settings[3];
		FerryError code;
		const char *message;
	} cases[] = {
		{"", {NULL}, FERRY_ERROR_INVALID_ARGUMENT, "is not a libvirt URI (UrlNotValid)"},
		{"qemu+unix://admin:s3cret-pw@/system?socket=/nonexistent/sock",
		 {NULL},
		 FERRY_ERROR_CONNECTION_FAILED,
		 "cannot connect to qemu+unix://admin@/system?socket=/nonexistent/sock"},
		{"qemu+unix:///system?socket=/nonexistent/libvirt-sock",
		 {NULL},
		 FERRY_ERROR_CONNECTION_FAILED,
		 "Provider/ferry/host: cannot connect to qemu+unix:///system?socket=/nonexistent/"},
		{"test:///default",
		 {"storageDir", "relative/dir"},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.settings.storageDir 'relative/dir' is not an absolute path"},
		{"test:///default",
		 {"domainType", "xen"},
		 FERRY_ERROR_INVALID_ARGUMENT,
		 "spec.settings.domainType 'xen' is not supported"},
		{"test:///default",
		 {"diskFormat", "vmdk"},
		 FERRY_ERROR_NOT_SUPPORTED,
		 "spec.settings.diskFormat 'vmdk' is not supported; use raw or qcow2"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(FerryProviderConfig) config = make_config(cases[i].url, cases[i].settings);
		g_autoptr(GError) error = NULL;
		g_assert_false(ferry_provider_connect(fixture->provider, config, NULL, &error));
		g_assert_error(error, FERRY_ERROR, (int)cases[i].code);
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' does not contain '%s'", i, error->message,
				cases[i].message);
		if (cases[i].code == FERRY_ERROR_CONNECTION_FAILED)
			g_assert_nonnull(strstr(error->message, "start libvirtd"));
		g_assert_null(strstr(error->message, "s3cret-pw"));
	}
}

static void
test_not_connected(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(multi_spec);
	g_autoptr(GError) error = NULL;
	g_assert_null(ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
}

/* --- disks --- */

static void
test_prepare_disk(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(multi_spec);
	g_autoptr(FerryDiskEndpoint) first = NULL;
	g_autoptr(FerryDiskEndpoint) again = NULL;
	g_autoptr(FerryDiskEndpoint) written = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *path = g_build_filename(fixture->tmp, "web-01-disk-0.img", NULL);
	struct stat info;

	connect_test_driver(fixture);
	first = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_disk_endpoint_get_path(first), ==, path);
	g_assert_cmpuint(ferry_disk_endpoint_get_size(first), ==, 2 * MIB);
	g_assert_true(ferry_disk_endpoint_get_zeroed(first));
	g_assert_cmpint(g_stat(path, &info), ==, 0);
	g_assert_cmpint(info.st_size, ==, 2 * MIB);
	g_assert_cmpint(info.st_blocks, ==, 0); /* sparse */

	/* the same disk again: the same file, still known to be zero */
	again = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_disk_endpoint_get_path(again), ==, path);
	g_assert_true(ferry_disk_endpoint_get_zeroed(again));

	/* after a partial copy it is no longer zero */
	{
		FILE *file = fopen(path, "r+");
		g_assert_nonnull(file);
		fseek(file, 4096, SEEK_SET);
		fputs("data", file);
		fclose(file);
	}
	written = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(ferry_disk_endpoint_get_zeroed(written));

	/* a file of another size is not taken over */
	g_assert_cmpint(truncate(path, 12345), ==, 0);
	g_assert_null(ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
	g_assert_nonnull(strstr(error->message, "is not a 2097152-byte disk image"));
	g_clear_error(&error);

	g_assert_null(ferry_provider_prepare_disk(fixture->provider, spec, 7, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

static void
test_storage_pools(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) missing = ferry_libvirt_test_parse_spec(
	    "{\"name\": \"db\", \"disks\": [{\"name\": \"db-0\", \"capacity\": 1048576,"
	    " \"storageClass\": \"fast-ssd\"}]}");
	g_autoptr(JsonObject) pooled = NULL;
	g_autofree char *pool_dir = g_build_filename(fixture->tmp, "pool", NULL);
	g_autofree char *pool_xml = g_strdup_printf(
	    "<pool type='dir'><name>ferry-test-pool</name><target><path>%s</path></target></pool>",
	    pool_dir);
	g_autofree char *expected = g_build_filename(pool_dir, "db-0.img", NULL);
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(GError) error = NULL;
	virStoragePoolPtr pool;

	{
		/* without storageDir, a storage class that is no pool is an error */
		g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("libvirt", "ferry",
										  "host");
		ferry_provider_config_set_url(config, "test:///default");
		g_assert_true(ferry_provider_connect(fixture->provider, config, NULL, &error));
		g_assert_no_error(error);
		g_assert_null(
		    ferry_provider_prepare_disk(fixture->provider, missing, 0, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
		g_assert_nonnull(strstr(error->message, "storage pool fast-ssd"));
		g_assert_nonnull(strstr(error->message, "create the pool"));
		g_clear_error(&error);
	}
	/* with storageDir, it goes there */
	connect_test_driver(fixture);
	{
		g_autofree char *fallback = g_build_filename(fixture->tmp, "db-0.img", NULL);
		g_autoptr(FerryDiskEndpoint) disk =
		    ferry_provider_prepare_disk(fixture->provider, missing, 0, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpstr(ferry_disk_endpoint_get_path(disk), ==, fallback);
		g_assert_true(ferry_provider_remove_vm(fixture->provider, missing, NULL, &error));
		g_assert_no_error(error);
		g_assert_false(g_file_test(fallback, G_FILE_TEST_EXISTS));
	}

	/* the StorageMap's storageClass names the pool; its target path holds the file */
	pool = virStoragePoolDefineXML(fixture->conn, pool_xml, 0);
	g_assert_nonnull(pool);
	pooled = ferry_libvirt_test_parse_spec("{\"name\": \"db\", \"disks\": [{\"name\": \"db-0\", \"capacity\": "
			    "1048576, \"storageClass\": \"ferry-test-pool\"}]}");
	endpoint = ferry_provider_prepare_disk(fixture->provider, pooled, 0, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_disk_endpoint_get_path(endpoint), ==, expected);
	g_assert_true(g_file_test(expected, G_FILE_TEST_IS_REGULAR));
	g_assert_true(ferry_provider_remove_vm(fixture->provider, pooled, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(expected, G_FILE_TEST_EXISTS));
	virStoragePoolUndefine(pool);
	virStoragePoolFree(pool);
}

/* --- domains --- */

static void
test_define_bios_multi(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(multi_spec);
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *disk0 = g_build_filename(fixture->tmp, "web-01-disk-0.img", NULL);
	g_autofree char *disk1 = g_build_filename(fixture->tmp, "web-01-disk-1.img", NULL);

	connect_test_driver(fixture);
	disks = prepare_disks(fixture, spec, 2);
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(id, ==, "web-01");

	xml = domain_xml(fixture, "web-01");
	g_assert_nonnull(xml);
	assert_xpath(xml, "/domain/memory", "2097152");
	assert_xpath(xml, "/domain/vcpu", "4");
	assert_xpath(xml, "/domain/cpu/topology/@sockets", "2");
	assert_xpath(xml, "/domain/cpu/topology/@cores", "2");
	assert_xpath(xml, "/domain/cpu/topology/@threads", "1");
	assert_xpath(xml, "/domain/devices/disk[1]/source/@file", disk0);
	assert_xpath(xml, "/domain/devices/disk[1]/target/@bus", "virtio");
	assert_xpath(xml, "/domain/devices/disk[1]/target/@dev", "vda");
	assert_xpath(xml, "/domain/devices/disk[1]/serial", "disk-2000");
	assert_xpath(xml, "/domain/devices/disk[2]/source/@file", disk1);
	assert_xpath(xml, "/domain/devices/disk[2]/target/@bus", "sata");
	assert_xpath(xml, "/domain/devices/disk[2]/target/@dev", "sda");
	/* pod → the active network "default"; multus "ns/name" → network name; ignored → none */
	assert_xpath(xml, "count(/domain/devices/interface)", NULL);
	{
		g_autofree char *third = ferry_libvirt_xml_get(xml, "/domain/devices/interface[3]");
		g_assert_null(third);
	}
	assert_xpath(xml, "/domain/devices/interface[1]/mac/@address", "00:50:56:a1:00:01");
	assert_xpath(xml, "/domain/devices/interface[1]/@type", "network");
	assert_xpath(xml, "/domain/devices/interface[1]/source/@network", "default");
	assert_xpath(xml, "/domain/devices/interface[1]/model/@type", "virtio");
	assert_xpath(xml, "/domain/devices/interface[2]/mac/@address", "00:50:56:a1:00:02");
	assert_xpath(xml, "/domain/devices/interface[2]/source/@network", "default");
	assert_xpath(xml, "/domain/devices/interface[2]/model/@type", "e1000e");
	assert_xpath(xml, "/domain/devices/serial/@type", "pty");
	assert_xpath(xml, "/domain/devices/channel/target/@name", "org.qemu.guest_agent.0");
	assert_xpath(xml, "/domain/metadata/ferry:vm/@plan", "web-tier");
	assert_xpath(xml, "/domain/metadata/ferry:vm/@namespace", "migrated");
	assert_xpath(xml, "/domain/metadata/ferry:vm/@sourceVm", "vm-42");
	assert_xpath(xml, "/domain/metadata/ferry:vm/ferry:label[@key='app']/@value", "web");
	assert_xpath(xml, "/domain/metadata/ferry:vm/ferry:disk[2]/@path", disk1);
	g_assert_false(ferry_libvirt_test_domain_active(fixture->conn, "web-01"));

	/* create_vm again (a retried phase) redefines the same domain */
	g_free(id);
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);

	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
	g_assert_null(domain_xml(fixture, "web-01"));
	g_assert_false(g_file_test(disk0, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(disk1, G_FILE_TEST_EXISTS));
	/* removing what is gone is not an error */
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
}

static void
test_define_efi_powered_on(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(
	    "{\"name\": \"efi-vm\", \"plan\": \"p\", \"memoryMiB\": 512,"
	    " \"firmware\": {\"type\": \"efi\", \"secureBoot\": true},"
	    " \"disks\": [{\"name\": \"efi-vm-0\", \"capacity\": 1048576, \"bus\": \"scsi\"}],"
	    " \"targetPowerState\": \"on\"}");
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *xml = NULL;

	connect_test_driver(fixture);
	disks = prepare_disks(fixture, spec, 1);
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	xml = domain_xml(fixture, "efi-vm");
	assert_xpath(xml, "/domain/os/@firmware", "efi");
	assert_xpath(xml, "/domain/os/firmware/feature[@name='secure-boot']/@enabled", "yes");
	assert_xpath(xml, "/domain/features/smm/@state", "on");
	assert_xpath(xml, "/domain/devices/disk/target/@bus", "scsi");
	assert_xpath(xml, "/domain/devices/controller[@type='scsi']/@model", "virtio-scsi");
	g_assert_true(ferry_libvirt_test_domain_active(fixture->conn, "efi-vm"));

	/* the engine's ledger removes it after a failure: powered off and undefined */
	json_object_set_object_member(details, "vmSpec", json_object_ref(spec));
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "vm", "efi-vm", details,
						     NULL, &error));
	g_assert_no_error(error);
	g_assert_null(domain_xml(fixture, "efi-vm"));
}

static void
test_remove_disk_artifact(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(multi_spec);
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *disk0 = g_build_filename(fixture->tmp, "web-01-disk-0.img", NULL);
	g_autofree char *disk1 = g_build_filename(fixture->tmp, "web-01-disk-1.img", NULL);

	connect_test_driver(fixture);
	disks = prepare_disks(fixture, spec, 2);
	json_object_set_object_member(details, "vmSpec", json_object_ref(spec));
	json_object_set_int_member(details, "diskIndex", 1);
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "disk", "web-01-disk-1",
						     details, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(disk1, G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(disk0, G_FILE_TEST_EXISTS));
	/* without an index, the artifact id is the disk's name */
	json_object_remove_member(details, "diskIndex");
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "disk", "web-01-disk-0",
						     details, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(disk0, G_FILE_TEST_EXISTS));
	g_clear_pointer(&disks, g_ptr_array_unref);
	disks = prepare_disks(fixture, spec, 2);
	json_object_set_int_member(details, "diskIndex", 1);
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "disk", "web-01-disk-1",
						     details, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_provider_remove_artifact(fixture->provider, "disk", "web-01-disk-1",
						     details, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(ferry_provider_remove_artifact(fixture->provider, "snapshot", "s", details,
						      NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_clear_error(&error);

	/* a disk that was not written yet stops create_vm */
	g_assert_null(ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "the image of disk web-01-disk-1"));
	g_clear_error(&error);
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
}

/* raw for the copy, qcow2 for the domain: converted by create_vm, once */
static void
test_qcow2(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(
	    "{\"name\": \"q\", \"plan\": \"p\", \"disks\": [{\"name\": \"q-0\", "
	    "\"capacity\": 4194304, \"format\": \"qcow2\"}]}");
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *raw = g_build_filename(fixture->tmp, "q-0.img", NULL);
	g_autofree char *qcow2 = g_build_filename(fixture->tmp, "q-0.qcow2", NULL);
	g_autofree char *expected = g_build_filename(fixture->tmp, "expected.raw", NULL);
	g_autofree char *id = NULL;
	g_autofree char *xml = NULL;
	g_autofree char *qemu_img = g_find_program_in_path("qemu-img");
	FerryDiskEndpoint *endpoint;

	if (qemu_img == NULL) {
		g_test_skip("qemu-img is not installed (scripts/install-deps installs it)");
		return;
	}
	connect_test_driver(fixture);
	disks = prepare_disks(fixture, spec, 1);
	endpoint = g_ptr_array_index(disks, 0);
	g_assert_cmpstr(ferry_disk_endpoint_get_path(endpoint), ==, raw);
	g_assert_cmpstr(ferry_disk_endpoint_get_format(endpoint), ==, "raw");
	{
		FILE *file = fopen(raw, "r+");
		g_assert_nonnull(file);
		fseek(file, 1 << 20, SEEK_SET);
		fputs("the guest's data", file);
		fclose(file);
	}
	{
		const char *argv[] = {"cp", "--sparse=always", raw, expected, NULL};
		g_autoptr(GSubprocess) cp = g_subprocess_newv(argv, 0, &error);
		g_assert_no_error(error);
		g_assert_true(g_subprocess_wait_check(cp, NULL, &error));
	}
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(g_file_test(raw, G_FILE_TEST_EXISTS));
	xml = domain_xml(fixture, "q");
	assert_xpath(xml, "/domain/devices/disk/driver/@type", "qcow2");
	assert_xpath(xml, "/domain/devices/disk/source/@file", qcow2);
	{
		const char *argv[] = {"qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2",
				      expected, qcow2, NULL};
		g_autoptr(GSubprocess) cmp = g_subprocess_newv(argv, 0, &error);
		g_assert_no_error(error);
		g_assert_true(g_subprocess_wait_check(cmp, NULL, &error));
		g_assert_no_error(error);
	}

	/* a retried phase prepares an empty raw file again: the qcow2 image is kept */
	g_clear_pointer(&disks, g_ptr_array_unref);
	disks = prepare_disks(fixture, spec, 1);
	g_free(id);
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(g_file_test(raw, G_FILE_TEST_EXISTS));
	{
		const char *argv[] = {"qemu-img", "compare", "-q", "-f", "raw", "-F", "qcow2",
				      expected, qcow2, NULL};
		g_autoptr(GSubprocess) cmp = g_subprocess_newv(argv, 0, &error);
		g_assert_no_error(error);
		g_assert_true(g_subprocess_wait_check(cmp, NULL, &error));
		g_assert_no_error(error);
	}
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(qcow2, G_FILE_TEST_EXISTS));
	g_unlink(expected);
}

static void
test_create_errors(Fixture *fixture, gconstpointer data)
{
	struct {
		const char *spec;
		FerryError code;
		const char *message;
	} cases[] = {
		{"{\"name\": \"a/b\"}", FERRY_ERROR_INVALID_DATA,
		 "the VM name 'a/b' is not usable on libvirt"},
		{"{\"name\": \"-x\"}", FERRY_ERROR_INVALID_DATA, "not start with '.' or '-'"},
		{"{\"name\": \"ok\", \"disks\": [{\"name\": \"../etc\", \"capacity\": 1}]}",
		 FERRY_ERROR_INVALID_DATA, "the name of disk 0 '../etc' is not usable"},
		{"{\"name\": \"ok\", \"disks\": [{\"name\": \"d\", \"capacity\": 1, \"bus\": "
		 "\"floppy\"}]}",
		 FERRY_ERROR_NOT_SUPPORTED, "has bus 'floppy'"},
		{"{\"name\": \"ok\", \"firmware\": {\"type\": \"openfirmware\"}}",
		 FERRY_ERROR_NOT_SUPPORTED, "firmware type 'openfirmware' is not supported"},
		{"{\"name\": \"ok\", \"nics\": [{\"mac\": \"zz\", \"network\": {\"type\": "
		 "\"pod\"}}]}",
		 FERRY_ERROR_INVALID_DATA, "MAC address 'zz'"},
		{"{\"name\": \"ok\", \"cpu\": {\"cores\": -2}}", FERRY_ERROR_INVALID_DATA,
		 "cpu.cores must be a non-negative whole number"},
		{"{\"name\": \"ok\", \"nics\": [{\"network\": {\"type\": \"multus\", \"name\": "
		 "\"ns/lab-net\"}}]}",
		 FERRY_ERROR_NOT_FOUND, "the libvirt network lab-net"},
		/* the test driver's own domain "test" is not Ferry's */
		{"{\"name\": \"test\", \"plan\": \"p\"}", FERRY_ERROR_EXISTS,
		 "a domain named test already exists on test:///default and was not defined by "
		 "Ferry"},
	};

	connect_test_driver(fixture);
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(cases[i].spec);
		g_autoptr(GPtrArray) disks = g_ptr_array_new();
		g_autoptr(GError) error = NULL;
		g_autofree char *id =
		    ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
		g_assert_null(id);
		g_assert_error(error, FERRY_ERROR, (int)cases[i].code);
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' does not contain '%s'", i, error->message,
				cases[i].message);
	}
	/* and remove_vm leaves a domain Ferry did not define alone */
	{
		g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec("{\"name\": \"test\"}");
		g_autoptr(GError) error = NULL;
		g_autofree char *xml = NULL;
		g_assert_false(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
		xml = domain_xml(fixture, "test");
		g_assert_nonnull(xml);
	}
}

/* --- boot check --- */

static void
test_verify_cannot_boot(Fixture *fixture, gconstpointer data)
{
	g_autoptr(JsonObject) spec = ferry_libvirt_test_parse_spec(
	    "{\"name\": \"check-me\", \"plan\": \"p\","
	    " \"disks\": [{\"name\": \"check-me-0\", \"capacity\": 1048576}],"
	    " \"targetPowerState\": \"off\"}");
	g_autoptr(JsonObject) options = json_object_new();
	g_autoptr(JsonObject) bad_marker = json_object_new();
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *log = g_build_filename(fixture->tmp, "check-me.console.log", NULL);

	connect_test_driver(fixture);
	g_assert_true(ferry_provider_can_verify_vm(fixture->provider));
	result = ferry_provider_verify_vm(fixture->provider, "check-me", spec, options, NULL,
					  &error);
	g_assert_null(result);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_clear_error(&error);

	disks = prepare_disks(fixture, spec, 1);
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);

	json_object_set_string_member(bad_marker, "marker", "login(");
	g_assert_null(ferry_provider_verify_vm(fixture->provider, id, spec, bad_marker, NULL,
					       &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "verifyBootMarker"));
	g_clear_error(&error);

	/* the test driver has neither a console nor a guest agent: a result, not an error */
	json_object_set_int_member(options, "timeoutSeconds", 1);
	result = ferry_provider_verify_vm(fixture->provider, id, spec, options, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(json_object_get_boolean_member(result, "booted"));
	g_assert_cmpstr(json_object_get_string_member(result, "reason"), ==, "TimedOut");
	g_assert_nonnull(strstr(json_object_get_string_member(result, "message"),
				"no 'login:' on the console"));
	g_assert_cmpstr(json_object_get_string_member(result, "consoleLog"), ==, log);
	g_assert_true(g_file_test(log, G_FILE_TEST_IS_REGULAR));
	g_assert_true(json_object_has_member(result, "consoleTail"));
	g_assert_cmpint(json_object_get_int_member(result, "seconds"), >=, 1);
	/* stopped again: the requested power state is off */
	g_assert_false(ferry_libvirt_test_domain_active(fixture->conn, id));

	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(log, G_FILE_TEST_EXISTS));
}

static void
test_console_tail(void)
{
	const char text[] = "\x1b[2J\x1b[0;1mGRUB\x1b[0m\r\nline 2\r\n\r\n\x01" "bell\xff\nlast";
	g_autofree char *all = ferry_libvirt_console_tail(text, sizeof text - 1, 20);
	g_autofree char *two = ferry_libvirt_console_tail(text, sizeof text - 1, 2);
	g_assert_cmpstr(all, ==, "GRUB\nline 2\nbell\xef\xbf\xbd\nlast");
	g_assert_cmpstr(two, ==, "bell\xef\xbf\xbd\nlast");
}

static void
test_domain_xml_user_network(void)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(FerryLibvirtTarget) target = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *xml = NULL;
	FerryLibvirtDomainOptions options = {"qemu", "q35", "x86_64", TRUE};

	g_assert_true(json_parser_load_from_data(
	    parser,
	    "{\"name\": \"n\", \"nics\": [{\"mac\": \"52:54:00:00:00:01\", \"network\": "
	    "{\"type\": \"pod\"}}], \"disks\": [{\"name\": \"n-0\", \"capacity\": 1}]}",
	    -1, NULL));
	target = ferry_libvirt_target_new(json_node_get_object(json_parser_get_root(parser)),
					  NULL, &error);
	g_assert_no_error(error);
	xml = ferry_libvirt_domain_xml(target, &options, &error);
	g_assert_no_error(error);
	/* without an active "default" network, pod means QEMU's user-mode network */
	assert_xpath(xml, "/domain/@type", "qemu");
	assert_xpath(xml, "/domain/os/type/@machine", "q35");
	assert_xpath(xml, "/domain/devices/interface/@type", "user");
	assert_xpath(xml, "/domain/devices/interface/mac/@address", "52:54:00:00:00:01");
	assert_xpath(xml, "/domain/memory/@unit", "MiB");
	assert_xpath(xml, "/domain/memory", "1024");
	g_assert_null(ferry_libvirt_xml_get(xml, "/domain/os/@firmware"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/libvirt/console-tail", test_console_tail);
	g_test_add_func("/libvirt/domain-xml/user-network", test_domain_xml_user_network);
#define ADD(path, func)                                                                          \
	g_test_add("/libvirt/" path, Fixture, NULL, fixture_set_up, func, fixture_tear_down)
	ADD("connect-errors", test_connect_errors);
	ADD("not-connected", test_not_connected);
	ADD("prepare-disk", test_prepare_disk);
	ADD("storage-pools", test_storage_pools);
	ADD("define/bios-multi", test_define_bios_multi);
	ADD("define/efi-powered-on", test_define_efi_powered_on);
	ADD("remove-disk-artifact", test_remove_disk_artifact);
	ADD("qcow2", test_qcow2);
	ADD("create-errors", test_create_errors);
	ADD("verify/cannot-boot", test_verify_cannot_boot);
#undef ADD
	return g_test_run();
}
