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
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

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
	return must_request(s, &q);
}

/* The default prescription as PROGRAM carries it, basal doubled (so that
 * carrying it out would show). */
static struct msg_rx rx_valid(void)
{
	struct msg_rx rx = {
		.drug = "morphine", .concentration_ng_ml = 10000000,
		.capacity_nl = 20000000, .mode = MSG_MODE_CONTINUOUS,
		.rate_ng_day = 6000000, .bolus_enabled = 1, .bolus_dose_ng = 500000,
		.bolus_duration_ms = 10 * MIN, .lockout_ms = 2 * H, .max_per_24h = 6,
		.ceiling_ng_24h = 0, .low_threshold_nl = 2000000, .silence_ms = H,
	};
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

/* verifies: SR-LINK-004 */
Test(pumpd_refuse, every_request_outside_the_role)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *pat = must_open(p, "patient");
	e2e_session *clin = must_open(p, "clinician");
	e2e_session *test = must_open(p, "tester");
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
	struct msg_state before = must_status_in(clin);
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
	struct msg_state mid = must_status_in(clin);
	assert_same_state(&before, &mid, "after the refusals");

	static struct must_audit a_;   /* large; static: a failed assertion frees nothing */
	struct must_audit *a = &a_;
	must_read_audit(clin, a);
	for (size_t i = 0; i < n; i++)
		cr_assert(must_audit_has(a, want[i]), "audit row \"%s\"", want[i]);

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
	struct msg_state after = must_status_in(clin);
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
/* verifies: SR-TIME-005 */
Test(pumpd_refuse, tester_requests_on_the_real_clock)
{
	e2e_pump *p = must_start(NULL, E2E_REAL_CLOCK);
	e2e_session *test = must_open(p, "tester");
	e2e_session *clin = must_open(p, "clinician");
	struct msg_state before = must_status_in(clin);
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
	/* a tester key only looks at a real-clock pump: no patient's or
	 * clinician's change, but the reads */
	static const uint8_t acts[] = { MSG_BOLUS, MSG_SILENCE, MSG_PROGRAM,
	                                MSG_REFILL, MSG_CLEAR, MSG_RUN };
	for (size_t i = 0; i < sizeof acts; i++) {
		struct msg_reply r = req(test, outside(acts[i]));
		cr_assert_eq(r.err, MSG_E_NOT_SIM, "%s: %s", msg_type_name(acts[i]),
		             msg_err_name(r.err));
		cr_assert_str_eq(r.detail, "a tester only reads a real-clock pump");
	}
	struct msg_request look = { .type = MSG_LOG };
	look.u.log.max = 5;
	cr_assert_eq(req(test, look).err, MSG_OK);
	cr_assert_eq(req(test, (struct msg_request){ .type = MSG_STATUS }).err, MSG_OK);

	/* on the real clock time runs: the same block but for the time and
	 * what basal took meanwhile (3 mg/day at 10 mg/mL: 3.5 nL a second) */
	struct msg_state after = must_status_in(clin);
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

	static struct must_audit a_;   /* large; static: a failed assertion frees nothing */
	struct must_audit *a = &a_;
	must_read_audit(clin, a);
	for (int i = 0; i < 2; i++)
		cr_assert(must_audit_has(a, want[i]), "audit row \"%s\"", want[i]);
	e2e_session_close(test);
	e2e_session_close(clin);
	e2e_free(p);
}

/* ---- ranges --------------------------------------------------------------- */

/* One out-of-range field: the request q (built from a good one by make),
 * or, when patch is set, q encoded and then one byte changed (values the
 * encoder refuses to write). */
struct rcase {
	const char *name;
	const char *who;
	uint8_t type;
	void (*make)(struct msg_request *q);
	size_t patch_at;     /* 0: no patch; else the byte index */
	uint8_t patch;
	uint16_t err;
	const char *detail;
};

#define RX(fn, body) static void fn(struct msg_request *q) \
	{ q->u.rx = rx_valid(); struct msg_rx *x = &q->u.rx; (void)x; body; }
RX(rx_ok, )
RX(rx_drug_empty, x->drug[0] = '\0')
RX(rx_conc_0, x->concentration_ng_ml = 0)
RX(rx_conc_high, x->concentration_ng_ml = 100000001)
RX(rx_conc_other, x->concentration_ng_ml = 20000000)
RX(rx_cap_30, x->capacity_nl = 30000000)
RX(rx_cap_0, x->capacity_nl = 0)
RX(rx_rate_high, x->rate_ng_day = 240000001)
RX(rx_flex_0, x->mode = MSG_MODE_FLEXIBLE)
RX(rx_step0_late, x->mode = MSG_MODE_FLEXIBLE; x->n_steps = 1;
   x->steps[0].start_ms = 1; x->steps[0].rate_ng_day = 1000)
RX(rx_step_order, x->mode = MSG_MODE_FLEXIBLE; x->n_steps = 2;
   x->steps[0].rate_ng_day = 1000; x->steps[1].start_ms = 0;
   x->steps[1].rate_ng_day = 1000)
RX(rx_step_day, x->mode = MSG_MODE_FLEXIBLE; x->n_steps = 2;
   x->steps[0].rate_ng_day = 1000; x->steps[1].start_ms = 86400000;
   x->steps[1].rate_ng_day = 1000)
RX(rx_step_rate, x->mode = MSG_MODE_FLEXIBLE; x->n_steps = 1;
   x->steps[0].rate_ng_day = 240000001)
RX(rx_dose_0, x->bolus_dose_ng = 0)
RX(rx_dose_high, x->bolus_dose_ng = 100000001)
RX(rx_dur_low, x->bolus_duration_ms = 59999)
RX(rx_dur_high, x->bolus_duration_ms = 14400001; x->lockout_ms = 86400000)
RX(rx_lock_low, x->lockout_ms = 10 * MIN - 1)
RX(rx_lock_high, x->lockout_ms = 86400001)
RX(rx_max_0, x->max_per_24h = 0)
RX(rx_max_49, x->max_per_24h = 49)
RX(rx_off_dose, x->bolus_enabled = 0; x->bolus_dose_ng = 100000001)
RX(rx_off_max, x->bolus_enabled = 0; x->max_per_24h = 49)
RX(rx_ceiling, x->ceiling_ng_24h = 6499999) /* needs 6 mg + 0.5 mg */
RX(rx_low_0, x->low_threshold_nl = 0)
RX(rx_low_half, x->low_threshold_nl = 10000001)
RX(rx_silence_low, x->silence_ms = 59999)
RX(rx_silence_high, x->silence_ms = 86400001)

#define BODY(fn, body) static void fn(struct msg_request *q) { body; }
BODY(refill_vol_0, q->u.refill.volume_nl = 0;
     q->u.refill.concentration_ng_ml = 10000000)
BODY(refill_vol_over, q->u.refill.volume_nl = 20000001;
     q->u.refill.concentration_ng_ml = 10000000)
BODY(refill_conc_0, q->u.refill.volume_nl = 20000000;
     q->u.refill.concentration_ng_ml = 0)
BODY(refill_conc_high, q->u.refill.volume_nl = 20000000;
     q->u.refill.concentration_ng_ml = 100000001)
BODY(fault_ok, q->u.fault.kind = MSG_FAULT_MEMORY)
BODY(fault_res_over, q->u.fault.kind = MSG_FAULT_RESERVOIR;
     q->u.fault.arg = 20000001)
BODY(clock_ok, q->u.clock.op = MSG_CLOCK_ADVANCE; q->u.clock.arg = 1)
BODY(clock_far, q->u.clock.op = MSG_CLOCK_ADVANCE;
     q->u.clock.arg = 3650 * DAY + 1)
BODY(clock_huge, q->u.clock.op = MSG_CLOCK_ADVANCE; q->u.clock.arg = UINT64_MAX)
BODY(clock_fast, q->u.clock.op = MSG_CLOCK_SPEED; q->u.clock.arg = 1000001)
BODY(alarm_1, q->u.alarm = 1)
BODY(alarm_0, q->u.alarm = 0)
BODY(hist_1, q->u.max = 1)
BODY(log_1, q->u.log.max = 1)
BODY(run_1, q->u.run = 1)
BODY(none, (void)q)

/* Byte offsets in an encoded request: u8 type, u64 id, then the body; in
 * PROGRAM with the drug "morphine": str8 drug at 9, concentration 18,
 * capacity 22, mode 26, rate 27, n_steps 31, bolus_enabled 32. */
#define B 9
static const struct rcase ranges[] = {
	{ "drug empty", "clinician", MSG_PROGRAM, rx_drug_empty, 0, 0, MSG_E_RANGE, "drug" },
	{ "drug control byte", "clinician", MSG_PROGRAM, rx_ok, B + 1, 0x01, MSG_E_MALFORMED, "drug" },
	{ "drug 32 bytes", "clinician", MSG_PROGRAM, rx_ok, B, 32, MSG_E_MALFORMED, "drug" },
	{ "concentration 0", "clinician", MSG_PROGRAM, rx_conc_0, 0, 0, MSG_E_RANGE, "concentration_ng_ml" },
	{ "concentration 100 mg/mL + 1", "clinician", MSG_PROGRAM, rx_conc_high, 0, 0, MSG_E_RANGE, "concentration_ng_ml" },
	{ "concentration other than filled", "clinician", MSG_PROGRAM, rx_conc_other, 0, 0, MSG_E_RANGE, "concentration_ng_ml" },
	{ "capacity 30 mL", "clinician", MSG_PROGRAM, rx_cap_30, 0, 0, MSG_E_RANGE, "capacity_nl" },
	{ "capacity 0", "clinician", MSG_PROGRAM, rx_cap_0, 0, 0, MSG_E_RANGE, "capacity_nl" },
	{ "mode 3", "clinician", MSG_PROGRAM, rx_ok, 26, 3, MSG_E_MALFORMED, "mode" },
	{ "rate over 24 mL/day", "clinician", MSG_PROGRAM, rx_rate_high, 0, 0, MSG_E_RANGE, "rate_ng_day" },
	{ "n_steps 14", "clinician", MSG_PROGRAM, rx_ok, 31, 14, MSG_E_MALFORMED, "n_steps" },
	{ "flexible, no step", "clinician", MSG_PROGRAM, rx_flex_0, 0, 0, MSG_E_RANGE, "n_steps" },
	{ "first step after midnight", "clinician", MSG_PROGRAM, rx_step0_late, 0, 0, MSG_E_RANGE, "steps.start_ms" },
	{ "steps out of order", "clinician", MSG_PROGRAM, rx_step_order, 0, 0, MSG_E_RANGE, "steps.start_ms" },
	{ "step at 24 h", "clinician", MSG_PROGRAM, rx_step_day, 0, 0, MSG_E_RANGE, "steps.start_ms" },
	{ "step rate over 24 mL/day", "clinician", MSG_PROGRAM, rx_step_rate, 0, 0, MSG_E_RANGE, "steps.rate_ng_day" },
	{ "bolus_enabled 2", "clinician", MSG_PROGRAM, rx_ok, 32, 2, MSG_E_MALFORMED, "bolus_enabled" },
	{ "dose 0", "clinician", MSG_PROGRAM, rx_dose_0, 0, 0, MSG_E_RANGE, "bolus_dose_ng" },
	{ "dose 100 mg + 1", "clinician", MSG_PROGRAM, rx_dose_high, 0, 0, MSG_E_RANGE, "bolus_dose_ng" },
	{ "duration under 1 min", "clinician", MSG_PROGRAM, rx_dur_low, 0, 0, MSG_E_RANGE, "bolus_duration_ms" },
	{ "duration over 4 h", "clinician", MSG_PROGRAM, rx_dur_high, 0, 0, MSG_E_RANGE, "bolus_duration_ms" },
	{ "lockout under the duration", "clinician", MSG_PROGRAM, rx_lock_low, 0, 0, MSG_E_RANGE, "lockout_ms" },
	{ "lockout over 24 h", "clinician", MSG_PROGRAM, rx_lock_high, 0, 0, MSG_E_RANGE, "lockout_ms" },
	{ "max_per_24h 0", "clinician", MSG_PROGRAM, rx_max_0, 0, 0, MSG_E_RANGE, "max_per_24h" },
	{ "max_per_24h 49", "clinician", MSG_PROGRAM, rx_max_49, 0, 0, MSG_E_RANGE, "max_per_24h" },
	{ "bolus off, dose 100 mg + 1", "clinician", MSG_PROGRAM, rx_off_dose, 0, 0, MSG_E_RANGE, "bolus_dose_ng" },
	{ "bolus off, max_per_24h 49", "clinician", MSG_PROGRAM, rx_off_max, 0, 0, MSG_E_RANGE, "max_per_24h" },
	{ "ceiling under a day and a dose", "clinician", MSG_PROGRAM, rx_ceiling, 0, 0, MSG_E_RANGE, "ceiling_ng_24h" },
	{ "low threshold 0", "clinician", MSG_PROGRAM, rx_low_0, 0, 0, MSG_E_RANGE, "low_threshold_nl" },
	{ "low threshold over half", "clinician", MSG_PROGRAM, rx_low_half, 0, 0, MSG_E_RANGE, "low_threshold_nl" },
	{ "silence under 1 min", "clinician", MSG_PROGRAM, rx_silence_low, 0, 0, MSG_E_RANGE, "silence_ms" },
	{ "silence over 24 h", "clinician", MSG_PROGRAM, rx_silence_high, 0, 0, MSG_E_RANGE, "silence_ms" },
	{ "refill volume 0", "clinician", MSG_REFILL, refill_vol_0, 0, 0, MSG_E_RANGE, "volume_nl" },
	{ "refill over capacity", "clinician", MSG_REFILL, refill_vol_over, 0, 0, MSG_E_RANGE, "volume_nl" },
	{ "refill concentration 0", "clinician", MSG_REFILL, refill_conc_0, 0, 0, MSG_E_RANGE, "concentration_ng_ml" },
	{ "refill concentration too high", "clinician", MSG_REFILL, refill_conc_high, 0, 0, MSG_E_RANGE, "concentration_ng_ml" },
	{ "fault 0", "tester", MSG_FAULT, fault_ok, B, 0, MSG_E_MALFORMED, "fault" },
	{ "fault 10", "tester", MSG_FAULT, fault_ok, B, 10, MSG_E_MALFORMED, "fault" },
	{ "reservoir over capacity", "tester", MSG_FAULT, fault_res_over, 0, 0, MSG_E_RANGE, "arg: above capacity" },
	{ "clock op 0", "tester", MSG_CLOCK, clock_ok, B, 0, MSG_E_MALFORMED, "op" },
	{ "clock op 3", "tester", MSG_CLOCK, clock_ok, B, 3, MSG_E_MALFORMED, "op" },
	{ "advance 10 years + 1 ms", "tester", MSG_CLOCK, clock_far, 0, 0, MSG_E_RANGE, "arg: at most 10 years" },
	{ "advance 2^64 - 1", "tester", MSG_CLOCK, clock_huge, 0, 0, MSG_E_RANGE, "arg: at most 10 years" },
	{ "speed 1e6 + 1", "tester", MSG_CLOCK, clock_fast, 0, 0, MSG_E_RANGE, "arg: at most 1000000" },
	{ "silence alarm 8", "patient", MSG_SILENCE, alarm_1, B, 8, MSG_E_MALFORMED, "alarm" },
	{ "silence alarm 255", "patient", MSG_SILENCE, alarm_1, B, 255, MSG_E_MALFORMED, "alarm" },
	{ "clear alarm 0", "clinician", MSG_CLEAR, alarm_0, 0, 0, MSG_E_RANGE, "alarm" },
	{ "clear alarm 8", "clinician", MSG_CLEAR, alarm_1, B, 8, MSG_E_MALFORMED, "alarm" },
	{ "clear alarm 255", "clinician", MSG_CLEAR, alarm_1, B, 255, MSG_E_MALFORMED, "alarm" },
	{ "history max 0", "patient", MSG_HISTORY, hist_1, B + 1, 0, MSG_E_MALFORMED, "max" },
	{ "history max 65", "patient", MSG_HISTORY, hist_1, B + 1, 65, MSG_E_MALFORMED, "max" },
	{ "log max 0", "clinician", MSG_LOG, log_1, B + 9, 0, MSG_E_MALFORMED, "max" },
	{ "log max 21", "clinician", MSG_LOG, log_1, B + 9, 21, MSG_E_MALFORMED, "max" },
	{ "run 2", "clinician", MSG_RUN, run_1, B, 2, MSG_E_MALFORMED, "run" },
	{ "request id 0", "patient", MSG_BOLUS, none, 8, 0, MSG_E_MALFORMED, "id" },
};

/* verifies: SR-RX-001 SR-LINK-005 */
Test(pumpd_refuse, every_field_out_of_range_one_at_a_time)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *ss[3] = { e2e_session_open(p, "patient"),
	                       e2e_session_open(p, "clinician"),
	                       e2e_session_open(p, "tester") };
	cr_assert(ss[0] && ss[1] && ss[2]);
	/* a memory alarm to silence or clear; half a reservoir to refill */
	struct msg_request f = { .type = MSG_FAULT };
	f.u.fault.kind = MSG_FAULT_MEMORY;
	cr_assert_eq(req(ss[2], f).err, MSG_OK);
	f.u.fault.kind = MSG_FAULT_RESERVOIR;
	f.u.fault.arg = 10000000;
	cr_assert_eq(req(ss[2], f).err, MSG_OK);
	struct msg_state before = must_status_in(ss[1]);
	cr_assert_eq(before.n_alarms, 1);

