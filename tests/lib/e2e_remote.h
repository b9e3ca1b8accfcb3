/*
 * tests/lib/e2e_remote.h — a small blocking remote for a test pump
 * (e2e_pump.h) that speaks the protocol byte by byte, so tests can also
 * send what a good remote never would.
 *
 *   struct msg_request q = { .type = MSG_BOLUS };
 *   struct msg_reply r;
 *   e2e_call(p, "patient", &q, &r);        // one session, one request
 *
 * Waits (a handshake, a reply, a close) are scaled with e2e_ms().  Every
 * function returns 0 / a pointer on success and -1 / NULL on failure.  A
 * session is the caller's until e2e_session_close; one a failed test could
 * not close is closed when the test process exits.
 */
#ifndef PTM_TESTS_LIB_E2E_REMOTE_H
#define PTM_TESTS_LIB_E2E_REMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "tests/lib/e2e_pump.h"

typedef struct e2e_session e2e_session;

/* Connect to the pump's unix socket (or TCP, see e2e_set_tcp_source): a
 * plain fd, or -1. */
int e2e_connect_fd(const e2e_pump *p);

/* Connect and complete the handshake as remote `name` (message 1 carries
 * the current TAI64N, or tai if not NULL; a name nobody paired gets a
 * fresh key).  NULL on failure (refused: the pump closed the
 * connection). */
e2e_session *e2e_session_open(e2e_pump *p, const char *name);
e2e_session *e2e_session_open_tai(e2e_pump *p, const char *name,
                                  const uint8_t tai[12]);
void e2e_session_close(e2e_session *s);
int e2e_session_fd(const e2e_session *s);

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

#endif
