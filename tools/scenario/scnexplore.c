/*
 * tools/scenario/scnexplore.c — `explore N [seed=S]`: random steps from a
 * seed, the pump's invariants checked after each (see scnexplore.h).
 */
#include "tools/scenario/scnexplore.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"
#include "util/units.h"

#define DAY_MS     86400000ull
#define GRANTS_MAX 256   /* grants kept: those that can still share a window */
#define TRAIL      8     /* steps shown before a failure */
#define ACT_MAX    112
/* docs/PROTOCOL.md 8.6 */
#define NL_PER_ML  1000000ull
#define CDUR_MIN   60000ull       /* a clinician bolus: 1 min .. 7 days */
#define CDUR_MAX   604800000ull
#define CDOSE_MAX  100000000ull

struct grant {
	uint64_t start, end;   /* end: as granted, or when it was cut */
	uint64_t dose, dur;    /* ng, ms as granted */
	int clin;              /* a clinician's bolus (MSG_CBOLUS_*): in the
	                          ceiling and the delivery, never in the lockout
	                          or the count; a bridge pauses the basal */
	int unsure;            /* the reservoir ran empty while it ran: cut at a
	                          moment the replies do not tell, its drug
	                          somewhere between none and its dose */
};

/* The bridge bolus the model expects (8.6): due after a refill that
 * changed the concentration while a basal ran, until one is given. */
enum { BRIDGE_NONE, BRIDGE_DUE, BRIDGE_UNKNOWN };

struct ex {
	const struct scnexplore *x;
	struct scnsend *s;
	struct scnlink *l;
	uint64_t rng;
	struct grant g[GRANTS_MAX];
	size_t ng;
	struct msg_state prev;       /* the state before this step */
	uint64_t t_begin;
	int complete;                /* every grant of the last 24 h is in g[] */
	char act[ACT_MAX];           /* this step, as words */
	char trail[TRAIL][ACT_MAX + 24];
	uint64_t step;
	char *why;
	size_t wn;
	int cfg_known;               /* cfg: the last CONFIG's reply */
	struct msg_config cfg;
	int bridge;                  /* BRIDGE_*; c0, r0 when due */
	uint64_t bridge_conc, bridge_rate;
	uint64_t prog_at;            /* the last prescription change (or the start) */
	struct scnexplore_counts *c;
};

/* ---- randomness (splitmix64: the same seed, the same steps) --------------- */

