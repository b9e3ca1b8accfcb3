/*
 * net/peer_src.c — the pre-auth budget of a server (see peer.h): who each
 * connection is from, the pre-auth connections of each source (oldest
 * first), and which one to evict when a new connection needs room.
 *
 * Sources live in a hash table keyed with a random SipHash key (a remote
 * picks its address, not where it lands); a source exists while it holds
 * a pre-auth connection.  Choosing a victim for the overall budget scans
 * the sources (at most max_preauth of them), only when that budget is full.
 */
#include "net/peer_impl.h"
#include "util/dlist.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

struct peer_srctab {
	struct peer_source **b;       /* buckets */
	size_t mask;
	uint8_t hkey[crypto_shorthash_KEYBYTES];
	struct peer_source *all;      /* every source */
};

struct peer_srctab *peer_src_new(unsigned max_preauth)
{
	struct peer_srctab *t = calloc(1, sizeof *t);
	if (!t)
		return NULL;
	size_t n = 64;
	while (n < max_preauth && n < ((size_t)1 << 20))
		n <<= 1;
	t->b = calloc(n, sizeof *t->b);
	if (!t->b) {
		free(t);
		return NULL;
	}
	t->mask = n - 1;
	randombytes_buf(t->hkey, sizeof t->hkey);
	return t;
}

void peer_src_free(struct peer_srctab *t)
{
	if (!t)
		return;
	struct peer_source *s = t->all, *n;
	for (; s; s = n) {
		n = s->next;
		free(s);
	}
	free(t->b);
	free(t);
}

void peer_src_key_sa(const struct sockaddr *sa, struct peer_srckey *k)
{
	memset(k, 0, sizeof *k);
	if (sa && sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
		k->kind = PEER_SRC_IP4;
		memcpy(k->b, &in->sin_addr, 4);
	} else if (sa && sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
		const uint8_t *a = in6->sin6_addr.s6_addr;
		static const uint8_t v4mapped[12] = { 0,0,0,0,0,0,0,0,0,0,0xff,0xff };
		if (memcmp(a, v4mapped, 12) == 0) {   /* ::ffff:a.b.c.d is a.b.c.d */
			k->kind = PEER_SRC_IP4;
			memcpy(k->b, a + 12, 4);
		} else {
			k->kind = PEER_SRC_IP6;       /* the /64 */
			memcpy(k->b, a, 8);
		}
	}
}

void peer_src_key_cred(const struct peer_cred *cred, struct peer_srckey *k)
{
	memset(k, 0, sizeof *k);
	if (!cred)
		return;
	uint32_t uid = (uint32_t)cred->uid, pid = (uint32_t)cred->pid;
	k->kind = PEER_SRC_UNIX;
	memcpy(k->b, &uid, 4);
	memcpy(k->b + 4, &pid, 4);
}

static size_t bucket(const struct peer_srctab *t, const struct peer_srckey *k)
{
	uint8_t h[crypto_shorthash_BYTES];
	uint64_t v = 0;
	crypto_shorthash(h, (const unsigned char *)k, sizeof *k, t->hkey);
	memcpy(&v, h, sizeof v);
	return (size_t)v & t->mask;
}

static struct peer_source *src_find(const struct peer_srctab *t,
                                    const struct peer_srckey *k)
{
	for (struct peer_source *s = t->b[bucket(t, k)]; s; s = s->hnext)
		if (memcmp(&s->key, k, sizeof *k) == 0)
			return s;
	return NULL;
}

static struct peer_source *src_add(struct peer_srctab *t,
                                   const struct peer_srckey *k)
{
	struct peer_source *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	s->key = *k;
	size_t i = bucket(t, k);
	s->hnext = t->b[i];
	t->b[i] = s;
	s->next = t->all;
	if (t->all)
		t->all->prev = s;
	t->all = s;
	return s;
}

static void src_del(struct peer_srctab *t, struct peer_source *s)
{
	struct peer_source **pp = &t->b[bucket(t, &s->key)];
	while (*pp != s)
		pp = &(*pp)->hnext;
	*pp = s->hnext;
	DLIST_UNLINK(t->all, s, next, prev);
	free(s);
}

/* Placed before the last turn: it has had a turn to send message 1. */
static int evictable(const struct peer_server *srv, const struct peer *p)
{
	return p && p->placed_turn + 2 <= srv->turn;
}

/* For the overall budget: the oldest connection of the source holding the
 * most (its oldest older, on a tie) among those whose oldest may go. */
static struct peer *overall_victim(const struct peer_server *srv)
{
	const struct peer_source *best = NULL;
	for (const struct peer_source *s = srv->sources->all; s; s = s->next) {
		if (!evictable(srv, s->head))
			continue;
		if (!best || s->count > best->count ||
		    (s->count == best->count &&
		     s->head->placed_turn < best->head->placed_turn))
			best = s;
	}
	return best ? best->head : NULL;
}

int peer_src_place(struct peer_server *srv, struct peer *p,
                   const struct peer_srckey *k)
{
	struct peer_srctab *t = srv->sources;
	struct peer_source *s = src_find(t, k);
	struct peer *victim = NULL;

	if (s && s->count >= srv->per_source) {
		victim = s->head;
		if (!evictable(srv, victim))
			return -EAGAIN;
	} else if (srv->n_preauth >= srv->max_preauth) {
		victim = overall_victim(srv);
		if (!victim)
			return -EAGAIN;
	}
	if (victim)   /* leaves its source now (which may go with it) */
		peer_fail(victim, PEER_R_EVICTED);
	s = src_find(t, k);
	if (!s && !(s = src_add(t, k)))
		return -ENOMEM;
	p->src = s;
	DLIST_APPEND(s->head, s->tail, p, snext, sprev);
	s->count++;
	srv->n_preauth++;
	p->placed_turn = srv->turn;
	return 0;
}

void peer_src_leave(struct peer_server *srv, struct peer *p)
{
	struct peer_source *s = p->src;
	if (!s)
		return;
	DLIST_UNLINK2(s->head, s->tail, p, snext, sprev);
	p->snext = p->sprev = NULL;
	p->src = NULL;
	srv->n_preauth--;
	if (--s->count == 0)
		src_del(srv->sources, s);
}
