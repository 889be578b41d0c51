/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The OVF descriptor parser: OVF 0.9 (VMware's pre-standard namespace), 1.x
 * and 2.x, as written by VMware (ovftool, vCenter, Workstation) and
 * VirtualBox. It reads the descriptor with libxml2 without network access
 * and refuses DTDs, so no entity is ever expanded, and it checks what a
 * migration relies on: every reference resolves, ids are unique, sizes are
 * numbers, and nothing the descriptor marks as required is ignored.
 *
 * The result is one JSON object:
 *
 *   { "ovfVersion", "exportSource", "files": [...], "disks": [...],
 *     "networks": [...], "virtualSystems": [ VM, ... ] }
 *
 * where each VM carries Forklift's OVA model field names (cpuCount,
 * coresPerSocket, memoryMB, firmware, nics, disks, ...).
 */

#include "config.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <string.h>

#include "ferry-ova-ovf.h"

#define OVF_NS_09 "http://www.vmware.com/schema/ovf/1/envelope"
#define OVF_NS_1 "http://schemas.dmtf.org/ovf/envelope/1"
#define OVF_NS_2 "http://schemas.dmtf.org/ovf/envelope/2"
#define VMW_NS "http://www.vmware.com/schema/ovf"
#define VBOX_NS "http://www.virtualbox.org/ovf/machine"
#define XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* CIM_ResourceAllocationSettingData ResourceType values */
enum {
	RT_OTHER = 1,
	RT_PROCESSOR = 3,
	RT_MEMORY = 4,
	RT_IDE = 5,
	RT_SCSI = 6,
	RT_ETHERNET = 10,
	RT_FLOPPY = 14,
	RT_CD = 15,
	RT_DVD = 16,
	RT_DISK = 17,
	RT_OTHER_STORAGE = 20,
	RT_SERIAL = 21,
	RT_PARALLEL = 22,
	RT_USB = 23,
	RT_GRAPHICS = 24,
	RT_SOUND = 35,
};

/* every property of CIM_ResourceAllocationSettingData (and the Ethernet
 * port and storage allocation subclasses OVF 2.x uses) */
static const char *const rasd_properties[] = {
    "Address", "AddressOnParent", "AllocationUnits", "AutomaticAllocation",
    "AutomaticDeallocation", "Caption", "ChangeableType", "ConfigurationName", "Connection",
    "ConsumerVisibility", "Description", "ElementName", "Generation", "HostResource",
    "InstanceID", "Limit", "MappingBehavior", "OtherResourceType", "Parent", "PoolID",
    "Reservation", "ResourceSubType", "ResourceType", "VirtualQuantity",
    "VirtualQuantityUnits", "Weight", "BusNumber", "DefaultPortVID", "DefaultPriority",
    "DesiredVLANEndpointMode", "GroupID", "ManagerID", "NetworkPortProfileID",
    "OtherEndpointMode", "OtherNetworkPortProfileIDTypeInfo", "PortCorrelationID",
    "PortVID", "Promiscuous", "ReceiveBandwidthLimit", "ReceiveBandwidthReservation",
    "SourceMACFilteringEnabled", "VSITypeID", "VSITypeIDVersion", "AllowedPriorities",
    "AllowedToReceiveMACAddresses", "AllowedToReceiveVLANs", "AllowedToTransmitMACAddresses",
    "AllowedToTransmitVLANs", "NetworkPortProfileIDType", "Access", "HostExtentName",
    "HostExtentNameFormat", "HostExtentNameNamespace", "HostExtentStartingAddress",
    "HostResourceBlockSize", "OtherHostExtentNameFormat", "OtherHostExtentNameNamespace",
    "VirtualResourceBlockSize", "AutomaticAllocation", NULL,
};

/* RASD properties that hold whole numbers */
static const char *const numeric_properties[] = {
    "VirtualQuantity", "Reservation", "Limit", "Weight", NULL,
};

/* sections that belong inside a VirtualSystem or a collection, never
 * directly in the Envelope */
static const char *const content_sections[] = {
    "VirtualHardwareSection", "OperatingSystemSection", "AnnotationSection",
    "ProductSection", "StartupSection", "InstallSection", "ResourceAllocationSection", NULL,
};

/* sections this parser knows; an unknown one marked required is refused */
static const char *const known_sections[] = {
    "DiskSection", "NetworkSection", "DeploymentOptionSection", "VirtualHardwareSection",
    "OperatingSystemSection", "AnnotationSection", "ProductSection", "EulaSection",
    "StartupSection", "InstallSection", "ResourceAllocationSection",
    "vServiceDependencySection", NULL,
};

typedef struct {
	const char *origin;
	const char *ns;
	gboolean vmware;
	gboolean vbox;
	GHashTable *properties; /* ProductSection property key → default value */
	GHashTable *files;      /* File id → JsonObject (borrowed) */
	GHashTable *hrefs;      /* File href → TRUE */
	GHashTable *disks;      /* diskId → JsonObject (borrowed) */
	GHashTable *networks;   /* network name → TRUE */
	char *configuration;    /* the chosen DeploymentOptionSection configuration */
	JsonArray *vms;
	GPtrArray *collections; /* ids of the VirtualSystemCollections being read */
} OvfParser;

static void
ovf_parser_clear(OvfParser *p)
{
	g_clear_pointer(&p->properties, g_hash_table_unref);
	g_clear_pointer(&p->files, g_hash_table_unref);
	g_clear_pointer(&p->hrefs, g_hash_table_unref);
	g_clear_pointer(&p->disks, g_hash_table_unref);
	g_clear_pointer(&p->networks, g_hash_table_unref);
	g_clear_pointer(&p->configuration, g_free);
	g_clear_pointer(&p->vms, json_array_unref);
	g_clear_pointer(&p->collections, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(OvfParser, ovf_parser_clear)

G_GNUC_PRINTF(4, 5)
static gboolean
ovf_fail(OvfParser *p, xmlNode *node, GError **error, const char *format, ...)
{
	va_list args;
	g_autofree char *message = NULL;

	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	if (node != NULL)
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s:%ld: %s", p->origin,
			    xmlGetLineNo(node), message);
	else
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s: %s", p->origin,
			    message);
	return FALSE;
}

static gboolean
ovf_is_element(xmlNode *node)
{
	return node != NULL && node->type == XML_ELEMENT_NODE;
}

static const char *
ovf_attr_value(xmlAttr *attr)
{
	if (attr->children == NULL)
		return "";
	if (attr->children->type != XML_TEXT_NODE || attr->children->next != NULL)
		return NULL;
	return (const char *)attr->children->content;
}

/* an attribute by local name in namespace @ns (NULL: unqualified) */
static const char *
ovf_attr_ns(xmlNode *node, const char *name, const char *ns)
{
	for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next) {
		if (g_strcmp0((const char *)attr->name, name) != 0)
			continue;
		if (ns == NULL ? attr->ns == NULL
			       : attr->ns != NULL &&
				     g_strcmp0((const char *)attr->ns->href, ns) == 0)
			return ovf_attr_value(attr);
	}
	return NULL;
}

/* an OVF attribute: in the envelope namespace, or unqualified */
static const char *
ovf_attr(OvfParser *p, xmlNode *node, const char *name)
{
	const char *value = ovf_attr_ns(node, name, p->ns);
	return value != NULL ? value : ovf_attr_ns(node, name, NULL);
}

/* a VMware attribute (vmw:key, vmw:osType, …) */
static const char *
vmw_attr(xmlNode *node, const char *name)
{
	return ovf_attr_ns(node, name, VMW_NS);
}

/* the section or content name of @node: its local name, or for OVF 0.9's
 * <Section xsi:type="ovf:DiskSection_Type"> the name in the type */
