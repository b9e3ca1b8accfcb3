/*
 * net/peer.c — one encrypted connection on a libuv stream (see peer.h;
 * the structs and the split into files: peer_impl.h): closing and
 * freeing, the write queue and its cap, the flushing close, the deadlines
 * and keepalive on one timer, reading frames and the transport messages.
 * The handshake steps are in peer_hs.c, the listener in peer_server.c.
 *
 * Deadlines are absolute times on the loop clock (uv_now), and one timer
 * per peer is armed for the earliest of them.
 *
 * Fairness (peer_impl.h): a responder peer handles at most its server's
 * per_turn frames per loop turn; the rest of a read waits in p->held,
 * with reading stopped, for the next turn (peer_resume).
 */
#include "net/peer_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "net/msg.h"
#include "util/be.h"

/* ---- names ------------------------------------------------------------------ */

const char *peer_reason_name(int reason)
{
	switch (reason) {
	case PEER_R_LOCAL: return "local_close";
	case PEER_R_EOF: return "eof";
	case PEER_R_IO: return "io_error";
	case PEER_R_HS_DEADLINE: return "handshake_deadline";
	case PEER_R_FRAME_DEADLINE: return "frame_deadline";
	case PEER_R_DEAD: return "dead";
	case PEER_R_DECRYPT: return "decrypt_failed";
	case PEER_R_HANDSHAKE: return "handshake_refused";
	case PEER_R_REFUSED: return "unknown_remote";
	case PEER_R_WRITE_CAP: return "write_cap";
	case PEER_R_OVERSIZE: return "oversize_frame";
	case PEER_R_CONNECT: return "connect_failed";
	case PEER_R_SHUTDOWN: return "shutdown";
	case PEER_R_FULL: return "too_many_sessions";
	case PEER_R_PROTOCOL: return "protocol_error";
	case PEER_R_NOMEM: return "no_memory";
	case PEER_R_NONCE: return "nonce_exhausted";
	case PEER_R_FLUSH_DEADLINE: return "flush_deadline";
	case PEER_R_EVICTED: return "evicted";
	case PEER_R_REPLAY: return "replayed_message1";
	default: return "unknown";
	}
}

/* ---- limits ----------------------------------------------------------------- */

static struct peer_limits limits_of(const struct peer_limits *in)
{
	struct peer_limits l = *in;
	if (!l.handshake_ms) l.handshake_ms = PEER_DEF_HANDSHAKE_MS;
	if (!l.frame_ms) l.frame_ms = PEER_DEF_FRAME_MS;
	if (!l.keepalive_ms) l.keepalive_ms = PEER_DEF_KEEPALIVE_MS;
	if (!l.dead_ms) l.dead_ms = PEER_DEF_DEAD_MS;
	if (!l.write_cap) l.write_cap = PEER_DEF_WRITE_CAP;
	return l;
}

/* ---- closing ---------------------------------------------------------------- */

static void drop_cork(struct peer *p)
{
	if (p->cork) {
		sodium_memzero(p->cork->buf, p->cork->len);
		free(p->cork);
	}
	p->cork = NULL;
	p->cork_cap = 0;
	p->corked = 0;
}

void peer_free(struct peer *p)
{
	noise_hs_wipe(&p->hs);
	noise_cipher_wipe(&p->tx);
	noise_cipher_wipe(&p->rx);
	if (p->fr) {
		sodium_memzero(p->fr, sizeof *p->fr);
		free(p->fr);
	}
	if (p->held) {
		sodium_memzero(p->held, p->held_len);
		free(p->held);
	}
	if (p->own_scratch)
		sodium_memzero(p->scratch, sizeof *p->scratch);
	drop_cork(p);
	free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct peer *p = h->data;
	if (--p->handles > 0)
		return;
	struct peer_server *srv = p->srv;
	const struct peer_up *up = p->up;   /* p is freed before srv may be */
	if (srv)
		up->srv_unlink(srv, p);
	if (!p->silent) {
		if (p->opened || p->initiator) {
			if (p->cb.on_close)
				p->cb.on_close(p->cb.ud, p, p->reason);
		} else if (p->reason != PEER_R_REFUSED && p->cb.on_handshake_fail) {
			p->cb.on_handshake_fail(p->cb.ud, p->reason, p->addr);
		}
	}
	peer_free(p);
	if (srv)
		up->srv_maybe_done(srv);
}

