/*
 * tools/ctl_watch.c — `ptmctl watch`: the pump's state (a STATUS reply),
 * then every notification, until SIGINT/SIGTERM: in words, one line a
 * notification, or with --json one JSON object a line.  Runs net/client.h
 * on a libuv loop with reconnection; link changes go to stderr.
 */
#include <signal.h>
#include <stdio.h>
#include <string.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "net/peer.h"
#include "tools/ctl.h"
#include "tools/ctljson.h"

struct watch {
	struct ctl_opts *o;
	struct client *c;       /* until closed */
	uv_signal_t sigint, sigterm;
	int status_sent;
	int closing;
	int rc;
};

static void print_json(struct watch *w, json_t *j)
{
	if (ctljson_print(w->o->out, j) != 0)
		w->rc = CTL_EXIT_USAGE;
	json_decref(j);
}

static void on_status(void *ud, int status, const struct msg_reply *r)
{
	struct watch *w = ud;
	if (status != 0) {
		fprintf(w->o->err, "%s watch: status: %s\n", w->o->prog, ctl_strstatus(status));
		w->status_sent = 0; /* ask again on the next link up */
		return;
	}
	if (w->o->json) {
		print_json(w, ctljson_reply(r));
	} else {
		ctl_print_reply(w->o->out, r);
		fflush(w->o->out);
	}
}

static void on_link(void *ud, int state, int reason)
{
	struct watch *w = ud;
	static struct msg_request req;
	if (state == CLIENT_UP) {
		fprintf(w->o->err, "%s watch: link up\n", w->o->prog);
		if (!w->status_sent && !w->closing) {
			memset(&req, 0, sizeof req);
			req.type = MSG_STATUS;
			if (client_request(w->c, &req, on_status, w) == 0)
				w->status_sent = 1;
		}
	} else if (state == CLIENT_DOWN) {
		fprintf(w->o->err, "%s watch: link down (%s), retrying\n", w->o->prog,
		        ctl_strstatus(reason));
	}
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	struct watch *w = ud;
	if (w->o->json)
		print_json(w, ctljson_notify(n));
	else
		ctl_print_notify(w->o->out, n);
}

static void on_closed(void *ud)
{
	(void)ud;
}

static void on_signal(uv_signal_t *s, int signum)
{
	struct watch *w = s->data;
	(void)signum;
	if (w->closing)
		return;
	w->closing = 1;
	client_close(w->c, on_closed, w);
	uv_close((uv_handle_t *)&w->sigint, NULL);
	uv_close((uv_handle_t *)&w->sigterm, NULL);
}

int ctl_cmd_watch(struct ctl_opts *o, int argc, char **argv)
{
	char err[KEYS_ERRLEN];
	keys_secret *sec = NULL;
	uint8_t pub[KEYS_LEN];
	struct client_config cfg;
	struct watch w;
	uv_loop_t loop;
	int rc;

	(void)argv;
	if (argc != 1)
		return ctl_usage_error(o, "watch", "takes no arguments");
	if (!o->pump || !o->key || !o->pump_key)
		return ctl_usage_error(o, "watch", "needs --pump, --key and --pump-key (or PTM_PUMP, PTM_KEY, PTM_PUMP_KEY)");
	if (keys_load_private(o->key, &sec, err) != 0) {
		fprintf(o->err, "%s watch: %s\n", o->prog, err);
		return CTL_EXIT_USAGE;
	}
	if (keys_load_public(o->pump_key, pub, err) != 0) {
		fprintf(o->err, "%s watch: %s\n", o->prog, err);
		keys_secret_free(sec);
		return CTL_EXIT_USAGE;
	}
	memset(&w, 0, sizeof w);
	w.o = o;
	if (uv_loop_init(&loop) != 0) {
		keys_secret_free(sec);
		return CTL_EXIT_PROTOCOL;
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
	/* the client copied the keys */
	keys_secret_free(sec);
	sodium_memzero(pub, sizeof pub);
	if (rc != 0) {
		fprintf(o->err, "%s watch: %s: bad address or configuration\n", o->prog, o->pump);
		uv_loop_close(&loop);
		return CTL_EXIT_USAGE;
	}
	uv_signal_init(&loop, &w.sigint);
	uv_signal_init(&loop, &w.sigterm);
	w.sigint.data = w.sigterm.data = &w;
	uv_signal_start(&w.sigint, on_signal, SIGINT);
	uv_signal_start(&w.sigterm, on_signal, SIGTERM);
	uv_run(&loop, UV_RUN_DEFAULT);
	uv_loop_close(&loop);
	return w.rc;
}
