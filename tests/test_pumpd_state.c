/* tests/test_pumpd_state.c — one pump, one daemon: a second pumpd on the
 * same state directory is refused, changes to a running pump go through it
 * (pair, unpair, remotes, rx, status), and a damaged state is refused at
 * start and by every command, with a message naming what is wrong and the
 * state left as it was. */
#include <criterion/criterion.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sqlite3.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

static char out[8192];

static int pumpd(const char *const *argv)
{
	return e2e_cli(argv, out, sizeof out);
}

static void sql(e2e_pump *p, const char *stmt)
{
	char db[512];
	snprintf(db, sizeof db, "%s/state.db", e2e_state_dir(p));
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	char *err = NULL;
	int rc = sqlite3_exec(h, stmt, NULL, NULL, &err);
	cr_assert_eq(rc, SQLITE_OK, "%s: %s", stmt, err ? err : "?");
	sqlite3_close(h);
}

static char before[1 << 20], after[1 << 20];

/* pumpd run and every command that opens the state refuse it, naming
 * `want`, and leave every file as it was. */
static void refused_everywhere(e2e_pump *p, const char *want)
{
	const char *state = e2e_state_dir(p);
	char sock[256];
	snprintf(sock, sizeof sock, "%s/other.sock", e2e_dir(p));
	size_t n0 = must_snapshot(state, before, sizeof before);
	const char *run[] = { "run", state, "--unix", sock, "--sim", NULL };
	const char *pair[] = { "pair", state, "--role", "patient", "--name", "newone",
	                       "--key", "Nq+Hk4sUqN1vN0CkW5v2g0kQ0g2Wm+zj7Ul7DZg3yHY=",
	                       NULL };
	const char *unpair[] = { "unpair", state, "patient2", NULL };
	const char *rx[] = { "rx", state, NULL };
	const char *remotes[] = { "remotes", state, NULL };
	const char *const *cmds[] = { run, pair, unpair, rx, remotes };
	for (size_t i = 0; i < sizeof cmds / sizeof cmds[0]; i++) {
		int rc = pumpd(cmds[i]);
		cr_assert_eq(rc, 1, "pumpd %s: exit %d: %s", cmds[i][0], rc, out);
		cr_assert(strstr(out, want), "pumpd %s: %s", cmds[i][0], out);
	}
	size_t n1 = must_snapshot(state, after, sizeof after);
	cr_assert(n0 == n1 && memcmp(before, after, n0) == 0,
	          "the state directory changed");
	cr_assert_neq(access(sock, F_OK), 0, "it listened");
}

/* name from directory a to directory b, its bytes and mode kept */
static void copy_key(const char *a, const char *b, const char *name)
{
	char from[600], to[600], buf[256];
	struct stat sb;
	snprintf(from, sizeof from, "%s/%s", a, name);
	snprintf(to, sizeof to, "%s/%s", b, name);
	FILE *in = fopen(from, "rb");
	cr_assert_not_null(in, "%s: %s", from, strerror(errno));
	cr_assert_eq(fstat(fileno(in), &sb), 0);
	FILE *dst = fopen(to, "wb");
	cr_assert_not_null(dst, "%s: %s", to, strerror(errno));
	size_t n;
	while ((n = fread(buf, 1, sizeof buf, in)) > 0)
		cr_assert_eq(fwrite(buf, 1, n, dst), n);
	cr_assert_eq(fchmod(fileno(dst), sb.st_mode & 07777), 0);
	fclose(in);
	cr_assert_eq(fclose(dst), 0);
}

static void move_key(const char *a, const char *b, const char *name)
{
	char from[600], to[600];
	snprintf(from, sizeof from, "%s/%s", a, name);
	snprintf(to, sizeof to, "%s/%s", b, name);
	cr_assert_eq(rename(from, to), 0, "%s: %s", from, strerror(errno));
}

/* verifies: SR-STORE-006 */
Test(pumpd_state, a_second_daemon_is_refused_and_the_first_serves_on)
{
	e2e_pump *p = must_start(NULL, 0);
	char sock[256];
	snprintf(sock, sizeof sock, "%s/b.sock", e2e_dir(p));
	const char *argv[] = { "run", e2e_state_dir(p), "--unix", sock, "--sim", NULL };
	int rc = pumpd(argv);
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	char want[128];
	snprintf(want, sizeof want, "already in use by pumpd pid %d on unix:",
	         e2e_pid(p));
	cr_assert(strstr(out, want), "%s", out);
	cr_assert(strstr(out, e2e_addr(p) + 5), "names its socket: %s", out);
	cr_assert_neq(access(sock, F_OK), 0, "the second one listened");

	/* the first keeps every bolus its own */
	must_grant(p, "patient");
	/* and after a kill -9 the kernel lets go of the lock */
	cr_assert_eq(e2e_kill9(p), 0);
	cr_assert_eq(e2e_restart(p), 0);
	cr_assert_eq(must_status(p, "patient").boluses_24h, 1);
	e2e_free(p);
}

