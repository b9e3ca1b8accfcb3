/* pumpd/druglib.c — the drug library's parser and check (see druglib.h). */
#include "pumpd/druglib.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "util/units.h"

static const char *const limit_key[DRUGLIB__N] = {
	"concentration", "daily", "bolus" };
static const char *const limit_field[DRUGLIB__N] = {
	"concentration_ng_ml", "daily_ng", "bolus_dose_ng" };
static const char *const limit_unit[DRUGLIB__N] = { "ng/mL", "ng", "ng" };
static const int limit_kind[DRUGLIB__N] = { UNITS_NG_ML, UNITS_NG, UNITS_NG };

struct lx {
	const char *t;
	size_t len, line_at;   /* the current line's first byte */
	unsigned line;
	char *err;
	size_t errcap;
};

static int bad(struct lx *x, const char *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int bad(struct lx *x, const char *at, const char *fmt, ...)
{
	char m[DRUGLIB_ERR_MAX];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(m, sizeof m, fmt, ap);
	va_end(ap);
	snprintf(x->err, x->errcap, "%u:%zu: %s", x->line,
	         (size_t)(at - (x->t + x->line_at)) + 1, m);
	return -EINVAL;
}

static const char *skip_ws(const char *p, const char *e)
{
	while (p < e && (*p == ' ' || *p == '\t'))
		p++;
	return p;
}

static const char *trim_end(const char *p, const char *e)
{
	while (e > p && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
		e--;
	return e;
}

/* One value "soft V, hard V" of a limit line. */
static int parse_limit(struct lx *x, const char *p, const char *e, int k,
                       struct druglib_entry *d)
{
	const char *words[2] = { "soft", "hard" };
	uint32_t v[2];
	for (int i = 0; i < 2; i++) {
		p = skip_ws(p, e);
		size_t w = strlen(words[i]);
		if ((size_t)(e - p) < w || strncmp(p, words[i], w) != 0)
			return bad(x, p, "expected '%s' (%s = soft V, hard V)",
			           words[i], limit_key[k]);
		p = skip_ws(p + w, e);
		const char *end = i == 0 ? memchr(p, ',', (size_t)(e - p)) : e;
		if (!end)
			return bad(x, p, "expected ',' between the soft and the hard limit");
		char buf[64];
		size_t n = (size_t)(trim_end(p, end) - p);
		if (n == 0 || n >= sizeof buf)
			return bad(x, p, "expected a %s", k == DRUGLIB_CONC ?
			           "concentration (e.g. 10 mg/mL)" : "dose (e.g. 0.5 mg)");
		memcpy(buf, p, n);
		buf[n] = '\0';
		uint64_t val;
		int wrong = 0;
		if (units_parse(limit_kind[k], buf, &val) < 0) {
			const char *why = units_explain(limit_kind[k], buf, &wrong);
			return bad(x, p, "%s: %s%s%s%s", buf, why, wrong ? " (" : "",
			           wrong ? units_hint(limit_kind[k]) : "", wrong ? ")" : "");
		}
		/* 0 only for a bolus: no patient bolus for this drug */
		if ((val == 0 && k != DRUGLIB_BOLUS) || val > UINT32_MAX)
			return bad(x, p, "%s: %s", buf, val == 0 ? "a limit must be above 0"
			                                         : "too large");
		v[i] = (uint32_t)val;
		if (i == 1 && v[1] < v[0])
			return bad(x, p, "the hard limit is below the soft limit");
		p = i == 0 ? end + 1 : end;
	}
	d->soft[k] = v[0];
	d->hard[k] = v[1];
	return 0;
}

static int printable(const char *p, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)p[i] < 0x20 && p[i] != '\t') ||
		    (unsigned char)p[i] > 0x7e)
			return 0;
	return 1;
}

/* The block just ended is complete. */
static int block_done(struct lx *x, struct druglib *lib, unsigned have,
                      const char *head)
{
	if (lib->n == 0)
		return 0;
	const struct druglib_entry *d = &lib->e[lib->n - 1];
	const char *miss = !d->source[0] ? "source" :
	                   !(have & 1u << DRUGLIB_CONC) ? "concentration" :
	                   !(have & 1u << DRUGLIB_DAILY) ? "daily" :
	                   !(have & 1u << DRUGLIB_BOLUS) ? "bolus" : NULL;
	if (miss)
		return bad(x, head, "[%s] has no '%s' line", d->name, miss);
	return 0;
}

