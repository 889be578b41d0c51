/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <errno.h>
#include <glib/gstdio.h>

#include "ferry-engine-private.h"
#include "ferry-sqlite-private.h"
#include "ferry-engine-spec-private.h"
#include "ferry-platform-private.h"
#include "ferry-error.h"
#include "ferry-files.h"

/**
 * FerryEngine:
 *
 * Runs migrations. Each call of ferry_engine_step() is one level-triggered
 * pass over the persisted state: every VM of every running migration is
 * advanced by at most one idempotent phase of its itinerary (Forklift's
 * cold, warm or conversion-only phase tables). Phases run in worker threads;
 * their results are written to the state database before the VM moves on,
 * so a crash at any moment loses nothing: after a restart the interrupted
 * phase simply runs again, disk copies resume from their journals, and
 * ferry_engine_recover() removes whatever a dead process left behind.
 *
 * Every artefact the engine asks a plugin to create (snapshot, target disk,
 * VM, server process, file) is written to a ledger before it is created and
 * removed from it after clean-up, so no restart leaks one.
 *
 * VM status is kept in Forklift's shape (`status.migration.vms[]`: phase,
 * pipeline of steps with per-disk tasks in MiB, conditions, error).
 *
 * Since: 0.1
 */

#define ENGINE_PROGRESS_PERSIST_US (2 * G_USEC_PER_SEC)

enum { SIGNAL_VM_CHANGED, SIGNAL_MIGRATION_CHANGED, SIGNAL_LAST };
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE(FerryEngine, ferry_engine, G_TYPE_OBJECT)

void
engine_migration_free(gpointer data)
{
	EngineMigration *m = data;
	g_free(m->uid);
	g_free(m->plan_namespace);
	g_free(m->plan_name);
	g_free(m->phase);
	g_clear_pointer(&m->migration, json_object_unref);
	g_clear_pointer(&m->context, json_object_unref);
	g_ptr_array_unref(m->vms);
	g_free(m);
}

void
ferry_engine_vm_free(FerryEngineVm *vm)
{
	if (vm == NULL)
		return;
	g_free(vm->migration_uid);
	g_free(vm->vm_id);
	g_clear_pointer(&vm->status, json_object_unref);
	g_clear_pointer(&vm->state, json_object_unref);
	g_free(vm);
}

static void
ferry_engine_finalize(GObject *object)
{
	FerryEngine *self = FERRY_ENGINE(object);
	GHashTableIter iter;
	gpointer value;

	/* stop running phases before tearing down */
	g_hash_table_iter_init(&iter, self->jobs);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		g_cancellable_cancel(((FerryEngineJob *)value)->cancellable);
	if (self->pool != NULL)
		g_thread_pool_free(self->pool, FALSE, TRUE);
	g_hash_table_unref(self->jobs);
	g_hash_table_unref(self->migrations);
	g_hash_table_unref(self->wake_at);
	g_hash_table_unref(self->providers);
	if (self->provider_notify != NULL)
		self->provider_notify(self->provider_data);
	if (self->secret_notify != NULL)
		self->secret_notify(self->secret_data);
	g_clear_pointer(&self->methods, g_ptr_array_unref);
	g_clear_pointer(&self->settings, json_object_unref);
	g_clear_object(&self->ledger);
	if (self->db != NULL)
		sqlite3_close_v2(self->db);
	g_mutex_clear(&self->providers_lock);
	g_mutex_clear(&self->wake_lock);
	g_cond_clear(&self->wake_cond);
	g_free(self->state_dir);
	g_free(self->db_path);
	G_OBJECT_CLASS(ferry_engine_parent_class)->finalize(object);
}

static void
ferry_engine_class_init(FerryEngineClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_engine_finalize;

	/**
	 * FerryEngine::vm-changed:
	 * @self: the engine
	 * @migration_uid: the migration
	 * @vm_id: the VM
	 * @status: (type Json.Object): the VM status in Forklift's shape
	 *
	 * Emitted in the thread that calls ferry_engine_step() whenever a VM
	 * moves or its copy progresses.
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_VM_CHANGED] = g_signal_new(
	    "vm-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL, NULL,
	    G_TYPE_NONE, 3, G_TYPE_STRING, G_TYPE_STRING, JSON_TYPE_OBJECT);
	/**
	 * FerryEngine::migration-changed:
	 * @self: the engine
	 * @migration_uid: the migration
	 * @phase: `Running`, `Succeeded`, `Failed` or `Canceled`
	 *
	 * Since: 0.1
	 */
	signals[SIGNAL_MIGRATION_CHANGED] =
	    g_signal_new("migration-changed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			 NULL, NULL, G_TYPE_NONE, 2, G_TYPE_STRING, G_TYPE_STRING);
}

static void
ferry_engine_init(FerryEngine *self)
{
	g_mutex_init(&self->providers_lock);
	g_mutex_init(&self->wake_lock);
	g_cond_init(&self->wake_cond);
	self->providers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_object_unref);
	self->jobs = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)engine_job_free);
	self->migrations = g_hash_table_new_full(g_str_hash, g_str_equal, NULL,
						 engine_migration_free);
	self->wake_at = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->settings = json_object_new();
}

/**
 * ferry_engine_new:
 * @state_dir: the state directory; the engine keeps its tables in
 *   `ferry.db` there and its journals and work files below it
 * @error: return location for a #GError
 *
 * Returns: (transfer full): a new engine, or %NULL with @error set
 *
 * Since: 0.1
 */
FerryEngine *
ferry_engine_new(const char *state_dir, GError **error)
{
	g_autoptr(FerryEngine) self = NULL;

	g_return_val_if_fail(state_dir != NULL, NULL);
	if (g_mkdir_with_parents(state_dir, 0700) != 0) {
		int saved_errno = errno;
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED,
			    "cannot create the state directory %s: %s", state_dir,
			    g_strerror(saved_errno));
		return NULL;
	}
	ferry_state_dir_make_private(state_dir);
	self = g_object_new(FERRY_TYPE_ENGINE, NULL);
	self->state_dir = g_strdup(state_dir);
	self->db_path = g_build_filename(state_dir, "ferry.db", NULL);
	if (!engine_setup_db(self, error))
		return NULL;
	self->ledger = ferry_engine_ledger_new(self->db, self->db_path);
	self->pool = g_thread_pool_new(engine_job_thread, self, -1, FALSE, NULL);
	return g_steal_pointer(&self);
}

/**
 * ferry_engine_get_state_dir:
 * @self: a #FerryEngine
 *
 * Returns: (transfer none): the state directory
 *
 * Since: 0.1
 */
const char *
ferry_engine_get_state_dir(FerryEngine *self)
{
	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	return self->state_dir;
}

