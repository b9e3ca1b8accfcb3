/* pumpd/linkfault.c — the tester's link faults (see linkfault.h). */
#include "pumpd/linkfault.h"

#include <errno.h>
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd/log.h"
#include "pumpd/remote.h"
#include "pumpd/srv.h"

#define LINKFAULT_TARGETS 16   /* named remotes with faults, besides "all" */

/* The faults of one target (a remote by name, or "" = every remote that is
 * not a tester). */
struct linkfault_target {
	int used;
	char name[MSG_REMOTE_MAX + 1];
	uint32_t drop_req, drop_rep, cut, dup, busy;   /* left to do */
	uint32_t delay_ms;             /* 0: no delay */
	uint32_t delay_left;           /* replies left to delay (delay_all: -) */
	int delay_all;                 /* every reply until cleared */
	int oor;                       /* out of range ... */
	int64_t oor_until;             /* ... until this monotonic ms (0 = until
	                                  cleared) */
};

struct linkfault {
	struct linkfault_target all;
	struct linkfault_target t[LINKFAULT_TARGETS];
	struct linkfault_held *head;   /* delayed replies, by due time */
	uv_timer_t timer;              /* timer.data = this */
	int timer_on;
	struct server *srv;
	void (*done)(struct server *srv);   /* linkfault_close's */
};

/* A reply held by a delay (owned by the list). */
struct linkfault_held {
	struct session *s;
	int64_t due;                  /* monotonic ms */
	struct linkfault_held *next;
	size_t len;
	uint8_t buf[];
};

static int64_t mono(const struct server *srv)
{
	return (int64_t)uv_now(srv->loop);
}

/* The target entry of a name ("" = all); create: make one if missing. */
static struct linkfault_target *target(struct linkfault *lf, const char *name,
                                       int create)
{
	if (!name[0])
		return &lf->all;
	struct linkfault_target *free_slot = NULL;
	for (int i = 0; i < LINKFAULT_TARGETS; i++) {
		if (lf->t[i].used && strcmp(lf->t[i].name, name) == 0)
			return &lf->t[i];
		if (!lf->t[i].used && !free_slot)
			free_slot = &lf->t[i];
	}
	if (!create || !free_slot)
		return NULL;
	memset(free_slot, 0, sizeof *free_slot);
	free_slot->used = 1;
	snprintf(free_slot->name, sizeof free_slot->name, "%s", name);
	return free_slot;
}

/* The entries that apply to s's remote: its own, then "all" (which spares
 * testers, so a tester can always clear what it set). */
static int targets_of(struct linkfault *lf, const struct session *s,
                      struct linkfault_target *out[2])
{
	int n = 0;
	const struct remote *rm = s ? s->remote : NULL;
	if (!lf || !rm)
		return 0;
	struct linkfault_target *own = target(lf, rm->name, 0);
	if (own)
		out[n++] = own;
	if (rm->role != STORE_ROLE_TESTER)
		out[n++] = &lf->all;
	return n;
}

/* 1 while t's out-of-range lasts (an ended one is switched off). */
static int out_of_range(const struct server *srv, struct linkfault_target *t)
{
	if (!t->oor)
		return 0;
	if (t->oor_until && mono(srv) >= t->oor_until) {
		t->oor = 0;
		t->oor_until = 0;
		return 0;
	}
	return 1;
}

/* Take one from the first counter of the kind that is set: 1 if taken. */
static int take(struct linkfault_target **v, int n, size_t off)
{
	for (int i = 0; i < n; i++) {
		uint32_t *c = (uint32_t *)((char *)v[i] + off);
		if (*c) {
			(*c)--;
			return 1;
		}
	}
	return 0;
}

#define TAKE(v, n, field) take(v, n, offsetof(struct linkfault_target, field))

/* ---- held replies --------------------------------------------------------------- */

static void arm(struct server *srv);

static void on_timer(uv_timer_t *t)
{
	struct linkfault *lf = t->data;
	struct server *srv = lf->srv;
	int64_t now = mono(srv);
	while (lf->head && lf->head->due <= now) {
		struct linkfault_held *h = lf->head;
		lf->head = h->next;
		int e = peer_send(h->s->peer, h->buf, h->len);
		if (e < 0)
			log_warn("%s: delayed reply not sent (%s)",
			         srv_who(h->s->remote), strerror(-e));
		free(h);
	}
	arm(srv);
}

static void arm(struct server *srv)
{
	struct linkfault *lf = srv->lf;
	if (!lf->timer_on)
		return;
	if (!lf->head) {
		uv_timer_stop(&lf->timer);
		return;
	}
	int64_t wait = lf->head->due - mono(srv);
	uv_timer_start(&lf->timer, on_timer, wait > 0 ? (uint64_t)wait : 0, 0);
}

/* Hold a copy of buf for s until due (after every reply already held for
 * s: replies keep their order).  0, or -ENOMEM. */
