/* lib/util/table: adds, finds and removals against a plain array, growth, the bound on entries, references
 * that stay put after table_reserve, and the probe counters: keys under SipHash keep the searches short,
 * keys that all share one hash make them as long as the table (what the counters are there to catch). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "../check.h"
#include "util/siphash.h"
#include "util/table.h"

typedef struct ent {
        uint64_t key;
        bool used;
} ent_t;

static const siphash_key_t key = { UINT64_C(0x0123456789abcdef), UINT64_C(0xfedcba9876543210) };

static uint64_t hash_of(uint64_t k, bool collide) {
        return collide ? 42 : siphash13(&key, &k, sizeof k);
}

static ent_t *find(table_t *t, uint64_t k, bool collide) {
        table_probe_t p;
        for (uint32_t r = table_find(t, &p, hash_of(k, collide)); r != TABLE_NONE; r = table_find_next(t, &p)) {
                ent_t *e = table_entry(t, r);
                if (e->key == k)
                        return e;
        }
        return NULL;
}

static int add(table_t *t, uint64_t k, bool collide) {
        uint32_t ref;
        int r = table_add(t, hash_of(k, collide), &ref);
        if (r < 0)
                return r;
        ent_t *e = table_entry(t, ref);
        CHECK(!e->used && e->key == 0); /* zeroed, even a reused one */
        *e = (ent_t) { .key = k, .used = true };
        return 0;
}

static void del(table_t *t, ent_t *e) {
        uint32_t ref = (uint32_t) (((uint8_t *) e - t->e) / t->elem);
        e->used = false;
        table_remove(t, ref);
}

/* Random adds and removals, checked against a bitmap of what is in. */
static void test_against_bitmap(void) {
        enum { KEYS = 5000, OPS = 200000 };
        table_t t;
        bool *in = calloc(KEYS, 1);
        uint32_t n = 0;
        CHECK_EQ(table_init(&t, sizeof(ent_t), 4, KEYS), 0);
        srand(12);
        for (unsigned i = 0; i < OPS; i++) {
                uint64_t k = 1 + (uint64_t) rand() % KEYS;
                ent_t *e = find(&t, k, false);
                CHECK(!!e == in[k - 1]);
                if (e) {
                        del(&t, e);
                        in[k - 1] = false;
                        n--;
                } else {
                        CHECK_EQ(add(&t, k, false), 0);
                        in[k - 1] = true;
                        n++;
                }
                CHECK_EQU(t.n, n);
        }
        uint32_t live = 0;
        for (uint32_t r = 0; r < t.top; r++)
                live += ((ent_t *) table_entry(&t, r))->used;
        CHECK_EQU(live, n);
        CHECK_U(t.top, <=, KEYS);
        CHECK_U((uint64_t) t.n * 2, <=, (uint64_t) t.mask + 1); /* at most half full */
        table_done(&t);
        free(in);
}

/* Removal by shifting back, with every key of one hash: what stays is still found. */
static void test_remove_in_runs(void) {
        table_t t;
        CHECK_EQ(table_init(&t, sizeof(ent_t), 16, 64), 0);
        for (uint64_t k = 1; k <= 40; k++)
                CHECK_EQ(add(&t, k, true), 0);
        for (uint64_t k = 1; k <= 40; k += 3)
                del(&t, find(&t, k, true));
        for (uint64_t k = 1; k <= 40; k++)
                CHECK(!!find(&t, k, true) == ((k - 1) % 3 != 0));
        table_done(&t);
}

static void test_bound_and_reserve(void) {
        table_t t;
        CHECK_EQ(table_init(&t, sizeof(ent_t), 1, 100), 0);
        for (uint64_t k = 1; k <= 100; k++)
                CHECK_EQ(add(&t, k, false), 0);
        CHECK_EQ(add(&t, 101, false), -ENOSPC);
        CHECK_EQU(t.alloc, 100);
        del(&t, find(&t, 7, false));
        CHECK_EQ(add(&t, 101, false), 0);
        table_done(&t);

        /* two adds after table_reserve(2): the first one's entry does not move */
        CHECK_EQ(table_init(&t, sizeof(ent_t), 1, 1000), 0);
        for (uint64_t k = 1; k <= 300; k++) {
                CHECK_EQ(table_reserve(&t, 2), 0);
                CHECK(!table_add_moves(&t));
                CHECK_EQ(add(&t, 2 * k, false), 0);
                ent_t *first = find(&t, 2 * k, false);
                CHECK_EQ(add(&t, 2 * k + 1, false), 0);
                CHECK(find(&t, 2 * k, false) == first);
        }
        table_done(&t);
}

/* The counters: 100,000 keys under SipHash take a few slots a search; 2,000 keys of one hash take as many
 * slots as there are keys, which is what a test of the engine's tables looks for. */
static void test_probe_counters(void) {
        table_t t;
        enum { N = 100000, C = 2000 };
        CHECK_EQ(table_init(&t, sizeof(ent_t), 16, N), 0);
        for (uint64_t k = 1; k <= N; k++)
                CHECK_EQ(add(&t, k << 32, false), 0);
        for (uint64_t k = 1; k <= N; k++)
                CHECK(find(&t, k << 32, false));
        fprintf(stderr, "    %u keys: max probe %u, %.2f slots a search\n", N, t.max_probe, (double) t.probes / (2.0 * N));
        CHECK_U(t.max_probe, <=, 128);
        CHECK_U(t.probes, <=, 4ULL * 2 * N);
        table_done(&t);

        CHECK_EQ(table_init(&t, sizeof(ent_t), 16, C), 0);
        for (uint64_t k = 1; k <= C; k++)
                CHECK_EQ(add(&t, k, true), 0);
        CHECK_U(t.max_probe, >=, C);
        CHECK_U(t.probes, >=, (uint64_t) C * C / 2);
        table_done(&t);
}

int main(void) {
        RUN(test_against_bitmap);
        RUN(test_remove_in_runs);
        RUN(test_bound_and_reserve);
        RUN(test_probe_counters);
        return tu_exit();
}
