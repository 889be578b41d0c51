/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Reads a VM description (vm_spec, through FerryVmSpec) into a FerryLibvirtTarget, checking what
 * libvirt would refuse or misread, and renders the domain XML with libxml2's
 * tree API.
 */

#include "config.h"

#include "ferry-libvirt-domain.h"

#include <ferry-plugin-sdk.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>
#include <libxml/xpathInternals.h>
#include <string.h>

#define MAX_DISKS (26 * 27) /* vda … vdzz */

G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathContext, xmlXPathFreeContext)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlXPathObject, xmlXPathFreeObject)

/**
 * ferry_libvirt_check_name:
 *
 * Domain, disk and network names become file names and XML text: letters,
 * digits, `.`, `_`, `-` and `+`, 1 to 200 characters, not starting with
 * `.` or `-`.
 */
gboolean
ferry_libvirt_check_name(const char *what, const char *name, GError **error)
{
	gsize length = name != NULL ? strlen(name) : 0;

	if (length == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA, "%s is missing", what);
		return FALSE;
	}
	if (length > 200 || name[0] == '.' || name[0] == '-') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s '%.*s' is not usable on libvirt: it must have 1 to 200 "
			    "characters and not start with '.' or '-'; rename it (the Plan's "
			    "targetName)",
			    what, 200, name);
		return FALSE;
	}
	for (const char *p = name; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("._-+", *p) == NULL) {
			g_autofree char *valid = g_utf8_make_valid(name, -1);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s '%s' is not usable on libvirt: use only letters, digits, "
				    "'.', '_', '-' and '+'; rename it (the Plan's targetName)",
				    what, valid);
			return FALSE;
		}
	}
	return TRUE;
}

/* --- the target --- */

static void
ferry_libvirt_disk_free(gpointer data)
{
	FerryLibvirtDisk *disk = data;
	g_free(disk->name);
	g_free(disk->format);
	g_free(disk->file_name);
	g_free(disk->copy_name);
	g_free(disk->copy_path);
	g_free(disk->id);
	g_free(disk->bus);
	g_free(disk->storage_pool);
	g_free(disk->path);
	g_free(disk);
}

static void
ferry_libvirt_nic_free(gpointer data)
{
	FerryLibvirtNic *nic = data;
	g_free(nic->mac);
	g_free(nic->model);
	g_free(nic->network_type);
	g_free(nic->network_name);
	g_free(nic->libvirt_network);
	g_free(nic);
}

void
ferry_libvirt_target_free(FerryLibvirtTarget *target)
{
	if (target == NULL)
		return;
	g_free(target->display);
	g_free(target->name);
	g_free(target->name_space);
	g_free(target->plan);
	g_free(target->source_provider);
	g_free(target->source_vm);
	g_free(target->target_power_state);
	g_free(target->uuid);
	g_clear_pointer(&target->disks, g_ptr_array_unref);
	g_clear_pointer(&target->nics, g_ptr_array_unref);
	g_clear_pointer(&target->labels, g_ptr_array_unref);
	g_free(target);
}

static char *
normalise_bus(const char *bus)
{
	/* q35 has no IDE; SATA is what an IDE or SATA guest driver finds there */
	if (bus == NULL || g_strcmp0(bus, "virtio") == 0)
		return g_strdup("virtio");
	if (g_strcmp0(bus, "sata") == 0 || g_strcmp0(bus, "ide") == 0)
		return g_strdup("sata");
	if (g_strcmp0(bus, "scsi") == 0)
		return g_strdup("scsi");
	return NULL;
}

