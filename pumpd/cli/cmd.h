/*
 * pumpd/cli/cmd.h — pumpd's subcommands, one a file (pumpd/cli/cmd_NAME.c), each
 * a table row (struct cli_cmd) that pumpd/cli/main.c picks and runs.
 */
#ifndef PTM_PUMPD_CMD_H
#define PTM_PUMPD_CMD_H

#include "pumpd/cli/cli.h"

extern const struct cli_cmd cmd_init;     /* init DIR [--rx F] [--start T] ... */
extern const struct cli_cmd cmd_pair;     /* pair DIR --role R --name N KEY */
extern const struct cli_cmd cmd_unpair;   /* unpair DIR NAME */
extern const struct cli_cmd cmd_remotes;  /* remotes DIR */
extern const struct cli_cmd cmd_rx;       /* rx DIR [FILE] */
extern const struct cli_cmd cmd_run;      /* run DIR [options] */
extern const struct cli_cmd cmd_status;   /* status DIR */

#endif
