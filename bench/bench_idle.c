/*
 * bench/bench_idle.c — what idle remotes cost: memory per connected remote
 * and the CPU of pumpd and ptm while nothing happens, beside redis-server
 * with as many idle clients, in the same run.
 *
 *   mem_per_remote  pumpd (real clock) with NREM extra paired patients:
 *                   RSS after one warm-up session came and went, then with
 *                   NREM idle authenticated sessions (net/client, one STATUS
 *                   each), difference / NREM.  Anchor: redis-server's RSS
 *                   and INFO used_memory with NREM idle clients (one PING
 *                   each) minus with none, / NREM.
 *                   (printed only: bench_remotes measures 10,000)
 *   idle_cpu_ms_pumpd, idle_cpu_ms_ptm
 *                   then ptm (the real TUI, in an 80x24 tmux pane, paired
 *                   as "patient") joins, and for WINDOW_MS nothing is asked:
 *                   the NREM + 1 sessions only exchange keepalives (every
 *                   10 s each way, the peer default, so the window holds at
 *                   least one round on every session).  CPU time (every
 *                   thread, /proc/PID/task/TID/schedstat) of pumpd, ptm and
 *                   redis-server (the anchor) over the same window; one
 *                   window per run, back to back.
 *
 * The benchmark's own client loop answers the keepalives; its CPU is not
 * counted.  A missing redis-server or tmux skips that part with a line.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <uv.h>

#include <sodium.h>

#include "bench/fig.h"
#include "bench/redis.h"
#include "bench/util.h"
#include "crypto/keys.h"
#include "net/client.h"
#include "net/msg.h"
#include "tests/lib/e2e.h"

#define NAME      "bench_idle"
#define NREM      100
#define WINDOW_MS 12000
#define WAIT_MS   20000

struct rem {
	struct client *c;
	uint8_t priv[32];
	int up, replied, closed;
};

struct idle {
	uv_loop_t loop;
	e2e_pump *p;
	struct rem r[NREM + 1];   /* r[NREM]: the warm-up remote */
	int n_up, n_replied, n_closed, n_failed;
	char tmux[256];
	int ptm_pid;
};

/* ---- a loop that stops on a count or a deadline ------------------------- */

static void on_deadline(uv_timer_t *t)
{
	*(int *)t->data = 1;
}

/* Run the loop until *count >= target or timeout_ms passed: 0 or -1. */
static int run_until(uv_loop_t *loop, const int *count, int target, int timeout_ms)
{
	uv_timer_t t;
	int expired = 0;
	uv_timer_init(loop, &t);
	t.data = &expired;
	uv_timer_start(&t, on_deadline, (uint64_t)timeout_ms, 0);
	while (*count < target && !expired)
		uv_run(loop, UV_RUN_ONCE);
	uv_close((uv_handle_t *)&t, NULL);
	uv_run(loop, UV_RUN_NOWAIT);
	return *count >= target ? 0 : -1;
}

/* ---- the remotes ------------------------------------------------------- */

static struct idle *G;

static void on_link(void *ud, int state, int reason)
{
	struct rem *r = ud;
	(void)reason;
	if (state == CLIENT_UP && !r->up) {
		r->up = 1;
		G->n_up++;
	} else if (state == CLIENT_DOWN && r->up) {
		r->up = 0;
		G->n_up--;
		G->n_failed++;
	}
}

static void on_reply(void *ud, int status, const struct msg_reply *reply)
{
	struct rem *r = ud;
	if (status == 0 && reply->err == MSG_OK)
		r->replied = 1;
	else
		G->n_failed++;
	G->n_replied++;
}

static void on_closed(void *ud)
{
	struct rem *r = ud;
	r->closed = 1;
	G->n_closed++;
}

static int pair_all(struct idle *s)
{
	const char *state = e2e_state_dir(s->p);
	for (int i = 0; i <= NREM; i++) {
		uint8_t pub[32];
		char b64[KEYS_B64LEN], name[16], out[512];
		snprintf(name, sizeof name, "b%03d", i);
		if (keys_generate(s->r[i].priv, pub) < 0)
			return bu_fail(NAME, "key generation failed");
		keys_format_public(pub, b64);
		const char *argv[] = { "pair", state, "--role", "patient", "--name",
		                       name, "--key", b64, NULL };
		if (e2e_cli(argv, out, sizeof out) != 0) {
			fprintf(stderr, "%s: pumpd pair %s: %s\n", NAME, name, out);
			return -1;
		}
	}
	return 0;
}

