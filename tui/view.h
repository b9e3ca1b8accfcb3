/*
 * tui/view.h — draws the handheld in the terminal: the only file in ptm
 * that includes curses.  It lays out the text the model renders
 * (struct hh_view), the lessons and the key table as a device: a screen,
 * a row of indicator lights, a large DOSE button, the keys.
 *
 * Works from 80x24 up, redraws on resize, honours NO_COLOR and works on a
 * monochrome terminal (attributes instead of colours), UTF-8 with an ASCII
 * fallback.  Input: view_key reads without blocking, so the caller can
 * drive it from a libuv poll on fd 0.
 *
 * Memory: struct view is opaque, owned by the caller (view_open ..
 * view_close); view_close restores the terminal.
 */
#ifndef PTM_TUI_VIEW_H
#define PTM_TUI_VIEW_H

#include "tui/hh.h"
#include "tui/lessons.h"

#define VIEW_MIN_COLS 80
#define VIEW_MIN_ROWS 24
#define VIEW_NO_KEY   (-1)  /* nothing waiting */
#define VIEW_SKIP     (-2)  /* input consumed that means nothing: read on */

typedef struct view view;

struct view_opts {
	int ascii;        /* 1: ASCII only (also chosen when the locale is not UTF-8) */
	int training;     /* 1: show the training keys and the lesson panel */
	int no_color;     /* 1: no colours (NO_COLOR is read by the caller) */
	const char *title;  /* the frame's title (NULL: the patient remote's) */
	const char *footer; /* the keys line (NULL: keys_footer's) */
	int no_button;      /* 1: no DOSE button (the clinician's programmer) */
};

/* Start curses on the terminal.  Returns 0 and *out, or -ENOTTY / -ENOMEM. */
int view_open(const struct view_opts *o, view **out);
/* End curses and restore the terminal; NULL is fine. */
void view_close(view *v);

/* Draw everything.  ls may be NULL (not training).  clear: repaint the
 * whole terminal (after a resize or Ctrl-L).  Returns the rows the body
 * had (hh_set_body_rows), 0 when the terminal is too small. */
int view_draw(view *v, const struct hh_view *hv, const lessons *ls, int clear);

/* The next key (printable ASCII or KEYS_*), VIEW_NO_KEY when none is
 * waiting, VIEW_SKIP for input that means nothing (read on).  Mouse clicks on the DOSE button / ALARM light become
 * KEYS_CLICK_BOLUS / KEYS_CLICK_SILENCE. */
int view_key(view *v);
/* Every key waiting (VIEW_SKIP left out) to fn, until fn returns nonzero
 * (it quits).  1 when stdin was readable but held nothing and the
 * terminal hung up: the caller quits; else 0. */
int view_drain(view *v, int (*fn)(void *ud, int key), void *ud);

/* The terminal changed size: take the new size (redraw after). */
void view_resize(view *v);

/* Ring the terminal bell n times. */
void view_bell(view *v, int n);

#endif
