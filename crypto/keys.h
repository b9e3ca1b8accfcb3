/*
 * crypto/keys.h — X25519 key files in the WireGuard style.
 */
#ifndef PTM_CRYPTO_KEYS_H
#define PTM_CRYPTO_KEYS_H

#include <stddef.h>
#include <stdint.h>

/*
 * A key file is one line: the standard base64 (with padding, 44 characters)
 * of the 32-byte key, then a newline. NAME.key holds the private key and
 * must have mode 0600 or stricter; NAME.pub holds the public key.
 *
 * A private key file is read only if it is the file itself (opened with
 * O_NOFOLLOW: not through a symbolic link) and belongs to the user who
 * reads it (the effective uid), root included: a key file that another
 * user owns could have been planted by them, and they can read the key.
 * A public key file is not secret and is normally someone else's (the
 * pump's pump.pub, a remote's NAME.pub given to `pumpd pair`): it is read
 * through links and whoever owns it.
 *
 * The two kinds are never taken for each other: a private key is refused
 * from a file named *.pub, or from a file holding the public key of the
 * NAME.key beside it; a public key is refused from a file named *.key, or
 * from a file holding the private key of the NAME.pub beside it.
 *
 * Errors are negative errno values; functions that take `char *err` (may be
 * NULL, else KEYS_ERRLEN bytes) write a message naming the file (rendered
 * printable, util/esc.h), e.g.
 *   "pump.key: mode 0644 is too open; run chmod 600 pump.key"
 *   "remote.pub: that is a public key file; give the private key (remote.key)"
 *   "remote.key: that is a private key file (.key): give remote.pub"
 *   -ENOENT etc.  the file could not be opened/read (the errno of the call)
 *   -ELOOP        a private key file that is a symbolic link
 *   -EPERM        a private key file readable or writable by group/others,
 *                 or owned by another user
 *   -EINVAL       not a key: malformed base64, wrong length, not a regular
 *                 file, or too large; or the other kind of key file
 *   -EEXIST       keys_write_pair would overwrite an existing file
 */

#define KEYS_LEN    32
#define KEYS_B64LEN 45   /* 44 characters and a NUL */
#define KEYS_ERRLEN 256

/* A private key in sodium_malloc'd (guarded, locked, read-only) memory,
 * with its public key. Owned by whoever got it; free with keys_secret_free. */
typedef struct keys_secret keys_secret;

/* A fresh random key pair into caller buffers. Returns 0 or -EIO. */
int keys_generate(uint8_t priv[KEYS_LEN], uint8_t pub[KEYS_LEN]);

/* pub = public key of priv. Returns 0 or a negative error. */
int keys_public(uint8_t pub[KEYS_LEN], const uint8_t priv[KEYS_LEN]);

/* Write dir/NAME.key (mode 0600) and dir/NAME.pub (mode 0644) for priv.
 * Each file is written under a temporary name and linked into place, so a
 * reader never sees a partial file and an existing file is never replaced
 * (-EEXIST). name must be a plain file name (no '/'); a name ending in
 * .key or .pub names the pair without it ("remote.key": remote.key and
 * remote.pub). */
int keys_write_pair(const char *dir, const char *name,
                    const uint8_t priv[KEYS_LEN], char *err);

/* Load a private key file. Refuses a public key file (see above), a
 * symbolic link, a file another user owns, and a file whose mode lets group
 * or others read or write it, with a message that says how to fix it. On
 * success *out is a new keys_secret. */
int keys_load_private(const char *path, keys_secret **out, char *err);

/* A keys_secret holding a copy of priv (e.g. a freshly generated key). */
int keys_secret_from_bytes(const uint8_t priv[KEYS_LEN], keys_secret **out);

/* The private key (32 bytes, valid until keys_secret_free) and the public key. */
const uint8_t *keys_secret_priv(const keys_secret *k);
const uint8_t *keys_secret_pub(const keys_secret *k);

/* Zero and free; NULL is fine. */
void keys_secret_free(keys_secret *k);

/* Load a public key file (any mode, any owner); refuses a private key
 * file (see above). */
int keys_load_public(const char *path, uint8_t out[KEYS_LEN], char *err);

/* Parse base64 text: exactly 44 characters of canonical standard base64 of
 * 32 bytes, optionally surrounded by whitespace. Returns 0 or -EINVAL. */
int keys_parse_public(const char *b64, uint8_t out[KEYS_LEN]);

/* out = the 44-character base64 of pub, NUL-terminated. */
void keys_format_public(const uint8_t pub[KEYS_LEN], char out[KEYS_B64LEN]);

#endif
