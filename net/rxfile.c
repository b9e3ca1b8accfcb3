/*
 * net/rxfile.c — parse and print the prescription text format (see
 * rxfile.h).  Exact integer arithmetic only; no I/O except rxfile_fprint.
 */
#include "net/rxfile.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include "util/esc.h"
#include "util/fmt.h"
#include "util/units.h"

/* One name per field: the wire's (net/msg.h) without its unit suffix. */
static const char *const key_names[RXK_COUNT] = {
	[RXK_DRUG] = "drug",
	[RXK_CONCENTRATION] = "concentration",
	[RXK_CAPACITY] = "capacity",
	[RXK_MODE] = "mode",
	[RXK_RATE] = "rate",
	[RXK_STEP] = "step",
	[RXK_BOLUS_ENABLED] = "bolus_enabled",
	[RXK_BOLUS_DOSE] = "bolus_dose",
	[RXK_BOLUS_DURATION] = "bolus_duration",
	[RXK_LOCKOUT] = "lockout",
	[RXK_MAX_PER_24H] = "max_per_24h",
	[RXK_CEILING_24H] = "ceiling_24h",
	[RXK_LOW_THRESHOLD] = "low_threshold",
	[RXK_SILENCE] = "silence",
	[RXK_ZONE] = "zone",
};

/* The spellings of files written before the names were one: still read. */
static const struct { const char *old; int key; } old_names[] = {
	{ "reservoir", RXK_CAPACITY },
	{ "daily_rate", RXK_RATE },
	{ "bolus", RXK_BOLUS_ENABLED },
	{ "low_reservoir", RXK_LOW_THRESHOLD },
	{ "alarm_silence", RXK_SILENCE },
};

/* A struct msg_rx member (also pump_rx's, the same names) -> its key. */
static const struct { const char *field; int key; } field_map[] = {
	{ "concentration_ng_ml", RXK_CONCENTRATION },
	{ "capacity_nl", RXK_CAPACITY },
	{ "rate_ng_day", RXK_RATE },
	{ "n_steps", RXK_STEP },
	{ "steps", RXK_STEP },
	{ "steps.rate_ng_day", RXK_STEP },
	{ "steps.start_ms", RXK_STEP },
	{ "bolus_dose_ng", RXK_BOLUS_DOSE },
	{ "bolus_duration_ms", RXK_BOLUS_DURATION },
	{ "lockout_ms", RXK_LOCKOUT },
	{ "ceiling_ng_24h", RXK_CEILING_24H },
	{ "low_threshold_nl", RXK_LOW_THRESHOLD },
	{ "silence_ms", RXK_SILENCE },
};

/* A key as the file spells it (an old name where it used one). */
static const char *key_name(const struct rxfile *p, int key)
{
	return p->spelled[key] ? p->spelled[key] : key_names[key];
}

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
		snprintf(p->err + n, sizeof p->err - n, "%s: ", key_name(p, key));
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

/* "<decimal> <unit>" (util/units.h) into an exact integer no larger than
 * UINT32_MAX.  Returns 0 or -EINVAL (message in p->err). */
static int parse_u32(struct rxfile *p, int key, const char *s, int kind,
                     uint32_t *out)
{
	uint64_t v;
	if (units_parse(kind, s, &v) == 0 && v <= UINT32_MAX) {
		*out = (uint32_t)v;
		return 0;
	}
	int unit_wrong = 0;
	const char *why = units_explain(kind, s, &unit_wrong);
	if (unit_wrong)
		fail(p, key, "'%s' %s (use %s)", s, why, units_hint(kind));
	else
		fail(p, key, "'%s' %s", s, why ? why : "is too large");
	return -EINVAL;
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
	if (parse_u32(p, RXK_STEP, r, UNITS_NG_DAY, &rate) < 0)
		return -EINVAL;
	rx->steps[rx->n_steps].start_ms = start;
	rx->steps[rx->n_steps].rate_ng_day = rate;
	rx->n_steps++;
	return 0;
}

/* The words a field takes, each standing for its index (a mode's the
 * wire's enum msg_mode); word_index: v's index, or WORD_NONE. */
static const char *const mode_words[] = { "stopped", "continuous", "flexible", NULL };
static const char *const onoff_words[] = { "off", "on", NULL };
#define WORD_NONE UINT64_MAX

static uint64_t word_index(const char *v, const char *const *words)
{
	for (uint64_t i = 0; words[i]; i++)
		if (strcmp(v, words[i]) == 0)
			return i;
	return WORD_NONE;
}

