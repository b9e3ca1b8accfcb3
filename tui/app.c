/* tui/app.c — ptm's loop: keys, the link, redraws (see app.h). */
#include "tui/app.h"

#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/stat.h>

#include "net/peer.h"

#include "tui/keys.h"

static uint64_t now_ms(struct app *a)
{
	return uv_now(a->loop);
}

static void mark(struct app *a, int r)
{
	if (r & KEYS_R_DRAW)
		a->dirty = 1;
	if (r & KEYS_R_CLEAR)
		a->dirty = a->clear = 1;
}

/* ---- requests ------------------------------------------------------------------ */

/* --record: a reply to one of ours (the first status starts the file) */
static void record(struct app *a, const struct msg_request *q, int status,
                   const struct msg_reply *r)
{
	if (!a->rec || a->quitting || status != 0 || !r)
		return;
	if (!scnrec_begun(a->rec)) {
		if (q->type == MSG_STATUS && r->err == MSG_OK)
			scnrec_begin(a->rec, &r->state);
		return;
	}
	scnrec_request(a->rec, 0, q, r);
}

static void on_status(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	a->status_pending = 0;
	if (a->quitting)
		return;
	record(a, &(struct msg_request){ .type = MSG_STATUS }, status, r);
	if (status == 0 && r)
		hh_state(a->h, &r->state, now_ms(a));
	a->dirty = 1;
}

static void on_hello(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->quitting || status != 0 || !r || r->err != MSG_OK)
		return;
	hh_state(a->h, &r->state, now_ms(a));
	a->dirty = 1;
}

/* HELLO with the running bolus's kind (8.15): a pump that predates it
 * refuses the bit as malformed and is asked for edition 3 alone */
static void on_hello_typed(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (!a->quitting && status == 0 && r && r->err == MSG_E_MALFORMED) {
		struct msg_request hq = { .type = MSG_HELLO };
		hq.u.accept = MSG_ACCEPT_ED3;
		(void)client_request(a->cl, &hq, on_hello, a);
		return;
	}
	on_hello(ud, status, r);
}

static void send_status(struct app *a)
{
	struct msg_request q = { .type = MSG_STATUS };
	if (a->status_pending)
		return;
	if (client_request(a->cl, &q, on_status, a) == 0)
		a->status_pending = 1;
}

/* a reply to the model (unless quitting), then a redraw */
static void to_model(void *ud, int status, const struct msg_reply *r,
                     void (*fn)(hh *, int, const struct msg_reply *, uint64_t))
{
	struct app *a = ud;
	if (a->quitting)
		return;
	fn(a->h, status, r, now_ms(a));
	a->dirty = 1;
}

static void on_bolus(void *ud, int status, const struct msg_reply *r);

/* Send the bolus request a->bolus_id (0: a new one, whose id is kept). */
static int send_bolus(struct app *a)
{
	struct msg_request q = { .type = MSG_BOLUS, .id = a->bolus_id };
	int rc = client_request(a->cl, &q, on_bolus, a);
	if (rc == 0) {
		a->bolus_id = q.id;
		a->bolus_tries++;
	}
	return rc;
}

static void run_cmd(struct app *a, int cmd, int arg);
static void frame(struct app *a);

/* --record: the notes held while the bolus was unsettled, after it (its
 * own bolus_started then reads as its echo, not as another step) */
static void record_held(struct app *a)
{
	for (unsigned i = 0; i < a->n_rec_held; i++)
		scnrec_note(a->rec, &a->rec_held[i]);
	a->n_rec_held = 0;
}

static void settle_bolus(struct app *a)
{
	a->bolus_id = 0;
	if (a->rec)
		record_held(a);
	unsigned held = a->held;
	a->held = 0;
	for (int cmd = 0; cmd < 32; cmd++)
		if (held & (1u << cmd))
			run_cmd(a, cmd, 0);
}

static void on_retry(uv_timer_t *t)
{
	struct app *a = t->data;
	if (a->quitting)
		return;
	if (send_bolus(a) < 0) {
		hh_bolus_reply(a->h, CLIENT_E_LINK, NULL, now_ms(a));
		settle_bolus(a);
	}
	a->dirty = 1;
}

static void on_bolus(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	record(a, &(struct msg_request){ .type = MSG_BOLUS }, status, r);
	to_model(ud, status, r, hh_bolus_reply);
	/* no answer: the pump may have granted it; only the same id asked
	 * again can say so without risking a second dose */
	if ((status == CLIENT_E_TIMEOUT || status == CLIENT_E_LINK) &&
	    a->bolus_tries < APP_BOLUS_TRIES &&
	    uv_timer_start(&a->retry, on_retry, APP_BOLUS_RETRY_MS, 0) == 0) {
		hh_bolus_retry(a->h);
		/* a timeout comes from the client's timer: the loop's check
		 * (the draw) would wait for the poll, until the retry */
		frame(a);
		return;
	}
	/* settled: answered, refused, or no answer after every try (the
	 * screen says so; a press then is a new request) */
	settle_bolus(a);
}

