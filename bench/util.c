/* bench/util.c — clock, /proc figures, clean-up on every way out (util.h). */
#include "bench/util.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#define SLOTS 8
#define PATHMAX 256

static volatile sig_atomic_t in_handler;
static const char *guard_name = "bench";
static int pids[SLOTS];
static char dirs[SLOTS][PATHMAX];
static char tmuxes[SLOTS][PATHMAX];
static e2e_pump *pumps[SLOTS];

int64_t bu_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

int64_t bu_proc_field(int pid, const char *file, const char *key)
{
	char path[64], line[128];
	size_t klen = strlen(key);
	snprintf(path, sizeof path, "/proc/%d/%s", pid, file);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int64_t v = -1;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, key, klen) == 0 && line[klen] == ':') {
			v = strtoll(line + klen + 1, NULL, 10);
			break;
		}
	fclose(f);
	return v;
}

long bu_rss_kb(int pid)
{
	return (long)bu_proc_field(pid, "status", "VmRSS");
}

static int64_t stat_cpu_us(int pid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* the command name may hold spaces and parentheses: fields start after
	 * the last ')'; utime and stime are fields 14 and 15 */
	char *p = strrchr(buf, ')');
	if (!p)
		return -1;
	unsigned long long ut = 0, st = 0;
	if (sscanf(p + 1, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu",
	           &ut, &st) != 2)
		return -1;
	long hz = sysconf(_SC_CLK_TCK);
	if (hz <= 0)
		hz = 100;
	return (int64_t)((ut + st) * 1000000ull / (unsigned long long)hz);
}

int64_t bu_cpu_us(int pid)
{
	char path[64];
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return -1;
	int64_t ns = 0;
	int ok = 1;
	struct dirent *e;
	while (ok && (e = readdir(d))) {
		if (e->d_name[0] == '.')
			continue;
		char sp[96];
		snprintf(sp, sizeof sp, "/proc/%d/task/%.20s/schedstat", pid, e->d_name);
		FILE *f = fopen(sp, "r");
		long long v = 0;
		if (!f)
			continue;           /* a thread that just ended */
		if (fscanf(f, "%lld", &v) != 1)
			ok = 0;
		fclose(f);
		ns += v;
	}
	closedir(d);
	if (!ok || ns == 0)
		return stat_cpu_us(pid);
	return ns / 1000;
}

int64_t bu_ctxsw(int pid, int64_t *vol)
{
	char path[64], line[128];
	snprintf(path, sizeof path, "/proc/%d/status", pid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	int64_t v = 0;
	int seen = 0;
	while (fgets(line, sizeof line, f))
		if (strncmp(line, "voluntary_ctxt_switches:", 24) == 0 ||
		    strncmp(line, "nonvoluntary_ctxt_switches:", 27) == 0) {
			int64_t x = strtoll(strchr(line, ':') + 1, NULL, 10);
			if (line[0] == 'v' && vol)
				*vol = x;
			v += x;
			seen++;
		}
	fclose(f);
	return seen == 2 ? v : -1;
}

int64_t bu_syscw(int pid)
{
	return bu_proc_field(pid, "io", "syscw");
}

/* ---- clean-up ------------------------------------------------------------- */

/* fork + exec + wait, output to /dev/null: async-signal-safe */
static void run_quiet(const char *const argv[])
{
	pid_t pid = fork();
	if (pid == 0) {
		int fd = open("/dev/null", O_WRONLY);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		union { const char *const *c; char *const *m; } u = { argv };
		execvp(argv[0], u.m);
		_exit(127);
	}
	if (pid > 0)
		while (waitpid(pid, NULL, 0) < 0 && errno == EINTR)
			;
}

static void put(const char *s)
{
	ssize_t w = write(2, s, strlen(s));
	(void)w;
}

static void on_signal(int sig)
{
	if (in_handler)
		_exit(1);
	in_handler = 1;
	put(guard_name);
	put(sig == SIGALRM ? ": deadline reached; cleaning up\n"
	                   : ": stopped by a signal; cleaning up\n");
	for (int i = 0; i < SLOTS; i++) {
		if (pids[i] > 0)
			kill(pids[i], SIGKILL);
		if (pumps[i] && e2e_pid(pumps[i]) > 0)
			kill(e2e_pid(pumps[i]), SIGKILL);
	}
	for (int i = 0; i < SLOTS; i++)
		if (tmuxes[i][0]) {
			const char *argv[] = { "tmux", "-S", tmuxes[i], "kill-server", NULL };
			run_quiet(argv);
		}
	for (int i = 0; i < SLOTS; i++) {
		const char *d = dirs[i][0] ? dirs[i] : NULL;
		if (d) {
			const char *argv[] = { "rm", "-rf", d, NULL };
			run_quiet(argv);
		}
		if (pumps[i]) {
			const char *argv[] = { "rm", "-rf", e2e_dir(pumps[i]), NULL };
			run_quiet(argv);
		}
	}
	_exit(1);
}

void bu_guard(const char *name, unsigned deadline_s)
{
	static const int sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGSEGV, SIGBUS,
	                            SIGABRT, SIGFPE, SIGALRM };
	guard_name = name;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	for (size_t i = 0; i < sizeof sigs / sizeof sigs[0]; i++)
		sigaction(sigs[i], &sa, NULL);
	signal(SIGPIPE, SIG_IGN);
	alarm(deadline_s);
}

