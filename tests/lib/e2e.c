/* tests/lib/e2e.c — the end-to-end helper (see e2e.h). */
#include "tests/lib/e2e.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <grp.h>
#include <limits.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "net/client.h"

#define NREMOTES_MAX 16
#define READY_TIMEOUT_MS 20000
#define PUMPD_DEADLINE_MS 5000   /* pumpd's default handshake and frame
                                    deadlines (at most 600000) */

struct e2e_remote {
	char name[32];
	uint8_t priv[32], pub[32];
	char keypath[256], pubpath[256];
};

struct e2e_pump {
	char dir[64];
	char state[128];
	char sock[100];
	char addr[160];
	char tcp[160];
	char log[128];
	unsigned flags;
	const char *extra[16];
	const char *init_extra[8];
	pid_t pid;
	uint8_t pump_pub[32];
	unsigned nremotes;
	struct e2e_remote remotes[NREMOTES_MAX];
	uint64_t next_id;
	int slow;
	char tcp_src[64];       /* "" = sessions on the unix socket */
	e2e_pump *next_live;    /* every pump not yet freed (freed at exit) */
};

struct e2e_session {
	e2e_pump *p;
	int fd;
	noise_cipher tx, rx;
	unsigned notes;
	struct msg_notify last;
	uint8_t *sent;
	size_t sent_len, sent_cap;
	e2e_session *next_live; /* every session not yet closed */
};

/* What a failed test (cr_assert jumps out of it) could not free: freed at
 * exit, so that valgrind reports the failure and no leak on top of it, and
 * no directory is left in /tmp. */
static e2e_pump *live_pumps;
static e2e_session *live_sessions;
static pid_t live_owner;     /* the process that registered free_live */
static void free_live(void);

static void live_watch(void)
{
	if (!live_owner && atexit(free_live) == 0)
		live_owner = getpid();
}

static const char *const default_remotes[][2] = {
	{ "patient", "patient" }, { "patient2", "patient" },
	{ "clinician", "clinician" }, { "tester", "tester" },
};

/* execv wants char *const[]; our strings are not modified by it */
static char *unconst(const char *s)
{
	union { const char *c; char *m; } u = { s };
	return u.m;
}

/* In a child: die with the test (a failing test leaves no pumpd behind),
 * as uid when uid >= 0 (in "/": the test's working directory may be one
 * that uid cannot enter).  After the uid change: that would clear it. */
static void child_setup(long uid, pid_t parent)
{
	if (uid >= 0) {
		if (setgroups(0, NULL) < 0 || setgid((gid_t)uid) < 0 ||
		    setuid((uid_t)uid) < 0 || chdir("/") < 0) {
			fprintf(stderr, "e2e: cannot become uid %ld: %s\n", uid,
			        strerror(errno));
			_exit(126);
		}
	}
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(125);
}

unsigned e2e_time_scale(void)
{
	static unsigned scale;
	if (!scale) {
		const char *v = getenv("PTM_TIME_SCALE");
		char *end = NULL;
		unsigned long n = v && *v ? strtoul(v, &end, 10) : 1;
		if (v && *v && (*end || n < 1 || n > 1000)) {
			fprintf(stderr, "e2e: PTM_TIME_SCALE '%s' is not a whole number "
			        "from 1 to 1000: 1 it is\n", v);
			n = 1;
		}
		scale = (unsigned)n;
	}
	return scale;
}

int e2e_ms(int ms)
{
	long long v = (long long)ms * e2e_time_scale();
	return v > INT_MAX ? INT_MAX : (int)v;
}

/* Milliseconds since t0 (CLOCK_MONOTONIC). */
static long ms_since(const struct timespec *t0)
{
	struct timespec t1;
	clock_gettime(CLOCK_MONOTONIC, &t1);
	return (t1.tv_sec - t0->tv_sec) * 1000 + (t1.tv_nsec - t0->tv_nsec) / 1000000;
}

/* PTM_E2E_TIMING=1: at exit, the wait that came nearest its deadline, as
 * a share of the unscaled deadline (above 1: this run needed the scale). */
