/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The engine's collections as Forklift's oVirt inventory (its field names:
 * forklift.md §4.2). A VM's NICs name their vNIC profile by id and its disk
 * attachments their disk by id, as Forklift's model does; the workload view
 * puts the profile and disk objects in their place for the rules. */

#include "config.h"

#include <string.h>

#include "ferry-ovirt-inventory.h"

static void
set_text(JsonObject *out, const char *member, xmlNode *node, const char *path)
{
	g_autofree char *text = ferry_ovirt_xml_text(node, path);
	json_object_set_string_member(out, member, text != NULL ? text : "");
}

static void
set_id(JsonObject *out, const char *member, xmlNode *node, const char *path)
{
	g_autofree char *id = ferry_ovirt_xml_id(node, path);
	json_object_set_string_member(out, member, id != NULL ? id : "");
}

static gint64
xml_int(xmlNode *node, const char *path, gint64 fallback)
{
	g_autofree char *text = ferry_ovirt_xml_text(node, path);
	gint64 value;
	char *end = NULL;
	if (text == NULL || *text == '\0')
		return fallback;
	value = g_ascii_strtoll(text, &end, 10);
	return end != NULL && *end == '\0' ? value : fallback;
}

static gboolean
xml_bool(xmlNode *node, const char *path)
{
	g_autofree char *text = ferry_ovirt_xml_text(node, path);
	return g_strcmp0(text, "true") == 0;
}

static void
set_int(JsonObject *out, const char *member, xmlNode *node, const char *path)
{
	json_object_set_int_member(out, member, xml_int(node, path, 0));
}

static void
set_bool(JsonObject *out, const char *member, xmlNode *node, const char *path)
{
	json_object_set_boolean_member(out, member, xml_bool(node, path));
}

/* the ids of <path>/<item id=…> */
static JsonArray *
id_list(xmlNode *node, const char *path, const char *item)
{
	JsonArray *out = json_array_new();
	xmlNode *list = ferry_ovirt_xml_path(node, path);
	for (xmlNode *child = ferry_ovirt_xml_child(list, item); child != NULL;
	     child = ferry_ovirt_xml_next(child, item)) {
		xmlChar *id = xmlGetProp(child, BAD_CAST "id");
		if (id != NULL)
			json_array_add_string_element(out, (const char *)id);
		xmlFree(id);
	}
	return out;
}

/* <properties><property><name/><value/></property></properties> */
static JsonArray *
properties(xmlNode *node, const char *path)
{
	JsonArray *out = json_array_new();
	xmlNode *list = ferry_ovirt_xml_path(node, path);
	for (xmlNode *p = ferry_ovirt_xml_child(list, NULL); p != NULL;
	     p = ferry_ovirt_xml_next(p, NULL)) {
		JsonObject *item = json_object_new();
		set_text(item, "name", p, "name");
		set_text(item, "value", p, "value");
		json_array_add_object_element(out, item);
	}
	return out;
}

static void
common(JsonObject *out, xmlNode *node)
{
	xmlChar *id = xmlGetProp(node, BAD_CAST "id");
	json_object_set_string_member(out, "id", id != NULL ? (const char *)id : "");
	xmlFree(id);
	set_text(out, "name", node, "name");
	set_text(out, "description", node, "description");
}

static JsonObject *
datacenter_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	common(out, node);
	set_text(out, "status", node, "status");
	return out;
}

static JsonObject *
cluster_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	JsonObject *cpu = json_object_new();
	g_autofree char *major = ferry_ovirt_xml_text(node, "version/major");
	g_autofree char *minor = ferry_ovirt_xml_text(node, "version/minor");
	common(out, node);
	set_id(out, "dataCenter", node, "data_center");
	set_bool(out, "haReservation", node, "ha_reservation");
	set_bool(out, "ksmEnabled", node, "ksm/enabled");
	set_text(out, "biosType", node, "bios_type");
	set_text(cpu, "architecture", node, "cpu/architecture");
	set_text(cpu, "type", node, "cpu/type");
	json_object_set_object_member(out, "cpu", cpu);
	{
		g_autofree char *version =
			g_strdup_printf("%s%s%s", major != NULL ? major : "",
					minor != NULL ? "." : "", minor != NULL ? minor : "");
		json_object_set_string_member(out, "version", version);
	}
	return out;
}