static char *
ovf_node_kind(xmlNode *node)
{
	const char *type;
	const char *colon;

	if (!ovf_is_element(node))
		return NULL;
	if (g_strcmp0((const char *)node->name, "Section") != 0 &&
	    g_strcmp0((const char *)node->name, "Content") != 0)
		return g_strdup((const char *)node->name);
	type = NULL;
	for (xmlAttr *attr = node->properties; attr != NULL; attr = attr->next) {
		if (g_strcmp0((const char *)attr->name, "type") == 0 && attr->ns != NULL &&
		    g_strcmp0((const char *)attr->ns->href, XSI_NS) == 0)
			type = ovf_attr_value(attr);
	}
	if (type == NULL)
		return g_strdup((const char *)node->name);
	colon = strchr(type, ':');
	if (colon != NULL)
		type = colon + 1;
	if (g_str_has_suffix(type, "_Type"))
		return g_strndup(type, strlen(type) - strlen("_Type"));
	return g_strdup(type);
}

static gboolean
ovf_is(xmlNode *node, const char *kind)
{
	g_autofree char *node_kind = ovf_node_kind(node);
	return node_kind != NULL && g_strcmp0(node_kind, kind) == 0;
}

static xmlNode *
ovf_child(xmlNode *node, const char *kind)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (ovf_is(child, kind))
			return child;
	}
	return NULL;
}

static char *
ovf_text(xmlNode *node)
{
	xmlChar *content = xmlNodeGetContent(node);
	char *text = g_strstrip(g_strdup(content != NULL ? (const char *)content : ""));
	xmlFree(content);
	return text;
}

/* the text of the child element named @name, compared without case
 * (RASD is spelt InstanceID in 1.x and InstanceId in 0.9) */
static char *
ovf_child_text(xmlNode *node, const char *name)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (ovf_is_element(child) &&
		    g_ascii_strcasecmp((const char *)child->name, name) == 0)
			return ovf_text(child);
	}
	return NULL;
}

static gboolean
ovf_strv_contains_case(const char *const *strv, const char *name)
{
	for (guint i = 0; strv[i] != NULL; i++) {
		if (g_ascii_strcasecmp(strv[i], name) == 0)
			return TRUE;
	}
	return FALSE;
}

static gboolean
ovf_parse_u64(const char *text, guint64 *value)
{
	g_autofree char *copy = NULL;
	if (text == NULL)
		return FALSE;
	copy = g_strstrip(g_strdup(text));
	return g_ascii_string_to_unsigned(copy, 10, 0, G_MAXUINT64, value, NULL);
}

static gboolean
ovf_is_true(const char *text)
{
	return text != NULL && (g_ascii_strcasecmp(text, "true") == 0 || g_strcmp0(text, "1") == 0);
}

/**
 * ferry_ova_parse_allocation_units:
 * @units: a DSP0004 programmatic unit (`byte * 2^30`) or a common spelling
 *   (`MegaBytes`, `GB`)
 * @multiplier: (out): how many bytes one unit is
 *
 * Returns: %FALSE when the unit is not a size in bytes this parser knows
 */
gboolean
ferry_ova_parse_allocation_units(const char *units, guint64 *multiplier)
{
	g_autoptr(GString) compact = g_string_new(NULL);
	const char *power;
	guint64 base;
	guint64 exponent;
	guint64 result = 1;

	if (units == NULL) {
		*multiplier = 1;
		return TRUE;
	}
	for (const char *c = units; *c != '\0'; c++) {
		if (!g_ascii_isspace(*c))
			g_string_append_c(compact, g_ascii_tolower(*c));
	}
	if (g_str_equal(compact->str, "") || g_str_equal(compact->str, "byte") ||
	    g_str_equal(compact->str, "bytes")) {
		*multiplier = 1;
		return TRUE;
	}
	if (g_str_equal(compact->str, "kilobytes") || g_str_equal(compact->str, "kb") ||
	    g_str_equal(compact->str, "kib")) {
		*multiplier = G_GUINT64_CONSTANT(1) << 10;
		return TRUE;
	}
	if (g_str_equal(compact->str, "megabytes") || g_str_equal(compact->str, "mb") ||
	    g_str_equal(compact->str, "mib")) {
		*multiplier = G_GUINT64_CONSTANT(1) << 20;
		return TRUE;
	}
	if (g_str_equal(compact->str, "gigabytes") || g_str_equal(compact->str, "gb") ||
	    g_str_equal(compact->str, "gib")) {
		*multiplier = G_GUINT64_CONSTANT(1) << 30;
		return TRUE;
	}
	if (g_str_equal(compact->str, "terabytes") || g_str_equal(compact->str, "tb") ||
	    g_str_equal(compact->str, "tib")) {
		*multiplier = G_GUINT64_CONSTANT(1) << 40;
		return TRUE;
	}
	if (!g_str_has_prefix(compact->str, "byte*"))
		return FALSE;
	power = compact->str + strlen("byte*");
	if (g_str_has_prefix(power, "2^"))
		base = 2;
	else if (g_str_has_prefix(power, "10^"))
		base = 10;
	else
		return FALSE;
	if (!g_ascii_string_to_unsigned(strchr(power, '^') + 1, 10, 0, 63, &exponent, NULL))
		return FALSE;
	for (guint64 i = 0; i < exponent; i++) {
		if (!g_uint64_checked_mul(&result, result, base))
			return FALSE;
	}
	*multiplier = result;
	return TRUE;
}

/* a number, or `${key}` naming a ProductSection property */
static const char *
ovf_resolve(OvfParser *p, const char *text)
{
	g_autofree char *key = NULL;
	if (text == NULL || !g_str_has_prefix(text, "${") || !g_str_has_suffix(text, "}"))
		return text;
	key = g_strndup(text + 2, strlen(text) - 3);
	return g_hash_table_lookup(p->properties, key);
}

static gboolean
ovf_check_info(OvfParser *p, xmlNode *node, const char *kind, GError **error)
{
	if (ovf_child(node, "Info") == NULL)
		return ovf_fail(p, node, error,
				"%s has no Info element; every section and virtual system "
				"must have one (OVF 1.x §9)",
				kind);
	return TRUE;
}

static gboolean
ovf_collect_properties(OvfParser *p, xmlNode *node, GError **error)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (!ovf_is_element(child))
			continue;
		if (ovf_is(child, "ProductSection")) {
			g_autoptr(GHashTable) keys = g_hash_table_new(g_str_hash, g_str_equal);
			for (xmlNode *prop = child->children; prop != NULL; prop = prop->next) {
				const char *key;
				const char *value;
				if (!ovf_is_element(prop))
					continue;
				if (ovf_is(prop, "Category"))
					continue;
				if (!ovf_is(prop, "Property"))
					continue;
				key = ovf_attr(p, prop, "key");
				if (key == NULL || *key == '\0')
					return ovf_fail(p, prop, error,
							"ProductSection Property has no ovf:key");
				if (ovf_attr(p, prop, "type") == NULL)
					return ovf_fail(p, prop, error,
							"ProductSection Property %s has no ovf:type",
							key);
				if (!g_hash_table_add(keys, (gpointer)key))
					return ovf_fail(p, prop, error,
							"ProductSection defines Property %s twice",
							key);
				value = ovf_attr(p, prop, "value");
				if (value != NULL)
					g_hash_table_insert(p->properties, g_strdup(key),
							    g_strdup(value));
			}
			continue;
		}
		if (!ovf_collect_properties(p, child, error))
			return FALSE;
	}
	return TRUE;
}