static struct { double share; long ms; int base; const char *what; } nearest;

static void timing_report(void)
{
	if (nearest.what)
		fprintf(stderr, "e2e: nearest deadline: %s took %ld ms of %d ms "
		        "(x%.3f of it; PTM_TIME_SCALE %u)\n", nearest.what, nearest.ms,
		        nearest.base, nearest.share, e2e_time_scale());
}

/* A wait that ended in time: how near its (unscaled) deadline it came. */
static void waited(const char *what, const struct timespec *t0, int base_ms)
{
	static int on = -1;
	if (on < 0) {
		const char *v = getenv("PTM_E2E_TIMING");
		on = v && strcmp(v, "1") == 0 && atexit(timing_report) == 0;
	}
	long ms = ms_since(t0);
	if (!on || base_ms <= 0 || (double)ms / base_ms <= nearest.share)
		return;
	nearest.share = (double)ms / base_ms;
	nearest.ms = ms;
	nearest.base = base_ms;
	nearest.what = what;
}

const char *e2e_pumpd_path(void)
{
	static char path[512];
	const char *p = getenv("PTM_PUMPD");
	if (p && *p)
		return p;
	const char *b = getenv("PTM_BUILD");
	snprintf(path, sizeof path, "%s/pumpd", b && *b ? b : "build");
	return path;
}

int e2e_cli(const char *const *argv, char *out, size_t cap)
{
	return e2e_cli_as(argv, -1, 20000, out, cap);
}

/* A copy of pumpd that any user can run: DIR/pumpd, DIR a fresh 0755
 * directory under /tmp (dir: 64 bytes, path: 80).  The build may sit where
 * only its owner can enter; an ASan pumpd needs nothing else from it (its
 * runtime is a system library).  0, or -1 with the reason on stderr. */
static int copy_pumpd(char *dir, char *path)
{
	char buf[65536];
	const char *src = e2e_pumpd_path();
	int in = -1, outfd = -1, rc = -1;
	snprintf(dir, 64, "/tmp/ptm-e2e-bin.XXXXXX");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "e2e: mkdtemp: %s\n", strerror(errno));
		dir[0] = '\0';
		return -1;
	}
	snprintf(path, 80, "%s/pumpd", dir);
	if (chmod(dir, 0755) < 0 ||
	    (in = open(src, O_RDONLY | O_CLOEXEC)) < 0 ||
	    (outfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0700)) < 0)
		goto out;
	for (;;) {
		ssize_t r = read(in, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		for (ssize_t w = 0; w < r;) {
			ssize_t k = write(outfd, buf + w, (size_t)(r - w));
			if (k < 0 && errno == EINTR)
				continue;
			if (k < 0)
				goto out;
			w += k;
		}
	}
	rc = fchmod(outfd, 0755);
out:
	if (rc < 0)
		fprintf(stderr, "e2e: cannot copy %s to %s: %s\n", src, path,
		        strerror(errno));
	if (in >= 0)
		close(in);
	if (outfd >= 0 && close(outfd) < 0)
		rc = -1;
	return rc;
}

static void remove_copy(const char *dir, const char *path)
{
	if (!dir[0])
		return;
	unlink(path);
	rmdir(dir);
}

