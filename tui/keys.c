/*
 * tui/keys.c — key -> action table (see keys.h).
 */
#include "tui/keys.h"

#include <stddef.h>

typedef int (*keys_fn)(struct keys_ctx *c, int key);

/* A key that does nothing here: say so, and where the keys are (a
 * newcomer pressing keys at random learns the remote ignored them). */
static int unbound(struct keys_ctx *c, int key)
{
	char b[HH_TEXT];
	if (key > ' ' && key < 0x7f)
		fmt_set(b, sizeof b, "The %c key does nothing here: press ? for the keys", key);
	else
		fmt_set(b, sizeof b, "That key does nothing here: press ? for the keys");
	hh_message(c->h, b, HH_TONE_PLAIN, c->now);
	return KEYS_R_DRAW;
}

static int lesson_cmd(struct keys_ctx *c, int action)
{
	if (action != LESSONS_DO_NONE) {
		c->cmd = KEYS_CMD_LESSON;
		c->arg = action;
	}
	return KEYS_R_DRAW;
}

static int act_bolus(struct keys_ctx *c, int key)
{
	(void)key;
	if (hh_screen(c->h) != HH_SCR_HOME)
		hh_set_screen(c->h, HH_SCR_HOME);
	if (hh_bolus_press(c->h, c->now))
		c->cmd = KEYS_CMD_BOLUS;
	return KEYS_R_DRAW;
}

static int act_silence(struct keys_ctx *c, int key)
{
	(void)key;
	if (hh_silence_press(c->h, c->now))
		c->cmd = KEYS_CMD_SILENCE;
	return KEYS_R_DRAW;
}

/* open screen (asking cmd for its data), or close it when it shows */
static int toggle_ask(struct keys_ctx *c, int screen, int cmd)
{
	if (cmd != KEYS_CMD_NONE && hh_screen(c->h) != screen)
		c->cmd = cmd;
	hh_set_screen(c->h, hh_screen(c->h) == screen ? HH_SCR_HOME : screen);
	return KEYS_R_DRAW;
}

static int toggle(struct keys_ctx *c, int screen)
{
	return toggle_ask(c, screen, KEYS_CMD_NONE);
}

/* the keys of a screen and what it asks the pump for when it opens */
static const struct { int key, screen, cmd; } screens[] = {
	{ 's', HH_SCR_STATUS, KEYS_CMD_STATUS }, { 'S', HH_SCR_STATUS, KEYS_CMD_STATUS },
	{ 'a', HH_SCR_ALARMS, KEYS_CMD_NONE }, { 'A', HH_SCR_ALARMS, KEYS_CMD_NONE },
	{ 'h', HH_SCR_HISTORY, KEYS_CMD_HISTORY }, { 'H', HH_SCR_HISTORY, KEYS_CMD_HISTORY },
	{ '?', HH_SCR_HELP, KEYS_CMD_NONE },
};

static int act_screen(struct keys_ctx *c, int key)
{
	for (size_t i = 0; i < sizeof screens / sizeof screens[0]; i++)
		if (screens[i].key == key)
			return toggle_ask(c, screens[i].screen, screens[i].cmd);
	return unbound(c, key);
}

static int act_home(struct keys_ctx *c, int key)
{
	(void)key;
	hh_set_screen(c->h, HH_SCR_HOME);
	return KEYS_R_DRAW;
}

static int act_quit(struct keys_ctx *c, int key)
{
	(void)key;
	c->cmd = KEYS_CMD_QUIT;
	return KEYS_R_NONE;
}

static int act_refresh(struct keys_ctx *c, int key)
{
	(void)key;
	c->cmd = KEYS_CMD_STATUS;
	return KEYS_R_CLEAR;
}

static int act_resize(struct keys_ctx *c, int key)
{
	(void)c;
	(void)key;
	return KEYS_R_CLEAR;
}

