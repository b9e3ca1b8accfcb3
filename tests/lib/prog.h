/*
 * tests/lib/prog.h — one of the build's programs (ptm, ptmctl) run as a
 * child: its stdout and stderr read through pipes while it runs, its exit
 * code at the end (Criterion: a step that cannot be done fails the test).
 *
 *   prog_find("ptmctl", path, sizeof path);      // or skip the test
 *   struct prog c;
 *   cr_assert_eq(prog_run(&c, path, args, NULL), 0, "%s", c.err);
 */
#ifndef PTM_TESTS_LIB_PROG_H
#define PTM_TESTS_LIB_PROG_H

#include <jansson.h>
#include <stddef.h>
#include <sys/types.h>

#define PROG_OUT_MAX 32768

/* A running (or finished) child and what it wrote so far, NUL-terminated;
 * output past PROG_OUT_MAX - 1 bytes stays in the pipe. */
struct prog {
	pid_t pid;
	int out_fd, err_fd;          /* -1 once read to the end or closed */
	char out[PROG_OUT_MAX], err[PROG_OUT_MAX];
	size_t nout, nerr;
	int rc;                      /* prog_finish's answer */
};

/* $PTM_BUILD/name (build/name without PTM_BUILD) into path: 0 when it is
 * an executable there, else -1.  prog_find skips the test when not. */
int prog_path(const char *name, char *path, size_t cap);
void prog_find(const char *name, char *path, size_t cap);

/* Start path with args (NULL-terminated, at most 38): stdin from
 * /dev/null, PTM_PUMP, PTM_KEY and PTM_PUMP_KEY unset (a tester's own
 * settings never reach it), then env ("NAME=value" strings, NULL-terminated;
 * NULL for none) set; killed when the test process dies. */
void prog_spawn(struct prog *c, const char *path, const char *const *args,
                const char *const *env);

/* Read until stdout holds want (want NULL: until both pipes are closed) or
 * ms pass (scaled: e2e_ms): 1 when it does (they are), else 0. */
int prog_read_until(struct prog *c, const char *want, int ms);
/* The same until stderr holds want n times. */
int prog_read_err_until(struct prog *c, const char *want, unsigned n, int ms);

/* Read to the end and reap it (killed when it has not ended in 20 s,
 * scaled): its exit code, or -1 when a signal ended it (also in rc). */
int prog_finish(struct prog *c);

/* Its stdout as one JSON value (json_decref it); not JSON fails the test. */
json_t *prog_json(const struct prog *c);

/* prog_spawn and prog_finish. */
int prog_run(struct prog *c, const char *path, const char *const *args,
             const char *const *env);

#endif
