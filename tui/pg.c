/*
 * tui/pg.c — the clinician's programmer's screens: state, keys, requests,
 * replies and text (see pg.h).  No curses, no libuv.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/report_chart.h"
#include "tui/hh_refuse.h"
#include "tui/keys.h"
#include "tui/pg.h"
#include "util/esc.h"
#include "util/units.h"

void pg_init(struct pg *p)
{
	memset(p, 0, sizeof *p);
	p->link = HH_LINK_CONNECTING;
}

void pg_link(struct pg *p, int link)
{
	p->link = link;
	if (link != HH_LINK_UP)
		p->reading = 0;
}

void pg_hello(struct pg *p, int status, const struct msg_reply *r)
{
	p->features = status == 0 && r && r->err == MSG_OK ? r->u.hello.features : 0;
	if (status == 0 && r)
		pg_state(p, &r->state);
}

void pg_state(struct pg *p, const struct msg_state *s)
{
	p->st = *s;
	p->have_state = 1;
}

uint32_t pg_pending_id(const struct pg *p)
{
	if (p->have_state && p->st.has_ext)
		return p->st.ext.flags & MSG_SX_PENDING ? p->st.ext.stage_id : 0;
	return p->have_stage ? p->stage.stage_id : 0;
}

static void say(struct pg *p, int tone, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void say(struct pg *p, int tone, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(p->message, sizeof p->message, fmt, ap);
	va_end(ap);
	p->message_tone = tone;
}

/* ---- the refill's typed values -------------------------------------------------- */

/* s with a unit: as typed, or with `unit` after a bare number */
static int parse_with(const char *s, int kind, const char *unit, uint64_t *out)
{
	char b[PG_IN_MAX + 16];
	int bare = s[0] && strspn(s, "0123456789.") == strlen(s);
	snprintf(b, sizeof b, "%.*s%s", PG_IN_MAX, s, bare ? unit : "");
	return units_parse(kind, b, out);
}

/* Enter on a typing step: the value checked, then the next step */
static void rf_enter(struct pg *p)
{
	static const struct { int kind; const char *unit; uint64_t min; const char *err; } f[] = {
		[PG_RF_WITHDRAWN] = { UNITS_NL, "mL", 0,
			"Type the volume you withdrew, 0 to the reservoir's size (e.g. 18.5 mL)" },
		[PG_RF_VOLUME] = { UNITS_NL, "mL", 1,
			"Type the volume you put in: more than 0, at most the reservoir's size" },
		[PG_RF_CONC] = { UNITS_NG_ML, "mg/mL", 1,
			"Type the new drug's concentration (e.g. 4 mg/mL or 500 mcg/mL)" },
	};
	uint64_t *const out[] = { &p->withdrawn_nl, &p->volume_nl, &p->conc_ng_ml };
	int i = p->step;
	uint64_t v, max = i == PG_RF_CONC ? UINT32_MAX : p->before.capacity_nl;
	if (i < PG_RF_WITHDRAWN || i > PG_RF_CONC)
		return;
	p->error[0] = '\0';
	if (parse_with(p->in, f[i].kind, f[i].unit, &v) || v < f[i].min || v > max) {
		snprintf(p->error, sizeof p->error, "%s", f[i].err);
		return;
	}
	*out[i] = v;
	p->step = i + 1;
	p->in[0] = '\0';
}

/* a printable key into buf (at most max bytes), Backspace: 1 when taken */
static int edit_key(char *buf, size_t max, int key)
{
	size_t n = strlen(buf);
	if (key == KEYS_BACKSPACE) {
		if (n)
			buf[n - 1] = '\0';
		return 1;
	}
	if (key < 0x20 || key >= 0x7f)
		return 0;
	if (n < max) {
		buf[n] = (char)key;
		buf[n + 1] = '\0';
	}
	return 1;
}

static void home(struct pg *p)
{
	p->screen = PG_SCR_HOME;
	p->in[0] = p->error[0] = '\0';
}

static int enter_key(int key)
{
	return key == KEYS_ENTER || key == '\r' || key == '\n';
}

static int program_key(struct pg *p, int key, int *cmd)
{
	if (p->pstep == PG_PS_SENT)
		return 0;                          /* on the wire */
	if (key == KEYS_ESC) {
		if (p->pstep == PG_PS_PENDING && pg_pending_id(p))
			say(p, HH_TONE_WARN, "Still pending: the pump keeps its prescription until "
			    "you confirm (p)");
		else if (p->pstep == PG_PS_REVIEW || p->pstep == PG_PS_REASON)
			say(p, HH_TONE_WAIT, "Programming cancelled: the pump keeps its prescription");
		home(p);
		return 1;
	}
	if (p->pstep == PG_PS_PATH || p->pstep == PG_PS_REASON) {
		if (!enter_key(key))
			return edit_key(p->in, p->pstep == PG_PS_PATH ? PG_PATH_MAX : MSG_OVERRIDE_MAX,
			                key);
		if (!p->in[0]) {
			snprintf(p->error, sizeof p->error, p->pstep == PG_PS_PATH
			         ? "Type the prescription file's path"
			         : "Type the reason for passing the soft limit (it is audited)");
			return 1;
		}
		if (p->pstep == PG_PS_PATH) {
			snprintf(p->rx_path, sizeof p->rx_path, "%s", p->in);
			*cmd = PG_CMD_LOAD;
			return 1;
		}
		snprintf(p->rx.override, sizeof p->rx.override, "%.*s", MSG_OVERRIDE_MAX, p->in);
		p->in[0] = p->error[0] = '\0';
		p->pstep = PG_PS_SENT;
		p->pbefore = p->st;
		*cmd = PG_CMD_PROGRAM;
		return 1;
	}
	if (p->pstep == PG_PS_REVIEW && enter_key(key)) {
		p->pstep = PG_PS_SENT;
		p->pbefore = p->st;
		*cmd = PG_CMD_PROGRAM;
		return 1;
	}
	if (p->pstep == PG_PS_PENDING && pg_pending_id(p) && (enter_key(key) || key == 'x')) {
		p->pstep = PG_PS_SENT;
		p->pbefore = p->st;
		*cmd = key == 'x' ? PG_CMD_CANCEL : PG_CMD_CONFIRM;
		return 1;
	}
	if (p->pstep == PG_PS_PENDING && key == 'b') {
		home(p);
		return 1;
	}
	if (p->pstep == PG_PS_PENDING && key == 'f') {   /* stage a file instead */
		p->pstep = PG_PS_PATH;
		snprintf(p->in, sizeof p->in, "%s", p->rx_path);
		return 1;
	}
	if (p->pstep == PG_PS_DONE && (enter_key(key) || key == 'b')) {
		home(p);
		*cmd = PG_CMD_STATUS;
		return 1;
	}
	return 0;
}

/* "1mL/h", "500uL/h", or a bare number of mL/h */
static int parse_rate(const char *s, uint64_t *nl_h)
{
	char b[PG_IN_MAX + 8];
	size_t n = strlen(s);
	snprintf(b, sizeof b, "%.*s", PG_IN_MAX, s);
	if (n > 2 && strcmp(b + n - 2, "/h") == 0)
		b[n - 2] = '\0';
	return parse_with(b, UNITS_NL, "mL", nl_h);
}

