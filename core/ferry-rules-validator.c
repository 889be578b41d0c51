/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <sqlite3.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-query-private.h"
#include "ferry-rules-validator-private.h"
#include "ferry-util-private.h"
#include "ferry-version.h"
#include "ferry-yaml.h"

/**
 * FerryRulesValidator:
 *
 * The validator named `rules`: judges VMs with rules written as data, the
 * way Forklift's OPA policies do, in YAML files:
 *
 * ```yaml
 * rulesVersion: 5
 * rules:
 *   - id: vmware.changed_block_tracking.disabled
 *     category: Warning        # Critical, Warning or Information
 *     label: Changed Block Tracking (CBT) is not enabled
 *     assessment: Warm migration needs CBT ...
 *     when: changeTrackingEnabled = false
 *   - id: vmware.disk.mode.independent
 *     category: Warning
 *     each: disks             # one concern per matching disk
 *     as: disk
 *     label: "Disk {{ disk.file }} is independent"
 *     when: disk.mode in ['independent_persistent', 'independent_nonpersistent']
 * ```
 *
 * `when` is an expression of the inventory query language over the VM's
 * workload (ferry_inventory_get_workload()); labels and assessments may
 * interpolate `{{ expression }}`. The rules of a provider type `T` are the
 * files `T/ *.yaml` of the data directory's `rules/`, then of each
 * directory of `FERRY_RULES_PATH` (colon-separated), then of the
 * directories added with ferry_rules_validator_add_directory(); a rule with
 * the id of an earlier one replaces it, and `disabled: true` removes it. A
 * file or rule that does not read is reported with its file, line and
 * column (ferry_rules_validator_dup_problems()) and the other rules still
 * apply.
 *
 * Since: 0.1
 */

typedef struct {
	char *id;
	FerryConcernCategory category;
	char *sql; /* SELECT index, label, assessment … */
	JsonObject *definition;
} Rule;

static void
rule_free(Rule *rule)
{
	g_free(rule->id);
	g_free(rule->sql);
	if (rule->definition != NULL)
		json_object_unref(rule->definition);
	g_free(rule);
}

typedef struct {
	GPtrArray *rules;    /* of Rule, in the order of the union */
	GPtrArray *problems; /* of char* */
	guint declared_version;
	guint version;
	sqlite3_stmt *all;    /* the union of every rule */
	GPtrArray *each_stmt; /* of sqlite3_stmt*, one per rule, made when needed */
} RuleSet;

struct _FerryRulesValidator {
	GObject parent_instance;
	GPtrArray *directories;
	GMutex lock;
	sqlite3 *db;
	GHashTable *sets; /* provider type → RuleSet */
};

static void ferry_rules_validator_iface_init(FerryValidatorInterface *iface);

G_DEFINE_TYPE_WITH_CODE(FerryRulesValidator, ferry_rules_validator, G_TYPE_OBJECT,
			G_IMPLEMENT_INTERFACE(FERRY_TYPE_VALIDATOR,
					      ferry_rules_validator_iface_init))

static void
rule_set_free(RuleSet *set)
{
	g_ptr_array_unref(set->rules);
	g_ptr_array_unref(set->problems);
	sqlite3_finalize(set->all);
	if (set->each_stmt != NULL) {
		for (guint i = 0; i < set->each_stmt->len; i++)
			sqlite3_finalize(g_ptr_array_index(set->each_stmt, i));
		g_ptr_array_unref(set->each_stmt);
	}
	g_free(set);
}

/* -- reading rule files -- */

typedef struct {
	FerryRulesValidator *self;
	RuleSet *set;
	GHashTable *by_id; /* id → Rule, the rules so far */
	GPtrArray *order;  /* of char* ids, first definition order */
	GChecksum *checksum;
} Loader;

static void loader_problem(Loader *loader, const char *format, ...) G_GNUC_PRINTF(2, 3);

static void
loader_problem(Loader *loader, const char *format, ...)
{
	va_list args;
	char *message;
	va_start(args, format);
	message = g_strdup_vprintf(format, args);
	va_end(args);
	g_warning("%s", message);
	g_ptr_array_add(loader->set->problems, message);
}