static int hold(struct server *srv, struct session *s, const uint8_t *buf,
                size_t len, int64_t due)
{
	struct linkfault *lf = srv->lf;
	struct linkfault_held *h = malloc(sizeof *h + len);
	if (!h)
		return -ENOMEM;
	for (struct linkfault_held *o = lf->head; o; o = o->next)
		if (o->s == s && o->due > due)
			due = o->due;
	h->s = s;
	h->due = due;
	h->len = len;
	h->next = NULL;
	memcpy(h->buf, buf, len);
	/* in due order; equal dues keep their order */
	struct linkfault_held **pp = &lf->head;
	while (*pp && (*pp)->due <= due)
		pp = &(*pp)->next;
	h->next = *pp;
	*pp = h;
	arm(srv);
	return 0;
}

static void drop_held(struct linkfault *lf, const struct session *s)
{
	struct linkfault_held **pp = &lf->head;
	while (*pp) {
		struct linkfault_held *h = *pp;
		if (!s || h->s == s) {
			*pp = h->next;
			free(h);
		} else {
			pp = &h->next;
		}
	}
}

/* ---- life ------------------------------------------------------------------------ */

int linkfault_init(struct server *srv)
{
	struct linkfault *lf = calloc(1, sizeof *lf);
	srv->lf = lf;
	if (!lf)
		return -ENOMEM;
	lf->srv = srv;
	int e = uv_timer_init(srv->loop, &lf->timer);
	if (e < 0)
		return e;
	lf->timer.data = lf;
	lf->timer_on = 1;
	return 0;
}

static void closed(uv_handle_t *h)
{
	struct linkfault *lf = h->data;
	struct server *srv = lf->srv;
	void (*done)(struct server *) = lf->done;
	srv->lf = NULL;
	free(lf);
	done(srv);
}

void linkfault_close(struct server *srv, void (*done)(struct server *srv))
{
	struct linkfault *lf = srv->lf;
	if (lf)
		drop_held(lf, NULL);
	if (!lf || !lf->timer_on) {   /* no timer to close */
		free(lf);
		srv->lf = NULL;
		done(srv);
		return;
	}
	lf->timer_on = 0;
	lf->done = done;
	uv_close((uv_handle_t *)&lf->timer, closed);
}

void linkfault_forget_session(struct server *srv, const struct session *s)
{
	if (!srv->lf)
		return;
	drop_held(srv->lf, s);
	arm(srv);
}

/* ---- LINK ------------------------------------------------------------------------- */

/* The fields the kind needs: NULL, or the one out of range. */
static const char *check(const struct msg_request *q)
{
	uint32_t c = q->u.link.count, ms = q->u.link.ms;
	switch (q->u.link.kind) {
	case MSG_LINK_CLEAR:
		return c ? "count: 0 for clear" : ms ? "ms: 0 for clear" : NULL;
	case MSG_LINK_DELAY:
		if (c > MSG_LINK_COUNT_MAX)
			return "count: 0 (every reply) .. 1000";
		return ms < 1 || ms > MSG_LINK_MS_MAX ? "ms: 1 .. 3600000" : NULL;
	case MSG_LINK_OUT_OF_RANGE:
		if (c)
			return "count: 0 for out_of_range";
		return ms > MSG_LINK_MS_MAX ? "ms: 0 (until cleared) .. 3600000" : NULL;
	case MSG_LINK_DROP_REQUESTS: case MSG_LINK_DROP_REPLIES: case MSG_LINK_CUT:
	case MSG_LINK_DUPLICATE: case MSG_LINK_BUSY:
		if (c < 1 || c > MSG_LINK_COUNT_MAX)
			return "count: 1 .. 1000";
		return ms ? "ms: 0 for this kind" : NULL;
	default:
		return "kind";
	}
}

