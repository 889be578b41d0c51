/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <libxml/tree.h>
#include <string.h>

#include "ferry-v2v-command.h"

/* the transfer's disk entries and the source inventory document are not
 * the VM description: they are read leniently; the description through
 * FerryVmSpec */
static JsonNode *
entry_value(JsonObject *object, const char *member, GType type)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_VALUE(node) && json_node_get_value_type(node) == type
		   ? node
		   : NULL;
}

static const char *
entry_string(JsonObject *object, const char *member)
{
	JsonNode *node = entry_value(object, member, G_TYPE_STRING);
	return node != NULL ? json_node_get_string(node) : NULL;
}

static JsonArray *
entry_array(JsonObject *object, const char *member)
{
	JsonNode *node = object != NULL ? json_object_get_member(object, member) : NULL;
	return node != NULL && JSON_NODE_HOLDS_ARRAY(node) ? json_node_get_array(node) : NULL;
}

static const char *
spec_extra_string(FerryVmSpec *spec, const char *member)
{
	return entry_string(ferry_vm_spec_get_json(spec), member);
}

static char *
spec_display(FerryVmSpec *spec)
{
	const char *plan = spec != NULL ? ferry_vm_spec_get_plan(spec) : NULL;
	const char *name = spec != NULL ? ferry_vm_spec_get_name(spec) : "(unnamed)";
	if (plan != NULL && *plan != '\0')
		return g_strdup_printf("VM %s of Plan/%s", name, plan);
	return g_strdup_printf("VM %s", name);
}

/**
 * ferry_v2v_dup_vm_display:
 * @vm_spec: the target VM description
 *
 * Returns: how errors name the VM, e.g. `VM web-01 of Plan/web-tier`
 */
char *
ferry_v2v_dup_vm_display(JsonObject *vm_spec)
{
	g_autoptr(FerryVmSpec) spec =
	    vm_spec != NULL ? ferry_vm_spec_new_from_json(vm_spec, NULL) : NULL;
	return spec_display(spec);
}

/**
 * ferry_v2v_drive_name:
 * @index: the disk's position, from 0
 *
 * Returns: the drive name virt-v2v gives the disk: `sda` … `sdz`, `sdaa` …
 */
char *
ferry_v2v_drive_name(guint index)
{
	GString *suffix = g_string_new(NULL);
	guint n = index + 1;
	while (n > 0) {
		n--;
		g_string_prepend_c(suffix, (char)('a' + n % 26));
		n /= 26;
	}
	g_string_prepend(suffix, "sd");
	return g_string_free(suffix, FALSE);
}

/* the NBD URI forms Ferry's endpoints use: nbd://host[:port][/export] and
 * nbd+unix:///[export]?socket=PATH */
static gboolean
add_nbd_source(xmlNode *disk, const char *uri_text, GError **error)
{
	g_autoptr(GUri) uri = g_uri_parse(uri_text, G_URI_FLAGS_ENCODED_QUERY, error);
	xmlNode *source;
	xmlNode *host;
	const char *scheme;
	const char *path;

	if (uri == NULL)
		return FALSE;
	scheme = g_uri_get_scheme(uri);
	source = xmlNewChild(disk, NULL, BAD_CAST "source", NULL);
	xmlNewProp(source, BAD_CAST "protocol", BAD_CAST "nbd");
	path = g_uri_get_path(uri);
	if (path != NULL && path[0] == '/' && path[1] != '\0') {
		g_autofree char *export_name = g_uri_unescape_string(path + 1, NULL);
		xmlNewProp(source, BAD_CAST "name", BAD_CAST export_name);
	}
	host = xmlNewChild(source, NULL, BAD_CAST "host", NULL);
	if (g_strcmp0(scheme, "nbd+unix") == 0) {
		g_autoptr(GHashTable) params = NULL;
		const char *socket;
		if (g_uri_get_query(uri) == NULL)
			params = g_hash_table_new(g_str_hash, g_str_equal);
		else
			params = g_uri_parse_params(g_uri_get_query(uri), -1, "&",
						    G_URI_PARAMS_NONE, error);
		if (params == NULL)
			return FALSE;
		socket = g_hash_table_lookup(params, "socket");
		if (socket == NULL) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "NBD URI %s names no socket", uri_text);
			return FALSE;
		}
		xmlNewProp(host, BAD_CAST "transport", BAD_CAST "unix");
		xmlNewProp(host, BAD_CAST "socket", BAD_CAST socket);
	} else if (g_strcmp0(scheme, "nbd") == 0) {
		g_autofree char *port = g_strdup_printf(
		    "%d", g_uri_get_port(uri) > 0 ? g_uri_get_port(uri) : 10809);
		xmlNewProp(host, BAD_CAST "name", BAD_CAST g_uri_get_host(uri));
		xmlNewProp(host, BAD_CAST "port", BAD_CAST port);
	} else {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "virt-v2v cannot read the disk at %s: only local files, nbd:// and "
			    "nbd+unix:// URIs are supported",
			    uri_text);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_v2v_domain_xml:
 * @vm_spec: the target VM description (name, memory, CPU, firmware, NICs)
 * @disks: `[{index, uri|path, format}]`, the disks in guest order
 * @error: return location for a #GError
 *
 * Returns: libvirt domain XML for `-i libvirtxml`, naming each disk by
 *   its local path or NBD server
 */
