/*
 * tools/scenario/scnmatch.c — expectations against replies and notifications (see
 * scnmatch.h).
 */
#define _GNU_SOURCE 1 /* strcasestr */
#include "tools/scenario/scnmatch.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "util/units.h"
#include "util/fmt.h"

static uint64_t alarm_mask(const struct msg_state *s, int silenced_only)
{
	uint64_t m = 0;
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
		if (!silenced_only || (s->alarms[i].flags & MSG_AF_SILENCED))
			if (s->alarms[i].id < 64)
				m |= (uint64_t)1 << s->alarms[i].id;
	return m;
}

/* A state-block field: 0 with *v or *str, -1 if not a state field. */
static int state_value(const struct msg_state *s, const struct scn_check *c,
                       uint64_t *v, const char **str)
{
	switch (c->field) {
	case SCN_F_NOW:           *v = s->now_ms; break;
	case SCN_F_MODE:          *v = s->mode; break;
	case SCN_F_INFUSING:      *v = !!(s->flags & MSG_F_INFUSING); break;
	case SCN_F_BOLUS_RUNNING: *v = !!(s->flags & MSG_F_BOLUS_RUNNING); break;
	case SCN_F_BOLUS_ENABLED: *v = !!(s->flags & MSG_F_BOLUS_ENABLED); break;
	case SCN_F_SIMULATED:     *v = !!(s->flags & MSG_F_SIMULATED); break;
	case SCN_F_RESERVOIR:     *v = s->reservoir_nl; break;
	case SCN_F_CAPACITY:      *v = s->capacity_nl; break;
	case SCN_F_LOW_THRESHOLD: *v = s->low_threshold_nl; break;
	case SCN_F_CONCENTRATION: *v = s->concentration_ng_ml; break;
	case SCN_F_BASAL:         *v = s->basal_ng_day; break;
	case SCN_F_BOLUS_DOSE:    *v = s->bolus_dose_ng; break;
	case SCN_F_BOLUS_DURATION:*v = s->bolus_duration_ms; break;
	case SCN_F_LOCKOUT:       *v = s->lockout_ms; break;
	case SCN_F_BOLUSES_24H:   *v = s->boluses_24h; break;
	case SCN_F_MAX_PER_24H:   *v = s->max_per_24h; break;
	case SCN_F_BOLUS_ENDS:    *v = s->bolus_ends_ms; break;
	case SCN_F_NEXT_BOLUS:    *v = s->next_bolus_ms; break;
	case SCN_F_NEXT_BOLUS_REASON: *v = s->next_bolus_reason; break;
	case SCN_F_NEXT_REFILL:   *v = s->next_refill_ms; break;
	case SCN_F_ERI:           *v = s->eri_ms; break;
	case SCN_F_EOS:           *v = s->eos_ms; break;
	case SCN_F_CLOCK_SPEED:   *v = s->clock_speed; break;
	case SCN_F_DRUG:          *str = s->drug; break;
	case SCN_F_ALARMS:        *v = alarm_mask(s, 0); break;
	case SCN_F_SILENCED:      *v = alarm_mask(s, 1); break;
	case SCN_F_CRITICAL:
		*v = 0;
		for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++)
			if (s->alarms[i].priority == MSG_PRIO_HIGH)
				*v = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

/* A reply-body field: 0 with *v or *str, -1 if it does not apply. */
static int body_value(const struct msg_reply *rep, const struct scn_check *c,
                      uint64_t *v, const char **str)
{
	uint64_t now = rep->state.now_ms;
	const struct msg_cbolus_result *cb = &rep->u.cbolus;
	int clin = rep->req_type == MSG_CBOLUS;
	switch (c->field) {
	case SCN_F_DOSE:    *v = clin ? cb->dose_ng : rep->u.bolus.dose_ng; break;
	case SCN_F_ENDS_IN:
		if (clin)
			*v = cb->ends_at_ms > now ? cb->ends_at_ms - now : 0;
		else
			*v = rep->u.bolus.at_ms > now ? rep->u.bolus.at_ms - now : 0;
		break;
	case SCN_F_VOLUME:   *v = cb->volume_nl; break;
	case SCN_F_WITHDRAWN:   *v = rep->u.refill.withdrawn_nl; break;
	case SCN_F_EXPECTED:    *v = rep->u.refill.expected_nl; break;
	case SCN_F_TOLERANCE:   *v = rep->u.refill.tolerance_nl; break;
	case SCN_F_DISCREPANCY: *v = (rep->u.refill.flags & MSG_RF_DISCREPANCY) != 0; break;
	case SCN_F_BRIDGE_DUE:  *v = (rep->u.refill.flags & MSG_RF_BRIDGE_DUE) != 0; break;
	case SCN_F_DURATION: *v = cb->duration_ms; break;
	case SCN_F_STAGE_ID:    *v = rep->u.stage.stage_id; break;
	case SCN_F_DAILY_OLD:   *v = rep->u.stage.daily_ng[0]; break;
	case SCN_F_DAILY_NEW:   *v = rep->u.stage.daily_ng[1]; break;
	case SCN_F_BOLUS_OLD:   *v = rep->u.stage.bolus_dose_ng[0]; break;
	case SCN_F_BOLUS_NEW:   *v = rep->u.stage.bolus_dose_ng[1]; break;
	case SCN_F_CEILING_OLD: *v = rep->u.stage.ceiling_ng_24h[0]; break;
	case SCN_F_CEILING_NEW: *v = rep->u.stage.ceiling_ng_24h[1]; break;
	case SCN_F_REFILL_OLD:  *v = rep->u.stage.next_refill_ms[0]; break;
	case SCN_F_REFILL_NEW:  *v = rep->u.stage.next_refill_ms[1]; break;
	case SCN_F_OVERRIDDEN:  *v = (rep->u.stage.flags & MSG_ST_OVERRIDE) != 0; break;
	case SCN_F_STOPS:       *v = (rep->u.stage.flags & MSG_ST_STOPS) != 0; break;
	case SCN_F_IN_LIBRARY:  *v = (rep->u.stage.flags & MSG_ST_NO_LIB) == 0; break;
	case SCN_F_AT:      *v = rep->u.bolus.at_ms; break;
	case SCN_F_WAIT:    *v = rep->u.bolus.wait_ms; break;
	case SCN_F_DETAIL:  *str = rep->detail; break;
	case SCN_F_LAST_ID: *v = rep->u.last_id; break;
	case SCN_F_COUNT:
		*v = rep->req_type == MSG_HISTORY ? rep->u.history.n : rep->u.log.n;
		break;
	case SCN_F_OUTCOME_N:
		*v = 0;
		if (rep->req_type == MSG_STATUS) {
			for (unsigned i = 0; i < rep->u.counts.n && i < MSG_COUNTS_MAX; i++)
				if (rep->u.counts.c[i].outcome == c->arg)
					*v += rep->u.counts.c[i].count;
		} else {
			for (unsigned i = 0; i < rep->u.history.n && i < MSG_HISTORY_MAX; i++)
				if (rep->u.history.e[i].outcome == c->arg)
					(*v)++;
		}
		break;
	case SCN_F_CONTAINS:
		*v = 0;
		for (unsigned i = 0; i < rep->u.log.n && i < MSG_LOG_MAX; i++)
			if (strcasestr(rep->u.log.e[i].text, c->str))
				*v = 1;
		break;
	default:
		return -1;
	}
	return 0;
}

static int cmp(uint64_t a, int op, uint64_t b)
{
	switch (op) {
	case SCN_EQ: return a == b;
	case SCN_NE: return a != b;
	case SCN_LT: return a < b;
	case SCN_LE: return a <= b;
	case SCN_GT: return a > b;
	case SCN_GE: return a >= b;
	default:     return 0;
	}
}

static void fmt_alarms(uint64_t mask, char *buf, size_t n)
{
	size_t used = 0;
	buf[0] = '\0';
	if (!mask) {
		fmt_set(buf, n, "none");
		return;
	}
	for (int a = 1; a < 64 && used < n; a++)
		if (mask & ((uint64_t)1 << a)) {
			int w = snprintf(buf + used, n - used, "%s%s", used ? "," : "", msg_alarm_name(a));
			if (w < 0)
				return;
			used += (size_t)w;
		}
}

/* The actual value in the check's own terms, for a failure message. */
static void fmt_actual(const struct scn_check *c, uint64_t v, const char *str,
                       uint64_t now, char *buf, size_t n)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	if (str) {
		fmt_set(buf, n, "'%s'", str);
		return;
	}
	switch (c->vtype) {
	case SCN_V_NL:     fmt_set(buf, n, "%s (%" PRIu64 " nL)", units_fmt_volume(v, a), v); break;
	case SCN_V_NG:     fmt_set(buf, n, "%s (%" PRIu64 " ng)", units_fmt_dose(v, a), v); break;
	case SCN_V_NG_DAY: fmt_set(buf, n, "%s (%" PRIu64 " ng/day)", units_fmt_rate(v, a), v); break;
	case SCN_V_NG_ML:  fmt_set(buf, n, "%s (%" PRIu64 " ng/mL)", units_fmt_conc(v, a), v); break;
	case SCN_V_MS:     fmt_set(buf, n, "%s (%" PRIu64 " ms)", units_fmt_duration(v, a), v); break;
	case SCN_V_BOOL:   fmt_set(buf, n, "%s", v ? "yes" : "no"); break;
	case SCN_V_ENUM:
		fmt_set(buf, n, "%s", c->field == SCN_F_MODE ? msg_mode_name((int)v)
		                                                  : msg_outcome_name((int)v));
		break;
	case SCN_V_ALARMS: fmt_alarms(v, buf, n); break;
	case SCN_V_WHEN:
		if (c->field == SCN_F_NOW)
			fmt_set(buf, n, "%s", units_fmt_time(v, a));
		else if (v == 0)
			fmt_set(buf, n, "never (0)");
		else if (v <= now)
			fmt_set(buf, n, "now (%s, pump time %s)", units_fmt_time(v, a), units_fmt_time(now, b));
		else
			fmt_set(buf, n, "in %s (%s)", units_fmt_duration(v - now, a), units_fmt_time(v, b));
		break;
	default:
		fmt_set(buf, n, "%" PRIu64, v);
		break;
	}
}

