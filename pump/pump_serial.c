/*
 * pump/pump_serial.c — the pump state as bytes, for the durable store.
 *
 * Layout (version 5), every integer big-endian:
 *   "PTMP" u16 version u16 flags(0)  body  u32 FNV-1a of all bytes before
 * The body lists each field of pump_rx and pump in a fixed order (see
 * put_pump); only the used history records are written.  Version 2 adds a
 * u8 kind to each history record and, at the end, the configuration
 * (tubing_nl, catheter_mm, catheter_nl_per_mm) and the bridge due
 * (bridge_conc, bridge_rate_ng_day), all u32.  Version 1 still loads: its
 * boluses are the patient's, no configuration, no bridge due; it is written
 * back as the newest.  Version 3 appends the delivery faults: reach_pct
 * (u32), reached_ng (u64), reach_rem (u32), stall_until_ms (i64); a
 * version 1 or 2 pump had none: all its drug reached the patient
 * (reached_ng = basal_ng + bolus_ng, reach_pct 100).  Version 4 appends
 * the prescription's time zone (pump_zone): the name (48 bytes, NUL
 * padded), std_ms (i32), dst (u8), dst_ms (i32), then the start and end
 * rules, each month, week, wday (u32) and time_ms (i32); a version 1..3
 * prescription had none (UTC).  Version 5 appends change_bound_ng (u32);
 * before it the bound after a change was peak_rate_ng_day.  Loading checks the
 * checksum, then every field's range and the cross-field invariants, into a
 * scratch copy; the caller's pump is written only when all of it is good.
 * Pure: no I/O, no allocation.
 */
#include "pump/pump_int.h"

#include <string.h>

#define MAGIC "PTMP"
#define VERSION 5u
#define DAY PUMP_MS_PER_DAY

/* The alarms in the order version 1 stores them (the model's first order;
 * the enum since took the protocol's numbers). */
static const int stored_alarms[PUMP_ALARM__COUNT - 1] = {
	PUMP_ALARM_LOW_RESERVOIR, PUMP_ALARM_ERI, PUMP_ALARM_MEMORY,
	PUMP_ALARM_EMPTY, PUMP_ALARM_EOS, PUMP_ALARM_MOTOR_STALL,
	PUMP_ALARM_MEMORY_CRITICAL,
};

/* ---- writer -------------------------------------------------------------- */

typedef struct wr {
	uint8_t *b;
	size_t cap, n;
	bool over;
} wr;

static void put_bytes(wr *w, const void *src, size_t len)
{
	if (w->over || w->cap - w->n < len) {
		w->over = true;
		return;
	}
	memcpy(w->b + w->n, src, len);
	w->n += len;
}

static void put_u64(wr *w, uint64_t v)
{
	uint8_t b[8];
	for (int i = 0; i < 8; i++)
		b[i] = (uint8_t)(v >> (56 - 8 * i));
	put_bytes(w, b, 8);
}

static void put_u32(wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	                 (uint8_t)(v >> 8), (uint8_t)v };
	put_bytes(w, b, 4);
}

static void put_u16(wr *w, uint16_t v)
{
	uint8_t b[2] = { (uint8_t)(v >> 8), (uint8_t)v };
	put_bytes(w, b, 2);
}

static void put_u8(wr *w, uint8_t v) { put_bytes(w, &v, 1); }
static void put_i64(wr *w, int64_t v) { put_u64(w, (uint64_t)v); }

static uint32_t fnv1a(const uint8_t *b, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++) {
		h ^= b[i];
		h *= 16777619u;
	}
	return h;
}

uint32_t pump_serial_sum(const uint8_t *b, size_t n)
{
	return fnv1a(b, n);
}

/* ---- reader -------------------------------------------------------------- */

typedef struct rd {
	const uint8_t *b;
	size_t len, n;
	bool bad;
} rd;

static const uint8_t *get_bytes(rd *r, size_t len)
{
	if (r->bad || r->len - r->n < len) {
		r->bad = true;
		return NULL;
	}
	const uint8_t *p = r->b + r->n;
	r->n += len;
	return p;
}

