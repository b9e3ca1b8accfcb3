/* tests/lib/rawtcp.c — a raw TCP client that drips bytes (see rawtcp.h). */
#include "tests/lib/rawtcp.h"

#include <stdlib.h>
#include <string.h>

static void on_alloc(uv_handle_t *h, size_t n, uv_buf_t *b)
{
	struct rawtcp *r = h->data;
	(void)n;
	*b = uv_buf_init(r->rbuf, sizeof r->rbuf);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	struct rawtcp *r = s->data;
	(void)b;
	if (n < 0)
		r->eof = 1;
}

/* the next byte, while the server has not closed */
static void on_drip(uv_timer_t *t)
{
	struct rawtcp *r = t->data;
	if (r->out_pos >= r->out_len || r->eof)
		return;
	uv_buf_t b = uv_buf_init((char *)r->out + r->out_pos, 1);
	r->out_pos++;
	uv_try_write((uv_stream_t *)&r->tcp, &b, 1);
}

static void on_connected(uv_connect_t *c, int st)
{
	struct rawtcp *r = c->data;
	r->connected = 1;
	r->status = st;
	if (st != 0)
		return;
	uv_read_start((uv_stream_t *)&r->tcp, on_alloc, on_read);
	if (r->out_len)
		uv_timer_start(&r->drip, on_drip, 0, r->every_ms);
}

int rawtcp_start(struct rawtcp *r, uv_loop_t *loop, const char *addr,
                 const uint8_t *bytes, size_t n, uint64_t every_ms)
{
	struct sockaddr_in sa;
	const char *port = strrchr(addr, ':');
	int rc;

	memset(r, 0, sizeof *r);
	if (!port || n > sizeof r->out)
		return UV_EINVAL;
	if (n)
		memcpy(r->out, bytes, n);
	r->out_len = n;
	r->every_ms = every_ms;
	r->loop = loop;
	if ((rc = uv_ip4_addr("127.0.0.1", atoi(port + 1), &sa)) != 0)
		return rc;
	uv_tcp_init(loop, &r->tcp);
	uv_timer_init(loop, &r->drip);
	r->tcp.data = r->drip.data = r->creq.data = r;
	rc = uv_tcp_connect(&r->creq, &r->tcp, (struct sockaddr *)&sa, on_connected);
	if (rc != 0)
		rawtcp_stop(r);
	return rc;
}

static void on_closed(uv_handle_t *h)
{
	struct rawtcp *r = h->data;
	r->closed++;
}

void rawtcp_stop(struct rawtcp *r)
{
	uv_close((uv_handle_t *)&r->tcp, on_closed);
	uv_close((uv_handle_t *)&r->drip, on_closed);
	while (r->closed < 2)
		uv_run(r->loop, UV_RUN_ONCE);
}
