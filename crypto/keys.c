/*
 * crypto/keys.c — key files (see keys.h).
 *
 * Parsing is separate from I/O: keys_parse_public() takes text, the file
 * functions only read or write bytes. Every buffer that held private key
 * material (file text, decoded bytes) is zeroed before return.
 */
#include "crypto/keys.h"

#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <sodium.h>

#include "crypto/crypto.h"
#include "crypto/x25519.h"
#include "util/esc.h"

#define KEYFILE_MAX 128     /* a key file is 45 bytes; allow whitespace */
#define B64LEN      44

struct keys_secret {
	uint8_t priv[KEYS_LEN];
	uint8_t pub[KEYS_LEN];
};

/* The message into err (KEYS_ERRLEN bytes, may be NULL), made printable:
 * it names files, and a file name may hold any byte but '/' and NUL. */
__attribute__((format(printf, 3, 4)))
static int fail(char *err, int rc, const char *fmt, ...)
{
	if (err) {
		char raw[KEYS_ERRLEN];
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(raw, sizeof raw, fmt, ap);
		va_end(ap);
		esc_str(err, KEYS_ERRLEN, raw);
	}
	return rc;
}

int keys_generate(uint8_t priv[KEYS_LEN], uint8_t pub[KEYS_LEN])
{
	return x25519_generate(priv, pub);
}

int keys_public(uint8_t pub[KEYS_LEN], const uint8_t priv[KEYS_LEN])
{
	return x25519_public(pub, priv);
}

static int is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

/* Text to 32 bytes; out is untouched on failure. */
static int is_b64(char c)
{
	return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
	       (c >= '0' && c <= '9') || c == '+' || c == '/' || c == '=';
}

static int parse_key(const char *text, size_t len, uint8_t out[KEYS_LEN])
{
	size_t a = 0, b = len;
	while (a < b && is_space(text[a]))
		a++;
	while (b > a && is_space(text[b - 1]))
		b--;
	if (b - a != B64LEN)
		return -EINVAL;
	/* libsodium 1.0.18 decodes bytes >= 0x80 as digits: accept only the
	 * base64 alphabet, so a key has one spelling. */
	for (size_t i = a; i < b; i++)
		if (!is_b64(text[i]))
			return -EINVAL;
	if (crypto_init() < 0)
		return -EIO;
	uint8_t tmp[KEYS_LEN + 1];
	size_t binlen = 0;
	const char *end = NULL;
	int rc = sodium_base642bin(tmp, sizeof tmp, text + a, B64LEN, NULL,
	                           &binlen, &end, sodium_base64_VARIANT_ORIGINAL);
	if (rc != 0 || binlen != KEYS_LEN || end != text + b) {
		sodium_memzero(tmp, sizeof tmp);
		return -EINVAL;
	}
	memcpy(out, tmp, KEYS_LEN);
	sodium_memzero(tmp, sizeof tmp);
	return 0;
}

int keys_parse_public(const char *b64, uint8_t out[KEYS_LEN])
{
	if (!b64 || !out)
		return -EINVAL;
	return parse_key(b64, strlen(b64), out);
}

void keys_format_public(const uint8_t pub[KEYS_LEN], char out[KEYS_B64LEN])
{
	sodium_bin2base64(out, KEYS_B64LEN, pub, KEYS_LEN,
	                  sodium_base64_VARIANT_ORIGINAL);
}

#define KF_PRIVATE 1   /* read_keyfile: the checks of a private key file */

/* Read a whole small key file into buf (KEYFILE_MAX bytes) and its stat
 * into *st.  Opened without blocking (a FIFO is refused as not a regular
 * file, never waited on).  KF_PRIVATE: refuse a symbolic link (O_NOFOLLOW)
 * and a file another user owns, root included (see keys.h); the mode is the
 * caller's to check, so that a public key given by mistake is named as
 * such first. */
