/* tests/lib/testkeys.h — fixed key pairs for tests of the link: the pump's,
 * a paired remote's, a stranger's (the same in every run; none secret). */
#ifndef PTM_TESTS_LIB_TESTKEYS_H
#define PTM_TESTS_LIB_TESTKEYS_H

#include <stdint.h>

struct testkeys {
	uint8_t pump_priv[32], pump_pub[32];     /* private bytes 0x01, 0x02 ... */
	uint8_t rem_priv[32], rem_pub[32];       /* 0x40, 0x41 ... */
	uint8_t other_priv[32], other_pub[32];   /* 0x80, 0x81 ... */
};

/* Fill k.  0, or -1 when a public key cannot be computed. */
int testkeys_init(struct testkeys *k);

#endif
