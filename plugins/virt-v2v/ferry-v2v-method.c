/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "ferry-v2v-command.h"
#include "ferry-v2v-method.h"
#include "ferry-v2v-run.h"

struct _FerryV2vMethod {
	GObject parent_instance;
};

static void ferry_v2v_method_iface_init(FerryTransferMethodInterface *iface);
G_DEFINE_DYNAMIC_TYPE_EXTENDED(FerryV2vMethod, ferry_v2v_method, G_TYPE_OBJECT,
			       G_TYPE_FLAG_FINAL,
			       G_IMPLEMENT_INTERFACE_DYNAMIC(FERRY_TYPE_TRANSFER_METHOD,
							     ferry_v2v_method_iface_init))

/**
 * ferry_v2v_method_register:
 * @module: the plugin's type module
 */
void
ferry_v2v_method_register(GTypeModule *module)
{
	ferry_v2v_method_register_type(module);
}

static void
ferry_v2v_method_class_init(FerryV2vMethodClass *klass)
{
}

static void
ferry_v2v_method_class_finalize(FerryV2vMethodClass *klass)
{
}

static void
ferry_v2v_method_init(FerryV2vMethod *self)
{
}

/**
 * ferry_v2v_parse_disk_list:
 * @text: `[{index, uri|path, format}]` as the engine writes it
 * @what: how errors name the list (`sources`, `targets`)
 * @error: return location for a #GError
 *
 * Returns: (transfer full): the list, each entry checked to name a disk
 */
JsonArray *
ferry_v2v_parse_disk_list(const char *text, const char *what, GError **error)
{
	g_autoptr(JsonParser) parser = json_parser_new();
	JsonNode *root;
	JsonArray *list;

	if (text == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "the transfer request has no '%s' list of disks", what);
		return NULL;
	}
	if (!json_parser_load_from_data(parser, text, -1, error)) {
		g_prefix_error(error, "the transfer request's '%s' list: ", what);
		ferry_error_convert(error);
		return NULL;
	}
	root = json_parser_get_root(parser);
	if (root == NULL || !JSON_NODE_HOLDS_ARRAY(root)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "the transfer request's '%s' option is not a list", what);
		return NULL;
	}
	list = json_node_get_array(root);
	for (guint i = 0; i < json_array_get_length(list); i++) {
		JsonNode *node = json_array_get_element(list, i);
		JsonObject *entry = JSON_NODE_HOLDS_OBJECT(node) ? json_node_get_object(node)
								 : NULL;
		if (entry == NULL || (!json_object_has_member(entry, "path") &&
				      !json_object_has_member(entry, "uri"))) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "entry %u of the transfer request's '%s' list names no disk",
				    i, what);
			return NULL;
		}
	}
	return json_array_ref(list);
}

/**
 * ferry_v2v_dup_work_dir:
 * @vm_spec: the target VM description
 *
 * Returns: the folder for the VM's conversion log and work files: the
 *   description's `workDir`, else one in the user's cache folder
 */
char *
ferry_v2v_dup_work_dir(JsonObject *vm_spec)
{
	const char *dir = json_object_get_string_member_with_default(vm_spec, "workDir", NULL);
	if (dir != NULL && *dir != '\0')
		return g_strdup(dir);
	return g_build_filename(
	    g_get_user_cache_dir(), "ferry", "virt-v2v",
	    json_object_get_string_member_with_default(vm_spec, "namespace", "default"),
	    json_object_get_string_member_with_default(vm_spec, "name", "vm"), NULL);
}

static guint64
disks_capacity(JsonObject *vm_spec, guint n_disks)
{
	g_autoptr(FerryVmSpec) spec = ferry_vm_spec_new_from_json(vm_spec, NULL);
	guint64 total = 0;
	for (guint i = 0; spec != NULL && i < ferry_vm_spec_get_n_disks(spec); i++)
		total += ferry_vm_disk_get_capacity(ferry_vm_spec_get_disk(spec, i));
	/* without sizes, progress still moves: a nominal GiB a disk */
	return total > 0 ? total : (guint64)MAX(n_disks, 1) << 30;
}

/* --- NBD disks as local files ---
 *
 * virt-v2v 2.2 ignores <disk type='network'> NBD disks in -i libvirtxml and
 * virt-v2v-in-place converts local files only, so an NBD endpoint (a source
 * served by nbdkit or qemu-nbd, a qcow2 target of the bundle) is mounted as
 * a file with nbdfuse for the run: no copy, no temporary space. */

typedef struct {
	char *dir;
	GSubprocess *process;
} FuseMount;

