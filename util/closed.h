/* util/closed.h — the last step of an asynchronous close: free the object,
 * then tell its owner (the callback may free what held it). */
#ifndef PTM_UTIL_CLOSED_H
#define PTM_UTIL_CLOSED_H

#include <stdlib.h>

/* free(obj), then cb(ud) when cb is set; the arguments are read first, so
 * obj's own fields may be passed. */
static inline void closed_free_then(void *obj, void (*cb)(void *), void *ud)
{
	free(obj);
	if (cb)
		cb(ud);
}

#endif
