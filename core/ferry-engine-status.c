/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-engine-private.h"
#include "ferry-error.h"

/* VM status in Forklift's shape (`status.migration.vms[]`): phase, pipeline
 * of steps with per-disk tasks in MiB, conditions, error, warm history */

char *
ferry_engine_timestamp_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();
	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%SZ");
}

JsonObject *
ferry_engine_status_new(JsonObject *plan_vm, JsonArray *steps)
{
	JsonObject *status = ferry_json_object_copy(plan_vm);
	json_object_set_string_member(status, "phase", "Pending");
	json_object_set_array_member(status, "pipeline", json_array_ref(steps));
	json_object_set_array_member(status, "conditions", json_array_new());
	return status;
}

JsonObject *
ferry_engine_status_find_step(JsonObject *status, const char *step)
{
	JsonArray *pipeline = ferry_json_path_array(status, "pipeline");
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *candidate = json_array_get_object_element(pipeline, i);
		if (g_strcmp0(json_object_get_string_member(candidate, "name"), step) == 0)
			return candidate;
	}
	return NULL;
}

/* the moment a step started or ended, to the microsecond (Forklift's
 * timestamps are whole seconds), set with the step's started or completed */
static void
ferry_engine_step_mark(JsonObject *step, const char *key)
{
	JsonObject *annotations;
	g_autofree char *now = NULL;

	if (!json_object_has_member(step, "annotations"))
		json_object_set_object_member(step, "annotations", json_object_new());
	annotations = json_object_get_object_member(step, "annotations");
	if (annotations == NULL)
		return;
	now = g_strdup_printf("%" G_GINT64_FORMAT, g_get_real_time());
	json_object_set_string_member(annotations, key, now);
}

static void
ferry_engine_step_finish(JsonObject *step, const char *now)
{
	JsonObject *progress = json_object_get_object_member(step, "progress");
	JsonArray *tasks = json_object_get_array_member(step, "tasks");
	json_object_set_string_member(step, "phase", "Completed");
	if (!json_object_has_member(step, "completed")) {
		json_object_set_string_member(step, "completed", now);
		ferry_engine_step_mark(step, "ferry.konveyor.io/completed-us");
	}
	if (!json_object_has_member(step, "error") && progress != NULL)
		json_object_set_int_member(progress, "completed",
					   json_object_get_int_member(progress, "total"));
	for (guint i = 0; tasks != NULL && i < json_array_get_length(tasks); i++) {
		JsonObject *task = json_array_get_object_element(tasks, i);
		JsonObject *task_progress = ferry_json_path_object(task, "progress");
		json_object_set_string_member(task, "phase", "Completed");
		if (!json_object_has_member(task, "completed"))
			json_object_set_string_member(task, "completed", now);
		/* "Completed" means ended, as in Forklift; a task (a disk) that
		 * ended short of its total when the step failed carries the
		 * step's error, so it never reads as done */
		if (json_object_has_member(step, "error") && !json_object_has_member(task, "error") &&
		    (task_progress == NULL ||
		     ferry_json_path_int(task_progress, "completed", 0) <
			 ferry_json_path_int(task_progress, "total", 0)))
			json_object_set_member(task, "error",
					       json_node_copy(json_object_get_member(step, "error")));
	}
}

void
ferry_engine_status_enter_phase(JsonObject *status, const char *phase, const char *step_name)
{
	g_autofree char *now = ferry_engine_timestamp_now();
	JsonArray *pipeline = ferry_json_path_array(status, "pipeline");

	json_object_set_string_member(status, "phase", phase);
	if (!json_object_has_member(status, "started"))
		json_object_set_string_member(status, "started", now);
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = json_array_get_object_element(pipeline, i);
		const char *name = json_object_get_string_member(step, "name");
		const char *step_phase = json_object_get_string_member(step, "phase");
		if (g_strcmp0(name, step_name) == 0) {
			if (g_strcmp0(step_phase, "Running") != 0) {
				json_object_set_string_member(step, "phase", "Running");
				if (!json_object_has_member(step, "started")) {
					json_object_set_string_member(step, "started", now);
					ferry_engine_step_mark(step, "ferry.konveyor.io/started-us");
				}
				json_object_remove_member(step, "completed");
			}
		} else if (g_strcmp0(step_phase, "Running") == 0) {
			ferry_engine_step_finish(step, now);
		}
	}
}

