/*
 * tests/test_ptmctl_cli.c — the ptmctl program as a script uses it, against
 * a real pumpd (tests/lib/e2e.h): help for every command, the exit codes of
 * ptmctl(1) (0 done, 1 refused, 2 usage, 3 protocol/authentication, 4 no
 * connection), the words of the human output, the JSON schema, --id, watch,
 * keygen and paircode; addresses and key files given wrong, --version, a
 * pump killed mid-request (no SIGPIPE death), watch ending on SIGTERM while
 * nobody reads its output.  Needs $PTM_BUILD/ptmctl (tests/run.sh sets
 * PTM_BUILD) or build/ptmctl.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include <criterion/criterion.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/lib/ctlpump.h"
#include "tests/lib/e2e.h"
#include "tests/lib/prog.h"
#include "util/version.h"

static struct ctlpump F;

/* Run ptmctl with args to the end: its exit code. */
static int run(struct prog *c, const char *const *args)
{
	return prog_run(c, F.ptmctl, args, NULL);
}

static void spawn(struct prog *c, const char *const *args)
{
	prog_spawn(c, F.ptmctl, args, NULL);
}

/* args with the pump's address and keys for remote `who` first */
#define AS(who, ...) CTLPUMP_AS(&F, who, __VA_ARGS__)
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void setup(void)
{
	ctlpump_start(&F, NULL);
}

static void teardown(void)
{
	ctlpump_stop(&F);
}

TestSuite(ptmctl, .init = setup, .fini = teardown, .timeout = 60);

/* ---- help ------------------------------------------------------------------- */

Test(ptmctl, every_command_has_help_that_names_it)
{
	static const char *const cmds[] = {
		"status", "bolus", "silence", "history", "program", "refill", "clear",
		"log", "run", "scenario", "fault", "clock", "watch", "keygen",
		"paircode", NULL
	};
	struct prog c;
	cr_assert_eq(run(&c, ARGS("--help")), 0);
	for (const char *const *s = cmds; *s; s++) {
		char line[64];
		snprintf(line, sizeof line, "\n  %s ", *s);
		cr_assert(strstr(c.out, line), "--help does not list %s:\n%s", *s, c.out);
	}
	cr_assert(strstr(c.out, "2 usage error; 3 protocol or authentication failure;\n"
	                        "4 cannot connect or no reply in time."), "%s", c.out);
	for (const char *const *s = cmds; *s; s++) {
		char want[64];
		struct prog h;
		cr_assert_eq(run(&h, ARGS(*s, "--help")), 0, "%s --help", *s);
		snprintf(want, sizeof want, "usage: ptmctl [options] %s", *s);
		cr_assert(strncmp(h.out, want, strlen(want)) == 0, "%s --help:\n%s", *s, h.out);
		cr_assert_eq(h.nerr, 0, "%s --help wrote to stderr: %s", *s, h.err);
	}
	cr_assert_eq(run(&c, ARGS("fault", "--help")), 0);
	cr_assert(strstr(c.out, "battery_new"), "%s", c.out);
}

Test(ptmctl, no_command_is_a_usage_error_with_the_help_on_stderr)
{
	struct prog c;
	cr_assert_eq(run(&c, ARGS("--json")), 2);
	cr_assert_eq(c.nout, 0);
	cr_assert(strstr(c.err, "usage: ptmctl [options] COMMAND"), "%s", c.err);
}

/* ---- exit codes ---------------------------------------------------------------- */

Test(ptmctl, usage_errors_exit_2_and_send_nothing)
{
	struct prog c;
	const char *const *bad[] = {
		AS("patient", "bolus", "now"),
		AS("patient", "refill", "20"),
		AS("clinician", "refill", "20mL", "10mg"),
		AS("patient", "history", "65"),
		AS("tester", "clock", "advance", "soon"),
		AS("tester", "fault", "gremlins"),
		AS("patient", "--timeout", "0", "status"),
		AS("patient", "--id", "x", "status"),
		AS("patient", "dance"),
		ARGS("--pump", F.addr, "status"),
		ARGS("--pump", F.addr, "--key", "/nonexistent.key", "--pump-key", F.pump_key, "status"),
		NULL
	};
	for (int i = 0; bad[i]; i++) {
		cr_assert_eq(run(&c, bad[i]), 2, "case %d: stdout %s stderr %s", i, c.out, c.err);
		cr_assert_eq(c.nout, 0, "case %d wrote %s", i, c.out);
		cr_assert_gt(c.nerr, 0, "case %d: no message", i);
	}
	/* nothing reached the pump: the patient's first request is its first */
	cr_assert_eq(run(&c, AS("patient", "--json", "history")), 0);
	cr_assert(strstr(c.out, "\"history\":[]"), "%s", c.out);
	cr_assert_eq(run(&c, AS("patient", "refill", "20")), 2);
	cr_assert(strstr(c.err, "ptmctl refill: expected VOLUME CONCENTRATION"), "%s", c.err);
}