/**
 * ferry_engine_set_provider_func:
 * @self: a #FerryEngine
 * @func: (scope notified) (closure user_data) (destroy notify): resolves
 *   Provider resources to connected providers
 * @user_data: data for @func
 * @notify: frees @user_data
 *
 * Since: 0.1
 */
void
ferry_engine_set_provider_func(FerryEngine *self,
			       FerryEngineProviderFunc func,
			       gpointer user_data,
			       GDestroyNotify notify)
{
	g_return_if_fail(FERRY_IS_ENGINE(self));
	if (self->provider_notify != NULL)
		self->provider_notify(self->provider_data);
	self->provider_func = func;
	self->provider_data = user_data;
	self->provider_notify = notify;
	g_mutex_lock(&self->providers_lock);
	g_hash_table_remove_all(self->providers);
	g_mutex_unlock(&self->providers_lock);
}

/**
 * ferry_engine_set_secret_func:
 * @self: a #FerryEngine
 * @func: (scope notified) (closure user_data) (destroy notify): reads Secret
 *   resources
 * @user_data: data for @func
 * @notify: frees @user_data
 *
 * Since: 0.1
 */
void
ferry_engine_set_secret_func(FerryEngine *self,
			     FerryEngineSecretFunc func,
			     gpointer user_data,
			     GDestroyNotify notify)
{
	g_return_if_fail(FERRY_IS_ENGINE(self));
	if (self->secret_notify != NULL)
		self->secret_notify(self->secret_data);
	self->secret_func = func;
	self->secret_data = user_data;
	self->secret_notify = notify;
}

/* the Secret @name, for a phase that needs its contents */
FerrySecret *
ferry_engine_get_secret(FerryEngine *self, const char *name_space, const char *name,
			GError **error)
{
	if (self->secret_func == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "Secret %s/%s is needed, but this engine cannot read Secrets",
			    name_space != NULL ? name_space : "default", name);
		return NULL;
	}
	return self->secret_func(name_space, name, self->secret_data, error);
}

/**
 * ferry_engine_set_transfer_methods:
 * @self: a #FerryEngine
 * @methods: (element-type FerryTransferMethod): the transfer methods to
 *   choose from for each disk
 *
 * Since: 0.1
 */
void
ferry_engine_set_transfer_methods(FerryEngine *self, GPtrArray *methods)
{
	g_return_if_fail(FERRY_IS_ENGINE(self));
	g_clear_pointer(&self->methods, g_ptr_array_unref);
	if (methods != NULL)
		self->methods = g_ptr_array_ref(methods);
}

GPtrArray *
ferry_engine_get_transfer_methods(FerryEngine *self)
{
	return self->methods;
}

/**
 * ferry_engine_set_settings:
 * @self: a #FerryEngine
 * @settings: ForkliftController `spec` settings (`controller_max_vm_inflight`,
 *   `controller_precopy_interval`, …)
 *
 * Since: 0.1
 */
void
ferry_engine_set_settings(FerryEngine *self, JsonObject *settings)
{
	g_return_if_fail(FERRY_IS_ENGINE(self));
	g_return_if_fail(settings != NULL);
	g_clear_pointer(&self->settings, json_object_unref);
	self->settings = json_object_ref(settings);
}

/**
 * ferry_engine_get_settings:
 * @self: a #FerryEngine
 *
 * Returns: (transfer none): the settings
 *
 * Since: 0.1
 */
JsonObject *
ferry_engine_get_settings(FerryEngine *self)
{
	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	return self->settings;
}

gint64
ferry_engine_get_setting_int(FerryEngine *self, const char *key, gint64 default_value)
{
	return ferry_json_path_int(self->settings, key, default_value);
}

FerryProvider *
ferry_engine_get_provider(FerryEngine *self, JsonObject *ref, GError **error)
{
	const char *ns = ferry_json_path_string(ref, "namespace", "");
	const char *name = ferry_json_path_string(ref, "name", NULL);
	g_autofree char *key = NULL;
	FerryProvider *provider;

	if (name == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the migration names no provider");
		return NULL;
	}
	key = g_strconcat(ns, "/", name, NULL);
	g_mutex_lock(&self->providers_lock);
	provider = g_hash_table_lookup(self->providers, key);
	if (provider != NULL) {
		g_object_ref(provider);
		g_mutex_unlock(&self->providers_lock);
		return provider;
	}
	g_mutex_unlock(&self->providers_lock);
	if (self->provider_func == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "the engine has no way to connect to Provider/%s", name);
		return NULL;
	}
	provider = self->provider_func(ns[0] != '\0' ? ns : NULL, name, self->provider_data, error);
	if (provider == NULL)
		return NULL;
	g_mutex_lock(&self->providers_lock);
	if (!g_hash_table_contains(self->providers, key))
		g_hash_table_insert(self->providers, g_strdup(key), g_object_ref(provider));
	g_mutex_unlock(&self->providers_lock);
	return provider;
}

/* --- recovery --- */

static gboolean
engine_vm_running(EngineMigration *m, const char *vm_id)
{
	for (guint i = 0; i < m->vms->len; i++) {
		FerryEngineVm *vm = g_ptr_array_index(m->vms, i);
		if (g_strcmp0(vm->vm_id, vm_id) == 0)
			return !vm->done;
	}
	return FALSE;
}

/**
 * ferry_engine_recover:
 * @self: a #FerryEngine
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Reconciles the ledger after a restart: server processes a dead run left
 * are stopped and the files they used removed. Artefacts recorded as about
 * to be made for a VM that no longer migrates (a crash may have come before
 * or after the platform made them) are removed through their provider;
 * those of VMs still migrating, and every artefact known to exist, stay:
 * the interrupted phases find or make them again when they run.
 *
 * Returns: %TRUE when everything left behind was cleaned up
 *
 * Since: 0.1
 */
gboolean
ferry_engine_recover(FerryEngine *self, GCancellable *cancellable, GError **error)
{
	g_autoptr(GPtrArray) entries = NULL;
	gboolean ok = TRUE;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	if (g_hash_table_size(self->jobs) > 0) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_BUSY,
				    "the engine is running phases; recover before starting");
		return FALSE;
	}
	if (!engine_load(self, error))
		return FALSE;
	entries = ferry_engine_ledger_list(self->ledger, NULL, NULL);
	for (guint i = 0; i < entries->len; i++) {
		FerryEngineLedgerEntry *entry = g_ptr_array_index(entries, i);
		/* a migration that has ended is not loaded yet: its context names
		 * the providers that remove what it left */
		EngineMigration *m = engine_get_migration(self, entry->migration_uid, NULL);
		g_autoptr(GError) local_error = NULL;
		gboolean transient = g_strcmp0(entry->kind, "process") == 0;

		if (g_cancellable_set_error_if_cancelled(cancellable, error))
			return FALSE;
		if (!transient && g_strcmp0(entry->state, "intent") != 0)
			continue;
		/* an artefact about to be made by a VM that is still migrating is
		 * left to its phase, which runs again and either makes it or finds
		 * it: removing it here could remove what that phase builds on (a
		 * VM's disks) */
		if (!transient && g_strcmp0(entry->side, "local") != 0 && m != NULL &&
		    g_strcmp0(m->phase, "Running") == 0 && engine_vm_running(m, entry->vm_id))
			continue;
		if (!engine_remove_entry(self, entry, m != NULL ? m->context : NULL,
					 &local_error)) {
			g_warning("recovering migration %s VM %s: cannot remove %s %s: %s",
				  entry->migration_uid, entry->vm_id, entry->kind,
				  entry->artifact_id, local_error->message);
			ok = FALSE;
		}
	}
	if (!ok)
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "some artifacts of an earlier run could not be removed; see the "
				    "warnings above and `ferry plan describe`");
	return ok;
}

