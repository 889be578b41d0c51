/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The virt-v2v transfer method: the command it builds from VM
 * descriptions, the parsing of a recorded real run, the plugin's
 * answers, and failures with the real program (missing, timeout,
 * cancellation).
 */

#include "config.h"

#include <glib/gstdio.h>
#include <libxml/parser.h>
#include <libxml/xpath.h>
#include <signal.h>
#include <string.h>
#include <unistd.h>

#include "ferry-v2v-command.h"
#include "ferry-v2v-method.h"
#include "ferry-v2v-run.h"
#include "v2v-test-util.h"

static gboolean
path_exists(const char *dir, const char *name)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	return g_file_test(path, G_FILE_TEST_EXISTS);
}

static JsonObject *
parse_object(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	return json_object_ref(json_node_get_object(json_parser_get_root(parser)));
}

static JsonArray *
parse_array(const char *text)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	g_assert_true(json_parser_load_from_data(parser, text, -1, NULL));
	return json_array_ref(json_node_get_array(json_parser_get_root(parser)));
}

/* the position of @arg in the command's arguments, or -1 */
static int
arg_index(FerryV2vCommand *command, const char *arg)
{
	for (guint i = 0; i < command->args->len; i++) {
		if (g_strcmp0(g_ptr_array_index(command->args, i), arg) == 0)
			return (int)i;
	}
	return -1;
}

static const char *
arg_after(FerryV2vCommand *command, const char *arg)
{
	int i = arg_index(command, arg);
	g_assert_cmpint(i, >=, 0);
	g_assert_cmpuint((guint)i + 1, <, command->args->len);
	return g_ptr_array_index(command->args, i + 1);
}

static guint
arg_count(FerryV2vCommand *command, const char *arg)
{
	guint n = 0;
	for (guint i = 0; i < command->args->len; i++)
		n += g_strcmp0(g_ptr_array_index(command->args, i), arg) == 0;
	return n;
}

static const char ova_spec[] =
    "{\"name\": \"web-01\", \"plan\": \"web-tier\", \"namespace\": \"migrated\","
    " \"memoryMiB\": 1024, \"cpu\": {\"sockets\": 1, \"cores\": 2},"
    " \"source\": {\"type\": \"ova\", \"vm\": {\"name\": \"web-01\","
    "   \"ovfPath\": \"/exports/web-01.ova\"}},"
    " \"disks\": [{\"id\": \"d0\", \"capacity\": 2147483648}]}";

static void
test_drive_names(void)
{
	const struct {
		guint index;
		const char *name;
	} cases[] = {{0, "sda"}, {1, "sdb"}, {25, "sdz"}, {26, "sdaa"}, {27, "sdab"}, {701, "sdzz"},
		     {702, "sdaaa"}};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autofree char *name = ferry_v2v_drive_name(cases[i].index);
		g_assert_cmpstr(name, ==, cases[i].name);
	}
}

static void
test_command_ova(void)
{
	g_autoptr(JsonObject) spec = parse_object(ova_spec);
	g_autoptr(JsonArray) sources =
	    parse_array("[{\"index\": 0, \"uri\": \"nbd+unix:///?socket=/run/x.sock\","
			" \"format\": \"raw\"}]");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryV2vCommand) command =
	    ferry_v2v_command_new(FERRY_V2V_MODE_COPY, spec, sources, "/state/work/vm-1", &error);
	g_autofree char *disk = NULL;
	g_autofree char *display = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(command->program, ==, "virt-v2v");
	/* the archive itself, read by virt-v2v with its OVF metadata */
	g_assert_cmpstr(arg_after(command, "-i"), ==, "ova");
	g_assert_cmpstr(g_ptr_array_index(command->args, arg_index(command, "-i") + 2), ==,
			"/exports/web-01.ova");
	g_assert_null(command->domain_xml);
	g_assert_cmpstr(arg_after(command, "-o"), ==, "local");
	g_assert_cmpstr(arg_after(command, "-os"), ==, "/state/work/vm-1/output");
	g_assert_cmpstr(arg_after(command, "-on"), ==, "web-01");
	g_assert_cmpstr(arg_after(command, "-of"), ==, "raw");
	g_assert_cmpint(arg_index(command, "--machine-readable"), >=, 0);
	g_assert_cmpint(arg_index(command, "-v"), >=, 0);
	g_assert_cmpstr(command->log_path, ==, "/state/work/vm-1/virt-v2v.log");
	g_assert_cmpstr(command->tmp_dir, ==, "/state/work/vm-1/tmp");
	disk = ferry_v2v_command_dup_output_disk(command, 1);
	g_assert_cmpstr(disk, ==, "/state/work/vm-1/output/web-01-sdb");
	display = ferry_v2v_command_dup_display(command);
	g_assert_true(g_str_has_prefix(display, "virt-v2v -v --machine-readable -i ova "));
}

