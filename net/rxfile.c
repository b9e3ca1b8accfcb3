/*
 * net/rxfile.c — parse and print the prescription text format (see
 * rxfile.h).  Exact integer arithmetic only; no I/O except rxfile_fprint.
 */
#include "net/rxfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/esc.h"

static const char *const key_names[RXK_COUNT] = {
	[RXK_DRUG] = "drug",
	[RXK_CONCENTRATION] = "concentration",
	[RXK_RESERVOIR] = "reservoir",
	[RXK_MODE] = "mode",
	[RXK_DAILY_RATE] = "daily_rate",
	[RXK_STEP] = "step",
	[RXK_BOLUS] = "bolus",
	[RXK_BOLUS_DOSE] = "bolus_dose",
	[RXK_BOLUS_DURATION] = "bolus_duration",
	[RXK_LOCKOUT] = "lockout",
	[RXK_MAX_PER_24H] = "max_per_24h",
	[RXK_CEILING_24H] = "ceiling_24h",
	[RXK_LOW_RESERVOIR] = "low_reservoir",
	[RXK_ALARM_SILENCE] = "alarm_silence",
};

/* struct msg_rx member -> file key (for errors from pump validation). */
static const struct { const char *field; int key; } field_map[] = {
	{ "drug", RXK_DRUG },
	{ "concentration_ng_ml", RXK_CONCENTRATION },
	{ "concentration", RXK_CONCENTRATION },
	{ "capacity_nl", RXK_RESERVOIR },
	{ "capacity", RXK_RESERVOIR },
	{ "reservoir_nl", RXK_RESERVOIR },
	{ "mode", RXK_MODE },
	{ "rate_ng_day", RXK_DAILY_RATE },
	{ "rate", RXK_DAILY_RATE },
	{ "n_steps", RXK_STEP },
	{ "nsteps", RXK_STEP },
	{ "steps.rate_ng_day", RXK_STEP },
	{ "steps.start_ms", RXK_STEP },
	{ "bolus_lockout_ms", RXK_LOCKOUT },
	{ "bolus_max_24h", RXK_MAX_PER_24H },
	{ "steps", RXK_STEP },
	{ "bolus_enabled", RXK_BOLUS },
	{ "bolus_dose_ng", RXK_BOLUS_DOSE },
	{ "bolus_duration_ms", RXK_BOLUS_DURATION },
	{ "lockout_ms", RXK_LOCKOUT },
	{ "max_per_24h", RXK_MAX_PER_24H },
	{ "ceiling_ng_24h", RXK_CEILING_24H },
	{ "low_threshold_nl", RXK_LOW_RESERVOIR },
	{ "silence_ms", RXK_ALARM_SILENCE },
};

struct unit { const char *name; uint64_t scale; };

static const struct unit drug_units[] = {
	{ "mg", 1000000 }, { "ug", 1000 }, { "\xc2\xb5g", 1000 },
	{ "mcg", 1000 }, { "ng", 1 }, { NULL, 0 }
};
static const struct unit vol_units[] = {
	{ "mL", 1000000 }, { "ml", 1000000 }, { "uL", 1000 }, { "ul", 1000 },
	{ "\xc2\xb5L", 1000 }, { "nL", 1 }, { "nl", 1 }, { NULL, 0 }
};
static const struct unit conc_units[] = {
	{ "mg/mL", 1000000 }, { "mg/ml", 1000000 }, { "ug/mL", 1000 },
	{ "ug/ml", 1000 }, { "\xc2\xb5g/mL", 1000 }, { "mcg/mL", 1000 },
	{ "ng/mL", 1 }, { "ng/ml", 1 }, { NULL, 0 }
};
static const struct unit rate_units[] = {
	{ "mg/day", 1000000 }, { "mg/d", 1000000 }, { "ug/day", 1000 },
	{ "ug/d", 1000 }, { "\xc2\xb5g/day", 1000 }, { "mcg/day", 1000 },
	{ "ng/day", 1 }, { NULL, 0 }
};
static const struct unit time_units[] = {
	{ "ms", 1 }, { "s", 1000 }, { "sec", 1000 }, { "min", 60000 },
	{ "h", 3600000 }, { "hour", 3600000 }, { "hours", 3600000 },
	{ NULL, 0 }
};

