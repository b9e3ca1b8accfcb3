/* pumpd/store.c — durable state in SQLite (see store.h). */
#include "pumpd/store.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <sqlite3.h>

#include "util/fmt.h"

/* Statements of the hot paths, prepared once (cached()).  Q_AUDIT_N + k:
 * the INSERT of 2^k audit rows at once (AUDIT_RUNS sizes, 1 .. 16). */
#define AUDIT_RUNS 5
enum { Q_AUDIT_N, Q_TRIM = Q_AUDIT_N + AUDIT_RUNS, Q_META_UPD, Q_META_INS,
       Q_REPLY, Q_TAI, Q_HIST, Q_HIST_HEAD, Q_HIST_GET, Q_BEGIN, Q_COMMIT,
       Q__COUNT };

/* An audit row of the open transaction not yet written (store_audit_defer). */
struct audit_pending {
	int64_t at_ms, wall_ms;
	int kind, role;
	unsigned tlen;
	char who[STORE_NAME_MAX + 1];
	char text[STORE_TEXT_MAX];
};

struct store {
	sqlite3 *db;
	int in_tx;
	sqlite3_stmt *q[Q__COUNT];
	/* a remote's newest history row not yet its hist_head: written with
	 * the remote's reply (one UPDATE of its row, not two), or before
	 * anything else reads or commits (head_store) */
	int64_t head_remote, head_id;   /* head_remote 0: none */
	/* the transaction's deferred audit rows, written together (a few
	 * statements, not one each) before it commits or anything reads
	 * or writes the audit log (audit_write) */
	struct audit_pending *aud;
	size_t naud, audcap;
};

static const char schema[] =
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;"
	"CREATE TABLE remotes("
	"  id INTEGER PRIMARY KEY,"
	"  name TEXT NOT NULL UNIQUE,"
	"  role INTEGER NOT NULL,"
	"  pubkey BLOB NOT NULL UNIQUE,"
	"  last_tai BLOB,"
	"  last_req_id INTEGER NOT NULL DEFAULT 0,"
	"  last_reply BLOB,"
	"  last_seen_ms INTEGER NOT NULL DEFAULT 0,"
	"  paired_ms INTEGER NOT NULL,"
	"  hist_head INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE audit("
	"  seq INTEGER PRIMARY KEY,"
	"  at_ms INTEGER NOT NULL,"
	"  who TEXT NOT NULL,"
	"  text TEXT NOT NULL,"
	"  kind INTEGER NOT NULL DEFAULT 0,"
	"  wall_ms INTEGER NOT NULL DEFAULT 0,"
	"  role INTEGER NOT NULL DEFAULT 0);"
	"CREATE TABLE history("
	"  id INTEGER PRIMARY KEY,"
	"  remote_id INTEGER NOT NULL,"
	"  at_ms INTEGER NOT NULL,"
	"  outcome INTEGER NOT NULL,"
	"  dose_ng INTEGER NOT NULL,"
	"  prev INTEGER NOT NULL DEFAULT 0);";

/* Version 1 to 2: version 1 had an untyped audit log; its rows become
 * notes. */
static const char migrate_v2[] =
	"ALTER TABLE audit ADD COLUMN kind INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE audit ADD COLUMN wall_ms INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE audit ADD COLUMN role INTEGER NOT NULL DEFAULT 0;"
	"PRAGMA user_version=2;";

/* Version 2 to 3: each remote's history becomes a chain (a row's prev is
 * the same remote's row before it, the remote's hist_head its newest) and
 * the per-remote index goes: it put every remote's insert on a leaf page
 * of its own, a WAL page per reply in a group commit. */
static const char migrate_v3[] =
	"CREATE INDEX IF NOT EXISTS history_remote ON history(remote_id, id);"
	"ALTER TABLE remotes ADD COLUMN hist_head INTEGER NOT NULL DEFAULT 0;"
	"ALTER TABLE history ADD COLUMN prev INTEGER NOT NULL DEFAULT 0;"
	"UPDATE history SET prev = coalesce((SELECT max(h.id) FROM history h "
	"  WHERE h.remote_id = history.remote_id AND h.id < history.id), 0);"
	"UPDATE remotes SET hist_head = coalesce((SELECT max(h.id) FROM history h "
	"  WHERE h.remote_id = remotes.id), 0);"
	"DROP INDEX history_remote;"
	"PRAGMA user_version=3;";

/* migrations[v - 1] brings version v to v + 1 */
static const char *const migrations[STORE_VERSION - 1] = { migrate_v2, migrate_v3 };

static const char *const role_names[] = { NULL, "patient", "clinician", "tester" };

const char *store_role_name(int role)
{
	return role >= 1 && role <= 3 ? role_names[role] : "?";
}

int store_role_parse(const char *s)
{
	for (int i = 1; i <= 3; i++)
		if (s && strcmp(s, role_names[i]) == 0)
			return i;
	return -1;
}

int store_name_valid(const char *name)
{
	size_t n = name ? strlen(name) : 0;
	if (n == 0 || n > STORE_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
			return 0;
	}
	return name[0] != '.' && name[0] != '-';
}

/* SQLite result code -> our negative errno. */
static int map_rc(int rc)
{
	switch (rc & 0xff) {
	case SQLITE_OK: case SQLITE_DONE: case SQLITE_ROW: return 0;
	case SQLITE_FULL: return -ENOSPC;
	case SQLITE_READONLY: return -EROFS;
	case SQLITE_CANTOPEN: return -ENOENT;
	case SQLITE_NOTADB: case SQLITE_CORRUPT: return -EBADF;
	case SQLITE_CONSTRAINT: return -EEXIST;
	case SQLITE_PERM: case SQLITE_AUTH: return -EACCES;
	default: return -EIO;
	}
}

