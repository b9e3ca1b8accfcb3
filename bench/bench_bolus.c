/*
 * bench/bench_bolus.c — durable bolus throughput: BOLUS replies per second
 * from 50 paired patients with one request in flight each (and from one),
 * beside Redis SET with appendonly yes + appendfsync always
 * ($REDIS_AOF_SOCK, redis-benchmark) at the same concurrency, in the same
 * run.
 *
 * Every BOLUS request is a durable change whatever its outcome: the pump's
 * state, an audit row, a history row and the request-id memory commit
 * before its reply leaves (changes of one loop turn share one commit).  The
 * pump runs the default prescription on a frozen simulated clock, so the
 * first bolus is granted and the rest are refused (running, then lockout):
 * each refusal is a change and a history row as much as a grant.  The
 * replies of every outcome are counted; each must be err OK.  After the
 * runs pumpd is stopped and the history rows in its database counted: at
 * least one per reply, or the benchmark fails (the replies were durable).
 *
 * Redis with appendfsync always writes and fsyncs its append-only file
 * before replying, once per event-loop turn for every client's command in
 * it.  Both keep their files in temporary directories of the same file
 * system (/tmp).  Each server's CPU time per reply is given too
 * (bolus_cpu_us_50_unix): with a fast disk that, not the fsync, bounds.
 * BENCH_PERF=FILE: one more 50-remote run with perf on pumpd
 * (FILE.bolus-pumpd).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>
#include <sqlite3.h>

#include "bench/fig.h"
#include "bench/fixture.h"
#include "bench/lc.h"
#include "bench/redis.h"
#include "bench/util.h"
#include "net/msg.h"
#include "tests/lib/e2e.h"

#define NAME    "bench_bolus"
#define MANY    50
#define WARM_MS 200
#define RUN_MS  1500
#define ROUNDS  100    /* lockstep rounds of MANY boluses per run */

static uv_loop_t loop;

static int64_t history_rows(const char *state_dir)
{
	char path[512];
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int64_t n = -1;
	snprintf(path, sizeof path, "%s/state.db", state_dir);
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
	    sqlite3_prepare_v2(db, "SELECT count(*) FROM history", -1, &s, NULL) == SQLITE_OK &&
	    sqlite3_step(s) == SQLITE_ROW)
		n = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	sqlite3_close(db);
	return n;
}

/* redis-benchmark SET: requests/s into rps, redis-server's CPU per SET
 * (us) into cpu */
static int redis_set(const char *sock, int pid, int clients, struct fig_runs *rps,
                     struct fig_runs *cpu)
{
	/* a second or a few at a slow disk's fsync rate, less elsewhere */
	int n = clients == 1 ? 600 : 20000;
	for (int i = 0; i < fig_nruns(); i++) {
		int64_t c0 = bu_cpu_us(pid);
		double v = rds_benchmark(sock, "set", "SET", clients, n, NULL);
		if (v < 0)
			return -1;
		fig_add(rps, v);
		fig_add(cpu, (double)(bu_cpu_us(pid) - c0) / n);
	}
	return 0;
}

