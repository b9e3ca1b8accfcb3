/*
 * net/peer_server.c — the responder's side of net/peer.h: listeners,
 * accepting a connection (admit, its place in the pre-auth budget, no
 * memory), and closing or shutting down the server with every peer it
 * holds.
 */
#define _GNU_SOURCE 1 /* struct ucred */
#include "net/peer_impl.h"
#include "util/closed.h"
#include "util/dlist.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

/*
 * Accepting: libuv stops watching a listener whose pending connection was
 * not accepted, and takes every queued connection in one go otherwise.  We
 * leave one pending (l->pending) when this turn's share of accepts
 * (PEER_ACCEPT_PER_TURN) is used up or when a connection is parked (taken,
 * but the budget has no room and nothing may be evicted this turn); the
 * prepare handle of the next turn goes on.  A connection we cannot serve
 * for want of memory is taken into a spare handle and closed at once.
 *
 * Fairness: the prepare handle counts loop turns and, before each poll,
 * gives every peer held back in the last turn (peer_impl.h) its next
 * share, oldest first.  An idle handle, active while a peer is held or a
 * listener waits, keeps that poll from blocking.  The prepare handle is
 * unreferenced: it never keeps the loop alive by itself.
 */

static void server_free(struct peer_server *srv)
{
	void (*cb)(void *) = srv->close_cb;
	void *ud = srv->close_ud;
	srv->key = NULL;
	noise_hs_wipe(&srv->hs0);
	sodium_memzero(srv->test_eph, sizeof srv->test_eph);
	sodium_memzero(&srv->scratch, sizeof srv->scratch);
	peer_replay_free(srv->replay);
	peer_src_free(srv->sources);
	closed_free_then(srv, cb, ud);
}

static void peer_server_maybe_done(struct peer_server *srv)
{
	if (srv->closing && srv->handles == 0 && srv->count == 0)
		server_free(srv);
}

static void peer_server_unlink(struct peer_server *srv, struct peer *p)
{
	DLIST_UNLINK(srv->peers, p, next, prev);
	srv->count--;
}

/* ---- budgets ----------------------------------------------------------------- */

static void peer_server_leave(struct peer_server *srv, struct peer *p)
{
	peer_src_leave(srv, p);
	if (p->parked_on) {
		p->parked_on->parked = NULL;
		p->parked_on = NULL;
	}
	if (p->is_session) {
		p->is_session = 0;
		srv->n_sessions--;
	}
}

static void peer_server_opened(struct peer_server *srv, struct peer *p)
{
	peer_src_leave(srv, p);
	p->is_session = 1;
	srv->n_sessions++;
}

/* ---- fairness and resuming --------------------------------------------------- */

static void peer_server_unhold(struct peer_server *srv, struct peer *p);

static void on_idle(uv_idle_t *h)
{
	(void)h;   /* only there so that the poll does not block */
}

static void resume_listener(struct peer_listener *l);

static int listener_waits(const struct peer_listener *l)
{
	return l->inited && (l->parked || (l->pending && !l->spare_busy));
}

static void on_prepare(uv_prepare_t *h)
{
	struct peer_server *srv = h->data;
	uint64_t t = ++srv->turn;
	struct peer *p;
	/* peers held again during this turn go to the end with turn t */
	while ((p = srv->held_head) && p->held_turn != t) {
		peer_server_unhold(srv, p);
		peer_resume(p);
	}
	int waiting = 0;
	for (unsigned i = 0; i < PEER_LISTEN_MAX && !srv->closing; i++) {
		if (listener_waits(&srv->l[i]))
			resume_listener(&srv->l[i]);
		waiting |= listener_waits(&srv->l[i]);
	}
	if (!srv->held_head && !waiting && srv->turn_inited)
		uv_idle_stop(&srv->idle);
}

/* Something waits for the next turn: keep the poll from blocking. */
static void wait_turn(struct peer_server *srv)
{
	if (!srv->closing && srv->turn_inited)
		uv_idle_start(&srv->idle, on_idle);
}

