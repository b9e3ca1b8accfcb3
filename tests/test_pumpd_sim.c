/* tests/test_pumpd_sim.c — the simulated clock as a remote sees it: `pumpd
 * init --start` pins where it starts, every state block says how fast it
 * runs (clock_speed), and a tester's new battery clears ERI and EOS. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "net/msg.h"
#include "pump/pump.h"
#include "pumpd/wire.h"
#include "tools/scenario/scnremote.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define DAY ((uint64_t)PUMP_MS_PER_DAY)
#define T0 1767254400000ull  /* 2026-01-01T08:00:00Z */

Test(pumpd_sim, init_start_pins_the_simulated_clock)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p, "pumpd did not start");
	struct msg_state s = must_status(p, "patient");
	cr_assert_eq(s.now_ms, T0, "frozen clock at the start: %llu",
	             (unsigned long long)s.now_ms);
	cr_assert_eq(s.eos_ms, T0 + (6 * 365 + 1) * DAY, "battery from the start");
	cr_assert_eq(s.eri_ms, s.eos_ms - 90 * DAY);

	/* the audit log's first entry is dated at the start too */
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.after_seq = 0;
	q.u.log.max = 1;
	struct msg_reply r = must_call(p, "clinician", q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.log.n, 1);
	cr_assert_eq(r.u.log.e[0].at_ms, T0);
	cr_assert_str_eq(r.u.log.e[0].text, "pump: pump initialised");

	/* time moved by a tester is kept across a crash */
	must_tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, 90 * 60000);
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	cr_assert_eq(must_status(p, "patient").now_ms, T0 + 90 * 60000);
	e2e_free(p);

	/* epoch ms names the same instant */
	const char *init_ms[] = { "--start", "1767254400123", NULL };
	p = e2e_start_full(NULL, 0, init_ms, NULL);
	cr_assert(p);
	cr_assert_eq(must_status(p, "patient").now_ms, T0 + 123);
	e2e_free(p);
}

Test(pumpd_sim, init_refuses_a_bad_start_and_creates_nothing)
{
	char dir[64], state[128], out[1024];
	snprintf(dir, sizeof dir, "/tmp/ptm-sim.XXXXXX");
	cr_assert(mkdtemp(dir));
	snprintf(state, sizeof state, "%s/state", dir);
	const char *bad[] = { "2026-02-30T08:00:00Z", "2026-01-01T08:00:00",
	                      "yesterday", "-1", "" };
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		const char *argv[] = { "init", state, "--start", bad[i], NULL };
		cr_assert_eq(e2e_cli(argv, out, sizeof out), 2, "'%s': %s", bad[i], out);
		cr_assert(strstr(out, "--start '"), "%s", out);
		cr_assert(strstr(out, "must be a UTC time like 2026-01-01T08:00:00Z"),
		          "%s", out);
		cr_assert_neq(access(state, F_OK), 0, "'%s' created %s", bad[i], state);
	}
	rmdir(dir);
}

Test(pumpd_sim, every_state_block_says_the_clock_speed)
{
	e2e_pump *p = must_start(NULL, 0);   /* --sim --speed 0 */
	struct msg_state s = must_status(p, "patient");
	cr_assert_eq(s.clock_speed, 0, "frozen");
	cr_assert(s.flags & MSG_F_SIMULATED);

	e2e_session *watch = must_watch(p, "patient2");
	struct msg_reply r = must_tester(p, MSG_CLOCK, MSG_CLOCK_SPEED, 3600);
	cr_assert_eq(r.state.clock_speed, 3600, "the reply carries the new speed");
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(watch, &m, 5000), 0);
	cr_assert_eq(m.type, MSG_NOTIFY);
	cr_assert_eq(m.u.notify.event, MSG_EV_CLOCK);
	cr_assert_eq(m.u.notify.state.clock_speed, 3600, "and the notification");
	r = must_tester(p, MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	cr_assert_eq(r.state.clock_speed, 0);
	e2e_session_close(watch);
	e2e_free(p);

	p = must_start(NULL, E2E_SPEED1);
	cr_assert_eq(must_status(p, "patient").clock_speed, 1);
	e2e_free(p);

	p = must_start(NULL, E2E_REAL_CLOCK);
	s = must_status(p, "patient");
	cr_assert_eq(s.clock_speed, 1, "the real clock runs at 1");
	cr_assert_eq(s.flags & MSG_F_SIMULATED, 0);
	e2e_free(p);
}

