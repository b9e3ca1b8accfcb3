/*
 * tests/test_tui_e2e.c — ptm end to end: the real pumpd in simulation mode,
 * the real ptm in a private tmux server (80x24), driven with send-keys and
 * read with capture-pane.  A tester client moves the pump's clock and
 * injects faults (client_call with MSG_CLOCK / MSG_FAULT).
 *
 * The pump is the tests' own (tests/lib/e2e_pump.h: its directory, keys
 * and log).  Waiting is on conditions: pumpd's "READY" line on a pipe,
 * and screen text re-captured until it appears or a deadline passes.  A wait names text
 * that only the awaited state puts on screen (the light labels and the
 * lesson texts also say "Dose started" / "Dose available"), or a row.
 *
 * Nothing is left behind even when a test crashes or times out: pumpd dies
 * with the test process (PR_SET_PDEATHSIG), and a reaper child waits for
 * the test process to go (its pipe reaches EOF), then kills the private
 * tmux server (which hangs up on ptm) and removes the test's directory.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <fcntl.h>
#include <regex.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "net/client.h"
#include "tests/lib/e2e.h"

/* How long a wait on the screen or on pumpd lasts before it fails, times
 * the run's slowdown (e2e_ms) and, while ptm itself runs under valgrind,
 * times valgrind's (VALGRIND_SLOWDOWN, as tests/run.sh). */
#define WAIT_MS 15000
#define VALGRIND_SLOWDOWN 20

static struct {
	char dir[128];        /* tmux's socket, ptm's stderr */
	char bin[256];        /* directory with ptm */
	char tmux[192];       /* tmux server socket */
	e2e_pump *pump;
	pid_t reaper;         /* cleans up after this process, however it ends */
	int reaper_fd;        /* write end of the reaper's pipe (O_CLOEXEC) */
	char screen[8192];    /* the last good capture */
	char capture_err[256];/* why the last failed capture failed, or "" */
	int slow;             /* ptm's own slowdown: 1, or VALGRIND_SLOWDOWN */
} F;

/* The deadline of a wait, in ms from now. */
static int wait_ms(void)
{
	return e2e_ms(WAIT_MS * F.slow);
}

