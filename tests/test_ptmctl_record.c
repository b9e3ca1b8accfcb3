/*
 * tests/test_ptmctl_record.c — `ptmctl watch --record FILE` round trip: a
 * session with a real pumpd (boluses, a fault, a silence, a clear, a refill,
 * clock moves) recorded by a watching remote, and the recording replayed by
 * the scenario runner against a new pumpd, every expectation holding.
 * Needs $PTM_BUILD/ptmctl and pumpd (tests/run.sh sets PTM_BUILD).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/e2e.h"
#include "tools/scenario/scn.h"
#include "net/scnrec.h"
#include "tools/scenario/scnrun.h"

static char build[4096];

static int is_program(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0 && S_ISREG(st.st_mode) && access(p, X_OK) == 0;
}

/* The watch's standard output so far. */
static char seen[1 << 16];
static size_t nseen;

static unsigned count(const char *needle)
{
	unsigned c = 0;
	for (const char *p = seen; (p = strstr(p, needle)) != NULL; p += strlen(needle))
		c++;
	return c;
}

/* Read fd until needle appears n times (a poll with a deadline). */
static int wait_for(int fd, const char *needle, unsigned n, int timeout_ms)
{
	int64_t end = e2e_now_ms() + e2e_ms(timeout_ms);
	while (count(needle) < n) {
		struct pollfd pf = { .fd = fd, .events = POLLIN };
		int64_t left = end - e2e_now_ms();
		if (left <= 0 || poll(&pf, 1, (int)left) <= 0)
			return -1;
		ssize_t k = read(fd, seen + nseen, sizeof seen - 1 - nseen);
		if (k <= 0)
			return -1;
		nseen += (size_t)k;
		seen[nseen] = '\0';
	}
	return 0;
}

static void call(e2e_pump *p, const char *who, struct msg_request *q)
{
	struct msg_reply r;
	q->id = 0;
	cr_assert_eq(e2e_call(p, who, q, &r), 0, "%s: no reply", who);
	cr_assert_eq(r.err, MSG_OK, "%s: refused: %s", who, msg_err_name(r.err));
}

static void clock_advance(e2e_pump *p, uint64_t ms)
{
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = ms;
	call(p, "tester", &q);
}

Test(record, a_watched_session_replays_as_a_passing_scenario, .timeout = 60)
{
	const char *b = getenv("PTM_BUILD");
	char ptmctl[4200], pumpd[4200], pub[4200], file[4200], *tap = NULL;
	size_t taplen = 0;
	int out[2], status;
	pid_t pid;

	snprintf(build, sizeof build, "%s", b ? b : "build");
	snprintf(ptmctl, sizeof ptmctl, "%s/ptmctl", build);
	snprintf(pumpd, sizeof pumpd, "%s/pumpd", build);
	if (!is_program(ptmctl) || !is_program(pumpd))
		cr_skip_test("no ptmctl or pumpd in %s", build);
	e2e_pump *p = e2e_start(NULL, 0);
	cr_assert_not_null(p);
	snprintf(pub, sizeof pub, "%s/pump.pub", e2e_state_dir(p));
	snprintf(file, sizeof file, "%s/session.scn", e2e_dir(p));

	/* a second patient remote watches and records */
	cr_assert_eq(pipe(out), 0);
	pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		int devnull = open("/dev/null", O_WRONLY);
		dup2(out[1], 1);
		dup2(devnull, 2);
		close(out[0]);
		execl(ptmctl, "ptmctl", "--json", "--pump", e2e_addr(p), "--key",
		      e2e_key_path(p, "patient2", 0), "--pump-key", pub, "watch", "--record",
		      file, (char *)NULL);
		_exit(127);
	}
	close(out[1]);
	/* its status reply is printed after the recording's start is written */
	cr_assert_eq(wait_for(out[0], "\"type\":\"reply\"", 1, 10000), 0, "no status: %s", seen);

	struct msg_request q;
	memset(&q, 0, sizeof q);
	q.type = MSG_BOLUS;
	call(p, "patient", &q);
	clock_advance(p, 30 * 60000);          /* the bolus ends */
	call(p, "patient", &q);                /* lockout: pushes nothing */
	clock_advance(p, 2 * 3600000);
	call(p, "patient", &q);                /* granted */
	memset(&q, 0, sizeof q);
	q.type = MSG_FAULT;
	q.u.fault.kind = MSG_FAULT_MOTOR_STALL;
	call(p, "tester", &q);
	memset(&q, 0, sizeof q);
	q.type = MSG_SILENCE;
	call(p, "patient", &q);
	memset(&q, 0, sizeof q);
	q.type = MSG_CLEAR;
	q.u.alarm = MSG_ALARM_MOTOR_STALL;
	call(p, "clinician", &q);
	memset(&q, 0, sizeof q);
	q.type = MSG_FAULT;
	q.u.fault.kind = MSG_FAULT_RESERVOIR;
	q.u.fault.arg = 1500000;
	call(p, "tester", &q);
	memset(&q, 0, sizeof q);
	q.type = MSG_REFILL;
	q.u.refill.volume_nl = 18000000;
	q.u.refill.concentration_ng_ml = 10000000;
	call(p, "clinician", &q);
	clock_advance(p, 67 * 60000);
	/* the watch saw the last clock move: everything before it too */
	cr_assert_eq(wait_for(out[0], "\"event\":\"clock\"", 3, 10000), 0, "%s", seen);
	kill(pid, SIGTERM);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0, "watch: status %d", status);
	close(out[0]);

	/* the steps that caused what the watch saw */
	FILE *f = fopen(file, "r");
	cr_assert_not_null(f);
	char text[8192];
	size_t len = fread(text, 1, sizeof text - 1, f);
	text[len] = '\0';
	fclose(f);
	const char *steps[] = {
		"pump sim start=", "as patient bolus\nexpect outcome granted dose=0.5mg\n",
		"clock advance 30m\nexpect notify clock\nexpect notify bolus_ended\n",
		"clock advance 2h\n", "fault motor_stall\n", "as patient silence all\n",
		"as clinician clear motor_stall\n", "fault reservoir 1.5mL\n",
		"as clinician refill 18mL 10mg/mL\n", "clock advance 1h7m\n",
	};
	const char *at = text;
	for (size_t i = 0; i < sizeof steps / sizeof steps[0]; i++) {
		const char *hit = strstr(at, steps[i]);
		cr_assert_not_null(hit, "no '%s' (in order) in the recording:\n%s", steps[i], text);
		at = hit + strlen(steps[i]);
	}

	/* replayed against a new pump: every expectation holds */
	FILE *t = open_memstream(&tap, &taplen);
	struct scnrun_opts o;
	char *files[1] = { file };
	memset(&o, 0, sizeof o);
	o.pumpd = pumpd;
	o.out = t;
	int rc = scnrun_files(&o, 1, files);
	fclose(t);
	cr_assert_eq(rc, 0, "the replay failed:\n%s\nof:\n%s", tap, text);
	cr_assert(strstr(tap, "not ok") == NULL);
	cr_assert_geq(strstr(tap, "1..") ? atoi(strstr(tap, "1..") + 3) : 0, 15, "%s", tap);
	free(tap);
	e2e_free(p);
}

