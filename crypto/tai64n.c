/* crypto/tai64n.c — TAI64N timestamps (see tai64n.h). */
#include "crypto/tai64n.h"

#include <errno.h>
#include <string.h>
#include <time.h>

#include "util/be.h"

#define TAI64_BASE 0x400000000000000aULL   /* 2^62 + 10 (TAI - UTC in 1970) */

int tai64n_from_unix(uint8_t out[TAI64N_LEN], int64_t sec, uint32_t nsec)
{
	if (nsec >= 1000000000u)
		return -EINVAL;
	uint64_t label = TAI64_BASE + (uint64_t)sec;   /* wraps mod 2^64 as intended */
	be64_put(out, label);
	be32_put(out + 8, nsec);
	return 0;
}

int tai64n_to_unix(const uint8_t in[TAI64N_LEN], int64_t *sec, uint32_t *nsec)
{
	uint64_t label = be64_get(in);
	uint32_t ns = be32_get(in + 8);
	if (label >> 63 || ns >= 1000000000u)
		return -EINVAL;
	if (sec)
		*sec = (int64_t)label - (int64_t)TAI64_BASE;
	if (nsec)
		*nsec = ns;
	return 0;
}

int tai64n_now(uint8_t out[TAI64N_LEN])
{
	struct timespec ts;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -errno;
	return tai64n_from_unix(out, (int64_t)ts.tv_sec, (uint32_t)ts.tv_nsec);
}

int tai64n_cmp(const uint8_t a[TAI64N_LEN], const uint8_t b[TAI64N_LEN])
{
	return memcmp(a, b, TAI64N_LEN);
}