static uint64_t get_u64(rd *r)
{
	const uint8_t *p = get_bytes(r, 8);
	uint64_t v = 0;
	for (int i = 0; p && i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static uint32_t get_u32(rd *r)
{
	const uint8_t *p = get_bytes(r, 4);
	return p ? (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 |
	           (uint32_t)p[2] << 8 | p[3]
	         : 0;
}

static uint16_t get_u16(rd *r)
{
	const uint8_t *p = get_bytes(r, 2);
	return p ? (uint16_t)(p[0] << 8 | p[1]) : 0;
}

static uint8_t get_u8(rd *r)
{
	const uint8_t *p = get_bytes(r, 1);
	return p ? p[0] : 0;
}

static int64_t get_i64(rd *r) { return (int64_t)get_u64(r); }

static bool get_bool(rd *r)
{
	uint8_t v = get_u8(r);
	if (v > 1)
		r->bad = true;
	return v == 1;
}

/* ---- fields -------------------------------------------------------------- */

/* The prescription's u32 fields after bolus_enabled, in stored order. */
#define RX_TAIL(X) X(bolus_dose_ng) X(bolus_duration_ms) X(lockout_ms) \
	X(max_per_24h) X(ceiling_ng_24h) X(low_threshold_nl) X(silence_ms) \
	X(battery_life_days)

static void put_rx(wr *w, const pump_rx *rx)
{
	put_bytes(w, rx->drug, PUMP_DRUG_MAX);
	put_u32(w, rx->concentration_ng_ml);
	put_u32(w, rx->capacity_nl);
	put_u32(w, (uint32_t)rx->mode);
	put_u32(w, rx->rate_ng_day);
	put_u32(w, rx->n_steps);
	for (int i = 0; i < PUMP_STEPS_MAX; i++) {
		put_u32(w, rx->steps[i].start_ms);
		put_u32(w, rx->steps[i].rate_ng_day);
	}
	put_u8(w, rx->bolus_enabled ? 1 : 0);
#define PUT(f) put_u32(w, rx->f);
	RX_TAIL(PUT)
#undef PUT
}

static void get_rx(rd *r, pump_rx *rx)
{
	const uint8_t *d = get_bytes(r, PUMP_DRUG_MAX);
	if (d)
		memcpy(rx->drug, d, PUMP_DRUG_MAX);
	rx->concentration_ng_ml = get_u32(r);
	rx->capacity_nl = get_u32(r);
	rx->mode = (int32_t)get_u32(r);
	rx->rate_ng_day = get_u32(r);
	rx->n_steps = get_u32(r);
	for (int i = 0; i < PUMP_STEPS_MAX; i++) {
		rx->steps[i].start_ms = get_u32(r);
		rx->steps[i].rate_ng_day = get_u32(r);
	}
	rx->bolus_enabled = get_bool(r);
#define GET(f) rx->f = get_u32(r);
	RX_TAIL(GET)
#undef GET
}

static void put_rule(wr *w, const pump_zone_rule *z)
{
	put_u32(w, z->month);
	put_u32(w, z->week);
	put_u32(w, z->wday);
	put_u32(w, (uint32_t)z->time_ms);
}

static void put_zone(wr *w, const pump_zone *z)
{
	put_bytes(w, z->name, PUMP_ZONE_NAME_MAX);
	put_u32(w, (uint32_t)z->std_ms);
	put_u8(w, z->dst ? 1 : 0);
	put_u32(w, (uint32_t)z->dst_ms);
	put_rule(w, &z->start);
	put_rule(w, &z->end);
}

static void get_rule(rd *r, pump_zone_rule *z)
{
	z->month = get_u32(r);
	z->week = get_u32(r);
	z->wday = get_u32(r);
	z->time_ms = (int32_t)get_u32(r);
}

static void get_zone(rd *r, pump_zone *z)
{
	const uint8_t *d = get_bytes(r, PUMP_ZONE_NAME_MAX);
	if (d)
		memcpy(z->name, d, PUMP_ZONE_NAME_MAX);
	z->std_ms = (int32_t)get_u32(r);
	z->dst = get_bool(r);
	z->dst_ms = (int32_t)get_u32(r);
	get_rule(r, &z->start);
	get_rule(r, &z->end);
}

static void put_pump(wr *w, const pump *p)
{
	put_rx(w, &p->rx);
	put_i64(w, p->now_ms);
	put_i64(w, p->created_ms);
	put_u8(w, p->running ? 1 : 0);
	put_u32(w, p->fill_nl);
	put_u32(w, p->fill_conc);
	put_u64(w, p->fill_drug_ng);
	put_u64(w, p->drawn_ng);
	put_u64(w, p->basal_rem);
	put_u8(w, p->bolus_running ? 1 : 0);
	put_u32(w, p->hist_first);
	put_u32(w, p->hist_count);
	for (uint32_t i = 0; i < p->hist_count && i < PUMP_HISTORY_MAX; i++) {
		const pump_bolus_rec *h =
			&p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
		put_i64(w, h->start_ms);
		put_i64(w, h->end_ms);
		put_u32(w, h->dose_ng);
		put_u32(w, h->done_ng);
		put_u8(w, (uint8_t)h->kind);
	}
	put_i64(w, p->prog_changed_ms);
	put_u32(w, p->peak_rate_ng_day);
	put_i64(w, p->eos_ms);
	for (int k = 0; k < PUMP_ALARM__COUNT - 1; k++) {
		const pump_alarm_state *a = &p->alarms[stored_alarms[k]];
		put_u8(w, a->active ? 1 : 0);
		put_i64(w, a->raised_ms);
		put_i64(w, a->silenced_until_ms);
	}
	for (int i = 0; i < PUMP_BOLUS__COUNT; i++)
		put_u32(w, p->outcomes[i]);
	put_u64(w, p->basal_ng);
	put_u64(w, p->bolus_ng);
	put_u64(w, p->delivered_nl);
	put_u64(w, p->filled_nl);
	put_u64(w, p->removed_nl);
	put_u32(w, p->cfg.tubing_nl);
	put_u32(w, p->cfg.catheter_mm);
	put_u32(w, p->cfg.catheter_nl_per_mm);
	put_u32(w, p->bridge_conc);
	put_u32(w, p->bridge_rate_ng_day);
	put_u32(w, p->reach_pct);
	put_u64(w, p->reached_ng);
	put_u32(w, p->reach_rem);
	put_i64(w, p->stall_until_ms);
	put_zone(w, &p->rx.zone);
	put_u32(w, p->change_bound_ng);
}

size_t pump_serialize(const pump *p, uint8_t *buf, size_t cap)
{
	if (!p || !buf)
		return 0;
	wr w = { buf, cap, 0, false };
	put_bytes(&w, MAGIC, 4);
	put_u16(&w, VERSION);
	put_u16(&w, 0);
	put_pump(&w, p);
	if (w.over)
		return 0;
	put_u32(&w, fnv1a(buf, w.n));
	return w.over ? 0 : w.n;
}

/* floor(dose * elapsed / duration), as pump_deliver.c delivers it */
static uint32_t bolus_share(const pump_bolus_rec *h, int64_t t)
{
	if (t <= h->start_ms)
		return 0;
	return (uint32_t)((uint64_t)h->dose_ng * (uint64_t)(t - h->start_ms) /
	                  (uint64_t)(h->end_ms - h->start_ms));
}

static bool in_time(int64_t t)
{
	return t >= 0 && t <= PUMP_TIME_MAX;
}

/* Range and cross-field checks of a decoded state. */
static bool state_ok(const pump *p)
{
	const int64_t far = PUMP_TIME_MAX + (int64_t)PUMP_BATTERY_DAYS_MAX * DAY;
	if (pump_rx_validate(&p->rx, NULL) < 0)
		return false;
	if (!in_time(p->now_ms) || !in_time(p->created_ms) ||
	    p->created_ms > p->now_ms)
		return false;
	if (p->fill_nl > p->rx.capacity_nl ||
	    p->fill_conc != p->rx.concentration_ng_ml ||
	    p->fill_drug_ng != (uint64_t)p->fill_nl * p->fill_conc / 1000000u ||
	    p->drawn_ng > p->fill_drug_ng || p->basal_rem >= (uint64_t)DAY)
		return false;
	if (p->hist_first >= PUMP_HISTORY_MAX || p->hist_count > PUMP_HISTORY_MAX)
		return false;
	if (p->bolus_running && (p->hist_count == 0 || !pump_delivering(p)))
		return false;
	int64_t prev_end = INT64_MIN;
	for (uint32_t i = 0; i < p->hist_count; i++) {
		const pump_bolus_rec *h =
			&p->hist[(p->hist_first + i) % PUMP_HISTORY_MAX];
		bool running = p->bolus_running && i + 1 == p->hist_count;
		if (h->kind < PUMP_KIND_PATIENT || h->kind >= PUMP_KIND__COUNT)
			return false;
		if (!in_time(h->start_ms) || h->start_ms > p->now_ms ||
		    h->end_ms < h->start_ms ||
		    h->end_ms - h->start_ms > (h->kind == PUMP_KIND_PATIENT
		                               ? PUMP_BOLUS_DUR_MAX
		                               : PUMP_CBOLUS_DUR_MAX) ||
		    h->start_ms < prev_end || h->dose_ng > PUMP_DOSE_MAX ||
		    h->done_ng > h->dose_ng)
			return false;
		if (running ? h->end_ms <= p->now_ms
		            : (h->end_ms > p->now_ms || h->done_ng != h->dose_ng))
			return false;
		/* a running bolus has delivered exactly its share so far */
		if (running && h->done_ng != bolus_share(h, p->now_ms))
			return false;
		prev_end = h->end_ms;
	}
	if (p->prog_changed_ms > p->now_ms ||
	    p->prog_changed_ms < -DAY || p->peak_rate_ng_day > PUMP_RATE_MAX ||
	    p->change_bound_ng > PUMP_RATE_MAX)
		return false;
	if (p->eos_ms < 0 || p->eos_ms > far)
		return false;
	for (int i = 0; i < PUMP_ALARM__COUNT; i++) {
		const pump_alarm_state *a = &p->alarms[i];
		if (!a->active) {
			if (a->raised_ms != 0 || a->silenced_until_ms != 0)
				return false;
		} else if (!in_time(a->raised_ms) || a->raised_ms > p->now_ms ||
		           a->silenced_until_ms < 0 ||
		           a->silenced_until_ms > p->now_ms + PUMP_SILENCE_MAX) {
			return false;
		}
	}
	if (p->basal_ng > UINT64_MAX / 2 || p->bolus_ng > UINT64_MAX / 2 ||
	    p->basal_ng + p->bolus_ng < p->drawn_ng)
		return false;
	if (p->delivered_nl > UINT64_MAX / 4 || p->removed_nl > UINT64_MAX / 4 ||
	    p->filled_nl != p->delivered_nl + p->removed_nl + p->fill_nl)
		return false;
	if (pump_config_validate(&p->cfg, NULL) < 0 ||
	    (p->bridge_conc == 0) != (p->bridge_rate_ng_day == 0) ||
	    (p->bridge_conc != 0 && (p->bridge_conc < PUMP_CONC_MIN ||
	                             p->bridge_conc > PUMP_CONC_MAX)) ||
	    p->bridge_rate_ng_day > PUMP_RATE_MAX)
		return false;
	if (p->reach_pct > 100 || p->reach_rem >= 100 ||
	    p->reached_ng > p->basal_ng + p->bolus_ng)
		return false;
	if (p->stall_until_ms != 0 &&
	    (!in_time(p->stall_until_ms) || p->stall_until_ms <= p->now_ms ||
	     !p->alarms[PUMP_ALARM_MOTOR_STALL].active))
		return false;
	return true;
}

int pump_deserialize(pump *out, const uint8_t *buf, size_t len)
{
	if (!out || !buf)
		return PUMP_E_INVAL;
	if (len < 12 || memcmp(buf, MAGIC, 4) != 0)
		return PUMP_E_CORRUPT;
	rd r = { buf, len - 4, 4, false };
	uint16_t version = get_u16(&r);
	uint16_t flags = get_u16(&r);
	if (version < 1 || version > VERSION)
		return PUMP_E_VERSION;
	uint32_t sum = (uint32_t)buf[len - 4] << 24 | (uint32_t)buf[len - 3] << 16 |
	               (uint32_t)buf[len - 2] << 8 | buf[len - 1];
	if (flags != 0 || sum != fnv1a(buf, len - 4))
		return PUMP_E_CORRUPT;

	pump p;
	memset(&p, 0, sizeof p);
	get_rx(&r, &p.rx);
	p.now_ms = get_i64(&r);
	p.created_ms = get_i64(&r);
	p.running = get_bool(&r);
	p.fill_nl = get_u32(&r);
	p.fill_conc = get_u32(&r);
	p.fill_drug_ng = get_u64(&r);
	p.drawn_ng = get_u64(&r);
	p.basal_rem = get_u64(&r);
	p.bolus_running = get_bool(&r);
	p.hist_first = get_u32(&r);
	p.hist_count = get_u32(&r);
	if (p.hist_first >= PUMP_HISTORY_MAX || p.hist_count > PUMP_HISTORY_MAX)
		return PUMP_E_CORRUPT;
	for (uint32_t i = 0; i < p.hist_count; i++) {
		pump_bolus_rec *h = &p.hist[(p.hist_first + i) % PUMP_HISTORY_MAX];
		h->start_ms = get_i64(&r);
		h->end_ms = get_i64(&r);
		h->dose_ng = get_u32(&r);
		h->done_ng = get_u32(&r);
		h->kind = version >= 2 ? get_u8(&r) : PUMP_KIND_PATIENT;
	}
	p.prog_changed_ms = get_i64(&r);
	p.peak_rate_ng_day = get_u32(&r);
	p.eos_ms = get_i64(&r);
	for (int k = 0; k < PUMP_ALARM__COUNT - 1; k++) {
		pump_alarm_state *a = &p.alarms[stored_alarms[k]];
		a->active = get_bool(&r);
		a->raised_ms = get_i64(&r);
		a->silenced_until_ms = get_i64(&r);
	}
	for (int i = 0; i < PUMP_BOLUS__COUNT; i++)
		p.outcomes[i] = get_u32(&r);
	p.basal_ng = get_u64(&r);
	p.bolus_ng = get_u64(&r);
	p.delivered_nl = get_u64(&r);
	p.filled_nl = get_u64(&r);
	p.removed_nl = get_u64(&r);
	if (version >= 2) {
		p.cfg.tubing_nl = get_u32(&r);
		p.cfg.catheter_mm = get_u32(&r);
		p.cfg.catheter_nl_per_mm = get_u32(&r);
		p.bridge_conc = get_u32(&r);
		p.bridge_rate_ng_day = get_u32(&r);
	}
	if (version >= 3) {
		p.reach_pct = get_u32(&r);
		p.reached_ng = get_u64(&r);
		p.reach_rem = get_u32(&r);
		p.stall_until_ms = get_i64(&r);
	} else {
		p.reach_pct = 100;
		p.reached_ng = p.basal_ng + p.bolus_ng;
	}
	if (version >= 4)
		get_zone(&r, &p.rx.zone);
	/* before version 5 the bound after a change was the rate rule's */
	p.change_bound_ng = version >= 5 ? get_u32(&r) : p.peak_rate_ng_day;
	if (r.bad || r.n != r.len || !state_ok(&p))
		return PUMP_E_CORRUPT;
	*out = p;
	return 0;
}
