/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-vsphere-inventory.h"

/* --- what is read --- */

typedef struct {
	const char *path;
	const char *since; /* API version that has it, or NULL */
} PropertyPath;

typedef struct {
	const char *type;
	const PropertyPath *paths;
} PropertySet;

static const PropertyPath folder_paths[] = {
    {"name"}, {"parent"}, {"childEntity"}, {"childType"}, {NULL},
};

static const PropertyPath datacenter_paths[] = {
    {"name"},	   {"parent"},	       {"vmFolder"},
    {"hostFolder"}, {"datastoreFolder"}, {"networkFolder"},
    {NULL},
};

static const PropertyPath compute_resource_paths[] = {
    {"name"}, {"parent"}, {"host"}, {"network"}, {"datastore"}, {NULL},
};

static const PropertyPath cluster_paths[] = {
    {"configurationEx"},
    {NULL},
};

static const PropertyPath host_paths[] = {
    {"name"},
    {"parent"},
    {"overallStatus"},
    {"runtime.connectionState"},
    {"runtime.inMaintenanceMode"},
    {"summary.managementServerIp"},
    {"summary.hardware"},
    {"summary.config.sslThumbprint"},
    {"config.product"},
    {"config.network"},
    {"config.dateTimeInfo"},
    {"datastore"},
    {"network"},
    {NULL},
};

static const PropertyPath network_paths[] = {
    {"name"}, {"parent"}, {"host"}, {NULL},
};

static const PropertyPath portgroup_paths[] = {
    {"key"},
    {"config.distributedVirtualSwitch"},
    {"config.defaultPortConfig"},
    {NULL},
};

static const PropertyPath opaque_network_paths[] = {
    {"summary"},
    {NULL},
};

static const PropertyPath switch_paths[] = {
    {"name"}, {"parent"}, {"uuid"}, {"config.host"}, {NULL},
};

static const PropertyPath datastore_paths[] = {
    {"name"}, {"parent"}, {"summary"}, {"info"}, {"host"}, {NULL},
};

static const PropertyPath vm_paths[] = {
    {"name"},
    {"parent"},
    {"network"},
    {"config.uuid"},
    {"config.instanceUuid"},
    {"config.firmware"},
    {"config.template"},
    {"config.guestId"},
    {"config.guestFullName"},
    {"config.changeTrackingEnabled"},
    {"config.cpuAffinity"},
    {"config.cpuHotAddEnabled"},
    {"config.cpuHotRemoveEnabled"},
    {"config.memoryHotAddEnabled"},
    {"config.nestedHVEnabled"},
    {"config.bootOptions"},
    {"config.extraConfig"},
    {"config.hardware.numCPU"},
    {"config.hardware.numCoresPerSocket"},
    {"config.hardware.memoryMB"},
    {"config.hardware.device"},
    {"runtime.powerState"},
    {"runtime.connectionState"},
    {"runtime.host"},
    {"runtime.faultToleranceState"},
    {"runtime.consolidationNeeded"},
    {"guest.guestFullName"},
    {"guest.guestId"},
    {"guest.hostName"},
    {"guest.ipAddress"},
    {"guest.net"},
    {"guest.disk"},
    {"guest.ipStack"},
    {"guest.toolsStatus"},
    {"guest.toolsRunningStatus"},
    {"guest.toolsVersionStatus2"},
    {"summary.quickStats.balloonedMemory"},
    {"summary.storage.committed"},
    {"snapshot.currentSnapshot"},
    {"summary.config.tpmPresent", "6.7"},
    {NULL},
};

/* everything but VMs: few objects, loaded first so VM paths can be written */
static const PropertySet infrastructure_sets[] = {
    {"Folder", folder_paths},
    {"Datacenter", datacenter_paths},
    {"ComputeResource", compute_resource_paths},
    {"ClusterComputeResource", cluster_paths},
    {"HostSystem", host_paths},
    {"Network", network_paths},
    {"DistributedVirtualPortgroup", portgroup_paths},
    {"OpaqueNetwork", opaque_network_paths},
    {"DistributedVirtualSwitch", switch_paths},
    {"Datastore", datastore_paths},
    {NULL},
};

static const PropertySet vm_sets[] = {
    {"VirtualMachine", vm_paths},
    {NULL},
};

/* the index needs only names and parents */
static const PropertyPath tree_paths[] = {{"name"}, {"parent"}, {NULL}};
static const PropertySet tree_sets[] = {
    {"Folder", tree_paths},
    {"Datacenter", tree_paths},
    {"ComputeResource", tree_paths},
    {NULL},
};

static const char *const view_types[] = {
    "Folder",	"Datacenter", "ComputeResource", "HostSystem", "Network",
    "DistributedVirtualSwitch", "Datastore", "VirtualMachine", NULL,
};

/* --- the folder tree --- */

typedef struct {
	char *type;
	char *name;
	char *parent;
} IndexEntry;

struct _FerryVsphereIndex {
	char *root;
	GHashTable *entries; /* id → IndexEntry */
};

static void
index_entry_free(IndexEntry *entry)
{
	g_free(entry->type);
	g_free(entry->name);
	g_free(entry->parent);
	g_free(entry);
}

FerryVsphereIndex *
ferry_vsphere_index_new(const char *root_folder)
{
	FerryVsphereIndex *self = g_new0(FerryVsphereIndex, 1);
	self->root = g_strdup(root_folder);
	self->entries =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)index_entry_free);
	return self;
}

void
ferry_vsphere_index_free(FerryVsphereIndex *self)
{
	if (self == NULL)
		return;
	g_hash_table_unref(self->entries);
	g_free(self->root);
	g_free(self);
}

static gboolean
ferry_vsphere_index_wants(const char *type)
{
	return g_strcmp0(type, "Folder") == 0 || g_strcmp0(type, "Datacenter") == 0 ||
	       g_strcmp0(type, "ComputeResource") == 0 ||
	       g_strcmp0(type, "ClusterComputeResource") == 0;
}

/**
 * ferry_vsphere_index_update:
 *
 * Returns: whether a name or parent changed (paths below it are stale)
 */
gboolean
ferry_vsphere_index_update(FerryVsphereIndex *self,
			   const char *type,
			   const char *id,
			   const char *name,
			   const char *parent)
{
	IndexEntry *entry;
	gboolean changed;

	if (!ferry_vsphere_index_wants(type) || id == NULL)
		return FALSE;
	entry = g_hash_table_lookup(self->entries, id);
	if (entry != NULL) {
		changed = g_strcmp0(entry->name, name) != 0 || g_strcmp0(entry->parent, parent) != 0;
		g_free(entry->name);
		entry->name = g_strdup(name);
		g_free(entry->parent);
		entry->parent = g_strdup(parent);
		return changed;
	}
	entry = g_new0(IndexEntry, 1);
	entry->type = g_strdup(type);
	entry->name = g_strdup(name);
	entry->parent = g_strdup(parent);
	g_hash_table_insert(self->entries, g_strdup(id), entry);
	return FALSE;
}

void
ferry_vsphere_index_remove(FerryVsphereIndex *self, const char *id)
{
	g_hash_table_remove(self->entries, id);
}

/* `/DC0/vm/folder/name`, as govc and Forklift write inventory paths */
char *
ferry_vsphere_index_dup_path(FerryVsphereIndex *self, const char *parent, const char *name)
{
	g_autoptr(GPtrArray) names = g_ptr_array_new();
	GString *path = g_string_new(NULL);
	const char *id = parent;

	/* bounded: a corrupt tree must not loop forever */
	for (guint depth = 0; id != NULL && depth < 64; depth++) {
		IndexEntry *entry;
		if (g_strcmp0(id, self->root) == 0)
			break;
		entry = g_hash_table_lookup(self->entries, id);
		if (entry == NULL)
			break;
		g_ptr_array_add(names, entry->name != NULL ? entry->name : "");
		id = entry->parent;
	}
	for (guint i = names->len; i > 0; i--)
		g_string_append_printf(path, "/%s", (const char *)g_ptr_array_index(names, i - 1));
	g_string_append_printf(path, "/%s", name != NULL ? name : "");
	return g_string_free(path, FALSE);
}

/* the datacenter above @id, or NULL */
const char *
ferry_vsphere_index_find_datacenter(FerryVsphereIndex *self, const char *id)
{
	for (guint depth = 0; id != NULL && depth < 64; depth++) {
		gpointer key;
		gpointer value;
		IndexEntry *entry;
		if (!g_hash_table_lookup_extended(self->entries, id, &key, &value))
			return NULL;
		entry = value;
		if (g_strcmp0(entry->type, "Datacenter") == 0)
			return key;
		id = entry->parent;
	}
	return NULL;
}

/* --- documents --- */

