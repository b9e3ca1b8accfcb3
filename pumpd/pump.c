/*
 * pumpd/pump.c — the pump model: delivery over time (event to event), the
 * bolus decision, alarms, battery, refill, reprogramming, faults, status.
 * Pure: no I/O, no clock reads, no allocation.  See pump.h.
 *
 * Exact arithmetic, no drift
 *   Basal drug is the floor of the exact integral: basal_rem keeps the
 *   remainder of sum(rate_ng_day * ms) modulo one day, so the cumulative
 *   basal is floor(sum / day) however the time is cut.  A bolus delivers
 *   floor(dose * elapsed / duration) from its own start, exactly dose at its
 *   end.  The reservoir volume is derived from the drug drawn since the fill:
 *   fill_nl - floor(drawn_ng * 1e6 / conc) (0 once the fill's drug is gone),
 *   so volume and drug can never drift apart.
 *
 * The 24 h ceiling rule (any rolling window (a, a + 24 h])
 *   A bolus requested at t is granted only when
 *       B(t) + sum(dose of every bolus ending after t - 24 h) + dose <= C
 *   where B(t) bounds the basal in any 24 h window that can overlap the new
 *   bolus: the schedule's daily drug + 1 ng (rounding) when the program has
 *   been in force for 24 h (a 24 h window of a daily-periodic schedule holds
 *   exactly one day's drug; stops only lower it), else the highest rate of any
 *   program in force since 24 h before the last change + 1 ng.  A window that
 *   holds the new bolus starts after t - 24 h, so every other bolus that
 *   delivers in it ends after t - 24 h and is counted (with its whole dose;
 *   an aborted bolus with what it delivered).  Reprogramming is checked the
 *   same way (pump_program refuses a program whose ceiling is below the
 *   highest basal bound + drug committed to boluses ending in the last 24 h),
 *   so basal and boluses together never exceed the ceiling in force at the
 *   end of any 24 h window.
 */
#include "pumpd/pump.h"

#include <string.h>

#define DAY PUMP_MS_PER_DAY
#define NL_PER_ML 1000000u

typedef struct sink {
	pump_event_fn cb;
	void *ud;
} sink;

static void emit(sink *s, int kind, int alarm, int64_t at, int64_t value)
{
	if (!s || !s->cb)
		return;
	pump_event ev = { .kind = kind, .alarm = alarm, .at_ms = at,
	                  .value = value };
	s->cb(s->ud, &ev);
}

static int64_t min64(int64_t a, int64_t b) { return a < b ? a : b; }
static int64_t max64(int64_t a, int64_t b) { return a > b ? a : b; }

static int64_t tclamp(const pump *p, int64_t t)
{
	if (t > PUMP_TIME_MAX)
		t = PUMP_TIME_MAX;
	return t < p->now_ms ? p->now_ms : t;
}

/* ---- history ring -------------------------------------------------------- */

