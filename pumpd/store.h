/*
 * pumpd/store.h — the pump's durable state in SQLite (state.db in the state
 * directory): the serialized pump, the paired remotes with their replay and
 * request-id memory, the audit log, and each remote's bolus history.
 */
#ifndef PTM_PUMPD_STORE_H
#define PTM_PUMPD_STORE_H

#include <stddef.h>
#include <stdint.h>

/*
 * The database runs in WAL mode with synchronous=FULL: a transaction that
 * store_commit() reported is on disk.  A database is recognised by its
 * PRAGMA application_id (STORE_APP_ID); one with another id or a newer
 * schema (user_version) is refused at open with a clear message and is
 * never written to; store_check looks at the rest.
 *
 * Errors are negative: -ENOENT (no such file/remote), -EEXIST (duplicate),
 * -EINVAL (bad argument), -ENOSPC (disk or database full), -EROFS
 * (read-only), -EBADF (not our database / corrupt), -EIO (anything else).
 * Functions that take `err` write a one-line message there (errcap bytes).
 *
 * Memory: struct store is opaque, owned by the caller from store_open /
 * store_create until store_close.  Out-parameters are caller buffers.
 */

#define STORE_APP_ID   0x50544d31  /* "PTM1" */
#define STORE_VERSION  3          /* 2: typed audit rows; 3: history chained
                                      per remote, no index (1, 2 brought up) */
#define STORE_NAME_MAX 32          /* remote name bytes, [A-Za-z0-9._-] */
#define STORE_REPLY_MAX 4096        /* bytes of a remembered reply */
#define STORE_TEXT_MAX 120         /* bytes of an audit row's text */

enum store_role {
	STORE_ROLE_PATIENT = 1,
	STORE_ROLE_CLINICIAN = 2,
	STORE_ROLE_TESTER = 3,
};
const char *store_role_name(int role);   /* "patient" ... or "?" */
int store_role_parse(const char *s);     /* role or -1 */
/* 1 if name is a valid remote name (1..STORE_NAME_MAX of [A-Za-z0-9._-]). */
int store_name_valid(const char *name);

struct store;

struct store_remote {
	int64_t  id;                       /* row id */
	char     name[STORE_NAME_MAX + 1];
	int      role;                     /* enum store_role */
	uint8_t  pub[32];
	int      has_tai;                  /* a message 1 was accepted before */
	uint8_t  tai[12];                  /* the newest accepted TAI64N */
	uint64_t last_req_id;              /* 0 = none yet */
	const uint8_t *reply;              /* encoded reply to last_req_id:
	                                      store_remote_each only, valid
	                                      during the callback; else NULL */
	size_t   reply_len;                /* 0 = none */
	int64_t  last_seen_ms;             /* wall clock of the last session */
	int64_t  paired_ms;                /* wall clock of pairing: with id and
	                                      pub, tells this pairing from a later
	                                      one that reuses the row id */
};

/* Create path as a new, empty database (fails with -EEXIST if it exists). */
int store_create(const char *path, struct store **out, char *err, size_t errcap);
/* Open an existing database, checking that it is ours and intact. */
int store_open(const char *path, struct store **out, char *err, size_t errcap);
/* Check that the database is a whole pumpd state: its tables and columns,
 * every paired remote's row (name, role 1-3, a 32-byte key, a 12-byte
 * timestamp), and that it belongs to the pump whose public key is
 * pump_pub (the meta key "pump_pub"; NULL: not checked).  STORE_CHECK_FULL
 * adds SQLite's quick_check and the values of every history and audit row
 * (a scan: for pumpd run's start).  0; 1 when all is well but the database
 * has no record of its pump's key (made by an older pumpd: the caller may
 * record it with store_put_blob "pump_pub"); or -EBADF with what is wrong
 * in err; or another error. */
#define STORE_CHECK_QUICK 0
#define STORE_CHECK_FULL  1
int store_check(struct store *st, int level, const uint8_t pump_pub[32],
                char *err, size_t errcap);

/* Tests and benchmarks only: cap the database at n pages (simulates a full
 * disk).  0 leaves it. */
int store_set_max_pages(struct store *st, uint32_t n);
void store_close(struct store *st);

/* The last SQLite message (for logs). */
const char *store_errmsg(const struct store *st);

/* Transactions: every change below between begin and commit lands on disk
 * together or not at all.  Rollback is always safe to call. */
int store_begin(struct store *st);
int store_commit(struct store *st);
void store_rollback(struct store *st);

/* Key/value metadata (pump blob, counters). */
int store_put_blob(struct store *st, const char *key, const void *data, size_t len);
/* Copies up to cap bytes; *len gets the stored length.  -ENOENT if absent,
 * -ENOSPC if larger than cap. */
int store_get_blob(struct store *st, const char *key, void *buf, size_t cap,
                   size_t *len);
