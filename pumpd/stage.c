/* pumpd/stage.c — staged programming and the alarm test on the pump (see
 * stage.h). */
#include "pumpd/stage.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/druglib.h"
#include "pumpd/edition.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"
#include "pumpd/wire.h"
#include "util/units.h"

int stage_handles(int type)
{
	return type == MSG_STAGE || type == MSG_STAGE_CONFIRM ||
	       type == MSG_STAGE_CANCEL || type == MSG_ALARMTEST;
}

/* The audit line is cut at its length, never refused. */
static void cut_copy(char *dst, size_t cap, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap)
		n = cap - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

static void fail(struct request_out *out, int err, const char *detail)
{
	out->r->err = (uint16_t)err;
	snprintf(out->r->detail, sizeof out->r->detail, "%s", detail);
}

/* pump_program's errors as PROGRAM answers them (request.c) */
static void program_error(struct request_out *out, int e, const char *field)
{
	if (e == PUMP_E_RANGE || e == PUMP_E_INVAL)
		fail(out, MSG_E_RANGE, field ? field : "prescription");
	else if (e == PUMP_E_CEILING)
		fail(out, MSG_E_STATE, "ceiling_24h below drug already given");
	else
		fail(out, MSG_E_STATE, pump_strerror(e));
}

static void req_stage(struct server *srv, const struct msg_request *q,
                      pump *p, int64_t now, struct request_out *out)
{
	const struct msg_rx *m = &q->u.rx;
	pump_rx rx;
	wire_rx_to_pump(m, p->rx.battery_life_days, &rx);
	struct druglib_verdict v;   /* field checks first: their field named */
	memset(&v, 0, sizeof v);
	v.in_library = druglib_find(srv->druglib, rx.drug) != NULL;
	int e = pump_rx_validate(&rx, NULL) < 0 ? 0
	      : druglib_check(srv->druglib, &rx, m->override, &v);
	if (e < 0) {
		fail(out, e == DRUGLIB_HARD ? MSG_E_HARD_LIMIT : MSG_E_SOFT_LIMIT,
		     v.detail);
		snprintf(out->text, sizeof out->text, "stage %s: %s %s", m->drug,
		         msg_err_name(out->r->err), out->r->detail);
		return;
	}
	pump_stage_info o;
	const char *field = NULL;
	uint32_t before = p->stage_id;
	e = pump_stage(p, now, &rx, &field, &o);
	if (e < 0) {
		program_error(out, e, field);
		snprintf(out->text, sizeof out->text, "stage %s: %s %s", m->drug,
		         msg_err_name(out->r->err), out->r->detail);
		return;
	}
	out->changed = 1;
	struct msg_stage_result *g = &out->r->u.stage;
	g->stage_id = o.id;
	g->flags = (uint8_t)((v.overridden ? MSG_ST_OVERRIDE : 0) |
	                     (o.stops ? MSG_ST_STOPS : 0) |
	                     (o.replaced ? MSG_ST_REPLACED : 0) |
	                     (v.in_library ? 0 : MSG_ST_NO_LIB));
	for (int i = 0; i < 2; i++) {
		g->daily_ng[i] = o.daily_ng[i];
		g->bolus_dose_ng[i] = o.bolus_dose_ng[i];
		g->lockout_ms[i] = o.lockout_ms[i];
		g->max_per_24h[i] = (uint16_t)(o.max_per_24h[i] > 0xffff ? 0xffff
		                                                         : o.max_per_24h[i]);
		g->ceiling_ng_24h[i] = o.ceiling_ng_24h[i];
		g->next_refill_ms[i] = o.next_refill_ms[i] > 0
		                           ? (uint64_t)o.next_refill_ms[i] : 0;
	}
	notify_note(out->ns, MSG_EV_STAGED, 0);
	char d0[UNITS_FMT_MAX], d1[UNITS_FMT_MAX], t[384];
	snprintf(t, sizeof t, "staged %" PRIu32 "%s: %s daily %s -> %s%s%s%s%s%s%s",
	         o.id, before ? " (replaces the pending one)" : "", m->drug,
	         units_fmt_dose(o.daily_ng[0], d0), units_fmt_dose(o.daily_ng[1], d1),
	         v.in_library ? "" : "; drug not in library",
	         o.stops ? "; STOPS the pump" : "",
	         v.overridden ? "; override (" : "", v.overridden ? v.detail : "",
	         v.overridden ? "): " : "", v.overridden ? m->override : "");
	cut_copy(out->text, sizeof out->text, t);
	if (v.overridden)
		log_warn("stage %" PRIu32 ": %s passed under an override: %s", o.id,
		         v.detail, m->override);
}

static void req_confirm(struct server *srv, const struct msg_request *q,
                        pump *p, int64_t now, struct request_out *out)
{
	uint32_t id = q->u.stage_id;
	const char *field = NULL;
	int e = pump_stage_confirm(p, now, id, &field, srv_collect, srv);
	if (e == PUMP_E_STATE && (id == 0 || id != p->stage_id))
		fail(out, MSG_E_STATE, p->stage_id ? "stage_id: not the pending session"
		                                   : "no pending session");
	else if (e < 0)
		program_error(out, e, field);
	else {
		out->changed = 1;
		notify_note(out->ns, MSG_EV_STAGE_ENDED, 0);
	}
	snprintf(out->text, sizeof out->text, "confirm stage %" PRIu32 ": %s%s%s",
	         id, out->r->err ? msg_err_name(out->r->err) : "in force",
	         out->r->err ? " " : "", out->r->detail);
}

static void req_cancel(const struct msg_request *q, pump *p,
                       struct request_out *out)
{
	uint32_t id = q->u.stage_id;
	uint32_t pending = p->stage_id;
	if (pump_stage_cancel(p, id) < 0) {
		fail(out, MSG_E_STATE, pending ? "stage_id: not the pending session"
		                               : "no pending session");
	} else {
		out->changed = 1;
		notify_note(out->ns, MSG_EV_STAGE_ENDED, 0);
	}
	snprintf(out->text, sizeof out->text, "cancel stage %" PRIu32 ": %s%s%s",
	         id, out->r->err ? msg_err_name(out->r->err) : "done",
	         out->r->err ? " " : "", out->r->detail);
}

/* The tones are the remotes' to play: the pump only tells them which. */
static void req_alarmtest(struct server *srv, const struct msg_request *q,
                          struct request_out *out)
{
	int alarm = q->u.alarm;
	unsigned n = 0;
	for (struct session *s = srv->sessions; s; s = s->next)
		n += s->remote && edition_ed3(s);
	notify_note(out->ns, MSG_EV_ALARM_TEST, alarm);
	snprintf(out->text, sizeof out->text, "alarm test: %s (%u remote%s)",
	         msg_alarm_name(alarm), n, n == 1 ? "" : "s");
}

void stage_run(struct server *srv, const struct remote *rm,
               const struct msg_request *q, pump *p, int64_t now,
               struct request_out *out)
{
	(void)rm;
	switch (q->type) {
	case MSG_STAGE:         req_stage(srv, q, p, now, out); break;
	case MSG_STAGE_CONFIRM: req_confirm(srv, q, p, now, out); break;
	case MSG_STAGE_CANCEL:  req_cancel(q, p, out); break;
	case MSG_ALARMTEST:     req_alarmtest(srv, q, out); break;
	default:
		out->r->err = MSG_E_TYPE;
		break;
	}
}
