/*
 * crypto/noise.c — Noise_IK_25519_ChaChaPoly_SHA256, revision 34.
 *
 * The names follow the specification: CipherState (noise_cipher),
 * SymmetricState (ck, h and cs inside noise_hs), HandshakeState (noise_hs).
 * A handshake message is processed on a copy of the state, which replaces
 * the caller's state only when the whole message succeeded; on a refused
 * message the caller's state is wiped (the handshake is aborted) and the
 * copy is wiped too, so no secret outlives a failure.
 */
#include "crypto/noise.h"

#include <errno.h>
#include <string.h>
#include <sodium.h>

#include "crypto/aead.h"
#include "crypto/crypto.h"
#include "crypto/x25519.h"

/* hs->step */
enum {
	ST_NONE = 0,     /* wiped or never initialised */
	ST_I_START,      /* initiator, before message 1 */
	ST_I_SENT1,      /* initiator, message 1 written */
	ST_R_START,      /* responder, before message 1 */
	ST_R_GOT_S,      /* responder, message 1 read up to s (before ss) */
	ST_R_READ1,      /* responder, message 1 read */
	ST_DONE,         /* both messages done: split may be called */
	ST_SPLIT         /* split done: only h remains */
};

#define MAXNONCE UINT64_MAX

/* ---- CipherState ---------------------------------------------------------- */

static void nonce_bytes(uint8_t out[AEAD_NONCELEN], uint64_t n)
{
	/* 32 bits of zeros, then n little-endian (section 12.3). */
	memset(out, 0, 4);
	for (int i = 0; i < 8; i++)
		out[4 + i] = (uint8_t)(n >> (8 * i));
}

void noise_cipher_init(noise_cipher *c, const uint8_t key[NOISE_KEYLEN])
{
	memcpy(c->key, key, NOISE_KEYLEN);
	c->n = 0;
	c->has_key = 1;
}

void noise_cipher_set_nonce(noise_cipher *c, uint64_t n)
{
	c->n = n;
}

void noise_cipher_wipe(noise_cipher *c)
{
	sodium_memzero(c, sizeof *c);
}

int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t adlen,
                         const uint8_t *in, size_t len, uint8_t *out)
{
	if (!c->has_key)
		return -EINVAL;
	if (len > NOISE_MAX_PAYLOAD)
		return -EMSGSIZE;
	if (c->n == MAXNONCE)
		return -EOVERFLOW;
	uint8_t nonce[AEAD_NONCELEN];
	nonce_bytes(nonce, c->n);
	int rc = aead_encrypt(out, c->key, nonce, ad, adlen, in, len);
	if (rc < 0)
		return rc;
	c->n++;
	return (int)(len + NOISE_TAGLEN);
}

int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t adlen,
                         const uint8_t *in, size_t len, uint8_t *out)
{
	if (!c->has_key)
		return -EINVAL;
	if (len < NOISE_TAGLEN || len > NOISE_MAX_MSG)
		return -EBADMSG;
	if (c->n == MAXNONCE)
		return -EOVERFLOW;
	uint8_t nonce[AEAD_NONCELEN];
	nonce_bytes(nonce, c->n);
	int rc = aead_decrypt(out, c->key, nonce, ad, adlen, in, len);
	if (rc < 0)
		return rc == -EINVAL ? -EBADMSG : rc;
	c->n++;
	return (int)(len - NOISE_TAGLEN);
}

/* ---- hash, HMAC, HKDF (section 4.3) ------------------------------------ */

/* HMAC(key, a || b) from a state already keyed (init's two blocks done
 * once for the outputs of one HKDF). */
static void hmac_keyed(uint8_t out[NOISE_HASHLEN],
                       const crypto_auth_hmacsha256_state *keyed,
                       const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_auth_hmacsha256_state st = *keyed;
	if (alen)
		crypto_auth_hmacsha256_update(&st, a, alen);
	if (blen)
		crypto_auth_hmacsha256_update(&st, b, blen);
	crypto_auth_hmacsha256_final(&st, out);
	sodium_memzero(&st, sizeof st);
}

/* HMAC(key, a || b). */
static void hmac(uint8_t out[NOISE_HASHLEN], const uint8_t key[NOISE_HASHLEN],
                 const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	crypto_auth_hmacsha256_state k;
	crypto_auth_hmacsha256_init(&k, key, NOISE_HASHLEN);
	hmac_keyed(out, &k, a, alen, b, blen);
	sodium_memzero(&k, sizeof k);
}