static gboolean
read_disks(FerryLibvirtTarget *target,
	   FerryVmSpec *spec,
	   const char *disk_format,
	   GError **error)
{
	guint count = ferry_vm_spec_get_n_disks(spec);

	if (count > MAX_DISKS) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "%s has %u disks; the libvirt destination attaches at most %d",
			    target->display, count, MAX_DISKS);
		return FALSE;
	}
	for (guint i = 0; i < count; i++) {
		FerryVmDisk *source = ferry_vm_spec_get_disk(spec, i);
		g_autofree char *what = NULL;
		const char *format =
		    disk_format != NULL ? disk_format : ferry_vm_disk_get_format(source);
		const char *storage_class = ferry_vm_disk_get_storage_class(source);
		FerryLibvirtDisk *disk;

		disk = g_new0(FerryLibvirtDisk, 1);
		g_ptr_array_add(target->disks, disk);
		disk->name = g_strdup(ferry_vm_disk_get_name(source));
		what = g_strdup_printf("%s: the name of disk %u", target->display, i);
		if (!ferry_libvirt_check_name(what, disk->name, error))
			return FALSE;
		if (format != NULL && g_strcmp0(format, "raw") != 0 &&
		    g_strcmp0(format, "qcow2") != 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "%s: disk %s asks for format '%s'; the libvirt destination "
				    "writes raw or qcow2 images",
				    target->display, disk->name, format);
			return FALSE;
		}
		disk->format = g_strdup(format != NULL ? format : "raw");
		disk->copy_name = g_strconcat(disk->name, ".img", NULL);
		disk->file_name = g_strcmp0(disk->format, "qcow2") == 0
				      ? g_strconcat(disk->name, ".qcow2", NULL)
				      : g_strdup(disk->copy_name);
		disk->id = g_strdup(ferry_vm_disk_get_id(source));
		if (storage_class != NULL && *storage_class != '\0')
			disk->storage_pool = g_strdup(storage_class);
		disk->bus = normalise_bus(ferry_vm_disk_get_bus(source));
		if (disk->bus == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "%s: disk %s has bus '%s'; the libvirt destination attaches "
				    "disks on virtio, sata or scsi",
				    target->display, disk->name, ferry_vm_disk_get_bus(source));
			return FALSE;
		}
		disk->capacity = ferry_vm_disk_get_capacity(source);
		if (disk->capacity == 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: disk %s has no capacity", target->display, disk->name);
			return FALSE;
		}
		for (guint j = 0; j < i; j++) {
			FerryLibvirtDisk *other = g_ptr_array_index(target->disks, j);
			if (g_strcmp0(other->name, disk->name) == 0) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "%s: disks %u and %u are both named %s",
					    target->display, j, i, disk->name);
				return FALSE;
			}
		}
	}
	return TRUE;
}

static gboolean
check_mac(const char *mac)
{
	if (mac == NULL || strlen(mac) != 17)
		return FALSE;
	for (guint i = 0; i < 17; i++) {
		if (i % 3 == 2 ? mac[i] != ':' : !g_ascii_isxdigit(mac[i]))
			return FALSE;
	}
	return TRUE;
}

static gboolean
read_nics(FerryLibvirtTarget *target, FerryVmSpec *spec, GError **error)
{
	guint count = ferry_vm_spec_get_n_nics(spec);

	for (guint i = 0; i < count; i++) {
		FerryVmNic *source = ferry_vm_spec_get_nic(spec, i);
		const char *type = ferry_vm_nic_get_network_type(source);
		const char *model = ferry_vm_nic_get_model(source);
		const char *mac = ferry_vm_nic_get_mac(source);
		FerryLibvirtNic *nic;

		nic = g_new0(FerryLibvirtNic, 1);
		g_ptr_array_add(target->nics, nic);
		nic->mac = g_ascii_strdown(mac != NULL ? mac : "", -1);
		if (*nic->mac == '\0')
			g_clear_pointer(&nic->mac, g_free);
		else if (!check_mac(nic->mac)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "%s: nics[%u] has MAC address '%s', which is not of the form "
				    "00:50:56:aa:bb:cc",
				    target->display, i, nic->mac);
			return FALSE;
		}
		nic->network_type = g_strdup(type != NULL ? type : "pod");
		nic->network_name = g_strdup(ferry_vm_nic_get_network_name(source));
		/* the models QEMU emulates on q35; anything else gets virtio after conversion */
		nic->model = g_strdup(g_strcmp0(model, "e1000") == 0 ||
					      g_strcmp0(model, "e1000e") == 0 ||
					      g_strcmp0(model, "rtl8139") == 0
					  ? model
					  : "virtio");
		if (g_strcmp0(nic->network_type, "ignored") == 0) {
			nic->kind = FERRY_LIBVIRT_NIC_NONE;
		} else if (g_strcmp0(nic->network_type, "multus") == 0) {
			/* a NetworkMap destination "ns/name" names the libvirt network name */
			const char *slash =
			    nic->network_name != NULL ? strrchr(nic->network_name, '/') : NULL;
			g_autofree char *what = g_strdup_printf(
			    "%s: the libvirt network of nics[%u] (NetworkMap destination name)",
			    target->display, i);
			nic->kind = FERRY_LIBVIRT_NIC_NETWORK;
			nic->libvirt_network =
			    g_strdup(slash != NULL ? slash + 1 : nic->network_name);
			if (!ferry_libvirt_check_name(what, nic->libvirt_network, error))
				return FALSE;
		} else if (g_strcmp0(nic->network_type, "pod") == 0) {
			nic->kind = FERRY_LIBVIRT_NIC_USER; /* the plugin may pick "default" */
		} else {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "%s: nics[%u] has network type '%s'; use pod, multus or "
				    "ignored in the NetworkMap",
				    target->display, i, nic->network_type);
			return FALSE;
		}
	}
	return TRUE;
}