/* verifies: SR-STORE-006 */
Test(pumpd_state, a_live_socket_of_another_pump_is_not_taken)
{
	e2e_pump *a = e2e_start(NULL, 0);
	e2e_pump *b = e2e_start(NULL, 0);
	cr_assert(a && b);
	cr_assert_eq(e2e_stop(b), 0);
	const char *argv[] = { "run", e2e_state_dir(b), "--listen", e2e_addr(a),
	                       "--sim", NULL };
	int rc = pumpd(argv);
	cr_assert_eq(rc, 1, "exit %d: %s", rc, out);
	cr_assert(strstr(out, "another server is listening there"), "%s", out);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(a, "patient", &q, &r), 0, "a's socket still works");
	e2e_free(a);
	e2e_free(b);
}

/* verifies: SR-STORE-006 */
Test(pumpd_state, pair_and_unpair_go_through_the_running_daemon)
{
	e2e_pump *p = must_start(NULL, 0);
	const char *st[] = { "status", e2e_state_dir(p), NULL };
	cr_assert_eq(pumpd(st), 0, "%s", out);
	char want[64];
	snprintf(want, sizeof want, "pid %d\n", e2e_pid(p));
	cr_assert(strstr(out, want), "%s", out);
	cr_assert(strstr(out, "clock simulated\n"), "%s", out);

	/* a key paired while pumpd runs is let in at once */
	cr_assert_eq(e2e_pair(p, "late", "patient"), 0);
	cr_assert(e2e_log_count(p, "paired late as patient; pairing code") == 1,
	          "the daemon did the pairing");
	must_grant(p, "late");
	const char *ls[] = { "remotes", e2e_state_dir(p), NULL };
	cr_assert_eq(pumpd(ls), 0, "%s", out);
	cr_assert(strstr(out, "late             patient"), "%s", out);
	cr_assert(!strstr(out, "late             patient   never"),
	          "last seen comes from the daemon's memory: %s", out);

	/* unpaired while running: refused at the next handshake */
	const char *un[] = { "unpair", e2e_state_dir(p), "late", NULL };
	cr_assert_eq(pumpd(un), 0, "%s", out);
	cr_assert_str_eq(out, "unpaired late\n");
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_neq(e2e_call(p, "late", &q, &r), 0, "an unpaired key got in");
	cr_assert_eq(pumpd(un), 1, "%s", out);
	cr_assert(strstr(out, "no remote named 'late'"), "%s", out);

	/* all of it is in the store once the daemon is gone */
	cr_assert_eq(e2e_stop(p), 0);
	cr_assert_eq(pumpd(st), 3, "%s", out);
	cr_assert_str_eq(out, "not running\n");
	cr_assert_eq(pumpd(ls), 0, "%s", out);
	cr_assert(!strstr(out, "late "), "%s", out);
	e2e_free(p);
}

static const char rx_text[] =
	"drug = morphine\n"
	"concentration = 10 mg/mL\n"
	"reservoir = 20 mL\n"
	"mode = continuous\n"
	"daily_rate = 2 mg/day\n"
	"bolus = on\n"
	"bolus_dose = 0.25 mg\n"
	"bolus_duration = 5 min\n"
	"lockout = 1 h\n"
	"max_per_24h = 8\n"
	"low_reservoir = 2 mL\n";

