/*
 * pump/pump_rx.c — the prescription: demo default, validation, schedule
 * arithmetic, and the stable names of alarms, outcomes, events and faults.
 * Pure: no I/O, no allocation.
 */
#include "pump/pump.h"

#include <string.h>

void pump_rx_default(pump_rx *rx)
{
	memset(rx, 0, sizeof *rx);
	memcpy(rx->drug, "morphine", sizeof "morphine");
	rx->concentration_ng_ml = 10000000u;  /* 10 mg/mL */
	rx->capacity_nl = PUMP_CAPACITY_20ML;
	rx->mode = PUMP_MODE_CONTINUOUS;
	rx->rate_ng_day = 3000000u;           /* 3 mg/day */
	rx->n_steps = 0;
	rx->bolus_enabled = true;
	rx->bolus_dose_ng = 500000u;          /* 0.5 mg */
	rx->bolus_duration_ms = 10u * 60000u; /* 10 min */
	rx->lockout_ms = 2u * 3600000u; /* 2 h */
	rx->max_per_24h = 6;
	rx->ceiling_ng_24h = 7000000u;        /* 7 mg */
	rx->low_threshold_nl = 2000000u;      /* 2 mL */
	rx->silence_ms = 3600000u;            /* 1 h */
	rx->battery_life_days = 6u * 365u + 1u;
}

uint32_t pump_rx_max_rate(const pump_rx *rx)
{
	uint32_t m = 0;
	if (rx->mode == PUMP_MODE_CONTINUOUS)
		return rx->rate_ng_day;
	if (rx->mode != PUMP_MODE_FLEXIBLE)
		return 0;
	for (uint32_t i = 0; i < rx->n_steps && i < PUMP_STEPS_MAX; i++)
		if (rx->steps[i].rate_ng_day > m)
			m = rx->steps[i].rate_ng_day;
	return m;
}

uint32_t pump_rx_daily_ng(const pump_rx *rx)
{
	if (rx->mode == PUMP_MODE_CONTINUOUS)
		return rx->rate_ng_day;
	if (rx->mode != PUMP_MODE_FLEXIBLE)
		return 0;
	/* sum rate_i * len_i / day, rounded up; each term <= 1e9 * 8.64e7 */
	uint64_t acc = 0;
	uint32_t n = rx->n_steps > PUMP_STEPS_MAX ? PUMP_STEPS_MAX : rx->n_steps;
	for (uint32_t i = 0; i < n; i++) {
		uint64_t end = i + 1 < n ? rx->steps[i + 1].start_ms
		                         : (uint64_t)PUMP_MS_PER_DAY;
		uint64_t len = end > rx->steps[i].start_ms
		                   ? end - rx->steps[i].start_ms : 0;
		acc += (uint64_t)rx->steps[i].rate_ng_day * len;
	}
	return (uint32_t)((acc + (uint64_t)PUMP_MS_PER_DAY - 1) /
	                  (uint64_t)PUMP_MS_PER_DAY);
}

/* ---- the most basal of any real 24 h (zones with daylight saving) ------- */

/* The steps in bounds, whatever rx holds. */
static uint32_t steps_n(const pump_rx *rx)
{
	return rx->n_steps < PUMP_STEPS_MAX ? rx->n_steps : PUMP_STEPS_MAX;
}

static int64_t tod(int64_t x)
{
	int64_t r = x % PUMP_MS_PER_DAY;
	return r < 0 ? r + PUMP_MS_PER_DAY : r;
}

/* The schedule's integral (rate * ms) over [0, x) of a local day. */
static int64_t cum(const pump_rx *rx, int64_t x)
{
	int64_t acc = 0;
	uint32_t n = steps_n(rx);
	for (uint32_t i = 0; i < n; i++) {
		int64_t a = rx->steps[i].start_ms;
		int64_t e = i + 1 < n ? (int64_t)rx->steps[i + 1].start_ms
		                      : PUMP_MS_PER_DAY;
		if (a >= x)
			break;
		acc += (int64_t)rx->steps[i].rate_ng_day * ((e < x ? e : x) - a);
	}
	return acc;
}