static char *
xpath_string(xmlDoc *doc, const char *expression)
{
	xmlXPathContext *context = xmlXPathNewContext(doc);
	xmlXPathObject *object = xmlXPathEvalExpression(BAD_CAST expression, context);
	char *result = NULL;
	if (object != NULL && object->type == XPATH_NODESET && object->nodesetval != NULL &&
	    object->nodesetval->nodeNr > 0) {
		xmlChar *text = xmlNodeGetContent(object->nodesetval->nodeTab[0]);
		result = g_strdup((const char *)text);
		xmlFree(text);
	}
	xmlXPathFreeObject(object);
	xmlXPathFreeContext(context);
	return result;
}

static void
test_command_libvirtxml(void)
{
	g_autoptr(JsonObject) spec = parse_object(
	    "{\"name\": \"db-01\", \"plan\": \"db\", \"memoryMiB\": 4096,"
	    " \"cpu\": {\"sockets\": 2, \"cores\": 2}, \"firmware\": {\"type\": \"efi\"},"
	    " \"source\": {\"type\": \"vsphere\", \"vm\": {\"name\": \"db-01 & co\"}},"
	    " \"nics\": [{\"mac\": \"00:50:56:aa:bb:cc\", \"network\": {\"type\": \"multus\","
	    "   \"name\": \"ns/vlan10\"}}]}");
	g_autoptr(JsonArray) sources = parse_array(
	    "[{\"index\": 0, \"uri\": \"nbd+unix:///?socket=/run/ferry/d0.sock\", \"format\": "
	    "\"raw\"}, {\"index\": 1, \"uri\": \"nbd://10.0.0.5:10810/disk-1\", \"format\": "
	    "\"raw\"}, {\"index\": 2, \"path\": \"/data/d2.qcow2\", \"format\": \"qcow2\"}]");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryV2vCommand) command =
	    ferry_v2v_command_new(FERRY_V2V_MODE_COPY, spec, sources, "/w", &error);
	xmlDoc *doc;
	struct {
		const char *xpath;
		const char *value;
	} expected[] = {
	    {"/domain/name", "db-01"},
	    {"/domain/memory[@unit='MiB']", "4096"},
	    {"/domain/vcpu", "4"},
	    {"/domain/os/loader/@type", "pflash"},
	    {"/domain/devices/disk[1]/@type", "network"},
	    {"/domain/devices/disk[1]/source/@protocol", "nbd"},
	    {"/domain/devices/disk[1]/source/host/@transport", "unix"},
	    {"/domain/devices/disk[1]/source/host/@socket", "/run/ferry/d0.sock"},
	    {"/domain/devices/disk[1]/target/@dev", "sda"},
	    {"/domain/devices/disk[2]/source/@name", "disk-1"},
	    {"/domain/devices/disk[2]/source/host/@name", "10.0.0.5"},
	    {"/domain/devices/disk[2]/source/host/@port", "10810"},
	    {"/domain/devices/disk[3]/@type", "file"},
	    {"/domain/devices/disk[3]/driver/@type", "qcow2"},
	    {"/domain/devices/disk[3]/source/@file", "/data/d2.qcow2"},
	    {"/domain/devices/disk[3]/target/@dev", "sdc"},
	    {"/domain/devices/interface/mac/@address", "00:50:56:aa:bb:cc"},
	    {"/domain/devices/interface/source/@network", "ns/vlan10"},
	};

	g_assert_no_error(error);
	g_assert_cmpstr(arg_after(command, "-i"), ==, "libvirtxml");
	g_assert_cmpstr(arg_after(command, "libvirtxml"), ==, "/w/source-domain.xml");
	g_assert_cmpstr(command->domain_xml_path, ==, "/w/source-domain.xml");
	doc = xmlReadMemory(command->domain_xml, (int)strlen(command->domain_xml), "domain.xml",
			    NULL, XML_PARSE_NONET);
	g_assert_nonnull(doc);
	for (guint i = 0; i < G_N_ELEMENTS(expected); i++) {
		g_autofree char *value = xpath_string(doc, expected[i].xpath);
		g_assert_cmpstr(value, ==, expected[i].value);
	}
	xmlFreeDoc(doc);
}

