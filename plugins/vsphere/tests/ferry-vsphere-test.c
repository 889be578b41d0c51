/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The vsphere plugin, loaded like any plugin, against the vCenter simulator
 * (testbed/main.go over govmomi's simulator): login, TLS, inventory, watch,
 * power, snapshots, changed areas and disk reads.
 */

#include <ferry.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <libnbd.h>
#include <libsoup/soup.h>
#include <string.h>

#include "ferry-vcsim-runner.h"

#define PROVIDER_NAME "vsphere-prod"
#define VM0 "DC0_H0_VM0"
#define VM1 "DC0_H0_VM1"

static char *cert_dir; /* one certificate for every simulator of the run */

/* seconds of session idle time the tests wait out: longer under valgrind,
 * where a single load can take that long */
static guint
idle_seconds(guint seconds)
{
	return g_getenv("FERRY_UNDER_VALGRIND") != NULL ? seconds * 6 : seconds;
}

typedef FerryVcsim Vcsim;

/* starts the simulator with extra arguments (NULL-terminated); NULL and a
 * skipped test when it was not built */
static Vcsim *
vcsim_start(const char *first_arg, ...)
{
	const char *binary = g_getenv("FERRY_VCSIM");
	g_autoptr(GPtrArray) args = g_ptr_array_new();
	g_autoptr(GError) error = NULL;
	Vcsim *vcsim;
	va_list list;

	if (binary == NULL || *binary == '\0') {
		if (g_strcmp0(g_getenv("CI"), "true") == 0)
			g_error("the vCenter simulator was not built; run scripts/install-deps "
				"(golang-go, golang-github-vmware-govmomi-dev)");
		g_test_skip("the vCenter simulator was not built (install golang-go and "
			    "golang-github-vmware-govmomi-dev)");
		return NULL;
	}
	va_start(list, first_arg);
	for (const char *arg = first_arg; arg != NULL; arg = va_arg(list, const char *))
		g_ptr_array_add(args, (gpointer)arg);
	va_end(list);
	g_ptr_array_add(args, NULL);
	/* the simulator narrates every property change: only when asked */
	vcsim = ferry_vcsim_start(binary, cert_dir, (const char *const *)args->pdata,
				  !g_test_verbose(), &error);
	g_assert_no_error(error);
	return vcsim;
}

static FerrySecret *
vcsim_secret(Vcsim *vcsim, const char *password)
{
	FerrySecret *secret = ferry_secret_new("vcsim-credentials");
	g_autofree char *ca = NULL;

	ferry_secret_set_string(secret, "user", FERRY_VCSIM_USER);
	ferry_secret_set_string(secret, "password",
				password != NULL ? password : FERRY_VCSIM_PASSWORD);
	g_assert_true(g_file_get_contents(vcsim->ca, &ca, NULL, NULL));
	ferry_secret_set_string(secret, "ca.crt", ca);
	return secret;
}

static FerryProviderConfig *
vcsim_config(Vcsim *vcsim, FerrySecret *secret)
{
	FerryProviderConfig *config = ferry_provider_config_new("vsphere", "default", PROVIDER_NAME);
	ferry_provider_config_set_url(config, vcsim->url);
	ferry_provider_config_set_secret(config, secret);
	return config;
}

static FerryProvider *
new_provider(void)
{
	static FerryPluginRegistry *registry = NULL;
	g_autoptr(GError) error = NULL;
	FerryProvider *provider;

	if (registry == NULL) {
		registry = ferry_plugin_registry_new();
		g_assert_true(ferry_plugin_registry_load(registry, &error));
		g_assert_no_error(error);
	}
	provider = ferry_plugin_registry_create_provider(registry, "vsphere", &error);
	g_assert_no_error(error);
	g_assert_nonnull(provider);
	return provider;
}

/* a provider connected to @vcsim with the default credentials */
static FerryProvider *
connected_provider(Vcsim *vcsim)
{
	g_autoptr(FerrySecret) secret = vcsim_secret(vcsim, NULL);
	g_autoptr(FerryProviderConfig) config = vcsim_config(vcsim, secret);
	g_autoptr(GError) error = NULL;
	FerryProvider *provider = new_provider();

	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_no_error(error);
	return provider;
}

static FerryInventory *
loaded_inventory(FerryProvider *provider)
{
	g_autoptr(GError) error = NULL;
	FerryInventory *inventory = ferry_inventory_new(NULL, &error);

	g_assert_no_error(error);
	ferry_provider_load_inventory(provider, inventory, NULL, &error);
	g_assert_no_error(error);
	return inventory;
}

static JsonObject *
find_vm(FerryInventory *inventory, const char *name)
{
	g_autoptr(GError) error = NULL;
	JsonObject *vm = ferry_inventory_find_by_name(inventory, PROVIDER_NAME, "vm", name, &error);
	g_assert_no_error(error);
	g_assert_nonnull(vm);
	return vm;
}

static char *
vm_id(FerryInventory *inventory, const char *name)
{
	g_autoptr(JsonObject) vm = find_vm(inventory, name);
	return g_strdup(json_object_get_string_member(vm, "id"));
}

static JsonObject *
first_disk(JsonObject *vm)
{
	JsonArray *disks = json_object_get_array_member(vm, "disks");
	g_assert_cmpuint(json_array_get_length(disks), >=, 1);
	return json_array_get_object_element(disks, 0);
}

static gboolean
array_has_kind(JsonArray *array, const char *kind)
{
	for (guint i = 0; i < json_array_get_length(array); i++) {
		JsonObject *item = json_array_get_object_element(array, i);
		if (g_strcmp0(json_object_get_string_member(item, "kind"), kind) == 0)
			return TRUE;
	}
	return FALSE;
}

/* --- connecting --- */

static void
test_connect_good(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autofree char *fingerprint = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	fingerprint = ferry_provider_get_fingerprint(provider);
	g_assert_cmpstr(fingerprint, ==, vcsim->thumbprint);
	g_assert_true(ferry_provider_has_capability(
	    provider, FERRY_PROVIDER_CAPABILITY_SOURCE | FERRY_PROVIDER_CAPABILITY_POWER |
			  FERRY_PROVIDER_CAPABILITY_SNAPSHOT |
			  FERRY_PROVIDER_CAPABILITY_CHANGED_BLOCKS |
			  FERRY_PROVIDER_CAPABILITY_HOSTS | FERRY_PROVIDER_CAPABILITY_WATCH));
	g_assert_false(ferry_provider_has_capability(provider,
						     FERRY_PROVIDER_CAPABILITY_DESTINATION));
}

static void
test_connect_bad_password(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	if (vcsim == NULL)
		return;
	provider = new_provider();
	secret = vcsim_secret(vcsim, "Wrong-Pa55word");
	config = vcsim_config(vcsim, secret);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "wrong user or password"));
	g_assert_nonnull(strstr(error->message, "default/" PROVIDER_NAME));
	g_assert_null(strstr(error->message, "Wrong-Pa55word"));
	g_assert_cmpint(ferry_error_to_exit_status(error), ==, 4);
}

static void
test_connect_missing_keys(void)
{
	g_autoptr(FerryProvider) provider = new_provider();
	g_autoptr(FerrySecret) secret = ferry_secret_new("partial");
	g_autoptr(FerryProviderConfig) config =
	    ferry_provider_config_new("vsphere", "default", PROVIDER_NAME);
	g_autoptr(GError) error = NULL;

	ferry_provider_config_set_url(config, "https://127.0.0.1:1/sdk");
	ferry_secret_set_string(secret, "user", "admin");
	ferry_provider_config_set_secret(config, secret);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
	g_assert_nonnull(strstr(error->message, "'password'"));
	g_clear_error(&error);

	ferry_provider_config_set_url(config, "ftp://vcenter.example.com/sdk");
	ferry_secret_set_string(secret, "password", "x");
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "spec.url"));
}

/* plain HTTP would send the password in clear: refused unless the
 * Provider opts in, against a simulator that really serves http:// */
