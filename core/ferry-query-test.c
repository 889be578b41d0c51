/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "ferry-query-private.h"
#include "ferry.h"

/* a small inventory whose documents exercise types, nulls, arrays and dates */
static const char *const documents[] = {
	"{\"id\":\"vm-1\",\"name\":\"web-01\",\"memoryMB\":8192,\"cpuCount\":4,"
	"\"powerState\":\"poweredOn\",\"guestId\":\"rhel8_64Guest\","
	"\"created\":\"2024-03-01T10:00:00Z\",\"tags\":[\"prod\",\"web\"],"
	"\"changeTrackingEnabled\":true,\"host\":\"host-1\","
	"\"OS-EXT-STS:vm_state\":\"active\","
	"\"disks\":[{\"capacity\":10737418240,\"shared\":false,\"datastore\":{\"id\":\"ds-1\"}},"
	"{\"capacity\":53687091200,\"shared\":true,\"datastore\":{\"id\":\"ds-2\"}}],"
	"\"nics\":[{\"mac\":\"00:50:56:00:00:01\",\"network\":{\"id\":\"net-1\"}}]}",

	"{\"id\":\"vm-2\",\"name\":\"web-02\",\"memoryMB\":4096,\"cpuCount\":2,"
	"\"powerState\":\"poweredOff\",\"guestId\":\"rhel9_64Guest\",\"created\":\"2023-12-31\","
	"\"tags\":[\"web\"],\"changeTrackingEnabled\":false,\"host\":\"host-2\",\"pattern\":\"([\","
	"\"disks\":[{\"capacity\":21474836480,\"shared\":false}],\"nics\":[]}",

	"{\"id\":\"vm-3\",\"name\":\"db-01\",\"memoryMB\":16384,\"cpuCount\":8,"
	"\"powerState\":\"poweredOn\",\"guestId\":\"windows2019srv_64Guest\","
	"\"created\":\"2024-06-15T08:30:00+02:00\",\"tags\":[],\"changeTrackingEnabled\":true,"
	"\"description\":null,\"host\":\"host-1\","
	"\"disks\":[{\"capacity\":107374182400,\"shared\":false},"
	"{\"capacity\":214748364800,\"shared\":false},{\"capacity\":1099511627776}],"
	"\"nics\":[{\"mac\":\"00:50:56:00:00:03\"},{\"mac\":\"00:50:56:00:00:04\"}]}",

	"{\"id\":\"vm-4\",\"name\":\"\\u00dcn\\u00efcode-vm\",\"memoryMB\":1024,"
	"\"powerState\":\"suspended\",\"guestId\":null}",

	"{\"id\":\"vm-5\",\"name\":\"cache_01\",\"memoryMB\":2048.5,\"cpuCount\":\"2\","
	"\"tags\":\"notarray\",\"disks\":[{\"capacity\":\"big\"}]}",
};

static FerryInventory *
make_inventory(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	for (guint i = 0; i < G_N_ELEMENTS(documents); i++) {
		g_autoptr(JsonNode) node = json_from_string(documents[i], &error);
		JsonObject *document;
		g_assert_no_error(error);
		document = json_node_get_object(node);
		g_assert_true(ferry_inventory_upsert(
			inventory, "vm", json_object_get_string_member(document, "id"),
			json_object_get_string_member(document, "name"), NULL, document, &error));
		g_assert_no_error(error);
	}
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);
	return g_steal_pointer(&inventory);
}

/* the names the query returns, comma-separated, in the query's order */
static char *
run_names(FerryInventory *inventory, const char *text, GError **error)
{
	g_autoptr(FerryQuery) query = ferry_query_new(text, error);
	g_autoptr(GPtrArray) results = NULL;
	g_autoptr(GStrvBuilder) builder = g_strv_builder_new();
	g_auto(GStrv) names = NULL;
	if (query == NULL)
		return NULL;
	results = ferry_inventory_query(inventory, "p1", "vm", query,
					FERRY_INVENTORY_QUERY_FLAG_REFS, error);
	if (results == NULL)
		return NULL;
	for (guint i = 0; i < results->len; i++)
		g_strv_builder_add(builder, json_object_get_string_member(
						    g_ptr_array_index(results, i), "name"));
	names = g_strv_builder_end(builder);
	return g_strjoinv(",", names);
}

typedef struct {
	const char *query;
	const char *expected;
} QueryCase;

