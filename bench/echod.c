/*
 * bench/echod.c — the floors pumpd is compared with: a libuv server that
 * answers every framed request with a canned reply of the size pumpd's
 * STATUS reply has (its bytes, the request's id copied in), in a process of
 * its own as pumpd is.
 *
 *   echod plain|aead REPLYHEX ADDR... [--ready-fd FD]
 *
 *   plain  frames only: the transport floor
 *   aead   each request decrypted and each reply encrypted with
 *          ChaCha20-Poly1305 (the Noise transport cipher of crypto/noise.h,
 *          fixed keys from bench/lc.c): the crypto floor
 *
 * ADDR is unix:PATH or tcp:HOST:PORT (port 0 picks one).  When listening it
 * writes "READY ADDR...\n" (the real addresses) to FD and closes it; SIGTERM
 * or SIGINT stops it.  Writes go out at once when the socket takes them
 * (uv_try_write), else queued.  Nothing is checked beyond what the cipher
 * checks; an undecryptable or badly framed message closes the connection.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <uv.h>

#include "bench/lc.h"
#include "bench/util.h"
#include "crypto/noise.h"
#include "net/frame.h"
#include "net/msg.h"
#include "net/peer.h"

#define MAX_LISTEN 4
#define ID_OFF 1      /* requests and replies: u8 type, then u64 id */
#define ID_LEN 8

struct ec {
	union bu_stream u;
	noise_cipher rx, tx;
	struct frame_reader fr;
};

struct lis {
	union bu_stream u;
	int kind;
};

static uv_loop_t *loop;
static int aead;
static uint8_t reply[MSG_MAX];
static size_t reply_len;
static uint8_t c2s[32], s2c[32];
static uint8_t rbuf[65536];
static uint8_t pbuf[FRAME_MAX];
static uint8_t wbuf[FRAME_HDR + MSG_MAX + NOISE_TAGLEN];
static struct lis lis[MAX_LISTEN];
static unsigned nlis;
static uv_signal_t sigterm, sigint;

static void on_closed(uv_handle_t *h)
{
	struct ec *e = h->data;
	noise_cipher_wipe(&e->rx);
	noise_cipher_wipe(&e->tx);
	free(e);
}

static void ec_close(struct ec *e)
{
	if (!uv_is_closing(&e->u.h))
		uv_close(&e->u.h, on_closed);
}


/* One request frame: the canned reply with the request's id, back. */
static int ec_frame(struct ec *e, const uint8_t *f, size_t n)
{
	const uint8_t *pt = f;
	size_t plen = n;
	if (aead) {
		int d = noise_cipher_decrypt(&e->rx, NULL, 0, f, n, pbuf);
		if (d < 0)
			return d;
		pt = pbuf;
		plen = (size_t)d;
	}
	if (plen == 0)
		return 0;                         /* keepalive */
	if (plen < ID_OFF + ID_LEN)
		return -EPROTO;
	uint8_t *out = wbuf + FRAME_HDR;
	memcpy(out, reply, reply_len);
	memcpy(out + ID_OFF, pt + ID_OFF, ID_LEN);
	size_t len = reply_len;
	if (aead) {
		int c = noise_cipher_encrypt(&e->tx, NULL, 0, out, reply_len, out);
		if (c < 0)
			return c;
		len = (size_t)c;
	}
	frame_header(len, wbuf);
	return bu_write(&e->u.s, wbuf, len + FRAME_HDR);
}

static void on_alloc(uv_handle_t *h, size_t want, uv_buf_t *buf)
{
	(void)h;
	(void)want;
	*buf = uv_buf_init((char *)rbuf, sizeof rbuf);
}

static void on_read(uv_stream_t *s, ssize_t nread, const uv_buf_t *buf)
{
	struct ec *e = s->data;
	if (nread < 0) {
		ec_close(e);
		return;
	}
	const uint8_t *in = (const uint8_t *)buf->base;
	size_t len = (size_t)nread;
	while (len > 0) {
		size_t used = 0;
		int rc = frame_feed(&e->fr, in, len, &used);
		in += used;
		len -= used;
		if (rc < 0 || (rc == FRAME_READY &&
		               ec_frame(e, frame_data(&e->fr), frame_len(&e->fr)) < 0)) {
			ec_close(e);
			return;
		}
	}
}

static void on_connection(uv_stream_t *ls, int status)
{
	struct lis *l = ls->data;
	if (status < 0)
		return;
	struct ec *e = calloc(1, sizeof *e);
	if (!e)
		return;
	if (l->kind == PEER_ADDR_TCP)
		uv_tcp_init(loop, &e->u.tcp);
	else
		uv_pipe_init(loop, &e->u.pipe, 0);
	e->u.h.data = e;
	frame_init(&e->fr);
	noise_cipher_init(&e->rx, c2s);
	noise_cipher_init(&e->tx, s2c);
	if (uv_accept(ls, &e->u.s) < 0) {
		ec_close(e);
		return;
	}
	if (l->kind == PEER_ADDR_TCP)
		uv_tcp_nodelay(&e->u.tcp, 1);
	if (uv_read_start(&e->u.s, on_alloc, on_read) < 0)
		ec_close(e);
}