void
ferry_engine_status_set_task_progress(JsonObject *status,
				      const char *step_name,
				      const char *task_name,
				      gint64 completed_mib,
				      gint64 total_mib)
{
	JsonObject *step = ferry_engine_status_find_step(status, step_name);
	JsonArray *tasks;
	gint64 sum_completed = 0, sum_total = 0;

	if (step == NULL)
		return;
	tasks = json_object_get_array_member(step, "tasks");
	for (guint i = 0; tasks != NULL && i < json_array_get_length(tasks); i++) {
		JsonObject *task = json_array_get_object_element(tasks, i);
		JsonObject *progress = json_object_get_object_member(task, "progress");
		if (g_strcmp0(json_object_get_string_member(task, "name"), task_name) == 0) {
			json_object_set_int_member(progress, "total", total_mib);
			json_object_set_int_member(progress, "completed",
						   MIN(completed_mib, total_mib));
			if (g_strcmp0(json_object_get_string_member(task, "phase"), "Pending") == 0) {
				g_autofree char *now = ferry_engine_timestamp_now();
				json_object_set_string_member(task, "phase", "Running");
				json_object_set_string_member(task, "started", now);
			}
		}
		sum_completed += json_object_get_int_member(progress, "completed");
		sum_total += json_object_get_int_member(progress, "total");
	}
	if (tasks != NULL && json_array_get_length(tasks) > 0) {
		JsonObject *progress = json_object_get_object_member(step, "progress");
		json_object_set_int_member(progress, "total", sum_total);
		json_object_set_int_member(progress, "completed", sum_completed);
	}
}

void
ferry_engine_status_set_condition(JsonObject *status,
				  const char *type,
				  const char *category,
				  const char *reason,
				  const char *message)
{
	JsonArray *conditions = ferry_json_path_array(status, "conditions");
	g_autofree char *now = ferry_engine_timestamp_now();
	JsonObject *condition = NULL;

	if (conditions == NULL) {
		conditions = json_array_new();
		json_object_set_array_member(status, "conditions", conditions);
	}
	for (guint i = 0; i < json_array_get_length(conditions); i++) {
		JsonObject *candidate = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(candidate, "type"), type) == 0)
			condition = candidate;
	}
	if (condition == NULL) {
		condition = json_object_new();
		json_array_add_object_element(conditions, condition);
		json_object_set_string_member(condition, "lastTransitionTime", now);
	} else if (g_strcmp0(json_object_get_string_member(condition, "message"), message) != 0) {
		json_object_set_string_member(condition, "lastTransitionTime", now);
	}
	json_object_set_string_member(condition, "type", type);
	json_object_set_string_member(condition, "status", "True");
	json_object_set_string_member(condition, "category", category);
	if (reason != NULL)
		json_object_set_string_member(condition, "reason", reason);
	json_object_set_string_member(condition, "message", message != NULL ? message : "");
}

void
ferry_engine_status_remove_condition(JsonObject *status, const char *type)
{
	JsonArray *conditions = ferry_json_path_array(status, "conditions");
	for (guint i = 0; conditions != NULL && i < json_array_get_length(conditions); i++) {
		JsonObject *candidate = json_array_get_object_element(conditions, i);
		if (g_strcmp0(json_object_get_string_member(candidate, "type"), type) == 0) {
			json_array_remove_element(conditions, i);
			return;
		}
	}
}

void
ferry_engine_status_fail(JsonObject *status, const char *phase, const char *reason)
{
	JsonObject *error = json_object_new();
	JsonArray *reasons = json_array_new();
	JsonArray *pipeline = ferry_json_path_array(status, "pipeline");

	json_array_add_string_element(reasons, reason);
	json_object_set_string_member(error, "phase", phase);
	json_object_set_array_member(error, "reasons", reasons);
	json_object_set_object_member(status, "error", error);
	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = json_array_get_object_element(pipeline, i);
		if (g_strcmp0(json_object_get_string_member(step, "phase"), "Running") == 0) {
			JsonObject *step_error = json_object_new();
			JsonArray *step_reasons = json_array_new();
			json_array_add_string_element(step_reasons, reason);
			json_object_set_string_member(step_error, "phase", phase);
			json_object_set_array_member(step_error, "reasons", step_reasons);
			json_object_set_object_member(step, "error", step_error);
		}
	}
}

void
ferry_engine_status_complete(JsonObject *status,
			     const char *condition,
			     const char *reason,
			     const char *message)
{
	g_autofree char *now = ferry_engine_timestamp_now();
	JsonArray *pipeline = ferry_json_path_array(status, "pipeline");

	for (guint i = 0; pipeline != NULL && i < json_array_get_length(pipeline); i++) {
		JsonObject *step = json_array_get_object_element(pipeline, i);
		if (g_strcmp0(json_object_get_string_member(step, "phase"), "Running") == 0)
			ferry_engine_step_finish(step, now);
	}
	json_object_set_string_member(status, "phase", "Completed");
	if (!json_object_has_member(status, "started"))
		json_object_set_string_member(status, "started", now);
	json_object_set_string_member(status, "completed", now);
	ferry_engine_status_remove_condition(status, "Pending");
	ferry_engine_status_set_condition(status, condition,
					  g_strcmp0(condition, "Failed") == 0 ? "Critical"
									      : "Advisory",
					  reason, message);
}
