/*
 * tools/ctl_print.c — ptmctl's human-readable output of replies, the state
 * block and notifications.  Plain words a tester or clinician reads, in the
 * patient's units (micrograms are "mcg", as on the remote); the stable
 * machine format is --json (msgjson.c).  Text that came from the
 * pump (drug name, detail, log lines) is printed through util/esc.h: the
 * codec admits printable ASCII only, and this holds whatever a pump sends.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "tools/ctl.h"
#include "util/units.h"
#include "util/esc.h"

static const char *err_words(int err)
{
	switch (err) {
	case MSG_E_MALFORMED: return "the pump could not read the request";
	case MSG_E_TYPE:      return "the pump does not know this request";
	case MSG_E_ROLE:      return "not allowed for this remote's role";
	case MSG_E_NOT_SIM:   return "only when the pump runs in simulation mode";
	case MSG_E_STALE_ID:  return "request id not newer than the last one";
	case MSG_E_RANGE:     return "a value is out of range";
	case MSG_E_STATE:     return "not possible now";
	case MSG_E_STORAGE:   return "the pump could not store the change; nothing changed";
	case MSG_E_INTERNAL:  return "internal error in the pump";
	default:              return "refused";
	}
}

static const char *outcome_words(int o)
{
	switch (o) {
	case MSG_OUT_GRANTED:     return "granted";
	case MSG_OUT_LOCKOUT:     return "lockout interval";
	case MSG_OUT_DAILY_COUNT: return "most boluses in 24 h reached";
	case MSG_OUT_CEILING:     return "24 h drug ceiling reached";
	case MSG_OUT_RUNNING:     return "a bolus is already running";
	case MSG_OUT_DISABLED:    return "patient bolus not enabled";
	case MSG_OUT_RESERVOIR:   return "reservoir too low";
	case MSG_OUT_STOPPED:     return "pump stopped";
	case MSG_OUT_CRITICAL:    return "critical alarm: drug is not flowing";
	default:                  return "unknown outcome";
	}
}

/* A refusal counted in STATUS, as short as the counts line needs. */
static const char *refusal_words(int o)
{
	switch (o) {
	case MSG_OUT_LOCKOUT:     return "lockout";
	case MSG_OUT_DAILY_COUNT: return "daily count";
	case MSG_OUT_CEILING:     return "24 h ceiling";
	case MSG_OUT_RUNNING:     return "already running";
	case MSG_OUT_DISABLED:    return "not enabled";
	case MSG_OUT_RESERVOIR:   return "reservoir too low";
	case MSG_OUT_STOPPED:     return "pump stopped";
	case MSG_OUT_CRITICAL:    return "critical alarm";
	default:                  return "other";
	}
}

/* "in 1 h 50 min (2026-01-01T10:00:00Z)", or "now (...)" once reached */
static void moment(FILE *f, uint64_t at, uint64_t now)
{
	char a[UNITS_FMT_MAX], d[UNITS_FMT_MAX];
	if (at > now)
		fprintf(f, "in %s (%s)", units_fmt_span(at - now, d), units_fmt_time(at, a));
	else
		fprintf(f, "now (%s)", units_fmt_time(at, a));
}

/* ", simulated clock, frozen" / "..., 60x" / "" for the real clock */
static void clock_words(FILE *f, const struct msg_state *s)
{
	if (!(s->flags & MSG_F_SIMULATED))
		return;
	if (s->clock_speed == 0)
		fprintf(f, " (simulated clock, frozen)");
	else if (s->clock_speed == 1)
		fprintf(f, " (simulated clock, real time)");
	else
		fprintf(f, " (simulated clock, %" PRIu32 "x real time)", s->clock_speed);
}

/* "none", or each alarm: "low_reservoir (medium, silenced for 40 min more,
 * until ...)" */
static void alarm_list(FILE *f, const struct msg_state *s)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	if (s->n_alarms == 0)
		fprintf(f, "none");
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &s->alarms[i];
		fprintf(f, "%s%s (%s", i ? ", " : "", msg_alarm_name(al->id),
		        msg_priority_name(al->priority));
		if ((al->flags & MSG_AF_SILENCED) && al->silenced_until_ms > s->now_ms)
			fprintf(f, ", silenced for %s more, until %s",
			        units_fmt_span(al->silenced_until_ms - s->now_ms, a),
			        units_fmt_time(al->silenced_until_ms, b));
		else if (al->flags & MSG_AF_SILENCED)
			fprintf(f, ", silenced");
		fputc(')', f);
	}
}

