/*
 * tui/keys.h — the handheld's key and mouse bindings: a table of keys and
 * actions (htop style).  An action changes the model (tui/hh.h, the
 * lessons) and returns what to redraw; anything that needs the link (a
 * request to the pump) is handed back to the caller as a command.
 *
 * Keys are plain ints: printable ASCII as itself, the rest KEYS_*.  The
 * view (the only curses file) translates curses keys and mouse clicks on
 * the drawn button into these.  No curses, no libuv here.
 */
#ifndef PTM_TUI_KEYS_H
#define PTM_TUI_KEYS_H

#include <stdint.h>

#include "tui/hh.h"
#include "tui/lessons.h"

enum {
	KEYS_ENTER = 0x1000,
	KEYS_ESC,
	KEYS_BACKSPACE,
	KEYS_REFRESH,         /* Ctrl-L */
	KEYS_CLICK_BOLUS,     /* a mouse click on the DOSE button */
	KEYS_CLICK_SILENCE,   /* a click on the ALARM light */
	KEYS_RESIZE,          /* the terminal changed size */
	KEYS_UP,              /* arrows and pages: scroll the alarm or history screen */
	KEYS_DOWN,
	KEYS_PGUP,
	KEYS_PGDN,
};

/* what the caller must do on the link after an action */
enum keys_cmd {
	KEYS_CMD_NONE = 0,
	KEYS_CMD_BOLUS,       /* send MSG_BOLUS, report with hh_bolus_reply */
	KEYS_CMD_SILENCE,     /* send MSG_SILENCE 0, report with hh_silence_reply */
	KEYS_CMD_HISTORY,     /* send MSG_HISTORY, report with hh_history_reply */
	KEYS_CMD_STATUS,      /* send MSG_STATUS */
	KEYS_CMD_SKIP,        /* tester: move the simulated clock to the next dose */
	KEYS_CMD_LESSON,      /* perform lesson action ctx->arg (enum lessons_do) */
	KEYS_CMD_OVER,        /* tester: start the training pump over */
	KEYS_CMD_QUIT,
};

/* what to redraw */
#define KEYS_R_NONE  0
#define KEYS_R_DRAW  1    /* draw the screen again */
#define KEYS_R_CLEAR 2    /* clear the terminal and draw everything */

struct keys_ctx {
	hh *h;                /* the model (not owned) */
	lessons *ls;          /* training progress, NULL when not training */
	int tester;           /* 1: a tester key is loaded (time skip works) */
	uint64_t now;         /* local ms */
	int cmd;              /* out: enum keys_cmd */
	int arg;              /* out: the command's argument */
};

/* Run the action bound to key.  Returns KEYS_R_*; sets ctx->cmd/arg. */
int keys_dispatch(struct keys_ctx *ctx, int key);

struct keys_help {
	const char *keys;     /* "Space, Enter" */
	const char *what;     /* "ask the pump for a dose" */
	int training;         /* 1: only in training mode */
};

/* The help table (every key), n entries. */
const struct keys_help *keys_help_table(int *n);

/* The key reminders for the bottom of the device: line 0 always, line 1
 * (the training keys) in training mode. */
const char *keys_footer(int which);

#endif
