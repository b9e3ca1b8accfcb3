/* tests/test_pumpd_ids.c — request ids never run out: they are compared in
 * serial-number arithmetic modulo 2^64, so after 2^64-1 comes 1; and small
 * safeguards of the daemon's start (a listener beyond loopback is named). */
#include <criterion/criterion.h>
#include <stdint.h>
#include <string.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

static struct msg_reply ask(e2e_session *s, uint64_t id)
{
	struct msg_request q = { .type = MSG_BOLUS, .id = id };
	struct msg_reply r;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	return r;
}

/* verifies: SR-REQ-003 */
Test(pumpd_ids, after_the_last_id_comes_one)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	struct msg_reply r = ask(s, UINT64_MAX);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_GRANTED);
	/* the remote goes on: 1 is newer than 2^64-1 */
	r = ask(s, 1);
	cr_assert_eq(r.err, MSG_OK, "err %s", msg_err_name(r.err));
	cr_assert_eq(r.u.bolus.outcome, MSG_OUT_RUNNING, "carried out, not a repeat");
	/* the one before is older now, and so is an id half the circle ahead */
	r = ask(s, UINT64_MAX);
	cr_assert_eq(r.err, MSG_E_STALE_ID);
	cr_assert_eq(r.u.last_id, 1);
	r = ask(s, 1 + (UINT64_C(1) << 63));
	cr_assert_eq(r.err, MSG_E_STALE_ID);
	r = ask(s, (UINT64_C(1) << 63));
	cr_assert_eq(r.err, MSG_OK, "just under half the circle ahead is newer");
	/* and it survives a restart */
	e2e_session_close(s);
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	s = must_open(p, "patient");
	r = ask(s, 5);
	cr_assert_eq(r.err, MSG_E_STALE_ID);
	cr_assert_eq(r.u.last_id, UINT64_C(1) << 63);
	e2e_session_close(s);
	e2e_free(p);
}

Test(pumpd_ids, a_listener_beyond_loopback_is_named)
{
	const char *extra[] = { "--listen", "tcp:0.0.0.0:0", NULL };
	e2e_pump *p = must_start_args(NULL, 0, extra);
	cr_assert_eq(e2e_log_count(p, "tcp:0.0.0.0:0 is reachable beyond this "
	                              "machine"), 1);
	e2e_free(p);
	p = must_start(NULL, E2E_TCP);
	cr_assert_eq(e2e_log_count(p, "reachable beyond"), 0, "loopback is quiet");
	e2e_free(p);
}
