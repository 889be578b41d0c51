/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include <glib/gstdio.h>
#include <string.h>

#include "ferry-error.h"
#include "ferry-kube-client.h"
#include "ferry-kube-private.h"

/**
 * FerryKubePortForward:
 *
 * Forwards a local Unix socket to a TCP port of a pod through the API
 * server (`pods/portforward` over WebSocket, subprotocol
 * `v4.channel.k8s.io`: each message starts with its channel, 0 for data and
 * 1 for errors, and each channel starts with the port). Every connection to
 * the socket opens its own WebSocket, so libnbd, qemu-img or nbdcopy can
 * connect to ferry_kube_port_forward_dup_uri() as to a local NBD server.
 *
 * A thread of the forward's own runs the transfers; the caller may block.
 *
 * Since: 0.1
 */
struct _FerryKubePortForward {
	GObject parent_instance;
	FerryKubeConfig *config;
	char *url;
	char *display; /* pod ns/name port N */
	char *dir;
	char *socket_path;
	GMainContext *context;
	GMainLoop *loop;
	GThread *thread;
	SoupSession *session;	/* the thread's */
	GSocketService *service; /* the thread's */
	GPtrArray *tunnels;	/* the thread's */
	GMutex lock;
	GCond cond;
	gboolean ready;
	GError *start_error;
	char *last_error;
};

G_DEFINE_TYPE(FerryKubePortForward, ferry_kube_port_forward, G_TYPE_OBJECT)

#define FERRY_KUBE_PF_BUFFER	 (256 * 1024)
#define FERRY_KUBE_PF_PROTOCOL	 "v4.channel.k8s.io"
#define FERRY_KUBE_PF_MAX_PAYLOAD (64 * 1024 * 1024)

typedef struct {
	gint refs;
	FerryKubePortForward *forward;
	GSocketConnection *local;
	SoupWebsocketConnection *ws;
	GCancellable *cancellable;
	guchar *buffer;
	GQueue pending; /* GBytes for the local side */
	gboolean writing;
	gboolean ws_closed;
	gboolean finished;
	guint prefix_seen[2]; /* bytes of the 2-byte port prefix seen per channel */
	GString *error_text;
} FerryKubeTunnel;

static FerryKubeTunnel *
ferry_kube_tunnel_ref(FerryKubeTunnel *tunnel)
{
	tunnel->refs++;
	return tunnel;
}

static void
ferry_kube_tunnel_unref(FerryKubeTunnel *tunnel)
{
	if (--tunnel->refs > 0)
		return;
	g_clear_object(&tunnel->local);
	if (tunnel->ws != NULL)
		g_signal_handlers_disconnect_by_data(tunnel->ws, tunnel);
	g_clear_object(&tunnel->ws);
	g_clear_object(&tunnel->cancellable);
	g_queue_clear_full(&tunnel->pending, (GDestroyNotify)g_bytes_unref);
	g_string_free(tunnel->error_text, TRUE);
	g_free(tunnel->buffer);
	g_free(tunnel);
}

static void
ferry_kube_port_forward_set_last_error(FerryKubePortForward *self, const char *text)
{
	g_mutex_lock(&self->lock);
	g_free(self->last_error);
	self->last_error = g_strdup(text);
	g_mutex_unlock(&self->lock);
	g_debug("kubernetes: port forward to %s: %s", self->display, text);
}

/* closes both sides once; the tunnel leaves the forward's list */
static void
ferry_kube_tunnel_finish(FerryKubeTunnel *tunnel)
{
	if (tunnel->finished)
		return;
	tunnel->finished = TRUE;
	g_cancellable_cancel(tunnel->cancellable);
	if (tunnel->ws != NULL &&
	    soup_websocket_connection_get_state(tunnel->ws) == SOUP_WEBSOCKET_STATE_OPEN)
		soup_websocket_connection_close(tunnel->ws, SOUP_WEBSOCKET_CLOSE_NORMAL, NULL);
	g_io_stream_close(G_IO_STREAM(tunnel->local), NULL, NULL);
	g_ptr_array_remove(tunnel->forward->tunnels, tunnel);
}

static void ferry_kube_tunnel_write_next(FerryKubeTunnel *tunnel);

