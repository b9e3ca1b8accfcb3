/*
 * tools/scenario.c — the scenario-language parser (see scenario.h and
 * docs/SCENARIOS.md).  Fed line by line; no I/O.
 */
#include "tools/scenario.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/ctl_units.h"

#define LINE_MAX_LEN 1024
#define TOK_MAX      48

struct buf {
	char *p;       /* owned, NUL-terminated when non-NULL */
	size_t len, cap;
};

struct scn {
	char name[128];
	char err[SCN_ERR_MAX];
	unsigned lineno;

	struct scn_step *steps; /* owned array */
	size_t n, cap;

	int have_pump;          /* a `pump` line was read */
	int have_request;       /* a request was read (an expect may follow) */

	/* the prescription for `pump sim` */
	char *rx_text, *rx_file; /* owned */
	unsigned rx_line;

	/* an open heredoc: its body goes to rx_text or to a step */
	int in_heredoc;
	char heredoc_word[32];
	unsigned heredoc_line;   /* line of the `<<WORD` */
	long heredoc_step;       /* step index, or -1 for `rx` */
	struct buf body;

	/* strings handed to steps (rx_text/rx_file of PROGRAM): owned */
	char **strs;
	size_t nstrs, capstrs;
};

/* ---- small helpers ------------------------------------------------------- */

static int fail(struct scn *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static int fail(struct scn *s, const char *fmt, ...)
{
	va_list ap;
	int n = snprintf(s->err, sizeof s->err, "%s:%u: ", s->name, s->lineno);
	if (n < 0 || (size_t)n >= sizeof s->err)
		return -EINVAL;
	va_start(ap, fmt);
	vsnprintf(s->err + n, sizeof s->err - (size_t)n, fmt, ap);
	va_end(ap);
	return -EINVAL;
}

static int buf_add(struct buf *b, const char *p, size_t n)
{
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		char *np;
		while (cap < b->len + n + 1)
			cap *= 2;
		np = realloc(b->p, cap);
		if (!np)
			return -ENOMEM;
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->len, p, n);
	b->len += n;
	b->p[b->len] = '\0';
	return 0;
}

/* Keep str (owned) in the scn; returns it, or NULL (str freed) on ENOMEM. */
static char *keep(struct scn *s, char *str)
{
	if (s->nstrs == s->capstrs) {
		size_t cap = s->capstrs ? s->capstrs * 2 : 8;
		char **np = realloc(s->strs, cap * sizeof *np);
		if (!np) {
			free(str);
			return NULL;
		}
		s->strs = np;
		s->capstrs = cap;
	}
	s->strs[s->nstrs++] = str;
	return str;
}

static struct scn_step *new_step(struct scn *s, int kind, const char *src)
{
	struct scn_step *st;
	if (s->n == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 16;
		struct scn_step *np = realloc(s->steps, cap * sizeof *np);
		if (!np)
			return NULL;
		s->steps = np;
		s->cap = cap;
	}
	st = &s->steps[s->n++];
	memset(st, 0, sizeof *st);
	st->kind = (uint8_t)kind;
	st->line = s->lineno;
	snprintf(st->src, sizeof st->src, "%s", src);
	return st;
}

static void trim(char *p)
{
	size_t n = strlen(p);
	char *q = p;
	while (n > 0 && (p[n - 1] == ' ' || p[n - 1] == '\t' || p[n - 1] == '\r'))
		p[--n] = '\0';
	while (*q == ' ' || *q == '\t')
		q++;
	if (q != p)
		memmove(p, q, strlen(q) + 1);
}

/* Split line (modified in place) into tokens: whitespace separates, double
 * quotes group (and are removed), '#' at the start of a token ends the
 * line.  Returns the count or -1 (unterminated quote) / -2 (too many). */
static int tokenize(char *line, char **tok)
{
	int n = 0;
	char *r = line, *w;
	for (;;) {
		while (*r == ' ' || *r == '\t')
			r++;
		if (!*r || *r == '#')
			break;
		if (n == TOK_MAX)
			return -2;
		tok[n++] = w = r;
		while (*r && *r != ' ' && *r != '\t') {
			if (*r == '"') {
				r++;
				while (*r && *r != '"')
					*w++ = *r++;
				if (*r != '"')
					return -1;
				r++;
			} else {
				*w++ = *r++;
			}
		}
		if (*r)
			r++;
		*w = '\0';
	}
	return n;
}

/* ---- names ---------------------------------------------------------------- */

static const char *const role_names[SCN_ROLES] = { "patient", "clinician", "tester" };

const char *scn_role_name(int role)
{
	return role >= 0 && role < SCN_ROLES ? role_names[role] : "unknown";
}

int scn_role_parse(const char *str)
{
	for (int i = 0; i < SCN_ROLES; i++)
		if (strcmp(str, role_names[i]) == 0)
			return i;
	return -1;
}

