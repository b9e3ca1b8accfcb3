/*
 * tui/main.c — ptm, the patient's handheld remote: arguments, key files,
 * and the libuv loop that wires the terminal (stdin poll, SIGWINCH), the
 * link to the pump (net/client.h) and one timer armed for the next visible
 * change.  Redraws are flagged by state changes and drawn once per loop
 * turn (a check handle), as tmux does: no polling, no fixed-rate tick.
 *
 *   ptm [--pump ADDR] [--key FILE] [--pump-key FILE] [--tester-key FILE]
 *       [--train] [--ascii] [--remote-battery PCT]
 *   ptm --keygen DIR/NAME[.key]
 *   ptm --help | --version
 */
#include <errno.h>
#include <locale.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "tui/hh.h"
#include "tui/keys.h"
#include "tui/lessons.h"
#include "tui/view.h"
#include "util/esc.h"
#include "util/version.h"

#define BACKOFF_MAX_MS 3000u

struct app {
	uv_loop_t *loop;
	uv_poll_t in;
	uv_signal_t winch, sigint, sigterm, sighup;
	uv_timer_t timer;
	uv_check_t check;
	struct client *cl;       /* the patient's link */
	/* The tester's link (training time skips and faults) is opened only
	 * for a training action and closed when its replies are in: the pump
	 * keeps one session per key, so a link held open would be replaced by,
	 * and would replace, every ptmctl run with the same key (the demo's). */
	keys_secret *tkey;       /* --tester-key, owned until main returns; or NULL */
	struct client_config tcfg; /* the tester link's configuration (key: tkey) */
	struct client *tester;   /* open while tester_pending > 0, else NULL */
	unsigned tester_pending; /* tester requests without their reply yet */
	hh *h;
	lessons *ls;             /* NULL unless --train */
	view *v;
	int dirty, clear;
	uint64_t due;            /* local ms of the next visible change (UINT64_MAX: none) */
	int quitting;
	int status_pending;
};

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

static void on_status(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	a->status_pending = 0;
	if (a->quitting)
		return;
	if (status == 0 && r)
		hh_state(a->h, &r->state, now_ms(a));
	a->dirty = 1;
}

static void send_status(struct app *a)
{
	struct msg_request q = { .type = MSG_STATUS };
	if (a->status_pending)
		return;
	if (client_request(a->cl, &q, on_status, a) == 0)
		a->status_pending = 1;
}

static void on_bolus(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	hh_bolus_reply(a->h, status, r, now_ms(a));
	a->dirty = 1;
}

static void on_silence(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	hh_silence_reply(a->h, status, r, now_ms(a));
	a->dirty = 1;
}

static void on_history(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	hh_history_reply(a->h, status, r, now_ms(a));
	a->dirty = 1;
}

static void closed_client(void *ud)
{
	(void)ud;
}

static void on_tester(void *ud, int status, const struct msg_reply *r)
{
	struct app *a = ud;
	if (a->tester_pending)
		a->tester_pending--;
	if (a->quitting)
		return;
	if (a->tester_pending == 0 && a->tester) {
		client_close(a->tester, closed_client, a);  /* frees it */
		a->tester = NULL;
	}
	if (status < 0) {
		char b[HH_TEXT];
		snprintf(b, sizeof b, "Training action failed: %s", client_strerror(status));
		hh_message(a->h, b, HH_TONE_WARN, now_ms(a));
	} else if (r->err != MSG_OK) {
		char b[HH_TEXT * 2], d[ESC_MAX(sizeof r->detail)];
		snprintf(b, sizeof b, "Training action refused: %s%s%s",
		         r->err == MSG_E_ROLE ? "the key is not paired as tester"
		         : r->err == MSG_E_NOT_SIM ? "the pump is not simulated"
		                                   : msg_err_name(r->err),
		         r->detail[0] ? " " : "", esc_s(d, sizeof d, r->detail));
		hh_message(a->h, b, HH_TONE_WARN, now_ms(a));
	} else {
		hh_state(a->h, &r->state, now_ms(a));
		if (r->req_type == MSG_CLOCK) {
			hh_message(a->h, "Training: time skipped forward", HH_TONE_PLAIN,
			           now_ms(a));
		} else if (r->req_type == MSG_FAULT) {
			char v[32], b[HH_TEXT];
			hh_fmt_volume(r->state.reservoir_nl, v, sizeof v);
			snprintf(b, sizeof b, "Training: the pump's reservoir now holds %s", v);
			hh_message(a->h, b, HH_TONE_PLAIN, now_ms(a));
		}
	}
	a->dirty = 1;
}

