/*
 * tui/hh_refuse.h — a pump's refusal (an error code and its detail, from
 * the wire) in plain words, one table for the patient's remote and the
 * clinician's programmer.  Pure: no curses, no libuv.
 */
#ifndef PTM_TUI_HH_REFUSE_H
#define PTM_TUI_HH_REFUSE_H

#include <stddef.h>

/* "a bolus is running; try when it ends" for err 7 (state) with detail
 * "bolus running"; a detail the table does not know is shown escaped
 * after the error's words.  Lower case (it follows "Refused: "); writes
 * out[0..cap) and returns out. */
const char *hh_refuse_say(int err, const char *detail, char *out, size_t cap);

#endif