static int read_keyfile(const char *path, char *buf, size_t *len,
                        struct stat *st, int flags, char *err)
{
	int oflags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK;
	if (flags & KF_PRIVATE)
		oflags |= O_NOFOLLOW;
	int fd = open(path, oflags);
	if (fd < 0) {
		int e = errno;
		if (e == ELOOP && (flags & KF_PRIVATE))
			return fail(err, -ELOOP, "%s: a symbolic link; a private key is "
			            "read only from the file itself (give the path it "
			            "points to)", path);
		return fail(err, -e, "%s: %s", path, strerror(e));
	}
	if (fstat(fd, st) != 0) {
		int e = errno;
		close(fd);
		return fail(err, -e, "%s: %s", path, strerror(e));
	}
	if (!S_ISREG(st->st_mode)) {
		close(fd);
		return fail(err, -EINVAL, "%s: not a regular file", path);
	}
	if ((flags & KF_PRIVATE) && st->st_uid != geteuid()) {
		close(fd);
		return fail(err, -EPERM, "%s: owned by uid %lu, not by you (uid %lu); "
		            "a private key must belong to the user who uses it",
		            path, (unsigned long)st->st_uid, (unsigned long)geteuid());
	}
	size_t n = 0;
	for (;;) {
		ssize_t r = read(fd, buf + n, KEYFILE_MAX - n);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0) {
			int e = errno;
			close(fd);
			sodium_memzero(buf, KEYFILE_MAX);
			return fail(err, -e, "%s: %s", path, strerror(e));
		}
		if (r == 0)
			break;
		n += (size_t)r;
		if (n == KEYFILE_MAX) {
			close(fd);
			sodium_memzero(buf, KEYFILE_MAX);
			return fail(err, -EINVAL, "%s: too large for a key file "
			            "(one line of base64 expected)", path);
		}
	}
	close(fd);
	*len = n;
	return 0;
}

/* ---- telling a public key file from a private one ------------------------ */

/* 1 if the last component of path is STEM + sfx with a non-empty STEM. */
static int name_ends(const char *path, const char *sfx)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	size_t n = strlen(base), k = strlen(sfx);
	return n > k && strcmp(base + n - k, sfx) == 0;
}

/* out = path with the extension of its last component (".pub", ".txt";
 * none is fine) replaced by ext: NAME.key beside NAME.pub.  0, or -1 when
 * it does not fit or names path itself. */
static int sibling(const char *path, const char *ext, char *out, size_t cap)
{
	const char *base = strrchr(path, '/');
	base = base ? base + 1 : path;
	const char *dot = strrchr(base, '.');
	size_t stem = dot && dot > base ? (size_t)(dot - path) : strlen(path);
	if (stem + strlen(ext) >= cap)
		return -1;
	memcpy(out, path, stem);
	strcpy(out + stem, ext);
	return strcmp(out, path) == 0 ? -1 : 0;
}

/* The key in the file at path, with no checks but its format; 0 or < 0.
 * (For a sibling: its errors are not the caller's.) */
static int peek_key(const char *path, uint8_t out[KEYS_LEN])
{
	char buf[KEYFILE_MAX];
	size_t n = 0;
	struct stat st;
	int rc = read_keyfile(path, buf, &n, &st, 0, NULL);
	if (rc == 0)
		rc = parse_key(buf, n, out);
	sodium_memzero(buf, sizeof buf);
	return rc;
}

/* 1 if key (read from path as a private key) is the public key of the
 * sibling private key file NAME.key: then path is a public key file. */
static int is_public_of_sibling(const char *path, const uint8_t key[KEYS_LEN],
                                char *sib, size_t cap)
{
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	int same = 0;
	if (sibling(path, ".key", sib, cap) < 0 || peek_key(sib, priv) < 0)
		return 0;
	if (keys_public(pub, priv) == 0)
		same = sodium_memcmp(pub, key, KEYS_LEN) == 0;
	sodium_memzero(priv, sizeof priv);
	return same;
}

/* 1 if key (read from path as a public key) is the private key whose
 * public key the sibling NAME.pub holds: then path is a private key file. */
static int is_private_of_sibling(const char *path, const uint8_t key[KEYS_LEN],
                                 char *sib, size_t cap)
{
	uint8_t sibpub[KEYS_LEN], pub[KEYS_LEN];
	if (sibling(path, ".pub", sib, cap) < 0 || peek_key(sib, sibpub) < 0)
		return 0;
	if (keys_public(pub, key) != 0)
		return 0;
	return sodium_memcmp(pub, sibpub, KEYS_LEN) == 0;
}

