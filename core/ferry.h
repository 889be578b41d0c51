/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#define __FERRY_H_INSIDE__

#include "ferry-concern.h"
#include "ferry-copy.h"
#include "ferry-disk-endpoint.h"
#include "ferry-engine.h"
#include "ferry-enums.h"
#include "ferry-error.h"
#include "ferry-extent.h"
#include "ferry-files.h"
#include "ferry-host.h"
#include "ferry-inventory.h"
#include "ferry-kube-client.h"
#include "ferry-kube-config.h"
#include "ferry-manifest.h"
#include "ferry-naming.h"
#include "ferry-plugin-info.h"
#include "ferry-plugin-module.h"
#include "ferry-plugin-registry.h"
#include "ferry-plan-validation.h"
#include "ferry-plugin.h"
#include "ferry-progress.h"
#include "ferry-provider-config.h"
#include "ferry-provider.h"
#include "ferry-query.h"
#include "ferry-resource-kinds.h"
#include "ferry-resource.h"
#include "ferry-runner.h"
#include "ferry-rules-validator.h"
#include "ferry-secret.h"
#include "ferry-snapshot.h"
#include "ferry-store.h"
#include "ferry-template.h"
#include "ferry-transfer-method.h"
#include "ferry-transfer-request.h"
#include "ferry-validator.h"
#include "ferry-version.h"
#include "ferry-yaml.h"

#undef __FERRY_H_INSIDE__
