/*
 * tests/test_noise.c — the Noise IK handshake and transport as the pump and
 * the remote use them: what is accepted, what is refused, what is wiped.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/keys.h"
#include "crypto/noise.h"

static const uint8_t *PRO = (const uint8_t *)PTM_PROLOGUE;

typedef struct fixture {
	uint8_t ipriv[32], ipub[32];     /* remote (initiator) */
	uint8_t rpriv[32], rpub[32];     /* pump (responder) */
	noise_hs ini, res;
	uint8_t msg1[NOISE_MSG1_LEN(12)];
	uint8_t msg2[NOISE_MSG2_LEN(0)];
	uint8_t ts[12];
} fixture;

static void keys_fixed(fixture *f)
{
	for (int i = 0; i < 32; i++) {
		f->ipriv[i] = (uint8_t)(i + 1);
		f->rpriv[i] = (uint8_t)(0xa0 + i);
	}
	cr_assert_eq(keys_public(f->ipub, f->ipriv), 0);
	cr_assert_eq(keys_public(f->rpub, f->rpriv), 0);
	for (int i = 0; i < 12; i++)
		f->ts[i] = (uint8_t)(0x40 + i);
}

/* Initiator has written message 1; responder is fresh. */
static void start(fixture *f)
{
	keys_fixed(f);
	size_t n = 0;
	cr_assert_eq(noise_hs_init_initiator(&f->ini, f->ipriv, f->rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_init_responder(&f->res, f->rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_write_msg1(&f->ini, f->ts, 12, f->msg1, sizeof f->msg1, &n), 0);
	cr_assert_eq(n, 108);
}

/* Both messages done. */
static void handshake(fixture *f)
{
	uint8_t pay[64];
	size_t n = 0;
	start(f);
	cr_assert_eq(noise_hs_read_msg1(&f->res, f->msg1, sizeof f->msg1, pay, sizeof pay, &n), 0);
	cr_assert_eq(noise_hs_write_msg2(&f->res, NULL, 0, f->msg2, sizeof f->msg2, &n), 0);
	cr_assert_eq(n, 48);
	cr_assert_eq(noise_hs_read_msg2(&f->ini, f->msg2, sizeof f->msg2, pay, sizeof pay, &n), 0);
	cr_assert_eq(n, 0);
}

static int all_zero(const void *p, size_t n)
{
	const uint8_t *b = p;
	for (size_t i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* verifies: SR-LINK-001 */
Test(noise, full_handshake_and_transport_both_ways)
{
	fixture f;
	uint8_t pay[64], rs[32], hi[32], hr[32];
	size_t n = 0;
	start(&f);

	cr_assert_eq(noise_hs_remote_static(&f.res, rs), -EINVAL, "unknown before message 1");
	cr_assert_eq(noise_hs_read_msg1(&f.res, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), 0);
	cr_assert_eq(n, 12);
	cr_assert_arr_eq(pay, f.ts, 12);
	cr_assert_eq(noise_hs_remote_static(&f.res, rs), 0);
	cr_assert_arr_eq(rs, f.ipub, 32, "the pump learns the remote's static key");

	cr_assert_eq(noise_hs_write_msg2(&f.res, NULL, 0, f.msg2, sizeof f.msg2, &n), 0);
	cr_assert_eq(n, 48);
	cr_assert_eq(noise_hs_read_msg2(&f.ini, f.msg2, sizeof f.msg2, pay, sizeof pay, &n), 0);
	cr_assert_eq(n, 0);
	cr_assert(noise_hs_complete(&f.ini) && noise_hs_complete(&f.res));

	noise_cipher is, ir, rsnd, rrcv;
	cr_assert_eq(noise_hs_split(&f.ini, &is, &ir), 0);
	cr_assert_eq(noise_hs_split(&f.res, &rsnd, &rrcv), 0);
	cr_assert_eq(noise_hs_hash(&f.ini, hi), 0);
	cr_assert_eq(noise_hs_hash(&f.res, hr), 0);
	cr_assert_arr_eq(hi, hr, 32);
	cr_assert_arr_eq(is.key, rrcv.key, 32, "initiator sends with c1");
	cr_assert_arr_eq(ir.key, rsnd.key, 32, "responder sends with c2");
	cr_assert_arr_neq(is.key, ir.key, 32);

	uint8_t ct[64], pt[64];
	cr_assert_eq(noise_cipher_encrypt(&is, NULL, 0, (const uint8_t *)"bolus", 5, ct), 21);
	cr_assert_eq(noise_cipher_decrypt(&rrcv, NULL, 0, ct, 21, pt), 5);
	cr_assert_arr_eq(pt, "bolus", 5);
	cr_assert_eq(noise_cipher_encrypt(&rsnd, NULL, 0, (const uint8_t *)"granted", 7, ct), 23);
	cr_assert_eq(noise_cipher_decrypt(&ir, NULL, 0, ct, 23, pt), 7);
	cr_assert_arr_eq(pt, "granted", 7);
	cr_assert_eq(is.n, 1);
	cr_assert_eq(rrcv.n, 1);

	/* Split wiped every handshake secret; only h stays. */
	cr_assert(f.ini.s_priv == NULL && all_zero(f.ini.e_priv, 32));
	cr_assert(all_zero(f.ini.ck, 32) && all_zero(f.ini.cs.key, 32));
	cr_assert(f.res.s_priv == NULL && all_zero(f.res.e_priv, 32));
	cr_assert_eq(noise_hs_remote_static(&f.res, rs), -EINVAL);
}

/* The static private keys are referenced, never copied into a handshake
 * state (a state is copied per connection: the pump's would otherwise be
 * in every handshaking peer's plain heap). */
/* verifies: SR-KEY-002 */
Test(noise, no_copy_of_a_static_private_key_in_the_handshake_state)
{
	static fixture f;
	start(&f);
	const noise_hs *hs[2] = { &f.ini, &f.res };
	const uint8_t *priv[2] = { f.ipriv, f.rpriv };
	for (int i = 0; i < 2; i++) {
		const uint8_t *b = (const uint8_t *)hs[i];
		for (size_t k = 0; k + 32 <= sizeof *hs[i]; k++)
			cr_assert_neq(memcmp(b + k, priv[i], 32), 0,
			              "side %d: the private key at offset %zu", i, k);
		cr_assert_eq(hs[i]->s_priv, priv[i], "referenced where it lives");
	}
}

/* verifies: SR-LINK-001 */
Test(noise, every_bit_flip_of_message_1_is_refused)
{
	fixture f;
	uint8_t pay[64];
	start(&f);
	for (size_t bit = 0; bit < sizeof f.msg1 * 8; bit++) {
		uint8_t m[sizeof f.msg1];
		noise_hs r;
		size_t n = 99;
		memcpy(m, f.msg1, sizeof m);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
		cr_assert_eq(noise_hs_read_msg1(&r, m, sizeof m, pay, sizeof pay, &n), -EBADMSG,
		             "bit %zu", bit);
		cr_assert_eq(n, 99, "no payload length on refusal");
		cr_assert(all_zero(&r, sizeof r), "refused handshake is wiped");
	}
	/* and the untouched message is accepted */
	size_t n;
	cr_assert_eq(noise_hs_read_msg1(&f.res, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), 0);
}

/* verifies: SR-LINK-001 */
Test(noise, every_bit_flip_of_message_2_is_refused)
{
	fixture f;
	uint8_t pay[64];
	size_t n;
	start(&f);
	cr_assert_eq(noise_hs_read_msg1(&f.res, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), 0);
	cr_assert_eq(noise_hs_write_msg2(&f.res, NULL, 0, f.msg2, sizeof f.msg2, &n), 0);
	for (size_t bit = 0; bit < sizeof f.msg2 * 8; bit++) {
		uint8_t m[sizeof f.msg2];
		noise_hs i = f.ini;          /* the initiator after message 1 */
		memcpy(m, f.msg2, sizeof m);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(noise_hs_read_msg2(&i, m, sizeof m, pay, sizeof pay, &n), -EBADMSG,
		             "bit %zu", bit);
		cr_assert(all_zero(&i, sizeof i));
	}
	cr_assert_eq(noise_hs_read_msg2(&f.ini, f.msg2, sizeof f.msg2, pay, sizeof pay, &n), 0);
}

/* verifies: SR-LINK-001 */
Test(noise, every_bit_flip_of_a_transport_message_is_refused_without_advancing)
{
	fixture f;
	noise_cipher is, ir, rs, rr;
	handshake(&f);
	cr_assert_eq(noise_hs_split(&f.ini, &is, &ir), 0);
	cr_assert_eq(noise_hs_split(&f.res, &rs, &rr), 0);
	uint8_t ct[40], pt[40];
	const char *req = "status request 0001";   /* 19 bytes */
	cr_assert_eq(noise_cipher_encrypt(&is, NULL, 0, (const uint8_t *)req, 19, ct), 35);
	for (size_t bit = 0; bit < 35 * 8; bit++) {
		uint8_t m[35];
		memcpy(m, ct, 35);
		m[bit / 8] ^= (uint8_t)(1u << (bit % 8));
		cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, m, 35, pt), -EBADMSG, "bit %zu", bit);
		cr_assert_eq(rr.n, 0, "nonce not advanced by a refused message");
	}
	/* truncated and empty messages */
	cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, ct, 34, pt), -EBADMSG);
	cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, ct, 15, pt), -EBADMSG);
	cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, ct, 0, pt), -EBADMSG);
	cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, ct, 35, pt), 19);
	cr_assert_arr_eq(pt, req, 19);
	/* a replay of the same message is refused (nonce moved on) */
	cr_assert_eq(noise_cipher_decrypt(&rr, NULL, 0, ct, 35, pt), -EBADMSG);
}

