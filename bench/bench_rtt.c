/*
 * bench/bench_rtt.c — request round trip and throughput of pumpd over its
 * unix socket, beside Redis over its unix socket, measured the same way in
 * the same run.
 *
 *   status_rtt         one patient session, one STATUS at a time (write the
 *                      encrypted request, wait for the reply, decode it);
 *                      anchor: redis PING and GET the same way on $REDIS_SOCK
 *   status_throughput  4 sessions (4 paired remotes), each with one STATUS in
 *                      flight; anchor: 4 redis connections doing GET
 *
 * A STATUS is not a cheap read in pumpd: like every request it commits the
 * pump state, an audit row and the request-id memory to SQLite (WAL,
 * synchronous=FULL) before the reply leaves.  bench_bolus compares that
 * durable path with Redis under appendfsync always.
 *
 * pumpd runs with a frozen simulated clock at log level info.  Each loop
 * runs for a fixed time (RUN_NS) after a warm-up; the figures are the mean
 * and the median/99th percentile of the round trips.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "bench/redis.h"
#include "bench/util.h"
#include "net/msg.h"
#include "tests/e2e.h"

#define NAME     "bench_rtt"
#define RUN_NS   1500000000LL   /* each timed loop */
#define WARM     100
#define MAX_OPS  200000
#define NCONC    4

static const char *const remotes[NCONC] = { "patient", "patient2", "clinician", "tester" };

struct fig {
	double mean_us, p50_us, p99_us, ops_s;
	size_t n;
};

static struct msg_from_pump *rx_buf;

/* one STATUS on s: send, then read until the reply with our id */
static int pump_status(e2e_session *s)
{
	struct msg_request q = { .type = MSG_STATUS };
	if (e2e_send(s, &q) < 0)
		return -1;
	for (;;) {
		if (e2e_recv(s, rx_buf, 10000) < 0)
			return -1;
		if (rx_buf->type == MSG_REPLY && rx_buf->u.reply.id == q.id)
			return rx_buf->u.reply.err == MSG_OK ? 0 : -1;
	}
}

static int pump_rtt(e2e_pump *p, struct fig *f)
{
	e2e_session *s = e2e_session_open(p, "patient");
	if (!s)
		return bu_fail(NAME, "no session with pumpd");
	struct bu_lat l;
	if (bu_lat_init(&l, MAX_OPS) < 0) {
		e2e_session_close(s);
		return -1;
	}
	int rc = 0;
	for (int i = 0; i < WARM && rc == 0; i++)
		rc = pump_status(s);
	int64_t end = bu_now_ns() + RUN_NS;
	while (rc == 0 && l.n < MAX_OPS) {
		int64_t t = bu_now_ns();
		if (t >= end)
			break;
		rc = pump_status(s);
		bu_lat_add(&l, bu_now_ns() - t);
	}
	f->n = l.n;
	f->mean_us = bu_lat_mean_us(&l);
	f->p50_us = bu_lat_pct_us(&l, 50);
	f->p99_us = bu_lat_pct_us(&l, 99);
	bu_lat_free(&l);
	e2e_session_close(s);
	return rc < 0 ? bu_fail(NAME, "a STATUS failed") : 0;
}

static int pump_tput(e2e_pump *p, struct fig *f)
{
	e2e_session *s[NCONC] = { 0 };
	int rc = 0;
	for (int i = 0; i < NCONC && rc == 0; i++)
		if (!(s[i] = e2e_session_open(p, remotes[i])))
			rc = bu_fail(NAME, "no session with pumpd");
	size_t ops = 0;
	int64_t t0 = 0, end = 0;
	for (int round = -WARM; rc == 0; round++) {
		if (round == 0) {
			t0 = bu_now_ns();
			end = t0 + RUN_NS;
		}
		if (round >= 0 && (bu_now_ns() >= end || ops >= MAX_OPS))
			break;
		struct msg_request q[NCONC];
		memset(q, 0, sizeof q);
		for (int i = 0; i < NCONC && rc == 0; i++) {
			q[i].type = MSG_STATUS;
			rc = e2e_send(s[i], &q[i]);
		}
		for (int i = 0; i < NCONC && rc == 0; i++)
			for (;;) {
				if ((rc = e2e_recv(s[i], rx_buf, 10000)) < 0)
					break;
				if (rx_buf->type == MSG_REPLY && rx_buf->u.reply.id == q[i].id)
					break;
			}
		if (round >= 0)
			ops += NCONC;
	}
	f->n = ops;
	f->ops_s = (double)ops * 1e9 / (double)(bu_now_ns() - t0);
	for (int i = 0; i < NCONC; i++)
		e2e_session_close(s[i]);
	return rc < 0 ? bu_fail(NAME, "a STATUS failed") : 0;
}