/* --- starting a migration --- */

gboolean
engine_vm_matches(JsonObject *ref, const char *vm_id, const char *vm_name)
{
	const char *id = ferry_json_path_string(ref, "id", NULL);
	const char *name = ferry_json_path_string(ref, "name", NULL);
	if (id != NULL && id[0] != '\0')
		return g_strcmp0(id, vm_id) == 0;
	return name != NULL && g_strcmp0(name, vm_name) == 0;
}

static JsonObject *
engine_find_inventory_vm(JsonObject *context, JsonObject *plan_vm)
{
	JsonObject *vms = ferry_json_path_object(context, "vms");
	const char *id = ferry_json_path_string(plan_vm, "id", NULL);
	const char *name = ferry_json_path_string(plan_vm, "name", NULL);
	GList *members;
	JsonObject *found = NULL;

	if (vms == NULL)
		return NULL;
	if (id != NULL && json_object_has_member(vms, id))
		return json_object_get_object_member(vms, id);
	members = json_object_get_members(vms);
	for (GList *l = members; l != NULL && found == NULL && (id == NULL || id[0] == '\0');
	     l = l->next) {
		JsonObject *candidate = json_object_get_object_member(vms, l->data);
		if (g_strcmp0(ferry_json_path_string(candidate, "name", NULL), name) == 0)
			found = candidate;
	}
	g_list_free(members);
	return found;
}

static gboolean
engine_has_hook(JsonObject *plan_vm, const char *step)
{
	JsonArray *hooks = ferry_json_path_array(plan_vm, "hooks");
	for (guint i = 0; hooks != NULL && i < json_array_get_length(hooks); i++) {
		JsonObject *hook = json_array_get_object_element(hooks, i);
		if (g_strcmp0(ferry_json_path_string(hook, "step", NULL), step) == 0)
			return TRUE;
	}
	return FALSE;
}

/* whether a transfer method can copy and convert in one pass for this source */
static gboolean
engine_can_copy_and_convert(FerryEngine *self, const char *source_type)
{
	g_autoptr(FerryDiskEndpoint) src = NULL;
	g_autoptr(FerryDiskEndpoint) dst = NULL;
	g_autoptr(FerryTransferRequest) request = NULL;

	if (self->methods == NULL)
		return FALSE;
	src = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_SOURCE, "/dev/null");
	dst = ferry_disk_endpoint_new_file(FERRY_DISK_ROLE_TARGET, "/dev/null");
	request = ferry_transfer_request_new(src, dst);
	ferry_transfer_request_set_flags(request, FERRY_TRANSFER_FLAG_CONVERT);
	ferry_transfer_request_set_source_provider_type(request, source_type);
	for (guint i = 0; i < self->methods->len; i++) {
		if (ferry_transfer_method_supports(g_ptr_array_index(self->methods, i), request) > 0)
			return TRUE;
	}
	return FALSE;
}

static guint
engine_vm_flags(FerryEngine *self,
		JsonObject *context,
		JsonObject *plan_vm,
		FerryItineraryKind kind)
{
	JsonObject *plan = ferry_json_path_object(context, "plan");
	const char *source_type = ferry_json_path_string(context, "source.type", "");
	gboolean raw_copy = ferry_json_path_bool(plan, "spec.skipGuestConversion", FALSE);
	FerryProviderCapabilities caps = ferry_platform_get_capabilities(source_type);
	gboolean conversion = !raw_copy && (caps & FERRY_PROVIDER_CAPABILITY_GUEST_CONVERSION) != 0;
	guint flags = 0;

	if (engine_has_hook(plan_vm, "PreHook"))
		flags |= FERRY_PHASE_FLAG_PRE_HOOK;
	if (engine_has_hook(plan_vm, "PostHook"))
		flags |= FERRY_PHASE_FLAG_POST_HOOK;
	if (conversion)
		flags |= FERRY_PHASE_FLAG_CONVERSION;
	/* Forklift's useV2vForTransfer (OVA always, vSphere cold): sources that
	 * allow it, and only when a loaded transfer method can copy and convert
	 * in one pass */
	if (conversion && kind == FERRY_ITINERARY_COLD &&
	    (caps & FERRY_PROVIDER_CAPABILITY_CONVERT_ON_COPY) != 0 &&
	    engine_can_copy_and_convert(self, source_type))
		flags |= FERRY_PHASE_FLAG_V2V_COPY;
	else
		flags |= FERRY_PHASE_FLAG_CDI_COPY;
	if ((caps & FERRY_PROVIDER_CAPABILITY_PRE_TRANSFER) != 0)
		flags |= FERRY_PHASE_FLAG_PRE_TRANSFER;
	if ((caps & FERRY_PROVIDER_CAPABILITY_SNAPSHOT_CONSOLIDATION) != 0)
		flags |= FERRY_PHASE_FLAG_SNAPSHOT_CONSOLIDATION;
	return flags;
}

static gboolean
engine_is_disk_step(const char *step)
{
	return g_strcmp0(step, "DiskTransfer") == 0 || g_strcmp0(step, "Cutover") == 0 ||
	       g_strcmp0(step, "DiskTransferV2v") == 0 || g_strcmp0(step, "DiskAllocation") == 0;
}

