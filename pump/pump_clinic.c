/*
 * pump/pump_clinic.c — the clinician's side of the pump: the implanted
 * system's dead volumes (pump tubing, catheter) and clinician boluses
 * (single, priming, bridge).  Pure: no I/O, no clock reads, no allocation.
 *
 * How a clinician bolus meets the patient's limits
 *   A clinician bolus is the clinician's decision: lockout, the 24 h count
 *   and the ceiling never refuse it.  It is a record in the bolus history
 *   with its kind, so afterwards:
 *   - the ceiling counts its drug like any bolus's (every 24 h window a
 *     later patient bolus is checked against holds its share), so a patient
 *     bolus after it waits until the window has room;
 *   - the 24 h count and the lockout see patient boluses only: it is not a
 *     patient activation, and the lockout still runs from the patient's
 *     last start;
 *   - while it runs no patient bolus starts (outcome "running": the pump
 *     delivers one bolus at a time; a bridge at a low old rate may take
 *     days), and it cannot start while another bolus runs.
 *
 * Arithmetic (integers; volume nL, drug ng, time ms)
 *   single  dose D over L ms as the clinician enters them.
 *   prime   V = catheter_mm * catheter_nl_per_mm; D = floor(V * conc / 1e6)
 *           (the drug that enters the catheter, all counted as delivered:
 *           the conservative side for the ceiling); L = ceil(V * 3600000 /
 *           rate_nl_h).
 *   bridge  V = tubing_nl + catheter volume, full of the old drug at the
 *           old concentration c0; D = floor(V * c0 / 1e6), delivered at the
 *           old basal rate r0 (ng/day in force at the refill): L = ceil(D *
 *           86400000 / r0).  The basal pauses while it runs (the bridge is
 *           the old dose rate in the basal's place); the ceiling still
 *           counts the basal bound beside it (conservative by at most D).
 *   The model accounts drug drawn from the reservoir as drug delivered, so
 *   a bridge draws D ng of the reservoir like any bolus.
 */
#include "pump/pump_int.h"

#include <string.h>

static const char *const kind_names[PUMP_KIND__COUNT] = {
	[PUMP_KIND_PATIENT] = "patient",
	[PUMP_KIND_SINGLE]  = "single",
	[PUMP_KIND_PRIME]   = "prime",
	[PUMP_KIND_BRIDGE]  = "bridge",
};

const char *pump_bolus_kind_name(int kind)
{
	if (kind < 0 || kind >= PUMP_KIND__COUNT)
		return "?";
	return kind_names[kind];
}

/* ---- the implanted system ------------------------------------------------ */

static int bad(const char **out, const char *field, int err)
{
	if (out)
		*out = field;
	return err;
}

int pump_config_validate(const pump_config *c, const char **field_out)
{
	if (field_out)
		*field_out = NULL;
	if (!c)
		return PUMP_E_INVAL;
	if (c->tubing_nl > PUMP_TUBING_NL_MAX)
		return bad(field_out, "tubing_nl", PUMP_E_RANGE);
	if (c->catheter_mm > PUMP_CATHETER_MM_MAX)
		return bad(field_out, "catheter_mm", PUMP_E_RANGE);
	if (c->catheter_nl_per_mm > PUMP_CATHETER_NL_MM_MAX)
		return bad(field_out, "catheter_nl_per_mm", PUMP_E_RANGE);
	return 0;
}

uint32_t pump_catheter_nl(const pump_config *c)
{
	return c ? c->catheter_mm * c->catheter_nl_per_mm : 0; /* <= 2e6 */
}

int pump_configure(pump *p, int64_t now_ms, const pump_config *c,
                   const char **field_out, pump_event_fn cb, void *ud)
{
	if (!p || !c)
		return bad(field_out, NULL, PUMP_E_INVAL);
	int rc = pump_config_validate(c, field_out);
	if (rc < 0)
		return rc;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	p->cfg = *c;
	pump_emit(&s, PUMP_EV_CONFIGURED, PUMP_ALARM_NONE, p->now_ms, 0);
	pump_settle(p, &s);
	return 0;
}

void pump_get_config(const pump *p, pump_config *out)
{
	if (!out)
		return;
	memset(out, 0, sizeof *out);
	if (p)
		*out = p->cfg;
}

bool pump_bridge_due(const pump *p)
{
	return p && p->bridge_conc != 0 && p->bridge_rate_ng_day != 0;
}

/* ---- clinician boluses --------------------------------------------------- */

static uint64_t ceil_div(uint64_t a, uint64_t b)
{
	return (a + b - 1) / b;
}

