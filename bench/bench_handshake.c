/*
 * bench/bench_handshake.c — handshakes per second through pumpd, beside the
 * X25519 bound measured in the same run.
 *
 * The bound: a Noise IK handshake costs the responder (pumpd) four X25519
 * Diffie-Hellman operations — es, ss, ee, se (crypto_scalarmult) — and the
 * generation of its ephemeral key (one crypto_scalarmult_base).  That is
 * the key work of a handshake it accepts, on its one thread; so the bound
 * is one core doing that mix back to back: 1 s / (4 x DH + 1 x base), both
 * timed here.  (pumpd does less: ss is cached per remote; the bound stays
 * the plain X25519 mix.)  The rest of a handshake (SHA-256,
 * ChaCha20-Poly1305, the key lookup, the timestamp's commit, the socket)
 * is what pumpd adds.  (The remote does nearly the same mix on its side — e, es, then ee, se, with ss = DH(its
 * key, the pump's key) cached per key as pumpd caches it per remote — on
 * the other core: 3 DH + 1 keygen.)
 *
 *   handshake_rps            64 paired patients, 16 handshakes in flight
 *                            (connect, message 1 with TAI64N now, message 2,
 *                            close), the keys in turn: the first BURST
 *                            handshakes on a freshly started pumpd
 *   handshake_sustained_rps  the SUSTAIN_MS after them, the same way: what
 *                            pumpd's handshake limits leave (none
 *                            overall; per remote 200 at once, then 100 a
 *                            second: 64 remotes stay under it);
 *                            handshakes the pump closed count as refused
 *
 *   handshake_cpu_us         pumpd's CPU time per handshake over the first
 *                            BURST, beside the X25519 mix's time: on a
 *                            machine whose other core runs this client
 *                            (the same X25519 work) and other jobs, the
 *                            rate depends on what they leave; this does not
 *
 * Each run starts pumpd again (fresh limiter buckets).  This client's CPU
 * time per handshake is printed too.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <uv.h>

#include <sodium.h>

#include "bench/fig.h"
#include "bench/fixture.h"
#include "bench/lc.h"
#include "bench/util.h"
#include "tests/lib/e2e.h"

#define NAME       "bench_handshake"
#define NREM       64
#define BURST      800
#define SUSTAIN_MS 2000
#define X_N        1000

static uv_loop_t loop;

/* this thread's CPU time: the X25519 work, not a time slice another
 * process took meanwhile */
static int64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

/* ns per operation: dh ? crypto_scalarmult : crypto_scalarmult_base; each
 * result feeds the next scalar so nothing can be skipped */
static double x25519_ns(int dh)
{
	uint8_t k[32], pt[32], out[32];
	randombytes_buf(k, sizeof k);
	crypto_scalarmult_base(pt, k);
	int64_t t0 = thread_cpu_ns();
	for (int i = 0; i < X_N; i++) {
		if (dh) {
			if (crypto_scalarmult(out, k, pt) != 0)
				return -1;
		} else {
			crypto_scalarmult_base(out, k);
		}
		k[i % 32] ^= out[0];
	}
	int64_t dt = thread_cpu_ns() - t0;
	sodium_memzero(k, sizeof k);
	return (double)dt / X_N;
}

static int64_t self_cpu_us(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return (int64_t)(ru.ru_utime.tv_sec + ru.ru_stime.tv_sec) * 1000000 +
	       ru.ru_utime.tv_usec + ru.ru_stime.tv_usec;
}

