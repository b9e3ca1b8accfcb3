/*
 * net/msgjson.c — the JSON schema of ptmctl (see msgjson.h, ptmctl(1)).
 */
#include "net/msgjson.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>

/* An unsigned protocol integer, exactly: a JSON number up to 2^53 - 1
 * (every JSON reader holds those exactly, doubles included), above that
 * its decimal digits as a string (jansson's integers stop at 2^63 - 1, and
 * most readers round such numbers).  In practice only ids reach it. */
static json_t *jint(uint64_t v)
{
	char d[24];
	if (v <= MSGJSON_INT_MAX)
		return json_integer((json_int_t)v);
	snprintf(d, sizeof d, "%llu", (unsigned long long)v);
	return json_string(d);
}

/* a moment: null when 0 ("does not apply") */
static json_t *jmoment(uint64_t v)
{
	return v ? jint(v) : json_null();
}

/* json_object_set_new that remembers a failure */
static void put(json_t *o, const char *k, json_t *v, int *bad)
{
	if (!v || json_object_set_new(o, k, v) != 0)
		*bad = 1;
}

/* o when every put succeeded, else NULL (o freed) */
static json_t *built(json_t *o, int bad)
{
	if (bad) {
		json_decref(o);
		return NULL;
	}
	return o;
}

static json_t *alarm_json(const struct msg_alarm_info *a)
{
	json_t *o = json_object();
	int bad = 0;
	if (!o)
		return NULL;
	put(o, "alarm", json_string(msg_alarm_name(a->id)), &bad);
	put(o, "priority", json_string(msg_priority_name(a->priority)), &bad);
	put(o, "silenced", json_boolean(a->flags & MSG_AF_SILENCED), &bad);
	put(o, "raised_ms", jint(a->raised_ms), &bad);
	put(o, "silenced_until_ms", jmoment(a->silenced_until_ms), &bad);
	return built(o, bad);
}

json_t *msgjson_state(const struct msg_state *s)
{
	json_t *o = json_object(), *alarms = json_array();
	int bad = 0;
	if (!o || !alarms) {
		json_decref(o);
		json_decref(alarms);
		return NULL;
	}
	put(o, "now_ms", jint(s->now_ms), &bad);
	put(o, "mode", json_string(msg_mode_name(s->mode)), &bad);
	put(o, "infusing", json_boolean(s->flags & MSG_F_INFUSING), &bad);
	put(o, "bolus_running", json_boolean(s->flags & MSG_F_BOLUS_RUNNING), &bad);
	put(o, "bolus_enabled", json_boolean(s->flags & MSG_F_BOLUS_ENABLED), &bad);
	put(o, "simulated", json_boolean(s->flags & MSG_F_SIMULATED), &bad);
	put(o, "drug", json_string(s->drug), &bad);
	put(o, "reservoir_nl", jint(s->reservoir_nl), &bad);
	put(o, "capacity_nl", jint(s->capacity_nl), &bad);
	put(o, "low_threshold_nl", jint(s->low_threshold_nl), &bad);
	put(o, "concentration_ng_ml", jint(s->concentration_ng_ml), &bad);
	put(o, "basal_ng_day", jint(s->basal_ng_day), &bad);
	put(o, "bolus_dose_ng", jint(s->bolus_dose_ng), &bad);
	put(o, "bolus_duration_ms", jint(s->bolus_duration_ms), &bad);
	put(o, "lockout_ms", jint(s->lockout_ms), &bad);
	put(o, "boluses_24h", jint(s->boluses_24h), &bad);
	put(o, "max_per_24h", jint(s->max_per_24h), &bad);
	put(o, "bolus_ends_ms", jmoment(s->bolus_ends_ms), &bad);
	put(o, "next_bolus_ms", jmoment(s->next_bolus_ms), &bad);
	put(o, "next_bolus_reason", json_string(msg_outcome_name(s->next_bolus_reason)), &bad);
	put(o, "next_refill_ms", jmoment(s->next_refill_ms), &bad);
	put(o, "eri_ms", jmoment(s->eri_ms), &bad);
	put(o, "eos_ms", jmoment(s->eos_ms), &bad);
	put(o, "clock_speed", jint(s->clock_speed), &bad);
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		json_t *a = alarm_json(&s->alarms[i]);
		if (!a || json_array_append_new(alarms, a) != 0)
			bad = 1;
	}
	put(o, "alarms", alarms, &bad);
	if (s->has_ext) {   /* the state extension (edition 3) */
		json_t *x = json_object();
		if (!x) {
			bad = 1;
		} else {
			put(x, "pending", json_boolean(s->ext.flags & MSG_SX_PENDING), &bad);
			put(x, "stopped", json_boolean(s->ext.flags & MSG_SX_STOPPED), &bad);
			put(x, "stage_id", jint(s->ext.stage_id), &bad);
			put(x, "staged_ms", jmoment(s->ext.staged_ms), &bad);
			put(o, "programming", x, &bad);
		}
	}
	return built(o, bad);
}

