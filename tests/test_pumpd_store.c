/* tests/test_pumpd_store.c — the durable store: what is committed is there
 * after reopening, what is rolled back is not, a foreign or corrupt file is
 * refused and left byte for byte as it was. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "pumpd/store.h"
#include "tests/lib/must.h"
#include "tests/lib/tmpdir.h"

static char dir[TMPDIR_MAX];
static char path[128];

TMPDIR_SUITE(store, dir, "ptm-store", path, "state.db");

/* An audit row read back is seq, at pump time at, by who, saying text, of
 * kind. */
static void row_is(const struct store_log_row *r, uint64_t seq, int64_t at,
                   const char *who, const char *text, int kind)
{
	cr_assert_eq(r->seq, seq);
	cr_assert_eq(r->at_ms, at);
	cr_assert_str_eq(r->who, who);
	cr_assert_str_eq(r->text, text);
	cr_assert_eq(r->kind, kind, "row %llu: kind %d", (unsigned long long)seq, r->kind);
}

/* An audit row of a remote's request at pump time at. */
static int64_t audit(struct store *st, int64_t at, const char *who,
                     const char *text)
{
	struct store_event ev = { at, 1767254400000 + at, STORE_EV_REQUEST, who,
	                          STORE_ROLE_PATIENT, text };
	return store_audit(st, &ev);
}

static uint8_t key1[32] = { 1 }, key2[32] = { 2 };

static uint8_t reply_seen[8];

static int collect(void *ud, const struct store_remote *r)
{
	struct store_remote *out = ud;
	int i = 0;
	while (out[i].id)
		i++;
	out[i] = *r;
	/* the reply lives as long as the call: its bytes are kept here */
	out[i].reply = NULL;
	if (r->reply_len && r->reply_len <= sizeof reply_seen)
		memcpy(reply_seen, r->reply, r->reply_len);
	return 0;
}

/* verifies: SR-STORE-001 */
Test(store, committed_survives_reopen_rolled_back_does_not)
{
	struct store *st;
	char err[256];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_remote_add(st, "alice", STORE_ROLE_PATIENT, key1, 5), 0);
	cr_assert_eq(store_remote_add(st, "alice", STORE_ROLE_CLINICIAN, key2, 5), -EEXIST);
	cr_assert_eq(store_remote_add(st, "bob", STORE_ROLE_CLINICIAN, key1, 5), -EEXIST,
	             "one key, one remote");
	cr_assert_eq(store_remote_add(st, "b/ad", STORE_ROLE_CLINICIAN, key2, 5), -EINVAL);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_put_blob(st, "pump", "abc", 3), 0);
	cr_assert_eq(audit(st, 1000, "alice", "bolus granted"), 1);
	cr_assert_eq(store_commit(st), 0);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_put_blob(st, "pump", "xyz!", 4), 0);
	cr_assert_eq(audit(st, 2000, "alice", "never"), 2);
	store_rollback(st);
	store_close(st);

	cr_assert_eq(store_open(path, &st, err, sizeof err), 0, "%s", err);
	char buf[16];
	size_t len = 0;
	cr_assert_eq(store_get_blob(st, "pump", buf, sizeof buf, &len), 0);
	cr_assert_eq(len, 3);
	cr_assert(memcmp(buf, "abc", 3) == 0);
	struct store_log_row le[4];
	cr_assert_eq(store_audit_read(st, 0, 4, le), 1);
	row_is(&le[0], 1, 1000, "alice", "bolus granted", STORE_EV_REQUEST);
	cr_assert_eq(le[0].role, STORE_ROLE_PATIENT);
	cr_assert_eq(le[0].wall_ms, 1767254400000 + 1000);

	struct store_remote *rs = calloc(4, sizeof *rs);
	cr_assert_eq(store_remote_each(st, collect, rs), 1);
	cr_assert_str_eq(rs[0].name, "alice");
	cr_assert_eq(rs[0].role, STORE_ROLE_PATIENT);
	cr_assert_eq(rs[0].has_tai, 0);
	uint8_t tai[12] = { 0x40, 0, 0, 0, 0, 0, 0, 9 };
	cr_assert_eq(store_remote_set_tai(st, rs[0].id, tai, 77), 0);
	cr_assert_eq(store_remote_set_reply(st, rs[0].id, 42, (const uint8_t *)"R", 1), 0);
	cr_assert_eq(store_history_add(st, rs[0].id, 10, 0, 500000), 0);
	cr_assert_eq(store_history_add(st, rs[0].id, 20, 1, 0), 0);
	int64_t id = rs[0].id;
	memset(rs, 0, 4 * sizeof *rs);
	cr_assert_eq(store_remote_each(st, collect, rs), 1);
	cr_assert_eq(rs[0].has_tai, 1);
	cr_assert(memcmp(rs[0].tai, tai, 12) == 0);
	cr_assert_eq(rs[0].last_req_id, 42);
	cr_assert_eq(rs[0].reply_len, 1);
	cr_assert_eq(reply_seen[0], 'R', "the reply read back");
	cr_assert_eq(rs[0].last_seen_ms, 77);
	struct store_history_row h[4];
	cr_assert_eq(store_history_read(st, id, 4, h), 2);
	cr_assert_eq(h[0].at_ms, 20, "newest first");
	cr_assert_eq(h[1].dose_ng, 500000);
	cr_assert_eq(store_remote_remove(st, "alice"), 0);
	cr_assert_eq(store_remote_remove(st, "alice"), -ENOENT);
	free(rs);
	store_close(st);
}

