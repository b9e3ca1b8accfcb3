/*
 * crypto/tai64n.h — TAI64N timestamps (12 bytes), as WireGuard sends in its
 * handshake initiation: 8 bytes big-endian 2^62 + 10 + unix seconds, then
 * 4 bytes big-endian nanoseconds. Byte order equals time order, so
 * timestamps compare with tai64n_cmp (memcmp).
 *
 * Unlike WireGuard we keep full nanosecond precision: ptmctl opens one
 * session per command, and two commands from one remote within the same
 * rounded interval would otherwise look like a replay.
 */
#ifndef PTM_CRYPTO_TAI64N_H
#define PTM_CRYPTO_TAI64N_H

#include <stdint.h>

#define TAI64N_LEN 12

/* The current wall-clock time (CLOCK_REALTIME). Returns 0 or -errno. */
int tai64n_now(uint8_t out[TAI64N_LEN]);

/* The timestamp of unix time sec + nsec (0 <= nsec < 10^9).
 * Returns 0, or -EINVAL for nsec out of range. */
int tai64n_from_unix(uint8_t out[TAI64N_LEN], int64_t sec, uint32_t nsec);

/* Decode a received timestamp. Returns 0, or -EINVAL when the nanoseconds
 * are >= 10^9 or the label has its top bit set (not a TAI64 time). */
int tai64n_to_unix(const uint8_t in[TAI64N_LEN], int64_t *sec, uint32_t *nsec);

/* <0, 0, >0 as a is older than, equal to, newer than b. */
int tai64n_cmp(const uint8_t a[TAI64N_LEN], const uint8_t b[TAI64N_LEN]);

#endif
