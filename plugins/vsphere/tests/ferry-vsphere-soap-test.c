/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The SOAP layer and the inventory mapping on recorded replies: traffic of a
 * real vCenter Server 8.0.3 (pyvmomi's vcrpy cassettes, read from
 * ../shared/testdata), govmomi's fixtures, and replies captured from the
 * simulator (tests/corpus, also the fuzzing seeds).
 */

#include "config.h"

#include <libxml/parser.h>
#include <string.h>
#include <yaml.h>

#include "ferry-vsphere-inventory.h"

/* --- recorded data --- */

static char *
corpus_path(const char *name)
{
	return g_test_build_filename(G_TEST_DIST, "corpus", name, NULL);
}

static FerryVsphereResponse *
parse_corpus(const char *name)
{
	g_autofree char *path = corpus_path(name);
	g_autofree char *data = NULL;
	g_autoptr(GError) error = NULL;
	gsize size = 0;
	FerryVsphereResponse *response;

	g_assert_true(g_file_get_contents(path, &data, &size, &error));
	response = ferry_vsphere_response_parse(data, size, &error);
	g_assert_no_error(error);
	return response;
}

/* ../shared/testdata/vsphere/<path>, or NULL and a skipped test */
static char *
shared_testdata(const char *path)
{
	const char *root = g_getenv("FERRY_SHARED_TESTDATA");
	g_autofree char *full = NULL;

	if (root == NULL)
		root = "../shared/testdata";
	full = g_build_filename(root, "vsphere", path, NULL);
	if (!g_file_test(full, G_FILE_TEST_EXISTS)) {
		g_autofree char *why = g_strdup_printf("%s is missing (../shared/testdata)", full);
		if (g_strcmp0(g_getenv("CI"), "true") == 0)
			g_error("%s", why);
		g_test_skip(why);
		return NULL;
	}
	return g_steal_pointer(&full);
}

typedef struct {
	char *request;
	char *response;
} Interaction;

static void
interaction_free(Interaction *self)
{
	g_free(self->request);
	g_free(self->response);
	g_free(self);
}

static yaml_node_t *
yaml_lookup(yaml_document_t *document, yaml_node_t *map, const char *key)
{
	if (map == NULL || map->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *pair = map->data.mapping.pairs.start;
	     pair < map->data.mapping.pairs.top; pair++) {
		yaml_node_t *k = yaml_document_get_node(document, pair->key);
		if (k != NULL && k->type == YAML_SCALAR_NODE &&
		    strcmp((const char *)k->data.scalar.value, key) == 0)
			return yaml_document_get_node(document, pair->value);
	}
	return NULL;
}

static char *
yaml_text(yaml_node_t *node)
{
	if (node == NULL || node->type != YAML_SCALAR_NODE)
		return g_strdup("");
	return g_strndup((const char *)node->data.scalar.value, node->data.scalar.length);
}

/* the request and response bodies of a vcrpy cassette */
static GPtrArray *
load_cassette(const char *path)
{
	g_autofree char *data = NULL;
	gsize size = 0;
	yaml_parser_t parser;
	yaml_document_t document;
	yaml_node_t *interactions;
	GPtrArray *result = g_ptr_array_new_with_free_func((GDestroyNotify)interaction_free);

	g_assert_true(g_file_get_contents(path, &data, &size, NULL));
	g_assert_true(yaml_parser_initialize(&parser));
	yaml_parser_set_input_string(&parser, (const unsigned char *)data, size);
	g_assert_true(yaml_parser_load(&parser, &document));
	interactions =
	    yaml_lookup(&document, yaml_document_get_root_node(&document), "interactions");
	g_assert_nonnull(interactions);
	for (yaml_node_item_t *item = interactions->data.sequence.items.start;
	     item < interactions->data.sequence.items.top; item++) {
		yaml_node_t *entry = yaml_document_get_node(&document, *item);
		yaml_node_t *request = yaml_lookup(&document, entry, "request");
		yaml_node_t *response = yaml_lookup(&document, entry, "response");
		Interaction *interaction = g_new0(Interaction, 1);
		interaction->request = yaml_text(yaml_lookup(&document, request, "body"));
		interaction->response = yaml_text(
		    yaml_lookup(&document, yaml_lookup(&document, response, "body"), "string"));
		g_ptr_array_add(result, interaction);
	}
	yaml_document_delete(&document);
	yaml_parser_delete(&parser);
	return result;
}