static gboolean
ovf_parse_references(OvfParser *p, xmlNode *node, JsonArray *files, GError **error)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		const char *id;
		const char *href;
		const char *size;
		const char *chunk;
		const char *compression;
		g_autoptr(JsonObject) file = NULL;
		guint64 value;

		if (!ovf_is_element(child))
			continue;
		if (!ovf_is(child, "File"))
			continue;
		id = ovf_attr(p, child, "id");
		href = ovf_attr(p, child, "href");
		if (id == NULL || *id == '\0')
			return ovf_fail(p, child, error, "File has no ovf:id");
		if (href == NULL || *href == '\0')
			return ovf_fail(p, child, error, "File %s has no ovf:href", id);
		if (g_hash_table_contains(p->files, id))
			return ovf_fail(p, child, error, "File id %s is used twice in References",
					id);
		if (!g_hash_table_add(p->hrefs, g_strdup(href)))
			return ovf_fail(p, child, error,
					"File %s refers to %s, which another File already names",
					id, href);
		file = json_object_new();
		json_object_set_string_member(file, "id", id);
		json_object_set_string_member(file, "href", href);
		size = ovf_attr(p, child, "size");
		if (size != NULL) {
			if (!ovf_parse_u64(size, &value)) {
				/* OVF 0.9 exports wrote -1 for "unknown" */
				if (g_strcmp0(p->ns, OVF_NS_09) != 0 ||
				    !g_str_has_prefix(size, "-"))
					return ovf_fail(p, child, error,
							"File %s has ovf:size \"%s\", which is not "
							"a size in bytes",
							id, size);
			} else {
				json_object_set_int_member(file, "size", (gint64)MIN(value, G_MAXINT64));
			}
		}
		compression = ovf_attr(p, child, "compression");
		if (compression != NULL) {
			if (!g_str_equal(compression, "identity") && !g_str_equal(compression, "gzip"))
				return ovf_fail(p, child, error,
						"File %s has ovf:compression \"%s\"; only gzip and "
						"identity exist",
						id, compression);
			json_object_set_string_member(file, "compression", compression);
		}
		chunk = ovf_attr(p, child, "chunkSize");
		if (chunk != NULL) {
			if (!ovf_parse_u64(chunk, &value) || value == 0)
				return ovf_fail(p, child, error,
						"File %s has ovf:chunkSize \"%s\", which is not a "
						"positive size",
						id, chunk);
			json_object_set_int_member(file, "chunkSize", (gint64)MIN(value, G_MAXINT64));
		}
		g_hash_table_insert(p->files, g_strdup(id), file);
		json_array_add_object_element(files, g_steal_pointer(&file));
	}
	return TRUE;
}

static gboolean
ovf_parse_disk_section(OvfParser *p, xmlNode *node, JsonArray *disks, GError **error)
{
	g_autoptr(GHashTable) file_sizes = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
								  NULL);

	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		const char *disk_id;
		const char *file_ref;
		const char *format;
		const char *capacity_text;
		const char *units;
		const char *populated;
		guint64 capacity;
		guint64 multiplier;
		guint64 bytes;
		g_autoptr(JsonObject) disk = NULL;

		if (!ovf_is(child, "Disk"))
			continue;
		disk_id = ovf_attr(p, child, "diskId");
		if (disk_id == NULL || *disk_id == '\0')
			return ovf_fail(p, child, error, "Disk has no ovf:diskId");
		if (g_hash_table_contains(p->disks, disk_id))
			return ovf_fail(p, child, error, "Disk id %s is used twice in DiskSection",
					disk_id);
		/* real exports (virt-v2v's tests, govmomi's) omit the format:
		 * it is then probed from the disk itself */
		format = ovf_attr(p, child, "format");
		file_ref = ovf_attr(p, child, "fileRef");
		if (file_ref != NULL && *file_ref == '\0')
			file_ref = NULL; /* a blank disk */
		if (file_ref != NULL) {
			JsonObject *file = g_hash_table_lookup(p->files, file_ref);
			if (file != NULL && json_object_has_member(file, "size") &&
			    json_object_get_int_member(file, "size") == 0)
				return ovf_fail(p, child, error,
						"Disk %s is stored in file %s, which References "
						"says is 0 bytes long; no disk image is that small",
						disk_id, file_ref);
			if (!g_hash_table_contains(p->files, file_ref))
				return ovf_fail(p, child, error,
						"Disk %s refers to file %s, which References does "
						"not list",
						disk_id, file_ref);
		}
		capacity_text = ovf_attr(p, child, "capacity");
		if (capacity_text == NULL)
			return ovf_fail(p, child, error, "Disk %s has no ovf:capacity", disk_id);
		if (!ovf_parse_u64(ovf_resolve(p, capacity_text), &capacity))
			return ovf_fail(p, child, error,
					"Disk %s has ovf:capacity \"%s\", which is not a number",
					disk_id, capacity_text);
		units = ovf_attr(p, child, "capacityAllocationUnits");
		if (!ferry_ova_parse_allocation_units(units, &multiplier))
			return ovf_fail(p, child, error,
					"Disk %s has ovf:capacityAllocationUnits \"%s\", which is "
					"not a unit of bytes",
					disk_id, units);
		if (!g_uint64_checked_mul(&bytes, capacity, multiplier) || bytes > G_MAXINT64)
			return ovf_fail(p, child, error, "Disk %s has a capacity too large to use",
					disk_id);
		if (file_ref != NULL) {
			/* deployment options may size one file differently, but
			 * two identical disks on one file are a mistake */
			g_autofree char *key = g_strdup_printf("%s\n%" G_GUINT64_FORMAT, file_ref,
							       bytes);
			if (!g_hash_table_add(file_sizes, g_steal_pointer(&key)))
				return ovf_fail(p, child, error,
						"Disk %s repeats another Disk: same file %s, same "
						"capacity",
						disk_id, file_ref);
		}
		disk = json_object_new();
		json_object_set_string_member(disk, "diskId", disk_id);
		if (file_ref != NULL)
			json_object_set_string_member(disk, "fileRef", file_ref);
		json_object_set_string_member(disk, "format", format != NULL ? format : "");
		json_object_set_int_member(disk, "capacity", (gint64)bytes);
		json_object_set_string_member(disk, "capacityAllocationUnits",
					      units != NULL ? units : "byte");
		populated = ovf_attr(p, child, "populatedSize");
		if (populated != NULL) {
			guint64 size;
			if (!ovf_parse_u64(populated, &size))
				return ovf_fail(p, child, error,
						"Disk %s has ovf:populatedSize \"%s\", which is not "
						"a size in bytes",
						disk_id, populated);
			if (size > bytes)
				return ovf_fail(p, child, error,
						"Disk %s has ovf:populatedSize %" G_GUINT64_FORMAT
						" larger than its capacity %" G_GUINT64_FORMAT,
						disk_id, size, bytes);
			json_object_set_int_member(disk, "populatedSize", (gint64)size);
		}
		if (file_ref != NULL) {
			JsonObject *file = g_hash_table_lookup(p->files, file_ref);
			json_object_set_string_member(disk, "filePath",
						      json_object_get_string_member(file, "href"));
		}
		g_hash_table_insert(p->disks, g_strdup(disk_id), disk);
		json_array_add_object_element(disks, g_steal_pointer(&disk));
	}
	return TRUE;
}

static gboolean
ovf_parse_network_section(OvfParser *p, xmlNode *node, JsonArray *networks, GError **error)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		const char *name;
		g_autofree char *description = NULL;
		JsonObject *network;

		if (!ovf_is(child, "Network"))
			continue;
		name = ovf_attr(p, child, "name");
		if (name == NULL || *name == '\0')
			return ovf_fail(p, child, error, "Network has no ovf:name");
		if (!g_hash_table_add(p->networks, g_strdup(name)))
			return ovf_fail(p, child, error, "Network %s is defined twice", name);
		network = json_object_new();
		json_object_set_string_member(network, "name", name);
		description = ovf_child_text(child, "Description");
		if (description != NULL)
			json_object_set_string_member(network, "description", description);
		json_array_add_object_element(networks, network);
	}
	return TRUE;
}

static gboolean
ovf_parse_deployment_options(OvfParser *p, xmlNode *node, GError **error)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		const char *id;
		if (!ovf_is(child, "Configuration"))
			continue;
		id = ovf_attr(p, child, "id");
		if (id == NULL)
			return ovf_fail(p, child, error, "DeploymentOptionSection Configuration "
							 "has no ovf:id");
		if (p->configuration == NULL || ovf_is_true(ovf_attr(p, child, "default"))) {
			g_free(p->configuration);
			p->configuration = g_strdup(id);
		}
	}
	return TRUE;
}

/* does an Item with ovf:configuration="a b" apply to the chosen deployment
 * option? */
static gboolean
ovf_item_applies(OvfParser *p, xmlNode *item)
{
	const char *configurations = ovf_attr(p, item, "configuration");
	g_auto(GStrv) names = NULL;
	if (configurations == NULL || p->configuration == NULL)
		return TRUE;
	names = g_strsplit_set(configurations, " \t\n", -1);
	return g_strv_contains((const char *const *)names, p->configuration);
}

