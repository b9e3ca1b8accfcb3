/*
 * net/scnrec.c — a remote's session written as a scenario (see
 * scnrec.h).
 */
#include "net/scnrec.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "util/units.h"

struct scnrec {
	FILE *out;
	int begun;
	struct msg_state last;       /* the state seen last */
	int in_clock;                /* the notes since a clock move, before any
	                                other step: what time brought */
	uint64_t refill_at;          /* a refill happened at this moment */
	int last_fault;              /* the last fault step written, at last_at */
	uint64_t last_fault_arg, last_at;
	const char *by;              /* who records, for the header */
	int echo_event;              /* the recording remote's own change: the
	                                notifications it causes (this event, */
	unsigned echo_n;             /* this many) are its echo, not steps */
};

/* "12 mL" -> "12mL": a value as one word */
static char *word(char *v)
{
	size_t w = 0;
	for (size_t i = 0; v[i]; i++)
		if (v[i] != ' ')
			v[w++] = v[i];
	v[w] = '\0';
	return v;
}

static void alarms_list(const struct msg_state *st, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	for (unsigned i = 0; i < st->n_alarms && i < MSG_ALARMS_MAX; i++) {
		int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "",
		                 msg_alarm_name(st->alarms[i].id));
		if (w < 0 || (size_t)w >= n - used)
			break;
		used += (size_t)w;
	}
	if (!used)
		snprintf(buf, n, "none");
}

/* What a step left: the state's main fields, exactly. */
static void expect_state(struct scnrec *r, const struct msg_state *st)
{
	char v[UNITS_FMT_MAX], al[128];
	alarms_list(st, al, sizeof al);
	fprintf(r->out, "expect state reservoir=%s boluses_24h=%u bolus_running=%s alarms=%s\n",
	        word(units_fmt_volume(st->reservoir_nl, v)), (unsigned)st->boluses_24h,
	        st->flags & MSG_F_BOLUS_RUNNING ? "yes" : "no", al);
}

static void rx_lines(FILE *f, const struct msg_state *st)
{
	char v[UNITS_FMT_MAX];
	fprintf(f, "drug = %s\n", st->drug[0] ? st->drug : "unknown");
	fprintf(f, "concentration = %s\n", units_fmt_conc(st->concentration_ng_ml, v));
	fprintf(f, "capacity = %s\n", units_fmt_volume(st->capacity_nl, v));
	if (st->mode == MSG_MODE_STOPPED) {
		fprintf(f, "mode = stopped\n");
	} else {
		if (st->mode == MSG_MODE_FLEXIBLE)
			fprintf(f, "# a flexible schedule: the state shows the rate in force only\n");
		fprintf(f, "mode = continuous\nrate = %s\n", units_fmt_rate(st->basal_ng_day, v));
	}
	fprintf(f, "bolus_enabled = %s\n", st->flags & MSG_F_BOLUS_ENABLED ? "on" : "off");
	if (st->flags & MSG_F_BOLUS_ENABLED) {
		fprintf(f, "bolus_dose = %s\n", units_fmt_dose(st->bolus_dose_ng, v));
		fprintf(f, "bolus_duration = %s\n", units_fmt_duration(st->bolus_duration_ms, v));
		fprintf(f, "lockout = %s\n", units_fmt_duration(st->lockout_ms, v));
		fprintf(f, "max_per_24h = %u\n", (unsigned)st->max_per_24h);
	}
	fprintf(f, "low_threshold = %s\n", units_fmt_volume(st->low_threshold_nl, v));
}

struct scnrec *scnrec_new(FILE *out)
{
	struct scnrec *r = calloc(1, sizeof *r);
	if (r) {
		r->out = out;
		r->by = "ptmctl watch --record";
	}
	return r;
}

void scnrec_set_by(struct scnrec *r, const char *by)
{
	r->by = by;
}

void scnrec_free(struct scnrec *r)
{
	free(r);
}

int scnrec_begun(const struct scnrec *r)
{
	return r->begun;
}

void scnrec_begin(struct scnrec *r, const struct msg_state *st)
{
	char t[UNITS_FMT_MAX], v[UNITS_FMT_MAX];
	if (r->begun)
		return;
	r->begun = 1;
	r->last = *st;
	fprintf(r->out,
	        "# Recorded by %s from the pump's state at %s and\n"
	        "# what it did and saw; `ptmctl run FILE` replays it.  The prescription is\n"
	        "# what the state shows (no 24 h ceiling, the rate in force); boluses\n"
	        "# from before the recording are not in the replay's pump.\n",
	        r->by, units_fmt_time(st->now_ms, t));
	fprintf(r->out, "rx <<END\n");
	rx_lines(r->out, st);
	fprintf(r->out, "END\npump sim start=%s volume=%s\n\nas patient status\n",
	        t, word(units_fmt_volume(st->reservoir_nl, v)));
	expect_state(r, st);
	fflush(r->out);
}