/* the response to the first request whose body contains @needle */
static const char *
find_response(GPtrArray *interactions, const char *needle)
{
	for (guint i = 0; i < interactions->len; i++) {
		Interaction *interaction = g_ptr_array_index(interactions, i);
		if (strstr(interaction->request, needle) != NULL)
			return interaction->response;
	}
	return NULL;
}

/* --- envelopes and faults --- */

static void
test_request_builder(void)
{
	g_autoptr(FerryVsphereRequest) request =
	    ferry_vsphere_request_new("Login", "SessionManager", "SessionManager");
	g_autofree char *first = NULL;
	g_autofree char *second = NULL;
	g_autoptr(FerryVsphereResponse) parsed = NULL;
	g_autoptr(GError) error = NULL;
	xmlNode *login;

	ferry_vsphere_request_add_text(request, "userName", "admin@vsphere.local");
	ferry_vsphere_request_add_text(request, "password", "p<a>&ss\"word");
	first = ferry_vsphere_request_finish(request);
	second = ferry_vsphere_request_finish(request);
	g_assert_cmpstr(first, ==, second);
	g_assert_nonnull(strstr(first, "<password>p&lt;a&gt;&amp;ss&quot;word</password>"));
	g_assert_nonnull(strstr(first, "<_this type=\"SessionManager\">SessionManager</_this>"));

	/* and it is well-formed SOAP that reads back */
	parsed = ferry_vsphere_response_parse(first, strlen(first), &error);
	g_assert_no_error(error);
	login = parsed->body;
	g_assert_cmpstr((const char *)login->name, ==, "Login");
	g_assert_null(parsed->fault);
	{
		g_autofree char *password = ferry_vsphere_xml_dup_path_text(login, "password");
		g_assert_cmpstr(password, ==, "p<a>&ss\"word");
	}
}