static void
fuse_mount_stop(FuseMount *mount)
{
	g_autoptr(GSubprocess) unmount = NULL;
	if (mount->process != NULL) {
		unmount = g_subprocess_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					       G_SUBPROCESS_FLAGS_STDERR_SILENCE,
					   NULL, "fusermount3", "-u", mount->dir, NULL);
		if (unmount != NULL)
			g_subprocess_wait(unmount, NULL, NULL);
		/* nbdfuse exits once unmounted; make sure of it */
		for (guint i = 0; i < 50 && g_subprocess_get_identifier(mount->process) != NULL;
		     i++)
			g_usleep(100 * G_TIME_SPAN_MILLISECOND);
		if (g_subprocess_get_identifier(mount->process) != NULL)
			g_subprocess_force_exit(mount->process);
		g_subprocess_wait(mount->process, NULL, NULL);
		g_object_unref(mount->process);
	}
	g_rmdir(mount->dir);
	g_free(mount->dir);
	g_free(mount);
}

static FuseMount *
fuse_mount_start(const char *uri,
		 const char *dir,
		 gboolean read_only,
		 const char *display,
		 GCancellable *cancellable,
		 GError **error)
{
	g_autofree char *nbdfuse = ferry_machine_find_program("nbdfuse");
	g_autofree char *file = g_build_filename(dir, "disk", NULL);
	g_autoptr(GSubprocessLauncher) launcher = NULL;
	g_autoptr(GError) local_error = NULL;
	FuseMount *mount;

	if (nbdfuse == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "%s: nbdfuse is not installed; virt-v2v reads NBD disks through it. "
			    "Install the Debian packages libnbd-bin and fuse3 "
			    "(scripts/install-deps)",
			    display);
		return NULL;
	}
	if (g_mkdir_with_parents(dir, 0700) < 0) {
		int saved = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot create %s: %s", display,
			    dir, g_strerror(saved));
		return NULL;
	}
	mount = g_new0(FuseMount, 1);
	mount->dir = g_strdup(dir);
	launcher = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_SILENCE |
					     G_SUBPROCESS_FLAGS_STDERR_PIPE);
	mount->process = read_only ? g_subprocess_launcher_spawn(launcher, &local_error, nbdfuse,
								 "-r", file, uri, NULL)
				   : g_subprocess_launcher_spawn(launcher, &local_error, nbdfuse,
								 file, uri, NULL);
	if (mount->process == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s: cannot start nbdfuse: %s",
			    display, local_error->message);
		fuse_mount_stop(mount);
		return NULL;
	}
	/* the file appears once nbdfuse has connected and mounted */
	for (guint i = 0; i < 300; i++) {
		GStatBuf info;
		if (g_stat(file, &info) == 0 && S_ISREG(info.st_mode))
			return mount;
		if (g_subprocess_get_identifier(mount->process) == NULL ||
		    g_cancellable_is_cancelled(cancellable))
			break;
		g_usleep(100 * G_TIME_SPAN_MILLISECOND);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED,
		    "%s: nbdfuse could not mount the NBD disk %s at %s; check that the NBD "
		    "server is running and that /dev/fuse is usable",
		    display, uri, file);
	fuse_mount_stop(mount);
	return NULL;
}

/* @disks with every NBD entry replaced by its nbdfuse file under @dir */
static JsonArray *
localize_disks(JsonArray *disks,
	       const char *dir,
	       gboolean read_only,
	       GPtrArray *mounts,
	       const char *display,
	       GCancellable *cancellable,
	       GError **error)
{
	g_autoptr(JsonArray) local = json_array_new();
	for (guint i = 0; i < json_array_get_length(disks); i++) {
		JsonObject *entry = json_array_get_object_element(disks, i);
		const char *uri = json_object_get_string_member_with_default(entry, "uri", NULL);
		JsonObject *copy = json_object_new();
		g_autofree char *name = NULL;
		g_autofree char *mount_dir = NULL;
		g_autofree char *file = NULL;
		FuseMount *mount;

		json_object_set_int_member(copy, "index", i);
		json_object_set_string_member(
		    copy, "format",
		    json_object_get_string_member_with_default(entry, "format", "raw"));
		json_array_add_object_element(local, copy);
		if (uri == NULL) {
			json_object_set_string_member(
			    copy, "path", json_object_get_string_member(entry, "path"));
			continue;
		}
		name = g_strdup_printf("nbd-%u", i);
		mount_dir = g_build_filename(dir, name, NULL);
		mount = fuse_mount_start(uri, mount_dir, read_only, display, cancellable, error);
		if (mount == NULL)
			return NULL;
		g_ptr_array_add(mounts, mount);
		file = g_build_filename(mount_dir, "disk", NULL);
		json_object_set_string_member(copy, "path", file);
		/* qemu-nbd and nbdkit export the guest's data, whatever the file format */
		json_object_set_string_member(copy, "format", "raw");
	}
	return g_steal_pointer(&local);
}