static void
test_connect_plain_http(void)
{
	const char *binary = g_getenv("FERRY_VCSIM");
	g_autoptr(FerryVcsim) vcsim = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerrySecret) secret = ferry_secret_new("vcsim-credentials");
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	if (binary == NULL || *binary == '\0') {
		g_test_skip("the vCenter simulator was not built");
		return;
	}
	vcsim = ferry_vcsim_start(binary, NULL, NULL, !g_test_verbose(), &error);
	g_assert_no_error(error);
	g_assert_true(g_str_has_prefix(vcsim->url, "http://"));
	ferry_secret_set_string(secret, "user", FERRY_VCSIM_USER);
	ferry_secret_set_string(secret, "password", FERRY_VCSIM_PASSWORD);
	ferry_secret_set_string(secret, "insecureSkipVerify", "true");
	config = vcsim_config(vcsim, secret);
	provider = new_provider();
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "default/" PROVIDER_NAME));
	g_assert_nonnull(strstr(error->message, "in clear"));
	g_assert_nonnull(strstr(error->message, "insecureHTTP: \"true\""));
	g_clear_error(&error);

	/* the explicit opt-in */
	ferry_provider_config_set_setting(config, "insecureHTTP", "true");
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_no_error(error);
}

static void
test_connect_unreachable(void)
{
	g_autoptr(FerryProvider) provider = new_provider();
	g_autoptr(FerrySecret) secret = ferry_secret_new("creds");
	g_autoptr(FerryProviderConfig) config =
	    ferry_provider_config_new("vsphere", "default", PROVIDER_NAME);
	g_autoptr(GSocket) socket = NULL;
	g_autoptr(GInetSocketAddress) bound = NULL;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;

	/* a port nothing listens on: bind one, never listen */
	socket = g_socket_new(G_SOCKET_FAMILY_IPV4, G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_TCP,
			      &error);
	g_assert_no_error(error);
	address = g_inet_socket_address_new_from_string("127.0.0.1", 0);
	g_assert_true(g_socket_bind(socket, address, FALSE, &error));
	bound = G_INET_SOCKET_ADDRESS(g_socket_get_local_address(socket, &error));
	url = g_strdup_printf("https://127.0.0.1:%u/sdk", g_inet_socket_address_get_port(bound));
	ferry_provider_config_set_url(config, url);
	ferry_secret_set_string(secret, "user", "admin");
	ferry_secret_set_string(secret, "password", "x");
	ferry_provider_config_set_secret(config, secret);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_CONNECTION_FAILED);
	g_assert_nonnull(strstr(error->message, "cannot reach"));
	g_assert_cmpint(ferry_error_to_exit_status(error), ==, 5);
}

static void
test_connect_not_sdk(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *url = NULL;

	if (vcsim == NULL)
		return;
	provider = new_provider();
	secret = vcsim_secret(vcsim, NULL);
	config = vcsim_config(vcsim, secret);
	url = g_strdup_printf("%.*s/nothing-here", (int)(strlen(vcsim->url) - strlen("/sdk")),
			      vcsim->url);
	ferry_provider_config_set_url(config, url);
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "/sdk"));
}

/* --- TLS --- */

static void
connect_with_tls(Vcsim *vcsim, const char *key, const char *value, GError **error)
{
	g_autoptr(FerryProvider) provider = new_provider();
	g_autoptr(FerrySecret) secret = ferry_secret_new("tls");
	g_autoptr(FerryProviderConfig) config = vcsim_config(vcsim, secret);
	g_autofree char *fingerprint = NULL;

	ferry_secret_set_string(secret, "user", "admin");
	ferry_secret_set_string(secret, "password", "Secret-Pa55");
	if (key != NULL)
		ferry_secret_set_string(secret, key, value);
	if (!ferry_provider_connect(provider, config, NULL, error))
		return;
	/* the fingerprint is reported whatever the mode */
	fingerprint = ferry_provider_get_fingerprint(provider);
	g_assert_cmpstr(fingerprint, ==, vcsim->thumbprint);
}

static void
test_tls_modes(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(GError) error = NULL;
	g_autofree char *lower = NULL;

	if (vcsim == NULL)
		return;

	/* no CA, no pin: the system CAs do not know the simulator */
	connect_with_tls(vcsim, NULL, NULL, &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED);
	g_assert_nonnull(strstr(error->message, vcsim->thumbprint));
	g_assert_nonnull(strstr(error->message, "unknown CA"));
	g_assert_nonnull(strstr(error->message, "insecureSkipVerify"));
	g_clear_error(&error);

	/* pinned by thumbprint, in any spelling */
	connect_with_tls(vcsim, "thumbprint", vcsim->thumbprint, &error);
	g_assert_no_error(error);
	lower = g_ascii_strdown(vcsim->thumbprint, -1);
	connect_with_tls(vcsim, "thumbprint", lower, &error);
	g_assert_no_error(error);

	/* pinned to another certificate */
	connect_with_tls(vcsim, "thumbprint",
			 "00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED);
	g_assert_nonnull(strstr(error->message, "thumbprint does not match"));
	g_assert_nonnull(strstr(error->message, vcsim->thumbprint));
	g_clear_error(&error);

	/* not a thumbprint at all */
	connect_with_tls(vcsim, "thumbprint", "not-a-thumbprint", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_clear_error(&error);

	/* verification off */
	connect_with_tls(vcsim, "insecureSkipVerify", "true", &error);
	g_assert_no_error(error);

	/* a CA that is not PEM */
	connect_with_tls(vcsim, "ca.crt", "-----BEGIN NONSENSE-----", &error);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "ca.crt"));
	g_clear_error(&error);
}

static void
test_tls_ca_with_wrong_pin(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;

	if (vcsim == NULL)
		return;
	provider = new_provider();
	secret = vcsim_secret(vcsim, NULL);
	ferry_secret_set_string(secret, "thumbprint",
				"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
	config = vcsim_config(vcsim, secret);
	/* the CA accepts the server, the pin does not: the pin wins */
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED);
}

/* --- the session --- */

static void
test_relogin(void)
{
	g_autofree char *idle = g_strdup_printf("-idle-timeout=%us", idle_seconds(2));
	g_autoptr(FerryVcsim) vcsim = vcsim_start(idle, NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	FerryPowerState state;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	id = vm_id(inventory, VM0);
	/* the server forgets the idle session; the next call logs in again */
	g_usleep((idle_seconds(2) + 1) * G_USEC_PER_SEC);
	state = ferry_provider_get_power_state(provider, id, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpint(state, ==, FERRY_POWER_STATE_ON);
}

static void
test_logout_hung_server(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	FerryProvider *provider;
	gint64 start;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	/* the server stops answering: dropping the provider must not hang */
	g_subprocess_send_signal(vcsim->process, SIGSTOP);
	start = g_get_monotonic_time();
	g_object_unref(provider);
	g_assert_cmpint(g_get_monotonic_time() - start, <, 8 * G_USEC_PER_SEC);
	g_subprocess_send_signal(vcsim->process, SIGCONT);
}

static void
test_not_connected(void)
{
	g_autoptr(FerryProvider) provider = new_provider();
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(ferry_provider_get_power_state(provider, "vm-1", NULL, &error), ==,
			FERRY_POWER_STATE_UNKNOWN);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_assert_null(ferry_provider_get_fingerprint(provider));
}

/* --- inventory --- */

static guint
count_kind(FerryInventory *inventory, const char *kind)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) objects = ferry_inventory_list(inventory, PROVIDER_NAME, kind, &error);
	g_assert_no_error(error);
	return objects->len;
}