static void
test_command_in_place(void)
{
	g_autoptr(JsonObject) spec = parse_object("{\"name\": \"app\", \"plan\": \"p\"}");
	g_autoptr(JsonArray) one = parse_array("[{\"index\": 0, \"path\": \"/t/app-disk-0.img\","
					       " \"format\": \"raw\"}]");
	g_autoptr(JsonArray) two =
	    parse_array("[{\"index\": 0, \"path\": \"/t/a.img\", \"format\": \"raw\"},"
			" {\"index\": 1, \"uri\": \"nbd+unix:///?socket=/t/b.sock\", \"format\": "
			"\"raw\"}]");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryV2vCommand) single =
	    ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, "/w", &error);
	g_autoptr(FerryV2vCommand) several = NULL;

	g_assert_no_error(error);
	g_assert_cmpstr(single->program, ==, "virt-v2v-in-place");
	g_assert_cmpstr(arg_after(single, "-i"), ==, "disk");
	g_assert_cmpstr(arg_after(single, "-if"), ==, "raw");
	g_assert_cmpstr(arg_after(single, "raw"), ==, "/t/app-disk-0.img");
	/* in place writes nothing new: no output options */
	g_assert_cmpint(arg_index(single, "-o"), <, 0);
	g_assert_cmpint(arg_index(single, "-os"), <, 0);

	several = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, two, "/w", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(arg_after(several, "-i"), ==, "libvirtxml");
	g_assert_nonnull(strstr(several->domain_xml, "socket=\"/t/b.sock\""));
	g_assert_nonnull(strstr(several->domain_xml, "file=\"/t/a.img\""));
}

static void
test_command_errors(void)
{
	g_autoptr(JsonArray) none = json_array_new();
	g_autoptr(JsonArray) one = parse_array("[{\"index\": 0, \"path\": \"/a\"}]");
	g_autoptr(JsonArray) ftp = parse_array("[{\"index\": 0, \"uri\": \"ftp://h/x\"}]");
	g_autoptr(JsonObject) spec = parse_object("{\"name\": \"vm\", \"plan\": \"p\"}");
	g_autoptr(JsonObject) bad_name = parse_object("{\"name\": \"../x\", \"plan\": \"p\"}");
	g_autoptr(GError) error = NULL;
	FerryV2vCommand *command;

	command = ferry_v2v_command_new(FERRY_V2V_MODE_COPY, spec, none, "/w", &error);
	g_assert_null(command);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "VM vm of Plan/p"));
	g_clear_error(&error);

	command = ferry_v2v_command_new(FERRY_V2V_MODE_COPY, bad_name, one, "/w", &error);
	g_assert_null(command);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "targetName"));
	g_clear_error(&error);

	command = ferry_v2v_command_new(FERRY_V2V_MODE_COPY, spec, ftp, "/w", &error);
	g_assert_null(command);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "ftp://h/x"));
}

static void
test_command_keys(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-v2v-keys-XXXXXX", NULL);
	g_autofree char *uuid_key = g_build_filename(dir, "0b6e2c5e-7c4a-4a53-9f39-0123456789ab",
						     NULL);
	g_autofree char *first = g_build_filename(dir, "a-root", NULL);
	g_autofree char *second = g_build_filename(dir, "b-data", NULL);
	g_autofree char *text = g_strdup_printf("{\"name\": \"enc\", \"luksKeyDir\": \"%s\"}", dir);
	g_autoptr(JsonObject) spec = parse_object(text);
	g_autoptr(JsonArray) one = parse_array("[{\"index\": 0, \"path\": \"/a.img\"}]");
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryV2vCommand) command = NULL;
	g_autofree char *display = NULL;
	g_autofree char *expected_key = NULL;

	g_assert_true(g_file_set_contents(uuid_key, "uuid-secret-1", -1, NULL));
	g_assert_true(g_file_set_contents(first, "root-secret-2\n", -1, NULL));
	g_assert_true(g_file_set_contents(second, "data-secret-3", -1, NULL));
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, "/w", &error);
	g_assert_no_error(error);
	/* a key named by its LUKS UUID is read from its file by virt-v2v */
	expected_key = g_strdup_printf("0b6e2c5e-7c4a-4a53-9f39-0123456789ab:file:%s", uuid_key);
	g_assert_cmpstr(arg_after(command, "--key"), ==, expected_key);
	/* the others go on stdin in name order, one a line */
	g_assert_cmpint(arg_index(command, "--keys-from-stdin"), >=, 0);
	g_assert_cmpstr(command->stdin_keys, ==, "root-secret-2\ndata-secret-3\n");
	/* no passphrase on the command line */
	display = ferry_v2v_command_dup_display(command);
	g_assert_null(strstr(display, "secret-"));

	/* a file with several lines is refused rather than misread */
	g_assert_true(g_file_set_contents(second, "one\ntwo\n", -1, NULL));
	g_clear_pointer(&command, ferry_v2v_command_free);
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, "/w", &error);
	g_assert_null(command);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "b-data"));
	g_assert_null(strstr(error->message, "two"));
	g_unlink(uuid_key);
	g_unlink(first);
	g_unlink(second);
	g_rmdir(dir);
}

