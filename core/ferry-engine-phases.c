/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <math.h>
#include <string.h>

#include "ferry-engine-private.h"
#include "ferry-engine-spec-private.h"
#include "ferry-error.h"
#include "ferry-estimate.h"

/* The action of each phase. Each runs in a worker thread on copies of the
 * VM's status and state, must be idempotent (a crash may make it run
 * again), and says whether the VM may move on. */

#define MAX_TRANSIENT_RETRIES 5

typedef FerryPhaseResult (*PhaseFunc)(FerryEngineJob *job, GError **error);

static JsonObject *
job_source_ref(FerryEngineJob *job)
{
	return ferry_json_path_object(job->context, "source");
}

static JsonObject *
job_destination_ref(FerryEngineJob *job)
{
	return ferry_json_path_object(job->context, "destination");
}

static FerryProvider *
job_source(FerryEngineJob *job, GError **error)
{
	return ferry_engine_get_provider(job->engine, job_source_ref(job), error);
}

static FerryProvider *
job_destination(FerryEngineJob *job, GError **error)
{
	return ferry_engine_get_provider(job->engine, job_destination_ref(job), error);
}

static JsonObject *
job_plan(FerryEngineJob *job)
{
	return ferry_json_path_object(job->context, "plan");
}

static JsonObject *
job_inventory_vm(FerryEngineJob *job)
{
	JsonObject *vms = ferry_json_path_object(job->context, "vms");
	if (vms == NULL || !json_object_has_member(vms, job->vm_id))
		return NULL;
	return json_object_get_object_member(vms, job->vm_id);
}

static JsonObject *
job_vm_spec(FerryEngineJob *job)
{
	return ferry_json_path_object(job->state, "vmSpec");
}

static guint
job_n_disks(FerryEngineJob *job)
{
	JsonArray *disks = ferry_json_path_array(job_vm_spec(job), "disks");
	return disks != NULL ? json_array_get_length(disks) : 0;
}

static JsonObject *
job_disk(FerryEngineJob *job, guint index)
{
	return json_array_get_object_element(ferry_json_path_array(job_vm_spec(job), "disks"),
					     index);
}

static const char *
job_display_name(FerryEngineJob *job)
{
	return ferry_json_path_string(job->status, "name", job->vm_id);
}

static JsonArray *
state_array(JsonObject *state, const char *member)
{
	if (!json_object_has_member(state, member))
		json_object_set_array_member(state, member, json_array_new());
	return json_object_get_array_member(state, member);
}

static JsonObject *
status_object(JsonObject *status, const char *member)
{
	if (!json_object_has_member(status, member))
		json_object_set_object_member(status, member, json_object_new());
	return json_object_get_object_member(status, member);
}

/* --- artefacts --- */

/* records a local server process so a later run can stop it after a crash */
static void
job_record_processes(FerryEngineJob *job, FerryDiskEndpoint *endpoint, GPtrArray *rows)
{
	GPtrArray *processes = ferry_disk_endpoint_get_processes(endpoint);
	const char *uri = ferry_disk_endpoint_get_uri(endpoint);
	const char *socket = uri != NULL ? strstr(uri, "socket=") : NULL;
	g_auto(GStrv) cleanup = ferry_disk_endpoint_dup_cleanup_paths(endpoint);

	for (guint i = 0; processes != NULL && i < processes->len; i++) {
		const char *pid = g_subprocess_get_identifier(g_ptr_array_index(processes, i));
		g_autoptr(JsonObject) details = json_object_new();
		gint64 row;
		if (pid == NULL)
			continue;
		json_object_set_int_member(details, "pid", g_ascii_strtoll(pid, NULL, 10));
		if (socket != NULL) {
			g_autofree char *path = g_uri_unescape_string(socket + strlen("socket="), "&");
			char *amp = strchr(path, '&');
			if (amp != NULL)
				*amp = '\0';
			json_object_set_string_member(details, "match", path);
		}
		{
			/* what the endpoint would remove on close, removed after a crash */
			JsonArray *paths = json_array_new();
			for (guint p = 0; cleanup[p] != NULL; p++)
				json_array_add_string_element(paths, cleanup[p]);
			json_object_set_array_member(details, "paths", paths);
		}
		row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id, "local",
						 "process", pid, details, NULL);
		if (row > 0) {
			ferry_engine_ledger_created(job->ledger, row, NULL, NULL);
			g_ptr_array_add(rows, g_memdup2(&row, sizeof(row)));
		}
	}
}

/* records what the provider created to serve the endpoint (an image
 * transfer), so a run after a crash has the provider release it */
static void
job_record_artifacts(FerryEngineJob *job, FerryDiskEndpoint *endpoint, GPtrArray *rows)
{
	for (guint i = 0; i < ferry_disk_endpoint_get_n_artifacts(endpoint); i++) {
		g_autoptr(JsonObject) details = json_object_new();
		const char *kind = NULL;
		const char *id = NULL;
		gint64 row;

		ferry_disk_endpoint_get_artifact(endpoint, i, &kind, &id);
		json_object_set_string_member(details, "vmId", job->vm_id);
		row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id,
						 ferry_disk_endpoint_get_role(endpoint) ==
							 FERRY_DISK_ROLE_SOURCE
						     ? "source"
						     : "destination",
						 kind, id, details, NULL);
		if (row > 0) {
			ferry_engine_ledger_created(job->ledger, row, NULL, NULL);
			g_ptr_array_add(rows, g_memdup2(&row, sizeof(row)));
		}
	}
}

static void
job_close_endpoint(FerryEngineJob *job, FerryDiskEndpoint *endpoint, GPtrArray *rows)
{
	g_autoptr(GError) error = NULL;
	if (endpoint == NULL)
		return;
	/* what did not close stays in the ledger: the VM's clean-up (or a later
	 * run's) releases it */
	if (!ferry_disk_endpoint_close(endpoint, &error))
		g_warning("VM %s: %s; it is released again when the VM is cleaned up",
			  job_display_name(job), error->message);
	for (guint i = 0; error == NULL && rows != NULL && i < rows->len; i++)
		ferry_engine_ledger_forget(job->ledger, *(gint64 *)g_ptr_array_index(rows, i), NULL);
	if (rows != NULL)
		g_ptr_array_set_size(rows, 0);
}

/* prepare_disk is idempotent; the ledger entry is written before the first
 * call and confirmed after it, once per disk */
static FerryDiskEndpoint *
job_prepare_target(FerryEngineJob *job, FerryProvider *destination, guint index, GError **error)
{
	JsonObject *disk = job_disk(job, index);
	JsonArray *prepared = state_array(job->state, "preparedDisks");
	gboolean known = FALSE;
	gint64 row = 0;
	FerryDiskEndpoint *endpoint;

	for (guint i = 0; i < json_array_get_length(prepared); i++) {
		if (json_array_get_int_element(prepared, i) == index)
			known = TRUE;
	}
	if (!known) {
		g_autoptr(JsonObject) details = json_object_new();
		json_object_set_object_member(details, "vmSpec",
					      ferry_json_object_copy(job_vm_spec(job)));
		json_object_set_int_member(details, "diskIndex", index);
		row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id,
						 "destination", "disk",
						 ferry_json_path_string(disk, "name", "disk"), details,
						 error);
		if (row == 0)
			return NULL;
	}
	endpoint = ferry_provider_prepare_disk(destination, job_vm_spec(job), index, job->cancellable,
					       error);
	if (endpoint == NULL)
		return NULL;
	if (!known) {
		if (!ferry_engine_ledger_created(job->ledger, row, NULL, error)) {
			g_object_unref(endpoint);
			return NULL;
		}
		json_array_add_int_element(prepared, index);
	}
	return endpoint;
}

/* --- phases --- */

/*
 * A VM with direct LUNs (the spec's `luns`) moves only where the source can
 * detach them and the destination attach them in place; anywhere else it
 * fails before anything is touched, naming the LUNs and both ways out.
 */
static gboolean
job_check_luns(FerryEngineJob *job, FerryProvider *source, JsonObject *spec, GError **error)
{
	JsonArray *luns = ferry_json_path_array(spec, "luns");
	g_autoptr(FerryProvider) destination = NULL;
	g_autoptr(GString) names = NULL;

	if (luns == NULL || json_array_get_length(luns) == 0)
		return TRUE;
	destination = job_destination(job, error);
	if (destination == NULL)
		return FALSE;
	if (ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS) &&
	    ferry_provider_has_capability(destination, FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS))
		return TRUE;
	names = g_string_new(NULL);
	for (guint i = 0; i < json_array_get_length(luns); i++) {
		JsonObject *lun = json_array_get_object_element(luns, i);
		const char *alias = ferry_json_path_string(lun, "alias", NULL);
		if (names->len > 0)
			g_string_append(names, ", ");
		g_string_append(names, ferry_json_path_string(lun, "id", "?"));
		if (alias != NULL)
			g_string_append_printf(names, " (%s)", alias);
	}
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
		    "VM %s has the direct LUN disk%s %s, and Provider/%s cannot %s in place (a "
		    "KubeVirt cluster can: Ferry gives each LUN a static PersistentVolume and "
		    "claim there, as Forklift does); migrate the VM to a cluster, or detach the "
		    "LUN from the VM, or set spec.settings.skipDirectLuns: \"true\" on "
		    "Provider/%s to migrate the VM without it",
		    job_display_name(job), json_array_get_length(luns) == 1 ? "" : "s", names->str,
		    ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS)
			? ferry_json_path_string(job->context, "destination.name", "?")
			: ferry_json_path_string(job->context, "source.name", "?"),
		    ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_DIRECT_LUNS)
			? "attach a direct LUN"
			: "hand a direct LUN over",
		    ferry_json_path_string(job->context, "source.name", "?"));
	return FALSE;
}

