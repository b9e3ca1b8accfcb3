/*
 * net/report.c — the interrogation report's model: audit-log lines read
 * back as typed events, aggregated with STATUS into a visit's figures.
 * Pure data (no I/O); report.h says what each figure means.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/report.h"
#include "util/units.h"

static const char *const kind_names[REPORT_EV__COUNT] = {
	"other", "bolus", "bolus_end", "cbolus", "refill", "program", "run",
	"alarm", "clear", "silence", "config", "pairing", "session", "security",
	"pump", "test", "refused",
};

const char *report_kind_name(int kind)
{
	return kind >= 0 && kind < REPORT_EV__COUNT ? kind_names[kind] : "?";
}

int report_kind_parse(const char *s)
{
	for (int k = 0; k < REPORT_EV__COUNT; k++)
		if (strcmp(s, kind_names[k]) == 0)
			return k;
	return -1;
}

const char *report_role_name(int role)
{
	static const char *const n[] = { "remote", "pump", "patient", "clinician",
	                                  "tester" };
	return role >= 0 && role <= REPORT_ROLE_TESTER ? n[role] : "remote";
}

const char *report_count_name(int c)
{
	static const char *const n[REPORT_C__COUNT] = {
		"granted", "lockout", "daily_count", "ceiling", "other" };
	return c >= 0 && c < REPORT_C__COUNT ? n[c] : "?";
}

int report_count_of(int outcome)
{
	switch (outcome) {
	case MSG_OUT_GRANTED:     return REPORT_C_GRANTED;
	case MSG_OUT_LOCKOUT:     return REPORT_C_LOCKOUT;
	case MSG_OUT_DAILY_COUNT: return REPORT_C_DAILY;
	case MSG_OUT_CEILING:     return REPORT_C_CEILING;
	default:                  return REPORT_C_OTHER;
	}
}

const char *report_since_name(int s)
{
	static const char *const n[] = { "log start", "refill", "program", "given" };
	return s >= 0 && s <= REPORT_SINCE_GIVEN ? n[s] : "?";
}

/* ---- reading one line ------------------------------------------------------ */

static int starts(const char *s, const char *p)
{
	return strncmp(s, p, strlen(p)) == 0;
}

/* A number with its unit at s ("50 mcg", "19.679028 mL"), ended by one of
 * stop or the string's end, parsed as kind: 0 and *out, or -1. */
static int quantity(const char *s, const char *stop, int kind, uint64_t *out)
{
	char buf[48];
	size_t n = strcspn(s, " ");
	/* the number, then its unit after one space ("50 mcg", "2 mg/mL") */
	if (s[n] == ' ' && ((s[n + 1] >= 'a' && s[n + 1] <= 'z') ||
	                    (s[n + 1] >= 'A' && s[n + 1] <= 'Z')))
		n += 1 + strcspn(s + n + 1, stop);
	else
		n = strcspn(s, stop);
	if (n == 0 || n >= sizeof buf)
		return -1;
	memcpy(buf, s, n);
	buf[n] = '\0';
	return units_parse(kind, buf, out) == 0 ? 0 : -1;
}

/* "... ends at TIME" anywhere in s: the time, or 0 */
static uint64_t ends_at(const char *s)
{
	const char *p = strstr(s, "ends at ");
	uint64_t ms;
	char buf[40];
	if (!p)
		return 0;
	p += 8;
	size_t n = strcspn(p, " ,;");
	if (n >= sizeof buf)
		return 0;
	memcpy(buf, p, n);
	buf[n] = '\0';
	return units_parse_time(buf, &ms) == 0 ? ms : 0;
}

static int outcome_named(const char *s)
{
	size_t n = strcspn(s, ",");
	for (int o = 0; o < MSG_OUT_COUNT; o++) {
		const char *nm = msg_outcome_name(o);
		if (strlen(nm) == n && strncmp(nm, s, n) == 0)
			return o;
	}
	return -1;
}

