/*
 * tests/test_ptmctl_cli.c — the ptmctl program as a script uses it, against
 * a real pumpd (tests/e2e.h): help for every command, the exit codes of
 * ptmctl(1) (0 done, 1 refused, 2 usage, 3 protocol/authentication, 4 no
 * connection), the words of the human output, the JSON schema, --id, watch,
 * keygen and paircode.  Needs $PTM_BUILD/ptmctl (tests/run.sh sets
 * PTM_BUILD) or build/ptmctl.
 */
#define _GNU_SOURCE 1 /* pipe2 */
#include <criterion/criterion.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "tests/e2e.h"

#define OUT_MAX 32768

static char ptmctl_path[512];
static e2e_pump *pump;
static char pump_key[600], addr[600];

/* A running ptmctl: its pipes and what it wrote so far. */
struct child {
	pid_t pid;
	int out_fd, err_fd;
	char out[OUT_MAX], err[OUT_MAX];
	size_t nout, nerr;
};

static int64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void spawn(struct child *c, const char *const *args)
{
	int o[2], e[2];
	const char *argv[40];
	int n = 0;

	memset(c, 0, sizeof *c);
	argv[n++] = ptmctl_path;
	for (; *args && n < 39; args++)
		argv[n++] = *args;
	argv[n] = NULL;
	cr_assert_eq(pipe2(o, O_CLOEXEC), 0);
	cr_assert_eq(pipe2(e, O_CLOEXEC), 0);
	c->pid = fork();
	cr_assert_geq(c->pid, 0);
	if (c->pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		dup2(o[1], 1);
		dup2(e[1], 2);
		unsetenv("PTM_PUMP");
		unsetenv("PTM_KEY");
		unsetenv("PTM_PUMP_KEY");
		execv(ptmctl_path, (char *const *)(void *)argv);
		_exit(127);
	}
	close(o[1]);
	close(e[1]);
	c->out_fd = o[0];
	c->err_fd = e[0];
}

/* Read what the child wrote until want appears in its stdout (want NULL:
 * until both pipes close), or the deadline (ms, scaled: e2e_ms).  1 if
 * found / closed. */
static int read_until(struct child *c, const char *want, int ms)
{
	int64_t end = mono_ms() + e2e_ms(ms);
	while (c->out_fd >= 0 || c->err_fd >= 0) {
		struct pollfd p[2] = { { c->out_fd, POLLIN, 0 }, { c->err_fd, POLLIN, 0 } };
		int64_t left = end - mono_ms();
		if (want && strstr(c->out, want))
			return 1;
		if (left <= 0 || poll(p, 2, (int)left) <= 0)
			return 0;
		for (int i = 0; i < 2; i++) {
			int *fd = i ? &c->err_fd : &c->out_fd;
			char *buf = i ? c->err : c->out;
			size_t *n = i ? &c->nerr : &c->nout;
			ssize_t k;
			if (*fd < 0 || !(p[i].revents & (POLLIN | POLLHUP)))
				continue;
			k = read(*fd, buf + *n, OUT_MAX - 1 - *n);
			if (k <= 0) {
				close(*fd);
				*fd = -1;
				continue;
			}
			*n += (size_t)k;
			buf[*n] = '\0';
		}
	}
	return want ? strstr(c->out, want) != NULL : 1;
}

/* Wait for the exit; its code, or -1 (killed after the deadline). */
static int finish(struct child *c)
{
	int status;
	if (!read_until(c, NULL, 20000))
		kill(c->pid, SIGKILL);
	if (c->out_fd >= 0)
		close(c->out_fd);
	if (c->err_fd >= 0)
		close(c->err_fd);
	cr_assert_eq(waitpid(c->pid, &status, 0), c->pid);
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* Run ptmctl with args to the end. */
static int run(struct child *c, const char *const *args)
{
	spawn(c, args);
	return finish(c);
}

/* args with the pump's address and keys for remote `who` first */
#define AS(who, ...) ((const char *const[]){ "--pump", addr, "--key", \
	e2e_key_path(pump, who, 0), "--pump-key", pump_key, __VA_ARGS__, NULL })
#define ARGS(...) ((const char *const[]){ __VA_ARGS__, NULL })

