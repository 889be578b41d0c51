/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <libxml/parser.h>
#include <string.h>

#include "ferry-vsphere-soap.h"

/* --- reading data objects --- */

static gboolean
ferry_vsphere_xml_is(xmlNode *node, const char *name)
{
	return node->type == XML_ELEMENT_NODE &&
	       (name == NULL || g_strcmp0((const char *)node->name, name) == 0);
}

/* the first child element named @name (any namespace), or any element */
xmlNode *
ferry_vsphere_xml_child(xmlNode *node, const char *name)
{
	if (node == NULL)
		return NULL;
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (ferry_vsphere_xml_is(child, name))
			return child;
	}
	return NULL;
}

/* the next sibling element of @node named @name */
xmlNode *
ferry_vsphere_xml_next(xmlNode *node, const char *name)
{
	if (node == NULL)
		return NULL;
	for (xmlNode *sibling = node->next; sibling != NULL; sibling = sibling->next) {
		if (ferry_vsphere_xml_is(sibling, name))
			return sibling;
	}
	return NULL;
}

/* the first child element whose name is the @length bytes at @name */
static xmlNode *
ferry_vsphere_xml_child_n(xmlNode *node, const char *name, gsize length)
{
	for (xmlNode *child = node->children; child != NULL; child = child->next) {
		if (child->type == XML_ELEMENT_NODE &&
		    strncmp((const char *)child->name, name, length) == 0 &&
		    child->name[length] == '\0')
			return child;
	}
	return NULL;
}

/* follows a dotted property path such as `hardware.numCPU`; called for
 * every field of every object, so it allocates nothing */
xmlNode *
ferry_vsphere_xml_path(xmlNode *node, const char *path)
{
	const char *segment = path;

	if (path == NULL)
		return node;
	while (node != NULL && *segment != '\0') {
		const char *dot = strchr(segment, '.');
		gsize length = dot != NULL ? (gsize)(dot - segment) : strlen(segment);
		node = ferry_vsphere_xml_child_n(node, segment, length);
		segment += length;
		if (*segment == '.')
			segment++;
	}
	return node;
}

char *
ferry_vsphere_xml_dup_text(xmlNode *node)
{
	xmlChar *content;
	char *text;

	if (node == NULL)
		return NULL;
	/* the common case, one text node, without libxml2's buffer */
	if (node->children == NULL)
		return g_strdup("");
	if (node->children->next == NULL && node->children->type == XML_TEXT_NODE)
		return g_strdup((const char *)node->children->content);
	content = xmlNodeGetContent(node);
	if (content == NULL)
		return g_strdup("");
	text = g_strdup((const char *)content);
	xmlFree(content);
	return text;
}

char *
ferry_vsphere_xml_dup_path_text(xmlNode *node, const char *path)
{
	return ferry_vsphere_xml_dup_text(ferry_vsphere_xml_path(node, path));
}

/* the xsi:type value of @node, borrowed, still with its prefix */
static const char *
ferry_vsphere_xml_peek_type(xmlNode *node)
{
	xmlAttr *attribute;

	if (node == NULL)
		return NULL;
	attribute = xmlHasNsProp(node, (const xmlChar *)"type", (const xmlChar *)FERRY_VSPHERE_XSI_NS);
	if (attribute == NULL || attribute->children == NULL ||
	    attribute->children->type != XML_TEXT_NODE)
		return NULL;
	return (const char *)attribute->children->content;
}

/* the xsi:type of @node without its namespace prefix, e.g. `VirtualDisk`;
 * servers differ in the prefix they bind to the XSI namespace, so it is
 * looked up by namespace URI */
char *
ferry_vsphere_xml_dup_type(xmlNode *node)
{
	const char *value = ferry_vsphere_xml_peek_type(node);
	const char *colon;

	if (value == NULL)
		return NULL;
	colon = strchr(value, ':');
	return g_strdup(colon != NULL ? colon + 1 : value);
}