static void parse_refill(const char *d, struct report_event *ev)
{
	/* "refill 20 mL at 2 mg/mL: done" or "...: withdrawn W, expected E +-
	 * T: ok|DISCREPANCY"; an error reply's row is "... : range volume_nl" */
	const char *p = d + 7, *at = strstr(d, " at "), *colon;
	if (!at || quantity(p, " ", UNITS_NL, &ev->volume_nl) < 0)
		return;
	colon = strstr(at, ": ");
	if (!colon || quantity(at + 4, ":", UNITS_NG_ML, &ev->conc_ng_ml) < 0)
		return;
	colon += 2;
	if (starts(colon, "withdrawn ")) {
		const char *e = strstr(colon, ", expected ");
		if (quantity(colon + 10, ",", UNITS_NL, &ev->withdrawn_nl) < 0 || !e ||
		    quantity(e + 11, " ", UNITS_NL, &ev->expected_nl) < 0)
			return;
		ev->value = strstr(e, "DISCREPANCY") != NULL;
	} else if (!starts(colon, "done")) {
		return;                  /* refused: not a refill */
	}
	ev->kind = REPORT_EV_REFILL;
}

/* "fault occlusion P% reaches the patient: injected; drawn X, reached Y"
 * (pumpd/request.c): P and the totals; a row without them (an older pumpd,
 * a refusal, a line cut at its length) is a plain TEST row */
static void parse_occlusion(const char *d, struct report_event *ev)
{
	char *end;
	unsigned long pct = strtoul(d + 16, &end, 10);
	const char *dr = strstr(d, ": injected; drawn "), *re;
	if (end == d + 16 || *end != '%' || pct > 100 || !dr)
		return;
	dr += 18;
	re = strstr(dr, ", reached ");
	if (!re || quantity(dr, ",", UNITS_NG, &ev->drawn_ng) < 0 ||
	    quantity(re + 10, ";", UNITS_NG, &ev->reached_ng) < 0 ||
	    ev->reached_ng > ev->drawn_ng)
		return;
	ev->occl_pct = (int)pct;
}

