/* tests/test_pumpd_clock.c — the real pumpd on the REAL clock (no --sim):
 * kill -9 right after a granted bolus and mid-bolus, restart after the wall
 * clock moved forwards or backwards (the test hook PUMPD_TEST_CLOCK_OFFSET_MS,
 * see pumpd/clock.h, shifts the wall clock pumpd reads); minutes of running
 * and wall-clock steps while pumpd runs (the hook PUMPD_TEST_CLOCK_FILE).  Default
 * prescription: bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h, basal
 * 3 mg/day, 10 mg/mL (1 nL = 10 ng). */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/msg.h"
#include "pumpd/clock.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define H (3600000ull)
#define MIN (60000ull)
#define DAY (24 * H)
#define BASAL_NG_DAY 3000000ull

static void restart_with_offset(e2e_pump *p, int64_t off_ms)
{
	char v[32];
	snprintf(v, sizeof v, "%" PRId64, off_ms);
	cr_assert_eq(setenv(PCLOCK_OFFSET_ENV, v, 1), 0);
	cr_assert_eq(e2e_restart(p), 0, "pumpd did not restart");
}

/* A pump on the real clock that granted a bolus and was then killed
 * (kill -9): *tg is when the bolus was granted. */
static e2e_pump *granted_then_killed(uint64_t *tg)
{
	e2e_pump *p = must_start(NULL, E2E_REAL_CLOCK);
	struct msg_reply g = must_grant(p, "patient");
	*tg = g.u.bolus.at_ms - 10 * MIN;
	cr_assert_eq(e2e_kill9(p), 0);
	return p;
}

static const struct msg_alarm_info *alarm(const struct msg_state *s, int id)
{
	for (int i = 0; i < s->n_alarms; i++)
		if (s->alarms[i].id == id)
			return &s->alarms[i];
	return NULL;
}

/* Killed mid-bolus, down for 5 minutes of wall clock: the bolus went on
 * while pumpd was down (half of it by then), basal too, and the retried
 * request id gets the very same reply. */
/* verifies: SR-TIME-004 SR-STORE-001 */
Test(pumpd_clock, kill9_mid_bolus_then_restart_5_min_later)
{
	unsetenv(PCLOCK_OFFSET_ENV);
	e2e_pump *p = must_start(NULL, E2E_REAL_CLOCK);
	struct msg_request q = { .type = MSG_BOLUS, .id = 7 };
	struct msg_reply g = must_call(p, "patient", q);
	cr_assert_eq(g.u.bolus.outcome, MSG_OUT_GRANTED);
	uint64_t tg = g.u.bolus.at_ms - 10 * MIN;
	cr_assert_eq(g.state.now_ms, tg);
	uint32_t rg = g.state.reservoir_nl;

	cr_assert_eq(e2e_kill9(p), 0);
	restart_with_offset(p, (int64_t)(5 * MIN));

	/* the retried id: the stored reply, byte for byte the same outcome */
	struct msg_reply again = must_call(p, "patient", q);
	cr_assert_eq(again.err, MSG_OK);
	cr_assert_eq(again.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(again.u.bolus.at_ms, g.u.bolus.at_ms);
	cr_assert_eq(again.state.now_ms, tg, "the reply as sent then");
	cr_assert_eq(again.state.reservoir_nl, rg);

	struct msg_state s = must_status(p, "patient");
	uint64_t dt = s.now_ms - tg;
	cr_assert_geq(dt, 5 * MIN, "the wall clock moved 5 min on");
	cr_assert_lt(dt, 10 * MIN, "still mid-bolus (the test ran too slowly)");
	cr_assert_eq(s.boluses_24h, 1);
	cr_assert(s.flags & MSG_F_BOLUS_RUNNING);
	cr_assert_eq(s.bolus_ends_ms, tg + 10 * MIN);
	cr_assert_eq(s.next_bolus_ms, tg + 2 * H);
	/* drug since the grant: bolus floor(dose * dt / duration) plus basal
	 * floor or floor + 1 of rate * dt / day (its remainder is carried) */
	uint64_t lo = 500000ull * dt / (10 * MIN) + BASAL_NG_DAY * dt / DAY;
	uint64_t hi = lo + 1;
	uint32_t used = rg - s.reservoir_nl;
	cr_assert(used >= lo / 10 && used <= hi / 10 + 1,
	          "reservoir: %u nL used in %" PRIu64 " ms, want %" PRIu64
	          "..%" PRIu64, used, dt, lo / 10, hi / 10 + 1);

	q = (struct msg_request){ .type = MSG_BOLUS };
	struct msg_reply r = must_call(p, "patient", q);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING);
	cr_assert_eq(r.state.bolus_ends_ms, tg + 10 * MIN);
	cr_assert_eq(r.u.bolus.at_ms, r.state.next_bolus_ms, "when the next is allowed");
	e2e_free(p);
	unsetenv(PCLOCK_OFFSET_ENV);
}

