/* pumpd/control.c — the control socket's listener and connections
 * (see control.h); the verbs are in control_ops.c. */
#define _GNU_SOURCE   /* struct ucred, SO_PEERCRED */
#include "pumpd/control.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include <uv.h>

#include "pumpd/control_ops.h"
#include "util/dlist.h"
#include "util/closed.h"
#include "util/fmt.h"
#include "pumpd/log.h"
#include "pumpd/statedir.h"

#define ARGS_MAX 8

struct conn {
	struct control *c;
	uv_pipe_t pipe;
	uv_timer_t timer;
	uv_write_t wreq;
	int handles;                 /* still to close */
	int closing;
	char *in;                    /* the request so far */
	size_t len;
	struct strbuf out;
	struct conn *next, *prev;
};

struct control {
	struct server *srv;
	uv_pipe_t lis;
	int lis_open;
	char path[4096];
	struct conn *conns;
	int closing;
	void (*cb)(void *);
	void *ud;
};

static void maybe_done(struct control *c)
{
	if (!c->closing || c->lis_open || c->conns)
		return;
	closed_free_then(c, c->cb, c->ud);
}

static void conn_closed(uv_handle_t *h)
{
	struct conn *k = h->data;
	if (--k->handles > 0)
		return;
	struct control *c = k->c;
	DLIST_UNLINK(c->conns, k, next, prev);
	free(k->in);
	strbuf_free(&k->out);
	free(k);
	maybe_done(c);
}

static void conn_close(struct conn *k)
{
	if (k->closing)
		return;
	k->closing = 1;
	uv_close((uv_handle_t *)&k->pipe, conn_closed);
	uv_close((uv_handle_t *)&k->timer, conn_closed);
}

static void on_written(uv_write_t *w, int status)
{
	(void)status;
	conn_close(w->data);
}

/* Split the request line on tabs (in place). */
static int split(char *line, char **argv)
{
	int argc = 0;
	char *p = line;
	while (argc < ARGS_MAX) {
		argv[argc++] = p;
		char *t = strchr(p, '\t');
		if (!t)
			break;
		*t = 0;
		p = t + 1;
	}
	return argc;
}

static void answer(struct conn *k)
{
	char err[512] = "", *argv[ARGS_MAX];
	struct strbuf body = { 0 };
	int code = 2;
	char *nl = k->in ? memchr(k->in, '\n', k->len) : NULL;
	if (!nl) {
		fmt_set(err, sizeof err, "malformed request (no request line)");
	} else {
		*nl = 0;
		const char *b = nl + 1;
		size_t blen = k->len - (size_t)(b - k->in);
		k->in[k->len] = 0;
		int argc = split(k->in, argv);
		code = control_ops_run(k->c->srv, argc, argv, b, blen, &body, err,
		                       sizeof err);
	}
	if (code == 0)
		strbuf_printf(&k->out, "ok\n");
	else
		strbuf_printf(&k->out, "error\t%d\t%s\n", code, err);
	if (body.len)
		strbuf_printf(&k->out, "%.*s", (int)body.len, body.p);
	if (body.full || k->out.full) {
		strbuf_free(&k->out);
		strbuf_printf(&k->out, "error\t1\tout of memory\n");
	}
	strbuf_free(&body);
	log_flush();   /* what the operation logged leaves before its answer */
	uv_buf_t buf = uv_buf_init(k->out.p ? k->out.p : "", (unsigned)k->out.len);
	k->wreq.data = k;
	if (!k->out.p || uv_write(&k->wreq, (uv_stream_t *)&k->pipe, &buf, 1,
	                          on_written) < 0)
		conn_close(k);
}

static void on_alloc(uv_handle_t *h, size_t hint, uv_buf_t *b)
{
	(void)hint;
	struct conn *k = h->data;
	if (!k->in)
		k->in = malloc(CONTROL_REQ_MAX + 1);
	size_t room = k->in ? CONTROL_REQ_MAX - k->len : 0;
	*b = uv_buf_init(k->in ? k->in + k->len : NULL, (unsigned)room);
}

