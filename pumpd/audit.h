/*
 * pumpd/audit.h — the running pump's audit rows: typed (store.h's
 * store_event_kind), dated twice (the pump's time, which a tester may move,
 * and the wall clock), written in the loop turn's batch.  Bounded: the log
 * keeps its newest AUDIT_KEEP rows.  Repeated security events (refused
 * handshakes, evictions, decrypt failures) are summarised: the first of a
 * burst is written and logged, the rest are counted, and one row says how
 * many followed when the burst ends (AUDIT_BURST_MS without one), so a
 * flood costs a few rows, not one each.
 */
#ifndef PTM_PUMPD_AUDIT_H
#define PTM_PUMPD_AUDIT_H

#include <stdint.h>

#include "pumpd/srv.h"

#define AUDIT_KEEP      100000  /* rows kept; older ones are deleted */
#define AUDIT_BURST_MS  10000   /* a burst ends after this long quiet */

/* A row in the turn's batch, now, by rm (NULL: the pump), best effort (a
 * failure is logged).  The text is printf-formatted. */
void audit_row(struct server *srv, int kind, const struct remote *rm,
               const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* A row at pump time at_ms by who/role, inside the caller's transaction:
 * 0 or a store error. */
int audit_row_at(struct server *srv, int kind, const char *who, int role,
                 int64_t at_ms, const char *text);

/* A security event, summarised per key (one burst per key: a cause, or a
 * cause and a remote): the first of a burst is written and logged (warn),
 * the rest counted. */
void audit_burst(struct server *srv, int kind, const char *key,
                 const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* The timer that closes bursts (at start) / its close (cb once). */
void audit_init(struct server *srv);
void audit_close(struct server *srv, uv_close_cb cb);

#endif
