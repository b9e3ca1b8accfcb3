/* tests/test_pumpd_stage.c — the clinic's edition-3 requests on the real
 * pumpd: HELLO accept and the state extension, staged programming (STAGE,
 * CONFIRM, CANCEL), the drug library's soft and hard limits, the alarm
 * test; what a version-1 remote sees beside them (docs/PROTOCOL.md
 * 8.8-8.11).  Default prescription: morphine 10 mg/mL, 3 mg/day, bolus 0.5
 * mg over 10 min, lockout 2 h, ceiling 7 mg; the shipped drug library
 * (morphine: daily soft 10 mg, hard 20 mg). */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "pump/pump.h"
#include "pumpd/wire.h"
#include "tests/lib/e2e.h"

static struct msg_reply call(e2e_pump *p, const char *who, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, who, &q, &r), 0, "no reply to %s from %s",
	             msg_type_name(q.type), who);
	return r;
}

static struct msg_reply req(e2e_session *s, struct msg_request q)
{
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, &q, &r), 0, "no reply to %s",
	             msg_type_name(q.type));
	return r;
}

/* A session that reads edition 3. */
static e2e_session *open_ed3(e2e_pump *p, const char *who)
{
	e2e_session *s = e2e_session_open(p, who);
	cr_assert(s);
	struct msg_request h = { .type = MSG_HELLO };
	h.u.accept = MSG_ACCEPT_ED3;
	struct msg_reply r = req(s, h);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.has_ext, 1, "the HELLO reply carries the extension");
	return s;
}

static struct msg_notify next_note(e2e_session *s)
{
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(s, &m, e2e_ms(5000)), 0, "no notification");
	cr_assert_eq(m.type, MSG_NOTIFY);
	return m.u.notify;
}

/* A pump with two patient remotes: *pt reads edition 3, *v1 ("old")
 * the first edition. */
static e2e_pump *start_two_editions(e2e_session **pt, e2e_session **v1)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	cr_assert_eq(e2e_pair(p, "old", "patient"), 0);
	*pt = open_ed3(p, "patient");
	*v1 = e2e_session_open(p, "old");
	cr_assert(*v1);
	return p;
}

/* The default prescription with rate ng/day, the patient bolus off, no
 * ceiling. */
static struct msg_request rx_req(int type, uint32_t rate, const char *override)
{
	pump_rx rx;
	pump_rx_default(&rx);
	struct msg_request q = { .type = (uint8_t)type };
	wire_rx_from_pump(&rx, &q.u.rx);
	q.u.rx.rate_ng_day = rate;
	q.u.rx.bolus_enabled = 0;
	q.u.rx.ceiling_ng_24h = 0;
	snprintf(q.u.rx.override, sizeof q.u.rx.override, "%s", override);
	return q;
}

