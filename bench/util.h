/*
 * bench/util.h — what every benchmark needs: a monotonic clock, figures of
 * another process read from /proc, and clean-up that runs on every way out.
 *
 * Clean-up: bu_guard() arms a deadline (SIGALRM) and catches the signals a
 * benchmark can die of (INT, TERM, HUP, SEGV, BUS, ABRT, FPE, ALRM).  The
 * handler kills every watched process with SIGKILL, kills every watched
 * tmux server, removes every watched directory (fork + exec of rm, which is
 * async-signal-safe), and exits 1.  A normal exit path unwatches what it
 * frees itself.  The pumps come from bu_pump_start (tests/lib/e2e.h with the
 * pump watched) and go back with bu_pump_free.
 *
 * Memory: strings given to bu_watch_* are copied into fixed slots; nothing
 * here allocates.  Errors are negative numbers (or -1 for "unknown").
 */
#ifndef PTM_BENCH_UTIL_H
#define PTM_BENCH_UTIL_H

#include <stdint.h>

#include <uv.h>

#include "tests/lib/e2e.h"

/* Monotonic time in ns. */
int64_t bu_now_ns(void);

/* The number after "KEY:" in /proc/PID/FILE (status, io), or -1. */
int64_t bu_proc_field(int pid, const char *file, const char *key);

/* Resident set size of pid in KiB (VmRSS of /proc/PID/status), or -1. */
long bu_rss_kb(int pid);

/* CPU time of pid, every thread, in us: the sum of /proc/PID/task/TID/schedstat
 * (ns resolution), or utime + stime of /proc/PID/stat (clock ticks) when
 * schedstat is missing; -1 when pid is gone. */
int64_t bu_cpu_us(int pid);

/* Context switches of pid's main thread, voluntary + not (/proc/PID/status),
 * or -1; *vol (may be NULL) gets the voluntary ones (it waited: for
 * events, or on the disk), the rest were preemptions. */
int64_t bu_ctxsw(int pid, int64_t *vol);

/* Write system calls pid has made (syscw of /proc/PID/io), or -1. */
int64_t bu_syscw(int pid);

/* Install the handlers and arm the deadline (seconds, 0 = none).  name
 * prefixes the message printed when the deadline or a signal hits. */
void bu_guard(const char *name, unsigned deadline_s);

/* Watch / unwatch a process, a directory to remove, a tmux server socket.
 * Up to 8 of each; 0, or -ENOSPC / -ENOENT. */
int bu_watch_pid(int pid);
int bu_unwatch_pid(int pid);
int bu_watch_dir(const char *path);
int bu_unwatch_dir(const char *path);
int bu_watch_tmux(const char *sock);
int bu_unwatch_tmux(const char *sock);

/* e2e_start_args with the pump's process and directory watched (the pid
 * is looked up again at signal time, so e2e_restart is fine).  Default
 * log level info (pumpd's own default), not the e2e helper's debug.
 * extra: more `pumpd run` arguments (up to 12), NULL-terminated, or NULL.
 * Says on stdout that it started pumpd, with its pid. */
e2e_pump *bu_pump_start(const char *rx_text, unsigned flags);
e2e_pump *bu_pump_start_args(const char *rx_text, unsigned flags,
                             const char *const *extra);
/* Stop pumpd (SIGTERM, wait) and start it again on the same state; says
 * so.  0 or -1. */
int bu_pump_restart(e2e_pump *p);
/* Unwatch, stop (SIGTERM), remove the directory, free; says so.  NULL is
 * fine. */
void bu_pump_free(e2e_pump *p);

/* `pumpd run` arguments that let n remotes hold a session at once, for the
 * pumpd being measured: --max-peers N when its --help lists it (the
 * connection cap, default 256), --max-sessions N when it lists that (the
 * session cap).  Fills out (up to 4 strings + NULL; the numbers live in
 * buf, 32 bytes); returns how many strings. */
int bu_pump_cap_args(unsigned n, const char *out[5], char buf[32]);

/* Raise this process's open-file limit (soft) towards want, up to the hard
 * limit; children (pumpd, redis-server) inherit it.  Returns the soft
 * limit now. */
long bu_nofile(long want);

/* Start a program (argv[0] a path or a name on PATH) in its own process
 * (and process group) that dies with us (PR_SET_PDEATHSIG), stdout and
 * stderr to log (or
 * /dev/null when NULL).  When ready is not NULL, an argument equal to
 * "READYFD" is replaced with the number of a pipe's write end, and the
 * first line written to it (up to cap bytes, without the newline) is
 * waited for (timeout_ms) and stored in ready.  The pid is watched (killed
 * by the guard on a signal) and said on stdout as `started WHAT pid N`.
 * Returns the pid or -1. */
int bu_spawn(const char *what, const char *const argv[], const char *log,
             char *ready, size_t cap, int timeout_ms);
/* SIGTERM, wait up to 5 s (then SIGKILL), unwatch; says `stopped WHAT pid
 * N`.  Returns the exit status, or -1. */
int bu_stop(const char *what, int pid);

/* `perf record` on pid into file (call graphs: $BENCH_PERF_CG, default
 * fp; dwarf reaches through libraries built without frame pointers).
 * Returns perf's pid, or -1 (said). */
int bu_perf_start(int pid, const char *file);
/* Stop it (SIGINT, wait) and, when ok, print the top of its report (time
 * by object, then the symbols over 1%, self time) under a line naming
 * what was profiled. */
void bu_perf_stop(int perf_pid, const char *file, int ok, const char *what);

/* Latency samples (ns).  Memory: ns is malloc'd by bu_lat_init, freed by
 * bu_lat_free; samples beyond cap count in n and total only. */
struct bu_lat {
	int64_t *ns;
	size_t n, cap;
	int64_t total;
};
int bu_lat_init(struct bu_lat *l, size_t cap);   /* 0 or -ENOMEM */
void bu_lat_add(struct bu_lat *l, int64_t ns);
/* Mean, and a percentile (0..100) of the kept samples, in us; 0 when empty. */
double bu_lat_mean_us(const struct bu_lat *l);
double bu_lat_pct_us(struct bu_lat *l, int pct);
void bu_lat_free(struct bu_lat *l);

/* Print "name: what" to stderr and return -1 (for `return bu_fail(...)`). */
int bu_fail(const char *name, const char *what);

/* a stream socket of either kind, seen as each libuv type */
union bu_stream {
	uv_tcp_t tcp;
	uv_pipe_t pipe;
	uv_stream_t s;
	uv_handle_t h;
};

/* Write all of buf to s: at once when the socket takes it, else queued (a
 * failed write shows as a failed read too).  0 or a libuv error. */
int bu_write(uv_stream_t *s, const uint8_t *buf, size_t len);

/* A bench's start: bu_guard(name, deadline_s), libsodium, the loop, then
 * a private pumpd (bu_pump_start_args(NULL, flags, NULL)); NULL when one
 * fails (said when it is pumpd). */
e2e_pump *bu_begin(const char *name, unsigned deadline_s, uv_loop_t *loop, unsigned flags);
/* A bench's end: the loop's last callbacks run, then it is closed (said
 * when handles are left); returns rc. */
int bu_end(const char *name, uv_loop_t *loop, int rc);

#endif
