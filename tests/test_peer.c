/* tests/test_peer.c — the libuv peer over real loopback TCP and unix
 * sockets: handshake, transport both ways, refusals, tampering (through a
 * frame-aware proxy), deadlines, the write cap, clean close.
 * No sleeps: every test drives the loop until a condition holds, with a
 * guard timer that fails the test instead of hanging. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>
#include <uv.h>

#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/frame.h"
#include "net/peer.h"
#include "tests/lib/proxy.h"
#include "tests/lib/rawtcp.h"
#include "tests/lib/testkeys.h"
#include "tests/lib/uvtest.h"

/* ---- fixture ------------------------------------------------------------- */

static struct testkeys K;

struct side {
	int opened, closed, reason, msgs;
	uint8_t last[4096];
	size_t last_len;
	struct peer *p;
};

struct ctx {
	struct uvtest uv;       /* the loop and its guard */
	struct peer_server *srv;
	int srv_closed;
	struct side s, c;       /* server-side peer, client peer */
	int accepts, refuse, hs_fails, hs_reason;
	char fail_addr[16][PEER_ADDR_MAX];  /* the first 16 handshake failures */
	int fail_reason[16];
	unsigned long dh_at_accept;        /* noise_dh_count() in accept */
	uint8_t acc_key[32], acc_ts[12];
	int echo;               /* server echoes each message */
	int flush_on_msg;       /* server flush-closes on a message */
	char addr[PEER_ADDR_MAX];
};

static struct ctx X;

static void setup(void)
{
	memset(&X, 0, sizeof X);
	cr_assert_eq(testkeys_init(&K), 0);
	uvtest_open(&X.uv);
}

/* Drive the loop until *flag is non-zero (or the guard fires: failure). */
static void run_until(const int *flag, const char *what)
{
	uvtest_run_until(&X.uv, flag, what);
}

/* Drive the loop until the side (X.c or X.s) closes, for reason. */
static void side_ends(const struct side *sd, int reason, const char *what)
{
	run_until(&sd->closed, what);
	cr_assert_eq(sd->reason, reason, "%s: reason %d, not %d", what, sd->reason, reason);
}
static void client_ends(int reason, const char *what) { side_ends(&X.c, reason, what); }
static void server_ends(int reason, const char *what) { side_ends(&X.s, reason, what); }

/* Drive the loop until *v >= n or the guard fires (the caller asserts). */
static void run_to(const int *v, int n)
{
	while (*v < n && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

/* The same, stopping early when the server side closed. */
static void run_to_unless_closed(const int *v, int n)
{
	while (*v < n && !X.uv.guard_fired && !X.s.closed)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

static void srv_done(void *ud) { (void)ud; X.srv_closed = 1; }

/* Close the server; drive the loop until it says so. */
static void close_server(void)
{
	peer_server_close(X.srv, srv_done, NULL);
	run_until(&X.srv_closed, "server close");
}

/* The end of every test: close the server, run the loop until idle (or
 * a fresh guard fires) and check that nothing is left open.  In the test
 * body, because Criterion does not count a failed assertion in .fini. */
static void finish(void)
{
	uvtest_guard(&X.uv, 5000);
	if (X.srv && !X.srv_closed)
		peer_server_close(X.srv, srv_done, NULL);
	cr_assert_eq(uvtest_settle(&X.uv), 0, "a handle was left open");
	cr_assert(!(X.srv && !X.srv_closed), "the server did not close");
	cr_assert_eq(uvtest_close(&X.uv), 0, "uv_loop_close");
}

/* Never hangs, even after a failed test left its sockets open: finish's
 * work, then whatever is left is closed. */
static void teardown(void)
{
	if (X.uv.closed)
		return;
	uvtest_guard(&X.uv, 5000);
	if (X.srv && !X.srv_closed)
		peer_server_close(X.srv, srv_done, NULL);
	uvtest_settle(&X.uv);
	uvtest_abandon(&X.uv);
}

/* A test with the fixture; its body ends with finish(). */
#define FTEST(name) UVTEST(peer, name, setup, teardown, finish)

/* A fresh directory from the template dir ("...XXXXXX") and the address of
 * a socket in it, "unix:DIR/pump.sock", in addr. */
static void unix_addr(char *dir, char *addr, size_t cap)
{
	cr_assert_not_null(mkdtemp(dir));
	snprintf(addr, cap, "unix:%s/pump.sock", dir);
}

/* ---- callbacks ------------------------------------------------------------ */

static int s_accept(void *ud, struct peer *p, const uint8_t rs[32], const uint8_t ts[12])
{
	(void)ud;
	X.accepts++;
	X.dh_at_accept = noise_dh_count();
	memcpy(X.acc_key, rs, 32);
	memcpy(X.acc_ts, ts, 12);
	X.s.p = p;
	return X.refuse ? -1 : 0;
}
static void s_open(void *ud, struct peer *p) { (void)ud; X.s.opened++; X.s.p = p; }
static void s_msg(void *ud, struct peer *p, const uint8_t *m, size_t n)
{
	(void)ud;
	X.s.msgs++;
	memcpy(X.s.last, m, n);
	X.s.last_len = n;
	if (X.flush_on_msg)
		peer_close_flush(p, 0);
	if (X.echo) {
		uint8_t r[4096];
		for (size_t i = 0; i < n; i++)
			r[i] = (uint8_t)(m[i] ^ 0x20);
		cr_assert_eq(peer_send(p, r, n), 0);
	}
}
static void s_close(void *ud, struct peer *p, int reason)
{
	(void)ud; (void)p;
	X.s.closed++;
	X.s.reason = reason;
	X.s.p = NULL;
}
static void s_fail(void *ud, int reason, const char *addr)
{
	(void)ud;
	if (X.hs_fails < 16) {
		snprintf(X.fail_addr[X.hs_fails], PEER_ADDR_MAX, "%s", addr);
		X.fail_reason[X.hs_fails] = reason;
	}
	X.hs_fails++;
	X.hs_reason = reason;
}

static uint64_t c_open_at;  /* loop time of the client's on_open */
static void c_open(void *ud, struct peer *p)
{
	(void)ud; (void)p;
	X.c.opened++;
	c_open_at = uv_now(&X.uv.loop);
}
static void c_msg(void *ud, struct peer *p, const uint8_t *m, size_t n)
{
	(void)ud; (void)p;
	X.c.msgs++;
	memcpy(X.c.last, m, n);
	X.c.last_len = n;
}
static void c_close(void *ud, struct peer *p, int reason)
{
	(void)ud; (void)p;
	X.c.closed++;
	X.c.reason = reason;
	X.c.p = NULL;
}

static struct peer_limits no_limits;

/* The pump's key on listen, with the fixture's callbacks (s_*). */
static struct peer_server_config server_config(const char *listen)
{
	struct peer_server_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.static_key = K.pump_priv;
	cfg.listen[0] = listen;
	cfg.cb.accept = s_accept;
	cfg.cb.on_open = s_open;
	cfg.cb.on_message = s_msg;
	cfg.cb.on_close = s_close;
	cfg.cb.on_handshake_fail = s_fail;
	return cfg;
}

/* Start the server of cfg: X.srv, its address in X.addr. */
static void start_config(const struct peer_server_config *cfg)
{
	cr_assert_eq(peer_server_new(&X.uv.loop, cfg, &X.srv), 0);
	cr_assert_eq(peer_server_address(X.srv, X.addr, sizeof X.addr), 0);
}

static void start_server(const char *listen, struct peer_limits lim)
{
	struct peer_server_config cfg = server_config(listen);
	cfg.limits = lim;
	start_config(&cfg);
}

static void connect_to(const char *addr, const uint8_t *pumpkey, struct peer_limits lim)
{
	struct peer_client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.address = addr;
	cfg.static_key = K.rem_priv;
	cfg.pump_key = pumpkey;
	cfg.limits = lim;
	cfg.cb.on_open = c_open;
	cfg.cb.on_message = c_msg;
	cfg.cb.on_close = c_close;
	cr_assert_eq(peer_connect(&X.uv.loop, &cfg, &X.c.p), 0);
}

static int both_open(void) { return X.s.opened && X.c.opened; }

/* Drive the loop until both ends are open (what: for the failure). */
static void wait_both_open(const char *what)
{
	while (!both_open() && !X.uv.guard_fired && !X.c.closed)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
	cr_assert(both_open(), "%s", what);
}

/* Drive the loop until the server holds no connection (or the guard). */
static void until_no_connections(void)
{
	while (peer_server_count(X.srv) > 0 && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

static void session(const char *listen)
{
	start_server(listen, no_limits);
	connect_to(X.addr, K.pump_pub, no_limits);
	wait_both_open("session did not open");
}

/* ---- tests: sessions ------------------------------------------------------ */

static void round_trip(void)
{
	X.echo = 1;
	cr_assert_eq(X.accepts, 1);
	cr_assert_arr_eq(X.acc_key, K.rem_pub, 32, "accept sees the remote's static key");
	int64_t sec; /* the timestamp is TAI64N: label 2^62 + 10 + unix seconds */
	cr_assert_eq(X.acc_ts[0], 0x40);
	sec = 0;
	for (int i = 1; i < 8; i++)
		sec = (sec << 8) | X.acc_ts[i];
	cr_assert_gt(sec, 1600000000 + 10);
	uint8_t k[32];
	cr_assert_eq(peer_remote_static(X.c.p, k), 0);
	cr_assert_arr_eq(k, K.pump_pub, 32);
	cr_assert_eq(peer_remote_static(X.s.p, k), 0);
	cr_assert_arr_eq(k, K.rem_pub, 32);
	uint8_t h1[32], h2[32];
	cr_assert_eq(peer_handshake_hash(X.c.p, h1), 0);
	cr_assert_eq(peer_handshake_hash(X.s.p, h2), 0);
	cr_assert_arr_eq(h1, h2, 32, "both sides agree on the handshake hash");

	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"hello", 5), 0);
	run_until(&X.c.msgs, "echo");
	cr_assert_eq(X.s.msgs, 1);
	cr_assert_eq(X.s.last_len, 5);
	cr_assert_arr_eq(X.s.last, "hello", 5);
	cr_assert_eq(X.c.last_len, 5);
	cr_assert_arr_eq(X.c.last, "HELLO", 5);

	/* the largest message, both ways */
	static uint8_t big[4080];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = (uint8_t)i;
	cr_assert_eq(peer_send(X.c.p, big, 4081), -EMSGSIZE);
	cr_assert_eq(peer_send(X.c.p, big, 0), -EINVAL);
	cr_assert_eq(peer_send(X.c.p, big, sizeof big), 0);
	run_to(&X.c.msgs, 2);
	cr_assert_eq(X.c.last_len, 4080);
	cr_assert_eq(X.c.last[4079], (uint8_t)(4079 & 0xff) ^ 0x20);

	/* the client closes: its on_close says local, the server's says eof */
	peer_close(X.c.p);
	cr_assert_eq(peer_send(X.c.p, big, 1), -ENOTCONN);
	peer_close(X.c.p); /* twice is harmless */
	run_until(&X.s.closed, "server-side close");
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.c.closed, 1);
	cr_assert_eq(X.c.reason, PEER_R_LOCAL);
	cr_assert_eq(X.s.reason, PEER_R_EOF);
	cr_assert_eq(X.hs_fails, 0);
}

FTEST(tcp_session)
{
	session("tcp:127.0.0.1:0");
	cr_assert_eq(strncmp(X.addr, "tcp:127.0.0.1:", 14), 0);
	cr_assert_neq(strcmp(X.addr, "tcp:127.0.0.1:0"), 0, "the real port is shown");
	round_trip();
}

FTEST(tcp6_session)
{
	struct peer_server_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.static_key = K.pump_priv;
	cfg.listen[0] = "tcp:[::1]:0";
	if (peer_server_new(&X.uv.loop, &cfg, &X.srv) < 0) {
		X.srv = NULL; /* no IPv6 on this host */
		cr_skip_test("no IPv6 loopback");
	}
	close_server();
	X.srv = NULL;
	X.srv_closed = 0;
	session("tcp:[::1]:0");
	cr_assert_eq(strncmp(X.addr, "tcp:[::1]:", 10), 0);
	round_trip();
}

FTEST(unix_session)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", path[128], addr[160];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pump.sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", path);
	session(addr);
	cr_assert_str_eq(X.addr, addr);
	round_trip();
	close_server();
	cr_assert_eq(access(path, F_OK), -1, "the socket file is removed");
	rmdir(dir);
}

