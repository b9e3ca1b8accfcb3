/* pumpd/dispatch.c — one request, start to end (see dispatch.h). */
#include "pumpd/dispatch.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/audit.h"
#include "pumpd/batch.h"
#include "pumpd/edition.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"
#include "pumpd/remote.h"
#include "pumpd/request.h"
#include "pumpd/wire.h"
#include "pumpd/ticker.h"

/* While a batch is open every reply waits for its commit (it may show a
 * change not yet on disk); otherwise it leaves now. */
static void send_or_hold(struct server *srv, struct session *s,
                         const uint8_t *buf, size_t len)
{
	if (batch_holds_replies(srv))
		batch_hold_plain(srv, s, buf, len);
	else
		srv_send(s, buf, len);
}

void dispatch_refuse(struct server *srv, struct session *s, uint64_t id,
                     int type, int err, const char *detail, uint64_t last_id)
{
	struct msg_reply *r = &srv->reply;
	memset(r, 0, sizeof *r);
	r->id = id;
	r->req_type = (uint8_t)(type > 0 ? type : 0); /* as received, even unknown */
	r->err = (uint16_t)err;
	snprintf(r->detail, sizeof r->detail, "%s", detail ? detail : "");
	if (err == MSG_E_STALE_ID)
		r->u.last_id = last_id;
	srv_state(srv, srv_now(srv), &r->state);
	edition_fit_reply(r, s);
	int len = msg_encode_reply(r, srv->buf, sizeof srv->buf);
	if (len <= 0) {
		log_error("cannot encode a reply (%d)", len);
		return;
	}
	send_or_hold(srv, s, srv->buf, (size_t)len);
	/* refusals are logged; the audit row is best effort */
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "refused %s id %" PRIu64 ": %s%s%s",
	         msg_type_name(type), id, msg_err_name(err),
	         detail && *detail ? " " : "", detail ? detail : "");
	log_warn("%s (%s): %s", srv_who(s->remote),
	         s->remote ? store_role_name(s->remote->role) : "-", text);
	audit_row(srv, STORE_EV_REFUSED, s->remote, "%s", text);
}

int dispatch_id_newer(uint64_t id, uint64_t last)
{
	/* serial-number arithmetic modulo 2^64 (RFC 1982): ids never run out;
	 * 0 is never an id, and a remote with no id yet may start anywhere */
	return last == 0 || (id - last != 0 && id - last < (UINT64_C(1) << 63));
}

/* Steps 1-4: 0 when q may be carried out, else it was answered. */
static int admit(struct server *srv, struct session *s, const uint8_t *msg,
                 size_t len, struct msg_request *q)
{
	struct remote *rm = s->remote;
	uint8_t type = 0;
	uint64_t id = 0;
	const char *bad = NULL;
	int rc = msg_decode_request(msg, len, q, &type, &id, &bad);
	if (rm->unpaired) {
		dispatch_drop_unpaired(srv, s, id, type);
		return -1;
	}
	if (rc < 0) {
		const char *why = rc == MSG_ESHORT ? "truncated" :
		                  rc == MSG_ETRAIL ? "trailing bytes" :
		                  rc == MSG_ETYPE ? "unknown type" :
		                  bad ? bad : "bad value";
		dispatch_refuse(srv, s, id, type,
		                rc == MSG_ETYPE ? MSG_E_TYPE : MSG_E_MALFORMED, why, 0);
		return -1;
	}
	if ((q->id != rm->last_req_id && !dispatch_id_newer(q->id, rm->last_req_id)) ||
	    (q->id == rm->last_req_id && rm->reply_len == 0)) {
		dispatch_refuse(srv, s, q->id, q->type, MSG_E_STALE_ID, "",
		                rm->last_req_id);
		return -1;
	}
	if (q->id == rm->last_req_id) {
		log_info("%s: request id %" PRIu64 " repeated: stored reply sent again",
		         rm->name, q->id);
		send_or_hold(srv, s, rm->reply, rm->reply_len);
		return -1;
	}
	int need = request_role(q->type);
	if (rm->role < need) {
		dispatch_refuse(srv, s, q->id, q->type, MSG_E_ROLE,
		                store_role_name(rm->role), 0);
		return -1;
	}
	if (need == STORE_ROLE_TESTER && !srv->sim) {
		dispatch_refuse(srv, s, q->id, q->type, MSG_E_NOT_SIM,
		                "pump runs on the real clock", 0);
		return -1;
	}
	/* a tester key exists to drive a simulation: on the real clock it
	 * may look (STATUS, HISTORY, LOG) but not act as a patient or a
	 * clinician it is not */
	if (rm->role == STORE_ROLE_TESTER && !srv->sim &&
	    !request_reads_only(q->type)) {
		dispatch_refuse(srv, s, q->id, q->type, MSG_E_NOT_SIM,
		                "a tester only reads a real-clock pump", 0);
		return -1;
	}
	return 0;
}

