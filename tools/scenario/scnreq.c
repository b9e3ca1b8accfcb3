/*
 * tools/scenario/scnreq.c — scenario request words into struct msg_request
 * (see scnreq.h).
 */
#include "tools/scenario/scnreq.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"
#include "util/units.h"
#include "tools/scenario/scnlex.h"

struct ctx {
	char *err;
	size_t n;
};

#define fail(c, ...) scnlex_err((c)->err, (c)->n, NULL, __VA_ARGS__)

static int alarm_arg(struct ctx *c, const char *what, const char *v, int allow_all,
                     uint8_t *out)
{
	int a;
	if (allow_all && strcmp(v, "all") == 0) {
		*out = 0;
		return 0;
	}
	a = msg_alarm_parse(v);
	if (a <= 0)
		return fail(c, "%s: unknown alarm '%s'%s", what, v,
		            allow_all ? " (or 'all')" : "");
	*out = (uint8_t)a;
	return 0;
}

/* A trailing override=REASON (PROGRAM, STAGE, REFILL): into dst, quotes
 * dropped. */
static int override_arg(struct ctx *c, char **tok, int *ntok,
                        char dst[MSG_OVERRIDE_MAX + 1])
{
	const char *t = tok[*ntok - 1];
	if (*ntok < 2 || strncmp(t, "override=", 9) != 0)
		return 0;
	t += 9;
	size_t n = strlen(t);
	if (n >= 2 && t[0] == '"' && t[n - 1] == '"') {
		t++;
		n -= 2;
	}
	if (n == 0 || n > MSG_OVERRIDE_MAX)
		return fail(c, "override=REASON: the reason is 1 to %d characters", MSG_OVERRIDE_MAX);
	memcpy(dst, t, n);
	dst[n] = '\0';
	(*ntok)--;
	return 0;
}

static int refill(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	if (override_arg(c, tok, &ntok, r->u.refill.override))
		return -1;
	if (r->u.refill.override[0] &&
	    (ntok < 3 || strncmp(tok[ntok - 1], "withdrawn=", 10) != 0))
		return fail(c, "refill: override=REASON comes after withdrawn=VOLUME (the wire "
		            "carries it after the withdrawn volume)");
	if (ntok >= 3 && strncmp(tok[ntok - 1], "withdrawn=", 10) == 0) {
		if (units_parse_volume(tok[ntok - 1] + 10, &v) || v > UINT32_MAX)
			return fail(c, "refill: '%s': expected withdrawn=VOLUME such as withdrawn=3.1mL",
			            tok[ntok - 1]);
		r->u.refill.has_withdrawn = 1;
		r->u.refill.withdrawn_nl = (uint32_t)v;
		ntok--;
	}
	if (ntok < 2 || ntok > 3)
		return fail(c, "refill: expected 'refill VOLUME [CONCENTRATION] [withdrawn=VOLUME "
		            "[override=REASON]]', e.g. refill 20mL 10mg/mL");
	if (units_parse_volume(tok[1], &v) || v > UINT32_MAX)
		return fail(c, "refill: '%s': expected a volume such as 20mL", tok[1]);
	r->u.refill.volume_nl = (uint32_t)v;
	if (ntok == 3) {
		if (units_parse_conc(tok[2], &v) || v == 0 || v > UINT32_MAX)
			return fail(c, "refill: '%s': expected a concentration such as 10mg/mL", tok[2]);
		r->u.refill.concentration_ng_ml = (uint32_t)v;
	}
	return 0;
}

static int log_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	r->u.log.after_seq = 0;
	r->u.log.max = MSG_LOG_MAX;
	for (int i = 1; i < ntok; i++) {
		if (strncmp(tok[i], "after=", 6) == 0) {
			if (units_parse_uint(tok[i] + 6, UINT64_MAX, &r->u.log.after_seq))
				return fail(c, "log: '%s': expected a number", tok[i]);
		} else if (strncmp(tok[i], "max=", 4) == 0) {
			if (units_parse_uint(tok[i] + 4, MSG_LOG_MAX, &v) || v == 0)
				return fail(c, "log: '%s': expected 1..%d", tok[i], MSG_LOG_MAX);
			r->u.log.max = (uint16_t)v;
		} else {
			return fail(c, "log: unknown option '%s' (after=, max=)", tok[i]);
		}
	}
	return 0;
}

