/* pumpd/ratelimit.c — token bucket (see ratelimit.h). */
#include "pumpd/ratelimit.h"

int ratelimit_take(struct ratelimit *b, int64_t now_ms, uint32_t burst,
                   uint32_t per_s)
{
	int64_t cap = (int64_t)burst * 1000;
	if (!b->primed) {
		b->milli = cap;
		b->at_ms = now_ms;
		b->primed = 1;
	}
	if (now_ms > b->at_ms) {
		/* per_s tokens a second = per_s milli-tokens a ms */
		int64_t span = now_ms - b->at_ms;
		if (per_s && span >= (cap + per_s - 1) / per_s)
			b->milli = cap;      /* long enough to fill it: no overflow */
		else
			b->milli += span * per_s;
		if (b->milli > cap)
			b->milli = cap;
		b->at_ms = now_ms;
	}
	if (b->milli < 1000)
		return 0;
	b->milli -= 1000;
	return 1;
}
