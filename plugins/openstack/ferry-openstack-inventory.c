/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* OpenStack API documents → inventory documents with Forklift's field
 * names (its provider model for OpenStack: `tenantID`, `flavorID`,
 * `imageID`, `attachedVolumes[].ID`, `extraSpecs`, `volumeType`,
 * `diskFormat`, image `properties`, …), so the OpenStack rules of
 * data/rules/openstack/ and Forklift's inventory routes read them as they
 * read Forklift's. Pure functions of untrusted input (fuzz-openstack-api.c). */

#include "config.h"

#include <string.h>

#include "ferry-openstack-inventory.h"

typedef struct {
	const char *api;
	const char *forklift;
} FieldMap;

static const FieldMap project_fields[] = {
	{"id", "id"}, {"name", "name"}, {"description", "description"}, {"enabled", "enabled"},
	{"is_domain", "isDomain"}, {"domain_id", "domainID"}, {"parent_id", "parentID"},
	{NULL, NULL},
};

static const FieldMap region_fields[] = {
	{"id", "id"}, {"description", "description"}, {"parent_region_id", "parentRegionID"},
	{NULL, NULL},
};

static const FieldMap flavor_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"ram", "ram"},
	{"vcpus", "vcpus"},
	{"disk", "disk"},
	{"swap", "swap"},
	{"rxtx_factor", "rxtxFactor"},
	{"os-flavor-access:is_public", "isPublic"},
	{"OS-FLV-EXT-DATA:ephemeral", "ephemeral"},
	{"description", "description"},
	{"extra_specs", "extraSpecs"},
	{NULL, NULL},
};

static const FieldMap server_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"tenant_id", "tenantID"},
	{"user_id", "userID"},
	{"status", "status"},
	{"hostId", "hostID"},
	{"updated", "updated"},
	{"created", "created"},
	{"progress", "progress"},
	{"accessIPv4", "accessIPv4"},
	{"accessIPv6", "accessIPv6"},
	{"addresses", "addresses"},
	{"metadata", "metadata"},
	{"key_name", "keyName"},
	{"security_groups", "securityGroups"},
	{"fault", "fault"},
	{"tags", "tags"},
	{"server_groups", "serverGroups"},
	{"OS-EXT-STS:power_state", "powerState"},
	{"OS-EXT-STS:vm_state", "vmState"},
	{"OS-EXT-STS:task_state", "taskState"},
	{"OS-EXT-AZ:availability_zone", "availabilityZone"},
	{"description", "description"},
	{"locked", "locked"},
	{NULL, NULL},
};

static const FieldMap volume_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"status", "status"},
	{"size", "size"},
	{"availability_zone", "availabilityZone"},
	{"created_at", "createdAt"},
	{"updated_at", "updatedAt"},
	{"description", "description"},
	{"volume_type", "volumeType"},
	{"snapshot_id", "snapshotID"},
	{"source_volid", "sourceVolID"},
	{"backup_id", "backupID"},
	{"metadata", "metadata"},
	{"user_id", "userID"},
	{"bootable", "bootable"},
	{"encrypted", "encrypted"},
	{"replication_status", "replicationStatus"},
	{"consistencygroup_id", "consistencyGroupID"},
	{"multiattach", "multiattach"},
	{"volume_image_metadata", "volumeImageMetadata"},
	{"os-vol-tenant-attr:tenant_id", "tenantID"},
	{NULL, NULL},
};

static const FieldMap volume_type_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"description", "description"},
	{"extra_specs", "extraSpecs"},
	{"is_public", "isPublic"},
	{"qos_specs_id", "qosSpecID"},
	{"os-volume-type-access:is_public", "publicAccess"},
	{NULL, NULL},
};

