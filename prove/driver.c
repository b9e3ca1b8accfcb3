/*
 * prove/driver.c — the Frama-C EVA driver for the pump model: every entry
 * point of pump/pump.h called with prescriptions whose fields span their
 * documented ranges (pumpd(8), PRESCRIPTION LIMITS, and pump_rx_validate),
 * times across the model's whole range and beyond (clocks going backwards
 * included), any bytes as a stored state, and any action after any other.
 * Not part of any program: `make prove` gives it to frama-c (prove/run.sh).
 *
 * The time zone (pump_zone.c) is explored apart.  The life_* explorations
 * take prescriptions in UTC (zone none: the schedule's clock is t itself);
 * the zone_* explorations take flexible prescriptions with a zone across its
 * whole documented range (with and without daylight saving) through every
 * entry that reaches pump_zone.c.  The zone is read only through the pure
 * functions of (prescription, time) below, each only in FLEXIBLE mode
 * (pump_zone_validate and pump_zone_same, through validation and
 * reprogramming, and the reader/writer of stored states excepted):
 *   pump_rate_at           <- delivery (pump_deliver.c), status, refill
 *   pump_next_rate_change  <- delivery's horizon (advance, every settle)
 *   pump_basal_integral    <- the refill forecast (status)
 *   pump_rx_day_bound_ng   <- validation's ceiling check, the bolus ceiling
 * Their callers pass times the model clamps to [0, PUMP_TIME_MAX] and take
 * back a rate (a step's), a time (PUMP_TIME_MAX or later: INT64_MAX) or an
 * integral capped by its caller, zone or none; so a caller's arithmetic is
 * the same whatever the zone, and the zone's own arithmetic is explored by
 * zone_* (with each caller), refusals (validation of any bits) and stored_*
 * (any zone the reader accepts; stored_status without daylight saving).
 * With every life's prescription possibly zoned, a life (a bolus, then an
 * action) took up to 28 minutes, and two did not end in 50.
 */
#include "__fc_builtin.h"
#include "pump.h"   /* the model's folder is on the include path */

#include <string.h>

static uint32_t u32_in(uint32_t lo, uint32_t hi)
{
	return Frama_C_unsigned_int_interval(lo, hi);
}

static int64_t any_time(void)
{
	return Frama_C_long_long_interval(INT64_MIN, INT64_MAX);
}

/* ---- prescriptions ------------------------------------------------------- */

/* Every field anywhere in its type: validation's refusals. */
static void any_bits_rx(pump_rx *rx)
{
	Frama_C_make_unknown((char *)rx, sizeof *rx);
}

/* A time zone across its documented ranges (pump.h, pump_zone_validate),
 * with or without daylight saving; the months' distance left to
 * pump_rx_validate. */
static void ranged_zone(pump_zone *z)
{
	z->name[0] = 'Z';
	z->std_ms = Frama_C_interval(-(int)PUMP_ZONE_OFF_MAX + 1,
	                             (int)PUMP_ZONE_OFF_MAX - 1);
	z->dst = Frama_C_nondet(0, 1);
	if (z->dst) {
		z->dst_ms = Frama_C_interval(-(int)PUMP_ZONE_OFF_MAX + 1,
		                             (int)PUMP_ZONE_OFF_MAX - 1);
		pump_zone_rule *r[2] = { &z->start, &z->end };
		for (int k = 0; k < 2; k++) {
			r[k]->month = u32_in(1, 12);
			r[k]->week = u32_in(1, 5);
			r[k]->wday = u32_in(0, 6);
			r[k]->time_ms = Frama_C_interval(-(int)PUMP_ZONE_TIME_MAX,
			                                 (int)PUMP_ZONE_TIME_MAX);
		}
	}
}

/* Set by the zone_* explorations: the prescriptions they make are flexible
 * schedules in a zone (the zone is read in FLEXIBLE mode only). */
static int zoned;

/* Every field across its documented range, the cross-field rules left to
 * pump_rx_validate (a prescription it refuses never reaches a pump); in UTC,
 * or (zoned) flexible in a zone. */