gboolean
ferry_vsphere_xml_type_is(xmlNode *node, const char *type)
{
	const char *value = ferry_vsphere_xml_peek_type(node);
	const char *colon;

	if (value == NULL)
		return FALSE;
	colon = strchr(value, ':');
	return g_strcmp0(colon != NULL ? colon + 1 : value, type) == 0;
}

gboolean
ferry_vsphere_xml_get_int64(xmlNode *node, const char *path, gint64 *value)
{
	g_autofree char *text = ferry_vsphere_xml_dup_text(ferry_vsphere_xml_path(node, path));
	char *end = NULL;
	gint64 parsed;

	if (text == NULL || *text == '\0')
		return FALSE;
	parsed = g_ascii_strtoll(g_strstrip(text), &end, 10);
	if (end == NULL || *end != '\0')
		return FALSE;
	*value = parsed;
	return TRUE;
}

gboolean
ferry_vsphere_xml_get_boolean(xmlNode *node, const char *path, gboolean *value)
{
	g_autofree char *text = ferry_vsphere_xml_dup_text(ferry_vsphere_xml_path(node, path));

	if (text == NULL)
		return FALSE;
	g_strstrip(text);
	if (g_strcmp0(text, "true") == 0 || g_strcmp0(text, "1") == 0) {
		*value = TRUE;
		return TRUE;
	}
	if (g_strcmp0(text, "false") == 0 || g_strcmp0(text, "0") == 0) {
		*value = FALSE;
		return TRUE;
	}
	return FALSE;
}

/* --- building requests --- */

/**
 * ferry_vsphere_request_new:
 * @method: the vim25 method, e.g. `RetrievePropertiesEx`
 * @this_type: the managed object type of `_this`
 * @this_value: its id
 *
 * Starts a request envelope; add the arguments in the order of the WSDL (real
 * servers check it), then call ferry_vsphere_request_finish().
 */
FerryVsphereRequest *
ferry_vsphere_request_new(const char *method, const char *this_type, const char *this_value)
{
	FerryVsphereRequest *self = g_new0(FerryVsphereRequest, 1);

	self->method = g_strdup(method);
	self->xml = g_string_new("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
				 "<soapenv:Envelope"
				 " xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\""
				 " xmlns:xsd=\"http://www.w3.org/2001/XMLSchema\""
				 " xmlns:xsi=\"http://www.w3.org/2001/XMLSchema-instance\">"
				 "<soapenv:Body>");
	g_string_append_printf(self->xml, "<%s xmlns=\"urn:vim25\">", method);
	ferry_vsphere_request_add_moref(self, "_this", this_type, this_value);
	return self;
}

void
ferry_vsphere_request_free(FerryVsphereRequest *self)
{
	if (self == NULL)
		return;
	if (self->xml != NULL) {
		/* the body may hold a password */
		memset(self->xml->str, 0, self->xml->allocated_len);
		g_string_free(self->xml, TRUE);
	}
	g_free(self->method);
	g_free(self);
}

void
ferry_vsphere_request_open(FerryVsphereRequest *self, const char *element, const char *xsi_type)
{
	if (xsi_type != NULL)
		g_string_append_printf(self->xml, "<%s xsi:type=\"%s\">", element, xsi_type);
	else
		g_string_append_printf(self->xml, "<%s>", element);
}

void
ferry_vsphere_request_close(FerryVsphereRequest *self, const char *element)
{
	g_string_append_printf(self->xml, "</%s>", element);
}

void
ferry_vsphere_request_add_text(FerryVsphereRequest *self, const char *element, const char *text)
{
	g_autofree char *escaped = g_markup_escape_text(text != NULL ? text : "", -1);
	g_string_append_printf(self->xml, "<%s>%s</%s>", element, escaped, element);
	if (escaped != NULL)
		memset(escaped, 0, strlen(escaped));
}