static uint64_t rnd(struct ex *e)
{
	uint64_t z = (e->rng += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* lo..hi, both included */
static uint64_t pick(struct ex *e, uint64_t lo, uint64_t hi)
{
	return lo + rnd(e) % (hi - lo + 1);
}

/* ---- the model: what the replies showed ---------------------------------------- */

static int critical(const struct msg_state *st)
{
	for (unsigned i = 0; i < st->n_alarms && i < MSG_ALARMS_MAX; i++)
		if (st->alarms[i].priority == MSG_PRIO_HIGH)
			return 1;
	return 0;
}

/* ng of g delivered within [a, b] (evenly over its duration, rounded down:
 * the pump rounds up, so the pump's sum is never below this one) */
static uint64_t share(const struct grant *g, uint64_t a, uint64_t b)
{
	uint64_t lo = a > g->start ? a : g->start, hi = b < g->end ? b : g->end;
	if (hi <= lo || g->dur == 0)
		return 0;
	return g->dose * (hi - lo) / g->dur;
}

/* grants that started in the 24 h up to t (the pump's rolling window) */
static unsigned count_24h(const struct ex *e, uint64_t t)
{
	unsigned c = 0;
	for (size_t i = 0; i < e->ng; i++)
		if (!e->g[i].clin && e->g[i].start <= t && e->g[i].start + DAY_MS > t)
			c++;
	return c;
}

/* The newest patient grant, or NULL. */
static const struct grant *last_patient(const struct ex *e)
{
	for (size_t i = e->ng; i-- > 0;)
		if (!e->g[i].clin)
			return &e->g[i];
	return NULL;
}

/* The prescription's basal drug in a day (ng). */

static void keep_grant(struct ex *e, const struct grant *g)
{
	size_t w = 0;
	/* older than two days: no window with a new grant holds them */
	for (size_t i = 0; i < e->ng; i++)
		if (e->g[i].end + 2 * DAY_MS > g->start)
			e->g[w++] = e->g[i];
	e->ng = w;
	if (e->ng == GRANTS_MAX) {
		memmove(e->g, e->g + 1, (GRANTS_MAX - 1) * sizeof e->g[0]);
		e->ng--;
	}
	e->g[e->ng++] = *g;
}

/* ---- checks ---------------------------------------------------------------------- */

__attribute__((format(printf, 2, 3)))
static int broke(struct ex *e, const char *fmt, ...)
{
	char what[400];
	va_list ap;
	va_start(ap, fmt);
	vfmt_set(what, sizeof what, fmt, ap);
	va_end(ap);
	struct strbuf b;
	strbuf_fixed(&b, e->why, e->wn);
	strbuf_printf(&b, "explore seed=%" PRIu64 ": step %" PRIu64 " of %" PRIu64 ": %s: %s",
	              e->x->seed, e->step, e->x->n, e->act, what);
	if (e->step > 1) {
		strbuf_printf(&b, "\nthe steps before it:");
		for (uint64_t k = e->step > TRAIL ? e->step - TRAIL : 1; k < e->step; k++)
			strbuf_printf(&b, "\n  %s", e->trail[k % TRAIL]);
	}
	return -1;
}

/* The most drug a 24 h window holding the bolus ng (not yet kept) holds:
 * a day's basal and each bolus's share, a clinician's too (8.6, rule 2);
 * *at the window's end.  The sum is piecewise linear in the window's end:
 * its largest values are where a bolus starts or ends at an edge.  A bolus
 * cut where the replies do not tell (unsure) counts its whole share when
 * upper, none otherwise: the check then never blames the pump for drug it
 * may not have given, nor for drug it may have. */
static uint64_t window_most(const struct ex *e, const struct grant *ng, uint64_t basal,
                            int upper, uint64_t *at)
{
	uint64_t most = 0;
	*at = ng->end;
	for (size_t i = 0; i <= e->ng; i++) {
		const struct grant *gi = i < e->ng ? &e->g[i] : ng;
		uint64_t ends[4] = { gi->start, gi->end, gi->start + DAY_MS, gi->end + DAY_MS };
		for (int k = 0; k < 4; k++) {
			uint64_t E = ends[k], S = E > DAY_MS ? E - DAY_MS : 0, sum = basal;
			if (E <= ng->start || S >= ng->end)
				continue; /* the new bolus is not in it */
			for (size_t j = 0; j < e->ng; j++)
				sum += upper || !e->g[j].unsure ? share(&e->g[j], S, E) : 0;
			sum += share(ng, S, E);
			if (sum > most) {
				most = sum;
				*at = E;
			}
		}
	}
	return most;
}

/* A new grant against every limit in force. */
static int check_grant(struct ex *e, const struct grant *ng, const struct msg_state *st)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	const struct grant *last = e->ng ? &e->g[e->ng - 1] : NULL;
	const struct grant *lastp = last_patient(e);
	const struct msg_rx *rx = &e->s->rx;

	if (last && ng->start < last->end)
		return broke(e, "granted while the bolus before runs (until %s)",
		             units_fmt_time(last->end, a));
	if (ng->clin)
		return 0;   /* the clinician's decision: no patient limit holds it */
	last = lastp;
	if (last && ng->start - last->start < st->lockout_ms)
		return broke(e, "granted %s after the grant before, inside the lockout (%s)",
		             units_fmt_duration(ng->start - last->start, a),
		             units_fmt_duration(st->lockout_ms, b));
	if (count_24h(e, ng->start) + 1 > st->max_per_24h)
		return broke(e, "grant number %u in 24 h; at most %u are allowed",
		             count_24h(e, ng->start) + 1, (unsigned)st->max_per_24h);
	if (e->s->have_rx && rx->ceiling_ng_24h) {
		uint64_t E, basal = msg_rx_daily_ng(rx), sum = window_most(e, ng, basal, 0, &E);
		if (sum > rx->ceiling_ng_24h)
			return broke(e, "the 24 h to %s hold %s (basal %s a day and "
			             "boluses, a clinician's included); the ceiling is %s",
			             units_fmt_time(E, a), units_fmt_dose(sum, b),
			             units_fmt_dose(basal, (char[UNITS_FMT_MAX]){0}),
			             units_fmt_dose(rx->ceiling_ng_24h, (char[UNITS_FMT_MAX]){0}));
	}
	return 0;
}

/* A bolus the pump started (what: "granted", ...): to end when its
 * duration says, within every limit; then one of the grants. */
static int take_grant(struct ex *e, const struct grant *g, const struct msg_state *st,
                      const char *what)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	if (g->end != g->start + g->dur)
		return broke(e, "%s at %s, to end at %s after %s", what, units_fmt_time(g->start, a),
		             units_fmt_time(g->end, b), units_fmt_duration(g->dur, c));
	if (check_grant(e, g, st) < 0)
		return -1;
	keep_grant(e, g);
	return 0;
}

/* The reservoir over a clock move from p to st: what the basal and the
 * boluses took, when the pump delivered all the time. */
static int check_delivery(struct ex *e, const struct msg_state *p, const struct msg_state *st)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	const struct msg_rx *rx = &e->s->rx;
	uint64_t t0 = p->now_ms, t1 = st->now_ms, dt = t1 - t0, ng = 0, exp_nl, tol = 3;
	uint64_t drop = (uint64_t)p->reservoir_nl - st->reservoir_nl;

	if (st->reservoir_nl > p->reservoir_nl)
		return broke(e, "the reservoir rose from %s to %s without a refill",
		             units_fmt_volume(p->reservoir_nl, a), units_fmt_volume(st->reservoir_nl, b));
	if (!e->s->have_rx || rx->mode != MSG_MODE_CONTINUOUS || !st->concentration_ng_ml ||
	    !(p->flags & MSG_F_INFUSING) || !(st->flags & MSG_F_INFUSING) ||
	    critical(p) || critical(st) || st->reservoir_nl == 0 ||
	    st->basal_ng_day != rx->rate_ng_day)
		return 0; /* delivery may have stopped on the way: only "not up" */
	ng = (uint64_t)rx->rate_ng_day * dt / DAY_MS;
	for (size_t i = 0; i < e->ng; i++) {
		const struct grant *g = &e->g[i];
		uint64_t lo = t0 > g->start ? t0 : g->start, hi = t1 < g->end ? t1 : g->end;
		if (share(g, t0, t1)) {
			ng += share(g, t0, t1);
			tol += 2;
		}
		if (g->clin == MSG_CBOLUS_BRIDGE && hi > lo) {
			/* the basal pauses while a bridge runs (8.6) */
			ng -= (uint64_t)rx->rate_ng_day * (hi - lo) / DAY_MS;
			tol += 2;
		}
	}
	exp_nl = ng * 1000000u / st->concentration_ng_ml;
	tol += dt / DAY_MS + 1;  /* rounding: at most a nL a day and a step */
	if (drop + tol < exp_nl || drop > exp_nl + tol)
		return broke(e, "over %s the reservoir went down by %s; the basal (%s) and "
		             "the granted boluses take %s",
		             units_fmt_duration(dt, (char[UNITS_FMT_MAX]){0}),
		             units_fmt_volume(drop, a), units_fmt_rate(rx->rate_ng_day,
		             (char[UNITS_FMT_MAX]){0}), units_fmt_volume(exp_nl, b));
	return 0;
}

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