static gboolean
read_cpu_memory(FerryLibvirtTarget *target, FerryVmSpec *spec, GError **error)
{
	guint64 sockets = ferry_vm_spec_get_cpu_sockets(spec);
	guint64 cores = ferry_vm_spec_get_cpu_cores(spec);
	guint64 threads = ferry_vm_spec_get_cpu_threads(spec);
	guint64 memory = ferry_vm_spec_get_memory_mib(spec);
	if (!json_object_has_member(ferry_vm_spec_get_json(spec), "memoryMiB"))
		memory = 1024;
	if (sockets == 0 || cores == 0 || threads == 0 || sockets * cores * threads > 4096) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: the CPU topology %" G_GUINT64_FORMAT " sockets x %" G_GUINT64_FORMAT
			    " cores x %" G_GUINT64_FORMAT " threads is not usable",
			    target->display, sockets, cores, threads);
		return FALSE;
	}
	if (memory == 0 || memory > G_GUINT64_CONSTANT(1) << 32) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "%s: memoryMiB %" G_GUINT64_FORMAT " is not usable", target->display,
			    memory);
		return FALSE;
	}
	target->sockets = (guint)sockets;
	target->cores = (guint)cores;
	target->threads = (guint)threads;
	target->memory_mib = memory;
	return TRUE;
}

/* labels are an extra of the document */
static void
read_labels(FerryLibvirtTarget *target, FerryVmSpec *spec)
{
	JsonNode *node = json_object_get_member(ferry_vm_spec_get_json(spec), "labels");
	JsonObject *labels = node != NULL && JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
									  : NULL;
	g_autoptr(GList) names = labels != NULL ? json_object_get_members(labels) : NULL;

	for (GList *l = names; l != NULL; l = l->next) {
		JsonNode *value = json_object_get_member(labels, l->data);
		if (!JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING)
			continue;
		g_ptr_array_add(target->labels, g_strdup(l->data));
		g_ptr_array_add(target->labels, g_strdup(json_node_get_string(value)));
	}
}

/**
 * ferry_libvirt_target_new:
 * @vm_spec: the VM description the engine built
 * @disk_format: (nullable): raw or qcow2 for every disk (the Provider
 *   setting diskFormat), or %NULL for each disk's own `format`
 *
 * Returns: the target, or %NULL when @vm_spec names something libvirt
 *   cannot hold
 */
