/*
 * pumpd/tzfile.c — a time zone from the system's tz database: read the
 * TZif file, take its POSIX TZ footer, parse the rule into a pump_zone.
 */
#include "pumpd/tzfile.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/esc.h"
#include "util/fmt.h"

#define HOUR_MS 3600000L

/* ---- the POSIX TZ rule --------------------------------------------------- */

typedef struct rp {
	const char *s;  /* the rule */
	size_t i;       /* where we are */
	char *err;
	size_t errcap;
} rp;

static int bad(rp *p, const char *what)
{
	char q[ESC_MAX(64)];
	fmt_set(p->err, p->errcap, "rule '%s': %s", esc_s(q, sizeof q, p->s),
	        what);
	return -EINVAL;
}

static int is_alpha(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z');
}

static int is_digit(char c) { return c >= '0' && c <= '9'; }

/* A zone abbreviation: 3+ letters, or <...> of 3+ letters, digits, + - */
static int abbrev(rp *p)
{
	size_t n = 0;
	if (p->s[p->i] == '<') {
		p->i++;
		while (is_alpha(p->s[p->i]) || is_digit(p->s[p->i]) ||
		       p->s[p->i] == '+' || p->s[p->i] == '-') {
			p->i++;
			n++;
		}
		if (p->s[p->i] != '>')
			return bad(p, "a <name> is not closed");
		p->i++;
	} else {
		while (is_alpha(p->s[p->i])) {
			p->i++;
			n++;
		}
	}
	return n >= 3 ? 0 : bad(p, "a zone abbreviation needs 3 or more "
	                           "characters");
}

/* [+-]h[h[h]][:mm[:ss]] in ms; hours at most max_h */
static int hms(rp *p, long max_h, long *out)
{
	long sign = 1, h = 0, m = 0, sec = 0;
	if (p->s[p->i] == '+' || p->s[p->i] == '-')
		sign = p->s[p->i++] == '-' ? -1 : 1;
	int nd = 0;
	while (is_digit(p->s[p->i]) && nd < 3) {
		h = h * 10 + (p->s[p->i++] - '0');
		nd++;
	}
	if (nd == 0 || is_digit(p->s[p->i]))
		return bad(p, "a time needs 1 to 3 digits of hours");
	for (int k = 0; k < 2 && p->s[p->i] == ':'; k++) {
		p->i++;
		if (!is_digit(p->s[p->i]) || !is_digit(p->s[p->i + 1]))
			return bad(p, "minutes and seconds need 2 digits");
		long v = (p->s[p->i] - '0') * 10 + (p->s[p->i + 1] - '0');
		p->i += 2;
		if (v > 59)
			return bad(p, "minutes and seconds are 00 to 59");
		if (k == 0)
			m = v;
		else
			sec = v;
	}
	if (h > max_h)
		return bad(p, max_h == 24 ? "an offset is at most 24 hours"
		                          : "a rule's time is at most 167 hours");
	*out = sign * ((h * 60 + m) * 60 + sec) * 1000L;
	return 0;
}

/* ,Mm.w.d[/time] */
static int rule(rp *p, pump_zone_rule *r)
{
	if (p->s[p->i] != ',')
		return bad(p, "daylight saving needs its start and end rules "
		              "(,Mm.w.d)");
	p->i++;
	if (p->s[p->i] != 'M')
		return bad(p, "only Mm.w.d rules are supported (not Julian "
		              "days)");
	p->i++;
	long v[3] = { 0, 0, 0 };
	for (int k = 0; k < 3; k++) {
		if (k > 0 && p->s[p->i++] != '.')
			return bad(p, "a rule is Mm.w.d");
		int nd = 0;
		while (is_digit(p->s[p->i]) && nd < 2) {
			v[k] = v[k] * 10 + (p->s[p->i++] - '0');
			nd++;
		}
		if (nd == 0)
			return bad(p, "a rule is Mm.w.d");
	}
	if (v[0] < 1 || v[0] > 12 || v[1] < 1 || v[1] > 5 || v[2] > 6)
		return bad(p, "a rule's month is 1-12, week 1-5, day 0-6");
	long t = 2 * HOUR_MS;
	if (p->s[p->i] == '/') {
		p->i++;
		if (hms(p, 167, &t) < 0)
			return -EINVAL;
	}
	r->month = (uint32_t)v[0];
	r->week = (uint32_t)v[1];
	r->wday = (uint32_t)v[2];
	r->time_ms = (int32_t)t;
	return 0;
}

int tzfile_parse_rule(const char *s, pump_zone *out, char *err, size_t errcap)
{
	rp p = { s ? s : "", 0, err, errcap };
	pump_zone z;
	memset(&z, 0, sizeof z);
	long off;
	if (p.s[0] == '\0')
		return bad(&p, "empty (the zone has no rule for the future)");
	if (abbrev(&p) < 0 || hms(&p, 24, &off) < 0)
		return -EINVAL;
	z.std_ms = (int32_t)-off;              /* POSIX counts west of UTC */
	if (p.s[p.i] != '\0') {
		if (abbrev(&p) < 0)
			return -EINVAL;
		long doff = off - HOUR_MS;
		if (p.s[p.i] != ',' && p.s[p.i] != '\0' && hms(&p, 24, &doff) < 0)
			return -EINVAL;
		z.dst = true;
		z.dst_ms = (int32_t)-doff;
		if (rule(&p, &z.start) < 0 || rule(&p, &z.end) < 0)
			return -EINVAL;
		if (p.s[p.i] != '\0')
			return bad(&p, "text after the end rule");
	}
	if (pump_zone_validate(&(pump_zone){ .name = "x", .std_ms = z.std_ms,
	                                     .dst = z.dst, .dst_ms = z.dst_ms,
	                                     .start = z.start,
	                                     .end = z.end }) != 0)
		return bad(&p, "outside what the pump supports (offsets below "
		              "24 h, daylight saving at most 2 h from standard "
		              "time, its start and end months at least 2 apart)");
	*out = z;
	return 0;
}

