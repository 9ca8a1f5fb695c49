// Encodes a raw I420 clip with a framecast Node package (wasm) and prints one
// JSON line. Run as a child process by run.mjs and variants.mjs so that each
// measurement gets a fresh Node process (no state left by other encoders).
//
//   node tests/bench/node_encode.mjs --pkg pkg/node/framecast.js --in IN.yuv
//       --width W --height H --bitrate BPS [--runs N] [--out OUT.h264]
//
// Each run creates a fresh Encoder and times encode() of every frame plus
// flush(), including copying each chunk's bytes out of wasm memory (what an
// application does). The stream of the last run is written to --out.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { parseArgs, i420Size, FPS } from './lib.mjs';

const args = parseArgs(process.argv.slice(2), {
  pkg: String, in: String, width: Number, height: Number, bitrate: Number, runs: Number, out: String,
});
const require = createRequire(import.meta.url);
const fc = require(path.resolve(args.pkg));
const { width, height, bitrate } = args;
const runs = args.runs ?? 1;
const raw = fs.readFileSync(args.in);
const frameBytes = i420Size(width, height);
const frames = Math.floor(raw.length / frameBytes);
const input = new Uint8Array(raw.buffer, raw.byteOffset, frames * frameBytes);

const runMs = [];
let stream = null;
let keyframes = 0;
for (let r = 0; r < runs; r++) {
  const enc = new fc.Encoder({ width, height, bitrate, frameRate: FPS, profile: 'main' });
  const parts = [];
  let keys = 0;
  const take = (chunk) => {
    if (!chunk) return;
    parts.push(chunk.data);
    if (chunk.type === 'key') keys++;
    chunk.free();
  };
  const t0 = performance.now();
  for (let i = 0; i < frames; i++) {
    const frame = input.subarray(i * frameBytes, (i + 1) * frameBytes);
    take(enc.encode(frame, Math.round((i * 1e6) / FPS)));
  }
  for (const chunk of enc.flush()) take(chunk);
  runMs.push((performance.now() - t0) / frames);
  enc.free();
  stream = Buffer.concat(parts);
  keyframes = keys;
}
if (args.out) fs.writeFileSync(args.out, stream);
console.log(JSON.stringify({
  build: fc.buildInfo(),
  width, height, frames, runs,
  run_ms_per_frame: runMs,
  bytes: stream.length,
  keyframes,
}));
