/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include <string.h>

#include "ferry.h"

typedef struct {
	const char *in;
	const char *out; /* NULL: "vm-" and 4 random characters */
} NameCase;

/* ChangeVmName: the rules and examples of Forklift, and hard cases */
static const NameCase change_cases[] = {
	{"My_VM.Web+1", "my-vm.web-1"},
	{"Web Server 01", "web-server-01"},
	{"--web--", "web"},
	{"..db..", "db"},
	{"a__b**c//d\\\\e", "a-b-c-d-e"},
	{"UPPER", "upper"},
	{"dots.in.name", "dots.in.name"},
	{"a..b", "a.b"},
	{"-.-x.-.y-.-", "x.y"},
	{"vm (copy)", "vm-copy"},
	{"srv#1@dc", "srv1dc"},
	{"t\xc3\xa9st-\xc3\x9cml\xc3\xa4ut", "tst-mlut"},
	{"\xe6\x97\xa5\xe6\x9c\xac", NULL},
	{"!!!", NULL},
	{"", NULL},
	{"._-", NULL},
	{"a-_-b", "a-b"},
	{"x.____.y", "x.y"},
};

static void
test_change_vm_name(void)
{
	for (guint i = 0; i < G_N_ELEMENTS(change_cases); i++) {
		g_autofree char *out = ferry_naming_change_vm_name(change_cases[i].in);
		if (change_cases[i].out == NULL) {
			g_assert_true(g_str_has_prefix(out, "vm-"));
			g_assert_cmpuint(strlen(out), ==, 7);
		} else {
			g_assert_cmpstr(out, ==, change_cases[i].out);
		}
		g_assert_true(ferry_naming_is_dns1123_subdomain(out));
	}
}

static void
test_change_vm_name_long(void)
{
	g_autoptr(GString) name = g_string_new(NULL);
	g_autofree char *out = NULL;
	g_autofree char *parts_out = NULL;
	g_autoptr(GString) parts = g_string_new(NULL);

	for (guint i = 0; i < 300; i++)
		g_string_append_c(name, "Ab_"[i % 3]);
	out = ferry_naming_change_vm_name(name->str);
	g_assert_cmpuint(strlen(out), <=, 63);
	g_assert_true(ferry_naming_is_dns1123_label(out));
	g_assert_true(g_str_has_prefix(out, "ab-ab-"));

	/* a part cut at 63 loses its trailing '-'; the join is cut again */
	for (guint i = 0; i < 62; i++)
		g_string_append_c(parts, 'a');
	g_string_append(parts, "_b.ccc");
	parts_out = ferry_naming_change_vm_name(parts->str);
	g_assert_cmpuint(strlen(parts_out), ==, 62);
	g_assert_true(ferry_naming_is_dns1123_subdomain(parts_out));
}

static void
test_dns1123(void)
{
	g_autoptr(GString) long_label = g_string_new(NULL);
	for (guint i = 0; i < 64; i++)
		g_string_append_c(long_label, 'a');
	g_assert_true(ferry_naming_is_dns1123_label("web-01"));
	g_assert_true(ferry_naming_is_dns1123_label("0abc"));
	g_assert_false(ferry_naming_is_dns1123_label("Web"));
	g_assert_false(ferry_naming_is_dns1123_label("-web"));
	g_assert_false(ferry_naming_is_dns1123_label("web-"));
	g_assert_false(ferry_naming_is_dns1123_label("a.b"));
	g_assert_false(ferry_naming_is_dns1123_label(""));
	g_assert_false(ferry_naming_is_dns1123_label(long_label->str));
	g_string_truncate(long_label, 63);
	g_assert_true(ferry_naming_is_dns1123_label(long_label->str));
	g_assert_true(ferry_naming_is_dns1123_subdomain("a.b-c.d"));
	g_assert_false(ferry_naming_is_dns1123_subdomain("a..b"));
	g_assert_false(ferry_naming_is_dns1123_subdomain("a_b"));
	g_assert_false(ferry_naming_is_dns1123_subdomain(".a"));
}

