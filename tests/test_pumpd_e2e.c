/* tests/test_pumpd_e2e.c — the real pumpd on a private socket: boluses,
 * lockout, the 24 h count, crash and restart, roles, notifications, request
 * ids.  Default prescription (pump_rx_default): bolus 0.5 mg over 10 min,
 * lockout 2 h, 6 per 24 h, ceiling 7 mg, basal 3 mg/day; the simulated
 * clock is frozen and moved only by MSG_CLOCK. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define H (3600000ull)
#define MIN (60000ull)

static struct msg_reply bolus(e2e_pump *p)
{
	struct msg_reply r = must_call(p, "patient", (struct msg_request){ .type = MSG_BOLUS });
	cr_assert_eq(r.err, MSG_OK, "bolus: %s %s", msg_err_name(r.err), r.detail);
	return r;
}

/* verifies: SR-BOLUS-001 SR-BOLUS-002 SR-BOLUS-007 SR-BOLUS-008 */
Test(pumpd_e2e, bolus_lockout_then_daily_count)
{
	e2e_pump *p = must_start(NULL, 0);
	struct msg_state s0 = must_status(p, "patient");
	cr_assert_eq(s0.reservoir_nl, 20000000u, "full 20 mL reservoir");
	cr_assert_eq(s0.next_bolus_reason, MSG_OUT_GRANTED);
	cr_assert(s0.flags & MSG_F_SIMULATED);
	uint64_t t0 = s0.now_ms;

	struct msg_reply r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r.u.bolus.dose_ng, 500000u);
	cr_assert_eq(r.u.bolus.at_ms, t0 + 10 * MIN, "ends 10 min later");
	cr_assert_eq(r.u.bolus.wait_ms, 10 * MIN);
	cr_assert_eq(r.state.boluses_24h, 1);
	cr_assert(r.state.flags & MSG_F_BOLUS_RUNNING);

	/* right away: a bolus is running */
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING);
	cr_assert_eq(r.u.bolus.at_ms, t0 + 2 * H, "at: when the next is allowed");
	cr_assert_eq(r.u.bolus.wait_ms, 2 * H);
	cr_assert_eq(r.state.bolus_ends_ms, t0 + 10 * MIN, "the state: its end");
	cr_assert_eq(r.state.next_bolus_ms, t0 + 2 * H, "the state says when");

	/* 30 min in: lockout with 1 h 30 min left */
	must_advance(p, 30 * MIN);
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_LOCKOUT);
	cr_assert_eq(r.u.bolus.at_ms, t0 + 2 * H);
	cr_assert_eq(r.u.bolus.wait_ms, 90 * MIN);
	cr_assert_eq(r.state.boluses_24h, 1);

	/* the simulated clock makes the lockout run out without waiting */
	must_advance(p, 90 * MIN);
	for (int i = 2; i <= 6; i++) {
		r = bolus(p);
		cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED, "bolus %d", i);
		cr_assert_eq(r.state.boluses_24h, i);
		must_advance(p, 2 * H);
	}
	/* now t0 + 12 h: six in 24 h, the next at t0 + 24 h */
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_DAILY_COUNT);
	cr_assert_eq(r.u.bolus.at_ms, t0 + 24 * H);
	cr_assert_eq(r.u.bolus.wait_ms, 12 * H);
	cr_assert_eq(r.state.next_bolus_reason, MSG_OUT_DAILY_COUNT);
	cr_assert_eq(r.state.next_bolus_ms, t0 + 24 * H);

	must_advance(p, 12 * H);
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);

	/* the patient's own history, newest first */
	struct msg_request q = { .type = MSG_HISTORY };
	q.u.max = 3;
	struct msg_reply h = must_call(p, "patient", q);
	cr_assert_eq(h.err, MSG_OK);
	cr_assert_eq(h.u.history.n, 3);
	cr_assert_eq(h.u.history.e[0].outcome, MSG_OUT_GRANTED);
	cr_assert_eq(h.u.history.e[0].dose_ng, 500000u);
	cr_assert_eq(h.u.history.e[1].outcome, MSG_OUT_DAILY_COUNT);
	cr_assert_eq(h.u.history.e[1].dose_ng, 0u);
	cr_assert_eq(h.u.history.e[0].at_ms, t0 + 24 * H);
	/* patient2 asked for nothing */
	h = must_call(p, "patient2", q);
	cr_assert_eq(h.u.history.n, 0);
	e2e_free(p);
}

