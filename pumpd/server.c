/* pumpd/server.c — sessions, roles, dispatch, notifications (see server.h). */
#include "pumpd/server.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "crypto/tai64n.h"
#include "net/msg.h"
#include "pumpd/clock.h"
#include "pumpd/log.h"
#include "pumpd/pump.h"
#include "pumpd/statedir.h"
#include "pumpd/store.h"
#include "pumpd/wire.h"

/* handshake rate limits: token buckets (tokens scaled by 1000) */
#define RL_REMOTE_BURST 200
#define RL_REMOTE_PER_S 100
#define RL_ALL_BURST    1000
#define RL_ALL_PER_S    500
#define EVENTS_MAX      64
#define REAL_RECHECK_MS 60000   /* real clock: re-arm at least this often */
#define CLOCK_ADVANCE_MAX (3650LL * 86400000LL) /* one request: 10 years */

struct bucket { int64_t tokens, at_ms; };

struct session;

struct remote {
	int64_t id;
	char name[STORE_NAME_MAX + 1];
	int role;
	uint8_t pub[32];
	int64_t paired_ms;           /* with id and pub: which pairing this is */
	int has_tai;
	uint8_t tai[12];
	uint64_t last_req_id;
	size_t reply_len;
	uint8_t reply[MSG_MAX];
	struct session *sess;        /* live session, or NULL */
	struct bucket rl;
	struct remote *next;
};

struct session {
	struct server *srv;
	struct peer *peer;
	struct remote *remote;
	struct session *next, *prev;
};

struct server {
	uv_loop_t *loop;
	struct peer_server *ps;
	struct store *st;
	keys_secret *key;
	uv_timer_t timer;
	int sim;
	struct pclock clk;
	pump pump;
	uint64_t boot;               /* this start's number, stored at start */
	uint32_t seq_n;              /* notifications sent in this start */
	struct remote *remotes;
	struct session *sessions;
	struct bucket rl_all;
	int closing;
	void (*close_cb)(void *);
	void *close_ud;
	int pending_closes;
	/* scratch */
	struct msg_reply reply;
	uint8_t buf[MSG_MAX];
	pump_event events[EVENTS_MAX];
	unsigned nevents, lost_events;
};

/* ---- helpers ----------------------------------------------------------- */

static void seterr(char *err, size_t cap, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t cap, const char *fmt, ...)
{
	va_list ap;
	if (!err || !cap)
		return;
	va_start(ap, fmt);
	vsnprintf(err, cap, fmt, ap);
	va_end(ap);
}

static int bucket_take(struct bucket *b, int64_t now, int burst, int per_s)
{
	int64_t cap = (int64_t)burst * 1000;
	if (b->at_ms == 0) {
		b->tokens = cap;
		b->at_ms = now;
	}
	if (now > b->at_ms) {
		b->tokens += (now - b->at_ms) * per_s;
		if (b->tokens > cap)
			b->tokens = cap;
		b->at_ms = now;
	}
	if (b->tokens < 1000)
		return 0;
	b->tokens -= 1000;
	return 1;
}

static int64_t now_ms(const struct server *srv)
{
	return pclock_now(&srv->clk);
}

static void on_event(void *ud, const pump_event *ev)
{
	struct server *srv = ud;
	if (srv->nevents < EVENTS_MAX)
		srv->events[srv->nevents++] = *ev;
	else
		srv->lost_events++;
}

static const char *who_of(const struct remote *r)
{
	return r ? r->name : "pump";
}

static void fmt_ng(char *b, size_t n, uint64_t ng)
{
	if (ng % 1000 == 0 && ng >= 1000000)
		snprintf(b, n, "%" PRIu64 ".%03" PRIu64 " mg", ng / 1000000,
		         (ng / 1000) % 1000);
	else
		snprintf(b, n, "%" PRIu64 " ng", ng);
}

/* ---- pairing: a remote unpaired while its session is open --------------- */

static void refuse(struct server *srv, struct session *s, uint64_t id, int type,
                   int err, const char *detail, uint64_t last_id);

/* Is rm still paired as it was when its session opened?  1 yes; 0 no
 * (unpaired, paired again, role changed); < 0 the store cannot tell. */
static int still_paired(struct server *srv, const struct remote *rm)
{
	int role = store_remote_role(srv->st, rm->id, rm->pub, rm->paired_ms);
	if (role == -ENOENT)
		return 0;
	if (role < 0)
		return role;
	return role == rm->role;
}

/* Forget rm: its session (if any) no longer speaks for it. */
static void forget_remote(struct server *srv, struct remote *rm)
{
	if (rm->sess) {
		rm->sess->remote = NULL;
		rm->sess = NULL;
	}
	for (struct remote **pp = &srv->remotes; *pp; pp = &(*pp)->next)
		if (*pp == rm) {
			*pp = rm->next;
			break;
		}
	free(rm);
}

/* The session's remote was unpaired: answer the request that found it out
 * (type >= 0) with ROLE "unpaired", log it, close the session once that
 * reply is written, and forget the remote. */
static void drop_unpaired(struct server *srv, struct session *s, uint64_t id,
                          int type)
{
	struct remote *rm = s->remote;
	if (type >= 0)
		refuse(srv, s, id, type, MSG_E_ROLE, "unpaired", 0);
	log_warn("%s: no longer paired: session closed", rm->name);
	if (store_audit(srv->st, now_ms(srv), rm->name,
	                "session closed: no longer paired") < 0)
		log_error("audit log not written: %s", store_errmsg(srv->st));
	peer_close_flush(s->peer, 0);
	forget_remote(srv, rm);
}

/* ---- notifications ------------------------------------------------------ */

