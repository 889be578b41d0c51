/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/**
 * SECTION:ferry-machine
 * @short_description: what this machine (the one Ferry runs on) can run
 *
 * Guest conversion (libguestfs) and boot checks (libvirt, qemu) run virtual
 * machines on the Ferry host. Where KVM is missing or cannot run an ordinary
 * guest (nested or paravirtual KVM such as kvm-pvm, where a stock kernel
 * hangs early), they must use software emulation (TCG) instead.
 * ferry_machine_kvm_usable() finds out with a short self-test, boots the
 * host's kernel under KVM until it prints its banner, and caches the answer
 * per kernel and qemu binary in the user's cache folder. `FERRY_ACCEL=kvm`
 * or `FERRY_ACCEL=tcg` decides without a test.
 */

#define _GNU_SOURCE /* strverscmp */
#include "config.h"

#include "ferry-machine.h"

#include <gio/gio.h>
#include <string.h>
#include <sys/wait.h>
#include <glib/gstdio.h>
#include <sys/utsname.h>
#include <unistd.h>

#define SELF_TEST_SECONDS 20

G_LOCK_DEFINE_STATIC(host_kvm);
static int host_kvm_state = -1; /* -1 unknown, 0 no, 1 yes */
static char *host_kvm_reason;

/**
 * ferry_machine_find_program:
 * @name: a program name
 *
 * Looks @name up in `PATH`, then in the sbin folders that a non-login
 * shell's `PATH` often lacks (`libvirtd` lives in /usr/sbin).
 *
 * Returns: (transfer full) (nullable): the program's path
 *
 * Since: 0.1
 */
char *
ferry_machine_find_program(const char *name)
{
	static const char *const extra[] = {"/usr/sbin", "/sbin", "/usr/local/sbin"};
	char *path = g_find_program_in_path(name);
	for (guint i = 0; path == NULL && i < G_N_ELEMENTS(extra); i++) {
		g_autofree char *candidate = g_build_filename(extra[i], name, NULL);
		if (g_file_test(candidate, G_FILE_TEST_IS_EXECUTABLE))
			path = g_steal_pointer(&candidate);
	}
	return path;
}

/* the newest readable kernel in /boot */
static char *
host_find_kernel(void)
{
	g_autoptr(GDir) dir = g_dir_open("/boot", 0, NULL);
	g_autofree char *best = NULL;
	const char *name;
	while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
		g_autofree char *path = NULL;
		if (!g_str_has_prefix(name, "vmlinuz-"))
			continue;
		path = g_build_filename("/boot", name, NULL);
		if (g_access(path, R_OK) != 0)
			continue;
		if (best == NULL || strverscmp(path, best) > 0) {
			g_free(best);
			best = g_steal_pointer(&path);
		}
	}
	return g_steal_pointer(&best);
}

static gboolean
host_cpu_has_virt_flags(void)
{
	g_autofree char *cpuinfo = NULL;
	if (!g_file_get_contents("/proc/cpuinfo", &cpuinfo, NULL, NULL))
		return FALSE;
	return strstr(cpuinfo, " vmx") != NULL || strstr(cpuinfo, " svm") != NULL;
}

static char *
host_cache_key(const char *qemu)
{
	struct utsname u;
	GStatBuf st = {0};
	g_autofree char *kernel = host_find_kernel();
	if (uname(&u) != 0)
		memset(&u, 0, sizeof(u));
	if (qemu == NULL || g_stat(qemu, &st) != 0)
		st.st_mtime = 0;
	return g_strdup_printf("%s %s %s %" G_GINT64_FORMAT, u.release, kernel ? kernel : "-",
			       qemu ? qemu : "-", (gint64)st.st_mtime);
}

static char *
host_cache_path(void)
{
	return g_build_filename(g_get_user_cache_dir(), "ferry", "accelerator.ini", NULL);
}

