/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#include "config.h"

#include "ferryd-lease.h"

/**
 * FerrydLease:
 *
 * Leader election on a `coordination.k8s.io/v1` Lease, as client-go's
 * `leaderelection` package does it, so that of several ferryd replicas
 * exactly one reconciles:
 *
 * - a candidate takes the Lease when it is absent (create), released
 *   (empty `holderIdentity`) or expired; every write is a replace with the
 *   `resourceVersion` read, so of two candidates only one wins;
 * - expiry is judged by the candidate's own clock: a Lease is expired when
 *   its record (holder, times, transitions) has not changed for
 *   `leaseDurationSeconds` since this process last saw it change, which is
 *   immune to clock skew between nodes;
 * - the leader renews every retry period (`renewTime`); when it cannot
 *   renew within the renew deadline (requests in flight are cancelled at
 *   the deadline), it stops leading, and it stops at once when it sees
 *   another holder;
 * - on a clean stop the leader releases the Lease (empty holder, one
 *   second duration), so another replica takes over at its next retry;
 * - taking a Lease over from another holder counts `leaseTransitions` up;
 *   `acquireTime` is kept across renewals.
 *
 * Differences from client-go: candidates retry every retry period without
 * client-go's jitter (up to 1.2 × the period), which keeps the handover
 * bound tight; a leader that sees another holder stops at once instead of
 * at its renew deadline; an error that retrying cannot fix (RBAC forbids
 * leases, the credentials are refused, the namespace does not exist) is
 * reported by #FerrydLease::failed instead of being logged forever.
 *
 * Once it stopped leading, the lease does not campaign again: the process
 * is meant to exit (non-zero) and be restarted by its Deployment, as
 * Kubernetes' controllers do.
 *
 * The election runs in a thread of its own, so a busy main loop does not
 * delay renewals; signals are emitted in the main context that was
 * thread-default at ferryd_lease_start().
 */

#define LEASE_API  "coordination.k8s.io/v1"
#define LEASE_KIND "Lease"

typedef struct {
	char *holder;
	gint64 duration; /* seconds */
	char *acquire_time;
	char *renew_time;
	gint64 transitions;
} LeaseRecord;

typedef enum {
	TRY_OK,
	TRY_HELD, /* another holder has a valid lease */
	TRY_ERROR,
} TryResult;

struct _FerrydLease {
	GObject parent_instance;
	FerryKubeClient *client;
	char *namespace;
	char *name;
	char *identity;
	guint lease_duration; /* ms */
	guint renew_deadline; /* ms */
	guint retry_period;   /* ms */

	GMainContext *context; /* where signals are emitted */
	GThread *thread;
	GMutex lock; /* stopping, the attempt's state, the observed record */
	GCond cond;
	gint stopping;	 /* ferryd_lease_stop() asks the thread to end */
	gint stopped;	 /* ferryd_lease_stop() ran: drop queued signals */
	gint is_leader;	 /* the election thread's view */
	gint announced;	 /* is-leader as the signals told it */
	char *reported;	 /* the last holder reported by ::new-leader (thread's) */
	char *last_warning; /* the last error logged (thread's) */

	/* what this process last saw of the Lease, and when (monotonic µs) */
	LeaseRecord observed;
	gint64 observed_time;
	JsonNode *lease; /* the object as last read or written */
};

enum {
	PROP_0,
	PROP_CLIENT,
	PROP_NAMESPACE,
	PROP_NAME,
	PROP_IDENTITY,
	PROP_IS_LEADER,
	PROP_LAST,
};
static GParamSpec *props[PROP_LAST];

enum {
	SIGNAL_STARTED_LEADING,
	SIGNAL_STOPPED_LEADING,
	SIGNAL_NEW_LEADER,
	SIGNAL_FAILED,
	SIGNAL_LAST,
};
static guint signals[SIGNAL_LAST];

G_DEFINE_TYPE(FerrydLease, ferryd_lease, G_TYPE_OBJECT)

static void
lease_record_clear(LeaseRecord *record)
{
	g_clear_pointer(&record->holder, g_free);
	g_clear_pointer(&record->acquire_time, g_free);
	g_clear_pointer(&record->renew_time, g_free);
	record->duration = 0;
	record->transitions = 0;
}

static void
lease_record_copy(LeaseRecord *dest, const LeaseRecord *src)
{
	lease_record_clear(dest);
	dest->holder = g_strdup(src->holder);
	dest->duration = src->duration;
	dest->acquire_time = g_strdup(src->acquire_time);
	dest->renew_time = g_strdup(src->renew_time);
	dest->transitions = src->transitions;
}

