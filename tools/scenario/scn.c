/*
 * tools/scenario/scn.c — the scenario file's structure (see scn.h and
 * docs/SCENARIOS.md): one step a line, heredoc bodies, and the order rules
 * (rx before `pump sim`, one pump, a request before any expect).  The words
 * of a request and of an expectation are parsed by scnreq.c and
 * scnexpect.c.  Fed line by line; no I/O.
 */
#include "tools/scenario/scn.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/grow.h"
#include "util/units.h"
#include "tools/scenario/scnexpect.h"
#include "tools/scenario/scnlex.h"
#include "tools/scenario/scnreq.h"

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

/* A message from scn_request / scn_expect, with the file:line prefix. */
static int fail_with(struct scn *s, const char *msg)
{
	return fail(s, "%s", msg);
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
	char **np = grow(s->strs, &s->capstrs, s->nstrs, sizeof *np, 8);
	if (!np) {
		free(str);
		return NULL;
	}
	s->strs = np;
	s->strs[s->nstrs++] = str;
	return str;
}

static struct scn_step *new_step(struct scn *s, int kind, const char *src)
{
	struct scn_step *st = grow(s->steps, &s->cap, s->n, sizeof *st, 16);
	if (!st)
		return NULL;
	s->steps = st;
	st = &s->steps[s->n++];
	memset(st, 0, sizeof *st);
	st->kind = (uint8_t)kind;
	st->line = s->lineno;
	snprintf(st->src, sizeof st->src, "%s", src);
	return st;
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

static int step_rx(struct scn *s, char **tok, int ntok)
{
	const char *w, *file;
	char why[sizeof s->err];
	if (s->have_pump)
		return fail(s, "rx must come before 'pump sim'; to change the prescription later use 'as clinician program'");
	if (s->rx_text || s->rx_file)
		return fail(s, "a second rx (the prescription was given on line %u)", s->rx_line);
	if (scnlex_rx_arg(tok, ntok, &w, &file, why, sizeof why))
		return fail_with(s, why);
	if (w) {
		s->rx_line = s->lineno + 1;
		return open_heredoc(s, w, -1);
	}
	s->rx_file = strdup(file);
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
			if (units_parse_time(tok[i] + 6, &st->start_ms))
				return fail(s, "pump: '%s': expected a UTC time such as 2026-01-01T08:00:00Z", tok[i]);
		} else if (strncmp(tok[i], "volume=", 7) == 0) {
			if (units_parse_volume(tok[i] + 7, &st->volume_nl))
				return fail(s, "pump: '%s': expected a volume such as 20mL", tok[i]);
		} else {
			return fail(s, "pump: unknown option '%s' (start=, volume=)", tok[i]);
		}
	}
	s->have_pump = 1;
	return 0;
}

static int step_as(struct scn *s, const char *src, char **tok, int ntok, int role)
{
	struct scn_step *st;
	struct scnreq_rx rx;
	char msg[SCN_ERR_MAX];
	int i = 0;

	if (!s->have_pump)
		return fail(s, "a request before 'pump sim': start the pump first");
	st = new_step(s, SCN_REQUEST, src);
	if (!st)
		return -ENOMEM;
	st->role = (uint8_t)role;
	if (i < ntok && strncmp(tok[i], "id=", 3) == 0) {
		if (units_parse_uint(tok[i] + 3, UINT64_MAX, &st->id))
			return fail(s, "'%s': expected id=NUMBER", tok[i]);
		if (st->id == 0)
			return fail(s, "'%s': request ids start at 1", tok[i]);
		st->has_id = 1;
		i++;
	}
	if (i == ntok)
		return fail(s, "as %s: which request?", scn_role_name(role));
	s->have_request = 1;
	if (strcmp(tok[i], "retry") == 0) {
		if (st->has_id)
			return fail(s, "retry resends the previous id; it takes no id=");
		if (ntok - i != 1)
			return fail(s, "retry takes no arguments");
		st->kind = SCN_RETRY;
		return 0;
	}
	if (scnreq_parse(tok + i, ntok - i, &st->req, &rx, msg, sizeof msg))
		return fail_with(s, msg);
	if (rx.heredoc) {
		st->rx_line = s->lineno + 1;
		return open_heredoc(s, rx.heredoc, (long)(st - s->steps));
	}
	if (rx.file) {
		char *f = strdup(rx.file);
		if (!f || !keep(s, f))
			return -ENOMEM;
		st->rx_file = f;
		st->rx_line = s->lineno;
	}
	return 0;
}