int druglib_parse(const char *t, size_t len, struct druglib **out, char *err,
                  size_t errcap)
{
	struct lx x = { t, len, 0, 0, err, errcap };
	char dummy[2];
	if (!err || errcap == 0) {
		x.err = dummy;
		x.errcap = sizeof dummy;
	}
	struct druglib *lib = calloc(1, sizeof *lib);
	if (!lib) {
		snprintf(x.err, x.errcap, "out of memory");
		return -ENOMEM;
	}
	unsigned have = 0;
	const char *head = t;
	size_t head_line_at = 0;
	unsigned head_line = 0;
	int rc = 0;
	for (size_t at = 0; at < len && rc == 0;) {
		const char *nl = memchr(t + at, '\n', len - at);
		const char *e = nl ? nl : t + len;
		x.line++;
		x.line_at = at;
		const char *p = skip_ws(t + at, e);
		const char *end = trim_end(p, e);
		at = (size_t)(e - t) + (nl ? 1 : 0);
		if (!printable(p, (size_t)(end - p))) {
			const char *q = p;
			while (q < end && printable(q, 1))
				q++;
			rc = bad(&x, q, "a character that is not printable ASCII");
			break;
		}
		if (p == end || *p == '#')
			continue;
		if (*p == '[') {
			size_t sl = x.line_at;
			unsigned sn = x.line;
			x.line_at = head_line_at;
			x.line = head_line;
			rc = block_done(&x, lib, have, head);
			x.line_at = sl;
			x.line = sn;
			if (rc)
				break;
			const char *close = memchr(p, ']', (size_t)(end - p));
			if (!close || close + 1 != end) {
				rc = bad(&x, close ? close + 1 : end, "expected [drug name]");
				break;
			}
			const char *n0 = skip_ws(p + 1, close), *n1 = trim_end(n0, close);
			if (n1 == n0 || (size_t)(n1 - n0) > MSG_DRUG_MAX) {
				rc = bad(&x, n0, "a drug name is 1 to %d characters", MSG_DRUG_MAX);
				break;
			}
			if (lib->n == DRUGLIB_MAX) {
				rc = bad(&x, p, "more than %d drugs", DRUGLIB_MAX);
				break;
			}
			struct druglib_entry *d = &lib->e[lib->n];
			memset(d, 0, sizeof *d);
			memcpy(d->name, n0, (size_t)(n1 - n0));
			if (druglib_find(lib, d->name)) {
				rc = bad(&x, n0, "[%s] twice", d->name);
				break;
			}
			lib->n++;
			have = 0;
			head = p;
			head_line_at = x.line_at;
			head_line = x.line;
			continue;
		}
		if (lib->n == 0) {
			rc = bad(&x, p, "expected [drug name] before settings");
			break;
		}
		struct druglib_entry *d = &lib->e[lib->n - 1];
		const char *eq = memchr(p, '=', (size_t)(end - p));
		if (!eq) {
			rc = bad(&x, end, "expected 'key = value'");
			break;
		}
		const char *k1 = trim_end(p, eq);
		size_t kl = (size_t)(k1 - p);
		const char *v = skip_ws(eq + 1, end);
		if (kl == 6 && strncmp(p, "source", 6) == 0) {
			if (d->source[0]) {
				rc = bad(&x, p, "source given twice");
			} else if (v == end || (size_t)(end - v) > DRUGLIB_SOURCE_MAX) {
				rc = bad(&x, v, "a source is 1 to %d characters", DRUGLIB_SOURCE_MAX);
			} else {
				memcpy(d->source, v, (size_t)(end - v));
				d->source[end - v] = '\0';
			}
			continue;
		}
		int k = -1;
		for (int i = 0; i < DRUGLIB__N; i++)
			if (kl == strlen(limit_key[i]) && strncmp(p, limit_key[i], kl) == 0)
				k = i;
		if (k < 0) {
			rc = bad(&x, p, "unknown key '%.*s' (source, concentration, daily, bolus)",
			         (int)(kl > 32 ? 32 : kl), p);
			break;
		}
		if (have & 1u << k) {
			rc = bad(&x, p, "%s given twice", limit_key[k]);
			break;
		}
		rc = parse_limit(&x, v, end, k, d);
		have |= 1u << k;
	}
	if (rc == 0) {
		x.line_at = head_line_at;
		x.line = head_line;
		rc = block_done(&x, lib, have, head);
	}
	if (rc == 0 && lib->n == 0) {
		snprintf(x.err, x.errcap, "1:1: no drug in the library");
		rc = -EINVAL;
	}
	if (rc) {
		free(lib);
		return rc;
	}
	*out = lib;
	return 0;
}