int store_put_int(struct store *st, const char *key, int64_t v);
int store_get_int(struct store *st, const char *key, int64_t *v);

/* Remotes. */
int store_remote_add(struct store *st, const char *name, int role,
                     const uint8_t pub[32], int64_t now_ms);
int store_remote_remove(struct store *st, const char *name);
/* Calls cb for each remote in name order; cb returning non-zero stops.
 * r is valid during the call.  Returns the count visited or < 0. */
int store_remote_each(struct store *st,
                      int (*cb)(void *ud, const struct store_remote *r), void *ud);
/* The remote with this public key into *out (without its reply): 0 or
 * -ENOENT. */
int store_remote_find(struct store *st, const uint8_t pub[32],
                      struct store_remote *out);
int store_remote_set_tai(struct store *st, int64_t id, const uint8_t tai[12],
                         int64_t seen_ms);
int store_remote_set_reply(struct store *st, int64_t id, uint64_t req_id,
                           const uint8_t *reply, size_t len);

/* The kinds of audit rows (typed events).  Up to STORE_EV_SECURITY the
 * pump's therapy; from there on what the link saw. */
enum store_event_kind {
	STORE_EV_NOTE = 0,       /* anything else: initialised, started, ... */
	STORE_EV_REQUEST,        /* a remote's request carried out */
	STORE_EV_REFUSED,        /* a remote's request refused (its error) */
	STORE_EV_ALARM,          /* raised, cleared, sounds again */
	STORE_EV_BOLUS,          /* a bolus ended or was cut short */
	STORE_EV_SCHEDULE,       /* a flexible schedule's step began */
	STORE_EV_PAIRING,        /* paired, unpaired */
	STORE_EV_PUMP,           /* pumpd started, stopped */
	STORE_EV_SECURITY,       /* (the first of the link's kinds) */
	STORE_EV_SESSION = STORE_EV_SECURITY, /* a session opened, closed */
	STORE_EV_HANDSHAKE,      /* a handshake refused, by cause */
	STORE_EV_LIMIT,          /* a rate limit or a cap refused or evicted */
	STORE_EV_DECRYPT,        /* a message that did not decrypt */
	STORE_EV__COUNT
};
const char *store_event_kind_name(int kind);  /* "request" ... or "?" */
int store_event_kind_parse(const char *s);    /* kind or -1 */

/* One audit row: when (the pump's time, which a tester may move, and the
 * wall clock beside it), what kind, who (a remote's name or "pump") in
 * which role (0: the pump itself, or nobody known), and text (cut at
 * STORE_TEXT_MAX bytes). */
struct store_event {
	int64_t at_ms, wall_ms;
	int kind;
	const char *who;
	int role;
	const char *text;
};
/* Append it: the new row's seq (> 0) or < 0. */
int64_t store_audit(struct store *st, const struct store_event *ev);
/* Append it with the open transaction's other deferred rows: they are
 * written together (one statement for up to 16) when it commits, or before
 * anything reads or writes the audit log; a rollback drops them.  Outside
 * a transaction, as store_audit.  0 or < 0 (-ENOMEM). */
int store_audit_defer(struct store *st, const struct store_event *ev);
/* Keep only the newest keep rows (a bounded log): rows deleted, or < 0. */
int store_audit_trim(struct store *st, int64_t keep);
/* The time of the newest audit row: 0, -ENOENT (none) or < 0. */
int store_audit_last_ms(struct store *st, int64_t *at_ms);
/* An audit row as read back. */
struct store_log_row {
	uint64_t seq;                      /* rising */
	int64_t  at_ms, wall_ms;
	int      kind;                     /* enum store_event_kind */
	int      role;                     /* enum store_role, 0 = the pump */
	char     who[STORE_NAME_MAX + 1];
	char     text[STORE_TEXT_MAX + 1];
};
/* Up to max rows with seq > after_seq, oldest first; after_seq UINT64_MAX:
 * the newest max rows, oldest first.  Returns the count or < 0. */
int store_audit_read(struct store *st, uint64_t after_seq, unsigned max,
                     struct store_log_row *out);

/* Bolus history per remote: each request's outcome (the pump's numbers).
 * Rows are appended in one table; each remote's rows form a chain from
 * its newest (no per-remote index: an insert writes the table's last page
 * and the remote's row, not a page of its own per remote). */
struct store_history_row {
	int64_t  at_ms;
	int      outcome;                  /* enum pump_outcome */
	uint32_t dose_ng;                  /* granted, 0 when refused */
};
int store_history_add(struct store *st, int64_t remote_id, int64_t at_ms,
                      int outcome, uint32_t dose_ng);
/* The newest max entries, newest first.  Returns the count or < 0. */
int store_history_read(struct store *st, int64_t remote_id, unsigned max,
                       struct store_history_row *out);

#endif
