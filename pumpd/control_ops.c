/* pumpd/control_ops.c — the control socket's verbs on the running pump
 * (see control_ops.h, control.h). */
#include "pumpd/control_ops.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "crypto/keys.h"
#include "net/peer.h"
#include "net/rxfile.h"
#include "pumpd/audit.h"
#include "pumpd/batch.h"
#include "util/fmt.h"
#include "pumpd/change.h"
#include "pumpd/dispatch.h"
#include "pumpd/druglib.h"
#include "pumpd/log.h"
#include "pumpd/notify.h"
#include "pumpd/pairing.h"
#include "pumpd/remote.h"
#include "pumpd/rxload.h"
#include "pumpd/session.h"
#include "pumpd/srv.h"
#include "pumpd/ticker.h"
#include "pumpd/wire.h"

struct op {
	struct server *srv;
	int argc;
	char **argv;
	const char *body;
	size_t len;
	struct strbuf *out;
	char *err;
	size_t errcap;
};

#define FAIL(o, code, ...) (fmt_set((o)->err, (o)->errcap, __VA_ARGS__), (code))

static int op_status(struct op *o)
{
	struct server *srv = o->srv;
	char a[PEER_ADDR_MAX];
	strbuf_printf(o->out, "pid %ld\n", (long)getpid());
	for (unsigned i = 0; peer_server_address_at(srv->ps, i, a, sizeof a) == 0; i++)
		strbuf_printf(o->out, "listen %s\n", a);
	strbuf_printf(o->out, "clock %s\n", srv->sim ? "simulated" : "real");
	strbuf_printf(o->out, "speed %" PRIu32 "\n", srv->clk.speed);
	strbuf_printf(o->out, "now_ms %" PRId64 "\n", srv_now(srv));
	unsigned n = 0;
	for (struct session *s = srv->sessions; s; s = s->next)
		n++;
	strbuf_printf(o->out, "remotes %zu\nsessions %u\n", srv->remotes.count, n);
	/* the pump's count of drug delivered, and what reached the patient
	 * (the emulator's truth: a tester's occlusion, which the pump cannot
	 * see, makes them differ) */
	const pump *p = &srv->pump;
	strbuf_printf(o->out, "delivered_ng %" PRIu64 "\nreached_ng %" PRIu64
	              "\nreach_pct %" PRIu32 "\n", p->basal_ng + p->bolus_ng,
	              p->reached_ng, p->reach_pct);
	return 0;
}

static int op_pair(struct op *o)
{
	struct server *srv = o->srv;
	if (o->argc != 4)
		return FAIL(o, 2, "pair needs NAME, ROLE and a base64 key");
	const char *name = o->argv[1];
	int role = store_role_parse(o->argv[2]);
	uint8_t pub[KEYS_LEN];
	if (!store_name_valid(name))
		return FAIL(o, 2, "bad name (1-32 of A-Z a-z 0-9 . _ -, not starting "
		            "with . or -)");
	if (role < 0)
		return FAIL(o, 2, "unknown role (use patient, clinician, tester)");
	if (keys_parse_public(o->argv[3], pub) < 0)
		return FAIL(o, 2, "not a base64 X25519 public key");
	const uint8_t *pump_pub = keys_secret_pub(srv->key);
	if (memcmp(pub, pump_pub, KEYS_LEN) == 0)
		return FAIL(o, 2, "that is the pump's own key");
	struct remote *old = remote_find(srv, pub);
	if (old)
		return FAIL(o, 1, "this key is already paired as '%s' (%s)", old->name,
		            store_role_name(old->role));
	if (remote_find_name(srv, name))
		return FAIL(o, 1, "a remote named '%s' is already paired (unpair it "
		            "first)", name);
	int64_t now = srv_now(srv);
	int e = pairing_add(srv->st, name, role, pub, now, pclock_wall_ms());
	if (e < 0)
		return FAIL(o, 1, "cannot store: %s", e == -ENOSPC ? "disk full" :
		            store_errmsg(srv->st));
	struct store_remote *sr = malloc(sizeof *sr);
	if (!sr || store_remote_find(srv->st, pub, sr) < 0 || !remote_add(srv, sr)) {
		free(sr);
		log_error("%s: paired, but not taken into memory: restart pumpd", name);
		return FAIL(o, 1, "paired in the store but not in the running pump "
		            "(out of memory): restart pumpd");
	}
	free(sr);
	/* a session still open for an old pairing of this key ends now */
	for (struct session *s = srv->sessions, *nx; s; s = nx) {
		nx = s->next;
		if (s->remote && s->remote->unpaired &&
		    memcmp(s->remote->pub, pub, KEYS_LEN) == 0)
			dispatch_drop_unpaired(srv, s, 0, -1);
	}
	char line[160];
	pairing_message(line, sizeof line, name, role, pump_pub, pub);
	log_info("%s (by the state directory's owner)", line);
	strbuf_printf(o->out, "%s\n", line);
	return 0;
}