static FerryPhaseResult
phase_started(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = NULL;
	g_autoptr(FerryVmSpec) described = NULL;
	JsonObject *inventory_vm = job_inventory_vm(job);
	JsonObject *plan_vm = job->status;
	JsonObject *spec;

	if (job_vm_spec(job) != NULL)
		return FERRY_PHASE_DONE;
	if (inventory_vm == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
			    "VM %s is not in the source inventory; refresh the inventory",
			    job_display_name(job));
		return FERRY_PHASE_FAIL;
	}
	source = job_source(job, error);
	if (source == NULL)
		return FERRY_PHASE_FAIL;
	described = ferry_engine_describe_source_vm(
	    source, ferry_json_path_string(job->context, "source.type", ""), inventory_vm, error);
	if (described == NULL)
		return FERRY_PHASE_FAIL;
	spec = ferry_engine_build_vm_spec(job->context, plan_vm, inventory_vm, described,
					  job->migration_uid, error);
	if (spec == NULL)
		return FERRY_PHASE_FAIL;
	if (!job_check_luns(job, source, spec, error)) {
		json_object_unref(spec);
		return FERRY_PHASE_FAIL;
	}
	json_object_set_object_member(job->state, "vmSpec", spec);
	if (g_strcmp0(ferry_json_path_string(spec, "name", NULL),
		      ferry_json_path_string(inventory_vm, "name", NULL)) != 0)
		json_object_set_string_member(job->status, "newName",
					      ferry_json_path_string(spec, "name", NULL));
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_store_power_state(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	FerryPowerState state = FERRY_POWER_STATE_UNKNOWN;
	const char *name;

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	if (json_object_has_member(job->state, "restorePowerState"))
		return FERRY_PHASE_DONE;
	if (ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_POWER)) {
		state = ferry_provider_get_power_state(source, job->vm_id, job->cancellable, error);
		if (state == FERRY_POWER_STATE_UNKNOWN)
			return FERRY_PHASE_FAIL;
	}
	name = ferry_power_state_to_string(state);
	json_object_set_string_member(job->state, "restorePowerState", name);
	json_object_set_string_member(job->status, "restorePowerState", name);
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_power_off(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	FerryPowerState state;

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	if (!ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_POWER))
		return FERRY_PHASE_DONE;
	state = ferry_provider_get_power_state(source, job->vm_id, job->cancellable, error);
	if (state == FERRY_POWER_STATE_UNKNOWN)
		return FERRY_PHASE_FAIL;
	if (state == FERRY_POWER_STATE_OFF)
		return FERRY_PHASE_DONE;
	if (!ferry_provider_power_off(source, job->vm_id, job->cancellable, error))
		return FERRY_PHASE_FAIL;
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_wait_for_power_off(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	FerryPowerState state;

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	if (!ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_POWER))
		return FERRY_PHASE_DONE;
	state = ferry_provider_get_power_state(source, job->vm_id, job->cancellable, error);
	if (state == FERRY_POWER_STATE_UNKNOWN)
		return FERRY_PHASE_FAIL;
	if (state != FERRY_POWER_STATE_OFF) {
		job->wake_at = g_get_monotonic_time() + 2 * G_USEC_PER_SEC;
		return FERRY_PHASE_WAIT;
	}
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
job_prepare_all_targets(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) destination = job_destination(job, error);
	if (destination == NULL)
		return FERRY_PHASE_FAIL;
	for (guint i = 0; i < job_n_disks(job); i++) {
		g_autoptr(FerryDiskEndpoint) target = job_prepare_target(job, destination, i, error);
		if (target == NULL)
			return FERRY_PHASE_FAIL;
		if (!ferry_disk_endpoint_close(target, error))
			return FERRY_PHASE_FAIL;
	}
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_create_data_volumes(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	guint flags = (guint)ferry_json_path_int(job->state, "flags", 0);

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	if (!ferry_json_path_bool(job->state, "preTransferDone", FALSE)) {
		/* what the preparation makes on the source (OpenStack's temporary
		 * images, snapshots and volumes) is recorded before it starts, as
		 * one entry of kind `pre-transfer` named by the VM: the clean-up
		 * and a recovery after a crash hand it to remove_artifact, which
		 * finds the objects by their names */
		gint64 row = 0;
		if (ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER) &&
		    !ferry_json_path_bool(job->state, "preTransferRecorded", FALSE)) {
			g_autoptr(JsonObject) details = json_object_new();
			json_object_set_string_member(details, "vmId", job->vm_id);
			row = ferry_engine_ledger_intent(job->ledger, job->migration_uid,
							 job->vm_id, "source", "pre-transfer",
							 job->vm_id, details, error);
			if (row == 0)
				return FERRY_PHASE_FAIL;
			json_object_set_boolean_member(job->state, "preTransferRecorded", TRUE);
		}
		if (!ferry_provider_pre_transfer(source, job->vm_id, job->cancellable, error))
			return FERRY_PHASE_FAIL;
		if (row != 0)
			ferry_engine_ledger_created(job->ledger, row, NULL, NULL);
		json_object_set_boolean_member(job->state, "preTransferDone", TRUE);
	}
	/* on the one-pass virt-v2v path, AllocateDisks prepares the targets */
	if (flags & FERRY_PHASE_FLAG_V2V_COPY)
		return FERRY_PHASE_DONE;
	return job_prepare_all_targets(job, error);
}

static FerryPhaseResult
phase_allocate_disks(FerryEngineJob *job, GError **error)
{
	return job_prepare_all_targets(job, error);
}

static const char *
job_current_snapshot(FerryEngineJob *job)
{
	JsonArray *snapshots = ferry_json_path_array(job->state, "snapshots");
	guint n = snapshots != NULL ? json_array_get_length(snapshots) : 0;
	if (n == 0)
		return NULL;
	return ferry_json_path_string(json_array_get_object_element(snapshots, n - 1), "id", NULL);
}

/* the change id a disk had at the previous copied snapshot, or NULL */
static const char *
job_previous_change_id(FerryEngineJob *job, const char *disk_id)
{
	JsonArray *snapshots = ferry_json_path_array(job->state, "snapshots");
	guint n = snapshots != NULL ? json_array_get_length(snapshots) : 0;
	JsonObject *copied = ferry_json_path_object(job->state, "copiedChangeIds");
	if (copied != NULL && json_object_has_member(copied, disk_id))
		return json_object_get_string_member(copied, disk_id);
	(void)n;
	return NULL;
}

static const char *
job_current_change_id(FerryEngineJob *job, const char *disk_id)
{
	JsonArray *snapshots = ferry_json_path_array(job->state, "snapshots");
	guint n = snapshots != NULL ? json_array_get_length(snapshots) : 0;
	if (n == 0)
		return NULL;
	return ferry_json_path_string(ferry_json_path_object(json_array_get_object_element(snapshots,
											  n - 1),
							   "changeIds"),
				     disk_id, NULL);
}

static char *
job_journal_path(FerryEngineJob *job, guint index, gint64 round)
{
	g_autofree char *dir = g_build_filename(ferry_engine_get_state_dir(job->engine), "journals",
						job->migration_uid, job->vm_id, NULL);
	g_autofree char *name = g_strdup_printf("disk-%u-round-%" G_GINT64_FORMAT ".journal", index,
						round);
	g_mkdir_with_parents(dir, 0700);
	return g_build_filename(dir, name, NULL);
}

/* the plan's annotations transfer.ferry.konveyor.io/KEY become the request's
 * option KEY (e.g. transfer.ferry.konveyor.io/mode: pull), so a plan can steer
 * the transfer methods without a field Forklift's Plan does not have */
#define JOB_TRANSFER_ANNOTATION_PREFIX "transfer.ferry.konveyor.io/"

static void
job_set_plan_transfer_options(FerryEngineJob *job, FerryTransferRequest *request)
{
	JsonObject *annotations = ferry_json_path_object(job_plan(job), "metadata.annotations");
	g_autoptr(GList) keys = annotations != NULL ? json_object_get_members(annotations) : NULL;

	for (GList *l = keys; l != NULL; l = l->next) {
		const char *key = l->data;
		JsonNode *value = json_object_get_member(annotations, key);
		if (!g_str_has_prefix(key, JOB_TRANSFER_ANNOTATION_PREFIX) ||
		    key[strlen(JOB_TRANSFER_ANNOTATION_PREFIX)] == '\0' ||
		    !JSON_NODE_HOLDS_VALUE(value) || json_node_get_value_type(value) != G_TYPE_STRING)
			continue;
		ferry_transfer_request_set_option(request, key + strlen(JOB_TRANSFER_ANNOTATION_PREFIX),
						  json_node_get_string(value));
	}
}