static int cbolus_key(struct pg *p, int key, int *cmd)
{
	uint64_t v;
	if (p->bstep == 4)
		return 0;
	if (key == KEYS_ESC) {
		if (p->bstep < 4)
			say(p, HH_TONE_WAIT, "Clinician bolus cancelled: nothing was sent");
		home(p);
		return 1;
	}
	if (p->bstep == 0) {
		if (key < '1' || key > '3')
			return 0;
		p->bkind = key - '0';
		p->bstep = p->bkind == MSG_CBOLUS_BRIDGE ? 3 : 1;
		return 1;
	}
	if (p->bstep == 1 || p->bstep == 2) {
		if (!enter_key(key))
			return edit_key(p->in, PG_IN_MAX, key);
		p->error[0] = '\0';
		if (p->bstep == 1 && p->bkind == MSG_CBOLUS_SINGLE) {
			if (parse_with(p->in, UNITS_NG, "mg", &v) || v == 0 || v > 100000000) {
				snprintf(p->error, sizeof p->error, "Type the dose, up to 100 mg (e.g. 0.5 mg)");
				return 1;
			}
			p->bdose_ng = v;
			p->bstep = 2;
		} else if (p->bstep == 1) {
			if (parse_rate(p->in, &v) || v < 1000 || v > 10000000) {
				snprintf(p->error, sizeof p->error,
				         "Type the priming rate, 1 uL/h to 10 mL/h (e.g. 1 mL/h)");
				return 1;
			}
			p->brate_nl_h = v;
			p->bstep = 3;
		} else {
			if (parse_with(p->in, UNITS_MS, "m", &v) || v < 60000 || v > 604800000) {
				snprintf(p->error, sizeof p->error,
				         "Type the duration, 1 min to 7 days (e.g. 30m, 2h)");
				return 1;
			}
			p->bdur_ms = v;
			p->bstep = 3;
		}
		p->in[0] = '\0';
		return 1;
	}
	if (p->bstep == 3 && enter_key(key)) {
		p->bstep = 4;
		*cmd = PG_CMD_CBOLUS;
		return 1;
	}
	if (p->bstep == 5 && (enter_key(key) || key == 'b')) {
		home(p);
		return 1;
	}
	return 0;
}

/* a screen that talks to the pump opens only while linked (and its state
 * known); else says why not */
static int connected(struct pg *p, const char *what)
{
	if (p->link == HH_LINK_UP && p->have_state)
		return 1;
	say(p, HH_TONE_WARN, "Not connected to the pump: no %s now", what);
	return 0;
}

/* the alarm test: a digit picks the alarm, sent at once (it changes nothing) */
static int atest_key(struct pg *p, int key, int *cmd)
{
	if (key == KEYS_ESC || key == 'b') {
		home(p);
		return 1;
	}
	if (key < '1' || key >= '0' + MSG_ALARM_COUNT)
		return 0;
	p->atest = key - '0';
	*cmd = PG_CMD_ALARMTEST;
	say(p, HH_TONE_WAIT, "Sent: alarm test %s...", hh_alarm_title(p->atest));
	return 1;
}

int pg_key(struct pg *p, int key, int *cmd)
{
	*cmd = PG_CMD_NONE;
	if (p->screen == PG_SCR_PROGRAM)
		return program_key(p, key, cmd);
	if (p->screen == PG_SCR_ATEST)
		return atest_key(p, key, cmd);
	if (p->screen == PG_SCR_CBOLUS)
		return cbolus_key(p, key, cmd);
	if (p->screen == PG_SCR_REFILL) {
		int typing = p->step <= PG_RF_CONC;
		if (key == KEYS_ESC) {
			if (p->step == PG_RF_SENT || p->step == PG_RF_BRIDGE_SENT)
				return 0;          /* on the wire: wait for the pump */
			if (p->step <= PG_RF_REVIEW || p->step == PG_RF_REASON)
				say(p, HH_TONE_WAIT, "Refill cancelled: nothing was %s",
				    p->step == PG_RF_REASON ? "changed" : "sent");
			home(p);
			return 1;
		}
		if (typing) {
			if (!enter_key(key))
				return edit_key(p->in, PG_IN_MAX, key);
			rf_enter(p);
			return 1;
		}
		if (p->step == PG_RF_REASON) {
			if (!enter_key(key))
				return edit_key(p->in, MSG_OVERRIDE_MAX, key);
			if (!p->in[0]) {
				snprintf(p->error, sizeof p->error,
				         "Type the reason for passing the soft limit (it is audited)");
				return 1;
			}
			snprintf(p->rf_reason, sizeof p->rf_reason, "%.*s", MSG_OVERRIDE_MAX, p->in);
			p->in[0] = p->error[0] = '\0';
			p->step = PG_RF_SENT;
			*cmd = PG_CMD_REFILL;
			return 1;
		}
		if (p->step == PG_RF_REVIEW && enter_key(key)) {
			p->step = PG_RF_SENT;
			*cmd = PG_CMD_REFILL;
			return 1;
		}
		if (p->step == PG_RF_RESULT && (p->rf.flags & MSG_RF_BRIDGE_DUE)) {
			if (key == 'y') {
				p->step = PG_RF_BRIDGE_SENT;
				*cmd = PG_CMD_BRIDGE;
				return 1;
			}
			if (key == 'n') {
				p->step = PG_RF_DONE;
				say(p, HH_TONE_WAIT, "No bridge bolus: the new drug reaches the catheter tip "
				    "later than the pump counts");
				return 1;
			}
			return 0;
		}
		if ((p->step == PG_RF_RESULT || p->step == PG_RF_DONE) &&
		    (enter_key(key) || key == 'b')) {
			home(p);
			*cmd = PG_CMD_STATUS;      /* the report after the refill */
			return 1;
		}
		return 0;
	}
	switch (key) {
	case 'q':
		*cmd = PG_CMD_QUIT;
		return 0;
	case 'i':
		*cmd = PG_CMD_STATUS;
		say(p, HH_TONE_PLAIN, "Interrogating the pump...");
		return 1;
	case 'c':
		p->screen = PG_SCR_CHARTS;
		p->scroll = 0;
		return 1;
	case '?':
		p->screen = PG_SCR_HELP;
		return 1;
	case 'b': case KEYS_ESC:
		home(p);
		return 1;
	case 'r':
		if (!connected(p, "refill"))
			return 1;
		p->screen = PG_SCR_REFILL;
		p->step = PG_RF_WITHDRAWN;
		p->before = p->st;
		p->rf_reason[0] = '\0';
		p->in[0] = p->error[0] = '\0';
		p->message[0] = '\0';
		return 1;
	case 'o':
		if (!connected(p, "bolus"))
			return 1;
		p->screen = PG_SCR_CBOLUS;
		p->bkind = p->bstep = 0;
		p->in[0] = p->error[0] = p->message[0] = '\0';
		return 1;
	case 'p':
		if (!connected(p, "programming"))
			return 1;
		p->screen = PG_SCR_PROGRAM;
		p->error[0] = p->message[0] = '\0';
		if (pg_pending_id(p)) {      /* the pump holds one: confirm or cancel it */
			p->pstep = PG_PS_PENDING;
			p->in[0] = '\0';
			return 1;
		}
		p->pstep = PG_PS_PATH;
		snprintf(p->in, sizeof p->in, "%s", p->rx_path);
		return 1;
	case 'a':
		if (!connected(p, "alarm test"))
			return 1;
		if (!(p->features & MSG_FEAT_ALARMTEST)) {
			say(p, HH_TONE_WARN, "This pump has no alarm test (an older edition)");
			return 1;
		}
		p->screen = PG_SCR_ATEST;
		p->message[0] = '\0';
		return 1;
	case KEYS_UP: case KEYS_DOWN: case KEYS_PGUP: case KEYS_PGDN: {
		/* the charts scroll (the view's fit keeps the window on them) */
		int d = key == KEYS_UP ? -1 : key == KEYS_DOWN ? 1 : key == KEYS_PGUP ? -8 : 8;
		if (p->screen != PG_SCR_CHARTS)
			return 0;
		p->scroll += d;
		p->scroll = p->scroll < 0 ? 0 : p->scroll > 24 ? 24 : p->scroll;
		return 1;
	}
	case KEYS_REFRESH:
		return 1;
	default:
		return 0;
	}
}