static const char drug_hint[] = "mg, ug, ng";
static const char vol_hint[] = "mL, uL";
static const char conc_hint[] = "mg/mL, ug/mL";
static const char rate_hint[] = "mg/day, ug/day";
static const char time_hint[] = "ms, s, min, h";

static void fail(struct rxfile *p, int key, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* "name:line: key: message": the message quotes the file's own bytes, so
 * it is rendered printable (util/esc.h): a line of the file cannot reach
 * the reader's terminal as an escape sequence. */
static void fail(struct rxfile *p, int key, const char *fmt, ...)
{
	char raw[RXFILE_ERR_MAX];
	va_list ap;
	size_t n;

	snprintf(p->err, sizeof p->err, "%s:%u: ", p->name, p->lineno);
	if (key >= 0) {
		n = strlen(p->err);
		snprintf(p->err + n, sizeof p->err - n, "%s: ", key_names[key]);
	}
	n = strlen(p->err);
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	esc_str(p->err + n, sizeof p->err - n, raw);
}

void rxfile_init(struct rxfile *p, const char *name)
{
	memset(p, 0, sizeof *p);
	esc_str(p->name, sizeof p->name, name ? name : "-");
	p->rx.silence_ms = 3600000; /* default: 1 h */
}

static int is_space(char c)
{
	return c == ' ' || c == '\t';
}

/* Parse "<decimal> <unit>" from s (NUL-terminated, trimmed) into an exact
 * integer of the base unit.  Returns 0 or -EINVAL (message in p->err). */
static int parse_amount(struct rxfile *p, int key, const char *s,
                        const struct unit *units, const char *hint,
                        uint64_t max, uint64_t *out)
{
	const char *q = s;
	uint64_t ip = 0, frac = 0, fscale = 1;
	unsigned nfrac = 0;
	int digits = 0;

	while (*q >= '0' && *q <= '9') {
		if (ip > (UINT64_MAX - 9) / 10) {
			fail(p, key, "'%s' is too large", s);
			return -EINVAL;
		}
		ip = ip * 10 + (uint64_t)(*q - '0');
		q++;
		digits++;
	}
	if (*q == '.') {
		q++;
		while (*q >= '0' && *q <= '9') {
			if (nfrac < 18) {
				frac = frac * 10 + (uint64_t)(*q - '0');
				fscale *= 10;
				nfrac++;
			} else if (*q != '0') {
				fail(p, key, "'%s' has too many decimals", s);
				return -EINVAL;
			}
			q++;
			digits++;
		}
	}
	if (digits == 0) {
		fail(p, key, "'%s' is not a number", s);
		return -EINVAL;
	}
	while (is_space(*q))
		q++;
	if (*q == '\0') {
		fail(p, key, "'%s' needs a unit (use %s)", s, hint);
		return -EINVAL;
	}
	const struct unit *u = NULL;
	for (const struct unit *k = units; k->name; k++)
		if (strcmp(k->name, q) == 0) {
			u = k;
			break;
		}
	if (!u) {
		fail(p, key, "'%s' has an unknown unit (use %s)", s, hint);
		return -EINVAL;
	}
	/* frac / fscale * u->scale must be an integer */
	while (fscale > u->scale && frac % 10 == 0) {
		frac /= 10;
		fscale /= 10;
	}
	if (fscale > u->scale || (u->scale % fscale) != 0) {
		fail(p, key, "'%s' is more precise than the pump can hold", s);
		return -EINVAL;
	}
	if (ip > max / u->scale) {
		fail(p, key, "'%s' is too large", s);
		return -EINVAL;
	}
	uint64_t v = ip * u->scale + frac * (u->scale / fscale);
	if (v > max) {
		fail(p, key, "'%s' is too large", s);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

static int parse_u32(struct rxfile *p, int key, const char *s,
                     const struct unit *units, const char *hint, uint32_t *out)
{
	uint64_t v;
	int rc = parse_amount(p, key, s, units, hint, UINT32_MAX, &v);
	if (rc == 0)
		*out = (uint32_t)v;
	return rc;
}

static int parse_step(struct rxfile *p, const char *s)
{
	struct msg_rx *rx = &p->rx;
	unsigned hh, mm;
	int n = 0;

	if (rx->n_steps >= MSG_STEPS_MAX) {
		fail(p, RXK_STEP, "more than %d steps", MSG_STEPS_MAX);
		return -EINVAL;
	}
	if (sscanf(s, "%2u:%2u%n", &hh, &mm, &n) != 2 || n != 5 ||
	    !is_space(s[5])) {
		fail(p, RXK_STEP, "'%s' should be HH:MM then a rate, "
		     "e.g. 22:00 4 mg/day", s);
		return -EINVAL;
	}
	if (hh > 23 || mm > 59) {
		fail(p, RXK_STEP, "'%.5s' is not a time of day", s);
		return -EINVAL;
	}
	uint32_t start = (uint32_t)(hh * 3600000u + mm * 60000u);
	if (rx->n_steps > 0 && start <= rx->steps[rx->n_steps - 1].start_ms) {
		fail(p, RXK_STEP, "%.5s must come after the previous step", s);
		return -EINVAL;
	}
	const char *r = s + 5;
	while (is_space(*r))
		r++;
	uint32_t rate = 0;
	if (parse_u32(p, RXK_STEP, r, rate_units, rate_hint, &rate) < 0)
		return -EINVAL;
	rx->steps[rx->n_steps].start_ms = start;
	rx->steps[rx->n_steps].rate_ng_day = rate;
	rx->n_steps++;
	return 0;
}

static int parse_value(struct rxfile *p, int key, const char *v)
{
	struct msg_rx *rx = &p->rx;
	uint64_t u;

	switch (key) {
	case RXK_DRUG: {
		size_t n = strlen(v);
		if (n == 0 || n > MSG_DRUG_MAX) {
			fail(p, key, "'%s' must be 1 to %d characters", v,
			     MSG_DRUG_MAX);
			return -EINVAL;
		}
		for (size_t i = 0; i < n; i++)
			if (v[i] < 0x20 || v[i] > 0x7e) {
				fail(p, key, "'%s' must be printable ASCII", v);
				return -EINVAL;
			}
		memcpy(rx->drug, v, n + 1);
		return 0;
	}
	case RXK_CONCENTRATION:
		return parse_u32(p, key, v, conc_units, conc_hint,
		                 &rx->concentration_ng_ml);
	case RXK_RESERVOIR:
		return parse_u32(p, key, v, vol_units, vol_hint, &rx->capacity_nl);
	case RXK_LOW_RESERVOIR:
		return parse_u32(p, key, v, vol_units, vol_hint,
		                 &rx->low_threshold_nl);
	case RXK_MODE:
		if (strcmp(v, "stopped") == 0)
			rx->mode = MSG_MODE_STOPPED;
		else if (strcmp(v, "continuous") == 0)
			rx->mode = MSG_MODE_CONTINUOUS;
		else if (strcmp(v, "flexible") == 0)
			rx->mode = MSG_MODE_FLEXIBLE;
		else {
			fail(p, key, "'%s' is not a mode (use stopped, "
			     "continuous, flexible)", v);
			return -EINVAL;
		}
		return 0;
	case RXK_DAILY_RATE:
		return parse_u32(p, key, v, rate_units, rate_hint,
		                 &rx->rate_ng_day);
	case RXK_STEP:
		return parse_step(p, v);
	case RXK_BOLUS:
		if (strcmp(v, "on") == 0)
			rx->bolus_enabled = 1;
		else if (strcmp(v, "off") == 0)
			rx->bolus_enabled = 0;
		else {
			fail(p, key, "'%s' should be on or off", v);
			return -EINVAL;
		}
		return 0;
	case RXK_BOLUS_DOSE:
		return parse_u32(p, key, v, drug_units, drug_hint,
		                 &rx->bolus_dose_ng);
	case RXK_BOLUS_DURATION:
		return parse_u32(p, key, v, time_units, time_hint,
		                 &rx->bolus_duration_ms);
	case RXK_LOCKOUT:
		return parse_u32(p, key, v, time_units, time_hint, &rx->lockout_ms);
	case RXK_ALARM_SILENCE:
		return parse_u32(p, key, v, time_units, time_hint, &rx->silence_ms);
	case RXK_CEILING_24H:
		if (strcmp(v, "none") == 0) {
			rx->ceiling_ng_24h = 0;
			return 0;
		}
		return parse_u32(p, key, v, drug_units, drug_hint,
		                 &rx->ceiling_ng_24h);
	case RXK_MAX_PER_24H: {
		const char *q = v;
		u = 0;
		if (*q == '\0') {
			fail(p, key, "needs a whole number");
			return -EINVAL;
		}
		for (; *q; q++) {
			if (*q < '0' || *q > '9') {
				fail(p, key, "'%s' is not a whole number", v);
				return -EINVAL;
			}
			u = u * 10 + (uint64_t)(*q - '0');
			if (u > UINT16_MAX) {
				fail(p, key, "'%s' is too large (at most %u)", v,
				     (unsigned)UINT16_MAX);
				return -EINVAL;
			}
		}
		rx->max_per_24h = (uint16_t)u;
		return 0;
	}
	}
	return -EINVAL;
}

int rxfile_parse_line(struct rxfile *p, const char *line, size_t len)
{
	char buf[RXFILE_LINE_MAX];
	size_t n = 0;

	p->lineno++;
	p->err[0] = '\0';
	/* copy up to a comment or end of line; NUL bytes are an error */
	for (size_t i = 0; i < len; i++) {
		char c = line[i];
		if (c == '\n' && i + 1 == len)
			break;
		if (c == '\r' && (i + 1 == len ||
		                  (i + 2 == len && line[i + 1] == '\n')))
			break;
		if (c == '#')
			break;
		if (c == '\0' || c == '\n' || c == '\r') {
			fail(p, -1, "unexpected control character");
			return -EINVAL;
		}
		if (n + 1 >= sizeof buf) {
			fail(p, -1, "line too long (at most %d bytes)",
			     RXFILE_LINE_MAX - 2);
			return -EINVAL;
		}
		buf[n++] = c == '\t' ? ' ' : c;
	}
	while (n > 0 && is_space(buf[n - 1]))
		n--;
	buf[n] = '\0';
	char *s = buf;
	while (is_space(*s))
		s++;
	if (*s == '\0')
		return 0; /* blank or comment */

	char *eq = strchr(s, '=');
	if (!eq) {
		fail(p, -1, "'%s' should be key = value", s);
		return -EINVAL;
	}
	char *kend = eq;
	while (kend > s && is_space(kend[-1]))
		kend--;
	*kend = '\0';
	char *v = eq + 1;
	while (is_space(*v))
		v++;

	int key = -1;
	for (int k = 0; k < RXK_COUNT; k++)
		if (strcmp(key_names[k], s) == 0) {
			key = k;
			break;
		}
	if (key < 0) {
		fail(p, -1, "unknown key '%s'", s);
		return -EINVAL;
	}
	if (key != RXK_STEP && p->line_of[key]) {
		fail(p, key, "set twice (first on line %u)", p->line_of[key]);
		return -EINVAL;
	}
	if (*v == '\0') {
		fail(p, key, "has no value");
		return -EINVAL;
	}
	/* parse into a copy so a failed line changes nothing */
	struct msg_rx keep = p->rx;
	if (parse_value(p, key, v) < 0) {
		p->rx = keep;
		return -EINVAL;
	}
	if (!p->line_of[key])
		p->line_of[key] = p->lineno;
	return 0;
}

static int missing(struct rxfile *p, int key, const char *why)
{
	snprintf(p->err, sizeof p->err, "%s: %s: missing%s", p->name,
	         key_names[key], why);
	return -EINVAL;
}

static int misplaced(struct rxfile *p, int key, const char *why)
{
	snprintf(p->err, sizeof p->err, "%s:%u: %s: %s", p->name,
	         p->line_of[key], key_names[key], why);
	return -EINVAL;
}

int rxfile_finish(struct rxfile *p, struct msg_rx *out)
{
	static const int required[] = {
		RXK_DRUG, RXK_CONCENTRATION, RXK_RESERVOIR, RXK_MODE,
		RXK_BOLUS, RXK_LOW_RESERVOIR
	};
	static const int bolus_keys[] = {
		RXK_BOLUS_DOSE, RXK_BOLUS_DURATION, RXK_LOCKOUT, RXK_MAX_PER_24H
	};

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!p->line_of[required[i]])
			return missing(p, required[i], "");
	switch (p->rx.mode) {
	case MSG_MODE_CONTINUOUS:
		if (!p->line_of[RXK_DAILY_RATE])
			return missing(p, RXK_DAILY_RATE,
			               " (needed with mode = continuous)");
		if (p->line_of[RXK_STEP])
			return misplaced(p, RXK_STEP,
			                 "only used with mode = flexible");
		break;
	case MSG_MODE_FLEXIBLE:
		if (!p->line_of[RXK_STEP])
			return missing(p, RXK_STEP,
			               " (needed with mode = flexible)");
		if (p->line_of[RXK_DAILY_RATE])
			return misplaced(p, RXK_DAILY_RATE,
			                 "only used with mode = continuous "
			                 "(flexible uses step lines)");
		break;
	default:
		if (p->line_of[RXK_DAILY_RATE])
			return misplaced(p, RXK_DAILY_RATE,
			                 "not used with mode = stopped");
		if (p->line_of[RXK_STEP])
			return misplaced(p, RXK_STEP,
			                 "not used with mode = stopped");
		break;
	}
	if (p->rx.bolus_enabled)
		for (size_t i = 0; i < sizeof bolus_keys / sizeof bolus_keys[0]; i++)
			if (!p->line_of[bolus_keys[i]])
				return missing(p, bolus_keys[i],
				               " (needed with bolus = on)");
	p->err[0] = '\0';
	*out = p->rx;
	return 0;
}

int rxfile_parse(const char *name, const char *buf, size_t len,
                 struct msg_rx *out, char *err, size_t errcap)
{
	struct rxfile p;
	size_t i = 0;
	int rc = 0;

	rxfile_init(&p, name);
	while (i < len) {
		size_t j = i;
		while (j < len && buf[j] != '\n')
			j++;
		if (j < len)
			j++; /* include the newline */
		rc = rxfile_parse_line(&p, buf + i, j - i);
		if (rc < 0)
			break;
		i = j;
	}
	if (rc == 0)
		rc = rxfile_finish(&p, out);
	if (rc < 0 && err && errcap)
		snprintf(err, errcap, "%s", p.err);
	return rc;
}

const char *rxfile_key_of(const char *field)
{
	if (!field)
		return NULL;
	for (int k = 0; k < RXK_COUNT; k++)
		if (strcmp(key_names[k], field) == 0)
			return key_names[k];
	for (size_t i = 0; i < sizeof field_map / sizeof field_map[0]; i++)
		if (strcmp(field_map[i].field, field) == 0)
			return key_names[field_map[i].key];
	return NULL;
}

unsigned rxfile_line_of(const struct rxfile *p, const char *field)
{
	const char *k = rxfile_key_of(field);
	if (!k)
		return 0;
	for (int i = 0; i < RXK_COUNT; i++)
		if (key_names[i] == k)
			return p->line_of[i];
	return 0;
}

/* ---- printing ---------------------------------------------------------- */

struct out { char *buf; size_t cap, len; int full; };

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;

	if (o->full)
		return;
	/* invariant: o->len < o->cap */
	size_t room = o->cap - o->len;
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, room, fmt, ap);
	va_end(ap);
	if (n < 0 || (size_t)n >= room)
		o->full = 1;
	else
		o->len += (size_t)n;
}