static const FieldMap image_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"status", "status"},
	{"tags", "tags"},
	{"container_format", "containerFormat"},
	{"disk_format", "diskFormat"},
	{"min_disk", "minDisk"},
	{"min_ram", "minRam"},
	{"owner", "owner"},
	{"protected", "protected"},
	{"visibility", "visibility"},
	{"os_hidden", "hidden"},
	{"checksum", "checksum"},
	{"size", "sizeBytes"},
	{"created_at", "createdAt"},
	{"updated_at", "updatedAt"},
	{"file", "file"},
	{"schema", "schema"},
	{"virtual_size", "virtualSize"},
	{"self", NULL},
	{"direct_url", NULL},
	{"locations", NULL},
	{"os_hash_algo", "hashAlgo"},
	{"os_hash_value", "hashValue"},
	{"stores", "stores"},
	{NULL, NULL},
};

static const FieldMap network_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"description", "description"},
	{"admin_state_up", "adminStateUp"},
	{"status", "status"},
	{"subnets", "subnets"},
	{"tenant_id", "tenantID"},
	{"project_id", "projectID"},
	{"updated_at", "updatedAt"},
	{"created_at", "createdAt"},
	{"shared", "shared"},
	{"availability_zone_hints", "availabilityZoneHints"},
	{"tags", "tags"},
	{"revision_number", "revisionNumber"},
	{"mtu", "mtu"},
	{"router:external", "external"},
	{"provider:network_type", "networkType"},
	{NULL, NULL},
};

static const FieldMap subnet_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"description", "description"},
	{"network_id", "networkID"},
	{"cidr", "cidr"},
	{"gateway_ip", "gatewayIP"},
	{"dns_nameservers", "dnsNameservers"},
	{"allocation_pools", "allocationPools"},
	{"host_routes", "hostRoutes"},
	{"ip_version", "ipVersion"},
	{"enable_dhcp", "enableDHCP"},
	{"tenant_id", "tenantID"},
	{"project_id", "projectID"},
	{"ipv6_address_mode", "ipv6AddressMode"},
	{"ipv6_ra_mode", "ipv6RAMode"},
	{"subnetpool_id", "subnetPoolID"},
	{"tags", "tags"},
	{"revision_number", "revisionNumber"},
	{NULL, NULL},
};

static const FieldMap snapshot_fields[] = {
	{"id", "id"},
	{"name", "name"},
	{"status", "status"},
	{"size", "size"},
	{"volume_id", "volumeID"},
	{"description", "description"},
	{"created_at", "createdAt"},
	{"updated_at", "updatedAt"},
	{"metadata", "metadata"},
	{NULL, NULL},
};

typedef struct {
	const char *kind;
	const char *list_member; /* of the list reply */
	const FieldMap *fields;
} KindMap;

static const KindMap kinds[] = {
	{FERRY_OPENSTACK_KIND_PROJECT, "projects", project_fields},
	{FERRY_OPENSTACK_KIND_REGION, "regions", region_fields},
	{FERRY_OPENSTACK_KIND_FLAVOR, "flavors", flavor_fields},
	{FERRY_OPENSTACK_KIND_VM, "servers", server_fields},
	{FERRY_OPENSTACK_KIND_VOLUME, "volumes", volume_fields},
	{FERRY_OPENSTACK_KIND_VOLUME_TYPE, "volume_types", volume_type_fields},
	{FERRY_OPENSTACK_KIND_IMAGE, "images", image_fields},
	{FERRY_OPENSTACK_KIND_NETWORK, "networks", network_fields},
	{FERRY_OPENSTACK_KIND_SUBNET, "subnets", subnet_fields},
	{FERRY_OPENSTACK_KIND_SNAPSHOT, "snapshots", snapshot_fields},
};

static const KindMap *
kind_map(const char *kind)
{
	for (guint i = 0; i < G_N_ELEMENTS(kinds); i++) {
		if (g_strcmp0(kinds[i].kind, kind) == 0)
			return &kinds[i];
	}
	return NULL;
}

/**
 * ferry_openstack_list_member:
 * @kind: an inventory kind
 *
 * Returns: (nullable): the member of the API's list reply holding @kind's
 *   documents (`servers` for `vm`)
 */
