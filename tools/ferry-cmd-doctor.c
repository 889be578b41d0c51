/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* ferry doctor: checks every external program Ferry relies on, what this
 * machine's KVM can do, libguestfs and libvirt, and says how to fix what is
 * missing */

#include "config.h"

#include <glib/gstdio.h>
#include <unistd.h>

#include "ferry-cli.h"

typedef enum {
	NEED_CORE,     /* copying any disk */
	NEED_FEATURE,  /* one feature: conversion, libvirt, vSphere … */
	NEED_OPTIONAL, /* convenience */
} Need;

static const struct {
	const char *program;
	const char *package;
	Need need;
	const char *used_for;
} tools[] = {
    {"qemu-img", "qemu-utils", NEED_CORE, "disk formats (VMDK, qcow2) and OVA disks"},
    {"qemu-nbd", "qemu-utils", NEED_CORE, "serving OVA and qcow2 disks to the copy engine"},
    {"nbdkit", "nbdkit", NEED_CORE, "vSphere datastore disks and raw OVA members"},
    {"nbdinfo", "libnbd-bin", NEED_OPTIONAL, "looking at NBD exports by hand"},
    {"virt-v2v", "virt-v2v", NEED_FEATURE, "guest conversion while copying (OVA, vSphere)"},
    {"virt-v2v-in-place", "virt-v2v", NEED_FEATURE, "guest conversion after Ferry's copy"},
    {"nbdfuse", "libnbd-bin", NEED_FEATURE,
     "converting disks served over NBD (vSphere sources, qcow2 targets)"},
    {"fusermount3", "fuse3", NEED_FEATURE, "unmounting those NBD disks after a conversion"},
    {"qemu-system-x86_64", "qemu-system-x86", NEED_FEATURE,
     "the conversion appliance and boot checks"},
    {"libvirtd", "libvirt-daemon-system", NEED_FEATURE, "the libvirt destination"},
    {"virsh", "libvirt-clients", NEED_OPTIONAL, "looking at libvirt domains by hand"},
    {"guestfish", "libguestfs-tools", NEED_OPTIONAL, "building the test guest"},
    {"debootstrap", "debootstrap", NEED_OPTIONAL, "building the test guest"},
    {"kubectl", "kubernetes-client", NEED_OPTIONAL, "applying a KubeVirt bundle"},
    {"virtctl", NULL, NEED_OPTIONAL, "uploading a bundle's disks (from KubeVirt's releases)"},
    {"ansible-playbook", "ansible", NEED_OPTIONAL, "hooks that run a playbook"},
};

typedef struct {
	JsonArray *rows;
	guint problems;
	guint warnings;
} Report;

static void
report_add(Report *report,
	   const char *check,
	   const char *status,
	   const char *detail,
	   const char *fix)
{
	JsonObject *row = json_object_new();
	json_object_set_string_member(row, "check", check);
	json_object_set_string_member(row, "status", status);
	json_object_set_string_member(row, "detail", detail != NULL ? detail : "");
	if (fix != NULL)
		json_object_set_string_member(row, "fix", fix);
	json_array_add_object_element(report->rows, row);
	if (g_str_equal(status, "missing") || g_str_equal(status, "failed"))
		report->problems++;
	else if (g_str_equal(status, "warning"))
		report->warnings++;
}

static void
check_tools(Report *report)
{
	for (guint i = 0; i < G_N_ELEMENTS(tools); i++) {
		g_autofree char *path = ferry_machine_find_program(tools[i].program);
		g_autofree char *fix = NULL;
		g_autofree char *detail = NULL;
		if (path != NULL) {
			detail = g_strdup_printf("%s (%s)", path, tools[i].used_for);
			report_add(report, tools[i].program, "ok", detail, NULL);
			continue;
		}
		fix = tools[i].package != NULL
			  ? g_strdup_printf("apt-get install %s",
					    tools[i].package)
			  : g_strdup("install it from the project's releases");
		detail = g_strdup_printf("not found; needed for %s", tools[i].used_for);
		report_add(report, tools[i].program,
			   tools[i].need == NEED_OPTIONAL ? "optional" : "missing", detail, fix);
	}
}