/* whatever the child prints passes through the redaction of every LUKS
 * passphrase before it reaches the log or an error; the child here is a
 * shell standing in for virt-v2v, printing what a leaky tool might */
static void
test_run_redacts(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-v2v-redact-XXXXXX", NULL);
	g_autofree char *keys = g_build_filename(dir, "keys", NULL);
	g_autofree char *key = g_build_filename(keys, "root", NULL);
	g_autofree char *work = g_build_filename(dir, "work", NULL);
	g_autofree char *text = g_strdup_printf("{\"name\": \"enc\", \"plan\": \"p\", "
						"\"luksKeyDir\": \"%s\"}",
						keys);
	g_autoptr(JsonObject) spec = parse_object(text);
	g_autoptr(JsonArray) one = parse_array("[{\"index\": 0, \"path\": \"/a.img\"}]");
	g_autoptr(FerryV2vCommand) command = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *log = NULL;

	g_assert_cmpint(g_mkdir(keys, 0700), ==, 0);
	g_assert_true(g_file_set_contents(key, "hunter2-luks\n", -1, NULL));
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, work, &error);
	g_assert_no_error(error);
	g_free(command->program);
	command->program = g_strdup("sh");
	g_ptr_array_set_size(command->args, 0);
	g_ptr_array_add(command->args, g_strdup("-c"));
	g_ptr_array_add(command->args,
			g_strdup("read key; echo \"[   1.0] Opening with $key\"; "
				 "echo \"{ \\\"message\\\": \\\"wrong key $key\\\", "
				 "\\\"type\\\": \\\"error\\\" }\"; exit 3"));
	g_assert_false(ferry_v2v_run(command, "VM enc of Plan/p", NULL, 30, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_FAILED);
	g_test_message("%s", error->message);
	g_assert_nonnull(strstr(error->message, "sh failed (exit status 3): wrong key [redacted]"));
	g_assert_nonnull(strstr(error->message, "[   1.0] Opening with [redacted]"));
	g_assert_null(strstr(error->message, "hunter2"));
	g_assert_true(g_file_get_contents(command->log_path, &log, NULL, NULL));
	g_assert_nonnull(strstr(log, "Opening with [redacted]"));
	g_assert_null(strstr(log, "hunter2"));
	g_unlink(key);
	g_rmdir(keys);
	ferry_files_remove_tree(dir, NULL);
}

/* a vSphere inventory document's guest networking, as the vsphere plugin
 * stores it (Forklift's guestNetworks and guestIpStacks) */
static const char static_ip_vm[] =
    "{\"guestNetworks\": ["
    "  {\"device\": \"4000\", \"mac\": \"00:50:56:a1:00:01\", \"ip\": \"10.1.2.3\","
    "   \"origin\": \"manual\", \"prefix\": 24, \"dns\": [\"10.1.0.53\", \"fd00::53\"]},"
    "  {\"device\": \"4000\", \"mac\": \"00:50:56:a1:00:01\", \"ip\": \"fd00::3\","
    "   \"origin\": \"manual\", \"prefix\": 64, \"dns\": [\"10.1.0.53\", \"fd00::53\"]},"
    "  {\"device\": \"4000\", \"mac\": \"00:50:56:a1:00:01\", \"ip\": \"fe80::1\","
    "   \"origin\": \"manual\", \"prefix\": 64, \"dns\": []},"
    "  {\"device\": \"4001\", \"mac\": \"00:50:56:a1:00:02\", \"ip\": \"192.168.5.9\","
    "   \"origin\": \"dhcp\", \"prefix\": 24, \"dns\": []}],"
    " \"guestIpStacks\": [{\"gateway\": \"10.1.2.1\", \"device\": \"0\", \"dns\": []},"
    "  {\"gateway\": \"fd00::1\", \"device\": \"0\", \"dns\": []}]}";

