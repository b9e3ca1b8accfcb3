/*
 * util/units.c — exact parsing and printing of human units (see units.h).
 * Integer arithmetic only.
 */
#include "util/units.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

struct unit {
	const char *name;
	uint64_t scale; /* base units per one of these */
};

static const struct unit duration_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "m", 60000 },
	{ "min", 60000 }, { "h", 3600000 }, { "hour", 3600000 },
	{ "hours", 3600000 }, { "d", 86400000 }, { "day", 86400000 },
	{ "days", 86400000 }, { NULL, 0 }
};
static const struct unit volume_units[] = {
	{ "mL", 1000000 }, { "ml", 1000000 }, { "uL", 1000 }, { "ul", 1000 },
	{ "\xc2\xb5L", 1000 }, { "nL", 1 }, { "nl", 1 }, { NULL, 0 }
};
static const struct unit dose_units[] = {
	{ "g", 1000000000 }, { "mg", 1000000 }, { "mcg", 1000 }, { "ug", 1000 },
	{ "\xc2\xb5g", 1000 }, { "ng", 1 }, { NULL, 0 }
};
/* per-time denominators for rates, as a multiplier to per-day */
static const struct unit per_day[] = {
	{ "day", 1 }, { "d", 1 }, { "h", 24 }, { NULL, 0 }
};
static const struct unit per_ml[] = {
	{ "mL", 1 }, { "ml", 1 }, { NULL, 0 }
};

/* Why a quantity was refused; the parsers say it as -EINVAL / -ERANGE. */
enum why { OK = 0, W_NUMBER, W_NO_UNIT, W_UNIT, W_PRECISION, W_RANGE };

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* "123" or "12.345" at *pp, trailing zeros of the fraction dropped. */
static enum why parse_decimal(const char **pp, uint64_t *ip, uint64_t *frac,
                              unsigned *fdigits)
{
	const char *p = *pp;
	uint64_t v = 0, f = 0;
	unsigned fd = 0, zeros = 0;

	if (!is_digit(*p))
		return W_NUMBER;
	while (is_digit(*p)) {
		unsigned d = (unsigned)(*p - '0');
		if (v > (UINT64_MAX - d) / 10)
			return W_RANGE;
		v = v * 10 + d;
		p++;
	}
	if (*p == '.') {
		p++;
		if (!is_digit(*p))
			return W_NUMBER;
		for (; is_digit(*p); p++) {
			unsigned d = (unsigned)(*p - '0');
			if (d == 0) {
				zeros++;
				continue;
			}
			/* finer than 1e-9 of a unit is finer than any base unit */
			if (fd + zeros >= 9)
				return W_PRECISION;
			for (; zeros; zeros--, fd++)
				f *= 10;
			f = f * 10 + d;
			fd++;
		}
	}
	*pp = p;
	*ip = v;
	*frac = f;
	*fdigits = fd;
	return OK;
}

/* value = ip*scale + frac*scale/10^fd, exactly. */
static enum why scale_exact(uint64_t ip, uint64_t frac, unsigned fd,
                            uint64_t scale, uint64_t *out)
{
	uint64_t p10 = 1, fpart;
	for (unsigned i = 0; i < fd; i++)
		p10 *= 10;
	/* frac < 1e9 and scale <= 1e9: the product fits in 64 bits */
	if ((frac * scale) % p10 != 0)
		return W_PRECISION;
	fpart = frac * scale / p10;
	if (scale && ip > (UINT64_MAX - fpart) / scale)
		return W_RANGE;
	*out = ip * scale + fpart;
	return OK;
}

static const char *skip_space(const char *p)
{
	while (*p == ' ' || *p == '\t')
		p++;
	return p;
}