/* The hook for a remote that sends requests itself (a later ptm --record):
 * each request and its reply become a step and its expectation, and the
 * whole is a scenario that parses. */
Test(record, requests_given_to_the_recorder_are_steps_that_parse)
{
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	struct scnrec *r = scnrec_new(f);
	struct msg_state st;
	struct msg_request q;
	struct msg_reply rep;

	memset(&st, 0, sizeof st);
	st.now_ms = 1767254400000ull;            /* 2026-01-01T08:00:00Z */
	st.mode = MSG_MODE_CONTINUOUS;
	st.flags = MSG_F_INFUSING | MSG_F_BOLUS_ENABLED | MSG_F_SIMULATED;
	st.reservoir_nl = st.capacity_nl = 20000000;
	st.low_threshold_nl = 2000000;
	st.concentration_ng_ml = 10000000;
	st.basal_ng_day = 3000000;
	st.bolus_dose_ng = 500000;
	st.bolus_duration_ms = 600000;
	st.lockout_ms = 7200000;
	st.max_per_24h = 6;
	memcpy(st.drug, "morphine", 9);
	scnrec_request(r, 0, &q, &rep);          /* before the start: ignored */
	scnrec_begin(r, &st);
	memset(&q, 0, sizeof q);
	memset(&rep, 0, sizeof rep);
	q.type = MSG_BOLUS;
	rep.req_type = MSG_BOLUS;
	rep.state = st;
	rep.u.bolus.outcome = MSG_OUT_GRANTED;
	scnrec_request(r, 0, &q, &rep);
	q.type = MSG_CLOCK;
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 1800000;
	rep.req_type = MSG_CLOCK;
	rep.state.now_ms += 1800000;
	rep.state.reservoir_nl = 19900000;
	scnrec_request(r, 2, &q, &rep);
	q.type = MSG_CLEAR;
	q.u.alarm = MSG_ALARM_EMPTY;
	rep.req_type = MSG_CLEAR;
	rep.err = MSG_E_STATE;
	scnrec_request(r, 1, &q, &rep);
	scnrec_free(r);
	fclose(f);
	cr_assert(strstr(text, "pump sim start=2026-01-01T08:00:00Z volume=20mL\n"), "%s", text);
	cr_assert(strstr(text, "as patient bolus\nexpect outcome granted\n"
	                       "clock advance 30m\nexpect state reservoir=19.9mL"), "%s", text);
	cr_assert(strstr(text, "as clinician clear empty\nexpect error state\n"), "%s", text);

	struct scn *s = scn_new("rec.scn");
	const char *p = text;
	while (*p) {
		size_t n = strcspn(p, "\n");
		cr_assert_eq(scn_feed(s, p, n), 0, "%s", scn_error(s));
		p += n + (p[n] == '\n');
	}
	cr_assert_eq(scn_finish(s), 0, "%s", scn_error(s));
	scn_free(s);
	free(text);
}
