/* bench/lc.c — the load client (see lc.h). */
#include "bench/lc.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <sodium.h>

#include "bench/util.h"
#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/frame.h"
#include "net/peer.h"

#define KEEPALIVE_MS 10000u
#define STALL_MS     10000
#define LAT_CAP      (1u << 21)
#define RBUF         65536
#define WBUF         (FRAME_HDR + MSG_MAX + NOISE_TAGLEN)

/* connection states */
enum { C_IDLE, C_CONNECTING, C_HS, C_UP, C_CLOSING };
/* what the loop is doing */
enum { M_NONE, M_CONNECT, M_RUN, M_EACH, M_CHURN };

struct conn {
	union bu_stream u;
	uv_connect_t creq;
	struct lc *lc;
	size_t idx;          /* in lc->conns */
	size_t key;          /* in cfg.keys */
	int state;
	int inflight;
	int retry_me;        /* refused: back to the queue once closed */
	uint64_t id;         /* the last request id sent */
	int64_t t_sent;      /* bu_now_ns of the request in flight */
	uint64_t last_tx;    /* uv_now of the last message sent */
	noise_hs *hs;        /* during the handshake only */
	noise_cipher tx, rx;
	struct frame_reader fr;
};

struct lc {
	uv_loop_t *loop;
	struct lc_config cfg;
	struct peer_addr pa;
	struct sockaddr_storage dst;
	struct conn *conns;
	size_t nconns;
	uv_timer_t ka, stall, again;
	int timers_open;
	/* refused handshakes to try again (lc_connect, retry_refused) */
	size_t *retry, nretry;
	int paused;
	uint64_t retried;
	/* connections */
	size_t up, pending, next_connect, closing;
	uint64_t failed, refused, dropped;
	int err_said;
	/* the current job */
	int mode;
	int expired;
	uint8_t type;
	int64_t t_warm_end, t_end;
	size_t inflight;
	struct bu_lat lat;
	struct lc_result *res;
	/* churn */
	int churn_stop;
	size_t churn_key;
	uint64_t churn_max;
	struct lc_churn_result *cr;
	/* buffers */
	uint8_t rbuf[RBUF];
	uint8_t wbuf[WBUF];
	uint8_t pbuf[FRAME_MAX];
	uint8_t last[MSG_MAX];
	size_t last_len;
	uint8_t c2s[32], s2c[32];
	struct msg_from_pump msg;
	/* LC_NOISE: per key, a handshake state made once (init, and ss =
	 * DH(key, pump key) cached as WireGuard's precomputed static-static),
	 * copied for each handshake: a handshake costs this client the
	 * ephemeral and three DHs (es, ee, se), no more */
	noise_hs **tmpl;
};

void lc_aead_keys(uint8_t c2s[32], uint8_t s2c[32])
{
	/* not secret: the crypto floor only needs both ends to agree */
	for (int i = 0; i < 32; i++) {
		c2s[i] = (uint8_t)(0x11 + i);
		s2c[i] = (uint8_t)(0x91 + i);
	}
}

static const char *lc_name(const struct lc *c)
{
	return c->cfg.name ? c->cfg.name : "lc";
}

static void say_once(struct lc *c, const char *what, size_t idx, int err)
{
	if (c->err_said++)
		return;
	fprintf(stderr, "%s: connection %zu to %s: %s%s%s\n", lc_name(c), idx,
	        c->cfg.addr, what, err ? ": " : "", err ? uv_strerror(err) : "");
}

/* ---- closing ---------------------------------------------------------------- */

static void conn_open(struct lc *c, struct conn *k, size_t key);

static void start_connects(struct lc *c);

static void on_closed(uv_handle_t *h)
{
	struct conn *k = h->data;
	struct lc *c = k->lc;
	k->state = C_IDLE;
	c->closing--;
	noise_cipher_wipe(&k->tx);
	noise_cipher_wipe(&k->rx);
	if (c->mode == M_CHURN && !c->churn_stop) {
		size_t key = c->churn_key++ % c->cfg.n;
		conn_open(c, k, key);
	}
	if (k->retry_me) {
		k->retry_me = 0;
		if (c->mode == M_CONNECT)
			c->retry[c->nretry++] = k->idx;
	}
	if (c->mode == M_CONNECT)
		start_connects(c);
}