static gboolean
lease_record_equal(const LeaseRecord *a, const LeaseRecord *b)
{
	return g_strcmp0(a->holder, b->holder) == 0 && a->duration == b->duration &&
	       g_strcmp0(a->acquire_time, b->acquire_time) == 0 &&
	       g_strcmp0(a->renew_time, b->renew_time) == 0 && a->transitions == b->transitions;
}

static void
lease_record_from_json(LeaseRecord *record, JsonNode *lease)
{
	JsonObject *object = json_node_get_object(lease);
	JsonObject *spec = NULL;

	lease_record_clear(record);
	if (json_object_has_member(object, "spec") &&
	    JSON_NODE_HOLDS_OBJECT(json_object_get_member(object, "spec")))
		spec = json_object_get_object_member(object, "spec");
	if (spec == NULL)
		return;
	record->holder = g_strdup(json_object_get_string_member_with_default(spec, "holderIdentity",
									     NULL));
	record->duration = json_object_get_int_member_with_default(spec, "leaseDurationSeconds", 0);
	record->acquire_time =
	    g_strdup(json_object_get_string_member_with_default(spec, "acquireTime", NULL));
	record->renew_time =
	    g_strdup(json_object_get_string_member_with_default(spec, "renewTime", NULL));
	record->transitions = json_object_get_int_member_with_default(spec, "leaseTransitions", 0);
}

/* the spec client-go writes (LeaderElectionRecordToLeaseSpec) */
static JsonObject *
lease_record_to_spec(const LeaseRecord *record)
{
	JsonObject *spec = json_object_new();

	if (record->holder != NULL && *record->holder != '\0')
		json_object_set_string_member(spec, "holderIdentity", record->holder);
	json_object_set_int_member(spec, "leaseDurationSeconds", record->duration);
	json_object_set_string_member(spec, "acquireTime", record->acquire_time);
	json_object_set_string_member(spec, "renewTime", record->renew_time);
	json_object_set_int_member(spec, "leaseTransitions", record->transitions);
	return spec;
}

/* a metav1.MicroTime: RFC 3339 in UTC with microseconds */
static char *
ferryd_lease_now(void)
{
	g_autoptr(GDateTime) now = g_date_time_new_now_utc();

	return g_date_time_format(now, "%Y-%m-%dT%H:%M:%S.%fZ");
}

static void
ferryd_lease_dispose(GObject *object)
{
	ferryd_lease_stop(FERRYD_LEASE(object), FALSE);
	G_OBJECT_CLASS(ferryd_lease_parent_class)->dispose(object);
}

static void
ferryd_lease_finalize(GObject *object)
{
	FerrydLease *self = FERRYD_LEASE(object);

	g_clear_object(&self->client);
	g_free(self->namespace);
	g_free(self->name);
	g_free(self->identity);
	g_free(self->reported);
	g_free(self->last_warning);
	lease_record_clear(&self->observed);
	g_clear_pointer(&self->lease, json_node_unref);
	g_clear_pointer(&self->context, g_main_context_unref);
	g_mutex_clear(&self->lock);
	g_cond_clear(&self->cond);
	G_OBJECT_CLASS(ferryd_lease_parent_class)->finalize(object);
}

