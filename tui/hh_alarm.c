/*
 * tui/hh_alarm.c — alarm texts and the bell pattern (see hh_alarm.h).
 */
#include "tui/hh_alarm.h"

#include <stddef.h>

#include "net/msg.h"

struct alarm_text { const char *title, *meaning, *action; };

static const struct alarm_text alarm_texts[MSG_ALARM_COUNT] = {
	[MSG_ALARM_LOW_RESERVOIR] = { "Low reservoir",
		"The pump is running low on medicine.",
		"call your clinic to book a refill" },
	[MSG_ALARM_ERI] = { "Pump battery low",
		"The pump's battery must be replaced within 90 days.",
		"call your clinic to plan a pump replacement" },
	[MSG_ALARM_EOS] = { "Pump battery empty",
		"The pump has stopped: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_EMPTY] = { "Reservoir empty",
		"The pump is out of medicine: none is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_MOTOR_STALL] = { "Pump motor stopped",
		"The pump's motor stalled: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
	[MSG_ALARM_MEMORY] = { "Pump memory error",
		"The pump found a minor error in its memory. It keeps working.",
		"call your clinic during opening hours" },
	[MSG_ALARM_MEMORY_CRITICAL] = { "Pump memory failure",
		"The pump has stopped: no medicine is flowing.",
		"call your clinic now; if you feel unwell, get emergency help" },
};

static const struct alarm_text *alarm_text(int a)
{
	if (a <= 0 || a >= MSG_ALARM_COUNT || !alarm_texts[a].title)
		return NULL;
	return &alarm_texts[a];
}

const char *hh_alarm_title(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->title : "Pump alarm";
}

const char *hh_alarm_meaning(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->meaning : "The pump raised an alarm this remote does not know.";
}

const char *hh_alarm_action(int a)
{
	const struct alarm_text *t = alarm_text(a);
	return t ? t->action : "call your clinic";
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