char *
ferry_v2v_domain_xml(JsonObject *vm_spec, JsonArray *disks, GError **error)
{
	xmlDoc *doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNode *domain = xmlNewNode(NULL, BAD_CAST "domain");
	xmlNode *os;
	xmlNode *features;
	xmlNode *devices;
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(vm_spec, error);
	guint64 vcpus = 0;
	g_autofree char *memory = NULL;
	g_autofree char *vcpu_text = NULL;
	xmlChar *text = NULL;
	int length = 0;
	char *result;

	if (spec == NULL) {
		xmlFreeDoc(doc);
		xmlFreeNode(domain);
		return NULL;
	}
	vcpus = (guint64)ferry_vm_spec_get_cpu_sockets(spec) * ferry_vm_spec_get_cpu_cores(spec);
	memory = g_strdup_printf("%" G_GUINT64_FORMAT, ferry_vm_spec_get_memory_mib(spec) > 0
							   ? ferry_vm_spec_get_memory_mib(spec)
							   : 1024);
	vcpu_text = g_strdup_printf("%" G_GUINT64_FORMAT, MAX(vcpus, 1));
	xmlDocSetRootElement(doc, domain);
	xmlNewProp(domain, BAD_CAST "type", BAD_CAST "kvm");
	xmlNewTextChild(domain, NULL, BAD_CAST "name", BAD_CAST ferry_vm_spec_get_name(spec));
	xmlNewProp(xmlNewTextChild(domain, NULL, BAD_CAST "memory", BAD_CAST memory),
		   BAD_CAST "unit", BAD_CAST "MiB");
	xmlNewTextChild(domain, NULL, BAD_CAST "vcpu", BAD_CAST vcpu_text);
	os = xmlNewChild(domain, NULL, BAD_CAST "os", NULL);
	xmlNewTextChild(os, NULL, BAD_CAST "type", BAD_CAST "hvm");
	/* virt-v2v takes a pflash loader as UEFI firmware */
	if (ferry_vm_spec_get_firmware(spec) == FERRY_FIRMWARE_EFI)
		xmlNewProp(xmlNewChild(os, NULL, BAD_CAST "loader", NULL), BAD_CAST "type",
			   BAD_CAST "pflash");
	features = xmlNewChild(domain, NULL, BAD_CAST "features", NULL);
	xmlNewChild(features, NULL, BAD_CAST "acpi", NULL);
	xmlNewChild(features, NULL, BAD_CAST "apic", NULL);
	xmlNewChild(features, NULL, BAD_CAST "pae", NULL);
	devices = xmlNewChild(domain, NULL, BAD_CAST "devices", NULL);

	for (guint i = 0; disks != NULL && i < json_array_get_length(disks); i++) {
		JsonObject *entry = json_array_get_object_element(disks, i);
		const char *path = entry_string(entry, "path");
		const char *uri = entry_string(entry, "uri");
		const char *format = entry_string(entry, "format");
		g_autofree char *dev = ferry_v2v_drive_name(i);
		xmlNode *disk = xmlNewChild(devices, NULL, BAD_CAST "disk", NULL);
		xmlNode *driver;
		xmlNode *target;

		xmlNewProp(disk, BAD_CAST "type", BAD_CAST(path != NULL ? "file" : "network"));
		xmlNewProp(disk, BAD_CAST "device", BAD_CAST "disk");
		driver = xmlNewChild(disk, NULL, BAD_CAST "driver", NULL);
		xmlNewProp(driver, BAD_CAST "name", BAD_CAST "qemu");
		xmlNewProp(driver, BAD_CAST "type", BAD_CAST(format != NULL ? format : "raw"));
		if (path != NULL) {
			xmlNewProp(xmlNewChild(disk, NULL, BAD_CAST "source", NULL),
				   BAD_CAST "file", BAD_CAST path);
		} else if (uri == NULL || !add_nbd_source(disk, uri, error)) {
			if (uri == NULL)
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
					    "disk %u has neither a path nor a URI", i);
			xmlFreeDoc(doc);
			return NULL;
		}
		target = xmlNewChild(disk, NULL, BAD_CAST "target", NULL);
		xmlNewProp(target, BAD_CAST "dev", BAD_CAST dev);
		xmlNewProp(target, BAD_CAST "bus", BAD_CAST "scsi");
	}
	for (guint i = 0; i < ferry_vm_spec_get_n_nics(spec); i++) {
		FerryVmNic *nic = ferry_vm_spec_get_nic(spec, i);
		const char *mac = ferry_vm_nic_get_mac(nic);
		const char *network = ferry_vm_nic_get_network_name(nic);
		xmlNode *interface = xmlNewChild(devices, NULL, BAD_CAST "interface", NULL);
		xmlNewProp(interface, BAD_CAST "type", BAD_CAST "network");
		if (mac != NULL)
			xmlNewProp(xmlNewChild(interface, NULL, BAD_CAST "mac", NULL),
				   BAD_CAST "address", BAD_CAST mac);
		xmlNewProp(xmlNewChild(interface, NULL, BAD_CAST "source", NULL),
			   BAD_CAST "network",
			   BAD_CAST(network != NULL && *network != '\0' ? network : "default"));
		xmlNewProp(xmlNewChild(interface, NULL, BAD_CAST "model", NULL), BAD_CAST "type",
			   BAD_CAST "virtio");
	}

	xmlDocDumpFormatMemoryEnc(doc, &text, &length, "UTF-8", 1);
	xmlFreeDoc(doc);
	result = g_strndup((const char *)text, length);
	xmlFree(text);
	return result;
}

