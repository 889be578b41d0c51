/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <string.h>

#include "ferry-error.h"
#include "ferry-naming.h"
#include "ferry-template.h"

/*
 * Forklift's naming rules: how a source VM name becomes a Kubernetes name
 * (ChangeVmName), how a target name is chosen, and the name templates for
 * PVCs, volumes and networks with their defaults.
 */

#define DNS1123_LABEL_MAX     63
#define DNS1123_SUBDOMAIN_MAX 253
#define UNIQUE_CUT            58

static const char random_chars[] = "abcdefghijklmnopqrstuvwxyz0123456789";

static gboolean
is_label_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static gboolean
is_label(const char *name, gsize length)
{
	if (length == 0 || length > DNS1123_LABEL_MAX)
		return FALSE;
	if (!is_label_char(name[0]) || !is_label_char(name[length - 1]))
		return FALSE;
	for (gsize i = 0; i < length; i++) {
		if (!is_label_char(name[i]) && name[i] != '-')
			return FALSE;
	}
	return TRUE;
}

/**
 * ferry_naming_is_dns1123_label:
 * @name: a name
 *
 * Returns: %TRUE if @name is a DNS-1123 label: 1 to 63 lowercase letters,
 *   digits and `-`, starting and ending with a letter or digit
 *
 * Since: 0.1
 */
gboolean
ferry_naming_is_dns1123_label(const char *name)
{
	return name != NULL && is_label(name, strlen(name));
}

/**
 * ferry_naming_is_dns1123_subdomain:
 * @name: a name
 *
 * Returns: %TRUE if @name is a DNS-1123 subdomain: DNS-1123 labels joined
 *   with `.`, at most 253 characters
 *
 * Since: 0.1
 */
gboolean
ferry_naming_is_dns1123_subdomain(const char *name)
{
	const char *start;
	gsize length;
	if (name == NULL)
		return FALSE;
	length = strlen(name);
	if (length == 0 || length > DNS1123_SUBDOMAIN_MAX)
		return FALSE;
	start = name;
	for (;;) {
		const char *dot = strchr(start, '.');
		gsize part = dot != NULL ? (gsize)(dot - start) : strlen(start);
		if (!is_label(start, part))
			return FALSE;
		if (dot == NULL)
			return TRUE;
		start = dot + 1;
	}
}

/* strings.Trim(s, cutset) for an ASCII cutset, in place */
static void
trim_chars(GString *text, const char *cutset)
{
	gsize start = 0;
	while (start < text->len && strchr(cutset, text->str[start]) != NULL)
		start++;
	g_string_erase(text, 0, (gssize)start);
	while (text->len > 0 && strchr(cutset, text->str[text->len - 1]) != NULL)
		g_string_truncate(text, text->len - 1);
}

static void
cut(GString *text, gsize length)
{
	if (text->len > length)
		g_string_truncate(text, length);
}

static void
append_random(GString *text, guint count)
{
	for (guint i = 0; i < count; i++)
		g_string_append_c(text,
				  random_chars[g_random_int_range(0, sizeof(random_chars) - 1)]);
}

/**
 * ferry_naming_change_vm_name:
 * @name: a source VM name
 *
 * Forklift's `ChangeVmName`: lowercases @name and trims `.` and `-` from
 * its ends; then in each `.`-separated part turns `_`, `+`, `*`, space, `/`
 * and `\` into `-`, drops every other character that is not `[a-z0-9-]`,
 * trims `-` and `.`, collapses repeated `-` and cuts to 63; empty parts are
 * dropped, the rest joined with `.`, cut to 63 and trimmed again. When
 * nothing is left the name is `vm-` and four random characters.
 *
 * Returns: (transfer full): a DNS-1123 subdomain for @name
 *
 * Since: 0.1
 */