/* verifies: SR-LINK-001 */
Test(noise, wrong_prologue_is_refused)
{
	fixture f;
	uint8_t pay[64];
	size_t n;
	start(&f);
	noise_hs r;
	cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, (const uint8_t *)"ptm-pump/2", 10), 0);
	cr_assert_eq(noise_hs_read_msg1(&r, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), -EBADMSG);
	cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, NULL, 0), 0);
	cr_assert_eq(noise_hs_read_msg1(&r, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), -EBADMSG);
}

/* verifies: SR-LINK-002 */
Test(noise, wrong_pump_key_is_refused)
{
	fixture f;
	uint8_t pay[64], other_priv[32], other_pub[32], m[NOISE_MSG1_LEN(12)];
	size_t n;
	keys_fixed(&f);
	memset(other_priv, 0x77, 32);
	cr_assert_eq(keys_public(other_pub, other_priv), 0);
	/* The remote believes the pump's key is other_pub. */
	cr_assert_eq(noise_hs_init_initiator(&f.ini, f.ipriv, other_pub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_write_msg1(&f.ini, f.ts, 12, m, sizeof m, &n), 0);
	cr_assert_eq(noise_hs_init_responder(&f.res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&f.res, m, sizeof m, pay, sizeof pay, &n), -EBADMSG);
}

/* verifies: SR-LINK-002 */
Test(noise, unknown_initiator_key_is_exposed_for_the_caller_to_refuse)
{
	/* Noise accepts any initiator key; the pump must look it up. The API
	 * must give it the key that actually authenticated message 1. */
	fixture f;
	uint8_t pay[64], rs[32];
	size_t n;
	start(&f);
	cr_assert_eq(noise_hs_read_msg1(&f.res, f.msg1, sizeof f.msg1, pay, sizeof pay, &n), 0);
	cr_assert_eq(noise_hs_remote_static(&f.res, rs), 0);
	cr_assert_arr_eq(rs, f.ipub, 32);
	uint8_t stranger_priv[32], stranger_pub[32];
	memset(stranger_priv, 0x55, 32);
	cr_assert_eq(keys_public(stranger_pub, stranger_priv), 0);
	cr_assert_arr_neq(rs, stranger_pub, 32);

	/* An initiator claiming to be another remote needs that remote's
	 * private key: swapping the static ciphertext from another handshake
	 * is refused. */
	noise_hs i2, r2;
	uint8_t m2[NOISE_MSG1_LEN(12)];
	cr_assert_eq(noise_hs_init_initiator(&i2, stranger_priv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_write_msg1(&i2, f.ts, 12, m2, sizeof m2, &n), 0);
	memcpy(m2 + 32, f.msg1 + 32, 48);
	cr_assert_eq(noise_hs_init_responder(&r2, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&r2, m2, sizeof m2, pay, sizeof pay, &n), -EBADMSG);
	noise_hs_wipe(&i2);
}

/* Curve25519 points of small order (and a non-canonical encoding). */
static const uint8_t LOW_ORDER[][32] = {
	{0},                                            /* 0 */
	{1},                                            /* 1 */
	{0xe0, 0xeb, 0x7a, 0x7c, 0x3b, 0x41, 0xb8, 0xae, 0x16, 0x56, 0xe3,
	 0xfa, 0xf1, 0x9f, 0xc4, 0x6a, 0xda, 0x09, 0x8d, 0xeb, 0x9c, 0x32,
	 0xb1, 0xfd, 0x86, 0x62, 0x05, 0x16, 0x5f, 0x49, 0xb8, 0x00},  /* order 8 */
	{0x5f, 0x9c, 0x95, 0xbc, 0xa3, 0x50, 0x8c, 0x24, 0xb1, 0xd0, 0xb1,
	 0x55, 0x9c, 0x83, 0xef, 0x5b, 0x04, 0x44, 0x5c, 0xc4, 0x58, 0x1c,
	 0x8e, 0x86, 0xd8, 0x22, 0x4e, 0xdd, 0xd0, 0x9f, 0x11, 0x57},  /* order 8 */
	{0xec, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  /* p - 1 */
	{0xed, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff,
	 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f},  /* p (= 0) */
};
#define N_LOW (sizeof LOW_ORDER / sizeof LOW_ORDER[0])

/* verifies: SR-LINK-001 */
Test(noise, low_order_points_abort_the_handshake)
{
	fixture f;
	uint8_t pay[64];
	size_t n;
	start(&f);
	for (size_t k = 0; k < N_LOW; k++) {
		/* as the initiator's ephemeral in message 1 (es = 0) */
		uint8_t m[sizeof f.msg1];
		noise_hs r;
		memcpy(m, f.msg1, sizeof m);
		memcpy(m, LOW_ORDER[k], 32);
		cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
		cr_assert_eq(noise_hs_read_msg1(&r, m, sizeof m, pay, sizeof pay, &n), -EBADMSG,
		             "point %zu", k);

		/* as the pump key the initiator is given (es = 0) */
		noise_hs i;
		uint8_t out[NOISE_MSG1_LEN(0)];
		cr_assert_eq(noise_hs_init_initiator(&i, f.ipriv, LOW_ORDER[k], PRO, PTM_PROLOGUE_LEN), 0);
		cr_assert_eq(noise_hs_write_msg1(&i, NULL, 0, out, sizeof out, &n), -EBADMSG);
		cr_assert(all_zero(&i, sizeof i));
		cr_assert(all_zero(out, sizeof out), "no partial message left behind");

		/* as the responder's ephemeral in message 2 (ee = 0) */
		noise_hs i2 = f.ini;
		uint8_t m2[NOISE_MSG2_LEN(0)] = {0};
		memcpy(m2, LOW_ORDER[k], 32);
		cr_assert_eq(noise_hs_read_msg2(&i2, m2, sizeof m2, pay, sizeof pay, &n), -EBADMSG);
	}

	/* as the initiator's encrypted static key (ss = 0): the initiator
	 * below lies about its static key. */
	for (size_t k = 0; k < N_LOW; k++) {
		noise_hs i, r;
		uint8_t m[NOISE_MSG1_LEN(0)];
		cr_assert_eq(noise_hs_init_initiator(&i, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
		memcpy(i.s_pub, LOW_ORDER[k], 32);
		cr_assert_eq(noise_hs_write_msg1(&i, NULL, 0, m, sizeof m, &n), 0);
		cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
		cr_assert_eq(noise_hs_read_msg1(&r, m, sizeof m, pay, sizeof pay, &n), -EBADMSG,
		             "static point %zu", k);
		noise_hs_wipe(&i);
	}
}

/* verifies: SR-LINK-003 */
Test(noise, counter_at_max_is_refused)
{
	noise_cipher c, d;
	uint8_t key[32], ct[32], pt[32];
	memset(key, 0x42, 32);
	noise_cipher_init(&c, key);
	noise_cipher_init(&d, key);
	noise_cipher_set_nonce(&c, UINT64_MAX - 1);
	noise_cipher_set_nonce(&d, UINT64_MAX - 1);
	cr_assert_eq(noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1, ct), 17);
	cr_assert_eq(c.n, UINT64_MAX);
	cr_assert_eq(noise_cipher_decrypt(&d, NULL, 0, ct, 17, pt), 1, "2^64-2 is the last nonce");
	cr_assert_eq(d.n, UINT64_MAX);
	cr_assert_eq(noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"x", 1, ct), -EOVERFLOW);
	cr_assert_eq(noise_cipher_decrypt(&d, NULL, 0, ct, 17, pt), -EOVERFLOW);
	cr_assert_eq(c.n, UINT64_MAX, "never wraps to 0");
	cr_assert_eq(d.n, UINT64_MAX);
}

Test(noise, nonce_is_four_zero_bytes_then_little_endian_counter)
{
	noise_cipher c;
	uint8_t key[32], a[21], b[21];
	const uint8_t nonce[12] = {0, 0, 0, 0, 8, 7, 6, 5, 4, 3, 2, 1};
	for (int i = 0; i < 32; i++)
		key[i] = (uint8_t)i;
	noise_cipher_init(&c, key);
	noise_cipher_set_nonce(&c, 0x0102030405060708ULL);
	cr_assert_eq(noise_cipher_encrypt(&c, (const uint8_t *)"ad", 2, (const uint8_t *)"hello", 5, a), 21);
	cr_assert_eq(aead_encrypt(b, key, nonce, (const uint8_t *)"ad", 2, (const uint8_t *)"hello", 5), 0);
	cr_assert_arr_eq(a, b, 21);
}

/* verifies: SR-LINK-001 */
Test(noise, keyless_cipher_never_passes_plaintext)
{
	noise_cipher c;
	uint8_t out[32];
	memset(&c, 0, sizeof c);
	cr_assert_eq(noise_cipher_encrypt(&c, NULL, 0, (const uint8_t *)"secret", 6, out), -EINVAL);
	cr_assert_eq(noise_cipher_decrypt(&c, NULL, 0, out, 22, out), -EINVAL);
}

Test(noise, calls_out_of_order_are_refused_and_change_nothing)
{
	fixture f;
	uint8_t pay[64], out[256];
	size_t n;
	noise_cipher a, b;
	keys_fixed(&f);
	cr_assert_eq(noise_hs_init_initiator(&f.ini, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_init_responder(&f.res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	noise_hs ini0 = f.ini, res0 = f.res;

	cr_assert_eq(noise_hs_write_msg2(&f.res, NULL, 0, out, sizeof out, &n), -EINVAL);
	cr_assert_eq(noise_hs_read_msg2(&f.res, out, 48, pay, sizeof pay, &n), -EINVAL);
	cr_assert_eq(noise_hs_write_msg1(&f.res, NULL, 0, out, sizeof out, &n), -EINVAL);
	cr_assert_eq(noise_hs_read_msg1(&f.ini, out, 96, pay, sizeof pay, &n), -EINVAL);
	cr_assert_eq(noise_hs_split(&f.ini, &a, &b), -EINVAL);
	cr_assert_eq(noise_hs_hash(&f.ini, pay), -EINVAL);
	/* buffer too small: refused, and the state still works */
	cr_assert_eq(noise_hs_write_msg1(&f.ini, f.ts, 12, out, 107, &n), -EMSGSIZE);
	cr_assert_arr_eq(&f.ini, &ini0, sizeof ini0);
	cr_assert_arr_eq(&f.res, &res0, sizeof res0);
	cr_assert_eq(noise_hs_write_msg1(&f.ini, f.ts, 12, out, 108, &n), 0);
	cr_assert_eq(noise_hs_write_msg1(&f.ini, f.ts, 12, out, 108, &n), -EINVAL, "only once");
	cr_assert_eq(noise_hs_read_msg1(&f.res, out, 108, pay, 11, &n), -EMSGSIZE);
	cr_assert_arr_eq(&f.res, &res0, sizeof res0);
	cr_assert_eq(noise_hs_read_msg1(&f.res, out, 108, pay, 12, &n), 0);
	cr_assert_eq(n, 12);

	/* a refused message aborts: the state must be initialised again */
	noise_hs r;
	cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&r, out, 95, pay, sizeof pay, &n), -EBADMSG, "too short");
	cr_assert_eq(noise_hs_read_msg1(&r, out, 108, pay, sizeof pay, &n), -EINVAL);
	cr_assert_eq(noise_hs_init_responder(&r, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&r, out, 108, pay, sizeof pay, &n), 0);
}

Test(noise, message_size_limits)
{
	static uint8_t big[NOISE_MAX_MSG + 1], out[NOISE_MAX_MSG + 64], back[NOISE_MAX_MSG];
	fixture f;
	size_t n;
	keys_fixed(&f);
	cr_assert_eq(noise_hs_init_initiator(&f.ini, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_init_responder(&f.res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_write_msg1(&f.ini, big, NOISE_MSG1_MAX_PAYLOAD + 1, out, sizeof out, &n),
	             -EMSGSIZE);
	cr_assert_eq(noise_hs_write_msg1(&f.ini, big, NOISE_MSG1_MAX_PAYLOAD, out, sizeof out, &n), 0);
	cr_assert_eq(n, NOISE_MAX_MSG);
	cr_assert_eq(noise_hs_read_msg1(&f.res, out, NOISE_MAX_MSG + 1, back, sizeof back, &n), -EBADMSG,
	             "over 65535 bytes");
	cr_assert_eq(noise_hs_init_responder(&f.res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&f.res, out, NOISE_MAX_MSG, back, sizeof back, &n), 0);
	cr_assert_eq(n, NOISE_MSG1_MAX_PAYLOAD);

	noise_cipher c;
	noise_cipher_init(&c, big);
	cr_assert_eq(noise_cipher_encrypt(&c, NULL, 0, big, NOISE_MAX_PAYLOAD + 1, out), -EMSGSIZE);
	cr_assert_eq(noise_cipher_encrypt(&c, NULL, 0, big, NOISE_MAX_PAYLOAD, out), NOISE_MAX_MSG);
	cr_assert_eq(noise_cipher_decrypt(&c, NULL, 0, out, NOISE_MAX_MSG + 1, back), -EBADMSG);
}

Test(noise, ephemeral_is_fresh_each_handshake)
{
	fixture f, g;
	start(&f);
	start(&g);
	cr_assert_arr_neq(f.msg1, g.msg1, 32, "two handshakes share an ephemeral key");
}

/* Two fixtures at the same message 1, the responder's ephemeral for
 * message 2 set to mul * i + add in both, for comparing two ways of
 * reading it. */
static void start_twins(fixture *f, fixture *g, unsigned mul, unsigned add)
{
	uint8_t e[32];
	for (unsigned i = 0; i < 32; i++)
		e[i] = (uint8_t)(mul * i + add);
	start(f);
	cr_assert_eq(noise_hs_set_ephemeral(&f->res, e), 0);
	*g = *f;
}

/* Message 1 in two steps: the same result as in one, one DH each, the
 * initiator's key known after the first; a refusal in either aborts. */
Test(noise, message1_in_two_steps)
{
	fixture f, g;
	uint8_t pay[64], rs[32], rs2[32], h1[32], h2[32];
	size_t n = 0;
	start_twins(&f, &g, 7, 3);   /* g: the same message 1, read in one call */
	unsigned long dh = noise_dh_count();
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay,
	                                       sizeof pay, &n), -EINVAL, "out of order");
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), 0);
	cr_assert_eq(noise_dh_count() - dh, 1, "es only");
	cr_assert_arr_eq(rs, f.ipub, 32);
	cr_assert_eq(noise_hs_remote_static(&f.res, rs2), 0);
	cr_assert_arr_eq(rs2, f.ipub, 32);
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), -EINVAL,
	             "twice");
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay, 11, &n),
	             -EMSGSIZE, "no room: state kept");
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay,
	                                       sizeof pay, &n), 0);
	cr_assert_eq(noise_dh_count() - dh, 2, "then ss");
	cr_assert_eq(n, 12);
	cr_assert_arr_eq(pay, f.ts, 12);
	cr_assert_eq(noise_hs_read_msg1(&g.res, g.msg1, sizeof g.msg1, pay, sizeof pay, &n), 0);
	uint8_t m2a[NOISE_MSG2_LEN(0)], m2b[NOISE_MSG2_LEN(0)];
	cr_assert_eq(noise_hs_write_msg2(&f.res, NULL, 0, m2a, sizeof m2a, &n), 0);
	cr_assert_eq(noise_hs_write_msg2(&g.res, NULL, 0, m2b, sizeof m2b, &n), 0);
	cr_assert_eq(noise_hs_hash(&f.res, h1), 0);
	cr_assert_eq(noise_hs_hash(&g.res, h2), 0);
	cr_assert_arr_eq(m2a, m2b, sizeof m2a, "one step or two: the same handshake");
	cr_assert_arr_eq(h1, h2, 32);
	noise_hs_wipe(&f.res);
	noise_hs_wipe(&g.res);

	/* the payload (ss) tampered: the first step passes, the second refuses
	 * and wipes */
	start(&f);
	f.msg1[100] ^= 1;
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), 0);
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay,
	                                       sizeof pay, &n), -EBADMSG);
	cr_assert(all_zero(&f.res, sizeof f.res), "aborted: wiped");
	/* the static key's ciphertext tampered: the first step refuses */
	start(&f);
	f.msg1[40] ^= 1;
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), -EBADMSG);
	cr_assert(all_zero(&f.res, sizeof f.res));
	/* too short */
	start(&f);
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, 95, rs), -EBADMSG);
}

