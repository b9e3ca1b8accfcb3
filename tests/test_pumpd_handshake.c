/* tests/test_pumpd_handshake.c — handshakes that cannot be turned against
 * a remote: a timestamp far ahead of the pump's clock (or zero) is refused
 * and not stored, so it locks no one out; replays of a captured message 1
 * cost a few audit rows, not one each, and the real remote is served
 * meanwhile; a new session replaces the old one only once it is proven;
 * security events are typed rows of the audit log with the wall clock. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "crypto/tai64n.h"
#include "net/msg.h"
#include "pumpd/store.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

static void tai_at(uint8_t tai[12], int64_t unix_s)
{
	cr_assert_eq(tai64n_from_unix(tai, unix_s, 0), 0);
}

static struct msg_reply status(e2e_session *s)
{
	struct msg_request q = { .type = MSG_STATUS };
	return must_request(s, &q);
}

/* Rows of kind in the stopped pump's audit log (with a wall clock). */
static int rows(e2e_pump *p, int kind, const char *like)
{
	char db[512], sql[256];
	snprintf(db, sizeof db, "%s/state.db", e2e_state_dir(p));
	snprintf(sql, sizeof sql, "SELECT count(*) FROM audit WHERE kind = %d AND "
	         "wall_ms > 0 AND text LIKE '%%%s%%'", kind, like);
	return (int)must_sql_int(db, sql);
}

/* verifies: SR-LINK-006 */
Test(pumpd_handshake, a_future_timestamp_is_refused_and_locks_no_one_out)
{
	e2e_pump *p = must_start(NULL, 0);
	uint8_t tai[12];
	/* ten years ahead: refused, and not kept as the remote's last */
	tai_at(tai, time(NULL) + 10LL * 365 * 86400);
	cr_assert_null(e2e_session_open_tai(p, "patient", tai));
	/* an hour ahead: refused too (the bound is 10 minutes) */
	tai_at(tai, time(NULL) + 3600);
	cr_assert_null(e2e_session_open_tai(p, "patient", tai));
	/* the remote with a right clock comes in */
	e2e_session *s = must_open(p, "patient");
	cr_assert_eq(status(s).err, MSG_OK);
	e2e_session_close(s);
	/* a little ahead, as clocks are, is fine */
	tai_at(tai, time(NULL) + 120);
	s = e2e_session_open_tai(p, "patient", tai);
	cr_assert(s, "two minutes ahead was refused");
	e2e_session_close(s);
	cr_assert_geq(e2e_log_count(p, "ahead of the pump's clock"), 1);
	e2e_free(p);
}

/* verifies: SR-LINK-006 */
Test(pumpd_handshake, a_first_timestamp_of_zero_or_before_the_pairing_is_refused)
{
	e2e_pump *p = must_start(NULL, 0);
	uint8_t zero[12] = { 0 };
	cr_assert_null(e2e_session_open_tai(p, "patient", zero));
	uint8_t tai[12];
	tai_at(tai, 0);   /* 1970 */
	cr_assert_null(e2e_session_open_tai(p, "patient", tai));
	tai_at(tai, time(NULL) - 3 * 86400);
	cr_assert_null(e2e_session_open_tai(p, "patient", tai));
	e2e_session *s = must_open(p, "patient");
	e2e_session_close(s);
	e2e_free(p);
}

