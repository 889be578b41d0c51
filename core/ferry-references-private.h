/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include "ferry-resource.h"

G_BEGIN_DECLS

/* "Kind/namespace/name", the key of a resource in an index */
char *ferry_references_key(const char *kind, const char *name_space, const char *name);

/* the keys of every resource @resource refers to */
GPtrArray *ferry_references_list(FerryResource *resource);

/* re-asserts the reference conditions of @resource (SecretNotValid,
 * SourceProviderNotValid, NetworkMapRefNotValid, …) against @index
 * (key → FerryResource) and @secrets ("namespace/name" → FerrySecret) and
 * updates Ready; conditions of other types are kept */
void ferry_references_check(FerryResource *resource, GHashTable *index, GHashTable *secrets);

G_END_DECLS
