/* bench/redis.c — a minimal blocking RESP client (see redis.h). */
#include "bench/redis.h"
#include "bench/util.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#define INFO_MAX 65536

int rds_connect(const char *path)
{
	struct sockaddr_un sa;
	if (!path || !*path)
		return -EINVAL;
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	memcpy(sa.sun_path, path, strlen(path) + 1);
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

int rds_send(int fd, const char *cmd)
{
	size_t n = strlen(cmd);
	while (n) {
		ssize_t w = send(fd, cmd, n, MSG_NOSIGNAL);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return w < 0 ? -errno : -EIO;
		cmd += w;
		n -= (size_t)w;
	}
	return 0;
}

/* Length of the whole reply at b (n bytes), 0 when more is needed, -EPROTO
 * when it is not one we read.  Handles + - : $ (what the anchors use). */
static long reply_len(const char *b, size_t n)
{
	const char *eol = memchr(b, '\n', n);
	if (n == 0 || !eol)
		return 0;
	size_t head = (size_t)(eol - b) + 1;
	switch (b[0]) {
	case '+': case '-': case ':':
		return (long)head;
	case '$': {
		long len = strtol(b + 1, NULL, 10);
		if (len < 0)
			return (long)head;           /* $-1: nil */
		size_t total = head + (size_t)len + 2;
		return n >= total ? (long)total : 0;
	}
	default:
		return -EPROTO;
	}
}

int rds_recv(int fd, char *buf, size_t cap, int timeout_ms)
{
	size_t n = 0;
	if (cap < 2)
		return -EPROTO;
	for (;;) {
		long whole = reply_len(buf, n);
		if (whole < 0)
			return (int)whole;
		if (whole > 0) {
			if ((size_t)whole != n)
				return -EPROTO;   /* one command in flight: no extra bytes */
			buf[n] = '\0';
			return (int)n;
		}
		if (n + 1 >= cap)
			return -EPROTO;
		struct pollfd pf = { fd, POLLIN, 0 };
		int pr = poll(&pf, 1, timeout_ms);
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr == 0)
			return -ETIMEDOUT;
		if (pr < 0)
			return -errno;
		ssize_t r = read(fd, buf + n, cap - 1 - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			return r < 0 ? -errno : -ECONNRESET;
		n += (size_t)r;
	}
}

int rds_call(int fd, const char *cmd, char *buf, size_t cap)
{
	int e = rds_send(fd, cmd);
	return e < 0 ? e : rds_recv(fd, buf, cap, RDS_TIMEOUT_MS);
}

static int info_text(int fd, char **out)
{
	char *buf = malloc(INFO_MAX);
	if (!buf)
		return -ENOMEM;
	int n = rds_call(fd, "*1\r\n$4\r\nINFO\r\n", buf, INFO_MAX);
	if (n < 0) {
		free(buf);
		return n;
	}
	*out = buf;
	return 0;
}

/* the value after "\nfield:" in INFO text, or NULL */
static const char *info_find(const char *text, const char *field)
{
	size_t fl = strlen(field);
	for (const char *p = strstr(text, field); p; p = strstr(p + 1, field))
		if ((p == text || p[-1] == '\n') && p[fl] == ':')
			return p + fl + 1;
	return NULL;
}

int64_t rds_info(int fd, const char *field)
{
	char *text;
	int e = info_text(fd, &text);
	if (e < 0)
		return e;
	const char *v = info_find(text, field);
	int64_t r = v ? strtoll(v, NULL, 10) : -ENOENT;
	free(text);
	return r;
}

void rds_version(int fd, char *buf, size_t cap)
{
	char *text;
	if (cap)
		buf[0] = '\0';
	if (info_text(fd, &text) < 0)
		return;
	const char *v = info_find(text, "redis_version");
	if (v)
		snprintf(buf, cap, "%.*s", (int)strcspn(v, "\r\n"), v);
	free(text);
}

int rds_time_calls(const char *sock, const char *cmd, int warm,
                   size_t max_ops, int64_t run_ns, struct bu_lat *l)
{
	char r[256];
	int fd = rds_connect(sock);
	if (fd < 0)
		return fd;
	int rc = 0;
	for (int i = 0; i < warm && rc >= 0; i++)
		rc = rds_call(fd, cmd, r, sizeof r);
	int64_t end = bu_now_ns() + run_ns;
	while (rc >= 0 && l->n < max_ops) {
		int64_t t = bu_now_ns();
		if (t >= end)
			break;
		rc = rds_call(fd, cmd, r, sizeof r);
		if (rc >= 0 && r[0] == '-')
			rc = -EPROTO;
		bu_lat_add(l, bu_now_ns() - t);
	}
	close(fd);
	return rc < 0 ? rc : 0;
}

double rds_benchmark(const char *sock, const char *test, const char *row,
                     int clients, int requests, double *p50_us)
{
	char c[16], n[16], out[8192];
	int pfd[2];
	snprintf(c, sizeof c, "%d", clients);
	snprintf(n, sizeof n, "%d", requests);
	const char *argv[] = { "redis-benchmark", "-s", sock, "-c", c, "-n", n,
	                       "-t", test, "--csv", NULL };
	if (pipe(pfd) < 0)
		return -errno;
	pid_t pid = fork();
	if (pid < 0) {
		close(pfd[0]);
		close(pfd[1]);
		return -errno;
	}
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		close(pfd[1]);
		int nul = open("/dev/null", O_WRONLY);
		if (nul >= 0)
			dup2(nul, 2);
		union { const char *const *c; char *const *m; } u = { argv };
		execvp(argv[0], u.m);
		_exit(127);
	}
	close(pfd[1]);
	size_t len = 0;
	ssize_t r;
	while (len + 1 < sizeof out &&
	       ((r = read(pfd[0], out + len, sizeof out - 1 - len)) > 0 ||
	        (r < 0 && errno == EINTR)))
		if (r > 0)
			len += (size_t)r;
	out[len] = '\0';
	close(pfd[0]);
	int st = 0;
	waitpid(pid, &st, 0);
	if (!WIFEXITED(st) || WEXITSTATUS(st) != 0)
		return -ENOENT;
	/* "GET","98039.22","0.271","0.064","0.255",... : test, rps, avg, min, p50 */
	char want[64];
	snprintf(want, sizeof want, "\"%s\",", row);
	for (char *l = out; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL) {
		if (strncmp(l, want, strlen(want)) != 0)
			continue;
		double v[5] = { 0 };
		const char *f = l + strlen(want);
		for (int i = 1; i < 5 && f; i++) {
			v[i] = strtod(f + (*f == '"'), NULL);
			f = strchr(f + 1, ',');
			f = f ? f + 1 : NULL;
		}
		if (p50_us)
			*p50_us = v[4] * 1000.0;
		return v[1] > 0 ? v[1] : -EPROTO;
	}
	return -ENOENT;
}
