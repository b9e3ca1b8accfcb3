/* pumpd/request.c — each request type on the pump (see request.h). */
#include "pumpd/request.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/linkfault.h"
#include "pumpd/log.h"
#include "pumpd/druglib.h"
#include "pumpd/notify.h"
#include "pumpd/stage.h"
#include "pumpd/wire.h"
#include "util/units.h"
#include "util/version.h"

#define CLOCK_ADVANCE_MAX (3650LL * PUMP_MS_PER_DAY) /* one request: 10 years */

int request_role(int type)
{
	switch (type) {
	case MSG_STATUS: case MSG_BOLUS: case MSG_SILENCE: case MSG_HISTORY:
	case MSG_HELLO:
		return STORE_ROLE_PATIENT;
	case MSG_PROGRAM: case MSG_REFILL: case MSG_CLEAR: case MSG_LOG:
	case MSG_RUN: case MSG_CONFIG: case MSG_CBOLUS:
	case MSG_STAGE: case MSG_STAGE_CONFIRM: case MSG_STAGE_CANCEL:
	case MSG_ALARMTEST:
		return STORE_ROLE_CLINICIAN;
	case MSG_FAULT: case MSG_CLOCK: case MSG_LINK:
		return STORE_ROLE_TESTER;
	default:
		return REQUEST_ROLE_NONE;
	}
}

int request_reads_only(int type)
{
	return type == MSG_STATUS || type == MSG_HISTORY || type == MSG_LOG ||
	       type == MSG_HELLO;
}

/* One request in progress. */
struct req {
	struct server *srv;
	const struct remote *rm;
	const struct msg_request *q;
	pump *p;
	struct pclock *clk;
	int64_t *now;
	struct request_out *out;
	struct msg_reply *r;
};

#define TEXT(x, ...) snprintf((x)->out->text, sizeof (x)->out->text, __VA_ARGS__)
#define DETAIL(x, ...) snprintf((x)->r->detail, sizeof (x)->r->detail, __VA_ARGS__)

/* TEXT for lines of several measures: cut at the audit line's length
 * (a log line longer than that is cut, never refused). */