static JsonObject *
host_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	g_autofree char *status = ferry_ovirt_xml_text(node, "status");
	common(out, node);
	set_id(out, "cluster", node, "cluster");
	set_text(out, "status", node, "status");
	set_text(out, "address", node, "address");
	json_object_set_boolean_member(out, "inMaintenance", g_strcmp0(status, "maintenance") == 0);
	set_int(out, "cpuSockets", node, "cpu/topology/sockets");
	set_int(out, "cpuCores", node, "cpu/topology/cores");
	set_text(out, "productName", node, "hardware_information/product_name");
	json_object_set_array_member(out, "networkAttachments", json_array_new());
	json_object_set_array_member(out, "nics", json_array_new());
	return out;
}

static JsonObject *
network_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	JsonArray *usages = json_array_new();
	xmlNode *list = ferry_ovirt_xml_child(node, "usages");
	common(out, node);
	set_id(out, "dataCenter", node, "data_center");
	set_text(out, "vlan", node, "vlan/id");
	for (xmlNode *u = ferry_ovirt_xml_child(list, "usage"); u != NULL;
	     u = ferry_ovirt_xml_next(u, "usage")) {
		g_autofree char *text = ferry_ovirt_xml_text(u, NULL);
		json_array_add_string_element(usages, text);
	}
	json_object_set_array_member(out, "usages", usages);
	json_object_set_array_member(out, "profiles", json_array_new());
	return out;
}

static JsonObject *
nicprofile_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	g_autofree char *mode = ferry_ovirt_xml_text(node, "pass_through/mode");
	common(out, node);
	set_id(out, "network", node, "network");
	set_bool(out, "portMirroring", node, "port_mirroring");
	set_id(out, "networkFilter", node, "network_filter");
	set_id(out, "qos", node, "qos");
	json_object_set_array_member(out, "properties", properties(node, "custom_properties"));
	/* SR-IOV: the profile passes the host's virtual function through */
	json_object_set_boolean_member(out, "passThrough", g_strcmp0(mode, "enabled") == 0);
	return out;
}

static JsonObject *
diskprofile_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	common(out, node);
	set_id(out, "storageDomain", node, "storage_domain");
	set_id(out, "qos", node, "qos");
	return out;
}

static JsonObject *
storagedomain_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	JsonObject *storage = json_object_new();
	g_autofree char *dc = ferry_ovirt_xml_id(node, "data_centers/data_center");
	common(out, node);
	json_object_set_string_member(out, "dataCenter", dc != NULL ? dc : "");
	set_text(out, "type", node, "type");
	set_text(storage, "type", node, "storage/type");
	json_object_set_object_member(out, "storage", storage);
	set_int(out, "available", node, "available");
	set_int(out, "used", node, "used");
	set_text(out, "status", node, "external_status");
	return out;
}

static JsonObject *
disk_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	JsonArray *domains = id_list(node, "storage_domains", "storage_domain");
	g_autofree char *type = ferry_ovirt_xml_text(node, "storage_type");
	common(out, node);
	set_text(out, "alias", node, "alias");
	set_bool(out, "shared", node, "shareable");
	set_id(out, "profile", node, "disk_profile");
	json_object_set_string_member(out, "storageDomain",
				      json_array_get_length(domains) > 0
					      ? json_array_get_string_element(domains, 0)
					      : "");
	/* a disk may have images on several domains (a copied template disk) */
	json_object_set_array_member(out, "storageDomains", domains);
	set_text(out, "status", node, "status");
	/* fakeovirt's stubs hold the literal @DISKSIZE: not a number, so 0 */
	set_int(out, "actualSize", node, "actual_size");
	set_int(out, "provisionedSize", node, "provisioned_size");
	set_int(out, "totalSize", node, "total_size");
	set_text(out, "format", node, "format");
	set_bool(out, "sparse", node, "sparse");
	set_text(out, "backup", node, "backup");
	set_text(out, "contentType", node, "content_type");
	json_object_set_string_member(out, "storageType",
				      type != NULL && *type != '\0' ? type : "image");
	if (g_strcmp0(type, "lun") == 0) {
		JsonObject *lun = json_object_new();
		JsonArray *units = json_array_new();
		xmlNode *list = ferry_ovirt_xml_path(node, "lun_storage/logical_units");
		for (xmlNode *u = ferry_ovirt_xml_child(list, "logical_unit"); u != NULL;
		     u = ferry_ovirt_xml_next(u, "logical_unit")) {
			JsonObject *unit = json_object_new();
			xmlChar *id = xmlGetProp(u, BAD_CAST "id");
			json_object_set_string_member(unit, "lunId", id != NULL ? (char *)id : "");
			xmlFree(id);
			set_text(unit, "address", u, "address");
			set_text(unit, "port", u, "port");
			set_text(unit, "target", u, "target");
			set_int(unit, "lunMapping", u, "lun_mapping");
			set_int(unit, "size", u, "size");
			json_array_add_object_element(units, unit);
		}
		/* Forklift's shape: lun.logicalUnits.logicalUnit[] (as the engine's JSON) */
		JsonObject *logical_units = json_object_new();
		json_object_set_array_member(logical_units, "logicalUnit", units);
		json_object_set_object_member(lun, "logicalUnits", logical_units);
		json_object_set_object_member(out, "lun", lun);
	}
	return out;
}