static void
test_resolve_target_name(void)
{
	const char *const taken[] = {"web", "db-server", "taken-name", NULL};
	g_autoptr(GError) error = NULL;
	g_autofree char *target = NULL;
	g_autofree char *renamed = NULL;
	g_autofree char *kept = NULL;
	g_autofree char *unique = NULL;
	g_autofree char *from_id = NULL;
	g_autofree char *fallback = NULL;
	g_autofree char *previous = NULL;
	char *bad;

	target = ferry_naming_resolve_target_vm_name("my-target", NULL, "Web", "vm-1", taken,
						     &error);
	g_assert_no_error(error);
	g_assert_cmpstr(target, ==, "my-target");
	bad = ferry_naming_resolve_target_vm_name("My_Target", NULL, "Web", "vm-1", taken, &error);
	g_assert_null(bad);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "My_Target"));
	g_clear_error(&error);
	bad = ferry_naming_resolve_target_vm_name("taken-name", NULL, "x", NULL, taken, &error);
	g_assert_null(bad);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_EXISTS);
	g_clear_error(&error);

	previous = ferry_naming_resolve_target_vm_name(NULL, "given-before", "Web", NULL, taken,
						       &error);
	g_assert_cmpstr(previous, ==, "given-before");
	kept = ferry_naming_resolve_target_vm_name(NULL, NULL, "app-1", NULL, taken, &error);
	g_assert_cmpstr(kept, ==, "app-1");
	renamed = ferry_naming_resolve_target_vm_name(NULL, NULL, "App_1", NULL, taken, &error);
	g_assert_cmpstr(renamed, ==, "app-1");
	/* a generated name that is taken gets a suffix */
	unique = ferry_naming_resolve_target_vm_name(NULL, NULL, "DB Server", NULL, taken, &error);
	g_assert_true(g_str_has_prefix(unique, "db-server-"));
	g_assert_cmpuint(strlen(unique), ==, strlen("db-server-") + 4);
	from_id = ferry_naming_resolve_target_vm_name(NULL, NULL, "***", "vm-42", taken, &error);
	g_assert_cmpstr(from_id, ==, "vm-42");
	fallback = ferry_naming_resolve_target_vm_name(NULL, NULL, "%%", "", taken, &error);
	g_assert_cmpstr(fallback, ==, "vm-0000");
}

static void
test_make_unique_long(void)
{
	g_autoptr(GString) name = g_string_new(NULL);
	const char *taken[2] = {NULL, NULL};
	g_autofree char *unique = NULL;
	for (guint i = 0; i < 63; i++)
		g_string_append_c(name, 'x');
	taken[0] = name->str;
	unique = ferry_naming_make_unique(name->str, taken);
	g_assert_cmpuint(strlen(unique), ==, 63);
	g_assert_true(g_str_has_prefix(
		unique, "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx-"));
	g_assert_true(ferry_naming_is_dns1123_label(unique));
}

typedef struct {
	const char *template_text;
	const char *expected; /* NULL: an error matching error_glob */
	const char *error_glob;
} TemplateCase;