static const QueryCase semantic_cases[] = {
	/* comparisons and SI units */
	{"memoryMB > 4096", "db-01,web-01"},
	{"where memoryMB > 4096 and len(disks) > 1 order by name limit 5", "db-01,web-01"},
	{"memoryMB >= 4Ki", "db-01,web-01,web-02"},
	{"memoryMB = 2048.5", "cache_01"},
	{"memoryMB * 1Mi = 8Gi", "web-01"},
	{"memoryMB < 1.5K", "Ünïcode-vm"},
	{"WHERE memoryMB <> 4096 AND memoryMB != 8192 AND memoryMB == 16384", "db-01"},
	/* types: a string is not the number it spells; null compares false */
	{"cpuCount = 2", "web-02"},
	{"cpuCount != 2", "db-01,web-01"},
	{"not (cpuCount = 2)", "cache_01,db-01,web-01,Ünïcode-vm"},
	{"cpuCount = '2'", "cache_01"},
	{"cpuCount > 'a'", ""},
	{"cpuCount > memoryMB / 1000", "cache_01"},
	{"guestId is null", "cache_01,Ünïcode-vm"},
	{"guestId is not null", "db-01,web-01,web-02"},
	{"description is null and memoryMB > 10000", "db-01"},
	{"cpuCount + 1 = 3", "web-02"},
	{"-memoryMB < -10000", "db-01"},
	{"memoryMB / 3 > 2730", "db-01,web-01"},
	{"memoryMB % 1000 = 192", "web-01"},
	{"memoryMB / 0 is null and name = 'web-01'", "web-01"},
	/* booleans */
	{"changeTrackingEnabled", "db-01,web-01"},
	{"not changeTrackingEnabled", "cache_01,web-02,Ünïcode-vm"},
	{"changeTrackingEnabled = false", "web-02"},
	{"changeTrackingEnabled = true and true", "db-01,web-01"},
	/* strings */
	{"name like 'web-%'", "web-01,web-02"},
	{"name like 'WEB-%'", ""},
	{"name ilike 'WEB-%'", "web-01,web-02"},
	{"name ilike 'ü%'", "Ünïcode-vm"},
	{"name like 'cache\\_01'", "cache_01"},
	{"name like '_b-0_'", "db-01"},
	{"name not like '%-0%'", "cache_01,Ünïcode-vm"},
	{"name ~= '^web-0[12]$'", "web-01,web-02"},
	{"name ~! '^web'", "cache_01,db-01,Ünïcode-vm"},
	/* a literal start is also looked up by range on the name index */
	{"name ~= '^web-0'", "web-01,web-02"},
	{"name ~= '^web-02?'", "web-01,web-02"},
	{"name ~= '^db-0*1'", "db-01"},
	{"name ~= '^cache\\_'", "cache_01"},
	{"name ~= '^web|^db'", "db-01,web-01,web-02"},
	{"not (name ~= '^web-01')", "cache_01,db-01,web-02,Ünïcode-vm"},
	{"name like 'web-0%' or memoryMB < 1100", "web-01,web-02,Ünïcode-vm"},
	{"guestId ~= '^rhel9'", "web-02"},
	{"guestId ~= 'rhel[0-9]+_64'", "web-01,web-02"},
	{"`OS-EXT-STS:vm_state` = 'active'", "web-01"},
	{"`name` = 'web-01' and `memoryMB` = 8192", "web-01"},
	{"disks[0]['datastore']['id'] = 'ds-1'", "web-01"},
	/* in, between */
	{"powerState in ['poweredOn', 'suspended']", "db-01,web-01,Ünïcode-vm"},
	{"powerState not in ['poweredOn']", "web-02,Ünïcode-vm"},
	{"powerState in []", ""},
	{"'prod' in tags", "web-01"},
	{"'web' not in tags", "cache_01,db-01,Ünïcode-vm"},
	{"memoryMB between 2Ki and 8Ki", "cache_01,web-01,web-02"},
	{"memoryMB not between 2Ki and 8Ki", "db-01,Ünïcode-vm"},
	/* dates */
	{"created > '2024-01-01'", "db-01,web-01"},
	{"created < '2024-06-15T06:00:00Z'", "web-01,web-02"},
	{"created < '2024-06-15T07:00:00Z'", "db-01,web-01,web-02"},
	{"created between '2024-01-01' and '2024-04-01T00:00:00+00:00'", "web-01"},
	{"created = '2023-12-31T00:00:00Z'", "web-02"},
	/* arrays */
	{"len(disks) = 3", "db-01"},
	{"len(nics) = 0", "cache_01,web-02,Ünïcode-vm"},
	{"len(name) = 6", "web-01,web-02"},
	{"len(tags) = 8", "cache_01"},
	{"disks[1].capacity = 50Gi", "web-01"},
	{"nics[0].mac = '00:50:56:00:00:01'", "web-01"},
	{"disks[0].datastore.id = 'ds-1'", "web-01"},
	{"any(disks[*].shared = true)", "web-01"},
	{"any(disks[*].shared)", "web-01"},
	{"disks[*].capacity > 500Gi", "db-01"},
	{"disks.capacity > 500Gi", "db-01"},
	{"nics.network.id = 'net-1'", "web-01"},
	{"sum(disks[*].capacity) > 300Gi", "db-01"},
	{"sum(disks.capacity) = 60Gi", "web-01"},
	{"sum(memoryMB) = 1024", "Ünïcode-vm"},
	{"len(disks[*]) = 2", "web-01"},
	{"all(disks[*].capacity >= 20Gi)", "db-01,web-02"},
	/* kubectl-mtv's prefix form of the functions */
	{"len disks >= 1 and sum disks[*].capacity > 300Gi", "db-01"},
	{"all(disks[*].capacity >= 20Gi) and len(disks) > 0", "db-01,web-02"},
	{"any(disks[*].shared = true and disks[*].capacity > 40Gi)", "web-01"},
	{"any(disks[*].shared = false and disks[*].capacity > 40Gi)", "db-01"},
	{"disks[*].shared = false and disks[*].capacity > 40Gi", "db-01,web-01"},
	{"not any(disks[*].shared = true) and len(disks) > 0", "cache_01,db-01,web-02"},
	{"any(nics[*].mac ~= ':04$')", "db-01"},
	{"any(tags[*] = 'prod')", "web-01"},
	{"any(disks[*].datastore[*] = 'ds-2')", "web-01"},
	{"disks[*][*] = 'ds-1'", ""},
	{"len(disks[0][*]) = 3", "web-01"},
	{"sum(disks[*].capacity > 40Gi) = 3", "db-01"},
	{"sum(disks[*].capacity)", "db-01,web-01,web-02"},
	{"sum(disks[*].capacity > 100Gi)", "db-01"},
	{"len(disks[*])", "cache_01,db-01,web-01,web-02"},
	/* columns and computed fields */
	{"name = 'db-01' or name = 'web-02'", "db-01,web-02"},
	{"id in ['vm-1', 'vm-3']", "db-01,web-01"},
	{"provider = 'p1' and memoryGB = 8", "web-01"},
	{"memoryGB > 15.9", "db-01"},
	{"diskCapacity = 60Gi", "web-01"},
	{"criticalConcerns = 0 and concernsHuman = '0/0/0' and memoryMB > 10000", "db-01"},
	{"powerStateHuman = 'Off'", "web-02"},
	{"revision = 1 and name = 'web-01'", "web-01"},
	/* order and limit */
	{"order by memoryMB desc limit 2", "db-01,web-01"},
	{"where cpuCount > 0 order by cpuCount asc, name desc", "web-02,web-01,db-01"},
	{"where cpuCount is not null order by cpuCount desc", "cache_01,db-01,web-01,web-02"},
	{"order by len(disks) desc, name limit 3", "db-01,web-01,cache_01"},
	{"limit 0", ""},
	/* kubectl-mtv's SORT BY, and select aliases in WHERE and ORDER BY */
	{"sort by memoryMB desc limit 2", "db-01,web-01"},
	{"where cpuCount > 0 sort by name desc", "web-02,web-01,db-01"},
	{"select name, memoryMB as mem order by mem desc limit 2", "db-01,web-01"},
	{"select name, len(disks) as n where n = 2 order by n desc, name", "web-01"},
	/* an alias that shadows the field it is computed from leaves it alone */
	{"select name, len(disks) as disks where len(disks) = 2 order by name", "web-01"},
	{"order by 2, len(disks) desc, true, 'x', name limit 2", "db-01,web-01"},
	{"", "cache_01,db-01,web-01,web-02,Ünïcode-vm"},
};