static void state_now(struct server *srv, const pump *p, const struct pclock *clk,
                      int64_t now, struct msg_state *st)
{
	pump_snapshot snap;
	pump_status(p, now, &snap);
	wire_state(&snap, srv->sim, clk->speed, st);
}

static void broadcast(struct server *srv, uint64_t seq, int event, int alarm,
                      const struct msg_state *st)
{
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.seq = seq;
	n.event = (uint8_t)event;
	n.alarm = (uint8_t)(alarm > 0 ? alarm : 0);
	n.state = *st;
	uint8_t buf[MSG_MAX];
	int len = msg_encode_notify(&n, buf, sizeof buf);
	if (len <= 0) {
		log_error("cannot encode a notification (%d)", len);
		return;
	}
	for (struct session *s = srv->sessions; s; s = s->next) {
		if (!peer_is_open(s->peer) || !s->remote)
			continue;
		if (still_paired(srv, s->remote) == 0) {
			drop_unpaired(srv, s, 0, -1);
			continue;
		}
		int e = peer_send(s->peer, buf, (size_t)len);
		if (e < 0)
			log_warn("%s: notification not sent (%s)", who_of(s->remote),
			         strerror(-e));
	}
	log_debug("notify #%" PRIu64 " %s%s%s", seq, msg_event_name(event),
	          alarm > 0 ? " " : "", alarm > 0 ? msg_alarm_name(alarm) : "");
}

/* Pending notifications of one change, sent after the commit. */
#define NOTES_MAX (EVENTS_MAX + 16)
struct notes {
	unsigned n;
	struct { uint8_t event, alarm; } e[NOTES_MAX];
};

/* Notification sequence numbers: boot << 32 | n, where boot counts the
 * pump's starts (stored before it serves) and n counts notifications in
 * this start from 1.  Nothing per notification is stored, and still no
 * number repeats after a crash.  seq_room makes room for one change's
 * notes before its transaction: when n would run out, the next boot number
 * is stored first (0, or a store error: then send nothing). */
static int seq_room(struct server *srv)
{
	if ((uint64_t)srv->seq_n + NOTES_MAX <= UINT32_MAX)
		return 0;
	int e = store_put_int(srv->st, "boot", (int64_t)(srv->boot + 1));
	if (e < 0)
		return e;
	srv->boot++;
	srv->seq_n = 0;
	return 0;
}

static uint64_t seq_next(struct server *srv)
{
	return srv->boot << 32 | ++srv->seq_n;
}

static void note(struct notes *ns, int event, int alarm)
{
	if (ns->n < sizeof ns->e / sizeof ns->e[0]) {
		ns->e[ns->n].event = (uint8_t)event;
		ns->e[ns->n].alarm = (uint8_t)(alarm > 0 ? alarm : 0);
		ns->n++;
	}
}

/* Model events -> notes and audit rows (inside a transaction). */
static int events_to_notes(struct server *srv, struct notes *ns)
{
	char text[MSG_TEXT_MAX + 1], a[32];
	for (unsigned i = 0; i < srv->nevents; i++) {
		const pump_event *ev = &srv->events[i];
		int alarm = wire_alarm_to_msg(ev->alarm);
		int event = -1;
		switch (ev->kind) {
		case PUMP_EV_BOLUS_END:
		case PUMP_EV_BOLUS_ABORTED:
			event = MSG_EV_BOLUS_ENDED;
			fmt_ng(a, sizeof a, (uint64_t)(ev->value > 0 ? ev->value : 0));
			snprintf(text, sizeof text, "bolus %s: %s delivered",
			         ev->kind == PUMP_EV_BOLUS_END ? "ended" : "aborted", a);
			break;
		case PUMP_EV_STEP_CHANGE:
			event = MSG_EV_STATE;
			snprintf(text, sizeof text, "schedule step: %" PRId64 " ng/day",
			         ev->value);
			break;
		case PUMP_EV_ALARM_RAISED:
			event = MSG_EV_ALARM_RAISED;
			snprintf(text, sizeof text, "alarm raised: %s",
			         msg_alarm_name(alarm));
			break;
		case PUMP_EV_ALARM_RESOUND:
			event = MSG_EV_ALARM_RESOUND;
			snprintf(text, sizeof text, "alarm sounds again: %s",
			         msg_alarm_name(alarm));
			break;
		case PUMP_EV_ALARM_CLEARED:
			event = MSG_EV_ALARM_CLEARED;
			snprintf(text, sizeof text, "alarm cleared: %s",
			         msg_alarm_name(alarm));
			break;
		default:
			continue;
		}
		note(ns, event, alarm);
		if (event == MSG_EV_ALARM_RAISED || event == MSG_EV_ALARM_RESOUND)
			log_warn("%s", text);
		else
			log_info("%s", text);
		int64_t e = store_audit(srv->st, ev->at_ms, "pump", text);
		if (e < 0)
			return (int)e;
	}
	if (srv->lost_events) {
		note(ns, MSG_EV_STATE, 0);
		srv->lost_events = 0;
	}
	return 0;
}

/* Alarms that differ between two pumps -> notes and audit rows. */
static int alarm_diff(struct server *srv, const pump *before, const pump *after,
                      int64_t at, struct notes *ns)
{
	char text[MSG_TEXT_MAX + 1];
	for (int a = 0; a < PUMP_ALARM__COUNT; a++) {
		int was = before->alarms[a].active, is = after->alarms[a].active;
		if (was == is)
			continue;
		int m = wire_alarm_to_msg(a);
		note(ns, is ? MSG_EV_ALARM_RAISED : MSG_EV_ALARM_CLEARED, m);
		snprintf(text, sizeof text, "alarm %s: %s", is ? "raised" : "cleared",
		         msg_alarm_name(m));
		log_info("%s", text);
		int64_t e = store_audit(srv->st, at, "pump", text);
		if (e < 0)
			return (int)e;
	}
	return 0;
}

