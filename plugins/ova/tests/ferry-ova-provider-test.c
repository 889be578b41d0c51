/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The ova provider against real OVAs built here with qemu-img and tar:
 * inventory values, disks read in place through qemu-nbd and nbdkit and
 * compared byte for byte with `qemu-img compare`, compressed OVAs, OVF
 * folders, manifests, URL forms and hostile archives.
 */

#include <ferry.h>
#include <glib/gstdio.h>
#include <string.h>
#include <fcntl.h>
#include <unistd.h>

#include "ferry-ova-archive.h"
#include "ova-test-util.h"

typedef struct {
	char *dir;   /* scratch */
	char *store; /* the Provider URL */
	char *state;
	FerryPluginRegistry *registry;
	FerryProvider *provider;
	FerryInventory *inventory;
} Fixture;

static gboolean
have_tools(void)
{
	const char *tools[] = {"qemu-img", "qemu-io", "qemu-nbd", "nbdkit", "tar", NULL};
	for (guint i = 0; tools[i] != NULL; i++) {
		g_autofree char *path = g_find_program_in_path(tools[i]);
		if (path == NULL) {
			g_autofree char *why = g_strdup_printf("%s is not installed "
							       "(scripts/install-deps)",
							       tools[i]);
			if (g_strcmp0(g_getenv("CI"), "true") == 0)
				g_error("%s", why);
			g_test_skip(why);
			return FALSE;
		}
	}
	return TRUE;
}

static void
run(const char *cwd, const char *first, ...)
{
	g_autoptr(GPtrArray) argv = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *err = NULL;
	int status = 0;
	va_list args;

	va_start(args, first);
	for (const char *arg = first; arg != NULL; arg = va_arg(args, const char *))
		g_ptr_array_add(argv, (gpointer)arg);
	va_end(args);
	g_ptr_array_add(argv, NULL);
	g_spawn_sync(cwd, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL,
		     NULL, NULL, NULL, &err, &status, &error);
	g_assert_no_error(error);
	if (!g_spawn_check_wait_status(status, NULL))
		g_error("%s failed: %s", first, err);
}

static void
fixture_setup(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *db = NULL;

	f->dir = g_dir_make_tmp("ferry-ova-test-XXXXXX", &error);
	g_assert_no_error(error);
	f->store = g_build_filename(f->dir, "store", NULL);
	f->state = g_build_filename(f->dir, "state", NULL);
	g_mkdir(f->store, 0700);
	g_mkdir(f->state, 0700);
	f->registry = ferry_plugin_registry_new();
	ferry_plugin_registry_load(f->registry, &error);
	g_assert_no_error(error);
	f->provider = ferry_plugin_registry_create_provider(f->registry, "ova", &error);
	g_assert_no_error(error);
	g_assert_nonnull(f->provider);
	db = g_build_filename(f->dir, "inventory.db", NULL);
	f->inventory = ferry_inventory_new(db, &error);
	g_assert_no_error(error);
}

static void
fixture_teardown(Fixture *f, gconstpointer data)
{
	g_clear_object(&f->inventory);
	g_clear_object(&f->provider);
	g_clear_object(&f->registry);
	run(NULL, "rm", "-rf", f->dir, NULL);
	g_free(f->dir);
	g_free(f->store);
	g_free(f->state);
}

static gboolean
fixture_connect(Fixture *f, const char *url, GError **error)
{
	g_autoptr(FerryProviderConfig) config =
	    ferry_provider_config_new("ova", "default", "local-ova");
	ferry_provider_config_set_url(config, url);
	ferry_provider_config_set_state_dir(config, f->state);
	return ferry_provider_connect(f->provider, config, NULL, error);
}

/* a raw image of @mib MiB with a distinct pattern at 0 and in the middle */
static char *
make_raw(const char *dir, const char *name, guint mib, guint pattern)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autofree char *size = g_strdup_printf("%uM", mib);
	g_autofree char *write1 = g_strdup_printf("write -P 0x%02x 0 512k", pattern);
	g_autofree char *write2 = g_strdup_printf("write -P 0x%02x %uM 64k", pattern + 1, mib / 2);
	run(NULL, "qemu-img", "create", "-q", "-f", "raw", path, size, NULL);
	run(NULL, "qemu-io", "-f", "raw", "-c", write1, "-c", write2, path, NULL);
	return g_steal_pointer(&path);
}

typedef struct {
	const char *file;    /* member name */
	const char *format;  /* OVF format URI */
	guint64 capacity;
} TestDisk;

typedef struct {
	const char *mac;
	const char *network;
	const char *model;
} TestNic;

