/*
 * bench/bench_remotes.c — 10,000 remotes connected and idle: pumpd's memory
 * per idle authenticated remote beside Redis's per idle client, and one
 * more remote's STATUS latency while they are connected.
 *
 *   fixture   10,001 paired patients (bench/fixture.h: one by `pumpd pair`,
 *             the rest copies of its rows in one SQLite transaction)
 *   run       pumpd started afresh; one probe remote's STATUS round trips
 *             for PROBE_MS alone (p99: the anchor), pumpd's RSS; then
 *             10,000 remotes connect (LC_HS_INFLIGHT handshakes at once; a
 *             handshake the pump closes — its handshake limits — is tried
 *             again after a pause, as a remote reconnects), each sends one
 *             STATUS and waits for its reply, pumpd's RSS again; the probe's
 *             STATUS for PROBE_MS while the 10,000 are connected and idle
 *             (keepalives every 10 s each way are answered meanwhile)
 *   figures   mem_bytes_per_remote_10000 = (RSS with 10,000 - RSS with 0)
 *             / 10,000, anchor: a fresh redis-server (this run's own) with
 *             10,000 idle clients that each sent PING, by the same measure;
 *             status_p99_us_10000, anchor: the same probe's p99 alone
 *
 * This process raises its open-file limit to what it needs (up to the
 * hard limit; pumpd and redis-server inherit it, and pumpd may raise its
 * own); with less, it measures as many remotes as it can and says so.
 * pumpd gets the `run` options that let 10,001 sessions in (see
 * bu_pump_cap_args).
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

#define NAME       "bench_remotes"
#define WANT       10000
#define FD_SPARE   200
#define PROBE_MS   1500
#define CONNECT_MS 180000

static uv_loop_t loop;

/* A fresh redis-server with n idle clients (one PING each): bytes of RSS
 * per client, or -1. */
static double redis_per_client(const char *dir, size_t n, int *fds, double *used)
{
	char sock[300], maxc[32];
	snprintf(sock, sizeof sock, "%s/redis-mem.sock", dir);
	snprintf(maxc, sizeof maxc, "%zu", n + 100);
	const char *argv[] = { "redis-server", "--port", "0", "--unixsocket", sock,
	                       "--unixsocketperm", "700", "--dir", dir, "--save", "",
	                       "--appendonly", "no", "--maxclients", maxc,
	                       "--daemonize", "no", "--loglevel", "warning", NULL };
	int pid = bu_spawn("redis-server (memory anchor)", argv, NULL, NULL, 0, 0);
	if (pid < 0)
		return -1;
	double per = -1;
	char r[64];
	int ctl = -1;
	size_t k = 0;
	int64_t end = bu_now_ns() + 5000000000LL;
	while ((ctl = rds_connect(sock)) < 0 && bu_now_ns() < end)
		uv_sleep(10);   /* readiness: the socket answers (bounded) */
	if (ctl < 0 || rds_call(ctl, RDS_PING, r, sizeof r) < 0) {
		fprintf(stderr, "%s: redis-server did not start\n", NAME);
		goto out;
	}
	int64_t u0 = rds_info(ctl, "used_memory");
	long rss0 = bu_rss_kb(pid);
	for (k = 0; k < n; k++) {
		fds[k] = rds_connect(sock);
		if (fds[k] < 0 || rds_call(fds[k], RDS_PING, r, sizeof r) < 0) {
			fprintf(stderr, "%s: redis client %zu: %s\n", NAME, k,
			        fds[k] < 0 ? strerror(-fds[k]) : "no PONG");
			if (fds[k] >= 0)
				close(fds[k]);
			goto out;
		}
	}
	long rss1 = bu_rss_kb(pid);
	int64_t u1 = rds_info(ctl, "used_memory");
	per = (double)(rss1 - rss0) * 1024.0 / (double)n;
	*used = (double)(u1 - u0) / (double)n;
out:
	while (k > 0)
		close(fds[--k]);
	if (ctl >= 0)
		close(ctl);
	bu_stop("redis-server (memory anchor)", pid);
	return per;
}

static int probe(struct lc *pr, double *p99, double *p50)
{
	struct lc_result r;
	if (lc_run(pr, MSG_STATUS, 200, PROBE_MS, &r) < 0 || r.bad)
		return -1;
	*p99 = r.p99_us;
	*p50 = r.p50_us;
	return 0;
}

