/*
 * crypto/paircode.h — what a person compares on pump and remote after
 * pairing: a short code, and a pairing check worth its name.
 *
 * code = first 8 bytes of SHA-256("ptm-pair/1" || pump_pub || remote_pub),
 * read big-endian, modulo 10^6, printed as 6 digits with leading zeros.
 * The order (pump first) is fixed, so both sides print the same code.
 */
#ifndef PTM_CRYPTO_PAIRCODE_H
#define PTM_CRYPTO_PAIRCODE_H

#include <stdint.h>

#define PAIRCODE_LEN 7  /* 6 digits and a NUL */
#define PAIRCHECK_LEN 40  /* 8 groups of 4 hex digits, 7 dashes, a NUL */

/* out = "NNNNNN". Returns 0 or -EIO.  The code catches a mix-up (the
 * wrong key file, the wrong pump); its 20 bits do not stop someone who can
 * swap a key in transit, who finds a key with the same code in about a
 * million tries. */
int paircode(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
             char out[PAIRCODE_LEN]);

/* The pairing check a person compares when keys travel where someone
 * could swap them: 128 bits of SHA-256("ptm-pair-check/1" || pump_pub ||
 * remote_pub), as "3f9a-1c02-88be-0d41-7a6e-c215-9b30-e4f7" (lowercase
 * hex).  A key with the same check is a 2^128 search.  0 or -EIO. */
int paircheck(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
              char out[PAIRCHECK_LEN]);

#endif
