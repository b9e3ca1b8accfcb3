/* fuzz/fuzz_rxfile.c — the prescription file parser (net/rxfile.h) on
 * arbitrary text, fed two ways that must agree:
 *   - as a whole buffer (rxfile_parse), and
 *   - line by line (rxfile_parse_line, each line without its '\n'),
 * with the same result, the same prescription and the same error message.
 * An error always has a message naming the file; a failed line leaves the
 * prescription read so far unchanged.  A prescription that parses prints
 * (rxfile_write) to text that parses back to the same prescription and
 * prints the same text again. */
#include <errno.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/rxfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define NAME "fuzz.rx"

static int same_rx(const struct msg_rx *a, const struct msg_rx *b)
{
	if (strcmp(a->drug, b->drug) != 0 ||
	    a->concentration_ng_ml != b->concentration_ng_ml ||
	    a->capacity_nl != b->capacity_nl || a->mode != b->mode ||
	    a->rate_ng_day != b->rate_ng_day || a->n_steps != b->n_steps ||
	    a->bolus_enabled != b->bolus_enabled ||
	    a->bolus_dose_ng != b->bolus_dose_ng ||
	    a->bolus_duration_ms != b->bolus_duration_ms ||
	    a->lockout_ms != b->lockout_ms || a->max_per_24h != b->max_per_24h ||
	    a->ceiling_ng_24h != b->ceiling_ng_24h ||
	    a->low_threshold_nl != b->low_threshold_nl ||
	    a->silence_ms != b->silence_ms)
		return 0;
	for (unsigned i = 0; i < a->n_steps && i < MSG_STEPS_MAX; i++)
		if (a->steps[i].start_ms != b->steps[i].start_ms ||
		    a->steps[i].rate_ng_day != b->steps[i].rate_ng_day)
			return 0;
	return 1;
}

/* line by line; returns rc, *out and the error in err */
static int by_lines(const char *buf, size_t len, struct msg_rx *out,
                    char err[RXFILE_ERR_MAX])
{
	static struct rxfile p;
	int rc = 0;
	rxfile_init(&p, NAME);
	/* each line without its newline (rxfile_parse gives it with one) */
	for (const char *at = buf, *end = buf + len; at < end && rc == 0;) {
		const char *nl = memchr(at, '\n', (size_t)(end - at));
		size_t n = nl ? (size_t)(nl - at) : (size_t)(end - at);
		struct msg_rx before = p.rx;
		rc = rxfile_parse_line(&p, at, n);
		if (rc < 0 && (rc != -EINVAL || p.err[0] == '\0' || !same_rx(&before, &p.rx)))
			abort();
		at += nl ? n + 1 : n;
	}
	if (rc == 0)
		rc = rxfile_finish(&p, out);
	memcpy(err, p.err, RXFILE_ERR_MAX);
	/* lookups by field name never read out of bounds */
	(void)rxfile_line_of(&p, "bolus_dose_ng");
	(void)rxfile_line_of(&p, "steps");
	return rc;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct msg_rx a, b, c;
	static char ea[RXFILE_ERR_MAX], eb[RXFILE_ERR_MAX];
	static char text[4096], text2[4096];
	const char *buf = (const char *)data;

	if (size > 64 * 1024)
		return 0;
	memset(&a, 0, sizeof a);
	memset(&b, 0, sizeof b);
	memset(ea, 0, sizeof ea);
	int ra = rxfile_parse(NAME, buf, size, &a, ea, sizeof ea);
	int rb = by_lines(buf, size, &b, eb);
	if (ra != rb)
		abort();
	if (ra < 0) {
		if (ra != -EINVAL || strncmp(ea, NAME ":", strlen(NAME) + 1) != 0 ||
		    strcmp(ea, eb) != 0)
			abort();
		return 0;
	}
	if (!same_rx(&a, &b))
		abort();
	/* print, parse back, print again */
	int n = rxfile_write(&a, text, sizeof text);
	if (n <= 0)
		abort();
	memset(&c, 0, sizeof c);
	if (rxfile_parse("printed", text, (size_t)n, &c, ea, sizeof ea) != 0)
		abort();
	if (!same_rx(&a, &c))
		abort();
	int n2 = rxfile_write(&c, text2, sizeof text2);
	if (n2 != n || memcmp(text, text2, (size_t)n) != 0)
		abort();
	return 0;
}
