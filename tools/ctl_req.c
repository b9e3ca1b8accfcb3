/*
 * tools/ctl_req.c — ptmctl's request subcommands: one pump request each
 * (status, bolus, silence, history, hello, program, refill, clear, log, run,
 * config, cbolus, stage, confirm, cancel, alarmtest, fault, clock), sent with the global options, the reply
 * printed.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sodium.h>

#include "crypto/keys.h"
#include "net/client.h"
#include "net/peer.h"
#include "net/rxfile.h"
#include "tools/ctl.h"
#include "tools/scenario/scnreq.h"
#include "util/units.h"
#include "net/msgjson.h"
#include "util/esc.h"

/* "ptmctl SUB: msg" (msg printable already) and the hint; CTL_EXIT_USAGE */
static int usage_msg(struct ctl_opts *o, const char *sub, const char *msg)
{
	fprintf(o->err, "%s%s%s: %s\n(try '%s%s%s --help')\n", o->prog,
	        sub ? " " : "", sub ? sub : "", msg, o->prog, sub ? " " : "",
	        sub ? sub : "");
	return CTL_EXIT_USAGE;
}

/* The message quotes arguments as given: rendered printable (util/esc.h). */
int ctl_usage_error(struct ctl_opts *o, const char *sub, const char *fmt, ...)
{
	char raw[1024], msg[ESC_MAX(sizeof raw)];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(raw, sizeof raw, fmt, ap);
	va_end(ap);
	esc_str(msg, sizeof msg, raw);
	return usage_msg(o, sub, msg);
}

int ctl_check_pump(struct ctl_opts *o, const char *sub)
{
	char why[128 + ESC_MAX(PEER_ADDR_MAX)], msg[sizeof why + 16];
	if (!o->pump)
		return ctl_usage_error(o, sub, "no pump address: use --pump ADDR or PTM_PUMP (tcp:HOST:PORT or unix:PATH)");
	if (client_check_address(o->pump, why, sizeof why) < 0) {
		/* printable already: not escaped twice */
		snprintf(msg, sizeof msg, "%s %s", o->pump_src ? o->pump_src : "--pump", why);
		return usage_msg(o, sub, msg);
	}
	return 0;
}

int ctl_load_keys(struct ctl_opts *o, const char *sub, keys_secret **sec, uint8_t *pub)
{
	char err[KEYS_ERRLEN];
	*sec = NULL;
	if (keys_load_private(o->key, sec, err) == 0) {
		if (keys_load_public(o->pump_key, pub, err) == 0)
			return 0;
		keys_secret_free(*sec);
		*sec = NULL;
	}
	if (sub)
		fprintf(o->err, "%s %s: %s\n", o->prog, sub, err);
	else
		fprintf(o->err, "%s: %s\n", o->prog, err);
	return CTL_EXIT_USAGE;
}

int ctl_session_keys(struct ctl_opts *o, const char *whose, keys_secret **sec,
                     uint8_t *pub)
{
	int rc = ctl_check_pump(o, NULL);
	*sec = NULL;
	if (rc)
		return rc;
	if (!o->key)
		return ctl_usage_error(o, NULL, "no key: use --key FILE or PTM_KEY (%s)", whose);
	if (!o->pump_key)
		return ctl_usage_error(o, NULL, "no pump key: use --pump-key FILE or PTM_PUMP_KEY (the pump's public key)");
	return ctl_load_keys(o, NULL, sec, pub);
}

int ctl_check_output(struct ctl_opts *o, int rc)
{
	if (fflush(o->out) == 0 && !ferror(o->out))
		return rc;
	fprintf(o->err, "%s: cannot write the output: %s (the reply did not reach you)\n",
	        o->prog, strerror(errno));
	return rc == CTL_EXIT_OK || rc == CTL_EXIT_REFUSED ? CTL_EXIT_CONNECT : rc;
}

/* The rx being programmed, kept so a RANGE reply can name its line. */
static struct rxfile *g_rxparse;

static int print_reply(struct ctl_opts *o, const struct msg_reply *r);