static void slurp(const char *p, char *buf, size_t cap, size_t *len)
{
	FILE *f = fopen(p, "rb");
	cr_assert(f);
	*len = fread(buf, 1, cap, f);
	fclose(f);
}

/* verifies: SR-STORE-003 */
Test(store, foreign_database_refused_and_untouched)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "CREATE TABLE t(x); INSERT INTO t VALUES(1);",
	                          NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	static char before[65536], after[65536];
	size_t n1, n2;
	slurp(path, before, sizeof before, &n1);

	struct store *st = NULL;
	char err[256] = "";
	cr_assert_eq(store_open(path, &st, err, sizeof err), -EBADF);
	cr_assert(strstr(err, "not a pumpd state database (application_id 0x00000000"),
	          "%s", err);
	slurp(path, after, sizeof after, &n2);
	cr_assert_eq(n1, n2);
	cr_assert(memcmp(before, after, n1) == 0, "the file was modified");
	char wal[160];
	snprintf(wal, sizeof wal, "%s-wal", path);
	cr_assert_neq(access(wal, F_OK), 0, "a WAL file was created");
}

/* verifies: SR-STORE-003 */
Test(store, garbage_file_refused_and_untouched)
{
	FILE *f = fopen(path, "wb");
	for (int i = 0; i < 4096; i++)
		fputc("garbage!"[i % 8], f);
	fclose(f);
	struct store *st = NULL;
	char err[256] = "";
	cr_assert_eq(store_open(path, &st, err, sizeof err), -EBADF);
	cr_assert(strstr(err, "refusing to touch it"), "%s", err);
	struct stat sb;
	cr_assert_eq(stat(path, &sb), 0);
	cr_assert_eq(sb.st_size, 4096);
}

/* Tables as versions 1 and 2 made them (the audit log apart). */
#define OLD_TABLES \
	"CREATE TABLE meta(k TEXT PRIMARY KEY, v) WITHOUT ROWID;" \
	"CREATE TABLE remotes(id INTEGER PRIMARY KEY, name TEXT NOT NULL " \
	"UNIQUE, role INTEGER NOT NULL, pubkey BLOB NOT NULL UNIQUE, " \
	"last_tai BLOB, last_req_id INTEGER NOT NULL DEFAULT 0, " \
	"last_reply BLOB, last_seen_ms INTEGER NOT NULL DEFAULT 0, " \
	"paired_ms INTEGER NOT NULL);"