static pump_bolus_rec *hist_at(pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

static const pump_bolus_rec *hist_cat(const pump *p, uint32_t i)
{
	return &p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
}

static pump_bolus_rec *hist_last(pump *p)
{
	return p->hist_count ? hist_at(p, p->hist_count - 1) : NULL;
}

/* Drop records that no rule can see any more (ended 24 h ago or more). */
static void hist_prune(pump *p, int64_t t)
{
	while (p->hist_count > 0) {
		pump_bolus_rec *r = hist_at(p, 0);
		if (r->end_ms > t - DAY || (p->bolus_running && p->hist_count == 1))
			break;
		memset(r, 0, sizeof *r);
		p->hist_first = (p->hist_first + 1) % PUMP_HISTORY_MAX;
		p->hist_count--;
	}
	if (p->hist_count == 0)
		p->hist_first = 0;
}

/* ---- state predicates ---------------------------------------------------- */

static const int critical_order[] = {
	PUMP_ALARM_EMPTY, PUMP_ALARM_EOS, PUMP_ALARM_MOTOR_STALL,
	PUMP_ALARM_MEMORY_CRITICAL,
};

static bool critical_active(const pump *p, int *which)
{
	for (size_t i = 0; i < sizeof critical_order / sizeof critical_order[0];
	     i++)
		if (p->alarms[critical_order[i]].active) {
			if (which)
				*which = critical_order[i];
			return true;
		}
	return false;
}

static bool delivering(const pump *p)
{
	return p->running && p->rx.mode != PUMP_MODE_STOPPED &&
	       !critical_active(p, NULL);
}

static int64_t eri_ms(const pump *p)
{
	return p->eos_ms - PUMP_ERI_BEFORE_EOS_MS;
}

/* ---- schedule ------------------------------------------------------------ */

static int64_t time_of_day(int64_t t)
{
	int64_t r = t % DAY;
	return r < 0 ? r + DAY : r;
}

static uint32_t step_index(const pump_rx *rx, int64_t t)
{
	int64_t tod = time_of_day(t);
	uint32_t i = 0;
	while (i + 1 < rx->nsteps && (int64_t)rx->steps[i + 1].start_ms <= tod)
		i++;
	return i;
}

/* The basal rate in force on (t, t + 1]. */
static uint32_t rate_at(const pump_rx *rx, int64_t t)
{
	if (rx->mode == PUMP_MODE_CONTINUOUS)
		return rx->rate_ng_day;
	if (rx->mode != PUMP_MODE_FLEXIBLE || rx->nsteps == 0)
		return 0;
	return rx->steps[step_index(rx, t)].rate_ng_day;
}

/* The next step boundary after t where the rate changes, or INT64_MAX. */
static int64_t next_rate_change(const pump_rx *rx, int64_t t)
{
	if (rx->mode != PUMP_MODE_FLEXIBLE || rx->nsteps < 2)
		return INT64_MAX;
	uint32_t idx = step_index(rx, t);
	uint32_t cur = rx->steps[idx].rate_ng_day;
	int64_t day0 = t - time_of_day(t);
	for (uint32_t k = 1; k <= rx->nsteps; k++) {
		uint32_t j = idx + k;
		int64_t at;
		if (j < rx->nsteps) {
			at = day0 + rx->steps[j].start_ms;
		} else {
			j -= rx->nsteps;
			at = day0 + DAY + rx->steps[j].start_ms;
		}
		if (rx->steps[j].rate_ng_day != cur)
			return at;
	}
	return INT64_MAX;
}

/* ---- delivery arithmetic ------------------------------------------------- */

/* Basal drug over dt ms at rate ng/day with remainder rem (ng*ms/day units);
 * the new remainder in *rem_out.  No overflow: rate <= 1e9, dt % day < 8.64e7. */
static uint64_t basal_for(uint64_t rem, uint32_t rate, int64_t dt,
                          uint64_t *rem_out)
{
	uint64_t q = (uint64_t)(dt / DAY), m = (uint64_t)(dt % DAY);
	uint64_t x = rem + (uint64_t)rate * m;
	*rem_out = x % (uint64_t)DAY;
	return (uint64_t)rate * q + x / (uint64_t)DAY;
}

static uint32_t bolus_done_at(const pump_bolus_rec *b, int64_t t)
{
	if (t >= b->end_ms)
		return b->dose_ng;
	if (t <= b->start_ms)
		return 0;
	return (uint32_t)((uint64_t)b->dose_ng * (uint64_t)(t - b->start_ms) /
	                  (uint64_t)(b->end_ms - b->start_ms));
}

static uint32_t res_from(const pump *p, uint64_t drawn)
{
	if (drawn >= p->fill_drug_ng)
		return 0;
	return p->fill_nl -
	       (uint32_t)(drawn * NL_PER_ML / (uint64_t)p->fill_conc);
}

uint32_t pump_reservoir_nl(const pump *p)
{
	return p ? res_from(p, p->drawn_ng) : 0;
}

typedef struct proj {
	uint64_t basal;   /* ng of basal on (now, t] */
	uint64_t bolus;   /* ng of bolus on (now, t] */
	uint64_t rem;     /* basal remainder at t */
} proj;

/* Delivery on (now, t] assuming it is flowing and no rate changes inside;
 * cut at the reservoir's drug (basal first). */
static void project(const pump *p, int64_t t, proj *o)
{
	o->basal = basal_for(p->basal_rem, rate_at(&p->rx, p->now_ms),
	                     t - p->now_ms, &o->rem);
	o->bolus = 0;
	if (p->bolus_running) {
		const pump_bolus_rec *b = hist_cat(p, p->hist_count - 1);
		o->bolus = bolus_done_at(b, t) - b->done_ng;
	}
	uint64_t room = p->fill_drug_ng - p->drawn_ng;
	if (o->basal > room) {
		o->basal = room;
		o->bolus = 0;
	} else if (o->basal + o->bolus > room) {
		o->bolus = room - o->basal;
	}
}

static void deliver_to(pump *p, int64_t t)
{
	if (t <= p->now_ms)
		return;
	if (delivering(p)) {
		proj o;
		project(p, t, &o);
		p->drawn_ng += o.basal + o.bolus;
		p->basal_ng += o.basal;
		p->bolus_ng += o.bolus;
		p->basal_rem = o.rem;
		if (p->bolus_running)
			hist_last(p)->done_ng += (uint32_t)o.bolus;
	}
	p->now_ms = t;
}

/* ---- alarms and settling ------------------------------------------------- */

static void finish_bolus(pump *p, int64_t t, sink *s)
{
	pump_bolus_rec *b = hist_last(p);
	p->bolus_running = false;
	if (b->done_ng < b->dose_ng) {
		b->dose_ng = b->done_ng;
		b->end_ms = t;
		emit(s, PUMP_EV_BOLUS_ABORTED, -1, t, b->done_ng);
	} else {
		emit(s, PUMP_EV_BOLUS_END, -1, t, b->dose_ng);
	}
}

static void raise_alarm(pump *p, int id, int64_t t, sink *s)
{
	pump_alarm_state *a = &p->alarms[id];
	if (a->active)
		return;
	a->active = true;
	a->raised_ms = t;
	a->silenced_until_ms = 0;
	emit(s, PUMP_EV_ALARM_RAISED, id, t, 0);
	if (pump_alarm_is_critical(id) && p->bolus_running)
		finish_bolus(p, t, s);
}

static void clear_alarm(pump *p, int id, int64_t t, sink *s)
{
	if (!p->alarms[id].active)
		return;
	memset(&p->alarms[id], 0, sizeof p->alarms[id]);
	emit(s, PUMP_EV_ALARM_CLEARED, id, t, 0);
}

static bool cause_present(const pump *p, int id)
{
	switch (id) {
	case PUMP_ALARM_LOW_RESERVOIR:
		return pump_reservoir_nl(p) <= p->rx.low_threshold_nl;
	case PUMP_ALARM_EMPTY:
		return p->drawn_ng >= p->fill_drug_ng;
	case PUMP_ALARM_ERI:
		return p->now_ms >= eri_ms(p);
	case PUMP_ALARM_EOS:
		return p->now_ms >= p->eos_ms;
	default:
		return false; /* latched faults: the clinician's clear is the fix */
	}
}

/* Everything due at p->now_ms: bolus end, reservoir and battery alarms,
 * re-sounding alarms, a bolus cut by a stop. */
static void settle(pump *p, sink *s)
{
	int64_t t = p->now_ms;
	if (p->bolus_running && t >= hist_last(p)->end_ms)
		finish_bolus(p, t, s);
	if (cause_present(p, PUMP_ALARM_EMPTY))
		raise_alarm(p, PUMP_ALARM_EMPTY, t, s);
	if (cause_present(p, PUMP_ALARM_LOW_RESERVOIR))
		raise_alarm(p, PUMP_ALARM_LOW_RESERVOIR, t, s);
	if (cause_present(p, PUMP_ALARM_ERI))
		raise_alarm(p, PUMP_ALARM_ERI, t, s);
	if (cause_present(p, PUMP_ALARM_EOS))
		raise_alarm(p, PUMP_ALARM_EOS, t, s);
	if (p->bolus_running && !delivering(p))
		finish_bolus(p, t, s);
	for (int i = 0; i < PUMP_ALARM__COUNT; i++) {
		pump_alarm_state *a = &p->alarms[i];
		if (a->active && a->silenced_until_ms != 0 &&
		    a->silenced_until_ms <= t) {
			a->silenced_until_ms = 0;
			emit(s, PUMP_EV_ALARM_RESOUND, i, t, 0);
		}
	}
}

/* ---- event search -------------------------------------------------------- */

/* True when delivering to t would cross the low threshold (if that alarm is
 * not raised yet) or empty the reservoir. */
static bool crosses(const pump *p, int64_t t)
{
	proj o;
	project(p, t, &o);
	uint64_t drawn = p->drawn_ng + o.basal + o.bolus;
	if (drawn >= p->fill_drug_ng)
		return true;
	return !p->alarms[PUMP_ALARM_LOW_RESERVOIR].active &&
	       res_from(p, drawn) <= p->rx.low_threshold_nl;
}

/* The first event strictly after now; crossings searched only up to limit
 * (a value > limit means "nothing up to limit"). */
static int64_t next_event_until(const pump *p, int64_t limit)
{
	int64_t h = INT64_MAX, now = p->now_ms;
	bool d = delivering(p);
	if (d && p->bolus_running)
		h = min64(h, hist_cat(p, p->hist_count - 1)->end_ms);
	if (d)
		h = min64(h, next_rate_change(&p->rx, now));
	if (!p->alarms[PUMP_ALARM_ERI].active && eri_ms(p) > now)
		h = min64(h, eri_ms(p));
	if (!p->alarms[PUMP_ALARM_EOS].active && p->eos_ms > now)
		h = min64(h, p->eos_ms);
	for (int i = 0; i < PUMP_ALARM__COUNT; i++) {
		const pump_alarm_state *a = &p->alarms[i];
		if (a->active && a->silenced_until_ms > now)
			h = min64(h, a->silenced_until_ms);
	}
	if (d) {
		int64_t hi = min64(h, limit);
		if (hi > now + 100 * 366 * DAY)
			hi = now + 100 * 366 * DAY;
		if (hi > now && crosses(p, hi)) {
			int64_t lo = now; /* crosses(lo) is false: settled */
			while (hi - lo > 1) {
				int64_t mid = lo + (hi - lo) / 2;
				if (crosses(p, mid))
					hi = mid;
				else
					lo = mid;
			}
			h = hi;
		}
	}
	return h;
}

int64_t pump_next_event(const pump *p)
{
	return p ? next_event_until(p, INT64_MAX) : INT64_MAX;
}

void pump_advance(pump *p, int64_t now_ms, pump_event_fn cb, void *ud)
{
	if (!p)
		return;
	sink s = { cb, ud };
	int64_t target = tclamp(p, now_ms);
	for (;;) {
		int64_t step = delivering(p) ? next_rate_change(&p->rx, p->now_ms)
		                             : INT64_MAX;
		int64_t t = next_event_until(p, target);
		if (t > target) {
			deliver_to(p, target);
			return;
		}
		deliver_to(p, t);
		settle(p, &s);
		if (t == step && delivering(p))
			emit(&s, PUMP_EV_STEP_CHANGE, -1, t, rate_at(&p->rx, t));
	}
}

/* ---- life cycle ---------------------------------------------------------- */

static void set_fill(pump *p, uint32_t vol, uint32_t conc)
{
	p->fill_nl = vol;
	p->fill_conc = conc;
	p->fill_drug_ng = (uint64_t)vol * conc / NL_PER_ML;
	p->drawn_ng = 0;
}

/* Close the current fill (what was drawn is delivered, the rest removed) and
 * start a new one. */
static void refill_to(pump *p, uint32_t vol, uint32_t conc)
{
	uint32_t left = pump_reservoir_nl(p);
	p->delivered_nl += p->fill_nl - left;
	p->removed_nl += left;
	p->filled_nl += vol;
	set_fill(p, vol, conc);
}

int pump_init(pump *p, const pump_rx *rx, int64_t now_ms,
              uint32_t initial_volume_nl)
{
	if (!p || !rx)
		return PUMP_E_INVAL;
	int rc = pump_rx_validate(rx, NULL);
	if (rc < 0)
		return rc;
	if (initial_volume_nl > rx->capacity_nl || now_ms < 0 ||
	    now_ms > PUMP_TIME_MAX)
		return PUMP_E_RANGE;
	pump q;
	memset(&q, 0, sizeof q);
	q.rx = *rx;
	q.now_ms = q.created_ms = now_ms;
	q.running = true;
	set_fill(&q, initial_volume_nl, rx->concentration_ng_ml);
	q.filled_nl = initial_volume_nl;
	q.eos_ms = now_ms + (int64_t)rx->battery_life_days * DAY;
	q.prog_changed_ms = now_ms - DAY;
	q.peak_rate_ng_day = pump_rx_max_rate(rx);
	settle(&q, NULL);
	*p = q;
	return 0;
}

/* ---- the bolus decision -------------------------------------------------- */

static uint64_t committed_ng(const pump *p, int64_t t)
{
	uint64_t sum = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *r = hist_cat(p, i);
		if (r->end_ms > t - DAY)
			sum += r->dose_ng;
	}
	return sum;
}

