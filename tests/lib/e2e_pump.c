/* tests/lib/e2e_pump.c — a real pumpd for a test (see e2e_pump.h), on the
 * private-pumpd launcher of tools/scenario/scnpump.h. */
#include "tests/lib/e2e_pump.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "net/client.h"
#include "tests/lib/e2e_cli.h"
#include "tests/lib/e2e_live.h"
#include "tests/lib/e2e_time.h"
#include "tools/scenario/scnpump.h"

#define TIMEOUT_MS 20000         /* READY, each pumpd command, a stop */
#define PUMPD_DEADLINE_MS 5000   /* pumpd's default handshake and frame
                                    deadlines (at most 600000) */
#define EXTRA_MAX 15
#define INIT_EXTRA_MAX 7

struct e2e_pump {
	struct scnpump sp;
	char addr[SCNPUMP_PATH_MAX + 8];
	char tcp[SCNPUMP_ADDR_MAX];
	char deadline[16];      /* pumpd's deadlines on our remotes, scaled */
	char cmd_out[1024];     /* what pumpd init or pair said last */
	const char *run_args[8 + EXTRA_MAX + 1];
	const char *init_args[INIT_EXTRA_MAX + 1];
	uint64_t next_id;
	int slow;
	char tcp_src[64];       /* "" = sessions on the unix socket */
	struct e2e_live live;   /* freed at exit if the test does not */
};

static const struct scnpump_pairing default_remotes[] = {
	{ "patient", "patient" }, { "patient2", "patient" },
	{ "clinician", "clinician" }, { "tester", "tester" },
};

static int pump_free(e2e_pump *p);

static void free_live(struct e2e_live *l)
{
	pump_free((e2e_pump *)(void *)((char *)l - offsetof(e2e_pump, live)));
}

/* `pumpd run` arguments from the flags, then the test's own (which come
 * later, so they win). */
static void run_args(e2e_pump *p, unsigned flags, const char *const *extra)
{
	int a = 0, hs = e2e_ms(PUMPD_DEADLINE_MS);
	if (flags & E2E_TCP) {
		p->run_args[a++] = "--listen";
		p->run_args[a++] = "tcp:127.0.0.1:0";
	}
	if (!(flags & E2E_REAL_CLOCK)) {
		p->run_args[a++] = "--sim";
		p->run_args[a++] = "--speed";
		p->run_args[a++] = (flags & E2E_SPEED1) ? "1" : "0";
	}
	p->run_args[a++] = "--log-level";
	p->run_args[a++] = (flags & E2E_QUIET) ? "warn" : "debug";
	if (e2e_time_scale() > 1) {
		snprintf(p->deadline, sizeof p->deadline, "%d", hs < 600000 ? hs : 600000);
		p->run_args[a++] = "--handshake-timeout";
		p->run_args[a++] = p->deadline;
		p->run_args[a++] = "--frame-timeout";
		p->run_args[a++] = p->deadline;
	}
	for (int i = 0; extra && extra[i] && i < EXTRA_MAX; i++)
		p->run_args[a++] = extra[i];
	p->run_args[a] = NULL;
}

static void show_log_line(void *ud, const char *text)
{
	(void)ud;
	fprintf(stderr, "e2e:   %s\n", text);
}

/* Why the pump could not be made or started, with what its command said
 * or the end of its log. */
static void failed(const e2e_pump *p, const char *why, int command)
{
	fprintf(stderr, "e2e: %s\n", why);
	if (command)
		fprintf(stderr, "e2e: it said: %s\n", p->cmd_out);
	else
		scnpump_log_tail(&p->sp, show_log_line, NULL);
}

/* Start pumpd run and wait for READY; the TCP address from it. */
static int spawn(e2e_pump *p)
{
	char why[512];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (scnpump_start(&p->sp, why, sizeof why) != 0) {
		failed(p, why, 0);
		e2e_kill9(p);
		return -1;
	}
	e2e_waited("READY", &t0, TIMEOUT_MS);
	const char *tcp = strstr(p->sp.ready, "tcp:");
	if (tcp)
		snprintf(p->tcp, sizeof p->tcp, "%.*s", (int)strcspn(tcp, " "), tcp);
	return 0;
}