#define OLD_HISTORY \
	"CREATE TABLE history(id INTEGER PRIMARY KEY, remote_id INTEGER " \
	"NOT NULL, at_ms INTEGER NOT NULL, outcome INTEGER NOT NULL, " \
	"dose_ng INTEGER NOT NULL);" \
	"CREATE INDEX history_remote ON history(remote_id, id);"

/* A database written as an older pumpd wrote it (version, then its
 * tables and rows), opened by this one. */
static struct store *open_old(int version, const char *tables)
{
	sqlite3 *db;
	char pragmas[128];
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	snprintf(pragmas, sizeof pragmas, "PRAGMA application_id=%d; PRAGMA "
	         "user_version=%d;", STORE_APP_ID, version);
	cr_assert_eq(sqlite3_exec(db, pragmas, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, tables, NULL, NULL, NULL), SQLITE_OK,
	             "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
	struct store *st = NULL;
	char err[256] = "";
	cr_assert_eq(store_open(path, &st, err, sizeof err), 0, "%s", err);
	return st;
}

/* The one value a query on the closed database gives. */
static int64_t value_of(const char *sql)
{
	return must_sql_int(path, sql);
}

/* verifies: SR-STORE-009 */
Test(store, version_1_database_is_brought_up_with_its_rows)
{
	/* a database as pumpd wrote it before the audit log was typed */
	struct store *st = open_old(1, OLD_TABLES
	         "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT "
	         "NULL, who TEXT NOT NULL, text TEXT NOT NULL);"
	         OLD_HISTORY
	         "INSERT INTO audit VALUES(7, 5000, 'alice', 'bolus granted');");
	struct store_log_row le[2];
	cr_assert_eq(store_audit_read(st, 0, 2, le), 1);
	/* an untyped row becomes a note */
	row_is(&le[0], 7, 5000, "alice", "bolus granted", STORE_EV_NOTE);
	/* new rows are typed, after the old ones */
	cr_assert_eq(audit(st, 6000, "alice", "status"), 8);
	store_close(st);
	cr_assert_eq(value_of("PRAGMA user_version"), STORE_VERSION);
}

Test(store, missing_file_is_not_created)
{
	struct store *st = NULL;
	char err[256] = "";
	cr_assert_lt(store_open(path, &st, err, sizeof err), 0);
	cr_assert(strstr(err, "run pumpd init first"), "%s", err);
	cr_assert_neq(access(path, F_OK), 0);
}

/* verifies: SR-STORE-002 */
Test(store, full_database_fails_cleanly)
{
	struct store *st;
	char err[256];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_set_max_pages(st, 20), 0);
	static char big[8192];
	memset(big, 'x', sizeof big);
	int e = 0;
	char k[16] = "";
	for (int i = 0; i < 64 && e == 0; i++) {
		snprintf(k, sizeof k, "k%d", i);
		cr_assert_eq(store_begin(st), 0);
		e = store_put_blob(st, k, big, sizeof big);
		if (e == 0)
			e = store_commit(st);
		else
			store_rollback(st);
	}
	size_t len;
	char small[4];
	cr_assert_eq(e, -ENOSPC);
	cr_assert_str_neq(k, "k0", "the first write fitted");
	cr_assert_eq(store_get_blob(st, "k0", small, sizeof small, &len), -ENOSPC,
	             "earlier commits are kept");
	/* still usable for reading, and the failed key is absent */
	cr_assert_eq(store_get_blob(st, k, small, sizeof small, &len), -ENOENT);
	store_close(st);
}

/* WAL frames (pages) the last commits added since the WAL was emptied. */
static long wal_frames(void)
{
	char wal[160];
	struct stat sb;
	snprintf(wal, sizeof wal, "%s-wal", path);
	if (stat(wal, &sb) < 0 || sb.st_size < 32)
		return 0;
	return (sb.st_size - 32) / (24 + 4096);
}

static void checkpoint(void)
{
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA wal_checkpoint(TRUNCATE)", NULL,
	                          NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	cr_assert_eq(wal_frames(), 0);
}

/* One granted bolus as pumpd commits it: the pump blob, its audit row, its
 * history row and the request-id memory with the reply (and the link to
 * the history row, in the same row).  Each is one page of its own table:
 * 4 pages, no more (no index page for the blob's key or the history, no
 * AUTOINCREMENT counter).  A status read stores the blob, its audit row
 * and the reply: 3. */
