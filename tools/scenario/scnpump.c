/*
 * tools/scenario/scnpump.c — a private pumpd (see scnpump.h): its children,
 * its READY line, its directory, keys and pairings.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include "tools/scenario/scnpump.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include <sodium.h>

#include "util/units.h"
#include "util/fmt.h"

#define ARGS_MAX 32      /* a caller's argument list */
#define ARGV_MAX 48      /* a whole command line */

/* out = a/b; -1 if it does not fit */
static int pathcat(char *out, size_t n, const char *a, const char *b)
{
	int w = snprintf(out, n, "%s/%s", a, b);
	return w < 0 || (size_t)w >= n ? -1 : 0;
}

void scnpump_init(struct scnpump *p, const char *pumpd, uint32_t timeout_ms)
{
	memset(p, 0, sizeof *p);
	p->pumpd = pumpd;
	p->timeout_ms = timeout_ms ? timeout_ms : 10000;
}

void scnpump_describe(int status, char *buf, size_t n)
{
	if (status < 0)
		fmt_set(buf, n, "could not be waited for");
	else if (WIFEXITED(status))
		fmt_set(buf, n, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		fmt_set(buf, n, "killed by signal %d", WTERMSIG(status));
	else
		fmt_set(buf, n, "ended (status 0x%x)", (unsigned)status);
}

/* ---- child processes ------------------------------------------------------ */

static int64_t now_ms(void)
{
	struct timespec t;
	clock_gettime(CLOCK_MONOTONIC, &t);
	return (int64_t)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* Append list (NULL-terminated) to argv[*a], keeping room for the NULL. */
static int add_args(const char **argv, int *a, const char *const *list)
{
	for (int i = 0; list && list[i]; i++) {
		if (i >= ARGS_MAX || *a >= ARGV_MAX - 1)
			return -1;
		argv[(*a)++] = list[i];
	}
	argv[*a] = NULL;
	return 0;
}

/* In the child: exec wants char *const[]; it does not change the strings. */
static void exec_pumpd(const char *prog, const char **argv)
{
	union { const char **c; char **m; } u = { argv };
	if (strchr(prog, '/'))
		execv(prog, u.m);
	else
		execvp(prog, u.m);
}

/* fork + exec pumpd with argv (argv[0] is set to the program); stdin from
 * /dev/null; stdout and stderr to out_fd when >= 0, else to the log (or
 * /dev/null when there is none); ready_fd >= 0 becomes fd 3.  Returns the
 * pid or -errno. */
static pid_t spawn(struct scnpump *p, const char **argv, int out_fd, int ready_fd)
{
	pid_t parent = getpid();
	pid_t pid;

	argv[0] = p->pumpd;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int nul = open("/dev/null", O_RDWR | O_CLOEXEC);
		int outfd = out_fd;
		if (outfd < 0 && p->log[0])
			outfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
		if (outfd < 0)
			outfd = nul;
		if (nul >= 0)
			dup2(nul, 0);
		if (outfd >= 0) {
			dup2(outfd, 1);
			dup2(outfd, 2);
		}
		if (ready_fd >= 0) {
			if (ready_fd != 3)
				dup2(ready_fd, 3);
			else
				fcntl(3, F_SETFD, 0);
		}
		if (p->child_setup)
			p->child_setup(p->child_ud);
#ifdef __linux__
		/* after child_setup: a change of user clears it */
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if (getppid() != parent)
			_exit(125);   /* the parent is gone already */
		exec_pumpd(p->pumpd, argv);
		dprintf(2, "cannot run %s: %s\n", p->pumpd, strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Wait for pid until the deadline (now_ms() time); SIGKILL after it, then
 * *late = 1.  Returns the wait status or -1. */
static int reap_by(pid_t pid, int64_t deadline, int *late)
{
	int status;
	for (;;) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (now_ms() >= deadline) {
			kill(pid, SIGKILL);
			*late = 1;
			while ((w = waitpid(pid, &status, 0)) < 0 && errno == EINTR)
				;
			return w == pid ? status : -1;
		}
		/* polling for an exit within a deadline, not synchronisation */
		struct timespec step = { 0, 2000000 };
		nanosleep(&step, NULL);
	}
}

static int reap(pid_t pid, uint32_t ms)
{
	int late = 0;
	return reap_by(pid, now_ms() + ms, &late);
}

/* Read fd until EOF or the deadline into out (cap bytes, NUL-terminated).
 * 0 at EOF, -1 at the deadline. */
static int collect(int fd, char *out, size_t cap, int64_t deadline)
{
	size_t got = 0;
	char drop[512];
	int rc = -1;
	for (;;) {
		int64_t left = deadline - now_ms();
		struct pollfd pf = { fd, POLLIN, 0 };
		int pr = left <= 0 ? 0 : poll(&pf, 1, (int)left);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			break;
		char *to = got + 1 < cap ? out + got : drop;
		size_t room = got + 1 < cap ? cap - 1 - got : sizeof drop;
		ssize_t r = read(fd, to, room);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0) {
			rc = 0;
			break;
		}
		if (to != drop)
			got += (size_t)r;
	}
	if (cap)
		out[got] = '\0';
	return rc;
}

int scnpump_command(struct scnpump *p, const char *const *args, char *out,
                    size_t cap, char *why, size_t n)
{
	const char *argv[ARGV_MAX];
	int a = 1, pfd[2] = { -1, -1 }, late = 0, status;
	int64_t deadline = now_ms() + p->timeout_ms;
	const char *what = args && args[0] ? args[0] : "";
	pid_t pid;

	if (add_args(argv, &a, args) != 0) {
		fmt_set(why, n, "pumpd %s: too many arguments", what);
		return -1;
	}
	if (out && cap && pipe2(pfd, O_CLOEXEC) != 0) {
		fmt_set(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = spawn(p, argv, pfd[1], -1);
	if (pfd[1] >= 0)
		close(pfd[1]);
	if (pid < 0) {
		if (pfd[0] >= 0)
			close(pfd[0]);
		fmt_set(why, n, "cannot start %s: %s", p->pumpd, strerror((int)-pid));
		return -1;
	}
	if (pfd[0] >= 0) {
		if (collect(pfd[0], out, cap, deadline) != 0)
			deadline = 0;   /* still writing at the deadline: stop it */
		close(pfd[0]);
	}
	status = reap_by(pid, deadline, &late);
	if (late) {
		fmt_set(why, n, "pumpd %s still ran after %u ms: killed", what,
		              p->timeout_ms);
		return -1;
	}
	if (status < 0)
		fmt_set(why, n, "pumpd %s could not be waited for", what);
	return status;
}

/* Run `pumpd args...` with its output in p->cmd_out or the log: 0 if it
 * exited 0. */
static int run_tool(struct scnpump *p, const char *const *args, char *why, size_t n)
{
	char d[64];
	int status = scnpump_command(p, args, p->cmd_out, p->cmd_cap, why, n);
	if (status == 0)
		return 0;
	if (status > 0) {
		scnpump_describe(status, d, sizeof d);
		fmt_set(why, n, "pumpd %s %s", args[0], d);
	}
	return -1;
}

/* Read "READY ADDR...\n" from fd within the timeout.  0 or -1. */
static int read_ready(struct scnpump *p, int fd, char *why, size_t n)
{
	char buf[SCNPUMP_ADDR_MAX];
	size_t got = 0;
	for (;;) {
		struct pollfd pf = { fd, POLLIN, 0 };
		ssize_t k;
		int pr = poll(&pf, 1, (int)p->timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0) {
			fmt_set(why, n, "pumpd did not report READY within %u ms", p->timeout_ms);
			return -1;
		}
		k = read(fd, buf + got, sizeof buf - 1 - got);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0) {
			char d[64];
			scnpump_describe(reap(p->pid, p->timeout_ms), d, sizeof d);
			p->pid = 0;
			fmt_set(why, n, "pumpd run %s before it was ready", d);
			return -1;
		}
		got += (size_t)k;
		buf[got] = '\0';
		if (strchr(buf, '\n'))
			break;
		if (got == sizeof buf - 1) {
			fmt_set(why, n, "pumpd's READY line is too long");
			return -1;
		}
	}
	if (strncmp(buf, "READY ", 6) != 0) {
		fmt_set(why, n, "pumpd wrote '%.*s' instead of READY",
		             (int)strcspn(buf, "\n"), buf);
		return -1;
	}
	/* "READY ADDR [ADDR...]": the first address, and all of them */
	fmt_set(p->addr, sizeof p->addr, "%.*s", (int)strcspn(buf + 6, " \n"), buf + 6);
	fmt_set(p->ready, sizeof p->ready, "%.*s", (int)strcspn(buf + 6, "\n"), buf + 6);
	return 0;
}

int scnpump_start(struct scnpump *p, char *why, size_t n)
{
	int pfd[2], rc, a = 0;
	const char *argv[ARGV_MAX];
	pid_t pid;

	argv[a++] = NULL;
	argv[a++] = "run";
	argv[a++] = p->state;
	argv[a++] = "--unix";
	argv[a++] = p->sock;
	argv[a++] = "--ready-fd";
	argv[a++] = "3";
	if (add_args(argv, &a, p->run_args) != 0) {
		fmt_set(why, n, "pumpd run: too many arguments");
		return -1;
	}
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		fmt_set(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = spawn(p, argv, -1, pfd[1]);
	close(pfd[1]);
	if (pid < 0) {
		close(pfd[0]);
		fmt_set(why, n, "cannot start %s: %s", p->pumpd, strerror((int)-pid));
		return -1;
	}
	p->pid = pid;
	rc = read_ready(p, pfd[0], why, n);
	close(pfd[0]);
	return rc;
}

int scnpump_stop(struct scnpump *p, int sig)
{
	int status;
	if (p->pid <= 0)
		return 0;
	kill(p->pid, sig);
	status = reap(p->pid, p->timeout_ms);
	p->pid = 0;
	return status;
}

int scnpump_wait(struct scnpump *p, uint32_t ms)
{
	int late = 0, status;
	if (p->pid <= 0)
		return -1;
	status = reap_by(p->pid, now_ms() + ms, &late);
	p->pid = 0;
	return late ? -1 : status;
}

/* ---- making the pump -------------------------------------------------------- */

static int write_file(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f)
		return -errno;
	if (fputs(text, f) == EOF)
		rc = -EIO;
	if (fclose(f) != 0 && !rc)
		rc = -EIO;
	return rc;
}

static int make_dir(struct scnpump *p, const char *name, char *why, size_t n)
{
	const char *base = getenv("TMPDIR");
	/* a unix socket path must fit in 108 bytes */
	if (!base || !base[0] || strlen(base) > 60)
		base = "/tmp";
	if (!name || !name[0] || strlen(name) > 16 || strchr(name, '/')) {
		fmt_set(why, n, "bad directory name");
		return -1;
	}
	fmt_set(p->tmp, sizeof p->tmp, "%s/%s-XXXXXX", base, name);
	if (!mkdtemp(p->tmp)) {
		fmt_set(why, n, "temporary directory: %s", strerror(errno));
		p->tmp[0] = '\0';
		return -1;
	}
	if (pathcat(p->state, sizeof p->state, p->tmp, "pump") ||
	    pathcat(p->sock, sizeof p->sock, p->tmp, "pump.sock") ||
	    pathcat(p->log, sizeof p->log, p->tmp, "pumpd.log")) {
		fmt_set(why, n, "temporary path too long");
		return -1;
	}
	return 0;
}

/* pumpd init with the prescription, volume, start time and more. */
static int init_pump(struct scnpump *p, const struct scnpump_setup *s,
                     char *why, size_t n)
{
	char rxpath[PATH_MAX], vol[UNITS_FMT_MAX], start[UNITS_FMT_MAX];
	const char *argv[ARGV_MAX];
	int a = 0;

	argv[a++] = "init";
	argv[a++] = p->state;
	if (s->rx_text) {
		if (pathcat(rxpath, sizeof rxpath, p->tmp, "rx.txt")) {
			fmt_set(why, n, "temporary path too long");
			return -1;
		}
		if (write_file(rxpath, s->rx_text) != 0) {
			fmt_set(why, n, "cannot write %s", rxpath);
			return -1;
		}
	} else if (s->rx_path) {
		if (strlen(s->rx_path) >= sizeof rxpath) {
			fmt_set(why, n, "rx: path too long");
			return -1;
		}
		fmt_set(rxpath, sizeof rxpath, "%s", s->rx_path);
		if (access(rxpath, R_OK) != 0) {
			fmt_set(why, n, "rx %s: %s", rxpath, strerror(errno));
			return -1;
		}
	}
	if (s->rx_text || s->rx_path) {
		argv[a++] = "--rx";
		argv[a++] = rxpath;
	}
	if (s->volume_nl) {
		/* "19.95 mL" -> "19.95" */
		units_fmt_volume(s->volume_nl, vol);
		if (s->volume_nl < 100000 || !strstr(vol, " mL")) {
			fmt_set(why, n, "volume= must be at least 0.1mL");
			return -1;
		}
		*strstr(vol, " mL") = '\0';
		argv[a++] = "--volume-ml";
		argv[a++] = vol;
	}
	if (s->start_ms) {
		argv[a++] = "--start";
		argv[a++] = units_fmt_time(s->start_ms, start);
	}
	argv[a] = NULL;
	if (add_args(argv, &a, s->init_args) != 0) {
		fmt_set(why, n, "pumpd init: too many arguments");
		return -1;
	}
	return run_tool(p, argv, why, n);
}

int scnpump_find(const struct scnpump *p, const char *name)
{
	for (unsigned i = 0; i < p->n_remotes; i++)
		if (strcmp(p->remote[i].name, name) == 0)
			return (int)i;
	return -1;
}

int scnpump_pair(struct scnpump *p, const char *name, const char *role,
                 char *why, size_t n)
{
	char keydir[SCNPUMP_PATH_MAX], err[KEYS_ERRLEN];
	struct scnpump_remote *r;
	unsigned i = p->n_remotes;

	if (!p->tmp[0]) {
		fmt_set(why, n, "no pump to pair '%s' with", name);
		return -1;
	}
	if (i >= SCNPUMP_REMOTES_MAX || strlen(name) >= sizeof r->name ||
	    strlen(role) >= sizeof r->role || scnpump_find(p, name) >= 0) {
		fmt_set(why, n, "cannot add a remote called '%s'", name);
		return -1;
	}
	r = &p->remote[i];
	memset(r, 0, sizeof *r);
	fmt_set(r->name, sizeof r->name, "%s", name);
	fmt_set(r->role, sizeof r->role, "%s", role);
	if (pathcat(keydir, sizeof keydir, p->tmp, "keys") ||
	    snprintf(r->key_path, sizeof r->key_path, "%s/%s.key", keydir, name) >=
	        (int)sizeof r->key_path ||
	    snprintf(r->pub_path, sizeof r->pub_path, "%s/%s.pub", keydir, name) >=
	        (int)sizeof r->pub_path) {
		fmt_set(why, n, "temporary path too long");
		return -1;
	}
	if (mkdir(keydir, 0700) != 0 && errno != EEXIST) {
		fmt_set(why, n, "mkdir %s: %s", keydir, strerror(errno));
		return -1;
	}
	if (keys_generate(p->priv[i], r->pub) != 0 ||
	    keys_write_pair(keydir, name, p->priv[i], err) != 0) {
		sodium_memzero(p->priv[i], sizeof p->priv[i]);
		fmt_set(why, n, "key for %s: %s", name, err);
		return -1;
	}
	const char *argv[] = { "pair", p->state, "--role", r->role, "--name", r->name,
	                       r->pub_path, NULL };
	if (run_tool(p, argv, why, n) != 0) {
		sodium_memzero(p->priv[i], sizeof p->priv[i]);
		return -1;
	}
	p->n_remotes++;
	return 0;
}

int scnpump_create(struct scnpump *p, const struct scnpump_setup *s,
                   char *why, size_t n)
{
	char pub[SCNPUMP_PATH_MAX], err[KEYS_ERRLEN];

	p->run_args = s->run_args;
	if (make_dir(p, s->dir_name ? s->dir_name : "ptmctl", why, n) != 0 ||
	    init_pump(p, s, why, n) != 0)
		return -1;
	if (pathcat(pub, sizeof pub, p->state, "pump.pub") ||
	    keys_load_public(pub, p->pump_pub, err) != 0) {
		fmt_set(why, n, "%s", err);
		return -1;
	}
	for (unsigned i = 0; i < s->n_remotes; i++)
		if (scnpump_pair(p, s->remotes[i].name, s->remotes[i].role, why, n) != 0)
			return -1;
	return 0;
}

void scnpump_log_tail(const struct scnpump *p, void (*line)(void *ud, const char *text),
                      void *ud)
{
	char lines[8][256];
	unsigned n = 0;
	FILE *f = p->log[0] ? fopen(p->log, "r") : NULL;
	if (!f)
		return;
	while (fgets(lines[n % 8], sizeof lines[0], f))
		n++;
	fclose(f);
	for (unsigned i = n > 8 ? n - 8 : 0; i < n; i++) {
		char *l = lines[i % 8];
		l[strcspn(l, "\n")] = '\0';
		line(ud, l);
	}
}

static int rm_one(const char *path, const struct stat *sb, int flag, struct FTW *ftw)
{
	(void)sb;
	(void)flag;
	(void)ftw;
	return remove(path);
}

int scnpump_destroy(struct scnpump *p, int keep)
{
	int status = scnpump_stop(p, SIGTERM);
	if (p->tmp[0] && !keep)
		nftw(p->tmp, rm_one, 16, FTW_DEPTH | FTW_PHYS);
	p->tmp[0] = '\0';
	sodium_memzero(p->priv, sizeof p->priv);
	return status;
}
