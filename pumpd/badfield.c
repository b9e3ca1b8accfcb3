/* pumpd/badfield.c — name the field the codec refused (see badfield.h). */
#include "pumpd/badfield.h"

#include "net/msg.h"

#define HDR 9  /* u8 type, u64 id */

static uint64_t be64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

static unsigned be16(const uint8_t *p)
{
	return (unsigned)p[0] << 8 | p[1];
}

/* The prescription block at b[0..n) (docs/PROTOCOL.md 8.4). */
static const char *rx_field(const uint8_t *b, size_t n)
{
	if (n < 1)
		return NULL;
	size_t d = b[0];
	if (d > MSG_DRUG_MAX)
		return "drug";
	if (n < 1 + d)
		return NULL;
	for (size_t i = 0; i < d; i++)
		if (b[1 + i] < 0x20 || b[1 + i] > 0x7e)
			return "drug";
	size_t off = 1 + d + 8;            /* concentration, capacity */
	if (n <= off)
		return NULL;
	if (b[off] > MSG_MODE_FLEXIBLE)
		return "mode";
	off += 1 + 4;                      /* mode, rate */
	if (n <= off)
		return NULL;
	size_t steps = b[off];
	if (steps > MSG_STEPS_MAX)
		return "n_steps";
	off += 1 + 8 * steps;
	if (n <= off)
		return NULL;
	if (b[off] > 1)
		return "bolus_enabled";
	return NULL;
}

const char *badfield_name(const uint8_t *msg, size_t len)
{
	if (len < HDR)
		return NULL;
	if (be64(msg + 1) == 0)
		return "id";
	const uint8_t *b = msg + HDR;
	size_t n = len - HDR;
	switch (msg[0]) {
	case MSG_SILENCE:
	case MSG_CLEAR:
		return n >= 1 && b[0] >= MSG_ALARM_COUNT ? "alarm" : NULL;
	case MSG_HISTORY:
		return n >= 2 && (be16(b) < 1 || be16(b) > MSG_HISTORY_MAX) ?
		       "max" : NULL;
	case MSG_LOG:
		return n >= 10 && (be16(b + 8) < 1 || be16(b + 8) > MSG_LOG_MAX) ?
		       "max" : NULL;
	case MSG_RUN:
		return n >= 1 && b[0] > 1 ? "run" : NULL;
	case MSG_FAULT:
		return n >= 1 && (b[0] < 1 || b[0] >= MSG_FAULT_COUNT) ?
		       "fault" : NULL;
	case MSG_CLOCK:
		return n >= 1 && b[0] != MSG_CLOCK_ADVANCE &&
		       b[0] != MSG_CLOCK_SPEED ? "op" : NULL;
	case MSG_PROGRAM:
		return rx_field(b, n);
	default:
		return NULL;
	}
}
