/* tests/test_client.c — the client library against a small fake pump built
 * on peer_server and the message codec: replies, rising ids, STALE_ID,
 * resend of the same id after a drop (never a second bolus), timeouts,
 * notifications, link states, the blocking client_call; caller-chosen ids,
 * also against the real pumpd (tests/lib/e2e.h); addresses that do not parse
 * (client_check_address). */
#include <criterion/criterion.h>
#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>
#include <uv.h>

#include "net/client.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"
#include "tests/lib/testkeys.h"
#include "tests/lib/uvtest.h"

static struct testkeys K;

/* ---- the fake pump ------------------------------------------------------- */

enum { DROP_NONE, DROP_AFTER_EXEC, SILENT };

struct fake {
	uv_loop_t *loop;
	struct peer_server *srv;
	char addr[PEER_ADDR_MAX];
	uint64_t last_id;
	struct msg_reply last_reply;
	int have_last;
	int boluses;            /* times a bolus was carried out */
	int requests;           /* requests received */
	uint64_t ids[16];
	int drop;               /* DROP_* for the next request */
	int notify_on_open;
	int closed;
	struct peer *cur;
};

static void fake_send_reply(struct peer *p, const struct msg_reply *r)
{
	uint8_t buf[MSG_MAX];
	int n = msg_encode_reply(r, buf, sizeof buf);
	cr_assert_gt(n, 0);
	peer_send(p, buf, (size_t)n);
}

static void fake_msg(void *ud, struct peer *p, const uint8_t *m, size_t len)
{
	struct fake *f = ud;
	struct msg_request q;
	cr_assert_eq(msg_decode_request(m, len, &q, NULL, NULL, NULL), 0);
	if (f->requests < 16)
		f->ids[f->requests] = q.id;
	f->requests++;
	if (f->drop == SILENT)
		return;
	if (f->have_last && q.id == f->last_id) {
		fake_send_reply(p, &f->last_reply);   /* the stored reply */
		return;
	}
	struct msg_reply r;
	memset(&r, 0, sizeof r);
	r.id = q.id;
	r.req_type = q.type;
	r.state.now_ms = 1700000000000ull;
	r.state.reservoir_nl = 20000000;
	r.state.capacity_nl = 20000000;
	strcpy(r.state.drug, "morphine");
	if (f->have_last && q.id < f->last_id) {
		r.err = MSG_E_STALE_ID;
		r.u.last_id = f->last_id;
		fake_send_reply(p, &r);
		return;
	}
	if (q.type == MSG_BOLUS) {
		f->boluses++;
		r.u.bolus.outcome = MSG_OUT_GRANTED;
		r.u.bolus.dose_ng = 50000;
		r.u.bolus.at_ms = 1700000060000ull;
		r.u.bolus.wait_ms = 60000;
	}
	f->last_id = q.id;
	f->last_reply = r;
	f->have_last = 1;
	if (f->drop == DROP_AFTER_EXEC) {
		f->drop = DROP_NONE;
		peer_close(p);        /* the reply is lost with the link */
		return;
	}
	fake_send_reply(p, &r);
}

static void fake_open(void *ud, struct peer *p)
{
	struct fake *f = ud;
	f->cur = p;
	if (f->notify_on_open) {
		struct msg_notify n;
		memset(&n, 0, sizeof n);
		n.seq = 77;
		n.event = MSG_EV_ALARM_RAISED;
		n.alarm = MSG_ALARM_LOW_RESERVOIR;
		n.state.n_alarms = 1;
		n.state.alarms[0].id = MSG_ALARM_LOW_RESERVOIR;
		n.state.alarms[0].priority = MSG_PRIO_MEDIUM;
		uint8_t buf[MSG_MAX];
		int len = msg_encode_notify(&n, buf, sizeof buf);
		cr_assert_gt(len, 0);
		cr_assert_eq(peer_send(p, buf, (size_t)len), 0);
	}
}

static void fake_close(void *ud, struct peer *p, int reason)
{
	struct fake *f = ud;
	(void)reason;
	if (f->cur == p)
		f->cur = NULL;
}

static void fake_start(struct fake *f, uv_loop_t *loop)
{
	struct peer_server_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.static_key = K.pump_priv;
	cfg.listen[0] = "tcp:127.0.0.1:0";
	cfg.cb.ud = f;
	cfg.cb.on_message = fake_msg;
	cfg.cb.on_open = fake_open;
	cfg.cb.on_close = fake_close;
	f->loop = loop;
	cr_assert_eq(peer_server_new(loop, &cfg, &f->srv), 0);
	cr_assert_eq(peer_server_address(f->srv, f->addr, sizeof f->addr), 0);
}