int scnreq_fault_arg(int kind, const char *v, uint64_t *arg, char *err,
                     size_t errlen)
{
	struct ctx c = { err, errlen };
	char num[24];
	if (kind == MSG_FAULT_OCCLUSION) {
		size_t n = v ? strlen(v) : 0;
		if (n && v[n - 1] == '%')
			n--;
		if (!v || n == 0 || n >= sizeof num)
			return fail(&c, "occlusion: expected the share that reaches the patient, 0%%..100%%, e.g. occlusion 40%%");
		memcpy(num, v, n);
		num[n] = '\0';
		if (units_parse_uint(num, 100, arg))
			return fail(&c, "occlusion: '%s': expected 0%%..100%% (100%%: no occlusion)", v);
		return 0;
	}
	if (kind == MSG_FAULT_STALL_FOR) {
		if (!v || units_parse_duration(v, arg) || *arg == 0 ||
		    *arg > 7ull * 86400000u)
			return fail(&c, "stall_for: expected how long the motor stands, 1ms..7d, e.g. stall_for 10m");
		return 0;
	}
	*arg = 0;
	return 0;
}

static int fault_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	int f;
	if (ntok >= 2 && strcmp(tok[1], "link") == 0)   /* a link fault: LINK */
		return scnreq_link(tok + 1, ntok - 1, r, c->err, c->n);
	if (ntok < 2)
		return fail(c, "fault needs a kind (motor_stall, memory, memory_critical, battery_eri, battery_eos, battery_new, reservoir VOLUME, occlusion PCT, stall_for DURATION, link ...)");
	f = msg_fault_parse(tok[1]);
	if (f <= 0)
		return fail(c, "fault: unknown fault '%s' (motor_stall, memory, memory_critical, battery_eri, battery_eos, battery_new, reservoir VOLUME, occlusion PCT, stall_for DURATION, link ...)", tok[1]);
	r->u.fault.kind = (uint8_t)f;
	if (f == MSG_FAULT_RESERVOIR) {
		if (ntok != 3 || units_parse_volume(tok[2], &r->u.fault.arg))
			return fail(c, "fault reservoir: expected a volume, e.g. fault reservoir 1mL");
	} else if (f == MSG_FAULT_OCCLUSION || f == MSG_FAULT_STALL_FOR) {
		if (scnreq_fault_arg(f, ntok == 3 ? tok[2] : NULL, &r->u.fault.arg,
		                     c->err, c->n) < 0)
			return -EINVAL;
	} else if (ntok != 2) {
		return fail(c, "fault %s takes no argument", tok[1]);
	}
	return 0;
}

#define LINK_WORDS "drop-requests N, drop-replies N, delay DURATION [N], cut [N], " \
	"duplicate [N], out-of-range [DURATION], busy [N], clear"