int main(void)
{
	static uint8_t keys[MANY + 1][32];
	struct lc *lc[2] = { NULL, NULL };
	struct fig_runs rps[2] = { 0 }, p99[2] = { 0 }, rset[2] = { 0 };
	struct fig_runs cpu[2] = { 0 }, rcpu[2] = { 0 };
	/* pumpd's write and read syscalls over the 50-remote runs */
	int64_t wr_sum = 0, rd_sum = 0, wr_replies = 0;
	uint64_t replies = 0, outcomes[MSG_OUT_COUNT] = { 0 };
	int rc = 1;
	e2e_pump *p = bu_begin(NAME, 60 + 30 * (unsigned)fig_nruns(), &loop, 0);
	if (!p)
		return 1;
	if (fx_patients(p, "b", MANY + 1, keys) < 0)
		goto out;
	static const int conc[2] = { 1, MANY };
	for (int c = 0; c < 2; c++) {
		struct lc_config cfg = {
			.addr = e2e_addr(p), .proto = LC_NOISE, .pump_pub = e2e_pump_pub(p),
			.keys = (const uint8_t (*)[32])(c ? keys[0] : keys[MANY]),
			.n = (size_t)conc[c], .name = c ? "bolus 50" : "bolus 1",
		};
		if (lc_new(&loop, &cfg, &lc[c]) < 0 || lc_connect(lc[c], 20000) < 0)
			goto out;
	}
	for (int run = 0; run < fig_nruns(); run++)
		for (int k = 0; k < 2; k++) {
			int c = (k + run) % 2;
			struct lc_result r;
			int64_t c0 = bu_cpu_us(e2e_pid(p)), w0 = bu_syscw(e2e_pid(p));
			int64_t r0 = bu_proc_field(e2e_pid(p), "io", "syscr");
			if (lc_run(lc[c], MSG_BOLUS, WARM_MS, RUN_MS, &r) < 0)
				goto out;
			if (r.all)
				fig_add(&cpu[c], (double)(bu_cpu_us(e2e_pid(p)) - c0) /
				        (double)r.all);
			int64_t w1 = bu_syscw(e2e_pid(p)), r1 = bu_proc_field(e2e_pid(p), "io", "syscr");
			if (c == 1 && w0 >= 0 && w1 >= w0 && r0 >= 0 && r1 >= r0) {
				wr_sum += w1 - w0;
				rd_sum += r1 - r0;
				wr_replies += (int64_t)r.all;
			}
			if (r.bad) {
				fprintf(stderr, "%s: %llu BOLUS replies were errors (not OK)\n",
				        NAME, (unsigned long long)r.bad);
				goto out;
			}
			fig_add(&rps[c], r.rps);
			fig_add(&p99[c], r.p99_us);
			replies += r.ops;
			for (int o = 0; o < MSG_OUT_COUNT; o++)
				outcomes[o] += r.outcome[o];
		}
	/* lockstep rounds: every remote's next BOLUS only when all MANY were
	 * answered, so a turn holds about MANY of them whatever the disk's
	 * fsync time: the CPU per reply to compare two builds by */
	struct fig_runs cpu_rounds = { 0 };
	for (int run = 0; run < fig_nruns(); run++) {
		int64_t c0 = bu_cpu_us(e2e_pid(p)), n = 0;
		for (int k = 0; k < ROUNDS; k++) {
			struct lc_result r;
			if (lc_each(lc[1], MSG_BOLUS, 10000, &r) < 0 || r.bad) {
				fprintf(stderr, "%s: a lockstep round failed\n", NAME);
				goto out;
			}
			n += (int64_t)r.ops;
			replies += r.ops;
			for (int o = 0; o < MSG_OUT_COUNT; o++)
				outcomes[o] += r.outcome[o];
		}
		if (n)
			fig_add(&cpu_rounds, (double)(bu_cpu_us(e2e_pid(p)) - c0) /
			        (double)n);
	}
	const char *perf = getenv("BENCH_PERF");
	if (perf && *perf) {
		/* one more 50-remote run with perf on pumpd (its replies counted
		 * in the durability check too) */
		char f[600], line[160];
		struct lc_result r;
		snprintf(f, sizeof f, "%s.bolus-pumpd", perf);
		int pp = bu_perf_start(e2e_pid(p), f);
		if (pp > 0) {
			int ok = lc_run(lc[1], MSG_BOLUS, 500, 3000, &r) == 0 && !r.bad;
			if (ok) {
				replies += r.ops;
				for (int o = 0; o < MSG_OUT_COUNT; o++)
					outcomes[o] += r.outcome[o];
			}
			snprintf(line, sizeof line, "pumpd during a %d-remote BOLUS run "
			         "(%.0f replies/s)", MANY, r.rps);
			bu_perf_stop(pp, f, ok, line);
		}
	}
	lc_free(lc[0]);
	lc_free(lc[1]);
	lc[0] = lc[1] = NULL;
	/* durable: a history row for every reply counted (and the warm-ups) */
	int pid = e2e_pid(p);
	e2e_stop(p);
	printf("  stopped pumpd pid %d to count its history rows\n", pid);
	int64_t rows = history_rows(e2e_state_dir(p));
	if (rows < (int64_t)replies) {
		fprintf(stderr, "%s: %lld history rows in the database for %llu BOLUS "
		        "replies\n", NAME, (long long)rows, (unsigned long long)replies);
		goto out;
	}
	char mix[256];
	snprintf(mix, sizeof mix, "%llu timed replies: %llu granted, %llu running, "
	         "%llu lockout, %llu daily count, %llu other; %lld history rows "
	         "in the database (>= replies: every one durable)",
	         (unsigned long long)replies,
	         (unsigned long long)outcomes[MSG_OUT_GRANTED],
	         (unsigned long long)outcomes[MSG_OUT_RUNNING],
	         (unsigned long long)outcomes[MSG_OUT_LOCKOUT],
	         (unsigned long long)outcomes[MSG_OUT_DAILY_COUNT],
	         (unsigned long long)(replies - outcomes[MSG_OUT_GRANTED] -
	                              outcomes[MSG_OUT_RUNNING] -
	                              outcomes[MSG_OUT_LOCKOUT] -
	                              outcomes[MSG_OUT_DAILY_COUNT]),
	         (long long)rows);

	const char *sock = getenv("REDIS_AOF_SOCK");
	int have = sock && *sock;
	if (have) {
		int fd = rds_connect(sock);
		int64_t aof = fd >= 0 ? rds_info(fd, "aof_enabled") : -1;
		int rpid = fd >= 0 ? (int)rds_info(fd, "process_id") : -1;
		if (fd >= 0)
			close(fd);
		have = aof == 1 && rpid > 0 &&
		       redis_set(sock, rpid, 1, &rset[0], &rcpu[0]) == 0 &&
		       redis_set(sock, rpid, MANY, &rset[1], &rcpu[1]) == 0;
		if (!have)
			fprintf(stderr, "%s: redis at %s did not answer (or has no "
			        "append-only file)\n", NAME, sock);
	} else {
		printf("  anchor skipped: no redis-server with appendfsync always "
		       "(sh scripts/deps.sh bench)\n");
	}
	static const char *const names[2] = { "bolus_rps_1_unix", "bolus_rps_50_unix" };
	for (int c = 1; c >= 0; c--) {
		char an[128], note[512];
		snprintf(an, sizeof an, "redis SET appendfsync always, %d client%s "
		         "(redis-benchmark)", conc[c], c ? "s" : "");
		snprintf(note, sizeof note, "p99 %.0f us; %s", fig_median(&p99[c]),
		         c ? mix : "one remote, one BOLUS at a time");
		struct fig f = {
			.name = names[c], .unit = "replies/s", .runs = &rps[c],
			.anchor_name = have ? an : NULL, .anchor = have ? &rset[c] : NULL,
			.target_on = c ? FIG_ON_RATIO : FIG_NO_TARGET, .target = 1.0,
			.higher_is_better = 1, .note = note,
		};
		fig_emit(&f);
		if (c == 0)
			continue;
		snprintf(an, sizeof an, "redis-server's CPU per SET, appendfsync "
		         "always, %d clients", conc[c]);
		char cnote[384];
		snprintf(cnote, sizeof cnote, "the server's CPU time (every thread, "
		         "/proc schedstat) per reply over a run, the time in fsync "
		         "not counted; per reply %.2f write syscalls (/proc io syscw: "
		         "socket writes of replies and notifications, WAL, log) and "
		         "%.2f reads (syscr)",
		         wr_replies ? (double)wr_sum / (double)wr_replies : 0.0,
		         wr_replies ? (double)rd_sum / (double)wr_replies : 0.0);
		struct fig g = {
			.name = "bolus_cpu_us_50_unix", .unit = "us", .runs = &cpu[c],
			.anchor_name = have ? an : NULL, .anchor = have ? &rcpu[c] : NULL,
			.higher_is_better = 0,
			.note = cnote,
		};
		fig_emit(&g);
	}
	char rnote[200];
	snprintf(rnote, sizeof rnote, "pumpd's CPU per reply, %d remotes in %d "
	         "lockstep rounds per run (turns of about %d, whatever the fsync "
	         "time: compare builds by this)", MANY, ROUNDS, MANY);
	struct fig g = {
		.name = "bolus_cpu_us_50_rounds", .unit = "us", .runs = &cpu_rounds,
		.higher_is_better = 0, .note = rnote,
	};
	fig_emit(&g);
	rc = 0;
out:
	lc_free(lc[0]);
	lc_free(lc[1]);
	bu_pump_free(p);
	sodium_memzero(keys, sizeof keys);
	return bu_end(NAME, &loop, rc);
}
