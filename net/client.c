/*
 * net/client.c — a remote's session to the pump (see client.h).
 *
 * Requests wait in a FIFO; only the head is on the wire.  One timer serves
 * both the reconnect backoff and the request timeouts.  Callbacks may call
 * client_request or client_close: a request is unlinked before its callback
 * runs, and the client is freed only from libuv close callbacks (its timer,
 * and the on_close of its peer), never on the stack of a callback.
 */
#include "net/client.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>

#include "util/closed.h"
#include "util/esc.h"

struct creq {
	struct creq *next;
	struct msg_request q;
	client_reply_fn cb;
	void *ud;
	uint64_t deadline;
	int sent;          /* on the wire in the current session */
	int resent;        /* went out again with the same id after a drop */
	int stale_retry;   /* already re-sent with a new id after STALE_ID */
	int fixed_id;      /* the caller chose the id: never replaced */
};

struct client {
	uv_loop_t *loop;
	uv_timer_t timer;
	struct peer *peer;
	struct peer_client_config pcfg;
	const uint8_t *key;          /* the caller's private key: referenced */
	uint8_t pump_key[32];
	char addr[PEER_ADDR_MAX];
	int reconnect;
	int first_pending;   /* the first connect is still to start */
	uint32_t backoff_min, backoff_max, timeout_ms;
	uint64_t backoff, reconnect_at;
	int state;
	int ever_up;
	int last_reason;
	void *ud;
	void (*on_link)(void *ud, int state, int reason);
	void (*on_notify)(void *ud, const struct msg_notify *n);
	struct creq *head, *tail;
	unsigned queued;
	uint64_t next_id;
	int closing, timer_closed;
	void (*close_cb)(void *ud);
	void *close_ud;
};

static void rearm(struct client *c);
static void pump_queue(struct client *c);

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void set_state(struct client *c, int st, int reason)
{
	if (c->state == st && st != CLIENT_DOWN)
		return;
	c->state = st;
	if (!c->closing && c->on_link)
		c->on_link(c->ud, st, reason);
}

/* Unlink r (it must be the head or anywhere in the list) and report. */
static void complete(struct client *c, struct creq *r, int status,
                     const struct msg_reply *rep)
{
	struct creq **pp = &c->head, *prev = NULL;
	while (*pp && *pp != r) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (*pp) {
		*pp = r->next;
		if (c->tail == r)
			c->tail = prev;
		c->queued--;
	}
	client_reply_fn cb = r->cb;
	void *ud = r->ud;
	free(r);
	if (cb)
		cb(ud, status, rep);
}

static void fail_all(struct client *c, int status)
{
	while (c->head)
		complete(c, c->head, status, NULL);
}

static void maybe_free(struct client *c)
{
	if (!c->closing || !c->timer_closed || c->peer)
		return;
	closed_free_then(c, c->close_cb, c->close_ud);
}

/* ---- the session --------------------------------------------------------- */

static void on_open(void *ud, struct peer *p)
{
	struct client *c = ud;
	(void)p;
	c->backoff = c->backoff_min;
	c->ever_up = 1;
	set_state(c, CLIENT_UP, 0);
	pump_queue(c);
}

static void handle_reply(struct client *c, const struct msg_reply *rep)
{
	struct creq *r = c->head;
	if (!r || !r->sent || rep->id != r->q.id)
		return;      /* a late reply to a request that timed out */
	if (rep->err == MSG_E_STALE_ID) {
		if (r->resent) {
			/* our id was used up before the drop: what the pump did
			 * with it is unknown */
			complete(c, r, CLIENT_E_LINK, NULL);
			pump_queue(c);
			return;
		}
		if (!r->fixed_id && !r->stale_retry && rep->u.last_id < UINT64_MAX) {
			r->stale_retry = 1;
			r->sent = 0;
			if (c->next_id <= rep->u.last_id)
				c->next_id = rep->u.last_id + 1;
			r->q.id = c->next_id++;
			pump_queue(c);
			return;
		}
	}
	complete(c, r, 0, rep);
	pump_queue(c);
}