static void
test_query_semantics(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	for (guint i = 0; i < G_N_ELEMENTS(semantic_cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *names = run_names(inventory, semantic_cases[i].query, &error);
		if (error != NULL)
			g_error("query «%s»: %s", semantic_cases[i].query, error->message);
		if (g_strcmp0(names, semantic_cases[i].expected) != 0)
			g_error("query «%s»: expected «%s» but got «%s»", semantic_cases[i].query,
				semantic_cases[i].expected, names);
	}
}

typedef struct {
	const char *query;
	guint column;
	const char *message;
} ErrorCase;

static const ErrorCase error_cases[] = {
	{"where memoryMB > and x", 18, "expected a value but found the keyword 'and'"},
	{"memoryMB > 4Gx", 13, "unknown unit 'Gx' after the number 4"},
	{"name = 'abc", 8, "no closing '"},
	{"len(disks) > 1 limit x", 22, "expected a whole number after 'limit'"},
	{"foo(bar) = 1", 1, "unknown function 'foo'"},
	{"where a < b < c", 13, "cannot be chained"},
	{"where a in 5", 12, "after 'in'"},
	{"disks[ = 1", 8, "in brackets"},
	{"name = 'x' order name", 18, "expected 'by'"},
	{"name = 'ü' and @", 16, "unexpected character '@'"},
	{"memoryMB >", 11, "expected a value after '>' but found the end of the query"},
	{"(memoryMB > 1", 14, "expected ')'"},
	{"memoryMB > 1 name = 2", 14, "join conditions with 'and'"},
	{"where a = 1 select b", 13, "out of place"},
	{"select name as", 15, "expected a name after 'as'"},
	{"a between 1 or 2", 13, "expected 'and'"},
	{"a is 5", 6, "expected 'null'"},
	{"len(a, b)", 6, "takes one argument"},
	{"a.1 = 2", 3, "expected a field name after '.'"},
	{"1e308Ei > 1", 1, "too large"},
	{"-------------------------------------------------a", 50, "nests more than 48"},
	{"not not not not not not not not not not not not not not not not not not not not not not "
	 "not not not not not not not not not not not not not not not not not not not not not not "
	 "not not not not not a",
	 197, "nests more than 48"},
};

static void
test_query_errors(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(error_cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryQuery) query = ferry_query_new(error_cases[i].query, &error);
		g_autofree char *column = g_strdup_printf("column %u:", error_cases[i].column);
		g_autofree char *caret = NULL;
		const char *last_line;
		g_assert_null(query);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		if (strstr(error->message, column) == NULL ||
		    strstr(error->message, error_cases[i].message) == NULL)
			g_error("query «%s»: expected «%s %s» in «%s»", error_cases[i].query,
				column, error_cases[i].message, error->message);
		/* the caret sits under the column */
		last_line = strrchr(error->message, '\n');
		g_assert_nonnull(last_line);
		caret = g_strdup_printf("\n  %*s^", (int)error_cases[i].column - 1, "");
		g_assert_cmpstr(last_line, ==, caret);
	}
}