int pg_request(const struct pg *p, int cmd, struct msg_request *q)
{
	memset(q, 0, sizeof *q);
	switch (cmd) {
	case PG_CMD_STATUS:
		q->type = MSG_STATUS;
		return 0;
	case PG_CMD_REFILL:
		q->type = MSG_REFILL;
		q->u.refill.volume_nl = (uint32_t)p->volume_nl;
		q->u.refill.concentration_ng_ml = (uint32_t)p->conc_ng_ml;
		q->u.refill.has_withdrawn = 1;
		q->u.refill.withdrawn_nl = (uint32_t)p->withdrawn_nl;
		if (p->features & MSG_FEAT_REFILL_LIB)
			snprintf(q->u.refill.override, sizeof q->u.refill.override, "%s", p->rf_reason);
		return 0;
	case PG_CMD_BRIDGE:
		q->type = MSG_CBOLUS;
		q->u.cbolus.kind = MSG_CBOLUS_BRIDGE;
		return 0;
	case PG_CMD_CBOLUS:
		q->type = MSG_CBOLUS;
		q->u.cbolus.kind = (uint8_t)p->bkind;
		if (p->bkind == MSG_CBOLUS_SINGLE) {
			q->u.cbolus.dose_ng = (uint32_t)p->bdose_ng;
			q->u.cbolus.duration_ms = (uint32_t)p->bdur_ms;
		} else if (p->bkind == MSG_CBOLUS_PRIME) {
			q->u.cbolus.rate_nl_h = (uint32_t)p->brate_nl_h;
		}
		return 0;
	case PG_CMD_PROGRAM:
		/* STAGE when the pump holds sessions pending (its comparison,
		 * then CONFIRM), else PROGRAM after ptm's own review; PROGRAM's
		 * override only to a pump with the drug library */
		q->type = p->features & MSG_FEAT_STAGE ? MSG_STAGE : MSG_PROGRAM;
		q->u.rx = p->rx;
		if (!(p->features & (MSG_FEAT_STAGE | MSG_FEAT_DRUGLIB)))
			q->u.rx.override[0] = '\0';
		return 0;
	case PG_CMD_CONFIRM:
	case PG_CMD_CANCEL:
		q->type = cmd == PG_CMD_CONFIRM ? MSG_STAGE_CONFIRM : MSG_STAGE_CANCEL;
		q->u.stage_id = pg_pending_id(p);
		return 0;
	case PG_CMD_ALARMTEST:
		q->type = MSG_ALARMTEST;
		q->u.alarm = (uint8_t)p->atest;
		return 0;
	default:
		return -1;
	}
}

/* a drug library's limit from a refusal's detail (PROTOCOL.md 8.10,
 * "daily_ng: hard limit 2003000 ng") in a clinician's words: "daily dose
 * over the hard limit of 2.003 mg"; 0, or -1 when detail is not one */
static int limit_words(const char *detail, char *out, size_t cap)
{
	static const struct { const char *field, *words, *unit; } f[] = {
		{ "concentration_ng_ml", "concentration", " ng/mL" },
		{ "daily_ng", "daily dose", " ng" },
		{ "bolus_dose_ng", "bolus dose", " ng" },
	};
	char b[UNITS_FMT_MAX], *end;
	for (size_t i = 0; i < sizeof f / sizeof f[0]; i++) {
		size_t n = strlen(f[i].field);
		const char *k = detail + n + 2;
		if (strncmp(detail, f[i].field, n) != 0 || strncmp(detail + n, ": ", 2) != 0 ||
		    (strncmp(k, "soft limit ", 11) != 0 && strncmp(k, "hard limit ", 11) != 0) ||
		    k[11] < '0' || k[11] > '9')
			continue;
		unsigned long long v = strtoull(k + 11, &end, 10);
		if (strcmp(end, f[i].unit) != 0 || v > UINT32_MAX)
			return -1;
		if (f[i].unit[3] == '/')
			units_fmt_conc(v, b);
		else
			units_fmt_dose(v, b);
		snprintf(out, cap, "%s over the %.4s limit of %s", f[i].words, k, b);
		return 0;
	}
	return -1;
}

static void refused(struct pg *p, const char *what, int status, const struct msg_reply *r)
{
	char d[HH_TEXT];
	if (status < 0 || !r)
		say(p, HH_TONE_WARN, "%s: incomplete communication: check the pump's state "
		    "(i) before trying again", what);
	else if ((r->err == MSG_E_HARD_LIMIT || r->err == MSG_E_SOFT_LIMIT ||
	          r->err == MSG_E_RANGE) && limit_words(r->detail, d, sizeof d) == 0)
		say(p, HH_TONE_WARN, "%s refused: %s", what, d);
	else
		say(p, HH_TONE_WARN, "%s refused: %s", what,
		    hh_refuse_say(r->err, r->detail, d, sizeof d));
}

/* past a drug library's soft limit (error 10, or range to a session of
 * edition 2): the reason to pass it is asked */
static int soft_limit(const struct msg_reply *r)
{
	return r->err == MSG_E_SOFT_LIMIT ||
	       (r->err == MSG_E_RANGE && strstr(r->detail, ": soft limit "));
}

/* the soft limit said; the reason to pass it is typed next */
static void ask_reason(struct pg *p, const struct msg_reply *r)
{
	char d[ESC_MAX(MSG_DETAIL_MAX + 1)];
	if (limit_words(r->detail, d, sizeof d) == 0)
		snprintf(p->error, sizeof p->error, "Drug library: %.60s", d);
	else
		snprintf(p->error, sizeof p->error, "Past the drug library's soft limit: %s",
		         esc_s(d, sizeof d, r->detail));
	say(p, HH_TONE_WARN, "Type why to pass it (audited); Esc: cancel");
	p->in[0] = '\0';
}

static void program_reply(struct pg *p, int cmd, int status, const struct msg_reply *r)
{
	int ok = status == 0 && r && r->err == MSG_OK;
	if (!ok && cmd == PG_CMD_PROGRAM && r && status == 0 && soft_limit(r) &&
	    (p->features & (MSG_FEAT_STAGE | MSG_FEAT_DRUGLIB))) {
		ask_reason(p, r);
		p->pstep = PG_PS_REASON;
		return;
	}
	if (!ok) {
		refused(p, cmd == PG_CMD_CANCEL ? "Cancel" : cmd == PG_CMD_CONFIRM ? "Confirm"
		        : "Programming", status, r);
		/* back where Enter tries again */
		p->pstep = cmd != PG_CMD_PROGRAM ? PG_PS_PENDING
		         : p->features & MSG_FEAT_STAGE ? PG_PS_PATH : PG_PS_REVIEW;
		if (p->pstep == PG_PS_PATH)
			snprintf(p->in, sizeof p->in, "%s", p->rx_path);
		return;
	}
	if (cmd == PG_CMD_PROGRAM && r->req_type == MSG_STAGE) {
		p->stage = r->u.stage;
		p->have_stage = 1;
		p->pstep = PG_PS_PENDING;
		say(p, HH_TONE_GOOD, "Staged as session %u: nothing changes until you confirm",
		    (unsigned)p->stage.stage_id);
		return;
	}
	if (cmd == PG_CMD_CANCEL) {
		p->have_stage = 0;
		home(p);
		say(p, HH_TONE_WAIT, "Cancelled: the pump keeps its prescription");
		return;
	}
	p->pstep = PG_PS_DONE;
	p->programs++;
	say(p, HH_TONE_GOOD, "Programmed: the new prescription is in force");
}

