/*
 * tests/test_pump_zone.c — schedules in local time (pump/pump_zone.c,
 * docs/PROTOCOL.md 8.13): the offset at an instant, the steps across both
 * daylight-saving nights, the daily drug and the 24 h basal bound, with
 * exact numbers worked out in the comments.
 *
 * Units: rates of 24 mg/day deliver 1 mg (1 000 000 ng) an hour; 1 mg/day
 * delivers 1 000 000 / 24 = 41 666.67 ng an hour.
 */
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "pump/pump.h"

#define HOUR 3600000LL
#define MIN  60000LL
#define DAY  PUMP_MS_PER_DAY
#define MG   1000000u

/* UTC instants (checked with Python's zoneinfo) */
#define PARIS_SPRING   1806195600000LL /* 2027-03-28T01:00Z: 02:00 CET -> 03:00 CEST */
#define PARIS_FALL     1824944400000LL /* 2027-10-31T01:00Z: 03:00 CEST -> 02:00 CET */
#define PARIS_MAR28_0  1806188400000LL /* 2027-03-28 00:00 CET = 03-27T23:00Z */
#define PARIS_MAR29_0  1806271200000LL /* 2027-03-29 00:00 CEST = 03-28T22:00Z */
#define PARIS_OCT31_0  1824933600000LL /* 2027-10-31 00:00 CEST = 10-30T22:00Z */
#define PARIS_NOV1_0   1825023600000LL /* 2027-11-01 00:00 CET = 10-31T23:00Z */
#define NY_SPRING      1805007600000LL /* 2027-03-14T07:00Z: 02:00 EST -> 03:00 EDT */
#define NY_FALL        1825567200000LL /* 2027-11-07T06:00Z: 02:00 EDT -> 01:00 EST */
#define NY_MAR14_0     1805000400000LL /* 2027-03-14 00:00 EST */
#define NY_MAR15_0     1805083200000LL
#define NY_NOV7_0      1825560000000LL /* 2027-11-07 00:00 EDT */
#define NY_NOV8_0      1825650000000LL
#define TOKYO_JUN1_0   1811775600000LL /* 2027-06-01 00:00 JST = 05-31T15:00Z */

/* A zone: name, standard offset and, when dst, the daylight one from
 * start to end. */
static pump_zone zone(const char *name, int32_t std_ms, bool dst,
                      int32_t dst_ms, pump_zone_rule start, pump_zone_rule end)
{
	pump_zone z;
	memset(&z, 0, sizeof z);
	snprintf(z.name, sizeof z.name, "%s", name);
	z.std_ms = std_ms;
	z.dst = dst;
	z.dst_ms = dst ? dst_ms : 0;
	if (dst) {
		z.start = start;
		z.end = end;
	}
	return z;
}

/* Europe/Paris: "CET-1CEST,M3.5.0,M10.5.0/3" */
static pump_zone paris(void)
{
	return zone("Europe/Paris", 1 * HOUR, true, 2 * HOUR,
	            (pump_zone_rule){ 3, 5, 0, 2 * HOUR },
	            (pump_zone_rule){ 10, 5, 0, 3 * HOUR });
}

/* America/New_York: "EST5EDT,M3.2.0,M11.1.0" */
static pump_zone new_york(void)
{
	return zone("America/New_York", -5 * HOUR, true, -4 * HOUR,
	            (pump_zone_rule){ 3, 2, 0, 2 * HOUR },
	            (pump_zone_rule){ 11, 1, 0, 2 * HOUR });
}

/* Asia/Tokyo: "JST-9" */
static pump_zone tokyo(void)
{
	return zone("Asia/Tokyo", 9 * HOUR, false, 0, (pump_zone_rule){ 0 },
	            (pump_zone_rule){ 0 });
}

/* A flexible prescription: base rate, one step of `high` from a to b
 * (local ms after midnight), no patient bolus, no ceiling, 40 mL at
 * 100 mg/mL (4 g: years of these rates). */