const char *
ferry_vsphere_inventory_kind_for_type(const char *type)
{
	static const struct {
		const char *type;
		const char *kind;
	} kinds[] = {
	    {"Folder", "folder"},
	    {"Datacenter", "datacenter"},
	    {"ComputeResource", "cluster"},
	    {"ClusterComputeResource", "cluster"},
	    {"HostSystem", "host"},
	    {"Network", "network"},
	    {"DistributedVirtualPortgroup", "network"},
	    {"OpaqueNetwork", "network"},
	    {"DistributedVirtualSwitch", "network"},
	    {"VmwareDistributedVirtualSwitch", "network"},
	    {"Datastore", "datastore"},
	    {"VirtualMachine", "vm"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (g_strcmp0(kinds[i].type, type) == 0)
			return kinds[i].kind;
	}
	return NULL;
}

/* the kind Forklift writes in a reference {kind, id} */
static const char *
ferry_vsphere_ref_kind(const char *type)
{
	const char *kind = ferry_vsphere_inventory_kind_for_type(type);

	if (g_strcmp0(kind, "vm") == 0)
		return "VM";
	if (g_strcmp0(kind, "folder") == 0)
		return "Folder";
	if (g_strcmp0(kind, "datacenter") == 0)
		return "Datacenter";
	if (g_strcmp0(kind, "cluster") == 0)
		return "Cluster";
	if (g_strcmp0(kind, "host") == 0)
		return "Host";
	if (g_strcmp0(kind, "network") == 0)
		return "Network";
	if (g_strcmp0(kind, "datastore") == 0)
		return "Datastore";
	return type != NULL ? type : "";
}

static JsonObject *
ferry_vsphere_ref_new(const char *kind, const char *id)
{
	JsonObject *ref = json_object_new();
	json_object_set_string_member(ref, "kind", kind != NULL ? kind : "");
	json_object_set_string_member(ref, "id", id != NULL ? id : "");
	return ref;
}

static JsonObject *
ferry_vsphere_ref_from_node(xmlNode *moref)
{
	xmlChar *type = xmlGetNoNsProp(moref, (const xmlChar *)"type");
	g_autofree char *id = ferry_vsphere_xml_dup_text(moref);
	JsonObject *ref = ferry_vsphere_ref_new(ferry_vsphere_ref_kind((const char *)type), id);
	xmlFree(type);
	return ref;
}

/* an ArrayOfManagedObjectReference as [{kind, id}, …] */
static JsonArray *
ferry_vsphere_refs_from_array(xmlNode *val)
{
	JsonArray *refs = json_array_new();
	for (xmlNode *item = ferry_vsphere_xml_child(val, NULL); item != NULL;
	     item = ferry_vsphere_xml_next(item, NULL))
		json_array_add_object_element(refs, ferry_vsphere_ref_from_node(item));
	return refs;
}

typedef enum {
	FIELD_TEXT,
	FIELD_INT,
	FIELD_BOOL,
} FieldType;

/* one field of a document: @member is the value at @path below a node
 * (below the property @prop of an object, for map_properties) */
typedef struct {
	const char *member;
	const char *prop;
	const char *path;
	FieldType type;
} Field;

static void
set_field(JsonObject *doc, const char *member, xmlNode *node, const char *path, FieldType type)
{
	g_autofree char *text = NULL;
	gint64 number = 0;
	gboolean flag = FALSE;

	switch (type) {
	case FIELD_TEXT:
		text = ferry_vsphere_xml_dup_path_text(node, path);
		json_object_set_string_member(doc, member, text != NULL ? text : "");
		break;
	case FIELD_INT:
		ferry_vsphere_xml_get_int64(node, path, &number);
		json_object_set_int_member(doc, member, number);
		break;
	case FIELD_BOOL:
		ferry_vsphere_xml_get_boolean(node, path, &flag);
		json_object_set_boolean_member(doc, member, flag);
		break;
	}
}

/* @fields of a data object, paths relative to @node */
static void
map_fields(JsonObject *doc, xmlNode *node, const Field *fields)
{
	for (guint i = 0; fields[i].member != NULL; i++)
		set_field(doc, fields[i].member, node, fields[i].path, fields[i].type);
}

/* @fields of an object, each below one of its properties */
static void
map_properties(JsonObject *doc, FerryVsphereObject *object, const Field *fields)
{
	for (guint i = 0; fields[i].member != NULL; i++)
		set_field(doc, fields[i].member, ferry_vsphere_object_get(object, fields[i].prop),
			  fields[i].path, fields[i].type);
}

/* every child @element (any element when %NULL: the items of an ArrayOf…)
 * of @parent as an object with @fields */
static JsonArray *
map_list(xmlNode *parent, const char *element, const Field *fields)
{
	JsonArray *list = json_array_new();
	for (xmlNode *child = ferry_vsphere_xml_child(parent, element); child != NULL;
	     child = ferry_vsphere_xml_next(child, element)) {
		JsonObject *item = json_object_new();
		map_fields(item, child, fields);
		json_array_add_object_element(list, item);
	}
	return list;
}

/* the text of every child element @name of @parent, as strings */
static void
add_texts(JsonArray *array, xmlNode *parent, const char *name)
{
	for (xmlNode *child = ferry_vsphere_xml_child(parent, name); child != NULL;
	     child = ferry_vsphere_xml_next(child, name)) {
		g_autofree char *text = ferry_vsphere_xml_dup_text(child);
		json_array_add_string_element(array, text);
	}
}

static void
ferry_vsphere_doc_begin(JsonObject *doc,
			FerryVsphereIndex *index,
			FerryVsphereObject *object,
			const char *name,
			const char *parent_type,
			const char *parent)
{
	g_autofree char *path = ferry_vsphere_index_dup_path(index, parent, name);
	json_object_set_string_member(doc, "id", object->id);
	json_object_set_string_member(doc, "name", name != NULL ? name : "");
	json_object_set_object_member(
	    doc, "parent", ferry_vsphere_ref_new(ferry_vsphere_ref_kind(parent_type), parent));
	json_object_set_string_member(doc, "path", path);
}

static void
ferry_vsphere_map_folder(JsonObject *doc, FerryVsphereIndex *index, FerryVsphereObject *object)
{
	g_autofree char *parent = ferry_vsphere_object_dup_string(object, "parent");
	g_autoptr(GString) purpose = g_string_new(NULL);
	xmlNode *types = ferry_vsphere_object_get(object, "childType");
	const char *datacenter = ferry_vsphere_index_find_datacenter(index, object->id);

	json_object_set_string_member(doc, "datacenter", datacenter != NULL ? datacenter : "");
	json_object_set_string_member(doc, "folder", parent != NULL ? parent : "");
	json_object_set_array_member(
	    doc, "children", ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "childEntity")));
	for (xmlNode *type = ferry_vsphere_xml_child(types, NULL); type != NULL;
	     type = ferry_vsphere_xml_next(type, NULL)) {
		g_autofree char *text = ferry_vsphere_xml_dup_text(type);
		if (purpose->len > 0)
			g_string_append_c(purpose, ',');
		g_string_append(purpose, text);
	}
	json_object_set_string_member(doc, "childTypes", purpose->str);
}

static void
ferry_vsphere_map_datacenter(JsonObject *doc, FerryVsphereObject *object)
{
	static const struct {
		const char *member;
		const char *path;
	} folders[] = {
	    {"vms", "vmFolder"},
	    {"clusters", "hostFolder"},
	    {"datastores", "datastoreFolder"},
	    {"networks", "networkFolder"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(folders); i++) {
		g_autofree char *id = ferry_vsphere_object_dup_string(object, folders[i].path);
		json_object_set_object_member(doc, folders[i].member,
					      ferry_vsphere_ref_new("Folder", id));
	}
}

/* the VMs of the VM groups that a VM-Host affinity rule binds */
static JsonArray *
ferry_vsphere_host_affinity_vms(xmlNode *config)
{
	JsonArray *vms = json_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	for (xmlNode *rule = ferry_vsphere_xml_child(config, "rule"); rule != NULL;
	     rule = ferry_vsphere_xml_next(rule, "rule")) {
		g_autofree char *group_name = NULL;
		g_autofree char *affine = NULL;
		gboolean enabled = TRUE;

		if (!ferry_vsphere_xml_type_is(rule, "ClusterVmHostRuleInfo"))
			continue;
		ferry_vsphere_xml_get_boolean(rule, "enabled", &enabled);
		affine = ferry_vsphere_xml_dup_path_text(rule, "affineHostGroupName");
		group_name = ferry_vsphere_xml_dup_path_text(rule, "vmGroupName");
		if (!enabled || affine == NULL || *affine == '\0' || group_name == NULL)
			continue;
		for (xmlNode *group = ferry_vsphere_xml_child(config, "group"); group != NULL;
		     group = ferry_vsphere_xml_next(group, "group")) {
			g_autofree char *name = ferry_vsphere_xml_dup_path_text(group, "name");
			if (g_strcmp0(name, group_name) != 0)
				continue;
			for (xmlNode *vm = ferry_vsphere_xml_child(group, "vm"); vm != NULL;
			     vm = ferry_vsphere_xml_next(vm, "vm")) {
				g_autofree char *id = ferry_vsphere_xml_dup_text(vm);
				if (g_hash_table_contains(seen, id))
					continue;
				json_array_add_object_element(vms, ferry_vsphere_ref_new("VM", id));
				g_hash_table_add(seen, g_steal_pointer(&id));
			}
		}
	}
	return vms;
}

static JsonArray *
ferry_vsphere_keyed_refs(xmlNode *config, const char *element, const char *kind)
{
	JsonArray *refs = json_array_new();
	for (xmlNode *item = ferry_vsphere_xml_child(config, element); item != NULL;
	     item = ferry_vsphere_xml_next(item, element)) {
		g_autofree char *id = ferry_vsphere_xml_dup_path_text(item, "key");
		json_array_add_object_element(refs, ferry_vsphere_ref_new(kind, id));
	}
	return refs;
}

static const Field cluster_fields[] = {
    {"folder", "parent", NULL, FIELD_TEXT},
    {"dasEnabled", "configurationEx", "dasConfig.enabled", FIELD_BOOL},
    {"drsEnabled", "configurationEx", "drsConfig.enabled", FIELD_BOOL},
    {"drsBehavior", "configurationEx", "drsConfig.defaultVmBehavior", FIELD_TEXT},
    {"dpmEnabled", "configurationEx", "dpmConfigInfo.enabled", FIELD_BOOL},
    {NULL},
};

static void
ferry_vsphere_map_cluster(JsonObject *doc, FerryVsphereIndex *index, FerryVsphereObject *object)
{
	const char *datacenter = ferry_vsphere_index_find_datacenter(index, object->id);
	xmlNode *config = ferry_vsphere_object_get(object, "configurationEx");
	gboolean is_cluster = g_strcmp0(object->type, "ClusterComputeResource") == 0;

	map_properties(doc, object, cluster_fields);
	json_object_set_string_member(doc, "datacenter", datacenter != NULL ? datacenter : "");
	json_object_set_string_member(doc, "variant", is_cluster ? "Cluster" : "ComputeResource");
	json_object_set_array_member(
	    doc, "hosts", ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "host")));
	json_object_set_array_member(
	    doc, "networks",
	    ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "network")));
	json_object_set_array_member(
	    doc, "datastores",
	    ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "datastore")));
	json_object_set_array_member(doc, "dasVms",
				     ferry_vsphere_keyed_refs(config, "dasVmConfig", "VM"));
	json_object_set_array_member(doc, "drsVms",
				     ferry_vsphere_keyed_refs(config, "drsVmConfig", "VM"));
	json_object_set_array_member(doc, "hostAffinityVms",
				     ferry_vsphere_host_affinity_vms(config));
}

static const Field pnic_fields[] = {
    {"key", NULL, "key", FIELD_TEXT},
    {"device", NULL, "device", FIELD_TEXT},
    {"linkSpeed", NULL, "linkSpeed.speedMb", FIELD_INT},
    {NULL},
};

static const Field vnic_fields[] = {
    {"key", NULL, "key", FIELD_TEXT},
    {"device", NULL, "device", FIELD_TEXT},
    {"portGroup", NULL, "portgroup", FIELD_TEXT},
    {"dPortGroup", NULL, "spec.distributedVirtualPort.portgroupKey", FIELD_TEXT},
    {"ipAddress", NULL, "spec.ip.ipAddress", FIELD_TEXT},
    {"subnetMask", NULL, "spec.ip.subnetMask", FIELD_TEXT},
    {"mtu", NULL, "spec.mtu", FIELD_INT},
    {NULL},
};

static const Field portgroup_fields[] = {
    {"key", NULL, "key", FIELD_TEXT},
    {"name", NULL, "spec.name", FIELD_TEXT},
    {"vSwitch", NULL, "spec.vswitchName", FIELD_TEXT},
    {"vlanId", NULL, "spec.vlanId", FIELD_INT},
    {NULL},
};