static void textf(struct req *x, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void textf(struct req *x, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(x->out->text, sizeof x->out->text, fmt, ap);
	va_end(ap);
}

static void fail(struct req *x, int err, const char *detail)
{
	x->r->err = (uint16_t)err;
	DETAIL(x, "%s", detail);
}

static void req_status(struct req *x)
{
	uint32_t n[PUMP_BOLUS__COUNT];
	pump_counts(x->p, n);
	x->r->u.counts.n = MSG_OUT_COUNT;
	for (int i = 0; i < MSG_OUT_COUNT; i++) {
		x->r->u.counts.c[i].outcome = (uint8_t)i;
		x->r->u.counts.c[i].count = i < PUMP_BOLUS__COUNT ? n[i] : 0;
	}
	/* drug delivered and reached: a clinician's or tester's reading only
	 * (sent to a session that accepted it: edition_fit_reply) */
	if (x->rm->role >= STORE_ROLE_CLINICIAN) {
		x->r->has_dlv = 1;
		wire_delivery(x->p, *x->now, &x->r->dlv);
	}
	TEXT(x, "status");
}

/* What this pump supports: a remote asks before it uses anything added
 * after the first edition (docs/PROTOCOL.md 8.8). */
static void req_hello(struct req *x)
{
	struct msg_hello *h = &x->r->u.hello;
	h->protocol = MSG_PROTOCOL;
	h->features = MSG_FEAT_CONFIG | MSG_FEAT_CBOLUS | MSG_FEAT_REFILL_CHECK |
	              MSG_FEAT_STAGE | MSG_FEAT_DRUGLIB | MSG_FEAT_ALARMTEST |
	              MSG_FEAT_LINK | MSG_FEAT_REFILL_LIB | MSG_FEAT_TYPED;
	snprintf(h->software, sizeof h->software, "pumpd %s", PTM_VERSION);
	TEXT(x, "hello");
}

static void req_bolus(struct req *x)
{
	struct msg_reply *r = x->r;
	int64_t now = *x->now;
	pump_bolus_result res;
	char a[32], b[UNITS_FMT_MAX];
	int e = pump_bolus(x->p, now, &res, srv_collect, x->srv);
	if (e < 0) {
		r->err = MSG_E_INTERNAL;
		TEXT(x, "bolus: internal error %d", e);
		return;
	}
	x->out->changed = 1;
	r->u.bolus.outcome = (uint8_t)res.outcome;
	r->u.bolus.dose_ng = res.dose_ng;
	srv_fmt_ng(a, sizeof a, res.dose_ng);
	if (res.outcome == PUMP_BOLUS_GRANTED) {
		r->u.bolus.at_ms = (uint64_t)res.ends_at_ms;
		r->u.bolus.wait_ms = (uint64_t)(res.ends_at_ms - res.at_ms);
		char end[UNITS_FMT_MAX];
		TEXT(x, "bolus granted: %s over %s, ends at %s", a,
		     units_fmt_span((uint64_t)(res.ends_at_ms - res.at_ms), end),
		     units_fmt_time((uint64_t)res.ends_at_ms, b));
	} else {
		r->u.bolus.at_ms = res.next_at_ms > 0 ? (uint64_t)res.next_at_ms : 0;
		r->u.bolus.wait_ms = res.wait_ms > 0 ? (uint64_t)res.wait_ms : 0;
		if (res.wait_ms > 0)
			TEXT(x, "bolus refused: %s, next allowed in %s", msg_outcome_name(res.outcome),
			     units_fmt_span((uint64_t)res.wait_ms, b));
		else
			TEXT(x, "bolus refused: %s", msg_outcome_name(res.outcome));
	}
	x->out->has_hist = 1;
	x->out->hist.at_ms = (uint64_t)now;
	x->out->hist.outcome = (uint8_t)res.outcome;
	x->out->hist.dose_ng = res.outcome == PUMP_BOLUS_GRANTED ? res.dose_ng : 0;
}

static void req_silence(struct req *x)
{
	uint8_t which = x->q->u.alarm;
	unsigned before = x->srv->nevents;
	/* 0, every alarm, is PUMP_ALARM_ALL: the numbers are shared */
	int e = pump_silence(x->p, *x->now, which, srv_collect, x->srv);
	if (e == PUMP_E_NOT_ACTIVE) {
		fail(x, MSG_E_STATE, "no such alarm is active");
	} else if (e < 0) {
		fail(x, MSG_E_RANGE, "alarm");
	} else {
		/* one event per alarm silenced, one already silenced included */
		unsigned n = 0;
		for (unsigned i = before; i < x->srv->nevents; i++)
			n += x->srv->events[i].kind == PUMP_EV_ALARM_SILENCED;
		x->r->u.silenced = (uint8_t)n;
		x->out->changed = 1;
		/* one note, naming the alarm, or 0 for every alarm */
		notify_note(x->out->ns, MSG_EV_ALARM_SILENCED, which);
	}
	TEXT(x, "silence %s: %s", which ? msg_alarm_name(which) : "all",
	     x->r->err ? msg_err_name(x->r->err) : "done");
}

static void req_history(struct req *x)
{
	unsigned max = x->q->u.max;
	if (max < 1 || max > MSG_HISTORY_MAX) {
		fail(x, MSG_E_RANGE, "max");
	} else {
		struct store_history_row rows[MSG_HISTORY_MAX];
		int e = store_history_read(x->srv->st, x->rm->id, max, rows);
		if (e < 0)
			fail(x, MSG_E_STORAGE, "history unreadable");
		for (int i = 0; i < e; i++)
			x->r->u.history.e[i] = (struct msg_history_entry){
				.at_ms = (uint64_t)(rows[i].at_ms > 0 ? rows[i].at_ms : 0),
				.outcome = (uint8_t)rows[i].outcome,
				.dose_ng = rows[i].dose_ng };
		x->r->u.history.n = (uint8_t)(e > 0 ? e : 0);
	}
	TEXT(x, "history");
}

static void req_program(struct req *x)
{
	const char *field = NULL;
	pump_rx rx;
	char zone[PUMP_ZONE_NAME_MAX];  /* the wire's steps are UTC (8.13) */
	memcpy(zone, x->p->rx.zone.name, sizeof zone);
	wire_rx_to_pump(&x->q->u.rx, x->p->rx.battery_life_days, &rx);
	struct druglib_verdict v;   /* the library first (PROTOCOL.md 8.10) */
	memset(&v, 0, sizeof v);   /* field checks first: their field named */
	int lim = pump_rx_validate(&rx, NULL) < 0 ? 0
	        : druglib_check(x->srv->druglib, &rx, x->q->u.rx.override, &v);
	int e = lim < 0 ? 0 : pump_program(x->p, *x->now, &rx, &field,
	                                   srv_collect, x->srv);
	if (lim < 0) {
		fail(x, lim == DRUGLIB_HARD ? MSG_E_HARD_LIMIT : MSG_E_SOFT_LIMIT,
		     v.detail);
	} else if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
		fail(x, MSG_E_RANGE, field ? field : "prescription");
	} else if (e == PUMP_E_CEILING) {
		fail(x, MSG_E_STATE, "ceiling_24h below drug already given");
	} else if (e < 0) {
		fail(x, MSG_E_STATE, pump_strerror(e));
	} else {
		x->out->changed = 1;
	}
	textf(x, "program %s: %s%s%s%s%s%s%s", x->q->u.rx.drug,
	     x->r->err ? msg_err_name(x->r->err) : "done",
	     x->r->err ? " " : "", x->r->detail,
	     !x->r->err && !v.in_library ? "; drug not in library" : "",
	     !x->r->err && v.overridden ? "; override (" : "",
	     !x->r->err && v.overridden ? v.detail : "",
	     !x->r->err && v.overridden ? "): " : "");
	if (!x->r->err && v.overridden) {
		size_t n = strlen(x->out->text);
		snprintf(x->out->text + n, sizeof x->out->text - n, "%s",
		         x->q->u.rx.override);
		log_warn("program: %s passed under an override: %s", v.detail,
		         x->q->u.rx.override);
	}
	if (!x->r->err)
		stage_zone_dropped(x->out, zone, "program");
}