/* where column @column (from 1, in characters) of the string at @path of
 * @document was written: exact for single-line plain or quoted scalars and
 * for literal blocks, else the start of the value */
static char *
locate_in_value(FerryYamlDocument *document, const char *path, const char *text, guint column)
{
	g_autofree char *source = NULL;
	g_auto(GStrv) lines = NULL;
	guint line = 0, start = 0;
	guint expr_line = 0, expr_column = column;
	const char *p = text;

	if (!ferry_yaml_document_get_location(document, path, &line, &start))
		return g_strdup(ferry_yaml_document_get_filename(document));
	/* the line and column within a multi-line expression */
	for (guint i = 1; i < column && *p != '\0'; i++, p = g_utf8_next_char(p)) {
		if (*p == '\n') {
			expr_line++;
			expr_column = column - i;
		}
	}
	if (g_file_get_contents(ferry_yaml_document_get_filename(document), &source, NULL, NULL))
		lines = g_strsplit(source, "\n", -1);
	if (lines != NULL && line >= 1 && line <= g_strv_length(lines)) {
		const char *at = lines[line - 1];
		glong length = g_utf8_strlen(at, -1);
		gunichar c = start >= 1 && start <= (guint)length
				     ? g_utf8_get_char(g_utf8_offset_to_pointer(at, start - 1))
				     : 0;
		if ((c == '|') && line + expr_line < g_strv_length(lines)) {
			/* a literal block: the text starts on the next line, indented */
			const char *next = lines[line + expr_line];
			guint indent = 0;
			while (next[indent] == ' ')
				indent++;
			return g_strdup_printf("%s:%u:%u",
					       ferry_yaml_document_get_filename(document),
					       line + 1 + expr_line, indent + expr_column);
		}
		if (expr_line == 0 && c != '>' && c != '|')
			return g_strdup_printf(
				"%s:%u:%u", ferry_yaml_document_get_filename(document), line,
				start + column - 1 + ((c == '\'' || c == '"') ? 1 : 0));
	}
	return ferry_yaml_document_format_location(document, path);
}

/* reports a mistake at @column of the expression @text, the string at @path */
static gboolean
loader_expression_problem(Loader *loader, FerryYamlDocument *document, const char *path,
			  const char *rule_id, const char *field, const char *text, guint column,
			  GError *error)
{
	g_autofree char *where = locate_in_value(document, path, text, column);
	/* the message starts with "column N: ", which the location replaces */
	const char *message = strstr(error->message, ": ");
	loader_problem(loader, "%s: rule '%s': %s: %s", where, rule_id, field,
		       message != NULL ? message + 2 : error->message);
	return FALSE;
}

/* an expression of a rule, parsed, or NULL with a problem reported */
static FerryQNode *
loader_parse(Loader *loader, FerryYamlDocument *document, const char *path, const char *rule_id,
	     const char *field, const char *text)
{
	g_autoptr(GError) error = NULL;
	guint column = 0;
	FerryQNode *node = ferry_query_parse_expression(text, &column, &error);
	if (node == NULL)
		loader_expression_problem(loader, document, path, rule_id, field, text, column,
					  error);
	return node;
}

static gboolean
loader_compile_error(Loader *loader, FerryYamlDocument *document, const char *path,
		     const char *rule_id, const char *field, const char *text,
		     FerryQContext *context, GError *error)
{
	return loader_expression_problem(loader, document, path, rule_id, field, text,
					 ferry_qcontext_get_error_column(context), error);
}

