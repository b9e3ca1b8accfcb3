/*
 * pumpd/wire.h — conversions between the pump model (pump/pump.h) and the
 * protocol's structs (net/msg.h).  Alarms, outcomes, modes, faults and
 * events share their numbers (checked in wire.c).
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
/* The same for pump p at now (its snapshot taken first). */
void wire_pump_state(const pump *p, int64_t now, int simulated,
                     uint32_t clock_speed, struct msg_state *out);

/* STATUS's delivery block (PROTOCOL.md 8.14) for pump p at now: the
 * pump's count of drug delivered and what reached the patient, totals
 * since the pump was initialised (computed on a copy advanced to now). */
void wire_delivery(const pump *p, int64_t now, struct msg_delivery *out);

/* A model event's notification (enum msg_event), or -1 when it is told by
 * no notification of its own. */
int wire_event_to_msg(int pump_event);

/* A pump_rx field name as the prescription file names it
 * ("lockout_ms" -> "lockout"); the name itself when there is no
 * better one. */
const char *wire_field_name(const char *pump_field);

#endif
