/* tests/lib/e2e_cli.h — pumpd's commands (init, pair, status ...) run from
 * a test, their output collected; also as another user. */
#ifndef PTM_TESTS_LIB_E2E_CLI_H
#define PTM_TESTS_LIB_E2E_CLI_H

#include <stddef.h>

/* The program: $PTM_PUMPD if set, else $PTM_BUILD/pumpd (PTM_BUILD
 * default "build"). */
const char *e2e_pumpd_path(void);

/* Run a pumpd command (argv without "pumpd") and collect stdout+stderr into
 * out (cap bytes, NUL-terminated; may be NULL).  Returns the exit status,
 * or -1 if it could not be run or ran for more than 20 s (then killed). */
int e2e_cli(const char *const *argv, char *out, size_t cap);
/* The same as user and group uid (when uid >= 0; the caller must be root),
 * killed (and -1 returned) when still running after timeout_ms.  Another
 * user may not be able to reach the build (a checkout in a 0700 home): it
 * runs a copy of pumpd from a fresh 0755 directory under /tmp, removed
 * after, in the working directory "/". */
int e2e_cli_as(const char *const *argv, long uid, int timeout_ms, char *out,
               size_t cap);

#endif