void ctl_print_state(FILE *f, const struct msg_state *s)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	char drug[ESC_MAX(sizeof s->drug)];

	fprintf(f, "pump       %s  %s%s", units_fmt_time(s->now_ms, a),
	        msg_mode_name(s->mode),
	        (s->flags & MSG_F_INFUSING) ? ", infusing" : ", not infusing");
	clock_words(f, s);
	fputc('\n', f);
	fprintf(f, "drug       %s %s, basal %s\n", esc_s(drug, sizeof drug, s->drug),
	        units_fmt_conc(s->concentration_ng_ml, a), units_fmt_rate(s->basal_ng_day, b));
	fprintf(f, "reservoir  %s of %s (low at %s)", units_fmt_volume(s->reservoir_nl, a),
	        units_fmt_volume(s->capacity_nl, b), units_fmt_volume(s->low_threshold_nl, c));
	if (s->next_refill_ms) {
		fprintf(f, ", next refill ");
		moment(f, s->next_refill_ms, s->now_ms);
	}
	fputc('\n', f);
	if (s->flags & MSG_F_BOLUS_ENABLED)
		fprintf(f, "bolus      %s over %s, lockout %s, %u of %u in 24 h\n",
		        units_fmt_dose(s->bolus_dose_ng, a), units_fmt_span(s->bolus_duration_ms, b),
		        units_fmt_span(s->lockout_ms, c), s->boluses_24h, s->max_per_24h);
	else
		fprintf(f, "bolus      not enabled\n");
	if (s->flags & MSG_F_BOLUS_RUNNING) {
		fprintf(f, "running    bolus ends ");
		moment(f, s->bolus_ends_ms, s->now_ms);
		fputc('\n', f);
	}
	fprintf(f, "next bolus ");
	if (s->next_bolus_reason == MSG_OUT_GRANTED ||
	    (s->next_bolus_ms && s->next_bolus_ms <= s->now_ms))
		fprintf(f, "now");
	else if (s->next_bolus_ms) {
		moment(f, s->next_bolus_ms, s->now_ms);
		fprintf(f, ": %s", outcome_words(s->next_bolus_reason));
	} else
		fprintf(f, "not while: %s", outcome_words(s->next_bolus_reason));
	fputc('\n', f);
	fprintf(f, "battery    replace ");
	if (s->eri_ms)
		moment(f, s->eri_ms, s->now_ms);
	else
		fprintf(f, "-");
	fprintf(f, ", end of service ");
	if (s->eos_ms)
		moment(f, s->eos_ms, s->now_ms);
	else
		fprintf(f, "-");
	fputc('\n', f);
	fprintf(f, "alarms     ");
	alarm_list(f, s);
	fputc('\n', f);
}

/* STATUS's counters, after the state: "requests   3 granted, 2 refused (1
 * lockout, 1 already running)", "requests   none yet". */
static void print_counts(FILE *f, const struct msg_reply *r)
{
	uint64_t n[MSG_OUT_COUNT] = { 0 }, refused = 0;
	int listed = 0;
	for (unsigned i = 0; i < r->u.counts.n && i < MSG_COUNTS_MAX; i++)
		if (r->u.counts.c[i].outcome < MSG_OUT_COUNT)
			n[r->u.counts.c[i].outcome] += r->u.counts.c[i].count;
	for (int o = 1; o < MSG_OUT_COUNT; o++)
		refused += n[o];
	fprintf(f, "requests   ");
	if (n[MSG_OUT_GRANTED] == 0 && refused == 0) {
		fprintf(f, "none yet\n");
		return;
	}
	fprintf(f, "%" PRIu64 " granted, ", n[MSG_OUT_GRANTED]);
	if (refused == 0) {
		fprintf(f, "none refused\n");
		return;
	}
	fprintf(f, "%" PRIu64 " refused (", refused);
	for (int o = 1; o < MSG_OUT_COUNT; o++)
		if (n[o])
			fprintf(f, "%s%" PRIu64 " %s", listed++ ? ", " : "", n[o], refusal_words(o));
	fprintf(f, ")\n");
}

/* STATUS's delivery block (PROTOCOL.md 8.14), totals since pumpd init:
 * "delivered  6 mg (the pump's count), reached the patient 4.5 mg (75%
 * reaches now: occlusion)" */
static void print_delivery(FILE *f, const struct msg_delivery *d)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	fprintf(f, "delivered  %s since the pump's start (its count), reached the patient %s",
	        units_fmt_dose(d->delivered_ng, a), units_fmt_dose(d->reached_ng, b));
	if (d->reach_pct < 100)
		fprintf(f, "; OCCLUSION: %u%% reaches the patient now", (unsigned)d->reach_pct);
	fputc('\n', f);
}

