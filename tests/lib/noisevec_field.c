/* tests/lib/noisevec_field.c — a Noise test vector's JSON fields: hex
 * strings of a checked length, which protocol it is; the first reason a
 * vector failed (see noisevec_field.h). */
#include "tests/lib/noisevec_field.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sodium.h>

#include "crypto/noise.h"

void noisevec_field_note(struct noisevec_ctx *c, int kind, const char *fmt, ...)
{
	if (c->err != NOISEVEC_E_NONE)
		return;          /* keep the first reason */
	c->err = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

int noisevec_field_hex(struct noisevec_ctx *c, json_t *v, const char *key, uint8_t *buf,
                       size_t cap, size_t *len, int required, size_t exact)
{
	json_t *f = json_object_get(v, key);
	*len = 0;
	if (!f || json_is_null(f)) {
		if (!required)
			return 0;
		noisevec_field_note(c, NOISEVEC_E_MALFORMED, "missing %s", key);
		return -1;
	}
	if (!json_is_string(f)) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "%s is not a hex string", key);
		return -1;
	}
	const char *hex = json_string_value(f);
	size_t hlen = json_string_length(f);
	if (hlen % 2 != 0) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "%s: odd number of hex digits", key);
		return -1;
	}
	if (hlen / 2 > cap) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "%s: %zu bytes, more than %zu", key, hlen / 2, cap);
		return -1;
	}
	const char *end = NULL;
	size_t n = 0;
	if (sodium_hex2bin(buf, cap, hex, hlen, NULL, &n, &end) != 0 ||
	    end != hex + hlen || n != hlen / 2) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED, "%s: not hex", key);
		return -1;
	}
	if (exact && n != exact) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "%s: %zu bytes, expected %zu", key, n, exact);
		return -1;
	}
	*len = n;
	return 0;
}

int noisevec_field_suite(struct noisevec_ctx *c, json_t *v)
{
	json_t *pn = json_object_get(v, "protocol_name");
	if (!pn)
		pn = json_object_get(v, "name");   /* some files name it so */
	if (pn && json_is_string(pn) && strncmp(json_string_value(pn), "Noise", 5) == 0) {
		c->name = json_string_value(pn);
		if (strcmp(c->name, NOISE_PROTOCOL_NAME) != 0)
			return 0;
	} else {
		/* The older split form: pattern, dh, cipher, hash. */
		json_t *p = json_object_get(v, "pattern"), *d = json_object_get(v, "dh"),
		       *ci = json_object_get(v, "cipher"), *h = json_object_get(v, "hash");
		if (!json_is_string(p) || !json_is_string(d) || !json_is_string(ci) ||
		    !json_is_string(h)) {
			noisevec_field_note(c, NOISEVEC_E_MALFORMED,
			                    "no protocol_name");
			return -1;
		}
		if (strcmp(json_string_value(p), "IK") || strcmp(json_string_value(d), "25519") ||
		    strcmp(json_string_value(ci), "ChaChaPoly") ||
		    strcmp(json_string_value(h), "SHA256"))
			return 0;
		c->name = "IK 25519 ChaChaPoly SHA256";
		/* A psk in this form meant the old NoisePSK_ protocols. */
		json_t *ip = json_object_get(v, "init_psk"), *rp = json_object_get(v, "resp_psk");
		if ((ip && !json_is_null(ip)) || (rp && !json_is_null(rp)))
			return 0;
	}
	/* Compound or hybrid runs are other protocols we do not implement. */
	json_t *fb = json_object_get(v, "fallback");
	if (fb && json_is_true(fb))
		return 0;
	json_t *hy = json_object_get(v, "hybrid");
	if (hy && !json_is_null(hy) && !json_is_false(hy))
		return 0;
	return 1;
}