/* Close k whatever its state; counts kept by the caller. */
static void conn_close(struct conn *k)
{
	struct lc *c = k->lc;
	if (k->state == C_IDLE || k->state == C_CLOSING)
		return;
	if (k->state == C_CONNECTING || k->state == C_HS)
		c->pending--;
	if (k->state == C_UP)
		c->up--;
	if (k->inflight) {
		k->inflight = 0;
		c->inflight--;
	}
	if (k->hs) {
		noise_hs_wipe(k->hs);
		free(k->hs);
		k->hs = NULL;
	}
	k->state = C_CLOSING;
	c->closing++;
	uv_close(&k->u.h, on_closed);
}

/* A handshake or connect that failed: counted in the churn (which does
 * not say each), else said once; k closed. */
static void conn_failed(struct conn *k, const char *what, int err)
{
	struct lc *c = k->lc;
	if (c->mode == M_CHURN)
		c->cr->failed++;
	else
		say_once(c, what, k->idx, err);
	c->failed++;
	conn_close(k);
}

/* ---- writing ---------------------------------------------------------------- */

/* Encrypt (unless plain) the plaintext at c->wbuf + FRAME_HDR, frame it
 * and write it. */
static int conn_send_plain(struct conn *k, size_t plen)
{
	struct lc *c = k->lc;
	size_t len = plen;
	if (c->cfg.proto != LC_PLAIN) {
		int e = noise_cipher_encrypt(&k->tx, NULL, 0, c->wbuf + FRAME_HDR,
		                             plen, c->wbuf + FRAME_HDR);
		if (e < 0)
			return e;
		len = (size_t)e;
	}
	if (frame_header(len, c->wbuf) < 0)
		return -EMSGSIZE;
	k->last_tx = uv_now(c->loop);
	return bu_write(&k->u.s, c->wbuf, len + FRAME_HDR);
}

static void send_request(struct conn *k)
{
	struct lc *c = k->lc;
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = c->type;
	q.id = ++k->id;
	k->t_sent = bu_now_ns();
	int n = msg_encode_request(&q, c->wbuf + FRAME_HDR, MSG_MAX);
	if (n <= 0) {
		say_once(c, "a request did not encode", k->idx, 0);
		c->dropped++;
		conn_close(k);
		return;
	}
	k->inflight = 1;
	c->inflight++;
	int e = conn_send_plain(k, (size_t)n);
	if (e < 0) {
		say_once(c, "write", k->idx, e);
		c->dropped++;
		conn_close(k);
	}
}

/* ---- reading ---------------------------------------------------------------- */

static void on_up(struct conn *k)
{
	struct lc *c = k->lc;
	c->pending--;
	k->state = C_UP;
	c->up++;
	if (c->mode == M_CHURN) {
		c->cr->ok++;
		if (c->cr->ok >= c->churn_max)
			c->churn_stop = 1;
		conn_close(k);
		return;
	}
	if (c->mode == M_CONNECT)
		start_connects(c);
}

static void reply_done(struct conn *k, const struct msg_reply *r)
{
	struct lc *c = k->lc;
	int64_t now = bu_now_ns();
	k->inflight = 0;
	c->inflight--;
	struct lc_result *res = c->res;
	if (!res)
		return;
	if (r->err != MSG_OK)
		res->bad++;
	res->all++;
	int in_window = c->mode == M_EACH ||
	                (now >= c->t_warm_end && now <= c->t_end);
	if (in_window) {
		res->ops++;
		bu_lat_add(&c->lat, now - k->t_sent);
		if (r->req_type == MSG_BOLUS && r->err == MSG_OK &&
		    r->u.bolus.outcome < MSG_OUT_COUNT)
			res->outcome[r->u.bolus.outcome]++;
	}
	if (c->mode == M_RUN && now < c->t_end)
		send_request(k);
}

static void on_message(struct conn *k, const uint8_t *f, size_t n)
{
	struct lc *c = k->lc;
	const uint8_t *pt = f;
	size_t plen = n;
	if (c->cfg.proto != LC_PLAIN) {
		int e = noise_cipher_decrypt(&k->rx, NULL, 0, f, n, c->pbuf);
		if (e < 0) {
			say_once(c, "a message did not decrypt", k->idx, 0);
			c->dropped++;
			conn_close(k);
			return;
		}
		pt = c->pbuf;
		plen = (size_t)e;
	}
	if (plen == 0)
		return;                 /* keepalive */
	if (msg_decode_from_pump(pt, plen, &c->msg) < 0) {
		say_once(c, "a message did not decode", k->idx, 0);
		c->dropped++;
		conn_close(k);
		return;
	}
	if (c->msg.type != MSG_REPLY)
		return;                 /* a notification */
	const struct msg_reply *r = &c->msg.u.reply;
	if (!k->inflight || r->id != k->id) {
		if (c->res)
			c->res->bad++;
		return;
	}
	memcpy(c->last, pt, plen);
	c->last_len = plen;
	reply_done(k, r);
}

