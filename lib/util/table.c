/* The open-addressing table (table.h). */
#include "util/table.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define TABLE_MAX (UINT32_C(1) << 30)

static uint32_t pow2_at_least(uint64_t x) {
        uint32_t c = 4;
        while (c < x && c < (UINT32_C(1) << 31))
                c <<= 1;
        return c;
}

int table_init(table_t *t, size_t elem, uint32_t first, uint32_t max) {
        max = max == 0 ? 1 : max > TABLE_MAX ? TABLE_MAX : max;
        first = first == 0 ? 1 : first > max ? max : first;
        *t = (table_t) { .elem = elem, .max = max };
        uint32_t slots = pow2_at_least(2 * (uint64_t) first);
        t->slot = calloc(slots, sizeof *t->slot);
        t->e = calloc(first, elem);
        t->hash = calloc(first, sizeof *t->hash);
        t->free = calloc(first, sizeof *t->free);
        if (!t->slot || !t->e || !t->hash || !t->free) {
                table_done(t);
                return -ENOMEM;
        }
        t->mask = slots - 1;
        t->alloc = first;
        return 0;
}

void table_done(table_t *t) {
        free(t->slot);
        free(t->e);
        free(t->hash);
        free(t->free);
        t->slot = NULL;
        t->e = NULL;
        t->hash = NULL;
        t->free = NULL;
        t->n = t->top = t->alloc = t->n_free = 0;
}

/* Puts ref into the index (it is not there); counts the slots looked at. */
static void index_put(table_t *t, uint32_t hash, uint32_t ref) {
        uint32_t j = hash & t->mask, len = 1;
        while (t->slot[j].ref != 0) {
                j = (j + 1) & t->mask;
                len++;
        }
        t->slot[j] = (table_slot_t) { .hash = hash, .ref = ref + 1 };
        t->probes += len;
        if (len > t->max_probe)
                t->max_probe = len;
}

static int index_grow(table_t *t, uint32_t slots) {
        table_slot_t *old = t->slot;
        uint32_t n_old = t->mask + 1;
        table_slot_t *ns = calloc(slots, sizeof *ns);
        if (!ns)
                return -ENOMEM;
        t->slot = ns;
        t->mask = slots - 1;
        for (uint32_t i = 0; i < n_old; i++)
                if (old[i].ref != 0) {
                        uint32_t j = old[i].hash & t->mask;
                        while (ns[j].ref != 0)
                                j = (j + 1) & t->mask;
                        ns[j] = old[i];
                }
        free(old);
        return 0;
}

static int entries_grow(table_t *t, uint32_t alloc) {
        uint8_t *e = realloc(t->e, (size_t) alloc * t->elem);
        if (!e)
                return -ENOMEM;
        t->e = e;
        uint32_t *h = realloc(t->hash, (size_t) alloc * sizeof *h);
        if (!h)
                return -ENOMEM;
        t->hash = h;
        uint32_t *f = realloc(t->free, (size_t) alloc * sizeof *f);
        if (!f)
                return -ENOMEM;
        t->free = f;
        t->alloc = alloc;
        return 0;
}

int table_reserve(table_t *t, uint32_t k) {
        uint64_t want = (uint64_t) t->n + k;
        if (want > t->max)
                want = t->max;
        /* the index: at most half full */
        if (want * 2 > (uint64_t) t->mask + 1) {
                int r = index_grow(t, pow2_at_least(want * 2));
                if (r < 0)
                        return r;
        }
        /* the entries: free references, then the ones never handed out */
        if (want > (uint64_t) t->n + t->n_free + (t->alloc - t->top)) {
                uint64_t need = want - t->n - t->n_free; /* references from top on */
                uint64_t alloc = t->alloc;
                while (alloc < t->top + need)
                        alloc *= 2;
                if (alloc > t->max)
                        alloc = t->max;
                return entries_grow(t, (uint32_t) alloc);
        }
        return 0;
}

int table_add(table_t *t, uint64_t hash, uint32_t *ret) {
        if (t->n >= t->max)
                return -ENOSPC;
        int r = table_reserve(t, 1);
        if (r < 0)
                return r;
        uint32_t ref = t->n_free > 0 ? t->free[--t->n_free] : t->top++;
        memset(table_entry(t, ref), 0, t->elem);
        t->hash[ref] = (uint32_t) hash;
        index_put(t, (uint32_t) hash, ref);
        t->n++;
        *ret = ref;
        return 0;
}

void table_remove(table_t *t, uint32_t ref) {
        uint32_t j = t->hash[ref] & t->mask;
        while (t->slot[j].ref != ref + 1)
                j = (j + 1) & t->mask;
        /* shift back the entries of the run after j whose home is not within (j, k] (cyclically) */
        for (uint32_t k = (j + 1) & t->mask; t->slot[k].ref != 0; k = (k + 1) & t->mask) {
                uint32_t home = t->slot[k].hash & t->mask;
                if (((k - home) & t->mask) >= ((k - j) & t->mask)) {
                        t->slot[j] = t->slot[k];
                        j = k;
                }
        }
        t->slot[j] = (table_slot_t) { 0 };
        t->free[t->n_free++] = ref;
        t->n--;
}