static void
test_inventory_default(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(JsonObject) host = NULL;
	g_autoptr(JsonObject) datastore = NULL;
	g_autoptr(JsonObject) network = NULL;
	g_autoptr(JsonObject) cluster = NULL;
	g_autoptr(GError) error = NULL;
	JsonObject *disk;
	JsonObject *nic;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	g_assert_true(ferry_inventory_has_parity(inventory, PROVIDER_NAME));

	/* govmomi's default vCenter model: one datacenter, a cluster of three
	 * hosts and one standalone host, two VMs on each */
	g_assert_cmpuint(count_kind(inventory, "datacenter"), ==, 1);
	g_assert_cmpuint(count_kind(inventory, "cluster"), ==, 2);
	g_assert_cmpuint(count_kind(inventory, "host"), ==, 4);
	g_assert_cmpuint(count_kind(inventory, "vm"), ==, 4);
	g_assert_cmpuint(count_kind(inventory, "datastore"), ==, 1);
	g_assert_cmpuint(count_kind(inventory, "network"), ==, 4);
	/* the root folder and the four folders of the datacenter */
	g_assert_cmpuint(count_kind(inventory, "folder"), ==, 5);

	vm = find_vm(inventory, VM0);
	g_assert_cmpstr(json_object_get_string_member(vm, "path"), ==, "/DC0/vm/" VM0);
	g_assert_cmpstr(json_object_get_string_member(vm, "powerState"), ==, "poweredOn");
	g_assert_cmpstr(json_object_get_string_member(vm, "connectionState"), ==, "connected");
	g_assert_cmpstr(json_object_get_string_member(vm, "firmware"), ==, "bios");
	g_assert_cmpint(json_object_get_int_member(vm, "cpuCount"), >=, 1);
	g_assert_cmpint(json_object_get_int_member(vm, "memoryMB"), >=, 32);
	g_assert_cmpuint(strlen(json_object_get_string_member(vm, "uuid")), ==, 36);
	g_assert_false(json_object_get_boolean_member(vm, "isTemplate"));
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(vm, "parent"), "kind"),
			==, "Folder");
	g_assert_cmpstr(json_object_get_string_member(
			    json_object_get_object_member(vm, "snapshot"), "id"),
			==, "");

	disk = first_disk(vm);
	g_assert_cmpstr(json_object_get_string_member(disk, "file"), ==,
			"[LocalDS_0] " VM0 "/disk1.vmdk");
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, 1 << 20);
	g_assert_cmpstr(json_object_get_string_member(disk, "bus"), ==, "scsi");
	g_assert_cmpstr(json_object_get_string_member(disk, "mode"), ==, "persistent");
	g_assert_false(json_object_get_boolean_member(disk, "shared"));
	g_assert_false(json_object_get_boolean_member(disk, "rdm"));
	g_assert_false(json_object_get_boolean_member(disk, "changeTrackingEnabled"));
	datastore = ferry_inventory_get(
	    inventory, PROVIDER_NAME, "datastore",
	    json_object_get_string_member(json_object_get_object_member(disk, "datastore"), "id"),
	    &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(datastore, "name"), ==, "LocalDS_0");
	g_assert_cmpint(json_object_get_int_member(datastore, "capacity"), >, 0);

	nic = json_array_get_object_element(json_object_get_array_member(vm, "nics"), 0);
	/* the simulator's managed object ids vary between govmomi versions:
	 * the NIC's network is known by its id, the test checks it by name */
	g_assert_true(g_str_has_prefix(
	    json_object_get_string_member(json_object_get_object_member(nic, "network"), "id"),
	    "dvportgroup-"));
	g_assert_cmpuint(strlen(json_object_get_string_member(nic, "mac")), ==, 17);
	network = ferry_inventory_get(
	    inventory, PROVIDER_NAME, "network",
	    json_object_get_string_member(json_object_get_object_member(nic, "network"), "id"),
	    &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(network, "variant"), ==, "DvPortGroup");
	g_assert_cmpstr(json_object_get_string_member(network, "name"), ==, "DC0_DVPG0");

	host = ferry_inventory_get(inventory, PROVIDER_NAME, "host",
				   json_object_get_string_member(vm, "host"), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(host, "name"), ==, "DC0_H0");
	g_assert_false(json_object_get_boolean_member(host, "inMaintenanceMode"));
	g_assert_cmpint(json_object_get_int_member(host, "cpuCores"), >, 0);
	cluster = ferry_inventory_get(inventory, PROVIDER_NAME, "cluster",
				      json_object_get_string_member(host, "cluster"), &error);
	g_assert_no_error(error);
	g_assert_cmpstr(json_object_get_string_member(cluster, "datacenter"), !=, "");
}

static void
test_inventory_rules(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-scenario=rules", "-cbt=" VM0, NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(JsonObject) flagged = NULL;
	g_autoptr(JsonObject) healthy = NULL;
	g_autoptr(JsonObject) cluster = NULL;
	g_autoptr(GPtrArray) clusters = NULL;
	g_autoptr(GError) error = NULL;
	JsonArray *devices;
	JsonObject *disk;
	JsonObject *guest_net;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);

	/* what Forklift's vmware rules read, for a VM that trips most of them */
	flagged = find_vm(inventory, VM1);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(flagged, "cpuAffinity")),
			 ==, 2);
	g_assert_true(json_object_get_boolean_member(flagged, "cpuHotAddEnabled"));
	g_assert_true(json_object_get_boolean_member(flagged, "cpuHotRemoveEnabled"));
	g_assert_true(json_object_get_boolean_member(flagged, "memoryHotAddEnabled"));
	g_assert_true(json_object_get_boolean_member(flagged, "faultToleranceEnabled"));
	g_assert_true(json_object_get_boolean_member(flagged, "consolidationNeeded"));
	g_assert_true(json_object_get_boolean_member(flagged, "diskEnableUuid"));
	g_assert_true(json_object_get_boolean_member(flagged, "nestedHVEnabled"));
	g_assert_true(json_object_get_boolean_member(flagged, "secureBoot"));
	g_assert_cmpstr(json_object_get_string_member(flagged, "firmware"), ==, "efi");
	g_assert_cmpstr(json_object_get_string_member(flagged, "guestId"), ==, "dosGuest");
	g_assert_cmpstr(json_object_get_string_member(flagged, "hostName"), ==,
			"localhost.localdomain");
	g_assert_cmpuint(
	    json_array_get_length(json_object_get_array_member(flagged, "numaNodeAffinity")), ==, 2);
	g_assert_false(json_object_get_boolean_member(flagged, "changeTrackingEnabled"));
	g_assert_cmpuint(
	    json_array_get_length(json_object_get_array_member(flagged, "guestNetworks")), ==, 0);
	devices = json_object_get_array_member(flagged, "devices");
	g_assert_true(array_has_kind(devices, "VirtualUSBController"));
	g_assert_true(array_has_kind(devices, "VirtualPCIPassthrough"));
	g_assert_true(array_has_kind(devices, "VirtualSriovEthernetCard"));
	g_assert_true(json_object_get_boolean_member(flagged, "tpmEnabled"));
	disk = first_disk(flagged);
	g_assert_cmpstr(json_object_get_string_member(disk, "mode"), ==, "independent_persistent");
	g_assert_true(json_object_get_boolean_member(disk, "shared"));
	g_assert_false(json_object_get_boolean_member(disk, "changeTrackingEnabled"));
	/* an RDM of no size on no datastore: the rdm, disk_size and datastore rules */
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(flagged, "disks")), ==,
			 2);
	disk = json_array_get_object_element(json_object_get_array_member(flagged, "disks"), 1);
	g_assert_true(json_object_get_boolean_member(disk, "rdm"));
	g_assert_true(json_object_get_boolean_member(disk, "physicalMode"));
	g_assert_cmpint(json_object_get_int_member(disk, "capacity"), ==, 0);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(disk,
										    "datastore"),
						      "id"),
			==, "");
	g_assert_cmpstr(json_object_get_string_member(disk, "lunUuid"), !=, "");

	/* and one that trips none of them */
	healthy = find_vm(inventory, VM0);
	g_assert_true(json_object_get_boolean_member(healthy, "changeTrackingEnabled"));
	g_assert_true(json_object_get_boolean_member(first_disk(healthy), "changeTrackingEnabled"));
	g_assert_false(json_object_get_boolean_member(healthy, "cpuHotAddEnabled"));
	g_assert_false(json_object_get_boolean_member(healthy, "tpmEnabled"));
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(healthy, "disks")), ==,
			 1);
	g_assert_false(array_has_kind(json_object_get_array_member(healthy, "devices"),
				      "VirtualUSBController"));
	g_assert_cmpstr(json_object_get_string_member(healthy, "guestId"), ==, "rhel8_64Guest");
	g_assert_cmpstr(json_object_get_string_member(healthy, "hostName"), ==,
			"web-01.example.com");
	g_assert_cmpstr(json_object_get_string_member(healthy, "toolsRunningStatus"), ==,
			"guestToolsRunning");
	guest_net = json_array_get_object_element(
	    json_object_get_array_member(healthy, "guestNetworks"), 0);
	g_assert_cmpstr(json_object_get_string_member(guest_net, "ip"), ==, "192.0.2.10");
	g_assert_cmpint(json_object_get_int_member(guest_net, "prefix"), ==, 24);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(healthy, "guestDisks")),
			 ==, 2);
	g_assert_cmpstr(json_object_get_string_member(
			    json_array_get_object_element(
				json_object_get_array_member(healthy, "guestIpStacks"), 0),
			    "gateway"),
			==, "192.0.2.1");

	/* cluster settings, which the rules read through host.cluster */
	clusters = ferry_inventory_list(inventory, PROVIDER_NAME, "cluster", &error);
	g_assert_no_error(error);
	for (guint i = 0; i < clusters->len; i++) {
		JsonObject *candidate = g_ptr_array_index(clusters, i);
		if (g_strcmp0(json_object_get_string_member(candidate, "variant"), "Cluster") == 0)
			cluster = json_object_ref(candidate);
	}
	g_assert_nonnull(cluster);
	g_assert_true(json_object_get_boolean_member(cluster, "drsEnabled"));
	g_assert_true(json_object_get_boolean_member(cluster, "dpmEnabled"));
	g_assert_true(json_object_get_boolean_member(cluster, "dasEnabled"));
	g_assert_cmpstr(json_object_get_string_member(cluster, "drsBehavior"), ==,
			"fullyAutomated");
	g_assert_cmpuint(
	    json_array_get_length(json_object_get_array_member(cluster, "hostAffinityVms")), ==, 1);
	g_assert_cmpuint(json_array_get_length(json_object_get_array_member(cluster, "hosts")), ==,
			 3);
}