static int op_unpair(struct op *o)
{
	struct server *srv = o->srv;
	if (o->argc != 2)
		return FAIL(o, 2, "unpair needs NAME");
	struct remote *rm = remote_find_name(srv, o->argv[1]);
	if (!rm)
		return FAIL(o, 1, "no remote named '%s'", o->argv[1]);
	int e = pairing_remove(srv->st, rm->name, srv_now(srv), pclock_wall_ms());
	if (e < 0)
		return FAIL(o, 1, "cannot store: %s", e == -ENOSPC ? "disk full" :
		            store_errmsg(srv->st));
	log_info("unpaired %s (by the state directory's owner)%s", rm->name,
	         rm->sess ? ": its session ends at its next request" : "");
	strbuf_printf(o->out, "unpaired %s\n", rm->name);
	remote_unpair(srv, rm);
	return 0;
}

static int op_remotes(struct op *o)
{
	/* in name order, as pumpd remotes prints them from the store */
	struct server *srv = o->srv;
	size_t n = srv->remotes.count, i = 0;
	struct remote **v = malloc((n ? n : 1) * sizeof *v);
	if (!v)
		return FAIL(o, 1, "out of memory");
	for (struct remote *rm = srv->remotes.list; rm; rm = rm->next)
		v[i++] = rm;
	for (size_t a = 1; a < n; a++)           /* insertion sort by name */
		for (size_t b = a; b > 0 && strcmp(v[b - 1]->name, v[b]->name) > 0; b--) {
			struct remote *t = v[b];
			v[b] = v[b - 1];
			v[b - 1] = t;
		}
	char line[160];
	for (i = 0; i < n; i++) {
		pairing_row(line, sizeof line, v[i]->name, v[i]->role, v[i]->pub,
		            v[i]->last_seen_ms);
		strbuf_printf(o->out, "%s\n", line);
	}
	free(v);
	return 0;
}

static int op_rx(struct op *o)
{
	struct msg_rx mrx;
	wire_rx_from_pump(&o->srv->pump.rx, &mrx);
	char *text = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&text, &len);
	if (!f)
		return FAIL(o, 1, "out of memory");
	int e = rxfile_fprint(&mrx, f);
	fclose(f);
	if (e == 0)
		strbuf_printf(o->out, "%.*s", (int)len, text);
	free(text);
	return e == 0 ? 0 : FAIL(o, 1, "cannot print the prescription");
}

struct program {
	int64_t now;
	const char *drug;
	const char *note;   /* an override's row (druglib_override_row), or "" */
};

/* in program's transaction (after its events' rows): its own row */
static int program_row(struct server *srv, void *ud)
{
	struct program *pg = ud;
	char text[MSG_TEXT_MAX + 1];
	snprintf(text, sizeof text, "program %s: done (from a prescription file, "
	         "by the state directory's owner)", pg->drug);
	int e = audit_row_at(srv, STORE_EV_REQUEST, "pump", 0, pg->now, text);
	if (e == 0 && pg->note[0])   /* an override's reason, in a row of its own */
		e = audit_row_at(srv, STORE_EV_REQUEST, "pump", 0, pg->now, pg->note);
	return e;
}