/* virt-v2v -o local writes NAME-sdX in its output folder: for a local
 * target that name is a link to the target file, so virt-v2v writes the
 * target directly */
static gboolean
link_targets(FerryV2vCommand *command, JsonArray *targets, const char *display, GError **error)
{
	if (g_mkdir_with_parents(command->output_dir, 0700) < 0) {
		int saved = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "%s: cannot create %s: %s", display,
			    command->output_dir, g_strerror(saved));
		return FALSE;
	}
	for (guint i = 0; i < json_array_get_length(targets); i++) {
		JsonObject *target = json_array_get_object_element(targets, i);
		const char *path = json_object_get_string_member_with_default(target, "path", NULL);
		g_autofree char *output = ferry_v2v_command_dup_output_disk(command, i);
		g_autofree char *absolute = NULL;

		g_unlink(output);
		if (path == NULL)
			continue;
		absolute = g_canonicalize_filename(path, NULL);
		if (symlink(absolute, output) < 0) {
			int saved = errno;
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
				    "%s: cannot link %s to the target disk %s: %s", display, output,
				    absolute, g_strerror(saved));
			return FALSE;
		}
	}
	return TRUE;
}

/* the converted disks reached their targets: links still in place (virt-v2v
 * wrote through them), files copied to NBD targets with Ferry's copy engine */
static gboolean
deliver_targets(FerryV2vCommand *command,
		JsonArray *targets,
		const char *display,
		GCancellable *cancellable,
		GError **error)
{
	for (guint i = 0; i < json_array_get_length(targets); i++) {
		JsonObject *target = json_array_get_object_element(targets, i);
		const char *uri = json_object_get_string_member_with_default(target, "uri", NULL);
		g_autofree char *output = ferry_v2v_command_dup_output_disk(command, i);
		g_autoptr(FerryDiskEndpoint) from = NULL;
		g_autoptr(FerryDiskEndpoint) to = NULL;
		g_autoptr(FerryCopy) copy = NULL;

		if (json_object_has_member(target, "path")) {
			if (!g_file_test(output, G_FILE_TEST_IS_SYMLINK)) {
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
					    "%s: virt-v2v replaced the link %s to target disk %u "
					    "instead of writing through it; the target holds no "
					    "converted data",
					    display, output, i);
				return FALSE;
			}
			continue;
		}
		if (!g_file_test(output, G_FILE_TEST_IS_REGULAR)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "%s: virt-v2v wrote no disk %u (%s); the source has fewer "
				    "disks than the plan expects",
				    display, i, output);
			return FALSE;
		}
		from = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, output);
		ferry_disk_endpoint_set_format(from, "raw");
		to = ferry_disk_endpoint_new_nbd(FERRY_DISK_ROLE_TARGET, uri);
		ferry_disk_endpoint_set_format(to, "raw");
		copy = ferry_copy_new(from, to);
		if (!ferry_copy_run(copy, NULL, cancellable, error)) {
			g_prefix_error(error, "%s: writing converted disk %u to %s: ", display, i,
				       uri);
			return FALSE;
		}
		g_unlink(output);
	}
	return TRUE;
}

/* -o local's libvirt XML tells the firmware when the inspection did not */
static void
read_output_metadata(FerryV2vCommand *command, JsonObject *result)
{
	g_autofree char *file = g_strdup_printf("%s.xml", command->output_name);
	g_autofree char *path = g_build_filename(command->output_dir, file, NULL);
	g_autofree char *work_dir = g_path_get_dirname(command->log_path);
	g_autofree char *keep = g_build_filename(work_dir, "virt-v2v-output.xml", NULL);
	g_autofree char *contents = NULL;

	if (!g_file_get_contents(path, &contents, NULL, NULL))
		return;
	if (!json_object_has_member(result, "firmware"))
		json_object_set_string_member(result, "firmware",
					      strstr(contents, "<loader") != NULL ? "efi" : "bios");
	g_rename(path, keep);
}