static void req_refill(struct req *x)
{
	uint32_t vol = x->q->u.refill.volume_nl;
	uint32_t conc = x->q->u.refill.concentration_ng_ml;
	int checked = x->q->u.refill.has_withdrawn;
	int64_t withdrawn = checked ? (int64_t)x->q->u.refill.withdrawn_nl : -1;
	const char *why = x->q->u.refill.override;
	pump_refill_result res;
	const char *field = NULL;
	memset(&res, 0, sizeof res);
	/* a new concentration: the library first, as PROGRAM (PROTOCOL.md
	 * 8.10); the same one was checked when it was programmed */
	pump_rx rx = x->p->rx;
	rx.concentration_ng_ml = conc;
	struct druglib_verdict lv;
	memset(&lv, 0, sizeof lv);
	int lim = conc == x->p->rx.concentration_ng_ml ||
	          pump_rx_validate(&rx, NULL) < 0 ? 0
	        : druglib_check_conc(x->srv->druglib, rx.drug, conc, why, &lv);
	int e = lim < 0 ? 0
	      : pump_refill_checked(x->p, *x->now, vol, conc, withdrawn, &res,
	                            &field, srv_collect, x->srv);
	if (lim < 0) {
		fail(x, lim == DRUGLIB_HARD ? MSG_E_HARD_LIMIT : MSG_E_SOFT_LIMIT,
		     lv.detail);
	} else if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
		fail(x, MSG_E_RANGE, field ? field : "volume_nl");
	} else if (e < 0) {
		fail(x, MSG_E_STATE, pump_strerror(e));
	} else {
		x->out->changed = 1;
		if (checked) {
			struct msg_refill_result *b = &x->r->u.refill;
			b->present = 1;
			b->withdrawn_nl = res.withdrawn_nl;
			b->expected_nl = res.expected_nl;
			b->tolerance_nl = res.tolerance_nl;
			b->flags = (uint8_t)((res.discrepancy ? MSG_RF_DISCREPANCY : 0) |
			                     (res.bridge_due ? MSG_RF_BRIDGE_DUE : 0));
			b->next_refill_ms = res.next_refill_ms > 0
			                        ? (uint64_t)res.next_refill_ms : 0;
		}
	}
	char v[UNITS_FMT_MAX], c[UNITS_FMT_MAX], w[UNITS_FMT_MAX],
	     ex[UNITS_FMT_MAX], t[UNITS_FMT_MAX];
	units_fmt_volume(vol, v);
	units_fmt_conc(conc, c);
	if (x->r->err) {
		textf(x, "refill %s at %s: %s %s", v, c, msg_err_name(x->r->err),
		      x->r->detail);
	} else if (checked) {
		/* within the log's 120 bytes a line */
		textf(x, "refill %s at %s: withdrawn %s, expected %s +- %s: %s%s", v, c,
		     units_fmt_volume(res.withdrawn_nl, w),
		     units_fmt_volume(res.expected_nl, ex),
		     units_fmt_volume(res.tolerance_nl, t),
		     res.discrepancy ? "DISCREPANCY" : "ok",
		     res.bridge_due ? "; bridge due" : "");
		if (res.discrepancy)
			log_warn("refill discrepancy: withdrawn %" PRIu32 " nL, expected %"
			         PRIu32 " nL (tolerance %" PRIu32 " nL)", res.withdrawn_nl,
			         res.expected_nl, res.tolerance_nl);
	} else {
		textf(x, "refill %s at %s: done%s", v, c,
		     res.bridge_due ? "; bridge due" : "");
	}
	if (!x->r->err && lv.overridden) {   /* its own row: the reason whole */
		druglib_override_row(x->out->note, sizeof x->out->note, &lv, why);
		log_warn("refill: %s passed under an override: %s", lv.detail, why);
	}
}