static int act_lessons(struct keys_ctx *c, int key)
{
	if (!c->ls)
		return unbound(c, key);
	return toggle(c, HH_SCR_LESSONS);
}

static int act_pick(struct keys_ctx *c, int key)
{
	if (!c->ls)
		return unbound(c, key);
	int a = lessons_start(c->ls, key - '1', c->h, c->now);
	if (a == LESSONS_E_TESTER) {
		char b[HH_TEXT];
		fmt_set(b, sizeof b, "Lesson %c acts on the pump: it needs ptm --tester-key FILE",
		        key);
		hh_message(c->h, b, HH_TONE_WARN, c->now);
		return KEYS_R_DRAW;
	}
	if (a < 0)
		return unbound(c, key);
	hh_set_screen(c->h, HH_SCR_HOME);
	if (hh_message_kind(c->h) == HH_MSG_TEXT)
		hh_message(c->h, "", HH_TONE_PLAIN, c->now);  /* the last lesson's note */
	return lesson_cmd(c, a);
}

static int act_next(struct keys_ctx *c, int key)
{
	int a;
	if (!c->ls || lessons_current(c->ls) < 0)
		return unbound(c, key);
	if (lessons_finished(c->ls)) {
		lessons_stop(c->ls);
		hh_set_screen(c->h, HH_SCR_LESSONS);
		return KEYS_R_DRAW;
	}
	if (!lessons_ack(c->ls, c->h, c->now, &a)) {
		/* a step that waits for something: n cannot skip it */
		hh_message(c->h, "n cannot skip this step: do what the lesson says (x leaves it)",
		           HH_TONE_PLAIN, c->now);
		return KEYS_R_DRAW;
	}
	return lesson_cmd(c, a);
}

/* a tester's command in training: refused (needs says why) without the
 * tester key */
static int tester_cmd(struct keys_ctx *c, int key, int cmd, const char *needs)
{
	if (!c->ls)
		return unbound(c, key);
	if (!c->tester) {
		hh_message(c->h, needs, HH_TONE_WARN, c->now);
		return KEYS_R_DRAW;
	}
	c->cmd = cmd;
	return KEYS_R_DRAW;
}

static int act_skip(struct keys_ctx *c, int key)
{
	return tester_cmd(c, key, KEYS_CMD_SKIP,
	                  "Skipping time needs a tester key (ptm --tester-key)");
}

static int act_over(struct keys_ctx *c, int key)
{
	return tester_cmd(c, key, KEYS_CMD_OVER,
	                  "Starting the pump over needs a tester key (ptm --tester-key)");
}

static int act_leave(struct keys_ctx *c, int key)
{
	if (!c->ls || lessons_current(c->ls) < 0)
		return unbound(c, key);
	lessons_stop(c->ls);
	hh_set_screen(c->h, HH_SCR_LESSONS);
	return KEYS_R_DRAW;
}

static int act_scroll(struct keys_ctx *c, int key)
{
	int d = key == KEYS_UP ? -1 : key == KEYS_DOWN ? 1 :
	        key == KEYS_PGUP ? -HH_SCROLL_PAGE : HH_SCROLL_PAGE;
	struct hh_view v;
	hh_render(c->h, c->now, &v);
	if (hh_scroll(c->h, d, &v) < 0) {
		hh_message(c->h, "Up, Down, PgUp and PgDn scroll the alarm and history screens",
		           HH_TONE_PLAIN, c->now);
	}
	return KEYS_R_DRAW;
}

static int act_batteries(struct keys_ctx *c, int key)
{
	(void)key;
	hh_replace_batteries(c->h, c->now);
	c->cmd = KEYS_CMD_STATUS;       /* back on: what does the pump say now */
	return KEYS_R_DRAW;
}

struct binding { int key; keys_fn fn; };