static void sh(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void sh(const char *fmt, ...)
{
	char cmd[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(cmd, sizeof cmd, fmt, ap);
	va_end(ap);
	int rc = system(cmd);
	cr_assert_eq(rc, 0, "command failed (%d): %s", rc, cmd);
}

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char rx[] =
	"drug = baclofen\n"
	"concentration = 2 mg/mL\n"
	"reservoir = 20 mL\n"
	"mode = continuous\n"
	"daily_rate = 0.4 mg/day\n"
	"bolus = on\n"
	"bolus_dose = 0.05 mg\n"
	"bolus_duration = 10 min\n"
	"lockout = 30 min\n"
	"max_per_24h = 6\n"
	"low_reservoir = 2 mL\n"
	"alarm_silence = 1 h\n";

/* a key file of the pump's remote (patient, tester), pub: its .pub */
static const char *key(const char *name)
{
	if (!F.pump)   /* under valgrind: no pump, no tmux (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	return e2e_key_path(F.pump, name, 0);
}

/* Under valgrind (make valgrind traces children) tmux and every shell would
 * run under it too: these end-to-end tests are for make test and make asan. */
static int under_valgrind(void)
{
	const char *p = getenv("LD_PRELOAD");
	return p && strstr(p, "vgpreload") != NULL;
}

/* Fork the reaper: it blocks on a pipe whose only write end this process
 * holds (close-on-exec, so tmux and the shells never inherit it).  EOF
 * means this process ended, cleanly or not: kill the tmux server (ptm gets
 * SIGHUP and quits) and remove the directory unless PTM_KEEP is set. */
static void start_reaper(void)
{
	int p[2];
	cr_assert_eq(pipe(p), 0);
	cr_assert_eq(fcntl(p[1], F_SETFD, FD_CLOEXEC), 0);
	pid_t pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		close(p[1]);
		char c;
		while (read(p[0], &c, 1) < 0 && errno == EINTR)
			;
		char cmd[512];
		snprintf(cmd, sizeof cmd, "tmux -S '%s' kill-server >/dev/null 2>&1", F.tmux);
		(void)!system(cmd);
		if (getenv("PTM_KEEP") == NULL) {
			snprintf(cmd, sizeof cmd, "rm -rf '%s'", F.dir);
			(void)!system(cmd);
		}
		_exit(0);
	}
	close(p[0]);
	F.reaper = pid;
	F.reaper_fd = p[1];
}

static void setup(void)
{
	memset(&F, 0, sizeof F);
	F.slow = 1;
	const char *b = getenv("PTM_BUILD");
	if (b) {
		snprintf(F.bin, sizeof F.bin, "%s", b);
	} else {
		cr_assert_not_null(getcwd(F.bin, sizeof F.bin - 8));
		strcat(F.bin, "/build");
	}
	if (under_valgrind())
		return;   /* F.bin is enough for the tests that run there */
	signal(SIGPIPE, SIG_IGN);
	setenv("TZ", "UTC", 1);
	strcpy(F.dir, "/tmp/ptm-tui.XXXXXX");
	cr_assert_not_null(mkdtemp(F.dir));
	snprintf(F.tmux, sizeof F.tmux, "%s/tmux.sock", F.dir);
	start_reaper();
	/* pumpd run --sim at real-time speed, as a tester runs it */
	F.pump = e2e_start(rx, E2E_SPEED1);
	cr_assert_not_null(F.pump, "pumpd did not start");
}

static void teardown(void)
{
	e2e_free(F.pump);
	F.pump = NULL;
	if (F.reaper > 0) {
		close(F.reaper_fd);      /* the reaper kills tmux, removes the dir */
		waitpid(F.reaper, NULL, 0);
		F.reaper = 0;
	}
}

TestSuite(tui, .init = setup, .fini = teardown, .timeout = 90);

/* open ptm in a fresh 80x24 tmux server with this key file and address;
 * extra: more ptm options */
static void open_ptm_at(const char *env, const char *keyfile, const char *addr,
                        const char *extra)
{
	if (under_valgrind())
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	sh("tmux -S '%s' -f /dev/null new-session -d -s ptm -x 80 -y 24 "
	   "\"env %s '%s/ptm' --pump '%s' --key '%s' "
	   "--pump-key '%s/pump.pub' %s 2>'%s/ptm.err'; echo ptm exited \\$?; sleep 30\"",
	   F.tmux, env, F.bin, addr, keyfile, e2e_state_dir(F.pump), extra, F.dir);
}

/* open ptm in a fresh 80x24 tmux server; extra: more ptm options */
static void open_ptm(const char *env, const char *extra)
{
	open_ptm_at(env, key("patient"), e2e_addr(F.pump), extra);
}

/* Capture the pane into F.screen.  Returns 0, or -1 when tmux could not
 * answer (then F.screen keeps the last good capture and F.capture_err says
 * why): a failed capture is never taken for a screen, so it cannot fake a
 * GONE nor leave a blank screen in a failure report. */
static int capture(void)
{
	char cmd[512], buf[sizeof F.screen];
	snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p -t ptm 2>&1", F.tmux);
	FILE *p = popen(cmd, "r");
	if (!p) {
		snprintf(F.capture_err, sizeof F.capture_err, "popen: %s", strerror(errno));
		return -1;
	}
	size_t n = fread(buf, 1, sizeof buf - 1, p);
	buf[n] = '\0';
	int rc = pclose(p);
	if (rc != 0) {
		snprintf(F.capture_err, sizeof F.capture_err, "tmux capture-pane (status %d): %.200s",
		         rc, buf);
		return -1;
	}
	memcpy(F.screen, buf, n + 1);
	return 0;
}

/* row y (0-based) of the last capture, in buf */
static void screen_row(int y, char *buf, size_t cap)
{
	const char *s = F.screen;
	for (int i = 0; i < y && s; i++) {
		s = strchr(s, '\n');
		if (s)
			s++;
	}
	size_t n = 0;
	if (s)
		while (s[n] && s[n] != '\n' && n + 1 < cap)
			n++;
	if (s)
		memcpy(buf, s, n);
	buf[n] = '\0';
}

/* re-capture until text is on screen (or is not, with absent=1); row >= 0:
 * only that row counts */
static int wait_text_at(int row, const char *text, int absent)
{
	int64_t end = mono_ms() + wait_ms();
	char r[1024];
	for (;;) {
		if (capture() == 0) {
			const char *hay = F.screen;
			if (row >= 0) {
				screen_row(row, r, sizeof r);
				hay = r;
			}
			if ((strstr(hay, text) != NULL) != absent)
				return 1;
		}
		if (mono_ms() > end)
			return 0;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

/* ptm's stderr, for failure messages */
static const char *ptm_err(void)
{
	static char buf[2048];
	char path[192];
	snprintf(path, sizeof path, "%s/ptm.err", F.dir);
	buf[0] = '\0';
	FILE *f = fopen(path, "r");
	if (f) {
		size_t n = fread(buf, 1, sizeof buf - 1, f);
		buf[n] = '\0';
		fclose(f);
	}
	return buf;
}

static int wait_text(const char *text, int absent)
{
	return wait_text_at(-1, text, absent);
}

/* the headline: row 2 of the device, which fills an 80x24 terminal */
#define HEADLINE_ROW 2

#define HEADLINE(text) cr_assert(wait_text_at(HEADLINE_ROW, (text), 0), \
                                 "the headline never said \"%s\"; screen:\n%s\nptm stderr:\n%s%s", \
                                 (text), F.screen, ptm_err(), F.capture_err)
#define SEE(text) cr_assert(wait_text((text), 0), "never saw \"%s\"; screen:\n%s\nptm stderr:\n%s%s", \
                            (text), F.screen, ptm_err(), F.capture_err)
#define GONE(text) cr_assert(wait_text((text), 1), "\"%s\" stayed; screen:\n%s\nptm stderr:\n%s%s", \
                             (text), F.screen, ptm_err(), F.capture_err)

/* re-capture until the headline says "Next dose in N min" with lo <= N <=
 * hi */
static int wait_countdown(int lo, int hi)
{
	int64_t end = mono_ms() + wait_ms();
	char r[1024];
	for (;;) {
		if (capture() == 0) {
			const char *at;
			int n;
			screen_row(HEADLINE_ROW, r, sizeof r);
			at = strstr(r, "Next dose in ");
			if (at && sscanf(at, "Next dose in %d min", &n) == 1 &&
			    n >= lo && n <= hi)
				return 1;
		}
		if (mono_ms() > end)
			return 0;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

static void keys(const char *k)
{
	sh("tmux -S '%s' send-keys -t ptm %s", F.tmux, k);
}

/* a tester request through the client library */
static void tester(uint8_t type, uint8_t op, uint64_t arg)
{
	if (!F.pump)   /* under valgrind: no pump, no tmux (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	struct client_config cc;
	cr_assert_eq(e2e_client_config(F.pump, "tester", &cc), 0);
	struct msg_request q = { .type = type };
	if (type == MSG_CLOCK) {
		q.u.clock.op = op;
		q.u.clock.arg = arg;
	} else {
		q.u.fault.kind = op;
		q.u.fault.arg = arg;
	}
	struct msg_reply r;
	int rc = client_call(&cc, &q, &r, e2e_ms(5000));
	cr_assert_eq(rc, 0, "tester request: %s", client_strerror(rc));
	cr_assert_eq(r.err, MSG_OK, "tester request refused: %s %s", msg_err_name(r.err),
	             r.detail);
}

/* verifies: SR-UI-001 SR-UI-002 SR-UI-003 SR-ALARM-007 */
Test(tui, dose_lockout_clock_alarm_and_link)
{
	open_ptm("LANG=C.UTF-8", "");
	SEE("Link: connected to pump");
	HEADLINE("Dose available");
	cr_expect(strstr(F.screen, "DOSE") != NULL, "the button is drawn");

	/* press the button: the pump grants it */
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	HEADLINE("Next dose in 30 min");

	/* again: too soon, with the time left (the dose is still running) */
	keys("Space");
	SEE("Too soon: a dose is still running. Next dose in 30 min");

	/* the tester moves the clock past the lockout */
	tester(MSG_CLOCK, MSG_CLOCK_ADVANCE, 30u * 60000u);
	HEADLINE("Dose available");

	/* a low reservoir: the alarm and what to do */
	tester(MSG_FAULT, MSG_FAULT_RESERVOIR, 1500000u);
	SEE("ALARM: Low reservoir");
	SEE("Low reservoir: call your clinic to book a refill");

	/* the pump dies: the remote says so and asks nothing */
	cr_assert_eq(e2e_kill9(F.pump), 0);
	SEE("Link lost: reconnecting...");
	SEE("Pump not connected: no dose possible");
	keys("Space");
	SEE("Pump not connected: no dose asked");

	/* the pump comes back: the remote reconnects by itself */
	cr_assert_eq(e2e_restart(F.pump), 0, "pumpd did not start again");
	SEE("Link: connected to pump");
	SEE("ALARM: Low reservoir");
	GONE("Pump not connected: no dose possible");
}

static int replay(const char *file, char *out, size_t cap);

/* a tester's link fault for the patient's remote (docs/PROTOCOL.md 8.12) */
static void link_fault(uint8_t kind, uint32_t count)
{
	if (!F.pump)   /* under valgrind: no pump, no tmux (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	struct client_config cc;
	cr_assert_eq(e2e_client_config(F.pump, "tester", &cc), 0);
	struct msg_request q = { .type = MSG_LINK };
	q.u.link.kind = kind;
	snprintf(q.u.link.remote, sizeof q.u.link.remote, "patient");
	q.u.link.count = count;
	struct msg_reply r;
	int rc = client_call(&cc, &q, &r, e2e_ms(5000));
	cr_assert_eq(rc, 0, "LINK: %s", client_strerror(rc));
	cr_assert_eq(r.err, MSG_OK, "LINK refused: %s %s", msg_err_name(r.err), r.detail);
}

/* ptm recording into rec (F.dir/name) with the clock frozen (exact
 * amounts), connected and a dose available */
static void open_recorded(const char *name, char *rec, size_t cap)
{
	char extra[320];
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	snprintf(rec, cap, "%s/%s", F.dir, name);
	snprintf(extra, sizeof extra, "--record '%s'", rec);
	open_ptm("LANG=C.UTF-8", extra);
	SEE("Link: connected to pump");
	HEADLINE("Dose available");
}

/* verifies: SR-UI-002 SR-FAULT-001 SR-REQ-002 */
Test(tui, a_lost_reply_shows_incomplete_and_the_retry_the_real_outcome_once,
     .timeout = 120)
{
	char rec[256], out[8192];
	open_recorded("lost.scn", rec, sizeof rec);
	/* the pump grants the dose, but its reply never reaches the remote */
	link_fault(MSG_LINK_DROP_REPLIES, 1);
	keys("Space");
	SEE("Asking the pump for a dose...");
	/* no answer in time: incomplete communication, asked again (same id) */
	SEE("Incomplete communication");
	cr_assert(strstr(F.screen, "Dose started:") == NULL,
	          "a dose shown before the pump said so:\n%s", F.screen);
	/* the pump's stored reply: the real outcome, once */
	SEE("Dose started: 50 mcg over 10 min");
	GONE("Incomplete communication");
	cr_assert_eq(e2e_log_count(F.pump, "stored reply sent again"), 1,
	             "the retry kept the request id");
	cr_assert_eq(e2e_log_count(F.pump, "bolus granted"), 1, "one dose given");
	/* the recording has that one bolus, and replays */
	keys("q");
	SEE("ptm exited 0");
	int rc = replay(rec, out, sizeof out);
	cr_assert_eq(rc, 0, "the replay failed (%d):\n%s", rc, out);
	cr_assert(strstr(out, "not ok") == NULL, "%s", out);
	const char *g = strstr(out, "expect outcome granted");
	cr_assert(g && !strstr(g + 1, "expect outcome granted"),
	          "one granted bolus in the recording:\n%s", out);
}

/* `ptmctl run FILE` on a recording: its exit status, its TAP in out */
static int replay(const char *file, char *out, size_t cap)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "'%s/ptmctl' run --pumpd '%s/pumpd' '%s' 2>&1",
	         F.bin, F.bin, file);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(out, 1, cap - 1, p);
	out[n] = '\0';
	int st = pclose(p);
	return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

/* ptm --record: a session in tmux, replayed by ptmctl run */
Test(tui, a_recorded_session_replays_as_a_test, .timeout = 120)
{
	char rec[256], bad[256], out[8192];
	open_recorded("session.scn", rec, sizeof rec);
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	/* time moved by a tester, a second dose, one refused */
	tester(MSG_CLOCK, MSG_CLOCK_ADVANCE, 30u * 60000u);
	HEADLINE("Dose available");
	keys("Space");
	SEE("Doses in 24 h: 2 of 6");
	keys("Space");
	SEE("Too soon: a dose is still running");
	keys("q");
	SEE("ptm exited 0");

	/* what it wrote replays against a new pump, every expectation met */
	int rc = replay(rec, out, sizeof out);
	cr_assert_eq(rc, 0, "the replay failed (%d):\n%s", rc, out);
	cr_assert(strstr(out, "not ok") == NULL, "%s", out);
	cr_assert(strstr(out, "expect outcome granted"), "%s", out);
	cr_assert(strstr(out, "expect outcome running") ||
	          strstr(out, "expect outcome lockout"), "%s", out);

	/* an expectation altered (the first grant said to be a lockout) fails */
	FILE *f = fopen(rec, "r");
	cr_assert_not_null(f);
	static char text[65536];
	size_t n = fread(text, 1, sizeof text - 1, f);
	text[n] = '\0';
	fclose(f);
	char *g = strstr(text, "expect outcome granted");
	cr_assert_not_null(g, "%s", text);
	snprintf(bad, sizeof bad, "%s/altered.scn", F.dir);
	f = fopen(bad, "w");
	cr_assert_not_null(f);
	fwrite(text, 1, (size_t)(g - text), f);
	fputs("expect outcome lockout", f);
	fputs(g + strlen("expect outcome granted"), f);
	fclose(f);
	rc = replay(bad, out, sizeof out);
	cr_assert_neq(rc, 0, "an altered expectation passed:\n%s", out);
	cr_assert(strstr(out, "not ok"), "%s", out);
}

/* verifies: SR-UI-001 */
Test(tui, countdown_follows_the_pump_clock_speed)
{
	open_ptm("LANG=C.UTF-8", "");
	SEE("Link: connected to pump");
	/* frozen: the countdown stands still */
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	HEADLINE("Next dose in 30 min");
	/* a minute of pump time a second: the remote counts down by itself,
	 * before the pump's next notification (the dose ends at 10 min, 20 min
	 * before the next dose): any of 29 to 21 min shows it, each a second
	 * on screen (one exact minute could pass between two captures of a
	 * busy machine) */
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 60);
	cr_assert(wait_countdown(21, 29), "the headline never counted down below "
	          "30 min; screen:\n%s\nptm stderr:\n%s%s", F.screen, ptm_err(),
	          F.capture_err);
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
}

/* verifies: SR-ALARM-007 */
Test(tui, alarm_screen_silence_and_help)
{
	open_ptm("LANG=C.UTF-8", "");
	SEE("Link: connected to pump");
	tester(MSG_FAULT, MSG_FAULT_MOTOR_STALL, 0);
	SEE("ALARM: Pump motor stopped");
	SEE("No dose: pump alarm");
	keys("a");
	SEE("What to do: Call your clinic now");
	keys("m");
	SEE("Alarm silenced for now: it will sound again if not fixed");
	SEE("ALARM: Pump motor stopped (silenced)");
	keys("Space");
	SEE("No dose: the pump has an alarm. See the alarm");
	keys("?");
	SEE("Help: every key");
	SEE("quit the remote");
	keys("b");
	GONE("Help: every key");
	/* q quits ptm cleanly (status 0: also no sanitizer report at exit) */
	keys("q");
	SEE("ptm exited 0");
	GONE("DOSE");
}

/* issue 14, item 3: a remote that cannot get a link says why and where */
Test(tui, no_pump_at_the_address_says_which)
{
	char addr[256], want[300];
	/* a wrong socket path */
	snprintf(addr, sizeof addr, "unix:%s/nosuch.sock", F.dir);
	open_ptm_at("LANG=C.UTF-8", key("patient"), addr, "");
	HEADLINE("Pump not found");
	snprintf(want, sizeof want, "No pump answers at %s (no such", addr);
	SEE(want);
	SEE("Is pumpd running");
	keys("q");
	SEE("ptm exited 0");
}

Test(tui, an_unpaired_key_is_told_so)
{
	if (under_valgrind())
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	sh("'%s/ptm' --keygen '%s/stranger' >/dev/null", F.bin, F.dir);
	char stranger[300];
	snprintf(stranger, sizeof stranger, "%s/stranger.key", F.dir);
	open_ptm_at("LANG=C.UTF-8", stranger, e2e_addr(F.pump), "");
	HEADLINE("The pump refused this remote");
	SEE("refused this remote's key.");
	SEE("not paired");
	SEE("Link: refused by the pump, retrying...");
}

/* issue 14, item 5: the demo as a newcomer runs it: it waits for Enter
 * (README says so), passes its arguments to ptm once, and when the remote
 * quits says that it stops its pump, and does */
Test(tui, demo_waits_for_enter_and_says_it_stops_its_pump)
{
	if (under_valgrind())
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	const char *src = getenv("PTM_SRCDIR");
	char b[192], top[512];
	snprintf(top, sizeof top, "%s", src ? src : ".");
	/* a build directory of its own: the real pumpd, and a ptm that notes
	 * its arguments before it runs the real one */
	snprintf(b, sizeof b, "%s/b", F.dir);
	sh("mkdir '%s' && ln -s '%s/pumpd' '%s/pumpd'", b, F.bin, b);
	sh("printf '#!/bin/sh\\necho \"$*\" >>\"%s/ptm.args\"\\nexec \"%s/ptm\" \"$@\"\\n' "
	   ">'%s/ptm' && chmod 755 '%s/ptm'", F.dir, F.bin, b, b);
	sh("tmux -S '%s' -f /dev/null new-session -d -s ptm -x 80 -y 24 "
	   "\"cd '%s' && BUILD='%s' sh scripts/demo.sh --ascii; echo demo exited \\$?; sleep 30\"",
	   F.tmux, top, b);
	SEE("Press Enter to open the remote.");
	SEE("demo then stops its simulated pump");
	keys("Enter");
	SEE("Link: connected to pump");
	SEE("+-- ptm  patient remote");       /* --ascii reached ptm */
	keys("q");
	SEE("ptm demo: the remote quit; stopping the demo's simulated pump");
	SEE("demo exited 0");
	/* ptm got the demo's arguments once */
	char path[600], line[1024], last[1024] = "";
	snprintf(path, sizeof path, "%s/ptm.args", F.dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	while (fgets(line, sizeof line, f))
		if (strstr(line, "--pump "))
			snprintf(last, sizeof last, "%s", line);
	fclose(f);
	const char *a = strstr(last, "--ascii");
	cr_assert_not_null(a, "ptm ran with: %s", last);
	cr_expect_null(strstr(a + 1, "--ascii"), "--ascii twice: %s", last);
	/* and the pump is stopped */
	snprintf(line, sizeof line, "'%s/pumpd' status '%s/demo/pump' >/dev/null 2>&1", F.bin, b);
	int rc = system(line);
	cr_expect(WIFEXITED(rc) && WEXITSTATUS(rc) != 0, "the demo pump still runs");
	/* README says the demo waits for Enter */
	snprintf(path, sizeof path, "%s/README.md", top);
	f = fopen(path, "r");
	cr_assert_not_null(f);
	static char readme[65536];
	size_t n = fread(readme, 1, sizeof readme - 1, f);
	readme[n] = '\0';
	fclose(f);
	cr_expect_not_null(strstr(readme, "waits for Enter"));
}

/* issue 14, item 2: seven alarms at 80x24: the alarm screen shows each
 * with its explanation, scrolling */
Test(tui, alarm_screen_scrolls_at_80x24)
{
	open_ptm("LANG=C.UTF-8", "");
	SEE("Link: connected to pump");
	tester(MSG_FAULT, MSG_FAULT_MOTOR_STALL, 0);
	tester(MSG_FAULT, MSG_FAULT_MEMORY, 0);
	tester(MSG_FAULT, MSG_FAULT_MEMORY_CRITICAL, 0);
	tester(MSG_FAULT, MSG_FAULT_BATTERY_ERI, 0);
	tester(MSG_FAULT, MSG_FAULT_BATTERY_EOS, 0);
	tester(MSG_FAULT, MSG_FAULT_RESERVOIR, 0);
	SEE("and 6 more: press a");
	keys("a");
	SEE("Lines 1-10 of");
	static const char *const want[] = {
		"The pump's motor stalled", "minor error in its memory",
		"must be replaced within 90 days", "The pump is out of medicine",
		"The pump is running low on medicine", "Pump memory failure",
		"Pump battery empty",
	};
	int seen[7] = { 0 };
	for (int page = 0; page < 6; page++) {
		cr_assert_eq(capture(), 0, "%s", F.capture_err);
		for (int i = 0; i < 7; i++)
			seen[i] |= strstr(F.screen, want[i]) != NULL;
		if (strstr(F.screen, "Up or PgUp to go back"))
			break;
		char before[sizeof F.screen];
		memcpy(before, F.screen, sizeof before);
		keys("PgDn");
		/* wait for the page to change */
		int64_t end = mono_ms() + wait_ms();
		while (capture() == 0 && strcmp(before, F.screen) == 0 && mono_ms() < end) {
			struct timespec ts = { 0, 20 * 1000000L };
			nanosleep(&ts, NULL);
		}
	}
	for (int i = 0; i < 7; i++)
		cr_expect(seen[i], "never saw \"%s\" on the alarm screen", want[i]);
	SEE("Up or PgUp to go back");
	keys("Up");
	SEE("Up / Down to scroll");
}

/* the remote's own battery: low says so, empty stops the remote until p */
Test(tui, remote_battery_low_says_so)
{
	open_ptm("LANG=C.UTF-8", "--remote-battery 15");
	SEE("Link: connected to pump");
	SEE("Remote battery low (15%): put new batteries in soon (p).");
	SEE("\u25cf Remote battery");       /* its light is on */
}

Test(tui, an_empty_remote_stops_until_p)
{
	/* 1% of a minute's battery: empty within a second */
	open_ptm("LANG=C.UTF-8", "--remote-battery 1 --remote-battery-life 1min");
	HEADLINE("Remote batteries empty");
	SEE("Press p to put new batteries in (q quits)");
	keys("Space");
	keys("r");
	SEE("Remote off: no link to the pump");
	keys("p");
	SEE("New batteries in the remote: 100%");
	SEE("Link: connected to pump");
	HEADLINE("Dose available");
	SEE("Doses in 24 h: 0 of 6");        /* the empty remote asked for none */
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
}

/* verifies: SR-UI-004 */
Test(tui, resize_monochrome_ascii)
{
	open_ptm("LANG=C NO_COLOR=1", "");
	SEE("Link: connected to pump");
	SEE("+-- ptm  patient remote");
	SEE("( ) ALARM");                /* ASCII lights (no alarm yet: off) */
	sh("tmux -S '%s' resize-window -t ptm -x 60 -y 20", F.tmux);
	SEE("Make the window at least 80x24");
	SEE("Dose available");           /* the headline, on the first row */
	sh("tmux -S '%s' resize-window -t ptm -x 100 -y 30", F.tmux);
	SEE("Link: connected to pump");
	GONE("Make the window at least 80x24");
}

/* training lesson 2 on a pump with a dose available: a dose, then a
 * second press while it runs */
static void lesson2_dose_then_again(void)
{
	keys("2");
	SEE("Lesson 2, step 1 of 6");
	keys("n");
	SEE("Lesson 2, step 2 of 5");
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	keys("Space");
}

/* verifies: SR-UI-005 */
Test(tui, training_skips_time)
{
	char extra[256];
	snprintf(extra, sizeof extra, "--train --tester-key '%s'", key("tester"));
	open_ptm("LANG=C.UTF-8", extra);
	SEE("Your first dose: ask the pump");
	GONE("need ptm --tester-key");   /* it has one */
	/* a dose is available: the step that waits for one is done before it
	 * shows, and is not counted (the numbers never jump) */
	lesson2_dose_then_again();
	SEE("Too soon: a dose is still running. Next dose in 30 min");
	SEE("Lesson 2, step 3 of 5");
	SEE("that press gave no extra");
	/* 80x24 with the lesson panel: the home screen is not cut */
	SEE("Dose running: ends in 10 min");
	SEE("Doses in 24 h: 1 of 6");
	keys("n");
	SEE("Lesson 2, step 4 of 5");
	keys("f");
	HEADLINE("Dose available");
	SEE("The pump's clock moved forward by 30 min");
	SEE("Lesson 2, step 5 of 5");
	keys("n");
	SEE("Lesson 2 done");
	keys("n");                       /* the list: lesson 2 is marked */
	SEE("2  done  Why \"too soon\"");
	SEE("1        Your first dose");
}

/* issue 14, item 9: the training pump starts over with o; without a
 * tester key the lessons that act on the pump say so */
Test(tui, training_pump_starts_over)
{
	char extra[256];
	snprintf(extra, sizeof extra, "--train --tester-key '%s'", key("tester"));
	open_ptm("LANG=C.UTF-8", extra);
	SEE("Link: connected to pump");
	keys("b");
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	tester(MSG_FAULT, MSG_FAULT_MOTOR_STALL, 0);
	tester(MSG_FAULT, MSG_FAULT_RESERVOIR, 1000000u);
	tester(MSG_FAULT, MSG_FAULT_BATTERY_ERI, 0);
	SEE("ALARM: Pump motor stopped, and 2 more");
	keys("o");
	SEE("Training: the pump starts over");
	GONE("ALARM:");
	HEADLINE("Dose available");
	SEE("Reservoir:     20.00 mL of 20 mL");
	SEE("Doses in 24 h: 0 of 6");
}

Test(tui, lessons_that_act_on_the_pump_need_a_tester_key)
{
	open_ptm("LANG=C.UTF-8", "--train");
	SEE("Lessons 4 and 5 act on the pump: they need ptm --tester-key FILE");
	keys("4");
	SEE("Lesson 4 acts on the pump: it needs ptm --tester-key FILE");
	GONE("Lesson 4, step");
}

/* The pump keeps one session per key, and the demo's tester runs ptmctl
 * with the key ptm got as --tester-key: a tester link held open by ptm
 * replaced every ptmctl session (ptmctl watch flapped "link down" forever,
 * a slow ptmctl command lost its reply).  ptm opens it only for a training
 * action and closes it when the reply is in. */
Test(tui, tester_link_only_for_a_training_action)
{
	char extra[256];
	snprintf(extra, sizeof extra, "--train --tester-key '%s'", key("tester"));
	open_ptm("LANG=C.UTF-8", extra);
	SEE("Link: connected to pump");
	/* idle: no tester session (a wrong one shows within the deadline) */
	cr_assert_neq(e2e_log_wait(F.pump, "tester (tester): session open", 2000), 0,
	              "ptm opened the tester session while idle");
	lesson2_dose_then_again();
	SEE("Lesson 2, step 3 of 5");
	keys("n");
	SEE("Lesson 2, step 4 of 5");
	keys("f");                       /* the skip: a tester request */
	HEADLINE("Dose available");
	cr_assert_eq(e2e_log_wait(F.pump, "tester: session closed", WAIT_MS * F.slow), 0,
	             "ptm kept the tester session after the skip");
	/* a tester elsewhere with the same key replaces nothing */
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	cr_expect_eq(e2e_log_count(F.pump, "replaces the old one"), 0);
	keys("f");                       /* nothing to skip: said, no request */
	SEE("Nothing to wait for: a dose is available");
	cr_expect_eq(e2e_log_count(F.pump, "tester (tester): session open"), 2,
	             "one session for the skip, one for tester()");
}

/* verifies: SR-UI-005 */
Test(tui, training_alarm_lesson_fits_80x24)
{
	char extra[256];
	snprintf(extra, sizeof extra, "--train --tester-key '%s'", key("tester"));
	open_ptm("LANG=C.UTF-8", extra);
	SEE("What an alarm means: read an alarm");
	keys("4");
	SEE("Lesson 4, step 1 of 5");
	keys("n");                       /* the lesson makes a low reservoir */
	SEE("ALARM: Low reservoir");
	SEE("Lesson 4, step 3 of 5");
	/* the alarm, what to do, the lesson and the link, all at 80x24 */
	SEE("Low reservoir: call your clinic to book a refill");
	SEE("Press a to read what the alarm means and what to do.");
	SEE("Doses in 24 h: 0 of 6");
	SEE("Link: connected to pump");
	keys("a");
	SEE("What to do: Call your clinic to book a refill.");
	SEE("Lesson 4, step 4 of 5");
	keys("m");
	SEE("ALARM: Low reservoir (silenced)");
	SEE("Lesson 4, step 5 of 5");
	keys("n");
	SEE("Lesson 4 done");
}

/* The daily limit lesson as a trainee does it, against the real pump: a
 * dose, f, a dose ... until the last allowed one.  It used to wait for a
 * "Daily limit reached" answer, which a press never got while the last
 * dose ran ("running"), and f then skipped past the limit: the lesson could
 * not be finished.  Then the refill lesson refills the pump (the low
 * reservoir alarm goes). */
/* verifies: SR-UI-005 */
Test(tui, training_daily_limit_and_refill, .timeout = 120)
{
	char extra[256], text[64];
	snprintf(extra, sizeof extra, "--train --tester-key '%s'", key("tester"));
	open_ptm("LANG=C.UTF-8", extra);
	SEE("Link: connected to pump");
	keys("3");
	SEE("Lesson 3, step 1 of 4");
	keys("n");
	SEE("Lesson 3, step 2 of 4");
	for (int i = 1; i <= 6; i++) {
		HEADLINE("Dose available");
		keys("Space");
		snprintf(text, sizeof text, "Doses in 24 h: %d of 6", i);
		SEE(text);
		if (i < 6) {
			HEADLINE("Next dose in 30 min");
			keys("f");
		}
	}
	SEE("Lesson 3, step 3 of 4");
	SEE("That was the last dose allowed in 24 hours.");
	keys("Space");                   /* the pump says no while it runs */
	SEE("Too soon: a dose is still running.");
	keys("n");
	SEE("Lesson 3, step 4 of 4");
	keys("n");
	SEE("Lesson 3 done");
	keys("n");
	SEE("Refill reminders: the refill date");

	tester(MSG_FAULT, MSG_FAULT_RESERVOIR, 1500000u);
	SEE("ALARM: Low reservoir");
	keys("5");
	SEE("Lesson 5, step 1 of 6");
	keys("n");
	SEE("Lesson 5, step 2 of 6");    /* shown before it is done: counted */
	keys("s");
	SEE("Lesson 5, step 3 of 6");
	SEE("Next refill:    due now");
	keys("n");
	SEE("Lesson 5, step 4 of 6");
	keys("n");                       /* the remote refills the pump */
	SEE("Training: the pump's reservoir now holds 20.00 mL");
	GONE("ALARM: Low reservoir");
	SEE("Lesson 5, step 6 of 6");
	keys("n");
	SEE("Lesson 5 done");
}

/* verifies: SR-KEY-001 */
Test(tui, refuses_a_loose_key_file)
{
	char path[192], cmd[2048];
	if (under_valgrind())
		cr_skip_test("end-to-end tests do not run under valgrind");
	cr_assert_eq(chmod(key("patient"), 0644), 0);
	snprintf(cmd, sizeof cmd,
	         "'%s/ptm' --pump '%s' --key '%s' --pump-key '%s/pump.pub' "
	         ">'%s/out' 2>&1 </dev/null", F.bin, e2e_addr(F.pump), key("patient"),
	         e2e_state_dir(F.pump), F.dir);
	int rc = system(cmd);
	cr_assert(WIFEXITED(rc));
	cr_expect_eq(WEXITSTATUS(rc), 2);
	snprintf(path, sizeof path, "%s/out", F.dir);
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f);
	char out[512] = "";
	size_t n = fread(out, 1, sizeof out - 1, f);
	out[n] = '\0';
	fclose(f);
	cr_expect(strstr(out, "chmod 600") != NULL, "says how to fix it: %s", out);
}

/* the options named in text (an option is -h or --word-word), as a list of
 * "|opt|" in out */
static void options_in(const char *text, char *out, size_t cap)
{
	regex_t re;
	regmatch_t m[2];
	cr_assert_eq(regcomp(&re, "(^|[^-a-z])(-h|--[a-z][-a-z]*)", REG_EXTENDED), 0);
	out[0] = '\0';
	const char *p = text;
	while (regexec(&re, p, 2, m, 0) == 0) {
		char opt[64], key[70];
		int n = (int)(m[0].rm_eo - m[0].rm_so);
		const char *o = p + m[0].rm_so;
		while (n > 0 && *o != '-') {
			o++;
			n--;
		}
		snprintf(opt, sizeof opt, "%.*s", n, o);
		snprintf(key, sizeof key, "|%s|", opt);
		if (!strstr(out, key) && strlen(out) + strlen(key) < cap)
			strcat(out, key);
		p += m[0].rm_eo;
	}
	regfree(&re);
}

/* every name in a (as |x|) is in b */
static const char *missing(const char *a, const char *b)
{
	static char miss[256];
	miss[0] = '\0';
	const char *p = a;
	while ((p = strchr(p, '|')) && p[1]) {
		const char *e = strchr(p + 1, '|');
		char key[70];
		snprintf(key, sizeof key, "%.*s", (int)(e - p + 1), p);
		if (!strstr(b, key) && strlen(miss) + strlen(key) < sizeof miss)
			strcat(miss, key);
		p = e + 1;
	}
	return miss;
}

Test(tui, help_and_man_page_name_the_same_options)
{
	char cmd[512], help[8192], man[32768], opt_help[1024], opt_man[1024];
	snprintf(cmd, sizeof cmd, "'%s/ptm' --help", F.bin);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = fread(help, 1, sizeof help - 1, p);
	help[n] = '\0';
	cr_assert_eq(pclose(p), 0, "ptm --help exits 0");

	const char *src = getenv("PTM_SRCDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/docs/ptm.1", src ? src : ".");
	FILE *f = fopen(path, "r");
	cr_assert_not_null(f, "%s", path);
	n = fread(man, 1, sizeof man - 1, f);
	man[n] = '\0';
	fclose(f);
	/* the OPTIONS section, with roff's \- as - */
	char *o = strstr(man, "\n.SH OPTIONS\n");
	cr_assert_not_null(o);
	char *end = strstr(o + 1, "\n.SH ");
	if (end)
		*end = '\0';
	char *w = o;
	for (char *r = o; *r; r++) {
		if (r[0] == '\\' && r[1] == '-')
			continue;
		*w++ = *r;
	}
	*w = '\0';
	options_in(help, opt_help, sizeof opt_help);
	options_in(o, opt_man, sizeof opt_man);
	cr_expect(strstr(opt_help, "|--remote-battery|") != NULL, "%s", opt_help);
	const char *m = missing(opt_help, opt_man);
	cr_expect(m[0] == '\0', "in ptm --help, not in ptm(1) OPTIONS: %s", m);
	m = missing(opt_man, opt_help);
	cr_expect(m[0] == '\0', "in ptm(1) OPTIONS, not in ptm --help: %s", m);
}

/* ptm under valgrind: every screen, a dose, a resize, q.  Exit status 0
 * with --error-exitcode=9 means no memory error and no leak, possible ones
 * included (curses' own memory was "possibly lost" with initscr: the
 * SCREEN is now made with newterm and freed with delscreen). */
/* ptm is built as this test is: with ASan it cannot run under valgrind */
#if defined(__SANITIZE_ADDRESS__)
#define SANITIZED 1
#elif defined(__has_feature)
#if __has_feature(address_sanitizer)
#define SANITIZED 1
#endif
#endif
#ifndef SANITIZED
#define SANITIZED 0
#endif

Test(tui, valgrind_finds_nothing, .timeout = 300)
{
	if (SANITIZED)
		cr_skip_test("a sanitizer build of ptm does not run under valgrind");
	if (system("command -v valgrind >/dev/null 2>&1") != 0)
		cr_skip_test("valgrind is not installed");
	char env[512];
	snprintf(env, sizeof env,
	         "LANG=C.UTF-8 valgrind -q --leak-check=full --error-exitcode=9 "
	         "--log-file='%s/vg.log'", F.dir);
	F.slow = VALGRIND_SLOWDOWN;
	open_ptm(env, "");
	SEE("Link: connected to pump");
	HEADLINE("Dose available");
	keys("Space");
	SEE("Dose started: 50 mcg over 10 min");
	tester(MSG_FAULT, MSG_FAULT_RESERVOIR, 1500000u);
	SEE("ALARM: Low reservoir");
	keys("a");
	SEE("What to do: Call your clinic to book a refill.");
	keys("m");
	SEE("ALARM: Low reservoir (silenced)");
	keys("s");
	SEE("Status  (b: back)");
	keys("h");
	SEE("Last doses  (b: back)");
	keys("?");
	SEE("Help: every key");
	sh("tmux -S '%s' resize-window -t ptm -x 100 -y 30", F.tmux);
	sh("tmux -S '%s' resize-window -t ptm -x 80 -y 24", F.tmux);
	keys("b");
	GONE("Help: every key");
	keys("q");
	char log[192];
	snprintf(log, sizeof log, "%s/vg.log", F.dir);
	cr_assert(wait_text("ptm exited", 0), "ptm did not exit; screen:\n%s", F.screen);
	FILE *f = fopen(log, "r");
	char text[8192] = "";
	if (f) {
		size_t n = fread(text, 1, sizeof text - 1, f);
		text[n] = '\0';
		fclose(f);
	}
	cr_expect(strstr(F.screen, "ptm exited 0") != NULL,
	          "ptm under valgrind did not exit 0; valgrind said:\n%s", text);
}

/* ---- the clinician's programmer (ptm --clinician) ------------------------------- */

/* a request as the tester (its own key: the programmer's session stays) */
static void tester_req(struct msg_request *q)
{
	if (!F.pump)   /* under valgrind: no pump, no tmux (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	struct client_config cc;
	struct msg_reply r;
	cr_assert_eq(e2e_client_config(F.pump, "tester", &cc), 0);
	int rc = client_call(&cc, q, &r, e2e_ms(5000));
	cr_assert_eq(rc, 0, "tester request: %s", client_strerror(rc));
	cr_assert_eq(r.err, MSG_OK, "tester request refused: %s %s", msg_err_name(r.err),
	             r.detail);
}

/* the patient's remote beside the programmer: tmux session "pat" */
static char pat_screen[8192];

static int wait_pat(const char *text)
{
	int64_t end = mono_ms() + wait_ms();
	char cmd[512];
	snprintf(cmd, sizeof cmd, "tmux -S '%s' capture-pane -p -t pat 2>/dev/null", F.tmux);
	for (;;) {
		FILE *p = popen(cmd, "r");
		if (p) {
			size_t n = fread(pat_screen, 1, sizeof pat_screen - 1, p);
			pat_screen[n] = '\0';
			if (pclose(p) == 0 && strstr(pat_screen, text))
				return 1;
		}
		if (mono_ms() > end)
			return 0;
		struct timespec ts = { 0, 20 * 1000000L };
		nanosleep(&ts, NULL);
	}
}

#define PAT_SEE(text) cr_assert(wait_pat(text), "the patient's remote never showed \"%s\":\n%s", \
                                (text), pat_screen)

/* the patient's remote in tmux session "pat" */
static void open_pat(void)
{
	sh("tmux -S '%s' -f /dev/null new-session -d -s pat -x 80 -y 24 "
	   "\"env LANG=C.UTF-8 '%s/ptm' --pump '%s' --key '%s' --pump-key '%s/pump.pub' "
	   "2>'%s/pat.err'; sleep 30\"",
	   F.tmux, F.bin, e2e_addr(F.pump), key("patient"), e2e_state_dir(F.pump), F.dir);
	PAT_SEE("Link: connected to pump");
}

/* verifies: SR-UI-001 */
Test(tui, programmer_refill_with_a_new_concentration_and_a_bridge_bolus)
{
	if (under_valgrind())   /* no pump under valgrind (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	struct msg_request q;
	/* the implanted system's volumes (the bridge needs them); the clock
	 * frozen so that the pump's figures hold still */
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	memset(&q, 0, sizeof q);
	q.type = MSG_CONFIG;
	q.u.config.tubing_nl = 260000;
	q.u.config.catheter_mm = 900;
	q.u.config.catheter_nl_per_mm = 220;
	tester_req(&q);

	/* the patient's remote in its own session, the programmer in "ptm" */
	open_pat();
	open_ptm_at("LANG=C.UTF-8", key("clinician"), e2e_addr(F.pump), "--clinician");
	SEE("ptm  clinician programmer");
	SEE("Since the log start");
	SEE("baclofen 2 mg/mL, continuous");
	cr_assert_null(strstr(F.screen, "DOSE"), "no DOSE button on the programmer");

	keys("r");
	SEE("1. Empty the reservoir. Volume withdrawn (mL):");
	keys("1 9 . 5 Enter");
	SEE("Withdrawn  19.50 mL");
	SEE("2. Fill it. Volume put in (mL):");
	keys("2 0 Enter");
	SEE("3. The new drug's concentration (mg/mL):");
	keys("1 Enter");   /* baclofen's library limit is 2 mg/mL */
	SEE("2 mg/mL now, 1 mg/mL after: THE CONCENTRATION CHANGES");
	SEE("Review. Enter: send the refill to the pump");
	keys("Enter");
	SEE("Pump's check: ");
	SEE("A bridge bolus is due: start it now? y: yes   n: no");
	PAT_SEE("Your pump was refilled");
	keys("y");
	/* 0.26 mL of tubing + 900 mm x 220 nL/mm = 0.458 mL of the old 2 mg/mL */
	SEE("Bridge: 0.916 mg (0.458 mL)");
	/* the patient's remote says whose bolus runs (PROTOCOL.md 8.15) */
	PAT_SEE("Clinic bolus running (bridge: the old drug");
	keys("Enter");
	SEE("Since the refill");
	keys("c");
	SEE("drug per hour");
	keys("q");
	cr_assert(wait_text("ptm exited 0", 0), "the programmer did not quit; screen:\n%s", F.screen);
}

/* the pump's state as the tester reads it */
static struct msg_state pump_state(void)
{
	struct msg_request q = { .type = MSG_STATUS };
	struct client_config cc;
	static struct msg_reply r;
	cr_assert_eq(e2e_client_config(F.pump, "tester", &cc), 0);
	cr_assert_eq(client_call(&cc, &q, &r, e2e_ms(5000)), 0);
	return r.state;
}

/* verifies: SR-UI-001 */
Test(tui, programmer_stages_then_confirms_and_the_patient_sees_it)
{
	if (under_valgrind())   /* no pump under valgrind (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	char path[256];
	snprintf(path, sizeof path, "%s/rx2.txt", F.dir);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	/* the test's prescription with 0.6 mg/day and a 1 h lockout */
	for (const char *l = rx; *l; ) {
		size_t n = strcspn(l, "\n");
		if (strncmp(l, "daily_rate", 10) == 0)
			fputs("daily_rate = 0.6 mg/day\n", f);
		else if (strncmp(l, "lockout", 7) == 0)
			fputs("lockout = 1 h\n", f);
		else
			fprintf(f, "%.*s\n", (int)n, l);
		l += n + (l[n] == '\n');
	}
	cr_assert_eq(fclose(f), 0);

	open_pat();
	open_ptm_at("LANG=C.UTF-8", key("clinician"), e2e_addr(F.pump), "--clinician");
	SEE("Since the log start");
	keys("p");
	SEE("Program from a prescription file");
	SEE("the pump compares (nothing changes yet)");   /* HELLO: the pump stages */
	sh("tmux -S '%s' send-keys -t ptm -l '%s'", F.tmux, path);
	keys("Enter");
	/* STAGE's reply: the pump's comparison, held pending */
	SEE("Staged as session 1: nothing changes until you confirm");
	SEE("drug a day       0.4 mg/day             0.6 mg/day            <-");
	SEE("lockout          30 min                 1 h                   <-");
	SEE("Enter: confirm, the pump takes it   x: cancel it");
	cr_assert_eq(pump_state().lockout_ms, 1800000, "staged: nothing changed yet");
	PAT_SEE("Programming pending: your current prescription runs.");

	/* left pending: the interrogation says so; p comes back to it */
	keys("Escape");
	SEE("PROGRAMMING PENDING (session 1, staged");
	keys("p");
	SEE("session 1        current                pending (the pump's)");
	keys("Enter");
	SEE("Programmed: the new prescription is in force");
	SEE("session 1        before                 now");
	SEE("Enter: back to the interrogation");
	struct msg_state st = pump_state();
	cr_assert_eq(st.lockout_ms, 3600000);
	cr_assert_eq(st.basal_ng_day, 600000);
	PAT_SEE("Your clinic changed your prescription");
	sh("tmux -S '%s' send-keys -t pat s", F.tmux);
	PAT_SEE("every 1 h at most");
	PAT_SEE("continuous, 0.6 mg a day now");
	cr_assert_null(strstr(pat_screen, "Programming pending"), "%s", pat_screen);
	keys("Enter");
	SEE("Clinician programmer: interrogation");
	SEE("Basal      0.6 mg/day");
	cr_assert_null(strstr(F.screen, "PROGRAMMING PENDING"), "%s", F.screen);
}

/* verifies: SR-UI-001 */
Test(tui, programmer_alarm_test_plays_on_the_patients_remote)
{
	if (under_valgrind())   /* no pump under valgrind (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	open_pat();
	open_ptm_at("LANG=C.UTF-8", key("clinician"), e2e_addr(F.pump), "--clinician");
	SEE("Since the log start");
	keys("a");
	SEE("4: Reservoir empty (high)");
	keys("4");
	SEE("Alarm test: Reservoir empty sent to every remote connected now");
	PAT_SEE("Alarm test: Reservoir empty (this is its sound)");
	cr_assert_eq(pump_state().n_alarms, 0, "a test raises no alarm");
	keys("Escape");
	SEE("Alarms     none");
}

/* verifies: SR-UI-001 */
Test(tui, clinician_lesson_refill_with_a_discrepancy_end_to_end)
{
	if (under_valgrind())   /* no pump under valgrind (see setup) */
		cr_skip_test("tmux end-to-end tests do not run under valgrind");
	tester(MSG_CLOCK, MSG_CLOCK_SPEED, 0);
	open_ptm_at("LANG=C.UTF-8", key("clinician"), e2e_addr(F.pump), "--clinician --train");
	SEE("ptm  clinician programmer  TRAINING");
	SEE("Clinician lessons: press a number to start one");
	SEE("Interrogated:");
	keys("2");
	/* 20 mL in the reservoir of 20 mL: 20 - (4 + 1) = 15 mL */
	SEE("In this exercise the syringe shows 15 mL withdrawn from the reservoir.");
	keys("n");
	SEE("Refill: r, withdrawn 15 mL, then 20 mL at the same concentration");
	keys("r");
	SEE("Volume withdrawn (mL):");
	keys("1 5 Enter 2 0 Enter 2 Enter");
	SEE("Review. Enter: send the refill to the pump");
	keys("Enter");
	/* (the pump ran at real time for a moment: its count may be a few nL
	 * under 20 mL; the syringe's volume is rounded to 0.1 mL) */
	SEE("Pump's check: ");
	SEE(": DISCREPANCY");
	SEE("Lesson 2, step 3 of 3");
	SEE("The pump flagged a DISCREPANCY");
	keys("Enter");
	keys("n");
	SEE("Lesson 2 done: Refill: notice a discrepancy");
	keys("l");
	SEE("2  done  Refill: notice a discrepancy");
}
