/* framecast: minimal sysctl surface for building OpenH264 for wasm32.
 * sysctlbyname always fails, so OpenH264 counts one logical processor. */
#ifndef FRAMECAST_SHIM_SYS_SYSCTL_H
#define FRAMECAST_SHIM_SYS_SYSCTL_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

int sysctlbyname(const char *name, void *old, size_t *oldlen, const void *new_value, size_t newlen);

#ifdef __cplusplus
}
#endif

#endif
