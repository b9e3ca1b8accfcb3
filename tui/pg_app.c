/*
 * tui/pg_app.c — the clinician's programmer's loop (see pg_app.h): keys to
 * the model (tui/pg.c), its commands to the pump one request at a time (the
 * client queues them), replies and notifications back, one draw a loop
 * turn.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "net/rxfile.h"
#include "tui/keys.h"
#include "tui/pg.h"
#include "tui/pg_app.h"
#include "tui/pg_lessons.h"

struct pga;
/* a request's answer goes to the model with its command: one slot per
 * command (the model sends one of each kind at a time) */
struct pga_wait { struct pga *a; int cmd; };

struct pga {
	uv_loop_t *loop;
	uv_poll_t in;
	uv_signal_t sig[4];
	uv_check_t check;
	struct client *cl;
	view *v;
	struct pg p;
	uint64_t log_after;
	int dirty, clear, quitting;
	int train, list;          /* --train: the lessons; the list shown */
	int hello_plain;          /* the pump refused the delivery block's bit
	                             (it predates PROTOCOL.md 8.14): ED3 alone */
	struct pg_lessons L;
	struct pga_wait wait[PG_CMD_QUIT + 1];   /* a reply's slot by command */
};

static void quit(struct pga *a)
{
	if (a->quitting)
		return;
	a->quitting = 1;
	uv_close((uv_handle_t *)&a->in, NULL);
	for (int i = 0; i < 4; i++)
		uv_close((uv_handle_t *)&a->sig[i], NULL);
	uv_close((uv_handle_t *)&a->check, NULL);
	client_close(a->cl, NULL, NULL);
}

/* ---- the interrogation: STATUS, then LOG pages ------------------------------- */

/* STATUS's reply starts the report, each LOG page adds to it; a full page
 * asks for the next */
static void on_report(void *ud, int status, const struct msg_reply *r)
{
	struct pga *a = ud;
	if (a->quitting)
		return;
	a->dirty = 1;
	if (status != 0 || !r || r->err != MSG_OK) {
		pg_report_done(&a->p, 1, status == 0 && r ? r->err : 0);
		return;
	}
	if (r->req_type == MSG_STATUS) {
		pg_report_begin(&a->p, r);
		a->log_after = 0;
	} else {
		pg_state(&a->p, &r->state);
		pg_report_page(&a->p, r);
		if (r->u.log.n < MSG_LOG_MAX || r->u.log.e[r->u.log.n - 1].seq <= a->log_after) {
			pg_report_done(&a->p, 0, 0);
			return;
		}
		a->log_after = r->u.log.e[r->u.log.n - 1].seq;
	}
	struct msg_request q = { .type = MSG_LOG };
	q.u.log.after_seq = a->log_after;
	q.u.log.max = MSG_LOG_MAX;
	if (client_request(a->cl, &q, on_report, a) < 0)
		pg_report_done(&a->p, 1, 0);
}

static void interrogate(struct pga *a)
{
	struct msg_request q = { .type = MSG_STATUS };
	if (a->p.reading)
		return;
	a->p.reading = 1;
	if (client_request(a->cl, &q, on_report, a) < 0)
		pg_report_done(&a->p, 1, 0);
}

/* ---- the refill's requests ----------------------------------------------------------- */

static void on_reply(void *ud, int status, const struct msg_reply *r)
{
	const struct pga_wait *w = ud;
	if (w->a->quitting)
		return;
	pg_reply(&w->a->p, w->cmd, status, r);
	w->a->dirty = 1;
}

static void on_hello(void *ud, int status, const struct msg_reply *r)
{
	struct pga *a = ud;
	if (a->quitting)
		return;
	if (status == 0 && r && r->err == MSG_E_MALFORMED && !a->hello_plain) {
		/* a pump before STATUS's delivery block: edition 3 alone */
		struct msg_request hq = { .type = MSG_HELLO };
		a->hello_plain = 1;
		hq.u.accept = MSG_ACCEPT_ED3;
		if (client_request(a->cl, &hq, on_hello, a) == 0)
			return;
	}
	pg_hello(&a->p, status, r);
	a->dirty = 1;
}

