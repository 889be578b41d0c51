/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/* The scheduler: which VM runs which phase, and when. Phases run as jobs on
 * the engine's worker pool; their results are applied to the VM record by
 * the engine thread, which then moves the VM along its itinerary. Forklift's
 * in-flight limit (VMs per source provider, or per host for sources with
 * hosts) holds Pending VMs back with the Pending condition. ferry_engine_step()
 * and ferry_engine_run() in ferry-engine.c drive it. */

#include "config.h"

#include "ferry-engine-private.h"
#include "ferry-platform-private.h"
#include "ferry-error.h"

void
engine_job_free(FerryEngineJob *job)
{
	g_free(job->migration_uid);
	g_free(job->vm_id);
	g_free(job->phase);
	g_clear_pointer(&job->context, json_object_unref);
	g_clear_pointer(&job->migration, json_object_unref);
	g_clear_pointer(&job->status, json_object_unref);
	g_clear_pointer(&job->state, json_object_unref);
	g_clear_object(&job->cancellable);
	g_clear_pointer(&job->progress, g_ptr_array_unref);
	g_free(job->progress_step);
	g_free(job->jump_to);
	g_clear_error(&job->error);
	g_mutex_clear(&job->lock);
	g_free(job);
}

char *
engine_vm_key(const char *uid, const char *vm_id)
{
	return g_strconcat(uid, "\n", vm_id, NULL);
}

static void
engine_wake(FerryEngine *self)
{
	g_mutex_lock(&self->wake_lock);
	self->finished_jobs++;
	g_cond_signal(&self->wake_cond);
	g_mutex_unlock(&self->wake_lock);
}

gboolean
engine_vm_canceled(EngineMigration *m, FerryEngineVm *vm)
{
	JsonArray *cancel = ferry_json_path_array(m->migration, "spec.cancel");
	for (guint i = 0; cancel != NULL && i < json_array_get_length(cancel); i++) {
		JsonObject *ref = json_array_get_object_element(cancel, i);
		if (engine_vm_matches(ref, vm->vm_id, ferry_json_path_string(vm->status, "name", NULL)))
			return TRUE;
	}
	return FALSE;
}

void
engine_job_thread(gpointer data, gpointer user_data)
{
	FerryEngineJob *job = data;
	FerryEngine *self = user_data;
	FerryPhaseResult result = ferry_engine_run_phase(job);

	g_mutex_lock(&job->lock);
	job->result = result;
	job->finished = TRUE;
	g_mutex_unlock(&job->lock);
	engine_wake(self);
}

static FerryEngineJob *
engine_job_new(FerryEngine *self, EngineMigration *m, FerryEngineVm *vm, const char *phase)
{
	FerryEngineJob *job = g_new0(FerryEngineJob, 1);
	g_mutex_init(&job->lock);
	job->engine = self;
	job->ledger = self->ledger;
	job->migration_uid = g_strdup(m->uid);
	job->vm_id = g_strdup(vm->vm_id);
	job->phase = g_strdup(phase);
	job->context = json_object_ref(m->context);
	job->migration = ferry_json_object_copy(m->migration);
	job->status = ferry_json_object_copy(vm->status);
	job->state = ferry_json_object_copy(vm->state);
	job->cancellable = g_cancellable_new();
	job->progress = g_ptr_array_new_with_free_func(g_object_unref);
	return job;
}

const char *
engine_vm_phase(FerryEngineVm *vm)
{
	return ferry_json_path_string(vm->status, "phase", "Pending");
}

static gboolean
engine_vm_advance(FerryEngineVm *vm, const char *jump_to)
{
	FerryItineraryKind kind = FERRY_ITINERARY_COLD;
	guint flags = (guint)ferry_json_path_int(vm->state, "flags", 0);
	gint index = (gint)ferry_json_path_int(vm->state, "phaseIndex", -1);
	guint n = 0;
	const FerryPhase *phases;
	gint next;

	ferry_itinerary_kind_from_string(ferry_json_path_string(vm->state, "itinerary", "cold"),
					 &kind);
	phases = ferry_itinerary_get(kind, &n);
	if (jump_to != NULL) {
		next = ferry_itinerary_find(kind, jump_to);
		if (next >= 0 && (phases[next].flags & flags) != phases[next].flags)
			next = ferry_itinerary_next(kind, next, flags);
	} else {
		next = ferry_itinerary_next(kind, index + 1, flags);
	}
	if (next < 0)
		return FALSE;
	json_object_set_int_member(vm->state, "phaseIndex", next);
	if (phases[next].step != NULL)
		ferry_engine_status_enter_phase(vm->status, phases[next].name, phases[next].step);
	else
		json_object_set_string_member(vm->status, "phase", phases[next].name);
	vm->dirty = TRUE;
	return TRUE;
}