FTEST(bare_path_is_unix_and_stale_socket_replaced)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", path[128];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pump.sock", dir);
	/* a leftover socket file from a crashed run is replaced */
	struct peer_server_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.static_key = K.pump_priv;
	cfg.listen[0] = path;
	struct peer_server *old;
	cr_assert_eq(peer_server_new(&X.uv.loop, &cfg, &old), 0);
	session(path);
	round_trip();
	peer_server_close(old, NULL, NULL);
	/* a regular file is never replaced */
	char file[160];
	snprintf(file, sizeof file, "%s/plain", dir);
	FILE *f = fopen(file, "w");
	cr_assert_not_null(f);
	fclose(f);
	cfg.listen[0] = file;
	cr_assert_eq(peer_server_new(&X.uv.loop, &cfg, &old), -EEXIST);
	cr_assert_eq(access(file, F_OK), 0);
	unlink(file);
	close_server();
	rmdir(dir);
}

FTEST(server_close_ends_sessions)
{
	session("tcp:127.0.0.1:0");
	cr_assert_eq(peer_server_count(X.srv), 1);
	close_server();
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_SHUTDOWN);
	client_ends(PEER_R_EOF, "client sees the close");
}

FTEST(close_from_inside_callbacks)
{
	session("tcp:127.0.0.1:0");
	/* the server closes everything from inside on_message */
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"x", 1), 0);
	run_until(&X.s.msgs, "message");
	close_server();
	run_until(&X.c.closed, "client close");
}

/* ---- refusals ------------------------------------------------------------ */

/* verifies: SR-LINK-002 */
FTEST(wrong_pump_key_refused)
{
	start_server("tcp:127.0.0.1:0", no_limits);
	connect_to(X.addr, K.other_pub, no_limits);
	run_until(&X.c.closed, "client close");
	run_until(&X.hs_fails, "server handshake failure");
	cr_assert_eq(X.hs_reason, PEER_R_HANDSHAKE);
	cr_assert_eq(X.accepts, 0, "accept never sees an unauthenticated key");
	cr_assert_eq(X.c.opened, 0);
	cr_assert_eq(X.c.reason, PEER_R_REFUSED);
	cr_assert_eq(X.s.opened + X.s.closed, 0);
}

/* verifies: SR-LINK-002 */
FTEST(unknown_initiator_refused)
{
	X.refuse = 1;
	start_server("tcp:127.0.0.1:0", no_limits);
	connect_to(X.addr, K.pump_pub, no_limits);
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.accepts, 1);
	cr_assert_eq(X.c.opened, 0);
	cr_assert_eq(X.c.reason, PEER_R_REFUSED, "nothing is sent back");
	cr_assert_eq(X.s.opened + X.s.closed, 0);
	cr_assert_eq(X.hs_fails, 0);
}

FTEST(connect_refused)
{
	/* bind a port, close it, connect to it */
	start_server("tcp:127.0.0.1:0", no_limits);
	char a[PEER_ADDR_MAX];
	strcpy(a, X.addr);
	close_server();
	connect_to(a, K.pump_pub, no_limits);
	client_ends(PEER_R_CONNECT, "client close");
	cr_assert_eq(X.c.opened, 0);
	X.c.closed = 0;
	connect_to("unix:/nonexistent/ptm.sock", K.pump_pub, no_limits);
	client_ends(PEER_R_CONNECT, "client close");
}

FTEST(bad_arguments)
{
	struct peer_client_config cfg = { .static_key = K.rem_priv, .pump_key = K.pump_pub,
	                                  .address = "tcp:127.0.0.1" };
	struct peer *p;
	cr_assert_eq(peer_connect(&X.uv.loop, &cfg, &p), -EINVAL);
	cfg.address = "nonsense";
	cr_assert_eq(peer_connect(&X.uv.loop, &cfg, &p), -EINVAL);
	struct peer_server_config s;
	memset(&s, 0, sizeof s);
	s.static_key = K.pump_priv;
	s.listen[0] = "tcp:999.1.1.1:5";
	struct peer_server *srv;
	cr_assert_eq(peer_server_new(&X.uv.loop, &s, &srv), -EINVAL);
	s.listen[0] = "tcp:127.0.0.1:0";
	s.listen[1] = "tcp:bad";
	cr_assert_eq(peer_server_new(&X.uv.loop, &s, &srv), -EINVAL);
}

Test(peer, address_parse)
{
	struct peer_addr a;
	cr_assert_eq(peer_addr_parse("tcp:127.0.0.1:7470", &a), 0);
	cr_assert_eq(a.kind, PEER_ADDR_TCP);
	cr_assert_str_eq(a.host, "127.0.0.1");
	cr_assert_eq(a.port, 7470);
	cr_assert_eq(peer_addr_parse("tcp:[::1]:65535", &a), 0);
	cr_assert_str_eq(a.host, "::1");
	cr_assert_eq(a.port, 65535);
	cr_assert_eq(peer_addr_parse("tcp:localhost:1", &a), 0);
	cr_assert_str_eq(a.host, "127.0.0.1");
	cr_assert_eq(peer_addr_parse("unix:/run/ptm.sock", &a), 0);
	cr_assert_eq(a.kind, PEER_ADDR_UNIX);
	cr_assert_str_eq(a.path, "/run/ptm.sock");
	cr_assert_eq(peer_addr_parse("./pump.sock", &a), 0);
	cr_assert_str_eq(a.path, "./pump.sock");
	const char *bad[] = { "", "tcp:", "tcp:1.2.3.4", "tcp:1.2.3.4:", "tcp:1.2.3.4:65536",
		"tcp:1.2.3.4:12x", "tcp:::1:5", "tcp:[::1]5", "tcp:example.com:80",
		"unix:", "pump.sock", "udp:1.2.3.4:5", NULL };
	for (int i = 0; bad[i]; i++)
		cr_assert_eq(peer_addr_parse(bad[i], &a), -EINVAL, "%s accepted", bad[i]);
	char longp[200];
	memset(longp, 'a', sizeof longp);
	longp[0] = '/';
	longp[199] = 0;
	cr_assert_eq(peer_addr_parse(longp, &a), -EINVAL);
}

Test(peer, reason_names)
{
	cr_assert_str_eq(peer_reason_name(PEER_R_EOF), "eof");
	cr_assert_str_eq(peer_reason_name(PEER_R_HS_DEADLINE), "handshake_deadline");
	cr_assert_str_eq(peer_reason_name(PEER_R_WRITE_CAP), "write_cap");
	cr_assert_str_eq(peer_reason_name(12345), "unknown");
}

/* ---- a raw TCP client for deadline tests (tests/lib/rawtcp.h) ------------ */

static struct rawtcp R;

/* connect; then every `every_ms` send the next byte of bytes[0..n) */
static void raw_start(const uint8_t *bytes, size_t n, uint64_t every_ms)
{
	cr_assert_eq(rawtcp_start(&R, &X.uv.loop, X.addr, bytes, n, every_ms), 0);
	run_until(&R.connected, "raw connect");
	cr_assert_eq(R.status, 0);
}

