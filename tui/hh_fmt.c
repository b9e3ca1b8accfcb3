/*
 * tui/hh_fmt.c — numbers and times in plain words (see hh_fmt.h).
 */
#include "tui/hh_fmt.h"

#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* whole.frac with the fraction's trailing zeros trimmed; frac has `digits` digits */
static void fmt_decimal(uint32_t whole, uint32_t frac, int digits, const char *unit,
                        char *out, size_t cap)
{
	if (frac == 0) {
		fmt_set(out, cap, "%" PRIu32 " %s", whole, unit);
		return;
	}
	char f[12];
	fmt_set(f, sizeof f, "%0*" PRIu32, digits, frac);
	size_t n = strlen(f);
	while (n > 0 && f[n - 1] == '0')
		f[--n] = '\0';
	fmt_set(out, cap, "%" PRIu32 ".%s %s", whole, f, unit);
}

void hh_fmt_dose(uint32_t ng, char *out, size_t cap)
{
	if (ng >= 100000u)
		fmt_decimal(ng / 1000000u, ng % 1000000u, 6, "mg", out, cap);
	else if (ng >= 1000u)
		fmt_decimal(ng / 1000u, ng % 1000u, 3, "mcg", out, cap);
	else
		fmt_set(out, cap, "%" PRIu32 " ng", ng);
}

static void fmt_hm(uint64_t min, char *out, size_t cap)
{
	if (min >= 60) {
		if (min % 60)
			fmt_set(out, cap, "%" PRIu64 " h %" PRIu64 " min", min / 60, min % 60);
		else
			fmt_set(out, cap, "%" PRIu64 " h", min / 60);
	} else {
		fmt_set(out, cap, "%" PRIu64 " min", min);
	}
}

void hh_fmt_wait(uint64_t ms, char *out, size_t cap)
{
	if (ms <= 60000u)
		fmt_set(out, cap, "%" PRIu64 " s", (ms + 999u) / 1000u);
	else
		fmt_hm((ms + 59999u) / 60000u, out, cap);
}

void hh_fmt_duration(uint64_t ms, char *out, size_t cap)
{
	if (ms % 60000u == 0)
		fmt_hm(ms / 60000u, out, cap);
	else if (ms % 1000u == 0 && ms < 60000u)
		fmt_set(out, cap, "%" PRIu64 " s", ms / 1000u);
	else if (ms % 1000u == 0)
		fmt_set(out, cap, "%" PRIu64 " min %" PRIu64 " s", ms / 60000u,
		    (ms % 60000u) / 1000u);
	else
		fmt_set(out, cap, "%" PRIu64 " ms", ms);
}

static int tm_of(uint64_t pump_ms, struct tm *tm)
{
	time_t t = (time_t)(pump_ms / 1000u);
	return localtime_r(&t, tm) != NULL;
}

void hh_fmt_clock(uint64_t pump_ms, char *out, size_t cap)
{
	struct tm tm;
	if (!tm_of(pump_ms, &tm)) {
		fmt_set(out, cap, "--:--");
		return;
	}
	fmt_set(out, cap, "%02d:%02d", tm.tm_hour, tm.tm_min);
}

