/* pumpd/wire.c — pump model <-> protocol structs (see wire.h). */
#include "pumpd/wire.h"

#include <string.h>

#include "net/rxfile.h"

void wire_rx_to_pump(const struct msg_rx *in, uint32_t battery_life_days,
                     pump_rx *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->drug, in->drug, sizeof out->drug < sizeof in->drug ?
	       sizeof out->drug : sizeof in->drug);
	out->drug[PUMP_DRUG_MAX - 1] = '\0';
	out->concentration_ng_ml = in->concentration_ng_ml;
	out->capacity_nl = in->capacity_nl;
	out->mode = in->mode;
	out->rate_ng_day = in->rate_ng_day;
	out->nsteps = in->n_steps;
	for (unsigned i = 0; i < in->n_steps && i < PUMP_STEPS_MAX; i++) {
		out->steps[i].start_ms = in->steps[i].start_ms;
		out->steps[i].rate_ng_day = in->steps[i].rate_ng_day;
	}
	out->bolus_enabled = in->bolus_enabled != 0;
	out->bolus_dose_ng = in->bolus_dose_ng;
	out->bolus_duration_ms = in->bolus_duration_ms;
	out->bolus_lockout_ms = in->lockout_ms;
	out->bolus_max_24h = in->max_per_24h;
	out->ceiling_ng_24h = in->ceiling_ng_24h;
	out->low_threshold_nl = in->low_threshold_nl;
	out->silence_ms = in->silence_ms;
	out->battery_life_days = battery_life_days;
}

void wire_rx_from_pump(const pump_rx *in, struct msg_rx *out)
{
	memset(out, 0, sizeof *out);
	memcpy(out->drug, in->drug, PUMP_DRUG_MAX < sizeof out->drug ?
	       PUMP_DRUG_MAX : sizeof out->drug);
	out->drug[MSG_DRUG_MAX] = '\0';
	out->concentration_ng_ml = in->concentration_ng_ml;
	out->capacity_nl = in->capacity_nl;
	out->mode = (uint8_t)in->mode;
	out->rate_ng_day = in->rate_ng_day;
	out->n_steps = (uint8_t)(in->nsteps > MSG_STEPS_MAX ? MSG_STEPS_MAX : in->nsteps);
	for (unsigned i = 0; i < out->n_steps; i++) {
		out->steps[i].start_ms = in->steps[i].start_ms;
		out->steps[i].rate_ng_day = in->steps[i].rate_ng_day;
	}
	out->bolus_enabled = in->bolus_enabled ? 1 : 0;
	out->bolus_dose_ng = in->bolus_dose_ng;
	out->bolus_duration_ms = in->bolus_duration_ms;
	out->lockout_ms = in->bolus_lockout_ms;
	out->max_per_24h = (uint16_t)(in->bolus_max_24h > 0xffff ? 0xffff : in->bolus_max_24h);
	out->ceiling_ng_24h = in->ceiling_ng_24h;
	out->low_threshold_nl = in->low_threshold_nl;
	out->silence_ms = in->silence_ms;
}

static const int alarm_map[PUMP_ALARM__COUNT] = {
	[PUMP_ALARM_LOW_RESERVOIR] = MSG_ALARM_LOW_RESERVOIR,
	[PUMP_ALARM_ERI] = MSG_ALARM_ERI,
	[PUMP_ALARM_MEMORY] = MSG_ALARM_MEMORY,
	[PUMP_ALARM_EMPTY] = MSG_ALARM_EMPTY,
	[PUMP_ALARM_EOS] = MSG_ALARM_EOS,
	[PUMP_ALARM_MOTOR_STALL] = MSG_ALARM_MOTOR_STALL,
	[PUMP_ALARM_MEMORY_CRITICAL] = MSG_ALARM_MEMORY_CRITICAL,
};

int wire_alarm_to_msg(int a)
{
	return a >= 0 && a < PUMP_ALARM__COUNT ? alarm_map[a] : -1;
}

int wire_alarm_from_msg(int m)
{
	for (int a = 0; a < PUMP_ALARM__COUNT; a++)
		if (alarm_map[a] == m)
			return a;
	return -1;
}

int wire_fault_from_msg(int f)
{
	switch (f) {
	case MSG_FAULT_MOTOR_STALL: return PUMP_FAULT_MOTOR_STALL;
	case MSG_FAULT_MEMORY: return PUMP_FAULT_MEMORY;
	case MSG_FAULT_MEMORY_CRITICAL: return PUMP_FAULT_MEMORY_CRITICAL;
	case MSG_FAULT_BATTERY_ERI: return PUMP_FAULT_BATTERY_ERI;
	case MSG_FAULT_BATTERY_EOS: return PUMP_FAULT_BATTERY_EOS;
	case MSG_FAULT_RESERVOIR: return PUMP_FAULT_SET_VOLUME;
	case MSG_FAULT_BATTERY_NEW: return PUMP_FAULT_BATTERY_NEW;
	default: return -1;
	}
}