void peer_fail(struct peer *p, int reason)
{
	if (p->state == P_CLOSING)
		return;
	p->state = P_CLOSING;
	p->reason = reason;
	peer_unhold(p);
	noise_hs_wipe(&p->hs);   /* nothing in it is needed any more */
	if (p->srv)
		p->up->srv_leave(p->srv, p);
	uv_timer_stop(&p->timer);
	if (!p->rehandle) {   /* else already closing (peer_connect_retry) */
		uv_read_stop(&p->u.s);
		uv_close(&p->u.h, on_handle_closed);
	}
	uv_close((uv_handle_t *)&p->timer, on_handle_closed);
}

/* The stream handle closed for a retry (peer_hs.c): in a fresh one,
 * connect again at p->retry_at, unless p was closed meanwhile. */
static void on_rehandle_closed(uv_handle_t *h)
{
	struct peer *p = h->data;
	p->rehandle = 0;
	if (p->state == P_CLOSING) {
		on_handle_closed(h);
		return;
	}
	uv_pipe_init(p->loop, &p->u.pipe, 0);   /* cannot fail on unix */
	p->u.h.data = p;
	peer_rearm(p);
}

void peer_connect_retry(struct peer *p, uint32_t wait_ms)
{
	p->rehandle = 1;
	p->retry_at = uv_now(p->loop) + wait_ms;
	uv_timer_stop(&p->timer);
	uv_close(&p->u.h, on_rehandle_closed);
}

/* ---- writing ---------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status)
{
	struct peer_wreq *w = (struct peer_wreq *)req;
	struct peer *p = w->p;
	sodium_memzero(w->buf, w->len);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		peer_fail(p, PEER_R_IO);
}

/* Queue one frame holding body[0..len) (already encrypted / a handshake
 * message) plus a header.  Returns 0 or -errno; on failure the peer is
 * failed with a reason. */
static int write_now(struct peer *p, struct peer_wreq *w);

/* Corked: room for n more bytes after the held ones (0), or -ENOMEM. */
static int cork_room(struct peer *p, size_t n)
{
	size_t have = p->cork ? p->cork->len : 0;
	if (have + n <= p->cork_cap)
		return 0;
	size_t cap = p->cork_cap ? p->cork_cap * 2 : 512;
	while (cap < have + n)
		cap *= 2;
	struct peer_wreq *c = malloc(sizeof *c + cap);
	if (!c)
		return -ENOMEM;
	c->p = p;
	c->len = have;
	if (p->cork) {
		memcpy(c->buf, p->cork->buf, have);
		sodium_memzero(p->cork->buf, have);
		free(p->cork);
	}
	p->cork = c;
	p->cork_cap = cap;
	return 0;
}

/* Corked: w's bytes go after the held ones (w is freed). */
static int hold_frame(struct peer *p, struct peer_wreq *w)
{
	if (cork_room(p, w->len) < 0) {
		sodium_memzero(w->buf, w->len);
		free(w);
		peer_fail(p, PEER_R_NOMEM);
		return -EPIPE;
	}
	memcpy(p->cork->buf + p->cork->len, w->buf, w->len);
	p->cork->len += w->len;
	sodium_memzero(w->buf, w->len);
	free(w);
	return 0;
}

static int try_then_queue(struct peer *p, uint8_t *f, size_t total);

void peer_cork(struct peer *p)
{
	if (p && p->state == P_OPEN)
		p->corked = 1;
}

void peer_uncork(struct peer *p)
{
	if (!p || !p->corked)
		return;
	struct peer_wreq *w = p->cork;
	p->corked = 0;
	p->cork = NULL;
	p->cork_cap = 0;
	if (!w)
		return;
	if (p->state == P_CLOSING ||
	    uv_stream_get_write_queue_size(&p->u.s) != 0) {
		if (p->state == P_CLOSING) {
			sodium_memzero(w->buf, w->len);
			free(w);
		} else {
			write_now(p, w);   /* after what waits: in order */
		}
		return;
	}
	/* nothing waits: to the kernel at once, queued only what it leaves */
	try_then_queue(p, w->buf, w->len);
	sodium_memzero(w->buf, w->len);
	free(w);
}