static gboolean
host_cache_read(const char *key, gboolean *usable, char **reason)
{
	g_autofree char *path = host_cache_path();
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_autofree char *stored = NULL;
	g_autoptr(GError) error = NULL;
	if (!g_key_file_load_from_file(file, path, G_KEY_FILE_NONE, NULL))
		return FALSE;
	stored = g_key_file_get_string(file, "kvm", "key", NULL);
	if (g_strcmp0(stored, key) != 0)
		return FALSE;
	*usable = g_key_file_get_boolean(file, "kvm", "usable", &error);
	if (error != NULL)
		return FALSE;
	*reason = g_key_file_get_string(file, "kvm", "reason", NULL);
	return *reason != NULL;
}

static void
host_cache_write(const char *key, gboolean usable, const char *reason)
{
	g_autofree char *path = host_cache_path();
	g_autofree char *dir = g_path_get_dirname(path);
	g_autoptr(GKeyFile) file = g_key_file_new();
	g_key_file_set_string(file, "kvm", "key", key);
	g_key_file_set_boolean(file, "kvm", "usable", usable);
	g_key_file_set_string(file, "kvm", "reason", reason);
	/* a cache: failing to write it only costs a self-test next time */
	if (g_mkdir_with_parents(dir, 0700) == 0)
		g_key_file_save_to_file(file, path, NULL);
}

/* boots @kernel under KVM with no root file system: a working KVM prints the
 * banner and panics at once (qemu exits: -no-reboot, panic=-1); a broken one
 * fails to start the vCPU or hangs before the banner */
static gboolean
host_self_test(const char *qemu, const char *kernel, char **reason)
{
	g_autofree char *timeout = g_find_program_in_path("timeout");
	g_autofree char *seconds = g_strdup_printf("%d", SELF_TEST_SECONDS);
	const char *argv[] = {timeout, "-s", "KILL", seconds, qemu, "-accel", "kvm", "-cpu", "host",
			      "-machine", "q35", "-m", "256", "-smp", "1", "-nodefaults",
			      "-display", "none", "-no-reboot", "-serial", "stdio", "-kernel", kernel,
			      "-append", "console=ttyS0 earlyprintk=serial,ttyS0 panic=-1 root=/dev/null",
			      NULL};
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;
	g_autoptr(GError) error = NULL;
	int status = 0;

	if (timeout == NULL) {
		*reason = g_strdup("the KVM self-test needs `timeout` (coreutils)");
		return FALSE;
	}
	if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDIN_FROM_DEV_NULL, NULL, NULL, &out,
			  &err, &status, &error)) {
		*reason = g_strdup_printf("the KVM self-test could not start qemu: %s",
					  error->message);
		return FALSE;
	}
	if (out != NULL && strstr(out, "Linux version") != NULL) {
		*reason = g_strdup("KVM is usable: a test kernel started under it");
		return TRUE;
	}
	if (WIFSIGNALED(status) || (WIFEXITED(status) && WEXITSTATUS(status) == 137) ||
	    (WIFEXITED(status) && WEXITSTATUS(status) == 124)) {
		*reason = g_strdup_printf(
		    "KVM cannot run ordinary guests here (a test kernel hung under it for %d s; "
		    "nested or paravirtual KVM): guests run with software emulation (TCG), "
		    "several times slower",
		    SELF_TEST_SECONDS);
		return FALSE;
	}
	{
		g_auto(GStrv) lines = g_strsplit(err != NULL ? g_strstrip(err) : "", "\n", 2);
		*reason = g_strdup_printf(
		    "KVM cannot run ordinary guests here (qemu: %s): guests run with software "
		    "emulation (TCG), several times slower",
		    lines[0] != NULL && *lines[0] != '\0' ? lines[0] : "no output");
	}
	return FALSE;
}

