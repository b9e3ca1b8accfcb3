/*
 * net/frame.c — frame reassembly with no I/O (see frame.h).
 */
#include "net/frame.h"

#include <string.h>

#include "util/be.h"

void frame_init(struct frame_reader *fr)
{
	fr->hdr_have = 0;
	fr->ready = 0;
	fr->err = 0;
	fr->want = 0;
	fr->have = 0;
}

int frame_feed(struct frame_reader *fr, const uint8_t *in, size_t len,
               size_t *used)
{
	size_t n = 0;

	*used = 0;
	if (fr->err)
		return fr->err;
	if (fr->ready) {          /* release the frame handed out last time */
		fr->ready = 0;
		fr->hdr_have = 0;
		fr->want = 0;
		fr->have = 0;
	}
	while (fr->hdr_have < FRAME_HDR) {
		if (n == len) {
			*used = n;
			return FRAME_NEED_MORE;
		}
		fr->hdr[fr->hdr_have++] = in[n++];
		if (fr->hdr_have == FRAME_HDR) {
			size_t want = be16_get(fr->hdr);
			if (want > FRAME_MAX)
				fr->err = FRAME_E_TOO_LONG;
			else if (want == 0)
				fr->err = FRAME_E_EMPTY;
			if (fr->err) {
				*used = n;
				return fr->err;
			}
			fr->want = (uint16_t)want;
		}
	}
	size_t take = (size_t)(fr->want - fr->have);
	if (take > len - n)
		take = len - n;
	if (take > 0) {
		memcpy(fr->buf + fr->have, in + n, take);
		fr->have = (uint16_t)(fr->have + take);
		n += take;
	}
	*used = n;
	if (fr->have < fr->want)
		return FRAME_NEED_MORE;
	fr->ready = 1;
	return FRAME_READY;
}

const uint8_t *frame_data(const struct frame_reader *fr)
{
	return fr->ready ? fr->buf : NULL;
}

size_t frame_len(const struct frame_reader *fr)
{
	return fr->ready ? fr->want : 0;
}

size_t frame_pending(const struct frame_reader *fr)
{
	if (fr->ready || fr->err)
		return 0;
	return (size_t)fr->hdr_have + fr->have;
}

int frame_eof(const struct frame_reader *fr)
{
	return frame_pending(fr) ? FRAME_E_TRUNCATED : 0;
}

int frame_header(size_t len, uint8_t out[FRAME_HDR])
{
	if (len > FRAME_MAX)
		return FRAME_E_TOO_LONG;
	if (len == 0)
		return FRAME_E_EMPTY;
	be16_put(out, (uint16_t)len);
	return 0;
}

const char *frame_strerror(int err)
{
	switch (err) {
	case 0: return "ok";
	case FRAME_E_TOO_LONG: return "too_long";
	case FRAME_E_EMPTY: return "empty";
	case FRAME_E_TRUNCATED: return "truncated";
	default: return "unknown";
	}
}