/* verifies: SR-DOS-001 */
FTEST(handshake_deadline)
{
	struct peer_limits l = { .handshake_ms = 60 };
	start_server("tcp:127.0.0.1:0", l);
	uint64_t t0 = uv_now(&X.uv.loop);
	raw_start(NULL, 0, 0); /* connects, says nothing */
	run_until(&X.hs_fails, "handshake deadline");
	cr_assert_eq(X.hs_reason, PEER_R_HS_DEADLINE);
	cr_assert_geq(uv_now(&X.uv.loop) - t0, 60);
	run_until(&R.eof, "connection dropped");
	rawtcp_stop(&R);
	cr_assert_eq(peer_server_count(X.srv), 0);
}

/* verifies: SR-DOS-001 */
FTEST(handshake_deadline_is_absolute)
{
	/* a byte every 20 ms of a valid-length frame never completes it in time */
	struct peer_limits l = { .handshake_ms = 150, .frame_ms = 100000 };
	start_server("tcp:127.0.0.1:0", l);
	uint8_t hdr[4] = { 0x00, 0x6c, 1, 2 };
	uint64_t t0 = uv_now(&X.uv.loop);
	raw_start(hdr, 4, 20);
	run_until(&X.hs_fails, "deadline");
	cr_assert_eq(X.hs_reason, PEER_R_HS_DEADLINE);
	cr_assert_lt(uv_now(&X.uv.loop) - t0, 5000);
	rawtcp_stop(&R);
}

/* verifies: SR-DOS-001 */
FTEST(frame_deadline)
{
	struct peer_limits l = { .handshake_ms = 100000, .frame_ms = 80 };
	start_server("tcp:127.0.0.1:0", l);
	uint8_t hdr[4] = { 0x00, 0x6c, 1, 2 };
	uint64_t t0 = uv_now(&X.uv.loop);
	raw_start(hdr, 4, 25);  /* one byte each 25 ms: frame started, never done */
	run_until(&X.hs_fails, "frame deadline");
	cr_assert_eq(X.hs_reason, PEER_R_FRAME_DEADLINE);
	uint64_t dt = uv_now(&X.uv.loop) - t0;
	cr_assert_geq(dt, 80);
	cr_assert_lt(dt, 5000);
	rawtcp_stop(&R);
}

/* verifies: SR-LINK-005 */
FTEST(oversize_frame_refused)
{
	start_server("tcp:127.0.0.1:0", no_limits);
	uint8_t hdr[2] = { 0x10, 0x01 }; /* 4097 */
	raw_start(hdr, 2, 1);
	run_until(&X.hs_fails, "oversize refusal");
	cr_assert_eq(X.hs_reason, PEER_R_OVERSIZE);
	rawtcp_stop(&R);
}

/* verifies: SR-LINK-002 */
FTEST(garbage_handshake_refused)
{
	start_server("tcp:127.0.0.1:0", no_limits);
	uint8_t m[4] = { 0x00, 0x02, 0xde, 0xad }; /* a 2-byte "message 1" */
	raw_start(m, 4, 1);
	run_until(&X.hs_fails, "refusal");
	cr_assert_eq(X.hs_reason, PEER_R_HANDSHAKE);
	rawtcp_stop(&R);
}

/* ---- a frame-aware proxy for tampering tests (tests/lib/proxy.h) ---------- */

static struct proxy P;

static void proxy_done(void)
{
	proxy_close(&P);
	cr_assert(!P.failed, "%s", P.why);
}

static void via_proxy(int dir, int at, enum proxy_act act, struct peer_limits lim)
{
	start_server("tcp:127.0.0.1:0", lim);
	cr_assert_eq(proxy_open(&P, &X.uv.loop, X.addr, dir, at, act), 0);
	connect_to(P.addr, K.pump_pub, lim);
}

static void open_via_proxy(int dir, int at, enum proxy_act act, struct peer_limits lim)
{
	via_proxy(dir, at, act, lim);
	wait_both_open("the session to open");
}

FTEST(proxy_passes_a_clean_session)
{
	open_via_proxy(PROXY_C2S, 99, PROXY_PASS, no_limits);
	X.echo = 1;
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"ping", 4), 0);
	run_until(&X.c.msgs, "echo");
	cr_assert_arr_eq(X.c.last, "PING", 4);
	peer_close(X.c.p);
	run_until(&X.s.closed, "close");
	proxy_done();
}

/* verifies: SR-LINK-001 */
FTEST(flipped_message1_refused)
{
	via_proxy(PROXY_C2S, 0, PROXY_FLIP, no_limits);
	run_until(&X.hs_fails, "refusal");
	cr_assert_eq(X.hs_reason, PEER_R_HANDSHAKE);
	cr_assert_eq(X.accepts, 0);
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.c.opened, 0);
	proxy_done();
}

/* verifies: SR-LINK-001 */
FTEST(flipped_message2_refused)
{
	via_proxy(PROXY_S2C, 0, PROXY_FLIP, no_limits);
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.c.opened, 0);
	cr_assert_eq(X.c.reason, PEER_R_HANDSHAKE);
	server_ends(PEER_R_EOF, "server side ends");
	proxy_done();
}

/* verifies: SR-LINK-001 */
FTEST(flipped_transport_ends_session)
{
	open_via_proxy(PROXY_C2S, 1, PROXY_FLIP, no_limits);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"bolus", 5), 0);
	server_ends(PEER_R_DECRYPT, "server drops the session");
	cr_assert_eq(X.s.msgs, 0, "nothing tampered is delivered");
	run_until(&X.c.closed, "client sees it");
	proxy_done();
}

/* verifies: SR-LINK-001 */
FTEST(flipped_transport_to_client_ends_session)
{
	open_via_proxy(PROXY_S2C, 1, PROXY_FLIP, no_limits);
	X.echo = 1;
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"status", 6), 0);
	client_ends(PEER_R_DECRYPT, "client drops the session");
	cr_assert_eq(X.c.msgs, 0);
	proxy_done();
}

/* verifies: SR-LINK-003 */
FTEST(replayed_transport_ends_session)
{
	open_via_proxy(PROXY_C2S, 1, PROXY_DUP, no_limits);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"bolus", 5), 0);
	run_until(&X.s.closed, "server drops the session");
	cr_assert_eq(X.s.msgs, 1, "the original is delivered once");
	cr_assert_eq(X.s.reason, PEER_R_DECRYPT);
	proxy_done();
}

/* verifies: SR-LINK-003 */
FTEST(reordered_transport_ends_session)
{
	open_via_proxy(PROXY_C2S, 1, PROXY_SWAP, no_limits);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"one", 3), 0);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"two", 3), 0);
	run_until(&X.s.closed, "server drops the session");
	cr_assert_eq(X.s.msgs, 0);
	cr_assert_eq(X.s.reason, PEER_R_DECRYPT);
	proxy_done();
}

/* verifies: SR-DOS-001 */
FTEST(keepalive_holds_idle_session)
{
	/* dead_ms well above keepalive_ms, so that a loaded machine stalling
	 * this process for a moment does not kill the session */
	struct peer_limits l = { .keepalive_ms = 20, .dead_ms = 1000 };
	open_via_proxy(PROXY_C2S, 99, PROXY_PASS, l);
	/* three dead-times of idleness; keepalives keep both sides alive */
	uint64_t t0 = uv_now(&X.uv.loop);
	while (uv_now(&X.uv.loop) - t0 < 3000 && !X.c.closed && !X.s.closed)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
	cr_assert_eq(X.c.closed + X.s.closed, 0, "an idle session stays up");
	cr_assert_geq(P.forwarded[PROXY_C2S], 3000 / 20 / 4, "keepalives flowed");
	cr_assert_geq(P.forwarded[PROXY_S2C], 3000 / 20 / 4);
	cr_assert_eq(X.c.msgs + X.s.msgs, 0, "keepalives are not messages");
	peer_close(X.c.p);
	run_until(&X.s.closed, "close");
	proxy_done();
}

/* verifies: SR-DOS-001 */
FTEST(silent_session_is_dead)
{
	struct peer_limits l = { .keepalive_ms = 20, .dead_ms = 100 };
	/* after message 2, nothing gets through to the client */
	open_via_proxy(PROXY_S2C, 1, PROXY_BLACKHOLE, l);
	client_ends(PEER_R_DEAD, "client notices");
	/* dead_ms counts from the last thing received: message 2 */
	cr_assert_geq(uv_now(&X.uv.loop) - c_open_at, 100);
	proxy_done();
}

/* verifies: SR-DOS-003 */
FTEST(reader_that_never_reads_is_dropped)
{
	struct peer_limits l = { .write_cap = 64 * 1024 };
	/* the proxy stops reading from the server after message 2 */
	open_via_proxy(PROXY_S2C, 0, PROXY_STOP_READ, l);
	static uint8_t m[4000];
	memset(m, 0x55, sizeof m);
	int rc = 0;
	long sent = 0;
	while (rc == 0 && !X.uv.guard_fired) {
		rc = peer_send(X.s.p, m, sizeof m);
		if (rc == 0)
			sent++;
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
		cr_assert_leq(peer_write_queued(X.s.p ? X.s.p : X.c.p), 64 * 1024);
	}
	cr_assert_eq(rc, -ENOBUFS);
	cr_assert_gt(sent, 16);
	server_ends(PEER_R_WRITE_CAP, "server drops the reader");
	proxy_done();
}

/* ---- flushing close --------------------------------------------------------- */

#define BIG_CAP (64u * 1024 * 1024)
/* For a peer whose reader stopped: more than the kernel can still take
 * while the flush runs (a loopback TCP send buffer grows up to 4 MB), so
 * that the queue cannot drain before the deadline. */
#define NONREADER_QUEUE (8u * 1024 * 1024)

/* Queue messages of 4000 bytes from `from`, each starting with its index,
 * without running the loop (so the other side reads nothing meanwhile),
 * until at least min_queued bytes wait in from's own write queue (the
 * kernel takes what its buffers hold first; how much varies with load).
 * Returns the number of messages sent. */
