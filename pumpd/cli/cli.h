/*
 * pumpd/cli/cli.h — what pumpd's subcommands (pumpd/cli/cmd_*.c) share: exit
 * codes, usage errors, option parsing, number parsing, opening the state.
 * Messages go to stderr, prefixed "pumpd CMD: ".
 */
#ifndef PTM_PUMPD_CLI_H
#define PTM_PUMPD_CLI_H

#include <getopt.h>
#include <stdint.h>

#include "pumpd/statelock.h"
#include "pumpd/store.h"

#define CLI_OK    0   /* done */
#define CLI_RUN   1   /* a runtime error (a file, the database, an address) */
#define CLI_USAGE 2   /* a bad command line or input file */
#define CLI_NOT_RUNNING 3  /* pumpd status: no pumpd serves the directory */

/* Print "pumpd CMD: <message>" and a hint to --help; returns CLI_USAGE. */
int cli_usage_error(const char *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/* Strict unsigned decimal: digits only, no sign, at most max.  0 or -1. */
int cli_parse_uint(const char *s, uint64_t max, uint64_t *out);

/* getopt_long over argv (argv[0] is the command name) with permutation, so
 * options may follow positional arguments, which are collected into pos[]
 * (at most maxpos, *npos of them).  on_opt(ud, val, optarg) handles each
 * option and returns 0 or an exit code.  Returns 0, -1 for --help/-h (the
 * caller prints its usage), or an exit code after printing why. */
int cli_getopts(int argc, char **argv, const struct option *opts,
                const char *cmd, int (*on_opt)(void *, int, const char *),
                void *ud, const char **pos, int maxpos, int *npos);

/* One subcommand (pumpd/cli/cmd_NAME.c), table-driven: cli_cmd_run parses
 * its command line (options into a fresh ud of ud_size bytes, a copy of
 * ud_init or zeros; minpos..maxpos positional arguments, else "needs
 * <what>"), prints usage for --help, then calls go. */
struct cli_cmd {
	const char *name;                 /* "pair" */
	const char *usage;                /* printed for --help */
	const char *what;                 /* "the state directory" */
	const struct option *opts;        /* NULL: none but --help */
	int (*on_opt)(void *ud, int c, const char *arg);  /* or cli_opt_str */
	size_t ud_size;
	const void *ud_init;              /* NULL: zeros */
	int minpos, maxpos;               /* maxpos <= 4 */
	int (*go)(const char **pos, int npos, void *ud);
};
/* An on_opt for options that each take a string: val i (CLI_OPT_STR..;
 * getopt takes 1 for positionals) keeps its argument in ud[i]. */
#define CLI_OPT_STR 2
int cli_opt_str(void *ud, int c, const char *arg);
/* The exit code: go's, CLI_OK after --help, CLI_USAGE or CLI_RUN. */
int cli_cmd_run(const struct cli_cmd *c, int argc, char **argv);

/* How long a command waits for a pumpd that holds the state directory but
 * does not answer on its control socket yet (it is starting). */
#define CLI_CONTROL_WAIT_MS 10000

/* Before a command touches the state directory (mode: STATEDIR_READ or
 * _WRITE): 1 when no pumpd runs there and *lk now holds its lock (use the
 * store yourself, then statelock_release; a reader that cannot lock gets 1
 * with lk->fd -1), 0 when a running pumpd holds it (ask it with
 * cli_control: it is the only writer while it runs), -1 after printing
 * why. */
int cli_state(const char *dir, const char *cmd, int mode, struct statelock *lk);

/* Open the state (statedir_open: every cheap check, the key binding) with
 * the lock held; fills pump_pub when not NULL.  NULL after printing why. */
struct store *cli_open_store(const char *dir, const char *cmd, int mode,
                             uint8_t pump_pub[32]);

/* One request to the pumpd running on dir (pumpd/control.h): its reply
 * printed on stdout, its error on stderr.  The exit code. */
int cli_control(const char *dir, const char *cmd, const char *line,
                const char *body, size_t len);

/* A command on the state directory dir: sent to the pumpd running there as
 * the control line (and body), or, when none runs, carried out by local on
 * the store opened under the lock (mode as cli_state).  The exit code:
 * local's, cli_control's, or CLI_RUN after printing why. */
int cli_on_state(const char *dir, const char *cmd, int mode, const char *line,
                 const char *body, size_t len,
                 int (*local)(struct store *st, const void *ud), const void *ud);

/* The pump's time as its state knows it: the later of the stored pump
 * time and the newest audit row's (a running pumpd stamps rows with its
 * clock, which may be ahead of the last save); -1 when unreadable.  A
 * simulated pump's time is not the wall clock, so a command's audit row
 * takes this one, keeping the log in time order. */
int64_t cli_pump_time(struct store *st);

#endif