/* Less room left where path lives than SQLite needs to open it (its log
 * and shared-memory index, a few pages). */
static int disk_full(const char *path)
{
	struct statvfs vs;
	return statvfs(path, &vs) == 0 &&
	       (uint64_t)vs.f_bavail * vs.f_frsize < 256 * 1024;
}

const char *store_errmsg(const struct store *st)
{
	return st && st->db ? sqlite3_errmsg(st->db) : "no database";
}

/* Before the first database of the process: no memory statistics (we
 * read none), so SQLite's every allocation takes no global mutex and
 * keeps no counts (Debian's library has no lookaside: statements allocate
 * on each step).  Too late once SQLite is initialised: then a no-op. */
static void lib_config(void)
{
	static int done;
	if (!done) {
		done = 1;
		(void)sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
	}
}

static int exec(struct store *st, const char *sql)
{
	return map_rc(sqlite3_exec(st->db, sql, NULL, NULL, NULL));
}

static int pragma_int(struct store *st, const char *sql, int64_t *v)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, sql, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int64(s, 0);
		rc = SQLITE_OK;
	} else if (rc == SQLITE_DONE) {
		*v = 0;
		rc = SQLITE_OK;
	}
	sqlite3_finalize(s);
	return rc;
}

/* WAL, synchronous=FULL, foreign keys irrelevant, busy wait for pumpd CLI
 * commands run next to a live daemon. */
static int configure(struct store *st, char *err, size_t cap, const char *path)
{
	sqlite3_busy_timeout(st->db, 5000);
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "PRAGMA journal_mode=WAL", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(s);
		if (rc == SQLITE_ROW) {
			const char *m = (const char *)sqlite3_column_text(s, 0);
			rc = m && strcmp(m, "wal") == 0 ? SQLITE_OK : SQLITE_CANTOPEN;
		}
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK) {
		fmt_set(err, cap, "%s: cannot use write-ahead logging (is the "
		       "directory writable?): %s", path, sqlite3_errmsg(st->db));
		return map_rc(rc) ? map_rc(rc) : -EIO;
	}
	rc = sqlite3_exec(st->db, "PRAGMA synchronous=FULL", NULL, NULL, NULL);
	if (rc != SQLITE_OK) {
		fmt_set(err, cap, "%s: %s", path, sqlite3_errmsg(st->db));
		return map_rc(rc);
	}
	return 0;
}

int store_create(const char *path, struct store **out, char *err, size_t errcap)
{
	if (access(path, F_OK) == 0) {
		fmt_set(err, errcap, "%s: already exists", path);
		return -EEXIST;
	}
	struct store *st = calloc(1, sizeof *st);
	if (!st) {
		fmt_set(err, errcap, "out of memory");
		return -ENOMEM;
	}
	lib_config();
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	                         SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		fmt_set(err, errcap, "%s: cannot create: %s", path,
		       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		sqlite3_close(st->db);
		free(st);
		return map_rc(rc) ? map_rc(rc) : -EIO;
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA application_id=%d", STORE_APP_ID);
	int e = configure(st, err, errcap, path);
	if (e == 0 && (e = exec(st, "BEGIN")) == 0) {
		e = exec(st, sql);
		if (e == 0)
			e = exec(st, schema);
		if (e == 0) {
			snprintf(sql, sizeof sql, "PRAGMA user_version=%d", STORE_VERSION);
			e = exec(st, sql);
		}
		if (e == 0)
			e = exec(st, "COMMIT");
		if (e != 0) {
			fmt_set(err, errcap, "%s: cannot write: %s", path,
			       sqlite3_errmsg(st->db));
			exec(st, "ROLLBACK");
		}
	}
	if (e != 0) {
		sqlite3_close(st->db);
		free(st);
		unlink(path);
		return e;
	}
	*out = st;
	return 0;
}

/* Bring the database from version `from` to the next by sql, in one
 * transaction: all of it or nothing. */
static int migrate(struct store *st, int from, const char *sql,
                   const char *path, char *err, size_t errcap)
{
	int e = exec(st, "BEGIN IMMEDIATE");
	if (e == 0)
		e = exec(st, sql);
	if (e == 0)
		e = exec(st, "COMMIT");
	if (e != 0) {
		fmt_set(err, errcap, "%s: cannot bring the database from "
		       "version %d to %d: %s", path, from, from + 1,
		       sqlite3_errmsg(st->db));
		exec(st, "ROLLBACK");
	}
	return e;
}

int store_open(const char *path, struct store **out, char *err, size_t errcap)
{
	struct store *st = calloc(1, sizeof *st);
	if (!st) {
		fmt_set(err, errcap, "out of memory");
		return -ENOMEM;
	}
	/* no CREATE: a missing file is an error, not a new database */
	lib_config();
	int rc = sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE |
	                         SQLITE_OPEN_NOMUTEX, NULL);
	int e = 0;
	int64_t app = 0, ver = 0;
	if (rc != SQLITE_OK) {
		fmt_set(err, errcap, "%s: cannot open: %s", path,
		       access(path, F_OK) ? "no such file (run pumpd init first)" :
		       st->db ? sqlite3_errmsg(st->db) : sqlite3_errstr(rc));
		e = map_rc(rc) ? map_rc(rc) : -EIO;
		goto fail;
	}
	sqlite3_busy_timeout(st->db, 5000);
	/* Read-only checks first: nothing is written to a file we do not
	 * recognise (journal_mode=WAL would write its header). */
	rc = pragma_int(st, "PRAGMA application_id", &app);
	if (rc != SQLITE_OK && disk_full(path)) {
		fmt_set(err, errcap, "%s: the disk is full (SQLite cannot even "
		       "open its log: %s); free some space and start again", path,
		       sqlite3_errmsg(st->db));
		e = -ENOSPC;
		goto fail;
	}
	if (rc != SQLITE_OK) {
		fmt_set(err, errcap, "%s: not a pumpd state database (%s); "
		       "refusing to touch it", path, sqlite3_errmsg(st->db));
		e = -EBADF;
		goto fail;
	}
	if (app != STORE_APP_ID) {
		fmt_set(err, errcap, "%s: not a pumpd state database "
		       "(application_id 0x%08llx, want 0x%08x); refusing to "
		       "touch it", path, (unsigned long long)(uint32_t)app,
		       STORE_APP_ID);
		e = -EBADF;
		goto fail;
	}
	rc = pragma_int(st, "PRAGMA user_version", &ver);
	/* an older version is brought up one step at a time */
	while (rc == SQLITE_OK && ver >= 1 && ver < STORE_VERSION) {
		if ((e = migrate(st, (int)ver, migrations[ver - 1], path, err,
		                 errcap)) != 0)
			goto fail;
		ver++;
	}
	if (rc != SQLITE_OK || ver != STORE_VERSION) {
		fmt_set(err, errcap, "%s: schema version %lld, this pumpd "
		       "knows %d; refusing to touch it", path, (long long)ver,
		       STORE_VERSION);
		e = -EBADF;
		goto fail;
	}
	e = configure(st, err, errcap, path);
	if (e && disk_full(path)) {
		fmt_set(err, errcap, "%s: the disk is full; free some space and "
		       "start again", path);
		e = -ENOSPC;
	}
	if (e)
		goto fail;
	*out = st;
	return 0;
fail:
	sqlite3_close(st->db);
	free(st);
	return e;
}

