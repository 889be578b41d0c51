/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-provider-config.h"
#include "ferry-util-private.h"

/**
 * FerryProviderConfig:
 *
 * What a provider plugin needs to connect: the Provider resource's type,
 * namespace, name, `spec.url`, `spec.settings` (`sdkEndpoint`,
 * `vddkInitImage`, …), the referenced Secret, and the Host resources that
 * name other endpoints for some of its hosts (vSphere ESXi transfer
 * networks). The core builds one from the model; plugins only read it.
 *
 * Since: 0.1
 */

typedef struct {
	char *address;
	FerrySecret *secret;
} Host;

struct _FerryProviderConfig {
	GObject parent_instance;
	char *provider_type;
	char *name_space;
	char *name;
	char *url;
	char *state_dir;
	FerrySecret *secret;
	GHashTable *settings; /* string → string */
	GHashTable *hosts;    /* id → Host */
};

G_DEFINE_TYPE(FerryProviderConfig, ferry_provider_config, G_TYPE_OBJECT)

static void
ferry_provider_config_host_free(gpointer data)
{
	Host *host = data;
	g_free(host->address);
	g_clear_object(&host->secret);
	g_free(host);
}

static void
ferry_provider_config_finalize(GObject *object)
{
	FerryProviderConfig *self = FERRY_PROVIDER_CONFIG(object);
	g_free(self->provider_type);
	g_free(self->name_space);
	g_free(self->name);
	g_free(self->url);
	g_free(self->state_dir);
	g_clear_object(&self->secret);
	g_hash_table_unref(self->settings);
	g_hash_table_unref(self->hosts);
	G_OBJECT_CLASS(ferry_provider_config_parent_class)->finalize(object);
}

static void
ferry_provider_config_class_init(FerryProviderConfigClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_provider_config_finalize;
}

static void
ferry_provider_config_init(FerryProviderConfig *self)
{
	self->settings = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
	self->hosts = g_hash_table_new_full(g_str_hash, g_str_equal, g_free,
					    ferry_provider_config_host_free);
}

/**
 * ferry_provider_config_new:
 * @provider_type: the provider type, e.g. `vsphere`
 * @name_space: (nullable): the namespace of the Provider resource
 * @name: the name of the Provider resource
 *
 * Returns: (transfer full): a new configuration
 *
 * Since: 0.1
 */
FerryProviderConfig *
ferry_provider_config_new(const char *provider_type, const char *name_space, const char *name)
{
	FerryProviderConfig *self;
	g_return_val_if_fail(provider_type != NULL, NULL);
	g_return_val_if_fail(name != NULL, NULL);
	self = g_object_new(FERRY_TYPE_PROVIDER_CONFIG, NULL);
	self->provider_type = g_strdup(provider_type);
	self->name_space = g_strdup(name_space);
	self->name = g_strdup(name);
	return self;
}

/**
 * ferry_provider_config_get_provider_type:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none): the provider type
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_provider_type(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->provider_type;
}

/**
 * ferry_provider_config_get_namespace:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none) (nullable): the namespace
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_namespace(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->name_space;
}

/**
 * ferry_provider_config_get_name:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none): the name of the Provider resource
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_name(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->name;
}

/**
 * ferry_provider_config_dup_display_name:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer full): `Provider/NAMESPACE/NAME` (or `Provider/NAME`),
 *   the form messages use to name the provider
 *
 * Since: 0.1
 */
char *
ferry_provider_config_dup_display_name(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	if (self->name_space != NULL && self->name_space[0] != '\0')
		return g_strdup_printf("Provider/%s/%s", self->name_space, self->name);
	return g_strdup_printf("Provider/%s", self->name);
}

/**
 * ferry_provider_config_set_url:
 * @self: a #FerryProviderConfig
 * @url: (nullable): `spec.url`
 *
 * Since: 0.1
 */
void
ferry_provider_config_set_url(FerryProviderConfig *self, const char *url)
{
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(self));
	g_free(self->url);
	self->url = g_strdup(url);
}

/**
 * ferry_provider_config_get_url:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none) (nullable): `spec.url`
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_url(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->url;
}

/**
 * ferry_provider_config_set_secret:
 * @self: a #FerryProviderConfig
 * @secret: (nullable): the credentials
 *
 * Since: 0.1
 */