/* The longest unit name at *pp that ends at a non-letter. */
static const struct unit *match_unit(const struct unit *tab, const char **pp)
{
	const struct unit *best = NULL;
	size_t bestlen = 0;
	for (const struct unit *u = tab; u->name; u++) {
		size_t n = strlen(u->name);
		if (strncmp(*pp, u->name, n) == 0 && n > bestlen) {
			char c = (*pp)[n];
			if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
				continue;
			best = u;
			bestlen = n;
		}
	}
	if (best)
		*pp += bestlen;
	return best;
}

/* One "number unit" quantity; *pp advanced past it. */
static enum why parse_quantity(const char **pp, const struct unit *tab,
                               uint64_t *out)
{
	uint64_t ip, frac;
	unsigned fd;
	const char *p = *pp;
	enum why w = parse_decimal(&p, &ip, &frac, &fd);
	if (w)
		return w;
	p = skip_space(p);
	if (!*p)
		return W_NO_UNIT;
	const struct unit *u = match_unit(tab, &p);
	if (!u)
		return W_UNIT;
	if ((w = scale_exact(ip, frac, fd, u->scale, out)) != OK)
		return w;
	*pp = p;
	return OK;
}

/* "1h30m", "10 min", or "0". */
static enum why parse_duration(const char *p, uint64_t *ms)
{
	uint64_t total = 0;
	if (strcmp(p, "0") == 0) {
		*ms = 0;
		return OK;
	}
	if (!*p)
		return W_NUMBER;
	while (*p) {
		uint64_t v;
		enum why w = parse_quantity(&p, duration_units, &v);
		if (w)
			return w;
		if (total > UINT64_MAX - v)
			return W_RANGE;
		total += v;
		p = skip_space(p);
	}
	*ms = total;
	return OK;
}

/* A dose, then "/" and a unit of den; the result is dose * den->scale. */
static enum why parse_per(const char *p, const struct unit *den, uint64_t *out)
{
	uint64_t v;
	enum why w = parse_quantity(&p, dose_units, &v);
	if (w)
		return w;
	p = skip_space(p);
	if (*p != '/')
		return W_UNIT;
	p = skip_space(p + 1);
	const struct unit *u = match_unit(den, &p);
	if (!u || *skip_space(p))
		return W_UNIT;
	if (v > UINT64_MAX / u->scale)
		return W_RANGE;
	*out = v * u->scale;
	return OK;
}

static enum why parse_kind(int kind, const char *s, uint64_t *out)
{
	if (!s)
		return W_NUMBER;
	const char *p = skip_space(s);
	uint64_t v;
	enum why w;
	switch (kind) {
	case UNITS_MS:
		return parse_duration(p, out);
	case UNITS_NG_DAY:
		return parse_per(p, per_day, out);
	case UNITS_NG_ML:
		return parse_per(p, per_ml, out);
	case UNITS_NL:
	case UNITS_NG:
		w = parse_quantity(&p, kind == UNITS_NL ? volume_units : dose_units, &v);
		if (w)
			return w;
		if (*skip_space(p))
			return W_UNIT;
		*out = v;
		return OK;
	default:
		return W_UNIT;
	}
}

int units_parse(int kind, const char *s, uint64_t *out)
{
	uint64_t v;
	enum why w = parse_kind(kind, s, &v);
	if (w == W_RANGE)
		return -ERANGE;
	if (w)
		return -EINVAL;
	*out = v;
	return 0;
}

const char *units_explain(int kind, const char *s, int *unit_wrong)
{
	static const char *const says[] = {
		[W_NUMBER] = "is not a number",
		[W_NO_UNIT] = "needs a unit",
		[W_UNIT] = "has an unknown unit",
		[W_PRECISION] = "is more precise than the pump can hold",
		[W_RANGE] = "is too large",
	};
	uint64_t v;
	enum why w = parse_kind(kind, s, &v);
	if (unit_wrong)
		*unit_wrong = w == W_NO_UNIT || w == W_UNIT;
	return w ? says[w] : NULL;
}

