/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Boot checks of real guests on qemu:///system (TCG where KVM cannot run
 * guests): the test guest of scripts/make-test-guest, copied into a disk
 * the plugin prepared, boots and prints its marker on the serial console;
 * a blank disk does not boot within a short timeout; a cancelled check
 * stops the domain. Nothing is left behind: domains are undefined and
 * their files deleted.
 *
 * Needs root, libvirtd (scripts/libvirtd starts it), QEMU and the
 * test guest. Under CI=true a missing piece fails the test instead of
 * skipping it.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <libvirt/libvirt.h>
#include <libvirt/virterror.h>

#include "ferry-libvirt-test-util.h"
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define TEST_MARKER "ferry-test-guest: booted"

typedef struct {
	char *tmp;
	FerryPluginRegistry *registry;
	FerryProvider *provider;
	virConnectPtr conn;
} Fixture;

static char *guest_image;

/* skips, or fails under CI where nothing important may skip */
static void
missing(const char *what)
{
	if (g_strcmp0(g_getenv("CI"), "true") == 0)
		g_error("CI=true and the real-guest test cannot run: %s", what);
	g_test_skip(what);
}

static char *
run(GError **error, const char *const *argv)
{
	g_autoptr(GSubprocess) process = NULL;
	g_autofree char *out = NULL;
	g_autofree char *err = NULL;

	process = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
					      G_SUBPROCESS_FLAGS_STDERR_PIPE,
				    error);
	if (process == NULL ||
	    !g_subprocess_communicate_utf8(process, NULL, NULL, &out, &err, error))
		return NULL;
	if (!g_subprocess_get_successful(process)) {
		g_set_error(error, G_SPAWN_ERROR, G_SPAWN_ERROR_FAILED, "%s failed: %s", argv[0],
			    err);
		return NULL;
	}
	return g_strstrip(g_steal_pointer(&out));
}

/* starts libvirtd when needed and finds the test guest; FALSE after a skip */
static gboolean
prerequisites(void)
{
	const char *root = g_getenv("FERRY_SOURCE_ROOT");
	g_autofree char *testbed = NULL;
	g_autofree char *builder = NULL;
	g_autofree char *qemu = g_find_program_in_path("qemu-system-x86_64");
	g_autoptr(GError) error = NULL;
	g_autofree char *out = NULL;

	if (guest_image != NULL)
		return TRUE;
	if (root == NULL) {
		missing("FERRY_SOURCE_ROOT is not set (meson sets it)");
		return FALSE;
	}
	if (getuid() != 0) {
		missing("qemu:///system and the test guest need root");
		return FALSE;
	}
	if (qemu == NULL) {
		missing("qemu-system-x86_64 is not installed (scripts/install-deps)");
		return FALSE;
	}
	testbed = g_build_filename(root, "scripts", "libvirtd", NULL);
	{
		const char *argv[] = {testbed, "start", NULL};
		out = run(&error, argv);
	}
	if (out == NULL) {
		g_autofree char *message = g_strdup_printf("libvirtd: %s", error->message);
		missing(message);
		return FALSE;
	}
	builder = g_build_filename(root, "scripts", "make-test-guest", NULL);
	{
		const char *argv[] = {builder, "--image", NULL};
		guest_image = run(&error, argv);
	}
	if (guest_image == NULL) {
		g_autofree char *message = g_strdup_printf("the test guest: %s", error->message);
		missing(message);
		return FALSE;
	}
	return TRUE;
}

static void
fixture_set_up(Fixture *fixture, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autofree char *template = NULL;
	g_autofree char *state = NULL;

	if (!prerequisites())
		return;
	/* under /var/tmp, open to QEMU's user (libvirt-qemu), unlike a 0700 /tmp folder */
	template = g_strdup("/var/tmp/ferry-libvirt-boot-XXXXXX");
	g_assert_nonnull(g_mkdtemp_full(template, 0755));
	fixture->tmp = g_steal_pointer(&template);
	state = g_build_filename(fixture->tmp, "state", NULL);
	fixture->registry = ferry_plugin_registry_new();
	g_assert_true(ferry_plugin_registry_load(fixture->registry, &error));
	g_assert_no_error(error);
	fixture->provider =
	    ferry_plugin_registry_create_provider(fixture->registry, "libvirt", &error);
	g_assert_no_error(error);
	config = ferry_provider_config_new("libvirt", "ferry", "local");
	ferry_provider_config_set_url(config, "qemu:///system");
	ferry_provider_config_set_setting(config, "storageDir", fixture->tmp);
	ferry_provider_config_set_setting(config, "shutdownTimeout", "15");
	ferry_provider_config_set_state_dir(config, state);
	g_assert_true(ferry_provider_connect(fixture->provider, config, NULL, &error));
	g_assert_no_error(error);
	fixture->conn = ferry_libvirt_test_open("qemu:///system");
}

static void
fixture_tear_down(Fixture *fixture, gconstpointer data)
{
	g_clear_object(&fixture->provider);
	g_clear_object(&fixture->registry);
	if (fixture->conn != NULL)
		virConnectClose(fixture->conn);
	if (fixture->tmp != NULL)
		ferry_files_remove_tree(fixture->tmp, NULL);
	g_free(fixture->tmp);
}

