/* tests/test_pumpd_life.c — pumpd's life cycle around its state: a state
 * directory or database it cannot write is refused at start and left as it
 * was; notification sequence numbers never repeat across a crash; SIGTERM
 * lets a reply already on its way reach the remote.
 *
 * Permissions do not bind root, and the tests run as root: then the pumpd
 * under test runs as nobody (65534) on files arranged so that nobody can
 * read but not write them, which makes the permission check real. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

#define NOBODY 65534

static void own(const char *dir, const char *file, long uid, mode_t mode)
{
	char path[512];
	snprintf(path, sizeof path, "%s%s%s", dir, file ? "/" : "", file ? file : "");
	if (uid >= 0)
		cr_assert_eq(chown(path, (uid_t)uid, (gid_t)uid), 0, "chown %s", path);
	cr_assert_eq(chmod(path, mode), 0, "chmod %s", path);
}

/* Run pumpd on p's state as the test's unprivileged user: it must refuse
 * with `want` in its message, exit 1 and leave every file as it was. */
static void refused_untouched(e2e_pump *p, const char *want)
{
	static char before[1 << 20], after[1 << 20];
	char out[4096], sock[160];
	const char *state = e2e_state_dir(p);
	snprintf(sock, sizeof sock, "%s/other.sock", e2e_dir(p));
	size_t n0 = must_snapshot(state, before, sizeof before);
	const char *argv[] = { "run", state, "--unix", sock, "--sim", NULL };
	long uid = geteuid() == 0 ? NOBODY : -1;
	int rc = e2e_cli_as(argv, uid, 10000, out, sizeof out);
	cr_assert_eq(rc, 1, "pumpd run: exit %d: %s", rc, out);
	cr_assert(strstr(out, want), "message: %s", out);
	cr_assert(strstr(out, "will not start"), "message: %s", out);
	size_t n1 = must_snapshot(state, after, sizeof after);
	cr_assert(n0 == n1 && memcmp(before, after, n0) == 0,
	          "the state directory changed:\n%.*s\n---\n%.*s",
	          (int)(n0 > 600 ? 600 : n0), before, (int)(n1 > 600 ? 600 : n1), after);
	cr_assert_neq(access(sock, F_OK), 0, "it listened");
}

/* verifies: SR-STORE-004 */
Test(pumpd_life, read_only_state_is_refused_at_start_and_left_untouched)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	must_grant(p, "patient");
	cr_assert_eq(e2e_stop(p), 0);

	const char *state = e2e_state_dir(p);
	int root = geteuid() == 0;
	own(e2e_dir(p), NULL, -1, 0755);    /* nobody may reach the state */
	if (root) {
		/* nobody owns the directory (0500: private, but read-only for
		 * its owner too) and its files */
		own(state, NULL, NOBODY, 0500);
		own(state, "pump.key", NOBODY, 0600);
		own(state, "pump.pub", NOBODY, 0644);
		own(state, "state.db", NOBODY, 0600);
		own(state, "lock", NOBODY, 0600);
	} else {
		own(state, NULL, -1, 0500);
	}
	refused_untouched(p, "the state directory is not writable");

	/* a writable directory with a read-only database */
	own(state, NULL, root ? NOBODY : -1, 0700);
	own(state, "state.db", -1, 0400);
	refused_untouched(p, "state.db is read-only");

	/* given back its permissions, the same state serves as before */
	own(state, NULL, root ? 0 : -1, 0700);
	own(state, "state.db", root ? 0 : -1, 0600);
	if (root) {
		own(state, "pump.key", 0, 0600);
		own(state, "pump.pub", 0, 0644);
		own(state, "lock", 0, 0600);
	}
	cr_assert_eq(e2e_restart(p), 0);
	cr_assert_eq(must_status(p, "patient").boluses_24h, 1, "the bolus before is still there");
	e2e_free(p);
}

Test(pumpd_life, address_in_use_is_refused_and_changes_nothing)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	cr_assert_eq(e2e_stop(p), 0);
	/* a port someone else holds */
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	cr_assert_geq(fd, 0);
	struct sockaddr_in sa;
	memset(&sa, 0, sizeof sa);
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	cr_assert_eq(bind(fd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
	char addr[64];
	snprintf(addr, sizeof addr, "tcp:127.0.0.1:%u", ntohs(sa.sin_port));

	static char before[1 << 20], after[1 << 20];
	const char *state = e2e_state_dir(p);
	size_t n0 = must_snapshot(state, before, sizeof before);
	char out[2048];
	const char *argv[] = { "run", state, "--listen", addr, "--sim", NULL };
	int rc = e2e_cli_as(argv, -1, 10000, out, sizeof out);
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "cannot listen on tcp:127.0.0.1:"), "%s", out);
	cr_assert(strstr(out, "Address already in use"), "%s", out);
	size_t n1 = must_snapshot(state, after, sizeof after);
	cr_assert(n0 == n1 && memcmp(before, after, n0) == 0,
	          "a pump that did not start changed its state directory");
	close(fd);

	/* and the next start is the second one, not the third */
	cr_assert_eq(e2e_restart(p), 0);
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.after_seq = 0;
	q.u.log.max = MSG_LOG_MAX;
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "clinician", &q, &r), 0);
	int started = 0;
	for (unsigned i = 0; i < r.u.log.n; i++)
		started += strstr(r.u.log.e[i].text, "pumpd started") != NULL;
	cr_assert_eq(started, 2, "one audit row per start that served");
	e2e_free(p);
}

