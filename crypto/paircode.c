/* crypto/paircode.c — the pairing code and the pairing check from both
 * public keys (see paircode.h). */
#include "crypto/paircode.h"

#include <errno.h>
#include <sodium.h>
#include <string.h>

#include "crypto/crypto.h"

#define PAIRCODE_DOMAIN "ptm-pair/1"

#define PAIRCHECK_DOMAIN "ptm-pair-check/1"

static int digest(const char *domain, const uint8_t pump_pub[32],
                  const uint8_t remote_pub[32],
                  uint8_t d[crypto_hash_sha256_BYTES])
{
	if (crypto_init() < 0)
		return -EIO;
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, (const unsigned char *)domain, strlen(domain));
	crypto_hash_sha256_update(&st, pump_pub, 32);
	crypto_hash_sha256_update(&st, remote_pub, 32);
	crypto_hash_sha256_final(&st, d);
	return 0;
}

int paircheck(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
              char out[PAIRCHECK_LEN])
{
	static const char hex[] = "0123456789abcdef";
	uint8_t d[crypto_hash_sha256_BYTES];
	if (digest(PAIRCHECK_DOMAIN, pump_pub, remote_pub, d) < 0)
		return -EIO;
	size_t n = 0;
	for (int i = 0; i < 16; i++) {
		if (i && i % 2 == 0)
			out[n++] = '-';
		out[n++] = hex[d[i] >> 4];
		out[n++] = hex[d[i] & 15];
	}
	out[n] = '\0';
	return 0;
}

int paircode(const uint8_t pump_pub[32], const uint8_t remote_pub[32],
             char out[PAIRCODE_LEN])
{
	uint8_t d[crypto_hash_sha256_BYTES];
	if (digest(PAIRCODE_DOMAIN, pump_pub, remote_pub, d) < 0)
		return -EIO;

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