/* connect remotes [from, to), one STATUS each, wait for every reply */
static int connect_range(struct idle *s, int from, int to)
{
	struct client_config cfg;
	for (int i = from; i < to; i++) {
		memset(&cfg, 0, sizeof cfg);
		cfg.address = e2e_addr(s->p);
		cfg.key = s->r[i].priv;
		cfg.pump_key = e2e_pump_pub(s->p);
		cfg.ud = &s->r[i];
		cfg.on_link = on_link;
		if (client_new(&s->loop, &cfg, &s->r[i].c) != 0)
			return bu_fail(NAME, "client_new failed");
	}
	int want = s->n_up + (to - from);
	if (run_until(&s->loop, &s->n_up, want, WAIT_MS) < 0) {
		fprintf(stderr, "%s: %d of %d sessions up after %d s (%d closed, %d "
		        "failed)\n", NAME, s->n_up, want, WAIT_MS / 1000, s->n_closed,
		        s->n_failed);
		return bu_fail(NAME, "not every remote got a session with pumpd");
	}
	want = s->n_replied + (to - from);
	for (int i = from; i < to; i++) {
		struct msg_request q = { .type = MSG_STATUS };
		if (client_request(s->r[i].c, &q, on_reply, &s->r[i]) < 0)
			return bu_fail(NAME, "client_request failed");
	}
	if (run_until(&s->loop, &s->n_replied, want, WAIT_MS) < 0 || s->n_failed)
		return bu_fail(NAME, "a STATUS failed");
	return 0;
}

static void close_all(struct idle *s)
{
	int want = 0;
	for (int i = 0; i <= NREM; i++)
		if (s->r[i].c && !s->r[i].closed) {
			client_close(s->r[i].c, on_closed, &s->r[i]);
			s->r[i].c = NULL;
			want++;
		}
	want += s->n_closed;
	run_until(&s->loop, &s->n_closed, want, WAIT_MS);
	for (int i = 0; i <= NREM; i++)
		sodium_memzero(s->r[i].priv, sizeof s->r[i].priv);
}

/* ---- redis --------------------------------------------------------------- */

struct redis_mem {
	int ok, pid, fd[NREM];
	long rss0, rss1;
	int64_t used0, used1, clients;
	char version[32];
};

static void redis_open(struct redis_mem *m)
{
	const char *sock = getenv("REDIS_SOCK");
	memset(m, 0, sizeof *m);
	for (int i = 0; i < NREM; i++)
		m->fd[i] = -1;
	if (!sock || !*sock)
		return;
	int ctl = rds_connect(sock);
	if (ctl < 0)
		return;
	char r[64];
	m->pid = (int)rds_info(ctl, "process_id");
	rds_version(ctl, m->version, sizeof m->version);
	m->used0 = rds_info(ctl, "used_memory");
	m->rss0 = m->pid > 0 ? bu_rss_kb(m->pid) : -1;
	int ok = m->pid > 0 && m->used0 > 0 && m->rss0 > 0;
	for (int i = 0; i < NREM && ok; i++) {
		m->fd[i] = rds_connect(sock);
		ok = m->fd[i] >= 0 && rds_call(m->fd[i], RDS_PING, r, sizeof r) > 0;
	}
	if (ok) {
		m->used1 = rds_info(ctl, "used_memory");
		m->clients = rds_info(ctl, "connected_clients");
		m->rss1 = bu_rss_kb(m->pid);
		m->ok = m->used1 > 0 && m->rss1 > 0 && m->clients >= NREM;
	}
	close(ctl);
	if (!m->ok)
		fprintf(stderr, "%s: redis at %s did not answer as expected\n", NAME, sock);
}

static void redis_close(struct redis_mem *m)
{
	for (int i = 0; i < NREM; i++)
		if (m->fd[i] >= 0)
			close(m->fd[i]);
}

/* ---- ptm in tmux --------------------------------------------------------- */

static int sh(const char *cmd)
{
	int rc = system(cmd);
	return rc == 0 ? 0 : -1;
}

/* The screen's link line says connected ("Link: Connected to pump"; the
 * case of the wording is not the point). */
static int link_up(const char *screen)
{
	for (const char *l = strstr(screen, "Link: "); l; l = strstr(l + 1, "Link: "))
		if (strncasecmp(l + 6, "connected", 9) == 0)
			return 1;
	return 0;
}