int store_set_max_pages(struct store *st, uint32_t n)
{
	char sql[64];
	if (n == 0)
		return 0;
	snprintf(sql, sizeof sql, "PRAGMA max_page_count=%u", n);
	return exec(st, sql);
}

void store_close(struct store *st)
{
	if (!st)
		return;
	if (st->in_tx)
		exec(st, "ROLLBACK");
	for (int i = 0; i < Q__COUNT; i++)
		sqlite3_finalize(st->q[i]);
	sqlite3_close(st->db);
	free(st->aud);
	free(st);
}

static sqlite3_stmt *cached(struct store *st, int id, const char *sql);
static int step_cached(sqlite3_stmt *s);
static int head_store(struct store *st);
static int audit_write(struct store *st);

/* BEGIN and COMMIT of every loop turn: prepared once */
static int tx_step(struct store *st, int id, const char *sql)
{
	sqlite3_stmt *s = cached(st, id, sql);
	if (!s)
		return map_rc(sqlite3_errcode(st->db)) ? map_rc(sqlite3_errcode(st->db)) : -EIO;
	return step_cached(s);
}

int store_begin(struct store *st)
{
	int e = tx_step(st, Q_BEGIN, "BEGIN IMMEDIATE");
	if (e == 0)
		st->in_tx = 1;
	return e;
}

int store_commit(struct store *st)
{
	int e = audit_write(st);
	if (e == 0)
		e = head_store(st);
	if (e == 0)
		e = tx_step(st, Q_COMMIT, "COMMIT");
	if (e != 0) {
		exec(st, "ROLLBACK");
		st->head_remote = 0;   /* its row is gone with the rest */
		st->naud = 0;
	}
	st->in_tx = 0;
	return e;
}

void store_rollback(struct store *st)
{
	st->head_remote = 0;
	st->naud = 0;   /* never written: gone with the transaction */
	if (st->in_tx || !sqlite3_get_autocommit(st->db))
		exec(st, "ROLLBACK");
	st->in_tx = 0;
}

/* Statement id, prepared on first use and kept (NULL when it cannot be
 * prepared: sqlite3_errcode says why). */
static sqlite3_stmt *cached(struct store *st, int id, const char *sql)
{
	if (!st->q[id] && sqlite3_prepare_v3(st->db, sql, -1,
	                                     SQLITE_PREPARE_PERSISTENT,
	                                     &st->q[id], NULL) != SQLITE_OK)
		st->q[id] = NULL;
	return st->q[id];
}

/* Step a cached statement once to its end, then reset it for next time.
 * Its bindings stay: every caller binds each parameter before each step
 * (one it binds only sometimes it binds to NULL otherwise). */
static int step_cached(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_reset(s);
	return rc == SQLITE_DONE ? 0 : map_rc(rc) ? map_rc(rc) : -EIO;
}

/* prepare, bind by the caller, step once; returns map_rc */
static int prep(struct store *st, const char *sql, sqlite3_stmt **s)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, s, NULL);
	return rc == SQLITE_OK ? 0 : map_rc(rc);
}

static int step_done(sqlite3_stmt *s)
{
	int rc = sqlite3_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : map_rc(rc) ? map_rc(rc) : -EIO;
}