static void setup(void)
{
	const char *b = getenv("PTM_BUILD");
	snprintf(ptmctl_path, sizeof ptmctl_path, "%s/ptmctl", b ? b : "build");
	if (access(ptmctl_path, X_OK) != 0)
		cr_skip_test("no ptmctl at %s", ptmctl_path);
	pump = e2e_start(NULL, 0);
	cr_assert_not_null(pump);
	snprintf(pump_key, sizeof pump_key, "%s/pump.pub", e2e_state_dir(pump));
	snprintf(addr, sizeof addr, "%s", e2e_addr(pump));
}

static void teardown(void)
{
	e2e_free(pump);
	pump = NULL;
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
	struct child c;
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
		struct child h;
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
	struct child c;
	cr_assert_eq(run(&c, ARGS("--json")), 2);
	cr_assert_eq(c.nout, 0);
	cr_assert(strstr(c.err, "usage: ptmctl [options] COMMAND"), "%s", c.err);
}

/* ---- exit codes ---------------------------------------------------------------- */

Test(ptmctl, usage_errors_exit_2_and_send_nothing)
{
	struct child c;
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
		ARGS("--pump", addr, "status"),
		ARGS("--pump", addr, "--key", "/nonexistent.key", "--pump-key", pump_key, "status"),
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

Test(ptmctl, a_granted_bolus_exits_0_a_refused_one_1_in_words_a_person_reads)
{
	struct child c;
	cr_assert_eq(run(&c, AS("patient", "bolus")), 0, "%s%s", c.out, c.err);
	cr_assert(strstr(c.out, "bolus granted: 0.5 mg, ends in 10 min ("), "%s", c.out);
	cr_assert(strstr(c.out, "bolus      0.5 mg over 10 min, lockout 2 h, 1 of 6 in 24 h\n"),
	          "%s", c.out);
	cr_assert(strstr(c.out, "(simulated clock, frozen)"), "%s", c.out);
	cr_assert(strstr(c.out, "next refill in 30 d ("), "%s", c.out);

	cr_assert_eq(run(&c, AS("tester", "clock", "advance", "30m")), 0);
	cr_assert_eq(run(&c, AS("patient", "bolus")), 1);
	cr_assert(strstr(c.out, "bolus refused: lockout (lockout interval); next allowed in 1 h 30 min ("),
	          "%s", c.out);
	cr_assert(strstr(c.out, "next bolus in 1 h 30 min ("), "%s", c.out);
}

/* A press while a bolus runs: the reply's time is the running bolus's end,
 * but the next bolus is allowed only after the lockout (2 h from its start):
 * the words must give that, not "next allowed in 10 min". */
Test(ptmctl, a_bolus_refused_while_one_runs_names_the_lockout_end)
{
	struct child c;
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
	struct child c;
	cr_assert_eq(run(&c, AS("patient", "run", "stop")), 1);
	cr_assert(strstr(c.out, "run refused: role (not allowed for this remote's role): patient\n"),
	          "%s", c.out);
	cr_assert_eq(run(&c, AS("clinician", "clear", "motor_stall")), 1);
	cr_assert(strstr(c.out, "clear refused: state"), "%s", c.out);
}

Test(ptmctl, a_key_the_pump_does_not_know_exits_3)
{
	struct child c;
	char dir[600], key[700];
	snprintf(dir, sizeof dir, "%s/keys", e2e_dir(pump));
	cr_assert_eq(run(&c, ARGS("keygen", dir, "stranger")), 0, "%s", c.err);
	snprintf(key, sizeof key, "%s/stranger.key", dir);
	cr_assert_eq(run(&c, ARGS("--pump", addr, "--key", key, "--pump-key", pump_key, "status")),
	             3, "%s%s", c.out, c.err);
	cr_assert_eq(c.nout, 0);
	cr_assert(strstr(c.err, "ptmctl: status: "), "%s", c.err);
	/* the right key, but another pump's public key: the handshake fails */
	cr_assert_eq(run(&c, ARGS("--pump", addr, "--key", e2e_key_path(pump, "patient", 0),
	                          "--pump-key", e2e_key_path(pump, "tester", 1), "status")), 3,
	             "%s%s", c.out, c.err);
}

Test(ptmctl, no_pump_there_exits_4)
{
	struct child c;
	char nowhere[700];
	snprintf(nowhere, sizeof nowhere, "unix:%s/no.sock", e2e_dir(pump));
	cr_assert_eq(run(&c, ARGS("--pump", nowhere, "--key", e2e_key_path(pump, "patient", 0),
	                          "--pump-key", pump_key, "--timeout", "2s", "status")), 4,
	             "%s%s", c.out, c.err);
	cr_assert(strstr(c.err, "cannot connect"), "%s", c.err);
}

/* ---- JSON and ids ----------------------------------------------------------------- */

static json_t *parse_json(const char *text)
{
	json_error_t e;
	json_t *j = json_loads(text, 0, &e);
	cr_assert_not_null(j, "not JSON (%s): %s", e.text, text);
	return j;
}

Test(ptmctl, json_state_has_the_clock_speed_and_exact_units)
{
	struct child c;
	json_t *j, *st;
	cr_assert_eq(run(&c, AS("patient", "--json", "status")), 0, "%s", c.err);
	j = parse_json(c.out);
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
	j = parse_json(c.out);
	st = json_object_get(j, "state");
	cr_assert_eq(json_integer_value(json_object_get(st, "clock_speed")), 60);
	json_decref(j);
	cr_assert_eq(run(&c, AS("patient", "status")), 0);
	cr_assert(strstr(c.out, "(simulated clock, 60x real time)"), "%s", c.out);
}

Test(ptmctl, an_explicit_id_is_sent_as_it_is_and_a_repeat_gets_the_stored_reply)
{
	struct child c;
	char first[OUT_MAX];
	json_t *j;
	cr_assert_eq(run(&c, AS("patient", "--json", "--id", "7", "bolus")), 0, "%s", c.err);
	snprintf(first, sizeof first, "%s", c.out);
	j = parse_json(c.out);
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
	j = parse_json(c.out);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(j, "counts"), "granted")), 1);
	json_decref(j);
}