static const Field switch_fields[] = {
    {"key", NULL, "key", FIELD_TEXT},
    {"name", NULL, "name", FIELD_TEXT},
    {NULL},
};

static const Field host_fields[] = {
    {"cluster", "parent", NULL, FIELD_TEXT},
    {"status", "overallStatus", NULL, FIELD_TEXT},
    {"connectionState", "runtime.connectionState", NULL, FIELD_TEXT},
    {"inMaintenanceMode", "runtime.inMaintenanceMode", NULL, FIELD_BOOL},
    {"managementServerIp", "summary.managementServerIp", NULL, FIELD_TEXT},
    {"thumbprint", "summary.config.sslThumbprint", NULL, FIELD_TEXT},
    {"timezone", "config.dateTimeInfo", "timeZone.name", FIELD_TEXT},
    {"cpuSockets", "summary.hardware", "numCpuPkgs", FIELD_INT},
    {"cpuCores", "summary.hardware", "numCpuCores", FIELD_INT},
    {"memoryBytes", "summary.hardware", "memorySize", FIELD_INT},
    {"productName", "config.product", "name", FIELD_TEXT},
    {"productVersion", "config.product", "version", FIELD_TEXT},
    {NULL},
};

static void
ferry_vsphere_map_host(JsonObject *doc, FerryVsphereObject *object)
{
	xmlNode *network = ferry_vsphere_object_get(object, "config.network");
	JsonObject *out = json_object_new();
	JsonArray *vnics = map_list(network, "vnic", vnic_fields);
	JsonArray *switches = map_list(network, "vswitch", switch_fields);
	JsonArray *management_ips = json_array_new();
	guint i = 0;

	map_properties(doc, object, host_fields);
	json_object_set_array_member(
	    doc, "networks",
	    ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "network")));
	json_object_set_array_member(
	    doc, "datastores",
	    ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "datastore")));
	for (i = 0; i < json_array_get_length(vnics); i++) {
		const char *ip = json_object_get_string_member(
		    json_array_get_object_element(vnics, i), "ipAddress");
		if (*ip != '\0')
			json_array_add_string_element(management_ips, ip);
	}
	i = 0;
	for (xmlNode *sw = ferry_vsphere_xml_child(network, "vswitch"); sw != NULL;
	     sw = ferry_vsphere_xml_next(sw, "vswitch"), i++) {
		JsonObject *item = json_array_get_object_element(switches, i);
		JsonArray *sw_pgs = json_array_new();
		JsonArray *sw_pnics = json_array_new();
		add_texts(sw_pgs, sw, "portgroup");
		add_texts(sw_pnics, sw, "pnic");
		json_object_set_array_member(item, "portGroups", sw_pgs);
		json_object_set_array_member(item, "pNICs", sw_pnics);
	}
	json_object_set_array_member(out, "pNICs", map_list(network, "pnic", pnic_fields));
	json_object_set_array_member(out, "vNICs", vnics);
	json_object_set_array_member(out, "portGroups",
				     map_list(network, "portgroup", portgroup_fields));
	json_object_set_array_member(out, "switches", switches);
	json_object_set_object_member(doc, "network", out);
	json_object_set_array_member(doc, "managementIPs", management_ips);
}

static void
ferry_vsphere_map_network(JsonObject *doc, FerryVsphereObject *object)
{
	const char *variant = "Standard";
	xmlNode *vlan = NULL;
	g_autofree char *vlan_id = NULL;

	if (g_strcmp0(object->type, "DistributedVirtualPortgroup") == 0)
		variant = "DvPortGroup";
	else if (g_strcmp0(object->type, "OpaqueNetwork") == 0)
		variant = "OpaqueNetwork";
	else if (g_str_has_suffix(object->type, "DistributedVirtualSwitch"))
		variant = "DvSwitch";
	json_object_set_string_member(doc, "variant", variant);

	if (g_strcmp0(variant, "DvSwitch") == 0) {
		JsonArray *hosts = json_array_new();
		xmlNode *members = ferry_vsphere_object_get(object, "config.host");
		set_field(doc, "key", ferry_vsphere_object_get(object, "uuid"), NULL, FIELD_TEXT);
		for (xmlNode *member = ferry_vsphere_xml_child(members, NULL); member != NULL;
		     member = ferry_vsphere_xml_next(member, NULL)) {
			JsonObject *item = json_object_new();
			JsonArray *pnics = json_array_new();
			g_autofree char *host = ferry_vsphere_xml_dup_path_text(member, "config.host");
			xmlNode *spec = ferry_vsphere_xml_path(member, "config.backing");
			for (xmlNode *pnic = ferry_vsphere_xml_child(spec, "pnicSpec"); pnic != NULL;
			     pnic = ferry_vsphere_xml_next(pnic, "pnicSpec")) {
				g_autofree char *device =
				    ferry_vsphere_xml_dup_path_text(pnic, "pnicDevice");
				json_array_add_string_element(pnics, device != NULL ? device : "");
			}
			json_object_set_object_member(item, "host",
						      ferry_vsphere_ref_new("Host", host));
			json_object_set_array_member(item, "PNIC", pnics);
			json_array_add_object_element(hosts, item);
		}
		json_object_set_array_member(doc, "host", hosts);
		return;
	}
	json_object_set_array_member(
	    doc, "host", ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "host")));
	if (g_strcmp0(variant, "DvPortGroup") == 0) {
		g_autofree char *dvs =
		    ferry_vsphere_object_dup_string(object, "config.distributedVirtualSwitch");
		set_field(doc, "key", ferry_vsphere_object_get(object, "key"), NULL, FIELD_TEXT);
		json_object_set_object_member(doc, "dvSwitch", ferry_vsphere_ref_new("Network", dvs));
		vlan = ferry_vsphere_xml_path(ferry_vsphere_object_get(object,
								       "config.defaultPortConfig"),
					      "vlan");
		if (ferry_vsphere_xml_type_is(vlan, "VmwareDistributedVirtualSwitchVlanIdSpec"))
			vlan_id = ferry_vsphere_xml_dup_path_text(vlan, "vlanId");
		else if (ferry_vsphere_xml_type_is(vlan,
						   "VmwareDistributedVirtualSwitchTrunkVlanSpec"))
			json_object_set_string_member(doc, "tag", "trunk");
	} else if (g_strcmp0(variant, "OpaqueNetwork") == 0) {
		set_field(doc, "key", ferry_vsphere_object_get(object, "summary"), "opaqueNetworkId",
			  FIELD_TEXT);
	}
	json_object_set_string_member(doc, "vlanId", vlan_id != NULL ? vlan_id : "");
}

static const Field datastore_fields[] = {
    {"type", "summary", "type", FIELD_TEXT},
    {"capacity", "summary", "capacity", FIELD_INT},
    {"free", "summary", "freeSpace", FIELD_INT},
    {"maintenanceMode", "summary", "maintenanceMode", FIELD_TEXT},
    {"accessible", "summary", "accessible", FIELD_BOOL},
    {"url", "summary", "url", FIELD_TEXT},
    {"nasRemoteHost", "info", "nas.remoteHost", FIELD_TEXT},
    {"nasRemotePath", "info", "nas.remotePath", FIELD_TEXT},
    {NULL},
};

static void
ferry_vsphere_map_datastore(JsonObject *doc, FerryVsphereObject *object)
{
	xmlNode *vmfs = ferry_vsphere_xml_child(ferry_vsphere_object_get(object, "info"), "vmfs");
	JsonArray *devices = json_array_new();
	JsonArray *hosts = json_array_new();

	map_properties(doc, object, datastore_fields);
	for (xmlNode *extent = ferry_vsphere_xml_child(vmfs, "extent"); extent != NULL;
	     extent = ferry_vsphere_xml_next(extent, "extent")) {
		g_autofree char *name = ferry_vsphere_xml_dup_path_text(extent, "diskName");
		json_array_add_string_element(devices, name != NULL ? name : "");
	}
	json_object_set_array_member(doc, "backingDevicesNames", devices);
	for (xmlNode *mount = ferry_vsphere_xml_child(ferry_vsphere_object_get(object, "host"), NULL);
	     mount != NULL; mount = ferry_vsphere_xml_next(mount, NULL)) {
		g_autofree char *host = ferry_vsphere_xml_dup_path_text(mount, "key");
		json_array_add_object_element(hosts, ferry_vsphere_ref_new("Host", host));
	}
	json_object_set_array_member(doc, "hosts", hosts);
}

/* --- virtual machines --- */

static const char *
ferry_vsphere_controller_bus(const char *type)
{
	if (type == NULL)
		return NULL;
	if (g_strcmp0(type, "VirtualIDEController") == 0)
		return "ide";
	if (g_strcmp0(type, "VirtualAHCIController") == 0 ||
	    g_strcmp0(type, "VirtualSATAController") == 0)
		return "sata";
	if (g_strcmp0(type, "VirtualNVMEController") == 0)
		return "nvme";
	if (g_strcmp0(type, "ParaVirtualSCSIController") == 0 ||
	    g_strcmp0(type, "VirtualLsiLogicController") == 0 ||
	    g_strcmp0(type, "VirtualLsiLogicSASController") == 0 ||
	    g_strcmp0(type, "VirtualBusLogicController") == 0 ||
	    g_strcmp0(type, "VirtualSCSIController") == 0)
		return "scsi";
	if (g_strcmp0(type, "VirtualUSBController") == 0 ||
	    g_strcmp0(type, "VirtualUSBXHCIController") == 0)
		return "usb";
	return NULL;
}

typedef struct {
	char *bus;
	gint64 bus_number;
} Controller;

static void
controller_free(Controller *controller)
{
	g_free(controller->bus);
	g_free(controller);
}

static char *
ferry_vsphere_extra_config(xmlNode *extra, const char *key)
{
	for (xmlNode *option = ferry_vsphere_xml_child(extra, NULL); option != NULL;
	     option = ferry_vsphere_xml_next(option, NULL)) {
		g_autofree char *name = ferry_vsphere_xml_dup_path_text(option, "key");
		if (g_ascii_strcasecmp(name != NULL ? name : "", key) == 0)
			return ferry_vsphere_xml_dup_path_text(option, "value");
	}
	return NULL;
}

static gboolean
ferry_vsphere_is_true(const char *text)
{
	return text != NULL && g_ascii_strcasecmp(text, "true") == 0;
}

/* the drive letter the guest gives the disk (`c`), from guest disk mappings */
static char *
ferry_vsphere_drive_letter(xmlNode *guest_disks, gint64 key)
{
	for (xmlNode *disk = ferry_vsphere_xml_child(guest_disks, NULL); disk != NULL;
	     disk = ferry_vsphere_xml_next(disk, NULL)) {
		g_autofree char *path = ferry_vsphere_xml_dup_path_text(disk, "diskPath");
		for (xmlNode *mapping = ferry_vsphere_xml_child(disk, "mappings"); mapping != NULL;
		     mapping = ferry_vsphere_xml_next(mapping, "mappings")) {
			gint64 mapped = -1;
			ferry_vsphere_xml_get_int64(mapping, "key", &mapped);
			if (mapped == key && path != NULL && strlen(path) >= 2 && path[1] == ':')
				return g_strdup_printf("%c", g_ascii_tolower(path[0]));
		}
	}
	return NULL;
}