static json_t *body_json(const struct msg_reply *r, const char **key)
{
	json_t *o = NULL, *a;
	int bad = 0;
	switch (r->req_type) {
	case MSG_BOLUS:
		*key = "bolus";
		if (!(o = json_object()))
			return NULL;
		put(o, "outcome", json_string(msg_outcome_name(r->u.bolus.outcome)), &bad);
		put(o, "dose_ng", jint(r->u.bolus.dose_ng), &bad);
		put(o, "at_ms", jmoment(r->u.bolus.at_ms), &bad);
		put(o, "wait_ms", jint(r->u.bolus.wait_ms), &bad);
		break;
	case MSG_STATUS:
		*key = "counts";
		if (!(o = json_object()))
			return NULL;
		/* every outcome, 0 when the pump did not list it */
		for (int out = 0; out < MSG_OUT_COUNT; out++) {
			uint32_t n = 0;
			for (unsigned i = 0; i < r->u.counts.n && i < MSG_COUNTS_MAX; i++)
				if (r->u.counts.c[i].outcome == out)
					n += r->u.counts.c[i].count;
			put(o, msg_outcome_name(out), jint(n), &bad);
		}
		break;
	case MSG_SILENCE:
		*key = "silenced";
		return jint(r->u.silenced);
	case MSG_HISTORY:
		*key = "history";
		if (!(o = json_array()))
			return NULL;
		for (unsigned i = 0; i < r->u.history.n && i < MSG_HISTORY_MAX; i++) {
			const struct msg_history_entry *e = &r->u.history.e[i];
			if (!(a = json_object())) {
				bad = 1;
				break;
			}
			put(a, "at_ms", jint(e->at_ms), &bad);
			put(a, "outcome", json_string(msg_outcome_name(e->outcome)), &bad);
			put(a, "dose_ng", jint(e->dose_ng), &bad);
			if (json_array_append_new(o, a) != 0)
				bad = 1;
		}
		break;
	case MSG_LOG:
		*key = "log";
		if (!(o = json_array()))
			return NULL;
		for (unsigned i = 0; i < r->u.log.n && i < MSG_LOG_MAX; i++) {
			const struct msg_log_entry *e = &r->u.log.e[i];
			if (!(a = json_object())) {
				bad = 1;
				break;
			}
			put(a, "seq", jint(e->seq), &bad);
			put(a, "at_ms", jint(e->at_ms), &bad);
			put(a, "text", json_string(e->text), &bad);
			if (json_array_append_new(o, a) != 0)
				bad = 1;
		}
		break;
	case MSG_HELLO:
		*key = "hello";
		if (!(o = json_object()))
			return NULL;
		put(o, "protocol", jint(r->u.hello.protocol), &bad);
		put(o, "features", jint(r->u.hello.features), &bad);
		put(o, "config", json_boolean(r->u.hello.features & MSG_FEAT_CONFIG), &bad);
		put(o, "cbolus", json_boolean(r->u.hello.features & MSG_FEAT_CBOLUS), &bad);
		put(o, "refill_check", json_boolean(r->u.hello.features & MSG_FEAT_REFILL_CHECK), &bad);
		put(o, "stage", json_boolean(r->u.hello.features & MSG_FEAT_STAGE), &bad);
		put(o, "drug_library", json_boolean(r->u.hello.features & MSG_FEAT_DRUGLIB), &bad);
		put(o, "alarmtest", json_boolean(r->u.hello.features & MSG_FEAT_ALARMTEST), &bad);
		put(o, "link", json_boolean(r->u.hello.features & MSG_FEAT_LINK), &bad);
		put(o, "typed_log", json_boolean(r->u.hello.features & MSG_FEAT_TYPED), &bad);
		put(o, "software", json_string(r->u.hello.software), &bad);
		break;
	case MSG_REFILL:
		if (!r->u.refill.present) {
			*key = NULL;
			return NULL;
		}
		*key = "refill";
		if (!(o = json_object()))
			return NULL;
		put(o, "withdrawn_nl", jint(r->u.refill.withdrawn_nl), &bad);
		put(o, "expected_nl", jint(r->u.refill.expected_nl), &bad);
		put(o, "tolerance_nl", jint(r->u.refill.tolerance_nl), &bad);
		put(o, "discrepancy", json_boolean(r->u.refill.flags & MSG_RF_DISCREPANCY), &bad);
		put(o, "bridge_due", json_boolean(r->u.refill.flags & MSG_RF_BRIDGE_DUE), &bad);
		put(o, "next_refill_ms", jmoment(r->u.refill.next_refill_ms), &bad);
		break;
	case MSG_CONFIG:
		*key = "config";
		if (!(o = json_object()))
			return NULL;
		put(o, "tubing_nl", jint(r->u.config.c.tubing_nl), &bad);
		put(o, "catheter_mm", jint(r->u.config.c.catheter_mm), &bad);
		put(o, "catheter_nl_per_mm", jint(r->u.config.c.catheter_nl_per_mm), &bad);
		put(o, "catheter_nl", jint(r->u.config.catheter_nl), &bad);
		break;
	case MSG_STAGE: {
		const struct msg_stage_result *g = &r->u.stage;
		*key = "stage";
		if (!(o = json_object()))
			return NULL;
		put(o, "stage_id", jint(g->stage_id), &bad);
		put(o, "overridden", json_boolean(g->flags & MSG_ST_OVERRIDE), &bad);
		put(o, "stops", json_boolean(g->flags & MSG_ST_STOPS), &bad);
		put(o, "replaced", json_boolean(g->flags & MSG_ST_REPLACED), &bad);
		put(o, "in_library", json_boolean(!(g->flags & MSG_ST_NO_LIB)), &bad);
		static const char *const side[2] = { "current", "pending" };
		for (int i = 0; i < 2; i++) {
			json_t *s = json_object();
			if (!s) {
				bad = 1;
				break;
			}
			put(s, "daily_ng", jint(g->daily_ng[i]), &bad);
			put(s, "bolus_dose_ng", jint(g->bolus_dose_ng[i]), &bad);
			put(s, "lockout_ms", jint(g->lockout_ms[i]), &bad);
			put(s, "max_per_24h", jint(g->max_per_24h[i]), &bad);
			put(s, "ceiling_ng_24h", jint(g->ceiling_ng_24h[i]), &bad);
			put(s, "next_refill_ms", jmoment(g->next_refill_ms[i]), &bad);
			put(o, side[i], s, &bad);
		}
		break;
	}
	case MSG_CBOLUS:
		*key = "cbolus";
		if (!(o = json_object()))
			return NULL;
		put(o, "kind", json_string(msg_cbolus_kind_name(r->u.cbolus.kind)), &bad);
		put(o, "volume_nl", jint(r->u.cbolus.volume_nl), &bad);
		put(o, "dose_ng", jint(r->u.cbolus.dose_ng), &bad);
		put(o, "duration_ms", jint(r->u.cbolus.duration_ms), &bad);
		put(o, "ends_at_ms", jmoment(r->u.cbolus.ends_at_ms), &bad);
		break;
	default:
		*key = NULL;
		return NULL;
	}
	return built(o, bad);
}

