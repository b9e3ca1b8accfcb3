/* tests/lib/noisevec_message.h — one message of a Noise test vector,
 * written and read by both parties. */
#ifndef PTM_TESTS_LIB_NOISEVEC_MESSAGE_H
#define PTM_TESTS_LIB_NOISEVEC_MESSAGE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/noise.h"
#include "tests/lib/noisevec_field.h"

/* One side of the conversation: its handshake, then its two ciphers. */
struct noisevec_party {
	noise_hs hs;
	noise_cipher send, recv;
};

/* Message i (0: message 1, 1: message 2, then transport; even: from the
 * initiator): the sender writes payload pay, which must give the vector's
 * ciphertext ct; the receiver reads ct, which must give pay.  After
 * message 2 both split, and their handshake hashes must agree (and equal
 * hhash when hhlen > 0).  buf: NOISE_MAX_MSG bytes of scratch.  Returns 0
 * to go on, -1 to stop (the reason noted). */
int noisevec_message_run(struct noisevec_ctx *c, size_t i,
                         struct noisevec_party *ini, struct noisevec_party *res,
                         const uint8_t *pay, size_t plen,
                         const uint8_t *ct, size_t ctlen, uint8_t *buf,
                         const uint8_t *hhash, size_t hhlen);

#endif