static const Field rdm_fields[] = {
    {"deviceName", NULL, "deviceName", FIELD_TEXT},
    {"lunUuid", NULL, "lunUuid", FIELD_TEXT},
    {NULL},
};

static const Field disk_backing_fields[] = {
    {"serial", NULL, "uuid", FIELD_TEXT},
    {"parent", NULL, "parent.fileName", FIELD_TEXT},
    {"changeId", NULL, "changeId", FIELD_TEXT},
    {NULL},
};

static JsonObject *
ferry_vsphere_map_disk(xmlNode *device,
		       GHashTable *controllers,
		       xmlNode *extra,
		       xmlNode *guest_disks,
		       gboolean vm_tracking)
{
	JsonObject *disk = json_object_new();
	xmlNode *backing = ferry_vsphere_xml_child(device, "backing");
	g_autofree char *backing_type = ferry_vsphere_xml_dup_type(backing);
	g_autofree char *datastore = ferry_vsphere_xml_dup_path_text(backing, "datastore");
	g_autofree char *sharing = ferry_vsphere_xml_dup_path_text(backing, "sharing");
	g_autofree char *mode = ferry_vsphere_xml_dup_path_text(backing, "diskMode");
	g_autofree char *change_id = ferry_vsphere_xml_dup_path_text(backing, "changeId");
	g_autofree char *id = NULL;
	g_autofree char *ctk = NULL;
	g_autofree char *letter = NULL;
	gint64 key = 0;
	gint64 controller_key = 0;
	gint64 unit = 0;
	gint64 capacity = 0;
	gboolean rdm;
	Controller *controller;

	ferry_vsphere_xml_get_int64(device, "key", &key);
	ferry_vsphere_xml_get_int64(device, "controllerKey", &controller_key);
	ferry_vsphere_xml_get_int64(device, "unitNumber", &unit);
	if (!ferry_vsphere_xml_get_int64(device, "capacityInBytes", &capacity) || capacity <= 0) {
		gint64 kb = 0;
		/* a size no disk has (it would overflow in bytes) counts as unknown */
		if (ferry_vsphere_xml_get_int64(device, "capacityInKB", &kb))
			capacity = kb > 0 && kb <= G_MAXINT64 / 1024 ? kb * 1024 : 0;
	}
	controller = g_hash_table_lookup(controllers, GINT_TO_POINTER((gint)controller_key));
	rdm = g_strcmp0(backing_type, "VirtualDiskRawDiskMappingVer1BackingInfo") == 0;

	id = g_strdup_printf("disk-%" G_GINT64_FORMAT, key);
	json_object_set_string_member(disk, "id", id);
	json_object_set_int_member(disk, "key", key);
	json_object_set_int_member(disk, "unitNumber", unit);
	json_object_set_int_member(disk, "controllerKey", controller_key);
	set_field(disk, "file", backing, "fileName", FIELD_TEXT);
	json_object_set_object_member(disk, "datastore",
				      ferry_vsphere_ref_new(datastore != NULL ? "Datastore" : "",
							    datastore));
	json_object_set_int_member(disk, "capacity", capacity);
	json_object_set_boolean_member(disk, "shared", g_strcmp0(sharing, "sharingMultiWriter") == 0);
	json_object_set_boolean_member(disk, "rdm", rdm);
	if (rdm) {
		g_autofree char *compatibility =
		    ferry_vsphere_xml_dup_path_text(backing, "compatibilityMode");
		json_object_set_boolean_member(disk, "physicalMode",
					       g_strcmp0(compatibility, "physicalMode") == 0);
		map_fields(disk, backing, rdm_fields);
	}
	json_object_set_string_member(disk, "bus",
				      controller != NULL && controller->bus != NULL ? controller->bus
										    : "");
	json_object_set_string_member(disk, "mode", mode != NULL ? mode : "");
	map_fields(disk, backing, disk_backing_fields);
	if (ferry_vsphere_xml_child(backing, "backingObjectId") != NULL)
		set_field(disk, "vvolId", backing, "backingObjectId", FIELD_TEXT);
	/* per-disk CBT: ctkEnabled in extraConfig wins, as on real hosts */
	if (controller != NULL && controller->bus != NULL) {
		g_autofree char *ctk_key =
		    g_strdup_printf("%s%" G_GINT64_FORMAT ":%" G_GINT64_FORMAT ".ctkEnabled",
				    controller->bus, controller->bus_number, unit);
		ctk = ferry_vsphere_extra_config(extra, ctk_key);
	}
	json_object_set_boolean_member(disk, "changeTrackingEnabled",
				       ctk != NULL ? ferry_vsphere_is_true(ctk) : vm_tracking);
	letter = ferry_vsphere_drive_letter(guest_disks, key);
	json_object_set_string_member(disk, "winDriveLetter", letter != NULL ? letter : "");
	return disk;
}

static void
ferry_vsphere_map_devices(JsonObject *doc, FerryVsphereObject *object, gboolean vm_tracking)
{
	xmlNode *devices = ferry_vsphere_object_get(object, "config.hardware.device");
	xmlNode *extra = ferry_vsphere_object_get(object, "config.extraConfig");
	xmlNode *guest_disks = ferry_vsphere_object_get(object, "guest.disk");
	g_autoptr(GHashTable) controllers =
	    g_hash_table_new_full(g_direct_hash, g_direct_equal, NULL, (GDestroyNotify)controller_free);
	JsonArray *out_devices = json_array_new();
	JsonArray *disks = json_array_new();
	JsonArray *nics = json_array_new();
	JsonArray *out_controllers = json_array_new();
	gboolean tpm = FALSE;
	gint64 order = 0;

	/* controllers first: disks name their bus through them */
	for (xmlNode *device = ferry_vsphere_xml_child(devices, NULL); device != NULL;
	     device = ferry_vsphere_xml_next(device, NULL)) {
		g_autofree char *type = ferry_vsphere_xml_dup_type(device);
		const char *bus = ferry_vsphere_controller_bus(type);
		Controller *controller;
		JsonObject *item;
		JsonArray *members;
		gint64 key = 0;

		if (bus == NULL)
			continue;
		ferry_vsphere_xml_get_int64(device, "key", &key);
		controller = g_new0(Controller, 1);
		controller->bus = g_strdup(bus);
		ferry_vsphere_xml_get_int64(device, "busNumber", &controller->bus_number);
		g_hash_table_replace(controllers, GINT_TO_POINTER((gint)key), controller);
		item = json_object_new();
		members = json_array_new();
		json_object_set_int_member(item, "key", key);
		json_object_set_string_member(item, "bus", bus);
		json_object_set_string_member(item, "kind", type);
		for (xmlNode *member = ferry_vsphere_xml_child(device, "device"); member != NULL;
		     member = ferry_vsphere_xml_next(member, "device")) {
			gint64 member_key = 0;
			if (ferry_vsphere_xml_get_int64(member, NULL, &member_key))
				json_array_add_int_element(members, member_key);
		}
		json_object_set_array_member(item, "disks", members);
		json_array_add_object_element(out_controllers, item);
	}

	for (xmlNode *device = ferry_vsphere_xml_child(devices, NULL); device != NULL;
	     device = ferry_vsphere_xml_next(device, NULL)) {
		g_autofree char *type = ferry_vsphere_xml_dup_type(device);
		JsonObject *item = json_object_new();
		gint64 key = 0;
		gint64 slot = 0;

		ferry_vsphere_xml_get_int64(device, "key", &key);
		json_object_set_string_member(item, "kind", type != NULL ? type : "");
		json_object_set_int_member(item, "key", key);
		if (ferry_vsphere_xml_get_int64(device, "slotInfo.pciSlotNumber", &slot))
			json_object_set_int_member(item, "pciSlotNumber", slot);
		json_array_add_object_element(out_devices, item);
		if (g_strcmp0(type, "VirtualTPM") == 0)
			tpm = TRUE;

		if (g_strcmp0(type, "VirtualDisk") == 0) {
			json_array_add_object_element(
			    disks,
			    ferry_vsphere_map_disk(device, controllers, extra, guest_disks, vm_tracking));
		} else if (ferry_vsphere_xml_child(device, "macAddress") != NULL) {
			JsonObject *nic = json_object_new();
			xmlNode *backing = ferry_vsphere_xml_child(device, "backing");
			g_autofree char *network = NULL;
			gboolean connected = FALSE;

			if (ferry_vsphere_xml_child(backing, "network") != NULL)
				network = ferry_vsphere_xml_dup_path_text(backing, "network");
			else if (ferry_vsphere_xml_path(backing, "port.portgroupKey") != NULL)
				network =
				    ferry_vsphere_xml_dup_path_text(backing, "port.portgroupKey");
			else if (ferry_vsphere_xml_child(backing, "opaqueNetworkId") != NULL)
				network = ferry_vsphere_xml_dup_path_text(backing, "opaqueNetworkId");
			json_object_set_object_member(nic, "network",
						      ferry_vsphere_ref_new("Network", network));
			set_field(nic, "mac", device, "macAddress", FIELD_TEXT);
			json_object_set_int_member(nic, "order", order++);
			json_object_set_int_member(nic, "deviceKey", key);
			json_object_set_string_member(nic, "kind", type != NULL ? type : "");
			if (slot > 0)
				json_object_set_int_member(nic, "pciSlotNumber", slot);
			ferry_vsphere_xml_get_boolean(device, "connectable.startConnected",
						      &connected);
			json_object_set_boolean_member(nic, "startConnected", connected);
			json_array_add_object_element(nics, nic);
		}
	}
	json_object_set_array_member(doc, "devices", out_devices);
	json_object_set_array_member(doc, "disks", disks);
	json_object_set_array_member(doc, "nics", nics);
	json_object_set_array_member(doc, "controllers", out_controllers);
	if (tpm)
		json_object_set_boolean_member(doc, "tpmEnabled", TRUE);
}

static const Field route_fields[] = {
    {"gateway", NULL, "gateway.ipAddress", FIELD_TEXT},
    {"device", NULL, "gateway.device", FIELD_TEXT},
    {NULL},
};

static const Field guest_nic_fields[] = {
    {"device", NULL, "deviceConfigId", FIELD_TEXT},
    {"mac", NULL, "macAddress", FIELD_TEXT},
    {"network", NULL, "network", FIELD_TEXT},
    {NULL},
};

static const Field guest_address_fields[] = {
    {"ip", NULL, "ipAddress", FIELD_TEXT},
    {"origin", NULL, "origin", FIELD_TEXT},
    {"prefix", NULL, "prefixLength", FIELD_INT},
    {NULL},
};

