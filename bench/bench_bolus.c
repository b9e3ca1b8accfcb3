/*
 * bench/bench_bolus.c — durable bolus throughput: granted boluses per
 * second, one at a time as a patient's remote sends them, beside Redis
 * writes with appendonly yes + appendfsync always ($REDIS_AOF_SOCK) in the
 * same run.
 *
 * A granted bolus commits the new pump state, its audit row, its history
 * row and the request-id memory in one SQLite transaction (WAL,
 * synchronous=FULL) before the reply leaves; Redis with appendfsync always
 * writes and fsyncs its append-only file before replying.  Both run in
 * temporary directories on the same file system.
 *
 * The pump runs the default prescription (morphine 10 mg/mL, 3 mg/day,
 * bolus 0.5 mg over 10 min, lockout 2 h, 6 per 24 h, ceiling 7 mg), so each
 * reply carries the usual next-refill forecast.  To be granted every time,
 * a tester session moves the frozen simulated clock on by 4 h 1 min before
 * each bolus and refills the reservoir when it falls under 5 mL; those
 * requests (durable too) are not timed.  Every reply is checked: a bolus
 * that was not granted fails the benchmark.  pumpd's own CPU time over the
 * timed boluses is printed too (the rest of the round trip is waiting:
 * mostly fsync).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/redis.h"
#include "bench/util.h"
#include "net/msg.h"
#include "tests/e2e.h"

#define NAME    "bench_bolus"
#define RUN_NS  1500000000LL
#define WARM    20
#define MAX_OPS 20000
#define STEP_MS ((4ull * 60ull + 1ull) * 60000ull)
#define DOSE_NG 500000u          /* the default prescription's bolus */
#define REFILL_BELOW_NL 5000000u
#define CONC_NG_ML 10000000u

struct fig {
	double mean_us, p50_us, p99_us, cpu_us;
	size_t n;
};

/* the tester moves the clock on, and refills when the reservoir runs low */
static int advance(e2e_session *t, struct msg_reply *r)
{
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = STEP_MS;
	if (e2e_request(t, &q, r) < 0 || r->err != MSG_OK)
		return bu_fail(NAME, "the tester's CLOCK advance failed");
	if (r->state.reservoir_nl >= REFILL_BELOW_NL)
		return 0;
	memset(&q, 0, sizeof q);
	q.type = MSG_REFILL;
	q.u.refill.volume_nl = r->state.capacity_nl;
	q.u.refill.concentration_ng_ml = CONC_NG_ML;
	if (e2e_request(t, &q, r) < 0 || r->err != MSG_OK)
		return bu_fail(NAME, "the tester's REFILL failed");
	return 0;
}

static int bolus(e2e_session *s, struct msg_reply *r)
{
	struct msg_request q = { .type = MSG_BOLUS };
	if (e2e_request(s, &q, r) < 0)
		return bu_fail(NAME, "no reply to a BOLUS");
	if (r->err != MSG_OK || r->u.bolus.outcome != MSG_OUT_GRANTED ||
	    r->u.bolus.dose_ng != DOSE_NG) {
		fprintf(stderr, "%s: bolus not granted: err %s outcome %s dose %u ng\n",
		        NAME, msg_err_name(r->err), msg_outcome_name(r->u.bolus.outcome),
		        r->u.bolus.dose_ng);
		return -1;
	}
	return 0;
}

static int pump_boluses(e2e_pump *p, struct fig *f)
{
	struct msg_reply *r = malloc(sizeof *r);
	e2e_session *s = e2e_session_open(p, "patient");
	e2e_session *t = e2e_session_open(p, "tester");
	struct bu_lat l = { 0 };
	int rc = r && s && t && bu_lat_init(&l, MAX_OPS) == 0 ? 0 :
	         bu_fail(NAME, "no sessions with pumpd");
	for (int i = 0; i < WARM && rc == 0; i++)
		if ((rc = advance(t, r)) == 0)
			rc = bolus(s, r);
	int64_t end = bu_now_ns() + RUN_NS, cpu = 0;
	while (rc == 0 && l.n < MAX_OPS && bu_now_ns() < end) {
		if ((rc = advance(t, r)) < 0)
			break;
		int64_t c0 = bu_cpu_us(e2e_pid(p));
		int64_t t0 = bu_now_ns();
		rc = bolus(s, r);
		bu_lat_add(&l, bu_now_ns() - t0);
		cpu += bu_cpu_us(e2e_pid(p)) - c0;
	}
	f->n = l.n;
	f->cpu_us = l.n ? (double)cpu / (double)l.n : 0;
	f->mean_us = bu_lat_mean_us(&l);
	f->p50_us = bu_lat_pct_us(&l, 50);
	f->p99_us = bu_lat_pct_us(&l, 99);
	bu_lat_free(&l);
	e2e_session_close(s);
	e2e_session_close(t);
	free(r);
	return rc;
}

static int redis_writes(const char *sock, const char *cmd, struct fig *f)
{
	struct bu_lat l;
	if (bu_lat_init(&l, MAX_OPS) < 0)
		return -1;
	int rc = rds_time_calls(sock, cmd, WARM, MAX_OPS, RUN_NS, &l);
	f->n = l.n;
	f->mean_us = bu_lat_mean_us(&l);
	f->p50_us = bu_lat_pct_us(&l, 50);
	f->p99_us = bu_lat_pct_us(&l, 99);
	bu_lat_free(&l);
	return rc < 0 ? -1 : 0;
}

int main(void)
{
	bu_guard(NAME, 60);
	e2e_pump *p = bu_pump_start(NULL, 0);
	if (!p)
		return bu_fail(NAME, "pumpd did not start"), 1;
	struct fig b = { 0 };
	int rc = pump_boluses(p, &b);
	bu_pump_free(p);
	if (rc < 0)
		return 1;

	const char *sock = getenv("REDIS_AOF_SOCK");
	struct fig incr = { 0 }, set = { 0 };
	int have = sock && *sock;
	if (have) {
		int fd = rds_connect(sock);
		int64_t fs = fd >= 0 ? rds_info(fd, "aof_enabled") : -1;
		if (fd >= 0)
			close(fd);
		have = fs == 1 && redis_writes(sock, RDS_INCR, &incr) == 0 &&
		       redis_writes(sock, RDS_SET, &set) == 0;
		if (!have)
			fprintf(stderr, "%s: redis at %s did not answer (or has no "
			        "append-only file)\n", NAME, sock);
	}
	double per_s = b.mean_us > 0 ? 1e6 / b.mean_us : 0;
	if (have)
		printf("durable_bolus: %.0f granted boluses/s, %.0f us/op (p50 %.0f, "
		       "p99 %.0f; %zu boluses; pumpd CPU %.0f us/op)   (anchor: redis "
		       "appendfsync always: INCR %.0f ops/s, %.0f us/op (p99 %.0f); "
		       "SET %.0f us/op; one at a time, same socket kind, same run)\n",
		       per_s, b.mean_us, b.p50_us, b.p99_us, b.n, b.cpu_us,
		       incr.mean_us > 0 ? 1e6 / incr.mean_us : 0, incr.mean_us,
		       incr.p99_us, set.mean_us);
	else
		printf("durable_bolus: %.0f granted boluses/s, %.0f us/op (p50 %.0f, "
		       "p99 %.0f; %zu boluses; pumpd CPU %.0f us/op)   (anchor skipped: "
		       "no redis-server with appendfsync always; run tools/deps.sh "
		       "bench)\n", per_s, b.mean_us, b.p50_us, b.p99_us, b.n, b.cpu_us);
	return 0;
}
