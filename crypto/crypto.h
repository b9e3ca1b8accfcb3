/*
 * crypto/crypto.h — one-time set-up of the crypto library (libsodium).
 *
 * Every public function in crypto/ that needs libsodium calls crypto_init()
 * itself, so callers only need it to fail early (e.g. at program start).
 */
#ifndef PTM_CRYPTO_CRYPTO_H
#define PTM_CRYPTO_CRYPTO_H

/* Initialise libsodium. Idempotent and thread-safe.
 * Returns 0, or -EIO when the library cannot initialise (no entropy). */
int crypto_init(void);

#endif
