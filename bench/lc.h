/*
 * bench/lc.h — the load client: one libuv loop driving many connections to
 * one server, one request in flight per connection (as net/client sends
 * them), with the same code for the three servers the benchmarks compare:
 *
 *   LC_PLAIN  frames, no crypto                       (bench/echod plain)
 *   LC_AEAD   frames, ChaCha20-Poly1305 both ways, fixed keys, the Noise
 *             transport cipher of crypto/noise.h       (bench/echod aead)
 *   LC_NOISE  frames, a Noise IK handshake (message 1 carries TAI64N now),
 *             then the same cipher                     (pumpd); per key the
 *             initial state and ss = DH(key, pump key) are made once and
 *             copied (noise_hs_use_ss): 3 DH + 1 keygen a handshake
 *
 * Each request is a msg_request encoded by net/msg (a STATUS is 9 bytes);
 * each reply is decrypted, decoded with msg_decode_from_pump and matched by
 * its id; notifications and keepalives are read and passed over.  Request
 * ids rise per connection from the wall clock in microseconds (as
 * net/client), so they keep rising across runs and restarts.
 *
 * Connecting is bounded: at most hs_inflight connections are connecting or
 * handshaking at once (pumpd limits pre-auth connections per source; a
 * unix-socket client's source is its process).  TCP connections bind to
 * loopback source addresses 127.77.x.y, per_src connections to each (pumpd
 * limits connections per source address: these stand for remotes on
 * different hosts).  Up connections of LC_NOISE send a keepalive (an empty
 * transport message) after 10 s with nothing sent, as net/peer does.
 *
 * Errors are negative (or -1 after printing why to stderr).  Memory: struct
 * lc is opaque, owned by the caller from lc_new to lc_free; keys are
 * pointed to, not copied (the caller keeps them until lc_free).
 */
#ifndef PTM_BENCH_LC_H
#define PTM_BENCH_LC_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/msg.h"

enum lc_proto { LC_PLAIN = 0, LC_AEAD = 1, LC_NOISE = 2 };

#define LC_HS_INFLIGHT 16   /* default: connects + handshakes at once */
#define LC_PER_SRC     16   /* default: tcp connections per source address */

struct lc_config {
	const char *addr;            /* "unix:PATH" or "tcp:127.0.0.1:PORT" */
	enum lc_proto proto;
	const uint8_t *pump_pub;     /* LC_NOISE: the pump's static public key */
	const uint8_t (*keys)[32];   /* LC_NOISE: a private key per connection */
	size_t n;                    /* connections */
	unsigned hs_inflight;        /* 0 = LC_HS_INFLIGHT */
	unsigned per_src;            /* 0 = LC_PER_SRC */
	unsigned src_base;           /* tcp: first source address index */
	int retry_refused;           /* lc_connect: a handshake the server
	                              * closed is tried again after a pause of
	                              * LC_RETRY_MS (no new connects meanwhile),
	                              * as a remote reconnects with backoff */
	const char *name;            /* for messages */
};

#define LC_RETRY_MS 20

struct lc_result {
	uint64_t ops;                /* replies in the timed window */
	uint64_t all;                /* replies in all (warm-up and drain too) */
	double secs;                 /* the window */
	double rps, mean_us, p50_us, p99_us, max_us;
	uint64_t bad;                /* replies with err != OK, or out of turn */
	uint32_t outcome[MSG_OUT_COUNT]; /* BOLUS outcomes in the window */
};

struct lc_churn_result {
	uint64_t ok;                 /* handshakes completed */
	uint64_t refused;            /* closed by the server during the handshake */
	uint64_t failed;             /* connect failed, or message 2 was bad */
	double secs;
};

struct lc;

int lc_new(uv_loop_t *loop, const struct lc_config *cfg, struct lc **out);

/* Connect every connection (bounded, see above) and wait until all are
 * up, within timeout_ms.  0 or -1. */
int lc_connect(struct lc *c, int timeout_ms);

/* Every up connection keeps one `type` request in flight: warm_ms of
 * warm-up, then run_ms timed; then no new requests and the loop runs until
 * every reply came.  0, or -1 when a connection dropped or the replies
 * stopped (10 s). */
int lc_run(struct lc *c, uint8_t type, int64_t warm_ms, int64_t run_ms,
           struct lc_result *r);

/* One `type` request on every up connection; wait for every reply. */
int lc_each(struct lc *c, uint8_t type, int timeout_ms, struct lc_result *r);

/* Handshake churn (LC_NOISE; the connections must not be up): hs_inflight
 * slots each connect, handshake and close, again and again, taking the
 * keys in turn, until `max_ok` handshakes completed or max_ms passed. */
int lc_churn(struct lc *c, uint64_t max_ok, int64_t max_ms,
             struct lc_churn_result *r);

/* Close every connection and wait until closed (ready for lc_connect
 * again). */
void lc_disconnect(struct lc *c);

/* Connections up now. */
size_t lc_up(const struct lc *c);

/* Handshakes the server closed during lc_connect and tried again. */
uint64_t lc_retried(const struct lc *c);

/* The last reply's plaintext: its length (copied up to cap), 0 if none. */
size_t lc_last_reply(const struct lc *c, uint8_t *buf, size_t cap);

/* Close everything, run the loop until closed, free.  NULL is fine. */
void lc_free(struct lc *c);

/* The fixed keys of LC_AEAD (client to server, server to client), shared
 * with bench/echod. */
void lc_aead_keys(uint8_t c2s[32], uint8_t s2c[32]);

#endif
