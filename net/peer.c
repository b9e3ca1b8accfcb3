/*
 * net/peer.c — an encrypted connection on a libuv stream (see peer.h).
 *
 * Lifetime: a peer owns two handles, its stream and its timer.  Closing
 * (peer_fail) stops reading, closes both and marks the peer CLOSING; the
 * memory is freed in the second close callback, after libuv has called
 * every pending write callback.  So any callback may close any peer (or
 * the server) and the code that called it keeps a valid pointer until it
 * returns to the loop: after a callback we look at p->state, never at a
 * freed peer.
 *
 * Deadlines are absolute times on the loop clock (uv_now), and one timer
 * per peer is armed for the earliest of them.
 */
#include "net/peer.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/frame.h"
#include "net/msg.h"

enum pstate {
	P_CONNECTING = 1, /* initiator: TCP/unix connect in progress */
	P_HANDSHAKE,      /* waiting for message 1 (responder) or 2 (initiator) */
	P_OPEN,
	P_FLUSHING,       /* peer_close_flush: draining writes, then closing */
	P_CLOSING,
};

struct peer {
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} u;
	uv_timer_t timer;
	union {
		uv_connect_t creq;    /* initiator, while P_CONNECTING */
		uv_shutdown_t sreq;   /* while P_FLUSHING */
	} r;
	uv_loop_t *loop;
	struct peer_server *srv;      /* responder: the server, else NULL */
	struct peer *next, *prev;     /* in srv->peers */
	struct peer_callbacks cb;
	struct peer_limits lim;
	int initiator;
	int state;
	int opened;                   /* on_open was called */
	int silent;                   /* no callback at all (setup failed) */
	int reason;                   /* why it is closing */
	int handles;                  /* handles still to close */
	int shut_done;                /* flushing: queue drained, write side shut */
	int eof_seen;                 /* flushing: the other side closed */
	noise_hs hs;
	noise_cipher tx, rx;
	uint8_t rs[PEER_KEYLEN];
	int have_rs;
	uint8_t hash[32];
	uint8_t test_ts[PEER_TAI64N_LEN]; /* initiator, tests: fixed timestamp */
	int have_test_ts;
	struct frame_reader fr;
	uint64_t hs_deadline;
	uint64_t frame_deadline;      /* 0: no frame started */
	uint64_t flush_deadline;      /* P_FLUSHING: close by then */
	uint64_t last_send, last_recv;
	void *data;
	char addr[PEER_ADDR_MAX];
	uint8_t rbuf[FRAME_MAX + FRAME_HDR];
};

struct listener {
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} u;
	/* a connection we cannot serve (no memory) is accepted into spare and
	 * closed at once: libuv stops watching a listener whose connection
	 * was not accepted, so leaving it would stop all accepting */
	union {
		uv_handle_t h;
		uv_stream_t s;
		uv_tcp_t tcp;
		uv_pipe_t pipe;
	} spare;
	int spare_busy;               /* spare is closing */
	int pending;                  /* a connection waits for uv_accept */
	struct peer_server *srv;
	int kind;
	int inited;
	char path[108];
};

struct peer_server {
	uv_loop_t *loop;
	struct listener l[PEER_LISTEN_MAX];
	unsigned n_listen;
	unsigned handles;             /* listener handles not yet closed */
	uint8_t key[PEER_KEYLEN];
	uint8_t test_eph[32];
	int have_test_eph;
	void *(*test_alloc)(size_t n);
	unsigned max_peers;
	struct peer_limits lim;
	struct peer_callbacks cb;
	struct peer *peers;
	unsigned count;
	int closing;
	void (*close_cb)(void *ud);
	void *close_ud;
};

struct wreq {
	uv_write_t req;
	struct peer *p;
	size_t len;
	uint8_t buf[];
};

static void peer_fail(struct peer *p, int reason);
static void rearm(struct peer *p);

/* ---- addresses ------------------------------------------------------------ */