void
ferry_vsphere_request_add_int(FerryVsphereRequest *self, const char *element, gint64 value)
{
	g_string_append_printf(self->xml, "<%s>%" G_GINT64_FORMAT "</%s>", element, value, element);
}

void
ferry_vsphere_request_add_boolean(FerryVsphereRequest *self, const char *element, gboolean value)
{
	g_string_append_printf(self->xml, "<%s>%s</%s>", element, value ? "true" : "false",
			       element);
}

void
ferry_vsphere_request_add_moref(FerryVsphereRequest *self,
				const char *element,
				const char *type,
				const char *value)
{
	g_autofree char *escaped_type = g_markup_escape_text(type, -1);
	g_autofree char *escaped_value = g_markup_escape_text(value, -1);
	g_string_append_printf(self->xml, "<%s type=\"%s\">%s</%s>", element, escaped_type,
			       escaped_value, element);
}

/* returns the whole envelope; the request can no longer be added to, but
 * can be finished (sent) again */
char *
ferry_vsphere_request_finish(FerryVsphereRequest *self)
{
	if (!self->finished) {
		g_string_append_printf(self->xml, "</%s></soapenv:Body></soapenv:Envelope>",
				       self->method);
		self->finished = TRUE;
	}
	return g_strdup(self->xml->str);
}

/* --- faults --- */

static const struct {
	const char *type;
	FerryError code;
} fault_codes[] = {
    {"InvalidLogin", FERRY_ERROR_AUTH_FAILED},
    {"NotAuthenticated", FERRY_ERROR_AUTH_FAILED},
    {"InvalidLocale", FERRY_ERROR_INVALID_ARGUMENT},
    {"NoPermission", FERRY_ERROR_PERMISSION_DENIED},
    {"RestrictedVersion", FERRY_ERROR_PERMISSION_DENIED},
    {"InvalidPowerState", FERRY_ERROR_INVALID_STATE},
    {"InvalidState", FERRY_ERROR_INVALID_STATE},
    {"InvalidDatastoreState", FERRY_ERROR_INVALID_STATE},
    {"InvalidHostState", FERRY_ERROR_INVALID_STATE},
    {"InvalidSnapshotFormat", FERRY_ERROR_INVALID_STATE},
    {"SnapshotFault", FERRY_ERROR_FAILED},
    {"ManagedObjectNotFound", FERRY_ERROR_NOT_FOUND},
    {"NotFound", FERRY_ERROR_NOT_FOUND},
    {"FileNotFound", FERRY_ERROR_NOT_FOUND},
    {"InvalidArgument", FERRY_ERROR_INVALID_ARGUMENT},
    {"InvalidProperty", FERRY_ERROR_INVALID_ARGUMENT},
    {"InvalidRequest", FERRY_ERROR_INVALID_ARGUMENT},
    {"InvalidType", FERRY_ERROR_INVALID_ARGUMENT},
    {"InvalidName", FERRY_ERROR_INVALID_ARGUMENT},
    {"InvalidCollectorVersion", FERRY_ERROR_INVALID_ARGUMENT},
    {"MethodNotFound", FERRY_ERROR_NOT_SUPPORTED},
    {"NotSupported", FERRY_ERROR_NOT_SUPPORTED},
    {"NotImplemented", FERRY_ERROR_NOT_SUPPORTED},
    {"TaskInProgress", FERRY_ERROR_BUSY},
    {"ConcurrentAccess", FERRY_ERROR_BUSY},
    {"ResourceInUse", FERRY_ERROR_BUSY},
    {"RequestCanceled", FERRY_ERROR_CANCELLED},
    {"Timedout", FERRY_ERROR_TIMED_OUT},
    {"HostCommunication", FERRY_ERROR_CONNECTION_FAILED},
    {"HostNotReachable", FERRY_ERROR_CONNECTION_FAILED},
    {"HostNotConnected", FERRY_ERROR_CONNECTION_FAILED},
    {"NoDiskSpace", FERRY_ERROR_NO_SPACE},
    {"AlreadyExists", FERRY_ERROR_EXISTS},
    {"DuplicateName", FERRY_ERROR_EXISTS},
    {"FileFault", FERRY_ERROR_IO},
    {"FileLocked", FERRY_ERROR_BUSY},
    {"ToolsUnavailable", FERRY_ERROR_INVALID_STATE},
};