/* verifies: SR-LINK-008 SR-LINK-003 SR-AUDIT-003 */
Test(pumpd_handshake, a_replay_storm_costs_a_few_rows_and_the_remote_is_served)
{
	e2e_pump *p = must_start(NULL, E2E_TCP);
	e2e_session *s = must_open(p, "patient");
	size_t n = 0;
	const uint8_t *sent = e2e_session_sent(s, &n);
	uint8_t msg1[110];
	memcpy(msg1, sent, sizeof msg1);
	e2e_session_close(s);
	/* the captured message 1, again and again, from other sources, while
	 * the real remote comes and goes */
	int served = 0;
	for (int round = 0; round < 20; round++) {
		char src[32];
		snprintf(src, sizeof src, "127.0.%d.%d", 1 + round / 200, 2 + round % 200);
		cr_assert_eq(e2e_set_tcp_source(p, src), 0);
		for (int i = 0; i < 25; i++) {
			int fd = e2e_connect_fd(p);
			if (fd < 0)
				continue;
			if (write(fd, msg1, sizeof msg1) == (ssize_t)sizeof msg1)
				cr_assert(e2e_fd_closed(fd, 5000), "a replay was answered");
			close(fd);
		}
		cr_assert_eq(e2e_set_tcp_source(p, NULL), 0);
		e2e_session *real = e2e_session_open(p, "patient");
		if (real && status(real).err == MSG_OK)
			served++;
		if (real)
			e2e_session_close(real);
	}
	cr_assert_eq(served, 20, "the real remote was served %d of 20 times", served);
	cr_assert_eq(e2e_stop(p), 0);
	int replay_rows = rows(p, STORE_EV_HANDSHAKE, "replayed");
	fprintf(stderr, "500 replays: %d audit rows\n", replay_rows);
	cr_assert_geq(replay_rows, 1, "the replays are in the log");
	cr_assert_leq(replay_rows, 3, "one row per burst, not one each");
	e2e_free(p);
}

/* verifies: SR-LINK-007 */
Test(pumpd_handshake, a_new_session_replaces_the_old_only_once_proven)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *old = must_open(p, "patient");
	cr_assert_eq(status(old).err, MSG_OK);
	/* a message 1 that was never used (newer than the last), delivered
	 * later by someone who cannot go on: the handshake completes, and
	 * nothing more comes */
	e2e_session *ghost = must_open(p, "patient");
	struct msg_reply r = status(old);
	cr_assert_eq(r.err, MSG_OK, "the live session was closed by an unproven one");
	/* a notification still reaches the live session */
	struct msg_request q = { .type = MSG_BOLUS };
	cr_assert_eq(e2e_call(p, "patient2", &q, &r), 0);
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(old, &m, 5000), 0);
	cr_assert_eq(m.type, MSG_NOTIFY);
	/* once the new session speaks, it is the remote's, and the old ends */
	cr_assert_eq(status(ghost).err, MSG_OK);
	cr_assert(e2e_fd_closed(e2e_session_fd(old), 5000), "the old session lives on");
	e2e_session_close(old);
	e2e_session_close(ghost);
	e2e_free(p);
}

/* verifies: SR-AUDIT-003 */
Test(pumpd_handshake, security_events_are_typed_rows_with_the_wall_clock)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	cr_assert_eq(status(s).err, MSG_OK);
	e2e_session_close(s);
	cr_assert_null(e2e_session_open(p, "nobody-paired-me"));
	uint8_t tai[12];
	tai_at(tai, time(NULL) + 86400);
	cr_assert_null(e2e_session_open_tai(p, "patient2", tai));
	/* the log is read once the pump has stopped (and closed its bursts) */
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert_geq(rows(p, STORE_EV_SESSION, "session opened from unix:uid="), 1);
	cr_assert_geq(rows(p, STORE_EV_SESSION, "session closed"), 1);
	cr_assert_eq(rows(p, STORE_EV_HANDSHAKE, "unknown key"), 1);
	/* a day ahead of the wall clock: the pump's own clock follows the
	 * monotonic clock, so a wall clock stepped meanwhile (NTP on a fresh
	 * machine) moves the figure by the step: the row, not the minute */
	cr_assert_eq(rows(p, STORE_EV_HANDSHAKE, "patient2: handshake refused: "
	                     "timestamp %h%m ahead of the pump"), 1);
	cr_assert_geq(rows(p, STORE_EV_PUMP, "pumpd started"), 1);
	cr_assert_geq(rows(p, STORE_EV_PAIRING, "paired patient as patient"), 1);
	e2e_free(p);
}