static int queue_until(struct peer *from, size_t min_queued)
{
	static uint8_t m[4000];
	int i;
	for (i = 0; peer_write_queued(from) < min_queued; i++) {
		cr_assert_lt(i, (int)(BIG_CAP / 4100), "the kernel took it all?");
		memset(m, 0x5a, sizeof m);
		m[0] = (uint8_t)(i >> 8);
		m[1] = (uint8_t)i;
		cr_assert_eq(peer_send(from, m, sizeof m), 0, "send %d", i);
	}
	return i;
}

/* A session through the proxy, which stops reading from the server after
 * message 2, and the server's side with NONREADER_QUEUE bytes queued. */
static void nonreader_queued(void)
{
	struct peer_limits l = { .write_cap = BIG_CAP };
	open_via_proxy(PROXY_S2C, 0, PROXY_STOP_READ, l);
	queue_until(X.s.p, NONREADER_QUEUE);
}

static void flush_delivers(const char *listen)
{
	/* a megabyte still in our own queue when the flush starts: peer_close
	 * would abandon it */
	struct peer_limits l = { .write_cap = BIG_CAP };
	start_server(listen, l);
	connect_to(X.addr, K.pump_pub, l);
	wait_both_open("the session to open");
	int sent = queue_until(X.s.p, 1000000);
	struct peer *sp = X.s.p;
	peer_close_flush(sp, 10000);
	cr_assert_eq(peer_is_open(sp), 0);
	cr_assert_eq(peer_send(sp, (const uint8_t *)"late", 4), -ENOTCONN);
	peer_close_flush(sp, 10000); /* twice is harmless */
	/* the client, not knowing yet, still sends: read and dropped */
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"request", 7), 0);
	run_until(&X.c.closed, "client sees the end");
	cr_assert_eq(X.c.msgs, sent, "every queued message arrives");
	cr_assert_eq(X.c.last[0], (sent - 1) >> 8);
	cr_assert_eq(X.c.last[1], (sent - 1) & 0xff, "the last one too");
	cr_assert_eq(X.c.reason, PEER_R_EOF);
	run_until(&X.s.closed, "server side closed");
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_LOCAL, "the queue drained");
	cr_assert_eq(X.s.msgs, 0, "nothing is delivered once flushing");
	cr_assert_eq(X.hs_fails, 0);
}

FTEST(flush_close_delivers_the_queue_tcp)
{
	flush_delivers("tcp:127.0.0.1:0");
}

FTEST(flush_close_delivers_the_queue_unix)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", addr[160];
	unix_addr(dir, addr, sizeof addr);
	flush_delivers(addr);
	close_server();
	rmdir(dir);
}

FTEST(flush_close_from_on_message_drops_later_frames)
{
	session("tcp:127.0.0.1:0");
	X.flush_on_msg = 1;
	/* three frames that usually arrive in one read: the first is
	 * delivered, the callback flush-closes, the rest are dropped (not a
	 * protocol error) */
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"one", 3), 0);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"two", 3), 0);
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"three", 5), 0);
	run_until(&X.s.closed, "server side closed");
	cr_assert_eq(X.s.msgs, 1);
	cr_assert_arr_eq(X.s.last, "one", 3);
	cr_assert_eq(X.s.reason, PEER_R_LOCAL);
	client_ends(PEER_R_EOF, "client close");
}

FTEST(flush_close_by_initiator)
{
	session("tcp:127.0.0.1:0");
	cr_assert_eq(peer_send(X.c.p, (const uint8_t *)"bye", 3), 0);
	peer_close_flush(X.c.p, 0);
	client_ends(PEER_R_LOCAL, "client close");
	/* it lingered (reading) until the other side had closed: no unread
	 * bytes, so no reset that could destroy what it sent last */
	cr_assert_eq(X.s.closed, 1, "the other side closed first");
	run_until(&X.s.closed, "server side closed");
	cr_assert_eq(X.s.msgs, 1);
	cr_assert_arr_eq(X.s.last, "bye", 3);
	cr_assert_eq(X.s.reason, PEER_R_EOF);
}

FTEST(flush_close_before_open_is_a_close)
{
	start_server("tcp:127.0.0.1:0", no_limits);
	connect_to(X.addr, K.pump_pub, no_limits);
	peer_close_flush(X.c.p, 0);      /* still connecting */
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.c.closed, 1);
	cr_assert_eq(X.c.reason, PEER_R_LOCAL);
	cr_assert_eq(X.c.opened, 0);
}

FTEST(flush_close_of_a_non_reader_ends_at_the_deadline)
{
	nonreader_queued();
	uint64_t t0 = uv_now(&X.uv.loop);
	peer_close_flush(X.s.p, 150);
	run_until(&X.s.closed, "the deadline");
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_FLUSH_DEADLINE);
	uint64_t dt = uv_now(&X.uv.loop) - t0;
	cr_assert_geq(dt, 150);
	cr_assert_lt(dt, 5000);
	proxy_done();
}

struct raw_unix { uv_pipe_t p; uv_connect_t c; int connected, status; };
static void ru_connected(uv_connect_t *c, int st)
{
	struct raw_unix *ru = c->data;
	ru->connected = 1;
	ru->status = st;
}

/* verifies: SR-STORE-005 */
FTEST(server_shutdown_flushes_and_stops_listening)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", path[128], addr[160];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(path, sizeof path, "%s/pump.sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", path);
	struct peer_limits l = { .write_cap = BIG_CAP };
	start_server(addr, l);
	connect_to(X.addr, K.pump_pub, l);
	wait_both_open("the session to open");
	/* a second connection still handshaking: it is dropped at once */
	static struct raw_unix ru;
	memset(&ru, 0, sizeof ru);
	uv_pipe_init(&X.uv.loop, &ru.p, 0);
	ru.c.data = &ru;
	uv_pipe_connect(&ru.c, &ru.p, path, ru_connected);
	run_until(&ru.connected, "second connection");
	cr_assert_eq(ru.status, 0);
	while (peer_server_count(X.srv) < 2 && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
	cr_assert_eq(peer_server_count(X.srv), 2);
	int sent = queue_until(X.s.p, 256 * 1024);
	peer_server_shutdown(X.srv, 10000, srv_done, NULL);
	cr_assert_eq(access(path, F_OK), -1, "no new connections: the socket file is gone");
	cr_assert_eq(X.srv_closed, 0, "the callback comes from the loop");
	run_until(&X.srv_closed, "server shutdown");
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_SHUTDOWN);
	cr_assert_eq(X.hs_fails, 1);
	cr_assert_eq(X.hs_reason, PEER_R_SHUTDOWN);
	run_until(&X.c.closed, "client close");
	cr_assert_eq(X.c.msgs, sent, "every queued message arrives");
	cr_assert_eq(X.c.last[0], (sent - 1) >> 8);
	cr_assert_eq(X.c.last[1], (sent - 1) & 0xff);
	cr_assert_eq(X.c.reason, PEER_R_EOF);
	uv_close((uv_handle_t *)&ru.p, NULL);
	rmdir(dir);
}

FTEST(server_shutdown_ends_at_the_deadline)
{
	nonreader_queued();
	uint64_t t0 = uv_now(&X.uv.loop);
	peer_server_shutdown(X.srv, 150, srv_done, NULL);
	run_until(&X.srv_closed, "server shutdown");
	uint64_t dt = uv_now(&X.uv.loop) - t0;
	cr_assert_geq(dt, 150);
	cr_assert_lt(dt, 5000);
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_FLUSH_DEADLINE);
	proxy_done();
}

FTEST(server_close_cuts_a_shutdown_short)
{
	nonreader_queued();
	uint64_t t0 = uv_now(&X.uv.loop);
	peer_server_shutdown(X.srv, 60000, srv_done, NULL);
	uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	cr_assert_eq(X.s.closed, 0, "still flushing");
	peer_server_close(X.srv, NULL, NULL);   /* e.g. a second SIGTERM */
	run_until(&X.srv_closed, "server close");
	cr_assert_lt(uv_now(&X.uv.loop) - t0, 5000);
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_FLUSH_DEADLINE, "the queue was not drained");
	proxy_done();
}

/* ---- admission and allocation failure -------------------------------------- */

static struct {
	int calls, refuse, family;
	int have_cred;
	struct peer_cred cred;
	char addr[PEER_ADDR_MAX];
	uint32_t ip;
	int fail_allocs;        /* test_alloc: fail this many more */
	int allocs;
} A;

static int s_admit(void *ud, const struct sockaddr *sa,
                   const struct peer_cred *cred, const char *addr)
{
	(void)ud;
	A.calls++;
	A.have_cred = cred != NULL;
	if (cred)
		A.cred = *cred;
	A.family = sa ? sa->sa_family : 0;
	if (sa && sa->sa_family == AF_INET)
		A.ip = ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr);
	snprintf(A.addr, sizeof A.addr, "%s", addr);
	return A.refuse ? -1 : 0;
}

static void *failing_alloc(size_t n)
{
	A.allocs++;
	if (A.fail_allocs > 0) {
		A.fail_allocs--;
		return NULL;
	}
	return calloc(1, n);
}

static void start_admit_server(const char *listen)
{
	struct peer_server_config cfg = server_config(listen);
	cfg.cb.admit = s_admit;
	cfg.test_alloc = failing_alloc;
	start_config(&cfg);
}

/* verifies: SR-DOS-002 */
FTEST(admit_refuses_a_connection_before_the_handshake)
{
	memset(&A, 0, sizeof A);
	A.refuse = 1;
	start_admit_server("tcp:127.0.0.1:0");
	connect_to(X.addr, K.pump_pub, no_limits);
	client_ends(PEER_R_REFUSED, "client sees the refusal");
	cr_assert_eq(A.calls, 1);
	cr_assert_eq(A.family, AF_INET);
	cr_assert(!A.have_cred, "no credentials over TCP");
	cr_assert_eq(A.ip, 0x7f000001u, "the source address");
	cr_assert_eq(strncmp(A.addr, "tcp:127.0.0.1:", 14), 0, "%s", A.addr);
	cr_assert_eq(X.accepts, 0, "message 1 was never processed");
	cr_assert_eq(X.hs_fails, 0, "a refusal by admit is not reported again");
	cr_assert_eq(X.s.opened + X.s.closed, 0);
	until_no_connections();
	cr_assert_eq(peer_server_count(X.srv), 0);
	/* admitted: a normal session */
	A.refuse = 0;
	X.c.closed = 0;
	connect_to(X.addr, K.pump_pub, no_limits);
	wait_both_open("the session to open");
	cr_assert_eq(A.calls, 2);
	cr_assert_eq(X.accepts, 1);
	peer_close(X.c.p);
	run_until(&X.s.closed, "close");
}

