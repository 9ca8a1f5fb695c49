/* framecast: single-threaded pthread surface for building OpenH264 for wasm32.
 * The wasm build has no threads. Mutexes and condition variables are no-ops,
 * and pthread_create fails with EAGAIN so that OpenH264 stays on one thread.
 * Implementations live in ../shim.c. */
#ifndef FRAMECAST_SHIM_PTHREAD_H
#define FRAMECAST_SHIM_PTHREAD_H

#include <time.h>
#include <sched.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The types themselves come from wasi-libc, as in musl's own pthread.h. */
#define __NEED_pthread_t
#define __NEED_pthread_attr_t
#define __NEED_pthread_mutex_t
#define __NEED_pthread_mutexattr_t
#define __NEED_pthread_cond_t
#define __NEED_pthread_condattr_t
#include <bits/alltypes.h>

#define PTHREAD_SCOPE_SYSTEM 0
#define PTHREAD_SCOPE_PROCESS 1
#ifndef SCHED_FIFO
#define SCHED_FIFO 1
#endif

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a);
int pthread_mutex_lock(pthread_mutex_t *m);
int pthread_mutex_trylock(pthread_mutex_t *m);
int pthread_mutex_unlock(pthread_mutex_t *m);
int pthread_mutex_destroy(pthread_mutex_t *m);

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a);
int pthread_cond_destroy(pthread_cond_t *c);
int pthread_cond_signal(pthread_cond_t *c);
int pthread_cond_broadcast(pthread_cond_t *c);
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m);
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t);

int pthread_attr_init(pthread_attr_t *a);
int pthread_attr_destroy(pthread_attr_t *a);
int pthread_attr_setscope(pthread_attr_t *a, int scope);
int pthread_attr_setschedpolicy(pthread_attr_t *a, int policy);

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*routine)(void *), void *arg);
int pthread_join(pthread_t t, void **ret);
pthread_t pthread_self(void);

#ifdef __cplusplus
}
#endif

#endif