/* The fields that are one quantity: the key, its units, the member. */
static const struct {
	int key, kind;
	size_t off;
} quantities[] = {
	{ RXK_CONCENTRATION, UNITS_NG_ML, offsetof(struct msg_rx, concentration_ng_ml) },
	{ RXK_CAPACITY, UNITS_NL, offsetof(struct msg_rx, capacity_nl) },
	{ RXK_LOW_THRESHOLD, UNITS_NL, offsetof(struct msg_rx, low_threshold_nl) },
	{ RXK_RATE, UNITS_NG_DAY, offsetof(struct msg_rx, rate_ng_day) },
	{ RXK_BOLUS_DOSE, UNITS_NG, offsetof(struct msg_rx, bolus_dose_ng) },
	{ RXK_BOLUS_DURATION, UNITS_MS, offsetof(struct msg_rx, bolus_duration_ms) },
	{ RXK_LOCKOUT, UNITS_MS, offsetof(struct msg_rx, lockout_ms) },
	{ RXK_SILENCE, UNITS_MS, offsetof(struct msg_rx, silence_ms) },
};

/* What each mode needs (need: -1 none) and refuses (-1 none), in the
 * order they are checked; indexed by enum msg_mode. */
struct mode_rule {
	int need;
	const char *need_why;
	int refuse[2];
	const char *refuse_why[2];
};
static const struct mode_rule mode_rules[] = {
	[MSG_MODE_STOPPED] = { -1, NULL, { RXK_RATE, RXK_STEP },
		{ "not used with mode = stopped", "not used with mode = stopped" } },
	[MSG_MODE_CONTINUOUS] = { RXK_RATE, " (needed with mode = continuous)",
		{ RXK_STEP, -1 }, { "only used with mode = flexible", NULL } },
	[MSG_MODE_FLEXIBLE] = { RXK_STEP, " (needed with mode = flexible)",
		{ RXK_RATE, -1 }, { "only used with mode = continuous "
		                    "(flexible uses step lines)", NULL } },
};

_Static_assert(MSG_MODE_STOPPED == 0 && MSG_MODE_CONTINUOUS == 1 &&
               MSG_MODE_FLEXIBLE == 2, "mode_words follows enum msg_mode");

static int parse_value(struct rxfile *p, int key, const char *v)
{
	struct msg_rx *rx = &p->rx;
	uint64_t u;

	for (size_t i = 0; i < sizeof quantities / sizeof quantities[0]; i++)
		if (quantities[i].key == key)
			return parse_u32(p, key, v, quantities[i].kind,
			                 (uint32_t *)((char *)rx + quantities[i].off));
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
	case RXK_ZONE: {
		if (!p->allow_zone) {
			fail(p, key, "only pumpd reads a zone (pumpd init --rx, "
			     "pumpd rx); the wire's steps are UTC "
			     "(docs/PROTOCOL.md 8.13)");
			return -EINVAL;
		}
		size_t n = strlen(v);
		int ok = n > 0 && n < RXFILE_ZONE_MAX && v[0] != '/' &&
		         v[n - 1] != '/';
		for (size_t i = 0; ok && i < n; i++) {
			char c = v[i];
			ok = c == '/' ? v[i + 1] != '/'
			              : (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			                (c >= '0' && c <= '9') || c == '_' || c == '+' ||
			                c == '-';
		}
		if (!ok) {
			fail(p, key, "'%s' is not a time zone name (like "
			     "Europe/Paris: letters, digits, _ + - and /, at most "
			     "%d characters)", v, RXFILE_ZONE_MAX - 1);
			return -EINVAL;
		}
		memcpy(p->zone, v, n + 1);
		return 0;
	}
	case RXK_MODE:
		if ((u = word_index(v, mode_words)) == WORD_NONE) {
			fail(p, key, "'%s' is not a mode (use stopped, "
			     "continuous, flexible)", v);
			return -EINVAL;
		}
		rx->mode = (uint8_t)u;
		return 0;
	case RXK_STEP:
		return parse_step(p, v);
	case RXK_BOLUS_ENABLED:
		if ((u = word_index(v, onoff_words)) == WORD_NONE) {
			fail(p, key, "'%s' should be on or off", v);
			return -EINVAL;
		}
		rx->bolus_enabled = (uint8_t)u;
		return 0;
	case RXK_CEILING_24H:
		if (strcmp(v, "none") == 0) {
			rx->ceiling_ng_24h = 0;
			return 0;
		}
		return parse_u32(p, key, v, UNITS_NG, &rx->ceiling_ng_24h);
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
	const char *spelled = NULL;
	for (int k = 0; k < RXK_COUNT; k++)
		if (strcmp(key_names[k], s) == 0) {
			key = k;
			spelled = key_names[k];
			break;
		}
	for (size_t k = 0; key < 0 && k < sizeof old_names / sizeof old_names[0]; k++)
		if (strcmp(old_names[k].old, s) == 0) {
			key = old_names[k].key;
			spelled = old_names[k].old;
		}
	if (key < 0) {
		fail(p, -1, "unknown key '%s'", s);
		return -EINVAL;
	}
	p->spelled[key] = spelled;   /* messages name it as this line does */
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
	         p->line_of[key], key_name(p, key), why);
	return -EINVAL;
}

