/*
 * tests/lib/noisevec.c — the Noise test-vector runner (see noisevec.h):
 * vector files and lists, and each vector set up, run and judged.
 *
 * Input is untrusted: every field is type- and length-checked before use
 * (noisevec_field.c).  Message buffers are heap-allocated per vector
 * (NOISE_MAX_MSG each) and freed on every path; key material is wiped.
 */
#include "tests/lib/noisevec.h"

#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <jansson.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/noise.h"
#include "tests/lib/noisevec_field.h"
#include "tests/lib/noisevec_message.h"

enum { V_PASS, V_FAIL, V_SKIP };

/* One vector: V_PASS, V_FAIL (the reason in c) or V_SKIP. */
static int run_vector(struct noisevec_ctx *c, json_t *v)
{
	if (!json_is_object(v)) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED, "not an object");
		return V_FAIL;
	}
	int ours = noisevec_field_suite(c, v);
	if (ours == 0)
		return V_SKIP;
	if (ours < 0)
		return V_FAIL;

	json_t *fail = json_object_get(v, "fail");
	if (fail && !json_is_boolean(fail) && !json_is_null(fail)) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "fail is not true or false");
		return V_FAIL;
	}
	int expect_fail = fail && json_is_true(fail);

	uint8_t is[32], ie[32], irs[32], rs_[32], re[32], hh[NOISE_HASHLEN];
	uint8_t *ipro = NULL, *rpro = NULL, *pay = NULL, *ct = NULL, *buf = NULL;
	size_t n, iplen = 0, rplen = 0, hhlen = 0;
	struct noisevec_party *ini = NULL, *res = NULL;
	int result = V_FAIL;

	json_t *msgs = json_object_get(v, "messages");
	if (!json_is_array(msgs)) {
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "messages is not an array");
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
		noisevec_field_note(c, NOISEVEC_E_MALFORMED, "out of memory");
		goto out;
	}
	memset(ini, 0, sizeof *ini);
	memset(res, 0, sizeof *res);

	/* Prologues are mandatory in the format; a missing one reads as empty
	 * (which can only make a wrong vector fail, never a wrong run pass). */
	if (noisevec_field_hex(c, v, "init_prologue", ipro, NOISE_MAX_MSG, &iplen, 0, 0) < 0 ||
	    noisevec_field_hex(c, v, "resp_prologue", rpro, NOISE_MAX_MSG, &rplen, 0, 0) < 0 ||
	    noisevec_field_hex(c, v, "init_static", is, 32, &n, 1, 32) < 0 ||
	    noisevec_field_hex(c, v, "init_ephemeral", ie, 32, &n, 1, 32) < 0 ||
	    noisevec_field_hex(c, v, "init_remote_static", irs, 32, &n, 1, 32) < 0 ||
	    noisevec_field_hex(c, v, "resp_static", rs_, 32, &n, 1, 32) < 0 ||
	    noisevec_field_hex(c, v, "resp_ephemeral", re, 32, &n, 1, 32) < 0 ||
	    noisevec_field_hex(c, v, "handshake_hash", hh, sizeof hh, &hhlen, 0,
	                       NOISE_HASHLEN) < 0)
		goto out;

	/* Check the whole message list before running anything. */
	size_t count = json_array_size(msgs);
	for (size_t i = 0; i < count; i++) {
		json_t *m = json_array_get(msgs, i);
		char key[64];
		snprintf(key, sizeof key, "messages[%zu]", i);
		if (!json_is_object(m)) {
			noisevec_field_note(c, NOISEVEC_E_MALFORMED,
			                    "%s is not an object", key);
			goto out;
		}
		if (noisevec_field_hex(c, m, "payload", pay, NOISE_MAX_MSG, &n, 1, 0) < 0 ||
		    noisevec_field_hex(c, m, "ciphertext", ct, NOISE_MAX_MSG, &n, 1, 0) < 0) {
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
		noisevec_field_note(c, NOISEVEC_E_MALFORMED,
		                    "cannot set up the handshake (%s)", strerror(-rc));
		goto out;
	}

	for (size_t i = 0; i < count; i++) {
		json_t *m = json_array_get(msgs, i);
		size_t plen = 0, ctlen = 0;
		noisevec_field_hex(c, m, "payload", pay, NOISE_MAX_MSG, &plen, 1, 0);
		noisevec_field_hex(c, m, "ciphertext", ct, NOISE_MAX_MSG, &ctlen, 1, 0);
		if (noisevec_message_run(c, i, ini, res, pay, plen, ct, ctlen, buf, hh, hhlen) < 0)
			break;
	}

	if (c->err == NOISEVEC_E_NONE)
		result = expect_fail ? V_FAIL : V_PASS;
	else if (c->err == NOISEVEC_E_PROTOCOL && expect_fail)
		result = V_PASS;
	if (result == V_FAIL && c->err == NOISEVEC_E_NONE)
		noisevec_field_note(c, NOISEVEC_E_PROTOCOL,
		                    "marked \"fail\": true but every message succeeded");
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
		struct noisevec_ctx c = { .name = "?", .err = NOISEVEC_E_NONE };
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
