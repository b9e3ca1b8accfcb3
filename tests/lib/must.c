/* tests/lib/must.c — end-to-end steps that must succeed (see must.h). */
#include "tests/lib/must.h"

#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

e2e_pump *must_start(const char *rx_text, unsigned flags)
{
	return must_start_args(rx_text, flags, NULL);
}

e2e_pump *must_start_args(const char *rx_text, unsigned flags,
                          const char *const *extra)
{
	e2e_pump *p = e2e_start_args(rx_text, flags, extra);
	cr_assert(p, "pumpd did not start");
	return p;
}

e2e_session *must_open(e2e_pump *p, const char *name)
{
	e2e_session *s = e2e_session_open(p, name);
	cr_assert(s, "no session as %s", name);
	return s;
}

e2e_session *must_watch(e2e_pump *p, const char *name)
{
	e2e_session *s = must_open(p, name);
	must_status_in(s);
	return s;
}

struct msg_reply must_call(e2e_pump *p, const char *who, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, who, &q, &r), 0, "no reply to %s from %s",
	             msg_type_name(q.type), who);
	cr_assert_eq(r.id, q.id);
	return r;
}

struct msg_reply must_request(e2e_session *s, struct msg_request *q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, q, &r), 0, "no reply to %s", msg_type_name(q->type));
	return r;
}

static void granted(const struct msg_reply *r)
{
	cr_assert_eq(r->err, MSG_OK, "bolus: %s %s", msg_err_name(r->err), r->detail);
	cr_assert_eq(r->u.bolus.outcome, MSG_OUT_GRANTED, "bolus: %s",
	             msg_outcome_name(r->u.bolus.outcome));
}

struct msg_reply must_grant(e2e_pump *p, const char *who)
{
	struct msg_reply r = must_call(p, who, (struct msg_request){ .type = MSG_BOLUS });
	granted(&r);
	return r;
}

struct msg_reply must_grant_in(e2e_session *s)
{
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r = must_request(s, &q);
	granted(&r);
	return r;
}

struct msg_state must_status(e2e_pump *p, const char *who)
{
	struct msg_reply r = must_call(p, who, (struct msg_request){ .type = MSG_STATUS });
	cr_assert_eq(r.err, MSG_OK, "status: %s %s", msg_err_name(r.err), r.detail);
	return r.state;
}

struct msg_state must_status_in(e2e_session *s)
{
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r = must_request(s, &q);
	cr_assert_eq(r.err, MSG_OK, "status: %s %s", msg_err_name(r.err), r.detail);
	return r.state;
}

struct msg_state must_status_retry(e2e_pump *p, const char *who, int ms)
{
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	struct timespec t0;
	int ok = 0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (!ok && e2e_ms_since(&t0) < e2e_ms(ms))
		ok = e2e_call(p, who, &q, &r) == 0;
	cr_assert(ok, "%s was not served in %d ms", who, e2e_ms(ms));
	cr_assert_eq(r.err, MSG_OK, "status: %s %s", msg_err_name(r.err), r.detail);
	return r.state;
}

struct msg_reply must_tester(e2e_pump *p, int type, int op, uint64_t arg)
{
	struct msg_request q = { .type = (uint8_t)type };
	if (type == MSG_CLOCK) {
		q.u.clock.op = (uint8_t)op;
		q.u.clock.arg = arg;
	} else {
		q.u.fault.kind = (uint8_t)op;
		q.u.fault.arg = arg;
	}
	struct msg_reply r = must_call(p, "tester", q);
	cr_assert_eq(r.err, MSG_OK, "%s: %s %s", msg_type_name(type),
	             msg_err_name(r.err), r.detail);
	return r;
}

void must_advance(e2e_pump *p, uint64_t ms)
{
	must_tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, ms);
}

