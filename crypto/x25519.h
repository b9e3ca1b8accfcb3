/*
 * crypto/x25519.h — X25519 (RFC 7748) over libsodium.
 *
 * All keys are 32-byte arrays owned by the caller. Private keys are any 32
 * bytes (clamping happens inside the scalar multiplication).
 */
#ifndef PTM_CRYPTO_X25519_H
#define PTM_CRYPTO_X25519_H

#include <stdint.h>

#define X25519_KEYLEN 32

/* out = X25519(priv, pub). Returns 0, or -EBADMSG when the result is all
 * zeros (pub is a low-order point): out is then zeroed and must not be used.
 * -EIO if libsodium cannot initialise. */
int x25519_shared(uint8_t out[X25519_KEYLEN], const uint8_t priv[X25519_KEYLEN],
                  const uint8_t pub[X25519_KEYLEN]);

/* pub = X25519(priv, 9). Returns 0 or a negative error. */
int x25519_public(uint8_t pub[X25519_KEYLEN], const uint8_t priv[X25519_KEYLEN]);

/* A fresh random key pair. Returns 0 or a negative error. */
int x25519_generate(uint8_t priv[X25519_KEYLEN], uint8_t pub[X25519_KEYLEN]);

#endif
