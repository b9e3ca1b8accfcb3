/*
 * tests/lib/pgfix.h — the programmer suites' fixture (header only, for
 * tests/test_pg*.c): the model P on a test pump's state, keys and typed
 * text into it, and a pump's reply to fill.
 */
#ifndef PTM_TESTS_LIB_PGFIX_H
#define PTM_TESTS_LIB_PGFIX_H

#include <stdio.h>
#include <string.h>

#include "tui/pg.h"

static struct pg P;

#define PGFIX_NOW 1772409600000ull   /* 2026-03-02 00:00 UTC */

/* P linked, on a state: baclofen 2 mg/mL continuous at 0.4 mg/day, 17 mL
 * of 20 mL, a 50 mcg bolus; flags as given (MSG_F_*) */
static inline void pgfix_start(uint8_t flags)
{
	struct msg_state s;
	pg_init(&P);
	pg_link(&P, HH_LINK_UP);
	memset(&s, 0, sizeof s);
	s.now_ms = PGFIX_NOW;
	s.mode = MSG_MODE_CONTINUOUS;
	s.flags = flags;
	s.reservoir_nl = 17000000;
	s.capacity_nl = 20000000;
	s.concentration_ng_ml = 2000000;
	s.basal_ng_day = 400000;
	s.bolus_dose_ng = 50000;
	snprintf(s.drug, sizeof s.drug, "baclofen");
	pg_state(&P, &s);
}

/* a key into P; the command it asks for */
static inline int key(int k)
{
	int cmd;
	pg_key(&P, k, &cmd);
	return cmd;
}

/* a string, key by key; the last key's command */
static inline int type(const char *s)
{
	int cmd = PG_CMD_NONE;
	for (; *s; s++)
		cmd = key((unsigned char)*s);
	return cmd;
}

/* r zeroed as the pump's reply to req_type, with P's state */
static inline void reply(struct msg_reply *r, int req_type)
{
	memset(r, 0, sizeof *r);
	r->req_type = (uint8_t)req_type;
	r->state = P.st;
}

#endif
