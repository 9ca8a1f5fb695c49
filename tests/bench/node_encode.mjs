// Encodes a raw I420 clip with a framecast Node package (wasm) and prints one
// JSON line. Run as a child process by run.mjs and variants.mjs so that each
// measurement gets a fresh Node process (no state left by other encoders).
//
//   node tests/bench/node_encode.mjs --pkg pkg/node/framecast.js --in IN.yuv
//       --width W --height H --bitrate BPS [--runs N] [--out OUT.h264]
//
// The timed loop is encode_loop.mjs (shared with the Chromium run). The
// stream of the last run is written to --out.

import fs from 'node:fs';
import path from 'node:path';
import { createRequire } from 'node:module';
import { parseArgs, i420Size, FPS } from './lib.mjs';
import { encodeRuns } from './encode_loop.mjs';

const args = parseArgs(process.argv.slice(2), {
  pkg: String, in: String, width: Number, height: Number, bitrate: Number, runs: Number, out: String,
});
const require = createRequire(import.meta.url);
const fc = require(path.resolve(args.pkg));
const { width, height, bitrate } = args;
const runs = args.runs ?? 1;
const raw = fs.readFileSync(args.in);
const frameBytes = i420Size(width, height);
const usable = Math.floor(raw.length / frameBytes) * frameBytes;
const input = new Uint8Array(raw.buffer, raw.byteOffset, usable);
const { frames, runMs, parts, keyframes } = encodeRuns(fc, input, { width, height, bitrate, runs, fps: FPS });
const stream = Buffer.concat(parts);
if (args.out) fs.writeFileSync(args.out, stream);
console.log(JSON.stringify({
  build: fc.buildInfo(),
  width, height, frames, runs,
  run_ms_per_frame: runMs,
  bytes: stream.length,
  keyframes,
}));
