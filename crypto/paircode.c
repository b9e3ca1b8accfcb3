/* crypto/paircode.c — 6-digit pairing code from both public keys. */
#include "crypto/paircode.h"

#include <errno.h>
#include <sodium.h>

#include "crypto/crypto.h"

#define PAIRCODE_DOMAIN "ptm-pair/1"

int paircode(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
             char out[PAIRCODE_LEN])
{
	if (crypto_init() < 0)
		return -EIO;
	uint8_t d[crypto_hash_sha256_BYTES];
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)PAIRCODE_DOMAIN,
	                          sizeof PAIRCODE_DOMAIN - 1);
	crypto_hash_sha256_update(&st, pump_pub, 32);
	crypto_hash_sha256_update(&st, remote_pub, 32);
	crypto_hash_sha256_final(&st, d);

	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = (v << 8) | d[i];
	v %= 1000000u;   /* bias of 2^64 mod 10^6 over 2^64: negligible */
	for (int i = 5; i >= 0; i--) {
		out[i] = (char)('0' + v % 10);
		v /= 10;
	}
	out[6] = '\0';
	return 0;
}
