/*
 * tools/ctl_rcsv.c — the interrogation report and the log's typed events as
 * CSV (RFC 4180): the report as rows of section, at, name, value; events
 * as rows of seq, at_ms, at, kind, role, who, outcome, dose_ng, text.
 */
#include <inttypes.h>
#include <stddef.h>
#include <string.h>

#include "tools/ctl_rep.h"
#include "util/units.h"

void ctl_rcsv_field(FILE *f, const char *s, int last)
{
	if (s[strcspn(s, ",\"\r\n")]) {
		fputc('"', f);
		for (const char *c = s; *c; c++) {
			if (*c == '"')
				fputc('"', f);
			fputc(*c, f);
		}
		fputc('"', f);
	} else {
		fputs(s, f);
	}
	fputs(last ? "\r\n" : ",", f);
}

static void row(FILE *f, const char *section, const char *at, const char *name,
                const char *value)
{
	ctl_rcsv_field(f, section, 0);
	ctl_rcsv_field(f, at, 0);
	ctl_rcsv_field(f, name, 0);
	ctl_rcsv_field(f, value, 1);
}

static void row_u(FILE *f, const char *section, const char *at, const char *name,
                  uint64_t v)
{
	char b[24];
	snprintf(b, sizeof b, "%" PRIu64, v);
	row(f, section, at, name, b);
}

static const char *iso(uint64_t ms, char *b)
{
	return ms ? units_fmt_time(ms, b) : "";
}

/* The state's numbers the report lists, in its order, under their names. */
#define NUM(m) { #m, offsetof(struct msg_state, m), sizeof(((struct msg_state *)0)->m) }
static const struct { const char *name; size_t off, size; } pump_nums[] = {
	NUM(concentration_ng_ml), NUM(basal_ng_day), NUM(bolus_dose_ng),
	NUM(bolus_duration_ms), NUM(lockout_ms), NUM(max_per_24h),
	NUM(reservoir_nl), NUM(capacity_nl), NUM(low_threshold_nl),
	NUM(next_refill_ms), NUM(eri_ms), NUM(eos_ms),
};

/* an unsigned integer member of size bytes at p */
static uint64_t num_at(const void *p, size_t size)
{
	uint16_t v16;
	uint32_t v32;
	uint64_t v64;
	switch (size) {
	case 2: memcpy(&v16, p, 2); return v16;
	case 4: memcpy(&v32, p, 4); return v32;
	default: memcpy(&v64, p, 8); return v64;
	}
}

int ctl_rcsv_report(FILE *f, const struct report *r)
{
	const struct msg_state *s = &r->state;
	char t[UNITS_FMT_MAX];

	row(f, "section", "at", "name", "value");
	iso(s->now_ms, t);
	row(f, "pump", t, "drug", s->drug);
	row(f, "pump", t, "mode", msg_mode_name(s->mode));
	for (size_t i = 0; i < sizeof pump_nums / sizeof pump_nums[0]; i++)
		row_u(f, "pump", t, pump_nums[i].name,
		      num_at((const char *)s + pump_nums[i].off, pump_nums[i].size));
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
		row(f, "alarm", iso(s->alarms[i].raised_ms, t),
		    msg_alarm_name(s->alarms[i].id), msg_priority_name(s->alarms[i].priority));
	for (unsigned i = 0; i < r->n_alarm_ev; i++)
		row(f, "alarm_event", iso(r->alarm_ev[i].at_ms, t),
		    msg_alarm_name(r->alarm_ev[i].alarm),
		    r->alarm_ev[i].value == 1 ? "raised"
		    : r->alarm_ev[i].value == 2 ? "sounds again" : "cleared");
	iso(r->since_ms, t);
	row(f, "since", t, "what", report_since_name(r->since_kind));
	for (int c = 0; c < REPORT_C__COUNT; c++)
		row_u(f, "counts", t, report_count_name(c), r->n[c]);
	for (unsigned i = 0; i < r->n_days; i++) {
		iso(r->days[i].day_ms, t);
		t[10] = '\0';
		for (int c = 0; c < REPORT_C__COUNT; c++)
			row_u(f, "day", t, report_count_name(c), r->days[i].n[c]);
	}
	for (int k = 0; k < MSG_OUT_COUNT; k++)
		row_u(f, "pump_counter", "", msg_outcome_name(k), r->counters[k]);
	for (unsigned h = 0; h < REPORT_HOURS; h++) {
		iso(r->hours_ms + h * REPORT_HOUR_MS, t);
		row_u(f, "hour", t, "basal_ng", r->basal_ng[h]);
		row_u(f, "hour", t, "bolus_ng", r->bolus_ng[h]);
	}
	for (unsigned i = 0; i < r->n_res; i++)
		row_u(f, "reservoir", iso(r->res[i].at_ms, t),
		      r->res[i].forecast ? "forecast_nl" : "nl", r->res[i].nl);
	if (r->has_refill) {
		const struct report_event *e = &r->last_refill;
		iso(e->at_ms, t);
		row_u(f, "last_refill", t, "volume_nl", e->volume_nl);
		row_u(f, "last_refill", t, "concentration_ng_ml", e->conc_ng_ml);
		if (e->expected_nl || e->withdrawn_nl) {
			row_u(f, "last_refill", t, "withdrawn_nl", e->withdrawn_nl);
			row_u(f, "last_refill", t, "expected_nl", e->expected_nl);
			row_u(f, "last_refill", t, "discrepancy", (uint64_t)e->value);
		}
	}
	if (r->has_dlv) {
		char pct[16];
		iso(r->dlv_from_ms, t);
		row(f, "delivered_reached", t, "from_what",
		    r->dlv_from_ms ? "occlusion" : "pump start");
		row_u(f, "delivered_reached", t, "delivered_ng", r->delivered_ng);
		row_u(f, "delivered_reached", t, "reached_ng", r->reached_ng);
		row_u(f, "delivered_reached", t, "missed_ng", r->missed_ng);
		snprintf(pct, sizeof pct, "%" PRIu32 ".%" PRIu32, r->missed_pm / 10,
		         r->missed_pm % 10);
		row(f, "delivered_reached", t, "missed_pct", pct);
		row_u(f, "delivered_reached", t, "reach_pct_now", r->dlv.reach_pct);
	}
	return ferror(f) ? -1 : 0;
}

void ctl_rcsv_events_head(FILE *f)
{
	fputs("seq,at_ms,at,kind,role,who,outcome,dose_ng,text\r\n", f);
}

void ctl_rcsv_event(FILE *f, const struct report_event *ev)
{
	char b[24], t[UNITS_FMT_MAX];
	snprintf(b, sizeof b, "%" PRIu64, ev->seq);
	ctl_rcsv_field(f, b, 0);
	snprintf(b, sizeof b, "%" PRIu64, ev->at_ms);
	ctl_rcsv_field(f, b, 0);
	ctl_rcsv_field(f, iso(ev->at_ms, t), 0);
	ctl_rcsv_field(f, report_kind_name(ev->kind), 0);
	ctl_rcsv_field(f, report_role_name(ev->role), 0);
	ctl_rcsv_field(f, ev->who, 0);
	ctl_rcsv_field(f, ev->outcome >= 0 ? msg_outcome_name(ev->outcome) : "", 0);
	b[0] = '\0';
	if (ev->dose_ng)
		snprintf(b, sizeof b, "%" PRIu64, ev->dose_ng);
	ctl_rcsv_field(f, b, 0);
	ctl_rcsv_field(f, ev->data, 1);
}