int peer_write_frame(struct peer *p, struct peer_wreq *w)
{
	if (p->corked)
		return hold_frame(p, w);
	return write_now(p, w);
}

static int write_now(struct peer *p, struct peer_wreq *w)
{
	uv_buf_t b = uv_buf_init((char *)w->buf, (unsigned)w->len);
	int rc = uv_write(&w->req, &p->u.s, &b, 1, on_write);
	if (rc < 0) {
		sodium_memzero(w->buf, w->len);
		free(w);
		peer_fail(p, PEER_R_IO);
		return -EPIPE;
	}
	p->last_send = uv_now(p->loop);
	return 0;
}

struct peer_wreq *peer_wreq_new(struct peer *p, size_t body)
{
	struct peer_wreq *w = malloc(sizeof *w + FRAME_HDR + body);
	if (!w)
		return NULL;
	w->p = p;
	w->len = FRAME_HDR + body;
	be16_put(w->buf, (uint16_t)body);   /* the frame header; body <= FRAME_MAX */
	return w;
}

/* Nothing queued: the frame is encrypted on the stack and handed to the
 * kernel at once (uv_try_write); only what it does not take is copied into
 * a write request.  No allocation and no write callback per message when
 * the socket keeps up. */
static int send_now(struct peer *p, const uint8_t *msg, size_t len)
{
	uint8_t f[FRAME_HDR + FRAME_MAX];
	size_t body = len + NOISE_TAGLEN, total = FRAME_HDR + body;
	be16_put(f, (uint16_t)body);
	int n = noise_cipher_encrypt(&p->tx, NULL, 0, msg, len, f + FRAME_HDR);
	if (n < 0) {
		peer_fail(p, n == -EOVERFLOW ? PEER_R_NONCE : PEER_R_PROTOCOL);
		return -EPIPE;
	}
	int e = try_then_queue(p, f, total);
	sodium_memzero(f, total);
	return e;
}

/* f[0..total) to the kernel now (uv_try_write, nothing may be queued);
 * what it does not take is copied into a write request and queued.  The
 * caller wipes f. */
static int try_then_queue(struct peer *p, uint8_t *f, size_t total)
{
	uv_buf_t b = uv_buf_init((char *)f, (unsigned)total);
	int w = uv_try_write(&p->u.s, &b, 1);
	if (w < 0 && w != UV_EAGAIN) {
		peer_fail(p, PEER_R_IO);
		return -EPIPE;
	}
	size_t done = w > 0 ? (size_t)w : 0;
	if (done == total) {
		p->last_send = uv_now(p->loop);
		return 0;
	}
	/* the rest is queued as any frame (its header is part of f) */
	struct peer_wreq *r = malloc(sizeof *r + total - done);
	if (!r) {
		peer_fail(p, PEER_R_NOMEM);
		return -ENOMEM;
	}
	r->p = p;
	r->len = total - done;
	memcpy(r->buf, f + done, r->len);
	return write_now(p, r);
}

int peer_write_bytes(struct peer *p, uint8_t *f, size_t total)
{
	int e = try_then_queue(p, f, total);
	sodium_memzero(f, total);
	return e;
}

/* msg encrypted into a new frame of its own; NULL (the peer failed, *err
 * the error to return) when it cannot be. */
static struct peer_wreq *sealed_frame(struct peer *p, const uint8_t *msg,
                                      size_t len, int *err)
{
	struct peer_wreq *w = peer_wreq_new(p, len + NOISE_TAGLEN);
	if (!w) {
		peer_fail(p, PEER_R_NOMEM);
		*err = -ENOMEM;
		return NULL;
	}
	int n = noise_cipher_encrypt(&p->tx, NULL, 0, msg, len, w->buf + FRAME_HDR);
	if (n < 0) {
		free(w);
		peer_fail(p, n == -EOVERFLOW ? PEER_R_NONCE : PEER_R_PROTOCOL);
		*err = -EPIPE;
		return NULL;
	}
	return w;
}

