/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry.h>

G_BEGIN_DECLS

/* the defaults of Kubernetes' own controllers (kube-controller-manager,
 * kube-scheduler), in milliseconds */
#define FERRYD_LEASE_DEFAULT_DURATION	    15000
#define FERRYD_LEASE_DEFAULT_RENEW_DEADLINE 10000
#define FERRYD_LEASE_DEFAULT_RETRY_PERIOD   2000

#define FERRYD_TYPE_LEASE (ferryd_lease_get_type())
G_DECLARE_FINAL_TYPE(FerrydLease, ferryd_lease, FERRYD, LEASE, GObject)

FerrydLease *
ferryd_lease_new(FerryKubeClient *client,
		 const char *namespace,
		 const char *name,
		 const char *identity);
void
ferryd_lease_set_timing(FerrydLease *self,
			guint lease_duration_ms,
			guint renew_deadline_ms,
			guint retry_period_ms);
const char *
ferryd_lease_get_namespace(FerrydLease *self);
const char *
ferryd_lease_get_name(FerrydLease *self);
const char *
ferryd_lease_get_identity(FerrydLease *self);
gboolean
ferryd_lease_get_is_leader(FerrydLease *self);
char *
ferryd_lease_dup_holder(FerrydLease *self);
gboolean
ferryd_lease_start(FerrydLease *self, GError **error);
void
ferryd_lease_stop(FerrydLease *self, gboolean release);

G_END_DECLS