static pump_rx sched(pump_zone z, uint32_t base, uint32_t high, int64_t a,
                     int64_t b)
{
	pump_rx rx;
	pump_rx_default(&rx);
	rx.capacity_nl = PUMP_CAPACITY_40ML;
	rx.concentration_ng_ml = PUMP_CONC_MAX;
	rx.mode = PUMP_MODE_FLEXIBLE;
	rx.rate_ng_day = 0;
	rx.n_steps = 3;
	rx.steps[0] = (pump_step){ 0, base };
	rx.steps[1] = (pump_step){ (uint32_t)a, high };
	rx.steps[2] = (pump_step){ (uint32_t)b, base };
	rx.bolus_enabled = false;
	rx.bolus_dose_ng = rx.bolus_duration_ms = rx.lockout_ms = 0;
	rx.max_per_24h = 0;
	rx.ceiling_ng_24h = 0;
	rx.zone = z;
	cr_assert_eq(pump_rx_validate(&rx, NULL), 0);
	return rx;
}

/* Basal delivered from t0 to t1 by a pump started at t0. */
static uint64_t basal(const pump_rx *rx, int64_t t0, int64_t t1)
{
	pump p;
	cr_assert_eq(pump_init(&p, rx, t0, PUMP_CAPACITY_40ML), 0);
	pump_advance(&p, t1, NULL, NULL);
	return p.basal_ng;
}

typedef struct evs {
	int n;
	int64_t at[16];
	int64_t rate[16];
} evs;

static void on_event(void *ud, const pump_event *ev)
{
	evs *e = ud;
	if (ev->kind == PUMP_EV_STEP_CHANGE && e->n < 16) {
		e->at[e->n] = ev->at_ms;
		e->rate[e->n++] = ev->value;
	}
}

static evs steps_between(const pump_rx *rx, int64_t t0, int64_t t1)
{
	pump p;
	evs e;
	memset(&e, 0, sizeof e);
	cr_assert_eq(pump_init(&p, rx, t0, PUMP_CAPACITY_40ML), 0);
	pump_advance(&p, t1, on_event, &e);
	return e;
}

/* ---- dates and offsets ----------------------------------------------------- */

/* verifies: SR-RX-007 */
Test(pump_zone, days_from_civil)
{
	cr_assert_eq(pump_zone_days(1970, 1, 1), 0);
	cr_assert_eq(pump_zone_days(1969, 12, 31), -1);
	cr_assert_eq(pump_zone_days(2000, 3, 1), 11017);
	cr_assert_eq(pump_zone_days(2027, 3, 28), 20905);
	cr_assert_eq(pump_zone_days(2400, 2, 29), 157113);
}

/* verifies: SR-RX-007 */
Test(pump_zone, offsets_change_at_the_exact_ms)
{
	pump_zone p = paris(), n = new_york(), t = tokyo();
	cr_assert_eq(pump_zone_offset(&p, PARIS_SPRING - 1), 1 * HOUR);
	cr_assert_eq(pump_zone_offset(&p, PARIS_SPRING), 2 * HOUR);
	cr_assert_eq(pump_zone_offset(&p, PARIS_FALL - 1), 2 * HOUR);
	cr_assert_eq(pump_zone_offset(&p, PARIS_FALL), 1 * HOUR);
	cr_assert_eq(pump_zone_offset(&n, NY_SPRING - 1), -5 * HOUR);
	cr_assert_eq(pump_zone_offset(&n, NY_SPRING), -4 * HOUR);
	cr_assert_eq(pump_zone_offset(&n, NY_FALL - 1), -4 * HOUR);
	cr_assert_eq(pump_zone_offset(&n, NY_FALL), -5 * HOUR);
	cr_assert_eq(pump_zone_offset(&t, PARIS_SPRING), 9 * HOUR);
}

/* The C library's own reading of the tz database, year after year, for
 * zones north and south, with a negative daylight saving (Dublin), half an
 * hour of it (Lord Howe), none (Tokyo): every offset the model computes
 * from the footer's rule agrees, at every change and a ms before it. */
static void against_libc(const char *name, pump_zone z)
{
	setenv("TZ", name, 1);
	tzset();
	int checked = 0;
	/* 2040 .. 2140: past the last transition the files list */
	for (int64_t t = 2208988800000LL; t < 2208988800000LL + 100 * 365 * DAY;
	     t += 7 * DAY + 3 * HOUR + 17 * MIN) {
		int64_t step = 7 * DAY + 3 * HOUR + 17 * MIN;
		for (int64_t u = t; u < t + step; u += step / 8) {
			time_t s = (time_t)(u / 1000);
			struct tm tm;
			cr_assert_not_null(localtime_r(&s, &tm));
			if (pump_zone_offset(&z, u) != tm.tm_gmtoff * 1000)
				cr_assert_fail("%s at %lld: model %d, libc %ld", name,
				               (long long)u, pump_zone_offset(&z, u),
				               (long)tm.tm_gmtoff * 1000);
			checked++;
		}
	}
	cr_assert_gt(checked, 30000);
}

