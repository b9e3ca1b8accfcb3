/* tests/lib/noisevec_field.h — a Noise test vector's JSON fields, read
 * and checked (untrusted input), and the first reason a vector failed. */
#ifndef PTM_TESTS_LIB_NOISEVEC_FIELD_H
#define PTM_TESTS_LIB_NOISEVEC_FIELD_H

#include <stddef.h>
#include <stdint.h>
#include <jansson.h>

/* What went wrong in a vector: bad input, or the protocol refused or
 * disagreed (which a "fail": true vector expects). */
enum { NOISEVEC_E_NONE, NOISEVEC_E_MALFORMED, NOISEVEC_E_PROTOCOL };

struct noisevec_ctx {
	const char *name;       /* the vector's protocol, for the report */
	int err;                /* NOISEVEC_E_* of the first reason */
	char why[256];
};

/* Note why the vector failed (kind: NOISEVEC_E_*), unless a reason is
 * noted already. */
__attribute__((format(printf, 3, 4)))
void noisevec_field_note(struct noisevec_ctx *c, int kind, const char *fmt, ...);

/* Decode hex field key of v into buf (cap bytes).  Missing or null: *len =
 * 0 and returns 0 when !required.  exact > 0: the length it must have.
 * Returns 0 or -1 (reason noted). */
int noisevec_field_hex(struct noisevec_ctx *c, json_t *v, const char *key,
                       uint8_t *buf, size_t cap, size_t *len, int required,
                       size_t exact);

/* Is vector v of our suite (Noise_IK_25519_ChaChaPoly_SHA256, no psk,
 * fallback or hybrid)?  1 yes (c->name set), 0 no (skip it), -1 malformed
 * (noted). */
int noisevec_field_suite(struct noisevec_ctx *c, json_t *v);

#endif