typedef struct {
	xmlNode *node;
	char *instance_id;
	gint64 resource_type;
	gboolean conditional;
} OvfItem;

static void
ovf_item_free(OvfItem *item)
{
	g_free(item->instance_id);
	g_free(item);
}

static JsonArray *
ovf_vmw_config(xmlNode *node)
{
	JsonArray *config = json_array_new();
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		const char *key;
		const char *value;
		JsonObject *entry;
		if (!ovf_is_element(child) || child->ns == NULL ||
		    g_strcmp0((const char *)child->ns->href, VMW_NS) != 0 ||
		    g_strcmp0((const char *)child->name, "Config") != 0)
			continue;
		key = vmw_attr(child, "key");
		value = vmw_attr(child, "value");
		if (key == NULL)
			continue;
		entry = json_object_new();
		json_object_set_string_member(entry, "key", key);
		json_object_set_string_member(entry, "value", value != NULL ? value : "");
		json_array_add_object_element(config, entry);
	}
	return config;
}

static gboolean
ovf_check_item_children(OvfParser *p, xmlNode *item, const char *instance_id, GError **error)
{
	for (xmlNode *child = item->children; child != NULL; child = child->next) {
		const char *required;
		if (!ovf_is_element(child) || child->ns == NULL)
			continue;
		/* only the RASD-family namespaces are checked; vendor elements
		 * carry their own ovf:required */
		if (strstr((const char *)child->ns->href, "/cim-schema/") == NULL) {
			required = ovf_attr(p, child, "required");
			if (required != NULL && ovf_is_true(required) &&
			    g_strcmp0((const char *)child->ns->href, VMW_NS) != 0)
				return ovf_fail(p, child, error,
						"Item %s has the required element %s, which this "
						"reader does not understand",
						instance_id, (const char *)child->name);
			continue;
		}
		if (ovf_strv_contains_case(rasd_properties, (const char *)child->name))
			continue;
		required = ovf_attr(p, child, "required");
		if (required == NULL || ovf_is_true(required))
			return ovf_fail(p, child, error,
					"Item %s has the element %s, which is not a resource "
					"allocation property (mark it ovf:required=\"false\" to "
					"ignore it)",
					instance_id, (const char *)child->name);
	}
	return TRUE;
}

typedef struct {
	const char *bus;
	gint64 index;
	char *subtype;
} OvfController;

static void
ovf_controller_free(OvfController *controller)
{
	g_free(controller->subtype);
	g_free(controller);
}

static const char *
ovf_storage_bus(gint64 resource_type, const char *subtype)
{
	g_autofree char *lower = g_ascii_strdown(subtype != NULL ? subtype : "", -1);
	if (resource_type == RT_IDE)
		return "ide";
	if (resource_type == RT_SCSI)
		return "scsi";
	if (resource_type == RT_OTHER_STORAGE) {
		if (strstr(lower, "nvme") != NULL)
			return "nvme";
		return "sata";
	}
	return NULL;
}

static const char *
ovf_device_kind(gint64 resource_type)
{
	switch (resource_type) {
	case RT_FLOPPY:
		return "floppy";
	case RT_CD:
	case RT_DVD:
		return "cdrom";
	case RT_SERIAL:
		return "serial";
	case RT_PARALLEL:
		return "parallel";
	case RT_USB:
		return "usb";
	case RT_GRAPHICS:
		return "video";
	case RT_SOUND:
		return "sound";
	default:
		return "other";
	}
}

static gboolean
ovf_parse_disk_item(OvfParser *p,
		    xmlNode *item,
		    const char *instance_id,
		    GHashTable *controllers,
		    JsonArray *disks,
		    GError **error)
{
	g_autofree char *host_resource = ovf_child_text(item, "HostResource");
	g_autofree char *parent = ovf_child_text(item, "Parent");
	g_autofree char *unit = ovf_child_text(item, "AddressOnParent");
	g_autofree char *element_name = ovf_child_text(item, "ElementName");
	const char *ref;
	JsonObject *source = NULL;
	g_autoptr(JsonObject) disk = json_object_new();
	guint64 value;

	if (host_resource == NULL || *host_resource == '\0') {
		/* an empty drive: nothing to migrate */
		return TRUE;
	}
	ref = host_resource;
	if (g_str_has_prefix(ref, "ovf:"))
		ref += strlen("ovf:");
	while (ref[0] == '/' && ref[1] == '/')
		ref++; /* ovf://disk/ID, as some VMware exports write it */
	if (g_str_has_prefix(ref, "/disk/")) {
		source = g_hash_table_lookup(p->disks, ref + strlen("/disk/"));
		if (source == NULL)
			return ovf_fail(p, item, error,
					"Item %s refers to disk %s, which DiskSection does not "
					"define",
					instance_id, ref + strlen("/disk/"));
		json_object_set_string_member(disk, "diskId",
					      json_object_get_string_member(source, "diskId"));
		json_object_set_int_member(disk, "capacity",
					   json_object_get_int_member(source, "capacity"));
		json_object_set_string_member(
		    disk, "capacityAllocationUnits",
		    json_object_get_string_member(source, "capacityAllocationUnits"));
		json_object_set_string_member(disk, "format",
					      json_object_get_string_member(source, "format"));
		if (json_object_has_member(source, "fileRef")) {
			json_object_set_string_member(
			    disk, "fileRef", json_object_get_string_member(source, "fileRef"));
			json_object_set_string_member(
			    disk, "filePath", json_object_get_string_member(source, "filePath"));
		}
		if (json_object_has_member(source, "populatedSize"))
			json_object_set_int_member(
			    disk, "populatedSize",
			    json_object_get_int_member(source, "populatedSize"));
		if (json_object_has_member(source, "fileRef")) {
			JsonObject *file = g_hash_table_lookup(
			    p->files, json_object_get_string_member(source, "fileRef"));
			if (json_object_has_member(file, "chunkSize"))
				json_object_set_int_member(
				    disk, "chunkSize", json_object_get_int_member(file, "chunkSize"));
		}
	} else if (g_str_has_prefix(ref, "/file/")) {
		JsonObject *file = g_hash_table_lookup(p->files, ref + strlen("/file/"));
		if (file == NULL)
			return ovf_fail(p, item, error,
					"Item %s refers to file %s, which References does not "
					"list",
					instance_id, ref + strlen("/file/"));
		json_object_set_string_member(disk, "diskId", ref + strlen("/file/"));
		json_object_set_string_member(disk, "fileRef", ref + strlen("/file/"));
		json_object_set_string_member(disk, "filePath",
					      json_object_get_string_member(file, "href"));
		json_object_set_int_member(disk, "capacity", 0);
		json_object_set_string_member(disk, "capacityAllocationUnits", "byte");
		json_object_set_string_member(disk, "format", "");
	} else {
		return ovf_fail(p, item, error,
				"Item %s has HostResource \"%s\"; a disk must be ovf:/disk/ID "
				"or ovf:/file/ID",
				instance_id, host_resource);
	}
	if (element_name != NULL)
		json_object_set_string_member(disk, "name", element_name);
	if (parent != NULL) {
		OvfController *controller = g_hash_table_lookup(controllers, parent);
		if (controller != NULL) {
			json_object_set_string_member(disk, "bus", controller->bus);
			json_object_set_int_member(disk, "controllerIndex", controller->index);
			if (controller->subtype != NULL)
				json_object_set_string_member(disk, "controllerType",
							      controller->subtype);
		}
	}
	if (unit != NULL && ovf_parse_u64(unit, &value))
		json_object_set_int_member(disk, "unitNumber", (gint64)MIN(value, G_MAXINT64));
	json_array_add_object_element(disks, g_steal_pointer(&disk));
	return TRUE;
}

