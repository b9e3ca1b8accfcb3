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

#endif
