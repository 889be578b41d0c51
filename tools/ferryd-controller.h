/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry.h>

G_BEGIN_DECLS

/* the finalizer ferryd puts on the Plans and Migrations it acts on */
#define FERRYD_FINALIZER "forklift.konveyor.io/ferry-cleanup"

#define FERRYD_TYPE_CONTROLLER (ferryd_controller_get_type())
G_DECLARE_FINAL_TYPE(FerrydController, ferryd_controller, FERRYD, CONTROLLER, GObject)

FerrydController *ferryd_controller_new(FerryRunner *runner, FerryKubeConfig *config,
					const char *name_space, const char *identity);
void ferryd_controller_set_resync_period(FerrydController *self, guint seconds);
gboolean ferryd_controller_start(FerrydController *self, GError **error);
void ferryd_controller_stop(FerrydController *self);
gboolean ferryd_controller_is_running(FerrydController *self);

G_END_DECLS
