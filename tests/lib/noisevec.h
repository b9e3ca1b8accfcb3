/*
 * tests/lib/noisevec.h — run Noise test vectors (the cacophony / noise_wiki
 * JSON format) against our Noise_IK_25519_ChaChaPoly_SHA256.
 *
 * Every vector whose protocol is our suite is run with both parties: the
 * initiator from init_*, the responder from resp_*, with the fixed
 * ephemerals. messages[] alternate initiator, responder, initiator, ...;
 * the first two are the handshake, the rest transport messages. For every
 * message the sender's ciphertext must equal the vector's, and the receiver
 * must decrypt the vector's ciphertext to the vector's payload. After the
 * handshake both parties' handshake hash must equal handshake_hash when
 * given. A vector with "fail": true passes only if the conversation fails.
 *
 * Vectors of other protocols (other patterns, hashes, psk, fallback or
 * hybrid) are skipped, not failed. A vector of our suite with a malformed
 * field (bad hex, wrong key length) fails with a message naming the field.
 */
#ifndef PTM_TESTS_LIB_NOISEVEC_H
#define PTM_TESTS_LIB_NOISEVEC_H

#include <stddef.h>
#include <stdio.h>

typedef struct noisevec_stats {
	unsigned passed;
	unsigned failed;
	unsigned skipped;
} noisevec_stats;

/* Run every vector in JSON text (len bytes). One line per failed vector
 * goes to log (may be NULL). st is zeroed first. Returns 0 when the text
 * was a vector file (whatever the vectors' outcome), -EINVAL when it is not
 * JSON or has no vector list (the reason goes to log). */
int noisevec_run_text(const char *text, size_t len, FILE *log,
                      noisevec_stats *st);

/* The same for a file; -errno when it cannot be read. */
int noisevec_run_file(const char *path, FILE *log, noisevec_stats *st);

#endif