/* the pipeline: one step per distinct step name of the qualifying phases */
static JsonArray *
engine_build_pipeline(FerryItineraryKind kind, guint flags, JsonArray *disks)
{
	guint n = 0;
	const FerryPhase *phases = ferry_itinerary_get(kind, &n);
	JsonArray *pipeline = json_array_new();
	g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);

	for (guint i = 0; i < n; i++) {
		JsonObject *step, *progress;
		JsonArray *tasks;
		gint64 total = 0;

		if (phases[i].step == NULL || (phases[i].flags & flags) != phases[i].flags ||
		    g_hash_table_contains(seen, phases[i].step))
			continue;
		g_hash_table_add(seen, (gpointer)phases[i].step);
		step = json_object_new();
		progress = json_object_new();
		tasks = json_array_new();
		json_object_set_string_member(step, "name", phases[i].step);
		json_object_set_string_member(step, "description",
					      ferry_step_description(phases[i].step));
		json_object_set_string_member(step, "phase", "Pending");
		if (engine_is_disk_step(phases[i].step)) {
			for (guint d = 0; disks != NULL && d < json_array_get_length(disks); d++) {
				JsonObject *disk = json_array_get_object_element(disks, d);
				JsonObject *task = json_object_new();
				JsonObject *task_progress = json_object_new();
				JsonObject *annotations = json_object_new();
				gint64 mib = (ferry_json_path_int(disk, "capacity", 0) + (1 << 20) - 1) /
					     (1 << 20);
				json_object_set_string_member(
				    task, "name",
				    ferry_json_path_string(disk, "fileName",
							  ferry_json_path_string(disk, "id", "disk")));
				json_object_set_string_member(task, "phase", "Pending");
				json_object_set_int_member(task_progress, "total", mib);
				json_object_set_int_member(task_progress, "completed", 0);
				json_object_set_object_member(task, "progress", task_progress);
				json_object_set_string_member(annotations, "unit", "MB");
				json_object_set_object_member(task, "annotations", annotations);
				json_array_add_object_element(tasks, task);
				total += mib;
			}
		}
		if (json_array_get_length(tasks) == 0)
			total = 1;
		json_object_set_int_member(progress, "total", total);
		json_object_set_int_member(progress, "completed", 0);
		json_object_set_object_member(step, "progress", progress);
		json_object_set_array_member(step, "tasks", tasks);
		json_array_add_object_element(pipeline, step);
	}
	return pipeline;
}

static JsonObject *
engine_previous_vm_status(FerryEngine *self,
			  const char *plan_ns,
			  const char *plan_name,
			  const char *vm_id)
{
	sqlite3_stmt *stmt = engine_prepare(
	    self,
	    "SELECT v.status FROM engine_vms v JOIN engine_migrations m ON m.uid = "
	    "v.migration_uid WHERE m.plan_namespace = ?1 AND m.plan_name = ?2 AND v.vm_id = ?3 "
	    "AND v.done = 1 AND json_extract(v.status, '$.completed') IS NOT NULL ORDER BY "
	    "m.seq DESC LIMIT 1",
	    NULL);
	JsonObject *status = NULL;
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, plan_ns, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, plan_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 3, vm_id, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		status = ferry_json_from_string((const char *)sqlite3_column_text(stmt, 0), NULL);
	sqlite3_finalize(stmt);
	return status;
}

gboolean
engine_status_has_condition(JsonObject *status, const char *type)
{
	JsonArray *conditions = ferry_json_path_array(status, "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *c = json_array_get_object_element(conditions, i);
		if (g_strcmp0(ferry_json_path_string(c, "type", NULL), type) == 0)
			return TRUE;
	}
	return FALSE;
}