void
ferry_provider_config_set_secret(FerryProviderConfig *self, FerrySecret *secret)
{
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(self));
	g_return_if_fail(secret == NULL || FERRY_IS_SECRET(secret));
	g_set_object(&self->secret, secret);
}

/**
 * ferry_provider_config_get_secret:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none) (nullable): the credentials
 *
 * Since: 0.1
 */
FerrySecret *
ferry_provider_config_get_secret(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->secret;
}

/**
 * ferry_provider_config_set_setting:
 * @self: a #FerryProviderConfig
 * @key: a key of `spec.settings`
 * @value: (nullable): its value; %NULL removes it
 *
 * Since: 0.1
 */
void
ferry_provider_config_set_setting(FerryProviderConfig *self, const char *key, const char *value)
{
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(self));
	g_return_if_fail(key != NULL);
	if (value == NULL)
		g_hash_table_remove(self->settings, key);
	else
		g_hash_table_replace(self->settings, g_strdup(key), g_strdup(value));
}

/**
 * ferry_provider_config_get_setting:
 * @self: a #FerryProviderConfig
 * @key: a key of `spec.settings`
 *
 * Returns: (transfer none) (nullable): its value
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_setting(FerryProviderConfig *self, const char *key)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	g_return_val_if_fail(key != NULL, NULL);
	return g_hash_table_lookup(self->settings, key);
}

/**
 * ferry_provider_config_list_settings:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer full): the setting keys, sorted
 *
 * Since: 0.1
 */
GStrv
ferry_provider_config_list_settings(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return ferry_hash_table_dup_sorted_keys(self->settings);
}

/**
 * ferry_provider_config_set_state_dir:
 * @self: a #FerryProviderConfig
 * @state_dir: (nullable): a directory the plugin may use for caches and
 *   files it owns (unpacked archives, downloaded certificates)
 *
 * Since: 0.1
 */
void
ferry_provider_config_set_state_dir(FerryProviderConfig *self, const char *state_dir)
{
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(self));
	g_free(self->state_dir);
	self->state_dir = g_strdup(state_dir);
}

/**
 * ferry_provider_config_get_state_dir:
 * @self: a #FerryProviderConfig
 *
 * Returns: (transfer none) (nullable): the plugin's state directory
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_state_dir(FerryProviderConfig *self)
{
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	return self->state_dir;
}

/**
 * ferry_provider_config_add_host:
 * @self: a #FerryProviderConfig
 * @host_id: the inventory id of the host (`spec.id` of a Host resource)
 * @ip_address: the address to use for disk transfers from that host
 * @secret: (nullable): credentials for that host
 *
 * Since: 0.1
 */
void
ferry_provider_config_add_host(FerryProviderConfig *self,
			       const char *host_id,
			       const char *ip_address,
			       FerrySecret *secret)
{
	Host *host;
	g_return_if_fail(FERRY_IS_PROVIDER_CONFIG(self));
	g_return_if_fail(host_id != NULL);
	g_return_if_fail(ip_address != NULL);
	host = g_new0(Host, 1);
	host->address = g_strdup(ip_address);
	host->secret = secret != NULL ? g_object_ref(secret) : NULL;
	g_hash_table_replace(self->hosts, g_strdup(host_id), host);
}

/**
 * ferry_provider_config_get_host_address:
 * @self: a #FerryProviderConfig
 * @host_id: the inventory id of a host
 *
 * Returns: (transfer none) (nullable): the transfer address of that host
 *
 * Since: 0.1
 */
const char *
ferry_provider_config_get_host_address(FerryProviderConfig *self, const char *host_id)
{
	Host *host;
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	host = g_hash_table_lookup(self->hosts, host_id);
	return host != NULL ? host->address : NULL;
}

/**
 * ferry_provider_config_get_host_secret:
 * @self: a #FerryProviderConfig
 * @host_id: the inventory id of a host
 *
 * Returns: (transfer none) (nullable): the credentials of that host
 *
 * Since: 0.1
 */
FerrySecret *
ferry_provider_config_get_host_secret(FerryProviderConfig *self, const char *host_id)
{
	Host *host;
	g_return_val_if_fail(FERRY_IS_PROVIDER_CONFIG(self), NULL);
	host = g_hash_table_lookup(self->hosts, host_id);
	return host != NULL ? host->secret : NULL;
}