static void on_message(void *ud, struct peer *p, const uint8_t *m, size_t len)
{
	struct client *c = ud;
	struct msg_from_pump *f = malloc(sizeof *f);
	if (!f) {
		peer_close(p);
		return;
	}
	if (msg_decode_from_pump(m, len, f) < 0) {
		/* a pump that sends garbage: drop the session */
		free(f);
		peer_close(p);
		return;
	}
	if (f->type == MSG_NOTIFY) {
		if (c->on_notify && !c->closing)
			c->on_notify(c->ud, &f->u.notify);
	} else {
		handle_reply(c, &f->u.reply);
	}
	free(f);
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct client *c = ud;
	(void)p;
	c->peer = NULL;
	c->last_reason = reason;
	if (c->closing) {
		maybe_free(c);
		return;
	}
	for (struct creq *r = c->head; r; r = r->next) {
		if (r->sent) {
			r->sent = 0;
			r->resent = 1;
		}
	}
	if (!c->reconnect)
		fail_all(c, CLIENT_E_LINK);
	else {
		c->reconnect_at = uv_now(c->loop) + c->backoff;
		c->backoff = c->backoff * 2 > c->backoff_max ? c->backoff_max
		                                               : c->backoff * 2;
	}
	if (c->closing)
		return;
	set_state(c, CLIENT_DOWN, reason);
	rearm(c);
}

static void start_connect(struct client *c)
{
	set_state(c, CLIENT_CONNECTING, 0);
	if (c->closing)
		return;
	int rc = peer_connect(c->loop, &c->pcfg, &c->peer);
	if (rc < 0) {
		c->peer = NULL;
		c->last_reason = PEER_R_CONNECT;
		if (!c->reconnect)
			fail_all(c, CLIENT_E_LINK);
		else
			c->reconnect_at = uv_now(c->loop) + c->backoff;
		if (!c->closing)
			set_state(c, CLIENT_DOWN, PEER_R_CONNECT);
	}
}

static void pump_queue(struct client *c)
{
	struct creq *r = c->head;
	uint8_t buf[MSG_MAX];

	if (c->closing || c->state != CLIENT_UP || !c->peer || !r || r->sent) {
		rearm(c);
		return;
	}
	int n = msg_encode_request(&r->q, buf, sizeof buf);
	if (n < 0) {
		complete(c, r, CLIENT_E_ENCODE, NULL);
		pump_queue(c);
		return;
	}
	r->sent = 1;
	if (peer_send(c->peer, buf, (size_t)n) < 0)
		r->sent = 0;   /* the session is closing; on_close handles it */
	sodium_memzero(buf, (size_t)n);
	rearm(c);
}

/* ---- timer ----------------------------------------------------------------- */

static void on_timer(uv_timer_t *t)
{
	struct client *c = t->data;
	uint64_t now = uv_now(c->loop);

	if (c->closing)
		return;
	for (struct creq *r = c->head, *next; r; r = next) {
		next = r->next;
		if (now >= r->deadline) {
			int was_head_sent = r == c->head && r->sent;
			complete(c, r, CLIENT_E_TIMEOUT, NULL);
			if (c->closing)
				return;
			if (was_head_sent) {
				next = c->head;
				pump_queue(c);
			}
		}
	}
	if (c->state == CLIENT_DOWN && !c->peer &&
	    (c->reconnect || c->first_pending) && now >= c->reconnect_at) {
		c->first_pending = 0;
		start_connect(c);
	}
	if (!c->closing)
		rearm(c);
}

static void rearm(struct client *c)
{
	if (c->closing)
		return;
	uint64_t next = UINT64_MAX;
	for (struct creq *r = c->head; r; r = r->next)
		if (r->deadline < next)
			next = r->deadline;
	if (c->state == CLIENT_DOWN && !c->peer &&
	    (c->reconnect || c->first_pending) && c->reconnect_at < next)
		next = c->reconnect_at;
	if (next == UINT64_MAX) {
		uv_timer_stop(&c->timer);
		return;
	}
	uint64_t now = uv_now(c->loop);
	uv_timer_start(&c->timer, on_timer, next > now ? next - now : 0, 0);
}

/* ---- public -------------------------------------------------------------- */