static JsonObject *
nic_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	xmlNode *devices = ferry_ovirt_xml_child(node, "reported_devices");
	JsonArray *ips = json_array_new();
	common(out, node);
	set_text(out, "interface", node, "interface");
	set_bool(out, "plugged", node, "plugged");
	set_bool(out, "linked", node, "linked");
	set_id(out, "profile", node, "vnic_profile");
	set_text(out, "mac", node, "mac/address");
	for (xmlNode *d = ferry_ovirt_xml_child(devices, "reported_device"); d != NULL;
	     d = ferry_ovirt_xml_next(d, "reported_device")) {
		xmlNode *list = ferry_ovirt_xml_child(d, "ips");
		for (xmlNode *ip = ferry_ovirt_xml_child(list, "ip"); ip != NULL;
		     ip = ferry_ovirt_xml_next(ip, "ip")) {
			g_autofree char *address = ferry_ovirt_xml_text(ip, "address");
			if (address != NULL)
				json_array_add_string_element(ips, address);
		}
	}
	json_object_set_string_member(
		out, "ipAddress",
		json_array_get_length(ips) > 0 ? json_array_get_string_element(ips, 0) : "");
	json_object_set_array_member(out, "ipAddresses", ips);
	return out;
}

static JsonObject *
attachment_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	common(out, node);
	set_text(out, "interface", node, "interface");
	set_bool(out, "scsiReservation", node, "uses_scsi_reservation");
	set_bool(out, "bootable", node, "bootable");
	set_bool(out, "active", node, "active");
	set_id(out, "disk", node, "disk");
	return out;
}

