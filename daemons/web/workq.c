/* The work-queue thread (see workq.h). */
#include "workq.h"

static void *workq_main(void *arg) {
        workq_t *q = arg;

        for (;;) {
                workq_item_t *it;

                pthread_mutex_lock(&q->lock);
                while (!q->head && !q->quit)
                        pthread_cond_wait(&q->queue_cond, &q->lock);
                if (!q->head) {
                        pthread_mutex_unlock(&q->lock);
                        return NULL;
                }
                it = q->head;
                q->head = it->next;
                if (!q->head)
                        q->tail = NULL;
                pthread_mutex_unlock(&q->lock);

                q->work(q, it);
                h2o_multithread_send_message(&q->receiver, &it->super);
        }
}

static void on_messages(h2o_multithread_receiver_t *r, h2o_linklist_t *messages) {
        workq_t *q = H2O_STRUCT_FROM_MEMBER(workq_t, receiver, r);

        while (!h2o_linklist_is_empty(messages)) {
                workq_item_t *it = H2O_STRUCT_FROM_MEMBER(workq_item_t, super.link, messages->next);
                h2o_linklist_unlink(&it->super.link);
                q->done(q, it);
        }
}

int workq_start(workq_t *q, h2o_loop_t *loop, workq_fn work, workq_fn done) {
        int r;

        q->work = work;
        q->done = done;
        q->mqueue = h2o_multithread_create_queue(loop);
        h2o_multithread_register_receiver(q->mqueue, &q->receiver, on_messages);
        r = pthread_create(&q->thread, NULL, workq_main, q);
        if (r != 0) {
                h2o_multithread_unregister_receiver(q->mqueue, &q->receiver);
                h2o_multithread_destroy_queue(q->mqueue);
                return -r;
        }
        q->started = true;
        return 0;
}

void workq_stop(workq_t *q) {
        if (!q->started)
                return;
        pthread_mutex_lock(&q->lock);
        q->quit = true;
        pthread_cond_broadcast(&q->queue_cond);
        pthread_mutex_unlock(&q->lock);
        pthread_join(q->thread, NULL);
        q->started = false;
        h2o_multithread_unregister_receiver(q->mqueue, &q->receiver);
        h2o_multithread_destroy_queue(q->mqueue);
}

void workq_submit(workq_t *q, workq_item_t *it) {
        it->next = NULL;
        it->super.link.next = it->super.link.prev = NULL;
        pthread_mutex_lock(&q->lock);
        if (q->tail)
                q->tail->next = it;
        else
                q->head = it;
        q->tail = it;
        pthread_cond_signal(&q->queue_cond);
        pthread_mutex_unlock(&q->lock);
}
