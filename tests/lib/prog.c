/* tests/lib/prog.c — a program of the build run as a child with its
 * output read through pipes (see prog.h). */
#define _GNU_SOURCE 1 /* pipe2 */
#include "tests/lib/prog.h"

#include <criterion/criterion.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/e2e_time.h"

#define ARGV_MAX 40

int prog_path(const char *name, char *path, size_t cap)
{
	const char *b = getenv("PTM_BUILD");
	snprintf(path, cap, "%s/%s", b && *b ? b : "build", name);
	return access(path, X_OK) == 0 ? 0 : -1;
}

void prog_find(const char *name, char *path, size_t cap)
{
	if (prog_path(name, path, cap) != 0)
		cr_skip_test("no %s at %s", name, path);
}

void prog_spawn(struct prog *c, const char *path, const char *const *args,
                const char *const *env)
{
	int o[2], e[2];
	const char *argv[ARGV_MAX];
	int n = 0;

	memset(c, 0, sizeof *c);
	c->out_fd = c->err_fd = -1;
	argv[n++] = path;
	for (; *args; args++) {
		cr_assert_lt(n, ARGV_MAX - 1, "%s: too many arguments", path);
		argv[n++] = *args;
	}
	argv[n] = NULL;
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		int in = open("/dev/null", O_RDONLY);
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		if (in < 0 || dup2(in, 0) < 0 || dup2(o[1], 1) < 0 || dup2(e[1], 2) < 0)
			_exit(126);
		unsetenv("PTM_PUMP");
		unsetenv("PTM_KEY");
		unsetenv("PTM_PUMP_KEY");
		for (; env && *env; env++) {
			char name[64];
			size_t k = strcspn(*env, "=");
			if (k >= sizeof name || !(*env)[k])
				_exit(126);
			memcpy(name, *env, k);
			name[k] = '\0';
			if (setenv(name, *env + k + 1, 1) != 0)
				_exit(126);
		}
		execv(path, (char *const *)(void *)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	c->out_fd = o[0];
	c->err_fd = e[0];
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static unsigned count(const char *hay, const char *needle)
{
	unsigned n = 0;
	for (const char *p = hay; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	return n;
}

/* Enough: stdout holds out_want, or stderr holds err_want n times. */
static int enough(const struct prog *c, const char *out_want, const char *err_want,
                  unsigned n)
{
	if (out_want)
		return strstr(c->out, out_want) != NULL;
	return err_want && count(c->err, err_want) >= n;
}

/* Read both pipes until enough(), both are closed, or ms (scaled) pass. */
static int read_until(struct prog *c, const char *out_want, const char *err_want,
                      unsigned n, int ms)
{
	int64_t end = mono_ms() + e2e_ms(ms);
	int any = out_want || err_want;
	while (c->out_fd >= 0 || c->err_fd >= 0) {
		struct pollfd p[2] = { { c->out_fd, POLLIN, 0 }, { c->err_fd, POLLIN, 0 } };
		int64_t left = end - mono_ms();
		if (any && enough(c, out_want, err_want, n))
			return 1;
		if (left <= 0 || poll(p, 2, (int)left) <= 0)
			return 0;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &c->err_fd : &c->out_fd;
			char *buf = i ? c->err : c->out;
			size_t *len = i ? &c->nerr : &c->nout;
			ssize_t k;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			k = read(*fd, buf + *len, PROG_OUT_MAX - 1 - *len);
			if (k <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			*len += (size_t)k;
			buf[*len] = '\0';
		}
	}
	return any ? enough(c, out_want, err_want, n) : 1;
}

int prog_read_until(struct prog *c, const char *want, int ms)
{
	return read_until(c, want, NULL, 0, ms);
}

int prog_read_err_until(struct prog *c, const char *want, unsigned n, int ms)
{
	return read_until(c, NULL, want, n, ms);
}

int prog_finish(struct prog *c)
{
	int status;
	if (!read_until(c, NULL, NULL, 0, 20000))
		kill(c->pid, SIGKILL);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->out_fd = c->err_fd = -1;
	cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
	c->rc = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
	return c->rc;
}

json_t *prog_json(const struct prog *c)
{
	json_error_t e;
	json_t *j = json_loads(c->out, 0, &e);
	cr_assert_not_null(j, "not JSON (%s): %s", e.text, c->out);
	return j;
}

int prog_run(struct prog *c, const char *path, const char *const *args,
             const char *const *env)
{
	prog_spawn(c, path, args, env);
	return prog_finish(c);
}
