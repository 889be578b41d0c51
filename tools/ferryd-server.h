/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry.h"

G_BEGIN_DECLS

/* what a request asks for, once its path and query are parsed */
typedef enum {
	FERRYD_ROUTE_HEALTHZ,
	FERRYD_ROUTE_READYZ,
	FERRYD_ROUTE_METRICS,
	FERRYD_ROUTE_PROVIDERS,      /* /providers */
	FERRYD_ROUTE_PROVIDER_TYPE,  /* /providers/<type> */
	FERRYD_ROUTE_PROVIDER,       /* /providers/<type>/<uid> */
	FERRYD_ROUTE_COLLECTION,     /* /providers/<type>/<uid>/<collection> */
	FERRYD_ROUTE_OBJECT,         /* /providers/<type>/<uid>/<collection>/<id> */
	FERRYD_ROUTE_TREE,           /* /providers/<type>/<uid>/tree/<root> */
} FerrydRoute;

#define FERRYD_DETAIL_ALL G_MAXINT

typedef struct {
	FerrydRoute route;
	char *provider_type;
	char *provider_uid;
	char *collection;
	char *id;
	int detail;	    /* 0 unless `detail=N`; FERRYD_DETAIL_ALL for `detail=all` */
	gint64 limit;	    /* -1: no limit */
	gint64 offset;	    /* 0 unless `offset=N` */
	char *name;	    /* `name=` filter, or NULL */
	char *name_space;   /* `namespace=` filter, or NULL */
} FerrydRequest;

gboolean ferryd_request_parse(const char *path, const char *query, FerrydRequest *request,
			      GError **error);
void ferryd_request_clear(FerrydRequest *request);

#define FERRYD_TYPE_SERVER (ferryd_server_get_type())
G_DECLARE_FINAL_TYPE(FerrydServer, ferryd_server, FERRYD, SERVER, GObject)

FerrydServer *ferryd_server_new(const char *state_dir, FerryKubeClient *kube, gboolean auth,
				GError **error);
gboolean ferryd_server_listen(FerrydServer *self, const char *address, const char *tls_cert,
			      const char *tls_key, GError **error);
guint16 ferryd_server_get_port(FerrydServer *self);

G_END_DECLS
