/*
 * tools/scenario/scnpump.h — a private pumpd: a temporary directory, `pumpd
 * init` there, named remotes with key files paired with `pumpd pair`, `pumpd
 * run` on a unix socket in it; started, stopped, killed, waited for.  The
 * scenario runner's pump, and the tests' (tests/lib/e2e_pump.c).
 *
 *   struct scnpump p;  scnpump_init(&p, "build/pumpd", 10000);
 *   scnpump_create(&p, &setup, why, n);   // dir, init, the setup's remotes
 *   scnpump_start(&p, why, n);            // run, wait for READY
 *   scnpump_pair(&p, "patient2", "patient", why, n);   // one more remote
 *   ... scnpump_stop(&p, SIGKILL); scnpump_start(&p, ...) ...
 *   scnpump_destroy(&p, keep);            // stop, remove the dir, zero keys
 *
 * The directory DIR: DIR/pump (pumpd's state), DIR/pump.sock, DIR/pumpd.log
 * (the output of pumpd run, and of init and pair unless cmd_out says
 * otherwise), DIR/keys/NAME.key|.pub.
 * Readiness is pumpd's READY line on a pipe (never a sleep); every child
 * dies with the process that started it (PR_SET_PDEATHSIG).
 *
 * Errors: -1 with a message for a person in why.  Memory: everything is in
 * the struct (the caller's), but a setup's run_args and cmd_out, which must
 * outlive it; the remotes' private keys are secret and zeroed by
 * scnpump_destroy.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNPUMP_H
#define PTM_TOOLS_SCENARIO_SCNPUMP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "crypto/keys.h"

#define SCNPUMP_PATH_MAX 192     /* a path in the directory (a socket's
                                    must fit in 108 bytes) */
#define SCNPUMP_ADDR_MAX 256
#define SCNPUMP_REMOTES_MAX 16
#define SCNPUMP_NAME_MAX 32

/* A remote to pair: its name (letters, digits, '-', '_') and role
 * ("patient", "clinician", "tester"). */
struct scnpump_pairing {
	const char *name;
	const char *role;
};

struct scnpump_setup {
	const char *dir_name;    /* DIR is $TMPDIR/NAME-XXXXXX; NULL: "ptmctl" */
	const char *rx_text;     /* prescription text, or NULL */
	const char *rx_path;     /* prescription file, or NULL (both NULL: the default) */
	uint64_t start_ms;       /* pumpd init --start; 0 = its default (now) */
	uint64_t volume_nl;      /* pumpd init --volume-ml; 0 = full */
	const char *const *init_args;   /* more `pumpd init` arguments, or NULL */
	const char *const *run_args;    /* `pumpd run` arguments after STATE
	                                   --unix SOCK --ready-fd 3 (e.g. --sim
	                                   --speed 0), or NULL; kept, not copied */
	const struct scnpump_pairing *remotes;   /* paired after init, in order */
	unsigned n_remotes;
};
/* (argument lists: NULL-terminated, at most 16 each) */

struct scnpump_remote {
	char name[SCNPUMP_NAME_MAX];
	char role[16];
	char key_path[SCNPUMP_PATH_MAX];  /* DIR/keys/NAME.key (mode 0600) */
	char pub_path[SCNPUMP_PATH_MAX];  /* DIR/keys/NAME.pub */
	uint8_t pub[KEYS_LEN];
};

struct scnpump {
	const char *pumpd;                /* program: a path, or a name in PATH */
	uint32_t timeout_ms;              /* each pumpd command, READY, a stop */
	/* called in each child before it runs pumpd (e.g. to change user), or
	 * NULL; it may _exit(126) when it cannot do its part */
	void (*child_setup)(void *ud);
	void *child_ud;
	/* where the output of `pumpd init` and `pair` goes: this buffer (the
	 * last command's, NUL-terminated), or the log when NULL */
	char *cmd_out;
	size_t cmd_cap;
	const char *const *run_args;      /* from the setup */
	char tmp[SCNPUMP_PATH_MAX];       /* the private directory ("" if none) */
	char state[SCNPUMP_PATH_MAX];     /* tmp/pump: pumpd's state directory */
	char sock[SCNPUMP_PATH_MAX];      /* tmp/pump.sock */
	char log[SCNPUMP_PATH_MAX];       /* tmp/pumpd.log */
	char addr[SCNPUMP_ADDR_MAX];      /* the READY line's first address */
	char ready[SCNPUMP_ADDR_MAX];     /* all of its addresses, as written */
	pid_t pid;                        /* running pumpd, 0 if none */
	uint8_t pump_pub[KEYS_LEN];
	unsigned n_remotes;
	struct scnpump_remote remote[SCNPUMP_REMOTES_MAX];
	uint8_t priv[SCNPUMP_REMOTES_MAX][KEYS_LEN];  /* secret: remote[i]'s key */
};

/* Empty, for pumpd with this timeout (0 = 10 s). */
void scnpump_init(struct scnpump *p, const char *pumpd, uint32_t timeout_ms);

/* Make the directory, the pump and the setup's remotes (does not start
 * it). */
int scnpump_create(struct scnpump *p, const struct scnpump_setup *s,
                   char *why, size_t n);

/* A fresh key pair NAME in DIR/keys, paired with role by `pumpd pair` (as
 * a user would; through the daemon when it runs): the next remote[]. */
int scnpump_pair(struct scnpump *p, const char *name, const char *role,
                 char *why, size_t n);

/* The index of the remote called name in remote[] and priv[], or -1. */
int scnpump_find(const struct scnpump *p, const char *name);

/* Start `pumpd run` and wait for READY. */
int scnpump_start(struct scnpump *p, char *why, size_t n);

/* Send sig (SIGTERM: clean, SIGKILL: a crash) and reap (SIGKILL when it
 * still runs after the timeout).  Returns the wait status (0: exited 0),
 * or 0 when it was not running. */
int scnpump_stop(struct scnpump *p, int sig);

/* Wait up to ms for pumpd to exit by itself: its wait status, or -1 when
 * it was not running or still ran (then it is killed). */
int scnpump_wait(struct scnpump *p, uint32_t ms);

/* Run `pumpd ARGS...` (args NULL-terminated, at most 30) to its end within
 * the timeout.  Its output (stdout and stderr) goes to out (cap bytes,
 * NUL-terminated, cut short if longer) or, when out is NULL, to the log.
 * Returns its wait status, or -1 with why (it could not start, or still
 * ran at the deadline and was killed).  Needs no directory (scnpump_init
 * is enough). */
int scnpump_command(struct scnpump *p, const char *const *args, char *out,
                    size_t cap, char *why, size_t n);

/* "exited with status 1", "killed by signal 9" ... for a wait status. */
void scnpump_describe(int status, char *buf, size_t n);

/* The last lines of pumpd's log, each passed to line(ud, text). */
void scnpump_log_tail(const struct scnpump *p, void (*line)(void *ud, const char *text),
                      void *ud);

/* Stop pumpd (SIGTERM) if it runs, remove the directory unless keep, zero
 * the keys.  Returns the stop's wait status. */
int scnpump_destroy(struct scnpump *p, int keep);

#endif