static void on_hs_frame(struct conn *k, const uint8_t *f, size_t n)
{
	uint8_t pl[1];
	size_t plen = 0;
	if (n != NOISE_MSG2_LEN(0) ||
	    noise_hs_read_msg2(k->hs, f, n, pl, sizeof pl, &plen) < 0 || plen ||
	    noise_hs_split(k->hs, &k->tx, &k->rx) < 0) {
		say_once(k->lc, "message 2 refused", k->idx, 0);
		if (k->lc->mode == M_CHURN)
			k->lc->cr->failed++;
		k->lc->failed++;
		conn_close(k);
		return;
	}
	noise_hs_wipe(k->hs);
	free(k->hs);
	k->hs = NULL;
	on_up(k);
}

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	struct conn *k = h->data;
	(void)want;
	/* read callbacks run one at a time, right after this: one buffer */
	*buf = uv_buf_init((char *)k->lc->rbuf, RBUF);
}

static void on_again(uv_timer_t *t)
{
	struct lc *c = t->data;
	c->paused = 0;
	if (c->mode == M_CONNECT)
		start_connects(c);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct conn *k = s->data;
	struct lc *c = k->lc;
	if (nread < 0) {
		if (k->state == C_HS) {
			if (c->mode == M_CHURN) {
				c->cr->refused++;
			} else if (c->mode == M_CONNECT && c->cfg.retry_refused) {
				k->retry_me = 1;
				c->retried++;
				if (!c->paused) {
					c->paused = 1;
					uv_timer_start(&c->again, on_again, LC_RETRY_MS, 0);
				}
			} else {
				say_once(c, "the server closed it during the handshake "
				         "(refused)", k->idx, 0);
				c->refused++;
			}
		} else if (k->state == C_UP) {
			say_once(c, "the server closed it", k->idx,
			         nread == UV_EOF ? 0 : (int)nread);
			c->dropped++;
		}
		conn_close(k);
		return;
	}
	const uint8_t *in = (const uint8_t *)buf->base;
	size_t len = (size_t)nread;
	while (len > 0 && (k->state == C_HS || k->state == C_UP)) {
		size_t used = 0;
		int rc = frame_feed(&k->fr, in, len, &used);
		in += used;
		len -= used;
		if (rc < 0) {
			say_once(c, "bad framing from the server", k->idx, 0);
			c->dropped++;
			conn_close(k);
			return;
		}
		if (rc != FRAME_READY)
			continue;
		if (k->state == C_HS)
			on_hs_frame(k, frame_data(&k->fr), frame_len(&k->fr));
		else
			on_message(k, frame_data(&k->fr), frame_len(&k->fr));
	}
}

/* ---- connecting ------------------------------------------------------------- */

/* The state a handshake with this key starts from (made on first use);
 * NULL when it cannot be made. */
static noise_hs *key_state(struct lc *c, size_t key)
{
	if (c->tmpl[key])
		return c->tmpl[key];
	noise_hs *t = malloc(sizeof *t);
	uint8_t ss[32];
	if (!t)
		return NULL;
	int rc = noise_hs_init_initiator(t, c->cfg.keys[key], c->cfg.pump_pub,
	                                 (const uint8_t *)PTM_PROLOGUE,
	                                 PTM_PROLOGUE_LEN);
	if (rc == 0)
		rc = noise_static_dh(ss, c->cfg.keys[key], c->cfg.pump_pub);
	if (rc == 0)
		rc = noise_hs_use_ss(t, ss);
	sodium_memzero(ss, sizeof ss);
	if (rc < 0) {
		noise_hs_wipe(t);
		free(t);
		return NULL;
	}
	return c->tmpl[key] = t;
}