static uint64_t catheter_nl(const struct msg_config *c)
{
	return (uint64_t)c->catheter_mm * c->catheter_nl_per_mm;
}

/* What a clinician bolus of kind q should be (8.6's table) into *o: 0, or
 * the error and detail the pump must answer; 1 when the model cannot say
 * (the configuration or the bridge due is not known). */
static int cbolus_plan(const struct ex *e, const struct msg_request *q, uint64_t conc,
                       struct msg_cbolus_result *o, const char **detail)
{
	uint64_t v, d, l;
	*detail = "";
	memset(o, 0, sizeof *o);
	if (q->u.cbolus.kind == MSG_CBOLUS_SINGLE)
		return 1;   /* its sizes are the request's */
	if (!e->cfg_known)
		return 1;
	if (q->u.cbolus.kind == MSG_CBOLUS_PRIME) {
		v = catheter_nl(&e->cfg);
		if (v == 0)
			return *detail = "not configured", MSG_E_STATE;
		d = v * conc / NL_PER_ML;
		l = ceil_div(v * 3600000u, q->u.cbolus.rate_nl_h);
		if (l < CDUR_MIN || l > CDUR_MAX)
			return *detail = "rate_nl_h", MSG_E_RANGE;
	} else {
		if (e->bridge == BRIDGE_UNKNOWN)
			return 1;
		if (e->bridge == BRIDGE_NONE)
			return *detail = "no bridge due", MSG_E_STATE;
		v = e->cfg.tubing_nl + catheter_nl(&e->cfg);
		if (v == 0)
			return *detail = "not configured", MSG_E_STATE;
		d = v * e->bridge_conc / NL_PER_ML;
		if (d > CDOSE_MAX)
			return *detail = "dose_ng", MSG_E_RANGE;
		l = ceil_div(d * DAY_MS, e->bridge_rate);
		l = l < CDUR_MIN ? CDUR_MIN : l;   /* never faster than the old rate */
		if (l > CDUR_MAX)
			return *detail = "duration_ms", MSG_E_RANGE;
	}
	if (d < 1 || d > CDOSE_MAX)
		return *detail = "dose_ng", MSG_E_RANGE;
	o->kind = q->u.cbolus.kind;
	o->volume_nl = (uint32_t)v;
	o->dose_ng = (uint32_t)d;
	o->duration_ms = (uint32_t)l;
	return 0;
}

/* A clinician bolus's reply: its sizes as 8.6 computes them; a refusal
 * only for a reason that holds, never for a patient's limit (rule 1). */
static int check_cbolus(struct ex *e, const struct msg_request *q, const struct msg_reply *r)
{
	const struct msg_state *p = &e->prev;
	const char *want_detail, *kind = msg_cbolus_kind_name(q->u.cbolus.kind);
	struct msg_cbolus_result w;
	int want = cbolus_plan(e, q, p->concentration_ng_ml, &w, &want_detail);

	if (want != 1 && want != MSG_OK && (r->err != want || strcmp(r->detail, want_detail)))
		return broke(e, "a %s bolus answered %s%s%s; 8.6 says %s: %s", kind,
		             msg_err_name(r->err), r->detail[0] ? ": " : "", r->detail,
		             msg_err_name((uint16_t)want), want_detail);
	if (r->err == MSG_OK) {
		const struct msg_cbolus_result *c = &r->u.cbolus;
		if (want == MSG_OK && (c->volume_nl != w.volume_nl || c->dose_ng != w.dose_ng ||
		                       c->duration_ms != w.duration_ms))
			return broke(e, "a %s bolus of %" PRIu32 " nL, %" PRIu32 " ng over %" PRIu32
			             " ms; 8.6 computes %" PRIu32 " nL, %" PRIu32 " ng over %" PRIu32
			             " ms", kind, c->volume_nl, c->dose_ng, c->duration_ms,
			             w.volume_nl, w.dose_ng, w.duration_ms);
		if (q->u.cbolus.kind == MSG_CBOLUS_PRIME)
			e->c->prime_given++;
		if (q->u.cbolus.kind == MSG_CBOLUS_BRIDGE) {
			e->c->bridge_given++;
			e->bridge = BRIDGE_NONE;   /* a bridge given is no longer due */
		}
		return 0;
	}
	if (r->err == MSG_E_RANGE && want == 1)
		return 0;
	if (r->err != MSG_E_STATE)
		return want == MSG_E_RANGE ? 0 :
			broke(e, "a %s bolus refused as %s: %s", kind, msg_err_name(r->err), r->detail);
	/* the states that refuse it; the patient's limits are not among them */
	int holds = 0;
	if (!strcmp(r->detail, "critical alarm"))
		holds = critical(p);
	else if (!strcmp(r->detail, "stopped"))
		holds = !(p->flags & MSG_F_INFUSING);
	else if (!strcmp(r->detail, "bolus running"))
		holds = (p->flags & MSG_F_BOLUS_RUNNING) != 0;
	else if (!strcmp(r->detail, "not configured") || !strcmp(r->detail, "no bridge due"))
		holds = want == 1 || want == MSG_E_STATE;
	else if (!strcmp(r->detail, "reservoir"))
		holds = want == 1 || (uint64_t)p->reservoir_nl * p->concentration_ng_ml / NL_PER_ML <=
		        w.dose_ng + p->concentration_ng_ml / NL_PER_ML + 1;
	else if (!strcmp(r->detail, "too many clinician boluses"))
		holds = 1;   /* 64 in 24 h: more than explore gives */
	if (!holds)
		return broke(e, "a %s bolus refused as %s: %s, which does not hold", kind,
		             msg_err_name(r->err), r->detail);
	if (q->u.cbolus.kind == MSG_CBOLUS_BRIDGE && !strcmp(r->detail, "no bridge due"))
		e->bridge = BRIDGE_NONE;
	return 0;
}