static gboolean
job_copy_disk(FerryEngineJob *job,
	      FerryProvider *source,
	      FerryProvider *destination,
	      guint index,
	      gboolean warm,
	      FerryProgress *progress,
	      gint64 *transfer_started,
	      GError **error)
{
	JsonObject *disk = job_disk(job, index);
	const char *disk_id = ferry_json_path_string(disk, "id", "");
	const char *snapshot = warm ? job_current_snapshot(job) : NULL;
	gint64 round = ferry_json_path_int(job->state, "round", 0);
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryDiskEndpoint) dst = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;
	g_autoptr(FerryExtentList) extents = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
	g_autofree char *journal = job_journal_path(job, index, round);
	FerryTransferFlags flags = FERRY_TRANSFER_FLAG_NONE;
	FerryTransferMethod *method;
	gint64 journal_row;
	gboolean ok;

	if (warm && ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS)) {
		const char *previous = job_previous_change_id(job, disk_id);
		extents = ferry_provider_get_changed_areas(source, job->vm_id, disk_id, snapshot,
							   previous != NULL ? previous : "*",
							   job->cancellable, error);
		if (extents == NULL)
			return FALSE;
		flags |= FERRY_TRANSFER_FLAG_INCREMENTAL;
		flags |= FERRY_TRANSFER_FLAG_WARM;
	}
	src = ferry_provider_open_disk(source, job->vm_id, disk_id, snapshot, job->cancellable, error);
	if (src == NULL)
		return FALSE;
	job_record_processes(job, src, rows);
	job_record_artifacts(job, src, rows);
	dst = job_prepare_target(job, destination, index, error);
	if (dst == NULL) {
		job_close_endpoint(job, src, rows);
		return FALSE;
	}
	job_record_processes(job, dst, rows);
	/* a previous precopy wrote this target: it is not zero any more */
	if (round > 0)
		ferry_disk_endpoint_set_zeroed(dst, FALSE);
	request = ferry_transfer_request_new(src, dst);
	ferry_transfer_request_set_flags(request, flags);
	ferry_transfer_request_set_extents(request, extents);
	ferry_transfer_request_set_journal(request, journal);
	ferry_transfer_request_set_vm_spec(request, job_vm_spec(job));
	ferry_transfer_request_set_disk_index(request, index);
	ferry_transfer_request_set_source_provider_type(
	    request, ferry_json_path_string(job->context, "source.type", NULL));
	ferry_transfer_request_set_target_provider_type(
	    request, ferry_json_path_string(job->context, "destination.type", NULL));
	if (ferry_json_path_int(job_plan(job), "spec.bandwidth", 0) > 0)
		ferry_transfer_request_set_bandwidth(
		    request, (guint64)ferry_json_path_int(job_plan(job), "spec.bandwidth", 0));
	/* for a method that reads the source by itself (a pod in the target cluster) */
	ferry_transfer_request_set_source_config(request, ferry_provider_get_config(source));
	ferry_transfer_request_set_source_disk(
	    request, job->vm_id, disk_id, snapshot,
	    (flags & FERRY_TRANSFER_FLAG_INCREMENTAL) != 0
		? (job_previous_change_id(job, disk_id) != NULL ? job_previous_change_id(job, disk_id)
								: "*")
		: NULL);
	job_set_plan_transfer_options(job, request);
	if (ferry_engine_get_transfer_methods(job->engine) == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
				    "the engine has no transfer methods");
		job_close_endpoint(job, src, rows);
		job_close_endpoint(job, dst, NULL);
		return FALSE;
	}
	method = ferry_transfer_method_select(ferry_engine_get_transfer_methods(job->engine), request,
					      error);
	if (method == NULL) {
		job_close_endpoint(job, src, rows);
		job_close_endpoint(job, dst, NULL);
		return FALSE;
	}
	{
		g_autoptr(JsonObject) details = json_object_new();
		json_object_set_string_member(details, "path", journal);
		journal_row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id,
							 "local", "journal", journal, details, NULL);
		if (journal_row > 0)
			ferry_engine_ledger_created(job->ledger, journal_row, NULL, NULL);
	}
	/* both ends open (a source checked and served): the transfer itself */
	*transfer_started = g_get_real_time();
	ok = ferry_transfer_method_copy(method, request, progress, job->cancellable, error);
	job_close_endpoint(job, src, rows);
	job_close_endpoint(job, dst, NULL);
	if (!ok) {
		g_prefix_error(error, "VM %s disk %s: ", job_display_name(job),
			       ferry_json_path_string(disk, "fileName", disk_id));
		return FALSE;
	}
	g_unlink(journal);
	if (journal_row > 0)
		ferry_engine_ledger_forget(job->ledger, journal_row, NULL);
	return TRUE;
}

static FerryPhaseResult
job_copy_disks(FerryEngineJob *job, const char *step, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	g_autoptr(FerryProvider) destination = NULL;
	gboolean warm = g_strcmp0(ferry_json_path_string(job->state, "itinerary", "cold"), "warm") == 0;
	gint64 round = ferry_json_path_int(job->state, "round", 0);
	JsonArray *copied = state_array(job->state, "copiedDisks");
	JsonObject *disk_tasks = ferry_engine_status_find_step(job->status, step);
	JsonArray *tasks = disk_tasks != NULL ? json_object_get_array_member(disk_tasks, "tasks") : NULL;

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	destination = job_destination(job, error);
	if (destination == NULL)
		return FERRY_PHASE_FAIL;
	g_mutex_lock(&job->lock);
	g_free(job->progress_step);
	job->progress_step = g_strdup(step);
	for (guint i = 0; i < job_n_disks(job); i++)
		g_ptr_array_add(job->progress, ferry_progress_new());
	g_mutex_unlock(&job->lock);

	gint64 round_copy_us = 0, round_open_us = 0;

	for (guint i = 0; i < job_n_disks(job); i++) {
		JsonObject *disk = job_disk(job, i);
		gboolean done = FALSE;
		const char *task_name =
		    tasks != NULL && i < json_array_get_length(tasks)
			? ferry_json_path_string(json_array_get_object_element(tasks, i), "name", NULL)
			: NULL;
		gint64 mib = (ferry_json_path_int(disk, "capacity", 0) + (1 << 20) - 1) >> 20;
		gint64 started;
		gint64 transfer_started;

		for (guint j = 0; j < json_array_get_length(copied); j++) {
			JsonObject *c = json_array_get_object_element(copied, j);
			if (ferry_json_path_int(c, "disk", -1) == i &&
			    ferry_json_path_int(c, "round", -1) == round)
				done = TRUE;
		}
		if (done)
			continue;
		started = g_get_real_time();
		transfer_started = started;
		if (!job_copy_disk(job, source, destination, i, warm,
				   g_ptr_array_index(job->progress, i), &transfer_started, error))
			return FERRY_PHASE_FAIL;
		round_copy_us += g_get_real_time() - started;
		round_open_us += transfer_started - started;
		/* what a cold copy moved and how long it took: the throughput
		 * ferry_estimate_recorded_throughput() finds, in the units of the
		 * estimate (the data the source reports, else the capacity) */
		if (!warm && tasks != NULL && i < json_array_get_length(tasks)) {
			JsonObject *task = json_array_get_object_element(tasks, i);
			JsonObject *annotations = status_object(task, "annotations");
			gint64 capacity = ferry_json_path_int(disk, "capacity", 0);
			gint64 populated = ferry_json_path_int(disk, "populatedSize", 0);
			g_autofree char *bytes = g_strdup_printf(
				"%" G_GINT64_FORMAT,
				populated > 0 ? MIN(populated, capacity) : capacity);
			g_autofree char *at = g_strdup_printf("%" G_GINT64_FORMAT, started);
			g_autofree char *open_us =
			    g_strdup_printf("%" G_GINT64_FORMAT, transfer_started - started);
			g_autofree char *duration =
				g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time() - started);
			json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_BYTES,
						      bytes);
			json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_STARTED,
						      at);
			json_object_set_string_member(annotations, FERRY_ANNOTATION_COPY_DURATION,
						      duration);
			/* of which opening the ends (e.g. an OVA's manifest check) */
			json_object_set_string_member(annotations, "ferry.konveyor.io/copy-open-us",
						      open_us);
		}
		{
			JsonObject *c = json_object_new();
			json_object_set_int_member(c, "disk", i);
			json_object_set_int_member(c, "round", round);
			json_array_add_object_element(copied, c);
		}
		if (task_name != NULL)
			ferry_engine_status_set_task_progress(job->status, step, task_name, mib, mib);
	}
	if (warm) {
		/* how long this round's copy took, and of that opening the ends
		 * (the part a final copy pays whatever it moves) */
		JsonObject *last_round = json_object_new();
		json_object_set_int_member(last_round, "round", round);
		json_object_set_int_member(last_round, "copyUs", round_copy_us);
		json_object_set_int_member(last_round, "openUs", round_open_us);
		json_object_set_object_member(job->state, "warmLastRound", last_round);
	}
	if (warm) {
		/* remember what the target now holds: the next delta starts here */
		JsonObject *changes = status_object(job->state, "copiedChangeIds");
		JsonObject *warm_status = status_object(job->status, "warm");
		JsonArray *precopies = ferry_json_path_array(warm_status, "precopies");
		g_autofree char *now = ferry_engine_timestamp_now();
		/* minutes, as Forklift's setting; precopy_interval_seconds overrides it */
		gint64 interval_s = ferry_engine_get_setting_int(
		    job->engine, "precopy_interval_seconds",
		    ferry_engine_get_setting_int(job->engine, "controller_precopy_interval", 60) *
			60);
		g_autoptr(GDateTime) next = NULL;
		g_autoptr(GDateTime) utc = g_date_time_new_now_utc();
		g_autofree char *next_text = NULL;

		for (guint i = 0; i < job_n_disks(job); i++) {
			const char *disk_id = ferry_json_path_string(job_disk(job, i), "id", "");
			const char *change = job_current_change_id(job, disk_id);
			if (change != NULL)
				json_object_set_string_member(changes, disk_id, change);
		}
		if (precopies != NULL && json_array_get_length(precopies) > 0) {
			JsonObject *last = json_array_get_object_element(
			    precopies, json_array_get_length(precopies) - 1);
			json_object_set_string_member(last, "end", now);
		}
		json_object_set_int_member(warm_status, "successes",
					   ferry_json_path_int(warm_status, "successes", 0) + 1);
		json_object_set_int_member(warm_status, "consecutiveFailures", 0);
		next = g_date_time_add_seconds(utc, (gdouble)interval_s);
		next_text = g_date_time_format(next, "%Y-%m-%dT%H:%M:%SZ");
		json_object_set_string_member(warm_status, "nextPrecopyAt", next_text);
		json_object_set_int_member(job->state, "nextPrecopyAtUnix",
					   g_date_time_to_unix(next));
	}
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_copy_disks(FerryEngineJob *job, GError **error)
{
	return job_copy_disks(job, "DiskTransfer", error);
}

