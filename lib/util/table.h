/* One open-addressing table for every table an uploader fills (flows, pending DNS queries, hosts,
 * conversations, IP fragments): entries of a fixed size in one array, each named by its reference (its
 * position, valid while it lives; the array moves when it grows), found through an index of (hash,
 * reference) slots: linear probing over a power-of-two number of slots kept at most half full (it doubles),
 * deletion by shifting back (no tombstones), so a lookup looks at 1.5 slots on average and a miss at 2.5.
 *
 * The hash is the caller's: SipHash under the analysis's random key (util/siphash.h), so that no capture
 * can be built to make the probes long. The table counts the slots it looks at (probes, max_probe): tests
 * prove with them that a capture built to collide does not lengthen the searches.
 *
 * The table does not interpret entries: the caller keeps a flag of its own in each to tell a live one when
 * it walks references 0..top-1, and compares keys itself:
 *
 *         table_probe_t p;
 *         for (uint32_t r = table_find(t, &p, h); r != TABLE_NONE; r = table_find_next(t, &p))
 *                 if (key_equal(table_entry(t, r), k))
 *                         return table_entry(t, r);
 */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TABLE_NONE UINT32_MAX

typedef struct table_slot {
        uint32_t hash;           /* the low 32 bits of the entry's hash */
        uint32_t ref;            /* the entry's reference + 1; 0: empty */
} table_slot_t;

typedef struct table {
        uint8_t *e;              /* entries, elem bytes each */
        uint32_t *hash;          /* each entry's hash (low 32 bits), to find its slot when it goes */
        uint32_t *free;          /* references given back, reused last first */
        size_t elem;
        uint32_t n;              /* entries live */
        uint32_t max;            /* the most entries at once */
        uint32_t top;            /* references below top were handed out at some time */
        uint32_t alloc;          /* entries allocated (grows by doubling up to max) */
        uint32_t n_free;
        table_slot_t *slot;
        uint32_t mask;           /* slots - 1 */
        uint64_t probes;         /* slots looked at by every lookup and insertion */
        uint32_t max_probe;      /* the most slots one lookup or insertion looked at */
} table_t;

/* A search in progress. */
typedef struct table_probe {
        uint32_t pos, hash, len;
} table_probe_t;

/* first: entries allocated at once (more as needed), max: the most entries (0 counts as 1). */
int table_init(table_t *t, size_t elem, uint32_t first, uint32_t max);
void table_done(table_t *t);

static inline void *table_entry(const table_t *t, uint32_t ref) {
        return t->e + (size_t) ref * t->elem;
}

/* The next entry of the search whose hash matches (its low 32 bits), TABLE_NONE at the first empty slot. */
static inline uint32_t table_find_next(table_t *t, table_probe_t *p) {
        for (;;) {
                const table_slot_t *s = &t->slot[p->pos];
                p->pos = (p->pos + 1) & t->mask;
                t->probes++;
                if (++p->len > t->max_probe)
                        t->max_probe = p->len;
                if (s->ref == 0)
                        return TABLE_NONE;
                if (s->hash == p->hash)
                        return s->ref - 1;
        }
}

static inline uint32_t table_find(table_t *t, table_probe_t *p, uint64_t hash) {
        *p = (table_probe_t) { .pos = (uint32_t) hash & t->mask, .hash = (uint32_t) hash };
        return table_find_next(t, p);
}

/* Whether adding an entry now would move the entries (the array grows). */
static inline bool table_add_moves(const table_t *t) {
        return t->n_free == 0 && t->top == t->alloc;
}

/* Makes room for k more entries (up to max) so that adding them moves nothing; 0 or -ENOMEM. */
int table_reserve(table_t *t, uint32_t k);

/* A new entry (zeroed) under hash, which the caller has looked for and not found: its reference in *ret;
 * -ENOSPC when max are live, -ENOMEM. May move the entries. */
int table_add(table_t *t, uint64_t hash, uint32_t *ret);

/* The entry goes: its slot is freed, its reference reused by a later add (the bytes stay until then). */
void table_remove(table_t *t, uint32_t ref);