int druglib_load(const char *path, struct druglib **out, char *err,
                 size_t errcap)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		snprintf(err, errcap, "%s: %s", path, strerror(e));
		return -e;
	}
	char *buf = malloc(DRUGLIB_FILE_MAX + 1);
	if (!buf) {
		close(fd);
		snprintf(err, errcap, "%s: out of memory", path);
		return -ENOMEM;
	}
	size_t n = 0;
	ssize_t r;
	while ((r = read(fd, buf + n, DRUGLIB_FILE_MAX + 1 - n)) > 0)
		n += (size_t)r;
	int e = r < 0 ? errno : 0;
	close(fd);
	if (e || n > DRUGLIB_FILE_MAX) {
		snprintf(err, errcap, "%s: %s", path,
		         e ? strerror(e) : "larger than 64 KiB");
		free(buf);
		return e ? -e : -EFBIG;
	}
	char m[DRUGLIB_ERR_MAX];
	int rc = druglib_parse(buf, n, out, m, sizeof m);
	free(buf);
	if (rc)
		snprintf(err, errcap, "%s:%s", path, m);
	return rc;
}

void druglib_free(struct druglib *lib)
{
	free(lib);
}

const struct druglib_entry *druglib_find(const struct druglib *lib,
                                         const char *drug)
{
	if (!lib || !drug)
		return NULL;
	for (unsigned i = 0; i < lib->n; i++)
		if (strcasecmp(lib->e[i].name, drug) == 0)
			return &lib->e[i];
	return NULL;
}

/* The first n limits of d against val[]: hard ones first, then soft. */
static int check_values(const struct druglib_entry *d, const uint32_t *val,
                        int n, const char *override, struct druglib_verdict *v)
{
	v->in_library = 1;
	for (int k = 0; k < n; k++)
		if (val[k] > d->hard[k]) {
			snprintf(v->detail, sizeof v->detail, "%s: hard limit %u %s",
			         limit_field[k], (unsigned)d->hard[k], limit_unit[k]);
			return DRUGLIB_HARD;
		}
	for (int k = 0; k < n; k++)
		if (val[k] > d->soft[k]) {
			snprintf(v->detail, sizeof v->detail, "%s: soft limit %u %s",
			         limit_field[k], (unsigned)d->soft[k], limit_unit[k]);
			if (!override || !override[0])
				return DRUGLIB_SOFT;
			v->overridden = 1;
			return 0;
		}
	return 0;
}

int druglib_check(const struct druglib *lib, const pump_rx *rx,
                  const char *override, struct druglib_verdict *v)
{
	memset(v, 0, sizeof *v);
	const struct druglib_entry *d = druglib_find(lib, rx->drug);
	if (!d)
		return 0;
	uint32_t val[DRUGLIB__N] = { rx->concentration_ng_ml, pump_rx_daily_ng(rx),
	                             rx->bolus_enabled ? rx->bolus_dose_ng : 0 };
	return check_values(d, val, DRUGLIB__N, override, v);
}

int druglib_check_conc(const struct druglib *lib, const char *drug,
                       uint32_t conc_ng_ml, const char *override,
                       struct druglib_verdict *v)
{
	memset(v, 0, sizeof *v);
	const struct druglib_entry *d = druglib_find(lib, drug);
	_Static_assert(DRUGLIB_CONC == 0, "the concentration is the first limit");
	return d ? check_values(d, &conc_ng_ml, 1, override, v) : 0;
}

void druglib_override_row(char *buf, size_t cap,
                          const struct druglib_verdict *v, const char *reason)
{
	snprintf(buf, cap, "override: %s (%s)", reason, v->detail);
}

int druglib_reason_ok(const char *why)
{
	size_t n = strlen(why);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e)
			return 0;
	return n >= 1 && n <= MSG_OVERRIDE_MAX;
}