/* Step 5's rows, in the open batch (the pump's new state is stored once
 * for the turn, at its commit: batch_pump_changed). */
static int store_change(struct server *srv, const struct remote *rm,
                        const struct msg_request *q, int64_t now,
                        const struct request_out *out, int rlen)
{
	int e = audit_row_at(srv, STORE_EV_REQUEST, rm->name, rm->role, now,
	                     out->text);
	if (e == 0 && out->note[0])
		e = audit_row_at(srv, STORE_EV_REQUEST, rm->name, rm->role, now,
		                 out->note);
	if (e == 0 && out->has_hist && out->r->err == 0)
		e = store_history_add(srv->st, rm->id, (int64_t)out->hist.at_ms,
		                      out->hist.outcome, out->hist.dose_ng);
	if (e == 0)
		e = store_remote_set_reply(srv->st, rm->id, q->id, srv->buf,
		                           (size_t)rlen);
	return e;
}

static void reply_init(struct server *srv, const struct msg_request *q,
                       struct request_out *out, struct notes *ns)
{
	struct msg_reply *r = &srv->reply;
	memset(r, 0, sizeof *r);
	r->id = q->id;
	r->req_type = q->type;
	memset(out, 0, sizeof *out);
	out->r = r;
	out->ns = ns;
}

/* A request that changes nothing durable (STATUS, HISTORY, LOG): answered
 * from memory on a view of the pump at now, with no write and no audit
 * row.  Events the view finds on the way are the ticker's to store and
 * announce (it is armed for the first of them).  The encoded reply is in
 * srv->buf: its length, or < 0. */
static int answer_read(struct server *srv, struct session *s,
                       const struct msg_request *q)
{
	struct remote *rm = s->remote;
	if (q->type == MSG_HELLO)   /* what this session reads, from now on */
		s->accept = q->u.accept;
	int64_t now = srv_now(srv);
	struct pclock clk = srv->clk;
	struct notes ns = { 0 };
	struct request_out out;
	reply_init(srv, q, &out, &ns);
	/* a read leaves the pump as it is: it may look at it in place */
	request_run(srv, rm, q, &srv->pump, &clk, &now, &out);
	srv_state(srv, now, &srv->reply.state);
	edition_fit_reply(&srv->reply, s);
	int rlen = msg_encode_reply(&srv->reply, srv->buf, sizeof srv->buf);
	if (rlen > 0 && !srv->reply.err)
		log_debug("%s (%s): id %" PRIu64 " %s", rm->name,
		          store_role_name(rm->role), q->id, out.text);
	return rlen > 0 ? rlen : -EIO;
}

/* A request that may change the pump, carried out in the turn's batch: on
 * a copy of the pump and clock, its rows written into the open
 * transaction, then the copies made the batch's working state.  The reply
 * is in srv->buf (its length); < 0 when it cannot go into the batch (the
 * pump unchanged). */
