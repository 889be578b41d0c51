/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Real conversions of the test guest (scripts/make-test-guest) through the
 * virt-v2v plugin: one pass from the OVA into a raw target file, and in
 * place after a copy; and a blank disk, which virt-v2v cannot convert.
 * Slow (minutes under TCG): meson suite `real-guest`.
 */

#include "config.h"

#include <glib/gstdio.h>
#include <signal.h>
#include <string.h>

#include "v2v-test-util.h"

#define GUEST_CAPACITY (2 * (gint64)1024 * 1024 * 1024)

/* what virt-v2v leaves in a converted Linux guest: its first-boot runner,
 * which installs the guest agent on the first boot under KVM */
#define FIRSTBOOT_SCRIPT "/usr/lib/virt-sysprep/firstboot.sh"
#define FIRSTBOOT_UNIT "/etc/systemd/system/multi-user.target.wants/guestfs-firstboot.service"

static JsonObject *
guest_spec(const char *name, const char *ova, const char *work)
{
	JsonObject *spec = json_object_new();
	JsonObject *source = json_object_new();
	JsonObject *vm = json_object_new();
	JsonArray *disks = json_array_new();
	JsonObject *disk = json_object_new();

	json_object_set_string_member(spec, "name", name);
	json_object_set_string_member(spec, "plan", "guest-tests");
	json_object_set_string_member(spec, "namespace", "default");
	json_object_set_int_member(spec, "memoryMiB", 1024);
	if (work != NULL)
		json_object_set_string_member(spec, "workDir", work);
	json_object_set_string_member(source, "type", ova != NULL ? "ova" : "test");
	json_object_set_string_member(vm, "name", name);
	if (ova != NULL)
		json_object_set_string_member(vm, "ovfPath", ova);
	json_object_set_object_member(source, "vm", vm);
	json_object_set_object_member(spec, "source", source);
	json_object_set_int_member(disk, "capacity", GUEST_CAPACITY);
	json_array_add_object_element(disks, disk);
	json_object_set_array_member(spec, "disks", disks);
	return spec;
}

static void
assert_converted(const char *disk)
{
	g_autofree char *out = v2v_test_guestfish(disk, "is-file " FIRSTBOOT_SCRIPT "\n"
							"is-symlink " FIRSTBOOT_UNIT "\n");
	g_assert_cmpstr(out, ==, "true\ntrue\n");
}

static void
test_ova_copy_convert(void)
{
	g_autofree char *ova = v2v_test_guest(FALSE);
	g_autoptr(FerryTransferMethod) method = NULL;
	g_autofree char *work = NULL;
	g_autofree char *state = NULL;
	g_autofree char *target = NULL;
	g_autofree char *sources = NULL;
	g_autofree char *targets = NULL;
	g_autofree char *log = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryDiskEndpoint) dst = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(GError) error = NULL;
	GStatBuf info;

	if (ova == NULL || !v2v_test_require_program("virt-v2v"))
		return;
	method = v2v_test_load_method();
	work = g_dir_make_tmp("ferry-v2v-ova-XXXXXX", NULL);
	state = g_build_filename(work, "state", NULL);
	target = g_build_filename(work, "guest-disk-0.img", NULL);
	/* the destination prepared an empty raw file, as the bundle does */
	v2v_test_make_blank_disk(target, GUEST_CAPACITY);
	spec = guest_spec("ferry-test-guest", ova, NULL);
	src = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, ova);
	dst = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, target);
	request = ferry_transfer_request_new(src, dst);
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	ferry_transfer_request_set_vm_spec(request, spec);
	sources = g_strdup_printf("[{\"index\": 0, \"path\": \"%s\", \"format\": \"raw\"}]", ova);
	targets =
	    g_strdup_printf("[{\"index\": 0, \"path\": \"%s\", \"format\": \"raw\"}]", target);
	ferry_transfer_request_set_option(request, "sources", sources);
	ferry_transfer_request_set_option(request, "targets", targets);
	ferry_transfer_request_set_option(request, "stateDir", state);
	g_assert_cmpuint(ferry_transfer_method_supports(method, request), >, 0);

	g_assert_true(ferry_transfer_method_copy(method, request, progress, NULL, &error));
	g_assert_no_error(error);

	/* what the inspection found, handed back to the engine */
	g_assert_cmpstr(ferry_transfer_request_get_option(request, "operatingSystem"), ==,
			"debian12");
	g_assert_cmpstr(ferry_transfer_request_get_option(request, "firmware"), ==, "bios");
	g_assert_cmpstr(ferry_transfer_request_get_option(request, "detectedBootDisk"), ==,
			"/dev/sda1");
	g_assert_cmpuint(ferry_progress_get_total(progress), ==, GUEST_CAPACITY);
	g_assert_cmpuint(ferry_progress_get_done(progress), ==, GUEST_CAPACITY);
	/* virt-v2v wrote through the link into the target file */
	g_assert_cmpint(g_stat(target, &info), ==, 0);
	g_assert_false(g_file_test(target, G_FILE_TEST_IS_SYMLINK));
	g_assert_cmpint(info.st_size, ==, GUEST_CAPACITY);
	g_assert_cmpint(info.st_blocks, >, 0);
	assert_converted(target);
	/* the log stays in the state folder; the work files are gone */
	log = g_build_filename(state, "virt-v2v.log", NULL);
	g_assert_true(g_file_test(log, G_FILE_TEST_IS_REGULAR));
	g_assert_true(g_file_test(g_build_filename(state, "virt-v2v-output.xml", NULL),
				  G_FILE_TEST_IS_REGULAR));
	g_assert_false(g_file_test(g_build_filename(state, "output", NULL), G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test(g_build_filename(state, "tmp", NULL), G_FILE_TEST_EXISTS));
	g_assert_false(v2v_test_process_running(work));
	ferry_files_remove_tree(work, NULL);
}