/* "; next allowed in 2 h (...)" when the state foresees it */
static void next_allowed(FILE *f, uint64_t at, const struct msg_state *s)
{
	if (!at)
		return;
	fprintf(f, "; next allowed ");
	moment(f, at, s->now_ms);
}

static void print_bolus(FILE *f, const struct msg_reply *r)
{
	char a[UNITS_FMT_MAX];
	const struct msg_bolus_result *bo = &r->u.bolus;
	if (bo->outcome == MSG_OUT_GRANTED) {
		fprintf(f, "bolus granted: %s, ends ", units_fmt_dose(bo->dose_ng, a));
		moment(f, bo->at_ms, r->state.now_ms);
		if (r->state.next_bolus_ms > r->state.now_ms)
			next_allowed(f, r->state.next_bolus_ms, &r->state);
		fputc('\n', f);
		return;
	}
	fprintf(f, "bolus refused: %s (%s)", msg_outcome_name(bo->outcome),
	        outcome_words(bo->outcome));
	if (bo->outcome == MSG_OUT_RUNNING && r->state.bolus_ends_ms) {
		/* the running bolus's end is in the state; at_ms is when the
		 * next would be granted */
		fprintf(f, "; it ends ");
		moment(f, r->state.bolus_ends_ms, r->state.now_ms);
	}
	next_allowed(f, bo->at_ms, &r->state);
	fputc('\n', f);
}

static void print_history(FILE *f, const struct msg_reply *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	unsigned n = r->u.history.n;
	if (n == 0) {
		/* pumpd answers HISTORY with the asking remote's own requests:
		 * a tester or clinician key that asked for no bolus has none */
		fprintf(f, "history: no bolus requests from this remote\n"
		           "(the pump gives each remote its own requests only; "
		           "'ptmctl log' as a clinician or tester lists every remote's)\n");
		return;
	}
	fprintf(f, "history: %u bolus request%s from this remote, newest first\n", n,
	        n == 1 ? "" : "s");
	for (unsigned i = 0; i < n && i < MSG_HISTORY_MAX; i++) {
		const struct msg_history_entry *e = &r->u.history.e[i];
		fprintf(f, "  %s  %-11s %s\n", units_fmt_time(e->at_ms, a),
		        msg_outcome_name(e->outcome), e->dose_ng ? units_fmt_dose(e->dose_ng, b) : "");
	}
}

/* What a request that carries no body changed, from the state: a line. */
static void print_done(FILE *f, const struct msg_reply *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	char drug[ESC_MAX(sizeof r->state.drug)];
	const struct msg_state *s = &r->state;

	fprintf(f, "%s: done", msg_type_name(r->req_type));
	switch (r->req_type) {
	case MSG_PROGRAM:
		fprintf(f, "; %s %s, basal %s", esc_s(drug, sizeof drug, s->drug),
		        units_fmt_conc(s->concentration_ng_ml, a), units_fmt_rate(s->basal_ng_day, b));
		if (s->flags & MSG_F_BOLUS_ENABLED)
			fprintf(f, "; bolus %s over %s, lockout %s, at most %u in 24 h",
			        units_fmt_dose(s->bolus_dose_ng, a), units_fmt_span(s->bolus_duration_ms, b),
			        units_fmt_span(s->lockout_ms, c), s->max_per_24h);
		else
			fprintf(f, "; patient bolus not enabled");
		break;
	case MSG_REFILL:
		fprintf(f, "; reservoir %s of %s, %s %s", units_fmt_volume(s->reservoir_nl, a),
		        units_fmt_volume(s->capacity_nl, b), esc_s(drug, sizeof drug, s->drug),
		        units_fmt_conc(s->concentration_ng_ml, c));
		if (r->u.refill.present) {
			const struct msg_refill_result *rf = &r->u.refill;
			fprintf(f, "; withdrawn %s, expected %s", units_fmt_volume(rf->withdrawn_nl, a),
			        units_fmt_volume(rf->expected_nl, b));
			fprintf(f, " (tolerance %s): %s", units_fmt_volume(rf->tolerance_nl, c),
			        (rf->flags & MSG_RF_DISCREPANCY)
			            ? "DISCREPANCY: check the pump and the refill before going on"
			            : "as expected");
			if (rf->flags & MSG_RF_BRIDGE_DUE)
				fprintf(f, "; the concentration changed: a bridge bolus is due "
				           "(ptmctl cbolus bridge)");
		}
		if (s->next_refill_ms) {
			fprintf(f, ", next refill ");
			moment(f, s->next_refill_ms, s->now_ms);
		}
		break;
	case MSG_CLEAR:
		fprintf(f, "; alarms now ");
		alarm_list(f, s);
		break;
	case MSG_RUN:
		fprintf(f, "; the pump is %s", (s->flags & MSG_F_INFUSING) ? "infusing" :
		        "not infusing");
		break;
	case MSG_FAULT:
		fprintf(f, "; reservoir %s, alarms now ", units_fmt_volume(s->reservoir_nl, a));
		alarm_list(f, s);
		break;
	case MSG_CLOCK:
		fprintf(f, "; pump time %s", units_fmt_time(s->now_ms, a));
		clock_words(f, s);
		break;
	default:
		break;
	}
	fputc('\n', f);
}