/* nbdkit's curl plugin and tar filter are separate files */
static void
check_nbdkit_parts(Report *report)
{
	static const struct {
		const char *check;
		const char *argv[4];
	} parts[] = {
	    {"nbdkit curl plugin", {"--dump-plugin", "curl", NULL}},
	    {"nbdkit tar filter", {"--filter=tar", "null", "--dump-plugin", NULL}},
	};
	g_autofree char *nbdkit = g_find_program_in_path("nbdkit");
	if (nbdkit == NULL)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(parts); i++) {
		const char *argv[5] = {nbdkit, parts[i].argv[0], parts[i].argv[1],
				       parts[i].argv[2], NULL};
		int status = 0;
		if (g_spawn_sync(NULL, (char **)argv, NULL,
				 G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL, NULL,
				 NULL, NULL, NULL, &status, NULL) &&
		    g_spawn_check_wait_status(status, NULL))
			report_add(report, parts[i].check, "ok", "present", NULL);
		else
			report_add(report, parts[i].check, "missing",
				   "nbdkit cannot load it; vSphere disks and OVA members need it",
				   "apt-get install nbdkit");
	}
}

static void
check_accelerator(Report *report, gboolean refresh)
{
	g_autofree char *reason = NULL;
	gboolean kvm = ferry_machine_kvm_usable(refresh, &reason);
	report_add(report, "KVM", kvm ? "ok" : "warning", reason,
		   kvm ? NULL
		       : "nothing to do: Ferry runs libguestfs with LIBGUESTFS_BACKEND_SETTINGS="
			 "force_tcg and libvirt guests with <domain type='qemu'>; conversions take "
			 "minutes instead of seconds");
}

/* libguestfs-test-tool starts the appliance: the real proof that virt-v2v can
 * work here (about 20 s under TCG) */
static void
check_guestfs(Report *report)
{
	g_autofree char *tool = g_find_program_in_path("libguestfs-test-tool");
	g_auto(GStrv) envp = ferry_machine_guestfs_environ(NULL);
	const char *argv[] = {tool, NULL};
	g_autofree char *out = NULL;
	int status = 0;
	g_autoptr(GError) error = NULL;

	if (tool == NULL) {
		report_add(report, "libguestfs appliance", "missing",
			   "libguestfs-test-tool not found", "apt-get install libguestfs-tools");
		return;
	}
	if (!g_spawn_sync(NULL, (char **)argv, envp,
			  G_SPAWN_STDERR_TO_DEV_NULL | G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
			  NULL, &status, &error)) {
		report_add(report, "libguestfs appliance", "failed", error->message, NULL);
		return;
	}
	if (g_spawn_check_wait_status(status, NULL) && out != NULL &&
	    strstr(out, "TEST FINISHED OK") != NULL) {
		report_add(report, "libguestfs appliance", "ok",
			   g_strv_contains((const char *const *)envp,
					   "LIBGUESTFS_BACKEND_SETTINGS=force_tcg")
			       ? "the appliance starts (with force_tcg)"
			       : "the appliance starts",
			   NULL);
		return;
	}
	report_add(report, "libguestfs appliance", "failed",
		   "libguestfs-test-tool failed; run it by hand to see why",
		   "run `libguestfs-test-tool` with LIBGUESTFS_BACKEND=direct "
		   "LIBGUESTFS_BACKEND_SETTINGS=force_tcg, and see its last lines");
}

static void
check_libvirtd(Report *report)
{
	static const char *const sockets[] = {"/run/libvirt/libvirt-sock",
					      "/var/run/libvirt/libvirt-sock"};
	g_autofree char *daemon = ferry_machine_find_program("libvirtd");
	if (daemon == NULL)
		return;
	for (guint i = 0; i < G_N_ELEMENTS(sockets); i++) {
		if (g_file_test(sockets[i], G_FILE_TEST_EXISTS)) {
			report_add(report, "libvirtd running", "ok", sockets[i], NULL);
			return;
		}
	}
	report_add(report, "libvirtd running", "warning",
		   "no libvirtd socket; the libvirt destination (qemu:///system) cannot connect",
		   "systemctl start libvirtd, or without systemd: virtlogd -d && libvirtd -d");
}