/* Why a "tcp:" address does not parse, as a parenthesis ("" if unknown). */
static void tcp_why(const char *s, char *why, size_t cap)
{
	const char *h = s + 4, *colon = NULL;
	char e[ESC_MAX(16)];
	why[0] = '\0';
	if (*h == '[') {
		const char *end = strchr(h, ']');
		colon = end && end[1] == ':' ? end + 1 : NULL;
	} else {
		colon = strrchr(h, ':');
	}
	if (!colon || colon == h) {
		snprintf(why, cap, " (tcp:HOST:PORT, e.g. tcp:127.0.0.1:7470)");
		return;
	}
	const char *ps = colon + 1;
	size_t n = strspn(ps, "0123456789");
	if (n == 0 || ps[n] != '\0' || n > 9) {
		snprintf(why, cap, " (port '%s' is not a number)",
		         esc_s(e, sizeof e, ps));
		return;
	}
	unsigned long port = strtoul(ps, NULL, 10);
	if (port == 0 || port > 65535) {
		snprintf(why, cap, " (port %lu is not 1..65535)", port);
		return;
	}
	snprintf(why, cap, " (HOST must be numeric, such as 127.0.0.1 or [::1], "
	         "or localhost)");
}

int client_check_address(const char *address, char *err, size_t errcap)
{
	struct peer_addr a;
	char why[96] = "";
	if (address && peer_addr_parse(address, &a) == 0 &&
	    strlen(address) < PEER_ADDR_MAX) {
		if (a.kind != PEER_ADDR_TCP || a.port != 0)
			return 0;
		snprintf(why, sizeof why, " (port 0 is not 1..65535)");
	} else if (address && strncmp(address, "tcp:", 4) == 0) {
		tcp_why(address, why, sizeof why);
	} else if (address && strncmp(address, "unix:", 5) == 0) {
		snprintf(why, sizeof why, address[5] ? " (the path is longer than %zu bytes)"
		                                      : " (no path after unix:)",
		         sizeof a.path - 1);
	}
	if (err && errcap) {
		char q[ESC_MAX(PEER_ADDR_MAX)];
		const char *s = address ? address : "";
		size_t n = strlen(s);
		esc_mem(q, sizeof q, s, n > PEER_ADDR_MAX ? PEER_ADDR_MAX : n);
		snprintf(err, errcap, "'%s%s': not an address%s; " CLIENT_ADDR_HINT,
		         q, n > PEER_ADDR_MAX ? "..." : "", why);
	}
	return -EINVAL;
}

int client_new(uv_loop_t *loop, const struct client_config *cfg,
               struct client **out)
{
	struct peer_addr a;
	if (!loop || !cfg || !out || !cfg->key || !cfg->pump_key || !cfg->address)
		return -EINVAL;
	if (client_check_address(cfg->address, NULL, 0) < 0 ||
	    peer_addr_parse(cfg->address, &a) < 0)
		return -EINVAL;
	struct client *c = calloc(1, sizeof *c);
	if (!c)
		return -ENOMEM;
	c->loop = loop;
	c->key = cfg->key;
	memcpy(c->pump_key, cfg->pump_key, 32);
	strcpy(c->addr, cfg->address);
	c->reconnect = cfg->reconnect != 0;
	c->backoff_min = cfg->backoff_min_ms ? cfg->backoff_min_ms : CLIENT_DEF_BACKOFF_MIN_MS;
	c->backoff_max = cfg->backoff_max_ms ? cfg->backoff_max_ms : CLIENT_DEF_BACKOFF_MAX_MS;
	if (c->backoff_max < c->backoff_min)
		c->backoff_max = c->backoff_min;
	c->backoff = c->backoff_min;
	c->timeout_ms = cfg->request_timeout_ms ? cfg->request_timeout_ms
	                                        : CLIENT_DEF_TIMEOUT_MS;
	c->ud = cfg->ud;
	c->on_link = cfg->on_link;
	c->on_notify = cfg->on_notify;
	c->next_id = now_us();
	c->state = CLIENT_DOWN;
	c->pcfg.address = c->addr;
	c->pcfg.static_key = c->key;
	c->pcfg.pump_key = c->pump_key;
	c->pcfg.limits = cfg->limits;
	c->pcfg.cb.ud = c;
	c->pcfg.cb.on_open = on_open;
	c->pcfg.cb.on_message = on_message;
	c->pcfg.cb.on_close = on_close;
	int rc = uv_timer_init(loop, &c->timer);
	if (rc < 0) {
		free(c);
		return rc;
	}
	c->timer.data = c;
	/* connect from the loop (so on_link never runs inside client_new) */
	c->first_pending = 1;
	c->reconnect_at = uv_now(loop);
	uv_timer_start(&c->timer, on_timer, 0, 0);
	*out = c;
	return 0;
}