/* verifies: SR-RX-007 */
Test(pump_zone, offsets_agree_with_the_c_library)
{
	pump_zone z;
	against_libc("Europe/Paris", paris());
	against_libc("America/New_York", new_york());
	against_libc("Asia/Tokyo", tokyo());
	/* Australia/Sydney "AEST-10AEDT,M10.1.0,M4.1.0/3" */
	z = zone("Australia/Sydney", 10 * HOUR, true, 11 * HOUR,
	         (pump_zone_rule){ 10, 1, 0, 2 * HOUR }, (pump_zone_rule){ 4, 1, 0, 3 * HOUR });
	cr_assert_eq(pump_zone_validate(&z), 0);
	against_libc("Australia/Sydney", z);
	/* Europe/Dublin "IST-1GMT0,M10.5.0,M3.5.0/1": winter is the "dst" */
	z = zone("Europe/Dublin", 1 * HOUR, true, 0,
	         (pump_zone_rule){ 10, 5, 0, 2 * HOUR }, (pump_zone_rule){ 3, 5, 0, 1 * HOUR });
	cr_assert_eq(pump_zone_validate(&z), 0);
	against_libc("Europe/Dublin", z);
	/* Australia/Lord_Howe "<+1030>-10:30<+11>-11,M10.1.0,M4.1.0" */
	z = zone("Australia/Lord_Howe", 10 * HOUR + 30 * MIN, true, 11 * HOUR,
	         (pump_zone_rule){ 10, 1, 0, 2 * HOUR }, (pump_zone_rule){ 4, 1, 0, 2 * HOUR });
	cr_assert_eq(pump_zone_validate(&z), 0);
	against_libc("Australia/Lord_Howe", z);
}

/* ---- Europe/Paris, spring forward (2027-03-28, a 23 h day) ----------------- */

/* A 02:00-03:00 step of 24 mg/day on 1 mg/day.  A normal day: 1 mg in
 * the step's hour + 23 h of 1 mg/day = 1 000 000 + 958 333.33 ng.  On
 * 2027-03-28 02:00 never comes (02:00 CET is 03:00 CEST) and the 03:00
 * step starts as the clock lands: the high hour is skipped; the day is
 * 23 h of 1 mg/day = 958 333 ng (floor). */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_spring_skips_a_02_to_03_step)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 2 * HOUR, 3 * HOUR);
	cr_assert_eq(pump_rx_daily_ng(&rx), 1958334u);   /* rounded up */
	cr_assert_eq(basal(&rx, PARIS_MAR28_0 - DAY, PARIS_MAR28_0), 1958333u);
	cr_assert_eq(basal(&rx, PARIS_MAR28_0, PARIS_MAR29_0), 958333u);
	cr_assert_eq(PARIS_MAR29_0 - PARIS_MAR28_0, 23 * HOUR);
	/* no step change that night: the rate never leaves 1 mg/day */
	evs e = steps_between(&rx, PARIS_MAR28_0, PARIS_MAR29_0);
	cr_assert_eq(e.n, 0);
}

/* A 01:00-04:00 step of 24 mg/day: 3 mg on a normal day + 21 h of
 * 1 mg/day (875 000 ng) = 3 875 000.  On 2027-03-28 it runs from 01:00 CET
 * (00:00Z) to 04:00 CEST (02:00Z): 2 h = 2 mg, + 21 h of 1 mg/day =
 * 2 875 000 ng. */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_spring_shortens_a_01_to_04_step)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	cr_assert_eq(basal(&rx, PARIS_MAR28_0 - DAY, PARIS_MAR28_0), 3875000u);
	cr_assert_eq(basal(&rx, PARIS_MAR28_0, PARIS_MAR29_0), 2875000u);
	evs e = steps_between(&rx, PARIS_MAR28_0, PARIS_MAR29_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], PARIS_MAR28_0 + 1 * HOUR);   /* 00:00Z */
	cr_assert_eq(e.rate[0], 24 * MG);
	cr_assert_eq(e.at[1], PARIS_SPRING + 1 * HOUR);    /* 02:00Z = 04:00 CEST */
	cr_assert_eq(e.rate[1], 1 * MG);
}