static void ranged_rx(pump_rx *rx)
{
	memset(rx, 0, sizeof *rx);
	uint32_t len = u32_in(1, PUMP_DRUG_MAX - 1);
	for (uint32_t i = 0; i < PUMP_DRUG_MAX - 1; i++)
		if (i < len)
			rx->drug[i] = Frama_C_char_interval(0x20, 0x7e);
	rx->concentration_ng_ml = u32_in(PUMP_CONC_MIN, PUMP_CONC_MAX);
	rx->capacity_nl = Frama_C_nondet(0, 1) ? PUMP_CAPACITY_20ML
	                                       : PUMP_CAPACITY_40ML;
	rx->mode = zoned ? PUMP_MODE_FLEXIBLE
	                 : Frama_C_interval(PUMP_MODE_STOPPED, PUMP_MODE_FLEXIBLE);
	if (rx->mode == PUMP_MODE_CONTINUOUS)
		rx->rate_ng_day = u32_in(0, PUMP_RATE_MAX);
	if (rx->mode == PUMP_MODE_FLEXIBLE) {
		rx->n_steps = u32_in(1, PUMP_STEPS_MAX);
		for (uint32_t i = 0; i < PUMP_STEPS_MAX; i++) {
			if (i >= rx->n_steps)
				break;
			rx->steps[i].start_ms =
				i == 0 ? 0u : u32_in(i, (uint32_t)PUMP_MS_PER_DAY - 1u);
			rx->steps[i].rate_ng_day = u32_in(0, PUMP_RATE_MAX);
		}
	}
	rx->bolus_enabled = Frama_C_nondet(0, 1);
	if (rx->bolus_enabled) {
		rx->bolus_dose_ng = u32_in(1, PUMP_DOSE_MAX);
		rx->bolus_duration_ms = u32_in(PUMP_BOLUS_DUR_MIN, PUMP_BOLUS_DUR_MAX);
		rx->lockout_ms = u32_in(PUMP_BOLUS_DUR_MIN, PUMP_LOCKOUT_MAX);
		rx->max_per_24h = u32_in(1, PUMP_MAX24_MAX);
	}
	rx->ceiling_ng_24h = Frama_C_nondet(0, 1)
	                         ? 0u : u32_in(2, UINT32_MAX);
	rx->low_threshold_nl = u32_in(1, rx->capacity_nl / 2u);
	rx->silence_ms = u32_in(PUMP_SILENCE_MIN, PUMP_SILENCE_MAX);
	rx->battery_life_days = u32_in(PUMP_BATTERY_DAYS_MIN, PUMP_BATTERY_DAYS_MAX);
	if (zoned)
		ranged_zone(&rx->zone);
}

/* ---- the explorations ---------------------------------------------------- */

static unsigned long events;
static void on_event(void *ud, const pump_event *ev)
{
	(void)ud;
	events += (unsigned long)(ev->kind + ev->alarm) + (unsigned long)ev->at_ms;
}

static uint8_t buf[PUMP_SERIAL_MAX];

/* Names and errors: every number, known or not. */
static void names(void)
{
	int n = Frama_C_interval(INT32_MIN, INT32_MAX);
	(void)pump_strerror(n);
	(void)pump_alarm_name(n);
	(void)pump_outcome_name(n);
	(void)pump_event_name(n);
	(void)pump_fault_name(n);
	(void)pump_alarm_priority(n);
	(void)pump_alarm_is_critical(n);
	char s[16];
	Frama_C_make_unknown(s, sizeof s - 1);
	s[sizeof s - 1] = 0;
	(void)pump_alarm_from_name(s);
	(void)pump_fault_from_name(s);
	(void)pump_alarm_from_name(NULL);
}

/* A prescription of any bits: validation (its zone's included) refuses or
 * accepts, never fails.  The schedule's functions of a zone take a
 * prescription validation accepted (every pump's is): zone_rx. */