e2e_pump *e2e_start(const char *rx_text, unsigned flags)
{
	return e2e_start_args(rx_text, flags, NULL);
}

e2e_pump *e2e_start_args(const char *rx_text, unsigned flags,
                         const char *const *extra)
{
	return e2e_start_full(rx_text, flags, NULL, extra);
}

e2e_pump *e2e_start_full(const char *rx_text, unsigned flags,
                         const char *const *init_extra,
                         const char *const *extra)
{
	char why[512];
	if (sodium_init() < 0)
		return NULL;
	e2e_pump *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	scnpump_init(&p->sp, e2e_pumpd_path(), (uint32_t)e2e_ms(TIMEOUT_MS));
	p->sp.cmd_out = p->cmd_out;     /* the log: pumpd run's alone */
	p->sp.cmd_cap = sizeof p->cmd_out;
	e2e_live_add(&p->live, free_live);
	p->next_id = 1;
	run_args(p, flags, extra);
	for (int i = 0; init_extra && init_extra[i] && i < INIT_EXTRA_MAX; i++)
		p->init_args[i] = init_extra[i];
	struct scnpump_setup su = {
		.dir_name = "ptm-e2e", .rx_text = rx_text, .init_args = p->init_args,
		.run_args = p->run_args, .remotes = default_remotes,
		.n_remotes = sizeof default_remotes / sizeof default_remotes[0],
	};
	if (scnpump_create(&p->sp, &su, why, sizeof why) != 0) {
		failed(p, why, 1);
		goto fail;
	}
	snprintf(p->addr, sizeof p->addr, "unix:%s", p->sp.sock);
	if (spawn(p) < 0)
		goto fail;
	return p;
fail:
	e2e_free(p);
	return NULL;
}

/* An exit status, or -1 for a wait status that is not an exit. */
static int exit_status(int st)
{
	return st >= 0 && WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int e2e_stop(e2e_pump *p)
{
	if (!p->sp.pid)
		return -1;
	return exit_status(scnpump_stop(&p->sp, SIGTERM));
}

int e2e_signal(e2e_pump *p, int sig)
{
	return p->sp.pid && kill(p->sp.pid, sig) == 0 ? 0 : -1;
}

int e2e_wait(e2e_pump *p, int timeout_ms)
{
	if (!p->sp.pid)
		return -1;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int st = scnpump_wait(&p->sp, (uint32_t)e2e_ms(timeout_ms));
	if (st < 0) {
		fprintf(stderr, "e2e: pumpd still running after %d ms: killed\n",
		        e2e_ms(timeout_ms));
		return -1;
	}
	e2e_waited("pumpd's exit", &t0, timeout_ms);
	return exit_status(st);
}

int e2e_kill9(e2e_pump *p)
{
	scnpump_stop(&p->sp, SIGKILL);
	return 0;
}

int e2e_restart(e2e_pump *p)
{
	e2e_kill9(p);
	return spawn(p);
}

/* Lines of pumpd's log where a sanitizer spoke (a build with ASan/UBSan):
 * printed to stderr; their count. */
static int sanitizer_lines(const e2e_pump *p)
{
	FILE *f = p->sp.log[0] ? fopen(p->sp.log, "r") : NULL;
	if (!f)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, "runtime error:") || strstr(line, "Sanitizer")) {
			fprintf(stderr, "e2e: pumpd: %s", line);
			n++;
		}
	fclose(f);
	return n;
}

/* Stop, remove the directory, free; the number of sanitizer lines in the
 * log. */
static int pump_free(e2e_pump *p)
{
	e2e_live_remove(&p->live);
	e2e_kill9(p);
	int sanitized = sanitizer_lines(p);
	scnpump_destroy(&p->sp, getenv("PTM_E2E_KEEP") != NULL);
	free(p);
	return sanitized;
}

void e2e_free(e2e_pump *p)
{
	if (!p)
		return;
	if (pump_free(p)) {
		fprintf(stderr, "e2e: pumpd's sanitizer reported an error\n");
		abort();   /* the test fails (crashes) even when all else held */
	}
}