/* The kind's volume, dose and duration; 0 or an error with *why. */
static int sizes(const pump *p, const pump_cbolus_req *q, pump_cbolus_info *o,
                 const char **why)
{
	uint64_t conc = p->rx.concentration_ng_ml, v, d, l;
	switch (q->kind) {
	case PUMP_KIND_SINGLE:
		if (q->dose_ng < 1 || q->dose_ng > PUMP_DOSE_MAX)
			return bad(why, "dose_ng", PUMP_E_RANGE);
		if (q->duration_ms < PUMP_CBOLUS_DUR_MIN ||
		    q->duration_ms > PUMP_CBOLUS_DUR_MAX)
			return bad(why, "duration_ms", PUMP_E_RANGE);
		d = q->dose_ng;
		l = q->duration_ms;
		v = ceil_div(d * PUMP_NL_PER_ML, conc);
		break;
	case PUMP_KIND_PRIME:
		if (q->rate_nl_h < PUMP_PRIME_RATE_MIN ||
		    q->rate_nl_h > PUMP_PRIME_RATE_MAX)
			return bad(why, "rate_nl_h", PUMP_E_RANGE);
		v = pump_catheter_nl(&p->cfg);
		if (v == 0)
			return bad(why, "not configured", PUMP_E_STATE);
		d = v * conc / PUMP_NL_PER_ML;
		l = ceil_div(v * 3600000u, q->rate_nl_h);
		if (l < PUMP_CBOLUS_DUR_MIN || l > PUMP_CBOLUS_DUR_MAX)
			return bad(why, "rate_nl_h", PUMP_E_RANGE);
		break;
	case PUMP_KIND_BRIDGE:
		if (!pump_bridge_due(p))
			return bad(why, "no bridge due", PUMP_E_STATE);
		v = (uint64_t)p->cfg.tubing_nl + pump_catheter_nl(&p->cfg);
		if (v == 0)
			return bad(why, "not configured", PUMP_E_STATE);
		d = v * p->bridge_conc / PUMP_NL_PER_ML;
		if (d > PUMP_DOSE_MAX)
			return bad(why, "dose_ng", PUMP_E_RANGE);
		l = ceil_div(d * (uint64_t)PUMP_DAY, p->bridge_rate_ng_day);
		if (l < PUMP_CBOLUS_DUR_MIN)
			l = PUMP_CBOLUS_DUR_MIN; /* never faster than the old rate */
		if (l > PUMP_CBOLUS_DUR_MAX)
			return bad(why, "duration_ms", PUMP_E_RANGE);
		break;
	default:
		return bad(why, "kind", PUMP_E_RANGE);
	}
	if (d < 1 || d > PUMP_DOSE_MAX)
		return bad(why, "dose_ng", PUMP_E_RANGE);
	o->kind = q->kind;
	o->volume_nl = (uint32_t)(v > UINT32_MAX ? UINT32_MAX : v);
	o->dose_ng = (uint32_t)d;
	o->duration_ms = (uint32_t)l;
	return 0;
}

int pump_cbolus_plan(const pump *p, const pump_cbolus_req *q,
                     pump_cbolus_info *out, const char **why)
{
	if (why)
		*why = NULL;
	if (!p || !q)
		return PUMP_E_INVAL;
	pump_cbolus_info o;
	memset(&o, 0, sizeof o);
	int rc = sizes(p, q, &o, why);
	if (rc < 0)
		return rc;
	if (pump_critical_active(p, NULL))
		return bad(why, "critical alarm", PUMP_E_STATE);
	if (!pump_delivering(p))
		return bad(why, "stopped", PUMP_E_STATE);
	if (p->bolus_running)
		return bad(why, "bolus running", PUMP_E_STATE);
	uint32_t n = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *r = pump_hist_cat(p, i);
		n += r->kind != PUMP_KIND_PATIENT && r->end_ms > p->now_ms - PUMP_DAY;
	}
	if (n >= PUMP_CBOLUS_24H_MAX)
		return bad(why, "too many clinician boluses", PUMP_E_STATE);
	if (p->fill_drug_ng - p->drawn_ng < o.dose_ng)
		return bad(why, "reservoir", PUMP_E_STATE);
	o.start_ms = p->now_ms;
	o.ends_at_ms = p->now_ms + o.duration_ms;
	if (out)
		*out = o;
	return 0;
}

int pump_cbolus(pump *p, int64_t now_ms, const pump_cbolus_req *q,
                pump_cbolus_info *out, const char **why, pump_event_fn cb,
                void *ud)
{
	if (why)
		*why = NULL;
	if (!p || !q)
		return PUMP_E_INVAL;
	/* decided on a copy: a refusal changes nothing, not even the time */
	pump c = *p;
	pump_advance(&c, now_ms, NULL, NULL);
	pump_cbolus_info o;
	int rc = pump_cbolus_plan(&c, q, &o, why);
	if (rc < 0)
		return rc;
	pump_sink s = { cb, ud };
	pump_advance(p, now_ms, cb, ud);
	pump_hist_push(p, o.start_ms, o.ends_at_ms, o.dose_ng, o.kind);
	p->bolus_running = true;
	if (o.kind == PUMP_KIND_BRIDGE) {
		p->bridge_conc = 0;
		p->bridge_rate_ng_day = 0;
	}
	pump_emit_bolus(&s, PUMP_EV_BOLUS_STARTED, o.kind, o.start_ms, o.dose_ng);
	pump_settle(p, &s);
	if (out)
		*out = o;
	return 0;
}
