/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The OVF parser over every descriptor of ../shared/testdata/ovf: real
 * VMware and VirtualBox exports and ovftool's conformance suite (`Neg`
 * folders must be rejected), plus the expected values of known exports
 * and hand-made hostile descriptors.
 */

#include <ferry.h>
#include <string.h>

#include "ferry-ova-ovf.h"

/* ovftool Neg cases whose fault is not in the descriptor, so no descriptor
 * parser can see it; Ferry catches what applies to it at open_disk */
static const struct {
	const char *suffix;
	const char *reason;
} neg_outside_descriptor[] = {
    {"DigitalCertificates/Neg/valid_certificate.ovf", "the fault is in the .cert signature"},
    {"DiskSection/Neg/invalid_createType_disk.ovf", "the fault is in the VMDK header"},
    {"DiskSection/Neg/invalid_delta_reference_disk.ovf", "the fault is in the VMDK header"},
    {"DiskSection_1_0/Neg/invalid_createType_disk.ovf", "the fault is in the VMDK header"},
    {"DiskSection_1_0/Neg/invalid_delta_reference_disk.ovf", "the fault is in the VMDK header"},
    {"DiskSection/Neg/no_format.ovf", "the format is probed from the disk, as virt-v2v does; "
				      "real exports omit it"},
    {"DiskSection_1_0/Neg/no_format.ovf", "the format is probed from the disk"},
    {"Envelope/Neg/identity_compression.ovf", "differs from its Pos twin only in the name of "
					      "the namespace prefix"},
    {"VirtualHardware/Neg/empty_system.ovf", "differs from its Pos twin only in the name of "
					     "the namespace prefix"},
    {"Envelope/Neg/invalid_no_version.ovf", "the fault is in the referenced dummy.vmdk"},
    {"Envelope_1_0/Neg/invalid_no_version.ovf", "the fault is in the referenced dummy.vmdk"},
    {"Envelope/Neg/invalid_ref_size_null.ovf", "same as Pos valid_vmdk_no_size but for the "
					       "referenced disk"},
    {"Envelope_1_0/Neg/invalid_ref_size_null.ovf", "the fault is in the referenced disk"},
    {"HttpLocators/Neg/valid_no_disk.ovf", "the disk is missing on the HTTP server"},
    {"HttpLocators/Neg/valid_no_disk_in_server.ovf", "the disk is missing on the HTTP server"},
    {"HttpLocators_1_0/Neg/valid_no_disk_in_server.ovf", "the disk is missing on the server"},
    {"Options/Neg/nvm001.ovf", "byte-identical to DiskMode/Pos/nvm001.ovf: the fault is in "
			       "the ovftool options the suite passes"},
};

/* descriptors outside the Neg folders that are refused, and why */
static const struct {
	const char *suffix;
	const char *expected;
} rejected[] = {
    {"govmomi/empty.ovf", "no VirtualSystem"},
    {"ImportOvf2014/invalid.ovf", "VirtualSystem has no ovf:id"},
    {"VirtualHardware_1_0/Pos/item_msgid.ovf", "Namespace prefix ovfstr"},
    {"VirtualHardware_1_0/Pos/item_msgid_elename.ovf", "Namespace prefix ovfstr"},
    {"OVFToolTemplates/ovftoolresources/item_msgid.ovf", "Namespace prefix ovfstr"},
    {"OVFToolTemplates/ovftoolresources/item_msgid_elename.ovf", "Namespace prefix ovfstr"},
    {"external/ovftoolresources/item_msgid.ovf", "Namespace prefix ovfstr"},
    {"external/ovftoolresources/item_msgid_elename.ovf", "Namespace prefix ovfstr"},
    {"ovftoolresources/bare_minimal.ovf", "has no Info"},
    {"ovfperforce/yVM/yVM.ovf", "0 bytes long"},
};

static char *
testdata_dir(void)
{
	const char *dir = g_getenv("FERRY_TESTDATA_DIR");
	g_autofree char *ovf = NULL;
	if (dir == NULL)
		return NULL;
	ovf = g_build_filename(dir, "ovf", NULL);
	return g_file_test(ovf, G_FILE_TEST_IS_DIR) ? g_steal_pointer(&ovf) : NULL;
}