static void start_handshake(struct conn *k)
{
	struct lc *c = k->lc;
	uint8_t ts[TAI64N_LEN];
	size_t outlen = 0;
	noise_hs *t = key_state(c, k->key);
	k->hs = t ? malloc(sizeof *k->hs) : NULL;
	if (k->hs)
		*k->hs = *t;
	if (!k->hs || tai64n_now(ts) < 0 ||
	    noise_hs_write_msg1(k->hs, ts, sizeof ts, c->wbuf + FRAME_HDR,
	                        sizeof c->wbuf - FRAME_HDR, &outlen) < 0) {
		say_once(c, "message 1 could not be made", k->idx, 0);
		c->failed++;
		conn_close(k);
		return;
	}
	k->state = C_HS;
	frame_header(outlen, c->wbuf);
	k->last_tx = uv_now(c->loop);
	int e = bu_write(&k->u.s, c->wbuf, outlen + FRAME_HDR);
	if (e < 0)
		conn_failed(k, "write", e);
}

static void on_connect(uv_connect_t *req, int status)
{
	struct conn *k = req->data;
	struct lc *c = k->lc;
	if (k->state != C_CONNECTING)
		return;
	if (status < 0) {
		conn_failed(k, "connect", status);
		return;
	}
	if (k->u.h.type == UV_TCP)
		uv_tcp_nodelay(&k->u.tcp, 1);
	int e = uv_read_start(&k->u.s, on_alloc, on_read);
	if (e < 0) {
		say_once(c, "read", k->idx, e);
		c->failed++;
		conn_close(k);
		return;
	}
	if (c->cfg.proto == LC_NOISE) {
		start_handshake(k);
		return;
	}
	noise_cipher_init(&k->tx, c->c2s);
	noise_cipher_init(&k->rx, c->s2c);
	on_up(k);
}

static void conn_open(struct lc *c, struct conn *k, size_t key)
{
	int e;
	k->key = key;
	k->inflight = 0;
	frame_init(&k->fr);
	if (c->pa.kind == PEER_ADDR_UNIX) {
		e = uv_pipe_init(c->loop, &k->u.pipe, 0);
	} else {
		e = uv_tcp_init(c->loop, &k->u.tcp);
	}
	if (e < 0) {
		say_once(c, "socket", k->idx, e);
		c->failed++;
		return;
	}
	k->u.h.data = k;
	k->creq.data = k;
	k->state = C_CONNECTING;
	c->pending++;
	if (c->pa.kind == PEER_ADDR_UNIX) {
		uv_pipe_connect(&k->creq, &k->u.pipe, c->pa.path, on_connect);
		return;
	}
	if (c->dst.ss_family == AF_INET) {
		unsigned per = c->cfg.per_src ? c->cfg.per_src : LC_PER_SRC;
		size_t s = c->cfg.src_base + k->idx / per + 1;
		char ip[32];
		struct sockaddr_in src;
		snprintf(ip, sizeof ip, "127.77.%zu.%zu", (s >> 8) & 255, s & 255);
		if (uv_ip4_addr(ip, 0, &src) == 0)
			(void)uv_tcp_bind(&k->u.tcp, (const struct sockaddr *)&src, 0);
	}
	e = uv_tcp_connect(&k->creq, &k->u.tcp, (const struct sockaddr *)&c->dst,
	                   on_connect);
	if (e < 0) {
		say_once(c, "connect", k->idx, e);
		c->failed++;
		conn_close(k);
	}
}

static void start_connects(struct lc *c)
{
	unsigned most = c->cfg.hs_inflight ? c->cfg.hs_inflight : LC_HS_INFLIGHT;
	while (!c->paused && c->pending < most && !c->failed) {
		size_t i;
		if (c->nretry)
			i = c->retry[--c->nretry];
		else if (c->next_connect < c->cfg.n)
			i = c->next_connect++;
		else
			break;
		struct conn *k = &c->conns[i];
		if (k->state == C_IDLE)
			conn_open(c, k, k->idx);
	}
}

/* ---- timers ----------------------------------------------------------------- */

static void on_keepalive(uv_timer_t *t)
{
	struct lc *c = t->data;
	uint64_t now = uv_now(c->loop);
	if (c->cfg.proto != LC_NOISE)
		return;
	for (size_t i = 0; i < c->nconns; i++) {
		struct conn *k = &c->conns[i];
		if (k->state == C_UP && !k->inflight && now - k->last_tx >= KEEPALIVE_MS &&
		    conn_send_plain(k, 0) < 0) {
			c->dropped++;
			conn_close(k);
		}
	}
}

static void on_stall(uv_timer_t *t)
{
	struct lc *c = t->data;
	c->expired = 1;
}

static void arm(struct lc *c, int64_t ms)
{
	c->expired = 0;
	uv_update_time(c->loop);
	uv_timer_start(&c->stall, on_stall, ms > 0 ? (uint64_t)ms : 0, 0);
}