/**
 * ferry_vsphere_fault_new_from_node:
 * @fault: a fault data object: the element under `<detail>` of a SOAP
 *   fault, or the `fault` of a LocalizedMethodFault
 * @message: (nullable): the faultstring or localizedMessage
 *
 * Returns: (transfer full): the fault
 */
FerryVsphereFault *
ferry_vsphere_fault_new_from_node(xmlNode *fault, const char *message)
{
	FerryVsphereFault *self = g_new0(FerryVsphereFault, 1);
	xmlNode *obj;

	self->type = ferry_vsphere_xml_dup_type(fault);
	if (self->type == NULL && fault != NULL) {
		/* `<InvalidLoginFault>` without xsi:type */
		const char *name = (const char *)fault->name;
		self->type = g_str_has_suffix(name, "Fault")
				 ? g_strndup(name, strlen(name) - strlen("Fault"))
				 : g_strdup(name);
	}
	if (self->type == NULL)
		self->type = g_strdup("SystemError");
	self->message = g_strdup(message);
	obj = ferry_vsphere_xml_child(fault, "obj");
	if (obj == NULL)
		obj = ferry_vsphere_xml_child(fault, "object");
	if (obj != NULL) {
		xmlChar *type = xmlGetNoNsProp(obj, (const xmlChar *)"type");
		self->obj_type = g_strdup((const char *)type);
		self->obj_value = ferry_vsphere_xml_dup_text(obj);
		xmlFree(type);
	}
	self->privilege = ferry_vsphere_xml_dup_path_text(fault, "privilegeId");
	if (self->privilege == NULL)
		self->privilege = ferry_vsphere_xml_dup_path_text(fault, "missingPrivileges.privileges");
	self->existing_state = ferry_vsphere_xml_dup_path_text(fault, "existingState");
	self->requested_state = ferry_vsphere_xml_dup_path_text(fault, "requestedState");
	self->property = ferry_vsphere_xml_dup_path_text(fault, "name");
	return self;
}

void
ferry_vsphere_fault_free(FerryVsphereFault *self)
{
	if (self == NULL)
		return;
	g_free(self->type);
	g_free(self->message);
	g_free(self->obj_type);
	g_free(self->obj_value);
	g_free(self->privilege);
	g_free(self->existing_state);
	g_free(self->requested_state);
	g_free(self->property);
	g_free(self);
}

FerryError
ferry_vsphere_fault_get_code(const FerryVsphereFault *self)
{
	for (guint i = 0; i < G_N_ELEMENTS(fault_codes); i++) {
		if (g_strcmp0(self->type, fault_codes[i].type) == 0)
			return fault_codes[i].code;
	}
	return FERRY_ERROR_FAILED;
}

static const char *
ferry_vsphere_power_state_words(const char *state)
{
	if (g_strcmp0(state, "poweredOn") == 0)
		return "powered on";
	if (g_strcmp0(state, "poweredOff") == 0)
		return "powered off";
	if (g_strcmp0(state, "suspended") == 0)
		return "suspended";
	return state != NULL ? state : "in another power state";
}

/**
 * ferry_vsphere_fault_set_error:
 * @self: a fault
 * @context: (nullable): what was being done, e.g. `vsphere: Provider
 *   ns/name: power off VM vm-42`
 * @error: return location for a #GError
 *
 * Sets @error in %FERRY_ERROR with a message that says what went wrong and
 * what to do about it.
 */