static gboolean
have_testdata(void)
{
	g_autofree char *dir = testdata_dir();
	if (dir != NULL)
		return TRUE;
	if (g_strcmp0(g_getenv("CI"), "true") == 0)
		g_error("../shared/testdata/ovf is missing");
	g_test_skip("../shared/testdata/ovf is not there (FERRY_TESTDATA_DIR)");
	return FALSE;
}

static void
collect(const char *path, GPtrArray *found)
{
	g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *child = g_build_filename(path, name, NULL);
		if (g_file_test(child, G_FILE_TEST_IS_DIR))
			collect(child, found);
		else if (g_str_has_suffix(name, ".ovf"))
			g_ptr_array_add(found, g_steal_pointer(&child));
	}
}

static JsonObject *
parse_file(const char *path, GError **error)
{
	g_autofree char *data = NULL;
	gsize length = 0;
	g_assert_true(g_file_get_contents(path, &data, &length, NULL));
	return ferry_ova_ovf_parse(data, length, path, error);
}

static JsonObject *
parse_testdata(const char *relative)
{
	g_autofree char *dir = testdata_dir();
	g_autofree char *path = g_build_filename(dir, relative, NULL);
	g_autoptr(GError) error = NULL;
	JsonObject *envelope = parse_file(path, &error);
	g_assert_no_error(error);
	return envelope;
}

/* VirtualSystem elements in a descriptor, outside comments */
static guint
count_virtual_systems(const char *path)
{
	g_autofree char *text = NULL;
	g_autoptr(GRegex) comments = g_regex_new("<!--.*?-->", G_REGEX_DOTALL, 0, NULL);
	/* OVF 0.9 writes <Content xsi:type="ovf:VirtualSystem_Type"> */
	g_autoptr(GRegex) systems = g_regex_new(
	    "<([A-Za-z0-9_]+:)?VirtualSystem[\\s>]|[:\"]VirtualSystem_Type\"", 0, 0, NULL);
	g_autofree char *bare = NULL;
	g_autoptr(GMatchInfo) match = NULL;
	guint n = 0;

	g_assert_true(g_file_get_contents(path, &text, NULL, NULL));
	bare = g_regex_replace_literal(comments, text, -1, 0, "", 0, NULL);
	g_regex_match(systems, bare, 0, &match);
	while (g_match_info_matches(match)) {
		n++;
		g_match_info_next(match, NULL);
	}
	return n;
}

static void
test_corpus(void)
{
	g_autofree char *dir = testdata_dir();
	g_autoptr(GPtrArray) found = g_ptr_array_new_with_free_func(g_free);
	guint parsed = 0;
	guint refused = 0;

	if (dir == NULL) {
		if (g_strcmp0(g_getenv("CI"), "true") == 0)
			g_error("../shared/testdata/ovf is missing");
		g_test_skip("../shared/testdata/ovf is not there (FERRY_TESTDATA_DIR)");
		return;
	}
	collect(dir, found);
	g_assert_cmpuint(found->len, >, 400);
	for (guint i = 0; i < found->len; i++) {
		const char *path = g_ptr_array_index(found, i);
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) envelope = parse_file(path, &error);
		gboolean negative = strstr(path, "/Neg/") != NULL;
		const char *outside = NULL;
		const char *expected = NULL;

		for (guint j = 0; j < G_N_ELEMENTS(neg_outside_descriptor); j++) {
			if (g_str_has_suffix(path, neg_outside_descriptor[j].suffix))
				outside = neg_outside_descriptor[j].reason;
		}
		for (guint j = 0; j < G_N_ELEMENTS(rejected); j++) {
			if (g_str_has_suffix(path, rejected[j].suffix))
				expected = rejected[j].expected;
		}
		/* a descriptor with no VirtualSystem anywhere (an empty
		 * collection) is refused with the reason */
		if (!negative && expected == NULL && count_virtual_systems(path) == 0)
			expected = "no VirtualSystem";
		if ((negative && outside == NULL) || expected != NULL) {
			if (envelope != NULL)
				g_error("%s was accepted but must be refused", path);
			g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
			/* the reason names the file and a line */
			g_assert_true(g_str_has_prefix(error->message, path));
			if (expected != NULL && strstr(error->message, expected) == NULL)
				g_error("%s: expected \"%s\" in: %s", path, expected,
					error->message);
			refused++;
			continue;
		}
		if (envelope == NULL)
			g_error("%s was refused: %s", path, error->message);
		g_assert_nonnull(json_object_get_array_member(envelope, "virtualSystems"));
		/* every VirtualSystem is listed, those in collections (vApps,
		 * nested ones) too, with its collection as its folder */
		{
			guint expected_vms = count_virtual_systems(path);
			JsonArray *systems = json_object_get_array_member(envelope, "virtualSystems");
			if (json_array_get_length(systems) != expected_vms)
				g_error("%s has %u VirtualSystems but %u were listed", path,
					expected_vms, json_array_get_length(systems));
			if (strstr(path, "vApp_with_2vms") != NULL) {
				JsonObject *vm = json_array_get_object_element(systems, 0);
				g_assert_cmpstr(json_object_get_string_member_with_default(
						    vm, "folder", NULL),
						==, "sql2k5-win-2k3-32-ent-sp2-ovf");
			}
		}
		parsed++;
	}
	g_test_message("%u descriptors parsed, %u refused", parsed, refused);
	g_assert_cmpuint(refused, >=, 80);
}