static char *
make_ovf(const char *name,
	 const TestDisk *disks,
	 guint n_disks,
	 const TestNic *nics,
	 guint n_nics,
	 gboolean efi)
{
	GString *ovf = g_string_new(NULL);
	g_autoptr(GHashTable) networks = g_hash_table_new(g_str_hash, g_str_equal);
	guint instance = 10;

	g_string_append(ovf,
			"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
			"<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
			"xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
			"xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
			"CIM_ResourceAllocationSettingData\" "
			"xmlns:vssd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
			"CIM_VirtualSystemSettingData\" "
			"xmlns:vmw=\"http://www.vmware.com/schema/ovf\">\n<References>\n");
	for (guint i = 0; i < n_disks; i++)
		g_string_append_printf(ovf, "<File ovf:href=\"%s\" ovf:id=\"file%u\"/>\n",
				       disks[i].file, i);
	g_string_append(ovf, "</References>\n<DiskSection><Info>disks</Info>\n");
	for (guint i = 0; i < n_disks; i++)
		g_string_append_printf(ovf,
				       "<Disk ovf:capacity=\"%" G_GUINT64_FORMAT
				       "\" ovf:capacityAllocationUnits=\"byte * 2^20\" "
				       "ovf:diskId=\"vmdisk%u\" ovf:fileRef=\"file%u\" "
				       "ovf:format=\"%s\"/>\n",
				       disks[i].capacity >> 20, i, i, disks[i].format);
	g_string_append(ovf, "</DiskSection>\n<NetworkSection><Info>networks</Info>\n");
	for (guint i = 0; i < n_nics; i++) {
		if (g_hash_table_add(networks, (gpointer)nics[i].network))
			g_string_append_printf(ovf, "<Network ovf:name=\"%s\"/>\n",
					       nics[i].network);
	}
	g_string_append_printf(
	    ovf,
	    "</NetworkSection>\n<VirtualSystem ovf:id=\"%s\"><Info>A VM</Info><Name>%s</Name>\n"
	    "<OperatingSystemSection ovf:id=\"96\" vmw:osType=\"debian11_64Guest\">"
	    "<Info>os</Info></OperatingSystemSection>\n"
	    "<VirtualHardwareSection><Info>hw</Info>\n"
	    "<System><vssd:InstanceID>0</vssd:InstanceID>"
	    "<vssd:VirtualSystemType>vmx-19</vssd:VirtualSystemType></System>\n"
	    "<Item><rasd:AllocationUnits>hertz * 10^6</rasd:AllocationUnits>"
	    "<rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>3</rasd:ResourceType>"
	    "<rasd:VirtualQuantity>4</rasd:VirtualQuantity>"
	    "<vmw:CoresPerSocket ovf:required=\"false\">2</vmw:CoresPerSocket></Item>\n"
	    "<Item><rasd:AllocationUnits>byte * 2^30</rasd:AllocationUnits>"
	    "<rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>4</rasd:ResourceType>"
	    "<rasd:VirtualQuantity>2</rasd:VirtualQuantity></Item>\n"
	    "<Item><rasd:Address>0</rasd:Address><rasd:InstanceID>3</rasd:InstanceID>"
	    "<rasd:ResourceSubType>VirtualSCSI</rasd:ResourceSubType>"
	    "<rasd:ResourceType>6</rasd:ResourceType></Item>\n",
	    name, name);
	for (guint i = 0; i < n_disks; i++)
		g_string_append_printf(ovf,
				       "<Item><rasd:AddressOnParent>%u</rasd:AddressOnParent>"
				       "<rasd:HostResource>ovf:/disk/vmdisk%u</rasd:HostResource>"
				       "<rasd:InstanceID>%u</rasd:InstanceID>"
				       "<rasd:Parent>3</rasd:Parent>"
				       "<rasd:ResourceType>17</rasd:ResourceType></Item>\n",
				       i, i, instance++);
	for (guint i = 0; i < n_nics; i++)
		g_string_append_printf(ovf,
				       "<Item><rasd:Address>%s</rasd:Address>"
				       "<rasd:Connection>%s</rasd:Connection>"
				       "<rasd:ElementName>Network adapter %u</rasd:ElementName>"
				       "<rasd:InstanceID>%u</rasd:InstanceID>"
				       "<rasd:ResourceSubType>%s</rasd:ResourceSubType>"
				       "<rasd:ResourceType>10</rasd:ResourceType></Item>\n",
				       nics[i].mac, nics[i].network, i + 1, instance++,
				       nics[i].model);
	if (efi)
		g_string_append(ovf, "<vmw:Config ovf:required=\"false\" vmw:key=\"firmware\" "
				     "vmw:value=\"efi\"/>\n<vmw:Config ovf:required=\"false\" "
				     "vmw:key=\"bootOptions.efiSecureBootEnabled\" "
				     "vmw:value=\"true\"/>\n");
	g_string_append(ovf, "</VirtualHardwareSection></VirtualSystem></Envelope>\n");
	return g_string_free(ovf, FALSE);
}

static void
write_file(const char *dir, const char *name, const char *contents)
{
	g_autofree char *path = g_build_filename(dir, name, NULL);
	g_autoptr(GError) error = NULL;
	g_file_set_contents(path, contents, -1, &error);
	g_assert_no_error(error);
}

/* `SHA256(name)= hex` lines, or the older spaced SHA1 form */
static void
write_manifest(const char *dir, const char *mf, const char *const *files, gboolean sha1_spaced)
{
	GString *text = g_string_new(NULL);
	g_autofree char *contents = NULL;
	for (guint i = 0; files[i] != NULL; i++) {
		g_autofree char *path = g_build_filename(dir, files[i], NULL);
		g_autofree char *data = NULL;
		g_autofree char *hex = NULL;
		gsize length = 0;
		g_assert_true(g_file_get_contents(path, &data, &length, NULL));
		hex = g_compute_checksum_for_data(sha1_spaced ? G_CHECKSUM_SHA1 : G_CHECKSUM_SHA256,
						  (const guchar *)data, length);
		if (sha1_spaced)
			g_string_append_printf(text, "SHA1 (%s) = %s\n", files[i], hex);
		else
			g_string_append_printf(text, "SHA256(%s)= %s\n", files[i], hex);
	}
	contents = g_string_free(text, FALSE);
	write_file(dir, mf, contents);
}

static JsonObject *
only_vm_named(Fixture *f, const char *name)
{
	g_autoptr(GError) error = NULL;
	JsonObject *vm = ferry_inventory_find_by_name(f->inventory, "local-ova", "vm", name, &error);
	g_assert_no_error(error);
	g_assert_nonnull(vm);
	return vm;
}