/* Encrypt and queue a transport message (len may be 0: keepalive). */
static int send_transport(struct peer *p, const uint8_t *msg, size_t len)
{
	size_t body = len + NOISE_TAGLEN;
	size_t queued = uv_stream_get_write_queue_size(&p->u.s) +
	                (p->cork ? p->cork->len : 0);
	if (queued + FRAME_HDR + body > p->lim.write_cap) {
		peer_fail(p, PEER_R_WRITE_CAP);
		return -ENOBUFS;
	}
	if (!p->corked && queued == 0)
		return send_now(p, msg, len);
	if (p->corked) {
		/* sealed in place after the frames held before it */
		if (cork_room(p, FRAME_HDR + body) < 0) {
			peer_fail(p, PEER_R_NOMEM);
			return -ENOMEM;
		}
		uint8_t *f = p->cork->buf + p->cork->len;
		be16_put(f, (uint16_t)body);
		int n = noise_cipher_encrypt(&p->tx, NULL, 0, msg, len, f + FRAME_HDR);
		if (n < 0) {
			peer_fail(p, n == -EOVERFLOW ? PEER_R_NONCE : PEER_R_PROTOCOL);
			return -EPIPE;
		}
		p->cork->len += FRAME_HDR + body;
		return 0;
	}
	int e;
	struct peer_wreq *w = sealed_frame(p, msg, len, &e);
	return w ? peer_write_frame(p, w) : e;
}

int peer_send(struct peer *p, const uint8_t *msg, size_t len)
{
	if (!p || (!msg && len))
		return -EINVAL;
	if (len == 0)
		return -EINVAL;
	if (len > MSG_MAX)
		return -EMSGSIZE;
	if (p->state != P_OPEN)
		return -ENOTCONN;
	int rc = send_transport(p, msg, len);
	if (rc == 0)
		peer_rearm(p);
	return rc;
}

int peer_send_cut(struct peer *p, const uint8_t *msg, size_t len)
{
	if (!p || !msg || len == 0)
		return -EINVAL;
	if (len > MSG_MAX)
		return -EMSGSIZE;
	if (p->state != P_OPEN)
		return -ENOTCONN;
	int e;
	struct peer_wreq *w = sealed_frame(p, msg, len, &e);
	if (!w)
		return e;
	w->len = FRAME_HDR + (len + NOISE_TAGLEN) / 2;   /* the header says the
	                                                    whole body: half follows */
	int rc = peer_write_frame(p, w);
	if (rc == 0)
		peer_start_flush(p, 0, PEER_R_LOCAL);
	return rc;
}

void peer_close(struct peer *p)
{
	if (p)
		peer_fail(p, PEER_R_LOCAL);
}

/* ---- flushing close ---------------------------------------------------------- */