static void peer_server_hold(struct peer_server *srv, struct peer *p)
{
	p->held_turn = srv->turn;
	DLIST_APPEND(srv->held_head, srv->held_tail, p, hnext, hprev);
	p->held_queued = 1;
	wait_turn(srv);
}

static void peer_server_unhold(struct peer_server *srv, struct peer *p)
{
	if (!p->held_queued)
		return;
	DLIST_UNLINK2(srv->held_head, srv->held_tail, p, hnext, hprev);
	p->hnext = p->hprev = NULL;
	p->held_queued = 0;
}

/* ---- listeners --------------------------------------------------------------- */

/* a responder's calls up: the handshake and this file */
static const struct peer_up responder_up = {
	.hs_frame = peer_hs_frame,
	.srv_unlink = peer_server_unlink, .srv_maybe_done = peer_server_maybe_done,
	.srv_opened = peer_server_opened, .srv_leave = peer_server_leave,
	.srv_hold = peer_server_hold, .srv_unhold = peer_server_unhold,
};

static void on_listener_closed(uv_handle_t *h)
{
	struct peer_listener *l = h->data;
	struct peer_server *srv = l->srv;
	srv->handles--;
	peer_server_maybe_done(srv);
}

static void accept_one(struct peer_listener *l);

static void on_spare_closed(uv_handle_t *h)
{
	struct peer_listener *l = h->data;
	struct peer_server *srv = l->srv;
	l->spare_busy = 0;
	srv->handles--;
	if (l->pending && l->inited && !srv->closing) {
		l->pending = 0;
		accept_one(l);
	}
	peer_server_maybe_done(srv);
}

/* Take the waiting connection off the listener without serving it, so the
 * listener goes on accepting; no memory is needed.  If the spare handle is
 * still closing from the last drop, the connection waits and is taken when
 * it has closed (at most one drop per loop turn). */
static void drop_one(struct peer_listener *l, int reason)
{
	struct peer_server *srv = l->srv;
	char addr[PEER_ADDR_MAX] = "unix:";

	if (l->spare_busy) {
		l->pending = 1;
		return;
	}
	int rc = l->kind == PEER_ADDR_TCP ? uv_tcp_init(srv->loop, &l->spare.tcp)
	                                  : uv_pipe_init(srv->loop, &l->spare.pipe, 0);
	if (rc < 0) {
		l->pending = 1;   /* cannot happen on unix; tried again next time */
		return;
	}
	l->spare.h.data = l;
	l->spare_busy = 1;
	l->pending = 0;
	srv->handles++;
	if (uv_accept(&l->u.s, &l->spare.s) == 0 && l->kind == PEER_ADDR_TCP) {
		struct sockaddr_storage ss;
		int len = sizeof ss;
		if (uv_tcp_getpeername(&l->spare.tcp, (struct sockaddr *)&ss, &len) == 0)
			peer_addr_format(&ss, addr, sizeof addr);
		else
			snprintf(addr, sizeof addr, "tcp:?");
	}
	uv_close(&l->spare.h, on_spare_closed);
	if (srv->cb.on_handshake_fail)
		srv->cb.on_handshake_fail(srv->cb.ud, reason, addr);
}

/* p is taken off the listener, its address known: name its source (a unix
 * peer's credentials) and ask admit. 0 to go on, < 0 if p was closed. */
static int identify(struct peer_listener *l, struct peer *p,
                    struct peer_srckey *key)
{
	struct sockaddr_storage ss;
	struct peer_cred cred, *cp = NULL;
	struct sockaddr *sa = NULL;

