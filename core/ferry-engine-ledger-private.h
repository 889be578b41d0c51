/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <glib-object.h>
#include <json-glib/json-glib.h>
#include <sqlite3.h>

G_BEGIN_DECLS

/*
 * The artefact ledger. Every artefact the engine asks a plugin to create
 * (snapshot, target disk, VM, server process, file) is recorded as an
 * intent before it is created, marked created once it exists, and forgotten
 * after it is cleaned up or handed over as the migration's result; so after a
 * crash the engine knows everything a dead run may have left. The entries
 * are rows of the engine_ledger table of the state database. Phases call it
 * from worker threads (the database is opened serialized).
 */

#define FERRY_TYPE_ENGINE_LEDGER (ferry_engine_ledger_get_type())
G_DECLARE_FINAL_TYPE(FerryEngineLedger, ferry_engine_ledger, FERRY, ENGINE_LEDGER, GObject)

typedef struct {
	gint64 row;
	char *migration_uid;
	char *vm_id;
	char *side; /* source, destination or local */
	char *kind;
	char *artifact_id;
	JsonObject *details;
	char *state; /* intent or created */
} FerryEngineLedgerEntry;

FerryEngineLedger *
ferry_engine_ledger_new(sqlite3 *db, const char *db_path);
/* records that an artefact is about to be created; returns its row, or 0 with
 * @error set */
gint64
ferry_engine_ledger_intent(FerryEngineLedger *self,
			   const char *migration_uid,
			   const char *vm_id,
			   const char *side,
			   const char *kind,
			   const char *artifact_id,
			   JsonObject *details,
			   GError **error);
/* the artefact of @row exists; @details (nullable) replace the recorded ones */
gboolean
ferry_engine_ledger_created(FerryEngineLedger *self,
			    gint64 row,
			    JsonObject *details,
			    GError **error);
gboolean
ferry_engine_ledger_forget(FerryEngineLedger *self, gint64 row, GError **error);
gboolean
ferry_engine_ledger_forget_artifact(FerryEngineLedger *self,
				    const char *migration_uid,
				    const char *vm_id,
				    const char *kind,
				    const char *artifact_id,
				    GError **error);
/* (element-type FerryEngineLedgerEntry): entries, newest first, of one
 * migration's VM or (with %NULL) of all */
GPtrArray *
ferry_engine_ledger_list(FerryEngineLedger *self, const char *migration_uid, const char *vm_id);

G_END_DECLS
