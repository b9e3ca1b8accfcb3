/*
 * pumpd/srclimit.h — connection rate limits by source address: one token
 * bucket (pumpd/ratelimit.h) per IPv4 address or IPv6 /64, in a fixed table
 * of SRCLIMIT_SLOTS sources (when it is full, the source seen longest ago
 * gives up its slot).  Pure: the caller passes the time and the address.
 *
 * Why a rate and not a count: a connection that has not finished its
 * handshake is dropped at the handshake deadline, so one source holds at
 * most burst + per_s x deadline connections (128 + 8 x 5 s = 168 with the
 * defaults), well under the pump's connection cap: other sources still get
 * in.  Unix sockets have no source address and are not limited here.
 *
 * Memory: plain data, owned by the caller (about 10 KB); zeroed = empty.
 */
#ifndef PTM_PUMPD_SRCLIMIT_H
#define PTM_PUMPD_SRCLIMIT_H

#include <stdint.h>
#include <sys/socket.h>

#include "pumpd/ratelimit.h"

#define SRCLIMIT_SLOTS 256
#define SRCLIMIT_BURST 128    /* connections at once from one source */
#define SRCLIMIT_PER_S 8      /* then this many a second */

struct srclimit {
	struct {
		uint8_t key[16];      /* IPv4 mapped into IPv6, or the IPv6 /64 */
		int used;
		int warned;           /* a refusal was logged since the bucket
		                         was last full */
		struct ratelimit rl;
	} slot[SRCLIMIT_SLOTS];
};

/* May a connection from sa come in at now_ms?  1 yes, 0 no (over its
 * source's rate).  *first_refusal is set to 1 on the first refusal since the
 * source's bucket was last full (log that one, not the whole flood).  sa NULL (unix)
 * or of another family: always 1. */
int srclimit_admit(struct srclimit *t, const struct sockaddr *sa, int64_t now_ms,
                   int *first_refusal);

#endif
