/*
 * pumpd/ratelimit.h — a token bucket: at most `burst` at once, refilled at
 * `per_s` a second.  Pure arithmetic on a time the caller reads (any clock
 * in ms that never goes back); plain data, owned by the caller.
 */
#ifndef PTM_PUMPD_RATELIMIT_H
#define PTM_PUMPD_RATELIMIT_H

#include <stdint.h>

struct ratelimit {
	int64_t milli;     /* tokens x 1000 (sub-token refill is kept) */
	int64_t at_ms;     /* when milli was last brought up to date */
	int primed;        /* 0: the next take finds a full bucket */
};

/* Take one token at now_ms: 1 if there was one, 0 if not (nothing taken).
 * A zeroed struct is a full bucket. */
int ratelimit_take(struct ratelimit *b, int64_t now_ms, uint32_t burst,
                   uint32_t per_s);

#endif