static gboolean
is_ipv6(const char *address)
{
	return address != NULL && strchr(address, ':') != NULL;
}

/* the default gateway of the guest's IP stack for the address family */
static const char *
find_gateway(JsonArray *stacks, const char *ip)
{
	for (guint i = 0; stacks != NULL && i < json_array_get_length(stacks); i++) {
		const char *gateway =
		    entry_string(json_array_get_object_element(stacks, i), "gateway");
		if (gateway != NULL && *gateway != '\0' && is_ipv6(gateway) == is_ipv6(ip))
			return gateway;
	}
	return NULL;
}

/**
 * ferry_v2v_static_ip_args:
 * @source_vm: the source inventory document
 *
 * Forklift's static IP preservation: each guest address the guest tools
 * report as set by hand (`origin: manual`) becomes
 * `MAC:ip:IP,GATEWAY,PREFIX,DNS…` for `--mac`.
 *
 * Returns: (transfer full): the `--mac` values, possibly none
 */
GPtrArray *
ferry_v2v_static_ip_args(JsonObject *source_vm)
{
	GPtrArray *values = g_ptr_array_new_with_free_func(g_free);
	JsonArray *networks = entry_array(source_vm, "guestNetworks");
	JsonArray *stacks = entry_array(source_vm, "guestIpStacks");

	for (guint i = 0; networks != NULL && i < json_array_get_length(networks); i++) {
		JsonObject *net = json_array_get_object_element(networks, i);
		const char *mac = entry_string(net, "mac");
		const char *ip = entry_string(net, "ip");
		const char *gateway = find_gateway(stacks, ip);
		JsonArray *dns = entry_array(net, "dns");
		JsonNode *prefix_node = entry_value(net, "prefix", G_TYPE_INT64);
		gint64 prefix = prefix_node != NULL ? json_node_get_int(prefix_node) : -1;
		GString *value;

		if (mac == NULL || ip == NULL || *ip == '\0' ||
		    g_strcmp0(entry_string(net, "origin"), "manual") != 0)
			continue;
		/* link-local IPv6 addresses come and go with the NIC */
		if (g_str_has_prefix(ip, "fe80:"))
			continue;
		value = g_string_new(NULL);
		g_string_append_printf(value, "%s:ip:%s,%s,", mac, ip,
				       gateway != NULL ? gateway : "");
		if (prefix >= 0)
			g_string_append_printf(value, "%" G_GINT64_FORMAT, prefix);
		for (guint j = 0; dns != NULL && j < json_array_get_length(dns); j++) {
			const char *server = json_array_get_string_element(dns, j);
			if (server != NULL && is_ipv6(server) == is_ipv6(ip))
				g_string_append_printf(value, ",%s", server);
		}
		g_ptr_array_add(values, g_string_free(value, FALSE));
	}
	return values;
}

