/* framecast: single-threaded semaphore surface for building OpenH264 for wasm32.
 * Counting semaphores without blocking: a wait on a zero count fails with
 * EAGAIN instead of blocking forever. Implementations live in ../shim.c. */
#ifndef FRAMECAST_SHIM_SEMAPHORE_H
#define FRAMECAST_SHIM_SEMAPHORE_H

#include <time.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct { unsigned int count; } sem_t;

#define SEM_FAILED ((sem_t *)0)

int sem_init(sem_t *s, int pshared, unsigned int value);
int sem_destroy(sem_t *s);
int sem_post(sem_t *s);
int sem_wait(sem_t *s);
int sem_trywait(sem_t *s);
int sem_timedwait(sem_t *s, const struct timespec *t);
sem_t *sem_open(const char *name, int oflag, ...);
int sem_close(sem_t *s);
int sem_unlink(const char *name);

#ifdef __cplusplus
}
#endif

#endif
