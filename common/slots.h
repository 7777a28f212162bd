/* slots.h -- the slot scheduler: a time wheel of n slots visited as they come due.
 *
 * Work that recurs every period (a stream's verification tick, a simulated call's next
 * frame) is kept in one list per slot of the period, and a timer visits only the slot that
 * is due instead of every item at once, so the work spreads evenly over the period. Slots are
 * absolute (clock / slot length): a late wake-up visits every slot it missed, each once, and
 * after a stall longer than a whole period each slot is visited once, not once per missed
 * period.
 */
#ifndef CALLPRINT_COMMON_SLOTS_H
#define CALLPRINT_COMMON_SLOTS_H

#include <stdint.h>

typedef void slots_visit_fn(unsigned slot, void *arg);

/* Visit, in order, the slots after *last up to now_slot (absolute slot numbers), each as
 * its index in the wheel of n; *last becomes now_slot. */
static inline void slots_run(uint64_t *last, uint64_t now_slot, unsigned n, slots_visit_fn *visit,
                             void *arg)
{
    if (now_slot - *last > n)
        *last = now_slot - n;
    while (*last < now_slot)
        visit((unsigned)(++*last % n), arg);
}

#endif