/* verifies: SR-UI-001 */
Test(ptmctl, a_granted_bolus_exits_0_a_refused_one_1_in_words_a_person_reads)
{
	struct prog c;
	cr_assert_eq(run(&c, AS("patient", "--state", "bolus")), 0, "%s%s", c.out, c.err);
	cr_assert(strstr(c.out, "bolus granted: 0.5 mg, ends in 10 min ("), "%s", c.out);
	cr_assert(strstr(c.out, "bolus      0.5 mg over 10 min, lockout 2 h, 1 of 6 in 24 h\n"),
	          "%s", c.out);
	cr_assert(strstr(c.out, "(simulated clock, frozen)"), "%s", c.out);
	cr_assert(strstr(c.out, "next refill in 30 d ("), "%s", c.out);

	cr_assert_eq(run(&c, AS("tester", "clock", "advance", "30m")), 0);
	cr_assert_eq(run(&c, AS("patient", "--state", "bolus")), 1);
	cr_assert(strstr(c.out, "bolus refused: lockout (lockout interval); next allowed in 1 h 30 min ("),
	          "%s", c.out);
	cr_assert(strstr(c.out, "next bolus in 1 h 30 min ("), "%s", c.out);
}

/* A press while a bolus runs: the reply's time is the running bolus's end,
 * but the next bolus is allowed only after the lockout (2 h from its start):
 * the words must give that, not "next allowed in 10 min". */
Test(ptmctl, a_bolus_refused_while_one_runs_names_the_lockout_end)
{
	struct prog c;
	cr_assert_eq(run(&c, AS("patient", "bolus")), 0, "%s%s", c.out, c.err);
	cr_assert_eq(run(&c, AS("tester", "clock", "advance", "4m")), 0);
	cr_assert_eq(run(&c, AS("patient", "bolus")), 1);
	cr_assert(strstr(c.out, "bolus refused: running (a bolus is already running); "
	                        "it ends in 6 min ("), "%s", c.out);
	cr_assert(strstr(c.out, "; next allowed in 1 h 56 min ("), "%s", c.out);
	cr_assert(!strstr(c.out, "next allowed in 6 min"), "%s", c.out);
}

Test(ptmctl, an_error_reply_exits_1)
{
	struct prog c;
	cr_assert_eq(run(&c, AS("patient", "run", "stop")), 1);
	cr_assert(strstr(c.out, "run refused: role (not allowed for this remote's role): patient\n"),
	          "%s", c.out);
	cr_assert_eq(run(&c, AS("clinician", "clear", "motor_stall")), 1);
	cr_assert(strstr(c.out, "clear refused: state"), "%s", c.out);
}

/* verifies: SR-LINK-002 */
Test(ptmctl, a_key_the_pump_does_not_know_exits_3)
{
	struct prog c;
	char dir[600], key[700];
	snprintf(dir, sizeof dir, "%s/keys", e2e_dir(F.pump));
	cr_assert_eq(run(&c, ARGS("keygen", dir, "stranger")), 0, "%s", c.err);
	snprintf(key, sizeof key, "%s/stranger.key", dir);
	cr_assert_eq(run(&c, ARGS("--pump", F.addr, "--key", key, "--pump-key", F.pump_key, "status")),
	             3, "%s%s", c.out, c.err);
	cr_assert_eq(c.nout, 0);
	cr_assert(strstr(c.err, "ptmctl: status: "), "%s", c.err);
	/* the right key, but another pump's public key: the handshake fails */
	cr_assert_eq(run(&c, ARGS("--pump", F.addr, "--key", e2e_key_path(F.pump, "patient", 0),
	                          "--pump-key", e2e_key_path(F.pump, "tester", 1), "status")), 3,
	             "%s%s", c.out, c.err);
}

