/*
 * pumpd/pump_forecast.c — the next refill date: when the reservoir reaches
 * the low threshold if basal runs and every allowed bolus is taken.  Pure:
 * no I/O, no allocation; works on a copy.
 */
#include "pumpd/pump_int.h"

typedef struct low_watch {
	int64_t at;
} low_watch;

static void low_seen(void *ud, const pump_event *ev)
{
	low_watch *w = ud;
	if (w->at == 0 && ev->kind == PUMP_EV_ALARM_RAISED &&
	    (ev->alarm == PUMP_ALARM_LOW_RESERVOIR || ev->alarm == PUMP_ALARM_EMPTY))
		w->at = ev->at_ms;
}

/* When the reservoir reaches the low threshold if basal runs and every
 * allowed bolus is taken as soon as it is allowed (0 = not within 3 years or
 * not delivering). */
int64_t pump_forecast_refill(const pump *p)
{
	if (p->alarms[PUMP_ALARM_LOW_RESERVOIR].active ||
	    p->alarms[PUMP_ALARM_EMPTY].active)
		return p->now_ms;
	if (!pump_delivering(p))
		return 0;
	pump q = *p;
	int64_t horizon = q.now_ms + 3 * 366 * PUMP_DAY;
	low_watch w = { 0 };
	for (int i = 0; i < 200000; i++) {
		pump_bolus_result r;
		pump_bolus_check(&q, &r);
		int64_t target;
		if (r.outcome == PUMP_BOLUS_GRANTED) {
			pump_grant(&q); /* the next try: end of lockout (>= bolus end) */
			target = q.now_ms + q.rx.bolus_lockout_ms;
		} else {
			target = r.next_at_ms > q.now_ms ? r.next_at_ms : horizon;
		}
		if (target > horizon)
			target = horizon;
		pump_advance(&q, target, low_seen, &w);
		if (w.at)
			return w.at;
		if (!pump_delivering(&q) || q.now_ms >= horizon)
			return 0;
	}
	return 0;
}
