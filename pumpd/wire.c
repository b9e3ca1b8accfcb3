/* pumpd/wire.c — pump model <-> protocol structs (see wire.h). */
#include "pumpd/wire.h"

#include <string.h>

#include "net/rxfile.h"

/* The prescription's u32 fields that travel as they are:
 * X(struct msg_rx member, pump_rx member). */
#define RX_U32(X) \
	X(concentration_ng_ml, concentration_ng_ml) \
	X(capacity_nl, capacity_nl) \
	X(rate_ng_day, rate_ng_day) \
	X(bolus_dose_ng, bolus_dose_ng) \
	X(bolus_duration_ms, bolus_duration_ms) \
	X(lockout_ms, bolus_lockout_ms) \
	X(ceiling_ng_24h, ceiling_ng_24h) \
	X(low_threshold_nl, low_threshold_nl) \
	X(silence_ms, silence_ms)

/* The state block's u32 fields taken from a snapshot as they are:
 * X(struct msg_state member, pump_snapshot member). */
#define STATE_U32(X) \
	X(reservoir_nl, reservoir_nl) \
	X(capacity_nl, capacity_nl) \
	X(low_threshold_nl, low_threshold_nl) \
	X(concentration_ng_ml, concentration_ng_ml) \
	X(basal_ng_day, basal_rate_ng_day) \
	X(bolus_dose_ng, bolus_dose_ng) \
	X(bolus_duration_ms, bolus_duration_ms) \
	X(lockout_ms, bolus_lockout_ms)

/* A drug name from src (srcsize bytes) into dst (dstsize), cut and
 * NUL-terminated. */
static void copy_drug(char *dst, size_t dstsize, const char *src,
                      size_t srcsize)
{
	memcpy(dst, src, dstsize < srcsize ? dstsize : srcsize);
	dst[dstsize - 1] = '\0';
}

void wire_rx_to_pump(const struct msg_rx *in, uint32_t battery_life_days,
                     pump_rx *out)
{
	memset(out, 0, sizeof *out);
	copy_drug(out->drug, sizeof out->drug, in->drug, sizeof in->drug);
#define TO_PUMP(m, p) out->p = in->m;
	RX_U32(TO_PUMP)
#undef TO_PUMP
	out->mode = in->mode;
	out->nsteps = in->n_steps;
	for (unsigned i = 0; i < in->n_steps && i < PUMP_STEPS_MAX; i++)
		out->steps[i] = (pump_step){ in->steps[i].start_ms,
		                             in->steps[i].rate_ng_day };
	out->bolus_enabled = in->bolus_enabled != 0;
	out->bolus_max_24h = in->max_per_24h;
	out->battery_life_days = battery_life_days;
}

void wire_rx_from_pump(const pump_rx *in, struct msg_rx *out)
{
	memset(out, 0, sizeof *out);
	copy_drug(out->drug, sizeof out->drug, in->drug, sizeof in->drug);
#define FROM_PUMP(m, p) out->m = in->p;
	RX_U32(FROM_PUMP)
#undef FROM_PUMP
	out->mode = (uint8_t)in->mode;
	out->n_steps = (uint8_t)(in->nsteps > MSG_STEPS_MAX ? MSG_STEPS_MAX : in->nsteps);
	for (unsigned i = 0; i < out->n_steps; i++)
		out->steps[i] = (struct msg_step){ in->steps[i].start_ms,
		                                   in->steps[i].rate_ng_day };
	out->bolus_enabled = in->bolus_enabled ? 1 : 0;
	out->max_per_24h = (uint16_t)(in->bolus_max_24h > 0xffff ? 0xffff : in->bolus_max_24h);
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
#define FROM_SNAP(m, p) out->m = s->p;
	STATE_U32(FROM_SNAP)
#undef FROM_SNAP
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
	copy_drug(out->drug, sizeof out->drug, s->drug, sizeof s->drug);
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

int wire_event_to_msg(int kind)
{
	switch (kind) {
	case PUMP_EV_BOLUS_END:      return MSG_EV_BOLUS_ENDED;
	case PUMP_EV_BOLUS_ABORTED:  return MSG_EV_BOLUS_ENDED;
	case PUMP_EV_STEP_CHANGE:    return MSG_EV_STATE;
	case PUMP_EV_ALARM_RAISED:   return MSG_EV_ALARM_RAISED;
	case PUMP_EV_ALARM_RESOUND:  return MSG_EV_ALARM_RESOUND;
	case PUMP_EV_ALARM_CLEARED:  return MSG_EV_ALARM_CLEARED;
	case PUMP_EV_BOLUS_STARTED:  return MSG_EV_BOLUS_STARTED;
	case PUMP_EV_ALARM_SILENCED: return MSG_EV_ALARM_SILENCED;
	case PUMP_EV_PROGRAMMED:     return MSG_EV_PROGRAMMED;
	case PUMP_EV_REFILLED:       return MSG_EV_REFILLED;
	case PUMP_EV_STARTED:        return MSG_EV_STARTED;
	case PUMP_EV_STOPPED:        return MSG_EV_STOPPED;
	default:                     return -1;   /* a fault: its alarms say it */
	}
}
