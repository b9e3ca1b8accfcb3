/* crypto/crypto.c — one-time libsodium set-up. */
#include "crypto/crypto.h"

#include <errno.h>
#include <sodium.h>

int crypto_init(void)
{
	/* sodium_init is idempotent and thread-safe: 0 first time, 1 after. */
	return sodium_init() < 0 ? -EIO : 0;
}