/* how many times the simulator was called with @method (GET /ferry/stats) */
static gint64
vcsim_calls(FerryVcsim *vcsim, const char *method)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(SoupMessage) msg = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autoptr(JsonParser) parser = json_parser_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *url = g_strdup_printf(
	    "%.*s/ferry/stats", (int)(strlen(vcsim->url) - strlen("/sdk")), vcsim->url);
	JsonObject *calls;

	database = g_tls_file_database_new(vcsim->ca, &error);
	g_assert_no_error(error);
	soup_session_set_tls_database(session, database);
	msg = soup_message_new("GET", url);
	body = soup_session_send_and_read(session, msg, NULL, &error);
	g_assert_no_error(error);
	g_assert_true(json_parser_load_from_data(parser, g_bytes_get_data(body, NULL),
						 (gssize)g_bytes_get_size(body), &error));
	calls = json_object_get_object_member(json_node_get_object(json_parser_get_root(parser)),
					      "calls");
	return json_object_get_int_member_with_default(calls, method, 0);
}

/* sends one SOAP call to the simulator as another user would, outside the
 * plugin; returns the reply */
static char *
vcsim_soap(FerryVcsim *vcsim, const char *call)
{
	g_autoptr(SoupSession) session = soup_session_new();
	g_autoptr(GTlsDatabase) database = NULL;
	g_autoptr(GError) error = NULL;
	const char *bodies[2] = {
	    "<Login xmlns=\"urn:vim25\"><_this type=\"SessionManager\">SessionManager</_this>"
	    "<userName>" FERRY_VCSIM_USER "</userName><password>" FERRY_VCSIM_PASSWORD
	    "</password></Login>",
	    call};
	char *reply = NULL;

	database = g_tls_file_database_new(vcsim->ca, &error);
	g_assert_no_error(error);
	soup_session_set_tls_database(session, database);
	soup_session_add_feature_by_type(session, SOUP_TYPE_COOKIE_JAR);
	for (guint i = 0; i < G_N_ELEMENTS(bodies); i++) {
		g_autoptr(SoupMessage) msg = soup_message_new("POST", vcsim->url);
		g_autofree char *envelope = g_strdup_printf(
		    "<?xml version=\"1.0\"?><soapenv:Envelope "
		    "xmlns:soapenv=\"http://schemas.xmlsoap.org/soap/envelope/\">"
		    "<soapenv:Body>%s</soapenv:Body></soapenv:Envelope>",
		    bodies[i]);
		g_autoptr(GBytes) request = g_bytes_new(envelope, strlen(envelope));
		g_autoptr(GBytes) body = NULL;

		soup_message_headers_replace(soup_message_get_request_headers(msg), "SOAPAction",
					     "\"urn:vim25/6.5\"");
		soup_message_set_request_body_from_bytes(msg, "text/xml", request);
		body = soup_session_send_and_read(session, msg, NULL, &error);
		g_assert_no_error(error);
		g_assert_cmpuint(soup_message_get_status(msg), ==, SOUP_STATUS_OK);
		g_free(reply);
		reply = g_strndup(g_bytes_get_data(body, NULL), g_bytes_get_size(body));
	}
	return reply;
}

/* the ids of the concerns the default vSphere rules raise for a VM */
static GHashTable *
concerns_of(FerryInventory *inventory, FerryValidator *rules, const char *name)
{
	g_autoptr(JsonObject) vm = find_vm(inventory, name);
	g_autoptr(JsonObject) workload = NULL;
	g_autoptr(GPtrArray) concerns = NULL;
	g_autoptr(GError) error = NULL;
	GHashTable *ids = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);

	workload = ferry_inventory_get_workload(inventory, PROVIDER_NAME, "vsphere",
						json_object_get_string_member(vm, "id"), &error);
	g_assert_no_error(error);
	concerns = ferry_validator_validate(rules, "vsphere", workload, NULL, &error);
	g_assert_no_error(error);
	for (guint i = 0; i < concerns->len; i++)
		g_hash_table_add(ids, g_strdup(ferry_concern_get_id(g_ptr_array_index(concerns, i))));
	return ids;
}

static void
assert_concerns(GHashTable *raised, const char *const *expected)
{
	g_autoptr(GString) unexpected = g_string_new(NULL);
	GHashTableIter iter;
	gpointer id;

	for (guint i = 0; expected[i] != NULL; i++) {
		if (!g_hash_table_contains(raised, expected[i]))
			g_error("concern %s was not raised", expected[i]);
	}
	g_hash_table_iter_init(&iter, raised);
	while (g_hash_table_iter_next(&iter, &id, NULL)) {
		if (!g_strv_contains(expected, id))
			g_string_append_printf(unexpected, " %s", (const char *)id);
	}
	if (unexpected->len > 0)
		g_error("unexpected concerns:%s", unexpected->str);
}

static void
test_inventory_rules_fire(void)
{
	/* every vmware rule the simulator can be made to trip, on the VMs
	 * meant to trip them, and none on the VM meant to pass */
	static const char *const flagged_expected[] = {
	    "vmware.cpu_affinity.detected",
	    "vmware.cpu_memory.hotplug.enabled",
	    "vmware.numa_affinity.detected",
	    "vmware.passthrough_device.detected",
	    "vmware.device.sriov.detected",
	    "vmware.usb_controller.detected",
	    "vmware.changed_block_tracking.disk.disabled",
	    "vmware.datastore.missing",
	    "vmware.disk_mode.independent",
	    "vmware.disk_serial.truncated",
	    "vmware.disk.capacity.invalid",
	    "vmware.disk.rdm.detected",
	    "vmware.disk.shared.detected",
	    "vmware.hostname.default",
	    "vmware.vm_missing_ip.detected",
	    "vmware.vm.name.invalid",
	    "vmware.changed_block_tracking.disabled",
	    "vmware.consolidation_needed",
	    "vmware.snapshot.detected",
	    "vmware.fault_tolerance.enabled",
	    "vmware.tpm.detected",
	    "vmware.os.unsupported",
	    NULL,
	};
	/* the simulator's names have underscores, which the name rule rejects */
	static const char *const healthy_expected[] = {"vmware.vm.name.invalid", NULL};
	static const char *const clustered_expected[] = {
	    "vmware.dpm.enabled",   "vmware.drs.enabled",
	    "vmware.host_affinity.detected", "vmware.vm.name.invalid",
	    "vmware.changed_block_tracking.disabled", "vmware.changed_block_tracking.disk.disabled",
	    "vmware.vm_missing_ip.detected",            "vmware.hostname.empty",
	    "vmware.os.unsupported",        NULL,
	};
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-scenario=rules", "-cbt=" VM0, NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerryRulesValidator) rules = NULL;
	g_autoptr(FerrySnapshot) snapshot = NULL;
	g_autoptr(GHashTable) flagged = NULL;
	g_autoptr(GHashTable) healthy = NULL;
	g_autoptr(GHashTable) clustered = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *flagged_id = NULL;
	g_auto(GStrv) problems = NULL;
	g_autoptr(GPtrArray) rule_list = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	flagged_id = vm_id(inventory, VM1);
	snapshot = ferry_provider_create_snapshot(provider, flagged_id, "kept",
						  FERRY_SNAPSHOT_FLAG_NONE, NULL, &error);
	g_assert_no_error(error);
	g_clear_object(&inventory);
	inventory = loaded_inventory(provider);
	rules = ferry_rules_validator_new();
	problems = ferry_rules_validator_dup_problems(rules, "vsphere");
	g_assert_cmpuint(problems != NULL ? g_strv_length(problems) : 0, ==, 0);
	rule_list = ferry_rules_validator_list_rules(rules, "vsphere");
	g_assert_cmpuint(rule_list->len, >=, 29);

	flagged = concerns_of(inventory, FERRY_VALIDATOR(rules), VM1);
	assert_concerns(flagged, flagged_expected);
	healthy = concerns_of(inventory, FERRY_VALIDATOR(rules), VM0);
	assert_concerns(healthy, healthy_expected);
	clustered = concerns_of(inventory, FERRY_VALIDATOR(rules), "DC0_C0_RP0_VM0");
	assert_concerns(clustered, clustered_expected);
}