/* What a staged prescription changes, current beside pending. */
static void print_stage(FILE *f, const struct msg_reply *r)
{
	const struct msg_stage_result *g = &r->u.stage;
	/* a row: its two values, their words (NULL: a number), the word for 0
	 * (NULL: formatted as any value) */
	const struct {
		const char *name;
		uint64_t v[2];
		char *(*fmt)(uint64_t, char *);
		const char *zero;
	} rows[] = {
		{ "daily dose", { g->daily_ng[0], g->daily_ng[1] }, units_fmt_dose, NULL },
		{ "bolus dose", { g->bolus_dose_ng[0], g->bolus_dose_ng[1] }, units_fmt_dose, "off" },
		{ "lockout", { g->lockout_ms[0], g->lockout_ms[1] }, units_fmt_span, "-" },
		{ "boluses per 24 h", { g->max_per_24h[0], g->max_per_24h[1] }, NULL, NULL },
		{ "ceiling 24 h", { g->ceiling_ng_24h[0], g->ceiling_ng_24h[1] }, units_fmt_dose,
		  "none" },
		{ "next refill", { g->next_refill_ms[0], g->next_refill_ms[1] }, units_fmt_time,
		  "none" },
	};
	fprintf(f, "stage: %" PRIu32 " pending (ptmctl confirm %" PRIu32 " / cancel %" PRIu32
	        "); the prescription in force runs until then\n", g->stage_id, g->stage_id,
	        g->stage_id);
	fprintf(f, "  %-16s %-16s %s\n", "", "now", "pending");
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char w[2][UNITS_FMT_MAX];
		const char *v[2];
		for (int k = 0; k < 2; k++) {
			if (!rows[i].v[k] && rows[i].zero)
				v[k] = rows[i].zero;
			else if (rows[i].fmt)
				v[k] = rows[i].fmt(rows[i].v[k], w[k]);
			else {
				snprintf(w[k], sizeof w[k], "%" PRIu64, rows[i].v[k]);
				v[k] = w[k];
			}
		}
		fprintf(f, "  %-16s %-16s %s\n", rows[i].name, v[0], v[1]);
	}
	if (g->flags & MSG_ST_OVERRIDE)
		fprintf(f, "  a drug library soft limit is passed under your override\n");
	if (g->flags & MSG_ST_NO_LIB)
		fprintf(f, "  the drug is not in the pump's drug library: no limits checked\n");
	if (g->flags & MSG_ST_STOPS)
		fprintf(f, "  CONFIRMING STOPS THE PUMP: no drug will flow\n");
	if (g->flags & MSG_ST_REPLACED)
		fprintf(f, "  (it replaces the session pending before)\n");
}