static void
remove_output(FerryV2vCommand *command, JsonArray *targets)
{
	g_autofree char *file = g_strdup_printf("%s.xml", command->output_name);
	g_autofree char *metadata = g_build_filename(command->output_dir, file, NULL);
	/* the links only: the targets they point at stay */
	for (guint i = 0; i < json_array_get_length(targets); i++) {
		g_autofree char *output = ferry_v2v_command_dup_output_disk(command, i);
		g_unlink(output);
	}
	g_unlink(metadata);
	g_rmdir(command->output_dir);
}

/**
 * ferry_v2v_copy_and_convert:
 * @vm_spec: the target VM description
 * @sources: the source disks `[{index, uri|path, format}]`
 * @targets: the prepared target disks, same form
 * @work_dir: the VM's work folder
 * @progress: (nullable): copy progress
 * @timeout_seconds: how long virt-v2v may take
 * @cancellable: (nullable): a #GCancellable
 * @result: (out) (optional): what the conversion found
 * @error: return location for a #GError
 *
 * One pass: virt-v2v reads the sources (or the OVA), converts the guest
 * and writes the disks into the targets.
 *
 * Returns: %TRUE when every target holds its converted disk
 */
gboolean
ferry_v2v_copy_and_convert(JsonObject *vm_spec,
			   JsonArray *sources,
			   JsonArray *targets,
			   const char *work_dir,
			   FerryProgress *progress,
			   guint timeout_seconds,
			   GCancellable *cancellable,
			   JsonObject **result,
			   GError **error)
{
	g_autofree char *display = ferry_v2v_dup_vm_display(vm_spec);
	g_autoptr(FerryV2vCommand) command = NULL;
	g_autoptr(JsonObject) found = NULL;
	g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func((GDestroyNotify)fuse_mount_stop);
	g_autoptr(JsonArray) local = NULL;
	g_autofree char *nbd_dir = NULL;
	g_autofree char *ova = NULL;
	gboolean ok;

	if (json_array_get_length(targets) != json_array_get_length(sources)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "%s: %u source disks but %u target disks", display,
			    json_array_get_length(sources), json_array_get_length(targets));
		return FALSE;
	}
	nbd_dir = g_build_filename(work_dir, "nbd", NULL);
	ova = ferry_v2v_dup_ova_input(vm_spec);
	/* -i ova reads the archive itself: the sources only count the disks */
	local = ova != NULL ? json_array_ref(sources)
			    : localize_disks(sources, nbd_dir, TRUE, mounts, display, cancellable,
					     error);
	if (local == NULL) {
		g_ptr_array_set_size(mounts, 0);
		g_rmdir(nbd_dir);
		return FALSE;
	}
	command = ferry_v2v_command_new(FERRY_V2V_MODE_COPY, vm_spec, local, work_dir, error);
	if (command == NULL)
		return FALSE;
	if (!link_targets(command, targets, display, error))
		return FALSE;
	if (progress != NULL)
		ferry_progress_set_total(progress, disks_capacity(vm_spec, command->n_disks));
	ok = ferry_v2v_run(command, display, progress, timeout_seconds, cancellable, &found,
			   error) &&
	     deliver_targets(command, targets, display, cancellable, error);
	if (ok)
		read_output_metadata(command, found);
	remove_output(command, targets);
	g_ptr_array_set_size(mounts, 0);
	g_rmdir(nbd_dir);
	if (!ok)
		return FALSE;
	if (result != NULL)
		*result = g_steal_pointer(&found);
	return TRUE;
}

/**
 * ferry_v2v_convert_in_place:
 * @vm_spec: the target VM description
 * @disks: the written target disks `[{index, uri|path, format}]`
 * @work_dir: the VM's work folder
 * @progress: (nullable): the current stage
 * @timeout_seconds: how long virt-v2v-in-place may take
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the conversion found, or %NULL
 */
JsonObject *
ferry_v2v_convert_in_place(JsonObject *vm_spec,
			   JsonArray *disks,
			   const char *work_dir,
			   FerryProgress *progress,
			   guint timeout_seconds,
			   GCancellable *cancellable,
			   GError **error)
{
	g_autofree char *display = ferry_v2v_dup_vm_display(vm_spec);
	g_autofree char *nbd_dir = g_build_filename(work_dir, "nbd", NULL);
	g_autoptr(GPtrArray) mounts = g_ptr_array_new_with_free_func((GDestroyNotify)fuse_mount_stop);
	g_autoptr(JsonArray) local = NULL;
	g_autoptr(FerryV2vCommand) command = NULL;
	JsonObject *result = NULL;

	local = localize_disks(disks, nbd_dir, FALSE, mounts, display, cancellable, error);
	if (local == NULL) {
		g_ptr_array_set_size(mounts, 0);
		g_rmdir(nbd_dir);
		return NULL;
	}
	command = ferry_v2v_command_new(FERRY_V2V_MODE_IN_PLACE, vm_spec, local, work_dir, error);
	if (command == NULL)
		return NULL;
	if (progress != NULL && ferry_progress_get_total(progress) == 0)
		ferry_progress_set_total(progress, disks_capacity(vm_spec, command->n_disks));
	ferry_v2v_run(command, display, progress, timeout_seconds, cancellable, &result, error);
	g_ptr_array_set_size(mounts, 0);
	g_rmdir(nbd_dir);
	return result;
}