static void
test_inventory_large(void)
{
	/* 2 resource pools × 300 = 600 VMs: more than one page */
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-vm=300", NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GPtrArray) vms = NULL;
	g_autoptr(GHashTable) names = g_hash_table_new(g_str_hash, g_str_equal);
	g_autoptr(GError) error = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	vms = ferry_inventory_list(inventory, PROVIDER_NAME, "vm", &error);
	g_assert_no_error(error);
	g_assert_cmpuint(vms->len, ==, 600);
	for (guint i = 0; i < vms->len; i++) {
		JsonObject *vm = g_ptr_array_index(vms, i);
		g_hash_table_add(names, (gpointer)json_object_get_string_member(vm, "name"));
		g_assert_cmpuint(json_array_get_length(json_object_get_array_member(vm, "disks")),
				 ==, 1);
	}
	g_assert_cmpuint(g_hash_table_size(names), ==, 600);
	/* the VMs came in pages of 500: at least one continuation */
	g_assert_cmpint(vcsim_calls(vcsim, "ContinueRetrievePropertiesEx"), >=, 1);

	/* a second load changes nothing: no revision moves */
	{
		g_autofree char *id = vm_id(inventory, VM0);
		gint64 before = ferry_inventory_get_revision(inventory, PROVIDER_NAME, "vm", id);
		g_assert_true(ferry_provider_load_inventory(provider, inventory, NULL, &error));
		g_assert_no_error(error);
		g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER_NAME, "vm", id),
				==, before);
	}
}

typedef struct {
	FerryProvider *provider;
	FerryInventory *inventory;
	GCancellable *cancellable;
	GError *error;
	gboolean ok;
} WatchThread;

/* the watch runs in its own thread, as the engine runs it */
static gpointer
watch_thread(gpointer user_data)
{
	WatchThread *data = user_data;
	data->ok = ferry_provider_watch_inventory(data->provider, data->inventory,
						  data->cancellable, &data->error);
	return NULL;
}

typedef gboolean (*InventoryCheck)(FerryInventory *inventory, const char *id, const char *value);

/* waits until @check holds, or fails after 20 s */
static gboolean
wait_for(InventoryCheck check, FerryInventory *inventory, const char *id, const char *value)
{
	for (guint i = 0; i < 2000; i++) {
		if (check(inventory, id, value))
			return TRUE;
		g_usleep(10 * 1000);
	}
	return FALSE;
}

static gboolean
vm_has_path(FerryInventory *inventory, const char *id, const char *path)
{
	g_autoptr(JsonObject) vm = ferry_inventory_get(inventory, PROVIDER_NAME, "vm", id, NULL);
	return vm != NULL && g_strcmp0(json_object_get_string_member(vm, "path"), path) == 0;
}

static gboolean
vm_is_gone(FerryInventory *inventory, const char *id, const char *unused)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(JsonObject) vm = ferry_inventory_get(inventory, PROVIDER_NAME, "vm", id, &error);
	return vm == NULL && g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
}

/* waits until the VM has @state in the inventory, or fails after 20 s */
static gboolean
wait_for_power_state(FerryInventory *inventory, const char *id, const char *state)
{
	for (guint i = 0; i < 2000; i++) {
		g_autoptr(JsonObject) vm = NULL;
		vm = ferry_inventory_get(inventory, PROVIDER_NAME, "vm", id, NULL);
		if (vm != NULL &&
		    g_strcmp0(json_object_get_string_member(vm, "powerState"), state) == 0)
			return TRUE;
		g_usleep(10 * 1000);
	}
	return FALSE;
}