/* the bundle's qcow2 disks are NBD targets served by qemu-nbd: Ferry's copy
 * engine writes the guest into one, then virt-v2v-in-place converts it
 * through an nbdfuse mount */
static void
test_in_place_after_copy(void)
{
	g_autofree char *image = v2v_test_guest(TRUE);
	g_autoptr(FerryTransferMethod) method = NULL;
	g_autofree char *work = NULL;
	g_autofree char *target = NULL;
	g_autofree char *socket = NULL;
	g_autofree char *uri = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(FerryDiskEndpoint) from = NULL;
	g_autoptr(FerryDiskEndpoint) to = NULL;
	g_autoptr(FerryCopy) copy = NULL;
	g_autoptr(GSubprocess) server = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *size = g_strdup_printf("%" G_GINT64_FORMAT, GUEST_CAPACITY);

	if (image == NULL || !v2v_test_require_program("virt-v2v-in-place") ||
	    !v2v_test_require_program("qemu-nbd") || !v2v_test_require_program("nbdfuse"))
		return;
	method = v2v_test_load_method();
	work = g_dir_make_tmp("ferry-v2v-inplace-XXXXXX", NULL);
	target = g_build_filename(work, "guest-disk-0.qcow2", NULL);
	socket = g_build_filename(work, "nbd.sock", NULL);
	uri = g_strdup_printf("nbd+unix:///?socket=%s", socket);
	g_assert_true(g_spawn_check_wait_status(
	    v2v_test_run("qemu-img", "create", "-q", "-f", "qcow2", target, size, NULL), NULL));
	server = g_subprocess_new(G_SUBPROCESS_FLAGS_NONE, &error, "qemu-nbd", "-f", "qcow2",
				  "--socket", socket, "--persistent", "--shared=4", target, NULL);
	g_assert_no_error(error);
	for (guint i = 0; i < 100 && !g_file_test(socket, G_FILE_TEST_EXISTS); i++)
		g_usleep(100 * G_TIME_SPAN_MILLISECOND);

	/* Ferry's own copy first, as in a warm migration */
	from = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, image);
	to = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_TARGET, uri);
	ferry_disk_endpoint_set_format(from, "raw");
	ferry_disk_endpoint_set_format(to, "raw");
	copy = ferry_copy_new(from, to);
	g_assert_true(ferry_copy_run(copy, NULL, NULL, &error));
	g_assert_no_error(error);

	spec = guest_spec("guest-in-place", NULL, work);
	g_ptr_array_add(disks, g_object_ref(to));
	result = ferry_transfer_method_convert(method, spec, disks, NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(result);
	g_assert_cmpstr(json_object_get_string_member(result, "operatingSystem"), ==, "debian12");
	g_assert_cmpstr(json_object_get_string_member(result, "firmware"), ==, "bios");
	g_assert_cmpstr(json_object_get_string_member(result, "detectedBootDisk"), ==,
			"/dev/sda1");
	/* the mount is gone, the log stays */
	g_assert_false(g_file_test(g_build_filename(work, "nbd", NULL), G_FILE_TEST_EXISTS));
	g_assert_true(g_file_test(g_build_filename(work, "virt-v2v.log", NULL),
				  G_FILE_TEST_IS_REGULAR));
	g_subprocess_send_signal(server, SIGTERM);
	g_subprocess_wait(server, NULL, NULL);
	assert_converted(target);
	g_assert_false(v2v_test_process_running(work));
	ferry_files_remove_tree(work, NULL);
}

static void
test_blank_disk(void)
{
	g_autoptr(FerryTransferMethod) method = NULL;
	g_autofree char *work = NULL;
	g_autofree char *disk = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(GError) error = NULL;

	if (!v2v_test_require_program("virt-v2v-in-place"))
		return;
	method = v2v_test_load_method();
	work = g_dir_make_tmp("ferry-v2v-blank-XXXXXX", NULL);
	disk = g_build_filename(work, "blank.img", NULL);
	v2v_test_make_blank_disk(disk, 64 << 20);
	spec = guest_spec("blank", NULL, work);
	g_ptr_array_add(disks, ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, disk));
	result = ferry_transfer_method_convert(method, spec, disks, NULL, NULL, &error);
	g_assert_null(result);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_FAILED);
	g_test_message("%s", error->message);
	/* names the VM, says why, where the log is, and ends with its messages */
	g_assert_true(g_str_has_prefix(error->message, "VM blank of Plan/guest-tests: "));
	g_assert_nonnull(strstr(error->message, "virt-v2v-in-place failed (exit status 1): "
						"inspection could not detect the source guest"));
	g_assert_nonnull(strstr(error->message, "virt-v2v.log"));
	g_assert_nonnull(strstr(error->message, "Inspecting the source"));
	g_assert_false(v2v_test_process_running(work));
	ferry_files_remove_tree(work, NULL);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/v2v/guest/blank-disk", test_blank_disk);
	/* the one-pass conversion of the OVA is slow under TCG and the end-to-end
	 * test (tests/e2e/real-guest-test.py) makes it through the engine; it runs
	 * here too with FERRY_V2V_ALL_GUEST_TESTS=1 */
	if (g_getenv("FERRY_V2V_ALL_GUEST_TESTS") != NULL)
		g_test_add_func("/v2v/guest/ova-copy-convert", test_ova_copy_convert);
	g_test_add_func("/v2v/guest/in-place-after-copy", test_in_place_after_copy);
	return g_test_run();
}
