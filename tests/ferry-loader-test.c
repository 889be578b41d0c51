/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The plugin loader against real fixture plugins built beside this test:
 * one good plugin implementing every interface and one of each broken kind.
 */

#include <ferry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

static const char *
fixture_dir(void)
{
	static char *dir = NULL;
	if (dir == NULL)
		dir = g_test_build_filename(G_TEST_BUILT, "plugins", NULL);
	return dir;
}

static FerryPluginRegistry *
load_fixtures(void)
{
	const char *paths[] = {fixture_dir(), NULL};
	FerryPluginRegistry *registry = ferry_plugin_registry_new_for_paths(paths);
	g_autoptr(GError) error = NULL;

	/* one warning per broken plugin, in name order, each with its reason */
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin missing-symbol (*missing-symbol.so): the library does not "
			      "export the entry symbol ferry_missing_symbol_plugin_describe*; "
			      "skipped");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin not-elf (*not-elf.so): cannot load the library:*; skipped");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin register-error (*register-error.so): registration failed: "
			      "the fixture's external tool is not installed; skipped");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin wrong-abi (*wrong-abi.so): built for plugin ABI 999 "
			      "(descriptor size *), but this Ferry has ABI 1*; skipped");
	g_assert_true(ferry_plugin_registry_load(registry, &error));
	g_assert_no_error(error);
	g_test_assert_expected_messages();
	return registry;
}

static FerryPluginInfo *
find_plugin(FerryPluginRegistry *registry, const char *name)
{
	GPtrArray *plugins = ferry_plugin_registry_get_plugins(registry);
	for (guint i = 0; i < plugins->len; i++) {
		FerryPluginInfo *info = g_ptr_array_index(plugins, i);
		if (g_strcmp0(ferry_plugin_info_get_name(info), name) == 0)
			return info;
	}
	return NULL;
}

static void
test_loader_broken_kinds(void)
{
	g_autoptr(FerryPluginRegistry) registry = load_fixtures();
	const struct {
		const char *name;
		const char *reason;
	} broken[] = {
	    {"not-elf", "cannot load the library"},
	    {"missing-symbol", "does not export the entry symbol"},
	    {"wrong-abi", "built for plugin ABI 999"},
	    {"register-error", "registration failed"},
	};
	FerryPluginInfo *good;
	GPtrArray *plugins = ferry_plugin_registry_get_plugins(registry);
	guint n_files = 0;

	/* the five fixtures, besides the core's built-ins */
	for (guint i = 0; i < plugins->len; i++)
		n_files += ferry_plugin_info_get_builtin(g_ptr_array_index(plugins, i)) ? 0 : 1;
	g_assert_cmpuint(n_files, ==, 5);
	g_assert_nonnull(find_plugin(registry, "nbd"));
	g_assert_true(ferry_plugin_info_get_builtin(find_plugin(registry, "nbd")));
	for (guint i = 0; i < G_N_ELEMENTS(broken); i++) {
		FerryPluginInfo *info = find_plugin(registry, broken[i].name);
		g_assert_nonnull(info);
		g_assert_false(ferry_plugin_info_get_loaded(info));
		g_assert_nonnull(ferry_plugin_info_get_error(info));
		g_assert_nonnull(strstr(ferry_plugin_info_get_error(info), broken[i].reason));
	}
	good = find_plugin(registry, "good");
	g_assert_nonnull(good);
	g_assert_true(ferry_plugin_info_get_loaded(good));
	g_assert_null(ferry_plugin_info_get_error(good));
	g_assert_cmpuint(ferry_plugin_info_get_abi_version(good), ==, FERRY_PLUGIN_ABI_VERSION);
	g_assert_cmpstr(ferry_plugin_info_get_description(good), ==,
			"Test fixture implementing every interface");
	g_assert_cmpstr(ferry_plugin_info_get_names(good, FERRY_PLUGIN_KIND_PROVIDER)[0], ==,
			"good");
	{
		g_autofree char *kinds = ferry_plugin_info_dup_kinds(good);
		g_assert_cmpstr(kinds, ==, "provider,transfer-method,validator");
	}
	{
		g_auto(GStrv) providers =
		    ferry_plugin_registry_list_names(registry, FERRY_PLUGIN_KIND_PROVIDER);
		g_assert_cmpuint(g_strv_length(providers), ==, 1);
		g_assert_cmpstr(providers[0], ==, "good");
	}
}

