/* pumpd/batch.c — group commit of one loop turn (see batch.h). */
#include "pumpd/batch.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "net/peer.h"
#include "pumpd/log.h"
#include "util/grow.h"

enum { BATCH_CHANGE = 1, BATCH_READ, BATCH_PLAIN };

static void on_idle(uv_idle_t *h)
{
	(void)h;   /* only there so that the poll does not block */
}

static void on_lazy(uv_timer_t *t)
{
	batch_flush(t->data);
}

/* The end of a loop turn: a turn that changed something commits now, so
 * its replies can leave; one that only wrote what may wait (handshake
 * timestamps, audit rows) commits within BATCH_LAZY_MS, sharing the fsync
 * with whatever comes next. */
static void on_check(uv_check_t *h)
{
	struct server *srv = h->data;
	struct batch *b = &srv->batch;
	if (b->open && (b->n || b->err)) {
		batch_flush(srv);
	} else if (b->open) {
		uv_idle_stop(&b->idle);   /* nothing waits on it: the poll may block */
		if (!uv_is_active((uv_handle_t *)&b->lazy))
			uv_timer_start(&b->lazy, on_lazy, BATCH_LAZY_MS, 0);
	}
	log_flush();   /* the turn's log lines, in one write (log.h) */
}

void batch_init(struct server *srv)
{
	struct batch *b = &srv->batch;
	uv_check_init(srv->loop, &b->check);
	uv_idle_init(srv->loop, &b->idle);
	uv_timer_init(srv->loop, &b->lazy);
	b->check.data = b->idle.data = b->lazy.data = srv;
	uv_check_start(&b->check, on_check);
	uv_unref((uv_handle_t *)&b->check);
	log_hold(1);
}

void batch_close(struct server *srv, uv_close_cb cb)
{
	struct batch *b = &srv->batch;
	batch_flush(srv);
	log_hold(0);
	uv_close((uv_handle_t *)&b->check, cb);
	uv_close((uv_handle_t *)&b->idle, cb);
	uv_close((uv_handle_t *)&b->lazy, cb);
	free(b->e);
	free(b->note);
	b->e = NULL;
	b->note = NULL;
	b->cap = b->notecap = 0;
}

int batch_holds_replies(const struct server *srv)
{
	return srv->batch.open && (srv->batch.n || srv->batch.err);
}

int batch_begin(struct server *srv)
{
	struct batch *b = &srv->batch;
	if (b->open)
		return 0;
	int e = store_begin(srv->st);
	if (e < 0)
		return e;
	b->open = 1;
	b->err = 0;
	b->committed = srv->pump;
	b->committed_clk = srv->clk;
	uv_idle_start(&b->idle, on_idle);
	return 0;
}

void batch_pump_changed(struct server *srv)
{
	if (srv->batch.open)
		srv->batch.pump_dirty = 1;
}

void batch_fail(struct server *srv, int err)
{
	if (srv->batch.open && !srv->batch.err)
		srv->batch.err = err;
}

void batch_notes(struct server *srv, const struct notes *ns)
{
	struct batch *b = &srv->batch;
	if (b->nnotes + ns->n > b->notecap) {
		size_t cap = b->notecap ? b->notecap : 64;
		while (cap < b->nnotes + ns->n)
			cap *= 2;
		void *p = realloc(b->note, cap * sizeof *b->note);
		if (!p) {
			log_error("out of memory: %u notifications not sent", ns->n);
			return;
		}
		b->note = p;
		b->notecap = cap;
	}
	for (unsigned i = 0; i < ns->n; i++) {
		/* every note of the turn carries the state after its commit:
		 * a second `state` event would say nothing new (50 remotes
		 * refused a bolus in one turn: one push each, not 50) */
		if (ns->e[i].event == MSG_EV_STATE && b->state_noted)
			continue;
		b->state_noted |= ns->e[i].event == MSG_EV_STATE;
		b->note[b->nnotes].event = ns->e[i].event;
		b->note[b->nnotes].alarm = ns->e[i].alarm;
		b->nnotes++;
	}
}

