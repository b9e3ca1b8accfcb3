/* tests/test_pumpd_batch.c — group commit: the changes that arrive in one
 * loop turn share one commit, and their replies leave after it; a commit
 * that fails refuses every change of its turn, and a read of that turn is
 * answered from the state as it was.  pumpd is stopped (SIGSTOP) while the
 * requests are written, so that they all wait in one turn. */
#include <criterion/criterion.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define N 12   /* the launcher pairs 4; it holds 16 at most */

static int count_commits(e2e_pump *p)
{
	return e2e_log_count(p, "turn committed:");
}

/* verifies: SR-STORE-001 */
Test(pumpd_batch, one_turn_one_commit_and_every_reply_after_it)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s[N];
	char name[16];
	static const char *const given[] = { "patient", "patient2", "clinician",
	                                     "tester" };
	for (int i = 0; i < N; i++) {
		if (i < 4) {
			snprintf(name, sizeof name, "%s", given[i]);
		} else {
			snprintf(name, sizeof name, "p%02d", i);
			cr_assert_eq(e2e_pair(p, name, "patient"), 0);
		}
		s[i] = must_open(p, name);
	}
	int before = count_commits(p);
	cr_assert_eq(e2e_signal(p, SIGSTOP), 0);
	struct msg_request q[N];
	for (int i = 0; i < N; i++) {
		q[i] = (struct msg_request){ .type = MSG_BOLUS };
		cr_assert_eq(e2e_send(s[i], &q[i]), 0);
	}
	cr_assert_eq(e2e_signal(p, SIGCONT), 0);
	int granted = 0;
	for (int i = 0; i < N; i++) {
		struct msg_from_pump m;
		do
			cr_assert_eq(e2e_recv(s[i], &m, 5000), 0, "no reply for %d", i);
		while (m.type != MSG_REPLY);
		cr_assert_eq(m.u.reply.id, q[i].id);
		cr_assert_eq(m.u.reply.err, MSG_OK);
		granted += m.u.reply.u.bolus.outcome == MSG_OUT_GRANTED;
	}
	cr_assert_eq(granted, 1, "one bolus at a time");
	int commits = count_commits(p) - before;
	fprintf(stderr, "%d changes from %d remotes: %d commit(s)\n", N, N, commits);
	cr_assert_geq(commits, 1, "no commit logged");
	cr_assert_lt(commits, N / 2, "%d commits for %d changes of one turn",
	             commits, N);
	/* and they are all durable: a kill -9 keeps every outcome */
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	struct msg_request st = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient", &st, &r), 0);
	cr_assert_eq(r.u.counts.c[MSG_OUT_GRANTED].count, 1);
	cr_assert_eq(r.u.counts.c[MSG_OUT_RUNNING].count, N - 1);
	for (int i = 0; i < N; i++)
		e2e_session_close(s[i]);
	e2e_free(p);
}

