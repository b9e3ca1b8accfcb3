/* tests/test_pumpd_delivery.c — the tester's delivery faults through the
 * daemon: an occlusion the pump cannot see (pumpd status tells what
 * reached the patient) and refusals of their arguments. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/e2e_cli.h"
#include "tests/lib/must.h"

#define DAY 86400000ull

static struct msg_reply fault(e2e_pump *p, int kind, uint64_t arg)
{
	struct msg_request q = { .type = MSG_FAULT };
	q.u.fault.kind = (uint8_t)kind;
	q.u.fault.arg = arg;
	return must_call(p, "tester", q);
}

/* verifies: SR-FAULT-002 */
Test(pumpd_delivery, an_occlusion_shows_in_status_not_in_the_pump)
{
	e2e_pump *p = must_start(NULL, 0);
	struct msg_reply r = fault(p, MSG_FAULT_OCCLUSION, 101);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "arg");
	r = fault(p, MSG_FAULT_STALL_FOR, 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	r = fault(p, MSG_FAULT_STALL_FOR, 8 * DAY);
	cr_assert_eq(r.err, MSG_E_RANGE);
	r = fault(p, MSG_FAULT_OCCLUSION, 25);
	cr_assert_eq(r.err, MSG_OK);
	must_advance(p, DAY);
	struct msg_state s = must_status(p, "patient");
	cr_assert_eq(s.reservoir_nl, 19700000u, "the pump drew its 3 mg");
	cr_assert_eq(s.n_alarms, 0, "and cannot tell");
	char out[2048];
	const char *st[] = { "status", e2e_state_dir(p), NULL };
	cr_assert_eq(e2e_cli(st, out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "delivered_ng 3000000\n"), "%s", out);
	cr_assert(strstr(out, "reached_ng 750000\n"), "%s", out);
	cr_assert(strstr(out, "reach_pct 25\n"), "%s", out);
	/* it survives a crash */
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	cr_assert_eq(e2e_cli(st, out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "reached_ng 750000\n"), "%s", out);
	cr_assert(strstr(out, "reach_pct 25\n"), "%s", out);
	e2e_free(p);
}