static uint64_t basal_bound(const pump *p, int64_t t)
{
	uint64_t b = p->prog_changed_ms > t - DAY ? p->peak_rate_ng_day
	                                          : pump_rx_daily_ng(&p->rx);
	return b + 1u;
}

static bool ceiling_fits(const pump *p, int64_t t, uint64_t dose)
{
	return basal_bound(p, t) + committed_ng(p, t) + dose <=
	       p->rx.ceiling_ng_24h;
}

/* Earliest time >= t at which the dose fits under the ceiling, or 0. */
static int64_t ceiling_next(const pump *p, int64_t t, uint64_t dose)
{
	int64_t pc = p->prog_changed_ms + DAY;
	bool pc_done = pc <= t;
	for (uint32_t i = 0; i <= p->hist_count; i++) {
		int64_t c = i < p->hist_count ? hist_cat(p, i)->end_ms + DAY
		                              : INT64_MAX;
		if (c <= t)
			continue;
		if (!pc_done && pc <= c) {
			pc_done = true;
			if (ceiling_fits(p, pc, dose))
				return pc;
		}
		if (c != INT64_MAX && ceiling_fits(p, c, dose))
			return c;
	}
	return 0;
}

static void set_next(pump_bolus_result *r, int64_t next)
{
	r->next_at_ms = next;
	r->wait_ms = next > r->at_ms ? next - r->at_ms : 0;
}

