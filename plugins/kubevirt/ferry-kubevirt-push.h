/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

#include "ferry-kubevirt-cluster.h"
#include "ferry-kubevirt-manifest.h"

G_BEGIN_DECLS

/* the label every transfer pod carries; its value is the PVC's name */
#define FERRY_KUBEVIRT_TRANSFER_LABEL "ferry.konveyor.io/transfer"
/* the port nbdkit listens on inside a transfer pod */
#define FERRY_KUBEVIRT_TRANSFER_PORT 10809

gboolean
ferry_kubevirt_push_prepare_claim(FerryKubevirtCluster *cluster,
				  FerryKubevirtTarget *target,
				  guint index,
				  GCancellable *cancellable,
				  GError **error);
FerryDiskEndpoint *
ferry_kubevirt_push_prepare_disk(FerryKubevirtCluster *cluster,
				 FerryKubevirtTarget *target,
				 guint index,
				 GCancellable *cancellable,
				 GError **error);
char *
ferry_kubevirt_push_create_vm(FerryKubevirtCluster *cluster,
			      FerryKubevirtTarget *target,
			      GPtrArray *disks,
			      GCancellable *cancellable,
			      GError **error);
gboolean
ferry_kubevirt_push_remove_vm(FerryKubevirtCluster *cluster,
			      FerryKubevirtTarget *target,
			      GCancellable *cancellable,
			      GError **error);
gboolean
ferry_kubevirt_push_remove_disk(FerryKubevirtCluster *cluster,
				FerryKubevirtTarget *target,
				guint index,
				GCancellable *cancellable,
				GError **error);
gboolean
ferry_kubevirt_push_finalize_plan(FerryKubevirtCluster *cluster,
				  const char *plan_name,
				  const char *const *vm_ids,
				  GCancellable *cancellable,
				  GError **error);

G_END_DECLS
