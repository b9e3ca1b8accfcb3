/*
 * crypto/x25519.c — X25519 over libsodium, refusing all-zero results; the
 * public key of a private one by the Edwards fixed-base table.
 */
#include "crypto/x25519.h"

#include <errno.h>
#include <string.h>
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

#ifdef __SIZEOF_INT128__
/* ---- GF(2^255 - 19), five 51-bit limbs: only what u = (1 + y) / (1 - y)
 * needs.  Its inputs are a public key's coordinates, not secrets. */

typedef unsigned __int128 u128;
typedef struct { uint64_t v[5]; } fe;

#define MASK51 ((UINT64_C(1) << 51) - 1)

static uint64_t load64(const uint8_t *b)
{
	uint64_t r = 0;
	for (int i = 7; i >= 0; i--)
		r = r << 8 | b[i];
	return r;
}

/* the low 255 bits of 32 little-endian bytes */
static void fe_frombytes(fe *h, const uint8_t s[32])
{
	h->v[0] = load64(s) & MASK51;
	h->v[1] = (load64(s + 6) >> 3) & MASK51;
	h->v[2] = (load64(s + 12) >> 6) & MASK51;
	h->v[3] = (load64(s + 19) >> 1) & MASK51;
	h->v[4] = (load64(s + 24) >> 12) & MASK51;
}

/* limbs below 2^51 again (the top carry folds back times 19) */
static void fe_carry(fe *h)
{
	for (int i = 0; i < 4; i++) {
		h->v[i + 1] += h->v[i] >> 51;
		h->v[i] &= MASK51;
	}
	h->v[0] += 19 * (h->v[4] >> 51);
	h->v[4] &= MASK51;
	h->v[1] += h->v[0] >> 51;
	h->v[0] &= MASK51;
}

/* h = f - g for limbs below 2^52: 4p added first keeps every limb whole */
static void fe_sub(fe *h, const fe *f, const fe *g)
{
	static const uint64_t p4[5] = {
		4 * (MASK51 - 18), 4 * MASK51, 4 * MASK51, 4 * MASK51, 4 * MASK51
	};
	for (int i = 0; i < 5; i++)
		h->v[i] = f->v[i] + p4[i] - g->v[i];
	fe_carry(h);
}

/* h = the five 128-bit column sums, carried down to 51-bit limbs */
static void fe_reduce(fe *h, u128 r0, u128 r1, u128 r2, u128 r3, u128 r4)
{
	r1 += (uint64_t)(r0 >> 51);
	r2 += (uint64_t)(r1 >> 51);
	r3 += (uint64_t)(r2 >> 51);
	r4 += (uint64_t)(r3 >> 51);
	h->v[0] = ((uint64_t)r0 & MASK51) + 19 * (uint64_t)(r4 >> 51);
	h->v[1] = (uint64_t)r1 & MASK51;
	h->v[2] = (uint64_t)r2 & MASK51;
	h->v[3] = (uint64_t)r3 & MASK51;
	h->v[4] = (uint64_t)r4 & MASK51;
	h->v[1] += h->v[0] >> 51;
	h->v[0] &= MASK51;
}

static void fe_mul(fe *h, const fe *f, const fe *g)
{
	const uint64_t *a = f->v, *b = g->v;
	uint64_t b1 = 19 * b[1], b2 = 19 * b[2], b3 = 19 * b[3], b4 = 19 * b[4];
	u128 r0 = (u128)a[0] * b[0] + (u128)a[1] * b4 + (u128)a[2] * b3 +
	          (u128)a[3] * b2 + (u128)a[4] * b1;
	u128 r1 = (u128)a[0] * b[1] + (u128)a[1] * b[0] + (u128)a[2] * b4 +
	          (u128)a[3] * b3 + (u128)a[4] * b2;
	u128 r2 = (u128)a[0] * b[2] + (u128)a[1] * b[1] + (u128)a[2] * b[0] +
	          (u128)a[3] * b4 + (u128)a[4] * b3;
	u128 r3 = (u128)a[0] * b[3] + (u128)a[1] * b[2] + (u128)a[2] * b[1] +
	          (u128)a[3] * b[0] + (u128)a[4] * b4;
	u128 r4 = (u128)a[0] * b[4] + (u128)a[1] * b[3] + (u128)a[2] * b[2] +
	          (u128)a[3] * b[1] + (u128)a[4] * b[0];
	fe_reduce(h, r0, r1, r2, r3, r4);
}

static void fe_sq(fe *h, const fe *f)
{
	const uint64_t *a = f->v;
	uint64_t d0 = 2 * a[0], d1 = 2 * a[1], d2 = 2 * a[2], d3 = 2 * a[3];
	uint64_t a3 = 19 * a[3], a4 = 19 * a[4];
	u128 r0 = (u128)a[0] * a[0] + (u128)d1 * a4 + (u128)d2 * a3;
	u128 r1 = (u128)d0 * a[1] + (u128)d2 * a4 + (u128)a[3] * a3;
	u128 r2 = (u128)d0 * a[2] + (u128)a[1] * a[1] + (u128)d3 * a4;
	u128 r3 = (u128)d0 * a[3] + (u128)d1 * a[2] + (u128)a[4] * a4;
	u128 r4 = (u128)d0 * a[4] + (u128)d1 * a[3] + (u128)a[2] * a[2];
	fe_reduce(h, r0, r1, r2, r3, r4);
}

