/* tests/lib/e2e_remote.c — a blocking remote for a test pump: its own
 * frames and Noise handshake on a plain socket (see e2e_remote.h). */
#include "tests/lib/e2e_remote.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "tests/lib/e2e_live.h"
#include "tests/lib/e2e_time.h"

struct e2e_session {
	e2e_pump *p;
	int fd;
	noise_cipher tx, rx;
	unsigned notes;
	struct msg_notify last;
	uint8_t *sent;
	size_t sent_len, sent_cap;
	struct e2e_live live;   /* closed at exit if the test does not */
};

static void close_live(struct e2e_live *l)
{
	e2e_session_close((e2e_session *)(void *)((char *)l - offsetof(e2e_session, live)));
}

/* A TCP connection from e2e_tcp_source(p) to the pump's TCP listener. */
static int connect_tcp(const e2e_pump *p)
{
	const char *tcp = e2e_tcp_addr(p);
	struct sockaddr_in src, dst;
	memset(&src, 0, sizeof src);
	memset(&dst, 0, sizeof dst);
	src.sin_family = dst.sin_family = AF_INET;
	const char *port = tcp ? strrchr(tcp, ':') : NULL;
	if (!port || inet_pton(AF_INET, e2e_tcp_source(p), &src.sin_addr) != 1 ||
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
	if (e2e_tcp_source(p))
		return connect_tcp(p);
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	struct sockaddr_un sa;
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	if (strlen(e2e_sock_path(p)) >= sizeof sa.sun_path) {
		close(fd);
		return -1;
	}
	strcpy(sa.sun_path, e2e_sock_path(p));
	if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* All n bytes from fd into in (each part waited for at most timeout_ms),
 * or, with in NULL, from out to fd; EINTR retried.  0 or -1. */
static int move_all(int fd, uint8_t *in, const uint8_t *out, size_t n, int timeout_ms)
{
	size_t done = 0;
	while (done < n) {
		struct pollfd pf = { fd, POLLIN, 0 };
		int pr = in ? poll(&pf, 1, timeout_ms) : 1;
		if (pr < 0 && errno == EINTR)
			continue;
		if (pr <= 0)
			return -1;
		ssize_t k = in ? read(fd, in + done, n - done)
		               : send(fd, out + done, n - done, MSG_NOSIGNAL);
		if (k < 0 && errno == EINTR)
			continue;
		if (k <= 0)
			return -1;
		done += (size_t)k;
	}
	return 0;
}

static int write_all(int fd, const uint8_t *b, size_t n)
{
	return move_all(fd, NULL, b, n, 0);
}

static int read_all(int fd, uint8_t *b, size_t n, int timeout_ms)
{
	return move_all(fd, b, NULL, n, timeout_ms);
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
	if (e2e_slow(s->p)) {
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
	uint8_t fake[32], tai[12];
	const uint8_t *priv = e2e_key(p, name);
	if (!priv) {
		/* an unknown remote: a fresh key nobody paired */
		randombytes_buf(fake, sizeof fake);
		priv = fake;
	}
	e2e_session *s = calloc(1, sizeof *s);
	if (!s)
		return NULL;
	e2e_live_add(&s->live, close_live);
	s->p = p;
	s->fd = e2e_connect_fd(p);
	if (s->fd < 0) {
		e2e_session_close(s);   /* off the list of live sessions too */
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
	if (noise_hs_init_initiator(&hs, priv, e2e_pump_pub(p),
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
	e2e_waited("a handshake", &t0, 10000);
	return s;
}

void e2e_session_close(e2e_session *s)
{
	if (!s)
		return;
	e2e_live_remove(&s->live);
	if (s->fd >= 0)
		close(s->fd);
	noise_cipher_wipe(&s->tx);
	noise_cipher_wipe(&s->rx);
	free(s->sent);
	free(s);
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
		long left = timeout_ms - e2e_ms_since(&t0);
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
			e2e_waited("pumpd's flush", &t0, base_ms);
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
	q->id = e2e_next_id(p, q->id);
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
		e2e_waited("a message from pumpd", &t0, base_ms);
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
			e2e_waited("a close by pumpd", &t0, base_ms);
			return 1;
		}
		/* data (e.g. a handshake reply): keep reading until EOF */
	}
}