static void
ferry_kube_tunnel_write_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	FerryKubeTunnel *tunnel = user_data;
	g_autoptr(GError) error = NULL;

	tunnel->writing = FALSE;
	if (!g_output_stream_write_all_finish(G_OUTPUT_STREAM(source), result, NULL, &error)) {
		ferry_kube_tunnel_finish(tunnel);
	} else if (!tunnel->finished) {
		if (!g_queue_is_empty(&tunnel->pending))
			ferry_kube_tunnel_write_next(tunnel);
		else if (tunnel->ws_closed)
			ferry_kube_tunnel_finish(tunnel);
	}
	ferry_kube_tunnel_unref(tunnel);
}

static void
ferry_kube_tunnel_write_next(FerryKubeTunnel *tunnel)
{
	GBytes *bytes;
	GOutputStream *out;

	if (tunnel->writing || tunnel->finished || g_queue_is_empty(&tunnel->pending))
		return;
	bytes = g_queue_pop_head(&tunnel->pending);
	out = g_io_stream_get_output_stream(G_IO_STREAM(tunnel->local));
	tunnel->writing = TRUE;
	/* the bytes live until the write is done: the closure holds them */
	g_object_set_data_full(G_OBJECT(out), "ferry-pending", bytes,
			       (GDestroyNotify)g_bytes_unref);
	g_output_stream_write_all_async(out, g_bytes_get_data(bytes, NULL), g_bytes_get_size(bytes),
					G_PRIORITY_DEFAULT, tunnel->cancellable,
					ferry_kube_tunnel_write_cb, ferry_kube_tunnel_ref(tunnel));
}

static void
ferry_kube_tunnel_message_cb(SoupWebsocketConnection *ws,
			     gint type,
			     GBytes *message,
			     gpointer user_data)
{
	FerryKubeTunnel *tunnel = user_data;
	gsize len = 0;
	const guchar *data = g_bytes_get_data(message, &len);
	guint channel;
	gsize skip;

	if (len < 1)
		return;
	channel = data[0];
	data++;
	len--;
	if (channel > 1)
		return;
	skip = MIN(len, 2 - tunnel->prefix_seen[channel]);
	tunnel->prefix_seen[channel] += (guint)skip;
	data += skip;
	len -= skip;
	if (len == 0)
		return;
	if (channel == 1) {
		g_string_append_len(tunnel->error_text, (const char *)data, (gssize)len);
		ferry_kube_port_forward_set_last_error(tunnel->forward, tunnel->error_text->str);
		return;
	}
	g_queue_push_tail(&tunnel->pending, g_bytes_new(data, len));
	ferry_kube_tunnel_write_next(tunnel);
}

static void
ferry_kube_tunnel_closed_cb(SoupWebsocketConnection *ws, gpointer user_data)
{
	FerryKubeTunnel *tunnel = user_data;

	tunnel->ws_closed = TRUE;
	if (!tunnel->writing && g_queue_is_empty(&tunnel->pending))
		ferry_kube_tunnel_finish(tunnel);
}

static void
ferry_kube_tunnel_read_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	FerryKubeTunnel *tunnel = user_data;
	g_autoptr(GError) error = NULL;
	gssize n = g_input_stream_read_finish(G_INPUT_STREAM(source), result, &error);

	if (tunnel->finished) {
		ferry_kube_tunnel_unref(tunnel);
		return;
	}
	if (n <= 0 || soup_websocket_connection_get_state(tunnel->ws) != SOUP_WEBSOCKET_STATE_OPEN) {
		/* the local client is done: closing the WebSocket closes the pod's side */
		if (soup_websocket_connection_get_state(tunnel->ws) == SOUP_WEBSOCKET_STATE_OPEN)
			soup_websocket_connection_close(tunnel->ws, SOUP_WEBSOCKET_CLOSE_NORMAL,
							NULL);
		else
			ferry_kube_tunnel_finish(tunnel);
		ferry_kube_tunnel_unref(tunnel);
		return;
	}
	/* channel 0 (data) leads the message; the buffer keeps a byte for it */
	tunnel->buffer[0] = 0;
	soup_websocket_connection_send_binary(tunnel->ws, tunnel->buffer, (gsize)n + 1);
	g_input_stream_read_async(G_INPUT_STREAM(source), tunnel->buffer + 1,
				  FERRY_KUBE_PF_BUFFER - 1, G_PRIORITY_DEFAULT, tunnel->cancellable,
				  ferry_kube_tunnel_read_cb, tunnel);
}