/* The responder's cached ss (noise_static_dh once, noise_hs_use_ss after):
 * the same handshake with one DH fewer, and a wrong ss is refused. */
Test(noise, cached_static_dh_gives_the_same_handshake_with_one_dh_less)
{
	fixture f, g;
	uint8_t pay[64], rs[32], ss[32], h1[32], h2[32];
	uint8_t m2a[NOISE_MSG2_LEN(0)], m2b[NOISE_MSG2_LEN(0)];
	size_t n = 0;
	start_twins(&f, &g, 5, 1);
	cr_assert_eq(noise_static_dh(ss, f.rpriv, f.ipub), 0);
	cr_assert_eq(noise_hs_use_ss(&f.res, ss), -EINVAL, "before _static");
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), 0);
	cr_assert_eq(noise_hs_use_ss(&f.res, ss), 0);
	unsigned long dh = noise_dh_count();
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay,
	                                       sizeof pay, &n), 0);
	cr_assert_eq(noise_dh_count() - dh, 0, "ss from the cache: no DH");
	cr_assert_arr_eq(pay, f.ts, 12);
	cr_assert_eq(noise_hs_read_msg1(&g.res, g.msg1, sizeof g.msg1, pay, sizeof pay, &n), 0);
	cr_assert_eq(noise_hs_write_msg2(&f.res, NULL, 0, m2a, sizeof m2a, &n), 0);
	cr_assert_eq(noise_hs_write_msg2(&g.res, NULL, 0, m2b, sizeof m2b, &n), 0);
	cr_assert_arr_eq(m2a, m2b, sizeof m2a, "cached or computed: the same bytes");
	cr_assert_eq(noise_hs_hash(&f.res, h1), 0);
	cr_assert_eq(noise_hs_hash(&g.res, h2), 0);
	cr_assert_arr_eq(h1, h2, 32);
	cr_assert_eq(noise_hs_read_msg2(&f.ini, m2a, sizeof m2a, pay, sizeof pay, &n), 0,
	             "the initiator completes against it");
	noise_hs_wipe(&f.res);
	noise_hs_wipe(&g.res);

	/* an ss for another key: refused, the state wiped */
	start(&f);
	ss[0] ^= 1;
	cr_assert_eq(noise_hs_read_msg1_static(&f.res, f.msg1, sizeof f.msg1, rs), 0);
	cr_assert_eq(noise_hs_use_ss(&f.res, ss), 0);
	cr_assert_eq(noise_hs_read_msg1_finish(&f.res, f.msg1, sizeof f.msg1, pay,
	                                       sizeof pay, &n), -EBADMSG);
	cr_assert(all_zero(&f.res, sizeof f.res), "aborted: wiped");
	/* a low-order key has no ss */
	cr_assert_eq(noise_static_dh(ss, f.rpriv, LOW_ORDER[0]), -EBADMSG);
	cr_assert(all_zero(ss, sizeof ss));
}