/* The wall clock goes back an hour across a restart: the lockout, the 24 h
 * count and the pump's own time never go back. */
/* verifies: SR-TIME-003 */
Test(pumpd_clock, wall_clock_back_an_hour_never_shortens_the_lockout)
{
	unsetenv(PCLOCK_OFFSET_ENV);
	uint64_t tg;
	e2e_pump *p = granted_then_killed(&tg);
	restart_with_offset(p, -(int64_t)H);

	struct msg_state s = must_status(p, "patient");
	cr_assert_geq(s.now_ms, tg, "the pump's time never goes back");
	cr_assert_eq(s.boluses_24h, 1);
	cr_assert_eq(s.next_bolus_ms, tg + 2 * H);
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r = must_call(p, "patient", q);
	cr_assert_neq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r.state.boluses_24h, 1);
	cr_assert_eq(r.state.next_bolus_ms, tg + 2 * H);

	/* and forward again past the lockout: granted, the second of 24 h */
	cr_assert_eq(e2e_kill9(p), 0);
	restart_with_offset(p, (int64_t)(2 * H + MIN));
	r = must_call(p, "patient", q);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r.state.boluses_24h, 2);
	e2e_free(p);
	unsetenv(PCLOCK_OFFSET_ENV);
}

/* Down for 9 hours with 0.1 mL left at 3 mg/day (8 h of drug): the restart
 * delivers the gap, bounded by the reservoir, and the empty alarm is raised
 * at the exact ms the drug ran out. */
/* verifies: SR-TIME-004 SR-ALARM-001 */
Test(pumpd_clock, forward_jump_delivers_the_gap_and_empties_on_time)
{
	unsetenv(PCLOCK_OFFSET_ENV);
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	/* filled (pumpd init) one minute ago, on the whole second */
	uint64_t t_fill = ((uint64_t)ts.tv_sec - 60) * 1000;
	char start[32];
	snprintf(start, sizeof start, "%" PRIu64, t_fill);
	const char *init[] = { "--start", start, "--volume-ml", "0.1", NULL };
	e2e_pump *p = e2e_start_full(NULL, E2E_REAL_CLOCK, init, NULL);
	cr_assert(p);
	struct msg_state s = must_status(p, "patient");
	cr_assert_geq(s.now_ms, t_fill + MIN);
	cr_assert_lt(s.reservoir_nl, 100000u, "a minute of basal is gone");
	cr_assert_null(alarm(&s, MSG_ALARM_EMPTY));

	cr_assert_eq(e2e_kill9(p), 0);
	restart_with_offset(p, (int64_t)(9 * H));

	s = must_status(p, "patient");
	cr_assert_eq(s.reservoir_nl, 0u);
	const struct msg_alarm_info *a = alarm(&s, MSG_ALARM_EMPTY);
	cr_assert(a, "empty reservoir alarm");
	/* 100 000 nL = 1 000 000 ng at 3 000 000 ng a day: 8 h exactly */
	cr_assert_eq(a->raised_ms, t_fill + 8 * H, "empty at %" PRIu64 ", want %"
	             PRIu64, a->raised_ms, (uint64_t)(t_fill + 8 * H));
	cr_assert_eq(s.flags & MSG_F_INFUSING, 0, "drug is not flowing");
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r = must_call(p, "patient", q);
	cr_assert_neq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	e2e_free(p);
	unsetenv(PCLOCK_OFFSET_ENV);
}

/* The file hook (pumpd/clock.h): DIR/clock holds "WALL MONO" offsets that
 * pumpd re-reads at every clock reading. */