static void refusals(void)
{
	pump_rx rx;
	const char *field;
	pump p;
	any_bits_rx(&rx);
	rx.bolus_enabled = Frama_C_nondet(0, 1); /* a _Bool holds 0 or 1 */
	rx.zone.dst = Frama_C_nondet(0, 1);
	(void)pump_rx_validate(&rx, &field);
	(void)pump_zone_validate(&rx.zone);
	(void)pump_rx_max_rate(&rx);
	(void)pump_rx_daily_ng(&rx);
	memset(&p, 0, sizeof p);
	(void)pump_init(&p, &rx, any_time(), Frama_C_unsigned_int_interval(0, UINT32_MAX));
	(void)pump_rx_validate(NULL, &field);
	(void)pump_init(NULL, &rx, 0, 0);
}

/* Any bytes as a stored state. */
static void stored(void)
{
	pump q;
	memset(&q, 0, sizeof q);
	size_t n = Frama_C_size_t_interval(0, sizeof buf);
	Frama_C_make_unknown((char *)buf, sizeof buf);
	(void)pump_deserialize(&q, buf, n);
}

/* Any state the reader accepts (a superset of the states a pump reaches),
 * then action k at any time: the history, alarms and counters of years. */
static void action(pump *p, int k);
static void stored_then(int k)
{
	pump q;
	memset(&q, 0, sizeof q);
	size_t n = Frama_C_size_t_interval(0, sizeof buf);
	Frama_C_make_unknown((char *)buf, sizeof buf);
	if (pump_deserialize(&q, buf, n) != 0)
		return;
	/* a status's forecast with daylight saving is zone_status's: with it
	 * here, stored_status took 356 s instead of 104 */
	if (k == 3 && q.rx.zone.dst)
		return;
	action(&q, k);
}

/* One action of any kind, at any time (earlier than the pump's own time
 * too: a clock gone backwards). */
static void action(pump *p, int k)
{
	int64_t t = any_time();
	pump_bolus_result r;
	pump_snapshot s;
	pump_rx rx;
	const char *field;
	switch (k) {
	case 0: (void)pump_bolus(p, t, &r, NULL, NULL); break;
	case 1: pump_bolus_check(p, &r); break;
	case 2: pump_advance(p, t, on_event, NULL); break;
	case 3: pump_status(p, t, &s); break;
	case 4: (void)pump_silence(p, t, Frama_C_interval(-2, PUMP_ALARM__COUNT), NULL, NULL); break;
	case 5: (void)pump_clear(p, t, Frama_C_interval(-1, PUMP_ALARM__COUNT), NULL, NULL); break;
	case 6: ranged_rx(&rx); (void)pump_program(p, t, &rx, &field, NULL, NULL); break;
	case 7: (void)pump_refill(p, t, u32_in(0, UINT32_MAX), u32_in(0, UINT32_MAX), NULL, NULL); break;
	case 8: (void)pump_set_running(p, t, Frama_C_nondet(0, 1), NULL, NULL); break;
	case 9: (void)pump_fault(p, t, Frama_C_interval(-1, PUMP_FAULT__COUNT), u32_in(0, UINT32_MAX), NULL, NULL); break;
	case 10: (void)pump_next_event(p); (void)pump_reservoir_nl(p); break;
	default: {
		size_t n = pump_serialize(p, buf, sizeof buf);
		pump q;
		memset(&q, 0, sizeof q);
		(void)pump_deserialize(&q, buf, n);
		(void)pump_serialize(p, buf, Frama_C_size_t_interval(0, sizeof buf));
		break;
	}
	}
}

/* A pump on any prescription, started any time in its range, with a bolus
 * asked for at any time, then action k at any time. */
static void life(int k)
{
	pump_rx rx;
	pump p;
	pump_bolus_result r;
	memset(&p, 0, sizeof p);
	ranged_rx(&rx);
	int64_t t0 = Frama_C_long_long_interval(0, PUMP_TIME_MAX);
	if (pump_init(&p, &rx, t0, u32_in(0, rx.capacity_nl)) != 0)
		return;
	(void)pump_bolus(&p, any_time(), &r, NULL, NULL);
	action(&p, k);
}

/* A flexible prescription in any zone, validated: the zone's functions and
 * the schedule's through it at any time (before 1970 and past
 * PUMP_TIME_MAX included). */