static void fake_closed(void *ud) { ((struct fake *)ud)->closed = 1; }

/* ---- fixture ------------------------------------------------------------- */

static struct uvtest U;     /* the loop and its guard */
static struct fake F;

struct got {
	int n, status;
	struct msg_reply rep;
	int links[16], nlinks, last_reason;
	int notes;
	struct msg_notify note;
	int closed;
};
static struct got G;

static void setup(void)
{
	cr_assert_eq(testkeys_init(&K), 0);
	memset(&F, 0, sizeof F);
	memset(&G, 0, sizeof G);
	uvtest_open(&U);
	fake_start(&F, &U.loop);
}

static void run_until(const int *flag, const char *what)
{
	uvtest_run_until(&U, flag, what);
}

/* The end of every test: close the server, run the loop until idle (or
 * a fresh guard fires) and check that nothing is left open.  In the test
 * body, because Criterion does not count a failed assertion in .fini. */
static void finish(void)
{
	uvtest_guard(&U, 5000);
	if (F.srv && !F.closed)
		peer_server_close(F.srv, fake_closed, &F);
	cr_assert_eq(uvtest_settle(&U), 0, "a handle was left open");
	cr_assert(!(F.srv && !F.closed), "the server did not close");
}

/* Never hangs, even after a failed test left its sockets open: finish's
 * work, then whatever is left is closed. */
static void teardown(void)
{
	uvtest_guard(&U, 5000);
	if (F.srv && !F.closed)
		peer_server_close(F.srv, fake_closed, &F);
	uvtest_settle(&U);
	uvtest_abandon(&U);
}

/* A test with the fixture; its body ends with finish(). */
#define FTEST(name) UVTEST(client, name, setup, teardown, finish)

static void on_reply(void *ud, int status, const struct msg_reply *r)
{
	(void)ud;
	G.n++;
	G.status = status;
	if (r)
		G.rep = *r;
}
static void on_link(void *ud, int st, int reason)
{
	(void)ud;
	if (G.nlinks < 16)
		G.links[G.nlinks++] = st;
	G.last_reason = reason;
}
static void on_notify(void *ud, const struct msg_notify *n)
{
	(void)ud;
	G.notes++;
	G.note = *n;
}
static void closed_cb(void *ud) { (void)ud; G.closed = 1; }

static struct client *mk(int reconnect, uint32_t timeout_ms)
{
	struct client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.address = F.addr;
	cfg.key = K.rem_priv;
	cfg.pump_key = K.pump_pub;
	cfg.reconnect = reconnect;
	cfg.backoff_min_ms = 10;
	cfg.backoff_max_ms = 40;
	cfg.request_timeout_ms = timeout_ms;
	cfg.on_link = on_link;
	cfg.on_notify = on_notify;
	struct client *c;
	cr_assert_eq(client_new(&U.loop, &cfg, &c), 0);
	return c;
}

/* A bolus request on c, run until its on_reply (what: for the timeout's
 * message): the request as sent, with its id. */
static struct msg_request bolus(struct client *c, const char *what)
{
	struct msg_request q = { .type = MSG_BOLUS };
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	run_until(&G.n, what);
	return q;
}

static void close_client(struct client *c)
{
	client_close(c, closed_cb, NULL);
	run_until(&G.closed, "client close");
}

static uint64_t now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

/* ---- tests ---------------------------------------------------------------- */

