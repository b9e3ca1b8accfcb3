/* tests/test_peer_flood.c — the listener under connection floods: a pump
 * (a peer server in a thread of its own) while another process holds and
 * reopens many connections (silent, trickling a byte every 300 ms, or over
 * TCP from another address), and a real remote handshakes 100 times: at
 * least 99 get through.  Latencies and the pump's loop stalls are printed,
 * never asserted.  Also the cost of refused handshakes (replays, unknown
 * keys), printed.
 *
 * Written against net/peer.h's stable part only (no budget settings, the
 * newer callbacks where they exist), so that the same file shows the
 * floods winning against an older peer. */
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <uv.h>

#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/frame.h"
#include "net/peer.h"
#include "tests/lib/testkeys.h"

static struct testkeys K;

static uint64_t now_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}

/* ---- the pump: a peer server on its own loop, in its own thread ------------ */

#define STALL_MAX 4096
#define TURN_BUCKETS 10000   /* CPU per loop turn, 10 us each, to 100 ms */
struct pump {
	pthread_t th;
	uv_loop_t loop;
	uv_async_t stop;
	uv_prepare_t turn;           /* the thread's CPU time used per turn */
	uint64_t turn_cpu0;
	uint32_t turn_hist[TURN_BUCKETS];
	uint64_t turns, turn_max_ns;
	uv_timer_t probe;            /* every 5 ms: how late it fires = a stall */
	uint64_t probe_due;
	uint32_t stalls[STALL_MAX];  /* lateness in us, the last STALL_MAX */
	unsigned n_stalls;
	struct peer_server *srv;
	char listen[160], addr[PEER_ADDR_MAX];
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready, listen_rc, loop_close_rc;
	uint8_t last_ts[12];
	atomic_int opened, refused, hs_fails, evicted;
};
static struct pump PU;

/* As pumpd: known key, timestamp newer than the last accepted. */
#ifdef PEER_R_REPLAY
static int pu_lookup(void *ud, const uint8_t rs[32])
{
	(void)ud;
	if (memcmp(rs, K.rem_pub, 32) != 0) {
		PU.refused++;
		return -1;
	}
	return 0;
}
#endif
static int pu_accept(void *ud, struct peer *p, const uint8_t rs[32],
                     const uint8_t ts[12])
{
	(void)ud; (void)p;
	if (memcmp(rs, K.rem_pub, 32) != 0 || memcmp(ts, PU.last_ts, 12) <= 0) {
		PU.refused++;
		return -1;
	}
	memcpy(PU.last_ts, ts, 12);
	return 0;
}
static void pu_open(void *ud, struct peer *p)
{
	(void)ud; (void)p;
	pthread_mutex_lock(&PU.mu);
	PU.opened++;
	pthread_cond_signal(&PU.cv);
	pthread_mutex_unlock(&PU.mu);
}

