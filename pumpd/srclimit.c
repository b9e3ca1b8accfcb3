/* pumpd/srclimit.c — connection rate limits by source (see srclimit.h). */
#include "pumpd/srclimit.h"

#include <netinet/in.h>
#include <string.h>

/* The source's key: IPv4 as ::ffff:a.b.c.d, IPv6 by its /64 (one host
 * usually holds a whole /64).  0, or -1 for a family we do not limit. */
static int source_key(const struct sockaddr *sa, uint8_t key[16])
{
	memset(key, 0, 16);
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		key[10] = key[11] = 0xff;
		memcpy(key + 12, &in->sin_addr, 4);
		return 0;
	}
	if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)(const void *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;
		static const uint8_t v4mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		memcpy(key, a, memcmp(a, v4mapped, 12) == 0 ? 16 : 8);
		return 0;
	}
	return -1;
}

int srclimit_admit(struct srclimit *t, const struct sockaddr *sa, int64_t now_ms,
                   int *first_refusal)
{
	uint8_t key[16];
	*first_refusal = 0;
	if (!sa || source_key(sa, key) < 0)
		return 1;
	unsigned i, pick = 0;
	for (i = 0; i < SRCLIMIT_SLOTS; i++) {
		if (t->slot[i].used && memcmp(t->slot[i].key, key, 16) == 0)
			break;
		/* else remember a free slot, or the one seen longest ago */
		if (!t->slot[i].used ? t->slot[pick].used :
		    t->slot[pick].used && t->slot[i].rl.at_ms < t->slot[pick].rl.at_ms)
			pick = i;
	}
	if (i == SRCLIMIT_SLOTS) {
		i = pick;
		memset(&t->slot[i], 0, sizeof t->slot[i]);
		memcpy(t->slot[i].key, key, 16);
		t->slot[i].used = 1;
	}
	if (ratelimit_take(&t->slot[i].rl, now_ms, SRCLIMIT_BURST, SRCLIMIT_PER_S)) {
		/* the flood is over when the bucket was full again */
		if (t->slot[i].rl.milli >= (int64_t)(SRCLIMIT_BURST - 1) * 1000)
			t->slot[i].warned = 0;
		return 1;
	}
	if (!t->slot[i].warned) {
		t->slot[i].warned = 1;
		*first_refusal = 1;
	}
	return 0;
}