/* verifies: SR-STORE-006 SR-RX-001 */
Test(pumpd_state, rx_programs_the_running_pump_or_the_stored_one)
{
	e2e_pump *p = must_start(NULL, 0);
	char path[256];
	cr_assert_eq(e2e_put_file(p, "new.rx", rx_text, path, sizeof path), 0);
	e2e_session *watch = must_open(p, "patient2");

	const char *argv[] = { "rx", e2e_state_dir(p), path, NULL };
	cr_assert_eq(pumpd(argv), 0, "%s", out);
	cr_assert_str_eq(out, "programmed morphine\n");
	/* a remote hears of it */
	struct msg_from_pump m;
	cr_assert_eq(e2e_recv(watch, &m, 5000), 0);
	cr_assert_eq(m.type, MSG_NOTIFY);
	cr_assert_eq(m.u.notify.event, MSG_EV_PROGRAMMED);
	cr_assert_eq(m.u.notify.state.bolus_dose_ng, 250000);
	cr_assert_eq(m.u.notify.state.lockout_ms, 3600000);
	e2e_session_close(watch);
	const char *show[] = { "rx", e2e_state_dir(p), NULL };
	cr_assert_eq(pumpd(show), 0, "%s", out);
	cr_assert(strstr(out, "lockout = 1 h"), "%s", out);

	/* a bad file is refused by the command, before the pump sees it */
	cr_assert_eq(e2e_put_file(p, "new.rx", "drug = morphine\nlockout = soon\n",
	                          path, sizeof path), 0);
	cr_assert_eq(pumpd(argv), 2, "%s", out);
	cr_assert(strstr(out, "new.rx:2: lockout"), "%s", out);

	/* with no pumpd running it programs the stored pump */
	cr_assert_eq(e2e_stop(p), 0);
	char text[sizeof rx_text + 32];
	snprintf(text, sizeof text, "%smax_per_24h = 3\n", rx_text);
	cr_assert_eq(e2e_put_file(p, "new.rx", text, path, sizeof path), 0);
	cr_assert_eq(pumpd(argv), 2, "a duplicate key: %s", out);
	size_t n = 0;   /* rx_text with max_per_24h = 3 in place of its own */
	for (const char *l = rx_text; *l; ) {
		const char *nl = strchr(l, '\n');
		if (strncmp(l, "max_per_24h", 11) != 0) {
			memcpy(text + n, l, (size_t)(nl - l + 1));
			n += (size_t)(nl - l + 1);
		}
		l = nl + 1;
	}
	snprintf(text + n, sizeof text - n, "max_per_24h = 3\n");
	cr_assert_eq(e2e_put_file(p, "new.rx", text, path, sizeof path), 0);
	cr_assert_eq(pumpd(argv), 0, "%s", out);
	cr_assert_eq(e2e_restart(p), 0);
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.state.max_per_24h, 3);
	e2e_free(p);
}

/* verifies: SR-STORE-008 SR-STORE-003 */
Test(pumpd_state, damaged_states_are_refused_by_name)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	cr_assert_eq(e2e_stop(p), 0);
	const char *state = e2e_state_dir(p);
	char path[512];

	sql(p, "UPDATE remotes SET role = 9 WHERE name = 'patient'");
	refused_everywhere(p, "remote 'patient' has role out of range (not 1-3)");
	sql(p, "UPDATE remotes SET role = 1 WHERE name = 'patient'");

	sql(p, "UPDATE remotes SET pubkey = x'0102' WHERE name = 'tester'");
	refused_everywhere(p, "remote 'tester' has a public key of 2 bytes");
	sql(p, "UPDATE remotes SET pubkey = randomblob(32) WHERE name = 'tester'");

	/* another pump's database, then another pump's key pair */
	e2e_pump *other = must_start(NULL, E2E_QUIET);
	cr_assert_eq(e2e_stop(other), 0);
	/* (files moved in C: under valgrind a shell's children are traced) */
	char keep[600];
	snprintf(keep, sizeof keep, "%s/keep", e2e_dir(p));
	cr_assert_eq(mkdir(keep, 0700), 0);
	move_key(state, keep, "pump.key");
	move_key(state, keep, "pump.pub");
	copy_key(e2e_state_dir(other), state, "pump.key");
	copy_key(e2e_state_dir(other), state, "pump.pub");
	refused_everywhere(p, "it belongs to another pump");
	/* a pump.pub that is not pump.key's */
	copy_key(keep, state, "pump.key");
	refused_everywhere(p, "pump.pub does not match pump.key");
	copy_key(keep, state, "pump.pub");
	e2e_free(other);

	/* a directory other users may enter */
	cr_assert_eq(chmod(state, 0777), 0);
	refused_everywhere(p, "mode 0777 lets other users in");
	cr_assert_eq(chmod(state, 0700), 0);

	/* a table dropped */
	sql(p, "DROP TABLE history");
	refused_everywhere(p, "table history is missing");
	sql(p, "CREATE TABLE history(id INTEGER PRIMARY KEY, remote_id INTEGER, "
	       "at_ms INTEGER, outcome INTEGER)");
	refused_everywhere(p, "table history is not as this pumpd made it");
	sql(p, "DROP TABLE history; CREATE TABLE history(id INTEGER PRIMARY KEY, "
	       "remote_id INTEGER NOT NULL, at_ms INTEGER NOT NULL, outcome INTEGER "
	       "NOT NULL, dose_ng INTEGER NOT NULL, prev INTEGER NOT NULL DEFAULT 0)");

	/* mended, it serves as before */
	snprintf(path, sizeof path, "%s/lock", state);
	cr_assert_eq(e2e_restart(p), 0, "the mended state starts");
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	e2e_free(p);
}