/* a label or assessment with {{ expression }}s, as SQL text */
static char *
loader_compile_template(Loader *loader, FerryYamlDocument *document, const char *path,
			const char *rule_id, const char *field, const char *text,
			FerryQContext *context)
{
	g_autoptr(GString) sql = g_string_new("(''");
	const char *p = text;

	while (*p != '\0') {
		const char *open = strstr(p, "{{");
		const char *close;
		g_autofree char *literal = NULL;
		g_autofree char *expression = NULL;
		g_autoptr(FerryQNode) node = NULL;
		g_autoptr(GError) error = NULL;
		g_autofree char *value = NULL;
		g_autofree char *quoted = NULL;

		literal = g_strndup(p, open != NULL ? (gsize)(open - p) : strlen(p));
		if (literal[0] != '\0') {
			GString *escaped = g_string_new("'");
			for (const char *c = literal; *c != '\0'; c++) {
				if (*c == '\'')
					g_string_append_c(escaped, '\'');
				g_string_append_c(escaped, *c);
			}
			g_string_append_c(escaped, '\'');
			quoted = g_string_free(escaped, FALSE);
			g_string_append_printf(sql, " || %s", quoted);
		}
		if (open == NULL)
			break;
		close = strstr(open + 2, "}}");
		if (close == NULL) {
			g_autofree char *where =
				ferry_yaml_document_format_location(document, path);
			loader_problem(loader, "%s: rule '%s': %s: '{{' without '}}'", where,
				       rule_id, field);
			return NULL;
		}
		expression = g_strndup(open + 2, close - open - 2);
		node = loader_parse(loader, document, path, rule_id, field, expression);
		if (node == NULL)
			return NULL;
		value = ferry_qcompile_text(context, node, &error);
		if (value == NULL) {
			loader_compile_error(loader, document, path, rule_id, field, expression,
					     context, error);
			return NULL;
		}
		g_string_append_printf(sql, " || %s", value);
		p = close + 2;
	}
	g_string_append_c(sql, ')');
	return g_string_free(g_steal_pointer(&sql), FALSE);
}

static const char *const rule_keys[] = {"id",   "category", "label", "assessment",
					"when", "each",     "as",    "disabled"};

/* a scalar member as text: YAML reads `when: true` as a boolean */
static const char *
member_string(JsonObject *object, const char *name)
{
	JsonNode *node = json_object_get_member(object, name);
	if (node == NULL || !JSON_NODE_HOLDS_VALUE(node))
		return NULL;
	switch (json_node_get_value_type(node)) {
	case G_TYPE_STRING:
		return json_node_get_string(node);
	case G_TYPE_BOOLEAN:
		return json_node_get_boolean(node) ? "true" : "false";
	default:
		return NULL;
	}
}