static void req_clear(struct req *x)
{
	int e = pump_clear(x->p, *x->now, x->q->u.alarm, srv_collect, x->srv);
	if (e == PUMP_E_INVAL)
		fail(x, MSG_E_RANGE, "alarm");
	else if (e == PUMP_E_CAUSE)
		fail(x, MSG_E_STATE, "its cause remains");
	else if (e == PUMP_E_NOT_ACTIVE)
		fail(x, MSG_E_STATE, "alarm not active");
	else if (e < 0)
		fail(x, MSG_E_STATE, pump_strerror(e));
	else
		x->out->changed = 1;
	TEXT(x, "clear %s: %s", msg_alarm_name(x->q->u.alarm),
	     x->r->err ? x->r->detail : "done");
}

/* A typed LOG entry's kind and role are the store's own numbers. */
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
SAME(MSG_LOG_NOTE, STORE_EV_NOTE);           SAME(MSG_LOG_REQUEST, STORE_EV_REQUEST);
SAME(MSG_LOG_REFUSED, STORE_EV_REFUSED);     SAME(MSG_LOG_ALARM, STORE_EV_ALARM);
SAME(MSG_LOG_BOLUS, STORE_EV_BOLUS);         SAME(MSG_LOG_SCHEDULE, STORE_EV_SCHEDULE);
SAME(MSG_LOG_PAIRING, STORE_EV_PAIRING);     SAME(MSG_LOG_PUMP, STORE_EV_PUMP);
SAME(MSG_LOG_SESSION, STORE_EV_SESSION);     SAME(MSG_LOG_HANDSHAKE, STORE_EV_HANDSHAKE);
SAME(MSG_LOG_LIMIT, STORE_EV_LIMIT);         SAME(MSG_LOG_DECRYPT, STORE_EV_DECRYPT);
SAME(MSG_LOG_KIND_COUNT, STORE_EV__COUNT);
SAME(MSG_LOG_ROLE_PATIENT, STORE_ROLE_PATIENT);
SAME(MSG_LOG_ROLE_CLINICIAN, STORE_ROLE_CLINICIAN);
SAME(MSG_LOG_ROLE_TESTER, STORE_ROLE_TESTER);
#undef SAME