int main(void)
{
	struct fig_runs mem = { 0 }, rmem = { 0 }, p99 = { 0 }, p99_0 = { 0 };
	double p50 = 0, p50_0 = 0, rused = 0, conn_s = 0;
	uint64_t retried = 0;
	struct lc *big = NULL, *pr = NULL;
	e2e_pump *p = NULL;
	char rdir[] = "/tmp/ptm-bench-redis.XXXXXX";
	int rc = 1;
	bu_guard(NAME, 150 + 60 * (unsigned)fig_nruns());
	if (sodium_init() < 0 || uv_loop_init(&loop) != 0)
		return 1;
	long lim = bu_nofile(WANT + FD_SPARE);
	size_t n = WANT;
	if (lim < WANT + FD_SPARE) {
		n = lim > 2 * FD_SPARE ? (size_t)(lim - FD_SPARE) : 100;
		printf("  the open-file limit is %ld (hard limit reached): measuring "
		       "%zu remotes, not %d\n", lim, n, WANT);
	}
	uint8_t (*keys)[32] = calloc(n + 1, sizeof *keys);
	int *fds = calloc(n, sizeof *fds);
	if (!keys || !fds)
		goto out;

	/* the anchor: redis, fresh for each run */
	const char *have_redis = getenv("REDIS_SOCK");
	int redis_ok = have_redis && *have_redis && mkdtemp(rdir);
	if (redis_ok)
		bu_watch_dir(rdir);
	for (int run = 0; run < fig_nruns() && redis_ok; run++) {
		double used = 0, v = redis_per_client(rdir, n, fds, &used);
		if (v < 0)
			redis_ok = 0;
		else {
			fig_add(&rmem, v);
			rused += used;
		}
	}
	if (!(have_redis && *have_redis))
		printf("  anchor skipped: no redis-server (sh scripts/deps.sh bench)\n");

	const char *cap[5];
	char capbuf[32];
	bu_pump_cap_args((unsigned)(n + 64), cap, capbuf);
	p = bu_pump_start_args(NULL, 0, cap);
	if (!p) {
		bu_fail(NAME, "pumpd did not start");
		goto out;
	}
	if (fx_patients(p, "m", n + 1, keys) < 0)
		goto out;
	struct lc_config bc = {
		.addr = e2e_addr(p), .proto = LC_NOISE, .pump_pub = e2e_pump_pub(p),
		.keys = (const uint8_t (*)[32])keys, .n = n, .retry_refused = 1,
		.name = "idle remotes",
	};
	struct lc_config pc = bc;
	pc.keys = (const uint8_t (*)[32])&keys[n];
	pc.n = 1;
	pc.name = "probe";
	if (lc_new(&loop, &bc, &big) < 0 || lc_new(&loop, &pc, &pr) < 0)
		goto out;
	for (int run = 0; run < fig_nruns(); run++) {
		double a, b;
		if (run > 0 && bu_pump_restart(p) < 0)
			goto out;
		int pid = e2e_pid(p);
		if (lc_connect(pr, 10000) < 0 || probe(pr, &a, &b) < 0)
			goto out;
		fig_add(&p99_0, a);
		p50_0 += b;
		double alone = a;
		long rss0 = bu_rss_kb(pid);
		int64_t t0 = bu_now_ns();
		struct lc_result r;
		if (lc_connect(big, CONNECT_MS) < 0 ||
		    lc_each(big, MSG_STATUS, 60000, &r) < 0 || r.bad) {
			fprintf(stderr, "%s: %zu of %zu remotes up (see %s)\n", NAME,
			        lc_up(big), n, e2e_log_path(p));
			goto out;
		}
		conn_s += (double)(bu_now_ns() - t0) / 1e9;
		retried += lc_retried(big);
		long rss1 = bu_rss_kb(pid);
		fig_add(&mem, (double)(rss1 - rss0) * 1024.0 / (double)n);
		if (probe(pr, &a, &b) < 0)
			goto out;
		fig_add(&p99, a);
		p50 += b;
		if (lc_up(big) != n) {
			fprintf(stderr, "%s: remotes dropped while idle\n", NAME);
			goto out;
		}
		printf("  run %d: pumpd RSS %ld KiB with the probe, %ld KiB with %zu "
		       "more; probe p99 %.0f us alone, %.0f us beside them\n", run + 1,
		       rss0, rss1, n, alone, a);
		fflush(stdout);
		lc_disconnect(big);
		lc_disconnect(pr);
	}
	int nr = fig_nruns();
	char an[128], note[512];
	snprintf(an, sizeof an, "redis-server per idle client (RSS, %zu clients "
	         "that sent PING)", n);
	snprintf(note, sizeof note, "%zu remotes connected in %.1f s on average "
	         "(%d handshakes at once; %llu closed by the pump and tried again); "
	         "redis by INFO used_memory: %.0f B per client", n, conn_s / nr,
	         LC_HS_INFLIGHT, (unsigned long long)retried / (unsigned long long)nr,
	         rmem.n ? rused / rmem.n : 0);
	struct fig f = {
		.name = "mem_bytes_per_remote_10000", .unit = "bytes",
		.runs = &mem, .anchor_name = redis_ok ? an : NULL,
		.anchor = redis_ok ? &rmem : NULL, .target_on = FIG_ON_VALUE,
		.target = 4096, .higher_is_better = 0, .note = note,
	};
	fig_emit(&f);
	snprintf(an, sizeof an, "the same probe's STATUS p99 with no other remote");
	snprintf(note, sizeof note, "one remote's STATUS, one at a time, for %d ms "
	         "while %zu remotes are connected and idle; p50 %.0f us (alone %.0f)",
	         PROBE_MS, n, p50 / nr, p50_0 / nr);
	struct fig g = {
		.name = "status_p99_us_10000", .unit = "us", .runs = &p99,
		.anchor_name = an, .anchor = &p99_0, .target_on = FIG_ON_VALUE,
		.target = 10000, .higher_is_better = 0, .note = note,
	};
	fig_emit(&g);
	rc = 0;
out:
	lc_free(big);
	lc_free(pr);
	bu_pump_free(p);
	if (keys)
		sodium_memzero(keys, (n + 1) * sizeof *keys);
	free(keys);
	free(fds);
	if (rdir[0] && strncmp(rdir + strlen(rdir) - 6, "XXXXXX", 6) != 0) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", rdir);
		if (system(cmd) == 0)
			bu_unwatch_dir(rdir);
	}
	return bu_end(NAME, &loop, rc);
}
