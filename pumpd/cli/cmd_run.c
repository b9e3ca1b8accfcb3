/* pumpd/cli/cmd_run.c — pumpd run: serve the pump until SIGTERM or SIGINT
 * (see cmd.h, pumpd(8)). */
#include "pumpd/cli/cmd.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <uv.h>

#include "crypto/crypto.h"
#include "pumpd/cli/cli.h"
#include "pumpd/clock.h"
#include "pumpd/druglib.h"
#include "pumpd/cli/rxlimit.h"
#include "pumpd/log.h"
#include "pumpd/server.h"

static const char usage_run[] =
	"usage: pumpd run DIR [options]\n"
	"\n"
	"Serve the pump in DIR until SIGTERM or SIGINT (which stop accepting and\n"
	"deliver the replies already on their way first; a second one hurries).\n"
	"  --listen ADDR            tcp:HOST:PORT or unix:PATH (repeatable, up to 4);\n"
	"                           default tcp:127.0.0.1:7470 when no --listen/--unix\n"
	"  --unix PATH              same as --listen unix:PATH\n"
	"  --sim                    simulated clock (testers move it); starts at the\n"
	"                           stored pump time\n"
	"  --speed N                simulated clock speed: 0 frozen, 1 real time (default), N x\n"
	"  --ready-fd FD            when listening, write \"READY ADDR...\\n\" to FD and close it\n"
	"  --log-level LEVEL        error, warn, info (default) or debug\n"
	"  --handshake-timeout MS   handshake deadline, 100.. (default 5000)\n"
	"  --frame-timeout MS       a started frame completes within MS, 100..\n"
	"                           (default 5000)\n"
	"  --max-sessions N         authenticated sessions at once (default 16384)\n"
	"  --max-peers N            the same (its older name)\n"
	"  --max-preauth N          connections still in their handshake at once\n"
	"                           (default 512; more evict the oldest)\n"
	"  --preauth-per-source N   of those, from one source: an IP address (IPv6\n"
	"                           /64) or a local process (default 128)\n"
	"  --drug-library FILE      the drug library PROGRAM, STAGE and a REFILL's new\n"
	"                           concentration are checked against (format:\n"
	"                           pumpd(8), DRUG LIBRARY); 'none': no limits;\n"
	"                           default the shipped one (data/druglib.txt, built in)\n"
	"  --db-max-pages N         testing: cap the database size (simulates a full disk)\n";

struct run_opts {
	struct server_config cfg;
	unsigned nlisten;
	char unix_addr[PEER_LISTEN_MAX][128];
	int ready_fd;
	int speed_given;
	const char *druglib;         /* --drug-library, NULL = the shipped one */
	int bad;
};

/* 127.0.0.0/8 or ::1 */
static int loopback(const struct peer_addr *pa)
{
	return strncmp(pa->host, "127.", 4) == 0 || strcmp(pa->host, "::1") == 0;
}

/* pumpd holds one descriptor per connection: as many as the hard limit
 * allows, said when that is fewer than the connections it may hold. */
static void raise_nofile(unsigned want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	rlim_t before = rl.rlim_cur;
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		if (setrlimit(RLIMIT_NOFILE, &rl) < 0)
			rl.rlim_cur = before;
	}
	if (rl.rlim_cur < (rlim_t)want + 64)
		log_warn("open files limited to %llu (hard limit %llu): fewer than "
		         "the %u connections pumpd may hold; raise it (ulimit -n) "
		         "to serve that many", (unsigned long long)rl.rlim_cur,
		         (unsigned long long)rl.rlim_max, want);
	else if (rl.rlim_cur != before)
		log_debug("open files limit raised from %llu to %llu",
		          (unsigned long long)before, (unsigned long long)rl.rlim_cur);
}

static int set_u32(const char *name, const char *arg, uint64_t min,
                   uint64_t max, uint32_t *out)
{
	uint64_t v;
	if (cli_parse_uint(arg, max, &v) < 0 || v < min) {
		return cli_usage_error("run", "%s '%s' must be a whole number from %"
		                       PRIu64 " to %" PRIu64, name, arg, min, max);
	}
	*out = (uint32_t)v;
	return 0;
}