static struct batch_entry *add(struct server *srv, struct session *s, int kind,
                               const uint8_t *reply, size_t len)
{
	struct batch *b = &srv->batch;
	struct batch_entry *room = grow(b->e, &b->cap, b->n, sizeof *b->e, 64);
	if (!room)
		return NULL;
	b->e = room;
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return NULL;
	memcpy(copy, reply, len);
	struct batch_entry *e = &b->e[b->n++];
	memset(e, 0, sizeof *e);
	uv_idle_start(&b->idle, on_idle);   /* it waits on this turn's commit */
	e->s = s;
	e->kind = kind;
	e->reply = copy;
	e->len = len;
	return e;
}

void batch_hold_change(struct server *srv, struct session *s, struct remote *rm,
                       const struct msg_request *q, const uint8_t *reply,
                       size_t len)
{
	uint8_t *mem = malloc(len ? len : 1);
	struct batch_entry *e = mem ? add(srv, s, BATCH_CHANGE, reply, len) : NULL;
	if (!e) {
		/* without memory to hold it, the turn cannot be kept: undo it
		 * (the change is refused with the rest; nothing is lost) */
		free(mem);
		log_error("%s: out of memory holding a reply", rm->name);
		batch_fail(srv, -ENOMEM);
		return;
	}
	memcpy(mem, reply, len);
	e->rm = rm;
	e->id = q->id;
	e->type = q->type;
	e->prev_id = rm->last_req_id;
	e->prev_reply = rm->reply;
	e->prev_len = rm->reply_len;
	rm->last_req_id = q->id;
	rm->reply = mem;
	rm->reply_len = len;
}

void batch_hold_read(struct server *srv, struct session *s,
                     const struct msg_request *q, const uint8_t *reply,
                     size_t len)
{
	struct msg_request *copy = malloc(sizeof *copy);
	struct batch_entry *e = copy ? add(srv, s, BATCH_READ, reply, len) : NULL;
	if (!e) {
		free(copy);
		batch_fail(srv, -ENOMEM);
		return;
	}
	*copy = *q;
	e->q = copy;
}

void batch_hold_plain(struct server *srv, struct session *s,
                      const uint8_t *reply, size_t len)
{
	if (!add(srv, s, BATCH_PLAIN, reply, len))
		batch_fail(srv, -ENOMEM);
}

void batch_forget_session(struct server *srv, struct session *s)
{
	for (size_t i = 0; i < srv->batch.n; i++)
		if (srv->batch.e[i].s == s)
			srv->batch.e[i].s = NULL;
}

void batch_forget_remote(struct server *srv, struct remote *rm)
{
	for (size_t i = 0; i < srv->batch.n; i++)
		if (srv->batch.e[i].rm == rm) {
			/* it had this turn's reply as its memory: the entry gets
			 * back the old one to free */
			srv->batch.e[i].rm = NULL;
		}
}

int batch_store_remotes(struct server *srv)
{
	if (!srv->remotes.dirty)
		return 0;
	for (struct remote *rm = srv->remotes.list; rm; rm = rm->next) {
		if (!rm->tai_dirty)
			continue;
		int e = store_remote_set_tai(srv->st, rm->id, rm->tai, rm->last_seen_ms);
		if (e < 0)
			return e;   /* batch.c says so once */
	}
	return 0;
}

void batch_remotes_stored(struct server *srv)
{
	if (!srv->remotes.dirty)
		return;
	for (struct remote *rm = srv->remotes.list; rm; rm = rm->next)
		rm->tai_dirty = 0;
	srv->remotes.dirty = 0;
	srv->remotes.dirty_warned = 0;
}

static void send_notes(struct server *srv)
{
	struct batch *b = &srv->batch;
	if (!b->nnotes)
		return;
	struct msg_state st;
	srv_state(srv, srv_now(srv), &st);
	struct notes ns;
	for (size_t i = 0; i < b->nnotes; i += ns.n) {
		ns.n = 0;
		while (ns.n < SRV_NOTES_MAX && i + ns.n < b->nnotes) {
			ns.e[ns.n].event = b->note[i + ns.n].event;
			ns.e[ns.n].alarm = b->note[i + ns.n].alarm;
			ns.n++;
		}
		srv->hooks.send_notes(srv, &ns, &st);
	}
}

/* Room for the turn's notification numbers: a new boot number, stored in
 * the turn's transaction, when they would run out. */