FerryLibvirtTarget *
ferry_libvirt_target_new(JsonObject *vm_spec, const char *disk_format, GError **error)
{
	g_autoptr(FerryLibvirtTarget) target = g_new0(FerryLibvirtTarget, 1);
	g_autoptr(FerryVmSpec) spec = NULL;
	JsonObject *source_vm;
	JsonNode *source;
	const char *power;

	target->disks = g_ptr_array_new_with_free_func(ferry_libvirt_disk_free);
	target->nics = g_ptr_array_new_with_free_func(ferry_libvirt_nic_free);
	target->labels = g_ptr_array_new_with_free_func(g_free);
	if (vm_spec == NULL) {
		ferry_libvirt_check_name("the VM name", NULL, error);
		return NULL;
	}
	spec = ferry_vm_spec_new_from_json(vm_spec, error);
	if (spec == NULL)
		return NULL;
	target->name = g_strdup(ferry_vm_spec_get_name(spec));
	target->display = g_strdup_printf("VM %s", target->name);
	if (!ferry_libvirt_check_name("the VM name", target->name, error))
		return NULL;
	power = ferry_vm_spec_get_target_power_state(spec);
	target->name_space = g_strdup(ferry_vm_spec_get_namespace(spec));
	target->plan = g_strdup(ferry_vm_spec_get_plan(spec));
	source = json_object_get_member(ferry_vm_spec_get_json(spec), "source");
	if (source != NULL && JSON_NODE_HOLDS_OBJECT(source))
		target->source_provider = g_strdup(json_object_get_string_member_with_default(
		    json_node_get_object(source), "provider", NULL));
	source_vm = ferry_vm_spec_get_source_vm(spec);
	target->source_vm =
	    g_strdup(source_vm != NULL ? json_object_get_string_member_with_default(source_vm, "id",
										    NULL)
				       : NULL);
	target->target_power_state = g_strdup(power != NULL ? power : "auto");
	target->efi = ferry_vm_spec_get_firmware(spec) == FERRY_FIRMWARE_EFI;
	target->secure_boot = target->efi && ferry_vm_spec_get_secure_boot(spec);
	if (!read_cpu_memory(target, spec, error) || !read_disks(target, spec, disk_format, error) ||
	    !read_nics(target, spec, error))
		return NULL;
	read_labels(target, spec);
	return g_steal_pointer(&target);
}

FerryLibvirtDisk *
ferry_libvirt_target_get_disk(FerryLibvirtTarget *target, guint index, GError **error)
{
	if (index < target->disks->len)
		return g_ptr_array_index(target->disks, index);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
		    "%s has %u disks; there is no disk %u", target->display, target->disks->len,
		    index);
	return NULL;
}

/* --- domain XML --- */

/* @text with each character XML 1.0 does not allow (control characters
 * but tab and newlines, U+FFFE, U+FFFF, and invalid UTF-8) replaced by
 * U+FFFD: libxml2 would write them as they are, and neither libvirt nor any
 * XML reader would read the domain back. Such characters can only come
 * from source metadata such as labels. */
static char *
xml_text(const char *text)
{
	g_autofree char *valid = NULL;
	GString *out;

	if (text == NULL)
		return NULL;
	valid = g_utf8_make_valid(text, -1);
	out = g_string_sized_new(strlen(valid));
	for (const char *p = valid; *p != '\0'; p = g_utf8_next_char(p)) {
		gunichar c = g_utf8_get_char(p);
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0xFFFE ||
		    c == 0xFFFF)
			c = 0xFFFD;
		g_string_append_unichar(out, c);
	}
	return g_string_free(out, FALSE);
}

static xmlNodePtr
add(xmlNodePtr parent, const char *name, const char *text)
{
	g_autofree char *valid = xml_text(text);
	return xmlNewTextChild(parent, NULL, BAD_CAST name, BAD_CAST valid);
}

static void
set(xmlNodePtr node, const char *name, const char *value)
{
	g_autofree char *valid = xml_text(value);
	xmlSetProp(node, BAD_CAST name, BAD_CAST valid);
}

static void
set_uint(xmlNodePtr node, const char *name, guint64 value)
{
	char text[32];
	g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, value);
	set(node, name, text);
}

/* vda … vdz, vdaa …: the kernel's names for the index-th disk of a prefix */
static char *
device_name(const char *prefix, guint index)
{
	if (index < 26)
		return g_strdup_printf("%s%c", prefix, 'a' + index);
	return g_strdup_printf("%s%c%c", prefix, 'a' + index / 26 - 1, 'a' + index % 26);
}