/* mistakes found when the query is compiled against the inventory */
static void
test_query_compile_errors(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	const ErrorCase cases[] = {
		{"'a' = [1, 2]", 7, "an array can only follow 'in'"},
		{"name ~= '('", 9, "invalid regular expression"},
		{"where true order by [1]", 21, "an array can only follow 'in'"},
		{"order by any([1])", 14, "an array can only follow 'in'"},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autofree char *names = run_names(inventory, cases[i].query, &error);
		g_autofree char *column = g_strdup_printf("column %u:", cases[i].column);
		g_assert_null(names);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
		if (strstr(error->message, column) == NULL ||
		    strstr(error->message, cases[i].message) == NULL)
			g_error("query «%s»: expected «%s %s» in «%s»", cases[i].query, column,
				cases[i].message, error->message);
	}
}

/* a regular expression that only fails when a row is evaluated */
static void
test_query_runtime_error(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;

	/* patterns from fields: arithmetic on strings is null, so no pattern */
	names = run_names(inventory, "name ~= guestId + ''", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "");
	g_clear_pointer(&names, g_free);
	names = run_names(inventory, "guestId ~= 'rhel' and name ~= name", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "web-01,web-02");
	g_clear_pointer(&names, g_free);
	names = run_names(inventory, "name ~= `OS-EXT-STS:vm_state` and memoryMB > 0", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "");
	g_clear_pointer(&names, g_free);
	/* web-02's pattern field does not compile */
	names = run_names(inventory, "name ~= pattern", &error);
	g_assert_null(names);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "invalid regular expression '(['"));
}

static void
test_query_numbers(void)
{
	const struct {
		const char *text;
		gboolean is_real;
		gint64 integer;
		double real;
	} cases[] = {
		{"4Gi", FALSE, G_GINT64_CONSTANT(4294967296), 0},
		{"1.5Ki", FALSE, 1536, 0},
		{"2K", FALSE, 2000, 0},
		{"3M", FALSE, 3000000, 0},
		{"1Ti", FALSE, G_GINT64_CONSTANT(1099511627776), 0},
		{"1.5", TRUE, 0, 1.5},
		{"2e3", FALSE, 2000, 0},
		{"1E", FALSE, G_GINT64_CONSTANT(1000000000000000000), 0},
		{"0.1Ki", TRUE, 0, 102.4},
		{"-7", FALSE, -7, 0},
		{"9223372036854775807", FALSE, G_MAXINT64, 0},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		g_autoptr(GError) error = NULL;
		g_autoptr(FerryQNode) node =
			ferry_query_parse_expression(cases[i].text, NULL, &error);
		g_assert_no_error(error);
		if (cases[i].is_real) {
			g_assert_cmpint(node->type, ==, FERRY_QNODE_REAL);
			g_assert_cmpfloat_with_epsilon(node->real, cases[i].real, 1e-9);
		} else {
			g_assert_cmpint(node->type, ==, FERRY_QNODE_INT);
			g_assert_cmpint(node->integer, ==, cases[i].integer);
		}
	}
}

/* a query deeper than SQLite's parser takes is the user's to simplify */
static void
test_query_too_deep(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GString) text = g_string_new(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;
	for (guint i = 0; i < 40; i++)
		g_string_append(text, "(memoryMB + ");
	g_string_append(text, "1");
	for (guint i = 0; i < 40; i++)
		g_string_append(text, ")");
	g_string_append(text, " > 0");
	names = run_names(inventory, text->str, &error);
	g_assert_null(names);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "nests too deeply"));
}