Test(ptmctl, no_pump_there_exits_4)
{
	struct prog c;
	char nowhere[700];
	snprintf(nowhere, sizeof nowhere, "unix:%s/no.sock", e2e_dir(F.pump));
	cr_assert_eq(run(&c, ARGS("--pump", nowhere, "--key", e2e_key_path(F.pump, "patient", 0),
	                          "--pump-key", F.pump_key, "--timeout", "2s", "status")), 4,
	             "%s%s", c.out, c.err);
	cr_assert(strstr(c.err, "cannot connect"), "%s", c.err);
}

/* ---- JSON and ids ----------------------------------------------------------------- */

Test(ptmctl, json_state_has_the_clock_speed_and_exact_units)
{
	struct prog c;
	json_t *j, *st;
	cr_assert_eq(run(&c, AS("patient", "--json", "status")), 0, "%s", c.err);
	j = prog_json(&c);
	st = json_object_get(j, "state");
	cr_assert_str_eq(json_string_value(json_object_get(j, "request")), "status");
	cr_assert(json_is_null(json_object_get(j, "error")));
	cr_assert_eq(json_integer_value(json_object_get(st, "clock_speed")), 0);
	cr_assert_eq(json_integer_value(json_object_get(st, "reservoir_nl")), 20000000);
	cr_assert_eq(json_integer_value(json_object_get(st, "lockout_ms")), 7200000);
	cr_assert(json_is_true(json_object_get(st, "simulated")));
	cr_assert(json_is_null(json_object_get(st, "bolus_ends_ms")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "counts"), "granted")), 0);
	json_decref(j);

	cr_assert_eq(run(&c, AS("tester", "--json", "clock", "speed", "60")), 0, "%s", c.err);
	j = prog_json(&c);
	st = json_object_get(j, "state");
	cr_assert_eq(json_integer_value(json_object_get(st, "clock_speed")), 60);
	json_decref(j);
	cr_assert_eq(run(&c, AS("patient", "status")), 0);
	cr_assert(strstr(c.out, "(simulated clock, 60x real time)"), "%s", c.out);
}

/* verifies: SR-REQ-001 */
Test(ptmctl, an_explicit_id_is_sent_as_it_is_and_a_repeat_gets_the_stored_reply)
{
	struct prog c;
	char first[PROG_OUT_MAX];
	json_t *j;
	cr_assert_eq(run(&c, AS("patient", "--json", "--id", "7", "bolus")), 0, "%s", c.err);
	snprintf(first, sizeof first, "%s", c.out);
	j = prog_json(&c);
	cr_assert_eq(json_integer_value(json_object_get(j, "id")), 7);
	cr_assert_str_eq(json_string_value(json_object_get(json_object_get(j, "bolus"), "outcome")),
	                 "granted");
	json_decref(j);
	/* the same id again: the very same reply, not a second bolus */
	cr_assert_eq(run(&c, AS("patient", "--json", "--id", "7", "bolus")), 0);
	cr_assert_str_eq(c.out, first);
	/* an older id: refused, with the last id the pump saw */
	cr_assert_eq(run(&c, AS("patient", "--id", "3", "bolus")), 1);
	cr_assert(strstr(c.out, "bolus refused: stale_id (request id not newer than the last one); last id 7\n"),
	          "%s", c.out);
	cr_assert_eq(run(&c, AS("patient", "--json", "status")), 0);
	j = prog_json(&c);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "counts"), "granted")), 1);
	json_decref(j);
}

/* ---- watch, keygen, paircode ---------------------------------------------------- */

Test(ptmctl, watch_prints_the_state_then_each_notification_and_exits_0_on_sigterm)
{
	struct prog w, c;
	spawn(&w, AS("patient", "watch"));
	cr_assert(prog_read_until(&w, "alarms     none\n", 10000), "no state: %s / %s", w.out, w.err);
	cr_assert_eq(run(&c, AS("patient2", "bolus")), 0);
	cr_assert(prog_read_until(&w, " bolus_started: reservoir 20 mL, bolus running, no alarms\n", 10000),
	          "%s", w.out);
	cr_assert_eq(run(&c, AS("tester", "fault", "motor_stall")), 0);
	cr_assert(prog_read_until(&w, " alarm_raised motor_stall: reservoir ", 10000), "%s", w.out);
	kill(w.pid, SIGTERM);
	cr_assert_eq(prog_finish(&w), 0, "%s", w.err);

	spawn(&w, AS("patient", "--json", "watch"));
	cr_assert(prog_read_until(&w, "\"clock_speed\":0", 10000), "%s / %s", w.out, w.err);
	cr_assert(strncmp(w.out, "{\"type\":\"reply\",", 16) == 0, "%s", w.out);
	kill(w.pid, SIGTERM);
	cr_assert_eq(prog_finish(&w), 0);
}