static JsonObject *
make_spec(const char *name, guint64 capacity)
{
	g_autofree char *json = g_strdup_printf(
	    "{\"name\": \"%s\", \"namespace\": \"ferry-test\", \"plan\": \"boot-test\","
	    " \"cpu\": {\"sockets\": 1, \"cores\": 1}, \"memoryMiB\": 1024,"
	    " \"firmware\": {\"type\": \"bios\"},"
	    " \"disks\": [{\"name\": \"%s-disk-0\", \"capacity\": %" G_GUINT64_FORMAT "}],"
	    " \"nics\": [{\"mac\": \"00:50:56:a1:00:01\", \"network\": {\"type\": \"pod\"}}],"
	    " \"targetPowerState\": \"off\"}",
	    name, name, capacity);
	return ferry_libvirt_test_parse_spec(json);
}

static char *
unique_name(const char *what)
{
	return g_strdup_printf("ferry-%s-%d", what, (int)getpid());
}

/* defines the VM; @source is copied into its disk first when given */
static char *
define(Fixture *fixture, JsonObject *spec, const char *source)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	FerryDiskEndpoint *endpoint = ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL,
								  &error);
	char *id;

	g_assert_no_error(error);
	g_ptr_array_add(disks, endpoint);
	if (source != NULL) {
		/* what the copy engine does: only the data, into the sparse file */
		const char *argv[] = {"qemu-img", "convert", "-n", "-f", "raw", "-O", "raw",
				      source, ferry_disk_endpoint_get_path(endpoint), NULL};
		g_autofree char *out = run(&error, argv);
		g_assert_no_error(error);
	}
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_no_error(error);
	return id;
}

static void
remove_and_check(Fixture *fixture, JsonObject *spec, const char *name)
{
	g_autoptr(GError) error = NULL;
	virDomainPtr domain;
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, &error));
	g_assert_no_error(error);
	domain = virDomainLookupByName(fixture->conn, name);
	g_assert_null(domain);
}

static void
test_boot_guest(Fixture *fixture, gconstpointer data)
{
	g_autofree char *name = unique_name("boot-ok");
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(JsonObject) options = json_object_new();
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *log = NULL;
	struct stat info;

	if (guest_image == NULL)
		return;
	g_assert_cmpint(g_stat(guest_image, &info), ==, 0);
	spec = make_spec(name, (guint64)info.st_size);
	id = define(fixture, spec, guest_image);
	json_object_set_string_member(options, "marker", TEST_MARKER);
	json_object_set_int_member(options, "timeoutSeconds", 240);
	result = ferry_provider_verify_vm(fixture->provider, id, spec, options, NULL, &error);
	g_assert_no_error(error);
	if (!json_object_get_boolean_member(result, "booted"))
		g_error("the test guest did not boot: %s\n%s",
			json_object_get_string_member(result, "message"),
			json_object_get_string_member(result, "consoleTail"));
	g_assert_cmpstr(json_object_get_string_member(result, "reason"), ==, "MarkerSeen");
	g_assert_nonnull(strstr(json_object_get_string_member(result, "consoleTail"),
				TEST_MARKER));
	g_test_message("booted in %" G_GINT64_FORMAT " s on %s domains",
		       json_object_get_int_member(result, "seconds"),
		       json_object_get_string_member(result, "domainType"));
	/* the whole console is kept, from the kernel's first line */
	g_assert_true(g_file_get_contents(json_object_get_string_member(result, "consoleLog"), &log,
					  NULL, NULL));
	g_assert_nonnull(strstr(log, "Linux version"));
	g_assert_nonnull(strstr(log, TEST_MARKER));
	/* shut down again: the requested power state is off */
	g_assert_false(ferry_libvirt_test_domain_active(fixture->conn, id));
	remove_and_check(fixture, spec, id);
}

static gpointer
cancel_thread(gpointer data)
{
	g_usleep(3 * G_USEC_PER_SEC);
	g_cancellable_cancel(data);
	return NULL;
}

static void
test_blank_disk(Fixture *fixture, gconstpointer data)
{
	g_autofree char *name = unique_name("boot-blank");
	g_autoptr(JsonObject) spec = make_spec(name, 64 << 20);
	g_autoptr(JsonObject) options = json_object_new();
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GThread) canceller = NULL;
	g_autofree char *id = NULL;

	if (guest_image == NULL)
		return;
	id = define(fixture, spec, NULL);
	json_object_set_int_member(options, "timeoutSeconds", 12);
	result = ferry_provider_verify_vm(fixture->provider, id, spec, options, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(json_object_get_boolean_member(result, "booted"));
	g_assert_cmpstr(json_object_get_string_member(result, "reason"), ==, "TimedOut");
	g_assert_true(json_object_has_member(result, "consoleTail"));
	g_assert_true(g_file_test(json_object_get_string_member(result, "consoleLog"),
				  G_FILE_TEST_IS_REGULAR));
	g_assert_cmpint(json_object_get_int_member(result, "seconds"), >=, 12);
	g_assert_false(ferry_libvirt_test_domain_active(fixture->conn, id));

	/* a cancelled check stops the domain and says so */
	json_object_set_int_member(options, "timeoutSeconds", 120);
	canceller = g_thread_new("cancel", cancel_thread, cancellable);
	g_clear_pointer(&result, json_object_unref);
	result = ferry_provider_verify_vm(fixture->provider, id, spec, options, cancellable,
					  &error);
	g_assert_null(result);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_assert_false(ferry_libvirt_test_domain_active(fixture->conn, id));
	remove_and_check(fixture, spec, id);
}

