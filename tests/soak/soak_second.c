/* tests/soak/soak_second.c — a second `pumpd run` on a state directory a
 * running pumpd holds must be refused (exit non-zero, a message naming the
 * holder's pid) while the first keeps serving.  The second gets its own
 * socket, so that only the state directory can make it refuse; whether it
 * started is read on its --ready-fd pipe (READY, or the pipe closed). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "net/client.h"
#include "tests/lib/e2e.h"
#include "tests/soak/soak.h"
#include "tests/soak/soak_patient.h"

#define SECOND_MS 20000   /* a refusal or READY comes within this */

struct second {
	pid_t pid;
	int ready;            /* it wrote READY */
	int status;           /* exit status, -1 when killed / still running */
	char out[2048];       /* its stdout and stderr */
};

/* Read fd to EOF into out (cap bytes), at most until end_us: 1 when it
 * reached EOF. */
static int slurp(int fd, char *out, size_t cap, int64_t end_us)
{
	size_t n = strlen(out);
	char junk[256];
	for (;;) {
		int64_t left = (end_us - soak_now_us()) / 1000;
		if (left <= 0 || !soak_wait_fd(fd, (int)left))
			return 0;
		int full = n + 1 >= cap;
		ssize_t r = full ? read(fd, junk, sizeof junk) :
		                   read(fd, out + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return 1;
		if (!full) {
			n += (size_t)r;
			out[n] = '\0';
		}
	}
}

static void run_second(e2e_pump *p, struct second *s)
{
	int rp[2], op[2];
	char sock[256], fdarg[16];
	memset(s, 0, sizeof *s);
	s->status = -1;
	snprintf(sock, sizeof sock, "%s/second.sock", e2e_dir(p));
	if (soak_pipe(rp) < 0)
		return;
	if (soak_pipe(op) < 0) {
		close(rp[0]);
		close(rp[1]);
		return;
	}
	s->pid = soak_fork();
	if (s->pid == 0) {
		int fd = dup(rp[1]);   /* without close-on-exec */
		snprintf(fdarg, sizeof fdarg, "%d", fd);
		dup2(op[1], 1);
		dup2(op[1], 2);
		execl(e2e_pumpd_path(), e2e_pumpd_path(), "run", e2e_state_dir(p),
		      "--unix", sock, "--sim", "--speed", "0", "--ready-fd", fdarg,
		      (char *)NULL);
		_exit(127);
	}
	close(rp[1]);
	close(op[1]);
	int64_t end = soak_now_us() + (int64_t)SECOND_MS * 1000;
	char ready[256] = "";
	slurp(rp[0], ready, sizeof ready, end);
	s->ready = strncmp(ready, "READY", 5) == 0;
	int st;
	if (s->ready || !slurp(op[0], s->out, sizeof s->out, end))
		soak_kill_child(s->pid);    /* it serves, or hangs: stop it */
	else if (waitpid(s->pid, &st, 0) == s->pid && WIFEXITED(st))
		s->status = WEXITSTATUS(st);
	close(rp[0]);
	close(op[0]);
}

void soak_second_daemon(const struct soak_opts *o)
{
	(void)o;
	e2e_pump *p = e2e_start(NULL, E2E_QUIET);
	struct second *s = calloc(1, sizeof *s);
	struct client_config cfg;
	char why[96] = "", pid[24];
	if (!p || !s || e2e_client_config(p, "patient", &cfg) < 0) {
		soak_check(0, "second: could not start a pump");
		goto out;
	}
	run_second(p, s);
	snprintf(pid, sizeof pid, "%d", e2e_pid(p));
	for (char *c = s->out; *c; c++)   /* one line, printable */
		if (*c == '\n')
			*c = ' ';
		else if ((unsigned char)*c < 0x20 || (unsigned char)*c > 0x7e)
			*c = '?';
	soak_check(!s->ready && s->status > 0,
	           "second: a second pumpd run on the same state is refused (%s)",
	           s->ready ? "it started: READY" : s->status > 0 ? "exit non-zero" :
	           "it neither started nor exited");
	soak_check(!s->ready && strstr(s->out, pid) != NULL,
	           "second: its message names the holder (pid %s): \"%.160s\"", pid,
	           s->ready ? "(none: it started)" : s->out);
	int64_t lat = soak_status_once(&cfg, 5000, why, sizeof why);
	soak_check(lat >= 0, "second: the first pumpd keeps serving%s%s",
	           lat >= 0 ? "" : ": ", why);
out:
	free(s);
	e2e_free(p);
}
