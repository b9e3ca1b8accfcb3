/*
 * tools/scenario/scnexplore.h — the `explore N [seed=S]` step: N random
 * requests (bolus, status, silence, program, refill, clear, run, faults,
 * config, clinician single, prime and bridge boluses) and clock moves from
 * a seed, the pump's invariants checked after each from what its replies
 * show (docs/SCENARIOS.md, "explore"):
 *
 *   - no grant while a bolus runs, none inside the lockout of the one before;
 *   - never more grants than max_per_24h in any 24 h, and boluses_24h as many
 *     as were granted in the last 24 h;
 *   - basal and bolus drug in any 24 h within the ceiling;
 *   - the reservoir never above the capacity nor below zero, changed only by
 *     a clock move (down), a refill or a reservoir fault (to their volume);
 *   - over a clock move with the pump infusing and no critical alarm, the
 *     reservoir goes down by the basal plus the granted boluses' share;
 *   - a refusal for lockout, daily count or a running bolus only when that
 *     limit holds (once every grant of the last 24 h was seen).
 *
 *   - a clinician's prime and bridge bolus of the volume, dose and duration
 *     8.6 computes from the CONFIG in force (the bridge: from the
 *     concentration and basal before the refill that made it due), refused
 *     only for a reason that holds, never for a patient's limit; a refill's
 *     "bridge due" as 8.6 says; a patient bolus refused for the ceiling
 *     only when a window with the clinician's drug in it would pass it;
 *     the basal paused while a bridge runs.
 *
 * The same seed makes the same requests on a pump that answers the same:
 * a failure names the seed, the step and what broke, so it replays.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNEXPLORE_H
#define PTM_TOOLS_SCENARIO_SCNEXPLORE_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "tools/scenario/scnlink.h"
#include "tools/scenario/scnsend.h"

struct scnexplore {
	uint64_t n;                 /* steps */
	uint64_t seed;
	const struct msg_rx *rx;    /* the prescription in force at the start */
	/* each step as it is sent ("as patient bolus"), when not NULL (-v) */
	void (*say)(void *ud, const char *line);
	void *ud;
};

/* What a run sent and the pump gave, of the implanted system's steps. */
struct scnexplore_counts {
	uint64_t config, prime, bridge;   /* CONFIG and CBOLUS requests sent */
	uint64_t prime_given, bridge_given;
	uint64_t refill_conc;             /* refills that changed the concentration */
	uint64_t bridge_due;              /* refills after which a bridge was due */
};

/* Run the steps through s and l (patient, clinician and tester remotes),
 * the counts into *c.  1 when every invariant held; 0 with why (the seed,
 * the step, what broke, the steps before it); -1 with why when a request
 * got no reply. */
int scnexplore_run(const struct scnexplore *x, struct scnsend *s, struct scnlink *l,
                   char *why, size_t n, struct scnexplore_counts *c);

#endif