int ctl_request(struct ctl_opts *o, struct msg_request *req)
{
	keys_secret *sec = NULL;
	uint8_t pub[KEYS_LEN];
	static struct msg_reply reply; /* large */
	int rc;

	rc = ctl_session_keys(o, "this remote's private key", &sec, pub);
	if (rc)
		return rc;

	memset(&reply, 0, sizeof reply);
	if (req->type == MSG_STATUS && !o->has_id) {
		/* with the delivery block (a HELLO first): not with --id, which
		 * is sent as given and would follow the HELLO's newer id */
		keys_secret_free(sec);
		sodium_memzero(pub, sizeof pub);
		if ((rc = ctl_status_fetch(o, &reply)))
			return rc;
		return print_reply(o, &reply);
	}
	{
		struct client_config cfg;
		memset(&cfg, 0, sizeof cfg);
		cfg.address = o->pump;
		cfg.key = keys_secret_priv(sec);
		cfg.pump_key = pub;
		cfg.request_timeout_ms = o->timeout_ms;
		/* --id N: sent as it is (a retry, a stale id on purpose); else
		 * the client's rising id */
		req->id = o->has_id ? o->id : 0;
		rc = client_call(&cfg, req, &reply, (int)o->timeout_ms);
	}
	keys_secret_free(sec);
	sodium_memzero(pub, sizeof pub);

	if (rc != 0) {
		char why[1024];
		fprintf(o->err, "%s: %s: %s\n", o->prog, msg_type_name(req->type),
		        client_strerror_at(rc, o->pump, why, sizeof why));
		return ctl_exit_for_status(rc);
	}
	return print_reply(o, &reply);
}

/* The reply on o->out (JSON or human); the exit code for it. */
static int print_reply(struct ctl_opts *o, const struct msg_reply *r)
{
	if (o->json) {
		json_t *j = msgjson_reply(r);
		int w = msgjson_print(o->out, j);
		json_decref(j);
		if (w)
			fprintf(o->err, "%s: cannot write the reply\n", o->prog);
	} else {
		ctl_print_reply(o->out, r, o->state);
	}
	if (r->err == MSG_E_RANGE && g_rxparse && r->detail[0]) {
		char d[ESC_MAX(MSG_DETAIL_MAX + 1)];
		unsigned line = rxfile_line_of(g_rxparse, r->detail);
		const char *key = rxfile_key_of(r->detail);
		if (line)
			fprintf(o->err, "%s:%u: %s: out of range for this pump\n",
			        g_rxparse->name, line,
			        key ? key : esc_s(d, sizeof d, r->detail));
	}
	return ctl_exit_for_reply(r);
}

/* Read a prescription file ("-" = stdin) into rx; messages on o->err. */
static int read_rx(struct ctl_opts *o, const char *sub, const char *path,
                   struct rxfile *p, struct msg_rx *rx)
{
	FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
	char line[RXFILE_LINE_MAX + 2];
	int rc = 0;

	if (!f) {
		int e = errno;
		char ep[ESC_MAX(256)];
		fprintf(o->err, "%s %s: %s: %s\n", o->prog, sub, esc_s(ep, sizeof ep, path),
		        strerror(e));
		return CTL_EXIT_USAGE;
	}
	rxfile_init(p, path);   /* p->name: the path, printable */
	while (fgets(line, sizeof line, f)) {
		size_t n = strlen(line);
		if (n == sizeof line - 1 && line[n - 1] != '\n') {
			fprintf(o->err, "%s %s: %s:%u: line too long\n", o->prog, sub, p->name,
			        p->lineno + 1);
			rc = CTL_EXIT_USAGE;
			break;
		}
		if (rxfile_parse_line(p, line, n) < 0) {
			fprintf(o->err, "%s %s: %s\n", o->prog, sub, p->err);
			rc = CTL_EXIT_USAGE;
			break;
		}
	}
	if (!rc && ferror(f)) {
		fprintf(o->err, "%s %s: %s: read error\n", o->prog, sub, p->name);
		rc = CTL_EXIT_USAGE;
	}
	if (f != stdin)
		fclose(f);
	if (!rc && rxfile_finish(p, rx) < 0) {
		fprintf(o->err, "%s %s: %s\n", o->prog, sub, p->err);
		rc = CTL_EXIT_USAGE;
	}
	return rc;
}

