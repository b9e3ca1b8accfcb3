/* pumpd/cli/timearg.c — command-line times (see timearg.h). */
#include "pumpd/cli/timearg.h"

#include <errno.h>
#include <stddef.h>

/* Exactly n decimal digits at s into *v; 0 or -1. */
static int digits(const char *s, int n, int64_t *v)
{
	int64_t x = 0;
	for (int i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		x = x * 10 + (s[i] - '0');
	}
	*v = x;
	return 0;
}

static int leap(int64_t y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int64_t month_days(int64_t y, int64_t m)
{
	static const int8_t d[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return m == 2 && leap(y) ? 29 : d[m - 1];
}

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; y >= 1970). */
static int64_t days_since_epoch(int64_t y, int64_t m, int64_t d)
{
	const int64_t base = 1970;
	int64_t days = (y - base) * 365;
	/* leap days in [1970, y) */
	int64_t leaps = ((y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400) -
	                ((base - 1) / 4 - (base - 1) / 100 + (base - 1) / 400);
	days += leaps;
	for (int64_t i = 1; i < m; i++)
		days += month_days(y, i);
	return days + d - 1;
}

/* s: one or more digits and nothing else. */
static int parse_epoch_ms(const char *s, int64_t *ms)
{
	int64_t v = 0;
	size_t n = 0;
	for (; s[n]; n++) {
		if (n >= 15) /* more digits than the range has */
			return -EINVAL;
		v = v * 10 + (s[n] - '0');
	}
	if (v > TIMEARG_MAX_MS)
		return -EINVAL;
	*ms = v;
	return 0;
}

int timearg_parse(const char *s, int64_t *ms)
{
	int64_t y, mo, d, h, mi, se, frac = 0;

	if (!s || !*s)
		return -EINVAL;
	size_t nd = 0;
	while (s[nd] >= '0' && s[nd] <= '9')
		nd++;
	if (s[nd] == '\0')
		return parse_epoch_ms(s, ms);
	/* YYYY-MM-DDTHH:MM:SS[.f{1,3}]Z */
	if (digits(s, 4, &y) || s[4] != '-' || digits(s + 5, 2, &mo) ||
	    s[7] != '-' || digits(s + 8, 2, &d) || s[10] != 'T' ||
	    digits(s + 11, 2, &h) || s[13] != ':' || digits(s + 14, 2, &mi) ||
	    s[16] != ':' || digits(s + 17, 2, &se))
		return -EINVAL;
	const char *p = s + 19;
	if (*p == '.') {
		int n = 0;
		for (p++; *p >= '0' && *p <= '9'; p++, n++) {
			if (n == 3)
				return -EINVAL;
			frac = frac * 10 + (*p - '0');
		}
		if (n == 0)
			return -EINVAL;
		for (; n < 3; n++)
			frac *= 10;
	}
	if (p[0] != 'Z' || p[1] != '\0')
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > month_days(y, mo) ||
	    h > 23 || mi > 59 || se > 59)
		return -EINVAL;
	int64_t secs = ((days_since_epoch(y, mo, d) * 24 + h) * 60 + mi) * 60 + se;
	*ms = secs * 1000 + frac;
	return 0;
}
