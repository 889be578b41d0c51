/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferry-error.h"
#include "ferry-transfer-method.h"
#include "ferry-worker-private.h"

/**
 * FerryTransferMethod:
 *
 * A way to move a disk's bytes (and, for some, convert the guest): the
 * core's `nbd` copy engine, `virt-v2v`, CDI DataVolumes, volume populators,
 * storage-array offload. For each disk the engine asks every method whether
 * it supports the request and uses the one with the highest priority.
 *
 * Since: 0.1
 */

G_DEFINE_INTERFACE(FerryTransferMethod, ferry_transfer_method, G_TYPE_OBJECT)

static void
ferry_transfer_method_default_init(FerryTransferMethodInterface *iface)
{
}

/**
 * ferry_transfer_method_get_name:
 * @self: a #FerryTransferMethod
 *
 * Returns: (transfer none): the name
 *
 * Since: 0.1
 */
const char *
ferry_transfer_method_get_name(FerryTransferMethod *self)
{
	FerryTransferMethodInterface *iface;
	g_return_val_if_fail(FERRY_IS_TRANSFER_METHOD(self), NULL);
	iface = FERRY_TRANSFER_METHOD_GET_IFACE(self);
	g_return_val_if_fail(iface->get_name != NULL, NULL);
	return iface->get_name(self);
}

/**
 * ferry_transfer_method_supports:
 * @self: a #FerryTransferMethod
 * @request: the disk to move
 *
 * Returns: 0 when the method cannot do @request, else its priority
 *
 * Since: 0.1
 */
guint
ferry_transfer_method_supports(FerryTransferMethod *self, FerryTransferRequest *request)
{
	FerryTransferMethodInterface *iface;
	g_return_val_if_fail(FERRY_IS_TRANSFER_METHOD(self), 0);
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(request), 0);
	iface = FERRY_TRANSFER_METHOD_GET_IFACE(self);
	if (iface->supports == NULL || iface->copy == NULL)
		return 0;
	return iface->supports(self, request);
}

/**
 * ferry_transfer_method_can_convert:
 * @self: a #FerryTransferMethod
 *
 * Returns: whether the method implements in-place conversion
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_method_can_convert(FerryTransferMethod *self)
{
	g_return_val_if_fail(FERRY_IS_TRANSFER_METHOD(self), FALSE);
	return FERRY_TRANSFER_METHOD_GET_IFACE(self)->convert != NULL;
}

/**
 * ferry_transfer_method_copy:
 * @self: a #FerryTransferMethod
 * @request: the disk to move
 * @progress: (nullable): progress to report to
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: %TRUE when every byte asked for was written
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_method_copy(FerryTransferMethod *self,
			   FerryTransferRequest *request,
			   FerryProgress *progress,
			   GCancellable *cancellable,
			   GError **error)
{
	FerryTransferMethodInterface *iface;
	g_autoptr(GError) local_error = NULL;

	g_return_val_if_fail(FERRY_IS_TRANSFER_METHOD(self), FALSE);
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(request), FALSE);
	g_return_val_if_fail(progress == NULL || FERRY_IS_PROGRESS(progress), FALSE);
	g_return_val_if_fail(cancellable == NULL || G_IS_CANCELLABLE(cancellable), FALSE);
	g_return_val_if_fail(error == NULL || *error == NULL, FALSE);

	iface = FERRY_TRANSFER_METHOD_GET_IFACE(self);
	if (iface->copy == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "transfer method '%s' cannot copy", ferry_transfer_method_get_name(self));
		return FALSE;
	}
	if (!iface->copy(self, request, progress, cancellable, &local_error)) {
		if (local_error == NULL)
			g_set_error(&local_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
				    "transfer method '%s' failed without saying why",
				    ferry_transfer_method_get_name(self));
		ferry_error_convert(&local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_transfer_method_convert:
 * @self: a #FerryTransferMethod
 * @vm_spec: the target VM description
 * @disks: (element-type FerryDiskEndpoint): the written target disks
 * @progress: (nullable): progress to report to
 * @cancellable: (nullable): a #GCancellable
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the conversion found, e.g.
 *   `{"operatingSystem": "debian12", "firmware": "bios"}`
 *
 * Since: 0.1
 */