static int save_pump(struct server *srv, const pump *p)
{
	uint8_t blob[PUMP_SERIAL_MAX];
	size_t n = pump_serialize(p, blob, sizeof blob);
	if (n == 0)
		return -EIO;
	return store_put_blob(srv->st, "pump", blob, n);
}

static void send_notes(struct server *srv, const struct notes *ns,
                       const struct msg_state *st)
{
	for (unsigned i = 0; i < ns->n; i++)
		broadcast(srv, seq_next(srv), ns->e[i].event, ns->e[i].alarm, st);
}

/* ---- the timer: the model's next event ----------------------------------- */

static void arm(struct server *srv);

static void on_timer(uv_timer_t *t)
{
	struct server *srv = t->data;
	if (srv->closing)
		return;
	int64_t now = now_ms(srv);
	pump next = srv->pump;
	srv->nevents = 0;
	pump_advance(&next, now, on_event, srv);
	if (srv->nevents || srv->lost_events) {
		struct notes ns = { 0 };
		int room = seq_room(srv);
		int e = store_begin(srv->st);
		if (e == 0)
			e = events_to_notes(srv, &ns);
		if (e == 0)
			e = save_pump(srv, &next);
		if (e == 0)
			e = store_commit(srv->st);
		else
			store_rollback(srv->st);
		if (e != 0)
			log_error("cannot store the pump's state: %s (%s); it will be "
			          "stored with the next change", strerror(-e),
			          store_errmsg(srv->st));
		/* time moves on whether or not it could be written: the model is
		 * deterministic, a later save (or a restart) catches up */
		srv->pump = next;
		struct msg_state st;
		state_now(srv, &srv->pump, &srv->clk, now, &st);
		if (room == 0)
			send_notes(srv, &ns, &st);
		else
			log_error("notifications not sent: no sequence numbers left "
			          "(%s)", store_errmsg(srv->st));
	} else {
		srv->pump = next;
	}
	arm(srv);
}

static void arm(struct server *srv)
{
	if (srv->closing)
		return;
	int64_t now = now_ms(srv);
	int64_t t = pump_next_event(&srv->pump);
	int64_t d;
	if (t == INT64_MAX) {
		d = srv->sim ? -1 : REAL_RECHECK_MS;
	} else {
		d = pclock_delay_ms(&srv->clk, now, t);
	}
	if (!srv->sim && (d < 0 || d > REAL_RECHECK_MS))
		d = REAL_RECHECK_MS; /* the wall clock may jump: look again */
	if (d < 0) {
		uv_timer_stop(&srv->timer);
		return;
	}
	if (d > 86400000)
		d = 86400000;
	uv_timer_start(&srv->timer, on_timer, (uint64_t)d, 0);
}

/* ---- requests ----------------------------------------------------------- */

static int role_needed(int type)
{
	switch (type) {
	case MSG_STATUS: case MSG_BOLUS: case MSG_SILENCE: case MSG_HISTORY:
		return STORE_ROLE_PATIENT;
	case MSG_PROGRAM: case MSG_REFILL: case MSG_CLEAR: case MSG_LOG:
	case MSG_RUN:
		return STORE_ROLE_CLINICIAN;
	case MSG_FAULT: case MSG_CLOCK:
		return STORE_ROLE_TESTER;
	default:
		return 99;
	}
}

static int count_silenced(const pump *p, int64_t now)
{
	int n = 0;
	for (int a = 0; a < PUMP_ALARM__COUNT; a++)
		if (p->alarms[a].active && p->alarms[a].silenced_until_ms > now)
			n++;
	return n;
}

/* Carry out one decoded, in-role request on copies of the pump and clock.
 * Fills r (err, detail, body), *text (audit line) and the notes.  Store
 * reads happen here; store writes happen in the caller's transaction. */
static void dispatch(struct server *srv, struct remote *rm,
                     const struct msg_request *q, pump *p, struct pclock *clk,
                     int64_t *now, struct msg_reply *r, char *text,
                     size_t tcap, struct notes *ns, int *changed,
                     struct msg_history_entry *hist_out)
{
	const char *field = NULL;
	int e;
	char a[32];