int peer_addr_parse(const char *s, struct peer_addr *out)
{
	struct peer_addr a;

	memset(&a, 0, sizeof a);
	if (!s || !*s)
		return -EINVAL;
	if (strncmp(s, "unix:", 5) == 0 || (strncmp(s, "tcp:", 4) != 0 && strchr(s, '/'))) {
		const char *path = strncmp(s, "unix:", 5) == 0 ? s + 5 : s;
		size_t n = strlen(path);
		if (n == 0 || n >= sizeof a.path)
			return -EINVAL;
		a.kind = PEER_ADDR_UNIX;
		memcpy(a.path, path, n + 1);
		*out = a;
		return 0;
	}
	if (strncmp(s, "tcp:", 4) != 0)
		return -EINVAL;
	const char *h = s + 4, *colon;
	size_t hl;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - h - 1);
		h++;
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h);
		if (memchr(h, ':', hl))
			return -EINVAL; /* IPv6 needs brackets */
	}
	if (hl == 0 || hl >= sizeof a.host)
		return -EINVAL;
	memcpy(a.host, h, hl);
	a.host[hl] = '\0';
	if (strcmp(a.host, "localhost") == 0)
		strcpy(a.host, "127.0.0.1");
	const char *ps = colon + 1;
	if (!*ps || strlen(ps) > 5)
		return -EINVAL;
	unsigned long port = 0;
	for (const char *c = ps; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		port = port * 10 + (unsigned long)(*c - '0');
	}
	if (port > 65535)
		return -EINVAL;
	a.port = (uint16_t)port;
	a.kind = PEER_ADDR_TCP;
	/* numeric only: check now so bind/connect cannot fail on it later */
	struct sockaddr_storage ss;
	if (uv_ip4_addr(a.host, a.port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(a.host, a.port, (struct sockaddr_in6 *)&ss) != 0)
		return -EINVAL;
	*out = a;
	return 0;
}

static int sockaddr_of(const struct peer_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -EINVAL;
}

static void format_sockaddr(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char ip[64] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		uv_ip4_name(in, ip, sizeof ip);
		port = ntohs(in->sin_port);
		snprintf(buf, n, "tcp:%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		uv_ip6_name(in6, ip, sizeof ip);
		port = ntohs(in6->sin6_port);
		snprintf(buf, n, "tcp:[%s]:%u", ip, port);
	} else {
		snprintf(buf, n, "unix:");
	}
}

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
	case PEER_R_FULL: return "too_many_connections";
	case PEER_R_PROTOCOL: return "protocol_error";
	case PEER_R_NOMEM: return "no_memory";
	case PEER_R_NONCE: return "nonce_exhausted";
	case PEER_R_FLUSH_DEADLINE: return "flush_deadline";
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

static void server_maybe_done(struct peer_server *srv);

static void peer_free(struct peer *p)
{
	noise_hs_wipe(&p->hs);
	noise_cipher_wipe(&p->tx);
	noise_cipher_wipe(&p->rx);
	sodium_memzero(p->fr.buf, sizeof p->fr.buf);
	sodium_memzero(p->rbuf, sizeof p->rbuf);
	free(p);
}

static void on_handle_closed(uv_handle_t *h)
{
	struct peer *p = h->data;
	if (--p->handles > 0)
		return;
	struct peer_server *srv = p->srv;
	if (srv) {
		if (p->prev) p->prev->next = p->next;
		else srv->peers = p->next;
		if (p->next) p->next->prev = p->prev;
		srv->count--;
	}
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
		server_maybe_done(srv);
}

static void peer_fail(struct peer *p, int reason)
{
	if (p->state == P_CLOSING)
		return;
	p->state = P_CLOSING;
	p->reason = reason;
	uv_read_stop(&p->u.s);
	uv_timer_stop(&p->timer);
	uv_close(&p->u.h, on_handle_closed);
	uv_close((uv_handle_t *)&p->timer, on_handle_closed);
}

/* ---- writing ---------------------------------------------------------------- */

static void on_write(uv_write_t *req, int status)
{
	struct wreq *w = (struct wreq *)req;
	struct peer *p = w->p;
	sodium_memzero(w->buf, w->len);
	free(w);
	if (status < 0 && status != UV_ECANCELED)
		peer_fail(p, PEER_R_IO);
}

/* Queue one frame holding body[0..len) (already encrypted / a handshake
 * message) plus a header.  Returns 0 or -errno; on failure the peer is
 * failed with a reason. */
static int write_frame(struct peer *p, struct wreq *w)
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

static struct wreq *wreq_new(struct peer *p, size_t body)
{
	struct wreq *w = malloc(sizeof *w + FRAME_HDR + body);
	if (!w)
		return NULL;
	w->p = p;
	w->len = FRAME_HDR + body;
	w->buf[0] = (uint8_t)(body >> 8);
	w->buf[1] = (uint8_t)body;
	return w;
}