static int err_parse(const char *str)
{
	for (int i = 1; i < 64; i++) {
		const char *n = msg_err_name(i);
		if (strcmp(n, "unknown") != 0 && strcmp(n, str) == 0)
			return i;
	}
	return -1;
}

/* contexts a field may appear in */
#define C_STATE   0x01
#define C_BOLUS   0x02
#define C_ERROR   0x04
#define C_COUNTS  0x08
#define C_HISTORY 0x10
#define C_LOG     0x20

struct field_def {
	const char *name;
	uint8_t vtype;
	uint8_t ctx;
};

static const struct field_def fields[SCN_F__COUNT] = {
	[SCN_F_NOW]               = { "now", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_MODE]              = { "mode", SCN_V_ENUM, C_STATE | C_BOLUS },
	[SCN_F_INFUSING]          = { "infusing", SCN_V_BOOL, C_STATE | C_BOLUS },
	[SCN_F_BOLUS_RUNNING]     = { "bolus_running", SCN_V_BOOL, C_STATE | C_BOLUS },
	[SCN_F_BOLUS_ENABLED]     = { "bolus_enabled", SCN_V_BOOL, C_STATE | C_BOLUS },
	[SCN_F_SIMULATED]         = { "simulated", SCN_V_BOOL, C_STATE | C_BOLUS },
	[SCN_F_RESERVOIR]         = { "reservoir", SCN_V_NL, C_STATE | C_BOLUS },
	[SCN_F_CAPACITY]          = { "capacity", SCN_V_NL, C_STATE | C_BOLUS },
	[SCN_F_LOW_THRESHOLD]     = { "low_threshold", SCN_V_NL, C_STATE | C_BOLUS },
	[SCN_F_CONCENTRATION]     = { "concentration", SCN_V_NG_ML, C_STATE | C_BOLUS },
	[SCN_F_BASAL]             = { "basal", SCN_V_NG_DAY, C_STATE | C_BOLUS },
	[SCN_F_BOLUS_DOSE]        = { "bolus_dose", SCN_V_NG, C_STATE | C_BOLUS },
	[SCN_F_BOLUS_DURATION]    = { "bolus_duration", SCN_V_MS, C_STATE | C_BOLUS },
	[SCN_F_LOCKOUT]           = { "lockout", SCN_V_MS, C_STATE | C_BOLUS },
	[SCN_F_BOLUSES_24H]       = { "boluses_24h", SCN_V_UINT, C_STATE | C_BOLUS },
	[SCN_F_MAX_PER_24H]       = { "max_per_24h", SCN_V_UINT, C_STATE | C_BOLUS },
	[SCN_F_BOLUS_ENDS]        = { "bolus_ends", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_NEXT_BOLUS]        = { "next_bolus", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_NEXT_BOLUS_REASON] = { "next_bolus_reason", SCN_V_ENUM, C_STATE | C_BOLUS },
	[SCN_F_NEXT_REFILL]       = { "next_refill", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_ERI]               = { "eri", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_EOS]               = { "eos", SCN_V_WHEN, C_STATE | C_BOLUS },
	[SCN_F_DRUG]              = { "drug", SCN_V_STR, C_STATE | C_BOLUS },
	[SCN_F_ALARMS]            = { "alarms", SCN_V_ALARMS, C_STATE | C_BOLUS },
	[SCN_F_SILENCED]          = { "silenced", SCN_V_ALARMS, C_STATE | C_BOLUS },
	[SCN_F_CRITICAL]          = { "critical", SCN_V_BOOL, C_STATE | C_BOLUS },
	[SCN_F_DOSE]              = { "dose", SCN_V_NG, C_BOLUS },
	[SCN_F_ENDS_IN]           = { "ends_in", SCN_V_MS, C_BOLUS },
	[SCN_F_AT]                = { "at", SCN_V_WHEN, C_BOLUS },
	[SCN_F_WAIT]              = { "wait", SCN_V_MS, C_BOLUS },
	[SCN_F_DETAIL]            = { "detail", SCN_V_STR, C_ERROR },
	[SCN_F_LAST_ID]           = { "last_id", SCN_V_UINT, C_ERROR },
	[SCN_F_COUNT]             = { "count", SCN_V_UINT, C_HISTORY | C_LOG },
	[SCN_F_OUTCOME_N]         = { "<outcome>", SCN_V_UINT, C_COUNTS | C_HISTORY },
	[SCN_F_CONTAINS]          = { "contains", SCN_V_STR, C_LOG },
};

const char *scn_field_name(int field)
{
	return field >= 0 && field < SCN_F__COUNT ? fields[field].name : "unknown";
}