static gboolean
looks_like_uuid(const char *name)
{
	if (strlen(name) != 36)
		return FALSE;
	for (guint i = 0; i < 36; i++) {
		gboolean dash = i == 8 || i == 13 || i == 18 || i == 23;
		if (dash ? name[i] != '-' : !g_ascii_isxdigit(name[i]))
			return FALSE;
	}
	return TRUE;
}

static int
compare_names(gconstpointer a, gconstpointer b)
{
	return g_strcmp0(*(char *const *)a, *(char *const *)b);
}

/* LUKS keys: a folder with one file per key (the plan's Secret, written
 * there by the engine). A key named after a LUKS UUID opens that device
 * (`--key UUID:file:PATH`); the others are offered on stdin in name order,
 * one per encrypted device. Passphrases never reach the command line. */
static gboolean
add_key_args(FerryV2vCommand *self, FerryVmSpec *spec, GError **error)
{
	const char *key_dir = spec_extra_string(spec, "luksKeyDir");
	g_autoptr(GDir) dir = NULL;
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GString) stdin_keys = g_string_new(NULL);
	const char *name;

	if (key_dir == NULL)
		return TRUE;
	dir = g_dir_open(key_dir, 0, error);
	if (dir == NULL) {
		g_prefix_error(error, "LUKS keys of the plan: ");
		return FALSE;
	}
	while ((name = g_dir_read_name(dir)) != NULL)
		g_ptr_array_add(names, g_strdup(name));
	g_ptr_array_sort(names, compare_names);
	for (guint i = 0; i < names->len; i++) {
		const char *key_name = g_ptr_array_index(names, i);
		g_autofree char *path = g_build_filename(key_dir, key_name, NULL);
		g_autofree char *contents = NULL;
		g_autofree char *passphrase = NULL;
		gsize length = 0;

		if (!g_file_get_contents(path, &contents, &length, error)) {
			g_prefix_error(error, "LUKS key %s: ", key_name);
			return FALSE;
		}
		if (self->keys == NULL)
			self->keys = ferry_secret_new("luks");
		passphrase = g_strchomp(g_strdup(contents));
		ferry_secret_set_string(self->keys, key_name, passphrase);
		memset(passphrase, 0, strlen(passphrase));
		if (looks_like_uuid(key_name)) {
			memset(contents, 0, length);
			g_ptr_array_add(self->args, g_strdup("--key"));
			g_ptr_array_add(self->args,
					g_strdup_printf("%s:file:%s", key_name, path));
			continue;
		}
		if (memchr(contents, '\n', length) != NULL &&
		    strchr(contents, '\n') != contents + length - 1) {
			memset(contents, 0, length);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "LUKS key %s holds several lines; put one passphrase in each "
				    "key of the Secret",
				    key_name);
			return FALSE;
		}
		g_string_append_len(stdin_keys, contents, length);
		if (length == 0 || contents[length - 1] != '\n')
			g_string_append_c(stdin_keys, '\n');
		memset(contents, 0, length);
	}
	if (stdin_keys->len > 0) {
		g_ptr_array_add(self->args, g_strdup("--keys-from-stdin"));
		self->stdin_keys = g_strndup(stdin_keys->str, stdin_keys->len);
		memset(stdin_keys->str, 0, stdin_keys->len);
	}
	return TRUE;
}

static void
add_args(FerryV2vCommand *self, const char *first, ...)
{
	va_list ap;
	va_start(ap, first);
	for (const char *arg = first; arg != NULL; arg = va_arg(ap, const char *))
		g_ptr_array_add(self->args, g_strdup(arg));
	va_end(ap);
}

