/* framecast: FDK AAC's architecture characterisation for wasm32, included
 * before every FDK source of the wasm build (build.rs, `-include`).
 *
 * FDK_archdef.h picks multiply widths and table precisions per CPU. wasm32
 * matches none of its cases, so it would fall through to a branch that sets
 * nothing (32-bit tables, no preferred multiply) and that no mainstream
 * build uses. x86, ARMv7 and AArch64 all take the values below; that branch
 * leaves macros that are already defined alone. The x86-only inline helpers
 * (float-based sqrt/inverse approximations, inline asm multiplies) are not
 * taken: wasm32 uses FDK's portable C versions of those. */
#ifndef FRAMECAST_FDK_ARCHDEF_H
#define FRAMECAST_FDK_ARCHDEF_H

#define ARCH_PREFER_MULT_32x16
#define SINETABLE_16BIT
#define POW2COEFF_16BIT
#define LDCOEFF_16BIT
#define WINDOWTABLE_16BIT

#endif