const char *
ferry_openstack_list_member(const char *kind)
{
	const KindMap *map = kind_map(kind);
	return map != NULL ? map->list_member : NULL;
}

static const FieldMap *
field_lookup(const FieldMap *fields, const char *api)
{
	for (guint i = 0; fields[i].api != NULL; i++) {
		if (strcmp(fields[i].api, api) == 0)
			return &fields[i];
	}
	return NULL;
}

/* a string id, or the `id` of an object ({"id": …, "links": …}) */
static const char *
ref_id(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	if (node == NULL)
		return NULL;
	if (JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == G_TYPE_STRING)
		return json_node_get_string(node);
	if (JSON_NODE_HOLDS_OBJECT(node))
		return ferry_json_get_string(json_node_get_object(node), "id");
	return NULL;
}

static void
map_server_extras(JsonObject *api, JsonObject *out)
{
	JsonArray *attached = ferry_json_get_array(api, "os-extended-volumes:volumes_attached");
	JsonArray *volumes = json_array_new();
	JsonObject *flavor = ferry_json_get_object(api, "flavor");
	const char *image = ref_id(api, "image");

	/* an instance booted from a volume has "image": "" */
	json_object_set_string_member(out, "imageID", image != NULL ? image : "");
	if (flavor != NULL && ferry_json_get_string(flavor, "id") != NULL) {
		json_object_set_string_member(out, "flavorID", ferry_json_get_string(flavor, "id"));
	} else if (flavor != NULL) {
		/* microversion 2.47+: the flavor is embedded, by name */
		json_object_set_string_member(out, "flavorID",
					      ferry_json_get_string_or(flavor, "original_name", ""));
		json_object_set_member(out, "embeddedFlavor",
				       json_node_copy(json_object_get_member(api, "flavor")));
	} else {
		json_object_set_string_member(out, "flavorID", "");
	}
	for (guint i = 0; attached != NULL && i < json_array_get_length(attached); i++) {
		JsonObject *volume = ferry_json_array_object(attached, i);
		const char *id = ferry_json_get_string(volume, "id");
		JsonObject *entry;
		if (id == NULL)
			continue;
		entry = json_object_new();
		json_object_set_string_member(entry, "ID", id);
		if (ferry_json_get_bool_or(volume, "delete_on_termination", FALSE))
			json_object_set_boolean_member(entry, "deleteOnTermination", TRUE);
		json_array_add_object_element(volumes, entry);
	}
	json_object_set_array_member(out, "attachedVolumes", volumes);
}

static void
map_volume_extras(JsonObject *api, JsonObject *out)
{
	JsonArray *attachments = ferry_json_get_array(api, "attachments");
	JsonArray *mapped = json_array_new();

	for (guint i = 0; attachments != NULL && i < json_array_get_length(attachments); i++) {
		JsonObject *a = ferry_json_array_object(attachments, i);
		JsonObject *entry;
		if (a == NULL)
			continue;
		entry = json_object_new();
		json_object_set_string_member(entry, "serverID",
					      ferry_json_get_string_or(a, "server_id", ""));
		json_object_set_string_member(entry, "attachmentID",
					      ferry_json_get_string_or(a, "attachment_id", ""));
		json_object_set_string_member(entry, "device",
					      ferry_json_get_string_or(a, "device", ""));
		json_object_set_string_member(entry, "hostName",
					      ferry_json_get_string_or(a, "host_name", ""));
		json_object_set_string_member(entry, "volumeID",
					      ferry_json_get_string_or(a, "volume_id", ""));
		json_array_add_object_element(mapped, entry);
	}
	json_object_set_array_member(out, "attachments", mapped);
}

/**
 * ferry_openstack_map:
 * @kind: an inventory kind (`vm`, `image`, …)
 * @api: the API's document of one object
 *
 * Returns: (transfer full) (nullable): the inventory document with
 *   Forklift's field names, or %NULL when @api has no string `id`
 */
