/*
 * tools/ctl_rjson.c — the interrogation report and the log's typed events
 * as JSON, built with jansson (ctl_rep.h).
 */
#include <string.h>

#include "tools/ctl_rep.h"
#include "util/units.h"

/* ms as an integer and as ISO text, under key and key without "_ms" */
static void set_time(json_t *o, const char *key, uint64_t ms)
{
	char iso[UNITS_FMT_MAX], k[48];
	size_t n = strlen(key);
	json_object_set_new(o, key, ms ? json_integer((json_int_t)ms) : json_null());
	snprintf(k, sizeof k, "%.*s", (int)(n > 3 ? n - 3 : n), key);
	json_object_set_new(o, k, ms ? json_string(units_fmt_time(ms, iso)) : json_null());
}

static json_t *counts(const uint32_t *n)
{
	json_t *o = json_object();
	for (int c = 0; c < REPORT_C__COUNT; c++)
		json_object_set_new(o, report_count_name(c), json_integer(n[c]));
	return o;
}

static json_t *pump_part(const struct msg_state *s)
{
	json_t *p = json_object();
	json_object_set_new(p, "drug", json_string(s->drug));
	json_object_set_new(p, "mode", json_string(msg_mode_name(s->mode)));
	json_object_set_new(p, "infusing", json_boolean(s->flags & MSG_F_INFUSING));
	json_object_set_new(p, "concentration_ng_ml", json_integer(s->concentration_ng_ml));
	json_object_set_new(p, "basal_ng_day", json_integer(s->basal_ng_day));
	json_object_set_new(p, "bolus_enabled", json_boolean(s->flags & MSG_F_BOLUS_ENABLED));
	json_object_set_new(p, "bolus_dose_ng", json_integer(s->bolus_dose_ng));
	json_object_set_new(p, "bolus_duration_ms", json_integer(s->bolus_duration_ms));
	json_object_set_new(p, "lockout_ms", json_integer(s->lockout_ms));
	json_object_set_new(p, "max_per_24h", json_integer(s->max_per_24h));
	json_object_set_new(p, "boluses_24h", json_integer(s->boluses_24h));
	json_object_set_new(p, "reservoir_nl", json_integer(s->reservoir_nl));
	json_object_set_new(p, "capacity_nl", json_integer(s->capacity_nl));
	json_object_set_new(p, "low_threshold_nl", json_integer(s->low_threshold_nl));
	set_time(p, "next_refill_ms", s->next_refill_ms);
	set_time(p, "eri_ms", s->eri_ms);
	set_time(p, "eos_ms", s->eos_ms);
	return p;
}

/* delivered (the pump's count) against reached (the emulator's truth);
 * null when the pump did not send them */
static json_t *dlv_part(const struct report *r)
{
	if (!r->has_dlv)
		return json_null();
	json_t *d = json_object();
	set_time(d, "from_ms", r->dlv_from_ms);
	json_object_set_new(d, "from_what", json_string(r->dlv_from_ms ? "occlusion"
	                                                                : "pump start"));
	json_object_set_new(d, "delivered_ng", json_integer((json_int_t)r->delivered_ng));
	json_object_set_new(d, "reached_ng", json_integer((json_int_t)r->reached_ng));
	json_object_set_new(d, "missed_ng", json_integer((json_int_t)r->missed_ng));
	json_object_set_new(d, "missed_pct", json_real(r->missed_pm / 10.0));
	json_object_set_new(d, "reach_pct_now", json_integer(r->dlv.reach_pct));
	json_object_set_new(d, "total_delivered_ng", json_integer((json_int_t)r->dlv.delivered_ng));
	json_object_set_new(d, "total_reached_ng", json_integer((json_int_t)r->dlv.reached_ng));
	return d;
}

static const char *alarm_what(int v)
{
	return v == 1 ? "raised" : v == 2 ? "sounds again" : "cleared";
}