static const char *unit_hint(int vtype)
{
	switch (vtype) {
	case SCN_V_NL:     return "a volume such as 19.95mL or 500uL";
	case SCN_V_NG:     return "a dose such as 0.5mg or 250ug";
	case SCN_V_NG_DAY: return "a rate such as 3mg/day";
	case SCN_V_NG_ML:  return "a concentration such as 10mg/mL";
	case SCN_V_MS:     return "a duration such as 1h50m, 90s or 500ms";
	case SCN_V_WHEN:   return "now, never, a duration from now (1h50m) or a time (2026-01-01T10:00:00Z)";
	case SCN_V_BOOL:   return "yes or no";
	case SCN_V_ALARMS: return "none or alarm names separated by commas";
	case SCN_V_UINT:   return "a whole number";
	default:           return "a value";
	}
}

/* ---- checks ----------------------------------------------------------------- */

static int parse_alarms(const char *v, uint64_t *mask)
{
	char tmp[SCN_STR_MAX];
	char *save = NULL, *t;
	uint64_t m = 0;
	if (strcmp(v, "none") == 0) {
		*mask = 0;
		return 0;
	}
	if (snprintf(tmp, sizeof tmp, "%s", v) >= (int)sizeof tmp)
		return -EINVAL;
	for (t = strtok_r(tmp, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
		int a = msg_alarm_parse(t);
		if (a <= 0 || a >= 64)
			return -EINVAL;
		m |= (uint64_t)1 << a;
	}
	if (!m)
		return -EINVAL;
	*mask = m;
	return 0;
}

static int parse_value(struct scn *s, const char *ctxname, struct scn_check *c,
                       const char *v)
{
	int rc = 0, e;
	c->vtype = fields[c->field].vtype;
	switch (c->vtype) {
	case SCN_V_UINT: rc = ctl_parse_uint(v, UINT64_MAX, &c->value); break;
	case SCN_V_NL:   rc = ctl_parse_volume(v, &c->value); break;
	case SCN_V_NG:   rc = ctl_parse_dose(v, &c->value); break;
	case SCN_V_NG_DAY: rc = ctl_parse_rate(v, &c->value); break;
	case SCN_V_NG_ML:  rc = ctl_parse_conc(v, &c->value); break;
	case SCN_V_MS:   rc = ctl_parse_duration(v, &c->value); break;
	case SCN_V_WHEN:
		if (strcmp(v, "now") == 0 && c->field != SCN_F_NOW) {
			c->when = SCN_W_NOW;
		} else if ((strcmp(v, "never") == 0 || strcmp(v, "none") == 0) &&
		           c->field != SCN_F_NOW) {
			c->when = SCN_W_NEVER;
		} else if (ctl_parse_time(v, &c->value) == 0) {
			c->when = SCN_W_AT;
		} else if (c->field != SCN_F_NOW &&
		           ctl_parse_duration(v, &c->value) == 0) {
			c->when = SCN_W_IN;
		} else {
			rc = -EINVAL;
		}
		if (!rc && c->when != SCN_W_AT && c->when != SCN_W_IN &&
		    c->op != SCN_EQ && c->op != SCN_NE)
			return fail(s, "%s: '%s' can only be compared with = or !=",
			            ctxname, c->text);
		break;
	case SCN_V_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			c->value = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			c->value = 0;
		else
			rc = -EINVAL;
		break;
	case SCN_V_ENUM:
		e = c->field == SCN_F_MODE ? msg_mode_parse(v) : msg_outcome_parse(v);
		if (e < 0)
			return fail(s, "%s: '%s': unknown %s '%s'", ctxname, c->text,
			            c->field == SCN_F_MODE ? "mode" : "outcome", v);
		c->value = (uint64_t)e;
		break;
	case SCN_V_ALARMS:
		rc = parse_alarms(v, &c->value);
		if (rc)
			return fail(s, "%s: '%s': expected %s (names: low_reservoir, eri, eos, empty, motor_stall, memory, memory_critical)",
			            ctxname, c->text, unit_hint(c->vtype));
		break;
	case SCN_V_STR:
		if (snprintf(c->str, sizeof c->str, "%s", v) >= (int)sizeof c->str)
			return fail(s, "%s: '%s': text too long", ctxname, c->text);
		break;
	}
	if (rc == -ERANGE)
		return fail(s, "%s: '%s': value too large", ctxname, c->text);
	if (rc)
		return fail(s, "%s: '%s': expected %s", ctxname, c->text,
		            unit_hint(c->vtype));
	if ((c->vtype == SCN_V_BOOL || c->vtype == SCN_V_ENUM ||
	     c->vtype == SCN_V_STR) && c->op != SCN_EQ && c->op != SCN_NE)
		return fail(s, "%s: '%s' can only be compared with = or !=",
		            ctxname, c->text);
	if (c->vtype == SCN_V_ALARMS && c->op != SCN_EQ && c->op != SCN_NE &&
	    c->op != SCN_GE)
		return fail(s, "%s: '%s': alarm sets compare with = (exactly), != or >= (includes)",
		            ctxname, c->text);
	return 0;
}

/* "name OP value" -> a check allowed in ctx. */
static int parse_check(struct scn *s, const char *ctxname, unsigned ctx,
                       const char *tok, struct scn_check *c)
{
	char name[40];
	size_t n = strcspn(tok, "!<>=");
	const char *p = tok + n;
	int f;

	memset(c, 0, sizeof *c);
	snprintf(c->text, sizeof c->text, "%s", tok);
	if (n == 0 || !*p || n >= sizeof name)
		return fail(s, "%s: '%s' is not NAME=VALUE", ctxname, tok);
	memcpy(name, tok, n);
	name[n] = '\0';
	if (p[0] == '!' && p[1] == '=') { c->op = SCN_NE; p += 2; }
	else if (p[0] == '<' && p[1] == '=') { c->op = SCN_LE; p += 2; }
	else if (p[0] == '>' && p[1] == '=') { c->op = SCN_GE; p += 2; }
	else if (p[0] == '=') { c->op = SCN_EQ; p += 1; }
	else if (p[0] == '<') { c->op = SCN_LT; p += 1; }
	else if (p[0] == '>') { c->op = SCN_GT; p += 1; }
	else
		return fail(s, "%s: '%s' is not NAME=VALUE", ctxname, tok);
	if (!*p)
		return fail(s, "%s: '%s' has no value", ctxname, tok);

	f = SCN_F__COUNT;
	if (ctx & (C_COUNTS | C_HISTORY)) {
		/* outcome names first: "lockout" is an outcome here */
		int o = msg_outcome_parse(name);
		if (o >= 0) {
			f = SCN_F_OUTCOME_N;
			c->arg = o;
		}
	}
	if (f == SCN_F__COUNT)
		for (f = 0; f < SCN_F__COUNT; f++)
			if (f != SCN_F_OUTCOME_N && strcmp(fields[f].name, name) == 0)
				break;
	if (f == SCN_F__COUNT)
		return fail(s, "%s: unknown field '%s'", ctxname, name);
	if (!(fields[f].ctx & ctx))
		return fail(s, "%s: field '%s' does not belong here", ctxname, name);
	c->field = (uint8_t)f;
	return parse_value(s, ctxname, c, p);
}

static int parse_checks(struct scn *s, struct scn_step *st, const char *ctxname,
                        unsigned ctx, char **tok, int ntok)
{
	for (int i = 0; i < ntok; i++) {
		int rc;
		if (st->n_checks == SCN_CHECKS_MAX)
			return fail(s, "%s: more than %d checks on one line", ctxname,
			            SCN_CHECKS_MAX);
		rc = parse_check(s, ctxname, ctx, tok[i], &st->checks[st->n_checks]);
		if (rc)
			return rc;
		st->n_checks++;
	}
	return 0;
}

/* ---- steps -------------------------------------------------------------------- */

static int open_heredoc(struct scn *s, const char *word, long step)
{
	if (!*word)
		return fail(s, "'<<' needs a terminator word, e.g. <<EOF");
	if (strlen(word) >= sizeof s->heredoc_word)
		return fail(s, "heredoc word '%s' is too long", word);
	snprintf(s->heredoc_word, sizeof s->heredoc_word, "%s", word);
	s->in_heredoc = 1;
	s->heredoc_line = s->lineno;
	s->heredoc_step = step;
	s->body.len = 0;
	if (s->body.p)
		s->body.p[0] = '\0';
	return 0;
}

/* tok[i] is "<<WORD" or "<<" followed by "WORD": the word, else NULL. */
static const char *heredoc_word(char **tok, int ntok, int i, int *used)
{
	if (strncmp(tok[i], "<<", 2) != 0)
		return NULL;
	if (tok[i][2]) {
		*used = 1;
		return tok[i] + 2;
	}
	*used = 2;
	return i + 1 < ntok ? tok[i + 1] : "";
}

static int step_rx(struct scn *s, char **tok, int ntok)
{
	const char *w;
	int used = 0;
	if (s->have_pump)
		return fail(s, "rx must come before 'pump sim'; to change the prescription later use 'as clinician program'");
	if (s->rx_text || s->rx_file)
		return fail(s, "a second rx (the prescription was given on line %u)", s->rx_line);
	if (ntok < 2)
		return fail(s, "rx needs <<EOF (the prescription follows) or a file name");
	w = heredoc_word(tok, ntok, 1, &used);
	if (w) {
		if (1 + used != ntok)
			return fail(s, "rx: unexpected '%s' after the heredoc word", tok[1 + used]);
		s->rx_line = s->lineno + 1;
		return open_heredoc(s, w, -1);
	}
	if (ntok != 2)
		return fail(s, "rx takes one file name");
	s->rx_file = strdup(tok[1]);
	if (!s->rx_file)
		return -ENOMEM;
	s->rx_line = s->lineno;
	return 0;
}

static int step_pump(struct scn *s, const char *src, char **tok, int ntok)
{
	struct scn_step *st;
	if (s->have_pump)
		return fail(s, "a second 'pump' line: use 'restart' or 'kill9' to restart the pump");
	if (ntok < 2 || strcmp(tok[1], "sim") != 0)
		return fail(s, "pump: expected 'pump sim [start=TIME] [volume=VOLUME]'");
	st = new_step(s, SCN_PUMP, src);
	if (!st)
		return -ENOMEM;
	for (int i = 2; i < ntok; i++) {
		if (strncmp(tok[i], "start=", 6) == 0) {
			if (ctl_parse_time(tok[i] + 6, &st->start_ms))
				return fail(s, "pump: '%s': expected a UTC time such as 2026-01-01T08:00:00Z", tok[i]);
		} else if (strncmp(tok[i], "volume=", 7) == 0) {
			if (ctl_parse_volume(tok[i] + 7, &st->volume_nl))
				return fail(s, "pump: '%s': expected a volume such as 20mL", tok[i]);
		} else {
			return fail(s, "pump: unknown option '%s' (start=, volume=)", tok[i]);
		}
	}
	s->have_pump = 1;
	return 0;
}

static int alarm_arg(struct scn *s, const char *what, const char *v, int allow_all,
                     uint8_t *out)
{
	int a;
	if (allow_all && strcmp(v, "all") == 0) {
		*out = 0;
		return 0;
	}
	a = msg_alarm_parse(v);
	if (a <= 0)
		return fail(s, "%s: unknown alarm '%s'%s", what, v,
		            allow_all ? " (or 'all')" : "");
	*out = (uint8_t)a;
	return 0;
}

/* tok[0] is the request name. */
static int parse_request(struct scn *s, struct scn_step *st, char **tok, int ntok)
{
	struct msg_request *r = &st->req;
	const char *what = tok[0];
	uint64_t v;

	if (strcmp(what, "status") == 0 || strcmp(what, "bolus") == 0) {
		r->type = what[0] == 's' ? MSG_STATUS : MSG_BOLUS;
		if (ntok != 1)
			return fail(s, "%s takes no arguments", what);
	} else if (strcmp(what, "silence") == 0) {
		r->type = MSG_SILENCE;
		if (ntok > 2)
			return fail(s, "silence takes one alarm (or 'all')");
		r->u.alarm = 0;
		if (ntok == 2 && alarm_arg(s, "silence", tok[1], 1, &r->u.alarm))
			return -EINVAL;
	} else if (strcmp(what, "history") == 0) {
		r->type = MSG_HISTORY;
		r->u.max = MSG_HISTORY_MAX;
		if (ntok > 2)
			return fail(s, "history takes at most one number");
		if (ntok == 2) {
			if (ctl_parse_uint(tok[1], MSG_HISTORY_MAX, &v) || v == 0)
				return fail(s, "history: '%s': expected 1..%d", tok[1], MSG_HISTORY_MAX);
			r->u.max = (uint16_t)v;
		}
	} else if (strcmp(what, "program") == 0) {
		const char *w;
		int used = 0;
		r->type = MSG_PROGRAM;
		if (ntok < 2)
			return fail(s, "program needs <<EOF (the prescription follows) or a file name");
		w = heredoc_word(tok, ntok, 1, &used);
		if (w) {
			if (1 + used != ntok)
				return fail(s, "program: unexpected '%s' after the heredoc word", tok[1 + used]);
			st->rx_line = s->lineno + 1;
			return open_heredoc(s, w, (long)(st - s->steps));
		}
		if (ntok != 2)
			return fail(s, "program takes one file name");
		{
			char *f = strdup(tok[1]);
			if (!f || !keep(s, f))
				return -ENOMEM;
			st->rx_file = f;
			st->rx_line = s->lineno;
		}
	} else if (strcmp(what, "refill") == 0) {
		r->type = MSG_REFILL;
		if (ntok < 2 || ntok > 3)
			return fail(s, "refill: expected 'refill VOLUME [CONCENTRATION]', e.g. refill 20mL 10mg/mL");
		if (ctl_parse_volume(tok[1], &v) || v > UINT32_MAX)
			return fail(s, "refill: '%s': expected a volume such as 20mL", tok[1]);
		r->u.refill.volume_nl = (uint32_t)v;
		if (ntok == 3) {
			if (ctl_parse_conc(tok[2], &v) || v == 0 || v > UINT32_MAX)
				return fail(s, "refill: '%s': expected a concentration such as 10mg/mL", tok[2]);
			r->u.refill.concentration_ng_ml = (uint32_t)v;
		}
	} else if (strcmp(what, "clear") == 0) {
		r->type = MSG_CLEAR;
		if (ntok != 2)
			return fail(s, "clear takes one alarm name");
		if (alarm_arg(s, "clear", tok[1], 0, &r->u.alarm))
			return -EINVAL;
	} else if (strcmp(what, "log") == 0) {
		r->type = MSG_LOG;
		r->u.log.after_seq = 0;
		r->u.log.max = MSG_LOG_MAX;
		for (int i = 1; i < ntok; i++) {
			if (strncmp(tok[i], "after=", 6) == 0) {
				if (ctl_parse_uint(tok[i] + 6, UINT64_MAX, &r->u.log.after_seq))
					return fail(s, "log: '%s': expected a number", tok[i]);
			} else if (strncmp(tok[i], "max=", 4) == 0) {
				if (ctl_parse_uint(tok[i] + 4, MSG_LOG_MAX, &v) || v == 0)
					return fail(s, "log: '%s': expected 1..%d", tok[i], MSG_LOG_MAX);
				r->u.log.max = (uint16_t)v;
			} else {
				return fail(s, "log: unknown option '%s' (after=, max=)", tok[i]);
			}
		}
	} else if (strcmp(what, "run") == 0) {
		r->type = MSG_RUN;
		if (ntok != 2 || (strcmp(tok[1], "start") && strcmp(tok[1], "stop")))
			return fail(s, "run: expected 'run start' or 'run stop'");
		r->u.run = strcmp(tok[1], "start") == 0;
	} else if (strcmp(what, "fault") == 0) {
		int f;
		r->type = MSG_FAULT;
		if (ntok < 2)
			return fail(s, "fault needs a kind (motor_stall, memory, memory_critical, battery_eri, battery_eos, reservoir VOLUME)");
		f = msg_fault_parse(tok[1]);
		if (f <= 0)
			return fail(s, "fault: unknown fault '%s'", tok[1]);
		r->u.fault.kind = (uint8_t)f;
		if (f == MSG_FAULT_RESERVOIR) {
			if (ntok != 3 || ctl_parse_volume(tok[2], &r->u.fault.arg))
				return fail(s, "fault reservoir: expected a volume, e.g. fault reservoir 1mL");
		} else if (ntok != 2) {
			return fail(s, "fault %s takes no argument", tok[1]);
		}
	} else if (strcmp(what, "clock") == 0) {
		r->type = MSG_CLOCK;
		if (ntok == 3 && strcmp(tok[1], "advance") == 0) {
			r->u.clock.op = MSG_CLOCK_ADVANCE;
			if (ctl_parse_duration(tok[2], &r->u.clock.arg))
				return fail(s, "clock advance: '%s': expected a duration such as 2h or 1d", tok[2]);
		} else if (ntok == 3 && strcmp(tok[1], "speed") == 0) {
			r->u.clock.op = MSG_CLOCK_SPEED;
			if (ctl_parse_uint(tok[2], UINT32_MAX, &r->u.clock.arg))
				return fail(s, "clock speed: '%s': expected a whole number (0 = frozen)", tok[2]);
		} else {
			return fail(s, "clock: expected 'clock advance DURATION' or 'clock speed N'");
		}
	} else {
		return fail(s, "unknown request '%s' (status, bolus, silence, history, program, refill, clear, log, run, fault, clock)", what);
	}
	return 0;
}

static int step_as(struct scn *s, const char *src, char **tok, int ntok, int role)
{
	struct scn_step *st;
	int i = 0;

	if (!s->have_pump)
		return fail(s, "a request before 'pump sim': start the pump first");
	st = new_step(s, SCN_REQUEST, src);
	if (!st)
		return -ENOMEM;
	st->role = (uint8_t)role;
	if (i < ntok && strncmp(tok[i], "id=", 3) == 0) {
		if (ctl_parse_uint(tok[i] + 3, UINT64_MAX, &st->id))
			return fail(s, "'%s': expected id=NUMBER", tok[i]);
		st->has_id = 1;
		i++;
	}
	if (i == ntok)
		return fail(s, "as %s: which request?", scn_role_name(role));
	if (strcmp(tok[i], "retry") == 0) {
		if (st->has_id)
			return fail(s, "retry resends the previous id; it takes no id=");
		if (ntok - i != 1)
			return fail(s, "retry takes no arguments");
		st->kind = SCN_RETRY;
		s->have_request = 1;
		return 0;
	}
	s->have_request = 1;
	return parse_request(s, st, tok + i, ntok - i);
}

static int step_expect(struct scn *s, const char *src, char **tok, int ntok)
{
	struct scn_step *st;
	const char *what;
	int e;

	if (ntok < 2)
		return fail(s, "expect what? (ok, error, outcome, state, same, counts, history, log, silenced)");
	if (!s->have_request)
		return fail(s, "expect before any request: nothing to check yet");
	st = new_step(s, SCN_EXPECT, src);
	if (!st)
		return -ENOMEM;
	what = tok[1];
	tok += 2;
	ntok -= 2;
	if (strcmp(what, "ok") == 0) {
		st->expect = SCN_X_OK;
		return parse_checks(s, st, "expect ok", C_STATE, tok, ntok);
	}
	if (strcmp(what, "same") == 0) {
		st->expect = SCN_X_SAME;
		if (ntok)
			return fail(s, "expect same takes no arguments");
		return 0;
	}
	if (strcmp(what, "error") == 0) {
		st->expect = SCN_X_ERROR;
		if (ntok < 1)
			return fail(s, "expect error needs a name (role, range, state, stale_id, not_sim, ...)");
		e = err_parse(tok[0]);
		if (e < 0)
			return fail(s, "expect error: unknown error '%s'", tok[0]);
		st->code = e;
		return parse_checks(s, st, "expect error", C_ERROR | C_STATE, tok + 1, ntok - 1);
	}
	if (strcmp(what, "outcome") == 0) {
		st->expect = SCN_X_OUTCOME;
		if (ntok < 1)
			return fail(s, "expect outcome needs an outcome (granted, lockout, daily_count, ...)");
		e = msg_outcome_parse(tok[0]);
		if (e < 0)
			return fail(s, "expect outcome: unknown outcome '%s'", tok[0]);
		st->code = e;
		return parse_checks(s, st, "expect outcome", C_BOLUS | C_STATE, tok + 1, ntok - 1);
	}
	if (strcmp(what, "state") == 0) {
		st->expect = SCN_X_STATE;
		if (ntok < 1)
			return fail(s, "expect state needs at least one FIELD=VALUE");
		return parse_checks(s, st, "expect state", C_STATE, tok, ntok);
	}
	if (strcmp(what, "counts") == 0) {
		st->expect = SCN_X_COUNTS;
		if (ntok < 1)
			return fail(s, "expect counts needs at least one OUTCOME=N");
		return parse_checks(s, st, "expect counts", C_COUNTS, tok, ntok);
	}
	if (strcmp(what, "history") == 0) {
		st->expect = SCN_X_HISTORY;
		if (ntok < 1)
			return fail(s, "expect history needs count=N or OUTCOME=N");
		return parse_checks(s, st, "expect history", C_HISTORY, tok, ntok);
	}
	if (strcmp(what, "log") == 0) {
		st->expect = SCN_X_LOG;
		if (ntok < 1)
			return fail(s, "expect log needs count=N or contains \"TEXT\"");
		for (int i = 0; i < ntok; i++) {
			if (strcmp(tok[i], "contains") == 0) {
				struct scn_check *c;
				if (i + 1 >= ntok)
					return fail(s, "expect log contains: which text?");
				if (st->n_checks == SCN_CHECKS_MAX)
					return fail(s, "expect log: too many checks");
				c = &st->checks[st->n_checks++];
				memset(c, 0, sizeof *c);
				c->field = SCN_F_CONTAINS;
				c->vtype = SCN_V_STR;
				c->op = SCN_EQ;
				snprintf(c->text, sizeof c->text, "contains \"%s\"", tok[i + 1]);
				if (snprintf(c->str, sizeof c->str, "%s", tok[i + 1]) >= (int)sizeof c->str)
					return fail(s, "expect log: text too long");
				i++;
			} else {
				int rc = parse_checks(s, st, "expect log", C_LOG, tok + i, 1);
				if (rc)
					return rc;
			}
		}
		return 0;
	}
	if (strcmp(what, "silenced") == 0) {
		uint64_t v;
		st->expect = SCN_X_SILENCED;
		if (ntok != 1 || ctl_parse_uint(tok[0], 255, &v))
			return fail(s, "expect silenced needs a number: how many alarms the SILENCE reply says it silenced");
		st->code = (int)v;
		return 0;
	}
	return fail(s, "expect: unknown expectation '%s' (ok, error, outcome, state, same, counts, history, log, silenced)", what);
}

/* ---- feeding ------------------------------------------------------------------- */

static int end_heredoc(struct scn *s)
{
	char *text = s->body.p ? strdup(s->body.p) : strdup("");
	s->in_heredoc = 0;
	if (!text)
		return -ENOMEM;
	if (s->heredoc_step < 0) {
		s->rx_text = text;
		return 0;
	}
	if (!keep(s, text))
		return -ENOMEM;
	s->steps[s->heredoc_step].rx_text = text;
	return 0;
}

static int feed_line(struct scn *s, const char *line, size_t len);

int scn_feed(struct scn *s, const char *line, size_t len)
{
	size_t n = s->n;
	int have_pump = s->have_pump, have_request = s->have_request;
	int rc = feed_line(s, line, len);
	if (rc < 0) {
		/* a refused line leaves no partial step behind */
		s->n = n;
		s->have_pump = have_pump;
		s->have_request = have_request;
	}
	return rc;
}

static int feed_line(struct scn *s, const char *line, size_t len)
{
	char copy[LINE_MAX_LEN], src[LINE_MAX_LEN];
	char *tok[TOK_MAX];
	int ntok, role;

	s->lineno++;
	s->err[0] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;

	if (s->in_heredoc) {
		size_t a = 0, b = len;
		while (a < b && (line[a] == ' ' || line[a] == '\t'))
			a++;
		while (b > a && (line[b - 1] == ' ' || line[b - 1] == '\t'))
			b--;
		if (b - a == strlen(s->heredoc_word) &&
		    memcmp(line + a, s->heredoc_word, b - a) == 0)
			return end_heredoc(s);
		if (buf_add(&s->body, line, len) || buf_add(&s->body, "\n", 1))
			return -ENOMEM;
		return 0;
	}

	if (len >= sizeof copy)
		return fail(s, "line longer than %d bytes", LINE_MAX_LEN - 1);
	if (memchr(line, '\0', len))
		return fail(s, "a NUL byte in the line");
	memcpy(copy, line, len);
	copy[len] = '\0';
	memcpy(src, copy, len + 1);
	trim(src);
	ntok = tokenize(copy, tok);
	if (ntok == -1)
		return fail(s, "unterminated quote");
	if (ntok == -2)
		return fail(s, "too many words on one line");
	if (ntok == 0)
		return 0;
	{
		/* the TAP description drops a trailing comment */
		char *h = strstr(src, " #");
		if (h && !strchr(h, '"')) {
			*h = '\0';
			trim(src);
		}
	}

	if (strcmp(tok[0], "pump") == 0)
		return step_pump(s, src, tok, ntok);
	if (strcmp(tok[0], "rx") == 0)
		return step_rx(s, tok, ntok);
	if (strcmp(tok[0], "as") == 0) {
		if (ntok < 2)
			return fail(s, "as: which role? (patient, clinician, tester)");
		role = scn_role_parse(tok[1]);
		if (role < 0)
			return fail(s, "as: unknown role '%s' (patient, clinician, tester)", tok[1]);
		return step_as(s, src, tok + 2, ntok - 2, role);
	}
	if (strcmp(tok[0], "clock") == 0 || strcmp(tok[0], "fault") == 0)
		return step_as(s, src, tok, ntok, SCN_TESTER);
	if (strcmp(tok[0], "expect") == 0)
		return step_expect(s, src, tok, ntok);
	if (strcmp(tok[0], "restart") == 0 || strcmp(tok[0], "kill9") == 0) {
		if (ntok != 1)
			return fail(s, "%s takes no arguments", tok[0]);
		if (!s->have_pump)
			return fail(s, "%s before 'pump sim': there is no pump to restart", tok[0]);
		if (!new_step(s, tok[0][0] == 'r' ? SCN_RESTART : SCN_KILL9, src))
			return -ENOMEM;
		return 0;
	}
	return fail(s, "unknown step '%s' (pump, rx, as, clock, fault, expect, restart, kill9)", tok[0]);
}

int scn_finish(struct scn *s)
{
	s->err[0] = '\0';
	if (s->in_heredoc)
		return fail(s, "the heredoc opened on line %u has no closing '%s'",
		            s->heredoc_line, s->heredoc_word);
	if (!s->have_pump)
		return fail(s, "no 'pump sim' line: a scenario starts its own pump");
	return 0;
}

struct scn *scn_new(const char *name)
{
	struct scn *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	snprintf(s->name, sizeof s->name, "%s", name ? name : "-");
	return s;
}

void scn_free(struct scn *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nstrs; i++)
		free(s->strs[i]);
	free(s->strs);
	free(s->steps);
	free(s->rx_text);
	free(s->rx_file);
	free(s->body.p);
	free(s);
}

const char *scn_error(const struct scn *s) { return s->err; }
size_t scn_count(const struct scn *s) { return s->n; }

const struct scn_step *scn_step_at(const struct scn *s, size_t i)
{
	return i < s->n ? &s->steps[i] : NULL;
}

const char *scn_rx_text(const struct scn *s, unsigned *line)
{
	if (line)
		*line = s->rx_line;
	return s->rx_text;
}

const char *scn_rx_file(const struct scn *s, unsigned *line)
{
	if (line)
		*line = s->rx_line;
	return s->rx_file;
}
