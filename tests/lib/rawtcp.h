/*
 * tests/lib/rawtcp.h — a raw TCP client on a test's libuv loop, for
 * deadline tests: it connects to "tcp:127.0.0.1:PORT", then sends the
 * given bytes one at a time, one every every_ms, and notes the server's
 * close.  It speaks no protocol.
 *
 *   rawtcp_start(&r, loop, addr, hdr, 4, 25);
 *   ...run the loop until r.connected (r.status: 0 or a libuv error)...
 *   ...until r.eof...
 *   rawtcp_stop(&r);                     // runs the loop until closed
 */
#ifndef PTM_TESTS_LIB_RAWTCP_H
#define PTM_TESTS_LIB_RAWTCP_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#define RAWTCP_OUT_MAX 16

struct rawtcp {
	uv_loop_t *loop;
	uv_tcp_t tcp;
	uv_connect_t creq;
	uv_timer_t drip;
	int connected, status;   /* the connect finished, with this status */
	int eof;                 /* the server closed (or reset) */
	int closed;              /* handles closed by rawtcp_stop */
	uint8_t out[RAWTCP_OUT_MAX];
	size_t out_len, out_pos;
	uint64_t every_ms;
	char rbuf[256];
};

/* Start connecting to addr (tcp:127.0.0.1:PORT) on loop; once connected,
 * bytes[0..n) go out one per every_ms (n <= RAWTCP_OUT_MAX).  0, or a
 * negative libuv error. */
int rawtcp_start(struct rawtcp *r, uv_loop_t *loop, const char *addr,
                 const uint8_t *bytes, size_t n, uint64_t every_ms);

/* Close the connection and its timer; runs the loop until both are
 * closed. */
void rawtcp_stop(struct rawtcp *r);

#endif