/* A step at 02:30 (in the skipped hour) starts at the first instant after
 * it: 03:00 CEST = 01:00Z, the change itself. */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_spring_step_in_the_skipped_hour_starts_at_03)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 2 * HOUR + 30 * MIN,
	                   5 * HOUR);
	evs e = steps_between(&rx, PARIS_MAR28_0, PARIS_MAR29_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], PARIS_SPRING);
	cr_assert_eq(e.at[1], PARIS_SPRING + 2 * HOUR);    /* 05:00 CEST */
	/* 2 h of it: 2 mg, + 21 h of 1 mg/day */
	cr_assert_eq(basal(&rx, PARIS_MAR28_0, PARIS_MAR29_0), 2875000u);
}

/* ---- Europe/Paris, fall back (2027-10-31, a 25 h day) ---------------------- */

/* The 02:00-03:00 step: it starts at the first 02:00 (CEST, 00:00Z); at
 * 03:00 CEST the clock goes back to 02:00 CET and the hour is lived again
 * with the rate in force at the first 03:00's last ms: 24 mg/day until
 * 03:00 CET (02:00Z).  2 h = 2 mg + 23 h of 1 mg/day (958 333.33) =
 * 2 958 333 ng. */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_fall_repeats_a_02_to_03_step)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 2 * HOUR, 3 * HOUR);
	cr_assert_eq(PARIS_NOV1_0 - PARIS_OCT31_0, 25 * HOUR);
	cr_assert_eq(basal(&rx, PARIS_OCT31_0, PARIS_NOV1_0), 2958333u);
	evs e = steps_between(&rx, PARIS_OCT31_0, PARIS_NOV1_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], PARIS_FALL - 1 * HOUR);      /* 02:00 CEST */
	cr_assert_eq(e.at[1], PARIS_FALL + 1 * HOUR);      /* 03:00 CET */
	/* the day after is a normal one again */
	cr_assert_eq(basal(&rx, PARIS_NOV1_0, PARIS_NOV1_0 + DAY), 1958333u);
}

/* The 01:00-04:00 step: 01:00 CEST (23:00Z) to 04:00 CET (03:00Z): 4 h =
 * 4 mg + 21 h of 1 mg/day (875 000) = 4 875 000 ng. */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_fall_lengthens_a_01_to_04_step)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	cr_assert_eq(basal(&rx, PARIS_OCT31_0, PARIS_NOV1_0), 4875000u);
	evs e = steps_between(&rx, PARIS_OCT31_0, PARIS_NOV1_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], PARIS_OCT31_0 + 1 * HOUR);
	cr_assert_eq(e.at[1], PARIS_FALL + 2 * HOUR);      /* 04:00 CET */
}

/* A step at 02:30 starts at its first occurrence only (00:30Z) and is not
 * started again, nor left, in the repeated hour: the previous step does
 * not come back at the second 02:00. */
/* verifies: SR-RX-007 */
Test(pump_zone, paris_fall_step_in_the_repeated_hour_starts_once)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 2 * HOUR + 30 * MIN,
	                   5 * HOUR);
	evs e = steps_between(&rx, PARIS_OCT31_0, PARIS_NOV1_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], PARIS_FALL - 30 * MIN);
	cr_assert_eq(e.at[1], PARIS_FALL + 3 * HOUR);      /* 05:00 CET */
	/* 00:30Z to 04:00Z, 3.5 h = 3.5 mg + 21.5 h of 1 mg/day (895 833.33) */
	cr_assert_eq(basal(&rx, PARIS_OCT31_0, PARIS_NOV1_0), 4395833u);
}

/* ---- the 24 h basal bound -------------------------------------------------- */

/* The fall-back day puts 4 h of the step in the 24 h from 23:00Z (01:00
 * CEST, the step's start): 4 mg + 20 h of 1 mg/day = 4 833 333.33 ng, the
 * most any real 24 h holds (the day's drug, 3 875 000, with the held hour
 * of 24 mg/day in place of an hour of 1 mg/day: + 1 000 000 - 41 666.67);
 * the bound is that, rounded up.  The spring night holds less than a day
 * (its skipped hour is one of the step's). */