/* ---- loading ---------------------------------------------------------------- */

/* 1 when path names the other kind of key file (it ends with ext): sib
 * then names the file wanted (its sibling ending with want, else
 * "NAME" + want); else 0. */
static int other_kind(const char *path, const char *ext, const char *want,
                      char *sib, size_t n)
{
	if (!name_ends(path, ext))
		return 0;
	if (sibling(path, want, sib, n) < 0)
		snprintf(sib, n, "NAME%s", want);
	return 1;
}

int keys_load_public(const char *path, uint8_t out[KEYS_LEN], char *err)
{
	char buf[KEYFILE_MAX], sib[4096];
	uint8_t key[KEYS_LEN];
	size_t n = 0;
	struct stat st;

	if (!path || !out)
		return fail(err, -EINVAL, "no key file given");
	if (other_kind(path, ".key", ".pub", sib, sizeof sib))
		return fail(err, -EINVAL, "%s: that is a private key file (.key): "
		            "give %s", path, sib);
	int rc = read_keyfile(path, buf, &n, &st, 0, err);
	if (rc == 0) {
		rc = parse_key(buf, n, key);
		if (rc < 0)
			fail(err, rc, "%s: not a key (expected one line: the base64 "
			     "of 32 bytes, 44 characters)", path);
	}
	sodium_memzero(buf, sizeof buf);
	if (rc == 0 && is_private_of_sibling(path, key, sib, sizeof sib))
		rc = fail(err, -EINVAL, "%s: that is a private key file (%s holds "
		          "its public key): give %s", path, sib, sib);
	if (rc == 0)
		memcpy(out, key, KEYS_LEN);
	sodium_memzero(key, sizeof key);
	return rc;
}

int keys_secret_from_bytes(const uint8_t priv[KEYS_LEN], keys_secret **out)
{
	if (!priv || !out)
		return -EINVAL;
	if (crypto_init() < 0)
		return -EIO;
	keys_secret *k = sodium_malloc(sizeof *k);
	if (!k)
		return -ENOMEM;
	memcpy(k->priv, priv, KEYS_LEN);
	if (x25519_public(k->pub, k->priv) < 0) {
		sodium_free(k);
		return -EINVAL;
	}
	sodium_mprotect_readonly(k);
	*out = k;
	return 0;
}

int keys_load_private(const char *path, keys_secret **out, char *err)
{
	char buf[KEYFILE_MAX], sib[4096];
	uint8_t priv[KEYS_LEN];
	size_t n = 0;
	struct stat st;

	if (!path || !out)
		return fail(err, -EINVAL, "no key file given");
	if (other_kind(path, ".pub", ".key", sib, sizeof sib))
		return fail(err, -EINVAL, "%s: that is a public key file; give the "
		            "private key (%s)", path, sib);
	int rc = read_keyfile(path, buf, &n, &st, KF_PRIVATE, err);
	if (rc < 0)
		return rc;
	int parsed = parse_key(buf, n, priv);
	sodium_memzero(buf, sizeof buf);
	/* what the file is comes before how it is kept: a public key given as
	 * the private one is named, not sent to chmod */
	if (parsed == 0 && is_public_of_sibling(path, priv, sib, sizeof sib))
		rc = fail(err, -EINVAL, "%s: that is a public key file; give the "
		          "private key (%s)", path, sib);
	else if (st.st_mode & 077)
		rc = fail(err, -EPERM, "%s: mode %04o is too open; run chmod 600 %s",
		          path, (unsigned)(st.st_mode & 07777), path);
	else if (parsed < 0)
		rc = fail(err, parsed, "%s: not a key (expected one line: the base64 "
		          "of 32 bytes, 44 characters)", path);
	else {
		rc = keys_secret_from_bytes(priv, out);
		if (rc < 0)
			fail(err, rc, "%s: %s", path, strerror(-rc));
	}
	sodium_memzero(priv, sizeof priv);
	return rc;
}