FTEST(admit_on_a_unix_socket)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", addr[160];
	unix_addr(dir, addr, sizeof addr);
	memset(&A, 0, sizeof A);
	A.family = -1;
	start_admit_server(addr);
	connect_to(X.addr, K.pump_pub, no_limits);
	wait_both_open("the session to open");
	cr_assert_eq(A.calls, 1);
	cr_assert_eq(A.family, 0, "no sockaddr for a unix peer");
	cr_assert(A.have_cred, "a unix peer's credentials");
	cr_assert_eq(A.cred.pid, getpid());
	cr_assert_eq(A.cred.uid, getuid());
	cr_assert_eq(A.cred.gid, getgid());
	char want[PEER_ADDR_MAX], got[PEER_ADDR_MAX];
	snprintf(want, sizeof want, "unix:uid=%lu,pid=%ld", (unsigned long)getuid(),
	         (long)getpid());
	cr_assert_str_eq(A.addr, want, "the log names the process");
	peer_remote_addr(X.s.p, got, sizeof got);
	cr_assert_str_eq(got, want);
	peer_close(X.c.p);
	run_until(&X.s.closed, "close");
	close_server();
	rmdir(dir);
}

/* n raw TCP connections that only wait for the server to close them */
#define NRAW 3
static struct { uv_tcp_t t[NRAW]; uv_connect_t c[NRAW]; int conn, eof, closed; char buf[64]; } M;
static void m_alloc(uv_handle_t *h, size_t n, uv_buf_t *b) { (void)h; (void)n; *b = uv_buf_init(M.buf, sizeof M.buf); }
static void m_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	if (n < 0) {
		M.eof++;
		uv_read_stop(s);
	}
}
static void m_connected(uv_connect_t *c, int st)
{
	cr_assert_eq(st, 0);
	M.conn++;
	uv_read_start(c->handle, m_alloc, m_read);
}
static void m_closed(uv_handle_t *h) { (void)h; M.closed++; }

FTEST(allocation_failure_on_accept_keeps_accepting)
{
	memset(&A, 0, sizeof A);
	memset(&M, 0, sizeof M);
	start_admit_server("tcp:127.0.0.1:0");
	A.fail_allocs = 1000000;
	/* NRAW connections arrive together: none can get memory (one waiting
	 * for the spare handle tries again, in vain, when its turn comes) */
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", atoi(strrchr(X.addr, ':') + 1), &sa);
	for (int i = 0; i < NRAW; i++) {
		uv_tcp_init(&X.uv.loop, &M.t[i]);
		cr_assert_eq(uv_tcp_connect(&M.c[i], &M.t[i], (struct sockaddr *)&sa,
		                            m_connected), 0);
	}
	run_to(&M.eof, NRAW);
	cr_assert_eq(M.eof, NRAW, "each is closed, none is left hanging");
	run_to(&X.hs_fails, NRAW);
	cr_assert_eq(X.hs_fails, NRAW);
	cr_assert_eq(X.hs_reason, PEER_R_NOMEM);
	cr_assert_eq(A.calls, 0, "nothing was admitted");
	cr_assert_eq(peer_server_count(X.srv), 0);
	/* memory is back: the listener still accepts */
	A.fail_allocs = 0;
	int allocs = A.allocs;
	cr_assert_geq(allocs, NRAW);
	struct peer_limits l = { .handshake_ms = 3000 };
	connect_to(X.addr, K.pump_pub, l);
	wait_both_open("the listener stopped accepting");
	cr_assert_eq(A.allocs, allocs + 1);
	peer_close(X.c.p);
	run_until(&X.s.closed, "close");
	for (int i = 0; i < NRAW; i++)
		uv_close((uv_handle_t *)&M.t[i], m_closed);
	while (M.closed < NRAW)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

/* ---- reading: frames split across reads, sessions interleaved ---------------- */

/* A hand-made initiator on a raw socket (crypto/noise.h), so the test
 * decides exactly which bytes go out when. */
struct mi {
	uv_tcp_t t;
	uv_connect_t c;
	int connected, open, closed;
	noise_hs hs;
	noise_cipher tx, rx;
	uint8_t in[256];
	size_t in_len;
};
static struct mi MI[2];
static char order[8];     /* letters of the messages the server got, in order */
static int bad_msgs;

static void mi_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	(void)n;
	struct mi *m = h->data;
	*b = uv_buf_init((char *)m->in + m->in_len, (unsigned)(sizeof m->in - m->in_len));
}
static void mi_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct mi *m = s->data;
	if (n < 0) {
		uv_read_stop(s);
		return;
	}
	m->in_len += (size_t)n;
	if (!m->open && m->in_len >= 2 + NOISE_MSG2_LEN(0)) {
		uint8_t pl[1];
		size_t plen;
		cr_assert_eq(m->in[1], NOISE_MSG2_LEN(0));
		cr_assert_eq(noise_hs_read_msg2(&m->hs, m->in + 2, NOISE_MSG2_LEN(0),
		                                pl, sizeof pl, &plen), 0);
		cr_assert_eq(noise_hs_split(&m->hs, &m->tx, &m->rx), 0);
		m->open = 1;
		m->in_len = 0;   /* keepalives from the server are ignored */
	} else if (m->open) {
		m->in_len = 0;
	}
}
static void mi_connected(uv_connect_t *c, int st)
{
	struct mi *m = c->data;
	cr_assert_eq(st, 0);
	m->connected = 1;
	uv_read_start((uv_stream_t *)&m->t, mi_alloc, mi_read);
}
static void mi_write(struct mi *m, uint8_t *b, size_t n)
{
	uv_buf_t buf = uv_buf_init((char *)b, (unsigned)n);
	cr_assert_eq(uv_try_write((uv_stream_t *)&m->t, &buf, 1), (int)n);
}
/* connect, write message 1 (its frame kept in m1 for replays) */
static uint8_t mi_m1[2 + NOISE_MSG1_LEN(12)];
static void mi_hello(struct mi *m)
{
	memset(m, 0, sizeof *m);
	m->t.data = m;
	m->c.data = m;
	cr_assert_eq(noise_hs_init_initiator(&m->hs, K.rem_priv, K.pump_pub,
	                                     (const uint8_t *)PTM_PROLOGUE,
	                                     PTM_PROLOGUE_LEN), 0);
	struct sockaddr_in sa;
	uv_ip4_addr("127.0.0.1", atoi(strrchr(X.addr, ':') + 1), &sa);
	uv_tcp_init(&X.uv.loop, &m->t);
	cr_assert_eq(uv_tcp_connect(&m->c, &m->t, (struct sockaddr *)&sa, mi_connected), 0);
	run_until(&m->connected, "connect");
	uint8_t ts[12], f[2 + NOISE_MSG1_LEN(12)];
	size_t len;
	cr_assert_eq(tai64n_now(ts), 0);
	cr_assert_eq(noise_hs_write_msg1(&m->hs, ts, sizeof ts, f + 2, sizeof f - 2, &len), 0);
	frame_header(len, f);
	memcpy(mi_m1, f, sizeof mi_m1);
	mi_write(m, f, 2 + len);
}
static void mi_open(struct mi *m)
{
	mi_hello(m);
	run_until(&m->open, "message 2");
}
/* frame of a transport message of n bytes of letter c, into out; its length */
static size_t mi_frame(struct mi *m, char c, size_t n, uint8_t *out)
{
	uint8_t pt[1000];
	memset(pt, c, n);
	cr_assert_eq(noise_cipher_encrypt(&m->tx, NULL, 0, pt, n, out + 2), (int)(n + NOISE_TAGLEN));
	frame_header(n + NOISE_TAGLEN, out);
	return 2 + n + NOISE_TAGLEN;
}
static void mi_closed(uv_handle_t *h) { ((struct mi *)h->data)->closed = 1; }

static void order_msg(void *ud, struct peer *p, const uint8_t *m, size_t n)
{
	(void)ud; (void)p;
	for (size_t i = 1; i < n; i++)
		if (m[i] != m[0])
			bad_msgs++;
	size_t k = strlen(order);
	if (k + 1 < sizeof order)
		order[k] = (char)m[0];
	X.s.msgs++;
}

FTEST(partial_frames_of_two_sessions_interleaved)
{
	struct peer_server_config cfg = server_config("tcp:127.0.0.1:0");
	cfg.cb.accept = NULL;
	cfg.cb.on_message = order_msg;
	start_config(&cfg);
	memset(order, 0, sizeof order);
	bad_msgs = 0;
	mi_open(&MI[0]);
	mi_open(&MI[1]);
	run_to(&X.s.opened, 2);
	static uint8_t fa[1100], fb[1100];
	size_t la = mi_frame(&MI[0], 'A', 1000, fa);
	size_t lb = mi_frame(&MI[1], 'B', 1000, fb);
	/* A: the header and a few bytes; B: a whole frame; then the rest of A
	 * in two more pieces, the loop running in between */
	mi_write(&MI[0], fa, 7);
	for (int i = 0; i < 5; i++)
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	mi_write(&MI[1], fb, lb);
	run_until(&X.s.msgs, "B's message");
	cr_assert_str_eq(order, "B");
	mi_write(&MI[0], fa + 7, 500);
	for (int i = 0; i < 5; i++)
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	cr_assert_eq(X.s.msgs, 1, "A is not complete yet");
	mi_write(&MI[0], fa + 507, la - 507);
	run_to_unless_closed(&X.s.msgs, 2);
	cr_assert_str_eq(order, "BA", "A's frame survived B's read in between");
	cr_assert_eq(bad_msgs, 0);
	cr_assert_eq(X.hs_fails + X.s.closed, 0);
	/* A again, one byte per write: still one message */
	la = mi_frame(&MI[0], 'a', 1000, fa);
	for (size_t i = 0; i < la; i += 97) {
		mi_write(&MI[0], fa + i, la - i < 97 ? la - i : 97);
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	}
	run_to_unless_closed(&X.s.msgs, 3);
	cr_assert_str_eq(order, "BAa");
	cr_assert_eq(bad_msgs, 0);
	for (int i = 0; i < 2; i++) {
		noise_hs_wipe(&MI[i].hs);
		uv_close((uv_handle_t *)&MI[i].t, mi_closed);
		run_until(&MI[i].closed, "close");
	}
	run_to(&X.s.closed, 2);
	cr_assert_eq(X.s.closed, 2);
	cr_assert_eq(X.s.reason, PEER_R_EOF);
}