/* The audit log; each entry's kind, role and wall clock go with it to a
 * session that accepted them (edition_fit_reply; PROTOCOL.md 8.15). */
static void req_log(struct req *x)
{
	unsigned max = x->q->u.log.max;
	if (max < 1 || max > MSG_LOG_MAX) {
		fail(x, MSG_E_RANGE, "max");
	} else {
		struct store_log_row rows[MSG_LOG_MAX];
		int e = store_audit_read(x->srv->st, x->q->u.log.after_seq, max, rows);
		if (e < 0)
			fail(x, MSG_E_STORAGE, "log unreadable");
		for (int i = 0; i < e; i++) {
			struct msg_log_entry *le = &x->r->u.log.e[i];
			le->seq = rows[i].seq;
			le->at_ms = (uint64_t)(rows[i].at_ms > 0 ? rows[i].at_ms : 0);
			snprintf(le->text, sizeof le->text, "%s: %s", rows[i].who,
			         rows[i].text);
			/* a row the store cannot type (an older store's) is a note */
			le->kind = (uint8_t)(rows[i].kind >= 0 && rows[i].kind < MSG_LOG_KIND_COUNT
			                     ? rows[i].kind : MSG_LOG_NOTE);
			le->role = (uint8_t)(rows[i].role > 0 && rows[i].role < MSG_LOG_ROLE_COUNT
			                     ? rows[i].role : MSG_LOG_ROLE_PUMP);
			le->wall_ms = (uint64_t)(rows[i].wall_ms > 0 ? rows[i].wall_ms : 0);
			le->typed = 1;   /* kept for a session that reads it */
			/* the codec wants printable text */
			for (char *c = le->text; *c; c++)
				if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
					*c = '?';
		}
		x->r->u.log.n = (uint8_t)(e > 0 ? e : 0);
	}
	TEXT(x, "read log after %" PRIu64, x->q->u.log.after_seq);
}

static void req_run(struct req *x)
{
	uint8_t run = x->q->u.run;
	if (run > 1) {
		fail(x, MSG_E_RANGE, "run");
	} else {
		int e = pump_set_running(x->p, *x->now, run != 0, srv_collect,
		                         x->srv);
		if (e < 0)
			fail(x, MSG_E_STATE, pump_strerror(e));
		else
			x->out->changed = 1;
	}
	TEXT(x, "%s: %s", run ? "start" : "stop",
	     x->r->err ? msg_err_name(x->r->err) : "done");
}

static void req_config(struct req *x)
{
	const struct msg_config *m = &x->q->u.config;
	pump_config c = { m->tubing_nl, m->catheter_mm, m->catheter_nl_per_mm };
	const char *field = NULL;
	int e = pump_configure(x->p, *x->now, &c, &field, srv_collect, x->srv);
	if (e < 0) {
		fail(x, MSG_E_RANGE, field ? field : "config");
	} else {
		x->out->changed = 1;
		pump_get_config(x->p, &c);
		x->r->u.config.c = (struct msg_config){ c.tubing_nl, c.catheter_mm,
		                                        c.catheter_nl_per_mm };
		x->r->u.config.catheter_nl = pump_catheter_nl(&c);
	}
	char t[UNITS_FMT_MAX];
	textf(x, "config tubing %s, catheter %" PRIu32 " mm at %" PRIu32
	     " nL/mm: %s%s%s", units_fmt_volume(m->tubing_nl, t), m->catheter_mm,
	     m->catheter_nl_per_mm, x->r->err ? msg_err_name(x->r->err) : "done",
	     x->r->err ? " " : "", x->r->detail);
}

