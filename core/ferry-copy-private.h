/*
 * Copyright (C) 2026 The Ferry authors
 * SPDX-License-Identifier: LGPL-2.1-or-later
 */

#pragma once

#include <gio/gio.h>

#include "ferry-copy.h"
#include "ferry-extent.h"

G_BEGIN_DECLS

/*
 * The copy engine's view of one end of a copy: one connection to an NBD
 * server, or one open file descriptor. Each worker thread owns one source and
 * one target connection and is the only thread that drives them, so
 * connections need no locking. Commands are started with the
 * ferry_copy_conn_start_*() calls; their completion function runs later in
 * the same thread (NBD: from ferry_copy_conn_notify(); files: before the
 * start call returns).
 */

typedef struct _FerryCopyConn FerryCopyConn;

/* @err is 0 or an errno value */
typedef void (*FerryCopyDoneFunc)(gpointer user_data, int err);

/* what to call when a command ends; must outlive the command, and may be
 * shared by several commands in flight */
typedef struct {
	FerryCopyDoneFunc done;
	gpointer user_data;
} FerryCopyCompletion;

typedef struct {
	FerryCopyConn *(*clone)(FerryCopyConn *self, GError **error);
	void (*free)(FerryCopyConn *self);
	gboolean (*reconnect)(FerryCopyConn *self, GError **error);
	gboolean (*is_dead)(FerryCopyConn *self);
	int (*in_flight)(FerryCopyConn *self);
	/* appends the extents of @context from @offset on (at least one, at
	 * most up to @offset + @length) to @out; flags are the context's bits */
	gboolean (*extents)(FerryCopyConn *self,
			    const char *context,
			    guint64 offset,
			    guint64 length,
			    FerryExtentList *out,
			    GError **error);
	/* the start functions return an errno when the command could not be
	 * started (the completion function is not called then), else 0 */
	int (*start_read)(FerryCopyConn *self,
			  void *buffer,
			  gsize length,
			  guint64 offset,
			  FerryCopyCompletion *completion);
	int (*start_write)(FerryCopyConn *self,
			   const void *buffer,
			   gsize length,
			   guint64 offset,
			   FerryCopyCompletion *completion);
	int (*start_zero)(FerryCopyConn *self,
			  gsize length,
			  guint64 offset,
			  FerryCopyCompletion *completion);
	int (*start_flush)(FerryCopyConn *self, FerryCopyCompletion *completion);
	/* blocking read, for the rare checks outside the pipeline */
	int (*read_sync)(FerryCopyConn *self, void *buffer, gsize length, guint64 offset);
	/* makes the commands in flight fail at once (a stalled server) */
	void (*abort)(FerryCopyConn *self);
	/* the descriptor to poll and the events wanted, or -1 */
	int (*get_poll_fd)(FerryCopyConn *self, short *events);
	void (*notify)(FerryCopyConn *self, short revents);
} FerryCopyConnClass;

struct _FerryCopyConn {
	const FerryCopyConnClass *klass;
	char *description; /* how messages name the disk: never a credential */
	gboolean writable;
	guint64 size;
	gboolean can_multi_conn;
	gboolean can_zero;
	gboolean can_flush;
	gboolean can_extents; /* base:allocation */
	gboolean is_local;
	gboolean broken; /* a command failed for a lost connection: reconnect */
	gboolean stalled; /* aborted after no reply within the timeout */
	guint64 max_request; /* 0 = no limit beyond the NBD protocol's */
};

#define FERRY_COPY_CONTEXT_ALLOCATION "base:allocation"

/* the NBD `base:allocation` bits and the dirty-bitmap bit */
#define FERRY_COPY_STATE_HOLE  1u
#define FERRY_COPY_STATE_ZERO  2u
#define FERRY_COPY_STATE_DIRTY 1u

FerryCopyConn *
ferry_copy_nbd_open(const char *uri,
		    const char *description,
		    gboolean writable,
		    const char *extra_context,
		    GCancellable *cancellable,
		    GError **error);
