/*
 * tui/hh_alarm.c — alarm texts and the bell pattern (see hh_alarm.h).
 */
#include "tui/hh_alarm.h"

#include <stddef.h>

#include "net/msg.h"

/* per alarm: its priority (PROTOCOL.md 8.3), then title, meaning, action */
enum { T_TITLE, T_MEANING, T_ACTION };
struct alarm_text { int prio; const char *t[3]; };

#define NOW_CALL "call your clinic now; if you feel unwell, get emergency help"
static const struct alarm_text alarm_texts[MSG_ALARM_COUNT] = {
	[MSG_ALARM_LOW_RESERVOIR] = { MSG_PRIO_MEDIUM, { "Low reservoir",
		"The pump is running low on medicine.",
		"call your clinic to book a refill" } },
	[MSG_ALARM_ERI] = { MSG_PRIO_MEDIUM, { "Pump battery low",
		"The pump's battery must be replaced within 90 days.",
		"call your clinic to plan a pump replacement" } },
	[MSG_ALARM_EOS] = { MSG_PRIO_HIGH, { "Pump battery empty",
		"The pump has stopped: no medicine is flowing.", NOW_CALL } },
	[MSG_ALARM_EMPTY] = { MSG_PRIO_HIGH, { "Reservoir empty",
		"The pump is out of medicine: none is flowing.", NOW_CALL } },
	[MSG_ALARM_MOTOR_STALL] = { MSG_PRIO_HIGH, { "Pump motor stopped",
		"The pump's motor stalled: no medicine is flowing.", NOW_CALL } },
	[MSG_ALARM_MEMORY] = { MSG_PRIO_LOW, { "Pump memory error",
		"The pump found a minor error in its memory. It keeps working.",
		"call your clinic during opening hours" } },
	[MSG_ALARM_MEMORY_CRITICAL] = { MSG_PRIO_HIGH, { "Pump memory failure",
		"The pump has stopped: no medicine is flowing.", NOW_CALL } },
};

/* one text of alarm a, or the generic one for an alarm not known here */
static const char *pick(int a, int k)
{
	static const char *const unknown[3] = { "Pump alarm",
		"The pump raised an alarm this remote does not know.", "call your clinic" };
	if (a <= 0 || a >= MSG_ALARM_COUNT || !alarm_texts[a].t[T_TITLE])
		return unknown[k];
	return alarm_texts[a].t[k];
}

const char *hh_alarm_title(int a)   { return pick(a, T_TITLE); }
const char *hh_alarm_meaning(int a) { return pick(a, T_MEANING); }
const char *hh_alarm_action(int a)  { return pick(a, T_ACTION); }

int hh_alarm_priority(int a)
{
	return a > 0 && a < MSG_ALARM_COUNT && alarm_texts[a].prio ? alarm_texts[a].prio
	                                                           : MSG_PRIO_HIGH;
}

int hh_alarm_bell(struct hh_alarm_bell *b, unsigned audible, unsigned high, uint64_t now)
{
	unsigned fresh = audible & ~b->prev;
	int any_high = (audible & high) != 0;
	b->prev = audible;
	if (!any_high)
		b->next = 0;
	if (fresh) {
		if (any_high)
			b->next = now + HH_BELL_REPEAT_MS;
		return (fresh & high) ? 2 : 1;
	}
	if (any_high && b->next != 0 && now >= b->next) {
		b->next = now + HH_BELL_REPEAT_MS;
		return 2;
	}
	if (any_high && b->next == 0)
		b->next = now + HH_BELL_REPEAT_MS;
	return 0;
}