static int carry_out(struct server *srv, struct session *s,
                     const struct msg_request *q, struct notes *ns)
{
	struct remote *rm = s->remote;
	int e = srv->batch.err ? srv->batch.err : batch_begin(srv);
	if (e < 0)
		return e;
	int64_t now = srv_now(srv);
	pump next = srv->pump;
	struct pclock clk = srv->clk;
	struct request_out out;
	reply_init(srv, q, &out, ns);
	/* the events up to now, then the request's own (the model reports
	 * them: pump.h), become notes and audit rows together */
	srv_advance(srv, &next, now);
	request_run(srv, rm, q, &next, &clk, &now, &out);
	e = notify_events(srv, ns);
	if (e == 0 && ns->n == 0 && out.changed)
		notify_note(ns, MSG_EV_STATE, 0);
	int rlen = 0;
	if (e == 0) {
		wire_pump_state(&next, now, srv->sim, clk.speed, &srv->reply.state);
		edition_fit_reply(&srv->reply, s);
		rlen = msg_encode_reply(&srv->reply, srv->buf, sizeof srv->buf);
		if (rlen <= 0)
			e = -EIO;
	}
	if (e == 0)
		e = store_change(srv, rm, q, now, &out, rlen);
	if (e != 0) {
		batch_fail(srv, e);   /* the whole turn is undone at its end */
		return e;
	}
	srv_set_pump(srv, &next, &clk);
	batch_pump_changed(srv);
	if (!srv->reply.err)
		log_info("%s (%s): id %" PRIu64 " %s", rm->name,
		         store_role_name(rm->role), q->id, out.text);
	return rlen;
}

void dispatch_read_again(struct server *srv, struct session *s,
                         const struct msg_request *q)
{
	struct remote *rm = s->remote;
	if (!rm)
		return;
	int rlen = answer_read(srv, s, q);
	if (rlen < 0)
		return;
	if (remote_set_reply(rm, q->id, srv->buf, (size_t)rlen) < 0)
		log_error("%s: out of memory keeping a reply", rm->name);
	send_or_hold(srv, s, srv->buf, (size_t)rlen);
}

void dispatch_request(struct server *srv, struct session *s, const uint8_t *msg,
                      size_t len)
{
	struct msg_request q;
	if (admit(srv, s, msg, len, &q) < 0)
		return;
	struct remote *rm = s->remote;
	struct msg_reply *r = &srv->reply;
	if (request_reads_only(q.type)) {
		int rlen = answer_read(srv, s, &q);
		if (rlen < 0) {
			dispatch_refuse(srv, s, q.id, q.type, MSG_E_INTERNAL, "", 0);
			return;
		}
		if (r->err)
			log_warn("%s (%s): %s id %" PRIu64 ": %s %s", rm->name,
			         store_role_name(rm->role), msg_type_name(q.type), q.id,
			         msg_err_name(r->err), r->detail);
		if (remote_set_reply(rm, q.id, srv->buf, (size_t)rlen) < 0)
			log_error("%s: out of memory keeping a reply", rm->name);
		if (batch_holds_replies(srv))
			batch_hold_read(srv, s, &q, srv->buf, (size_t)rlen);
		else
			srv_send(s, srv->buf, (size_t)rlen);
		return;
	}
	struct notes ns = { 0 };
	int rlen = carry_out(srv, s, &q, &ns);
	if (rlen < 0) {
		log_error("%s: %s id %" PRIu64 " not carried out: cannot store (%s: %s)",
		          rm->name, msg_type_name(q.type), q.id, strerror(-rlen),
		          store_errmsg(srv->st));
		dispatch_refuse(srv, s, q.id, q.type, MSG_E_STORAGE,
		                rlen == -ENOSPC ? "disk full" : "cannot store", 0);
		return;
	}
	if (r->err)
		log_warn("%s (%s): %s id %" PRIu64 ": %s %s", rm->name,
		         store_role_name(rm->role), msg_type_name(q.type), q.id,
		         msg_err_name(r->err), r->detail);
	batch_hold_change(srv, s, rm, &q, srv->buf, (size_t)rlen);
	batch_notes(srv, &ns);
}

void dispatch_drop_unpaired(struct server *srv, struct session *s, uint64_t id,
                           int type)
{
	struct remote *rm = s->remote;
	batch_flush(srv);   /* the refusal leaves before the session closes */
	if (type >= 0)
		dispatch_refuse(srv, s, id, type, MSG_E_ROLE, "unpaired", 0);
	log_warn("%s: no longer paired: session closed", rm->name);
	audit_row(srv, STORE_EV_SESSION, rm, "session closed: no longer paired");
	peer_close_flush(s->peer, 0);
	remote_forget(srv, rm);
}