static JsonObject *
vm_document(xmlNode *node)
{
	JsonObject *out = json_object_new();
	JsonObject *guest = json_object_new();
	JsonArray *snapshots = json_array_new();
	JsonArray *watchdogs = json_array_new();
	JsonArray *cdroms = json_array_new();
	g_autofree char *ballooning = ferry_ovirt_xml_text(node, "memory_policy/ballooning");
	g_autofree char *cpu_mode = ferry_ovirt_xml_text(node, "cpu/mode");

	common(out, node);
	set_id(out, "cluster", node, "cluster");
	set_id(out, "host", node, "host");
	set_text(out, "guestName", node, "fqdn");
	set_int(out, "cpuSockets", node, "cpu/topology/sockets");
	set_int(out, "cpuCores", node, "cpu/topology/cores");
	set_int(out, "cpuThreads", node, "cpu/topology/threads");
	json_object_set_array_member(out, "cpuAffinity", json_array_new());
	{
		xmlNode *pins = ferry_ovirt_xml_path(node, "cpu/cpu_tune/vcpu_pins");
		JsonArray *affinity = json_object_get_array_member(out, "cpuAffinity");
		for (xmlNode *p = ferry_ovirt_xml_child(pins, "vcpu_pin"); p != NULL;
		     p = ferry_ovirt_xml_next(p, "vcpu_pin")) {
			JsonObject *pin = json_object_new();
			set_text(pin, "set", p, "cpu_set");
			set_int(pin, "cpu", p, "vcpu");
			json_array_add_object_element(affinity, pin);
		}
	}
	set_text(out, "cpuPinningPolicy", node, "cpu_pinning_policy");
	set_int(out, "cpuShares", node, "cpu_shares");
	json_object_set_string_member(out, "customCpuModel",
				      g_strcmp0(cpu_mode, "custom") == 0 ? "custom" : "");
	{
		g_autofree char *model = ferry_ovirt_xml_text(node, "custom_cpu_model");
		if (model != NULL && *model != '\0')
			json_object_set_string_member(out, "customCpuModel", model);
	}
	set_int(out, "memory", node, "memory");
	json_object_set_boolean_member(out, "balloonedMemory", g_strcmp0(ballooning, "true") == 0);
	set_text(out, "bios", node, "bios/type");
	set_bool(out, "bootMenuEnabled", node, "bios/boot_menu/enabled");
	set_text(out, "display", node, "display/type");
	set_int(out, "ioThreads", node, "io/threads");
	set_text(out, "storageErrorResumeBehaviour", node, "storage_error_resume_behaviour");
	set_bool(out, "haEnabled", node, "high_availability/enabled");
	set_bool(out, "usbEnabled", node, "usb/enabled");
	set_text(out, "placementPolicyAffinity", node, "placement_policy/affinity");
	set_text(out, "timezone", node, "time_zone/name");
	set_text(out, "status", node, "status");
	set_bool(out, "stateless", node, "stateless");
	set_text(out, "serialNumber", node, "serial_number/value");
	set_bool(out, "hasIllegalImages", node, "has_illegal_images");
	json_object_set_array_member(out, "numaNodeAffinity", json_array_new());
	set_id(out, "leaseStorageDomain", node, "lease/storage_domain");
	set_text(out, "osType", node, "os/type");
	set_text(guest, "distribution", node, "guest_operating_system/distribution");
	set_text(guest, "fullVersion", node, "guest_operating_system/version/full_version");
	json_object_set_object_member(out, "guest", guest);
	json_object_set_array_member(out, "hostDevices",
				     id_list(node, "host_devices", "host_device"));
	json_object_set_array_member(out, "properties", properties(node, "custom_properties"));
	for (xmlNode *s =
		     ferry_ovirt_xml_child(ferry_ovirt_xml_child(node, "snapshots"), "snapshot");
	     s != NULL; s = ferry_ovirt_xml_next(s, "snapshot")) {
		JsonObject *snapshot = json_object_new();
		common(snapshot, s);
		set_text(snapshot, "type", s, "snapshot_type");
		set_bool(snapshot, "persistMemory", s, "persist_memorystate");
		json_array_add_object_element(snapshots, snapshot);
	}
	json_object_set_array_member(out, "snapshots", snapshots);
	for (xmlNode *w =
		     ferry_ovirt_xml_child(ferry_ovirt_xml_child(node, "watchdogs"), "watchdog");
	     w != NULL; w = ferry_ovirt_xml_next(w, "watchdog")) {
		JsonObject *watchdog = json_object_new();
		set_text(watchdog, "action", w, "action");
		set_text(watchdog, "model", w, "model");
		json_array_add_object_element(watchdogs, watchdog);
	}
	json_object_set_array_member(out, "watchDogs", watchdogs);
	for (xmlNode *c = ferry_ovirt_xml_child(ferry_ovirt_xml_child(node, "cdroms"), "cdrom");
	     c != NULL; c = ferry_ovirt_xml_next(c, "cdrom")) {
		JsonObject *cdrom = json_object_new();
		common(cdrom, c);
		set_id(cdrom, "file", c, "file");
		json_array_add_object_element(cdroms, cdrom);
	}
	json_object_set_array_member(out, "cdroms", cdroms);
	json_object_set_array_member(out, "diskAttachments", json_array_new());
	json_object_set_array_member(out, "nics", json_array_new());
	return out;
}

JsonObject *
ferry_ovirt_document(const char *kind, xmlNode *node)
{
	static const struct {
		const char *kind;
		JsonObject *(*func)(xmlNode *node);
	} kinds[] = {
		{"datacenter", datacenter_document},
		{"cluster", cluster_document},
		{"host", host_document},
		{"network", network_document},
		{"nicprofile", nicprofile_document},
		{"diskprofile", diskprofile_document},
		{"storagedomain", storagedomain_document},
		{"disk", disk_document},
		{"vm", vm_document},
		{"nic", nic_document},
		{"diskattachment", attachment_document},
	};
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (g_strcmp0(kinds[i].kind, kind) == 0)
			return kinds[i].func(node);
	}
	return NULL;
}