static void
test_not_soap(void)
{
	g_autoptr(GError) error = NULL;
	const char *html = "<html><body>Service Unavailable</body></html>";

	g_assert_null(ferry_vsphere_response_parse("not xml", 7, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_clear_error(&error);
	g_assert_null(ferry_vsphere_response_parse(html, strlen(html), &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "SOAP"));
}

typedef struct {
	const char *file;
	const char *type;
	FerryError code;
	const char *words;
} FaultCase;

static void
test_fault(gconstpointer data)
{
	const FaultCase *fault_case = data;
	g_autoptr(FerryVsphereResponse) response = parse_corpus(fault_case->file);
	g_autoptr(GError) error = NULL;

	g_assert_nonnull(response->fault);
	g_assert_cmpstr(response->fault->type, ==, fault_case->type);
	ferry_vsphere_fault_set_error(response->fault, "vsphere: Provider/ns/p", &error);
	g_assert_error(error, FERRY_ERROR, (gint)fault_case->code);
	g_assert_true(g_str_has_prefix(error->message, "vsphere: Provider/ns/p: "));
	g_assert_nonnull(strstr(error->message, fault_case->words));
}

static void
test_fault_codes(void)
{
	static const struct {
		const char *type;
		FerryError code;
	} cases[] = {
	    {"InvalidLogin", FERRY_ERROR_AUTH_FAILED},
	    {"NotAuthenticated", FERRY_ERROR_AUTH_FAILED},
	    {"NoPermission", FERRY_ERROR_PERMISSION_DENIED},
	    {"InvalidPowerState", FERRY_ERROR_INVALID_STATE},
	    {"ManagedObjectNotFound", FERRY_ERROR_NOT_FOUND},
	    {"TaskInProgress", FERRY_ERROR_BUSY},
	    {"RequestCanceled", FERRY_ERROR_CANCELLED},
	    {"MethodNotFound", FERRY_ERROR_NOT_SUPPORTED},
	    {"NoDiskSpace", FERRY_ERROR_NO_SPACE},
	    {"HostNotConnected", FERRY_ERROR_CONNECTION_FAILED},
	    {"SomethingNew", FERRY_ERROR_FAILED},
	};
	for (guint i = 0; i < G_N_ELEMENTS(cases); i++) {
		FerryVsphereFault fault = {(char *)cases[i].type, (char *)"text"};
		g_autoptr(GError) error = NULL;
		g_assert_cmpint(ferry_vsphere_fault_get_code(&fault), ==, cases[i].code);
		ferry_vsphere_fault_set_error(&fault, NULL, &error);
		g_assert_error(error, FERRY_ERROR, (gint)cases[i].code);
	}
}

static void
test_task_error(void)
{
	g_autoptr(FerryVsphereResponse) response =
	    parse_corpus("task-error-invalid-power-state.xml");
	g_autoptr(GPtrArray) objects = NULL;
	g_autoptr(FerryVsphereFault) fault = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *state = NULL;
	FerryVsphereObject *task;
	xmlNode *info_error;

	objects = ferry_vsphere_parse_retrieve_result(ferry_vsphere_response_get_returnval(response),
						      NULL);
	g_assert_cmpuint(objects->len, ==, 1);
	task = g_ptr_array_index(objects, 0);
	g_assert_cmpstr(task->type, ==, "Task");
	state = ferry_vsphere_object_dup_string(task, "info.state");
	g_assert_cmpstr(state, ==, "error");
	info_error = ferry_vsphere_object_get(task, "info.error");
	fault = ferry_vsphere_fault_new_from_node(ferry_vsphere_xml_child(info_error, "fault"), NULL);
	g_assert_cmpstr(fault->type, ==, "InvalidPowerState");
	g_assert_cmpstr(fault->existing_state, ==, "poweredOff");
	ferry_vsphere_fault_set_error(fault, "VM vm-57", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_assert_cmpstr(error->message, ==,
			"VM vm-57: the VM is powered off (the operation needs it powered off)");
}

static void
test_vcenter8_session(void)
{
	g_autofree char *path = shared_testdata("pyvmomi/tests/fixtures/basic_connection.yaml");
	g_autofree char *bad = NULL;
	g_autoptr(GPtrArray) interactions = NULL;
	g_autoptr(GPtrArray) bad_interactions = NULL;
	g_autoptr(FerryVsphereResponse) content = NULL;
	g_autoptr(FerryVsphereResponse) login = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *api = NULL;
	g_autofree char *root = NULL;
	g_autofree char *collector = NULL;
	g_autofree char *api_type = NULL;
	const char *body;

	if (path == NULL)
		return;
	interactions = load_cassette(path);
	body = find_response(interactions, "RetrieveServiceContent");
	g_assert_nonnull(body);
	content = ferry_vsphere_response_parse(body, strlen(body), &error);
	g_assert_no_error(error);
	api = ferry_vsphere_xml_dup_path_text(ferry_vsphere_response_get_returnval(content),
					      "about.apiVersion");
	api_type = ferry_vsphere_xml_dup_path_text(ferry_vsphere_response_get_returnval(content),
						   "about.apiType");
	root = ferry_vsphere_xml_dup_path_text(ferry_vsphere_response_get_returnval(content),
					       "rootFolder");
	collector = ferry_vsphere_xml_dup_path_text(ferry_vsphere_response_get_returnval(content),
						    "propertyCollector");
	g_assert_cmpstr(api, ==, "8.0.2.0");
	g_assert_cmpstr(api_type, ==, "VirtualCenter");
	g_assert_cmpstr(root, ==, "group-d1");
	g_assert_cmpstr(collector, ==, "propertyCollector");

	body = find_response(interactions, "<Login");
	login = ferry_vsphere_response_parse(body, strlen(body), &error);
	g_assert_no_error(error);
	g_assert_null(login->fault);

	/* the same server refusing a password (the old !!python/unicode form) */
	bad = shared_testdata("pyvmomi/tests/fixtures/basic_connection_bad_password.yaml");
	bad_interactions = load_cassette(bad);
	body = find_response(bad_interactions, "<Login");
	g_clear_pointer(&login, ferry_vsphere_response_free);
	login = ferry_vsphere_response_parse(body, strlen(body), &error);
	g_assert_no_error(error);
	g_assert_nonnull(login->fault);
	g_assert_cmpstr(login->fault->type, ==, "InvalidLogin");
	ferry_vsphere_fault_set_error(login->fault, "log in as 'my_user'", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_null(strstr(error->message, "bad_password"));
}

static void
test_not_authenticated_properties(void)
{
	g_autofree char *path =
	    shared_testdata("govmomi/vim25/mo/fixtures/not_authenticated_fault.xml");
	g_autofree char *fixture = NULL;
	g_autofree char *envelope = NULL;
	g_autoptr(FerryVsphereResponse) response = NULL;
	g_autoptr(GError) error = NULL;
	const char *start;

	if (path == NULL)
		return;
	g_assert_true(g_file_get_contents(path, &fixture, NULL, NULL));
	/* the fixture is the body alone: put it in an envelope */
	start = strstr(fixture, "<RetrievePropertiesResponse");
	g_assert_nonnull(start);
	envelope = g_strdup_printf("<soapenv:Envelope "
				   "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
				   "<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>",
				   start);
	response = ferry_vsphere_response_parse(envelope, strlen(envelope), &error);
	g_assert_no_error(error);
	/* a session that expired shows as properties missing, not as a fault */
	g_assert_null(response->fault);
	g_assert_true(ferry_vsphere_response_is_unauthenticated(response));
}

static void
test_retrieve_pages(void)
{
	g_autoptr(FerryVsphereResponse) response = parse_corpus("retrieve-vms.xml");
	g_autoptr(GPtrArray) objects = NULL;
	g_autofree char *token = NULL;

	g_assert_false(ferry_vsphere_response_is_unauthenticated(response));
	objects = ferry_vsphere_parse_retrieve_result(ferry_vsphere_response_get_returnval(response),
						      &token);
	/* a page of two VMs of four, and a token for the rest */
	g_assert_cmpuint(objects->len, ==, 2);
	g_assert_cmpstr(token, ==, "1");
	for (guint i = 0; i < objects->len; i++) {
		FerryVsphereObject *vm = g_ptr_array_index(objects, i);
		g_assert_cmpstr(vm->type, ==, "VirtualMachine");
		g_assert_nonnull(ferry_vsphere_object_get(vm, "config.hardware.device"));
		g_assert_cmpuint(vm->missing->len, ==, 0);
	}
}

/* --- the inventory documents --- */

static JsonObject *
map_one(FerryVsphereIndex *index, FerryVsphereObject *object, const char *expect_kind)
{
	g_autofree char *kind = NULL;
	g_autofree char *name = NULL;
	g_autofree char *parent = NULL;
	JsonObject *document = NULL;

	g_assert_true(ferry_vsphere_inventory_map(index, object, &kind, &name, &parent, &document));
	g_assert_cmpstr(kind, ==, expect_kind);
	g_assert_cmpstr(json_object_get_string_member(document, "name"), ==, name);
	g_assert_cmpstr(json_object_get_string_member(document, "id"), ==, object->id);
	return document;
}

static void
test_map_simulator_objects(void)
{
	g_autoptr(FerryVsphereResponse) vms = parse_corpus("retrieve-vms.xml");
	g_autoptr(FerryVsphereResponse) infrastructure = parse_corpus("retrieve-infrastructure.xml");
	g_autoptr(GPtrArray) vm_objects = NULL;
	g_autoptr(GPtrArray) objects = NULL;
	g_autoptr(FerryVsphereIndex) index = ferry_vsphere_index_new("group-d1");
	guint hosts = 0;

	/* a tree as the simulator has it: /DC0/vm */
	ferry_vsphere_index_update(index, "Datacenter", "datacenter-2", "DC0", "group-d1");
	ferry_vsphere_index_update(index, "Folder", "folder-3", "vm", "datacenter-2");
	ferry_vsphere_index_update(index, "Folder", "group-5", "host", "datacenter-2");

	objects = ferry_vsphere_parse_retrieve_result(
	    ferry_vsphere_response_get_returnval(infrastructure), NULL);
	for (guint i = 0; i < objects->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(objects, i);
		const char *kind = ferry_vsphere_inventory_kind_for_type(object->type);
		g_autoptr(JsonObject) document = map_one(index, object, kind);

		if (g_strcmp0(object->type, "HostSystem") == 0) {
			JsonObject *network = json_object_get_object_member(document, "network");
			hosts++;
			g_assert_cmpint(json_object_get_int_member(document, "cpuCores"), >, 0);
			g_assert_cmpint(json_object_get_int_member(document, "memoryBytes"), >, 0);
			g_assert_nonnull(json_object_get_array_member(network, "vNICs"));
			g_assert_cmpstr(json_object_get_string_member(document, "productName"), !=,
					"");
		} else if (g_strcmp0(object->type, "DistributedVirtualPortgroup") == 0) {
			g_assert_cmpstr(json_object_get_string_member(document, "variant"), ==,
					"DvPortGroup");
			g_assert_cmpstr(json_object_get_string_member(
					    json_object_get_object_member(document, "dvSwitch"),
					    "id"),
					==, "dvs-9");
		} else if (g_strcmp0(object->type, "Datastore") == 0) {
			g_assert_cmpstr(json_object_get_string_member(document, "type"), ==,
					"OTHER");
			g_assert_cmpint(json_object_get_int_member(document, "capacity"), >,
					json_object_get_int_member(document, "free"));
		} else if (g_strcmp0(object->type, "ClusterComputeResource") == 0) {
			g_assert_cmpuint(
			    json_array_get_length(json_object_get_array_member(document, "hosts")),
			    ==, 3);
			g_assert_true(json_object_get_boolean_member(document, "drsEnabled"));
		}
	}
	g_assert_cmpuint(hosts, ==, 4);

	vm_objects =
	    ferry_vsphere_parse_retrieve_result(ferry_vsphere_response_get_returnval(vms), NULL);
	for (guint i = 0; i < vm_objects->len; i++) {
		g_autoptr(JsonObject) vm = map_one(index, g_ptr_array_index(vm_objects, i), "vm");
		JsonObject *disk = json_array_get_object_element(
		    json_object_get_array_member(vm, "disks"), 0);
		g_autofree char *path = g_strdup_printf(
		    "/DC0/vm/%s", json_object_get_string_member(vm, "name"));
		g_assert_cmpstr(json_object_get_string_member(vm, "path"), ==, path);
		g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "scsi");
		g_assert_true(g_str_has_prefix(json_object_get_string_member(disk, "id"), "disk-"));
	}
}

/* builds the property an object would have for @path out of a whole
 * property fetched alone (`config`, `guest`, …); arrays are gathered into a
 * <val> the way RetrievePropertiesEx sends an ArrayOf… */
static xmlNode *
synthesize(xmlDoc *doc, xmlNode *whole, const char *rest, gboolean array)
{
	g_autofree char *parent_path = NULL;
	const char *last;
	xmlNode *parent;
	xmlNode *val;

	if (!array)
		return ferry_vsphere_xml_path(whole, rest);
	last = strrchr(rest, '.');
	parent_path = last != NULL ? g_strndup(rest, last - rest) : g_strdup("");
	last = last != NULL ? last + 1 : rest;
	parent = *parent_path != '\0' ? ferry_vsphere_xml_path(whole, parent_path) : whole;
	val = xmlNewDocNode(doc, NULL, (const xmlChar *)"val", NULL);
	xmlAddChild(xmlDocGetRootElement(doc), val);
	for (xmlNode *item = ferry_vsphere_xml_child(parent, last); item != NULL;
	     item = ferry_vsphere_xml_next(item, last))
		xmlAddChild(val, xmlDocCopyNode(item, doc, 1));
	return val;
}

static void
test_map_vcenter8_vm(void)
{
	static const char *const arrays[] = {"config.hardware.device", "config.extraConfig",
					     "guest.net", "guest.disk", "guest.ipStack", NULL};
	static const char *const wholes[] = {"config", "runtime", "guest", "summary", NULL};
	g_autofree char *path =
	    shared_testdata("pyvmomi/tests/fixtures/test_json_vm_explode_default.yaml");
	g_autoptr(GPtrArray) interactions = NULL;
	g_autoptr(GPtrArray) responses =
	    g_ptr_array_new_with_free_func((GDestroyNotify)ferry_vsphere_response_free);
	g_autoptr(GHashTable) whole = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(FerryVsphereIndex) index = ferry_vsphere_index_new("group-d1");
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GError) error = NULL;
	xmlDoc *scratch;
	FerryVsphereObject object = {(char *)"VirtualMachine", (char *)"vm-19"};
	JsonObject *disk;
	JsonArray *guest_disks;

	if (path == NULL)
		return;
	interactions = load_cassette(path);
	scratch = xmlNewDoc((const xmlChar *)"1.0");
	xmlDocSetRootElement(scratch, xmlNewDocNode(scratch, NULL, (const xmlChar *)"scratch", NULL));
	object.props = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
	object.missing = g_ptr_array_new();

	/* each property was fetched on its own (Fetch) */
	for (guint i = 0; wholes[i] != NULL; i++) {
		g_autofree char *needle = g_strdup_printf(">%s</prop>", wholes[i]);
		const char *body = find_response(interactions, needle);
		FerryVsphereResponse *response;
		g_assert_nonnull(body);
		response = ferry_vsphere_response_parse(body, strlen(body), &error);
		g_assert_no_error(error);
		g_ptr_array_add(responses, response);
		g_hash_table_insert(whole, (gpointer)wholes[i],
				    ferry_vsphere_response_get_returnval(response));
	}
	for (guint i = 0; i < 2; i++) {
		const char *prop = i == 0 ? "name" : "parent";
		g_autofree char *needle = g_strdup_printf(">%s</prop>", prop);
		const char *body = find_response(interactions, needle);
		FerryVsphereResponse *response = ferry_vsphere_response_parse(body, strlen(body),
									      &error);
		g_assert_no_error(error);
		g_ptr_array_add(responses, response);
		g_hash_table_insert(object.props, g_strdup(prop),
				    ferry_vsphere_response_get_returnval(response));
	}
	/* the paths the loader asks for, cut out of the whole properties */
	for (const char *const *p = (const char *const[]){
		 "config.uuid", "config.instanceUuid", "config.firmware", "config.template",
		 "config.guestId", "config.guestFullName", "config.changeTrackingEnabled",
		 "config.cpuHotAddEnabled", "config.memoryHotAddEnabled", "config.bootOptions",
		 "config.extraConfig", "config.hardware.numCPU", "config.hardware.numCoresPerSocket",
		 "config.hardware.memoryMB", "config.hardware.device", "runtime.powerState",
		 "runtime.connectionState", "runtime.host", "runtime.faultToleranceState",
		 "runtime.consolidationNeeded", "guest.guestFullName", "guest.hostName",
		 "guest.net", "guest.disk", "guest.ipStack", "guest.toolsStatus",
		 "guest.toolsRunningStatus", "guest.toolsVersionStatus2",
		 "summary.quickStats.balloonedMemory", "summary.storage.committed",
		 "summary.config.tpmPresent", NULL};
	     *p != NULL; p++) {
		const char *dot = strchr(*p, '.');
		g_autofree char *root = g_strndup(*p, dot - *p);
		xmlNode *node = synthesize(scratch, g_hash_table_lookup(whole, root), dot + 1,
					   g_strv_contains(arrays, *p));
		if (node != NULL)
			g_hash_table_insert(object.props, g_strdup(*p), node);
	}

	vm = map_one(index, &object, "vm");
	g_assert_cmpstr(json_object_get_string_member(vm, "name"), ==,
			"vCLS-8f66678f-3d69-4b58-a4c7-bae62203b573");
	g_assert_cmpstr(json_object_get_string_member(vm, "uuid"), ==,
			"4220824e-c2eb-ed46-47db-8e5746f5bde4");
	g_assert_cmpstr(json_object_get_string_member(vm, "instanceUuid"), ==,
			"50201f05-b37c-db69-fda5-fb077e87af04");
	g_assert_cmpstr(json_object_get_string_member(vm, "firmware"), ==, "bios");
	g_assert_cmpstr(json_object_get_string_member(vm, "guestId"), ==, "other26xLinux64Guest");
	g_assert_cmpstr(json_object_get_string_member(vm, "guestNameFromVmwareTools"), ==,
			"VMware Photon OS (64-bit)");
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), ==, 1);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), ==, 128);
	g_assert_cmpstr(json_object_get_string_member(vm, "powerState"), ==, "poweredOn");
	g_assert_cmpstr(json_object_get_string_member(vm, "host"), ==, "host-16");
	g_assert_cmpstr(json_object_get_string_member(vm, "folder"), ==, "group-v8");
	g_assert_false(json_object_get_boolean_member(vm, "faultToleranceEnabled"));
	g_assert_false(json_object_get_boolean_member(vm, "changeTrackingEnabled"));
	g_assert_cmpstr(json_object_get_string_member(vm, "toolsRunningStatus"), ==,
			"guestToolsRunning");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(vm, "disks")), ==, 1);
	disk = json_array_get_object_element(json_object_get_array_member(vm, "disks"), 0);
	g_assert_cmpstr(json_object_get_string_member(disk, "file"), ==,
			"[vsanDatastore] 3b307865-804d-7d05-3a9d-0625178fc4c6/"
			"vCLS-8f66678f-3d69-4b58-a4c7-bae62203b573.vmdk");
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, 2147483648);
	g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "scsi");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(disk, "datastore"), "id"),
			==, "datastore-17");
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(vm, "controllers")), >=,
			 3);
	/* the guest's view of its disks, as the filesystem-size rule reads it */
	guest_disks = json_object_get_array_member(vm, "guestDisks");
	g_assert_cmpuint(json_array_get_length(guest_disks), >=, 1);
	g_assert_cmpstr(json_object_get_string_member(json_array_get_object_element(guest_disks, 0),
						      "diskPath"),
			==, "/");
	g_assert_cmpint(json_object_get_int_member(json_array_get_object_element(guest_disks, 0),
						   "key"),
			==, 2000);

	g_hash_table_unref(object.props);
	g_ptr_array_unref(object.missing);
	xmlFreeDoc(scratch);
}

