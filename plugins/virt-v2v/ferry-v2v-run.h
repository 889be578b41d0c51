/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

#include "ferry-v2v-command.h"

G_BEGIN_DECLS

/* What virt-v2v says while it runs: `--machine-readable` progress lines
 * (`N/M`), stage lines (`[  12.3] Copying disk 1/1`), and with `-v` the
 * inspection of the guest (`i_distro = debian`, …). */

#define FERRY_V2V_TAIL_LINES 20

typedef struct {
	guint n_disks;
	guint disk;	  /* the disk being copied, from 1; 0 before copying */
	double fraction;  /* of the whole run's copying, 0..1 */
	char *stage;	  /* the last stage line, without its timestamp */
	char *error;	  /* the first error message */
	JsonObject *facts; /* the inspection's i_* values */
	GPtrArray *warnings; /* virt-v2v's warnings, each once, in order */
	GQueue tail;	  /* the last FERRY_V2V_TAIL_LINES stages and messages */
	GQueue raw_tail;  /* the last FERRY_V2V_TAIL_LINES lines of any kind */
} FerryV2vMonitor;

FerryV2vMonitor *
ferry_v2v_monitor_new(guint n_disks);
void
ferry_v2v_monitor_free(FerryV2vMonitor *self);
gboolean
ferry_v2v_monitor_feed(FerryV2vMonitor *self, const char *line);
JsonObject *
ferry_v2v_monitor_dup_result(FerryV2vMonitor *self);
char *
ferry_v2v_monitor_dup_tail(FerryV2vMonitor *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryV2vMonitor, ferry_v2v_monitor_free)

guint
ferry_v2v_default_timeout(void);
gboolean
ferry_v2v_run(FerryV2vCommand *command,
	      const char *display,
	      FerryProgress *progress,
	      guint timeout_seconds,
	      GCancellable *cancellable,
	      JsonObject **result,
	      GError **error);

G_END_DECLS
