/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * vSphere Web Services (vim25) SOAP: building request envelopes, parsing
 * replies and faults, and reading data objects out of libxml2 trees. No
 * network here, so all of it can be tested and fuzzed on recorded replies.
 */

#pragma once

#include <ferry-plugin-sdk.h>
#include <libxml/tree.h>

G_BEGIN_DECLS

#define FERRY_VSPHERE_XSI_NS "http://www.w3.org/2001/XMLSchema-instance"

/* --- reading data objects --- */

xmlNode *
ferry_vsphere_xml_child(xmlNode *node, const char *name);
xmlNode *
ferry_vsphere_xml_next(xmlNode *node, const char *name);
xmlNode *
ferry_vsphere_xml_path(xmlNode *node, const char *path);
char *
ferry_vsphere_xml_dup_text(xmlNode *node);
char *
ferry_vsphere_xml_dup_path_text(xmlNode *node, const char *path);
char *
ferry_vsphere_xml_dup_type(xmlNode *node);
gboolean
ferry_vsphere_xml_type_is(xmlNode *node, const char *type);
gboolean
ferry_vsphere_xml_get_int64(xmlNode *node, const char *path, gint64 *value);
gboolean
ferry_vsphere_xml_get_boolean(xmlNode *node, const char *path, gboolean *value);

/* --- building requests --- */

typedef struct {
	GString *xml;
	char *method;
	gboolean finished;
} FerryVsphereRequest;

FerryVsphereRequest *
ferry_vsphere_request_new(const char *method, const char *this_type, const char *this_value);
void
ferry_vsphere_request_free(FerryVsphereRequest *self);
void
ferry_vsphere_request_open(FerryVsphereRequest *self, const char *element, const char *xsi_type);
void
ferry_vsphere_request_close(FerryVsphereRequest *self, const char *element);
void
ferry_vsphere_request_add_text(FerryVsphereRequest *self, const char *element, const char *text);
void
ferry_vsphere_request_add_int(FerryVsphereRequest *self, const char *element, gint64 value);
void
ferry_vsphere_request_add_boolean(FerryVsphereRequest *self, const char *element, gboolean value);
void
ferry_vsphere_request_add_moref(FerryVsphereRequest *self,
				const char *element,
				const char *type,
				const char *value);
char *
ferry_vsphere_request_finish(FerryVsphereRequest *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereRequest, ferry_vsphere_request_free)

/* --- faults --- */

typedef struct {
	char *type;	 /* vim25 fault type, e.g. InvalidLogin */
	char *message;	 /* faultstring or localizedMessage */
	char *obj_type;	 /* ManagedObjectNotFound / NoPermission: the object */
	char *obj_value; /* … and its id */
	char *privilege; /* NoPermission: the missing privilege */
	char *existing_state;
	char *requested_state;
	char *property; /* InvalidProperty: the property name */
} FerryVsphereFault;

FerryVsphereFault *
ferry_vsphere_fault_new_from_node(xmlNode *fault, const char *message);
void
ferry_vsphere_fault_free(FerryVsphereFault *self);
FerryError
ferry_vsphere_fault_get_code(const FerryVsphereFault *self);
void
ferry_vsphere_fault_set_error(const FerryVsphereFault *self, const char *context, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereFault, ferry_vsphere_fault_free)

/* --- replies --- */

typedef struct {
	xmlDoc *doc;
	xmlNode *body;		/* <MethodResponse>, or soapenv:Fault */
	FerryVsphereFault *fault; /* set when the reply is a fault */
} FerryVsphereResponse;

FerryVsphereResponse *
ferry_vsphere_response_parse(const char *data, gsize size, GError **error);
void
ferry_vsphere_response_free(FerryVsphereResponse *self);
xmlNode *
ferry_vsphere_response_get_returnval(FerryVsphereResponse *self);
gboolean
ferry_vsphere_response_is_unauthenticated(FerryVsphereResponse *self);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereResponse, ferry_vsphere_response_free)

/* --- property collector results --- */

/* one managed object and the properties read for it; values borrow from the
 * reply's document, so an object lives no longer than its response */
typedef struct {
	char *type;
	char *id;
	char *kind;	    /* WaitForUpdatesEx: enter, modify or leave */
	GHashTable *props; /* property path → xmlNode <val> (borrowed) */
	GPtrArray *missing; /* of FerryVsphereFault, path in ->property */
} FerryVsphereObject;

void
ferry_vsphere_object_free(FerryVsphereObject *self);
xmlNode *
ferry_vsphere_object_get(FerryVsphereObject *self, const char *path);
char *
ferry_vsphere_object_dup_string(FerryVsphereObject *self, const char *path);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryVsphereObject, ferry_vsphere_object_free)

GPtrArray *
ferry_vsphere_parse_retrieve_result(xmlNode *returnval, char **token);
GPtrArray *
ferry_vsphere_parse_update_set(xmlNode *returnval, char **version, gboolean *truncated);

/* --- small helpers --- */

gboolean
ferry_vsphere_split_datastore_path(const char *file_name, char **datastore, char **path);
char *
ferry_vsphere_format_thumbprint(GBytes *der);
char *
ferry_vsphere_normalize_thumbprint(const char *text);

G_END_DECLS