/* STATUS's delivery block (PROTOCOL.md 8.14): totals since the pump was
 * initialised; reached_ng is the emulator's truth */
static json_t *delivery_json(const struct msg_delivery *d)
{
	json_t *o = json_object();
	int bad = 0;
	if (!o)
		return NULL;
	put(o, "delivered_ng", jint(d->delivered_ng), &bad);
	put(o, "reached_ng", jint(d->reached_ng), &bad);
	put(o, "reach_pct", jint(d->reach_pct), &bad);
	return built(o, bad);
}

json_t *msgjson_reply(const struct msg_reply *r)
{
	json_t *o = json_object();
	int bad = 0;
	if (!o)
		return NULL;
	put(o, "type", json_string("reply"), &bad);
	put(o, "id", jint(r->id), &bad);
	put(o, "request", json_string(msg_type_name(r->req_type)), &bad);
	put(o, "error", r->err == MSG_OK ? json_null() : json_string(msg_err_name(r->err)), &bad);
	put(o, "detail", r->err == MSG_OK ? json_null() : json_string(r->detail), &bad);
	if (r->err == MSG_E_STALE_ID) {
		put(o, "last_id", jint(r->u.last_id), &bad);
	} else if (r->err == MSG_OK) {
		const char *key = NULL;
		json_t *b = body_json(r, &key);
		if (key)
			put(o, key, b, &bad);
		if (r->req_type == MSG_STATUS && r->has_dlv)
			put(o, "delivery", delivery_json(&r->dlv), &bad);
	}
	put(o, "state", msgjson_state(&r->state), &bad);
	return built(o, bad);
}

json_t *msgjson_notify(const struct msg_notify *n)
{
	json_t *o = json_object();
	int bad = 0;
	if (!o)
		return NULL;
	put(o, "type", json_string("notify"), &bad);
	put(o, "seq", jint(n->seq), &bad);
	put(o, "event", json_string(msg_event_name(n->event)), &bad);
	put(o, "alarm", n->alarm ? json_string(msg_alarm_name(n->alarm)) : json_null(), &bad);
	put(o, "state", msgjson_state(&n->state), &bad);
	return built(o, bad);
}

json_t *msgjson_paircode(const char *code)
{
	json_t *o = json_object();
	int bad = 0;
	if (!o)
		return NULL;
	put(o, "type", json_string("paircode"), &bad);
	put(o, "code", json_string(code), &bad);
	return built(o, bad);
}

int msgjson_print(FILE *f, const json_t *j)
{
	if (!j || json_dumpf(j, f, JSON_COMPACT | JSON_PRESERVE_ORDER) != 0 ||
	    fputc('\n', f) == EOF || fflush(f) != 0)
		return -EIO;
	return 0;
}