static void
assert_same_disk(const char *raw, FerryDiskEndpoint *endpoint)
{
	const char *uri = ferry_disk_endpoint_get_uri(endpoint);
	const char *path = ferry_disk_endpoint_get_path(endpoint);
	g_autofree char *out = NULL;
	int status = 0;
	const char *argv[] = {"qemu-img", "compare", "-q", "-f", "raw", "-F", "raw", raw,
			      uri != NULL ? uri : path, NULL};
	g_autoptr(GError) error = NULL;
	g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL, &status,
		     &error);
	g_assert_no_error(error);
	g_assert_true(g_spawn_check_wait_status(status, NULL));
}

static void
test_vmdk_ova(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *raw = NULL;
	g_autofree char *ovf = NULL;
	g_autofree char *ova = g_build_filename(f->store, "web.ova", NULL);
	g_autofree char *vmdk = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(GPtrArray) networks = NULL;
	g_autoptr(GPtrArray) storages = NULL;
	g_autofree char *socket = NULL;
	g_autofree char *cache = g_build_filename(f->state, "ova-cache", NULL);
	const TestDisk disks[] = {{"web-disk1.vmdk",
				   "http://www.vmware.com/interfaces/specifications/"
				   "vmdk.html#streamOptimized",
				   64 << 20}};
	const TestNic nics[] = {{"00:50:56:aa:bb:01", "VM Network", "VmxNet3"},
				{"00:50:56:aa:bb:02", "Backend", "E1000e"}};
	const char *files[] = {"web.ovf", "web-disk1.vmdk", NULL};
	JsonArray *vm_disks;
	JsonArray *vm_nics;
	JsonObject *disk;

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	raw = make_raw(work, "web.raw", 64, 0x5a);
	vmdk = g_build_filename(work, "web-disk1.vmdk", NULL);
	run(NULL, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, vmdk,
	    NULL);
	ovf = make_ovf("web", disks, 1, nics, 2, TRUE);
	write_file(work, "web.ovf", ovf);
	write_manifest(work, "web.mf", files, FALSE);
	run(work, "tar", "--format=ustar", "-cf", ova, "web.ovf", "web.mf", "web-disk1.vmdk", NULL);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);

	vm = only_vm_named(f, "web");
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), ==, 4);
	g_assert_cmpint(json_object_get_int_member(vm, "coresPerSocket"), ==, 2);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 2048);
	g_assert_cmpstr(json_object_get_string_member(vm, "memoryUnits"), ==, "byte * 2^30");
	g_assert_cmpstr(json_object_get_string_member(vm, "firmware"), ==, "efi");
	g_assert_true(json_object_get_boolean_member(vm, "secureBoot"));
	g_assert_cmpstr(json_object_get_string_member(vm, "osType"), ==, "debian11_64Guest");
	g_assert_cmpstr(json_object_get_string_member(vm, "ovaSource"), ==, "VMware");
	g_assert_cmpstr(json_object_get_string_member(vm, "exportSource"), ==, "VMware");
	g_assert_cmpstr(json_object_get_string_member(vm, "ovfPath"), ==, ova);
	g_assert_false(json_object_get_boolean_member(vm, "faultToleranceEnabled"));
	{
		GStatBuf st;
		g_assert_cmpint(g_stat(vmdk, &st), ==, 0);
		g_assert_cmpint(json_object_get_int_member(vm, "storageUsed"), ==, st.st_size);
	}
	vm_disks = json_object_get_array_member(vm, "disks");
	g_assert_cmpuint(json_array_get_length(vm_disks), ==, 1);
	disk = json_array_get_object_element(vm_disks, 0);
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, 64 << 20);
	g_assert_cmpstr(json_object_get_string_member(disk, "filePath"), ==, "web-disk1.vmdk");
	g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "scsi");
	vm_nics = json_object_get_array_member(vm, "nics");
	g_assert_cmpuint(json_array_get_length(vm_nics), ==, 2);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(vm_nics, 1),
						      "mac"),
			==, "00:50:56:aa:bb:02");
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(vm_nics, 1),
						      "network"),
			==, "Backend");
	networks = ferry_inventory_list(f->inventory, "local-ova", "network", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(networks->len, ==, 2);
	storages = ferry_inventory_list(f->inventory, "local-ova", "storage", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(storages->len, ==, 1);

	/* the disk is served from inside the tar through qemu's VMDK decoder */
	endpoint = ferry_provider_open_disk(f->provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(disk, "id"), NULL, NULL,
					    &error);
	g_assert_no_error(error);
	g_assert_nonnull(ferry_disk_endpoint_get_uri(endpoint));
	g_assert_cmpuint(ferry_disk_endpoint_get_size(endpoint), ==, 64 << 20);
	assert_same_disk(raw, endpoint);
	socket = g_strdup(strstr(ferry_disk_endpoint_get_uri(endpoint), "socket=") + 7);
	g_assert_true(g_file_test(socket, G_FILE_TEST_EXISTS));
	g_assert_true(ferry_disk_endpoint_close(endpoint, &error));
	g_assert_false(g_file_test(socket, G_FILE_TEST_EXISTS));
	g_clear_object(&endpoint);

	/* a package changed after a successful check is checked again */
	{
		g_autoptr(FerryOvaArchive) archive = ferry_ova_archive_open(ova, &error);
		const FerryOvaMember *member = ferry_ova_archive_find(archive, "web-disk1.vmdk");
		int fd = g_open(ova, O_WRONLY, 0);
		g_assert_cmpint(fd, >=, 0);
		g_assert_cmpint(pwrite(fd, "X", 1, (off_t)(member->offset + member->size / 2)), ==, 1);
		close(fd);
	}
	endpoint = ferry_provider_open_disk(f->provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(disk, "id"), NULL, NULL,
					    &error);
	g_assert_null(endpoint);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
	g_assert_nonnull(strstr(error->message, "web-disk1.vmdk"));
	g_clear_error(&error);
	/* nothing was unpacked for an uncompressed OVA */
	g_assert_false(g_file_test(cache, G_FILE_TEST_EXISTS));
}

static void
test_many_ovas(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *gz_work = g_build_filename(f->dir, "gz", NULL);
	g_autofree char *sub = g_build_filename(f->store, "team-a", NULL);
	g_autofree char *ova = g_build_filename(sub, "db.ova", NULL);
	g_autofree char *gz_ova = g_build_filename(f->store, "small.ova", NULL);
	g_autofree char *raw1 = NULL, *raw2 = NULL, *raw3 = NULL, *raw4 = NULL;
	g_autofree char *ovf = NULL, *gz_ovf = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) vms = NULL;
	const TestDisk disks[] = {
	    {"db-1.vmdk", "http://www.vmware.com/interfaces/specifications/vmdk.html#sparse",
	     32 << 20},
	    {"db-2.qcow2", "http://www.gnome.org/~markmc/qcow-image-format.html", 16 << 20},
	    {"db-3.img", "http://www.vmware.com/interfaces/specifications/vmdk.html", 8 << 20}};
	const TestDisk gz_disks[] = {
	    {"small-1.vmdk",
	     "http://www.vmware.com/interfaces/specifications/vmdk.html#streamOptimized", 8 << 20}};
	const TestNic nics[] = {{"52:54:00:00:00:01", "VM Network", "VmxNet3"}};
	const char *files[] = {"db.ovf", "db-1.vmdk", "db-2.qcow2", "db-3.img", NULL};
	const char *gz_files[] = {"small.ovf", "small-1.vmdk", NULL};
	const char *raws[4];
	g_autofree char *cache = g_build_filename(f->state, "ova-cache", NULL);

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	g_mkdir(gz_work, 0700);
	g_mkdir(sub, 0700);
	raw1 = make_raw(work, "1.raw", 32, 0x11);
	raw2 = make_raw(work, "2.raw", 16, 0x22);
	raw3 = make_raw(work, "db-3.img", 8, 0x33);
	raw4 = make_raw(gz_work, "4.raw", 8, 0x44);
	run(work, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=monolithicSparse", raw1,
	    "db-1.vmdk", NULL);
	run(work, "qemu-img", "convert", "-O", "qcow2", raw2, "db-2.qcow2", NULL);
	/* a member whose size is not whole sectors, as qcow2 files can be */
	run(work, "truncate", "-s", "+100", "db-2.qcow2", NULL);
	run(gz_work, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw4,
	    "small-1.vmdk", NULL);
	ovf = make_ovf("db", disks, 3, nics, 1, FALSE);
	write_file(work, "db.ovf", ovf);
	write_manifest(work, "db.mf", files, TRUE);
	/* packed in a folder inside the tar, as some exporters do */
	run(f->dir, "tar", "--format=ustar", "-cf", ova, "work/db.ovf", "work/db.mf",
	    "work/db-1.vmdk", "work/db-2.qcow2", "work/db-3.img", NULL);
	gz_ovf = make_ovf("small", gz_disks, 1, nics, 1, FALSE);
	write_file(gz_work, "small.ovf", gz_ovf);
	write_manifest(gz_work, "small.mf", gz_files, FALSE);
	run(gz_work, "tar", "--format=ustar", "-czf", gz_ova, "small.ovf", "small.mf",
	    "small-1.vmdk", NULL);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);
	vms = ferry_inventory_list(f->inventory, "local-ova", "vm", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(vms->len, ==, 2);

	raws[0] = raw1;
	raws[1] = raw2;
	raws[2] = raw3;
	raws[3] = raw4;
	for (guint i = 0; i < 2; i++) {
		g_autoptr(JsonObject) vm = only_vm_named(f, i == 0 ? "db" : "small");
		JsonArray *vm_disks = json_object_get_array_member(vm, "disks");
		g_assert_cmpuint(json_array_get_length(vm_disks), ==, i == 0 ? 3 : 1);
		for (guint d = 0; d < json_array_get_length(vm_disks); d++) {
			JsonObject *disk = json_array_get_object_element(vm_disks, d);
			g_autoptr(FerryDiskEndpoint) endpoint = ferry_provider_open_disk(
			    f->provider, json_object_get_string_member(vm, "id"),
			    json_object_get_string_member(disk, "id"), NULL, NULL, &error);
			g_assert_no_error(error);
			g_assert_cmpint(ferry_disk_endpoint_get_size(endpoint), ==,
					json_object_get_int_member(disk, "capacity"));
			assert_same_disk(raws[i == 0 ? d : 3], endpoint);
			g_assert_true(ferry_disk_endpoint_close(endpoint, NULL));
		}
	}
	/* the gzip'ed OVA was unpacked into the cache under the state directory */
	g_assert_true(g_file_test(cache, G_FILE_TEST_IS_DIR));
}