void
engine_progress_to_status(FerryEngineVm *vm, FerryEngineJob *job)
{
	g_autofree char *step = NULL;
	JsonObject *stepobj;
	JsonArray *tasks;

	g_mutex_lock(&job->lock);
	step = g_strdup(job->progress_step);
	if (step == NULL || (stepobj = ferry_engine_status_find_step(vm->status, step)) == NULL) {
		g_mutex_unlock(&job->lock);
		return;
	}
	tasks = json_object_get_array_member(stepobj, "tasks");
	for (guint i = 0; i < job->progress->len && tasks != NULL &&
			  i < json_array_get_length(tasks);
	     i++) {
		FerryProgress *progress = g_ptr_array_index(job->progress, i);
		JsonObject *task = json_array_get_object_element(tasks, i);
		guint64 total = progress != NULL ? ferry_progress_get_total(progress) : 0;
		if (total == 0)
			continue;
		ferry_engine_status_set_task_progress(
		    vm->status, step, json_object_get_string_member(task, "name"),
		    (gint64)(ferry_progress_get_done(progress) >> 20),
		    (gint64)((total + (1 << 20) - 1) >> 20));
	}
	g_mutex_unlock(&job->lock);
	vm->dirty = TRUE;
}

void
engine_apply_job(FerryEngine *self, EngineMigration *m, FerryEngineVm *vm, FerryEngineJob *job)
{
	g_autofree char *key = engine_vm_key(m->uid, vm->vm_id);

	/* the phase worked on copies; they become the record */
	json_object_unref(vm->status);
	vm->status = json_object_ref(job->status);
	json_object_unref(vm->state);
	vm->state = json_object_ref(job->state);
	vm->dirty = TRUE;
	g_hash_table_remove(self->wake_at, key);

	if (g_strcmp0(job->phase, "__cancel") == 0 || g_strcmp0(job->phase, "__fail") == 0) {
		vm->done = TRUE;
		return;
	}
	switch (job->result) {
	case FERRY_PHASE_DONE:
		if (g_strcmp0(job->phase, "Completed") == 0) {
			ferry_engine_status_complete(vm->status, "Succeeded", "Completed",
						     "The VM migration has SUCCEEDED.");
			vm->done = TRUE;
		} else if (!engine_vm_advance(vm, NULL)) {
			ferry_engine_status_complete(vm->status, "Succeeded", "Completed",
						     "The VM migration has SUCCEEDED.");
			vm->done = TRUE;
		}
		break;
	case FERRY_PHASE_JUMP:
		engine_vm_advance(vm, job->jump_to);
		break;
	case FERRY_PHASE_WAIT: {
		gint64 *when = g_new(gint64, 1);
		*when = job->wake_at > 0 ? job->wake_at
					 : g_get_monotonic_time() + G_USEC_PER_SEC / 2;
		g_hash_table_insert(self->wake_at, g_strdup(key), when);
		break;
	}
	case FERRY_PHASE_FAIL:
	default:
		/* the failure path runs as its own job: clean up, then complete */
		json_object_set_string_member(vm->state, "failure",
					      job->error != NULL ? job->error->message
								 : "the phase failed");
		json_object_set_string_member(vm->state, "failedPhase", job->phase);
		break;
	}
}

gboolean
engine_start_job(FerryEngine *self, EngineMigration *m, FerryEngineVm *vm, const char *phase)
{
	g_autofree char *key = engine_vm_key(m->uid, vm->vm_id);
	FerryEngineJob *job = engine_job_new(self, m, vm, phase);
	g_hash_table_insert(self->jobs, g_strdup(key), job);
	return g_thread_pool_push(self->pool, job, NULL);
}

/* Forklift's scheduler: in-flight VMs per source provider across plans;
 * for vSphere, counted per ESXi host */
static gboolean
engine_vm_costs(FerryEngineVm *vm)
{
	const char *phase = engine_vm_phase(vm);
	static const char *const free_phases[] = {"Pending", "CopyingPaused", "CreateVM",
						  "PostHook", "Completed", NULL};
	if (vm->done)
		return FALSE;
	return !g_strv_contains(free_phases, phase);
}

static char *
engine_capacity_key(EngineMigration *m, FerryEngineVm *vm)
{
	JsonObject *vms = ferry_json_path_object(m->context, "vms");
	JsonObject *doc = vms != NULL && json_object_has_member(vms, vm->vm_id)
			      ? json_object_get_object_member(vms, vm->vm_id)
			      : NULL;
	const char *source = ferry_json_path_string(m->context, "source.name", "");
	const char *source_ns = ferry_json_path_string(m->context, "source.namespace", "");
	const char *host = NULL;
	/* counted per host for sources with hosts (Forklift's per-ESXi limit) */
	if (ferry_platform_has_capability(ferry_json_path_string(m->context, "source.type", ""),
					  FERRY_PROVIDER_CAPABILITY_HOSTS)) {
		JsonNode *node = doc != NULL ? json_object_get_member(doc, "host") : NULL;
		if (node != NULL && JSON_NODE_HOLDS_OBJECT(node))
			host = ferry_json_path_string(json_node_get_object(node), "id", NULL);
		else
			host = ferry_json_path_string(doc, "host", NULL);
	}
	return g_strdup_printf("%s/%s/%s", source_ns, source, host != NULL ? host : "");
}

