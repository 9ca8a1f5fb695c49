/* framecast: single-threaded implementations of the pthread, semaphore and
 * sysctl calls that OpenH264 makes, for the wasm32 build only.
 *
 * The wasm module runs on one thread. Locks therefore never contend, and a
 * wait that would block can never be woken: it fails instead of hanging.
 * pthread_create fails, so OpenH264 keeps all work on the calling thread.
 * Clock, stdio and memory come from Rust (src/sys/wasm.rs). */
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stddef.h>
#include <sys/sysctl.h>

int pthread_mutex_init(pthread_mutex_t *m, const pthread_mutexattr_t *a) { (void)m; (void)a; return 0; }
int pthread_mutex_lock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_trylock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_unlock(pthread_mutex_t *m) { (void)m; return 0; }
int pthread_mutex_destroy(pthread_mutex_t *m) { (void)m; return 0; }

int pthread_cond_init(pthread_cond_t *c, const pthread_condattr_t *a) { (void)c; (void)a; return 0; }
int pthread_cond_destroy(pthread_cond_t *c) { (void)c; return 0; }
int pthread_cond_signal(pthread_cond_t *c) { (void)c; return 0; }
int pthread_cond_broadcast(pthread_cond_t *c) { (void)c; return 0; }
/* Nobody else can signal: waiting would never end. */
int pthread_cond_wait(pthread_cond_t *c, pthread_mutex_t *m) { (void)c; (void)m; return EDEADLK; }
int pthread_cond_timedwait(pthread_cond_t *c, pthread_mutex_t *m, const struct timespec *t) { (void)c; (void)m; (void)t; return ETIMEDOUT; }

int pthread_attr_init(pthread_attr_t *a) { (void)a; return 0; }
int pthread_attr_destroy(pthread_attr_t *a) { (void)a; return 0; }
int pthread_attr_setscope(pthread_attr_t *a, int scope) { (void)a; (void)scope; return 0; }
int pthread_attr_setschedpolicy(pthread_attr_t *a, int policy) { (void)a; (void)policy; return 0; }

int pthread_create(pthread_t *t, const pthread_attr_t *a, void *(*routine)(void *), void *arg) {
  (void)a; (void)routine; (void)arg;
  *t = 0;
  return EAGAIN;
}
int pthread_join(pthread_t t, void **ret) { (void)t; if (ret) *ret = NULL; return ESRCH; }
pthread_t pthread_self(void) { return 1; }

int sem_init(sem_t *s, int pshared, unsigned int value) { (void)pshared; s->count = value; return 0; }
int sem_destroy(sem_t *s) { (void)s; return 0; }
int sem_post(sem_t *s) { s->count++; return 0; }
int sem_trywait(sem_t *s) {
  if (s->count == 0) { errno = EAGAIN; return -1; }
  s->count--;
  return 0;
}
int sem_wait(sem_t *s) { return sem_trywait(s); }
int sem_timedwait(sem_t *s, const struct timespec *t) {
  (void)t;
  if (s->count == 0) { errno = ETIMEDOUT; return -1; }
  s->count--;
  return 0;
}
sem_t *sem_open(const char *name, int oflag, ...) { (void)name; (void)oflag; errno = ENOSYS; return SEM_FAILED; }
int sem_close(sem_t *s) { (void)s; return 0; }
int sem_unlink(const char *name) { (void)name; return 0; }

int sysctlbyname(const char *name, void *old, size_t *oldlen, const void *new_value, size_t newlen) {
  (void)name; (void)old; (void)oldlen; (void)new_value; (void)newlen;
  errno = ENOSYS;
  return -1;
}

/* Only used to name events for multi-threaded slicing, which never runs here.
 * (This file is compiled as C++ along with OpenH264, hence the linkage.) */
#ifdef __cplusplus
extern "C"
#endif
int getpid(void) { return 1; }
