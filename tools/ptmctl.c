/*
 * tools/ptmctl.c — ptmctl: the pump protocol for scripts.  Global options,
 * the subcommand table and the help texts; each subcommand lives in a
 * tools/ctl_*.c file.  See docs/ptmctl.1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tools/ctl.h"
#include "util/units.h"
#include "util/version.h"

struct subcmd {
	const char *name;
	int (*fn)(struct ctl_opts *o, int argc, char **argv);
	const char *usage;   /* after "ptmctl [options] NAME"; forms separated
	                        by '\n' */
	const char *role;    /* who may send it, "" for local commands; one a
	                        form, separated by '\n' */
	const char *help;    /* more lines, may be "" */
};

static const struct subcmd subcmds[] = {
	{ "status", ctl_cmd_request, "", "patient",
	  "The pump's state, then the pump's counts of bolus requests (every\n"
	  "remote's) by outcome: 'requests   3 granted, 2 refused (1 lockout, 1\n"
	  "already running)'." },
	{ "bolus", ctl_cmd_request, "", "patient",
	  "Ask for a patient bolus.  The pump decides the dose (its prescription);\n"
	  "the reply says granted (dose, end) or why not, and when the next bolus\n"
	  "would be granted: the earliest time, past every limit that holds (the\n"
	  "reason named is the one that holds last).  Exit status 1 when the bolus\n"
	  "is not granted." },
	{ "silence", ctl_cmd_request, "[ALARM|all]", "patient",
	  "Silence one alarm or every active one (the default) for the prescription's\n"
	  "silence time; it sounds again after that while its cause lasts.  ALARM:\n"
	  "low_reservoir, eri, eos, empty, motor_stall, memory, memory_critical." },
	{ "history", ctl_cmd_request, "[N]", "patient",
	  "This remote's last N (1..64, default 64) bolus requests and their\n"
	  "outcomes, newest first.  The pump gives each remote its own requests\n"
	  "only (a tester or clinician key that asked for none has none): 'log', as\n"
	  "a clinician or tester, lists every remote's." },
	{ "hello", ctl_cmd_request, "", "patient",
	  "What the pump supports: the protocol edition it speaks (1 = the first,\n"
	  "2 = with CONFIG, CBOLUS and the refill check), its features (config,\n"
	  "cbolus, refill_check, stage, drug_library, alarmtest, link,\n"
	  "refill_library) and its software.  A pump of the first edition answers\n"
	  "'type' (unknown request)." },
	{ "program", ctl_cmd_request, "FILE|- [override=REASON]", "clinician",
	  "Send a new prescription (net/rxfile format, see pumpd(8)).  Errors in the\n"
	  "file name its line; a value the pump refuses is traced back to its line.\n"
	  "The pump checks it against its drug library: past a soft limit it is\n"
	  "refused unless override=REASON is given (the reason is logged); past a\n"
	  "hard limit it is refused always." },
	{ "stage", ctl_cmd_request, "FILE|- [override=REASON]", "clinician",
	  "Stage a prescription: the pump holds it pending (checked as 'program'\n"
	  "does, nothing in force changed) and answers what changes for the\n"
	  "patient, current beside pending: daily dose, bolus dose, lockout, count,\n"
	  "ceiling, next refill.  'confirm ID' puts it in force, 'cancel ID' drops\n"
	  "it; until then the current prescription keeps running." },
	{ "confirm", ctl_cmd_request, "ID", "clinician",
	  "Put the staged prescription ID in force in one step (the pump stops, a\n"
	  "running bolus is cut short, the prescription is taken, the pump runs\n"
	  "again).  Refused with 'state' when ID is not the pending session." },
	{ "cancel", ctl_cmd_request, "ID", "clinician",
	  "Drop the staged prescription ID; the prescription in force is unchanged." },
	{ "alarmtest", ctl_cmd_request, "ALARM", "clinician",
	  "Ask every connected remote that reads the pump's third edition to play\n"
	  "ALARM's tone pattern and name it, so that the patient learns it; nothing\n"
	  "changes in the pump.  ALARM: low_reservoir, eri, eos, empty,\n"
	  "motor_stall, memory, memory_critical." },
	{ "refill", ctl_cmd_request, "VOLUME CONCENTRATION [withdrawn=VOLUME [override=REASON]]", "clinician",
	  "Record a refill: the reservoir now holds VOLUME (2mL, 1500uL) of drug at\n"
	  "CONCENTRATION (10mg/mL, 500mcg/mL).  Clears the low-reservoir and empty\n"
	  "alarms.  withdrawn=VOLUME: what you emptied from the reservoir; the pump\n"
	  "compares it with what it expected to remain and says DISCREPANCY beyond\n"
	  "its tolerance (15% of the volume delivered since the fill + 0.5 mL),\n"
	  "whether a bridge bolus is due (a new concentration) and the next refill.\n"
	  "A new concentration is checked against the pump's drug library: past a\n"
	  "soft limit it is refused unless override=REASON is given (after\n"
	  "withdrawn=; the reason is logged); past a hard limit always." },
	{ "clear", ctl_cmd_request, "ALARM", "clinician",
	  "Clear an alarm whose cause is gone (error 'state' if it remains).  ALARM:\n"
	  "low_reservoir, eri, eos, empty, motor_stall, memory, memory_critical." },
	{ "log", ctl_cmd_log, "[--after SEQ | --last] [--max N]\n"
	  "[--after SEQ] [--format text|csv|json] [--kind K,...] [--since T] [--until T]",
	  "clinician\nclinician",
	  "Read the audit log: up to N (1..20, default 20) entries after sequence\n"
	  "SEQ (default 0: from the start), or with --last the newest N.\n"
	  "With --format, --kind, --since or --until: every entry (after SEQ) as a\n"
	  "typed event: seq, time, kind, role, who, and what the kind carries (a\n"
	  "bolus's outcome and dose, a refill's volumes...).  Kind and role are the\n"
	  "pump's own when it types its entries (PROTOCOL.md 8.15); an older pump's\n"
	  "are guessed from the words and the log's pairing rows.\n"
	  "  --format F   text (default), csv (RFC 4180) or json (one object)\n"
	  "  --kind K,..  only these kinds: other, bolus, bolus_end, cbolus, refill,\n"
	  "               program, run, alarm, clear, silence, config, pairing,\n"
	  "               session, security, pump, test, refused\n"
	  "  --since T, --until T  only events at or after / at or before T\n"
	  "               (2026-01-01T08:00:00Z, UTC, or ms since 1970)" },
	{ "report", ctl_cmd_report, "[--format text|json|csv|html] [--since T]", "clinician",
	  "The interrogation report at the start of a visit, from STATUS and the\n"
	  "whole audit log: prescription, reservoir, alarms and their dates,\n"
	  "battery, bolus requests since the last visit (the last refill, else the\n"
	  "last program, else the log's start; --since T: from T) by outcome\n"
	  "(granted, lockout, daily count, ceiling, other) and per day, drug\n"
	  "delivered per hour over the last 3 days (basal and boluses apart), and the\n"
	  "reservoir over time with the pump's forecast to the next refill.\n"
	  "  --format html  one self-contained page with SVG charts (no script, no\n"
	  "                 outside file) to print or file: ptmctl report --format\n"
	  "                 html > visit.html\n"
	  "  --format json  the same figures (schema: ptmctl(1)); csv: rows of\n"
	  "                 section, at, name, value" },
	{ "run", ctl_cmd_run, "start|stop\n[--pumpd PATH] [--keep] [-v] [--seed N] FILE...\n"
	  "--pump ADDR --clinician-key FILE --tester-key FILE FILE...", "clinician\n\n",
	  "'run start' / 'run stop' start or stop infusion.\n"
	  "'run FILE...' runs scenario files (docs/SCENARIOS.md) against a private\n"
	  "pumpd in simulation mode and prints TAP; exit status 1 if any test failed.\n"
	  "  --pumpd PATH  the pumpd binary (default: next to ptmctl, then PATH)\n"
	  "  --keep        keep each scenario's temporary directory (printed)\n"
	  "  -v            print every reply and notification as a TAP comment (JSON)\n"
	  "  --seed N      the seed of every 'explore' step (a failure prints it)\n"
	  "With --pump ADDR (on the command line) they run against that pump, running\n"
	  "already with --sim: patient = --key, and --clinician-key FILE,\n"
	  "--tester-key FILE (needed to set the pump up before each file); restart\n"
	  "and kill9 are skipped (TAP # SKIP).\n"
	  "--timeout bounds each request, pumpd's start, and how long a failing\n"
	  "'expect notify' waits (default 10s)." },
	{ "config", ctl_cmd_request, "tubing VOLUME catheter LENGTH VOLUME/LENGTH", "clinician",
	  "Set the implanted system's dead volumes: the pump tubing (0.26mL), the\n"
	  "catheter's length (90cm, 900mm) and its volume per length (2.2uL/cm,\n"
	  "220nL/mm), e.g. 'config tubing 0.26mL catheter 90cm 2.2uL/cm'.  They size\n"
	  "the priming and bridge boluses; the reply shows the catheter's volume." },
	{ "cbolus", ctl_cmd_request, "single DOSE DURATION | prime RATE | bridge", "clinician",
	  "A clinician bolus (the clinician's decision: the patient's lockout, count\n"
	  "and ceiling never refuse it, but its drug counts in the ceiling for later\n"
	  "patient boluses).  'single 0.5mg 10m': a dose over a duration.  'prime\n"
	  "1mL/h': fills the catheter (its volume from config) at a rate.  'bridge':\n"
	  "after a refill that changed the concentration, the old drug in tubing and\n"
	  "catheter at the old dose rate (basal paused meanwhile).  Refused with\n"
	  "'state' while a bolus runs, the pump is stopped, or no bridge is due." },
	{ "scenario", ctl_cmd_run, "[--pumpd PATH] [--keep] [-v] [--seed N] FILE...", "",
	  "The same as 'run FILE...' (use it for a scenario file named start or stop)." },
	{ "fault", ctl_cmd_request, "KIND | reservoir VOLUME | link LINKFAULT [--remote NAME]", "tester",
	  "Inject a fault (simulation only): motor_stall, memory, memory_critical,\n"
	  "battery_eri (replace soon), battery_eos (end of service), battery_new\n"
	  "(a new battery: clears eri and eos), or 'reservoir VOLUME' to set the\n"
	  "reservoir's content (2mL, 500uL).  Delivery faults: 'occlusion PCT'\n"
	  "(only PCT% of the drug drawn reaches the patient from now on; the pump\n"
	  "cannot tell; 100% ends it), 'stall_for DURATION' (the motor stands: a\n"
	  "motor_stall alarm that clears by itself after DURATION, up to 7d; the\n"
	  "drug missed is not made up).\n"
	  "'link' faults the link to one remote (--remote NAME, as paired) or to\n"
	  "every remote but testers, in real time, until done or cleared:\n"
	  "  drop-requests [N]   the next N requests never reach the pump\n"
	  "  drop-replies [N]    the pump acts, remembers the reply, sends none\n"
	  "  delay TIME [N]      replies leave TIME late (N of them; none: all)\n"
	  "  cut [N]             half a reply frame, then the link closes\n"
	  "  duplicate [N]       the reply is sent twice\n"
	  "  out-of-range [TIME] nothing passes either way (none: until cleared)\n"
	  "  busy [N]            refused with 'state' detail 'busy', not done\n"
	  "  clear               every link fault of the remote (or of all) ends\n"
	  "N defaults to 1.  docs/PROTOCOL.md 8.12 gives each one's effect." },
	{ "clock", ctl_cmd_request, "advance DURATION | speed N", "tester",
	  "Move the simulated clock forward (2h, 30m, 1d, 500ms) or run it at N x\n"
	  "real time (0 = frozen, 1 = real time).  Simulation only." },
	{ "watch", ctl_cmd_watch, "[--record FILE]", "patient",
	  "Print the pump's state, then every notification the pump pushes, one line\n"
	  "each (with --json one JSON object a line), until interrupted (SIGINT or\n"
	  "SIGTERM; exit status 0), also while nobody reads its output.  Reconnects\n"
	  "by itself; link changes go to stderr.  A reader 1 MiB behind, or gone:\n"
	  "exit status 4.\n"
	  "--record FILE (a new file) also writes what happened as a scenario that\n"
	  "'ptmctl run FILE' replays: each change as the step that caused it, and\n"
	  "what was seen as expectations (docs/SCENARIOS.md)." },
	{ "keygen", ctl_cmd_keygen, "DIR NAME", "",
	  "Write a new key pair: DIR/NAME.key (private, mode 0600) and DIR/NAME.pub\n"
	  "in the existing directory DIR (NAME.key names the same pair).  Never\n"
	  "overwrites a file.  Prints the public key; pair it with 'pumpd pair'." },
	{ "paircode", ctl_cmd_paircode, "", "",
	  "Print the 6-digit pairing code of --key and --pump-key, to compare with\n"
	  "the one 'pumpd pair' printed (--json: {\"type\":\"paircode\",\"code\":\"...\"})." },
	{ NULL, NULL, NULL, NULL, NULL }
};

