/*
 * tests/soak/soak_ledger.h — the pump's promise as rules over its ledger (the
 * granted rows of its bolus history), with no I/O: lockout start to start,
 * the rolling 24 h count, and the reservoir the ledger and the basal rate
 * imply.  Integer units: ms, ng, nL.
 *
 * The reservoir rule (pump/pump_deliver.c, docs/PROTOCOL.md 8.3), for a
 * pump created at t0 with fill_nl at conc ng/mL, a continuous basal rate,
 * never stopped, refilled or emptied since:
 *   basal(now)  = floor(rate * (now - t0) / 24 h)
 *   bolus(now)  = sum over grants g of floor(dose_g * min(now - g, dur) / dur)
 *   reservoir   = fill_nl - floor((basal + bolus) * 1e6 / conc)
 */
#ifndef PTM_TESTS_SOAK_LEDGER_H
#define PTM_TESTS_SOAK_LEDGER_H

#include <stddef.h>
#include <stdint.h>

#define SOAK_DAY_MS 86400000LL

struct soak_grant {
	int64_t remote_id;   /* remotes.id at the pump */
	int64_t at_ms;       /* pump time the bolus started */
	uint32_t dose_ng;
};

/* What the reservoir rule needs (from the first STATUS of a new pump). */
struct soak_rx {
	int64_t t0_ms;
	uint32_t fill_nl, conc_ng_ml, rate_ng_day;
	uint32_t dur_ms, lockout_ms, max_24h;
};

/* Violations in grants g[0..n) sorted by at_ms: the count, the first one
 * described in why (cap bytes). */
unsigned soak_ledger_lockout(const struct soak_grant *g, size_t n,
                             uint32_t lockout_ms, char *why, size_t cap);
unsigned soak_ledger_window(const struct soak_grant *g, size_t n,
                            uint32_t max_24h, char *why, size_t cap);

/* Grants that started in (now - 24 h, now]. */
unsigned soak_ledger_in_day(const struct soak_grant *g, size_t n, int64_t now);

/* The reservoir (nL) the rule above gives at now. */
uint32_t soak_ledger_reservoir(const struct soak_rx *rx,
                               const struct soak_grant *g, size_t n,
                               int64_t now);

/* 1 when g[0..n) (sorted by at_ms) holds this grant. */
int soak_ledger_has(const struct soak_grant *g, size_t n,
                    const struct soak_grant *want);

#endif