static void print_body(FILE *f, const struct msg_reply *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	char text[ESC_MAX(MSG_TEXT_MAX + 1)];

	switch (r->req_type) {
	case MSG_BOLUS:
		print_bolus(f, r);
		break;
	case MSG_STATUS:
		/* the state block is the answer (ctl_print_reply), these last */
		print_counts(f, r);
		if (r->has_dlv)
			print_delivery(f, &r->dlv);
		break;
	case MSG_SILENCE:
		fprintf(f, "silenced %u alarm%s\n", r->u.silenced, r->u.silenced == 1 ? "" : "s");
		break;
	case MSG_HISTORY:
		print_history(f, r);
		break;
	case MSG_HELLO: {
		char sw[ESC_MAX(sizeof r->u.hello.software)];
		uint32_t ft = r->u.hello.features;
		fprintf(f, "hello: %s, protocol %u; features:", esc_s(sw, sizeof sw, r->u.hello.software),
		        r->u.hello.protocol);
		static const struct { uint32_t bit; const char *name; } feats[] = {
			{ MSG_FEAT_CONFIG, "config" },       { MSG_FEAT_CBOLUS, "cbolus" },
			{ MSG_FEAT_REFILL_CHECK, "refill_check" }, { MSG_FEAT_STAGE, "stage" },
			{ MSG_FEAT_DRUGLIB, "drug_library" }, { MSG_FEAT_ALARMTEST, "alarmtest" },
			{ MSG_FEAT_LINK, "link" },           { MSG_FEAT_REFILL_LIB, "refill_library" },
			{ MSG_FEAT_TYPED, "typed_log" },
		};
		uint32_t known = 0;
		for (size_t i = 0; i < sizeof feats / sizeof feats[0]; i++) {
			known |= feats[i].bit;
			if (ft & feats[i].bit)
				fprintf(f, " %s", feats[i].name);
		}
		if (ft & ~known)
			fprintf(f, " (and 0x%08" PRIx32 ", unknown here)", ft & ~known);
		if (!ft)
			fprintf(f, " none");
		fputc('\n', f);
		break;
	}
	case MSG_CONFIG:
		fprintf(f, "config: done; pump tubing %s, catheter %" PRIu32 " mm at %"
		        PRIu32 " nL/mm (%s)\n",
		        units_fmt_volume(r->u.config.c.tubing_nl, a),
		        r->u.config.c.catheter_mm, r->u.config.c.catheter_nl_per_mm,
		        units_fmt_volume(r->u.config.catheter_nl, b));
		break;
	case MSG_CBOLUS:
		fprintf(f, "cbolus: %s bolus started: %s", msg_cbolus_kind_name(r->u.cbolus.kind),
		        units_fmt_dose(r->u.cbolus.dose_ng, a));
		fprintf(f, " (%s) over %s, ends ", units_fmt_volume(r->u.cbolus.volume_nl, b),
		        units_fmt_span(r->u.cbolus.duration_ms, c));
		moment(f, r->u.cbolus.ends_at_ms, r->state.now_ms);
		fputc('\n', f);
		break;
	case MSG_STAGE:
		print_stage(f, r);
		break;
	case MSG_LOG:
		fprintf(f, "log: %u entr%s\n", r->u.log.n, r->u.log.n == 1 ? "y" : "ies");
		for (unsigned i = 0; i < r->u.log.n && i < MSG_LOG_MAX; i++) {
			const struct msg_log_entry *e = &r->u.log.e[i];
			fprintf(f, "  %6" PRIu64 "  %s  %s\n", e->seq, units_fmt_time(e->at_ms, a),
			        esc_s(text, sizeof text, e->text));
		}
		break;
	default:
		print_done(f, r);
		break;
	}
}

void ctl_print_reply(FILE *f, const struct msg_reply *r, int with_state)
{
	char d[ESC_MAX(sizeof r->detail)];
	if (r->err != MSG_OK) {
		fprintf(f, "%s refused: %s (%s)", msg_type_name(r->req_type),
		        msg_err_name(r->err), err_words(r->err));
		if (r->detail[0])
			fprintf(f, ": %s", esc_s(d, sizeof d, r->detail));
		if (r->err == MSG_E_STALE_ID)
			fprintf(f, "; last id %" PRIu64, r->u.last_id);
		if (r->err == MSG_E_RANGE && r->req_type == MSG_REFILL &&
		    strcmp(r->detail, "volume_nl") == 0 && r->state.capacity_nl) {
			char cap[UNITS_FMT_MAX];
			fprintf(f, " (the reservoir holds at most %s)",
			        units_fmt_volume(r->state.capacity_nl, cap));
		}
		fputc('\n', f);
	} else if (r->req_type == MSG_STATUS) {
		ctl_print_state(f, &r->state);
		print_body(f, r);
		return;
	} else {
		print_body(f, r);
	}
	if (with_state)
		ctl_print_state(f, &r->state);
}

void ctl_print_notify(FILE *f, const struct msg_notify *n)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	const struct msg_state *s = &n->state;
	fprintf(f, "%s  %s", units_fmt_time(s->now_ms, a), msg_event_name(n->event));
	if (n->alarm)
		fprintf(f, " %s", msg_alarm_name(n->alarm));
	fprintf(f, ": reservoir %s, ", units_fmt_volume(s->reservoir_nl, b));
	if (s->flags & MSG_F_BOLUS_RUNNING)
		fprintf(f, "bolus running, ");
	if (s->n_alarms == 0)
		fprintf(f, "no alarms");
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
		fprintf(f, "%s%s", i ? "," : "alarms ", msg_alarm_name(s->alarms[i].id));
	fputc('\n', f);
	fflush(f);
}