/* The write side is shut (every queued write done) or it failed. */
static void on_shutdown(uv_shutdown_t *req, int status)
{
	struct peer *p = req->data;
	if (p->state != P_FLUSHING)
		return;       /* closed meanwhile (UV_ECANCELED) */
	if (status < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	p->shut_done = 1;
	if (p->eof_seen)
		peer_fail(p, p->reason);
}

/* Reading goes on while flushing, so that bytes the other side still sends
 * do not sit unread in our socket (closing with unread bytes sends a reset,
 * which can destroy our last reply before the other side has read it). */
static void flush_read(struct peer *p, ssize_t nread)
{
	if (nread >= 0)
		return;       /* discarded */
	uv_read_stop(&p->u.s);
	if (nread != UV_EOF) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	p->eof_seen = 1;
	if (p->shut_done)
		peer_fail(p, p->reason);
}

void peer_start_flush(struct peer *p, uint32_t deadline_ms, int reason)
{
	peer_uncork(p);   /* what it held goes before the shutdown */
	if (p->state == P_CLOSING)
		return;
	p->state = P_FLUSHING;
	p->reason = reason;
	p->frame_deadline = 0;
	p->flush_deadline = uv_now(p->loop) +
	                    (deadline_ms ? deadline_ms : PEER_DEF_FLUSH_MS);
	p->r.sreq.data = p;
	/* a peer held for fairness reads again: flush_read discards */
	if (peer_unhold(p) && peer_read_start(p) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	if (uv_shutdown(&p->r.sreq, &p->u.s, on_shutdown) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	peer_rearm(p);
}

/* Cut a flush short: the reason says whether the queue had drained. */
void peer_flush_cut(struct peer *p)
{
	peer_fail(p, p->shut_done ? p->reason : PEER_R_FLUSH_DEADLINE);
}

void peer_close_flush(struct peer *p, uint32_t deadline_ms)
{
	if (!p || p->state == P_FLUSHING || p->state == P_CLOSING)
		return;
	if (p->state != P_OPEN) {
		peer_fail(p, PEER_R_LOCAL);
		return;
	}
	peer_start_flush(p, deadline_ms, PEER_R_LOCAL);
}

/* ---- timers ----------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct peer *p = t->data;
	uint64_t now = uv_now(p->loop);

	if (p->state == P_CLOSING)
		return;
	if (p->state == P_CONNECTING && p->retry_at && now >= p->retry_at &&
	    now < p->hs_deadline) {
		p->retry_at = 0;
		p->up->connect_again(p);
		return;
	}
	if (p->state == P_FLUSHING) {
		if (now >= p->flush_deadline)
			peer_flush_cut(p);
		else
			peer_rearm(p);
		return;
	}
	if (p->state != P_OPEN && now >= p->hs_deadline) {
		peer_fail(p, PEER_R_HS_DEADLINE);
		return;
	}
	if (p->frame_deadline && now >= p->frame_deadline) {
		peer_fail(p, PEER_R_FRAME_DEADLINE);
		return;
	}
	if (p->state == P_OPEN) {
		if (now >= p->last_recv + p->lim.dead_ms) {
			peer_fail(p, PEER_R_DEAD);
			return;
		}
		if (now >= p->last_send + p->lim.keepalive_ms) {
			if (send_transport(p, NULL, 0) < 0)
				return;
		}
	}
	peer_rearm(p);
}

void peer_rearm(struct peer *p)
{
	if (p->state == P_CLOSING || p->rehandle)
		return;
	uint64_t next = UINT64_MAX;
	if (p->state == P_FLUSHING)
		next = p->flush_deadline;
	else if (p->state != P_OPEN)
		next = p->hs_deadline;
	if (p->state == P_CONNECTING && p->retry_at && p->retry_at < next)
		next = p->retry_at;
	if (p->frame_deadline && p->frame_deadline < next)
		next = p->frame_deadline;
	if (p->state == P_OPEN) {
		uint64_t d = p->last_recv + p->lim.dead_ms;
		uint64_t k = p->last_send + p->lim.keepalive_ms;
		if (d < next) next = d;
		if (k < next) next = k;
	}
	uint64_t now = uv_now(p->loop);
	if (next < now)
		next = now;
	/* armed for no later: leave it (on_timer looks again and re-arms), so
	 * that a message, which moves the deadlines later, costs no timer */
	if (uv_is_active((uv_handle_t *)&p->timer) && p->timer_at <= next)
		return;
	p->timer_at = next;
	uv_timer_start(&p->timer, on_timer, next - now, 0);
}

/* ---- reading ---------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct peer *p = h->data;
	(void)hint;
	*buf = uv_buf_init((char *)p->scratch->rbuf, sizeof p->scratch->rbuf);
}

static void transport_msg(struct peer *p, const uint8_t *in, size_t len)
{
	uint8_t pt[FRAME_MAX];
	int n = noise_cipher_decrypt(&p->rx, NULL, 0, in, len, pt);
	if (n < 0) {
		peer_fail(p, n == -EOVERFLOW ? PEER_R_NONCE : PEER_R_DECRYPT);
		return;
	}
	p->last_recv = uv_now(p->loop);
	if (!p->proven && p->srv) {
		p->proven = 1;
		if (p->cb.on_proven) {
			p->cb.on_proven(p->cb.ud, p);
			if (p->state != P_OPEN) {   /* closed or flushing */
				sodium_memzero(pt, (size_t)n);
				return;
			}
		}
	}
	if (n > 0 && p->cb.on_message)
		p->cb.on_message(p->cb.ud, p, pt, (size_t)n);
	sodium_memzero(pt, (size_t)n);
}

static void handle_frame(struct peer *p, const uint8_t *in, size_t len)
{
	switch (p->state) {
	case P_HANDSHAKE:
		p->up->hs_frame(p, in, len);
		break;
	case P_OPEN:
		transport_msg(p, in, len);
		break;
	default:
		peer_fail(p, PEER_R_PROTOCOL);
		break;
	}
}