/* HKDF(ck, ikm, 2 or 3): out1, out2 and (if out3) out3. ikm may be empty. */
static void hkdf(uint8_t out1[NOISE_HASHLEN], uint8_t out2[NOISE_HASHLEN],
                 uint8_t out3[NOISE_HASHLEN], const uint8_t ck[NOISE_HASHLEN],
                 const uint8_t *ikm, size_t ikmlen)
{
	uint8_t temp[NOISE_HASHLEN];
	const uint8_t one = 0x01, two = 0x02, three = 0x03;
	crypto_auth_hmacsha256_state keyed;

	hmac(temp, ck, ikm, ikmlen, NULL, 0);
	crypto_auth_hmacsha256_init(&keyed, temp, NOISE_HASHLEN);
	hmac_keyed(out1, &keyed, &one, 1, NULL, 0);
	hmac_keyed(out2, &keyed, out1, NOISE_HASHLEN, &two, 1);
	if (out3)
		hmac_keyed(out3, &keyed, out2, NOISE_HASHLEN, &three, 1);
	sodium_memzero(&keyed, sizeof keyed);
	sodium_memzero(temp, sizeof temp);
}

/* ---- SymmetricState (section 5.2) --------------------------------------- */

static void mix_hash(noise_hs *hs, const uint8_t *data, size_t len)
{
	crypto_hash_sha256_state st;
	crypto_hash_sha256_init(&st);
	crypto_hash_sha256_update(&st, hs->h, NOISE_HASHLEN);
	if (len)
		crypto_hash_sha256_update(&st, data, len);
	crypto_hash_sha256_final(&st, hs->h);
	sodium_memzero(&st, sizeof st);
}

static void mix_key(noise_hs *hs, const uint8_t ikm[32])
{
	uint8_t ck[NOISE_HASHLEN], k[NOISE_HASHLEN];
	hkdf(ck, k, NULL, hs->ck, ikm, 32);
	memcpy(hs->ck, ck, NOISE_HASHLEN);
	noise_cipher_init(&hs->cs, k);   /* HASHLEN is 32: no truncation */
	sodium_memzero(ck, sizeof ck);
	sodium_memzero(k, sizeof k);
}

static _Atomic unsigned long dh_count;   /* noise_dh_count */

unsigned long noise_dh_count(void)
{
	return dh_count;
}

/* MixKey(DH(priv, pub)); -EBADMSG on an all-zero DH result. */
static int mix_dh(noise_hs *hs, const uint8_t priv[32], const uint8_t pub[32])
{
	uint8_t dh[32];
	dh_count++;
	int rc = x25519_shared(dh, priv, pub);
	if (rc == 0)
		mix_key(hs, dh);
	sodium_memzero(dh, sizeof dh);
	return rc;
}

/* EncryptAndHash: out gets len + 16 bytes (a key is always set in IK when
 * this runs; without one, plaintext is passed through as the spec says). */
static int encrypt_and_hash(noise_hs *hs, const uint8_t *in, size_t len,
                            uint8_t *out, size_t *outlen)
{
	if (!hs->cs.has_key) {
		memmove(out, in, len);
		*outlen = len;
	} else {
		int rc = noise_cipher_encrypt(&hs->cs, hs->h, NOISE_HASHLEN,
		                              in, len, out);
		if (rc < 0)
			return rc;
		*outlen = (size_t)rc;
	}
	mix_hash(hs, out, *outlen);
	return 0;
}

/* DecryptAndHash: in is len bytes (the ciphertext is hashed, not out). */
static int decrypt_and_hash(noise_hs *hs, const uint8_t *in, size_t len,
                            uint8_t *out, size_t *outlen)
{
	if (!hs->cs.has_key) {
		memmove(out, in, len);
		*outlen = len;
	} else {
		int rc = noise_cipher_decrypt(&hs->cs, hs->h, NOISE_HASHLEN,
		                              in, len, out);
		if (rc < 0)
			return rc;
		*outlen = (size_t)rc;
	}
	mix_hash(hs, in, len);
	return 0;
}

/* ---- HandshakeState (section 5.3) --------------------------------------- */

void noise_hs_wipe(noise_hs *hs)
{
	sodium_memzero(hs, sizeof *hs);
}