void pump_bolus_check(const pump *p, pump_bolus_result *r)
{
	if (!r)
		return;
	memset(r, 0, sizeof *r);
	r->alarm = -1;
	if (!p) {
		r->outcome = PUMP_BOLUS_STOPPED;
		return;
	}
	const pump_rx *rx = &p->rx;
	int64_t t = p->now_ms;
	r->at_ms = t;
	r->dose_ng = rx->bolus_dose_ng;
	int crit;
	if (critical_active(p, &crit)) {
		r->outcome = PUMP_BOLUS_CRITICAL;
		r->alarm = crit;
		return;
	}
	if (!p->running || rx->mode == PUMP_MODE_STOPPED) {
		r->outcome = PUMP_BOLUS_STOPPED;
		return;
	}
	if (!rx->bolus_enabled) {
		r->outcome = PUMP_BOLUS_DISABLED;
		return;
	}
	const pump_bolus_rec *last =
		p->hist_count ? hist_cat(p, p->hist_count - 1) : NULL;
	int64_t lock_end = last ? last->start_ms + rx->bolus_lockout_ms
	                        : INT64_MIN;
	if (p->bolus_running) {
		r->outcome = PUMP_BOLUS_RUNNING;
		set_next(r, max64(last->end_ms, lock_end));
		return;
	}
	if (t < lock_end) {
		r->outcome = PUMP_BOLUS_LOCKOUT;
		set_next(r, lock_end);
		return;
	}
	uint32_t n = 0, relevant = 0;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *h = hist_cat(p, i);
		n += h->start_ms > t - DAY;
		relevant += h->end_ms > t - DAY;
	}
	if (n >= rx->bolus_max_24h) {
		/* the (n - max)-th start in the window must leave it */
		uint32_t k = n - rx->bolus_max_24h;
		for (uint32_t i = 0; i < p->hist_count; i++) {
			const pump_bolus_rec *h = hist_cat(p, i);
			if (h->start_ms > t - DAY && k-- == 0) {
				r->outcome = PUMP_BOLUS_DAILY_COUNT;
				set_next(r, h->start_ms + DAY);
				return;
			}
		}
	}
	if (relevant >= PUMP_HISTORY_MAX) { /* cannot happen within the limits */
		r->outcome = PUMP_BOLUS_DAILY_COUNT;
		set_next(r, hist_cat(p, p->hist_count - relevant)->end_ms + DAY);
		return;
	}
	if (rx->ceiling_ng_24h != 0 && !ceiling_fits(p, t, rx->bolus_dose_ng)) {
		r->outcome = PUMP_BOLUS_CEILING;
		set_next(r, ceiling_next(p, t, rx->bolus_dose_ng));
		return;
	}
	if (p->fill_drug_ng - p->drawn_ng < rx->bolus_dose_ng) {
		r->outcome = PUMP_BOLUS_RESERVOIR_LOW;
		return;
	}
	r->outcome = PUMP_BOLUS_GRANTED;
	r->ends_at_ms = t + rx->bolus_duration_ms;
}

