/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

/* the inventory kinds, Forklift's names */
#define FERRY_OPENSTACK_KIND_PROJECT "project"
#define FERRY_OPENSTACK_KIND_REGION "region"
#define FERRY_OPENSTACK_KIND_FLAVOR "flavor"
#define FERRY_OPENSTACK_KIND_VM "vm"
#define FERRY_OPENSTACK_KIND_VOLUME "volume"
#define FERRY_OPENSTACK_KIND_VOLUME_TYPE "volumetype"
#define FERRY_OPENSTACK_KIND_IMAGE "image"
#define FERRY_OPENSTACK_KIND_NETWORK "network"
#define FERRY_OPENSTACK_KIND_SUBNET "subnet"
#define FERRY_OPENSTACK_KIND_SNAPSHOT "snapshot"

/* the disk id of an image-booted server's root disk */
#define FERRY_OPENSTACK_ROOT_DISK "root"

JsonObject *
ferry_openstack_map(const char *kind, JsonObject *api);
GPtrArray *
ferry_openstack_parse_list(const char *kind,
			   const char *data,
			   gssize length,
			   char **next,
			   GError **error);
const char *
ferry_openstack_list_member(const char *kind);
void
ferry_openstack_add_disks(JsonObject *vm, GPtrArray *flavors, GPtrArray *images, GPtrArray *volumes);

G_END_DECLS
