/*
 * tools/scenario/scnexpect.c — `expect` lines into checks (see scnexpect.h and
 * docs/SCENARIOS.md, "Expectations").
 */
#include "tools/scenario/scnexpect.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "util/fmt.h"
#include "util/units.h"
#include "tools/scenario/scnlex.h"

/* contexts a field may appear in */
#define C_STATE   0x01
#define C_BOLUS   0x02
#define C_ERROR   0x04
#define C_COUNTS  0x08
#define C_HISTORY 0x10
#define C_LOG     0x20
#define C_CBOLUS  0x40
#define C_REFILL  0x80
#define C_STAGE   0x100

#define C_SB (C_STATE | C_BOLUS)

struct field_def {
	const char *name;
	uint8_t vtype;
	uint16_t ctx;
};

static const struct field_def fields[SCN_F__COUNT] = {
	[SCN_F_NOW]               = { "now", SCN_V_WHEN, C_SB },
	[SCN_F_MODE]              = { "mode", SCN_V_ENUM, C_SB },
	[SCN_F_INFUSING]          = { "infusing", SCN_V_BOOL, C_SB },
	[SCN_F_BOLUS_RUNNING]     = { "bolus_running", SCN_V_BOOL, C_SB },
	[SCN_F_BOLUS_ENABLED]     = { "bolus_enabled", SCN_V_BOOL, C_SB },
	[SCN_F_SIMULATED]         = { "simulated", SCN_V_BOOL, C_SB },
	[SCN_F_RESERVOIR]         = { "reservoir", SCN_V_NL, C_SB },
	[SCN_F_CAPACITY]          = { "capacity", SCN_V_NL, C_SB },
	[SCN_F_LOW_THRESHOLD]     = { "low_threshold", SCN_V_NL, C_SB },
	[SCN_F_CONCENTRATION]     = { "concentration", SCN_V_NG_ML, C_SB },
	[SCN_F_BASAL]             = { "basal", SCN_V_NG_DAY, C_SB },
	[SCN_F_BOLUS_DOSE]        = { "bolus_dose", SCN_V_NG, C_SB },
	[SCN_F_BOLUS_DURATION]    = { "bolus_duration", SCN_V_MS, C_SB },
	[SCN_F_LOCKOUT]           = { "lockout", SCN_V_MS, C_SB },
	[SCN_F_BOLUSES_24H]       = { "boluses_24h", SCN_V_UINT, C_SB },
	[SCN_F_MAX_PER_24H]       = { "max_per_24h", SCN_V_UINT, C_SB },
	[SCN_F_BOLUS_ENDS]        = { "bolus_ends", SCN_V_WHEN, C_SB },
	[SCN_F_NEXT_BOLUS]        = { "next_bolus", SCN_V_WHEN, C_SB },
	[SCN_F_NEXT_BOLUS_REASON] = { "next_bolus_reason", SCN_V_ENUM, C_SB },
	[SCN_F_NEXT_REFILL]       = { "next_refill", SCN_V_WHEN, C_SB },
	[SCN_F_ERI]               = { "eri", SCN_V_WHEN, C_SB },
	[SCN_F_EOS]               = { "eos", SCN_V_WHEN, C_SB },
	[SCN_F_DRUG]              = { "drug", SCN_V_STR, C_SB },
	[SCN_F_ALARMS]            = { "alarms", SCN_V_ALARMS, C_SB },
	[SCN_F_SILENCED]          = { "silenced", SCN_V_ALARMS, C_SB },
	[SCN_F_CRITICAL]          = { "critical", SCN_V_BOOL, C_SB },
	[SCN_F_CLOCK_SPEED]       = { "clock_speed", SCN_V_UINT, C_SB },
	[SCN_F_DOSE]              = { "dose", SCN_V_NG, C_BOLUS | C_CBOLUS },
	[SCN_F_ENDS_IN]           = { "ends_in", SCN_V_MS, C_BOLUS | C_CBOLUS },
	[SCN_F_AT]                = { "at", SCN_V_WHEN, C_BOLUS },
	[SCN_F_WAIT]              = { "wait", SCN_V_MS, C_BOLUS },
	[SCN_F_DETAIL]            = { "detail", SCN_V_STR, C_ERROR },
	[SCN_F_LAST_ID]           = { "last_id", SCN_V_UINT, C_ERROR },
	[SCN_F_COUNT]             = { "count", SCN_V_UINT, C_HISTORY | C_LOG },
	[SCN_F_OUTCOME_N]         = { "<outcome>", SCN_V_UINT, C_COUNTS | C_HISTORY },
	[SCN_F_CONTAINS]          = { "contains", SCN_V_STR, C_LOG },
	[SCN_F_VOLUME]            = { "volume", SCN_V_NL, C_CBOLUS },
	[SCN_F_DURATION]          = { "duration", SCN_V_MS, C_CBOLUS },
	[SCN_F_WITHDRAWN]         = { "withdrawn", SCN_V_NL, C_REFILL },
	[SCN_F_EXPECTED]          = { "expected", SCN_V_NL, C_REFILL },
	[SCN_F_TOLERANCE]         = { "tolerance", SCN_V_NL, C_REFILL },
	[SCN_F_DISCREPANCY]       = { "discrepancy", SCN_V_BOOL, C_REFILL },
	[SCN_F_BRIDGE_DUE]        = { "bridge_due", SCN_V_BOOL, C_REFILL },
	[SCN_F_STAGE_ID]          = { "stage_id", SCN_V_UINT, C_STAGE },
	[SCN_F_DAILY_OLD]         = { "daily_old", SCN_V_NG, C_STAGE },
	[SCN_F_DAILY_NEW]         = { "daily_new", SCN_V_NG, C_STAGE },
	[SCN_F_BOLUS_OLD]         = { "bolus_old", SCN_V_NG, C_STAGE },
	[SCN_F_BOLUS_NEW]         = { "bolus_new", SCN_V_NG, C_STAGE },
	[SCN_F_CEILING_OLD]       = { "ceiling_old", SCN_V_NG, C_STAGE },
	[SCN_F_CEILING_NEW]       = { "ceiling_new", SCN_V_NG, C_STAGE },
	[SCN_F_REFILL_OLD]        = { "refill_old", SCN_V_WHEN, C_STAGE },
	[SCN_F_REFILL_NEW]        = { "refill_new", SCN_V_WHEN, C_STAGE },
	[SCN_F_OVERRIDDEN]        = { "overridden", SCN_V_BOOL, C_STAGE },
	[SCN_F_STOPS]             = { "stops", SCN_V_BOOL, C_STAGE },
	[SCN_F_IN_LIBRARY]        = { "in_library", SCN_V_BOOL, C_STAGE },
};