/* Move the clock as the tester; the watcher's notification of it: its seq. */
static uint64_t clock_note(e2e_pump *p, e2e_session *watch)
{
	must_advance(p, 60000);
	struct msg_from_pump m;
	do
		cr_assert_eq(e2e_recv(watch, &m, 5000), 0, "no notification");
	while (m.type != MSG_NOTIFY || m.u.notify.event != MSG_EV_CLOCK);
	return m.u.notify.seq;
}

/* verifies: SR-ALARM-006 */
Test(pumpd_life, notification_numbers_never_repeat_across_a_crash)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	e2e_session *w = must_watch(p, "patient2");
	uint64_t a1 = clock_note(p, w), a2 = clock_note(p, w);
	uint64_t boot = a1 >> 32;
	cr_assert_eq(boot, 1, "the first start");
	cr_assert_eq(a1 & 0xffffffffu, 1);
	cr_assert_eq(a2, a1 + 1, "rising by one within a start");
	e2e_session_close(w);

	/* kill -9: nothing was stored per notification, and still the next
	 * numbers are above every number sent before */
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	w = must_watch(p, "patient2");
	uint64_t b1 = clock_note(p, w);
	cr_assert_gt(b1, a2);
	cr_assert_eq(b1 >> 32, boot + 1, "seq 0x%016llx", (unsigned long long)b1);
	cr_assert_eq(b1 & 0xffffffffu, 1);
	e2e_session_close(w);

	/* and again, after a clean stop */
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	w = must_watch(p, "patient2");
	uint64_t c1 = clock_note(p, w);
	cr_assert_eq(c1 >> 32, boot + 2);
	cr_assert_gt(c1, b1);
	e2e_session_close(w);
	e2e_free(p);
}

/* verifies: SR-STORE-005 */
Test(pumpd_life, sigterm_delivers_replies_already_on_their_way)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "clinician");
	/* Many requests whose replies (about 1 KB each) are more than the
	 * socket holds, and a remote that does not read yet: pumpd answers
	 * them all, and what the socket cannot take waits in its queue. */
	enum { K = 250 };
	uint64_t ids[K];
	for (int i = 0; i < K; i++) {
		struct msg_request q = { .type = MSG_LOG };
		q.u.log.after_seq = 0;
		q.u.log.max = MSG_LOG_MAX;
		cr_assert_eq(e2e_send(s, &q), 0);
		ids[i] = q.id;
	}
	char last[64];
	snprintf(last, sizeof last, "): id %llu read log after 0",
	         (unsigned long long)ids[K - 1]);
	cr_assert_eq(e2e_log_wait(p, last, 10000), 0, "pumpd did not answer them all");

	cr_assert_eq(e2e_signal(p, SIGTERM), 0);
	cr_assert_eq(e2e_log_wait(p, "stopping: no longer listening", 10000), 0);
	/* pumpd flushes its queue for at most 2 s: read it all at once (a
	 * test under valgrind decrypts too slowly to keep up) */
	cr_assert_eq(e2e_session_drain(s, 10000), 0, "then the session ends");
	cr_assert_lt(e2e_connect_fd(p), 0, "it still accepts connections");

	/* every reply arrives, whole and in order */
	static struct msg_from_pump m;   /* large */
	for (int i = 0; i < K; i++) {
		cr_assert_eq(e2e_recv(s, &m, 5000), 0, "reply %d of %d lost", i + 1, K);
		cr_assert_eq(m.type, MSG_REPLY);
		cr_assert_eq(m.u.reply.id, ids[i]);
		cr_assert_eq(m.u.reply.err, MSG_OK);
	}
	cr_assert(e2e_fd_closed(e2e_session_fd(s), 0), "nothing after the replies");
	e2e_session_close(s);
	cr_assert_eq(e2e_wait(p, 10000), 0, "pumpd exits 0");

	/* the test did catch replies in pumpd's own queue, not only in the
	 * socket's buffer */
	FILE *f = fopen(e2e_log_path(p), "r");
	cr_assert(f);
	char line[512];
	unsigned long long queued = 0;
	while (fgets(line, sizeof line, f)) {
		const char *k = "no longer listening; 1 session, ";
		const char *at = strstr(line, k);
		if (at)
			queued = strtoull(at + strlen(k), NULL, 10);
	}
	fclose(f);
	cr_assert_gt(queued, 0, "nothing was queued when SIGTERM came");
	e2e_free(p);
}
