/*
 * pump/pump_stage.c — staged programming: a prescription held pending beside
 * the one in force, what it changes for the patient, and its confirmation
 * as one step (docs/PROTOCOL.md 8.9).  Pure: no I/O.
 */
#include "pump/pump_int.h"

#include <string.h>

/* The numbers a clinician compares, for one prescription in force on q. */
static void stage_side(const pump *q, int64_t now_ms, pump_stage_info *o,
                       int i)
{
	const pump_rx *rx = &q->rx;
	pump_snapshot snap;
	pump_status(q, now_ms, &snap);
	o->daily_ng[i] = pump_rx_daily_ng(rx);
	o->bolus_dose_ng[i] = rx->bolus_enabled ? rx->bolus_dose_ng : 0;
	o->lockout_ms[i] = rx->bolus_enabled ? rx->lockout_ms : 0;
	o->max_per_24h[i] = rx->bolus_enabled ? rx->max_per_24h : 0;
	o->ceiling_ng_24h[i] = rx->ceiling_ng_24h;
	o->next_refill_ms[i] = snap.next_refill_ms;
}

int pump_stage(pump *p, int64_t now_ms, const pump_rx *rx,
               const char **field_out, pump_stage_info *out)
{
	if (!p || !rx || !out)
		return PUMP_E_INVAL;
	memset(out, 0, sizeof *out);
	/* the pending prescription as PROGRAM would put it in force now */
	pump cur = *p, next = *p;
	pump_advance(&cur, now_ms, NULL, NULL);
	int e = pump_program(&next, now_ms, rx, field_out, NULL, NULL);
	if (e < 0)
		return e;
	stage_side(&cur, cur.now_ms, out, 0);
	stage_side(&next, next.now_ms, out, 1);
	out->replaced = p->stage_id != 0;
	out->stops = rx->mode == PUMP_MODE_STOPPED;
	/* ids rise from 1 within a run; 0 is never one */
	p->stage_last_id = p->stage_last_id == UINT32_MAX ? 1 : p->stage_last_id + 1;
	p->stage_id = p->stage_last_id;
	p->staged_ms = cur.now_ms;
	p->stage_rx = *rx;
	out->id = p->stage_id;
	return 0;
}

int pump_stage_confirm(pump *p, int64_t now_ms, uint32_t id,
                       const char **field_out, pump_event_fn cb, void *ud)
{
	if (field_out)
		*field_out = NULL;
	if (!p)
		return PUMP_E_INVAL;
	if (id == 0 || id != p->stage_id)
		return PUMP_E_STATE;
	/* decided on a copy, as it would be taken after the stop, so that a
	 * refusal changes nothing */
	pump q = *p;
	bool ran = q.running;
	if (ran)
		pump_set_running(&q, now_ms, false, NULL, NULL);
	int e = pump_program(&q, now_ms, &p->stage_rx, field_out, NULL, NULL);
	if (e < 0)
		return e;
	/* taken: stop, program, run again, all at the same ms */
	pump_rx rx = p->stage_rx;
	if (ran)
		pump_set_running(p, now_ms, false, cb, ud);
	e = pump_program(p, now_ms, &rx, field_out, cb, ud);
	if (e < 0)
		return e;   /* not reached: the copy passed */
	if (ran)
		pump_set_running(p, now_ms, true, cb, ud);
	p->stage_id = 0;
	p->staged_ms = 0;
	memset(&p->stage_rx, 0, sizeof p->stage_rx);
	return 0;
}

int pump_stage_cancel(pump *p, uint32_t id)
{
	if (!p)
		return PUMP_E_INVAL;
	if (id == 0 || id != p->stage_id)
		return PUMP_E_STATE;
	p->stage_id = 0;
	p->staged_ms = 0;
	memset(&p->stage_rx, 0, sizeof p->stage_rx);
	return 0;
}