void must_read_audit(e2e_session *clinician, struct must_audit *a)
{
	uint64_t after = 0;
	struct msg_reply r;
	a->n = 0;
	do {
		struct msg_request q = { .type = MSG_LOG };
		q.u.log.max = MSG_LOG_MAX;
		q.u.log.after_seq = after;
		r = must_request(clinician, &q);
		cr_assert_eq(r.err, MSG_OK, "log: %s %s", msg_err_name(r.err), r.detail);
		for (unsigned i = 0; i < r.u.log.n && a->n < MUST_AUDIT_MAX; i++) {
			after = r.u.log.e[i].seq;
			memcpy(a->text[a->n++], r.u.log.e[i].text, MSG_TEXT_MAX + 1);
		}
	} while (r.u.log.n == MSG_LOG_MAX);
}

int must_audit_has(const struct must_audit *a, const char *text)
{
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->text[i], text) == 0)
			return 1;
	return 0;
}

e2e_pump *must_start_small_disk(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to mount a small tmpfs");
	e2e_pump *p = must_start(NULL, 0);
	cr_assert_eq(e2e_stop(p), 0);
	const char *state = e2e_state_dir(p);
	char cmd[1200];
	snprintf(cmd, sizeof cmd, "cp -a %s %s.bak && mount -t tmpfs -o "
	         "size=2m,mode=0700 ptm-test %s && cp -a %s.bak/. %s/", state,
	         state, state, state, state);
	if (system(cmd) != 0) {
		e2e_free(p);
		cr_skip_test("cannot mount a tmpfs here");
	}
	cr_assert_eq(e2e_restart(p), 0);
	return p;
}

void must_unmount(e2e_pump *p)
{
	char cmd[600];
	cr_assert_eq(e2e_stop(p), 0);
	snprintf(cmd, sizeof cmd, "umount %s", e2e_state_dir(p));
	cr_assert_eq(system(cmd), 0);
	e2e_free(p);
}

void must_fill_disk(const char *dir, char *filler, size_t cap)
{
	static char block[4096];
	snprintf(filler, cap, "%s/filler", dir);
	FILE *f = fopen(filler, "w");
	cr_assert(f, "%s: %s", filler, strerror(errno));
	while (fwrite(block, 1, sizeof block, f) == sizeof block && fflush(f) == 0)
		;
	while (fwrite(block, 1, 1, f) == 1 && fflush(f) == 0)
		;
	fclose(f);
}

static int not_dots(const struct dirent *d)
{
	return strcmp(d->d_name, ".") != 0 && strcmp(d->d_name, "..") != 0;
}

/* The names are freed before any assertion (a failed one jumps out). */
size_t must_snapshot(const char *dir, char *buf, size_t cap)
{
	struct dirent **names;
	int n = scandir(dir, &names, not_dots, alphasort);
	cr_assert_geq(n, 0, "%s: %s", dir, strerror(errno));
	size_t len = 0;
	char bad[600] = "";
	for (int i = 0; i < n; i++) {
		char path[512];
		struct stat sb;
		FILE *f = NULL;
		snprintf(path, sizeof path, "%s/%s", dir, names[i]->d_name);
		if (!bad[0] && lstat(path, &sb) != 0)
			snprintf(bad, sizeof bad, "lstat %s: %s", path, strerror(errno));
		if (!bad[0])
			len += (size_t)snprintf(buf + len, cap - len, "%s %lld %lld.%09ld %o\n",
			                        names[i]->d_name, (long long)sb.st_size,
			                        (long long)sb.st_mtim.tv_sec, sb.st_mtim.tv_nsec,
			                        (unsigned)sb.st_mode);
		if (!bad[0] && len < cap && S_ISREG(sb.st_mode)) {
			if ((f = fopen(path, "rb")) == NULL)
				snprintf(bad, sizeof bad, "%s: %s", path, strerror(errno));
			else
				len += fread(buf + len, 1, cap - len, f);
			if (f)
				fclose(f);
		}
		if (!bad[0] && len >= cap)
			snprintf(bad, sizeof bad, "%s: more than %zu bytes", dir, cap);
		free(names[i]);
	}
	free(names);
	cr_assert(!bad[0], "%s", bad);
	return len;
}

int64_t must_sql_int(const char *path, const char *sql)
{
	sqlite3 *db;
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), SQLITE_OK,
	             "cannot open %s", path);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s: %s",
	             sql, sqlite3_errmsg(db));
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW, "%s: no row", sql);
	int64_t n = sqlite3_column_int64(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return n;
}
