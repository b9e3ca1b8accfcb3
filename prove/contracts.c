/*
 * prove/contracts.c — ACSL contracts of the pump model's loop-free rules,
 * proved by Frama-C WP (prove/wp.sh) against the model's own code: each is
 * a declaration of a pump/pump_int.h function that Frama-C merges with its
 * definition.  No code here; only what the functions promise.
 */
#include "pump_int.h"   /* the model's folder is on the include path */

/* The pump's day: t mod 24 h, never negative, for any t (times before the
 * epoch included).  Used by every schedule and window rule. */
/*@ assigns \nothing;
    ensures range: 0 <= \result < 86400000;
    ensures congruent: \exists integer k; t == k * 86400000 + \result;
*/
int64_t pump_time_of_day(int64_t t);

/* The model's clock never goes back (SR-TIME-001): any time asked for is
 * clamped to [the pump's own time, PUMP_TIME_MAX]. */
/*@ requires \valid_read(p);
    requires 0 <= p->now_ms <= 9007199254740992;
    assigns \nothing;
    ensures never_back: \result >= p->now_ms;
    ensures in_range: \result <= 9007199254740992;
    ensures exact: p->now_ms <= t <= 9007199254740992 ==> \result == t;
*/
int64_t pump_tclamp(const pump *p, int64_t t);

/* A bolus delivers at most its dose, nothing before its start and exactly
 * its dose from its end on (SR-DELIV-001). */
/*@ requires \valid_read(b);
    requires 0 <= b->start_ms <= b->end_ms;
    requires b->end_ms - b->start_ms <= 14400000;
    assigns \nothing;
    ensures at_most_dose: \result <= b->dose_ng;
    ensures whole_at_end: t >= b->end_ms ==> \result == b->dose_ng;
    ensures none_before: t <= b->start_ms && t < b->end_ms ==> \result == 0;
*/
uint32_t pump_bolus_done_at(const pump_bolus_rec *b, int64_t t);

/* The reservoir is what the drug leaves of the fill: never more than the
 * fill, empty once the fill's drug is drawn (SR-DELIV-002). */
/*@ requires \valid_read(p);
    requires 1000 <= p->fill_conc <= 100000000;
    requires p->fill_nl <= 40000000;
    requires p->fill_drug_ng == p->fill_nl * p->fill_conc / 1000000;
    assigns \nothing;
    ensures within_fill: \result <= p->fill_nl;
    ensures empty_when_drawn: drawn >= p->fill_drug_ng ==> \result == 0;
    ensures not_empty_before: drawn < p->fill_drug_ng ==> \result > 0;
*/
uint32_t pump_res_from(const pump *p, uint64_t drawn);

/* The ring of bolus records: the i-th record from the oldest. */
/*@ requires \valid_read(p);
    requires p->hist_first < 128 && i <= 128;
    assigns \nothing;
    ensures \result == &p->hist[(p->hist_first + i) % 128];
*/
const pump_bolus_rec *pump_hist_cat(const pump *p, uint32_t i);

/* The lockout rule (SR-BOLUS-001): a bolus asked for before the last start
 * plus the lockout is refused as a lockout, with the time it ends (when the
 * newest record is the patient's; a clinician's bolus is no lockout start:
 * pump_clinic.c). */
/*@ requires \valid_read(p) && \valid(r);
    requires p->hist_first < 128 && p->hist_count <= 128;
    requires \separated(r, p);
    requires \forall integer i; 0 <= i < 128 ==>
               0 <= p->hist[i].start_ms <= 9007199254740992 &&
               p->hist[i].start_ms <= p->hist[i].end_ms <= p->hist[i].start_ms + 604800000;
    requires 0 <= t <= 9007199254740992;
    requires r->at_ms == t;
    behavior locked_out:
      assumes p->hist_count > 0;
      assumes p->hist[(p->hist_first + p->hist_count - 1) % 128].kind == PUMP_KIND_PATIENT;
      assumes t < p->hist[(p->hist_first + p->hist_count - 1) % 128].start_ms
                  + p->rx.lockout_ms;
      ensures \result == \false;
      ensures r->outcome == PUMP_BOLUS_LOCKOUT;
      ensures r->next_at_ms == p->hist[(p->hist_first + p->hist_count - 1) % 128].start_ms
                               + p->rx.lockout_ms;
      ensures r->wait_ms == r->next_at_ms - t;
*/
bool pump_window_allows(const pump *p, int64_t t, pump_bolus_result *r);

/* Critical (high priority) are exactly the alarms with which drug stops:
 * empty reservoir, end of service, motor stall, critical memory error
 * (SR-ALARM-002). */
/*@ assigns \nothing;
    ensures drug_stops: \result <==> (alarm == PUMP_ALARM_EMPTY ||
                                      alarm == PUMP_ALARM_EOS ||
                                      alarm == PUMP_ALARM_MOTOR_STALL ||
                                      alarm == PUMP_ALARM_MEMORY_CRITICAL);
*/
bool pump_alarm_is_critical(int alarm);
