/* list.h -- intrusive doubly-linked lists: the one spelling of pushing and unlinking.
 *
 * The server keeps its live objects (connections, calls, jobs, subscriptions, sockets) on
 * lists threaded through the objects themselves: a `next` and a `prev` pointer in the struct,
 * a head pointer in the owner. No allocation, O(1) removal from the middle, and the object
 * knows nothing about which list holds it beyond those two fields. These macros work on any
 * such struct; `head` is an lvalue (the owner's head pointer). The same file holds the
 * singly-linked FIFO queues (outbound frames, webhook deliveries): a head, a tail and a `next`
 * in the node.
 */
#ifndef CALLPRINT_COMMON_LIST_H
#define CALLPRINT_COMMON_LIST_H

/* Put node first on the list. */
#define LIST_PUSH(head, node) LIST_PUSH_AS(head, node, )

/* Take node off the list; its own next/prev are left as they were. */
#define LIST_UNLINK(head, node) LIST_UNLINK_AS(head, node, )

/* The same for an object on several lists at once, whose links for this list are named
 * <pfx>prev and <pfx>next (pfx reg_: reg_prev and reg_next). */
#define LIST_PUSH_AS(head, node, pfx)                                                            \
    do {                                                                                         \
        (node)->pfx##prev = NULL;                                                                \
        (node)->pfx##next = (head);                                                              \
        if (head)                                                                                \
            (head)->pfx##prev = (node);                                                          \
        (head) = (node);                                                                         \
    } while (0)
#define LIST_UNLINK_AS(head, node, pfx)                                                          \
    do {                                                                                         \
        if ((node)->pfx##prev)                                                                   \
            (node)->pfx##prev->pfx##next = (node)->pfx##next;                                    \
        else                                                                                     \
            (head) = (node)->pfx##next;                                                          \
        if ((node)->pfx##next)                                                                   \
            (node)->pfx##next->pfx##prev = (node)->pfx##prev;                                    \
    } while (0)

/* The same for a list that also keeps its tail. */
#define LIST_UNLINK_TAIL(head, tail, node)                                                       \
    do {                                                                                         \
        if (!(node)->next)                                                                       \
            (tail) = (node)->prev;                                                               \
        LIST_UNLINK(head, node);                                                                 \
    } while (0)

/* Put node last on a list that keeps its tail: a queue's push (below) that also links back. */
#define LIST_APPEND(head, tail, node)                                                            \
    do {                                                                                         \
        (node)->prev = (tail);                                                                   \
        QUEUE_PUSH(head, tail, node);                                                            \
    } while (0)

/* Singly-linked FIFO queues: a `next` pointer in the node, a head and a tail in the owner.
 * Put node last; take the first off (the queue must not be empty; the node is not freed). */
#define QUEUE_PUSH(head, tail, node)                                                             \
    do {                                                                                         \
        (node)->next = NULL;                                                                     \
        if (tail)                                                                                \
            (tail)->next = (node);                                                               \
        else                                                                                     \
            (head) = (node);                                                                     \
        (tail) = (node);                                                                         \
    } while (0)
#define QUEUE_POP(head, tail)                                                                    \
    do {                                                                                         \
        (head) = (head)->next;                                                                   \
        if (!(head))                                                                             \
            (tail) = NULL;                                                                       \
    } while (0)

#endif