/* Start ptm as "patient" in a private tmux server and wait until its screen
 * says the link is up.  0 and s->ptm_pid, or -1. */
static int ptm_start(struct idle *s)
{
	char cmd[2048], screen[8192];
	const char *build = getenv("PTM_BUILD");
	if (sh("command -v tmux >/dev/null 2>&1") < 0)
		return -1;
	snprintf(s->tmux, sizeof s->tmux, "%s/tmux.sock", e2e_dir(s->p));
	bu_watch_tmux(s->tmux);
	snprintf(cmd, sizeof cmd,
	         "tmux -S '%s' -f /dev/null new-session -d -s ptm -x 80 -y 24 "
	         "\"exec '%s/ptm' --pump '%s' --key '%s' --pump-key '%s/pump.pub' "
	         "2>'%s/ptm.err'\"",
	         s->tmux, build && *build ? build : "build", e2e_addr(s->p),
	         e2e_key_path(s->p, "patient", 0), e2e_state_dir(s->p), e2e_dir(s->p));
	if (sh(cmd) < 0)
		return bu_fail(NAME, "tmux new-session failed");
	int64_t end = bu_now_ns() + (int64_t)WAIT_MS * 1000000;
	snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p -t ptm 2>/dev/null",
	         s->tmux);
	for (;;) {
		FILE *f = popen(cmd, "r");
		size_t n = f ? fread(screen, 1, sizeof screen - 1, f) : 0;
		if (f)
			pclose(f);
		screen[n] = '\0';
		if (link_up(screen))
			break;
		if (bu_now_ns() > end) {
			fprintf(stderr, "%s: ptm never showed the link up; screen:\n%s\n",
			        NAME, screen);
			return -1;
		}
		/* re-capture: a short pause between polls of the screen */
		uv_sleep(20);
	}
	snprintf(cmd, sizeof cmd, "tmux -S '%s' display-message -p -t ptm "
	         "'#{pane_pid}'", s->tmux);
	FILE *f = popen(cmd, "r");
	if (!f || !fgets(screen, sizeof screen, f)) {
		if (f)
			pclose(f);
		return bu_fail(NAME, "no pane pid from tmux");
	}
	pclose(f);
	s->ptm_pid = atoi(screen);
	return s->ptm_pid > 0 ? 0 : -1;
}

static void ptm_stop(struct idle *s)
{
	char cmd[512];
	if (!s->tmux[0])
		return;
	snprintf(cmd, sizeof cmd, "tmux -S '%s' kill-server >/dev/null 2>&1", s->tmux);
	(void)sh(cmd);
	bu_unwatch_tmux(s->tmux);
}

/* ---- main ---------------------------------------------------------------- */

static void on_window(uv_timer_t *t)
{
	uv_stop(t->loop);
}