static int op_program(struct op *o)
{
	struct server *srv = o->srv;
	pump_rx rx;
	char why[RXFILE_ERR_MAX + 64];
	if (rxload_text("prescription", o->body, o->len, &rx, why, sizeof why) < 0)
		return FAIL(o, 2, "%s", why);
	/* program [TAB override]: this pump's drug library, as PROGRAM's */
	const char *override = o->argc > 1 ? o->argv[1] : NULL;
	if (o->argc > 2 || (override && !druglib_reason_ok(override)))
		return FAIL(o, 2, "override: 1 to %d printable characters",
		            MSG_OVERRIDE_MAX);
	struct druglib_verdict v;
	int lim = druglib_check(srv->druglib, &rx, override, &v);
	if (lim < 0)
		return FAIL(o, 2, "%s (this pumpd's drug library, %s): refused%s",
		            v.detail, rx.drug, lim == DRUGLIB_SOFT ? " unless "
		            "--override REASON says why" : "");
	char note[MSG_TEXT_MAX + 1] = "";
	if (v.overridden) {
		druglib_override_row(note, sizeof note, &v, override);
		log_warn("program (a prescription file): %s passed under an "
		         "override: %s", v.detail, override);
	}
	int64_t now = srv_now(srv);
	pump *next = malloc(sizeof *next);
	if (!next)
		return FAIL(o, 1, "out of memory");
	*next = srv->pump;
	srv_advance(srv, next, now);
	const char *field = NULL;
	int e = pump_program(next, now, &rx, &field, srv_collect, srv);
	int rc = 0;
	if (e == PUMP_E_RANGE || e == PUMP_E_INVAL) {
		rc = FAIL(o, 2, "%s: out of the pump's range", field ?
		          wire_field_name(field) : "prescription");
	} else if (e == PUMP_E_CEILING) {
		rc = FAIL(o, 1, "ceiling_24h is below the drug already given in the "
		          "last 24 h");
	} else if (e < 0) {
		rc = FAIL(o, 1, "%s", pump_strerror(e));
	} else {
		struct notes ns = { 0 };
		struct program pg = { now, rx.drug, note };
		char serr[256];
		e = notify_room(srv);
		if (e == 0)
			e = change_store(srv, next, &ns, program_row, &pg, serr, sizeof serr);
		if (e < 0) {
			rc = FAIL(o, 1, "cannot store: %s", e == -ENOSPC ? "disk full" : serr);
		} else {
			srv_set_pump(srv, next, NULL);
			struct msg_state st;
			srv_state(srv, now, &st);
			notify_send(srv, &ns, &st);
			ticker_arm(srv);
			log_info("programmed from a prescription file (%s)", rx.drug);
			strbuf_printf(o->out, "programmed %s\n", rx.drug);
		}
	}
	free(next);
	return rc;
}

int control_ops_run(struct server *srv, int argc, char **argv,
                    const char *body, size_t len, struct strbuf *out,
                    char *err, size_t errcap)
{
	static const struct {
		const char *verb;
		int (*fn)(struct op *o);
	} verbs[] = {
		{ "status", op_status }, { "pair", op_pair }, { "unpair", op_unpair },
		{ "remotes", op_remotes }, { "rx", op_rx }, { "program", op_program },
	};
	struct op o = { srv, argc, argv, body, len, out, err, errcap };
	if (srv->closing)
		return FAIL(&o, 1, "pumpd is stopping");
	batch_flush(srv);   /* the owner's change is a transaction of its own */
	for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
		if (strcmp(argv[0], verbs[i].verb) == 0)
			return verbs[i].fn(&o);
	return FAIL(&o, 2, "unknown request");
}