Test(store, a_bolus_commit_writes_four_pages)
{
	struct store *st;
	char err[256];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_remote_add(st, "patient", STORE_ROLE_PATIENT, key1, 1), 0);
	struct store_remote r;
	cr_assert_eq(store_remote_find(st, key1, &r), 0);
	uint8_t blob[474], reply[330];
	memset(blob, 0x5a, sizeof blob);
	memset(reply, 0xa5, sizeof reply);
	/* a pump with some history behind it */
	for (int i = 1; i <= 300; i++) {
		blob[0] = (uint8_t)i;
		cr_assert_eq(store_begin(st), 0);
		cr_assert_eq(store_put_blob(st, "pump", blob, sizeof blob), 0);
		cr_assert_gt(audit(st, i, "patient", "bolus granted: 0.500 mg, "
		                         "ends at 1767254400000"), 0);
		cr_assert_eq(store_history_add(st, r.id, i, 0, 500000), 0);
		cr_assert_eq(store_remote_set_reply(st, r.id, (uint64_t)i, reply,
		                                    sizeof reply), 0);
		cr_assert_eq(store_commit(st), 0);
	}
	checkpoint();
	blob[1] = 1;   /* the pump's time always moves (SQLite skips a page
	                  whose row is rewritten unchanged) */
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_put_blob(st, "pump", blob, sizeof blob), 0);
	cr_assert_gt(audit(st, 301, "patient", "bolus granted"), 0);
	cr_assert_eq(store_history_add(st, r.id, 301, 0, 500000), 0);
	cr_assert_eq(store_remote_set_reply(st, r.id, 301, reply, sizeof reply), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(wal_frames(), 4, "a bolus wrote %ld pages", wal_frames());

	checkpoint();
	blob[1] = 2;
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_put_blob(st, "pump", blob, sizeof blob), 0);
	cr_assert_gt(audit(st, 302, "patient", "status"), 0);
	cr_assert_eq(store_remote_set_reply(st, r.id, 302, reply, sizeof reply), 0);
	cr_assert_eq(store_commit(st), 0);
	cr_assert_eq(wal_frames(), 3, "a status wrote %ld pages", wal_frames());

	/* and what was written reads back: the newest blob, the rising seq */
	size_t n = 0;
	uint8_t back[sizeof blob];
	cr_assert_eq(store_get_blob(st, "pump", back, sizeof back, &n), 0);
	cr_assert_eq(n, sizeof blob);
	cr_assert_eq(memcmp(back, blob, n), 0);
	struct store_log_row le[2];
	cr_assert_eq(store_audit_read(st, 300, 2, le), 2);
	cr_assert_eq(le[0].seq, 301);
	cr_assert_eq(le[1].seq, 302);
	store_close(st);
}

#define TURN 50   /* remotes with a bolus each in one commit */

/* A turn's bolus from each of TURN remotes with a long history behind
 * them, in one commit: the pages are those of its bytes (the blob, TURN
 * audit rows, TURN history rows, TURN remotes' rows with their replies),
 * not a page per remote.  With a per-remote history index each remote's
 * row went to a leaf of its own: 55 pages and more. */