char *
ferry_naming_change_vm_name(const char *name)
{
	g_autofree char *lower = NULL;
	g_autoptr(GString) trimmed = NULL;
	g_auto(GStrv) parts = NULL;
	GString *result = g_string_new(NULL);

	g_return_val_if_fail(name != NULL, NULL);
	lower = g_utf8_validate(name, -1, NULL) ? g_utf8_strdown(name, -1) : g_strdup(name);
	trimmed = g_string_new(lower);
	trim_chars(trimmed, ".-");
	parts = g_strsplit(trimmed->str, ".", -1);
	for (guint i = 0; parts[i] != NULL; i++) {
		g_autoptr(GString) part = g_string_new(NULL);
		for (const char *p = parts[i]; *p != '\0'; p++) {
			char c = *p;
			if (strchr("_+* /\\", c) != NULL)
				c = '-';
			if (!is_label_char(c) && c != '-')
				continue;
			/* collapse repeated '-' */
			if (c == '-' && part->len > 0 && part->str[part->len - 1] == '-')
				continue;
			g_string_append_c(part, c);
		}
		trim_chars(part, "-.");
		cut(part, DNS1123_LABEL_MAX);
		trim_chars(part, "-");
		if (part->len == 0)
			continue;
		if (result->len > 0)
			g_string_append_c(result, '.');
		g_string_append_len(result, part->str, (gssize)part->len);
	}
	cut(result, DNS1123_LABEL_MAX);
	trim_chars(result, ".-");
	if (result->len == 0) {
		g_string_append(result, "vm-");
		append_random(result, 4);
	}
	return g_string_free(result, FALSE);
}

/**
 * ferry_naming_make_unique:
 * @name: a generated name
 * @taken: (nullable) (array zero-terminated=1): names already used (VMs in
 *   the target namespace and in the plan)
 *
 * As Forklift does when a generated name is taken: cuts it to 58
 * characters and appends `-` and four random characters, until the result
 * is not taken.
 *
 * Returns: (transfer full): @name when it is free, else a free variant
 *
 * Since: 0.1
 */
char *
ferry_naming_make_unique(const char *name, const char *const *taken)
{
	g_return_val_if_fail(name != NULL, NULL);
	if (taken == NULL || !g_strv_contains(taken, name))
		return g_strdup(name);
	for (;;) {
		GString *candidate = g_string_new(name);
		cut(candidate, UNIQUE_CUT);
		trim_chars(candidate, ".-");
		g_string_append_c(candidate, '-');
		append_random(candidate, 4);
		if (!g_strv_contains(taken, candidate->str))
			return g_string_free(candidate, FALSE);
		g_string_free(candidate, TRUE);
	}
}

/**
 * ferry_naming_validate_target_name:
 * @target_name: a `spec.vms[].targetName`
 * @error: return location for a #GError
 *
 * Returns: %TRUE if @target_name is a DNS-1123 subdomain, as Forklift
 *   requires; else %FALSE with @error saying what a valid one looks like
 *
 * Since: 0.1
 */
gboolean
ferry_naming_validate_target_name(const char *target_name, GError **error)
{
	if (ferry_naming_is_dns1123_subdomain(target_name))
		return TRUE;
	g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
		    "targetName '%s' is not a valid name: use lowercase letters, digits, '-' and "
		    "'.', start and end with a letter or digit, at most 253 characters "
		    "(a DNS-1123 subdomain)",
		    target_name != NULL ? target_name : "");
	return FALSE;
}

static gboolean
has_alphanumeric(const char *name)
{
	for (const char *p = name; p != NULL && *p != '\0'; p++) {
		if (g_ascii_isalnum(*p))
			return TRUE;
	}
	return FALSE;
}

/**
 * ferry_naming_resolve_target_vm_name:
 * @target_name: (nullable): `spec.vms[].targetName`
 * @new_name: (nullable): a name given before (`status.vms[].newName`)
 * @vm_name: the source VM's name
 * @vm_id: (nullable): the source VM's id
 * @taken: (nullable) (array zero-terminated=1): names already used in the
 *   target namespace and the plan
 * @error: return location for a #GError
 *
 * Forklift's `ResolveTargetVmName`: the target name when set (it must be a
 * DNS-1123 subdomain and free), else a name given before, else @vm_name
 * when it is a DNS-1123 label, else ferry_naming_change_vm_name() of it
 * (of @vm_id when the name has no letter or digit, or `vm-0000`), made
 * unique against @taken.
 *
 * Returns: (transfer full): the name of the target VM, or %NULL with
 *   @error set when @target_name is invalid or taken
 *
 * Since: 0.1
 */