static void parse_data(struct report_event *ev)
{
	const char *d = ev->data;
	int a;

	if (starts(d, "bolus granted: ")) {
		if (quantity(d + 15, " ", UNITS_NG, &ev->dose_ng) == 0) {
			ev->kind = REPORT_EV_BOLUS;
			ev->outcome = MSG_OUT_GRANTED;
			ev->ends_ms = ends_at(d);
		}
	} else if (starts(d, "bolus refused: ")) {
		if ((ev->outcome = outcome_named(d + 15)) >= 0)
			ev->kind = REPORT_EV_BOLUS;
	} else if (starts(d, "bolus ended: ") || starts(d, "bolus cut short: ")) {
		if (quantity(strstr(d, ": ") + 2, " ", UNITS_NG, &ev->dose_ng) == 0)
			ev->kind = REPORT_EV_BOLUS_END;
	} else if (starts(d, "clinician bolus ")) {
		const char *c = strstr(d, ": ");
		const char *end = strstr(d, " ended: ") ? strstr(d, " ended: ")
		                : strstr(d, " cut short: ");
		if (c && end) {
			if (quantity(strstr(end, ": ") + 2, " ", UNITS_NG, &ev->dose_ng) == 0)
				ev->kind = REPORT_EV_BOLUS_END;
		} else if (c && quantity(c + 2, " ", UNITS_NG, &ev->dose_ng) == 0) {
			ev->kind = REPORT_EV_CBOLUS;
			ev->ends_ms = ends_at(d);
		}
	} else if (starts(d, "refill ")) {
		parse_refill(d, ev);
	} else if (starts(d, "program ") || starts(d, "confirm stage ")) {
		/* "program DRUG: done[; drug not in library][; override (...)]",
		 * "confirm stage N: in force[; ...]" (a staged program put in
		 * force; "done" before pumpd said "in force") */
		const char *c = strstr(d, ": done"), *f = strstr(d, ": in force");
		if (c && (c[6] == '\0' || c[6] == ';' || c[6] == ' '))
			ev->kind = REPORT_EV_PROGRAM;
		else if (f && starts(d, "confirm stage ") && (f[10] == '\0' || f[10] == ';'))
			ev->kind = REPORT_EV_PROGRAM;
	} else if (strcmp(d, "stop: done") == 0 || strcmp(d, "start: done") == 0) {
		ev->kind = REPORT_EV_RUN;
		ev->value = d[2] == 'a';
	} else if (starts(d, "alarm raised: ") || starts(d, "alarm sounds again: ") ||
	           starts(d, "alarm cleared: ")) {
		const char *c = strstr(d, ": ") + 2;
		char nm[24];
		size_t n = strcspn(c, " ,;(");
		if (n < sizeof nm) {
			memcpy(nm, c, n);
			nm[n] = '\0';
			if ((a = msg_alarm_parse(nm)) > 0) {
				ev->kind = REPORT_EV_ALARM;
				ev->alarm = a;
				ev->value = d[6] == 'r' ? 1 : d[6] == 's' ? 2 : 3;
			}
		}
	} else if (starts(d, "clear ")) {
		char nm[24];
		size_t n = strcspn(d + 6, ":");
		if (n < sizeof nm) {
			memcpy(nm, d + 6, n);
			nm[n] = '\0';
			if ((a = msg_alarm_parse(nm)) > 0) {
				ev->kind = REPORT_EV_CLEAR;
				ev->alarm = a;
			}
		}
	} else if (starts(d, "silence ")) {
		ev->kind = REPORT_EV_SILENCE;
	} else if (starts(d, "config ")) {
		ev->kind = REPORT_EV_CONFIG;
	} else if (starts(d, "paired ") || starts(d, "unpaired ")) {
		ev->kind = REPORT_EV_PAIRING;
	} else if (starts(d, "session ")) {
		ev->kind = REPORT_EV_SESSION;
	} else if (starts(d, "handshake") || starts(d, "message ") ||
	           starts(d, "connection") || strstr(d, " more in ")) {
		ev->kind = REPORT_EV_SECURITY;
	} else if (starts(d, "pump initialised") || starts(d, "pumpd ")) {
		ev->kind = REPORT_EV_PUMP;
	} else if (starts(d, "clock ") || starts(d, "fault ")) {
		ev->kind = REPORT_EV_TEST;
		if (starts(d, "fault occlusion "))
			parse_occlusion(d, ev);
	} else if (starts(d, "refused ")) {
		ev->kind = REPORT_EV_REFUSED;
	}
}

/* A typed entry's kind: the pump's kind decides; within a request's row
 * the text names the request (its first words, as pumpd writes them) and
 * its figures.  A text that reads as a kind the pump's kind rules out is
 * not believed. */
static int typed_kind(int pump_kind, int guessed)
{
	switch (pump_kind) {
	case MSG_LOG_REQUEST:
		switch (guessed) {
		case REPORT_EV_BOLUS: case REPORT_EV_CBOLUS: case REPORT_EV_REFILL:
		case REPORT_EV_PROGRAM: case REPORT_EV_RUN: case REPORT_EV_CLEAR:
		case REPORT_EV_SILENCE: case REPORT_EV_CONFIG: case REPORT_EV_TEST:
			return guessed;
		default:
			return REPORT_EV_OTHER;
		}
	case MSG_LOG_REFUSED:   return REPORT_EV_REFUSED;
	case MSG_LOG_ALARM:     return REPORT_EV_ALARM;
	case MSG_LOG_BOLUS:     return REPORT_EV_BOLUS_END;
	case MSG_LOG_PAIRING:   return REPORT_EV_PAIRING;
	case MSG_LOG_PUMP:      return REPORT_EV_PUMP;
	case MSG_LOG_SESSION:   return REPORT_EV_SESSION;
	case MSG_LOG_HANDSHAKE:
	case MSG_LOG_LIMIT:
	case MSG_LOG_DECRYPT:   return REPORT_EV_SECURITY;
	case MSG_LOG_NOTE:      /* "pump initialised" is a note */
		return guessed == REPORT_EV_PUMP ? guessed : REPORT_EV_OTHER;
	default:                /* MSG_LOG_SCHEDULE */
		return REPORT_EV_OTHER;
	}
}

