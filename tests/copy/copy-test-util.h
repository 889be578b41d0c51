/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers for the copy tests: real NBD servers (nbdkit, qemu-nbd) on unix
 * sockets in a temporary directory, and whole-disk comparisons.
 */

#pragma once

#include <ferry.h>

G_BEGIN_DECLS

typedef struct {
	GSubprocess *process;
	char *socket;
	char *uri;
} TestServer;

/* a temporary directory per test, removed with its files afterwards */
typedef struct {
	char *dir;
} TestFixture;

void
test_fixture_setup(TestFixture *fixture, gconstpointer data);
void
test_fixture_teardown(TestFixture *fixture, gconstpointer data);
/* a path in the fixture's directory */
char *
test_fixture_path(TestFixture *fixture, const char *name);
#define TEST_ADD(path, func)                                                                       \
	g_test_add(path, TestFixture, NULL, test_fixture_setup, func, test_fixture_teardown)

/* whether every program is installed; if not, skips the test (fails it
 * when CI=true, where nothing may be skipped) and returns FALSE */
gboolean
test_require_programs(const char *first, ...) G_GNUC_NULL_TERMINATED;
/* a new temporary directory, removed with its files by test_dir_remove() */
char *
test_dir_new(void);
void
test_dir_remove(const char *dir);
/* nbdkit -U DIR/NAME.sock ARGS… (the plugin and its parameters, filters
 * first), ready for connections */
TestServer *
test_nbdkit_start(const char *dir, const char *name, const char *first_arg, ...)
    G_GNUC_NULL_TERMINATED;
/* qemu-nbd -k DIR/NAME.sock ARGS… (options and the image) */
TestServer *
test_qemu_nbd_start(const char *dir, const char *name, const char *first_arg, ...)
    G_GNUC_NULL_TERMINATED;
void
test_server_stop(TestServer *server);
/* as if the server crashed */
void
test_server_kill(TestServer *server);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(TestServer, test_server_stop)
/* runs a program to the end and asserts it succeeded */
void
test_run(const char *first_arg, ...) G_GNUC_NULL_TERMINATED;
/* the whole disk behind an NBD URI or a local path */
GBytes *
test_read_disk(const char *uri_or_path);
/* asserts two disks hold the same bytes, naming the first difference */
void
test_assert_same_disk(const char *a, const char *b);
/* a FerryDiskEndpoint for an NBD URI or a local path */
FerryDiskEndpoint *
test_endpoint(FerryDiskRole role, const char *uri_or_path);

G_END_DECLS