Test(store, a_turn_of_fifty_boluses_writes_pages_for_its_bytes)
{
	struct store *st;
	char err[256];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	int64_t id[TURN];
	cr_assert_eq(store_begin(st), 0);
	for (int i = 0; i < TURN; i++) {
		char name[16];
		uint8_t key[32] = { 0 };
		struct store_remote r;
		snprintf(name, sizeof name, "p%02d", i);
		key[0] = (uint8_t)i;
		key[1] = 7;
		cr_assert_eq(store_remote_add(st, name, STORE_ROLE_PATIENT, key, 1), 0);
		cr_assert_eq(store_remote_find(st, key, &r), 0);
		id[i] = r.id;
	}
	/* 400 boluses each behind them, interleaved as they arrive */
	for (int k = 0; k < 400 * TURN; k++)
		cr_assert_eq(store_history_add(st, id[k % TURN], k, 1, 0), 0);
	cr_assert_eq(store_commit(st), 0);
	checkpoint();

	uint8_t blob[474], reply[180];
	memset(blob, 0x5a, sizeof blob);
	memset(reply, 0xa5, sizeof reply);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_put_blob(st, "pump", blob, sizeof blob), 0);
	for (int i = 0; i < TURN; i++) {
		cr_assert_gt(audit(st, 1000000 + i, "p00", "bolus 0.500 mg refused: "
		                   "a bolus is running"), 0);
		cr_assert_eq(store_history_add(st, id[i], 1000000 + i, 1, 0), 0);
		cr_assert_eq(store_remote_set_reply(st, id[i], 9, reply, sizeof reply), 0);
	}
	cr_assert_eq(store_commit(st), 0);
	/* 50 x 180 reply bytes and keys in the remotes' rows: 4 pages; the
	 * audit rows 2; history 1; blob 1; the tables' interior pages */
	long f = wal_frames();
	printf("a turn of %d boluses wrote %ld pages\n", TURN, f);
	cr_assert_leq(f, 12, "a turn of %d boluses wrote %ld pages", TURN, f);

	/* each remote's history reads back newest first, its own only */
	struct store_history_row h[3];
	for (int i = 0; i < TURN; i += 7) {
		cr_assert_eq(store_history_read(st, id[i], 3, h), 3);
		cr_assert_eq(h[0].at_ms, 1000000 + i);
		cr_assert_eq(h[1].at_ms, 399 * TURN + i);
		cr_assert_eq(h[2].at_ms, 398 * TURN + i);
	}
	store_close(st);
}

/* verifies: SR-STORE-009 */
Test(store, version_2_database_is_brought_to_version_3_with_its_rows)
{
	/* a database as pumpd wrote it with the per-remote history index:
	 * two remotes, their histories interleaved, a remembered reply each */
	struct store *st = open_old(2, OLD_TABLES
	         "CREATE TABLE audit(seq INTEGER PRIMARY KEY, at_ms INTEGER NOT "
	         "NULL, who TEXT NOT NULL, text TEXT NOT NULL, kind INTEGER NOT "
	         "NULL DEFAULT 0, wall_ms INTEGER NOT NULL DEFAULT 0, role "
	         "INTEGER NOT NULL DEFAULT 0);"
	         OLD_HISTORY
	         "INSERT INTO remotes VALUES(1, 'alice', 1, zeroblob(32), NULL, "
	         "  -3, x'414243', 5, 1);"
	         "INSERT INTO remotes VALUES(2, 'bob', 1, randomblob(32), NULL, "
	         "  77, x'44', 6, 2);"
	         "INSERT INTO history VALUES(1, 1, 100, 0, 500000);"
	         "INSERT INTO history VALUES(2, 2, 110, 1, 0);"
	         "INSERT INTO history VALUES(3, 1, 120, 1, 0);"
	         "INSERT INTO history VALUES(4, 1, 130, 2, 0);"
	         "INSERT INTO history VALUES(5, 2, 140, 0, 250000);");
	char err[256] = "";
	cr_assert_eq(store_check(st, STORE_CHECK_FULL, NULL, err, sizeof err), 0,
	             "%s", err);
	/* the request-id memory as it was */
	struct store_remote *rs = calloc(4, sizeof *rs);
	cr_assert_eq(store_remote_each(st, collect, rs), 2);
	cr_assert_str_eq(rs[0].name, "alice");
	cr_assert_eq(rs[0].last_req_id, (uint64_t)-3);
	cr_assert_eq(rs[0].reply_len, 3);
	cr_assert_eq(rs[1].last_req_id, 77);
	cr_assert_eq(rs[1].reply_len, 1);
	free(rs);
	/* each history as it was, newest first, then new rows on top */
	struct store_history_row h[4];
	cr_assert_eq(store_history_read(st, 1, 4, h), 3);
	cr_assert_eq(h[0].at_ms, 130);
	cr_assert_eq(h[0].outcome, 2);
	cr_assert_eq(h[1].at_ms, 120);
	cr_assert_eq(h[2].at_ms, 100);
	cr_assert_eq(h[2].dose_ng, 500000);
	cr_assert_eq(store_history_read(st, 2, 4, h), 2);
	cr_assert_eq(h[0].at_ms, 140);
	cr_assert_eq(h[0].dose_ng, 250000);
	cr_assert_eq(h[1].at_ms, 110);
	cr_assert_eq(store_history_add(st, 2, 150, 0, 1000), 0);
	cr_assert_eq(store_history_read(st, 2, 1, h), 1);
	cr_assert_eq(h[0].at_ms, 150);
	cr_assert_eq(store_history_read(st, 1, 1, h), 1);
	cr_assert_eq(h[0].at_ms, 130);
	/* unpairing takes its history with it, and only its own */
	cr_assert_eq(store_remote_remove(st, "alice"), 0);
	store_close(st);

	cr_assert_eq(value_of("PRAGMA user_version"), STORE_VERSION);
	cr_assert_eq(value_of("SELECT count(*) FROM history WHERE remote_id = 1"), 0);
	cr_assert_eq(value_of("SELECT count(*) FROM history WHERE remote_id = 2"), 3);
	cr_assert_eq(value_of("SELECT count(*) FROM sqlite_master WHERE type = "
	                        "'index' AND name = 'history_remote'"), 0);
}

