/*
 * tui/opts.h — ptm's command line: the options and their environment
 * variables, --help, --version and --keygen.
 */
#ifndef PTM_TUI_OPTS_H
#define PTM_TUI_OPTS_H

#include <stdint.h>
#include <stdio.h>

struct opts {
	const char *pump, *key, *pump_key, *tester_key, *keygen;
	const char *record;      /* --record FILE, or NULL */
	const char *pump_src;    /* "--pump" or "PTM_PUMP", for messages */
	int train, ascii, battery;
	int clinician;           /* --clinician: the clinician's programmer */
	uint64_t battery_life_ms; /* --remote-battery-life, 0: the default */
	uint32_t battery_requests;/* --remote-battery-requests, 0: the default */
};

/* Fill *o from argv and the environment.  0 to run; 1 when --help or
 * --version printed what was asked (exit 0); -1 after a usage error was
 * printed (exit 2). */
int opts_parse(int argc, char **argv, struct opts *o);

/* ptm --keygen DIR/NAME[.key]: write the pair, print the public key.  The
 * exit code. */
int opts_keygen(const char *path);

#endif
