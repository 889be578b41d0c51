/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "ferry.h"

static const char *const full_description =
    "{\"source\": {\"type\": \"vsphere\", \"url\": \"https://vc.example.com/sdk\","
    " \"name\": \"vsphere-prod\", \"namespace\": \"demo\","
    " \"settings\": {\"sdkEndpoint\": \"vcenter\", \"vddkLibdir\": \"/opt/vddk\"},"
    " \"secretDir\": \"/var/run/secrets/ferry/source\","
    " \"hosts\": [{\"id\": \"host-21\", \"ipAddress\": \"10.0.0.21\","
    " \"secretDir\": \"/var/run/secrets/ferry/host-21\"},"
    " {\"id\": \"host-22\", \"ipAddress\": \"10.0.0.22:8443\"}]},"
    " \"vm\": \"vm-42\", \"disk\": \"disk-2000\", \"snapshot\": \"snapshot-7\","
    " \"extents\": [{\"offset\": 0, \"length\": 65536}, {\"offset\": 1048576, \"length\": 4096}],"
    " \"target\": \"/data\", \"journal\": \"/data/j\", \"verify\": true,"
    " \"targetIsZero\": true, \"bandwidth\": 1048576}";

static void
test_description_round_trip(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryTransferDescription) description =
	    ferry_transfer_description_new_from_data(full_description, -1, &error);
	g_autoptr(FerryTransferDescription) again = NULL;
	g_autofree char *text = NULL;
	g_autofree char *text_again = NULL;
	FerryExtentList *extents;

	g_assert_no_error(error);
	g_assert_cmpstr(ferry_transfer_description_get_source_type(description), ==, "vsphere");
	g_assert_cmpstr(ferry_transfer_description_get_source_url(description), ==,
			"https://vc.example.com/sdk");
	g_assert_cmpstr(ferry_transfer_description_get_source_name(description), ==,
			"vsphere-prod");
	g_assert_cmpstr(ferry_transfer_description_get_source_namespace(description), ==, "demo");
	g_assert_cmpstr(ferry_transfer_description_get_source_setting(description, "vddkLibdir"),
			==, "/opt/vddk");
	g_assert_cmpstr(ferry_transfer_description_get_secret_dir(description), ==,
			"/var/run/secrets/ferry/source");
	{
		g_auto(GStrv) hosts = ferry_transfer_description_list_source_hosts(description);
		g_assert_cmpuint(g_strv_length(hosts), ==, 2);
		g_assert_cmpstr(hosts[1], ==, "host-22");
		g_assert_cmpstr(
		    ferry_transfer_description_get_source_host_address(description, "host-22"), ==,
		    "10.0.0.22:8443");
		g_assert_cmpstr(
		    ferry_transfer_description_get_source_host_secret_dir(description, "host-21"),
		    ==, "/var/run/secrets/ferry/host-21");
		g_assert_null(
		    ferry_transfer_description_get_source_host_secret_dir(description, "host-22"));
	}
	g_assert_cmpstr(ferry_transfer_description_get_vm_id(description), ==, "vm-42");
	g_assert_cmpstr(ferry_transfer_description_get_disk_id(description), ==, "disk-2000");
	g_assert_cmpstr(ferry_transfer_description_get_snapshot_id(description), ==,
			"snapshot-7");
	g_assert_null(ferry_transfer_description_get_change_id(description));
	extents = ferry_transfer_description_get_extents(description);
	g_assert_nonnull(extents);
	g_assert_cmpuint(ferry_extent_list_get_length(extents), ==, 2);
	g_assert_cmpuint(ferry_extent_list_get_total(extents), ==, 65536 + 4096);
	g_assert_cmpstr(ferry_transfer_description_get_journal(description), ==, "/data/j");
	g_assert_true(ferry_transfer_description_get_verify(description));
	g_assert_true(ferry_transfer_description_get_target_is_zero(description));
	g_assert_cmpuint(ferry_transfer_description_get_bandwidth(description), ==, 1048576);

	/* what a destination plugin writes, the verb reads back unchanged */
	text = ferry_transfer_description_to_data(description, NULL);
	again = ferry_transfer_description_new_from_data(text, -1, &error);
	g_assert_no_error(error);
	text_again = ferry_transfer_description_to_data(again, NULL);
	g_assert_cmpstr(text, ==, text_again);
	g_assert_null(strstr(text, "password"));
}