/* Bring p's share of this loop turn up to date; 1 if p may start another
 * frame now.  Initiators (no server) have no limit. */
static int turn_left(struct peer *p)
{
	const struct peer_server *srv = p->srv;
	if (!srv || !srv->per_turn)
		return 1;
	if (p->turn != srv->turn) {
		p->turn = srv->turn;
		p->turn_frames = 0;
	}
	return p->turn_frames < srv->per_turn;
}

/* The reader for the next bytes: p's partial frame, else the scratch one,
 * empty. */
static struct frame_reader *reader_of(struct peer *p)
{
	if (p->fr)
		return p->fr;
	frame_init(&p->scratch->fr);
	return &p->scratch->fr;
}

/* Cut in[0..len) into frames with fr and handle them while p is
 * handshaking or open and its share of this turn lasts (checked between
 * frames only).  Returns the bytes used; fewer than len only with fr
 * empty (or p no longer reading). */
static size_t consume(struct peer *p, struct frame_reader *fr,
                      const uint8_t *in, size_t len)
{
	size_t done = 0;
	/* a callback may close or flush-close p: then stop at once */
	while (done < len && (p->state == P_HANDSHAKE || p->state == P_OPEN)) {
		if (!frame_pending(fr) && !turn_left(p))
			break;
		size_t used = 0;
		int rc = frame_feed(fr, in + done, len - done, &used);
		done += used;
		if (rc < 0) {
			peer_fail(p, PEER_R_OVERSIZE);
			break;
		}
		if (rc == FRAME_READY) {
			p->frame_deadline = 0;
			turn_left(p);         /* a frame begun in an earlier turn */
			p->turn_frames++;
			handle_frame(p, frame_data(fr), frame_len(fr));
		}
	}
	return done;
}

/* Every byte read so far is fed: keep a partial frame past this callback
 * (its deadline running from its first byte), or free the one kept. */
static void read_done(struct peer *p, const struct frame_reader *fr)
{
	if (frame_pending(fr)) {
		if (!p->fr) {
			p->fr = malloc(sizeof *p->fr);
			if (!p->fr) {
				peer_fail(p, PEER_R_NOMEM);
				return;
			}
			memcpy(p->fr, fr, sizeof *fr);
		}
		if (!p->frame_deadline)
			p->frame_deadline = uv_now(p->loop) + p->lim.frame_ms;
	} else if (p->fr) {
		sodium_memzero(p->fr, sizeof *p->fr);
		free(p->fr);
		p->fr = NULL;
	}
	peer_rearm(p);
}

/* p used its share with in[0..len) still to feed (from a frame boundary):
 * keep the bytes, stop reading and wait for the next turn. */
static void hold(struct peer *p, const uint8_t *in, size_t len)
{
	uint8_t *b = malloc(len);
	if (!b) {
		peer_fail(p, PEER_R_NOMEM);
		return;
	}
	memcpy(b, in, len);
	if (p->held) {
		sodium_memzero(p->held, p->held_len);
		free(p->held);
	}
	p->held = b;
	p->held_len = len;
	p->held_off = 0;
	p->held_on = 1;
	uv_read_stop(&p->u.s);
	p->up->srv_hold(p->srv, p);
	if (p->fr) {          /* its frame completed: the held bytes start anew */
		sodium_memzero(p->fr, sizeof *p->fr);
		free(p->fr);
		p->fr = NULL;
	}
	peer_rearm(p);
}