static const int role_of_msg[MSG_LOG_ROLE_COUNT] = {
	[MSG_LOG_ROLE_PUMP] = REPORT_ROLE_PUMP,
	[MSG_LOG_ROLE_PATIENT] = REPORT_ROLE_PATIENT,
	[MSG_LOG_ROLE_CLINICIAN] = REPORT_ROLE_CLINICIAN,
	[MSG_LOG_ROLE_TESTER] = REPORT_ROLE_TESTER,
};

void report_event_parse(const struct msg_log_entry *e, struct report_event *ev)
{
	const char *t = e->text, *c = strstr(t, ": ");
	size_t n = c ? (size_t)(c - t) : 0;

	memset(ev, 0, sizeof *ev);
	ev->seq = e->seq;
	ev->at_ms = e->at_ms;
	ev->outcome = -1;
	ev->occl_pct = -1;
	if (c && n >= 1 && n <= REPORT_WHO_MAX && strcspn(t, " ") >= n) {
		memcpy(ev->who, t, n);
		ev->who[n] = '\0';
		snprintf(ev->data, sizeof ev->data, "%s", c + 2);
	} else {
		snprintf(ev->data, sizeof ev->data, "%s", t);
	}
	ev->pump_kind = -1;
	parse_data(ev);
	if (e->typed && e->kind < MSG_LOG_KIND_COUNT && e->role < MSG_LOG_ROLE_COUNT) {
		int k = typed_kind(e->kind, ev->kind);
		ev->typed = 1;
		ev->pump_kind = e->kind;
		ev->wall_ms = e->wall_ms;
		ev->role = role_of_msg[e->role];
		if (k != ev->kind) {   /* the text's figures belong to another kind */
			ev->outcome = -1;
			ev->alarm = ev->value = 0;
			ev->dose_ng = ev->ends_ms = ev->volume_nl = ev->conc_ng_ml = 0;
			ev->expected_nl = ev->withdrawn_nl = 0;
			ev->occl_pct = -1;
			ev->drawn_ng = ev->reached_ng = 0;
		}
		ev->kind = k;
	} else if (strcmp(ev->who, "pump") == 0) {
		ev->role = REPORT_ROLE_PUMP;
	}
}

int report_filter_match(const struct report_filter *f,
                        const struct report_event *ev)
{
	if (f->kinds && !(f->kinds & (1u << ev->kind)))
		return 0;
	if (f->since_ms && ev->at_ms < f->since_ms)
		return 0;
	if (f->until_ms && ev->at_ms > f->until_ms)
		return 0;
	return 1;
}

/* ---- aggregating ------------------------------------------------------------- */

void report_begin(struct report *r, const struct msg_reply *status,
                  uint64_t since_ms)
{
	memset(r, 0, sizeof *r);
	r->state = status->state;
	if (status->req_type == MSG_STATUS && status->err == MSG_OK)
		for (unsigned i = 0; i < status->u.counts.n && i < MSG_COUNTS_MAX; i++)
			if (status->u.counts.c[i].outcome < MSG_OUT_COUNT)
				r->counters[status->u.counts.c[i].outcome] = status->u.counts.c[i].count;
	if (status->req_type == MSG_STATUS && status->err == MSG_OK &&
	    status->has_dlv) {
		r->has_dlv = 1;
		r->dlv = status->dlv;
	}
	r->given_since = since_ms;
	r->since_ms = since_ms;
	r->since_kind = since_ms ? REPORT_SINCE_GIVEN : REPORT_SINCE_LOG;
	uint64_t hour = r->state.now_ms / REPORT_HOUR_MS * REPORT_HOUR_MS;
	uint64_t span = (REPORT_HOURS - 1) * REPORT_HOUR_MS;
	r->hours_ms = hour > span ? hour - span : 0;
	r->running = 1;
}