static const TemplateCase template_cases[] = {
	/* the default and the documented variables */
	{NULL, "migrate-web-tie-srv01-disk-2", NULL},
	{"{{.VmName}}-{{.DiskIndex}}", "srv01-2", NULL},
	{"{{.PlanName | trunc 4}}-{{.TargetVmName}}", "migr-srv01", NULL},
	{"{{if .Shared}}shared{{else}}disk{{end}}-{{.DiskIndex}}", "disk-2", NULL},
	{"{{if eq .DiskIndex .RootDiskIndex}}root{{else}}data{{end}}", "data", NULL},
	{"{{if eq .DiskIndex 0}}a{{else if eq .DiskIndex 2}}c{{else}}b{{end}}", "c", NULL},
	{"{{lower .WinDriveLetter}}-drive", "e-drive", NULL},
	{"{{printf \"%s-%03d\" .VmName .DiskIndex}}", "srv01-002", NULL},
	{"{{.VmName | upper | lower}}", "srv01", NULL},
	{"{{ .VmName -}} - {{- .DiskIndex }}", "srv01-2", NULL},
	{"{{/* a comment */}}{{.VmName}}", "srv01", NULL},
	{"{{replace \"_\" \"-\" .FileName | trimSuffix \".vmdk\" | lower}}", "disk-a", NULL},
	{"{{mustRegexReplaceAll \"[^a-z0-9]+\" (lower .FileName) \"-\"}}", "disk-a-vmdk", NULL},
	{"{{mustRegexReplaceAll \"(d)(isk)\" .VmName \"${2}$1\"}}", "srv01", NULL},
	{"{{mustRegexReplaceAll \"(d)(isk)\" \"disk\" \"${2}$1\"}}", "iskd", NULL},
	/* found by fuzz-model-template: a group number past int made GRegex fetch
	 * a negative group; as in Go, a number of 1e8 or more, or a name starting
	 * with a digit, names no group and expands to nothing */
	{"{{mustRegexReplaceAll \"(d)(isk)\" \"disk\" \"${2}-$44444444444444444441-$1a-${0}-${007}z\"}}",
	 "isk---disk-z", NULL},
	{"{{trimPrefix \"srv\" .VmName}}", "01", NULL},
	{"{{trimAll \"0s\" .VmName}}", "rv01", NULL},
	{"{{trim \"  x  \"}}", "x", NULL},
	{"{{nospace \" a b \"}}", "ab", NULL},
	{"{{repeat 3 \"ab\"}}", "ababab", NULL},
	{"{{substr 0 3 .VmName}}", "srv", NULL},
	{"{{substr 2 99 .VmName}}", "v01", NULL},
	{"{{trunc -2 .VmName}}", "01", NULL},
	{"{{initials \"my big vm\"}}", "mbv", NULL},
	{"{{title \"web server\" | lower | nospace}}", "webserver", NULL},
	{"{{untitle \"Web\"}}", "web", NULL},
	{"{{if contains \"rv\" .VmName}}yes{{end}}", "yes", NULL},
	{"{{if hasPrefix \"srv\" .VmName}}p{{end}}{{if hasSuffix \"01\" .VmName}}s{{end}}", "ps",
	 NULL},
	{"d{{add .DiskIndex 1}}-{{add1 .DiskIndex}}-{{sub 10 .DiskIndex}}", "d3-3-8", NULL},
	{"d{{mul .DiskIndex 3}}-{{div 7 .DiskIndex}}-{{mod 7 .DiskIndex}}", "d6-3-1", NULL},
	/* int arithmetic wraps around as in Go (C's overflow is undefined, and
	 * G_MININT64 / -1 traps); found by checking fuzz-model-template's area */
	{"x{{add 9223372036854775807 1}}", "x-9223372036854775808", NULL},
	{"x{{add1 9223372036854775807}}-{{sub -9223372036854775807 2}}",
	 "x-9223372036854775808-9223372036854775807", NULL},
	{"x{{mul 4611686018427387904 2}}", "x-9223372036854775808", NULL},
	{"x{{div (sub -9223372036854775807 1) -1}}-{{mod (sub -9223372036854775807 1) -1}}",
	 "x-9223372036854775808-0", NULL},
	{"d{{max 1 .DiskIndex 5}}-{{min 4 .DiskIndex}}", "d5-2", NULL},
	/* a float out of int64's range converts as Go's int64(x) does on amd64
	 * (math.MinInt64), not by undefined behaviour (a fuzzing finding) */
	{"d{{add 144444444444444444444444444444 (mul 2 3)}}", "d-9223372036854775802", NULL},
	{"d{{floor 2.7}}-{{ceil 2.1}}-{{round 2.5 0}}", "d2-3-3", NULL},
	{"{{with .VmName}}{{.}}{{end}}", "srv01", NULL},
	{"{{$.VmName}}-{{len .VmName}}", "srv01-5", NULL},
	{"{{if and .Shared .VmName}}x{{else}}{{or .SourcePVCName \"y\"}}{{end}}", "y", NULL},
	{"{{if not .Shared}}ns{{end}}", "ns", NULL},
	{"{{if lt .DiskIndex 3}}lt{{end}}{{if ge .DiskIndex 2}}ge{{end}}", "ltge", NULL},
	{"{{print .VmName 1 2}}", NULL, "*not a valid name*"},
	{"v{{print 1 2}}", NULL, "*'v1 2'*"},
	/* errors */
	{"{{.NoSuchField}}", NULL, "*NoSuchField*"},
	{"{{nosuchfunc .VmName}}", NULL, "*function \"nosuchfunc\" not defined*"},
	{"{{.VmName", NULL, "*unclosed action*"},
	{"{{if .Shared}}x", NULL, "*no {{end}}*"},
	{"{{end}}", NULL, "*unexpected {{end}}*"},
	{"{{lower .DiskIndex}}", NULL, "*expected string; got int*"},
	{"{{eq .DiskIndex \"2\"}}", NULL, "*incompatible types*"},
	{"{{div 1 0}}", NULL, "*divide by zero*"},
	{"{{range .VmName}}{{end}}", NULL, "*not supported*"},
	{"{{$x := 1}}", NULL, "*variables*"},
	{"UPPER", NULL, "*not a valid name*"},
	{"", "migrate-web-tie-srv01-disk-2", NULL},
	{"{{.VmName}}_{{.DiskIndex}}", NULL, "*'srv01_2'*"},
	{"{{mustRegexReplaceAll \"(\" .VmName \"x\"}}", NULL, "*mustRegexReplaceAll*"},
};