static void clock_file(e2e_pump *p, int64_t wall_ms, int64_t mono_ms)
{
	char path[4096], tmp[4200];
	snprintf(path, sizeof path, "%s/clock", e2e_dir(p));
	snprintf(tmp, sizeof tmp, "%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	cr_assert(f);
	fprintf(f, "%" PRId64 " %" PRId64 "\n", wall_ms, mono_ms);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(rename(tmp, path), 0);
	cr_assert_eq(setenv(PCLOCK_FILE_ENV, path, 1), 0);
}

/* Basal of dt ms at 3 mg/day and 10 ng/nL: the model carries the
 * remainder, so floor or floor + 1 nL. */
static void assert_basal(uint32_t used, uint64_t dt)
{
	uint64_t lo = BASAL_NG_DAY * dt / DAY / 10;
	cr_assert(used >= lo && used <= lo + 1,
	          "reservoir: %u nL used in %" PRIu64 " ms, want %" PRIu64
	          " or %" PRIu64, used, dt, lo, lo + 1);
}

/* The wall clock is an hour behind the pump's stored time at restart: the
 * pump's own clock goes on from its stored time and keeps infusing (it
 * used to wait an hour for the wall clock, delivering nothing); ten
 * minutes of running deliver ten minutes of basal, and the lockout is the
 * same. */
/* verifies: SR-TIME-003 */
Test(pumpd_clock, wall_clock_back_an_hour_then_ten_minutes_of_basal)
{
	unsetenv(PCLOCK_OFFSET_ENV);
	unsetenv(PCLOCK_FILE_ENV);
	uint64_t tg;
	e2e_pump *p = granted_then_killed(&tg);
	clock_file(p, 0, 0);
	restart_with_offset(p, -(int64_t)H);
	struct msg_state s1 = must_status(p, "patient");
	cr_assert_geq(s1.now_ms, tg);
	cr_assert_lt(s1.now_ms, tg + MIN, "from the stored time, not the wall's");
	cr_assert_eq(s1.next_bolus_ms, tg + 2 * H);

	/* let the running bolus end first, so only basal flows */
	clock_file(p, 0, (int64_t)(11 * MIN));
	struct msg_state s2 = must_status(p, "patient");
	cr_assert_eq(s2.flags & MSG_F_BOLUS_RUNNING, 0);
	clock_file(p, 0, (int64_t)(21 * MIN));
	struct msg_state s3 = must_status(p, "patient");
	uint64_t dt = s3.now_ms - s2.now_ms;
	cr_assert_geq(dt, 10 * MIN);
	cr_assert_lt(dt, 10 * MIN + (uint64_t)e2e_ms(30000), "the test ran too slowly");
	assert_basal(s2.reservoir_nl - s3.reservoir_nl, dt);
	cr_assert_eq(s3.boluses_24h, 1);
	cr_assert_eq(s3.next_bolus_ms, tg + 2 * H, "lockout unchanged");
	cr_assert_eq(s3.flags & MSG_F_INFUSING, MSG_F_INFUSING);
	e2e_free(p);
	unsetenv(PCLOCK_OFFSET_ENV);
	unsetenv(PCLOCK_FILE_ENV);
}

/* A wall-clock step while pumpd runs, back a day or forward a day,
 * changes nothing: pump time, reservoir and lockout go on as before. */
/* verifies: SR-TIME-002 */
Test(pumpd_clock, wall_clock_steps_while_running_change_nothing)
{
	unsetenv(PCLOCK_OFFSET_ENV);
	unsetenv(PCLOCK_FILE_ENV);
	e2e_pump *p = must_start(NULL, E2E_REAL_CLOCK);
	cr_assert_eq(e2e_stop(p), 0);
	clock_file(p, 0, 0);
	cr_assert_eq(e2e_restart(p), 0);
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply g = must_call(p, "patient", q);
	cr_assert_eq(g.u.bolus.outcome, MSG_OUT_GRANTED);
	uint64_t tg = g.u.bolus.at_ms - 10 * MIN;

	clock_file(p, -(int64_t)DAY, 0);
	struct msg_state s = must_status(p, "patient");
	cr_assert_geq(s.now_ms, tg);
	cr_assert_lt(s.now_ms, tg + MIN, "a step back is not followed");
	cr_assert(s.flags & MSG_F_BOLUS_RUNNING);
	clock_file(p, (int64_t)DAY, 0);
	s = must_status(p, "patient");
	cr_assert_lt(s.now_ms, tg + MIN, "a step forward is not followed");
	cr_assert(s.flags & MSG_F_BOLUS_RUNNING, "the bolus still runs");
	cr_assert_eq(s.boluses_24h, 1);
	cr_assert_eq(s.next_bolus_ms, tg + 2 * H);
	q = (struct msg_request){ .type = MSG_BOLUS };
	struct msg_reply r = must_call(p, "patient", q);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING);
	/* and the monotonic clock still counts: 2 h on, the lockout is over */
	clock_file(p, (int64_t)DAY, (int64_t)(2 * H));
	r = must_call(p, "patient", q);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r.state.boluses_24h, 2);
	e2e_free(p);
	unsetenv(PCLOCK_FILE_ENV);
}