static FerryPhaseResult
phase_finalize(FerryEngineJob *job, GError **error)
{
	return job_copy_disks(job, "Cutover", error);
}

/* the effective cutover of the VM as a Unix time, or 0 */
static gint64
job_cutover_time(FerryEngineJob *job)
{
	JsonArray *per_vm = ferry_json_path_array(job->migration, "spec.vmCutover");
	const char *when = NULL;
	g_autoptr(GDateTime) parsed = NULL;

	for (guint i = 0; per_vm != NULL && i < json_array_get_length(per_vm); i++) {
		JsonObject *entry = json_array_get_object_element(per_vm, i);
		if (g_strcmp0(ferry_json_path_string(entry, "id", NULL), job->vm_id) == 0)
			when = ferry_json_path_string(entry, "cutover", NULL);
	}
	if (when == NULL)
		when = ferry_json_path_string(job->migration, "spec.cutover", NULL);
	if (when == NULL)
		return 0;
	parsed = g_date_time_new_from_iso8601(when, NULL);
	return parsed != NULL ? g_date_time_to_unix(parsed) : 0;
}

/* a Ferry annotation of the Migration, else of the Plan */
static const char *
job_annotation(FerryEngineJob *job, const char *key)
{
	/* (the keys have dots: not paths) */
	JsonObject *annotations = ferry_json_path_object(job->migration, "metadata.annotations");
	const char *value =
	    annotations != NULL ? json_object_get_string_member_with_default(annotations, key, NULL)
				: NULL;
	if (value == NULL) {
		annotations = ferry_json_path_object(job_plan(job), "metadata.annotations");
		value = annotations != NULL
			    ? json_object_get_string_member_with_default(annotations, key, NULL)
			    : NULL;
	}
	return value;
}

/* @text in seconds ("90", "90s"), minutes ("5m") or hours ("1h"), fractions
 * allowed: the seconds, or a negative number when @text is not a duration */
static gdouble
job_parse_duration(const char *text)
{
	g_autofree char *copy = NULL;
	char *end = NULL;
	gdouble value, unit = 1;
	gsize len;

	if (text == NULL)
		return -1;
	copy = g_strstrip(g_strdup(text));
	len = strlen(copy);
	if (len == 0)
		return -1;
	switch (copy[len - 1]) {
	case 's':
		copy[len - 1] = '\0';
		break;
	case 'm':
		unit = 60;
		copy[len - 1] = '\0';
		break;
	case 'h':
		unit = 3600;
		copy[len - 1] = '\0';
		break;
	default:
		break;
	}
	value = g_ascii_strtod(copy, &end);
	if (end == copy || *end != '\0' || !isfinite(value) || value < 0)
		return -1;
	return value * unit;
}

/* The downtime a cutover started now would cost, in seconds, as far as the
 * last precopy tells (negative before the second one, the first that copies
 * only changes): taking the final snapshot and copying what changed since
 * the last one, at most what the last round copied, since the final copy
 * starts sooner after its snapshot than the last round did after the one
 * before (a block written twice counts once, so a shorter window cannot be
 * scaled down from a longer one safely). The source's power-off, a
 * conversion and creating the target VM come on top. */
static gdouble
job_predict_downtime(FerryEngineJob *job, gint64 now_us)
{
	gint64 snapshot_at = ferry_json_path_int(job->state, "warmSnapshotAtUs", 0);
	gint64 previous_at = ferry_json_path_int(job->state, "warmPreviousSnapshotAtUs", 0);
	gint64 took = ferry_json_path_int(job->state, "warmSnapshotTookUs", 0);
	JsonObject *last = ferry_json_path_object(job->state, "warmLastRound");
	gint64 round = ferry_json_path_int(job->state, "round", 0);
	gint64 copy_us;

	if (last == NULL || round < 1 || ferry_json_path_int(last, "round", -1) != round ||
	    snapshot_at <= 0 || previous_at <= 0 || snapshot_at <= previous_at)
		return -1;
	copy_us = ferry_json_path_int(last, "copyUs", 0);
	g_debug("%s: downtime prediction: the snapshot took %" G_GINT64_FORMAT
		" us and round %" G_GINT64_FORMAT " copied its changes of %.1f s in %" G_GINT64_FORMAT
		" us (opening %" G_GINT64_FORMAT " us); %.1f s since its snapshot",
		job_display_name(job), took, round,
		(gdouble)(snapshot_at - previous_at) / G_USEC_PER_SEC, copy_us,
		ferry_json_path_int(last, "openUs", 0),
		(gdouble)(now_us - snapshot_at) / G_USEC_PER_SEC);
	return (gdouble)(took + copy_us) / G_USEC_PER_SEC;
}

/* With the downtime budget (ferry.konveyor.io/downtime-budget on the
 * Migration or the Plan): cut over once the predicted downtime fits it,
 * not before the cutover time when one is set; at the end of the cutover
 * window (ferry.konveyor.io/cutover-window after the cutover time, none
 * when not set) cut over whatever the prediction. Returns TRUE when the
 * budget decided: *cut to cut over now, *precopy_now to precopy again now. */
static gboolean
job_budget_decision(FerryEngineJob *job, gint64 now, gint64 cutover, gboolean *cut,
		    gboolean *precopy_now)
{
	const char *budget_text = job_annotation(job, "ferry.konveyor.io/downtime-budget");
	const char *window_text = job_annotation(job, "ferry.konveyor.io/cutover-window");
	gdouble budget = job_parse_duration(budget_text);
	gdouble window = job_parse_duration(window_text);
	gdouble predicted;
	gboolean open = cutover <= 0 || cutover <= now;
	g_autofree char *message = NULL;

	*cut = FALSE;
	*precopy_now = FALSE;
	if (budget_text == NULL)
		return FALSE;
	if (budget < 0) {
		g_autofree char *bad = g_strdup_printf(
		    "the annotation ferry.konveyor.io/downtime-budget '%s' is not a duration "
		    "(such as 90s, 5m or 1h); the budget is ignored",
		    budget_text);
		ferry_engine_status_set_condition(job->status, "DowntimeBudget", "Warning",
						  "NotADuration", bad);
		return FALSE;
	}
	predicted = job_predict_downtime(job, g_get_real_time());
	if (open && predicted >= 0 && predicted <= budget) {
		message = g_strdup_printf("predicted downtime %.1f s fits the budget of %.1f s: "
					  "cutting over",
					  predicted, budget);
		ferry_engine_status_set_condition(job->status, "DowntimeBudget", "Advisory",
						  "Fits", message);
		*cut = TRUE;
		return TRUE;
	}
	/* a cutover time with no window (`ferry plan cutover`): at that time */
	if (window < 0)
		window = 0;
	if (cutover > 0 && now >= cutover + (gint64)window) {
		if (predicted < 0)
			message = g_strdup_printf(
			    "the cutover %s before a prediction (the budget is %.1f s): cutting over",
			    window > 0 ? "window closed" : "time came", budget);
		else
			message = g_strdup_printf("the cutover %s with the predicted downtime %.1f s "
						  "over the budget of %.1f s: cutting over",
						  window > 0 ? "window closed" : "time came", predicted,
						  budget);
		ferry_engine_status_set_condition(job->status, "DowntimeBudget", "Warning",
						  "WindowClosed", message);
		*cut = TRUE;
		return TRUE;
	}
	if (predicted < 0)
		message = g_strdup_printf("no prediction before the second precopy; budget %.1f s",
					  budget);
	else
		message = g_strdup_printf("predicted downtime %.1f s is over the budget of "
					  "%.1f s: precopying again%s",
					  predicted, budget,
					  open ? "" : " until the cutover time");
	ferry_engine_status_set_condition(job->status, "DowntimeBudget", "Advisory",
					  predicted < 0 ? "Measuring" : "OverBudget", message);
	/* the cutover time has come: precopy again now rather than at the interval */
	*precopy_now = open && cutover > 0;
	return TRUE;
}