static void
test_update_sets(void)
{
	g_autoptr(FerryVsphereResponse) initial = parse_corpus("update-set-initial.xml");
	g_autoptr(FerryVsphereResponse) modify = parse_corpus("update-set-modify.xml");
	g_autoptr(GPtrArray) entered = NULL;
	g_autoptr(GPtrArray) modified = NULL;
	g_autofree char *version = NULL;
	g_autofree char *next_version = NULL;
	g_autofree char *state = NULL;
	gboolean truncated = TRUE;

	entered = ferry_vsphere_parse_update_set(ferry_vsphere_response_get_returnval(initial),
						 &version, &truncated);
	g_assert_false(truncated);
	g_assert_nonnull(version);
	g_assert_cmpuint(entered->len, ==, 4);
	for (guint i = 0; i < entered->len; i++) {
		FerryVsphereObject *object = g_ptr_array_index(entered, i);
		g_assert_cmpstr(object->kind, ==, "enter");
		g_assert_nonnull(ferry_vsphere_object_get(object, "name"));
		g_assert_nonnull(ferry_vsphere_object_get(object, "runtime.powerState"));
	}
	modified = ferry_vsphere_parse_update_set(ferry_vsphere_response_get_returnval(modify),
						  &next_version, NULL);
	g_assert_cmpuint(modified->len, ==, 1);
	g_assert_cmpstr(((FerryVsphereObject *)g_ptr_array_index(modified, 0))->kind, ==, "modify");
	state = ferry_vsphere_object_dup_string(g_ptr_array_index(modified, 0),
						"runtime.powerState");
	g_assert_cmpstr(state, ==, "poweredOff");
}

