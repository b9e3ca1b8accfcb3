/*
 * tui/main.c — ptm, the patient's handheld remote: the command line
 * (tui/opts.c), the keys, the link and the loop (tui/app.c) put together.
 *
 *   ptm [--pump ADDR] [--key FILE] [--pump-key FILE] [--tester-key FILE]
 *       [--train] [--ascii] [--remote-battery PCT]
 *       [--remote-battery-life DURATION] [--remote-battery-requests N]
 *   ptm --keygen DIR/NAME[.key]
 *   ptm --help | --version
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>
#include <unistd.h>
#include <uv.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "tui/app.h"
#include "tui/opts.h"
#include "tui/pg.h"
#include "tui/pg_app.h"
#include "util/esc.h"

#define BACKOFF_MAX_MS 3000u

/* --record FILE: a new file (a recording never replaces one) and its
 * recorder; 0, or -1 after saying why */
static int open_record(const char *path, FILE **f, struct scnrec **rec)
{
	char e[ESC_MAX(256)];
	int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
	if (fd < 0 || !(*f = fdopen(fd, "w"))) {
		fprintf(stderr, "ptm: --record %s: %s\n", esc_s(e, sizeof e, path),
		        strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (!(*rec = scnrec_new(*f))) {
		fprintf(stderr, "ptm: out of memory\n");
		fclose(*f);
		*f = NULL;
		return -1;
	}
	scnrec_set_by(*rec, "ptm --record");
	return 0;
}

/* The recording's end: 0, or 1 after saying it could not be written. */
static int close_record(const char *path, FILE *f, struct scnrec *rec)
{
	char e[ESC_MAX(256)];
	scnrec_free(rec);
	if (f && (ferror(f) | fclose(f))) {
		fprintf(stderr, "ptm: --record %s: not all of it was written\n",
		        esc_s(e, sizeof e, path));
		return 1;
	}
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
	struct opts g;
	int rc = opts_parse(argc, argv, &g);
	if (rc != 0)
		return rc < 0 ? 2 : 0;
	if (g.keygen)
		return opts_keygen(g.keygen);
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

	if (g.clinician) {
		struct client_config pc = {
			.address = g.pump, .key = keys_secret_priv(key), .pump_key = pump_pub,
			.reconnect = 1, .backoff_max_ms = BACKOFF_MAX_MS,
		};
		struct view_opts pv = { .ascii = g.ascii, .no_color = nc && nc[0],
		                        .title = g.train ? " ptm  clinician programmer  TRAINING "
		                                         : " ptm  clinician programmer ",
		                        .footer = g.train ? pg_footer_training() : pg_footer(),
		                        .no_button = 1 };
		rc = pg_app_run(uv_default_loop(), &pc, &pv, g.train);
		uv_loop_close(uv_default_loop());
		keys_secret_free(key);
		keys_secret_free(tkey);
		return rc;
	}

	struct app a;
	memset(&a, 0, sizeof a);
	FILE *recf = NULL;
	if (g.record && open_record(g.record, &recf, &a.rec) < 0) {
		keys_secret_free(key);
		keys_secret_free(tkey);
		return 2;
	}
	a.loop = uv_default_loop();
	a.h = hh_new();
	a.ls = g.train ? lessons_new() : NULL;
	int failed = 1;             /* until the loop has run */
	if (!a.h || (g.train && !a.ls)) {
		fprintf(stderr, "ptm: out of memory\n");
		goto out;
	}
	hh_battery_config(a.h, g.battery_life_ms, g.battery_requests);
	hh_set_remote_battery(a.h, g.battery, uv_now(a.loop));
	char paddr[ESC_MAX(256)];
	a.addr = g.pump;
	hh_set_address(a.h, esc_s(paddr, sizeof paddr, g.pump));
	if (g.train) {
		hh_set_screen(a.h, HH_SCR_LESSONS);
		lessons_set_tester(a.ls, tkey != NULL);
	}

	struct client_config cc = {
		.address = g.pump,
		.key = keys_secret_priv(key),
		.pump_key = pump_pub,
		.reconnect = 1,
		.backoff_max_ms = BACKOFF_MAX_MS,
		.ud = &a,
		.on_link = app_on_link,
		.on_notify = app_on_notify,
	};
	rc = client_new(a.loop, &cc, &a.cl);
	/* the client uses the private key where it is (guarded memory) until
	 * the loop ends: it is freed after it */
	if (rc < 0) {               /* the address was checked: not a usage error */
		fprintf(stderr, "ptm: cannot start the link: %s\n", uv_strerror(rc));
		goto out;
	}
	trainer_init(&a.tr, a.loop, a.h, &a.dirty, &a.quitting, tkey, &cc);

	struct view_opts vo = { .ascii = g.ascii, .training = g.train,
	                        .no_color = nc && nc[0] };
	rc = view_open(&vo, &a.v);
	if (rc < 0) {
		fprintf(stderr, "ptm: needs a terminal (%s)\n", strerror(-rc));
		a.quitting = 1;
		client_close(a.cl, NULL, NULL);
		uv_run(a.loop, UV_RUN_DEFAULT);
		goto out;
	}

	app_start(&a);

	uv_run(a.loop, UV_RUN_DEFAULT);

	view_close(a.v);
	uv_loop_close(a.loop);
	failed = 0;
out:
	keys_secret_free(key);      /* zeroes the private keys */
	keys_secret_free(tkey);
	hh_free(a.h);
	lessons_free(a.ls);
	rc = close_record(g.record, recf, a.rec);
	return failed ? 1 : rc;
}
