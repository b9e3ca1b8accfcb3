/*
 * pumpd/druglib.h — the drug library: a text file a clinic edits, one block
 * per drug with soft and hard maxima for concentration, daily dose and
 * bolus dose, and the checks PROGRAM, STAGE, REFILL, `pumpd init --rx` and
 * `pumpd rx` make against it (docs/PROTOCOL.md 8.10; the file's format:
 * pumpd(8), DRUG LIBRARY).
 *
 *   # comment
 *   [morphine]
 *   source = Infumorph (morphine sulfate) US label ...
 *   concentration = soft 25 mg/mL, hard 25 mg/mL
 *   daily = soft 10 mg, hard 20 mg
 *   bolus = soft 1 mg, hard 1 mg
 *
 * Memory: a struct druglib is malloc'd by druglib_parse/druglib_load and
 * freed by druglib_free; the check allocates nothing.
 */
#ifndef PTM_PUMPD_DRUGLIB_H
#define PTM_PUMPD_DRUGLIB_H

#include <stddef.h>
#include <stdint.h>

#include "net/msg.h"
#include "pump/pump.h"

#define DRUGLIB_MAX       64    /* drugs in one library */
#define DRUGLIB_FILE_MAX  65536 /* bytes of a library file */
#define DRUGLIB_ERR_MAX   160   /* an error message, "FILE:line:col: ..." */
#define DRUGLIB_SOURCE_MAX 200

/* druglib_check's refusals (negative) */
#define DRUGLIB_SOFT (-1)   /* past a soft limit, no override */
#define DRUGLIB_HARD (-2)   /* past a hard limit */

enum druglib_limit { DRUGLIB_CONC, DRUGLIB_DAILY, DRUGLIB_BOLUS, DRUGLIB__N };

struct druglib_entry {
	char     name[MSG_DRUG_MAX + 1];
	char     source[DRUGLIB_SOURCE_MAX + 1];
	uint32_t soft[DRUGLIB__N], hard[DRUGLIB__N]; /* ng/mL, ng, ng */
};

struct druglib {
	unsigned n;
	struct druglib_entry e[DRUGLIB_MAX];
};

/* Parse text[0..len) (no NUL needed).  0 with *out, or -EINVAL with
 * err = "line:col: message" (a position in the text, 1-based). */
int druglib_parse(const char *text, size_t len, struct druglib **out,
                  char *err, size_t errcap);
/* Read and parse a file: 0, or < 0 with err = "PATH:line:col: message"
 * or "PATH: why". */
int druglib_load(const char *path, struct druglib **out, char *err,
                 size_t errcap);
void druglib_free(struct druglib *lib);
/* The shipped library's text (data/druglib.txt, built in), len bytes. */
const char *druglib_shipped(size_t *len);

/* The entry named drug (ignoring case), or NULL. */
const struct druglib_entry *druglib_find(const struct druglib *lib,
                                         const char *drug);

struct druglib_verdict {
	int  in_library;         /* the drug has an entry (lib may be NULL) */
	int  overridden;         /* a soft limit passed under the override */
	char detail[MSG_DETAIL_MAX + 1]; /* "daily_ng: soft limit 10000000 ng" */
};

/* Check rx (its drug, concentration, daily drug, bolus dose when enabled)
 * against lib: 0 (v->overridden when a soft limit passes under a non-empty
 * override), DRUGLIB_HARD or DRUGLIB_SOFT with v->detail.  Every hard
 * limit is checked before any soft one; exactly at a limit passes. */
int druglib_check(const struct druglib *lib, const pump_rx *rx,
                  const char *override, struct druglib_verdict *v);

/* 1 when why can be an override's reason: 1..63 printable ASCII bytes. */
int druglib_reason_ok(const char *why);

/* The audit row of an override that passed a soft limit (v from a check):
 * "override: REASON (DETAIL)", the reason first so that a long row loses
 * only the end of the detail. */
void druglib_override_row(char *buf, size_t cap,
                          const struct druglib_verdict *v, const char *reason);

/* The same for the concentration alone (a REFILL's new one, of drug). */
int druglib_check_conc(const struct druglib *lib, const char *drug,
                       uint32_t conc_ng_ml, const char *override,
                       struct druglib_verdict *v);

#endif
