/* crypto/aead.c — ChaCha20-Poly1305 IETF over libsodium. */
#include "crypto/aead.h"

#include <errno.h>
#include <sodium.h>

#include "crypto/crypto.h"

int aead_encrypt(uint8_t *out, const uint8_t key[AEAD_KEYLEN],
                 const uint8_t nonce[AEAD_NONCELEN],
                 const uint8_t *ad, size_t adlen,
                 const uint8_t *in, size_t len)
{
	if (crypto_init() < 0)
		return -EIO;
	if (len > crypto_aead_chacha20poly1305_ietf_MESSAGEBYTES_MAX)
		return -EMSGSIZE;
	unsigned long long clen = 0;
	crypto_aead_chacha20poly1305_ietf_encrypt(out, &clen, in, len,
	                                          adlen ? ad : NULL, adlen,
	                                          NULL, nonce, key);
	return 0;
}

int aead_decrypt(uint8_t *out, const uint8_t key[AEAD_KEYLEN],
                 const uint8_t nonce[AEAD_NONCELEN],
                 const uint8_t *ad, size_t adlen,
                 const uint8_t *in, size_t len)
{
	if (crypto_init() < 0)
		return -EIO;
	if (len < AEAD_TAGLEN)
		return -EINVAL;
	unsigned long long mlen = 0;
	if (crypto_aead_chacha20poly1305_ietf_decrypt(out, &mlen, NULL, in, len,
	                                              adlen ? ad : NULL, adlen,
	                                              nonce, key) != 0) {
		sodium_memzero(out, len - AEAD_TAGLEN);
		return -EBADMSG;
	}
	return 0;
}