/* verifies: SR-RX-007 SR-BOLUS-011 */
Test(pump_zone, day_bound_covers_the_fall_back_window)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	cr_assert_eq(pump_rx_daily_ng(&rx), 3875000u);
	cr_assert_eq(pump_rx_day_bound_ng(&rx), 4833334u);
	uint64_t w = basal(&rx, PARIS_OCT31_0 + HOUR, PARIS_OCT31_0 + 25 * HOUR);
	cr_assert_eq(w, 4833333u);
	cr_assert_gt(w, pump_rx_daily_ng(&rx));
	/* a ceiling must hold the bound and a dose */
	rx.bolus_enabled = true;
	rx.bolus_dose_ng = 500000u;
	rx.bolus_duration_ms = 10 * MIN;
	rx.lockout_ms = 2 * HOUR;
	rx.max_per_24h = 6;
	rx.ceiling_ng_24h = 3875000u + 500000u;
	const char *f = NULL;
	cr_assert_eq(pump_rx_validate(&rx, &f), PUMP_E_RANGE);
	cr_assert_str_eq(f, "ceiling_ng_24h");
	rx.ceiling_ng_24h = 4833334u + 500000u - 1u;
	cr_assert_eq(pump_rx_validate(&rx, NULL), PUMP_E_RANGE);
	rx.ceiling_ng_24h = 4833334u + 500000u;
	cr_assert_eq(pump_rx_validate(&rx, NULL), 0);
	/* a step in the hour skipped in spring and lived twice in the fall:
	 * the most is the 25 h night's, 2 h of 24 mg/day + 22 h of 1 mg/day =
	 * 2 916 666.67 ng */
	pump_rx r2 = sched(paris(), 1 * MG, 24 * MG, 2 * HOUR, 3 * HOUR);
	cr_assert_eq(pump_rx_day_bound_ng(&r2), 2916667u);
	cr_assert_eq(basal(&r2, PARIS_FALL - HOUR, PARIS_FALL + 23 * HOUR),
	             2916666u);
	/* without daylight saving the bound is the day's drug */
	rx.zone = tokyo();
	cr_assert_eq(pump_rx_day_bound_ng(&rx), 3875000u);
}

/* ---- America/New_York and Asia/Tokyo --------------------------------------- */

/* New York's change is at 02:00 local both ways.  A 01:00-04:00 step of
 * 24 mg/day: 2027-03-14 from 01:00 EST (06:00Z) to 04:00 EDT (08:00Z), 2 h
 * = 2 mg + 21 h of 1 mg/day = 2 875 000; 2027-11-07 from 01:00 EDT
 * (05:00Z); at 02:00 EDT (06:00Z) the clock goes back to 01:00 EST and the
 * step holds until 04:00 EST (09:00Z): 4 h = 4 mg + 21 h = 4 875 000. */
/* verifies: SR-RX-007 */
Test(pump_zone, new_york_both_nights)
{
	pump_rx rx = sched(new_york(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	cr_assert_eq(NY_MAR15_0 - NY_MAR14_0, 23 * HOUR);
	cr_assert_eq(NY_NOV8_0 - NY_NOV7_0, 25 * HOUR);
	cr_assert_eq(basal(&rx, NY_MAR14_0, NY_MAR15_0), 2875000u);
	cr_assert_eq(basal(&rx, NY_NOV7_0, NY_NOV8_0), 4875000u);
	evs e = steps_between(&rx, NY_NOV7_0, NY_NOV8_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], NY_FALL - 1 * HOUR);
	cr_assert_eq(e.at[1], NY_FALL + 3 * HOUR);
	e = steps_between(&rx, NY_MAR14_0, NY_MAR15_0);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], NY_SPRING - 1 * HOUR);
	cr_assert_eq(e.at[1], NY_SPRING + 1 * HOUR);
}

/* Tokyo (no daylight saving): the steps run at local times, 9 h before
 * the same UTC times, every day the same: 3 875 000 ng a day. */
/* verifies: SR-RX-007 */
Test(pump_zone, tokyo_runs_nine_hours_ahead_of_utc)
{
	pump_rx rx = sched(tokyo(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	evs e = steps_between(&rx, TOKYO_JUN1_0, TOKYO_JUN1_0 + DAY);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], TOKYO_JUN1_0 + 1 * HOUR);    /* 16:00Z */
	cr_assert_eq(e.at[1], TOKYO_JUN1_0 + 4 * HOUR);
	cr_assert_eq(basal(&rx, TOKYO_JUN1_0, TOKYO_JUN1_0 + DAY), 3875000u);
	cr_assert_eq(basal(&rx, TOKYO_JUN1_0, TOKYO_JUN1_0 + 365 * DAY),
	             365u * 3875000u);
	cr_assert_eq(pump_rx_day_bound_ng(&rx), 3875000u);
}