static void on_silence(void *ud, int status, const struct msg_reply *r)
{
	record(ud, &(struct msg_request){ .type = MSG_SILENCE }, status, r);
	to_model(ud, status, r, hh_silence_reply);
}

static void on_history(void *ud, int status, const struct msg_reply *r)
{
	record(ud, &(struct msg_request){ .type = MSG_HISTORY, .u.max = APP_HISTORY_MAX },
	       status, r);
	to_model(ud, status, r, hh_history_reply);
}

/* send q; when it cannot go, tell the model through lost (if any) */
static void ask(struct app *a, struct msg_request *q, client_reply_fn cb,
                void (*lost)(hh *, int, const struct msg_reply *, uint64_t))
{
	if (client_request(a->cl, q, cb, a) < 0 && lost)
		lost(a->h, CLIENT_E_LINK, NULL, now_ms(a));
}

static void run_cmd(struct app *a, int cmd, int arg)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	/* another request would take a newer id and make the unsettled
	 * bolus's retry stale: it waits for the bolus's answer */
	if ((cmd == KEYS_CMD_SILENCE || cmd == KEYS_CMD_HISTORY ||
	     cmd == KEYS_CMD_STATUS) && a->bolus_id != 0 && cmd < 32) {
		a->held |= 1u << cmd;
		return;
	}
	if (cmd == KEYS_CMD_BOLUS || cmd == KEYS_CMD_SILENCE || cmd == KEYS_CMD_HISTORY ||
	    cmd == KEYS_CMD_STATUS) {
		if (hh_remote_dead(a->h, now_ms(a)))
			return;               /* an empty remote sends nothing */
		hh_remote_use(a->h, now_ms(a));
	}
	switch (cmd) {
	case KEYS_CMD_BOLUS:
		/* a new request (a press while one is unsettled asks nothing:
		 * hh_bolus_press); its id is kept until it is settled */
		a->bolus_tries = 0;
		if (send_bolus(a) < 0)
			hh_bolus_reply(a->h, CLIENT_E_LINK, NULL, now_ms(a));
		break;
	case KEYS_CMD_SILENCE:
		q.type = MSG_SILENCE;
		q.u.alarm = 0;
		ask(a, &q, on_silence, hh_silence_reply);
		break;
	case KEYS_CMD_HISTORY:
		q.type = MSG_HISTORY;
		q.u.max = APP_HISTORY_MAX;
		ask(a, &q, on_history, NULL);
		break;
	case KEYS_CMD_STATUS:
		send_status(a);
		break;
	case KEYS_CMD_SKIP:
		trainer_skip(&a->tr);
		break;
	case KEYS_CMD_LESSON:
		trainer_lesson(&a->tr, arg);
		break;
	case KEYS_CMD_OVER:
		trainer_over(&a->tr);
		break;
	default:
		break;
	}
}

/* ---- shutdown -------------------------------------------------------------------- */

static void quit(struct app *a)
{
	if (a->quitting)
		return;
	a->quitting = 1;
	uv_close((uv_handle_t *)&a->in, NULL);
	uv_close((uv_handle_t *)&a->winch, NULL);
	uv_close((uv_handle_t *)&a->sigint, NULL);
	uv_close((uv_handle_t *)&a->sigterm, NULL);
	uv_close((uv_handle_t *)&a->sighup, NULL);
	uv_close((uv_handle_t *)&a->timer, NULL);
	uv_close((uv_handle_t *)&a->retry, NULL);
	uv_close((uv_handle_t *)&a->check, NULL);
	client_close(a->cl, NULL, NULL);
	trainer_close(&a->tr);
}

/* ---- loop callbacks ----------------------------------------------------------- */

static void on_key(struct app *a, int key)
{
	struct keys_ctx c = { .h = a->h, .ls = a->ls, .tester = a->tr.key != NULL,
	                      .now = now_ms(a) };
	if (key == KEYS_RESIZE)
		view_resize(a->v);
	mark(a, keys_dispatch(&c, key));
	if (c.cmd == KEYS_CMD_QUIT) {
		quit(a);
		return;
	}
	run_cmd(a, c.cmd, c.arg);
}

static int drained_key(void *ud, int k)
{
	struct app *a = ud;
	on_key(a, k);
	return a->quitting;
}

static void on_stdin(uv_poll_t *p, int status, int events)
{
	struct app *a = p->data;
	(void)events;
	if (status < 0 || (!a->quitting && view_drain(a->v, drained_key, a)))
		quit(a);       /* the terminal went away */
}

static void on_winch(uv_signal_t *s, int sig)
{
	struct app *a = s->data;
	(void)sig;
	view_resize(a->v);
	a->dirty = a->clear = 1;
}

static void on_quit_signal(uv_signal_t *s, int sig)
{
	(void)sig;
	quit(s->data);
}

static void frame(struct app *a);

/* The next visible change is due: draw it now.  (The check handle may
 * have drawn it already: it runs before the loop's timers.) */
static void on_timer(uv_timer_t *t)
{
	frame(t->data);
}

/* what is at a unix: address when nothing answers there: "no such file",
 * "not a socket", or "" */
