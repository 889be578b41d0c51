/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Full load of a vCenter inventory of about 10,000 VMs from the simulator:
 * wall time, SOAP requests and peak memory of the vsphere plugin's loader,
 * against the floor of the same requests fetched and parsed with nothing
 * mapped or stored. Goal (issue 9): under 10 s and 200 MB.
 *
 * Usage: ferry-bench-vsphere-inventory [--vms N] [--page-size N]
 *        [--url URL --ca FILE]   (use a simulator that already runs)
 */

#include "config.h"

#include <glib/gstdio.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "ferry-vcsim-runner.h"
#include "ferry-vsphere-inventory.h"

/* the kernel's high-water mark of this process's resident memory */
static guint64
peak_rss_kib(void)
{
	g_autofree char *status = NULL;
	const char *line;

	if (!g_file_get_contents("/proc/self/status", &status, NULL, NULL))
		return 0;
	line = strstr(status, "VmHWM:");
	return line != NULL ? g_ascii_strtoull(line + strlen("VmHWM:"), NULL, 10) : 0;
}

/* CPU seconds this process used so far: the client's share of a run, the
 * rest of the wall time being the server's */
static double
cpu_seconds(void)
{
	struct rusage usage;
	getrusage(RUSAGE_SELF, &usage);
	return usage.ru_utime.tv_sec + usage.ru_stime.tv_sec +
	       (usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6;
}

/* CPU seconds another process used so far (the simulator's share) */
static double
process_cpu_seconds(const char *pid)
{
	g_autofree char *path = g_strdup_printf("/proc/%s/stat", pid);
	g_autofree char *stat = NULL;
	g_auto(GStrv) fields = NULL;
	const char *after_name;

	if (pid == NULL || !g_file_get_contents(path, &stat, NULL, NULL))
		return 0;
	/* fields after the command name, which may hold spaces: utime is the
	 * 12th and stime the 13th of them */
	after_name = strrchr(stat, ')');
	if (after_name == NULL)
		return 0;
	fields = g_strsplit(after_name + 2, " ", -1);
	if (g_strv_length(fields) < 13)
		return 0;
	return (g_ascii_strtod(fields[11], NULL) + g_ascii_strtod(fields[12], NULL)) /
	       sysconf(_SC_CLK_TCK);
}

static FerryVsphereClient *
connect_client(const char *url, const char *ca_file)
{
	g_autoptr(FerrySecret) secret = ferry_secret_new("bench");
	g_autoptr(FerryVsphereClient) client = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *ca = NULL;

	if (!g_file_get_contents(ca_file, &ca, NULL, &error))
		g_error("%s", error->message);
	ferry_secret_set_string(secret, "user", FERRY_VCSIM_USER);
	ferry_secret_set_string(secret, "password", FERRY_VCSIM_PASSWORD);
	ferry_secret_set_string(secret, "ca.crt", ca);
	client = ferry_vsphere_client_new(url, secret, "Provider/bench", &error);
	if (client == NULL || !ferry_vsphere_client_login(client, NULL, &error))
		g_error("%s", error->message);
	return g_steal_pointer(&client);
}

int
main(int argc, char **argv)
{
	gint vms = 10000;
	gint page_size = 500;
	g_autofree char *url = NULL;
	g_autofree char *ca = NULL;
	gboolean in_memory = FALSE;
	const GOptionEntry entries[] = {
	    {"vms", 0, 0, G_OPTION_ARG_INT, &vms, "VMs in the simulator (default 10000)", "N"},
	    {"page-size", 0, 0, G_OPTION_ARG_INT, &page_size, "objects per page (default 500)",
	     "N"},
	    {"url", 0, 0, G_OPTION_ARG_STRING, &url, "use this running simulator", "URL"},
	    {"ca", 0, 0, G_OPTION_ARG_FILENAME, &ca, "its certificate", "FILE"},
	    {"in-memory", 0, 0, G_OPTION_ARG_NONE, &in_memory,
	     "keep the inventory in memory, not in a database file", NULL},
	    {NULL},
	};
	g_autoptr(GOptionContext) context = g_option_context_new("- vSphere inventory benchmark");
	g_autoptr(FerryVcsim) vcsim = NULL;
	g_autoptr(FerryVsphereClient) client = NULL;
	g_autoptr(FerryVsphereClient) reference_client = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GPtrArray) loaded = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *state_dir = NULL;
	g_autofree char *db = NULL;
	g_autofree char *cert_dir = NULL;
	g_autofree char *vm_flag = NULL;
	guint64 rss_before;
	guint64 rss_peak;
	guint requests;
	guint reference_objects = 0;
	gint64 start;
	double load_seconds;
	double load_cpu;
	double reference_seconds;
	double reference_cpu;
	double server_cpu = 0;
	double reference_server_cpu = 0;
	const char *server_pid = NULL;
	double startup_seconds = 0;

	g_option_context_add_main_entries(context, entries, NULL);
	if (!g_option_context_parse(context, &argc, &argv, &error)) {
		g_printerr("%s\n", error->message);
		return 2;
	}
	ferry_vsphere_client_register(NULL);

	if (url == NULL) {
		const char *binary = g_getenv("FERRY_VCSIM");
		/* the default model: one cluster and one host, a resource pool each */
		const char *args[] = {NULL, NULL};
		if (binary == NULL || *binary == '\0') {
			g_printerr("FERRY_VCSIM is not set: build ferry-vcsim (scripts/install-deps) "
				   "or pass --url and --ca\n");
			return 77;
		}
		vm_flag = g_strdup_printf("-vm=%d", MAX(vms / 2, 1));
		args[0] = vm_flag;
		cert_dir = g_dir_make_tmp("ferry-bench-cert-XXXXXX", &error);
		g_assert_no_error(error);
		g_print("starting the simulator with %d VMs…\n", MAX(vms / 2, 1) * 2);
		start = g_get_monotonic_time();
		vcsim = ferry_vcsim_start(binary, cert_dir, args, TRUE, &error);
		if (vcsim == NULL)
			g_error("%s", error->message);
		startup_seconds = (g_get_monotonic_time() - start) / 1e6;
		server_pid = g_subprocess_get_identifier(vcsim->process);
		url = g_strdup(vcsim->url);
		ca = g_strdup(vcsim->ca);
	}

	state_dir = g_dir_make_tmp("ferry-bench-state-XXXXXX", &error);
	g_assert_no_error(error);
	db = g_build_filename(state_dir, "ferry.db", NULL);
	inventory = ferry_inventory_new(in_memory ? NULL : db, &error);
	g_assert_no_error(error);

	/* Ferry's full load, first, so the peak memory is its own */
	client = connect_client(url, ca);
	rss_before = peak_rss_kib();
	requests = ferry_vsphere_client_get_request_count(client);
	start = g_get_monotonic_time();
	load_cpu = cpu_seconds();
	server_cpu = process_cpu_seconds(server_pid);
	if (!ferry_vsphere_inventory_load(client, inventory, "bench", (guint)page_size, NULL,
					  &error))
		g_error("%s", error->message);
	load_seconds = (g_get_monotonic_time() - start) / 1e6;
	load_cpu = cpu_seconds() - load_cpu;
	server_cpu = process_cpu_seconds(server_pid) - server_cpu;
	requests = ferry_vsphere_client_get_request_count(client) - requests;
	rss_peak = peak_rss_kib();
	loaded = ferry_inventory_list(inventory, "bench", "vm", &error);
	g_assert_no_error(error);

	/* the floor: the same requests, replies parsed, nothing mapped or stored */
	reference_client = connect_client(url, ca);
	start = g_get_monotonic_time();
	reference_cpu = cpu_seconds();
	reference_server_cpu = process_cpu_seconds(server_pid);
	if (!ferry_vsphere_inventory_fetch_only(reference_client, (guint)page_size,
						&reference_objects, NULL, &error))
		g_error("%s", error->message);
	reference_seconds = (g_get_monotonic_time() - start) / 1e6;
	reference_cpu = cpu_seconds() - reference_cpu;
	reference_server_cpu = process_cpu_seconds(server_pid) - reference_server_cpu;

	g_print("vsphere inventory: %u VMs, %u objects in all, page size %d\n", loaded->len,
		reference_objects, page_size);
	if (startup_seconds > 0)
		g_print("  simulator start-up        %8.2f s (not counted)\n", startup_seconds);
	g_print("  fetch + parse only        %8.2f s  (CPU: client %.2f s, simulator %.2f s)\n",
		reference_seconds, reference_cpu, reference_server_cpu);
	g_print("  ferry full load           %8.2f s  (CPU: client %.2f s, simulator %.2f s)  %u "
		"requests  peak RSS %" G_GUINT64_FORMAT " MiB (%" G_GUINT64_FORMAT
		" MiB before)\n",
		load_seconds, load_cpu, server_cpu, requests, rss_peak / 1024, rss_before / 1024);
	g_print("  ratio load / fetch        %8.2f\n", load_seconds / reference_seconds);
	g_print("  goal < 10 s: %s; goal < 200 MiB: %s\n", load_seconds < 10 ? "met" : "MISSED",
		rss_peak < 200 * 1024 ? "met" : "MISSED");

	ferry_vsphere_client_logout(client);
	ferry_vsphere_client_logout(reference_client);
	g_clear_object(&inventory);
	for (const char *suffix = ""; suffix != NULL;
	     suffix = g_strcmp0(suffix, "") == 0 ? "-wal" : g_strcmp0(suffix, "-wal") == 0 ? "-shm" : NULL) {
		g_autofree char *path = g_strconcat(db, suffix, NULL);
		g_unlink(path);
	}
	g_rmdir(state_dir);
	g_clear_pointer(&vcsim, ferry_vcsim_free);
	if (cert_dir != NULL)
		ferry_vcsim_remove_dir(cert_dir);
	return 0;
}