static void grant(pump *p)
{
	int64_t t = p->now_ms;
	hist_prune(p, t);
	pump_bolus_rec *b = hist_at(p, p->hist_count);
	p->hist_count++;
	b->start_ms = t;
	b->end_ms = t + p->rx.bolus_duration_ms;
	b->dose_ng = p->rx.bolus_dose_ng;
	b->done_ng = 0;
	p->bolus_running = true;
}

int pump_bolus(pump *p, int64_t now_ms, pump_bolus_result *res)
{
	if (!p || !res)
		return PUMP_E_INVAL;
	pump_advance(p, now_ms, NULL, NULL);
	pump_bolus_check(p, res);
	p->outcomes[res->outcome]++;
	if (res->outcome == PUMP_BOLUS_GRANTED)
		grant(p);
	return res->outcome;
}

/* ---- patient and clinician actions --------------------------------------- */

int pump_silence(pump *p, int64_t now_ms, int alarm)
{
	if (!p || alarm < PUMP_ALARM_ALL || alarm >= PUMP_ALARM__COUNT)
		return PUMP_E_INVAL;
	pump_advance(p, now_ms, NULL, NULL);
	int n = 0;
	for (int i = 0; i < PUMP_ALARM__COUNT; i++) {
		if ((alarm != PUMP_ALARM_ALL && i != alarm) || !p->alarms[i].active)
			continue;
		p->alarms[i].silenced_until_ms = p->now_ms + p->rx.silence_ms;
		n++;
	}
	return n ? 0 : PUMP_E_NOT_ACTIVE;
}