static int role_of(const struct report *r, const char *who)
{
	for (unsigned i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i].who, who) == 0)
			return r->names[i].role;
	return REPORT_ROLE_UNKNOWN;
}

/* "paired NAME as ROLE": remember NAME's role (the newest pairing wins) */
static void learn_role(struct report *r, const char *data)
{
	char who[REPORT_WHO_MAX + 1];
	const char *as = strstr(data, " as ");
	size_t n;
	int role;
	if (!starts(data, "paired ") || !as)
		return;
	n = (size_t)(as - (data + 7));
	if (n == 0 || n > REPORT_WHO_MAX)
		return;
	memcpy(who, data + 7, n);
	who[n] = '\0';
	as += 4;
	role = starts(as, "patient") ? REPORT_ROLE_PATIENT
	     : starts(as, "clinician") ? REPORT_ROLE_CLINICIAN
	     : starts(as, "tester") ? REPORT_ROLE_TESTER : REPORT_ROLE_UNKNOWN;
	for (unsigned i = 0; i < r->n_names; i++)
		if (strcmp(r->names[i].who, who) == 0) {
			r->names[i].role = role;
			return;
		}
	if (r->n_names < REPORT_NAMES_MAX) {
		memcpy(r->names[r->n_names].who, who, n + 1);
		r->names[r->n_names++].role = role;
	}
}

/* dose over [from, to) spread evenly over the chart's hours (rounded down
 * per hour: the hours of one bolus may sum to a few ng less than it) */
static void spread(uint64_t *hours, uint64_t h0, uint64_t from, uint64_t to,
                   uint64_t dose)
{
	if (to <= from)
		to = from + 1;
	for (unsigned h = 0; h < REPORT_HOURS; h++) {
		uint64_t a = h0 + h * REPORT_HOUR_MS, b = a + REPORT_HOUR_MS;
		uint64_t lo = from > a ? from : a, hi = to < b ? to : b;
		if (hi > lo)
			hours[h] += (uint64_t)((unsigned __int128)dose * (hi - lo) / (to - from));
	}
}

/* A bolus cut short (a stop, a confirmed program) delivered less than its
 * start row said: take back what spread() charted of it and chart what
 * the end row says it delivered, from its start to the cut. */
static void cut_short(struct report *r, uint64_t at, uint64_t delivered)
{
	uint64_t from = r->run_at, to = r->run_ends > r->run_at ? r->run_ends : r->run_at + 1;
	if (!r->run_have || at >= to || at < from)
		return;
	r->run_have = 0;
	for (unsigned h = 0; h < REPORT_HOURS; h++) {
		uint64_t a = r->hours_ms + h * REPORT_HOUR_MS, b = a + REPORT_HOUR_MS;
		uint64_t lo = from > a ? from : a, hi = to < b ? to : b;
		if (hi > lo) {
			uint64_t x = (uint64_t)((unsigned __int128)r->run_dose * (hi - lo) / (to - from));
			r->bolus_ng[h] -= x <= r->bolus_ng[h] ? x : r->bolus_ng[h];
		}
	}
	spread(r->bolus_ng, r->hours_ms, from, at, delivered);
}

static void started(struct report *r, const struct report_event *ev)
{
	r->run_have = 1;
	r->run_at = ev->at_ms;
	r->run_ends = ev->ends_ms;
	r->run_dose = ev->dose_ng;
}