static JsonObject *
first_vm(JsonObject *envelope)
{
	return json_array_get_object_element(json_object_get_array_member(envelope,
									  "virtualSystems"),
					     0);
}

static void
test_vmware_export(void)
{
	g_autoptr(JsonObject) envelope = NULL;
	JsonObject *vm;
	JsonObject *disk;
	JsonObject *nic;

	if (!have_testdata())
		return;
	/* the OVF virt-v2v's -i ova tests use; its expected libvirt XML says
	 * TestOva, 2 GiB, 1 vCPU, one 32 GiB disk, one NIC on "VM Network" */
	envelope = parse_testdata("virt-v2v/tests/test-i-ova.ovf");
	g_assert_cmpstr(json_object_get_string_member(envelope, "exportSource"), ==, "VMware");
	vm = first_vm(envelope);
	g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, "TestOva");
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 2048);
	g_assert_cmpstr(json_object_get_string_member(vm, "osType"), ==, "windows7_64Guest");
	g_assert_cmpstr(json_object_get_string_member(vm, "firmware"), ==, "bios");
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, G_GINT64_CONSTANT(32) << 30);
	g_assert_cmpstr(json_object_get_string_member(disk, "capacityAllocationUnits"), ==,
			"byte * 2^30");
	g_assert_cmpint(json_object_get_int_member(disk, "populatedSize"), ==, 1008926720);
	g_assert_cmpstr(json_object_get_string_member(disk, "filePath"), ==, "test-ova.vmdk");
	g_assert_true(g_str_has_suffix(json_object_get_string_member(disk, "format"),
				       "#streamOptimized"));
	g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "scsi");
	nic = json_array_get_object_element(json_object_get_array_member(vm, "nics"), 0);
	g_assert_cmpstr(json_object_get_string_member(nic, "network"), ==, "VM Network");
	g_assert_cmpstr(json_object_get_string_member(nic, "model"), ==, "E1000");
	g_clear_pointer(&envelope, json_object_unref);

	/* an EFI export with secure boot and two cores per socket */
	envelope = parse_testdata("govmomi/external/win19/win19.ovf");
	vm = first_vm(envelope);
	g_assert_cmpstr(json_object_get_string_member(vm, "firmware"), ==, "efi");
	g_assert_true(json_object_get_boolean_member(vm, "secureBoot"));
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(vm, "coresPerSocket"), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(vm, "osType"), ==, "windows2019srv_64Guest");
	nic = json_array_get_object_element(json_object_get_array_member(vm, "nics"), 0);
	g_assert_cmpstr(json_object_get_string_member(nic, "model"), ==, "E1000E");
	g_clear_pointer(&envelope, json_object_unref);

	/* a vApp: one VM per VirtualSystem of the collection */
	envelope = parse_testdata("govmomi/external/Alpha-demo/vApp_with_2vms/vApp_with_2vms.ovf");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(envelope,
									   "virtualSystems")),
			 ==, 2);
}