int e2e_cli_as(const char *const *argv, long uid, int timeout_ms, char *out,
               size_t cap)
{
	int pfd[2];
	pid_t parent = getpid();
	char copy_dir[64] = "", copy[80];
	const char *prog = e2e_pumpd_path();
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	if (uid >= 0) {
		if (copy_pumpd(copy_dir, copy) < 0) {
			remove_copy(copy_dir, copy);
			return -1;
		}
		prog = copy;
	}
	if (pipe(pfd) < 0) {
		remove_copy(copy_dir, copy);
		return -1;
	}
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		remove_copy(copy_dir, copy);
		return -1;
	}
	if (pid == 0) {
		char *args[32];
		int n = 0;
		args[n++] = unconst(prog);
		for (int i = 0; argv[i] && n < 31; i++)
			args[n++] = unconst(argv[i]);
		args[n] = NULL;
		dup2(pfd[1], 1);
		dup2(pfd[1], 2);
		close(pfd[0]);
		close(pfd[1]);
		child_setup(uid, parent);
		execv(args[0], args);
		fprintf(stderr, "e2e: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	size_t n = 0;
	char buf[512];
	ssize_t r;
	int timed_out = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		long spent = ms_since(&t0);
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		int pr = spent >= timeout_ms ? 0 : poll(&pf, 1, (int)(timeout_ms - spent));
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0) {
			/* still running: it should have finished; stop it */
			fprintf(stderr, "e2e: pumpd %s still running after %d ms: "
			        "killed\n", argv[0] ? argv[0] : "", timeout_ms);
			kill(pid, SIGKILL);
			timed_out = 1;
			break;
		}
		r = read(pfd[0], buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		if (out && cap) {
			size_t k = (size_t)r;
			if (n + k >= cap)
				k = cap - 1 - n;
			memcpy(out + n, buf, k);
			n += k;
		}
	}
	if (out && cap)
		out[n] = '\0';
	close(pfd[0]);
	int st;
	pid_t w;
	while ((w = waitpid(pid, &st, 0)) < 0 && errno == EINTR)
		;
	remove_copy(copy_dir, copy);
	if (w < 0 || timed_out)
		return -1;
	waited(argv[0] ? argv[0] : "a pumpd command", &t0, base_ms);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	if (!f)
		return -1;
	int ok = fputs(text, f) >= 0;
	return fclose(f) == 0 && ok ? 0 : -1;
}

int e2e_pair(e2e_pump *p, const char *name, const char *role)
{
	if (p->nremotes >= NREMOTES_MAX)
		return -1;
	struct e2e_remote *r = &p->remotes[p->nremotes];
	memset(r, 0, sizeof *r);
	snprintf(r->name, sizeof r->name, "%s", name);
	char kdir[128], err[KEYS_ERRLEN], out[512];
	snprintf(kdir, sizeof kdir, "%s/keys", p->dir);
	mkdir(kdir, 0700);
	if (keys_generate(r->priv, r->pub) < 0 ||
	    keys_write_pair(kdir, name, r->priv, err) < 0) {
		fprintf(stderr, "e2e: key %s: %s\n", name, err);
		return -1;
	}
	snprintf(r->keypath, sizeof r->keypath, "%s/%s.key", kdir, name);
	snprintf(r->pubpath, sizeof r->pubpath, "%s/%s.pub", kdir, name);
	const char *argv[] = { "pair", p->state, "--role", role, "--name", name,
	                       r->pubpath, NULL };
	int rc = e2e_cli(argv, out, sizeof out);
	if (rc != 0) {
		fprintf(stderr, "e2e: pumpd pair %s: exit %d: %s\n", name, rc, out);
		return -1;
	}
	p->nremotes++;
	return 0;
}

