/* tests/test_frame.c — frame reassembly: any split of bytes gives the same
 * frames; oversize and empty lengths are refused before buffering. */
#include <criterion/criterion.h>
#include <string.h>

#include "net/frame.h"

/* Three frames: 3 bytes, 1 byte, 4096 bytes. */
static size_t make_stream(uint8_t *out)
{
	size_t n = 0;
	static const size_t lens[3] = { 3, 1, 4096 };
	for (int f = 0; f < 3; f++) {
		cr_assert_eq(frame_header(lens[f], out + n), 0);
		n += 2;
		for (size_t i = 0; i < lens[f]; i++)
			out[n++] = (uint8_t)(f * 50 + i);
	}
	return n;
}

/* Feed the stream in chunks of `chunk` bytes; check the three frames. */
static void feed_in_chunks(size_t chunk)
{
	static uint8_t s[2 * 3 + 3 + 1 + 4096];
	size_t n = make_stream(s);
	struct frame_reader fr;
	frame_init(&fr);
	size_t got = 0, off = 0;
	static const size_t lens[3] = { 3, 1, 4096 };
	while (off < n) {
		size_t len = n - off < chunk ? n - off : chunk;
		const uint8_t *in = s + off;
		off += len;
		while (len > 0) {
			size_t used;
			int rc = frame_feed(&fr, in, len, &used);
			cr_assert_geq(rc, 0);
			cr_assert_leq(used, len);
			in += used;
			len -= used;
			if (rc == FRAME_READY) {
				cr_assert_lt(got, 3);
				cr_assert_eq(frame_len(&fr), lens[got]);
				const uint8_t *d = frame_data(&fr);
				for (size_t i = 0; i < lens[got]; i++)
					cr_assert_eq(d[i], (uint8_t)(got * 50 + i));
				cr_assert_eq(frame_pending(&fr), 0);
				got++;
			} else {
				cr_assert_eq(len, 0, "NEED_MORE must consume everything");
			}
		}
	}
	cr_assert_eq(got, 3);
	cr_assert_eq(frame_eof(&fr), 0);
}

Test(frame, byte_by_byte) { feed_in_chunks(1); }
Test(frame, all_at_once) { feed_in_chunks(100000); }
Test(frame, odd_splits)
{
	for (size_t c = 2; c < 20; c++)
		feed_in_chunks(c);
	feed_in_chunks(4097);
	feed_in_chunks(4099);
}

/* verifies: SR-LINK-005 */
Test(frame, too_long_refused_at_header)
{
	struct frame_reader fr;
	frame_init(&fr);
	uint8_t in[] = { 0x10, 0x01, 0xaa, 0xbb };   /* 4097 */
	size_t used = 99;
	cr_assert_eq(frame_feed(&fr, in, 1, &used), FRAME_NEED_MORE);
	cr_assert_eq(used, 1);
	cr_assert_eq(frame_pending(&fr), 1);
	cr_assert_eq(frame_feed(&fr, in + 1, 3, &used), FRAME_E_TOO_LONG);
	cr_assert_eq(used, 1, "nothing after the header is taken");
	/* sticky */
	cr_assert_eq(frame_feed(&fr, in + 2, 2, &used), FRAME_E_TOO_LONG);
	cr_assert_eq(used, 0);
	uint8_t max[] = { 0xff, 0xff };
	frame_init(&fr);
	cr_assert_eq(frame_feed(&fr, max, 2, &used), FRAME_E_TOO_LONG);
}

/* verifies: SR-LINK-005 */
Test(frame, max_length_accepted_and_empty_refused)
{
	struct frame_reader fr;
	uint8_t h[2];
	cr_assert_eq(frame_header(4096, h), 0);
	cr_assert_eq(h[0], 0x10);
	cr_assert_eq(h[1], 0x00);
	cr_assert_eq(frame_header(4097, h), FRAME_E_TOO_LONG);
	cr_assert_eq(frame_header(0, h), FRAME_E_EMPTY);
	cr_assert_eq(frame_header(258, h), 0);
	cr_assert_eq(h[0], 0x01);
	cr_assert_eq(h[1], 0x02);
	frame_init(&fr);
	uint8_t z[] = { 0, 0 };
	size_t used;
	cr_assert_eq(frame_feed(&fr, z, 2, &used), FRAME_E_EMPTY);
}

Test(frame, eof_mid_frame)
{
	struct frame_reader fr;
	frame_init(&fr);
	uint8_t in[] = { 0x00, 0x05, 1, 2 };
	size_t used;
	cr_assert_eq(frame_eof(&fr), 0);
	cr_assert_eq(frame_feed(&fr, in, 4, &used), FRAME_NEED_MORE);
	cr_assert_eq(used, 4);
	cr_assert_eq(frame_pending(&fr), 4);
	cr_assert_eq(frame_eof(&fr), FRAME_E_TRUNCATED);
	cr_assert_null(frame_data(&fr));
	/* only the header */
	frame_init(&fr);
	cr_assert_eq(frame_feed(&fr, in, 1, &used), FRAME_NEED_MORE);
	cr_assert_eq(frame_eof(&fr), FRAME_E_TRUNCATED);
}

Test(frame, ready_frame_released_on_next_feed)
{
	struct frame_reader fr;
	frame_init(&fr);
	uint8_t in[] = { 0x00, 0x01, 0x41, 0x00, 0x02, 0x42, 0x43 };
	size_t used;
	cr_assert_eq(frame_feed(&fr, in, sizeof in, &used), FRAME_READY);
	cr_assert_eq(used, 3);
	cr_assert_eq(frame_len(&fr), 1);
	cr_assert_eq(frame_data(&fr)[0], 0x41);
	cr_assert_eq(frame_feed(&fr, in + 3, 4, &used), FRAME_READY);
	cr_assert_eq(used, 4);
	cr_assert_eq(frame_len(&fr), 2);
	cr_assert_eq(frame_data(&fr)[1], 0x43);
	/* an empty feed releases the frame and needs more */
	cr_assert_eq(frame_feed(&fr, in, 0, &used), FRAME_NEED_MORE);
	cr_assert_eq(used, 0);
	cr_assert_eq(frame_len(&fr), 0);
	cr_assert_eq(frame_eof(&fr), 0);
}
