/* A bounded "best k" keeper: the k best of a stream of fixed-size items by the caller's ranking, in O(log k)
 * per item and k + 1 items of memory (allocated with the first). While items come, the kept ones form a heap
 * whose root is the least good of them, so a newcomer is judged by one comparison; topn_sort() ranks them
 * best first once at the end. Library code: no logging, -errno returns. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* < 0 when x ranks before (is better than) y, > 0 after, 0 never for two distinct items if the result is to
 * be deterministic (break ties on a unique key). */
typedef int (*topn_cmp_fn)(const void *x, const void *y);

typedef struct topn {
        uint8_t *v;              /* cap + 1 items (the last one a scratch slot), NULL until the first offer */
        size_t size;
        uint32_t n, cap;
        topn_cmp_fn cmp;
        int sorted;              /* topn_sort() ran: v[0..n) best first, no heap any more */
} topn_t;

void topn_init(topn_t *t, size_t size, uint32_t cap, topn_cmp_fn cmp);
/* Keeps a copy of item if it is among the cap best so far. 0, or -ENOMEM (item not kept), -EINVAL after
 * topn_sort(). */
int topn_offer(topn_t *t, const void *item);
/* Whether topn_offer() would keep item now: cmp() alone decides, so a caller can fill in the rest of an item
 * only when it is wanted. */
bool topn_wants(const topn_t *t, const void *item);
/* Ranks the kept items best first (v[0] the best); no offer after it. */
void topn_sort(topn_t *t);
static inline const void *topn_at(const topn_t *t, uint32_t i) {
        return t->v + (size_t) i * t->size;
}
void topn_done(topn_t *t);