/**
 * ferry_engine_start_migration:
 * @self: a #FerryEngine
 * @migration: the Migration resource (`metadata.uid` identifies it; a new one
 *   is made up when absent)
 * @context: what the migration runs on, snapshotted at start as Forklift
 *   does: `plan` (the Plan resource), `networkMap`, `storageMap`, `hooks`
 *   (`NAMESPACE/NAME` → Hook), `source` and `destination` (`namespace`,
 *   `name`, `type`), `vms` (inventory id → inventory VM document)
 * @error: return location for a #GError
 *
 * Records a new migration of the plan; ferry_engine_step() then runs it. VMs
 * that succeeded in an earlier migration of the same plan keep their status
 * (a restart); the others start afresh.
 *
 * Returns: (transfer full): the migration uid, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
ferry_engine_start_migration(FerryEngine *self,
			     JsonObject *migration,
			     JsonObject *context,
			     GError **error)
{
	JsonObject *plan;
	const char *plan_ns, *plan_name, *type;
	g_autofree char *uid = NULL;
	g_autofree char *now = ferry_engine_timestamp_now();
	g_autofree char *migration_text = NULL;
	g_autofree char *context_text = NULL;
	g_autoptr(JsonObject) migration_copy = NULL;
	JsonArray *plan_vms;
	FerryItineraryKind kind = FERRY_ITINERARY_COLD;
	sqlite3_stmt *stmt;
	gint64 seq = 0;
	GHashTableIter iter;
	gpointer value;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	g_return_val_if_fail(migration != NULL && context != NULL, NULL);

	if (!engine_load(self, error))
		return NULL;
	plan = ferry_json_path_object(context, "plan");
	plan_name = ferry_json_path_string(plan, "metadata.name", NULL);
	plan_ns = ferry_json_path_string(plan, "metadata.namespace", "default");
	if (plan_name == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the migration context has no plan with a name");
		return NULL;
	}
	if (ferry_json_path_bool(plan, "spec.archived", FALSE)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "Plan/%s is archived; archived plans run no more migrations", plan_name);
		return NULL;
	}
	g_hash_table_iter_init(&iter, self->migrations);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		EngineMigration *other = value;
		if (g_strcmp0(other->phase, "Running") == 0 &&
		    g_strcmp0(other->plan_name, plan_name) == 0 &&
		    g_strcmp0(other->plan_namespace, plan_ns) == 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
				    "Plan/%s already has a running migration (%s); wait for it, "
				    "or cancel its VMs",
				    plan_name, other->uid);
			return NULL;
		}
	}
	type = ferry_json_path_string(plan, "spec.type", "");
	if (g_strcmp0(type, "warm") == 0 || ferry_json_path_bool(plan, "spec.warm", FALSE))
		kind = FERRY_ITINERARY_WARM;
	else if (g_strcmp0(type, "conversion") == 0)
		kind = FERRY_ITINERARY_CONVERSION;
	else if (g_strcmp0(type, "live") == 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "Plan/%s: live migration needs KubeVirt cluster mode, which this "
			    "Ferry does not have yet; use type cold or warm",
			    plan_name);
		return NULL;
	} else if (type[0] != '\0' && g_strcmp0(type, "cold") != 0) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "Plan/%s: spec.type '%s' is not one of cold, warm, conversion, live",
			    plan_name, type);
		return NULL;
	}

	migration_copy = ferry_json_object_copy(migration);
	uid = g_strdup(ferry_json_path_string(migration_copy, "metadata.uid", NULL));
	if (uid == NULL) {
		JsonObject *metadata = ferry_json_path_object(migration_copy, "metadata");
		uid = g_uuid_string_random();
		if (metadata == NULL) {
			metadata = json_object_new();
			json_object_set_object_member(migration_copy, "metadata", metadata);
		}
		json_object_set_string_member(metadata, "uid", uid);
	}
	migration_text = ferry_json_to_string(migration_copy);
	context_text = ferry_json_to_string(context);

	stmt = engine_prepare(self, "SELECT coalesce(max(seq), 0) + 1 FROM engine_migrations",
			      error);
	if (stmt == NULL)
		return NULL;
	if (sqlite3_step(stmt) == SQLITE_ROW)
		seq = sqlite3_column_int64(stmt, 0);
	sqlite3_finalize(stmt);

	if (!engine_exec(self, "BEGIN IMMEDIATE;", error))
		return NULL;
	stmt = engine_prepare(self,
			      "INSERT INTO engine_migrations(uid, seq, plan_namespace, plan_name, "
			      "phase, started, migration, context) VALUES (?1, ?2, ?3, ?4, "
			      "'Running', ?5, ?6, ?7)",
			      error);
	if (stmt == NULL) {
		engine_exec(self, "ROLLBACK;", NULL);
		return NULL;
	}
	sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
	sqlite3_bind_int64(stmt, 2, seq);
	sqlite3_bind_text(stmt, 3, plan_ns, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 4, plan_name, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 5, now, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 6, migration_text, -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 7, context_text, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) != SQLITE_DONE) {
		sqlite3_finalize(stmt);
		if (sqlite3_extended_errcode(self->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "Migration %s was already started; create a new Migration "
				    "to restart the plan",
				    uid);
		else
			engine_sql_error(self, "recording the migration", error);
		engine_exec(self, "ROLLBACK;", NULL);
		return NULL;
	}
	sqlite3_finalize(stmt);

	plan_vms = ferry_json_path_array(plan, "spec.vms");
	for (guint i = 0; plan_vms != NULL && i < json_array_get_length(plan_vms); i++) {
		JsonObject *plan_vm = json_array_get_object_element(plan_vms, i);
		JsonObject *inventory_vm = engine_find_inventory_vm(context, plan_vm);
		const char *vm_id = ferry_json_path_string(
		    inventory_vm, "id",
		    ferry_json_path_string(plan_vm, "id",
					  ferry_json_path_string(plan_vm, "name", "vm")));
		g_autoptr(JsonObject) previous =
		    engine_previous_vm_status(self, plan_ns, plan_name, vm_id);
		g_autoptr(JsonObject) status = NULL;
		g_autoptr(JsonObject) state = json_object_new();
		g_autofree char *status_text = NULL;
		g_autofree char *state_text = NULL;
		gboolean done = FALSE;
		guint flags = engine_vm_flags(self, context, plan_vm, kind);

		if (previous != NULL && engine_status_has_condition(previous, "Succeeded")) {
			/* a restart keeps what already succeeded */
			status = g_steal_pointer(&previous);
			done = TRUE;
		} else {
			g_autoptr(FerryVmSpec) described = NULL;
			JsonArray *steps;
			if (inventory_vm != NULL)
				described = ferry_engine_describe_source_vm(
				    NULL, ferry_json_path_string(context, "source.type", ""),
				    inventory_vm, NULL);
			/* without a plugin to describe it, the disks as listed */
			steps = engine_build_pipeline(
			    kind, flags,
			    ferry_json_path_array(described != NULL ? ferry_vm_spec_get_json(described)
								    : inventory_vm,
						  "disks"));
			status = ferry_engine_status_new(plan_vm, steps);
			json_array_unref(steps);
			if (!json_object_has_member(status, "id"))
				json_object_set_string_member(status, "id", vm_id);
			if (inventory_vm == NULL) {
				ferry_engine_status_complete(
				    status, "Canceled", "NotFound",
				    "The VM was not found in the source provider's inventory.");
				done = TRUE;
			}
		}
		json_object_set_string_member(state, "itinerary",
					      ferry_itinerary_kind_to_string(kind));
		json_object_set_int_member(state, "flags", flags);
		json_object_set_int_member(state, "phaseIndex", -1);
		status_text = ferry_json_to_string(status);
		state_text = ferry_json_to_string(state);
		stmt = engine_prepare(self,
				      "INSERT OR REPLACE INTO engine_vms(migration_uid, vm_index, "
				      "vm_id, phase, done, status, state) VALUES (?1, ?2, ?3, ?4, "
				      "?5, ?6, ?7)",
				      error);
		if (stmt == NULL) {
			engine_exec(self, "ROLLBACK;", NULL);
			return NULL;
		}
		sqlite3_bind_text(stmt, 1, uid, -1, SQLITE_TRANSIENT);
		sqlite3_bind_int(stmt, 2, (int)i);
		sqlite3_bind_text(stmt, 3, vm_id, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 4, ferry_json_path_string(status, "phase", "Pending"), -1,
				  SQLITE_TRANSIENT);
		sqlite3_bind_int(stmt, 5, done ? 1 : 0);
		sqlite3_bind_text(stmt, 6, status_text, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(stmt, 7, state_text, -1, SQLITE_TRANSIENT);
		if (sqlite3_step(stmt) != SQLITE_DONE) {
			sqlite3_finalize(stmt);
			if (sqlite3_extended_errcode(self->db) == SQLITE_CONSTRAINT_PRIMARYKEY)
				g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
					    "Plan/%s lists VM %s twice", plan_name, vm_id);
			else
				engine_sql_error(self, "recording a VM", error);
			engine_exec(self, "ROLLBACK;", NULL);
			return NULL;
		}
		sqlite3_finalize(stmt);
	}
	if (!engine_exec(self, "COMMIT;", error)) {
		engine_exec(self, "ROLLBACK;", NULL);
		return NULL;
	}
	/* reload it as any running migration is */
	self->loaded = FALSE;
	if (!engine_load(self, error))
		return NULL;
	return g_steal_pointer(&uid);
}

/* --- running phases --- */

/**
 * ferry_engine_step:
 * @self: a #FerryEngine
 * @active: (out) (optional): whether any migration is still running
 * @error: return location for a #GError
 *
 * One level-triggered pass: applies the results of finished phases, starts
 * the next phase of every VM that may run, and completes migrations whose
 * VMs are all done. Never blocks on a phase.
 *
 * Returns: %FALSE when the state could not be read or written
 *
 * Since: 0.1
 */