	*changed = 0;
	switch (q->type) {
	case MSG_STATUS: {
		pump_snapshot snap;
		pump_status(p, *now, &snap);
		r->u.counts.n = MSG_OUT_COUNT;
		for (int i = 0; i < MSG_OUT_COUNT; i++) {
			r->u.counts.c[i].outcome = (uint8_t)i;
			r->u.counts.c[i].count = i < PUMP_BOLUS__COUNT ? snap.outcomes[i] : 0;
		}
		snprintf(text, tcap, "status");
		break;
	}
	case MSG_BOLUS: {
		pump_bolus_result res;
		e = pump_bolus(p, *now, &res);
		if (e < 0) {
			r->err = MSG_E_INTERNAL;
			snprintf(text, tcap, "bolus: internal error %d", e);
			break;
		}
		*changed = 1;
		r->u.bolus.outcome = (uint8_t)res.outcome;
		r->u.bolus.dose_ng = res.dose_ng;
		fmt_ng(a, sizeof a, res.dose_ng);
		if (res.outcome == PUMP_BOLUS_GRANTED) {
			r->u.bolus.at_ms = (uint64_t)res.ends_at_ms;
			r->u.bolus.wait_ms = (uint64_t)(res.ends_at_ms - res.at_ms);
			note(ns, MSG_EV_BOLUS_STARTED, 0);
			snprintf(text, tcap, "bolus granted: %s, ends at %" PRId64, a,
			         res.ends_at_ms);
		} else if (res.outcome == PUMP_BOLUS_RUNNING) {
			/* protocol: at_ms = the running bolus's end (the state block's
			 * next_bolus_ms says when the next may be granted) */
			pump_snapshot snap;
			pump_status(p, *now, &snap);
			int64_t end = snap.bolus_ends_ms > *now ? snap.bolus_ends_ms : *now;
			r->u.bolus.at_ms = (uint64_t)end;
			r->u.bolus.wait_ms = (uint64_t)(end - *now);
		} else {
			r->u.bolus.at_ms = res.next_at_ms > 0 ? (uint64_t)res.next_at_ms : 0;
			r->u.bolus.wait_ms = res.wait_ms > 0 ? (uint64_t)res.wait_ms : 0;
			snprintf(text, tcap, "bolus refused: %s, wait %" PRId64 " ms",
			         msg_outcome_name(res.outcome), res.wait_ms);
		}
		hist_out->at_ms = (uint64_t)*now;
		hist_out->outcome = (uint8_t)res.outcome;
		hist_out->dose_ng = res.outcome == PUMP_BOLUS_GRANTED ? res.dose_ng : 0;
		break;
	}
	case MSG_SILENCE: {
		int alarm = q->u.alarm == 0 ? PUMP_ALARM_ALL : wire_alarm_from_msg(q->u.alarm);
		int before = count_silenced(p, *now);
		e = alarm < PUMP_ALARM_ALL ? PUMP_E_INVAL : pump_silence(p, *now, alarm);
		if (e == PUMP_E_NOT_ACTIVE || (e == 0 && count_silenced(p, *now) == before &&
		                               q->u.alarm == 0 && before == 0)) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "no such alarm is active");
		} else if (e < 0) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "alarm");
		} else {
			int after = count_silenced(p, *now);
			r->u.silenced = (uint8_t)(after > before ? after - before : after);
			*changed = 1;
			note(ns, MSG_EV_ALARM_SILENCED, q->u.alarm);
		}
		snprintf(text, tcap, "silence %s: %s",
		         q->u.alarm ? msg_alarm_name(q->u.alarm) : "all",
		         r->err ? msg_err_name(r->err) : "done");
		break;
	}
	case MSG_HISTORY: {
		unsigned max = q->u.max;
		if (max < 1 || max > MSG_HISTORY_MAX) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "max");
		} else {
			e = store_history_read(srv->st, rm->id, max, r->u.history.e);
			if (e < 0) {
				r->err = MSG_E_STORAGE;
				snprintf(r->detail, sizeof r->detail, "history unreadable");
			} else {
				r->u.history.n = (uint8_t)e;
			}
		}
		snprintf(text, tcap, "history");
		break;
	}
	case MSG_PROGRAM: {
		pump_rx rx;
		wire_rx_to_pump(&q->u.rx, p->rx.battery_life_days, &rx);
		e = pump_program(p, *now, &rx, &field);
		if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "%s",
			         field ? wire_field_name(field) : "prescription");
		} else if (e == PUMP_E_CEILING) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail,
			         "ceiling_24h below drug already given");
		} else if (e < 0) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "%s", pump_strerror(e));
		} else {
			*changed = 1;
			note(ns, MSG_EV_PROGRAMMED, 0);
		}
		snprintf(text, tcap, "program %s: %s%s%s", q->u.rx.drug,
		         r->err ? msg_err_name(r->err) : "done",
		         r->err ? " " : "", r->detail);
		break;
	}
	case MSG_REFILL:
		e = pump_refill(p, *now, q->u.refill.volume_nl,
		                q->u.refill.concentration_ng_ml);
		if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "%s",
			         q->u.refill.volume_nl == 0 ||
			         q->u.refill.volume_nl > p->rx.capacity_nl ?
			         "volume_nl" : "concentration_ng_ml");
		} else if (e < 0) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "%s", pump_strerror(e));
		} else {
			*changed = 1;
			note(ns, MSG_EV_REFILLED, 0);
		}
		snprintf(text, tcap, "refill %" PRIu32 " nL at %" PRIu32 " ng/mL: %s",
		         q->u.refill.volume_nl, q->u.refill.concentration_ng_ml,
		         r->err ? msg_err_name(r->err) : "done");
		break;
	case MSG_CLEAR: {
		int alarm = wire_alarm_from_msg(q->u.alarm);
		e = alarm < 0 ? PUMP_E_INVAL : pump_clear(p, *now, alarm);
		if (e == PUMP_E_INVAL) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "alarm");
		} else if (e == PUMP_E_CAUSE) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "its cause remains");
		} else if (e == PUMP_E_NOT_ACTIVE) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "alarm not active");
		} else if (e < 0) {
			r->err = MSG_E_STATE;
			snprintf(r->detail, sizeof r->detail, "%s", pump_strerror(e));
		} else {
			*changed = 1;
		}
		snprintf(text, tcap, "clear %s: %s", msg_alarm_name(q->u.alarm),
		         r->err ? r->detail : "done");
		break;
	}
	case MSG_LOG: {
		unsigned max = q->u.log.max;
		if (max < 1 || max > MSG_LOG_MAX) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "max");
		} else {
			e = store_audit_read(srv->st, q->u.log.after_seq, max, r->u.log.e);
			if (e < 0) {
				r->err = MSG_E_STORAGE;
				snprintf(r->detail, sizeof r->detail, "log unreadable");
			} else {
				r->u.log.n = (uint8_t)e;
			}
		}
		snprintf(text, tcap, "read log after %" PRIu64, q->u.log.after_seq);
		break;
	}
	case MSG_RUN:
		if (q->u.run > 1) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "run");
		} else {
			e = pump_set_running(p, *now, q->u.run != 0);
			if (e < 0) {
				r->err = MSG_E_STATE;
				snprintf(r->detail, sizeof r->detail, "%s", pump_strerror(e));
			} else {
				*changed = 1;
				note(ns, q->u.run ? MSG_EV_STARTED : MSG_EV_STOPPED, 0);
			}
		}
		snprintf(text, tcap, "%s: %s", q->u.run ? "start" : "stop",
		         r->err ? msg_err_name(r->err) : "done");
		break;
	case MSG_FAULT: {
		int kind = wire_fault_from_msg(q->u.fault.kind);
		uint64_t arg = q->u.fault.arg;
		if (kind < 0) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "fault");
		} else if (kind == PUMP_FAULT_SET_VOLUME && arg > p->rx.capacity_nl) {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "arg: above capacity");
		} else {
			e = pump_fault(p, *now, kind, (uint32_t)(arg > UINT32_MAX ? 0 : arg));
			if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
				r->err = MSG_E_RANGE;
				snprintf(r->detail, sizeof r->detail, "arg");
			} else if (e < 0) {
				r->err = MSG_E_STATE;
				snprintf(r->detail, sizeof r->detail, "%s", pump_strerror(e));
			} else {
				*changed = 1;
			}
		}
		snprintf(text, tcap, "fault %s %" PRIu64 ": %s",
		         msg_fault_name(q->u.fault.kind), arg,
		         r->err ? msg_err_name(r->err) : "injected");
		break;
	}
	case MSG_CLOCK: {
		int64_t mono = pclock_mono_ms();
		if (q->u.clock.op == MSG_CLOCK_ADVANCE) {
			if (q->u.clock.arg > (uint64_t)CLOCK_ADVANCE_MAX) {
				r->err = MSG_E_RANGE;
				snprintf(r->detail, sizeof r->detail, "arg: at most 10 years");
			} else {
				pclock_advance(clk, q->u.clock.arg, mono);
			}
		} else if (q->u.clock.op == MSG_CLOCK_SPEED) {
			if (q->u.clock.arg > PCLOCK_SPEED_MAX) {
				r->err = MSG_E_RANGE;
				snprintf(r->detail, sizeof r->detail, "arg: at most %u",
				         PCLOCK_SPEED_MAX);
			} else {
				pclock_set_speed(clk, (uint32_t)q->u.clock.arg, mono);
			}
		} else {
			r->err = MSG_E_RANGE;
			snprintf(r->detail, sizeof r->detail, "op");
		}
		if (!r->err) {
			*now = pclock_at(clk, 0, mono);
			srv->nevents = 0;
			pump_advance(p, *now, on_event, srv);
			*changed = 1;
			note(ns, MSG_EV_CLOCK, 0);
		}
		snprintf(text, tcap, "clock %s %" PRIu64 ": %s",
		         q->u.clock.op == MSG_CLOCK_ADVANCE ? "advance" : "speed",
		         q->u.clock.arg, r->err ? msg_err_name(r->err) : "done");
		break;
	}
	default:
		r->err = MSG_E_TYPE;
		snprintf(text, tcap, "unknown request");
		break;
	}
}