const uint8_t *keys_secret_priv(const keys_secret *k)
{
	return k->priv;
}

const uint8_t *keys_secret_pub(const keys_secret *k)
{
	return k->pub;
}

void keys_secret_free(keys_secret *k)
{
	if (k)
		sodium_free(k);   /* makes it writable, zeroes, unmaps */
}

/* ---- writing ------------------------------------------------------------ */

/* Write text to a temporary file in dir, then link it as final (never
 * replacing an existing file). */
static int write_file(const char *dir, const char *final, const char *text,
                      size_t len, mode_t mode, char *err)
{
	char tmp[4096];
	if (snprintf(tmp, sizeof tmp, "%s/.keytmp.XXXXXX", dir) >= (int)sizeof tmp)
		return fail(err, -ENAMETOOLONG, "%s: path too long", dir);
	int fd = mkstemp(tmp);   /* mode 0600 */
	if (fd < 0) {
		int e = errno;
		return fail(err, -e, "%s: %s", dir, strerror(e));
	}
	int rc = 0;
	size_t off = 0;
	while (off < len) {
		ssize_t w = write(fd, text + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w < 0) {
			rc = -errno;
			break;
		}
		off += (size_t)w;
	}
	if (rc == 0 && fchmod(fd, mode) != 0)
		rc = -errno;
	if (rc == 0 && fsync(fd) != 0)
		rc = -errno;
	if (close(fd) != 0 && rc == 0)
		rc = -errno;
	if (rc == 0 && link(tmp, final) != 0)
		rc = -errno;
	unlink(tmp);
	if (rc == -EEXIST)
		return fail(err, rc, "%s: already exists; refusing to overwrite a key",
		            final);
	if (rc < 0)
		return fail(err, rc, "%s: %s", final, strerror(-rc));
	return 0;
}

int keys_write_pair(const char *dir, const char *name,
                    const uint8_t priv[KEYS_LEN], char *err)
{
	if (!dir || !name || !priv)
		return fail(err, -EINVAL, "keys_write_pair: missing argument");
	/* "remote.key" (or "remote.pub") names the pair remote.key, remote.pub */
	size_t nl = strlen(name);
	if (nl > 4 && (strcmp(name + nl - 4, ".key") == 0 ||
	               strcmp(name + nl - 4, ".pub") == 0))
		nl -= 4;
	if (nl == 0 || memchr(name, '/', nl) || (nl == 1 && name[0] == '.') ||
	    (nl == 2 && name[0] == '.' && name[1] == '.'))
		return fail(err, -EINVAL, "%s: not a plain key name", name);
	char keypath[4096], pubpath[4096];
	int il = (int)(nl > 1024 ? 1024 : nl);
	if (nl > 1024 ||
	    snprintf(keypath, sizeof keypath, "%s/%.*s.key", dir, il, name) >= (int)sizeof keypath ||
	    snprintf(pubpath, sizeof pubpath, "%s/%.*s.pub", dir, il, name) >= (int)sizeof pubpath)
		return fail(err, -ENAMETOOLONG, "%s/%s: path too long", dir, name);
	struct stat st;
	if (lstat(keypath, &st) == 0)
		return fail(err, -EEXIST, "%s: already exists; refusing to overwrite a key", keypath);
	if (lstat(pubpath, &st) == 0)
		return fail(err, -EEXIST, "%s: already exists; refusing to overwrite a key", pubpath);

	uint8_t pub[KEYS_LEN];
	int rc = keys_public(pub, priv);
	if (rc < 0)
		return fail(err, rc, "%s: cannot compute the public key", name);

	char line[KEYS_B64LEN + 1];
	keys_format_public(priv, line);          /* base64 of the private key */
	line[B64LEN] = '\n';
	rc = write_file(dir, keypath, line, B64LEN + 1, 0600, err);
	sodium_memzero(line, sizeof line);
	if (rc < 0)
		return rc;

	keys_format_public(pub, line);
	line[B64LEN] = '\n';
	rc = write_file(dir, pubpath, line, B64LEN + 1, 0644, err);
	if (rc < 0) {
		unlink(keypath);   /* never leave half a pair */
		return rc;
	}
	return 0;
}