/* verifies: SR-KEY-001 */
Test(ptmctl, keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites)
{
	struct prog c;
	char dir[600], key[700];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/keys", e2e_dir(F.pump));
	cr_assert_eq(run(&c, ARGS("keygen", dir, "new")), 0, "%s", c.err);
	snprintf(key, sizeof key, "%s/new.key", dir);
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert(strstr(c.out, "new.pub "), "%s", c.out);
	cr_assert_eq(run(&c, ARGS("keygen", dir, "new")), 2);
	cr_assert_eq(run(&c, ARGS("keygen", dir, "a/b")), 2);
	cr_assert_eq(run(&c, ARGS("--key", e2e_key_path(F.pump, "patient", 0), "--pump-key",
	                          F.pump_key, "paircode")), 0, "%s", c.err);
	cr_assert_eq(c.nout, 7, "%s", c.out);
	for (int i = 0; i < 6; i++)
		cr_assert(c.out[i] >= '0' && c.out[i] <= '9', "%s", c.out);
}

/* ---- addresses, versions and key files given wrong ----------------------------- */

/* 'bogus:x' and a port over 65535 once exited 3, the code of a refused key. */
Test(ptmctl, an_address_that_does_not_parse_is_a_usage_error_named_as_such)
{
	static const char *const bad[] = { "bogus:x", "tcp:127.0.0.1:99999", NULL };
	struct prog c;
	char want[128];
	for (const char *const *a = bad; *a; a++) {
		cr_assert_eq(run(&c, ARGS("--pump", *a, "--key", e2e_key_path(F.pump, "patient", 0),
		                          "--pump-key", F.pump_key, "status")), 2,
		             "%s: %s%s", *a, c.out, c.err);
		cr_assert_eq(c.nout, 0);
		snprintf(want, sizeof want, "ptmctl: --pump '%s': not an address", *a);
		cr_assert(strstr(c.err, want), "%s", c.err);
		cr_assert(strstr(c.err, "; use unix:PATH or tcp:HOST:PORT\n"), "%s", c.err);
		/* watch too; and the address comes before the keys */
		cr_assert_eq(run(&c, ARGS("--pump", *a, "--key", "/nonexistent.key",
		                          "--pump-key", F.pump_key, "watch")), 2, "%s", c.err);
		snprintf(want, sizeof want, "ptmctl watch: --pump '%s': not an address", *a);
		cr_assert(strstr(c.err, want), "%s", c.err);
	}
	cr_assert(strstr(c.err, "(port 99999 is not 1..65535)"), "%s", c.err);
}

Test(ptmctl, version_prints_the_one_version_string)
{
	struct prog c;
	char want[64];
	snprintf(want, sizeof want, "ptmctl %s\n", PTM_VERSION);
	cr_assert_eq(run(&c, ARGS("--version")), 0, "%s", c.err);
	cr_assert_str_eq(c.out, want);
	cr_assert_eq(c.nerr, 0);
	cr_assert_eq(run(&c, ARGS("--help")), 0);
	cr_assert(strstr(c.out, "  --version "), "%s", c.out);
}