	if (l->kind == PEER_ADDR_TCP) {
		int len = sizeof ss;
		if (uv_tcp_getpeername(&p->u.tcp, (struct sockaddr *)&ss, &len) == 0) {
			peer_addr_format(&ss, p->addr, sizeof p->addr);
			sa = (struct sockaddr *)&ss;
		} else {
			snprintf(p->addr, sizeof p->addr, "tcp:?");
		}
		uv_tcp_nodelay(&p->u.tcp, 1);
		peer_src_key_sa(sa, key);
	} else {
		struct ucred uc;
		socklen_t len = sizeof uc;
		uv_os_fd_t fd;
		if (uv_fileno(&p->u.h, &fd) == 0 &&
		    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &uc, &len) == 0 &&
		    len == sizeof uc) {
			cred.uid = uc.uid;
			cred.gid = uc.gid;
			cred.pid = uc.pid;
			cp = &cred;
			snprintf(p->addr, sizeof p->addr, "unix:uid=%lu,pid=%ld",
			         (unsigned long)uc.uid, (long)uc.pid);
		} else {
			snprintf(p->addr, sizeof p->addr, "unix:");
		}
		peer_src_key_cred(cp, key);
	}
	if (p->cb.admit) {
		int rc = p->cb.admit(p->cb.ud, sa, cp, p->addr);
		if (p->state == P_CLOSING)
			return -1;   /* the callback closed the server */
		if (rc < 0) {
			p->silent = 1;
			peer_fail(p, PEER_R_REFUSED);
			return -1;
		}
	}
	return 0;
}

/* Give p its place in the pre-auth budget and start reading, or park it
 * on l until the next turn. */
