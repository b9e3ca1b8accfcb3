/* crypto/x25519.c — X25519 over libsodium, refusing all-zero results. */
#include "crypto/x25519.h"

#include <errno.h>
#include <sodium.h>

#include "crypto/crypto.h"

int x25519_shared(uint8_t out[X25519_KEYLEN], const uint8_t priv[X25519_KEYLEN],
                  const uint8_t pub[X25519_KEYLEN])
{
	if (crypto_init() < 0) {
		sodium_memzero(out, X25519_KEYLEN);
		return -EIO;
	}
	/* libsodium returns -1 for a blocklisted low-order point and for an
	 * all-zero result; check the output too rather than rely on that. */
	int rc = crypto_scalarmult_curve25519(out, priv, pub);
	if (rc != 0 || sodium_is_zero(out, X25519_KEYLEN)) {
		sodium_memzero(out, X25519_KEYLEN);
		return -EBADMSG;
	}
	return 0;
}

int x25519_public(uint8_t pub[X25519_KEYLEN], const uint8_t priv[X25519_KEYLEN])
{
	if (crypto_init() < 0)
		return -EIO;
	if (crypto_scalarmult_curve25519_base(pub, priv) != 0) {
		sodium_memzero(pub, X25519_KEYLEN);
		return -EINVAL;
	}
	return 0;
}

int x25519_generate(uint8_t priv[X25519_KEYLEN], uint8_t pub[X25519_KEYLEN])
{
	if (crypto_init() < 0)
		return -EIO;
	randombytes_buf(priv, X25519_KEYLEN);
	int rc = x25519_public(pub, priv);
	if (rc < 0)
		sodium_memzero(priv, X25519_KEYLEN);
	return rc;
}