int scnreq_link(char **tok, int ntok, struct msg_request *r, char *err,
                size_t errlen)
{
	struct ctx c = { err, errlen };
	struct ctx *cp = &c;
	char *pos[3];
	int npos = 0;
	uint64_t v;
	memset(&r->u.link, 0, sizeof r->u.link);
	r->type = MSG_LINK;
	for (int i = 1; i < ntok; i++) {
		const char *name = NULL;
		if (strcmp(tok[i], "--remote") == 0) {
			if (i + 1 >= ntok)
				return fail(cp, "link: --remote needs a remote's name");
			name = tok[++i];
		} else if (strncmp(tok[i], "--remote=", 9) == 0) {
			name = tok[i] + 9;
		} else if (strncmp(tok[i], "remote=", 7) == 0) {
			name = tok[i] + 7;
		} else if (npos < 3) {
			pos[npos++] = tok[i];
			continue;
		} else {
			return fail(cp, "link: too many words: '%s'", tok[i]);
		}
		size_t n = strlen(name);
		if (n == 0 || n > MSG_REMOTE_MAX ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
		           "0123456789._-") != n)
			return fail(cp, "link: '%s' is not a remote's name (1..%d of "
			            "A-Z a-z 0-9 . _ -)", name, MSG_REMOTE_MAX);
		memcpy(r->u.link.remote, name, n + 1);
	}
	if (npos == 0)
		return fail(cp, "link needs a kind (" LINK_WORDS ")");
	int k = msg_link_kind_parse(pos[0]);
	if (k < 0)
		return fail(cp, "link: unknown kind '%s' (" LINK_WORDS ")", pos[0]);
	r->u.link.kind = (uint8_t)k;
	int at = 1;
	if (k == MSG_LINK_DELAY || k == MSG_LINK_OUT_OF_RANGE) {
		if (at < npos) {
			if (units_parse_duration(pos[at], &v) || v > MSG_LINK_MS_MAX ||
			    (k == MSG_LINK_DELAY && v == 0))
				return fail(cp, "link %s: '%s': expected a duration such as "
				            "500ms or 15s (at most 1h)", pos[0], pos[at]);
			r->u.link.ms = (uint32_t)v;
			at++;
		} else if (k == MSG_LINK_DELAY) {
			return fail(cp, "link delay needs a duration, e.g. delay 2s [N]");
		}
	}
	if (k != MSG_LINK_CLEAR && k != MSG_LINK_OUT_OF_RANGE) {
		r->u.link.count = k == MSG_LINK_DELAY ? 0 : 1;
		if (at < npos) {
			if (units_parse_uint(pos[at], MSG_LINK_COUNT_MAX, &v) || v == 0)
				return fail(cp, "link %s: '%s': expected a count 1..%u",
				            pos[0], pos[at], MSG_LINK_COUNT_MAX);
			r->u.link.count = (uint32_t)v;
			at++;
		}
	}
	if (at < npos)
		return fail(cp, "link %s: unexpected '%s'", pos[0], pos[at]);
	return 0;
}

static int clock_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	if (ntok == 3 && strcmp(tok[1], "advance") == 0) {
		r->u.clock.op = MSG_CLOCK_ADVANCE;
		if (units_parse_duration(tok[2], &r->u.clock.arg))
			return fail(c, "clock advance: '%s': expected a duration such as 2h or 1d", tok[2]);
	} else if (ntok == 3 && strcmp(tok[1], "speed") == 0) {
		r->u.clock.op = MSG_CLOCK_SPEED;
		if (units_parse_uint(tok[2], UINT32_MAX, &r->u.clock.arg))
			return fail(c, "clock speed: '%s': expected a whole number (0 = frozen)", tok[2]);
	} else {
		return fail(c, "clock: expected 'clock advance DURATION' or 'clock speed N'");
	}
	return 0;
}

/* ---- the clinician's CONFIG and CBOLUS -------------------------------------- */

/* A length unit: mm in one of it (mm, cm, m), or 0. */
static uint64_t mm_per(const char *u)
{
	return strcmp(u, "mm") == 0 ? 1 : strcmp(u, "cm") == 0 ? 10
	     : strcmp(u, "m") == 0 ? 1000 : 0;
}

/* "90cm", "900 mm", "0.9m": mm, exactly (integers only); 0 or -1. */
static int parse_length_mm(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t whole = 0, frac = 0, fdiv = 1;
	const char *c = s;
	if (*c < '0' || *c > '9')
		return -1;
	for (; *c >= '0' && *c <= '9'; c++) {
		whole = whole * 10 + (uint64_t)(*c - '0');
		if (whole > max)
			return -1;
	}
	if (*c == '.') {
		for (c++; *c >= '0' && *c <= '9'; c++) {
			if (fdiv >= 1000)
				return -1;
			frac = frac * 10 + (uint64_t)(*c - '0');
			fdiv *= 10;
		}
	}
	if (*c == ' ')
		c++;
	uint64_t per = mm_per(c);
	if (per == 0 || (frac * per) % fdiv != 0 || whole > max / per)
		return -1;
	uint64_t v = whole * per + frac * per / fdiv;
	if (v > max)
		return -1;
	*out = v;
	return 0;
}

/* "VOLUME/UNIT": the volume in nL and the unit after the slash; 0 or -1. */
static int split_per(const char *s, uint64_t *nl, const char **unit)
{
	char num[64];
	const char *slash = strchr(s, '/');
	if (!slash || (size_t)(slash - s) >= sizeof num)
		return -1;
	memcpy(num, s, (size_t)(slash - s));
	num[slash - s] = '\0';
	if (units_parse_volume(num, nl))
		return -1;
	*unit = slash + 1;
	return 0;
}