/* --key remote.pub once advised chmod 600; pumpd pair took a .key. */
Test(ptmctl, a_public_key_given_as_the_private_one_is_named_and_the_reverse)
{
	struct prog c;
	char want[2000], pumpkey[700], pub[600];
	const char *key = e2e_key_path(F.pump, "patient", 0);
	snprintf(pub, sizeof pub, "%s", e2e_key_path(F.pump, "patient", 1));
	cr_assert_eq(run(&c, ARGS("--pump", F.addr, "--key", pub, "--pump-key", F.pump_key,
	                          "status")), 2, "%s", c.err);
	snprintf(want, sizeof want, "ptmctl: %s: that is a public key file; give the private "
	         "key (%s)\n", pub, key);
	cr_assert_str_eq(c.err, want);

	snprintf(pumpkey, sizeof pumpkey, "%s/pump.key", e2e_state_dir(F.pump));
	cr_assert_eq(run(&c, ARGS("--pump", F.addr, "--key", key, "--pump-key", pumpkey,
	                          "status")), 2, "%s", c.err);
	snprintf(want, sizeof want, "ptmctl: %s: that is a private key file (.key): give "
	         "%s/pump.pub\n", pumpkey, e2e_state_dir(F.pump));
	cr_assert_str_eq(c.err, want);
	cr_assert_eq(run(&c, ARGS("--key", key, "--pump-key", pumpkey, "paircode")), 2);
	cr_assert(strstr(c.err, "that is a private key file"), "%s", c.err);

	/* pumpd pair gets the same check: a private key file is not a remote's
	 * public key, and nothing is paired */
	char out[4096];
	const char *argv[] = { "pair", e2e_state_dir(F.pump), "--role", "patient", "--name",
	                       "wrongfile", e2e_key_path(F.pump, "patient2", 0), NULL };
	int rc = e2e_cli(argv, out, sizeof out);
	cr_assert_eq(rc, 2, "pumpd pair: exit %d: %s", rc, out);
	cr_assert(strstr(out, "that is a private key file (.key): give "), "%s", out);
}