static const Field guest_disk_fields[] = {
    {"key", NULL, "mappings.key", FIELD_INT},
    {"diskPath", NULL, "diskPath", FIELD_TEXT},
    {"capacity", NULL, "capacity", FIELD_INT},
    {"freeSpace", NULL, "freeSpace", FIELD_INT},
    {"filesystemType", NULL, "filesystemType", FIELD_TEXT},
    {NULL},
};

static void
ferry_vsphere_map_guest(JsonObject *doc, FerryVsphereObject *object)
{
	JsonArray *networks = json_array_new();
	JsonArray *stacks = json_array_new();
	g_autoptr(JsonArray) dns = json_array_new();

	for (xmlNode *stack = ferry_vsphere_xml_child(ferry_vsphere_object_get(object, "guest.ipStack"),
						      NULL);
	     stack != NULL; stack = ferry_vsphere_xml_next(stack, NULL)) {
		xmlNode *dns_config = ferry_vsphere_xml_child(stack, "dnsConfig");
		xmlNode *routes = ferry_vsphere_xml_path(stack, "ipRouteConfig");
		JsonArray *stack_dns = json_array_new();

		for (xmlNode *server = ferry_vsphere_xml_child(dns_config, "ipAddress"); server != NULL;
		     server = ferry_vsphere_xml_next(server, "ipAddress")) {
			g_autofree char *ip = ferry_vsphere_xml_dup_text(server);
			json_array_add_string_element(stack_dns, ip);
			json_array_add_string_element(dns, ip);
		}
		for (xmlNode *route = ferry_vsphere_xml_child(routes, "ipRoute"); route != NULL;
		     route = ferry_vsphere_xml_next(route, "ipRoute")) {
			g_autofree char *network = ferry_vsphere_xml_dup_path_text(route, "network");
			gint64 prefix = -1;
			JsonObject *item;
			ferry_vsphere_xml_get_int64(route, "prefixLength", &prefix);
			if (prefix != 0 ||
			    (g_strcmp0(network, "0.0.0.0") != 0 && g_strcmp0(network, "::") != 0))
				continue;
			item = json_object_new();
			map_fields(item, route, route_fields);
			json_object_set_array_member(item, "dns", json_array_ref(stack_dns));
			json_array_add_object_element(stacks, item);
		}
		json_array_unref(stack_dns);
	}

	for (xmlNode *nic = ferry_vsphere_xml_child(ferry_vsphere_object_get(object, "guest.net"),
						    NULL);
	     nic != NULL; nic = ferry_vsphere_xml_next(nic, NULL)) {
		xmlNode *config = ferry_vsphere_xml_child(nic, "ipConfig");
		for (xmlNode *address = ferry_vsphere_xml_child(config, "ipAddress"); address != NULL;
		     address = ferry_vsphere_xml_next(address, "ipAddress")) {
			JsonObject *item = json_object_new();
			map_fields(item, nic, guest_nic_fields);
			map_fields(item, address, guest_address_fields);
			json_object_set_array_member(item, "dns", json_array_ref(dns));
			json_array_add_object_element(networks, item);
		}
	}

	json_object_set_array_member(doc, "guestNetworks", networks);
	json_object_set_array_member(
	    doc, "guestDisks",
	    map_list(ferry_vsphere_object_get(object, "guest.disk"), NULL, guest_disk_fields));
	json_object_set_array_member(doc, "guestIpStacks", stacks);
}

static const Field vm_fields[] = {
    {"uuid", "config.uuid", NULL, FIELD_TEXT},
    {"instanceUuid", "config.instanceUuid", NULL, FIELD_TEXT},
    {"firmware", "config.firmware", NULL, FIELD_TEXT},
    {"powerState", "runtime.powerState", NULL, FIELD_TEXT},
    {"connectionState", "runtime.connectionState", NULL, FIELD_TEXT},
    {"isTemplate", "config.template", NULL, FIELD_BOOL},
    {"changeTrackingEnabled", "config.changeTrackingEnabled", NULL, FIELD_BOOL},
    {"cpuHotAddEnabled", "config.cpuHotAddEnabled", NULL, FIELD_BOOL},
    {"cpuHotRemoveEnabled", "config.cpuHotRemoveEnabled", NULL, FIELD_BOOL},
    {"memoryHotAddEnabled", "config.memoryHotAddEnabled", NULL, FIELD_BOOL},
    {"cpuCount", "config.hardware.numCPU", NULL, FIELD_INT},
    {"coresPerSocket", "config.hardware.numCoresPerSocket", NULL, FIELD_INT},
    {"memoryMB", "config.hardware.memoryMB", NULL, FIELD_INT},
    {"guestName", "config.guestFullName", NULL, FIELD_TEXT},
    {"guestNameFromVmwareTools", "guest.guestFullName", NULL, FIELD_TEXT},
    {"guestId", "config.guestId", NULL, FIELD_TEXT},
    {"hostName", "guest.hostName", NULL, FIELD_TEXT},
    {"balloonedMemory", "summary.quickStats.balloonedMemory", NULL, FIELD_INT},
    {"ipAddress", "guest.ipAddress", NULL, FIELD_TEXT},
    {"storageUsed", "summary.storage.committed", NULL, FIELD_INT},
    {"tpmEnabled", "summary.config.tpmPresent", NULL, FIELD_BOOL},
    {"secureBoot", "config.bootOptions", "efiSecureBootEnabled", FIELD_BOOL},
    {"toolsStatus", "guest.toolsStatus", NULL, FIELD_TEXT},
    {"toolsRunningStatus", "guest.toolsRunningStatus", NULL, FIELD_TEXT},
    {"toolsVersionStatus", "guest.toolsVersionStatus2", NULL, FIELD_TEXT},
    {"nestedHVEnabled", "config.nestedHVEnabled", NULL, FIELD_BOOL},
    {"consolidationNeeded", "runtime.consolidationNeeded", NULL, FIELD_BOOL},
    {"host", "runtime.host", NULL, FIELD_TEXT},
    {"folder", "parent", NULL, FIELD_TEXT},
    {NULL},
};

static void
ferry_vsphere_map_vm(JsonObject *doc, FerryVsphereObject *object)
{
	g_autofree char *ft = ferry_vsphere_object_dup_string(object, "runtime.faultToleranceState");
	g_autofree char *snapshot = ferry_vsphere_object_dup_string(object, "snapshot.currentSnapshot");
	g_autofree char *numa = NULL;
	g_autofree char *enable_uuid = NULL;
	xmlNode *extra = ferry_vsphere_object_get(object, "config.extraConfig");
	xmlNode *affinity_set = ferry_vsphere_object_get(object, "config.cpuAffinity");
	JsonArray *affinity = json_array_new();
	JsonArray *numa_nodes = json_array_new();

	map_properties(doc, object, vm_fields);
	/* what vSphere leaves unset, Forklift reads as these */
	if (*json_object_get_string_member(doc, "firmware") == '\0')
		json_object_set_string_member(doc, "firmware", "bios");
	if (*json_object_get_string_member(doc, "guestId") == '\0')
		set_field(doc, "guestId", ferry_vsphere_object_get(object, "guest.guestId"), NULL,
			  FIELD_TEXT);
	json_object_set_boolean_member(doc, "faultToleranceEnabled",
				       ft != NULL && *ft != '\0' &&
					   g_strcmp0(ft, "notConfigured") != 0);
	for (xmlNode *cpu = ferry_vsphere_xml_child(affinity_set, "affinitySet"); cpu != NULL;
	     cpu = ferry_vsphere_xml_next(cpu, "affinitySet")) {
		gint64 value = 0;
		if (ferry_vsphere_xml_get_int64(cpu, NULL, &value))
			json_array_add_int_element(affinity, value);
	}
	json_object_set_array_member(doc, "cpuAffinity", affinity);
	numa = ferry_vsphere_extra_config(extra, "numa.nodeAffinity");
	if (numa != NULL && *numa != '\0') {
		g_auto(GStrv) nodes = g_strsplit(numa, ",", -1);
		for (guint i = 0; nodes[i] != NULL; i++)
			json_array_add_string_element(numa_nodes, g_strstrip(nodes[i]));
	}
	json_object_set_array_member(doc, "numaNodeAffinity", numa_nodes);
	json_object_set_object_member(
	    doc, "snapshot",
	    ferry_vsphere_ref_new(snapshot != NULL ? "VirtualMachineSnapshot" : "", snapshot));
	enable_uuid = ferry_vsphere_extra_config(extra, "disk.EnableUUID");
	json_object_set_boolean_member(doc, "diskEnableUuid", ferry_vsphere_is_true(enable_uuid));
	json_object_set_array_member(
	    doc, "networks", ferry_vsphere_refs_from_array(ferry_vsphere_object_get(object, "network")));
	ferry_vsphere_map_devices(doc, object,
				  json_object_get_boolean_member(doc, "changeTrackingEnabled"));
	ferry_vsphere_map_guest(doc, object);
}

/**
 * ferry_vsphere_inventory_map:
 * @index: the folder tree, for paths and datacenters
 * @object: a managed object with the properties of its type
 * @kind: (out): the inventory kind, e.g. `vm`
 * @name: (out): its name
 * @parent: (out): its parent's id
 * @document: (out): the document, with Forklift's field names
 *
 * Returns: %FALSE for objects that are not part of the inventory
 */
gboolean
ferry_vsphere_inventory_map(FerryVsphereIndex *index,
			    FerryVsphereObject *object,
			    char **kind,
			    char **name,
			    char **parent,
			    JsonObject **document)
{
	const char *inventory_kind = ferry_vsphere_inventory_kind_for_type(object->type);
	g_autoptr(JsonObject) doc = NULL;
	g_autofree char *object_name = NULL;
	g_autofree char *parent_id = NULL;
	g_autofree char *parent_type = NULL;
	xmlNode *parent_node;

	if (inventory_kind == NULL || object->id == NULL)
		return FALSE;
	object_name = ferry_vsphere_object_dup_string(object, "name");
	parent_node = ferry_vsphere_object_get(object, "parent");
	if (parent_node != NULL) {
		xmlChar *type = xmlGetNoNsProp(parent_node, (const xmlChar *)"type");
		parent_type = g_strdup((const char *)type);
		parent_id = ferry_vsphere_xml_dup_text(parent_node);
		xmlFree(type);
	}
	/* keep the folder tree current while mapping */
	ferry_vsphere_index_update(index, object->type, object->id, object_name, parent_id);

	doc = json_object_new();
	ferry_vsphere_doc_begin(doc, index, object, object_name, parent_type, parent_id);
	if (g_strcmp0(inventory_kind, "vm") == 0)
		ferry_vsphere_map_vm(doc, object);
	else if (g_strcmp0(inventory_kind, "host") == 0)
		ferry_vsphere_map_host(doc, object);
	else if (g_strcmp0(inventory_kind, "cluster") == 0)
		ferry_vsphere_map_cluster(doc, index, object);
	else if (g_strcmp0(inventory_kind, "datacenter") == 0)
		ferry_vsphere_map_datacenter(doc, object);
	else if (g_strcmp0(inventory_kind, "folder") == 0)
		ferry_vsphere_map_folder(doc, index, object);
	else if (g_strcmp0(inventory_kind, "network") == 0)
		ferry_vsphere_map_network(doc, object);
	else if (g_strcmp0(inventory_kind, "datastore") == 0)
		ferry_vsphere_map_datastore(doc, object);

	*kind = g_strdup(inventory_kind);
	*name = g_steal_pointer(&object_name);
	*parent = g_steal_pointer(&parent_id);
	*document = g_steal_pointer(&doc);
	return TRUE;
}