/* long lists of conditions are fine: and/or chains are written flat */
static void
test_query_long_chain(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GString) text = g_string_new("where ");
	g_autoptr(GError) error = NULL;
	g_autofree char *names = NULL;
	for (guint i = 0; i < 400; i++)
		g_string_append_printf(text, "%sname != 'x%u'", i > 0 ? " and " : "", i);
	g_string_append(text, " and (memoryMB = 1 or memoryMB = 2");
	for (guint i = 3; i < 400; i++)
		g_string_append_printf(text, " or memoryMB = %u", i);
	g_string_append(text, " or memoryMB = 1024)");
	names = run_names(inventory, text->str, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "Ünïcode-vm");
}

static void
test_query_parse_shape(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryQuery) query =
		ferry_query_new("SELECT name, sum(disks[*].capacity) AS total, memoryMB / 1024 "
				"Where powerState = 'poweredOn' ORDER BY total DESC LIMIT 10",
				&error);
	g_auto(GStrv) names = NULL;
	g_assert_no_error(error);
	g_assert_true(ferry_query_has_select(query));
	g_assert_cmpint(ferry_query_get_limit(query), ==, 10);
	names = ferry_query_dup_select_names(query);
	g_assert_cmpuint(g_strv_length(names), ==, 3);
	g_assert_cmpstr(names[0], ==, "name");
	g_assert_cmpstr(names[1], ==, "total");
	g_assert_cmpstr(names[2], ==, "memoryMB / 1024");
	g_assert_nonnull(ferry_query_get_where(query));
	g_clear_object(&query);

	query = ferry_query_new("  ", &error);
	g_assert_no_error(error);
	g_assert_false(ferry_query_has_select(query));
	g_assert_null(ferry_query_get_where(query));
	g_assert_cmpint(ferry_query_get_limit(query), ==, -1);
	g_clear_object(&query);

	/* keywords are case-insensitive and may be field names after a dot */
	query = ferry_query_new("WHERE a.order = 1 AnD NOT b.limit IS NULL", &error);
	g_assert_no_error(error);
}

static void
test_query_select(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryQuery) query = ferry_query_new(
		"select name, memoryMB / 1024 as gb, len(disks) as n, disks[*].capacity as caps, "
		"disks[*].shared as shared, changeTrackingEnabled, memoryMB > 4096 as big, "
		"disks[0].datastore, missing, tags, sum(disks[*].capacity) as total, "
		"any(disks[*].shared) as anyShared where name = 'web-01'",
		&error);
	g_autoptr(GPtrArray) results = NULL;
	g_autoptr(JsonNode) node = NULL;
	g_autofree char *text = NULL;
	g_assert_no_error(error);
	results = ferry_inventory_query(inventory, "p1", "vm", query, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(results->len, ==, 1);
	node = json_node_init_object(json_node_alloc(), g_ptr_array_index(results, 0));
	text = json_to_string(node, FALSE);
	g_assert_cmpstr(text, ==,
			"{\"name\":\"web-01\",\"gb\":8.0,\"n\":2,"
			"\"caps\":[10737418240,53687091200],\"shared\":[false,true],"
			"\"changeTrackingEnabled\":true,\"big\":true,"
			"\"disks[0].datastore\":{\"id\":\"ds-1\"},\"missing\":null,"
			"\"tags\":[\"prod\",\"web\"],\"total\":64424509440,\"anyShared\":true}");
}

