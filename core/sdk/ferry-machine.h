/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib.h>

G_BEGIN_DECLS

gboolean
ferry_machine_kvm_usable(gboolean refresh, char **reason);
char **
ferry_machine_guestfs_environ(char **envp);
char *
ferry_machine_find_program(const char *name);

G_END_DECLS