static int room(struct server *srv, int *bumped)
{
	*bumped = 0;
	if ((uint64_t)srv->seq_n + srv->batch.nnotes <= UINT32_MAX)
		return 0;
	int e = store_put_int(srv->st, "boot", (int64_t)(srv->boot + 1));
	*bumped = e == 0;
	return e;
}

static void commit_done(struct server *srv, struct batch_entry *v, size_t n,
                        int bumped)
{
	batch_remotes_stored(srv);
	if (bumped) {
		srv->boot++;
		srv->seq_n = 0;
	}
	/* each remote's reply and the turn's notifications to it leave in one
	 * write (peer_cork): one wakeup of the remote, not two */
	for (size_t i = 0; i < n; i++)
		if (v[i].s)
			peer_cork(v[i].s->peer);
	for (size_t i = 0; i < n; i++) {
		free(v[i].prev_reply);
		if (v[i].s)
			srv_send(v[i].s, v[i].reply, v[i].len);
	}
	send_notes(srv);
	for (size_t i = 0; i < n; i++)
		if (v[i].s)
			peer_uncork(v[i].s->peer);
}

/* The turn is undone: back to the committed state, each change refused,
 * each read answered again, everything else sent as it was.  (Refusals
 * write audit rows: they go into a new batch, after this one.) */
static void undo(struct server *srv, struct batch_entry *v, size_t n, int err)
{
	struct batch *b = &srv->batch;
	srv_set_pump(srv, &b->committed, &b->committed_clk);
	for (size_t i = n; i-- > 0;) {
		struct batch_entry *e = &v[i];
		if (e->kind != BATCH_CHANGE)
			continue;
		if (e->rm) {
			free(e->rm->reply);
			e->rm->last_req_id = e->prev_id;
			e->rm->reply = e->prev_reply;
			e->rm->reply_len = e->prev_len;
		} else {
			free(e->prev_reply);
		}
	}
	if (n)
		log_error("cannot store a turn, its commit failed (%s): its %zu "
		          "replies are refusals or answered again; nothing changed",
		          strerror(-err), n);
	if (srv->remotes.dirty && !srv->remotes.dirty_warned)
		log_warn("%zu remote%s handshake timestamp kept in memory only "
		         "(%s): stored with the next commit that succeeds",
		         srv->remotes.dirty, srv->remotes.dirty == 1 ? "'s" : "s'",
		         strerror(-err));
	srv->remotes.dirty_warned = 1;
	for (size_t i = 0; i < n; i++) {
		struct batch_entry *e = &v[i];
		if (!e->s)
			continue;
		if (e->kind == BATCH_CHANGE)
			srv->hooks.refuse(srv, e->s, e->id, e->type, MSG_E_STORAGE,
			                err == -ENOSPC ? "disk full" : "cannot store", 0);
		else if (e->kind == BATCH_READ)
			srv->hooks.read_again(srv, e->s, e->q);
		else
			srv_send(e->s, e->reply, e->len);
	}
}

void batch_flush(struct server *srv)
{
	struct batch *b = &srv->batch;
	if (!b->open)
		return;
	int bumped = 0;
	int e = b->err;
	if (e == 0 && b->pump_dirty)
		e = srv_save_pump(srv, &srv->pump);
	if (e == 0)
		e = batch_store_remotes(srv);
	if (e == 0)
		e = room(srv, &bumped);
	if (e == 0)
		e = store_commit(srv->st);
	else
		store_rollback(srv->st);
	b->open = 0;
	b->pump_dirty = 0;
	uv_idle_stop(&b->idle);
	uv_timer_stop(&b->lazy);
	/* the entries are taken out first: what they cause (a refusal's audit
	 * row) may open the next batch */
	struct batch_entry *v = b->e;
	size_t n = b->n;
	b->e = NULL;
	b->n = b->cap = 0;
	if (e == 0)
		log_debug("turn committed: %zu replies, %zu notes", n, b->nnotes);
	log_flush();   /* the turn's lines leave before its replies */
	if (e == 0)
		commit_done(srv, v, n, bumped);
	else
		undo(srv, v, n, e);
	b->nnotes = 0;
	b->state_noted = 0;
	for (size_t i = 0; i < n; i++) {
		free(v[i].reply);
		free(v[i].q);
	}
	free(v);
	srv->hooks.after_commit(srv);
}