/* 1 if the check holds against state s (and reply rep, may be NULL); else
 * 0 with a message. */
static int check_one(const struct msg_reply *rep, const struct msg_state *s,
                     const struct scn_check *c, uint64_t slack, char *why, size_t n)
{
	uint64_t v = 0, now = s->now_ms;
	const char *str = NULL;
	char got[160];
	int ok;

	if (state_value(s, c, &v, &str) != 0 &&
	    (!rep || body_value(rep, c, &v, &str) != 0)) {
		fmt_set(why, n, "%s: not in this reply", c->text);
		return 0;
	}
	if (c->field == SCN_F_CONTAINS) {
		if (v)
			return 1;
		fmt_set(why, n, "no log entry in this reply contains \"%s\"", c->str);
		return 0;
	}
	if (str) {
		ok = strcmp(str, c->str) == 0;
		if (c->op == SCN_NE)
			ok = !ok;
	} else if (c->vtype == SCN_V_ALARMS) {
		if (c->op == SCN_GE)
			ok = (v & c->value) == c->value;
		else
			ok = cmp(v, c->op, c->value);
	} else if (c->vtype == SCN_V_WHEN) {
		switch (c->when) {
		case SCN_W_NOW:   ok = v != 0 && v <= now; break;
		case SCN_W_NEVER: ok = v == 0; break;
		case SCN_W_AT:    ok = cmp(v, c->op, c->value); break;
		default: /* SCN_W_IN: from the pump's now */
			ok = v != 0 && cmp(v > now ? v - now : 0, c->op, c->value);
			break;
		}
		if (c->op == SCN_NE && (c->when == SCN_W_NOW || c->when == SCN_W_NEVER))
			ok = !ok;
		if (!ok && slack && v && c->op == SCN_EQ &&
		    (c->field == SCN_F_NEXT_REFILL || c->field == SCN_F_REFILL_OLD ||
		     c->field == SCN_F_REFILL_NEW) &&
		    (c->when == SCN_W_AT || c->when == SCN_W_IN)) {
			uint64_t want = c->when == SCN_W_AT ? c->value : now + c->value;
			ok = v <= want && v + slack >= want;
		}
	} else {
		ok = cmp(v, c->op, c->value);
	}
	if (ok)
		return 1;
	fmt_actual(c, v, str, now, got, sizeof got);
	fmt_set(why, n, "%s: got %s", c->text, got);
	return 0;
}