/* The fields a kind does not use must be 0 (one encoding per request). */
static const char *cbolus_unused(const struct req *x)
{
	int k = x->q->u.cbolus.kind;
	if (k != MSG_CBOLUS_SINGLE && x->q->u.cbolus.dose_ng)
		return "dose_ng";
	if (k != MSG_CBOLUS_SINGLE && x->q->u.cbolus.duration_ms)
		return "duration_ms";
	if (k != MSG_CBOLUS_PRIME && x->q->u.cbolus.rate_nl_h)
		return "rate_nl_h";
	return NULL;
}

static void req_cbolus(struct req *x)
{
	int kind = x->q->u.cbolus.kind;
	pump_cbolus_req q = { .kind = kind, .dose_ng = x->q->u.cbolus.dose_ng,
	                      .duration_ms = x->q->u.cbolus.duration_ms,
	                      .rate_nl_h = x->q->u.cbolus.rate_nl_h };
	pump_cbolus_info o;
	memset(&o, 0, sizeof o);
	const char *why = cbolus_unused(x);
	int e = why ? PUMP_E_RANGE
	            : pump_cbolus(x->p, *x->now, &q, &o, &why, srv_collect, x->srv);
	if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
		fail(x, MSG_E_RANGE, why ? why : "kind");
	} else if (e < 0) {
		fail(x, MSG_E_STATE, why ? why : pump_strerror(e));
	} else {
		x->out->changed = 1;
		struct msg_cbolus_result *c = &x->r->u.cbolus;
		c->kind = (uint8_t)o.kind;
		c->volume_nl = o.volume_nl;
		c->dose_ng = o.dose_ng;
		c->duration_ms = o.duration_ms;
		c->ends_at_ms = (uint64_t)o.ends_at_ms;
	}
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], d[UNITS_FMT_MAX], t[UNITS_FMT_MAX];
	if (x->r->err)
		TEXT(x, "clinician bolus %s: %s %s", msg_cbolus_kind_name(kind),
		     msg_err_name(x->r->err), x->r->detail);
	else
		textf(x, "clinician bolus %s: %s (%s) over %s, ends at %s",
		     msg_cbolus_kind_name(kind), units_fmt_dose(o.dose_ng, a),
		     units_fmt_volume(o.volume_nl, b), units_fmt_span(o.duration_ms, d),
		     units_fmt_time((uint64_t)o.ends_at_ms, t));
}

static void req_fault(struct req *x)
{
	int kind = x->q->u.fault.kind;
	uint64_t arg = x->q->u.fault.arg;
	if (kind < PUMP_FAULT_MOTOR_STALL || kind >= PUMP_FAULT__COUNT) {
		fail(x, MSG_E_RANGE, "fault");
	} else if (kind == PUMP_FAULT_RESERVOIR && arg > x->p->rx.capacity_nl) {
		fail(x, MSG_E_RANGE, "arg: above capacity");
	} else {
		int e = pump_fault(x->p, *x->now, kind,
		                   (uint32_t)(arg > UINT32_MAX ? 0 : arg),
		                   srv_collect, x->srv);
		if (e == PUMP_E_RANGE || e == PUMP_E_INVAL)
			fail(x, MSG_E_RANGE, "arg");
		else if (e < 0)
			fail(x, MSG_E_STATE, pump_strerror(e));
		else
			x->out->changed = 1;
	}
	char v[UNITS_FMT_MAX + 40] = "";
	if (kind == PUMP_FAULT_RESERVOIR) {
		v[0] = ' ';
		units_fmt_volume(arg, v + 1);
	} else if (kind == PUMP_FAULT_OCCLUSION) {
		snprintf(v, sizeof v, " %" PRIu64 "%% reaches the patient", arg);
	} else if (kind == PUMP_FAULT_STALL_FOR) {
		char d[UNITS_FMT_MAX];
		snprintf(v, sizeof v, " %s", units_fmt_duration(arg, d));
	}
	TEXT(x, "fault %s%s: %s", msg_fault_name(x->q->u.fault.kind), v,
	     x->r->err ? msg_err_name(x->r->err) : "injected");
	if (kind == PUMP_FAULT_OCCLUSION && !x->r->err) {
		/* the totals when it began or ended: a clinician's report
		 * counts delivered and reached from here (net/report.c) */
		char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], t[MSG_TEXT_MAX + 1];
		snprintf(t, sizeof t, "%s", x->out->text);
		textf(x, "%s; drawn %s, reached %s", t,
		      units_fmt_dose(x->p->basal_ng + x->p->bolus_ng, a),
		      units_fmt_dose(x->p->reached_ng, b));
	}
}

