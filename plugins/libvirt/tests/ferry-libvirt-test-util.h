/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Helpers shared by the libvirt destination's tests.
 */

#pragma once

#include <ferry.h>
#include <libvirt/libvirt.h>

JsonObject *
ferry_libvirt_test_parse_spec(const char *json);
gboolean
ferry_libvirt_test_domain_active(virConnectPtr conn, const char *name);
virConnectPtr
ferry_libvirt_test_open(const char *uri);