/* ---- fairness: a share of frames per peer per loop turn --------------------- */

/* What the server got: messages tagged 'F' (the flooder, numbered from 0)
 * or 'O' (the other remote), each "tag, index (2 bytes), index's low byte
 * repeated"; in order and intact or counted as bad. */
static struct {
	int next_f;           /* the flooder's next index */
	int bad;              /* out of order, repeated or damaged */
	int other_at;         /* flooder messages before the other's, or -1 */
	int close_at;         /* > 0: peer_close_flush on this message */
	uint64_t spin_ms;     /* > 0: each message takes this long (busy) */
} F;

static void fair_msg(void *ud, struct peer *p, const uint8_t *m, size_t n)
{
	(void)ud;
	X.s.msgs++;
	int idx = n >= 3 ? (m[1] << 8) | m[2] : -1;
	for (size_t i = 3; i < n; i++)
		if (m[i] != (uint8_t)idx)
			F.bad++;
	if (n >= 3 && m[0] == 'F' && idx == F.next_f)
		F.next_f++;
	else if (n >= 3 && m[0] == 'O' && F.other_at < 0)
		F.other_at = F.next_f;
	else
		F.bad++;
	if (F.close_at && X.s.msgs == F.close_at)
		peer_close_flush(p, 60000);  /* longer than the guard */
	if (F.spin_ms) {  /* the work a request costs (e.g. a durable commit) */
		uint64_t until = uv_hrtime() + F.spin_ms * 1000000u;
		while (uv_hrtime() < until)
			;
	}
}

static void start_fair_server(unsigned per_turn, struct peer_limits lim)
{
	struct peer_server_config cfg = server_config("tcp:127.0.0.1:0");
	cfg.per_turn = per_turn;
	cfg.limits = lim;
	cfg.cb.accept = NULL;
	cfg.cb.on_message = fair_msg;
	start_config(&cfg);
	memset(&F, 0, sizeof F);
	F.other_at = -1;
}

/* n messages tagged tag, numbered from first, the k-th of size(k) bytes,
 * framed and encrypted with m's key into out; the bytes written. */
static size_t fair_frames(struct mi *m, char tag, int first, int n,
                          size_t (*size)(int), uint8_t *out)
{
	size_t off = 0;
	for (int k = first; k < first + n; k++) {
		uint8_t pt[256];
		size_t len = size(k);
		cr_assert(len >= 3 && len <= sizeof pt);
		pt[0] = (uint8_t)tag;
		pt[1] = (uint8_t)(k >> 8);
		pt[2] = (uint8_t)k;
		memset(pt + 3, (uint8_t)k, len - 3);
		cr_assert_eq(noise_cipher_encrypt(&m->tx, NULL, 0, pt, len, out + off + 2),
		             (int)(len + NOISE_TAGLEN));
		frame_header(len + NOISE_TAGLEN, out + off);
		off += 2 + len + NOISE_TAGLEN;
	}
	return off;
}
static size_t size_small(int k) { (void)k; return 3; }
static size_t size_mixed(int k) { return 3 + (size_t)(k * 37 % 198); }

/* one write of many bytes (the kernel may take them in pieces: libuv
 * writes the rest as the socket drains) */
static uv_write_t big_req;
static int big_done;
static void big_written(uv_write_t *w, int st)
{
	(void)w;
	cr_assert_eq(st, 0);
	big_done = 1;
}
static void mi_write_big(struct mi *m, uint8_t *b, size_t n)
{
	uv_buf_t buf = uv_buf_init((char *)b, (unsigned)n);
	big_done = 0;
	cr_assert_eq(uv_write(&big_req, (uv_stream_t *)&m->t, &buf, 1, big_written), 0);
}

static void mi_close(struct mi *m)
{
	noise_hs_wipe(&m->hs);
	noise_cipher_wipe(&m->tx);
	noise_cipher_wipe(&m->rx);
	uv_close((uv_handle_t *)&m->t, mi_closed);
	run_until(&m->closed, "close");
}

#define FLOODN 1000
static uint8_t flood_buf[FLOODN * 64];

/* The first remote opens a session and writes n small messages tagged F
 * in one write. */
static void flood_one(int n)
{
	mi_open(&MI[0]);
	run_until(&X.s.opened, "open");
	size_t len = fair_frames(&MI[0], 'F', 0, n, size_small, flood_buf);
	mi_write(&MI[0], flood_buf, len);
}

/* verifies: SR-DOS-003 */
FTEST(a_flooder_does_not_hold_up_another_remote)
{
	start_fair_server(0, no_limits);   /* the default share, 8 */
	mi_open(&MI[0]);
	mi_open(&MI[1]);
	run_to(&X.s.opened, 2);
	/* the flooder's 1000 requests in one write; once the server is at
	 * them, the other remote's one */
	size_t n = fair_frames(&MI[0], 'F', 0, FLOODN, size_small, flood_buf);
	mi_write_big(&MI[0], flood_buf, n);
	run_until(&X.s.msgs, "the flooder's first message");
	uint8_t one[64];
	size_t on = fair_frames(&MI[1], 'O', 0, 1, size_small, one);
	mi_write(&MI[1], one, on);
	run_to_unless_closed(&X.s.msgs, FLOODN + 1);
	fprintf(stderr, "fairness: the other remote's message came after %d of "
	        "the flooder's %d\n", F.other_at, FLOODN);
	cr_assert_eq(X.s.msgs, FLOODN + 1, "every message delivered");
	cr_assert_eq(F.bad, 0, "each once, in order, intact");
	cr_assert_eq(F.next_f, FLOODN);
	cr_assert_geq(F.other_at, 1);
	cr_assert_lt(F.other_at, FLOODN,
	             "the other remote waited for the whole flood");
	cr_assert_eq(X.s.closed + X.hs_fails, 0);
	run_until(&big_done, "the flood written");
	mi_close(&MI[0]);
	mi_close(&MI[1]);
	run_to(&X.s.closed, 2);
	cr_assert_eq(X.s.reason, PEER_R_EOF);
}

FTEST(a_held_peer_resumes_each_message_once_in_order)
{
	enum { SHARE = 3, N = 400 };
	start_fair_server(SHARE, no_limits);
	mi_open(&MI[0]);
	run_until(&X.s.opened, "open");
	/* frames of 21..216 bytes: reads of ~4 KB end inside frames, and the
	 * held bytes end with a partial frame */
	size_t n = fair_frames(&MI[0], 'F', 0, N, size_mixed, flood_buf);
	cr_assert_leq(n, sizeof flood_buf);
	mi_write_big(&MI[0], flood_buf, n);
	int turns = 0, first = 0, prev = 0;
	while (X.s.msgs < N && !X.uv.guard_fired && !X.s.closed) {
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
		int got = X.s.msgs - prev;
		prev = X.s.msgs;
		cr_assert_leq(got, SHARE, "%d messages in one loop turn", got);
		if (got && !first++)
			cr_assert_eq(got, SHARE, "the first turn: a whole share");
		turns += got > 0;
	}
	fprintf(stderr, "fairness: %d messages in %d loop turns (share %d)\n",
	        X.s.msgs, turns, SHARE);
	cr_assert_eq(X.s.msgs, N);
	cr_assert_eq(F.next_f, N);
	cr_assert_eq(F.bad, 0, "each once, in order, intact");
	cr_assert_geq(turns, (N + SHARE - 1) / SHARE);
	/* reading goes on after the hold: one more, split across writes */
	uint8_t more[300];
	size_t mn = fair_frames(&MI[0], 'F', N, 1, size_mixed, more);
	mi_write(&MI[0], more, 5);
	for (int i = 0; i < 5; i++)
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	mi_write(&MI[0], more + 5, mn - 5);
	run_to_unless_closed(&X.s.msgs, N + 1);
	cr_assert_eq(F.next_f, N + 1);
	cr_assert_eq(F.bad + X.s.closed, 0);
	run_until(&big_done, "the flood written");
	mi_close(&MI[0]);
	server_ends(PEER_R_EOF, "the server side closed");
}

/* Held bytes are ours: the frame deadline does not run for them, however
 * long the messages before them take. */
FTEST(held_bytes_do_not_count_against_the_frame_deadline)
{
	struct peer_limits lim = { .frame_ms = 40 };
	start_fair_server(1, lim);
	F.spin_ms = 15;
	flood_one(10);
	uint64_t t0 = uv_now(&X.uv.loop);
	run_to_unless_closed(&X.s.msgs, 10);
	uv_update_time(&X.uv.loop);
	cr_assert_eq(X.s.closed, 0, "closed: %s", peer_reason_name(X.s.reason));
	cr_assert_eq(F.next_f, 10);
	cr_assert_gt(uv_now(&X.uv.loop) - t0, 3 * lim.frame_ms,
	             "the messages were held past the frame deadline");
	mi_close(&MI[0]);
	run_until(&X.s.closed, "the server side closed");
}