void
ferry_vsphere_fault_set_error(const FerryVsphereFault *self, const char *context, GError **error)
{
	g_autoptr(GString) text = g_string_new(NULL);
	const char *message = self->message != NULL && *self->message != '\0' ? self->message
									      : NULL;

	if (context != NULL)
		g_string_append_printf(text, "%s: ", context);
	if (g_strcmp0(self->type, "InvalidLogin") == 0) {
		g_string_append(text, "wrong user or password (the server refused the login); "
				      "check the user and password keys of the Secret");
	} else if (g_strcmp0(self->type, "NotAuthenticated") == 0) {
		g_string_append(text, "the session is not authenticated (it expired or was "
				      "ended on the server) and logging in again did not help; "
				      "check the Secret and that the account is not locked");
	} else if (g_strcmp0(self->type, "NoPermission") == 0) {
		g_string_append_printf(text, "permission denied: the user lacks privilege %s",
				       self->privilege != NULL ? self->privilege : "(unknown)");
		if (self->obj_value != NULL)
			g_string_append_printf(text, " on %s %s",
					       self->obj_type != NULL ? self->obj_type : "object",
					       self->obj_value);
		g_string_append(text, "; grant it to the account in vCenter");
	} else if (g_strcmp0(self->type, "InvalidPowerState") == 0) {
		g_string_append_printf(text, "the VM is %s",
				       ferry_vsphere_power_state_words(self->existing_state));
		if (self->requested_state != NULL)
			g_string_append_printf(
			    text, " (the operation needs it %s)",
			    ferry_vsphere_power_state_words(self->requested_state));
	} else if (g_strcmp0(self->type, "ManagedObjectNotFound") == 0) {
		g_string_append_printf(text, "%s %s does not exist on the server (it was "
					     "removed); refresh the inventory",
				       self->obj_type != NULL ? self->obj_type : "the object",
				       self->obj_value != NULL ? self->obj_value : "");
	} else if (g_strcmp0(self->type, "InvalidProperty") == 0) {
		g_string_append_printf(text, "the server does not know property %s",
				       self->property != NULL ? self->property : "(unnamed)");
	} else if (g_strcmp0(self->type, "TaskInProgress") == 0) {
		g_string_append(text, "another task is running on the object; retry later");
	} else {
		g_string_append(text, self->type);
		if (message != NULL)
			g_string_append_printf(text, ": %s", message);
		if (g_strcmp0(self->type, "MethodNotFound") == 0)
			g_string_append(text, " (the server does not implement this call)");
	}
	g_set_error_literal(error, FERRY_ERROR, ferry_vsphere_fault_get_code(self), text->str);
}

/* --- replies --- */

static xmlNode *
ferry_vsphere_find_body(xmlNode *root)
{
	if (root == NULL)
		return NULL;
	if (g_strcmp0((const char *)root->name, "Envelope") == 0)
		return ferry_vsphere_xml_child(root, "Body");
	return NULL;
}

/**
 * ferry_vsphere_response_parse:
 * @data: the HTTP reply body
 * @size: its size
 * @error: return location for a #GError
 *
 * Parses a SOAP reply. A SOAP fault is not an error here: it is returned in
 * ->fault so the caller can decide (re-login, context).
 *
 * Returns: (transfer full): the reply, or %NULL when it is not SOAP
 */
