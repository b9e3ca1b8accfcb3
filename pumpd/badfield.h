/*
 * pumpd/badfield.h — which field of a request the codec refused as out of
 * its domain (msg_decode_request's MSG_EVALUE), so that the pump's
 * `malformed` reply names it as a `range` reply does.  Pure: reads the
 * plaintext, no allocation.
 */
#ifndef PTM_PUMPD_BADFIELD_H
#define PTM_PUMPD_BADFIELD_H

#include <stddef.h>
#include <stdint.h>

/* The field's name as docs/PROTOCOL.md section 8 names it ("alarm", "max",
 * "run", "fault", "op", "id", and in PROGRAM "drug", "mode", "n_steps",
 * "bolus_enabled"), or NULL when no field of msg[0..len) is out of its
 * domain (or msg is not a request that reads that far).  A static string. */
const char *badfield_name(const uint8_t *msg, size_t len);

#endif
