/*
 * net/peer_replay.c — the last PEER_REPLAY_SLOTS message-1 ephemeral keys a
 * server saw in an authentic message 1.  An initiator makes a fresh
 * ephemeral for every handshake, so a repeat is a replay and is refused
 * before any DH (peer_hs.c).
 *
 * A ring of slots (the oldest is reused) indexed by a hash table with
 * chains through the slots, keyed with a random SipHash key so that
 * chosen keys cannot pile into one bucket.
 */
#include "net/peer_impl.h"

#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#define BUCKETS (2 * PEER_REPLAY_SLOTS)   /* a power of two */

struct slot {
	uint8_t e[32];
	int32_t next;                 /* next slot in its chain, -1 */
};

struct peer_replay {
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	uint32_t used, oldest;        /* slots in use; the next to reuse */
	int32_t head[BUCKETS];        /* first slot of each chain, -1 */
	struct slot slot[PEER_REPLAY_SLOTS];
};

struct peer_replay *peer_replay_new(void)
{
	struct peer_replay *r = malloc(sizeof *r);
	if (!r)
		return NULL;
	randombytes_buf(r->hkey, sizeof r->hkey);
	r->used = r->oldest = 0;
	for (size_t i = 0; i < BUCKETS; i++)
		r->head[i] = -1;
	return r;
}

void peer_replay_free(struct peer_replay *r)
{
	free(r);
}

static size_t bucket(const struct peer_replay *r, const uint8_t e[32])
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	crypto_shorthash(h, e, 32, r->hkey);
	memcpy(&v, h, sizeof v);
	return (size_t)(v & (BUCKETS - 1));
}

int peer_replay_seen(const struct peer_replay *r, const uint8_t e[32])
{
	for (int32_t i = r->head[bucket(r, e)]; i >= 0; i = r->slot[i].next)
		if (sodium_memcmp(r->slot[i].e, e, 32) == 0)
			return 1;
	return 0;
}

void peer_replay_add(struct peer_replay *r, const uint8_t e[32])
{
	int32_t i;
	if (r->used < PEER_REPLAY_SLOTS) {
		i = (int32_t)r->used++;
	} else {              /* reuse the oldest: take it off its chain */
		i = (int32_t)r->oldest;
		r->oldest = (r->oldest + 1) % PEER_REPLAY_SLOTS;
		int32_t *pp = &r->head[bucket(r, r->slot[i].e)];
		while (*pp != i)
			pp = &r->slot[*pp].next;
		*pp = r->slot[i].next;
	}
	size_t b = bucket(r, e);
	memcpy(r->slot[i].e, e, 32);
	r->slot[i].next = r->head[b];
	r->head[b] = i;
}