void hh_fmt_date(uint64_t pump_ms, char *out, size_t cap)
{
	static const char *const wd[7] = { "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
	static const char *const mo[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
	                                    "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
	struct tm tm;
	if (!tm_of(pump_ms, &tm) || tm.tm_wday < 0 || tm.tm_wday > 6 ||
	    tm.tm_mon < 0 || tm.tm_mon > 11) {
		fmt_set(out, cap, "unknown");
		return;
	}
	fmt_set(out, cap, "%s %d %s %d", wd[tm.tm_wday], tm.tm_mday, mo[tm.tm_mon],
	    tm.tm_year + 1900);
}

void hh_fmt_volume(uint32_t nl, char *out, size_t cap)
{
	if (nl == 0)
		fmt_set(out, cap, "0 mL");
	else if (nl < 10000u)
		fmt_set(out, cap, "less than 0.01 mL");
	else
		fmt_set(out, cap, "%" PRIu32 ".%02" PRIu32 " mL", nl / 1000000u,
		           (nl % 1000000u) / 10000u);
}

void hh_fmt_volume_exact(uint32_t nl, char *out, size_t cap)
{
	fmt_decimal(nl / 1000000u, nl % 1000000u, 6, "mL", out, cap);
}

void hh_fmt_when(uint64_t at, uint64_t pnow, char *out, size_t cap)
{
	char c[16];
	hh_fmt_clock(at, c, sizeof c);
	struct tm a, b;
	if (pnow == 0 || !tm_of(at, &a) || !tm_of(pnow, &b) ||
	    (a.tm_year == b.tm_year && a.tm_yday == b.tm_yday)) {
		fmt_set(out, cap, "%s", c);
		return;
	}
	uint64_t next_day = pnow + 86400000u;
	struct tm t;
	if (tm_of(next_day, &t) && a.tm_year == t.tm_year && a.tm_yday == t.tm_yday) {
		fmt_set(out, cap, "%s tomorrow", c);
		return;
	}
	char d[32];
	hh_fmt_date(at, d, sizeof d);
	fmt_set(out, cap, "%s on %s", c, d);
}

/* whole calendar days from pnow's day to at's (local time); -100000 when
 * unknown */
static long day_diff(uint64_t at, uint64_t pnow)
{
	struct tm a, b;
	if (!tm_of(at, &a) || !tm_of(pnow, &b))
		return -100000;
	/* noon of each day in UTC terms: whole days apart */
	struct tm x = { .tm_year = a.tm_year, .tm_mon = a.tm_mon, .tm_mday = a.tm_mday,
	                .tm_hour = 12 };
	struct tm y = { .tm_year = b.tm_year, .tm_mon = b.tm_mon, .tm_mday = b.tm_mday,
	                .tm_hour = 12 };
	time_t tx = timegm(&x), ty = timegm(&y);
	if (tx == (time_t)-1 || ty == (time_t)-1)
		return -100000;
	return (long)((tx - ty) / 86400);
}

void hh_fmt_day(uint64_t at, uint64_t pnow, char *out, size_t cap)
{
	long d = pnow ? day_diff(at, pnow) : -100000;
	if (d == 0)
		fmt_set(out, cap, "Today");
	else if (d == -1)
		fmt_set(out, cap, "Yesterday");
	else if (d == 1)
		fmt_set(out, cap, "Tomorrow");
	else
		hh_fmt_date(at, out, cap);
}

void hh_fmt_span(uint64_t ms, char *out, size_t cap)
{
	if (ms < 3600000u) {
		uint64_t sec = (ms + 500u) / 1000u;
		if (sec < 60)
			fmt_set(out, cap, "%" PRIu64 " s", sec);
		else if (sec % 60)
			fmt_set(out, cap, "%" PRIu64 " min %" PRIu64 " s", sec / 60, sec % 60);
		else
			fmt_set(out, cap, "%" PRIu64 " min", sec / 60);
		return;
	}
	uint64_t min = (ms + 30000u) / 60000u, d = min / 1440u;
	char hm[32] = "";
	if (min % 1440u)
		fmt_hm(min % 1440u, hm, sizeof hm);
	if (d == 0)
		fmt_set(out, cap, "%s", hm);
	else
		fmt_set(out, cap, "%" PRIu64 " day%s%s%s", d, d == 1 ? "" : "s", hm[0] ? " " : "", hm);
}

void hh_fmt_day_short(uint64_t pump_ms, char *out, size_t cap)
{
	char d[32];
	hh_fmt_date(pump_ms, d, sizeof d);
	char *sp = strrchr(d, ' ');          /* drop the year */
	if (sp && strcmp(d, "unknown") != 0)
		*sp = '\0';
	fmt_set(out, cap, "%s", d);
}

size_t hh_fmt_wrap(const char *s, size_t w, const char **next)
{
	size_t n = strlen(s);
	if (n > w) {
		n = w;
		while (n > 0 && s[n] != ' ')
			n--;
		if (n == 0)
			n = w;            /* one long word: cut it */
	}
	const char *p = s + n;
	while (*p == ' ')
		p++;
	*next = p;
	return n;
}
