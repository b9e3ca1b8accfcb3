/* tests/test_pumpd_bad.c — bad input against the real pumpd: each attack,
 * then a well-behaved remote must still be served and nothing must have
 * changed that should not have. */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <sqlite3.h>

#include "net/msg.h"
#include "pumpd/srclimit.h"
#include "tests/lib/e2e.h"
#include "tests/lib/must.h"

/* A well-behaved remote gets an answer; returns the state. */
static struct msg_state served(e2e_pump *p)
{
	struct msg_request q = { .type = MSG_STATUS };
	struct msg_reply r;
	cr_assert_eq(e2e_call(p, "patient2", &q, &r), 0, "a good remote was not served");
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_neq(e2e_pid(p), 0);
	return r.state;
}

static void send_raw(int fd, const void *b, size_t n)
{
	cr_assert_eq(send(fd, b, n, MSG_NOSIGNAL), (ssize_t)n);
}

/* verifies: SR-LINK-005 */
Test(pumpd_bad, garbage_and_oversize_frames_close_the_connection)
{
	e2e_pump *p = must_start(NULL, 0);
	/* garbage before a handshake: a frame that is not message 1 */
	int fd = e2e_connect_fd(p);
	send_raw(fd, "\x00\x05hello", 7);
	cr_assert(e2e_fd_closed(fd, 5000));
	close(fd);
	/* oversize length: refused before buffering */
	fd = e2e_connect_fd(p);
	send_raw(fd, "\xff\xff", 2);
	cr_assert(e2e_fd_closed(fd, 5000));
	close(fd);
	/* zero length */
	fd = e2e_connect_fd(p);
	send_raw(fd, "\x00\x00", 2);
	cr_assert(e2e_fd_closed(fd, 5000));
	close(fd);
	/* a frame cut short, then the connection closes */
	fd = e2e_connect_fd(p);
	send_raw(fd, "\x00\x60\x01\x02\x03", 5);
	close(fd);
	/* garbage after a handshake: undecryptable transport message */
	e2e_session *s = must_open(p, "patient");
	send_raw(e2e_session_fd(s), "\x00\x20" "0123456789abcdef0123456789abcdef", 34);
	cr_assert(e2e_fd_closed(e2e_session_fd(s), 5000));
	e2e_session_close(s);
	served(p);
	e2e_free(p);
}

/* verifies: SR-DOS-001 */
Test(pumpd_bad, frame_cut_mid_way_hits_the_frame_deadline)
{
	/* short deadlines, scaled: the good remote at the end must still
	 * finish its handshake in time on a slow run */
	char frame[16], hs[16];
	snprintf(frame, sizeof frame, "%d", e2e_ms(300));
	snprintf(hs, sizeof hs, "%d", e2e_ms(600));
	const char *extra[] = { "--frame-timeout", frame, "--handshake-timeout", hs, NULL };
	e2e_pump *p = must_start_args(NULL, 0, extra);
	int fd = e2e_connect_fd(p);
	send_raw(fd, "\x00\x60\x01", 3);    /* a 96-byte frame, 1 byte sent */
	cr_assert(e2e_fd_closed(fd, 5000), "a stalled frame must end the connection");
	close(fd);
	/* a peer that connects and says nothing */
	fd = e2e_connect_fd(p);
	cr_assert(e2e_fd_closed(fd, 5000), "a silent peer must be dropped");
	close(fd);
	served(p);
	e2e_free(p);
}

/* verifies: SR-LINK-002 */
Test(pumpd_bad, unknown_key_is_refused)
{
	e2e_pump *p = must_start(NULL, 0);
	cr_assert_null(e2e_session_open(p, "stranger"), "an unpaired key got a session");
	cr_assert_geq(e2e_log_count(p, "unknown key"), 1);
	served(p);
	e2e_free(p);
}

/* verifies: SR-LINK-003 */
Test(pumpd_bad, replayed_message1_and_replayed_session_give_nothing)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	must_grant_in(s);
	size_t len;
	const uint8_t *sent = e2e_session_sent(s, &len);
	static uint8_t copy[1024];   /* static: a failed assertion frees nothing */
	cr_assert_leq(len, sizeof copy);
	memcpy(copy, sent, len);
	e2e_session_close(s);

	/* the whole captured session, byte for byte, on a new connection */
	int fd = e2e_connect_fd(p);
	send_raw(fd, copy, len);
	cr_assert(e2e_fd_closed(fd, 5000), "a replayed message 1 was answered");
	close(fd);
	/* message 1 alone (its frame is 2 + 108 bytes) */
	fd = e2e_connect_fd(p);
	send_raw(fd, copy, 110);
	cr_assert(e2e_fd_closed(fd, 5000));
	close(fd);

	/* an older timestamp than the last accepted one */
	uint8_t old[12] = { 0x40, 0, 0, 0, 0x10, 0, 0, 0 };
	cr_assert_null(e2e_session_open_tai(p, "patient", old));

	struct msg_state st = served(p);
	cr_assert_eq(st.boluses_24h, 1, "zero boluses from replays");
	/* the two byte-for-byte replays: one summarised refusal */
	cr_assert_eq(e2e_log_count(p, "connection refused: message 1 replayed"), 1);
	e2e_free(p);
}

