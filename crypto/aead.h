/*
 * crypto/aead.h — ChaCha20-Poly1305 IETF (RFC 8439) over libsodium.
 *
 * 32-byte key, 12-byte nonce, 16-byte tag appended to the ciphertext.
 * in and out may be the same buffer (exact overlap only).
 */
#ifndef PTM_CRYPTO_AEAD_H
#define PTM_CRYPTO_AEAD_H

#include <stddef.h>
#include <stdint.h>

#define AEAD_KEYLEN   32
#define AEAD_NONCELEN 12
#define AEAD_TAGLEN   16

/* out (len + AEAD_TAGLEN bytes) = ciphertext || tag. Returns 0 or a
 * negative error (-EIO: libsodium unusable). */
int aead_encrypt(uint8_t *out, const uint8_t key[AEAD_KEYLEN],
                 const uint8_t nonce[AEAD_NONCELEN],
                 const uint8_t *ad, size_t adlen,
                 const uint8_t *in, size_t len);

/* in is ciphertext || tag (len >= AEAD_TAGLEN); out gets len - AEAD_TAGLEN
 * bytes. Returns 0, -EBADMSG when authentication fails (out is then zeroed),
 * -EINVAL when len < AEAD_TAGLEN. */
int aead_decrypt(uint8_t *out, const uint8_t key[AEAD_KEYLEN],
                 const uint8_t nonce[AEAD_NONCELEN],
                 const uint8_t *ad, size_t adlen,
                 const uint8_t *in, size_t len);

#endif