int bu_watch_pid(int pid)
{
	for (int i = 0; i < SLOTS; i++)
		if (pids[i] == 0) {
			pids[i] = pid;
			return 0;
		}
	return -ENOSPC;
}

int bu_unwatch_pid(int pid)
{
	for (int i = 0; i < SLOTS; i++)
		if (pids[i] == pid) {
			pids[i] = 0;
			return 0;
		}
	return -ENOENT;
}

static int watch_str(char (*slots)[PATHMAX], const char *s)
{
	if (strlen(s) >= PATHMAX)
		return -ENAMETOOLONG;
	for (int i = 0; i < SLOTS; i++)
		if (slots[i][0] == '\0') {
			memcpy(slots[i], s, strlen(s) + 1);
			return 0;
		}
	return -ENOSPC;
}

static int unwatch_str(char (*slots)[PATHMAX], const char *s)
{
	for (int i = 0; i < SLOTS; i++)
		if (slots[i][0] && strcmp(slots[i], s) == 0) {
			slots[i][0] = '\0';
			return 0;
		}
	return -ENOENT;
}

int bu_watch_dir(const char *path) { return watch_str(dirs, path); }
int bu_unwatch_dir(const char *path) { return unwatch_str(dirs, path); }
int bu_watch_tmux(const char *sock) { return watch_str(tmuxes, sock); }
int bu_unwatch_tmux(const char *sock) { return unwatch_str(tmuxes, sock); }

e2e_pump *bu_pump_start(const char *rx_text, unsigned flags)
{
	return bu_pump_start_args(rx_text, flags, NULL);
}

e2e_pump *bu_pump_start_args(const char *rx_text, unsigned flags,
                             const char *const *extra)
{
	const char *args[15] = { "--log-level", "info" };
	int n = 2;
	for (int i = 0; extra && extra[i] && n < 14; i++)
		args[n++] = extra[i];
	args[n] = NULL;
	e2e_pump *p = e2e_start_args(rx_text, flags, args);
	if (!p)
		return NULL;
	for (int i = 0; i < SLOTS; i++)
		if (!pumps[i]) {
			pumps[i] = p;
			printf("  started pumpd pid %d (%s)\n", e2e_pid(p), e2e_dir(p));
			fflush(stdout);
			return p;
		}
	e2e_free(p);
	return NULL;
}

int bu_pump_restart(e2e_pump *p)
{
	int old = e2e_pid(p);
	e2e_stop(p);
	if (e2e_restart(p) < 0)
		return -1;
	printf("  stopped pumpd pid %d, started it again: pid %d\n", old, e2e_pid(p));
	fflush(stdout);
	return 0;
}

void bu_pump_free(e2e_pump *p)
{
	if (!p)
		return;
	for (int i = 0; i < SLOTS; i++)
		if (pumps[i] == p)
			pumps[i] = NULL;
	int pid = e2e_pid(p);
	e2e_stop(p);
	e2e_free(p);
	if (pid > 0)
		printf("  stopped pumpd pid %d\n", pid);
	fflush(stdout);
}