static const char *unix_why(const char *addr)
{
	struct stat st;
	if (!addr || strncmp(addr, "unix:", 5) != 0)
		return "";
	if (lstat(addr + 5, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? "no such file" : "";
	return S_ISSOCK(st.st_mode) ? "" : "not a socket";
}

/* a link that went down: why, in the model's words */
static void link_why(struct app *a, int reason)
{
	switch (reason) {
	case PEER_R_CONNECT:
		hh_link_why(a->h, HH_WHY_NO_PUMP, unix_why(a->addr));
		break;
	case PEER_R_REFUSED:
	case PEER_R_HANDSHAKE:
		hh_link_why(a->h, HH_WHY_REFUSED, "");
		break;
	case PEER_R_HS_DEADLINE:
		hh_link_why(a->h, HH_WHY_NO_ANSWER, "");
		break;
	case PEER_R_EOF:
		hh_link_why(a->h, HH_WHY_LOST, "the pump closed it");
		break;
	default:
		hh_link_why(a->h, HH_WHY_LOST, "");
		break;
	}
}

void app_on_link(void *ud, int state, int reason)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	if (state == CLIENT_DOWN && reason < 0)
		link_why(a, reason);
	hh_link(a->h, state == CLIENT_UP ? HH_LINK_UP
	              : state == CLIENT_DOWN ? HH_LINK_DOWN : HH_LINK_CONNECTING,
	        now_ms(a));
	if (state == CLIENT_UP) {
		/* edition 3: the alarm test and the pending-programming state
		 * reach this session, and whose bolus runs (8.15) (a
		 * first-edition pump answers 'type') */
		struct msg_request hq = { .type = MSG_HELLO };
		hq.u.accept = MSG_ACCEPT_ED3 | MSG_ACCEPT_TYPED;
		(void)client_request(a->cl, &hq, on_hello_typed, a);
		run_cmd(a, KEYS_CMD_STATUS, 0);
		run_cmd(a, KEYS_CMD_HISTORY, 0);
	}
	a->dirty = 1;
}

void app_on_notify(void *ud, const struct msg_notify *n)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	if (a->rec) {
		/* while a bolus is unsettled its request is not written yet:
		 * its notes (when its reply was lost) wait for it */
		if (a->bolus_id && a->n_rec_held < APP_REC_HELD)
			a->rec_held[a->n_rec_held++] = *n;
		else
			scnrec_note(a->rec, n);
	}
	hh_notify(a->h, n, now_ms(a));
	if (n->event == MSG_EV_BOLUS_STARTED || n->event == MSG_EV_BOLUS_ENDED)
		run_cmd(a, KEYS_CMD_HISTORY, 0);
	a->dirty = 1;
}

/* Lessons, bell, draw if anything changed or the next change is due, and
 * the timer for the change after that. */
static void frame(struct app *a)
{
	if (a->quitting)
		return;
	uint64_t now = now_ms(a);
	if (now >= a->due)
		a->dirty = 1;            /* time alone changed what the screen shows */
	if (a->ls) {
		int act;
		if (lessons_check(a->ls, a->h, now, &act))
			a->dirty = 1;
		if (act != LESSONS_DO_NONE)
			trainer_lesson(&a->tr, act);
	}
	int bells = hh_bell(a->h, now);
	if (bells)
		view_bell(a->v, bells);
	/* twice at most: the first draw may tell the model how many body
	 * rows there are, which a scrolled screen's window depends on */
	for (int i = 0; i < 2 && a->dirty; i++) {
		struct hh_view hv;
		hh_render(a->h, now, &hv);
		int rows = view_draw(a->v, &hv, a->ls, a->clear);
		a->dirty = a->clear = 0;
		if (hh_set_body_rows(a->h, rows))
			a->dirty = 1;
	}
	uint64_t next = hh_next_change(a->h, now);
	a->due = next;
	if (next == UINT64_MAX)
		uv_timer_stop(&a->timer);
	else
		uv_timer_start(&a->timer, on_timer, next > now ? next - now : 0, 0);
}

/* Once per loop turn, after the input of that turn */
static void on_check(uv_check_t *c)
{
	frame(c->data);
}

void app_start(struct app *a)
{
	uv_poll_init(a->loop, &a->in, 0);
	a->in.data = a;
	uv_poll_start(&a->in, UV_READABLE, on_stdin);
	uv_signal_t *sig[] = { &a->winch, &a->sigint, &a->sigterm, &a->sighup };
	uv_signal_cb cb[] = { on_winch, on_quit_signal, on_quit_signal, on_quit_signal };
	int num[] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };
	for (int i = 0; i < 4; i++) {
		uv_signal_init(a->loop, sig[i]);
		sig[i]->data = a;
		uv_signal_start(sig[i], cb[i], num[i]);
	}
	uv_timer_init(a->loop, &a->timer);
	a->timer.data = a;
	uv_timer_init(a->loop, &a->retry);
	a->retry.data = a;
	uv_check_init(a->loop, &a->check);
	a->check.data = a;
	uv_check_start(&a->check, on_check);
	a->dirty = a->clear = 1;
	a->due = UINT64_MAX;
	on_check(&a->check);          /* the first frame, before anything arrives */
}
