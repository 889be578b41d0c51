/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

#define FERRY_TYPE_PROGRESS (ferry_progress_get_type())
G_DECLARE_FINAL_TYPE(FerryProgress, ferry_progress, FERRY, PROGRESS, GObject)

FerryProgress *
ferry_progress_new(void);
void
ferry_progress_set_total(FerryProgress *self, guint64 total);
guint64
ferry_progress_get_total(FerryProgress *self);
void
ferry_progress_add_done(FerryProgress *self, guint64 bytes);
void
ferry_progress_set_done(FerryProgress *self, guint64 done);
guint64
ferry_progress_get_done(FerryProgress *self);
double
ferry_progress_get_fraction(FerryProgress *self);
double
ferry_progress_get_rate(FerryProgress *self);
gint64
ferry_progress_get_eta(FerryProgress *self);
void
ferry_progress_set_status(FerryProgress *self, const char *status);
char *
ferry_progress_dup_status(FerryProgress *self);
void
ferry_progress_set_interval(FerryProgress *self, guint milliseconds);
void
ferry_progress_flush(FerryProgress *self);

G_END_DECLS