static void
test_query_documents(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryQuery) query = ferry_query_new("name = 'web-02'", &error);
	g_autoptr(GPtrArray) results = NULL;
	JsonObject *vm;
	g_assert_no_error(error);

	results = ferry_inventory_query(inventory, "p1", "vm", query,
					FERRY_INVENTORY_QUERY_FLAG_COMPUTED, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(results->len, ==, 1);
	vm = g_ptr_array_index(results, 0);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 4096);
	g_assert_cmpfloat(json_object_get_double_member(vm, "memoryGB"), ==, 4.0);
	g_assert_cmpint(json_object_get_int_member(vm, "diskCapacity"), ==,
			G_GINT64_CONSTANT(21474836480));
	g_assert_cmpint(json_object_get_int_member(vm, "criticalConcerns"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(vm, "concernsHuman"), ==, "0/0/0");
	g_assert_cmpstr(json_object_get_string_member(vm, "powerStateHuman"), ==, "Off");
	g_clear_pointer(&results, g_ptr_array_unref);

	/* without the flag, documents come back as stored */
	results = ferry_inventory_query(inventory, "p1", "vm", query, 0, &error);
	g_assert_no_error(error);
	vm = g_ptr_array_index(results, 0);
	g_assert_false(json_object_has_member(vm, "memoryGB"));
	g_clear_pointer(&results, g_ptr_array_unref);

	/* another provider's objects are not seen; all providers are */
	results = ferry_inventory_query(inventory, "p2", "vm", query, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(results->len, ==, 0);
	g_clear_pointer(&results, g_ptr_array_unref);
	results = ferry_inventory_query(inventory, NULL, "vm", query, 0, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(results->len, ==, 1);
}

static void
test_query_select_vms(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) vms = ferry_inventory_select_vms(
		inventory, "p1", "where memoryMB > 4096 order by memoryMB desc", &error);
	JsonObject *ref;
	g_assert_no_error(error);
	g_assert_cmpuint(vms->len, ==, 2);
	ref = g_ptr_array_index(vms, 0);
	g_assert_cmpstr(json_object_get_string_member(ref, "id"), ==, "vm-3");
	g_assert_cmpstr(json_object_get_string_member(ref, "name"), ==, "db-01");
	g_assert_cmpuint(json_object_get_size(ref), ==, 2);
	g_clear_pointer(&vms, g_ptr_array_unref);

	vms = ferry_inventory_select_vms(inventory, "p1", "where memoryMB >", &error);
	g_assert_null(vms);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

/* queries see updates as soon as they are committed, and the catalogue of
 * array paths grows with the documents */
static void
test_query_after_update(void)
{
	g_autoptr(FerryInventory) inventory = make_inventory();
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node =
		json_from_string("{\"id\":\"vm-9\",\"name\":\"new\",\"groups\":[{\"members\":"
				 "[{\"n\":1},{\"n\":2}]}]}",
				 &error);
	g_autofree char *names = NULL;
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	g_assert_true(ferry_inventory_upsert(inventory, "vm", "vm-9", "new", NULL,
					     json_node_get_object(node), &error));
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);
	names = run_names(inventory, "groups.members.n = 2", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "new");
	g_clear_pointer(&names, g_free);
	names = run_names(inventory, "sum(groups[*].members[*].n) = 3", &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, "new");
}

static void
upsert_json(FerryInventory *inventory, const char *id, const char *json)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonNode) node = json_from_string(json, &error);
	g_assert_no_error(error);
	g_assert_true(ferry_inventory_upsert(inventory, "vm", id, id, NULL,
					     json_node_get_object(node), &error));
	g_assert_no_error(error);
}