/* A history row rolled back takes its link with it: the remote's history
 * is what was committed, and a later row of another remote (which may
 * reuse the row id) is not linked into it. */
Test(store, a_rolled_back_history_row_leaves_no_link)
{
	struct store *st;
	char err[256];
	struct store_remote a, b;
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_remote_add(st, "alice", STORE_ROLE_PATIENT, key1, 1), 0);
	cr_assert_eq(store_remote_add(st, "bob", STORE_ROLE_PATIENT, key2, 1), 0);
	cr_assert_eq(store_remote_find(st, key1, &a), 0);
	cr_assert_eq(store_remote_find(st, key2, &b), 0);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_history_add(st, a.id, 10, 0, 500000), 0);
	cr_assert_eq(store_commit(st), 0);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_history_add(st, a.id, 20, 1, 0), 0);
	store_rollback(st);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_history_add(st, b.id, 30, 1, 0), 0);
	cr_assert_eq(store_remote_set_reply(st, b.id, 1, (const uint8_t *)"R", 1), 0);
	cr_assert_eq(store_commit(st), 0);

	struct store_history_row h[4];
	cr_assert_eq(store_history_read(st, a.id, 4, h), 1);
	cr_assert_eq(h[0].at_ms, 10);
	cr_assert_eq(store_history_read(st, b.id, 4, h), 1);
	cr_assert_eq(h[0].at_ms, 30);
	store_close(st);
}

/* A deferred audit row (store_audit_defer, as pumpd writes a turn's):
 * kept in order with the rows written at once around it, read back by
 * the transaction that holds it, on disk after its commit and gone after
 * a rollback or a failed commit. */
static int defer(struct store *st, int64_t at, const char *text)
{
	struct store_event ev = { at, 1767254400000 + at, STORE_EV_REQUEST, "p1",
	                          STORE_ROLE_PATIENT, text };
	return store_audit_defer(st, &ev);
}

static void texts_are(struct store *st, int n)
{
	struct store_log_row le[40];
	cr_assert_eq(store_audit_read(st, 0, 40, le), n);
	for (int i = 0; i < n; i++) {
		char want[16];
		snprintf(want, sizeof want, "r%d", i + 1);
		row_is(&le[i], (uint64_t)i + 1, i + 1, i == 0 || i == 23 ? "alice" : "p1",
		       want, STORE_EV_REQUEST);
	}
}