/* ---- the interface -------------------------------------------------------- */

int lc_new(uv_loop_t *loop, const struct lc_config *cfg, struct lc **out)
{
	if (!cfg->addr || cfg->n == 0 ||
	    (cfg->proto == LC_NOISE && (!cfg->keys || !cfg->pump_pub)))
		return -EINVAL;
	struct lc *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->cfg = *cfg;
	if (peer_addr_parse(cfg->addr, &c->pa) < 0) {
		free(c);
		return -EINVAL;
	}
	if (c->pa.kind == PEER_ADDR_TCP) {
		int e = strchr(c->pa.host, ':') ?
		        uv_ip6_addr(c->pa.host, c->pa.port, (struct sockaddr_in6 *)&c->dst) :
		        uv_ip4_addr(c->pa.host, c->pa.port, (struct sockaddr_in *)&c->dst);
		if (e < 0) {
			free(c);
			return -EINVAL;
		}
	}
	unsigned slots = cfg->hs_inflight ? cfg->hs_inflight : LC_HS_INFLIGHT;
	c->nconns = cfg->n > slots ? cfg->n : slots;
	c->conns = calloc(c->nconns, sizeof *c->conns);
	c->retry = calloc(c->nconns, sizeof *c->retry);
	c->tmpl = calloc(cfg->n, sizeof *c->tmpl);
	if (!c->conns || !c->retry || !c->tmpl) {
		free(c->conns);
		free(c->retry);
		free(c->tmpl);
		free(c);
		return -ENOMEM;
	}
	struct timeval tv;
	gettimeofday(&tv, NULL);
	uint64_t id0 = (uint64_t)tv.tv_sec * 1000000u + (uint64_t)tv.tv_usec;
	for (size_t i = 0; i < c->nconns; i++) {
		c->conns[i].lc = c;
		c->conns[i].idx = i;
		c->conns[i].id = id0;
	}
	lc_aead_keys(c->c2s, c->s2c);
	uv_timer_init(loop, &c->ka);
	uv_timer_init(loop, &c->stall);
	uv_timer_init(loop, &c->again);
	c->ka.data = c->stall.data = c->again.data = c;
	uv_timer_start(&c->ka, on_keepalive, 1000, 1000);
	uv_unref((uv_handle_t *)&c->ka);
	c->timers_open = 3;
	*out = c;
	return 0;
}

int lc_connect(struct lc *c, int timeout_ms)
{
	c->mode = M_CONNECT;
	c->failed = c->refused = c->dropped = 0;
	c->err_said = 0;
	c->next_connect = 0;
	c->nretry = 0;
	c->retried = 0;
	c->paused = 0;
	arm(c, timeout_ms);
	start_connects(c);
	while (c->up < c->cfg.n && !c->failed && !c->refused && !c->expired)
		uv_run(c->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->stall);
	uv_timer_stop(&c->again);
	c->paused = 0;
	c->mode = M_NONE;
	if (c->up == c->cfg.n)
		return 0;
	fprintf(stderr, "%s: %zu of %zu connections up to %s (%s)\n", lc_name(c),
	        c->up, c->cfg.n, c->cfg.addr,
	        c->expired ? "timed out" : c->refused ? "refused" : "failed");
	return -1;
}

static void result_end(struct lc *c, struct lc_result *r, double secs)
{
	r->secs = secs;
	r->rps = secs > 0 ? (double)r->ops / secs : 0;
	r->mean_us = bu_lat_mean_us(&c->lat);
	r->p50_us = bu_lat_pct_us(&c->lat, 50);
	r->p99_us = bu_lat_pct_us(&c->lat, 99);
	r->max_us = bu_lat_pct_us(&c->lat, 100);
	bu_lat_free(&c->lat);
	c->res = NULL;
	c->mode = M_NONE;
}

/* a request on every connection up, then the loop until every reply
 * (or a drop, or the stall timer) */
static void send_all_wait(struct lc *c)
{
	for (size_t i = 0; i < c->nconns; i++)
		if (c->conns[i].state == C_UP)
			send_request(&c->conns[i]);
	while (c->inflight > 0 && !c->dropped && !c->expired)
		uv_run(c->loop, UV_RUN_ONCE);
	uv_timer_stop(&c->stall);
}

