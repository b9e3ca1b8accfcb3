/* tests/test_pumpd_typed.c — HELLO's accept bit 0x04 on the real pumpd
 * (docs/PROTOCOL.md 8.15): LOG entries typed with the store's kind, role
 * and wall clock, and the running bolus's kind in the state extension,
 * only for a session that asked; every other session reads what it read
 * before.  Default prescription; the simulated clock is frozen. */
#include <criterion/criterion.h>
#include <string.h>
#include <time.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define MIN 60000ull

/* a session of who after HELLO with accept (0: no HELLO) */
static e2e_session *open_with(e2e_pump *p, const char *who, uint32_t accept)
{
	e2e_session *s = must_open(p, who);
	if (accept) {
		struct msg_request h = { .type = MSG_HELLO };
		h.u.accept = accept;
		struct msg_reply r = must_request(s, &h);
		cr_assert_eq(r.err, MSG_OK, "HELLO accept %u: %s", accept, r.detail);
		cr_assert(r.u.hello.features & MSG_FEAT_TYPED);
	}
	return s;
}

/* the newest 20 entries of the log in session s */
static struct msg_reply newest(e2e_session *s)
{
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.after_seq = UINT64_MAX;
	q.u.log.max = MSG_LOG_MAX;
	struct msg_reply r = must_request(s, &q);
	cr_assert_eq(r.err, MSG_OK, "%s", r.detail);
	return r;
}

/* the entry whose text holds needle, or NULL */
static const struct msg_log_entry *find(const struct msg_reply *r, const char *needle)
{
	for (unsigned i = 0; i < r->u.log.n; i++)
		if (strstr(r->u.log.e[i].text, needle))
			return &r->u.log.e[i];
	return NULL;
}

/* verifies: SR-AUDIT-003 SR-LINK-005 */
Test(pumpd_typed, log_entries_typed_only_for_a_session_that_asked, .timeout = 60)
{
	e2e_pump *p = must_start(NULL, 0);
	cr_assert_eq(must_grant(p, "patient").err, MSG_OK);
	/* a refusal before the request is carried out: a patient's CLEAR */
	struct msg_request clr = { .type = MSG_CLEAR };
	clr.u.alarm = MSG_ALARM_EMPTY;
	cr_assert_eq(must_call(p, "patient", clr).err, MSG_E_ROLE);
	int64_t t0 = (int64_t)time(NULL) * 1000;

	e2e_session *s = open_with(p, "clinician", MSG_ACCEPT_ED3 | MSG_ACCEPT_TYPED);
	struct msg_reply r = newest(s);
	cr_assert_gt(r.u.log.n, 3);
	for (unsigned i = 0; i < r.u.log.n; i++)
		cr_assert_eq(r.u.log.e[i].typed, 1, "entry %u", i);
	const struct msg_log_entry *e = find(&r, "patient: bolus granted: ");
	cr_assert(e);
	cr_assert_eq(e->kind, MSG_LOG_REQUEST);
	cr_assert_eq(e->role, MSG_LOG_ROLE_PATIENT);
	/* the wall clock beside the pump's (simulated, frozen) time */
	cr_assert_geq((int64_t)e->wall_ms, t0 - 60000);
	cr_assert_leq((int64_t)e->wall_ms, t0 + 60000);
	e = find(&r, "patient: refused clear id ");
	cr_assert(e);
	cr_assert_eq(e->kind, MSG_LOG_REFUSED);
	cr_assert_eq(e->role, MSG_LOG_ROLE_PATIENT);
	e = find(&r, "patient: session opened");
	cr_assert(e);
	cr_assert_eq(e->kind, MSG_LOG_SESSION);
	e = find(&r, "pump: bolus ended: ");
	if (e) {   /* the patient's bolus may still run */
		cr_assert_eq(e->kind, MSG_LOG_BOLUS);
		cr_assert_eq(e->role, MSG_LOG_ROLE_PUMP);
	}
	e2e_session_close(s);

	/* edition 3 alone, the second edition, the first: no type, the same
	 * entries (the bytes of 8.2: decoded untyped, the block absent) */
	const uint32_t older[] = { MSG_ACCEPT_ED3, MSG_ACCEPT_ED3 | MSG_ACCEPT_DELIVERY, 0 };
	for (unsigned k = 0; k < 3; k++) {
		struct msg_reply o;
		s = open_with(p, "clinician", older[k]);
		o = newest(s);
		e2e_session_close(s);
		cr_assert_eq(o.state.has_ext, older[k] != 0);
		for (unsigned i = 0; i < o.u.log.n; i++) {
			cr_assert_eq(o.u.log.e[i].typed, 0, "accept %u entry %u", older[k], i);
			cr_assert_eq(o.u.log.e[i].kind, 0);
			cr_assert_eq(o.u.log.e[i].wall_ms, 0);
		}
		/* the same entries: a row the typed read had, with its text */
		unsigned same = 0;
		for (unsigned i = 0; i < o.u.log.n; i++)
			for (unsigned j = 0; j < r.u.log.n; j++)
				if (o.u.log.e[i].seq == r.u.log.e[j].seq) {
					cr_assert_str_eq(o.u.log.e[i].text, r.u.log.e[j].text);
					same++;
				}
		cr_assert_gt(same, 10);
	}

	/* the bit alone, without edition 3: malformed, and nothing changes */
	s = must_open(p, "clinician");
	struct msg_request h = { .type = MSG_HELLO };
	uint8_t b[32];
	int n = e2e_encode(p, &h, b, sizeof b);
	cr_assert_eq(n, 9);
	const uint8_t acc[4] = { 0, 0, 0, MSG_ACCEPT_TYPED };
	memcpy(b + 9, acc, 4);
	cr_assert_eq(e2e_request_plain(s, b, 13, h.id, &r), 0);
	cr_assert_eq(r.err, MSG_E_MALFORMED);
	cr_assert_str_eq(r.detail, "accept");
	r = newest(s);
	cr_assert_eq(r.state.has_ext, 0);
	cr_assert_eq(r.u.log.e[0].typed, 0);
	e2e_session_close(s);
	e2e_free(p);
}