static void
ferryd_lease_get_property(GObject *object, guint prop_id, GValue *value, GParamSpec *pspec)
{
	FerrydLease *self = FERRYD_LEASE(object);

	switch (prop_id) {
	case PROP_CLIENT:
		g_value_set_object(value, self->client);
		break;
	case PROP_NAMESPACE:
		g_value_set_string(value, self->namespace);
		break;
	case PROP_NAME:
		g_value_set_string(value, self->name);
		break;
	case PROP_IDENTITY:
		g_value_set_string(value, self->identity);
		break;
	case PROP_IS_LEADER:
		g_value_set_boolean(value, ferryd_lease_get_is_leader(self));
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
ferryd_lease_set_property(GObject *object, guint prop_id, const GValue *value, GParamSpec *pspec)
{
	FerrydLease *self = FERRYD_LEASE(object);

	switch (prop_id) {
	case PROP_CLIENT:
		self->client = g_value_dup_object(value);
		break;
	case PROP_NAMESPACE:
		self->namespace = g_value_dup_string(value);
		break;
	case PROP_NAME:
		self->name = g_value_dup_string(value);
		break;
	case PROP_IDENTITY:
		self->identity = g_value_dup_string(value);
		break;
	default:
		G_OBJECT_WARN_INVALID_PROPERTY_ID(object, prop_id, pspec);
	}
}

static void
ferryd_lease_class_init(FerrydLeaseClass *klass)
{
	GObjectClass *object_class = G_OBJECT_CLASS(klass);

	object_class->dispose = ferryd_lease_dispose;
	object_class->finalize = ferryd_lease_finalize;
	object_class->get_property = ferryd_lease_get_property;
	object_class->set_property = ferryd_lease_set_property;

	props[PROP_CLIENT] = g_param_spec_object(
	    "client", NULL, NULL, FERRY_TYPE_KUBE_CLIENT,
	    G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_NAMESPACE] =
	    g_param_spec_string("namespace", NULL, NULL, NULL,
				G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_NAME] =
	    g_param_spec_string("name", NULL, NULL, NULL,
				G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	props[PROP_IDENTITY] =
	    g_param_spec_string("identity", NULL, NULL, NULL,
				G_PARAM_READWRITE | G_PARAM_CONSTRUCT_ONLY | G_PARAM_STATIC_STRINGS);
	/**
	 * FerrydLease:is-leader:
	 *
	 * Whether this process holds the Lease. Notified in the signals'
	 * context along with #FerrydLease::started-leading and
	 * #FerrydLease::stopped-leading.
	 */
	props[PROP_IS_LEADER] = g_param_spec_boolean("is-leader", NULL, NULL, FALSE,
						     G_PARAM_READABLE | G_PARAM_STATIC_STRINGS);
	g_object_class_install_properties(object_class, PROP_LAST, props);

	/**
	 * FerrydLease::started-leading:
	 *
	 * This process took the Lease: it may reconcile now.
	 */
	signals[SIGNAL_STARTED_LEADING] =
	    g_signal_new("started-leading", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			 NULL, NULL, G_TYPE_NONE, 0);
	/**
	 * FerrydLease::stopped-leading:
	 *
	 * This process no longer holds the Lease: it could not renew it
	 * within the renew deadline, saw another holder, or was stopped
	 * (ferryd_lease_stop()). Stop reconciling at once.
	 */
	signals[SIGNAL_STOPPED_LEADING] =
	    g_signal_new("stopped-leading", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL,
			 NULL, NULL, G_TYPE_NONE, 0);
	/**
	 * FerrydLease::new-leader:
	 * @holder: the identity now holding the Lease; empty when released
	 *
	 * The holder of the Lease changed (client-go's OnNewLeader).
	 */
	signals[SIGNAL_NEW_LEADER] =
	    g_signal_new("new-leader", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST, 0, NULL, NULL,
			 NULL, G_TYPE_NONE, 1, G_TYPE_STRING);
	/**
	 * FerrydLease::failed:
	 * @error: why
	 *
	 * The election stopped for a reason retrying cannot fix: RBAC does
	 * not allow leases, the credentials were refused, the namespace does
	 * not exist. The error names the missing rule or the fix.
	 */
	signals[SIGNAL_FAILED] = g_signal_new("failed", G_TYPE_FROM_CLASS(klass), G_SIGNAL_RUN_LAST,
					      0, NULL, NULL, NULL, G_TYPE_NONE, 1, G_TYPE_ERROR);
}

static void
ferryd_lease_init(FerrydLease *self)
{
	g_mutex_init(&self->lock);
	g_cond_init(&self->cond);
	self->lease_duration = FERRYD_LEASE_DEFAULT_DURATION;
	self->renew_deadline = FERRYD_LEASE_DEFAULT_RENEW_DEADLINE;
	self->retry_period = FERRYD_LEASE_DEFAULT_RETRY_PERIOD;
}

/**
 * ferryd_lease_new:
 * @client: the API server's client
 * @namespace: the Lease's namespace
 * @name: the Lease's name
 * @identity: this process's identity (the pod's name), the `holderIdentity`
 *   it writes
 *
 * Returns: (transfer full): a lease, not yet campaigning
 */
FerrydLease *
ferryd_lease_new(FerryKubeClient *client,
		 const char *namespace,
		 const char *name,
		 const char *identity)
{
	g_return_val_if_fail(FERRY_IS_KUBE_CLIENT(client), NULL);
	g_return_val_if_fail(namespace != NULL && name != NULL && identity != NULL, NULL);
	return g_object_new(FERRYD_TYPE_LEASE, "client", client, "namespace", namespace, "name",
			    name, "identity", identity, NULL);
}

/**
 * ferryd_lease_set_timing:
 * @self: a #FerrydLease
 * @lease_duration_ms: how long others wait for a silent leader before
 *   taking over (`leaseDurationSeconds`, rounded up to a second)
 * @renew_deadline_ms: how long the leader retries renewing before it
 *   gives up leading
 * @retry_period_ms: how often candidates try to take the Lease and the
 *   leader renews it
 *
 * Changes the timing before ferryd_lease_start(), which checks it.
 */
void
ferryd_lease_set_timing(FerrydLease *self,
			guint lease_duration_ms,
			guint renew_deadline_ms,
			guint retry_period_ms)
{
	g_return_if_fail(FERRYD_IS_LEASE(self));
	g_return_if_fail(self->thread == NULL);
	self->lease_duration = lease_duration_ms;
	self->renew_deadline = renew_deadline_ms;
	self->retry_period = retry_period_ms;
}

const char *
ferryd_lease_get_namespace(FerrydLease *self)
{
	g_return_val_if_fail(FERRYD_IS_LEASE(self), NULL);
	return self->namespace;
}

const char *
ferryd_lease_get_name(FerrydLease *self)
{
	g_return_val_if_fail(FERRYD_IS_LEASE(self), NULL);
	return self->name;
}

const char *
ferryd_lease_get_identity(FerrydLease *self)
{
	g_return_val_if_fail(FERRYD_IS_LEASE(self), NULL);
	return self->identity;
}

/**
 * ferryd_lease_get_is_leader:
 * @self: a #FerrydLease
 *
 * Returns: whether this process holds the Lease now (the election
 *   thread's view, which may be ahead of the signals)
 */
gboolean
ferryd_lease_get_is_leader(FerrydLease *self)
{
	g_return_val_if_fail(FERRYD_IS_LEASE(self), FALSE);
	return g_atomic_int_get(&self->is_leader);
}

/**
 * ferryd_lease_dup_holder:
 * @self: a #FerrydLease
 *
 * Returns: (transfer full) (nullable): the holder this process last saw;
 *   %NULL before the first read or when the Lease is released
 */
char *
ferryd_lease_dup_holder(FerrydLease *self)
{
	char *holder;

	g_return_val_if_fail(FERRYD_IS_LEASE(self), NULL);
	g_mutex_lock(&self->lock);
	holder = self->observed.holder != NULL && *self->observed.holder != '\0'
		     ? g_strdup(self->observed.holder)
		     : NULL;
	g_mutex_unlock(&self->lock);
	return holder;
}

/* ---------------------------------------------------------------------------
 * signals, from the election thread to the caller's context
 * ------------------------------------------------------------------------- */

typedef enum {
	EVENT_STARTED,
	EVENT_STOPPED,
	EVENT_NEW_LEADER,
	EVENT_FAILED,
} EventKind;

typedef struct {
	GWeakRef lease;
	EventKind kind;
	char *holder;
	GError *error;
} LeaseEvent;

static void
lease_event_free(gpointer data)
{
	LeaseEvent *event = data;

	g_weak_ref_clear(&event->lease);
	g_free(event->holder);
	g_clear_error(&event->error);
	g_free(event);
}

static void
ferryd_lease_announce(FerrydLease *self, gboolean leader)
{
	if (g_atomic_int_get(&self->announced) == leader)
		return;
	g_atomic_int_set(&self->announced, leader);
	g_object_notify_by_pspec(G_OBJECT(self), props[PROP_IS_LEADER]);
	g_signal_emit(self, signals[leader ? SIGNAL_STARTED_LEADING : SIGNAL_STOPPED_LEADING], 0);
}

static gboolean
ferryd_lease_deliver_cb(gpointer user_data)
{
	LeaseEvent *event = user_data;
	g_autoptr(FerrydLease) self = g_weak_ref_get(&event->lease);

	if (self == NULL || g_atomic_int_get(&self->stopped))
		return G_SOURCE_REMOVE;
	switch (event->kind) {
	case EVENT_STARTED:
		ferryd_lease_announce(self, TRUE);
		break;
	case EVENT_STOPPED:
		ferryd_lease_announce(self, FALSE);
		break;
	case EVENT_NEW_LEADER:
		g_signal_emit(self, signals[SIGNAL_NEW_LEADER], 0, event->holder);
		break;
	case EVENT_FAILED:
		g_signal_emit(self, signals[SIGNAL_FAILED], 0, event->error);
		break;
	}
	return G_SOURCE_REMOVE;
}

static void
ferryd_lease_dispatch(FerrydLease *self, EventKind kind, const char *holder, GError *error)
{
	LeaseEvent *event = g_new0(LeaseEvent, 1);
	g_autoptr(GSource) source = g_idle_source_new();

	g_weak_ref_init(&event->lease, self);
	event->kind = kind;
	event->holder = g_strdup(holder);
	event->error = error;
	g_source_set_priority(source, G_PRIORITY_HIGH);
	g_source_set_callback(source, ferryd_lease_deliver_cb, event, lease_event_free);
	g_source_attach(source, self->context);
}

/* ---------------------------------------------------------------------------
 * one round of the election (client-go's tryAcquireOrRenew and release)
 * ------------------------------------------------------------------------- */

static void
ferryd_lease_set_observed(FerrydLease *self, const LeaseRecord *record, gint64 when)
{
	g_mutex_lock(&self->lock);
	lease_record_copy(&self->observed, record);
	self->observed_time = when;
	g_mutex_unlock(&self->lock);
}

/* whether the last record seen names this process */
static gboolean
ferryd_lease_holds(FerrydLease *self)
{
	return g_strcmp0(self->observed.holder, self->identity) == 0;
}

static gboolean
ferryd_lease_valid(FerrydLease *self, gint64 now)
{
	return self->observed_time + self->observed.duration * G_USEC_PER_SEC > now;
}

static void
ferryd_lease_explain(FerrydLease *self, GError **error)
{
	if (error == NULL || *error == NULL)
		return;
	if (g_error_matches(*error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED)) {
		g_prefix_error(error,
			       "leader election on Lease %s/%s: ferryd's account needs verbs get, "
			       "create and update on leases in API group coordination.k8s.io in "
			       "namespace %s (a Role; see deploy/ferryd/rbac.yaml): ",
			       self->namespace, self->name, self->namespace);
	} else {
		g_prefix_error(error, "leader election on Lease %s/%s: ", self->namespace,
			       self->name);
	}
}

/* replaces the Lease read last with @record as its spec */
static gboolean
ferryd_lease_write(FerrydLease *self,
		   const LeaseRecord *record,
		   GCancellable *cancellable,
		   GError **error)
{
	g_autoptr(JsonNode) object = NULL;
	JsonNode *stored;

	if (self->lease == NULL) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_STATE,
			    "Lease %s/%s was not read before updating it", self->namespace,
			    self->name);
		return FALSE;
	}
	object = json_node_copy(self->lease);
	json_object_set_object_member(json_node_get_object(object), "spec",
				      lease_record_to_spec(record));
	stored = ferry_kube_client_replace(self->client, object, cancellable, error);
	if (stored == NULL)
		return FALSE;
	g_clear_pointer(&self->lease, json_node_unref);
	self->lease = stored;
	return TRUE;
}

static gboolean
ferryd_lease_create(FerrydLease *self,
		    const LeaseRecord *record,
		    GCancellable *cancellable,
		    GError **error)
{
	g_autoptr(JsonNode) node = json_node_new(JSON_NODE_OBJECT);
	JsonObject *object = json_object_new();
	JsonObject *metadata = json_object_new();
	JsonNode *stored;

	json_object_set_string_member(metadata, "name", self->name);
	json_object_set_string_member(metadata, "namespace", self->namespace);
	json_object_set_string_member(object, "apiVersion", LEASE_API);
	json_object_set_string_member(object, "kind", LEASE_KIND);
	json_object_set_object_member(object, "metadata", metadata);
	json_object_set_object_member(object, "spec", lease_record_to_spec(record));
	json_node_take_object(node, object);
	stored = ferry_kube_client_create(self->client, node, cancellable, error);
	if (stored == NULL)
		return FALSE;
	g_clear_pointer(&self->lease, json_node_unref);
	self->lease = stored;
	return TRUE;
}

static TryResult
ferryd_lease_try_acquire_or_renew(FerrydLease *self, GCancellable *cancellable, GError **error)
{
	gint64 now = g_get_monotonic_time();
	g_autofree char *stamp = ferryd_lease_now();
	g_autoptr(GError) local_error = NULL;
	g_autoptr(JsonNode) current = NULL;
	LeaseRecord desired = {0};
	LeaseRecord old = {0};
	TryResult result = TRY_ERROR;

	desired.holder = g_strdup(self->identity);
	desired.duration = (self->lease_duration + 999) / 1000;
	desired.acquire_time = g_strdup(stamp);
	desired.renew_time = g_strdup(stamp);

	/* 1. the leader's fast path: update what it wrote last */
	if (ferryd_lease_holds(self) && ferryd_lease_valid(self, now)) {
		g_free(desired.acquire_time);
		desired.acquire_time = g_strdup(self->observed.acquire_time);
		desired.transitions = self->observed.transitions;
		if (ferryd_lease_write(self, &desired, cancellable, &local_error)) {
			ferryd_lease_set_observed(self, &desired, now);
			result = TRY_OK;
			goto out;
		}
		if (g_cancellable_is_cancelled(cancellable)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			goto out;
		}
		g_debug("Lease %s/%s: optimistic renewal failed, reading it again: %s",
			self->namespace, self->name, local_error->message);
		g_clear_error(&local_error);
	}

	/* 2. read the Lease, or create it */
	current = ferry_kube_client_get(self->client, LEASE_API, LEASE_KIND, self->namespace,
					self->name, cancellable, &local_error);
	if (current == NULL) {
		if (!g_error_matches(local_error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND)) {
			g_propagate_error(error, g_steal_pointer(&local_error));
			goto out;
		}
		g_clear_error(&local_error);
		if (!ferryd_lease_create(self, &desired, cancellable, error))
			goto out;
		ferryd_lease_set_observed(self, &desired, now);
		result = TRY_OK;
		goto out;
	}
	g_clear_pointer(&self->lease, json_node_unref);
	self->lease = json_node_ref(current);

	/* 3. judge the record by when this process saw it change */
	lease_record_from_json(&old, current);
	if (!lease_record_equal(&old, &self->observed))
		ferryd_lease_set_observed(self, &old, now);
	if (old.holder != NULL && *old.holder != '\0' && ferryd_lease_valid(self, now) &&
	    !ferryd_lease_holds(self)) {
		result = TRY_HELD;
		goto out;
	}

	/* 4. take it (over) or renew it */
	if (ferryd_lease_holds(self)) {
		g_free(desired.acquire_time);
		desired.acquire_time = g_strdup(old.acquire_time);
		desired.transitions = old.transitions;
	} else {
		desired.transitions = old.transitions + 1;
	}
	if (!ferryd_lease_write(self, &desired, cancellable, error))
		goto out;
	ferryd_lease_set_observed(self, &desired, now);
	result = TRY_OK;
out:
	lease_record_clear(&desired);
	lease_record_clear(&old);
	return result;
}

/* gives the Lease up if this process holds it: empty holder, a second's
 * duration, so a candidate takes it at its next retry (client-go's release) */
static TryResult
ferryd_lease_release(FerrydLease *self, GCancellable *cancellable, GError **error)
{
	g_autofree char *stamp = NULL;
	LeaseRecord record = {0};
	TryResult result = TRY_ERROR;

	if (!ferryd_lease_holds(self))
		return TRY_OK;
	stamp = ferryd_lease_now();
	record.holder = g_strdup("");
	record.duration = 1;
	record.acquire_time = g_strdup(stamp);
	record.renew_time = g_strdup(stamp);
	record.transitions = self->observed.transitions;
	if (ferryd_lease_write(self, &record, cancellable, error)) {
		ferryd_lease_set_observed(self, &record, g_get_monotonic_time());
		result = TRY_OK;
	}
	lease_record_clear(&record);
	return result;
}

/* ---------------------------------------------------------------------------
 * the election thread
 * ------------------------------------------------------------------------- */

typedef TryResult (*AttemptFunc)(FerrydLease *self, GCancellable *cancellable, GError **error);

typedef struct {
	FerrydLease *self;
	AttemptFunc func;
	GCancellable *cancellable;
	gboolean done;
	TryResult result;
	GError *error;
} Attempt;

static gpointer
ferryd_lease_attempt_thread(gpointer data)
{
	Attempt *attempt = data;
	GError *error = NULL;
	TryResult result = attempt->func(attempt->self, attempt->cancellable, &error);

	g_mutex_lock(&attempt->self->lock);
	attempt->result = result;
	attempt->error = error;
	attempt->done = TRUE;
	g_cond_broadcast(&attempt->self->cond);
	g_mutex_unlock(&attempt->self->lock);
	return NULL;
}

/* runs @func in a thread and cancels it at @deadline (monotonic µs), or on
 * stop when @stoppable, as client-go bounds each round by the renew
 * deadline's context */
static TryResult
ferryd_lease_attempt(FerrydLease *self,
		     AttemptFunc func,
		     gint64 deadline,
		     gboolean stoppable,
		     GError **error)
{
	Attempt attempt = {self, func, g_cancellable_new(), FALSE, TRY_ERROR, NULL};
	GThread *thread = g_thread_new("ferryd-lease-try", ferryd_lease_attempt_thread, &attempt);
	gboolean cancelled = FALSE;

	g_mutex_lock(&self->lock);
	while (!attempt.done) {
		if (!cancelled && ((stoppable && g_atomic_int_get(&self->stopping)) ||
				   g_get_monotonic_time() >= deadline)) {
			g_cancellable_cancel(attempt.cancellable);
			cancelled = TRUE;
		}
		if (cancelled)
			g_cond_wait(&self->cond, &self->lock);
		else
			g_cond_wait_until(&self->cond, &self->lock, deadline);
	}
	g_mutex_unlock(&self->lock);
	g_thread_join(thread);
	g_object_unref(attempt.cancellable);
	if (attempt.result == TRY_ERROR && attempt.error == NULL)
		g_set_error_literal(&attempt.error, FERRY_ERROR, FERRY_ERROR_FAILED,
				    "the attempt failed without a reason");
	if (attempt.error != NULL) {
		if (cancelled && !g_atomic_int_get(&self->stopping))
			g_prefix_error(&attempt.error, "no answer within the renew deadline: ");
		ferryd_lease_explain(self, &attempt.error);
		g_propagate_error(error, attempt.error);
	}
	return attempt.result;
}

/* waits until @until (monotonic µs); FALSE when stopped meanwhile */
static gboolean
ferryd_lease_wait(FerrydLease *self, gint64 until)
{
	gboolean stopping;

	g_mutex_lock(&self->lock);
	while (!g_atomic_int_get(&self->stopping) && g_get_monotonic_time() < until)
		g_cond_wait_until(&self->cond, &self->lock, until);
	stopping = g_atomic_int_get(&self->stopping);
	g_mutex_unlock(&self->lock);
	return !stopping;
}

static gboolean
ferryd_lease_is_fatal(const GError *error)
{
	return g_error_matches(error, FERRY_ERROR, FERRY_ERROR_PERMISSION_DENIED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_AUTH_FAILED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_TLS_FAILED) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_NOT_FOUND) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT) ||
	       g_error_matches(error, FERRY_ERROR, FERRY_ERROR_INVALID_DATA);
}

