/*
 * tui/hh_refuse.c — a pump's refusal in plain words (see hh_refuse.h): a
 * table from (error, detail) to a sentence, else the error's words and
 * the detail escaped.
 */
#include <stdio.h>
#include <string.h>

#include "net/msg.h"
#include "tui/hh_refuse.h"
#include "util/esc.h"

/* detail NULL: any detail; a detail is matched as its start */
static const struct { int err; const char *detail, *say; } known[] = {
	{ MSG_E_STATE, "bolus running", "a bolus is running; try when it ends" },
	{ MSG_E_STATE, "stopped", "the pump is stopped; start it first" },
	{ MSG_E_STATE, "critical alarm", "a critical alarm stops the drug; deal with it first" },
	{ MSG_E_STATE, "reservoir", "the reservoir holds too little for it" },
	{ MSG_E_STATE, "not configured",
	  "the catheter and tubing volumes are not set (CONFIG) on this pump" },
	{ MSG_E_STATE, "no bridge due", "no bridge bolus is due (the concentration did not change)" },
	{ MSG_E_STATE, "too many clinician boluses", "too many clinician boluses today" },
	{ MSG_E_STATE, "busy", "the pump was busy with another request" },
	{ MSG_E_STATE, "no pending session",
	  "no programming session is pending (confirmed, cancelled or the pump restarted)" },
	{ MSG_E_STATE, "stage_id", "that session is no longer the pending one (replaced)" },
	{ MSG_E_STATE, "ceiling_24h",
	  "the 24 h ceiling is below the drug already given in the last 24 h" },
	{ MSG_E_STATE, "its cause remains", "the alarm's cause is still there" },
	{ MSG_E_STATE, "alarm not active", "that alarm is not active" },
	{ MSG_E_STATE, "no such alarm", "that alarm is not active" },
	{ MSG_E_STATE, NULL, "not possible in the pump's state now" },
	{ MSG_E_RANGE, "concentration_ng_ml",
	  "the concentration is out of range or not the reservoir's (a refill sets it)" },
	{ MSG_E_RANGE, "capacity_nl", "the reservoir's size must be this pump's" },
	{ MSG_E_ROLE, NULL, "this remote's key may not do that (a clinician's key is needed)" },
	{ MSG_E_STORAGE, NULL, "the pump could not store it; nothing changed" },
	{ MSG_E_TYPE, NULL, "this pump does not know that request (an older edition)" },
	{ MSG_E_INTERNAL, NULL, "the pump failed inside; nothing changed; check its state" },
};

/* a range error's field (the wire's name) in words */
static const struct { const char *field, *words; } fields[] = {
	{ "rate_ng_day", "the basal rate" }, { "bolus_dose_ng", "the bolus dose" },
	{ "bolus_duration_ms", "the bolus duration" }, { "lockout_ms", "the lockout" },
	{ "max_per_24h", "the boluses a day" }, { "ceiling_ng_24h", "the 24 h ceiling" },
	{ "low_threshold_nl", "the low reservoir alarm level" },
	{ "silence_ms", "the alarm silence" }, { "volume_nl", "the volume put in" },
	{ "withdrawn_nl", "the volume withdrawn" }, { "dose_ng", "the dose" },
	{ "duration_ms", "the duration" }, { "rate_nl_h", "the priming rate" },
};

static const char *err_words(int err)
{
	switch (err) {
	case MSG_E_RANGE:      return "out of the pump's range";
	case MSG_E_SOFT_LIMIT: return "past the drug library's soft limit";
	case MSG_E_HARD_LIMIT: return "past the drug library's hard limit";
	default:               return msg_err_name(err);
	}
}

const char *hh_refuse_say(int err, const char *detail, char *out, size_t cap)
{
	char d[ESC_MAX(MSG_DETAIL_MAX + 1)];
	const char *dt = detail ? detail : "";
	for (size_t i = 0; i < sizeof known / sizeof known[0]; i++)
		if (known[i].err == err &&
		    (!known[i].detail || strncmp(dt, known[i].detail, strlen(known[i].detail)) == 0)) {
			snprintf(out, cap, "%s", known[i].say);
			return out;
		}
	esc_s(d, sizeof d, dt);
	/* a limit's detail names it ("daily_ng: hard limit 2003000 ng") */
	if ((err == MSG_E_SOFT_LIMIT || err == MSG_E_HARD_LIMIT) && d[0]) {
		snprintf(out, cap, "%s", d);
		return out;
	}
	for (size_t i = 0; err == MSG_E_RANGE && i < sizeof fields / sizeof fields[0]; i++)
		if (strcmp(dt, fields[i].field) == 0) {
			snprintf(out, cap, "%s is out of the pump's range", fields[i].words);
			return out;
		}
	snprintf(out, cap, "%s%s%s", err_words(err), d[0] ? ": " : "", d);
	return out;
}