static void
test_description_built(void)
{
	g_autoptr(FerryTransferDescription) description = ferry_transfer_description_new();
	g_autoptr(FerryTransferDescription) read = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *text = NULL;

	g_assert_false(ferry_transfer_description_validate(description, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "source.type"));
	g_clear_error(&error);
	ferry_transfer_description_set_source_type(description, "ova");
	ferry_transfer_description_set_source_url(description, "file:///srv/ova/web.ova");
	ferry_transfer_description_set_vm_id(description, "web");
	ferry_transfer_description_set_disk_id(description, "disk-0");
	ferry_transfer_description_set_target(description, "/data/disk.img");
	ferry_transfer_description_set_change_id(description, "52 1a/7");
	g_assert_false(ferry_transfer_description_validate(description, &error));
	g_assert_nonnull(strstr(error->message, "changeId needs snapshot"));
	g_clear_error(&error);
	ferry_transfer_description_set_change_id(description, NULL);
	g_assert_true(ferry_transfer_description_validate(description, &error));
	g_assert_no_error(error);
	text = ferry_transfer_description_to_data(description, NULL);
	read = ferry_transfer_description_new_from_data(text, -1, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_transfer_description_get_target(read), ==, "/data/disk.img");
	g_assert_null(ferry_transfer_description_get_extents(read));
	g_assert_false(ferry_transfer_description_get_verify(read));
}

static void
test_description_refused(void)
{
	const struct {
		const char *json;
		const char *message;
	} cases[] = {
	    {"[1, 2]", "a JSON object"},
	    {"{\"source\": {\"type\": \"vsphere\"", "Parse error"},
	    {"{\"vm\": \"a\", \"disk\": \"b\", \"target\": \"/t\"}", "source must be an object"},
	    {"{\"source\": {\"type\": \"vsphere\", \"password\": \"Sup3r\"}, \"vm\": \"a\","
	     " \"disk\": \"b\", \"target\": \"/t\"}",
	     "credentials do not belong"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"disk\": \"b\","
	     " \"target\": \"/t\", \"snapshotId\": \"s\"}",
	     "snapshotId is not a member"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"target\": \"/t\"}",
	     "disk is missing"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"disk\": \"b\","
	     " \"target\": \"data/disk.img\"}",
	     "must be an absolute path"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"disk\": \"b\","
	     " \"target\": \"/t\", \"verify\": \"yes\"}",
	     "verify must be true or false"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": 42, \"disk\": \"b\","
	     " \"target\": \"/t\"}",
	     "vm must be a string"},
	    {"{\"source\": {\"type\": \"vsphere\", \"settings\": {\"a\": 1}}, \"vm\": \"a\","
	     " \"disk\": \"b\", \"target\": \"/t\"}",
	     "source.settings.a must be a string"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"disk\": \"b\","
	     " \"target\": \"/t\", \"extents\": [{\"offset\": -1, \"length\": 4}]}",
	     "extents[0].offset must be a whole number"},
	    {"{\"source\": {\"type\": \"vsphere\"}, \"vm\": \"a\", \"disk\": \"b\","
	     " \"target\": \"/t\", \"snapshot\": \"s\", \"changeId\": \"c\","
	     " \"extents\": []}",
	     "not both"},
	    {"{\"source\": {\"type\": \"vsphere\", \"hosts\": [{\"id\": \"host-1\"}]},"
	     " \"vm\": \"a\", \"disk\": \"b\", \"target\": \"/t\"}",
	     "source.hosts[0].ipAddress is missing"},
	    {"{\"source\": {\"type\": \"vsphere\", \"hosts\": [{\"id\": \"h\","
	     " \"ipAddress\": \"10.0.0.1\", \"password\": \"Sup3r\"}]},"
	     " \"vm\": \"a\", \"disk\": \"b\", \"target\": \"/t\"}",
	     "source.hosts[0].password: credentials do not belong"},
	};

	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryTransferDescription) description =
		    ferry_transfer_description_new_from_data(cases[i].json, -1, &error);
		g_assert_null(description);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
		if (strstr(error->message, cases[i].message) == NULL)
			g_error("case %u: '%s' does not say '%s'", i, error->message,
				cases[i].message);
		g_assert_null(strstr(error->message, "Sup3r"));
	}
}