/* Every check of st; 1 if all hold, else 0 with one line per failure. */
static int check_all(const struct scn_step *st, const struct msg_reply *rep,
                     const struct msg_state *s, uint64_t slack, char *why, size_t n)
{
	size_t used = 0;
	int ok = 1;
	why[0] = '\0';
	for (unsigned i = 0; i < st->n_checks; i++) {
		char one[300];
		if (check_one(rep, s, &st->checks[i], slack, one, sizeof one))
			continue;
		ok = 0;
		if (used < n) {
			int w = snprintf(why + used, n - used, "%s%s", used ? "\n" : "", one);
			if (w > 0)
				used += (size_t)w;
		}
	}
	return ok;
}

/* The entries of a reply's list, compared one by one. */
static int same_count(const void *x, const void *y)
{
	const struct msg_count *a = x, *b = y;
	return a->outcome == b->outcome && a->count == b->count;
}

static int same_history(const void *x, const void *y)
{
	const struct msg_history_entry *a = x, *b = y;
	return a->at_ms == b->at_ms && a->outcome == b->outcome && a->dose_ng == b->dose_ng;
}

static int same_log(const void *x, const void *y)
{
	const struct msg_log_entry *a = x, *b = y;
	return a->seq == b->seq && strcmp(a->text, b->text) == 0;
}