/* verifies: SR-ALARM-004 */
Test(pumpd_sim, new_battery_clears_eri_and_eos)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p);
	struct msg_reply r = must_tester(p, MSG_FAULT, MSG_FAULT_BATTERY_EOS, 0);
	cr_assert_eq(r.state.n_alarms, 2, "ERI and EOS");
	cr_assert_eq(r.state.next_bolus_reason, MSG_OUT_CRITICAL);

	e2e_session *watch = must_watch(p, "patient2");

	must_tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, DAY);
	r = must_tester(p, MSG_FAULT, MSG_FAULT_BATTERY_NEW, 0);
	cr_assert_eq(r.state.n_alarms, 0, "both cleared");
	cr_assert_eq(r.state.eos_ms, T0 + DAY + (6 * 365 + 1) * DAY,
	             "a new battery's life starts now");
	cr_assert_eq(r.state.eri_ms, r.state.eos_ms - 90 * DAY);
	/* the watcher hears both alarms clear */
	unsigned cleared = 0;
	struct msg_from_pump m;
	while (cleared != 3 && e2e_recv(watch, &m, 5000) == 0)
		if (m.type == MSG_NOTIFY && m.u.notify.event == MSG_EV_ALARM_CLEARED)
			cleared |= m.u.notify.alarm == MSG_ALARM_ERI ? 1u :
			           m.u.notify.alarm == MSG_ALARM_EOS ? 2u : 0u;
	cr_assert_eq(cleared, 3, "cleared notifications seen: %u", cleared);
	cr_assert_eq(must_status(p, "patient").next_bolus_reason, MSG_OUT_GRANTED, "the pump runs again");
	e2e_session_close(watch);
	e2e_free(p);
}

/* ---- ten years at once ---------------------------------------------------- */

#define YEARS10 (3650 * DAY)

