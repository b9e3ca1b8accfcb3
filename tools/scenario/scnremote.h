/*
 * tools/scenario/scnremote.h — `ptmctl run --pump ADDR`: scenarios against a
 * pump that was running before them (a pumpd started elsewhere, or another
 * implementation of docs/PROTOCOL.md).  The operator's keys, one a role, and
 * the set-up, through the protocol alone, that makes the running pump look
 * new to each scenario (see docs/SCENARIOS.md, "Against a running pump").
 *
 * Memory: struct scnremote is the caller's; the role keys in it are secret
 * and zeroed by scnremote_clear.
 */
#ifndef PTM_TOOLS_SCENARIO_SCNREMOTE_H
#define PTM_TOOLS_SCENARIO_SCNREMOTE_H

#include <stddef.h>
#include <stdint.h>

#include "crypto/keys.h"
#include "net/msg.h"
#include "tools/scenario/scnlink.h"
#include "tools/scenario/scnsend.h"
#include "tools/scenario/scnstep.h"

#define SCNREMOTE_ADDR_MAX 256

struct scnremote {
	char addr[SCNREMOTE_ADDR_MAX];
	uint8_t pump_pub[KEYS_LEN];
	uint8_t priv[SCN_ROLES][KEYS_LEN];  /* secret; zero for a role without a key */
	unsigned roles;                     /* 1 << role for each key given */
};

/* Load the pump's public key and each role's private key (key[role] may be
 * NULL: that role has no remote).  0, or -1 with why (nothing kept). */
int scnremote_load(struct scnremote *rm, const char *addr, const char *pump_key,
                   const char *const key[SCN_ROLES], char *why, size_t n);

/* Zero the keys. */
void scnremote_clear(struct scnremote *rm);

/* What a scenario's `rx` and `pump sim` ask for. */
struct scnremote_setup {
	const struct msg_rx *rx;  /* the prescription (the scenario's or the default) */
	uint64_t start_ms;        /* start=: move the clock there (or, when it is
	                             past it, to its next moment with that time of
	                             day: base->time_off says how far); 0 = no */
	uint64_t volume_nl;       /* volume=: the reservoir; 0 = full */
};

/* Make the pump behind l (connected with the patient, clinician and tester
 * keys) look new: the clock frozen, the prescription programmed, the clock
 * moved past every 24 h window and lockout (and to start=), the reservoir
 * refilled, a new battery, every alarm cleared.  base gets what makes the
 * scenario's ids, counts, history and log read as a new pump's.
 * Returns 0 when ready; 1 when this scenario cannot run on this pump (why:
 * the reason, for a TAP SKIP); -1 when the pump did not answer as the
 * protocol says (why). */
int scnremote_prepare(struct scnlink *l, const struct scnremote_setup *su,
                      struct scnsend_base *base, char *why, size_t n);

/* The default prescription of a new pumpd (docs/SCENARIOS.md), as rx. */
void scnremote_default_rx(struct msg_rx *rx);

#endif