static void send_bytes(struct session *s, const uint8_t *buf, size_t len)
{
	int e = peer_send(s->peer, buf, len);
	if (e < 0)
		log_warn("%s: reply not sent (%s)", who_of(s->remote), strerror(-e));
}

/* An error reply that changes nothing and is not remembered. */
static void refuse(struct server *srv, struct session *s, uint64_t id, int type,
                   int err, const char *detail, uint64_t last_id)
{
	struct msg_reply *r = &srv->reply;
	memset(r, 0, sizeof *r);
	r->id = id;
	r->req_type = (uint8_t)(role_needed(type) != 99 ? type : 0);
	r->err = (uint16_t)err;
	snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
	if (err == MSG_E_STALE_ID)
		r->u.last_id = last_id;
	state_now(srv, &srv->pump, &srv->clk, now_ms(srv), &r->state);
	int len = msg_encode_reply(r, srv->buf, sizeof srv->buf);
	if (len <= 0) {
		log_error("cannot encode a reply (%d)", len);
		return;
	}
	send_bytes(s, srv->buf, (size_t)len);
	/* refusals are logged; the audit row is best effort */
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "refused %s id %" PRIu64 ": %s%s%s",
	         msg_type_name(type), id, msg_err_name(err), detail && *detail ? " " : "",
	         detail ? detail : "");
	log_warn("%s (%s): %s", who_of(s->remote), store_role_name(s->remote->role), text);
	if (store_audit(srv->st, now_ms(srv), who_of(s->remote), text) < 0)
		log_error("audit log not written: %s", store_errmsg(srv->st));
}