static void tester_send(struct app *a, struct msg_request *q)
{
	if (!a->tkey) {
		hh_message(a->h, "This needs a tester key (ptm --tester-key FILE)",
		           HH_TONE_WARN, now_ms(a));
		return;
	}
	if (!a->tester && client_new(a->loop, &a->tcfg, &a->tester) < 0)
		a->tester = NULL;
	if (!a->tester || client_request(a->tester, q, on_tester, a) < 0) {
		hh_message(a->h, "Training action could not be sent", HH_TONE_WARN, now_ms(a));
		if (a->tester && a->tester_pending == 0) {
			client_close(a->tester, closed_client, a);
			a->tester = NULL;
		}
		return;
	}
	a->tester_pending++;
}

static void do_skip(struct app *a)
{
	uint64_t w = hh_wait_ms(a->h, now_ms(a));
	if (w == 0) {
		hh_message(a->h, hh_dose_available(a->h, now_ms(a))
		                 ? "Nothing to wait for: a dose is available"
		                 : "Nothing to skip: the wait is not a matter of time",
		           HH_TONE_PLAIN, now_ms(a));
		return;
	}
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = (w + 999u) / 1000u * 1000u + 1000u;
	tester_send(a, &q);
}

static void do_lesson(struct app *a, int action)
{
	const struct msg_state *s = hh_last_state(a->h);
	struct msg_request q = { .type = MSG_FAULT };
	q.u.fault.kind = MSG_FAULT_RESERVOIR;
	if (action == LESSONS_DO_LOW_RESERVOIR) {
		uint32_t thr = hh_have_state(a->h) ? s->low_threshold_nl : 2000000u;
		q.u.fault.arg = thr > 1000000u ? thr - thr / 10u : thr / 2u;
		tester_send(a, &q);
	} else if (action == LESSONS_DO_REFILL) {
		if (!hh_have_state(a->h) || s->capacity_nl == 0) {
			hh_message(a->h, "Training: no pump status yet to refill from: press r",
			           HH_TONE_WARN, now_ms(a));
			return;
		}
		q.u.fault.arg = s->capacity_nl;
		tester_send(a, &q);
	}
}