static void send_cmd(struct pga *a, int cmd)
{
	static struct msg_request q;         /* large: a prescription */
	struct pga_wait *w = &a->wait[cmd];
	w->a = a;
	w->cmd = cmd;
	if (pg_request(&a->p, cmd, &q) == 0 && client_request(a->cl, &q, on_reply, w) < 0)
		pg_reply(&a->p, cmd, CLIENT_E_LINK, NULL);
}

/* the prescription file named on the program screen, parsed (net/rxfile) */
static void load_rx(struct pga *a)
{
	static struct rxfile rp;
	struct msg_rx rx;
	char line[RXFILE_LINE_MAX + 2], why[HH_TEXT];
	FILE *f = fopen(a->p.rx_path, "r");
	if (!f) {
		snprintf(why, sizeof why, "Cannot read it: %s", strerror(errno));
		pg_program_error(&a->p, why);
		return;
	}
	rxfile_init(&rp, "the file");
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		if ((n == sizeof line - 1 && line[n - 1] != '\n') ||
		    rxfile_parse_line(&rp, line, n) < 0) {
			fclose(f);
			pg_program_error(&a->p, rp.err[0] ? rp.err : "a line is too long");
			return;
		}
	}
	fclose(f);
	if (rxfile_finish(&rp, &rx) < 0) {
		pg_program_error(&a->p, rp.err);
		return;
	}
	if (pg_program_loaded(&a->p, &rx) == PG_CMD_PROGRAM)
		send_cmd(a, PG_CMD_PROGRAM);    /* STAGE: the pump compares */
}

static void run_cmd(struct pga *a, int cmd)
{
	switch (cmd) {
	case PG_CMD_QUIT:
		quit(a);
		break;
	case PG_CMD_STATUS:
		interrogate(a);
		break;
	case PG_CMD_LOAD:
		load_rx(a);
		break;
	case PG_CMD_NONE:
		break;
	default:
		send_cmd(a, cmd);
		break;
	}
}

/* ---- the link ------------------------------------------------------------------------- */

static void on_link(void *ud, int state, int reason)
{
	struct pga *a = ud;
	(void)reason;
	if (a->quitting)
		return;
	pg_link(&a->p, state == CLIENT_UP ? HH_LINK_UP
	               : state == CLIENT_DOWN ? HH_LINK_DOWN : HH_LINK_CONNECTING);
	if (state == CLIENT_UP) {
		/* what the pump supports (STAGE, ALARMTEST), and edition 3: its
		 * pending session in every state (a first-edition pump: 'type');
		 * STATUS's delivery block for the interrogation (8.14) and the
		 * log as typed entries for its report and charts (8.15) */
		struct msg_request hq = { .type = MSG_HELLO };
		hq.u.accept = MSG_ACCEPT_ED3 | (a->hello_plain ? 0
		              : MSG_ACCEPT_DELIVERY | MSG_ACCEPT_TYPED);
		if (client_request(a->cl, &hq, on_hello, a) < 0)
			pg_hello(&a->p, CLIENT_E_LINK, NULL);
		interrogate(a);
	}
	a->dirty = 1;
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	struct pga *a = ud;
	if (a->quitting)
		return;
	pg_notify(&a->p, n);
	a->dirty = 1;
}

/* ---- the terminal --------------------------------------------------------------------- */

/* the programmer takes typed text now (a lesson's keys must not) */
static int typing(const struct pg *p)
{
	return (p->screen == PG_SCR_REFILL && (p->step <= PG_RF_CONC ||
	        p->step == PG_RF_RESULT || p->step == PG_RF_REASON)) ||
	       (p->screen == PG_SCR_PROGRAM && (p->pstep == PG_PS_PATH ||
	        p->pstep == PG_PS_REASON || p->pstep == PG_PS_PENDING)) ||
	       (p->screen == PG_SCR_CBOLUS && p->bstep >= 0 && p->bstep <= 2);
}