void pg_reply(struct pg *p, int cmd, int status, const struct msg_reply *r)
{
	if (status == 0 && r)
		pg_state(p, &r->state);
	switch (cmd) {
	case PG_CMD_REFILL:
		if (status == 0 && r && r->err != MSG_OK && soft_limit(r) &&
		    (p->features & MSG_FEAT_REFILL_LIB)) {
			ask_reason(p, r);
			p->step = PG_RF_REASON;
			return;
		}
		if (status != 0 || !r || r->err != MSG_OK || !r->u.refill.present) {
			refused(p, "Refill", status, r);
			p->step = PG_RF_REVIEW;   /* the review again: send or cancel */
			return;
		}
		p->rf = r->u.refill;
		p->step = PG_RF_RESULT;
		p->refills++;
		if (p->rf.flags & MSG_RF_DISCREPANCY)
			say(p, HH_TONE_ALERT, "Refill done: DISCREPANCY between withdrawn and expected");
		else
			say(p, HH_TONE_GOOD, "Refill done: the withdrawn volume matches");
		break;
	case PG_CMD_BRIDGE:
		if (status != 0 || !r || r->err != MSG_OK) {
			refused(p, "Bridge bolus", status, r);
			p->step = PG_RF_RESULT;
			return;
		}
		p->cb = r->u.cbolus;
		p->step = PG_RF_DONE;
		say(p, HH_TONE_GOOD, "Bridge bolus started");
		break;
	case PG_CMD_CBOLUS:
		if (status != 0 || !r || r->err != MSG_OK) {
			refused(p, "Clinician bolus", status, r);
			p->bstep = 3;
			return;
		}
		p->cb = r->u.cbolus;
		p->bstep = 5;
		say(p, HH_TONE_GOOD, "Clinician bolus started");
		break;
	case PG_CMD_PROGRAM:
	case PG_CMD_CONFIRM:
	case PG_CMD_CANCEL:
		program_reply(p, cmd, status, r);
		break;
	case PG_CMD_ALARMTEST:
		if (status != 0 || !r || r->err != MSG_OK)
			refused(p, "Alarm test", status, r);
		else
			/* the pump cannot say who heard it: a remote switched off
			 * does not play it */
			say(p, HH_TONE_GOOD, "Alarm test: %s sent to every remote connected "
			    "now", hh_alarm_title(p->atest));
		break;
	default:
		break;
	}
}

int pg_program_loaded(struct pg *p, const struct msg_rx *rx)
{
	p->rx = *rx;
	p->rx.override[0] = '\0';          /* asked for when the pump wants one */
	p->error[0] = '\0';
	if (!(p->features & MSG_FEAT_STAGE)) {
		p->pstep = PG_PS_REVIEW;
		return PG_CMD_NONE;
	}
	p->pstep = PG_PS_SENT;
	p->pbefore = p->st;
	return PG_CMD_PROGRAM;
}

void pg_program_error(struct pg *p, const char *why)
{
	snprintf(p->error, sizeof p->error, "%s", why);   /* rxfile escaped the file's bytes */
	p->pstep = PG_PS_PATH;
}

void pg_notify(struct pg *p, const struct msg_notify *n)
{
	pg_state(p, &n->state);
	/* another programmer confirmed or cancelled what this one shows */
	if (n->event == MSG_EV_STAGE_ENDED && p->screen == PG_SCR_PROGRAM &&
	    p->pstep == PG_PS_PENDING)
		say(p, HH_TONE_WARN, "The pending session ended elsewhere (confirmed or cancelled)");
}

void pg_compare(const struct msg_state *cur, const struct msg_rx *pend,
                struct pg_change *c)
{
	uint64_t daily;
	memset(c, 0, sizeof *c);
	c->daily_ng[0] = cur->basal_ng_day;
	c->bolus_dose_ng[0] = cur->bolus_dose_ng;
	c->lockout_ms[0] = cur->lockout_ms;
	c->max_per_24h[0] = cur->max_per_24h;
	c->conc_ng_ml[0] = cur->concentration_ng_ml;
	c->mode[0] = cur->mode;
	c->bolus_enabled[0] = !!(cur->flags & MSG_F_BOLUS_ENABLED);
	daily = msg_rx_daily_ng(pend);
	c->daily_ng[1] = (uint32_t)(daily > UINT32_MAX ? UINT32_MAX : daily);
	c->bolus_dose_ng[1] = pend->bolus_dose_ng;
	c->lockout_ms[1] = pend->lockout_ms;
	c->max_per_24h[1] = pend->max_per_24h;
	c->conc_ng_ml[1] = pend->concentration_ng_ml;
	c->mode[1] = pend->mode;
	c->bolus_enabled[1] = pend->bolus_enabled;
}

void pg_report_begin(struct pg *p, const struct msg_reply *status)
{
	pg_state(p, &status->state);
	report_begin(&p->rep, status, 0);
	p->reading = 1;
}

void pg_report_page(struct pg *p, const struct msg_reply *log)
{
	for (unsigned i = 0; i < log->u.log.n && i < MSG_LOG_MAX; i++)
		report_add(&p->rep, &log->u.log.e[i], NULL);
}

void pg_report_done(struct pg *p, int failed, int err)
{
	p->reading = 0;
	if (failed) {
		if (err == MSG_E_ROLE)
			say(p, HH_TONE_WARN, "This key may not read the log: open the programmer with "
			    "a clinician's key");
		else
			say(p, HH_TONE_WARN, "The log could not be read: the report is incomplete");
		return;
	}
	report_end(&p->rep);
	p->have_report = 1;
	p->reads++;
	if (p->message_tone == HH_TONE_PLAIN)
		say(p, HH_TONE_PLAIN, "Interrogated: %llu log lines read",
		    (unsigned long long)p->rep.rows);
}

/* ---- text ------------------------------------------------------------------------- */

#define PG_INDENT 11       /* a continued line starts under the values */

/* the first of the lines the last line() made (rank() marks them all) */
static int line_from;

/* One line of text; longer than the screen (or at a '\n' in it), it goes
 * on in lines of its own, indented, broken between words (nothing is cut
 * off). */
static void line(struct hh_view *v, int tone, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void line(struct hh_view *v, int tone, const char *fmt, ...)
{
	char buf[4 * HH_TEXT];
	const char *s = buf, *next;
	va_list ap;
	line_from = v->n_lines;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	for (int first = 1; v->n_lines < HH_LINES; first = 0) {
		size_t n = hh_fmt_wrap(s, first ? HH_WIDTH : HH_WIDTH - PG_INDENT, &next);
		const char *nl = memchr(s, '\n', n);
		if (nl) {                        /* a break where the text says */
			n = (size_t)(nl - s);
			for (next = nl + 1; *next == ' '; next++)
				;
		}
		snprintf(v->lines[v->n_lines], HH_TEXT, "%*s%.*s", first ? 0 : PG_INDENT, "",
		         (int)n, s);
		v->tones[v->n_lines] = tone;
		v->ranks[v->n_lines] = HH_RANK_MID;
		v->conts[v->n_lines] = !first;   /* dropped with its first line */
		v->n_lines++;
		if (!*next)
			break;
		s = next;
	}
}

/* a volume as a clinician reads it: mL to 2 decimals ("20.00 mL") */
static const char *vol(uint64_t nl, char *b)
{
	if (nl > UINT32_MAX)
		nl = UINT32_MAX;
	if (nl == 0)
		snprintf(b, UNITS_FMT_MAX, "0.00 mL");
	else
		hh_fmt_volume((uint32_t)nl, b, UNITS_FMT_MAX);
	return b;
}

/* the same, exact where 2 decimals would hide a difference (the refill
 * check: "16.049999 mL" fails where 16.05 mL passes) */
static const char *vol_exact(uint64_t nl, char *b)
{
	if (nl % 10000u == 0 || nl > UINT32_MAX)
		return vol(nl, b);
	hh_fmt_volume_exact((uint32_t)nl, b, UNITS_FMT_MAX);
	return b;
}

/* a volume compared with another (the refill's check): mL to the nearest
 * 0.01 ("0.40 mL" for 396618 nL), so that the numbers on the screen add up */
static uint64_t hundredths(uint64_t nl)
{
	return (nl + 5000u) / 10000u;
}

static const char *ml2(uint64_t nl, char *b)
{
	uint64_t h = hundredths(nl);
	snprintf(b, UNITS_FMT_MAX, "%llu.%02llu mL", (unsigned long long)(h / 100),
	         (unsigned long long)(h % 100));
	return b;
}

/* a duration as the patient's remote says it: "30 min", "1 h" */
static const char *dur(uint64_t ms, char *b)
{
	hh_fmt_duration(ms, b, UNITS_FMT_MAX);
	return b;
}

/* a chart's line as it is (a picture is not wrapped: report_chart.c
 * keeps it within the screen) */
static void line_cut(struct hh_view *v, const char *s)
{
	line_from = v->n_lines;
	if (v->n_lines >= HH_LINES)
		return;
	snprintf(v->lines[v->n_lines], HH_WIDTH + 1, "%.*s", HH_WIDTH, s);
	v->tones[v->n_lines] = HH_TONE_PLAIN;
	v->ranks[v->n_lines] = HH_RANK_MID;
	v->n_lines++;
}

/* the last line made gets rank r (the view drops the lowest ranks first
 * on a short screen; HH_RANK_KEY never) */
static void rank(struct hh_view *v, int r)
{
	for (int i = line_from; i < v->n_lines; i++)
		v->ranks[i] = r;
}

/* a drug total as a clinician compares two: "0.40 mg" (to 0.01 mg, the
 * nearest), "67.5 mcg" below 0.1 mg */
static const char *amount(uint64_t ng, char *b)
{
	if (ng >= 100000u) {
		uint64_t cg = (ng + 5000u) / 10000u;       /* hundredths of a mg */
		snprintf(b, UNITS_FMT_MAX, "%llu.%02llu mg", (unsigned long long)(cg / 100),
		         (unsigned long long)(cg % 100));
	} else {
		uint64_t dmcg = (ng + 50u) / 100u;         /* tenths of a mcg */
		snprintf(b, UNITS_FMT_MAX, "%llu.%llu mcg", (unsigned long long)(dmcg / 10),
		         (unsigned long long)(dmcg % 10));
	}
	return b;
}

/* STATUS's delivery block (PROTOCOL.md 8.14), when drug failed to reach
 * the patient: the totals since the occlusion (or the pump's start) */
static void delivery_lines(const struct report *r, struct hh_view *v)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], d[HH_TEXT], now[32] = "";
	if (!r->has_dlv || (r->delivered_ng == r->reached_ng && r->dlv.reach_pct >= 100))
		return;
	/* rounded down: never 100% while some drug is missing */
	unsigned pct = r->delivered_ng
	    ? (unsigned)((unsigned __int128)r->reached_ng * 100 / r->delivered_ng)
	    : 100;
	line(v, HH_TONE_ALERT, "Delivered  %s, reached the patient %s (%u%%): UNDER-DELIVERY",
	     amount(r->delivered_ng, a), amount(r->reached_ng, b), pct);
	rank(v, HH_RANK_KEY);
	d[0] = '\0';
	if (r->dlv_from_ms) {
		memcpy(d, "occlusion on ", 14);
		hh_fmt_day_short(r->dlv_from_ms, d + 13, sizeof d - 13);
	}
	if (r->dlv.reach_pct < 100)
		snprintf(now, sizeof now, "; %u%% reaches now", (unsigned)r->dlv.reach_pct);
	line(v, HH_TONE_WARN, "           since the %s%s (emulator)",
	     d[0] ? d : "pump's start", now);
}

