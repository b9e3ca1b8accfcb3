/*
 * tests/test_noise_vectors.c — the vector runner (tests/lib/noisevec.c and
 * build/tests/noisevec): published vectors pass, any corruption fails, other
 * protocols are skipped, malformed input gets an error and no crash.
 */
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <jansson.h>

#include "tests/lib/noisevec.h"
#include "tests/lib/prog.h"

static void vec_path(char *out, size_t cap, const char *name)
{
	const char *src = getenv("PTM_SRCDIR");
	snprintf(out, cap, "%s/tests/vectors/%s", src && *src ? src : ".", name);
}

static char *slurp(const char *name, size_t *len)
{
	char path[1024];
	vec_path(path, sizeof path, name);
	FILE *f = fopen(path, "rb");
	cr_assert_not_null(f, "cannot open %s", path);
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *t = malloc((size_t)n + 1);
	cr_assert_eq(fread(t, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	t[n] = '\0';
	*len = (size_t)n;
	return t;
}

/* Run a JSON text; returns the stats, asserts it parsed. */
static noisevec_stats run(const char *text)
{
	noisevec_stats st;
	cr_assert_eq(noisevec_run_text(text, strlen(text), NULL, &st), 0);
	return st;
}

/* The vector of our suite in the published file, as a JSON object. */
static json_t *our_vector(void)
{
	size_t len;
	char *t = slurp("noise-ik-cacophony.json", &len);
	json_t *root = json_loadb(t, len, 0, NULL);
	free(t);
	cr_assert_not_null(root);
	json_t *list = json_object_get(root, "vectors"), *v;
	size_t i;
	json_array_foreach(list, i, v) {
		if (!strcmp(json_string_value(json_object_get(v, "protocol_name")),
		            "Noise_IK_25519_ChaChaPoly_SHA256")) {
			json_incref(v);
			json_decref(root);
			return v;
		}
	}
	cr_assert_fail("no IK SHA256 vector");
	return NULL;
}

/* {"vectors": [v]} as text (caller frees). Steals v. */
static char *wrap(json_t *v)
{
	json_t *root = json_pack("{s:[o]}", "vectors", v);
	char *t = json_dumps(root, 0);
	json_decref(root);
	return t;
}

/* Flip one hex digit of string field key in object o. */
static void flip_hex(json_t *o, const char *key, size_t at)
{
	const char *s = json_string_value(json_object_get(o, key));
	cr_assert_not_null(s);
	char *c = strdup(s);
	cr_assert(at < strlen(c));
	c[at] = c[at] == '0' ? '1' : '0';
	json_object_set_new(o, key, json_string(c));
	free(c);
}

/* The vector file tests/vectors/name runs with passed vectors passing,
 * none failing and skipped of other suites skipped. */
static void file_passes(const char *name, unsigned passed, unsigned skipped)
{
	char path[1024];
	noisevec_stats st;
	vec_path(path, sizeof path, name);
	cr_assert_eq(noisevec_run_file(path, NULL, &st), 0, "%s", name);
	cr_assert_eq(st.passed, passed, "%s", name);
	cr_assert_eq(st.failed, 0, "%s", name);
	cr_assert_eq(st.skipped, skipped, "%s", name);
}

/* verifies: SR-LINK-001 */
Test(noisevec, published_file_passes_and_skips_other_suites)
{
	file_passes("noise-ik-cacophony.json", 1, 15);
}

/* verifies: SR-LINK-001 */
Test(noisevec, extra_vectors_pass)
{
	file_passes("noise-ik-extra.json", 6, 1);
}

/* verifies: SR-LINK-001 */
Test(noisevec, any_corrupted_ciphertext_fails)
{
	/* every message, a digit at the start, middle and end */
	json_t *v0 = our_vector();
	size_t nmsg = json_array_size(json_object_get(v0, "messages"));
	cr_assert_eq(nmsg, 6);
	for (size_t m = 0; m < nmsg; m++) {
		for (int where = 0; where < 3; where++) {
			json_t *v = json_deep_copy(v0);
			json_t *msg = json_array_get(json_object_get(v, "messages"), m);
			size_t hl = strlen(json_string_value(json_object_get(msg, "ciphertext")));
			flip_hex(msg, "ciphertext", where == 0 ? 0 : where == 1 ? hl / 2 : hl - 1);
			char *t = wrap(v);
			noisevec_stats st = run(t);
			free(t);
			cr_assert_eq(st.passed, 0, "message %zu spot %d", m, where);
			cr_assert_eq(st.failed, 1, "message %zu spot %d", m, where);
		}
	}
	json_decref(v0);
}

Test(noisevec, corrupted_payload_hash_keys_or_prologue_fail)
{
	static const char *fields[] = {
		"handshake_hash", "init_prologue", "resp_prologue", "init_static",
		"init_ephemeral", "resp_ephemeral", "resp_static", "init_remote_static",
	};
	json_t *v0 = our_vector();
	for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++) {
		json_t *v = json_deep_copy(v0);
		flip_hex(v, fields[k], 3);
		char *t = wrap(v);
		noisevec_stats st = run(t);
		free(t);
		cr_assert_eq(st.failed, 1, "%s", fields[k]);
		cr_assert_eq(st.passed, 0, "%s", fields[k]);
	}
	json_t *v = json_deep_copy(v0);
	flip_hex(json_array_get(json_object_get(v, "messages"), 4), "payload", 0);
	char *t = wrap(v);
	cr_assert_eq(run(t).failed, 1);
	free(t);
	json_decref(v0);
}

Test(noisevec, expected_failure_is_honoured)
{
	/* differing prologues: passes only when marked "fail": true */
	json_t *v = our_vector();
	json_object_set_new(v, "resp_prologue", json_string("00"));
	json_t *w = json_deep_copy(v);
	char *t = wrap(v);
	noisevec_stats st = run(t);
	free(t);
	cr_assert_eq(st.failed, 1);
	cr_assert_eq(st.passed, 0);
	json_object_set_new(w, "fail", json_true());
	t = wrap(w);
	st = run(t);
	free(t);
	cr_assert_eq(st.passed, 1);
	cr_assert_eq(st.failed, 0);

	/* a good vector marked "fail": true fails */
	v = our_vector();
	json_object_set_new(v, "fail", json_true());
	t = wrap(v);
	st = run(t);
	free(t);
	cr_assert_eq(st.failed, 1);
}

Test(noisevec, transport_messages_only_as_far_as_given)
{
	/* a handshake alone, and message 1 alone, still check what is there */
	json_t *v = our_vector();
	json_t *msgs = json_object_get(v, "messages");
	while (json_array_size(msgs) > 2)
		json_array_remove(msgs, json_array_size(msgs) - 1);
	json_t *w = json_deep_copy(v);
	char *t = wrap(v);
	cr_assert_eq(run(t).passed, 1);
	free(t);
	json_array_remove(json_object_get(w, "messages"), 1);
	json_object_set_new(w, "extra_field", json_string("ignored"));
	t = wrap(w);
	cr_assert_eq(run(t).passed, 1);
	free(t);
}

Test(noisevec, malformed_vectors_fail_with_a_reason)
{
	static const char *cases[] = {
		/* bad hex, odd length, wrong key length, missing key, wrong type */
		"{\"init_static\": \"zz\"}",
		"{\"init_static\": \"e61\"}",
		"{\"init_static\": \"e61ef9\"}",
		"{\"init_ephemeral\": null}",
		"{\"messages\": 7}",
		"{\"messages\": [17]}",
		"{\"messages\": [{\"payload\": \"00\"}]}",
		"{\"handshake_hash\": \"00\"}",
		"{\"fail\": \"yes\"}",
	};
	json_t *v0 = our_vector();
	for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
		json_t *v = json_deep_copy(v0);
		json_t *patch = json_loads(cases[k], 0, NULL);
		cr_assert_not_null(patch);
		json_object_update(v, patch);
		json_decref(patch);
		char *t = wrap(v);
		char *logbuf = NULL;
		size_t loglen = 0;
		FILE *log = open_memstream(&logbuf, &loglen);
		noisevec_stats st;
		cr_assert_eq(noisevec_run_text(t, strlen(t), log, &st), 0);
		fclose(log);
		cr_assert_eq(st.failed, 1, "case %s", cases[k]);
		cr_assert_eq(st.passed, 0);
		cr_assert(strstr(logbuf, "FAIL vector 0 (Noise_IK_25519_ChaChaPoly_SHA256)"),
		          "log: %s", logbuf);
		free(logbuf);
		free(t);
	}
	json_decref(v0);
}