/* verifies: SR-STORE-001 */
Test(store, deferred_audit_rows_keep_order_and_their_transaction)
{
	struct store *st;
	char err[256], t[16];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(audit(st, 1, "alice", "r1"), 1);
	for (int i = 2; i <= 23; i++) {   /* 22: runs of 16, 4 and 2 rows */
		snprintf(t, sizeof t, "r%d", i);
		cr_assert_eq(defer(st, i, t), 0);
	}
	cr_assert_eq(audit(st, 24, "alice", "r24"), 24, "after the deferred ones");
	cr_assert_eq(defer(st, 25, "r25"), 0);
	texts_are(st, 25);   /* the open transaction reads its own */
	cr_assert_eq(defer(st, 26, "r26"), 0);
	cr_assert_eq(store_commit(st), 0);
	store_close(st);
	cr_assert_eq(store_open(path, &st, err, sizeof err), 0, "%s", err);
	texts_are(st, 26);

	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(defer(st, 27, "gone"), 0);
	store_rollback(st);
	texts_are(st, 26);
	cr_assert_eq(defer(st, 27, "r27"), 0, "no transaction: written at once");
	texts_are(st, 27);

	/* a commit that cannot write them fails and leaves none */
	cr_assert_eq(store_set_max_pages(st, 4), 0);
	cr_assert_eq(store_begin(st), 0);
	static char big[STORE_TEXT_MAX + 1];
	memset(big, 'y', STORE_TEXT_MAX);
	for (int i = 0; i < 200; i++)
		cr_assert_eq(defer(st, 100 + i, big), 0);
	cr_assert_eq(store_commit(st), -ENOSPC);
	cr_assert_eq(store_set_max_pages(st, 1000000), 0);
	texts_are(st, 27);
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_commit(st), 0, "nothing of them was left pending");
	texts_are(st, 27);
	store_close(st);
}

/* Each remote's history link is its own, whatever came before it in the
 * transaction: a remote with two rows in a row, then another's row; a
 * remote's reply stored with no history row of its own (a PROGRAM) after
 * another's bolus.  (The statements are kept prepared with their
 * bindings: one left from the previous remote would link to its rows.) */
Test(store, history_links_stay_with_their_remote)
{
	struct store *st;
	char err[256];
	cr_assert_eq(store_create(path, &st, err, sizeof err), 0, "%s", err);
	struct store_remote a, b;
	cr_assert_eq(store_remote_add(st, "a", STORE_ROLE_PATIENT, key1, 1), 0);
	cr_assert_eq(store_remote_add(st, "b", STORE_ROLE_PATIENT, key2, 1), 0);
	cr_assert_eq(store_remote_find(st, key1, &a), 0);
	cr_assert_eq(store_remote_find(st, key2, &b), 0);
	uint8_t reply[8] = { 7 };
	cr_assert_eq(store_begin(st), 0);
	cr_assert_eq(store_history_add(st, b.id, 10, 1, 0), 0);
	cr_assert_eq(store_remote_set_reply(st, b.id, 1, reply, sizeof reply), 0);
	cr_assert_eq(store_history_add(st, a.id, 20, 0, 500), 0);
	cr_assert_eq(store_history_add(st, a.id, 21, 1, 0), 0);
	cr_assert_eq(store_history_add(st, b.id, 22, 2, 0), 0);
	cr_assert_eq(store_remote_set_reply(st, b.id, 2, reply, sizeof reply), 0);
	cr_assert_eq(store_history_add(st, a.id, 23, 0, 500), 0);
	cr_assert_eq(store_remote_set_reply(st, a.id, 3, reply, sizeof reply), 0);
	cr_assert_eq(store_remote_set_reply(st, b.id, 4, reply, sizeof reply), 0);
	cr_assert_eq(store_commit(st), 0);
	struct store_history_row h[4];
	cr_assert_eq(store_history_read(st, a.id, 4, h), 3);
	cr_assert_eq(h[0].at_ms, 23);
	cr_assert_eq(h[1].at_ms, 21);
	cr_assert_eq(h[2].at_ms, 20);
	cr_assert_eq(store_history_read(st, b.id, 4, h), 2);
	cr_assert_eq(h[0].at_ms, 22);
	cr_assert_eq(h[1].at_ms, 10);
	store_close(st);
}