static int spawn(e2e_pump *p)
{
	int pfd[2];
	pid_t parent = getpid();
	if (pipe(pfd) < 0)
		return -1;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -1;
	}
	if (pid == 0) {
		char *args[48];
		char fdbuf[16], hs_ms[16];
		int n = 0;
		snprintf(fdbuf, sizeof fdbuf, "%d", pfd[1]);
		int hs = e2e_ms(PUMPD_DEADLINE_MS);
		snprintf(hs_ms, sizeof hs_ms, "%d", hs < 600000 ? hs : 600000);
		args[n++] = unconst(e2e_pumpd_path());
		args[n++] = unconst("run");
		args[n++] = unconst(p->state);
		args[n++] = unconst("--unix");
		args[n++] = unconst(p->sock);
		if (p->flags & E2E_TCP) {
			args[n++] = unconst("--listen");
			args[n++] = unconst("tcp:127.0.0.1:0");
		}
		if (!(p->flags & E2E_REAL_CLOCK)) {
			args[n++] = unconst("--sim");
			args[n++] = unconst("--speed");
			args[n++] = unconst((p->flags & E2E_SPEED1) ? "1" : "0");
		}
		args[n++] = unconst("--ready-fd");
		args[n++] = unconst(fdbuf);
		args[n++] = unconst("--log-level");
		args[n++] = unconst((p->flags & E2E_QUIET) ? "warn" : "debug");
		if (e2e_time_scale() > 1) {
			/* pumpd's deadlines on our remotes, scaled as ours are
			 * (a test's own --handshake-timeout comes later: it wins) */
			args[n++] = unconst("--handshake-timeout");
			args[n++] = hs_ms;
			args[n++] = unconst("--frame-timeout");
			args[n++] = hs_ms;
		}
		for (int i = 0; p->extra[i] && n < 46; i++)
			args[n++] = unconst(p->extra[i]);
		args[n] = NULL;
		close(pfd[0]);
		int lfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (lfd >= 0) {
			dup2(lfd, 2);
			close(lfd);
		}
		int nul = open("/dev/null", O_RDWR);
		if (nul >= 0) {
			dup2(nul, 0);
			dup2(nul, 1);
			close(nul);
		}
		child_setup(-1, parent);
		execv(args[0], args);
		fprintf(stderr, "e2e: cannot run %s: %s\n", args[0], strerror(errno));
		_exit(127);
	}
	close(pfd[1]);
	p->pid = pid;
	/* wait for "READY addr...\n" or EOF (pumpd failed) */
	char line[512];
	size_t n = 0;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		struct pollfd pf = { pfd[0], POLLIN, 0 };
		long left = e2e_ms(READY_TIMEOUT_MS) - ms_since(&t0);
		int pr = left <= 0 ? 0 : poll(&pf, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		ssize_t r = read(pfd[0], line + n, sizeof line - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;
		n += (size_t)r;
		line[n] = '\0';
		if (strchr(line, '\n') || n == sizeof line - 1)
			break;
	}
	close(pfd[0]);
	line[n] = '\0';
	if (strncmp(line, "READY ", 6) != 0) {
		fprintf(stderr, "e2e: pumpd did not get ready in %d ms (see %s)\n",
		        e2e_ms(READY_TIMEOUT_MS), p->log);
		e2e_kill9(p);
		return -1;
	}
	waited("READY", &t0, READY_TIMEOUT_MS);
	char *tcp = strstr(line, "tcp:");
	if (tcp) {
		size_t k = strcspn(tcp, " \n");
		snprintf(p->tcp, sizeof p->tcp, "%.*s", (int)k, tcp);
	}
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
	if (sodium_init() < 0)
		return NULL;
	e2e_pump *p = calloc(1, sizeof *p);
	if (!p)
		return NULL;
	live_watch();
	p->next_live = live_pumps;
	live_pumps = p;
	p->flags = flags;
	p->next_id = 1;
	for (int i = 0; extra && extra[i] && i < 15; i++)
		p->extra[i] = extra[i];
	for (int i = 0; init_extra && init_extra[i] && i < 7; i++)
		p->init_extra[i] = init_extra[i];
	snprintf(p->dir, sizeof p->dir, "/tmp/ptm-e2e.XXXXXX");
	if (!mkdtemp(p->dir)) {
		free(p);
		return NULL;
	}
	snprintf(p->state, sizeof p->state, "%s/state", p->dir);
	snprintf(p->sock, sizeof p->sock, "%s/pump.sock", p->dir);
	snprintf(p->addr, sizeof p->addr, "unix:%s", p->sock);
	snprintf(p->log, sizeof p->log, "%s/pumpd.log", p->dir);

	char out[1024], rxpath[128];
	const char *argv[16] = { "init", p->state, NULL };
	int a = 2;
	if (rx_text) {
		snprintf(rxpath, sizeof rxpath, "%s/rx.txt", p->dir);
		if (write_file(rxpath, rx_text) < 0)
			goto fail;
		argv[a++] = "--rx";
		argv[a++] = rxpath;
	}
	for (int i = 0; p->init_extra[i]; i++)
		argv[a++] = p->init_extra[i];
	argv[a] = NULL;
	int rc = e2e_cli(argv, out, sizeof out);
	if (rc != 0) {
		fprintf(stderr, "e2e: pumpd init: exit %d: %s\n", rc, out);
		goto fail;
	}
	char pubpath[160], err[KEYS_ERRLEN];
	snprintf(pubpath, sizeof pubpath, "%s/pump.pub", p->state);
	if (keys_load_public(pubpath, p->pump_pub, err) < 0) {
		fprintf(stderr, "e2e: %s\n", err);
		goto fail;
	}
	for (size_t i = 0; i < sizeof default_remotes / sizeof default_remotes[0]; i++)
		if (e2e_pair(p, default_remotes[i][0], default_remotes[i][1]) < 0)
			goto fail;
	if (spawn(p) < 0)
		goto fail;
	return p;
fail:
	e2e_free(p);
	return NULL;
}