static int run_opt(void *ud, int c, const char *arg)
{
	struct run_opts *o = ud;
	uint32_t v = 0;
	int r;
	switch (c) {
	case 'l':
	case 'u':
		if (o->nlisten >= PEER_LISTEN_MAX)
			return cli_usage_error("run", "at most 4 addresses");
		if (c == 'u') {
			if (strlen(arg) + 6 > sizeof o->unix_addr[0])
				return cli_usage_error("run", "unix path too long: %s", arg);
			snprintf(o->unix_addr[o->nlisten], sizeof o->unix_addr[0],
			         "unix:%s", arg);
			arg = o->unix_addr[o->nlisten];
		}
		{
			struct peer_addr pa;
			if (peer_addr_parse(arg, &pa) < 0)
				return cli_usage_error("run", "bad address '%s' (use "
				                       "tcp:HOST:PORT or unix:PATH)", arg);
			if (pa.kind == PEER_ADDR_TCP && !loopback(&pa))
				log_warn("%s is reachable beyond this machine: every host "
				         "that can reach it can try handshakes (only paired "
				         "keys get in); the pump is meant for loopback",
				         arg);
		}
		o->cfg.listen[o->nlisten++] = arg;
		return 0;
	case 's':
		o->cfg.sim = 1;
		return 0;
	case 'S':
		o->speed_given = 1;
		if ((r = set_u32("--speed", arg, 0, PCLOCK_SPEED_MAX, &o->cfg.speed)))
			return r;
		return 0;
	case 'R':
		if ((r = set_u32("--ready-fd", arg, 0, 65535, &v)))
			return r;
		o->ready_fd = (int)v;
		return 0;
	case 'L': {
		int lv = log_level_parse(arg);
		if (lv < 0)
			return cli_usage_error("run", "--log-level '%s' must be error, "
			                       "warn, info or debug", arg);
		log_set_level(lv);
		return 0;
	}
	case 'D':
		o->druglib = arg;
		return 0;
	case 'H':
		return set_u32("--handshake-timeout", arg, 100, 600000, &o->cfg.handshake_ms);
	case 'F':
		return set_u32("--frame-timeout", arg, 100, 600000, &o->cfg.frame_ms);
	case 'm':
	case 'M':
		if ((r = set_u32(c == 'm' ? "--max-peers" : "--max-sessions", arg, 1,
		                 1000000, &v)))
			return r;
		o->cfg.max_sessions = v;
		return 0;
	case 'A':
		if ((r = set_u32("--max-preauth", arg, 1, 65535, &v)))
			return r;
		o->cfg.max_preauth = v;
		return 0;
	case 'O':
		if ((r = set_u32("--preauth-per-source", arg, 1, 65535, &v)))
			return r;
		o->cfg.preauth_per_source = v;
		return 0;
	case 'P':
		return set_u32("--db-max-pages", arg, 1, UINT32_MAX, &o->cfg.db_max_pages);
	}
	return cli_usage_error("run", "unknown option");
}

static int load_druglib(struct run_opts *o)
{
	const char *what;
	if (rxlimit_load("run", o->druglib, &o->cfg.druglib, &what) < 0)
		return -1;
	if (!o->cfg.druglib)
		log_warn("no drug library (--drug-library none): PROGRAM, STAGE and "
		         "REFILL are not checked against drug limits");
	else
		log_info("drug library %s: %u drugs", what, o->cfg.druglib->n);
	return 0;
}

static struct server *g_srv;
static int g_stopping;
static uv_signal_t g_sigterm, g_sigint;

static void server_closed(void *ud)
{
	(void)ud;
	g_srv = NULL;
	uv_close((uv_handle_t *)&g_sigterm, NULL);
	uv_close((uv_handle_t *)&g_sigint, NULL);
	log_info("stopped");
}

/* The first SIGTERM/SIGINT stops gracefully (what is queued is delivered);
 * a second one stops waiting for slow remotes. */
static void on_signal(uv_signal_t *h, int sig)
{
	(void)h;
	if (!g_srv)
		return;
	const char *name = sig == SIGTERM ? "SIGTERM" : "SIGINT";
	if (g_stopping) {
		log_info("%s again: closing now", name);
		server_close_now(g_srv);
		return;
	}
	g_stopping = 1;
	log_info("%s: stopping", name);
	server_close(g_srv, 0, server_closed, NULL);
}

