/* tests/lib/noisevec_message.c — one message of a Noise test vector run
 * by both parties: the sender's ciphertext and the receiver's payload
 * against the vector's, the handshake hash after message 2. */
#include "tests/lib/noisevec_message.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

/* 1 when a equals b, else 0 with a protocol disagreement noted. */
static int same(struct noisevec_ctx *c, size_t i, const char *what,
                const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return 1;
	noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
	                    "message %zu: %s differs from the vector", i, what);
	return 0;
}

int noisevec_message_run(struct noisevec_ctx *c, size_t i,
                         struct noisevec_party *ini, struct noisevec_party *res,
                         const uint8_t *pay, size_t plen,
                         const uint8_t *ct, size_t ctlen, uint8_t *buf,
                         const uint8_t *hhash, size_t hhlen)
{
	struct noisevec_party *snd = (i % 2 == 0) ? ini : res;
	struct noisevec_party *rcv = (i % 2 == 0) ? res : ini;
	const char *sname = (i % 2 == 0) ? "initiator" : "responder";
	const char *rname = (i % 2 == 0) ? "responder" : "initiator";
	size_t n = 0;
	int rc;
	char what[64];

	/* sender */
	if (i == 0)
		rc = noise_hs_write_msg1(&snd->hs, pay, plen, buf, NOISE_MAX_MSG, &n);
	else if (i == 1)
		rc = noise_hs_write_msg2(&snd->hs, pay, plen, buf, NOISE_MAX_MSG, &n);
	else if (plen > NOISE_MAX_PAYLOAD)
		rc = -EMSGSIZE;
	else if ((rc = noise_cipher_encrypt(&snd->send, NULL, 0, pay, plen, buf)) >= 0) {
		n = (size_t)rc;
		rc = 0;
	}
	if (rc < 0) {
		noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
		                    "message %zu: %s could not write it (%s)", i, sname,
		                    strerror(-rc));
		return -1;
	}
	snprintf(what, sizeof what, "%s's ciphertext", sname);
	int ok = same(c, i, what, buf, n, ct, ctlen);

	/* receiver, on the vector's ciphertext */
	if (i == 0)
		rc = noise_hs_read_msg1(&rcv->hs, ct, ctlen, buf, NOISE_MAX_MSG, &n);
	else if (i == 1)
		rc = noise_hs_read_msg2(&rcv->hs, ct, ctlen, buf, NOISE_MAX_MSG, &n);
	else if ((rc = noise_cipher_decrypt(&rcv->recv, NULL, 0, ct, ctlen, buf)) >= 0) {
		n = (size_t)rc;
		rc = 0;
	}
	if (rc < 0) {
		noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
		                    "message %zu: %s refused it (%s)", i, rname,
		                    strerror(-rc));
		return -1;
	}
	snprintf(what, sizeof what, "%s's decrypted payload", rname);
	ok &= same(c, i, what, buf, n, pay, plen);
	if (!ok)
		return -1;

	if (i == 1) {
		uint8_t hi[NOISE_HASHLEN], hr[NOISE_HASHLEN];
		if (noise_hs_hash(&ini->hs, hi) < 0 || noise_hs_hash(&res->hs, hr) < 0 ||
		    noise_hs_split(&ini->hs, &ini->send, &ini->recv) < 0 ||
		    noise_hs_split(&res->hs, &res->send, &res->recv) < 0) {
			noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
			                    "handshake did not complete");
			return -1;
		}
		if (memcmp(hi, hr, sizeof hi) != 0) {
			noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
			                    "the two parties' handshake hashes differ");
			return -1;
		}
		if (hhlen && !same(c, i, "handshake hash", hi, sizeof hi, hhash, hhlen))
			return -1;
	}
	return 0;
}