static void zone_rx(void)
{
	pump_rx rx;
	int64_t until;
	bool held;
	zoned = 1;
	ranged_rx(&rx);
	if (pump_rx_validate(&rx, NULL) != 0)
		return;
	(void)pump_rx_day_bound_ng(&rx);
	(void)pump_rx_daily_ng(&rx);
	(void)pump_zone_offset(&rx.zone, any_time());
	(void)pump_zone_sched(&rx.zone, any_time(), &until, &held);
	(void)pump_next_rate_change(&rx, any_time());
	(void)pump_zone_same(&rx.zone, &rx.zone);
}

/* A pump on a flexible prescription in any zone, started any time in its
 * range, then action k at any time: delivery across changes of offset and
 * held hours (advance), the forecast's integral (status), the ceiling's
 * bound (bolus), a zoned reprogramming (program), the bridge's rate
 * (refill). */
static void zone_life(int k)
{
	pump_rx rx;
	pump p;
	memset(&p, 0, sizeof p);
	zoned = 1;
	ranged_rx(&rx);
	int64_t t0 = Frama_C_long_long_interval(0, PUMP_TIME_MAX);
	if (pump_init(&p, &rx, t0, u32_in(0, rx.capacity_nl)) != 0)
		return;
	action(&p, k);
}

/* Entry points: `frama-c -main eva_X` analyses one exploration; prove/run.sh
 * runs them side by side.  life_X: a pump on any prescription, a bolus asked
 * for at any time, then action X at any time. */
/* verifies: SR-MODEL-001 */
void eva_names(void) { names(); }
/* verifies: SR-MODEL-001 */
void eva_refusals(void) { refusals(); }
/* verifies: SR-MODEL-001 */
void eva_stored(void) { stored(); }
/* verifies: SR-MODEL-001 */
void eva_stored_bolus(void) { stored_then(0); }
/* verifies: SR-MODEL-001 */
void eva_stored_advance(void) { stored_then(2); }
/* verifies: SR-MODEL-001 */
void eva_stored_status(void) { stored_then(3); }
/* verifies: SR-MODEL-001 */
void eva_stored_program(void) { stored_then(6); }
/* verifies: SR-MODEL-001 */
void eva_life_bolus(void) { life(0); }
/* verifies: SR-MODEL-001 */
void eva_life_check(void) { life(1); }
/* verifies: SR-MODEL-001 */
void eva_life_advance(void) { life(2); }
/* verifies: SR-MODEL-001 */
void eva_life_status(void) { life(3); }
/* verifies: SR-MODEL-001 */
void eva_life_silence(void) { life(4); }
/* verifies: SR-MODEL-001 */
void eva_life_clear(void) { life(5); }
/* verifies: SR-MODEL-001 */
void eva_life_program(void) { life(6); }
/* verifies: SR-MODEL-001 */
void eva_life_refill(void) { life(7); }
/* verifies: SR-MODEL-001 */
void eva_life_run(void) { life(8); }
/* verifies: SR-MODEL-001 */
void eva_life_fault(void) { life(9); }
/* verifies: SR-MODEL-001 */
void eva_life_next(void) { life(10); }
/* verifies: SR-MODEL-001 */
void eva_life_serial(void) { life(11); }

/* verifies: SR-MODEL-001 */
void eva_zone_rx(void) { zone_rx(); }
/* verifies: SR-MODEL-001 */
void eva_zone_bolus(void) { zone_life(0); }
/* verifies: SR-MODEL-001 */
void eva_zone_advance(void) { zone_life(2); }
/* verifies: SR-MODEL-001 */
void eva_zone_status(void) { zone_life(3); }
/* verifies: SR-MODEL-001 */
void eva_zone_program(void) { zone_life(6); }
/* verifies: SR-MODEL-001 */
void eva_zone_refill(void) { zone_life(7); }

int main(void)
{
	names();
	refusals();
	stored();
	stored_then(Frama_C_interval(0, 11));
	life(Frama_C_interval(0, 11));
	zone_rx();
	zone_life(Frama_C_interval(0, 11));
	return 0;
}