static int hs_init(noise_hs *hs, int initiator, const uint8_t s_priv[32],
                   const uint8_t *prologue, size_t prologue_len)
{
	if (!hs || !s_priv || (prologue_len && !prologue))
		return -EINVAL;
	if (crypto_init() < 0)
		return -EIO;
	noise_hs_wipe(hs);

	/* InitializeSymmetric: the name is exactly HASHLEN bytes long, but
	 * follow the general rule (pad, or hash when longer). */
	const char *name = NOISE_PROTOCOL_NAME;
	size_t nlen = strlen(name);
	if (nlen <= NOISE_HASHLEN)
		memcpy(hs->h, name, nlen);
	else
		crypto_hash_sha256(hs->h, (const unsigned char *)name, nlen);
	memcpy(hs->ck, hs->h, NOISE_HASHLEN);

	mix_hash(hs, prologue, prologue_len);

	hs->s_priv = s_priv;
	if (x25519_public(hs->s_pub, s_priv) < 0) {
		noise_hs_wipe(hs);
		return -EINVAL;
	}
	hs->initiator = initiator;
	return 0;
}

int noise_hs_init_initiator(noise_hs *hs, const uint8_t s_priv[32],
                            const uint8_t rs_pub[32],
                            const uint8_t *prologue, size_t prologue_len)
{
	if (!rs_pub)
		return -EINVAL;
	int rc = hs_init(hs, 1, s_priv, prologue, prologue_len);
	if (rc < 0)
		return rc;
	memcpy(hs->rs, rs_pub, 32);
	mix_hash(hs, hs->rs, 32);          /* pre-message "<- s" */
	hs->step = ST_I_START;
	return 0;
}

int noise_hs_init_responder(noise_hs *hs, const uint8_t s_priv[32],
                            const uint8_t *prologue, size_t prologue_len)
{
	int rc = hs_init(hs, 0, s_priv, prologue, prologue_len);
	if (rc < 0)
		return rc;
	mix_hash(hs, hs->s_pub, 32);       /* pre-message "<- s" */
	hs->step = ST_R_START;
	return 0;
}

int noise_hs_set_ephemeral(noise_hs *hs, const uint8_t e_priv[32])
{
	if (!hs || !e_priv || (hs->step != ST_I_START && hs->step != ST_R_START))
		return -EINVAL;
	if (x25519_public(hs->e_pub, e_priv) < 0)
		return -EINVAL;
	memcpy(hs->e_priv, e_priv, 32);
	hs->e_fixed = 1;
	return 0;
}

/* Token "e" on write: a fresh (or fixed) ephemeral, sent and hashed. */
static int write_e(noise_hs *hs, uint8_t *out)
{
	if (!hs->e_fixed) {
		int rc = x25519_generate(hs->e_priv, hs->e_pub);
		if (rc < 0)
			return rc;
	}
	memcpy(out, hs->e_pub, 32);
	mix_hash(hs, hs->e_pub, 32);
	return 0;
}

/* Commit a processed copy into the caller's state, or abort both. */
static int finish(noise_hs *hs, noise_hs *tmp, int rc, int next)
{
	if (rc == 0) {
		tmp->step = next;
		*hs = *tmp;
	} else {
		noise_hs_wipe(hs);
	}
	noise_hs_wipe(tmp);
	return rc;
}

int noise_hs_write_msg1(noise_hs *hs, const uint8_t *payload, size_t plen,
                        uint8_t *out, size_t cap, size_t *outlen)
{
	if (!hs || hs->step != ST_I_START || !out || !outlen || (plen && !payload))
		return -EINVAL;
	if (plen > NOISE_MSG1_MAX_PAYLOAD || cap < NOISE_MSG1_LEN(plen))
		return -EMSGSIZE;

	noise_hs t = *hs;
	size_t n, pos = 0;
	int rc;
	/* -> e, es, s, ss */
	if ((rc = write_e(&t, out)) < 0)
		goto done;
	pos = 32;
	if ((rc = mix_dh(&t, t.e_priv, t.rs)) < 0)
		goto done;
	if ((rc = encrypt_and_hash(&t, t.s_pub, 32, out + pos, &n)) < 0)
		goto done;
	pos += n;
	/* ss: cached (noise_hs_use_ss), or computed now */
	if (t.ss_set)
		mix_key(&t, t.ss);
	else if ((rc = mix_dh(&t, t.s_priv, t.rs)) < 0)
		goto done;
	sodium_memzero(t.ss, sizeof t.ss);
	t.ss_set = 0;
	if ((rc = encrypt_and_hash(&t, payload, plen, out + pos, &n)) < 0)
		goto done;
	pos += n;
	*outlen = pos;
done:
	if (rc < 0)
		sodium_memzero(out, NOISE_MSG1_LEN(plen));
	return finish(hs, &t, rc, ST_I_SENT1);
}

