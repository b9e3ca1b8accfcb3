/*
 * tests/test_ptmctl_link.c — the scenario runner's remotes (tools/scenario/scnlink.h)
 * against a real pumpd (tests/lib/e2e.h): every role connected at once, ids as
 * chosen, notifications pushed by anyone's request reach every remote, the
 * window of the last request, a lost session opened again, a timeout.
 */
#include <criterion/criterion.h>
#include <signal.h>
#include <string.h>

#include "net/client.h"
#include "tests/lib/e2e.h"
#include "tools/scenario/scnlink.h"

static e2e_pump *pump;
static uint8_t priv[SCN_ROLES][32];
static struct scnlink *link;

/* Deadlines on the pump, scaled to the run's slowdown (tests/lib/e2e_time.h). */
static struct scnlink *link_new(void)
{
	struct scnlink_config c;
	memset(&c, 0, sizeof c);
	c.address = e2e_addr(pump);
	c.pump_pub = e2e_pump_pub(pump);
	c.priv = (const uint8_t (*)[32])priv;
	c.timeout_ms = (uint32_t)e2e_ms(5000);
	c.connect_ms = (uint32_t)e2e_ms(10000);
	return scnlink_new(&c);
}

static void setup(void)
{
	pump = e2e_start(NULL, 0);
	cr_assert_not_null(pump);
	memcpy(priv[SCN_PATIENT], e2e_key(pump, "patient"), 32);
	memcpy(priv[SCN_CLINICIAN], e2e_key(pump, "clinician"), 32);
	memcpy(priv[SCN_TESTER], e2e_key(pump, "tester"), 32);
	link = link_new();
	cr_assert_not_null(link);
}

static void teardown(void)
{
	scnlink_free(link);
	e2e_free(pump);
}

TestSuite(scnlink, .init = setup, .fini = teardown, .timeout = 60);

static int call(int role, int type, uint64_t id, struct msg_reply *out)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = (uint8_t)type;
	q.id = id;
	return scnlink_call(link, role, &q, out);
}

static int has_event(int role, int event)
{
	size_t n;
	const struct msg_notify *nt = scnlink_notes(link, role, &n);
	for (size_t i = 0; i < n; i++)
		if (nt[i].event == event)
			return 1;
	return 0;
}

static int every_role_saw_bolus_started(void *ud)
{
	(void)ud;
	for (int r = 0; r < SCN_ROLES; r++)
		if (!has_event(r, MSG_EV_BOLUS_STARTED))
			return 0;
	return 1;
}

static int patient_gone(void *ud)
{
	(void)ud;
	return !scnlink_connected(link, SCN_PATIENT);
}

Test(scnlink, every_role_connects_and_ids_are_sent_as_chosen)
{
	struct msg_reply r;
	int who = -1;
	cr_assert_eq(scnlink_connect(link, &who), 0, "role %d", who);
	for (int role = 0; role < SCN_ROLES; role++)
		cr_assert(scnlink_connected(link, role));
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 5, &r), 0);
	cr_assert_eq(r.id, 5);
	cr_assert_eq(r.err, MSG_OK);
	/* an older id is answered STALE_ID as it is, not retried with a new id */
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 4, &r), 0);
	cr_assert_eq(r.id, 4);
	cr_assert_eq(r.err, MSG_E_STALE_ID);
	cr_assert_eq(r.u.last_id, 5);
}

/* verifies: SR-ALARM-006 */
Test(scnlink, a_notification_from_anyones_request_reaches_every_remote_in_the_window)
{
	struct msg_reply r;
	struct msg_request q;
	size_t n;
	int who;
	cr_assert_eq(scnlink_connect(link, &who), 0);
	cr_assert_eq(call(SCN_TESTER, MSG_STATUS, 1, &r), 0);
	/* another remote's bolus: pushed to all three */
	memset(&q, 0, sizeof q);
	q.type = MSG_BOLUS;
	cr_assert_eq(e2e_call(pump, "patient2", &q, &r), 0);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	cr_assert(scnlink_wait(link, every_role_saw_bolus_started, NULL));
	/* the next request starts a new window: the bolus is behind it */
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 1, &r), 0);
	for (int role = 0; role < SCN_ROLES; role++) {
		scnlink_notes(link, role, &n);
		cr_assert_eq(n, 0, "role %d kept %zu notes", role, n);
	}
}

Test(scnlink, a_session_the_pump_closed_is_opened_again_by_the_next_call)
{
	struct msg_reply r;
	int who;
	e2e_session *other;
	cr_assert_eq(scnlink_connect(link, &who), 0);
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 1, &r), 0);
	/* the same remote handshakes again elsewhere: the pump drops ours */
	other = e2e_session_open(pump, "patient");
	cr_assert_not_null(other);
	/* the new session takes the place of ours once it is proven: its
	 * first message */
	struct msg_request q = { .type = MSG_STATUS };
	cr_assert_eq(e2e_request(other, &q, &r), 0);
	cr_assert(scnlink_wait(link, patient_gone, NULL));
	e2e_session_close(other);
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 2, &r), 0);
	cr_assert_eq(r.id, 2);
	cr_assert(scnlink_connected(link, SCN_PATIENT));
}

/* Connected with the usual deadlines (a slow run may need them), then a
 * short timeout for a pump that cannot answer (stopped), then the usual
 * timeout again: the next call opens a new session and is answered. */
Test(scnlink, no_reply_in_time_is_a_timeout_and_the_next_call_works)
{
	struct msg_reply r;
	int who;
	cr_assert_eq(scnlink_connect(link, &who), 0, "role %d", who);
	scnlink_set_timeout(link, 300);
	cr_assert_eq(kill(e2e_pid(pump), SIGSTOP), 0);
	int rc = call(SCN_PATIENT, MSG_STATUS, 1, &r);
	cr_assert_eq(kill(e2e_pid(pump), SIGCONT), 0);
	cr_assert_eq(rc, CLIENT_E_TIMEOUT);
	cr_assert(!scnlink_connected(link, SCN_PATIENT), "the session is given up");
	scnlink_set_timeout(link, (uint32_t)e2e_ms(5000));
	cr_assert_eq(call(SCN_PATIENT, MSG_STATUS, 2, &r), 0);
	cr_assert_eq(r.id, 2);
	cr_assert(scnlink_connected(link, SCN_PATIENT));
}
