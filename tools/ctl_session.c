/*
 * tools/ctl_session.c — a single request/reply exchange with an explicit
 * request id (see ctl_session.h).
 */
#include "tools/ctl_session.h"

#include <errno.h>
#include <string.h>
#include <uv.h>

#include "net/client.h"
#include "net/peer.h"

struct xchg {
	const struct msg_request *req;
	struct msg_reply *out;
	struct peer *peer;      /* until on_close */
	uv_timer_t timer;
	int status;             /* 1 = pending, 0 = reply, < 0 = failure */
	int peer_closed;
};

static void finish(struct xchg *x, int status)
{
	if (x->status == 1)
		x->status = status;
	if (x->peer && !x->peer_closed)
		peer_close(x->peer);
	uv_timer_stop(&x->timer);
}

static void on_open(void *ud, struct peer *p)
{
	struct xchg *x = ud;
	uint8_t buf[MSG_MAX];
	int n = msg_encode_request(x->req, buf, sizeof buf);
	if (n <= 0) {
		finish(x, CLIENT_E_ENCODE);
		return;
	}
	if (peer_send(p, buf, (size_t)n) != 0)
		finish(x, PEER_R_IO);
}

static void on_message(void *ud, struct peer *p, const uint8_t *msg, size_t len)
{
	struct xchg *x = ud;
	static struct msg_from_pump m; /* large; one exchange at a time */
	(void)p;
	if (msg_decode_from_pump(msg, len, &m) != 0) {
		finish(x, CLIENT_E_PROTO);
		return;
	}
	if (m.type != MSG_REPLY || m.u.reply.id != x->req->id)
		return; /* a notification, or a late reply to something else */
	*x->out = m.u.reply;
	finish(x, 0);
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct xchg *x = ud;
	(void)p;
	x->peer_closed = 1;
	x->peer = NULL;
	finish(x, reason < 0 ? reason : PEER_R_EOF);
}

static void on_timer(uv_timer_t *t)
{
	finish(t->data, CLIENT_E_TIMEOUT);
}

int ctl_exchange(const char *address, const uint8_t key[32],
                 const uint8_t pump_pub[32], const struct msg_request *req,
                 struct msg_reply *out, uint32_t timeout_ms)
{
	uv_loop_t loop;
	struct xchg x;
	struct peer_client_config cfg;
	int rc;

	memset(&x, 0, sizeof x);
	x.req = req;
	x.out = out;
	x.status = 1;
	if (uv_loop_init(&loop) != 0)
		return -ENOMEM;
	uv_timer_init(&loop, &x.timer);
	x.timer.data = &x;

	memset(&cfg, 0, sizeof cfg);
	cfg.address = address;
	cfg.static_key = key;
	cfg.pump_key = pump_pub;
	cfg.cb.ud = &x;
	cfg.cb.on_open = on_open;
	cfg.cb.on_message = on_message;
	cfg.cb.on_close = on_close;
	rc = peer_connect(&loop, &cfg, &x.peer);
	if (rc != 0) {
		x.status = PEER_R_CONNECT;
		x.peer_closed = 1;
	} else {
		uv_timer_start(&x.timer, on_timer, timeout_ms ? timeout_ms : CLIENT_DEF_TIMEOUT_MS, 0);
		while (!x.peer_closed && uv_run(&loop, UV_RUN_ONCE))
			;
	}
	uv_close((uv_handle_t *)&x.timer, NULL);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return x.status == 1 ? PEER_R_EOF : x.status;
}

const char *ctl_strstatus(int status)
{
	switch (status) {
	case 0:                return "ok";
	case CLIENT_E_TIMEOUT: return "no reply in time (incomplete communication)";
	case CLIENT_E_LINK:    return "link lost before the reply (incomplete communication)";
	case CLIENT_E_CLOSED:  return "closed";
	case CLIENT_E_PROTO:   return "the pump sent something undecodable";
	case CLIENT_E_BUSY:    return "too many requests queued";
	case CLIENT_E_ENCODE:  return "the request does not encode (a field is out of range)";
	case PEER_R_CONNECT:   return "cannot connect to the pump";
	case PEER_R_EOF:       return "the pump closed the connection (unknown key or not paired?)";
	case PEER_R_HANDSHAKE: return "handshake refused (wrong pump key?)";
	case PEER_R_HS_DEADLINE: return "handshake did not complete in time";
	case PEER_R_DECRYPT:   return "a message failed to decrypt";
	case PEER_R_REFUSED:   return "the pump refused this key";
	default:
		if (status <= PEER_R_LOCAL && status >= -100)
			return peer_reason_name(status);
		return "error";
	}
}