/* --- requests --- */

static void
ferry_vsphere_add_prop_sets(FerryVsphereRequest *request,
			    FerryVsphereClient *client,
			    const PropertySet *sets)
{
	for (guint i = 0; sets[i].type != NULL; i++) {
		ferry_vsphere_request_open(request, "propSet", NULL);
		ferry_vsphere_request_add_text(request, "type", sets[i].type);
		ferry_vsphere_request_add_boolean(request, "all", FALSE);
		for (guint j = 0; sets[i].paths[j].path != NULL; j++) {
			if (sets[i].paths[j].since != NULL &&
			    !ferry_vsphere_client_api_at_least(client, sets[i].paths[j].since))
				continue;
			ferry_vsphere_request_add_text(request, "pathSet", sets[i].paths[j].path);
		}
		ferry_vsphere_request_close(request, "propSet");
	}
}

static void
ferry_vsphere_add_view_object_set(FerryVsphereRequest *request, const char *view)
{
	ferry_vsphere_request_open(request, "objectSet", NULL);
	ferry_vsphere_request_add_moref(request, "obj", "ContainerView", view);
	ferry_vsphere_request_add_boolean(request, "skip", TRUE);
	ferry_vsphere_request_open(request, "selectSet", "TraversalSpec");
	ferry_vsphere_request_add_text(request, "name", "view");
	ferry_vsphere_request_add_text(request, "type", "ContainerView");
	ferry_vsphere_request_add_text(request, "path", "view");
	ferry_vsphere_request_add_boolean(request, "skip", FALSE);
	ferry_vsphere_request_close(request, "selectSet");
	ferry_vsphere_request_close(request, "objectSet");
}

static char *
ferry_vsphere_create_view(FerryVsphereClient *client, GCancellable *cancellable, GError **error)
{
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "CreateContainerView", "ViewManager", ferry_vsphere_client_get_view_manager(client));
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autofree char *context =
	    g_strdup_printf("vsphere: %s: inventory", ferry_vsphere_client_get_display_name(client));

	ferry_vsphere_request_add_moref(request, "container", "Folder",
					ferry_vsphere_client_get_root_folder(client));
	for (guint i = 0; view_types[i] != NULL; i++)
		ferry_vsphere_request_add_text(request, "type", view_types[i]);
	ferry_vsphere_request_add_boolean(request, "recursive", TRUE);
	response = ferry_vsphere_client_call(client, request, context, cancellable, error);
	if (response == NULL)
		return NULL;
	return ferry_vsphere_xml_dup_text(ferry_vsphere_response_get_returnval(response));
}

static void
ferry_vsphere_destroy(FerryVsphereClient *client, const char *method, const char *type, const char *id)
{
	g_autoptr(FerryVsphereRequest) request = NULL;
	g_autoptr(FerryVsphereResponse) response = NULL;

	if (id == NULL)
		return;
	request = ferry_vsphere_request_new(method, type, id);
	response = ferry_vsphere_client_call(client, request, "vsphere: clean up", NULL, NULL);
}

/* the view holds what is below the root folder, not the root itself */
static void
ferry_vsphere_add_root_object_set(FerryVsphereRequest *request, FerryVsphereClient *client)
{
	ferry_vsphere_request_open(request, "objectSet", NULL);
	ferry_vsphere_request_add_moref(request, "obj", "Folder",
					ferry_vsphere_client_get_root_folder(client));
	ferry_vsphere_request_add_boolean(request, "skip", FALSE);
	ferry_vsphere_request_close(request, "objectSet");
}

static FerryVsphereRequest *
ferry_vsphere_retrieve_request(FerryVsphereClient *client,
			       const char *view,
			       const PropertySet *sets,
			       guint page_size)
{
	FerryVsphereRequest *request = ferry_vsphere_request_new(
	    "RetrievePropertiesEx", "PropertyCollector",
	    ferry_vsphere_client_get_property_collector(client));

	ferry_vsphere_request_open(request, "specSet", NULL);
	ferry_vsphere_add_prop_sets(request, client, sets);
	ferry_vsphere_add_view_object_set(request, view);
	if (sets == infrastructure_sets)
		ferry_vsphere_add_root_object_set(request, client);
	ferry_vsphere_request_close(request, "specSet");
	ferry_vsphere_request_open(request, "options", NULL);
	if (page_size > 0)
		ferry_vsphere_request_add_int(request, "maxObjects", page_size);
	ferry_vsphere_request_close(request, "options");
	return request;
}

/* runs in the fetching thread, on each object of a page as it arrives:
 * returns what the caller's thread then takes, or %NULL */
typedef gpointer (*PrepareFunc)(FerryVsphereObject *object, gpointer user_data);
/* runs in the caller's thread on what PrepareFunc returned */
typedef gboolean (*ConsumeFunc)(gpointer item, gpointer user_data, GError **error);

/* pages travel from the fetching thread to the caller as these */
typedef struct {
	GPtrArray *items; /* what PrepareFunc made of the page's objects */
	gboolean last;
	GError *error;
} Page;

static void
page_free(Page *page)
{
	g_clear_pointer(&page->items, g_ptr_array_unref);
	g_clear_error(&page->error);
	g_free(page);
}

/* fetches, parses and maps pages ahead while the caller stores the previous
 * one: the network, TLS, XML parsing and mapping overlap with the inventory
 * writes, which must stay in the caller's thread */
typedef struct {
	FerryVsphereClient *client;
	FerryVsphereRequest *request;
	const char *context;
	PrepareFunc prepare;
	GDestroyNotify item_free;
	gpointer user_data;
	GCancellable *cancellable; /* ours: cancelled by the caller's, or to stop */
	GAsyncQueue *pages;	   /* of Page, the last one marked */
	GAsyncQueue *slots;	   /* how many more pages may be fetched ahead */
} Fetcher;

#define PAGES_AHEAD 2

static gpointer
ferry_vsphere_fetcher_thread(gpointer user_data)
{
	Fetcher *fetcher = user_data;
	g_autofree char *token = NULL;

	for (guint n = 0;; n++) {
		g_autoptr(FerryVsphereResult) result = NULL;
		Page *page = g_new0(Page, 1);
		gboolean failed;

		g_async_queue_pop(fetcher->slots);
		if (g_cancellable_set_error_if_cancelled(fetcher->cancellable, &page->error)) {
			g_async_queue_push(fetcher->pages, page);
			return NULL;
		}
		if (n == 0)
			result = ferry_vsphere_client_retrieve(fetcher->client, fetcher->request,
							       fetcher->context, fetcher->cancellable,
							       &page->error);
		else
			result = ferry_vsphere_client_continue(fetcher->client, token,
							       fetcher->context,
							       fetcher->cancellable, &page->error);
		g_clear_pointer(&token, g_free);
		if (result != NULL) {
			token = g_steal_pointer(&result->token);
			page->items = g_ptr_array_new_with_free_func(fetcher->item_free);
			for (guint i = 0; i < result->objects->len; i++) {
				gpointer item = fetcher->prepare(
				    g_ptr_array_index(result->objects, i), fetcher->user_data);
				if (item != NULL)
					g_ptr_array_add(page->items, item);
			}
		}
		failed = page->error != NULL;
		page->last = failed || token == NULL || *token == '\0';
		/* the page belongs to the caller from here on */
		g_async_queue_push(fetcher->pages, page);
		if (failed || token == NULL || *token == '\0')
			return NULL;
	}
}

static void
ferry_vsphere_fetcher_cancel_cb(GCancellable *caller, gpointer user_data)
{
	g_cancellable_cancel(G_CANCELLABLE(user_data));
}

/* reads every page of a RetrievePropertiesEx: @prepare runs on each
 * object in a fetching thread, @consume (when not %NULL) on each result of it
 * in this thread */
static gboolean
ferry_vsphere_retrieve_all(FerryVsphereClient *client,
			   FerryVsphereRequest *request,
			   PrepareFunc prepare,
			   ConsumeFunc consume,
			   GDestroyNotify item_free,
			   gpointer user_data,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autofree char *context =
	    g_strdup_printf("vsphere: %s: inventory", ferry_vsphere_client_get_display_name(client));
	Fetcher fetcher = {client,
			   request,
			   context,
			   prepare,
			   item_free,
			   user_data,
			   g_cancellable_new(),
			   g_async_queue_new_full((GDestroyNotify)page_free),
			   g_async_queue_new()};
	gulong handler = 0;
	GThread *thread;
	gboolean ok = TRUE;

	if (cancellable != NULL)
		handler = g_cancellable_connect(cancellable,
						G_CALLBACK(ferry_vsphere_fetcher_cancel_cb),
						g_object_ref(fetcher.cancellable), g_object_unref);
	for (guint i = 0; i < PAGES_AHEAD; i++)
		g_async_queue_push(fetcher.slots, GUINT_TO_POINTER(1));
	thread = g_thread_new("ferry-vsphere-pages", ferry_vsphere_fetcher_thread, &fetcher);
	for (;;) {
		Page *page = g_async_queue_pop(fetcher.pages);
		gboolean last = page->last;

		if (page->error != NULL) {
			ferry_error_convert(&page->error);
			g_propagate_error(error, g_steal_pointer(&page->error));
			ok = FALSE;
		}
		for (guint i = 0; ok && consume != NULL && page->items != NULL &&
				  i < page->items->len;
		     i++)
			ok = consume(g_ptr_array_index(page->items, i), user_data, error);
		page_free(page);
		if (last || !ok)
			break;
		g_async_queue_push(fetcher.slots, GUINT_TO_POINTER(1));
	}
	/* stop the fetcher if it still runs, and wait for it */
	g_cancellable_cancel(fetcher.cancellable);
	g_async_queue_push(fetcher.slots, GUINT_TO_POINTER(1));
	g_thread_join(thread);
	g_cancellable_disconnect(cancellable, handler);
	g_object_unref(fetcher.cancellable);
	g_async_queue_unref(fetcher.pages);
	g_async_queue_unref(fetcher.slots);
	return ok;
}