static void
test_loader_use_provider(void)
{
	g_autoptr(FerryPluginRegistry) registry = load_fixtures();
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryProviderConfig) config = ferry_provider_config_new("good", "ns", "src");
	g_autoptr(FerrySecret) secret = ferry_secret_new("src-secret");
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_autoptr(GPtrArray) vms = NULL;
	g_autoptr(FerrySnapshot) snapshot = NULL;

	/* an unknown provider type names the available ones */
	g_assert_null(ferry_plugin_registry_create_provider(registry, "vsphere", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "available: good"));
	g_clear_error(&error);

	provider = ferry_plugin_registry_create_provider(registry, "good", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_provider_get_provider_type(provider), ==, "good");
	g_assert_true(ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_SNAPSHOT));
	g_assert_false(
	    ferry_provider_has_capability(provider, FERRY_PROVIDER_CAPABILITY_DESTINATION));

	ferry_secret_set_string(secret, "password", "bad");
	ferry_provider_config_set_secret(config, secret);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_null(strstr(error->message, "bad"));
	g_clear_error(&error);
	ferry_secret_set_string(secret, "password", "good");
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));

	g_assert_true(ferry_provider_load_inventory(provider, inventory, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_has_parity(inventory, "src"));
	vms = ferry_inventory_list(inventory, "src", "vm", &error);
	g_assert_cmpuint(vms->len, ==, 2);

	g_assert_true(ferry_provider_power_off(provider, "vm-1", NULL, &error));
	g_assert_cmpint(ferry_provider_get_power_state(provider, "vm-1", NULL, &error), ==,
			FERRY_POWER_STATE_OFF);
	snapshot = ferry_provider_create_snapshot(provider, "vm-1", "precopy",
						  FERRY_SNAPSHOT_FLAG_QUIESCE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_snapshot_get_change_id(snapshot, "vm-1-disk-0"), ==, "change/1");
	/* DESTINATION is not a capability of this plugin */
	g_assert_null(ferry_provider_prepare_disk(provider, vms->pdata[0], 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
}

static void
test_loader_use_validator_and_method(void)
{
	g_autoptr(FerryPluginRegistry) registry = load_fixtures();
	g_autoptr(GPtrArray) validators = ferry_plugin_registry_create_validators(registry);
	g_autoptr(GPtrArray) methods = ferry_plugin_registry_create_transfer_methods(registry);
	g_autoptr(JsonObject) vm = json_object_new();
	g_autoptr(GPtrArray) concerns = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-loader-XXXXXX", NULL);
	g_autofree char *src_path = g_build_filename(dir, "src.img", NULL);
	g_autofree char *dst_path = g_build_filename(dir, "dst.img", NULL);
	g_autoptr(FerryDiskEndpoint) src = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, src_path);
	g_autoptr(FerryDiskEndpoint) dst = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, dst_path);
	g_autoptr(FerryDiskEndpoint) nbd =
	    ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_SOURCE, "nbd+unix:///?socket=/x");
	g_autoptr(FerryTransferRequest) request = ferry_transfer_request_new(src, dst);
	g_autoptr(FerryTransferRequest) nbd_request = ferry_transfer_request_new(nbd, dst);
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	FerryTransferMethod *method;
	g_autofree char *copied = NULL;
	gsize length = 0;

	FerryValidator *good = NULL;

	/* the fixture's validator, besides the core's built-in ones */
	for (guint i = 0; i < validators->len; i++) {
		FerryValidator *validator = g_ptr_array_index(validators, i);
		if (g_strcmp0(ferry_validator_get_name(validator), "good-check") == 0)
			good = validator;
	}
	g_assert_nonnull(good);
	json_object_set_int_member(vm, "memoryMB", 8192);
	concerns = ferry_validator_validate(good, "good", vm, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(concerns->len, ==, 1);
	g_assert_cmpstr(ferry_concern_get_id(g_ptr_array_index(concerns, 0)), ==,
			"good.memory.large");
	g_assert_cmpint(ferry_concern_get_category(g_ptr_array_index(concerns, 0)), ==,
			FERRY_CONCERN_CATEGORY_WARNING);

	g_assert_true(g_file_set_contents(src_path, "disk bytes", -1, NULL));
	/* the core's nbd method (priority 10) wins over the fixture's (1) */
	method = ferry_transfer_method_select(methods, request, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_transfer_method_get_name(method), ==, "nbd");
	for (guint i = 0; i < methods->len; i++) {
		if (g_strcmp0(ferry_transfer_method_get_name(methods->pdata[i]), "good-copy") == 0)
			method = methods->pdata[i];
	}
	g_assert_cmpstr(ferry_transfer_method_get_name(method), ==, "good-copy");
	g_assert_true(ferry_transfer_method_copy(method, request, progress, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(g_file_get_contents(dst_path, &copied, &length, NULL));
	g_assert_cmpstr(copied, ==, "disk bytes");
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, 10);

	/* nothing loaded can convert while copying: a clear error */
	ferry_transfer_request_set_flags(nbd_request, FERRY_TRANSFER_FLAG_CONVERT);
	g_assert_null(ferry_transfer_method_select(methods, nbd_request, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED);
	g_assert_nonnull(strstr(error->message, "nbd+unix:///?socket=/x"));

	g_unlink(src_path);
	g_unlink(dst_path);
	g_rmdir(dir);
}

static void
test_loader_search_path(void)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *dir = g_dir_make_tmp("ferry-path-XXXXXX", NULL);
	g_autofree char *good = g_build_filename(fixture_dir(), "good.so", NULL);
	g_autofree char *link = g_build_filename(dir, "good.so", NULL);
	g_autofree char *unsafe = g_build_filename(dir, "unsafe.so", NULL);
	g_autofree char *orphan = g_build_filename(dir, "orphan.plugin", NULL);
	g_autofree char *env = g_strdup_printf("%s::%s", dir, fixture_dir());
	g_autoptr(FerryPluginRegistry) registry = NULL;
	g_auto(GStrv) paths = NULL;
	FerryPluginInfo *info;

	/* the same plugin through a link in an earlier directory hides the
	 * fixture directory's copy; the module is shared, not loaded twice */
	g_assert_cmpint(symlink(good, link), ==, 0);
	g_assert_true(g_file_set_contents(unsafe, "x", -1, NULL));
	g_assert_cmpint(g_chmod(unsafe, 0666), ==, 0);
	g_assert_true(g_file_set_contents(orphan, "[Ferry Plugin]\nDescription=orphan\n", -1, NULL));

	g_setenv("FERRY_PLUGIN_PATH", env, TRUE);
	registry = ferry_plugin_registry_new();
	g_unsetenv("FERRY_PLUGIN_PATH");
	paths = ferry_plugin_registry_get_search_paths(registry);
	g_assert_cmpuint(g_strv_length(paths), ==, 3);
	g_assert_cmpstr(paths[0], ==, dir);
	g_assert_cmpstr(paths[1], ==, fixture_dir());
	g_assert_cmpstr(paths[2], ==, ferry_plugin_registry_get_default_directory());

	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin orphan (*orphan.plugin): metadata without a library*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING,
			      "plugin unsafe (*unsafe.so): the file is world-writable*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "plugin missing-symbol*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "plugin not-elf*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "plugin register-error*");
	g_test_expect_message("Ferry", G_LOG_LEVEL_WARNING, "plugin wrong-abi*");
	g_assert_true(ferry_plugin_registry_load(registry, &error));
	g_test_assert_expected_messages();
	info = find_plugin(registry, "good");
	g_assert_cmpstr(ferry_plugin_info_get_path(info), ==, link);
	g_assert_true(ferry_plugin_info_get_loaded(info));
	g_assert_cmpuint(ferry_plugin_registry_lookup(registry, FERRY_PLUGIN_KIND_PROVIDER, "good"),
			 !=, G_TYPE_INVALID);

	g_unlink(link);
	g_unlink(unsafe);
	g_unlink(orphan);
	g_rmdir(dir);
}

static void
test_loader_scan_without_loading(void)
{
	const char *paths[] = {fixture_dir(), NULL};
	g_autoptr(FerryPluginRegistry) registry = ferry_plugin_registry_new_for_paths(paths);
	g_autoptr(GError) error = NULL;
	FerryPluginInfo *good;

	g_assert_true(ferry_plugin_registry_scan(registry, &error));
	good = find_plugin(registry, "good");
	g_assert_nonnull(good);
	g_assert_false(ferry_plugin_info_get_loaded(good));
	/* what the .plugin file declares */
	g_assert_cmpstr(ferry_plugin_info_get_names(good, FERRY_PLUGIN_KIND_TRANSFER_METHOD)[0], ==,
			"good-copy");
	/* nothing was opened, so nothing is known to be broken yet */
	g_assert_nonnull(find_plugin(registry, "not-elf"));
	g_assert_false(ferry_plugin_info_get_loaded(find_plugin(registry, "not-elf")));
	g_assert_null(ferry_plugin_info_get_error(find_plugin(registry, "not-elf")));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/loader/broken-kinds", test_loader_broken_kinds);
	g_test_add_func("/loader/use-provider", test_loader_use_provider);
	g_test_add_func("/loader/use-validator-and-method", test_loader_use_validator_and_method);
	g_test_add_func("/loader/search-path", test_loader_search_path);
	g_test_add_func("/loader/scan", test_loader_scan_without_loading);
	return g_test_run();
}