/* keygen DIR k2.key once wrote k2.key.key */
Test(ptmctl, keygen_takes_a_name_ending_in_key_as_the_file_name)
{
	struct prog c;
	char dir[600], path[1400];
	snprintf(dir, sizeof dir, "%s/keys", e2e_dir(F.pump));
	cr_assert_eq(run(&c, ARGS("keygen", dir, "k2.key")), 0, "%s", c.err);
	snprintf(path, sizeof path, "%s/k2.key (private, 0600)\n%s/k2.pub ", dir, dir);
	cr_assert(strncmp(c.out, path, strlen(path)) == 0, "%s", c.out);
	snprintf(path, sizeof path, "%s/k2.key", dir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/k2.pub", dir);
	cr_assert_eq(access(path, F_OK), 0);
	snprintf(path, sizeof path, "%s/k2.key.key", dir);
	cr_assert_neq(access(path, F_OK), 0, "wrote k2.key.key");
}

/* ---- a pump killed mid-request ----------------------------------------------------- */

/* Read n bytes from fd within ms: 0, or -1 (EOF, error, deadline). */
static int read_full(int fd, uint8_t *b, size_t n, int ms)
{
	int64_t end = e2e_now_ms() + ms;
	size_t got = 0;
	while (got < n) {
		struct pollfd p = { fd, POLLIN, 0 };
		int64_t left = end - e2e_now_ms();
		if (left <= 0 || poll(&p, 1, (int)left) != 1)
			return -1;
		ssize_t k = read(fd, b + got, n - got);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return 0;
}

/* One frame (2-byte big-endian length, then the bytes) from fd into b: its
 * whole length on the wire, or -1. */
static int read_frame(int fd, uint8_t *b, size_t cap)
{
	if (read_full(fd, b, 2, 10000) < 0)
		return -1;
	size_t n = (size_t)b[0] << 8 | b[1];
	if (n + 2 > cap || read_full(fd, b + 2, n, 10000) < 0)
		return -1;
	return (int)(n + 2);
}

static void write_all(int fd, const uint8_t *b, size_t n)
{
	while (n) {
		ssize_t k = write(fd, b, n);
		cr_assert_gt(k, 0, "write: %s", strerror(errno));
		b += k;
		n -= (size_t)k;
	}
}

/* A proxy between ptmctl and the real pumpd, frame by frame: ptmctl's
 * connection on lfd, relayed to the pump until `frames` frames went
 * through (message 1, message 2, the request ...).  Returns ptmctl's fd
 * and the pump's (through pfd); the last frame's bytes in last, lastn. */
static int relay(int lfd, int frames, int *pfd, uint8_t *last, int *lastn)
{
	struct pollfd p = { lfd, POLLIN, 0 };
	cr_assert_eq(poll(&p, 1, 10000), 1, "ptmctl did not connect");
	int cfd = accept(lfd, NULL, NULL);
	cr_assert_geq(cfd, 0);
	*pfd = e2e_connect_fd(F.pump);
	cr_assert_geq(*pfd, 0);
	for (int i = 0; i < frames; i++) {
		int from = i % 2 == 0 ? cfd : *pfd;    /* initiator first */
		int to = i % 2 == 0 ? *pfd : cfd;
		*lastn = read_frame(from, last, 4200);
		cr_assert_gt(*lastn, 0, "frame %d did not come", i + 1);
		if (i + 1 < frames)
			write_all(to, last, (size_t)*lastn);
	}
	return cfd;
}

static int proxy_listen(char *path, size_t cap)
{
	struct sockaddr_un sa;
	int lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_geq(lfd, 0);
	snprintf(path, cap, "%s/proxy.sock", e2e_dir(F.pump));
	memset(&sa, 0, sizeof sa);
	sa.sun_family = AF_UNIX;
	snprintf(sa.sun_path, sizeof sa.sun_path, "%s", path);
	cr_assert_eq(bind(lfd, (struct sockaddr *)&sa, sizeof sa), 0);
	cr_assert_eq(listen(lfd, 4), 0);
	return lfd;
}

/* The pump dies (kill -9) after its handshake reply: ptmctl's request then
 * meets a closed connection.  The write fails with EPIPE; ptmctl once died
 * of SIGPIPE (exit 141) there.  Documented: exit 4, the link lost before the
 * reply.  ptmctl is held stopped while the proxy hands it message 2 and
 * closes, so its request always meets the closed end. */
Test(ptmctl, a_pump_killed_before_the_request_is_a_lost_link_exit_4_not_sigpipe)
{
	char path[700], paddr[720];
	uint8_t frame[4200];
	int n, pfd, status;
	struct prog c;
	int lfd = proxy_listen(path, sizeof path);
	snprintf(paddr, sizeof paddr, "unix:%s", path);
	spawn(&c, ARGS("--pump", paddr, "--key", e2e_key_path(F.pump, "patient", 0),
	               "--pump-key", F.pump_key, "bolus"));
	/* message 1 to the pump, message 2 back to the proxy (kept) */
	int cfd = relay(lfd, 2, &pfd, frame, &n);
	cr_assert_eq(e2e_kill9(F.pump), 0);
	close(pfd);
	cr_assert_eq(kill(c.pid, SIGSTOP), 0);
	cr_assert_eq(waitpid(c.pid, &status, WUNTRACED), c.pid);
	cr_assert(WIFSTOPPED(status));
	write_all(cfd, frame, (size_t)n);
	close(cfd);
	cr_assert_eq(kill(c.pid, SIGCONT), 0);
	int rc = prog_finish(&c);
	cr_assert_eq(rc, 4, "exit %d (-1: killed by a signal): %s", rc, c.err);
	cr_assert(strstr(c.err, "ptmctl: bolus: "), "%s", c.err);
	cr_assert(strstr(c.err, "incomplete communication") || strstr(c.err, "broke"),
	          "%s", c.err);
	cr_assert_eq(c.nout, 0);
	close(lfd);
}

/* The request reached the pump, which is killed before it answers. */
Test(ptmctl, a_pump_killed_with_the_request_in_flight_exits_4)
{
	char path[700], paddr[720];
	uint8_t frame[4200];
	int n, pfd;
	struct prog c;
	int lfd = proxy_listen(path, sizeof path);
	snprintf(paddr, sizeof paddr, "unix:%s", path);
	spawn(&c, ARGS("--pump", paddr, "--key", e2e_key_path(F.pump, "patient", 0),
	               "--pump-key", F.pump_key, "bolus"));
	int cfd = relay(lfd, 3, &pfd, frame, &n);     /* msg 1, msg 2, the request */
	cr_assert_eq(kill(e2e_pid(F.pump), SIGSTOP), 0); /* it never answers */
	write_all(pfd, frame, (size_t)n);
	cr_assert_eq(e2e_kill9(F.pump), 0);
	/* the pump's end is closed: the proxy closes ptmctl's, as a link does */
	cr_assert_eq(read_full(pfd, frame, 1, 10000), -1);
	close(pfd);
	close(cfd);
	int rc = prog_finish(&c);
	cr_assert_eq(rc, 4, "exit %d: %s", rc, c.err);
	cr_assert(strstr(c.err, "incomplete communication"), "%s", c.err);
	close(lfd);
}

/* ---- watch and a reader that does not read ---------------------------------------- */

/* 1 when a thread of pid sleeps in write(1, ...) (a full pipe). */
static int blocked_writing_stdout(pid_t pid)
{
	char dir[64];
	int found = 0;
	snprintf(dir, sizeof dir, "/proc/%d/task", (int)pid);
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	struct dirent *e;
	while (!found && (e = readdir(d))) {
		char path[600], wchan[64] = "";
		long nr;
		unsigned long fd;
		if (e->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/syscall", dir, e->d_name);
		FILE *f = fopen(path, "r");
		if (!f)
			continue;
		int ok = fscanf(f, "%ld 0x%lx", &nr, &fd) == 2 && nr == SYS_write && fd == 1;
		fclose(f);
		if (!ok)
			continue;
		/* sleeping in the pipe, not just passing through write() */
		snprintf(path, sizeof path, "%s/%s/wchan", dir, e->d_name);
		f = fopen(path, "r");
		if (f) {
			if (!fgets(wchan, sizeof wchan, f))
				wchan[0] = '\0';
			fclose(f);
		}
		found = strstr(wchan, "pipe_write") != NULL || wchan[0] == '\0' ||
		        strcmp(wchan, "0") == 0;
	}
	closedir(d);
	return found;
}

/* Wait for pid's exit without reading its pipes: its exit code, -2 when
 * killed by a signal, or -1 when still running after ms (then killed). */
static int wait_exit(pid_t pid, int ms, int64_t *took)
{
	int64_t t0 = e2e_now_ms(), end = t0 + ms;
	int status;
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);
		cr_assert_geq(r, 0);
		if (r == pid) {
			*took = e2e_now_ms() - t0;
			return WIFEXITED(status) ? WEXITSTATUS(status) : -2;
		}
		if (e2e_now_ms() >= end) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			*took = e2e_now_ms() - t0;
			return -1;
		}
		poll(NULL, 0, 5);   /* a bounded wait for the condition, not a delay */
	}
}

