/* tests/soak/soak_ledger.c — the pump's promise as rules over its ledger
 * (see soak_ledger.h). */
#include "tests/soak/soak_ledger.h"

#include <inttypes.h>
#include <stdio.h>

unsigned soak_ledger_lockout(const struct soak_grant *g, size_t n,
                             uint32_t lockout_ms, char *why, size_t cap)
{
	unsigned bad = 0;
	for (size_t i = 1; i < n; i++) {
		int64_t gap = g[i].at_ms - g[i - 1].at_ms;
		if (gap >= (int64_t)lockout_ms)
			continue;
		if (bad++ == 0)
			snprintf(why, cap, "grants at %" PRId64 " and %" PRId64
			         " ms are %" PRId64 " ms apart (lockout %" PRIu32 ")",
			         g[i - 1].at_ms, g[i].at_ms, gap, lockout_ms);
	}
	return bad;
}

unsigned soak_ledger_window(const struct soak_grant *g, size_t n,
                            uint32_t max_24h, char *why, size_t cap)
{
	unsigned bad = 0;
	size_t lo = 0;
	for (size_t i = 0; i < n; i++) {
		/* the window ending at g[i]: starts in (g[i] - 24 h, g[i]] */
		while (g[lo].at_ms <= g[i].at_ms - SOAK_DAY_MS)
			lo++;
		size_t count = i - lo + 1;
		if (count <= max_24h)
			continue;
		if (bad++ == 0)
			snprintf(why, cap, "%zu grants in the 24 h ending at %" PRId64
			         " ms (at most %" PRIu32 ")", count, g[i].at_ms,
			         max_24h);
	}
	return bad;
}

unsigned soak_ledger_in_day(const struct soak_grant *g, size_t n, int64_t now)
{
	unsigned c = 0;
	for (size_t i = 0; i < n; i++)
		if (g[i].at_ms > now - SOAK_DAY_MS && g[i].at_ms <= now)
			c++;
	return c;
}

uint32_t soak_ledger_reservoir(const struct soak_rx *rx,
                               const struct soak_grant *g, size_t n,
                               int64_t now)
{
	uint64_t dt = now > rx->t0_ms ? (uint64_t)(now - rx->t0_ms) : 0;
	uint64_t day = (uint64_t)SOAK_DAY_MS;
	/* floor(rate * dt / day) without overflow */
	uint64_t drawn = (uint64_t)rx->rate_ng_day * (dt / day) +
	                 (uint64_t)rx->rate_ng_day * (dt % day) / day;
	for (size_t i = 0; i < n; i++) {
		int64_t el = now - g[i].at_ms;
		if (el <= 0)
			continue;
		if (el >= (int64_t)rx->dur_ms)
			drawn += g[i].dose_ng;
		else
			drawn += (uint64_t)g[i].dose_ng * (uint64_t)el / rx->dur_ms;
	}
	uint64_t fill_drug = (uint64_t)rx->fill_nl * rx->conc_ng_ml / 1000000u;
	if (drawn >= fill_drug)
		return 0;
	return rx->fill_nl - (uint32_t)(drawn * 1000000u / rx->conc_ng_ml);
}

int soak_ledger_has(const struct soak_grant *g, size_t n,
                    const struct soak_grant *want)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (g[mid].at_ms < want->at_ms)
			lo = mid + 1;
		else
			hi = mid;
	}
	for (size_t i = lo; i < n && g[i].at_ms == want->at_ms; i++)
		if (g[i].remote_id == want->remote_id &&
		    g[i].dose_ng == want->dose_ng)
			return 1;
	return 0;
}
