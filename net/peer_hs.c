/*
 * net/peer_hs.c — the Noise IK handshake steps of a peer (see peer.h,
 * peer_impl.h):
 *   initiator: connect (a unix connect refused with EAGAIN is tried again
 *              with a short backoff), write message 1 (payload: TAI64N
 *              now), read message 2 (payload: empty), open
 *   responder: read message 1, cheapest refusals first, ask accept(),
 *              write message 2, open
 * The responder sets up its handshake state only when a whole message 1 of
 * the right length has arrived, so a connection that never sends one costs
 * no key work; a replayed one costs none either.
 */
#include "net/peer_impl.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sodium.h>

#include "crypto/tai64n.h"

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
	if (p->srv)
		p->up->srv_opened(p->srv, p);
	if (p->cb.on_open)
		p->cb.on_open(p->cb.ud, p);
}

/* Message 1, in the order that costs the pump least: its length, the
 * session cap, a repeated ephemeral (no DH), e/es/s (one DH) and lookup,
 * ss and the payload (the second DH), accept. */
static void responder_msg1(struct peer *p, const uint8_t *in, size_t len)
{
	struct peer_server *srv = p->srv;
	uint8_t ts[PEER_TAI64N_LEN];
	size_t plen = 0;
	int rc;

	if (len != NOISE_MSG1_LEN(PEER_TAI64N_LEN)) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	if (srv->n_sessions >= srv->max_sessions) {
		peer_fail(p, PEER_R_FULL);
		return;
	}
	if (peer_replay_seen(srv->replay, in)) {   /* in[0..32): e */
		peer_fail(p, PEER_R_REPLAY);
		return;
	}
	p->hs = srv->hs0;
	rc = srv->have_test_eph ? noise_hs_set_ephemeral(&p->hs, srv->test_eph) : 0;
	if (rc < 0 || noise_hs_read_msg1_static(&p->hs, in, len, p->rs) < 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	if (p->cb.lookup) {
		rc = p->cb.lookup(p->cb.ud, p->rs);
		if (p->state == P_CLOSING)
			return;
		if (rc < 0) {
			peer_fail(p, PEER_R_REFUSED);
			return;
		}
	}
	if (p->cb.static_dh) {
		uint8_t ss[32];
		if (p->cb.static_dh(p->cb.ud, p->rs, ss) == 0)
			noise_hs_use_ss(&p->hs, ss);
		sodium_memzero(ss, sizeof ss);
	}
	int64_t sec;
	uint32_t nsec;
	if (noise_hs_read_msg1_finish(&p->hs, in, len, ts, sizeof ts, &plen) < 0 ||
	    plen != PEER_TAI64N_LEN || tai64n_to_unix(ts, &sec, &nsec) < 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	/* authentic (made by the holder of p->rs's key): its ephemeral is
	 * never good again, whatever accept says */
	peer_replay_add(srv->replay, in);
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
	uint8_t f[FRAME_HDR + NOISE_MSG2_LEN(0)];
	size_t outlen = 0;
	frame_header(NOISE_MSG2_LEN(0), f);
	if (noise_hs_write_msg2(&p->hs, NULL, 0, f + FRAME_HDR,
	                        NOISE_MSG2_LEN(0), &outlen) < 0 ||
	    outlen != NOISE_MSG2_LEN(0)) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	if (peer_write_bytes(p, f, sizeof f) < 0)
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

void peer_hs_frame(struct peer *p, const uint8_t *in, size_t len)
{
	if (p->initiator)
		initiator_msg2(p, in, len);
	else
		responder_msg1(p, in, len);
}

/* ---- the initiator's start ------------------------------------------------ */

static void on_connect(uv_connect_t *req, int status)
{
	struct peer *p = req->data;
	if (p->state == P_CLOSING)
		return;
	if (status == UV_EAGAIN && p->u.h.type == UV_NAMED_PIPE) {
		/* the listener's backlog is full (a flood?): again, shortly */
		uint32_t wait = p->retry_ms ? p->retry_ms : 1;
		p->retry_ms = wait * 2 > PEER_CONNECT_RETRY_MS ? PEER_CONNECT_RETRY_MS
		                                               : wait * 2;
		if (uv_now(p->loop) + wait < p->hs_deadline) {
			peer_connect_retry(p, wait);
			return;
		}
	}
	if (status < 0) {
		peer_fail(p, PEER_R_CONNECT);
		return;
	}
	if (p->u.h.type == UV_TCP)
		uv_tcp_nodelay(&p->u.tcp, 1);
	if (peer_read_start(p) < 0) {
		peer_fail(p, PEER_R_IO);
		return;
	}
	uint8_t f[FRAME_HDR + NOISE_MSG1_LEN(PEER_TAI64N_LEN)];
	uint8_t ts[PEER_TAI64N_LEN];
	size_t outlen = 0;
	int rc = 0;
	frame_header(NOISE_MSG1_LEN(PEER_TAI64N_LEN), f);
	if (p->have_test_ts)
		memcpy(ts, p->test_ts, sizeof ts);
	else
		rc = tai64n_now(ts);
	if (rc == 0)
		rc = noise_hs_write_msg1(&p->hs, ts, sizeof ts, f + FRAME_HDR,
		                         NOISE_MSG1_LEN(PEER_TAI64N_LEN), &outlen);
	if (rc < 0) {
		peer_fail(p, PEER_R_HANDSHAKE);
		return;
	}
	p->state = P_HANDSHAKE;
	if (peer_write_bytes(p, f, sizeof f) < 0)
		return;
	peer_rearm(p);
}

static void connect_again(struct peer *p);

/* an initiator's calls up: it has no server */
static const struct peer_up initiator_up = {
	.hs_frame = peer_hs_frame, .connect_again = connect_again,
};

int peer_connect(uv_loop_t *loop, const struct peer_client_config *cfg,
                 struct peer **out)
{
	struct peer_addr a;
	int rc;

	if (!loop || !cfg || !out || !cfg->static_key || !cfg->pump_key)
		return -EINVAL;
	if (peer_addr_parse(cfg->address, &a) < 0)
		return -EINVAL;
	struct peer *p = peer_alloc(loop, &cfg->limits, &cfg->cb, &initiator_up,
	                            NULL, NULL);
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
		peer_addr_sockaddr(&a, &ss);
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
	peer_rearm(p);
	*out = p;
	return 0;
}

static void connect_again(struct peer *p)
{
	struct peer_addr a;
	if (peer_addr_parse(p->addr, &a) < 0 || a.kind != PEER_ADDR_UNIX) {
		peer_fail(p, PEER_R_CONNECT);   /* cannot happen: parsed before */
		return;
	}
	p->r.creq.data = p;
	uv_pipe_connect(&p->r.creq, &p->u.pipe, a.path, on_connect);
	peer_rearm(p);
}