static void
add_metadata(xmlNodePtr domain, FerryLibvirtTarget *target)
{
	xmlNodePtr metadata = add(domain, "metadata", NULL);
	xmlNodePtr vm = xmlNewChild(metadata, NULL, BAD_CAST "vm", NULL);
	xmlNsPtr ns = xmlNewNs(vm, BAD_CAST FERRY_LIBVIRT_METADATA_URI,
			       BAD_CAST FERRY_LIBVIRT_METADATA_PREFIX);

	xmlSetNs(vm, ns);
	set(vm, "name", target->name);
	if (target->name_space != NULL)
		set(vm, "namespace", target->name_space);
	if (target->plan != NULL)
		set(vm, "plan", target->plan);
	if (target->source_provider != NULL)
		set(vm, "sourceProvider", target->source_provider);
	if (target->source_vm != NULL)
		set(vm, "sourceVm", target->source_vm);
	set(vm, "ferryVersion", ferry_version_string());
	for (guint i = 0; i + 1 < target->labels->len; i += 2) {
		xmlNodePtr label = xmlNewChild(vm, ns, BAD_CAST "label", NULL);
		set(label, "key", g_ptr_array_index(target->labels, i));
		set(label, "value", g_ptr_array_index(target->labels, i + 1));
	}
	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		xmlNodePtr node = xmlNewChild(vm, ns, BAD_CAST "disk", NULL);
		set(node, "name", disk->name);
		set(node, "path", disk->path);
		if (disk->id != NULL)
			set(node, "sourceDisk", disk->id);
	}
}

static void
add_os(xmlNodePtr domain, FerryLibvirtTarget *target, const FerryLibvirtDomainOptions *options)
{
	xmlNodePtr os = add(domain, "os", NULL);
	xmlNodePtr type = add(os, "type", "hvm");
	xmlNodePtr features = NULL;

	set(type, "arch", options->arch != NULL ? options->arch : "x86_64");
	if (options->machine != NULL)
		set(type, "machine", options->machine);
	if (target->efi) {
		xmlNodePtr firmware;
		xmlNodePtr feature;

		/* libvirt picks OVMF from the firmware descriptors QEMU installs */
		set(os, "firmware", "efi");
		firmware = add(os, "firmware", NULL);
		feature = add(firmware, "feature", NULL);
		set(feature, "enabled", target->secure_boot ? "yes" : "no");
		set(feature, "name", "secure-boot");
		if (target->secure_boot) {
			xmlNodePtr loader;
			feature = add(firmware, "feature", NULL);
			set(feature, "enabled", "yes");
			set(feature, "name", "enrolled-keys");
			loader = add(os, "loader", NULL);
			set(loader, "secure", "yes");
		}
	}
	/* the first disk boots: <boot order> on it, as libvirt forbids both forms */

	features = add(domain, "features", NULL);
	add(features, "acpi", NULL);
	add(features, "apic", NULL);
	if (target->secure_boot)
		set(add(features, "smm", NULL), "state", "on");
}

static void
add_cpu(xmlNodePtr domain, FerryLibvirtTarget *target, const FerryLibvirtDomainOptions *options)
{
	guint64 vcpus = (guint64)target->sockets * target->cores * target->threads;
	xmlNodePtr cpu;
	xmlNodePtr topology;
	char text[32];

	g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, target->memory_mib);
	set(add(domain, "memory", text), "unit", "MiB");
	g_snprintf(text, sizeof text, "%" G_GUINT64_FORMAT, vcpus);
	set(add(domain, "vcpu", text), "placement", "static");
	cpu = add(domain, "cpu", NULL);
	/* host-model needs KVM; TCG and the test driver take QEMU's default model */
	if (g_strcmp0(options->domain_type, "kvm") == 0)
		set(cpu, "mode", "host-model");
	topology = add(cpu, "topology", NULL);
	set_uint(topology, "sockets", target->sockets);
	set_uint(topology, "dies", 1);
	set_uint(topology, "cores", target->cores);
	set_uint(topology, "threads", target->threads);
}

static void
add_disks(xmlNodePtr devices, FerryLibvirtTarget *target)
{
	guint virtio = 0, sd = 0;
	gboolean scsi = FALSE;

	for (guint i = 0; i < target->disks->len; i++) {
		FerryLibvirtDisk *disk = g_ptr_array_index(target->disks, i);
		xmlNodePtr node = add(devices, "disk", NULL);
		xmlNodePtr driver = add(node, "driver", NULL);
		xmlNodePtr dev = NULL;
		g_autofree char *name = g_strcmp0(disk->bus, "virtio") == 0
					    ? device_name("vd", virtio++)
					    : device_name("sd", sd++);

		set(node, "type", "file");
		set(node, "device", "disk");
		set(driver, "name", "qemu");
		set(driver, "type", disk->format);
		set(driver, "discard", "unmap");
		set(add(node, "source", NULL), "file", disk->path != NULL ? disk->path : "");
		dev = add(node, "target", NULL);
		set(dev, "dev", name);
		set(dev, "bus", disk->bus);
		if (i == 0)
			set(add(node, "boot", NULL), "order", "1");
		if (disk->id != NULL)
			add(node, "serial", disk->id);
		scsi = scsi || g_strcmp0(disk->bus, "scsi") == 0;
	}
	if (scsi) {
		xmlNodePtr controller = add(devices, "controller", NULL);
		set(controller, "type", "scsi");
		set(controller, "index", "0");
		set(controller, "model", "virtio-scsi");
	}
}

