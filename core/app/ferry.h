/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

/*
 * The application API: the plugin SDK (<ferry-plugin-sdk.h>) plus what an
 * application drives: the engine, the runner, the state store, Forklift
 * resources and manifests, plan validation, the plugin registry. Plugins
 * include <ferry-plugin-sdk.h> instead.
 */

#pragma once

/* the plugin SDK, then the application API */
#include "ferry-plugin-sdk.h"

#define __FERRY_H_INSIDE__

#include "ferry-engine.h"
#include "ferry-manifest.h"
#include "ferry-estimate.h"
#include "ferry-plan-validation.h"
#include "ferry-platform.h"
#include "ferry-plugin-info.h"
#include "ferry-plugin-registry.h"
#include "ferry-resource.h"
#include "ferry-resource-kinds.h"
#include "ferry-rules-validator.h"
#include "ferry-runner.h"
#include "ferry-store.h"
#include "ferry-template.h"

#undef __FERRY_H_INSIDE__