/* verifies: SR-LINK-001 SR-LINK-003 */
Test(pumpd_bad, replayed_transport_message_ends_the_session)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	size_t hs_len;
	e2e_session_sent(s, &hs_len);
	must_grant_in(s);
	size_t len;
	const uint8_t *sent = e2e_session_sent(s, &len);
	/* send the bolus request's frame again: its nonce is used up */
	send_raw(e2e_session_fd(s), sent + hs_len, len - hs_len);
	cr_assert(e2e_fd_closed(e2e_session_fd(s), 5000));
	e2e_session_close(s);
	cr_assert_eq(served(p).boluses_24h, 1);
	e2e_free(p);
}

/* verifies: SR-LINK-005 SR-BOLUS-007 */
Test(pumpd_bad, malformed_requests_get_error_replies)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "tester");
	struct msg_from_pump m;

	/* unknown type 0x55, id 7 */
	uint8_t unk[] = { 0x55, 0, 0, 0, 0, 0, 0, 0, 7 };
	cr_assert_eq(e2e_send_plain(s, unk, sizeof unk), 0);
	cr_assert_eq(e2e_recv(s, &m, 5000), 0);
	cr_assert_eq(m.type, MSG_REPLY);
	cr_assert_eq(m.u.reply.err, MSG_E_TYPE);
	cr_assert_eq(m.u.reply.id, 7u);
	cr_assert_eq(m.u.reply.req_type, 0x55, "the unknown type echoed");

	/* STATUS with a trailing byte */
	uint8_t trail[] = { MSG_STATUS, 0, 0, 0, 0, 0, 0, 0, 8, 0xee };
	cr_assert_eq(e2e_send_plain(s, trail, sizeof trail), 0);
	cr_assert_eq(e2e_recv(s, &m, 5000), 0);
	cr_assert_eq(m.u.reply.err, MSG_E_MALFORMED);

	/* truncated BOLUS header */
	uint8_t shrt[] = { MSG_BOLUS, 0, 0 };
	cr_assert_eq(e2e_send_plain(s, shrt, sizeof shrt), 0);
	cr_assert_eq(e2e_recv(s, &m, 5000), 0);
	cr_assert_eq(m.u.reply.err, MSG_E_MALFORMED);

	/* out of range: a 20-year clock jump, a reservoir over capacity */
	struct msg_request q = { .type = MSG_CLOCK };
	struct msg_reply r;
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = 20ull * 365 * 86400000ull;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	q = (struct msg_request){ .type = MSG_FAULT };
	q.u.fault.kind = MSG_FAULT_RESERVOIR;
	q.u.fault.arg = 50000000;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_eq(r.state.reservoir_nl, 20000000u, "nothing changed");
	q = (struct msg_request){ .type = MSG_REFILL };
	q.u.refill.volume_nl = 90000000;
	q.u.refill.concentration_ng_ml = 10000000;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "volume_nl");
	/* a prescription the pump refuses names the field */
	q = (struct msg_request){ .type = MSG_PROGRAM };
	snprintf(q.u.rx.drug, sizeof q.u.rx.drug, "morphine");
	q.u.rx.concentration_ng_ml = 10000000;
	q.u.rx.capacity_nl = 20000000;
	q.u.rx.mode = MSG_MODE_CONTINUOUS;
	q.u.rx.rate_ng_day = 3000000;
	q.u.rx.bolus_enabled = 1;
	q.u.rx.bolus_dose_ng = 500000;
	q.u.rx.bolus_duration_ms = 600000;
	q.u.rx.lockout_ms = 60000;  /* shorter than the bolus */
	q.u.rx.max_per_24h = 6;
	q.u.rx.low_threshold_nl = 2000000;
	q.u.rx.silence_ms = 3600000;
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_E_RANGE);
	cr_assert_str_eq(r.detail, "lockout_ms", "as PROTOCOL.md 8.4 names it");
	cr_assert_eq(r.state.lockout_ms, 7200000u, "prescription unchanged");
	e2e_session_close(s);
	served(p);
	e2e_free(p);
}

