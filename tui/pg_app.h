/*
 * tui/pg_app.h — the clinician's programmer's loop: the terminal, the link
 * to the pump and the programmer's screens (tui/pg.h), drawn by tui/view.c
 * once per loop turn when something changed; no polling.
 */
#ifndef PTM_TUI_PG_APP_H
#define PTM_TUI_PG_APP_H

#include <uv.h>

#include "net/client.h"
#include "tui/view.h"

/* Run the programmer on loop with the link's config (address and keys set;
 * callbacks and ud are the programmer's) until the user quits; train: with
 * the clinician's lessons (tui/pg_lessons.h), their list first.  0, or 1
 * when the terminal or the link cannot start (said on stderr). */
int pg_app_run(uv_loop_t *loop, const struct client_config *cc,
               const struct view_opts *vo, int train);

#endif
