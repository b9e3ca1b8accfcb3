/*
 * net/msgjson.h — replies and notifications as JSON (jansson), the stable
 * schema ptmctl --json prints (documented in docs/ptmctl.1).
 *
 * Field names never change meaning; units are in the names (_ms since the
 * Unix epoch for moments, _ms for durations where the name says so, _nl,
 * _ng, _ng_day, _ng_ml).  Enumerations are the lower-case names of net/msg.h
 * (msg_outcome_name ...).  A moment that does not apply is null.
 * Integers are JSON numbers up to MSGJSON_INT_MAX (2^53 - 1) and decimal
 * strings above it (an id of 2^63 is "9223372036854775808"), so that every
 * u64 of the protocol arrives exactly.
 *
 * Memory: every function returns a new reference the caller owns
 * (json_decref), or NULL when out of memory.
 */
#ifndef PTM_NET_MSGJSON_H
#define PTM_NET_MSGJSON_H

#include <stdio.h>
#include <jansson.h>

#include "net/msg.h"

#define MSGJSON_INT_MAX 9007199254740991ull /* 2^53 - 1 */

json_t *msgjson_state(const struct msg_state *s);
json_t *msgjson_reply(const struct msg_reply *r);
json_t *msgjson_notify(const struct msg_notify *n);
/* {"type":"paircode","code":"012345"} */
json_t *msgjson_paircode(const char *code);

/* Print j compactly on one line with a newline, keys in schema order.
 * Returns 0 or -EIO.  Does not take the reference. */
int msgjson_print(FILE *f, const json_t *j);

#endif
