/*
 * tests/lib/ctlpump.h — the fixture of the suites that run ptmctl against a
 * private pump (Criterion): the program, the pump, its address and its
 * public key file, and the argument lists that name them.
 *
 *   static struct ctlpump F;
 *   ctlpump_start(&F, NULL);                 // in .init
 *   prog_run(&c, F.ptmctl, CTLPUMP_AS(&F, "patient", "status"), NULL);
 *   ctlpump_stop(&F);                        // in .fini
 */
#ifndef PTM_TESTS_LIB_CTLPUMP_H
#define PTM_TESTS_LIB_CTLPUMP_H

#include "tests/lib/e2e.h"

struct ctlpump {
	char ptmctl[512];       /* $PTM_BUILD/ptmctl */
	e2e_pump *pump;
	char pump_key[600];     /* the pump's public key file */
	char addr[600];         /* the pump's address */
};

/* ptmctl found (else the test is skipped) and a pump started with rx_text
 * (NULL: the default prescription). */
void ctlpump_start(struct ctlpump *f, const char *rx_text);
void ctlpump_stop(struct ctlpump *f);

/* The suites' fixture: ctlpump_F, started with the default prescription
 * by ctlpump_setup (a Criterion .init) and stopped by ctlpump_teardown
 * (.fini). */
extern struct ctlpump ctlpump_F;
void ctlpump_setup(void);
void ctlpump_teardown(void);

/* ptmctl's arguments as remote who: the pump's address, who's key file and
 * the pump's key file, then the rest. */
#define CTLPUMP_AS(f, who, ...) ((const char *const[]){ "--pump", (f)->addr, \
	"--key", e2e_key_path((f)->pump, who, 0), "--pump-key", (f)->pump_key, \
	__VA_ARGS__, NULL })

#endif
