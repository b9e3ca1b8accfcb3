/*
 * tools/ctl.h — what ptmctl's subcommands share: the global options, exit
 * codes, the request helper and the human-readable printer.
 *
 * Each subcommand is `int ctl_cmd_NAME(struct ctl_opts *o, int argc,
 * char **argv)` with argv[0] the subcommand's name; it returns an exit
 * code (enum ctl_exit).  The table lives in ptmctl.c.
 */
#ifndef PTM_TOOLS_CTL_H
#define PTM_TOOLS_CTL_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "net/msg.h"

/* Exit codes (ptmctl(1), EXIT STATUS). */
enum ctl_exit {
	CTL_EXIT_OK       = 0, /* done; a bolus was granted */
	CTL_EXIT_REFUSED  = 1, /* the pump refused (error reply or a bolus not
	                          granted); scenarios: a test failed */
	CTL_EXIT_USAGE    = 2, /* bad command line, unreadable file */
	CTL_EXIT_PROTOCOL = 3, /* handshake/authentication or protocol failure */
	CTL_EXIT_CONNECT  = 4, /* cannot connect, no reply in time, the link
	                          broke, or the output could not be written */
};

struct ctl_opts {
	const char *prog;          /* argv[0] of ptmctl, for messages */
	const char *self;          /* path of the running executable (may be NULL) */
	const char *pump;          /* --pump / PTM_PUMP */
	const char *pump_src;      /* "--pump" or "PTM_PUMP", for messages */
	const char *key;           /* --key / PTM_KEY */
	const char *pump_key;      /* --pump-key / PTM_PUMP_KEY */
	int json;                  /* --json */
	int state;                 /* --state: the state block after a human
	                              answer (status always has it) */
	uint32_t timeout_ms;       /* --timeout, 0 = default */
	int has_id;                /* --id N given */
	uint64_t id;
	FILE *out;                 /* stdout */
	FILE *err;                 /* stderr */
};

/* The pump's address given and well formed: 0, or a usage error printed
 * ("ptmctl: --pump 'bogus:x': not an address; use unix:PATH or
 * tcp:HOST:PORT") and CTL_EXIT_USAGE.  Checked before the keys. */
int ctl_check_pump(struct ctl_opts *o, const char *sub);

struct keys_secret;

/* Load this remote's private key (--key) and the pump's public key
 * (--pump-key, KEYS_LEN bytes into pub): 0, or the key file's error
 * printed ("ptmctl SUB: ...", "ptmctl: ..." when sub is NULL), nothing
 * kept, and CTL_EXIT_USAGE.  Free *sec with keys_secret_free. */
int ctl_load_keys(struct ctl_opts *o, const char *sub, struct keys_secret **sec, uint8_t *pub);

/* What every session needs, checked and loaded in this order: the pump's
 * address (ctl_check_pump), --key (its message says whose key it must be,
 * e.g. "this remote's private key"), --pump-key, then both keys
 * (ctl_load_keys).  0, or the first error printed and its exit code. */
int ctl_session_keys(struct ctl_opts *o, const char *whose,
                     struct keys_secret **sec, uint8_t *pub);

/* Standard output after a command: if it could not be written (a closed
 * pipe, a full disk), say so and return CTL_EXIT_CONNECT (what the pump
 * answered did not reach the caller); else rc. */
int ctl_check_output(struct ctl_opts *o, int rc);

/* Send req with the global options (keys loaded, zeroed after) and print
 * the reply (JSON or human).  Returns the exit code. */
int ctl_request(struct ctl_opts *o, struct msg_request *req);

/* STATUS with its delivery block when the key's role gets it (HELLO
 * first, one session; ctl_report.c): 0 with *out, or an exit code
 * (printed). */
int ctl_status_fetch(struct ctl_opts *o, struct msg_reply *out);

/* Exit code for a client_call status, or for a reply. */
int ctl_exit_for_status(int status);
int ctl_exit_for_reply(const struct msg_reply *r);

/* Human-readable output (ctl_print.c).  A reply is printed as its answer
 * (STATUS: the state block and the counts); with_state adds the state
 * block after any other answer. */
void ctl_print_reply(FILE *f, const struct msg_reply *r, int with_state);
void ctl_print_state(FILE *f, const struct msg_state *s);
void ctl_print_notify(FILE *f, const struct msg_notify *n);

/* usage error helper: prints "ptmctl SUB: msg" and the usage hint;
 * returns CTL_EXIT_USAGE */
int ctl_usage_error(struct ctl_opts *o, const char *sub, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* subcommands */
int ctl_cmd_request(struct ctl_opts *o, int argc, char **argv); /* every pump request */
int ctl_cmd_watch(struct ctl_opts *o, int argc, char **argv);
int ctl_cmd_keygen(struct ctl_opts *o, int argc, char **argv);
int ctl_cmd_paircode(struct ctl_opts *o, int argc, char **argv);
int ctl_cmd_run(struct ctl_opts *o, int argc, char **argv);
int ctl_cmd_report(struct ctl_opts *o, int argc, char **argv); /* ctl_report.c */
int ctl_cmd_log(struct ctl_opts *o, int argc, char **argv);

#endif
