/*
 * tests/lib/e2e.h — end-to-end test helper: a real build/pumpd in a private
 * temporary directory, and a small blocking remote that speaks the protocol
 * byte by byte (so tests can also send what a good remote never would).
 *
 *   e2e_pump *p = e2e_start(NULL, 0);      // default prescription, --sim
 *   struct msg_request q = { .type = MSG_BOLUS };
 *   struct msg_reply r;
 *   e2e_call(p, "patient", &q, &r);        // one session, one request
 *   e2e_kill9(p); e2e_restart(p);
 *   e2e_free(p);                            // stops pumpd, removes the dir
 *
 * e2e_start makes DIR=/tmp/ptm-e2e.XXXXXX, runs `pumpd init DIR/state`
 * (with the given prescription text), generates key pairs
 * DIR/keys/NAME.key|.pub for the remotes "patient", "patient2",
 * "clinician", "tester" and pairs them with those roles, then starts
 * `pumpd run DIR/state --unix DIR/pump.sock --sim --speed 0 --ready-fd N
 * --log-level debug` with stderr to DIR/pumpd.log, and waits for the READY
 * line on the pipe (never a sleep).  The simulated clock is frozen: tests
 * move it with MSG_CLOCK.  The program is $PTM_PUMPD if set, else
 * $PTM_BUILD/pumpd (PTM_BUILD default "build").
 *
 * Every child (pumpd run, pumpd commands) dies with the test process
 * (PR_SET_PDEATHSIG), so a failing test leaves no pumpd behind; a pump or
 * session a failed test could not free is freed (its directory removed)
 * when the test process exits.
 *
 * Time: every deadline below (READY, a pumpd command, a reply, a close, a
 * log line, an exit) is multiplied by e2e_time_scale(), the slowdown of
 * the run: valgrind or a sanitizer slows pumpd and the test alike, and a
 * deadline is a bound on a child, not a speed figure.  So are pumpd's
 * deadlines on the test's remotes: when the scale is above 1, `pumpd run`
 * gets --handshake-timeout and --frame-timeout of 5 s (their defaults)
 * times the scale.  Tests scale their own deadlines (and the timeouts
 * they give pumpd) with e2e_ms().  With PTM_E2E_TIMING=1 each test
 * process says at exit which of these waits came nearest its deadline,
 * as a share of the unscaled one: the scale a run needs.
 *
 * Every function returns 0 / a pointer on success and a negative number /
 * NULL on failure, after printing why to stderr.  Not thread-safe; each
 * Criterion worker has its own pumpd.  Memory: e2e_pump and e2e_session are
 * owned by the caller until e2e_free / e2e_session_close.
 */
#ifndef PTM_TESTS_LIB_E2E_H
#define PTM_TESTS_LIB_E2E_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"

struct client_config;

/* PTM_TIME_SCALE: a whole number from 1 (the default) to 1000 that every
 * deadline of a test is multiplied by (tests/run.sh sets it for valgrind
 * and sanitizer runs).  A value that is not such a number counts as 1,
 * with a warning on stderr. */
unsigned e2e_time_scale(void);
/* ms * e2e_time_scale(), at most INT_MAX. */
int e2e_ms(int ms);

typedef struct e2e_pump e2e_pump;
typedef struct e2e_session e2e_session;

#define E2E_REAL_CLOCK 0x01  /* run on the real clock (no --sim) */
#define E2E_SPEED1     0x02  /* --sim at real-time speed instead of frozen */
#define E2E_TCP        0x04  /* also listen on tcp:127.0.0.1:0 */
#define E2E_QUIET      0x08  /* --log-level warn */

/* Start a pump (see above).  rx_text: prescription file text or NULL for
 * the default.  extra: more `pumpd run` arguments, NULL-terminated, or
 * NULL. */
e2e_pump *e2e_start(const char *rx_text, unsigned flags);
e2e_pump *e2e_start_args(const char *rx_text, unsigned flags,
                         const char *const *extra);
/* The same with more `pumpd init` arguments (NULL-terminated, up to 7, or
 * NULL), e.g. { "--start", "2026-01-01T08:00:00Z", NULL }. */
e2e_pump *e2e_start_full(const char *rx_text, unsigned flags,
                         const char *const *init_extra,
                         const char *const *extra);

/* Stop with SIGTERM and wait; returns pumpd's exit status (or -1). */
int e2e_stop(e2e_pump *p);
/* Send pumpd a signal: 0 or -1. */
int e2e_signal(e2e_pump *p, int sig);
/* Wait for pumpd to exit by itself: its exit status, or -1 (killed with -9
 * when still running after timeout_ms). */
int e2e_wait(e2e_pump *p, int timeout_ms);
/* kill -9 and reap.  Returns 0. */
int e2e_kill9(e2e_pump *p);
/* Start pumpd again on the same directory and socket; waits for READY. */
int e2e_restart(e2e_pump *p);
/* Stop pumpd if running, remove the directory, free.  When pumpd's log
 * holds a sanitizer report (ASan/UBSan build), prints it and aborts: the
 * test fails. */
void e2e_free(e2e_pump *p);