static void
test_static_ips(void)
{
	g_autoptr(JsonObject) vm = parse_object(static_ip_vm);
	g_autoptr(GPtrArray) macs = ferry_v2v_static_ip_args(vm);
	g_autoptr(JsonObject) spec = parse_object("{\"name\": \"s\"}");
	g_autoptr(JsonArray) one = parse_array("[{\"index\": 0, \"path\": \"/a.img\"}]");
	g_autoptr(FerryV2vCommand) command = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *source = json_object_new();

	/* DHCP and link-local addresses are left to the guest */
	g_assert_cmpuint(macs->len, ==, 2);
	g_assert_cmpstr(g_ptr_array_index(macs, 0), ==,
			"00:50:56:a1:00:01:ip:10.1.2.3,10.1.2.1,24,10.1.0.53");
	g_assert_cmpstr(g_ptr_array_index(macs, 1), ==,
			"00:50:56:a1:00:01:ip:fd00::3,fd00::1,64,fd00::53");

	json_object_set_object_member(source, "vm", json_object_ref(vm));
	json_object_set_object_member(spec, "source", source);
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, "/w", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(arg_count(command, "--mac"), ==, 2);
	g_clear_pointer(&command, ferry_v2v_command_free);
	/* the plan's preserveStaticIPs: false turns it off */
	json_object_set_boolean_member(spec, "preserveStaticIPs", FALSE);
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, spec, one, "/w", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(arg_count(command, "--mac"), ==, 0);
}

/* a real `virt-v2v -v --machine-readable -i ova` run of the test guest */
static void
test_monitor_recorded(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "ova-convert.log", NULL);
	g_autofree char *contents = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(1);
	g_autoptr(JsonObject) result = NULL;
	g_autofree char *tail = NULL;
	double last = 0;
	guint progress_lines = 0;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++) {
		if (ferry_v2v_monitor_feed(monitor, lines[i]) && monitor->disk > 0)
			progress_lines++;
		g_assert_cmpfloat(monitor->fraction, >=, last);
		last = monitor->fraction;
	}
	g_assert_cmpuint(monitor->disk, ==, 1);
	g_assert_cmpuint(progress_lines, >, 2);
	g_assert_cmpfloat(monitor->fraction, ==, 1.0);
	g_assert_nonnull(monitor->stage);
	result = ferry_v2v_monitor_dup_result(monitor);
	g_assert_cmpstr(json_object_get_string_member(result, "operatingSystem"), ==, "debian12");
	g_assert_cmpstr(json_object_get_string_member(result, "firmware"), ==, "bios");
	g_assert_cmpstr(json_object_get_string_member(result, "detectedBootDisk"), ==,
			"/dev/sda1");
	tail = ferry_v2v_monitor_dup_tail(monitor);
	g_strfreev(lines);
	lines = g_strsplit(tail, "\n", -1);
	g_assert_cmpuint(g_strv_length(lines), <=, FERRY_V2V_TAIL_LINES + 1);
}

/* a real virt-v2v-in-place run on a blank disk: inspection fails */
static void
test_monitor_failure(void)
{
	g_autofree char *path = g_test_build_filename(G_TEST_DIST, "blank-disk.log", NULL);
	g_autofree char *contents = NULL;
	g_auto(GStrv) lines = NULL;
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(1);
	g_autoptr(JsonObject) result = NULL;
	g_autofree char *tail = NULL;

	g_assert_true(g_file_get_contents(path, &contents, NULL, NULL));
	lines = g_strsplit(contents, "\n", -1);
	for (guint i = 0; lines[i] != NULL; i++)
		ferry_v2v_monitor_feed(monitor, lines[i]);
	g_assert_cmpstr(monitor->stage, ==, "Inspecting the source");
	g_assert_nonnull(monitor->error);
	g_assert_true(g_str_has_prefix(monitor->error, "inspection could not detect the source"));
	/* the appliance kernel's timestamped lines are not stages */
	tail = ferry_v2v_monitor_dup_tail(monitor);
	g_assert_null(strstr(tail, "pci_bus"));
	g_assert_nonnull(strstr(tail, "[   0.0] Setting up the source"));
	g_assert_nonnull(strstr(tail, "error: inspection could not detect"));
	g_assert_null(strstr(tail, "nbdkit:"));
	result = ferry_v2v_monitor_dup_result(monitor);
	g_assert_false(json_object_has_member(result, "operatingSystem"));
	g_assert_cmpfloat(monitor->fraction, ==, 0.0);
}

