/*
 * bench/bench_status.c — STATUS round trips through pumpd beside the floors,
 * with the same client (bench/lc.c) in the same run:
 *
 *   transport floor  bench/echod plain: a libuv server answering each framed
 *                    request with a reply of the size of pumpd's STATUS reply
 *   crypto floor     bench/echod aead: the same, with ChaCha20-Poly1305 on
 *                    every message both ways (decrypt the 9-byte request,
 *                    encrypt the reply), as pumpd and the client do
 *   pumpd            STATUS from paired patients (Noise IK sessions)
 *
 * Each in its own process.  1 and 50 remotes (connections, each its own
 * paired key for pumpd), over a unix socket and over loopback TCP; one
 * request in flight per connection.  The client encodes each request with
 * net/msg, encrypts it (not for the plain echo), decrypts and decodes each
 * reply with msg_decode_from_pump and checks its id: the same code for all
 * three servers.  The echo servers send the bytes of a real pumpd STATUS
 * reply (taken from pumpd at the start), their id replaced.
 *
 * A run is WARM_MS then RUN_MS of requests; at least RUNS runs of every
 * case, interleaved (run 1 of every case, then run 2, ...), the servers'
 * order turning each run.  Figures: the median of the runs' replies per
 * second with the spread; the ratio to the crypto floor at the same
 * concurrency and transport.  Yardstick (not an anchor): redis-benchmark
 * PING and GET with the same concurrency on $REDIS_SOCK.
 *
 * Beside them: the latencies, the servers' context switches per request,
 * and status_cpu_us_*: each server's CPU time per request (/proc schedstat
 * over a run / its replies), which a busy machine disturbs less than
 * throughput.
 *
 * BENCH_PERF=FILE: afterwards, one more 50-remote unix run of PERF_MS with
 * `perf record -g` on pumpd into FILE.pumpd, and one on the crypto floor
 * into FILE.crypto-floor, and their top symbols printed (BENCH_PERF_CG=dwarf
 * for call graphs through libuv and libc).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>

#include "bench/fig.h"
#include "bench/fixture.h"
#include "bench/lc.h"
#include "bench/redis.h"
#include "bench/util.h"
#include "net/msg.h"
#include "tests/lib/e2e.h"

#define NAME     "bench_status"
#define MANY     50
#define WARM_MS  200
#define RUN_MS   1000
#define PERF_MS  4000
#define RUNS     5      /* at least: throughput on a shared machine wanders */

enum { T_PLAIN, T_AEAD, T_PUMP, NT };
enum { X_UNIX, X_TCP, NX };
enum { C_1, C_MANY, NC };

static const char *const t_short[NT] = { "transport floor", "crypto floor", "pumpd" };
static const char *const x_name[NX] = { "unix", "tcp" };
static const int conc[NC] = { 1, MANY };

struct cell {
	struct lc *lc;
	struct fig_runs rps, p50, p99;
	struct fig_runs cpu, csw, vol;   /* the server's CPU us, context
	                                  * switches (voluntary) per request */
};

static struct cell cells[NT][NX][NC];
static uv_loop_t loop;

static int start_echo(const char *kind, const char *hex, const char *dir,
                      char addr[NX][160], int *pid)
{
	char exe[512], sock[300], ready[512], what[32];
	const char *b = getenv("PTM_BUILD");
	snprintf(exe, sizeof exe, "%s/bench/echod", b && *b ? b : "build");
	snprintf(sock, sizeof sock, "unix:%s/echo-%s.sock", dir, kind);
	snprintf(what, sizeof what, "echod %s", kind);
	const char *argv[] = { exe, kind, hex, sock, "tcp:127.0.0.1:0",
	                       "--ready-fd", "READYFD", NULL };
	*pid = bu_spawn(what, argv, NULL, ready, sizeof ready, 5000);
	if (*pid < 0)
		return -1;
	char *u = strstr(ready, "unix:"), *t = strstr(ready, "tcp:");
	if (!u || !t)
		return bu_fail(NAME, "echod's READY line has no addresses");
	snprintf(addr[X_UNIX], 160, "%.*s", (int)strcspn(u, " "), u);
	snprintf(addr[X_TCP], 160, "%.*s", (int)strcspn(t, " "), t);
	return 0;
}