JsonObject *
ferry_transfer_method_convert(FerryTransferMethod *self,
			      JsonObject *vm_spec,
			      GPtrArray *disks,
			      FerryProgress *progress,
			      GCancellable *cancellable,
			      GError **error)
{
	FerryTransferMethodInterface *iface;
	g_autoptr(GError) local_error = NULL;
	JsonObject *result;

	g_return_val_if_fail(FERRY_IS_TRANSFER_METHOD(self), NULL);
	g_return_val_if_fail(vm_spec != NULL && disks != NULL, NULL);
	g_return_val_if_fail(error == NULL || *error == NULL, NULL);

	iface = FERRY_TRANSFER_METHOD_GET_IFACE(self);
	if (iface->convert == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "transfer method '%s' cannot convert guests",
			    ferry_transfer_method_get_name(self));
		return NULL;
	}
	result = iface->convert(self, vm_spec, disks, progress, cancellable, &local_error);
	if (result == NULL) {
		if (local_error == NULL)
			g_set_error(&local_error, FERRY_ERROR, FERRY_ERROR_PLUGIN,
				    "transfer method '%s' failed to convert without saying why",
				    ferry_transfer_method_get_name(self));
		ferry_error_convert(&local_error);
		g_propagate_error(error, g_steal_pointer(&local_error));
	}
	return result;
}

typedef struct {
	FerryTransferRequest *request;
	FerryProgress *progress;
	JsonObject *vm_spec;
	GPtrArray *disks;
} MethodCall;

static void
method_call_free(gpointer data)
{
	MethodCall *call = data;
	g_clear_object(&call->request);
	g_clear_object(&call->progress);
	g_clear_pointer(&call->vm_spec, json_object_unref);
	g_clear_pointer(&call->disks, g_ptr_array_unref);
	g_free(call);
}

static void
method_copy_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	MethodCall *call = task_data;
	GError *error = NULL;
	if (ferry_transfer_method_copy(FERRY_TRANSFER_METHOD(source), call->request,
				       call->progress, cancellable, &error))
		g_task_return_boolean(task, TRUE);
	else
		g_task_return_error(task, error);
}

static void
method_convert_thread(GTask *task, gpointer source, gpointer task_data, GCancellable *cancellable)
{
	MethodCall *call = task_data;
	GError *error = NULL;
	JsonObject *result =
	    ferry_transfer_method_convert(FERRY_TRANSFER_METHOD(source), call->vm_spec, call->disks,
					  call->progress, cancellable, &error);
	if (result != NULL)
		g_task_return_pointer(task, result, (GDestroyNotify)json_object_unref);
	else
		g_task_return_error(task, error);
}

/**
 * ferry_transfer_method_copy_async:
 * @self: a #FerryTransferMethod
 * @request: the disk to move
 * @progress: (nullable): progress to report to
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_transfer_method_copy().
 *
 * Since: 0.1
 */
void
ferry_transfer_method_copy_async(FerryTransferMethod *self,
				 FerryTransferRequest *request,
				 FerryProgress *progress,
				 GCancellable *cancellable,
				 GAsyncReadyCallback callback,
				 gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	MethodCall *call;

	g_return_if_fail(FERRY_IS_TRANSFER_METHOD(self));
	g_return_if_fail(FERRY_IS_TRANSFER_REQUEST(request));
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, ferry_transfer_method_copy_async);
	call = g_new0(MethodCall, 1);
	call->request = g_object_ref(request);
	call->progress = progress != NULL ? g_object_ref(progress) : NULL;
	g_task_set_task_data(task, call, method_call_free);
	ferry_worker_run(task, method_copy_thread);
}

/**
 * ferry_transfer_method_copy_finish:
 * @self: a #FerryTransferMethod
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: %TRUE on success
 *
 * Since: 0.1
 */
gboolean
ferry_transfer_method_copy_finish(FerryTransferMethod *self, GAsyncResult *result, GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), FALSE);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 ferry_transfer_method_copy_async,
			     FALSE);
	if (!g_task_propagate_boolean(G_TASK(result), error)) {
		ferry_error_convert(error);
		return FALSE;
	}
	return TRUE;
}