/* ---- watch, keygen, paircode ---------------------------------------------------- */

Test(ptmctl, watch_prints_the_state_then_each_notification_and_exits_0_on_sigterm)
{
	struct child w, c;
	spawn(&w, AS("patient", "watch"));
	cr_assert(read_until(&w, "alarms     none\n", 10000), "no state: %s / %s", w.out, w.err);
	cr_assert_eq(run(&c, AS("patient2", "bolus")), 0);
	cr_assert(read_until(&w, " bolus_started: reservoir 20 mL, bolus running, no alarms\n", 10000),
	          "%s", w.out);
	cr_assert_eq(run(&c, AS("tester", "fault", "motor_stall")), 0);
	cr_assert(read_until(&w, " alarm_raised motor_stall: reservoir ", 10000), "%s", w.out);
	kill(w.pid, SIGTERM);
	cr_assert_eq(finish(&w), 0, "%s", w.err);

	spawn(&w, AS("patient", "--json", "watch"));
	cr_assert(read_until(&w, "\"clock_speed\":0", 10000), "%s / %s", w.out, w.err);
	cr_assert(strncmp(w.out, "{\"type\":\"reply\",", 16) == 0, "%s", w.out);
	kill(w.pid, SIGTERM);
	cr_assert_eq(finish(&w), 0);
}

Test(ptmctl, keygen_writes_a_private_key_only_its_owner_reads_and_never_overwrites)
{
	struct child c;
	char dir[600], key[700];
	struct stat st;
	snprintf(dir, sizeof dir, "%s/keys", e2e_dir(pump));
	cr_assert_eq(run(&c, ARGS("keygen", dir, "new")), 0, "%s", c.err);
	snprintf(key, sizeof key, "%s/new.key", dir);
	cr_assert_eq(stat(key, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0600);
	cr_assert(strstr(c.out, "new.pub "), "%s", c.out);
	cr_assert_eq(run(&c, ARGS("keygen", dir, "new")), 2);
	cr_assert_eq(run(&c, ARGS("keygen", dir, "a/b")), 2);
	cr_assert_eq(run(&c, ARGS("--key", e2e_key_path(pump, "patient", 0), "--pump-key",
	                          pump_key, "paircode")), 0, "%s", c.err);
	cr_assert_eq(c.nout, 7, "%s", c.out);
	for (int i = 0; i < 6; i++)
		cr_assert(c.out[i] >= '0' && c.out[i] <= '9', "%s", c.out);
}