static void
write_file(const char *dir, const char *name, const char *contents)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

/* as the kubelet mounts a Secret: the files in a timestamped directory,
 * `..data` linking to it, and one link per key through `..data` */
static char *
make_mounted_secret(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-secret-XXXXXX", &error);
	g_autofree char *data = g_build_filename(dir, "..2026_12_06_22_00_00.123", NULL);
	const char *const keys[] = {"user", "password", "insecureSkipVerify"};

	g_assert_no_error(error);
	g_assert_cmpint(g_mkdir(data, 0700), ==, 0);
	write_file(data, "user", "admin");
	write_file(data, "password", "Sup3r-Secret!");
	write_file(data, "insecureSkipVerify", "true");
	{
		g_autofree char *link = g_build_filename(dir, "..data", NULL);
		g_assert_cmpint(symlink("..2026_12_06_22_00_00.123", link), ==, 0);
	}
	for (guint i = 0; i < G_N_ELEMENTS(keys); i++) {
		g_autofree char *link = g_build_filename(dir, keys[i], NULL);
		g_autofree char *to = g_build_filename("..data", keys[i], NULL);
		g_assert_cmpint(symlink(to, link), ==, 0);
	}
	return g_steal_pointer(&dir);
}

static void
remove_tree(const char *path)
{
	g_autofree char *quoted = g_shell_quote(path);
	g_autofree char *command = g_strdup_printf("rm -rf %s", quoted);
	g_assert_true(g_spawn_command_line_sync(command, NULL, NULL, NULL, NULL));
}

static void
test_secret_from_directory(void)
{
	g_autofree char *dir = make_mounted_secret();
	g_autoptr(GError) error = NULL;
	g_autoptr(FerrySecret) secret = ferry_secret_new_from_directory("creds", dir, &error);
	g_autofree char *password = NULL;
	g_auto(GStrv) keys = NULL;

	g_assert_no_error(error);
	keys = ferry_secret_list_keys(secret);
	g_assert_cmpuint(g_strv_length(keys), ==, 3);
	g_assert_cmpstr(keys[0], ==, "insecureSkipVerify");
	g_assert_cmpstr(keys[1], ==, "password");
	g_assert_cmpstr(keys[2], ==, "user");
	password = ferry_secret_dup_string(secret, "password");
	g_assert_cmpstr(password, ==, "Sup3r-Secret!");
	g_assert_true(ferry_secret_get_boolean(secret, "insecureSkipVerify", FALSE));
	g_assert_cmpstr(ferry_secret_get_name(secret), ==, "creds");
	remove_tree(dir);

	g_clear_object(&secret);
	secret = ferry_secret_new_from_directory(NULL, "/nonexistent/ferry-secret", &error);
	g_assert_null(secret);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "/nonexistent/ferry-secret"));
}