static void
ferry_kube_tunnel_connected_cb(GObject *source, GAsyncResult *result, gpointer user_data)
{
	FerryKubeTunnel *tunnel = user_data;
	FerryKubePortForward *self = tunnel->forward;
	g_autoptr(GError) error = NULL;
	SoupMessage *msg = soup_session_get_async_result_message(SOUP_SESSION(source), result);
	GInputStream *in;

	tunnel->ws = soup_session_websocket_connect_finish(SOUP_SESSION(source), result, &error);
	if (tunnel->ws == NULL) {
		g_autoptr(GError) mapped = NULL;
		FerryKubeTarget target = {.verb = "create",
					  .group = "",
					  .resource = "pods",
					  .subresource = "portforward",
					  .name = self->display};
		guint status = msg != NULL ? soup_message_get_status(msg) : 0;

		if (status >= 300 && status != 101)
			ferry_kube_set_status_error(&mapped, self->config, &target, status, NULL);
		else
			ferry_kube_set_transport_error(&mapped, self->config, &target, error);
		ferry_kube_port_forward_set_last_error(self, mapped->message);
		ferry_kube_tunnel_finish(tunnel);
		ferry_kube_tunnel_unref(tunnel);
		return;
	}
	g_object_set(tunnel->ws, "max-incoming-payload-size", (guint64)FERRY_KUBE_PF_MAX_PAYLOAD,
		     "keepalive-interval", 0, NULL);
	g_signal_connect(tunnel->ws, "message", G_CALLBACK(ferry_kube_tunnel_message_cb), tunnel);
	g_signal_connect(tunnel->ws, "closed", G_CALLBACK(ferry_kube_tunnel_closed_cb), tunnel);
	in = g_io_stream_get_input_stream(G_IO_STREAM(tunnel->local));
	/* the connect's reference passes to the read loop */
	g_input_stream_read_async(in, tunnel->buffer + 1, FERRY_KUBE_PF_BUFFER - 1,
				  G_PRIORITY_DEFAULT, tunnel->cancellable, ferry_kube_tunnel_read_cb,
				  tunnel);
}

static gboolean
ferry_kube_port_forward_incoming_cb(GSocketService *service,
				    GSocketConnection *connection,
				    GObject *source_object,
				    gpointer user_data)
{
	FerryKubePortForward *self = user_data;
	const char *protocols[] = {FERRY_KUBE_PF_PROTOCOL, NULL};
	g_autoptr(SoupMessage) msg = soup_message_new("GET", self->url);
	g_autoptr(GError) error = NULL;
	FerryKubeTunnel *tunnel;

	tunnel = g_new0(FerryKubeTunnel, 1);
	tunnel->refs = 1;
	tunnel->forward = self;
	tunnel->local = g_object_ref(connection);
	tunnel->cancellable = g_cancellable_new();
	tunnel->buffer = g_malloc(FERRY_KUBE_PF_BUFFER);
	tunnel->error_text = g_string_new(NULL);
	g_queue_init(&tunnel->pending);
	/* the list owns one reference; finish drops it */
	g_ptr_array_add(self->tunnels, ferry_kube_tunnel_ref(tunnel));
	if (!ferry_kube_message_prepare(self->config, msg, NULL, &error)) {
		ferry_kube_port_forward_set_last_error(self, error->message);
		ferry_kube_tunnel_finish(tunnel);
		ferry_kube_tunnel_unref(tunnel);
		return TRUE;
	}
	/* the API server answers an upgrade that accepts only JSON with 406 */
	soup_message_headers_remove(soup_message_get_request_headers(msg), "Accept");
	soup_session_websocket_connect_async(self->session, msg, NULL, (char **)protocols,
					     G_PRIORITY_DEFAULT, tunnel->cancellable,
					     ferry_kube_tunnel_connected_cb, tunnel);
	return TRUE;
}

static void
ferry_kube_port_forward_signal_ready(FerryKubePortForward *self, GError *error)
{
	g_mutex_lock(&self->lock);
	self->start_error = error;
	self->ready = TRUE;
	g_cond_signal(&self->cond);
	g_mutex_unlock(&self->lock);
}