/* The -EMSGSIZE check of message 1 (state unchanged): room for the payload. */
static int msg1_room(size_t len, const uint8_t *payload_out, size_t cap)
{
	if (len >= NOISE_MSG1_LEN(0) && len <= NOISE_MAX_MSG &&
	    (cap < len - NOISE_MSG1_LEN(0) || (!payload_out && len > NOISE_MSG1_LEN(0))))
		return -EMSGSIZE;
	return 0;
}

int noise_hs_read_msg1_static(noise_hs *hs, const uint8_t *in, size_t len,
                              uint8_t rs_out[32])
{
	if (!hs || hs->step != ST_R_START || !in || !rs_out)
		return -EINVAL;

	noise_hs t = *hs;
	uint8_t rs[32 + NOISE_TAGLEN];
	size_t n;
	int rc = -EBADMSG;
	if (len < NOISE_MSG1_LEN(0) || len > NOISE_MAX_MSG)
		goto done;
	/* -> e, es, s */
	memcpy(t.re, in, 32);
	mix_hash(&t, t.re, 32);
	if ((rc = mix_dh(&t, t.s_priv, t.re)) < 0)
		goto done;
	if ((rc = decrypt_and_hash(&t, in + 32, 48, rs, &n)) < 0)
		goto done;
	memcpy(t.rs, rs, 32);
	memcpy(rs_out, rs, 32);
done:
	sodium_memzero(rs, sizeof rs);
	if (rc < 0)
		rc = -EBADMSG;   /* every refusal of a message looks the same */
	return finish(hs, &t, rc, ST_R_GOT_S);
}

int noise_hs_read_msg1_finish(noise_hs *hs, const uint8_t *in, size_t len,
                              uint8_t *payload_out, size_t cap, size_t *plen)
{
	if (!hs || hs->step != ST_R_GOT_S || !in || !plen)
		return -EINVAL;
	if (msg1_room(len, payload_out, cap) < 0)
		return -EMSGSIZE;

	noise_hs t = *hs;
	size_t n;
	int rc = -EBADMSG;
	if (len < NOISE_MSG1_LEN(0) || len > NOISE_MAX_MSG)
		goto done;
	/* -> ss (cached, or computed now), then the payload */
	if (t.ss_set)
		mix_key(&t, t.ss);
	else if ((rc = mix_dh(&t, t.s_priv, t.rs)) < 0)
		goto done;
	sodium_memzero(t.ss, sizeof t.ss);
	t.ss_set = 0;
	/* Decrypt into the caller's buffer only once everything else held;
	 * aead_decrypt zeroes it on failure. */
	uint8_t dummy[1];
	if ((rc = decrypt_and_hash(&t, in + 80, len - 80,
	                           payload_out ? payload_out : dummy, &n)) < 0)
		goto done;
	*plen = n;
done:
	if (rc < 0)
		rc = -EBADMSG;
	return finish(hs, &t, rc, ST_R_READ1);
}

int noise_hs_use_ss(noise_hs *hs, const uint8_t ss[32])
{
	if (!hs || (hs->step != ST_R_GOT_S && hs->step != ST_I_START) || !ss)
		return -EINVAL;
	memcpy(hs->ss, ss, 32);
	hs->ss_set = 1;
	return 0;
}

int noise_static_dh(uint8_t out[32], const uint8_t s_priv[32],
                    const uint8_t rs[32])
{
	if (!out || !s_priv || !rs)
		return -EINVAL;
	dh_count++;
	return x25519_shared(out, s_priv, rs);
}

int noise_hs_read_msg1(noise_hs *hs, const uint8_t *in, size_t len,
                       uint8_t *payload_out, size_t cap, size_t *plen)
{
	if (!hs || hs->step != ST_R_START || !in || !plen)
		return -EINVAL;
	if (msg1_room(len, payload_out, cap) < 0)
		return -EMSGSIZE;
	uint8_t rs[32];
	int rc = noise_hs_read_msg1_static(hs, in, len, rs);
	sodium_memzero(rs, sizeof rs);
	if (rc < 0)
		return rc;
	return noise_hs_read_msg1_finish(hs, in, len, payload_out, cap, plen);
}