static void
test_watch_power_change(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryProvider) actor = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerryInventory) scratch = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	WatchThread watch = {0};
	GThread *thread;
	gint64 revision;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = ferry_inventory_new(NULL, &error);
	g_assert_no_error(error);
	/* a second provider instance moves the VM, as another user would */
	actor = connected_provider(vcsim);
	scratch = loaded_inventory(actor);
	id = vm_id(scratch, VM0);

	watch.provider = provider;
	watch.inventory = inventory;
	watch.cancellable = cancellable;
	thread = g_thread_new("watch", watch_thread, &watch);
	g_assert_true(wait_for_power_state(inventory, id, "poweredOn"));
	g_assert_true(ferry_inventory_has_parity(inventory, PROVIDER_NAME));
	revision = ferry_inventory_get_revision(inventory, PROVIDER_NAME, "vm", id);

	g_assert_true(ferry_provider_power_off(actor, id, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(wait_for_power_state(inventory, id, "poweredOff"));
	g_assert_cmpint(ferry_inventory_get_revision(inventory, PROVIDER_NAME, "vm", id), >,
			revision);

	/* a folder renamed: the paths of the VMs in it follow */
	{
		g_autoptr(JsonObject) vm = ferry_inventory_get(inventory, PROVIDER_NAME, "vm", id,
							       &error);
		g_autofree char *call = g_strdup_printf(
		    "<Rename_Task xmlns=\"urn:vim25\"><_this type=\"Folder\">%s</_this>"
		    "<newName>production</newName></Rename_Task>",
		    json_object_get_string_member(vm, "folder"));
		g_autofree char *reply = vcsim_soap(vcsim, call);
		g_assert_nonnull(strstr(reply, "Rename_TaskResponse"));
		g_assert_true(wait_for(vm_has_path, inventory, id, "/DC0/production/" VM0));
	}
	/* a VM destroyed: it leaves the inventory */
	{
		g_autofree char *call = g_strdup_printf(
		    "<Destroy_Task xmlns=\"urn:vim25\"><_this type=\"VirtualMachine\">%s</_this>"
		    "</Destroy_Task>",
		    id);
		g_autofree char *reply = vcsim_soap(vcsim, call);
		g_assert_nonnull(strstr(reply, "Destroy_TaskResponse"));
		g_assert_true(wait_for(vm_is_gone, inventory, id, NULL));
	}

	g_cancellable_cancel(cancellable);
	g_thread_join(thread);
	g_assert_false(watch.ok);
	g_assert_error(watch.error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_clear_error(&watch.error);
	/* the inventory stays as it was */
	g_assert_true(vm_is_gone(inventory, id, NULL));
	g_assert_cmpuint(count_kind(inventory, "vm"), ==, 3);
}

static void
test_watch_relogin(void)
{
	/* sessions expire when idle: the watch's own expires while it waits */
	g_autofree char *idle = g_strdup_printf("-idle-timeout=%us", idle_seconds(2));
	g_autoptr(FerryVcsim) vcsim = vcsim_start(idle, NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryProvider) actor = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerryInventory) scratch = NULL;
	g_autoptr(GCancellable) cancellable = g_cancellable_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	WatchThread watch = {0};
	GThread *thread;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = ferry_inventory_new(NULL, &error);
	g_assert_no_error(error);
	watch.provider = provider;
	watch.inventory = inventory;
	watch.cancellable = cancellable;
	thread = g_thread_new("watch", watch_thread, &watch);
	g_usleep((2 * idle_seconds(2) + 1) * G_USEC_PER_SEC);

	actor = connected_provider(vcsim);
	scratch = loaded_inventory(actor);
	id = vm_id(scratch, VM0);
	g_assert_true(ferry_provider_power_off(actor, id, NULL, &error));
	g_assert_no_error(error);
	g_assert_true(wait_for_power_state(inventory, id, "poweredOff"));
	g_cancellable_cancel(cancellable);
	g_thread_join(thread);
	g_assert_error(watch.error, FERRY_ERROR, FERRY_ERROR_CANCELLED);
	g_clear_error(&watch.error);
}

/* --- power --- */

static void
test_power(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start(NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	id = vm_id(inventory, VM0);

	g_assert_cmpint(ferry_provider_get_power_state(provider, id, NULL, &error), ==,
			FERRY_POWER_STATE_ON);
	g_assert_no_error(error);
	g_assert_true(ferry_provider_power_off(provider, id, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(ferry_provider_get_power_state(provider, id, NULL, &error), ==,
			FERRY_POWER_STATE_OFF);

	/* the server's InvalidPowerState fault, named */
	g_assert_false(ferry_provider_power_off(provider, id, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_assert_nonnull(strstr(error->message, "powered off"));
	g_assert_nonnull(strstr(error->message, VM0));
	g_clear_error(&error);

	g_assert_true(ferry_provider_power_on(provider, id, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(ferry_provider_get_power_state(provider, id, NULL, &error), ==,
			FERRY_POWER_STATE_ON);
	g_assert_false(ferry_provider_power_on(provider, id, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
	g_clear_error(&error);

	/* a VM that does not exist */
	g_assert_cmpint(ferry_provider_get_power_state(provider, "vm-424242", NULL, &error), ==,
			FERRY_POWER_STATE_UNKNOWN);
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "vm-424242"));
}

static void
test_power_off_guest_shutdown(void)
{
	/* the rules scenario has VMware Tools running in VM0: a clean shutdown */
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-scenario=rules", NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	id = vm_id(inventory, VM0);
	g_assert_true(ferry_provider_power_off(provider, id, NULL, &error));
	g_assert_no_error(error);
	g_assert_cmpint(ferry_provider_get_power_state(provider, id, NULL, &error), ==,
			FERRY_POWER_STATE_OFF);
}

/* --- snapshots and changed areas --- */

static void
test_snapshots(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-cbt=" VM0, NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerrySnapshot) first = NULL;
	g_autoptr(FerrySnapshot) second = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(JsonObject) after = NULL;
	g_autoptr(JsonObject) details = json_object_new();
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *disk_id = NULL;
	g_auto(GStrv) disks = NULL;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	vm = find_vm(inventory, VM0);
	id = g_strdup(json_object_get_string_member(vm, "id"));
	disk_id = g_strdup(json_object_get_string_member(first_disk(vm), "id"));

	first = ferry_provider_create_snapshot(provider, id, "forklift-migration-precopy",
					       FERRY_SNAPSHOT_FLAG_QUIESCE, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(first);
	g_assert_cmpstr(ferry_snapshot_get_vm_id(first), ==, id);
	disks = ferry_snapshot_list_disks(first);
	g_assert_cmpuint(g_strv_length(disks), ==, 1);
	g_assert_cmpstr(disks[0], ==, disk_id);
	g_assert_nonnull(ferry_snapshot_get_change_id(first, disk_id));

	second = ferry_provider_create_snapshot(provider, id, "forklift-migration-precopy",
						FERRY_SNAPSHOT_FLAG_QUIESCE, NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpstr(ferry_snapshot_get_id(first), !=, ferry_snapshot_get_id(second));
	g_assert_cmpstr(ferry_snapshot_get_change_id(first, disk_id), !=,
			ferry_snapshot_get_change_id(second, disk_id));

	/* the inventory shows the current snapshot, as the snapshot rule reads it */
	g_clear_object(&inventory);
	inventory = loaded_inventory(provider);
	after = find_vm(inventory, VM0);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(after,
										    "snapshot"),
						      "kind"),
			==, "VirtualMachineSnapshot");
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(after,
										    "snapshot"),
						      "id"),
			==, ferry_snapshot_get_id(second));
	g_clear_pointer(&after, json_object_unref);

	g_assert_true(ferry_provider_remove_snapshot(provider, id, ferry_snapshot_get_id(second),
						     NULL, &error));
	g_assert_no_error(error);
	g_assert_true(ferry_provider_remove_snapshot(provider, id, ferry_snapshot_get_id(first),
						     NULL, &error));
	g_assert_no_error(error);

	/* none left */
	g_clear_object(&inventory);
	inventory = loaded_inventory(provider);
	after = find_vm(inventory, VM0);
	g_assert_cmpstr(json_object_get_string_member(json_object_get_object_member(after,
										    "snapshot"),
						      "id"),
			==, "");

	/* removing it again: an error for the engine, not for the ledger cleanup */
	g_assert_false(ferry_provider_remove_snapshot(provider, id, ferry_snapshot_get_id(first),
						      NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_clear_error(&error);
	json_object_set_string_member(details, "vmId", id);
	g_assert_true(ferry_provider_remove_artifact(provider, "snapshot",
						     ferry_snapshot_get_id(first), details, NULL,
						     &error));
	g_assert_no_error(error);
}

static void
write_cbt_script(Vcsim *vcsim, const char *vm_name, gint64 key, const char *areas)
{
	g_autofree char *name = g_strdup_printf("%s-%" G_GINT64_FORMAT ".json", vm_name, key);
	g_autofree char *path = g_build_filename(vcsim->cbt_dir, name, NULL);
	g_autofree char *json = g_strdup_printf("{\"areas\": %s}", areas);
	g_autoptr(GError) error = NULL;

	g_file_set_contents(path, json, -1, &error);
	g_assert_no_error(error);
}

static void
test_changed_areas(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-cbt=" VM0, "-disk-mb=64", NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerrySnapshot) snapshot = NULL;
	g_autoptr(FerryExtentList) all = NULL;
	g_autoptr(FerryExtentList) changed = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *id = NULL;
	g_autofree char *other = NULL;
	const char *disk_id;
	gint64 key;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	vm = find_vm(inventory, VM0);
	id = g_strdup(json_object_get_string_member(vm, "id"));
	disk_id = json_object_get_string_member(first_disk(vm), "id");
	key = json_object_get_int_member(first_disk(vm), "key");

	snapshot = ferry_provider_create_snapshot(provider, id, "precopy", FERRY_SNAPSHOT_FLAG_NONE,
						  NULL, &error);
	g_assert_no_error(error);

	/* `*`: everything allocated (the simulator: the whole disk) */
	all = ferry_provider_get_changed_areas(provider, id, disk_id,
					       ferry_snapshot_get_id(snapshot), "*", NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_extent_list_get_total(all), ==, 64 << 20);

	/* six areas: the simulator answers four at a time, so two calls */
	write_cbt_script(vcsim, VM0, key,
			 "[[0, 65536], [1048576, 4096], [2097152, 131072], [8388608, 65536],"
			 " [33554432, 1048576], [66060288, 65536]]");
	changed = ferry_provider_get_changed_areas(
	    provider, id, disk_id, ferry_snapshot_get_id(snapshot),
	    ferry_snapshot_get_change_id(snapshot, disk_id), NULL, &error);
	g_assert_no_error(error);
	g_assert_cmpuint(ferry_extent_list_get_length(changed), ==, 6);
	g_assert_cmpuint(ferry_extent_list_get(changed, 5)->offset, ==, 66060288);
	g_assert_cmpuint(ferry_extent_list_get_total(changed), ==,
			 65536 + 4096 + 131072 + 65536 + 1048576 + 65536);

	/* a disk that does not exist, and a VM without CBT */
	g_assert_null(ferry_provider_get_changed_areas(
	    provider, id, "disk-1", ferry_snapshot_get_id(snapshot), "*", NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, disk_id));
	g_clear_error(&error);
	{
		g_autoptr(JsonObject) plain = find_vm(inventory, VM1);
		g_autoptr(FerrySnapshot) plain_snapshot = NULL;
		other = g_strdup(json_object_get_string_member(plain, "id"));
		plain_snapshot = ferry_provider_create_snapshot(provider, other, "precopy",
								FERRY_SNAPSHOT_FLAG_NONE, NULL,
								&error);
		g_assert_no_error(error);
		/* without CBT there are no change ids */
		g_assert_null(ferry_snapshot_get_change_id(
		    plain_snapshot, json_object_get_string_member(first_disk(plain), "id")));
		g_assert_null(ferry_provider_get_changed_areas(
		    provider, other, json_object_get_string_member(first_disk(plain), "id"),
		    ferry_snapshot_get_id(plain_snapshot), "*", NULL, &error));
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE);
		g_assert_nonnull(strstr(error->message, "Changed Block Tracking"));
		g_clear_error(&error);
		g_assert_true(ferry_provider_remove_snapshot(
		    provider, other, ferry_snapshot_get_id(plain_snapshot), NULL, &error));
		g_assert_no_error(error);
	}
	g_assert_true(ferry_provider_remove_snapshot(provider, id, ferry_snapshot_get_id(snapshot),
						     NULL, &error));
	g_assert_no_error(error);
}

/* --- disks --- */

static GBytes *
random_image(gsize size, guint32 seed)
{
	g_autoptr(GRand) rand = g_rand_new_with_seed(seed);
	guint32 *words = g_malloc(size);

	for (gsize i = 0; i < size / sizeof(guint32); i++)
		words[i] = g_rand_int(rand);
	/* some zeroes too, as real disks have */
	memset((guint8 *)words + size / 2, 0, size / 8);
	return g_bytes_new_take(words, size);
}

static void
put_flat_file(const char *datastore, const char *vm_name, GBytes *image)
{
	g_autofree char *dir = g_build_filename(datastore, vm_name, NULL);
	g_autofree char *path = g_build_filename(dir, "disk1-flat.vmdk", NULL);
	g_autoptr(GError) error = NULL;

	g_assert_cmpint(g_mkdir_with_parents(dir, 0700), ==, 0);
	g_file_set_contents(path, g_bytes_get_data(image, NULL), g_bytes_get_size(image), &error);
	g_assert_no_error(error);
}

/* reads the whole NBD export and compares it with @image */
static void
assert_nbd_equals(const char *uri, GBytes *image)
{
	struct nbd_handle *nbd = nbd_create();
	gsize size = g_bytes_get_size(image);
	g_autofree guint8 *buffer = g_malloc(size);
	const gsize chunk = 4 << 20;

	g_assert_nonnull(nbd);
	g_assert_cmpint(nbd_connect_uri(nbd, uri), ==, 0);
	g_assert_cmpint(nbd_get_size(nbd), ==, (gint64)size);
	for (gsize offset = 0; offset < size; offset += chunk) {
		gsize length = MIN(chunk, size - offset);
		if (nbd_pread(nbd, buffer + offset, length, offset, 0) != 0)
			g_error("nbd_pread: %s", nbd_get_error());
	}
	g_assert_true(memcmp(buffer, g_bytes_get_data(image, NULL), size) == 0);
	nbd_shutdown(nbd, 0);
	nbd_close(nbd);
}

/* nbdkit must not see the cookie or the password on its command line */
static void
assert_no_secret_in_cmdline(FerryDiskEndpoint *endpoint, const char *const *secrets)
{
	GPtrArray *processes = ferry_disk_endpoint_get_processes(endpoint);
	g_autofree char *cmdline_path = NULL;
	g_autofree char *cmdline = NULL;
	gsize length = 0;

	g_assert_cmpuint(processes->len, ==, 1);
	cmdline_path = g_strdup_printf(
	    "/proc/%s/cmdline", g_subprocess_get_identifier(g_ptr_array_index(processes, 0)));
	g_assert_true(g_file_get_contents(cmdline_path, &cmdline, &length, NULL));
	for (gsize i = 0; i + 1 < length; i++) {
		if (cmdline[i] == '\0')
			cmdline[i] = ' ';
	}
	g_assert_nonnull(strstr(cmdline, "curl"));
	g_assert_null(strstr(cmdline, "vmware_soap_session"));
	for (guint i = 0; secrets[i] != NULL; i++)
		g_assert_null(strstr(cmdline, secrets[i]));
}

static void
test_disk_read(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-disk-mb=16", NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GBytes) image = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *socket_dir = NULL;
	g_autofree char *nbdkit = NULL;
	const char *const secrets[] = {"Secret-Pa55", NULL};

	if (vcsim == NULL)
		return;
	nbdkit = g_find_program_in_path("nbdkit");
	if (nbdkit == NULL) {
		g_test_skip("nbdkit is not installed");
		return;
	}
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	vm = find_vm(inventory, VM0);
	image = random_image(16 << 20, 42);
	put_flat_file(vcsim->datastore, VM0, image);

	endpoint = ferry_provider_open_disk(provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(first_disk(vm), "id"),
					    NULL, NULL, &error);
	g_assert_no_error(error);
	g_assert_nonnull(endpoint);
	g_assert_cmpint(ferry_disk_endpoint_get_size(endpoint), ==, 16 << 20);
	g_assert_cmpstr(ferry_disk_endpoint_get_format(endpoint), ==, "raw");
	g_assert_true(g_str_has_prefix(ferry_disk_endpoint_get_uri(endpoint), "nbd+unix://"));
	g_assert_nonnull(strstr(ferry_disk_endpoint_get_description(endpoint), VM0));
	assert_no_secret_in_cmdline(endpoint, secrets);
	assert_nbd_equals(ferry_disk_endpoint_get_uri(endpoint), image);

	/* closing stops nbdkit and removes its private directory (cookie, CA) */
	socket_dir = g_path_get_dirname(strstr(ferry_disk_endpoint_get_uri(endpoint), "socket=") +
					strlen("socket="));
	g_assert_true(ferry_disk_endpoint_close(endpoint, &error));
	g_assert_no_error(error);
	g_assert_false(g_file_test(socket_dir, G_FILE_TEST_EXISTS));
}

static void
test_disk_errors(void)
{
	g_autoptr(FerryVcsim) vcsim = vcsim_start("-disk-mb=4", NULL);
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autofree char *flat = NULL;
	g_autofree char *empty_dir = NULL;
	const char *id;
	const char *disk_id;

	if (vcsim == NULL)
		return;
	provider = connected_provider(vcsim);
	inventory = loaded_inventory(provider);
	vm = find_vm(inventory, VM1);
	id = json_object_get_string_member(vm, "id");
	disk_id = json_object_get_string_member(first_disk(vm), "id");

	/* the simulator's placeholder: a 0-byte file where 4 MiB should be */
	g_assert_null(ferry_provider_open_disk(provider, id, disk_id, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
	g_assert_nonnull(strstr(error->message, "capacity"));
	g_clear_error(&error);

	/* no flat file at all */
	flat = g_build_filename(vcsim->datastore, VM1, "disk1-flat.vmdk", NULL);
	g_unlink(flat);
	g_assert_null(ferry_provider_open_disk(provider, id, disk_id, NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_assert_nonnull(strstr(error->message, "[LocalDS_0] " VM1 "/disk1-flat.vmdk"));
	g_clear_error(&error);

	/* a disk the VM does not have */
	g_assert_null(ferry_provider_open_disk(provider, id, "disk-77", NULL, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND);
	g_clear_error(&error);

	/* VDDK asked for, but not here */
	empty_dir = g_dir_make_tmp("ferry-vddk-XXXXXX", &error);
	g_assert_no_error(error);
	g_object_unref(provider);
	provider = new_provider();
	secret = vcsim_secret(vcsim, NULL);
	config = vcsim_config(vcsim, secret);
	ferry_provider_config_set_setting(config, "vddkLibdir", empty_dir);
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_null(ferry_provider_open_disk(provider, id, disk_id, NULL, NULL, &error));
	g_assert_nonnull(error);
	g_assert_true(error->domain == FERRY_ERROR &&
		      (error->code == FERRY_ERROR_NOT_SUPPORTED || error->code == FERRY_ERROR_NOT_FOUND));
	g_assert_nonnull(strstr(error->message, "vddkLibdir"));
	g_assert_nonnull(strstr(error->message, "VDDK"));
	g_rmdir(empty_dir);
}

/* --- ESXi --- */

static void
test_esxi(void)
{
	g_autoptr(FerryVcsim) esx = vcsim_start("-esx", NULL);
	g_autoptr(FerryVcsim) vcenter = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GPtrArray) datacenters = NULL;

	if (esx == NULL)
		return;
	provider = new_provider();
	secret = vcsim_secret(esx, NULL);
	config = vcsim_config(esx, secret);
	ferry_provider_config_set_setting(config, "sdkEndpoint", "esxi");
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_no_error(error);
	inventory = loaded_inventory(provider);
	datacenters = ferry_inventory_list(inventory, PROVIDER_NAME, "datacenter", &error);
	g_assert_cmpuint(datacenters->len, ==, 1);
	g_assert_cmpstr(json_object_get_string_member(g_ptr_array_index(datacenters, 0), "name"),
			==, "ha-datacenter");
	g_assert_cmpuint(count_kind(inventory, "host"), ==, 1);
	g_assert_cmpuint(count_kind(inventory, "vm"), ==, 2);

	/* sdkEndpoint esxi against a vCenter */
	vcenter = vcsim_start(NULL);
	g_object_unref(provider);
	provider = new_provider();
	g_object_unref(config);
	config = vcsim_config(vcenter, secret);
	ferry_provider_config_set_setting(config, "sdkEndpoint", "esxi");
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
	g_assert_nonnull(strstr(error->message, "sdkEndpoint"));
	g_clear_error(&error);
	ferry_provider_config_set_setting(config, "sdkEndpoint", "vpx");
	g_assert_false(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT);
}

static void
test_host_endpoint(void)
{
	/* a vCenter, and an ESXi host that serves the disks of one of its hosts */
	g_autoptr(FerryVcsim) vcenter = vcsim_start("-disk-mb=8", NULL);
	g_autoptr(FerryVcsim) esx = NULL;
	g_autoptr(FerryProvider) provider = NULL;
	g_autoptr(FerryInventory) inventory = NULL;
	g_autoptr(FerrySecret) secret = NULL;
	g_autoptr(FerrySecret) host_secret = NULL;
	g_autoptr(FerryProviderConfig) config = NULL;
	g_autoptr(FerryDiskEndpoint) endpoint = NULL;
	g_autoptr(JsonObject) vm = NULL;
	g_autoptr(GBytes) on_vcenter = NULL;
	g_autoptr(GBytes) on_host = NULL;
	g_autoptr(GError) error = NULL;
	g_autofree char *address = NULL;

	if (vcenter == NULL)
		return;
	esx = vcsim_start("-esx", NULL);
	provider = new_provider();
	secret = vcsim_secret(vcenter, NULL);
	config = vcsim_config(vcenter, secret);
	/* the Host's own Secret has only credentials: TLS comes from the Provider */
	host_secret = ferry_secret_new("host-credentials");
	ferry_secret_set_string(host_secret, "user", "admin");
	ferry_secret_set_string(host_secret, "password", "Secret-Pa55");
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	inventory = loaded_inventory(provider);
	vm = find_vm(inventory, VM0);
	address = g_strdup(esx->url + strlen("https://"));
	*strchr(address, '/') = '\0';
	ferry_provider_config_add_host(config, json_object_get_string_member(vm, "host"), address,
				       host_secret);
	g_assert_true(ferry_provider_connect(provider, config, NULL, &error));
	g_assert_no_error(error);

	/* different bytes on each: the read must come from the host */
	on_vcenter = random_image(8 << 20, 1);
	on_host = random_image(8 << 20, 2);
	put_flat_file(vcenter->datastore, VM0, on_vcenter);
	put_flat_file(esx->datastore, VM0, on_host);
	endpoint = ferry_provider_open_disk(provider, json_object_get_string_member(vm, "id"),
					    json_object_get_string_member(first_disk(vm), "id"),
					    NULL, NULL, &error);
	g_assert_no_error(error);
	assert_nbd_equals(ferry_disk_endpoint_get_uri(endpoint), on_host);

	/* the Host's own TLS keys win over the Provider's: a wrong pin fails,
	 * naming the host */
	{
		g_autoptr(FerryProvider) pinned = new_provider();
		g_autoptr(FerrySecret) pinned_secret = ferry_secret_new("host-pinned");
		g_autoptr(FerryDiskEndpoint) refused = NULL;
		g_autofree char *expect = g_strdup_printf(
		    "Host/%s", json_object_get_string_member(vm, "host"));

		ferry_secret_set_string(pinned_secret, "user", FERRY_VCSIM_USER);
		ferry_secret_set_string(pinned_secret, "password", FERRY_VCSIM_PASSWORD);
		ferry_secret_set_string(pinned_secret, "thumbprint",
					"00:11:22:33:44:55:66:77:88:99:AA:BB:CC:DD:EE:FF:00:11:22:33");
		ferry_provider_config_add_host(config, json_object_get_string_member(vm, "host"),
					       address, pinned_secret);
		g_assert_true(ferry_provider_connect(pinned, config, NULL, &error));
		refused = ferry_provider_open_disk(
		    pinned, json_object_get_string_member(vm, "id"),
		    json_object_get_string_member(first_disk(vm), "id"), NULL, NULL, &error);
		g_assert_null(refused);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED);
		g_assert_nonnull(strstr(error->message, expect));
	}

	/* a Host without a Secret (as older Forklift manifests wrote it) tries
	 * the Provider's credentials; when the ESXi host wants its own, the
	 * disk fails naming the Host and the fix */
	{
		g_autoptr(FerryVcsim) own = vcsim_start("-esx", "-password=Host-Own-Pa55", NULL);
		g_autoptr(FerryProvider) bare = new_provider();
		g_autoptr(FerryDiskEndpoint) refused = NULL;
		g_autofree char *own_address = g_strdup(own->url + strlen("https://"));
		g_autofree char *expect = g_strdup_printf(
		    "Host/%s", json_object_get_string_member(vm, "host"));

		g_clear_error(&error);
		*strchr(own_address, '/') = '\0';
		ferry_provider_config_add_host(config, json_object_get_string_member(vm, "host"),
					       own_address, NULL);
		g_assert_true(ferry_provider_connect(bare, config, NULL, &error));
		refused = ferry_provider_open_disk(
		    bare, json_object_get_string_member(vm, "id"),
		    json_object_get_string_member(first_disk(vm), "id"), NULL, NULL, &error);
		g_assert_null(refused);
		g_assert_error(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED);
		g_assert_nonnull(strstr(error->message, expect));
		g_assert_nonnull(strstr(error->message, "has no spec.secret"));
	}
}

int
main(int argc, char **argv)
{
	g_autoptr(GError) error = NULL;
	int status;

	g_test_init(&argc, &argv, NULL);
	cert_dir = g_dir_make_tmp("ferry-vcsim-cert-XXXXXX", &error);
	g_assert_no_error(error);

	g_test_add_func("/vsphere/connect/good", test_connect_good);
	g_test_add_func("/vsphere/connect/bad-password", test_connect_bad_password);
	g_test_add_func("/vsphere/connect/missing-keys", test_connect_missing_keys);
	g_test_add_func("/vsphere/connect/unreachable", test_connect_unreachable);
	g_test_add_func("/vsphere/connect/plain-http", test_connect_plain_http);
	g_test_add_func("/vsphere/connect/not-sdk", test_connect_not_sdk);
	g_test_add_func("/vsphere/connect/not-connected", test_not_connected);
	g_test_add_func("/vsphere/connect/relogin", test_relogin);
	g_test_add_func("/vsphere/connect/logout-hung-server", test_logout_hung_server);
	g_test_add_func("/vsphere/tls/modes", test_tls_modes);
	g_test_add_func("/vsphere/tls/ca-with-wrong-pin", test_tls_ca_with_wrong_pin);
	g_test_add_func("/vsphere/inventory/default", test_inventory_default);
	g_test_add_func("/vsphere/inventory/rules", test_inventory_rules);
	g_test_add_func("/vsphere/inventory/rules-fire", test_inventory_rules_fire);
	g_test_add_func("/vsphere/inventory/large", test_inventory_large);
	g_test_add_func("/vsphere/inventory/watch", test_watch_power_change);
	g_test_add_func("/vsphere/inventory/watch-relogin", test_watch_relogin);
	g_test_add_func("/vsphere/power/on-off", test_power);
	g_test_add_func("/vsphere/power/guest-shutdown", test_power_off_guest_shutdown);
	g_test_add_func("/vsphere/snapshot/create-remove", test_snapshots);
	g_test_add_func("/vsphere/snapshot/changed-areas", test_changed_areas);
	g_test_add_func("/vsphere/disk/read", test_disk_read);
	g_test_add_func("/vsphere/disk/errors", test_disk_errors);
	g_test_add_func("/vsphere/esxi/direct", test_esxi);
	g_test_add_func("/vsphere/esxi/host-endpoint", test_host_endpoint);
	status = g_test_run();

	ferry_vcsim_remove_dir(cert_dir);
	g_free(cert_dir);
	return status;
}