static void
assert_names(FerryInventory *inventory, const char *query, const char *expected)
{
	g_autoptr(GError) error = NULL;
	g_autofree char *names = run_names(inventory, query, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(names, ==, expected);
}

/* iterations read the facts of array elements, which follow the documents
 * through updates and removals: new arrays and new fields are filled in
 * for the elements already there, and a removed object's elements go */
static void
test_query_element_facts(void)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryInventory) inventory = ferry_inventory_new(NULL, &error);

	g_assert_no_error(error);
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
	upsert_json(inventory, "a", "{\"disks\":[{\"c\":1},{\"c\":5}],\"tags\":[\"x\",true]}");
	upsert_json(inventory, "b", "{\"disks\":[{\"c\":2},7]}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	assert_names(inventory, "any(disks[*].c > 4)", "a");
	assert_names(inventory, "sum(disks[*].c) = 6", "a");
	/* ORDER BY a select item's alias orders by that item, not by a field */
	assert_names(inventory, "select name, sum(disks[*].c) as total order by total", "b,a");
	assert_names(inventory, "select name, sum(disks[*].c) as total order by total desc",
		     "a,b");
	assert_names(inventory, "len(disks[*]) = 2", "a,b");
	assert_names(inventory, "any(tags[*] = true)", "a");
	/* the scalar 7 is an element without c */
	assert_names(inventory, "all(disks[*].c > 0)", "a");

	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	upsert_json(inventory, "c", "{\"disks\":[{\"c\":9,\"mode\":\"x\"}],\"nics\":[{\"m\":1}]}");
	upsert_json(inventory, "b", "{\"disks\":[]}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	assert_names(inventory, "any(disks[*].mode = 'x')", "c");
	assert_names(inventory, "any(disks[*].mode is null)", "a");
	assert_names(inventory, "any(disks[*].c > 1)", "a,c");
	assert_names(inventory, "len(disks) = 0", "b");
	assert_names(inventory, "any(nics[*].m = 1)", "c");
	/* the same fields in two iterations, and one inside another */
	assert_names(inventory, "any(disks[*].c > 4) and all(disks[*].c < 9)", "a");
	assert_names(inventory, "any(disks[*].c = 9 and any(nics[*].m = 1))", "c");

	/* a new object may take the rowid of a removed one */
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	g_assert_true(ferry_inventory_remove(inventory, "vm", "c", &error));
	upsert_json(inventory, "d", "{\"name\":\"d\"}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	g_assert_no_error(error);
	assert_names(inventory, "any(disks[*].c > 0)", "a");
	assert_names(inventory, "any(nics[*].m = 1)", "");
	assert_names(inventory, "len(disks[*]) = 0", "b,d");
	/* sum() and len() compared with a number (one grouped pass over the
	 * facts): objects without elements have 0, and match when 0 does,
	 * either way round, under not too */
	assert_names(inventory, "sum(disks[*].c) > 5", "a");
	assert_names(inventory, "sum(disks[*].c) < 5", "b,d");
	assert_names(inventory, "5 > sum(disks[*].c)", "b,d");
	assert_names(inventory, "sum(disks[*].c) != 0", "a");
	assert_names(inventory, "not (sum(disks[*].c) <= 0)", "a");
	assert_names(inventory, "sum(disks[*].c) >= -1.5", "a,b,d");
	assert_names(inventory, "len(disks[*]) >= 1", "a");

	/* a field that turns out to be an object is read from the JSON */
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	upsert_json(inventory, "e", "{\"disks\":[{\"c\":{\"v\":3}}]}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	assert_names(inventory, "any(disks[*].c.v = 3)", "e");
	assert_names(inventory, "any(disks[*].c > 4)", "a");
	/* and an array that is an object in some document */
	g_assert_true(ferry_inventory_begin_update(inventory, "p1", FALSE, &error));
	upsert_json(inventory, "f", "{\"disks\":{\"one\":{\"c\":8}}}");
	g_assert_true(ferry_inventory_commit_update(inventory, &error));
	assert_names(inventory, "any(disks[*].c > 4)", "a,f");
	assert_names(inventory, "sum(disks[*].c) > 5", "a,f");
	assert_names(inventory, "sum(disks[*].c) < 5", "b,d,e");
}

static void
remove_database(const char *path)
{
	g_autofree char *wal = g_strconcat(path, "-wal", NULL);
	g_autofree char *shm = g_strconcat(path, "-shm", NULL);
	g_unlink(path);
	g_unlink(wal);
	g_unlink(shm);
}

/* a database of the first schema is upgraded: documents kept, catalogue
 * and facts built, so queries read it the same way */
static void
test_query_upgrade(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-upgrade-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "inventory.db", NULL);
	g_autofree char *names = NULL;
	g_autoptr(GError) error = NULL;
	sqlite3 *db = NULL;

	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(
		sqlite3_exec(
			db,
			"CREATE TABLE inventory_meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
			"CREATE TABLE inventory_providers(provider TEXT PRIMARY KEY, parity "
			"INTEGER "
			"NOT NULL DEFAULT 0, load_serial INTEGER NOT NULL DEFAULT 0, updated TEXT);"
			"CREATE TABLE inventory_objects(provider TEXT NOT NULL, kind TEXT NOT "
			"NULL, "
			"id TEXT NOT NULL, name TEXT, parent TEXT, revision INTEGER NOT NULL "
			"DEFAULT "
			"1, load_serial INTEGER NOT NULL DEFAULT 0, document TEXT NOT NULL CHECK "
			"(json_valid(document)), PRIMARY KEY (provider, kind, id));"
			"CREATE INDEX inventory_objects_name ON inventory_objects(provider, kind, "
			"name);"
			"CREATE INDEX inventory_objects_parent ON inventory_objects(provider, "
			"parent);"
			"INSERT INTO inventory_meta VALUES ('schema_version', '1');"
			"INSERT INTO inventory_providers VALUES ('p1', 1, 1, NULL);"
			"INSERT INTO inventory_objects VALUES ('p1', 'vm', 'vm-1', 'a', NULL, 3, "
			"1, "
			"'{\"id\":\"vm-1\",\"name\":\"a\",\"memoryMB\":512,\"disks\":[{\"c\":1}]}')"
			";"
			"INSERT INTO inventory_objects VALUES ('p1', 'vm', 'vm-2', 'b', NULL, 1, "
			"1, "
			"'{\"id\":\"vm-2\",\"name\":\"b\",\"memoryMB\":4096,\"disks\":[]}');",
			NULL, NULL, NULL),
		==, SQLITE_OK);
	sqlite3_close(db);
	{
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
		g_assert_true(ferry_inventory_has_parity(inventory, "p1"));
		g_assert_cmpint(ferry_inventory_get_revision(inventory, "p1", "vm", "vm-1"), ==, 3);
		names = run_names(inventory, "memoryMB > 1000 or disks.c = 1", &error);
		g_assert_no_error(error);
		g_assert_cmpstr(names, ==, "a,b");
		g_clear_pointer(&names, g_free);
		names = run_names(inventory, "len(disks) = 0", &error);
		g_assert_cmpstr(names, ==, "b");
	}
	{
		/* and opens again as the new schema */
		g_autoptr(FerryInventory) again = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
	}
	remove_database(path);
	g_rmdir(dir);
}

/* a database of the second schema, without facts of array elements, gets
 * them */
static void
test_query_upgrade_facts(void)
{
	g_autofree char *dir = g_dir_make_tmp("ferry-upgrade-XXXXXX", NULL);
	g_autofree char *path = g_build_filename(dir, "inventory.db", NULL);
	g_autoptr(GError) error = NULL;
	sqlite3 *db = NULL;
	sqlite3_stmt *stmt = NULL;

	{
		/* made by this version, then taken back to the second schema */
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
		g_assert_true(ferry_inventory_begin_update(inventory, "p1", TRUE, &error));
		upsert_json(inventory, "a", "{\"memoryMB\":1,\"disks\":[{\"c\":1},{\"c\":5}]}");
		upsert_json(inventory, "b", "{\"memoryMB\":2,\"disks\":[{\"c\":2}]}");
		g_assert_true(ferry_inventory_commit_update(inventory, &error));
	}
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(
		sqlite3_exec(
			db,
			"BEGIN;"
			"DROP TRIGGER inventory_facts_1_gone; DROP TABLE inventory_facts_1;"
			"DROP TRIGGER inventory_facts_2_gone; DROP TABLE inventory_facts_2;"
			"DROP TABLE inventory_fact_tables; DROP TABLE inventory_fact_columns;"
			"CREATE TABLE inventory_fact_tables(kind TEXT PRIMARY KEY, name TEXT NOT "
			"NULL UNIQUE);"
			"CREATE TABLE inventory_fact_columns(kind TEXT NOT NULL, path TEXT NOT "
			"NULL, json_path TEXT NOT NULL, length INTEGER NOT NULL, name TEXT NOT "
			"NULL, PRIMARY KEY (kind, path)) WITHOUT ROWID;"
			"CREATE TABLE inventory_facts_1(obj INTEGER PRIMARY KEY, c1, c2);"
			"INSERT INTO inventory_facts_1 SELECT rowid, json_extract(document, "
			"'$.memoryMB'), json_array_length(document, '$.disks') FROM "
			"inventory_objects;"
			"CREATE TRIGGER inventory_facts_1_gone AFTER DELETE ON inventory_objects "
			"FOR EACH ROW WHEN old.kind = 'vm' BEGIN DELETE FROM inventory_facts_1 "
			"WHERE obj = old.rowid; END;"
			"INSERT INTO inventory_fact_tables VALUES ('vm', 'inventory_facts_1');"
			"INSERT INTO inventory_fact_columns VALUES ('vm', 'memoryMB', "
			"'$.memoryMB', 0, 'c1'), ('vm', 'disks#', '$.disks', 1, 'c2');"
			"UPDATE inventory_meta SET value = '2' WHERE key = 'schema_version';"
			"COMMIT;",
			NULL, NULL, NULL),
		==, SQLITE_OK);
	sqlite3_close(db);
	{
		g_autoptr(FerryInventory) inventory = ferry_inventory_new(path, &error);
		g_assert_no_error(error);
		assert_names(inventory, "memoryMB = 2", "b");
		assert_names(inventory, "any(disks[*].c > 4)", "a");
		assert_names(inventory, "len(disks) = 1", "b");
	}
	g_assert_cmpint(sqlite3_open(path, &db), ==, SQLITE_OK);
	g_assert_cmpint(sqlite3_prepare_v2(db,
					   "SELECT (SELECT value FROM inventory_meta WHERE key = "
					   "'schema_version'), (SELECT count(*) FROM "
					   "inventory_fact_tables WHERE array = 'disks')",
					   -1, &stmt, NULL),
			==, SQLITE_OK);
	g_assert_cmpint(sqlite3_step(stmt), ==, SQLITE_ROW);
	g_assert_cmpint(sqlite3_column_int(stmt, 0), ==, 3);
	g_assert_cmpint(sqlite3_column_int(stmt, 1), ==, 1);
	sqlite3_finalize(stmt);
	sqlite3_close(db);
	remove_database(path);
	g_rmdir(dir);
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/query/parse-shape", test_query_parse_shape);
	g_test_add_func("/query/numbers", test_query_numbers);
	g_test_add_func("/query/errors", test_query_errors);
	g_test_add_func("/query/compile-errors", test_query_compile_errors);
	g_test_add_func("/query/runtime-errors", test_query_runtime_error);
	g_test_add_func("/query/semantics", test_query_semantics);
	g_test_add_func("/query/long-chain", test_query_long_chain);
	g_test_add_func("/query/too-deep", test_query_too_deep);
	g_test_add_func("/query/select", test_query_select);
	g_test_add_func("/query/documents", test_query_documents);
	g_test_add_func("/query/select-vms", test_query_select_vms);
	g_test_add_func("/query/after-update", test_query_after_update);
	g_test_add_func("/query/element-facts", test_query_element_facts);
	g_test_add_func("/query/upgrade", test_query_upgrade);
	g_test_add_func("/query/upgrade-facts", test_query_upgrade_facts);
	return g_test_run();
}