FTEST(status_round_trip_and_rising_ids)
{
	struct client *c = mk(0, 0);
	struct msg_request q = { .type = MSG_STATUS };
	uint64_t before = now_us();
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	cr_assert_geq(q.id, before, "the first id is the clock in microseconds");
	cr_assert_lt(q.id, before + 10000000);
	cr_assert_eq(G.n, 0, "the callback comes from the loop");
	struct msg_request q2 = { .type = MSG_BOLUS };
	cr_assert_eq(client_request(c, &q2, on_reply, NULL), 0);
	cr_assert_gt(q2.id, q.id);
	while (G.n < 2 && !U.guard_fired)
		uv_run(&U.loop, UV_RUN_ONCE);
	cr_assert_eq(G.n, 2);
	cr_assert_eq(G.status, 0);
	cr_assert_eq(G.rep.id, q2.id);
	cr_assert_eq(G.rep.req_type, MSG_BOLUS);
	cr_assert_eq(G.rep.u.bolus.dose_ng, 50000);
	cr_assert_eq(G.rep.state.reservoir_nl, 20000000);
	cr_assert_str_eq(G.rep.state.drug, "morphine");
	cr_assert_eq(F.requests, 2);
	cr_assert_eq(F.ids[0], q.id);
	cr_assert_eq(F.ids[1], q2.id);
	cr_assert_eq(G.nlinks, 2);
	cr_assert_eq(G.links[0], CLIENT_CONNECTING);
	cr_assert_eq(G.links[1], CLIENT_UP);
	close_client(c);
	cr_assert_eq(G.nlinks, 2, "no on_link after client_close");
}

/* verifies: SR-REQ-001 */
FTEST(stale_id_adopts_last_plus_one)
{
	F.have_last = 1;
	F.last_id = now_us() + 1000000000ull;   /* the pump saw a later id */
	uint64_t last = F.last_id;
	struct client *c = mk(0, 0);
	struct msg_request q = bolus(c, "reply");
	cr_assert_eq(G.status, 0);
	cr_assert_eq(G.rep.err, MSG_OK);
	cr_assert_eq(F.requests, 2);
	cr_assert_eq(F.ids[0], q.id);
	cr_assert_eq(F.ids[1], last + 1);
	cr_assert_eq(G.rep.id, F.ids[1]);
	cr_assert_eq(F.boluses, 1);
	cr_assert_eq(client_next_id(c), F.ids[1] + 1);
	close_client(c);
}

