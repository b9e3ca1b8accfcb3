/*
 * tools/scenario/scnlink.h — a scenario's remotes: one net/client session per role
 * (patient, clinician, tester) to the scenario's pump, all on one private
 * libuv loop that runs only inside these calls.  Every role's session is
 * opened at once (scnlink_connect), as real remotes stay connected, so each
 * receives every notification the pump pushes.
 *
 * Requests carry the id the caller chose (ids, retries and stale ids are
 * the scenario's to decide).  A call blocks until the reply, or until the
 * timeout, or until the session is lost; a lost session is opened again by
 * the role's next call.
 *
 * Notifications are kept per role for the window of the last request:
 * those pushed after the pump answered it (the pump sends a reply before the
 * notifications of the change it made, and its notification numbers rise,
 * so the window is "seq greater than the highest seq the requesting remote
 * had seen before the reply").  Older ones are dropped.
 *
 * Statuses: 0, CLIENT_E_* (net/client.h), or the PEER_R_* reason a session
 * could not be opened with (PEER_R_CONNECT, PEER_R_EOF ...); client_strerror
 * (tools/ctl.h) says them in words.
 *
 * Memory: the link is the caller's from scnlink_new to scnlink_free.  The
 * keys are NOT copied: they must stay valid until scnlink_free (net/client
 * copies what it needs and zeroes it on close).
 */
#ifndef PTM_TOOLS_SCENARIO_SCNLINK_H
#define PTM_TOOLS_SCENARIO_SCNLINK_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "tools/scenario/scnstep.h"

struct scnlink;

struct scnlink_config {
	const char *address;                 /* "unix:/tmp/.../pump.sock" */
	const uint8_t *pump_pub;             /* 32 bytes */
	const uint8_t (*priv)[32];           /* priv[role]: 32 bytes each */
	uint32_t timeout_ms;                 /* each request and wait; 0 = 10 s */
	unsigned roles;                      /* the roles with a key, to open:
	                                        1 << role each; 0 = all three */
	uint32_t connect_ms;                 /* opening the sessions (the
	                                        handshake's deadline too);
	                                        0 = timeout_ms */
	/* every notification as it arrives (may be NULL) */
	void (*on_note)(void *ud, int role, const struct msg_notify *n);
	void *ud;
};

/* NULL when out of memory.  Nothing is connected yet. */
struct scnlink *scnlink_new(const struct scnlink_config *cfg);

/* Open every role's session (of cfg->roles) that is not open.  Returns 0, or the status of
 * the first role that failed (its role in *role). */
int scnlink_connect(struct scnlink *l, int *role);

/* Send req (its id as given) as role and wait for the reply: 0 with *out
 * filled, or a negative status.  Starts a new notification window. */
int scnlink_call(struct scnlink *l, int role, const struct msg_request *req,
                 struct msg_reply *out);

/* From now on, every time in the notifications kept is off ms earlier than
 * the pump said (a running pump whose clock is days past the scenario's
 * start=, see scnremote.h); 0: as they came. */
void scnlink_set_time_offset(struct scnlink *l, uint64_t off);

/* Every absolute time in st, off ms earlier (0, "none", stays 0). */
void scnlink_shift_state(struct msg_state *st, uint64_t off);
/* One pump time t moved back by off as scnlink_shift_state moves them (0,
 * no time, stays 0; a time at or before off becomes 1). */
uint64_t scnlink_shift(uint64_t t, uint64_t off);

/* The timeout of the calls and waits now (ms). */
uint32_t scnlink_timeout(const struct scnlink *l);

/* The timeout of the calls and waits from now on (0 = 10 s). */
void scnlink_set_timeout(struct scnlink *l, uint32_t timeout_ms);

/* 1 when role's session is open. */
int scnlink_connected(const struct scnlink *l, int role);

/* The notifications role received in the current window, in arrival order
 * (valid until the next scnlink_* call). */
const struct msg_notify *scnlink_notes(const struct scnlink *l, int role, size_t *n);

/* Run the loop until done(ud) returns 1 (checked first, then after every
 * loop turn) or the timeout passes.  Returns 1 if done, 0 on timeout. */
int scnlink_wait(struct scnlink *l, int (*done)(void *ud), void *ud);

/* Close every session and free (NULL is fine). */
void scnlink_free(struct scnlink *l);

#endif