static void place(struct peer_listener *l, struct peer *p,
                  const struct peer_srckey *key)
{
	struct peer_server *srv = l->srv;
	int rc = peer_src_place(srv, p, key);
	if (rc == -EAGAIN) {
		l->parked = p;
		p->parked_on = l;
		p->parked_key = *key;
		wait_turn(srv);
		peer_rearm(p);   /* its handshake deadline runs */
		return;
	}
	if (rc < 0) {
		peer_fail(p, PEER_R_NOMEM);
		return;
	}
	/* the handshake state (and its key work) waits for message 1 */
	if (peer_read_start(p) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	peer_rearm(p);
}

/* This turn's share of accepts on l is used up, or a connection is parked. */
static int paused(struct peer_listener *l)
{
	struct peer_server *srv = l->srv;
	if (l->acc_turn != srv->turn) {
		l->acc_turn = srv->turn;
		l->acc_n = 0;
		l->ref_n = 0;
	}
	return l->parked || l->acc_n >= PEER_ACCEPT_PER_TURN ||
	       l->ref_n >= PEER_REFUSE_PER_TURN;
}

/* Take the connection libuv holds for l (or leave it for the next turn). */
static void accept_one(struct peer_listener *l)
{
	struct peer_server *srv = l->srv;
	struct peer_srckey key;

	if (paused(l)) {
		l->pending = 1;   /* libuv stops watching l until we take it */
		wait_turn(srv);
		return;
	}
	l->acc_n++;
	struct peer *p = peer_alloc(srv->loop, &srv->lim, &srv->cb, &responder_up,
	                            &srv->scratch, srv->test_alloc);
	if (!p) {
		drop_one(l, PEER_R_NOMEM);
		return;
	}
	if (peer_init_handles(p, l->kind) < 0) {
		if (!p->handles)
			peer_free(p);
		drop_one(l, PEER_R_NOMEM);
		return;
	}
	p->srv = srv;
	p->next = srv->peers;
	if (srv->peers)
		srv->peers->prev = p;
	srv->peers = p;
	srv->count++;
	p->state = P_HANDSHAKE;
	if (uv_accept(&l->u.s, &p->u.s) < 0) {
		p->silent = 1;
		peer_fail(p, PEER_R_IO);
		return;
	}
	if (identify(l, p, &key) < 0) {
		/* refused at admit (a source over its rate): it cost an accept
		 * and a close, not a place in the turn's share, so that such a
		 * flood does not hold back other sources' connections */
		l->acc_n--;
		l->ref_n++;
		return;
	}
	place(l, p, &key);
}

/* The next turn: place the parked connection, then take the pending one
 * (which makes libuv watch l again). */
static void resume_listener(struct peer_listener *l)
{
	struct peer *p = l->parked;
	if (p) {
		l->parked = NULL;
		p->parked_on = NULL;
		place(l, p, &p->parked_key);
		if (l->parked || l->srv->closing)
			return;
	}
	if (l->pending && !l->spare_busy && l->inited) {
		l->pending = 0;
		accept_one(l);
	}
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct peer_listener *l = ls->data;

	if (status < 0 || l->srv->closing)
		return;
	if (l->pending)
		return;   /* an earlier one still waits */
	accept_one(l);
}

static int listen_one(struct peer_server *srv, struct peer_listener *l, const char *addr)
{
	struct peer_addr a;
	int rc = peer_addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	l->srv = srv;
	l->kind = a.kind;
	if (a.kind == PEER_ADDR_TCP) {
		struct sockaddr_storage ss;
		peer_addr_sockaddr(&a, &ss);
		rc = uv_tcp_init(srv->loop, &l->u.tcp);
		if (rc < 0)
			return rc;
		l->inited = 1;
		l->u.h.data = l;
		srv->handles++;
		rc = uv_tcp_bind(&l->u.tcp, (const struct sockaddr *)&ss, 0);
	} else {
		struct stat st;
		if (lstat(a.path, &st) == 0) {
			if (!S_ISSOCK(st.st_mode))
				return -EEXIST;
			unlink(a.path);
		}
		rc = uv_pipe_init(srv->loop, &l->u.pipe, 0);
		if (rc < 0)
			return rc;
		l->inited = 1;
		l->u.h.data = l;
		srv->handles++;
		rc = uv_pipe_bind(&l->u.pipe, a.path);
		if (rc == 0)
			snprintf(l->path, sizeof l->path, "%s", a.path);
	}
	if (rc < 0)
		return rc;
	return uv_listen(&l->u.s, a.kind == PEER_ADDR_TCP ? PEER_BACKLOG_TCP
	                                                : PEER_BACKLOG_UNIX,
	                 on_connection);
}

static void on_turn_closed(uv_handle_t *h)
{
	struct peer_server *srv = h->data;
	srv->handles--;
	peer_server_maybe_done(srv);
}

/* Close the listeners (unlinking unix paths) and the fairness handles. */
static void server_close_listeners(struct peer_server *srv)
{
	if (srv->turn_inited) {
		srv->turn_inited = 0;
		uv_close((uv_handle_t *)&srv->prep, on_turn_closed);
		uv_close((uv_handle_t *)&srv->idle, on_turn_closed);
	}
	for (unsigned i = 0; i < PEER_LISTEN_MAX; i++) {
		struct peer_listener *l = &srv->l[i];
		if (!l->inited)
			continue;
		l->inited = 0;
		if (l->path[0])
			unlink(l->path);
		uv_close(&l->u.h, on_listener_closed);
	}
}

int peer_server_new(uv_loop_t *loop, const struct peer_server_config *cfg,
                    struct peer_server **out)
{
	if (!loop || !cfg || !out || !cfg->static_key || !cfg->listen[0])
		return -EINVAL;
	struct peer_server *srv = calloc(1, sizeof *srv);
	if (!srv)
		return -ENOMEM;
	srv->loop = loop;
	srv->key = cfg->static_key;
	if (cfg->test_ephemeral) {
		memcpy(srv->test_eph, cfg->test_ephemeral, 32);
		srv->have_test_eph = 1;
	}
	srv->test_alloc = cfg->test_alloc;
	srv->max_sessions = cfg->max_sessions ? cfg->max_sessions
	                                      : PEER_DEF_MAX_SESSIONS;
	srv->max_preauth = cfg->max_preauth ? cfg->max_preauth
	                                    : PEER_DEF_MAX_PREAUTH;
	srv->per_source = cfg->preauth_per_source ? cfg->preauth_per_source
	                                          : PEER_DEF_PREAUTH_PER_SOURCE;
	srv->per_turn = cfg->per_turn ? cfg->per_turn : PEER_DEF_PER_TURN;
	srv->replay = peer_replay_new();
	srv->sources = peer_src_new(srv->max_preauth);
	int rc0 = srv->replay && srv->sources ? 0 : -ENOMEM;
	if (rc0 == 0)
		rc0 = noise_hs_init_responder(&srv->hs0, srv->key,
		                              (const uint8_t *)PTM_PROLOGUE,
		                              PTM_PROLOGUE_LEN);
	if (rc0 < 0) {
		srv->closing = 1;
		server_free(srv);
		return rc0 == -ENOMEM ? -ENOMEM : -EINVAL;
	}
	srv->lim = cfg->limits;      /* defaults filled in by peer_alloc */
	srv->cb = cfg->cb;
	/* neither init can fail on unix (libuv only fills in the handle) */
	int rc = uv_prepare_init(loop, &srv->prep);
	if (rc == 0) {
		srv->prep.data = srv;
		uv_idle_init(loop, &srv->idle);
		srv->idle.data = srv;
		srv->turn_inited = 1;
		srv->handles += 2;
		uv_unref((uv_handle_t *)&srv->prep);
		rc = uv_prepare_start(&srv->prep, on_prepare);
	}
	for (unsigned i = 0; i < PEER_LISTEN_MAX && cfg->listen[i] && rc == 0; i++) {
		rc = listen_one(srv, &srv->l[i], cfg->listen[i]);
		srv->n_listen = i + 1;
	}
	if (rc < 0) {
		srv->closing = 1;
		server_close_listeners(srv);
		if (srv->handles == 0)
			server_free(srv);
		return rc;
	}
	*out = srv;
	return 0;
}

int peer_server_address_at(const struct peer_server *srv, unsigned i,
                           char *buf, size_t n)
{
	if (i >= srv->n_listen || !srv->l[i].inited)
		return -ENOENT;
	const struct peer_listener *l = &srv->l[i];
	int w;
	if (l->kind == PEER_ADDR_UNIX) {
		w = snprintf(buf, n, "unix:%s", l->path);
	} else {
		struct sockaddr_storage ss;
		int len = sizeof ss;
		char tmp[PEER_ADDR_MAX];
		if (uv_tcp_getsockname(&l->u.tcp, (struct sockaddr *)&ss, &len) < 0)
			return -ENOENT;
		peer_addr_format(&ss, tmp, sizeof tmp);
		w = snprintf(buf, n, "%s", tmp);
	}
	return (w < 0 || (size_t)w >= n) ? -ENOSPC : 0;
}

int peer_server_address(const struct peer_server *srv, char *buf, size_t n)
{
	return peer_server_address_at(srv, 0, buf, n);
}

unsigned peer_server_count(const struct peer_server *srv)
{
	return srv->count;
}

unsigned peer_server_sessions(const struct peer_server *srv)
{
	return srv->n_sessions;
}

unsigned peer_server_preauth(const struct peer_server *srv)
{
	return srv->n_preauth;
}

/* No new sessions from now on: the key forgotten, the listeners closed;
 * cb(ud) once everything is closed. */
static void begin_close(struct peer_server *srv, void (*cb)(void *ud),
                        void *ud)
{
	srv->closing = 1;
	srv->close_cb = cb;
	srv->close_ud = ud;
	srv->key = NULL;
	noise_hs_wipe(&srv->hs0);
	server_close_listeners(srv);
}

void peer_server_close(struct peer_server *srv, void (*cb)(void *ud), void *ud)
{
	if (!srv)
		return;
	if (srv->closing) {
		/* during peer_server_shutdown: cut every flush short */
		for (struct peer *p = srv->peers; p; p = p->next)
			if (p->state == P_FLUSHING)
				peer_flush_cut(p);
		return;
	}
	begin_close(srv, cb, ud);
	for (struct peer *p = srv->peers; p; p = p->next)
		peer_fail(p, PEER_R_SHUTDOWN);
	peer_server_maybe_done(srv);
}

void peer_server_shutdown(struct peer_server *srv, uint32_t deadline_ms,
                          void (*cb)(void *ud), void *ud)
{
	if (!srv || srv->closing)
		return;
	begin_close(srv, cb, ud);
	for (struct peer *p = srv->peers; p; p = p->next) {
		if (p->state == P_OPEN)
			peer_start_flush(p, deadline_ms, PEER_R_SHUTDOWN);
		else
			peer_fail(p, PEER_R_SHUTDOWN);
	}
	peer_server_maybe_done(srv);
}
