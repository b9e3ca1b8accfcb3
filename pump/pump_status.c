/*
 * pump/pump_status.c — the snapshot a remote shows: reservoir, alarms by
 * priority, the outcome a bolus request would get now and when the next one
 * is allowed, the next refill date (pump_forecast.c), counters.  Pure: no
 * I/O, no allocation; works on copies, never changes the caller's pump.
 */
#include "pump/pump_int.h"

#include <string.h>

/* Active alarms, highest priority first, then oldest first. */
static void list_alarms(const pump *q, pump_snapshot *o)
{
	for (int prio = PUMP_PRIO_HIGH; prio >= PUMP_PRIO_LOW; prio--) {
		uint32_t from = o->n_alarms;
		for (int i = PUMP_ALARM_FIRST; i < PUMP_ALARM__COUNT; i++) {
			if (!q->alarms[i].active || pump_alarm_priority(i) != prio)
				continue;
			uint32_t k = o->n_alarms++;
			while (k > from && o->alarms[k - 1].raised_ms >
			                       q->alarms[i].raised_ms) {
				o->alarms[k] = o->alarms[k - 1];
				k--;
			}
			o->alarms[k].id = i;
			o->alarms[k].priority = prio;
			o->alarms[k].raised_ms = q->alarms[i].raised_ms;
			o->alarms[k].silenced_until_ms = q->alarms[i].silenced_until_ms;
		}
	}
}

void pump_status(const pump *p, int64_t now_ms, pump_snapshot *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	if (!p)
		return;
	pump q = *p;
	pump_advance(&q, now_ms, NULL, NULL);
	const pump_rx *rx = &q.rx;
	o->now_ms = q.now_ms;
	o->mode = rx->mode;
	o->running = q.running;
	o->delivering = pump_delivering(&q);
	memcpy(o->drug, rx->drug, sizeof o->drug);
	o->concentration_ng_ml = rx->concentration_ng_ml;
	o->reservoir_nl = pump_reservoir_nl(&q);
	o->capacity_nl = rx->capacity_nl;
	o->low_threshold_nl = rx->low_threshold_nl;
	o->basal_ng_day = o->delivering ? pump_rate_at(rx, q.now_ms) : 0;
	o->bolus_enabled = rx->bolus_enabled;
	o->bolus_dose_ng = rx->bolus_dose_ng;
	o->bolus_duration_ms = rx->bolus_duration_ms;
	o->lockout_ms = rx->lockout_ms;
	o->max_per_24h = rx->max_per_24h;
	o->ceiling_ng_24h = rx->ceiling_ng_24h;
	o->bolus_running = q.bolus_running;
	o->bolus_ends_ms = q.bolus_running ? pump_hist_last(&q)->end_ms : 0;
	o->bolus_kind = q.bolus_running ? pump_hist_last(&q)->kind : 0;
	for (uint32_t i = 0; i < q.hist_count; i++)
		o->boluses_24h += pump_hist_cat(&q, i)->start_ms > q.now_ms - PUMP_DAY &&
		                  pump_hist_cat(&q, i)->kind == PUMP_KIND_PATIENT;
	pump_bolus_result r;
	o->next_bolus_ms = pump_bolus_next(&q, &r);
	o->bolus_now = r.outcome;
	o->next_refill_ms = pump_forecast_refill(&q);
	o->eri_ms = pump_eri_at(&q);
	o->eos_ms = q.eos_ms;
	list_alarms(&q, o);
	memcpy(o->outcomes, q.outcomes, sizeof o->outcomes);
	o->basal_ng = q.basal_ng;
	o->bolus_ng = q.bolus_ng;
	o->delivered_ng = q.basal_ng + q.bolus_ng;
	o->delivered_nl = q.delivered_nl + (q.fill_nl - pump_reservoir_nl(&q));
}

void pump_counts(const pump *p, uint32_t out[PUMP_BOLUS__COUNT])
{
	memcpy(out, p->outcomes, sizeof p->outcomes);
}