int pump_clear(pump *p, int64_t now_ms, int alarm)
{
	if (!p || alarm < 0 || alarm >= PUMP_ALARM__COUNT)
		return PUMP_E_INVAL;
	pump_advance(p, now_ms, NULL, NULL);
	if (!p->alarms[alarm].active)
		return PUMP_E_NOT_ACTIVE;
	if (cause_present(p, alarm))
		return PUMP_E_CAUSE;
	clear_alarm(p, alarm, p->now_ms, NULL);
	settle(p, NULL);
	return 0;
}

/* Same basal schedule: the 24 h basal bound need not widen. */
static bool same_basal(const pump_rx *a, const pump_rx *b)
{
	return a->mode == b->mode && a->rate_ng_day == b->rate_ng_day &&
	       a->nsteps == b->nsteps &&
	       memcmp(a->steps, b->steps, sizeof a->steps) == 0;
}

int pump_program(pump *p, int64_t now_ms, const pump_rx *rx,
                 const char **field_out)
{
	if (field_out)
		*field_out = NULL;
	if (!p || !rx)
		return PUMP_E_INVAL;
	int rc = pump_rx_validate(rx, field_out);
	if (rc < 0)
		return rc;
	if (rx->concentration_ng_ml != p->rx.concentration_ng_ml) {
		if (field_out)
			*field_out = "concentration_ng_ml";
		return PUMP_E_RANGE;
	}
	if (rx->capacity_nl != p->rx.capacity_nl) {
		if (field_out)
			*field_out = "capacity_nl";
		return PUMP_E_RANGE;
	}
	/* decide on a copy so a refusal changes nothing, not even the time */
	pump q = *p;
	pump_advance(&q, now_ms, NULL, NULL);
	int64_t t = q.now_ms;
	uint32_t peak = pump_rx_max_rate(&q.rx);
	if (q.prog_changed_ms > t - DAY && q.peak_rate_ng_day > peak)
		peak = q.peak_rate_ng_day;
	if (pump_rx_max_rate(rx) > peak)
		peak = pump_rx_max_rate(rx);
	bool same = same_basal(&q.rx, rx);
	uint64_t bound = same ? basal_bound(&q, t) : (uint64_t)peak + 1u;
	if (rx->ceiling_ng_24h != 0 &&
	    bound + committed_ng(&q, t) > rx->ceiling_ng_24h) {
		if (field_out)
			*field_out = "ceiling_ng_24h";
		return PUMP_E_CEILING;
	}
	uint32_t life = q.rx.battery_life_days;
	if (!same) {
		q.prog_changed_ms = t;
		q.peak_rate_ng_day = peak;
	}
	q.rx = *rx;
	q.rx.battery_life_days = life;
	settle(&q, NULL);
	*p = q;
	return 0;
}