static FerryPhaseResult
phase_copying_paused(FerryEngineJob *job, GError **error)
{
	gint64 now = g_get_real_time() / G_USEC_PER_SEC;
	gint64 cutover = job_cutover_time(job);
	gint64 next = ferry_json_path_int(job->state, "nextPrecopyAtUnix", 0);
	gint64 wake;
	gboolean cut, precopy_now;

	if (job_budget_decision(job, now, cutover, &cut, &precopy_now)) {
		if (cut) {
			job->jump_to = g_strdup("StorePowerState");
			return FERRY_PHASE_JUMP;
		}
		if (precopy_now || next <= now)
			return FERRY_PHASE_DONE;
		wake = cutover > now ? MIN(next, cutover) : next;
		job->wake_at = g_get_monotonic_time() + MIN(wake - now, 5) * G_USEC_PER_SEC;
		return FERRY_PHASE_WAIT;
	}
	if (cutover > 0 && cutover <= now) {
		job->jump_to = g_strdup("StorePowerState");
		return FERRY_PHASE_JUMP;
	}
	if (next <= now)
		return FERRY_PHASE_DONE;
	wake = next;
	if (cutover > 0)
		wake = MIN(wake, cutover);
	job->wake_at = g_get_monotonic_time() + MIN(wake - now, 5) * G_USEC_PER_SEC;
	return FERRY_PHASE_WAIT;
}

static char *
job_snapshot_name(FerryEngineJob *job, gint64 number)
{
	return g_strdup_printf("ferry-migration-precopy-%.8s-%" G_GINT64_FORMAT,
			       job->migration_uid, number);
}

static FerryPhaseResult
job_create_snapshot(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	JsonArray *snapshots = state_array(job->state, "snapshots");
	gint64 number = ferry_json_path_int(job->state, "snapshotsTaken", 0) + 1;
	g_autofree char *name = job_snapshot_name(job, number);
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(FerrySnapshot) snapshot = NULL;
	g_auto(GStrv) disks = NULL;
	JsonObject *record, *change_ids;
	JsonObject *warm_status, *precopy;
	JsonArray *precopies;
	g_autofree char *now = ferry_engine_timestamp_now();
	gint64 snapshot_started;
	gint64 row;

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	if (ferry_json_path_int(job->state, "snapshotPending", 0) == number) {
		/* a crash may have come after the snapshot was made: remove it by name */
		g_autoptr(JsonObject) lookup = json_object_new();
		json_object_set_string_member(lookup, "vmId", job->vm_id);
		json_object_set_string_member(lookup, "name", name);
		json_object_set_boolean_member(lookup, "byName", TRUE);
		ferry_provider_remove_artifact(source, "snapshot", name, lookup, job->cancellable,
					       NULL);
		ferry_engine_ledger_forget_artifact(job->ledger, job->migration_uid, job->vm_id,
						    "snapshot", name, NULL);
	}
	json_object_set_string_member(details, "vmId", job->vm_id);
	json_object_set_string_member(details, "name", name);
	json_object_set_boolean_member(details, "byName", TRUE);
	row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id, "source",
					 "snapshot", name, details, error);
	if (row == 0)
		return FERRY_PHASE_FAIL;
	snapshot_started = g_get_real_time();
	snapshot = ferry_provider_create_snapshot(source, job->vm_id, name,
						  FERRY_SNAPSHOT_FLAG_QUIESCE, job->cancellable, error);
	if (snapshot == NULL) {
		ferry_engine_ledger_forget(job->ledger, row, NULL);
		return FERRY_PHASE_FAIL;
	}
	/* when the point in time was taken and how long taking it took: the
	 * downtime budget's prediction (job_predict_downtime) */
	json_object_set_int_member(job->state, "warmPreviousSnapshotAtUs",
				   ferry_json_path_int(job->state, "warmSnapshotAtUs", 0));
	json_object_set_int_member(job->state, "warmSnapshotAtUs", g_get_real_time());
	json_object_set_int_member(job->state, "warmSnapshotTookUs",
				   g_get_real_time() - snapshot_started);
	/* recorded under its real id from now on */
	json_object_set_boolean_member(details, "byName", FALSE);
	json_object_set_string_member(details, "id", ferry_snapshot_get_id(snapshot));
	ferry_engine_ledger_forget(job->ledger, row, NULL);
	row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id, "source",
					 "snapshot", ferry_snapshot_get_id(snapshot), details, error);
	if (row == 0 || !ferry_engine_ledger_created(job->ledger, row, NULL, error))
		return FERRY_PHASE_FAIL;

	record = json_object_new();
	change_ids = json_object_new();
	json_object_set_string_member(record, "id", ferry_snapshot_get_id(snapshot));
	json_object_set_string_member(record, "name", name);
	disks = ferry_snapshot_list_disks(snapshot);
	for (guint i = 0; disks[i] != NULL; i++)
		json_object_set_string_member(change_ids, disks[i],
					      ferry_snapshot_get_change_id(snapshot, disks[i]));
	json_object_set_object_member(record, "changeIds", change_ids);
	json_array_add_object_element(snapshots, record);
	json_object_set_int_member(job->state, "snapshotsTaken", number);

	warm_status = status_object(job->status, "warm");
	precopies = ferry_json_path_array(warm_status, "precopies");
	if (precopies == NULL) {
		precopies = json_array_new();
		json_object_set_array_member(warm_status, "precopies", precopies);
	}
	precopy = json_object_new();
	json_object_set_string_member(precopy, "start", now);
	json_object_set_string_member(precopy, "snapshot", ferry_snapshot_get_id(snapshot));
	json_array_add_object_element(precopies, precopy);
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_create_snapshot(FerryEngineJob *job, GError **error)
{
	/* idempotent across crashes: the snapshot taken in this phase is kept */
	gint64 taken_round = ferry_json_path_int(job->state, "snapshotRound", -1);
	gint64 round = ferry_json_path_int(job->state, "round", 0);
	FerryPhaseResult result;

	if (taken_round == round && g_strcmp0(ferry_json_path_string(job->state, "snapshotPhase", ""),
					      job->phase) == 0)
		return FERRY_PHASE_DONE;
	json_object_set_int_member(job->state, "snapshotPending",
				   ferry_json_path_int(job->state, "snapshotsTaken", 0) + 1);
	result = job_create_snapshot(job, error);
	if (result == FERRY_PHASE_DONE) {
		json_object_set_int_member(job->state, "snapshotRound", round);
		json_object_set_string_member(job->state, "snapshotPhase", job->phase);
		json_object_remove_member(job->state, "snapshotPending");
	}
	return result;
}

static FerryPhaseResult
phase_store_snapshot_deltas(FerryEngineJob *job, GError **error)
{
	JsonArray *snapshots = ferry_json_path_array(job->state, "snapshots");
	JsonArray *precopies = ferry_json_path_array(job->status, "warm.precopies");
	JsonObject *last_snapshot, *last_precopy;
	JsonObject *change_ids;
	JsonArray *deltas = json_array_new();
	GList *members;

	if (snapshots == NULL || json_array_get_length(snapshots) == 0 || precopies == NULL ||
	    json_array_get_length(precopies) == 0) {
		json_array_unref(deltas);
		return FERRY_PHASE_DONE;
	}
	last_snapshot = json_array_get_object_element(snapshots, json_array_get_length(snapshots) - 1);
	last_precopy = json_array_get_object_element(precopies, json_array_get_length(precopies) - 1);
	change_ids = ferry_json_path_object(last_snapshot, "changeIds");
	members = change_ids != NULL ? json_object_get_members(change_ids) : NULL;
	for (GList *l = members; l != NULL; l = l->next) {
		JsonObject *delta = json_object_new();
		json_object_set_string_member(delta, "disk", l->data);
		json_object_set_string_member(delta, "deltaId",
					      json_object_get_string_member(change_ids, l->data));
		json_array_add_object_element(deltas, delta);
	}
	g_list_free(members);
	json_object_set_array_member(last_precopy, "deltas", deltas);
	return FERRY_PHASE_DONE;
}

