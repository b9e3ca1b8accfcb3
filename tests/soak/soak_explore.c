/* tests/soak/soak_explore.c — the scenario runner's random exploration
 * (tests/scenarios/explore.scn) with many seeds drawn from the soak's own:
 * each seed a fresh pumpd, its invariants checked after every step; a
 * failing seed is printed with the TAP that names it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tests/soak/soak.h"
#include "tools/scenario/scnrun.h"

void soak_explore(const struct soak_opts *o)
{
	const char *b = getenv("PTM_BUILD"), *src = getenv("PTM_SRCDIR");
	char pumpd[4096], file[4096];
	unsigned seeds = o->long_run ? 50 : 2, failed = 0;
	uint64_t rng = o->seed ^ 0x6578706c6f7265ull; /* "explore" */
	int64_t t0 = soak_now_us();

	printf("explore: %u seeds of tests/scenarios/explore.scn\n", seeds);
	snprintf(pumpd, sizeof pumpd, "%s/pumpd", b ? b : "build");
	snprintf(file, sizeof file, "%s/tests/scenarios/explore.scn", src ? src : ".");
	for (unsigned i = 0; i < seeds; i++) {
		struct scnrun_opts ro;
		char *tap = NULL, *files[1] = { file };
		size_t len = 0;
		FILE *f = open_memstream(&tap, &len);
		if (!f) {
			soak_check(0, "explore: out of memory");
			return;
		}
		memset(&ro, 0, sizeof ro);
		ro.pumpd = pumpd;
		ro.out = f;
		ro.has_seed = 1;
		ro.seed = soak_rand(&rng) & ((1ull << 53) - 1);
		int rc = scnrun_files(&ro, 1, files);
		fclose(f);
		if (rc != 0) {
			failed++;
			soak_check(0, "explore seed %llu: an invariant broke or a step failed",
			           (unsigned long long)ro.seed);
			fputs(tap ? tap : "", stdout);
		}
		free(tap);
	}
	soak_check(failed == 0, "explore: %u of %u seeds kept every invariant",
	           seeds - failed, seeds);
	soak_note("explore: %.1f s", (double)(soak_now_us() - t0) / 1e6);
}
