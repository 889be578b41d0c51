/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Starting and stopping ferry-vcsim from tests and benchmarks.
 */

#pragma once

#include <gio/gio.h>

G_BEGIN_DECLS

#define FERRY_VCSIM_USER "admin"
#define FERRY_VCSIM_PASSWORD "Secret-Pa55"

typedef struct {
	GSubprocess *process;
	char *url;	  /* https://127.0.0.1:PORT/sdk */
	char *ca;	  /* PEM file of its certificate */
	char *thumbprint; /* SHA-1, AA:BB:… */
	char *datastore;  /* directory behind datastore LocalDS_0 */
	char *cbt_dir;	  /* where QueryChangedDiskAreas scripts go */
} FerryVcsim;

FerryVcsim *
ferry_vcsim_start(const char *binary,
		  const char *cert_dir,
		  const char *const *args,
		  gboolean quiet,
		  GError **error);
void
ferry_vcsim_free(FerryVcsim *self);
void
ferry_vcsim_remove_dir(const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVcsim, ferry_vcsim_free)

G_END_DECLS