	for (size_t i = 0; i < sizeof ranges / sizeof ranges[0]; i++) {
		const struct rcase *c = &ranges[i];
		e2e_session *s = ss[c->who[0] == 'p' ? 0 : c->who[0] == 'c' ? 1 : 2];
		struct msg_request q = { .type = c->type };
		c->make(&q);
		uint8_t buf[MSG_MAX];
		int n = e2e_encode(p, &q, buf, sizeof buf);
		cr_assert_gt(n, 0, "%s: does not encode", c->name);
		cr_assert_lt(c->patch_at, (size_t)n, "%s", c->name);
		if (c->patch_at)
			buf[c->patch_at] = c->patch;
		struct msg_reply r;
		uint64_t id = c->patch_at == 8 ? 0 : q.id;
		cr_assert_eq(e2e_request_plain(s, buf, (size_t)n, id, &r), 0,
		             "%s: no reply", c->name);
		cr_assert_eq(r.err, c->err, "%s: error %s, want %s (%s)", c->name,
		             msg_err_name(r.err), msg_err_name(c->err), r.detail);
		cr_assert_str_eq(r.detail, c->detail, "%s: detail", c->name);
		cr_assert_eq(r.req_type, c->type, "%s", c->name);
		assert_same_state(&before, &r.state, c->name);
	}
	struct msg_state after = must_status_in(ss[1]);
	assert_same_state(&before, &after, "after every refusal");

	/* the good bodies the cases were made from are carried out */
	struct msg_request q = { .type = MSG_PROGRAM };
	rx_ok(&q);
	struct msg_reply r = req(ss[1], q);
	cr_assert_eq(r.err, MSG_OK, "%s", r.detail);
	cr_assert_eq(r.state.basal_ng_day, 6000000);
	/* advancing by 0 is allowed and moves nothing */
	q = (struct msg_request){ .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	r = req(ss[2], q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.now_ms, before.now_ms);
	q = (struct msg_request){ .type = MSG_CLOCK };
	clock_ok(&q);
	r = req(ss[2], q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.now_ms, before.now_ms + 1);
	for (int i = 0; i < 3; i++)
		e2e_session_close(ss[i]);
	e2e_free(p);
}
