/*
 * crypto/noisevec.c — Noise test-vector runner (see noisevec.h).
 *
 * Input is untrusted: every field is type- and length-checked before use.
 * Message buffers are heap-allocated per vector (NOISE_MAX_MSG each) and
 * freed on every path; key material is wiped.
 */
#include "crypto/noisevec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/noise.h"

enum { V_PASS, V_FAIL, V_SKIP };

/* What went wrong in a vector: bad input, or the protocol refused or
 * disagreed (which a "fail": true vector expects). */
enum { E_NONE, E_MALFORMED, E_PROTOCOL };

typedef struct vctx {
	FILE *log;
	size_t index;
	const char *name;
	int err;
	char why[256];
} vctx;

__attribute__((format(printf, 3, 4)))
static void note(vctx *c, int kind, const char *fmt, ...)
{
	if (c->err != E_NONE)
		return;          /* keep the first reason */
	c->err = kind;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(c->why, sizeof c->why, fmt, ap);
	va_end(ap);
}

/* Decode hex field key of v into buf (cap bytes). Missing or null: *len = 0
 * and returns 0 when !required. Returns 0 or -1 (reason noted). */
static int get_hex(vctx *c, json_t *v, const char *key, uint8_t *buf,
                   size_t cap, size_t *len, int required, size_t exact)
{
	json_t *f = json_object_get(v, key);
	*len = 0;
	if (!f || json_is_null(f)) {
		if (!required)
			return 0;
		note(c, E_MALFORMED, "missing %s", key);
		return -1;
	}
	if (!json_is_string(f)) {
		note(c, E_MALFORMED, "%s is not a hex string", key);
		return -1;
	}
	const char *hex = json_string_value(f);
	size_t hlen = json_string_length(f);
	if (hlen % 2 != 0) {
		note(c, E_MALFORMED, "%s: odd number of hex digits", key);
		return -1;
	}
	if (hlen / 2 > cap) {
		note(c, E_MALFORMED, "%s: %zu bytes, more than %zu", key, hlen / 2, cap);
		return -1;
	}
	const char *end = NULL;
	size_t n = 0;
	if (sodium_hex2bin(buf, cap, hex, hlen, NULL, &n, &end) != 0 ||
	    end != hex + hlen || n != hlen / 2) {
		note(c, E_MALFORMED, "%s: not hex", key);
		return -1;
	}
	if (exact && n != exact) {
		note(c, E_MALFORMED, "%s: %zu bytes, expected %zu", key, n, exact);
		return -1;
	}
	*len = n;
	return 0;
}

/* Is this vector ours? 1 yes, 0 no (skip), -1 malformed (noted). */
static int is_our_suite(vctx *c, json_t *v)
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
			note(c, E_MALFORMED, "no protocol_name");
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

/* Compare helper: notes a protocol disagreement. */
static int same(vctx *c, size_t i, const char *what, const uint8_t *a, size_t alen,
                const uint8_t *b, size_t blen)
{
	if (alen == blen && (alen == 0 || memcmp(a, b, alen) == 0))
		return 1;
	note(c, E_PROTOCOL, "message %zu: %s differs from the vector", i, what);
	return 0;
}

typedef struct party {
	noise_hs hs;
	noise_cipher send, recv;
} party;

/* One message: sender writes the payload, receiver reads the vector's
 * ciphertext. Returns 0 to go on, -1 to stop. */
static int run_message(vctx *c, size_t i, party *ini, party *res,
                       const uint8_t *pay, size_t plen,
                       const uint8_t *ct, size_t ctlen, uint8_t *buf,
                       const uint8_t *hhash, size_t hhlen)
{
	party *snd = (i % 2 == 0) ? ini : res;
	party *rcv = (i % 2 == 0) ? res : ini;
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
		note(c, E_PROTOCOL, "message %zu: %s could not write it (%s)", i, sname,
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
		note(c, E_PROTOCOL, "message %zu: %s refused it (%s)", i, rname,
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
			note(c, E_PROTOCOL, "handshake did not complete");
			return -1;
		}
		if (memcmp(hi, hr, sizeof hi) != 0) {
			note(c, E_PROTOCOL, "the two parties' handshake hashes differ");
			return -1;
		}
		if (hhlen && !same(c, i, "handshake hash", hi, sizeof hi, hhash, hhlen))
			return -1;
	}
	return 0;
}

