/* The spawner thread (see spawner.h). */
#include "spawner.h"

#include <errno.h>
#include <pthread.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t queue_cond = PTHREAD_COND_INITIALIZER;
static spawn_request_t *head, *tail;
static bool quit, started;
static pthread_t thread;
static h2o_multithread_queue_t *mqueue;
static h2o_multithread_receiver_t receiver;

static void *spawner_main(void *arg) {
        for (;;) {
                spawn_request_t *req;

                pthread_mutex_lock(&lock);
                while (!head && !quit)
                        pthread_cond_wait(&queue_cond, &lock);
                if (!head) {
                        pthread_mutex_unlock(&lock);
                        return NULL;
                }
                req = head;
                head = req->next;
                if (!head)
                        tail = NULL;
                pthread_mutex_unlock(&lock);

                /* fork, then block here until the exec happened or failed (a failed child is reaped) */
                req->error = analyzer_spawn(req->exec_path, &req->limits, &req->sock_fd, &req->pid);
                h2o_multithread_send_message(&receiver, &req->super);
        }
}

static void on_messages(h2o_multithread_receiver_t *r, h2o_linklist_t *messages) {
        while (!h2o_linklist_is_empty(messages)) {
                spawn_request_t *req = H2O_STRUCT_FROM_MEMBER(spawn_request_t, super.link, messages->next);
                h2o_linklist_unlink(&req->super.link);
                req->done(req);
        }
}

int spawner_start(h2o_loop_t *loop) {
        int r;

        mqueue = h2o_multithread_create_queue(loop);
        h2o_multithread_register_receiver(mqueue, &receiver, on_messages);
        r = pthread_create(&thread, NULL, spawner_main, NULL);
        if (r != 0)
                return -r;
        started = true;
        return 0;
}

void spawner_stop(void) {
        if (!started)
                return;
        pthread_mutex_lock(&lock);
        quit = true;
        pthread_cond_broadcast(&queue_cond);
        pthread_mutex_unlock(&lock);
        pthread_join(thread, NULL);
        started = false;
        h2o_multithread_unregister_receiver(mqueue, &receiver);
        h2o_multithread_destroy_queue(mqueue);
}

void spawner_submit(spawn_request_t *req) {
        req->next = NULL;
        req->error = 0;
        req->sock_fd = -1;
        req->pid = 0;
        req->super.link.next = req->super.link.prev = NULL;
        pthread_mutex_lock(&lock);
        if (tail)
                tail->next = req;
        else
                head = req;
        tail = req;
        pthread_cond_signal(&queue_cond);
        pthread_mutex_unlock(&lock);
}