/* removes the VM's snapshots but the newest @keep */
static FerryPhaseResult
job_remove_snapshots(FerryEngineJob *job, guint keep, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	JsonArray *snapshots = ferry_json_path_array(job->state, "snapshots");

	if (source == NULL)
		return FERRY_PHASE_FAIL;
	while (snapshots != NULL && json_array_get_length(snapshots) > keep) {
		JsonObject *snapshot = json_array_get_object_element(snapshots, 0);
		const char *id = ferry_json_path_string(snapshot, "id", NULL);
		if (!ferry_provider_remove_snapshot(source, job->vm_id, id, job->cancellable, error))
			return FERRY_PHASE_FAIL;
		ferry_engine_ledger_forget_artifact(job->ledger, job->migration_uid, job->vm_id,
						    "snapshot", id, NULL);
		json_array_remove_element(snapshots, 0);
	}
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_remove_previous_snapshot(FerryEngineJob *job, GError **error)
{
	return job_remove_snapshots(job, 1, error);
}

static FerryPhaseResult
phase_remove_final_snapshot(FerryEngineJob *job, GError **error)
{
	return job_remove_snapshots(job, 0, error);
}

static FerryPhaseResult
phase_add_checkpoint(FerryEngineJob *job, GError **error)
{
	gboolean final = g_strcmp0(job->phase, "AddFinalCheckpoint") == 0;
	json_object_set_int_member(job->state, "round",
				   ferry_json_path_int(job->state, "round", 0) + 1);
	job->jump_to = g_strdup(final ? "Finalize" : "CopyDisks");
	return FERRY_PHASE_JUMP;
}

static FerryPhaseResult
phase_noop(FerryEngineJob *job, GError **error)
{
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_create_conversion(FerryEngineJob *job, GError **error)
{
	guint flags = (guint)ferry_json_path_int(job->state, "flags", 0);
	/* copy and conversion are separate: the disks are in place now */
	if ((flags & FERRY_PHASE_FLAG_V2V_COPY) == 0)
		json_object_set_boolean_member(job->status, "disksCopied", TRUE);
	return FERRY_PHASE_DONE;
}

static void
job_close_target_list(FerryEngineJob *job, GPtrArray *disks)
{
	for (guint i = 0; disks != NULL && i < disks->len; i++)
		job_close_endpoint(job, g_ptr_array_index(disks, i), NULL);
}

/* with @open, deferred endpoints are served: the caller reads or writes them */
static GPtrArray *
job_prepare_target_list(FerryEngineJob *job,
			FerryProvider *destination,
			gboolean open,
			GError **error)
{
	g_autoptr(GPtrArray) disks = g_ptr_array_new_with_free_func(g_object_unref);
	for (guint i = 0; i < job_n_disks(job); i++) {
		FerryDiskEndpoint *endpoint = job_prepare_target(job, destination, i, error);
		if (endpoint == NULL)
			return NULL;
		g_ptr_array_add(disks, endpoint);
		if (open && !ferry_disk_endpoint_open(endpoint, job->cancellable, error)) {
			job_close_target_list(job, disks);
			return NULL;
		}
	}
	return g_steal_pointer(&disks);
}

static const char *const conversion_fields[] = {"operatingSystem", "firmware",
						"detectedBootDisk"};

static void
job_store_conversion_result(FerryEngineJob *job, JsonObject *result)
{
	for (guint i = 0; i < G_N_ELEMENTS(conversion_fields); i++) {
		if (json_object_has_member(result, conversion_fields[i]))
			json_object_set_member(
			    job->status, conversion_fields[i],
			    json_node_copy(json_object_get_member(result, conversion_fields[i])));
	}
}

static void
job_close_source_list(FerryEngineJob *job, GPtrArray *sources, GPtrArray *rows)
{
	/* the processes leave the ledger once every one of them is stopped */
	for (guint i = 0; sources != NULL && i < sources->len; i++)
		job_close_endpoint(job, g_ptr_array_index(sources, i), NULL);
	for (guint i = 0; rows != NULL && i < rows->len; i++)
		ferry_engine_ledger_forget(job->ledger, *(gint64 *)g_ptr_array_index(rows, i), NULL);
	if (rows != NULL)
		g_ptr_array_set_size(rows, 0);
	if (sources != NULL)
		g_ptr_array_set_size(sources, 0);
}

/* [{index, uri|path, format}], for methods that handle the whole VM at once */
static char *
job_endpoint_list_json(GPtrArray *endpoints)
{
	g_autoptr(JsonArray) list = json_array_new();
	g_autoptr(JsonNode) node = NULL;
	for (guint i = 0; i < endpoints->len; i++) {
		FerryDiskEndpoint *e = g_ptr_array_index(endpoints, i);
		JsonObject *entry = json_object_new();
		json_object_set_int_member(entry, "index", i);
		if (ferry_disk_endpoint_get_uri(e) != NULL)
			json_object_set_string_member(entry, "uri", ferry_disk_endpoint_get_uri(e));
		if (ferry_disk_endpoint_get_path(e) != NULL)
			json_object_set_string_member(entry, "path", ferry_disk_endpoint_get_path(e));
		json_object_set_string_member(entry, "format", ferry_disk_endpoint_get_format(e));
		json_array_add_object_element(list, entry);
	}
	node = json_node_init_array(json_node_alloc(), json_array_ref(list));
	return json_to_string(node, FALSE);
}

/* a folder for this VM's work files (logs of external tools) */
static char *
job_work_directory(FerryEngineJob *job)
{
	return g_build_filename(ferry_engine_get_state_dir(job->engine), "work",
				job->migration_uid, job->vm_id, NULL);
}

/*
 * The plan's LUKS passphrases (spec.vms[].luks names a Secret) as files for
 * the converter: one per key, in a 0700 folder of the VM's work folder,
 * removed as soon as the conversion ends. The passphrases are read from the
 * store when needed and never kept in the migration's state. Returns the
 * folder, or NULL with @error unset when the VM names no Secret (or uses
 * nbdeClevis, which wins over luks as in Forklift).
 */
static char *
job_write_luks_keys(FerryEngineJob *job, const char *work_dir, GError **error)
{
	JsonObject *ref = ferry_json_path_object(job->status, "luks");
	const char *name = ferry_json_path_string(ref, "name", NULL);
	const char *name_space = ferry_json_path_string(
	    ref, "namespace", ferry_json_path_string(job->context, "plan.metadata.namespace", NULL));
	g_autoptr(FerrySecret) secret = NULL;
	g_autofree char *dir = NULL;
	g_auto(GStrv) keys = NULL;

	if (name == NULL || ferry_json_path_bool(job->status, "nbdeClevis", FALSE))
		return NULL;
	secret = ferry_engine_get_secret(job->engine, name_space, name, error);
	if (secret == NULL) {
		g_prefix_error(error, "VM %s: the LUKS keys of spec.vms[].luks: ",
			       job_display_name(job));
		return NULL;
	}
	dir = g_build_filename(work_dir, "luks", NULL);
	if (g_mkdir_with_parents(dir, 0700) != 0 || g_chmod(dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO, "VM %s: cannot create %s: %s",
			    job_display_name(job), dir, g_strerror(saved_errno));
		return NULL;
	}
	keys = ferry_secret_list_keys(secret);
	for (guint i = 0; keys != NULL && keys[i] != NULL; i++) {
		GBytes *value = ferry_secret_get(secret, keys[i]);
		g_autofree char *path = NULL;
		gsize length = 0;
		const char *data;
		if (value == NULL || strchr(keys[i], '/') != NULL || keys[i][0] == '.')
			continue;
		data = g_bytes_get_data(value, &length);
		path = g_build_filename(dir, keys[i], NULL);
		if (!g_file_set_contents_full(path, data != NULL ? data : "", (gssize)length,
					      G_FILE_SET_CONTENTS_CONSISTENT, 0600, error)) {
			ferry_error_convert(error);
			g_prefix_error(error, "VM %s: LUKS key %s: ", job_display_name(job),
				       keys[i]);
			return NULL;
		}
	}
	return g_steal_pointer(&dir);
}

static void
job_remove_luks_keys(const char *dir)
{
	g_autoptr(GDir) listing = NULL;
	const char *name;
	if (dir == NULL)
		return;
	listing = g_dir_open(dir, 0, NULL);
	while (listing != NULL && (name = g_dir_read_name(listing)) != NULL) {
		g_autofree char *path = g_build_filename(dir, name, NULL);
		g_unlink(path);
	}
	g_rmdir(dir);
}

static FerryPhaseResult
phase_convert_guest(FerryEngineJob *job, GError **error)
{
	guint flags = (guint)ferry_json_path_int(job->state, "flags", 0);
	GPtrArray *methods = ferry_engine_get_transfer_methods(job->engine);
	FerryTransferMethod *converter = NULL;
	g_autoptr(FerryProvider) destination = NULL;
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(JsonObject) result = NULL;
	g_autoptr(FerryProgress) progress = ferry_progress_new();
	g_autoptr(JsonObject) spec = NULL;
	g_autofree char *work_dir = job_work_directory(job);
	g_autofree char *key_dir = NULL;
	g_autoptr(GError) key_error = NULL;

	/* one-pass path: CopyDisksVirtV2V converts while it copies */
	if (flags & FERRY_PHASE_FLAG_V2V_COPY)
		return FERRY_PHASE_DONE;
	if (ferry_json_path_bool(job->state, "converted", FALSE))
		return FERRY_PHASE_DONE;
	for (guint i = 0; methods != NULL && i < methods->len && converter == NULL; i++) {
		if (ferry_transfer_method_can_convert(g_ptr_array_index(methods, i)))
			converter = g_ptr_array_index(methods, i);
	}
	if (converter == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "VM %s needs guest conversion, but no loaded transfer method can "
			    "convert guests; install the virt-v2v plugin (see `ferry doctor`), or "
			    "set spec.skipGuestConversion: true on the plan for a raw copy",
			    job_display_name(job));
		return FERRY_PHASE_FAIL;
	}
	destination = job_destination(job, error);
	if (destination == NULL)
		return FERRY_PHASE_FAIL;
	disks = job_prepare_target_list(job, destination, TRUE, error);
	if (disks == NULL)
		return FERRY_PHASE_FAIL;
	/* the converter keeps its log in the VM's work folder */
	spec = ferry_json_object_copy(job_vm_spec(job));
	json_object_set_string_member(spec, "workDir", work_dir);
	key_dir = job_write_luks_keys(job, work_dir, &key_error);
	if (key_error != NULL) {
		job_close_target_list(job, disks);
		g_propagate_error(error, g_steal_pointer(&key_error));
		return FERRY_PHASE_FAIL;
	}
	if (key_dir != NULL)
		json_object_set_string_member(spec, "luksKeyDir", key_dir);
	result = ferry_transfer_method_convert(converter, spec, disks, progress,
					       job->cancellable, error);
	job_remove_luks_keys(key_dir);
	job_close_target_list(job, disks);
	if (result == NULL)
		return FERRY_PHASE_FAIL;
	job_store_conversion_result(job, result);
	json_object_set_boolean_member(job->state, "converted", TRUE);
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
phase_copy_disks_virt_v2v(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) source = job_source(job, error);
	g_autoptr(FerryProvider) destination = NULL;
	g_autoptr(GPtrArray) targets = NULL;
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;
	g_autoptr(GPtrArray) rows = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GPtrArray) sources = NULL;
	g_autofree char *target_text = NULL;
	g_autofree char *source_text = NULL;
	g_autofree char *job_work_dir = job_work_directory(job);
	g_autofree char *key_dir = NULL;
	g_autoptr(GError) key_error = NULL;
	g_autoptr(JsonObject) spec = NULL;
	FerryTransferMethod *method;
	FerryProgress *progress;
	gboolean ok;

	if (source == NULL || job_n_disks(job) == 0)
		return source == NULL ? FERRY_PHASE_FAIL : FERRY_PHASE_DONE;
	destination = job_destination(job, error);
	if (destination == NULL)
		return FERRY_PHASE_FAIL;
	targets = job_prepare_target_list(job, destination, TRUE, error);
	if (targets == NULL)
		return FERRY_PHASE_FAIL;
	src = ferry_provider_open_disk(source, job->vm_id,
				       ferry_json_path_string(job_disk(job, 0), "id", ""), NULL,
				       job->cancellable, error);
	if (src == NULL) {
		job_close_target_list(job, targets);
		return FERRY_PHASE_FAIL;
	}
	job_record_processes(job, src, rows);
	/* the other source disks, for methods that read the whole VM at once */
	sources = g_ptr_array_new_with_free_func(g_object_unref);
	g_ptr_array_add(sources, g_object_ref(src));
	for (guint i = 1; i < job_n_disks(job); i++) {
		FerryDiskEndpoint *more = ferry_provider_open_disk(
		    source, job->vm_id, ferry_json_path_string(job_disk(job, i), "id", ""), NULL,
		    job->cancellable, error);
		if (more == NULL) {
			job_close_source_list(job, sources, rows);
			job_close_target_list(job, targets);
			return FERRY_PHASE_FAIL;
		}
		job_record_processes(job, more, rows);
		g_ptr_array_add(sources, more);
	}
	source_text = job_endpoint_list_json(sources);
	/* every target, for methods that convert the whole VM at once */
	target_text = job_endpoint_list_json(targets);
	request = ferry_transfer_request_new(src, g_ptr_array_index(targets, 0));
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	spec = ferry_json_object_copy(job_vm_spec(job));
	key_dir = job_write_luks_keys(job, job_work_dir, &key_error);
	if (key_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&key_error));
		job_close_source_list(job, sources, rows);
		job_close_target_list(job, targets);
		return FERRY_PHASE_FAIL;
	}
	if (key_dir != NULL)
		json_object_set_string_member(spec, "luksKeyDir", key_dir);
	ferry_transfer_request_set_vm_spec(request, spec);
	ferry_transfer_request_set_option(request, "targets", target_text);
	ferry_transfer_request_set_option(request, "sources", source_text);
	ferry_transfer_request_set_option(request, "stateDir", job_work_dir);
	ferry_transfer_request_set_source_provider_type(
	    request, ferry_json_path_string(job->context, "source.type", NULL));
	ferry_transfer_request_set_target_provider_type(
	    request, ferry_json_path_string(job->context, "destination.type", NULL));
	method = ferry_transfer_method_select(ferry_engine_get_transfer_methods(job->engine), request,
					      error);
	if (method == NULL) {
		job_remove_luks_keys(key_dir);
		job_close_source_list(job, sources, rows);
		job_close_target_list(job, targets);
		return FERRY_PHASE_FAIL;
	}
	g_mutex_lock(&job->lock);
	g_free(job->progress_step);
	job->progress_step = g_strdup("DiskTransferV2v");
	progress = ferry_progress_new();
	g_ptr_array_add(job->progress, progress);
	g_mutex_unlock(&job->lock);
	ok = ferry_transfer_method_copy(method, request, progress, job->cancellable, error);
	job_remove_luks_keys(key_dir);
	job_close_source_list(job, sources, rows);
	job_close_target_list(job, targets);
	if (!ok)
		return FERRY_PHASE_FAIL;
	/* what the conversion found, handed back as request options */
	for (guint i = 0; i < G_N_ELEMENTS(conversion_fields); i++) {
		const char *value = ferry_transfer_request_get_option(request, conversion_fields[i]);
		if (value != NULL)
			json_object_set_string_member(job->status, conversion_fields[i], value);
	}
	return FERRY_PHASE_DONE;
}

