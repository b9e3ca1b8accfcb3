/* util/dlist.h — intrusive doubly linked lists: unlink or append a node by
 * naming the list's head (and tail) and the node's next and prev fields. */
#ifndef PTM_UTIL_DLIST_H
#define PTM_UTIL_DLIST_H

/* Take n out of the list at head (no tail kept). */
#define DLIST_UNLINK(head, n, next, prev) do {                          \
	if ((n)->prev)                                                  \
		(n)->prev->next = (n)->next;                            \
	else                                                            \
		(head) = (n)->next;                                     \
	if ((n)->next)                                                  \
		(n)->next->prev = (n)->prev;                            \
} while (0)

/* Take n out of the list head..tail. */
#define DLIST_UNLINK2(head, tail, n, next, prev) do {                   \
	DLIST_UNLINK(head, n, next, prev);                              \
	if (!(n)->next)                                                 \
		(tail) = (n)->prev;                                     \
} while (0)

/* Put n at the end of the list head..tail. */
#define DLIST_APPEND(head, tail, n, next, prev) do {                    \
	(n)->next = NULL;                                               \
	(n)->prev = (tail);                                             \
	if (tail)                                                       \
		(tail)->next = (n);                                     \
	else                                                            \
		(head) = (n);                                           \
	(tail) = (n);                                                   \
} while (0)

#endif
