/* pumpd/edition.c — what an edition-N session reads (see edition.h). */
#include "pumpd/edition.h"

int edition_ed3(const struct session *s)
{
	return s && (s->accept & MSG_ACCEPT_ED3);
}

void edition_fit_reply(struct msg_reply *r, const struct session *s)
{
	r->state.has_ext = (uint8_t)edition_ed3(s);
	if (!s || !(s->accept & MSG_ACCEPT_DELIVERY))
		r->has_dlv = 0;   /* STATUS's delivery block: asked for only */
	if (!edition_typed(s)) {   /* 8.15: asked for only */
		r->state.ext.flags &= (uint8_t)~MSG_SX_BOLUS_MASK;
		if (r->req_type == MSG_LOG && r->err == MSG_OK)
			for (unsigned i = 0; i < r->u.log.n && i < MSG_LOG_MAX; i++)
				r->u.log.e[i].typed = 0;
	}
	if (!edition_ed3(s) &&
	    (r->err == MSG_E_SOFT_LIMIT || r->err == MSG_E_HARD_LIMIT))
		r->err = MSG_E_RANGE;   /* a version-1 remote knows range */
}

int edition_typed(const struct session *s)
{
	return edition_ed3(s) && (s->accept & MSG_ACCEPT_TYPED);
}

int edition_event_for(const struct session *s, int event)
{
	return event < MSG_EV_ALARM_TEST || edition_ed3(s);
}