GHashTable *
engine_count_in_flight(FerryEngine *self)
{
	GHashTable *counts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	GHashTableIter iter;
	gpointer value;

	g_hash_table_iter_init(&iter, self->migrations);
	while (g_hash_table_iter_next(&iter, NULL, &value)) {
		EngineMigration *m = value;
		if (g_strcmp0(m->phase, "Running") != 0)
			continue;
		for (guint i = 0; i < m->vms->len; i++) {
			FerryEngineVm *vm = g_ptr_array_index(m->vms, i);
			if (engine_vm_costs(vm)) {
				char *key = engine_capacity_key(m, vm);
				guint n = GPOINTER_TO_UINT(g_hash_table_lookup(counts, key));
				g_hash_table_replace(counts, key, GUINT_TO_POINTER(n + 1));
			}
		}
	}
	return counts;
}

/* whether a Pending VM may start now: one over the in-flight limit stays
 * Pending with the Pending condition InFlightLimit; one that starts leaves
 * Pending for its first phase and counts in @in_flight */
gboolean
engine_admit_pending(FerryEngine *self,
		     EngineMigration *m,
		     FerryEngineVm *vm,
		     GHashTable *in_flight,
		     gint64 limit,
		     gboolean *admitted,
		     GError **error)
{
	g_autofree char *capacity = engine_capacity_key(m, vm);
	guint n = GPOINTER_TO_UINT(g_hash_table_lookup(in_flight, capacity));

	*admitted = FALSE;
	if (n >= limit) {
		g_autofree char *message = g_strdup_printf(
		    "Waiting to start migration: in-flight limit reached "
		    "(max %" G_GINT64_FORMAT ").",
		    limit);
		if (!engine_status_has_condition(vm->status, "Pending")) {
			ferry_engine_status_set_condition(vm->status, "Pending", "Advisory",
							  "InFlightLimit", message);
			if (!engine_save_vm(self, vm, error))
				return FALSE;
		}
		return TRUE;
	}
	g_hash_table_replace(in_flight, g_strdup(capacity), GUINT_TO_POINTER(n + 1));
	ferry_engine_status_remove_condition(vm->status, "Pending");
	engine_vm_advance(vm, NULL);
	if (!engine_save_vm(self, vm, error))
		return FALSE;
	*admitted = TRUE;
	return TRUE;
}

void
engine_finish_migration(FerryEngine *self, EngineMigration *m)
{
	guint succeeded = 0, failed = 0;
	const char *phase;
	g_autoptr(GError) error = NULL;

	for (guint i = 0; i < m->vms->len; i++) {
		FerryEngineVm *vm = g_ptr_array_index(m->vms, i);
		if (engine_status_has_condition(vm->status, "Failed"))
			failed++;
		else if (engine_status_has_condition(vm->status, "Succeeded"))
			succeeded++;
	}
	phase = failed > 0 ? "Failed" : succeeded > 0 ? "Succeeded" : "Canceled";
	g_free(m->phase);
	m->phase = g_strdup(phase);
	if (!engine_save_migration(self, m, &error))
		g_warning("%s", error->message);
	/* Forklift's Client.Finalize: provider-side clean-up after the plan */
	{
		g_autoptr(FerryProvider) source =
		    ferry_engine_get_provider(self, ferry_json_path_object(m->context, "source"), NULL);
		g_autoptr(GPtrArray) ids = g_ptr_array_new();
		for (guint i = 0; i < m->vms->len; i++)
			g_ptr_array_add(ids, ((FerryEngineVm *)g_ptr_array_index(m->vms, i))->vm_id);
		g_ptr_array_add(ids, NULL);
		g_clear_error(&error);
		g_autoptr(FerryProvider) destination = ferry_engine_get_provider(
		    self, ferry_json_path_object(m->context, "destination"), NULL);
		if (source != NULL &&
		    !ferry_provider_finalize_plan(source, m->plan_name,
						  (const char *const *)ids->pdata, NULL, &error))
			g_warning("Plan/%s: the source provider's clean-up failed: %s", m->plan_name,
				  error->message);
		g_clear_error(&error);
		/* the destination's too: what serves its disks (transfer pods) */
		if (destination != NULL && destination != source &&
		    !ferry_provider_finalize_plan(destination, m->plan_name,
						  (const char *const *)ids->pdata, NULL, &error))
			g_warning("Plan/%s: the destination provider's clean-up failed: %s",
				  m->plan_name, error->message);
	}
}

gint
engine_migration_compare(gconstpointer a, gconstpointer b)
{
	const EngineMigration *ma = a, *mb = b;
	return ma->seq < mb->seq ? -1 : ma->seq > mb->seq ? 1 : 0;
}

gint64
engine_next_wake(FerryEngine *self)
{
	GHashTableIter iter;
	gpointer value;
	gint64 next = g_get_monotonic_time() + G_USEC_PER_SEC;
	g_hash_table_iter_init(&iter, self->wake_at);
	while (g_hash_table_iter_next(&iter, NULL, &value))
		next = MIN(next, *(gint64 *)value);
	return next;
}