static int make_lc(int t, int x, int c, const char *addr, e2e_pump *p,
                   uint8_t (*keys)[32])
{
	static char names[NT][NX][NC][48];
	snprintf(names[t][x][c], sizeof names[t][x][c], "%s %s %d", t_short[t],
	         x_name[x], conc[c]);
	struct lc_config cfg = {
		.addr = addr,
		.proto = t == T_PLAIN ? LC_PLAIN : t == T_AEAD ? LC_AEAD : LC_NOISE,
		.pump_pub = e2e_pump_pub(p),
		.keys = (const uint8_t (*)[32])keys,
		.n = (size_t)conc[c],
		.src_base = (unsigned)((t * NX + x) * NC + c) * 8,
		.name = names[t][x][c],
	};
	if (lc_new(&loop, &cfg, &cells[t][x][c].lc) < 0)
		return bu_fail(NAME, "lc_new failed");
	return lc_connect(cells[t][x][c].lc, 20000);
}

static void hex(const uint8_t *b, size_t n, char *out)
{
	for (size_t i = 0; i < n; i++)
		sprintf(out + 2 * i, "%02x", b[i]);
}

/* perf record on one server (pid) during one more 50-remote unix run of
 * its cell, on fresh sessions */
static void perf_one(struct cell *ce, int pid, const char *what, const char *file)
{
	char line[160];
	lc_disconnect(ce->lc);
	if (lc_connect(ce->lc, 20000) < 0)
		return;
	int pp = bu_perf_start(pid, file);
	if (pp < 0)
		return;
	/* perf attaches within a moment; the run's warm-up covers it */
	struct lc_result r;
	int rc = lc_run(ce->lc, MSG_STATUS, 500, PERF_MS, &r);
	snprintf(line, sizeof line, "%s during a %d-remote unix STATUS run (%.0f "
	         "req/s)", what, MANY, r.rps);
	bu_perf_stop(pp, file, rc == 0, line);
}

static void perf_run(e2e_pump *p, int aead_pid, const char *file)
{
	char f[600];
	snprintf(f, sizeof f, "%s.pumpd", file);
	perf_one(&cells[T_PUMP][X_UNIX][C_MANY], e2e_pid(p), "pumpd", f);
	snprintf(f, sizeof f, "%s.crypto-floor", file);
	perf_one(&cells[T_AEAD][X_UNIX][C_MANY], aead_pid, "echod aead", f);
}

static int redis_yardstick(const char *sock, const char *test, const char *row,
                           int clients, struct fig_runs *rps)
{
	int n = clients == 1 ? 20000 : 100000;
	for (int i = 0; i < fig_nruns(); i++) {
		double v = rds_benchmark(sock, test, row, clients, n, NULL);
		if (v < 0)
			return -1;
		fig_add(rps, v);
	}
	return 0;
}

