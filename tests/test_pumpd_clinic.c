/* tests/test_pumpd_clinic.c — the clinician's requests on the real pumpd:
 * CONFIG (tubing and catheter volumes) and CBOLUS (single, prime, bridge),
 * their roles, refusals, notifications, audit rows, and that they survive a
 * crash.  Default prescription (pump_rx_default): morphine 10 mg/mL,
 * 3 mg/day, patient bolus 0.5 mg over 10 min, lockout 2 h, ceiling 7 mg;
 * the simulated clock is frozen and moved only by MSG_CLOCK. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"

#define H (3600000ull)
#define MIN (60000ull)

static struct msg_reply call(e2e_pump *p, const char *who, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, who, &q, &r), 0, "no reply to %s from %s",
	             msg_type_name(q.type), who);
	return r;
}

static void advance(e2e_pump *p, uint64_t ms)
{
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = ms;
	cr_assert_eq(call(p, "tester", q).err, MSG_OK);
}

static struct msg_reply config(e2e_pump *p, const char *who, uint32_t tubing,
                               uint32_t mm, uint32_t nl_mm)
{
	struct msg_request q = { .type = MSG_CONFIG };
	q.u.config = (struct msg_config){ tubing, mm, nl_mm };
	return call(p, who, q);
}

static struct msg_reply cbolus(e2e_pump *p, const char *who, uint8_t kind,
                               uint32_t dose, uint32_t dur, uint32_t rate)
{
	struct msg_request q = { .type = MSG_CBOLUS };
	q.u.cbolus.kind = kind;
	q.u.cbolus.dose_ng = dose;
	q.u.cbolus.duration_ms = dur;
	q.u.cbolus.rate_nl_h = rate;
	return call(p, who, q);
}

/* REFILL of vol nL at conc ng/mL, with withdrawn_nl when withdrawn >= 0. */
static struct msg_reply refill(e2e_pump *p, uint32_t vol, uint32_t conc, int64_t withdrawn)
{
	struct msg_request q = { .type = MSG_REFILL };
	q.u.refill.volume_nl = vol;
	q.u.refill.concentration_ng_ml = conc;
	q.u.refill.has_withdrawn = withdrawn >= 0;
	q.u.refill.withdrawn_nl = withdrawn >= 0 ? (uint32_t)withdrawn : 0;
	return call(p, "clinician", q);
}

/* verifies: SR-RX-008 SR-BOLUS-010 SR-LINK-004 */
Test(pumpd_clinic, config_and_prime, .timeout = 60)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	/* a clinician's request: the patient is refused */
	struct msg_reply r = config(p, "patient", 260000, 900, 220);
	cr_assert_eq(r.err, MSG_E_ROLE);
	r = cbolus(p, "patient", MSG_CBOLUS_SINGLE, 500000, 10 * MIN, 0);
	cr_assert_eq(r.err, MSG_E_ROLE);
	/* not configured: priming is refused as a state */
	r = cbolus(p, "clinician", MSG_CBOLUS_PRIME, 0, 0, 1000000);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "not configured");
	/* a field out of range is named */
	r = config(p, "clinician", 260000, 2001, 220);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "catheter_mm");
	r = config(p, "clinician", 260000, 900, 220);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.u.config.c.tubing_nl, 260000u);
	cr_assert_eq(r.u.config.catheter_nl, 198000u);
	/* the patient's remote sees the clinician bolus start */
	e2e_session *pt = e2e_session_open(p, "patient");
	cr_assert(pt);
	struct msg_request st = { .type = MSG_STATUS };
	struct msg_reply sr;
	cr_assert_eq(e2e_request(pt, &st, &sr), 0);
	/* 198 000 nL at 1 mL/h: 712 800 ms; 1.98 mg at 10 mg/mL */
	r = cbolus(p, "clinician", MSG_CBOLUS_PRIME, 0, 0, 1000000);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.u.cbolus.kind, MSG_CBOLUS_PRIME);
	cr_assert_eq(r.u.cbolus.volume_nl, 198000u);
	cr_assert_eq(r.u.cbolus.dose_ng, 1980000u);
	cr_assert_eq(r.u.cbolus.duration_ms, 712800u);
	cr_assert_eq(r.u.cbolus.ends_at_ms, r.state.now_ms + 712800u);
	cr_assert(r.state.flags & MSG_F_BOLUS_RUNNING);
	cr_assert_eq(r.state.bolus_ends_ms, r.u.cbolus.ends_at_ms);
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(pt, &m, e2e_ms(5000)), 0);
	cr_assert_eq(m.type, MSG_NOTIFY);
	cr_assert_eq(m.u.notify.event, MSG_EV_BOLUS_STARTED);
	e2e_session_close(pt);
	/* the patient waits for it; a second clinician bolus too */
	struct msg_request b = { .type = MSG_BOLUS };
	r = call(p, "patient", b);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING);
	r = cbolus(p, "clinician", MSG_CBOLUS_SINGLE, 100000, 10 * MIN, 0);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "bolus running");
	/* a field its kind does not use must be 0 */
	r = cbolus(p, "clinician", MSG_CBOLUS_BRIDGE, 0, 0, 5);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "rate_nl_h");
	/* a crash: the configuration and the running bolus survive */
	e2e_kill9(p);
	cr_assert_eq(e2e_restart(p), 0);
	r = call(p, "clinician", st);
	cr_assert(r.state.flags & MSG_F_BOLUS_RUNNING);
	advance(p, 712800);
	r = call(p, "patient", b);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	/* the audit log names the kind, at its start and its end */
	cr_assert_eq(e2e_log_wait(p, "clinician bolus prime: 1.98 mg (0.198 mL) over "
	                          "11 min 53 s, ends at ", e2e_ms(5000)), 0);
	/* "1.980 mg" or "1.98 mg", as pumpd prints a dose */
	cr_assert_eq(e2e_log_wait(p, "clinician bolus prime ended: 1.98", e2e_ms(5000)), 0);
	e2e_free(p);
}

