/* tests/test_pumpd_linkfault.c — the tester's link faults (LINK,
 * docs/PROTOCOL.md 8.12) as a remote meets them on the wire: each fault's
 * effect, and that a retry with the same id never gives a second bolus. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

static struct msg_reply link_req(e2e_pump *p, int kind, const char *remote,
                                 uint32_t count, uint32_t ms)
{
	struct msg_request q = { .type = MSG_LINK };
	q.u.link.kind = (uint8_t)kind;
	snprintf(q.u.link.remote, sizeof q.u.link.remote, "%s", remote);
	q.u.link.count = count;
	q.u.link.ms = ms;
	return must_call(p, "tester", q);
}

static void must_link(e2e_pump *p, int kind, const char *remote, uint32_t count,
                      uint32_t ms)
{
	struct msg_reply r = link_req(p, kind, remote, count, ms);
	cr_assert_eq(r.err, MSG_OK, "LINK %s: %s %s", msg_link_kind_name(kind),
	             msg_err_name(r.err), r.detail);
}

/* The patient's boluses in the last 24 h, as a tester reads them. */
static unsigned boluses(e2e_pump *p)
{
	return must_status(p, "tester").boluses_24h;
}

/* The next message on s within ms: a reply (0), or -1 (none, or closed). */
static int next_reply(e2e_session *s, struct msg_reply *out, int ms)
{
	struct msg_from_pump f;
	for (;;) {
		if (e2e_recv(s, &f, ms) < 0)
			return -1;
		if (f.type == MSG_REPLY) {
			*out = f.u.reply;
			return 0;
		}
	}
}

/* A pump whose link to the patient's remote has the fault kind (count,
 * ms), and that remote's session in *s. */
static e2e_pump *faulted(uint8_t kind, uint32_t count, uint32_t ms, e2e_session **s)
{
	e2e_pump *p = must_start(NULL, 0);
	must_link(p, kind, "patient", count, ms);
	*s = must_open(p, "patient");
	return p;
}

