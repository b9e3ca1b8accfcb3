/*
 * pump/pump_zone.c — local time: a POSIX TZ rule as data, the offset at a UTC
 * ms and the schedule's clock across daylight-saving changes (PROTOCOL.md
 * 8.13).  Pure integer date arithmetic (days from civil), no libc time.
 */
#include "pump/pump_int.h"

#include <string.h>

/* pump times are 0..PUMP_TIME_MAX; anything further out is taken there */
#define ZONE_T_MAX (PUMP_TIME_MAX + 2 * PUMP_ZONE_TIME_MAX)

/* Floor division by a positive d. */
static int64_t fdiv(int64_t a, int64_t d)
{
	int64_t q = a / d;
	return (a % d != 0 && a < 0) ? q - 1 : q;
}

int64_t pump_zone_days(int64_t y, uint32_t m, uint32_t d)
{
	/* H. Hinnant's days_from_civil: March-based years of 400-year eras */
	y -= m <= 2;
	int64_t era = fdiv(y, 400);
	int64_t yoe = y - era * 400;                       /* 0..399 */
	int64_t mp = m > 2 ? (int64_t)m - 3 : (int64_t)m + 9; /* 0..11 */
	int64_t doy = (153 * mp + 2) / 5 + (int64_t)d - 1;  /* 0..365 */
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy; /* 0..146096 */
	return era * 146097 + doe - 719468;
}

/* The year of a day since 1970-01-01 (civil_from_days, the year only). */
static int64_t year_of(int64_t z)
{
	z += 719468;
	int64_t era = fdiv(z, 146097);
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	return yoe + era * 400 + (mp >= 10);   /* Jan, Feb: the next year */
}

/* The rule's change in year y as local wall-clock ms (as if local were
 * UTC): the week-th wday of the month (5: the last), plus its time. */
static int64_t rule_local(const pump_zone_rule *r, int64_t y)
{
	int64_t first = pump_zone_days(y, r->month, 1);
	int64_t next = r->month == 12 ? pump_zone_days(y + 1, 1, 1)
	                              : pump_zone_days(y, r->month + 1, 1);
	int64_t wd = first + 4 - fdiv(first + 4, 7) * 7;  /* 1970-01-01: Thu */
	int64_t d = ((int64_t)r->wday - wd + 7) % 7 + ((int64_t)r->week - 1) * 7;
	if (first + d >= next)
		d -= 7;
	return (first + d) * PUMP_DAY + r->time_ms;
}

/* One change of offset: at `at` (UTC) from `before` to `after`. */
typedef struct zchg {
	int64_t at;
	int32_t before, after;
} zchg;

/* The last change at or before t and the first after it (z->dst).  The
 * changes of the years around t's alternate (months >= 2 apart, times
 * within a week), so the three years around hold both. */
static void around(const pump_zone *z, int64_t t, zchg *last, zchg *next)
{
	if (t > ZONE_T_MAX)
		t = ZONE_T_MAX;
	if (t < -ZONE_T_MAX)
		t = -ZONE_T_MAX;
	int64_t y = year_of(fdiv(t + z->std_ms, PUMP_DAY));
	last->at = INT64_MIN;
	next->at = INT64_MAX;
	last->before = last->after = next->before = next->after = z->std_ms;
	for (int64_t k = -1; k <= 1; k++) {
		zchg c[2] = {
			{ rule_local(&z->start, y + k) - z->std_ms, z->std_ms, z->dst_ms },
			{ rule_local(&z->end, y + k) - z->dst_ms, z->dst_ms, z->std_ms },
		};
		for (int i = 0; i < 2; i++) {
			if (c[i].at <= t && c[i].at > last->at)
				*last = c[i];
			if (c[i].at > t && c[i].at < next->at)
				*next = c[i];
		}
	}
}

int32_t pump_zone_offset(const pump_zone *z, int64_t t)
{
	if (!z->dst)
		return z->std_ms;
	zchg l, n;
	around(z, t, &l, &n);
	return l.after;
}

int64_t pump_zone_sched(const pump_zone *z, int64_t t, int64_t *until,
                        bool *held)
{
	*held = false;
	*until = INT64_MAX;
	if (t > ZONE_T_MAX)     /* beyond any pump time: taken there */
		t = ZONE_T_MAX;
	if (t < -ZONE_T_MAX)
		t = -ZONE_T_MAX;
	if (!z->dst)
		return t + z->std_ms;
	zchg l, n;
	around(z, t, &l, &n);
	if (l.after < l.before && t < l.at + (l.before - l.after)) {
		/* fall back: local time repeats [at + after, at + before); the
		 * schedule holds the time it had just before the change */
		*held = true;
		*until = l.at + (l.before - l.after);
		return l.at - 1 + l.before;
	}
	*until = n.at;
	return t + l.after;
}

/* ---- validation ---------------------------------------------------------- */

static bool name_char(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '/' || c == '_' || c == '+' ||
	       c == '-';
}

static bool rule_ok(const pump_zone_rule *r)
{
	return r->month >= 1 && r->month <= 12 && r->week >= 1 && r->week <= 5 &&
	       r->wday <= 6 && r->time_ms >= -PUMP_ZONE_TIME_MAX &&
	       r->time_ms <= PUMP_ZONE_TIME_MAX;
}

static bool rule_zero(const pump_zone_rule *r)
{
	return r->month == 0 && r->week == 0 && r->wday == 0 && r->time_ms == 0;
}

static bool off_ok(int32_t off)
{
	return off > -PUMP_ZONE_OFF_MAX && off < PUMP_ZONE_OFF_MAX;
}

int pump_zone_validate(const pump_zone *z)
{
	if (!z)
		return PUMP_E_INVAL;
	size_t len = 0;
	while (len < PUMP_ZONE_NAME_MAX && z->name[len] != '\0')
		len++;
	if (len >= PUMP_ZONE_NAME_MAX)
		return PUMP_E_RANGE;
	for (size_t i = 0; i < len; i++)
		if (!name_char(z->name[i]))
			return PUMP_E_RANGE;
	for (size_t i = len; i < PUMP_ZONE_NAME_MAX; i++)
		if (z->name[i] != '\0')
			return PUMP_E_RANGE;
	if (len == 0 && (z->std_ms != 0 || z->dst))
		return PUMP_E_RANGE;
	if (!off_ok(z->std_ms))
		return PUMP_E_RANGE;
	if (!z->dst)
		return z->dst_ms == 0 && rule_zero(&z->start) && rule_zero(&z->end)
		           ? 0 : PUMP_E_RANGE;
	int64_t shift = (int64_t)z->dst_ms - z->std_ms;
	if (!off_ok(z->dst_ms) || shift == 0 || shift > PUMP_ZONE_SHIFT_MAX ||
	    shift < -PUMP_ZONE_SHIFT_MAX)
		return PUMP_E_RANGE;
	if (!rule_ok(&z->start) || !rule_ok(&z->end))
		return PUMP_E_RANGE;
	uint32_t dm = z->start.month > z->end.month
	                  ? z->start.month - z->end.month
	                  : z->end.month - z->start.month;
	if (dm < 2 || 12u - dm < 2)
		return PUMP_E_RANGE;
	return 0;
}

bool pump_zone_same(const pump_zone *a, const pump_zone *b)
{
	return strncmp(a->name, b->name, PUMP_ZONE_NAME_MAX) == 0 &&
	       a->std_ms == b->std_ms && a->dst == b->dst &&
	       a->dst_ms == b->dst_ms &&
	       memcmp(&a->start, &b->start, sizeof a->start) == 0 &&
	       memcmp(&a->end, &b->end, sizeof a->end) == 0;
}