char *
ferry_naming_resolve_target_vm_name(const char *target_name, const char *new_name,
				    const char *vm_name, const char *vm_id,
				    const char *const *taken, GError **error)
{
	g_autofree char *generated = NULL;

	if (target_name != NULL && target_name[0] != '\0') {
		if (!ferry_naming_validate_target_name(target_name, error))
			return NULL;
		if (taken != NULL && g_strv_contains(taken, target_name)) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS,
				    "targetName '%s' is already used by another VM in the target "
				    "namespace or the plan; choose another",
				    target_name);
			return NULL;
		}
		return g_strdup(target_name);
	}
	if (new_name != NULL && new_name[0] != '\0')
		return g_strdup(new_name);
	if (vm_name == NULL)
		vm_name = "";
	if (ferry_naming_is_dns1123_label(vm_name))
		return g_strdup(vm_name);
	if (has_alphanumeric(vm_name))
		generated = ferry_naming_change_vm_name(vm_name);
	else if (has_alphanumeric(vm_id))
		generated = ferry_naming_change_vm_name(vm_id);
	else
		generated = g_strdup("vm-0000");
	return ferry_naming_make_unique(generated, taken);
}

/* -- templates -- */

typedef struct {
	const char *name;
	GType type;
	const char *test_string; /* the value used to validate templates */
	gint64 test_int;
} Field;

/* the fields of Forklift's template data, with the test values templates
 * are validated with at apply time */
static const Field pvc_fields[] = {
	{"VmName", G_TYPE_STRING, "test-vm", 0},
	{"TargetVmName", G_TYPE_STRING, "test-vm", 0},
	{"PlanName", G_TYPE_STRING, "test-plan", 0},
	{"DiskIndex", G_TYPE_INT64, NULL, 0},
	{"VmId", G_TYPE_STRING, "vm-1", 0},
	{"WinDriveLetter", G_TYPE_STRING, "c", 0},
	{"RootDiskIndex", G_TYPE_INT64, NULL, 0},
	{"Shared", G_TYPE_BOOLEAN, NULL, 0},
	{"FileName", G_TYPE_STRING, "disk.vmdk", 0},
	{"SourcePVCName", G_TYPE_STRING, "test-pvc", 0},
	{"SourcePVCNamespace", G_TYPE_STRING, "test-namespace", 0},
	{"VolumeID", G_TYPE_STRING, "vol-1", 0},
	{"SnapshotID", G_TYPE_STRING, "snap-1", 0},
	{"DiskId", G_TYPE_STRING, "disk-1", 0},
	{NULL, G_TYPE_INVALID, NULL, 0},
};

static const Field volume_fields[] = {
	{"PVCName", G_TYPE_STRING, "test-pvc", 0},
	{"VolumeIndex", G_TYPE_INT64, NULL, 0},
	{NULL, G_TYPE_INVALID, NULL, 0},
};

static const Field network_fields[] = {
	{"NetworkName", G_TYPE_STRING, "test-network", 0},
	{"NetworkNamespace", G_TYPE_STRING, "test-namespace", 0},
	{"NetworkType", G_TYPE_STRING, "Multus", 0},
	{"NetworkIndex", G_TYPE_INT64, NULL, 0},
	{NULL, G_TYPE_INVALID, NULL, 0},
};

static const Field *
fields_for(FerryNameTemplateKind kind)
{
	switch (kind) {
	case FERRY_NAME_TEMPLATE_VOLUME:
		return volume_fields;
	case FERRY_NAME_TEMPLATE_NETWORK:
		return network_fields;
	case FERRY_NAME_TEMPLATE_PVC:
	default:
		return pvc_fields;
	}
}

static const char *
template_field_name(FerryNameTemplateKind kind)
{
	switch (kind) {
	case FERRY_NAME_TEMPLATE_VOLUME:
		return "volumeNameTemplate";
	case FERRY_NAME_TEMPLATE_NETWORK:
		return "networkNameTemplate";
	case FERRY_NAME_TEMPLATE_PVC:
	default:
		return "pvcNameTemplate";
	}
}

/**
 * ferry_naming_get_default_template:
 * @kind: which template
 * @ocp_source: whether the source provider is OpenShift/KubeVirt
 *
 * Returns: (transfer none): Forklift's default: for PVCs
 *   `{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{.DiskIndex}}`,
 *   or `{{.SourcePVCName}}` from OpenShift; `vol-{{.VolumeIndex}}` for
 *   volumes; `net-{{.NetworkIndex}}` for networks
 *
 * Since: 0.1
 */
