/*
 * bench/bench_handshake.c — handshakes per second, beside the cost of the
 * X25519 operations a handshake needs, timed in the same run.
 *
 * Which X25519 operations: a Noise_IK handshake as crypto/noise.c runs it
 * does 12 scalar multiplications over both sides —
 *   initiator: its static public key from the private key (base point),
 *              ephemeral key generation (base point), DH es, ss, ee, se
 *   responder: its static public key (base point), ephemeral (base point),
 *              DH es, ss, ee, se
 * i.e. 8 DH (crypto_scalarmult) + 4 on the base point
 * (crypto_scalarmult_base).  The anchor counts 12 crypto_scalarmult, as
 * the design says, and also prints the exact mix, since libsodium's base
 * point multiplication is faster.
 *
 *   handshake_pumpd  a remote connects to pumpd's unix socket, runs the
 *                    handshake and closes; pumpd looks the key up in SQLite
 *                    and stores the message-1 timestamp durably before it
 *                    answers.  pumpd rate-limits handshakes (a burst of 200
 *                    per remote and 1000 overall, then 100/s and 500/s):
 *                    the run uses 4 remotes x 150 handshakes, within the
 *                    bursts, so it measures the work and not the limiter.
 *   handshake_noise  both sides in this process, no I/O: init, message 1,
 *                    message 2, split.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bench/util.h"
#include "crypto/noise.h"
#include "crypto/tai64n.h"
#include "tests/e2e.h"

#define NAME        "bench_handshake"
#define PER_REMOTE  150
#define NREMOTES    4
#define NOISE_N     1000
#define X_N         1000   /* handshakes' worth of X25519 operations */
#define RUNS        2      /* best of */

static const char *const remotes[NREMOTES] = { "patient", "patient2", "clinician", "tester" };

/* ns per handshake against pumpd, or -1 */
static double pumpd_handshakes(e2e_pump *p, int *count)
{
	int64_t t0 = bu_now_ns();
	*count = 0;
	for (int i = 0; i < PER_REMOTE; i++)
		for (int r = 0; r < NREMOTES; r++) {
			e2e_session *s = e2e_session_open(p, remotes[r]);
			if (!s) {
				fprintf(stderr, "%s: handshake %d as %s refused (see %s)\n",
				        NAME, *count + 1, remotes[r], e2e_log_path(p));
				return -1;
			}
			e2e_session_close(s);
			(*count)++;
		}
	return (double)(bu_now_ns() - t0) / *count;
}

/* ns per in-process handshake (both sides), or -1 */
static double noise_handshakes(void)
{
	uint8_t ipriv[32], ipub[32], rpriv[32], rpub[32], tai[12];
	uint8_t m1[256], m2[256], pl[64];
	size_t n1, n2, pn;
	noise_hs ih, rh;
	noise_cipher a, b, c, d;
	int bad = 0;
	crypto_box_keypair(ipub, ipriv);
	crypto_box_keypair(rpub, rpriv);
	tai64n_now(tai);
	int64_t t0 = bu_now_ns();
	for (int i = 0; i < NOISE_N && !bad; i++) {
		bad = noise_hs_init_initiator(&ih, ipriv, rpub, (const uint8_t *)PTM_PROLOGUE,
		                              PTM_PROLOGUE_LEN) < 0 ||
		      noise_hs_init_responder(&rh, rpriv, (const uint8_t *)PTM_PROLOGUE,
		                              PTM_PROLOGUE_LEN) < 0 ||
		      noise_hs_write_msg1(&ih, tai, 12, m1, sizeof m1, &n1) < 0 ||
		      noise_hs_read_msg1(&rh, m1, n1, pl, sizeof pl, &pn) < 0 ||
		      noise_hs_write_msg2(&rh, NULL, 0, m2, sizeof m2, &n2) < 0 ||
		      noise_hs_read_msg2(&ih, m2, n2, pl, sizeof pl, &pn) < 0 ||
		      noise_hs_split(&ih, &a, &b) < 0 || noise_hs_split(&rh, &c, &d) < 0;
		noise_hs_wipe(&ih);
		noise_hs_wipe(&rh);
	}
	int64_t dt = bu_now_ns() - t0;
	sodium_memzero(ipriv, sizeof ipriv);
	sodium_memzero(rpriv, sizeof rpriv);
	noise_cipher_wipe(&a);
	noise_cipher_wipe(&b);
	noise_cipher_wipe(&c);
	noise_cipher_wipe(&d);
	if (bad)
		return bu_fail(NAME, "in-process handshake failed");
	return (double)dt / NOISE_N;
}

/* ns for (dh, base) scalar multiplications per handshake, averaged over
 * X_N handshakes' worth; each result feeds the next scalar so nothing can
 * be skipped */
static double x25519_cost(int dh, int base)
{
	uint8_t k[32], pt[32], out[32];
	randombytes_buf(k, sizeof k);
	crypto_scalarmult_base(pt, k);
	int64_t t0 = bu_now_ns();
	for (int i = 0; i < X_N; i++) {
		for (int j = 0; j < dh; j++) {
			if (crypto_scalarmult(out, k, pt) != 0)
				return -1;
			k[0] ^= out[0];
		}
		for (int j = 0; j < base; j++) {
			crypto_scalarmult_base(out, k);
			k[1] ^= out[1];
		}
	}
	int64_t dt = bu_now_ns() - t0;
	sodium_memzero(k, sizeof k);
	return (double)dt / X_N;
}

static double best(double a, double b)
{
	return a < 0 ? b : (b < 0 ? a : (a < b ? a : b));
}

int main(void)
{
	bu_guard(NAME, 60);
	if (sodium_init() < 0)
		return bu_fail(NAME, "libsodium did not initialise"), 1;
	e2e_pump *p = bu_pump_start(NULL, 0);
	if (!p)
		return bu_fail(NAME, "pumpd did not start"), 1;
	int count = 0;
	double hs = pumpd_handshakes(p, &count);
	bu_pump_free(p);
	if (hs < 0)
		return 1;
	double nz = -1, x12 = -1, xmix = -1;
	for (int i = 0; i < RUNS; i++) {
		nz = best(nz, noise_handshakes());
		x12 = best(x12, x25519_cost(12, 0));
		xmix = best(xmix, x25519_cost(8, 4));
	}
	if (nz < 0 || x12 < 0 || xmix < 0)
		return bu_fail(NAME, "X25519 failed"), 1;
	printf("handshake_pumpd: %.0f handshakes/s, %.0f us each (%d over %d "
	       "remotes: connect, Noise IK, key lookup, timestamp stored durably)   "
	       "(anchor: the X25519 work of one handshake, 12 crypto_scalarmult "
	       "= %.0f us, at most %.0f/s on one core; same run)\n",
	       1e9 / hs, hs / 1e3, count, NREMOTES, x12 / 1e3, 1e9 / x12);
	printf("handshake_noise: %.0f handshakes/s, %.0f us each (both sides in "
	       "one process, no I/O)   (anchor: the exact X25519 mix, 8 "
	       "crypto_scalarmult + 4 crypto_scalarmult_base = %.0f us; 12 "
	       "crypto_scalarmult = %.0f us; same run)\n",
	       1e9 / nz, nz / 1e3, xmix / 1e3, x12 / 1e3);
	return 0;
}