/* ... over the local [y, y + len) of any day, 0 <= len <= 24 h. */
static int64_t span(const pump_rx *rx, int64_t y, int64_t len)
{
	y = tod(y);
	int64_t e = y + len;
	if (e <= PUMP_MS_PER_DAY)
		return cum(rx, e) - cum(rx, y);
	return cum(rx, PUMP_MS_PER_DAY) - cum(rx, y) + cum(rx, e - PUMP_MS_PER_DAY);
}

/* The rate at local time x. */
static int64_t rate_local(const pump_rx *rx, int64_t x)
{
	x = tod(x);
	uint32_t i = 0, n = steps_n(rx);
	while (i + 1 < n && (int64_t)rx->steps[i + 1].start_ms <= x)
		i++;
	return n ? rx->steps[i].rate_ng_day : 0;
}

/* The most a real 24 h holds (rate * ms) across a change at local time L
 * (the clock before it) that skips (jump) or holds (!jump) sh ms; d is the
 * day's integral.  Every window is one of a few shapes whose integral is
 * piecewise linear in its position, so the most is at a breakpoint: an edge
 * at a step's start (docs/PROTOCOL.md 8.13):
 *   skip:  the window's local time runs 24 h + sh less the skipped
 *          [L, L + sh): d + span(y, sh) - span(L, sh), y anywhere;
 *   hold:  the held rate r (in force at L - 1 ms) for the h <= sh ms of the
 *          held span inside the window, and 24 h - h of local time:
 *          holding all of it, d + sh r - span(y, sh) for y in
 *          [L, L + 24 h - sh]; starting inside it, d + h r - span(L - h, h);
 *          ending inside it, d + h r - span(L, h). */
static int64_t night_most(const pump_rx *rx, int64_t L, int64_t sh, bool jump,
                          int64_t d)
{
	uint32_t n = steps_n(rx);
	int64_t best = d;
	if (jump) {
		int64_t skip = span(rx, L, sh);
		for (uint32_t i = 0; i < n; i++)
			for (int k = 0; k < 2; k++) {
				int64_t v = d + span(rx, rx->steps[i].start_ms - k * sh, sh) -
				            skip;
				best = v > best ? v : best;
			}
		return best;
	}
	int64_t r = rate_local(rx, L - 1);
	/* all of the held span: y at its range's ends or a step edge */
	for (uint32_t i = 0; i <= n; i++)
		for (int k = 0; k < 2; k++) {
			int64_t y = i < n ? (int64_t)rx->steps[i].start_ms - k * sh
			                  : L + k * (PUMP_MS_PER_DAY - sh);
			if (tod(y - L) > PUMP_MS_PER_DAY - sh)
				continue;
			int64_t v = d + sh * r - span(rx, y, sh);
			best = v > best ? v : best;
		}
	/* part of it, at a window's start or end: h at 0, sh or a step edge */
	for (uint32_t i = 0; i <= n; i++)
		for (int k = 0; k < 2; k++) {
			int64_t s = i < n ? rx->steps[i].start_ms : L;
			int64_t h = i < n ? (k == 0 ? tod(L - s) : tod(s - L)) : k * sh;
			if (h > sh)
				continue;
			int64_t v = d + h * r - (k == 0 ? span(rx, L - h, h)
			                                : span(rx, L, h));
			best = v > best ? v : best;
		}
	return best;
}

uint32_t pump_rx_day_bound_ng(const pump_rx *rx)
{
	if (rx->mode != PUMP_MODE_FLEXIBLE || !rx->zone.dst)
		return pump_rx_daily_ng(rx);
	const pump_zone *z = &rx->zone;
	int64_t d = cum(rx, PUMP_MS_PER_DAY);
	int64_t shift = (int64_t)z->dst_ms - z->std_ms;
	int64_t sh = shift < 0 ? -shift : shift;
	if (sh > PUMP_ZONE_SHIFT_MAX)
		sh = PUMP_ZONE_SHIFT_MAX;
	/* the start takes std to dst, the end dst to std: one skips, the
	 * other holds (Dublin's daylight saving is below standard time) */
	int64_t a = night_most(rx, z->start.time_ms, sh, shift > 0, d);
	int64_t b = night_most(rx, z->end.time_ms, sh, shift < 0, d);
	int64_t most = a > b ? a : b;
	uint64_t ng = ((uint64_t)most + (uint64_t)PUMP_MS_PER_DAY - 1) /
	              (uint64_t)PUMP_MS_PER_DAY;
	return ng > UINT32_MAX ? UINT32_MAX : (uint32_t)ng;
}

