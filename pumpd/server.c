/* pumpd/server.c — the server's life cycle: open the state directory, catch
 * up with the time the pump was down, listen; stop (see server.h, and
 * srv.h for the files that do the rest). */
#include "pumpd/druglib.h"
#include "pumpd/server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "pumpd/audit.h"
#include "pumpd/batch.h"
#include "pumpd/change.h"
#include "pumpd/control.h"
#include "util/fmt.h"
#include "pumpd/dispatch.h"
#include "pumpd/linkfault.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"
#include "pumpd/remote.h"
#include "pumpd/session.h"
#include "pumpd/srv.h"
#include "pumpd/statedir.h"
#include "pumpd/ticker.h"

static void free_all(struct server *srv)
{
	remote_free_all(srv);
	store_close(srv->st);
	srv->st = NULL;
	keys_secret_free(srv->key);
	srv->key = NULL;
	statelock_release(&srv->lock);   /* last: after the last commit */
}

/* The lock, then the key, the database and the pump's state as stored,
 * every part checked before anything is served. */
static int load(struct server *srv, const char *dir, int64_t *boot, char *err,
                size_t errcap)
{
	char path[4096], holder[STATELOCK_INFO_MAX];
	uint8_t pub[KEYS_LEN];
	int e = statedir_check(dir, STATEDIR_WRITE, err, errcap);
	if (e < 0)
		return e;
	e = statelock_take(dir, &srv->lock, holder, sizeof holder);
	if (e == 0) {
		fmt_set(err, errcap, "%s is already in use by %s: one pump, one "
		           "daemon (stop it first, or talk to it: pumpd pair, unpair, "
		           "remotes and rx reach a running pumpd)", dir, holder);
		return -EBUSY;
	}
	if (e < 0) {
		fmt_set(err, errcap, "%s", holder);
		return e;
	}
	e = statedir_open(dir, STATEDIR_WRITE, STORE_CHECK_FULL, &srv->st,
	                  &srv->key, pub, err, errcap);
	if (e < 0)
		return e;
	statedir_path(path, sizeof path, dir, "state.db");
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t blen = 0;
	e = store_get_blob(srv->st, "pump", blob, sizeof blob, &blen);
	if (e == 0)
		e = pump_deserialize(&srv->pump, blob, blen) == 0 ? 0 : -EBADF;
	if (e < 0) {
		fmt_set(err, errcap, "%s: the pump's state is %s; refusing to start",
		       path, e == -ENOENT ? "missing" : "corrupt");
		return e;
	}
	*boot = 0;
	e = store_get_int(srv->st, "boot", boot);
	if (e < 0 && e != -ENOENT) {
		fmt_set(err, errcap, "%s: cannot read the start count: %s", path,
		       store_errmsg(srv->st));
		return e;
	}
	e = remote_load_all(srv);
	if (e < 0) {
		fmt_set(err, errcap, "%s: cannot read remotes: %s", path,
		       e == -ENOMEM ? "out of memory" : store_errmsg(srv->st));
		return e;
	}
	return 0;
}

/* A unix address must not be taken from a server that is alive there (a
 * second pumpd on another state directory, or anything else): binding
 * would unlink its socket and steal its remotes. */
static int check_addresses(const struct server_config *cfg, char *err,
                           size_t errcap)
{
	for (unsigned i = 0; i < PEER_LISTEN_MAX && cfg->listen[i]; i++) {
		struct peer_addr a;
		if (peer_addr_parse(cfg->listen[i], &a) < 0 || a.kind != PEER_ADDR_UNIX)
			continue;
		struct sockaddr_un sa;
		memset(&sa, 0, sizeof sa);
		sa.sun_family = AF_UNIX;
		snprintf(sa.sun_path, sizeof sa.sun_path, "%s", a.path);
		int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		int live = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
		close(fd);
		if (live) {
			fmt_set(err, errcap, "%s: another server is listening there "
			           "(another pumpd?); refusing to take its socket",
			           cfg->listen[i]);
			return -EADDRINUSE;
		}
	}
	return 0;
}