static void run_cmd(struct app *a, int cmd, int arg)
{
	struct msg_request q;
	memset(&q, 0, sizeof q);
	switch (cmd) {
	case KEYS_CMD_BOLUS:
		q.type = MSG_BOLUS;
		if (client_request(a->cl, &q, on_bolus, a) < 0)
			hh_bolus_reply(a->h, CLIENT_E_LINK, NULL, now_ms(a));
		break;
	case KEYS_CMD_SILENCE:
		q.type = MSG_SILENCE;
		q.u.alarm = 0;
		if (client_request(a->cl, &q, on_silence, a) < 0)
			hh_silence_reply(a->h, CLIENT_E_LINK, NULL, now_ms(a));
		break;
	case KEYS_CMD_HISTORY:
		q.type = MSG_HISTORY;
		q.u.max = 20;
		(void)client_request(a->cl, &q, on_history, a);
		break;
	case KEYS_CMD_STATUS:
		send_status(a);
		break;
	case KEYS_CMD_SKIP:
		do_skip(a);
		break;
	case KEYS_CMD_LESSON:
		do_lesson(a, arg);
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
	uv_close((uv_handle_t *)&a->check, NULL);
	client_close(a->cl, closed_client, a);
	if (a->tester)
		client_close(a->tester, closed_client, a);
	a->tester = NULL;
}

/* ---- loop callbacks ----------------------------------------------------------- */

static void on_key(struct app *a, int key)
{
	struct keys_ctx c = { .h = a->h, .ls = a->ls, .tester = a->tkey != NULL,
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

static void on_stdin(uv_poll_t *p, int status, int events)
{
	struct app *a = p->data;
	(void)events;
	if (status < 0) {       /* the terminal went away */
		quit(a);
		return;
	}
	int got = 0;
	for (;;) {
		int k = view_key(a->v);
		if (k == VIEW_NO_KEY || a->quitting)
			break;
		got = 1;
		if (k != VIEW_SKIP)
			on_key(a, k);
	}
	if (!got && !a->quitting) {
		/* readable but nothing to read: the terminal hung up (never spin) */
		struct pollfd pfd = { .fd = 0, .events = POLLIN };
		if (poll(&pfd, 1, 0) == 1 && (pfd.revents & (POLLHUP | POLLERR | POLLNVAL)))
			quit(a);
	}
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

static void on_link(void *ud, int state, int reason)
{
	struct app *a = ud;
	(void)reason;
	if (a->quitting)
		return;
	hh_link(a->h, state == CLIENT_UP ? HH_LINK_UP
	              : state == CLIENT_DOWN ? HH_LINK_DOWN : HH_LINK_CONNECTING,
	        now_ms(a));
	if (state == CLIENT_UP) {
		send_status(a);
		run_cmd(a, KEYS_CMD_HISTORY, 0);
	}
	a->dirty = 1;
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	struct app *a = ud;
	if (a->quitting)
		return;
	hh_notify(a->h, n, now_ms(a));
	if (n->event == MSG_EV_BOLUS_STARTED || n->event == MSG_EV_BOLUS_ENDED)
		run_cmd(a, KEYS_CMD_HISTORY, 0);
	a->dirty = 1;
}

static void on_tester_link(void *ud, int state, int reason)
{
	(void)ud;
	(void)state;
	(void)reason;
}

static void on_tester_notify(void *ud, const struct msg_notify *n)
{
	(void)ud;
	(void)n;    /* the patient link gets the same notifications */
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
			do_lesson(a, act);
	}
	int bells = hh_bell(a->h, now);
	if (bells)
		view_bell(a->v, bells);
	if (a->dirty) {
		struct hh_view hv;
		hh_render(a->h, now, &hv);
		view_draw(a->v, &hv, a->ls, a->clear);
		a->dirty = a->clear = 0;
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

/* ---- arguments ------------------------------------------------------------------- */

static void usage(FILE *f)
{
	fputs("usage: ptm [--pump ADDR] [--key FILE] [--pump-key FILE] [--tester-key FILE]\n"
	      "           [--train] [--ascii] [--remote-battery PCT]\n"
	      "       ptm --keygen DIR/NAME[.key]\n"
	      "       ptm --help | --version\n"
	      "\n"
	      "The patient's remote for an implanted drug pump (pumpd), drawn in the\n"
	      "terminal (80x24 or larger).  The pump decides every dose; the remote\n"
	      "shows its answer.\n"
	      "\n"
	      "  --pump ADDR          the pump: unix:PATH or tcp:HOST:PORT  [PTM_PUMP]\n"
	      "  --key FILE           this remote's private key, mode 0600  [PTM_KEY]\n"
	      "  --pump-key FILE      the pump's public key                 [PTM_PUMP_KEY]\n"
	      "  --tester-key FILE    a private key paired as tester: lets training skip\n"
	      "                       time and raise alarms on a simulated pump\n"
	      "  --train              training mode: guided lessons\n"
	      "  --ascii              draw with ASCII only (also when the locale is not UTF-8)\n"
	      "  --remote-battery PCT the remote's own battery level, 0-100 (below 20 lights\n"
	      "                       Remote battery)\n"
	      "  --keygen DIR/NAME    write a new key pair DIR/NAME.key and DIR/NAME.pub\n"
	      "                       (NAME or NAME.key) and print the public key\n"
	      "  -h, --help           this help\n"
	      "  --version            print 'ptm VERSION'\n"
	      "\n"
	      "Keys: Space, Enter or a click on DOSE  ask for a dose;  m silence alarms;\n"
	      "a alarms;  s status;  h history;  b, Esc back;  r, Ctrl-L refresh;  ? help;\n"
	      "q quit.  Training: l lessons, 1-5 start one, n next step, x leave,\n"
	      "f skip time.\n"
	      "Environment: NO_COLOR (no colours), LANG/LC_ALL (UTF-8 or ASCII), TZ.\n"
	      "See ptm(1).\n", f);
}

struct args {
	const char *pump, *key, *pump_key, *tester_key, *keygen;
	const char *pump_src;    /* "--pump" or "PTM_PUMP", for messages */
	int train, ascii, battery;
};

static int parse_args(int argc, char **argv, struct args *g)
{
	memset(g, 0, sizeof *g);
	g->pump = getenv("PTM_PUMP");
	g->pump_src = "PTM_PUMP";
	g->key = getenv("PTM_KEY");
	g->pump_key = getenv("PTM_PUMP_KEY");
	g->battery = 100;
	for (int i = 1; i < argc; i++) {
		const char *s = argv[i];
		const char **val = NULL;
		if (strcmp(s, "--help") == 0 || strcmp(s, "-h") == 0) {
			usage(stdout);
			return 1;
		} else if (strcmp(s, "--version") == 0) {
			printf("ptm %s\n", PTM_VERSION);
			return 1;
		} else if (strcmp(s, "--train") == 0) {
			g->train = 1;
			continue;
		} else if (strcmp(s, "--ascii") == 0) {
			g->ascii = 1;
			continue;
		} else if (strcmp(s, "--pump") == 0) {
			val = &g->pump;
			g->pump_src = "--pump";
		} else if (strcmp(s, "--key") == 0) {
			val = &g->key;
		} else if (strcmp(s, "--pump-key") == 0) {
			val = &g->pump_key;
		} else if (strcmp(s, "--tester-key") == 0) {
			val = &g->tester_key;
		} else if (strcmp(s, "--keygen") == 0) {
			val = &g->keygen;
		} else if (strcmp(s, "--remote-battery") == 0) {
			if (i + 1 >= argc) {
				fprintf(stderr, "ptm: --remote-battery needs a percentage\n");
				return -1;
			}
			char *end;
			long p = strtol(argv[++i], &end, 10);
			if (*argv[i] == '\0' || *end != '\0' || p < 0 || p > 100) {
				char e[ESC_MAX(64)];
				fprintf(stderr, "ptm: --remote-battery: '%s' is not 0..100\n",
				        esc_s(e, sizeof e, argv[i]));
				return -1;
			}
			g->battery = (int)p;
			continue;
		} else {
			char e[ESC_MAX(64)];
			fprintf(stderr, "ptm: unknown option '%s' (try ptm --help)\n",
			        esc_s(e, sizeof e, s));
			return -1;
		}
		if (i + 1 >= argc || argv[i + 1][0] == '\0') {
			fprintf(stderr, "ptm: %s needs a value (try ptm --help)\n", s);
			return -1;
		}
		*val = argv[++i];
	}
	return 0;
}

/* DIR/NAME or DIR/NAME.key: keys_write_pair takes NAME.key as NAME. */
static int keygen(const char *path)
{
	char dir[4096], err[KEYS_ERRLEN];
	const char *slash = strrchr(path, '/');
	const char *name = slash ? slash + 1 : path;
	size_t dl = slash ? (size_t)(slash - path) : 1;
	if (*name == '\0' || dl >= sizeof dir) {
		char e[ESC_MAX(256)];
		fprintf(stderr, "ptm: --keygen: '%s' does not end in a file name\n",
		        esc_s(e, sizeof e, path));
		return 2;
	}
	if (slash)
		memcpy(dir, path, dl);
	else
		dir[0] = '.';
	dir[dl] = '\0';
	if (slash && dl == 0)
		strcpy(dir, "/");
	uint8_t priv[KEYS_LEN], pub[KEYS_LEN];
	int rc = keys_generate(priv, pub);
	if (rc == 0)
		rc = keys_write_pair(dir, name, priv, err);
	else
		snprintf(err, sizeof err, "no randomness");
	sodium_memzero(priv, sizeof priv);
	if (rc < 0) {
		fprintf(stderr, "ptm: --keygen: %s\n", err);
		return 1;
	}
	char b64[KEYS_B64LEN];
	keys_format_public(pub, b64);
	printf("%s\n", b64);
	return 0;
}

static int load_secret(const char *what, const char *path, keys_secret **out)
{
	char err[KEYS_ERRLEN];
	if (keys_load_private(path, out, err) < 0) {
		fprintf(stderr, "ptm: %s: %s\n", what, err);
		return -1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	struct args g;
	int rc = parse_args(argc, argv, &g);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	if (g.keygen)
		return keygen(g.keygen);
	if (!g.pump || !g.key || !g.pump_key) {
		fprintf(stderr, "ptm: need %s%s%s(options or env PTM_PUMP, PTM_KEY, PTM_PUMP_KEY)\n",
		        g.pump ? "" : "--pump ADDR ", g.key ? "" : "--key FILE ",
		        g.pump_key ? "" : "--pump-key FILE ");
		return 2;
	}
	/* the address first: a typo is a usage error, named as such */
	char aerr[256];
	if (client_check_address(g.pump, aerr, sizeof aerr) < 0) {
		fprintf(stderr, "ptm: %s %s\n", g.pump_src, aerr);
		return 2;
	}
	/* a pump that dies while we write must not kill us with SIGPIPE (and
	 * leave the terminal in curses mode): the link is lost, and shown */
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		fprintf(stderr, "ptm: libsodium failed to start\n");
		return 1;
	}

	uint8_t pump_pub[KEYS_LEN];
	char err[KEYS_ERRLEN];
	keys_secret *key = NULL, *tkey = NULL;
	if (keys_load_public(g.pump_key, pump_pub, err) < 0) {
		fprintf(stderr, "ptm: --pump-key: %s\n", err);
		return 2;
	}
	if (load_secret("--key", g.key, &key) < 0)
		return 2;
	if (g.tester_key && load_secret("--tester-key", g.tester_key, &tkey) < 0) {
		keys_secret_free(key);
		return 2;
	}

	setlocale(LC_ALL, "");
	const char *nc = getenv("NO_COLOR");

	struct app a;
	memset(&a, 0, sizeof a);
	a.loop = uv_default_loop();
	a.h = hh_new();
	a.ls = g.train ? lessons_new() : NULL;
	if (!a.h || (g.train && !a.ls)) {
		fprintf(stderr, "ptm: out of memory\n");
		keys_secret_free(key);
		keys_secret_free(tkey);
		return 1;
	}
	hh_set_remote_battery(a.h, g.battery);
	if (g.train)
		hh_set_screen(a.h, HH_SCR_LESSONS);

	struct client_config cc = {
		.address = g.pump,
		.key = keys_secret_priv(key),
		.pump_key = pump_pub,
		.reconnect = 1,
		.backoff_max_ms = BACKOFF_MAX_MS,
		.ud = &a,
		.on_link = on_link,
		.on_notify = on_notify,
	};
	rc = client_new(a.loop, &cc, &a.cl);
	/* the client uses the private key where it is (guarded memory) until
	 * the loop ends: it is freed after it */
	if (rc < 0) {               /* the address was checked: not a usage error */
		fprintf(stderr, "ptm: cannot start the link: %s\n", uv_strerror(rc));
		keys_secret_free(key);
		keys_secret_free(tkey);
		hh_free(a.h);
		lessons_free(a.ls);
		return 1;
	}
	if (tkey) {
		a.tkey = tkey;
		a.tcfg = cc;
		a.tcfg.key = keys_secret_priv(tkey);
		a.tcfg.reconnect = 0;
		a.tcfg.on_link = on_tester_link;
		a.tcfg.on_notify = on_tester_notify;
	}

	struct view_opts vo = { .ascii = g.ascii, .training = g.train,
	                        .no_color = nc && nc[0] };
	rc = view_open(&vo, &a.v);
	if (rc < 0) {
		fprintf(stderr, "ptm: needs a terminal (%s)\n", strerror(-rc));
		a.quitting = 1;
		client_close(a.cl, NULL, NULL);
		uv_run(a.loop, UV_RUN_DEFAULT);
		keys_secret_free(key);
		keys_secret_free(a.tkey);
		hh_free(a.h);
		lessons_free(a.ls);
		return 1;
	}

	uv_poll_init(a.loop, &a.in, 0);
	a.in.data = &a;
	uv_poll_start(&a.in, UV_READABLE, on_stdin);
	uv_signal_init(a.loop, &a.winch);
	a.winch.data = &a;
	uv_signal_start(&a.winch, on_winch, SIGWINCH);
	uv_signal_init(a.loop, &a.sigint);
	a.sigint.data = &a;
	uv_signal_start(&a.sigint, on_quit_signal, SIGINT);
	uv_signal_init(a.loop, &a.sigterm);
	a.sigterm.data = &a;
	uv_signal_start(&a.sigterm, on_quit_signal, SIGTERM);
	uv_signal_init(a.loop, &a.sighup);
	a.sighup.data = &a;
	uv_signal_start(&a.sighup, on_quit_signal, SIGHUP);
	uv_timer_init(a.loop, &a.timer);
	a.timer.data = &a;
	uv_check_init(a.loop, &a.check);
	a.check.data = &a;
	uv_check_start(&a.check, on_check);
	a.dirty = a.clear = 1;
	a.due = UINT64_MAX;
	on_check(&a.check);          /* the first frame, before anything arrives */

	uv_run(a.loop, UV_RUN_DEFAULT);

	view_close(a.v);
	uv_loop_close(a.loop);
	keys_secret_free(key);      /* zeroes the private keys */
	keys_secret_free(a.tkey);
	hh_free(a.h);
	lessons_free(a.ls);
	return 0;
}