int pump_refill(pump *p, int64_t now_ms, uint32_t volume_nl,
                uint32_t concentration_ng_ml)
{
	if (!p)
		return PUMP_E_INVAL;
	pump_rx rx = p->rx;
	rx.concentration_ng_ml = concentration_ng_ml;
	if (volume_nl < 1 || volume_nl > p->rx.capacity_nl ||
	    pump_rx_validate(&rx, NULL) < 0)
		return PUMP_E_RANGE;
	pump_advance(p, now_ms, NULL, NULL);
	refill_to(p, volume_nl, concentration_ng_ml);
	p->rx.concentration_ng_ml = concentration_ng_ml;
	if (!cause_present(p, PUMP_ALARM_LOW_RESERVOIR))
		clear_alarm(p, PUMP_ALARM_LOW_RESERVOIR, p->now_ms, NULL);
	if (!cause_present(p, PUMP_ALARM_EMPTY))
		clear_alarm(p, PUMP_ALARM_EMPTY, p->now_ms, NULL);
	settle(p, NULL);
	return 0;
}

int pump_set_running(pump *p, int64_t now_ms, bool running)
{
	if (!p)
		return PUMP_E_INVAL;
	pump_advance(p, now_ms, NULL, NULL);
	p->running = running;
	settle(p, NULL);
	return 0;
}

int pump_fault(pump *p, int64_t now_ms, int kind, uint32_t arg)
{
	if (!p || kind < 0 || kind >= PUMP_FAULT__COUNT)
		return PUMP_E_INVAL;
	if (kind == PUMP_FAULT_SET_VOLUME && arg > p->rx.capacity_nl)
		return PUMP_E_RANGE;
	pump_advance(p, now_ms, NULL, NULL);
	int64_t t = p->now_ms;
	switch (kind) {
	case PUMP_FAULT_MOTOR_STALL:
		raise_alarm(p, PUMP_ALARM_MOTOR_STALL, t, NULL);
		break;
	case PUMP_FAULT_MEMORY:
		raise_alarm(p, PUMP_ALARM_MEMORY, t, NULL);
		break;
	case PUMP_FAULT_MEMORY_CRITICAL:
		raise_alarm(p, PUMP_ALARM_MEMORY_CRITICAL, t, NULL);
		break;
	case PUMP_FAULT_BATTERY_ERI:
		if (p->eos_ms > t + PUMP_ERI_BEFORE_EOS_MS)
			p->eos_ms = t + PUMP_ERI_BEFORE_EOS_MS;
		break;
	case PUMP_FAULT_BATTERY_EOS:
		if (p->eos_ms > t)
			p->eos_ms = t;
		break;
	case PUMP_FAULT_BATTERY_NEW:
		p->eos_ms = t + (int64_t)p->rx.battery_life_days * DAY;
		clear_alarm(p, PUMP_ALARM_ERI, t, NULL);
		clear_alarm(p, PUMP_ALARM_EOS, t, NULL);
		break;
	case PUMP_FAULT_SET_VOLUME:
		refill_to(p, arg, p->fill_conc);
		if (!cause_present(p, PUMP_ALARM_LOW_RESERVOIR))
			clear_alarm(p, PUMP_ALARM_LOW_RESERVOIR, t, NULL);
		if (!cause_present(p, PUMP_ALARM_EMPTY))
			clear_alarm(p, PUMP_ALARM_EMPTY, t, NULL);
		break;
	}
	settle(p, NULL);
	return 0;
}

/* ---- status -------------------------------------------------------------- */

typedef struct low_watch {
	int64_t at;
} low_watch;

static void low_seen(void *ud, const pump_event *ev)
{
	low_watch *w = ud;
	if (w->at == 0 && ev->kind == PUMP_EV_ALARM_RAISED &&
	    (ev->alarm == PUMP_ALARM_LOW_RESERVOIR || ev->alarm == PUMP_ALARM_EMPTY))
		w->at = ev->at_ms;
}

/* When the reservoir reaches the low threshold if basal runs and every
 * allowed bolus is taken as soon as it is allowed (0 = not within 3 years or
 * not delivering). */