static void render_home(const struct pg *p, struct hh_view *v)
{
	const struct msg_state *s = &p->st;
	char a[HH_TEXT], b[HH_TEXT], d[ESC_MAX(MSG_DRUG_MAX + 1)];
	if (!p->have_state) {
		line(v, HH_TONE_PLAIN, "Waiting for the pump's state...");
		return;
	}
	line(v, HH_TONE_PLAIN, "Drug       %s %s, %s", esc_s(d, sizeof d, s->drug),
	     units_fmt_conc(s->concentration_ng_ml, a), msg_mode_name(s->mode));
	line(v, HH_TONE_PLAIN, "Basal      %s%s", units_fmt_rate(s->basal_ng_day, a),
	     s->flags & MSG_F_INFUSING ? "" : "  (NOT INFUSING)");
	hh_fmt_date(s->next_refill_ms, b, sizeof b);
	line(v, HH_TONE_PLAIN, "Reservoir  %s of %s; next refill %s",
	     vol(s->reservoir_nl, a), vol(s->capacity_nl, d),
	     s->next_refill_ms ? b : "not predicted");
	dur(s->lockout_ms, b);
	line(v, HH_TONE_PLAIN, "Bolus      %s, lockout %s, at most %u in 24 h%s",
	     units_fmt_dose(s->bolus_dose_ng, a), b, (unsigned)s->max_per_24h,
	     s->flags & MSG_F_BOLUS_ENABLED ? "" : " (disabled)");
	if ((s->flags & MSG_F_BOLUS_RUNNING) && s->bolus_ends_ms > s->now_ms) {
		/* a bridge bolus runs for days: it must not go unseen */
		hh_fmt_when(s->bolus_ends_ms, s->now_ms, a, sizeof a);
		line(v, HH_TONE_WARN, "           a bolus runs until %s", a);
	}
	/* as the patient's remote says it: the elective replacement indicator
	 * (ERI) first, then the end of service by which it must be replaced */
	hh_fmt_date(s->eri_ms, a, sizeof a);
	hh_fmt_date(s->eos_ms, b, sizeof b);
	line(v, HH_TONE_PLAIN, "Battery    ERI %s, replace by %s", a, b);
	if (!s->n_alarms)
		line(v, HH_TONE_PLAIN, "Alarms     none");
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		hh_fmt_date(s->alarms[i].raised_ms, a, sizeof a);
		line(v, s->alarms[i].priority == MSG_PRIO_HIGH ? HH_TONE_ALERT : HH_TONE_WARN,
		     "Alarm      %s (%s) since %s", hh_alarm_title(s->alarms[i].id),
		     msg_priority_name(s->alarms[i].priority), a);
	}
	if (s->has_ext && (s->ext.flags & MSG_SX_PENDING)) {
		hh_fmt_clock(s->ext.staged_ms, a, sizeof a);
		line(v, HH_TONE_WARN, "%sPROGRAMMING PENDING (session %u, staged %s): p to "
		     "confirm or cancel", s->ext.flags & MSG_SX_STOPPED ? "PUMP STOPPED, " : "",
		     (unsigned)s->ext.stage_id, a);
	}
	if (p->have_report) {
		const struct report *r = &p->rep;
		hh_fmt_date(r->since_ms, a, sizeof a);
		/* one entry (wrapped): a short screen drops it whole */
		line(v, HH_TONE_PLAIN, "Since the %s (%s): %u granted, %u lockout, %u daily,\n"
		     "%u ceiling, %u other refusals", report_since_name(r->since_kind), a,
		     (unsigned)r->n[REPORT_C_GRANTED], (unsigned)r->n[REPORT_C_LOCKOUT],
		     (unsigned)r->n[REPORT_C_DAILY], (unsigned)r->n[REPORT_C_CEILING],
		     (unsigned)r->n[REPORT_C_OTHER]);
		delivery_lines(r, v);
		if (r->has_refill && r->last_refill.value)
			line(v, HH_TONE_WARN, "Last refill: DISCREPANCY (withdrawn %s, expected %s)",
			     vol_exact(r->last_refill.withdrawn_nl, a),
			     ml2(r->last_refill.expected_nl, b));
	} else {
		line(v, HH_TONE_PLAIN, p->reading ? "Reading the log..." :
		     "Press i to interrogate (the counts since the last visit)");
	}
	line(v, HH_TONE_PLAIN, "r refill  p program  o bolus  a test alarm  c charts  ? help  q quit");
}

static void chart_lines(struct hh_view *v, const struct report_chart *c, int hours)
{
	for (unsigned i = 0; i < c->n; i++) {
		const char *s = c->line[i];
		char b[HH_TEXT];
		/* the hour chart is 78 columns: the device's screen shows the last
		 * 68 hours (the axis, then from the 5th hour) */
		if (hours && i >= 1 && i + 1 < c->n && strlen(s) > 6) {
			snprintf(b, sizeof b, "%.6s%s", s, strlen(s) > 10 ? s + 10 : "");
			s = b;
		} else if (hours && i + 1 == c->n) {
			continue;                    /* the times: said below */
		}
		line_cut(v, s);
	}
}