/* v in base units as "<int>[.<frac>] <unit>" choosing the largest unit of
 * the list (scale descending) for which v >= scale, exact decimals. */
static void fmt_dec(char *s, size_t cap, uint64_t v, uint64_t scale,
                    const char *unit)
{
	uint64_t ip = v / scale, fr = v % scale;
	if (fr == 0) {
		snprintf(s, cap, "%llu %s", (unsigned long long)ip, unit);
		return;
	}
	char fbuf[24];
	size_t n = 0;
	for (uint64_t t = scale / 10; t >= 1 && n + 1 < sizeof fbuf; t /= 10)
		fbuf[n++] = (char)('0' + (fr / t) % 10);
	fbuf[n] = '\0';
	while (n > 0 && fbuf[n - 1] == '0')
		fbuf[--n] = '\0';
	snprintf(s, cap, "%llu.%s %s", (unsigned long long)ip, fbuf, unit);
}

static void fmt_scaled(char *s, size_t cap, uint64_t v, const char *big,
                       const char *mid, const char *small)
{
	if (v >= 1000000)
		fmt_dec(s, cap, v, 1000000, big);
	else if (v >= 1000)
		fmt_dec(s, cap, v, 1000, mid);
	else
		snprintf(s, cap, "%llu %s", (unsigned long long)v, small);
}