static double ms_since(const struct timespec *t0)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)(t.tv_sec - t0->tv_sec) * 1e3 +
	       (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* A patient keeps asking for boluses (a few pipelined before each move)
 * while the tester moves the clock by the limit, ten years, three times:
 * every request is answered, the pump's time is exactly thirty years on,
 * and each move is answered well within a second of computing.  The
 * slowest move is printed (the figure in the report). */
static void ten_years_thrice(const char *rx_text, const char *what)
{
	e2e_pump *p = must_start(rx_text, E2E_QUIET);
	e2e_session *pat = must_open(p, "patient");
	e2e_session *test = must_open(p, "tester");
	struct msg_request q;
	struct msg_reply r;
	uint64_t t0 = must_status_in(pat).now_ms;
	double worst = 0;
	unsigned granted = 0;
	for (int k = 1; k <= 3; k++) {
		struct msg_request b[4];
		for (int i = 0; i < 4; i++) {
			b[i] = (struct msg_request){ .type = MSG_BOLUS };
			cr_assert_eq(e2e_send(pat, &b[i]), 0);
		}
		q = (struct msg_request){ .type = MSG_CLOCK };
		q.u.clock.op = MSG_CLOCK_ADVANCE;
		q.u.clock.arg = YEARS10;
		struct timespec ts;
		clock_gettime(CLOCK_MONOTONIC, &ts);
		cr_assert_eq(e2e_request(test, &q, &r), 0, "no reply to the move");
		double ms = ms_since(&ts);
		if (ms > worst)
			worst = ms;
		cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
		uint64_t at = r.state.now_ms;
		cr_assert_eq(at, t0 + (uint64_t)k * YEARS10);
		/* a new battery each time, so that the pump runs on (end of
		 * service comes after six years) */
		q = (struct msg_request){ .type = MSG_FAULT };
		q.u.fault.kind = MSG_FAULT_BATTERY_NEW;
		cr_assert_eq(e2e_request(test, &q, &r), 0);
		cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
		/* the boluses sent before the move: one reply each, in order */
		for (int i = 0; i < 4; i++) {
			static struct msg_from_pump m_; /* large; static: a failed
			                                   assertion frees nothing */
			struct msg_from_pump *m = &m_;
			do
				cr_assert_eq(e2e_recv(pat, m, 10000), 0, "bolus reply");
			while (m->type != MSG_REPLY);
			cr_assert_eq(m->u.reply.id, b[i].id);
			cr_assert_eq(m->u.reply.err, MSG_OK);
			granted += m->u.reply.u.bolus.outcome == MSG_OUT_GRANTED;
		}
	}
	q = (struct msg_request){ .type = MSG_BOLUS };
	cr_assert_eq(e2e_request(pat, &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.now_ms, t0 + 3 * YEARS10);
	cr_assert_leq(r.state.boluses_24h, r.state.max_per_24h);
	fprintf(stderr, "%s: 10 years moved in %.1f ms at most (%u boluses granted)\n",
	        what, worst, granted);
	/* how fast is a figure (printed above; bench_sim measures the model),
	 * not asserted here: that every reply arrived, in order, is the test */
	e2e_session_close(pat);
	e2e_session_close(test);
	e2e_free(p);
}

Test(pumpd_sim, ten_years_at_once_demo_prescription)
{
	ten_years_thrice(NULL, "demo");
}

/* 40 mL of 100 mg/mL, a 13-step schedule and 48 boluses a day (lockout
 * 30 min, 1 min each): drug for years, a schedule step every ~2 h.  A drug
 * the shipped library does not hold (no limit checked): 100 mg/mL is past
 * morphine's hard limit, and the library is not what this measures. */
Test(pumpd_sim, ten_years_at_once_48_boluses_a_day)
{
	ten_years_thrice("drug = hydromorphone\n"
	                 "concentration = 100 mg/mL\n"
	                 "reservoir = 40 mL\n"
	                 "mode = flexible\n"
	                 "step = 00:00 10 ug/day\n"
	                 "step = 02:00 20 ug/day\n"
	                 "step = 04:00 10 ug/day\n"
	                 "step = 06:00 20 ug/day\n"
	                 "step = 08:00 10 ug/day\n"
	                 "step = 10:00 20 ug/day\n"
	                 "step = 12:00 10 ug/day\n"
	                 "step = 14:00 20 ug/day\n"
	                 "step = 16:00 10 ug/day\n"
	                 "step = 18:00 20 ug/day\n"
	                 "step = 20:00 10 ug/day\n"
	                 "step = 22:00 20 ug/day\n"
	                 "step = 23:00 10 ug/day\n"
	                 "bolus = on\n"
	                 "bolus_dose = 10 ug\n"
	                 "bolus_duration = 1 min\n"
	                 "lockout = 30 min\n"
	                 "max_per_24h = 48\n"
	                 "ceiling_24h = 1 mg\n"
	                 "low_reservoir = 2 mL\n", "48 a day");
}

/* `pumpd pair` and `pumpd unpair` date their audit rows with the pump's
 * time, not the wall clock: on a simulated pump days ahead of the wall
 * clock the log stays in time order. */
/* verifies: SR-AUDIT-001 */
Test(pumpd_sim, pair_and_unpair_audit_rows_carry_the_pump_time)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p, "pumpd did not start");
	must_tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, 400 * DAY);
	cr_assert_eq(e2e_pair(p, "nurse", "clinician"), 0);
	const char *un[] = { "unpair", e2e_state_dir(p), "nurse", NULL };
	char out[512];
	cr_assert_eq(e2e_cli(un, out, sizeof out), 0, "%s", out);

	uint64_t after = 0, prev = 0;
	int seen = 0;
	struct msg_reply r;
	do {
		struct msg_request q = { .type = MSG_LOG };
		q.u.log.max = MSG_LOG_MAX;
		q.u.log.after_seq = after;
		r = must_call(p, "clinician", q);
		cr_assert_eq(r.err, MSG_OK);
		for (unsigned i = 0; i < r.u.log.n; i++) {
			const struct msg_log_entry *e = &r.u.log.e[i];
			after = e->seq;
			cr_assert_geq(e->at_ms, prev, "row %" PRIu64 " \"%s\" at %"
			              PRIu64 " before the row above it (%" PRIu64 ")",
			              e->seq, e->text, e->at_ms, prev);
			prev = e->at_ms;
			if (strcmp(e->text, "pump: paired nurse as clinician") == 0 ||
			    strcmp(e->text, "pump: unpaired nurse") == 0) {
				cr_assert_eq(e->at_ms, T0 + 400 * DAY, "%s", e->text);
				seen++;
			}
		}
	} while (r.u.log.n == MSG_LOG_MAX);
	cr_assert_eq(seen, 2);
	e2e_free(p);
}