/* verifies: SR-REQ-002 */
FTEST(drop_with_request_in_flight_resends_same_id)
{
	F.drop = DROP_AFTER_EXEC;
	struct client *c = mk(1, 5000);
	struct msg_request q = bolus(c, "reply after reconnect");
	cr_assert_eq(G.status, 0);
	cr_assert_eq(G.rep.id, q.id);
	cr_assert_eq(G.rep.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(F.requests, 2, "sent twice");
	cr_assert_eq(F.ids[0], q.id);
	cr_assert_eq(F.ids[1], q.id, "the same id again");
	cr_assert_eq(F.boluses, 1, "never a second bolus");
	/* CONNECTING UP DOWN CONNECTING UP */
	cr_assert_eq(G.nlinks, 5);
	cr_assert_eq(G.links[2], CLIENT_DOWN);
	cr_assert_eq(G.links[4], CLIENT_UP);
	close_client(c);
}

/* verifies: SR-REQ-002 */
FTEST(drop_without_reconnect_is_incomplete)
{
	F.drop = DROP_AFTER_EXEC;
	struct client *c = mk(0, 5000);
	bolus(c, "outcome");
	cr_assert_eq(G.status, CLIENT_E_LINK);
	cr_assert_eq(F.boluses, 1);
	cr_assert_eq(client_state(c), CLIENT_DOWN);
	struct msg_request q2 = { .type = MSG_STATUS };
	cr_assert_eq(client_request(c, &q2, on_reply, NULL), -ENOTCONN);
	cr_assert_eq(G.n, 1, "no callback when the call failed");
	close_client(c);
}

FTEST(timeout)
{
	F.drop = SILENT;
	struct client *c = mk(0, 60);
	struct msg_request q = { .type = MSG_STATUS };
	uint64_t t0 = uv_now(&U.loop);
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	run_until(&G.n, "timeout");
	cr_assert_eq(G.status, CLIENT_E_TIMEOUT);
	cr_assert_geq(uv_now(&U.loop) - t0, 60);
	close_client(c);
}

FTEST(notification)
{
	F.notify_on_open = 1;
	struct client *c = mk(0, 0);
	run_until(&G.notes, "notification");
	cr_assert_eq(G.note.seq, 77);
	cr_assert_eq(G.note.event, MSG_EV_ALARM_RAISED);
	cr_assert_eq(G.note.state.alarms[0].priority, MSG_PRIO_MEDIUM);
	close_client(c);
}

FTEST(close_fails_pending_requests)
{
	F.drop = SILENT;
	struct client *c = mk(1, 0);
	struct msg_request q = { .type = MSG_STATUS };
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	client_close(c, closed_cb, NULL);
	cr_assert_eq(G.n, 1);
	cr_assert_eq(G.status, CLIENT_E_CLOSED);
	run_until(&G.closed, "close");
}

/* verifies: SR-UI-003 */
FTEST(reconnects_after_server_restart)
{
	struct client *c = mk(1, 0);
	while (client_state(c) != CLIENT_UP && !U.guard_fired)
		uv_run(&U.loop, UV_RUN_ONCE);
	peer_close(F.cur);
	while (G.nlinks < 5 && !U.guard_fired)
		uv_run(&U.loop, UV_RUN_ONCE);
	cr_assert_eq(G.links[2], CLIENT_DOWN);
	cr_assert_eq(G.links[3], CLIENT_CONNECTING);
	cr_assert_eq(G.links[4], CLIENT_UP);
	close_client(c);
}

FTEST(bad_config)
{
	struct client_config cfg = { .key = K.rem_priv, .pump_key = K.pump_pub,
	                             .address = "tcp:nowhere" };
	struct client *c;
	cr_assert_eq(client_new(&U.loop, &cfg, &c), -EINVAL);
	cfg.address = NULL;
	cr_assert_eq(client_new(&U.loop, &cfg, &c), -EINVAL);
	c = mk(0, 0);
	struct msg_request q = { .type = MSG_HISTORY, .u.max = 0 };
	cr_assert_eq(client_request(c, &q, on_reply, NULL), -EINVAL);
	q.type = MSG_REPLY;
	cr_assert_eq(client_request(c, &q, on_reply, NULL), -EINVAL);
	close_client(c);
	cr_assert_eq(G.n, 0);
}

FTEST(caller_chosen_id_is_kept)
{
	struct client *c = mk(0, 0);
	uint64_t big = now_us() + 1000000000000ull;
	struct msg_request q = { .type = MSG_BOLUS, .id = big };
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	cr_assert_eq(q.id, big, "the caller's id is left as it is");
	run_until(&G.n, "reply");
	cr_assert_eq(G.status, 0);
	cr_assert_eq(F.requests, 1);
	cr_assert_eq(F.ids[0], big, "the pump saw the caller's id");
	cr_assert_eq(G.rep.id, big);
	cr_assert_eq(client_next_id(c), big + 1, "automatic ids go on above it");
	struct msg_request q2 = { .type = MSG_STATUS };
	cr_assert_eq(client_request(c, &q2, on_reply, NULL), 0);
	cr_assert_eq(q2.id, big + 1);
	while (G.n < 2 && !U.guard_fired)
		uv_run(&U.loop, UV_RUN_ONCE);
	cr_assert_eq(F.ids[1], big + 1);
	close_client(c);
}

/* verifies: SR-REQ-001 */
FTEST(same_chosen_id_twice_gets_the_stored_reply)
{
	struct client *c = mk(0, 0);
	struct msg_request q = { .type = MSG_BOLUS, .id = 4242 };
	struct msg_request q2 = q;
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	cr_assert_eq(client_request(c, &q2, on_reply, NULL), 0);
	while (G.n < 2 && !U.guard_fired)
		uv_run(&U.loop, UV_RUN_ONCE);
	cr_assert_eq(G.n, 2);
	cr_assert_eq(F.requests, 2);
	cr_assert_eq(F.ids[0], 4242);
	cr_assert_eq(F.ids[1], 4242, "sent twice with the same id");
	cr_assert_eq(F.boluses, 1, "carried out once");
	cr_assert_eq(G.rep.id, 4242);
	cr_assert_eq(G.rep.u.bolus.outcome, MSG_OUT_GRANTED);
	close_client(c);
}

FTEST(stale_chosen_id_is_reported_not_retried)
{
	F.have_last = 1;
	F.last_id = 1000;
	struct client *c = mk(0, 0);
	struct msg_request q = { .type = MSG_BOLUS, .id = 999 };
	cr_assert_eq(client_request(c, &q, on_reply, NULL), 0);
	run_until(&G.n, "reply");
	cr_assert_eq(G.status, 0);
	cr_assert_eq(G.rep.err, MSG_E_STALE_ID);
	cr_assert_eq(G.rep.u.last_id, 1000);
	cr_assert_eq(F.requests, 1, "no second try with another id");
	cr_assert_eq(F.boluses, 0);
	close_client(c);
}

FTEST(refused_request_leaves_the_id_alone)
{
	struct client *c = mk(0, 0);
	uint64_t next = client_next_id(c);
	struct msg_request q = { .type = MSG_HISTORY, .u.max = 0 }; /* bad field */
	cr_assert_eq(client_request(c, &q, on_reply, NULL), -EINVAL);
	cr_assert_eq(q.id, 0, "still 0: the struct can be fixed and reused");
	q.id = 77;
	cr_assert_eq(client_request(c, &q, on_reply, NULL), -EINVAL);
	cr_assert_eq(q.id, 77);
	cr_assert_eq(client_next_id(c), next);
	close_client(c);
	cr_assert_eq(G.n, 0);
}

/* ---- client_call: the fake pump runs in a thread with its own loop ------- */

struct bg {
	pthread_t th;
	uv_loop_t loop;
	uv_async_t stop;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int ready;
	struct fake f;
};

static void bg_stop(uv_async_t *a)
{
	struct bg *b = a->data;
	peer_server_close(b->f.srv, NULL, NULL);
	uv_close((uv_handle_t *)a, NULL);
}

static void *bg_main(void *arg)
{
	struct bg *b = arg;
	uv_loop_init(&b->loop);
	fake_start(&b->f, &b->loop);
	b->stop.data = b;
	uv_async_init(&b->loop, &b->stop, bg_stop);
	pthread_mutex_lock(&b->mu);
	b->ready = 1;
	pthread_cond_signal(&b->cv);
	pthread_mutex_unlock(&b->mu);
	uv_run(&b->loop, UV_RUN_DEFAULT);
	uv_loop_close(&b->loop);
	return NULL;
}

Test(client, blocking_call)
{
	cr_assert_eq(testkeys_init(&K), 0);
	static struct bg b;
	memset(&b, 0, sizeof b);
	pthread_mutex_init(&b.mu, NULL);
	pthread_cond_init(&b.cv, NULL);
	pthread_create(&b.th, NULL, bg_main, &b);
	pthread_mutex_lock(&b.mu);
	while (!b.ready)
		pthread_cond_wait(&b.cv, &b.mu);
	pthread_mutex_unlock(&b.mu);

	struct client_config cfg;
	memset(&cfg, 0, sizeof cfg);
	cfg.address = b.f.addr;
	cfg.key = K.rem_priv;
	cfg.pump_key = K.pump_pub;
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r;
	cr_assert_eq(client_call(&cfg, &q, &r, 5000), 0);
	cr_assert_eq(r.id, q.id);
	cr_assert_eq(r.u.bolus.dose_ng, 50000);
	/* a wrong pump key: refused */
	uint8_t wrong[32];
	memcpy(wrong, K.pump_pub, 32);
	wrong[0] ^= 1;
	cfg.pump_key = wrong;
	cr_assert_eq(client_call(&cfg, &q, &r, 5000), PEER_R_REFUSED);
	/* nobody listening */
	cfg.address = "unix:/nonexistent/ptm.sock";
	cr_assert_eq(client_call(&cfg, &q, &r, 5000), PEER_R_CONNECT);

	uv_async_send(&b.stop);
	pthread_join(b.th, NULL);
}

/* ---- client_call with a chosen id, against the real pumpd ----------------- */

static struct msg_reply pump_call(const struct client_config *cfg,
                                  uint8_t type, uint64_t id)
{
	struct msg_request q;
	struct msg_reply r;
	memset(&q, 0, sizeof q);
	q.type = type;
	q.id = id;
	int rc = client_call(cfg, &q, &r, 5000);
	cr_assert_eq(rc, 0, "%s id %llu: %s", msg_type_name(type),
	             (unsigned long long)id, client_strerror(rc));
	if (id)
		cr_assert_eq(q.id, id, "client_call kept the id");
	cr_assert_eq(r.id, q.id);
	return r;
}

/* verifies: SR-REQ-001 */
Test(client, call_with_chosen_id_against_pumpd)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	struct client_config cfg;
	cr_assert_eq(e2e_client_config(p, "patient", &cfg), 0);

	struct msg_reply r1 = pump_call(&cfg, MSG_BOLUS, 1000);
	cr_assert_eq(r1.err, MSG_OK, "%s %s", msg_err_name(r1.err), r1.detail);
	cr_assert_eq(r1.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(r1.u.bolus.dose_ng, 500000u);
	cr_assert_eq(r1.state.boluses_24h, 1);

	/* the same id again, in a new session: the stored reply */
	struct msg_reply r2 = pump_call(&cfg, MSG_BOLUS, 1000);
	cr_assert_eq(r2.err, MSG_OK);
	cr_assert_eq(r2.req_type, MSG_BOLUS);
	cr_assert_eq(r2.u.bolus.outcome, MSG_OUT_GRANTED, "not 'running': not carried out again");
	cr_assert_eq(r2.u.bolus.dose_ng, r1.u.bolus.dose_ng);
	cr_assert_eq(r2.u.bolus.at_ms, r1.u.bolus.at_ms);
	cr_assert_eq(r2.state.now_ms, r1.state.now_ms);
	cr_assert_eq(r2.state.reservoir_nl, r1.state.reservoir_nl);

	/* an older id: refused as stale, passed on as it is */
	struct msg_reply r3 = pump_call(&cfg, MSG_BOLUS, 999);
	cr_assert_eq(r3.err, MSG_E_STALE_ID);
	cr_assert_eq(r3.u.last_id, 1000);

	/* a fresh automatic id: one bolus was given in all */
	struct msg_reply r4 = pump_call(&cfg, MSG_STATUS, 0);
	cr_assert_eq(r4.err, MSG_OK);
	cr_assert_gt(r4.id, 1000);
	cr_assert_eq(r4.state.boluses_24h, 1);
	e2e_free(p);
}

/* ---- addresses ------------------------------------------------------------- */

/* A typo in an address is said to be one, with what to write, before any
 * key or connection: 'bogus:x' once came out as an authentication failure. */
Test(client, an_address_that_does_not_parse_is_named_with_what_to_write)
{
	static const struct { const char *addr, *want; } bad[] = {
		{ "bogus:x", "'bogus:x': not an address; use unix:PATH or tcp:HOST:PORT" },
		{ "tcp:127.0.0.1:99999", "'tcp:127.0.0.1:99999': not an address "
		  "(port 99999 is not 1..65535); use unix:PATH or tcp:HOST:PORT" },
		{ "tcp:127.0.0.1:0", "'tcp:127.0.0.1:0': not an address (port 0 is not "
		  "1..65535); use unix:PATH or tcp:HOST:PORT" },
		{ "tcp:127.0.0.1:http", "'tcp:127.0.0.1:http': not an address (port 'http' "
		  "is not a number); use unix:PATH or tcp:HOST:PORT" },
		{ "tcp:pump.example:7470", "'tcp:pump.example:7470': not an address (HOST "
		  "must be numeric, such as 127.0.0.1 or [::1], or localhost); use "
		  "unix:PATH or tcp:HOST:PORT" },
		{ "tcp:7470", "'tcp:7470': not an address (tcp:HOST:PORT, e.g. "
		  "tcp:127.0.0.1:7470); use unix:PATH or tcp:HOST:PORT" },
		{ "unix:", "'unix:': not an address (no path after unix:); use unix:PATH "
		  "or tcp:HOST:PORT" },
		{ "", "'': not an address; use unix:PATH or tcp:HOST:PORT" },
		{ "x\x1b[2J", "'x\\x1b[2J': not an address; use unix:PATH or tcp:HOST:PORT" },
	};
	char err[256];
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(client_check_address(bad[i].addr, err, sizeof err), -EINVAL,
		             "%s", bad[i].addr);
		cr_assert_str_eq(err, bad[i].want);
	}
	cr_assert_eq(client_check_address(NULL, NULL, 0), -EINVAL);
	static const char *const good[] = {
		"unix:/run/ptm.sock", "/run/ptm.sock", "tcp:127.0.0.1:7470",
		"tcp:[::1]:1", "tcp:localhost:65535", NULL
	};
	for (const char *const *g = good; *g; g++)
		cr_assert_eq(client_check_address(*g, err, sizeof err), 0, "%s", *g);

	/* client_new and client_call refuse the same, with nothing opened */
	uv_loop_t loop;
	struct client *c = NULL;
	uint8_t k[32] = { 1 };
	struct client_config cfg = { .address = "tcp:127.0.0.1:0", .key = k, .pump_key = k };
	cr_assert_eq(uv_loop_init(&loop), 0);
	cr_assert_eq(client_new(&loop, &cfg, &c), -EINVAL);
	cr_assert_null(c);
	cr_assert_eq(uv_loop_close(&loop), 0);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(client_call(&cfg, &q, &r, 1000), -EINVAL);
}