/* verifies: SR-STORE-001 SR-STORE-002 */
Test(pumpd_batch, a_failed_commit_refuses_the_turn_and_answers_its_reads_again)
{
	e2e_pump *p = must_start_small_disk();
	const char *state = e2e_state_dir(p);
	char filler[600];
	e2e_session *a = must_open(p, "tester");
	e2e_session *b = must_open(p, "patient2");
	struct msg_request q;
	struct msg_reply r;

	/* a full disk, and in one turn a bolus and then a read */
	cr_assert_eq(e2e_signal(p, SIGSTOP), 0);
	must_fill_disk(state, filler, sizeof filler);
	/* changes until the log has no room left (each one alone in a turn) */
	int refused = 0;
	cr_assert_eq(e2e_signal(p, SIGCONT), 0);
	for (int i = 0; i < 5000 && !refused; i++) {
		q = (struct msg_request){ .type = MSG_CLOCK };
		q.u.clock.op = MSG_CLOCK_ADVANCE;
		q.u.clock.arg = 60000;
		cr_assert_eq(e2e_request(a, &q, &r), 0);
		refused = r.err == MSG_E_STORAGE;
	}
	cr_assert(refused, "the disk never filled");
	uint64_t now = r.state.now_ms;   /* the clock is frozen: moved by CLOCK only */

	cr_assert_eq(e2e_signal(p, SIGSTOP), 0);
	struct msg_request bolus = { .type = MSG_CLOCK };
	bolus.u.clock.op = MSG_CLOCK_ADVANCE;
	bolus.u.clock.arg = 3600000;
	struct msg_request read = { .type = MSG_STATUS };
	cr_assert_eq(e2e_send(a, &bolus), 0);
	cr_assert_eq(e2e_send(b, &read), 0);
	cr_assert_eq(e2e_signal(p, SIGCONT), 0);
	struct msg_from_pump m;
	do
		cr_assert_eq(e2e_recv(a, &m, 5000), 0);
	while (m.type != MSG_REPLY);
	cr_assert_eq(m.u.reply.id, bolus.id);
	cr_assert_eq(m.u.reply.err, MSG_E_STORAGE);
	cr_assert_str_eq(m.u.reply.detail, "disk full");
	do
		cr_assert_eq(e2e_recv(b, &m, 5000), 0);
	while (m.type != MSG_REPLY);
	cr_assert_eq(m.u.reply.id, read.id);
	cr_assert_eq(m.u.reply.err, MSG_OK, "a read is answered on a full disk");
	cr_assert_eq(m.u.reply.state.now_ms, now,
	             "the read shows the state as it is, not the refused change");
	e2e_session_close(a);
	e2e_session_close(b);

	cr_assert_eq(unlink(filler), 0);
	must_unmount(p);
}

/* The notifications of one commit all carry the state after it: the
 * `state` events of several refused boluses in one turn are pushed as one,
 * every other event as often as it happened (docs/PROTOCOL.md, 8.5). */
/* verifies: SR-STORE-001 */
Test(pumpd_batch, one_state_notification_per_commit)
{
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert(p);
	e2e_session *asker = e2e_session_open(p, "patient");
	e2e_session *watcher = e2e_session_open(p, "patient2");
	cr_assert(asker && watcher);
	cr_assert_eq(e2e_signal(p, SIGSTOP), 0);
	struct msg_request q[3];
	for (int i = 0; i < 3; i++) {
		q[i] = (struct msg_request){ .type = MSG_BOLUS };
		cr_assert_eq(e2e_send(asker, &q[i]), 0);
	}
	cr_assert_eq(e2e_signal(p, SIGCONT), 0);
	struct msg_from_pump m;
	for (int i = 0; i < 3; i++) {
		do
			cr_assert_eq(e2e_recv(asker, &m, 5000), 0, "no reply for %d", i);
		while (m.type != MSG_REPLY);
		cr_assert_eq(m.u.reply.u.bolus.outcome,
		             i == 0 ? MSG_OUT_GRANTED : MSG_OUT_RUNNING);
	}
	/* a marker after the turn: the tester moves the clock by 1 ms */
	must_advance(p, 1);
	int started = 0, state = 0, other = 0;
	for (;;) {
		cr_assert_eq(e2e_recv(watcher, &m, 5000), 0, "no clock notification");
		cr_assert_eq(m.type, MSG_NOTIFY);
		if (m.u.notify.event == MSG_EV_CLOCK)
			break;
		started += m.u.notify.event == MSG_EV_BOLUS_STARTED;
		state += m.u.notify.event == MSG_EV_STATE;
		other += m.u.notify.event != MSG_EV_BOLUS_STARTED &&
		         m.u.notify.event != MSG_EV_STATE;
		cr_assert_eq(m.u.notify.state.boluses_24h, 1);
	}
	cr_assert_eq(started, 1);
	cr_assert_eq(state, 1, "%d state notifications for one commit", state);
	cr_assert_eq(other, 0);
	e2e_session_close(asker);
	e2e_session_close(watcher);
	e2e_free(p);
}