/* Wait until *v >= min (the pump's callbacks signal), at most secs. */
static void pump_wait(atomic_int *v, int min, int secs)
{
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += secs;
	pthread_mutex_lock(&PU.mu);
	while (*v < min && pthread_cond_timedwait(&PU.cv, &PU.mu, &dl) != ETIMEDOUT)
		;
	pthread_mutex_unlock(&PU.mu);
}
static void pu_fail(void *ud, int reason, const char *addr)
{
	(void)ud; (void)addr;
	if (++PU.hs_fails == 200) {   /* the flood is on */
		pthread_mutex_lock(&PU.mu);
		pthread_cond_signal(&PU.cv);
		pthread_mutex_unlock(&PU.mu);
	}
#ifdef PEER_R_EVICTED
	if (reason == PEER_R_EVICTED)
		PU.evicted++;
#endif
	(void)reason;
}
static void pu_probe(uv_timer_t *t)
{
	uint64_t now = uv_hrtime();
	uint64_t late = now > PU.probe_due ? (now - PU.probe_due) / 1000 : 0;
	PU.stalls[PU.n_stalls++ % STALL_MAX] = late > UINT32_MAX ? UINT32_MAX : (uint32_t)late;
	PU.probe_due = now + 5000000u;
	(void)t;
}
static uint64_t thread_cpu_ns(void)
{
	struct timespec t;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
	return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static void pu_turn(uv_prepare_t *h)
{
	(void)h;
	uint64_t c = thread_cpu_ns(), d = c - PU.turn_cpu0;
	PU.turn_cpu0 = c;
	size_t b = d / 10000;
	PU.turn_hist[b < TURN_BUCKETS ? b : TURN_BUCKETS - 1]++;
	PU.turns++;
	if (d > PU.turn_max_ns)
		PU.turn_max_ns = d;
}
static void pu_stop(uv_async_t *a)
{
	peer_server_close(PU.srv, NULL, NULL);
	uv_close((uv_handle_t *)a, NULL);
	uv_close((uv_handle_t *)&PU.probe, NULL);
	uv_close((uv_handle_t *)&PU.turn, NULL);
}

static void *pump_main(void *arg)
{
	(void)arg;
	struct peer_server_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.static_key = K.pump_priv;
	cfg.listen[0] = PU.listen;
#ifdef PEER_R_REPLAY
	cfg.cb.lookup = pu_lookup;
#endif
	cfg.cb.accept = pu_accept;
	cfg.cb.on_open = pu_open;
	cfg.cb.on_handshake_fail = pu_fail;
	uv_loop_init(&PU.loop);
	int rc = peer_server_new(&PU.loop, &cfg, &PU.srv);
	if (rc == 0)
		peer_server_address(PU.srv, PU.addr, sizeof PU.addr);
	uv_async_init(&PU.loop, &PU.stop, pu_stop);
	uv_timer_init(&PU.loop, &PU.probe);
	PU.probe_due = uv_hrtime() + 5000000u;
	uv_timer_start(&PU.probe, pu_probe, 5, 5);
	uv_prepare_init(&PU.loop, &PU.turn);
	uv_unref((uv_handle_t *)&PU.turn);
	PU.turn_cpu0 = thread_cpu_ns();
	uv_prepare_start(&PU.turn, pu_turn);
	pthread_mutex_lock(&PU.mu);
	PU.listen_rc = rc;
	PU.ready = 1;
	pthread_cond_signal(&PU.cv);
	pthread_mutex_unlock(&PU.mu);
	if (rc < 0) {
		uv_close((uv_handle_t *)&PU.stop, NULL);
		uv_close((uv_handle_t *)&PU.probe, NULL);
		uv_close((uv_handle_t *)&PU.turn, NULL);
	}
	uv_run(&PU.loop, UV_RUN_DEFAULT);
	PU.loop_close_rc = uv_loop_close(&PU.loop);
	return NULL;
}

static void pump_start(const char *listen)
{
	memset(&PU, 0, sizeof PU);
	snprintf(PU.listen, sizeof PU.listen, "%s", listen);
	pthread_mutex_init(&PU.mu, NULL);
	pthread_cond_init(&PU.cv, NULL);
	cr_assert_eq(pthread_create(&PU.th, NULL, pump_main, NULL), 0);
	pthread_mutex_lock(&PU.mu);
	while (!PU.ready)
		pthread_cond_wait(&PU.cv, &PU.mu);
	pthread_mutex_unlock(&PU.mu);
	cr_assert_eq(PU.listen_rc, 0, "listen on %s", listen);
}

static int cmp_u32(const void *a, const void *b)
{
	uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
	return x < y ? -1 : x > y;
}

static void pump_stop(const char *what)
{
	uv_async_send(&PU.stop);
	cr_assert_eq(pthread_join(PU.th, NULL), 0);
	cr_assert_eq(PU.loop_close_rc, 0, "the pump's loop closed clean");
	unsigned n = PU.n_stalls < STALL_MAX ? PU.n_stalls : STALL_MAX;
	if (n) {
		qsort(PU.stalls, n, sizeof PU.stalls[0], cmp_u32);
		fprintf(stderr, "%s: pump timer lateness (every 5 ms, %u samples): "
		        "p50 %.1f ms, p99 %.1f ms, max %.1f ms\n", what, n,
		        PU.stalls[n / 2] / 1e3, PU.stalls[n * 99 / 100] / 1e3,
		        PU.stalls[n - 1] / 1e3);
	}
	uint64_t seen = 0, p50 = 0, p99 = 0;
	for (size_t b = 0; b < TURN_BUCKETS; b++) {
		seen += PU.turn_hist[b];
		if (!p50 && seen * 2 >= PU.turns)
			p50 = b + 1;
		if (!p99 && seen * 100 >= PU.turns * 99)
			p99 = b + 1;
	}
	fprintf(stderr, "%s: pump CPU per loop turn (%" PRIu64 " turns): p50 < %.2f ms, "
	        "p99 < %.2f ms, max %.2f ms\n", what, PU.turns, p50 / 100.0,
	        p99 / 100.0, PU.turn_max_ns / 1e6);
}

/* ---- the flooder: another process ---------------------------------------------- */

enum fmode { F_UNIX_SILENT, F_UNIX_TRICKLE, F_TCP_SILENT, F_UNIX_TIGHT,
             F_TCP_MANY };

struct fconn {
	union uv_any_handle u;   /* u.handle, u.stream; u.tcp or u.pipe */
	uv_connect_t c;
	int up, sent;
};

static struct {
	uv_loop_t loop;
	enum fmode mode;
	char path[108];
	struct sockaddr_in to, from;
	int n;
	struct fconn *c;
	uv_timer_t drip;
	uv_poll_t ctl;
	int stopping;
	long connects, fails, eofs;
	char rbuf[256];
} FL;

static void fl_start(struct fconn *c);

static void fl_closed(uv_handle_t *h)
{
	struct fconn *c = h->data;
	if (!FL.stopping)
		fl_start(c);
}
static void fl_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	(void)h; (void)n;
	*b = uv_buf_init(FL.rbuf, sizeof FL.rbuf);
}
static void fl_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct fconn *c = s->data;
	if (n >= 0)
		return;
	FL.eofs++;
	c->up = 0;
	uv_close(&c->u.handle, fl_closed);   /* and open it again */
}
static void fl_connected(uv_connect_t *req, int st)
{
	struct fconn *c = req->data;
	if (FL.stopping || uv_is_closing(&c->u.handle))
		return;
	if (st < 0) {
		FL.fails++;
		uv_close(&c->u.handle, fl_closed);
		return;
	}
	FL.connects++;
	c->up = 1;
	c->sent = 0;
	uv_read_start(&c->u.stream, fl_alloc, fl_read);
}
static void fl_start(struct fconn *c)
{
	c->u.handle.data = c;
	c->c.data = c;
	c->up = 0;
	if (FL.mode == F_TCP_SILENT || FL.mode == F_TCP_MANY) {
		struct sockaddr_in from = FL.from;
		if (FL.mode == F_TCP_MANY)   /* 64 sources: 127.0.0.2 .. 127.0.0.65 */
			from.sin_addr.s_addr = htonl(0x7f000002u + (uint32_t)(c - FL.c) % 64);
		uv_tcp_init(&FL.loop, &c->u.tcp);
		c->u.handle.data = c;
		if (uv_tcp_bind(&c->u.tcp, (struct sockaddr *)&from, 0) < 0 ||
		    uv_tcp_connect(&c->c, &c->u.tcp, (struct sockaddr *)&FL.to,
		                   fl_connected) < 0) {
			FL.fails++;
			uv_close(&c->u.handle, fl_closed);
		}
	} else {
		uv_pipe_init(&FL.loop, &c->u.pipe, 0);
		c->u.handle.data = c;
		uv_pipe_connect(&c->c, &c->u.pipe, FL.path, fl_connected);
	}
}
/* a byte every 300 ms on each connection: a frame header announcing
 * message 1, then its bytes, far too slowly */