gboolean
ferry_copy_nbd_has_context(FerryCopyConn *conn, const char *context);

FerryCopyConn *
ferry_copy_file_open(const char *path, const char *description, gboolean writable, GError **error);

static inline void
ferry_copy_conn_free(FerryCopyConn *conn)
{
	if (conn != NULL)
		conn->klass->free(conn);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryCopyConn, ferry_copy_conn_free)

/* fills the common fields of a new connection */
void
ferry_copy_conn_init(FerryCopyConn *conn,
		     const FerryCopyConnClass *klass,
		     const char *description,
		     gboolean writable);
/* frees the common fields */
void
ferry_copy_conn_clear(FerryCopyConn *conn);
/* whether an errno from a command is worth retrying */
gboolean
ferry_copy_errno_is_transient(int err);
/* whether an errno means the connection is gone */
gboolean
ferry_copy_errno_is_disconnect(int err);
/* the FerryError code for an errno */
int
ferry_copy_errno_to_code(int err);

/*
 * The journal: an SQLite database (one per copy, at a path the caller
 * names) holding the ranges already written (and verified) and what the copy
 * was, so that a later run can resume, or refuse to, safely.
 */
typedef struct _FerryCopyJournal FerryCopyJournal;

FerryCopyJournal *
ferry_copy_journal_open(const char *path,
			const char *mode,
			guint64 size,
			const char *work_digest,
			GError **error);
void
ferry_copy_journal_free(FerryCopyJournal *self);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(FerryCopyJournal, ferry_copy_journal_free)
const char *
ferry_copy_journal_get_path(FerryCopyJournal *self);
/* whether the journal already existed with the same identity */
gboolean
ferry_copy_journal_get_resumed(FerryCopyJournal *self);
gboolean
ferry_copy_journal_get_complete(FerryCopyJournal *self);
/* "1" when the target read as zeroes (fresh or pre-zeroed) at the start */
gboolean
ferry_copy_journal_get_target_zero(FerryCopyJournal *self);
gboolean
ferry_copy_journal_set_target_zero(FerryCopyJournal *self, gboolean zero, GError **error);
/* the ranges recorded so far, merged */
FerryExtentList *
ferry_copy_journal_dup_done(FerryCopyJournal *self, GError **error);
/* records @ranges (a GArray of FerryExtent, any order) in one transaction;
 * safe to call from several threads */
gboolean
ferry_copy_journal_commit(FerryCopyJournal *self, GArray *ranges, GError **error);
gboolean
ferry_copy_journal_set_complete(FerryCopyJournal *self, GError **error);

/* sorts @ranges (a GArray of FerryExtent) and merges touching ones in place */
void
ferry_copy_ranges_merge(GArray *ranges);

/* the built-in `nbd` transfer method */
#define FERRY_TYPE_NBD_TRANSFER_METHOD (ferry_nbd_transfer_method_get_type())
G_DECLARE_FINAL_TYPE(FerryNbdTransferMethod,
		     ferry_nbd_transfer_method,
		     FERRY,
		     NBD_TRANSFER_METHOD,
		     GObject)

/*
 * A run of FerryCopy, shared by ferry-copy.c (the object, its options and
 * statistics), ferry-copy-worker.c (the ops and the worker threads) and
 * ferry-copy-run.c (setting up a run and the run calls).
 */

#define DEFAULT_CONNECTIONS  4
#define DEFAULT_REQUESTS     64
#define DEFAULT_REQUEST_SIZE (256u * 1024)
#define DEFAULT_RETRIES	     5
#define DEFAULT_TIMEOUT	     300
#define MIN_REQUEST_SIZE     4096u
#define MAX_REQUEST_SIZE     (32u * 1024 * 1024)
#define MAX_REQUESTS	     1024
#define MAX_CONNECTIONS	     64
#define SPARSE_SIZE	     4096u
#define MAX_QUEUE_BYTES	     (256u * 1024 * 1024)
#define MAX_SLICE	     (128ull * 1024 * 1024)
#define MIN_SLICE	     (4ull * 1024 * 1024)
#define COMMIT_INTERVAL_US   (1 * G_USEC_PER_SEC)
#define RETRY_BASE_US	     (200 * 1000)
#define RETRY_MAX_US	     (5 * G_USEC_PER_SEC)
#define REVIVE_WAIT_US	     (50 * 1000)
#define THROTTLE_BURST_US    (100 * 1000)
#define PROGRESS_BATCH	     (8u * 1024 * 1024)