/* warnings, as --machine-readable JSON messages and as plain lines, each
 * once, in the result; none in a run without any */
static void
test_monitor_warnings(void)
{
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(1);
	g_autoptr(FerryV2vMonitor) quiet = ferry_v2v_monitor_new(1);
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(JsonObject) quiet_result = NULL;
	JsonArray *warnings;

	ferry_v2v_monitor_feed(monitor, "{ \"message\": \"the guest has no virtio-rng\nfor "
					 "now\", \"timestamp\": \"2026-01-01T00:00:00.0+00:00\", "
					 "\"type\": \"warning\" }");
	ferry_v2v_monitor_feed(monitor, "virt-v2v-in-place: warning: the guest has no virtio-rng "
					 "for now");
	ferry_v2v_monitor_feed(monitor, "virt-v2v: warning: could not determine a way to update "
					 "the configuration of Grub2");
	ferry_v2v_monitor_feed(monitor, "    i_osinfo = debian12");
	result = ferry_v2v_monitor_dup_result(monitor);
	warnings = json_object_get_array_member(result, "warnings");
	g_assert_nonnull(warnings);
	g_assert_cmpuint(json_array_get_length(warnings), ==, 2);
	g_assert_cmpstr(json_array_get_string_element(warnings, 0), ==,
			"the guest has no virtio-rng for now");
	g_assert_cmpstr(json_array_get_string_element(warnings, 1), ==,
			"could not determine a way to update the configuration of Grub2");
	g_assert_cmpstr(json_object_get_string_member(result, "operatingSystem"), ==, "debian12");

	ferry_v2v_monitor_feed(quiet, "[   1.0] Setting up the source");
	quiet_result = ferry_v2v_monitor_dup_result(quiet);
	g_assert_false(json_object_has_member(quiet_result, "warnings"));
}

static void
test_monitor_progress(void)
{
	g_autoptr(FerryV2vMonitor) monitor = ferry_v2v_monitor_new(2);
	g_assert_true(ferry_v2v_monitor_feed(monitor, "[   1.0] Setting up the source"));
	g_assert_cmpstr(monitor->stage, ==, "Setting up the source");
	g_assert_cmpfloat(monitor->fraction, ==, 0.0);
	g_assert_true(ferry_v2v_monitor_feed(monitor, "[  80.2] Copying disk 1/2"));
	g_assert_true(ferry_v2v_monitor_feed(monitor, "5000/10000"));
	g_assert_cmpfloat(monitor->fraction, ==, 0.25);
	/* nbdcopy's bar, as virt-v2v 2.2 passes it on */
	g_assert_true(ferry_v2v_monitor_feed(monitor, "\xe2\x96\x97  60% [******----]"));
	g_assert_cmpfloat(monitor->fraction, ==, 0.3);
	g_assert_true(ferry_v2v_monitor_feed(monitor, "[ 90.0] Copying disk 2/2"));
	g_assert_cmpfloat(monitor->fraction, ==, 0.5);
	g_assert_true(ferry_v2v_monitor_feed(monitor, "10000/10000"));
	g_assert_cmpfloat(monitor->fraction, ==, 1.0);
	/* not progress: text, a bad fraction, a fraction going back */
	g_assert_false(ferry_v2v_monitor_feed(monitor, "12/5"));
	g_assert_false(ferry_v2v_monitor_feed(monitor, "libguestfs: trace"));
	g_assert_false(ferry_v2v_monitor_feed(monitor, "1/10000"));
	g_assert_cmpfloat(monitor->fraction, ==, 1.0);
}

/* --- the plugin, loaded from the build tree --- */