static gpointer
ferry_vsphere_index_prepare(FerryVsphereObject *object, gpointer user_data)
{
	FerryVsphereIndex *index = user_data;
	g_autofree char *name = ferry_vsphere_object_dup_string(object, "name");
	g_autofree char *parent = ferry_vsphere_object_dup_string(object, "parent");
	ferry_vsphere_index_update(index, object->type, object->id, name, parent);
	return NULL;
}

static FerryVsphereIndex *
ferry_vsphere_inventory_build_index_in_view(FerryVsphereClient *client,
					    const char *view,
					    GCancellable *cancellable,
					    GError **error)
{
	g_autoptr(FerryVsphereIndex) index =
	    ferry_vsphere_index_new(ferry_vsphere_client_get_root_folder(client));
	g_autoptr(FerryVsphereRequest) request =
	    ferry_vsphere_retrieve_request(client, view, tree_sets, 0);

	if (!ferry_vsphere_retrieve_all(client, request, ferry_vsphere_index_prepare, NULL, NULL,
					index, cancellable, error))
		return NULL;
	return g_steal_pointer(&index);
}

/**
 * ferry_vsphere_inventory_build_index:
 * @client: a logged-in client
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reads the names and parents of folders, datacenters and clusters.
 *
 * Returns: (transfer full): the folder tree
 */
FerryVsphereIndex *
ferry_vsphere_inventory_build_index(FerryVsphereClient *client,
				    GCancellable *cancellable,
				    GError **error)
{
	g_autofree char *view = ferry_vsphere_create_view(client, cancellable, error);
	FerryVsphereIndex *index;

	if (view == NULL)
		return NULL;
	index = ferry_vsphere_inventory_build_index_in_view(client, view, cancellable, error);
	ferry_vsphere_destroy(client, "DestroyView", "ContainerView", view);
	return index;
}

typedef struct {
	FerryVsphereIndex *index;
	FerryInventory *inventory;
	guint objects;
	guint incomplete;    /* objects with properties the server withheld */
	char *first_missing; /* the first of them, for the warning */
} StoreData;

static void
store_data_clear(StoreData *data)
{
	g_clear_pointer(&data->first_missing, g_free);
}

G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(StoreData, store_data_clear)

/* an object mapped to its document, on its way to the inventory */
typedef struct {
	char *kind;
	char *id;
	char *name;
	char *parent;
	JsonObject *document;
	char *missing; /* the first withheld property, if any */
} Mapped;

static void
mapped_free(Mapped *mapped)
{
	g_free(mapped->kind);
	g_free(mapped->id);
	g_free(mapped->name);
	g_free(mapped->parent);
	g_clear_pointer(&mapped->document, json_object_unref);
	g_free(mapped->missing);
	g_free(mapped);
}

G_DEFINE_AUTOPTR_CLEANUP_FUNC(Mapped, mapped_free)

/* PrepareFunc: maps an object (the index is only written by this thread) */
static gpointer
ferry_vsphere_store_prepare(FerryVsphereObject *object, gpointer user_data)
{
	StoreData *data = user_data;
	g_autoptr(Mapped) mapped = g_new0(Mapped, 1);

	if (!ferry_vsphere_inventory_map(data->index, object, &mapped->kind, &mapped->name,
					 &mapped->parent, &mapped->document))
		return NULL;
	mapped->id = g_strdup(object->id);
	if (object->missing->len > 0) {
		FerryVsphereFault *fault = g_ptr_array_index(object->missing, 0);
		mapped->missing = g_strdup_printf("%s %s: %s (%s)", object->type, object->id,
						  fault->property, fault->type);
	}
	return g_steal_pointer(&mapped);
}

/* ConsumeFunc: stores a mapped object */
static gboolean
ferry_vsphere_store_consume(gpointer item, gpointer user_data, GError **error)
{
	StoreData *data = user_data;
	Mapped *mapped = item;

	data->objects++;
	if (mapped->missing != NULL) {
		data->incomplete++;
		if (data->first_missing == NULL)
			data->first_missing = g_strdup(mapped->missing);
	}
	return ferry_inventory_upsert(data->inventory, mapped->kind, mapped->id, mapped->name,
				      mapped->parent, mapped->document, error);
}

/* both steps in this thread (the watch) */
static gboolean
ferry_vsphere_store_object(FerryVsphereObject *object, StoreData *data, GError **error)
{
	g_autoptr(Mapped) mapped = ferry_vsphere_store_prepare(object, data);
	return mapped == NULL || ferry_vsphere_store_consume(mapped, data, error);
}

static gboolean
ferry_vsphere_inventory_load_once(FerryVsphereClient *client,
				  FerryInventory *inventory,
				  const char *provider,
				  guint page_size,
				  GCancellable *cancellable,
				  GError **error)
{
	g_autoptr(FerryVsphereIndex) index =
	    ferry_vsphere_index_new(ferry_vsphere_client_get_root_folder(client));
	g_autofree char *view = NULL;
	g_auto(StoreData) data = {index, inventory, 0, 0, NULL};
	gboolean ok;

	view = ferry_vsphere_create_view(client, cancellable, error);
	if (view == NULL)
		return FALSE;
	if (!ferry_inventory_begin_update(inventory, provider, TRUE, error)) {
		ferry_vsphere_destroy(client, "DestroyView", "ContainerView", view);
		return FALSE;
	}
	{
		g_autoptr(FerryVsphereRequest) tree =
		    ferry_vsphere_retrieve_request(client, view, tree_sets, 0);
		g_autoptr(FerryVsphereRequest) infrastructure =
		    ferry_vsphere_retrieve_request(client, view, infrastructure_sets, page_size);
		g_autoptr(FerryVsphereRequest) vms =
		    ferry_vsphere_retrieve_request(client, view, vm_sets, page_size);
		ok = ferry_vsphere_retrieve_all(client, tree, ferry_vsphere_index_prepare, NULL,
						NULL, index, cancellable, error) &&
		     ferry_vsphere_retrieve_all(client, infrastructure, ferry_vsphere_store_prepare,
						ferry_vsphere_store_consume,
						(GDestroyNotify)mapped_free, &data, cancellable,
						error) &&
		     ferry_vsphere_retrieve_all(client, vms, ferry_vsphere_store_prepare,
						ferry_vsphere_store_consume,
						(GDestroyNotify)mapped_free, &data, cancellable,
						error);
	}
	ferry_vsphere_destroy(client, "DestroyView", "ContainerView", view);
	if (!ok) {
		ferry_inventory_abort_update(inventory);
		return FALSE;
	}
	g_debug("vsphere: %s: loaded %u objects in %u requests",
		ferry_vsphere_client_get_display_name(client), data.objects,
		ferry_vsphere_client_get_request_count(client));
	/* usually a role without read access somewhere in the tree */
	if (data.incomplete > 0)
		g_warning("vsphere: %s: the server withheld properties of %u objects (first: %s); "
			  "give the user at least the Read-only role on the whole vCenter "
			  "inventory",
			  ferry_vsphere_client_get_display_name(client), data.incomplete,
			  data.first_missing);
	return ferry_inventory_commit_update(inventory, error);
}

/**
 * ferry_vsphere_inventory_load:
 * @client: a logged-in client
 * @inventory: where to write
 * @provider: the provider name the objects belong to
 * @page_size: objects per RetrievePropertiesEx page
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Loads everything in one full inventory update: first the infrastructure
 * (folders, datacenters, clusters, hosts, networks, datastores), then the VMs
 * page by page, so memory stays flat however many VMs there are.
 *
 * Returns: %TRUE on success; on failure nothing was changed
 */
gboolean
ferry_vsphere_inventory_load(FerryVsphereClient *client,
			     FerryInventory *inventory,
			     const char *provider,
			     guint page_size,
			     GCancellable *cancellable,
			     GError **error)
{
	guint generation = ferry_vsphere_client_get_generation(client);
	g_autoptr(GError) local_error = NULL;

	if (ferry_vsphere_inventory_load_once(client, inventory, provider, page_size, cancellable,
					      &local_error))
		return TRUE;
	/* the session expired under the load and the client logged in again:
	 * the container view died with the old session, so start over once */
	if (ferry_vsphere_client_get_generation(client) != generation &&
	    !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_CANCELLED)) {
		g_debug("%s; loading again in the new session", local_error->message);
		return ferry_vsphere_inventory_load_once(client, inventory, provider, page_size,
							 cancellable, error);
	}
	g_propagate_error(error, g_steal_pointer(&local_error));
	return FALSE;
}

static gpointer
ferry_vsphere_count_prepare(FerryVsphereObject *object, gpointer user_data)
{
	guint *count = user_data;
	(*count)++;
	return NULL;
}

/**
 * ferry_vsphere_inventory_fetch_only:
 * @client: a logged-in client
 * @page_size: objects per page
 * @objects: (out): how many objects came back
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Sends the requests of a full load and parses the replies, but maps and
 * stores nothing: the floor a full load is measured against.
 *
 * Returns: %TRUE on success
 */
gboolean
ferry_vsphere_inventory_fetch_only(FerryVsphereClient *client,
				   guint page_size,
				   guint *objects,
				   GCancellable *cancellable,
				   GError **error)
{
	g_autofree char *view = ferry_vsphere_create_view(client, cancellable, error);
	gboolean ok;

	*objects = 0;
	if (view == NULL)
		return FALSE;
	{
		g_autoptr(FerryVsphereRequest) tree =
		    ferry_vsphere_retrieve_request(client, view, tree_sets, 0);
		g_autoptr(FerryVsphereRequest) infrastructure =
		    ferry_vsphere_retrieve_request(client, view, infrastructure_sets, page_size);
		g_autoptr(FerryVsphereRequest) vms =
		    ferry_vsphere_retrieve_request(client, view, vm_sets, page_size);
		guint ignored = 0;
		ok = ferry_vsphere_retrieve_all(client, tree, ferry_vsphere_count_prepare, NULL,
						NULL, &ignored, cancellable, error) &&
		     ferry_vsphere_retrieve_all(client, infrastructure, ferry_vsphere_count_prepare,
						NULL, NULL, objects, cancellable, error) &&
		     ferry_vsphere_retrieve_all(client, vms, ferry_vsphere_count_prepare, NULL,
						NULL, objects, cancellable, error);
	}
	ferry_vsphere_destroy(client, "DestroyView", "ContainerView", view);
	return ok;
}

/* --- following changes --- */

typedef struct {
	FerryVsphereClient *client;
	FerryInventory *inventory;
	const char *provider;
	FerryVsphereIndex *index;
	char *view;
	char *filter;
} Watch;

