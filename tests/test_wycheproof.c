/*
 * tests/test_wycheproof.c — Project Wycheproof vectors through our own
 * wrappers (crypto/aead.h, crypto/x25519.h), read with jansson from
 * tests/vectors/ (under $PTM_SRCDIR when set).
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/x25519.h"

static json_t *load(const char *name)
{
	char path[1024];
	const char *src = getenv("PTM_SRCDIR");
	snprintf(path, sizeof path, "%s/tests/vectors/%s", src && *src ? src : ".", name);
	json_error_t err;
	json_t *root = json_load_file(path, 0, &err);
	cr_assert_not_null(root, "%s: %s", path, err.text);
	return root;
}

/* Hex field to a malloc'd buffer (at least 1 byte), length in *len. */
static uint8_t *hex(json_t *t, const char *key, size_t *len)
{
	const char *h = json_string_value(json_object_get(t, key));
	cr_assert_not_null(h, "missing %s", key);
	size_t hl = strlen(h);
	uint8_t *b = malloc(hl / 2 + 1);
	cr_assert_eq(sodium_hex2bin(b, hl / 2 + 1, h, hl, NULL, len, NULL), 0);
	return b;
}

static int tc(json_t *t)
{
	return (int)json_integer_value(json_object_get(t, "tcId"));
}

/* verifies: SR-LINK-001 */
Test(wycheproof, chacha20_poly1305)
{
	json_t *root = load("chacha20_poly1305_test.json");
	json_t *groups = json_object_get(root, "testGroups"), *g, *t;
	size_t gi, ti;
	int valid_ok = 0, invalid_refused = 0, bad_nonce = 0, total = 0;

	json_array_foreach(groups, gi, g) {
		int ivbits = (int)json_integer_value(json_object_get(g, "ivSize"));
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			const char *result = json_string_value(json_object_get(t, "result"));
			int valid = !strcmp(result, "valid");
			total++;
			if (ivbits != AEAD_NONCELEN * 8) {
				/* Our API only takes a 12-byte nonce, so these cannot
				 * even be expressed; they must all be invalid. */
				cr_assert(!valid, "tc %d: valid with a %d-bit nonce", tc(t), ivbits);
				bad_nonce++;
				continue;
			}
			size_t kl, nl, al, ml, cl, tl;
			uint8_t *key = hex(t, "key", &kl), *iv = hex(t, "iv", &nl),
			        *aad = hex(t, "aad", &al), *msg = hex(t, "msg", &ml),
			        *ct = hex(t, "ct", &cl), *tag = hex(t, "tag", &tl);
			cr_assert_eq(kl, AEAD_KEYLEN);
			cr_assert_eq(nl, AEAD_NONCELEN);
			uint8_t *both = malloc(cl + tl + 1), *out = malloc(ml + AEAD_TAGLEN + 1);
			memcpy(both, ct, cl);
			memcpy(both + cl, tag, tl);

			int rc = aead_decrypt(out, key, iv, aad, al, both, cl + tl);
			if (valid) {
				cr_assert_eq(rc, 0, "tc %d: valid refused", tc(t));
				cr_assert_eq(cl, ml);
				cr_assert(ml == 0 || memcmp(out, msg, ml) == 0, "tc %d: plaintext", tc(t));
				cr_assert_eq(aead_encrypt(out, key, iv, aad, al, msg, ml), 0);
				cr_assert(memcmp(out, both, ml + AEAD_TAGLEN) == 0, "tc %d: ciphertext", tc(t));
				valid_ok++;
			} else {
				cr_assert_lt(rc, 0, "tc %d (%s): invalid accepted", tc(t),
				             json_string_value(json_object_get(t, "comment")));
				invalid_refused++;
			}
			free(key); free(iv); free(aad); free(msg); free(ct); free(tag);
			free(both); free(out);
		}
	}
	cr_assert_eq(total, (int)json_integer_value(json_object_get(root, "numberOfTests")));
	cr_assert_eq(total, 325);
	cr_assert_eq(valid_ok, 256);
	cr_assert_eq(invalid_refused, 60);
	cr_assert_eq(bad_nonce, 9);
	json_decref(root);
}

/* verifies: SR-LINK-001 */
Test(wycheproof, x25519)
{
	json_t *root = load("x25519_test.json");
	json_t *groups = json_object_get(root, "testGroups"), *g, *t;
	size_t gi, ti;
	int agreed = 0, zero_refused = 0, total = 0;

	json_array_foreach(groups, gi, g) {
		cr_assert_str_eq(json_string_value(json_object_get(g, "curve")), "curve25519");
		json_array_foreach(json_object_get(g, "tests"), ti, t) {
			const char *result = json_string_value(json_object_get(t, "result"));
			size_t pl, ql, sl;
			uint8_t *priv = hex(t, "private", &ql), *pub = hex(t, "public", &pl),
			        *shared = hex(t, "shared", &sl);
			cr_assert_eq(ql, 32);
			cr_assert_eq(pl, 32);
			cr_assert_eq(sl, 32);
			uint8_t out[32];
			int rc = x25519_shared(out, priv, pub);
			total++;
			if (sodium_is_zero(shared, 32)) {
				/* Low-order input: we refuse rather than return zeros
				 * (allowed by RFC 7748 and Noise; never "valid"). */
				cr_assert_str_neq(result, "valid", "tc %d", tc(t));
				cr_assert_eq(rc, -EBADMSG, "tc %d: zero result accepted", tc(t));
				cr_assert(sodium_is_zero(out, 32));
				zero_refused++;
			} else {
				cr_assert_str_neq(result, "invalid", "tc %d", tc(t));
				cr_assert_eq(rc, 0, "tc %d (%s) refused", tc(t),
				             json_string_value(json_object_get(t, "comment")));
				cr_assert_arr_eq(out, shared, 32, "tc %d", tc(t));
				agreed++;
			}
			free(priv); free(pub); free(shared);
		}
	}
	cr_assert_eq(total, (int)json_integer_value(json_object_get(root, "numberOfTests")));
	cr_assert_eq(total, 518);
	cr_assert_eq(agreed, 487);
	cr_assert_eq(zero_refused, 31);
	json_decref(root);
}

Test(wycheproof, x25519_public_matches_rfc7748)
{
	/* RFC 7748 section 6.1: Alice's key pair and the shared secret. */
	uint8_t a[32], apub[32], b[32], bpub[32], k1[32], k2[32];
	size_t n;
	cr_assert_eq(sodium_hex2bin(a, 32, "77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a",
	                            64, NULL, &n, NULL), 0);
	cr_assert_eq(sodium_hex2bin(b, 32, "5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb",
	                            64, NULL, &n, NULL), 0);
	cr_assert_eq(x25519_public(apub, a), 0);
	cr_assert_eq(x25519_public(bpub, b), 0);
	char hx[65];
	sodium_bin2hex(hx, sizeof hx, apub, 32);
	cr_assert_str_eq(hx, "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a");
	cr_assert_eq(x25519_shared(k1, a, bpub), 0);
	cr_assert_eq(x25519_shared(k2, b, apub), 0);
	sodium_bin2hex(hx, sizeof hx, k1, 32);
	cr_assert_str_eq(hx, "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742");
	cr_assert_arr_eq(k1, k2, 32);
}

