/*
 * pump/pump_hist.c — what every part of the model reads: the bolus history
 * ring (the running bolus is its newest record), whether drug flows, the
 * battery's dates, and events out to the caller.
 */
#include "pump/pump_int.h"

#include <string.h>

void pump_emit(pump_sink *s, int kind, int alarm, int64_t at, int64_t value)
{
	if (!s || !s->cb)
		return;
	pump_event ev = { .kind = kind, .alarm = alarm, .at_ms = at,
	                  .value = value };
	s->cb(s->ud, &ev);
}

void pump_emit_bolus(pump_sink *s, int kind, int bolus, int64_t at,
                     int64_t value)
{
	if (!s || !s->cb)
		return;
	pump_event ev = { .kind = kind, .alarm = PUMP_ALARM_NONE,
	                  .bolus = bolus, .at_ms = at, .value = value };
	s->cb(s->ud, &ev);
}

/* ---- state predicates ---------------------------------------------------- */

static const int critical_order[] = {
	PUMP_ALARM_EMPTY, PUMP_ALARM_EOS, PUMP_ALARM_MOTOR_STALL,
	PUMP_ALARM_MEMORY_CRITICAL,
};

bool pump_critical_active(const pump *p, int *which)
{
	for (size_t i = 0; i < sizeof critical_order / sizeof critical_order[0];
	     i++)
		if (p->alarms[critical_order[i]].active) {
			if (which)
				*which = critical_order[i];
			return true;
		}
	return false;
}

bool pump_delivering(const pump *p)
{
	return p->running && p->rx.mode != PUMP_MODE_STOPPED &&
	       !pump_critical_active(p, NULL);
}

int64_t pump_eri_at(const pump *p)
{
	return p->eos_ms - PUMP_ERI_BEFORE_EOS_MS;
}

/* ---- history ring -------------------------------------------------------- */

pump_bolus_rec *pump_hist_at(pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

const pump_bolus_rec *pump_hist_cat(const pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

pump_bolus_rec *pump_hist_last(pump *p)
{
	return p->hist_count ? pump_hist_at(p, p->hist_count - 1) : NULL;
}

void pump_hist_prune(pump *p, int64_t t)
{
	while (p->hist_count > 0) {
		pump_bolus_rec *r = pump_hist_at(p, 0);
		if (r->end_ms > t - PUMP_DAY ||
		    (p->bolus_running && p->hist_count == 1))
			break;
		memset(r, 0, sizeof *r);
		p->hist_first = (p->hist_first + 1) % PUMP_HISTORY_MAX;
		p->hist_count--;
	}
	if (p->hist_count == 0)
		p->hist_first = 0;
}

pump_bolus_rec *pump_hist_push(pump *p, int64_t start_ms, int64_t end_ms,
                               uint32_t dose_ng, int kind)
{
	pump_hist_prune(p, start_ms);
	pump_bolus_rec *b = pump_hist_at(p, p->hist_count);
	p->hist_count++;
	b->start_ms = start_ms;
	b->end_ms = end_ms;
	b->dose_ng = dose_ng;
	b->done_ng = 0;
	b->kind = kind;
	return b;
}

const pump_bolus_rec *pump_hist_last_patient(const pump *p)
{
	for (uint32_t i = p->hist_count; i-- > 0;) {
		const pump_bolus_rec *r = pump_hist_cat(p, i);
		if (r->kind == PUMP_KIND_PATIENT)
			return r;
	}
	return NULL;
}

void pump_finish_bolus(pump *p, int64_t t, pump_sink *s)
{
	pump_bolus_rec *b = pump_hist_last(p);
	p->bolus_running = false;
	if (b->done_ng < b->dose_ng) {
		b->dose_ng = b->done_ng;
		b->end_ms = t;
		pump_emit_bolus(s, PUMP_EV_BOLUS_ABORTED, b->kind, t, b->done_ng);
	} else {
		pump_emit_bolus(s, PUMP_EV_BOLUS_END, b->kind, t, b->dose_ng);
	}
}