static void fl_drip(uv_timer_t *t)
{
	(void)t;
	static const char hdr[2] = { 0x00, 0x6c };
	for (int i = 0; i < FL.n; i++) {
		struct fconn *c = &FL.c[i];
		if (!c->up)
			continue;
		char b = c->sent < 2 ? hdr[c->sent] : 0x55;
		uv_buf_t buf = uv_buf_init(&b, 1);
		if (uv_try_write(&c->u.stream, &buf, 1) == 1)
			c->sent++;
	}
}
static void fl_walk_close(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (!uv_is_closing(h))
		uv_close(h, NULL);
}
static void fl_ctl(uv_poll_t *p, int st, int ev)
{
	(void)st; (void)ev; (void)p;
	FL.stopping = 1;
	uv_walk(&FL.loop, fl_walk_close, NULL);
}

/* Without libuv, as fast as one core allows: every slot that is not
 * connected tries again at once (EAGAIN included), every connection the
 * pump closes is opened again at once. */
static void flooder_tight(const char *path, int n, int ctl_fd)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
	struct pollfd *pf = calloc((size_t)n + 1, sizeof *pf);
	if (!pf)
		_exit(2);
	for (int i = 0; i < n; i++)
		pf[i].fd = -1;
	pf[n].fd = ctl_fd;
	pf[n].events = POLLIN;
	for (;;) {
		for (int i = 0; i < n; i++) {
			if (pf[i].fd >= 0)
				continue;
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
			if (fd < 0)
				continue;
			if (connect(fd, (struct sockaddr *)&un, sizeof un) < 0) {
				FL.fails++;
				close(fd);
				continue;
			}
			FL.connects++;
			pf[i].fd = fd;
			pf[i].events = POLLIN;
		}
		if (poll(pf, (nfds_t)n + 1, 0) < 0)
			continue;
		if (pf[n].revents)
			break;
		for (int i = 0; i < n; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			FL.eofs++;
			close(pf[i].fd);
			pf[i].fd = -1;
		}
	}
	fprintf(stderr, "flooder (tight): %ld connections made, %ld connects failed, "
	        "%ld closed by the pump\n", FL.connects, FL.fails, FL.eofs);
	_exit(0);
}