/* Ferry's boot check: asked for by the plan (spec.verifyBoot) or the
 * destination provider's settings (verifyBoot: "true"); the provider starts
 * the VM, waits for it to show that it booted, and stops it again */
static gboolean
job_wants_boot_check(JsonObject *plan, FerryProviderConfig *config)
{
	const char *setting = config != NULL ? ferry_provider_config_get_setting(config, "verifyBoot")
					     : NULL;
	if (ferry_json_path_bool(plan, "spec.verifyBoot", FALSE))
		return TRUE;
	return setting != NULL && (g_ascii_strcasecmp(setting, "true") == 0 ||
				   g_ascii_strcasecmp(setting, "yes") == 0 ||
				   g_strcmp0(setting, "1") == 0);
}

static FerryPhaseResult
job_verify_boot(FerryEngineJob *job, FerryProvider *destination, GError **error)
{
	FerryProviderConfig *config = ferry_provider_get_config(destination);
	const char *vm_id = ferry_json_path_string(job->state, "targetVmId", NULL);
	const char *timeout = NULL;
	const char *marker = NULL;
	g_autoptr(JsonObject) options = json_object_new();
	g_autoptr(JsonObject) result = NULL;
	g_autofree char *message = NULL;
	gint64 seconds;

	if (ferry_json_path_bool(job->state, "bootChecked", FALSE) ||
	    !job_wants_boot_check(job_plan(job), config))
		return FERRY_PHASE_DONE;
	if (!ferry_provider_can_verify_vm(destination)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "VM %s: the plan asks for a boot check (verifyBoot), but destination "
			    "type %s cannot start a VM to check it; remove verifyBoot or migrate "
			    "to a destination that can (libvirt)",
			    job_display_name(job), ferry_provider_get_provider_type(destination));
		return FERRY_PHASE_FAIL;
	}
	if (config != NULL) {
		timeout = ferry_provider_config_get_setting(config, "verifyBootTimeout");
		marker = ferry_provider_config_get_setting(config, "verifyBootMarker");
	}
	if (timeout != NULL)
		json_object_set_int_member(options, "timeoutSeconds",
					   g_ascii_strtoll(timeout, NULL, 10));
	if (marker != NULL)
		json_object_set_string_member(options, "marker", marker);
	result = ferry_provider_verify_vm(destination, vm_id, job_vm_spec(job), options,
					  job->cancellable, error);
	if (result == NULL)
		return FERRY_PHASE_FAIL;
	json_object_set_object_member(job->status, "bootVerification",
				      ferry_json_object_copy(result));
	json_object_set_boolean_member(job->state, "bootChecked", TRUE);
	seconds = ferry_json_path_int(result, "seconds", 0);
	if (ferry_json_path_bool(result, "booted", FALSE)) {
		message = g_strdup_printf("The VM booted on the destination in %" G_GINT64_FORMAT
					  " s (%s).",
					  seconds, ferry_json_path_string(result, "message", "marker seen"));
		ferry_engine_status_set_condition(job->status, "BootVerified", "Advisory",
						  "Booted", message);
		return FERRY_PHASE_DONE;
	}
	message = g_strdup_printf(
	    "The VM did not show that it booted within %" G_GINT64_FORMAT " s: %s.%s%s", seconds,
	    ferry_json_path_string(result, "message", "no boot marker on the console"),
	    ferry_json_path_string(result, "consoleLog", NULL) != NULL ? " Console log: " : "",
	    ferry_json_path_string(result, "consoleLog", ""));
	ferry_engine_status_set_condition(job->status, "BootFailed", "Critical",
					  ferry_json_path_string(result, "reason", "NotBooted"),
					  message);
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "VM %s: %s%s%s",
		    job_display_name(job), message,
		    ferry_json_path_string(result, "consoleTail", NULL) != NULL
			? "\nLast console lines:\n"
			: "",
		    ferry_json_path_string(result, "consoleTail", ""));
	return FERRY_PHASE_FAIL;
}

static FerryPhaseResult
phase_create_vm(FerryEngineJob *job, GError **error)
{
	g_autoptr(FerryProvider) destination = job_destination(job, error);
	g_autoptr(GPtrArray) disks = NULL;
	g_autoptr(JsonObject) spec = NULL;
	g_autoptr(JsonObject) details = json_object_new();
	g_autofree char *vm_id = NULL;
	const char *name;
	const char *power;
	gint64 row;

	if (destination == NULL)
		return FERRY_PHASE_FAIL;
	if (ferry_json_path_string(job->state, "targetVmId", NULL) != NULL)
		return job_verify_boot(job, destination, error);
	spec = ferry_json_object_copy(job_vm_spec(job));
	name = ferry_json_path_string(spec, "name", job->vm_id);
	power = ferry_json_path_string(spec, "targetPowerState", "auto");
	if (g_strcmp0(power, "auto") == 0)
		json_object_set_string_member(
		    spec, "targetPowerState",
		    g_strcmp0(ferry_json_path_string(job->state, "restorePowerState", "Off"), "On") == 0
			? "on"
			: "off");
	if (json_object_has_member(job->status, "operatingSystem"))
		json_object_set_member(spec, "operatingSystem",
				       json_node_copy(json_object_get_member(job->status,
									     "operatingSystem")));
	disks = job_prepare_target_list(job, destination, FALSE, error);
	if (disks == NULL)
		return FERRY_PHASE_FAIL;
	json_object_set_object_member(details, "vmSpec", ferry_json_object_copy(spec));
	row = ferry_engine_ledger_intent(job->ledger, job->migration_uid, job->vm_id, "destination",
					 "vm", name, details, error);
	if (row == 0) {
		job_close_target_list(job, disks);
		return FERRY_PHASE_FAIL;
	}
	vm_id = ferry_provider_create_vm(destination, spec, disks, job->cancellable, error);
	job_close_target_list(job, disks);
	if (vm_id == NULL)
		return FERRY_PHASE_FAIL;
	if (!ferry_engine_ledger_created(job->ledger, row, NULL, error))
		return FERRY_PHASE_FAIL;
	json_object_set_string_member(job->state, "targetVmId", vm_id);
	return job_verify_boot(job, destination, error);
}