/* meta: k's row with v bound by the caller's bind (at ?2).  An UPDATE in
 * place first: it writes only the page that holds the row (INSERT OR
 * REPLACE would delete and re-insert it, writing the key's index too in a
 * database made before meta was WITHOUT ROWID). */
static int meta_put(struct store *st, const char *key, const void *data,
                    size_t len, int64_t v)
{
	static const char *const sql[2] = {
		"UPDATE meta SET v = ?2 WHERE k = ?1",
		"INSERT INTO meta(k, v) VALUES(?1, ?2)",
	};
	for (int i = 0; i < 2; i++) {
		sqlite3_stmt *s = cached(st, Q_META_UPD + i, sql[i]);
		if (!s)
			return -EIO;
		sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
		if (data)
			sqlite3_bind_blob(s, 2, data, (int)len, SQLITE_STATIC);
		else
			sqlite3_bind_int64(s, 2, v);
		int e = step_cached(s);
		if (e != 0 || sqlite3_changes(st->db) == 1)
			return e;
	}
	return -EIO;
}

/* meta: k's value in *s (SQLITE_ROW: the caller reads column 0 and
 * finalizes), or an error (-ENOENT when absent) with *s finalized. */
static int meta_get(struct store *st, const char *key, sqlite3_stmt **s)
{
	int e = prep(st, "SELECT v FROM meta WHERE k = ?1", s);
	if (e)
		return e;
	sqlite3_bind_text(*s, 1, key, -1, SQLITE_STATIC);
	int rc = sqlite3_step(*s);
	if (rc == SQLITE_ROW)
		return 0;
	sqlite3_finalize(*s);
	*s = NULL;
	return rc == SQLITE_DONE ? -ENOENT : map_rc(rc) ? map_rc(rc) : -EIO;
}

int store_put_blob(struct store *st, const char *key, const void *data, size_t len)
{
	static const uint8_t none;
	return meta_put(st, key, len ? data : &none, len, 0);
}

int store_get_blob(struct store *st, const char *key, void *buf, size_t cap,
                   size_t *len)
{
	sqlite3_stmt *s;
	int e = meta_get(st, key, &s);
	if (e)
		return e;
	const void *p = sqlite3_column_blob(s, 0);
	size_t n = (size_t)sqlite3_column_bytes(s, 0);
	*len = n;
	if (n > cap)
		e = -ENOSPC;
	else if (n)
		memcpy(buf, p, n);
	sqlite3_finalize(s);
	return e;
}

int store_put_int(struct store *st, const char *key, int64_t v)
{
	return meta_put(st, key, NULL, 0, v);
}

int store_get_int(struct store *st, const char *key, int64_t *v)
{
	sqlite3_stmt *s;
	int e = meta_get(st, key, &s);
	if (e)
		return e;
	*v = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return 0;
}

int store_remote_add(struct store *st, const char *name, int role,
                     const uint8_t pub[32], int64_t now_ms)
{
	if (!store_name_valid(name) || role < 1 || role > 3)
		return -EINVAL;
	sqlite3_stmt *s;
	int e = prep(st, "INSERT INTO remotes(name, role, pubkey, paired_ms) "
	             "VALUES(?1, ?2, ?3, ?4)", &s);
	if (e)
		return e;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, role);
	sqlite3_bind_blob(s, 3, pub, 32, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, now_ms);
	return step_done(s);
}

int store_remote_remove(struct store *st, const char *name)
{
	/* its history: the chain back from its head (prev < id: it ends) */
	sqlite3_stmt *s;
	int e = head_store(st);
	if (e)
		return e;
	e = prep(st, "WITH RECURSIVE c(id) AS (SELECT hist_head FROM remotes "
	             "WHERE name = ?1 UNION SELECT h.prev FROM history h, c WHERE "
	             "h.id = c.id AND h.prev < h.id AND h.remote_id = (SELECT id "
	             "FROM remotes WHERE name = ?1)) DELETE FROM history WHERE "
	             "id IN c AND remote_id = (SELECT id FROM remotes WHERE "
	             "name = ?1)", &s);
	if (e)
		return e;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((e = step_done(s)) != 0)
		return e;
	if ((e = prep(st, "DELETE FROM remotes WHERE name = ?1", &s)) != 0)
		return e;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if ((e = step_done(s)) != 0)
		return e;
	return sqlite3_changes(st->db) == 1 ? 0 : -ENOENT;
}

#define REMOTE_COLS "SELECT id, name, role, pubkey, last_tai, last_req_id, " \
	"last_reply, last_seen_ms, paired_ms FROM remotes "

static void row_to_remote(sqlite3_stmt *s, struct store_remote *r)
{
	memset(r, 0, sizeof *r);
	r->id = sqlite3_column_int64(s, 0);
	const char *name = (const char *)sqlite3_column_text(s, 1);
	snprintf(r->name, sizeof r->name, "%s", name ? name : "");
	r->role = sqlite3_column_int(s, 2);
	if (sqlite3_column_bytes(s, 3) == 32)
		memcpy(r->pub, sqlite3_column_blob(s, 3), 32);
	if (sqlite3_column_bytes(s, 4) == 12) {
		memcpy(r->tai, sqlite3_column_blob(s, 4), 12);
		r->has_tai = 1;
	}
	r->last_req_id = (uint64_t)sqlite3_column_int64(s, 5);
	size_t rl = (size_t)sqlite3_column_bytes(s, 6);
	if (rl > 0 && rl <= STORE_REPLY_MAX) {
		r->reply = sqlite3_column_blob(s, 6);
		r->reply_len = rl;
	}
	r->last_seen_ms = sqlite3_column_int64(s, 7);
	r->paired_ms = sqlite3_column_int64(s, 8);
}

