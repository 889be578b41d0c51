/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <ferry.h>

/* FERRY_ACCEL decides without a self-test, and says so */
static void
test_machine_forced(void)
{
	g_autofree char *reason = NULL;
	g_autofree char *again = NULL;

	g_setenv("FERRY_ACCEL", "tcg", TRUE);
	g_assert_false(ferry_machine_kvm_usable(FALSE, &reason));
	g_assert_nonnull(strstr(reason, "FERRY_ACCEL=tcg"));
	g_setenv("FERRY_ACCEL", "kvm", TRUE);
	g_assert_true(ferry_machine_kvm_usable(FALSE, &again));
	g_assert_nonnull(strstr(again, "FERRY_ACCEL=kvm"));
	g_unsetenv("FERRY_ACCEL");
}

/* libguestfs gets force_tcg only when KVM cannot be used; the user's own
 * settings win */
static void
test_machine_guestfs_environ(void)
{
	g_auto(GStrv) with_kvm = NULL;
	g_auto(GStrv) with_tcg = NULL;
	g_auto(GStrv) user = NULL;
	char **base;

	g_setenv("FERRY_ACCEL", "kvm", TRUE);
	base = g_environ_unsetenv(g_get_environ(), "LIBGUESTFS_BACKEND_SETTINGS");
	with_kvm = ferry_machine_guestfs_environ(base);
	g_assert_null(g_environ_getenv(with_kvm, "LIBGUESTFS_BACKEND_SETTINGS"));

	g_setenv("FERRY_ACCEL", "tcg", TRUE);
	base = g_environ_unsetenv(g_get_environ(), "LIBGUESTFS_BACKEND_SETTINGS");
	base = g_environ_unsetenv(base, "LIBGUESTFS_BACKEND");
	with_tcg = ferry_machine_guestfs_environ(base);
	g_assert_cmpstr(g_environ_getenv(with_tcg, "LIBGUESTFS_BACKEND_SETTINGS"), ==, "force_tcg");
	g_assert_cmpstr(g_environ_getenv(with_tcg, "LIBGUESTFS_BACKEND"), ==, "direct");

	base = g_environ_setenv(g_get_environ(), "LIBGUESTFS_BACKEND", "libvirt", TRUE);
	user = ferry_machine_guestfs_environ(base);
	g_assert_cmpstr(g_environ_getenv(user, "LIBGUESTFS_BACKEND"), ==, "libvirt");
	g_unsetenv("FERRY_ACCEL");
}

/* sbin folders are searched too: daemons live there */
static void
test_machine_find_program(void)
{
	g_autofree char *sh = ferry_machine_find_program("sh");
	g_autofree char *none = ferry_machine_find_program("ferry-no-such-program");
	g_assert_nonnull(sh);
	g_assert_true(g_file_test(sh, G_FILE_TEST_IS_EXECUTABLE));
	g_assert_null(none);
}

int
main(int argc, char *argv[])
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/machine/forced", test_machine_forced);
	g_test_add_func("/machine/guestfs-environ", test_machine_guestfs_environ);
	g_test_add_func("/machine/find-program", test_machine_find_program);
	return g_test_run();
}
