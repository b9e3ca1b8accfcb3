/*
 * crypto/noise.h — Noise_IK_25519_ChaChaPoly_SHA256 (Noise revision 34).
 */
#ifndef PTM_CRYPTO_NOISE_H
#define PTM_CRYPTO_NOISE_H

#include <stddef.h>
#include <stdint.h>

/*
 *   <- s
 *   ...
 *   -> e, es, s, ss      message 1: initiator (the remote) to responder (pump)
 *   <- e, ee, se         message 2: responder to initiator
 *
 * then Split() into two transport cipher states. Only libsodium is used.
 *
 * Errors are negative errno values:
 *   -EINVAL    bad argument or call out of order (state unchanged)
 *   -EMSGSIZE  output buffer too small, or a payload too large to send
 *              (state unchanged; a received message over NOISE_MAX_MSG
 *              is -EBADMSG)
 *   -EBADMSG   message refused: wrong length, authentication failure, or a
 *              DH result of all zeros (low-order point). A handshake that
 *              refuses a message is aborted (wiped); call the init function
 *              again to start over. A transport cipher that refuses a
 *              message is unchanged (the nonce is not advanced).
 *   -EOVERFLOW the cipher's nonce reached 2^64-1: the session must end
 *   -EIO       libsodium could not initialise
 *
 * Memory: every struct here holds secrets and is owned by the caller (it may
 * live on the stack). Call noise_hs_wipe() / noise_cipher_wipe() when done;
 * the functions wipe their own temporaries on every path, and
 * noise_hs_split() wipes all handshake secrets, keeping only the hash.
 */

#define NOISE_PROTOCOL_NAME "Noise_IK_25519_ChaChaPoly_SHA256"
#define PTM_PROLOGUE        "ptm-pump/1"
#define PTM_PROLOGUE_LEN    10

#define NOISE_KEYLEN  32
#define NOISE_HASHLEN 32
#define NOISE_TAGLEN  16
#define NOISE_MAX_MSG 65535

/* Wire sizes of the two handshake messages for a payload of p bytes. */
#define NOISE_MSG1_LEN(p) (32 + 48 + (size_t)(p) + 16)
#define NOISE_MSG2_LEN(p) (32 + (size_t)(p) + 16)
/* Largest payloads that keep a message within NOISE_MAX_MSG. */
#define NOISE_MSG1_MAX_PAYLOAD (NOISE_MAX_MSG - 96)
#define NOISE_MSG2_MAX_PAYLOAD (NOISE_MAX_MSG - 48)
#define NOISE_MAX_PAYLOAD      (NOISE_MAX_MSG - NOISE_TAGLEN)

/* ---- cipher state ------------------------------------------------------- */

typedef struct noise_cipher {
	uint8_t key[NOISE_KEYLEN];
	uint64_t n;        /* next nonce; 2^64-1 is reserved and refused */
	int has_key;
} noise_cipher;

/* k = key, n = 0. */
void noise_cipher_init(noise_cipher *c, const uint8_t key[NOISE_KEYLEN]);

/* Set the nonce (Noise SetNonce; tests and out-of-order schemes only). */
void noise_cipher_set_nonce(noise_cipher *c, uint64_t n);

/* Encrypt len bytes with nonce n (then n++). out gets len + NOISE_TAGLEN
 * bytes; in == out is allowed. Returns the number of bytes written, or
 * -EMSGSIZE (len > NOISE_MAX_PAYLOAD), -EOVERFLOW (n == 2^64-1),
 * -EINVAL (no key: a keyless cipher never passes plaintext through). */
int noise_cipher_encrypt(noise_cipher *c, const uint8_t *ad, size_t adlen,
                         const uint8_t *in, size_t len, uint8_t *out);

/* Decrypt a len-byte ciphertext (NOISE_TAGLEN <= len <= NOISE_MAX_MSG) with
 * nonce n. out gets len - NOISE_TAGLEN bytes; in == out is allowed. Returns
 * the plaintext length, or -EBADMSG (authentication failed or len out of
 * range; n not advanced), -EOVERFLOW (n == 2^64-1), -EINVAL (no key). */
int noise_cipher_decrypt(noise_cipher *c, const uint8_t *ad, size_t adlen,
                         const uint8_t *in, size_t len, uint8_t *out);

/* Zero the key and nonce. */
void noise_cipher_wipe(noise_cipher *c);

/* ---- handshake state ---------------------------------------------------- */

/* Sized so callers may keep it on the stack; the fields are private. */
typedef struct noise_hs {
	noise_cipher cs;
	uint8_t ck[NOISE_HASHLEN];
	uint8_t h[NOISE_HASHLEN];
	const uint8_t *s_priv;  /* the caller's static private key, referenced,
	                           never copied (keep it in guarded memory) */
	uint8_t s_pub[32];
	uint8_t e_priv[32], e_pub[32];
	uint8_t rs[32], re[32];
	uint8_t ss[32];    /* a cached DH(s, rs) (noise_hs_use_ss) */
	int initiator;
	int step;          /* private: see noise.c */
	int e_fixed;
	int ss_set;
} noise_hs;

/* Initiator (the remote): our static private key, the responder's (pump's)
 * static public key, and the prologue (PTM_PROLOGUE in the product). The
 * public key and prologue are copied; the private key is only referenced
 * (no plain copy of it is made): it must stay valid while hs is used.
 * Returns 0 or a negative error. */