const char *
ferry_naming_get_default_template(FerryNameTemplateKind kind, gboolean ocp_source)
{
	switch (kind) {
	case FERRY_NAME_TEMPLATE_VOLUME:
		return "vol-{{.VolumeIndex}}";
	case FERRY_NAME_TEMPLATE_NETWORK:
		return "net-{{.NetworkIndex}}";
	case FERRY_NAME_TEMPLATE_PVC:
	default:
		return ocp_source ? "{{.SourcePVCName}}"
				  : "{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{."
				    "DiskIndex}}";
	}
}

static JsonObject *
new_data(FerryNameTemplateKind kind, gboolean test_values)
{
	JsonObject *data = json_object_new();
	for (const Field *field = fields_for(kind); field->name != NULL; field++) {
		if (field->type == G_TYPE_STRING)
			json_object_set_string_member(data, field->name,
						      test_values ? field->test_string : "");
		else if (field->type == G_TYPE_INT64)
			json_object_set_int_member(data, field->name,
						   test_values ? field->test_int : 0);
		else
			json_object_set_boolean_member(data, field->name, FALSE);
	}
	return data;
}

/**
 * ferry_naming_new_template_data:
 * @kind: which template
 *
 * Returns: (transfer full): every field the template may use, set to its
 *   zero value (`""`, 0, false); set those you know and pass it to
 *   ferry_naming_render()
 *
 * Since: 0.1
 */
JsonObject *
ferry_naming_new_template_data(FerryNameTemplateKind kind)
{
	return new_data(kind, FALSE);
}

static char *
render(FerryNameTemplateKind kind, const char *template_text, JsonObject *data, gboolean ocp_source,
       GError **error)
{
	g_autoptr(FerryTemplate) tmpl = NULL;
	g_autoptr(JsonObject) full = new_data(kind, FALSE);
	g_autofree char *output = NULL;
	JsonObjectIter iter;
	const char *member;
	JsonNode *value;

	if (template_text == NULL || template_text[0] == '\0')
		template_text = ferry_naming_get_default_template(kind, ocp_source);
	tmpl = ferry_template_new(template_text, error);
	if (tmpl == NULL)
		return NULL;
	if (data != NULL) {
		json_object_iter_init(&iter, data);
		while (json_object_iter_next(&iter, &member, &value))
			json_object_set_member(full, member, json_node_copy(value));
	}
	output = ferry_template_execute(tmpl, full, error);
	if (output == NULL)
		return NULL;
	if (!ferry_naming_is_dns1123_label(output)) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "the template gives '%s', which is not a valid name: it must be 1 to "
			    "63 lowercase letters, digits and '-', starting and ending with a "
			    "letter or digit (a DNS-1123 label)",
			    output);
		return NULL;
	}
	return g_steal_pointer(&output);
}

/**
 * ferry_naming_render:
 * @kind: which template
 * @template_text: (nullable): the template; %NULL or empty for the default
 * @data: (nullable): the fields; missing ones are zero values
 * @ocp_source: whether the source provider is OpenShift/KubeVirt (for the
 *   default PVC template)
 * @error: return location for a #GError
 *
 * Runs a name template and checks that the result is a DNS-1123 label.
 *
 * Returns: (transfer full): the name, or %NULL with @error set
 *
 * Since: 0.1
 */
char *
ferry_naming_render(FerryNameTemplateKind kind, const char *template_text, JsonObject *data,
		    gboolean ocp_source, GError **error)
{
	char *name = render(kind, template_text, data, ocp_source, error);
	if (name == NULL)
		g_prefix_error(error, "%s: ", template_field_name(kind));
	return name;
}

/**
 * ferry_naming_validate_template:
 * @kind: which template
 * @template_text: the template
 * @error: return location for a #GError
 *
 * Checks a template the way Forklift does when a plan is validated: it
 * must parse, and running it over test data must give a DNS-1123 label.
 *
 * Returns: %TRUE if it is valid, else %FALSE with @error saying why
 *
 * Since: 0.1
 */
gboolean
ferry_naming_validate_template(FerryNameTemplateKind kind, const char *template_text,
			       GError **error)
{
	g_autoptr(JsonObject) test_data = new_data(kind, TRUE);
	g_autofree char *name = NULL;

	g_return_val_if_fail(template_text != NULL, FALSE);
	name = render(kind, template_text, test_data, FALSE, error);
	if (name == NULL) {
		g_prefix_error(error, "%s is invalid: ", template_field_name(kind));
		return FALSE;
	}
	return TRUE;
}
