/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The engine's XML as Forklift's inventory documents: fakeovirt's recorded
 * answers (FERRY_SHARED_TESTDATA/ovirt-fakeovirt) and hand-written ones.
 */

#include "config.h"

#include <string.h>

#include "ferry-ovirt-inventory.h"

static xmlDoc *
load_stub(const char *path)
{
	const char *shared = g_getenv("FERRY_SHARED_TESTDATA");
	g_autofree char *file = NULL;
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize length = 0;
	xmlDoc *doc;

	if (shared == NULL)
		return NULL;
	file = g_build_filename(shared, "ovirt-fakeovirt", path, NULL);
	if (!g_file_get_contents(file, &data, &length, NULL))
		return NULL;
	doc = ferry_ovirt_parse_document(data, length, &error);
	g_assert_no_error(error);
	return doc;
}

static JsonObject *
document_of(xmlDoc *doc, const char *element, const char *id, const char *kind)
{
	for (xmlNode *n = ferry_ovirt_xml_child(xmlDocGetRootElement(doc), element); n != NULL;
	     n = ferry_ovirt_xml_next(n, element)) {
		xmlChar *found = xmlGetProp(n, BAD_CAST "id");
		gboolean match = found != NULL && g_strcmp0((const char *)found, id) == 0;
		xmlFree(found);
		if (match)
			return ferry_ovirt_document(kind, n);
	}
	return NULL;
}

#define SKIP_WITHOUT(doc)                                                                          \
	if ((doc) == NULL) {                                                                       \
		g_test_skip("fakeovirt's recorded stubs are not here (FERRY_SHARED_TESTDATA)");    \
		return;                                                                            \
	}

/* a recorded VM with Forklift's field names and the engine's values */
static void
test_recorded_vm(void)
{
	g_autoptr(xmlDoc) doc = load_stub("stubs/vms/content.xml");
	g_autoptr(JsonObject) vm = NULL;

	SKIP_WITHOUT(doc);
	vm = document_of(doc, "vm", "31573c08-717b-43e0-825f-69a36fb0e1a1", "vm");
	g_assert_nonnull(vm);
	g_assert_cmpstr(ferry_json_get_string(vm, "name"), ==, "vm-for-migration");
	g_assert_cmpstr(ferry_json_get_string(vm, "status"), ==, "down");
	g_assert_cmpstr(ferry_json_get_string(vm, "cluster"), ==,
			"b94f0a35-8ed8-429c-999a-4d776640107e");
	g_assert_cmpint(ferry_json_get_int_or(vm, "memory", 0), ==, 1073741824);
	g_assert_cmpint(ferry_json_get_int_or(vm, "cpuSockets", 0), ==, 1);
	g_assert_cmpstr(ferry_json_get_string(vm, "display"), ==, "spice");
	g_assert_cmpstr(ferry_json_get_string(vm, "placementPolicyAffinity"), ==, "migratable");
	g_assert_true(ferry_json_get_bool_or(vm, "balloonedMemory", FALSE));
	g_assert_false(ferry_json_get_bool_or(vm, "haEnabled", TRUE));
	g_assert_nonnull(ferry_json_get_string(vm, "bios"));
	g_assert_nonnull(ferry_json_get_array(vm, "snapshots"));
}

/* recorded disks and profiles; the legacy stubs' @DISKSIZE placeholder is
 * not a size (0, which the rules flag) */
static void
test_recorded_disks_and_profiles(void)
{
	g_autoptr(xmlDoc) disks = load_stub("stubs/disks/content.xml");
	g_autoptr(xmlDoc) legacy = load_stub("legacy-b3b5908/stubs/disks/123/content");
	g_autoptr(xmlDoc) profiles = load_stub("stubs/vnicprofiles/content.xml");
	g_autoptr(JsonObject) disk = NULL;
	g_autoptr(JsonObject) placeholder = NULL;
	g_autoptr(JsonObject) profile = NULL;

	SKIP_WITHOUT(disks);
	disk = document_of(disks, "disk", "b5a7f7f6-377b-467b-850f-a0dcd43ac5d7", "disk");
	g_assert_nonnull(disk);
	g_assert_cmpint(ferry_json_get_int_or(disk, "provisionedSize", 0), ==, 46137344);
	g_assert_cmpstr(ferry_json_get_string(disk, "format"), ==, "raw");
	g_assert_cmpstr(ferry_json_get_string(disk, "storageType"), ==, "image");
	g_assert_cmpstr(ferry_json_get_string(disk, "storageDomain"), ==,
			"95ef6fee-5773-46a2-9340-a636958a96b8");
	g_assert_nonnull(legacy);
	placeholder = ferry_ovirt_document("disk", xmlDocGetRootElement(legacy));
	g_assert_cmpint(ferry_json_get_int_or(placeholder, "provisionedSize", -1), ==, 0);
	g_assert_nonnull(profiles);
	profile = document_of(profiles, "vnic_profile", "b891f46c-9a5c-4f5b-802f-4cc0e3bd6267",
			      "nicprofile");
	g_assert_false(ferry_json_get_bool_or(profile, "passThrough", TRUE));
	g_assert_cmpstr(ferry_json_get_string(profile, "networkFilter"), ==,
			"d2370ab4-fee3-11e9-a310-8c1645ce738e");
	g_assert_cmpstr(ferry_json_get_string(profile, "network"), ==,
			"6b6b7239-5ea1-4f08-a76e-be150ab8eb89");
}