/* the engine's collections: path, element, Ferry's kind */
static const struct {
	const char *path;
	const char *element;
	const char *kind;
	const char *parent;
} collections[] = {
	{"/datacenters", "data_center", "datacenter", NULL},
	{"/clusters", "cluster", "cluster", "data_center"},
	{"/hosts", "host", "host", "cluster"},
	{"/networks", "network", "network", "data_center"},
	{"/vnicprofiles", "vnic_profile", "nicprofile", "network"},
	{"/diskprofiles", "disk_profile", "diskprofile", "storage_domain"},
	{"/storagedomains", "storage_domain", "storagedomain", NULL},
	{"/disks", "disk", "disk", NULL},
	{"/vms", "vm", "vm", "cluster"},
};

/* a VM's NICs and disk attachments (sub-collections of /vms/<id>) */
static gboolean
vm_add_devices(FerryOvirtClient *client, JsonObject *vm, GCancellable *cancellable, GError **error)
{
	const char *id = json_object_get_string_member(vm, "id");
	static const struct {
		const char *sub;
		const char *element;
		const char *kind;
		const char *member;
	} subs[] = {
		{"nics", "nic", "nic", "nics"},
		{"diskattachments", "disk_attachment", "diskattachment", "diskAttachments"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(subs); i++) {
		g_autofree char *escaped = g_uri_escape_string(id, NULL, FALSE);
		g_autofree char *path = g_strdup_printf("/vms/%s/%s", escaped, subs[i].sub);
		g_autoptr(GError) local_error = NULL;
		g_autoptr(xmlDoc) doc =
			ferry_ovirt_client_get(client, path, cancellable, &local_error);
		JsonArray *array = json_object_get_array_member(vm, subs[i].member);

		if (doc == NULL) {
			/* an engine answers an empty list; a recorded one may have none */
			if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
				continue;
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		for (xmlNode *n = ferry_ovirt_xml_child(xmlDocGetRootElement(doc), subs[i].element);
		     n != NULL; n = ferry_ovirt_xml_next(n, subs[i].element))
			json_array_add_object_element(array, ferry_ovirt_document(subs[i].kind, n));
	}
	return TRUE;
}

/* what Ferry's description of a VM needs from its disks and profiles, copied
 * beside Forklift's references (which stay ids) */
static void
vm_join(JsonObject *vm, GHashTable *disks, GHashTable *profiles)
{
	JsonArray *attachments = json_object_get_array_member(vm, "diskAttachments");
	JsonArray *nics = json_object_get_array_member(vm, "nics");
	static const char *const copied[] = {
		"provisionedSize", "actualSize", "storageDomain", "storageType", "format",
		"shared",          "alias",      "lun",           NULL};

	for (guint i = 0; i < json_array_get_length(attachments); i++) {
		JsonObject *a = json_array_get_object_element(attachments, i);
		JsonObject *disk =
			g_hash_table_lookup(disks, json_object_get_string_member(a, "disk"));
		if (disk == NULL)
			continue;
		for (guint k = 0; copied[k] != NULL; k++) {
			if (json_object_has_member(disk, copied[k]))
				json_object_set_member(
					a, copied[k],
					json_node_copy(json_object_get_member(disk, copied[k])));
		}
	}
	for (guint i = 0; i < json_array_get_length(nics); i++) {
		JsonObject *n = json_array_get_object_element(nics, i);
		JsonObject *profile =
			g_hash_table_lookup(profiles, json_object_get_string_member(n, "profile"));
		if (profile != NULL)
			json_object_set_string_member(
				n, "network", json_object_get_string_member(profile, "network"));
	}
}

/* profile ids onto their networks */
static void
link_profiles(GHashTable *networks, GPtrArray *profiles)
{
	for (guint i = 0; i < profiles->len; i++) {
		JsonObject *profile = g_ptr_array_index(profiles, i);
		JsonObject *network = g_hash_table_lookup(
			networks, json_object_get_string_member(profile, "network"));
		if (network != NULL)
			json_array_add_string_element(
				json_object_get_array_member(network, "profiles"),
				json_object_get_string_member(profile, "id"));
	}
}

/**
 * ferry_ovirt_inventory_load:
 *
 * A full load of every collection (Forklift's oVirt collections) into
 * @inventory as @provider, in one update.
 */
gboolean
ferry_ovirt_inventory_load(FerryOvirtClient *client, FerryInventory *inventory,
			   const char *provider, GCancellable *cancellable, GError **error)
{
	GPtrArray *documents[G_N_ELEMENTS(collections)] = {NULL};
	g_autoptr(GPtrArray) owned =
		g_ptr_array_new_with_free_func((GDestroyNotify)g_ptr_array_unref);
	g_autoptr(GHashTable) networks = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) disks = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) profiles = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint c = 0; c < G_N_ELEMENTS(collections); c++) {
		g_autoptr(xmlDoc) doc = NULL;
		documents[c] = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
		g_ptr_array_add(owned, documents[c]);
		doc = ferry_ovirt_client_get(client, collections[c].path, cancellable, error);
		if (doc == NULL)
			return FALSE;
		for (xmlNode *n = ferry_ovirt_xml_child(xmlDocGetRootElement(doc),
							collections[c].element);
		     n != NULL; n = ferry_ovirt_xml_next(n, collections[c].element)) {
			JsonObject *document = ferry_ovirt_document(collections[c].kind, n);
			const char *parent = NULL;
			if (collections[c].parent != NULL) {
				g_autofree char *id = ferry_ovirt_xml_id(n, collections[c].parent);
				if (id != NULL)
					json_object_set_string_member(document, "ferryParent", id);
			}
			(void)parent;
			if (g_strcmp0(collections[c].kind, "vm") == 0 &&
			    !vm_add_devices(client, document, cancellable, error)) {
				json_object_unref(document);
				return FALSE;
			}
			if (g_strcmp0(collections[c].kind, "vm") == 0)
				vm_join(document, disks, profiles);
			if (g_strcmp0(collections[c].kind, "disk") == 0)
				g_hash_table_insert(
					disks,
					(gpointer)json_object_get_string_member(document, "id"),
					document);
			if (g_strcmp0(collections[c].kind, "nicprofile") == 0)
				g_hash_table_insert(
					profiles,
					(gpointer)json_object_get_string_member(document, "id"),
					document);
			if (g_strcmp0(collections[c].kind, "network") == 0)
				g_hash_table_insert(
					networks,
					(gpointer)json_object_get_string_member(document, "id"),
					document);
			g_ptr_array_add(documents[c], document);
		}
		if (g_strcmp0(collections[c].kind, "nicprofile") == 0)
			link_profiles(networks, documents[c]);
	}
	if (!ferry_inventory_begin_update(inventory, provider, TRUE, error))
		return FALSE;
	for (guint c = 0; c < G_N_ELEMENTS(collections); c++) {
		for (guint i = 0; i < documents[c]->len; i++) {
			JsonObject *document = g_ptr_array_index(documents[c], i);
			g_autofree char *parent =
				g_strdup(json_object_get_string_member_with_default(
					document, "ferryParent", NULL));
			if (parent != NULL)
				json_object_remove_member(document, "ferryParent");
			if (!ferry_inventory_upsert(inventory, collections[c].kind,
						    json_object_get_string_member(document, "id"),
						    json_object_get_string_member(document, "name"),
						    parent, document, error)) {
				ferry_inventory_abort_update(inventory);
				return FALSE;
			}
		}
	}
	return ferry_inventory_commit_update(inventory, error);
}