static int alarm_of(const char *s, int allow_all)
{
	if (allow_all && strcmp(s, "all") == 0)
		return 0;
	int a = msg_alarm_parse(s);
	return a > 0 ? a : -1;
}

/* "a, b, c": the names of values 1..count-1 (net/msg.h) but skip, into
 * buf */
static char *names(char *buf, size_t cap, const char *(*name)(int), int count, int skip)
{
	size_t n = 0;
	buf[0] = '\0';
	for (int v = 1; v < count && n < cap; v++) {
		int w;
		if (v == skip)
			continue;
		w = snprintf(buf + n, cap - n, "%s%s", n ? ", " : "", name(v));
		if (w < 0)
			break;
		n += (size_t)w;
	}
	return buf;
}

/* A typo in an alarm's name: a usage error naming the valid ones. */
static int bad_alarm(struct ctl_opts *o, const char *sub, const char *arg, int allow_all)
{
	char list[256];
	return ctl_usage_error(o, sub, "unknown alarm '%s': expected %sone of %s", arg,
	                       allow_all ? "all or " : "",
	                       names(list, sizeof list, msg_alarm_name, MSG_ALARM_COUNT, 0));
}

/* The same for a fault (arg NULL: none given); reservoir, which takes a
 * volume, last. */
static int bad_fault(struct ctl_opts *o, const char *sub, const char *arg)
{
	char list[256];
	names(list, sizeof list, msg_fault_name, MSG_FAULT_COUNT, MSG_FAULT_RESERVOIR);
	if (!arg)
		return ctl_usage_error(o, sub, "which fault? expected one of %s, reservoir VOLUME",
		                       list);
	return ctl_usage_error(o, sub, "unknown fault '%s': expected one of %s, reservoir VOLUME",
	                       arg, list);
}

/* A trailing override=REASON (program, stage, refill): 1..63 printable
 * bytes into dst; 0, or the usage error's code. */
static int take_override(struct ctl_opts *o, const char *sub, const char *why,
                         char dst[MSG_OVERRIDE_MAX + 1])
{
	size_t n = strlen(why);
	if (n == 0 || n > MSG_OVERRIDE_MAX)
		return ctl_usage_error(o, sub, "override=REASON: the reason is 1 to %d characters",
		                       MSG_OVERRIDE_MAX);
	for (size_t i = 0; i < n; i++)
		if ((unsigned char)why[i] < 0x20 || (unsigned char)why[i] > 0x7e)
			return ctl_usage_error(o, sub, "override=REASON: printable ASCII only");
	memcpy(dst, why, n + 1);
	return 0;
}