/* Who holds the state directory now, for the next one who tries. */
static void describe(struct server *srv, const struct server_config *cfg)
{
	char who[STATELOCK_INFO_MAX], a[PEER_ADDR_MAX];
	size_t n = (size_t)snprintf(who, sizeof who, "pumpd pid %ld on",
	                            (long)getpid());
	for (unsigned i = 0; i < PEER_LISTEN_MAX && cfg->listen[i] &&
	     server_address(srv, i, a, sizeof a) == 0 && n < sizeof who; i++)
		n += (size_t)snprintf(who + n, sizeof who - n, " %s", a);
	if (statelock_describe(&srv->lock, who) < 0)
		log_warn("%s/lock: cannot say who holds it: %s", cfg->dir,
		         strerror(errno));
}

struct start {
	const struct server_config *cfg;
	int64_t now, boot;
	char *err;
	size_t errcap;
};

/* In the start's transaction, so that a pump that cannot start changes
 * nothing: the audit row, this start's number (on disk before anything is
 * sent), and the listeners (bound, not yet serving: the loop is not
 * running). */
static int start(struct server *srv, void *ud)
{
	const struct start *st = ud;
	const struct server_config *cfg = st->cfg;
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "pumpd started (%s clock)",
	         cfg->sim ? "simulated" : "real");
	int e = audit_row_at(srv, STORE_EV_PUMP, "pump", 0, st->now, text);
	if (e == 0)
		e = store_put_int(srv->st, "boot", st->boot);
	if (e < 0) {
		fmt_set(st->err, st->errcap, "%s/state.db: cannot write: %s (%s)",
		       cfg->dir, strerror(-e), store_errmsg(srv->st));
		return e;
	}
	struct peer_server_config pc;
	memset(&pc, 0, sizeof pc);
	pc.static_key = keys_secret_priv(srv->key);
	memcpy(pc.listen, cfg->listen, sizeof pc.listen);
	pc.max_sessions = cfg->max_sessions;
	pc.max_preauth = cfg->max_preauth;
	pc.preauth_per_source = cfg->preauth_per_source;
	pc.limits.handshake_ms = cfg->handshake_ms;
	pc.limits.frame_ms = cfg->frame_ms;
	session_callbacks(srv, &pc.cb);
	e = peer_server_new(srv->loop, &pc, &srv->ps);
	if (e < 0) {
		srv->ps = NULL;
		fmt_set(st->err, st->errcap, "cannot listen on %s%s%s: %s",
		       cfg->listen[0] ? cfg->listen[0] : "?",
		       cfg->listen[1] ? " or " : "",
		       cfg->listen[1] ? cfg->listen[1] : "", strerror(-e));
		return e;
	}
	return 0;
}

/* The real clock goes on from the pump's stored time, or from the wall
 * clock when that is later (the time pumpd was down): never backwards. */
static void start_real_clock(struct server *srv)
{
	int64_t wall = pclock_wall_ms(), stored = srv->pump.now_ms;
	pclock_init_real(&srv->clk, stored, wall, pclock_mono_ms());
	if (wall < stored)
		log_warn("the wall clock is %" PRId64 " ms behind the pump's "
		         "stored time: the pump's clock goes on from its own time",
		         stored - wall);
}

