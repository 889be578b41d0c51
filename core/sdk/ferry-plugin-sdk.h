/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The plugin SDK: everything a plugin (a provider, a transfer method or a
 * validator) may use, and nothing of the application API (engine, runner,
 * store, resources, manifests). Plugins include this header and no other
 * libferry header; scripts/check-plugin-includes enforces it, and the build
 * gives plugins only this folder on their include path.
 * FERRY_PLUGIN_ABI_VERSION covers exactly these headers.
 */

#pragma once

#define __FERRY_H_INSIDE__

#include "ferry-concern.h"
#include "ferry-copy.h"
#include "ferry-disk-endpoint.h"
#include "ferry-enums.h"
#include "ferry-error.h"
#include "ferry-extent.h"
#include "ferry-files.h"
#include "ferry-inventory.h"
#include "ferry-json.h"
#include "ferry-kube-client.h"
#include "ferry-kube-config.h"
#include "ferry-machine.h"
#include "ferry-naming.h"
#include "ferry-nbd-server.h"
#include "ferry-plugin.h"
#include "ferry-plugin-module.h"
#include "ferry-progress.h"
#include "ferry-provider.h"
#include "ferry-provider-config.h"
#include "ferry-query.h"
#include "ferry-secret.h"
#include "ferry-snapshot.h"
#include "ferry-transfer-description.h"
#include "ferry-transfer-method.h"
#include "ferry-transfer-request.h"
#include "ferry-validator.h"
#include "ferry-vm-spec.h"
#include "ferry-version.h"
#include "ferry-yaml.h"

#undef __FERRY_H_INSIDE__
