/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 *
 * Fuzz target: the OVA archive lister (names, types, sizes, offsets) and
 * the manifest parser, on whatever member is called *.mf.
 */

#include "config.h"

#include <stdint.h>
#include <string.h>

#include "ferry-ova-archive.h"
#include "ferry-ova-manifest.h"

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	g_autoptr(GError) error = NULL;
	g_autoptr(FerryOvaArchive) archive =
	    ferry_ova_archive_open_memory(data, size, "fuzz.ova", &error);
	const FerryOvaMember *mf;

	g_assert((archive == NULL) != (error == NULL));
	if (archive == NULL)
		return 0;
	for (guint i = 0; i < archive->members->len; i++) {
		FerryOvaMember *member = g_ptr_array_index(archive->members, i);
		g_auto(GStrv) parts = g_strsplit(member->name, "/", -1);
		g_assert(member->name[0] != '/');
		g_assert(!g_strv_contains((const char *const *)parts, ".."));
		if (archive->in_place)
			g_assert(member->offset + member->size <= size);
	}
	mf = ferry_ova_archive_find_suffix(archive, ".mf");
	if (archive->in_place && mf != NULL) {
		g_autoptr(GHashTable) manifest =
		    ferry_ova_manifest_parse((const char *)data + mf->offset, (gsize)mf->size,
					     "fuzz.mf", NULL);
		(void)manifest;
	}
	return 0;
}