static void render_charts(const struct pg *p, struct hh_view *v)
{
	struct report_chart c;
	char a[HH_TEXT], b[HH_TEXT];
	if (!p->have_report) {
		line(v, HH_TONE_PLAIN, "No report yet: press i to interrogate the pump");
		return;
	}
	v->scrollable = 1;
	v->scroll = p->scroll;
	report_chart_hours(&p->rep, 4, &c);
	chart_lines(v, &c, 1);
	/* the pump's time as the frame shows it (local), not UTC */
	hh_fmt_day_short(p->rep.hours_ms + (REPORT_HOURS - 1) * REPORT_HOUR_MS, a, sizeof a);
	hh_fmt_clock(p->rep.hours_ms + (REPORT_HOURS - 1) * REPORT_HOUR_MS, b, sizeof b);
	line(v, HH_TONE_PLAIN, "      the last 68 hours, an hour a column, to %s %s", a, b);
	if (p->rep.basal_from_ms > p->rep.hours_ms + 4 * REPORT_HOUR_MS) {
		/* the log gives the rate in force since the last program (or
		 * its start) only: a blank before it is not a pump that stopped */
		hh_fmt_day_short(p->rep.basal_from_ms, a, sizeof a);
		hh_fmt_clock(p->rep.basal_from_ms, b, sizeof b);
		line(v, HH_TONE_PLAIN, "      basal known from %s %s (last program or log start)", a, b);
	}
	report_chart_days(&p->rep, 7, &c);
	chart_lines(v, &c, 0);
	report_chart_reservoir(&p->rep, 5, &c);
	chart_lines(v, &c, 0);
}

/* the clinician bolus the pump started: "<what>: dose (volume) over, ends" */
static void cbolus_line(const struct pg *p, struct hh_view *v, const char *what)
{
	char a[UNITS_FMT_MAX], b[HH_TEXT], c[HH_TEXT], vl[UNITS_FMT_MAX];
	hh_fmt_span(p->cb.duration_ms, b, sizeof b);
	hh_fmt_when(p->cb.ends_at_ms, p->st.now_ms, c, sizeof c);
	line(v, HH_TONE_GOOD, "%s: %s (%s) over %s, ends %s", what,
	     units_fmt_dose(p->cb.dose_ng, a), vol_exact(p->cb.volume_nl, vl), b, c);
}

static void render_refill(const struct pg *p, struct hh_view *v)
{
	const struct msg_state *s = &p->before;
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX], c[UNITS_FMT_MAX];
	static const char *const ask[] = {
		[PG_RF_WITHDRAWN] = "1. Empty the reservoir. Volume withdrawn (mL):",
		[PG_RF_VOLUME] = "2. Fill it. Volume put in (mL):",
		[PG_RF_CONC] = "3. The new drug's concentration (mg/mL):",
	};
	vol(s->reservoir_nl, a);
	line(v, HH_TONE_PLAIN, "The pump expects %s left (its count of what it delivered).", a);
	if (p->step > PG_RF_WITHDRAWN) {
		uint64_t w = p->withdrawn_nl, e = s->reservoir_nl;
		vol_exact(w, b);
		ml2(w > e ? w - e : e - w, c);
		if (hundredths(w > e ? w - e : e - w) == 0)
			line(v, HH_TONE_PLAIN, "Withdrawn  %s: as expected", b);
		else
			line(v, HH_TONE_PLAIN, "Withdrawn  %s: %s %s than expected", b, c,
			     w >= e ? "more" : "less");
	}
	if (p->step > PG_RF_VOLUME) {
		vol(p->volume_nl, b);
		line(v, HH_TONE_PLAIN, "Put in     %s (the reservoir holds %s)", b,
		     vol(s->capacity_nl, c));
	}
	if (p->step <= PG_RF_CONC) {
		line(v, HH_TONE_PLAIN, "%s", ask[p->step]);
		line(v, HH_TONE_GOOD, "> %s_", p->in);
		if (p->error[0])
			line(v, HH_TONE_WARN, "%s", p->error);
		line(v, HH_TONE_PLAIN, "Enter: next   Backspace: correct   Esc: cancel (nothing sent)");
		return;
	}
	units_fmt_conc(s->concentration_ng_ml, a);
	units_fmt_conc(p->conc_ng_ml, b);
	int changed = p->conc_ng_ml != s->concentration_ng_ml;
	line(v, changed ? HH_TONE_WARN : HH_TONE_PLAIN, "Drug       %s now, %s after%s", a, b,
	     changed ? ": THE CONCENTRATION CHANGES" : " (unchanged)");
	if (p->step == PG_RF_REASON) {
		line(v, HH_TONE_PLAIN, "The reason for passing the soft limit (the audit log keeps it):");
		line(v, HH_TONE_GOOD, "> %s_", p->in);
		if (p->error[0])
			line(v, HH_TONE_WARN, "%s", p->error);
		line(v, HH_TONE_PLAIN, "Enter: send the refill again with it   Esc: cancel (nothing changes)");
		rank(v, HH_RANK_KEY);
		return;
	}
	if (p->step == PG_RF_REVIEW) {
		if (changed)
			line(v, HH_TONE_PLAIN, "A bridge bolus will be offered (the old drug in the "
			     "tubing and catheter).");
		line(v, HH_TONE_GOOD, "Review. Enter: send the refill to the pump   Esc: cancel");
		return;
	}
	if (p->step == PG_RF_SENT) {
		line(v, HH_TONE_WAIT, "Sending the refill...");
		return;
	}
	{
		/* the difference against the tolerance, to 0.01 mL; exact when
		 * rounding makes them look equal (0.95 against 0.949999) */
		uint64_t w = p->withdrawn_nl, e = p->rf.expected_nl, t = p->rf.tolerance_nl;
		uint64_t dif = w > e ? w - e : e - w;
		int bad = (p->rf.flags & MSG_RF_DISCREPANCY) != 0;
		if (hundredths(dif) == hundredths(t) && dif != t) {
			vol_exact(dif, c);
			vol_exact(t, b);
		} else {
			ml2(dif, c);
			ml2(t, b);
		}
		if (hundredths(dif) == 0 && !bad)
			line(v, HH_TONE_GOOD, "Pump's check: as expected, within %s: ok", b);
		else
			line(v, bad ? HH_TONE_ALERT : HH_TONE_GOOD,
			     "Pump's check: %s %s than expected, %s %s: %s", c,
			     w >= e ? "more" : "less", bad ? "beyond" : "within", b,
			     bad ? "DISCREPANCY" : "ok");
	}
	if (p->rf.flags & MSG_RF_DISCREPANCY)
		line(v, HH_TONE_WARN, "Investigate (not delivering? a leak? a pocket fill?) "
		     "before trusting it.");
	if (p->rf.next_refill_ms) {
		hh_fmt_date(p->rf.next_refill_ms, a, sizeof a);
		line(v, HH_TONE_PLAIN, "Next refill %s", a);
	}
	if (p->step == PG_RF_RESULT && (p->rf.flags & MSG_RF_BRIDGE_DUE)) {
		line(v, HH_TONE_GOOD, "A bridge bolus is due: start it now? y: yes   n: no");
		return;
	}
	if (p->step == PG_RF_BRIDGE_SENT) {
		line(v, HH_TONE_WAIT, "Starting the bridge bolus...");
		return;
	}
	if (p->cb.kind == MSG_CBOLUS_BRIDGE && p->step == PG_RF_DONE)
		cbolus_line(p, v, "Bridge");
	line(v, HH_TONE_PLAIN, "Enter: back to the interrogation");
}

/* "label  current  pending" with a mark when they differ */
static void row(struct hh_view *v, const char *label, const char *a, const char *b)
{
	int diff = strcmp(a, b) != 0;
	line(v, diff ? HH_TONE_WARN : HH_TONE_PLAIN, "%-16s %-22s %-22s%s", label, a, b,
	     diff ? "<-" : "");
}

/* the drug's names (from the pump and a file: escaped) */
static void drug_row(struct hh_view *v, const char *cur, const char *pend)
{
	char a[ESC_MAX(MSG_DRUG_MAX + 1)], b[ESC_MAX(MSG_DRUG_MAX + 1)];
	row(v, "drug", esc_s(a, sizeof a, cur), esc_s(b, sizeof b, pend));
}

/* the pump's comparison (its STAGE reply): cur's drug, mode and
 * concentration beside the file's, the pump's numbers beside each other */
