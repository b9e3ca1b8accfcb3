/*
 * fuzz/fuzz_msg1.c — the pump (responder) handling message 1, fixed keys.
 *
 * First input byte picks the mode:
 *   0  the rest is message 1 as received from the network: it must be
 *      refused cleanly (or, for a genuine message, completed)
 *   1  the rest is the payload of a genuine message 1: the whole handshake
 *      and one transport message each way must succeed and round-trip it
 *   2  the rest is XORed onto a genuine message 1: any change is refused
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/keys.h"
#include "crypto/noise.h"
#include "fuzz/fuzz_mode.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint8_t ipriv[32], ipub[32], rpriv[32], rpub[32], ie[32], re[32];

static void setup(void)
{
	static int done;
	if (done)
		return;
	for (int i = 0; i < 32; i++) {
		ipriv[i] = (uint8_t)(i + 1);
		rpriv[i] = (uint8_t)(0xa0 + i);
		ie[i] = (uint8_t)(0x30 + i);
		re[i] = (uint8_t)(0x60 + i);
	}
	if (keys_public(ipub, ipriv) || keys_public(rpub, rpriv))
		abort();
	done = 1;
}

static const uint8_t *PRO = (const uint8_t *)PTM_PROLOGUE;

/* A genuine message 1 carrying payload; returns its length. */
static size_t make_msg1(noise_hs *ini, const uint8_t *payload, size_t plen,
                        uint8_t *out, size_t cap)
{
	size_t n = 0;
	if (noise_hs_init_initiator(ini, ipriv, rpub, PRO, PTM_PROLOGUE_LEN) ||
	    noise_hs_set_ephemeral(ini, ie) ||
	    noise_hs_write_msg1(ini, payload, plen, out, cap, &n))
		abort();
	return n;
}

/* Responder reads msg (len bytes); on success finish the handshake with
 * ini (may be NULL: then only the responder side is exercised). */
static int respond(noise_hs *ini, const uint8_t *msg, size_t len,
                   const uint8_t *want, size_t wantlen)
{
	static uint8_t pay[NOISE_MAX_MSG];
	noise_hs res;
	size_t n = 0;
	if (noise_hs_init_responder(&res, rpriv, PRO, PTM_PROLOGUE_LEN) ||
	    noise_hs_set_ephemeral(&res, re))
		abort();
	int rc = noise_hs_read_msg1(&res, msg, len, pay, sizeof pay, &n);
	if (rc < 0)
		return rc;
	uint8_t rs[32];
	if (noise_hs_remote_static(&res, rs) || memcmp(rs, ipub, 32))
		abort();   /* only the known initiator can produce a valid msg1 */
	if (want && (n != wantlen || (n && memcmp(pay, want, n))))
		abort();
	uint8_t m2[NOISE_MSG2_LEN(0)];
	if (noise_hs_write_msg2(&res, NULL, 0, m2, sizeof m2, &n))
		abort();
	if (ini) {
		noise_cipher is, ir, rsnd, rrcv;
		if (noise_hs_read_msg2(ini, m2, n, pay, sizeof pay, &n) || n != 0 ||
		    noise_hs_split(ini, &is, &ir) || noise_hs_split(&res, &rsnd, &rrcv))
			abort();
		if (want && wantlen <= NOISE_MAX_PAYLOAD) {
			static uint8_t ct[NOISE_MAX_MSG];
			int c = noise_cipher_encrypt(&is, NULL, 0, want, wantlen, ct);
			if (c < 0 || noise_cipher_decrypt(&rrcv, NULL, 0, ct, (size_t)c, pay) != (int)wantlen ||
			    (wantlen && memcmp(pay, want, wantlen)))
				abort();
		}
		noise_cipher_wipe(&is);
		noise_cipher_wipe(&ir);
		noise_cipher_wipe(&rsnd);
		noise_cipher_wipe(&rrcv);
	}
	noise_hs_wipe(&res);
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t msg[NOISE_MAX_MSG];
	noise_hs ini;
	setup();
	int mode = fuzz_mode(&data, &size, 3);
	if (mode < 0)
		return 0;

	if (mode == 0) {
		respond(NULL, data, size, NULL, 0);
	} else if (mode == 1) {
		if (size > NOISE_MSG1_MAX_PAYLOAD)
			size = NOISE_MSG1_MAX_PAYLOAD;
		size_t n = make_msg1(&ini, data, size, msg, sizeof msg);
		if (respond(&ini, msg, n, data, size) != 0)
			abort();
	} else {
		size_t n = make_msg1(&ini, (const uint8_t *)"\x40\0\0\0\0\0\0\x0a\0\0\0\0", 12,
		                     msg, sizeof msg);
		int changed = 0;
		for (size_t i = 0; i < size && i < n; i++) {
			msg[i] ^= data[i];
			changed |= data[i];
		}
		int rc = respond(&ini, msg, n, NULL, 0);
		if (changed ? rc == 0 : rc != 0)
			abort();   /* a change accepted, or the genuine one refused */
	}
	noise_hs_wipe(&ini);
	return 0;
}