/* a key for the lessons (--train): 1 when they took it */
static int lesson_key(struct pga *a, int k)
{
	if (a->list) {
		if (k >= '1' && k < '1' + pg_lessons_count()) {
			pg_lessons_start(&a->L, k - '1', &a->p);
			a->list = 0;
		} else if (k == 'x') {
			pg_lessons_stop(&a->L);
		} else if (k == 'q') {
			return 0;
		} else if (k == 'l' || k == 'b' || k == KEYS_ESC) {
			a->list = 0;
		}
		a->dirty = 1;
		return 1;
	}
	if (typing(&a->p))
		return 0;
	if (k == 'l' || k == 'x') {
		if (k == 'l')
			a->list = 1;
		else
			pg_lessons_stop(&a->L);
		a->dirty = 1;
		return 1;
	}
	if (pg_lessons_key(&a->L, &a->p, k)) {
		a->dirty = 1;
		return 1;
	}
	return 0;
}

static int drained_key(void *ud, int k)
{
	struct pga *a = ud;
	int cmd;
	if (k == KEYS_RESIZE) {
		view_resize(a->v);
		a->dirty = a->clear = 1;
		return 0;
	}
	if (k == KEYS_REFRESH)
		a->clear = 1;
	if (a->train && lesson_key(a, k))
		return 0;
	if (pg_key(&a->p, k, &cmd))
		a->dirty = 1;
	run_cmd(a, cmd);
	return a->quitting;
}

static void on_stdin(uv_poll_t *h, int status, int events)
{
	struct pga *a = h->data;
	(void)events;
	if (status < 0 || (!a->quitting && view_drain(a->v, drained_key, a)))
		quit(a);       /* the terminal went away */
}

static void on_signal(uv_signal_t *s, int sig)
{
	struct pga *a = s->data;
	if (sig == SIGWINCH) {
		view_resize(a->v);
		a->dirty = a->clear = 1;
	} else {
		quit(a);
	}
}

static void on_check(uv_check_t *c)
{
	struct pga *a = c->data;
	if (a->quitting || !(a->dirty || a->clear))
		return;
	struct hh_view hv;
	if (a->train)
		while (pg_lessons_check(&a->L, &a->p))
			;
	pg_render(&a->p, &hv);
	if (a->train)
		pg_lessons_render(&a->L, &a->p, a->list, &hv);
	view_draw(a->v, &hv, NULL, a->clear);
	a->dirty = a->clear = 0;
}

int pg_app_run(uv_loop_t *loop, const struct client_config *cc0,
               const struct view_opts *vo, int train)
{
	static struct pga a;
	struct client_config cc = *cc0;
	static const int sigs[4] = { SIGWINCH, SIGINT, SIGTERM, SIGHUP };
	int rc;

	memset(&a, 0, sizeof a);
	a.loop = loop;
	pg_init(&a.p);
	pg_lessons_init(&a.L);
	a.train = a.list = train;
	cc.ud = &a;
	cc.on_link = on_link;
	cc.on_notify = on_notify;
	rc = client_new(loop, &cc, &a.cl);
	if (rc < 0) {
		fprintf(stderr, "ptm: cannot start the link: %s\n", uv_strerror(rc));
		return 1;
	}
	rc = view_open(vo, &a.v);
	if (rc < 0) {
		fprintf(stderr, "ptm: needs a terminal (%s)\n", strerror(-rc));
		a.quitting = 1;
		client_close(a.cl, NULL, NULL);
		uv_run(loop, UV_RUN_DEFAULT);
		return 1;
	}
	uv_poll_init(loop, &a.in, 0);
	a.in.data = &a;
	uv_poll_start(&a.in, UV_READABLE, on_stdin);
	for (int i = 0; i < 4; i++) {
		uv_signal_init(loop, &a.sig[i]);
		a.sig[i].data = &a;
		uv_signal_start(&a.sig[i], on_signal, sigs[i]);
	}
	uv_check_init(loop, &a.check);
	a.check.data = &a;
	uv_check_start(&a.check, on_check);
	a.dirty = a.clear = 1;
	on_check(&a.check);
	uv_run(loop, UV_RUN_DEFAULT);
	view_close(a.v);
	return 0;
}