int rxfile_finish(struct rxfile *p, struct msg_rx *out)
{
	static const int required[] = {
		RXK_DRUG, RXK_CONCENTRATION, RXK_CAPACITY, RXK_MODE,
		RXK_BOLUS_ENABLED, RXK_LOW_THRESHOLD
	};
	static const int bolus_keys[] = {
		RXK_BOLUS_DOSE, RXK_BOLUS_DURATION, RXK_LOCKOUT, RXK_MAX_PER_24H
	};

	for (size_t i = 0; i < sizeof required / sizeof required[0]; i++)
		if (!p->line_of[required[i]])
			return missing(p, required[i], "");
	unsigned m = p->rx.mode <= MSG_MODE_FLEXIBLE ? p->rx.mode : MSG_MODE_STOPPED;
	const struct mode_rule *mr = &mode_rules[m];
	if (mr->need >= 0 && !p->line_of[mr->need])
		return missing(p, mr->need, mr->need_why);
	for (size_t i = 0; i < 2; i++)
		if (mr->refuse[i] >= 0 && p->line_of[mr->refuse[i]])
			return misplaced(p, mr->refuse[i], mr->refuse_why[i]);
	if (p->rx.bolus_enabled)
		for (size_t i = 0; i < sizeof bolus_keys / sizeof bolus_keys[0]; i++)
			if (!p->line_of[bolus_keys[i]])
				return missing(p, bolus_keys[i],
				               " (needed with bolus_enabled = on)");
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
	for (size_t i = 0; i < sizeof old_names / sizeof old_names[0]; i++)
		if (strcmp(old_names[i].old, field) == 0)
			return key_names[old_names[i].key];
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
	struct strbuf o;
	char a[UNITS_FMT_MAX];

	if (cap == 0)
		return -ENOSPC;
	strbuf_fixed(&o, buf, cap);
	strbuf_printf(&o, "# ptm prescription (units: mg, mcg, ng, mL, uL, ms, s, min, h, d)\n");
	strbuf_printf(&o, "drug = %s\n", rx->drug);
	strbuf_printf(&o, "concentration = %s\n", units_fmt_conc(rx->concentration_ng_ml, a));
	strbuf_printf(&o, "capacity = %s\n", units_fmt_volume(rx->capacity_nl, a));
	strbuf_printf(&o, "mode = %s\n", rx->mode == MSG_MODE_CONTINUOUS ? "continuous" :
	    rx->mode == MSG_MODE_FLEXIBLE ? "flexible" : "stopped");
	if (rx->mode == MSG_MODE_CONTINUOUS) {
		strbuf_printf(&o, "rate = %s\n", units_fmt_rate(rx->rate_ng_day, a));
	} else if (rx->mode == MSG_MODE_FLEXIBLE) {
		for (unsigned i = 0; i < rx->n_steps && i < MSG_STEPS_MAX; i++) {
			uint32_t t = rx->steps[i].start_ms;
			strbuf_printf(&o, "step = %02u:%02u %s\n", t / 3600000,
			    (t / 60000) % 60, units_fmt_rate(rx->steps[i].rate_ng_day, a));
		}
	}
	strbuf_printf(&o, "bolus_enabled = %s\n", rx->bolus_enabled ? "on" : "off");
	if (rx->bolus_enabled || rx->bolus_dose_ng || rx->bolus_duration_ms ||
	    rx->lockout_ms || rx->max_per_24h) {
		strbuf_printf(&o, "bolus_dose = %s\n", units_fmt_dose(rx->bolus_dose_ng, a));
		fmt_time(a, sizeof a, rx->bolus_duration_ms);
		strbuf_printf(&o, "bolus_duration = %s\n", a);
		fmt_time(a, sizeof a, rx->lockout_ms);
		strbuf_printf(&o, "lockout = %s\n", a);
		strbuf_printf(&o, "max_per_24h = %u\n", (unsigned)rx->max_per_24h);
	}
	if (rx->ceiling_ng_24h) {
		strbuf_printf(&o, "ceiling_24h = %s\n", units_fmt_dose(rx->ceiling_ng_24h, a));
	} else {
		strbuf_printf(&o, "ceiling_24h = none\n");
	}
	strbuf_printf(&o, "low_threshold = %s\n", units_fmt_volume(rx->low_threshold_nl, a));
	fmt_time(a, sizeof a, rx->silence_ms);
	strbuf_printf(&o, "silence = %s\n", a);
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