/* compiles one rule; a rule that does not compile is reported and left out */
static void
loader_add_rule(Loader *loader, FerryYamlDocument *document, const char *path, JsonNode *node)
{
	g_autoptr(FerryQContext) context = ferry_qcontext_new("?1");
	g_autoptr(FerryQNode) when = NULL;
	g_autoptr(FerryQNode) each = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *where_id = ferry_yaml_path_append_member(path, "id");
	g_autofree char *where_category = ferry_yaml_path_append_member(path, "category");
	g_autofree char *where_label = ferry_yaml_path_append_member(path, "label");
	g_autofree char *where_assessment = ferry_yaml_path_append_member(path, "assessment");
	g_autofree char *where_when = ferry_yaml_path_append_member(path, "when");
	g_autofree char *where_each = ferry_yaml_path_append_member(path, "each");
	g_autofree char *from = NULL;
	g_autofree char *condition = NULL;
	g_autofree char *label = NULL;
	g_autofree char *assessment = NULL;
	JsonObject *object;
	const char *id, *category_name, *label_text, *when_text, *each_text, *alias;
	FerryConcernCategory category;
	JsonObjectIter iter;
	const char *key;
	Rule *rule;

	if (!JSON_NODE_HOLDS_OBJECT(node)) {
		g_autofree char *where = ferry_yaml_document_format_location(document, path);
		loader_problem(loader,
			       "%s: a rule must be a mapping with id, category, label "
			       "and when",
			       where);
		return;
	}
	object = json_node_get_object(node);
	id = member_string(object, "id");
	if (id == NULL || id[0] == '\0') {
		g_autofree char *where = ferry_yaml_document_format_location(document, where_id);
		loader_problem(loader, "%s: the rule has no id", where);
		return;
	}
	json_object_iter_init(&iter, object);
	while (json_object_iter_next(&iter, &key, NULL)) {
		gboolean known = FALSE;
		for (guint i = 0; i < G_N_ELEMENTS(rule_keys); i++)
			known = known || g_strcmp0(key, rule_keys[i]) == 0;
		if (!known) {
			g_autofree char *field = ferry_yaml_path_append_member(path, key);
			g_autofree char *where =
				ferry_yaml_document_format_location(document, field);
			loader_problem(loader,
				       "%s: rule '%s': unknown field '%s'; the fields are id, "
				       "category, label, assessment, when, each, as and disabled",
				       where, id, key);
			return;
		}
	}
	if (json_object_get_boolean_member_with_default(object, "disabled", FALSE)) {
		/* removes an earlier rule of this id */
		if (g_hash_table_remove(loader->by_id, id))
			g_debug("rule %s disabled by %s", id,
				ferry_yaml_document_get_filename(document));
		return;
	}
	category_name = member_string(object, "category");
	if (!ferry_concern_category_from_string(category_name, &category)) {
		g_autofree char *where =
			ferry_yaml_document_format_location(document, where_category);
		loader_problem(loader,
			       "%s: rule '%s': the category must be Critical, Warning or "
			       "Information",
			       where, id);
		return;
	}
	label_text = member_string(object, "label");
	when_text = member_string(object, "when");
	if (label_text == NULL || when_text == NULL) {
		g_autofree char *where = ferry_yaml_document_format_location(document, path);
		loader_problem(loader, "%s: rule '%s': a rule needs a label and a when condition",
			       where, id);
		return;
	}
	ferry_qcontext_set_shared_document(context, TRUE);
	each_text = member_string(object, "each");
	alias = member_string(object, "as");
	if (alias == NULL)
		alias = "item";

	if (each_text != NULL) {
		each = loader_parse(loader, document, where_each, id, "each", each_text);
		if (each == NULL)
			return;
		ferry_qcontext_add_element_root(context, alias, "item");
		from = ferry_qcompile_each(context, each, "item", &error);
		if (from == NULL) {
			loader_compile_error(loader, document, where_each, id, "each", each_text,
					     context, error);
			return;
		}
	}
	when = loader_parse(loader, document, where_when, id, "when", when_text);
	if (when == NULL)
		return;
	condition = ferry_qcompile_condition(context, when, &error);
	if (condition == NULL) {
		loader_compile_error(loader, document, where_when, id, "when", when_text, context,
				     error);
		return;
	}
	label = loader_compile_template(loader, document, where_label, id, "label", label_text,
					context);
	if (label == NULL)
		return;
	assessment = loader_compile_template(loader, document, where_assessment, id, "assessment",
					     member_string(object, "assessment") != NULL
						     ? member_string(object, "assessment")
						     : "",
					     context);
	if (assessment == NULL)
		return;

	rule = g_new0(Rule, 1);
	rule->id = g_strdup(id);
	rule->category = category;
	rule->definition = json_object_ref(object);
	if (from != NULL)
		rule->sql = g_strdup_printf("SELECT @INDEX@, %s, %s FROM %s WHERE item.key IS NOT "
					    "NULL AND (%s)",
					    label, assessment, from, condition);
	else
		rule->sql = g_strdup_printf("SELECT @INDEX@, %s, %s WHERE %s", label, assessment,
					    condition);
	if (!g_hash_table_contains(loader->by_id, id))
		g_ptr_array_add(loader->order, g_strdup(id));
	g_hash_table_replace(loader->by_id, g_strdup(id), rule);
}

