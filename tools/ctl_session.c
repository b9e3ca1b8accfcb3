/*
 * tools/ctl_session.c — blocking request/reply with explicit request ids on
 * a kept session (see ctl_session.h).
 */
#include "tools/ctl_session.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <uv.h>

#include <sodium.h>

#include "net/client.h"
#include "net/peer.h"

struct ctl_sess {
	uv_loop_t loop;
	uv_timer_t timer;
	char address[PEER_ADDR_MAX];
	uint8_t key[32];              /* secret: zeroed in ctl_sess_free */
	uint8_t pump_pub[32];
	struct peer *peer;            /* NULL when no session */
	int open;                     /* on_open seen, on_close not yet */
	int closed_reason;            /* last on_close reason (< 0), 0 if none */

	/* the call in progress */
	uint64_t want_id;
	int waiting;                  /* 1 while a reply is awaited */
	int status;                   /* 1 pending, 0 reply, < 0 failure */
	int timed_out;
	struct msg_reply *out;
	struct msg_from_pump m;       /* decode buffer (large) */
	unsigned long notifications;
};

static void on_open(void *ud, struct peer *p)
{
	struct ctl_sess *s = ud;
	(void)p;
	s->open = 1;
}

static void on_message(void *ud, struct peer *p, const uint8_t *msg, size_t len)
{
	struct ctl_sess *s = ud;
	(void)p;
	if (msg_decode_from_pump(msg, len, &s->m) != 0) {
		if (s->waiting)
			s->status = CLIENT_E_PROTO;
		peer_close(s->peer);
		return;
	}
	if (s->m.type == MSG_NOTIFY) {
		s->notifications++;
		return;
	}
	if (!s->waiting || s->m.u.reply.id != s->want_id)
		return; /* a late reply to something else */
	*s->out = s->m.u.reply;
	s->status = 0;
	s->waiting = 0;
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct ctl_sess *s = ud;
	(void)p;
	s->peer = NULL;
	s->open = 0;
	s->closed_reason = reason < 0 ? reason : PEER_R_EOF;
	if (s->waiting && s->status == 1)
		s->status = s->closed_reason;
}

static void on_timer(uv_timer_t *t)
{
	struct ctl_sess *s = t->data;
	s->timed_out = 1;
}

struct ctl_sess *ctl_sess_new(const char *address, const uint8_t key[32],
                              const uint8_t pump_pub[32])
{
	struct ctl_sess *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	if (uv_loop_init(&s->loop) != 0) {
		free(s);
		return NULL;
	}
	uv_timer_init(&s->loop, &s->timer);
	s->timer.data = s;
	snprintf(s->address, sizeof s->address, "%s", address);
	memcpy(s->key, key, 32);
	memcpy(s->pump_pub, pump_pub, 32);
	return s;
}

/* Run the loop until done() or the deadline. */
static void run_until(struct ctl_sess *s, int (*done)(const struct ctl_sess *))
{
	while (!done(s) && !s->timed_out)
		if (uv_run(&s->loop, UV_RUN_ONCE) == 0)
			break;
}

static int connected_or_closed(const struct ctl_sess *s)
{
	return s->open || !s->peer;
}

static int answered(const struct ctl_sess *s)
{
	return s->status != 1 || !s->peer;
}

static int closed(const struct ctl_sess *s)
{
	return !s->peer;
}

static void drop(struct ctl_sess *s)
{
	if (s->peer) {
		peer_close(s->peer);
		s->timed_out = 0;
		run_until(s, closed);
	}
}

int ctl_sess_call(struct ctl_sess *s, const struct msg_request *req,
                  struct msg_reply *out, uint32_t timeout_ms)
{
	uint8_t buf[MSG_MAX];
	int n = msg_encode_request(req, buf, sizeof buf);
	if (n <= 0)
		return CLIENT_E_ENCODE;

	s->timed_out = 0;
	s->status = 1;
	s->waiting = 0;
	uv_timer_start(&s->timer, on_timer, timeout_ms ? timeout_ms : CLIENT_DEF_TIMEOUT_MS, 0);

	if (!s->peer) {
		struct peer_client_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.address = s->address;
		cfg.static_key = s->key;
		cfg.pump_key = s->pump_pub;
		cfg.cb.ud = s;
		cfg.cb.on_open = on_open;
		cfg.cb.on_message = on_message;
		cfg.cb.on_close = on_close;
		s->closed_reason = 0;
		if (peer_connect(&s->loop, &cfg, &s->peer) != 0) {
			s->peer = NULL;
			uv_timer_stop(&s->timer);
			return PEER_R_CONNECT;
		}
		run_until(s, connected_or_closed);
		if (!s->open) {
			int why = s->peer ? CLIENT_E_TIMEOUT : s->closed_reason;
			uv_timer_stop(&s->timer);
			drop(s);
			return why;
		}
	}

	s->want_id = req->id;
	s->out = out;
	s->waiting = 1;
	if (peer_send(s->peer, buf, (size_t)n) != 0) {
		s->waiting = 0;
		uv_timer_stop(&s->timer);
		drop(s);
		return PEER_R_IO;
	}
	run_until(s, answered);
	s->waiting = 0;
	uv_timer_stop(&s->timer);
	if (s->status == 1) {
		/* no answer: the session is in doubt; close it */
		int why = s->timed_out ? CLIENT_E_TIMEOUT : (s->closed_reason ? s->closed_reason : PEER_R_EOF);
		drop(s);
		return why;
	}
	if (s->status != 0)
		drop(s);
	return s->status;
}

unsigned long ctl_sess_notifications(const struct ctl_sess *s)
{
	return s->notifications;
}

void ctl_sess_free(struct ctl_sess *s)
{
	if (!s)
		return;
	drop(s);
	uv_close((uv_handle_t *)&s->timer, NULL);
	uv_run(&s->loop, UV_RUN_DEFAULT);
	uv_loop_close(&s->loop);
	sodium_memzero(s->key, sizeof s->key);
	free(s);
}

int ctl_exchange(const char *address, const uint8_t key[32],
                 const uint8_t pump_pub[32], const struct msg_request *req,
                 struct msg_reply *out, uint32_t timeout_ms)
{
	struct ctl_sess *s = ctl_sess_new(address, key, pump_pub);
	int rc;
	if (!s)
		return PEER_R_NOMEM;
	rc = ctl_sess_call(s, req, out, timeout_ms);
	ctl_sess_free(s);
	return rc;
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