int main(void)
{
	static uint8_t keys[NX][MANY + 1][32];
	static uint8_t reply[MSG_MAX];
	static char reply_hex[2 * MSG_MAX + 1];
	char echo_addr[2][NX][160];
	int echo_pid[2] = { -1, -1 };
	int rc = 1;
	bu_guard(NAME, 150 + 40 * (unsigned)(fig_nruns() < RUNS ? RUNS : fig_nruns()));
	if (sodium_init() < 0 || uv_loop_init(&loop) != 0)
		return 1;
	bu_nofile(4096);
	/* the yardstick first: while redis-benchmark runs, this loop does not
	 * (no keepalives: sessions idle for 35 s are closed) */
	const char *rsock = getenv("REDIS_SOCK");
	struct fig_runs rping[NC] = { 0 }, rget[NC] = { 0 };
	int have_redis = rsock && *rsock;
	for (int c = 0; c < NC && have_redis; c++)
		have_redis = redis_yardstick(rsock, "ping", "PING_MBULK", conc[c], &rping[c]) == 0 &&
		             redis_yardstick(rsock, "get", "GET", conc[c], &rget[c]) == 0;
	if (!have_redis)
		printf("  redis yardstick skipped: %s\n", rsock && *rsock ?
		       "redis-benchmark failed" : "no redis-server (sh scripts/deps.sh bench)");

	e2e_pump *p = bu_pump_start_args(NULL, E2E_TCP, NULL);
	if (!p)
		return bu_fail(NAME, "pumpd did not start"), 1;
	if (fx_patients(p, "s", NX * (MANY + 1), &keys[0][0]) < 0)
		goto out;
	/* pumpd first: its STATUS reply is what the echo servers send */
	const char *paddr[NX] = { e2e_addr(p), e2e_tcp_addr(p) };
	for (int x = 0; x < NX; x++)
		for (int c = 0; c < NC; c++)
			if (make_lc(T_PUMP, x, c, paddr[x], p,
			            c == C_1 ? &keys[x][MANY] : &keys[x][0]) < 0)
				goto out;
	struct lc_result r;
	if (lc_each(cells[T_PUMP][X_UNIX][C_1].lc, MSG_STATUS, 5000, &r) < 0 || r.bad)
		goto out;
	size_t rlen = lc_last_reply(cells[T_PUMP][X_UNIX][C_1].lc, reply, sizeof reply);
	if (rlen == 0 || rlen > sizeof reply)
		goto out;
	hex(reply, rlen, reply_hex);
	printf("  pumpd's STATUS: request 9 bytes, reply %zu bytes of plaintext "
	       "(+16 tag, +2 frame); the echo servers send the same reply\n", rlen);
	if (start_echo("plain", reply_hex, e2e_dir(p), echo_addr[0], &echo_pid[0]) < 0 ||
	    start_echo("aead", reply_hex, e2e_dir(p), echo_addr[1], &echo_pid[1]) < 0)
		goto out;
	for (int t = T_PLAIN; t <= T_AEAD; t++)
		for (int x = 0; x < NX; x++)
			for (int c = 0; c < NC; c++)
				if (make_lc(t, x, c, echo_addr[t][x], p, NULL) < 0)
					goto out;

	int nruns = fig_nruns() < RUNS ? RUNS : fig_nruns();
	for (int run = 0; run < nruns; run++)
		for (int x = 0; x < NX; x++)
			for (int c = 0; c < NC; c++)
				for (int k = 0; k < NT; k++) {
					int t = (k + run) % NT;
					struct cell *ce = &cells[t][x][c];
					int spid = t == T_PUMP ? e2e_pid(p) : echo_pid[t];
					int64_t v0 = 0, v1 = 0;
					int64_t c0 = bu_cpu_us(spid), s0 = bu_ctxsw(spid, &v0);
					if (lc_run(ce->lc, MSG_STATUS, WARM_MS, RUN_MS, &r) < 0)
						goto out;
					if (r.all) {
						fig_add(&ce->cpu, (double)(bu_cpu_us(spid) - c0) /
						        (double)r.all);
						fig_add(&ce->csw, (double)(bu_ctxsw(spid, &v1) - s0) /
						        (double)r.all);
						fig_add(&ce->vol, (double)(v1 - v0) / (double)r.all);
					}
					if (r.bad) {
						fprintf(stderr, "%s: %s: %llu replies were errors\n",
						        NAME, t_short[t], (unsigned long long)r.bad);
						goto out;
					}
					fig_add(&ce->rps, r.rps);
					fig_add(&ce->p50, r.p50_us);
					fig_add(&ce->p99, r.p99_us);
				}

	static const char *const fnames[NX][NC] = {
		{ "status_rps_1_unix", "status_rps_50_unix" },
		{ "status_rps_1_tcp", "status_rps_50_tcp" },
	};
	static const char *const floor_names[NX][NC] = {
		{ "crypto_floor_rps_1_unix", "crypto_floor_rps_50_unix" },
		{ "crypto_floor_rps_1_tcp", "crypto_floor_rps_50_tcp" },
	};
	for (int x = 0; x < NX; x++)
		for (int c = 0; c < NC; c++) {
			char an[128], note[768], yard[160] = "";
			struct cell *pc = &cells[T_PUMP][x][c], *ac = &cells[T_AEAD][x][c],
			            *tc = &cells[T_PLAIN][x][c];
			if (have_redis && x == X_UNIX)
				snprintf(yard, sizeof yard, "; yardstick redis-benchmark -c %d: "
				         "PING %.0f/s, GET %.0f/s", conc[c],
				         fig_median(&rping[c]), fig_median(&rget[c]));
			snprintf(an, sizeof an, "crypto floor (echo + ChaCha20-Poly1305), "
			         "%d conn, %s", conc[c], x_name[x]);
			snprintf(note, sizeof note, "latency p50/p99 us: pumpd %.0f/%.0f, "
			         "crypto floor %.0f/%.0f, transport floor %.0f/%.0f; server "
			         "context switches per request (voluntary): pumpd %.2f "
			         "(%.2f), crypto floor %.2f (%.2f), transport floor %.2f "
			         "(%.2f)%s",
			         fig_median(&pc->p50), fig_median(&pc->p99),
			         fig_median(&ac->p50), fig_median(&ac->p99),
			         fig_median(&tc->p50), fig_median(&tc->p99),
			         fig_median(&pc->csw), fig_median(&pc->vol),
			         fig_median(&ac->csw), fig_median(&ac->vol),
			         fig_median(&tc->csw), fig_median(&tc->vol), yard);
			struct fig f = {
				.name = fnames[x][c], .unit = "req/s", .runs = &pc->rps,
				.anchor_name = an, .anchor = &ac->rps,
				.target_on = FIG_ON_RATIO, .target = c == C_1 ? 0.9 : 0.85,
				.higher_is_better = 1, .note = note,
			};
			fig_emit(&f);
			snprintf(an, sizeof an, "transport floor (plain libuv echo), %d "
			         "conn, %s", conc[c], x_name[x]);
			struct fig g = {
				.name = floor_names[x][c], .unit = "req/s", .runs = &ac->rps,
				.anchor_name = an, .anchor = &tc->rps, .higher_is_better = 1,
			};
			fig_emit(&g);
			char cn[64];
			snprintf(cn, sizeof cn, "status_cpu_us_%d_%s", conc[c], x_name[x]);
			snprintf(an, sizeof an, "the crypto floor's, %d conn, %s", conc[c],
			         x_name[x]);
			snprintf(note, sizeof note, "the server's CPU time (every thread, "
			         "/proc schedstat) per request over a run; the transport "
			         "floor's %.1f us", fig_median(&tc->cpu));
			struct fig h = {
				.name = cn, .unit = "us", .runs = &pc->cpu,
				.anchor_name = an, .anchor = &ac->cpu, .higher_is_better = 0,
				.note = note,
			};
			fig_emit(&h);
		}
	for (int c = 0; c < NC && have_redis; c++) {
		char n1[64], n2[64];
		snprintf(n1, sizeof n1, "redis_ping_rps_%d_unix", conc[c]);
		snprintf(n2, sizeof n2, "redis_get_rps_%d_unix", conc[c]);
		struct fig f = { .name = n1, .unit = "req/s", .runs = &rping[c],
		                 .higher_is_better = 1,
		                 .note = "yardstick: redis-benchmark, one request in "
		                         "flight per client" };
		fig_emit(&f);
		f.name = n2;
		f.runs = &rget[c];
		fig_emit(&f);
	}
	const char *perf = getenv("BENCH_PERF");
	if (perf && *perf)
		perf_run(p, echo_pid[T_AEAD], perf);
	rc = 0;
out:
	for (int t = 0; t < NT; t++)
		for (int x = 0; x < NX; x++)
			for (int c = 0; c < NC; c++)
				lc_free(cells[t][x][c].lc);
	for (int i = 0; i < 2; i++)
		if (echo_pid[i] > 0)
			bu_stop(i ? "echod aead" : "echod plain", echo_pid[i]);
	bu_pump_free(p);
	sodium_memzero(keys, sizeof keys);
	return bu_end(NAME, &loop, rc);
}