static void
test_plugin_supports(void)
{
	g_autoptr(FerryTransferMethod) method = v2v_test_load_method();
	g_autoptr(FerryDiskEndpoint) source =
	    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, "nbd+unix:///?socket=/s");
	g_autoptr(FerryDiskEndpoint) target =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/t.img");
	g_autoptr(FerryTransferRequest) request = ferry_transfer_request_new(source, target);
	g_autoptr(GPtrArray) methods = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(FerryPluginRegistry) registry = NULL;
	g_autoptr(GError) error = NULL;
	FerryTransferMethod *chosen;

	g_assert_cmpstr(ferry_transfer_method_get_name(method), ==, "virt-v2v");
	g_assert_true(ferry_transfer_method_can_convert(method));
	/* plain copies are the copy engine's */
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), ==, 0);
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), >, 10);
	ferry_transfer_request_set_flags(request,
					 FERRY_TRANSFER_FLAG_CONVERT |
					     FERRY_TRANSFER_FLAG_INCREMENTAL);
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), ==, 0);

	/* among every loaded method, a conversion goes to virt-v2v */
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	registry = v2v_test_registry();
	g_ptr_array_extend_and_steal(methods,
				     ferry_plugin_registry_create_transfer_methods(registry));
	chosen = ferry_transfer_method_select(methods, request, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_transfer_method_get_name(chosen), ==, "virt-v2v");
}

static void
test_plugin_bad_request(void)
{
	g_autoptr(FerryTransferMethod) method = v2v_test_load_method();
	g_autoptr(FerryDiskEndpoint) source =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, "/s.img");
	g_autoptr(FerryDiskEndpoint) target =
	    ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/t.img");
	g_autoptr(FerryTransferRequest) request = ferry_transfer_request_new(source, target);
	g_autoptr(JsonObject) spec = parse_object(ova_spec);
	g_autoptr(GError) error = NULL;

	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	ferry_transfer_request_set_vm_spec(request, spec);
	ferry_transfer_request_set_option(request, "sources", "{not json");
	g_assert_false(ferry_transfer_method_copy(method, request, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "sources"));
	g_clear_error(&error);

	ferry_transfer_request_set_option(request, "sources", "[{\"index\": 0, \"path\": \"/s\"}]");
	ferry_transfer_request_set_option(request, "targets", "[]");
	g_assert_false(ferry_transfer_method_copy(method, request, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "VM web-01 of Plan/web-tier"));
}

/* --- failures of the real program --- */

static void
test_missing_program(void)
{
	g_autoptr(FerryTransferMethod) method = v2v_test_load_method();
	g_autofree char *work = g_dir_make_tmp("ferry-v2v-missing-XXXXXX", NULL);
	g_autofree char *text =
	    g_strdup_printf("{\"name\": \"lost\", \"plan\": \"p\", \"workDir\": \"%s\"}", work);
	g_autoptr(JsonObject) spec = parse_object(text);
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autofree char *saved_path = g_strdup(g_getenv("PATH"));
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) result = NULL;

	g_ptr_array_add(disks, ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/x.img"));
	g_setenv("PATH", work, TRUE);
	result = ferry_transfer_method_convert(method, spec, disks, NULL, NULL, &error);
	g_setenv("PATH", saved_path, TRUE);
	g_assert_null(result);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "VM lost of Plan/p"));
	g_assert_nonnull(strstr(error->message, "virt-v2v-in-place is not installed"));
	g_assert_nonnull(strstr(error->message, "apt-get install virt-v2v"));
	g_rmdir(work);
}

/* an NBD disk whose server is gone cannot be mounted for virt-v2v */
static void
test_nbd_unreachable(void)
{
	g_autofree char *work = NULL;
	g_autofree char *text = NULL;
	g_autoptr(JsonObject) spec = parse_object("{\"name\": \"gone\", \"plan\": \"p\"}");
	g_autoptr(JsonArray) disks = NULL;
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GError) error = NULL;

	if (!v2v_test_require_program("nbdfuse"))
		return;
	work = g_dir_make_tmp("ferry-v2v-nbd-XXXXXX", NULL);
	text = g_strdup_printf("[{\"index\": 0, \"uri\": \"nbd+unix:///?socket=%s/none.sock\","
			       " \"format\": \"raw\"}]",
			       work);
	disks = parse_array(text);
	result = ferry_v2v_convert_in_place(spec, disks, work, NULL, 60, NULL, &error);
	g_assert_null(result);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED);
	g_assert_nonnull(strstr(error->message, "VM gone of Plan/p: nbdfuse could not mount"));
	g_assert_nonnull(strstr(error->message, "none.sock"));
	/* nothing ran, nothing is left mounted */
	g_assert_false(path_exists(work, "virt-v2v.log"));
	g_assert_false(path_exists(work, "nbd"));
	g_assert_false(v2v_test_process_running(work));
	ferry_files_remove_tree(work, NULL);
}