/* verifies: SR-RX-005 SR-LINK-004 */
Test(pumpd_stage, staged_session_pending_then_confirmed, .timeout = 60)
{
	e2e_session *pt, *v1;
	e2e_pump *p = start_two_editions(&pt, &v1);
	struct msg_request st = { .type = MSG_STATUS };
	struct msg_reply r = req(v1, st);
	cr_assert_eq(r.state.has_ext, 0, "a version-1 session gets no extension");
	/* a patient may not stage */
	r = call(p, "patient", rx_req(MSG_STAGE, 6000000, ""));
	cr_assert_eq(r.err, MSG_E_ROLE);
	pt = open_ed3(p, "patient");   /* that call replaced its session */
	r = call(p, "clinician", rx_req(MSG_STAGE, 6000000, ""));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	const struct msg_stage_result *g = &r.u.stage;
	cr_assert_eq(g->stage_id, 1);
	cr_assert_eq(g->flags, 0);
	cr_assert_eq(g->daily_ng[0], 3000000);
	cr_assert_eq(g->daily_ng[1], 6000000);
	cr_assert_eq(g->bolus_dose_ng[0], 500000);
	cr_assert_eq(g->bolus_dose_ng[1], 0);
	cr_assert_eq(g->max_per_24h[1], 0);
	cr_assert_eq(g->ceiling_ng_24h[0], 7000000);
	cr_assert_eq(g->ceiling_ng_24h[1], 0);
	cr_assert_gt(g->next_refill_ms[1], r.state.now_ms);
	/* nothing changed yet: the current prescription runs */
	cr_assert_eq(r.state.basal_ng_day, 3000000);
	cr_assert_eq(r.state.has_ext, 0);
	struct msg_notify n = next_note(pt);
	cr_assert_eq(n.event, MSG_EV_STAGED);
	cr_assert_eq(n.state.has_ext, 1);
	cr_assert_eq(n.state.ext.flags, MSG_SX_PENDING);
	cr_assert_eq(n.state.ext.stage_id, 1);
	cr_assert_eq(n.state.ext.staged_ms, r.state.now_ms);
	r = req(pt, st);
	cr_assert_eq(r.state.ext.flags, MSG_SX_PENDING);
	/* the patient's bolus still follows the prescription in force */
	struct msg_request b = { .type = MSG_BOLUS };
	r = req(pt, b);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(next_note(pt).event, MSG_EV_BOLUS_STARTED);
	cr_assert_eq(next_note(v1).event, MSG_EV_BOLUS_STARTED,
	             "a version-1 remote never gets 'staged'");
	/* a confirm must name the pending session */
	struct msg_request c = { .type = MSG_STAGE_CONFIRM };
	c.u.stage_id = 7;
	r = call(p, "clinician", c);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "stage_id: not the pending session");
	c.u.stage_id = 1;
	r = call(p, "clinician", c);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.state.basal_ng_day, 6000000);
	cr_assert(r.state.flags & MSG_F_INFUSING);
	cr_assert(!(r.state.flags & MSG_F_BOLUS_RUNNING), "the stop cut the bolus");
	/* one step, told as it happened: stage ended, stopped, the bolus cut,
	 * programmed, started */
	int want[] = { MSG_EV_STAGE_ENDED, MSG_EV_STOPPED, MSG_EV_BOLUS_ENDED,
	               MSG_EV_PROGRAMMED, MSG_EV_STARTED };
	for (unsigned i = 0; i < sizeof want / sizeof want[0]; i++) {
		n = next_note(pt);
		cr_assert_eq(n.event, want[i], "note %u: %s", i, msg_event_name(n.event));
		cr_assert_eq(n.state.ext.flags, 0);
	}
	for (unsigned i = 1; i < sizeof want / sizeof want[0]; i++)
		cr_assert_eq(next_note(v1).event, want[i]);
	r = call(p, "clinician", c);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "no pending session");
	/* a session cancelled: nothing changes but the flag */
	r = call(p, "clinician", rx_req(MSG_STAGE, 4000000, ""));
	cr_assert_eq(r.u.stage.stage_id, 2);
	struct msg_request x = { .type = MSG_STAGE_CANCEL };
	x.u.stage_id = 2;
	r = call(p, "clinician", x);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.basal_ng_day, 6000000);
	cr_assert_eq(next_note(pt).event, MSG_EV_STAGED);
	cr_assert_eq(next_note(pt).event, MSG_EV_STAGE_ENDED);
	cr_assert_eq(e2e_log_wait(p, "staged 1: morphine daily 3 mg -> 6 mg", e2e_ms(5000)), 0);
	cr_assert_eq(e2e_log_wait(p, "confirm stage 1: in force", e2e_ms(5000)), 0);
	cr_assert_eq(e2e_log_wait(p, "cancel stage 2: done", e2e_ms(5000)), 0);
	e2e_session_close(pt);
	e2e_session_close(v1);
	e2e_free(p);
}