/* Encrypt and queue a transport message (len may be 0: keepalive). */
static int send_transport(struct peer *p, const uint8_t *msg, size_t len)
{
	size_t body = len + NOISE_TAGLEN;
	size_t queued = uv_stream_get_write_queue_size(&p->u.s);
	if (queued + FRAME_HDR + body > p->lim.write_cap) {
		peer_fail(p, PEER_R_WRITE_CAP);
		return -ENOBUFS;
	}
	struct wreq *w = wreq_new(p, body);
	if (!w) {
		peer_fail(p, PEER_R_NOMEM);
		return -ENOMEM;
	}
	int n = noise_cipher_encrypt(&p->tx, NULL, 0, msg, len, w->buf + FRAME_HDR);
	if (n < 0) {
		free(w);
		peer_fail(p, n == -EOVERFLOW ? PEER_R_NONCE : PEER_R_PROTOCOL);
		return -EPIPE;
	}
	return write_frame(p, w);
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
		rearm(p);
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

static void start_flush(struct peer *p, uint32_t deadline_ms, int reason)
{
	p->state = P_FLUSHING;
	p->reason = reason;
	p->frame_deadline = 0;
	p->flush_deadline = uv_now(p->loop) +
	                    (deadline_ms ? deadline_ms : PEER_DEF_FLUSH_MS);
	p->r.sreq.data = p;
	if (uv_shutdown(&p->r.sreq, &p->u.s, on_shutdown) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	rearm(p);
}

/* Cut a flush short: the reason says whether the queue had drained. */
static void flush_cut(struct peer *p)
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
	start_flush(p, deadline_ms, PEER_R_LOCAL);
}

/* ---- timers ----------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct peer *p = t->data;
	uint64_t now = uv_now(p->loop);

	if (p->state == P_CLOSING)
		return;
	if (p->state == P_FLUSHING) {
		if (now >= p->flush_deadline)
			flush_cut(p);
		else
			rearm(p);
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
	rearm(p);
}

static void rearm(struct peer *p)
{
	if (p->state == P_CLOSING)
		return;
	uint64_t next = UINT64_MAX;
	if (p->state == P_FLUSHING)
		next = p->flush_deadline;
	else if (p->state != P_OPEN)
		next = p->hs_deadline;
	if (p->frame_deadline && p->frame_deadline < next)
		next = p->frame_deadline;
	if (p->state == P_OPEN) {
		uint64_t d = p->last_recv + p->lim.dead_ms;
		uint64_t k = p->last_send + p->lim.keepalive_ms;
		if (d < next) next = d;
		if (k < next) next = k;
	}
	uint64_t now = uv_now(p->loop);
	uv_timer_start(&p->timer, on_timer, next > now ? next - now : 0, 0);
}

/* ---- reading ---------------------------------------------------------------- */

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *buf)
{
	struct peer *p = h->data;
	(void)hint;
	*buf = uv_buf_init((char *)p->rbuf, sizeof p->rbuf);
}

