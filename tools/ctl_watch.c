/*
 * tools/ctl_watch.c — `ptmctl watch`: the pump's state (a STATUS reply),
 * then every notification, until SIGINT/SIGTERM: in words, one line a
 * notification, or with --json one JSON object a line.  Runs net/client.h
 * on a libuv loop with reconnection; link changes go to stderr.
 *
 * The loop never writes to a terminal or a pipe itself: what it prints is
 * queued (bounded, WATCH_QUEUE_MAX) and a writer thread does the blocking
 * writes, in order, to stdout and stderr.  So a reader that stops reading
 * (a full pipe, a terminal held with Ctrl-S) never stops the loop: SIGTERM
 * and SIGINT end watch at once, whatever its output is doing, and the file
 * descriptors' flags are never changed (no O_NONBLOCK on a terminal that
 * the shell shares).  On the way out the writer gets WATCH_DRAIN_MS without
 * progress to write what is queued; a writer still blocked then is left to
 * the process's exit.
 *
 * --record FILE also writes what the pump pushed as a scenario that `ptmctl
 * run` replays (tools/scenario/scnrec.h); the loop writes it (a regular
 * file, flushed after each step).
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "net/peer.h"
#include "tools/ctl.h"
#include "tools/scenario/scnrec.h"
#include "net/msgjson.h"
#include "util/esc.h"

#define WATCH_QUEUE_MAX (1u << 20) /* bytes waiting for a slow reader */
#define WATCH_DRAIN_MS  250        /* at the end: time without progress */

/* ---- the output: a bounded queue and its writer thread ------------------- */

/* A record in a queue: the fd (1 or 2), the length, then the bytes. */
struct rec {
	int fd;
	size_t len;
};

struct buf {
	char *p;
	size_t len, cap;
};

/* Static, so that what a writer blocked at exit still holds stays reachable
 * (leak checkers) and lives as long as the process. */
static struct out {
	pthread_mutex_t mu;
	pthread_cond_t cv;       /* the writer: work or stop; the loop: progress */
	struct buf q;            /* records the loop queued */
	struct buf w;            /* the records the writer is writing */
	size_t busy;             /* bytes of w not written yet */
	uint64_t progress;       /* writes done, for the drain's deadline */
	int err;                 /* errno of a failed write (then it stops) */
	int stop, done;          /* stop: no more records; done: writer exited */
	int async_ok;            /* the loop's async handle may be signalled */
	uv_async_t *async;       /* told when a write failed */
	pthread_t th;
	int started;
} g_out = { .mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER };

static int write_all(int fd, const char *p, size_t n)
{
	while (n) {
		ssize_t k = write(fd, p, n);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0)
			return errno;
		p += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *writer(void *arg)
{
	struct out *o = arg;
	pthread_mutex_lock(&o->mu);
	for (;;) {
		while (o->q.len == 0 && !o->stop)
			pthread_cond_wait(&o->cv, &o->mu);
		if (o->q.len == 0)
			break;
		struct buf t = o->w;   /* take the queue, give back an empty one */
		o->w = o->q;
		o->q = t;
		o->q.len = 0;
		o->busy = o->w.len;
		pthread_mutex_unlock(&o->mu);
		int e = 0;
		size_t off = 0;
		while (off < o->w.len && !e) {
			struct rec r;
			memcpy(&r, o->w.p + off, sizeof r);
			off += sizeof r;
			e = write_all(r.fd, o->w.p + off, r.len);
			off += r.len;
			pthread_mutex_lock(&o->mu);
			o->busy = o->w.len - off;
			o->progress++;
			pthread_cond_broadcast(&o->cv);
			pthread_mutex_unlock(&o->mu);
		}
		pthread_mutex_lock(&o->mu);
		o->w.len = 0;
		o->busy = 0;
		if (e) {
			o->err = e;
			if (o->async_ok)
				uv_async_send(o->async);
			break;
		}
	}
	o->done = 1;
	pthread_cond_broadcast(&o->cv);
	pthread_mutex_unlock(&o->mu);
	return NULL;
}

static int out_start(uv_async_t *async)
{
	sigset_t all, old;
	struct out *o = &g_out;
	o->async = async;
	o->async_ok = 1;
	/* signals are the loop's: the writer blocks them all */
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, &old);
	int rc = pthread_create(&o->th, NULL, writer, o);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	o->started = rc == 0;
	return rc == 0 ? 0 : -rc;
}

/* Queue len bytes for fd.  0, or -ENOSPC when the reader is that far
 * behind, -EIO when writing failed already, -ENOMEM. */