static int run_vector(vctx *c, json_t *v)
{
	if (!json_is_object(v)) {
		note(c, E_MALFORMED, "not an object");
		return V_FAIL;
	}
	int ours = is_our_suite(c, v);
	if (ours == 0)
		return V_SKIP;
	if (ours < 0)
		return V_FAIL;

	json_t *fail = json_object_get(v, "fail");
	if (fail && !json_is_boolean(fail) && !json_is_null(fail)) {
		note(c, E_MALFORMED, "fail is not true or false");
		return V_FAIL;
	}
	int expect_fail = fail && json_is_true(fail);

	uint8_t is[32], ie[32], irs[32], rs_[32], re[32], hh[NOISE_HASHLEN];
	uint8_t *ipro = NULL, *rpro = NULL, *pay = NULL, *ct = NULL, *buf = NULL;
	size_t n, iplen = 0, rplen = 0, hhlen = 0;
	party *ini = NULL, *res = NULL;
	int result = V_FAIL;

	json_t *msgs = json_object_get(v, "messages");
	if (!json_is_array(msgs)) {
		note(c, E_MALFORMED, "messages is not an array");
		goto out;
	}
	ipro = malloc(NOISE_MAX_MSG);
	rpro = malloc(NOISE_MAX_MSG);
	pay = malloc(NOISE_MAX_MSG);
	ct = malloc(NOISE_MAX_MSG);
	buf = malloc(NOISE_MAX_MSG);
	ini = sodium_malloc(sizeof *ini);
	res = sodium_malloc(sizeof *res);
	if (!ipro || !rpro || !pay || !ct || !buf || !ini || !res) {
		note(c, E_MALFORMED, "out of memory");
		goto out;
	}
	memset(ini, 0, sizeof *ini);
	memset(res, 0, sizeof *res);

	/* Prologues are mandatory in the format; a missing one reads as empty
	 * (which can only make a wrong vector fail, never a wrong run pass). */
	if (get_hex(c, v, "init_prologue", ipro, NOISE_MAX_MSG, &iplen, 0, 0) < 0 ||
	    get_hex(c, v, "resp_prologue", rpro, NOISE_MAX_MSG, &rplen, 0, 0) < 0 ||
	    get_hex(c, v, "init_static", is, 32, &n, 1, 32) < 0 ||
	    get_hex(c, v, "init_ephemeral", ie, 32, &n, 1, 32) < 0 ||
	    get_hex(c, v, "init_remote_static", irs, 32, &n, 1, 32) < 0 ||
	    get_hex(c, v, "resp_static", rs_, 32, &n, 1, 32) < 0 ||
	    get_hex(c, v, "resp_ephemeral", re, 32, &n, 1, 32) < 0 ||
	    get_hex(c, v, "handshake_hash", hh, sizeof hh, &hhlen, 0, NOISE_HASHLEN) < 0)
		goto out;

	/* Check the whole message list before running anything. */
	size_t count = json_array_size(msgs);
	for (size_t i = 0; i < count; i++) {
		json_t *m = json_array_get(msgs, i);
		char key[64];
		snprintf(key, sizeof key, "messages[%zu]", i);
		if (!json_is_object(m)) {
			note(c, E_MALFORMED, "%s is not an object", key);
			goto out;
		}
		if (get_hex(c, m, "payload", pay, NOISE_MAX_MSG, &n, 1, 0) < 0 ||
		    get_hex(c, m, "ciphertext", ct, NOISE_MAX_MSG, &n, 1, 0) < 0) {
			size_t l = strlen(c->why);
			snprintf(c->why + l, sizeof c->why - l, " in message %zu", i);
			goto out;
		}
	}

	int rc = noise_hs_init_initiator(&ini->hs, is, irs, ipro, iplen);
	if (rc == 0)
		rc = noise_hs_set_ephemeral(&ini->hs, ie);
	if (rc == 0)
		rc = noise_hs_init_responder(&res->hs, rs_, rpro, rplen);
	if (rc == 0)
		rc = noise_hs_set_ephemeral(&res->hs, re);
	if (rc < 0) {
		note(c, E_MALFORMED, "cannot set up the handshake (%s)", strerror(-rc));
		goto out;
	}

	for (size_t i = 0; i < count; i++) {
		json_t *m = json_array_get(msgs, i);
		size_t plen = 0, ctlen = 0;
		get_hex(c, m, "payload", pay, NOISE_MAX_MSG, &plen, 1, 0);
		get_hex(c, m, "ciphertext", ct, NOISE_MAX_MSG, &ctlen, 1, 0);
		if (run_message(c, i, ini, res, pay, plen, ct, ctlen, buf, hh, hhlen) < 0)
			break;
	}

	if (c->err == E_NONE)
		result = expect_fail ? V_FAIL : V_PASS;
	else if (c->err == E_PROTOCOL && expect_fail)
		result = V_PASS;
	if (result == V_FAIL && c->err == E_NONE)
		note(c, E_PROTOCOL, "marked \"fail\": true but every message succeeded");
out:
	if (ini) {
		noise_hs_wipe(&ini->hs);
		sodium_free(ini);
	}
	if (res) {
		noise_hs_wipe(&res->hs);
		sodium_free(res);
	}
	sodium_memzero(is, sizeof is);
	sodium_memzero(ie, sizeof ie);
	sodium_memzero(rs_, sizeof rs_);
	sodium_memzero(re, sizeof re);
	free(ipro);
	free(rpro);
	free(pay);
	free(ct);
	free(buf);
	return result;
}

