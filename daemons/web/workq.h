/* A thread that works through a queue for the event loop: the loop submits an item, the thread runs work()
 * on it, and done() runs on the loop once it is through (the answer comes back by h2o_multithread). The
 * upload writer and the analyzer spawner are two of them. */
#pragma once

#include <h2o.h>
#include <h2o/multithread.h>
#include <pthread.h>
#include <stdbool.h>

typedef struct workq_item {
        h2o_multithread_message_t super;   /* how the item comes back to the loop */
        struct workq_item *next;           /* the thread's queue */
} workq_item_t;

typedef struct workq workq_t;
typedef void (*workq_fn)(workq_t *q, workq_item_t *item);

struct workq {
        pthread_mutex_t lock;              /* the queue's; an owner may guard state it shares with the thread */
        pthread_cond_t queue_cond;
        workq_item_t *head, *tail;
        bool quit, started;
        pthread_t thread;
        h2o_multithread_queue_t *mqueue;
        h2o_multithread_receiver_t receiver;
        workq_fn work;                     /* on the thread */
        workq_fn done;                     /* on the loop */
};

#define WORKQ_INIT { .lock = PTHREAD_MUTEX_INITIALIZER, .queue_cond = PTHREAD_COND_INITIALIZER }

/* Starts the thread (it inherits the caller's signal mask). 0 or -errno. */
int workq_start(workq_t *q, h2o_loop_t *loop, workq_fn work, workq_fn done);
/* Lets the thread finish the items queued, then joins it. */
void workq_stop(workq_t *q);
void workq_submit(workq_t *q, workq_item_t *item);