int bu_pump_cap_args(unsigned n, const char *out[5], char buf[32])
{
	static char help[8192];
	const char *argv[] = { "run", "--help", NULL };
	int k = 0;
	snprintf(buf, 32, "%u", n);
	if (e2e_cli(argv, help, sizeof help) < 0)
		help[0] = '\0';
	if (strstr(help, "--max-peers")) {
		out[k++] = "--max-peers";
		out[k++] = buf;
	}
	if (strstr(help, "--max-sessions")) {
		out[k++] = "--max-sessions";
		out[k++] = buf;
	}
	out[k] = NULL;
	return k;
}

long bu_nofile(long want)
{
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return -1;
	if ((long)rl.rlim_cur < want) {
		rlim_t to = (rlim_t)want;
		if (rl.rlim_max != RLIM_INFINITY && to > rl.rlim_max)
			to = rl.rlim_max;
		rl.rlim_cur = to;
		setrlimit(RLIMIT_NOFILE, &rl);
		getrlimit(RLIMIT_NOFILE, &rl);
	}
	return (long)rl.rlim_cur;
}

int bu_spawn(const char *what, const char *const argv[], const char *log,
             char *ready, size_t cap, int timeout_ms)
{
	int pfd[2] = { -1, -1 };
	char fdbuf[16] = "";
	if (ready && pipe(pfd) < 0)
		return -1;
	if (ready)
		snprintf(fdbuf, sizeof fdbuf, "%d", pfd[1]);
	pid_t parent = getpid();
	fflush(stdout);
	pid_t pid = fork();
	if (pid < 0) {
		if (ready) {
			close(pfd[0]);
			close(pfd[1]);
		}
		return -1;
	}
	if (pid == 0) {
		const char *args[64];
		int n = 0;
		for (int i = 0; argv[i] && n < 63; i++)
			args[n++] = ready && strcmp(argv[i], "READYFD") == 0 ? fdbuf : argv[i];
		args[n] = NULL;
		if (ready)
			close(pfd[0]);
		int fd = open(log ? log : "/dev/null", O_WRONLY | O_CREAT | O_APPEND, 0600);
		if (fd >= 0) {
			dup2(fd, 1);
			dup2(fd, 2);
			close(fd);
		}
		/* a process group of its own: a signal it sends its group (perf
		 * record stopped early signals "its workload", pid 0) stays there */
		setpgid(0, 0);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (getppid() != parent)
			_exit(125);
		union { const char *const *c; char *const *m; } u = { args };
		execvp(args[0], u.m);
		_exit(127);
	}
	bu_watch_pid(pid);
	if (ready) {
		close(pfd[1]);
		size_t n = 0;
		int64_t end = bu_now_ns() + (int64_t)timeout_ms * 1000000;
		ready[0] = '\0';
		while (n + 1 < cap && !memchr(ready, '\n', n)) {
			int left = (int)((end - bu_now_ns()) / 1000000);
			struct pollfd pf = { pfd[0], POLLIN, 0 };
			if (left <= 0 || poll(&pf, 1, left) <= 0)
				break;
			ssize_t r = read(pfd[0], ready + n, cap - 1 - n);
			if (r <= 0)
				break;
			n += (size_t)r;
		}
		close(pfd[0]);
		ready[n] = '\0';
		char *nl = strchr(ready, '\n');
		if (!nl) {
			fprintf(stderr, "%s: %s did not get ready\n", guard_name, what);
			bu_stop(what, pid);
			return -1;
		}
		*nl = '\0';
	}
	printf("  started %s pid %d\n", what, (int)pid);
	fflush(stdout);
	return (int)pid;
}

int bu_stop(const char *what, int pid)
{
	int st = 0;
	if (pid <= 0)
		return -1;
	kill(pid, SIGTERM);
	int64_t end = bu_now_ns() + 5000000000LL;
	pid_t r;
	while ((r = waitpid(pid, &st, WNOHANG)) == 0 && bu_now_ns() < end) {
		struct timespec ts = { 0, 2000000 };
		nanosleep(&ts, NULL);
	}
	if (r == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &st, 0);
	}
	bu_unwatch_pid(pid);
	printf("  stopped %s pid %d\n", what, pid);
	fflush(stdout);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int bu_perf_start(int pid, const char *file)
{
	char spid[16];
	snprintf(spid, sizeof spid, "%d", pid);
	const char *cg = getenv("BENCH_PERF_CG");
	const char *argv[] = { "perf", "record", "--call-graph", cg && *cg ? cg : "fp",
	                       "-p", spid, "-o", file, NULL };
	int pp = bu_spawn("perf record", argv, NULL, NULL, 0, 0);
	if (pp < 0)
		fprintf(stderr, "%s: perf did not start (apt-get install linux-perf)\n",
		        guard_name);
	return pp;
}

