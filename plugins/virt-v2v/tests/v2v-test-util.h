/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry.h>

G_BEGIN_DECLS

FerryPluginRegistry *
v2v_test_registry(void);
FerryTransferMethod *
v2v_test_load_method(void);
gboolean
v2v_test_require_program(const char *program);
char *
v2v_test_guest(gboolean image);
void
v2v_test_make_blank_disk(const char *path, gint64 size);
gboolean
v2v_test_process_running(const char *needle);
char *
v2v_test_guestfish(const char *disk, const char *commands);

int
v2v_test_run(const char *program, ...) G_GNUC_NULL_TERMINATED;

G_END_DECLS
