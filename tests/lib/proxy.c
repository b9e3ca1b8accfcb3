/* tests/lib/proxy.c — a frame-aware TCP proxy that tampers with one frame
 * (see proxy.h). */
#include "tests/lib/proxy.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void fail(struct proxy *px, const char *what, int st)
{
	if (px->failed++)
		return;
	snprintf(px->why, sizeof px->why, "proxy: %s (%s)", what,
	         st < 0 ? uv_strerror(st) : "unexpected");
}

static void on_written(uv_write_t *w, int st) { (void)st; free(w); }
static void on_shut(uv_shutdown_t *sh, int st) { (void)st; free(sh); }

static void send_frame(uv_tcp_t *to, const uint8_t *frame, size_t len)
{
	uv_write_t *w = malloc(sizeof *w + 2 + len);
	if (!w)
		return;
	uint8_t *b = (uint8_t *)(w + 1);
	frame_header(len, b);
	memcpy(b + 2, frame, len);
	uv_buf_t buf = uv_buf_init((char *)b, (unsigned)(len + 2));
	if (uv_write(w, (uv_stream_t *)to, &buf, 1, on_written) < 0)
		free(w);
}

/* One whole frame read from side `dir` came from. */
static void on_frame(struct proxy *px, int dir, uint8_t *f, size_t len)
{
	struct proxy_side *from = dir == PROXY_C2S ? &px->a : &px->b;
	uv_tcp_t *to = dir == PROXY_C2S ? &px->b.tcp : &px->a.tcp;
	int idx = from->frames++;
	if (dir == px->dir && idx >= px->at && px->act == PROXY_BLACKHOLE)
		return;
	if (dir == px->dir && idx == px->at) {
		switch (px->act) {
		case PROXY_FLIP:
			f[len / 2] ^= 0x04;
			break;
		case PROXY_DUP:
			send_frame(to, f, len);
			break;
		case PROXY_SWAP:
			memcpy(from->held, f, len);
			from->held_len = len;
			return;
		case PROXY_STOP_READ:
			send_frame(to, f, len);
			uv_read_stop((uv_stream_t *)&from->tcp);
			px->forwarded[dir]++;
			return;
		default:
			break;
		}
	}
	send_frame(to, f, len);
	px->forwarded[dir]++;
	if (from->held_len) {
		send_frame(to, from->held, from->held_len);
		from->held_len = 0;
	}
}

static void on_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	(void)n;
	struct proxy_side *s = h->data;
	*b = uv_buf_init(s->rbuf, sizeof s->rbuf);
}

static void on_read(uv_stream_t *st, ssize_t n, const uv_buf_t *b)
{
	struct proxy_side *s = st->data;
	struct proxy *px = s->px;
	int dir = s == &px->a ? PROXY_C2S : PROXY_S2C;
	uv_tcp_t *other = dir == PROXY_C2S ? &px->b.tcp : &px->a.tcp;
	if (n < 0) {
		/* pass the close on */
		uv_read_stop(st);
		uv_shutdown_t *sh = malloc(sizeof *sh);
		if (sh && uv_shutdown(sh, (uv_stream_t *)other, on_shut) < 0)
			free(sh);
		return;
	}
	const uint8_t *in = (const uint8_t *)b->base;
	size_t left = (size_t)n;
	while (left) {
		size_t used;
		int rc = frame_feed(&s->fr, in, left, &used);
		in += used;
		left -= used;
		if (rc < 0) {
			fail(px, "a frame it cannot read", rc);
			uv_read_stop(st);
			return;
		}
		if (rc == FRAME_READY) {
			uint8_t f[4096];
			size_t len = frame_len(&s->fr);
			memcpy(f, frame_data(&s->fr), len);
			on_frame(px, dir, f, len);
		}
	}
}

static void on_connected(uv_connect_t *c, int st)
{
	struct proxy *px = c->data;
	if (st != 0) {
		fail(px, "cannot connect to the server", st);
		return;
	}
	uv_read_start((uv_stream_t *)&px->a.tcp, on_alloc, on_read);
	uv_read_start((uv_stream_t *)&px->b.tcp, on_alloc, on_read);
}

static void on_conn(uv_stream_t *l, int st)
{
	struct proxy *px = l->data;
	struct sockaddr_in sa;
	if (st != 0 || px->accepted) {
		fail(px, "a second connection, or a failed one", st);
		return;
	}
	px->accepted = 1;
	uv_tcp_init(px->loop, &px->a.tcp);
	uv_tcp_init(px->loop, &px->b.tcp);
	px->a.tcp.data = &px->a;
	px->b.tcp.data = &px->b;
	px->handles += 2;
	if ((st = uv_accept(l, (uv_stream_t *)&px->a.tcp)) != 0) {
		fail(px, "accept", st);
		return;
	}
	uv_ip4_addr("127.0.0.1", px->srv_port, &sa);
	px->creq.data = px;
	if ((st = uv_tcp_connect(&px->creq, &px->b.tcp, (struct sockaddr *)&sa,
	                         on_connected)) != 0)
		fail(px, "connect", st);
}

int proxy_open(struct proxy *px, uv_loop_t *loop, const char *server_addr,
               int dir, int at, enum proxy_act act)
{
	struct sockaddr_in sa;
	const char *port = strrchr(server_addr, ':');
	int len = sizeof sa, rc;

	memset(px, 0, sizeof *px);
	if (!port)
		return UV_EINVAL;
	frame_init(&px->a.fr);
	frame_init(&px->b.fr);
	px->loop = loop;
	px->a.px = px->b.px = px;
	px->dir = dir;
	px->at = at;
	px->act = act;
	px->srv_port = atoi(port + 1);
	uv_tcp_init(loop, &px->lis);
	px->lis.data = px;
	px->handles = 1;
	uv_ip4_addr("127.0.0.1", 0, &sa);
	if ((rc = uv_tcp_bind(&px->lis, (struct sockaddr *)&sa, 0)) != 0 ||
	    (rc = uv_listen((uv_stream_t *)&px->lis, 4, on_conn)) != 0 ||
	    (rc = uv_tcp_getsockname(&px->lis, (struct sockaddr *)&sa, &len)) != 0) {
		proxy_close(px);
		return rc;
	}
	snprintf(px->addr, sizeof px->addr, "tcp:127.0.0.1:%d", ntohs(sa.sin_port));
	return 0;
}

static void on_lis_closed(uv_handle_t *h)
{
	struct proxy *px = h->data;
	px->closed++;
}

static void on_side_closed(uv_handle_t *h)
{
	struct proxy_side *s = h->data;
	s->px->closed++;
}

void proxy_close(struct proxy *px)
{
	uv_close((uv_handle_t *)&px->lis, on_lis_closed);
	if (px->accepted) {
		uv_close((uv_handle_t *)&px->a.tcp, on_side_closed);
		uv_close((uv_handle_t *)&px->b.tcp, on_side_closed);
	}
	while (px->closed < px->handles)
		uv_run(px->loop, UV_RUN_ONCE);
}
