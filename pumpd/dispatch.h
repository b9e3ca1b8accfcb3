/*
 * pumpd/dispatch.h — one request from a session, start to end:
 *
 *   1. the remote must still be paired (else ROLE "unpaired", session closed)
 *   2. decode (else MALFORMED or TYPE, naming the request if it can)
 *   3. request ids rise per remote: an older id gets STALE_ID with the last
 *      id; the last id again gets its stored reply, never a second change
 *   4. the role allows the type; tester requests only on a simulated clock
 *   5. a read (STATUS, HISTORY, LOG) is answered from memory, with no
 *      write; a change is carried out on copies of the pump and clock
 *      (pumpd/request.h), its pump, audit row, bolus history and the
 *      remote's id with its reply written into the loop turn's batch
 *      (pumpd/batch.h), which commits them with the turn's other changes
 *      before any of their replies and notifications leave
 *
 * Refusals (an error reply that changes nothing and is not remembered) are
 * logged and audited.  When the store cannot take a change, the reply is
 * STORAGE and nothing changed; a read is answered all the same.
 */
#ifndef PTM_PUMPD_DISPATCH_H
#define PTM_PUMPD_DISPATCH_H

#include <stddef.h>
#include <stdint.h>

#include "pumpd/srv.h"

/* Handle one decrypted message (msg valid during the call) from s, whose
 * remote is set. */
void dispatch_request(struct server *srv, struct session *s, const uint8_t *msg,
                      size_t len);

/* Is request id newer than last?  Ids are compared in serial-number
 * arithmetic modulo 2^64 (docs/PROTOCOL.md, section 10): after 2^64-1
 * comes 1, and an id ahead of the last by 2^63 or more is older. */
int dispatch_id_newer(uint64_t id, uint64_t last);

/* Answer read q of s again (its turn's commit failed): from the pump as
 * it is now, remembered, sent or held. */
void dispatch_read_again(struct server *srv, struct session *s,
                         const struct msg_request *q);

/* Send an error reply (err, detail; last_id for STALE_ID) to request id of
 * type (0 if unknown), with the current state; log and audit it. */
/* s's remote is no longer paired: answer the request that found it out
 * (type >= 0, with its id) with ROLE "unpaired", log and audit it, close
 * the session once what is queued is written, and forget the remote. */
void dispatch_drop_unpaired(struct server *srv, struct session *s,
                            uint64_t id, int type);

void dispatch_refuse(struct server *srv, struct session *s, uint64_t id,
                     int type, int err, const char *detail, uint64_t last_id);

#endif