static const struct subcmd *find_sub(const char *name)
{
	for (const struct subcmd *s = subcmds; s->name; s++)
		if (strcmp(s->name, name) == 0)
			return s;
	return NULL;
}

/* Form k (from 0) of s: its usage and role, each as a pointer and a
 * length into the table's strings (forms are separated by '\n'; a role
 * of length 0 is a local command).  0, or -1 past the last form. */
static int form(const struct subcmd *s, int k, const char **u, int *ul,
                const char **r, int *rl)
{
	*u = s->usage;
	*r = s->role;
	for (;;) {
		*ul = (int)strcspn(*u, "\n");
		*rl = (int)strcspn(*r, "\n");
		if (k-- == 0)
			return 0;
		*u += *ul + ((*u)[*ul] == '\n');
		*r += *rl + ((*r)[*rl] == '\n');
		if (!**u)
			return -1;
	}
}

static void general_help(FILE *f)
{
	fprintf(f,
	        "usage: ptmctl [options] COMMAND [ARGS]\n"
	        "\n"
	        "Talk to a pump (pumpd) from scripts: one request per command, or run\n"
	        "scenario files.  Human-readable output (the answer; the pump's state\n"
	        "with 'status' or --state), or one JSON object per reply with --json.\n"
	        "\n"
	        "options (also after the command; environment in brackets):\n"
	        "  --pump ADDR       tcp:HOST:PORT or unix:PATH            [PTM_PUMP]\n"
	        "  --key FILE        this remote's private key (mode 0600) [PTM_KEY]\n"
	        "  --pump-key FILE   the pump's public key                 [PTM_PUMP_KEY]\n"
	        "  --json            print replies as JSON (schema: ptmctl(1))\n"
	        "  --state           after the answer, the pump's state ('status' prints it\n"
	        "                    always; JSON always carries it)\n"
	        "  --timeout DUR     give up after DUR (5s, 500ms; a bare number is ms)\n"
	        "  --id N            send the request with this id (retries, tests)\n"
	        "  -h, --help        help; 'ptmctl COMMAND --help' for one command\n"
	        "  --version         print 'ptmctl VERSION'\n"
	        "\n"
	        "commands:\n");
	for (const struct subcmd *s = subcmds; s->name; s++) {
		const char *u, *r;
		int ul, rl;
		for (int k = 0; form(s, k, &u, &ul, &r, &rl) == 0; k++) {
			char line[128];
			snprintf(line, sizeof line, "%s %.*s", s->name, ul, u);
			if (strlen(line) > 42)
				fprintf(f, "  %s\n  %-42s  %.*s\n", line, "", rl ? rl : 5,
				        rl ? r : "local");
			else
				fprintf(f, "  %-42s  %.*s\n", line, rl ? rl : 5, rl ? r : "local");
		}
	}
	fprintf(f,
	        "\n"
	        "exit status: 0 done (a bolus granted); 1 refused by the pump (or a\n"
	        "scenario failed); 2 usage error; 3 protocol or authentication failure;\n"
	        "4 cannot connect or no reply in time.\n"
	        "(4 also when the link broke before the reply, or the output could not\n"
	        "be written: the pump may have carried the request out; see ptmctl(1).)\n");
}

