/* tests/soak/soak_flooder.c — unauthenticated floods from a child process
 * (see soak_flooder.h).  Pacing (a byte every 0.3 s) is the traffic's
 * shape; nothing here waits on time to learn a state. */
#include "tests/soak/soak_flooder.h"

#include <errno.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "tests/soak/soak.h"

#define SLOW_EVERY_US 300000     /* a slow peer's byte every 0.3 s */
#define WAIT_CLOSE_US 1000000    /* GARBAGE, STORM: then we close it */
#define MSG1_FRAME 110           /* 2-byte length 0x006c + 108 bytes */
#define ITEM_MAX (2 + 4096)

struct slot {
	int fd;
	int connecting;          /* TCP connect in progress */
	int once;                /* has been open at least once */
	int64_t due;             /* closed: reopen at; SLOW: next byte;
	                            sent all: give up waiting at */
	size_t off, len;
	uint8_t *buf;
};

struct fl {
	const struct soak_flooder_cfg *c;
	struct soak_flood_stats *st;
	struct slot *s;
	uint64_t rng;
	unsigned open, opened_once;
	uint32_t next_src;       /* rotating TCP sources */
};

static void fill_random(struct fl *f, uint8_t *b, size_t n)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (uint8_t)soak_rand(&f->rng);
}

/* What an opened connection sends, by kind. */
static void make_item(struct fl *f, unsigned i, struct slot *s)
{
	s->off = s->len = 0;
	switch (f->c->kind) {
	case SOAK_FL_SLOW:
		s->buf[0] = 0x00;
		s->buf[1] = 0x6c;
		fill_random(f, s->buf + 2, MSG1_FRAME - 2);
		s->len = MSG1_FRAME;
		break;
	case SOAK_FL_STORM:
		if (i % 2 == 0 && f->c->replay_len <= ITEM_MAX) {
			memcpy(s->buf, f->c->replay, f->c->replay_len);
			s->len = f->c->replay_len;
			break;
		}
		/* fall through: a random message 1 */
		s->buf[0] = 0x00;
		s->buf[1] = 0x6c;
		fill_random(f, s->buf + 2, MSG1_FRAME - 2);
		s->len = MSG1_FRAME;
		break;
	case SOAK_FL_GARBAGE: {
		unsigned what = (unsigned)soak_rand_below(&f->rng, 4), n;
		if (what == 0) {            /* a random frame */
			n = 1 + (unsigned)soak_rand_below(&f->rng, 4096);
		} else if (what == 1) {     /* an oversize length, some bytes */
			n = 4097 + (unsigned)soak_rand_below(&f->rng, 65535 - 4097);
		} else if (what == 2) {     /* a random message 1 */
			n = 108;
		} else {                    /* a zero length */
			n = 0;
		}
		s->buf[0] = (uint8_t)(n >> 8);
		s->buf[1] = (uint8_t)n;
		s->len = 2 + (n > 4096 ? 100 : n);
		fill_random(f, s->buf + 2, s->len - 2);
		break;
	}
	default:
		break;
	}
}

static void opened(struct fl *f, unsigned i, struct slot *s, int64_t now)
{
	s->connecting = 0;
	f->st->connects++;
	if (!s->once) {
		s->once = 1;
		f->opened_once++;
	}
	if (++f->open > f->st->held_max)
		f->st->held_max = f->open;
	make_item(f, i, s);
	s->due = now;
}

static void drop(struct fl *f, struct slot *s, int64_t reopen_at)
{
	if (!s->connecting)
		f->open--;
	close(s->fd);
	s->fd = -1;
	s->connecting = 0;
	s->due = reopen_at;
}