/* "2.2uL/cm", "220nL/mm": nL per mm, exactly; 0 or -1. */
static int parse_nl_per_mm(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t nl, per;
	const char *u;
	if (split_per(s, &nl, &u) || (per = mm_per(u)) == 0 || nl % per != 0 ||
	    nl / per > max)
		return -1;
	*out = nl / per;
	return 0;
}

/* "1mL/h", "500uL/min": nL per hour, exactly; 0 or -1. */
static int parse_nl_per_h(const char *s, uint64_t max, uint64_t *out)
{
	uint64_t nl, k;
	const char *u;
	if (split_per(s, &nl, &u))
		return -1;
	k = strcmp(u, "h") == 0 ? 1 : strcmp(u, "min") == 0 ? 60 : 0;
	if (k == 0 || nl > max / k)
		return -1;
	*out = nl * k;
	return 0;
}

static int config_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	if (ntok != 6 || strcmp(tok[1], "tubing") || strcmp(tok[3], "catheter"))
		return fail(c, "config: expected 'config tubing VOLUME catheter LENGTH "
		            "VOLUME/LENGTH', e.g. config tubing 0.26mL catheter 90cm 2.2uL/cm");
	if (units_parse_volume(tok[2], &v) || v > UINT32_MAX)
		return fail(c, "config: tubing '%s': expected a volume such as 0.26mL", tok[2]);
	r->u.config.tubing_nl = (uint32_t)v;
	if (parse_length_mm(tok[4], UINT32_MAX, &v))
		return fail(c, "config: catheter '%s': expected a length such as 90cm or "
		            "900mm (whole mm)", tok[4]);
	r->u.config.catheter_mm = (uint32_t)v;
	if (parse_nl_per_mm(tok[5], UINT32_MAX, &v))
		return fail(c, "config: catheter '%s': expected a volume per length such "
		            "as 2.2uL/cm or 220nL/mm (whole nL/mm)", tok[5]);
	r->u.config.catheter_nl_per_mm = (uint32_t)v;
	return 0;
}

static int cbolus_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	int k = ntok >= 2 ? msg_cbolus_kind_parse(tok[1]) : -1;
	memset(&r->u.cbolus, 0, sizeof r->u.cbolus);
	if (k < 0)
		return fail(c, "cbolus: expected 'cbolus single DOSE DURATION', "
		            "'cbolus prime RATE' or 'cbolus bridge'");
	r->u.cbolus.kind = (uint8_t)k;
	if (k == MSG_CBOLUS_SINGLE) {
		if (ntok != 4)
			return fail(c, "cbolus single: expected a dose and a duration, "
			            "e.g. cbolus single 0.5mg 10m");
		if (units_parse_dose(tok[2], &v) || v > UINT32_MAX)
			return fail(c, "cbolus single: '%s': expected a dose such as 0.5mg",
			            tok[2]);
		r->u.cbolus.dose_ng = (uint32_t)v;
		if (units_parse_duration(tok[3], &v) || v > UINT32_MAX)
			return fail(c, "cbolus single: '%s': expected a duration such as 10m",
			            tok[3]);
		r->u.cbolus.duration_ms = (uint32_t)v;
	} else if (k == MSG_CBOLUS_PRIME) {
		if (ntok != 3 || parse_nl_per_h(tok[2], UINT32_MAX, &v))
			return fail(c, "cbolus prime: expected a rate such as 1mL/h or 500uL/min");
		r->u.cbolus.rate_nl_h = (uint32_t)v;
	} else if (ntok != 2) {
		return fail(c, "cbolus bridge takes no argument: the pump knows the old "
		            "drug and rate");
	}
	return 0;
}

int scnreq_clinic(char **tok, int ntok, struct msg_request *r, char *err,
                  size_t errlen)
{
	struct ctx c = { err, errlen };
	if (ntok >= 1 && strcmp(tok[0], "config") == 0) {
		r->type = MSG_CONFIG;
		return config_args(&c, tok, ntok, r);
	}
	if (ntok >= 1 && strcmp(tok[0], "cbolus") == 0) {
		r->type = MSG_CBOLUS;
		return cbolus_args(&c, tok, ntok, r);
	}
	return fail(&c, "not a clinician's request: '%s'", ntok ? tok[0] : "");
}