gboolean
ferry_engine_step(FerryEngine *self, gboolean *active, GError **error)
{
	g_autoptr(GHashTable) in_flight = NULL;
	g_autoptr(GList) migrations = NULL;
	gint64 limit;
	gboolean any_running = FALSE;
	gint64 now = g_get_monotonic_time();

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	if (!engine_load(self, error))
		return FALSE;
	limit = MAX(1, ferry_engine_get_setting_int(self, "controller_max_vm_inflight", 20));
	in_flight = engine_count_in_flight(self);

	migrations = g_hash_table_get_values(self->migrations);
	migrations = g_list_sort(migrations, engine_migration_compare);
	for (GList *l = migrations; l != NULL; l = l->next) {
		EngineMigration *m = l->data;
		gboolean all_done = TRUE;

		if (g_strcmp0(m->phase, "Running") != 0)
			continue;
		any_running = TRUE;
		engine_reload_migration(self, m);
		for (guint i = 0; i < m->vms->len; i++) {
			FerryEngineVm *vm = g_ptr_array_index(m->vms, i);
			g_autofree char *key = engine_vm_key(m->uid, vm->vm_id);
			FerryEngineJob *job = g_hash_table_lookup(self->jobs, key);
			gint64 *wake;
			gboolean finished = FALSE;

			if (vm->done)
				continue;
			all_done = FALSE;
			if (job != NULL) {
				g_mutex_lock(&job->lock);
				finished = job->finished;
				g_mutex_unlock(&job->lock);
				if (!finished) {
					if (engine_vm_canceled(m, vm))
						g_cancellable_cancel(job->cancellable);
					engine_progress_to_status(vm, job);
					if (now - vm->persisted_at > ENGINE_PROGRESS_PERSIST_US &&
					    !engine_save_vm(self, vm, error))
						return FALSE;
					continue;
				}
				engine_apply_job(self, m, vm, job);
				g_hash_table_remove(self->jobs, key);
				if (!engine_save_vm(self, vm, error))
					return FALSE;
				if (vm->done)
					continue;
			}
			/* cancel and failure handling come first */
			if (engine_vm_canceled(m, vm) &&
			    !engine_status_has_condition(vm->status, "Canceled")) {
				engine_start_job(self, m, vm, "__cancel");
				continue;
			}
			if (ferry_json_path_string(vm->state, "failure", NULL) != NULL) {
				engine_start_job(self, m, vm, "__fail");
				continue;
			}
			if (g_strcmp0(engine_vm_phase(vm), "Pending") == 0) {
				gboolean admitted = FALSE;
				if (!engine_admit_pending(self, m, vm, in_flight, limit, &admitted,
							  error))
					return FALSE;
				if (!admitted)
					continue;
			}
			wake = g_hash_table_lookup(self->wake_at, key);
			if (wake != NULL && *wake > now)
				continue;
			engine_start_job(self, m, vm, engine_vm_phase(vm));
		}
		if (all_done) {
			engine_finish_migration(self, m);
		}
	}
	if (active != NULL)
		*active = any_running;
	return TRUE;
}

/**
 * ferry_engine_run:
 * @self: a #FerryEngine
 * @cancellable: (nullable): stops the run; phases under way are cancelled
 *   and will run again on the next run
 * @error: return location for a #GError
 *
 * Recovers, then runs passes until no migration is running.
 *
 * Returns: %TRUE when every migration finished (whatever their outcome)
 *
 * Since: 0.1
 */
gboolean
ferry_engine_run(FerryEngine *self, GCancellable *cancellable, GError **error)
{
	gboolean active = TRUE;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	while (active) {
		guint seen;
		g_mutex_lock(&self->wake_lock);
		seen = self->finished_jobs;
		g_mutex_unlock(&self->wake_lock);
		if (!ferry_engine_step(self, &active, error))
			return FALSE;
		if (g_cancellable_is_cancelled(cancellable)) {
			GHashTableIter iter;
			gpointer value;
			g_hash_table_iter_init(&iter, self->jobs);
			while (g_hash_table_iter_next(&iter, NULL, &value))
				g_cancellable_cancel(((FerryEngineJob *)value)->cancellable);
			/* let the phases stop; the next run starts them again */
			while (g_thread_pool_unprocessed(self->pool) > 0 ||
			       g_thread_pool_get_num_threads(self->pool) > 0)
				g_usleep(10 * 1000);
			g_hash_table_remove_all(self->jobs);
			return !g_cancellable_set_error_if_cancelled(cancellable, error);
		}
		if (!active)
			break;
		g_mutex_lock(&self->wake_lock);
		if (self->finished_jobs == seen)
			g_cond_wait_until(&self->wake_cond, &self->wake_lock,
					  MIN(engine_next_wake(self),
					      g_get_monotonic_time() + G_USEC_PER_SEC / 4));
		g_mutex_unlock(&self->wake_lock);
	}
	return TRUE;
}

guint
engine_finished_jobs(FerryEngine *self)
{
	guint seen;
	g_mutex_lock(&self->wake_lock);
	seen = self->finished_jobs;
	g_mutex_unlock(&self->wake_lock);
	return seen;
}

void
engine_wait_for_job(FerryEngine *self, guint seen, gint64 timeout_us)
{
	g_mutex_lock(&self->wake_lock);
	if (self->finished_jobs == seen)
		g_cond_wait_until(&self->wake_cond, &self->wake_lock,
				  MIN(engine_next_wake(self), g_get_monotonic_time() + timeout_us));
	g_mutex_unlock(&self->wake_lock);
}

