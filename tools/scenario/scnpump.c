/*
 * tools/scenario/scnpump.c — the hermetic pumpd of a scenario (see scnpump.h).
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include "tools/scenario/scnpump.h"

#include <errno.h>
#include <fcntl.h>
#include <ftw.h>
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

/* fork + exec pumpd with argv (argv[0] is replaced); stdout and stderr to
 * the log; ready_fd >= 0 becomes fd 3.  Returns the pid or -errno. */
static pid_t spawn(struct scnpump *p, char **argv, int ready_fd)
{
	static char prog[PATH_MAX];
	pid_t pid;

	fmt_set(prog, sizeof prog, "%s", p->pumpd);
	argv[0] = prog;
	pid = fork();
	if (pid < 0)
		return -errno;
	if (pid == 0) {
		int logfd = open(p->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0600);
#ifdef __linux__
		prctl(PR_SET_PDEATHSIG, SIGKILL);
#endif
		if (logfd >= 0) {
			dup2(logfd, 1);
			dup2(logfd, 2);
		}
		if (ready_fd >= 0) {
			if (ready_fd != 3) {
				dup2(ready_fd, 3);
				close(ready_fd);
			} else {
				fcntl(3, F_SETFD, 0);
			}
		}
		if (strchr(p->pumpd, '/'))
			execv(p->pumpd, argv);
		else
			execvp(p->pumpd, argv);
		dprintf(2, "cannot run %s: %s\n", p->pumpd, strerror(errno));
		_exit(127);
	}
	return pid;
}

/* Wait for pid with a deadline; SIGKILL after it.  Returns the wait status
 * or -1. */
static int reap(pid_t pid, uint32_t ms)
{
	int status;
	struct timespec step = { 0, 5000000 };
	for (uint32_t waited = 0;; waited += 5) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return status;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited >= ms) {
			kill(pid, SIGKILL);
			return waitpid(pid, &status, 0) == pid ? status : -1;
		}
		/* polling for an exit within a deadline, not synchronisation */
		nanosleep(&step, NULL);
	}
}

/* Run `pumpd argv...` to completion: 0 if it exited 0. */
static int run_tool(struct scnpump *p, char **argv, char *why, size_t n)
{
	pid_t pid = spawn(p, argv, -1);
	int status;
	char d[64];
	if (pid < 0) {
		fmt_set(why, n, "cannot start %s: %s", p->pumpd, strerror((int)-pid));
		return -1;
	}
	status = reap(pid, p->timeout_ms);
	if (status == 0)
		return 0;
	scnpump_describe(status, d, sizeof d);
	fmt_set(why, n, "pumpd %s %s", argv[1], d);
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
	/* "READY ADDR [ADDR...]": the first address */
	fmt_set(p->addr, sizeof p->addr, "%.*s", (int)strcspn(buf + 6, " \n"), buf + 6);
	return 0;
}

int scnpump_start(struct scnpump *p, char *why, size_t n)
{
	int pfd[2], rc;
	char *argv[] = { NULL, "run", p->state, "--unix", p->sock, "--sim",
	                 "--speed", "0", "--ready-fd", "3", NULL };
	pid_t pid;

	if (pipe2(pfd, O_CLOEXEC) != 0) {
		fmt_set(why, n, "pipe: %s", strerror(errno));
		return -1;
	}
	pid = spawn(p, argv, pfd[1]);
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

static int make_dir(struct scnpump *p, char *why, size_t n)
{
	const char *base = getenv("TMPDIR");
	/* a unix socket path must fit in 108 bytes */
	if (!base || !base[0] || strlen(base) > 60)
		base = "/tmp";
	fmt_set(p->tmp, sizeof p->tmp, "%s/ptmctl-XXXXXX", base);
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

/* pumpd init with the prescription, volume and start time. */
static int init_pump(struct scnpump *p, const struct scnpump_setup *s,
                     char *why, size_t n)
{
	char rxpath[PATH_MAX], vol[UNITS_FMT_MAX], start[UNITS_FMT_MAX];
	char *argv[12];
	int a = 0;

	argv[a++] = NULL;
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
	return run_tool(p, argv, why, n);
}

/* A key pair per role in tmp/keys, each paired with its role. */
static int pair_roles(struct scnpump *p, char *why, size_t n)
{
	char keydir[PATH_MAX], pub[PATH_MAX], err[KEYS_ERRLEN];

	fmt_set(pub, sizeof pub, "%s/pump.pub", p->state);
	if (keys_load_public(pub, p->pump_pub, err) != 0) {
		fmt_set(why, n, "%s", err);
		return -1;
	}
	if (pathcat(keydir, sizeof keydir, p->tmp, "keys")) {
		fmt_set(why, n, "temporary path too long");
		return -1;
	}
	if (mkdir(keydir, 0700) != 0) {
		fmt_set(why, n, "mkdir %s: %s", keydir, strerror(errno));
		return -1;
	}
	for (int role = 0; role < SCN_ROLES; role++) {
		uint8_t rpub[KEYS_LEN];
		char rname[16];
		char *argv[] = { NULL, "pair", p->state, "--role", rname,
		                 "--name", rname, pub, NULL };
		fmt_set(rname, sizeof rname, "%s", scn_role_name(role));
		if (keys_generate(p->priv[role], rpub) != 0 ||
		    keys_write_pair(keydir, rname, p->priv[role], err) != 0) {
			fmt_set(why, n, "key for %s: %s", rname, err);
			return -1;
		}
		fmt_set(pub, sizeof pub, "%s/%s.pub", keydir, rname);
		if (run_tool(p, argv, why, n) != 0)
			return -1;
	}
	return 0;
}

int scnpump_create(struct scnpump *p, const struct scnpump_setup *s,
                   char *why, size_t n)
{
	if (make_dir(p, why, n) != 0 || init_pump(p, s, why, n) != 0)
		return -1;
	return pair_roles(p, why, n);
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
