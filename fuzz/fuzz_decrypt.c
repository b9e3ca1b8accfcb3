/*
 * fuzz/fuzz_decrypt.c — post-handshake transport decryption, fixed keys.
 *
 * The handshake runs once with fixed keys and ephemerals. First input byte
 * picks the mode:
 *   0  the rest is a transport message from the network (nonce 0): refused
 *      cleanly unless it is genuine
 *   1  the rest is a payload: encrypt, decrypt, compare; a replay and any
 *      one-bit change (chosen by the payload) must be refused
 *   2  the first 8 bytes of the rest set the receive nonce (little-endian,
 *      including 2^64-1), the remainder is decrypted
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/noise.h"
#include "fuzz/fuzz_mode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static noise_cipher send0, recv0;   /* initiator send, responder receive */

static void setup(void)
{
	static int done;
	if (done)
		return;
	uint8_t ipriv[32], rpriv[32], rpub[32], ie[32], re[32], m1[NOISE_MSG1_LEN(0)],
	        m2[NOISE_MSG2_LEN(0)], pay[16];
	for (int i = 0; i < 32; i++) {
		ipriv[i] = (uint8_t)(i + 1);
		rpriv[i] = (uint8_t)(0xa0 + i);
		ie[i] = (uint8_t)(0x30 + i);
		re[i] = (uint8_t)(0x60 + i);
	}
	noise_hs ini, res;
	noise_cipher a, b;
	size_t n;
	if (keys_public(rpub, rpriv) ||
	    noise_hs_init_initiator(&ini, ipriv, rpub, (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN) ||
	    noise_hs_set_ephemeral(&ini, ie) ||
	    noise_hs_init_responder(&res, rpriv, (const uint8_t *)PTM_PROLOGUE, PTM_PROLOGUE_LEN) ||
	    noise_hs_set_ephemeral(&res, re) ||
	    noise_hs_write_msg1(&ini, NULL, 0, m1, sizeof m1, &n) ||
	    noise_hs_read_msg1(&res, m1, n, pay, sizeof pay, &n) ||
	    noise_hs_write_msg2(&res, NULL, 0, m2, sizeof m2, &n) ||
	    noise_hs_read_msg2(&ini, m2, n, pay, sizeof pay, &n) ||
	    noise_hs_split(&ini, &send0, &a) || noise_hs_split(&res, &b, &recv0))
		abort();
	noise_hs_wipe(&ini);
	noise_hs_wipe(&res);
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
	done = 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t ct[NOISE_MAX_MSG + 1], pt[NOISE_MAX_MSG + 1];
	setup();
	int mode = fuzz_mode(&data, &size, 3);
	if (mode < 0)
		return 0;
	noise_cipher s = send0, r = recv0;

	if (mode == 0) {
		int rc = noise_cipher_decrypt(&r, NULL, 0, data, size, pt);
		if (rc >= 0 ? (r.n != 1 || (size_t)rc + NOISE_TAGLEN != size) : r.n != 0)
			abort();
	} else if (mode == 1) {
		if (size > NOISE_MAX_PAYLOAD)
			size = NOISE_MAX_PAYLOAD;
		int c = noise_cipher_encrypt(&s, NULL, 0, data, size, ct);
		if (c != (int)(size + NOISE_TAGLEN))
			abort();
		if (noise_cipher_decrypt(&r, NULL, 0, ct, (size_t)c, pt) != (int)size ||
		    (size && memcmp(pt, data, size)))
			abort();
		if (noise_cipher_decrypt(&r, NULL, 0, ct, (size_t)c, pt) >= 0)
			abort();   /* replay accepted */
		noise_cipher r2 = recv0;
		size_t bit = 0;
		for (size_t i = 0; i < size && i < 4; i++)
			bit = (bit << 8) | data[i];
		bit %= (size_t)c * 8;
		ct[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		if (noise_cipher_decrypt(&r2, NULL, 0, ct, (size_t)c, pt) >= 0 || r2.n != 0)
			abort();   /* a flipped bit accepted */
		noise_cipher_wipe(&r2);
	} else {
		uint64_t n = 0;
		for (size_t i = 0; i < 8 && i < size; i++)
			n |= (uint64_t)data[i] << (8 * i);
		size_t skip = size < 8 ? size : 8;
		noise_cipher_set_nonce(&r, n);
		int rc = noise_cipher_decrypt(&r, NULL, 0, data + skip, size - skip, pt);
		if (n == UINT64_MAX && rc >= 0)
			abort();   /* the reserved nonce used */
		if (rc >= 0 && r.n != n + 1)
			abort();
	}
	noise_cipher_wipe(&s);
	noise_cipher_wipe(&r);
	return 0;
}