/* EFI with secure boot: libvirt picks Debian's OVMF (ovmf) and makes NVRAM, removed with the VM */
static void
test_efi_secure_boot(Fixture *fixture, gconstpointer data)
{
	g_autofree char *name = unique_name("boot-efi");
	g_autoptr(JsonObject) spec = make_spec(name, 64 << 20);
	g_autoptr(JsonObject) options = json_object_new();
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(JsonObject) firmware = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *nvram = NULL;
	virDomainPtr domain;
	char *xml;

	if (guest_image == NULL)
		return;
	json_object_set_string_member(firmware, "type", "efi");
	json_object_set_boolean_member(firmware, "secureBoot", TRUE);
	json_object_set_object_member(spec, "firmware", g_steal_pointer(&firmware));
	id = define(fixture, spec, NULL);
	json_object_set_int_member(options, "timeoutSeconds", 3);
	result = ferry_provider_verify_vm(fixture->provider, id, spec, options, NULL, &error);
	g_assert_no_error(error);
	g_assert_false(json_object_get_boolean_member(result, "booted"));

	domain = virDomainLookupByName(fixture->conn, id);
	g_assert_nonnull(domain);
	xml = virDomainGetXMLDesc(domain, VIR_DOMAIN_XML_INACTIVE);
	virDomainFree(domain);
	g_assert_nonnull(strstr(xml, "secure='yes'"));
	nvram = g_strdup_printf("/var/lib/libvirt/qemu/nvram/%s_VARS.fd", id);
	free(xml);
	g_assert_true(g_file_test(nvram, G_FILE_TEST_EXISTS));
	remove_and_check(fixture, spec, id);
	g_assert_false(g_file_test(nvram, G_FILE_TEST_EXISTS));
}

/* a folder QEMU's user cannot enter is reported before anything starts */
static void
test_closed_folder(Fixture *fixture, gconstpointer data)
{
	g_autofree char *name = unique_name("closed");
	g_autofree char *closed = NULL;
	g_autofree char *json = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;

	if (guest_image == NULL)
		return;
	closed = g_build_filename(fixture->tmp, "closed", NULL);
	g_assert_cmpint(g_mkdir(closed, 0700), ==, 0);
	json = g_strdup_printf("{\"name\": \"%s\", \"plan\": \"boot-test\", \"disks\": "
			       "[{\"name\": \"%s-0\", \"capacity\": 1048576}]}",
			       name, name);
	spec = ferry_libvirt_test_parse_spec(json);
	{
		g_autoptr(FerryProviderConfig) config =
		    ferry_provider_config_new("libvirt", "ferry", "closed");
		ferry_provider_config_set_url(config, "qemu:///system");
		ferry_provider_config_set_setting(config, "storageDir", closed);
		g_assert_true(ferry_provider_connect(fixture->provider, config, NULL, &error));
		g_assert_no_error(error);
	}
	/* refused when the disk is prepared, before anything is copied into it */
	g_assert_null(ferry_provider_prepare_disk(fixture->provider, spec, 0, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
	g_assert_nonnull(strstr(error->message, "cannot enter"));
	g_assert_nonnull(strstr(error->message, "chmod o+x"));
	g_clear_error(&error);
	/* nothing was prepared, so nothing can be defined either */
	id = ferry_provider_create_vm(fixture->provider, spec, disks, NULL, &error);
	g_assert_null(id);
	g_assert_nonnull(error);
	g_assert_true(ferry_provider_remove_vm(fixture->provider, spec, NULL, NULL));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add("/libvirt/boot/blank-disk", Fixture, NULL, fixture_set_up, test_blank_disk,
		   fixture_tear_down);
	g_test_add("/libvirt/boot/closed-folder", Fixture, NULL, fixture_set_up,
		   test_closed_folder, fixture_tear_down);
	g_test_add("/libvirt/boot/efi-secure-boot", Fixture, NULL, fixture_set_up,
		   test_efi_secure_boot, fixture_tear_down);
	/* the test guest's boot takes minutes under TCG; the end-to-end test
	 * (tests/e2e/real-guest-test.py) boots the converted guest through the
	 * engine; it runs here too with FERRY_LIBVIRT_ALL_GUEST_TESTS=1 */
	if (g_getenv("FERRY_LIBVIRT_ALL_GUEST_TESTS") != NULL)
		g_test_add("/libvirt/boot/test-guest", Fixture, NULL, fixture_set_up,
			   test_boot_guest, fixture_tear_down);
	return g_test_run();
}
