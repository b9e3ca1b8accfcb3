/*
 * pump/pump_int.h — internals shared by the pump model's files.  Not a
 * public header: only pump/pump*.c include it.  Everything here works on a
 * caller-owned `pump` and keeps no pointer to it.
 *
 * From the top down; a file calls only files below it:
 *   pump.c          life cycle; patient, clinician and tester actions
 *   pump_clinic.c   the implanted system's volumes, clinician boluses
 *   pump_status.c   the snapshot
 *   pump_forecast.c the next refill date
 *   pump_serial.c   the state as bytes
 *   pump_bolus.c    the 24 h windows, the bolus decision, the next allowed
 *   pump_deliver.c  delivery event to event (pump_advance)
 *   pump_alarm.c    alarms and battery: causes, settling what is due
 *   pump_hist.c     the bolus history, whether drug flows, events out
 *   pump_arith.c    the schedule and delivery arithmetic
 *   pump_rx.c       the prescription and the stable names
 *   pump_zone.c     local time: the offset, the schedule's clock
 */
#ifndef PTM_PUMPD_PUMP_INT_H
#define PTM_PUMPD_PUMP_INT_H

#include "pump/pump.h"

#define PUMP_DAY       PUMP_MS_PER_DAY
#define PUMP_NL_PER_ML 1000000u

static inline int64_t pump_min64(int64_t a, int64_t b) { return a < b ? a : b; }
static inline int64_t pump_max64(int64_t a, int64_t b) { return a > b ? a : b; }

/* Where events go (cb may be NULL; a NULL sink drops them). */
typedef struct pump_sink {
	pump_event_fn cb;
	void *ud;
} pump_sink;

/* ---- pump_arith.c -------------------------------------------------------- */

/* t clamped to [p->now_ms, PUMP_TIME_MAX]. */
int64_t pump_tclamp(const pump *p, int64_t t);
/* ms of the pump's day, 0 .. 24 h - 1. */
int64_t pump_time_of_day(int64_t t);
/* The basal rate in force on (t, t + 1] (0 when the mode is stopped). */
uint32_t pump_rate_at(const pump_rx *rx, int64_t t);
/* pump_next_rate_change (pump.h): the next ms the schedule's rate changes */
/* sum of rate * ms over (a, b] in ng*ms/day units (a <= b), as delivered
 * while flowing; cap when that is more than cap. */
uint64_t pump_basal_integral(const pump_rx *rx, int64_t a, int64_t b,
                             uint64_t cap);
/* Basal drug of dt ms at rate from remainder rem (ng*ms/day units, < a
 * day); the new remainder in *rem_out. */
uint64_t pump_basal_for(uint64_t rem, uint32_t rate, int64_t dt,
                        uint64_t *rem_out);
/* Drug of a bolus record delivered by t (dose at and after its end). */
uint32_t pump_bolus_done_at(const pump_bolus_rec *b, int64_t t);
/* Reservoir volume when `drawn` ng of the current fill are delivered. */
uint32_t pump_res_from(const pump *p, uint64_t drawn);
/* Drug drawn from the current fill (p->drawn_ng) at which the reservoir is
 * at or below the low threshold: pump_reservoir_nl <= threshold exactly
 * when drawn_ng >= this. */
uint64_t pump_drawn_at_threshold(const pump *p);

/* The first t in (lo, hi] at which pred holds, by bisection: pred(lo) is
 * false, pred(hi) true, and once true it stays true. */
int64_t pump_first_true(const pump *p, int64_t lo, int64_t hi,
                        bool (*pred)(const pump *p, int64_t t));

/* ---- pump_hist.c --------------------------------------------------------- */

void pump_emit(pump_sink *s, int kind, int alarm, int64_t at, int64_t value);
/* A bolus event (BOLUS_STARTED, _END, _ABORTED) of a record's kind. */
void pump_emit_bolus(pump_sink *s, int kind, int bolus, int64_t at,
                     int64_t value);
/* The first active critical alarm in priority order (*which may be NULL). */
bool pump_critical_active(const pump *p, int *which);
/* Drug flowing: running, a mode that delivers, no critical alarm. */
bool pump_delivering(const pump *p);
int64_t pump_eri_at(const pump *p);
pump_bolus_rec *pump_hist_at(pump *p, uint32_t i);
const pump_bolus_rec *pump_hist_cat(const pump *p, uint32_t i);
pump_bolus_rec *pump_hist_last(pump *p);
/* Drop records no rule can see at t or later (ended 24 h before t). */
void pump_hist_prune(pump *p, int64_t t);
/* Append a record (after pruning at start_ms); the caller keeps the ring
 * within PUMP_HISTORY_MAX (the window rules refuse before it fills). */
pump_bolus_rec *pump_hist_push(pump *p, int64_t start_ms, int64_t end_ms,
                               uint32_t dose_ng, int kind);
/* The newest patient bolus record, or NULL. */
const pump_bolus_rec *pump_hist_last_patient(const pump *p);
/* The running bolus stops at t: an early stop keeps what it delivered. */
void pump_finish_bolus(pump *p, int64_t t, pump_sink *s);

/* ---- pump_alarm.c -------------------------------------------------------- */
void pump_alarm_raise(pump *p, int id, int64_t t, pump_sink *s);
void pump_alarm_drop(pump *p, int id, int64_t t, pump_sink *s);
/* The alarm's cause is present now (latched faults: false). */
bool pump_alarm_cause(const pump *p, int id);
/* Clear the reservoir alarms whose cause is gone (refill, set volume,
 * a lower threshold). */
void pump_alarm_drop_reservoir(pump *p, int64_t t, pump_sink *s);
/* Everything due at p->now_ms: bolus end, reservoir and battery alarms,
 * re-sounding alarms, a bolus cut by a stop. */
void pump_settle(pump *p, pump_sink *s);

/* ---- pump_deliver.c ------------------------------------------------------ */

/* Deliver up to t (no events; the caller settles). */
void pump_deliver_to(pump *p, int64_t t);

/* ---- pump_bolus.c -------------------------------------------------------- */
/* Drug of boluses that end after t - 24 h, and the basal bound of a 24 h
 * window at t; see pump_bolus.c. */
uint64_t pump_committed_ng(const pump *p, int64_t t);
uint64_t pump_basal_bound(const pump *p, int64_t t);
/* The basal bound for 24 h after rx replaces q->rx at t (q->now_ms): the
 * most basal any 24 h window starting before t can hold, exact to the ng
 * when no change came in the 24 h before t; never above rate_rule. */
uint32_t pump_change_bound(const pump *q, const pump_rx *rx, int64_t t,
                           uint32_t rate_rule);
/* The most bolus drug of the history in any 24 h window (a, a + 24 h] with
 * a >= from (rounded up as the ceiling rule does). */
uint64_t pump_bolus_window_ng(const pump *p, int64_t from);
/* The lockout, 24 h count and ceiling rules for a bolus asked for at t
 * (p->now_ms is not used): true when they allow it; else r->outcome and
 * r->next_at_ms / wait_ms are set (r->at_ms must be t). */
bool pump_window_allows(const pump *p, int64_t t, pump_bolus_result *r);
/* The decision at the pump's current time (pump_bolus_check's), and the
 * earliest time a bolus would be granted (0: not foreseeable). */
int64_t pump_bolus_next(const pump *p, pump_bolus_result *r);
/* Start a bolus at p->now_ms with the prescription's dose. */
void pump_grant(pump *p);

/* ---- pump_forecast.c ----------------------------------------------------- */

/* The next refill date (see pump_snapshot.next_refill_ms). */
int64_t pump_forecast_refill(const pump *p);

#endif
