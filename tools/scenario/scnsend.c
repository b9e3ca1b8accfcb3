/*
 * tools/scenario/scnsend.c — a scenario's requests (see scnsend.h).
 */
#include "tools/scenario/scnsend.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "net/client.h"
#include "net/rxfile.h"
#include "util/fmt.h"

void scnsend_init(struct scnsend *s, const char *file, const char *dir)
{
	memset(s, 0, sizeof *s);
	s->file = file;
	s->dir = dir;
	for (int role = 0; role < SCN_ROLES; role++)
		s->next_id[role] = 1;
}

void scnsend_path(const struct scnsend *s, const char *name, char *out, size_t n)
{
	if (name[0] == '/')
		fmt_set(out, n, "%s", name);
	else
		fmt_set(out, n, "%s/%s", s->dir, name);
}

void scnsend_restarted(struct scnsend *s)
{
	s->restarted = 1;
	s->have_reply = 0;
	s->have_orig = 0;
}

void scnsend_seen(const struct scnsend *s, struct scnmatch_seen *out)
{
	out->reply = s->have_reply ? &s->reply : NULL;
	out->orig = s->have_reply && s->have_orig ? &s->orig : NULL;
	out->restarted = s->restarted;
	out->no_reply = s->no_reply;
}

int scnsend_read_rx(const struct scnsend *s, const char *text, const char *file,
                    unsigned line0, struct msg_rx *rx, char *why, size_t n)
{
	static struct rxfile p;
	char path[4096], line[RXFILE_LINE_MAX + 2];
	int rc = 0;

	if (text) {
		const char *t = text;
		rxfile_init(&p, s->file);
		/* body lines are numbered from the scenario's own line numbers */
		p.lineno = line0 ? line0 - 1 : 0;
		while (*t) {
			size_t len = strcspn(t, "\n");
			if (rxfile_parse_line(&p, t, len) < 0) {
				fmt_set(why, n, "%s", p.err);
				return -1;
			}
			t += len + (t[len] == '\n');
		}
	} else {
		FILE *f;
		scnsend_path(s, file, path, sizeof path);
		f = fopen(path, "r");
		if (!f) {
			fmt_set(why, n, "%s: %s", path, strerror(errno));
			return -1;
		}
		rxfile_init(&p, file);
		while (!rc && fgets(line, sizeof line, f))
			if (rxfile_parse_line(&p, line, strlen(line)) < 0) {
				fmt_set(why, n, "%s", p.err);
				rc = -1;
			}
		fclose(f);
		if (rc)
			return rc;
	}
	if (rxfile_finish(&p, rx) < 0) {
		fmt_set(why, n, "%s", p.err);
		return -1;
	}
	return 0;
}

/* The request a SCN_REQUEST step sends, with its id. */
static int build(struct scnsend *s, const struct scn_step *st, struct msg_request *req,
                 char *why, size_t n)
{
	int role = st->role;
	char w[400];

	*req = st->req;
	if ((req->type == MSG_PROGRAM || req->type == MSG_STAGE) &&
	    scnsend_read_rx(s, st->rx_text, st->rx_file, st->rx_line, &req->u.rx, w,
	                    sizeof w) != 0) {
		fmt_set(why, n, "%s: %s", msg_type_name(req->type), w);
		return -1;
	}
	/* the override is the step's, not the prescription file's */
	memcpy(req->u.rx.override, st->req.u.rx.override, sizeof req->u.rx.override);
	if ((req->type == MSG_STAGE_CONFIRM || req->type == MSG_STAGE_CANCEL) &&
	    req->u.stage_id == 0) {   /* "last": the pump numbers the sessions */
		if (!s->last_stage_id) {
			fmt_set(why, n, "%s last: no ok stage reply yet to take the id from",
			        msg_type_name(req->type));
			return -1;
		}
		req->u.stage_id = s->last_stage_id;
	}
	if (req->type == MSG_REFILL && req->u.refill.concentration_ng_ml == 0) {
		if (!s->have_state) {
			fmt_set(why, n, "refill without a concentration takes the pump's current one,\n"
			             "but there is no reply yet to read it from: give one (refill 20mL 10mg/mL)");
			return -1;
		}
		req->u.refill.concentration_ng_ml = s->last_state.concentration_ng_ml;
	}
	if (st->has_id) {
		req->id = st->id;
		if (s->next_id[role] <= st->id)
			s->next_id[role] = st->id + 1;
	} else {
		req->id = s->next_id[role]++;
	}
	s->last_req[role] = *req;
	s->have_last[role] = 1;
	return 0;
}

/* A reply to a pump that ran before the scenario, made to read as a new
 * pump's (see struct scnsend_base): ids and sequence numbers from the
 * scenario's own start, counts since it, history since it. */
