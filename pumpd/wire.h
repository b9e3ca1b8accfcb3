/*
 * pumpd/wire.h — conversions between the pump model (pump/pump.h) and the
 * protocol's structs (net/msg.h).  Pure functions on caller-owned data.
 */
#ifndef PTM_PUMPD_WIRE_H
#define PTM_PUMPD_WIRE_H

#include "net/msg.h"
#include "pump/pump.h"

/* A prescription from the wire; battery_life_days (not on the wire) is
 * given.  Unused steps are zeroed.  No validation (pump_rx_validate). */
void wire_rx_to_pump(const struct msg_rx *in, uint32_t battery_life_days,
                     pump_rx *out);
void wire_rx_from_pump(const pump_rx *in, struct msg_rx *out);

/* The state block every reply and notification carries.  clock_speed is the
 * pump clock's speed factor (1 on the real clock, 0 frozen, N x). */
void wire_state(const pump_snapshot *s, int simulated, uint32_t clock_speed,
                struct msg_state *out);

/* Alarm ids: enum pump_alarm <-> enum msg_alarm; -1 when there is none. */
int wire_alarm_to_msg(int pump_alarm);
int wire_alarm_from_msg(int msg_alarm);

/* A model event's notification (enum msg_event), or -1 when it is told by
 * no notification of its own. */
int wire_event_to_msg(int pump_event);

/* enum msg_fault -> enum pump_fault_kind, -1 when there is none. */
int wire_fault_from_msg(int msg_fault);

/* A pump_rx field name as the prescription file names it
 * ("bolus_lockout_ms" -> "lockout"); the name itself when there is no
 * better one. */
const char *wire_field_name(const char *pump_field);

/* A field the pump refused in a PROGRAM, as docs/PROTOCOL.md 8.4 names it
 * ("bolus_lockout_ms" -> "lockout_ms", "nsteps" -> "n_steps"; "bolus", a
 * field of a disabled bolus, -> the one beyond its limit in rx; NULL ->
 * "prescription").  A static string or pump_field itself. */
const char *wire_rx_field(const char *pump_field, const struct msg_rx *rx);

#endif