json_t *ctl_rjson_report(const struct report *r)
{
	const struct msg_state *s = &r->state;
	json_t *o = json_object(), *a, *d;
	char day[UNITS_FMT_MAX];

	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("report"));
	set_time(o, "now_ms", s->now_ms);
	json_object_set_new(o, "pump", pump_part(s));

	a = json_array();
	for (unsigned i = 0; i < s->n_alarms && i < MSG_ALARMS_MAX; i++) {
		const struct msg_alarm_info *al = &s->alarms[i];
		json_t *x = json_object();
		json_object_set_new(x, "alarm", json_string(msg_alarm_name(al->id)));
		json_object_set_new(x, "priority", json_string(msg_priority_name(al->priority)));
		set_time(x, "raised_ms", al->raised_ms);
		json_object_set_new(x, "silenced", json_boolean(al->flags & 0x01));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "alarms", a);

	a = json_array();
	for (unsigned i = 0; i < r->n_alarm_ev; i++) {
		json_t *x = json_object();
		set_time(x, "at_ms", r->alarm_ev[i].at_ms);
		json_object_set_new(x, "alarm", json_string(msg_alarm_name(r->alarm_ev[i].alarm)));
		json_object_set_new(x, "event", json_string(alarm_what(r->alarm_ev[i].value)));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "alarm_events", a);

	set_time(o, "since_ms", r->since_ms);
	json_object_set_new(o, "since_what", json_string(report_since_name(r->since_kind)));
	json_object_set_new(o, "counts", counts(r->n));

	a = json_array();
	for (unsigned i = 0; i < r->n_days; i++) {
		json_t *x = counts(r->days[i].n);
		units_fmt_time(r->days[i].day_ms, day);
		day[10] = '\0';
		json_object_set_new(x, "day", json_string(day));
		json_object_set_new(x, "day_ms", json_integer((json_int_t)r->days[i].day_ms));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "days", a);

	d = json_object();
	for (int k = 0; k < MSG_OUT_COUNT; k++)
		json_object_set_new(d, msg_outcome_name(k), json_integer(r->counters[k]));
	json_object_set_new(o, "pump_counters", d);

	d = json_object();
	set_time(d, "start_ms", r->hours_ms);
	json_object_set_new(d, "hour_ms", json_integer((json_int_t)REPORT_HOUR_MS));
	set_time(d, "basal_from_ms", r->basal_from_ms);
	{
		json_t *b = json_array(), *c = json_array();
		uint64_t max = 0;
		for (unsigned h = 0; h < REPORT_HOURS; h++) {
			json_array_append_new(b, json_integer((json_int_t)r->basal_ng[h]));
			json_array_append_new(c, json_integer((json_int_t)r->bolus_ng[h]));
			if (r->basal_ng[h] + r->bolus_ng[h] > max)
				max = r->basal_ng[h] + r->bolus_ng[h];
		}
		json_object_set_new(d, "basal_ng", b);
		json_object_set_new(d, "bolus_ng", c);
		json_object_set_new(d, "max_ng", json_integer((json_int_t)max));
	}
	json_object_set_new(o, "delivery", d);

	a = json_array();
	for (unsigned i = 0; i < r->n_res; i++) {
		json_t *x = json_object();
		set_time(x, "at_ms", r->res[i].at_ms);
		json_object_set_new(x, "nl", json_integer((json_int_t)r->res[i].nl));
		json_object_set_new(x, "forecast", json_boolean(r->res[i].forecast));
		json_array_append_new(a, x);
	}
	json_object_set_new(o, "reservoir", a);

	if (r->has_refill) {
		const struct report_event *e = &r->last_refill;
		d = json_object();
		set_time(d, "at_ms", e->at_ms);
		json_object_set_new(d, "volume_nl", json_integer((json_int_t)e->volume_nl));
		json_object_set_new(d, "concentration_ng_ml", json_integer((json_int_t)e->conc_ng_ml));
		json_object_set_new(d, "checked", json_boolean(e->expected_nl || e->withdrawn_nl));
		json_object_set_new(d, "withdrawn_nl", json_integer((json_int_t)e->withdrawn_nl));
		json_object_set_new(d, "expected_nl", json_integer((json_int_t)e->expected_nl));
		json_object_set_new(d, "discrepancy", json_boolean(e->value));
		json_object_set_new(o, "last_refill", d);
	} else {
		json_object_set_new(o, "last_refill", json_null());
	}
	json_object_set_new(o, "delivered_reached", dlv_part(r));
	json_object_set_new(o, "log_rows", json_integer((json_int_t)r->rows));
	json_object_set_new(o, "log_typed_rows", json_integer((json_int_t)r->typed_rows));
	return o;
}

json_t *ctl_rjson_event(const struct report_event *ev)
{
	json_t *o = json_object(), *d;
	if (!o)
		return NULL;
	json_object_set_new(o, "type", json_string("event"));
	json_object_set_new(o, "seq", json_integer((json_int_t)ev->seq));
	set_time(o, "at_ms", ev->at_ms);
	json_object_set_new(o, "kind", json_string(report_kind_name(ev->kind)));
	json_object_set_new(o, "role", json_string(report_role_name(ev->role)));
	json_object_set_new(o, "who", json_string(ev->who));
	/* typed by the pump (PROTOCOL.md 8.15), or guessed from the text */
	json_object_set_new(o, "typed", json_boolean(ev->typed));
	if (ev->typed) {
		json_object_set_new(o, "pump_kind", json_string(msg_log_kind_name(ev->pump_kind)));
		set_time(o, "wall_ms", ev->wall_ms);
	}
	d = json_object();
	switch (ev->kind) {
	case REPORT_EV_BOLUS:
		json_object_set_new(d, "outcome", json_string(msg_outcome_name(ev->outcome)));
		if (ev->outcome == MSG_OUT_GRANTED) {
			json_object_set_new(d, "dose_ng", json_integer((json_int_t)ev->dose_ng));
			set_time(d, "ends_ms", ev->ends_ms);
		}
		break;
	case REPORT_EV_CBOLUS:
		json_object_set_new(d, "dose_ng", json_integer((json_int_t)ev->dose_ng));
		set_time(d, "ends_ms", ev->ends_ms);
		break;
	case REPORT_EV_BOLUS_END:
		json_object_set_new(d, "dose_ng", json_integer((json_int_t)ev->dose_ng));
		break;
	case REPORT_EV_REFILL:
		json_object_set_new(d, "volume_nl", json_integer((json_int_t)ev->volume_nl));
		json_object_set_new(d, "concentration_ng_ml", json_integer((json_int_t)ev->conc_ng_ml));
		if (ev->expected_nl || ev->withdrawn_nl) {
			json_object_set_new(d, "withdrawn_nl", json_integer((json_int_t)ev->withdrawn_nl));
			json_object_set_new(d, "expected_nl", json_integer((json_int_t)ev->expected_nl));
			json_object_set_new(d, "discrepancy", json_boolean(ev->value));
		}
		break;
	case REPORT_EV_RUN:
		json_object_set_new(d, "running", json_boolean(ev->value));
		break;
	case REPORT_EV_ALARM:
		json_object_set_new(d, "alarm", json_string(msg_alarm_name(ev->alarm)));
		json_object_set_new(d, "event", json_string(alarm_what(ev->value)));
		break;
	case REPORT_EV_CLEAR:
		json_object_set_new(d, "alarm", json_string(msg_alarm_name(ev->alarm)));
		break;
	default:
		break;
	}
	json_object_set_new(d, "text", json_string(ev->data));
	json_object_set_new(o, "data", d);
	return o;
}