Test(pumpd_bad, slow_peer_one_byte_at_a_time_is_served)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_set_slow(p, 1);  /* handshake and requests, one byte per write */
	e2e_session *s = must_open(p, "patient");
	must_grant_in(s);
	e2e_session_close(s);
	e2e_set_slow(p, 0);
	cr_assert_eq(served(p).boluses_24h, 1);
	e2e_free(p);
}

/* verifies: SR-DOS-003 */
Test(pumpd_bad, peer_that_never_reads_is_dropped)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *s = must_open(p, "patient");
	int small = 4096;
	setsockopt(e2e_session_fd(s), SOL_SOCKET, SO_RCVBUF, &small, sizeof small);
	/* ask for status thousands of times and read nothing */
	int sent = 0;
	for (int i = 0; i < 20000; i++) {
		struct msg_request q = { .type = MSG_STATUS };
		if (e2e_send(s, &q) < 0)
			break;
		sent++;
		if (i % 500 == 499 && e2e_log_count(p, "write_cap") > 0)
			break;
	}
	cr_assert_gt(sent, 100);
	/* meanwhile others are served */
	served(p);
	e2e_session_close(s);
	served(p);
	e2e_free(p);
}

/* verifies: SR-DOS-002 */
Test(pumpd_bad, hundreds_of_connections_at_once)
{
	/* one process may hold 32 in the handshake: the others are closed */
	const char *extra[] = { "--max-peers", "64", "--preauth-per-source", "32", NULL };
	e2e_pump *p = must_start_args(NULL, E2E_QUIET, extra);
	enum { N = 300 };
	int fds[N], opened = 0;
	for (int i = 0; i < N; i++) {
		fds[i] = e2e_connect_fd(p);
		if (fds[i] >= 0)
			opened++;
	}
	cr_assert_gt(opened, 64);
	/* those over the cap are closed by the pump at once */
	int dropped = 0;
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0 && e2e_fd_closed(fds[i], i >= 64 ? 2000 : 0))
			dropped++;
	cr_assert_geq(dropped, opened - 64);
	for (int i = 0; i < N; i++)
		if (fds[i] >= 0)
			close(fds[i]);
	/* the pump sees the closes asynchronously: a remote that finds it full
	 * tries again, as a real one would (bounded, no sleep) */
	must_status_retry(p, "patient2", 10000);
	served(p);
	e2e_free(p);
}

/* One source opens 200 TCP connections as fast as it can: past its burst
 * (128) and rate (8 a second) each is closed at once, before any key work,
 * with one log line for the flood; a remote at another address, and one on
 * the unix socket, are served meanwhile; the flooding address gets in
 * again once it slows down. */
/* verifies: SR-DOS-002 */
Test(pumpd_bad, connection_flood_from_one_tcp_source_is_rate_limited)
{
	e2e_pump *p = must_start(NULL, E2E_TCP);
	cr_assert_eq(e2e_set_tcp_source(p, "127.0.0.2"), 0);
	enum { N = 200, BURST = SRCLIMIT_BURST, PER_S = SRCLIMIT_PER_S };
	int fds[N], opened = 0;
	int64_t t0 = e2e_now_ms();
	for (int i = 0; i < N; i++)
		if ((fds[i] = e2e_connect_fd(p)) >= 0)
			opened++;
	cr_assert_eq(opened, N, "the kernel accepts every connection");
	/* a remote at another address, connecting after them, is served: pumpd
	 * has taken all 200 from its queue (in order) and closed the ones it
	 * refused by then; its bucket refilled for as long as that took */
	cr_assert_eq(e2e_set_tcp_source(p, "127.0.0.1"), 0);
	served(p);
	int64_t secs = (e2e_now_ms() - t0) / 1000 + 1;
	int dropped = 0, kept = 0;
	for (int i = 0; i < N; i++) {
		if (e2e_fd_closed(fds[i], 0))
			dropped++;
		else
			kept++;
	}
	cr_assert_geq(kept, BURST, "the burst is let in (%d)", kept);
	cr_assert_leq(kept, BURST + PER_S * secs, "%d kept in %lld s", kept,
	              (long long)secs);
	cr_assert_eq(dropped + kept, N);
	cr_assert_eq(e2e_log_count(p, "connections refused from tcp:127.0.0.2:"), 1,
	             "one log line for the flood");

	/* another source over TCP, and the unix socket: served */
	cr_assert_eq(e2e_set_tcp_source(p, "127.0.0.1"), 0);
	struct msg_state s = served(p);
	cr_assert_eq(s.reservoir_nl, 20000000u);
	cr_assert_eq(e2e_set_tcp_source(p, NULL), 0);
	served(p);
	for (int i = 0; i < N; i++)
		close(fds[i]);

	/* the flooding address, slowed down, gets in again (its bucket fills
	 * at 8 a second: try until it does, bounded) */
	cr_assert_eq(e2e_set_tcp_source(p, "127.0.0.2"), 0);
	must_status_retry(p, "patient", 10000);
	e2e_free(p);
}

