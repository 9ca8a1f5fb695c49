#!/usr/bin/env node
// The download size of each npm entry point's wasm module: gzip -9 bytes
// of the web build's .wasm (what a browser fetches), with the budgets that
// tests/node/wasm_size.test.mjs enforces on the packed package.
//
//   node tests/bench/wasm_size.mjs [PACKAGE_DIR]   (default pkg/; `make bench` runs it)
//
// Prints `bench: wasm_gzip_bytes_<entry> = N` and `bench: wasm_raw_bytes_<entry> = N`
// per entry.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync, constants } from 'node:zlib';

/**
 * Each entry point's wasm module in the package (the web build's file; the
 * Node build ships the same bytes) and its gzip -9 budget, bytes (`null`:
 * none; the root module is everything and only reported).
 */
export const ENTRIES = [
  { entry: 'root', subpath: 'framecast', file: 'web/framecast_bg.wasm', budget: null },
  { entry: 'publisher', subpath: 'framecast/publisher', file: 'web-publisher/framecast_bg.wasm', budget: 700_000 },
  // The publisher's audio encoders, which its Worker loads on demand (one
  // per stream, none for video only). Their budgets are ceilings: the size
  // measured when they were split out (issue 12) + 2 %, so they cannot
  // grow unnoticed (BENCHMARKS.md "Module size per entry point"):
  // 327,755 and 231,937 bytes measured.
  { entry: 'publisher_aac', subpath: 'framecast/publisher (AAC encoder)', file: 'web-publisher-aac/framecast_bg.wasm', budget: 334_310 },
  { entry: 'publisher_opus', subpath: 'framecast/publisher (Opus encoder)', file: 'web-publisher-opus/framecast_bg.wasm', budget: 236_576 },
  { entry: 'mux', subpath: 'framecast/mux', file: 'web-mux/framecast_bg.wasm', budget: 150_000 },
  { entry: 'transcode', subpath: 'framecast/transcode', file: 'web-transcode/framecast_bg.wasm', budget: 1_500_000 },
];

/** `ENTRIES` with the raw and gzip -9 sizes of each file in `pkgDir`, bytes. */
export function wasmSizes(pkgDir) {
  return ENTRIES.map((e) => {
    const bytes = readFileSync(join(pkgDir, e.file));
    const gzip = gzipSync(bytes, { level: constants.Z_BEST_COMPRESSION }).length;
    return { ...e, raw: bytes.length, gzip };
  });
}

/** The `bench:` lines for `sizes` (from `wasmSizes`). */
export function benchLines(sizes) {
  return sizes.flatMap((s) => [`bench: wasm_gzip_bytes_${s.entry} = ${s.gzip}`, `bench: wasm_raw_bytes_${s.entry} = ${s.raw}`]);
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = process.argv[2] ?? fileURLToPath(new URL('../../pkg', import.meta.url));
  for (const line of benchLines(wasmSizes(dir))) console.log(line);
}
