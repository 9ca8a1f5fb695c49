#!/usr/bin/env node
// Frame preparation benchmark: RGBA 1920x1080 -> I420 1280x720 (Generic 720p,
// Lanczos3) with one 200x100 watermark at 70% opacity, the workload of
// examples/prep_bench.rs, through the npm package's `FramePipeline` in Node
// (wasm, SIMD128). Timed: `processInPlace` (copying the RGBA frame into wasm
// memory, conversion, scaling, watermark). 3 warm-up runs, median of 30.
//
//   node tests/bench/prep.mjs [--pkg pkg/node/framecast.js] [--runs 30]
//
// Prints one JSON line: { median_ms, p95_ms, runs }.
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { encodePng } from '../node/support/png.mjs';
import { median, percentile } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { pkg: path.join(ROOT, 'pkg/node/framecast.js'), runs: 30 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [k, v] = [process.argv[i].replace(/^--/, ''), process.argv[i + 1]];
  if (!(k in args) || v === undefined) throw new Error('usage: prep.mjs [--pkg FILE] [--runs N]');
  args[k] = k === 'pkg' ? path.resolve(v) : Number(v);
}
const fc = createRequire(import.meta.url)(args.pkg);

const W = 1920, H = 1080;
// The same pictures as examples/prep_bench.rs.
const logo = new Uint8Array(200 * 100 * 4);
for (let i = 0; i < 200 * 100; i++) logo.set([i % 200, Math.floor(i / 200), 200, i % 7 === 0 ? 0 : 160], i * 4);
const rgba = new Uint8Array(W * H * 4);
for (let i = 0; i < W * H; i++) rgba.set([(i % W) & 255, Math.floor(i / W) & 255, (i * 7) % 251, 255], i * 4);

const generic720 = fc.systemPresets().find((p) => p.id === '1351620000001-000010');
const preset = {
  ...generic720,
  watermarks: [{ id: 'logo', maxWidth: '200px', maxHeight: '100px', horizontalAlign: 'Right', horizontalOffset: '16px',
    verticalAlign: 'Bottom', verticalOffset: '16px', opacity: 70 }],
};
const prep = new fc.FramePipeline({ width: W, height: H, format: 'rgba', preset, watermarks: { logo: encodePng(200, 100, logo) } });
if (prep.outputWidth !== 1280 || prep.outputHeight !== 720) throw new Error(`output ${prep.outputWidth}x${prep.outputHeight}`);
for (let i = 0; i < 3; i++) prep.processInPlace(rgba);
const times = [];
for (let i = 0; i < args.runs; i++) {
  const t0 = performance.now();
  prep.processInPlace(rgba);
  times.push(performance.now() - t0);
}
console.log(JSON.stringify({ median_ms: Number(median(times).toFixed(3)), p95_ms: Number(percentile(times, 95).toFixed(3)), runs: args.runs }));