FerryVsphereResponse *
ferry_vsphere_response_parse(const char *data, gsize size, GError **error)
{
	g_autoptr(FerryVsphereResponse) self = g_new0(FerryVsphereResponse, 1);
	xmlNode *body;
	xmlNode *first;

	if (size > G_MAXINT) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the SOAP reply is too large");
		return NULL;
	}
	/* no network access, no entity expansion, no DTD loading */
	self->doc = xmlReadMemory(data, (int)size, "reply.xml", NULL,
				  XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING |
				      XML_PARSE_NOBLANKS);
	if (self->doc == NULL) {
		xmlErrorPtr xml_error = xmlGetLastError();
		g_autofree char *reason = g_strdup(xml_error != NULL && xml_error->message != NULL
							? xml_error->message
							: "unknown parse error");
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the reply is not XML (%s)", g_strstrip(reason));
		return NULL;
	}
	body = ferry_vsphere_find_body(xmlDocGetRootElement(self->doc));
	first = ferry_vsphere_xml_child(body, NULL);
	if (first == NULL) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "the reply is not a SOAP envelope with a body");
		return NULL;
	}
	self->body = first;
	if (g_strcmp0((const char *)first->name, "Fault") == 0) {
		g_autofree char *message = ferry_vsphere_xml_dup_path_text(first, "faultstring");
		xmlNode *detail = ferry_vsphere_xml_child(first, "detail");
		self->fault = ferry_vsphere_fault_new_from_node(ferry_vsphere_xml_child(detail, NULL),
								message);
	}
	return g_steal_pointer(&self);
}

void
ferry_vsphere_response_free(FerryVsphereResponse *self)
{
	if (self == NULL)
		return;
	if (self->doc != NULL)
		xmlFreeDoc(self->doc);
	ferry_vsphere_fault_free(self->fault);
	g_free(self);
}

xmlNode *
ferry_vsphere_response_get_returnval(FerryVsphereResponse *self)
{
	return ferry_vsphere_xml_child(self->body, "returnval");
}

/**
 * ferry_vsphere_response_is_unauthenticated:
 * @self: a reply
 *
 * The property collector answers a session that expired not with a fault
 * but with every property missing for NotAuthenticated.
 *
 * Returns: whether a property of the reply is missing for that reason
 */
static gboolean
ferry_vsphere_missing_unauthenticated(xmlNode *content)
{
	for (xmlNode *missing = ferry_vsphere_xml_child(content, "missingSet"); missing != NULL;
	     missing = ferry_vsphere_xml_next(missing, "missingSet")) {
		if (ferry_vsphere_xml_type_is(ferry_vsphere_xml_path(missing, "fault.fault"),
					      "NotAuthenticated"))
			return TRUE;
	}
	return FALSE;
}

gboolean
ferry_vsphere_response_is_unauthenticated(FerryVsphereResponse *self)
{
	/* RetrievePropertiesEx: returnval/objects/missingSet; RetrieveProperties
	 * and WaitForUpdatesEx carry them one level up or down */
	for (xmlNode *returnval = ferry_vsphere_xml_child(self->body, "returnval");
	     returnval != NULL; returnval = ferry_vsphere_xml_next(returnval, "returnval")) {
		if (ferry_vsphere_missing_unauthenticated(returnval))
			return TRUE;
		for (xmlNode *content = ferry_vsphere_xml_child(returnval, "objects");
		     content != NULL; content = ferry_vsphere_xml_next(content, "objects")) {
			if (ferry_vsphere_missing_unauthenticated(content))
				return TRUE;
		}
	}
	return FALSE;
}

/* --- property collector results --- */

void
ferry_vsphere_object_free(FerryVsphereObject *self)
{
	if (self == NULL)
		return;
	g_free(self->type);
	g_free(self->id);
	g_free(self->kind);
	g_hash_table_unref(self->props);
	g_ptr_array_unref(self->missing);
	g_free(self);
}

xmlNode *
ferry_vsphere_object_get(FerryVsphereObject *self, const char *path)
{
	return g_hash_table_lookup(self->props, path);
}

char *
ferry_vsphere_object_dup_string(FerryVsphereObject *self, const char *path)
{
	return ferry_vsphere_xml_dup_text(ferry_vsphere_object_get(self, path));
}

