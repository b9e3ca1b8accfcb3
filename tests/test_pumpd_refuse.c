/* tests/test_pumpd_refuse.c — the real pumpd refuses, end to end: every
 * request outside the remote's role (error `role`, detail the role, an
 * audit row), tester requests on the real clock (`not_sim`), and every
 * field that can be out of range, one at a time (`range`, or `malformed`
 * where the codec refuses the value, docs/PROTOCOL.md 8 and 9; the detail
 * names the field).  Each refusal leaves the state block byte for byte as
 * it was.  Default prescription (pump_rx_default): morphine 10 mg/mL,
 * 20 mL, 3 mg/day, bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h,
 * ceiling 7 mg, low reservoir 2 mL, silence 1 h; frozen simulated clock. */
#include <criterion/criterion.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/msg.h"
#include "tests/e2e.h"

#define H (3600000ull)
#define MIN (60000ull)
#define DAY (24 * H)

/* The state block as its bytes on the wire (a notification's encoding),
 * so two blocks compare field for field. */
struct sbytes { int n; uint8_t b[MSG_MAX]; };

static struct sbytes state_bytes(const struct msg_state *st)
{
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.seq = 1;
	n.state = *st;
	struct sbytes out;
	out.n = msg_encode_notify(&n, out.b, sizeof out.b);
	cr_assert_gt(out.n, 0);
	return out;
}

static void assert_same_state(const struct msg_state *a,
                              const struct msg_state *b, const char *what)
{
	struct sbytes x = state_bytes(a), y = state_bytes(b);
	cr_assert(x.n == y.n && memcmp(x.b, y.b, (size_t)x.n) == 0,
	          "%s: the state block changed (reservoir %u -> %u, alarms %u -> "
	          "%u, now %" PRIu64 " -> %" PRIu64 ", basal %u -> %u)", what,
	          a->reservoir_nl, b->reservoir_nl, a->n_alarms, b->n_alarms,
	          a->now_ms, b->now_ms, a->basal_ng_day, b->basal_ng_day);
}

static struct msg_reply req(e2e_session *s, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, &q, &r), 0, "no reply to %s",
	             msg_type_name(q.type));
	return r;
}

static struct msg_state status(e2e_session *s)
{
	struct msg_reply r = req(s, (struct msg_request){ .type = MSG_STATUS });
	cr_assert_eq(r.err, MSG_OK);
	return r.state;
}

/* Every audit row, read as the clinician (each read adds its own row). */
struct audit { unsigned n; char text[512][MSG_TEXT_MAX + 1]; };

static void read_audit(e2e_session *clin, struct audit *a)
{
	uint64_t after = 0;
	struct msg_reply r;
	a->n = 0;
	do {
		struct msg_request q = { .type = MSG_LOG };
		q.u.log.max = MSG_LOG_MAX;
		q.u.log.after_seq = after;
		r = req(clin, q);
		cr_assert_eq(r.err, MSG_OK);
		for (unsigned i = 0; i < r.u.log.n && a->n < 512; i++) {
			after = r.u.log.e[i].seq;
			memcpy(a->text[a->n++], r.u.log.e[i].text, MSG_TEXT_MAX + 1);
		}
	} while (r.u.log.n == MSG_LOG_MAX);
}

static int audit_has(const struct audit *a, const char *text)
{
	for (unsigned i = 0; i < a->n; i++)
		if (strcmp(a->text[i], text) == 0)
			return 1;
	return 0;
}

/* The default prescription as PROGRAM carries it, basal doubled (so that
 * carrying it out would show). */
static struct msg_rx rx_valid(void)
{
	struct msg_rx rx;
	memset(&rx, 0, sizeof rx);
	snprintf(rx.drug, sizeof rx.drug, "morphine");
	rx.concentration_ng_ml = 10000000;
	rx.capacity_nl = 20000000;
	rx.mode = MSG_MODE_CONTINUOUS;
	rx.rate_ng_day = 6000000;
	rx.bolus_enabled = 1;
	rx.bolus_dose_ng = 500000;
	rx.bolus_duration_ms = 10 * MIN;
	rx.lockout_ms = 2 * H;
	rx.max_per_24h = 6;
	rx.ceiling_ng_24h = 0;
	rx.low_threshold_nl = 2000000;
	rx.silence_ms = H;
	return rx;
}

/* ---- roles ---------------------------------------------------------------- */

/* Requests that would change the pump (or read the full log) when sent by
 * the right role. */
static struct msg_request outside(uint8_t type)
{
	struct msg_request q = { .type = type };
	switch (type) {
	case MSG_PROGRAM: q.u.rx = rx_valid(); break;
	case MSG_REFILL:
		q.u.refill.volume_nl = 20000000;
		q.u.refill.concentration_ng_ml = 10000000;
		break;
	case MSG_CLEAR: q.u.alarm = MSG_ALARM_MEMORY; break;
	case MSG_LOG: q.u.log.max = 5; break;
	case MSG_RUN: q.u.run = 0; break;
	case MSG_FAULT: q.u.fault.kind = MSG_FAULT_MOTOR_STALL; break;
	case MSG_CLOCK:
		q.u.clock.op = MSG_CLOCK_ADVANCE;
		q.u.clock.arg = H;
		break;
	default: break;
	}
	return q;
}