static const struct option run_options[] = {
	{ "listen", required_argument, NULL, 'l' },
	{ "unix", required_argument, NULL, 'u' },
	{ "sim", no_argument, NULL, 's' },
	{ "speed", required_argument, NULL, 'S' },
	{ "ready-fd", required_argument, NULL, 'R' },
	{ "log-level", required_argument, NULL, 'L' },
	{ "handshake-timeout", required_argument, NULL, 'H' },
	{ "frame-timeout", required_argument, NULL, 'F' },
	{ "max-peers", required_argument, NULL, 'm' },
	{ "max-sessions", required_argument, NULL, 'M' },
	{ "max-preauth", required_argument, NULL, 'A' },
	{ "preauth-per-source", required_argument, NULL, 'O' },
	{ "db-max-pages", required_argument, NULL, 'P' },
	{ "drug-library", required_argument, NULL, 'D' },
	{ "help", no_argument, NULL, 'h' },
	{ NULL, 0, NULL, 0 }
};

static const struct run_opts run_defaults = { .ready_fd = -1, .cfg.speed = 1 };

static int run_go(const char **pos, int npos, void *ud)
{
	(void)npos;
	struct run_opts *o = ud;
	if (o->ready_fd >= 0 && fcntl(o->ready_fd, F_GETFD) < 0) {
		return cli_usage_error("run", "--ready-fd is not an open file "
		                       "descriptor");
	}
	if (o->nlisten == 0)
		o->cfg.listen[o->nlisten++] = "tcp:127.0.0.1:7470";
	o->cfg.dir = pos[0];
	if (!o->cfg.sim && o->speed_given) {
		return cli_usage_error("run", "--speed needs --sim (the real clock "
		                       "runs at real time)");
	}

	if (load_druglib(o) < 0)
		return CLI_RUN;
	signal(SIGPIPE, SIG_IGN);
	raise_nofile((o->cfg.max_sessions ? o->cfg.max_sessions : PEER_DEF_MAX_SESSIONS) +
	             (o->cfg.max_preauth ? o->cfg.max_preauth : PEER_DEF_MAX_PREAUTH));
	if (crypto_init() < 0) {
		fprintf(stderr, "pumpd: cannot initialise libsodium\n");
		druglib_free(o->cfg.druglib);
		return CLI_RUN;
	}
	uv_loop_t loop;
	uv_loop_init(&loop);
	char err[512];
	struct server *srv;
	int e = server_new(&loop, &o->cfg, &srv, err, sizeof err);
	if (e < 0) {
		druglib_free(o->cfg.druglib);
		log_error("%s", err);
		uv_loop_close(&loop);
		return CLI_RUN;
	}
	g_srv = srv;
	uv_signal_init(&loop, &g_sigterm);
	uv_signal_init(&loop, &g_sigint);
	uv_signal_start(&g_sigterm, on_signal, SIGTERM);
	uv_signal_start(&g_sigint, on_signal, SIGINT);

	char line[PEER_LISTEN_MAX * (PEER_ADDR_MAX + 1) + 16] = "READY";
	char addrs[PEER_LISTEN_MAX * (PEER_ADDR_MAX + 1)] = "";
	for (unsigned i = 0; i < o->nlisten; i++) {
		char a[PEER_ADDR_MAX];
		if (server_address(srv, i, a, sizeof a) == 0) {
			strcat(line, " ");
			strcat(line, a);
			if (addrs[0])
				strcat(addrs, " ");
			strcat(addrs, a);
		}
	}
	strcat(line, "\n");
	log_info("ready on %s (%s clock)", addrs, o->cfg.sim ? "simulated" : "real");
	if (o->ready_fd >= 0) {
		size_t len = strlen(line);
		ssize_t w = write(o->ready_fd, line, len);
		if (w != (ssize_t)len)
			log_warn("--ready-fd: %s", w < 0 ? strerror(errno) : "short write");
		close(o->ready_fd);
	}
	uv_run(&loop, UV_RUN_DEFAULT);
	e = uv_loop_close(&loop);
	if (e < 0)
		log_warn("loop closed with handles open (%s)", uv_strerror(e));
	return CLI_OK;
}

const struct cli_cmd cmd_run = {
	"run", usage_run, "the state directory", run_options, run_opt,
	sizeof(struct run_opts), &run_defaults, 1, 1, run_go };