/* A measured run's start: r zeroed, room for cap latencies. */
static int measure(struct lc *c, int mode, uint8_t type, struct lc_result *r, size_t cap)
{
	memset(r, 0, sizeof *r);
	if (bu_lat_init(&c->lat, cap) < 0)
		return -1;
	c->mode = mode;
	c->type = type;
	c->res = r;
	c->dropped = 0;
	return 0;
}

int lc_run(struct lc *c, uint8_t type, int64_t warm_ms, int64_t run_ms,
           struct lc_result *r)
{
	if (measure(c, M_RUN, type, r, LAT_CAP) < 0)
		return -1;
	int64_t t0 = bu_now_ns();
	c->t_warm_end = t0 + warm_ms * 1000000;
	c->t_end = c->t_warm_end + run_ms * 1000000;
	arm(c, warm_ms + run_ms + STALL_MS);
	send_all_wait(c);
	int64_t end = bu_now_ns() < c->t_end ? bu_now_ns() : c->t_end;
	int bad = c->dropped || c->expired || c->up < c->cfg.n;
	result_end(c, r, (double)(end - c->t_warm_end) / 1e9);
	if (bad)
		fprintf(stderr, "%s: the run on %s failed (%s; %zu of %zu up)\n",
		        lc_name(c), c->cfg.addr, c->expired ? "replies stopped" :
		        "a connection dropped", c->up, c->cfg.n);
	return bad ? -1 : 0;
}

int lc_each(struct lc *c, uint8_t type, int timeout_ms, struct lc_result *r)
{
	if (measure(c, M_EACH, type, r, c->nconns) < 0)
		return -1;
	int64_t t0 = bu_now_ns();
	arm(c, timeout_ms);
	send_all_wait(c);
	int bad = c->dropped || c->expired || c->inflight;
	result_end(c, r, (double)(bu_now_ns() - t0) / 1e9);
	if (bad)
		fprintf(stderr, "%s: not every request on %s was answered\n",
		        lc_name(c), c->cfg.addr);
	return bad ? -1 : 0;
}

int lc_churn(struct lc *c, uint64_t max_ok, int64_t max_ms,
             struct lc_churn_result *r)
{
	memset(r, 0, sizeof *r);
	if (c->cfg.proto != LC_NOISE || c->up || c->pending || c->closing)
		return -EINVAL;
	unsigned slots = c->cfg.hs_inflight ? c->cfg.hs_inflight : LC_HS_INFLIGHT;
	c->mode = M_CHURN;
	c->cr = r;
	c->churn_max = max_ok;
	c->churn_stop = 0;
	c->failed = 0;
	int64_t t0 = bu_now_ns();
	arm(c, max_ms);
	for (unsigned i = 0; i < slots && i < c->nconns; i++)
		conn_open(c, &c->conns[i], c->churn_key++ % c->cfg.n);
	while (!c->churn_stop && !c->expired)
		uv_run(c->loop, UV_RUN_ONCE);
	r->secs = (double)(bu_now_ns() - t0) / 1e9;
	c->churn_stop = 1;
	uv_timer_stop(&c->stall);
	lc_disconnect(c);
	c->mode = M_NONE;
	c->cr = NULL;
	return 0;
}

void lc_disconnect(struct lc *c)
{
	c->mode = M_NONE;   /* no reopening in on_closed */
	for (size_t i = 0; i < c->nconns; i++)
		conn_close(&c->conns[i]);
	while (c->closing > 0)
		uv_run(c->loop, UV_RUN_ONCE);
}

size_t lc_up(const struct lc *c)
{
	return c->up;
}

uint64_t lc_retried(const struct lc *c)
{
	return c->retried;
}

size_t lc_last_reply(const struct lc *c, uint8_t *buf, size_t cap)
{
	memcpy(buf, c->last, c->last_len < cap ? c->last_len : cap);
	return c->last_len;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct lc *c = h->data;
	c->timers_open--;
}

void lc_free(struct lc *c)
{
	if (!c)
		return;
	lc_disconnect(c);
	uv_close((uv_handle_t *)&c->ka, on_timer_closed);
	uv_close((uv_handle_t *)&c->stall, on_timer_closed);
	uv_close((uv_handle_t *)&c->again, on_timer_closed);
	while (c->timers_open > 0)
		uv_run(c->loop, UV_RUN_ONCE);
	for (size_t i = 0; i < c->cfg.n; i++) {
		if (c->tmpl[i]) {
			noise_hs_wipe(c->tmpl[i]);
			free(c->tmpl[i]);
		}
	}
	free(c->tmpl);
	free(c->retry);
	free(c->conns);
	free(c);
}