/* Two lists of na and nb entries (at most max read) of size bytes each. */
static int same_list(unsigned na, unsigned nb, unsigned max, const void *a, const void *b,
                     size_t size, int (*same)(const void *, const void *))
{
	if (na != nb)
		return 0;
	for (unsigned i = 0; i < na && i < max; i++)
		if (!same((const char *)a + i * size, (const char *)b + i * size))
			return 0;
	return 1;
}

/* Body equality for `expect same`. */
static int same_body(const struct msg_reply *a, const struct msg_reply *b)
{
	if (a->id != b->id || a->req_type != b->req_type || a->err != b->err ||
	    strcmp(a->detail, b->detail) != 0)
		return 0;
	if (a->err == MSG_E_STALE_ID)
		return a->u.last_id == b->u.last_id;
	if (a->err != MSG_OK)
		return 1;
	switch (a->req_type) {
	case MSG_BOLUS:
		return a->u.bolus.outcome == b->u.bolus.outcome &&
		       a->u.bolus.dose_ng == b->u.bolus.dose_ng &&
		       a->u.bolus.at_ms == b->u.bolus.at_ms &&
		       a->u.bolus.wait_ms == b->u.bolus.wait_ms;
	case MSG_SILENCE:
		return a->u.silenced == b->u.silenced;
	case MSG_STATUS:
		return same_list(a->u.counts.n, b->u.counts.n, MSG_COUNTS_MAX, a->u.counts.c,
		                 b->u.counts.c, sizeof a->u.counts.c[0], same_count);
	case MSG_HISTORY:
		return same_list(a->u.history.n, b->u.history.n, MSG_HISTORY_MAX, a->u.history.e,
		                 b->u.history.e, sizeof a->u.history.e[0], same_history);
	case MSG_LOG:
		return same_list(a->u.log.n, b->u.log.n, MSG_LOG_MAX, a->u.log.e, b->u.log.e,
		                 sizeof a->u.log.e[0], same_log);
	default:
		return 1;
	}
}

static void describe_reply(const struct msg_reply *rep, char *buf, size_t n)
{
	char a[UNITS_FMT_MAX], b[UNITS_FMT_MAX];
	if (rep->err != MSG_OK)
		fmt_set(buf, n, "%s reply (id %" PRIu64 "): error %s%s%s", msg_type_name(rep->req_type),
		             rep->id, msg_err_name(rep->err), rep->detail[0] ? ", detail " : "",
		             rep->detail);
	else if (rep->req_type == MSG_BOLUS)
		fmt_set(buf, n, "bolus reply (id %" PRIu64 "): outcome %s, dose %s, wait %s",
		             rep->id, msg_outcome_name(rep->u.bolus.outcome),
		             units_fmt_dose(rep->u.bolus.dose_ng, a), units_fmt_duration(rep->u.bolus.wait_ms, b));
	else if (rep->req_type == MSG_CBOLUS)
		fmt_set(buf, n, "cbolus reply (id %" PRIu64 "): %s, dose %s over %s",
		             rep->id, msg_cbolus_kind_name(rep->u.cbolus.kind),
		             units_fmt_dose(rep->u.cbolus.dose_ng, a),
		             units_fmt_duration(rep->u.cbolus.duration_ms, b));
	else
		fmt_set(buf, n, "%s reply (id %" PRIu64 "): ok", msg_type_name(rep->req_type), rep->id);
}

static int expect_same(const struct scnmatch_seen *seen, char *why, size_t n)
{
	char first[256], again[256];
	if (!seen->reply || !seen->orig) {
		fmt_set(why, n, "expect same follows a retry (or a request repeating its role's last id)");
		return 0;
	}
	if (same_body(seen->reply, seen->orig))
		return 1;
	describe_reply(seen->orig, first, sizeof first);
	describe_reply(seen->reply, again, sizeof again);
	fmt_set(why, n, "first: %s\nretry: %s", first, again);
	return 0;
}