/* verifies: SR-STORE-001 SR-WIN-001 */
Test(pumpd_e2e, kill9_and_restart_keep_lockout_and_counts)
{
	e2e_pump *p = must_start(NULL, 0);
	uint64_t t0 = must_status(p, "patient").now_ms;
	struct msg_reply r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	uint32_t res_after = r.state.reservoir_nl;
	must_advance(p, 20 * MIN);

	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);

	struct msg_state s = must_status(p, "patient");
	cr_assert_eq(s.now_ms, t0 + 20 * MIN, "simulated clock resumes where it was");
	cr_assert_eq(s.boluses_24h, 1);
	cr_assert_lt(s.reservoir_nl, res_after, "bolus and basal were delivered");
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_LOCKOUT);
	cr_assert_eq(r.u.bolus.wait_ms, 100 * MIN);
	cr_assert_eq(r.u.bolus.at_ms, t0 + 2 * H);

	/* a clean stop too */
	cr_assert_eq(e2e_stop(p), 0, "SIGTERM: exit 0");
	cr_assert_eq(e2e_restart(p), 0);
	s = must_status(p, "patient");
	cr_assert_eq(s.boluses_24h, 1);
	cr_assert_eq(s.next_bolus_ms, t0 + 2 * H);
	e2e_free(p);
}

/* verifies: SR-STORE-001 SR-TIME-003 SR-TIME-005 */
Test(pumpd_e2e, real_clock_restart_keeps_lockout)
{
	e2e_pump *p = must_start(NULL, E2E_REAL_CLOCK);
	struct msg_reply r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	uint64_t next = r.state.next_bolus_ms;
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	r = bolus(p);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING);
	cr_assert_eq(r.state.next_bolus_ms, next);
	cr_assert_eq(r.state.boluses_24h, 1);
	/* tester requests need the simulated clock */
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 1;
	r = must_call(p, "tester", q);
	cr_assert_eq(r.err, MSG_E_NOT_SIM);
	e2e_free(p);
}

/* verifies: SR-LINK-004 SR-AUDIT-001 */
Test(pumpd_e2e, requests_outside_the_role_are_refused_and_change_nothing)
{
	e2e_pump *p = must_start(NULL, 0);
	struct msg_state before = must_status(p, "clinician");
	struct msg_request q = { .type = MSG_REFILL };
	q.u.refill.volume_nl = 10000000;
	q.u.refill.concentration_ng_ml = 10000000;
	struct msg_reply r = must_call(p, "patient", q);
	cr_assert_eq(r.err, MSG_E_ROLE);
	cr_assert_str_eq(r.detail, "patient");
	cr_assert_eq(r.state.reservoir_nl, before.reservoir_nl);

	q = (struct msg_request){ .type = MSG_FAULT };
	q.u.fault.kind = MSG_FAULT_MOTOR_STALL;
	r = must_call(p, "clinician", q);
	cr_assert_eq(r.err, MSG_E_ROLE);
	r = must_call(p, "patient", q);
	cr_assert_eq(r.err, MSG_E_ROLE);

	q = (struct msg_request){ .type = MSG_LOG };
	q.u.log.max = 5;
	r = must_call(p, "patient", q);
	cr_assert_eq(r.err, MSG_E_ROLE);

	q = (struct msg_request){ .type = MSG_RUN };
	q.u.run = 0;
	r = must_call(p, "patient", q);
	cr_assert_eq(r.err, MSG_E_ROLE);

	struct msg_state after = must_status(p, "clinician");
	cr_assert_eq(after.n_alarms, 0);
	cr_assert_eq(after.reservoir_nl, before.reservoir_nl);
	cr_assert(after.flags & MSG_F_INFUSING, "still running");

	/* the clinician may read the log, which names the refusals */
	int refusals = 0;
	uint64_t after_seq = 0;
	do {
		q = (struct msg_request){ .type = MSG_LOG };
		q.u.log.max = 20;
		q.u.log.after_seq = after_seq;
		r = must_call(p, "clinician", q);
		cr_assert_eq(r.err, MSG_OK);
		for (int i = 0; i < r.u.log.n; i++) {
			cr_assert_gt(r.u.log.e[i].seq, after_seq, "rising");
			after_seq = r.u.log.e[i].seq;
			if (strstr(r.u.log.e[i].text, "refused") &&
			    strstr(r.u.log.e[i].text, "role"))
				refusals++;
		}
	} while (r.u.log.n == 20); /* each read adds its own row */
	cr_assert_eq(refusals, 5, "five role refusals in the audit log");
	cr_assert_geq(e2e_log_count(p, "refused"), 5);
	e2e_free(p);
}

