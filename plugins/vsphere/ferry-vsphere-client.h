/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * One authenticated session with a vCenter Server or an ESXi host: the SOAP
 * transport over libsoup 3, TLS verification, login, re-login and task
 * polling. Safe to use from several threads at once.
 */

#pragma once

#include "ferry-vsphere-soap.h"

G_BEGIN_DECLS

#define FERRY_VSPHERE_TYPE_CLIENT (ferry_vsphere_client_get_type())
G_DECLARE_FINAL_TYPE(FerryVsphereClient, ferry_vsphere_client, FERRY_VSPHERE, CLIENT, GObject)

void
ferry_vsphere_client_register(GTypeModule *module);

FerryVsphereClient *
ferry_vsphere_client_new(const char *url,
			 FerrySecret *secret,
			 const char *display_name,
			 GError **error);
gboolean
ferry_vsphere_client_login(FerryVsphereClient *self, GCancellable *cancellable, GError **error);
void
ferry_vsphere_client_logout(FerryVsphereClient *self);

const char *
ferry_vsphere_client_get_display_name(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_base_url(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_host(FerryVsphereClient *self);
char *
ferry_vsphere_client_dup_fingerprint(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_api_type(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_api_version(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_full_name(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_root_folder(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_property_collector(FerryVsphereClient *self);
const char *
ferry_vsphere_client_get_view_manager(FerryVsphereClient *self);
gboolean
ferry_vsphere_client_api_at_least(FerryVsphereClient *self, const char *version);
guint
ferry_vsphere_client_get_request_count(FerryVsphereClient *self);
guint
ferry_vsphere_client_get_generation(FerryVsphereClient *self);

/* TLS material for child processes (nbdkit) that talk to the same server */
gboolean
ferry_vsphere_client_get_insecure(FerryVsphereClient *self);
char *
ferry_vsphere_client_write_trust_file(FerryVsphereClient *self, const char *path, GError **error);
FerrySecret *
ferry_vsphere_client_get_secret(FerryVsphereClient *self);

/* the session cookie, kept in files for child processes */
gboolean
ferry_vsphere_client_add_cookie_file(FerryVsphereClient *self, const char *path, GError **error);
void
ferry_vsphere_client_remove_cookie_file(FerryVsphereClient *self, const char *path);

FerryVsphereResponse *
ferry_vsphere_client_call(FerryVsphereClient *self,
			  FerryVsphereRequest *request,
			  const char *context,
			  GCancellable *cancellable,
			  GError **error);

/* one page of property collector results; the objects borrow from the reply */
typedef struct {
	FerryVsphereResponse *response;
	GPtrArray *objects; /* of FerryVsphereObject */
	char *token;
} FerryVsphereResult;

void
ferry_vsphere_result_free(FerryVsphereResult *self);
FerryVsphereObject *
ferry_vsphere_result_get_object(FerryVsphereResult *self, const char *id);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereResult, ferry_vsphere_result_free)

FerryVsphereResult *
ferry_vsphere_client_retrieve(FerryVsphereClient *self,
			      FerryVsphereRequest *request,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error);
FerryVsphereResult *
ferry_vsphere_client_continue(FerryVsphereClient *self,
			      const char *token,
			      const char *context,
			      GCancellable *cancellable,
			      GError **error);
FerryVsphereResult *
ferry_vsphere_client_retrieve_object(FerryVsphereClient *self,
				     const char *type,
				     const char *id,
				     const char *const *paths,
				     const char *context,
				     GCancellable *cancellable,
				     GError **error);
gboolean
ferry_vsphere_client_wait_task(FerryVsphereClient *self,
			       const char *task,
			       const char *context,
			       char **result,
			       GCancellable *cancellable,
			       GError **error);
gboolean
ferry_vsphere_client_head(FerryVsphereClient *self,
			  const char *path_and_query,
			  const char *context,
			  guint64 *size,
			  GCancellable *cancellable,
			  GError **error);

G_END_DECLS
