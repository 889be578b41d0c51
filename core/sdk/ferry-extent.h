/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#if !defined(__FERRY_H_INSIDE__) && !defined(FERRY_COMPILATION)
#error "Only <ferry.h> or <ferry-plugin-sdk.h> can be included directly."
#endif

#include <glib-object.h>

G_BEGIN_DECLS

/**
 * FerryExtentFlags:
 * @FERRY_EXTENT_FLAG_NONE: the range holds data
 * @FERRY_EXTENT_FLAG_HOLE: the range is not allocated (NBD_STATE_HOLE)
 * @FERRY_EXTENT_FLAG_ZERO: the range reads as zeroes (NBD_STATE_ZERO)
 *
 * What is known about a range of a disk. The values equal the NBD
 * `base:allocation` bits, so block-status answers can be stored unchanged.
 *
 * Since: 0.1
 */
typedef enum /*< flags >*/ {
	FERRY_EXTENT_FLAG_NONE = 0,
	FERRY_EXTENT_FLAG_HOLE = 1 << 0,
	FERRY_EXTENT_FLAG_ZERO = 1 << 1,
} FerryExtentFlags;

/**
 * FerryExtent:
 * @offset: first byte of the range
 * @length: length of the range in bytes
 * @flags: what is known about the range
 *
 * One range of a disk.
 *
 * Since: 0.1
 */
typedef struct {
	guint64 offset;
	guint64 length;
	FerryExtentFlags flags;
} FerryExtent;

#define FERRY_TYPE_EXTENT_LIST (ferry_extent_list_get_type())

/**
 * FerryExtentList:
 *
 * An ordered list of non-overlapping disk ranges: changed areas reported by a
 * provider, the allocation map of a disk, or the ranges a copy still has to do.
 *
 * Since: 0.1
 */
typedef struct _FerryExtentList FerryExtentList;

GType
ferry_extent_list_get_type(void) G_GNUC_CONST;
FerryExtentList *
ferry_extent_list_new(void);
FerryExtentList *
ferry_extent_list_ref(FerryExtentList *self);
void
ferry_extent_list_unref(FerryExtentList *self);
gboolean
ferry_extent_list_add(FerryExtentList *self,
		      guint64 offset,
		      guint64 length,
		      FerryExtentFlags flags,
		      GError **error);
guint
ferry_extent_list_get_length(FerryExtentList *self);
const FerryExtent *
ferry_extent_list_get(FerryExtentList *self, guint index);
gboolean
ferry_extent_list_get_extent(FerryExtentList *self,
			     guint index,
			     guint64 *offset,
			     guint64 *length,
			     FerryExtentFlags *flags);
guint64
ferry_extent_list_get_total(FerryExtentList *self);
guint64
ferry_extent_list_get_data_total(FerryExtentList *self);
guint64
ferry_extent_list_get_end(FerryExtentList *self);
FerryExtentList *
ferry_extent_list_subtract(FerryExtentList *self, FerryExtentList *done);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryExtentList, ferry_extent_list_unref)

G_END_DECLS
