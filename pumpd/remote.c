/* pumpd/remote.c — the paired remotes in memory (see remote.h). */
#include "pumpd/remote.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pumpd/session.h"

struct remote *remote_sync(struct server *srv, const struct store_remote *sr)
{
	struct remote *rm;
	for (rm = srv->remotes; rm; rm = rm->next)
		if (rm->id == sr->id)
			break;
	if (rm && (rm->paired_ms != sr->paired_ms || memcmp(rm->pub, sr->pub, 32))) {
		/* the row now holds another pairing: nothing carries over */
		if (rm->sess)
			session_drop_unpaired(srv, rm->sess, 0, -1);
		else
			remote_forget(srv, rm);
		rm = NULL;
	}
	if (!rm) {
		rm = calloc(1, sizeof *rm);
		if (!rm)
			return NULL;
		rm->id = sr->id;
		rm->next = srv->remotes;
		srv->remotes = rm;
	}
	snprintf(rm->name, sizeof rm->name, "%s", sr->name);
	rm->role = sr->role;
	memcpy(rm->pub, sr->pub, 32);
	rm->paired_ms = sr->paired_ms;
	rm->has_tai = sr->has_tai;
	memcpy(rm->tai, sr->tai, 12);
	/* the daemon's own memory is newer than what it wrote, never older
	 * (a read answered while the disk was full is not stored) */
	if (sr->last_req_id >= rm->last_req_id) {
		rm->last_req_id = sr->last_req_id;
		rm->reply_len = sr->reply_len;
		memcpy(rm->reply, sr->reply, sr->reply_len);
	}
	return rm;
}

struct load { struct server *srv; int oom; };

static int load_one(void *ud, const struct store_remote *r)
{
	struct load *l = ud;
	l->oom = remote_sync(l->srv, r) == NULL;
	return l->oom;
}

int remote_load_all(struct server *srv)
{
	struct load l = { srv, 0 };
	int n = store_remote_each(srv->st, load_one, &l);
	return n < 0 ? n : l.oom ? -ENOMEM : 0;
}

int remote_still_paired(struct server *srv, const struct remote *rm)
{
	int role = store_remote_role(srv->st, rm->id, rm->pub, rm->paired_ms);
	if (role == -ENOENT)
		return 0;
	if (role < 0)
		return role;
	return role == rm->role;
}

void remote_forget(struct server *srv, struct remote *rm)
{
	if (rm->sess) {
		rm->sess->remote = NULL;
		rm->sess = NULL;
	}
	for (struct remote **pp = &srv->remotes; *pp; pp = &(*pp)->next)
		if (*pp == rm) {
			*pp = rm->next;
			break;
		}
	free(rm);
}

void remote_free_all(struct server *srv)
{
	while (srv->remotes)
		remote_forget(srv, srv->remotes);
}