static gpointer
ferry_kube_port_forward_thread(gpointer user_data)
{
	FerryKubePortForward *self = user_data;
	g_autoptr(GSocketAddress) address = NULL;
	g_autoptr(GError) error = NULL;

	g_main_context_push_thread_default(self->context);
	self->session = ferry_kube_session_new(self->config, 0);
	self->service = g_socket_service_new();
	address = g_unix_socket_address_new(self->socket_path);
	if (!g_socket_listener_add_address(G_SOCKET_LISTENER(self->service), address,
					   G_SOCKET_TYPE_STREAM, G_SOCKET_PROTOCOL_DEFAULT, NULL,
					   NULL, &error)) {
		ferry_kube_port_forward_signal_ready(
		    self, g_error_new(FERRY_ERROR, FERRY_ERROR_IO,
				      "kubernetes: port forward to %s: cannot listen on %s: %s",
				      self->display, self->socket_path, error->message));
	} else {
		g_signal_connect(self->service, "incoming",
				 G_CALLBACK(ferry_kube_port_forward_incoming_cb), self);
		g_socket_service_start(self->service);
		ferry_kube_port_forward_signal_ready(self, NULL);
		g_main_loop_run(self->loop);
	}
	g_socket_service_stop(self->service);
	g_socket_listener_close(G_SOCKET_LISTENER(self->service));
	while (self->tunnels->len > 0)
		ferry_kube_tunnel_finish(g_ptr_array_index(self->tunnels, 0));
	/* let cancelled operations return and drop their references */
	while (g_main_context_iteration(self->context, FALSE))
		;
	g_clear_object(&self->service);
	soup_session_abort(self->session);
	while (g_main_context_iteration(self->context, FALSE))
		;
	g_clear_object(&self->session);
	g_main_context_pop_thread_default(self->context);
	return NULL;
}

static void
ferry_kube_port_forward_finalize(GObject *object)
{
	FerryKubePortForward *self = FERRY_KUBE_PORT_FORWARD(object);

	ferry_kube_port_forward_stop(self);
	g_clear_object(&self->config);
	g_free(self->url);
	g_free(self->display);
	g_free(self->socket_path);
	g_free(self->dir);
	g_ptr_array_unref(self->tunnels);
	g_clear_pointer(&self->loop, g_main_loop_unref);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_clear_error(&self->start_error);
	g_free(self->last_error);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->cond);
	G_OBJECT_CLASS(ferry_kube_port_forward_parent_class)->finalize(object);
}

static void
ferry_kube_port_forward_class_init(FerryKubePortForwardClass *klass)
{
	G_OBJECT_CLASS(klass)->finalize = ferry_kube_port_forward_finalize;
}

static void
ferry_kube_port_forward_init(FerryKubePortForward *self)
{
	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
	self->tunnels = g_ptr_array_new_with_free_func((GDestroyNotify)ferry_kube_tunnel_unref);
	self->context = g_main_context_new();
	self->loop = g_main_loop_new(self->context, FALSE);
}

/**
 * ferry_kube_client_port_forward:
 * @self: a #FerryKubeClient
 * @namespace: (nullable): the pod's namespace; %NULL for the configuration's
 * @pod: the pod's name
 * @port: the pod's TCP port
 * @error: return location for a #GError
 *
 * Starts forwarding a private Unix socket to @port of @pod. The API
 * server is first contacted when a client connects; a refused forward
 * closes that connection, and ferry_kube_port_forward_dup_last_error()
 * says why.
 *
 * Returns: (transfer full): the forward; stop it (or drop it) when done
 *
 * Since: 0.1
 */