/* The kind of reply the expectation needs; 1 if rep is one. */
static int kind_holds(const struct scn_step *st, const struct msg_reply *rep,
                      char *why, size_t n)
{
	char got[256];
	int want;
	describe_reply(rep, got, sizeof got);
	switch (st->expect) {
	case SCN_X_OK:
		if (rep->err == MSG_OK &&
		    (rep->req_type != MSG_BOLUS || rep->u.bolus.outcome == MSG_OUT_GRANTED))
			return 1;
		fmt_set(why, n, "expected ok, got %s", got);
		return 0;
	case SCN_X_ERROR:
		if (rep->err == st->code)
			return 1;
		fmt_set(why, n, "expected error %s, got %s", msg_err_name(st->code), got);
		return 0;
	case SCN_X_OUTCOME:
		if (rep->req_type == MSG_BOLUS && rep->err == MSG_OK &&
		    rep->u.bolus.outcome == st->code)
			return 1;
		fmt_set(why, n, "expected outcome %s, got %s", msg_outcome_name(st->code), got);
		return 0;
	case SCN_X_REFILL:
		if (rep->req_type == MSG_REFILL && rep->err == MSG_OK && rep->u.refill.present)
			return 1;
		fmt_set(why, n, "expected an ok refill reply with the withdrawn volume checked, got %s", got);
		return 0;
	case SCN_X_CBOLUS:
		if (rep->req_type == MSG_CBOLUS && rep->err == MSG_OK &&
		    rep->u.cbolus.kind == st->code)
			return 1;
		fmt_set(why, n, "expected a %s clinician bolus, got %s",
		        msg_cbolus_kind_name(st->code), got);
		return 0;
	case SCN_X_STAGE:
		if (rep->req_type == MSG_STAGE && rep->err == MSG_OK)
			return 1;
		fmt_set(why, n, "expected an ok stage reply, got %s", got);
		return 0;
	case SCN_X_COUNTS:
	case SCN_X_HISTORY:
	case SCN_X_LOG:
	case SCN_X_SILENCED:
		want = st->expect == SCN_X_COUNTS ? MSG_STATUS
		     : st->expect == SCN_X_HISTORY ? MSG_HISTORY
		     : st->expect == SCN_X_LOG ? MSG_LOG : MSG_SILENCE;
		if (rep->req_type != want || rep->err != MSG_OK) {
			fmt_set(why, n, "needs an ok %s reply, the last one is %s", msg_type_name(want), got);
			return 0;
		}
		if (st->expect == SCN_X_SILENCED && rep->u.silenced != st->code) {
			fmt_set(why, n, "silenced: got %u", rep->u.silenced);
			return 0;
		}
		return 1;
	default:
		return 1;
	}
}

int scnmatch_reply(const struct scn_step *st, const struct scnmatch_seen *seen,
                   char *why, size_t n)
{
	if (st->expect == SCN_X_SAME)
		return expect_same(seen, why, n);
	if (st->expect == SCN_X_INCOMPLETE) {
		if (seen->no_reply)
			return 1;
		if (seen->reply)
			fmt_set(why, n, "the last request was answered: %s %s",
			        msg_err_name(seen->reply->err), seen->reply->detail);
		else
			fmt_set(why, n, "no request to have gone unanswered");
		return 0;
	}
	if (!seen->reply) {
		fmt_set(why, n, "%s", seen->restarted
		             ? "no reply since the pump restarted: send a request first (e.g. as patient status)"
		             : "the last request got no reply");
		return 0;
	}
	if (!kind_holds(st, seen->reply, why, n))
		return 0;
	return check_all(st, seen->reply, &seen->reply->state, seen->refill_slack_ms, why, n);
}

int scnmatch_note(const struct scn_step *st, const struct msg_notify *nt,
                  uint64_t refill_slack_ms, char *why, size_t n)
{
	why[0] = '\0';
	if (st->code != SCN_EVENT_ANY && nt->event != st->code)
		return 0;
	if (st->alarm && nt->alarm != st->alarm)
		return 0;
	return check_all(st, NULL, &nt->state, refill_slack_ms, why, n);
}

void scnmatch_describe_note(const struct msg_notify *nt, char *buf, size_t n)
{
	fmt_set(buf, n, "%s%s%s", msg_event_name(nt->event),
	             nt->alarm ? " " : "", nt->alarm ? msg_alarm_name(nt->alarm) : "");
}
