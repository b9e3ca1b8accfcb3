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
	X(lockout_ms, lockout_ms) \
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
	X(basal_ng_day, basal_ng_day) \
	X(bolus_dose_ng, bolus_dose_ng) \
	X(bolus_duration_ms, bolus_duration_ms) \
	X(lockout_ms, lockout_ms)

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
	out->n_steps = in->n_steps;
	for (unsigned i = 0; i < in->n_steps && i < PUMP_STEPS_MAX; i++)
		out->steps[i] = (pump_step){ in->steps[i].start_ms,
		                             in->steps[i].rate_ng_day };
	out->bolus_enabled = in->bolus_enabled != 0;
	out->max_per_24h = in->max_per_24h;
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
	out->n_steps = (uint8_t)(in->n_steps > MSG_STEPS_MAX ? MSG_STEPS_MAX : in->n_steps);
	for (unsigned i = 0; i < out->n_steps; i++)
		out->steps[i] = (struct msg_step){ in->steps[i].start_ms,
		                                   in->steps[i].rate_ng_day };
	out->bolus_enabled = in->bolus_enabled ? 1 : 0;
	out->max_per_24h = (uint16_t)(in->max_per_24h > 0xffff ? 0xffff : in->max_per_24h);
}

/* The model and the protocol share their numbers (one vocabulary): checked
 * here, once, so that a value crosses from one to the other as it is. */
