/* tests/lib/testkeys.c — fixed key pairs for tests (see testkeys.h). */
#include "tests/lib/testkeys.h"

#include "crypto/keys.h"

int testkeys_init(struct testkeys *k)
{
	for (int i = 0; i < 32; i++) {
		k->pump_priv[i] = (uint8_t)(i + 1);
		k->rem_priv[i] = (uint8_t)(0x40 + i);
		k->other_priv[i] = (uint8_t)(0x80 + i);
	}
	if (keys_public(k->pump_pub, k->pump_priv) != 0 ||
	    keys_public(k->rem_pub, k->rem_priv) != 0 ||
	    keys_public(k->other_pub, k->other_priv) != 0)
		return -1;
	return 0;
}