/* A flush-close while messages are held: they are dropped, nothing more
 * is delivered, and the peer reads again, so the other side's close ends
 * the flush at once (its deadline is longer than the test's guard). */
FTEST(flush_close_of_a_held_peer_drops_the_rest_and_reads_again)
{
	start_fair_server(2, no_limits);
	F.close_at = 5;
	flood_one(50);
	run_to(&X.s.msgs, 5);
	for (int i = 0; i < 10; i++)
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
	cr_assert_eq(X.s.msgs, 5, "nothing delivered after the flush-close");
	cr_assert_eq(X.s.closed, 0);
	mi_close(&MI[0]);
	run_until(&X.s.closed, "the flush to end on the other side's close");
	cr_assert_eq(X.s.reason, PEER_R_LOCAL, "%s", peer_reason_name(X.s.reason));
	cr_assert_eq(F.bad, 0);
}

/* The server closed while a peer is held: on_close once, every handle
 * closed (finish: uv_loop_close is 0). */
FTEST(server_close_while_a_peer_is_held)
{
	start_fair_server(2, no_limits);
	flood_one(50);
	run_until(&X.s.msgs, "the first share");
	cr_assert_eq(X.s.msgs, 2);
	close_server();
	cr_assert_eq(X.s.closed, 1);
	cr_assert_eq(X.s.reason, PEER_R_SHUTDOWN);
	cr_assert_eq(X.s.msgs, 2, "nothing delivered after the close");
	mi_close(&MI[0]);
}

/* ---- budgets: sessions, pre-auth connections, eviction ------------------------ */

static struct {
	int lookups, refuse, proven;
	unsigned long dh_at_lookup;
	uint8_t key[32];
	char order[16];          /* 'P' on_proven, 'M' on_message */
} L;

static int s_lookup(void *ud, const uint8_t rs[32])
{
	(void)ud;
	L.lookups++;
	L.dh_at_lookup = noise_dh_count();
	memcpy(L.key, rs, 32);
	return L.refuse ? -1 : 0;
}
static void s_proven(void *ud, struct peer *p)
{
	(void)ud; (void)p;
	L.proven++;
	size_t k = strlen(L.order);
	if (k + 1 < sizeof L.order)
		L.order[k] = 'P';
}
static void s_msg_order(void *ud, struct peer *p, const uint8_t *m, size_t n)
{
	s_msg(ud, p, m, n);
	size_t k = strlen(L.order);
	if (k + 1 < sizeof L.order)
		L.order[k] = 'M';
}

static void start_budget_server(unsigned max_sessions, unsigned max_preauth,
                                unsigned per_source)
{
	struct peer_server_config cfg = server_config("tcp:127.0.0.1:0");
	cfg.max_sessions = max_sessions;
	cfg.max_preauth = max_preauth;
	cfg.preauth_per_source = per_source;
	cfg.cb.lookup = s_lookup;
	cfg.cb.on_proven = s_proven;
	cfg.cb.on_message = s_msg_order;
	start_config(&cfg);
	memset(&L, 0, sizeof L);
}

/* A plain blocking TCP connection to the server from address src (NULL:
 * 127.0.0.1): when it returns, the connection waits in the listener's
 * queue, so several made in a row are accepted in one loop turn. */
static int tcp_from(const char *src)
{
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in b = { .sin_family = AF_INET };
	cr_assert_eq(inet_pton(AF_INET, src ? src : "127.0.0.1", &b.sin_addr), 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&b, sizeof b), 0, "bind %s", src);
	struct sockaddr_in sa = { .sin_family = AF_INET };
	sa.sin_port = htons((uint16_t)atoi(strrchr(X.addr, ':') + 1));
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	return fd;
}
/* "tcp:IP:PORT" of fd's own end, as the server names it */
static void fd_name(int fd, char *buf, size_t n)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof sa;
	char ip[32];
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &len), 0);
	inet_ntop(AF_INET, &sa.sin_addr, ip, sizeof ip);
	snprintf(buf, n, "tcp:%s:%u", ip, ntohs(sa.sin_port));
}
static void assert_failed_was(int i, int fd, int reason)
{
	char name[PEER_ADDR_MAX];
	fd_name(fd, name, sizeof name);
	cr_assert_eq(X.fail_reason[i], reason, "failure %d: %s", i,
	             peer_reason_name(X.fail_reason[i]));
	cr_assert_str_eq(X.fail_addr[i], name, "failure %d", i);
}
/* the server closed fd (waits up to a second for it) */
static int fd_closed_by_server(int fd)
{
	struct pollfd pf = { .fd = fd, .events = POLLIN };
	char b[8];
	for (int i = 0; i < 1000; i++) {
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
		if (poll(&pf, 1, 1) == 1)
			return recv(fd, b, sizeof b, MSG_DONTWAIT) <= 0;
	}
	return 0;
}
static void turns(int n)
{
	for (int i = 0; i < n; i++)
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
}
static void until_fails(int n)
{
	run_to(&X.hs_fails, n);
	cr_assert_eq(X.hs_fails, n);
}

FTEST(eviction_per_source_oldest_first_never_this_turns)
{
	start_budget_server(0, 100, 2);
	int fd[4];
	for (int i = 0; i < 3; i++)
		fd[i] = tcp_from(NULL);
	turns(1);   /* all three are taken: two placed, one waits */
	cr_assert_eq(peer_server_count(X.srv), 3);
	cr_assert_eq(peer_server_preauth(X.srv), 2);
	cr_assert_eq(X.hs_fails, 0, "nothing evicted in the turn it came");
	turns(1);
	cr_assert_eq(X.hs_fails, 0, "nor in the next");
	until_fails(1);
	assert_failed_was(0, fd[0], PEER_R_EVICTED);
	cr_assert_eq(peer_server_preauth(X.srv), 2);
	cr_assert(fd_closed_by_server(fd[0]));
	turns(3);
	fd[3] = tcp_from(NULL);
	until_fails(2);
	assert_failed_was(1, fd[1], PEER_R_EVICTED);
	cr_assert_eq(peer_server_preauth(X.srv), 2);
	cr_assert_eq(peer_server_count(X.srv), 2);
	for (int i = 0; i < 4; i++)
		close(fd[i]);
	until_no_connections();
}

