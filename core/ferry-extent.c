/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-extent.h"

struct _FerryExtentList {
	gatomicrefcount refcount;
	GArray *extents; /* of FerryExtent, sorted, non-overlapping */
};

G_DEFINE_BOXED_TYPE(FerryExtentList, ferry_extent_list, ferry_extent_list_ref,
		    ferry_extent_list_unref)

/**
 * ferry_extent_list_new:
 *
 * Returns: (transfer full): a new empty list
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_extent_list_new(void)
{
	FerryExtentList *self = g_new0(FerryExtentList, 1);
	g_atomic_ref_count_init(&self->refcount);
	self->extents = g_array_new(FALSE, FALSE, sizeof(FerryExtent));
	return self;
}

/**
 * ferry_extent_list_ref:
 * @self: a #FerryExtentList
 *
 * Returns: (transfer full): @self
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_extent_list_ref(FerryExtentList *self)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_atomic_ref_count_inc(&self->refcount);
	return self;
}

/**
 * ferry_extent_list_unref:
 * @self: (transfer full): a #FerryExtentList
 *
 * Drops a reference; the list is freed with the last one.
 *
 * Since: 0.1
 */
void
ferry_extent_list_unref(FerryExtentList *self)
{
	g_return_if_fail(self != NULL);
	if (!g_atomic_ref_count_dec(&self->refcount))
		return;
	g_array_unref(self->extents);
	g_free(self);
}

/**
 * ferry_extent_list_add:
 * @self: a #FerryExtentList
 * @offset: first byte
 * @length: length in bytes; 0 is ignored
 * @flags: what is known about the range
 * @error: return location for a #GError
 *
 * Appends a range. Ranges must be added in ascending order and must not
 * overlap the previous one; an adjacent range with the same flags is merged
 * into it.
 *
 * Returns: %TRUE, or %FALSE with %FERRY_ERROR_INVALID_DATA for an overlap,
 *   a range out of order or one that wraps past 2^64
 *
 * Since: 0.1
 */
gboolean
ferry_extent_list_add(FerryExtentList *self,
		      guint64 offset,
		      guint64 length,
		      FerryExtentFlags flags,
		      GError **error)
{
	FerryExtent extent = {offset, length, flags};

	g_return_val_if_fail(self != NULL, FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	if (length == 0)
		return TRUE;
	if (offset + length < offset) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
			    "extent at %" G_GUINT64_FORMAT " of length %" G_GUINT64_FORMAT
			    " runs past the largest possible offset",
			    offset, length);
		return FALSE;
	}
	if (self->extents->len > 0) {
		FerryExtent *last =
		    &g_array_index(self->extents, FerryExtent, self->extents->len - 1);
		guint64 last_end = last->offset + last->length;
		if (offset < last_end) {
			g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA,
				    "extent at %" G_GUINT64_FORMAT
				    " overlaps or precedes the previous one ending at "
				    "%" G_GUINT64_FORMAT,
				    offset, last_end);
			return FALSE;
		}
		if (offset == last_end && last->flags == flags) {
			last->length += length;
			return TRUE;
		}
	}
	g_array_append_val(self->extents, extent);
	return TRUE;
}

/**
 * ferry_extent_list_get_length:
 * @self: a #FerryExtentList
 *
 * Returns: the number of ranges
 *
 * Since: 0.1
 */
guint
ferry_extent_list_get_length(FerryExtentList *self)
{
	g_return_val_if_fail(self != NULL, 0);
	return self->extents->len;
}

/**
 * ferry_extent_list_get: (skip)
 * @self: a #FerryExtentList
 * @index: index of the range
 *
 * Returns: (transfer none): the range, valid until the list changes
 *
 * Since: 0.1
 */
const FerryExtent *
ferry_extent_list_get(FerryExtentList *self, guint index)
{
	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(index < self->extents->len, NULL);
	return &g_array_index(self->extents, FerryExtent, index);
}

/**
 * ferry_extent_list_get_extent:
 * @self: a #FerryExtentList
 * @index: index of the range
 * @offset: (out) (optional): first byte
 * @length: (out) (optional): length
 * @flags: (out) (optional): flags
 *
 * Binding-friendly form of ferry_extent_list_get().
 *
 * Returns: %FALSE when @index is out of range
 *
 * Since: 0.1
 */