Test(noisevec, other_protocols_and_junk_entries)
{
	noisevec_stats st = run("{\"vectors\": ["
		"{\"protocol_name\": \"Noise_IK_25519_ChaChaPoly_BLAKE2s\", \"fail\": true},"
		"{\"protocol_name\": \"Noise_IKpsk2_25519_ChaChaPoly_SHA256\", \"messages\": 3},"
		"{\"protocol_name\": \"Noise_IK_25519_ChaChaPoly_SHA256\", \"fallback\": true},"
		"{\"pattern\": \"XX\", \"dh\": \"25519\", \"cipher\": \"ChaChaPoly\", \"hash\": \"SHA256\"},"
		"42, {}]}");
	cr_assert_eq(st.skipped, 4);
	cr_assert_eq(st.failed, 2, "a number and an object without protocol name");
	cr_assert_eq(st.passed, 0);
}

Test(noisevec, not_a_vector_file)
{
	noisevec_stats st;
	const char *bad[] = { "", "{", "[1,", "{\"vectors\": 3}", "\"x\"", "{\"x\": []}" };
	for (size_t k = 0; k < sizeof bad / sizeof bad[0]; k++) {
		cr_assert_eq(noisevec_run_text(bad[k], strlen(bad[k]), NULL, &st), -EINVAL, "%s", bad[k]);
		cr_assert_eq(st.passed + st.failed, 0);
	}
	cr_assert_eq(noisevec_run_file("/nonexistent/vectors.json", NULL, &st), -ENOENT);
}