/* verifies: SR-RX-006 */
Test(pumpd_stage, drug_library_soft_and_hard_limits, .timeout = 60)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	e2e_session *cl = open_ed3(p, "clinician");
	/* 11 mg/day: past morphine's soft 10 mg */
	struct msg_reply r = req(cl, rx_req(MSG_PROGRAM, 11000000, ""));
	cr_assert_eq(r.err, MSG_E_SOFT_LIMIT);
	cr_assert_str_eq(r.detail, "daily_ng: soft limit 10000000 ng");
	cr_assert_eq(r.state.basal_ng_day, 3000000);
	r = req(cl, rx_req(MSG_STAGE, 11000000, ""));
	cr_assert_eq(r.err, MSG_E_SOFT_LIMIT);
	cr_assert_eq(r.state.ext.flags, 0, "a refused STAGE stages nothing");
	/* a version-1 remote reads the same refusal as range */
	e2e_session_close(cl);
	r = call(p, "clinician", rx_req(MSG_PROGRAM, 11000000, ""));
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "daily_ng: soft limit 10000000 ng");
	/* with an override: carried out, and logged with its reason */
	cl = open_ed3(p, "clinician");
	r = req(cl, rx_req(MSG_STAGE, 11000000, "titration agreed"));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.u.stage.flags, MSG_ST_OVERRIDE);
	r = req(cl, rx_req(MSG_PROGRAM, 11000000, "titration agreed"));
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.state.basal_ng_day, 11000000);
	cr_assert_eq(e2e_log_wait(p, "override (daily_ng: soft limit 10000000 ng): "
	                          "titration agreed", e2e_ms(5000)), 0);
	/* past the hard limit: refused, override or not */
	r = req(cl, rx_req(MSG_PROGRAM, 20000001, "titration agreed"));
	cr_assert_eq(r.err, MSG_E_HARD_LIMIT);
	cr_assert_str_eq(r.detail, "daily_ng: hard limit 20000000 ng");
	/* a field out of range is named before any library limit */
	struct msg_request q = rx_req(MSG_STAGE, 30000000, "");
	q.u.rx.bolus_enabled = 1;
	q.u.rx.lockout_ms = 1000;
	r = req(cl, q);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "lockout_ms");
	/* a drug not in the library: carried out, flagged */
	q = rx_req(MSG_STAGE, 3000000, "");
	strcpy(q.u.rx.drug, "hydromorphone");
	r = req(cl, q);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.stage.flags & MSG_ST_NO_LIB, MSG_ST_NO_LIB);
	cr_assert_eq(r.u.stage.flags & MSG_ST_REPLACED, MSG_ST_REPLACED);
	e2e_session_close(cl);
	e2e_free(p);
}

/* verifies: SR-ALARM-009 */
Test(pumpd_stage, alarm_test_reaches_edition_3_remotes, .timeout = 60)
{
	e2e_session *pt, *v1;
	e2e_pump *p = start_two_editions(&pt, &v1);
	struct msg_request a = { .type = MSG_ALARMTEST };
	a.u.alarm = MSG_ALARM_MOTOR_STALL;
	struct msg_reply r = call(p, "old", a);
	cr_assert_eq(r.err, MSG_E_ROLE);
	v1 = e2e_session_open(p, "old");   /* that call replaced its session */
	cr_assert(v1);
	r = call(p, "clinician", a);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.state.n_alarms, 0, "nothing raised");
	struct msg_notify n = next_note(pt);
	cr_assert_eq(n.event, MSG_EV_ALARM_TEST);
	cr_assert_eq(n.alarm, MSG_ALARM_MOTOR_STALL);
	cr_assert_eq(n.state.n_alarms, 0);
	/* the first-edition remote's next notification is the stop after it */
	struct msg_request run = { .type = MSG_RUN };
	run.u.run = 0;
	cr_assert_eq(call(p, "clinician", run).err, MSG_OK);
	cr_assert_eq(next_note(v1).event, MSG_EV_STOPPED);
	cr_assert_eq(next_note(pt).event, MSG_EV_STOPPED);
	/* ALARMTEST 0 is not an alarm to play: malformed, naming the field */
	e2e_session *cl = e2e_session_open(p, "clinician");
	cr_assert(cl);
	a.u.alarm = 1;
	uint8_t buf[64];
	int len = e2e_encode(p, &a, buf, sizeof buf);
	cr_assert_eq(len, 10);
	buf[9] = 0;
	cr_assert_eq(e2e_request_plain(cl, buf, 10, a.id, &r), 0);
	cr_assert_eq(r.err, MSG_E_MALFORMED);
	cr_assert_str_eq(r.detail, "alarm");
	cr_assert_eq(e2e_log_wait(p, "alarm test: motor_stall (1 remote)", e2e_ms(5000)), 0);
	e2e_session_close(cl);
	e2e_session_close(pt);
	e2e_session_close(v1);
	e2e_free(p);
}