#define KINDS "ok, error, outcome, cbolus, refill, stage, state, notify, same, counts, history, log, silenced"
#define ALARM_NAMES "low_reservoir, eri, eos, empty, motor_stall, memory, memory_critical"

struct ctx {
	const char *name;   /* "expect state": the start of every message */
	char *err;
	size_t n;
};

/* "expect state: " then the message */
#define fail(c, ...) scnlex_err((c)->err, (c)->n, (c)->name, __VA_ARGS__)

const char *scnexpect_field_name(int field)
{
	return field >= 0 && field < SCN_F__COUNT ? fields[field].name : "unknown";
}

int scnexpect_event_parse(const char *s)
{
	for (int e = 0; e < MSG_EV_COUNT; e++)
		if (strcmp(msg_event_name(e), s) == 0)
			return e;
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

/* ---- one check -------------------------------------------------------------- */

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

/* A moment: now | never | TIME | DURATION from the pump's now. */
static int parse_when(struct scn_check *k, const char *v)
{
	int is_now = k->field == SCN_F_NOW; /* the clock itself: a time only */
	if (!is_now && strcmp(v, "now") == 0)
		k->when = SCN_W_NOW;
	else if (!is_now && (strcmp(v, "never") == 0 || strcmp(v, "none") == 0))
		k->when = SCN_W_NEVER;
	else if (units_parse_time(v, &k->value) == 0)
		k->when = SCN_W_AT;
	else if (!is_now && units_parse_duration(v, &k->value) == 0)
		k->when = SCN_W_IN;
	else
		return -EINVAL;
	return 0;
}

static int parse_value(struct ctx *c, struct scn_check *k, const char *v)
{
	int rc = 0, e;
	k->vtype = fields[k->field].vtype;
	switch (k->vtype) {
	case SCN_V_UINT:   rc = units_parse_uint(v, UINT64_MAX, &k->value); break;
	case SCN_V_NL:     rc = units_parse_volume(v, &k->value); break;
	case SCN_V_NG:     rc = units_parse_dose(v, &k->value); break;
	case SCN_V_NG_DAY: rc = units_parse_rate(v, &k->value); break;
	case SCN_V_NG_ML:  rc = units_parse_conc(v, &k->value); break;
	case SCN_V_MS:     rc = units_parse_duration(v, &k->value); break;
	case SCN_V_WHEN:
		rc = parse_when(k, v);
		if (!rc && (k->when == SCN_W_NOW || k->when == SCN_W_NEVER) &&
		    k->op != SCN_EQ && k->op != SCN_NE)
			return fail(c, "'%s' can only be compared with = or !=", k->text);
		break;
	case SCN_V_BOOL:
		if (strcmp(v, "yes") == 0 || strcmp(v, "true") == 0)
			k->value = 1;
		else if (strcmp(v, "no") == 0 || strcmp(v, "false") == 0)
			k->value = 0;
		else
			rc = -EINVAL;
		break;
	case SCN_V_ENUM:
		e = k->field == SCN_F_MODE ? msg_mode_parse(v) : msg_outcome_parse(v);
		if (e < 0)
			return fail(c, "'%s': unknown %s '%s'", k->text,
			            k->field == SCN_F_MODE ? "mode" : "outcome", v);
		k->value = (uint64_t)e;
		break;
	case SCN_V_ALARMS:
		if (parse_alarms(v, &k->value))
			return fail(c, "'%s': expected %s (names: " ALARM_NAMES ")",
			            k->text, unit_hint(k->vtype));
		break;
	case SCN_V_STR:
		if (snprintf(k->str, sizeof k->str, "%s", v) >= (int)sizeof k->str)
			return fail(c, "'%s': text too long", k->text);
		break;
	}
	if (rc == -ERANGE)
		return fail(c, "'%s': value too large", k->text);
	if (rc)
		return fail(c, "'%s': expected %s", k->text, unit_hint(k->vtype));
	if ((k->vtype == SCN_V_BOOL || k->vtype == SCN_V_ENUM ||
	     k->vtype == SCN_V_STR) && k->op != SCN_EQ && k->op != SCN_NE)
		return fail(c, "'%s' can only be compared with = or !=", k->text);
	if (k->vtype == SCN_V_ALARMS && k->op != SCN_EQ && k->op != SCN_NE &&
	    k->op != SCN_GE)
		return fail(c, "'%s': alarm sets compare with = (exactly), != or >= (includes)",
		            k->text);
	return 0;
}

/* "name OP value" -> a check allowed in ctx. */
static int parse_check(struct ctx *c, unsigned ctx, const char *tok,
                       struct scn_check *k)
{
	char name[40];
	size_t n = strcspn(tok, "!<>=");
	const char *p = tok + n;
	int f;

	memset(k, 0, sizeof *k);
	snprintf(k->text, sizeof k->text, "%s", tok);
	if (n == 0 || !*p || n >= sizeof name)
		return fail(c, "'%s' is not NAME=VALUE", tok);
	memcpy(name, tok, n);
	name[n] = '\0';
	if (p[0] == '!' && p[1] == '=') { k->op = SCN_NE; p += 2; }
	else if (p[0] == '<' && p[1] == '=') { k->op = SCN_LE; p += 2; }
	else if (p[0] == '>' && p[1] == '=') { k->op = SCN_GE; p += 2; }
	else if (p[0] == '=') { k->op = SCN_EQ; p += 1; }
	else if (p[0] == '<') { k->op = SCN_LT; p += 1; }
	else if (p[0] == '>') { k->op = SCN_GT; p += 1; }
	else
		return fail(c, "'%s' is not NAME=VALUE", tok);
	if (!*p)
		return fail(c, "'%s' has no value", tok);

	f = SCN_F__COUNT;
	if (ctx & (C_COUNTS | C_HISTORY)) {
		/* outcome names first: "lockout" is an outcome here */
		int o = msg_outcome_parse(name);
		if (o >= 0) {
			f = SCN_F_OUTCOME_N;
			k->arg = o;
		}
	}
	if (f == SCN_F__COUNT)
		for (f = 0; f < SCN_F__COUNT; f++)
			if (f != SCN_F_OUTCOME_N && strcmp(fields[f].name, name) == 0)
				break;
	if (f == SCN_F__COUNT)
		return fail(c, "unknown field '%s'", name);
	if (!(fields[f].ctx & ctx))
		return fail(c, "field '%s' does not belong here", name);
	k->field = (uint8_t)f;
	return parse_value(c, k, p);
}

static int add_check(struct ctx *c, struct scn_step *st, unsigned ctx, const char *tok)
{
	if (st->n_checks == SCN_CHECKS_MAX)
		return fail(c, "more than %d checks on one line", SCN_CHECKS_MAX);
	if (parse_check(c, ctx, tok, &st->checks[st->n_checks]))
		return -EINVAL;
	st->n_checks++;
	return 0;
}

static int add_checks(struct ctx *c, struct scn_step *st, unsigned ctx,
                      char **tok, int ntok)
{
	for (int i = 0; i < ntok; i++)
		if (add_check(c, st, ctx, tok[i]))
			return -EINVAL;
	return 0;
}

/* ---- the kinds ------------------------------------------------------------------ */

/* log: count=N and `contains TEXT` (repeatable) */
static int log_checks(struct ctx *c, struct scn_step *st, char **tok, int ntok)
{
	if (ntok < 1)
		return fail(c, "needs count=N or contains \"TEXT\"");
	for (int i = 0; i < ntok; i++) {
		struct scn_check *k;
		if (strcmp(tok[i], "contains") != 0) {
			if (add_check(c, st, C_LOG, tok[i]))
				return -EINVAL;
			continue;
		}
		if (i + 1 >= ntok)
			return fail(c, "contains: which text?");
		if (st->n_checks == SCN_CHECKS_MAX)
			return fail(c, "more than %d checks on one line", SCN_CHECKS_MAX);
		k = &st->checks[st->n_checks++];
		memset(k, 0, sizeof *k);
		k->field = SCN_F_CONTAINS;
		k->vtype = SCN_V_STR;
		k->op = SCN_EQ;
		snprintf(k->text, sizeof k->text, "contains \"%s\"", tok[i + 1]);
		if (snprintf(k->str, sizeof k->str, "%s", tok[i + 1]) >= (int)sizeof k->str)
			return fail(c, "text too long");
		i++;
	}
	return 0;
}

/* notify [ROLE...] EVENT|any [ALARM] [FIELD OP VALUE...] */
static int notify_checks(struct ctx *c, struct scn_step *st, char **tok, int ntok)
{
	int i = 0, role;
	while (i < ntok && (role = scn_role_parse(tok[i])) >= 0) {
		st->roles |= (uint8_t)(1u << role);
		i++;
	}
	if (i == ntok)
		return fail(c, "which event? (any, state, bolus_started, bolus_ended, alarm_raised, alarm_cleared, alarm_resound, alarm_silenced, programmed, refilled, clock, started, stopped)");
	if (strcmp(tok[i], "any") == 0) {
		st->code = SCN_EVENT_ANY;
	} else {
		st->code = scnexpect_event_parse(tok[i]);
		if (st->code < 0)
			return fail(c, "unknown event '%s' (or role: patient, clinician, tester)", tok[i]);
	}
	i++;
	if (i < ntok && !strpbrk(tok[i], "!<>=")) {
		int a = msg_alarm_parse(tok[i]);
		if (a <= 0)
			return fail(c, "'%s': expected an alarm (" ALARM_NAMES ") or FIELD=VALUE", tok[i]);
		if (st->code != SCN_EVENT_ANY && st->code != MSG_EV_ALARM_RAISED &&
		    st->code != MSG_EV_ALARM_CLEARED && st->code != MSG_EV_ALARM_RESOUND &&
		    st->code != MSG_EV_ALARM_SILENCED)
			return fail(c, "only alarm events name an alarm ('%s' is not one)", tok[i - 1]);
		st->alarm = (uint8_t)a;
		i++;
	}
	return add_checks(c, st, C_STATE, tok + i, ntok - i);
}

static int same_checks(struct ctx *c, struct scn_step *st, char **tok, int ntok)
{
	(void)st;
	(void)tok;
	return ntok ? fail(c, "takes no arguments") : 0;
}

static int silenced_checks(struct ctx *c, struct scn_step *st, char **tok, int ntok)
{
	uint64_t v;
	if (ntok != 1 || units_parse_uint(tok[0], 255, &v))
		return fail(c, "needs a number: how many alarms the SILENCE reply says it silenced");
	st->code = (int)v;
	return 0;
}

/* Every expectation: its word and kind; then either a reader of its own
 * or the FIELD=VALUE checks it allows, after a first word naming a code
 * when code is set ("expect error role"), and at least one when needs. */
static const struct {
	const char *word;
	uint8_t expect;
	int (*own)(struct ctx *c, struct scn_step *st, char **tok, int ntok);
	unsigned checks;
	int (*code)(const char *word);
	const char *noun, *names;   /* of the code: "unknown NOUN 'x'NAMES" */
	const char *needs;          /* the message when a word is missing */
} kinds[] = {
	{ "ok", SCN_X_OK, NULL, C_STATE, NULL, NULL, NULL, NULL },
	{ "same", SCN_X_SAME, same_checks, 0, NULL, NULL, NULL, NULL },
	{ "error", SCN_X_ERROR, NULL, C_ERROR | C_STATE, err_parse, "error", "",
	  "needs a name (role, range, state, stale_id, not_sim, ...)" },
	{ "outcome", SCN_X_OUTCOME, NULL, C_BOLUS | C_STATE, msg_outcome_parse, "outcome", "",
	  "needs an outcome (granted, lockout, daily_count, ...)" },
	{ "cbolus", SCN_X_CBOLUS, NULL, C_CBOLUS | C_STATE, msg_cbolus_kind_parse, "kind",
	  " (single, prime, bridge)", "needs a kind (single, prime, bridge)" },
	{ "refill", SCN_X_REFILL, NULL, C_REFILL | C_STATE, NULL, NULL, NULL, NULL },
	{ "stage", SCN_X_STAGE, NULL, C_STAGE | C_STATE, NULL, NULL, NULL, NULL },
	{ "state", SCN_X_STATE, NULL, C_STATE, NULL, NULL, NULL, "needs at least one FIELD=VALUE" },
	{ "notify", SCN_X_NOTIFY, notify_checks, 0, NULL, NULL, NULL, NULL },
	{ "counts", SCN_X_COUNTS, NULL, C_COUNTS, NULL, NULL, NULL, "needs at least one OUTCOME=N" },
	{ "history", SCN_X_HISTORY, NULL, C_HISTORY, NULL, NULL, NULL, "needs count=N or OUTCOME=N" },
	{ "log", SCN_X_LOG, log_checks, 0, NULL, NULL, NULL, NULL },
	{ "silenced", SCN_X_SILENCED, silenced_checks, 0, NULL, NULL, NULL, NULL },
};

int scnexpect_parse(char **tok, int ntok, struct scn_step *st, char *err,
                    size_t errlen)
{
	char name[48];
	struct ctx c = { name, err, errlen };
	const char *what = tok[0];

	snprintf(name, sizeof name, "expect %s", what);
	tok++;
	ntok--;
	st->n_checks = 0;
	for (size_t i = 0; i < sizeof kinds / sizeof kinds[0]; i++) {
		if (strcmp(what, kinds[i].word) != 0)
			continue;
		st->expect = kinds[i].expect;
		if (kinds[i].own)
			return kinds[i].own(&c, st, tok, ntok);
		if (ntok < 1 && kinds[i].needs)
			return fail(&c, "%s", kinds[i].needs);
		if (kinds[i].code) {
			int e = kinds[i].code(tok[0]);
			if (e < 0)
				return fail(&c, "unknown %s '%s'%s", kinds[i].noun, tok[0], kinds[i].names);
			st->code = e;
			tok++;
			ntok--;
		}
		return add_checks(&c, st, kinds[i].checks, tok, ntok);
	}
	snprintf(name, sizeof name, "expect");
	return fail(&c, "unknown expectation '%s' (" KINDS ")", what);
}
