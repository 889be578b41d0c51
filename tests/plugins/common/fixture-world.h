/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * The disk plumbing shared by the fixture providers testprov and acme
 * (fixture-world.c): a world file, its mutable state, qcow2 disks served by
 * qemu-nbd, dirty bitmaps as changed-block tracking, power, snapshots,
 * target disks and failure/delay injection. Test fixtures only.
 */

#pragma once

#include <ferry-plugin-sdk.h>

G_BEGIN_DECLS

typedef struct {
	char *name; /* in messages: "the NAME provider" */
	char *world_path;
	char *state_path;
	char *exports_dir;
	JsonObject *world; /* the world file, loaded by connect */
} FixtureWorld;

/* call from the provider's instance init; NAME is used in messages */
void fixture_world_attach(GObject *provider, const char *name);
FixtureWorld *fixture_world_get(FerryProvider *provider);
/* sets connect, power, snapshots, changed areas, disks, create/remove VM and
 * remove_artifact; the plugin sets its type, capabilities, inventory and
 * describe_vm */
void fixture_world_iface_init(FerryProviderInterface *iface);

G_END_DECLS