static gboolean
host_decide(gboolean refresh, char **reason)
{
	const char *forced = g_getenv("FERRY_ACCEL");
	g_autofree char *qemu = NULL;
	g_autofree char *kernel = NULL;
	g_autofree char *key = NULL;
	gboolean usable = FALSE;

	if (g_strcmp0(forced, "kvm") == 0) {
		*reason = g_strdup("FERRY_ACCEL=kvm is set");
		return TRUE;
	}
	if (g_strcmp0(forced, "tcg") == 0) {
		*reason = g_strdup("FERRY_ACCEL=tcg is set: guests run with software emulation");
		return FALSE;
	}
	if (g_access("/dev/kvm", R_OK | W_OK) != 0) {
		*reason = g_strdup("/dev/kvm is missing or not writable: guests run with software "
				   "emulation (TCG), several times slower");
		return FALSE;
	}
	qemu = ferry_machine_find_program("qemu-system-x86_64");
	key = host_cache_key(qemu);
	if (!refresh && host_cache_read(key, &usable, reason))
		return usable;
	kernel = host_find_kernel();
	if (qemu == NULL) {
		usable = host_cpu_has_virt_flags();
		*reason = g_strdup_printf("qemu-system-x86_64 is missing (package qemu-system-x86), "
					  "so KVM was not tested; the CPU %s virtualisation flags",
					  usable ? "has" : "lacks");
		return usable;
	}
	if (kernel == NULL) {
		usable = host_cpu_has_virt_flags();
		*reason = g_strdup_printf(
		    "no readable kernel in /boot to test KVM with (run as root once, or install "
		    "linux-image-amd64); the CPU %s virtualisation flags",
		    usable ? "has" : "lacks");
		return usable;
	}
	usable = host_self_test(qemu, kernel, reason);
	host_cache_write(key, usable, *reason);
	return usable;
}

/**
 * ferry_machine_kvm_usable:
 * @refresh: run the self-test again instead of using the cached answer
 * @reason: (out) (optional) (transfer full): why, in a sentence for the user
 *
 * Whether KVM can run ordinary guests on this machine. The first call may
 * take up to 20 seconds (a test kernel boots under KVM); the answer is kept
 * for the process and cached on disk per kernel and qemu binary.
 *
 * Returns: %TRUE when KVM works, %FALSE when guests must use TCG
 *
 * Since: 0.1
 */
gboolean
ferry_machine_kvm_usable(gboolean refresh, char **reason)
{
	gboolean usable;
	G_LOCK(host_kvm);
	if (refresh || host_kvm_state < 0 || g_getenv("FERRY_ACCEL") != NULL) {
		g_autofree char *why = NULL;
		host_kvm_state = host_decide(refresh, &why) ? 1 : 0;
		g_free(host_kvm_reason);
		host_kvm_reason = g_steal_pointer(&why);
	}
	usable = host_kvm_state == 1;
	if (reason != NULL)
		*reason = g_strdup(host_kvm_reason);
	G_UNLOCK(host_kvm);
	return usable;
}

/**
 * ferry_machine_guestfs_environ:
 * @envp: (transfer full) (nullable) (array zero-terminated=1): an environment,
 *   or %NULL for the process's own
 *
 * Adds what libguestfs (virt-v2v, guestfish) needs on this machine: when KVM
 * cannot run guests, `LIBGUESTFS_BACKEND=direct` and
 * `LIBGUESTFS_BACKEND_SETTINGS=force_tcg`. Values the user set are kept.
 *
 * Returns: (transfer full) (array zero-terminated=1): the environment
 *
 * Since: 0.1
 */
char **
ferry_machine_guestfs_environ(char **envp)
{
	if (envp == NULL)
		envp = g_get_environ();
	if (ferry_machine_kvm_usable(FALSE, NULL))
		return envp;
	envp = g_environ_setenv(envp, "LIBGUESTFS_BACKEND", "direct", FALSE);
	envp = g_environ_setenv(envp, "LIBGUESTFS_BACKEND_SETTINGS", "force_tcg", FALSE);
	return envp;
}