/* The initiator's cached ss (per pump key, as WireGuard's precomputed
 * static-static): the same message 1 with one DH fewer; a state made once
 * (init, use_ss) and copied serves several handshakes, each with its own
 * ephemeral; a wrong ss is refused by the responder. */
Test(noise, initiator_cached_ss_gives_the_same_message1_with_one_dh_less)
{
	fixture f;
	noise_hs tmpl, a, b;
	uint8_t ss[32], e[32], m1a[NOISE_MSG1_LEN(12)], m1b[NOISE_MSG1_LEN(12)];
	uint8_t pay[64], m2[NOISE_MSG2_LEN(0)];
	size_t n = 0;
	keys_fixed(&f);
	for (int i = 0; i < 32; i++)
		e[i] = (uint8_t)(3 * i + 1);
	cr_assert_eq(noise_static_dh(ss, f.ipriv, f.rpub), 0);
	/* computed: the reference message 1 */
	cr_assert_eq(noise_hs_init_initiator(&a, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_set_ephemeral(&a, e), 0);
	unsigned long dh = noise_dh_count();
	cr_assert_eq(noise_hs_write_msg1(&a, f.ts, 12, m1a, sizeof m1a, &n), 0);
	cr_assert_eq(noise_dh_count() - dh, 2, "es and ss");
	cr_assert_eq(noise_hs_use_ss(&a, ss), -EINVAL, "after message 1");
	/* cached */
	cr_assert_eq(noise_hs_init_initiator(&tmpl, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_use_ss(&tmpl, ss), 0);
	b = tmpl;
	cr_assert_eq(noise_hs_set_ephemeral(&b, e), 0);
	dh = noise_dh_count();
	cr_assert_eq(noise_hs_write_msg1(&b, f.ts, 12, m1b, sizeof m1b, &n), 0);
	cr_assert_eq(noise_dh_count() - dh, 1, "es only: ss from the cache");
	cr_assert_arr_eq(m1a, m1b, sizeof m1a, "cached or computed: the same bytes");
	cr_assert(all_zero(b.ss, sizeof b.ss), "the cached ss is not kept past use");
	noise_hs_wipe(&a);
	noise_hs_wipe(&b);

	/* two copies of the template: two handshakes, fresh ephemerals */
	for (int i = 0; i < 2; i++) {
		noise_hs res;
		a = tmpl;
		cr_assert_eq(noise_hs_write_msg1(&a, f.ts, 12, i ? m1b : m1a, sizeof m1a, &n), 0);
		cr_assert_eq(noise_hs_init_responder(&res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
		cr_assert_eq(noise_hs_read_msg1(&res, i ? m1b : m1a, sizeof m1a, pay,
		                                sizeof pay, &n), 0);
		cr_assert_arr_eq(pay, f.ts, 12);
		cr_assert_eq(noise_hs_write_msg2(&res, NULL, 0, m2, sizeof m2, &n), 0);
		cr_assert_eq(noise_hs_read_msg2(&a, m2, sizeof m2, pay, sizeof pay, &n), 0);
		cr_assert(noise_hs_complete(&a));
		noise_hs_wipe(&a);
		noise_hs_wipe(&res);
	}
	cr_assert(memcmp(m1a, m1b, 32) != 0, "each copy draws its own ephemeral");

	/* a wrong ss: the responder refuses message 1 */
	ss[0] ^= 1;
	noise_hs res;
	cr_assert_eq(noise_hs_init_initiator(&a, f.ipriv, f.rpub, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_use_ss(&a, ss), 0);
	cr_assert_eq(noise_hs_write_msg1(&a, f.ts, 12, m1a, sizeof m1a, &n), 0);
	cr_assert_eq(noise_hs_init_responder(&res, f.rpriv, PRO, PTM_PROLOGUE_LEN), 0);
	cr_assert_eq(noise_hs_read_msg1(&res, m1a, sizeof m1a, pay, sizeof pay, &n), -EBADMSG);
	noise_hs_wipe(&a);
	noise_hs_wipe(&tmpl);
	sodium_memzero(ss, sizeof ss);
}