/* No zone: UTC, as before (the same steps start at 01:00Z). */
/* verifies: SR-RX-007 */
Test(pump_zone, no_zone_is_utc)
{
	pump_zone none;
	memset(&none, 0, sizeof none);
	pump_rx rx = sched(none, 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	int64_t d0 = TOKYO_JUN1_0 + 9 * HOUR;              /* 06-01T00:00Z */
	evs e = steps_between(&rx, d0, d0 + DAY);
	cr_assert_eq(e.n, 2);
	cr_assert_eq(e.at[0], d0 + 1 * HOUR);
	cr_assert_eq(pump_zone_offset(&none, d0), 0);
}

/* ---- a year and the forecast ----------------------------------------------- */

/* Over a whole year the nights cancel out: 2027-01-01 00:00 CET to
 * 2028-01-01 00:00 CET is 365 days of real time and of local days; the
 * spring day's 2 875 000 and the fall day's 4 875 000 are two normal days:
 * 365 * 3 875 000 ng. */
/* verifies: SR-RX-007 */
Test(pump_zone, a_year_delivers_its_days)
{
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	int64_t y0 = 1798758000000LL;  /* 2027-01-01T00:00+01:00 */
	cr_assert_eq(basal(&rx, y0, y0 + 365 * DAY), 365u * 3875000u);
	/* the refill forecast agrees with delivery, to the ms */
	pump p;
	cr_assert_eq(pump_init(&p, &rx, y0, PUMP_CAPACITY_40ML), 0);
	pump_snapshot s;
	pump_status(&p, y0, &s);
	cr_assert_gt(s.next_refill_ms, y0);
	pump q = p;
	pump_advance(&q, s.next_refill_ms - 1, NULL, NULL);
	cr_assert_gt(pump_reservoir_nl(&q), rx.low_threshold_nl);
	pump_advance(&q, s.next_refill_ms, NULL, NULL);
	cr_assert_leq(pump_reservoir_nl(&q), rx.low_threshold_nl);
}

/* ---- validation ------------------------------------------------------------ */

/* verifies: SR-RX-007 SR-RX-001 */
Test(pump_zone, rules_the_pump_does_not_support_are_refused)
{
	pump_zone z = paris();
	cr_assert_eq(pump_zone_validate(&z), 0);
	z.end.month = 4;                     /* months 1 apart */
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.dst_ms = z.std_ms + 3 * HOUR;       /* a 3 h shift */
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.dst_ms = z.std_ms;                  /* no shift */
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.start.week = 6;
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.start.time_ms = 168 * HOUR;
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.name[3] = ' ';
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = paris();
	z.name[0] = '\0';                     /* no name but a rule */
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	z = tokyo();
	z.std_ms = 24 * HOUR;
	cr_assert_eq(pump_zone_validate(&z), PUMP_E_RANGE);
	/* in a prescription the field is named */
	pump_rx rx = sched(paris(), 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
	rx.zone.end.month = 4;
	const char *f = NULL;
	cr_assert_eq(pump_rx_validate(&rx, &f), PUMP_E_RANGE);
	cr_assert_str_eq(f, "zone");
}

/* Any time at all, as a remote or a stored state could name one: no
 * overflow (the sanitizer build runs this), answers within range. */
/* verifies: SR-RX-007 SR-MODEL-001 */
Test(pump_zone, extreme_times_are_safe)
{
	const pump_zone zs[3] = { paris(), new_york(), tokyo() };
	const int64_t ts[6] = { INT64_MIN, INT64_MIN + 1, -PUMP_TIME_MAX - 1,
	                        PUMP_TIME_MAX, PUMP_TIME_MAX + 1, INT64_MAX };
	for (int i = 0; i < 3; i++) {
		pump_rx rx = sched(zs[i], 1 * MG, 24 * MG, 1 * HOUR, 4 * HOUR);
		for (int k = 0; k < 6; k++) {
			int32_t off = pump_zone_offset(&zs[i], ts[k]);
			cr_assert(off > -PUMP_ZONE_OFF_MAX && off < PUMP_ZONE_OFF_MAX);
			int64_t c = pump_next_rate_change(&rx, ts[k]);
			cr_assert(c == INT64_MAX || c > ts[k]);
		}
		cr_assert_eq(pump_next_rate_change(&rx, PUMP_TIME_MAX), INT64_MAX);
	}
}