static void done(e2e_pump *p, e2e_session *s)
{
	e2e_session_close(s);
	e2e_free(p);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, drop_replies_the_pump_acts_and_a_retry_gets_the_same_reply)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_DROP_REPLIES, 1, 0, &s);
	struct msg_request q = { .type = MSG_BOLUS };
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(e2e_log_wait(p, "reply not sent (link fault: drop_replies)",
	                          5000), 0);
	struct msg_reply r;
	cr_assert_eq(next_reply(s, &r, 100), -1, "the reply was dropped");
	cr_assert_eq(boluses(p), 1, "the pump carried the bolus out");
	/* the same id again: the stored reply, no second bolus */
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(next_reply(s, &r, 5000), 0);
	cr_assert_eq(r.id, q.id);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(boluses(p), 1, "never a second bolus");
	/* one reply only: the next one leaves */
	struct msg_request st = { .type = MSG_STATUS };
	cr_assert_eq(e2e_request(s, &st, &r), 0);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, drop_requests_the_pump_never_sees_them)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_DROP_REQUESTS, 2, 0, &s);
	struct msg_request q = { .type = MSG_BOLUS };
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(e2e_log_wait(p, "request discarded (link fault: drop_requests)",
	                          5000), 0);
	struct msg_reply r;
	cr_assert_eq(boluses(p), 0, "nothing carried out");
	/* the third time it arrives: carried out once */
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(e2e_log_count(p, "request discarded (link fault: drop_requests)"), 2);
	cr_assert_eq(boluses(p), 1);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, busy_refuses_with_state_busy_and_nothing_is_done)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_BUSY, 1, 0, &s);
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_STATE);
	cr_assert_str_eq(r.detail, "busy");
	cr_assert_eq(boluses(p), 0);
	/* the same id is not used up: sent again, it is carried out */
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(boluses(p), 1);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, duplicate_sends_the_same_reply_twice)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_DUPLICATE, 1, 0, &s);
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply a, b;
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(next_reply(s, &a, 5000), 0);
	cr_assert_eq(next_reply(s, &b, 5000), 0, "the second copy");
	cr_assert_eq(a.id, q.id);
	cr_assert_eq(b.id, q.id);
	cr_assert_eq(b.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(a.u.bolus.at_ms, b.u.bolus.at_ms);
	cr_assert_eq(boluses(p), 1);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, cut_breaks_the_link_mid_frame_and_the_retry_gets_the_reply)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_CUT, 1, 0, &s);
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r;
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(next_reply(s, &r, 5000), -1, "half a frame, then the end");
	cr_assert(e2e_fd_closed(e2e_session_fd(s), 5000));
	e2e_session_close(s);
	cr_assert_eq(boluses(p), 1);
	s = must_open(p, "patient");
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(boluses(p), 1);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, delay_holds_replies_in_order)
{
	e2e_session *s;
	e2e_pump *p = faulted(MSG_LINK_DELAY, 1, 300, &s);
	struct msg_request a = { .type = MSG_STATUS }, b = { .type = MSG_STATUS };
	struct msg_reply r;
	int64_t t0 = e2e_now_ms();
	cr_assert_eq(e2e_send(s, &a), 0);
	cr_assert_eq(e2e_send(s, &b), 0);
	cr_assert_eq(next_reply(s, &r, 5000), 0);
	cr_assert_eq(r.id, a.id, "in order");
	cr_assert_geq(e2e_now_ms() - t0, 300, "held for its delay");
	cr_assert_eq(next_reply(s, &r, 5000), 0);
	cr_assert_eq(r.id, b.id, "the next waits behind it");
	/* the count is used up: no delay now */
	struct msg_request c = { .type = MSG_STATUS };
	cr_assert_eq(e2e_request(s, &c, &r), 0);
	cr_assert_eq(e2e_log_count(p, "reply held (link fault: delay)"), 1);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, out_of_range_nothing_passes_until_cleared)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *w = must_watch(p, "patient2");
	must_link(p, MSG_LINK_OUT_OF_RANGE, "", 0, 0);   /* every remote */
	e2e_session *s = must_open(p, "patient");
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r;
	cr_assert_eq(e2e_send(s, &q), 0);
	cr_assert_eq(e2e_log_wait(p, "request discarded (link fault: out of range)",
	                          5000), 0);
	cr_assert_eq(boluses(p), 0);
	/* a change meanwhile: no notification reaches anyone out of range */
	must_advance(p, 60000);
	struct msg_from_pump f;
	cr_assert_eq(e2e_recv(w, &f, 100), -1, "no notification out of range");
	/* the tester is never out of range for "all": it clears */
	must_link(p, MSG_LINK_CLEAR, "", 0, 0);
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert_eq(boluses(p), 1);
	cr_assert_eq(e2e_recv(w, &f, 5000), 0, "notifications flow again");
	e2e_session_close(w);
	done(p, s);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, a_named_remote_only)
{
	e2e_pump *p = must_start(NULL, 0);
	must_link(p, MSG_LINK_BUSY, "patient", 5, 0);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient2", &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK, "another remote is not faulted");
	memset(&q, 0, sizeof q);
	q.type = MSG_STATUS;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_STATE);
	must_link(p, MSG_LINK_CLEAR, "patient", 0, 0);
	memset(&q, 0, sizeof q);
	q.type = MSG_STATUS;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK, "cleared");
	e2e_free(p);
}

/* verifies: SR-FAULT-001 */
Test(linkfault, refusals_name_the_field)
{
	e2e_pump *p = must_start(NULL, 0);
	struct msg_reply r = link_req(p, MSG_LINK_DROP_REPLIES, "nobody", 1, 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "remote: not paired");
	r = link_req(p, MSG_LINK_DROP_REPLIES, "", 0, 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "count: 1 .. 1000");
	r = link_req(p, MSG_LINK_DELAY, "", 0, 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "ms: 1 .. 3600000");
	r = link_req(p, MSG_LINK_CUT, "", 1, 5);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "ms: 0 for this kind");
	/* a kind out of its enumeration: malformed, naming it */
	struct msg_request q = { .type = MSG_LINK };
	q.u.link.kind = MSG_LINK_BUSY;
	q.u.link.count = 1;
	uint8_t buf[MSG_MAX];
	e2e_session *t = must_open(p, "tester");
	int n = e2e_encode(p, &q, buf, sizeof buf);
	cr_assert_gt(n, 9);
	buf[9] = MSG_LINK_COUNT;
	cr_assert_eq(e2e_request_plain(t, buf, (size_t)n, q.id, &r), 0);
	cr_assert_eq(r.err, MSG_E_MALFORMED);
	cr_assert_str_eq(r.detail, "kind");
	e2e_session_close(t);
	/* a patient may not */
	memset(&q, 0, sizeof q);
	q.type = MSG_LINK;
	q.u.link.kind = MSG_LINK_CLEAR;
	r = must_call(p, "patient", q);
	cr_assert_eq(r.err, MSG_E_ROLE);
	e2e_free(p);

	/* and never on the real clock */
	p = must_start(NULL, E2E_REAL_CLOCK);
	r = link_req(p, MSG_LINK_CLEAR, "", 0, 0);
	cr_assert_eq(r.err, MSG_E_NOT_SIM);
	e2e_free(p);
}