/* --- the FerryTransferMethod interface --- */

static const char *
ferry_v2v_method_get_name(FerryTransferMethod *method)
{
	return FERRY_V2V_METHOD_NAME;
}

static guint
ferry_v2v_method_supports(FerryTransferMethod *method, FerryTransferRequest *request)
{
	/* only conversions: plain copies belong to the copy engine */
	if ((ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_CONVERT) == 0)
		return 0;
	/* virt-v2v reads whole disks: it cannot apply a precopy delta */
	if (ferry_transfer_request_get_flags(request) & FERRY_TRANSFER_FLAG_INCREMENTAL)
		return 0;
	return 50;
}

static gboolean
ferry_v2v_method_copy(FerryTransferMethod *method,
		      FerryTransferRequest *request,
		      FerryProgress *progress,
		      GCancellable *cancellable,
		      GError **error)
{
	JsonObject *vm_spec = ferry_transfer_request_get_vm_spec(request);
	const char *state_dir = ferry_transfer_request_get_option(request, "stateDir");
	g_autofree char *work_dir = NULL;
	g_autoptr(JsonArray) sources = NULL;
	g_autoptr(JsonArray) targets = NULL;
	g_autoptr(JsonObject) result = NULL;
	static const char *const fields[] = {"operatingSystem", "firmware", "detectedBootDisk"};

	if (vm_spec == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "virt-v2v needs the VM description in the transfer request");
		return FALSE;
	}
	sources = ferry_v2v_parse_disk_list(ferry_transfer_request_get_option(request, "sources"),
					    "sources", error);
	targets = sources == NULL ? NULL
				  : ferry_v2v_parse_disk_list(
					ferry_transfer_request_get_option(request, "targets"),
					"targets", error);
	if (targets == NULL)
		return FALSE;
	work_dir = state_dir != NULL ? g_strdup(state_dir) : ferry_v2v_dup_work_dir(vm_spec);
	if (!ferry_v2v_copy_and_convert(vm_spec, sources, targets, work_dir, progress,
					ferry_v2v_default_timeout(), cancellable, &result, error))
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(fields); i++) {
		const char *value =
		    json_object_get_string_member_with_default(result, fields[i], NULL);
		if (value != NULL)
			ferry_transfer_request_set_option(request, fields[i], value);
	}
	return TRUE;
}

static JsonObject *
ferry_v2v_method_convert(FerryTransferMethod *method,
			 JsonObject *vm_spec,
			 GPtrArray *disks,
			 FerryProgress *progress,
			 GCancellable *cancellable,
			 GError **error)
{
	g_autoptr(JsonArray) list = json_array_new();
	g_autofree char *work_dir = ferry_v2v_dup_work_dir(vm_spec);

	for (guint i = 0; disks != NULL && i < disks->len; i++) {
		FerryDiskEndpoint *endpoint = g_ptr_array_index(disks, i);
		JsonObject *entry = json_object_new();
		json_object_set_int_member(entry, "index", i);
		if (ferry_disk_endpoint_get_path(endpoint) != NULL)
			json_object_set_string_member(entry, "path",
						      ferry_disk_endpoint_get_path(endpoint));
		else
			json_object_set_string_member(entry, "uri",
						      ferry_disk_endpoint_get_uri(endpoint));
		json_object_set_string_member(entry, "format",
					      ferry_disk_endpoint_get_format(endpoint) != NULL
						  ? ferry_disk_endpoint_get_format(endpoint)
						  : "raw");
		json_array_add_object_element(list, entry);
	}
	return ferry_v2v_convert_in_place(vm_spec, list, work_dir, progress,
					  ferry_v2v_default_timeout(), cancellable, error);
}

static void
ferry_v2v_method_iface_init(FerryTransferMethodInterface *iface)
{
	iface->get_name = ferry_v2v_method_get_name;
	iface->supports = ferry_v2v_method_supports;
	iface->copy = ferry_v2v_method_copy;
	iface->convert = ferry_v2v_method_convert;
}
