/*
 * tui/hh_batt.h — the remote's own battery, a small pure model: it drains
 * with time and with each request; levels in parts per million.
 */
#ifndef PTM_TUI_HH_BATT_H
#define PTM_TUI_HH_BATT_H

#include <stdint.h>

#define HH_BATT_FULL        1000000u               /* parts per million */
#define HH_BATT_LIFE_MS     (90ull * 86400000u)    /* full to empty, unused */
#define HH_BATT_LIFE_MAX_MS (36500ull * 86400000u) /* 100 years */
#define HH_BATT_REQUESTS    2000u                  /* requests a full battery sends */

struct hh_batt {
	uint32_t ppm;             /* the level at the last commit */
	uint64_t ref_local, ref_pump;  /* the times it was at */
	int started;              /* refs set: the first commit starts the count */
	uint64_t life_ms;
	uint32_t requests;
};

/* a moment: the remote's ms, the pump's estimated ms, and whether pump
 * time counts (a simulated pump, so a fast clock or a skip drains it) */
struct hh_batt_at {
	uint64_t local, pump;
	int sim;
};

/* full, with life_ms and requests (0: the defaults; life capped) */
void hh_batt_init(struct hh_batt *b);
void hh_batt_config(struct hh_batt *b, uint64_t life_ms, uint32_t requests);
uint32_t hh_batt_ppm(const struct hh_batt *b, struct hh_batt_at t);
/* 0..100, 1 until empty */
int hh_batt_pct(const struct hh_batt *b, struct hh_batt_at t);
/* count the drain so far (before the state or the clock basis changes) */
void hh_batt_commit(struct hh_batt *b, struct hh_batt_at t);
/* a new state block with pump time state_ms: count from there (had: a
 * simulated one before it); a clock set back does not recharge it */
void hh_batt_rebase(struct hh_batt *b, int had, uint64_t state_ms);
void hh_batt_set_pct(struct hh_batt *b, int pct, struct hh_batt_at t);
void hh_batt_use(struct hh_batt *b, struct hh_batt_at t);      /* a request sent */
void hh_batt_fill(struct hh_batt *b, struct hh_batt_at t);     /* new batteries */
/* 1 and *ms: the (pump or local) ms to the next whole percent down; 0 when empty */
int hh_batt_next_change(const struct hh_batt *b, struct hh_batt_at t, uint64_t *ms);

#endif
