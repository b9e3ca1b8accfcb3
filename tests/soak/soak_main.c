/*
 * tests/soak/soak_main.c — the soak's command line: the long run of
 * `make soak` or the short round of `make test`, a part or all of them, a
 * seed printed so that PTM_SOAK_SEED replays its choices.  See docs/SOAK.md.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sodium.h>

#include "tests/soak/soak.h"

static const char usage[] =
	"usage: soak [--short | --long] [--rounds N] [--tries N] [PART...]\n"
	"\n"
	"The pump's promise under kill -9, floods, a full disk and a second\n"
	"daemon, against $PTM_BUILD/pumpd (default build/pumpd).  Prints figures\n"
	"and ends with 'N passed, N failed'.\n"
	"  --short      a few rounds of each (make test; the default)\n"
	"  --long       >= 1000 kill rounds, 100 tries per flood (make soak)\n"
	"  --rounds N   kill -9 rounds\n"
	"  --tries N    patient STATUS tries per flood (at most 1000)\n"
	"  PART         kill, flood, disk, second, explore (default: all)\n"
	"Environment: PTM_SOAK_SEED=N replays a run's random choices;\n"
	"PTM_SOAK_FLOOD_UID=N runs the unix-socket flooders as uid N (root only).\n";

static unsigned parse_count(const char *s, unsigned max)
{
	char *end;
	unsigned long v = strtoul(s ? s : "", &end, 10);
	if (!s || end == s || *end || v == 0 || v > max) {
		fprintf(stderr, "soak: '%s' must be a count from 1 to %u\n",
		        s ? s : "", max);
		exit(2);
	}
	return (unsigned)v;
}

static uint64_t pick_seed(void)
{
	const char *s = getenv("PTM_SOAK_SEED");
	if (s && *s) {
		char *end;
		unsigned long long v = strtoull(s, &end, 10);
		if (*end == '\0')
			return v;
		fprintf(stderr, "soak: PTM_SOAK_SEED '%s' is not a number\n", s);
		exit(2);
	}
	return (uint64_t)soak_wall_us() ^ ((uint64_t)getpid() << 32);
}

static long pick_flood_uid(void)
{
	const char *s = getenv("PTM_SOAK_FLOOD_UID");
	if (!s || !*s)
		return -1;
	char *end;
	long v = strtol(s, &end, 10);
	if (*end || v < 0) {
		fprintf(stderr, "soak: PTM_SOAK_FLOOD_UID '%s' is not a uid\n", s);
		exit(2);
	}
	if (geteuid() != 0) {
		fprintf(stderr, "soak: PTM_SOAK_FLOOD_UID needs root\n");
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	struct soak_opts o = { .long_run = 0 };
	unsigned rounds = 0, tries = 0;
	int want[5] = { 0 }, any = 0;
	static const char *const parts[5] = { "kill", "flood", "disk", "second", "explore" };
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--long") == 0)
			o.long_run = 1;
		else if (strcmp(argv[i], "--short") == 0)
			o.long_run = 0;
		else if (strcmp(argv[i], "--rounds") == 0)
			rounds = parse_count(argv[++i], 1000000);
		else if (strcmp(argv[i], "--tries") == 0)
			tries = parse_count(argv[++i], 1000);
		else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
			fputs(usage, stdout);
			return 0;
		} else {
			int k = 0;
			while (k < 5 && strcmp(argv[i], parts[k]) != 0)
				k++;
			if (k == 5) {
				fprintf(stderr, "soak: unknown argument '%s'\n%s",
				        argv[i], usage);
				return 2;
			}
			want[k] = any = 1;
		}
	}
	o.kill_rounds = rounds ? rounds : o.long_run ? 1000 : 10;
	o.tries = tries ? tries : o.long_run ? 100 : 20;
	o.flood_ms = o.long_run ? 12000 : 1500;
	o.seed = pick_seed();
	o.flood_uid = pick_flood_uid();
	if (sodium_init() < 0) {
		fprintf(stderr, "soak: cannot initialise libsodium\n");
		return 1;
	}
	signal(SIGPIPE, SIG_IGN);
	setvbuf(stdout, NULL, _IOLBF, 0);
	printf("soak: %s run, seed %llu (PTM_SOAK_SEED=%llu replays it)\n",
	       o.long_run ? "long" : "short", (unsigned long long)o.seed,
	       (unsigned long long)o.seed);
	int64_t t0 = soak_now_us();
	if (!any || want[0])
		soak_kill_rounds(&o);
	if (!any || want[1])
		soak_floods(&o);
	if (!any || want[2])
		soak_full_disk(&o);
	if (!any || want[3])
		soak_second_daemon(&o);
	if (!any || want[4])
		soak_explore(&o);
	printf("soak: %.1f s\n", (double)(soak_now_us() - t0) / 1e6);
	return soak_summary();
}