static gboolean
check_name(const char *name, const char *display, GError **error)
{
	if (name == NULL || *name == '\0' || strchr(name, '/') != NULL || name[0] == '.' ||
	    name[0] == '-') {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: the target name '%s' cannot name virt-v2v's output files; give "
			    "the VM a DNS-1123 targetName in the plan",
			    display, name != NULL ? name : "");
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_v2v_dup_ova_input:
 * @vm_spec: the target VM description
 *
 * Returns: (nullable): the OVA archive (or OVF folder) `-i ova` reads, for
 *   a VM from an OVA source
 */
static char *
spec_ova_input(FerryVmSpec *spec)
{
	const char *path = entry_string(ferry_vm_spec_get_source_vm(spec), "ovfPath");
	if (g_strcmp0(ferry_vm_spec_get_source_type(spec), "ova") != 0 || path == NULL ||
	    *path == '\0')
		return NULL;
	if (g_str_has_prefix(path, "file://"))
		return g_filename_from_uri(path, NULL, NULL);
	/* -i ova takes an archive or the folder of an unpacked OVF */
	if (g_str_has_suffix(path, ".ovf"))
		return g_path_get_dirname(path);
	return g_strdup(path);
}

char *
ferry_v2v_dup_ova_input(JsonObject *vm_spec)
{
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(vm_spec, NULL);
	return spec != NULL ? spec_ova_input(spec) : NULL;
}

static gboolean
add_input_args(FerryV2vCommand *self,
	       FerryVmSpec *spec,
	       JsonArray *disks,
	       const char *work_dir,
	       GError **error)
{
	g_autofree char *ova = self->mode == FERRY_V2V_MODE_COPY ? spec_ova_input(spec) : NULL;
	JsonObject *first = json_array_get_length(disks) > 0
				? json_array_get_object_element(disks, 0)
				: NULL;

	if (ova != NULL) {
		add_args(self, "-i", "ova", ova, NULL);
		return TRUE;
	}
	if (self->mode == FERRY_V2V_MODE_IN_PLACE && json_array_get_length(disks) == 1 &&
	    entry_string(first, "path") != NULL) {
		const char *format = entry_string(first, "format");
		add_args(self, "-i", "disk", "-if", format != NULL ? format : "raw",
			 entry_string(first, "path"), NULL);
		return TRUE;
	}
	self->domain_xml = ferry_v2v_domain_xml(ferry_vm_spec_get_json(spec), disks, error);
	if (self->domain_xml == NULL)
		return FALSE;
	self->domain_xml_path = g_build_filename(work_dir, "source-domain.xml", NULL);
	add_args(self, "-i", "libvirtxml", self->domain_xml_path, NULL);
	return TRUE;
}

/**
 * ferry_v2v_command_new:
 * @mode: copy and convert, or convert in place
 * @vm_spec: the target VM description
 * @disks: `[{index, uri|path, format}]`: the source disks (copy) or the
 *   written target disks (in place)
 * @work_dir: the VM's work folder: log, input XML, output and temporary files
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the command, or %NULL when the VM description
 *   cannot be converted
 */
FerryV2vCommand *
ferry_v2v_command_new(FerryV2vMode mode,
		      JsonObject *vm_spec,
		      JsonArray *disks,
		      const char *work_dir,
		      GError **error)
{
	g_autoptr(FerryV2vCommand) self = g_new0(FerryV2vCommand, 1);
	g_autoptr(FerryVmSpec) spec = NULL;
	g_autofree char *display = NULL;
	const char *name;

	if (!json_object_has_member(vm_spec, "name")) {
		check_name(NULL, "VM (unnamed)", error);
		return NULL;
	}
	spec = ferry_vm_spec_new_from_json(vm_spec, error);
	if (spec == NULL)
		return NULL;
	display = spec_display(spec);
	name = ferry_vm_spec_get_name(spec);

	self->mode = mode;
	self->args = g_ptr_array_new_with_free_func(g_free);
	self->n_disks = disks != NULL ? json_array_get_length(disks) : 0;
	self->program = g_strdup(mode == FERRY_V2V_MODE_COPY ? "virt-v2v" : "virt-v2v-in-place");
	self->log_path = g_build_filename(work_dir, "virt-v2v.log", NULL);
	self->tmp_dir = g_build_filename(work_dir, "tmp", NULL);
	if (self->n_disks == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s has no disks to convert", display);
		return NULL;
	}
	if (!check_name(name, display, error))
		return NULL;

	/* -v: the log then holds the inspection (OS, firmware, root device) */
	add_args(self, "-v", "--machine-readable", NULL);
	if (!add_input_args(self, spec, disks, work_dir, error))
		return NULL;
	if (mode == FERRY_V2V_MODE_COPY) {
		self->output_dir = g_build_filename(work_dir, "output", NULL);
		self->output_name = g_strdup(name);
		add_args(self, "-o", "local", "-os", self->output_dir, "-on", name, "-of", "raw",
			 "-oa", "sparse", NULL);
	}
	if (!add_key_args(self, spec, error)) {
		g_prefix_error(error, "%s: ", display);
		return NULL;
	}
	if (entry_value(ferry_vm_spec_get_json(spec), "preserveStaticIPs", G_TYPE_BOOLEAN) ==
		NULL ||
	    json_node_get_boolean(
		entry_value(ferry_vm_spec_get_json(spec), "preserveStaticIPs", G_TYPE_BOOLEAN))) {
		g_autoptr(GPtrArray) macs =
		    ferry_v2v_static_ip_args(ferry_vm_spec_get_source_vm(spec));
		for (guint i = 0; i < macs->len; i++)
			add_args(self, "--mac", g_ptr_array_index(macs, i), NULL);
	}
	if (spec_extra_string(spec, "rootDisk") != NULL)
		add_args(self, "--root", spec_extra_string(spec, "rootDisk"), NULL);
	return g_steal_pointer(&self);
}

/**
 * ferry_v2v_command_free:
 * @self: (transfer full): a command
 */
void
ferry_v2v_command_free(FerryV2vCommand *self)
{
	if (self == NULL)
		return;
	g_free(self->program);
	g_clear_pointer(&self->args, g_ptr_array_unref);
	g_free(self->domain_xml);
	g_free(self->domain_xml_path);
	if (self->stdin_keys != NULL) {
		memset(self->stdin_keys, 0, strlen(self->stdin_keys));
		g_free(self->stdin_keys);
	}
	g_clear_object(&self->keys);
	g_free(self->output_dir);
	g_free(self->output_name);
	g_free(self->log_path);
	g_free(self->tmp_dir);
	g_free(self);
}

/**
 * ferry_v2v_command_dup_argv:
 * @self: a command
 *
 * Returns: (transfer full): the program and its arguments, for spawning
 */
char **
ferry_v2v_command_dup_argv(FerryV2vCommand *self)
{
	GStrvBuilder *builder = g_strv_builder_new();
	char **argv;
	g_strv_builder_add(builder, self->program);
	for (guint i = 0; i < self->args->len; i++)
		g_strv_builder_add(builder, g_ptr_array_index(self->args, i));
	argv = g_strv_builder_end(builder);
	g_strv_builder_unref(builder);
	return argv;
}

/* @word as is when a shell reads it unchanged, else quoted */
static char *
shell_word(const char *word)
{
	if (*word == '\0')
		return g_shell_quote(word);
	for (const char *p = word; *p != '\0'; p++) {
		if (!g_ascii_isalnum(*p) && strchr("-_./:=,@%+", *p) == NULL)
			return g_shell_quote(word);
	}
	return g_strdup(word);
}

/**
 * ferry_v2v_command_dup_display:
 * @self: a command
 *
 * Returns: the command line as a shell would read it, for the log
 */
char *
ferry_v2v_command_dup_display(FerryV2vCommand *self)
{
	g_auto(GStrv) argv = ferry_v2v_command_dup_argv(self);
	GString *line = g_string_new(NULL);
	for (guint i = 0; argv[i] != NULL; i++) {
		g_autofree char *word = shell_word(argv[i]);
		if (i > 0)
			g_string_append_c(line, ' ');
		g_string_append(line, word);
	}
	return g_string_free(line, FALSE);
}

/**
 * ferry_v2v_command_dup_output_disk:
 * @self: a copy-mode command
 * @index: the disk's position
 *
 * Returns: the file `-o local` writes for the disk: `OUTPUT/NAME-sdX`
 */
char *
ferry_v2v_command_dup_output_disk(FerryV2vCommand *self, guint index)
{
	g_autofree char *drive = ferry_v2v_drive_name(index);
	g_autofree char *file = g_strdup_printf("%s-%s", self->output_name, drive);
	g_return_val_if_fail(self->mode == FERRY_V2V_MODE_COPY, NULL);
	return g_build_filename(self->output_dir, file, NULL);
}