Test(pumpd_bad, session_replaced_by_a_new_handshake)
{
	e2e_pump *p = must_start(NULL, 0);
	e2e_session *a = must_watch(p, "patient");
	e2e_session *b = must_watch(p, "patient");
	cr_assert(e2e_fd_closed(e2e_session_fd(a), 5000), "the old session lives on");
	e2e_session_close(a);
	e2e_session_close(b);
	e2e_free(p);
}

/* verifies: SR-STORE-002 */
Test(pumpd_bad, full_database_refuses_the_change_and_keeps_serving)
{
	/* a database that cannot grow past its size at start: a full disk */
	const char *extra[] = { "--db-max-pages", "1", NULL };
	e2e_pump *p = must_start_args(NULL, 0, extra);
	e2e_session *s = must_open(p, "patient");
	struct msg_request q;
	struct msg_reply r, last_ok;
	int full = 0;
	memset(&last_ok, 0, sizeof last_ok);
	for (int i = 0; i < 2000 && !full; i++) {
		q = (struct msg_request){ .type = MSG_BOLUS };
		cr_assert_eq(e2e_request(s, &q, &r), 0);
		if (r.err == MSG_E_STORAGE)
			full = 1;
		else
			last_ok = r;
	}
	cr_assert(full, "the database never filled");
	cr_assert_str_eq(r.detail, "disk full");
	cr_assert_eq(r.state.boluses_24h, last_ok.state.boluses_24h, "nothing changed");
	cr_assert_eq(r.state.reservoir_nl, last_ok.state.reservoir_nl);
	/* a read is still answered */
	q = (struct msg_request){ .type = MSG_STATUS };
	cr_assert_eq(e2e_request(s, &q, &r), 0);
	cr_assert_eq(r.err, MSG_OK);
	cr_assert_eq(r.state.boluses_24h, 1);
	e2e_session_close(s);
	cr_assert_geq(e2e_log_count(p, "cannot store"), 1);
	e2e_free(p);
}

static void write_bytes(const char *path, const char *data, size_t n)
{
	FILE *f = fopen(path, "wb");
	cr_assert(f);
	cr_assert_eq(fwrite(data, 1, n, f), n);
	fclose(f);
}

/* verifies: SR-STORE-003 */
Test(pumpd_bad, corrupt_or_foreign_database_is_refused_untouched)
{
	e2e_pump *p = must_start(NULL, 0);
	cr_assert_eq(e2e_stop(p), 0);
	char db[256], out[1024];
	snprintf(db, sizeof db, "%s/state.db", e2e_state_dir(p));
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", db);
	unlink(wal);

	/* foreign: a valid SQLite file of someone else */
	unlink(db);
	sqlite3 *h;
	cr_assert_eq(sqlite3_open(db, &h), SQLITE_OK);
	sqlite3_exec(h, "CREATE TABLE notes(x); INSERT INTO notes VALUES('mine');",
	             NULL, NULL, NULL);
	sqlite3_close(h);
	struct stat a, b;
	cr_assert_eq(stat(db, &a), 0);
	const char *argv[] = { "run", e2e_state_dir(p), "--unix", "/nonexistent/x.sock",
	                       "--sim", NULL };
	int rc = e2e_cli(argv, out, sizeof out);
	cr_assert_eq(rc, 1, "exit 1: %s", out);
	cr_assert(strstr(out, "not a pumpd state database"), "%s", out);
	cr_assert_eq(stat(db, &b), 0);
	cr_assert_eq(a.st_size, b.st_size);
	cr_assert_eq(a.st_mtime, b.st_mtime);
	cr_assert_neq(access(wal, F_OK), 0);

	/* corrupt: random bytes */
	char junk[8192];
	for (size_t i = 0; i < sizeof junk; i++)
		junk[i] = (char)(i * 7 + 3);
	write_bytes(db, junk, sizeof junk);
	rc = e2e_cli(argv, out, sizeof out);
	cr_assert_eq(rc, 1, "%s", out);
	cr_assert(strstr(out, "refusing to touch it"), "%s", out);
	cr_assert_eq(stat(db, &b), 0);
	cr_assert_eq(b.st_size, 8192);
	e2e_free(p);
}