static void handle(struct server *srv, struct session *s, const uint8_t *msg,
                   size_t len)
{
	struct remote *rm = s->remote;
	struct msg_request q;
	uint8_t type = 0;
	uint64_t id = 0;

	int rc = msg_decode_request(msg, len, &q, &type, &id);
	int paired = still_paired(srv, rm);
	if (paired == 0) {
		drop_unpaired(srv, s, id, type);
		return;
	}
	if (paired < 0) {
		log_error("%s: cannot check its pairing: %s", rm->name,
		          store_errmsg(srv->st));
		refuse(srv, s, id, type, MSG_E_STORAGE, "cannot check the pairing", 0);
		return;
	}
	if (rc < 0) {
		const char *why = rc == MSG_ESHORT ? "truncated" :
		                  rc == MSG_ETRAIL ? "trailing bytes" :
		                  rc == MSG_ETYPE ? "unknown type" : "bad value";
		refuse(srv, s, id, type, rc == MSG_ETYPE ? MSG_E_TYPE : MSG_E_MALFORMED,
		       why, 0);
		return;
	}
	if (q.id < rm->last_req_id || (q.id == rm->last_req_id && rm->reply_len == 0)) {
		refuse(srv, s, q.id, q.type, MSG_E_STALE_ID, "", rm->last_req_id);
		return;
	}
	if (q.id == rm->last_req_id) {
		log_info("%s: request id %" PRIu64 " repeated: stored reply sent again",
		         rm->name, q.id);
		send_bytes(s, rm->reply, rm->reply_len);
		return;
	}
	int need = role_needed(q.type);
	if (rm->role < need) {
		refuse(srv, s, q.id, q.type, MSG_E_ROLE, store_role_name(rm->role), 0);
		return;
	}
	if (need == STORE_ROLE_TESTER && !srv->sim) {
		refuse(srv, s, q.id, q.type, MSG_E_NOT_SIM, "pump runs on the real clock", 0);
		return;
	}

	/* carry it out on copies; commit; then make the copies real */
	int64_t now = now_ms(srv);
	pump *next = malloc(sizeof *next);
	if (!next) {
		refuse(srv, s, q.id, q.type, MSG_E_INTERNAL, "out of memory", 0);
		return;
	}
	*next = srv->pump;
	struct pclock clk = srv->clk;
	struct notes ns = { 0 };
	srv->nevents = 0;
	pump_advance(next, now, on_event, srv);
	pump before = *next;

	struct msg_reply *r = &srv->reply;
	memset(r, 0, sizeof *r);
	r->id = q.id;
	r->req_type = q.type;
	char text[MSG_TEXT_MAX + 1] = "";
	int changed = 0;
	struct msg_history_entry hist = { 0, 0, 0 };
	int had_hist = q.type == MSG_BOLUS;

	int e = seq_room(srv);
	if (e == 0)
		e = store_begin(srv->st);
	if (e == 0)
		e = events_to_notes(srv, &ns);   /* events up to now */
	if (e == 0) {
		dispatch(srv, rm, &q, next, &clk, &now, r, text, sizeof text, &ns,
		         &changed, &hist);
		if (q.type == MSG_CLOCK && srv->nevents)
			e = events_to_notes(srv, &ns); /* found moving the clock */
	}
	if (e == 0 && q.type != MSG_CLOCK) /* CLOCK: the events said it */
		e = alarm_diff(srv, &before, next, now, &ns);
	if (e == 0 && ns.n == 0 && changed && q.type != MSG_BOLUS)
		note(&ns, MSG_EV_STATE, 0);
	int rlen = 0;
	if (e == 0) {
		state_now(srv, next, &clk, now, &r->state);
		rlen = msg_encode_reply(r, srv->buf, sizeof srv->buf);
		if (rlen <= 0)
			e = -EIO;
	}
	if (e == 0)
		e = save_pump(srv, next);
	if (e == 0) {
		int64_t seq = store_audit(srv->st, now, rm->name, text);
		e = seq < 0 ? (int)seq : 0;
	}
	if (e == 0 && had_hist && r->err == 0)
		e = store_history_add(srv->st, rm->id, (int64_t)hist.at_ms,
		                      hist.outcome, hist.dose_ng);
	if (e == 0)
		e = store_remote_set_reply(srv->st, rm->id, q.id, srv->buf, (size_t)rlen);
	if (e == 0)
		e = store_commit(srv->st);
	else
		store_rollback(srv->st);
	int read_only = q.type == MSG_STATUS || q.type == MSG_HISTORY || q.type == MSG_LOG;
	if (e != 0 && read_only && rlen > 0) {
		/* a read changes nothing a patient relies on: answer it from
		 * memory even when the disk is full (the time it moved the model
		 * is caught up by the next save, as the timer does) */
		log_error("%s: %s id %" PRIu64 " answered but not stored (%s)",
		          rm->name, msg_type_name(q.type), q.id, store_errmsg(srv->st));
		e = 0;
	}
	if (e != 0) {
		free(next);
		log_error("%s: %s id %" PRIu64 " not carried out: cannot store (%s: %s)",
		          rm->name, msg_type_name(q.type), q.id, strerror(-e),
		          store_errmsg(srv->st));
		refuse(srv, s, q.id, q.type, MSG_E_STORAGE,
		       e == -ENOSPC ? "disk full" : "cannot store", 0);
		return;
	}
	srv->pump = *next;
	free(next);
	srv->clk = clk;
	rm->last_req_id = q.id;
	memcpy(rm->reply, srv->buf, (size_t)rlen);
	rm->reply_len = (size_t)rlen;
	if (r->err)
		log_warn("%s (%s): %s id %" PRIu64 ": %s %s", rm->name,
		         store_role_name(rm->role), msg_type_name(q.type), q.id,
		         msg_err_name(r->err), r->detail);
	else
		log_info("%s (%s): id %" PRIu64 " %s", rm->name,
		         store_role_name(rm->role), q.id, text);
	send_bytes(s, rm->reply, rm->reply_len);
	if (ns.n) {
		struct msg_state st = r->state;
		send_notes(srv, &ns, &st);
	}
	arm(srv);
}

/* ---- sessions ------------------------------------------------------------ */