int client_request(struct client *c, struct msg_request *req,
                   client_reply_fn cb, void *ud)
{
	uint8_t tmp[MSG_MAX];
	if (!c || !req)
		return -EINVAL;
	if (c->closing)
		return CLIENT_E_CLOSED;
	if (c->state == CLIENT_DOWN && !c->reconnect && !c->first_pending &&
	    !c->peer)
		return -ENOTCONN;
	if (c->queued >= CLIENT_QUEUE_MAX)
		return CLIENT_E_BUSY;
	int fixed = req->id != 0;
	if (!fixed) {
		uint64_t t = now_us();
		req->id = c->next_id < t ? t : c->next_id;
	}
	int n = msg_encode_request(req, tmp, sizeof tmp);
	sodium_memzero(tmp, sizeof tmp);
	if (n < 0) {
		if (!fixed)
			req->id = 0;
		return -EINVAL;
	}
	struct creq *r = calloc(1, sizeof *r);
	if (!r) {
		if (!fixed)
			req->id = 0;
		return -ENOMEM;
	}
	/* later automatic ids stay above any id used so far */
	if (req->id >= c->next_id && req->id < UINT64_MAX)
		c->next_id = req->id + 1;
	r->fixed_id = fixed;
	r->q = *req;
	r->cb = cb;
	r->ud = ud;
	r->deadline = uv_now(c->loop) + c->timeout_ms;
	if (c->tail)
		c->tail->next = r;
	else
		c->head = r;
	c->tail = r;
	c->queued++;
	pump_queue(c);
	return 0;
}

int client_state(const struct client *c)
{
	return c->state;
}

uint64_t client_next_id(const struct client *c)
{
	return c->next_id;
}

static void on_timer_closed(uv_handle_t *h)
{
	struct client *c = h->data;
	c->timer_closed = 1;
	maybe_free(c);
}

void client_close(struct client *c, void (*cb)(void *ud), void *ud)
{
	if (!c || c->closing)
		return;
	fail_all(c, CLIENT_E_CLOSED);
	c->closing = 1;
	c->close_cb = cb;
	c->close_ud = ud;
	uv_timer_stop(&c->timer);
	uv_close((uv_handle_t *)&c->timer, on_timer_closed);
	if (c->peer)
		peer_close(c->peer);
}

/* ---- blocking call ---------------------------------------------------------- */

struct call {
	int done, status, reason, closed;
	struct msg_reply *out;
};

static void call_reply(void *ud, int status, const struct msg_reply *rep)
{
	struct call *k = ud;
	k->done = 1;
	k->status = status;
	if (status == 0)
		*k->out = *rep;
}

static void call_link(void *ud, int state, int reason)
{
	struct call *k = ud;
	if (state == CLIENT_DOWN)
		k->reason = reason;
}

static void call_closed(void *ud)
{
	struct call *k = ud;
	k->closed = 1;
}

int client_call(const struct client_config *cfg, struct msg_request *req,
                struct msg_reply *out, int timeout_ms)
{
	uv_loop_t loop;
	struct client *c;
	struct call k;
	struct client_config cc;
	int rc;

	if (!cfg || !req || !out)
		return -EINVAL;
	memset(&k, 0, sizeof k);
	k.out = out;
	cc = *cfg;
	cc.reconnect = 0;
	cc.request_timeout_ms = timeout_ms > 0 ? (uint32_t)timeout_ms : 0;
	cc.ud = &k;
	cc.on_link = call_link;
	cc.on_notify = NULL;
	rc = uv_loop_init(&loop);
	if (rc < 0)
		return rc;
	rc = client_new(&loop, &cc, &c);
	if (rc == 0) {
		rc = client_request(c, req, call_reply, &k);
		if (rc == 0) {
			while (!k.done)
				uv_run(&loop, UV_RUN_ONCE);
			rc = k.status;
			if (rc == CLIENT_E_LINK && !c->ever_up && k.reason < 0)
				rc = k.reason;
		}
		client_close(c, call_closed, &k);
		while (!k.closed)
			uv_run(&loop, UV_RUN_ONCE);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	if (uv_loop_close(&loop) != 0 && rc == 0)
		rc = -EBUSY;
	return rc;
}
