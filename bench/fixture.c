/* bench/fixture.c — many paired remotes in one transaction (see fixture.h). */
#include "bench/fixture.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "bench/util.h"
#include "crypto/keys.h"

#define SQL_MAX 4096

static int fail(sqlite3 *db, const char *what)
{
	fprintf(stderr, "fixture: %s: %s\n", what, db ? sqlite3_errmsg(db) : "?");
	return -1;
}

/* "INSERT INTO t(<set>, c...) SELECT <exprs>, c... FROM t WHERE <pk> = ?N":
 * every column of t but its primary key and those in `set` copied from the
 * template row.  *found counts the `set` columns seen (all must exist). */
static int copy_sql(sqlite3 *db, const char *table, const char *const *set,
                    const char *const *exprs, int nset, char *sql, size_t cap)
{
	char q[64], cols[SQL_MAX] = "", pk[64] = "";
	sqlite3_stmt *s;
	int found = 0;
	snprintf(q, sizeof q, "PRAGMA table_info(%s)", table);
	if (sqlite3_prepare_v2(db, q, -1, &s, NULL) != SQLITE_OK)
		return fail(db, q);
	while (sqlite3_step(s) == SQLITE_ROW) {
		const char *name = (const char *)sqlite3_column_text(s, 1);
		int is_pk = sqlite3_column_int(s, 5);
		int skip = 0;
		if (!name)
			continue;
		if (is_pk) {
			snprintf(pk, sizeof pk, "%s", name);
			continue;
		}
		for (int i = 0; i < nset; i++)
			if (strcmp(name, set[i]) == 0) {
				skip = 1;
				found++;
			}
		if (!skip) {
			size_t n = strlen(cols);
			snprintf(cols + n, sizeof cols - n, ", \"%s\"", name);
		}
	}
	sqlite3_finalize(s);
	if (found != nset || !pk[0]) {
		fprintf(stderr, "fixture: table %s has not the columns a copy needs "
		        "(a primary key and %s...): pumpd's schema changed; update "
		        "bench/fixture.c\n", table, set[0]);
		return -1;
	}
	char head[256] = "", sel[512] = "";
	for (int i = 0; i < nset; i++) {
		size_t n = strlen(head), m = strlen(sel);
		snprintf(head + n, sizeof head - n, "%s\"%s\"", i ? ", " : "", set[i]);
		snprintf(sel + m, sizeof sel - m, "%s%s", i ? ", " : "", exprs[i]);
	}
	snprintf(sql, cap, "INSERT INTO %s(%s%s) SELECT %s%s FROM %s WHERE \"%s\" = ?9",
	         table, head, cols, sel, cols, table, pk);
	return 0;
}

int fx_clone_remotes(const char *state_dir, const char *tpl, const char *prefix,
                     size_t n, const uint8_t (*pubs)[32])
{
	char path[512], rsql[SQL_MAX], asql[SQL_MAX];
	sqlite3 *db = NULL;
	sqlite3_stmt *rs = NULL, *as = NULL, *q = NULL;
	int64_t rid = -1, aseq = -1;
	int rc = -1;
	snprintf(path, sizeof path, "%s/state.db", state_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK) {
		fail(db, path);
		goto out;
	}
	sqlite3_busy_timeout(db, 5000);
	static const char *const rset[] = { "name", "pubkey" };
	static const char *const rexp[] = { "?1", "?2" };
	static const char *const aset[] = { "text" };
	static const char *const aexp[] = { "replace(\"text\", ?3, ?1)" };
	if (copy_sql(db, "remotes", rset, rexp, 2, rsql, sizeof rsql) < 0 ||
	    copy_sql(db, "audit", aset, aexp, 1, asql, sizeof asql) < 0)
		goto out;
	/* the template's row, and the audit row of its pairing */
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM remotes WHERE name = ?1", -1,
	                       &q, NULL) != SQLITE_OK) {
		fail(db, "remotes");
		goto out;
	}
	sqlite3_bind_text(q, 1, tpl, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		rid = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	if (sqlite3_prepare_v2(db, "SELECT rowid FROM audit WHERE text LIKE 'paired %' "
	                       "AND instr(text, ?1) > 0 ORDER BY rowid DESC LIMIT 1",
	                       -1, &q, NULL) != SQLITE_OK) {
		fail(db, "audit");
		goto out;
	}
	sqlite3_bind_text(q, 1, tpl, -1, SQLITE_STATIC);
	if (sqlite3_step(q) == SQLITE_ROW)
		aseq = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	q = NULL;
	if (rid < 0 || aseq < 0) {
		fprintf(stderr, "fixture: no remote '%s' (or no audit row of its "
		        "pairing) in %s\n", tpl, path);
		goto out;
	}
	if (sqlite3_prepare_v2(db, rsql, -1, &rs, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(db, asql, -1, &as, NULL) != SQLITE_OK) {
		fail(db, "copy statements");
		goto out;
	}
	if (sqlite3_exec(db, "BEGIN IMMEDIATE", NULL, NULL, NULL) != SQLITE_OK) {
		fail(db, "begin");
		goto out;
	}
	for (size_t i = 0; i < n; i++) {
		char name[40];
		snprintf(name, sizeof name, "%s%05zu", prefix, i);
		sqlite3_reset(rs);
		sqlite3_bind_text(rs, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_blob(rs, 2, pubs[i], 32, SQLITE_STATIC);
		sqlite3_bind_int64(rs, 9, rid);
		sqlite3_reset(as);
		sqlite3_bind_text(as, 1, name, -1, SQLITE_TRANSIENT);
		sqlite3_bind_text(as, 3, tpl, -1, SQLITE_STATIC);
		sqlite3_bind_int64(as, 9, aseq);
		if (sqlite3_step(rs) != SQLITE_DONE || sqlite3_changes(db) != 1 ||
		    sqlite3_step(as) != SQLITE_DONE || sqlite3_changes(db) != 1) {
			fail(db, name);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			goto out;
		}
	}
	if (sqlite3_exec(db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		fail(db, "commit");
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	rc = 0;
out:
	sqlite3_finalize(rs);
	sqlite3_finalize(as);
	sqlite3_close(db);
	return rc;
}

int fx_patients(e2e_pump *p, const char *prefix, size_t n, uint8_t (*privs)[32])
{
	char tpl[40];
	int64_t t0 = bu_now_ns();
	uint8_t (*pubs)[32] = malloc(n * sizeof *pubs);
	if (!pubs)
		return -1;
	for (size_t i = 0; i < n; i++)
		if (keys_generate(privs[i], pubs[i]) < 0) {
			free(pubs);
			return bu_fail("fixture", "key generation failed");
		}
	snprintf(tpl, sizeof tpl, "%stemplate", prefix);
	int rc = e2e_pair(p, tpl, "patient");
	if (rc == 0) {
		int old = e2e_pid(p);
		e2e_stop(p);
		rc = fx_clone_remotes(e2e_state_dir(p), tpl, prefix, n,
		                      (const uint8_t (*)[32])pubs);
		if (rc == 0)
			rc = e2e_restart(p);
		if (rc == 0)
			printf("  paired %zu patients in %.2f s: '%s' by pumpd pair, "
			       "%zu copies of its rows in one SQLite transaction "
			       "(pumpd pid %d stopped meanwhile; now pid %d)\n", n + 1,
			       (double)(bu_now_ns() - t0) / 1e9, tpl, n, old, e2e_pid(p));
	}
	free(pubs);
	fflush(stdout);
	return rc;
}