static void
test_virtualbox_export(void)
{
	g_autoptr(JsonObject) envelope = NULL;
	JsonObject *vm;
	JsonObject *disk;
	JsonObject *nic;

	if (!have_testdata())
		return;
	envelope = parse_testdata("govmomi/external/OVFToolTemplates/OVF/xmltestfiles/LaxMode/"
				  "Pos/vbox1_default_vm/vbox1.ovf");
	g_assert_cmpstr(json_object_get_string_member(envelope, "exportSource"), ==, "VirtualBox");
	vm = first_vm(envelope);
	g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, "vbox1");
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 192);
	g_assert_cmpstr(json_object_get_string_member(vm, "memoryUnits"), ==, "MegaBytes");
	g_assert_cmpstr(json_object_get_string_member(vm, "osType"), ==, "WindowsXP");
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, G_GINT64_CONSTANT(10) << 30);
	g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "ide");
	g_assert_cmpint(json_object_get_int_member(disk, "controllerIndex"), ==, 1);
	nic = json_array_get_object_element(json_object_get_array_member(vm, "nics"), 0);
	g_assert_cmpstr(json_object_get_string_member(nic, "network"), ==, "NAT");
	g_assert_cmpstr(json_object_get_string_member(nic, "model"), ==, "PCNet32");
}

static void
assert_refused(const char *xml, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) envelope = ferry_ova_ovf_parse(xml, strlen(xml), "test.ovf", &error);
	g_assert_null(envelope);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	if (strstr(error->message, expected) == NULL)
		g_error("expected \"%s\" in: %s", expected, error->message);
}

/* a vApp with a nested vApp: every VM listed, its collections as its folder
 * and the innermost one as its parent */
static void
test_nested_collection(void)
{
	static const char nested[] =
	    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
	    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">"
	    "<VirtualSystemCollection ovf:id=\"shop\"><Info>vApp</Info>"
	    "<VirtualSystem ovf:id=\"front\"><Info>v</Info>"
	    "<VirtualHardwareSection><Info>h</Info></VirtualHardwareSection></VirtualSystem>"
	    "<VirtualSystemCollection ovf:id=\"backend\"><Info>inner</Info>"
	    "<VirtualSystem ovf:id=\"db\"><Info>v</Info>"
	    "<VirtualHardwareSection><Info>h</Info></VirtualHardwareSection></VirtualSystem>"
	    "<VirtualSystem ovf:id=\"cache\"><Info>v</Info>"
	    "<VirtualHardwareSection><Info>h</Info></VirtualHardwareSection></VirtualSystem>"
	    "</VirtualSystemCollection></VirtualSystemCollection></Envelope>";
	static const char empty[] =
	    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
	    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\">"
	    "<VirtualSystemCollection ovf:id=\"shop\"><Info>vApp</Info>"
	    "<VirtualSystemCollection ovf:id=\"nothing\"><Info>inner</Info>"
	    "</VirtualSystemCollection></VirtualSystemCollection></Envelope>";
	const char *const names[] = {"front", "db", "cache"};
	const char *const folders[] = {"shop", "shop/backend", "shop/backend"};
	const char *const parents[] = {"shop", "backend", "backend"};
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) envelope =
	    ferry_ova_ovf_parse(nested, sizeof nested - 1, "nested.ovf", &error);
	g_autoptr(JsonObject) none = NULL;
	JsonArray *systems;

	g_assert_no_error(error);
	systems = json_object_get_array_member(envelope, "virtualSystems");
	g_assert_cmpuint(json_array_get_length(systems), ==, 3);
	for (guint i = 0; i < 3; i++) {
		JsonObject *vm = json_array_get_object_element(systems, i);
		JsonObject *parent = json_object_get_object_member(vm, "parent");
		g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==, names[i]);
		g_assert_cmpstr(json_object_get_string_member(vm, "folder"), ==, folders[i]);
		g_assert_nonnull(parent);
		g_assert_cmpstr(json_object_get_string_member(parent, "kind"), ==,
				"VirtualSystemCollection");
		g_assert_cmpstr(json_object_get_string_member(parent, "id"), ==, parents[i]);
	}
	/* a collection with no VM in it is refused, saying so */
	none = ferry_ova_ovf_parse(empty, sizeof empty - 1, "empty.ovf", &error);
	g_assert_null(none);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "VirtualSystemCollection shop"));
	g_assert_nonnull(strstr(error->message, "no VirtualSystem"));
}