static int out_put(int fd, const char *p, size_t len)
{
	struct out *o = &g_out;
	struct rec r = { fd, len };
	int rc = 0;
	pthread_mutex_lock(&o->mu);
	if (o->err || o->stop) {
		rc = -EIO;
	} else if (o->q.len + o->busy + sizeof r + len > WATCH_QUEUE_MAX) {
		rc = -ENOSPC;
	} else {
		size_t need = o->q.len + sizeof r + len;
		if (need > o->q.cap) {
			size_t cap = o->q.cap ? o->q.cap : 4096;
			while (cap < need)
				cap *= 2;
			char *np = realloc(o->q.p, cap);
			if (!np) {
				rc = -ENOMEM;
				goto out;
			}
			o->q.p = np;
			o->q.cap = cap;
		}
		memcpy(o->q.p + o->q.len, &r, sizeof r);
		memcpy(o->q.p + o->q.len + sizeof r, p, len);
		o->q.len = need;
		pthread_cond_signal(&o->cv);
	}
out:
	pthread_mutex_unlock(&o->mu);
	return rc;
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

/* No more records: let the writer write what is queued while it makes
 * progress (WATCH_DRAIN_MS at most without), then join it, or leave it
 * blocked to the process's exit.  No async after this. */
static void out_finish(void)
{
	struct out *o = &g_out;
	if (!o->started)
		return;
	pthread_mutex_lock(&o->mu);
	o->stop = 1;
	o->async_ok = 0;
	pthread_cond_broadcast(&o->cv);
	uint64_t seen = o->progress, deadline = mono_ms() + WATCH_DRAIN_MS;
	while (!o->done) {
		uint64_t now = mono_ms();
		if (o->progress != seen) {
			seen = o->progress;
			deadline = now + WATCH_DRAIN_MS;
		}
		if (now >= deadline)
			break;
		struct timespec ts;
		clock_gettime(CLOCK_REALTIME, &ts);
		uint64_t ns = (uint64_t)ts.tv_nsec + (deadline - now) * 1000000u;
		ts.tv_sec += (time_t)(ns / 1000000000u);
		ts.tv_nsec = (long)(ns % 1000000000u);
		pthread_cond_timedwait(&o->cv, &o->mu, &ts);
	}
	int done = o->done;
	pthread_mutex_unlock(&o->mu);
	if (done) {
		pthread_join(o->th, NULL);
		free(o->q.p);
		free(o->w.p);
		memset(&o->q, 0, sizeof o->q);
		memset(&o->w, 0, sizeof o->w);
	} else {
		pthread_detach(o->th);   /* blocked in write(): exit ends it */
	}
	o->started = 0;
}

/* ---- the watch ----------------------------------------------------------- */

struct watch {
	struct ctl_opts *o;
	struct client *c;       /* until closed */
	uv_signal_t sigint, sigterm;
	uv_async_t wrfail;      /* the writer failed */
	int status_sent;
	int closing;
	int rc;
	int hinted;             /* "is pumpd running?" said since the link was up */
	struct scnrec *rec;     /* --record: the scenario being written, or NULL */
};

static void stop(struct watch *w, int rc);

/* Why watch ends, on stderr now, past the queue (which may be stuck behind
 * a reader of stdout): only if stderr takes it without blocking (it may be
 * the same full pipe), else it is lost rather than waited on. */
static void say_now(struct watch *w, const char *why)
{
	char line[256];
	int n = snprintf(line, sizeof line, "%s watch: %s\n", w->o->prog, why);
	struct pollfd pf = { .fd = fileno(w->o->err), .events = POLLOUT };
	if (n > 0 && poll(&pf, 1, 0) == 1 && (pf.revents & POLLOUT))
		(void)!write(pf.fd, line, (size_t)n);
}

/* Queue what print() writes to a stream, for fd. */
static void emit_with(struct watch *w, int fd, void (*print)(FILE *, const void *),
                      const void *arg)
{
	char *p = NULL;
	size_t n = 0;
	FILE *m = open_memstream(&p, &n);
	int rc = -ENOMEM;
	if (m) {
		print(m, arg);
		rc = fclose(m) == 0 ? 0 : -ENOMEM;
	}
	if (rc == 0 && n)
		rc = out_put(fd, p, n);
	free(p);
	if (rc == -ENOSPC && !w->closing) {
		say_now(w, "standard output is not being read (1 MiB waiting); stopping");
		stop(w, CTL_EXIT_CONNECT);
	} else if (rc == -ENOMEM && !w->closing) {
		say_now(w, "out of memory");
		stop(w, CTL_EXIT_CONNECT);
	}
}

static void print_text(FILE *f, const void *s)
{
	fputs(s, f);
}

__attribute__((format(printf, 3, 4)))
static void emitf(struct watch *w, int fd, const char *fmt, ...)
{
	char line[1536];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof line, fmt, ap);
	va_end(ap);
	emit_with(w, fd, print_text, line);
}