/* --- incremental updates from the engine's events --- */

/* an event's index: its id (the engine's numbering), else <index> */
static gint64
event_index(xmlNode *event)
{
	g_autofree char *id = ferry_ovirt_xml_id(event, NULL);
	g_autofree char *index = NULL;
	gint64 value = -1;
	if (id != NULL && g_ascii_string_to_signed(id, 10, 0, G_MAXINT64, &value, NULL))
		return value;
	index = ferry_ovirt_xml_text(event, "index");
	if (index != NULL && g_ascii_string_to_signed(index, 10, 0, G_MAXINT64, &value, NULL))
		return value;
	return -1;
}

typedef struct {
	gint64 index;
	xmlNode *node;
} Event;

static gint
compare_events(gconstpointer a, gconstpointer b)
{
	gint64 x = ((const Event *)a)->index;
	gint64 y = ((const Event *)b)->index;
	return x < y ? -1 : x > y;
}

/* the index of the engine's newest event; the engine lists the highest
 * first, so max=1 is the newest (0 when there is none) */
static gboolean
newest_event(FerryOvirtClient *client, gint64 *newest, GCancellable *cancellable, GError **error)
{
	g_autoptr(GError) local_error = NULL;
	g_autoptr(xmlDoc) doc =
		ferry_ovirt_client_get(client, "/events?max=1", cancellable, &local_error);
	*newest = 0;
	if (doc == NULL) {
		if (g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND))
			return TRUE;
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	for (xmlNode *e = ferry_ovirt_xml_child(xmlDocGetRootElement(doc), "event"); e != NULL;
	     e = ferry_ovirt_xml_next(e, "event"))
		*newest = MAX(*newest, event_index(e));
	return TRUE;
}

