/*
 * net/peer_addr.c — address strings ("tcp:HOST:PORT", "unix:PATH") and
 * socket addresses for the peer (see peer.h, peer_impl.h).  No I/O.
 */
#include "net/peer_impl.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

int peer_addr_parse(const char *s, struct peer_addr *out)
{
	struct peer_addr a;

	memset(&a, 0, sizeof a);
	if (!s || !*s)
		return -EINVAL;
	if (strncmp(s, "unix:", 5) == 0 || (strncmp(s, "tcp:", 4) != 0 && strchr(s, '/'))) {
		const char *path = strncmp(s, "unix:", 5) == 0 ? s + 5 : s;
		size_t n = strlen(path);
		if (n == 0 || n >= sizeof a.path)
			return -EINVAL;
		a.kind = PEER_ADDR_UNIX;
		memcpy(a.path, path, n + 1);
		*out = a;
		return 0;
	}
	if (strncmp(s, "tcp:", 4) != 0)
		return -EINVAL;
	const char *h = s + 4, *colon;
	size_t hl;
	if (*h == '[') {
		const char *end = strchr(h, ']');
		if (!end || end[1] != ':')
			return -EINVAL;
		hl = (size_t)(end - h - 1);
		h++;
		colon = end + 1;
	} else {
		colon = strrchr(h, ':');
		if (!colon)
			return -EINVAL;
		hl = (size_t)(colon - h);
		if (memchr(h, ':', hl))
			return -EINVAL; /* IPv6 needs brackets */
	}
	if (hl == 0 || hl >= sizeof a.host)
		return -EINVAL;
	memcpy(a.host, h, hl);
	a.host[hl] = '\0';
	if (strcmp(a.host, "localhost") == 0)
		strcpy(a.host, "127.0.0.1");
	const char *ps = colon + 1;
	if (!*ps || strlen(ps) > 5)
		return -EINVAL;
	unsigned long port = 0;
	for (const char *c = ps; *c; c++) {
		if (*c < '0' || *c > '9')
			return -EINVAL;
		port = port * 10 + (unsigned long)(*c - '0');
	}
	if (port > 65535)
		return -EINVAL;
	a.port = (uint16_t)port;
	a.kind = PEER_ADDR_TCP;
	/* numeric only: check now so bind/connect cannot fail on it later */
	struct sockaddr_storage ss;
	if (uv_ip4_addr(a.host, a.port, (struct sockaddr_in *)&ss) != 0 &&
	    uv_ip6_addr(a.host, a.port, (struct sockaddr_in6 *)&ss) != 0)
		return -EINVAL;
	*out = a;
	return 0;
}

int peer_addr_sockaddr(const struct peer_addr *a, struct sockaddr_storage *ss)
{
	memset(ss, 0, sizeof *ss);
	if (uv_ip4_addr(a->host, a->port, (struct sockaddr_in *)ss) == 0)
		return 0;
	if (uv_ip6_addr(a->host, a->port, (struct sockaddr_in6 *)ss) == 0)
		return 0;
	return -EINVAL;
}

void peer_addr_format(const struct sockaddr_storage *ss, char *buf, size_t n)
{
	char ip[64] = "?";
	unsigned port = 0;
	if (ss->ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)ss;
		uv_ip4_name(in, ip, sizeof ip);
		port = ntohs(in->sin_port);
		snprintf(buf, n, "tcp:%s:%u", ip, port);
	} else if (ss->ss_family == AF_INET6) {
		const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)ss;
		uv_ip6_name(in6, ip, sizeof ip);
		port = ntohs(in6->sin6_port);
		snprintf(buf, n, "tcp:[%s]:%u", ip, port);
	} else {
		snprintf(buf, n, "unix:");
	}
}
