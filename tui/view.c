/*
 * tui/view.c — the handheld drawn with curses (see view.h).  The only file
 * that includes curses.
 *
 * Layout of the device (80 columns; rows from the top of the device, which
 * fills an 80x24 terminal and grows with a taller one):
 *    0        frame with the title and the pump clock
 *    1        top of the screen, with the screen's title
 *    2        headline: can I take a dose now?           (reverse video)
 *    3        alarm line: is something wrong?
 *    4        the last request's result
 *    5..B     body (11 rows at 24): the current screen; in training the
 *             lesson panel takes its last rows (a rule with the lesson's
 *             title, what to do, a hint)
 *    B+1      bottom of the screen, with the link state in it
 *    B+2      indicator lights
 *    B+3      (a blank row, not in training)
 *    ..       the DOSE button (3 rows)
 *    ..       the keys (two lines in training), then the frame
 * Body lines that do not fit go by rank (hh_view_fit): at 80x24 in
 * training nothing a patient must act on is cut.
 */
#include "tui/view.h"

#include <errno.h>
#include <langinfo.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <curses.h>

#include "tui/keys.h"

#define DEV_W 80
#define VIEW_EXTRA_MAX 21   /* rows the device grows by on a taller terminal */

struct view {
	SCREEN *scr;                /* ours (newterm): delscreen frees it all */
	int ascii;
	int training;
	int color;
	const char *title, *footer;
	int no_button;
	int oy, ox;                 /* device origin */
	int rows;                   /* device height */
	/* hit boxes (screen coordinates) */
	int btn_y0, btn_y1, btn_x0, btn_x1;
	int alm_y, alm_x0, alm_x1;
};

enum { P_GOOD = 1, P_WAIT, P_WARN, P_ALERT, P_DIM };

static attr_t tone_attr(const view *v, int tone)
{
	switch (tone) {
	case HH_TONE_GOOD:
		return A_BOLD | (v->color ? COLOR_PAIR(P_GOOD) : 0);
	case HH_TONE_WAIT:
		return A_BOLD | (v->color ? COLOR_PAIR(P_WAIT) : 0);
	case HH_TONE_WARN:
		return A_BOLD | (v->color ? COLOR_PAIR(P_WARN) : A_UNDERLINE);
	case HH_TONE_ALERT:
		return A_BOLD | (v->color ? COLOR_PAIR(P_ALERT) : A_REVERSE);
	default:
		return A_NORMAL;
	}
}

static int utf8_locale(void)
{
	const char *cs = nl_langinfo(CODESET);
	return cs && (strcmp(cs, "UTF-8") == 0 || strcmp(cs, "utf8") == 0);
}

int view_open(const struct view_opts *o, view **out)
{
	if (!isatty(0) || !isatty(1))
		return -ENOTTY;
	view *v = calloc(1, sizeof *v);
	if (!v)
		return -ENOMEM;
	v->ascii = o->ascii || !utf8_locale();
	v->training = o->training;
	v->title = o->title;
	v->footer = o->footer;
	v->no_button = o->no_button;
	set_escdelay(25);
	/* newterm, not initscr: with the SCREEN in hand view_close can free
	 * it, so valgrind finds nothing of curses' left at exit */
	v->scr = newterm(NULL, stdout, stdin);
	if (!v->scr) {
		free(v);
		return -ENOTTY;
	}
	set_term(v->scr);
	cbreak();
	noecho();
	nonl();
	keypad(stdscr, TRUE);
	nodelay(stdscr, TRUE);
	curs_set(0);
	mousemask(BUTTON1_CLICKED | BUTTON1_PRESSED | BUTTON1_RELEASED, NULL);
	mouseinterval(0);
	if (!o->no_color && has_colors()) {
		start_color();
		use_default_colors();
		init_pair(P_GOOD, COLOR_GREEN, -1);
		init_pair(P_WAIT, COLOR_YELLOW, -1);
		init_pair(P_WARN, COLOR_YELLOW, -1);
		init_pair(P_ALERT, COLOR_RED, -1);
		init_pair(P_DIM, COLOR_BLUE, -1);
		v->color = 1;
	}
	*out = v;
	return 0;
}

void view_close(view *v)
{
	if (!v)
		return;
	endwin();
	delscreen(v->scr);
	free(v);
}