static void
test_bad_manifest(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *ova = g_build_filename(f->store, "bad.ova", NULL);
	g_autofree char *raw = NULL, *ovf = NULL, *mf = NULL, *mf_path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	const TestDisk disks[] = {{"bad-1.img", "raw", 4 << 20}};
	const char *files[] = {"bad.ovf", "bad-1.img", NULL};
	JsonObject *disk;
	char *digest;

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	raw = make_raw(work, "bad-1.img", 4, 0x66);
	ovf = make_ovf("bad", disks, 1, NULL, 0, FALSE);
	write_file(work, "bad.ovf", ovf);
	write_manifest(work, "bad.mf", files, FALSE);
	/* flip one hex digit of the disk's digest */
	mf_path = g_build_filename(work, "bad.mf", NULL);
	g_assert_true(g_file_get_contents(mf_path, &mf, NULL, NULL));
	digest = strstr(mf, "SHA256(bad-1.img)= ") + strlen("SHA256(bad-1.img)= ");
	digest[0] = digest[0] == '0' ? '1' : '0';
	write_file(work, "bad.mf", mf);
	run(work, "tar", "--format=ustar", "-cf", ova, "bad.ovf", "bad.mf", "bad-1.img", NULL);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);
	vm = only_vm_named(f, "bad");
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	endpoint = ferry_provider_open_disk(f->provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(disk, "id"), NULL, NULL,
					    &error);
	g_assert_null(endpoint);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_VERIFY_FAILED);
	g_assert_nonnull(strstr(error->message, "bad-1.img"));
	g_assert_nonnull(strstr(error->message, "bad.mf"));
}