/* logs an error once until it changes (a candidate retries every period) */
static void
ferryd_lease_log_error(FerrydLease *self, const GError *error)
{
	if (g_strcmp0(self->last_warning, error->message) == 0) {
		g_debug("%s", error->message);
		return;
	}
	g_free(self->last_warning);
	self->last_warning = g_strdup(error->message);
	g_warning("%s", error->message);
}

static void
ferryd_lease_report_holder(FerrydLease *self)
{
	const char *holder = self->observed.holder != NULL ? self->observed.holder : "";

	if (self->reported != NULL && g_strcmp0(self->reported, holder) == 0)
		return;
	g_free(self->reported);
	self->reported = g_strdup(holder);
	ferryd_lease_dispatch(self, EVENT_NEW_LEADER, holder, NULL);
}

static gint64
ferryd_lease_ms(guint ms)
{
	return (gint64)ms * 1000;
}

/* a candidate until it leads, then the leader until it cannot renew */
static gpointer
ferryd_lease_thread(gpointer data)
{
	FerrydLease *self = data;

	/* acquire: every retry period until the Lease is ours */
	for (;;) {
		g_autoptr(GError) error = NULL;
		gint64 start = g_get_monotonic_time();
		TryResult result =
		    ferryd_lease_attempt(self, ferryd_lease_try_acquire_or_renew,
					 start + ferryd_lease_ms(self->renew_deadline), TRUE,
					 &error);

		if (g_atomic_int_get(&self->stopping))
			return NULL;
		if (result == TRY_OK)
			break;
		if (result == TRY_ERROR) {
			if (ferryd_lease_is_fatal(error)) {
				ferryd_lease_dispatch(self, EVENT_FAILED, NULL,
						      g_steal_pointer(&error));
				return NULL;
			}
			ferryd_lease_log_error(self, error);
		} else {
			ferryd_lease_report_holder(self);
		}
		if (!ferryd_lease_wait(self, start + ferryd_lease_ms(self->retry_period)))
			return NULL;
	}
	g_clear_pointer(&self->last_warning, g_free);
	g_atomic_int_set(&self->is_leader, TRUE);
	ferryd_lease_report_holder(self);
	ferryd_lease_dispatch(self, EVENT_STARTED, NULL, NULL);

	/* renew: each round starts right away, retries every retry period and
	 * ends at the renew deadline; a renewed round waits a retry period */
	for (;;) {
		gint64 deadline = g_get_monotonic_time() + ferryd_lease_ms(self->renew_deadline);
		gboolean renewed = FALSE;
		gboolean taken = FALSE;

		for (;;) {
			g_autoptr(GError) error = NULL;
			gint64 start = g_get_monotonic_time();
			TryResult result = ferryd_lease_attempt(
			    self, ferryd_lease_try_acquire_or_renew, deadline, TRUE, &error);

			if (g_atomic_int_get(&self->stopping))
				return NULL;
			if (result == TRY_OK) {
				renewed = TRUE;
				break;
			}
			if (result == TRY_HELD) {
				taken = TRUE;
				break;
			}
			ferryd_lease_log_error(self, error);
			if (g_get_monotonic_time() >= deadline)
				break;
			if (!ferryd_lease_wait(self,
					       MIN(start + ferryd_lease_ms(self->retry_period),
						   deadline)))
				return NULL;
			if (g_get_monotonic_time() >= deadline)
				break;
		}
		if (!renewed) {
			if (taken)
				g_warning("Lease %s/%s: %s holds it now; %s stops leading",
					  self->namespace, self->name, self->observed.holder,
					  self->identity);
			else
				g_warning("Lease %s/%s: not renewed within the renew deadline "
					  "(%u ms); %s stops leading",
					  self->namespace, self->name, self->renew_deadline,
					  self->identity);
			break;
		}
		if (!ferryd_lease_wait(self, g_get_monotonic_time() +
						 ferryd_lease_ms(self->retry_period)))
			return NULL;
	}

	/* lost: step down first, then give the Lease up if it is still ours */
	g_atomic_int_set(&self->is_leader, FALSE);
	ferryd_lease_dispatch(self, EVENT_STOPPED, NULL, NULL);
	{
		g_autoptr(GError) error = NULL;
		gint64 start = g_get_monotonic_time();

		if (ferryd_lease_attempt(self, ferryd_lease_release,
					 start + ferryd_lease_ms(self->retry_period), TRUE,
					 &error) != TRY_OK)
			g_debug("%s", error->message);
	}
	ferryd_lease_report_holder(self);
	return NULL;
}