/* Time that passed without a clock step (a pump on a running clock). */
static void catch_up(struct scnrec *r, uint64_t now)
{
	char d[UNITS_FMT_MAX];
	if (now > r->last.now_ms) {
		fprintf(r->out, "clock advance %s\n", units_fmt_duration(now - r->last.now_ms, d));
		r->in_clock = 1;
	}
}

/* A fault step, once for the notifications one fault pushes. */
static int fault(struct scnrec *r, int kind, uint64_t arg, uint64_t now)
{
	char v[UNITS_FMT_MAX];
	if (r->last_fault == kind && r->last_fault_arg == arg && r->last_at == now)
		return 0;
	r->last_fault = kind;
	r->last_fault_arg = arg;
	r->last_at = now;
	if (kind == MSG_FAULT_RESERVOIR)
		fprintf(r->out, "fault reservoir %s\n", word(units_fmt_volume(arg, v)));
	else
		fprintf(r->out, "fault %s\n", msg_fault_name(kind));
	return 1;
}

void scnrec_note(struct scnrec *r, const struct msg_notify *n)
{
	const struct msg_state *st = &n->state;
	uint64_t now = st->now_ms;
	int consequence, step = 0;
	char v[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	const char *an = msg_alarm_name(n->alarm);

	if (!r->begun)
		return;
	if (r->echo_n && n->event == r->echo_event) {
		/* what our own request did, pushed to every remote */
		r->echo_n--;
		if (n->alarm)
			fprintf(r->out, "expect notify %s %s\n", msg_event_name(n->event), an);
		else
			fprintf(r->out, "expect notify %s\n", msg_event_name(n->event));
		r->last = *st;
		fflush(r->out);
		return;
	}
	if (n->event == MSG_EV_CLOCK) {
		catch_up(r, now);
		fprintf(r->out, "expect notify clock\n");
		r->last = *st;
		fflush(r->out);
		return;
	}
	catch_up(r, now);
	/* what time alone brings: the end of a bolus, a silence running out,
	 * the reservoir's and the battery's alarms (a reservoir that changed
	 * with the clock standing was a fault) */
	consequence = r->in_clock &&
		(n->event == MSG_EV_BOLUS_ENDED || n->event == MSG_EV_ALARM_RESOUND ||
		 n->event == MSG_EV_STATE ||
		 ((n->event == MSG_EV_ALARM_RAISED || n->event == MSG_EV_ALARM_CLEARED) &&
		  (n->alarm == MSG_ALARM_LOW_RESERVOIR || n->alarm == MSG_ALARM_EMPTY ||
		   n->alarm == MSG_ALARM_ERI || n->alarm == MSG_ALARM_EOS) &&
		  st->reservoir_nl == r->last.reservoir_nl));
	switch (n->event) {
	case MSG_EV_BOLUS_STARTED:
		fprintf(r->out, "as patient bolus\nexpect outcome granted dose=%s\n",
		        word(units_fmt_dose(st->bolus_dose_ng, v)));
		step = 1;
		break;
	case MSG_EV_ALARM_RAISED:
		if (consequence)
			break;
		if (n->alarm == MSG_ALARM_MOTOR_STALL)
			step = fault(r, MSG_FAULT_MOTOR_STALL, 0, now);
		else if (n->alarm == MSG_ALARM_MEMORY)
			step = fault(r, MSG_FAULT_MEMORY, 0, now);
		else if (n->alarm == MSG_ALARM_MEMORY_CRITICAL)
			step = fault(r, MSG_FAULT_MEMORY_CRITICAL, 0, now);
		else if (n->alarm == MSG_ALARM_ERI)
			step = fault(r, MSG_FAULT_BATTERY_ERI, 0, now);
		else if (n->alarm == MSG_ALARM_EOS)
			step = fault(r, MSG_FAULT_BATTERY_EOS, 0, now);
		else if (st->reservoir_nl != r->last.reservoir_nl)
			step = fault(r, MSG_FAULT_RESERVOIR, st->reservoir_nl, now);
		break;
	case MSG_EV_ALARM_SILENCED:
		fprintf(r->out, "as patient silence %s\n", n->alarm ? an : "all");
		step = 1;
		break;
	case MSG_EV_ALARM_CLEARED:
		if (consequence || r->refill_at == now)
			break;
		if (n->alarm == MSG_ALARM_ERI || n->alarm == MSG_ALARM_EOS)
			step = fault(r, MSG_FAULT_BATTERY_NEW, 0, now);
		else if (st->reservoir_nl != r->last.reservoir_nl)
			step = fault(r, MSG_FAULT_RESERVOIR, st->reservoir_nl, now);
		else {
			fprintf(r->out, "as clinician clear %s\n", an);
			step = 1;
		}
		break;
	case MSG_EV_PROGRAMMED:
		fprintf(r->out, "as clinician program <<END\n");
		rx_lines(r->out, st);
		fprintf(r->out, "END\n");
		step = 1;
		break;
	case MSG_EV_REFILLED:
		fprintf(r->out, "as clinician refill %s %s\n",
		        word(units_fmt_volume(st->reservoir_nl, v)),
		        word(units_fmt_conc(st->concentration_ng_ml, c)));
		r->refill_at = now;
		step = 1;
		break;
	case MSG_EV_STARTED:
	case MSG_EV_STOPPED:
		fprintf(r->out, "as clinician run %s\n",
		        n->event == MSG_EV_STARTED ? "start" : "stop");
		step = 1;
		break;
	case MSG_EV_STATE:
		if (!consequence && st->reservoir_nl != r->last.reservoir_nl)
			step = fault(r, MSG_FAULT_RESERVOIR, st->reservoir_nl, now);
		break;
	default:
		break;
	}
	if (step) {
		expect_state(r, st);
		r->in_clock = 0;
	} else if (n->event == MSG_EV_STATE) {
		/* "something else changed": nothing a replay must see again */
	} else if (n->alarm)
		fprintf(r->out, "expect notify %s %s\n", msg_event_name(n->event), an);
	else
		fprintf(r->out, "expect notify %s\n", msg_event_name(n->event));
	r->last = *st;
	fflush(r->out);
}

void scnrec_request(struct scnrec *r, int role, const struct msg_request *q,
                    const struct msg_reply *rep)
{
	char v[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	static const char *const roles[] = { "patient", "clinician", "tester" };
	const char *who = role >= 0 && role <= 2 ? roles[role] : "patient";

	if (!r->begun)
		return;
	catch_up(r, rep->state.now_ms);
	switch (q->type) {
	case MSG_STATUS:
		fprintf(r->out, "as %s status\n", who);
		break;
	case MSG_BOLUS:
		fprintf(r->out, "as %s bolus\n", who);
		break;
	case MSG_SILENCE:
		fprintf(r->out, "as %s silence %s\n", who, q->u.alarm ? msg_alarm_name(q->u.alarm) : "all");
		break;
	case MSG_HISTORY:
		fprintf(r->out, "as %s history %u\n", who, (unsigned)q->u.max);
		break;
	case MSG_REFILL:
		fprintf(r->out, "as %s refill %s %s\n", who,
		        word(units_fmt_volume(q->u.refill.volume_nl, v)),
		        word(units_fmt_conc(q->u.refill.concentration_ng_ml, c)));
		break;
	case MSG_CLEAR:
		fprintf(r->out, "as %s clear %s\n", who, msg_alarm_name(q->u.alarm));
		break;
	case MSG_RUN:
		fprintf(r->out, "as %s run %s\n", who, q->u.run ? "start" : "stop");
		break;
	case MSG_FAULT:
		if (q->u.fault.kind == MSG_FAULT_RESERVOIR)
			fprintf(r->out, "as %s fault reservoir %s\n", who,
			        word(units_fmt_volume(q->u.fault.arg, v)));
		else
			fprintf(r->out, "as %s fault %s\n", who, msg_fault_name(q->u.fault.kind));
		break;
	case MSG_CLOCK:
		if (q->u.clock.op == MSG_CLOCK_SPEED)
			fprintf(r->out, "as %s clock speed %" PRIu64 "\n", who, q->u.clock.arg);
		break;  /* an advance: catch_up wrote it */
	default:
		fprintf(r->out, "as %s status  # %s: not recorded\n", who, msg_type_name(q->type));
		break;
	}
	/* the notifications this change pushes come next: our own echo */
	r->echo_n = 0;
	if (rep->err == MSG_OK && q->type == MSG_BOLUS &&
	    rep->u.bolus.outcome == MSG_OUT_GRANTED) {
		r->echo_event = MSG_EV_BOLUS_STARTED;
		r->echo_n = 1;
	} else if (rep->err == MSG_OK && q->type == MSG_SILENCE) {
		r->echo_event = MSG_EV_ALARM_SILENCED;
		r->echo_n = rep->u.silenced;
	}
	if (rep->err != MSG_OK)
		fprintf(r->out, "expect error %s\n", msg_err_name(rep->err));
	else if (q->type == MSG_BOLUS)
		fprintf(r->out, "expect outcome %s\n", msg_outcome_name(rep->u.bolus.outcome));
	else
		expect_state(r, &rep->state);
	r->last = rep->state;
	r->in_clock = 0;
	fflush(r->out);
}