static FerryVsphereObject *
ferry_vsphere_object_new(xmlNode *obj)
{
	FerryVsphereObject *self;
	xmlChar *type;

	if (obj == NULL)
		return NULL;
	type = xmlGetNoNsProp(obj, (const xmlChar *)"type");
	if (type == NULL)
		return NULL;
	self = g_new0(FerryVsphereObject, 1);
	self->type = g_strdup((const char *)type);
	self->id = ferry_vsphere_xml_dup_text(obj);
	self->props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	self->missing = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_vsphere_fault_free);
	xmlFree(type);
	return self;
}

static void
ferry_vsphere_object_add_missing(FerryVsphereObject *self, xmlNode *missing)
{
	xmlNode *localized = ferry_vsphere_xml_child(missing, "fault");
	g_autofree char *message = ferry_vsphere_xml_dup_path_text(localized, "localizedMessage");
	FerryVsphereFault *fault =
	    ferry_vsphere_fault_new_from_node(ferry_vsphere_xml_child(localized, "fault"), message);
	g_free(fault->property);
	fault->property = ferry_vsphere_xml_dup_path_text(missing, "path");
	g_ptr_array_add(self->missing, fault);
}

/* the `name`/`val` pairs of propSet (RetrievePropertiesEx) or changeSet
 * (WaitForUpdatesEx) elements */
static void
ferry_vsphere_object_add_properties(FerryVsphereObject *self, xmlNode *parent, const char *set)
{
	for (xmlNode *prop = ferry_vsphere_xml_child(parent, set); prop != NULL;
	     prop = ferry_vsphere_xml_next(prop, set)) {
		g_autofree char *name = ferry_vsphere_xml_dup_path_text(prop, "name");
		g_autofree char *op = ferry_vsphere_xml_dup_path_text(prop, "op");
		xmlNode *val = ferry_vsphere_xml_child(prop, "val");
		if (name == NULL)
			continue;
		if (g_strcmp0(op, "remove") == 0 || g_strcmp0(op, "indirectRemove") == 0 ||
		    val == NULL) {
			g_hash_table_remove(self->props, name);
			continue;
		}
		g_hash_table_replace(self->props, g_steal_pointer(&name), val);
	}
	for (xmlNode *missing = ferry_vsphere_xml_child(parent, "missingSet"); missing != NULL;
	     missing = ferry_vsphere_xml_next(missing, "missingSet"))
		ferry_vsphere_object_add_missing(self, missing);
}

/**
 * ferry_vsphere_parse_retrieve_result:
 * @returnval: (nullable): the `returnval` of RetrievePropertiesEx or
 *   ContinueRetrievePropertiesEx (a RetrieveResult)
 * @token: (out) (optional): the token for the next page, or %NULL
 *
 * Returns: (transfer container) (element-type FerryVsphereObject): the objects
 */
GPtrArray *
ferry_vsphere_parse_retrieve_result(xmlNode *returnval, char **token)
{
	GPtrArray *objects =
	    g_ptr_array_new_with_free_func((GDestroyNotify)ferry_vsphere_object_free);

	if (token != NULL)
		*token = ferry_vsphere_xml_dup_path_text(returnval, "token");
	for (xmlNode *content = ferry_vsphere_xml_child(returnval, "objects"); content != NULL;
	     content = ferry_vsphere_xml_next(content, "objects")) {
		FerryVsphereObject *object =
		    ferry_vsphere_object_new(ferry_vsphere_xml_child(content, "obj"));
		if (object == NULL)
			continue;
		ferry_vsphere_object_add_properties(object, content, "propSet");
		g_ptr_array_add(objects, object);
	}
	return objects;
}

/**
 * ferry_vsphere_parse_update_set:
 * @returnval: (nullable): the `returnval` of WaitForUpdatesEx (an UpdateSet)
 * @version: (out) (optional): the version to wait from next
 * @truncated: (out) (optional): whether more updates are pending
 *
 * Returns: (transfer container) (element-type FerryVsphereObject): one object
 *   per ObjectUpdate, its kind set, its properties those of the change set
 */
