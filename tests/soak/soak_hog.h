/*
 * tests/soak/soak_hog.h — a non-reader: a paired remote that opens a
 * session and pipelines STATUS requests without ever reading a reply; when
 * the pump drops it, it opens a new session and goes on.  A child process
 * per remote (one live session per remote); counts in soak_flood_stats
 * (connects = sessions, items = requests sent, pump_closes = drops).
 */
#ifndef PTM_TESTS_SOAK_HOG_H
#define PTM_TESTS_SOAK_HOG_H

#include "tests/lib/e2e.h"
#include "tests/soak/soak_flooder.h"

/* Start a hog as the paired remote `name` of p: 0 or -1.  Stop it with
 * soak_flooder_stop; it is ready once its first session has sent 1000
 * requests. */
int soak_hog_start(e2e_pump *p, const char *name, struct soak_flooder *f);

#endif