static void
test_ovf_folder(Fixture *f, gconstpointer data)
{
	g_autofree char *folder = g_build_filename(f->store, "app", NULL);
	g_autofree char *raw = NULL, *ovf = NULL, *url = NULL, *ovf_path = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	const TestDisk disks[] = {{"app-1.img", "raw", 4 << 20}};
	const char *files[] = {"app.ovf", "app-1.img", NULL};
	JsonObject *disk;

	if (!have_tools())
		return;
	g_mkdir(folder, 0700);
	raw = make_raw(folder, "app-1.img", 4, 0x77);
	ovf = make_ovf("app", disks, 1, NULL, 0, FALSE);
	write_file(folder, "app.ovf", ovf);
	write_manifest(folder, "app.mf", files, TRUE);
	/* a file:// URL naming the descriptor itself */
	ovf_path = g_build_filename(folder, "app.ovf", NULL);
	url = g_filename_to_uri(ovf_path, NULL, NULL);
	g_assert_true(fixture_connect(f, url, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);
	vm = only_vm_named(f, "app");
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	endpoint = ferry_provider_open_disk(f->provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(disk, "id"), NULL, NULL,
					    &error);
	g_assert_no_error(error);
	/* a plain raw file needs no server */
	g_assert_cmpstr(ferry_disk_endpoint_get_path(endpoint), ==, raw);
	assert_same_disk(raw, endpoint);
}

static void
test_urls(Fixture *f, gconstpointer data)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *missing = g_build_filename(f->dir, "nope", NULL);
	g_autofree char *mount_nfs = g_find_program_in_path("mount.nfs");

	g_assert_false(fixture_connect(f, "", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "spec.url"));
	g_clear_error(&error);
	g_assert_false(fixture_connect(f, "relative/dir", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(fixture_connect(f, "https://example.invalid/x.ova", &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);
	g_assert_false(fixture_connect(f, missing, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, missing));
	g_clear_error(&error);
	/* Forklift's NFS form: never actually mounted here (no network) */
	if (mount_nfs == NULL && !g_file_test("/sbin/mount.nfs", G_FILE_TEST_EXISTS)) {
		g_assert_false(fixture_connect(f, "nfs.example.invalid:/exports/ova", &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED);
		g_assert_nonnull(strstr(error->message, "mount -t nfs -o ro"));
		g_assert_nonnull(strstr(error->message, "nfs.example.invalid:/exports/ova"));
	}
}

/* --- hostile archives, written with libarchive so every case is exact --- */

static void
assert_refused(const char *path, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryOvaArchive) archive = ferry_ova_archive_open(path, &error);
	g_assert_null(archive);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	if (strstr(error->message, expected) == NULL)
		g_error("expected \"%s\" in: %s", expected, error->message);
}

static void
test_hostile_archives(Fixture *f, gconstpointer data)
{
	const Entry dotdot[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"../evil.vmdk", ENTRY_FILE, "x"}};
	const Entry absolute[] = {{"/tmp/evil.vmdk", ENTRY_FILE, "x"}};
	const Entry symlink[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"disk.vmdk", ENTRY_SYMLINK, NULL}};
	const Entry hardlink[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"disk.vmdk", ENTRY_HARDLINK, NULL}};
	const Entry device[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"disk.vmdk", ENTRY_DEVICE, NULL}};
	const Entry duplicate[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"./a.ovf", ENTRY_FILE, "<y/>"}};
	const Entry bomb[] = {
	    {"bomb.ovf", ENTRY_FILE,
	     "<?xml version=\"1.0\"?><!DOCTYPE lolz [<!ENTITY lol \"lol\">"
	     "<!ENTITY lol2 \"&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;\">]>"
	     "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\">&lol2;</Envelope>"}};
	g_autofree char *hostile = g_build_filename(f->dir, "hostile", NULL);
	g_autofree char *path = NULL;
	g_autofree char *big = NULL;
	g_autofree char *truncated = NULL;
	g_autofree char *evil = g_build_filename(f->dir, "evil.vmdk", NULL);
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) state = NULL;
	GString *large = NULL;

	g_mkdir(hostile, 0700);
	g_free(path);
	path = write_tar(hostile, "dotdot.ova", dotdot, 2, FALSE);
	assert_refused(path, "\"..\"");
	g_free(path);
	path = write_tar(hostile, "absolute.ova", absolute, 1, FALSE);
	assert_refused(path, "absolute name");
	g_free(path);
	path = write_tar(hostile, "symlink.ova", symlink, 2, FALSE);
	assert_refused(path, "symbolic link");
	g_free(path);
	path = write_tar(hostile, "hardlink.ova", hardlink, 2, FALSE);
	assert_refused(path, "hard link");
	g_free(path);
	path = write_tar(hostile, "device.ova", device, 2, FALSE);
	assert_refused(path, "device");
	g_free(path);
	path = write_tar(hostile, "duplicate.ova", duplicate, 2, FALSE);
	assert_refused(path, "appears twice");

	/* a member claiming more bytes than the archive has */
	large = g_string_new(NULL);
	for (guint i = 0; i < 4096; i++)
		g_string_append(large, "0123456789abcdef");
	{
		const Entry sized[] = {{"a.ovf", ENTRY_FILE, "<x/>"}, {"disk.img", ENTRY_FILE, large->str}};
		g_free(path);
		path = write_tar(hostile, "truncated.ova", sized, 2, FALSE);
	}
	g_string_free(large, TRUE);
	g_assert_cmpint(truncate(path, 8192), ==, 0);
	assert_refused(path, "truncated");
	truncated = g_strdup(path);

	/* the provider skips them all with a clear error and writes nothing */
	g_free(path);
	path = write_tar(hostile, "dotdot.tgz.ova", dotdot, 2, TRUE);
	assert_refused(path, "\"..\"");
	g_free(path);
	path = write_tar(hostile, "bomb.ova", bomb, 1, FALSE);
	g_assert_true(fixture_connect(f, hostile, &error));
	g_assert_no_error(error);
	g_assert_false(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "no OVA"));
	g_clear_error(&error);
	g_assert_false(g_file_test(evil, G_FILE_TEST_EXISTS));
	g_assert_false(g_file_test("/tmp/evil.vmdk", G_FILE_TEST_EXISTS));
	state = g_dir_open(f->state, 0, NULL);
	g_assert_null(g_dir_read_name(state)); /* not even a cache directory */

	/* an OVF over the size limit is refused before parsing */
	big = g_malloc0(9 * 1024 * 1024 + 1);
	memset(big, ' ', 9 * 1024 * 1024);
	{
		const Entry oversized[] = {{"big.ovf", ENTRY_FILE, big}};
		g_autofree char *big_dir = g_build_filename(f->dir, "big", NULL);
		g_autofree char *big_path = NULL;
		g_mkdir(big_dir, 0700);
		big_path = write_tar(big_dir, "big.ova", oversized, 1, FALSE);
		g_assert_true(fixture_connect(f, big_path, &error));
		g_assert_false(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
		g_assert_nonnull(strstr(error->message, "over the limit"));
	}
}