int server_new(uv_loop_t *loop, const struct server_config *cfg,
               struct server **out, char *err, size_t errcap)
{
	int64_t boot = 0;
	struct server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		fmt_set(err, errcap, "out of memory");
		return -ENOMEM;
	}
	srv->loop = loop;
	srv->hooks = (struct srv_hooks){
		.refuse = dispatch_refuse,
		.read_again = dispatch_read_again,
		.send_notes = notify_send,
		.after_commit = ticker_arm,
		.drop_unpaired = dispatch_drop_unpaired,
		.on_send = linkfault_on_send,
	};
	srv->sim = cfg->sim;
	srv->lock.fd = -1;
	int e = load(srv, cfg->dir, &boot, err, errcap);
	if (e == 0)
		e = check_addresses(cfg, err, errcap);
	if (e == 0)
		e = control_start(loop, srv, cfg->dir, &srv->control, err, errcap);
	if (e < 0) {
		if (srv->control) {
			control_close(srv->control, NULL, NULL);
			uv_run(loop, UV_RUN_DEFAULT);
		}
		goto fail;
	}
	if (cfg->db_max_pages)
		store_set_max_pages(srv->st, cfg->db_max_pages);
	if (cfg->sim)
		pclock_init_sim(&srv->clk, srv->pump.now_ms, cfg->speed,
		                pclock_mono_ms());
	else
		start_real_clock(srv);

	/* catch up with the time the pump was down (real clock), and start */
	char msg[512] = "", why[512];
	struct start st = { cfg, srv_now(srv), boot + 1, msg, sizeof msg };
	pump next = srv->pump;
	struct notes ns = { 0 };
	srv_advance(srv, &next, st.now);
	e = change_store(srv, &next, &ns, start, &st, why, sizeof why);
	if (e < 0) {
		if (msg[0])
			fmt_set(err, errcap, "%s", msg);
		else
			fmt_set(err, errcap, "%s/state.db: cannot write: %s", cfg->dir, why);
		/* listening but the start could not be stored: close the
		 * listeners; and a peer_server_new that failed frees itself in
		 * close callbacks too.  Nothing else is on the loop yet. */
		if (srv->ps)
			peer_server_close(srv->ps, NULL, NULL);
		control_close(srv->control, NULL, NULL);
		uv_run(loop, UV_RUN_DEFAULT);
		goto fail;
	}
	describe(srv, cfg);
	srv_set_pump(srv, &next, NULL);
	srv->boot = (uint64_t)st.boot;
	srv->seq_n = ns.n;   /* the catch-up's notes had no one to go to */
	ticker_start(srv);
	batch_init(srv);
	audit_init(srv);
	srv->druglib = cfg->druglib;
	if (linkfault_init(srv) < 0)
		log_error("link faults unavailable: no timer");
	*out = srv;
	return 0;
fail:
	free_all(srv);
	free(srv);
	return e < 0 ? e : -EIO;
}

int server_address(const struct server *srv, unsigned i, char *buf, size_t n)
{
	return peer_server_address_at(srv->ps, i, buf, n);
}

static void closed_one(struct server *srv)
{
	if (--srv->pending_closes > 0)
		return;
	free_all(srv);
	druglib_free(srv->druglib);
	void (*cb)(void *) = srv->close_cb;
	void *ud = srv->close_ud;
	free(srv);
	if (cb)
		cb(ud);
}

static void ps_closed(void *ud)
{
	closed_one(ud);
}

static void timer_closed(uv_handle_t *h)
{
	closed_one(h->data);
}

void server_close(struct server *srv, uint32_t flush_ms, void (*cb)(void *ud),
                  void *ud)
{
	srv->closing = 1;
	srv->close_cb = cb;
	srv->close_ud = ud;
	srv->pending_closes = 8;   /* timer, batch's three, audit, link faults,
	                              control, peers */
	/* every change so far is committed (requests commit before replying);
	 * store the time reached so a simulated clock resumes from here */
	pump next = srv->pump;
	struct notes ns = { 0 };
	char why[512];
	srv_advance(srv, &next, srv_now(srv));
	if (change_store(srv, &next, &ns, NULL, NULL, why, sizeof why) < 0)
		log_error("state at shutdown not stored: %s", why);
	ticker_close(srv, timer_closed);
	audit_close(srv, timer_closed);
	batch_close(srv, timer_closed);
	linkfault_close(srv, closed_one);
	control_close(srv->control, ps_closed, srv);
	unsigned n = 0;
	size_t queued = 0;
	for (struct session *se = srv->sessions; se; se = se->next, n++)
		queued += peer_write_queued(se->peer);
	/* srv lives on: the timer's close callback is still to come */
	peer_server_shutdown(srv->ps, flush_ms, ps_closed, srv);
	log_info("stopping: no longer listening; %u session%s, %zu bytes of "
	         "replies to deliver first", n, n == 1 ? "" : "s", queued);
}

void server_close_now(struct server *srv)
{
	if (!srv->closing)
		return;
	log_info("not waiting for slow remotes any longer");
	peer_server_close(srv->ps, NULL, NULL);
}
