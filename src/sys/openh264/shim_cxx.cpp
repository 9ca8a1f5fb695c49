// framecast: the C++ runtime pieces OpenH264 needs in the wasm32 build, which
// links no libc++/libc++abi. OpenH264 is built with -fno-exceptions, so a
// failed allocation returns null (OpenH264 checks for it) instead of throwing.
#include <stddef.h>
#include <stdlib.h>

void *operator new(size_t n) { return malloc(n ? n : 1); }
void *operator new[](size_t n) { return malloc(n ? n : 1); }
void operator delete(void *p) noexcept { free(p); }
void operator delete[](void *p) noexcept { free(p); }
void operator delete(void *p, size_t) noexcept { free(p); }
void operator delete[](void *p, size_t) noexcept { free(p); }

// Called if a pure virtual function is ever invoked: a bug, so trap.
extern "C" void __cxa_pure_virtual() { __builtin_trap(); }