/**
 * ferry_engine_cancel_vms:
 * @self: a #FerryEngine
 * @migration_uid: the migration
 * @vm_ids: (array zero-terminated=1): ids (or names) of the VMs to cancel
 * @error: return location for a #GError
 *
 * Adds VMs to the Migration's `spec.cancel`. Their phase under way is
 * cancelled, what they created is removed, and sources that were running
 * are powered back on.
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_engine_cancel_vms(FerryEngine *self,
			const char *migration_uid,
			const char *const *vm_ids,
			GError **error)
{
	EngineMigration *m;
	JsonObject *spec;
	JsonArray *cancel;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	m = engine_get_migration(self, migration_uid, error);
	if (m == NULL)
		return FALSE;
	engine_reload_migration(self, m);
	spec = ferry_json_path_object(m->migration, "spec");
	if (spec == NULL) {
		spec = json_object_new();
		json_object_set_object_member(m->migration, "spec", spec);
	}
	cancel = ferry_json_path_array(spec, "cancel");
	if (cancel == NULL) {
		cancel = json_array_new();
		json_object_set_array_member(spec, "cancel", cancel);
	}
	for (guint i = 0; vm_ids != NULL && vm_ids[i] != NULL; i++) {
		JsonObject *ref = json_object_new();
		gboolean found = FALSE;
		for (guint j = 0; j < m->vms->len; j++) {
			FerryEngineVm *vm = g_ptr_array_index(m->vms, j);
			if (g_strcmp0(vm->vm_id, vm_ids[i]) == 0 ||
			    g_strcmp0(ferry_json_path_string(vm->status, "name", NULL), vm_ids[i]) == 0) {
				json_object_set_string_member(ref, "id", vm->vm_id);
				found = TRUE;
			}
		}
		if (!found) {
			json_object_unref(ref);
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND,
				    "Plan/%s has no VM '%s' in migration %s", m->plan_name, vm_ids[i],
				    migration_uid);
			return FALSE;
		}
		json_array_add_object_element(cancel, ref);
	}
	return engine_save_migration(self, m, error);
}

/**
 * ferry_engine_set_cutover:
 * @self: a #FerryEngine
 * @migration_uid: the migration
 * @vm_id: (nullable): one VM (`vmCutover`), or %NULL for every VM (`cutover`)
 * @cutover: when warm VMs stop precopying and cut over
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_engine_set_cutover(FerryEngine *self,
			 const char *migration_uid,
			 const char *vm_id,
			 GDateTime *cutover,
			 GError **error)
{
	EngineMigration *m;
	JsonObject *spec;
	g_autofree char *when = NULL;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	g_return_val_if_fail(cutover != NULL, FALSE);
	m = engine_get_migration(self, migration_uid, error);
	if (m == NULL)
		return FALSE;
	when = g_date_time_format(cutover, "%Y-%m-%dT%H:%M:%SZ");
	engine_reload_migration(self, m);
	spec = ferry_json_path_object(m->migration, "spec");
	if (spec == NULL) {
		spec = json_object_new();
		json_object_set_object_member(m->migration, "spec", spec);
	}
	if (vm_id == NULL) {
		json_object_set_string_member(spec, "cutover", when);
	} else {
		JsonArray *list = ferry_json_path_array(spec, "vmCutover");
		JsonObject *entry = json_object_new();
		if (list == NULL) {
			list = json_array_new();
			json_object_set_array_member(spec, "vmCutover", list);
		}
		json_object_set_string_member(entry, "id", vm_id);
		json_object_set_string_member(entry, "cutover", when);
		json_array_add_object_element(list, entry);
	}
	/* waiting VMs look again now */
	g_hash_table_remove_all(self->wake_at);
	return engine_save_migration(self, m, error);
}

static JsonNode *
engine_migration_to_json(EngineMigration *m, const char *started, const char *completed)
{
	JsonObject *out = json_object_new();
	JsonArray *vms = json_array_new();
	JsonNode *node;

	json_object_set_string_member(out, "uid", m->uid);
	json_object_set_string_member(out, "plan", m->plan_name);
	json_object_set_string_member(out, "planNamespace", m->plan_namespace);
	json_object_set_string_member(out, "phase", m->phase);
	if (started != NULL)
		json_object_set_string_member(out, "started", started);
	if (completed != NULL)
		json_object_set_string_member(out, "completed", completed);
	for (guint i = 0; i < m->vms->len; i++) {
		FerryEngineVm *vm = g_ptr_array_index(m->vms, i);
		json_array_add_object_element(vms, ferry_json_object_copy(vm->status));
	}
	json_object_set_array_member(out, "vms", vms);
	node = json_node_init_object(json_node_alloc(), out);
	json_object_unref(out);
	return node;
}

/**
 * ferry_engine_get_migration_status:
 * @self: a #FerryEngine
 * @migration_uid: the migration
 * @error: return location for a #GError
 *
 * Returns: (transfer full): `{uid, plan, phase, started, completed, vms[]}`
 *   with each VM status in Forklift's shape
 *
 * Since: 0.1
 */
JsonNode *
ferry_engine_get_migration_status(FerryEngine *self, const char *migration_uid, GError **error)
{
	EngineMigration *m;
	sqlite3_stmt *stmt;
	JsonNode *node;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	m = engine_get_migration(self, migration_uid, error);
	if (m == NULL)
		return NULL;
	stmt = engine_prepare(self, "SELECT started, completed FROM engine_migrations WHERE uid = ?1",
			      error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, migration_uid, -1, SQLITE_TRANSIENT);
	if (sqlite3_step(stmt) == SQLITE_ROW)
		node = engine_migration_to_json(m, (const char *)sqlite3_column_text(stmt, 0),
						(const char *)sqlite3_column_text(stmt, 1));
	else
		node = engine_migration_to_json(m, NULL, NULL);
	sqlite3_finalize(stmt);
	return node;
}

/**
 * ferry_engine_list_migrations:
 * @self: a #FerryEngine
 * @running_only: only those still running
 *
 * Returns: (transfer full): migration uids, oldest first
 *
 * Since: 0.1
 */
GStrv
ferry_engine_list_migrations(FerryEngine *self, gboolean running_only)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	sqlite3_stmt *stmt;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	stmt = engine_prepare(self,
			      "SELECT uid FROM engine_migrations WHERE ?1 = 0 OR phase = 'Running' "
			      "ORDER BY seq",
			      NULL);
	if (stmt != NULL) {
		sqlite3_bind_int(stmt, 1, running_only ? 1 : 0);
		while (sqlite3_step(stmt) == SQLITE_ROW)
			g_strv_builder_add(builder, (const char *)sqlite3_column_text(stmt, 0));
		sqlite3_finalize(stmt);
	}
	return g_strv_builder_end(builder);
}

/* a snapshot reference as Forklift's history has them: namespace, name,
 * uid, generation, all present (its CRD requires them) */
static JsonObject *
engine_snapshot_ref(JsonObject *metadata, const char *uid)
{
	JsonObject *ref = json_object_new();

	json_object_set_string_member(ref, "namespace",
				      ferry_json_path_string(metadata, "namespace", ""));
	json_object_set_string_member(ref, "name", ferry_json_path_string(metadata, "name", ""));
	json_object_set_string_member(
	    ref, "uid", uid != NULL ? uid : ferry_json_path_string(metadata, "uid", ""));
	json_object_set_int_member(ref, "generation",
				   ferry_json_path_int(metadata, "generation", 1));
	return ref;
}

/**
 * ferry_engine_get_plan_status:
 * @self: a #FerryEngine
 * @plan_namespace: the plan's namespace
 * @plan_name: the plan's name
 * @error: return location for a #GError
 *
 * The plan's `status.migration` as Forklift writes it: `started`,
 * `completed`, `history[]` (one entry per migration) and `vms[]` (the VMs of
 * the latest migration).
 *
 * Returns: (transfer full): the status, or %NULL with
 *   %FERRY_ERROR_NOT_FOUND when the plan never ran
 *
 * Since: 0.1
 */