static void req_clock(struct req *x)
{
	uint8_t op = x->q->u.clock.op;
	uint64_t arg = x->q->u.clock.arg;
	int64_t mono = pclock_mono_ms();
	if (op == MSG_CLOCK_ADVANCE) {
		if (arg > (uint64_t)CLOCK_ADVANCE_MAX)
			fail(x, MSG_E_RANGE, "arg: at most 10 years");
		else
			pclock_advance(x->clk, arg, mono);
	} else if (op == MSG_CLOCK_SPEED) {
		if (arg > PCLOCK_SPEED_MAX) {
			x->r->err = MSG_E_RANGE;
			DETAIL(x, "arg: at most %u", PCLOCK_SPEED_MAX);
		} else {
			pclock_set_speed(x->clk, (uint32_t)arg, mono);
		}
	} else {
		fail(x, MSG_E_RANGE, "op");
	}
	if (!x->r->err) {
		*x->now = pclock_at(x->clk, mono);
		/* what the move finds joins the events so far */
		pump_advance(x->p, *x->now, srv_collect, x->srv);
		x->out->changed = 1;
		notify_note(x->out->ns, MSG_EV_CLOCK, 0);
	}
	char v[UNITS_FMT_MAX];
	if (op == MSG_CLOCK_ADVANCE)
		units_fmt_duration(arg, v);
	else
		snprintf(v, sizeof v, "x%" PRIu64, arg);
	TEXT(x, "clock %s %s: %s", op == MSG_CLOCK_ADVANCE ? "advance" : "speed", v,
	     x->r->err ? msg_err_name(x->r->err) : "done");
}

static void req_link(struct req *x)
{
	const char *detail = NULL;
	int e = linkfault_set(x->srv, x->q, &detail, x->out->text,
	                      sizeof x->out->text);
	if (e)
		fail(x, e, detail);
}

void request_run(struct server *srv, const struct remote *rm,
                 const struct msg_request *q, pump *p, struct pclock *clk,
                 int64_t *now, struct request_out *out)
{
	struct req x = { srv, rm, q, p, clk, now, out, out->r };
	out->changed = 0;
	out->has_hist = 0;
	switch (q->type) {
	case MSG_STATUS:  req_status(&x); break;
	case MSG_HELLO:   req_hello(&x); break;
	case MSG_BOLUS:   req_bolus(&x); break;
	case MSG_SILENCE: req_silence(&x); break;
	case MSG_HISTORY: req_history(&x); break;
	case MSG_PROGRAM: req_program(&x); break;
	case MSG_REFILL:  req_refill(&x); break;
	case MSG_CLEAR:   req_clear(&x); break;
	case MSG_LOG:     req_log(&x); break;
	case MSG_RUN:     req_run(&x); break;
	case MSG_CONFIG:  req_config(&x); break;
	case MSG_CBOLUS:  req_cbolus(&x); break;
	case MSG_FAULT:   req_fault(&x); break;
	case MSG_CLOCK:   req_clock(&x); break;
	case MSG_STAGE: case MSG_STAGE_CONFIRM: case MSG_STAGE_CANCEL:
	case MSG_ALARMTEST:
		stage_run(srv, rm, q, p, *now, out);
		break;
	case MSG_LINK:    req_link(&x); break;
	default:
		out->r->err = MSG_E_TYPE;
		TEXT(&x, "unknown request");
		break;
	}
}