static void
loader_read_file(Loader *loader, const char *filename)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) documents = NULL;
	g_autofree char *contents = NULL;
	gsize length = 0;

	if (!g_file_get_contents(filename, &contents, &length, &error)) {
		loader_problem(loader, "%s: %s", filename, error->message);
		return;
	}
	g_checksum_update(loader->checksum, (const guchar *)filename, strlen(filename) + 1);
	g_checksum_update(loader->checksum, (const guchar *)contents, length);
	documents = ferry_yaml_parse_data(contents, length, filename, &error);
	if (documents == NULL) {
		loader_problem(loader, "%s", error->message);
		return;
	}
	for (guint d = 0; d < documents->len; d++) {
		FerryYamlDocument *document = g_ptr_array_index(documents, d);
		JsonNode *root = ferry_yaml_document_get_root(document);
		JsonObject *object;
		JsonNode *rules;
		JsonObjectIter iter;
		const char *key;

		if (!JSON_NODE_HOLDS_OBJECT(root)) {
			g_autofree char *where = ferry_yaml_document_format_location(document, "");
			loader_problem(loader, "%s: a rule file is a mapping with 'rules:'", where);
			continue;
		}
		object = json_node_get_object(root);
		json_object_iter_init(&iter, object);
		while (json_object_iter_next(&iter, &key, NULL)) {
			if (g_strcmp0(key, "rules") != 0 && g_strcmp0(key, "rulesVersion") != 0) {
				g_autofree char *where =
					ferry_yaml_document_format_location(document, key);
				loader_problem(
					loader,
					"%s: unknown field '%s'; a rule file has 'rules' and "
					"'rulesVersion'",
					where, key);
			}
		}
		if (json_object_has_member(object, "rulesVersion")) {
			gint64 version =
				json_object_get_int_member_with_default(object, "rulesVersion", 0);
			if (version <= 0) {
				g_autofree char *where = ferry_yaml_document_format_location(
					document, "rulesVersion");
				loader_problem(loader, "%s: rulesVersion must be a positive number",
					       where);
			} else {
				loader->set->declared_version =
					MAX(loader->set->declared_version, (guint)version);
			}
		}
		rules = json_object_get_member(object, "rules");
		if (rules == NULL)
			continue;
		if (!JSON_NODE_HOLDS_ARRAY(rules)) {
			g_autofree char *where =
				ferry_yaml_document_format_location(document, "rules");
			loader_problem(loader, "%s: 'rules' must be a list of rules", where);
			continue;
		}
		for (guint i = 0; i < json_array_get_length(json_node_get_array(rules)); i++) {
			g_autofree char *path = ferry_yaml_path_append_index("rules", i);
			loader_add_rule(loader, document, path,
					json_array_get_element(json_node_get_array(rules), i));
		}
	}
}

static void
loader_read_directory(Loader *loader, const char *directory)
{
	g_autoptr(GDir) dir = g_dir_open(directory, 0, NULL);
	g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
	const char *name;

	if (dir == NULL)
		return;
	while ((name = g_dir_read_name(dir)) != NULL) {
		if (g_str_has_suffix(name, ".yaml") || g_str_has_suffix(name, ".yml") ||
		    g_str_has_suffix(name, ".json"))
			g_ptr_array_add(names, g_strdup(name));
	}
	g_ptr_array_add(names, NULL);
	ferry_strv_sort((GStrv)names->pdata);
	for (guint i = 0; g_ptr_array_index(names, i) != NULL; i++) {
		g_autofree char *filename = g_build_filename(
			directory, (const char *)g_ptr_array_index(names, i), NULL);
		loader_read_file(loader, filename);
	}
}

/* every directory searched, in order */
static GPtrArray *
ferry_rules_validator_search_path(FerryRulesValidator *self)
{
	GPtrArray *dirs = g_ptr_array_new_with_free_func(g_free);
	const char *env = g_getenv("FERRY_RULES_PATH");

	g_ptr_array_add(dirs, g_build_filename(ferry_get_data_dir(), "rules", NULL));
	if (env != NULL && env[0] != '\0') {
		g_auto(GStrv) parts = g_strsplit(env, G_SEARCHPATH_SEPARATOR_S, -1);
		for (guint i = 0; parts[i] != NULL; i++) {
			if (parts[i][0] != '\0')
				g_ptr_array_add(dirs, g_strdup(parts[i]));
		}
	}
	for (guint i = 0; i < self->directories->len; i++)
		g_ptr_array_add(dirs, g_strdup(g_ptr_array_index(self->directories, i)));
	return dirs;
}