int noise_hs_remote_static(const noise_hs *hs, uint8_t out[32])
{
	if (!hs || !out)
		return -EINVAL;
	switch (hs->step) {
	case ST_I_START: case ST_I_SENT1: case ST_R_GOT_S: case ST_R_READ1:
	case ST_DONE:
		break;
	default:         /* responder before message 1, wiped, or split */
		return -EINVAL;
	}
	memcpy(out, hs->rs, 32);
	return 0;
}

int noise_hs_write_msg2(noise_hs *hs, const uint8_t *payload, size_t plen,
                        uint8_t *out, size_t cap, size_t *outlen)
{
	if (!hs || hs->step != ST_R_READ1 || !out || !outlen || (plen && !payload))
		return -EINVAL;
	if (plen > NOISE_MSG2_MAX_PAYLOAD || cap < NOISE_MSG2_LEN(plen))
		return -EMSGSIZE;

	noise_hs t = *hs;
	size_t n;
	int rc;
	/* <- e, ee, se */
	if ((rc = write_e(&t, out)) < 0)
		goto done;
	if ((rc = mix_dh(&t, t.e_priv, t.re)) < 0)
		goto done;
	if ((rc = mix_dh(&t, t.e_priv, t.rs)) < 0)
		goto done;
	if ((rc = encrypt_and_hash(&t, payload, plen, out + 32, &n)) < 0)
		goto done;
	*outlen = 32 + n;
	/* The ephemeral is no longer needed. */
	sodium_memzero(t.e_priv, 32);
done:
	if (rc < 0)
		sodium_memzero(out, NOISE_MSG2_LEN(plen));
	return finish(hs, &t, rc, ST_DONE);
}

int noise_hs_read_msg2(noise_hs *hs, const uint8_t *in, size_t len,
                       uint8_t *payload_out, size_t cap, size_t *plen)
{
	if (!hs || hs->step != ST_I_SENT1 || !in || !plen)
		return -EINVAL;
	if (len >= NOISE_MSG2_LEN(0) && len <= NOISE_MAX_MSG &&
	    (cap < len - NOISE_MSG2_LEN(0) || (!payload_out && len > NOISE_MSG2_LEN(0))))
		return -EMSGSIZE;

	noise_hs t = *hs;
	size_t n;
	int rc = -EBADMSG;
	if (len < NOISE_MSG2_LEN(0) || len > NOISE_MAX_MSG)
		goto done;
	/* <- e, ee, se */
	memcpy(t.re, in, 32);
	mix_hash(&t, t.re, 32);
	if ((rc = mix_dh(&t, t.e_priv, t.re)) < 0)
		goto done;
	if ((rc = mix_dh(&t, t.s_priv, t.re)) < 0)
		goto done;
	uint8_t dummy[1];
	if ((rc = decrypt_and_hash(&t, in + 32, len - 32,
	                           payload_out ? payload_out : dummy, &n)) < 0)
		goto done;
	*plen = n;
	sodium_memzero(t.e_priv, 32);
done:
	if (rc < 0)
		rc = -EBADMSG;
	return finish(hs, &t, rc, ST_DONE);
}

int noise_hs_complete(const noise_hs *hs)
{
	return hs && hs->step == ST_DONE;
}

int noise_hs_split(noise_hs *hs, noise_cipher *send, noise_cipher *recv)
{
	if (!hs || hs->step != ST_DONE || !send || !recv)
		return -EINVAL;
	uint8_t k1[NOISE_HASHLEN], k2[NOISE_HASHLEN];
	hkdf(k1, k2, NULL, hs->ck, NULL, 0);
	if (hs->initiator) {
		noise_cipher_init(send, k1);
		noise_cipher_init(recv, k2);
	} else {
		noise_cipher_init(send, k2);
		noise_cipher_init(recv, k1);
	}
	sodium_memzero(k1, sizeof k1);
	sodium_memzero(k2, sizeof k2);

	uint8_t h[NOISE_HASHLEN];
	int initiator = hs->initiator;
	memcpy(h, hs->h, sizeof h);
	noise_hs_wipe(hs);
	memcpy(hs->h, h, sizeof h);
	hs->initiator = initiator;
	hs->step = ST_SPLIT;
	return 0;
}

int noise_hs_hash(const noise_hs *hs, uint8_t out[NOISE_HASHLEN])
{
	if (!hs || !out || (hs->step != ST_DONE && hs->step != ST_SPLIT))
		return -EINVAL;
	memcpy(out, hs->h, NOISE_HASHLEN);
	return 0;
}