/* Listen on addr; the real address into out. */
static int listen_on(const char *addr, char *out, size_t cap)
{
	struct peer_addr pa;
	struct lis *l = &lis[nlis];
	int e;
	if (nlis >= MAX_LISTEN || peer_addr_parse(addr, &pa) < 0)
		return -EINVAL;
	l->kind = pa.kind;
	l->u.h.data = l;
	if (pa.kind == PEER_ADDR_UNIX) {
		unlink(pa.path);
		if ((e = uv_pipe_init(loop, &l->u.pipe, 0)) < 0)
			return e;
		nlis++;
		l->u.h.data = l;
		if ((e = uv_pipe_bind(&l->u.pipe, pa.path)) < 0)
			return e;
		snprintf(out, cap, "unix:%s", pa.path);
	} else {
		struct sockaddr_storage ss;
		int len = sizeof ss;
		e = strchr(pa.host, ':') ?
		    uv_ip6_addr(pa.host, pa.port, (struct sockaddr_in6 *)&ss) :
		    uv_ip4_addr(pa.host, pa.port, (struct sockaddr_in *)&ss);
		if (e < 0 || (e = uv_tcp_init(loop, &l->u.tcp)) < 0)
			return e;
		nlis++;
		l->u.h.data = l;
		if ((e = uv_tcp_bind(&l->u.tcp, (struct sockaddr *)&ss, 0)) < 0 ||
		    (e = uv_tcp_getsockname(&l->u.tcp, (struct sockaddr *)&ss, &len)) < 0)
			return e;
		char ip[64];
		uint16_t port;
		if (ss.ss_family == AF_INET6) {
			uv_ip6_name((struct sockaddr_in6 *)&ss, ip, sizeof ip);
			port = ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
			snprintf(out, cap, "tcp:[%s]:%u", ip, port);
		} else {
			uv_ip4_name((struct sockaddr_in *)&ss, ip, sizeof ip);
			port = ntohs(((struct sockaddr_in *)&ss)->sin_port);
			snprintf(out, cap, "tcp:%s:%u", ip, port);
		}
	}
	return uv_listen(&l->u.s, 511, on_connection);
}

static void close_any(uv_handle_t *h, void *arg)
{
	(void)arg;
	if (uv_is_closing(h))
		return;
	if (h->type == UV_NAMED_PIPE || h->type == UV_TCP) {
		for (unsigned i = 0; i < nlis; i++)
			if (h == &lis[i].u.h) {
				uv_close(h, NULL);
				return;
			}
		uv_close(h, on_closed);
		return;
	}
	uv_close(h, NULL);
}

static void on_signal(uv_signal_t *s, int sig)
{
	(void)s;
	(void)sig;
	uv_walk(loop, close_any, NULL);
}

static int unhex(const char *s, uint8_t *out, size_t cap, size_t *len)
{
	size_t n = strlen(s);
	if (n % 2 || n / 2 > cap || n == 0)
		return -1;
	for (size_t i = 0; i < n / 2; i++) {
		unsigned v;
		if (sscanf(s + 2 * i, "%2x", &v) != 1)
			return -1;
		out[i] = (uint8_t)v;
	}
	*len = n / 2;
	return 0;
}

int main(int argc, char **argv)
{
	int ready_fd = -1;
	const char *addrs[MAX_LISTEN];
	unsigned naddr = 0;
	if (argc < 4) {
		fprintf(stderr, "usage: echod plain|aead REPLYHEX ADDR... [--ready-fd FD]\n");
		return 2;
	}
	if (strcmp(argv[1], "aead") == 0)
		aead = 1;
	else if (strcmp(argv[1], "plain") != 0) {
		fprintf(stderr, "echod: '%s' is not plain or aead\n", argv[1]);
		return 2;
	}
	if (unhex(argv[2], reply, sizeof reply, &reply_len) < 0 ||
	    reply_len < ID_OFF + ID_LEN) {
		fprintf(stderr, "echod: the reply must be 9..%d bytes in hex\n", MSG_MAX);
		return 2;
	}
	for (int i = 3; i < argc; i++) {
		if (strcmp(argv[i], "--ready-fd") == 0 && i + 1 < argc)
			ready_fd = atoi(argv[++i]);
		else if (naddr < MAX_LISTEN)
			addrs[naddr++] = argv[i];
		else {
			fprintf(stderr, "echod: at most %d addresses\n", MAX_LISTEN);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	lc_aead_keys(c2s, s2c);
	loop = uv_default_loop();
	char line[512] = "READY";
	for (unsigned i = 0; i < naddr; i++) {
		char real[160];
		int e = listen_on(addrs[i], real, sizeof real);
		if (e < 0) {
			fprintf(stderr, "echod: cannot listen on %s: %s\n", addrs[i],
			        uv_strerror(e));
			return 1;
		}
		size_t n = strlen(line);
		snprintf(line + n, sizeof line - n, " %s", real);
	}
	uv_signal_init(loop, &sigterm);
	uv_signal_init(loop, &sigint);
	uv_signal_start(&sigterm, on_signal, SIGTERM);
	uv_signal_start(&sigint, on_signal, SIGINT);
	if (ready_fd >= 0) {
		size_t n = strlen(line);
		snprintf(line + n, sizeof line - n, "\n");
		ssize_t w = write(ready_fd, line, strlen(line));
		(void)w;
		close(ready_fd);
	}
	uv_run(loop, UV_RUN_DEFAULT);
	uv_loop_close(loop);
	return 0;
}
