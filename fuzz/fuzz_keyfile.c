/* fuzz/fuzz_keyfile.c — key files (crypto/keys.h) on arbitrary bytes.
 *
 * The text goes to keys_parse_public (as a C string), and into a temporary
 * file of mode 0600 read by keys_load_public and keys_load_private (there
 * is no buffer parser for private keys, so the file is the way in).
 * Checked:
 *   - an accepted public key prints (keys_format_public) as exactly the
 *     input without its surrounding whitespace: one text per key;
 *   - the three readers agree on the same text (when it holds no NUL and
 *     fits a key file's 128 bytes): all accept the same 32 bytes, or all
 *     refuse with -EINVAL and a message naming the file;
 *   - a loaded private key's public half is X25519 of its private half.
 * The temporary file has a name of its own (private keys are not read
 * through a link such as /proc/self/fd/N) and is removed at exit. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define KEYFILE_MAX 128   /* crypto/keys.c: larger files are refused */

static char path[64];
static int fd = -1;

static void cleanup(void)
{
	unlink(path);
}

/* mkstemp's name has no .key or .pub: either kind may be read from it. */
static int setup(void)
{
	if (fd >= 0)
		return 0;
	snprintf(path, sizeof path, "/tmp/ptm-fuzzkey.XXXXXX");
	fd = mkstemp(path);              /* mode 0600 */
	if (fd < 0)
		return -1;
	atexit(cleanup);
	return 0;
}

static int is_ws(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static void check_err(const char *err)
{
	if (strncmp(err, path, strlen(path)) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static char text[4096];
	static char err[KEYS_ERRLEN];
	uint8_t a[KEYS_LEN], b[KEYS_LEN], pub[KEYS_LEN];
	char b64[KEYS_B64LEN];

	if (size >= sizeof text || setup() < 0)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	int has_nul = memchr(data, 0, size) != NULL;

	/* public key text */
	int ra = keys_parse_public(text, a);
	if (ra != 0 && ra != -EINVAL)
		abort();
	if (ra == 0) {
		size_t s = 0, e = strlen(text);
		while (s < e && is_ws(text[s]))
			s++;
		while (e > s && is_ws(text[e - 1]))
			e--;
		keys_format_public(a, b64);
		if (e - s != KEYS_B64LEN - 1 || memcmp(text + s, b64, e - s) != 0)
			abort();
	}

	/* the same bytes as a key file */
	if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
		return 0;
	err[0] = '\0';
	int rb = keys_load_public(path, b, err);
	if (rb < 0)
		check_err(err);
	keys_secret *k = NULL;
	err[0] = '\0';
	int rc = keys_load_private(path, &k, err);
	if (rc < 0) {
		check_err(err);
		if (k)
			abort();
	} else {
		if (!k || keys_public(pub, keys_secret_priv(k)) != 0 ||
		    memcmp(pub, keys_secret_pub(k), KEYS_LEN) != 0)
			abort();
		if (rb != 0 || memcmp(b, keys_secret_priv(k), KEYS_LEN) != 0)
			abort();
	}
	if ((rb == 0) != (rc == 0))
		abort();
	if (!has_nul && size < KEYFILE_MAX) {
		if (ra != rb || (ra == 0 && memcmp(a, b, KEYS_LEN) != 0))
			abort();
	} else if (size >= KEYFILE_MAX && rb == 0) {
		abort();                     /* too large for a key file */
	}
	keys_secret_free(k);
	return 0;
}