static struct remote *remote_sync(struct server *srv, const struct store_remote *sr)
{
	struct remote *rm;
	for (rm = srv->remotes; rm; rm = rm->next)
		if (rm->id == sr->id)
			break;
	if (rm && (rm->paired_ms != sr->paired_ms || memcmp(rm->pub, sr->pub, 32))) {
		/* the row now holds another pairing: nothing carries over */
		if (rm->sess)
			drop_unpaired(srv, rm->sess, 0, -1);
		else
			forget_remote(srv, rm);
		rm = NULL;
	}
	if (!rm) {
		rm = calloc(1, sizeof *rm);
		if (!rm)
			return NULL;
		rm->id = sr->id;
		rm->next = srv->remotes;
		srv->remotes = rm;
	}
	snprintf(rm->name, sizeof rm->name, "%s", sr->name);
	rm->role = sr->role;
	memcpy(rm->pub, sr->pub, 32);
	rm->paired_ms = sr->paired_ms;
	rm->has_tai = sr->has_tai;
	memcpy(rm->tai, sr->tai, 12);
	/* the daemon's own memory is newer than what it wrote, never older */
	if (sr->last_req_id >= rm->last_req_id) {
		rm->last_req_id = sr->last_req_id;
		rm->reply_len = sr->reply_len;
		memcpy(rm->reply, sr->reply, sr->reply_len);
	}
	return rm;
}

static int accept_cb(void *ud, struct peer *p, const uint8_t key[PEER_KEYLEN],
                     const uint8_t tai[PEER_TAI64N_LEN])
{
	struct server *srv = ud;
	char addr[PEER_ADDR_MAX], b64[KEYS_B64LEN];
	int64_t mono = pclock_mono_ms();

	peer_remote_addr(p, addr, sizeof addr);
	if (srv->closing)
		return -1;
	if (!bucket_take(&srv->rl_all, mono, RL_ALL_BURST, RL_ALL_PER_S)) {
		log_warn("%s: handshake refused: too many handshakes", addr);
		return -1;
	}
	struct store_remote *sr = malloc(sizeof *sr);
	if (!sr)
		return -1;
	int e = store_remote_find(srv->st, key, sr);
	if (e < 0) {
		free(sr);
		keys_format_public(key, b64);
		log_warn("%s: handshake from %s key %s refused",
		         addr, e == -ENOENT ? "unknown" : "unreadable", b64);
		return -1;
	}
	struct remote *rm = remote_sync(srv, sr);
	free(sr);
	if (!rm)
		return -1;
	if (!bucket_take(&rm->rl, mono, RL_REMOTE_BURST, RL_REMOTE_PER_S)) {
		log_warn("%s: handshake from %s refused: too many handshakes",
		         addr, rm->name);
		return -1;
	}
	if (rm->has_tai && tai64n_cmp(tai, rm->tai) <= 0) {
		log_warn("%s: handshake from %s refused: message 1 timestamp is not "
		         "newer than the last accepted (replay?)", addr, rm->name);
		if (store_audit(srv->st, now_ms(srv), rm->name,
		                "handshake refused: old or replayed message 1") < 0)
			log_error("audit log not written: %s", store_errmsg(srv->st));
		return -1;
	}
	e = store_remote_set_tai(srv->st, rm->id, tai, pclock_wall_ms());
	if (e < 0) {
		log_error("%s: handshake from %s refused: cannot store its "
		          "timestamp (%s)", addr, rm->name, store_errmsg(srv->st));
		return -1;
	}
	memcpy(rm->tai, tai, 12);
	rm->has_tai = 1;
	peer_set_data(p, rm);
	return 0;
}

static void on_open(void *ud, struct peer *p)
{
	struct server *srv = ud;
	struct remote *rm = peer_data(p);
	if (!rm) {
		peer_close(p);
		return;
	}
	struct session *s = calloc(1, sizeof *s);
	if (!s) {
		peer_set_data(p, NULL);
		peer_close(p);
		return;
	}
	s->srv = srv;
	s->peer = p;
	s->remote = rm;
	s->next = srv->sessions;
	if (srv->sessions)
		srv->sessions->prev = s;
	srv->sessions = s;
	peer_set_data(p, s);
	if (rm->sess) {
		log_info("%s: new session replaces the old one", rm->name);
		struct session *old = rm->sess;
		old->remote = NULL;
		peer_close(old->peer);
	}
	rm->sess = s;
	char addr[PEER_ADDR_MAX];
	peer_remote_addr(p, addr, sizeof addr);
	log_info("%s (%s): session open from %s", rm->name,
	         store_role_name(rm->role), addr);
}

static void on_message(void *ud, struct peer *p, const uint8_t *msg, size_t len)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s || !s->remote || srv->closing)
		return; /* replaced: its remote has a newer session */
	handle(srv, s, msg, len);
}

static void on_close(void *ud, struct peer *p, int reason)
{
	struct server *srv = ud;
	struct session *s = peer_data(p);
	if (!s)
		return;
	if (s->remote) {
		log_info("%s: session closed (%s)", s->remote->name,
		         peer_reason_name(reason));
		if (s->remote->sess == s)
			s->remote->sess = NULL;
	}
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->sessions = s->next;
	if (s->next)
		s->next->prev = s->prev;
	free(s);
}

static void on_hs_fail(void *ud, int reason, const char *addr)
{
	(void)ud;
	log_info("%s: connection ended before a session (%s)", addr,
	         peer_reason_name(reason));
}

/* ---- life cycle ---------------------------------------------------------- */

static int load_remote(void *ud, const struct store_remote *r)
{
	return remote_sync(ud, r) ? 0 : 1;
}

static void free_all(struct server *srv)
{
	while (srv->remotes) {
		struct remote *n = srv->remotes->next;
		free(srv->remotes);
		srv->remotes = n;
	}
	store_close(srv->st);
	srv->st = NULL;
	keys_secret_free(srv->key);
	srv->key = NULL;
}