int linkfault_set(struct server *srv, const struct msg_request *q,
                  const char **detail, char *text, size_t textcap)
{
	struct linkfault *lf = srv->lf;
	const char *name = q->u.link.remote;
	const char *who = name[0] ? name : "every remote";
	int kind = q->u.link.kind;
	if (!lf) {
		*detail = "link faults unavailable (out of memory)";
		snprintf(text, textcap, "link %s for %s: refused (%s)",
		         msg_link_kind_name(kind), who, *detail);
		return MSG_E_INTERNAL;
	}
	const char *bad = check(q);
	if (!bad && name[0] && !remote_find_name(srv, name))
		bad = "remote: not paired";
	if (bad) {
		*detail = bad;
		snprintf(text, textcap, "link %s for %s: refused (%s)",
		         msg_link_kind_name(kind), who, bad);
		return MSG_E_RANGE;
	}
	if (kind == MSG_LINK_CLEAR) {
		if (name[0]) {
			struct linkfault_target *t = target(lf, name, 0);
			if (t)
				memset(t, 0, sizeof *t);
		} else {
			memset(&lf->all, 0, sizeof lf->all);
			memset(lf->t, 0, sizeof lf->t);
		}
		snprintf(text, textcap, "link faults cleared for %s", who);
		return 0;
	}
	struct linkfault_target *t = target(lf, name, 1);
	if (!t) {
		*detail = "remote: faults on 16 remotes already";
		snprintf(text, textcap, "link %s for %s: refused (%s)",
		         msg_link_kind_name(kind), who, *detail);
		return MSG_E_RANGE;
	}
	uint32_t c = q->u.link.count, ms = q->u.link.ms;
	switch (kind) {
	case MSG_LINK_DROP_REQUESTS: t->drop_req = c; break;
	case MSG_LINK_DROP_REPLIES:  t->drop_rep = c; break;
	case MSG_LINK_CUT:           t->cut = c; break;
	case MSG_LINK_DUPLICATE:     t->dup = c; break;
	case MSG_LINK_BUSY:          t->busy = c; break;
	case MSG_LINK_DELAY:
		t->delay_ms = ms;
		t->delay_all = c == 0;
		t->delay_left = c;
		break;
	case MSG_LINK_OUT_OF_RANGE:
		t->oor = 1;
		t->oor_until = ms ? mono(srv) + ms : 0;
		break;
	}
	if (kind == MSG_LINK_DELAY)
		snprintf(text, textcap, "link delay %" PRIu32 " ms for %s of %s", ms,
		         c ? "the next replies" : "every reply", who);
	else if (kind == MSG_LINK_OUT_OF_RANGE)
		snprintf(text, textcap, "link out_of_range for %s%s", who,
		         ms ? " for a while" : " until cleared");
	else
		snprintf(text, textcap, "link %s %" PRIu32 " for %s",
		         msg_link_kind_name(kind), c, who);
	if (kind == MSG_LINK_DELAY && c)
		snprintf(text + strlen(text), textcap - strlen(text), " (%" PRIu32
		         " of them)", c);
	if (kind == MSG_LINK_OUT_OF_RANGE && ms)
		snprintf(text + strlen(text), textcap - strlen(text), " (%" PRIu32
		         " ms)", ms);
	return 0;
}

/* ---- the hooks -------------------------------------------------------------------- */

int linkfault_on_request(struct server *srv, struct session *s,
                         const uint8_t *msg, size_t len)
{
	struct linkfault_target *v[2];
	int n = targets_of(srv->lf, s, v);
	if (n == 0)
		return 0;
	for (int i = 0; i < n; i++) {
		if (out_of_range(srv, v[i])) {
			log_info("%s: request discarded (link fault: out of range)",
			         s->remote->name);
			return 1;
		}
	}
	if (TAKE(v, n, drop_req)) {
		log_info("%s: request discarded (link fault: drop_requests)",
		         s->remote->name);
		return 1;
	}
	if (TAKE(v, n, busy)) {
		struct msg_request q;
		uint8_t type = 0;
		uint64_t id = 0;
		(void)msg_decode_request(msg, len, &q, &type, &id, NULL);
		/* an error reply: nothing carried out, the id not remembered */
		srv->hooks.refuse(srv, s, id, type, MSG_E_STATE, "busy", 0);
		return 1;
	}
	return 0;
}

int linkfault_silent(struct server *srv, const struct session *s)
{
	struct linkfault_target *v[2];
	int n = targets_of(srv->lf, s, v);
	for (int i = 0; i < n; i++)
		if (out_of_range(srv, v[i]))
			return 1;
	return 0;
}

int linkfault_on_send(struct server *srv, struct session *s,
                      const uint8_t *buf, size_t len)
{
	struct linkfault_target *v[2];
	int n = targets_of(srv->lf, s, v);
	if (n == 0 || len == 0 || buf[0] != MSG_REPLY)
		return 0;
	const char *who = s->remote->name;
	if (linkfault_silent(srv, s)) {
		log_info("%s: reply not sent (link fault: out of range)", who);
		return 1;
	}
	if (TAKE(v, n, drop_rep)) {
		log_info("%s: reply not sent (link fault: drop_replies)", who);
		return 1;
	}
	if (TAKE(v, n, cut)) {
		log_info("%s: reply cut short, link closed (link fault: cut)", who);
		int e = peer_send_cut(s->peer, buf, len);
		if (e < 0)
			log_warn("%s: reply not sent (%s)", who, strerror(-e));
		return 1;
	}
	for (int i = 0; i < n; i++) {
		struct linkfault_target *t = v[i];
		if (!t->delay_ms || (!t->delay_all && !t->delay_left))
			continue;
		int64_t due = mono(srv) + t->delay_ms;
		if (!t->delay_all && --t->delay_left == 0)
			t->delay_ms = 0;   /* the last one it delays */
		if (hold(srv, s, buf, len, due) == 0) {
			log_info("%s: reply held (link fault: delay)", who);
			return 1;
		}
		break;   /* out of memory: it leaves now */
	}
	if (TAKE(v, n, dup)) {
		log_info("%s: reply sent twice (link fault: duplicate)", who);
		int e = peer_send(s->peer, buf, len);
		if (e == 0)
			e = peer_send(s->peer, buf, len);
		if (e < 0)
			log_warn("%s: reply not sent (%s)", who, strerror(-e));
		return 1;
	}
	/* a reply after held ones waits behind them, so order holds */
	for (struct linkfault_held *h = srv->lf->head; h; h = h->next)
		if (h->s == s)
			return hold(srv, s, buf, len, h->due) == 0;
	return 0;
}