static void fmt_time(char *s, size_t cap, uint64_t ms)
{
	if (ms != 0 && ms % 3600000 == 0)
		snprintf(s, cap, "%llu h", (unsigned long long)(ms / 3600000));
	else if (ms != 0 && ms % 60000 == 0)
		snprintf(s, cap, "%llu min", (unsigned long long)(ms / 60000));
	else if (ms != 0 && ms % 1000 == 0)
		snprintf(s, cap, "%llu s", (unsigned long long)(ms / 1000));
	else
		snprintf(s, cap, "%llu ms", (unsigned long long)ms);
}

int rxfile_write(const struct msg_rx *rx, char *buf, size_t cap)
{
	struct out o = { buf, cap, 0, 0 };
	char a[48];

	if (cap == 0)
		return -ENOSPC;
	buf[0] = '\0';
	put(&o, "# ptm prescription (units: mg, ug, mL, uL, ms, s, min, h)\n");
	put(&o, "drug = %s\n", rx->drug);
	fmt_scaled(a, sizeof a, rx->concentration_ng_ml, "mg/mL", "ug/mL", "ng/mL");
	put(&o, "concentration = %s\n", a);
	fmt_scaled(a, sizeof a, rx->capacity_nl, "mL", "uL", "nL");
	put(&o, "reservoir = %s\n", a);
	put(&o, "mode = %s\n", rx->mode == MSG_MODE_CONTINUOUS ? "continuous" :
	    rx->mode == MSG_MODE_FLEXIBLE ? "flexible" : "stopped");
	if (rx->mode == MSG_MODE_CONTINUOUS) {
		fmt_scaled(a, sizeof a, rx->rate_ng_day, "mg/day", "ug/day",
		           "ng/day");
		put(&o, "daily_rate = %s\n", a);
	} else if (rx->mode == MSG_MODE_FLEXIBLE) {
		for (unsigned i = 0; i < rx->n_steps && i < MSG_STEPS_MAX; i++) {
			uint32_t t = rx->steps[i].start_ms;
			fmt_scaled(a, sizeof a, rx->steps[i].rate_ng_day,
			           "mg/day", "ug/day", "ng/day");
			put(&o, "step = %02u:%02u %s\n", t / 3600000,
			    (t / 60000) % 60, a);
		}
	}
	put(&o, "bolus = %s\n", rx->bolus_enabled ? "on" : "off");
	if (rx->bolus_enabled || rx->bolus_dose_ng || rx->bolus_duration_ms ||
	    rx->lockout_ms || rx->max_per_24h) {
		fmt_scaled(a, sizeof a, rx->bolus_dose_ng, "mg", "ug", "ng");
		put(&o, "bolus_dose = %s\n", a);
		fmt_time(a, sizeof a, rx->bolus_duration_ms);
		put(&o, "bolus_duration = %s\n", a);
		fmt_time(a, sizeof a, rx->lockout_ms);
		put(&o, "lockout = %s\n", a);
		put(&o, "max_per_24h = %u\n", (unsigned)rx->max_per_24h);
	}
	if (rx->ceiling_ng_24h) {
		fmt_scaled(a, sizeof a, rx->ceiling_ng_24h, "mg", "ug", "ng");
		put(&o, "ceiling_24h = %s\n", a);
	} else {
		put(&o, "ceiling_24h = none\n");
	}
	fmt_scaled(a, sizeof a, rx->low_threshold_nl, "mL", "uL", "nL");
	put(&o, "low_reservoir = %s\n", a);
	fmt_time(a, sizeof a, rx->silence_ms);
	put(&o, "alarm_silence = %s\n", a);
	if (o.full)
		return -ENOSPC;
	return (int)o.len;
}

int rxfile_fprint(const struct msg_rx *rx, FILE *f)
{
	char buf[2048];
	int n = rxfile_write(rx, buf, sizeof buf);
	if (n < 0)
		return n;
	if (fwrite(buf, 1, (size_t)n, f) != (size_t)n)
		return -EIO;
	return 0;
}