/* The audit log is read by people: doses, volumes, rates and times in the
 * units a clinician uses, not the wire's integers. */
Test(pumpd_sim, the_log_says_what_happened_in_units)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p, "pumpd did not start");
	struct msg_request b = { .type = MSG_BOLUS };
	cr_assert_eq(must_call(p, "patient", b).u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(must_call(p, "patient", b).u.bolus.outcome, MSG_OUT_RUNNING);
	must_tester(p, MSG_FAULT, MSG_FAULT_RESERVOIR, 1500000);
	must_advance(p, 30 * 60000);
	must_tester(p, MSG_CLOCK, MSG_CLOCK_SPEED, 60);
	struct msg_request f = { .type = MSG_REFILL };
	f.u.refill.volume_nl = 18000000;
	f.u.refill.concentration_ng_ml = 10000000;
	cr_assert_eq(must_call(p, "clinician", f).err, MSG_OK);
	static const char *const want[] = {
		"bolus granted: 0.5 mg over 10 min, ends at 2026-01-01T08:10:00",
		"bolus refused: running, next allowed in 2 h",
		"fault reservoir 1.5 mL: injected",
		"bolus ended: 0.5 mg delivered",
		"clock advance 30m: done",
		"clock speed x60: done",
		"refill 18 mL at 10 mg/mL: done",
	};
	int seen[sizeof want / sizeof want[0]] = { 0 };
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.max = MSG_LOG_MAX;
	struct msg_reply r;
	do {
		r = must_call(p, "clinician", q);
		cr_assert_eq(r.err, MSG_OK);
		for (unsigned i = 0; i < r.u.log.n; i++) {
			q.u.log.after_seq = r.u.log.e[i].seq;
			for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
				seen[k] |= strstr(r.u.log.e[i].text, want[k]) != NULL;
		}
	} while (r.u.log.n == MSG_LOG_MAX);
	for (size_t k = 0; k < sizeof want / sizeof want[0]; k++)
		cr_expect(seen[k], "no log entry says \"%s\"", want[k]);
	e2e_free(p);
}

/* ptmctl run --pump programs a running pump with the prescription a
 * scenario without rx gets from pumpd init: the runner's copy (it cannot
 * link the model) must be the model's default, field for field. */
Test(pumpd_sim, the_scenario_runners_default_prescription_is_the_pumps)
{
	pump_rx rx;
	struct msg_rx model, runner;
	pump_rx_default(&rx);
	memset(&model, 0, sizeof model);
	wire_rx_from_pump(&rx, &model);
	scnremote_default_rx(&runner);
	cr_assert_eq(memcmp(&model, &runner, sizeof model), 0,
	             "tools/scenario/scnremote.c's default differs from pump_rx_default");
}