void view_resize(view *v)
{
	(void)v;
	struct winsize ws;
	if (ioctl(1, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
		resize_term(ws.ws_row, ws.ws_col);
}

void view_bell(view *v, int n)
{
	(void)v;
	for (int i = 0; i < n; i++)
		beep();
}

/* ---- drawing primitives (device coordinates) ------------------------------ */

static void text(view *v, int y, int x, attr_t a, const char *s, int maxw)
{
	if (maxw <= 0)
		return;
	attron(a);
	mvaddnstr(v->oy + y, v->ox + x, s, maxw);
	attroff(a);
}

static void hline_at(view *v, int y, int x, int w, int dbl)
{
	move(v->oy + y, v->ox + x);
	for (int i = 0; i < w; i++) {
		if (v->ascii)
			addch(dbl ? '=' : '-');
		else
			addstr(dbl ? "\u2550" : "\u2500");
	}
}

/* a box from (y0,x0) to (y1,x1) inclusive */
static void box_at(view *v, int y0, int x0, int y1, int x1, int dbl)
{
	static const char *const uni[2][6] = {
		{ "\u250c", "\u2510", "\u2514", "\u2518", "\u2502", "\u2500" },
		{ "\u2554", "\u2557", "\u255a", "\u255d", "\u2551", "\u2550" },
	};
	static const char *const asc[2][6] = {
		{ "+", "+", "+", "+", "|", "-" },
		{ "#", "#", "#", "#", "#", "=" },
	};
	const char *const *c = v->ascii ? asc[dbl] : uni[dbl];
	mvaddstr(v->oy + y0, v->ox + x0, c[0]);
	hline_at(v, y0, x0 + 1, x1 - x0 - 1, dbl);
	mvaddstr(v->oy + y0, v->ox + x1, c[1]);
	for (int y = y0 + 1; y < y1; y++) {
		mvaddstr(v->oy + y, v->ox + x0, c[4]);
		mvaddstr(v->oy + y, v->ox + x1, c[4]);
	}
	mvaddstr(v->oy + y1, v->ox + x0, c[2]);
	hline_at(v, y1, x0 + 1, x1 - x0 - 1, dbl);
	mvaddstr(v->oy + y1, v->ox + x1, c[3]);
}

/* word-wrap s into at most maxl lines of width w at (y, x); returns lines
 * used (v NULL: only count them) */
static int wrap(view *v, int y, int x, int w, int maxl, attr_t a, const char *s)
{
	int used = 0;
	while (*s && used < maxl) {
		const char *rest;
		int n = (int)hh_fmt_wrap(s, (size_t)w, &rest);
		if (v)
			text(v, y + used, x, a, s, n);
		s = rest;
		used++;
	}
	return used;
}

/* ---- the device ------------------------------------------------------------ */

static const char *const light_names[HH_LIGHT_COUNT] = {
	"Dose started", "Too soon", "Incomplete", "Remote battery", "ALARM",
};

static int light_tone(int i)
{
	switch (i) {
	case HH_LIGHT_DOSE: return HH_TONE_GOOD;
	case HH_LIGHT_LOCKOUT: return HH_TONE_WAIT;
	case HH_LIGHT_ALARM: return HH_TONE_ALERT;
	default: return HH_TONE_WARN;
	}
}

static void draw_lights(view *v, int y, const struct hh_view *hv)
{
	int x = v->ascii ? 3 : 2;     /* "(*)" is wider than a dot: less room between */
	for (int i = 0; i < HH_LIGHT_COUNT; i++) {
		const char *mark = hv->lights[i] ? (v->ascii ? "(*)" : "\u25cf")
		                                 : (v->ascii ? "( )" : "\u25cb");
		attr_t a = hv->lights[i] ? tone_attr(v, light_tone(i)) : A_DIM;
		attron(a);
		mvaddstr(v->oy + y, v->ox + x, mark);
		attroff(a);
		int mw = v->ascii ? 3 : 1;
		text(v, y, x + mw + 1, hv->lights[i] ? A_BOLD : A_NORMAL, light_names[i], 20);
		if (i == HH_LIGHT_ALARM) {
			v->alm_y = v->oy + y;
			v->alm_x0 = v->ox + x;
			v->alm_x1 = v->ox + x + mw + 1 + (int)strlen(light_names[i]);
		}
		x += mw + 1 + (int)strlen(light_names[i]) + (v->ascii ? 1 : 3);
	}
}

static void draw_button(view *v, int y, int pressed_hint)
{
	const int w = 30, x0 = (DEV_W - w) / 2;
	box_at(v, y, x0, y + 2, x0 + w - 1, 1);
	const char *label = "DOSE   (Space / Enter)";
	int lx = x0 + (w - (int)strlen(label)) / 2;
	text(v, y + 1, lx, A_BOLD | (pressed_hint ? A_REVERSE : 0), label, w - 2);
	v->btn_y0 = v->oy + y;
	v->btn_y1 = v->oy + y + 2;
	v->btn_x0 = v->ox + x0;
	v->btn_x1 = v->ox + x0 + w - 1;
}

static void draw_help(view *v, int y, int rows, int w)
{
	int n;
	const struct keys_help *t = keys_help_table(&n);
	int used = 0;
	for (int i = 0; i < n && used < rows; i++) {
		if (t[i].training && !v->training)
			continue;
		text(v, y + used, 4, A_BOLD, t[i].keys, 20);
		text(v, y + used, 25, A_NORMAL, t[i].what, w - 22);
		used++;
	}
}

static void draw_lesson_list(view *v, int y, int rows, int w, const lessons *ls)
{
	char b[HH_TEXT];
	int used = 0;
	text(v, y + used++, 4, A_BOLD, "Lessons: press a number to start one", w);
	for (int i = 0; i < lessons_count() && used < rows; i++) {
		lessons_list_line(ls, i, b, sizeof b);
		text(v, y + used++, 4, lessons_current(ls) == i ? A_BOLD : A_NORMAL, b, w);
	}
	lessons_list_note(ls, b, sizeof b);
	if (b[0] && used + 1 < rows)
		text(v, y + used + 1, 4, A_DIM, b, w);
}

/* the lesson panel: a rule with the lesson's title, what to do (up to two
 * lines), a hint.  Returns the rows it needs (v NULL: draw nothing). */
static int draw_lesson(view *v, int y, int w, const lessons *ls)
{
	int cur = ls ? lessons_current(ls) : -1;
	const struct lessons_lesson *l = lessons_get(cur);
	char b[HH_TEXT * 2];
	if (!l)
		return 0;
	int step = lessons_step(ls), num, total;
	int fin = lessons_finished(ls);
	lessons_step_number(ls, &num, &total);
	if (fin)
		snprintf(b, sizeof b, " Lesson %d done: %s ", cur + 1, l->title);
	else
		snprintf(b, sizeof b, " Lesson %d, step %d of %d: %s ", cur + 1, num, total,
		         l->title);
	if (v) {
		hline_at(v, y, 2, DEV_W - 4, 0);
		text(v, y, 4, A_BOLD, b, w - 2);
	}
	int used = 1;
	if (fin) {
		if (v)
			text(v, y + used, 4, tone_attr(v, HH_TONE_GOOD),
			     "Well done. Press n for the list of lessons.", w);
		return used + 1;
	}
	used += wrap(v, y + used, 4, w, 2, A_BOLD, l->steps[step].say);
	used += wrap(v, y + used, 4, w, 1, A_DIM, l->steps[step].hint);
	return used;
}

/* the body lines of the model's screen that fit in rows */
static void draw_body(view *v, int y, int rows, int w, const struct hh_view *hv)
{
	int idx[HH_LINES];
	char more[HH_TEXT];
	int n = hh_view_fit(hv, rows, idx);
	for (int i = 0; i < n; i++) {
		if (idx[i] == HH_VIEW_SCROLL_ROW) {
			hh_view_scroll_text(hv, rows, more, sizeof more);
			text(v, y + i, 3, A_BOLD, more, w);
		} else {
			text(v, y + i, 3, tone_attr(v, hv->tones[idx[i]]), hv->lines[idx[i]], w);
		}
	}
}

int view_draw(view *v, const struct hh_view *hv, const lessons *ls, int clear)
{
	int rows = LINES, cols = COLS;
	if (clear)
		clearok(curscr, TRUE);
	erase();
	if (rows < VIEW_MIN_ROWS || cols < VIEW_MIN_COLS) {
		/* too small: still say the most important things */
		mvaddnstr(0, 0, hv->headline, cols);
		mvaddnstr(1, 0, hv->alarm_line, cols);
		mvaddnstr(2, 0, hv->message, cols);
		mvaddnstr(3, 0, "Make the window at least 80x24. q: quit", cols);
		v->btn_y0 = v->btn_y1 = -1;
		v->alm_y = -1;
		refresh();
		return 0;
	}
	int extra = rows - VIEW_MIN_ROWS;
	if (extra > VIEW_EXTRA_MAX)
		extra = VIEW_EXTRA_MAX;
	v->rows = VIEW_MIN_ROWS + extra;
	v->oy = (rows - v->rows) / 2;
	v->ox = (cols - DEV_W) / 2;

	const int inner = HH_WIDTH;        /* text width inside the screen */
	const int nfoot = v->training ? 2 : 1;
	const int foot_y = v->rows - 1 - nfoot;
	const int btn_y = foot_y - 3;
	const int lights_y = btn_y - (v->training ? 1 : 2);
	const int scr_bot = lights_y - 1;
	const int body_y = 5;
	const int body_rows = scr_bot - body_y;

	/* frame */
	box_at(v, 0, 0, v->rows - 1, DEV_W - 1, 0);
	text(v, 0, 3, A_BOLD, v->title ? v->title
	                      : v->training ? " ptm  patient remote  TRAINING "
	                                    : " ptm  patient remote ", 40);
	if (hv->clock[0]) {
		char c[64];
		snprintf(c, sizeof c, " pump time %s %s ", hv->day, hv->clock);
		text(v, 0, DEV_W - 3 - (int)strlen(c), A_NORMAL, c, 30);
	}
	/* the screen */
	box_at(v, 1, 1, scr_bot, DEV_W - 2, 0);
	static const char *const titles[HH_SCR_COUNT] = {
		[HH_SCR_STATUS] = " Status  (b: back) ", [HH_SCR_ALARMS] = " Alarms  (b: back) ",
		[HH_SCR_HISTORY] = " Last doses  (b: back) ", [HH_SCR_HELP] = " Help: every key  (b: back) ",
		[HH_SCR_LESSONS] = " Training lessons ",
	};
	if (hv->screen > 0 && hv->screen < HH_SCR_COUNT && titles[hv->screen])
		text(v, 1, 4, A_BOLD, titles[hv->screen], inner);
	char head[HH_TEXT + 8];
	snprintf(head, sizeof head, " %-*s", inner, hv->headline);
	text(v, 2, 2, tone_attr(v, hv->headline_tone) | A_REVERSE | A_BOLD, head, DEV_W - 4);
	if (hv->alarm_line[0])
		text(v, 3, 3, tone_attr(v, hv->alarm_tone) | A_BOLD, hv->alarm_line, inner);
	if (hv->message[0])
		wrap(v, 4, 3, inner, 1, tone_attr(v, hv->message_tone), hv->message);

	int left = body_rows;
	if (ls && hv->screen != HH_SCR_HELP && hv->screen != HH_SCR_LESSONS) {
		int need = draw_lesson(NULL, 0, inner - 2, ls);
		if (need) {
			left -= need;
			draw_lesson(v, body_y + left, inner - 2, ls);
		}
	}
	switch (hv->screen) {
	case HH_SCR_HELP:
		draw_help(v, body_y, left, inner);
		break;
	case HH_SCR_LESSONS:
		draw_lesson_list(v, body_y, left, inner - 2, ls);
		break;
	default:
		draw_body(v, body_y, left, inner, hv);
		break;
	}
	/* the link state, in the screen's bottom edge */
	char lk[HH_TEXT + 8];
	snprintf(lk, sizeof lk, " %s ", hv->link_text);
	text(v, scr_bot, 3,
	     hv->link == HH_LINK_UP ? A_NORMAL : tone_attr(v, HH_TONE_WARN), lk, inner);

	draw_lights(v, lights_y, hv);
	if (v->no_button)
		v->btn_y0 = v->btn_y1 = -1;
	else
		draw_button(v, btn_y, 0);
	text(v, foot_y, 2, A_NORMAL, v->footer ? v->footer : keys_footer(0), DEV_W - 4);
	if (v->training)
		text(v, foot_y + 1, 2, A_NORMAL, keys_footer(1), DEV_W - 4);
	refresh();
	return left;
}

int view_key(view *v)
{
	int c = getch();
	if (c == ERR)
		return VIEW_NO_KEY;
	switch (c) {
	case KEY_ENTER: return KEYS_ENTER;
	case 27: return KEYS_ESC;
	case KEY_BACKSPACE: case 127: case 8: return KEYS_BACKSPACE;
	case 12: return KEYS_REFRESH;
	case KEY_RESIZE: return KEYS_RESIZE;
	case KEY_UP: return KEYS_UP;
	case KEY_DOWN: return KEYS_DOWN;
	case KEY_PPAGE: return KEYS_PGUP;
	case KEY_NPAGE: return KEYS_PGDN;
	case KEY_MOUSE: {
		MEVENT m;
		if (getmouse(&m) != OK)
			return VIEW_SKIP;
		if (!(m.bstate & (BUTTON1_CLICKED | BUTTON1_PRESSED)))
			return VIEW_SKIP;
		if (m.y >= v->btn_y0 && m.y <= v->btn_y1 && m.x >= v->btn_x0 && m.x <= v->btn_x1)
			return KEYS_CLICK_BOLUS;
		if (m.y == v->alm_y && m.x >= v->alm_x0 && m.x <= v->alm_x1)
			return KEYS_CLICK_SILENCE;
		return VIEW_SKIP;
	}
	default:
		if (c >= 0 && c < 256)
			return c;
		return VIEW_SKIP;
	}
}

int view_drain(view *v, int (*fn)(void *ud, int key), void *ud)
{
	int got = 0;
	for (;;) {
		int k = view_key(v);
		if (k == VIEW_NO_KEY)
			break;
		got = 1;
		if (k != VIEW_SKIP && fn(ud, k))
			return 0;
	}
	if (!got) {
		/* readable but nothing to read: the terminal hung up (never spin) */
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
			return 1;
	}
	return 0;
}
