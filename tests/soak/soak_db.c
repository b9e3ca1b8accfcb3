/* tests/soak/soak_db.c — the pump's state database, read only (see
 * soak_db.h). */
#include "tests/soak/soak_db.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

struct soak_db {
	sqlite3 *db;
};

int soak_db_open(const char *state_dir, struct soak_db **out, char *err,
                 size_t cap)
{
	char path[512];
	snprintf(path, sizeof path, "%s/state.db", state_dir);
	struct soak_db *d = calloc(1, sizeof *d);
	if (!d) {
		snprintf(err, cap, "out of memory");
		return -1;
	}
	int rc = sqlite3_open_v2(path, &d->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		snprintf(err, cap, "%s: %s", path,
		         d->db ? sqlite3_errmsg(d->db) : sqlite3_errstr(rc));
		sqlite3_close(d->db);
		free(d);
		return -1;
	}
	sqlite3_busy_timeout(d->db, 5000);
	*out = d;
	return 0;
}

void soak_db_close(struct soak_db *d)
{
	if (!d)
		return;
	sqlite3_close(d->db);
	free(d);
}

int soak_db_integrity(struct soak_db *d, char *why, size_t cap)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(d->db, "PRAGMA integrity_check", -1, &s, NULL);
	if (rc != SQLITE_OK) {
		snprintf(why, cap, "%s", sqlite3_errmsg(d->db));
		return -1;
	}
	rc = sqlite3_step(s);
	const unsigned char *t = rc == SQLITE_ROW ? sqlite3_column_text(s, 0) : NULL;
	snprintf(why, cap, "%s", t ? (const char *)t : sqlite3_errmsg(d->db));
	int ok = t && strcmp((const char *)t, "ok") == 0;
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}

int soak_db_grants(struct soak_db *d, struct soak_grant **out, size_t *n)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	if (sqlite3_prepare_v2(d->db, "SELECT remote_id, at_ms, dose_ng FROM "
	                       "history WHERE outcome = 0 ORDER BY at_ms, id",
	                       -1, &s, NULL) != SQLITE_OK)
		return -1;
	size_t cap = 0, k = 0;
	struct soak_grant *g = NULL;
	int rc;
	while ((rc = sqlite3_step(s)) == SQLITE_ROW) {
		if (k == cap) {
			size_t nc = cap ? cap * 2 : 1024;
			struct soak_grant *ng = realloc(g, nc * sizeof *g);
			if (!ng) {
				rc = SQLITE_NOMEM;
				break;
			}
			g = ng;
			cap = nc;
		}
		g[k].remote_id = sqlite3_column_int64(s, 0);
		g[k].at_ms = sqlite3_column_int64(s, 1);
		g[k].dose_ng = (uint32_t)sqlite3_column_int64(s, 2);
		k++;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		free(g);
		return -1;
	}
	*out = g;
	*n = k;
	return 0;
}

int64_t soak_db_remote_id(struct soak_db *d, const char *name)
{
	sqlite3_stmt *s;
	int64_t id = -1;
	if (sqlite3_prepare_v2(d->db, "SELECT id FROM remotes WHERE name = ?1",
	                       -1, &s, NULL) != SQLITE_OK)
		return -1;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	if (sqlite3_step(s) == SQLITE_ROW)
		id = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return id;
}

int soak_db_audit(struct soak_db *d, int64_t *rows, int64_t *last)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(d->db, "SELECT count(*), coalesce(max(rowid), 0) "
	                       "FROM audit", -1, &s, NULL) != SQLITE_OK)
		return -1;
	int ok = sqlite3_step(s) == SQLITE_ROW;
	if (ok) {
		*rows = sqlite3_column_int64(s, 0);
		*last = sqlite3_column_int64(s, 1);
	}
	sqlite3_finalize(s);
	return ok ? 0 : -1;
}
