/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-concern.h"

/**
 * FerryConcern:
 *
 * One finding of a validator about a VM: `{id, category, label, assessment}`,
 * the shape Forklift stores in a VM's `concerns`.
 *
 * Since: 0.1
 */
struct _FerryConcern {
	GObject parent_instance;
	char *id;
	FerryConcernCategory category;
	char *label;
	char *assessment;
};

G_DEFINE_TYPE(FerryConcern, ferry_concern, G_TYPE_OBJECT)

static const char *const category_names[] = {"Critical", "Warning", "Information"};

/**
 * ferry_concern_category_to_string:
 * @category: a #FerryConcernCategory
 *
 * Returns: (transfer none): `Critical`, `Warning` or `Information`
 *
 * Since: 0.1
 */
const char *
ferry_concern_category_to_string(FerryConcernCategory category)
{
	if ((guint)category >= G_N_ELEMENTS(category_names))
		return NULL;
	return category_names[category];
}

/**
 * ferry_concern_category_from_string:
 * @str: a category name, case-insensitive
 * @category: (out): the category
 *
 * Returns: %FALSE when @str names no category
 *
 * Since: 0.1
 */
gboolean
ferry_concern_category_from_string(const char *str, FerryConcernCategory *category)
{
	g_return_val_if_fail(category != NULL, FALSE);
	if (str == NULL)
		return FALSE;
	for (guint i = 0; i < G_N_ELEMENTS(category_names); i++) {
		if (g_ascii_strcasecmp(str, category_names[i]) == 0) {
			*category = (FerryConcernCategory)i;
			return TRUE;
		}
	}
	return FALSE;
}

static void
ferry_concern_finalize(GObject *object)
{
	FerryConcern *self = FERRY_CONCERN(object);
	g_free(self->id);
	g_free(self->label);
	g_free(self->assessment);
	G_OBJECT_CLASS(ferry_concern_parent_class)->finalize(object);
}

static void
ferry_concern_class_init(FerryConcernClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_concern_finalize;
}

static void
ferry_concern_init(FerryConcern *self)
{
}

/**
 * ferry_concern_new:
 * @id: stable identifier, e.g. `vmware.disk.rdm.detected`
 * @category: the category
 * @label: a short title
 * @assessment: (nullable): the explanation shown to the user
 *
 * Returns: (transfer full): a new concern
 *
 * Since: 0.1
 */
FerryConcern *
ferry_concern_new(const char *id,
		  FerryConcernCategory category,
		  const char *label,
		  const char *assessment)
{
	FerryConcern *self;
	g_return_val_if_fail(id != NULL, NULL);
	g_return_val_if_fail(label != NULL, NULL);
	self = g_object_new(FERRY_TYPE_CONCERN, NULL);
	self->id = g_strdup(id);
	self->category = category;
	self->label = g_strdup(label);
	self->assessment = g_strdup(assessment != NULL ? assessment : "");
	return self;
}

/**
 * ferry_concern_get_id:
 * @self: a #FerryConcern
 *
 * Returns: (transfer none): the identifier
 *
 * Since: 0.1
 */
const char *
ferry_concern_get_id(FerryConcern *self)
{
	g_return_val_if_fail(FERRY_IS_CONCERN(self), NULL);
	return self->id;
}

/**
 * ferry_concern_get_category:
 * @self: a #FerryConcern
 *
 * Returns: the category
 *
 * Since: 0.1
 */
FerryConcernCategory
ferry_concern_get_category(FerryConcern *self)
{
	g_return_val_if_fail(FERRY_IS_CONCERN(self), FERRY_CONCERN_CATEGORY_INFORMATION);
	return self->category;
}

/**
 * ferry_concern_get_label:
 * @self: a #FerryConcern
 *
 * Returns: (transfer none): the short title
 *
 * Since: 0.1
 */
const char *
ferry_concern_get_label(FerryConcern *self)
{
	g_return_val_if_fail(FERRY_IS_CONCERN(self), NULL);
	return self->label;
}

/**
 * ferry_concern_get_assessment:
 * @self: a #FerryConcern
 *
 * Returns: (transfer none): the explanation, possibly empty
 *
 * Since: 0.1
 */
const char *
ferry_concern_get_assessment(FerryConcern *self)
{
	g_return_val_if_fail(FERRY_IS_CONCERN(self), NULL);
	return self->assessment;
}

/**
 * ferry_concern_to_json:
 * @self: a #FerryConcern
 *
 * Returns: (transfer full): `{"id", "category", "label", "assessment"}`
 *
 * Since: 0.1
 */
JsonNode *
ferry_concern_to_json(FerryConcern *self)
{
	g_autoptr(JsonBuilder) builder = json_builder_new();
	g_return_val_if_fail(FERRY_IS_CONCERN(self), NULL);
	json_builder_begin_object(builder);
	json_builder_set_member_name(builder, "id");
	json_builder_add_string_value(builder, self->id);
	json_builder_set_member_name(builder, "category");
	json_builder_add_string_value(builder, ferry_concern_category_to_string(self->category));
	json_builder_set_member_name(builder, "label");
	json_builder_add_string_value(builder, self->label);
	json_builder_set_member_name(builder, "assessment");
	json_builder_add_string_value(builder, self->assessment);
	json_builder_end_object(builder);
	return json_builder_get_root(builder);
}