static int redis_rtt(const char *sock, const char *cmd, struct fig *f)
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

static int redis_tput(const char *sock, const char *cmd, struct fig *f)
{
	int fd[NCONC];
	char r[256];
	int rc = 0;
	for (int i = 0; i < NCONC; i++) {
		fd[i] = rds_connect(sock);
		if (fd[i] < 0)
			rc = -1;
	}
	size_t ops = 0;
	int64_t t0 = 0, end = 0;
	for (int round = -WARM; rc == 0; round++) {
		if (round == 0) {
			t0 = bu_now_ns();
			end = t0 + RUN_NS;
		}
		if (round >= 0 && (bu_now_ns() >= end || ops >= MAX_OPS))
			break;
		for (int i = 0; i < NCONC && rc == 0; i++)
			rc = rds_send(fd[i], cmd);
		for (int i = 0; i < NCONC && rc == 0; i++)
			if (rds_recv(fd[i], r, sizeof r, RDS_TIMEOUT_MS) < 0)
				rc = -1;
		if (round >= 0)
			ops += NCONC;
	}
	f->n = ops;
	f->ops_s = (double)ops * 1e9 / (double)(bu_now_ns() - t0);
	for (int i = 0; i < NCONC; i++)
		if (fd[i] >= 0)
			close(fd[i]);
	return rc;
}

int main(void)
{
	bu_guard(NAME, 60);
	rx_buf = malloc(sizeof *rx_buf);
	if (!rx_buf)
		return 1;
	e2e_pump *p = bu_pump_start(NULL, 0);
	if (!p)
		return bu_fail(NAME, "pumpd did not start"), 1;

	struct fig st = { 0 }, tp = { 0 };
	int rc = pump_rtt(p, &st);
	if (rc == 0)
		rc = pump_tput(p, &tp);
	bu_pump_free(p);
	if (rc < 0)
		return 1;

	const char *sock = getenv("REDIS_SOCK");
	struct fig ping = { 0 }, get = { 0 }, rtp = { 0 };
	int have_redis = sock && *sock;
	if (have_redis) {
		char r[64];
		int fd = rds_connect(sock);
		int ok = fd >= 0 && rds_call(fd, RDS_SET, r, sizeof r) >= 0;
		if (fd >= 0)
			close(fd);
		have_redis = ok && redis_rtt(sock, RDS_PING, &ping) == 0 &&
		             redis_rtt(sock, RDS_GET, &get) == 0 &&
		             redis_tput(sock, RDS_GET, &rtp) == 0;
		if (!have_redis)
			fprintf(stderr, "%s: redis at %s did not answer\n", NAME, sock);
	}

	if (have_redis)
		printf("status_rtt: %.0f us/op (p50 %.0f, p99 %.0f; %zu ops)   "
		       "(anchor: redis PING rtt %.0f us/op (p50 %.0f), GET %.0f us/op "
		       "(p50 %.0f, p99 %.0f); same socket kind, same run)\n",
		       st.mean_us, st.p50_us, st.p99_us, st.n, ping.mean_us,
		       ping.p50_us, get.mean_us, get.p50_us, get.p99_us);
	else
		printf("status_rtt: %.0f us/op (p50 %.0f, p99 %.0f; %zu ops)   "
		       "(anchor skipped: no redis-server; run tools/deps.sh bench)\n",
		       st.mean_us, st.p50_us, st.p99_us, st.n);
	if (have_redis)
		printf("status_throughput: %.0f req/s with %d sessions, one request "
		       "in flight each   (anchor: redis GET %.0f ops/s with %d "
		       "connections the same way, same run)\n",
		       tp.ops_s, NCONC, rtp.ops_s, NCONC);
	else
		printf("status_throughput: %.0f req/s with %d sessions   "
		       "(anchor skipped: no redis-server)\n", tp.ops_s, NCONC);
	printf("  note: every pumpd request, STATUS included, is a durable "
	       "SQLite commit (synchronous=FULL) before the reply\n");
	free(rx_buf);
	return 0;
}