FerryKubePortForward *
ferry_kube_client_port_forward(FerryKubeClient *self,
			       const char *namespace,
			       const char *pod,
			       guint16 port,
			       GError **error)
{
	g_autoptr(FerryKubePortForward) forward = NULL;
	g_autoptr(GError) local_error = NULL;
	FerryKubeConfig *config;
	g_autofree char *escaped_ns = NULL;
	g_autofree char *escaped_pod = NULL;

	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(self), NULL);
	g_return_val_if_fail(pod != NULL && port > 0, NULL);
	config = ferry_kube_client_get_config(self);
	if (namespace == NULL)
		namespace = ferry_kube_config_get_namespace(config);
	forward = g_object_new(FERRY_TYPE_KUBE_PORT_FORWARD, NULL);
	forward->config = g_object_ref(config);
	escaped_ns = g_uri_escape_string(namespace, NULL, FALSE);
	escaped_pod = g_uri_escape_string(pod, NULL, FALSE);
	forward->url = g_strdup_printf("%s/api/v1/namespaces/%s/pods/%s/portforward?ports=%u",
				       ferry_kube_config_get_server(config), escaped_ns,
				       escaped_pod, port);
	forward->display = g_strdup_printf("pod %s/%s port %u", namespace, pod, port);
	forward->dir = g_dir_make_tmp("ferry-kube-pf-XXXXXX", &local_error);
	if (forward->dir == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_IO,
			    "kubernetes: port forward to %s: cannot create a private folder: %s",
			    forward->display, local_error->message);
		return NULL;
	}
	forward->socket_path = g_build_filename(forward->dir, "socket", NULL);
	forward->thread = g_thread_new("ferry-kube-pf", ferry_kube_port_forward_thread, forward);
	g_mutex_lock(&forward->lock);
	while (!forward->ready)
		g_cond_wait(&forward->cond, &forward->lock);
	g_mutex_unlock(&forward->lock);
	if (forward->start_error != NULL) {
		g_propagate_error(error, g_steal_pointer(&forward->start_error));
		return NULL;
	}
	return g_steal_pointer(&forward);
}

static gboolean
ferry_kube_port_forward_quit_cb(gpointer user_data)
{
	g_main_loop_quit(user_data);
	return G_SOURCE_REMOVE;
}

/**
 * ferry_kube_port_forward_stop:
 * @self: a #FerryKubePortForward
 *
 * Closes the socket and every forwarded connection.
 *
 * Since: 0.1
 */
void
ferry_kube_port_forward_stop(FerryKubePortForward *self)
{
	g_return_if_fail(FERRY_IS_KUBE_PORT_FORWARD(self));
	if (self->thread == NULL)
		return;
	{
		g_autoptr(GSource) source = g_idle_source_new();
		g_source_set_callback(source, ferry_kube_port_forward_quit_cb,
				      g_main_loop_ref(self->loop),
				      (GDestroyNotify)g_main_loop_unref);
		g_source_attach(source, self->context);
	}
	g_thread_join(self->thread);
	self->thread = NULL;
	if (self->socket_path != NULL)
		g_unlink(self->socket_path);
	if (self->dir != NULL)
		g_rmdir(self->dir);
}

/**
 * ferry_kube_port_forward_get_socket_path:
 * @self: a #FerryKubePortForward
 *
 * Returns: the Unix socket that leads to the pod's port
 *
 * Since: 0.1
 */
const char *
ferry_kube_port_forward_get_socket_path(FerryKubePortForward *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_PORT_FORWARD(self), NULL);
	return self->socket_path;
}

/**
 * ferry_kube_port_forward_dup_uri:
 * @self: a #FerryKubePortForward
 *
 * Returns: (transfer full): the NBD URI of the socket, `nbd+unix:///?socket=…`
 *
 * Since: 0.1
 */
char *
ferry_kube_port_forward_dup_uri(FerryKubePortForward *self)
{
	g_return_val_if_fail(FERRY_IS_KUBE_PORT_FORWARD(self), NULL);
	return g_strdup_printf("nbd+unix:///?socket=%s", self->socket_path);
}

/**
 * ferry_kube_port_forward_dup_last_error:
 * @self: a #FerryKubePortForward
 *
 * Returns: (transfer full) (nullable): why the last forwarded connection
 *   failed (the API server's refusal or the pod's error channel), or %NULL
 *
 * Since: 0.1
 */
char *
ferry_kube_port_forward_dup_last_error(FerryKubePortForward *self)
{
	char *text;

	g_return_val_if_fail(FERRY_IS_KUBE_PORT_FORWARD(self), NULL);
	g_mutex_lock(&self->lock);
	text = g_strdup(self->last_error);
	g_mutex_unlock(&self->lock);
	return text;
}