static struct report_day *day_of(struct report *r, uint64_t at)
{
	uint64_t d = at / REPORT_DAY_MS * REPORT_DAY_MS;
	if (r->n_days && r->days[r->n_days - 1].day_ms == d)
		return &r->days[r->n_days - 1];
	if (r->n_days && r->days[r->n_days - 1].day_ms > d)
		return NULL;             /* the log's time went back (a restart) */
	if (r->n_days == REPORT_DAYS_MAX) {
		memmove(r->days, r->days + 1, sizeof r->days[0] * (REPORT_DAYS_MAX - 1));
		r->n_days--;
	}
	memset(&r->days[r->n_days], 0, sizeof r->days[0]);
	r->days[r->n_days].day_ms = d;
	return &r->days[r->n_days++];
}

static void add_point(struct report *r, uint64_t at, uint64_t nl, int forecast)
{
	if (r->n_res == REPORT_RES_MAX) {
		memmove(r->res, r->res + 1, sizeof r->res[0] * (REPORT_RES_MAX - 1));
		r->n_res--;
	}
	r->res[r->n_res].at_ms = at;
	r->res[r->n_res].nl = nl;
	r->res[r->n_res++].forecast = forecast;
}

void report_add(struct report *r, const struct msg_log_entry *e,
                struct report_event *out)
{
	struct report_event evbuf, *ev = out ? out : &evbuf;
	report_event_parse(e, ev);
	if (ev->kind == REPORT_EV_PAIRING)
		learn_role(r, ev->data);
	if (ev->role == REPORT_ROLE_UNKNOWN)
		ev->role = role_of(r, ev->who);
	if (r->rows++ == 0)
		r->first_ms = ev->at_ms;
	r->typed_rows += ev->typed != 0;

	switch (ev->kind) {
	case REPORT_EV_BOLUS: {
		int c = report_count_of(ev->outcome);
		if (!r->given_since || ev->at_ms >= r->given_since) {
			struct report_day *d = day_of(r, ev->at_ms);
			r->n[c]++;
			if (d)
				d->n[c]++;
		}
		if (ev->outcome == MSG_OUT_GRANTED) {
			spread(r->bolus_ng, r->hours_ms, ev->at_ms, ev->ends_ms, ev->dose_ng);
			started(r, ev);
		}
		break;
	}
	case REPORT_EV_CBOLUS:
		spread(r->bolus_ng, r->hours_ms, ev->at_ms, ev->ends_ms, ev->dose_ng);
		started(r, ev);
		break;
	case REPORT_EV_BOLUS_END:
		if (strstr(ev->data, " cut short: "))
			cut_short(r, ev->at_ms, ev->dose_ng);
		r->run_have = 0;
		break;
	case REPORT_EV_REFILL:
		if (ev->expected_nl || ev->withdrawn_nl)
			add_point(r, ev->at_ms, ev->expected_nl, 0);
		add_point(r, ev->at_ms, ev->volume_nl, 0);
		r->has_refill = 1;
		r->last_refill = *ev;
		r->last_refill_ms = ev->at_ms;
		if (!r->given_since) {       /* a new visit: count from here */
			memset(r->n, 0, sizeof r->n);
			r->n_days = 0;
		}
		break;
	case REPORT_EV_PROGRAM:
		r->last_prog_ms = ev->at_ms;
		if (!r->given_since && !r->last_refill_ms) {
			/* the visit's start when no refill is read (report_end) */
			memset(r->n, 0, sizeof r->n);
			r->n_days = 0;
		}
		break;
	case REPORT_EV_RUN:
		if (ev->value == 0 && r->running && r->n_stops < REPORT_HOURS + 1) {
			r->stop_ms[r->n_stops] = ev->at_ms;
			r->start_ms[r->n_stops] = 0;
			r->running = 0;
		} else if (ev->value == 1 && !r->running) {
			r->start_ms[r->n_stops++] = ev->at_ms;
			r->running = 1;
		}
		break;
	case REPORT_EV_TEST:
		/* delivered and reached count from an occlusion's start */
		if (ev->occl_pct >= 0 && ev->occl_pct < 100 && !r->occl_open) {
			r->occl_open = r->occl_have = 1;
			r->occl_ms = ev->at_ms;
			r->occl_drawn = ev->drawn_ng;
			r->occl_reached = ev->reached_ng;
		} else if (ev->occl_pct == 100) {
			r->occl_open = 0;
		}
		break;
	case REPORT_EV_PUMP:
		if (starts(ev->data, "pump initialised"))   /* totals from 0 again */
			r->occl_open = r->occl_have = 0;
		break;
	case REPORT_EV_ALARM:
		if (r->n_alarm_ev == REPORT_ALARMS_MAX) {
			memmove(r->alarm_ev, r->alarm_ev + 1,
			        sizeof r->alarm_ev[0] * (REPORT_ALARMS_MAX - 1));
			r->n_alarm_ev--;
		}
		r->alarm_ev[r->n_alarm_ev++] = *ev;
		break;
	default:
		break;
	}
}

