/* pumpd/edition.c — what an edition-N session reads (see edition.h). */
#include "pumpd/edition.h"

int edition_ed3(const struct session *s)
{
	return s && (s->accept & MSG_ACCEPT_ED3);
}

void edition_fit_reply(struct msg_reply *r, const struct session *s)
{
	r->state.has_ext = (uint8_t)edition_ed3(s);
	if (!edition_ed3(s) &&
	    (r->err == MSG_E_SOFT_LIMIT || r->err == MSG_E_HARD_LIMIT))
		r->err = MSG_E_RANGE;   /* a version-1 remote knows range */
}

int edition_event_for(const struct session *s, int event)
{
	return event < MSG_EV_ALARM_TEST || edition_ed3(s);
}