static void stage_table(const struct pg *p, struct hh_view *v, const struct msg_state *cur,
                        const char *h0, const char *h1)
{
	const struct msg_stage_result *t = &p->stage;
	char a[HH_TEXT], b[HH_TEXT];
	snprintf(a, sizeof a, "session %u", (unsigned)t->stage_id);
	line(v, HH_TONE_PLAIN, "%-16s %-22s %-22s", a, h0, h1);
	rank(v, HH_RANK_KEY);
	drug_row(v, cur->drug, p->rx.drug);
	row(v, "mode", msg_mode_name(cur->mode), msg_mode_name(p->rx.mode));
	rank(v, HH_RANK_LOW);
	row(v, "concentration", units_fmt_conc(cur->concentration_ng_ml, a),
	    units_fmt_conc(p->rx.concentration_ng_ml, b));
	rank(v, HH_RANK_LOW);
	row(v, "drug a day", units_fmt_rate(t->daily_ng[0], a), units_fmt_rate(t->daily_ng[1], b));
	row(v, "patient bolus", t->bolus_dose_ng[0] ? units_fmt_dose(t->bolus_dose_ng[0], a) : "off",
	    t->bolus_dose_ng[1] ? units_fmt_dose(t->bolus_dose_ng[1], b) : "off");
	row(v, "lockout", dur(t->lockout_ms[0], a), dur(t->lockout_ms[1], b));
	snprintf(a, sizeof a, "%u", (unsigned)t->max_per_24h[0]);
	snprintf(b, sizeof b, "%u", (unsigned)t->max_per_24h[1]);
	row(v, "boluses in 24 h", a, b);
	row(v, "ceiling in 24 h", t->ceiling_ng_24h[0] ? units_fmt_dose(t->ceiling_ng_24h[0], a) : "none",
	    t->ceiling_ng_24h[1] ? units_fmt_dose(t->ceiling_ng_24h[1], b) : "none");
	if (t->next_refill_ms[0])
		hh_fmt_date(t->next_refill_ms[0], a, sizeof a);
	if (t->next_refill_ms[1])
		hh_fmt_date(t->next_refill_ms[1], b, sizeof b);
	row(v, "next refill", t->next_refill_ms[0] ? a : "not predicted",
	    t->next_refill_ms[1] ? b : "not predicted");
}

/* the pump's own comparison of the pending session (its STAGE reply) */
static void render_pending(const struct pg *p, struct hh_view *v)
{
	const struct msg_stage_result *t = &p->stage;
	char a[HH_TEXT], d[ESC_MAX(MSG_OVERRIDE_MAX + 1)];
	uint32_t id = pg_pending_id(p);
	if (!id) {
		line(v, HH_TONE_WARN, "No programming session is pending now (confirmed or "
		     "cancelled elsewhere,");
		line(v, HH_TONE_WARN, "or the pump restarted): the pump keeps its prescription.");
		line(v, HH_TONE_PLAIN, "Esc: back");
		return;
	}
	if (!p->have_stage || t->stage_id != id) {
		hh_fmt_clock(p->st.ext.staged_ms, a, sizeof a);
		line(v, HH_TONE_WARN, "Session %u was staged at %s, not from this screen: its",
		     (unsigned)id, a);
		line(v, HH_TONE_WARN, "comparison is not known here. f: stage the file again (it "
		     "replaces it)");
		line(v, HH_TONE_PLAIN, "Until you confirm, the pump keeps its prescription.");
	} else {
		stage_table(p, v, &p->st, "current", "pending (the pump's)");
		if (t->flags & MSG_ST_STOPS) {
			line(v, HH_TONE_ALERT, "It STOPS the pump (mode stopped): no drug after confirming.");
			rank(v, HH_RANK_KEY);
		}
		if ((p->st.flags & MSG_F_BOLUS_RUNNING) && p->st.bolus_ends_ms > p->st.now_ms) {
			/* the pump stops to take a program: the bolus ends there */
			hh_fmt_when(p->st.bolus_ends_ms, p->st.now_ms, a, sizeof a);
			line(v, HH_TONE_ALERT, "A bolus runs until %s: confirming CUTS IT SHORT", a);
			rank(v, HH_RANK_KEY);
		}
		if (t->flags & MSG_ST_OVERRIDE)
			line(v, HH_TONE_WARN, "Past a soft limit, overridden: %s",
			     esc_s(d, sizeof d, p->rx.override));
		if (t->flags & MSG_ST_NO_LIB)
			line(v, HH_TONE_WARN, "Its drug is not in the drug library: no limit was checked.");
		if (t->flags & MSG_ST_REPLACED)
			line(v, HH_TONE_PLAIN, "It replaced an earlier pending session.");
	}
	line(v, HH_TONE_GOOD, "Enter: confirm, the pump takes it   x: cancel it   Esc: leave pending");
	rank(v, HH_RANK_KEY);
}

static void render_program(const struct pg *p, struct hh_view *v)
{
	if (p->pstep == PG_PS_PATH || p->pstep == PG_PS_REASON) {
		if (p->pstep == PG_PS_PATH) {
			line(v, HH_TONE_PLAIN, "Program from a prescription file (the pumpd(8) format).");
			line(v, HH_TONE_PLAIN, "Its path:");
		} else {
			line(v, HH_TONE_PLAIN, "The reason for passing the soft limit (the audit log "
			     "keeps it):");
		}
		line(v, HH_TONE_GOOD, "> %s_", p->in);
		if (p->error[0])
			line(v, HH_TONE_WARN, "%s", p->error);
		line(v, HH_TONE_PLAIN, p->pstep == PG_PS_REASON ? "Enter: send it again with the "
		     "reason   Esc: cancel (nothing changes)" : p->features & MSG_FEAT_STAGE
		     ? "Enter: read it; the pump compares (nothing changes yet)   Esc: cancel"
		     : "Enter: read it and compare   Esc: cancel");
		return;
	}
	if (p->pstep == PG_PS_PENDING) {
		render_pending(p, v);
		return;
	}
	if (p->pstep == PG_PS_SENT && (p->features & MSG_FEAT_STAGE)) {
		line(v, HH_TONE_WAIT, "Asking the pump...");
		return;
	}
	if (p->pstep == PG_PS_DONE && p->have_stage) {
		stage_table(p, v, &p->pbefore, "before", "now");
		line(v, HH_TONE_PLAIN, "Enter: back to the interrogation");
		rank(v, HH_RANK_KEY);
		return;
	}
	/* a pump without STAGE: ptm's own comparison */
	struct pg_change c;
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	pg_compare(p->pstep >= PG_PS_SENT ? &p->pbefore : &p->st, &p->rx, &c);
	line(v, HH_TONE_PLAIN, "%-16s %-22s %-22s", "", p->pstep == PG_PS_DONE ? "before" : "current",
	     p->pstep == PG_PS_DONE ? "now" : "pending");
	drug_row(v, (p->pstep >= PG_PS_SENT ? &p->pbefore : &p->st)->drug, p->rx.drug);
	row(v, "mode", msg_mode_name(c.mode[0]), msg_mode_name(c.mode[1]));
	row(v, "concentration", units_fmt_conc(c.conc_ng_ml[0], a), units_fmt_conc(c.conc_ng_ml[1], b));
	row(v, "drug a day", units_fmt_rate(c.daily_ng[0], a), units_fmt_rate(c.daily_ng[1], b));
	row(v, "patient bolus", c.bolus_enabled[0] ? units_fmt_dose(c.bolus_dose_ng[0], a) : "off",
	    c.bolus_enabled[1] ? units_fmt_dose(c.bolus_dose_ng[1], b) : "off");
	row(v, "lockout", dur(c.lockout_ms[0], a), dur(c.lockout_ms[1], b));
	snprintf(a, sizeof a, "%u", (unsigned)c.max_per_24h[0]);
	snprintf(b, sizeof b, "%u", (unsigned)c.max_per_24h[1]);
	row(v, "boluses in 24 h", a, b);
	if (p->pstep == PG_PS_REVIEW)
		line(v, HH_TONE_GOOD, "Review. Enter: confirm, the pump takes it   Esc: cancel");
	else if (p->pstep == PG_PS_SENT)
		line(v, HH_TONE_WAIT, "Programming the pump...");
	else
		line(v, HH_TONE_PLAIN, "Enter: back to the interrogation");
}

