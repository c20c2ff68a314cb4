/* The bounded "best k" keeper (topn.h): a binary heap with the least good kept item at its root. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "util/topn.h"

void topn_init(topn_t *t, size_t size, uint32_t cap, topn_cmp_fn cmp) {
        *t = (topn_t) { .size = size, .cap = cap, .cmp = cmp };
}

static void *at(topn_t *t, uint32_t i) {
        return t->v + (size_t) i * t->size;
}

static void swap(topn_t *t, uint32_t i, uint32_t j) {
        void *tmp = at(t, t->cap);
        memcpy(tmp, at(t, i), t->size);
        memcpy(at(t, i), at(t, j), t->size);
        memcpy(at(t, j), tmp, t->size);
}

/* heap order: a parent ranks after (is worse than) its children */
static void up(topn_t *t, uint32_t i) {
        while (i > 0 && t->cmp(at(t, (i - 1) / 2), at(t, i)) < 0) {
                swap(t, i, (i - 1) / 2);
                i = (i - 1) / 2;
        }
}

static void down(topn_t *t, uint32_t i) {
        for (;;) {
                uint32_t l = 2 * i + 1, r = l + 1, m = i;
                if (l < t->n && t->cmp(at(t, l), at(t, m)) > 0)
                        m = l;
                if (r < t->n && t->cmp(at(t, r), at(t, m)) > 0)
                        m = r;
                if (m == i)
                        return;
                swap(t, i, m);
                i = m;
        }
}

int topn_offer(topn_t *t, const void *item) {
        if (t->sorted)
                return -EINVAL;
        if (t->cap == 0)
                return 0;
        if (!t->v) {
                t->v = calloc((size_t) t->cap + 1, t->size);
                if (!t->v)
                        return -ENOMEM;
        }
        if (t->n < t->cap) {
                memcpy(at(t, t->n), item, t->size);
                up(t, t->n++);
        } else if (t->cmp(item, at(t, 0)) < 0) {
                memcpy(at(t, 0), item, t->size);
                down(t, 0);
        }
        return 0;
}

bool topn_wants(const topn_t *t, const void *item) {
        if (t->sorted || t->cap == 0)
                return false;
        return t->n < t->cap || t->cmp(item, t->v + 0) < 0;
}

void topn_sort(topn_t *t) {
        if (t->v && !t->sorted)
                qsort(t->v, t->n, t->size, t->cmp);
        t->sorted = 1;
}

void topn_done(topn_t *t) {
        free(t->v);
        t->v = NULL;
        t->n = 0;
}