/* Its stdout a pipe nobody reads, filled by notifications: watch once hung
 * in write() and ignored SIGTERM.  It must end at once with its documented
 * status 0. */
Test(ptmctl, watch_ends_on_sigterm_while_nobody_reads_its_output)
{
	struct prog w;
	spawn(&w, AS("patient", "--json", "watch"));
	cr_assert(prog_read_until(&w, "\"clock_speed\":0", 10000), "%s / %s", w.out, w.err);
	/* from here stdout is never read: a small pipe, filled */
	fcntl(w.out_fd, F_SETPIPE_SZ, 4096);
	struct msg_request q = { .type = MSG_CLOCK };
	struct msg_reply r;
	int i;
	for (i = 0; i < 2000 && !blocked_writing_stdout(w.pid); i++) {
		q.id = 0;
		q.u.clock.op = MSG_CLOCK_ADVANCE;
		q.u.clock.arg = 60000;
		cr_assert_eq(e2e_call(F.pump, "tester", &q, &r), 0);
		cr_assert_eq(r.err, MSG_OK);
	}
	cr_assert(blocked_writing_stdout(w.pid), "watch never blocked on its output");
	int queued = 0;
	ioctl(w.out_fd, FIONREAD, &queued);
	/* more while it is blocked */
	for (int k = 0; k < 5; k++) {
		q.id = 0;
		cr_assert_eq(e2e_call(F.pump, "tester", &q, &r), 0);
	}
	int64_t took;
	cr_assert_eq(kill(w.pid, SIGTERM), 0);
	int rc = wait_exit(w.pid, 10000, &took);
	cr_log_info("watch blocked after %d notifications (%d bytes in the pipe); "
	            "exit %d %lld ms after SIGTERM", i, queued, rc, (long long)took);
	close(w.out_fd);
	close(w.err_fd);
	cr_assert_eq(rc, 0, "exit %d after %lld ms (-1: still running, killed)", rc,
	             (long long)took);
}

/* A reader that went away: watch ends, says why, and exits 4 (the output
 * could not be written) rather than running on or dying of SIGPIPE. */
Test(ptmctl, watch_ends_when_its_reader_goes_away)
{
	struct prog w;
	spawn(&w, AS("patient", "watch"));
	cr_assert(prog_read_until(&w, "alarms     none\n", 10000), "%s / %s", w.out, w.err);
	close(w.out_fd);
	w.out_fd = -1;
	struct msg_request q = { .type = MSG_CLOCK };
	struct msg_reply r;
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 60000;
	cr_assert_eq(e2e_call(F.pump, "tester", &q, &r), 0);
	int rc = prog_finish(&w);
	cr_assert_eq(rc, 4, "exit %d: %s", rc, w.err);
	cr_assert(strstr(w.err, "ptmctl watch: cannot write the output: Broken pipe"), "%s",
	          w.err);
}
