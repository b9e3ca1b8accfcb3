/* tests/test_paircheck.c — the pairing check: 128 bits of both keys, the
 * same on both sides, pinned, and changed by any bit of either key. */
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

#include "crypto/paircode.h"

/* verifies: SR-KEY-004 */
Test(paircheck, pinned_and_bound_to_both_keys)
{
	uint8_t pump[32], remote[32];
	for (int i = 0; i < 32; i++) {
		pump[i] = (uint8_t)(i + 1);
		remote[i] = (uint8_t)(0x21 + i);
	}
	char a[PAIRCHECK_LEN], b[PAIRCHECK_LEN];
	cr_assert_eq(paircheck(pump, remote, a), 0);
	/* SHA-256("ptm-pair-check/1" || pump || remote), first 16 bytes; the
	 * value is pinned so that an independent remote can check its own */
	cr_assert_str_eq(a, "feae-94f2-9f23-13ce-a955-d9af-5408-8b46");
	for (int i = 0; i < 39; i++)
		cr_assert(i % 5 == 4 ? a[i] == '-' :
		          (a[i] >= '0' && a[i] <= '9') || (a[i] >= 'a' && a[i] <= 'f'),
		          "%s", a);
	cr_assert_eq(paircheck(pump, remote, b), 0);
	cr_assert_str_eq(a, b);
	cr_assert_eq(paircheck(remote, pump, b), 0);
	cr_assert_str_neq(a, b, "the pump's key comes first");
	for (int k = 0; k < 2; k++)
		for (int bit = 0; bit < 256; bit += 37) {
			uint8_t *key = k ? remote : pump;
			key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
			cr_assert_eq(paircheck(pump, remote, b), 0);
			cr_assert_str_neq(a, b, "bit %d of key %d", bit, k);
			key[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		}
}