int noisevec_run_text(const char *text, size_t len, FILE *log,
                      noisevec_stats *st)
{
	noisevec_stats zero = {0, 0, 0};
	if (st)
		*st = zero;
	if (!text || !st)
		return -EINVAL;
	if (crypto_init() < 0) {
		if (log)
			fprintf(log, "noisevec: libsodium cannot initialise\n");
		return -EIO;
	}
	json_error_t jerr;
	json_t *root = json_loadb(text, len, 0, &jerr);
	if (!root) {
		if (log)
			fprintf(log, "noisevec: not JSON: line %d, column %d: %s\n",
			        jerr.line, jerr.column, jerr.text);
		return -EINVAL;
	}
	json_t *list = json_is_array(root) ? root : json_object_get(root, "vectors");
	if (!json_is_array(list)) {
		if (log)
			fprintf(log, "noisevec: not a Noise vector file: expected an "
			        "object with a \"vectors\" array\n");
		json_decref(root);
		return -EINVAL;
	}
	size_t count = json_array_size(list);
	for (size_t i = 0; i < count; i++) {
		vctx c = { .log = log, .index = i, .name = "?", .err = E_NONE };
		int r = run_vector(&c, json_array_get(list, i));
		if (r == V_PASS) {
			st->passed++;
		} else if (r == V_SKIP) {
			st->skipped++;
		} else {
			st->failed++;
			if (log)
				fprintf(log, "FAIL vector %zu (%s): %s\n", i, c.name, c.why);
		}
	}
	json_decref(root);
	return 0;
}

int noisevec_run_file(const char *path, FILE *log, noisevec_stats *st)
{
	noisevec_stats zero = {0, 0, 0};
	if (st)
		*st = zero;
	if (!path || !st)
		return -EINVAL;
	FILE *f = fopen(path, "rb");
	if (!f) {
		int e = errno;
		if (log)
			fprintf(log, "noisevec: %s: %s\n", path, strerror(e));
		return -e;
	}
	size_t cap = 1 << 16, len = 0;
	char *text = malloc(cap);
	int rc = 0;
	while (text) {
		if (len == cap) {
			if (cap > ((size_t)1 << 30)) {   /* 1 GiB: not a vector file */
				rc = -EFBIG;
				break;
			}
			char *t = realloc(text, cap * 2);
			if (!t)
				break;
			text = t;
			cap *= 2;
		}
		size_t r = fread(text + len, 1, cap - len, f);
		len += r;
		if (r == 0) {
			if (ferror(f))
				rc = -EIO;
			break;
		}
	}
	fclose(f);
	if (!text || (rc == 0 && len == cap)) {
		free(text);
		if (log)
			fprintf(log, "noisevec: %s: out of memory\n", path);
		return -ENOMEM;
	}
	if (rc < 0) {
		free(text);
		if (log)
			fprintf(log, "noisevec: %s: %s\n", path, strerror(-rc));
		return rc;
	}
	rc = noisevec_run_text(text, len, log, st);
	free(text);
	return rc;
}