/* The child: flood until the parent closes ctl_fd. */
static void flooder_run(enum fmode mode, const char *addr, int n, int ctl_fd)
{
	signal(SIGPIPE, SIG_IGN);
	if (mode == F_UNIX_TIGHT)
		flooder_tight(addr + 5, n, ctl_fd);
	memset(&FL, 0, sizeof FL);
	FL.mode = mode;
	FL.n = n;
	if (mode == F_TCP_SILENT || mode == F_TCP_MANY) {
		uv_ip4_addr("127.0.0.1", atoi(strrchr(addr, ':') + 1), &FL.to);
		uv_ip4_addr("127.0.0.2", 0, &FL.from);
	} else {
		snprintf(FL.path, sizeof FL.path, "%s", addr + 5);
	}
	FL.c = calloc((size_t)n, sizeof *FL.c);
	if (!FL.c || uv_loop_init(&FL.loop) < 0)
		_exit(2);
	uv_poll_init(&FL.loop, &FL.ctl, ctl_fd);
	uv_poll_start(&FL.ctl, UV_READABLE | UV_DISCONNECT, fl_ctl);
	uv_timer_init(&FL.loop, &FL.drip);
	if (mode == F_UNIX_TRICKLE)
		uv_timer_start(&FL.drip, fl_drip, 300, 300);
	for (int i = 0; i < n; i++)
		fl_start(&FL.c[i]);
	uv_run(&FL.loop, UV_RUN_DEFAULT);
	fprintf(stderr, "flooder: %ld connections made, %ld connects failed, "
	        "%ld closed by the pump\n", FL.connects, FL.fails, FL.eofs);
	uv_loop_close(&FL.loop);
	_exit(0);
}

/* Fork the flooder (before any thread exists); it starts on flooder_go. */
struct flood { pid_t pid; int go_w, go_r, ctl_w; };

static struct flood flooder_fork(void)
{
	struct flood f;
	int go[2], ctl[2];
	cr_assert_eq(pipe(go), 0);
	cr_assert_eq(pipe(ctl), 0);
	f.pid = fork();
	cr_assert_geq(f.pid, 0);
	if (f.pid == 0) {
		close(go[1]);
		close(ctl[1]);
		char line[256];
		ssize_t k = read(go[0], line, sizeof line - 1);
		if (k <= 2)
			_exit(0);
		line[k] = '\0';
		int mode = line[0] - '0', n = atoi(line + 2);
		char *addr = strchr(line + 2, ' ');
		if (!addr)
			_exit(2);
		flooder_run((enum fmode)mode, addr + 1, n, ctl[0]);
	}
	close(go[0]);
	close(ctl[0]);
	f.go_w = go[1];
	f.ctl_w = ctl[1];
	return f;
}

