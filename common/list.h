/* list.h -- intrusive doubly-linked lists: the one spelling of pushing and unlinking.
 *
 * The server keeps its live objects (connections, calls, jobs, subscriptions, sockets) on
 * lists threaded through the objects themselves: a `next` and a `prev` pointer in the struct,
 * a head pointer in the owner. No allocation, O(1) removal from the middle, and the object
 * knows nothing about which list holds it beyond those two fields. These macros work on any
 * such struct; `head` is an lvalue (the owner's head pointer).
 */
#ifndef CALLPRINT_COMMON_LIST_H
#define CALLPRINT_COMMON_LIST_H

/* Put node first on the list. */
#define LIST_PUSH(head, node)                                                                    \
    do {                                                                                         \
        (node)->prev = NULL;                                                                     \
        (node)->next = (head);                                                                   \
        if (head)                                                                                \
            (head)->prev = (node);                                                               \
        (head) = (node);                                                                         \
    } while (0)

/* Take node off the list; its own next/prev are left as they were. */
#define LIST_UNLINK(head, node)                                                                  \
    do {                                                                                         \
        if ((node)->prev)                                                                        \
            (node)->prev->next = (node)->next;                                                   \
        else                                                                                     \
            (head) = (node)->next;                                                               \
        if ((node)->next)                                                                        \
            (node)->next->prev = (node)->prev;                                                   \
    } while (0)

/* The same for a list that also keeps its tail. */
#define LIST_UNLINK_TAIL(head, tail, node)                                                       \
    do {                                                                                         \
        if (!(node)->next)                                                                       \
            (tail) = (node)->prev;                                                               \
        LIST_UNLINK(head, node);                                                                 \
    } while (0)

/* Put node last on a list that keeps its tail. */
#define LIST_APPEND(head, tail, node)                                                            \
    do {                                                                                         \
        (node)->next = NULL;                                                                     \
        (node)->prev = (tail);                                                                   \
        if (tail)                                                                                \
            (tail)->next = (node);                                                               \
        else                                                                                     \
            (head) = (node);                                                                     \
        (tail) = (node);                                                                         \
    } while (0)

#endif