/* --- small helpers --- */

static void
test_datastore_paths(void)
{
	g_autofree char *datastore = NULL;
	g_autofree char *path = NULL;

	g_assert_true(ferry_vsphere_split_datastore_path("[datastore 1] web-01/web-01.vmdk",
							 &datastore, &path));
	g_assert_cmpstr(datastore, ==, "datastore 1");
	g_assert_cmpstr(path, ==, "web-01/web-01.vmdk");
	g_assert_false(ferry_vsphere_split_datastore_path("web-01.vmdk", &datastore, &path));
	g_assert_false(ferry_vsphere_split_datastore_path("[] x.vmdk", &datastore, &path));
	g_assert_false(ferry_vsphere_split_datastore_path("[ds] ", &datastore, &path));
	g_assert_false(ferry_vsphere_split_datastore_path("[ds] /abs.vmdk", &datastore, &path));
}

static void
test_thumbprints(void)
{
	const guint8 der[] = {0x30, 0x03, 0x02, 0x01, 0x01};
	g_autoptr(GBytes) bytes = g_bytes_new_static(der, sizeof(der));
	g_autofree char *formatted = ferry_vsphere_format_thumbprint(bytes);
	g_autofree char *lower = g_ascii_strdown(formatted, -1);
	g_autofree char *plain = g_strdup(formatted);
	g_autofree char *from_lower = NULL;
	g_autofree char *from_plain = NULL;
	g_autofree char *sha1 = g_compute_checksum_for_data(G_CHECKSUM_SHA1, der, sizeof(der));
	g_autofree char *expected = NULL;
	GString *joined = g_string_new(NULL);

	for (guint i = 0; i < 40; i += 2)
		g_string_append_printf(joined, "%s%c%c", i > 0 ? ":" : "",
				       g_ascii_toupper(sha1[i]), g_ascii_toupper(sha1[i + 1]));
	expected = g_string_free(joined, FALSE);
	g_assert_cmpstr(formatted, ==, expected);

	/* `aa:bb…`, `AABB…` and spaced forms all normalise to the same */
	from_lower = ferry_vsphere_normalize_thumbprint(lower);
	g_assert_cmpstr(from_lower, ==, formatted);
	for (char *r = plain, *w = plain;; r++) {
		if (*r != ':')
			*w++ = *r;
		if (*r == '\0')
			break;
	}
	from_plain = ferry_vsphere_normalize_thumbprint(plain);
	g_assert_cmpstr(from_plain, ==, formatted);
	g_assert_null(ferry_vsphere_normalize_thumbprint("AA:BB"));
	g_assert_null(ferry_vsphere_normalize_thumbprint("ZZ:BB:CC:DD:EE:FF:00:11:22:33:44:55:66:"
							 "77:88:99:AA:BB:CC:DD"));
}