static int no_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	(void)r;
	return ntok != 1 ? fail(c, "%s takes no arguments", tok[0]) : 0;
}

static int silence_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	r->u.alarm = 0;
	if (ntok > 2)
		return fail(c, "silence takes one alarm (or 'all')");
	return ntok == 2 ? alarm_arg(c, "silence", tok[1], 1, &r->u.alarm) : 0;
}

static int history_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	r->u.max = MSG_HISTORY_MAX;
	if (ntok > 2)
		return fail(c, "history takes at most one number");
	if (ntok == 2) {
		if (units_parse_uint(tok[1], MSG_HISTORY_MAX, &v) || v == 0)
			return fail(c, "history: '%s': expected 1..%d", tok[1], MSG_HISTORY_MAX);
		r->u.max = (uint16_t)v;
	}
	return 0;
}

/* clear ALARM, alarmtest ALARM */
static int one_alarm_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	if (ntok != 2)
		return fail(c, "%s takes one alarm name", tok[0]);
	return alarm_arg(c, tok[0], tok[1], 0, &r->u.alarm);
}

static int run_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	if (ntok != 2 || (strcmp(tok[1], "start") && strcmp(tok[1], "stop")))
		return fail(c, "run: expected 'run start' or 'run stop'");
	r->u.run = strcmp(tok[1], "start") == 0;
	return 0;
}

/* confirm ID|last, cancel ID|last: 0 = the last stage reply's, when sent */
static int stage_id_args(struct ctx *c, char **tok, int ntok, struct msg_request *r)
{
	uint64_t v;
	if (ntok == 2 && strcmp(tok[1], "last") == 0) {
		r->u.stage_id = 0;
		return 0;
	}
	if (ntok != 2 || units_parse_uint(tok[1], UINT32_MAX, &v) || v == 0)
		return fail(c, "%s takes the staged session's id (the stage reply's) or 'last'", tok[0]);
	r->u.stage_id = (uint32_t)v;
	return 0;
}

/* Every request a scenario (and ptmctl) writes: its word, its type, the
 * reader of its arguments (program's: the prescription, in scnreq_parse). */
static const struct {
	const char *name;
	uint8_t type;
	int (*args)(struct ctx *c, char **tok, int ntok, struct msg_request *r);
} requests[] = {
	{ "hello", MSG_HELLO, no_args },
	{ "status", MSG_STATUS, no_args },
	{ "bolus", MSG_BOLUS, no_args },
	{ "silence", MSG_SILENCE, silence_args },
	{ "history", MSG_HISTORY, history_args },
	{ "program", MSG_PROGRAM, NULL },
	{ "refill", MSG_REFILL, refill },
	{ "clear", MSG_CLEAR, one_alarm_args },
	{ "log", MSG_LOG, log_args },
	{ "run", MSG_RUN, run_args },
	{ "fault", MSG_FAULT, fault_args },
	{ "clock", MSG_CLOCK, clock_args },
	{ "config", MSG_CONFIG, config_args },
	{ "cbolus", MSG_CBOLUS, cbolus_args },
	{ "stage", MSG_STAGE, NULL },
	{ "confirm", MSG_STAGE_CONFIRM, stage_id_args },
	{ "cancel", MSG_STAGE_CANCEL, stage_id_args },
	{ "alarmtest", MSG_ALARMTEST, one_alarm_args },
};

int scnreq_parse(char **tok, int ntok, struct msg_request *r,
                 struct scnreq_rx *rx, char *err, size_t errlen)
{
	struct ctx c = { err, errlen };

	rx->heredoc = rx->file = NULL;
	for (size_t i = 0; i < sizeof requests / sizeof requests[0]; i++) {
		if (strcmp(tok[0], requests[i].name) != 0)
			continue;
		r->type = requests[i].type;
		if (!requests[i].args) {   /* program, stage: [override=REASON] last */
			int e = override_arg(&c, tok, &ntok, r->u.rx.override);
			return e ? e : scnlex_rx_arg(tok, ntok, &rx->heredoc, &rx->file, c.err, c.n);
		}
		return requests[i].args(&c, tok, ntok, r);
	}
	return fail(&c, "unknown request '%s' (status, bolus, silence, history, hello, program, refill, clear, log, run, config, cbolus, stage, confirm, cancel, alarmtest, fault, clock)", tok[0]);
}