int store_remote_each(struct store *st,
                      int (*cb)(void *ud, const struct store_remote *r), void *ud)
{
	sqlite3_stmt *s;
	int e = prep(st, REMOTE_COLS "ORDER BY name", &s);
	if (e)
		return e;
	struct store_remote r;
	int n = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		row_to_remote(s, &r);
		n++;
		if (cb(ud, &r))
			break;
	}
	e = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? n : map_rc(rc);
	sqlite3_finalize(s);
	return e;
}

int store_remote_find(struct store *st, const uint8_t pub[32],
                      struct store_remote *out)
{
	sqlite3_stmt *s;
	int e = prep(st, REMOTE_COLS "WHERE pubkey = ?1", &s);
	if (e)
		return e;
	sqlite3_bind_blob(s, 1, pub, 32, SQLITE_STATIC);
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW) {
		row_to_remote(s, out);
		out->reply = NULL;   /* the statement's memory: gone at finalize */
		out->reply_len = 0;
		e = 0;
	} else {
		e = rc == SQLITE_DONE ? -ENOENT : map_rc(rc);
	}
	sqlite3_finalize(s);
	return e;
}

int store_remote_set_tai(struct store *st, int64_t id, const uint8_t tai[12],
                         int64_t seen_ms)
{
	sqlite3_stmt *s = cached(st, Q_TAI, "UPDATE remotes SET last_tai = ?2, "
	                         "last_seen_ms = ?3 WHERE id = ?1");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_blob(s, 2, tai, 12, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, seen_ms);
	int e = step_cached(s);
	if (e != 0)
		return e;
	return sqlite3_changes(st->db) == 1 ? 0 : -ENOENT;
}

int store_remote_set_reply(struct store *st, int64_t id, uint64_t req_id,
                           const uint8_t *reply, size_t len)
{
	sqlite3_stmt *s = cached(st, Q_REPLY, "UPDATE remotes SET last_req_id = ?2, "
	                         "last_reply = ?3, hist_head = coalesce(?4, "
	                         "hist_head) WHERE id = ?1");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, id);
	sqlite3_bind_int64(s, 2, (int64_t)req_id);
	sqlite3_bind_blob(s, 3, reply, (int)len, SQLITE_STATIC);
	if (st->head_remote == id)
		sqlite3_bind_int64(s, 4, st->head_id);
	else
		sqlite3_bind_null(s, 4);
	int e = step_cached(s);
	if (e != 0)
		return e;
	if (sqlite3_changes(st->db) != 1)
		return -ENOENT;
	if (st->head_remote == id)
		st->head_remote = 0;
	return 0;
}

/* The INSERT of 2^k audit rows (k < AUDIT_RUNS), prepared once. */
static sqlite3_stmt *audit_stmt(struct store *st, int k)
{
	if (st->q[Q_AUDIT_N + k])
		return st->q[Q_AUDIT_N + k];
	char sql[1024];
	size_t n = (size_t)snprintf(sql, sizeof sql, "INSERT INTO audit(at_ms, who, "
	                            "text, kind, wall_ms, role) VALUES");
	for (int i = 0; i < 1 << k; i++)
		n += (size_t)snprintf(sql + n, sizeof sql - n, "%s(?,?,?,?,?,?)",
		                      i ? "," : "");
	return cached(st, Q_AUDIT_N + k, sql);
}

static void audit_bind(sqlite3_stmt *s, int at, int64_t at_ms, const char *who,
                       const char *text, size_t tlen, int kind, int64_t wall_ms,
                       int role)
{
	sqlite3_bind_int64(s, at + 1, at_ms);
	sqlite3_bind_text(s, at + 2, who, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, at + 3, text, (int)tlen, SQLITE_STATIC);
	sqlite3_bind_int(s, at + 4, kind);
	sqlite3_bind_int64(s, at + 5, wall_ms);
	sqlite3_bind_int(s, at + 6, role);
}

/* The deferred rows, in order, in runs of 16, 8, ... 1 rows per
 * statement; 0 or an error (what was not written stays pending; the
 * caller's transaction fails). */
static int audit_write(struct store *st)
{
	size_t done = 0;
	while (done < st->naud) {
		int k = AUDIT_RUNS - 1;
		while ((size_t)1 << k > st->naud - done)
			k--;
		sqlite3_stmt *s = audit_stmt(st, k);
		if (!s)
			return map_rc(sqlite3_errcode(st->db)) ? map_rc(sqlite3_errcode(st->db)) : -EIO;
		for (int i = 0; i < 1 << k; i++) {
			const struct audit_pending *a = &st->aud[done + (size_t)i];
			audit_bind(s, 6 * i, a->at_ms, a->who, a->text, a->tlen,
			           a->kind, a->wall_ms, a->role);
		}
		int e = step_cached(s);
		if (e != 0) {
			/* the runs before it are in the transaction */
			st->naud -= done;
			memmove(st->aud, st->aud + done, st->naud * sizeof *st->aud);
			return e;
		}
		done += (size_t)1 << k;
	}
	st->naud = 0;
	return 0;
}