int e2e_put_file(const e2e_pump *p, const char *name, const char *text,
                 char *path, size_t size)
{
	int n = snprintf(path, size, "%s/%s", e2e_dir(p), name);
	if (n < 0 || (size_t)n >= size)
		return -1;
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int bad = fputs(text, f) < 0;
	return fclose(f) != 0 || bad ? -1 : 0;
}

const char *e2e_dir(const e2e_pump *p) { return p->sp.tmp; }
const char *e2e_state_dir(const e2e_pump *p) { return p->sp.state; }
const char *e2e_sock_path(const e2e_pump *p) { return p->sp.sock; }
const char *e2e_addr(const e2e_pump *p) { return p->addr; }
const char *e2e_tcp_addr(const e2e_pump *p) { return p->tcp[0] ? p->tcp : NULL; }
const char *e2e_log_path(const e2e_pump *p) { return p->sp.log; }
int e2e_pid(const e2e_pump *p) { return (int)p->sp.pid; }
const uint8_t *e2e_pump_pub(const e2e_pump *p) { return p->sp.pump_pub; }

const uint8_t *e2e_key(const e2e_pump *p, const char *name)
{
	int i = scnpump_find(&p->sp, name);
	return i < 0 ? NULL : p->sp.priv[i];
}

const char *e2e_key_path(const e2e_pump *p, const char *name, int pub)
{
	int i = scnpump_find(&p->sp, name);
	if (i < 0)
		return NULL;
	return pub ? p->sp.remote[i].pub_path : p->sp.remote[i].key_path;
}

int e2e_client_config(e2e_pump *p, const char *name, struct client_config *cfg)
{
	const uint8_t *key = e2e_key(p, name);
	if (!key)
		return -1;
	memset(cfg, 0, sizeof *cfg);
	cfg->address = p->addr;
	cfg->key = key;
	cfg->pump_key = p->sp.pump_pub;
	return 0;
}

int e2e_pair(e2e_pump *p, const char *name, const char *role)
{
	char why[512];
	if (scnpump_pair(&p->sp, name, role, why, sizeof why) != 0) {
		failed(p, why, 1);
		return -1;
	}
	return 0;
}

int e2e_log_count(const e2e_pump *p, const char *needle)
{
	FILE *f = fopen(p->sp.log, "r");
	if (!f)
		return 0;
	char line[2048];
	int n = 0;
	while (fgets(line, sizeof line, f))
		if (strstr(line, needle))
			n++;
	fclose(f);
	return n;
}

int e2e_log_wait(const e2e_pump *p, const char *needle, int timeout_ms)
{
	struct timespec t0;
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (e2e_log_count(p, needle) > 0) {
			e2e_waited("a line in pumpd's log", &t0, base_ms);
			return 0;
		}
		if (e2e_ms_since(&t0) >= timeout_ms)
			return -1;
		/* a log line has no fd to wait on: look again soon */
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

int e2e_set_tcp_source(e2e_pump *p, const char *src_ip)
{
	if (!src_ip) {
		p->tcp_src[0] = 0;
		return 0;
	}
	struct in_addr a;
	if (!p->tcp[0] || strlen(src_ip) >= sizeof p->tcp_src ||
	    inet_pton(AF_INET, src_ip, &a) != 1) {
		fprintf(stderr, "e2e: no TCP listener or bad source '%s'\n", src_ip);
		return -1;
	}
	snprintf(p->tcp_src, sizeof p->tcp_src, "%s", src_ip);
	return 0;
}

const char *e2e_tcp_source(const e2e_pump *p) { return p->tcp_src[0] ? p->tcp_src : NULL; }
void e2e_set_slow(e2e_pump *p, int on) { p->slow = on; }
int e2e_slow(const e2e_pump *p) { return p->slow; }

uint64_t e2e_next_id(e2e_pump *p, uint64_t id)
{
	if (id == 0)
		id = p->next_id++;
	else if (id >= p->next_id)
		p->next_id = id + 1;
	return id;
}
