/* pumpd/notify.c — notes, sequence numbers, broadcast (see notify.h). */
#include "pumpd/notify.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "pumpd/audit.h"
#include "pumpd/edition.h"
#include "pumpd/linkfault.h"
#include "pumpd/log.h"
#include "pumpd/remote.h"
#include "pumpd/wire.h"
#include "util/units.h"

void notify_note(struct notes *ns, int event, int alarm)
{
	if (ns->n < SRV_NOTES_MAX) {
		ns->e[ns->n].event = (uint8_t)event;
		ns->e[ns->n].alarm = (uint8_t)(alarm > 0 ? alarm : 0);
		ns->n++;
	}
}

int notify_events(struct server *srv, struct notes *ns)
{
	char text[MSG_TEXT_MAX + 1], a[UNITS_FMT_MAX];
	for (unsigned i = 0; i < srv->nevents; i++) {
		const pump_event *ev = &srv->events[i];
		int alarm = ev->alarm;
		int event = wire_event_to_msg(ev->kind);
		int kind = STORE_EV_ALARM;
		text[0] = '\0';
		switch (ev->kind) {
		case PUMP_EV_BOLUS_END:
		case PUMP_EV_BOLUS_ABORTED:
			kind = STORE_EV_BOLUS;
			srv_fmt_ng(a, sizeof a, (uint64_t)(ev->value > 0 ? ev->value : 0));
			if (ev->bolus == PUMP_KIND_PATIENT)
				snprintf(text, sizeof text, "bolus %s: %s delivered",
				         ev->kind == PUMP_EV_BOLUS_END ? "ended" : "cut short",
				         a);
			else    /* the clinician's: the kind named */
				snprintf(text, sizeof text,
				         "clinician bolus %s %s: %s delivered",
				         pump_bolus_kind_name(ev->bolus),
				         ev->kind == PUMP_EV_BOLUS_END ? "ended" : "cut short",
				         a);
			break;
		case PUMP_EV_STEP_CHANGE:
			kind = STORE_EV_SCHEDULE;
			snprintf(text, sizeof text, "schedule step: %s",
			         units_fmt_rate((uint64_t)(ev->value > 0 ? ev->value : 0), a));
			break;
		case PUMP_EV_ALARM_RAISED:
		case PUMP_EV_ALARM_RESOUND:
		case PUMP_EV_ALARM_CLEARED:
			snprintf(text, sizeof text, "%s: %s",
			         ev->kind == PUMP_EV_ALARM_RAISED ? "alarm raised"
			         : ev->kind == PUMP_EV_ALARM_RESOUND ? "alarm sounds again"
			         : "alarm cleared", msg_alarm_name(alarm));
			break;
		case PUMP_EV_ALARM_SILENCED:
			continue;   /* the SILENCE request says it once, for all */
		default:
			break;      /* a request's own: its audit row says it */
		}
		if (event >= 0)
			notify_note(ns, event, alarm);
		if (!text[0])
			continue;
		if (event == MSG_EV_ALARM_RAISED || event == MSG_EV_ALARM_RESOUND)
			log_warn("%s", text);
		else
			log_info("%s", text);
		int e = audit_row_at(srv, kind, "pump", 0, ev->at_ms, text);
		if (e < 0)
			return e;
	}
	srv->nevents = 0;   /* told: a second call tells them no more */
	if (srv->lost_events) {
		notify_note(ns, MSG_EV_STATE, 0);
		srv->lost_events = 0;
	}
	return 0;
}

int notify_room(struct server *srv)
{
	if ((uint64_t)srv->seq_n + SRV_NOTES_MAX <= UINT32_MAX)
		return 0;
	int e = store_put_int(srv->st, "boot", (int64_t)(srv->boot + 1));
	if (e < 0)
		return e;
	srv->boot++;
	srv->seq_n = 0;
	return 0;
}

static void broadcast(struct server *srv, uint64_t seq, int event, int alarm,
                      const struct msg_state *st)
{
	struct msg_notify n;
	memset(&n, 0, sizeof n);
	n.seq = seq;
	n.event = (uint8_t)event;
	n.alarm = (uint8_t)(alarm > 0 ? alarm : 0);
	n.state = *st;
	/* up to three encodings: the first edition's, edition 3's with the
	 * state extension (pumpd/edition.h; events 12.. only there), and,
	 * while a clinician's bolus runs, the same with its kind for a
	 * session that accepted it (8.15; else edition 3's bytes) */
	uint8_t buf[MSG_MAX], buf3[MSG_MAX], buf4[MSG_MAX];
	int len = 0, len4 = 0;
	if (event < MSG_EV_ALARM_TEST) {
		n.state.has_ext = 0;
		len = msg_encode_notify(&n, buf, sizeof buf);
	}
	n.state.has_ext = 1;
	int kind = (n.state.ext.flags & MSG_SX_BOLUS_MASK) != 0;
	if (kind)
		len4 = msg_encode_notify(&n, buf4, sizeof buf4);
	n.state.ext.flags &= (uint8_t)~MSG_SX_BOLUS_MASK;
	int len3 = msg_encode_notify(&n, buf3, sizeof buf3);
	if (len < 0 || len3 <= 0 || len4 < 0 || (kind && len4 == 0)) {
		log_error("cannot encode a notification (%d, %d, %d)", len, len3, len4);
		return;
	}
	for (struct session *s = srv->sessions; s; s = s->next) {
		if (!peer_is_open(s->peer) || !s->remote)
			continue;
		if (s->remote->unpaired) {
			srv->hooks.drop_unpaired(srv, s, 0, -1);
			continue;
		}
		if (linkfault_silent(srv, s))
			continue;   /* a tester's link fault: out of range */
		if (!edition_event_for(s, event))
			continue;
		int ed3 = edition_event_for(s, MSG_EV_ALARM_TEST);
		int e = kind && edition_typed(s) ? peer_send(s->peer, buf4, (size_t)len4)
		      : peer_send(s->peer, ed3 ? buf3 : buf, (size_t)(ed3 ? len3 : len));
		if (e < 0)
			log_warn("%s: notification not sent (%s)", s->remote->name,
			         strerror(-e));
	}
	log_debug("notify #%" PRIu64 " %s%s%s", seq, msg_event_name(event),
	          alarm > 0 ? " " : "", alarm > 0 ? msg_alarm_name(alarm) : "");
}

void notify_send(struct server *srv, const struct notes *ns,
                 const struct msg_state *st)
{
	for (unsigned i = 0; i < ns->n; i++) {
		uint64_t seq = srv->boot << 32 | ++srv->seq_n;
		broadcast(srv, seq, ns->e[i].event, ns->e[i].alarm, st);
	}
}
