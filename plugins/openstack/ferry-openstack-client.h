/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>
#include <libsoup/soup.h>

G_BEGIN_DECLS

#define FERRY_OPENSTACK_TYPE_CLIENT (ferry_openstack_client_get_type())
G_DECLARE_FINAL_TYPE(FerryOpenstackClient, ferry_openstack_client, FERRY_OPENSTACK, CLIENT, GObject)

FerryOpenstackClient *
ferry_openstack_client_new(const char *url,
			   FerrySecret *secret,
			   const char *display_name,
			   GError **error);
gboolean
ferry_openstack_client_authenticate(FerryOpenstackClient *self,
				    GCancellable *cancellable,
				    GError **error);
const char *
ferry_openstack_client_get_display_name(FerryOpenstackClient *self);
const char *
ferry_openstack_client_get_project_id(FerryOpenstackClient *self);
const char *
ferry_openstack_client_get_project_name(FerryOpenstackClient *self);
gboolean
ferry_openstack_client_has_service(FerryOpenstackClient *self, const char *service_type);
char *
ferry_openstack_client_dup_endpoint(FerryOpenstackClient *self,
				    const char *service_type,
				    GError **error);
GStrv
ferry_openstack_client_list_services(FerryOpenstackClient *self);
JsonNode *
ferry_openstack_client_request(FerryOpenstackClient *self,
			       const char *service_type,
			       const char *method,
			       const char *path,
			       JsonNode *body,
			       guint *status,
			       SoupMessageHeaders **reply_headers,
			       GCancellable *cancellable,
			       GError **error);
gint64
ferry_openstack_client_get_token_age(FerryOpenstackClient *self,
				     gint64 *lifetime,
				     guint *generation);
gboolean
ferry_openstack_client_write_token_header(FerryOpenstackClient *self,
					  const char *path,
					  GError **error);
char *
ferry_openstack_client_write_ca_file(FerryOpenstackClient *self,
				     const char *path,
				     GError **error);
gboolean
ferry_openstack_client_get_insecure(FerryOpenstackClient *self);
FerrySecret *
ferry_openstack_client_get_secret(FerryOpenstackClient *self);

G_END_DECLS
