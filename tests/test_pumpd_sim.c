/* tests/test_pumpd_sim.c — the simulated clock as a remote sees it: `pumpd
 * init --start` pins where it starts, every state block says how fast it
 * runs (clock_speed), and a tester's new battery clears ERI and EOS. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "net/msg.h"
#include "pumpd/pump.h"
#include "tests/e2e.h"

#define DAY ((uint64_t)PUMP_MS_PER_DAY)
#define T0 1767254400000ull  /* 2026-01-01T08:00:00Z */

static struct msg_reply call(e2e_pump *p, const char *who, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, who, &q, &r), 0, "no reply to %s from %s",
	             msg_type_name(q.type), who);
	return r;
}

static struct msg_state status(e2e_pump *p)
{
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r = call(p, "patient", q);
	cr_assert_eq(r.err, MSG_OK);
	return r.state;
}

static struct msg_reply tester(e2e_pump *p, int type, int op, uint64_t arg)
{
	struct msg_request q = { .type = (uint8_t)type };
	if (type == MSG_CLOCK) {
		q.u.clock.op = (uint8_t)op;
		q.u.clock.arg = arg;
	} else {
		q.u.fault.kind = (uint8_t)op;
		q.u.fault.arg = arg;
	}
	struct msg_reply r = call(p, "tester", q);
	cr_assert_eq(r.err, MSG_OK, "%s: %s %s", msg_type_name(type),
	             msg_err_name(r.err), r.detail);
	return r;
}

Test(pumpd_sim, init_start_pins_the_simulated_clock)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p, "pumpd did not start");
	struct msg_state s = status(p);
	cr_assert_eq(s.now_ms, T0, "frozen clock at the start: %llu",
	             (unsigned long long)s.now_ms);
	cr_assert_eq(s.eos_ms, T0 + (6 * 365 + 1) * DAY, "battery from the start");
	cr_assert_eq(s.eri_ms, s.eos_ms - 90 * DAY);

	/* the audit log's first entry is dated at the start too */
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.after_seq = 0;
	q.u.log.max = 1;
	struct msg_reply r = call(p, "clinician", q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.log.n, 1);
	cr_assert_eq(r.u.log.e[0].at_ms, T0);
	cr_assert_str_eq(r.u.log.e[0].text, "pump: pump initialised");

	/* time moved by a tester is kept across a crash */
	tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, 90 * 60000);
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	cr_assert_eq(status(p).now_ms, T0 + 90 * 60000);
	e2e_free(p);

	/* epoch ms names the same instant */
	const char *init_ms[] = { "--start", "1767254400123", NULL };
	p = e2e_start_full(NULL, 0, init_ms, NULL);
	cr_assert(p);
	cr_assert_eq(status(p).now_ms, T0 + 123);
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
	e2e_pump *p = e2e_start(NULL, 0);   /* --sim --speed 0 */
	cr_assert(p);
	struct msg_state s = status(p);
	cr_assert_eq(s.clock_speed, 0, "frozen");
	cr_assert(s.flags & MSG_F_SIMULATED);

	e2e_session *watch = e2e_session_open(p, "patient2");
	cr_assert(watch);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_request(watch, &q, &r), 0);

	r = tester(p, MSG_CLOCK, MSG_CLOCK_SPEED, 3600);
	cr_assert_eq(r.state.clock_speed, 3600, "the reply carries the new speed");
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(watch, &m, 5000), 0);
	cr_assert_eq(m.type, MSG_NOTIFY);
	cr_assert_eq(m.u.notify.event, MSG_EV_CLOCK);
	cr_assert_eq(m.u.notify.state.clock_speed, 3600, "and the notification");
	r = tester(p, MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	cr_assert_eq(r.state.clock_speed, 0);
	e2e_session_close(watch);
	e2e_free(p);

	p = e2e_start(NULL, E2E_SPEED1);
	cr_assert(p);
	cr_assert_eq(status(p).clock_speed, 1);
	e2e_free(p);

	p = e2e_start(NULL, E2E_REAL_CLOCK);
	cr_assert(p);
	s = status(p);
	cr_assert_eq(s.clock_speed, 1, "the real clock runs at 1");
	cr_assert_eq(s.flags & MSG_F_SIMULATED, 0);
	e2e_free(p);
}

Test(pumpd_sim, new_battery_clears_eri_and_eos)
{
	const char *init[] = { "--start", "2026-01-01T08:00:00Z", NULL };
	e2e_pump *p = e2e_start_full(NULL, 0, init, NULL);
	cr_assert(p);
	struct msg_reply r = tester(p, MSG_FAULT, MSG_FAULT_BATTERY_EOS, 0);
	cr_assert_eq(r.state.n_alarms, 2, "ERI and EOS");
	cr_assert_eq(r.state.next_bolus_reason, MSG_OUT_CRITICAL);

	e2e_session *watch = e2e_session_open(p, "patient2");
	cr_assert(watch);
	struct msg_request q = { .type = MSG_STATUS };
	cr_assert_eq(e2e_request(watch, &q, &r), 0);

	tester(p, MSG_CLOCK, MSG_CLOCK_ADVANCE, DAY);
	r = tester(p, MSG_FAULT, MSG_FAULT_BATTERY_NEW, 0);
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
	cr_assert_eq(status(p).next_bolus_reason, MSG_OUT_GRANTED, "the pump runs again");
	e2e_session_close(watch);
	e2e_free(p);
}