struct _FerryCopy {
	GObject parent_instance;
	FerryDiskEndpoint *source;
	FerryDiskEndpoint *target;
	guint connections;
	guint requests;
	guint request_size;
	guint retries;
	guint timeout;
	guint64 bandwidth;
	char *journal;
	gboolean verify;
	FerryExtentList *extents;
	char *extents_from;
	gint running;
	/* what the last run did */
	guint64 bytes_total;
	guint64 bytes_read;
	guint64 bytes_written;
	guint64 bytes_zeroed;
	guint64 bytes_skipped;
	guint64 bytes_resumed;
	guint64 bytes_verified;
	guint retried;
	guint connections_used;
};

typedef struct {
	GMutex lock;
	guint64 rate;
	gint64 next;
} Throttle;

typedef struct {
	guint64 read;
	guint64 written;
	guint64 zeroed;
	guint64 skipped;
	guint64 verified;
	guint retried;
} Stats;

typedef struct {
	FerryCopy *self;
	FerryProgress *progress;
	GCancellable *stop; /* cancelled on the first error or on the caller's cancel */
	FerryCopyJournal *journal;
	GArray *slices; /* of FerryExtent; ZERO flag: known to read as zeroes */
	gint next_slice;
	gboolean target_zero;
	gboolean verify;
	gboolean incremental;
	guint request_size;
	guint requests;
	guint retries;
	gint64 stall_us;
	guint8 *zero_buffer;
	Throttle throttle;
	GMutex lock;
	GError *error;
	Stats stats;
} Job;

typedef enum {
	PHASE_READ,
	PHASE_WRITE,
	PHASE_VERIFY,
} Phase;

typedef struct _Worker Worker;

typedef struct {
	Worker *worker;
	FerryCopyCompletion completion;
	GList link;
	guint64 offset;
	gsize length;
	gboolean zero; /* known to read as zeroes: nothing to read */
	gboolean charged;
	Phase phase;
	guint pending;
	int error;
	guint attempts;
	gint64 not_before;
	guint8 *buffer;
	guint8 *check;
	Stats stats; /* of this op, added to the worker's when it is done */
} Op;

struct _Worker {
	Job *job;
	guint index;
	FerryCopyConn *src;
	FerryCopyConn *dst;
	Op *ops;
	guint n_ops;
	GQueue idle;
	GQueue completed;
	GQueue waiting;
	guint busy;
	/* the slice being cut into ops */
	FerryExtentList *current;
	guint current_index;
	guint64 current_pos;
	gboolean no_more_work;
	/* ranges done since the last flush, and those the flush in flight covers */
	GArray *done;
	GArray *flushing;
	gboolean dirty;
	gboolean flush_in_flight;
	gboolean flush_complete;
	int flush_error;
	guint flush_attempts;
	FerryCopyCompletion flush_completion;
	gint64 last_commit;
	guint64 progress_pending;
	gint64 last_reply;
	GError *reconnect_error;
	Stats stats;
	GThread *thread;
};

void
ferry_copy_stats_add(Stats *into, const Stats *from);
void
ferry_copy_job_fail(Job *job, GError *error);
Worker *
ferry_copy_worker_new(Job *job, guint index, FerryCopyConn *src, FerryCopyConn *dst);
void
ferry_copy_worker_free(Worker *worker);
gpointer
ferry_copy_worker_thread(gpointer data);

G_END_DECLS
