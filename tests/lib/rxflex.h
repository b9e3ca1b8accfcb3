/*
 * tests/lib/rxflex.h — one flexible prescription file's text for the time
 * zone suites: 100 mcg/day with a 2.4 mg/day step from 01:00 to 04:00
 * (each night's numbers are worked out where it is used).
 */
#ifndef PTM_TESTS_RXFLEX_H
#define PTM_TESTS_RXFLEX_H

#define RXFLEX_NIGHT_STEP \
	"drug = baclofen\n" \
	"concentration = 2 mg/mL\n" \
	"capacity = 20 mL\n" \
	"mode = flexible\n" \
	"step = 00:00 100 mcg/day\n" \
	"step = 01:00 2.4 mg/day\n" \
	"step = 04:00 100 mcg/day\n" \
	"bolus_enabled = off\n" \
	"low_threshold = 2 mL\n"

#endif
