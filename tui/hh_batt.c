/*
 * tui/hh_batt.c — the remote's own battery (see hh.h): it drains with time
 * (pump time on a simulated pump, so a fast clock or a skip drains it
 * too) and with each request sent; empty, the remote stops until new
 * batteries go in.  Levels in parts per million of a full battery.
 */
#include "tui/hh_impl.h"

/* time that counts for the battery since the last commit: pump time on a
 * simulated pump, else the remote's own */
static uint64_t batt_elapsed(const hh *h, uint64_t now)
{
	if (!h->batt_started)
		return 0;                 /* counts from the first thing that happens */
	if (h->have && (h->st.flags & MSG_F_SIMULATED)) {
		uint64_t pn = hh_pump_now(h, now);
		return pn > h->batt_ref_pump ? pn - h->batt_ref_pump : 0;
	}
	return now > h->batt_ref_local ? now - h->batt_ref_local : 0;
}

static uint32_t batt_level(const hh *h, uint64_t now)
{
	uint64_t el = batt_elapsed(h, now);
	if (el >= h->batt_life_ms)
		return 0;
	/* el < life <= 100 years: el * 1e6 fits in 64 bits */
	uint64_t drain = el * HH_BATT_FULL / h->batt_life_ms;
	return drain >= h->batt_ppm ? 0 : h->batt_ppm - (uint32_t)drain;
}

void hh_batt_commit(hh *h, uint64_t now)
{
	h->batt_ppm = batt_level(h, now);
	h->batt_ref_local = now;
	h->batt_ref_pump = hh_pump_now(h, now);
	h->batt_started = 1;
}

void hh_batt_state(hh *h, int had, uint64_t ref_pump)
{
	/* the battery counts from where the last estimate was: a clock that
	 * jumped forward drained it by the jump; one set back does not
	 * recharge it */
	if (!had)
		h->batt_ref_pump = h->st.now_ms;
	else
		h->batt_ref_pump = ref_pump < h->st.now_ms ? ref_pump : h->st.now_ms;
}

void hh_battery_config(hh *h, uint64_t life_ms, uint32_t requests)
{
	h->batt_life_ms = life_ms ? life_ms : HH_BATT_LIFE_MS;
	if (h->batt_life_ms > HH_BATT_LIFE_MAX_MS)
		h->batt_life_ms = HH_BATT_LIFE_MAX_MS;
	h->batt_requests = requests ? requests : HH_BATT_REQUESTS;
}

void hh_set_remote_battery(hh *h, int pct, uint64_t now)
{
	pct = pct < 0 ? 0 : pct > 100 ? 100 : pct;
	hh_batt_commit(h, now);
	h->batt_ppm = (uint32_t)pct * (HH_BATT_FULL / 100u);
}

uint32_t hh_remote_battery_ppm(const hh *h, uint64_t now)
{
	return batt_level(h, now);
}

int hh_remote_battery(const hh *h, uint64_t now)
{
	uint32_t p = batt_level(h, now);
	return (int)((p + HH_BATT_FULL / 100u - 1u) / (HH_BATT_FULL / 100u));  /* 1% until empty */
}

int hh_remote_dead(const hh *h, uint64_t now)
{
	return batt_level(h, now) == 0;
}

void hh_remote_use(hh *h, uint64_t now)
{
	hh_batt_commit(h, now);
	uint32_t cost = HH_BATT_FULL / h->batt_requests;
	if (cost == 0)
		cost = 1;
	h->batt_ppm = h->batt_ppm > cost ? h->batt_ppm - cost : 0;
}

void hh_replace_batteries(hh *h, uint64_t now)
{
	hh_batt_commit(h, now);
	h->batt_ppm = HH_BATT_FULL;
	hh_message(h, "New batteries in the remote: 100%", HH_TONE_GOOD, now);
}

uint64_t hh_batt_next_change(const hh *h, uint64_t now, uint64_t *pump_ms)
{
	/* the next whole percent down (the last: empty) */
	uint32_t p = batt_level(h, now);
	if (p == 0)
		return 0;
	uint32_t step = HH_BATT_FULL / 100u;
	uint32_t below = p % step ? p - p % step : p - step;
	uint64_t d = (uint64_t)(p - below);
	/* time for d ppm, rounded up: never shown before it happened */
	uint64_t ms = (d * h->batt_life_ms + HH_BATT_FULL - 1u) / HH_BATT_FULL;
	/* from the last commit's view: the time already counted is in p */
	*pump_ms = ms;
	return 1;
}
