/* pumpd/remote.c — the paired remotes in memory (see remote.h). */
#include "pumpd/remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "pumpd/batch.h"
#include "pumpd/log.h"

_Static_assert(STORE_REPLY_MAX >= MSG_MAX, "the store keeps any reply");

static size_t slot(const struct remote_set *set, const uint8_t pub[32])
{
	uint64_t h;
	memcpy(&h, pub, sizeof h);   /* keys are uniformly random */
	return (size_t)(h & (set->nbucket - 1));
}

static int grow(struct remote_set *set)
{
	size_t n = set->nbucket ? set->nbucket * 2 : 64;
	struct remote **b = calloc(n, sizeof *b);
	if (!b)
		return -ENOMEM;
	struct remote **old = set->bucket;
	set->bucket = b;
	set->nbucket = n;
	for (struct remote *rm = set->list; rm; rm = rm->next) {
		size_t i = slot(set, rm->pub);
		rm->hnext = b[i];
		b[i] = rm;
	}
	free(old);
	return 0;
}

struct remote *remote_add(struct server *srv, const struct store_remote *sr)
{
	struct remote_set *set = &srv->remotes;
	if (set->count + 1 > set->nbucket && grow(set) < 0)
		return NULL;
	struct remote *rm = calloc(1, sizeof *rm);
	if (!rm)
		return NULL;
	if (sr->reply_len) {
		rm->reply = malloc(sr->reply_len);
		if (!rm->reply) {
			free(rm);
			return NULL;
		}
		memcpy(rm->reply, sr->reply, sr->reply_len);
		rm->reply_len = sr->reply_len;
	}
	rm->id = sr->id;
	snprintf(rm->name, sizeof rm->name, "%s", sr->name);
	rm->role = sr->role;
	memcpy(rm->pub, sr->pub, 32);
	rm->paired_ms = sr->paired_ms;
	rm->last_seen_ms = sr->last_seen_ms;
	rm->has_tai = sr->has_tai;
	memcpy(rm->tai, sr->tai, 12);
	rm->last_req_id = sr->last_req_id;
	rm->next = set->list;
	set->list = rm;
	size_t i = slot(set, rm->pub);
	rm->hnext = set->bucket[i];
	set->bucket[i] = rm;
	set->count++;
	return rm;
}

struct load { struct server *srv; int oom; };

static int load_one(void *ud, const struct store_remote *r)
{
	struct load *l = ud;
	l->oom = remote_add(l->srv, r) == NULL;
	return l->oom;
}

int remote_load_all(struct server *srv)
{
	struct load l = { srv, 0 };
	int n = store_remote_each(srv->st, load_one, &l);
	return n < 0 ? n : l.oom ? -ENOMEM : 0;
}

struct remote *remote_find(const struct server *srv, const uint8_t pub[32])
{
	const struct remote_set *set = &srv->remotes;
	if (!set->nbucket)
		return NULL;
	for (struct remote *rm = set->bucket[slot(set, pub)]; rm; rm = rm->hnext)
		if (memcmp(rm->pub, pub, 32) == 0)
			return rm;
	return NULL;
}

struct remote *remote_find_name(const struct server *srv, const char *name)
{
	for (struct remote *rm = srv->remotes.list; rm; rm = rm->next)
		if (strcmp(rm->name, name) == 0)
			return rm;
	return NULL;
}

/* Out of the list and its bucket (it must be in the set). */
static void take_out(struct remote_set *set, struct remote *rm)
{
	struct remote **pp;
	for (pp = &set->list; *pp; pp = &(*pp)->next)
		if (*pp == rm) {
			*pp = rm->next;
			break;
		}
	for (pp = &set->bucket[slot(set, rm->pub)]; *pp; pp = &(*pp)->hnext)
		if (*pp == rm) {
			*pp = rm->hnext;
			break;
		}
	if (rm->tai_dirty)
		set->dirty--;
	rm->next = rm->hnext = NULL;
	set->count--;
}

static void free_remote(struct server *srv, struct remote *rm)
{
	batch_forget_remote(srv, rm);
	if (rm->sess) {
		rm->sess->remote = NULL;
		rm->sess = NULL;
	}
	free(rm->reply);
	sodium_memzero(rm->ss, sizeof rm->ss);
	free(rm);
}

void remote_unpair(struct server *srv, struct remote *rm)
{
	take_out(&srv->remotes, rm);
	rm->unpaired = 1;
	rm->tai_dirty = 0;
	if (!rm->sess)
		free_remote(srv, rm);
}

void remote_forget(struct server *srv, struct remote *rm)
{
	if (!rm->unpaired)
		take_out(&srv->remotes, rm);
	free_remote(srv, rm);
}

int remote_set_reply(struct remote *rm, uint64_t id, const uint8_t *buf,
                     size_t len)
{
	rm->last_req_id = id;
	if (len != rm->reply_len) {
		uint8_t *r = realloc(rm->reply, len ? len : 1);
		if (!r) {
			/* the id is remembered all the same: a repeat gets stale_id,
			 * never a second execution */
			free(rm->reply);
			rm->reply = NULL;
			rm->reply_len = 0;
			return -ENOMEM;
		}
		rm->reply = r;
	}
	memcpy(rm->reply, buf, len);
	rm->reply_len = len;
	return 0;
}

void remote_seen(struct server *srv, struct remote *rm, const uint8_t tai[12],
                 int64_t wall_ms)
{
	memcpy(rm->tai, tai, 12);
	rm->has_tai = 1;
	rm->last_seen_ms = wall_ms;
	/* stored with the turn's batch; a full disk must not lock a paired
	 * remote out: until a commit takes it, the newer timestamp guards
	 * against replays from memory (docs/PROTOCOL.md, section 4) */
	if (!rm->tai_dirty) {
		rm->tai_dirty = 1;
		srv->remotes.dirty++;
	}
	if (batch_begin(srv) < 0)
		log_warn("%s: handshake timestamp kept in memory only: %s",
		         rm->name, store_errmsg(srv->st));
}

void remote_free_all(struct server *srv)
{
	struct remote_set *set = &srv->remotes;
	while (set->list)
		remote_forget(srv, set->list);
	free(set->bucket);
	memset(set, 0, sizeof *set);
}