int noise_hs_init_initiator(noise_hs *hs, const uint8_t s_priv[32],
                            const uint8_t rs_pub[32],
                            const uint8_t *prologue, size_t prologue_len);

/* Responder (the pump): our static private key and the prologue. */
int noise_hs_init_responder(noise_hs *hs, const uint8_t s_priv[32],
                            const uint8_t *prologue, size_t prologue_len);

/* Use this ephemeral private key instead of a random one (test vectors
 * only). Must be called after init and before this side writes its
 * handshake message. Returns 0 or -EINVAL. */
int noise_hs_set_ephemeral(noise_hs *hs, const uint8_t e_priv[32]);

/* Initiator: write message 1 carrying payload (plen <=
 * NOISE_MSG1_MAX_PAYLOAD) into out (cap bytes, NOISE_MSG1_LEN(plen) needed).
 * *outlen gets the message length. Returns 0 or a negative error. */
int noise_hs_write_msg1(noise_hs *hs, const uint8_t *payload, size_t plen,
                        uint8_t *out, size_t cap, size_t *outlen);

/* Responder: read message 1 (len bytes). The payload (len - 96 bytes) goes
 * to payload_out (cap bytes), *plen gets its length. On success the
 * initiator's static key is available from noise_hs_remote_static(): the
 * caller must check it is a known key before answering. On -EBADMSG the
 * handshake is aborted and nothing is written to payload_out. */
int noise_hs_read_msg1(noise_hs *hs, const uint8_t *in, size_t len,
                       uint8_t *payload_out, size_t cap, size_t *plen);

/* Responder: message 1 in two steps, so that an unknown initiator can be
 * refused after one DH instead of two (noise_hs_read_msg1 is the two in a
 * row).  _static processes e, es, s and gives the initiator's static key in
 * rs: it is only known to come from someone who knows our public key, not
 * yet from the holder of rs's private key.  _finish processes ss and the
 * payload (same buffer rules as noise_hs_read_msg1), which proves that.
 * Each refusal (-EBADMSG) aborts the handshake, as above. */
int noise_hs_read_msg1_static(noise_hs *hs, const uint8_t *in, size_t len,
                              uint8_t rs[32]);
int noise_hs_read_msg1_finish(noise_hs *hs, const uint8_t *in, size_t len,
                              uint8_t *payload_out, size_t cap, size_t *plen);

/* Responder, between _static and _finish, or initiator, between init and
 * write_msg1: use ss = DH(our static, rs), computed earlier with
 * noise_static_dh for this rs, instead of computing it again (it is the
 * same for every handshake of a pair of static keys: a cache per paired
 * remote, or per pump key on the initiator's side as WireGuard's
 * precomputed static-static, saves one of each side's four DHs).  The
 * bytes on the wire do not change; a wrong ss makes the handshake fail.
 * An initiator state made by init and this call may be copied and used
 * once per copy (each write_msg1 draws its own ephemeral), which also
 * saves init's public-key and hash work; wipe the original when done.
 * Returns 0 or -EINVAL (out of order). */
int noise_hs_use_ss(noise_hs *hs, const uint8_t ss[32]);

/* ss for noise_hs_use_ss: out = DH(s_priv, rs).  0, or -EBADMSG (a
 * low-order rs: all-zero result, out zeroed) or -EIO.  The caller keeps it
 * as a secret (zeroed when the remote is unpaired and on exit). */
int noise_static_dh(uint8_t out[32], const uint8_t s_priv[32],
                    const uint8_t rs[32]);

/* The peer's static public key: for the initiator, the key given at init;
 * for the responder, the key read from message 1. Returns 0, or -EINVAL
 * when it is not known yet (or after split). */
int noise_hs_remote_static(const noise_hs *hs, uint8_t out[32]);

/* Responder: write message 2 (after read_msg1). Needs NOISE_MSG2_LEN(plen)
 * bytes. Completes the handshake. */
int noise_hs_write_msg2(noise_hs *hs, const uint8_t *payload, size_t plen,
                        uint8_t *out, size_t cap, size_t *outlen);

/* Initiator: read message 2 (after write_msg1). Completes the handshake.
 * Same rules as noise_hs_read_msg1. */
int noise_hs_read_msg2(noise_hs *hs, const uint8_t *in, size_t len,
                       uint8_t *payload_out, size_t cap, size_t *plen);

/* 1 when both handshake messages are done (split may be called). */
int noise_hs_complete(const noise_hs *hs);

/* After the handshake: the two transport ciphers (initiator sends with c1,
 * receives with c2; the responder the other way round). Wipes every
 * handshake secret; only the hash stays. Returns 0 or -EINVAL. */
int noise_hs_split(noise_hs *hs, noise_cipher *send, noise_cipher *recv);

/* The handshake hash h (channel binding), once the handshake is complete.
 * Returns 0 or -EINVAL. */
int noise_hs_hash(const noise_hs *hs, uint8_t out[NOISE_HASHLEN]);

/* Zero everything. The state must be initialised again before reuse. */
void noise_hs_wipe(noise_hs *hs);

/* X25519 operations (DH) done by handshakes in this process so far (for
 * tests and benchmarks: what a refusal cost). */
unsigned long noise_dh_count(void);

#endif
