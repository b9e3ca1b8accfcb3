/* tests/test_pumpd_unpair.c — `pumpd unpair` while pumpd runs: the remote's
 * open session loses its rights at once (its next request is refused with
 * ROLE "unpaired", changes nothing, is logged, and the session is closed;
 * it gets no more notifications), and pairing the same key again starts
 * afresh. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

static void unpair(e2e_pump *p, const char *name)
{
	char out[1024];
	const char *argv[] = { "unpair", e2e_state_dir(p), name, NULL };
	cr_assert_eq(e2e_cli(argv, out, sizeof out), 0, "%s", out);
	cr_assert(strstr(out, "unpaired "), "%s", out);
}

/* 1 when the audit log has an entry with exactly this text */
static int logged(e2e_pump *p, const char *text)
{
	static struct must_audit a;   /* large */
	e2e_session *clin = must_open(p, "clinician");
	must_read_audit(clin, &a);
	e2e_session_close(clin);
	return must_audit_has(&a, text);
}

/* verifies: SR-LINK-004 */
Test(pumpd_unpair, open_session_loses_its_rights_at_once)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_watch(p, "patient");

	unpair(p, "patient");
	struct msg_request q = { .type = MSG_BOLUS };
	struct msg_reply r = must_request(s, &q);
	cr_assert_eq(r.err, MSG_E_ROLE, "err %s", msg_err_name(r.err));
	cr_assert_str_eq(r.detail, "unpaired");
	cr_assert_eq(r.req_type, MSG_BOLUS);
	cr_assert_eq(r.id, q.id);
	cr_assert(e2e_fd_closed(e2e_session_fd(s), 5000), "the session stays open");
	e2e_session_close(s);

	/* nothing happened, and the clinician can read why */
	r = must_call(p, "clinician", (struct msg_request){ .type = MSG_STATUS });
	cr_assert_eq(r.state.boluses_24h, 0, "no bolus was given");
	cr_assert_eq(r.u.counts.c[MSG_OUT_GRANTED].count, 0);
	char text[128];
	snprintf(text, sizeof text, "patient: refused bolus id %llu: role unpaired",
	         (unsigned long long)q.id);
	cr_assert(logged(p, text), "no audit entry '%s'", text);
	cr_assert(logged(p, "patient: session closed: no longer paired"));
	cr_assert(logged(p, "pump: unpaired patient"));
	/* and the key gets no new session */
	cr_assert_null(e2e_session_open(p, "patient"));
	e2e_free(p);
}

/* verifies: SR-LINK-004 */
Test(pumpd_unpair, unpaired_watcher_gets_no_more_notifications)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *watch = must_watch(p, "patient2");
	unsigned notes = e2e_session_notes(watch);

	unpair(p, "patient2");
	must_tester(p, MSG_FAULT, MSG_FAULT_MOTOR_STALL, 0);
	/* the alarm is not pushed to it: its connection just ends */
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(watch, &m, 5000), -1, "got a message (type 0x%02x)", m.type);
	cr_assert_eq(e2e_session_notes(watch), notes);
	e2e_session_close(watch);
	cr_assert(logged(p, "patient2: session closed: no longer paired"));
	e2e_free(p);
}

Test(pumpd_unpair, paired_again_starts_afresh)
{
	e2e_pump *p = must_start(NULL, 0);
	/* the tester is the last row: pairing it again reuses its row id */
	e2e_session *s = must_open(p, "tester");
	struct msg_request q = { .type = MSG_STATUS, .id = 1000 };
	cr_assert_eq(must_request(s, &q).err, MSG_OK);
	e2e_session_close(s);
	e2e_session *old = must_open(p, "tester");

	unpair(p, "tester");
	char out[1024];
	const char *argv[] = { "pair", e2e_state_dir(p), "--role", "tester", "--name",
	                       "tester", e2e_key_path(p, "tester", 1), NULL };
	cr_assert_eq(e2e_cli(argv, out, sizeof out), 0, "%s", out);

	/* a new pairing has no request-id memory of the old one */
	s = must_open(p, "tester");
	q = (struct msg_request){ .type = MSG_STATUS, .id = 5 };
	struct msg_reply r = must_request(s, &q);
	cr_assert_eq(r.err, MSG_OK, "err %s (last id %llu)", msg_err_name(r.err),
	             (unsigned long long)r.u.last_id);
	/* and the session of the old pairing is gone */
	cr_assert(e2e_fd_closed(e2e_session_fd(old), 5000));
	e2e_session_close(old);
	e2e_session_close(s);
	e2e_free(p);
}