static gboolean
ovf_parse_nic_item(OvfParser *p,
		   xmlNode *item,
		   const char *instance_id,
		   JsonArray *nics,
		   JsonArray *vm_networks,
		   GHashTable *seen_networks,
		   GError **error)
{
	g_autofree char *connection = ovf_child_text(item, "Connection");
	g_autofree char *mac = ovf_child_text(item, "Address");
	g_autofree char *model = ovf_child_text(item, "ResourceSubType");
	g_autofree char *element_name = ovf_child_text(item, "ElementName");
	JsonObject *nic = json_object_new();

	if (connection != NULL && *connection != '\0' &&
	    !g_hash_table_contains(p->networks, connection)) {
		json_object_unref(nic);
		return ovf_fail(p, item, error,
				"network adapter %s is connected to \"%s\", which NetworkSection "
				"does not define",
				instance_id, connection);
	}
	json_object_set_string_member(nic, "name",
				      element_name != NULL ? element_name : instance_id);
	json_object_set_string_member(nic, "mac", mac != NULL ? mac : "");
	json_object_set_string_member(nic, "network", connection != NULL ? connection : "");
	json_object_set_string_member(nic, "model", model != NULL ? model : "");
	json_object_set_array_member(nic, "config", ovf_vmw_config(item));
	json_array_add_object_element(nics, nic);
	if (connection != NULL && *connection != '\0' &&
	    g_hash_table_add(seen_networks, g_strdup(connection))) {
		JsonObject *network = json_object_new();
		json_object_set_string_member(network, "name", connection);
		json_array_add_object_element(vm_networks, network);
	}
	return TRUE;
}

static void
ovf_apply_vmw_config(JsonObject *vm, const char *key, const char *value)
{
	if (key == NULL || value == NULL)
		return;
	if (g_str_equal(key, "firmware"))
		json_object_set_string_member(vm, "firmware",
					      g_ascii_strcasecmp(value, "efi") == 0 ? "efi" : "bios");
	else if (g_str_equal(key, "bootOptions.efiSecureBootEnabled") ||
		 g_str_equal(key, "uefi.secureBoot.enabled"))
		json_object_set_boolean_member(vm, "secureBoot", ovf_is_true(value));
	else if (g_str_equal(key, "cpuHotAddEnabled"))
		json_object_set_boolean_member(vm, "cpuHotAddEnabled", ovf_is_true(value));
	else if (g_str_equal(key, "cpuHotRemoveEnabled"))
		json_object_set_boolean_member(vm, "cpuHotRemoveEnabled", ovf_is_true(value));
	else if (g_str_equal(key, "memoryHotAddEnabled"))
		json_object_set_boolean_member(vm, "memoryHotAddEnabled", ovf_is_true(value));
	else if (g_str_equal(key, "uuid.bios") || g_str_equal(key, "uuid"))
		json_object_set_string_member(vm, "uuid", value);
	else if (g_str_equal(key, "sched.cpu.affinity") && g_ascii_strcasecmp(value, "all") != 0) {
		g_auto(GStrv) cpus = g_strsplit(value, ",", -1);
		JsonArray *affinity = json_array_new();
		for (guint i = 0; cpus[i] != NULL; i++) {
			guint64 cpu;
			if (ovf_parse_u64(cpus[i], &cpu))
				json_array_add_int_element(affinity, (gint64)MIN(cpu, G_MAXINT32));
		}
		json_object_set_array_member(vm, "cpuAffinity", affinity);
	}
}

static void
ovf_apply_vbox_machine(JsonObject *vm, xmlNode *machine)
{
	const char *uuid = ovf_attr_ns(machine, "uuid", NULL);
	if (uuid != NULL) {
		g_autofree char *bare = g_strdup(uuid);
		g_strdelimit(bare, "{}", ' ');
		json_object_set_string_member(vm, "uuid", g_strstrip(bare));
	}
	for (xmlNode *hardware = machine->children; hardware != NULL; hardware = hardware->next) {
		if (!ovf_is_element(hardware) ||
		    g_strcmp0((const char *)hardware->name, "Hardware") != 0)
			continue;
		for (xmlNode *child = hardware->children; child != NULL; child = child->next) {
			const char *type;
			if (!ovf_is_element(child))
				continue;
			if (g_str_equal((const char *)child->name, "Firmware")) {
				type = ovf_attr_ns(child, "type", NULL);
				if (type != NULL && g_ascii_strncasecmp(type, "efi", 3) == 0)
					json_object_set_string_member(vm, "firmware", "efi");
			} else if (g_str_equal((const char *)child->name, "CPU")) {
				const char *hotplug = ovf_attr_ns(child, "hotplug", NULL);
				if (hotplug != NULL)
					json_object_set_boolean_member(vm, "cpuHotAddEnabled",
								       ovf_is_true(hotplug));
			}
		}
	}
}