int64_t store_audit(struct store *st, const struct store_event *ev)
{
	int e = audit_write(st);   /* the deferred ones first: in order */
	if (e != 0)
		return e;
	sqlite3_stmt *s = audit_stmt(st, 0);
	if (!s)
		return map_rc(sqlite3_errcode(st->db)) ? map_rc(sqlite3_errcode(st->db)) : -EIO;
	size_t n = strlen(ev->text);
	audit_bind(s, 0, ev->at_ms, ev->who ? ev->who : "pump", ev->text,
	           n > STORE_TEXT_MAX ? STORE_TEXT_MAX : n, ev->kind, ev->wall_ms,
	           ev->role);
	e = step_cached(s);
	if (e != 0)
		return e;
	return sqlite3_last_insert_rowid(st->db);
}

int store_audit_defer(struct store *st, const struct store_event *ev)
{
	if (!st->in_tx) {   /* nothing to share a statement with */
		int64_t seq = store_audit(st, ev);
		return seq < 0 ? (int)seq : 0;
	}
	if (st->naud == st->audcap) {
		size_t cap = st->audcap ? st->audcap * 2 : 64;
		struct audit_pending *p = realloc(st->aud, cap * sizeof *p);
		if (!p)
			return -ENOMEM;
		st->aud = p;
		st->audcap = cap;
	}
	struct audit_pending *a = &st->aud[st->naud++];
	size_t n = strlen(ev->text);
	a->at_ms = ev->at_ms;
	a->wall_ms = ev->wall_ms;
	a->kind = ev->kind;
	a->role = ev->role;
	a->tlen = (unsigned)(n > STORE_TEXT_MAX ? STORE_TEXT_MAX : n);
	memcpy(a->text, ev->text, a->tlen);
	snprintf(a->who, sizeof a->who, "%s", ev->who ? ev->who : "pump");
	return 0;
}

int store_audit_trim(struct store *st, int64_t keep)
{
	int e = audit_write(st);
	if (e != 0)
		return e;
	sqlite3_stmt *s = cached(st, Q_TRIM, "DELETE FROM audit WHERE seq <= "
	                         "(SELECT max(seq) FROM audit) - ?1");
	if (!s)
		return -EIO;
	sqlite3_bind_int64(s, 1, keep);
	e = step_cached(s);
	return e ? e : sqlite3_changes(st->db);
}

int store_audit_last_ms(struct store *st, int64_t *at_ms)
{
	sqlite3_stmt *s;
	int e = audit_write(st);
	if (e == 0)
		e = prep(st, "SELECT at_ms FROM audit ORDER BY seq DESC LIMIT 1", &s);
	if (e)
		return e;
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		*at_ms = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return rc == SQLITE_ROW ? 0 : rc == SQLITE_DONE ? -ENOENT : map_rc(rc);
}

int store_audit_read(struct store *st, uint64_t after_seq, unsigned max,
                     struct store_log_row *out)
{
	sqlite3_stmt *s;
	int e = audit_write(st);   /* the open transaction's rows too */
	if (e)
		return e;
	/* after_seq 2^64 - 1: the newest max rows, oldest of them first */
	e = after_seq == UINT64_MAX
	        ? prep(st, "SELECT * FROM (SELECT seq, at_ms, who, text, kind, wall_ms, "
	               "role FROM audit WHERE ?1 = ?1 ORDER BY seq DESC LIMIT ?2) "
	               "ORDER BY seq", &s)
	        : prep(st, "SELECT seq, at_ms, who, text, kind, wall_ms, role "
	               "FROM audit WHERE seq > ?1 ORDER BY seq LIMIT ?2", &s);
	if (e)
		return e;
	sqlite3_bind_int64(s, 1, (int64_t)(after_seq > INT64_MAX ? INT64_MAX : after_seq));
	sqlite3_bind_int(s, 2, (int)max);
	int n = 0, rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW && (unsigned)n < max) {
		struct store_log_row *le = &out[n++];
		le->seq = (uint64_t)sqlite3_column_int64(s, 0);
		le->at_ms = sqlite3_column_int64(s, 1);
		const char *who = (const char *)sqlite3_column_text(s, 2);
		const char *text = (const char *)sqlite3_column_text(s, 3);
		snprintf(le->who, sizeof le->who, "%s", who ? who : "");
		snprintf(le->text, sizeof le->text, "%s", text ? text : "");
		le->kind = sqlite3_column_int(s, 4);
		le->wall_ms = sqlite3_column_int64(s, 5);
		le->role = sqlite3_column_int(s, 6);
	}
	e = (rc == SQLITE_ROW || rc == SQLITE_DONE) ? n : map_rc(rc);
	sqlite3_finalize(s);
	return e;
}

/* The pending head (struct store) into its remote's row. */
static int head_store(struct store *st)
{
	if (!st->head_remote)
		return 0;
	sqlite3_stmt *h = cached(st, Q_HIST_HEAD, "UPDATE remotes SET hist_head = ?2 "
	                         "WHERE id = ?1");
	if (!h)
		return -EIO;
	sqlite3_bind_int64(h, 1, st->head_remote);
	sqlite3_bind_int64(h, 2, st->head_id);
	int e = step_cached(h);
	if (e == 0)
		st->head_remote = 0;
	return e;
}

