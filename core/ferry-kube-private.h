/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <libsoup/soup.h>

#include "ferry-kube-client.h"
#include "ferry-kube-config.h"

G_BEGIN_DECLS

/* the bearer token for the next request: static, re-read from a file, or
 * from the exec plugin (cached until its expirationTimestamp); NULL with
 * no error when the configuration authenticates otherwise */
char *
ferry_kube_config_dup_token(FerryKubeConfig *self, GCancellable *cancellable, GError **error);
/* forgets a cached exec-plugin token (after a 401) */
void
ferry_kube_config_invalidate_token(FerryKubeConfig *self);

/* what a failed request was about, for its error message */
typedef struct {
	const char *verb;      /* get, list, watch, create, apply, patch, update, delete */
	const char *group;     /* "" for the core group */
	const char *resource;  /* plural: pods, virtualmachines */
	const char *subresource;
	const char *namespace; /* nullable */
	const char *name;      /* nullable */
} FerryKubeTarget;

/* maps an API-server reply (HTTP status and its Status body) to FERRY_ERROR */
void
ferry_kube_set_status_error(GError **error,
			    FerryKubeConfig *config,
			    const FerryKubeTarget *target,
			    guint http_status,
			    GBytes *body);
/* the Status reason ("Conflict", "AlreadyExists", "Expired"...), or NULL */
char *
ferry_kube_status_dup_reason(GBytes *body);

/* a session with the configuration's TLS settings; made in the thread that uses it */
SoupSession *
ferry_kube_session_new(FerryKubeConfig *config, guint timeout_seconds);
/* adds the credentials to @msg and makes it trust the configuration's CA */
gboolean
ferry_kube_message_prepare(FerryKubeConfig *config,
			   SoupMessage *msg,
			   GCancellable *cancellable,
			   GError **error);

G_END_DECLS

G_BEGIN_DECLS

/* a resolved resource: its group, version, plural name and scope */
typedef struct {
	char *group;
	char *version;
	char *resource;
	char *kind;
	gboolean namespaced;
} FerryKubeResource;

void
ferry_kube_resource_free(FerryKubeResource *resource);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryKubeResource, ferry_kube_resource_free)

FerryKubeResource *
ferry_kube_client_lookup(FerryKubeClient *self,
			 const char *api_version,
			 const char *kind,
			 GCancellable *cancellable,
			 GError **error);
/* /api/v1/namespaces/ns/pods/name/log, segments escaped */
char *
ferry_kube_resource_build_path(const FerryKubeResource *resource,
			       const char *namespace,
			       const char *name,
			       const char *subresource);
/* appends `name=value` (escaped) after `?` or `&`; a NULL value adds nothing */
void
ferry_kube_append_query(GString *path, const char *name, const char *value);

/* one request with retries on 429 and on a refused exec-plugin token; the
 * reply body on 2xx, else NULL with @error set and *status the HTTP status
 * (0 for a transport failure) */
GBytes *
ferry_kube_client_send(FerryKubeClient *self,
		       const char *method,
		       const char *path,
		       const char *content_type,
		       GBytes *body,
		       const FerryKubeTarget *target,
		       guint *status,
		       GCancellable *cancellable,
		       GError **error);
/* a streaming GET (logs, watches) on a session without an I/O timeout */
GInputStream *
ferry_kube_client_open_stream(FerryKubeClient *self,
			      const char *path,
			      const FerryKubeTarget *target,
			      guint *status,
			      GCancellable *cancellable,
			      GError **error);
/* the error of a transport failure (TLS, connection, timeout, cancel) */
void
ferry_kube_set_transport_error(GError **error,
			       FerryKubeConfig *config,
			       const FerryKubeTarget *target,
			       GError *cause);

G_END_DECLS

G_BEGIN_DECLS

JsonNode *
ferry_kube_client_list_resource(FerryKubeClient *self,
				const FerryKubeResource *resource,
				const char *namespace,
				const char *label_selector,
				GCancellable *cancellable,
				GError **error);

/* the watch's stream reader, apart from its HTTP loop (fuzzing, tests) */
gboolean
ferry_kube_watch_read_stream(FerryKubeWatch *self, GInputStream *stream);
FerryKubeWatch *
ferry_kube_watch_new_detached(const char *resource);
guint
ferry_kube_watch_count_known(FerryKubeWatch *self);

G_END_DECLS
