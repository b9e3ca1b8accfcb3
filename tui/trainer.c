/* tui/trainer.c — training actions through a tester key (see trainer.h). */
#include "tui/trainer.h"

#include <stdio.h>
#include <string.h>

#include "tui/hh_fmt.h"
#include "tui/lessons.h"
#include "util/esc.h"

static void on_link(void *ud, int state, int reason)
{
	(void)ud;
	(void)state;
	(void)reason;
}

static void on_notify(void *ud, const struct msg_notify *n)
{
	(void)ud;
	(void)n;    /* the patient link gets the same notifications */
}

void trainer_init(struct trainer *t, uv_loop_t *loop, hh *h, int *dirty,
                  const int *quitting, keys_secret *key,
                  const struct client_config *patient)
{
	memset(t, 0, sizeof *t);
	t->loop = loop;
	t->h = h;
	t->dirty = dirty;
	t->quitting = quitting;
	t->key = key;
	if (!key)
		return;
	t->cfg = *patient;
	t->cfg.key = keys_secret_priv(key);
	t->cfg.reconnect = 0;
	t->cfg.ud = t;
	t->cfg.on_link = on_link;
	t->cfg.on_notify = on_notify;
}

void trainer_close(struct trainer *t)
{
	if (t->cl)
		client_close(t->cl, NULL, NULL);
	t->cl = NULL;
}

static void on_tester(void *ud, int status, const struct msg_reply *r)
{
	struct trainer *t = ud;
	if (t->pending)
		t->pending--;
	if (*t->quitting)
		return;
	if (t->pending == 0 && t->cl) {
		client_close(t->cl, NULL, NULL);  /* frees it */
		t->cl = NULL;
	}
	if (status < 0) {
		char b[HH_TEXT];
		snprintf(b, sizeof b, "Training action failed: %s", client_strerror(status));
		hh_message(t->h, b, HH_TONE_WARN, uv_now(t->loop));
	} else if (r->err != MSG_OK) {
		char b[HH_TEXT * 2], d[ESC_MAX(sizeof r->detail)];
		snprintf(b, sizeof b, "Training action refused: %s%s%s",
		         r->err == MSG_E_ROLE ? "the key is not paired as tester"
		         : r->err == MSG_E_NOT_SIM ? "the pump is not simulated"
		                                   : msg_err_name(r->err),
		         r->detail[0] ? " " : "", esc_s(d, sizeof d, r->detail));
		hh_message(t->h, b, HH_TONE_WARN, uv_now(t->loop));
	} else {
		hh_state(t->h, &r->state, uv_now(t->loop));
		if (r->req_type == MSG_CLOCK) {
			hh_message(t->h, "Training: time skipped forward", HH_TONE_PLAIN,
			           uv_now(t->loop));
		} else if (r->req_type == MSG_FAULT) {
			char v[32], b[HH_TEXT];
			hh_fmt_volume(r->state.reservoir_nl, v, sizeof v);
			snprintf(b, sizeof b, "Training: the pump's reservoir now holds %s", v);
			hh_message(t->h, b, HH_TONE_PLAIN, uv_now(t->loop));
		}
	}
	*t->dirty = 1;
}

static void send_tester(struct trainer *t, struct msg_request *q)
{
	if (!t->key) {
		hh_message(t->h, "This needs a tester key (ptm --tester-key FILE)",
		           HH_TONE_WARN, uv_now(t->loop));
		return;
	}
	if (!t->cl && client_new(t->loop, &t->cfg, &t->cl) < 0)
		t->cl = NULL;
	if (!t->cl || client_request(t->cl, q, on_tester, t) < 0) {
		hh_message(t->h, "Training action could not be sent", HH_TONE_WARN, uv_now(t->loop));
		if (t->cl && t->pending == 0) {
			client_close(t->cl, NULL, NULL);
			t->cl = NULL;
		}
		return;
	}
	t->pending++;
}

void trainer_skip(struct trainer *t)
{
	uint64_t w = hh_wait_ms(t->h, uv_now(t->loop));
	if (w == 0) {
		hh_message(t->h, hh_dose_available(t->h, uv_now(t->loop))
		                 ? "Nothing to wait for: a dose is available"
		                 : "Nothing to skip: the wait is not a matter of time",
		           HH_TONE_PLAIN, uv_now(t->loop));
		return;
	}
	struct msg_request q = { .type = MSG_CLOCK };
	q.u.clock.op = MSG_CLOCK_ADVANCE;
	q.u.clock.arg = (w + 999u) / 1000u * 1000u + 1000u;
	send_tester(t, &q);
}

void trainer_lesson(struct trainer *t, int action)
{
	const struct msg_state *s = hh_last_state(t->h);
	struct msg_request q = { .type = MSG_FAULT };
	q.u.fault.kind = MSG_FAULT_RESERVOIR;
	if (action == LESSONS_DO_LOW_RESERVOIR) {
		uint32_t thr = hh_have_state(t->h) ? s->low_threshold_nl : 2000000u;
		q.u.fault.arg = thr > 1000000u ? thr - thr / 10u : thr / 2u;
		send_tester(t, &q);
	} else if (action == LESSONS_DO_REFILL) {
		if (!hh_have_state(t->h) || s->capacity_nl == 0) {
			hh_message(t->h, "Training: no pump status yet to refill from: press r",
			           HH_TONE_WARN, uv_now(t->loop));
			return;
		}
		q.u.fault.arg = s->capacity_nl;
		send_tester(t, &q);
	}
}