static RuleSet *
ferry_rules_validator_load(FerryRulesValidator *self, const char *provider_type)
{
	g_autoptr(GPtrArray) dirs = ferry_rules_validator_search_path(self);
	g_autoptr(GHashTable) by_id =
		g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)rule_free);
	g_autoptr(GPtrArray) order = g_ptr_array_new_with_free_func(g_free);
	g_autoptr(GChecksum) checksum = g_checksum_new(G_CHECKSUM_SHA256);
	g_autoptr(GString) sql = g_string_new(NULL);
	RuleSet *set = g_new0(RuleSet, 1);
	Loader loader = {self, set, by_id, order, checksum};
	guint8 digest[32];
	gsize digest_len = sizeof(digest);

	set->rules = g_ptr_array_new_with_free_func((GDestroyNotify)rule_free);
	set->problems = g_ptr_array_new_with_free_func(g_free);
	for (guint i = 0; i < dirs->len; i++) {
		g_autofree char *directory =
			g_build_filename(g_ptr_array_index(dirs, i), provider_type, NULL);
		loader_read_directory(&loader, directory);
	}
	for (guint i = 0; i < order->len; i++) {
		const char *id = g_ptr_array_index(order, i);
		Rule *rule = NULL;
		g_autofree char *key = NULL;
		g_autofree char *index = NULL;
		g_autoptr(GString) piece = NULL;
		sqlite3_stmt *stmt = NULL;
		if (!g_hash_table_steal_extended(by_id, id, (gpointer *)&key, (gpointer *)&rule))
			continue;
		index = g_strdup_printf("%u", set->rules->len);
		piece = g_string_new(rule->sql);
		g_string_replace(piece, "@INDEX@", index, 1);
		g_free(rule->sql);
		rule->sql = g_string_free(g_steal_pointer(&piece), FALSE);
		/* a rule SQLite does not accept is left out, not the others */
		if (sqlite3_prepare_v2(self->db, rule->sql, -1, &stmt, NULL) != SQLITE_OK) {
			loader_problem(&loader, "rule '%s' cannot be evaluated: %s", rule->id,
				       sqlite3_errmsg(self->db));
			rule_free(rule);
			continue;
		}
		sqlite3_finalize(stmt);
		if (set->rules->len > 0)
			g_string_append(sql, " UNION ALL ");
		g_string_append(sql, rule->sql);
		g_ptr_array_add(set->rules, rule);
	}
	if (set->rules->len > 0 &&
	    sqlite3_prepare_v2(self->db, sql->str, -1, &set->all, NULL) != SQLITE_OK)
		loader_problem(&loader, "the %s rules cannot be evaluated together: %s",
			       provider_type, sqlite3_errmsg(self->db));

	if (set->declared_version == 0)
		set->declared_version = 1;
	g_checksum_update(checksum, (const guchar *)&set->declared_version,
			  sizeof(set->declared_version));
	g_checksum_get_digest(checksum, digest, &digest_len);
	memcpy(&set->version, digest, sizeof(set->version));
	if (set->version == 0)
		set->version = 1;
	return set;
}

/* the rules of @provider_type; call with the lock held */
static RuleSet *
ferry_rules_validator_get_set(FerryRulesValidator *self, const char *provider_type)
{
	RuleSet *set = g_hash_table_lookup(self->sets, provider_type);
	if (set == NULL) {
		set = ferry_rules_validator_load(self, provider_type);
		g_hash_table_insert(self->sets, g_strdup(provider_type), set);
	}
	return set;
}

/* -- evaluation -- */

static gboolean
ferry_rules_validator_run(FerryRulesValidator *self, RuleSet *set, sqlite3_stmt *stmt,
			  const char *workload, GPtrArray *concerns, GError **error)
{
	int rc;
	sqlite3_reset(stmt);
	sqlite3_bind_text(stmt, 1, workload, -1, SQLITE_STATIC);
	while ((rc = sqlite3_step(stmt)) == SQLITE_ROW) {
		guint index = (guint)sqlite3_column_int(stmt, 0);
		Rule *rule;
		if (index >= set->rules->len)
			continue;
		rule = g_ptr_array_index(set->rules, index);
		g_ptr_array_add(concerns,
				ferry_concern_new(rule->id, rule->category,
						  (const char *)sqlite3_column_text(stmt, 1),
						  (const char *)sqlite3_column_text(stmt, 2)));
	}
	if (rc != SQLITE_DONE) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_FAILED, "%s", sqlite3_errmsg(self->db));
		sqlite3_reset(stmt);
		return FALSE;
	}
	sqlite3_reset(stmt);
	sqlite3_clear_bindings(stmt);
	return TRUE;
}