static void
check_plugins(Report *report, FerryCli *cli)
{
	g_autoptr(GError) error = NULL;
	FerryPluginRegistry *registry = ferry_cli_get_registry(cli, &error);
	g_autoptr(GString) loaded = g_string_new(NULL);
	GPtrArray *plugins;

	if (registry == NULL) {
		report_add(report, "plugins", "failed", error->message, NULL);
		return;
	}
	plugins = ferry_plugin_registry_get_plugins(registry);
	for (guint i = 0; i < plugins->len; i++) {
		FerryPluginInfo *info = g_ptr_array_index(plugins, i);
		if (ferry_plugin_info_get_error(info) != NULL) {
			g_autofree char *check =
			    g_strdup_printf("plugin %s", ferry_plugin_info_get_name(info));
			report_add(report, check, "failed", ferry_plugin_info_get_error(info),
				   "rebuild or remove it; `ferry plugins` lists every plugin");
			continue;
		}
		if (ferry_plugin_info_get_builtin(info))
			continue;
		g_string_append_printf(loaded, "%s%s", loaded->len > 0 ? ", " : "",
				       ferry_plugin_info_get_name(info));
	}
	report_add(report, "plugins", "ok", loaded->len > 0 ? loaded->str : "(none)", NULL);
}

int
ferry_cmd_doctor(FerryCli *cli, int argc, char **argv)
{
	g_autofree char *output = NULL;
	gboolean refresh = FALSE;
	gboolean guestfs = FALSE;
	FerryOutputFormat format;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonArray) rows = json_array_new();
	Report report = {rows, 0, 0};
	const GOptionEntry entries[] = {
	    {"output", 'o', 0, G_OPTION_ARG_STRING, &output, "Output format: table or json",
	     "FORMAT"},
	    {"refresh", 0, 0, G_OPTION_ARG_NONE, &refresh,
	     "Run the KVM self-test again instead of using its cached answer", NULL},
	    {"guestfs", 0, 0, G_OPTION_ARG_NONE, &guestfs,
	     "Also start the libguestfs appliance (about 20 s with KVM, longer without)", NULL},
	    {NULL},
	};

	if (!ferry_cli_parse(cli, &argc, &argv, entries, NULL,
			     "Check every external program Ferry relies on, whether KVM can run "
			     "guests here (or conversions and boot checks must use software "
			     "emulation), libvirtd and the plugins, and say how to fix what is "
			     "missing. Exits with status 1 when something a feature needs is "
			     "missing or broken.",
			     &error) ||
	    !ferry_cli_parse_output(output, FALSE, &format, &error))
		return ferry_cli_fail(cli, g_steal_pointer(&error));
	if (argc > 1)
		return ferry_cli_usage_error(cli, "unexpected argument '%s'", argv[1]);

	check_tools(&report);
	check_nbdkit_parts(&report);
	check_accelerator(&report, refresh);
	if (guestfs)
		check_guestfs(&report);
	check_libvirtd(&report);
	check_plugins(&report, cli);

	if (format == FERRY_OUTPUT_JSON) {
		g_autoptr(JsonNode) root = json_node_new(JSON_NODE_ARRAY);
		json_node_set_array(root, rows);
		ferry_cli_print_json(root);
	} else {
		g_autoptr(FerryTable) table = ferry_table_new("CHECK", "STATUS", "DETAIL", NULL);
		for (guint i = 0; i < json_array_get_length(rows); i++) {
			JsonObject *row = json_array_get_object_element(rows, i);
			g_autofree char *detail = NULL;
			if (json_object_has_member(row, "fix"))
				detail = g_strdup_printf(
				    "%s — fix: %s", json_object_get_string_member(row, "detail"),
				    json_object_get_string_member(row, "fix"));
			ferry_table_add_row(table, json_object_get_string_member(row, "check"),
					    json_object_get_string_member(row, "status"),
					    detail != NULL
						? detail
						: json_object_get_string_member(row, "detail"),
					    NULL);
		}
		ferry_table_print(table);
		g_print("\n%u problem%s, %u warning%s\n", report.problems,
			report.problems == 1 ? "" : "s", report.warnings,
			report.warnings == 1 ? "" : "s");
	}
	return report.problems > 0 ? FERRY_EXIT_FAILURE : FERRY_EXIT_OK;
}