JsonNode *
ferry_engine_get_plan_status(FerryEngine *self,
			     const char *plan_namespace,
			     const char *plan_name,
			     GError **error)
{
	sqlite3_stmt *stmt;
	g_autoptr(JsonObject) out = json_object_new();
	JsonArray *history = json_array_new();
	g_autofree char *last_uid = NULL;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	json_object_set_array_member(out, "history", history);
	stmt = engine_prepare(self,
			      "SELECT uid, phase, started, completed, migration, context "
			      "FROM engine_migrations WHERE plan_namespace = ?1 "
			      "AND plan_name = ?2 ORDER BY seq",
			      error);
	if (stmt == NULL)
		return NULL;
	sqlite3_bind_text(stmt, 1, plan_namespace != NULL ? plan_namespace : "default", -1,
			  SQLITE_TRANSIENT);
	sqlite3_bind_text(stmt, 2, plan_name, -1, SQLITE_TRANSIENT);
	while (sqlite3_step(stmt) == SQLITE_ROW) {
		JsonObject *entry = json_object_new();
		const char *started = (const char *)sqlite3_column_text(stmt, 2);
		const char *completed = (const char *)sqlite3_column_text(stmt, 3);
		g_autoptr(JsonObject) migration_doc =
		    ferry_json_from_string((const char *)sqlite3_column_text(stmt, 4), NULL);
		g_autoptr(JsonObject) context =
		    ferry_json_from_string((const char *)sqlite3_column_text(stmt, 5), NULL);
		JsonObject *provider = json_object_new();
		JsonObject *map = json_object_new();

		/* Forklift's snapshot of what the migration ran with */
		json_object_set_object_member(
		    entry, "migration",
		    engine_snapshot_ref(ferry_json_path_object(migration_doc, "metadata"),
					(const char *)sqlite3_column_text(stmt, 0)));
		json_object_set_object_member(
		    entry, "plan",
		    engine_snapshot_ref(ferry_json_path_object(context, "plan.metadata"), NULL));
		json_object_set_object_member(
		    provider, "source",
		    engine_snapshot_ref(ferry_json_path_object(context, "source"), NULL));
		json_object_set_object_member(
		    provider, "destination",
		    engine_snapshot_ref(ferry_json_path_object(context, "destination"), NULL));
		json_object_set_object_member(entry, "provider", provider);
		json_object_set_object_member(
		    map, "network",
		    engine_snapshot_ref(ferry_json_path_object(context, "networkMap.metadata"),
					NULL));
		json_object_set_object_member(
		    map, "storage",
		    engine_snapshot_ref(ferry_json_path_object(context, "storageMap.metadata"),
					NULL));
		json_object_set_object_member(entry, "map", map);
		json_object_set_string_member(entry, "phase",
					      (const char *)sqlite3_column_text(stmt, 1));
		if (started != NULL)
			json_object_set_string_member(out, "started", started);
		if (completed != NULL)
			json_object_set_string_member(out, "completed", completed);
		else
			json_object_remove_member(out, "completed");
		json_array_add_object_element(history, entry);
		g_free(last_uid);
		last_uid = g_strdup((const char *)sqlite3_column_text(stmt, 0));
	}
	sqlite3_finalize(stmt);
	if (last_uid == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND, "Plan/%s has never run",
			    plan_name);
		return NULL;
	}
	{
		g_autoptr(JsonNode) last = ferry_engine_get_migration_status(self, last_uid, error);
		if (last == NULL)
			return NULL;
		json_object_set_member(out, "vms",
				       json_node_copy(json_object_get_member(
					   json_node_get_object(last), "vms")));
	}
	return json_node_init_object(json_node_alloc(), out);
}

/**
 * ferry_engine_list_artifacts:
 * @self: a #FerryEngine
 *
 * Returns: (transfer full): the ledger: every artefact created and not yet
 *   cleaned up or handed over as a result, as a JSON array
 *
 * Since: 0.1
 */
JsonNode *
ferry_engine_list_artifacts(FerryEngine *self)
{
	g_autoptr(GPtrArray) entries = NULL;
	JsonArray *array = json_array_new();
	JsonNode *node;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), NULL);
	entries = ferry_engine_ledger_list(self->ledger, NULL, NULL);
	for (guint i = 0; i < entries->len; i++) {
		FerryEngineLedgerEntry *entry = g_ptr_array_index(entries, i);
		JsonObject *object = json_object_new();
		json_object_set_string_member(object, "migration", entry->migration_uid);
		json_object_set_string_member(object, "vm", entry->vm_id);
		json_object_set_string_member(object, "side", entry->side);
		json_object_set_string_member(object, "kind", entry->kind);
		json_object_set_string_member(object, "id", entry->artifact_id);
		json_object_set_string_member(object, "state", entry->state);
		json_object_set_object_member(object, "details", json_object_ref(entry->details));
		json_array_add_object_element(array, object);
	}
	node = json_node_new(JSON_NODE_ARRAY);
	json_node_take_array(node, array);
	return node;
}

/**
 * ferry_engine_archive:
 * @self: a #FerryEngine
 * @plan_namespace: the plan's namespace
 * @plan_name: the plan's name
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Cleans up everything the plan's migrations still hold (snapshots, work
 * files, the targets of VMs that did not succeed) and their journals. The
 * migrated VMs stay. The caller marks the Plan `archived`.
 *
 * Returns: %TRUE when everything was removed
 *
 * Since: 0.1
 */
gboolean
ferry_engine_archive(FerryEngine *self,
		     const char *plan_namespace,
		     const char *plan_name,
		     GCancellable *cancellable,
		     GError **error)
{
	g_auto(GStrv) uids = NULL;
	gboolean ok = TRUE;

	g_return_val_if_fail(FERRY_IS_ENGINE(self), FALSE);
	uids = ferry_engine_list_migrations(self, FALSE);
	for (guint i = 0; uids[i] != NULL; i++) {
		EngineMigration *m = engine_get_migration(self, uids[i], error);
		if (m == NULL)
			return FALSE;
		if (g_strcmp0(m->plan_name, plan_name) != 0 ||
		    g_strcmp0(m->plan_namespace, plan_namespace != NULL ? plan_namespace : "default") != 0)
			continue;
		if (g_strcmp0(m->phase, "Running") == 0) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_BUSY,
				    "Plan/%s is still running migration %s; cancel it first",
				    plan_name, m->uid);
			return FALSE;
		}
		for (guint j = 0; j < m->vms->len; j++) {
			FerryEngineVm *vm = g_ptr_array_index(m->vms, j);
			g_autoptr(GError) local_error = NULL;
			if (!ferry_engine_cleanup_vm(self, m->uid, vm->vm_id, m->context,
						     FERRY_CLEANUP_DESTINATION_REMOVE, cancellable,
						     &local_error)) {
				if (ok)
					g_propagate_error(error, g_steal_pointer(&local_error));
				ok = FALSE;
			}
		}
		{
			g_autofree char *journals =
			    g_build_filename(self->state_dir, "journals", m->uid, NULL);
			g_autoptr(JsonObject) details = json_object_new();
			json_object_set_string_member(details, "path", journals);
			engine_remove_local(details, NULL);
		}
	}
	return ok;
}