GPtrArray *
ferry_rules_validator_validate_json(FerryRulesValidator *self, const char *provider_type,
				    const char *workload, GError **error)
{
	g_autoptr(GPtrArray) concerns = g_ptr_array_new_with_free_func(g_object_unref);
	g_autoptr(GError) local_error = NULL;
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	RuleSet *set = ferry_rules_validator_get_set(self, provider_type);

	if (set->all == NULL ||
	    ferry_rules_validator_run(self, set, set->all, workload, concerns, &local_error))
		return g_steal_pointer(&concerns);

	/* a rule failed on this VM (say a pattern read from a field does not
	 * compile): run the rules one by one and leave the failing ones out */
	g_ptr_array_set_size(concerns, 0);
	if (set->each_stmt == NULL) {
		set->each_stmt = g_ptr_array_new();
		for (guint i = 0; i < set->rules->len; i++) {
			Rule *rule = g_ptr_array_index(set->rules, i);
			sqlite3_stmt *stmt = NULL;
			sqlite3_prepare_v2(self->db, rule->sql, -1, &stmt, NULL);
			g_ptr_array_add(set->each_stmt, stmt);
		}
	}
	for (guint i = 0; i < set->rules->len; i++) {
		Rule *rule = g_ptr_array_index(set->rules, i);
		g_autoptr(GError) rule_error = NULL;
		if (!ferry_rules_validator_run(self, set, g_ptr_array_index(set->each_stmt, i),
					       workload, concerns, &rule_error))
			g_warning("rule '%s' failed on a VM: %s", rule->id, rule_error->message);
	}
	return g_steal_pointer(&concerns);
}

static GPtrArray *
ferry_rules_validator_validate(FerryValidator *validator, const char *provider_type, JsonObject *vm,
			       GCancellable *cancellable, GError **error)
{
	g_autoptr(JsonNode) node = json_node_init_object(json_node_alloc(), vm);
	g_autofree char *workload = json_to_string(node, FALSE);
	return ferry_rules_validator_validate_json(FERRY_RULES_VALIDATOR(validator), provider_type,
						   workload, error);
}

static const char *
ferry_rules_validator_get_name(FerryValidator *validator)
{
	return "rules";
}

static guint
ferry_rules_validator_get_version(FerryValidator *validator, const char *provider_type)
{
	FerryRulesValidator *self = FERRY_RULES_VALIDATOR(validator);
	g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&self->lock);
	return ferry_rules_validator_get_set(self, provider_type)->version;
}

static void
ferry_rules_validator_iface_init(FerryValidatorInterface *iface)
{
	iface->get_name = ferry_rules_validator_get_name;
	iface->get_version = ferry_rules_validator_get_version;
	iface->validate = ferry_rules_validator_validate;
}

static void
ferry_rules_validator_finalize(GObject *object)
{
	FerryRulesValidator *self = FERRY_RULES_VALIDATOR(object);
	g_hash_table_unref(self->sets);
	g_ptr_array_unref(self->directories);
	sqlite3_close_v2(self->db);
	g_mutex_clear(&self->lock);
	G_OBJECT_CLASS(ferry_rules_validator_parent_class)->finalize(object);
}

static void
ferry_rules_validator_class_init(FerryRulesValidatorClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_rules_validator_finalize;
}

static void
ferry_rules_validator_init(FerryRulesValidator *self)
{
	g_autoptr(GError) error = NULL;
	g_mutex_init(&self->lock);
	self->directories = g_ptr_array_new_with_free_func(g_free);
	self->sets = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					   (GDestroyNotify)rule_set_free);
	/* rules are evaluated by SQLite on a private in-memory database */
	if (sqlite3_open_v2(":memory:", &self->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_MEMORY,
			    NULL) != SQLITE_OK ||
	    !ferry_query_register_sql_functions(self->db, &error))
		g_critical("cannot set up the rules engine: %s",
			   error != NULL ? error->message : sqlite3_errmsg(self->db));
}

/**
 * ferry_rules_validator_new:
 *
 * Returns: (transfer full): a rules validator reading the installed rules
 *   and those of `FERRY_RULES_PATH`
 *
 * Since: 0.1
 */
FerryRulesValidator *
ferry_rules_validator_new(void)
{
	return g_object_new(FERRY_TYPE_RULES_VALIDATOR, NULL);
}