static void
test_index_paths(void)
{
	g_autoptr(FerryVsphereIndex) index = ferry_vsphere_index_new("group-d1");
	g_autofree char *path = NULL;
	g_autofree char *renamed = NULL;

	ferry_vsphere_index_update(index, "Folder", "group-d1", "Datacenters", NULL);
	ferry_vsphere_index_update(index, "Folder", "group-p1", "prod", "group-d1");
	ferry_vsphere_index_update(index, "Datacenter", "datacenter-3", "DC-east", "group-p1");
	ferry_vsphere_index_update(index, "Folder", "group-v4", "vm", "datacenter-3");
	ferry_vsphere_index_update(index, "Folder", "group-v9", "web", "group-v4");
	/* VMs are not folders: the index ignores them */
	g_assert_false(ferry_vsphere_index_update(index, "VirtualMachine", "vm-1", "x", "group-v9"));

	path = ferry_vsphere_index_dup_path(index, "group-v9", "web-01");
	g_assert_cmpstr(path, ==, "/prod/DC-east/vm/web/web-01");
	g_assert_cmpstr(ferry_vsphere_index_find_datacenter(index, "group-v9"), ==, "datacenter-3");
	g_assert_null(ferry_vsphere_index_find_datacenter(index, "group-p1"));
	/* a rename reports the paths below it stale */
	g_assert_true(ferry_vsphere_index_update(index, "Folder", "group-v9", "frontend",
						 "group-v4"));
	renamed = ferry_vsphere_index_dup_path(index, "group-v9", "web-01");
	g_assert_cmpstr(renamed, ==, "/prod/DC-east/vm/frontend/web-01");
	/* a loop in a broken tree ends */
	ferry_vsphere_index_update(index, "Folder", "group-p1", "prod", "group-v9");
	g_free(ferry_vsphere_index_dup_path(index, "group-v9", "x"));
}