static void open_slot(struct fl *f, unsigned i, struct slot *s, int64_t now)
{
	const struct soak_flooder_cfg *c = f->c;
	int tcp = c->tcp;
	int fd = socket(tcp ? AF_INET : AF_UNIX,
	                SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int r = -1;
	if (fd >= 0 && tcp) {
		struct sockaddr_in src, dst;
		memset(&src, 0, sizeof src);
		memset(&dst, 0, sizeof dst);
		src.sin_family = dst.sin_family = AF_INET;
		if (c->tcp_src)
			inet_pton(AF_INET, c->tcp_src, &src.sin_addr);
		else   /* 127.1.0.1 .. 127.1.255.254 */
			src.sin_addr.s_addr = htonl(0x7f010000u |
			                            (1 + f->next_src++ % 65534));
		inet_pton(AF_INET, "127.0.0.1", &dst.sin_addr);
		dst.sin_port = htons((uint16_t)c->tcp_port);
		if (bind(fd, (struct sockaddr *)&src, sizeof src) == 0)
			r = connect(fd, (struct sockaddr *)&dst, sizeof dst);
	} else if (fd >= 0) {
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", c->unix_path);
		r = connect(fd, (struct sockaddr *)&sa, sizeof sa);
	}
	if (fd >= 0 && r < 0 && errno == EINPROGRESS) {
		s->fd = fd;
		s->connecting = 1;
		return;
	}
	if (r < 0) {
		/* backlog full (EAGAIN), no ports left, no listener: later */
		f->st->connect_errors++;
		if (fd >= 0)
			close(fd);
		s->due = now + (errno == EAGAIN ? 1000 : 10000);
		return;
	}
	s->fd = fd;
	opened(f, i, s, now);
}

/* Something on an open connection: data (read and dropped) or its end. */
static void on_event(struct fl *f, unsigned i, struct slot *s, short re,
                     int64_t now)
{
	if (s->connecting) {
		int err = 0;
		socklen_t len = sizeof err;
		getsockopt(s->fd, SOL_SOCKET, SO_ERROR, &err, &len);
		if (err) {
			f->st->connect_errors++;
			drop(f, s, now + 1000);
		} else if (re & POLLOUT) {
			opened(f, i, s, now);
		}
		return;
	}
	if (re & (POLLIN | POLLHUP | POLLERR)) {
		uint8_t tmp[4096];
		ssize_t n = read(s->fd, tmp, sizeof tmp);
		if (n == 0 || (n < 0 && errno != EAGAIN && errno != EINTR)) {
			f->st->pump_closes++;
			drop(f, s, now);
			return;
		}
	}
	if ((re & POLLOUT) && s->off < s->len) {
		size_t want = f->c->kind == SOAK_FL_SLOW ? 1 : s->len - s->off;
		ssize_t n = send(s->fd, s->buf + s->off, want, MSG_NOSIGNAL);
		if (n < 0 && errno != EAGAIN && errno != EINTR) {
			f->st->pump_closes++;
			drop(f, s, now);
			return;
		}
		if (n > 0)
			s->off += (size_t)n;
		if (f->c->kind == SOAK_FL_SLOW) {
			f->st->items += n > 0;
			s->due = now + SLOW_EVERY_US;
			if (s->off == s->len)
				make_item(f, i, s);
		} else if (s->off == s->len) {
			f->st->items++;
			s->due = now + WAIT_CLOSE_US;
		}
	}
}

/* The poll events slot s waits for now; adjusts *wait_us. */
static short wants(const struct fl *f, const struct slot *s, int64_t now,
                   int64_t *wait_us)
{
	if (s->connecting)
		return POLLOUT;
	short ev = POLLIN;
	if (s->off < s->len) {
		if (f->c->kind != SOAK_FL_SLOW || now >= s->due)
			ev |= POLLOUT;
		else if (s->due - now < *wait_us)
			*wait_us = s->due - now;
	}
	return ev;
}

static _Noreturn void run(struct fl *f, int ready_w)
{
	unsigned n = f->c->conns;
	struct pollfd *pf = calloc(n, sizeof *pf);
	unsigned *map = calloc(n, sizeof *map);
	if (!pf || !map)
		_exit(1);
	int ready = 0;
	for (;;) {
		int64_t now = soak_now_us(), wait_us = 50000;
		unsigned k = 0;
		for (unsigned i = 0; i < n; i++) {
			struct slot *s = &f->s[i];
			if (s->fd < 0 && now >= s->due)
				open_slot(f, i, s, now);
			if (s->fd >= 0 && !s->connecting && s->len && s->off == s->len &&
			    f->c->kind != SOAK_FL_SLOW && now >= s->due)
				drop(f, s, now);       /* it kept it open: try anew */
			if (s->fd < 0) {
				if (s->due - now < wait_us)
					wait_us = s->due - now;
				continue;
			}
			pf[k] = (struct pollfd){ s->fd, wants(f, s, now, &wait_us), 0 };
			map[k++] = i;
		}
		if (!ready && f->opened_once == n) {
			ready = 1;
			if (write(ready_w, "R", 1) != 1)
				_exit(1);
		}
		if (wait_us < 0)
			wait_us = 0;
		int r = poll(pf, k, (int)((wait_us + 999) / 1000));
		if (r <= 0)
			continue;
		now = soak_now_us();
		for (unsigned j = 0; j < k; j++)
			if (pf[j].revents)
				on_event(f, map[j], &f->s[map[j]], pf[j].revents, now);
	}
}

int soak_flooder_spawn(struct soak_flooder *f,
                       void (*child)(const void *arg, struct soak_flood_stats *st, int ready_fd),
                       const void *arg)
{
	int rp[2];
	memset(f, 0, sizeof *f);
	f->pid = -1;
	f->ready_fd = -1;
	f->st = soak_shared(sizeof *f->st);
	if (!f->st || soak_pipe(rp) < 0) {
		soak_unshare(f->st, sizeof *f->st);
		f->st = NULL;
		return -1;
	}
	pid_t pid = soak_fork();
	if (pid == 0) {
		close(rp[0]);
		child(arg, f->st, rp[1]);
		_exit(1);
	}
	close(rp[1]);
	if (pid < 0) {
		close(rp[0]);
		soak_unshare(f->st, sizeof *f->st);
		f->st = NULL;
		return -1;
	}
	f->pid = pid;
	f->ready_fd = rp[0];
	return 0;
}

static void flooder_child(const void *arg, struct soak_flood_stats *st, int ready_fd)
{
	const struct soak_flooder_cfg *c = arg;
	struct rlimit rl;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur < c->conns + 64) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (!c->tcp && soak_become(c->uid) < 0)
		_exit(1);
	struct fl fl = { c, st, calloc(c->conns, sizeof *fl.s), c->seed, 0, 0, 0 };
	uint8_t *bufs = calloc(c->conns, ITEM_MAX);
	if (!fl.s || !bufs)
		_exit(1);
	for (unsigned i = 0; i < c->conns; i++) {
		fl.s[i].fd = -1;
		fl.s[i].buf = bufs + (size_t)i * ITEM_MAX;
	}
	run(&fl, ready_fd);
}

int soak_flooder_start(const struct soak_flooder_cfg *c, struct soak_flooder *f)
{
	return soak_flooder_spawn(f, flooder_child, c);
}

int soak_flooder_ready(struct soak_flooder *f, int timeout_ms)
{
	char b;
	return soak_wait_fd(f->ready_fd, timeout_ms) && read(f->ready_fd, &b, 1) == 1;
}

void soak_flooder_stop(struct soak_flooder *f, struct soak_flood_stats *out)
{
	soak_kill_child(f->pid);
	if (out && f->st)
		*out = *f->st;
	if (f->ready_fd >= 0)
		close(f->ready_fd);
	soak_unshare(f->st, sizeof *f->st);
	memset(f, 0, sizeof *f);
	f->pid = -1;
	f->ready_fd = -1;
}