/* the alarm test: the clinician picks one; the patient's remotes play it */
static void render_atest(const struct pg *p, struct hh_view *v)
{
	(void)p;
	line(v, HH_TONE_PLAIN, "The pump makes the patient's remotes play an alarm's sound and");
	line(v, HH_TONE_PLAIN, "name it, so the patient learns it. Nothing in the pump changes.");
	for (int i = 1; i < MSG_ALARM_COUNT; i++)
		line(v, HH_TONE_GOOD, "%d: %s (%s)", i, hh_alarm_title(i),
		     msg_priority_name(hh_alarm_priority(i)));
	line(v, HH_TONE_PLAIN, "A digit: play it   Esc: back");
}

static void render_cbolus(const struct pg *p, struct hh_view *v)
{
	static const char *const kinds[] = { "", "single", "priming", "bridge" };
	char a[UNITS_FMT_MAX];
	if (p->bstep == 0) {
		line(v, HH_TONE_PLAIN, "A clinician bolus: the patient's limits never refuse it; its drug");
		line(v, HH_TONE_PLAIN, "counts in the ceiling for the patient's later boluses.");
		line(v, HH_TONE_GOOD, "1: single (a dose over a duration)");
		line(v, HH_TONE_GOOD, "2: priming (fills the catheter, at a rate)");
		line(v, HH_TONE_GOOD, "3: bridge (the old drug after a new concentration)");
		line(v, HH_TONE_PLAIN, "Esc: cancel");
		return;
	}
	line(v, HH_TONE_PLAIN, "Clinician bolus: %s", kinds[p->bkind]);
	if (p->bstep >= 2 && p->bkind == MSG_CBOLUS_SINGLE) {
		line(v, HH_TONE_PLAIN, "Dose       %s", units_fmt_dose(p->bdose_ng, a));
		if (p->have_state && p->st.concentration_ng_ml && p->bstep == 3) {
			/* what it takes from the reservoir, at the drug in the pump */
			char c[UNITS_FMT_MAX], w[UNITS_FMT_MAX];
			uint64_t nl = (uint64_t)((unsigned __int128)p->bdose_ng * 1000000u /
			                         p->st.concentration_ng_ml);
			line(v, HH_TONE_PLAIN, "Volume     %s at %s", vol_exact(nl, w),
			     units_fmt_conc(p->st.concentration_ng_ml, c));
		}
	}
	if (p->bstep >= 3 && p->bkind == MSG_CBOLUS_SINGLE)
		line(v, HH_TONE_PLAIN, "Duration   %s", dur(p->bdur_ms, a));
	if (p->bstep >= 3 && p->bkind == MSG_CBOLUS_PRIME)
		line(v, HH_TONE_PLAIN, "Rate       %s/h", units_fmt_volume(p->brate_nl_h, a));
	if (p->bstep == 1 || p->bstep == 2) {
		line(v, HH_TONE_PLAIN, "%s", p->bstep == 2 ? "Over how long (e.g. 30m, 2h):"
		     : p->bkind == MSG_CBOLUS_SINGLE ? "The dose (mg, or with its unit: 50mcg):"
		     : "The priming rate (mL/h):");
		line(v, HH_TONE_GOOD, "> %s_", p->in);
		if (p->error[0])
			line(v, HH_TONE_WARN, "%s", p->error);
		line(v, HH_TONE_PLAIN, "Enter: next   Backspace: correct   Esc: cancel (nothing sent)");
		return;
	}
	if (p->bstep == 3) {
		if (p->bkind != MSG_CBOLUS_SINGLE)
			line(v, HH_TONE_PLAIN, "The pump sizes it from the tubing and catheter volumes.");
		line(v, HH_TONE_GOOD, "Review. Enter: start it   Esc: cancel");
		return;
	}
	if (p->bstep == 4) {
		line(v, HH_TONE_WAIT, "Starting...");
		return;
	}
	cbolus_line(p, v, "Started");
	line(v, HH_TONE_PLAIN, "Enter: back to the interrogation");
}

static void render_help(struct hh_view *v)
{
	static const char *const k[][2] = {
		{ "i", "interrogate: the pump's state and the log since the last visit" },
		{ "c", "charts: drug per hour, requests per day, the reservoir" },
		{ "r", "refill: withdrawn, new volume and concentration, review, bridge" },
		{ "p", "program from a file: compared, Enter confirms, x cancels" },
		{ "o", "a clinician bolus: single (dose, duration), priming, bridge" },
		{ "a", "alarm test: the patient's remotes play the alarm you pick" },
		{ "Up, Down", "scroll the charts" },
		{ "b, Esc", "back (Esc cancels a refill before it is sent)" },
		{ "?", "this help" },
		{ "q", "quit the programmer" },
	};
	for (size_t i = 0; i < sizeof k / sizeof k[0]; i++)
		line(v, HH_TONE_PLAIN, "%-10s %s", k[i][0], k[i][1]);
}

void pg_render(const struct pg *p, struct hh_view *v)
{
	memset(v, 0, sizeof *v);
	v->screen = HH_SCR_HOME;
	v->link = p->link;
	snprintf(v->link_text, sizeof v->link_text, "%s",
	         p->link == HH_LINK_UP ? "Link: connected to pump"
	         : p->link == HH_LINK_DOWN ? "Link lost: reconnecting..." : "Connecting...");
	static const char *const heads[PG_SCR_COUNT] = {
		"Clinician programmer: interrogation", "Charts (Up/Down to scroll, b: back)",
		"Refill", "Help: every key (b: back)", "Program: current and pending",
		"Clinician bolus", "Alarm test",
	};
	snprintf(v->headline, sizeof v->headline, "%s", heads[p->screen]);
	v->headline_tone = HH_TONE_PLAIN;
	if (p->have_state && p->st.n_alarms) {
		snprintf(v->alarm_line, sizeof v->alarm_line, "ALARM: %s",
		         hh_alarm_title(p->st.alarms[0].id));
		v->alarm_tone = p->st.alarms[0].priority == MSG_PRIO_HIGH ? HH_TONE_ALERT
		                                                         : HH_TONE_WARN;
		v->lights[HH_LIGHT_ALARM] = 1;
	}
	if (p->have_state && (p->st.flags & MSG_F_BOLUS_RUNNING))
		v->lights[HH_LIGHT_DOSE] = 1;
	{
		/* the message's first line; the rest opens the body (never cut) */
		const char *rest;
		size_t n = hh_fmt_wrap(p->message, HH_WIDTH, &rest);
		snprintf(v->message, sizeof v->message, "%.*s", (int)n, p->message);
		v->message_tone = p->message_tone;
		if (*rest) {
			line(v, p->message_tone, "%s", rest);
			rank(v, HH_RANK_KEY);
		}
	}
	if (p->have_state) {
		hh_fmt_clock(p->st.now_ms, v->clock, sizeof v->clock);
		hh_fmt_day_short(p->st.now_ms, v->day, sizeof v->day);
	}
	switch (p->screen) {
	case PG_SCR_CHARTS: render_charts(p, v); break;
	case PG_SCR_REFILL: render_refill(p, v); break;
	case PG_SCR_HELP:   render_help(v); break;
	case PG_SCR_PROGRAM: render_program(p, v); break;
	case PG_SCR_CBOLUS: render_cbolus(p, v); break;
	case PG_SCR_ATEST:  render_atest(p, v); break;
	default:            render_home(p, v); break;
	}
}

const char *pg_footer(void)
{
	return "i interrogate  c charts  r refill  p program  o bolus  a alarm test  ? help";
}

const char *pg_footer_training(void)
{
	return "i c r p o a ? q  TRAINING: l lessons  n next step  x leave the lesson";
}