JsonObject *
ferry_openstack_map(const char *kind, JsonObject *api)
{
	const KindMap *map = kind_map(kind);
	g_autoptr(JsonObject) out = NULL;
	JsonObject *properties = NULL;
	g_autoptr(GList) members = NULL;

	if (map == NULL || api == NULL || ferry_json_get_string(api, "id") == NULL)
		return NULL;
	out = json_object_new();
	if (g_strcmp0(kind, FERRY_OPENSTACK_KIND_IMAGE) == 0)
		properties = json_object_new();
	members = json_object_get_members(api);
	for (GList *l = members; l != NULL; l = l->next) {
		const char *name = l->data;
		const FieldMap *field = field_lookup(map->fields, name);
		JsonNode *value = json_object_get_member(api, name);

		if (field != NULL) {
			if (field->forklift != NULL)
				json_object_set_member(out, field->forklift, json_node_copy(value));
		} else if (properties != NULL) {
			/* Glance v2 puts custom properties (hw_disk_bus, os_distro…)
			 * beside the standard ones; Forklift keeps them apart */
			json_object_set_member(properties, name, json_node_copy(value));
		}
	}
	if (properties != NULL)
		json_object_set_object_member(out, "properties", properties);
	if (!json_object_has_member(out, "name") ||
	    !JSON_NODE_HOLDS_VALUE(json_object_get_member(out, "name")))
		json_object_set_string_member(out, "name", "");
	if (g_strcmp0(kind, FERRY_OPENSTACK_KIND_VM) == 0)
		map_server_extras(api, out);
	else if (g_strcmp0(kind, FERRY_OPENSTACK_KIND_VOLUME) == 0)
		map_volume_extras(api, out);
	else if (g_strcmp0(kind, FERRY_OPENSTACK_KIND_FLAVOR) == 0 &&
		 ferry_json_get_object(out, "extraSpecs") == NULL)
		json_object_set_object_member(out, "extraSpecs", json_object_new());
	return g_steal_pointer(&out);
}

/**
 * ferry_openstack_parse_list:
 * @kind: an inventory kind
 * @data: a list reply (`{"servers": […], "servers_links": […]}`)
 * @length: its length, or -1 when NUL-terminated
 * @next: (out) (optional) (nullable): the next page's link (`next` of
 *   Glance, the `next` link of Nova, Cinder and Neutron)
 * @error: return location for a #GError
 *
 * Returns: (transfer full) (element-type JsonObject): the mapped documents;
 *   entries without an id are left out
 */
GPtrArray *
ferry_openstack_parse_list(const char *kind,
			   const char *data,
			   gssize length,
			   char **next,
			   GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new_immutable();
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	const char *member = ferry_openstack_list_member(kind);
	JsonNode *root;
	JsonObject *object;
	JsonArray *items;

	if (next != NULL)
		*next = NULL;
	if (member == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "openstack: no inventory kind '%s'", kind);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, data, length, &local_error)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: the %s list is not JSON: %s", member, local_error->message);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_OBJECT(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: the %s list is not a JSON object", member);
		return NULL;
	}
	object = json_node_get_object(root);
	items = ferry_json_get_array(object, member);
	if (items == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "openstack: the reply has no '%s' list", member);
		return NULL;
	}
	for (guint i = 0; i < json_array_get_length(items); i++) {
		JsonObject *mapped = ferry_openstack_map(kind, ferry_json_array_object(items, i));
		if (mapped != NULL)
			g_ptr_array_add(out, mapped);
	}
	if (next != NULL) {
		g_autofree char *links_member = g_strconcat(member, "_links", NULL);
		JsonArray *links = ferry_json_get_array(object, links_member);
		const char *glance_next = ferry_json_get_string(object, "next");
		if (glance_next != NULL && *glance_next != '\0')
			*next = g_strdup(glance_next);
		for (guint i = 0; links != NULL && i < json_array_get_length(links) && *next == NULL;
		     i++) {
			JsonObject *link = ferry_json_array_object(links, i);
			if (g_strcmp0(ferry_json_get_string(link, "rel"), "next") == 0 &&
			    ferry_json_get_string(link, "href") != NULL)
				*next = g_strdup(ferry_json_get_string(link, "href"));
		}
	}
	return g_steal_pointer(&out);
}