static FerryPhaseResult
phase_completed(FerryEngineJob *job, GError **error)
{
	g_autofree char *journals = g_build_filename(ferry_engine_get_state_dir(job->engine),
						     "journals", job->migration_uid, job->vm_id, NULL);
	JsonArray *luns = ferry_json_path_array(job_vm_spec(job), "luns");

	/* the direct LUNs now belong to the target VM: detached from the source
	 * VM (not deleted) so that nothing uses them from both sides */
	for (guint i = 0; luns != NULL && i < json_array_get_length(luns); i++) {
		g_autoptr(FerryProvider) source = job_source(job, error);
		const char *disk_id =
		    ferry_json_path_string(json_array_get_object_element(luns, i), "id", "");
		if (source == NULL ||
		    !ferry_provider_detach_disk(source, job->vm_id, disk_id, job->cancellable, error)) {
			g_prefix_error(error, "VM %s: direct LUN %s stays attached to the source VM: ",
				       job_display_name(job), disk_id);
			return FERRY_PHASE_FAIL;
		}
		g_message("VM %s: direct LUN %s detached from the source VM", job_display_name(job),
			  disk_id);
	}
	/* the target VM and its disks are the result: they leave the ledger;
	 * snapshots, processes and work files go */
	if (!ferry_engine_cleanup_vm(job->engine, job->migration_uid, job->vm_id, job->context,
				     FERRY_CLEANUP_DESTINATION_FORGET, job->cancellable, error))
		return FERRY_PHASE_FAIL;
	g_rmdir(journals);
	return FERRY_PHASE_DONE;
}

/* hooks, in ferry-engine-hooks.c */
FerryPhaseResult
ferry_engine_phase_hook(FerryEngineJob *job, GError **error);

static const struct {
	const char *name;
	PhaseFunc func;
} phase_table[] = {
    {"Started", phase_started},
    {"PreHook", ferry_engine_phase_hook},
    {"PostHook", ferry_engine_phase_hook},
    {"StorePowerState", phase_store_power_state},
    {"PowerOffSource", phase_power_off},
    {"WaitForPowerOff", phase_wait_for_power_off},
    {"CreateDataVolumes", phase_create_data_volumes},
    {"AllocateDisks", phase_allocate_disks},
    {"CopyDisks", phase_copy_disks},
    {"CopyingPaused", phase_copying_paused},
    {"CreateInitialSnapshot", phase_create_snapshot},
    {"CreateSnapshot", phase_create_snapshot},
    {"CreateFinalSnapshot", phase_create_snapshot},
    {"WaitForInitialSnapshot", phase_noop},
    {"WaitForSnapshot", phase_noop},
    {"WaitForFinalSnapshot", phase_store_snapshot_deltas},
    {"StoreInitialSnapshotDeltas", phase_store_snapshot_deltas},
    {"StoreSnapshotDeltas", phase_store_snapshot_deltas},
    {"AddCheckpoint", phase_add_checkpoint},
    {"AddFinalCheckpoint", phase_add_checkpoint},
    {"RemovePreviousSnapshot", phase_remove_previous_snapshot},
    {"WaitForPreviousSnapshotRemoval", phase_noop},
    {"RemovePenultimateSnapshot", phase_remove_previous_snapshot},
    {"WaitForPenultimateSnapshotRemoval", phase_noop},
    {"Finalize", phase_finalize},
    {"RemoveFinalSnapshot", phase_remove_final_snapshot},
    {"WaitForFinalSnapshotRemoval", phase_noop},
    {"CreateGuestConversionPod", phase_create_conversion},
    {"ConvertGuest", phase_convert_guest},
    {"CopyDisksVirtV2V", phase_copy_disks_virt_v2v},
    {"ConvertOpenstackSnapshot", phase_noop},
    {"CreateVM", phase_create_vm},
    {"WaitForGuestReboots", phase_noop},
    {"Completed", phase_completed},
};

static gboolean
job_delete_on_failure(FerryEngineJob *job)
{
	JsonObject *plan = job_plan(job);
	/* Forklift's CRD default is true: a half-made target is removed */
	gboolean plan_value = ferry_json_path_bool(plan, "spec.deleteVmOnFailMigration", TRUE);
	return ferry_json_path_bool(job->status, "deleteVmOnFailMigration", plan_value);
}

static FerryPhaseResult
job_fail(FerryEngineJob *job)
{
	const char *reason = ferry_json_path_string(job->state, "failure", "the phase failed");
	const char *phase = ferry_json_path_string(job->state, "failedPhase", job->phase);
	gboolean conversion_only =
	    g_strcmp0(ferry_json_path_string(job->state, "itinerary", ""), "conversion") == 0;
	gboolean remove = job_delete_on_failure(job) && !conversion_only &&
			  !ferry_json_path_bool(job->status, "disksCopied", FALSE);
	g_autoptr(GError) error = NULL;

	if (!ferry_engine_cleanup_vm(job->engine, job->migration_uid, job->vm_id, job->context,
				     remove ? FERRY_CLEANUP_DESTINATION_REMOVE
					    : FERRY_CLEANUP_DESTINATION_KEEP,
				     NULL, &error))
		g_warning("VM %s: clean-up after failure incomplete: %s", job_display_name(job),
			  error->message);
	ferry_engine_status_fail(job->status, phase, reason);
	ferry_engine_status_complete(job->status, "Failed", "Failed", reason);
	return FERRY_PHASE_DONE;
}

static FerryPhaseResult
job_cancel(FerryEngineJob *job)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryProvider) source = NULL;

	if (!ferry_engine_cleanup_vm(job->engine, job->migration_uid, job->vm_id, job->context,
				     FERRY_CLEANUP_DESTINATION_REMOVE, NULL, &error)) {
		g_warning("VM %s: clean-up after cancel incomplete: %s", job_display_name(job),
			  error->message);
		g_clear_error(&error);
	}
	/* a source that was running before the migration runs again */
	if (g_strcmp0(ferry_json_path_string(job->state, "restorePowerState", ""), "On") == 0 &&
	    (source = job_source(job, &error)) != NULL &&
	    ferry_provider_has_capability(source, FERRY_PROVIDER_CAPABILITY_POWER) &&
	    ferry_provider_get_power_state(source, job->vm_id, NULL, NULL) == FERRY_POWER_STATE_OFF &&
	    !ferry_provider_power_on(source, job->vm_id, NULL, &error))
		g_warning("VM %s: could not power the source back on: %s", job_display_name(job),
			  error->message);
	ferry_engine_status_complete(job->status, "Canceled", "UserRequested",
				     "The migration of the VM was canceled.");
	return FERRY_PHASE_DONE;
}

static gboolean
job_error_is_transient(const GError *error)
{
	return error != NULL && error->domain == FERRY_ERROR &&
	       (error->code == FERRY_ERROR_CONNECTION_FAILED ||
		error->code == FERRY_ERROR_TIMED_OUT || error->code == FERRY_ERROR_BUSY);
}

FerryPhaseResult
ferry_engine_run_phase(FerryEngineJob *job)
{
	PhaseFunc func = NULL;
	FerryPhaseResult result;
	g_autoptr(GError) error = NULL;

	if (g_strcmp0(job->phase, "__fail") == 0)
		return job_fail(job);
	if (g_strcmp0(job->phase, "__cancel") == 0)
		return job_cancel(job);
	for (guint i = 0; i < G_N_ELEMENTS(phase_table); i++) {
		if (g_strcmp0(phase_table[i].name, job->phase) == 0)
			func = phase_table[i].func;
	}
	if (func == NULL) {
		g_set_error(&job->error, FERRY_ERROR, FERRY_ERROR_FAILED, "unknown phase %s",
			    job->phase);
		return FERRY_PHASE_FAIL;
	}
	result = func(job, &error);
	if (result != FERRY_PHASE_FAIL) {
		json_object_remove_member(job->state, "retries");
		return result;
	}
	if (error == NULL)
		g_set_error(&error, FERRY_ERROR, FERRY_ERROR_FAILED, "phase %s failed", job->phase);
	/* a cancelled phase runs again later (the cancel job decides what next) */
	if (g_cancellable_is_cancelled(job->cancellable)) {
		job->wake_at = g_get_monotonic_time();
		return FERRY_PHASE_WAIT;
	}
	if (job_error_is_transient(error)) {
		gint64 retries = ferry_json_path_int(job->state, "retries", 0);
		if (retries < MAX_TRANSIENT_RETRIES) {
			json_object_set_int_member(job->state, "retries", retries + 1);
			job->wake_at = g_get_monotonic_time() + (G_USEC_PER_SEC << retries);
			g_message("VM %s: phase %s: %s; retrying", job_display_name(job), job->phase,
				  error->message);
			return FERRY_PHASE_WAIT;
		}
	}
	job->error = g_steal_pointer(&error);
	return FERRY_PHASE_FAIL;
}