static uint64_t pos(int64_t v)
{
	return v > 0 ? (uint64_t)v : 0;
}

void wire_state(const pump_snapshot *s, int simulated, uint32_t clock_speed,
                struct msg_state *out)
{
	memset(out, 0, sizeof *out);
	out->now_ms = pos(s->now_ms);
	out->mode = (uint8_t)s->mode;
	out->flags = (uint8_t)((s->delivering ? MSG_F_INFUSING : 0) |
	                       (s->bolus_running ? MSG_F_BOLUS_RUNNING : 0) |
	                       (s->bolus_enabled ? MSG_F_BOLUS_ENABLED : 0) |
	                       (simulated ? MSG_F_SIMULATED : 0));
	out->reservoir_nl = s->reservoir_nl;
	out->capacity_nl = s->capacity_nl;
	out->low_threshold_nl = s->low_threshold_nl;
	out->concentration_ng_ml = s->concentration_ng_ml;
	out->basal_ng_day = s->basal_rate_ng_day;
	out->bolus_dose_ng = s->bolus_dose_ng;
	out->bolus_duration_ms = s->bolus_duration_ms;
	out->lockout_ms = s->bolus_lockout_ms;
	out->boluses_24h = (uint16_t)(s->boluses_24h > 0xffff ? 0xffff : s->boluses_24h);
	out->max_per_24h = (uint16_t)(s->bolus_max_24h > 0xffff ? 0xffff : s->bolus_max_24h);
	out->bolus_ends_ms = s->bolus_running ? pos(s->bolus_ends_ms) : 0;
	out->next_bolus_ms = pos(s->next_bolus_ms);
	out->next_bolus_reason = (uint8_t)(s->bolus_now >= 0 && s->bolus_now < MSG_OUT_COUNT ?
	                                   s->bolus_now : MSG_OUT_STOPPED);
	out->next_refill_ms = pos(s->next_refill_ms);
	out->eri_ms = pos(s->eri_ms);
	out->eos_ms = pos(s->eos_ms);
	out->clock_speed = simulated ? clock_speed : 1;
	memcpy(out->drug, s->drug, sizeof out->drug < sizeof s->drug ?
	       sizeof out->drug : sizeof s->drug);
	out->drug[MSG_DRUG_MAX] = '\0';
	unsigned n = 0;
	for (unsigned i = 0; i < s->nalarms && i < PUMP_ALARM__COUNT && n < MSG_ALARMS_MAX; i++) {
		const pump_alarm_info *a = &s->alarms[i];
		int id = wire_alarm_to_msg(a->id);
		if (id < 0)
			continue;
		struct msg_alarm_info *m = &out->alarms[n++];
		m->id = (uint8_t)id;
		m->priority = (uint8_t)a->priority;
		m->raised_ms = pos(a->raised_ms);
		m->silenced_until_ms = pos(a->silenced_until_ms);
		m->flags = a->silenced_until_ms > s->now_ms ? MSG_AF_SILENCED : 0;
		if (!(m->flags & MSG_AF_SILENCED))
			m->silenced_until_ms = 0;
	}
	out->n_alarms = (uint8_t)n;
}

const char *wire_field_name(const char *f)
{
	const char *k = rxfile_key_of(f);
	return k ? k : f;
}

const char *wire_rx_field(const char *pump_field, const struct msg_rx *rx)
{
	static const struct { const char *pump, *wire; } names[] = {
		{ "bolus_lockout_ms", "lockout_ms" },
		{ "bolus_max_24h", "max_per_24h" },
		{ "nsteps", "n_steps" },
	};
	if (!pump_field)
		return "prescription";
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(pump_field, names[i].pump) == 0)
			return names[i].wire;
	if (strcmp(pump_field, "bolus") == 0) {
		/* bolus disabled, yet one of its fields beyond its limit */
		if (rx->bolus_dose_ng > PUMP_DOSE_MAX)
			return "bolus_dose_ng";
		if (rx->bolus_duration_ms > PUMP_BOLUS_DUR_MAX)
			return "bolus_duration_ms";
		if (rx->lockout_ms > PUMP_LOCKOUT_MAX)
			return "lockout_ms";
		return "max_per_24h";
	}
	return pump_field;
}
