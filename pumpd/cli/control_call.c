/* pumpd/cli/control_call.c — one request to a running daemon's control socket
 * (see control_call.h, control.h). */
#include "pumpd/cli/control_call.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "pumpd/control.h"
#include "util/fmt.h"
#include "pumpd/statedir.h"

#define REPLY_MAX (16u << 20)

static int connect_to(const char *path, unsigned wait_ms)
{
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sa.sun_path)
		return -ENAMETOOLONG;
	memcpy(sa.sun_path, path, strlen(path));
	struct timespec pause = { 0, 50 * 1000 * 1000 };
	for (unsigned waited = 0;; waited += 50) {
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			return -errno;
		if (connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0)
			return fd;
		int e = -errno;
		close(fd);
		/* a daemon that holds the lock but is still opening its state */
		if ((e != -ENOENT && e != -ECONNREFUSED) || waited >= wait_ms)
			return e;
		nanosleep(&pause, NULL);
	}
}

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		p += w;
		n -= (size_t)w;
	}
	return 0;
}

static int read_all(int fd, char **out, size_t *len)
{
	size_t cap = 4096, n = 0;
	char *buf = malloc(cap + 1);
	if (!buf)
		return -ENOMEM;
	for (;;) {
		if (n == cap) {
			if (cap >= REPLY_MAX) {
				free(buf);
				return -EFBIG;
			}
			char *b = realloc(buf, cap * 2 + 1);
			if (!b) {
				free(buf);
				return -ENOMEM;
			}
			buf = b;
			cap *= 2;
		}
		ssize_t r = read(fd, buf + n, cap - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = -errno;
			free(buf);
			return e;
		}
		if (r == 0)
			break;
		n += (size_t)r;
	}
	buf[n] = 0;
	*out = buf;
	*len = n;
	return 0;
}

int control_call(const char *dir, const char *line, const char *body,
                 size_t len, unsigned wait_ms, char **reply, char *err,
                 size_t errcap)
{
	char path[4096];
	*reply = NULL;
	if (statedir_path(path, sizeof path, dir, CONTROL_SOCK) < 0) {
		fmt_set(err, errcap, "%s: path too long", dir);
		return -ENAMETOOLONG;
	}
	int fd = connect_to(path, wait_ms);
	if (fd < 0) {
		fmt_set(err, errcap, "cannot reach the running pumpd on %s: %s",
		           path, strerror(-fd));
		return fd;
	}
	struct timeval tv = { 30, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
	char *in = NULL;
	size_t n = 0;
	int e = write_all(fd, line, strlen(line));
	if (e == 0)
		e = write_all(fd, "\n", 1);
	if (e == 0 && body && len)
		e = write_all(fd, body, len);
	if (e == 0 && shutdown(fd, SHUT_WR) < 0)
		e = -errno;
	if (e == 0)
		e = read_all(fd, &in, &n);
	close(fd);
	if (e < 0) {
		fmt_set(err, errcap, "the running pumpd (%s) did not answer: %s",
		           path, strerror(-e));
		return e;
	}
	char *nl = strchr(in, '\n');
	if (nl && strncmp(in, "ok\n", 3) == 0) {
		memmove(in, nl + 1, n - (size_t)(nl + 1 - in) + 1);
		*reply = in;
		return 0;
	}
	int code = 0;
	char msg[512] = "";
	if (nl) {
		*nl = 0;
		if (sscanf(in, "error\t%d\t%511[^\n]", &code, msg) < 1)
			code = 0;
	}
	if (code <= 0 || code > 125) {
		fmt_set(err, errcap, "the running pumpd gave a reply this command "
		           "does not understand");
		free(in);
		return -EPROTO;
	}
	fmt_set(err, errcap, "%s", msg);
	memmove(in, nl + 1, n - (size_t)(nl + 1 - in) + 1);
	*reply = in;
	return code;
}