int ctl_cmd_request(struct ctl_opts *o, int argc, char **argv)
{
	static struct msg_request req; /* large (PROGRAM) */
	static struct rxfile rxp;
	const char *sub = argv[0];
	uint64_t v;

	memset(&req, 0, sizeof req);
	req.type = (uint8_t)msg_type_parse(sub);
	switch (req.type) {
	case MSG_STATUS:
	case MSG_BOLUS:
	case MSG_HELLO:
		if (argc != 1)
			return ctl_usage_error(o, sub, "takes no arguments");
		break;
	case MSG_SILENCE:
		if (argc > 2)
			return ctl_usage_error(o, sub, "takes at most one alarm");
		if (argc == 2) {
			int a = alarm_of(argv[1], 1);
			if (a < 0)
				return bad_alarm(o, sub, argv[1], 1);
			req.u.alarm = (uint8_t)a;
		}
		break;
	case MSG_HISTORY:
		req.u.max = MSG_HISTORY_MAX;
		if (argc > 2)
			return ctl_usage_error(o, sub, "takes at most one number");
		if (argc == 2) {
			if (units_parse_uint(argv[1], MSG_HISTORY_MAX, &v) || v == 0)
				return ctl_usage_error(o, sub, "'%s': expected 1..%d", argv[1], MSG_HISTORY_MAX);
			req.u.max = (uint16_t)v;
		}
		break;
	case MSG_PROGRAM:
	case MSG_STAGE: {
		int rc;
		char why[MSG_OVERRIDE_MAX + 1] = "";
		if (argc == 3 && strncmp(argv[2], "override=", 9) == 0) {
			if ((rc = take_override(o, sub, argv[2] + 9, why)) != 0)
				return rc;
			argc = 2;
		}
		if (argc != 2)
			return ctl_usage_error(o, sub, "expected one prescription file (or - for stdin) "
			                       "[override=REASON]");
		rc = read_rx(o, sub, argv[1], &rxp, &req.u.rx);
		if (rc)
			return rc;
		memcpy(req.u.rx.override, why, sizeof why);
		g_rxparse = &rxp;
		break;
	}
	case MSG_STAGE_CONFIRM:
	case MSG_STAGE_CANCEL:
		if (argc != 2 || units_parse_uint(argv[1], UINT32_MAX, &v) || v == 0)
			return ctl_usage_error(o, sub, "expected the staged session's id (the stage reply's, 1, 2, ...)");
		req.u.stage_id = (uint32_t)v;
		break;
	case MSG_REFILL: {
		char why[MSG_OVERRIDE_MAX + 1] = "";
		if (argc == 5 && strncmp(argv[4], "override=", 9) == 0) {
			int rc = take_override(o, sub, argv[4] + 9, why);
			if (rc)
				return rc;
			argc = 4;
		}
		if (argc == 4 && strncmp(argv[3], "withdrawn=", 10) == 0) {
			if (units_parse_volume(argv[3] + 10, &v) || v > UINT32_MAX)
				return ctl_usage_error(o, sub, "'%s': expected withdrawn=VOLUME such as withdrawn=3.1mL",
				                       argv[3]);
			req.u.refill.has_withdrawn = 1;
			req.u.refill.withdrawn_nl = (uint32_t)v;
			argc = 3;
		}
		if (argc != 3)
			return ctl_usage_error(o, sub, "expected VOLUME CONCENTRATION [withdrawn=VOLUME [override=REASON]], e.g. refill 20mL 10mg/mL withdrawn=3.1mL");
		if (units_parse_volume(argv[1], &v) || v > UINT32_MAX)
			return ctl_usage_error(o, sub, "'%s': expected a volume such as 20mL", argv[1]);
		req.u.refill.volume_nl = (uint32_t)v;
		if (units_parse_conc(argv[2], &v) || v == 0 || v > UINT32_MAX)
			return ctl_usage_error(o, sub, "'%s': expected a concentration such as 10mg/mL", argv[2]);
		req.u.refill.concentration_ng_ml = (uint32_t)v;
		memcpy(req.u.refill.override, why, sizeof why);
		break;
	}
	case MSG_CLEAR:
	case MSG_ALARMTEST: {   /* one named alarm, 1..7 */
		int a;
		if (argc != 2)
			return ctl_usage_error(o, sub, "expected one alarm name");
		a = alarm_of(argv[1], 0);
		if (a < 0)
			return bad_alarm(o, sub, argv[1], 0);
		req.u.alarm = (uint8_t)a;
		break;
	}
	case MSG_LOG:
		req.u.log.max = MSG_LOG_MAX;
		for (int i = 1; i < argc; i++) {
			const char *val = NULL;
			int is_after = 0;
			if (strcmp(argv[i], "--after") == 0 || strcmp(argv[i], "--max") == 0) {
				is_after = argv[i][2] == 'a';
				if (i + 1 >= argc)
					return ctl_usage_error(o, sub, "%s needs a number", argv[i]);
				val = argv[++i];
			} else if (strncmp(argv[i], "--after=", 8) == 0) {
				is_after = 1;
				val = argv[i] + 8;
			} else if (strncmp(argv[i], "--max=", 6) == 0) {
				val = argv[i] + 6;
			} else if (strcmp(argv[i], "--last") == 0) {
				req.u.log.after_seq = UINT64_MAX;   /* PROTOCOL.md: the newest */
				continue;
			} else {
				return ctl_usage_error(o, sub, "unknown argument '%s'", argv[i]);
			}
			if (is_after) {
				if (units_parse_uint(val, UINT64_MAX, &req.u.log.after_seq))
					return ctl_usage_error(o, sub, "--after '%s': expected a number", val);
			} else {
				if (units_parse_uint(val, MSG_LOG_MAX, &v) || v == 0)
					return ctl_usage_error(o, sub, "--max '%s': expected 1..%d", val, MSG_LOG_MAX);
				req.u.log.max = (uint16_t)v;
			}
		}
		break;
	case MSG_RUN:
		if (argc != 2 || (strcmp(argv[1], "start") && strcmp(argv[1], "stop")))
			return ctl_usage_error(o, sub, "expected 'run start' or 'run stop'");
		req.u.run = strcmp(argv[1], "start") == 0;
		break;
	case MSG_CONFIG:
	case MSG_CBOLUS: {
		char why[256];
		if (scnreq_clinic(argv, argc, &req, why, sizeof why) < 0) {
			/* "cbolus prime: ..." -> "prime: ..." after "ptmctl cbolus: " */
			const char *m = why + strlen(sub);
			m += strncmp(m, ": ", 2) == 0 ? 2 : *m == ' ';
			return ctl_usage_error(o, sub, "%s", m);
		}
		break;
	}
	case MSG_FAULT: {
		int f;
		if (argc >= 2 && strcmp(argv[1], "link") == 0) {
			char why[256];
			if (scnreq_link(argv + 1, argc - 1, &req, why, sizeof why) < 0)
				return ctl_usage_error(o, sub, "%s", why);
			break;
		}
		if (argc < 2)
			return bad_fault(o, sub, NULL);
		f = msg_fault_parse(argv[1]);
		if (f <= 0)
			return bad_fault(o, sub, argv[1]);
		req.u.fault.kind = (uint8_t)f;
		if (f == MSG_FAULT_RESERVOIR) {
			if (argc != 3 || units_parse_volume(argv[2], &req.u.fault.arg))
				return ctl_usage_error(o, sub, "reservoir needs a volume, e.g. fault reservoir 1mL");
		} else if (f == MSG_FAULT_OCCLUSION || f == MSG_FAULT_STALL_FOR) {
			char why[256];
			if (argc > 3 || scnreq_fault_arg(f, argc == 3 ? argv[2] : NULL,
			                                 &req.u.fault.arg, why, sizeof why) < 0)
				return ctl_usage_error(o, sub, "%s", argc > 3 ? "too many arguments" : why);
		} else if (argc != 2) {
			return ctl_usage_error(o, sub, "%s takes no argument", argv[1]);
		}
		break;
	}
	case MSG_CLOCK:
		if (argc == 3 && strcmp(argv[1], "advance") == 0) {
			req.u.clock.op = MSG_CLOCK_ADVANCE;
			if (units_parse_duration(argv[2], &req.u.clock.arg))
				return ctl_usage_error(o, sub, "'%s': expected a duration such as 2h, 30m, 1d", argv[2]);
		} else if (argc == 3 && strcmp(argv[1], "speed") == 0) {
			req.u.clock.op = MSG_CLOCK_SPEED;
			if (units_parse_uint(argv[2], UINT32_MAX, &req.u.clock.arg))
				return ctl_usage_error(o, sub, "'%s': expected a whole number (0 = frozen, 1 = real time)", argv[2]);
		} else {
			return ctl_usage_error(o, sub, "expected 'clock advance DURATION' or 'clock speed N'");
		}
		break;
	default:
		return ctl_usage_error(o, NULL, "unknown subcommand '%s'", sub);
	}
	return ctl_request(o, &req);
}