static char *
ferry_vsphere_watch_create_filter(Watch *watch, GCancellable *cancellable, GError **error)
{
	static const PropertySet *all_sets[] = {infrastructure_sets, vm_sets};
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "CreateFilter", "PropertyCollector",
	    ferry_vsphere_client_get_property_collector(watch->client));
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autofree char *context = g_strdup_printf(
	    "vsphere: %s: watch the inventory", ferry_vsphere_client_get_display_name(watch->client));

	ferry_vsphere_request_open(request, "spec", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(all_sets); i++)
		ferry_vsphere_add_prop_sets(request, watch->client, all_sets[i]);
	ferry_vsphere_add_view_object_set(request, watch->view);
	ferry_vsphere_add_root_object_set(request, watch->client);
	ferry_vsphere_request_close(request, "spec");
	ferry_vsphere_request_add_boolean(request, "partialUpdates", FALSE);
	response = ferry_vsphere_client_call(watch->client, request, context, cancellable, error);
	if (response == NULL)
		return NULL;
	return ferry_vsphere_xml_dup_text(ferry_vsphere_response_get_returnval(response));
}

/* reads all properties of objects the server says were modified */
static FerryVsphereResult *
ferry_vsphere_watch_refetch(Watch *watch, GPtrArray *modified, GCancellable *cancellable, GError **error)
{
	static const PropertySet *all_sets[] = {infrastructure_sets, vm_sets};
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "RetrievePropertiesEx", "PropertyCollector",
	    ferry_vsphere_client_get_property_collector(watch->client));
	g_autofree char *context = g_strdup_printf(
	    "vsphere: %s: watch the inventory", ferry_vsphere_client_get_display_name(watch->client));

	ferry_vsphere_request_open(request, "specSet", NULL);
	for (guint i = 0; i < G_N_ELEMENTS(all_sets); i++)
		ferry_vsphere_add_prop_sets(request, watch->client, all_sets[i]);
	for (guint i = 0; i < modified->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(modified, i);
		ferry_vsphere_request_open(request, "objectSet", NULL);
		ferry_vsphere_request_add_moref(request, "obj", object->type, object->id);
		ferry_vsphere_request_add_boolean(request, "skip", FALSE);
		ferry_vsphere_request_close(request, "objectSet");
	}
	/* an object removed meanwhile must not fail the whole read */
	ferry_vsphere_request_add_boolean(request, "reportMissingObjectsInResults", TRUE);
	ferry_vsphere_request_close(request, "specSet");
	ferry_vsphere_request_open(request, "options", NULL);
	ferry_vsphere_request_close(request, "options");
	return ferry_vsphere_client_retrieve(watch->client, request, context, cancellable, error);
}

/* rewrites the path of VMs whose folders were renamed or moved */
static gboolean
ferry_vsphere_watch_fix_paths(Watch *watch, GError **error)
{
	g_autoptr(GPtrArray) vms = NULL;

	vms = ferry_inventory_list(watch->inventory, watch->provider, "vm", error);
	if (vms == NULL)
		return FALSE;
	for (guint i = 0; i < vms->len; i++) {
		JsonObject *vm = g_ptr_array_index(vms, i);
		const char *folder = json_object_get_string_member_with_default(vm, "folder", NULL);
		const char *name = json_object_get_string_member_with_default(vm, "name", NULL);
		const char *old_path = json_object_get_string_member_with_default(vm, "path", NULL);
		const char *id = json_object_get_string_member_with_default(vm, "id", NULL);
		g_autofree char *path = NULL;

		if (id == NULL)
			continue;
		path = ferry_vsphere_index_dup_path(watch->index, folder, name);
		if (g_strcmp0(path, old_path) == 0)
			continue;
		json_object_set_string_member(vm, "path", path);
		if (!ferry_inventory_upsert(watch->inventory, "vm", id, name, folder, vm, error))
			return FALSE;
	}
	return TRUE;
}

/* applies one update set; the first one holds everything (enter) */
static gboolean
ferry_vsphere_watch_apply(Watch *watch,
			  GPtrArray *updates,
			  GCancellable *cancellable,
			  GError **error)
{
	g_autoptr(GPtrArray) modified = g_ptr_array_new();
	g_autoptr(FerryVsphereResult) refetched = NULL;
	g_auto(StoreData) data = {watch->index, watch->inventory, 0, 0, NULL};
	gboolean paths_stale = FALSE;

	for (guint i = 0; i < updates->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(updates, i);
		const char *kind = ferry_vsphere_inventory_kind_for_type(object->type);

		if (kind == NULL)
			continue;
		if (g_strcmp0(object->kind, "leave") == 0) {
			ferry_vsphere_index_remove(watch->index, object->id);
			if (!ferry_inventory_remove(watch->inventory, kind, object->id, error))
				return FALSE;
		} else if (g_strcmp0(object->kind, "enter") == 0) {
			if (!ferry_vsphere_store_object(object, &data, error))
				return FALSE;
		} else {
			g_ptr_array_add(modified, object);
		}
	}
	if (modified->len == 0)
		return TRUE;
	refetched = ferry_vsphere_watch_refetch(watch, modified, cancellable, error);
	if (refetched == NULL)
		return FALSE;
	for (guint i = 0; i < refetched->objects->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(refetched->objects, i);
		g_autofree char *name = ferry_vsphere_object_dup_string(object, "name");
		g_autofree char *parent = ferry_vsphere_object_dup_string(object, "parent");
		if (ferry_vsphere_index_update(watch->index, object->type, object->id, name, parent))
			paths_stale = TRUE;
		if (!ferry_vsphere_store_object(object, &data, error))
			return FALSE;
	}
	if (paths_stale)
		return ferry_vsphere_watch_fix_paths(watch, error);
	return TRUE;
}

static FerryVsphereResponse *
ferry_vsphere_watch_wait(Watch *watch,
			 const char *version,
			 guint max_wait_seconds,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autoptr(FerryVsphereRequest) request = ferry_vsphere_request_new(
	    "WaitForUpdatesEx", "PropertyCollector",
	    ferry_vsphere_client_get_property_collector(watch->client));
	g_autofree char *context = g_strdup_printf(
	    "vsphere: %s: watch the inventory", ferry_vsphere_client_get_display_name(watch->client));

	ferry_vsphere_request_add_text(request, "version", version);
	ferry_vsphere_request_open(request, "options", NULL);
	ferry_vsphere_request_add_int(request, "maxWaitSeconds", max_wait_seconds);
	ferry_vsphere_request_add_int(request, "maxObjectUpdates", 1000);
	ferry_vsphere_request_close(request, "options");
	return ferry_vsphere_client_call(watch->client, request, context, cancellable, error);
}

static gboolean
ferry_vsphere_watch_loop(Watch *watch,
			 guint max_wait_seconds,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autofree char *version = g_strdup("");
	gboolean initial = TRUE;
	gboolean in_update = FALSE;

	for (;;) {
		g_autoptr(FerryVsphereResponse) response = NULL;
		g_autoptr(GPtrArray) updates = NULL;
		g_autofree char *next_version = NULL;
		xmlNode *returnval;
		gboolean truncated = FALSE;

		response = ferry_vsphere_watch_wait(watch, version, max_wait_seconds, cancellable,
						    error);
		if (response == NULL) {
			if (in_update)
				ferry_inventory_abort_update(watch->inventory);
			return FALSE;
		}
		returnval = ferry_vsphere_response_get_returnval(response);
		if (returnval == NULL)
			continue; /* waited maxWaitSeconds, nothing changed */
		updates = ferry_vsphere_parse_update_set(returnval, &next_version, &truncated);
		if (next_version != NULL) {
			g_free(version);
			version = g_steal_pointer(&next_version);
		}
		if (!in_update) {
			if (!ferry_inventory_begin_update(watch->inventory, watch->provider, initial,
							  error))
				return FALSE;
			in_update = TRUE;
		}
		if (!ferry_vsphere_watch_apply(watch, updates, cancellable, error)) {
			ferry_inventory_abort_update(watch->inventory);
			return FALSE;
		}
		/* the initial load may come in several truncated parts: one update */
		if (truncated && initial)
			continue;
		in_update = FALSE;
		initial = FALSE;
		if (!ferry_inventory_commit_update(watch->inventory, error))
			return FALSE;
	}
}

static gboolean
ferry_vsphere_inventory_watch_session(FerryVsphereClient *client,
				      FerryInventory *inventory,
				      const char *provider,
				      guint max_wait_seconds,
				      GCancellable *cancellable,
				      GError **error)
{
	Watch watch = {client, inventory, provider, NULL, NULL, NULL};
	gboolean ok = FALSE;

	watch.view = ferry_vsphere_create_view(client, cancellable, error);
	if (watch.view == NULL)
		return FALSE;
	watch.index =
	    ferry_vsphere_inventory_build_index_in_view(client, watch.view, cancellable, error);
	if (watch.index != NULL)
		watch.filter = ferry_vsphere_watch_create_filter(&watch, cancellable, error);
	if (watch.filter != NULL)
		ok = ferry_vsphere_watch_loop(&watch, max_wait_seconds, cancellable, error);
	/* clean up on the server even when cancelled */
	ferry_vsphere_destroy(client, "DestroyPropertyFilter", "PropertyFilter", watch.filter);
	ferry_vsphere_destroy(client, "DestroyView", "ContainerView", watch.view);
	ferry_vsphere_index_free(watch.index);
	g_free(watch.filter);
	g_free(watch.view);
	return ok;
}

/**
 * ferry_vsphere_inventory_watch:
 * @client: a logged-in client
 * @inventory: where to write
 * @provider: the provider name the objects belong to
 * @max_wait_seconds: how long one WaitForUpdatesEx may wait on the server
 * @cancellable: (nullable): ends the watch
 * @error: return location for a #GError
 *
 * Follows the inventory the way Forklift's collector does: a property filter
 * over a ContainerView of everything, then WaitForUpdatesEx in a loop. The
 * first update set is a full load (the provider reaches parity); after it,
 * entered objects are stored as sent, modified ones are read again whole,
 * and objects that left are removed. When the session expires the client
 * logs in again; the filter and view died with the old session, so the
 * watch starts over (with a full update) in the new one.
 *
 * Returns: %FALSE with %FERRY_ERROR_CANCELLED when cancelled, or another error
 */
gboolean
ferry_vsphere_inventory_watch(FerryVsphereClient *client,
			      FerryInventory *inventory,
			      const char *provider,
			      guint max_wait_seconds,
			      GCancellable *cancellable,
			      GError **error)
{
	for (guint attempt = 0;; attempt++) {
		guint generation = ferry_vsphere_client_get_generation(client);
		g_autoptr(GError) local_error = NULL;

		if (ferry_vsphere_inventory_watch_session(client, inventory, provider,
							  max_wait_seconds, cancellable,
							  &local_error))
			return TRUE;
		if (attempt < 3 && ferry_vsphere_client_get_generation(client) != generation &&
		    !g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_CANCELLED)) {
			g_debug("%s; watching again in the new session", local_error->message);
			continue;
		}
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
}