static const char collection_ovf[] =
    "<Envelope xmlns=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:ovf=\"http://schemas.dmtf.org/ovf/envelope/1\" "
    "xmlns:rasd=\"http://schemas.dmtf.org/wbem/wscim/1/cim-schema/2/"
    "CIM_ResourceAllocationSettingData\">"
    "<References><File ovf:href=\"front.img\" ovf:id=\"f1\"/>"
    "<File ovf:href=\"back.qcow2\" ovf:id=\"f2\"/></References>"
    "<DiskSection><Info>d</Info>"
    "<Disk ovf:capacity=\"4194304\" ovf:diskId=\"d1\" ovf:fileRef=\"f1\" ovf:format=\"raw\"/>"
    "<Disk ovf:capacity=\"8\" ovf:capacityAllocationUnits=\"byte * 2^20\" ovf:diskId=\"d2\" "
    "ovf:fileRef=\"f2\"/></DiskSection>"
    "<NetworkSection><Info>n</Info><Network ovf:name=\"app\"/></NetworkSection>"
    "<VirtualSystemCollection ovf:id=\"shop\"><Info>vApp</Info>"
    "<VirtualSystem ovf:id=\"0f0e0d0c-0b0a-0908-0706-050403020100\"><Info>v</Info>"
    "<Name>front</Name><VirtualHardwareSection><Info>h</Info>"
    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>"
    "<rasd:HostResource>ovf:/disk/d1</rasd:HostResource></Item>"
    "<Item><rasd:Connection>app</rasd:Connection><rasd:Address>52:54:00:12:34:56</rasd:Address>"
    "<rasd:InstanceID>2</rasd:InstanceID><rasd:ResourceType>10</rasd:ResourceType></Item>"
    "</VirtualHardwareSection></VirtualSystem>"
    "<VirtualSystem ovf:id=\"back\"><Info>v</Info><VirtualHardwareSection><Info>h</Info>"
    "<Item><rasd:InstanceID>1</rasd:InstanceID><rasd:ResourceType>17</rasd:ResourceType>"
    "<rasd:HostResource>ovf:/disk/d2</rasd:HostResource></Item>"
    "</VirtualHardwareSection></VirtualSystem></VirtualSystemCollection></Envelope>";

typedef struct {
	GMainLoop *loop;
	guint pending;
	GPtrArray *endpoints;
} Opening;

static void
on_opened(GObject *source, GAsyncResult *result, gpointer user_data)
{
	Opening *opening = user_data;
	g_autoptr(GError) error = NULL;
	FerryDiskEndpoint *endpoint =
	    ferry_provider_open_disk_finish(FERRY_PROVIDER(source), result, &error);
	g_assert_no_error(error);
	g_ptr_array_add(opening->endpoints, endpoint);
	if (--opening->pending == 0)
		g_main_loop_quit(opening->loop);
}