#define SAME(a, b) _Static_assert((int)(a) == (int)(b), #a " == " #b)
SAME(PUMP_ALARM_NONE, 0);
SAME(PUMP_ALARM_LOW_RESERVOIR, MSG_ALARM_LOW_RESERVOIR);
SAME(PUMP_ALARM_ERI, MSG_ALARM_ERI);
SAME(PUMP_ALARM_EOS, MSG_ALARM_EOS);
SAME(PUMP_ALARM_EMPTY, MSG_ALARM_EMPTY);
SAME(PUMP_ALARM_MOTOR_STALL, MSG_ALARM_MOTOR_STALL);
SAME(PUMP_ALARM_MEMORY, MSG_ALARM_MEMORY);
SAME(PUMP_ALARM_MEMORY_CRITICAL, MSG_ALARM_MEMORY_CRITICAL);
SAME(PUMP_ALARM__COUNT, MSG_ALARM_COUNT);
SAME(PUMP_PRIO_LOW, MSG_PRIO_LOW);
SAME(PUMP_PRIO_MEDIUM, MSG_PRIO_MEDIUM);
SAME(PUMP_PRIO_HIGH, MSG_PRIO_HIGH);
SAME(PUMP_BOLUS_GRANTED, MSG_OUT_GRANTED);
SAME(PUMP_BOLUS_LOCKOUT, MSG_OUT_LOCKOUT);
SAME(PUMP_BOLUS_DAILY_COUNT, MSG_OUT_DAILY_COUNT);
SAME(PUMP_BOLUS_CEILING, MSG_OUT_CEILING);
SAME(PUMP_BOLUS_RUNNING, MSG_OUT_RUNNING);
SAME(PUMP_BOLUS_DISABLED, MSG_OUT_DISABLED);
SAME(PUMP_BOLUS_RESERVOIR_LOW, MSG_OUT_RESERVOIR);
SAME(PUMP_BOLUS_STOPPED, MSG_OUT_STOPPED);
SAME(PUMP_BOLUS_CRITICAL, MSG_OUT_CRITICAL);
SAME(PUMP_BOLUS__COUNT, MSG_OUT_COUNT);
SAME(PUMP_MODE_STOPPED, MSG_MODE_STOPPED);
SAME(PUMP_MODE_CONTINUOUS, MSG_MODE_CONTINUOUS);
SAME(PUMP_MODE_FLEXIBLE, MSG_MODE_FLEXIBLE);
SAME(PUMP_FAULT_MOTOR_STALL, MSG_FAULT_MOTOR_STALL);
SAME(PUMP_FAULT_MEMORY, MSG_FAULT_MEMORY);
SAME(PUMP_FAULT_MEMORY_CRITICAL, MSG_FAULT_MEMORY_CRITICAL);
SAME(PUMP_FAULT_BATTERY_ERI, MSG_FAULT_BATTERY_ERI);
SAME(PUMP_FAULT_BATTERY_EOS, MSG_FAULT_BATTERY_EOS);
SAME(PUMP_FAULT_RESERVOIR, MSG_FAULT_RESERVOIR);
SAME(PUMP_FAULT_BATTERY_NEW, MSG_FAULT_BATTERY_NEW);
SAME(PUMP_FAULT_OCCLUSION, MSG_FAULT_OCCLUSION);
SAME(PUMP_FAULT_STALL_FOR, MSG_FAULT_STALL_FOR);
SAME(PUMP_FAULT__COUNT, MSG_FAULT_COUNT);
SAME(PUMP_EV_STEP_CHANGE, MSG_EV_STATE);
SAME(PUMP_EV_BOLUS_STARTED, MSG_EV_BOLUS_STARTED);
SAME(PUMP_EV_BOLUS_END, MSG_EV_BOLUS_ENDED);
SAME(PUMP_EV_ALARM_RAISED, MSG_EV_ALARM_RAISED);
SAME(PUMP_EV_ALARM_CLEARED, MSG_EV_ALARM_CLEARED);
SAME(PUMP_EV_ALARM_RESOUND, MSG_EV_ALARM_RESOUND);
SAME(PUMP_EV_ALARM_SILENCED, MSG_EV_ALARM_SILENCED);
SAME(PUMP_EV_PROGRAMMED, MSG_EV_PROGRAMMED);
SAME(PUMP_EV_REFILLED, MSG_EV_REFILLED);
SAME(PUMP_EV_STARTED, MSG_EV_STARTED);
SAME(PUMP_EV_STOPPED, MSG_EV_STOPPED);
SAME(PUMP_EV_BOLUS_ABORTED, MSG_EV_STOPPED + 1); /* the model's own from here */
SAME(PUMP_KIND_SINGLE, MSG_CBOLUS_SINGLE);
SAME(PUMP_KIND_PRIME, MSG_CBOLUS_PRIME);
SAME(PUMP_KIND_BRIDGE, MSG_CBOLUS_BRIDGE);
SAME(PUMP_KIND__COUNT, MSG_CBOLUS_COUNT);
#undef SAME

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
	out->max_per_24h = (uint16_t)(s->max_per_24h > 0xffff ? 0xffff : s->max_per_24h);
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
	for (unsigned i = 0; i < s->n_alarms && i < PUMP_ALARM__COUNT && n < MSG_ALARMS_MAX; i++) {
		const pump_alarm_info *a = &s->alarms[i];
		if (a->id < PUMP_ALARM_FIRST || a->id >= PUMP_ALARM__COUNT)
			continue;
		struct msg_alarm_info *m = &out->alarms[n++];
		m->id = (uint8_t)a->id;
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

int wire_event_to_msg(int kind)
{
	if (kind == PUMP_EV_BOLUS_ABORTED)
		return MSG_EV_BOLUS_ENDED;   /* cut short: ended all the same */
	if (kind < 0 || kind > MSG_EV_STOPPED || kind == MSG_EV_CLOCK)
		return -1;                   /* a fault: its alarms say it */
	return kind;
}

void wire_pump_state(const pump *p, int64_t now, int simulated,
                     uint32_t clock_speed, struct msg_state *out)
{
	pump_snapshot snap;
	pump_status(p, now, &snap);
	wire_state(&snap, simulated, clock_speed, out);
	/* the state extension (PROTOCOL.md 8.9), sent to edition-3 sessions */
	out->has_ext = 0;
	/* and the running bolus's kind (8.15), which edition_fit_reply and
	 * notify keep for the sessions that accepted it */
	int kind = snap.bolus_running && snap.bolus_kind > PUMP_KIND_PATIENT &&
	           snap.bolus_kind < PUMP_KIND__COUNT ? snap.bolus_kind : 0;
	out->ext.flags = (uint8_t)((p->stage_id ? MSG_SX_PENDING : 0) |
	                           (!p->running || p->rx.mode == PUMP_MODE_STOPPED
	                                ? MSG_SX_STOPPED : 0) |
	                           (kind << MSG_SX_BOLUS_SHIFT));
	out->ext.stage_id = p->stage_id;
	out->ext.staged_ms = p->stage_id && p->staged_ms > 0 ? (uint64_t)p->staged_ms : 0;
}

void wire_delivery(const pump *p, int64_t now, struct msg_delivery *out)
{
	pump q = *p;
	pump_advance(&q, now, NULL, NULL);
	out->delivered_ng = q.basal_ng + q.bolus_ng;
	out->reached_ng = q.reached_ng;
	out->reach_pct = (uint8_t)(q.reach_pct > 100 ? 100 : q.reach_pct);
}
