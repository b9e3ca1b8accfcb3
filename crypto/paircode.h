/*
 * crypto/paircode.h — the short code a person compares on pump and remote.
 *
 * code = first 8 bytes of SHA-256("ptm-pair/1" || pump_pub || remote_pub),
 * read big-endian, modulo 10^6, printed as 6 digits with leading zeros.
 * The order (pump first) is fixed, so both sides print the same code.
 */
#ifndef PTM_CRYPTO_PAIRCODE_H
#define PTM_CRYPTO_PAIRCODE_H

#include <stdint.h>

#define PAIRCODE_LEN 7  /* 6 digits and a NUL */

/* out = "NNNNNN". Returns 0 or -EIO. */
int paircode(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
             char out[PAIRCODE_LEN]);

#endif
