/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Test helper: loads the KubeVirt and CDI schemas from ../shared/testdata
 * and asserts that manifests are valid against them.
 */

#include "ferry-test-schemas.h"
#include "ferry-test-yaml.h"

/* a file under FERRY_TESTDATA_DIR, or NULL when that is not set */
char *
ferry_test_testdata_path(const char *first, ...)
{
	const char *root = g_getenv("FERRY_TESTDATA_DIR");
	g_autofree char *relative = NULL;
	va_list args;
	if (root == NULL)
		return NULL;
	va_start(args, first);
	relative = g_build_filename_valist(first, &args);
	va_end(args);
	return g_build_filename(root, relative, NULL);
}

/* FALSE when ../shared/testdata is absent; a broken schema file fails the test */
gboolean
ferry_test_schemas_load(FerryTestSchemas *schemas)
{
	g_autofree char *kubevirt =
	    ferry_test_testdata_path("kubevirt-openapi", "swagger.json", NULL);
	g_autofree char *cdi = ferry_test_testdata_path("cdi-openapi", "swagger.json", NULL);
	g_autofree char *crd =
	    ferry_test_testdata_path("cdi-openapi", "crds", "datavolume.yaml", NULL);
	g_autoptr(JsonNode) crd_node = NULL;
	g_autoptr(GError) error = NULL;

	if (kubevirt == NULL || !g_file_test(kubevirt, G_FILE_TEST_EXISTS))
		return FALSE;
	schemas->kubevirt = ferry_openapi_validator_new_for_swagger(kubevirt, &error);
	g_assert_no_error(error);
	schemas->cdi = ferry_openapi_validator_new_for_swagger(cdi, &error);
	g_assert_no_error(error);
	crd_node = ferry_test_yaml_load_file(crd, &error);
	g_assert_no_error(error);
	schemas->cdi_crd = ferry_openapi_validator_new_for_crd(crd_node, "v1beta1", &error);
	g_assert_no_error(error);
	return TRUE;
}

void
ferry_test_schemas_clear(FerryTestSchemas *schemas)
{
	g_clear_pointer(&schemas->kubevirt, ferry_openapi_validator_free);
	g_clear_pointer(&schemas->cdi, ferry_openapi_validator_free);
	g_clear_pointer(&schemas->cdi_crd, ferry_openapi_validator_free);
}

void
ferry_test_schemas_assert_valid(FerryOpenapiValidator *validator,
				const char *definition,
				JsonNode *manifest)
{
	g_autoptr(GPtrArray) problems =
	    ferry_openapi_validator_validate(validator, definition, manifest);
	if (problems->len > 0) {
		g_autofree char *text = ferry_openapi_validator_describe(problems);
		g_autofree char *json = json_to_string(manifest, TRUE);
		g_error("%s is not valid:%s\n%s", definition != NULL ? definition : "the CRD", text,
			json);
	}
}

void
ferry_test_schemas_assert_vm(FerryTestSchemas *schemas, JsonNode *vm)
{
	ferry_test_schemas_assert_valid(schemas->kubevirt, "v1.VirtualMachine", vm);
}

/* against both CDI's swagger.json and the CRD schema the API server enforces */
void
ferry_test_schemas_assert_data_volume(FerryTestSchemas *schemas, JsonNode *data_volume)
{
	ferry_test_schemas_assert_valid(schemas->cdi, "v1beta1.DataVolume", data_volume);
	ferry_test_schemas_assert_valid(schemas->cdi_crd, NULL, data_volume);
}