static void
test_collection_xz(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *ova = g_build_filename(f->store, "shop.ova", NULL);
	g_autofree char *front = NULL, *back = NULL, *back_qcow2 = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) vms = NULL;
	g_autoptr(JsonObject) front_vm = NULL;
	g_autoptr(JsonObject) back_vm = NULL;
	g_autoptr(GMainLoop) loop = g_main_loop_new(NULL, FALSE);
	g_autoptr(GPtrArray) endpoints = g_ptr_array_new_with_free_func(g_object_unref);
	Opening opening = {loop, 0, endpoints};
	JsonObject *vms_by_order[2];
	const char *raws[2];

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	front = make_raw(work, "front.img", 4, 0x21);
	back = make_raw(work, "back.raw", 8, 0x31);
	back_qcow2 = g_build_filename(work, "back.qcow2", NULL);
	run(NULL, "qemu-img", "convert", "-O", "qcow2", back, back_qcow2, NULL);
	write_file(work, "shop.ovf", collection_ovf);
	run(work, "tar", "--format=ustar", "-cJf", ova, "shop.ovf", "front.img", "back.qcow2", NULL);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);
	vms = ferry_inventory_list(f->inventory, "local-ova", "vm", &error);
	g_assert_cmpuint(vms->len, ==, 2);
	front_vm = only_vm_named(f, "front");
	back_vm = only_vm_named(f, "back");
	/* a UUID VirtualSystem id is the VM id, as in Forklift */
	g_assert_cmpstr(json_object_get_string_member(front_vm, "id"), ==,
			"0f0e0d0c-0b0a-0908-0706-050403020100");
	g_assert_cmpstr(json_object_get_string_member(back_vm, "ovfPath"), ==, ova);
	g_assert_cmpuint(strlen(json_object_get_string_member(back_vm, "id")), ==, 36);

	/* every disk opened at once, from worker threads */
	vms_by_order[0] = front_vm;
	vms_by_order[1] = back_vm;
	raws[0] = front;
	raws[1] = back;
	for (guint i = 0; i < 2; i++) {
		JsonObject *disk = json_array_get_object_element(
		    json_object_get_array_member(vms_by_order[i], "disks"), 0);
		opening.pending++;
		ferry_provider_open_disk_async(f->provider,
					       json_object_get_string_member(vms_by_order[i], "id"),
					       json_object_get_string_member(disk, "id"), NULL, NULL,
					       on_opened, &opening);
	}
	g_main_loop_run(loop);
	g_assert_cmpuint(endpoints->len, ==, 2);
	for (guint i = 0; i < 2; i++) {
		FerryDiskEndpoint *endpoint = g_ptr_array_index(endpoints, i);
		gboolean is_front = ferry_disk_endpoint_get_size(endpoint) == 4 << 20;
		assert_same_disk(raws[is_front ? 0 : 1], endpoint);
	}
}

static void
test_truncated_gzip(Fixture *f, gconstpointer data)
{
	g_autofree char *hostile = g_build_filename(f->dir, "gz", NULL);
	g_autofree char *path = NULL;
	g_autofree char *large = g_strnfill(256 * 1024, 'x');
	g_autoptr(GError) error = NULL;
	g_autoptr(GDir) state = NULL;
	g_autofree char *cache = g_build_filename(f->state, "ova-cache", NULL);
	const Entry big[] = {{"a.ovf", ENTRY_FILE, "<Envelope/>"}, {"d.img", ENTRY_FILE, large}};
	GStatBuf st;

	g_mkdir(hostile, 0700);
	path = write_tar(hostile, "cut.ova", big, 2, TRUE);
	g_assert_cmpint(g_stat(path, &st), ==, 0);
	/* cut the compressed stream in the middle of d.img */
	g_assert_cmpint(truncate(path, st.st_size / 2), ==, 0);
	g_assert_true(fixture_connect(f, hostile, &error));
	g_assert_false(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	/* the half-unpacked package was removed */
	state = g_dir_open(cache, 0, NULL);
	while (state != NULL && g_dir_read_name(state) != NULL)
		g_assert_not_reached();
}

/* images that would make qemu read other files of this machine */
static void
test_escaping_images(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *secret = NULL;
	g_autofree char *ova = g_build_filename(f->store, "overlay.ova", NULL);
	g_autofree char *folder = g_build_filename(f->store, "flat", NULL);
	g_autofree char *flat_raw = NULL;
	g_autofree char *descriptor_path = NULL;
	g_autofree char *descriptor = NULL;
	g_autofree char *backing = NULL;
	g_autofree char *ovf = NULL;
	g_autoptr(GError) error = NULL;
	const TestDisk overlay_disks[] = {{"overlay-1.qcow2", "qcow2", 4 << 20}};
	const TestDisk flat_disks[] = {{"flat-1.vmdk", "vmdk", 4 << 20}};
	const char *names[] = {"overlay", "flat"};
	char *extent;

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	g_mkdir(folder, 0700);
	secret = make_raw(work, "secret.raw", 4, 0x99);
	/* a qcow2 whose backing file is a file of this machine */
	backing = g_strdup_printf("backing_file=%s,backing_fmt=raw", secret);
	run(work, "qemu-img", "create", "-q", "-f", "qcow2", "-o", backing, "overlay-1.qcow2", "4M",
	    NULL);
	ovf = make_ovf("overlay", overlay_disks, 1, NULL, 0, FALSE);
	write_file(work, "overlay.ovf", ovf);
	run(work, "tar", "--format=ustar", "-cf", ova, "overlay.ovf", "overlay-1.qcow2", NULL);
	/* a folder whose VMDK descriptor names an extent outside it */
	flat_raw = make_raw(work, "flat.raw", 4, 0x44);
	run(folder, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=monolithicFlat",
	    flat_raw, "flat-1.vmdk", NULL);
	descriptor_path = g_build_filename(folder, "flat-1.vmdk", NULL);
	g_assert_true(g_file_get_contents(descriptor_path, &descriptor, NULL, NULL));
	extent = strstr(descriptor, "\"flat-1-flat.vmdk\"");
	g_assert_nonnull(extent);
	g_free(ovf);
	ovf = make_ovf("flat", flat_disks, 1, NULL, 0, FALSE);
	write_file(folder, "flat.ovf", ovf);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);

	/* the honest flat VMDK in its folder is served and reads right */
	for (guint round = 0; round < 2; round++) {
		for (guint i = 0; i < G_N_ELEMENTS(names); i++) {
			g_autoptr(JsonObject) vm = only_vm_named(f, names[i]);
			JsonObject *disk = json_array_get_object_element(
			    json_object_get_array_member(vm, "disks"), 0);
			g_autoptr(FerryDiskEndpoint) endpoint = ferry_provider_open_disk(
			    f->provider, json_object_get_string_member(vm, "id"),
			    json_object_get_string_member(disk, "id"), NULL, NULL, &error);
			if (i == 1 && round == 0) {
				g_assert_no_error(error);
				assert_same_disk(flat_raw, endpoint);
				continue;
			}
			g_assert_null(endpoint);
			g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
			if (strstr(error->message, i == 0 ? "delta disk" : "outside the package") ==
			    NULL)
				g_error("unexpected: %s", error->message);
			g_assert_nonnull(strstr(error->message, secret));
			g_clear_error(&error);
		}
		if (round == 0) {
			/* now point the descriptor's extent at the secret */
			g_autofree char *quoted = g_strdup_printf("\"%s\"", secret);
			g_autofree char *before = g_strndup(descriptor, (gsize)(extent - descriptor));
			g_autofree char *changed = g_strconcat(
			    before, quoted, extent + strlen("\"flat-1-flat.vmdk\""), NULL);
			g_assert_true(g_file_set_contents(descriptor_path, changed, -1, NULL));
		}
	}
}