/* verifies: SR-ALARM-006 */
Test(pumpd_e2e, notifications_reach_a_second_remote_at_once)
{
	e2e_pump *p = must_start(NULL, 0);
	/* the watcher's session is open before the bolus */
	e2e_session *watch = must_watch(p, "patient2");

	struct msg_reply b = bolus(p);
	cr_assert_eq(b.u.bolus.outcome, MSG_OUT_GRANTED);
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(watch, &m, 5000), 0, "no notification");
	cr_assert_eq(m.type, MSG_NOTIFY);
	cr_assert_eq(m.u.notify.event, MSG_EV_BOLUS_STARTED);
	cr_assert_eq(m.u.notify.state.bolus_ends_ms, b.u.bolus.at_ms);
	uint64_t seq = m.u.notify.seq;

	/* the bolus end is pushed by the model timer when the clock passes it;
	 * the clock move itself is notified too */
	must_advance(p, 15 * MIN);
	int ended = 0, clock = 0;
	for (int i = 0; i < 2; i++) {
		cr_assert_eq(e2e_recv(watch, &m, 5000), 0);
		cr_assert_eq(m.type, MSG_NOTIFY);
		cr_assert_gt(m.u.notify.seq, seq, "seq rises");
		seq = m.u.notify.seq;
		ended += m.u.notify.event == MSG_EV_BOLUS_ENDED;
		clock += m.u.notify.event == MSG_EV_CLOCK;
	}
	cr_assert_eq(ended, 1);
	cr_assert_eq(clock, 1);
	cr_assert_eq(m.u.notify.state.flags & MSG_F_BOLUS_RUNNING, 0);

	/* an alarm raised by a fault reaches the watcher */
	must_tester(p, MSG_FAULT, MSG_FAULT_MOTOR_STALL, 0);
	cr_assert_eq(e2e_recv(watch, &m, 5000), 0);
	cr_assert_eq(m.u.notify.event, MSG_EV_ALARM_RAISED);
	cr_assert_eq(m.u.notify.alarm, MSG_ALARM_MOTOR_STALL);
	cr_assert_eq(m.u.notify.state.n_alarms, 1);
	cr_assert_eq(m.u.notify.state.alarms[0].priority, MSG_PRIO_HIGH);
	e2e_session_close(watch);
	e2e_free(p);
}

/* verifies: SR-REQ-001 SR-STORE-001 */
Test(pumpd_e2e, retried_id_gets_the_same_reply_and_one_bolus)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	struct msg_request q = { .type = MSG_BOLUS, .id = 1000 };
	struct msg_reply r1, r2;
	cr_assert_eq(e2e_request(s, &q, &r1), 0);
	cr_assert_eq(r1.u.bolus.outcome, MSG_OUT_GRANTED);
	e2e_session_close(s);

	/* the link dropped; the remote retries the same id on a new session */
	s = must_open(p, "patient");
	q.id = 1000;
	cr_assert_eq(e2e_request(s, &q, &r2), 0);
	cr_assert_eq(r2.u.bolus.outcome, MSG_OUT_GRANTED, "the same reply");
	cr_assert_eq(r2.u.bolus.at_ms, r1.u.bolus.at_ms);
	cr_assert_eq(r2.state.boluses_24h, 1, "never a second bolus");

	/* an older id is refused with the last id */
	q.id = 999;
	cr_assert_eq(e2e_request(s, &q, &r2), 0);
	cr_assert_eq(r2.err, MSG_E_STALE_ID);
	cr_assert_eq(r2.u.last_id, 1000u);
	e2e_session_close(s);

	/* and the memory survives kill -9 */
	e2e_kill9(p);
	cr_assert_eq(e2e_restart(p), 0);
	s = must_open(p, "patient");
	q.id = 1000;
	cr_assert_eq(e2e_request(s, &q, &r2), 0);
	cr_assert_eq(r2.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r2.state.boluses_24h, 1);
	q.id = 1001;
	cr_assert_eq(e2e_request(s, &q, &r2), 0);
	cr_assert_eq(r2.u.bolus.outcome, MSG_OUT_RUNNING);
	e2e_session_close(s);
	e2e_free(p);
}