static int64_t forecast_refill(const pump *p)
{
	if (p->alarms[PUMP_ALARM_LOW_RESERVOIR].active ||
	    p->alarms[PUMP_ALARM_EMPTY].active)
		return p->now_ms;
	if (!delivering(p))
		return 0;
	pump q = *p;
	int64_t horizon = q.now_ms + 3 * 366 * DAY;
	low_watch w = { 0 };
	for (int i = 0; i < 200000; i++) {
		pump_bolus_result r;
		pump_bolus_check(&q, &r);
		int64_t target;
		if (r.outcome == PUMP_BOLUS_GRANTED) {
			grant(&q); /* the next try: end of lockout (>= bolus end) */
			target = q.now_ms + q.rx.bolus_lockout_ms;
		} else {
			target = r.next_at_ms > q.now_ms ? r.next_at_ms : horizon;
		}
		if (target > horizon)
			target = horizon;
		pump_advance(&q, target, low_seen, &w);
		if (w.at)
			return w.at;
		if (!delivering(&q) || q.now_ms >= horizon)
			return 0;
	}
	return 0;
}

/* The earliest time a request would be granted, following the refusals'
 * next times on a copy (0 = not foreseeable). */
static int64_t next_grant(const pump *p, int32_t *now_outcome)
{
	pump_bolus_result r;
	pump_bolus_check(p, &r);
	*now_outcome = r.outcome;
	if (r.outcome == PUMP_BOLUS_GRANTED)
		return p->now_ms;
	pump q = *p;
	for (int i = 0; i < 16; i++) {
		if (r.next_at_ms <= q.now_ms)
			return 0;
		pump_advance(&q, r.next_at_ms, NULL, NULL);
		pump_bolus_check(&q, &r);
		if (r.outcome == PUMP_BOLUS_GRANTED)
			return q.now_ms;
	}
	return 0;
}

void pump_status(const pump *p, int64_t now_ms, pump_snapshot *o)
{
	if (!o)
		return;
	memset(o, 0, sizeof *o);
	if (!p)
		return;
	pump q = *p;
	pump_advance(&q, now_ms, NULL, NULL);
	const pump_rx *rx = &q.rx;
	o->now_ms = q.now_ms;
	o->mode = rx->mode;
	o->running = q.running;
	o->delivering = delivering(&q);
	memcpy(o->drug, rx->drug, sizeof o->drug);
	o->concentration_ng_ml = rx->concentration_ng_ml;
	o->reservoir_nl = pump_reservoir_nl(&q);
	o->capacity_nl = rx->capacity_nl;
	o->low_threshold_nl = rx->low_threshold_nl;
	o->basal_rate_ng_day = o->delivering ? rate_at(rx, q.now_ms) : 0;
	o->bolus_enabled = rx->bolus_enabled;
	o->bolus_dose_ng = rx->bolus_dose_ng;
	o->bolus_duration_ms = rx->bolus_duration_ms;
	o->bolus_lockout_ms = rx->bolus_lockout_ms;
	o->bolus_max_24h = rx->bolus_max_24h;
	o->ceiling_ng_24h = rx->ceiling_ng_24h;
	o->bolus_running = q.bolus_running;
	o->bolus_ends_ms = q.bolus_running ? hist_last(&q)->end_ms : 0;
	for (uint32_t i = 0; i < q.hist_count; i++)
		o->boluses_24h += hist_cat(&q, i)->start_ms > q.now_ms - DAY;
	o->next_bolus_ms = next_grant(&q, &o->bolus_now);
	o->next_refill_ms = forecast_refill(&q);
	o->eri_ms = eri_ms(&q);
	o->eos_ms = q.eos_ms;
	/* highest priority first, then oldest first */
	for (int prio = PUMP_PRIO_HIGH; prio >= PUMP_PRIO_LOW; prio--) {
		uint32_t from = o->nalarms;
		for (int i = 0; i < PUMP_ALARM__COUNT; i++) {
			if (!q.alarms[i].active || pump_alarm_priority(i) != prio)
				continue;
			uint32_t k = o->nalarms++;
			while (k > from && o->alarms[k - 1].raised_ms >
			                       q.alarms[i].raised_ms) {
				o->alarms[k] = o->alarms[k - 1];
				k--;
			}
			o->alarms[k].id = i;
			o->alarms[k].priority = prio;
			o->alarms[k].raised_ms = q.alarms[i].raised_ms;
			o->alarms[k].silenced_until_ms = q.alarms[i].silenced_until_ms;
		}
	}
	memcpy(o->outcomes, q.outcomes, sizeof o->outcomes);
	o->basal_ng = q.basal_ng;
	o->bolus_ng = q.bolus_ng;
	o->delivered_ng = q.basal_ng + q.bolus_ng;
	o->delivered_nl = q.delivered_nl + (q.fill_nl - pump_reservoir_nl(&q));
}