/* A refill: the bridge it makes due (8.6) against the reply's flag. */
static int check_refill(struct ex *e, const struct msg_request *q, const struct msg_reply *r)
{
	const struct msg_state *p = &e->prev;
	const struct msg_rx *rx = &e->s->rx;
	if (q->u.refill.concentration_ng_ml != p->concentration_ng_ml) {
		/* c0 the old concentration, r0 the basal rate in force */
		int known = e->s->have_rx && (rx->mode == MSG_MODE_CONTINUOUS ||
		                              (p->flags & MSG_F_INFUSING));
		uint64_t r0 = rx->mode == MSG_MODE_CONTINUOUS ? rx->rate_ng_day : p->basal_ng_day;
		e->c->refill_conc++;
		if (!known)
			e->bridge = BRIDGE_UNKNOWN;
		else if (r0 == 0)
			e->bridge = BRIDGE_NONE;
		else {
			e->bridge = BRIDGE_DUE;
			e->bridge_conc = p->concentration_ng_ml;
			e->bridge_rate = r0;
			e->c->bridge_due++;
		}
	}
	if (r->u.refill.present && e->bridge != BRIDGE_UNKNOWN &&
	    !(r->u.refill.flags & MSG_RF_BRIDGE_DUE) != (e->bridge == BRIDGE_NONE))
		return broke(e, "the refill says a bridge is %sdue; 8.6 says it is %sdue",
		             r->u.refill.flags & MSG_RF_BRIDGE_DUE ? "" : "not ",
		             e->bridge == BRIDGE_DUE ? "" : "not ");
	if (r->u.refill.present && e->bridge == BRIDGE_UNKNOWN)
		e->bridge = r->u.refill.flags & MSG_RF_BRIDGE_DUE ? BRIDGE_UNKNOWN : BRIDGE_NONE;
	return 0;
}

/* A patient bolus refused for the ceiling: some window holding it would
 * pass the ceiling, with the clinician boluses' drug counted (8.6, rule
 * 2).  Checked where the model sees what the pump sees: every grant of the
 * day, and no prescription change in it (the pump then bounds the basal). */
static int check_ceiling_refusal(struct ex *e, const struct msg_state *st)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	const struct msg_rx *rx = &e->s->rx;
	uint64_t E, most;
	if (!e->complete || !e->s->have_rx || !rx->ceiling_ng_24h ||
	    e->prog_at + DAY_MS > st->now_ms)
		return 0;
	struct grant h = { st->now_ms, st->now_ms + rx->bolus_duration_ms, rx->bolus_dose_ng,
	                   rx->bolus_duration_ms, 0, 0 };
	most = window_most(e, &h, msg_rx_daily_ng(rx), 1, &E);
	/* the pump rounds each share up, this model down: a ng a bolus */
	if (most + e->ng + 2 <= rx->ceiling_ng_24h)
		return broke(e, "refused for the ceiling, but the 24 h windows the bolus "
		             "would be in hold at most %s (the ceiling is %s)",
		             units_fmt_dose(most, a), units_fmt_dose(rx->ceiling_ng_24h, b));
	return 0;
}

