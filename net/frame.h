/*
 * net/frame.h — frame reassembly with no I/O.
 */
#ifndef PTM_NET_FRAME_H
#define PTM_NET_FRAME_H

#include <stddef.h>
#include <stdint.h>

/*
 * On the wire every Noise message travels in a frame: a 2-byte big-endian
 * length, then that many bytes (1..FRAME_MAX).  A reader is fed whatever
 * the socket delivered (one byte, many frames, anything in between) and
 * yields whole frames.  A declared length over FRAME_MAX (or zero) is
 * refused as soon as the 2-byte header is complete, before any payload is
 * buffered.
 *
 * Memory: struct frame_reader holds a fixed FRAME_MAX buffer; nothing is
 * allocated.  It is plain data the caller embeds where it likes.
 *
 *   struct frame_reader fr;  frame_init(&fr);
 *   while (len > 0) {
 *       size_t used;
 *       int rc = frame_feed(&fr, in, len, &used);
 *       in += used; len -= used;
 *       if (rc < 0) -> refuse the connection
 *       if (rc == FRAME_READY) -> handle frame_data(&fr), frame_len(&fr)
 *   }
 */

#define FRAME_MAX 4096  /* largest frame body */
#define FRAME_HDR 2     /* bytes of the length header */

/* frame_feed results */
#define FRAME_NEED_MORE    0
#define FRAME_READY        1
/* errors (negative); once a reader failed it keeps failing until frame_init */
#define FRAME_E_TOO_LONG  (-1)  /* declared length over FRAME_MAX */
#define FRAME_E_EMPTY     (-2)  /* declared length 0 (never a Noise message) */
#define FRAME_E_TRUNCATED (-3)  /* frame_eof: the stream ended mid-frame */

struct frame_reader {
	uint8_t  buf[FRAME_MAX];
	uint8_t  hdr[FRAME_HDR];
	uint8_t  hdr_have;   /* header bytes read (0..2) */
	uint8_t  ready;      /* a whole frame is in buf */
	int      err;        /* sticky error, 0 if none */
	uint16_t want;       /* body length declared by the header */
	uint16_t have;       /* body bytes in buf */
};

void frame_init(struct frame_reader *fr);

/* Consume bytes from in[0..len) up to the end of at most one frame.
 * *used gets how many bytes were consumed (the rest belong to later
 * frames: feed them again).  Returns FRAME_READY when a whole frame is
 * available (valid until the next frame_feed or frame_init), FRAME_NEED_MORE
 * when all of in was used and the frame is not complete, or FRAME_E_*.
 * A frame made ready by the previous call is released on entry. */
int frame_feed(struct frame_reader *fr, const uint8_t *in, size_t len,
               size_t *used);

/* The ready frame's bytes and length (NULL / 0 when none is ready). */
const uint8_t *frame_data(const struct frame_reader *fr);
size_t frame_len(const struct frame_reader *fr);

/* Bytes of a partial frame held (header included); 0 between frames and
 * while a complete frame is ready.  Non-zero means a frame has started:
 * the frame deadline runs. */
size_t frame_pending(const struct frame_reader *fr);

/* At end of stream: 0 if the stream ended between frames, else
 * FRAME_E_TRUNCATED. */
int frame_eof(const struct frame_reader *fr);

/* Write the header for a body of len bytes (1..FRAME_MAX) into out.
 * Returns 0, or FRAME_E_TOO_LONG / FRAME_E_EMPTY. */
int frame_header(size_t len, uint8_t out[FRAME_HDR]);

/* A stable name for a FRAME_E_* code ("too_long", ...). */
const char *frame_strerror(int err);

#endif