Test(pumpd_refuse, every_request_outside_the_role)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	e2e_session *pat = e2e_session_open(p, "patient");
	e2e_session *clin = e2e_session_open(p, "clinician");
	e2e_session *test = e2e_session_open(p, "tester");
	cr_assert(pat && clin && test);
	/* a non-critical memory alarm, so that CLEAR has something to clear */
	struct msg_request f = { .type = MSG_FAULT };
	f.u.fault.kind = MSG_FAULT_MEMORY;
	cr_assert_eq(req(test, f).err, MSG_OK);
	/* refill below full, so that REFILL would show */
	f.u.fault.kind = MSG_FAULT_RESERVOIR;
	f.u.fault.arg = 15000000;
	cr_assert_eq(req(test, f).err, MSG_OK);

	static const struct { const char *who; uint8_t type; } cases[] = {
		{ "patient", MSG_PROGRAM }, { "patient", MSG_REFILL },
		{ "patient", MSG_CLEAR }, { "patient", MSG_LOG },
		{ "patient", MSG_RUN }, { "patient", MSG_FAULT },
		{ "patient", MSG_CLOCK }, { "clinician", MSG_FAULT },
		{ "clinician", MSG_CLOCK },
	};
	const size_t n = sizeof cases / sizeof cases[0];
	char want[sizeof cases / sizeof cases[0]][160];
	struct msg_state before = status(clin);
	cr_assert_eq(before.n_alarms, 1);
	for (size_t i = 0; i < n; i++) {
		e2e_session *s = strcmp(cases[i].who, "patient") == 0 ? pat : clin;
		struct msg_request q = outside(cases[i].type);
		struct msg_reply r = req(s, q);
		const char *tn = msg_type_name(cases[i].type);
		cr_assert_eq(r.err, MSG_E_ROLE, "%s from %s: %s", tn,
		             cases[i].who, msg_err_name(r.err));
		cr_assert_str_eq(r.detail, cases[i].who, "the detail is the role");
		cr_assert_eq(r.req_type, cases[i].type);
		assert_same_state(&before, &r.state, tn);
		snprintf(want[i], sizeof want[i], "%s: refused %s id %" PRIu64
		         ": role %s", cases[i].who, tn, r.id, cases[i].who);
	}
	struct msg_state mid = status(clin);
	assert_same_state(&before, &mid, "after the refusals");

	struct audit *a = malloc(sizeof *a);
	cr_assert(a);
	read_audit(clin, a);
	for (size_t i = 0; i < n; i++)
		cr_assert(audit_has(a, want[i]), "audit row \"%s\"", want[i]);
	free(a);

	/* the same requests from the right role are carried out: the bodies
	 * were good, only the role was wrong */
	static const uint8_t right[] = { MSG_PROGRAM, MSG_REFILL, MSG_CLEAR,
	                                 MSG_LOG, MSG_RUN, MSG_FAULT, MSG_CLOCK };
	for (size_t i = 0; i < sizeof right; i++) {
		e2e_session *s = right[i] >= MSG_FAULT ? test : clin;
		struct msg_reply r = req(s, outside(right[i]));
		cr_assert_eq(r.err, MSG_OK, "%s by its role: %s %s",
		             msg_type_name(right[i]), msg_err_name(r.err), r.detail);
	}
	struct msg_state after = status(clin);
	cr_assert_eq(after.now_ms, before.now_ms + H);
	cr_assert_eq(after.mode, MSG_MODE_CONTINUOUS);
	cr_assert_eq(after.flags & MSG_F_INFUSING, 0, "stopped");
	e2e_session_close(pat);
	e2e_session_close(clin);
	e2e_session_close(test);
	e2e_free(p);
}

/* On the real clock a tester's FAULT and CLOCK are refused with not_sim,
 * logged, and change nothing. */
Test(pumpd_refuse, tester_requests_on_the_real_clock)
{
	e2e_pump *p = e2e_start(NULL, E2E_REAL_CLOCK);
	cr_assert(p);
	e2e_session *test = e2e_session_open(p, "tester");
	e2e_session *clin = e2e_session_open(p, "clinician");
	cr_assert(test && clin);
	struct msg_state before = status(clin);
	cr_assert_eq(before.clock_speed, 1);
	cr_assert_eq(before.flags & MSG_F_SIMULATED, 0);

	char want[2][160];
	for (int i = 0; i < 2; i++) {
		struct msg_request q = outside(i ? MSG_CLOCK : MSG_FAULT);
		struct msg_reply r = req(test, q);
		cr_assert_eq(r.err, MSG_E_NOT_SIM);
		cr_assert_str_eq(r.detail, "pump runs on the real clock");
		snprintf(want[i], sizeof want[i], "tester: refused %s id %" PRIu64
		         ": not_sim pump runs on the real clock",
		         msg_type_name(q.type), r.id);
	}
	/* on the real clock time runs: the same block but for the time and
	 * what basal took meanwhile (3 mg/day at 10 mg/mL: 3.5 nL a second) */
	struct msg_state after = status(clin);
	cr_assert_geq(after.now_ms, before.now_ms);
	cr_assert_lt(after.now_ms, before.now_ms + MIN, "no hour was added");
	cr_assert_leq(before.reservoir_nl - after.reservoir_nl,
	              (after.now_ms - before.now_ms) * 300000 / DAY + 1);
	cr_assert_eq(after.n_alarms, 0, "no motor stall");
	struct msg_state a0 = before, a1 = after;
	a0.now_ms = a1.now_ms = 0;
	a0.reservoir_nl = a1.reservoir_nl = 0;
	a0.next_refill_ms = a1.next_refill_ms = 0;
	a0.next_bolus_ms = a1.next_bolus_ms = 0;
	assert_same_state(&a0, &a1, "not_sim");

	struct audit *a = malloc(sizeof *a);
	cr_assert(a);
	read_audit(clin, a);
	for (int i = 0; i < 2; i++)
		cr_assert(audit_has(a, want[i]), "audit row \"%s\"", want[i]);
	free(a);
	e2e_session_close(test);
	e2e_session_close(clin);
	e2e_free(p);
}