gboolean
ferry_extent_list_get_extent(FerryExtentList *self,
			     guint index,
			     guint64 *offset,
			     guint64 *length,
			     FerryExtentFlags *flags)
{
	const FerryExtent *extent;

	g_return_val_if_fail(self != NULL, FALSE);
	if (index >= self->extents->len)
		return FALSE;
	extent = &g_array_index(self->extents, FerryExtent, index);
	if (offset != NULL)
		*offset = extent->offset;
	if (length != NULL)
		*length = extent->length;
	if (flags != NULL)
		*flags = extent->flags;
	return TRUE;
}

/**
 * ferry_extent_list_get_total:
 * @self: a #FerryExtentList
 *
 * Returns: the sum of the lengths of all ranges
 *
 * Since: 0.1
 */
guint64
ferry_extent_list_get_total(FerryExtentList *self)
{
	guint64 total = 0;
	g_return_val_if_fail(self != NULL, 0);
	for (guint i = 0; i < self->extents->len; i++)
		total += g_array_index(self->extents, FerryExtent, i).length;
	return total;
}

/**
 * ferry_extent_list_get_data_total:
 * @self: a #FerryExtentList
 *
 * Returns: the sum of the lengths of the ranges that are neither holes nor zero
 *
 * Since: 0.1
 */
guint64
ferry_extent_list_get_data_total(FerryExtentList *self)
{
	guint64 total = 0;
	g_return_val_if_fail(self != NULL, 0);
	for (guint i = 0; i < self->extents->len; i++) {
		const FerryExtent *extent = &g_array_index(self->extents, FerryExtent, i);
		if ((extent->flags & FERRY_EXTENT_FLAG_ZERO) == 0)
			total += extent->length;
	}
	return total;
}

/**
 * ferry_extent_list_get_end:
 * @self: a #FerryExtentList
 *
 * Returns: the offset just past the last range, or 0 for an empty list
 *
 * Since: 0.1
 */
guint64
ferry_extent_list_get_end(FerryExtentList *self)
{
	const FerryExtent *last;
	g_return_val_if_fail(self != NULL, 0);
	if (self->extents->len == 0)
		return 0;
	last = &g_array_index(self->extents, FerryExtent, self->extents->len - 1);
	return last->offset + last->length;
}

/**
 * ferry_extent_list_subtract:
 * @self: a #FerryExtentList
 * @done: ranges to take away (their flags are ignored)
 *
 * Computes the parts of @self not covered by @done, keeping the flags of
 * @self. This is how a resumed copy finds what is left to do.
 *
 * Returns: (transfer full): a new list
 *
 * Since: 0.1
 */
FerryExtentList *
ferry_extent_list_subtract(FerryExtentList *self, FerryExtentList *done)
{
	FerryExtentList *result;
	guint j = 0;

	g_return_val_if_fail(self != NULL, NULL);
	g_return_val_if_fail(done != NULL, NULL);

	result = ferry_extent_list_new();
	for (guint i = 0; i < self->extents->len; i++) {
		const FerryExtent *e = &g_array_index(self->extents, FerryExtent, i);
		guint64 pos = e->offset;
		guint64 end = e->offset + e->length;

		/* skip done ranges wholly before this extent */
		while (j < done->extents->len) {
			const FerryExtent *d = &g_array_index(done->extents, FerryExtent, j);
			if (d->offset + d->length > pos)
				break;
			j++;
		}
		for (guint k = j; k < done->extents->len && pos < end; k++) {
			const FerryExtent *d = &g_array_index(done->extents, FerryExtent, k);
			guint64 d_end = d->offset + d->length;
			if (d->offset >= end)
				break;
			if (d->offset > pos)
				ferry_extent_list_add(result, pos, d->offset - pos, e->flags,
						      NULL);
			pos = MAX(pos, d_end);
		}
		if (pos < end)
			ferry_extent_list_add(result, pos, end - pos, e->flags, NULL);
	}
	return result;
}
