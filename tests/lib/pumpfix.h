/*
 * tests/lib/pumpfix.h — the pump model suites' fixture (header only: they
 * link the model alone): times, a pump on a prescription, an event log.
 */
#ifndef PTM_TESTS_LIB_PUMPFIX_H
#define PTM_TESTS_LIB_PUMPFIX_H

#include <criterion/criterion.h>

#include "pump/pump.h"

#define DAY  PUMP_MS_PER_DAY
#define HOUR 3600000LL
#define MIN  60000LL
#define T0   1699920000000LL /* 2023-11-14 00:00:00 UTC, a pump midnight */

/* the events pump_advance reported (the first 64) */
typedef struct pumpfix_log {
	int n;
	pump_event ev[64];
} pumpfix_log;

static inline void pumpfix_record(void *ud, const pump_event *ev)
{
	pumpfix_log *l = ud;
	if (l->n < 64)
		l->ev[l->n++] = *ev;
}

/* the first event of kind (and alarm, unless < 0), or NULL */
static inline const pump_event *pumpfix_find(const pumpfix_log *l, int kind, int alarm)
{
	for (int i = 0; i < l->n; i++)
		if (l->ev[i].kind == kind && (alarm < 0 || l->ev[i].alarm == alarm))
			return &l->ev[i];
	return NULL;
}

/* a pump started at T0 on rx (NULL: pump_rx_default) holding vol nL */
static inline pump pumpfix_fresh(const pump_rx *rx, uint32_t vol)
{
	pump p;
	pump_rx d;
	if (!rx) {
		pump_rx_default(&d);
		rx = &d;
	}
	cr_assert_eq(pump_init(&p, rx, T0, vol), 0);
	return p;
}

/* the reservoir is at or below the low threshold */
static inline bool pumpfix_low(const pump *p)
{
	return pump_reservoir_nl(p) <= p->rx.low_threshold_nl;
}

/* The first ms in (now, limit] at which the reservoir is at or below the
 * low threshold when basal runs and a bolus is asked for at every moment the
 * pump names (now, the end of the lockout, when the count or the ceiling
 * allows); p->now_ms when already there; 0 when not by limit or when drug
 * stops flowing first.  Public calls only, on a copy. */
static inline int64_t pumpfix_greedy_refill(const pump *p, int64_t limit)
{
	pump q = *p;
	if (pumpfix_low(&q))
		return q.now_ms;
	while (q.now_ms < limit) {
		pump_bolus_result r;
		pump_bolus_check(&q, &r);
		if (r.outcome == PUMP_BOLUS_STOPPED || r.outcome == PUMP_BOLUS_CRITICAL)
			return 0; /* nothing flows until someone acts */
		if (r.outcome == PUMP_BOLUS_GRANTED) {
			pump_bolus(&q, q.now_ms, &r, NULL, NULL);
			continue; /* asked again: running, with the next time */
		}
		int64_t next = r.next_at_ms > q.now_ms ? r.next_at_ms : limit;
		if (next > limit)
			next = limit;
		pump c = q;
		pump_advance(&c, next, NULL, NULL);
		if (pumpfix_low(&c)) {
			int64_t lo = q.now_ms, hi = next;
			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;
				pump m = q;
				pump_advance(&m, mid, NULL, NULL);
				if (pumpfix_low(&m))
					hi = mid;
				else
					lo = mid;
			}
			return hi;
		}
		q = c;
	}
	return 0;
}

#endif