#define BAD(name) do { if (field_out) *field_out = (name); \
                       return PUMP_E_RANGE; } while (0)

int pump_rx_validate(const pump_rx *rx, const char **field_out)
{
	if (field_out)
		*field_out = NULL;
	if (!rx) {
		if (field_out)
			*field_out = "rx";
		return PUMP_E_INVAL;
	}
	size_t len = 0;
	while (len < PUMP_DRUG_MAX && rx->drug[len] != '\0')
		len++;
	if (len == 0 || len >= PUMP_DRUG_MAX)
		BAD("drug");
	for (size_t i = 0; i < len; i++)
		if ((unsigned char)rx->drug[i] < 0x20 ||
		    (unsigned char)rx->drug[i] > 0x7e)
			BAD("drug");
	for (size_t i = len; i < PUMP_DRUG_MAX; i++)
		if (rx->drug[i] != '\0')
			BAD("drug");
	if (rx->concentration_ng_ml < PUMP_CONC_MIN ||
	    rx->concentration_ng_ml > PUMP_CONC_MAX)
		BAD("concentration_ng_ml");
	if (rx->capacity_nl != PUMP_CAPACITY_20ML &&
	    rx->capacity_nl != PUMP_CAPACITY_40ML)
		BAD("capacity_nl");
	if (rx->mode != PUMP_MODE_STOPPED && rx->mode != PUMP_MODE_CONTINUOUS &&
	    rx->mode != PUMP_MODE_FLEXIBLE)
		BAD("mode");
	/* the mechanism moves at most 24 mL/day: rate*1e6/conc <= 24e6 nL */
	uint64_t rate_cap = (uint64_t)rx->concentration_ng_ml *
	                    (PUMP_FLOW_MAX_NL_DAY / 1000000u);
	if (rate_cap > PUMP_RATE_MAX)
		rate_cap = PUMP_RATE_MAX;
	if (rx->rate_ng_day > rate_cap)
		BAD("rate_ng_day");
	if (rx->n_steps > PUMP_STEPS_MAX)
		BAD("n_steps");
	if (rx->mode == PUMP_MODE_FLEXIBLE && rx->n_steps < 1)
		BAD("n_steps");
	for (uint32_t i = 0; i < PUMP_STEPS_MAX; i++) {
		const pump_step *s = &rx->steps[i];
		if (i >= rx->n_steps) {
			if (s->start_ms != 0 || s->rate_ng_day != 0)
				BAD("steps");
			continue;
		}
		if (s->rate_ng_day > rate_cap)
			BAD("steps.rate_ng_day");
		if (i == 0 ? s->start_ms != 0
		           : (s->start_ms <= rx->steps[i - 1].start_ms ||
		              s->start_ms >= (uint32_t)PUMP_MS_PER_DAY))
			BAD("steps.start_ms");
	}
	if (rx->bolus_enabled) {
		uint64_t vol = (uint64_t)rx->bolus_dose_ng * 1000000u;
		if (rx->bolus_dose_ng < 1 || rx->bolus_dose_ng > PUMP_DOSE_MAX ||
		    vol > (uint64_t)rx->capacity_nl * rx->concentration_ng_ml)
			BAD("bolus_dose_ng");
		if (rx->bolus_duration_ms < PUMP_BOLUS_DUR_MIN ||
		    rx->bolus_duration_ms > PUMP_BOLUS_DUR_MAX)
			BAD("bolus_duration_ms");
		if (rx->lockout_ms < rx->bolus_duration_ms ||
		    rx->lockout_ms > PUMP_LOCKOUT_MAX)
			BAD("lockout_ms");
		if (rx->max_per_24h < 1 || rx->max_per_24h > PUMP_MAX24_MAX)
			BAD("max_per_24h");
	} else {
		/* kept for when it is enabled again: within the limits */
		if (rx->bolus_dose_ng > PUMP_DOSE_MAX)
			BAD("bolus_dose_ng");
		if (rx->bolus_duration_ms > PUMP_BOLUS_DUR_MAX)
			BAD("bolus_duration_ms");
		if (rx->lockout_ms > PUMP_LOCKOUT_MAX)
			BAD("lockout_ms");
		if (rx->max_per_24h > PUMP_MAX24_MAX)
			BAD("max_per_24h");
	}
	if (pump_zone_validate(&rx->zone) != 0)
		BAD("zone");
	if (rx->ceiling_ng_24h != 0) {
		/* what the schedule delivers in any 24 h, and one dose */
		uint64_t need = (uint64_t)pump_rx_day_bound_ng(rx) +
		                (rx->bolus_enabled ? rx->bolus_dose_ng : 0u);
		if (rx->ceiling_ng_24h < need)
			BAD("ceiling_ng_24h");
	}
	if (rx->low_threshold_nl < 1 ||
	    rx->low_threshold_nl > rx->capacity_nl / 2u)
		BAD("low_threshold_nl");
	if (rx->silence_ms < PUMP_SILENCE_MIN || rx->silence_ms > PUMP_SILENCE_MAX)
		BAD("silence_ms");
	if (rx->battery_life_days < PUMP_BATTERY_DAYS_MIN ||
	    rx->battery_life_days > PUMP_BATTERY_DAYS_MAX)
		BAD("battery_life_days");
	return 0;
}