static JsonObject *
openstack_find(GPtrArray *documents, const char *id)
{
	for (guint i = 0; documents != NULL && id != NULL && i < documents->len; i++) {
		JsonObject *doc = g_ptr_array_index(documents, i);
		if (g_strcmp0(ferry_json_get_string(doc, "id"), id) == 0)
			return doc;
	}
	return NULL;
}

/**
 * ferry_openstack_add_disks:
 * @vm: a mapped server document
 * @flavors: (element-type JsonObject) (nullable): mapped flavors
 * @images: (element-type JsonObject) (nullable): mapped images
 * @volumes: (element-type JsonObject) (nullable): mapped volumes
 *
 * Ferry's additions to a server document: its disks as the migration sees
 * them (the root image of an image-booted server, then each attached
 * volume), and the flavor's CPUs and memory, so describe_vm() needs
 * nothing else.
 */
void
ferry_openstack_add_disks(JsonObject *vm, GPtrArray *flavors, GPtrArray *images, GPtrArray *volumes)
{
	JsonObject *flavor = openstack_find(flavors, ferry_json_get_string(vm, "flavorID"));
	const char *image_id = ferry_json_get_string_or(vm, "imageID", "");
	JsonObject *image = openstack_find(images, image_id);
	JsonArray *attached = ferry_json_get_array(vm, "attachedVolumes");
	JsonArray *disks = json_array_new();
	const char *bus = "virtio";

	if (image != NULL)
		bus = ferry_json_get_string_or(ferry_json_get_object(image, "properties"),
					       "hw_disk_bus", "virtio");
	if (flavor != NULL) {
		json_object_set_int_member(vm, "vcpus", ferry_json_get_int_or(flavor, "vcpus", 1));
		json_object_set_int_member(vm, "memoryMB", ferry_json_get_int_or(flavor, "ram", 1024));
	}
	if (*image_id != '\0') {
		JsonObject *disk = json_object_new();
		gint64 capacity = ferry_json_get_int_or(flavor, "disk", 0) << 30;
		if (capacity == 0 && image != NULL)
			capacity = MAX(ferry_json_get_int_or(image, "minDisk", 0) << 30,
				       MAX(ferry_json_get_int_or(image, "virtualSize", 0),
					   ferry_json_get_int_or(image, "sizeBytes", 0)));
		json_object_set_string_member(disk, "id", FERRY_OPENSTACK_ROOT_DISK);
		json_object_set_string_member(disk, "imageID", image_id);
		json_object_set_int_member(disk, "capacity", capacity);
		json_object_set_string_member(disk, "storage", "glance");
		json_object_set_string_member(disk, "bus", bus);
		json_array_add_object_element(disks, disk);
	}
	for (guint i = 0; attached != NULL && i < json_array_get_length(attached); i++) {
		const char *volume_id = ferry_json_get_string(ferry_json_array_object(attached, i), "ID");
		JsonObject *volume = openstack_find(volumes, volume_id);
		JsonObject *disk;
		if (volume_id == NULL)
			continue;
		disk = json_object_new();
		json_object_set_string_member(disk, "id", volume_id);
		json_object_set_string_member(disk, "volumeID", volume_id);
		json_object_set_int_member(disk, "capacity", ferry_json_get_int_or(volume, "size", 0)
								 << 30);
		json_object_set_string_member(disk, "storage",
					      ferry_json_get_string_or(volume, "volumeType", ""));
		json_object_set_string_member(disk, "bus", bus);
		json_object_set_string_member(disk, "name",
					      ferry_json_get_string_or(volume, "name", volume_id));
		json_array_add_object_element(disks, disk);
	}
	json_object_set_array_member(vm, "disks", disks);
}