/* After step q was answered with r. */
static int check(struct ex *e, const struct msg_request *q, const struct msg_reply *r)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	const struct msg_state *st = &r->state, *p = &e->prev;
	uint64_t now = st->now_ms;

	if (r->err == MSG_E_MALFORMED || r->err == MSG_E_TYPE || r->err == MSG_E_ROLE ||
	    r->err == MSG_E_NOT_SIM || r->err == MSG_E_STALE_ID || r->err == MSG_E_INTERNAL ||
	    r->err == MSG_E_STORAGE)
		return broke(e, "refused as %s%s%s (a well-formed request in its role)",
		             msg_err_name(r->err), r->detail[0] ? ": " : "", r->detail);
	if (now < p->now_ms)
		return broke(e, "the pump's clock went back from %s to %s",
		             units_fmt_time(p->now_ms, a), units_fmt_time(now, b));
	if (st->reservoir_nl > st->capacity_nl)
		return broke(e, "the reservoir holds %s, more than its %s (below zero?)",
		             units_fmt_volume(st->reservoir_nl, a), units_fmt_volume(st->capacity_nl, b));
	/* the reservoir: only a clock move, a refill or a reservoir fault changes it */
	if (q->type == MSG_CLOCK) {
		if (check_delivery(e, p, st) < 0)
			return -1;
	} else if (q->type == MSG_REFILL && r->err == MSG_OK) {
		if (st->reservoir_nl != q->u.refill.volume_nl)
			return broke(e, "refilled, the reservoir holds %s",
			             units_fmt_volume(st->reservoir_nl, a));
	} else if (q->type == MSG_FAULT && q->u.fault.kind == MSG_FAULT_RESERVOIR &&
	           r->err == MSG_OK) {
		if (st->reservoir_nl != q->u.fault.arg)
			return broke(e, "the reservoir holds %s", units_fmt_volume(st->reservoir_nl, a));
	} else if (st->reservoir_nl != p->reservoir_nl) {
		return broke(e, "the reservoir changed from %s to %s with the clock standing",
		             units_fmt_volume(p->reservoir_nl, a), units_fmt_volume(st->reservoir_nl, b));
	}
	/* a bolus: a grant within every limit; a refusal only for a limit
	 * that holds */
	if (q->type == MSG_BOLUS && r->err == MSG_OK) {
		const struct msg_bolus_result *br = &r->u.bolus;
		if (br->outcome == MSG_OUT_GRANTED) {
			struct grant g = { now, br->at_ms, br->dose_ng, br->wait_ms, 0, 0 };
			if (take_grant(e, &g, st, "granted") < 0)
				return -1;
		} else if (e->complete) {
			const struct grant *last = last_patient(e);
			const struct grant *any = e->ng ? &e->g[e->ng - 1] : NULL;
			if (br->outcome == MSG_OUT_LOCKOUT &&
			    !(last && last->start + st->lockout_ms > now))
				return broke(e, "refused as lockout, but no bolus started in the last %s",
				             units_fmt_duration(st->lockout_ms, a));
			if (br->outcome == MSG_OUT_DAILY_COUNT && count_24h(e, now) < st->max_per_24h)
				return broke(e, "refused as daily_count after %u grants in 24 h (at most %u)",
				             count_24h(e, now), (unsigned)st->max_per_24h);
			if (br->outcome == MSG_OUT_RUNNING && !(any && any->end > now))
				return broke(e, "refused as running, but no granted bolus runs");
			if (br->outcome == MSG_OUT_CEILING && check_ceiling_refusal(e, st) < 0)
				return -1;
		}
	}
	if (q->type == MSG_REFILL && r->err == MSG_OK && check_refill(e, q, r) < 0)
		return -1;
	if (q->type == MSG_PROGRAM && r->err == MSG_OK)
		e->prog_at = now;
	if (q->type == MSG_CONFIG) {
		const struct msg_config *c = &q->u.config;
		int ok = c->tubing_nl <= 1000000u && c->catheter_mm <= 2000u &&
		         c->catheter_nl_per_mm <= 1000u;
		if ((r->err == MSG_OK) != ok || (r->err != MSG_OK && r->err != MSG_E_RANGE))
			return broke(e, "answered %s for a configuration %s range", msg_err_name(r->err),
			             ok ? "in" : "out of");
		if (ok && memcmp(&r->u.config.c, c, sizeof *c) != 0)
			return broke(e, "the configuration in force is not the one set");
		if (ok) {
			e->cfg = *c;
			e->cfg_known = 1;
		}
	}
	if (q->type == MSG_CBOLUS && check_cbolus(e, q, r) < 0)
		return -1;
	/* a clinician's bolus started: the grants it joins */
	if (q->type == MSG_CBOLUS && r->err == MSG_OK) {
		const struct msg_cbolus_result *c = &r->u.cbolus;
		struct grant g = { now, c->ends_at_ms, c->dose_ng, c->duration_ms,
		                   q->u.cbolus.kind, 0 };
		if (take_grant(e, &g, st, "a clinician bolus started") < 0)
			return -1;
	}
	/* a bolus running when the reservoir ran empty stopped when it did,
	 * which a step that moved the clock does not tell */
	if (st->reservoir_nl == 0)
		for (size_t i = 0; i < e->ng; i++)
			if (e->g[i].end > p->now_ms && e->g[i].start < now)
				e->g[i].unsure = 1;
	/* a bolus cut short (stopped, a critical alarm): it ended now */
	if (!(st->flags & MSG_F_BOLUS_RUNNING))
		for (size_t i = 0; i < e->ng; i++)
			if (e->g[i].end > now)
				e->g[i].end = now;
	if (!e->complete && now >= e->t_begin + 2 * DAY_MS)
		e->complete = 1;
	if (e->complete && st->boluses_24h != count_24h(e, now))
		return broke(e, "boluses_24h is %u; %u were granted in the last 24 h",
		             (unsigned)st->boluses_24h, count_24h(e, now));
	return 0;
}