int
main(int argc, char **argv)
{
	static const FaultCase faults[] = {
	    {"fault-invalid-login.xml", "InvalidLogin", FERRY_ERROR_AUTH_FAILED,
	     "wrong user or password"},
	    {"fault-not-authenticated.xml", "NotAuthenticated", FERRY_ERROR_AUTH_FAILED,
	     "not authenticated"},
	    {"fault-not-found.xml", "ManagedObjectNotFound", FERRY_ERROR_NOT_FOUND,
	     "VirtualMachine vm-999 does not exist"},
	    {"fault-invalid-argument.xml", "InvalidArgument", FERRY_ERROR_INVALID_ARGUMENT,
	     "no disk with key 204"},
	};

	g_test_init(&argc, &argv, NULL);
	xmlInitParser();
	g_test_add_func("/vsphere/soap/request", test_request_builder);
	g_test_add_func("/vsphere/soap/not-soap", test_not_soap);
	for (guint i = 0; i < G_N_ELEMENTS(faults); i++) {
		g_autofree char *name = g_strdup_printf("/vsphere/soap/fault/%s", faults[i].type);
		g_test_add_data_func(name, &faults[i], test_fault);
	}
	g_test_add_func("/vsphere/soap/fault-codes", test_fault_codes);
	g_test_add_func("/vsphere/soap/task-error", test_task_error);
	g_test_add_func("/vsphere/soap/vcenter8-session", test_vcenter8_session);
	g_test_add_func("/vsphere/soap/not-authenticated-properties",
			test_not_authenticated_properties);
	g_test_add_func("/vsphere/soap/retrieve-pages", test_retrieve_pages);
	g_test_add_func("/vsphere/soap/update-sets", test_update_sets);
	g_test_add_func("/vsphere/map/simulator", test_map_simulator_objects);
	g_test_add_func("/vsphere/map/vcenter8-vm", test_map_vcenter8_vm);
	g_test_add_func("/vsphere/util/datastore-paths", test_datastore_paths);
	g_test_add_func("/vsphere/util/thumbprints", test_thumbprints);
	g_test_add_func("/vsphere/util/index-paths", test_index_paths);
	return g_test_run();
}