void bu_perf_stop(int perf_pid, const char *file, int ok, const char *what)
{
	char cmd[1400];
	if (perf_pid <= 0)
		return;
	kill(perf_pid, SIGINT);
	bu_stop("perf record", perf_pid);
	if (!ok)
		return;
	printf("perf: %s: %s\n", what, file);
	snprintf(cmd, sizeof cmd, "perf report -i '%s' --stdio --no-children "
	         "--sort dso -g none 2>/dev/null | grep -v '^#' | grep -v '^$' | "
	         "head -6; perf report -i '%s' --stdio --no-children --sort symbol "
	         "--percent-limit 1 -g none 2>/dev/null | grep -v '^#' | "
	         "grep -v '^$' | head -25", file, file);
	fflush(stdout);
	if (system(cmd) != 0)
		fprintf(stderr, "%s: perf report failed\n", guard_name);
}

int bu_lat_init(struct bu_lat *l, size_t cap)
{
	memset(l, 0, sizeof *l);
	l->ns = malloc(cap * sizeof *l->ns);
	if (!l->ns)
		return -ENOMEM;
	l->cap = cap;
	return 0;
}

void bu_lat_add(struct bu_lat *l, int64_t ns)
{
	if (l->n < l->cap)
		l->ns[l->n] = ns;
	l->n++;
	l->total += ns;
}

double bu_lat_mean_us(const struct bu_lat *l)
{
	return l->n ? (double)l->total / (double)l->n / 1e3 : 0;
}

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

double bu_lat_pct_us(struct bu_lat *l, int pct)
{
	size_t k = l->n < l->cap ? l->n : l->cap;
	if (k == 0)
		return 0;
	qsort(l->ns, k, sizeof *l->ns, cmp_i64);
	size_t i = (k - 1) * (size_t)pct / 100;
	return (double)l->ns[i] / 1e3;
}

void bu_lat_free(struct bu_lat *l)
{
	free(l->ns);
	memset(l, 0, sizeof *l);
}

int bu_fail(const char *name, const char *what)
{
	fprintf(stderr, "%s: %s\n", name, what);
	return -1;
}

e2e_pump *bu_begin(const char *name, unsigned deadline_s, uv_loop_t *loop, unsigned flags)
{
	bu_guard(name, deadline_s);
	if (sodium_init() < 0 || uv_loop_init(loop) != 0)
		return NULL;
	e2e_pump *p = bu_pump_start_args(NULL, flags, NULL);
	if (!p)
		bu_fail(name, "pumpd did not start");
	return p;
}

int bu_end(const char *name, uv_loop_t *loop, int rc)
{
	uv_run(loop, UV_RUN_NOWAIT);
	if (uv_loop_close(loop) != 0)
		fprintf(stderr, "%s: handles left on the loop\n", name);
	return rc;
}

struct bu_wreq {
	uv_write_t req;
	uint8_t data[];
};

static void bu_written(uv_write_t *req, int status)
{
	(void)status;
	free(req->data);
}

int bu_write(uv_stream_t *s, const uint8_t *buf, size_t len)
{
	uv_buf_t b = uv_buf_init((char *)(uintptr_t)buf, (unsigned)len);
	int w = uv_try_write(s, &b, 1);
	if (w == (int)len)
		return 0;
	if (w < 0 && w != UV_EAGAIN)
		return w;
	if (w < 0)
		w = 0;
	struct bu_wreq *r = malloc(sizeof *r + len - (size_t)w);
	if (!r)
		return UV_ENOMEM;
	memcpy(r->data, buf + w, len - (size_t)w);
	r->req.data = r;
	b = uv_buf_init((char *)r->data, (unsigned)(len - (size_t)w));
	int rc = uv_write(&r->req, s, &b, 1, bu_written);
	if (rc < 0)
		free(r);
	return rc;
}