/**
 * ferry_rules_validator_add_directory:
 * @self: a #FerryRulesValidator
 * @directory: a directory with one subdirectory of rule files per provider
 *   type (`vsphere/`, `ovirt/`, …)
 *
 * Adds user rules, read after the installed ones and those of
 * `FERRY_RULES_PATH` (the CLI's `--rules-dir`).
 *
 * Since: 0.1
 */
void
ferry_rules_validator_add_directory(FerryRulesValidator *self, const char *directory)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_if_fail(FERRY_IS_RULES_VALIDATOR(self));
	g_return_if_fail(directory != NULL);
	locker = g_mutex_locker_new(&self->lock);
	g_ptr_array_add(self->directories, g_strdup(directory));
	g_hash_table_remove_all(self->sets);
}

/**
 * ferry_rules_validator_dup_directories:
 * @self: a #FerryRulesValidator
 *
 * Returns: (transfer full): the directories searched for rules, in order
 *
 * Since: 0.1
 */
GStrv
ferry_rules_validator_dup_directories(FerryRulesValidator *self)
{
	g_autoptr(GPtrArray) dirs = NULL;
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(FERRY_IS_RULES_VALIDATOR(self), NULL);
	locker = g_mutex_locker_new(&self->lock);
	dirs = ferry_rules_validator_search_path(self);
	g_ptr_array_add(dirs, NULL);
	return (GStrv)g_ptr_array_steal(dirs, NULL);
}

/**
 * ferry_rules_validator_list_rules:
 * @self: a #FerryRulesValidator
 * @provider_type: a provider type, e.g. `vsphere`
 *
 * Returns: (transfer container) (element-type Json.Object): the rules in force
 *   for @provider_type, as written in their files
 *
 * Since: 0.1
 */
GPtrArray *
ferry_rules_validator_list_rules(FerryRulesValidator *self, const char *provider_type)
{
	GPtrArray *rules = g_ptr_array_new_with_free_func((GDestroyNotify)json_object_unref);
	g_autoptr(GMutexLocker) locker = NULL;
	RuleSet *set;
	g_return_val_if_fail(FERRY_IS_RULES_VALIDATOR(self), NULL);
	g_return_val_if_fail(provider_type != NULL, NULL);
	locker = g_mutex_locker_new(&self->lock);
	set = ferry_rules_validator_get_set(self, provider_type);
	for (guint i = 0; i < set->rules->len; i++) {
		Rule *rule = g_ptr_array_index(set->rules, i);
		g_ptr_array_add(rules, json_object_ref(rule->definition));
	}
	return rules;
}

/**
 * ferry_rules_validator_dup_problems:
 * @self: a #FerryRulesValidator
 * @provider_type: a provider type
 *
 * Returns: (transfer full): what was wrong in the rule files of
 *   @provider_type, each as `FILE:LINE:COL: message`; empty when nothing
 *
 * Since: 0.1
 */
GStrv
ferry_rules_validator_dup_problems(FerryRulesValidator *self, const char *provider_type)
{
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_autoptr(GMutexLocker) locker = NULL;
	RuleSet *set;
	g_return_val_if_fail(FERRY_IS_RULES_VALIDATOR(self), NULL);
	g_return_val_if_fail(provider_type != NULL, NULL);
	locker = g_mutex_locker_new(&self->lock);
	set = ferry_rules_validator_get_set(self, provider_type);
	for (guint i = 0; i < set->problems->len; i++)
		g_strv_builder_add(builder, g_ptr_array_index(set->problems, i));
	return g_strv_builder_end(builder);
}

/**
 * ferry_rules_validator_get_rules_version:
 * @self: a #FerryRulesValidator
 * @provider_type: a provider type
 *
 * Returns: the highest `rulesVersion` the rule files of @provider_type
 *   declare (Forklift's: vmware 5, ovirt 6, openstack 6, ova 5), 1 when none
 *
 * Since: 0.1
 */
guint
ferry_rules_validator_get_rules_version(FerryRulesValidator *self, const char *provider_type)
{
	g_autoptr(GMutexLocker) locker = NULL;
	g_return_val_if_fail(FERRY_IS_RULES_VALIDATOR(self), 0);
	g_return_val_if_fail(provider_type != NULL, 0);
	locker = g_mutex_locker_new(&self->lock);
	return ferry_rules_validator_get_set(self, provider_type)->declared_version;
}