const char *units_hint(int kind)
{
	switch (kind) {
	case UNITS_MS:     return "ms, s, min, h, d";
	case UNITS_NL:     return "mL, uL, nL";
	case UNITS_NG:     return "mg, mcg, ng";
	case UNITS_NG_DAY: return "mg/day, mcg/day, mg/h";
	case UNITS_NG_ML:  return "mg/mL, mcg/mL";
	default:           return "?";
	}
}

int units_parse_uint(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t v = 0;
	if (!s || !is_digit(*s))
		return -EINVAL;
	for (; *s; s++) {
		unsigned d;
		if (!is_digit(*s))
			return -EINVAL;
		d = (unsigned)(*s - '0');
		if (v > (UINT64_MAX - d) / 10)
			return -ERANGE;
		v = v * 10 + d;
	}
	if (v > max)
		return -ERANGE;
	*out = v;
	return 0;
}

/* Days since 1970-01-01 of a proleptic Gregorian date (H. Hinnant). */
static int64_t days_from_civil(int64_t y, unsigned m, unsigned d)
{
	int64_t era;
	unsigned yoe, doy, doe;
	y -= m <= 2;
	era = (y >= 0 ? y : y - 399) / 400;
	yoe = (unsigned)(y - era * 400);
	doy = (153 * (m + (m > 2 ? (unsigned)-3 : 9)) + 2) / 5 + d - 1;
	doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + (int64_t)doe - 719468;
}

static int fixed_digits(const char **pp, unsigned n, unsigned *out)
{
	unsigned v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (!is_digit((*pp)[i]))
			return -EINVAL;
		v = v * 10 + (unsigned)((*pp)[i] - '0');
	}
	*pp += n;
	*out = v;
	return 0;
}