/* ---- names --------------------------------------------------------------- */

/* t[i] for first <= i < n, "?" for any other i or a gap in t */
static const char *name_at(const char *const *t, int first, int n, int i)
{
	return i >= first && i < n && t[i] ? t[i] : "?";
}

/* i of first <= i < n where t[i] is name, else PUMP_E_INVAL */
static int name_find(const char *const *t, int first, int n, const char *name)
{
	for (int i = first; name && i < n; i++)
		if (t[i] && strcmp(name, t[i]) == 0)
			return i;
	return PUMP_E_INVAL;
}

/* the protocol's names (docs/PROTOCOL.md) */
static const char *const alarm_names[PUMP_ALARM__COUNT] = {
	[PUMP_ALARM_NONE]            = "none",
	[PUMP_ALARM_LOW_RESERVOIR]   = "low_reservoir",
	[PUMP_ALARM_ERI]             = "eri",
	[PUMP_ALARM_EOS]             = "eos",
	[PUMP_ALARM_EMPTY]           = "empty",
	[PUMP_ALARM_MOTOR_STALL]     = "motor_stall",
	[PUMP_ALARM_MEMORY]          = "memory",
	[PUMP_ALARM_MEMORY_CRITICAL] = "memory_critical",
};
/* IEC 60601-1-8 style; the reasons are in pump.h */
static const int alarm_prio[PUMP_ALARM__COUNT] = {
	[PUMP_ALARM_LOW_RESERVOIR]   = PUMP_PRIO_MEDIUM,
	[PUMP_ALARM_ERI]             = PUMP_PRIO_MEDIUM,
	[PUMP_ALARM_MEMORY]          = PUMP_PRIO_LOW,
	[PUMP_ALARM_EMPTY]           = PUMP_PRIO_HIGH,
	[PUMP_ALARM_EOS]             = PUMP_PRIO_HIGH,
	[PUMP_ALARM_MOTOR_STALL]     = PUMP_PRIO_HIGH,
	[PUMP_ALARM_MEMORY_CRITICAL] = PUMP_PRIO_HIGH,
};

const char *pump_alarm_name(int alarm)
{
	return name_at(alarm_names, PUMP_ALARM_NONE, PUMP_ALARM__COUNT, alarm);
}