/* fetches one VM again, with its devices and disks, and applies it in an
 * incremental update; a VM the engine no longer has is removed */
static gboolean
refresh_vm(FerryOvirtClient *client, FerryInventory *inventory, const char *provider,
	   const char *vm_id, GCancellable *cancellable, GError **error)
{
	g_autofree char *escaped = g_uri_escape_string(vm_id, NULL, FALSE);
	g_autofree char *path = g_strdup_printf("/vms/%s", escaped);
	g_autofree char *cluster = NULL;
	g_autoptr(GError) local_error = NULL;
	g_autoptr(xmlDoc) doc = ferry_ovirt_client_get(client, path, cancellable, &local_error);
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GPtrArray) disks =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(GPtrArray) owned =
		g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(GHashTable) disk_index = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) profiles = g_hash_table_new(g_str_hash, g_str_equal);
	JsonArray *attachments, *nics;

	if (doc == NULL) {
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			return FALSE;
		}
		if (!ferry_inventory_begin_update(inventory, provider, FALSE, error))
			return FALSE;
		if (!ferry_inventory_remove(inventory, "vm", vm_id, error)) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
		return ferry_inventory_commit_update(inventory, error);
	}
	vm = ferry_ovirt_document("vm", xmlDocGetRootElement(doc));
	cluster = ferry_ovirt_xml_id(xmlDocGetRootElement(doc), "cluster");
	if (!vm_add_devices(client, vm, cancellable, error))
		return FALSE;
	attachments = json_object_get_array_member(vm, "diskAttachments");
	for (guint i = 0; i < json_array_get_length(attachments); i++) {
		const char *disk_id = json_object_get_string_member(
			json_array_get_object_element(attachments, i), "disk");
		g_autofree char *disk_escaped = NULL;
		g_autofree char *disk_path = NULL;
		g_autoptr(xmlDoc) disk_doc = NULL;
		JsonObject *disk;
		if (disk_id == NULL)
			continue;
		disk_escaped = g_uri_escape_string(disk_id, NULL, FALSE);
		disk_path = g_strdup_printf("/disks/%s", disk_escaped);
		disk_doc = ferry_ovirt_client_get(client, disk_path, cancellable, error);
		if (disk_doc == NULL)
			return FALSE;
		disk = ferry_ovirt_document("disk", xmlDocGetRootElement(disk_doc));
		g_ptr_array_add(disks, disk);
		g_hash_table_insert(disk_index, (gpointer)json_object_get_string_member(disk, "id"),
				    disk);
	}
	nics = json_object_get_array_member(vm, "nics");
	for (guint i = 0; i < json_array_get_length(nics); i++) {
		const char *profile_id = json_object_get_string_member_with_default(
			json_array_get_object_element(nics, i), "profile", NULL);
		JsonObject *profile = profile_id != NULL
					      ? ferry_inventory_get(inventory, provider,
								    "nicprofile", profile_id, NULL)
					      : NULL;
		if (profile != NULL) {
			g_ptr_array_add(owned, profile);
			g_hash_table_insert(profiles, (gpointer)profile_id, profile);
		}
	}
	vm_join(vm, disk_index, profiles);
	if (!ferry_inventory_begin_update(inventory, provider, FALSE, error))
		return FALSE;
	for (guint i = 0; i < disks->len; i++) {
		JsonObject *disk = g_ptr_array_index(disks, i);
		if (!ferry_inventory_upsert(
			    inventory, "disk", json_object_get_string_member(disk, "id"),
			    json_object_get_string_member(disk, "name"), NULL, disk, error)) {
			ferry_inventory_abort_update(inventory);
			return FALSE;
		}
	}
	if (!ferry_inventory_upsert(inventory, "vm", json_object_get_string_member(vm, "id"),
				    json_object_get_string_member(vm, "name"), cluster, vm,
				    error)) {
		ferry_inventory_abort_update(inventory);
		return FALSE;
	}
	return ferry_inventory_commit_update(inventory, error);
}