GPtrArray *
ferry_vsphere_parse_update_set(xmlNode *returnval, char **version, gboolean *truncated)
{
	GPtrArray *objects =
	    g_ptr_array_new_with_free_func((GDestroyNotify)ferry_vsphere_object_free);
	gboolean is_truncated = FALSE;

	if (version != NULL)
		*version = ferry_vsphere_xml_dup_path_text(returnval, "version");
	if (truncated != NULL) {
		ferry_vsphere_xml_get_boolean(returnval, "truncated", &is_truncated);
		*truncated = is_truncated;
	}
	for (xmlNode *filter = ferry_vsphere_xml_child(returnval, "filterSet"); filter != NULL;
	     filter = ferry_vsphere_xml_next(filter, "filterSet")) {
		for (xmlNode *update = ferry_vsphere_xml_child(filter, "objectSet"); update != NULL;
		     update = ferry_vsphere_xml_next(update, "objectSet")) {
			FerryVsphereObject *object =
			    ferry_vsphere_object_new(ferry_vsphere_xml_child(update, "obj"));
			if (object == NULL)
				continue;
			object->kind = ferry_vsphere_xml_dup_path_text(update, "kind");
			ferry_vsphere_object_add_properties(object, update, "changeSet");
			g_ptr_array_add(objects, object);
		}
	}
	return objects;
}

/* --- small helpers --- */

/**
 * ferry_vsphere_split_datastore_path:
 * @file_name: a datastore path, `[datastore1] web-01/web-01.vmdk`
 * @datastore: (out): `datastore1`
 * @path: (out): `web-01/web-01.vmdk`
 *
 * Returns: %FALSE when @file_name is not a datastore path
 */
gboolean
ferry_vsphere_split_datastore_path(const char *file_name, char **datastore, char **path)
{
	const char *close;
	const char *rest;

	if (file_name == NULL || file_name[0] != '[')
		return FALSE;
	close = strchr(file_name, ']');
	if (close == NULL || close == file_name + 1)
		return FALSE;
	rest = close + 1;
	while (*rest == ' ')
		rest++;
	if (*rest == '\0' || *rest == '/')
		return FALSE;
	*datastore = g_strndup(file_name + 1, close - file_name - 1);
	*path = g_strdup(rest);
	return TRUE;
}

/* `AA:BB:…` (upper case, 20 bytes) as vSphere and Forklift write thumbprints */
char *
ferry_vsphere_format_thumbprint(GBytes *der)
{
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA1);
	guint8 digest[20];
	gsize length = sizeof(digest);
	GString *text = g_string_new(NULL);

	g_checksum_update(checksum, g_bytes_get_data(der, NULL), g_bytes_get_size(der));
	g_checksum_get_digest(checksum, digest, &length);
	for (gsize i = 0; i < length; i++)
		g_string_append_printf(text, "%s%02X", i > 0 ? ":" : "", digest[i]);
	return g_string_free(text, FALSE);
}

/* accepts `aa:bb:…`, `AABB…` or with spaces; %NULL unless 20 hex bytes */
char *
ferry_vsphere_normalize_thumbprint(const char *text)
{
	GString *hex = g_string_new(NULL);
	GString *result;

	for (const char *p = text; p != NULL && *p != '\0'; p++) {
		if (*p == ':' || *p == ' ' || *p == '-' || *p == '\n' || *p == '\t')
			continue;
		if (!g_ascii_isxdigit(*p)) {
			g_string_free(hex, TRUE);
			return NULL;
		}
		g_string_append_c(hex, g_ascii_toupper(*p));
	}
	if (hex->len != 40) {
		g_string_free(hex, TRUE);
		return NULL;
	}
	result = g_string_new(NULL);
	for (gsize i = 0; i < hex->len; i += 2)
		g_string_append_printf(result, "%s%c%c", i > 0 ? ":" : "", hex->str[i],
				       hex->str[i + 1]);
	g_string_free(hex, TRUE);
	return g_string_free(result, FALSE);
}
