/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <sqlite3.h>

#include "ferry-engine.h"
#include "ferry-engine-ledger-private.h"
#include "ferry-json-private.h"
#include "ferry-transfer-method.h"

G_BEGIN_DECLS

/* --- itineraries --- */

typedef enum {
	FERRY_ITINERARY_COLD,
	FERRY_ITINERARY_WARM,
	FERRY_ITINERARY_CONVERSION,
} FerryItineraryKind;

typedef enum {
	FERRY_PHASE_FLAG_PRE_HOOK = 1 << 0,
	FERRY_PHASE_FLAG_POST_HOOK = 1 << 1,
	FERRY_PHASE_FLAG_CONVERSION = 1 << 2, /* the guest is converted */
	FERRY_PHASE_FLAG_V2V_COPY = 1 << 3,   /* one-pass copy and convert */
	FERRY_PHASE_FLAG_CDI_COPY = 1 << 4,   /* the engine copies, conversion (if any) after */
	FERRY_PHASE_FLAG_PRE_TRANSFER = 1 << 5, /* the source prepares VMs first */
	FERRY_PHASE_FLAG_SNAPSHOT_CONSOLIDATION = 1 << 6, /* wait for it after warm */
	FERRY_PHASE_FLAG_WINDOWS_REBOOT = 1 << 7,   /* never set: no guest reboot watcher here */
} FerryPhaseFlags;

typedef struct {
	const char *name;
	const char *step;
	guint flags; /* every bit must hold for the phase to run */
} FerryPhase;

typedef struct {
	const char *name;
	const char *description;
} FerryStepInfo;

const FerryPhase *
ferry_itinerary_get(FerryItineraryKind kind, guint *n_phases);
const char *
ferry_itinerary_kind_to_string(FerryItineraryKind kind);
gboolean
ferry_itinerary_kind_from_string(const char *str, FerryItineraryKind *kind);
/* the first phase at or after @index that qualifies under @flags, or -1 */
gint
ferry_itinerary_next(FerryItineraryKind kind, gint index, guint flags);
gint
ferry_itinerary_find(FerryItineraryKind kind, const char *phase);
const char *
ferry_step_description(const char *step);

/* --- persisted per-VM record, owned by the engine thread --- */

typedef struct {
	char *migration_uid;
	char *vm_id;
	guint index;
	JsonObject *status; /* Forklift VMStatus */
	JsonObject *state;  /* engine-private: itinerary, flags, snapshots, change ids … */
	gboolean done;
	gboolean dirty;
	gint64 persisted_at;
} FerryEngineVm;

void
ferry_engine_vm_free(FerryEngineVm *vm);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryEngineVm, ferry_engine_vm_free)

/* --- the engine object, shared by the engine's files --- */

/* one migration as the engine thread holds it */
typedef struct {
	char *uid;
	char *plan_namespace;
	char *plan_name;
	char *phase;
	gint64 seq;
	JsonObject *migration;
	JsonObject *context;
	GPtrArray *vms; /* of FerryEngineVm, in plan order */
	gboolean dirty;
} EngineMigration;

void
engine_migration_free(gpointer data);

struct _FerryEngine {
	GObject parent_instance;
	char *state_dir;
	char *db_path;
	sqlite3 *db;
	FerryEngineLedger *ledger; /* the artefact ledger, over db */
	FerryEngineProviderFunc provider_func;
	gpointer provider_data;
	GDestroyNotify provider_notify;
	FerryEngineSecretFunc secret_func;
	gpointer secret_data;
	GDestroyNotify secret_notify;
	GMutex providers_lock;
	GHashTable *providers; /* "ns/name" → FerryProvider */
	GPtrArray *methods;
	JsonObject *settings;
	GThreadPool *pool;
	GHashTable *jobs;	/* "uid\nvm" → FerryEngineJob */
	GHashTable *migrations; /* uid → EngineMigration (running and recent) */
	GHashTable *wake_at;	/* "uid\nvm" → gint64 */
	GMutex wake_lock;
	GCond wake_cond;
	guint finished_jobs;
	gboolean loaded;
};

/* --- the state database, in ferry-engine-state.c --- */

gboolean
engine_setup_db(FerryEngine *self, GError **error);
gboolean
engine_exec(FerryEngine *self, const char *sql, GError **error);
gboolean
engine_sql_error(FerryEngine *self, const char *what, GError **error);
sqlite3_stmt *
engine_prepare(FerryEngine *self, const char *sql, GError **error);
/* loads the running migrations once */
gboolean
engine_load(FerryEngine *self, GError **error);
gboolean
engine_save_vm(FerryEngine *self, FerryEngineVm *vm, GError **error);
gboolean
engine_save_migration(FerryEngine *self, EngineMigration *m, GError **error);
void
engine_reload_migration(FerryEngine *self, EngineMigration *m);
/* a migration, loaded from the database when it is not held */
EngineMigration *
engine_get_migration(FerryEngine *self, const char *uid, GError **error);

/* --- the work of one phase, run in a worker thread --- */

typedef enum {
	FERRY_PHASE_DONE, /* go to the next phase */
	FERRY_PHASE_WAIT, /* not yet: run the phase again later */
	FERRY_PHASE_JUMP, /* go to job->jump_to */
	FERRY_PHASE_FAIL, /* the VM fails with job->error */
} FerryPhaseResult;