/**
 * ferry_transfer_method_convert_async:
 * @self: a #FerryTransferMethod
 * @vm_spec: the target VM description
 * @disks: (element-type FerryDiskEndpoint): the written target disks
 * @progress: (nullable): progress to report to
 * @cancellable: (nullable): a #GCancellable
 * @callback: (scope async) (closure user_data): called when done
 * @user_data: data for @callback
 *
 * Asynchronous form of ferry_transfer_method_convert().
 *
 * Since: 0.1
 */
void
ferry_transfer_method_convert_async(FerryTransferMethod *self,
				    JsonObject *vm_spec,
				    GPtrArray *disks,
				    FerryProgress *progress,
				    GCancellable *cancellable,
				    GAsyncReadyCallback callback,
				    gpointer user_data)
{
	g_autoptr(GTask) task = NULL;
	MethodCall *call;

	g_return_if_fail(FERRY_IS_TRANSFER_METHOD(self));
	g_return_if_fail(vm_spec != NULL && disks != NULL);
	task = g_task_new(self, cancellable, callback, user_data);
	g_task_set_source_tag(task, ferry_transfer_method_convert_async);
	call = g_new0(MethodCall, 1);
	call->vm_spec = json_object_ref(vm_spec);
	call->disks = g_ptr_array_ref(disks);
	call->progress = progress != NULL ? g_object_ref(progress) : NULL;
	g_task_set_task_data(task, call, method_call_free);
	ferry_worker_run(task, method_convert_thread);
}

/**
 * ferry_transfer_method_convert_finish:
 * @self: a #FerryTransferMethod
 * @result: the #GAsyncResult
 * @error: return location for a #GError
 *
 * Returns: (transfer full): what the conversion found
 *
 * Since: 0.1
 */
JsonObject *
ferry_transfer_method_convert_finish(FerryTransferMethod *self,
				     GAsyncResult *result,
				     GError **error)
{
	g_return_val_if_fail(g_task_is_valid(result, self), NULL);
	g_return_val_if_fail(g_task_get_source_tag(G_TASK(result)) ==
				 ferry_transfer_method_convert_async,
			     NULL);
	{
		JsonObject *value = g_task_propagate_pointer(G_TASK(result), error);
		if (value == NULL)
			ferry_error_convert(error);
		return value;
	}
}

/**
 * ferry_transfer_method_select:
 * @methods: (element-type FerryTransferMethod): the candidates
 * @request: the disk to move
 * @error: return location for a #GError
 *
 * Picks the method with the highest non-zero `supports()` answer; on a tie
 * the earlier one in @methods wins. The environment variable
 * `FERRY_TRANSFER_METHOD` forces a method by name when it supports the
 * request.
 *
 * Returns: (transfer none): the method, or %NULL with
 *   %FERRY_ERROR_NOT_SUPPORTED
 *
 * Since: 0.1
 */
FerryTransferMethod *
ferry_transfer_method_select(GPtrArray *methods, FerryTransferRequest *request, GError **error)
{
	FerryTransferMethod *best = NULL;
	guint best_priority = 0;
	const char *forced = g_getenv("FERRY_TRANSFER_METHOD");

	g_return_val_if_fail(methods != NULL, NULL);
	g_return_val_if_fail(FERRY_IS_TRANSFER_REQUEST(request), NULL);

	for (guint i = 0; i < methods->len; i++) {
		FerryTransferMethod *method = g_ptr_array_index(methods, i);
		guint priority = ferry_transfer_method_supports(method, request);
		if (priority == 0)
			continue;
		if (forced != NULL && g_strcmp0(forced, ferry_transfer_method_get_name(method)) == 0)
			return method;
		if (priority > best_priority) {
			best = method;
			best_priority = priority;
		}
	}
	if (forced != NULL && best != NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "FERRY_TRANSFER_METHOD=%s is set, but that method is not loaded or "
			    "cannot copy %s; unset it to use '%s'",
			    forced,
			    ferry_disk_endpoint_get_description(
				ferry_transfer_request_get_source(request)),
			    ferry_transfer_method_get_name(best));
		return NULL;
	}
	if (best == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_NOT_SUPPORTED,
			    "no loaded transfer method can copy %s to %s; check `ferry plugins`",
			    ferry_disk_endpoint_get_description(
				ferry_transfer_request_get_source(request)),
			    ferry_disk_endpoint_get_description(
				ferry_transfer_request_get_target(request)));
		return NULL;
	}
	return best;
}
