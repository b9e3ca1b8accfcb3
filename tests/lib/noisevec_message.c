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

/* Message i by party p: written from the payload (send) or read from the
 * ciphertext (!send), in and len, into buf: 0 and its length in *n, or < 0.
 * Messages 0 and 1 are the handshake's, the rest transport messages. */
static int step(struct noisevec_party *p, size_t i, int send, const uint8_t *in,
                size_t len, uint8_t *buf, size_t *n)
{
	int rc;
	if (i == 0)
		return send ? noise_hs_write_msg1(&p->hs, in, len, buf, NOISE_MAX_MSG, n)
		            : noise_hs_read_msg1(&p->hs, in, len, buf, NOISE_MAX_MSG, n);
	if (i == 1)
		return send ? noise_hs_write_msg2(&p->hs, in, len, buf, NOISE_MAX_MSG, n)
		            : noise_hs_read_msg2(&p->hs, in, len, buf, NOISE_MAX_MSG, n);
	if (send && len > NOISE_MAX_PAYLOAD)
		return -EMSGSIZE;
	rc = send ? noise_cipher_encrypt(&p->send, NULL, 0, in, len, buf)
	          : noise_cipher_decrypt(&p->recv, NULL, 0, in, len, buf);
	if (rc < 0)
		return rc;
	*n = (size_t)rc;
	return 0;
}

/* step() by party p (called name), its output against want: 1 when
 * equal, 0 when not, -1 when the party could not do it (both noted). */
static int checked_step(struct noisevec_ctx *c, struct noisevec_party *p,
                        const char *name, size_t i, int send, const uint8_t *in,
                        size_t len, uint8_t *buf, const uint8_t *want, size_t wantlen)
{
	size_t n = 0;
	char what[64];
	int rc = step(p, i, send, in, len, buf, &n);
	if (rc < 0) {
		noisevec_field_note(c, NOISEVEC_E_PROTOCOL, "message %zu: %s %s (%s)", i, name,
		                    send ? "could not write it" : "refused it", strerror(-rc));
		return -1;
	}
	snprintf(what, sizeof what, "%s's %s", name, send ? "ciphertext" : "decrypted payload");
	return same(c, i, what, buf, n, want, wantlen);
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

	/* the sender's ciphertext, then the receiver on the vector's */
	int sent = checked_step(c, snd, sname, i, 1, pay, plen, buf, ct, ctlen);
	if (sent < 0)
		return -1;
	int got = checked_step(c, rcv, rname, i, 0, ct, ctlen, buf, pay, plen);
	if (got < 0 || !sent || !got)
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