typedef struct _FerryEngineJob FerryEngineJob;
struct _FerryEngineJob {
	FerryEngine *engine;	/* not owned */
	FerryEngineLedger *ledger; /* the engine's, not owned */
	char *migration_uid;
	char *vm_id;
	char *phase;
	JsonObject *context; /* the migration's context snapshot (read-only) */
	JsonObject *migration;
	JsonObject *status; /* copies the phase may change; applied on completion */
	JsonObject *state;
	GCancellable *cancellable;
	GPtrArray *progress; /* FerryProgress per disk, read by the engine thread */
	char *progress_step; /* the pipeline step the progress belongs to */
	GMutex lock;
	/* results */
	FerryPhaseResult result;
	char *jump_to;
	gint64 wake_at; /* for WAIT: monotonic µs when to try again; 0 = soon */
	GError *error;
	gboolean finished;
};

/* phase actions, in ferry-engine-phases.c */
FerryPhaseResult
ferry_engine_run_phase(FerryEngineJob *job);

/* --- clean-up, in ferry-engine-cleanup.c --- */

/* what becomes of a VM's destination artefacts when it is cleaned up */
typedef enum {
	FERRY_CLEANUP_DESTINATION_FORGET, /* they are the result (success) */
	FERRY_CLEANUP_DESTINATION_REMOVE, /* remove them (failure, cancel, archive) */
	FERRY_CLEANUP_DESTINATION_KEEP,	  /* keep them recorded, for archive */
} FerryCleanupDestination;

gboolean
ferry_engine_cleanup_vm(FerryEngine *self,
			const char *migration_uid,
			const char *vm_id,
			JsonObject *context,
			FerryCleanupDestination destination,
			GCancellable *cancellable,
			GError **error);
/* removes one ledger entry's artefact and forgets it; @context (nullable)
 * names the migration's providers */
gboolean
engine_remove_entry(FerryEngine *self,
		    FerryEngineLedgerEntry *entry,
		    JsonObject *context,
		    GError **error);
/* removes the local artefact @details describe: `pid` (with `match`, a
 * string its command line must hold), `path`, `paths` */
gboolean
engine_remove_local(JsonObject *details, GError **error);

/* --- the engine object, in ferry-engine.c --- */

gboolean
engine_vm_matches(JsonObject *ref, const char *vm_id, const char *vm_name);
gboolean
engine_status_has_condition(JsonObject *status, const char *type);

/* --- the scheduler, in ferry-engine-scheduler.c (engine thread) --- */

/* "uid\nvm", the key of a VM's job and wake-up time */
char *
engine_vm_key(const char *uid, const char *vm_id);
void
engine_job_free(FerryEngineJob *job);
/* the worker pool's function: runs one job's phase */
void
engine_job_thread(gpointer data, gpointer user_data);
gboolean
engine_start_job(FerryEngine *self, EngineMigration *m, FerryEngineVm *vm, const char *phase);
/* makes a finished job's result the VM's record and moves the VM on */
void
engine_apply_job(FerryEngine *self, EngineMigration *m, FerryEngineVm *vm, FerryEngineJob *job);
const char *
engine_vm_phase(FerryEngineVm *vm);
gboolean
engine_vm_canceled(EngineMigration *m, FerryEngineVm *vm);
/* copies a running job's disk progress into the VM status */
void
engine_progress_to_status(FerryEngineVm *vm, FerryEngineJob *job);
/* VMs in flight per capacity key (source provider, and host for sources
 * with hosts) */
GHashTable *
engine_count_in_flight(FerryEngine *self);
gboolean
engine_admit_pending(FerryEngine *self,
		     EngineMigration *m,
		     FerryEngineVm *vm,
		     GHashTable *in_flight,
		     gint64 limit,
		     gboolean *admitted,
		     GError **error);
/* the migration's outcome once all its VMs are done, and the source's
 * clean-up after the plan */
void
engine_finish_migration(FerryEngine *self, EngineMigration *m);
/* by start order */
gint
engine_migration_compare(gconstpointer a, gconstpointer b);
/* the monotonic time of the next VM waiting to run a phase again */
gint64
engine_next_wake(FerryEngine *self);
/* how many phases have finished so far, and a wait of at most @timeout_us
 * for one more after @seen: what a loop that must also run a main context
 * sleeps on instead of a fixed interval */
guint engine_finished_jobs(FerryEngine *self);
void engine_wait_for_job(FerryEngine *self, guint seen, gint64 timeout_us);

FerryProvider *
ferry_engine_get_provider(FerryEngine *self, JsonObject *ref, GError **error);
GPtrArray *
ferry_engine_get_transfer_methods(FerryEngine *self);
gint64
ferry_engine_get_setting_int(FerryEngine *self, const char *key, gint64 default_value);

/* status helpers, in ferry-engine-status.c */
char *
ferry_engine_timestamp_now(void);
JsonObject *
ferry_engine_status_new(JsonObject *plan_vm, JsonArray *steps);
void
ferry_engine_status_enter_phase(JsonObject *status, const char *phase, const char *step);
void
ferry_engine_status_set_task_progress(JsonObject *status,
				      const char *step,
				      const char *task,
				      gint64 completed_mib,
				      gint64 total_mib);
void
ferry_engine_status_fail(JsonObject *status, const char *phase, const char *reason);
void
ferry_engine_status_complete(JsonObject *status, const char *condition, const char *reason,
			     const char *message);
void
ferry_engine_status_set_condition(JsonObject *status,
				  const char *type,
				  const char *category,
				  const char *reason,
				  const char *message);
void
ferry_engine_status_remove_condition(JsonObject *status, const char *type);
JsonObject *
ferry_engine_status_find_step(JsonObject *status, const char *step);
FerrySecret *
ferry_engine_get_secret(FerryEngine *self, const char *name_space, const char *name,
			GError **error);


G_END_DECLS