static void
test_hostile(void)
{
	g_autofree char *big = g_malloc(FERRY_OVA_OVF_MAX_SIZE + 2);
	guint64 multiplier = 0;

	assert_refused("<?xml version=\"1.0\"?><!DOCTYPE x [<!ENTITY a \"aaaa\">"
		       "<!ENTITY b \"&a;&a;&a;&a;\">]><Envelope>&b;</Envelope>",
		       "DTD");
	assert_refused("<!DOCTYPE x SYSTEM \"http://example.invalid/x.dtd\"><Envelope/>", "DTD");
	assert_refused("<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\"><References>",
		       "well-formed");
	assert_refused("<x:Envelope/>", "well-formed");
	assert_refused("<Envelope xmlns=\"urn:other\"/>", "namespace");
	memset(big, ' ', FERRY_OVA_OVF_MAX_SIZE + 1);
	big[FERRY_OVA_OVF_MAX_SIZE + 1] = '\0';
	assert_refused(big, "over the limit");
	/* sizes that overflow 64 bits */
	assert_refused("<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
		       "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\"><References>"
		       "<File ovf:id=\"f\" ovf:href=\"d.vmdk\"/></References><DiskSection>"
		       "<Disk ovf:diskId=\"d\" ovf:fileRef=\"f\" ovf:capacity=\"99999999999\" "
		       "ovf:capacityAllocationUnits=\"byte * 2^40\"/></DiskSection>"
		       "<VirtualSystem ovf:id=\"v\"><Info/><VirtualHardwareSection/>"
		       "</VirtualSystem></Envelope>",
		       "too large");
	/* split files (ovftool --chunkSize) are described, and refused later */
	{
		const char *chunked =
		    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
		    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
		    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
		    "CIM_ResourceAllocationSettingData\"><References>"
		    "<File ovf:id=\"f\" ovf:href=\"d.vmdk\" ovf:chunkSize=\"1048576\"/>"
		    "</References><DiskSection><Disk ovf:diskId=\"d\" ovf:fileRef=\"f\" "
		    "ovf:capacity=\"1\" ovf:capacityAllocationUnits=\"GigaBytes\"/></DiskSection>"
		    "<VirtualSystem ovf:id=\"v\"><Info/><VirtualHardwareSection>"
		    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17"
		    "</rasd:ResourceType><rasd:HostResource>ovf:/disk/d</rasd:HostResource></Item>"
		    "</VirtualHardwareSection></VirtualSystem></Envelope>";
		g_autoptr(GError) error = NULL;
		g_autoptr(JsonObject) envelope =
		    ferry_ova_ovf_parse(chunked, strlen(chunked), "chunked.ovf", &error);
		JsonObject *disk;
		g_assert_no_error(error);
		disk = json_array_get_object_element(
		    json_object_get_array_member(first_vm(envelope), "disks"), 0);
		g_assert_cmpint(json_object_get_int_member(disk, "chunkSize"), ==, 1 << 20);
		g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, 1 << 30);
	}
	g_assert_true(ferry_ova_parse_allocation_units("byte * 2^20", &multiplier));
	g_assert_cmpuint(multiplier, ==, 1 << 20);
	g_assert_true(ferry_ova_parse_allocation_units("GigaBytes", &multiplier));
	g_assert_cmpuint(multiplier, ==, 1 << 30);
	g_assert_true(ferry_ova_parse_allocation_units("byte*10^3", &multiplier));
	g_assert_cmpuint(multiplier, ==, 1000);
	g_assert_false(ferry_ova_parse_allocation_units("hertz * 10^6", &multiplier));
	g_assert_false(ferry_ova_parse_allocation_units("byte * 2^64", &multiplier));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ova/ovf/corpus", test_corpus);
	g_test_add_func("/ova/ovf/vmware-export", test_vmware_export);
	g_test_add_func("/ova/ovf/virtualbox-export", test_virtualbox_export);
	g_test_add_func("/ova/ovf/hostile", test_hostile);
	g_test_add_func("/ova/ovf/nested-collection", test_nested_collection);
	return g_test_run();
}
