/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

/* One logged-in session with an oVirt engine: the REST API v4 in XML, an
 * SSO bearer token (re-fetched once when the engine says it expired). */
typedef struct _FerryOvirtClient FerryOvirtClient;

FerryOvirtClient *
ferry_ovirt_client_new(FerryProviderConfig *config, GError **error);
void
ferry_ovirt_client_free(FerryOvirtClient *self);
gboolean
ferry_ovirt_client_login(FerryOvirtClient *self, GCancellable *cancellable, GError **error);
void
ferry_ovirt_client_logout(FerryOvirtClient *self);
const char *
ferry_ovirt_client_get_display(FerryOvirtClient *self);
FerrySecret *
ferry_ovirt_client_get_secret(FerryOvirtClient *self);
gboolean
ferry_ovirt_client_get_insecure(FerryOvirtClient *self);
const char *
ferry_ovirt_client_get_ca_file(FerryOvirtClient *self);
char *
ferry_ovirt_client_dup_fingerprint(FerryOvirtClient *self);
xmlDoc *
ferry_ovirt_client_get(FerryOvirtClient *self,
		       const char *path,
		       GCancellable *cancellable,
		       GError **error);
xmlDoc *
ferry_ovirt_client_post(FerryOvirtClient *self,
			const char *path,
			const char *body,
			GCancellable *cancellable,
			GError **error);
xmlDoc *
ferry_ovirt_client_delete(FerryOvirtClient *self, const char *path, GCancellable *cancellable,
			  GError **error);

JsonNode *
ferry_ovirt_client_fetch_json(FerryOvirtClient *self,
			      const char *url,
			      const char *what,
			      GCancellable *cancellable,
			      GError **error);

/* the parser of the engine's documents (fuzzed) */
xmlDoc *
ferry_ovirt_parse_document(const char *data, gsize length, GError **error);

/* reading the engine's XML */
xmlNode *
ferry_ovirt_xml_child(xmlNode *node, const char *name);
xmlNode *
ferry_ovirt_xml_next(xmlNode *node, const char *name);
xmlNode *
ferry_ovirt_xml_path(xmlNode *node, const char *path);
char *
ferry_ovirt_xml_text(xmlNode *node, const char *path);
char *
ferry_ovirt_xml_id(xmlNode *node, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryOvirtClient, ferry_ovirt_client_free)
G_DEFINE_AUTOPTR_CLEANUP_FUNC(xmlDoc, xmlFreeDoc)

G_END_DECLS