static int step_expect(struct scn *s, const char *src, char **tok, int ntok)
{
	struct scn_step *st;
	char msg[SCN_ERR_MAX];

	if (ntok < 2)
		return fail(s, "expect what? (ok, error, outcome, state, notify, same, counts, history, log, silenced)");
	if (!s->have_request)
		return fail(s, "expect before any request: nothing to check yet");
	st = new_step(s, SCN_EXPECT, src);
	if (!st)
		return -ENOMEM;
	if (scnexpect_parse(tok + 1, ntok - 1, st, msg, sizeof msg))
		return fail_with(s, msg);
	return 0;
}

/* explore N [seed=S] */
static int step_explore(struct scn *s, const char *src, char **tok, int ntok)
{
	struct scn_step *st;
	if (!s->have_pump)
		return fail(s, "explore before 'pump sim': start the pump first");
	if (ntok < 2 || ntok > 3)
		return fail(s, "explore: expected 'explore N [seed=S]'");
	st = new_step(s, SCN_EXPLORE, src);
	if (!st)
		return -ENOMEM;
	if (units_parse_uint(tok[1], SCN_EXPLORE_MAX, &st->explore_n) || st->explore_n == 0)
		return fail(s, "explore: '%s': expected a number of steps from 1 to %d", tok[1],
		            SCN_EXPLORE_MAX);
	if (ntok == 3) {
		if (strncmp(tok[2], "seed=", 5) != 0 ||
		    units_parse_uint(tok[2] + 5, UINT64_MAX, &st->seed))
			return fail(s, "explore: '%s': expected seed=NUMBER", tok[2]);
		st->has_seed = 1;
	}
	/* its steps leave a last reply for the expectations after it */
	s->have_request = 1;
	return 0;
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

/* A body line of an open heredoc, or its closing word. */
static int heredoc_line(struct scn *s, const char *line, size_t len)
{
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

static int feed_line(struct scn *s, const char *line, size_t len)
{
	char copy[SCNLEX_LINE_MAX], src[SCNLEX_LINE_MAX];
	char *tok[SCNLEX_TOK_MAX];
	int ntok, role;

	s->lineno++;
	s->err[0] = '\0';
	while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r'))
		len--;
	if (s->in_heredoc)
		return heredoc_line(s, line, len);

	if (len >= sizeof copy)
		return fail(s, "line longer than %d bytes", SCNLEX_LINE_MAX - 1);
	if (memchr(line, '\0', len))
		return fail(s, "a NUL byte in the line");
	memcpy(copy, line, len);
	copy[len] = '\0';
	memcpy(src, copy, len + 1);
	ntok = scnlex_split(copy, tok);
	if (ntok == SCNLEX_E_QUOTE)
		return fail(s, "unterminated quote");
	if (ntok == SCNLEX_E_MANY)
		return fail(s, "too many words on one line");
	if (ntok == 0)
		return 0;
	scnlex_describe(src);

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
	if (strcmp(tok[0], "explore") == 0)
		return step_explore(s, src, tok, ntok);
	if (strcmp(tok[0], "restart") == 0 || strcmp(tok[0], "kill9") == 0) {
		if (ntok != 1)
			return fail(s, "%s takes no arguments", tok[0]);
		if (!s->have_pump)
			return fail(s, "%s before 'pump sim': there is no pump to restart", tok[0]);
		if (!new_step(s, tok[0][0] == 'r' ? SCN_RESTART : SCN_KILL9, src))
			return -ENOMEM;
		return 0;
	}
	return fail(s, "unknown step '%s' (pump, rx, as, clock, fault, expect, explore, restart, kill9)", tok[0]);
}

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