/**
 * ferryd_lease_start:
 * @self: a #FerrydLease
 * @error: return location for a #GError
 *
 * Checks the timing as client-go does (lease duration > renew deadline >
 * 1.2 × retry period) and starts campaigning in a thread.
 *
 * Returns: %TRUE when started
 */
gboolean
ferryd_lease_start(FerrydLease *self, GError **error)
{
	g_return_val_if_fail(FERRYD_IS_LEASE(self), FALSE);
	g_return_val_if_fail(self->thread == NULL, FALSE);

	if (*self->identity == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "leader election needs an identity (--identity, or the "
				    "POD_NAME variable from the downward API)");
		return FALSE;
	}
	if (*self->namespace == '\0' || *self->name == '\0') {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "leader election needs the Lease's namespace and name "
				    "(--lease-namespace, --lease-name)");
		return FALSE;
	}
	if (self->retry_period < 1 || self->renew_deadline < 1 || self->lease_duration < 1000) {
		g_set_error_literal(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
				    "leader election: the lease duration must be at least a "
				    "second and the renew deadline and retry period positive");
		return FALSE;
	}
	if (self->lease_duration <= self->renew_deadline) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "leader election: the lease duration (%u ms) must be longer than the "
			    "renew deadline (%u ms), or a new leader could start before the old "
			    "one gives up",
			    self->lease_duration, self->renew_deadline);
		return FALSE;
	}
	if ((guint64)self->renew_deadline * 10 <= (guint64)self->retry_period * 12) {
		g_set_error(error, FERRY_ERROR, FERRY_ERROR_INVALID_ARGUMENT,
			    "leader election: the renew deadline (%u ms) must be longer than 1.2 "
			    "× the retry period (%u ms)",
			    self->renew_deadline, self->retry_period);
		return FALSE;
	}
	self->context = g_main_context_ref_thread_default();
	self->thread = g_thread_new("ferryd-lease", ferryd_lease_thread, self);
	return TRUE;
}