static void on_read(uv_stream_t *s, ssize_t n, const uv_buf_t *b)
{
	(void)b;
	struct conn *k = s->data;
	if (n > 0) {
		k->len += (size_t)n;
		if (k->len < CONTROL_REQ_MAX)
			return;
		log_warn("control: a request over %d bytes refused", CONTROL_REQ_MAX);
		conn_close(k);
		return;
	}
	if (n == 0)
		return;
	uv_read_stop(s);
	uv_timer_stop(&k->timer);
	if (n == UV_EOF && k->in)
		answer(k);
	else
		conn_close(k);
}

static void on_deadline(uv_timer_t *t)
{
	struct conn *k = t->data;
	log_warn("control: a request did not arrive in time");
	conn_close(k);
}

/* Only the state directory's owner (our user) or root. */
static int peer_allowed(uv_pipe_t *p)
{
	uv_os_fd_t fd;
	struct ucred cr;
	socklen_t len = sizeof cr;
	if (uv_fileno((uv_handle_t *)p, &fd) < 0 ||
	    getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &len) < 0)
		return 0;
	if (cr.uid == 0 || cr.uid == geteuid())
		return 1;
	log_warn("control: uid %u refused (not the state directory's owner)",
	         (unsigned)cr.uid);
	return 0;
}

static void on_connection(uv_stream_t *lis, int status)
{
	struct control *c = lis->data;
	if (status < 0 || c->closing)
		return;
	struct conn *k = calloc(1, sizeof *k);
	if (!k) {
		/* nothing to accept into: the listener stops until the next
		 * connection is taken, which is acceptable for the owner's
		 * commands (they report that the daemon did not answer) */
		log_error("control: out of memory");
		return;
	}
	k->c = c;
	uv_pipe_init(lis->loop, &k->pipe, 0);
	uv_timer_init(lis->loop, &k->timer);
	k->pipe.data = k->timer.data = k;
	k->handles = 2;
	k->next = c->conns;
	if (c->conns)
		c->conns->prev = k;
	c->conns = k;
	if (uv_accept(lis, (uv_stream_t *)&k->pipe) < 0 || !peer_allowed(&k->pipe) ||
	    uv_read_start((uv_stream_t *)&k->pipe, on_alloc, on_read) < 0) {
		conn_close(k);
		return;
	}
	uv_timer_start(&k->timer, on_deadline, CONTROL_DEADLINE_MS, 0);
}

int control_start(uv_loop_t *loop, struct server *srv, const char *dir,
                  struct control **out, char *err, size_t errcap)
{
	struct control *c = calloc(1, sizeof *c);
	if (!c) {
		fmt_set(err, errcap, "out of memory");
		return -ENOMEM;
	}
	c->srv = srv;
	if (statedir_path(c->path, sizeof c->path, dir, CONTROL_SOCK) < 0 ||
	    strlen(c->path) >= 108) {
		fmt_set(err, errcap, "%s/%s: path too long for a unix socket "
		           "(use a shorter state directory path)", dir, CONTROL_SOCK);
		free(c);
		return -ENAMETOOLONG;
	}
	unlink(c->path);   /* we hold the state's lock: any socket here is stale */
	uv_pipe_init(loop, &c->lis, 0);
	c->lis.data = c;
	c->lis_open = 1;
	mode_t old = umask(077);
	int e = uv_pipe_bind(&c->lis, c->path);
	umask(old);
	if (e == 0)
		e = uv_listen((uv_stream_t *)&c->lis, 16, on_connection);
	if (e < 0) {
		fmt_set(err, errcap, "%s: cannot listen: %s", c->path,
		           uv_strerror(e));
		*out = c;   /* control_close frees it */
		return e;
	}
	*out = c;
	return 0;
}

static void lis_closed(uv_handle_t *h)
{
	struct control *c = h->data;
	c->lis_open = 0;
	maybe_done(c);
}

void control_close(struct control *c, void (*cb)(void *ud), void *ud)
{
	c->closing = 1;
	c->cb = cb;
	c->ud = ud;
	unlink(c->path);
	for (struct conn *k = c->conns; k; k = k->next)
		conn_close(k);
	if (c->lis_open && !uv_is_closing((uv_handle_t *)&c->lis)) {
		uv_close((uv_handle_t *)&c->lis, lis_closed);
		return;
	}
	c->lis_open = 0;
	maybe_done(c);
}