static gboolean
ovf_parse_items(OvfParser *p, xmlNode *section, JsonObject *vm, GError **error)
{
	g_autoptr(GPtrArray) items = g_ptr_array_new_with_free_func((GDestroyNotify)ovf_item_free);
	g_autoptr(GHashTable) normal = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GHashTable) bounds = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(GHashTable) controllers =
	    g_hash_table_new_full(g_str_hash, g_str_equal, NULL, (GDestroyNotify)ovf_controller_free);
	g_autoptr(GHashTable) seen_networks =
	    g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	g_autoptr(JsonArray) disks = json_array_new();
	g_autoptr(JsonArray) nics = json_array_new();
	g_autoptr(JsonArray) networks = json_array_new();
	g_autoptr(JsonArray) devices = json_array_new();
	gint64 controller_counts[3] = {0, 0, 0};

	/* first pass: collect and check every item of the chosen configuration */
	for (xmlNode *child = section->children; child != NULL; child = child->next) {
		g_autofree char *instance_id = NULL;
		g_autofree char *resource_type = NULL;
		const char *bound;
		OvfItem *existing;
		gboolean conditional;
		guint64 type;
		guint64 value;
		OvfItem *item;

		if (!ovf_is(child, "Item") && !ovf_is(child, "EthernetPortItem") &&
		    !ovf_is(child, "StorageItem"))
			continue;
		instance_id = ovf_child_text(child, "InstanceID");
		if (instance_id == NULL || *instance_id == '\0')
			return ovf_fail(p, child, error, "Item has no InstanceID");
		resource_type = ovf_child_text(child, "ResourceType");
		if (resource_type == NULL || !ovf_parse_u64(resource_type, &type) ||
		    type > G_MAXINT32)
			return ovf_fail(p, child, error,
					"Item %s has no valid ResourceType", instance_id);
		if (!ovf_check_item_children(p, child, instance_id, error))
			return FALSE;
		for (guint i = 0; numeric_properties[i] != NULL; i++) {
			g_autofree char *text = ovf_child_text(child, numeric_properties[i]);
			if (text != NULL && *text != '\0' &&
			    !ovf_parse_u64(ovf_resolve(p, text), &value))
				return ovf_fail(p, child, error,
						"Item %s has %s \"%s\", which is not a whole "
						"number",
						instance_id, numeric_properties[i], text);
		}
		bound = ovf_attr(p, child, "bound");
		if (bound != NULL && !g_str_equal(bound, "normal") && !g_str_equal(bound, "min") &&
		    !g_str_equal(bound, "max"))
			return ovf_fail(p, child, error,
					"Item %s has ovf:bound \"%s\"; it must be min, max or "
					"normal",
					instance_id, bound);
		conditional = ovf_attr(p, child, "configuration") != NULL;
		if (!ovf_item_applies(p, child))
			continue;
		if (bound != NULL && !g_str_equal(bound, "normal")) {
			g_autofree char *key = g_strdup_printf("%s\n%s", bound, instance_id);
			if (!g_hash_table_add(bounds, g_steal_pointer(&key)))
				return ovf_fail(p, child, error,
						"Item %s has two ovf:bound=\"%s\" range markers",
						instance_id, bound);
			continue;
		}
		/* an Item of the chosen deployment option replaces the
		 * unconditional Item with the same InstanceID */
		existing = g_hash_table_lookup(normal, instance_id);
		if (existing != NULL) {
			if (!conditional && !existing->conditional)
				return ovf_fail(p, child, error,
						"InstanceID %s is used by two Items", instance_id);
			if (conditional) {
				existing->node = child;
				existing->resource_type = (gint64)type;
				existing->conditional = TRUE;
			}
			continue;
		}
		item = g_new0(OvfItem, 1);
		item->node = child;
		item->instance_id = g_steal_pointer(&instance_id);
		item->resource_type = (gint64)type;
		item->conditional = conditional;
		g_ptr_array_add(items, item);
		g_hash_table_insert(normal, item->instance_id, item);
	}
	{
		guint cpus = 0;
		guint memories = 0;
		for (guint i = 0; i < items->len; i++) {
			OvfItem *item = g_ptr_array_index(items, i);
			cpus += item->resource_type == RT_PROCESSOR;
			memories += item->resource_type == RT_MEMORY;
			if (cpus > 1 || memories > 1)
				return ovf_fail(p, item->node, error,
						"the VirtualHardwareSection has more than one %s "
						"Item",
						cpus > 1 ? "processor" : "memory");
		}
	}
	/* a range marker needs the item it bounds */
	{
		GHashTableIter iter;
		const char *key;
		g_hash_table_iter_init(&iter, bounds);
		while (g_hash_table_iter_next(&iter, (gpointer *)&key, NULL)) {
			const char *id = strchr(key, '\n') + 1;
			if (!g_hash_table_contains(normal, id))
				return ovf_fail(p, section, error,
						"Item %s has an ovf:bound range marker but no "
						"normal Item",
						id);
		}
	}

	/* controllers first: disks refer to them by InstanceID */
	for (guint i = 0; i < items->len; i++) {
		OvfItem *item = g_ptr_array_index(items, i);
		g_autofree char *subtype = ovf_child_text(item->node, "ResourceSubType");
		g_autofree char *address = ovf_child_text(item->node, "Address");
		g_autofree char *bus_number = ovf_child_text(item->node, "BusNumber");
		const char *bus = ovf_storage_bus(item->resource_type, subtype);
		OvfController *controller;
		guint64 index;
		gint64 *count;

		if (bus == NULL)
			continue;
		count = &controller_counts[g_str_equal(bus, "ide") ? 0
					   : g_str_equal(bus, "scsi") ? 1
								       : 2];
		controller = g_new0(OvfController, 1);
		controller->bus = bus;
		if (ovf_parse_u64(address, &index) || ovf_parse_u64(bus_number, &index))
			controller->index = (gint64)MIN(index, G_MAXINT32);
		else
			controller->index = *count;
		(*count)++;
		controller->subtype = g_steal_pointer(&subtype);
		g_hash_table_insert(controllers, item->instance_id, controller);
	}

	for (guint i = 0; i < items->len; i++) {
		OvfItem *item = g_ptr_array_index(items, i);
		g_autofree char *quantity_text = ovf_child_text(item->node, "VirtualQuantity");
		g_autofree char *units = ovf_child_text(item->node, "AllocationUnits");
		guint64 quantity = 0;

		if (quantity_text != NULL)
			ovf_parse_u64(ovf_resolve(p, quantity_text), &quantity);
		switch (item->resource_type) {
		case RT_PROCESSOR: {
			g_autofree char *cores = NULL;
			guint64 per_socket;
			json_object_set_int_member(vm, "cpuCount",
						   (gint64)MIN(MAX(quantity, 1), G_MAXINT32));
			json_object_set_string_member(vm, "cpuUnits", units != NULL ? units : "");
			cores = ovf_child_text(item->node, "CoresPerSocket");
			if (cores != NULL && ovf_parse_u64(cores, &per_socket) && per_socket > 0)
				json_object_set_int_member(vm, "coresPerSocket",
							   (gint64)MIN(per_socket, G_MAXINT32));
			break;
		}
		case RT_MEMORY: {
			guint64 multiplier;
			guint64 bytes;
			if (!ferry_ova_parse_allocation_units(units, &multiplier))
				return ovf_fail(p, item->node, error,
						"memory Item %s has AllocationUnits \"%s\", which "
						"is not a unit of bytes",
						item->instance_id, units);
			/* memory without units is in MiB by long-standing practice */
			if (units == NULL)
				multiplier = G_GUINT64_CONSTANT(1) << 20;
			if (!g_uint64_checked_mul(&bytes, quantity, multiplier))
				return ovf_fail(p, item->node, error,
						"memory Item %s is too large", item->instance_id);
			json_object_set_int_member(vm, "memoryMB",
						   (gint64)MIN(bytes >> 20, G_MAXINT32));
			json_object_set_string_member(vm, "memoryUnits",
						      units != NULL ? units : "MegaBytes");
			break;
		}
		case RT_DISK:
			if (!ovf_parse_disk_item(p, item->node, item->instance_id, controllers,
						 disks, error))
				return FALSE;
			break;
		case RT_ETHERNET:
			if (!ovf_parse_nic_item(p, item->node, item->instance_id, nics, networks,
						seen_networks, error))
				return FALSE;
			break;
		case RT_IDE:
		case RT_SCSI:
		case RT_OTHER_STORAGE:
			if (g_hash_table_contains(controllers, item->instance_id))
				break;
			G_GNUC_FALLTHROUGH;
		default: {
			g_autofree char *element_name = ovf_child_text(item->node, "ElementName");
			JsonObject *device = json_object_new();
			json_object_set_string_member(device, "kind",
						      ovf_device_kind(item->resource_type));
			json_object_set_int_member(device, "resourceType", item->resource_type);
			if (element_name != NULL)
				json_object_set_string_member(device, "name", element_name);
			json_array_add_object_element(devices, device);
			break;
		}
		}
	}
	json_object_set_array_member(vm, "disks", g_steal_pointer(&disks));
	json_object_set_array_member(vm, "nics", g_steal_pointer(&nics));
	json_object_set_array_member(vm, "networks", g_steal_pointer(&networks));
	json_object_set_array_member(vm, "devices", g_steal_pointer(&devices));
	return TRUE;
}

static gboolean
ovf_parse_hardware(OvfParser *p, xmlNode *section, JsonObject *vm, GError **error)
{
	xmlNode *system = ovf_child(section, "System");

	if (system != NULL) {
		g_autofree char *type = ovf_child_text(system, "VirtualSystemType");
		if (type != NULL) {
			json_object_set_string_member(vm, "virtualSystemType", type);
			if (g_str_has_prefix(type, "vmx-"))
				p->vmware = TRUE;
			else if (g_str_has_prefix(type, "virtualbox"))
				p->vbox = TRUE;
		}
	}
	if (!ovf_parse_items(p, section, vm, error))
		return FALSE;
	for (xmlNode *child = section->children; child != NULL; child = child->next) {
		if (!ovf_is_element(child) || child->ns == NULL ||
		    g_strcmp0((const char *)child->ns->href, VMW_NS) != 0)
			continue;
		if (g_str_equal((const char *)child->name, "Config") ||
		    g_str_equal((const char *)child->name, "ExtraConfig"))
			ovf_apply_vmw_config(vm, vmw_attr(child, "key"), vmw_attr(child, "value"));
	}
	return TRUE;
}

static gboolean ovf_parse_content(OvfParser *p, xmlNode *node, GError **error);

static gboolean
ovf_check_content_sections(OvfParser *p, xmlNode *node, const char *kind, GError **error)
{
	g_autoptr(GHashTable) products = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	if (g_str_equal(kind, "VirtualSystem") && !ovf_check_info(p, node, kind, error))
		return FALSE;
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		g_autofree char *child_kind = ovf_node_kind(child);
		if (child_kind == NULL || !g_str_has_suffix(child_kind, "Section"))
			continue;
		if (g_str_equal(child_kind, "NetworkSection") ||
		    g_str_equal(child_kind, "DiskSection"))
			return ovf_fail(p, child, error,
					"%s is inside %s; it belongs directly in the Envelope",
					child_kind, kind);
		if (g_str_equal(child_kind, "ResourceAllocationSection") &&
		    g_str_equal(kind, "VirtualSystem"))
			return ovf_fail(p, child, error,
					"ResourceAllocationSection is inside a VirtualSystem; it "
					"belongs in a VirtualSystemCollection");
		if (g_str_equal(child_kind, "ProductSection")) {
			const char *class = ovf_attr(p, child, "class");
			const char *instance = ovf_attr(p, child, "instance");
			g_autofree char *key = g_strdup_printf("%s\n%s", class ? class : "",
							       instance ? instance : "");
			if (!g_hash_table_add(products, g_steal_pointer(&key)))
				return ovf_fail(p, child, error,
						"%s has two ProductSections with the same class "
						"and instance",
						kind);
		}
		if (!ovf_strv_contains_case(known_sections, child_kind) &&
		    ovf_is_true(ovf_attr(p, child, "required")))
			return ovf_fail(p, child, error,
					"%s is marked ovf:required but this reader does not "
					"support it",
					child_kind);
	}
	return TRUE;
}