/* ---- the steps ----------------------------------------------------------------------- */

static void vol_words(uint64_t nl, char *out)
{
	char v[UNITS_FMT_MAX];
	units_fmt_volume(nl, v);
	/* "12 mL" -> "12mL", as a scenario writes it */
	size_t w = 0;
	for (size_t i = 0; v[i]; i++)
		if (v[i] != ' ')
			out[w++] = v[i];
	out[w] = '\0';
}

/* The clinician's implanted system (w 100..111): a CONFIG of the tubing
 * and catheter (now and then out of range), a priming bolus at a rate, a
 * bridge bolus (8.6). */
static void clinic_step(struct ex *e, struct msg_request *q, int *role, uint64_t w)
{
	*role = SCN_CLINICIAN;
	if (w < 104) {
		struct msg_config *c = &q->u.config;
		q->type = MSG_CONFIG;
		c->tubing_nl = (uint32_t)pick(e, 0, 30) * 10000u;          /* 0..0.3 mL */
		c->catheter_mm = (uint32_t)pick(e, 0, 20) * 50u;           /* 0..1 m */
		c->catheter_nl_per_mm = (uint32_t)pick(e, 100, 300);       /* 1..3 uL/cm */
		if (pick(e, 0, 7) == 0)
			c->catheter_mm = 2001;                                 /* out of range */
		fmt_set(e->act, ACT_MAX, "as clinician config tubing=%" PRIu32 "nL catheter=%"
		        PRIu32 "mm %" PRIu32 "nL/mm", c->tubing_nl, c->catheter_mm,
		        c->catheter_nl_per_mm);
		e->c->config++;
	} else if (w < 108) {
		q->type = MSG_CBOLUS;
		q->u.cbolus.kind = MSG_CBOLUS_PRIME;
		q->u.cbolus.rate_nl_h = (uint32_t)pick(e, 10, 1000) * 1000u; /* 10 uL/h..1 mL/h */
		fmt_set(e->act, ACT_MAX, "as clinician cbolus prime %" PRIu32 "nL/h",
		        q->u.cbolus.rate_nl_h);
		e->c->prime++;
	} else {
		q->type = MSG_CBOLUS;
		q->u.cbolus.kind = MSG_CBOLUS_BRIDGE;
		fmt_set(e->act, ACT_MAX, "as clinician cbolus bridge");
		e->c->bridge++;
	}
}