int main(void)
{
	static uint8_t keys[NREM][32];
	struct fig_runs burst = { 0 }, sust = { 0 }, bound = { 0 }, dh = { 0 }, base = { 0 };
	struct fig_runs pcpu = { 0 }, xmix = { 0 };
	double self_cpu = 0;
	uint64_t refused = 0, refused_burst = 0, failed = 0;
	struct lc *lc = NULL;
	int rc = 1;
	e2e_pump *p = bu_begin(NAME, 60 + 25 * (unsigned)fig_nruns(), &loop, 0);
	if (!p)
		return 1;
	if (fx_patients(p, "h", NREM, keys) < 0)
		goto out;
	struct lc_config cfg = {
		.addr = e2e_addr(p), .proto = LC_NOISE, .pump_pub = e2e_pump_pub(p),
		.keys = (const uint8_t (*)[32])keys, .n = NREM,
		.hs_inflight = LC_HS_INFLIGHT, .name = "handshakes",
	};
	if (lc_new(&loop, &cfg, &lc) < 0)
		goto out;
	for (int run = 0; run < fig_nruns(); run++) {
		if (run > 0 && bu_pump_restart(p) < 0)
			goto out;
		/* the bound, between the runs through pumpd: the best of 3 short
		 * timings in this thread's CPU time (a bound is what one core
		 * can do; a time slice given to another process is not X25519
		 * work) */
		double d = -1, b = -1;
		for (int i = 0; i < 3; i++) {
			double d1 = x25519_ns(1), b1 = x25519_ns(0);
			if (d1 <= 0 || b1 <= 0)
				goto out;
			d = d < 0 || d1 < d ? d1 : d;
			b = b < 0 || b1 < b ? b1 : b;
		}
		fig_add(&dh, d);
		fig_add(&base, b);
		fig_add(&bound, 1e9 / (4 * d + b));
		fig_add(&xmix, (4 * d + b) / 1e3);

		struct lc_churn_result r;
		int64_t c0 = bu_cpu_us(e2e_pid(p)), s0 = self_cpu_us();
		if (lc_churn(lc, BURST, 20000, &r) < 0 || r.ok < BURST) {
			fprintf(stderr, "%s: %llu of %d handshakes in %.1f s (%llu refused, "
			        "%llu failed; see %s)\n", NAME, (unsigned long long)r.ok,
			        BURST, r.secs, (unsigned long long)r.refused,
			        (unsigned long long)r.failed, e2e_log_path(p));
			goto out;
		}
		fig_add(&pcpu, (double)(bu_cpu_us(e2e_pid(p)) - c0) / (double)r.ok);
		self_cpu += (double)(self_cpu_us() - s0) / (double)r.ok;
		fig_add(&burst, (double)r.ok / r.secs);
		refused_burst += r.refused;
		failed += r.failed;
		if (lc_churn(lc, UINT64_MAX, SUSTAIN_MS, &r) < 0)
			goto out;
		fig_add(&sust, (double)r.ok / r.secs);
		refused += r.refused;
		failed += r.failed;
	}
	int n = fig_nruns();
	char an[160], note[640];
	snprintf(an, sizeof an, "X25519 bound: one core doing the responder's "
	         "4 DH + 1 keygen (%.0f + %.0f us)", fig_median(&dh) / 1e3,
	         fig_median(&base) / 1e3);
	/* what bounds the rate: pumpd's CPU per handshake on a core of its
	 * own, and the two cores pumpd and this client share (the machine's
	 * other jobs take their part of both) */
	double pc = fig_median(&pcpu), cc = self_cpu / n;
	snprintf(note, sizeof note, "first %d handshakes on a fresh pumpd, %d in "
	         "flight, %d remotes; CPU per handshake: pumpd %.0f us (%.0f/s on "
	         "a core of its own), this client %.0f us (X25519 mix of each, ss "
	         "cached: 3 DH + 1 keygen = %.0f us; both on 2 cores: %.0f/s); "
	         "%llu refused, %llu failed; 4 DH alone bound %.0f/s", BURST,
	         LC_HS_INFLIGHT, NREM, pc, pc > 0 ? 1e6 / pc : 0, cc,
	         (3 * fig_median(&dh) + fig_median(&base)) / 1e3,
	         pc + cc > 0 ? 2e6 / (pc + cc) : 0,
	         (unsigned long long)refused_burst,
	         (unsigned long long)failed, 1e9 / (4 * fig_median(&dh)));
	struct fig f = {
		.name = "handshake_rps", .unit = "handshakes/s", .runs = &burst,
		.anchor_name = an, .anchor = &bound, .target_on = FIG_ON_RATIO,
		.target = 0.8, .higher_is_better = 1, .note = note,
	};
	fig_emit(&f);
	snprintf(note, sizeof note, "the %d ms after the first %d, the same way: "
	         "what pumpd's handshake limits leave; %llu closed by the pump "
	         "(refused) in all", SUSTAIN_MS, BURST, (unsigned long long)refused);
	struct fig g = {
		.name = "handshake_sustained_rps", .unit = "handshakes/s", .runs = &sust,
		.anchor_name = an, .anchor = &bound, .higher_is_better = 1, .note = note,
	};
	fig_emit(&g);
	struct fig h = {
		.name = "handshake_cpu_us", .unit = "us", .runs = &pcpu,
		.anchor_name = "the responder's X25519 mix on one core (4 DH + 1 keygen)",
		.anchor = &xmix, .higher_is_better = 0,
		.note = "pumpd's CPU time per handshake over the first handshakes "
		        "(every thread, /proc schedstat): what it adds to the X25519 "
		        "work, whatever the client and the machine leave it",
	};
	fig_emit(&h);
	rc = 0;
out:
	lc_free(lc);
	bu_pump_free(p);
	sodium_memzero(keys, sizeof keys);
	return bu_end(NAME, &loop, rc);
}