static void open_session(struct peer *p)
{
	noise_hs_hash(&p->hs, p->hash);
	if (noise_hs_split(&p->hs, &p->tx, &p->rx) < 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	p->state = P_OPEN;
	p->opened = 1;
	p->last_recv = uv_now(p->loop);
	if (p->cb.on_open)
		p->cb.on_open(p->cb.ud, p);
}

static void responder_msg1(struct peer *p, const uint8_t *in, size_t len)
{
	uint8_t ts[PEER_TAI64N_LEN];
	size_t plen = 0;

	if (len != NOISE_MSG1_LEN(PEER_TAI64N_LEN)) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	struct peer_server *srv = p->srv;
	int rc = noise_hs_init_responder(&p->hs, srv->key,
	                                 (const uint8_t *)PTM_PROLOGUE,
	                                 PTM_PROLOGUE_LEN);
	if (rc == 0 && srv->have_test_eph)
		rc = noise_hs_set_ephemeral(&p->hs, srv->test_eph);
	if (rc < 0 ||
	    noise_hs_read_msg1(&p->hs, in, len, ts, sizeof ts, &plen) < 0 ||
	    plen != PEER_TAI64N_LEN) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	int64_t sec;
	uint32_t nsec;
	if (tai64n_to_unix(ts, &sec, &nsec) < 0 ||
	    noise_hs_remote_static(&p->hs, p->rs) < 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	p->have_rs = 1;
	if (p->cb.accept) {
		rc = p->cb.accept(p->cb.ud, p, p->rs, ts);
		if (p->state == P_CLOSING)
			return;
		if (rc < 0) {
			peer_fail(p, PEER_R_REFUSED);
			return;
		}
	}
	struct wreq *w = wreq_new(p, NOISE_MSG2_LEN(0));
	if (!w) {
		peer_fail(p, PEER_R_NOMEM);
		return;
	}
	size_t outlen = 0;
	if (noise_hs_write_msg2(&p->hs, NULL, 0, w->buf + FRAME_HDR,
	                        NOISE_MSG2_LEN(0), &outlen) < 0 ||
	    outlen != NOISE_MSG2_LEN(0)) {
		free(w);
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	if (write_frame(p, w) < 0)
		return;
	open_session(p);
}

static void initiator_msg2(struct peer *p, const uint8_t *in, size_t len)
{
	uint8_t pl[1];
	size_t plen = 0;

	if (len != NOISE_MSG2_LEN(0) ||
	    noise_hs_read_msg2(&p->hs, in, len, pl, sizeof pl, &plen) < 0 ||
	    plen != 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	open_session(p);
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
	if (n > 0 && p->cb.on_message)
		p->cb.on_message(p->cb.ud, p, pt, (size_t)n);
	sodium_memzero(pt, (size_t)n);
}

static void handle_frame(struct peer *p, const uint8_t *in, size_t len)
{
	switch (p->state) {
	case P_HANDSHAKE:
		if (p->initiator)
			initiator_msg2(p, in, len);
		else
			responder_msg1(p, in, len);
		break;
	case P_OPEN:
		transport_msg(p, in, len);
		break;
	default:
		peer_fail(p, PEER_R_PROTOCOL);
		break;
	}
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
		if (nread == UV_EOF && frame_pending(&p->fr))
			peer_fail(p, PEER_R_PROTOCOL);
		else if (nread == UV_EOF && p->initiator && p->state == P_HANDSHAKE)
			peer_fail(p, PEER_R_REFUSED); /* the pump hung up on us */
		else if (nread == UV_EOF)
			peer_fail(p, PEER_R_EOF);
		else
			peer_fail(p, PEER_R_IO);
		return;
	}
	const uint8_t *in = p->rbuf;
	size_t left = (size_t)nread;
	/* a callback may close or flush-close p: then stop at once */
	while (left > 0 && (p->state == P_HANDSHAKE || p->state == P_OPEN)) {
		size_t used = 0;
		int rc = frame_feed(&p->fr, in, left, &used);
		in += used;
		left -= used;
		if (rc < 0) {
			peer_fail(p, PEER_R_OVERSIZE);
			return;
		}
		if (rc == FRAME_READY) {
			p->frame_deadline = 0;
			handle_frame(p, frame_data(&p->fr), frame_len(&p->fr));
		}
	}
	if (p->state != P_HANDSHAKE && p->state != P_OPEN)
		return;
	if (frame_pending(&p->fr) && !p->frame_deadline)
		p->frame_deadline = uv_now(p->loop) + p->lim.frame_ms;
	rearm(p);
}

/* ---- peers ------------------------------------------------------------------- */

static struct peer *peer_alloc(uv_loop_t *loop, const struct peer_limits *lim,
                               const struct peer_callbacks *cb,
                               void *(*alloc)(size_t))
{
	struct peer *p = alloc ? alloc(sizeof *p) : calloc(1, sizeof *p);
	if (!p)
		return NULL;
	p->loop = loop;
	p->lim = limits_of(lim);
	p->cb = *cb;
	frame_init(&p->fr);
	p->hs_deadline = uv_now(loop) + p->lim.handshake_ms;
	return p;
}

/* Both handles initialised: from here on the peer ends through peer_fail. */
static int peer_init_handles(struct peer *p, int kind)
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

static void on_connect(uv_connect_t *req, int status)
{
	struct peer *p = req->data;
	if (p->state == P_CLOSING)
		return;
	if (status < 0) {
		peer_fail(p, PEER_R_CONNECT);
		return;
	}
	if (p->u.h.type == UV_TCP)
		uv_tcp_nodelay(&p->u.tcp, 1);
	if (uv_read_start(&p->u.s, on_alloc, on_read) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	struct wreq *w = wreq_new(p, NOISE_MSG1_LEN(PEER_TAI64N_LEN));
	if (!w) {
		peer_fail(p, PEER_R_NOMEM);
		return;
	}
	uint8_t ts[PEER_TAI64N_LEN];
	size_t outlen = 0;
	int rc = 0;
	if (p->have_test_ts)
		memcpy(ts, p->test_ts, sizeof ts);
	else
		rc = tai64n_now(ts);
	if (rc == 0)
		rc = noise_hs_write_msg1(&p->hs, ts, sizeof ts, w->buf + FRAME_HDR,
		                         NOISE_MSG1_LEN(PEER_TAI64N_LEN), &outlen);
	if (rc < 0) {
		free(w);
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	p->state = P_HANDSHAKE;
	if (write_frame(p, w) < 0)
		return;
	rearm(p);
}

int peer_connect(uv_loop_t *loop, const struct peer_client_config *cfg,
                 struct peer **out)
{
	struct peer_addr a;
	int rc;

	if (!loop || !cfg || !out || !cfg->static_key || !cfg->pump_key)
		return -EINVAL;
	if (peer_addr_parse(cfg->address, &a) < 0)
		return -EINVAL;
	struct peer *p = peer_alloc(loop, &cfg->limits, &cfg->cb, NULL);
	if (!p)
		return -ENOMEM;
	p->initiator = 1;
	rc = noise_hs_init_initiator(&p->hs, cfg->static_key, cfg->pump_key,
	                             (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN);
	if (rc == 0 && cfg->test_ephemeral)
		rc = noise_hs_set_ephemeral(&p->hs, cfg->test_ephemeral);
	if (rc < 0) {
		peer_free(p);
		return rc == -EIO ? -EIO : -EINVAL;
	}
	if (cfg->test_tai64n) {
		memcpy(p->test_ts, cfg->test_tai64n, PEER_TAI64N_LEN);
		p->have_test_ts = 1;
	}
	memcpy(p->rs, cfg->pump_key, PEER_KEYLEN);
	rc = peer_init_handles(p, a.kind);
	if (rc < 0) {
		if (!p->handles)
			peer_free(p);
		return rc;
	}
	p->r.creq.data = p;
	p->state = P_CONNECTING;
	snprintf(p->addr, sizeof p->addr, "%s", cfg->address);
	if (a.kind == PEER_ADDR_TCP) {
		struct sockaddr_storage ss;
		sockaddr_of(&a, &ss);
		rc = uv_tcp_connect(&p->r.creq, &p->u.tcp, (const struct sockaddr *)&ss,
		                    on_connect);
		if (rc < 0) {
			p->silent = 1;
			peer_fail(p, PEER_R_CONNECT);
			return rc;
		}
	} else {
		uv_pipe_connect(&p->r.creq, &p->u.pipe, a.path, on_connect);
	}
	rearm(p);
	*out = p;
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
	return uv_stream_get_write_queue_size(&p->u.s);
}

/* ---- server ------------------------------------------------------------------ */

static void server_free(struct peer_server *srv)
{
	void (*cb)(void *) = srv->close_cb;
	void *ud = srv->close_ud;
	sodium_memzero(srv->key, sizeof srv->key);
	sodium_memzero(srv->test_eph, sizeof srv->test_eph);
	free(srv);
	if (cb)
		cb(ud);
}

static void server_maybe_done(struct peer_server *srv)
{
	if (srv->closing && srv->handles == 0 && srv->count == 0)
		server_free(srv);
}

static void on_listener_closed(uv_handle_t *h)
{
	struct listener *l = h->data;
	struct peer_server *srv = l->srv;
	srv->handles--;
	server_maybe_done(srv);
}

static void accept_one(struct listener *l);

static void on_spare_closed(uv_handle_t *h)
{
	struct listener *l = h->data;
	struct peer_server *srv = l->srv;
	l->spare_busy = 0;
	srv->handles--;
	if (l->pending && l->inited && !srv->closing) {
		l->pending = 0;
		accept_one(l);
	}
	server_maybe_done(srv);
}

/* Take the waiting connection off the listener without serving it, so the
 * listener goes on accepting; no memory is needed.  If the spare handle is
 * still closing from the last drop, the connection waits and is taken when
 * it has closed (at most one drop per loop turn). */
static void drop_one(struct listener *l, int reason)
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
			format_sockaddr(&ss, addr, sizeof addr);
		else
			snprintf(addr, sizeof addr, "tcp:?");
	}
	uv_close(&l->spare.h, on_spare_closed);
	if (srv->cb.on_handshake_fail)
		srv->cb.on_handshake_fail(srv->cb.ud, reason, addr);
}

static void accept_one(struct listener *l)
{
	struct peer_server *srv = l->srv;
	struct sockaddr_storage ss;
	int have_ss = 0;

	struct peer *p = peer_alloc(srv->loop, &srv->lim, &srv->cb, srv->test_alloc);
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
	if (l->kind == PEER_ADDR_TCP) {
		int len = sizeof ss;
		if (uv_tcp_getpeername(&p->u.tcp, (struct sockaddr *)&ss, &len) == 0) {
			format_sockaddr(&ss, p->addr, sizeof p->addr);
			have_ss = 1;
		} else {
			snprintf(p->addr, sizeof p->addr, "tcp:?");
		}
		uv_tcp_nodelay(&p->u.tcp, 1);
	} else {
		snprintf(p->addr, sizeof p->addr, "unix:");
	}
	if (p->cb.admit) {
		int rc = p->cb.admit(p->cb.ud, have_ss ? (struct sockaddr *)&ss : NULL,
		                     p->addr);
		if (p->state == P_CLOSING)
			return;   /* the callback closed the server */
		if (rc < 0) {
			p->silent = 1;
			peer_fail(p, PEER_R_REFUSED);
			return;
		}
	}
	if (srv->count > srv->max_peers) {
		peer_fail(p, PEER_R_FULL);
		return;
	}
	/* the handshake state (and its key work) waits for message 1 */
	if (uv_read_start(&p->u.s, on_alloc, on_read) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	rearm(p);
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct listener *l = ls->data;

	if (status < 0 || l->srv->closing)
		return;
	if (l->pending)
		return;   /* an earlier one still waits for the spare handle */
	accept_one(l);
}

static int listen_one(struct peer_server *srv, struct listener *l, const char *addr)
{
	struct peer_addr a;
	int rc = peer_addr_parse(addr, &a);
	if (rc < 0)
		return rc;
	l->srv = srv;
	l->kind = a.kind;
	if (a.kind == PEER_ADDR_TCP) {
		struct sockaddr_storage ss;
		sockaddr_of(&a, &ss);
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
	return uv_listen(&l->u.s, 128, on_connection);
}

static void server_close_listeners(struct peer_server *srv)
{
	for (unsigned i = 0; i < PEER_LISTEN_MAX; i++) {
		struct listener *l = &srv->l[i];
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
	memcpy(srv->key, cfg->static_key, PEER_KEYLEN);
	if (cfg->test_ephemeral) {
		memcpy(srv->test_eph, cfg->test_ephemeral, 32);
		srv->have_test_eph = 1;
	}
	srv->test_alloc = cfg->test_alloc;
	srv->max_peers = cfg->max_peers ? cfg->max_peers : PEER_DEF_MAX_PEERS;
	srv->lim = limits_of(&cfg->limits);
	srv->cb = cfg->cb;
	int rc = 0;
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
	const struct listener *l = &srv->l[i];
	int w;
	if (l->kind == PEER_ADDR_UNIX) {
		w = snprintf(buf, n, "unix:%s", l->path);
	} else {
		struct sockaddr_storage ss;
		int len = sizeof ss;
		char tmp[PEER_ADDR_MAX];
		if (uv_tcp_getsockname(&l->u.tcp, (struct sockaddr *)&ss, &len) < 0)
			return -ENOENT;
		format_sockaddr(&ss, tmp, sizeof tmp);
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

void peer_server_close(struct peer_server *srv, void (*cb)(void *ud), void *ud)
{
	if (!srv)
		return;
	if (srv->closing) {
		/* during peer_server_shutdown: cut every flush short */
		for (struct peer *p = srv->peers; p; p = p->next)
			if (p->state == P_FLUSHING)
				flush_cut(p);
		return;
	}
	srv->closing = 1;
	srv->close_cb = cb;
	srv->close_ud = ud;
	sodium_memzero(srv->key, sizeof srv->key);
	server_close_listeners(srv);
	for (struct peer *p = srv->peers; p; p = p->next)
		peer_fail(p, PEER_R_SHUTDOWN);
	server_maybe_done(srv);
}

void peer_server_shutdown(struct peer_server *srv, uint32_t deadline_ms,
                          void (*cb)(void *ud), void *ud)
{
	if (!srv || srv->closing)
		return;
	srv->closing = 1;
	srv->close_cb = cb;
	srv->close_ud = ud;
	sodium_memzero(srv->key, sizeof srv->key);
	server_close_listeners(srv);
	for (struct peer *p = srv->peers; p; p = p->next) {
		if (p->state == P_OPEN)
			start_flush(p, deadline_ms, PEER_R_SHUTDOWN);
		else
			peer_fail(p, PEER_R_SHUTDOWN);
	}
	server_maybe_done(srv);
}