int store_history_add(struct store *st, int64_t remote_id, int64_t at_ms,
                      int outcome, uint32_t dose_ng)
{
	/* appended at the end of the table (rising id), linked to the
	 * remote's newest row before it: no page but the table's last and
	 * the remote's own row is written */
	sqlite3_stmt *s = cached(st, Q_HIST, "INSERT INTO history(remote_id, at_ms, "
	                         "outcome, dose_ng, prev) VALUES(?1, ?2, ?3, ?4, "
	                         "coalesce(?5, (SELECT hist_head FROM remotes WHERE "
	                         "id = ?1), 0))");
	if (!s)
		return -EIO;
	int e = st->head_remote == remote_id ? 0 : head_store(st);
	if (e != 0)
		return e;
	sqlite3_bind_int64(s, 1, remote_id);
	sqlite3_bind_int64(s, 2, at_ms);
	sqlite3_bind_int(s, 3, outcome);
	sqlite3_bind_int64(s, 4, dose_ng);
	if (st->head_remote == remote_id)
		sqlite3_bind_int64(s, 5, st->head_id);
	else
		sqlite3_bind_null(s, 5);
	if ((e = step_cached(s)) != 0)
		return e;
	st->head_remote = remote_id;
	st->head_id = sqlite3_last_insert_rowid(st->db);
	/* outside a transaction the row is on disk already: so is its link */
	return sqlite3_get_autocommit(st->db) ? head_store(st) : 0;
}

int store_history_read(struct store *st, int64_t remote_id, unsigned max,
                       struct store_history_row *out)
{
	/* the remote's chain from its head, newest first; a link to a row
	 * that is not the remote's, or not older, ends it */
	sqlite3_stmt *s = cached(st, Q_HIST_GET, "SELECT at_ms, outcome, dose_ng, "
	                         "prev, remote_id FROM history WHERE id = ?1");
	if (!s)
		return -EIO;
	sqlite3_stmt *hs;
	int e = head_store(st);
	if (e == 0)
		e = prep(st, "SELECT hist_head FROM remotes WHERE id = ?1", &hs);
	if (e)
		return e;
	sqlite3_bind_int64(hs, 1, remote_id);
	int rc = sqlite3_step(hs);
	int64_t id = rc == SQLITE_ROW ? sqlite3_column_int64(hs, 0) : 0;
	sqlite3_finalize(hs);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return map_rc(rc) ? map_rc(rc) : -EIO;
	int n = 0;
	e = 0;
	while (id > 0 && (unsigned)n < max) {
		sqlite3_bind_int64(s, 1, id);
		rc = sqlite3_step(s);
		if (rc != SQLITE_ROW) {
			if (rc != SQLITE_DONE)
				e = map_rc(rc) ? map_rc(rc) : -EIO;
			break;
		}
		if (sqlite3_column_int64(s, 4) != remote_id)
			break;
		out[n].at_ms = sqlite3_column_int64(s, 0);
		out[n].outcome = sqlite3_column_int(s, 1);
		out[n].dose_ng = (uint32_t)sqlite3_column_int64(s, 2);
		n++;
		int64_t prev = sqlite3_column_int64(s, 3);
		id = prev < id ? prev : 0;
		sqlite3_reset(s);
	}
	sqlite3_reset(s);
	sqlite3_clear_bindings(s);
	return e ? e : n;
}

/* ---- checking a whole state --------------------------------------------- */

static const struct {
	const char *table, *cols;
} schema_cols[] = {
	{ "meta", "k,v" },
	{ "remotes", "id,name,role,pubkey,last_tai,last_req_id,last_reply,"
	             "last_seen_ms,paired_ms,hist_head" },
	{ "audit", "seq,at_ms,who,text,kind,wall_ms,role" },
	{ "history", "id,remote_id,at_ms,outcome,dose_ng,prev" },
};

static int check_schema(struct store *st, char *err, size_t cap)
{
	for (size_t i = 0; i < sizeof schema_cols / sizeof schema_cols[0]; i++) {
		sqlite3_stmt *s;
		int e = prep(st, "SELECT group_concat(name, ',') FROM (SELECT name "
		             "FROM pragma_table_info(?1) ORDER BY cid)", &s);
		if (e)
			return e;
		sqlite3_bind_text(s, 1, schema_cols[i].table, -1, SQLITE_STATIC);
		int rc = sqlite3_step(s);
		const char *got = rc == SQLITE_ROW ?
			(const char *)sqlite3_column_text(s, 0) : NULL;
		int ok = got && strcmp(got, schema_cols[i].cols) == 0;
		if (!ok)
			fmt_set(err, cap, "table %s is %s", schema_cols[i].table,
			           got ? "not as this pumpd made it (its columns differ)" :
			           "missing");
		sqlite3_finalize(s);
		if (!ok)
			return -EBADF;
	}
	return 0;
}