int units_parse_time(const char *s, uint64_t *ms)
{
	static const unsigned mdays[12] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	unsigned y, mo, d, h, mi, sec, msec = 0;
	const char *p = s;
	int64_t days;
	if (!s)
		return -EINVAL;
	if (fixed_digits(&p, 4, &y) || *p++ != '-' || fixed_digits(&p, 2, &mo) ||
	    *p++ != '-' || fixed_digits(&p, 2, &d) || (*p != 'T' && *p != ' '))
		return -EINVAL;
	p++;
	if (fixed_digits(&p, 2, &h) || *p++ != ':' || fixed_digits(&p, 2, &mi) ||
	    *p++ != ':' || fixed_digits(&p, 2, &sec))
		return -EINVAL;
	if (*p == '.') {
		p++;
		if (fixed_digits(&p, 3, &msec))
			return -EINVAL;
	}
	if (strcmp(p, "Z") != 0)
		return -EINVAL;
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] ||
	    h > 23 || mi > 59 || sec > 59)
		return -EINVAL;
	if (mo == 2 && d == 29 && !((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return -EINVAL;
	days = days_from_civil(y, mo, d);
	*ms = ((uint64_t)days * 86400 + h * 3600u + mi * 60u + sec) * 1000u + msec;
	return 0;
}

char *units_fmt_duration(uint64_t ms, char *buf)
{
	static const struct unit parts[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "m", 60000 },
		{ "s", 1000 }, { "ms", 1 }, { NULL, 0 }
	};
	size_t n = 0;
	if (ms == 0) {
		snprintf(buf, UNITS_FMT_MAX, "0");
		return buf;
	}
	buf[0] = '\0';
	for (const struct unit *u = parts; u->name; u++) {
		if (ms >= u->scale) {
			int w = snprintf(buf + n, UNITS_FMT_MAX - n, "%llu%s",
			                 (unsigned long long)(ms / u->scale), u->name);
			if (w < 0 || (size_t)w >= UNITS_FMT_MAX - n)
				break;
			n += (size_t)w;
			ms %= u->scale;
		}
	}
	return buf;
}

char *units_fmt_span(uint64_t ms, char *buf)
{
	static const struct unit parts[] = {
		{ "d", 86400000 }, { "h", 3600000 }, { "min", 60000 },
		{ "s", 1000 }, { NULL, 0 }
	};
	uint64_t prec, r;
	size_t n = 0;

	if (ms < 1000) {
		snprintf(buf, UNITS_FMT_MAX, "%llu %s", (unsigned long long)ms,
		         ms ? "ms" : "s");
		return buf;
	}
	/* the two largest units, the smaller one rounded to the nearest */
	prec = ms >= 86400000 ? 3600000 : ms >= 3600000 ? 60000 : 1000;
	r = ms / prec * prec;
	if (ms % prec >= prec / 2 && r <= UINT64_MAX - prec)
		r += prec;
	buf[0] = '\0';
	for (const struct unit *u = parts; u->name && u->scale >= prec; u++) {
		uint64_t k = r / u->scale;
		int w;
		r %= u->scale;
		if (k == 0)
			continue;
		w = snprintf(buf + n, UNITS_FMT_MAX - n, "%s%llu %s", n ? " " : "",
		             (unsigned long long)k, u->name);
		if (w < 0 || (size_t)w >= UNITS_FMT_MAX - n)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* v/scale with up to `digits` decimals, trailing zeros dropped. */
static char *fmt_scaled(uint64_t v, uint64_t scale, unsigned digits,
                        const char *unit, char *buf)
{
	uint64_t ip = v / scale, fr = v % scale;
	char frac[16];
	if (fr == 0) {
		snprintf(buf, UNITS_FMT_MAX, "%llu %s", (unsigned long long)ip, unit);
		return buf;
	}
	snprintf(frac, sizeof frac, "%0*llu", (int)digits, (unsigned long long)fr);
	for (size_t n = strlen(frac); n > 0 && frac[n - 1] == '0'; n--)
		frac[n - 1] = '\0';
	snprintf(buf, UNITS_FMT_MAX, "%llu.%s %s", (unsigned long long)ip, frac, unit);
	return buf;
}

/* v of a base unit with a milli and a micro of it (names big, mid, small):
 * the big one from 0.1 of it, the middle one from one of it. */
static char *fmt_metric(uint64_t v, const char *big, const char *mid,
                        const char *small, char *buf)
{
	if (v >= 100000 || v == 0)
		return fmt_scaled(v, 1000000, 6, big, buf);
	if (v >= 1000)
		return fmt_scaled(v, 1000, 3, mid, buf);
	return fmt_scaled(v, 1, 0, small, buf);
}

char *units_fmt_volume(uint64_t nl, char *buf)
{
	return fmt_metric(nl, "mL", "uL", "nL", buf);
}

char *units_fmt_dose(uint64_t ng, char *buf)
{
	return fmt_metric(ng, "mg", "mcg", "ng", buf);
}

char *units_fmt_rate(uint64_t ng_day, char *buf)
{
	units_fmt_dose(ng_day, buf);
	strncat(buf, "/day", UNITS_FMT_MAX - strlen(buf) - 1);
	return buf;
}

char *units_fmt_conc(uint64_t ng_ml, char *buf)
{
	units_fmt_dose(ng_ml, buf);
	strncat(buf, "/mL", UNITS_FMT_MAX - strlen(buf) - 1);
	return buf;
}

char *units_fmt_time(uint64_t ms, char *buf)
{
	struct tm tm;
	time_t t = (time_t)(ms / 1000);
	if (!gmtime_r(&t, &tm)) {
		snprintf(buf, UNITS_FMT_MAX, "@%llu", (unsigned long long)ms);
		return buf;
	}
	if (ms % 1000)
		snprintf(buf, UNITS_FMT_MAX, "%04d-%02d-%02dT%02d:%02d:%02d.%03uZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		         tm.tm_min, tm.tm_sec, (unsigned)(ms % 1000));
	else
		snprintf(buf, UNITS_FMT_MAX, "%04d-%02d-%02dT%02d:%02d:%02dZ",
		         tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, tm.tm_hour,
		         tm.tm_min, tm.tm_sec);
	return buf;
}