static void ctl_help(FILE *f, const char *sub)
{
	const struct subcmd *s = sub ? find_sub(sub) : NULL;
	if (!s) {
		general_help(f);
		return;
	}
	const char *u, *r;
	int ul, rl;
	for (int k = 0; form(s, k, &u, &ul, &r, &rl) == 0; k++) {
		fprintf(f, "%s ptmctl [options] %s%s%.*s", k == 0 ? "usage:" : "      ",
		        s->name, ul ? " " : "", ul, u);
		if (rl)
			fprintf(f, "   (%.*s or above)", rl, r);
		fputc('\n', f);
	}
	fprintf(f, "\n%s\n", s->help);
}

static int ctl_want_help(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			return 0;
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return 1;
	}
	return 0;
}

/* A global option at argv[*i]: consume it (and its value).  Returns 1 if
 * it was one, 0 if not, -1 on a usage error (reported). */
static int global_opt(struct ctl_opts *o, int argc, char **argv, int *i)
{
	static const char *const with_value[] = {
		"--pump", "--key", "--pump-key", "--timeout", "--id", NULL
	};
	const char *a = argv[*i], *val = NULL;
	size_t n;

	if (strcmp(a, "--json") == 0) {
		o->json = 1;
		return 1;
	}
	if (strcmp(a, "--state") == 0) {
		o->state = 1;
		return 1;
	}
	for (const char *const *w = with_value; *w; w++) {
		n = strlen(*w);
		if (strncmp(a, *w, n) != 0)
			continue;
		if (a[n] == '=') {
			val = a + n + 1;
		} else if (a[n] == '\0') {
			if (*i + 1 >= argc) {
				ctl_usage_error(o, NULL, "%s needs a value", *w);
				return -1;
			}
			val = argv[++*i];
		} else {
			continue;
		}
		if (strcmp(*w, "--pump") == 0) {
			o->pump = val;
			o->pump_src = "--pump";
		} else if (strcmp(*w, "--key") == 0) {
			o->key = val;
		} else if (strcmp(*w, "--pump-key") == 0) {
			o->pump_key = val;
		} else if (strcmp(*w, "--timeout") == 0) {
			uint64_t ms;
			if (units_parse_uint(val, UINT32_MAX, &ms) != 0 &&
			    (units_parse_duration(val, &ms) != 0 || ms > UINT32_MAX)) {
				ctl_usage_error(o, NULL, "--timeout '%s': expected a duration such as 5s or 500ms", val);
				return -1;
			}
			if (ms == 0) {
				ctl_usage_error(o, NULL, "--timeout must be more than 0");
				return -1;
			}
			o->timeout_ms = (uint32_t)ms;
		} else {
			if (units_parse_uint(val, UINT64_MAX, &o->id) != 0 || o->id == 0) {
				ctl_usage_error(o, NULL, "--id '%s': expected a whole number >= 1", val);
				return -1;
			}
			o->has_id = 1;
		}
		return 1;
	}
	return 0;
}

