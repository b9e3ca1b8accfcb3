/*
 * tui/hh_batt.c — the remote's own battery (hh_batt.h): the level at the
 * last commit, drained since by time (pump time on a simulated pump).
 */
#include "tui/hh_batt.h"

static uint64_t batt_elapsed(const struct hh_batt *b, struct hh_batt_at t)
{
	if (!b->started)
		return 0;                 /* counts from the first thing that happens */
	if (t.sim)
		return t.pump > b->ref_pump ? t.pump - b->ref_pump : 0;
	return t.local > b->ref_local ? t.local - b->ref_local : 0;
}

uint32_t hh_batt_ppm(const struct hh_batt *b, struct hh_batt_at t)
{
	uint64_t el = batt_elapsed(b, t);
	if (el >= b->life_ms)
		return 0;
	/* el < life <= 100 years: el * 1e6 fits in 64 bits */
	uint64_t drain = el * HH_BATT_FULL / b->life_ms;
	return drain >= b->ppm ? 0 : b->ppm - (uint32_t)drain;
}

int hh_batt_pct(const struct hh_batt *b, struct hh_batt_at t)
{
	uint32_t p = hh_batt_ppm(b, t);
	return (int)((p + HH_BATT_FULL / 100u - 1u) / (HH_BATT_FULL / 100u));  /* 1% until empty */
}

void hh_batt_init(struct hh_batt *b)
{
	*b = (struct hh_batt){ .ppm = HH_BATT_FULL };
	hh_batt_config(b, 0, 0);
}

void hh_batt_config(struct hh_batt *b, uint64_t life_ms, uint32_t requests)
{
	b->life_ms = life_ms ? life_ms : HH_BATT_LIFE_MS;
	if (b->life_ms > HH_BATT_LIFE_MAX_MS)
		b->life_ms = HH_BATT_LIFE_MAX_MS;
	b->requests = requests ? requests : HH_BATT_REQUESTS;
}

void hh_batt_commit(struct hh_batt *b, struct hh_batt_at t)
{
	b->ppm = hh_batt_ppm(b, t);
	b->ref_local = t.local;
	b->ref_pump = t.pump;
	b->started = 1;
}

void hh_batt_rebase(struct hh_batt *b, int had, uint64_t state_ms)
{
	/* from where the last estimate was: a clock that jumped forward
	 * drained it by the jump; one set back does not recharge it */
	if (!had || b->ref_pump > state_ms)
		b->ref_pump = state_ms;
}

void hh_batt_set_pct(struct hh_batt *b, int pct, struct hh_batt_at t)
{
	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	hh_batt_commit(b, t);
	b->ppm = (uint32_t)pct * (HH_BATT_FULL / 100u);
}

void hh_batt_use(struct hh_batt *b, struct hh_batt_at t)
{
	hh_batt_commit(b, t);
	uint32_t cost = HH_BATT_FULL / b->requests;
	if (cost == 0)
		cost = 1;
	b->ppm = b->ppm > cost ? b->ppm - cost : 0;
}

void hh_batt_fill(struct hh_batt *b, struct hh_batt_at t)
{
	hh_batt_commit(b, t);
	b->ppm = HH_BATT_FULL;
}

int hh_batt_next_change(const struct hh_batt *b, struct hh_batt_at t, uint64_t *ms)
{
	/* the next whole percent down (the last: empty) */
	uint32_t p = hh_batt_ppm(b, t);
	if (p == 0)
		return 0;
	uint32_t step = HH_BATT_FULL / 100u;
	uint32_t below = p % step ? p - p % step : p - step;
	uint64_t d = (uint64_t)(p - below);
	/* time for d ppm, rounded up: never shown before it happened; from
	 * the last commit's view (the time already counted is in p) */
	*ms = (d * b->life_ms + HH_BATT_FULL - 1u) / HH_BATT_FULL;
	return 1;
}
