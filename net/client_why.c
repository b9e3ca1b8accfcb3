/*
 * net/client_why.c — a client's status in words, for people: what ptm,
 * ptmctl and the scenario runner say when a request did not get its reply.
 */
#include "net/client.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

#include "net/peer.h"
#include "util/esc.h"

const char *client_strerror(int status)
{
	switch (status) {
	case 0:                return "ok";
	case CLIENT_E_TIMEOUT: return "no reply in time (incomplete communication)";
	case CLIENT_E_LINK:    return "link lost before the reply (incomplete communication)";
	case CLIENT_E_CLOSED:  return "the client was closed";
	case CLIENT_E_PROTO:   return "the pump sent an undecodable message";
	case CLIENT_E_BUSY:    return "too many requests queued";
	case CLIENT_E_ENCODE:  return "the request does not encode (a field is out of range)";
	case -ENOTCONN:        return "not connected";
	case -EINVAL:          return "invalid argument";
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
	default:
		if (status <= PEER_R_LOCAL && status >= PEER_R_LAST)
			return peer_reason_name(status);
		return "error";
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

const char *client_strerror_at(int status, const char *addr, char *buf,
                               size_t cap)
{
	char a[ESC_MAX(PEER_ADDR_MAX)];
	if (status != PEER_R_CONNECT || !addr) {
		snprintf(buf, cap, "%s", client_strerror(status));
		return buf;
	}
	snprintf(buf, cap, "cannot connect to the pump at %s%s: is pumpd running? "
	         "'pumpd status DIR' says whether a pumpd serves its state directory DIR, "
	         "and on which address", esc_s(a, sizeof a, addr), unix_why(addr));
	return buf;
}