static void print_json(FILE *f, const void *j)
{
	msgjson_print(f, j);
}

static void print_reply(FILE *f, const void *r)
{
	ctl_print_reply(f, r, 0);   /* a STATUS reply: the state block */
}

static void print_notify(FILE *f, const void *n)
{
	ctl_print_notify(f, n);
}

static void emit_json(struct watch *w, json_t *j)
{
	if (j)
		emit_with(w, 1, print_json, j);
	json_decref(j);
}

static void on_status(void *ud, int status, const struct msg_reply *r)
{
	struct watch *w = ud;
	if (w->closing)
		return;
	if (status != 0) {
		char why[1024];
		emitf(w, 2, "%s watch: status: %s\n", w->o->prog,
		      client_strerror_at(status, w->o->pump, why, sizeof why));
		w->status_sent = 0; /* ask again on the next link up */
		return;
	}
	if (w->rec)
		scnrec_begin(w->rec, &r->state);
	if (w->o->json)
		emit_json(w, msgjson_reply(r));
	else
		emit_with(w, 1, print_reply, r);
}

static void on_link(void *ud, int state, int reason)
{
	struct watch *w = ud;
	static struct msg_request req;
	if (w->closing)
		return;
	if (state == CLIENT_UP) {
		w->hinted = 0;
		emitf(w, 2, "%s watch: link up\n", w->o->prog);
		if (!w->status_sent) {
			memset(&req, 0, sizeof req);
			req.type = MSG_STATUS;
			if (client_request(w->c, &req, on_status, w) == 0)
				w->status_sent = 1;
		}
	} else if (state == CLIENT_DOWN) {
		char why[1024];
		if (reason == PEER_R_CONNECT && w->hinted) {
			/* each retry: the address, the advice once */
			char a[ESC_MAX(PEER_ADDR_MAX)];
			snprintf(why, sizeof why, "cannot connect to the pump at %s",
			         esc_s(a, sizeof a, w->o->pump));
		} else {
			client_strerror_at(reason, w->o->pump, why, sizeof why);
		}
		w->hinted |= reason == PEER_R_CONNECT;
		emitf(w, 2, "%s watch: link down (%s), retrying\n", w->o->prog, why);
	}
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	struct watch *w = ud;
	if (w->closing)
		return;
	if (w->rec)
		scnrec_note(w->rec, n);
	if (w->o->json)
		emit_json(w, msgjson_notify(n));
	else
		emit_with(w, 1, print_notify, n);
}

static void on_closed(void *ud)
{
	(void)ud;
}

/* Close every handle: uv_run returns once they are closed. */
static void stop(struct watch *w, int rc)
{
	if (w->closing)
		return;
	w->closing = 1;
	w->rc = rc;
	client_close(w->c, on_closed, w);
	uv_close((uv_handle_t *)&w->sigint, NULL);
	uv_close((uv_handle_t *)&w->sigterm, NULL);
	pthread_mutex_lock(&g_out.mu);
	g_out.async_ok = 0;     /* the writer no longer signals the handle */
	pthread_mutex_unlock(&g_out.mu);
	uv_close((uv_handle_t *)&w->wrfail, NULL);
}

static void on_signal(uv_signal_t *s, int signum)
{
	(void)signum;
	stop(s->data, CTL_EXIT_OK);
}

static void on_write_failed(uv_async_t *a)
{
	struct watch *w = a->data;
	int e;
	pthread_mutex_lock(&g_out.mu);
	e = g_out.err;
	pthread_mutex_unlock(&g_out.mu);
	if (!e || w->closing)
		return;
	char why[128];
	snprintf(why, sizeof why, "cannot write the output: %s", strerror(e));
	say_now(w, why);
	stop(w, CTL_EXIT_CONNECT);
}

/* Close the recording (if any): rc, or CTL_EXIT_CONNECT when it could not
 * be written whole. */