static void rebase_reply(const struct scnsend *s, int role, struct msg_reply *rep)
{
	const struct scnsend_base *b = &s->base;
	uint64_t idb = b->id[role];
	uint64_t off = b->time_off;
	rep->id = rep->id > idb ? rep->id - idb : 0;
	scnlink_shift_state(&rep->state, off);
	if (off && rep->err == MSG_OK && rep->req_type == MSG_BOLUS && rep->u.bolus.at_ms > off)
		rep->u.bolus.at_ms -= off;
	if (off && rep->err == MSG_OK && rep->req_type == MSG_HISTORY)
		for (unsigned i = 0; i < rep->u.history.n; i++)
			rep->u.history.e[i].at_ms -= rep->u.history.e[i].at_ms > off ? off : 0;
	if (off && rep->err == MSG_OK && rep->req_type == MSG_LOG)
		for (unsigned i = 0; i < rep->u.log.n; i++)
			rep->u.log.e[i].at_ms -= rep->u.log.e[i].at_ms > off ? off : 0;
	if (rep->err == MSG_E_STALE_ID)
		rep->u.last_id = rep->u.last_id > idb ? rep->u.last_id - idb : 0;
	if (rep->err != MSG_OK)
		return;
	/* the clinic's replies' times too (STAGE's next refill dates, REFILL's,
	 * a clinician bolus's end) */
	if (rep->req_type == MSG_STAGE)
		for (int k = 0; k < 2; k++)
			rep->u.stage.next_refill_ms[k] = scnlink_shift(rep->u.stage.next_refill_ms[k], off);
	if (rep->req_type == MSG_REFILL && rep->u.refill.present)
		rep->u.refill.next_refill_ms = scnlink_shift(rep->u.refill.next_refill_ms, off);
	if (rep->req_type == MSG_CBOLUS)
		rep->u.cbolus.ends_at_ms = scnlink_shift(rep->u.cbolus.ends_at_ms, off);
	if (rep->req_type == MSG_STATUS) {
		for (unsigned i = 0; i < rep->u.counts.n; i++)
			for (unsigned k = 0; k < b->n_counts; k++)
				if (b->counts[k].outcome == rep->u.counts.c[i].outcome) {
					uint32_t c0 = b->counts[k].count;
					uint32_t *c = &rep->u.counts.c[i].count;
					*c = *c > c0 ? *c - c0 : 0;
				}
	} else if (rep->req_type == MSG_HISTORY) {
		unsigned w = 0;
		for (unsigned i = 0; i < rep->u.history.n; i++)
			if (rep->u.history.e[i].at_ms + off >= b->start_ms)
				rep->u.history.e[w++] = rep->u.history.e[i];
		rep->u.history.n = (uint8_t)w;
	} else if (rep->req_type == MSG_LOG) {
		for (unsigned i = 0; i < rep->u.log.n; i++) {
			uint64_t *q = &rep->u.log.e[i].seq;
			*q = *q > b->log_seq ? *q - b->log_seq : 0;
		}
	}
}

/* Send req (its scenario id set) as role and keep the reply. */
static int send_req(struct scnsend *s, struct scnlink *l, int role,
                const struct msg_request *req, uint32_t wait_ms, char *why,
                size_t n)
{
	static struct msg_request q;
	static struct msg_reply rep;
	int rc;

	/* until this request is answered there is no reply to check */
	s->have_reply = 0;
	s->have_orig = 0;
	s->no_reply = 0;
	memset(&rep, 0, sizeof rep);
	q = *req;
	q.id += s->base.id[role];
	/* after the set-up's entries; 2^64-1 (the newest) means what it says */
	if (q.type == MSG_LOG && q.u.log.after_seq != UINT64_MAX)
		q.u.log.after_seq = q.u.log.after_seq < UINT64_MAX - 1 - s->base.log_seq
		                    ? q.u.log.after_seq + s->base.log_seq : UINT64_MAX - 1;
	uint32_t run_wait = scnlink_timeout(l);
	if (wait_ms)
		scnlink_set_timeout(l, wait_ms);
	rc = scnlink_call(l, role, &q, &rep);
	if (wait_ms)
		scnlink_set_timeout(l, run_wait);
	if (rc != 0) {
		s->no_reply = rc == CLIENT_E_TIMEOUT || rc == CLIENT_E_LINK;
		fmt_set(why, n, "%s (id %" PRIu64 ") as %s: no reply: %s", msg_type_name(req->type),
		             req->id, scn_role_name(role), client_strerror(rc));
		return -1;
	}
	rebase_reply(s, role, &rep);
	if (req->type == MSG_STAGE && rep.err == MSG_OK)
		s->last_stage_id = rep.u.stage.stage_id;
	if (req->type == MSG_PROGRAM && rep.err == MSG_OK) {
		s->rx = req->u.rx;
		s->have_rx = 1;
	}
	/* the same id as this role's last request: keep what it got first */
	s->have_orig = s->have_role_reply[role] && s->role_reply[role].id == req->id;
	if (s->have_orig)
		s->orig = s->role_reply[role];
	/* a stale id is refused and not remembered by the pump: keep the
	 * reply of the newest id */
	if (!s->have_role_reply[role] || rep.id >= s->role_reply[role].id) {
		s->role_reply[role] = rep;
		s->have_role_reply[role] = 1;
	}
	s->reply = rep;
	s->have_reply = 1;
	s->last_state = rep.state;
	s->have_state = 1;
	s->restarted = 0;
	return 0;
}

int scnsend_step(struct scnsend *s, struct scnlink *l, const struct scn_step *st,
                 char *why, size_t n)
{
	static struct msg_request req;
	int role = st->role;

	if (st->kind == SCN_RETRY) {
		if (!s->have_last[role]) {
			fmt_set(why, n, "retry: %s has sent no request yet", scn_role_name(role));
			s->have_reply = s->have_orig = 0;
			return -1;
		}
		req = s->last_req[role];
	} else if (build(s, st, &req, why, n) != 0) {
		s->have_reply = s->have_orig = 0;
		return -1;
	}
	return send_req(s, l, role, &req, st->wait_ms, why, n);
}

int scnsend_request(struct scnsend *s, struct scnlink *l, int role,
                    const struct msg_request *req, char *why, size_t n)
{
	static struct msg_request q;
	q = *req;
	q.id = s->next_id[role]++;
	s->last_req[role] = q;
	s->have_last[role] = 1;
	return send_req(s, l, role, &q, 0, why, n);
}
