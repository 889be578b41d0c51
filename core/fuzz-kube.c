/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The Kubernetes client's parsers on any input: a kubeconfig
 * (FERRY_FUZZ_KUBE_CONFIG), an API server's error reply (FERRY_FUZZ_KUBE_STATUS;
 * the first two bytes are the HTTP status) or a watch stream
 * (FERRY_FUZZ_KUBE_WATCH). Each gives a clean error or a result, never a
 * crash, and nothing is sent anywhere.
 */

#include <stdint.h>

#include "ferry-kube-private.h"
#include "ferry.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#if defined(FERRY_FUZZ_KUBE_CONFIG)
static void
fuzz_one(const uint8_t *data, size_t size)
{
	g_autofree char *text = g_strndup((const char *)data, size);
	g_autoptr(GError) error = NULL;
	/* relative certificate and token paths resolve below a folder that does not exist */
	g_autoptr(FerryKubeConfig) config =
	    ferry_kube_config_new_from_data(text, "/nonexistent/ferry-fuzz", NULL, &error);

	g_assert_true((config == NULL) == (error != NULL));
	if (config != NULL) {
		g_assert_nonnull(ferry_kube_config_get_server(config));
		(void)ferry_kube_config_get_namespace(config);
		(void)ferry_kube_config_get_auth_kind(config);
		(void)ferry_kube_config_get_ca_certificates(config);
	}
}
#elif defined(FERRY_FUZZ_KUBE_STATUS)
static void
fuzz_one(const uint8_t *data, size_t size)
{
	g_autoptr(FerryKubeConfig) config = NULL;
	g_autoptr(GError) error = NULL;
	g_autoptr(GBytes) body = NULL;
	g_autofree char *reason = NULL;
	FerryKubeTarget target = {.verb = "create",
				  .group = "kubevirt.io",
				  .resource = "virtualmachines",
				  .namespace = "migrated",
				  .name = "web-01"};
	guint status;

	if (size < 2)
		return;
	status = 100 + (((guint)data[0] << 8 | data[1]) % 500);
	body = g_bytes_new(data + 2, size - 2);
	config = ferry_kube_config_new_from_data(
	    "{\"clusters\": [{\"name\": \"c\", \"cluster\": {\"server\": \"https://api.fuzz:6443\"}}],"
	    " \"users\": [{\"name\": \"u\", \"user\": {\"token\": \"t\"}}],"
	    " \"contexts\": [{\"name\": \"x\", \"context\": {\"cluster\": \"c\", \"user\": \"u\"}}],"
	    " \"current-context\": \"x\"}",
	    NULL, NULL, &error);
	g_assert_no_error(error);
	ferry_kube_set_status_error(&error, config, &target, status, body);
	g_assert_nonnull(error);
	g_assert_true(g_utf8_validate(error->message, -1, NULL));
	reason = ferry_kube_status_dup_reason(body);
	g_assert_true(reason == NULL || g_utf8_validate(reason, -1, NULL));
}
#elif defined(FERRY_FUZZ_KUBE_WATCH)
static void
fuzz_one(const uint8_t *data, size_t size)
{
	g_autoptr(FerryKubeWatch) watch = ferry_kube_watch_new_detached("pods");
	g_autoptr(GInputStream) stream =
	    g_memory_input_stream_new_from_data(g_memdup2(data, size), size, g_free);
	g_autofree char *version = NULL;

	(void)ferry_kube_watch_read_stream(watch, stream);
	version = ferry_kube_watch_dup_resource_version(watch);
	(void)ferry_kube_watch_count_known(watch);
	g_clear_object(&watch);
	/* the queued event signals find their watch gone and are dropped */
	while (g_main_context_iteration(NULL, FALSE))
		;
}
#else
#error "define FERRY_FUZZ_KUBE_CONFIG, FERRY_FUZZ_KUBE_STATUS or FERRY_FUZZ_KUBE_WATCH"
#endif

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_one(data, size);
	return 0;
}