/* ovftool --compress: the disk file is gzip-compressed inside the OVA */
static void
test_compressed_member(Fixture *f, gconstpointer data)
{
	g_autofree char *work = g_build_filename(f->dir, "work", NULL);
	g_autofree char *ova = g_build_filename(f->store, "zipped.ova", NULL);
	g_autofree char *raw = NULL;
	g_autofree char *ovf = NULL;
	g_autofree char *marked = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	const TestDisk disks[] = {{"zipped-1.vmdk",
				   "http://www.vmware.com/interfaces/specifications/"
				   "vmdk.html#streamOptimized",
				   16 << 20}};
	const char *files[] = {"zipped.ovf", "zipped-1.vmdk", NULL};
	GString *edited;
	JsonObject *disk;

	if (!have_tools())
		return;
	g_mkdir(work, 0700);
	raw = make_raw(work, "zipped.raw", 16, 0x5c);
	run(work, "qemu-img", "convert", "-O", "vmdk", "-o", "subformat=streamOptimized", raw,
	    "plain.vmdk", NULL);
	run(work, "sh", "-c", "gzip -c plain.vmdk > zipped-1.vmdk", NULL);
	ovf = make_ovf("zipped", disks, 1, NULL, 0, FALSE);
	edited = g_string_new(ovf);
	g_string_replace(edited, "ovf:id=\"file0\"", "ovf:id=\"file0\" ovf:compression=\"gzip\"", 1);
	marked = g_string_free(edited, FALSE);
	write_file(work, "zipped.ovf", marked);
	write_manifest(work, "zipped.mf", files, FALSE);
	run(work, "tar", "--format=ustar", "-cf", ova, "zipped.ovf", "zipped.mf", "zipped-1.vmdk",
	    NULL);

	g_assert_true(fixture_connect(f, f->store, &error));
	g_assert_true(ferry_provider_load_inventory(f->provider, f->inventory, NULL, &error));
	g_assert_no_error(error);
	vm = only_vm_named(f, "zipped");
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	for (guint i = 0; i < 2; i++) {
		/* the second time the unpacked copy in the cache is used */
		endpoint = ferry_provider_open_disk(f->provider,
						    json_object_get_string_member(vm, "id"),
						    json_object_get_string_member(disk, "id"), NULL,
						    NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(ferry_disk_endpoint_get_size(endpoint), ==, 16 << 20);
		assert_same_disk(raw, endpoint);
		g_clear_object(&endpoint);
	}
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	/* a skipped package is logged as a warning, which is expected here */
	g_log_set_always_fatal(G_LOG_FATAL_MASK | G_LOG_LEVEL_CRITICAL);
#define TEST(path, fn) g_test_add(path, Fixture, NULL, fixture_setup, fn, fixture_teardown)
	TEST("/ova/provider/vmdk-ova", test_vmdk_ova);
	TEST("/ova/provider/many-ovas", test_many_ovas);
	TEST("/ova/provider/bad-manifest", test_bad_manifest);
	TEST("/ova/provider/ovf-folder", test_ovf_folder);
	TEST("/ova/provider/urls", test_urls);
	TEST("/ova/provider/hostile-archives", test_hostile_archives);
	TEST("/ova/provider/collection-xz", test_collection_xz);
	TEST("/ova/provider/truncated-gzip", test_truncated_gzip);
	TEST("/ova/provider/escaping-images", test_escaping_images);
	TEST("/ova/provider/compressed-member", test_compressed_member);
#undef TEST
	return g_test_run();
}