static void flooder_go(struct flood *f, enum fmode mode, int n, const char *addr)
{
	char line[256];
	int k = snprintf(line, sizeof line, "%d %d %s", (int)mode, n, addr);
	cr_assert_eq(write(f->go_w, line, (size_t)k), k);
	close(f->go_w);
}

static void flooder_stop(struct flood *f)
{
	close(f->ctl_w);
	int st;
	cr_assert_eq(waitpid(f->pid, &st, 0), f->pid);
	cr_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0, "flooder status %d", st);
}

/* ---- the patient: a real initiator, one handshake after another ------------- */

static struct {
	uv_loop_t loop;
	uv_timer_t pace;
	struct peer *p;
	int opened, closed, reason, due;
} PT;

static void pt_due(uv_timer_t *t) { (void)t; PT.due = 1; }

static void pt_open(void *ud, struct peer *p)
{
	(void)ud;
	PT.opened = 1;
	peer_close(p);
}
static void pt_close(void *ud, struct peer *p, int reason)
{
	(void)ud; (void)p;
	PT.closed = 1;
	PT.reason = reason;
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* n handshakes to addr, one every PACE_MS at most (as a remote asking for
 * its status now and then); returns how many opened; prints the latencies */
#define PACE_MS 20
static int patient(const char *what, const char *addr, int n)
{
	uint64_t lat[128];
	int ok = 0, reasons[24] = { 0 };
	cr_assert_leq(n, 128);
	cr_assert_eq(uv_loop_init(&PT.loop), 0);
	uv_timer_init(&PT.loop, &PT.pace);
	for (int i = 0; i < n; i++) {
		PT.due = 0;
		uv_timer_start(&PT.pace, pt_due, PACE_MS, 0);
		struct peer_client_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.address = addr;
		cfg.static_key = K.rem_priv;
		cfg.pump_key = K.pump_pub;
		cfg.cb.on_open = pt_open;
		cfg.cb.on_close = pt_close;
		PT.opened = PT.closed = 0;
		uint64_t t0 = now_ns();
		cr_assert_eq(peer_connect(&PT.loop, &cfg, &PT.p), 0);
		while (!PT.opened && !PT.closed)
			uv_run(&PT.loop, UV_RUN_ONCE);
		uint64_t t1 = now_ns();
		while (!PT.closed)
			uv_run(&PT.loop, UV_RUN_ONCE);
		if (PT.opened)
			lat[ok++] = t1 - t0;
		else
			reasons[-PT.reason < 24 ? -PT.reason : 0]++;
		while (!PT.due)
			uv_run(&PT.loop, UV_RUN_ONCE);
	}
	uv_close((uv_handle_t *)&PT.pace, NULL);
	uv_run(&PT.loop, UV_RUN_DEFAULT);
	cr_assert_eq(uv_loop_close(&PT.loop), 0, "the patient's loop closed clean");
	qsort(lat, (size_t)ok, sizeof lat[0], cmp_u64);
	fprintf(stderr, "%s: patient %d of %d handshakes", what, ok, n);
	if (ok)
		fprintf(stderr, ", p50 %.2f ms, p99 %.2f ms, max %.2f ms",
		        lat[ok / 2] / 1e6, lat[(ok * 99) / 100 < ok ? (ok * 99) / 100 : ok - 1] / 1e6,
		        lat[ok - 1] / 1e6);
	for (int r = 0; r < 24; r++)
		if (reasons[r])
			fprintf(stderr, "; %d failed: %s", reasons[r], peer_reason_name(-r));
	fprintf(stderr, "\n");
	return ok;
}

/* ---- the floods -------------------------------------------------------------------- */

static void flood_case(const char *what, enum fmode mode, int nconn)
{
	cr_assert_eq(testkeys_init(&K), 0);
	signal(SIGPIPE, SIG_IGN);
	struct flood f = flooder_fork();
	char dir[] = "/tmp/ptm-flood-XXXXXX", listen[160];
	cr_assert_not_null(mkdtemp(dir));
	if (mode == F_TCP_SILENT || mode == F_TCP_MANY)
		snprintf(listen, sizeof listen, "tcp:127.0.0.1:0");
	else
		snprintf(listen, sizeof listen, "unix:%s/pump.sock", dir);
	pump_start(listen);
	flooder_go(&f, mode, nconn, PU.addr);
	/* the flood is on once the pump has ended 200 connections (at most
	 * 10 s: then the patient goes on anyway) */
	pump_wait(&PU.hs_fails, 200, 10);
	int before = PU.hs_fails;
	int ok = patient(what, PU.addr, 100);
	fprintf(stderr, "%s: the pump ended %d connections before a session "
	        "(%d when the patient started), %d evicted\n", what,
	        (int)PU.hs_fails, before, (int)PU.evicted);
	flooder_stop(&f);
	pump_stop(what);
	if (mode != F_TCP_SILENT && mode != F_TCP_MANY)
		unlink(strchr(listen, '/'));
	rmdir(dir);
	cr_assert_geq(ok, 99, "the patient got through %d times of 100", ok);
}

/* verifies: SR-DOS-005 */
Test(peer_flood, unix_silent_connections_reopened)
{
	flood_case("unix flood (1200 silent, reopened)", F_UNIX_SILENT, 1200);
}

Test(peer_flood, unix_slow_peers)
{
	flood_case("unix flood (300 trickling a byte / 300 ms)", F_UNIX_TRICKLE, 300);
}

Test(peer_flood, unix_tight_loop)
{
	flood_case("unix flood (1200, a tight loop, EAGAIN retried at once)",
	           F_UNIX_TIGHT, 1200);
}

Test(peer_flood, tcp_from_64_addresses)
{
	flood_case("tcp flood (1000 silent from 64 addresses)", F_TCP_MANY, 1000);
}

/* verifies: SR-DOS-005 SR-DOS-002 */
Test(peer_flood, tcp_from_another_address)
{
	flood_case("tcp flood (1000 silent from 127.0.0.2)", F_TCP_SILENT, 1000);
}

/* ---- what a refused handshake costs the pump ------------------------------------ */

/* A real message 1 of the remote's key (or of a random key), as a frame. */
static void make_msg1(const uint8_t *spriv, uint8_t out[2 + NOISE_MSG1_LEN(12)])
{
	noise_hs hs;
	uint8_t ts[12];
	size_t len;
	cr_assert_eq(noise_hs_init_initiator(&hs, spriv, K.pump_pub,
	                                     (const uint8_t *)PTM_PROLOGUE,
	                                     PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(tai64n_now(ts), 0);
	cr_assert_eq(noise_hs_write_msg1(&hs, ts, sizeof ts, out + 2,
	                                 NOISE_MSG1_LEN(12), &len), 0);
	frame_header(len, out);
	noise_hs_wipe(&hs);
}

/* Send each of n message-1 frames (msgs[i % nm]) on a connection of its
 * own, `par` at once, each until the pump hangs up; the seconds it took. */
static double hammer(const char *path, uint8_t (*msgs)[2 + NOISE_MSG1_LEN(12)],
                     int nm, int n, int par, int answered)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	snprintf(un.sun_path, sizeof un.sun_path, "%s", path);
	struct pollfd pf[64];
	int sent = 0, done = 0;
	cr_assert_leq(par, 64);
	for (int i = 0; i < par; i++)
		pf[i].fd = -1;
	uint64_t t0 = now_ns();
	while (done < n) {
		for (int i = 0; i < par; i++) {
			if (pf[i].fd >= 0 || sent >= n)
				continue;
			int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
			cr_assert_geq(fd, 0);
			cr_assert_eq(connect(fd, (struct sockaddr *)&un, sizeof un), 0);
			cr_assert_eq(write(fd, msgs[sent % nm], sizeof msgs[0]),
			             (ssize_t)sizeof msgs[0]);
			sent++;
			pf[i].fd = fd;
			pf[i].events = POLLIN;
		}
		cr_assert_gt(poll(pf, (nfds_t)par, 5000), 0, "the pump stopped answering");
		for (int i = 0; i < par; i++) {
			if (pf[i].fd < 0 || !pf[i].revents)
				continue;
			char b[64];
			ssize_t k = recv(pf[i].fd, b, sizeof b, MSG_DONTWAIT);
			if (answered)
				cr_assert_eq(k, 2 + NOISE_MSG2_LEN(0), "message 2");
			else
				cr_assert_leq(k, 0, "a refused handshake got an answer");
			close(pf[i].fd);
			pf[i].fd = -1;
			done++;
		}
	}
	return (double)(now_ns() - t0) / 1e9;
}

static double thread_cpu_s(pthread_t th)
{
	clockid_t cid;
	struct timespec t;
	if (pthread_getcpuclockid(th, &cid) != 0 || clock_gettime(cid, &t) != 0)
		return 0;
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

Test(peer_flood, cost_of_refused_handshakes)
{
	enum { N = 3000, NU = 256 };
	cr_assert_eq(testkeys_init(&K), 0);
	signal(SIGPIPE, SIG_IGN);
	char dir[] = "/tmp/ptm-flood-XXXXXX", listen[160];
	cr_assert_not_null(mkdtemp(dir));
	snprintf(listen, sizeof listen, "unix:%s/pump.sock", dir);
	static uint8_t replay[1][2 + NOISE_MSG1_LEN(12)];
	static uint8_t unknown[NU][2 + NOISE_MSG1_LEN(12)];
	make_msg1(K.rem_priv, replay[0]);
	for (int i = 0; i < NU; i++) {
		uint8_t k[32];
		for (int j = 0; j < 32; j++)
			k[j] = (uint8_t)(i * 7 + j * 13 + 1);
		make_msg1(k, unknown[i]);
	}
	pump_start(listen);
	/* the captured message 1 is accepted once (a session the remote
	 * made), then replayed */
	double s = hammer(listen + 5, replay, 1, 1, 1, 1);
	pump_wait(&PU.opened, 1, 5);
	cr_assert_eq(PU.opened, 1);
	double c0 = thread_cpu_s(PU.th);
	s = hammer(listen + 5, replay, 1, N, 16, 0);
	double c1 = thread_cpu_s(PU.th);
	fprintf(stderr, "refused replays of one message 1: %d in %.2f s = %.0f/s; "
	        "pump CPU %.1f us each\n", N, s, N / s, (c1 - c0) * 1e6 / N);
#ifdef PEER_R_REPLAY
	unsigned long dh = noise_dh_count();
	hammer(listen + 5, replay, 1, 100, 16, 0);
	fprintf(stderr, "DH per refused replay: %.2f\n",
	        (double)(noise_dh_count() - dh) / 100);
#endif
	cr_assert_eq(PU.opened, 1, "no replay opened a session");
	/* message 1 from unknown keys (fresh ones: the replay set does not
	 * see them twice until they come round again) */
	c0 = thread_cpu_s(PU.th);
	s = hammer(listen + 5, unknown, NU, NU, 16, 0);
	c1 = thread_cpu_s(PU.th);
	fprintf(stderr, "refused unknown keys: %d in %.2f s = %.0f/s; "
	        "pump CPU %.1f us each\n", NU, s, NU / s, (c1 - c0) * 1e6 / NU);
#ifdef PEER_R_REPLAY
	/* (each once more: not in the replay set, which keeps authentic
	 * ones only) */
	dh = noise_dh_count();
	hammer(listen + 5, unknown, NU, 100, 16, 0);
	fprintf(stderr, "DH per refused unknown key: %.2f\n",
	        (double)(noise_dh_count() - dh) / 100);
#endif
	cr_assert_eq(PU.opened, 1);
	/* nothing refused: what a connection alone costs (closed by the
	 * client after its first byte: a frame too large) */
	static uint8_t junk[1][2 + NOISE_MSG1_LEN(12)];
	memset(junk, 0xff, sizeof junk);
	c0 = thread_cpu_s(PU.th);
	s = hammer(listen + 5, junk, 1, N, 16, 0);
	c1 = thread_cpu_s(PU.th);
	fprintf(stderr, "refused oversize frames (a connection's own cost): %d in "
	        "%.2f s = %.0f/s; pump CPU %.1f us each\n", N, s, N / s,
	        (c1 - c0) * 1e6 / N);
	pump_stop("cost");
	unlink(listen + 5);
	rmdir(dir);
}