static void
add_nics(xmlNodePtr devices, FerryLibvirtTarget *target)
{
	for (guint i = 0; i < target->nics->len; i++) {
		FerryLibvirtNic *nic = g_ptr_array_index(target->nics, i);
		xmlNodePtr node;

		if (nic->kind == FERRY_LIBVIRT_NIC_NONE)
			continue;
		node = add(devices, "interface", NULL);
		if (nic->mac != NULL)
			set(add(node, "mac", NULL), "address", nic->mac);
		if (nic->kind == FERRY_LIBVIRT_NIC_NETWORK) {
			set(node, "type", "network");
			set(add(node, "source", NULL), "network", nic->libvirt_network);
		} else {
			set(node, "type", "user");
		}
		set(add(node, "model", NULL), "type", nic->model);
	}
}

static void
add_consoles(xmlNodePtr devices, const FerryLibvirtDomainOptions *options)
{
	xmlNodePtr serial = add(devices, "serial", NULL);
	xmlNodePtr console = add(devices, "console", NULL);
	xmlNodePtr node;

	/* a pty the plugin reads through virDomainOpenConsole, locally or remotely */
	set(serial, "type", "pty");
	node = add(serial, "target", NULL);
	set(node, "type", "isa-serial");
	set(node, "port", "0");
	set(console, "type", "pty");
	node = add(console, "target", NULL);
	set(node, "type", "serial");
	set(node, "port", "0");
	if (options->guest_agent) {
		xmlNodePtr channel = add(devices, "channel", NULL);
		set(channel, "type", "unix");
		node = add(channel, "target", NULL);
		set(node, "type", "virtio");
		set(node, "name", "org.qemu.guest_agent.0");
	}
}

/**
 * ferry_libvirt_domain_xml:
 * @target: the target, with each disk's path set
 * @options: the domain type and machine
 *
 * Returns: (transfer full): the domain XML
 */
char *
ferry_libvirt_domain_xml(FerryLibvirtTarget *target,
			 const FerryLibvirtDomainOptions *options,
			 GError **error)
{
	g_autoptr(xmlDoc) doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr domain = xmlNewNode(NULL, BAD_CAST "domain");
	xmlNodePtr devices;
	xmlChar *buffer = NULL;
	int size = 0;
	char *xml;

	xmlDocSetRootElement(doc, domain);
	set(domain, "type", options->domain_type);
	add(domain, "name", target->name);
	if (target->uuid != NULL)
		add(domain, "uuid", target->uuid);
	add(domain, "title", target->plan != NULL ? target->plan : target->name);
	add_metadata(domain, target);
	add_cpu(domain, target, options);
	add_os(domain, target, options);
	set(add(domain, "clock", NULL), "offset", "utc");
	add(domain, "on_poweroff", "destroy");
	add(domain, "on_reboot", "restart");
	add(domain, "on_crash", "destroy");
	devices = add(domain, "devices", NULL);
	add_disks(devices, target);
	add_nics(devices, target);
	add_consoles(devices, options);
	if (g_strcmp0(options->domain_type, "test") != 0) {
		xmlNodePtr rng = add(devices, "rng", NULL);
		set(rng, "model", "virtio");
		set(add(rng, "backend", "/dev/urandom"), "model", "random");
	}

	xmlDocDumpFormatMemoryEnc(doc, &buffer, &size, "UTF-8", 1);
	if (buffer == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
			    "%s: cannot render the domain XML", target->display);
		return NULL;
	}
	xml = g_strndup((const char *)buffer, (gsize)size);
	xmlFree(buffer);
	return xml;
}