int main(void)
{
	static struct idle s;
	int rc = 1;
	bu_guard(NAME, 60 + 25 * (unsigned)fig_nruns());
	G = &s;
	if (sodium_init() < 0 || uv_loop_init(&s.loop) != 0)
		return 1;
	s.p = bu_pump_start(NULL, E2E_REAL_CLOCK);
	if (!s.p)
		return bu_fail(NAME, "pumpd did not start"), 1;
	int pid = e2e_pid(s.p);
	struct redis_mem m;
	memset(&m, 0, sizeof m);
	for (int i = 0; i < NREM; i++)
		m.fd[i] = -1;

	/* memory: 0 sessions (after a warm-up one came and went), then NREM */
	if (pair_all(&s) < 0 || connect_range(&s, NREM, NREM + 1) < 0)
		goto out;
	client_close(s.r[NREM].c, on_closed, &s.r[NREM]);
	s.r[NREM].c = NULL;
	if (run_until(&s.loop, &s.n_closed, 1, WAIT_MS) < 0)
		goto out;
	s.n_up = 0;
	long rss0 = bu_rss_kb(pid);
	if (connect_range(&s, 0, NREM) < 0)
		goto out;
	long rss1 = bu_rss_kb(pid);
	redis_open(&m);
	if (m.ok)
		printf("mem_per_remote: %.1f KiB per idle authenticated session "
		       "(pumpd RSS %ld KiB with 0, %ld KiB with %d)   (anchor: "
		       "redis-server %s: %.1f KiB per idle client by RSS, %.1f KiB "
		       "by INFO used_memory, %d clients, same run)\n",
		       (double)(rss1 - rss0) / NREM, rss0, rss1, NREM, m.version,
		       (double)(m.rss1 - m.rss0) / NREM,
		       (double)(m.used1 - m.used0) / 1024.0 / NREM, NREM);
	else
		printf("mem_per_remote: %.1f KiB per idle authenticated session "
		       "(pumpd RSS %ld KiB with 0, %ld KiB with %d)   (anchor "
		       "skipped: no redis-server; run scripts/deps.sh bench)\n",
		       (double)(rss1 - rss0) / NREM, rss0, rss1, NREM);
	fflush(stdout);

	/* idle CPU over one window, ptm in a tmux pane too */
	int have_ptm = ptm_start(&s) == 0;
	if (!have_ptm)
		fprintf(stderr, "%s: ptm part skipped (no tmux, or ptm did not "
		        "connect)\n", NAME);
	struct fig_runs f_pump = { 0 }, f_ptm = { 0 }, f_rds = { 0 };
	int64_t w_pump = 0;
	for (int win = 0; win < fig_nruns(); win++) {
		int64_t c_pump = bu_cpu_us(pid), w0 = bu_syscw(pid);
		int64_t c_ptm = have_ptm ? bu_cpu_us(s.ptm_pid) : -1;
		int64_t c_rds = m.ok ? bu_cpu_us(m.pid) : -1;
		uv_timer_t w;
		uv_timer_init(&s.loop, &w);
		uv_update_time(&s.loop);  /* the loop did not run meanwhile */
		int64_t t0 = bu_now_ns();
		uv_timer_start(&w, on_window, WINDOW_MS, 0);
		uv_run(&s.loop, UV_RUN_DEFAULT);
		int64_t window_ms = (bu_now_ns() - t0) / 1000000;
		uv_close((uv_handle_t *)&w, NULL);
		uv_run(&s.loop, UV_RUN_NOWAIT);
		c_pump = bu_cpu_us(pid) - c_pump;
		w_pump += bu_syscw(pid) - w0;
		if (have_ptm)
			c_ptm = bu_cpu_us(s.ptm_pid) - c_ptm;
		if (c_rds >= 0)
			c_rds = bu_cpu_us(m.pid) - c_rds;
		if (window_ms < WINDOW_MS) {
			fprintf(stderr, "%s: the window lasted %" PRId64 " ms, not %d\n",
			        NAME, window_ms, WINDOW_MS);
			goto out;
		}
		if (s.n_up != NREM || s.n_failed) {
			fprintf(stderr, "%s: sessions dropped during the idle window (%d "
			        "of %d up)\n", NAME, s.n_up, NREM);
			goto out;
		}
		fig_add(&f_pump, (double)c_pump / 1e3);
		if (have_ptm)
			fig_add(&f_ptm, (double)c_ptm / 1e3);
		if (c_rds >= 0)
			fig_add(&f_rds, (double)c_rds / 1e3);
	}
	char an[128], note[256];
	snprintf(an, sizeof an, "redis-server idle with %d clients, same window", NREM);
	snprintf(note, sizeof note, "CPU time over %d s with %d sessions and "
	         "keepalives (%" PRId64 " write calls in all windows); target: no "
	         "worse than before this work (1.1 ms, issue 12)", WINDOW_MS / 1000,
	         NREM + have_ptm, w_pump);
	struct fig f = {
		.name = "idle_cpu_ms_pumpd", .unit = "ms", .runs = &f_pump,
		.anchor_name = f_rds.n ? an : NULL, .anchor = f_rds.n ? &f_rds : NULL,
		.target_on = FIG_ON_VALUE, .target = 1.1, .higher_is_better = 0,
		.note = note,
	};
	fig_emit(&f);
	if (have_ptm) {
		snprintf(note, sizeof note, "ptm (the real TUI, 80x24 tmux pane) "
		         "connected, nothing asked, over %d s", WINDOW_MS / 1000);
		struct fig g = {
			.name = "idle_cpu_ms_ptm", .unit = "ms", .runs = &f_ptm,
			.anchor_name = f_rds.n ? an : NULL, .anchor = f_rds.n ? &f_rds : NULL,
			.higher_is_better = 0, .note = note,
		};
		fig_emit(&g);
	} else {
		printf("  idle_cpu_ms_ptm skipped (no tmux, or ptm did not connect: "
		       "see above)\n");
	}
	rc = 0;
out:
	ptm_stop(&s);
	close_all(&s);
	redis_close(&m);
	bu_pump_free(s.p);
	return bu_end(NAME, &s.loop, rc);
}