/* verifies: SR-UI-001 */
Test(pumpd_typed, the_running_bolus_kind_only_for_a_session_that_asked, .timeout = 60)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *ty = open_with(p, "patient", MSG_ACCEPT_ED3 | MSG_ACCEPT_TYPED);
	/* edition 3 alone: another remote (one live session per remote) */
	e2e_session *e3 = open_with(p, "tester", MSG_ACCEPT_ED3);
	struct msg_request q = { .type = MSG_CBOLUS };
	q.u.cbolus.kind = MSG_CBOLUS_SINGLE;
	q.u.cbolus.dose_ng = 100000;
	q.u.cbolus.duration_ms = 10 * MIN;
	struct msg_reply r = must_call(p, "clinician", q);
	cr_assert_eq(r.err, MSG_OK, "%s %s", msg_err_name(r.err), r.detail);
	cr_assert_eq(r.state.has_ext, 0, "the clinician's one-shot session asked nothing");
	/* the notification: the kind to the session that asked, not to the other */
	struct msg_from_pump m;
	do
		cr_assert_eq(e2e_recv(ty, &m, e2e_ms(5000)), 0);
	while (m.type != MSG_NOTIFY || m.u.notify.event != MSG_EV_BOLUS_STARTED);
	cr_assert_eq(MSG_SX_BOLUS_KIND(m.u.notify.state.ext.flags), MSG_CBOLUS_SINGLE);
	do
		cr_assert_eq(e2e_recv(e3, &m, e2e_ms(5000)), 0);
	while (m.type != MSG_NOTIFY || m.u.notify.event != MSG_EV_BOLUS_STARTED);
	cr_assert(m.u.notify.state.flags & MSG_F_BOLUS_RUNNING);
	cr_assert_eq(m.u.notify.state.ext.flags & MSG_SX_BOLUS_MASK, 0);
	/* and every reply's state */
	struct msg_state st = must_status_in(ty);
	cr_assert_eq(MSG_SX_BOLUS_KIND(st.ext.flags), MSG_CBOLUS_SINGLE);
	st = must_status_in(e3);
	cr_assert_eq(st.ext.flags & MSG_SX_BOLUS_MASK, 0);
	/* a patient's own bolus: kind 0 */
	must_advance(p, 10 * MIN);
	st = must_status_in(ty);
	cr_assert_eq(st.flags & MSG_F_BOLUS_RUNNING, 0);
	cr_assert_eq(st.ext.flags & MSG_SX_BOLUS_MASK, 0);
	cr_assert_eq(must_grant_in(ty).err, MSG_OK);
	st = must_status_in(ty);
	cr_assert(st.flags & MSG_F_BOLUS_RUNNING);
	cr_assert_eq(st.ext.flags & MSG_SX_BOLUS_MASK, 0);
	e2e_session_close(e3);
	e2e_session_close(ty);
	e2e_free(p);
}
