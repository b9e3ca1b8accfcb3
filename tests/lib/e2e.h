/*
 * tests/lib/e2e.h — end to end: a real build/pumpd in a private temporary
 * directory (e2e_pump.h), pumpd's commands (e2e_cli.h), a small blocking
 * remote that speaks the protocol byte by byte (e2e_remote.h), deadlines
 * scaled to the run's slowdown (e2e_time.h).  None needs Criterion: the
 * benches and the soak use them too.
 *
 *   e2e_pump *p = e2e_start(NULL, 0);      // default prescription, --sim
 *   struct msg_request q = { .type = MSG_BOLUS };
 *   struct msg_reply r;
 *   e2e_call(p, "patient", &q, &r);        // one session, one request
 *   e2e_kill9(p); e2e_restart(p);
 *   e2e_free(p);                            // stops pumpd, removes the dir
 */
#ifndef PTM_TESTS_LIB_E2E_H
#define PTM_TESTS_LIB_E2E_H

#include "tests/lib/e2e_cli.h"
#include "tests/lib/e2e_pump.h"
#include "tests/lib/e2e_remote.h"
#include "tests/lib/e2e_time.h"

#endif