static gboolean
ovf_parse_virtual_system(OvfParser *p, xmlNode *node, GError **error)
{
	const char *id = ovf_attr(p, node, "id");
	g_autoptr(JsonObject) vm = json_object_new();
	g_autofree char *name = NULL;
	xmlNode *os;
	xmlNode *hardware = NULL;

	if (id == NULL || *id == '\0')
		return ovf_fail(p, node, error, "VirtualSystem has no ovf:id");
	if (!ovf_check_content_sections(p, node, "VirtualSystem", error))
		return FALSE;
	name = ovf_child_text(node, "Name");
	json_object_set_string_member(vm, "name", name != NULL && *name != '\0' ? name : id);
	json_object_set_string_member(vm, "ovfId", id);
	json_object_set_string_member(vm, "firmware", "bios");
	json_object_set_boolean_member(vm, "secureBoot", FALSE);
	json_object_set_int_member(vm, "cpuCount", 1);
	json_object_set_int_member(vm, "coresPerSocket", 1);
	json_object_set_string_member(vm, "cpuUnits", "");
	json_object_set_int_member(vm, "memoryMB", 0);
	json_object_set_string_member(vm, "memoryUnits", "");
	json_object_set_array_member(vm, "cpuAffinity", json_array_new());
	json_object_set_boolean_member(vm, "cpuHotAddEnabled", FALSE);
	json_object_set_boolean_member(vm, "cpuHotRemoveEnabled", FALSE);
	json_object_set_boolean_member(vm, "memoryHotAddEnabled", FALSE);
	json_object_set_string_member(vm, "osType", "");
	/* the rest of Forklift's OVA VM model, which an export cannot carry */
	json_object_set_boolean_member(vm, "faultToleranceEnabled", FALSE);
	json_object_set_boolean_member(vm, "changeTrackingEnabled", FALSE);
	json_object_set_int_member(vm, "balloonedMemory", 0);
	json_object_set_string_member(vm, "ipAddress", "");
	json_object_set_array_member(vm, "numaNodeAffinity", json_array_new());

	os = ovf_child(node, "OperatingSystemSection");
	if (os != NULL) {
		const char *os_type = vmw_attr(os, "osType");
		const char *os_id = ovf_attr(p, os, "id");
		guint64 value;
		if (os_type == NULL) {
			for (xmlNode *child = os->children; child != NULL; child = child->next) {
				if (ovf_is_element(child) && child->ns != NULL &&
				    g_strcmp0((const char *)child->ns->href, VBOX_NS) == 0 &&
				    g_str_equal((const char *)child->name, "OSType")) {
					g_autofree char *text = ovf_text(child);
					json_object_set_string_member(vm, "osType", text);
					p->vbox = TRUE;
				}
			}
		} else {
			json_object_set_string_member(vm, "osType", os_type);
		}
		if (g_str_equal(json_object_get_string_member(vm, "osType"), "")) {
			g_autofree char *description = ovf_child_text(os, "Description");
			if (description != NULL)
				json_object_set_string_member(vm, "osType", description);
		}
		if (os_id != NULL && ovf_parse_u64(os_id, &value))
			json_object_set_int_member(vm, "osId", (gint64)MIN(value, G_MAXINT32));
	}
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (!ovf_is(child, "VirtualHardwareSection"))
			continue;
		/* VMware exports one section per transport; the first one is the VM */
		if (hardware == NULL)
			hardware = child;
	}
	if (hardware == NULL)
		return ovf_fail(p, node, error,
				"VirtualSystem %s has no VirtualHardwareSection, so there is no "
				"hardware to migrate",
				id);
	if (!ovf_parse_hardware(p, hardware, vm, error))
		return FALSE;
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (ovf_is_element(child) && child->ns != NULL &&
		    g_strcmp0((const char *)child->ns->href, VBOX_NS) == 0 &&
		    g_str_equal((const char *)child->name, "Machine")) {
			p->vbox = TRUE;
			ovf_apply_vbox_machine(vm, child);
		}
	}
	json_array_add_object_element(p->vms, g_steal_pointer(&vm));
	return TRUE;
}

/* every StartupSection entry must name a member of the collection */
static gboolean
ovf_check_startup(OvfParser *p, xmlNode *collection, GError **error)
{
	xmlNode *startup = ovf_child(collection, "StartupSection");
	if (startup == NULL)
		return TRUE;
	for (xmlNode *entry = startup->children; entry != NULL; entry = entry->next) {
		const char *id;
		gboolean found = FALSE;
		if (!ovf_is(entry, "Item"))
			continue;
		id = ovf_attr(p, entry, "id");
		for (xmlNode *child = collection->children; child != NULL; child = child->next) {
			if ((ovf_is(child, "VirtualSystem") ||
			     ovf_is(child, "VirtualSystemCollection")) &&
			    g_strcmp0(ovf_attr(p, child, "id"), id) == 0)
				found = TRUE;
		}
		if (!found)
			return ovf_fail(p, entry, error,
					"StartupSection names \"%s\", which is not a virtual "
					"system of this collection",
					id != NULL ? id : "");
	}
	return TRUE;
}

static gboolean
ovf_parse_content(OvfParser *p, xmlNode *node, GError **error)
{
	if (ovf_is(node, "VirtualSystem")) {
		guint before = json_array_get_length(p->vms);
		if (!ovf_parse_virtual_system(p, node, error))
			return FALSE;
		/* a VM of a vApp: its collections are its folder, the innermost
		 * its parent */
		if (p->collections->len > 0 && json_array_get_length(p->vms) > before) {
			JsonObject *vm = json_array_get_object_element(p->vms, before);
			JsonObject *parent = json_object_new();
			g_autofree char *folder = NULL;
			g_ptr_array_add(p->collections, NULL);
			folder = g_strjoinv("/", (char **)p->collections->pdata);
			g_ptr_array_remove_index(p->collections, p->collections->len - 1);
			json_object_set_string_member(vm, "folder", folder);
			json_object_set_string_member(parent, "kind", "VirtualSystemCollection");
			json_object_set_string_member(
			    parent, "id",
			    g_ptr_array_index(p->collections, p->collections->len - 1));
			json_object_set_object_member(vm, "parent", parent);
		}
		return TRUE;
	}
	if (ovf_attr(p, node, "id") == NULL)
		return ovf_fail(p, node, error, "VirtualSystemCollection has no ovf:id");
	if (!ovf_check_content_sections(p, node, "VirtualSystemCollection", error))
		return FALSE;
	if (!ovf_check_startup(p, node, error))
		return FALSE;
	g_ptr_array_add(p->collections, g_strdup(ovf_attr(p, node, "id")));
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (ovf_is(child, "VirtualSystem") || ovf_is(child, "VirtualSystemCollection")) {
			if (!ovf_parse_content(p, child, error))
				return FALSE;
		}
	}
	g_ptr_array_remove_index(p->collections, p->collections->len - 1);
	/* the outermost collection, empty all through: say so rather than
	 * list nothing */
	if (p->collections->len == 0 && json_array_get_length(p->vms) == 0)
		return ovf_fail(p, node, error,
				"VirtualSystemCollection %s holds no VirtualSystem: there is no VM "
				"in it",
				ovf_attr(p, node, "id"));
	return TRUE;
}