static const struct binding bindings[] = {
	{ ' ', act_bolus }, { '\n', act_bolus }, { '\r', act_bolus },
	{ KEYS_ENTER, act_bolus }, { KEYS_CLICK_BOLUS, act_bolus },
	{ 'm', act_silence }, { 'M', act_silence }, { KEYS_CLICK_SILENCE, act_silence },
	{ 's', act_screen }, { 'S', act_screen },
	{ 'a', act_screen }, { 'A', act_screen },
	{ 'h', act_screen }, { 'H', act_screen },
	{ '?', act_screen }, { KEYS_ESC, act_home }, { KEYS_BACKSPACE, act_home },
	{ 'b', act_home }, { 'B', act_home },
	{ 'q', act_quit }, { 'Q', act_quit },
	{ KEYS_UP, act_scroll }, { KEYS_DOWN, act_scroll }, { KEYS_PGUP, act_scroll },
	{ KEYS_PGDN, act_scroll },
	{ KEYS_REFRESH, act_refresh }, { 'r', act_refresh }, { KEYS_RESIZE, act_resize },
	{ 'l', act_lessons }, { 'L', act_lessons },
	{ '1', act_pick }, { '2', act_pick }, { '3', act_pick }, { '4', act_pick },
	{ '5', act_pick }, { '6', act_pick }, { '7', act_pick }, { '8', act_pick },
	{ '9', act_pick },
	{ 'n', act_next }, { 'N', act_next },
	{ 'f', act_skip }, { 'F', act_skip },
	{ 'x', act_leave }, { 'X', act_leave },
	{ 'o', act_over }, { 'O', act_over },
	{ 'p', act_batteries }, { 'P', act_batteries },
};

/* an empty remote answers only these: new batteries, quit, redraw */
static int works_dead(int key)
{
	return key == 'p' || key == 'P' || key == 'q' || key == 'Q' ||
	       key == KEYS_RESIZE || key == KEYS_REFRESH;
}

int keys_dispatch(struct keys_ctx *c, int key)
{
	c->cmd = KEYS_CMD_NONE;
	c->arg = 0;
	if (hh_remote_dead(c->h, c->now) && !works_dead(key))
		return KEYS_R_NONE;         /* the screen already says: press p */
	if (hh_remote_dead(c->h, c->now) && key == KEYS_REFRESH)
		return KEYS_R_CLEAR;        /* redraw only: nothing is asked */
	for (size_t i = 0; i < sizeof bindings / sizeof bindings[0]; i++)
		if (bindings[i].key == key)
			return bindings[i].fn(c, key);
	return unbound(c, key);
}

/* keys: at most 20 columns; what: at most 52 (the help screen's columns);
 * at most HH_BODY_ROWS entries with the training ones: the help screen of
 * an 80x24 device shows them all */
static const struct keys_help help[] = {
	{ "Space, Enter, click", "ask the pump for a dose (the DOSE button)", 0 },
	{ "m, click ALARM", "silence a sounding alarm for a while", 0 },
	{ "a  s  h", "alarms, status (reservoir, batteries), history", 0 },
	{ "Up Down PgUp PgDn", "scroll the alarms and the history", 0 },
	{ "b, Esc", "back to the home screen", 0 },
	{ "r, Ctrl-L", "ask the pump again and redraw the screen", 0 },
	{ "?", "this help (press again to close)", 0 },
	{ "p", "put new batteries in the remote", 0 },
	{ "q", "quit the remote (the pump keeps working)", 0 },
	{ "l  1-5", "training: the lessons  /  start lesson 1 to 5", 1 },
	{ "n  x  f  o", "training: next step, leave, skip time, pump anew", 1 },
};

const struct keys_help *keys_help_table(int *n)
{
	*n = (int)(sizeof help / sizeof help[0]);
	return help;
}

const char *keys_footer(int which)
{
	return which == 1
	       ? "Training: l lessons  1-5 start  n next  f skip time  x leave  o pump anew"
	       : "Space: DOSE  m: silence  a: alarms  s: status  h: history  ?: help  q: quit";
}