/* ---- the TZif file ------------------------------------------------------- */

static uint32_t be32(const uint8_t *b)
{
	return (uint32_t)b[0] << 24 | (uint32_t)b[1] << 16 |
	       (uint32_t)b[2] << 8 | b[3];
}

/* The size of a data block after a header at h (time_size 4 or 8), or 0
 * when it does not fit in len - h bytes. */
static size_t block(const uint8_t *b, size_t len, size_t h, size_t tsz)
{
	if (len < h || len - h < 44 || memcmp(b + h, "TZif", 4) != 0)
		return 0;
	uint64_t isut = be32(b + h + 20), isstd = be32(b + h + 24),
	         leap = be32(b + h + 28), timec = be32(b + h + 32),
	         typec = be32(b + h + 36), charc = be32(b + h + 40);
	uint64_t n = timec * tsz + timec + typec * 6 + charc +
	             leap * (tsz + 4) + isstd + isut;
	return n <= len - h - 44 ? (size_t)n + 44 : 0;
}

int tzfile_footer(const uint8_t *b, size_t len, char *footer, size_t cap,
                  char *err, size_t errcap)
{
	size_t v1 = block(b, len, 0, 4);
	if (v1 == 0) {
		fmt_set(err, errcap, "not a TZif file");
		return -EINVAL;
	}
	if (b[4] < '2') {
		fmt_set(err, errcap, "a version 1 TZif file (no rule for the "
		        "future)");
		return -EINVAL;
	}
	size_t v2 = block(b, len, v1, 8);
	if (v2 == 0) {
		fmt_set(err, errcap, "a TZif file cut short");
		return -EINVAL;
	}
	size_t f = v1 + v2;
	if (f >= len || b[f] != '\n') {
		fmt_set(err, errcap, "a TZif file without its footer");
		return -EINVAL;
	}
	size_t e = f + 1;
	while (e < len && b[e] != '\n')
		e++;
	if (e >= len || e - f - 1 >= cap) {
		fmt_set(err, errcap, "a TZif file whose footer is not closed or "
		        "too long");
		return -EINVAL;
	}
	for (size_t i = f + 1; i < e; i++)
		if (b[i] < 0x20 || b[i] > 0x7e) {
			fmt_set(err, errcap, "a TZif footer with a byte that is "
			        "not printable");
			return -EINVAL;
		}
	memcpy(footer, b + f + 1, e - f - 1);
	footer[e - f - 1] = '\0';
	return 0;
}

int tzfile_name_ok(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n >= PUMP_ZONE_NAME_MAX || name[0] == '/' ||
	    name[n - 1] == '/')
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		if (c == '/' ? name[i + 1] == '/'
		             : !(is_alpha(c) || is_digit(c) || c == '_' ||
		                 c == '+' || c == '-'))
			return 0;
	}
	return 1;
}

int tzfile_load(const char *dir, const char *name, pump_zone *out, char *err,
                size_t errcap)
{
	char q[ESC_MAX(PUMP_ZONE_NAME_MAX + 16)];
	esc_mem(q, sizeof q, name, strnlen(name, PUMP_ZONE_NAME_MAX + 8));
	if (!tzfile_name_ok(name)) {
		fmt_set(err, errcap, "'%s' is not a time zone name (like "
		        "Europe/Paris: letters, digits, _ + - and /)", q);
		return -EINVAL;
	}
	if (!dir) {
		dir = getenv("TZDIR");
		if (!dir || !*dir)
			dir = TZFILE_DIR;
	}
	char path[4096];
	if (snprintf(path, sizeof path, "%s/%s", dir, name) >= (int)sizeof path) {
		fmt_set(err, errcap, "'%s': the path is too long", q);
		return -EINVAL;
	}
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		char d[ESC_MAX(256)];
		fmt_set(err, errcap, "'%s' is not in the time zone database "
		        "(%s: %s)", q, esc_s(d, sizeof d, dir), strerror(e));
		return e == ENOENT ? -ENOENT : -EINVAL;
	}
	uint8_t *buf = malloc(TZFILE_SIZE_MAX + 1);
	size_t len = buf ? fread(buf, 1, TZFILE_SIZE_MAX + 1, f) : 0;
	int rd_err = ferror(f);
	fclose(f);
	char footer[128], why[256];
	int rc = -EINVAL;
	if (!buf)
		fmt_set(why, sizeof why, "out of memory");
	else if (rd_err)
		fmt_set(why, sizeof why, "cannot read it");
	else if (len > TZFILE_SIZE_MAX)
		fmt_set(why, sizeof why, "too large for a TZif file");
	else
		rc = tzfile_footer(buf, len, footer, sizeof footer, why,
		                   sizeof why);
	free(buf);
	pump_zone z;
	if (rc == 0)
		rc = tzfile_parse_rule(footer, &z, why, sizeof why);
	if (rc < 0) {
		fmt_set(err, errcap, "'%s': %s", q, why);
		return -EINVAL;
	}
	memcpy(z.name, name, strlen(name) + 1);
	*out = z;
	return 0;
}