/**
 * ferryd_lease_stop:
 * @self: a #FerrydLease
 * @release: whether to give the Lease up when this process holds it, so
 *   another replica takes over at once instead of after the lease duration
 *
 * Stops campaigning or leading. When this process was announced as the
 * leader, #FerrydLease::stopped-leading is emitted before this returns.
 * Signals still queued are dropped.
 */
void
ferryd_lease_stop(FerrydLease *self, gboolean release)
{
	g_return_if_fail(FERRYD_IS_LEASE(self));

	if (self->thread == NULL || g_atomic_int_get(&self->stopped))
		return;
	g_mutex_lock(&self->lock);
	g_atomic_int_set(&self->stopping, TRUE);
	g_cond_broadcast(&self->cond);
	g_mutex_unlock(&self->lock);
	g_thread_join(self->thread);
	g_atomic_int_set(&self->stopped, TRUE);
	g_atomic_int_set(&self->is_leader, FALSE);

	if (release && ferryd_lease_holds(self)) {
		g_autoptr(GError) error = NULL;
		gint64 deadline = g_get_monotonic_time() + ferryd_lease_ms(self->renew_deadline);

		if (ferryd_lease_attempt(self, ferryd_lease_release, deadline, FALSE, &error) ==
		    TRY_OK) {
			g_message("Lease %s/%s: released by %s", self->namespace, self->name,
				  self->identity);
		} else {
			g_warning("could not release the Lease (the other replicas take over "
				  "when it expires): %s",
				  error->message);
		}
	}
	ferryd_lease_announce(self, FALSE);
}