FTEST(eviction_overall_from_the_source_holding_the_most)
{
	start_budget_server(0, 4, 8);
	int a[3], b, c[3];
	for (int i = 0; i < 3; i++)
		a[i] = tcp_from("127.0.0.2");
	b = tcp_from("127.0.0.3");
	while (peer_server_preauth(X.srv) < 4 && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
	turns(3);
	/* full: A holds 3, B 1 -> A's oldest */
	c[0] = tcp_from("127.0.0.4");
	until_fails(1);
	assert_failed_was(0, a[0], PEER_R_EVICTED);
	turns(3);
	/* A 2, B 1, C 1 -> A's oldest */
	c[1] = tcp_from("127.0.0.4");
	until_fails(2);
	assert_failed_was(1, a[1], PEER_R_EVICTED);
	turns(3);
	/* A 1, B 1, C 2 -> C's oldest */
	c[2] = tcp_from("127.0.0.4");
	until_fails(3);
	assert_failed_was(2, c[0], PEER_R_EVICTED);
	cr_assert_eq(peer_server_preauth(X.srv), 4);
	for (int i = 0; i < 3; i++) {
		close(a[i]);
		close(c[i]);
	}
	close(b);
	until_no_connections();
}

/* Pre-auth connections of many sources come and go (evicted) while a
 * session works, and a real remote still gets through. */
FTEST(sessions_untouched_by_preauth_load)
{
	start_budget_server(0, 4, 2);
	X.echo = 0;
	mi_open(&MI[0]);
	run_until(&X.s.opened, "session");
	static const char *src[] = { "127.0.0.2", "127.0.0.3", "127.0.0.4", "127.0.0.5" };
	enum { NF = 24 };
	int fd[NF];
	for (int i = 0; i < NF; i++) {
		fd[i] = tcp_from(src[i % 4]);
		turns(1);
		if (i == NF / 2) {   /* a message in the middle of it */
			uint8_t f[64];
			mi_write(&MI[0], f, mi_frame(&MI[0], 'x', 5, f));
		}
	}
	turns(5);
	cr_assert_eq(peer_server_preauth(X.srv), 4);
	cr_assert_geq(X.hs_fails, NF - 4 - 8);   /* 8: the last two turns' */
	for (int i = 0; i < X.hs_fails && i < 16; i++)
		cr_assert_eq(X.fail_reason[i], PEER_R_EVICTED);
	run_until(&X.s.msgs, "the session's message");
	cr_assert_eq(X.s.closed, 0, "the session was not touched");
	cr_assert_eq(peer_server_sessions(X.srv), 1);
	/* a remote arriving now gets in */
	mi_open(&MI[1]);
	run_to(&X.s.opened, 2);
	cr_assert_eq(peer_server_sessions(X.srv), 2);
	for (int i = 0; i < NF; i++)
		close(fd[i]);
	mi_close(&MI[0]);
	mi_close(&MI[1]);
	while ((X.s.closed < 2 || peer_server_count(X.srv)) && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

FTEST(session_cap_refuses_a_handshake_but_not_a_connection)
{
	start_budget_server(1, 0, 0);
	mi_open(&MI[0]);
	run_until(&X.s.opened, "the first session");
	int fd = tcp_from(NULL);   /* pre-auth: its own budget */
	while (peer_server_preauth(X.srv) < 1 && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
	unsigned long dh0 = noise_dh_count();
	mi_hello(&MI[1]);
	dh0 += 2;   /* message 1 written */
	until_fails(1);
	cr_assert_eq(X.hs_reason, PEER_R_FULL, "%s", peer_reason_name(X.hs_reason));
	cr_assert_eq(noise_dh_count(), dh0, "refused before any DH");
	cr_assert_eq(L.lookups, 1, "only the first session's");
	cr_assert_eq(X.accepts, 1, "only the first session's");
	cr_assert_eq(peer_server_sessions(X.srv), 1);
	cr_assert_eq(peer_server_preauth(X.srv), 1, "the other connection stays");
	cr_assert_eq(X.s.closed, 0);
	mi_close(&MI[1]);
	/* room again */
	mi_close(&MI[0]);
	run_until(&X.s.closed, "the first session closed");
	mi_open(&MI[1]);
	run_to(&X.s.opened, 2);
	cr_assert_eq(X.s.opened, 2);
	close(fd);
	mi_close(&MI[1]);
	while ((X.s.closed < 2 || peer_server_count(X.srv)) && !X.uv.guard_fired)
		uv_run(&X.uv.loop, UV_RUN_ONCE);
}

/* write a whole buffer on a blocking fd */
static void fd_write(int fd, const uint8_t *b, size_t n)
{
	cr_assert_eq(write(fd, b, n), (ssize_t)n);
}

FTEST(replayed_message1_refused_without_any_dh)
{
	start_budget_server(0, 0, 0);
	X.refuse = 1;   /* the first one is refused by accept (an old timestamp) */
	mi_hello(&MI[0]);
	uint8_t m1[sizeof mi_m1];
	memcpy(m1, mi_m1, sizeof m1);
	run_until(&X.accepts, "accept");
	cr_assert_eq(L.lookups, 1);
	until_no_connections();
	mi_close(&MI[0]);
	X.refuse = 0;   /* would be accepted, if it got that far */
	unsigned long dh0 = noise_dh_count();
	for (int i = 0; i < 5; i++) {
		int fd = tcp_from(NULL);
		fd_write(fd, m1, sizeof m1);
		until_fails(i + 1);
		cr_assert_eq(X.hs_reason, PEER_R_REPLAY, "%s", peer_reason_name(X.hs_reason));
		cr_assert(fd_closed_by_server(fd));
		close(fd);
	}
	cr_assert_eq(noise_dh_count(), dh0, "no DH for a replay");
	cr_assert_eq(X.accepts, 1);
	cr_assert_eq(L.lookups, 1);
	cr_assert_eq(X.s.opened, 0);
	/* a fresh message 1 from the same remote is not a replay */
	mi_open(&MI[0]);
	run_until(&X.s.opened, "a new session");
	mi_close(&MI[0]);
	run_until(&X.s.closed, "closed");
}

FTEST(unknown_key_refused_before_the_second_dh)
{
	start_budget_server(0, 0, 0);
	L.refuse = 1;
	mi_hello(&MI[0]);
	unsigned long dh0 = noise_dh_count();   /* message 1 is written */
	run_until(&L.lookups, "lookup");
	cr_assert_eq(L.dh_at_lookup - dh0, 1, "one DH (es) before lookup");
	cr_assert_arr_eq(L.key, K.rem_pub, 32, "lookup sees the named key");
	until_no_connections();
	cr_assert_eq(noise_dh_count(), dh0 + 1, "no second DH");
	cr_assert_eq(X.accepts, 0);
	cr_assert_eq(X.hs_fails, 0, "a refusal by lookup is not reported again");
	cr_assert_eq(X.s.opened, 0);
	mi_close(&MI[0]);
	/* known: both DHs of message 1 before accept */
	L.refuse = 0;
	mi_hello(&MI[0]);
	dh0 = noise_dh_count();
	run_until(&X.accepts, "accept");
	cr_assert_eq(X.dh_at_accept - dh0, 2);
	run_until(&X.s.opened, "open");
	mi_close(&MI[0]);
	run_until(&X.s.closed, "closed");
}

FTEST(on_proven_once_after_the_first_transport_message)
{
	start_budget_server(0, 0, 0);
	mi_open(&MI[0]);
	run_until(&X.s.opened, "open");
	turns(5);
	cr_assert_eq(L.proven, 0, "not proven by the handshake alone");
	uint8_t f[64];
	mi_write(&MI[0], f, mi_frame(&MI[0], 'k', 0, f));   /* a keepalive */
	run_until(&L.proven, "proven by a keepalive");
	cr_assert_eq(X.s.msgs, 0);
	mi_write(&MI[0], f, mi_frame(&MI[0], 'A', 3, f));
	run_until(&X.s.msgs, "a message");
	cr_assert_eq(L.proven, 1, "once");
	cr_assert_str_eq(L.order, "PM");
	/* a second session whose first message is a request: proven first */
	mi_open(&MI[1]);
	run_to(&X.s.opened, 2);
	mi_write(&MI[1], f, mi_frame(&MI[1], 'B', 3, f));
	run_to(&X.s.msgs, 2);
	cr_assert_str_eq(L.order, "PMPM");
	mi_close(&MI[1]);
	/* a session that never sends is never proven */
	mi_close(&MI[0]);
	run_to(&X.s.closed, 2);
	mi_open(&MI[0]);
	run_to(&X.s.opened, 3);
	mi_close(&MI[0]);
	run_to(&X.s.closed, 3);
	cr_assert_eq(L.proven, 2);
}

/* A unix listener (not ours) with its backlog full: the first connect is
 * refused with EAGAIN; once there is room the retry gets through and
 * message 1 arrives. */
FTEST(unix_connect_retried_when_the_backlog_is_full)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", addr[160];
	cr_assert_not_null(mkdtemp(dir));
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s/full.sock", dir);
	snprintf(addr, sizeof addr, "unix:%s", un.sun_path);
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&un, sizeof un), 0);
	cr_assert_eq(listen(lfd, 1), 0);
	int fill[64], nfill = 0;
	for (; nfill < 64; nfill++) {
		fill[nfill] = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (connect(fill[nfill], (struct sockaddr *)&un, sizeof un) < 0) {
			cr_assert_eq(errno, EAGAIN);
			close(fill[nfill]);
			break;
		}
	}
	cr_assert_lt(nfill, 64, "the backlog never filled");
	connect_to(addr, K.pump_pub, no_limits);   /* its connect: EAGAIN */
	int afd = accept(lfd, NULL, NULL);        /* room for one */
	cr_assert_geq(afd, 0);
	close(afd);
	/* the retry lands in the queue: find message 1 there */
	int got = 0;
	for (int tries = 0; !got && tries < 5000 && !X.c.closed; tries++) {
		uv_run(&X.uv.loop, UV_RUN_NOWAIT);
		struct pollfd pf = { .fd = lfd, .events = POLLIN };
		if (poll(&pf, 1, 1) != 1)
			continue;
		int c = accept(lfd, NULL, NULL);
		uint8_t b[2 + NOISE_MSG1_LEN(12)];
		struct pollfd pc = { .fd = c, .events = POLLIN };
		if (poll(&pc, 1, 0) == 1 && recv(c, b, sizeof b, MSG_DONTWAIT) == (ssize_t)sizeof b)
			got = b[0] == 0 && b[1] == NOISE_MSG1_LEN(12);
		else if (c >= 0) {   /* a filler, or the peer before it wrote */
			for (int k = 0; k < 200 && !got; k++) {
				uv_run(&X.uv.loop, UV_RUN_NOWAIT);
				if (poll(&pc, 1, 1) == 1 &&
				    recv(c, b, sizeof b, MSG_DONTWAIT) == (ssize_t)sizeof b)
					got = b[0] == 0 && b[1] == NOISE_MSG1_LEN(12);
			}
		}
		if (c >= 0)
			close(c);
	}
	cr_assert(got, "message 1 never arrived (closed: %s)",
	          X.c.closed ? peer_reason_name(X.c.reason) : "no");
	cr_assert_eq(X.c.closed, 0);
	peer_close(X.c.p);
	run_until(&X.c.closed, "close");
	for (int i = 0; i < nfill; i++)
		close(fill[i]);
	close(lfd);
	unlink(un.sun_path);
	rmdir(dir);
}

/* peer_cork: frames held (counted as queued, none in the kernel), then
 * written together at peer_uncork, in order; a flush-close writes what was
 * held; a close drops it. */
static void corked(const char *listen)
{
	session(listen);
	struct peer *sp = X.s.p;
	peer_cork(sp);
	peer_cork(sp);   /* twice is harmless */
	cr_assert_eq(peer_send(sp, (const uint8_t *)"a", 1), 0);
	cr_assert_eq(peer_send(sp, (const uint8_t *)"bb", 2), 0);
	cr_assert_eq(peer_send(sp, (const uint8_t *)"ccc", 3), 0);
	cr_assert_eq(peer_write_queued(sp), 3 * (FRAME_HDR + NOISE_TAGLEN) + 6,
	             "held, not written");
	peer_uncork(sp);
	peer_uncork(sp);
	cr_assert_eq(peer_write_queued(sp), 0, "the kernel took them at once");
	int three = 3;
	run_to(&X.c.msgs, three);
	cr_assert_eq(X.c.msgs, 3);
	cr_assert_eq(X.c.last_len, 3);
	cr_assert_arr_eq(X.c.last, "ccc", 3, "in order");
	/* held, then a flush-close: they are written before the end */
	peer_cork(sp);
	cr_assert_eq(peer_send(sp, (const uint8_t *)"dddd", 4), 0);
	peer_close_flush(sp, 10000);
	run_until(&X.c.closed, "client sees the end");
	cr_assert_eq(X.c.msgs, 4, "the held frame arrived");
	cr_assert_arr_eq(X.c.last, "dddd", 4);
	cr_assert_eq(X.c.reason, PEER_R_EOF);
}

FTEST(cork_holds_frames_until_uncork_unix)
{
	char dir[] = "/tmp/ptm-peer-XXXXXX", addr[160];
	unix_addr(dir, addr, sizeof addr);
	corked(addr);
}

FTEST(cork_then_close_drops_what_was_held)
{
	session("tcp:127.0.0.1:0");
	peer_cork(X.s.p);
	cr_assert_eq(peer_send(X.s.p, (const uint8_t *)"x", 1), 0);
	peer_close(X.s.p);
	run_until(&X.c.closed, "client sees the end");
	cr_assert_eq(X.c.msgs, 0, "nothing held was sent");
}