static struct prog ran;

/* The program on file: its exit status (its output in ran). */
static int run_prog(const char *file)
{
	char path[1024];
	cr_assert_eq(prog_path("tests/noisevec", path, sizeof path), 0, "%s not built", path);
	int rc = prog_run(&ran, path, (const char *const[]){ file, NULL }, NULL);
	cr_assert_geq(rc, 0, "noisevec killed");
	return rc;
}

Test(noisevec, program_exit_status)
{
	char path[1024];
	vec_path(path, sizeof path, "noise-ik-cacophony.json");
	cr_assert_eq(run_prog(path), 0);
	cr_assert_str_eq(ran.out, "1 passed, 0 failed\n");

	char tmpl[] = "/tmp/ptm-noisevec-XXXXXX";
	int fd = mkstemp(tmpl);
	cr_assert_geq(fd, 0);
	json_t *v = our_vector();
	flip_hex(json_array_get(json_object_get(v, "messages"), 2), "ciphertext", 5);
	char *t = wrap(v);
	cr_assert_eq(write(fd, t, strlen(t)), (ssize_t)strlen(t));
	close(fd);
	free(t);
	int rc = run_prog(tmpl);
	cr_assert_eq(rc, 1);
	cr_assert_str_eq(ran.out, "0 passed, 1 failed\n");

	/* nothing of our suite: non-zero */
	FILE *f = fopen(tmpl, "w");
	fputs("{\"vectors\": []}", f);
	fclose(f);
	cr_assert_eq(run_prog(tmpl), 1);
	cr_assert_str_eq(ran.out, "0 passed, 0 failed\n");

	f = fopen(tmpl, "w");
	fputs("{\"vectors\": [", f);
	fclose(f);
	cr_assert_eq(run_prog(tmpl), 2);
	unlink(tmpl);
}
