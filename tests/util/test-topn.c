/* lib/util/topn: the k best of a stream, against a full sort of the same stream. */
#include <errno.h>
#include <stdlib.h>

#include "../check.h"

#include "util/topn.h"

typedef struct item {
        int score;
        unsigned id;
} item_t;

/* higher score first, then lower id */
static int item_cmp(const void *x, const void *y) {
        const item_t *a = x, *b = y;
        if (a->score != b->score)
                return a->score > b->score ? -1 : 1;
        return (a->id > b->id) - (a->id < b->id);
}

int main(void) {
        enum { N = 5000, K = 100 };
        static item_t all[N];
        uint64_t seed = 12345;
        topn_t t;
        topn_init(&t, sizeof(item_t), K, item_cmp);
        for (unsigned i = 0; i < N; i++) {
                seed = seed * 6364136223846793005ULL + 1442695040888963407ULL;
                all[i] = (item_t) { (int) (seed >> 58), i }; /* 64 scores: many ties, broken by id */
                uint32_t before = t.n;
                bool wants = topn_wants(&t, &all[i]);
                const item_t *root = t.n ? topn_at(&t, 0) : NULL;
                item_t old_root = root ? *root : (item_t) { 0 };
                CHECK(topn_offer(&t, &all[i]) == 0);
                /* wanted: it was added, or it replaced the least good; not wanted: nothing changed */
                CHECK(wants == (t.n > before || (root && (old_root.score != ((const item_t *) topn_at(&t, 0))->score ||
                                                          old_root.id != ((const item_t *) topn_at(&t, 0))->id))));
        }
        topn_sort(&t);
        qsort(all, N, sizeof all[0], item_cmp);
        CHECK_U(t.n, ==, K);
        for (unsigned i = 0; i < K && i < t.n; i++) {
                const item_t *it = topn_at(&t, i);
                CHECK_MSG(it->score == all[i].score && it->id == all[i].id, "rank %u: %d/%u, want %d/%u", i, it->score,
                          it->id, all[i].score, all[i].id);
        }
        CHECK(topn_offer(&t, &all[0]) == -EINVAL);
        CHECK(!topn_wants(&t, &all[0]));
        topn_done(&t);

        /* fewer items than room: all kept, in order; a cap of 0 keeps nothing */
        topn_init(&t, sizeof(item_t), 10, item_cmp);
        item_t few[3] = { { 1, 0 }, { 3, 1 }, { 2, 2 } };
        for (int i = 0; i < 3; i++)
                topn_offer(&t, &few[i]);
        topn_sort(&t);
        CHECK_U(t.n, ==, 3);
        CHECK(((const item_t *) topn_at(&t, 0))->score == 3 && ((const item_t *) topn_at(&t, 2))->score == 1);
        topn_done(&t);
        topn_init(&t, sizeof(item_t), 0, item_cmp);
        CHECK(topn_offer(&t, &few[0]) == 0 && t.n == 0);
        topn_done(&t);
        return tu_exit();
}