typedef struct {
	GCancellable *cancellable;
	guint delay_ms;
} CancelLater;

static gpointer
cancel_later(gpointer data)
{
	CancelLater *later = data;
	g_usleep(later->delay_ms * G_TIME_SPAN_MILLISECOND);
	g_cancellable_cancel(later->cancellable);
	return NULL;
}

/* stopping a run (timeout or cancellation) leaves no process behind:
 * neither virt-v2v nor the appliance's qemu, whose command line names the
 * run's temporary folder */
static void
check_stop(gboolean cancel)
{
	g_autofree char *work = NULL;
	g_autofree char *disk = NULL;
	g_autofree char *text = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(JsonArray) disks = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GThread) thread = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) result = NULL;
	CancelLater later = {cancellable, 10000};
	gint64 started;

	if (!v2v_test_require_program("virt-v2v-in-place"))
		return;
	work = g_dir_make_tmp("ferry-v2v-stop-XXXXXX", NULL);
	disk = g_build_filename(work, "blank.img", NULL);
	v2v_test_make_blank_disk(disk, 64 << 20);
	text = g_strdup_printf("{\"name\": \"stopme\", \"plan\": \"p\"}");
	spec = parse_object(text);
	disks = json_array_new();
	json_array_add_object_element(disks, json_object_new());
	json_object_set_string_member(json_array_get_object_element(disks, 0), "path", disk);
	json_object_set_string_member(json_array_get_object_element(disks, 0), "format", "raw");

	if (cancel)
		thread = g_thread_new("cancel", cancel_later, &later);
	started = g_get_monotonic_time();
	result = ferry_v2v_convert_in_place(spec, disks, work, NULL, cancel ? 600 : 4,
					    cancellable, &error);
	g_assert_null(result);
	if (cancel) {
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	} else {
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TIMED_OUT);
		g_assert_nonnull(strstr(error->message, "did not finish within 4 s"));
		g_assert_nonnull(strstr(error->message, "FERRY_V2V_TIMEOUT"));
	}
	g_assert_nonnull(strstr(error->message, "VM stopme of Plan/p"));
	g_assert_nonnull(strstr(error->message, "virt-v2v.log"));
	/* stopped within the grace period, not after a full conversion */
	g_assert_cmpint(g_get_monotonic_time() - started, <, 30 * G_USEC_PER_SEC);
	g_assert_false(v2v_test_process_running(work));
	g_assert_false(path_exists(work, "tmp"));
	ferry_files_remove_tree(work, NULL);
}

static void
test_timeout(void)
{
	check_stop(FALSE);
}

static void
test_cancel(void)
{
	check_stop(TRUE);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/v2v/command/drive-names", test_drive_names);
	g_test_add_func("/v2v/command/ova", test_command_ova);
	g_test_add_func("/v2v/command/libvirtxml", test_command_libvirtxml);
	g_test_add_func("/v2v/command/in-place", test_command_in_place);
	g_test_add_func("/v2v/command/errors", test_command_errors);
	g_test_add_func("/v2v/command/keys", test_command_keys);
	g_test_add_func("/v2v/command/static-ips", test_static_ips);
	g_test_add_func("/v2v/monitor/recorded", test_monitor_recorded);
	g_test_add_func("/v2v/monitor/progress", test_monitor_progress);
	g_test_add_func("/v2v/monitor/warnings", test_monitor_warnings);
	g_test_add_func("/v2v/monitor/failure", test_monitor_failure);
	g_test_add_func("/v2v/plugin/supports", test_plugin_supports);
	g_test_add_func("/v2v/plugin/bad-request", test_plugin_bad_request);
	g_test_add_func("/v2v/run/missing-program", test_missing_program);
	g_test_add_func("/v2v/run/redacts", test_run_redacts);
	g_test_add_func("/v2v/run/nbd-unreachable", test_nbd_unreachable);
	g_test_add_func("/v2v/run/timeout", test_timeout);
	g_test_add_func("/v2v/run/cancel", test_cancel);
	return g_test_run();
}
