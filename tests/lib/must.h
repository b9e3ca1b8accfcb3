/*
 * tests/lib/must.h — the steps an end-to-end test relies on (a pump, a
 * session, a request answered, a tester action carried out): each does
 * what its e2e_ namesake does (e2e.h), or fails the test (Criterion).
 *
 *   e2e_pump *p = must_start(NULL, 0);
 *   must_advance(p, 30 * 60000);
 *   struct msg_state st = must_status(p, "patient");
 */
#ifndef PTM_TESTS_LIB_MUST_H
#define PTM_TESTS_LIB_MUST_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "tests/lib/e2e.h"

/* e2e_start / e2e_start_args: the pump. */
e2e_pump *must_start(const char *rx_text, unsigned flags);
e2e_pump *must_start_args(const char *rx_text, unsigned flags,
                          const char *const *extra);

/* e2e_session_open: a session as remote name. */
e2e_session *must_open(e2e_pump *p, const char *name);

/* A session as name that has answered a status: its pump side is open, so
 * every notification from here on reaches it (a watcher). */
e2e_session *must_watch(e2e_pump *p, const char *name);

/* e2e_call: one session, one request, its reply (whatever its err). */
struct msg_reply must_call(e2e_pump *p, const char *who, struct msg_request q);
/* e2e_request on an open session (q->id is set when it was 0). */
struct msg_reply must_request(e2e_session *s, struct msg_request *q);

/* A bolus request granted (MSG_OK, MSG_OUT_GRANTED): the reply. */
struct msg_reply must_grant(e2e_pump *p, const char *who);
struct msg_reply must_grant_in(e2e_session *s);

/* A status reply with MSG_OK: the state. */
struct msg_state must_status(e2e_pump *p, const char *who);
struct msg_state must_status_in(e2e_session *s);

/* A status reply with MSG_OK for who, the call made again (a new
 * connection each time) until one is answered or ms (scaled) pass: a
 * remote that finds the pump busy and tries again, as a real one would. */
struct msg_state must_status_retry(e2e_pump *p, const char *who, int ms);

/* A tester request carried out (MSG_OK): type MSG_CLOCK with op and arg,
 * or MSG_FAULT with kind op and arg. */
struct msg_reply must_tester(e2e_pump *p, int type, int op, uint64_t arg);
/* The tester moves the simulated clock forward by ms. */
void must_advance(e2e_pump *p, uint64_t ms);

/* Every audit row's text, read on a clinician's session (each read adds a
 * row of its own). */
#define MUST_AUDIT_MAX 512
struct must_audit {
	unsigned n;
	char text[MUST_AUDIT_MAX][MSG_TEXT_MAX + 1];
};
void must_read_audit(e2e_session *clinician, struct must_audit *a);
/* 1 when a row's text is exactly text. */
int must_audit_has(const struct must_audit *a, const char *text);

/* A pump whose state directory is a 2 MiB file system of its own (a
 * tmpfs mounted over it); the test is skipped when it is not run as root
 * or no tmpfs can be mounted.  must_unmount stops and frees it. */
e2e_pump *must_start_small_disk(void);
void must_unmount(e2e_pump *p);
/* dir's file system filled to the last byte by the file dir/filler (its
 * path into filler, cap bytes). */
void must_fill_disk(const char *dir, char *filler, size_t cap);

/* Every file of dir: name, size, mtime, mode and bytes, in name order,
 * into buf (cap bytes): its length.  (Not the directory's own mtime:
 * SQLite makes and removes its log files on open.) */
size_t must_snapshot(const char *dir, char *buf, size_t cap);

/* The one integer a query gives on the SQLite database at path (a stopped
 * pump's state.db; the file must exist). */
int64_t must_sql_int(const char *path, const char *sql);

#endif