static int reap(e2e_pump *p)
{
	int st = 0;
	if (!p->pid)
		return -1;
	while (waitpid(p->pid, &st, 0) < 0)
		if (errno != EINTR)
			break;
	p->pid = 0;
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int e2e_stop(e2e_pump *p)
{
	if (!p->pid)
		return -1;
	kill(p->pid, SIGTERM);
	return reap(p);
}

int e2e_signal(e2e_pump *p, int sig)
{
	return p->pid && kill(p->pid, sig) == 0 ? 0 : -1;
}

int e2e_wait(e2e_pump *p, int timeout_ms)
{
	if (!p->pid)
		return -1;
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		int st = 0;
		pid_t r = waitpid(p->pid, &st, WNOHANG);
		if (r == p->pid) {
			p->pid = 0;
			waited("pumpd's exit", &t0, base_ms);
			return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
		}
		if (r < 0 && errno != EINTR)
			return -1;
		if (ms_since(&t0) >= timeout_ms) {
			fprintf(stderr, "e2e: pumpd still running after %d ms: "
			        "killed\n", timeout_ms);
			e2e_kill9(p);
			return -1;
		}
		/* a child's exit has no fd to wait on here: look again soon */
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

int e2e_kill9(e2e_pump *p)
{
	if (!p->pid)
		return 0;
	kill(p->pid, SIGKILL);
	reap(p);
	return 0;
}

int e2e_restart(e2e_pump *p)
{
	if (p->pid)
		e2e_kill9(p);
	return spawn(p);
}

/* Lines of pumpd's log where a sanitizer spoke (a build with ASan/UBSan):
 * printed to stderr; their count. */
static int sanitizer_lines(const e2e_pump *p)
{
	FILE *f = fopen(p->log, "r");
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
	for (e2e_pump **l = &live_pumps; *l; l = &(*l)->next_live)
		if (*l == p) {
			*l = p->next_live;
			break;
		}
	if (p->pid)
		e2e_kill9(p);
	int sanitized = sanitizer_lines(p);
	if (p->dir[0] && !getenv("PTM_E2E_KEEP")) {
		char cmd[128];
		snprintf(cmd, sizeof cmd, "rm -rf '%s'", p->dir);
		if (system(cmd) != 0)
			fprintf(stderr, "e2e: could not remove %s\n", p->dir);
	}
	sodium_memzero(p->remotes, sizeof p->remotes);
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

const char *e2e_dir(const e2e_pump *p) { return p->dir; }
const char *e2e_state_dir(const e2e_pump *p) { return p->state; }
const char *e2e_addr(const e2e_pump *p) { return p->addr; }
const char *e2e_tcp_addr(const e2e_pump *p) { return p->tcp[0] ? p->tcp : NULL; }
const char *e2e_log_path(const e2e_pump *p) { return p->log; }
int e2e_pid(const e2e_pump *p) { return (int)p->pid; }
const uint8_t *e2e_pump_pub(const e2e_pump *p) { return p->pump_pub; }

static const struct e2e_remote *find_remote(const e2e_pump *p, const char *name)
{
	for (unsigned i = 0; i < p->nremotes; i++)
		if (strcmp(p->remotes[i].name, name) == 0)
			return &p->remotes[i];
	return NULL;
}

const uint8_t *e2e_key(const e2e_pump *p, const char *name)
{
	const struct e2e_remote *r = find_remote(p, name);
	return r ? r->priv : NULL;
}

const char *e2e_key_path(const e2e_pump *p, const char *name, int pub)
{
	const struct e2e_remote *r = find_remote(p, name);
	return r ? (pub ? r->pubpath : r->keypath) : NULL;
}

int e2e_client_config(e2e_pump *p, const char *name, struct client_config *cfg)
{
	const struct e2e_remote *r = find_remote(p, name);
	if (!r)
		return -1;
	memset(cfg, 0, sizeof *cfg);
	cfg->address = p->addr;
	cfg->key = r->priv;
	cfg->pump_key = p->pump_pub;
	return 0;
}

/* ---- the blocking remote ---------------------------------------------------- */

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

/* A TCP connection from p->tcp_src to the pump's TCP listener. */
static int connect_tcp(const e2e_pump *p)
{
	struct sockaddr_in src, dst;
	memset(&src, 0, sizeof src);
	memset(&dst, 0, sizeof dst);
	src.sin_family = dst.sin_family = AF_INET;
	const char *port = strrchr(p->tcp, ':');
	if (!port || inet_pton(AF_INET, p->tcp_src, &src.sin_addr) != 1 ||
	    inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr) != 1)
		return -1;
	dst.sin_port = htons((uint16_t)atoi(port + 1));
	int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	if (bind(fd, (struct sockaddr *)&src, sizeof src) < 0 ||
	    connect(fd, (struct sockaddr *)&dst, sizeof dst) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int e2e_connect_fd(const e2e_pump *p)
{
	if (p->tcp_src[0])
		return connect_tcp(p);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, p->sock, sizeof p->sock);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t w = send(fd, b, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		b += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, uint8_t *b, size_t n, int timeout_ms)
{
	while (n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t r = read(fd, b, n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return -1;
		b += r;
		n -= (size_t)r;
	}
	return 0;
}

static int sess_write(e2e_session *s, const uint8_t *b, size_t n)
{
	if (s->sent_len + n > s->sent_cap) {
		size_t cap = (s->sent_cap ? s->sent_cap * 2 : 4096) + n;
		uint8_t *nb = realloc(s->sent, cap);
		if (!nb)
			return -1;
		s->sent = nb;
		s->sent_cap = cap;
	}
	memcpy(s->sent + s->sent_len, b, n);
	s->sent_len += n;
	if (s->p->slow) {
		for (size_t i = 0; i < n; i++)
			if (write_all(s->fd, b + i, 1) < 0)
				return -1;
		return 0;
	}
	return write_all(s->fd, b, n);
}

static int send_frame(e2e_session *s, const uint8_t *b, size_t n)
{
	uint8_t hdr[2] = { (uint8_t)(n >> 8), (uint8_t)n };
	uint8_t buf[2 + 65536];
	memcpy(buf, hdr, 2);
	memcpy(buf + 2, b, n);
	return sess_write(s, buf, n + 2);
}

static int recv_frame(int fd, uint8_t *b, size_t cap, size_t *n, int timeout_ms)
{
	uint8_t hdr[2];
	if (read_all(fd, hdr, 2, timeout_ms) < 0)
		return -1;
	size_t len = (size_t)hdr[0] << 8 | hdr[1];
	if (len > cap || len == 0)
		return -1;
	if (read_all(fd, b, len, timeout_ms) < 0)
		return -1;
	*n = len;
	return 0;
}

e2e_session *e2e_session_open(e2e_pump *p, const char *name)
{
	return e2e_session_open_tai(p, name, NULL);
}

e2e_session *e2e_session_open_tai(e2e_pump *p, const char *name,
                                  const uint8_t tai_in[12])
{
	const struct e2e_remote *r = find_remote(p, name);
	uint8_t fake[32], tai[12];
	const uint8_t *priv;
	if (r) {
		priv = r->priv;
	} else {
		/* an unknown remote: a fresh key nobody paired */
		randombytes_buf(fake, sizeof fake);
		priv = fake;
	}
	e2e_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	live_watch();
	s->next_live = live_sessions;
	live_sessions = s;
	s->p = p;
	s->fd = e2e_connect_fd(p);
	if (s->fd < 0) {
		free(s);
		return NULL;
	}
	noise_hs hs;
	uint8_t msg[256], pl[64];
	size_t n = 0, pn = 0;
	if (tai_in)
		memcpy(tai, tai_in, 12);
	else
		tai64n_now(tai);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (noise_hs_init_initiator(&hs, priv, p->pump_pub,
	                            (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN) < 0 ||
	    noise_hs_write_msg1(&hs, tai, 12, msg, sizeof msg, &n) < 0 ||
	    send_frame(s, msg, n) < 0 ||
	    recv_frame(s->fd, msg, sizeof msg, &n, e2e_ms(10000)) < 0 ||
	    noise_hs_read_msg2(&hs, msg, n, pl, sizeof pl, &pn) < 0 ||
	    noise_hs_split(&hs, &s->tx, &s->rx) < 0) {
		noise_hs_wipe(&hs);
		sodium_memzero(fake, sizeof fake);
		e2e_session_close(s);
		return NULL;
	}
	noise_hs_wipe(&hs);
	sodium_memzero(fake, sizeof fake);
	waited("a handshake", &t0, 10000);
	return s;
}

void e2e_session_close(e2e_session *s)
{
	if (!s)
		return;
	for (e2e_session **l = &live_sessions; *l; l = &(*l)->next_live)
		if (*l == s) {
			*l = s->next_live;
			break;
		}
	if (s->fd >= 0)
		close(s->fd);
	noise_cipher_wipe(&s->tx);
	noise_cipher_wipe(&s->rx);
	free(s->sent);
	free(s);
}

/* At exit: what a failed test left (its failure is reported already). */
static void free_live(void)
{
	if (getpid() != live_owner)
		return;   /* a forked child that called exit: not its pumps */
	while (live_sessions)
		e2e_session_close(live_sessions);
	while (live_pumps)
		pump_free(live_pumps);
}

int e2e_session_drain(e2e_session *s, int timeout_ms)
{
	char path[] = "/tmp/ptm-e2e-drain.XXXXXX";
	uint8_t buf[65536];
	int rc = -1;
	int tmp = mkstemp(path);
	if (tmp < 0)
		return -1;
	unlink(path);
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	for (;;) {
		struct pollfd pf = { s->fd, POLLIN, 0 };
		long left = timeout_ms - ms_since(&t0);
		int pr = left <= 0 ? 0 : poll(&pf, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;                  /* still open at the deadline */
		ssize_t r = read(s->fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = 0;                 /* closed (EOF or reset) */
			waited("pumpd's flush", &t0, base_ms);
			break;
		}
		for (ssize_t w = 0; w < r;) {
			ssize_t k = write(tmp, buf + w, (size_t)(r - w));
			if (k < 0 && errno != EINTR) {
				close(tmp);
				return -1;
			}
			if (k > 0)
				w += k;
		}
	}
	if (lseek(tmp, 0, SEEK_SET) < 0 || dup2(tmp, s->fd) < 0 ||
	    fcntl(s->fd, F_SETFD, FD_CLOEXEC) < 0)
		rc = -1;
	close(tmp);
	return rc;
}

int e2e_session_fd(const e2e_session *s) { return s->fd; }
void e2e_set_slow(e2e_pump *p, int on) { p->slow = on; }
unsigned e2e_session_notes(const e2e_session *s) { return s->notes; }
const struct msg_notify *e2e_session_last_note(const e2e_session *s) { return &s->last; }

const uint8_t *e2e_session_sent(const e2e_session *s, size_t *len)
{
	*len = s->sent_len;
	return s->sent;
}

int e2e_send_plain(e2e_session *s, const uint8_t *msg, size_t len)
{
	uint8_t ct[MSG_MAX + 64];
	if (len > MSG_MAX + 32)
		return -1;
	int n = noise_cipher_encrypt(&s->tx, NULL, 0, msg, len, ct);
	if (n < 0)
		return -1;
	return send_frame(s, ct, (size_t)n);
}

int e2e_encode(e2e_pump *p, struct msg_request *q, uint8_t *buf, size_t cap)
{
	if (q->id == 0)
		q->id = p->next_id++;
	else if (q->id >= p->next_id)
		p->next_id = q->id + 1;
	int n = msg_encode_request(q, buf, cap);
	if (n <= 0) {
		fprintf(stderr, "e2e: request does not encode (%d)\n", n);
		return -1;
	}
	return n;
}

int e2e_send(e2e_session *s, struct msg_request *q)
{
	uint8_t buf[MSG_MAX];
	int n = e2e_encode(s->p, q, buf, sizeof buf);
	return n < 0 ? -1 : e2e_send_plain(s, buf, (size_t)n);
}

int e2e_recv(e2e_session *s, struct msg_from_pump *out, int timeout_ms)
{
	uint8_t buf[4096];
	size_t n;
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	for (;;) {
		if (recv_frame(s->fd, buf, sizeof buf, &n, timeout_ms) < 0)
			return -1;
		int m = noise_cipher_decrypt(&s->rx, NULL, 0, buf, n, buf);
		if (m < 0)
			return -1;
		if (m == 0)
			continue; /* keepalive */
		if (msg_decode_from_pump(buf, (size_t)m, out) < 0) {
			fprintf(stderr, "e2e: undecodable message from the pump\n");
			return -1;
		}
		if (out->type == MSG_NOTIFY) {
			s->notes++;
			s->last = out->u.notify;
		}
		waited("a message from pumpd", &t0, base_ms);
		return 0;
	}
}

/* The reply with this id, notifications on the way counted by e2e_recv. */
static int reply_to(e2e_session *s, uint64_t id, struct msg_reply *out)
{
	struct msg_from_pump *m = malloc(sizeof *m);
	if (!m)
		return -1;
	int rc = -1;
	while (e2e_recv(s, m, 10000) == 0) {
		if (m->type == MSG_REPLY && m->u.reply.id == id) {
			*out = m->u.reply;
			rc = 0;
			break;
		}
	}
	free(m);
	return rc;
}

int e2e_request(e2e_session *s, struct msg_request *q, struct msg_reply *out)
{
	if (e2e_send(s, q) < 0)
		return -1;
	return reply_to(s, q->id, out);
}

int e2e_request_plain(e2e_session *s, const uint8_t *msg, size_t len,
                      uint64_t id, struct msg_reply *out)
{
	if (e2e_send_plain(s, msg, len) < 0)
		return -1;
	return reply_to(s, id, out);
}

int e2e_call(e2e_pump *p, const char *name, struct msg_request *q,
             struct msg_reply *out)
{
	e2e_session *s = e2e_session_open(p, name);
	if (!s)
		return -1;
	int rc = e2e_request(s, q, out);
	e2e_session_close(s);
	return rc;
}

int e2e_fd_closed(int fd, int timeout_ms)
{
	uint8_t b[4096];
	struct timespec t0;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return 0;
		ssize_t r = read(fd, b, sizeof b);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			waited("a close by pumpd", &t0, base_ms);
			return 1;
		}
		/* data (e.g. a handshake reply): keep reading until EOF */
	}
}

int e2e_log_wait(const e2e_pump *p, const char *needle, int timeout_ms)
{
	struct timespec t0;
	int base_ms = timeout_ms;
	timeout_ms = e2e_ms(timeout_ms);
	clock_gettime(CLOCK_MONOTONIC, &t0);
	for (;;) {
		if (e2e_log_count(p, needle) > 0) {
			waited("a line in pumpd's log", &t0, base_ms);
			return 0;
		}
		if (ms_since(&t0) >= timeout_ms)
			return -1;
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
}

int e2e_log_count(const e2e_pump *p, const char *needle)
{
	FILE *f = fopen(p->log, "r");
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