void peer_resume(struct peer *p)
{
	if (!p->held_on || (p->state != P_HANDSHAKE && p->state != P_OPEN))
		return;
	struct frame_reader *fr = reader_of(p);
	size_t used = consume(p, fr, p->held + p->held_off,
	                      p->held_len - p->held_off);
	if (p->state != P_HANDSHAKE && p->state != P_OPEN)
		return;   /* closed or flushing: the bytes are dropped */
	p->held_off += used;
	if (p->held_off < p->held_len) {
		p->up->srv_hold(p->srv, p);   /* more than this turn's share */
		return;
	}
	sodium_memzero(p->held, p->held_len);
	free(p->held);
	p->held = NULL;
	p->held_len = p->held_off = 0;
	p->held_on = 0;
	if (peer_read_start(p) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	read_done(p, fr);
}

int peer_unhold(struct peer *p)
{
	int was = p->held_on;
	if (p->held_queued)
		p->up->srv_unhold(p->srv, p);
	p->held_on = 0;
	p->held_off = p->held_len;
	return was;
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct peer *p = s->data;
	(void)buf;

	if (p->state == P_CLOSING)
		return;
	if (p->state == P_FLUSHING) {
		flush_read(p, nread);
		return;
	}
	if (nread < 0) {
		if (nread == UV_EOF && p->fr)
			peer_fail(p, PEER_R_PROTOCOL);
		else if (nread == UV_EOF && p->initiator && p->state == P_HANDSHAKE)
			peer_fail(p, PEER_R_REFUSED); /* the pump hung up on us */
		else if (nread == UV_EOF)
			peer_fail(p, PEER_R_EOF);
		else
			peer_fail(p, PEER_R_IO);
		return;
	}
	struct frame_reader *fr = reader_of(p);
	size_t used = consume(p, fr, p->scratch->rbuf, (size_t)nread);
	if (p->state != P_HANDSHAKE && p->state != P_OPEN)
		return;
	if (used < (size_t)nread)
		hold(p, p->scratch->rbuf + used, (size_t)nread - used);
	else
		read_done(p, fr);
}

int peer_read_start(struct peer *p)
{
	return uv_read_start(&p->u.s, on_alloc, on_read);
}

/* ---- peers ------------------------------------------------------------------- */

/* an initiator and its own scratch, in one allocation */
struct peer_own {
	struct peer p;
	struct peer_scratch s;
};

struct peer *peer_alloc(uv_loop_t *loop, const struct peer_limits *lim,
                        const struct peer_callbacks *cb,
                        const struct peer_up *up,
                        struct peer_scratch *scratch,
                        void *(*alloc)(size_t))
{
	struct peer *p;
	if (scratch) {
		p = alloc ? alloc(sizeof *p) : calloc(1, sizeof *p);
		if (!p)
			return NULL;
		p->scratch = scratch;
	} else {
		struct peer_own *o = calloc(1, sizeof *o);
		if (!o)
			return NULL;
		p = &o->p;
		p->scratch = &o->s;
		p->own_scratch = 1;
	}
	p->loop = loop;
	p->lim = limits_of(lim);
	p->cb = *cb;
	p->up = up;
	p->hs_deadline = uv_now(loop) + p->lim.handshake_ms;
	return p;
}

/* Both handles initialised: from here on the peer ends through peer_fail. */
int peer_init_handles(struct peer *p, int kind)
{
	int rc = kind == PEER_ADDR_TCP ? uv_tcp_init(p->loop, &p->u.tcp)
	                               : uv_pipe_init(p->loop, &p->u.pipe, 0);
	if (rc < 0)
		return rc;
	p->u.h.data = p;
	rc = uv_timer_init(p->loop, &p->timer);
	if (rc < 0) {
		p->handles = 1;
		p->silent = 1;
		p->state = P_CLOSING;
		uv_close(&p->u.h, on_handle_closed);
		return rc;
	}
	p->timer.data = p;
	p->handles = 2;
	return 0;
}

int peer_is_open(const struct peer *p)
{
	return p && p->state == P_OPEN;
}

void peer_set_data(struct peer *p, void *data) { p->data = data; }
void *peer_data(const struct peer *p) { return p->data; }

int peer_remote_static(const struct peer *p, uint8_t out[PEER_KEYLEN])
{
	if (p->initiator || p->have_rs) {
		memcpy(out, p->rs, PEER_KEYLEN);
		return 0;
	}
	return -ENOTCONN;
}

void peer_remote_addr(const struct peer *p, char *buf, size_t n)
{
	snprintf(buf, n, "%s", p->addr);
}

int peer_handshake_hash(const struct peer *p, uint8_t out[32])
{
	if (!p->opened)
		return -ENOTCONN;
	memcpy(out, p->hash, 32);
	return 0;
}

size_t peer_write_queued(const struct peer *p)
{
	if (p->state == P_CLOSING)
		return 0;
	return uv_stream_get_write_queue_size(&p->u.s) +
	       (p->cork ? p->cork->len : 0);
}