static int check_remotes(struct store *st, char *err, size_t cap)
{
	sqlite3_stmt *s;
	int e = prep(st, "SELECT id, name, role, pubkey, last_tai, last_reply, "
	             "last_req_id, hist_head FROM remotes", &s);
	if (e)
		return e;
	int rc;
	e = 0;
	while (e == 0 && (rc = sqlite3_step(s)) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		char shown[STORE_NAME_MAX + 1];
		int64_t id = sqlite3_column_int64(s, 0);
		int role = sqlite3_column_int(s, 2);
		if (!name || !store_name_valid(name)) {
			snprintf(shown, sizeof shown, "#%lld", (long long)id);
			fmt_set(err, cap, "remote %s has no valid name", shown);
			e = -EBADF;
		} else if (sqlite3_column_type(s, 2) != SQLITE_INTEGER ||
		           role < STORE_ROLE_PATIENT || role > STORE_ROLE_TESTER) {
			fmt_set(err, cap, "remote '%s' has role %s (not 1-3)", name,
			           sqlite3_column_type(s, 2) == SQLITE_INTEGER ?
			           (role > 0 ? "out of range" : "0 or negative") :
			           "that is not a number");
			e = -EBADF;
		} else if (sqlite3_column_type(s, 3) != SQLITE_BLOB ||
		           sqlite3_column_bytes(s, 3) != 32) {
			fmt_set(err, cap, "remote '%s' has a public key of %d bytes "
			           "(not 32)", name, sqlite3_column_bytes(s, 3));
			e = -EBADF;
		} else if (sqlite3_column_type(s, 4) != SQLITE_NULL &&
		           sqlite3_column_bytes(s, 4) != 12) {
			fmt_set(err, cap, "remote '%s' has a handshake timestamp of "
			           "%d bytes (not 12)", name, sqlite3_column_bytes(s, 4));
			e = -EBADF;
		} else if (sqlite3_column_bytes(s, 5) > STORE_REPLY_MAX ||
		           sqlite3_column_type(s, 6) != SQLITE_INTEGER) {
			/* any 64-bit id is valid (stored as its int64 bits) */
			fmt_set(err, cap, "remote '%s' has a damaged request-id memory",
			           name);
			e = -EBADF;
		} else if (sqlite3_column_type(s, 7) != SQLITE_INTEGER ||
		           sqlite3_column_int64(s, 7) < 0) {
			fmt_set(err, cap, "remote '%s' has a damaged link to its "
			           "bolus history", name);
			e = -EBADF;
		}
	}
	if (e == 0 && rc != SQLITE_DONE)
		e = map_rc(rc) ? map_rc(rc) : -EIO;
	sqlite3_finalize(s);
	return e;
}

/* A count from one query (rows that break a rule). */
static int count_of(struct store *st, const char *sql, int64_t *n)
{
	return map_rc(pragma_int(st, sql, n));
}

/* Rows that break a rule of their table: what they are, and the count. */
static const struct {
	const char *what, *count;
} row_rules[] = {
	{ "bolus history", "SELECT count(*) FROM history WHERE typeof(outcome) "
	  "!= 'integer' OR outcome NOT BETWEEN 0 AND 255 OR typeof(dose_ng) != "
	  "'integer' OR dose_ng NOT BETWEEN 0 AND 4294967295 OR typeof(at_ms) != "
	  "'integer' OR typeof(prev) != 'integer' OR prev NOT BETWEEN 0 AND id - 1" },
	{ "audit", "SELECT count(*) FROM audit WHERE typeof(at_ms) != 'integer' "
	  "OR typeof(who) != 'text' OR typeof(text) != 'text'" },
};

static int check_rows(struct store *st, char *err, size_t cap)
{
	for (size_t i = 0; i < sizeof row_rules / sizeof row_rules[0]; i++) {
		int64_t n = 0;
		int e = count_of(st, row_rules[i].count, &n);
		if (e)
			return e;
		if (n) {
			fmt_set(err, cap, "%lld %s rows hold impossible values",
			        (long long)n, row_rules[i].what);
			return -EBADF;
		}
	}
	return 0;
}

static int quick_check(struct store *st, char *err, size_t cap)
{
	sqlite3_stmt *s;
	int e = prep(st, "PRAGMA quick_check", &s);
	if (e)
		return e;
	int rc = sqlite3_step(s);
	const char *res = rc == SQLITE_ROW ? (const char *)sqlite3_column_text(s, 0) : NULL;
	int ok = res && strcmp(res, "ok") == 0;
	if (!ok)
		fmt_set(err, cap, "the database is corrupt (%s)",
		           res ? res : sqlite3_errmsg(st->db));
	sqlite3_finalize(s);
	return ok ? 0 : -EBADF;
}

int store_check(struct store *st, int level, const uint8_t pump_pub[32],
                char *err, size_t errcap)
{
	int e = level == STORE_CHECK_FULL ? quick_check(st, err, errcap) : 0;
	if (e == 0)
		e = check_schema(st, err, errcap);
	if (e == 0)
		e = check_remotes(st, err, errcap);
	if (e == 0 && level == STORE_CHECK_FULL)
		e = check_rows(st, err, errcap);
	if (e < 0)
		return e == -EBADF ? e : (fmt_set(err, errcap, "cannot read it: %s",
		                                     sqlite3_errmsg(st->db)), e);
	if (!pump_pub)
		return 0;
	uint8_t have[32];
	size_t n = 0;
	e = store_get_blob(st, "pump_pub", have, sizeof have, &n);
	if (e == -ENOENT)
		return 1;       /* made before the key was recorded: the caller may */
	if (e < 0 || n != 32) {
		fmt_set(err, errcap, "its record of the pump's key is damaged");
		return -EBADF;
	}
	if (memcmp(have, pump_pub, 32) != 0) {
		fmt_set(err, errcap, "it belongs to another pump (its pump key is "
		           "not this directory's pump.key): was state.db or pump.key "
		           "copied from another pump's directory?");
		return -EBADF;
	}
	return 0;
}

static const char *const kind_names[STORE_EV__COUNT] = {
	"note", "request", "refused", "alarm", "bolus", "schedule", "pairing",
	"pump", "session", "handshake", "limit", "decrypt",
};

const char *store_event_kind_name(int kind)
{
	return kind >= 0 && kind < STORE_EV__COUNT ? kind_names[kind] : "?";
}

int store_event_kind_parse(const char *s)
{
	for (int i = 0; s && i < STORE_EV__COUNT; i++)
		if (strcmp(s, kind_names[i]) == 0)
			return i;
	return -1;
}