static void
test_description_provider_config(void)
{
	g_autofree char *dir = make_mounted_secret();
	g_autoptr(FerryTransferDescription) description = ferry_transfer_description_new();
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *user = NULL;

	ferry_transfer_description_set_source_type(description, "vsphere");
	ferry_transfer_description_set_source_url(description, "https://vc/sdk");
	ferry_transfer_description_set_source_name(description, "demo", "vsphere-prod");
	ferry_transfer_description_set_source_setting(description, "sdkEndpoint", "vcenter");
	ferry_transfer_description_set_secret_dir(description, dir);
	ferry_transfer_description_set_vm_id(description, "vm-1");
	ferry_transfer_description_set_disk_id(description, "disk-1");
	ferry_transfer_description_set_target(description, "/data");
	ferry_transfer_description_add_source_host(description, "host-21", "10.0.0.21", dir);
	ferry_transfer_description_add_source_host(description, "host-22", "10.0.0.22", NULL);
	config = ferry_transfer_description_dup_provider_config(description, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_provider_config_get_provider_type(config), ==, "vsphere");
	g_assert_cmpstr(ferry_provider_config_get_url(config), ==, "https://vc/sdk");
	g_assert_cmpstr(ferry_provider_config_get_name(config), ==, "vsphere-prod");
	g_assert_cmpstr(ferry_provider_config_get_namespace(config), ==, "demo");
	g_assert_cmpstr(ferry_provider_config_get_setting(config, "sdkEndpoint"), ==, "vcenter");
	user = ferry_secret_dup_string(ferry_provider_config_get_secret(config), "user");
	g_assert_cmpstr(user, ==, "admin");
	g_assert_cmpstr(ferry_provider_config_get_host_address(config, "host-21"), ==,
			"10.0.0.21");
	g_assert_true(ferry_secret_has_key(ferry_provider_config_get_host_secret(config, "host-21"),
					   "password"));
	g_assert_cmpstr(ferry_provider_config_get_host_address(config, "host-22"), ==,
			"10.0.0.22");
	g_assert_null(ferry_provider_config_get_host_secret(config, "host-22"));
	remove_tree(dir);
}

static void
test_description_target_paths(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-volume-XXXXXX", &error);
	g_autoptr(FerryTransferDescription) description = ferry_transfer_description_new();
	g_autofree char *file = NULL;
	g_autofree char *journal = NULL;
	g_autofree char *expected = NULL;
	g_autofree char *expected_journal = NULL;

	g_assert_no_error(error);
	/* a Filesystem volume's directory: KubeVirt's disk.img in it */
	ferry_transfer_description_set_target(description, dir);
	file = ferry_transfer_description_dup_target_file(description);
	expected = g_build_filename(dir, "disk.img", NULL);
	g_assert_cmpstr(file, ==, expected);
	journal = ferry_transfer_description_dup_journal_file(description);
	expected_journal = g_strconcat(expected, ".ferry-journal", NULL);
	g_assert_cmpstr(journal, ==, expected_journal);
	g_clear_pointer(&journal, g_free);
	/* a block device: no journal unless one is given */
	ferry_transfer_description_set_target(description, "/dev/null");
	g_clear_pointer(&file, g_free);
	file = ferry_transfer_description_dup_target_file(description);
	g_assert_cmpstr(file, ==, "/dev/null");
	g_assert_null(ferry_transfer_description_dup_journal_file(description));
	ferry_transfer_description_set_journal(description, "/scratch/disk.journal");
	journal = ferry_transfer_description_dup_journal_file(description);
	g_assert_cmpstr(journal, ==, "/scratch/disk.journal");
	remove_tree(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/transfer-description/round-trip", test_description_round_trip);
	g_test_add_func("/transfer-description/built-and-validated", test_description_built);
	g_test_add_func("/transfer-description/refused-with-the-member-named",
			test_description_refused);
	g_test_add_func("/transfer-description/secret-mounted-as-files",
			test_secret_from_directory);
	g_test_add_func("/transfer-description/provider-config", test_description_provider_config);
	g_test_add_func("/transfer-description/target-and-journal-paths",
			test_description_target_paths);
	return g_test_run();
}