const char *e2e_dir(const e2e_pump *p);       /* the temporary directory */
const char *e2e_state_dir(const e2e_pump *p); /* DIR/state */
const char *e2e_addr(const e2e_pump *p);      /* "unix:DIR/pump.sock" */
const char *e2e_tcp_addr(const e2e_pump *p);  /* "tcp:127.0.0.1:PORT" or NULL */
const char *e2e_log_path(const e2e_pump *p);  /* DIR/pumpd.log */
int e2e_pid(const e2e_pump *p);               /* 0 when not running */
const char *e2e_pumpd_path(void);
const uint8_t *e2e_pump_pub(const e2e_pump *p);              /* 32 bytes */
/* A paired remote's private key (32 bytes) / key file path, NULL if none. */
const uint8_t *e2e_key(const e2e_pump *p, const char *name);
const char *e2e_key_path(const e2e_pump *p, const char *name, int pub);

/* Fill a net/client.h config for a remote: address, key, pump_key (the
 * pointers stay valid until e2e_free); other fields zero.  0 or -1. */
int e2e_client_config(e2e_pump *p, const char *name, struct client_config *cfg);

/* Generate a fresh key pair NAME in DIR/keys and pair it with role
 * (pumpd pair), as a user would.  0 or -1. */
int e2e_pair(e2e_pump *p, const char *name, const char *role);

/* Run a pumpd command (argv without "pumpd") and collect stdout+stderr into
 * out (cap bytes, NUL-terminated; may be NULL).  Returns the exit status,
 * or -1 if it could not be run or ran for more than 20 s (then killed). */
int e2e_cli(const char *const *argv, char *out, size_t cap);
/* The same as user and group uid (when uid >= 0; the caller must be root),
 * killed (and -1 returned) when still running after timeout_ms.  Another
 * user may not be able to reach the build (a checkout in a 0700 home): it
 * runs a copy of pumpd from a fresh 0755 directory under /tmp, removed
 * after, in the working directory "/". */
int e2e_cli_as(const char *const *argv, long uid, int timeout_ms, char *out,
               size_t cap);

/* ---- a blocking remote ---- */

/* From now on, connections of p (e2e_connect_fd, sessions) go to the pump's
 * TCP listener (needs E2E_TCP) from the loopback address src_ip (e.g.
 * "127.0.0.2": any 127.x.y.z is this machine), or to the unix socket again
 * when src_ip is NULL.  0 or -1. */
int e2e_set_tcp_source(e2e_pump *p, const char *src_ip);

/* Connect to the pump's unix socket (or TCP, see e2e_set_tcp_source): a
 * plain fd, or -1. */
int e2e_connect_fd(const e2e_pump *p);

/* Connect and complete the handshake as remote `name` (message 1 carries
 * the current TAI64N, or tai if not NULL).  NULL on failure (refused:
 * the pump closed the connection). */
e2e_session *e2e_session_open(e2e_pump *p, const char *name);
e2e_session *e2e_session_open_tai(e2e_pump *p, const char *name,
                                  const uint8_t tai[12]);
void e2e_session_close(e2e_session *s);
int e2e_session_fd(const e2e_session *s);

/* From now on, sessions of p write one byte per system call (a slow peer). */
void e2e_set_slow(e2e_pump *p, int on);

/* Send one request (id: q->id, or the next rising id when q->id is 0;
 * q->id is set).  0 or -1. */
int e2e_send(e2e_session *s, struct msg_request *q);
/* Encode q into buf (cap bytes), giving it an id as e2e_send does: the
 * length, or -1.  Tests change the bytes to send what a good remote never
 * would. */
int e2e_encode(e2e_pump *p, struct msg_request *q, uint8_t *buf, size_t cap);
/* Encrypt and send raw plaintext bytes as one transport message. */
int e2e_send_plain(e2e_session *s, const uint8_t *msg, size_t len);
/* Receive the next message from the pump within timeout_ms.  0, or -1 on
 * timeout/close/error. */
int e2e_recv(e2e_session *s, struct msg_from_pump *out, int timeout_ms);
/* Send and wait for the reply with the same id (notifications on the way
 * are counted in e2e_session_notes and the last one kept).  0 or -1. */
int e2e_request(e2e_session *s, struct msg_request *q, struct msg_reply *out);
/* Send raw plaintext and wait for the reply with this id.  0 or -1. */
int e2e_request_plain(e2e_session *s, const uint8_t *msg, size_t len,
                      uint64_t id, struct msg_reply *out);
unsigned e2e_session_notes(const e2e_session *s);
const struct msg_notify *e2e_session_last_note(const e2e_session *s);

/* Read everything the pump sends until it closes the connection, as fast
 * as the socket gives it, into a private file that then stands in for the
 * connection: later e2e_recv calls take their messages from it, in order,
 * and e2e_fd_closed finds it closed at its end.  For a test that must not
 * be slower than a deadline of the pump's (a flush at SIGTERM) while it
 * decrypts each message.  0, or -1 when the pump did not close within
 * timeout_ms (what was read is kept). */
int e2e_session_drain(e2e_session *s, int timeout_ms);

/* Every byte this session sent on the wire, in order (for replay tests). */
const uint8_t *e2e_session_sent(const e2e_session *s, size_t *len);

/* One session, one request: open as name, request, close.  0 or -1. */
int e2e_call(e2e_pump *p, const char *name, struct msg_request *q,
             struct msg_reply *out);

/* 1 when the pump closed this fd (EOF or reset) within timeout_ms. */
int e2e_fd_closed(int fd, int timeout_ms);

/* Count lines of the pumpd log containing needle. */
int e2e_log_count(const e2e_pump *p, const char *needle);
/* Re-read the log until a line contains needle: 0, or -1 after timeout_ms. */
int e2e_log_wait(const e2e_pump *p, const char *needle, int timeout_ms);

#endif
