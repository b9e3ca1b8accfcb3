/*
 * tools/ctl_status.c — ptmctl's exit code for a request's end: a status
 * (client_call) or the pump's reply (ptmctl(1), EXIT STATUS).
 */
#include "tools/ctl.h"

#include <errno.h>
#include <string.h>

#include "net/client.h"
#include "net/peer.h"

int ctl_exit_for_status(int status)
{
	switch (status) {
	case 0:
		return CTL_EXIT_OK;
	case PEER_R_CONNECT:
	case PEER_R_IO:        /* the connection broke: a pump that died (EPIPE,
	                          ECONNRESET), not one that refused us */
	case CLIENT_E_TIMEOUT:
	case CLIENT_E_LINK:
		return CTL_EXIT_CONNECT;
	case CLIENT_E_ENCODE:
	case -EINVAL:          /* a bad address or request: checked before, so
	                          only a caller's mistake */
		return CTL_EXIT_USAGE;
	default:
		return CTL_EXIT_PROTOCOL;
	}
}

int ctl_exit_for_reply(const struct msg_reply *r)
{
	if (r->err != MSG_OK)
		return CTL_EXIT_REFUSED;
	if (r->req_type == MSG_BOLUS && r->u.bolus.outcome != MSG_OUT_GRANTED)
		return CTL_EXIT_REFUSED;
	return CTL_EXIT_OK;
}