static int watch_end(struct watch *w, FILE *recf, int rc)
{
	scnrec_free(w->rec);
	w->rec = NULL;
	if (recf && (ferror(recf) | fclose(recf))) {
		fprintf(w->o->err, "%s watch: the recording could not be written whole\n",
		        w->o->prog);
		return rc ? rc : CTL_EXIT_CONNECT;
	}
	return rc;
}

int ctl_cmd_watch(struct ctl_opts *o, int argc, char **argv)
{
	keys_secret *sec = NULL;
	uint8_t pub[KEYS_LEN];
	struct client_config cfg;
	struct watch w;
	uv_loop_t loop;
	const char *record = NULL;
	FILE *recf = NULL;
	int rc;

	if (argc == 3 && strcmp(argv[1], "--record") == 0)
		record = argv[2];
	else if (argc == 2 && strncmp(argv[1], "--record=", 9) == 0)
		record = argv[1] + 9;
	else if (argc != 1)
		return ctl_usage_error(o, "watch", "takes only --record FILE");
	if (record && !record[0])
		return ctl_usage_error(o, "watch", "--record needs a file name");
	rc = ctl_check_pump(o, "watch");
	if (rc)
		return rc;
	if (!o->key || !o->pump_key)
		return ctl_usage_error(o, "watch", "needs --pump, --key and --pump-key (or PTM_PUMP, PTM_KEY, PTM_PUMP_KEY)");
	rc = ctl_load_keys(o, "watch", &sec, pub);
	if (rc)
		return rc;
	if (record) {
		/* a new file: a recording never replaces one */
		int fd = open(record, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
		if (fd < 0 || !(recf = fdopen(fd, "w"))) {
			char a[ESC_MAX(256)];
			fprintf(o->err, "%s watch: --record %s: %s\n", o->prog,
			        esc_s(a, sizeof a, record), strerror(errno));
			if (fd >= 0)
				close(fd);
			keys_secret_free(sec);
			sodium_memzero(pub, sizeof pub);
			return CTL_EXIT_USAGE;
		}
	}
	memset(&w, 0, sizeof w);
	w.o = o;
	if (recf && !(w.rec = scnrec_new(recf))) {
		fclose(recf);
		keys_secret_free(sec);
		sodium_memzero(pub, sizeof pub);
		fprintf(o->err, "%s watch: out of memory\n", o->prog);
		return CTL_EXIT_PROTOCOL;
	}
	if (uv_loop_init(&loop) != 0) {
		keys_secret_free(sec);
		sodium_memzero(pub, sizeof pub);
		return watch_end(&w, recf, CTL_EXIT_PROTOCOL);
	}
	memset(&cfg, 0, sizeof cfg);
	cfg.address = o->pump;
	cfg.key = keys_secret_priv(sec);
	cfg.pump_key = pub;
	cfg.reconnect = 1;
	cfg.request_timeout_ms = o->timeout_ms;
	cfg.ud = &w;
	cfg.on_link = on_link;
	cfg.on_notify = on_notify;
	rc = client_new(&loop, &cfg, &w.c);
	/* the client copied the public key; the private one it uses where it
	 * is, in guarded memory, until the loop ends */
	sodium_memzero(pub, sizeof pub);
	if (rc != 0) {
		keys_secret_free(sec);
		fprintf(o->err, "%s watch: cannot start the client: %s\n", o->prog,
		        uv_strerror(rc));
		uv_loop_close(&loop);
		return watch_end(&w, recf, CTL_EXIT_PROTOCOL);
	}
	/* nothing of ours may sit in stdio's buffers: the writer writes the fds */
	fflush(o->out);
	fflush(o->err);
	uv_async_init(&loop, &w.wrfail, on_write_failed);
	w.wrfail.data = &w;
	if (out_start(&w.wrfail) < 0) {
		fprintf(o->err, "%s watch: cannot start the output thread\n", o->prog);
		w.closing = 1;
		client_close(w.c, on_closed, &w);
		uv_close((uv_handle_t *)&w.wrfail, NULL);
		uv_run(&loop, UV_RUN_DEFAULT);
		uv_loop_close(&loop);
		keys_secret_free(sec);
		return watch_end(&w, recf, CTL_EXIT_PROTOCOL);
	}
	uv_signal_init(&loop, &w.sigint);
	uv_signal_init(&loop, &w.sigterm);
	w.sigint.data = w.sigterm.data = &w;
	uv_signal_start(&w.sigint, on_signal, SIGINT);
	uv_signal_start(&w.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	keys_secret_free(sec);
	out_finish();
	return watch_end(&w, recf, w.rc);
}