static gboolean
ovf_parse_envelope(OvfParser *p, xmlNode *root, JsonObject *envelope, GError **error)
{
	g_autoptr(JsonArray) files = json_array_new();
	g_autoptr(JsonArray) disks = json_array_new();
	g_autoptr(JsonArray) networks = json_array_new();
	xmlNode *content = NULL;

	if (!ovf_collect_properties(p, root, error))
		return FALSE;
	for (xmlNode *child = root->children; child != NULL; child = child->next) {
		if (ovf_is(child, "DeploymentOptionSection") &&
		    !ovf_parse_deployment_options(p, child, error))
			return FALSE;
	}
	for (xmlNode *child = root->children; child != NULL; child = child->next) {
		g_autofree char *kind = ovf_node_kind(child);
		if (kind == NULL)
			continue;
		if (g_str_equal(kind, "References")) {
			if (!ovf_parse_references(p, child, files, error))
				return FALSE;
		} else if (g_str_equal(kind, "VirtualSystem") ||
			   g_str_equal(kind, "VirtualSystemCollection")) {
			if (content != NULL)
				return ovf_fail(p, child, error,
						"the Envelope has more than one top-level "
						"VirtualSystem or VirtualSystemCollection");
			content = child;
		} else if (ovf_strv_contains_case(content_sections, kind)) {
			return ovf_fail(p, child, error,
					"%s is directly in the Envelope; it belongs inside a "
					"VirtualSystem",
					kind);
		} else if (g_str_has_suffix(kind, "Section") &&
			   !ovf_strv_contains_case(known_sections, kind) &&
			   ovf_is_true(ovf_attr(p, child, "required"))) {
			return ovf_fail(p, child, error,
					"%s is marked ovf:required but this reader does not "
					"support it",
					kind);
		}
	}
	for (xmlNode *child = root->children; child != NULL; child = child->next) {
		if (ovf_is(child, "DiskSection")) {
			if (!ovf_parse_disk_section(p, child, disks, error))
				return FALSE;
		} else if (ovf_is(child, "NetworkSection")) {
			if (!ovf_parse_network_section(p, child, networks, error))
				return FALSE;
		}
	}
	if (content == NULL)
		return ovf_fail(p, root, error,
				"the Envelope has no VirtualSystem or VirtualSystemCollection: "
				"there is no VM in it");
	if (!ovf_parse_content(p, content, error))
		return FALSE;
	json_object_set_array_member(envelope, "files", g_steal_pointer(&files));
	json_object_set_array_member(envelope, "disks", g_steal_pointer(&disks));
	json_object_set_array_member(envelope, "networks", g_steal_pointer(&networks));
	return TRUE;
}

/**
 * ferry_ova_ovf_parse:
 * @data: the descriptor
 * @length: its size in bytes
 * @origin: what to call it in errors (`/srv/ova/web.ova:web.ovf`)
 * @error: return location for a #GError
 *
 * Parses and checks an OVF descriptor. Descriptors over
 * %FERRY_OVA_OVF_MAX_SIZE, with a DTD, not well-formed (including namespace
 * errors), or describing something a migration cannot trust are refused
 * with %FERRY_ERROR_INVALID_DATA naming @origin, the line and the fault.
 *
 * Returns: (transfer full): the envelope object, or %NULL
 */
JsonObject *
ferry_ova_ovf_parse(const char *data, gsize length, const char *origin, GError **error)
{
	g_auto(OvfParser) p = {0};
	g_autoptr(JsonObject) envelope = NULL;
	xmlParserCtxtPtr ctxt;
	xmlDocPtr doc;
	xmlNode *root;
	const char *ns;
	gboolean ok;

	p.origin = origin;
	if (length > FERRY_OVA_OVF_MAX_SIZE) {
		ovf_fail(&p, NULL, error,
			 "the descriptor is %" G_GSIZE_FORMAT " bytes, over the limit of %d MiB",
			 length, FERRY_OVA_OVF_MAX_SIZE >> 20);
		return NULL;
	}
	if (g_strstr_len(data, (gssize)length, "<!DOCTYPE") != NULL ||
	    g_strstr_len(data, (gssize)length, "<!ENTITY") != NULL) {
		ovf_fail(&p, NULL, error,
			 "the descriptor has a DTD or entity declarations, which OVF never "
			 "needs; refusing it");
		return NULL;
	}
	ctxt = xmlNewParserCtxt();
	if (ctxt == NULL) {
		ovf_fail(&p, NULL, error, "out of memory creating the XML parser");
		return NULL;
	}
	doc = xmlCtxtReadMemory(ctxt, data, (int)length, NULL, NULL,
				XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				    XML_PARSE_NOCDATA);
	if (doc == NULL || !ctxt->wellFormed || !ctxt->nsWellFormed) {
		xmlErrorPtr xml_error = xmlCtxtGetLastError(ctxt);
		g_autofree char *message =
		    g_strstrip(g_strdup(xml_error != NULL && xml_error->message != NULL
					    ? xml_error->message
					    : "not well-formed"));
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s:%d: not a well-formed OVF descriptor: %s", origin,
			    xml_error != NULL ? xml_error->line : 0, message);
		xmlFreeDoc(doc);
		xmlFreeParserCtxt(ctxt);
		return NULL;
	}
	xmlFreeParserCtxt(ctxt);

	root = xmlDocGetRootElement(doc);
	ns = root != NULL && root->ns != NULL ? (const char *)root->ns->href : NULL;
	/* some ovftool exports leave the Envelope unqualified and declare only
	 * the ovf: prefix */
	for (xmlNs *decl = root != NULL && ns == NULL ? root->nsDef : NULL; decl != NULL;
	     decl = decl->next) {
		if (g_strcmp0((const char *)decl->prefix, "ovf") == 0)
			ns = (const char *)decl->href;
	}
	if (root == NULL || g_strcmp0((const char *)root->name, "Envelope") != 0) {
		ovf_fail(&p, root, error, "the root element is not an OVF Envelope");
		xmlFreeDoc(doc);
		return NULL;
	}
	if (g_strcmp0(ns, OVF_NS_09) != 0 && g_strcmp0(ns, OVF_NS_1) != 0 &&
	    g_strcmp0(ns, OVF_NS_2) != 0) {
		ovf_fail(&p, root, error,
			 "the Envelope is in namespace \"%s\"; OVF 0.9, 1.x and 2.x are read",
			 ns != NULL ? ns : "");
		xmlFreeDoc(doc);
		return NULL;
	}
	p.ns = ns;
	p.properties = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	p.files = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.hrefs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.disks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.networks = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	p.vms = json_array_new();
	p.collections = g_ptr_array_new_with_free_func(g_free);
	for (xmlNs *decl = root->nsDef; decl != NULL; decl = decl->next) {
		if (g_strcmp0((const char *)decl->href, VMW_NS) == 0)
			p.vmware = TRUE;
		else if (g_strcmp0((const char *)decl->href, VBOX_NS) == 0)
			p.vbox = TRUE;
	}

	envelope = json_object_new();
	json_object_set_string_member(envelope, "ovfVersion",
				      g_str_equal(ns, OVF_NS_09)  ? "0.9"
				      : g_str_equal(ns, OVF_NS_1) ? "1.x"
								  : "2.x");
	ok = ovf_parse_envelope(&p, root, envelope, error);
	p.ns = NULL;
	xmlFreeDoc(doc);
	if (!ok)
		return NULL;
	/* what exported it: `ovaSource` as Forklift's inventory serves it (and
	 * its rules read), also `exportSource` */
	json_object_set_string_member(envelope, "exportSource",
				      p.vbox ? "VirtualBox" : p.vmware ? "VMware" : "Unknown");
	for (guint i = 0; i < json_array_get_length(p.vms); i++) {
		JsonObject *vm = json_array_get_object_element(p.vms, i);
		const char *source = json_object_get_string_member(envelope, "exportSource");
		json_object_set_string_member(vm, "ovaSource", source);
		json_object_set_string_member(vm, "exportSource", source);
	}
	json_object_set_array_member(envelope, "virtualSystems", g_steal_pointer(&p.vms));
	return g_steal_pointer(&envelope);
}