/* hand-written: a direct LUN on two domains, an SR-IOV profile, a NIC with
 * the guest agent's addresses */
static void
test_lun_sriov_and_guest_ips(void)
{
	static const char lun_xml[] =
		"<disk id=\"d\"><storage_type>lun</storage_type><shareable>true</shareable>"
		"<storage_domains><storage_domain id=\"a\"/><storage_domain id=\"b\"/>"
		"</storage_domains><lun_storage><logical_units><logical_unit id=\"36001\">"
		"<address>10.0.0.1</address><port>3260</port><target>iqn.x</target>"
		"<size>10737418240</size></logical_unit></logical_units></lun_storage></disk>";
	static const char profile_xml[] =
		"<vnic_profile id=\"p\"><pass_through><mode>enabled</mode></pass_through>"
		"<custom_properties><custom_property><name>x</name><value>1</value>"
		"</custom_property></custom_properties></vnic_profile>";
	static const char nic_xml[] =
		"<nic "
		"id=\"n\"><name>nic1</name><interface>e1000</interface><plugged>false</plugged>"
		"<mac><address>56:6f:00:00:00:01</address></mac><vnic_profile id=\"p\"/>"
		"<reported_devices><reported_device><ips><ip><address>10.1.2.3</address></ip>"
		"<ip><address>fe80::1</address></ip></ips></reported_device></reported_devices></"
		"nic>";
	g_autoptr(xmlDoc) lun_doc = ferry_ovirt_parse_document(lun_xml, sizeof(lun_xml) - 1, NULL);
	g_autoptr(xmlDoc) profile_doc =
		ferry_ovirt_parse_document(profile_xml, sizeof(profile_xml) - 1, NULL);
	g_autoptr(xmlDoc) nic_doc = ferry_ovirt_parse_document(nic_xml, sizeof(nic_xml) - 1, NULL);
	g_autoptr(JsonObject) disk = ferry_ovirt_document("disk", xmlDocGetRootElement(lun_doc));
	g_autoptr(JsonObject) profile =
		ferry_ovirt_document("nicprofile", xmlDocGetRootElement(profile_doc));
	g_autoptr(JsonObject) nic = ferry_ovirt_document("nic", xmlDocGetRootElement(nic_doc));
	JsonObject *unit;

	g_assert_cmpstr(ferry_json_get_string(disk, "storageType"), ==, "lun");
	g_assert_true(ferry_json_get_bool_or(disk, "shared", FALSE));
	g_assert_cmpuint(json_array_get_length(ferry_json_get_array(disk, "storageDomains")), ==,
			 2);
	unit = ferry_json_array_object(
		ferry_json_get_array(
			ferry_json_get_object(ferry_json_get_object(disk, "lun"), "logicalUnits"),
			"logicalUnit"),
		0);
	g_assert_cmpstr(ferry_json_get_string(unit, "lunId"), ==, "36001");
	g_assert_cmpint(ferry_json_get_int_or(unit, "size", 0), ==, 10737418240);
	g_assert_true(ferry_json_get_bool_or(profile, "passThrough", FALSE));
	g_assert_cmpuint(json_array_get_length(ferry_json_get_array(profile, "properties")), ==, 1);
	g_assert_cmpstr(ferry_json_get_string(nic, "ipAddress"), ==, "10.1.2.3");
	g_assert_cmpstr(ferry_json_get_string(nic, "profile"), ==, "p");
	g_assert_false(ferry_json_get_bool_or(nic, "plugged", TRUE));
}

/* what is not XML is refused; an external entity is never fetched */
static void
test_parse_refuses(void)
{
	static const char entity[] =
		"<?xml version=\"1.0\"?><!DOCTYPE d [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
		"<disk id=\"d\"><name>&x;</name></disk>";
	g_autoptr(GError) error = NULL;
	g_autoptr(xmlDoc) junk = ferry_ovirt_parse_document("{\"vm\": []}", 10, &error);
	g_autoptr(xmlDoc) doc = NULL;
	g_autoptr(JsonObject) disk = NULL;

	g_assert_null(junk);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	doc = ferry_ovirt_parse_document(entity, sizeof(entity) - 1, NULL);
	g_assert_nonnull(doc);
	disk = ferry_ovirt_document("disk", xmlDocGetRootElement(doc));
	g_assert_null(strstr(ferry_json_get_string(disk, "name"), "root:"));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/ovirt/inventory/recorded-vm", test_recorded_vm);
	g_test_add_func("/ovirt/inventory/recorded-disks-and-profiles",
			test_recorded_disks_and_profiles);
	g_test_add_func("/ovirt/inventory/lun-sriov-guest-ips", test_lun_sriov_and_guest_ips);
	g_test_add_func("/ovirt/inventory/parse-refuses", test_parse_refuses);
	return g_test_run();
}
