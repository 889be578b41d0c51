/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <gio/gio.h>
#include <json-glib/json-glib.h>

#include "ferry-kube-config.h"

G_BEGIN_DECLS

/**
 * FerryKubePatchType:
 * @FERRY_KUBE_PATCH_MERGE: a JSON merge patch (RFC 7386)
 * @FERRY_KUBE_PATCH_JSON: a JSON patch (RFC 6902), an array of operations
 * @FERRY_KUBE_PATCH_STRATEGIC: a strategic merge patch (built-in kinds only)
 *
 * The kinds of PATCH the API server takes besides server-side apply.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_KUBE_PATCH_MERGE,
	FERRY_KUBE_PATCH_JSON,
	FERRY_KUBE_PATCH_STRATEGIC,
} FerryKubePatchType;

/**
 * FerryKubePropagation:
 * @FERRY_KUBE_PROPAGATION_DEFAULT: the resource's default
 * @FERRY_KUBE_PROPAGATION_FOREGROUND: dependents first, then the object
 * @FERRY_KUBE_PROPAGATION_BACKGROUND: the object now, dependents by the garbage collector
 * @FERRY_KUBE_PROPAGATION_ORPHAN: dependents are kept
 *
 * The propagation policy of a delete.
 *
 * Since: 0.1
 */
typedef enum {
	FERRY_KUBE_PROPAGATION_DEFAULT,
	FERRY_KUBE_PROPAGATION_FOREGROUND,
	FERRY_KUBE_PROPAGATION_BACKGROUND,
	FERRY_KUBE_PROPAGATION_ORPHAN,
} FerryKubePropagation;

#define FERRY_TYPE_KUBE_CLIENT (ferry_kube_client_get_type())
G_DECLARE_FINAL_TYPE(FerryKubeClient, ferry_kube_client, FERRY, KUBE_CLIENT, GObject)

#define FERRY_TYPE_KUBE_WATCH (ferry_kube_watch_get_type())
G_DECLARE_FINAL_TYPE(FerryKubeWatch, ferry_kube_watch, FERRY, KUBE_WATCH, GObject)

#define FERRY_TYPE_KUBE_PORT_FORWARD (ferry_kube_port_forward_get_type())
G_DECLARE_FINAL_TYPE(FerryKubePortForward, ferry_kube_port_forward, FERRY, KUBE_PORT_FORWARD,
		     GObject)

FerryKubeClient *
ferry_kube_client_new(FerryKubeConfig *config);
FerryKubeConfig *
ferry_kube_client_get_config(FerryKubeClient *self);
void
ferry_kube_client_set_timeout(FerryKubeClient *self, guint seconds);
guint
ferry_kube_client_get_timeout(FerryKubeClient *self);
void
ferry_kube_client_set_page_size(FerryKubeClient *self, guint page_size);
void
ferry_kube_client_set_field_manager(FerryKubeClient *self, const char *field_manager);

GStrv
ferry_kube_client_get_api_versions(FerryKubeClient *self,
				   GCancellable *cancellable,
				   GError **error);
JsonObject *
ferry_kube_client_get_version(FerryKubeClient *self, GCancellable *cancellable, GError **error);
char *
ferry_kube_client_resolve_resource(FerryKubeClient *self,
				   const char *api_version,
				   const char *kind,
				   gboolean *namespaced,
				   GCancellable *cancellable,
				   GError **error);

JsonNode *
ferry_kube_client_get(FerryKubeClient *self,
		      const char *api_version,
		      const char *kind,
		      const char *namespace,
		      const char *name,
		      GCancellable *cancellable,
		      GError **error);
JsonNode *
ferry_kube_client_list(FerryKubeClient *self,
		       const char *api_version,
		       const char *kind,
		       const char *namespace,
		       const char *label_selector,
		       GCancellable *cancellable,
		       GError **error);
JsonNode *
ferry_kube_client_create(FerryKubeClient *self,
			 JsonNode *object,
			 GCancellable *cancellable,
			 GError **error);
JsonNode *
ferry_kube_client_create_subresource(FerryKubeClient *self,
				     const char *api_version,
				     const char *kind,
				     const char *namespace,
				     const char *name,
				     const char *subresource,
				     JsonNode *body,
				     GCancellable *cancellable,
				     GError **error);
JsonNode *
ferry_kube_client_replace(FerryKubeClient *self,
			  JsonNode *object,
			  GCancellable *cancellable,
			  GError **error);
JsonNode *
ferry_kube_client_apply(FerryKubeClient *self,
			JsonNode *object,
			gboolean force,
			GCancellable *cancellable,
			GError **error);
JsonNode *
ferry_kube_client_patch(FerryKubeClient *self,
			const char *api_version,
			const char *kind,
			const char *namespace,
			const char *name,
			const char *subresource,
			FerryKubePatchType type,
			JsonNode *patch,
			GCancellable *cancellable,
			GError **error);
JsonNode *
ferry_kube_client_update_status(FerryKubeClient *self,
				const char *api_version,
				const char *kind,
				const char *namespace,
				const char *name,
				JsonNode *status,
				GCancellable *cancellable,
				GError **error);
gboolean
ferry_kube_client_delete(FerryKubeClient *self,
			 const char *api_version,
			 const char *kind,
			 const char *namespace,
			 const char *name,
			 FerryKubePropagation propagation,
			 GCancellable *cancellable,
			 GError **error);

GInputStream *
ferry_kube_client_read_log(FerryKubeClient *self,
			   const char *namespace,
			   const char *pod,
			   const char *container,
			   gboolean follow,
			   GCancellable *cancellable,
			   GError **error);
char *
ferry_kube_client_get_log(FerryKubeClient *self,
			  const char *namespace,
			  const char *pod,
			  const char *container,
			  GCancellable *cancellable,
			  GError **error);

FerryKubeWatch *
ferry_kube_client_watch(FerryKubeClient *self,
			const char *api_version,
			const char *kind,
			const char *namespace,
			const char *label_selector,
			const char *resource_version,
			GError **error);
gboolean
ferry_kube_watch_start(FerryKubeWatch *self, GError **error);
void
ferry_kube_watch_stop(FerryKubeWatch *self);
char *
ferry_kube_watch_dup_resource_version(FerryKubeWatch *self);
guint
ferry_kube_watch_get_relist_count(FerryKubeWatch *self);

FerryKubePortForward *
ferry_kube_client_port_forward(FerryKubeClient *self,
			       const char *namespace,
			       const char *pod,
			       guint16 port,
			       GError **error);
const char *
ferry_kube_port_forward_get_socket_path(FerryKubePortForward *self);
char *
ferry_kube_port_forward_dup_uri(FerryKubePortForward *self);
char *
ferry_kube_port_forward_dup_last_error(FerryKubePortForward *self);
void
ferry_kube_port_forward_stop(FerryKubePortForward *self);

G_END_DECLS