int main(int argc, char **argv)
{
	static char self[4096];
	struct ctl_opts o;
	char **rest;
	int nrest = 0, dashdash = 0;
	const struct subcmd *s;
	ssize_t n;

	memset(&o, 0, sizeof o);
	o.prog = "ptmctl";
	o.out = stdout;
	o.err = stderr;
	o.pump = getenv("PTM_PUMP");
	o.pump_src = "PTM_PUMP";
	o.key = getenv("PTM_KEY");
	o.pump_key = getenv("PTM_PUMP_KEY");
	n = readlink("/proc/self/exe", self, sizeof self - 1);
	if (n > 0) {
		self[n] = '\0';
		o.self = self;
	}
	/* A pump that dies mid-request must not kill us with SIGPIPE: the
	 * write fails with EPIPE, the link is lost, and the exit status says
	 * so (4).  The same for a reader of our output that went away. */
	signal(SIGPIPE, SIG_IGN);
	if (sodium_init() < 0) {
		fprintf(stderr, "ptmctl: libsodium failed to initialise\n");
		return CTL_EXIT_PROTOCOL;
	}

	/* Global options may come before or after the command. */
	rest = calloc((size_t)argc + 1, sizeof *rest);
	if (!rest) {
		fprintf(stderr, "ptmctl: out of memory\n");
		return CTL_EXIT_USAGE;
	}
	for (int i = 1; i < argc; i++) {
		int g = 0;
		if (!dashdash && strcmp(argv[i], "--") == 0) {
			dashdash = 1;
			rest[nrest++] = argv[i];
			continue;
		}
		if (!dashdash && strcmp(argv[i], "--version") == 0) {
			printf("ptmctl %s\n", PTM_VERSION);
			free(rest);
			return ctl_check_output(&o, CTL_EXIT_OK);
		}
		if (!dashdash)
			g = global_opt(&o, argc, argv, &i);
		if (g < 0) {
			free(rest);
			return CTL_EXIT_USAGE;
		}
		if (g == 0)
			rest[nrest++] = argv[i];
	}
	rest[nrest] = NULL;

	if (nrest == 0) {
		general_help(stderr);
		free(rest);
		return CTL_EXIT_USAGE;
	}
	if (strcmp(rest[0], "--help") == 0 || strcmp(rest[0], "-h") == 0 ||
	    strcmp(rest[0], "help") == 0) {
		ctl_help(stdout, nrest > 1 ? rest[1] : NULL);
		free(rest);
		return ctl_check_output(&o, CTL_EXIT_OK);
	}
	if (rest[0][0] == '-') {
		int rc = ctl_usage_error(&o, NULL, "unknown option '%s'", rest[0]);
		free(rest);
		return rc;
	}
	s = find_sub(rest[0]);
	if (!s) {
		int rc = ctl_usage_error(&o, NULL, "unknown command '%s'", rest[0]);
		free(rest);
		return rc;
	}
	{
		int rc;
		if (ctl_want_help(nrest, rest)) {
			ctl_help(o.out, s->name);
			rc = CTL_EXIT_OK;
		} else {
			rc = s->fn(&o, nrest, rest);
		}
		free(rest);
		return ctl_check_output(&o, rc);
	}
}
