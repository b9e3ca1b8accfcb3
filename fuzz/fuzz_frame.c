/* fuzz/fuzz_frame.c — the frame reassembler fed the same bytes in random
 * splits must yield exactly the frames (and the error) of an all-at-once
 * feed.  Input: byte 0 seeds the split sizes, the rest is the stream. */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "net/frame.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAXF 64

struct result {
	size_t n;
	size_t len[MAXF];
	uint32_t sum[MAXF];
	int err;
	size_t pending;
};

static uint32_t sum_of(const uint8_t *p, size_t n)
{
	uint32_t h = 2166136261u;
	for (size_t i = 0; i < n; i++)
		h = (h ^ p[i]) * 16777619u;
	return h;
}

static void run(const uint8_t *in, size_t size, uint32_t seed, struct result *r)
{
	static struct frame_reader fr;
	frame_init(&fr);
	memset(r, 0, sizeof *r);
	size_t off = 0;
	while (off < size && !r->err) {
		size_t chunk = size - off;
		if (seed) {
			seed = seed * 1103515245u + 12345u;
			chunk = 1 + (seed >> 16) % 300;
			if (chunk > size - off)
				chunk = size - off;
		}
		const uint8_t *p = in + off;
		size_t left = chunk;
		off += chunk;
		while (left && !r->err) {
			size_t used;
			int rc = frame_feed(&fr, p, left, &used);
			if (used > left)
				abort();
			p += used;
			left -= used;
			if (rc < 0) {
				r->err = rc;
				break;
			}
			if (rc == FRAME_READY) {
				size_t n = frame_len(&fr);
				if (n == 0 || n > FRAME_MAX || !frame_data(&fr))
					abort();
				if (r->n < MAXF) {
					r->len[r->n] = n;
					r->sum[r->n] = sum_of(frame_data(&fr), n);
				}
				r->n++;
			} else if (left != 0) {
				abort(); /* NEED_MORE must consume everything */
			}
		}
	}
	r->pending = r->err ? 0 : frame_pending(&fr);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	struct result a, b;
	run(data + 1, size - 1, 0, &a);
	run(data + 1, size - 1, (uint32_t)data[0] + 1, &b);
	if (a.n != b.n || a.err != b.err || a.pending != b.pending)
		abort();
	for (size_t i = 0; i < a.n && i < MAXF; i++)
		if (a.len[i] != b.len[i] || a.sum[i] != b.sum[i])
			abort();
	return 0;
}
