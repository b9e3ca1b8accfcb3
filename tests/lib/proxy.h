/*
 * tests/lib/proxy.h — a frame-aware TCP proxy for tampering tests, on a
 * test's libuv loop: it listens on 127.0.0.1, takes one connection, opens
 * one to the server, and passes every frame (2-byte length, then the
 * bytes) on, except that it acts on frame number `at` (0: the first) of
 * one direction.
 *
 *   proxy_open(&px, loop, server_addr, PROXY_C2S, 1, PROXY_FLIP);
 *   ...connect the client to px.addr...
 *   proxy_close(&px);                 // runs the loop until closed
 *   cr_assert(!px.failed, "%s", px.why);
 */
#ifndef PTM_TESTS_LIB_PROXY_H
#define PTM_TESTS_LIB_PROXY_H

#include <stddef.h>
#include <stdint.h>
#include <uv.h>

#include "net/frame.h"

enum { PROXY_C2S = 0, PROXY_S2C = 1 };   /* client to server, and back */

enum proxy_act {
	PROXY_PASS,         /* pass it on */
	PROXY_FLIP,         /* flip a bit in the middle of it */
	PROXY_DUP,          /* send it twice */
	PROXY_SWAP,         /* hold it and send it after the next one */
	PROXY_BLACKHOLE,    /* drop it and every later one */
	PROXY_STOP_READ,    /* pass it on, then stop reading that side */
};

struct proxy;

struct proxy_side {
	struct proxy *px;
	uv_tcp_t tcp;
	struct frame_reader fr;
	int frames;          /* frames read from this side */
	uint8_t held[4098];
	size_t held_len;
	char rbuf[8192];
};

struct proxy {
	uv_loop_t *loop;
	uv_tcp_t lis;
	struct proxy_side a, b;   /* a: the client's side, b: the server's */
	uv_connect_t creq;
	int dir, at;
	enum proxy_act act;
	int accepted, closed, handles;
	uint64_t forwarded[2];    /* frames passed on, per direction */
	char addr[64];            /* "tcp:127.0.0.1:PORT" to connect to */
	int srv_port;
	int failed;               /* something the test did not expect: */
	char why[128];            /* what */
};

/* Listen (on a port of its own, in px->addr) for the client of
 * server_addr ("tcp:127.0.0.1:PORT").  0, or a negative libuv error. */
int proxy_open(struct proxy *px, uv_loop_t *loop, const char *server_addr,
               int dir, int at, enum proxy_act act);

/* Close the listener and both connections; runs the loop until they are
 * closed. */
void proxy_close(struct proxy *px);

#endif