/* --- reading XML libvirt returns --- */

static xmlXPathObjectPtr
evaluate(xmlDocPtr doc, const char *xpath)
{
	g_autoptr(xmlXPathContext) context = xmlXPathNewContext(doc);
	if (context == NULL)
		return NULL;
	xmlXPathRegisterNs(context, BAD_CAST FERRY_LIBVIRT_METADATA_PREFIX,
			   BAD_CAST FERRY_LIBVIRT_METADATA_URI);
	return xmlXPathEvalExpression(BAD_CAST xpath, context);
}

static xmlDocPtr
parse(const char *xml)
{
	if (xml == NULL)
		return NULL;
	return xmlReadMemory(xml, (int)strlen(xml), NULL, NULL,
			     XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
}

/**
 * ferry_libvirt_xml_get:
 * @xml: an XML document
 * @xpath: an expression (prefix `ferry` for Ferry's metadata)
 *
 * Returns: (transfer full) (nullable): the text of the first match
 */
char *
ferry_libvirt_xml_get(const char *xml, const char *xpath)
{
	g_autoptr(xmlDoc) doc = parse(xml);
	g_autoptr(xmlXPathObject) result = doc != NULL ? evaluate(doc, xpath) : NULL;
	xmlChar *text;
	char *copy;

	if (result == NULL || result->nodesetval == NULL || result->nodesetval->nodeNr == 0)
		return NULL;
	text = xmlNodeGetContent(result->nodesetval->nodeTab[0]);
	copy = g_strdup((const char *)text);
	xmlFree(text);
	return copy;
}

/**
 * ferry_libvirt_metadata_disk_paths:
 * @metadata_xml: Ferry's metadata element of a domain (libvirt returns it without
 * its namespace)
 *
 * Returns: (transfer full): the disk files Ferry made for the domain
 */
GPtrArray *
ferry_libvirt_metadata_disk_paths(const char *metadata_xml)
{
	g_autoptr(xmlDoc) doc = parse(metadata_xml);
	g_autoptr(xmlXPathObject) result = doc != NULL ? evaluate(doc, "//*[local-name()='disk']/@path")
						       : NULL;
	GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);

	for (int i = 0; result != NULL && result->nodesetval != NULL &&
			i < result->nodesetval->nodeNr;
	     i++) {
		xmlChar *text = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
		if (text != NULL && g_path_is_absolute((const char *)text))
			g_ptr_array_add(paths, g_strdup((const char *)text));
		xmlFree(text);
	}
	return paths;
}

/**
 * ferry_libvirt_console_tail:
 * @text: console output
 * @length: its length in bytes
 * @lines: how many lines to keep
 *
 * Returns: (transfer full): the last @lines non-empty lines of @text as valid
 *   UTF-8, without carriage returns, terminal escape sequences and other
 *   control characters
 */
char *
ferry_libvirt_console_tail(const char *text, gsize length, guint lines)
{
	g_autoptr(GString) clean = g_string_sized_new(length);
	g_autofree char *valid = NULL;
	g_auto(GStrv) split = NULL;
	g_autoptr(GPtrArray) kept = g_ptr_array_new();
	guint count;

	for (gsize i = 0; i < length; i++) {
		guchar c = (guchar)text[i];
		if (c == 0x1b) {
			/* ESC [ parameters final-byte, or ESC and one character */
			if (i + 1 < length && text[i + 1] == '[') {
				i += 2;
				while (i < length && ((guchar)text[i] < 0x40 || (guchar)text[i] > 0x7e))
					i++;
			} else {
				i++;
			}
			continue;
		}
		if (c == '\n' || c == '\t' || c >= 0x20)
			g_string_append_c(clean, (char)c);
	}
	valid = g_utf8_make_valid(clean->str, (gssize)clean->len);
	split = g_strsplit(valid, "\n", -1);
	for (guint i = 0; split[i] != NULL; i++) {
		if (*g_strstrip(split[i]) != '\0')
			g_ptr_array_add(kept, split[i]);
	}
	count = MIN(lines, kept->len);
	g_ptr_array_add(kept, NULL);
	return g_strjoinv("\n", (char **)kept->pdata + (kept->len - 1 - count));
}