static void
test_templates(void)
{
	g_autoptr(JsonObject) data = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_PVC);
	json_object_set_string_member(data, "VmName", "srv01");
	json_object_set_string_member(data, "TargetVmName", "srv01");
	json_object_set_string_member(data, "PlanName", "migrate-web-tier-production");
	json_object_set_int_member(data, "DiskIndex", 2);
	json_object_set_string_member(data, "WinDriveLetter", "E");
	json_object_set_string_member(data, "FileName", "Disk_A.vmdk");

	for (guint i = 0; i < G_N_ELEMENTS(template_cases); i++) {
		const TemplateCase *c = &template_cases[i];
		g_autoptr(GError) error = NULL;
		g_autofree char *name = ferry_naming_render(FERRY_NAME_TEMPLATE_PVC,
							    c->template_text, data, FALSE, &error);
		if (c->expected != NULL) {
			if (error != NULL)
				g_error("case %u (%s): %s", i, c->template_text, error->message);
			g_assert_cmpstr(name, ==, c->expected);
		} else {
			g_assert_null(name);
			g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
			if (!g_pattern_match_simple(c->error_glob, error->message))
				g_error("case %u (%s): '%s' does not match '%s'", i,
					c->template_text, error->message, c->error_glob);
			g_assert_true(g_str_has_prefix(error->message, "pvcNameTemplate: "));
		}
	}
}

static void
test_template_defaults(void)
{
	g_autoptr(JsonObject) pvc = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_PVC);
	g_autoptr(JsonObject) volume = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_VOLUME);
	g_autoptr(JsonObject) network = ferry_naming_new_template_data(FERRY_NAME_TEMPLATE_NETWORK);
	g_autofree char *ocp = NULL;
	g_autofree char *vol = NULL;
	g_autofree char *net = NULL;
	g_autofree char *custom = NULL;
	g_autoptr(GError) error = NULL;

	json_object_set_string_member(pvc, "SourcePVCName", "rootdisk-abc");
	ocp = ferry_naming_render(FERRY_NAME_TEMPLATE_PVC, NULL, pvc, TRUE, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ocp, ==, "rootdisk-abc");
	json_object_set_int_member(volume, "VolumeIndex", 3);
	vol = ferry_naming_render(FERRY_NAME_TEMPLATE_VOLUME, NULL, volume, FALSE, &error);
	g_assert_cmpstr(vol, ==, "vol-3");
	json_object_set_int_member(network, "NetworkIndex", 1);
	json_object_set_string_member(network, "NetworkType", "Pod");
	net = ferry_naming_render(FERRY_NAME_TEMPLATE_NETWORK, NULL, network, FALSE, &error);
	g_assert_cmpstr(net, ==, "net-1");
	custom = ferry_naming_render(FERRY_NAME_TEMPLATE_NETWORK,
				     "{{lower .NetworkType}}-{{.NetworkIndex}}", network, FALSE,
				     &error);
	g_assert_cmpstr(custom, ==, "pod-1");
	g_assert_cmpstr(ferry_naming_get_default_template(FERRY_NAME_TEMPLATE_PVC, FALSE), ==,
			"{{trunc 15 .PlanName}}-{{trunc 15 .TargetVmName}}-disk-{{.DiskIndex}}");

	/* validation with test data, as at apply time */
	g_assert_true(ferry_naming_validate_template(FERRY_NAME_TEMPLATE_PVC,
						     "{{.VmName}}-disk-{{.DiskIndex}}", &error));
	g_assert_false(ferry_naming_validate_template(FERRY_NAME_TEMPLATE_PVC,
						      "{{.VmName}}_{{.DiskIndex}}", &error));
	g_assert_true(g_str_has_prefix(error->message, "pvcNameTemplate is invalid: "));
	g_clear_error(&error);
	g_assert_false(
		ferry_naming_validate_template(FERRY_NAME_TEMPLATE_VOLUME, "{{.VmName}}", &error));
	g_assert_nonnull(strstr(error->message, "VmName"));
	g_clear_error(&error);
	g_assert_true(ferry_naming_validate_template(FERRY_NAME_TEMPLATE_NETWORK,
						     "{{.NetworkName}}-{{.NetworkIndex}}", &error));
}

int
main(int argc, char **argv)
{
	g_test_init(&argc, &argv, NULL);
	g_test_add_func("/naming/change-vm-name", test_change_vm_name);
	g_test_add_func("/naming/change-vm-name-long", test_change_vm_name_long);
	g_test_add_func("/naming/dns1123", test_dns1123);
	g_test_add_func("/naming/resolve-target-name", test_resolve_target_name);
	g_test_add_func("/naming/make-unique-long", test_make_unique_long);
	g_test_add_func("/naming/templates", test_templates);
	g_test_add_func("/naming/template-defaults", test_template_defaults);
	return g_test_run();
}