/* The next random step into q (its role in *role) and e->act. */
static void next_step(struct ex *e, struct msg_request *q, int *role)
{
	const struct msg_state *p = &e->prev;
	char a[UNITS_FMT_MAX];
	uint64_t w = pick(e, 0, 111);

	memset(q, 0, sizeof *q);
	/* a critical alarm refuses every bolus: more often than not the
	 * clinic sees to it next (a refill, a new battery, a clear) */
	if (critical(p) && pick(e, 0, 2) != 0) {
		uint8_t id = 0;
		for (unsigned i = 0; i < p->n_alarms && i < MSG_ALARMS_MAX && !id; i++)
			if (p->alarms[i].priority == MSG_PRIO_HIGH)
				id = p->alarms[i].id;
		if (id == MSG_ALARM_EOS) {
			*role = SCN_TESTER;
			q->type = MSG_FAULT;
			q->u.fault.kind = MSG_FAULT_BATTERY_NEW;
			fmt_set(e->act, ACT_MAX, "fault battery_new");
			return;
		}
		if (id == MSG_ALARM_EMPTY)
			w = 70;   /* a refill, below */
		else {
			*role = SCN_CLINICIAN;
			q->type = MSG_CLEAR;
			q->u.alarm = id;
			fmt_set(e->act, ACT_MAX, "as clinician clear %s", msg_alarm_name(id));
			return;
		}
	}
	/* nor is one granted while the pump is stopped */
	if (!critical(p) && !(p->flags & MSG_F_INFUSING) && pick(e, 0, 1)) {
		*role = SCN_CLINICIAN;
		q->type = MSG_RUN;
		q->u.run = 1;
		fmt_set(e->act, ACT_MAX, "as clinician run start");
		return;
	}
	/* a bridge due is usually given soon after the refill */
	if (e->bridge == BRIDGE_DUE && pick(e, 0, 3) == 0)
		w = 108;
	if (w >= 100) {
		clinic_step(e, q, role, w);
		return;
	}
	if (w < 30) {
		*role = SCN_PATIENT;
		q->type = MSG_BOLUS;
		fmt_set(e->act, ACT_MAX, "as patient bolus");
	} else if (w < 54) {
		uint64_t r = pick(e, 0, 99), ms;
		if (r < 45)
			ms = pick(e, 1, 30) * 60000u;
		else if (r < 85)
			ms = pick(e, 30, 240) * 60000u;
		else
			ms = pick(e, 4 * 60, 26 * 60) * 60000u;
		ms += pick(e, 0, 59) * 1000u;
		*role = SCN_TESTER;
		q->type = MSG_CLOCK;
		q->u.clock.op = MSG_CLOCK_ADVANCE;
		q->u.clock.arg = ms;
		fmt_set(e->act, ACT_MAX, "clock advance %s", units_fmt_duration(ms, a));
	} else if (w < 57) {
		/* a clinician's single bolus: 0.05..1 mg over 1..60 min */
		*role = SCN_CLINICIAN;
		q->type = MSG_CBOLUS;
		q->u.cbolus.kind = MSG_CBOLUS_SINGLE;
		q->u.cbolus.dose_ng = (uint32_t)pick(e, 1, 20) * 50000u;
		q->u.cbolus.duration_ms = (uint32_t)pick(e, 1, 60) * 60000u;
		fmt_set(e->act, ACT_MAX, "as clinician cbolus single %s %s",
		        units_fmt_dose(q->u.cbolus.dose_ng, a),
		        units_fmt_duration(q->u.cbolus.duration_ms, (char[UNITS_FMT_MAX]){0}));
	} else if (w < 59) {
		*role = SCN_PATIENT;
		q->type = MSG_STATUS;
		fmt_set(e->act, ACT_MAX, "as patient status");
	} else if (w < 63) {
		*role = SCN_PATIENT;
		q->type = MSG_SILENCE;
		if (p->n_alarms && pick(e, 0, 1))
			q->u.alarm = p->alarms[pick(e, 0, p->n_alarms - 1)].id;
		fmt_set(e->act, ACT_MAX, "as patient silence %s",
		        q->u.alarm ? msg_alarm_name(q->u.alarm) : "all");
	} else if (w < 68) {
		struct msg_rx *rx = &q->u.rx;
		*role = SCN_CLINICIAN;
		q->type = MSG_PROGRAM;
		*rx = e->s->rx;
		rx->concentration_ng_ml = p->concentration_ng_ml;
		rx->capacity_nl = p->capacity_nl;
		rx->mode = MSG_MODE_CONTINUOUS;
		rx->n_steps = 0;
		memset(rx->steps, 0, sizeof rx->steps);
		rx->rate_ng_day = (uint32_t)pick(e, 1, 60) * 100000u;      /* 0.1..6 mg/day */
		if (pick(e, 0, 1)) {
			/* flexible: 1..6 steps at distinct half hours, the first at
			 * midnight, each 0.1..6 mg/day */
			unsigned n = (unsigned)pick(e, 1, 6), at = 0;
			rx->mode = MSG_MODE_FLEXIBLE;
			rx->rate_ng_day = 0;
			for (unsigned i = 0; i < n; i++) {
				if (i > 0) {
					unsigned room = 47 - at;   /* half hours left */
					if (room == 0)
						break;
					unsigned most = room / (n - i);
					at += (unsigned)pick(e, 1, most ? most : 1);
				}
				rx->steps[i].start_ms = at * 1800000u;
				rx->steps[i].rate_ng_day = (uint32_t)pick(e, 1, 60) * 100000u;
				rx->n_steps = (uint8_t)(i + 1);
			}
		}
		rx->bolus_enabled = pick(e, 0, 9) != 0;
		rx->bolus_dose_ng = (uint32_t)pick(e, 1, 20) * 50000u;     /* 0.05..1 mg */
		rx->bolus_duration_ms = (uint32_t)pick(e, 1, 30) * 60000u; /* 1..30 min */
		rx->lockout_ms = (uint32_t)pick(e, 1, 36) * 5u * 60000u;   /* 5 min..3 h */
		rx->max_per_24h = (uint16_t)pick(e, 2, 24);
		rx->ceiling_ng_24h = pick(e, 0, 9) < 4 ? 0 :
			(uint32_t)msg_rx_daily_ng(rx) + 1u + rx->bolus_dose_ng * (uint32_t)pick(e, 1, 8);
		if (!rx->silence_ms)
			rx->silence_ms = 3600000u;
		fmt_set(e->act, ACT_MAX, "as clinician program (%s %s, bolus %s%s, "
		        "lockout %s, %u a day, ceiling %s)",
		        rx->mode == MSG_MODE_FLEXIBLE ? "flexible" : "rate",
		        units_fmt_rate(rx->mode == MSG_MODE_FLEXIBLE ? msg_rx_daily_ng(rx)
		                       : rx->rate_ng_day, (char[UNITS_FMT_MAX]){0}),
		        units_fmt_dose(rx->bolus_dose_ng, a), rx->bolus_enabled ? "" : " off",
		        units_fmt_duration(rx->lockout_ms, (char[UNITS_FMT_MAX]){0}),
		        (unsigned)rx->max_per_24h, rx->ceiling_ng_24h ?
		        units_fmt_dose(rx->ceiling_ng_24h, (char[UNITS_FMT_MAX]){0}) : "none");
	} else if (w < 74) {
		char v[UNITS_FMT_MAX];
		*role = SCN_CLINICIAN;
		q->type = MSG_REFILL;
		q->u.refill.volume_nl = (uint32_t)pick(e, p->capacity_nl / 4000u,
		                                       p->capacity_nl / 1000u) * 1000u;
		q->u.refill.concentration_ng_ml = p->concentration_ng_ml;
		vol_words(q->u.refill.volume_nl, v);
		if (pick(e, 0, 1)) {
			/* a new concentration (a bridge is then due), the withdrawn
			 * volume sent so that the reply says whether */
			static const uint32_t mg_ml[] = { 1, 2, 5, 10, 20, 25, 50 };
			q->u.refill.concentration_ng_ml = mg_ml[pick(e, 0, 6)] * 1000000u;
			q->u.refill.has_withdrawn = 1;
			q->u.refill.withdrawn_nl = p->reservoir_nl;
			fmt_set(e->act, ACT_MAX, "as clinician refill %s %s withdrawn=%" PRIu32 "nL",
			        v, units_fmt_conc(q->u.refill.concentration_ng_ml, a),
			        q->u.refill.withdrawn_nl);
		} else {
			fmt_set(e->act, ACT_MAX, "as clinician refill %s", v);
		}
	} else if (w < 84) {
		static const uint8_t kinds[] = {
			MSG_FAULT_MOTOR_STALL, MSG_FAULT_MOTOR_STALL, MSG_FAULT_MEMORY,
			MSG_FAULT_MEMORY_CRITICAL, MSG_FAULT_BATTERY_ERI, MSG_FAULT_BATTERY_EOS,
			MSG_FAULT_BATTERY_NEW, MSG_FAULT_BATTERY_NEW, MSG_FAULT_RESERVOIR,
			MSG_FAULT_RESERVOIR, MSG_FAULT_RESERVOIR, MSG_FAULT_OCCLUSION,
			MSG_FAULT_STALL_FOR, MSG_FAULT_STALL_FOR,
		};
		*role = SCN_TESTER;
		q->type = MSG_FAULT;
		q->u.fault.kind = kinds[pick(e, 0, sizeof kinds - 1)];
		if (q->u.fault.kind == MSG_FAULT_RESERVOIR) {
			char v[UNITS_FMT_MAX];
			q->u.fault.arg = pick(e, 0, p->capacity_nl / 1000u) * 1000u;
			vol_words(q->u.fault.arg, v);
			fmt_set(e->act, ACT_MAX, "fault reservoir %s", v);
		} else if (q->u.fault.kind == MSG_FAULT_OCCLUSION) {
			q->u.fault.arg = pick(e, 0, 1) ? 100 : pick(e, 0, 100);
			fmt_set(e->act, ACT_MAX, "fault occlusion %u%%", (unsigned)q->u.fault.arg);
		} else if (q->u.fault.kind == MSG_FAULT_STALL_FOR) {
			q->u.fault.arg = pick(e, 1, 240) * 60000u;   /* 1 min .. 4 h */
			fmt_set(e->act, ACT_MAX, "fault stall_for %s",
			        units_fmt_duration(q->u.fault.arg, a));
		} else {
			fmt_set(e->act, ACT_MAX, "fault %s", msg_fault_name(q->u.fault.kind));
		}
	} else if (w < 94 && p->n_alarms) {
		*role = SCN_CLINICIAN;
		q->type = MSG_CLEAR;
		q->u.alarm = p->alarms[pick(e, 0, p->n_alarms - 1)].id;
		fmt_set(e->act, ACT_MAX, "as clinician clear %s", msg_alarm_name(q->u.alarm));
	} else {
		*role = SCN_CLINICIAN;
		q->type = MSG_RUN;
		q->u.run = pick(e, 0, 9) < 7;
		fmt_set(e->act, ACT_MAX, "as clinician run %s", q->u.run ? "start" : "stop");
	}
}

