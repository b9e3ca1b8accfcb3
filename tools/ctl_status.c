/*
 * tools/ctl_status.c — what ptmctl makes of a request's end: a status
 * (client_call, scn_link) in words, and the exit code for a status or for
 * the pump's reply (ptmctl(1), EXIT STATUS).
 */
#include "tools/ctl.h"

#include <errno.h>
#include <string.h>
#include <sys/stat.h>

#include "util/esc.h"

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

const char *ctl_strstatus(int status)
{
	switch (status) {
	case 0:                return "ok";
	case CLIENT_E_TIMEOUT: return "no reply in time (incomplete communication)";
	case CLIENT_E_LINK:    return "link lost before the reply (incomplete communication)";
	case CLIENT_E_ENCODE:  return "the request does not encode (a field is out of range)";
	case PEER_R_CONNECT:   return "cannot connect to the pump";
	case PEER_R_IO:        return "the connection to the pump broke (is pumpd still running?)";
	case PEER_R_EOF:       return "the pump closed the connection (a newer session with this key replaced it, or the key is not paired)";
	case PEER_R_HANDSHAKE: return "handshake refused (wrong pump key?)";
	case PEER_R_HS_DEADLINE: return "handshake did not complete in time";
	case PEER_R_REFUSED:   return "the pump refused the handshake: this key is not "
	                              "paired with it, the pump key is another pump's, "
	                              "or this computer's clock is more than 10 min "
	                              "ahead of the pump's or behind this key's last "
	                              "connection (set the clock)";
	default:               return client_strerror(status);
	}
}

/* What is at a unix: address, when that says why nobody answered there:
 * " (no such file)", " (not a socket)", or "" */
static const char *unix_why(const char *addr)
{
	struct stat st;
	if (strncmp(addr, "unix:", 5) != 0)
		return "";
	if (lstat(addr + 5, &st) != 0)
		return errno == ENOENT || errno == ENOTDIR ? " (no such file)" : "";
	return S_ISSOCK(st.st_mode) ? "" : " (not a socket)";
}

const char *ctl_strstatus_at(int status, const char *addr, char *buf, size_t cap)
{
	char a[ESC_MAX(PEER_ADDR_MAX)];
	if (status != PEER_R_CONNECT || !addr) {
		snprintf(buf, cap, "%s", ctl_strstatus(status));
		return buf;
	}
	snprintf(buf, cap, "cannot connect to the pump at %s%s: is pumpd running? "
	         "'pumpd status DIR' says whether a pumpd serves its state directory DIR, "
	         "and on which address", esc_s(a, sizeof a, addr), unix_why(addr));
	return buf;
}

int ctl_exit_for_reply(const struct msg_reply *r)
{
	if (r->err != MSG_OK)
		return CTL_EXIT_REFUSED;
	if (r->req_type == MSG_BOLUS && r->u.bolus.outcome != MSG_OUT_GRANTED)
		return CTL_EXIT_REFUSED;
	return CTL_EXIT_OK;
}
