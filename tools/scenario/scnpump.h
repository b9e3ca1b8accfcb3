/*
 * tools/scenario/scnpump.h — a scenario's own hermetic pumpd: a private temporary
 * directory, `pumpd init` there (the scenario's prescription, volume and
 * start time), a fresh key pair per role paired with `pumpd pair`, then
 * `pumpd run --sim --speed 0` on a unix socket in that directory.  Readiness
 * is pumpd's READY line on a pipe (never a sleep); children die with us
 * (PR_SET_PDEATHSIG).  pumpd's stdout and stderr go to DIR/pumpd.log.
 *
 *   struct scnpump p;  scnpump_init(&p, "build/pumpd", 10000);
 *   scnpump_create(&p, &setup, why, n);   // dir, init, keys, pair
 *   scnpump_start(&p, why, n);            // run, wait for READY
 *   ... scnpump_stop(&p, SIGKILL); scnpump_start(&p, ...) ...
 *   scnpump_destroy(&p, keep);            // stop, remove the dir, zero keys
 *
 * Errors: -1 with a message for a person in why.  Memory: everything is in
 * the struct (the caller's); the role keys are secret and zeroed by
 * scnpump_destroy.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNPUMP_H
#define PTM_TOOLS_SCENARIO_SCNPUMP_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/keys.h"
#include "tools/scenario/scnstep.h"

#define SCNPUMP_ADDR_MAX 256

struct scnpump_setup {
	const char *rx_text;    /* prescription text, or NULL */
	const char *rx_path;    /* prescription file, or NULL (both NULL: the default) */
	uint64_t start_ms;      /* pumpd init --start; 0 = its default (now) */
	uint64_t volume_nl;     /* pumpd init --volume-ml; 0 = full */
};

struct scnpump {
	const char *pumpd;                /* program: a path, or a name in PATH */
	uint32_t timeout_ms;              /* for each pumpd command and for READY */
	char tmp[PATH_MAX];               /* the private directory ("" if none) */
	char state[PATH_MAX];             /* tmp/pump: pumpd's state directory */
	char sock[PATH_MAX];              /* tmp/pump.sock */
	char log[PATH_MAX];               /* tmp/pumpd.log */
	char addr[SCNPUMP_ADDR_MAX];      /* from the READY line */
	pid_t pid;                        /* running pumpd, 0 if none */
	uint8_t pump_pub[KEYS_LEN];
	uint8_t priv[SCN_ROLES][KEYS_LEN];/* secret */
};

/* Empty, for pumpd with this timeout (0 = 10 s). */
void scnpump_init(struct scnpump *p, const char *pumpd, uint32_t timeout_ms);

/* Make the directory, the pump and the role keys (does not start it). */
int scnpump_create(struct scnpump *p, const struct scnpump_setup *s,
                   char *why, size_t n);

/* Start `pumpd run` and wait for READY. */
int scnpump_start(struct scnpump *p, char *why, size_t n);

/* Send sig (SIGTERM: clean, SIGKILL: a crash) and reap.  Returns the wait
 * status (0: exited 0), or 0 when it was not running. */
int scnpump_stop(struct scnpump *p, int sig);

/* "exited with status 1", "killed by signal 9" ... for a wait status. */
void scnpump_describe(int status, char *buf, size_t n);

/* The last lines of pumpd's log, each passed to line(ud, text). */
void scnpump_log_tail(const struct scnpump *p, void (*line)(void *ud, const char *text),
                      void *ud);

/* Stop pumpd (SIGTERM) if it runs, remove the directory unless keep, zero
 * the keys.  Returns the stop's wait status. */
int scnpump_destroy(struct scnpump *p, int keep);

#endif
