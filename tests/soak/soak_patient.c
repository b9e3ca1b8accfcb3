/* tests/soak/soak_patient.c — a patient's timed STATUS tries (see
 * soak_patient.h). */
#include "tests/soak/soak_patient.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/soak/soak.h"

int64_t soak_status_once(const struct client_config *cfg, int timeout_ms,
                         char *why, size_t cap)
{
	struct msg_request q;
	struct msg_reply *r = malloc(sizeof *r);
	if (!r) {
		snprintf(why, cap, "out of memory");
		return -1;
	}
	memset(&q, 0, sizeof q);
	q.type = MSG_STATUS;
	int64_t t0 = soak_now_us();
	int rc = client_call(cfg, &q, r, timeout_ms);
	int64_t lat = soak_now_us() - t0;
	if (rc != 0)
		snprintf(why, cap, "%s", client_strerror(rc));
	else if (r->err != MSG_OK || r->req_type != MSG_STATUS)
		snprintf(why, cap, "error reply %s", msg_err_name(r->err));
	free(r);
	return rc == 0 && why[0] == '\0' ? lat : -1;
}

void soak_tries_run(struct soak_tries *t, const struct client_config *cfg,
                    unsigned n, unsigned span_ms)
{
	memset(t, 0, sizeof *t);
	if (n > SOAK_TRIES_MAX)
		n = SOAK_TRIES_MAX;
	t->planned = n;
	int64_t t0 = soak_now_us(), every = (int64_t)span_ms * 1000 / (n ? n : 1);
	int64_t end = t0 + (int64_t)span_ms * 2000 + SOAK_TRY_TIMEOUT_MS * 1000;
	for (unsigned i = 0; i < n; i++) {
		int64_t at = t0 + every * i, now = soak_now_us();
		if (now > end)
			break;
		if (at > now)
			soak_pause_us(at - now);   /* the patient's pace */
		char why[96] = "";
		int64_t lat = soak_status_once(cfg, SOAK_TRY_TIMEOUT_MS, why, sizeof why);
		t->lat_us[t->made++] = lat;
		if (lat >= 0)
			t->ok++;
		else if (!t->first_fail[0])
			snprintf(t->first_fail, sizeof t->first_fail, "%s", why);
	}
	if (t->made < n && !t->first_fail[0])
		snprintf(t->first_fail, sizeof t->first_fail, "out of time");
}

static int cmp64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

int64_t soak_tries_pct(const struct soak_tries *t, unsigned pct)
{
	if (t->planned == 0 || t->ok == 0)
		return -1;
	int64_t *v = malloc(t->ok * sizeof *v);
	if (!v)
		return -1;
	unsigned k = 0;
	for (unsigned i = 0; i < t->made; i++)
		if (t->lat_us[i] >= 0)
			v[k++] = t->lat_us[i];
	qsort(v, k, sizeof *v, cmp64);
	/* rank ceil(pct% of planned), 1-based; failures rank after successes */
	unsigned rank = (t->planned * pct + 99) / 100;
	if (rank == 0)
		rank = 1;
	int64_t r = rank <= k ? v[rank - 1] : -1;
	free(v);
	return r;
}

static void fmt_ms(char *b, size_t cap, int64_t us)
{
	if (us < 0)
		snprintf(b, cap, "failed");
	else
		snprintf(b, cap, "%lld.%01lld ms", (long long)(us / 1000),
		         (long long)(us % 1000 / 100));
}

void soak_tries_fmt(const struct soak_tries *t, char *buf, size_t cap)
{
	char p50[32], p99[32];
	fmt_ms(p50, sizeof p50, soak_tries_pct(t, 50));
	fmt_ms(p99, sizeof p99, soak_tries_pct(t, 99));
	snprintf(buf, cap, "%u tries, %u failed, p50 %s, p99 %s", t->planned,
	         t->planned - t->ok, p50, p99);
}

int soak_tries_served(const struct soak_tries *t)
{
	return t->planned > 0 && (uint64_t)t->ok * 100 >= (uint64_t)t->planned * 99;
}

int soak_status_until_ok(const struct client_config *cfg, int timeout_ms)
{
	int64_t end = soak_now_us() + (int64_t)timeout_ms * 1000;
	for (;;) {
		char why[96] = "";
		if (soak_status_once(cfg, SOAK_TRY_TIMEOUT_MS, why, sizeof why) >= 0)
			return 0;
		if (soak_now_us() > end)
			return -1;
		soak_pause_us(50000);   /* a patient trying again */
	}
}