static int send_step(struct ex *e, int role, const struct msg_request *q)
{
	char w[600];
	if (scnsend_request(e->s, e->l, role, q, w, sizeof w) != 0) {
		fmt_set(e->why, e->wn, "explore seed=%" PRIu64 ": step %" PRIu64 ": %s: %s",
		        e->x->seed, e->step, e->act, w);
		return -1;
	}
	return 0;
}

int scnexplore_run(const struct scnexplore *x, struct scnsend *s, struct scnlink *l,
                   char *why, size_t n, struct scnexplore_counts *c)
{
	static struct ex e;
	static struct msg_request q;
	int role;

	memset(&e, 0, sizeof e);
	memset(c, 0, sizeof *c);
	e.c = c;
	e.bridge = BRIDGE_UNKNOWN;
	e.x = x;
	e.s = s;
	e.l = l;
	e.rng = x->seed;
	e.why = why;
	e.wn = n;
	why[0] = '\0';
	/* a frozen clock: every number follows from the steps */
	memset(&q, 0, sizeof q);
	q.type = MSG_CLOCK;
	q.u.clock.op = MSG_CLOCK_SPEED;
	fmt_set(e.act, ACT_MAX, "clock speed 0");
	if (send_step(&e, SCN_TESTER, &q) != 0)
		return -1;
	if (s->reply.err != MSG_OK) {
		broke(&e, "refused as %s", msg_err_name(s->reply.err));
		return 0;
	}
	e.prev = s->reply.state;
	e.t_begin = e.prev.now_ms;
	e.prog_at = e.t_begin;
	e.complete = e.prev.boluses_24h == 0 && !(e.prev.flags & MSG_F_BOLUS_RUNNING);
	for (e.step = 1; e.step <= x->n; e.step++) {
		next_step(&e, &q, &role);
		if (x->say)
			x->say(x->ud, e.act);
		if (send_step(&e, role, &q) != 0)
			return -1;
		if (check(&e, &q, &s->reply) != 0)
			return 0;
		fmt_set(e.trail[e.step % TRAIL], sizeof e.trail[0], "%" PRIu64 " %s", e.step, e.act);
		e.prev = s->reply.state;
	}
	return 1;
}
