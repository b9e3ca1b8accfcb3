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

/* STATUS in a new session of who, after HELLO with accept (0: no HELLO) */
static struct msg_reply status_after_hello(e2e_pump *p, const char *who,
                                           uint32_t accept)
{
	e2e_session *s = must_open(p, who);
	struct msg_reply r;
	if (accept) {
		struct msg_request h = { .type = MSG_HELLO };
		h.u.accept = accept;
		r = must_request(s, &h);
		cr_assert_eq(r.err, MSG_OK, "HELLO accept %u: %s", accept, r.detail);
	}
	struct msg_request q = { .type = MSG_STATUS };
	r = must_request(s, &q);
	cr_assert_eq(r.err, MSG_OK);
	e2e_session_close(s);
	return r;
}

/* verifies: SR-FAULT-002 */
Test(pumpd_delivery, status_tells_a_clinician_who_asked_what_reached_the_patient)
{
	e2e_pump *p = must_start(NULL, 0);   /* 3 mg/day basal */
	must_advance(p, DAY);
	cr_assert_eq(fault(p, MSG_FAULT_OCCLUSION, 50).err, MSG_OK);
	must_advance(p, DAY);
	/* by hand: day 1 drew 3 mg, all of it reached the patient; day 2 drew
	 * 3 mg, half of it reached: delivered 6 mg, reached 3 + 1.5 = 4.5 mg */
	const uint32_t both = MSG_ACCEPT_ED3 | MSG_ACCEPT_DELIVERY;
	struct msg_reply r = status_after_hello(p, "clinician", both);
	cr_assert_eq(r.has_dlv, 1);
	cr_assert_eq(r.state.has_ext, 1);
	cr_assert_eq(r.dlv.delivered_ng, 6000000u);
	cr_assert_eq(r.dlv.reached_ng, 4500000u);
	cr_assert_eq(r.dlv.reach_pct, 50);
	/* the pump's own state cannot tell: its reservoir is 0.6 mL down */
	cr_assert_eq(r.state.reservoir_nl, 19400000u);
	/* a tester's key gets it too (the emulator's truth is the tester's) */
	r = status_after_hello(p, "tester", both);
	cr_assert_eq(r.has_dlv, 1);
	cr_assert_eq(r.dlv.reached_ng, 4500000u);
	/* a patient's key never does, even when it asks */
	r = status_after_hello(p, "patient", both);
	cr_assert_eq(r.has_dlv, 0);
	cr_assert_eq(r.state.has_ext, 1);
	/* nor a clinician's remote that did not ask: edition 3 alone, the
	 * second edition (HELLO without accept) and the first (no HELLO) */
	r = status_after_hello(p, "clinician", MSG_ACCEPT_ED3);
	cr_assert_eq(r.has_dlv, 0);
	cr_assert_eq(r.state.has_ext, 1);
	r = status_after_hello(p, "clinician", 0);
	cr_assert_eq(r.has_dlv, 0);
	cr_assert_eq(r.state.has_ext, 0);
	/* the occlusion's audit row holds the totals when it began */
	e2e_session *c = must_open(p, "clinician");
	struct must_audit a;
	must_read_audit(c, &a);
	cr_assert(must_audit_has(&a, "tester: fault occlusion 50% reaches the patient: injected; "
	                             "drawn 3 mg, reached 3 mg"));
	e2e_session_close(c);
	/* an accept of the delivery block without edition 3 is malformed */
	c = must_open(p, "clinician");
	struct msg_request h = { .type = MSG_HELLO };
	uint8_t b[32];
	int n = e2e_encode(p, &h, b, sizeof b);
	cr_assert_eq(n, 9);
	const uint8_t acc[4] = { 0, 0, 0, MSG_ACCEPT_DELIVERY };
	memcpy(b + 9, acc, 4);
	cr_assert_eq(e2e_request_plain(c, b, 13, h.id, &r), 0);
	cr_assert_eq(r.err, MSG_E_MALFORMED);
	cr_assert_str_eq(r.detail, "accept");
	e2e_session_close(c);
	e2e_free(p);
}