void report_end(struct report *r)
{
	const struct msg_state *s = &r->state;
	uint64_t now = s->now_ms;

	if (!r->given_since) {
		if (r->last_refill_ms) {
			r->since_ms = r->last_refill_ms;
			r->since_kind = REPORT_SINCE_REFILL;
		} else if (r->last_prog_ms) {
			r->since_ms = r->last_prog_ms;
			r->since_kind = REPORT_SINCE_PROGRAM;
		} else {
			r->since_ms = r->first_ms;
			r->since_kind = REPORT_SINCE_LOG;
		}
	}
	/* the basal at the rate in force now, from the last program (or the
	 * log's start) on, but while a clinician had stopped the pump */
	r->basal_from_ms = r->last_prog_ms ? r->last_prog_ms : r->first_ms;
	if (!r->running && r->n_stops < REPORT_HOURS + 1)
		r->start_ms[r->n_stops++] = now;      /* still stopped */
	{
		uint64_t from = r->basal_from_ms;
		for (unsigned i = 0; i <= r->n_stops; i++) {
			uint64_t to = i < r->n_stops ? r->stop_ms[i] : now;
			if (to > from) {
				uint64_t dose = (uint64_t)((unsigned __int128)s->basal_ng_day *
				                           (to - from) / REPORT_DAY_MS);
				spread(r->basal_ng, r->hours_ms, from, to, dose);
			}
			if (i < r->n_stops && r->start_ms[i] > from)
				from = r->start_ms[i];
		}
	}
	if (r->has_dlv) {
		const struct msg_delivery *d = &r->dlv;
		r->delivered_ng = d->delivered_ng;
		r->reached_ng = d->reached_ng;
		r->dlv_from_ms = 0;
		/* from the occlusion's row, when its totals fit the pump's */
		if (r->occl_have && r->occl_drawn <= d->delivered_ng &&
		    r->occl_reached <= d->reached_ng &&
		    d->reached_ng - r->occl_reached <= d->delivered_ng - r->occl_drawn) {
			r->dlv_from_ms = r->occl_ms;
			r->delivered_ng = d->delivered_ng - r->occl_drawn;
			r->reached_ng = d->reached_ng - r->occl_reached;
		}
		r->missed_ng = r->delivered_ng - r->reached_ng;
		r->missed_pm = r->delivered_ng
		    ? (uint32_t)(((unsigned __int128)r->missed_ng * 1000 +
		                  r->delivered_ng / 2) / r->delivered_ng)
		    : 0;
	}
	add_point(r, now, s->reservoir_nl, 0);
	if (s->next_refill_ms > now)
		add_point(r, s->next_refill_ms, s->low_threshold_nl, 1);
}