/* h = f^(2^n) */
static void fe_sqn(fe *h, const fe *f, int n)
{
	*h = *f;
	for (int i = 0; i < n; i++)
		fe_sq(h, h);
}

/* h = z^(p-2) = 1/z (0 for 0): 254 squarings and 11 multiplications */
static void fe_invert(fe *h, const fe *z)
{
	fe z2, z9, z11, z5, z10, z20, z50, z100, t;
	fe_sq(&z2, z);
	fe_sqn(&t, &z2, 2);
	fe_mul(&z9, &t, z);
	fe_mul(&z11, &z9, &z2);
	fe_sq(&t, &z11);
	fe_mul(&z5, &t, &z9);           /* z^(2^5 - 1) */
	fe_sqn(&t, &z5, 5);
	fe_mul(&z10, &t, &z5);          /* z^(2^10 - 1) */
	fe_sqn(&t, &z10, 10);
	fe_mul(&z20, &t, &z10);
	fe_sqn(&t, &z20, 20);
	fe_mul(&t, &t, &z20);           /* z^(2^40 - 1) */
	fe_sqn(&t, &t, 10);
	fe_mul(&z50, &t, &z10);
	fe_sqn(&t, &z50, 50);
	fe_mul(&z100, &t, &z50);
	fe_sqn(&t, &z100, 100);
	fe_mul(&t, &t, &z100);          /* z^(2^200 - 1) */
	fe_sqn(&t, &t, 50);
	fe_mul(&t, &t, &z50);           /* z^(2^250 - 1) */
	fe_sqn(&t, &t, 5);
	fe_mul(h, &t, &z11);            /* z^(2^255 - 21) */
}

/* the canonical 32 bytes (h reduced below p) */
static void fe_tobytes(uint8_t s[32], const fe *f)
{
	fe h = *f;
	fe_carry(&h);
	fe_carry(&h);
	/* q = 1 when h >= p, that is when h + 19 reaches 2^255 */
	uint64_t q = (h.v[0] + 19) >> 51;
	for (int i = 1; i < 5; i++)
		q = (h.v[i] + q) >> 51;
	h.v[0] += 19 * q;
	for (int i = 0; i < 4; i++) {
		h.v[i + 1] += h.v[i] >> 51;
		h.v[i] &= MASK51;
	}
	h.v[4] &= MASK51;
	uint64_t w[4] = {
		h.v[0] | h.v[1] << 51,
		h.v[1] >> 13 | h.v[2] << 38,
		h.v[2] >> 26 | h.v[3] << 25,
		h.v[3] >> 39 | h.v[4] << 12,
	};
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 8; j++)
			s[8 * i + j] = (uint8_t)(w[i] >> (8 * j));
}

/* The Montgomery u of the Edwards point whose encoding is ed (RFC 7748,
 * section 4.1: u = (1 + y) / (1 - y)); -1 for y = 1 (the neutral point). */
static int edwards_to_u(uint8_t u[32], const uint8_t ed[32])
{
	fe y, one = { { 1, 0, 0, 0, 0 } }, num, den, inv, r;
	uint8_t yb[32], d[32];
	memcpy(yb, ed, 32);
	yb[31] &= 0x7f;                 /* the sign of x: not needed */
	fe_frombytes(&y, yb);           /* canonical: libsodium's encoding */
	fe_sub(&den, &one, &y);
	fe_tobytes(d, &den);
	if (sodium_is_zero(d, 32))
		return -1;
	num = y;
	num.v[0] += 1;                  /* 1 + y: limbs stay below 2^52 */
	fe_invert(&inv, &den);
	fe_mul(&r, &num, &inv);
	fe_tobytes(u, &r);
	return 0;
}
#endif

int x25519_public(uint8_t pub[X25519_KEYLEN], const uint8_t priv[X25519_KEYLEN])
{
	if (crypto_init() < 0)
		return -EIO;
#ifdef __SIZEOF_INT128__
	/* X25519(k, 9) is the u of k times the Edwards base point, which
	 * libsodium's precomputed table computes in about half the time of
	 * the Montgomery ladder (in constant time: k is the secret); the
	 * conversion then works on the public point only */
	uint8_t k[32], ed[32];
	memcpy(k, priv, 32);
	k[0] &= 248;                    /* clamped as X25519 clamps */
	k[31] &= 127;
	k[31] |= 64;
	int rc = crypto_scalarmult_ed25519_base_noclamp(ed, k);
	sodium_memzero(k, sizeof k);
	if (rc == 0 && edwards_to_u(pub, ed) == 0)
		return 0;
#endif
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
