/*
 * pumpd/cli/cmd.h — pumpd's subcommands, one a file (pumpd/cli/cmd_NAME.c), each
 * called with argv[0] = its name and returning the exit status (pumpd/cli/cli.h:
 * 0 ok, 1 runtime error, 2 usage error).  pumpd/cli/main.c picks one.
 */
#ifndef PTM_PUMPD_CMD_H
#define PTM_PUMPD_CMD_H

int cmd_init(int argc, char **argv);     /* init DIR [--rx F] [--start T] ... */
int cmd_pair(int argc, char **argv);     /* pair DIR --role R --name N KEY */
int cmd_unpair(int argc, char **argv);   /* unpair DIR NAME */
int cmd_remotes(int argc, char **argv);  /* remotes DIR */
int cmd_rx(int argc, char **argv);       /* rx DIR [FILE] */
int cmd_run(int argc, char **argv);      /* run DIR [options] */
int cmd_status(int argc, char **argv);   /* status DIR */

#endif
