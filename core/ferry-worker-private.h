/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

/* runs @func(@task, source, task_data, cancellable) in a private, unbounded
 * thread pool; long blocking work (copies, watches, conversions) must not
 * starve GTask's shared pool */
void
ferry_worker_run(GTask *task, GTaskThreadFunc func);

G_END_DECLS