/* verifies: SR-STORE-008 */
Test(pumpd_state, bad_history_rows_are_refused_at_start)
{
	e2e_pump *p = must_start(NULL, E2E_QUIET);
	cr_assert_eq(e2e_stop(p), 0);
	sql(p, "INSERT INTO history(remote_id, at_ms, outcome, dose_ng) "
	       "VALUES(1, 0, 1, -5)");
	const char *run[] = { "run", e2e_state_dir(p), "--unix", "/nonexistent/x",
	                      "--sim", NULL };
	cr_assert_eq(pumpd(run), 1, "%s", out);
	cr_assert(strstr(out, "1 bolus history rows hold impossible values"), "%s", out);
	e2e_free(p);
}

/* verifies: SR-STORE-007 SR-STORE-002 */
Test(pumpd_state, a_full_disk_lets_paired_remotes_in_and_refuses_changes)
{
	/* the state moves onto a 2 MiB file system of its own */
	e2e_pump *p = must_start_small_disk();
	const char *state = e2e_state_dir(p);
	char filler[600];
	must_grant(p, "patient");

	must_fill_disk(state, filler, sizeof filler);
	/* changes go on while SQLite's log has room; then one is refused,
	 * saying why */
	struct msg_request q = { .type = MSG_CLOCK };
	struct msg_reply r;
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 60 * 1000;
	r.err = MSG_OK;
	for (int i = 0; i < 5000 && r.err == MSG_OK; i++)
		cr_assert_eq(e2e_call(p, "tester", &q, &r), 0, "call %d", i);
	cr_assert_eq(r.err, MSG_E_STORAGE, "err %s", msg_err_name(r.err));
	cr_assert_str_eq(r.detail, "disk full");
	q = (struct msg_request){ .type = MSG_BOLUS };
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_STORAGE);

	/* a paired remote gets in and reads, again and again: when even its
	 * handshake's timestamp no longer fits, it is kept in memory */
	e2e_session *s = NULL;
	int quiet_after = -1;
	for (int i = 0; i < 3000 && quiet_after < 5; i++) {
		q = (struct msg_request){ .type = MSG_STATUS };
		cr_assert_eq(e2e_call(p, "patient", &q, &r), 0,
		             "handshake %d refused: a full disk looked like a key problem "
		             "(%s)", i, e2e_log_path(p));
		cr_assert_eq(r.err, MSG_OK);
		cr_assert_eq(r.state.boluses_24h, 1);
		if (quiet_after >= 0 || e2e_log_count(p, "timestamp kept in memory only") > 0)
			quiet_after++;
	}
	cr_assert_eq(quiet_after, 5, "the timestamps never stopped fitting");
	/* a replayed message 1 is still refused: the newer timestamp is kept */
	s = must_open(p, "patient2");
	size_t n = 0;
	const uint8_t *sent = e2e_session_sent(s, &n);
	cr_assert_geq(n, 110);
	uint8_t msg1[110];
	memcpy(msg1, sent, sizeof msg1);
	e2e_session_close(s);
	int fd = e2e_connect_fd(p);
	cr_assert_geq(fd, 0);
	cr_assert_eq(write(fd, msg1, sizeof msg1), (ssize_t)sizeof msg1);
	cr_assert(e2e_fd_closed(fd, 5000), "a replayed message 1 was let in");
	close(fd);

	/* space again: the change goes through */
	cr_assert_eq(unlink(filler), 0);
	q = (struct msg_request){ .type = MSG_BOLUS };
	cr_assert_eq(e2e_call(p, "patient", &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK, "err %s %s", msg_err_name(r.err), r.detail);
	must_unmount(p);
}

Test(pumpd_state, run_options_out_of_range_are_usage_errors)
{
	e2e_pump *p = must_start(NULL, 0);
	cr_assert_eq(e2e_stop(p), 0);
	const char *state = e2e_state_dir(p);
	const char *a[] = { "run", state, "--max-peers", "0", "--sim", NULL };
	const char *b[] = { "run", state, "--handshake-timeout", "0", "--sim", NULL };
	const char *c[] = { "run", state, "--speed", "2", NULL };
	const char *d[] = { "run", state, "--frame-timeout", "0", "--sim", NULL };
	const char *const *bad[] = { a, b, c, d };
	for (size_t i = 0; i < 4; i++) {
		cr_assert_eq(pumpd(bad[i]), 2, "%s %s: %s", bad[i][2], bad[i][3], out);
		cr_assert(strstr(out, bad[i][2]), "names the option: %s", out);
	}
	e2e_free(p);
}
