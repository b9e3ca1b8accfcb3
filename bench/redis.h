/*
 * bench/redis.h — just enough of a Redis client for the anchors: blocking
 * RESP over a unix socket, one command in flight per connection, the same
 * way the benchmarks drive pumpd (write the request, wait for the reply).
 *
 *   int fd = rds_connect(getenv("REDIS_SOCK"));
 *   char r[64];
 *   rds_call(fd, RDS_PING, r, sizeof r);      // "+PONG\r\n"
 *
 * Errors are negative: -errno from the socket calls, -ETIMEDOUT when no
 * whole reply came within the timeout, -EPROTO for a reply that is not
 * RESP or does not fit the buffer.  Memory: the caller owns every buffer
 * and fd (close it).
 */
#ifndef PTM_BENCH_REDIS_H
#define PTM_BENCH_REDIS_H

#include <stddef.h>
#include <stdint.h>

/* Commands in RESP form, ready to send. */
#define RDS_PING "*1\r\n$4\r\nPING\r\n"
#define RDS_GET  "*2\r\n$3\r\nGET\r\n$5\r\nbench\r\n"
#define RDS_SET  "*3\r\n$3\r\nSET\r\n$5\r\nbench\r\n$5\r\nvalue\r\n"
#define RDS_INCR "*2\r\n$4\r\nINCR\r\n$7\r\ncounter\r\n"

#define RDS_TIMEOUT_MS 10000

/* Connect to a unix socket path; the fd, or a negative error. */
int rds_connect(const char *path);

/* Send the whole command (a NUL-terminated RESP string). 0 or < 0. */
int rds_send(int fd, const char *cmd);

/* Read exactly one whole reply into buf (cap bytes, NUL-terminated);
 * returns its length or a negative error. */
int rds_recv(int fd, char *buf, size_t cap, int timeout_ms);

/* Send, then read the reply. */
int rds_call(int fd, const char *cmd, char *buf, size_t cap);

/* A numeric field of INFO ("process_id", "used_memory", ...): its value,
 * or a negative error (-ENOENT when INFO has no such field). */
int64_t rds_info(int fd, const char *field);

struct bu_lat;
/* Time cmd one call at a time on a new connection to sock: `warm` calls
 * first, then calls until l holds max_ops samples or run_ns have passed.
 * An error reply ("-ERR ...") is a failure.  l is the caller's, already
 * initialised (bu_lat_init).  0 or a negative error. */
int rds_time_calls(const char *sock, const char *cmd, int warm,
                   size_t max_ops, int64_t run_ns, struct bu_lat *l);

/* Run redis-benchmark on sock: -c clients -n requests -t test (e.g.
 * "ping", "get", "set"), one request in flight per client (its default,
 * -P 1), --csv.  Returns the requests per second of the CSV row named row
 * (e.g. "PING_MBULK", "GET", "SET"), *p50_us its median latency (may be
 * NULL), or a negative error (-ENOENT: redis-benchmark missing or no such
 * row). */
double rds_benchmark(const char *sock, const char *test, const char *row,
                     int clients, int requests, double *p50_us);

/* "redis_version" of the server into buf, "" if unknown. */
void rds_version(int fd, char *buf, size_t cap);

#endif