int pump_alarm_from_name(const char *name)
{
	return name_find(alarm_names, PUMP_ALARM_FIRST, PUMP_ALARM__COUNT, name);
}

int pump_alarm_priority(int alarm)
{
	if (alarm < PUMP_ALARM_FIRST || alarm >= PUMP_ALARM__COUNT)
		return PUMP_E_INVAL;
	return alarm_prio[alarm];
}

bool pump_alarm_is_critical(int alarm)
{
	return alarm >= PUMP_ALARM_FIRST && alarm < PUMP_ALARM__COUNT &&
	       alarm_prio[alarm] == PUMP_PRIO_HIGH;
}

static const char *const outcome_names[PUMP_BOLUS__COUNT] = {
	"granted", "lockout", "daily_count", "ceiling", "running",
	"disabled", "reservoir", "stopped", "critical",
};

const char *pump_outcome_name(int outcome)
{
	return name_at(outcome_names, 0, PUMP_BOLUS__COUNT, outcome);
}

static const char *const event_names[PUMP_EV__COUNT] = {
	[PUMP_EV_STEP_CHANGE]    = "step_change",
	[PUMP_EV_BOLUS_STARTED]  = "bolus_started",
	[PUMP_EV_BOLUS_END]      = "bolus_ended",
	[PUMP_EV_ALARM_RAISED]   = "alarm_raised",
	[PUMP_EV_ALARM_CLEARED]  = "alarm_cleared",
	[PUMP_EV_ALARM_RESOUND]  = "alarm_resound",
	[PUMP_EV_ALARM_SILENCED] = "alarm_silenced",
	[PUMP_EV_PROGRAMMED]     = "programmed",
	[PUMP_EV_REFILLED]       = "refilled",
	[PUMP_EV_STARTED]        = "started",
	[PUMP_EV_STOPPED]        = "stopped",
	[PUMP_EV_BOLUS_ABORTED]  = "bolus_cut_short",
	[PUMP_EV_FAULT]          = "fault",
	[PUMP_EV_CONFIGURED]     = "configured",
};

const char *pump_event_name(int kind)
{
	return name_at(event_names, 0, PUMP_EV__COUNT, kind);
}

/* the protocol's names */
static const char *const fault_names[PUMP_FAULT__COUNT] = {
	[PUMP_FAULT_MOTOR_STALL]     = "motor_stall",
	[PUMP_FAULT_MEMORY]          = "memory",
	[PUMP_FAULT_MEMORY_CRITICAL] = "memory_critical",
	[PUMP_FAULT_BATTERY_ERI]     = "battery_eri",
	[PUMP_FAULT_BATTERY_EOS]     = "battery_eos",
	[PUMP_FAULT_RESERVOIR]       = "reservoir",
	[PUMP_FAULT_BATTERY_NEW]     = "battery_new",
	[PUMP_FAULT_OCCLUSION]       = "occlusion",
	[PUMP_FAULT_STALL_FOR]       = "stall_for",
};

const char *pump_fault_name(int kind)
{
	return name_at(fault_names, PUMP_FAULT_MOTOR_STALL, PUMP_FAULT__COUNT, kind);
}

int pump_fault_from_name(const char *name)
{
	return name_find(fault_names, PUMP_FAULT_MOTOR_STALL, PUMP_FAULT__COUNT,
	                 name);
}

const char *pump_strerror(int err)
{
	switch (err) {
	case PUMP_OK:           return "success";
	case PUMP_E_INVAL:      return "invalid argument";
	case PUMP_E_RANGE:      return "field out of range";
	case PUMP_E_CAUSE:      return "the alarm's cause is still present";
	case PUMP_E_NOT_ACTIVE: return "the alarm is not active";
	case PUMP_E_CEILING:    return "the 24 h ceiling is below drug already "
	                               "delivered or committed in the window";
	case PUMP_E_CORRUPT:    return "pump state is corrupt";
	case PUMP_E_VERSION:    return "pump state has an unknown version";
	case PUMP_E_SPACE:      return "buffer too small";
	case PUMP_E_STATE:      return "not possible in the pump's state";
	default:                return "unknown error";
	}
}