int server_new(uv_loop_t *loop, const struct server_config *cfg,
               struct server **out, char *err, size_t errcap)
{
	char path[4096], kerr[KEYS_ERRLEN];
	int e;
	struct server *srv = calloc(1, sizeof *srv);
	if (!srv) {
		seterr(err, errcap, "out of memory");
		return -ENOMEM;
	}
	srv->loop = loop;
	srv->sim = cfg->sim;

	e = statedir_check(cfg->dir, STATEDIR_WRITE, err, errcap);
	if (e < 0)
		goto fail;
	snprintf(path, sizeof path, "%s/pump.key", cfg->dir);
	e = keys_load_private(path, &srv->key, kerr);
	if (e < 0) {
		seterr(err, errcap, "%s", kerr);
		goto fail;
	}
	snprintf(path, sizeof path, "%s/state.db", cfg->dir);
	e = store_open(path, &srv->st, err, errcap);
	if (e < 0)
		goto fail;
	if (cfg->db_max_pages)
		store_set_max_pages(srv->st, cfg->db_max_pages);

	uint8_t blob[PUMP_SERIAL_MAX];
	size_t blen = 0;
	e = store_get_blob(srv->st, "pump", blob, sizeof blob, &blen);
	if (e == 0)
		e = pump_deserialize(&srv->pump, blob, blen) == 0 ? 0 : -EBADF;
	if (e < 0) {
		seterr(err, errcap, "%s: the pump's state is %s; refusing to start",
		       path, e == -ENOENT ? "missing" : "corrupt");
		goto fail;
	}
	int64_t boot = 0;
	e = store_get_int(srv->st, "boot", &boot);
	if (e < 0 && e != -ENOENT) {
		seterr(err, errcap, "%s: cannot read the start count: %s", path,
		       store_errmsg(srv->st));
		goto fail;
	}
	e = store_remote_each(srv->st, load_remote, srv);
	if (e < 0) {
		seterr(err, errcap, "%s: cannot read remotes: %s", path,
		       store_errmsg(srv->st));
		goto fail;
	}

	if (cfg->sim)
		pclock_init_sim(&srv->clk, srv->pump.now_ms, cfg->speed,
		                pclock_mono_ms());
	else
		pclock_init_real(&srv->clk);

	/* catch up with the time the pump was down (real clock) */
	int64_t now = now_ms(srv);
	pump next = srv->pump;
	srv->nevents = 0;
	pump_advance(&next, now, on_event, srv);
	struct notes ns = { 0 };
	e = store_begin(srv->st);
	if (e == 0)
		e = events_to_notes(srv, &ns);
	if (e == 0) {
		char text[MSG_TEXT_MAX + 1];
		snprintf(text, sizeof text, "pumpd started (%s clock)",
		         cfg->sim ? "simulated" : "real");
		int64_t r = store_audit(srv->st, now, "pump", text);
		e = r < 0 ? (int)r : 0;
	}
	if (e == 0)   /* this start's number, on disk before anything is sent */
		e = store_put_int(srv->st, "boot", boot + 1);
	if (e == 0)
		e = save_pump(srv, &next);
	if (e < 0) {
		seterr(err, errcap, "%s: cannot write: %s (%s)", path, strerror(-e),
		       store_errmsg(srv->st));
		store_rollback(srv->st);
		goto fail;
	}
	e = store_commit(srv->st);
	if (e < 0) {
		seterr(err, errcap, "%s: cannot write: %s", path, strerror(-e));
		goto fail;
	}
	srv->pump = next;
	srv->boot = (uint64_t)boot + 1;
	srv->seq_n = ns.n;   /* the catch-up's notes had no one to go to */

	struct peer_server_config pc;
	memset(&pc, 0, sizeof pc);
	pc.static_key = keys_secret_priv(srv->key);
	memcpy(pc.listen, cfg->listen, sizeof pc.listen);
	pc.max_peers = cfg->max_peers;
	pc.limits.handshake_ms = cfg->handshake_ms;
	pc.limits.frame_ms = cfg->frame_ms;
	pc.cb.ud = srv;
	pc.cb.accept = accept_cb;
	pc.cb.on_open = on_open;
	pc.cb.on_message = on_message;
	pc.cb.on_close = on_close;
	pc.cb.on_handshake_fail = on_hs_fail;
	e = peer_server_new(loop, &pc, &srv->ps);
	if (e < 0) {
		seterr(err, errcap, "cannot listen on %s%s%s: %s",
		       cfg->listen[0] ? cfg->listen[0] : "?",
		       cfg->listen[1] ? " or " : "", cfg->listen[1] ? cfg->listen[1] : "",
		       strerror(-e));
		goto fail;
	}
	uv_timer_init(loop, &srv->timer);
	srv->timer.data = srv;
	arm(srv);
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
	srv->pending_closes = 2;
	/* every change so far is committed (requests commit before replying);
	 * store the time reached so a simulated clock resumes from here */
	int64_t now = now_ms(srv);
	pump next = srv->pump;
	srv->nevents = 0;
	pump_advance(&next, now, on_event, srv);
	struct notes ns = { 0 };
	int e = store_begin(srv->st);
	if (e == 0)
		e = events_to_notes(srv, &ns);
	if (e == 0)
		e = save_pump(srv, &next);
	if (e == 0)
		e = store_commit(srv->st);
	else
		store_rollback(srv->st);
	if (e < 0)
		log_error("state at shutdown not stored: %s", store_errmsg(srv->st));
	uv_timer_stop(&srv->timer);
	uv_close((uv_handle_t *)&srv->timer, timer_closed);
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