/* verifies: SR-BOLUS-010 */
Test(pumpd_clinic, bridge_after_refill, .timeout = 60)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	cr_assert_eq(config(p, "clinician", 260000, 900, 220).err, MSG_OK);
	struct msg_reply r = cbolus(p, "clinician", MSG_CBOLUS_BRIDGE, 0, 0, 0);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "no bridge due");
	cr_assert_eq(refill(p, 20000000, 20000000, -1).err, MSG_OK);   /* 10 -> 20 mg/mL */
	/* 458 000 nL of the old 10 mg/mL at the old 3 mg/day */
	r = cbolus(p, "clinician", MSG_CBOLUS_BRIDGE, 0, 0, 0);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.u.cbolus.volume_nl, 458000u);
	cr_assert_eq(r.u.cbolus.dose_ng, 4580000u);
	cr_assert_eq(r.u.cbolus.duration_ms, 131904000u);
	/* given once */
	advance(p, 131904000);
	r = cbolus(p, "clinician", MSG_CBOLUS_BRIDGE, 0, 0, 0);
	cr_assert_eq(r.err, MSG_E_STATE);
	e2e_free(p);
}

/* verifies: SR-RX-004 */
Test(pumpd_clinic, refill_checks_itself, .timeout = 60)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	advance(p, 10 * 24 * H);
	/* the first edition's REFILL: no withdrawn volume, no body */
	struct msg_reply r = refill(p, 20000000, 10000000, -1);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.refill.present, 0);
	/* 10 days at 300 uL a day: 17 mL expected, tolerance 0.95 mL; 15 mL
	 * withdrawn is a discrepancy, and the concentration changes */
	advance(p, 10 * 24 * H);
	r = refill(p, 20000000, 20000000, 15000000);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.u.refill.present, 1);
	cr_assert_eq(r.u.refill.withdrawn_nl, 15000000u);
	cr_assert_eq(r.u.refill.expected_nl, 17000000u);
	cr_assert_eq(r.u.refill.tolerance_nl, 950000u);
	cr_assert_eq(r.u.refill.flags, MSG_RF_DISCREPANCY | MSG_RF_BRIDGE_DUE);
	cr_assert_eq(r.u.refill.next_refill_ms, r.state.next_refill_ms);
	cr_assert_gt(r.u.refill.next_refill_ms, r.state.now_ms);
	cr_assert_eq(r.state.reservoir_nl, 20000000u);
	cr_assert_eq(e2e_log_wait(p, "refill discrepancy: withdrawn 15000000 nL, "
	                          "expected 17000000 nL", e2e_ms(5000)), 0);
	/* above the capacity: refused by name, nothing changed */
	r = refill(p, 20000000, 20000000, 20000001);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "withdrawn_nl");
	e2e_free(p);
}

/* A remote learns what the pump supports before it uses anything added
 * after the first edition. */
/* verifies: SR-LINK-004 */
Test(pumpd_clinic, hello_says_what_the_pump_supports, .timeout = 60)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	struct msg_request q = { .type = MSG_HELLO };
	struct msg_reply r = call(p, "patient", q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.hello.protocol, 2);
	cr_assert_eq(r.u.hello.features,
	             MSG_FEAT_CONFIG | MSG_FEAT_CBOLUS | MSG_FEAT_REFILL_CHECK |
	             MSG_FEAT_STAGE | MSG_FEAT_DRUGLIB | MSG_FEAT_ALARMTEST |
	             MSG_FEAT_LINK | MSG_FEAT_REFILL_LIB | MSG_FEAT_TYPED);
	cr_assert_eq(strncmp(r.u.hello.software, "pumpd ", 6), 0);
	/* a read: no audit row (every page of the log read) */
	q.type = MSG_LOG;
	q.u.log.after_seq = 0;
	q.u.log.max = 20;
	unsigned rows = 0;
	do {
		q.id = 0;
		r = call(p, "clinician", q);
		cr_assert_eq(r.err, MSG_OK);
		for (unsigned i = 0; i < r.u.log.n; i++) {
			cr_assert_null(strstr(r.u.log.e[i].text, "hello"), "%s",
			               r.u.log.e[i].text);
			q.u.log.after_seq = r.u.log.e[i].seq;
			rows++;
		}
	} while (r.u.log.n == 20);
	cr_assert_gt(rows, 0u);
	e2e_free(p);
}