/* sleeps @ms, waking for @cancellable */
static gboolean
watch_sleep(guint ms, GCancellable *cancellable, GError **error)
{
	gint64 end = g_get_monotonic_time() + (gint64)ms * 1000;
	while (g_get_monotonic_time() < end) {
		if (g_cancellable_is_cancelled(cancellable)) {
			g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_CANCELLED,
					    "ovirt: the inventory watch was cancelled");
			return FALSE;
		}
		g_usleep(MIN(100 * 1000, MAX(1, end - g_get_monotonic_time())));
	}
	return TRUE;
}

/**
 * ferry_ovirt_inventory_watch:
 * @interval_ms: how often to ask for new events (Forklift: 10 s)
 *
 * Forklift's oVirt collector after its full load: it notes the engine's
 * newest event, then polls `/events?from=<index>` and applies what the new
 * events name, oldest first: an event naming a VM (added, changed, powered,
 * its disks or NICs changed, removed) fetches that VM again with its
 * devices and disks, or removes it when the engine no longer has it; one
 * naming a host, cluster, data center, storage domain or template (and no
 * VM) loads everything again, which moves only the revisions of what
 * changed; one naming none of them (a login) changes nothing. Runs until
 * @cancellable is cancelled.
 *
 * Returns: %FALSE with %FERRY_ERROR_CANCELLED when cancelled, or another error
 */
gboolean
ferry_ovirt_inventory_watch(FerryOvirtClient *client, FerryInventory *inventory,
			    const char *provider, guint interval_ms, GCancellable *cancellable,
			    GError **error)
{
	static const char *const others[] = {"host", "cluster", "data_center", "storage_domain",
					     "template"};
	gint64 last = 0;

	if (!newest_event(client, &last, cancellable, error))
		return FALSE;
	for (;;) {
		g_autofree char *path = NULL;
		g_autoptr(xmlDoc) doc = NULL;
		g_autoptr(GArray) events = g_array_new(FALSE, FALSE, sizeof(Event));
		g_autoptr(GPtrArray) vms = g_ptr_array_new_with_free_func(g_free);
		g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
		gboolean full = FALSE;

		if (!watch_sleep(interval_ms, cancellable, error))
			return FALSE;
		path = g_strdup_printf("/events?from=%" G_GINT64_FORMAT, last);
		doc = ferry_ovirt_client_get(client, path, cancellable, error);
		if (doc == NULL)
			return FALSE;
		for (xmlNode *e = ferry_ovirt_xml_child(xmlDocGetRootElement(doc), "event");
		     e != NULL; e = ferry_ovirt_xml_next(e, "event")) {
			Event event = {event_index(e), e};
			if (event.index > last)
				g_array_append_val(events, event);
		}
		/* oldest first */
		g_array_sort(events, compare_events);
		for (guint i = 0; i < events->len; i++) {
			Event *event = &g_array_index(events, Event, i);
			g_autofree char *vm = ferry_ovirt_xml_id(event->node, "vm");
			last = MAX(last, event->index);
			if (vm != NULL) {
				if (g_hash_table_add(seen, vm))
					g_ptr_array_add(vms, g_steal_pointer(&vm));
				continue;
			}
			for (guint k = 0; k < G_N_ELEMENTS(others); k++) {
				if (ferry_ovirt_xml_child(event->node, others[k]) != NULL)
					full = TRUE;
			}
		}
		if (full) {
			if (!ferry_ovirt_inventory_load(client, inventory, provider, cancellable,
							error))
				return FALSE;
			continue;
		}
		for (guint i = 0; i < vms->len; i++) {
			if (!refresh_vm(client, inventory, provider, g_ptr_array_index(vms, i),
					cancellable, error))
				return FALSE;
		}
	}
}
