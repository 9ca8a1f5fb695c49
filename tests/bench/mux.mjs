#!/usr/bin/env node
// Muxing benchmark, wasm: the workload of examples/mux_bench.rs (byte for
// byte) through the npm package's `Muxer` in Node, the way a WebCodecs app
// would call it. See BENCHMARKS.md, "Muxing".
//
//   node tests/bench/mux.mjs [--pkg pkg/node/framecast.js] [--runs 5] [--warmup 10] [--seconds 60]
//
// Prints one JSON line. Timed per run: `new Muxer(...)`, every `push()`
// (which copies the sample into wasm memory) and `finish()`, including the
// event objects they return (each fragment's bytes copied out into a
// Uint8Array). The sample objects are built before the clock starts.
// Run with `node --expose-gc` to collect garbage between runs (run.mjs
// does). `--warmup` untimed runs come first: V8 needs about five runs (~25k
// pushes) before the glue code is optimized and a run takes its steady
// time; a muxing web app is in that state after a few minutes of video.
//
// To see where the time goes, further runs are sampled with V8's CPU
// profiler (node:inspector, 50 µs) and their self time is split into: the
// wasm code (Rust: segmenter, CMAF writer, the muxer's own checks), the
// JS<->wasm boundary (wasm-bindgen glue: property reads, copying samples
// into wasm memory and fragments out of it, building event objects, and
// the V8 builtins they call), the garbage collector, and this script's
// loop.

import inspector from 'node:inspector';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const args = { pkg: path.join(ROOT, 'pkg/node/framecast.js'), runs: 5, warmup: 10, seconds: 60 };
for (let i = 2; i < process.argv.length; i += 2) {
  const [k, v] = [process.argv[i].replace(/^--/, ''), process.argv[i + 1]];
  if (!(k in args) || v === undefined) throw new Error('usage: mux.mjs [--pkg FILE] [--runs N] [--warmup N] [--seconds S]');
  args[k] = k === 'pkg' ? path.resolve(v) : Number(v);
}
const fc = createRequire(import.meta.url)(args.pkg);

const WIDTH = 1280, HEIGHT = 720, FPS = 30, GOP = 60, AUDIO_RATE = 48000, AUDIO_FRAME = 1024;
const VIDEO = 1, AUDIO = 2;

/** xorshift32, as in examples/mux_bench.rs. */
function xorshift32(seed) {
  let x = seed >>> 0;
  return () => {
    x = (x ^ (x << 13)) >>> 0;
    x = (x ^ (x >>> 17)) >>> 0;
    x = (x ^ (x << 5)) >>> 0;
    return x;
  };
}

/** The avcC of framecast's encoder for 1280x720 at 2 Mbit/s (one grey frame). */
function avcc() {
  const enc = new fc.Encoder({ width: WIDTH, height: HEIGHT, bitrate: 2_000_000, format: 'avc' });
  const chunk = enc.encode(new Uint8Array(WIDTH * HEIGHT * 3 / 2).fill(128), 0);
  const out = chunk.avcc;
  chunk.free();
  enc.free();
  return out;
}

/** The samples in push order: [trackId, MuxerSample]; times in µs as WebCodecs gives them. */
function workload(seconds) {
  const frames = seconds * FPS;
  const audioFrames = Math.ceil(seconds * AUDIO_RATE / AUDIO_FRAME);
  const vrng = xorshift32(0x2545F491);
  const arng = xorshift32(0x6C078965);
  const out = [];
  let j = 0;
  const audio = () => {
    const size = 300 + (arng() % 83);
    const data = new Uint8Array(size).fill(j % 251);
    const timestamp = Math.round(j * AUDIO_FRAME * 1e6 / AUDIO_RATE);
    const next = Math.round((j + 1) * AUDIO_FRAME * 1e6 / AUDIO_RATE);
    out.push([AUDIO, { data, timestamp, duration: next - timestamp, keyframe: true }]);
    j++;
  };
  for (let i = 0; i < frames; i++) {
    while (j < audioFrames && j * AUDIO_FRAME * FPS <= i * AUDIO_RATE) audio();
    const key = i % GOP === 0;
    const size = key ? 26000 + (vrng() % 6001) : 6000 + (vrng() % 4001);
    const data = new Uint8Array(size).fill(i % 251);
    new DataView(data.buffer).setUint32(0, size - 4);
    data[4] = key ? 0x65 : 0x41;
    const timestamp = Math.round(i * 1e6 / FPS);
    const next = Math.round((i + 1) * 1e6 / FPS);
    out.push([VIDEO, { data, timestamp, duration: next - timestamp, keyframe: key }]);
  }
  while (j < audioFrames) audio();
  return out;
}

function config(description) {
  return {
    tracks: [
      { id: VIDEO, kind: 'video', codec: 'avc', description, width: WIDTH, height: HEIGHT },
      { id: AUDIO, kind: 'audio', codec: 'aac', description: new Uint8Array([0x11, 0x90]), sampleRate: AUDIO_RATE, channels: 2 },
    ],
  };
}

/** FNV-1a (32-bit) over the init segments then the fragments, as the native run hashes them. */
function fnv1a(events) {
  let h = 0x811c9dc5;
  for (const type of ['init', 'fragment']) {
    for (const e of events) {
      if (e.type !== type) continue;
      for (const b of e.bytes) h = Math.imul(h ^ b, 0x01000193) >>> 0;
    }
  }
  return h.toString(16).padStart(8, '0');
}

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const round = (x, d) => Number(x.toFixed(d));

const description = avcc();
const samples = workload(args.seconds);
const inputBytes = samples.reduce((n, [, s]) => n + s.data.length, 0);

/** One run: a fresh Muxer, every sample, finish; returns the events. */
function muxOnce() {
  const muxer = new fc.Muxer(config(description));
  const out = [];
  for (const [track, sample] of samples) {
    const ev = muxer.push(track, sample);
    for (let k = 0; k < ev.length; k++) out.push(ev[k]);
  }
  for (const e of muxer.finish()) out.push(e);
  muxer.free();
  return out;
}

for (let r = 0; r < args.warmup; r++) muxOnce();
const runMs = [];
let events = null;
for (let r = 0; r < args.runs; r++) {
  events = null;
  globalThis.gc?.(); // with --expose-gc: no run pays for the garbage of the one before
  const t0 = performance.now();
  events = muxOnce();
  runMs.push(performance.now() - t0);
}

/** Self time of `runs` profiled runs, by where it was spent (see the header). */
async function profileShares(runs) {
  const session = new inspector.Session();
  session.connect();
  const post = (method, params = {}) => new Promise((resolve, reject) => {
    session.post(method, params, (err, res) => (err ? reject(err) : resolve(res)));
  });
  await post('Profiler.enable');
  await post('Profiler.setSamplingInterval', { interval: 50 });
  await post('Profiler.start');
  for (let r = 0; r < runs; r++) muxOnce();
  const { profile } = await post('Profiler.stop');
  session.disconnect();
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const parent = new Map();
  for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const category = (id) => {
    for (let n = byId.get(id); n; n = byId.get(parent.get(n.id))) {
      const { functionName: f, url } = n.callFrame;
      if (f === '(garbage collector)') return 'gc';
      if (f === '(program)' || f === '(idle)' || f === '(root)') return 'other';
      if (/^(js-to-wasm|wasm-to-js)/.test(f) || url.endsWith('framecast.js')) return 'boundary';
      if (url.endsWith('mux.mjs')) return 'bench_loop';
      if (f.startsWith('wasm-function') || url.startsWith('wasm://') || (url && !/\.m?js$/.test(url))) return 'wasm';
      // A V8 builtin (TypedArray set, property access, ...): its caller's category.
    }
    return 'other';
  };
  const time = { wasm: 0, boundary: 0, gc: 0, bench_loop: 0, other: 0 };
  profile.samples.forEach((id, i) => { time[category(id)] += profile.timeDeltas[i] ?? 0; });
  const total = Object.values(time).reduce((a, b) => a + b, 0) || 1;
  return Object.fromEntries(Object.entries(time).map(([k, v]) => [k, round(v / total, 3)]));
}
const shares = await profileShares(Math.max(args.runs, 5));

const med = median(runMs);
const fragments = events.filter((e) => e.type === 'fragment');
const outputBytes = events.reduce((n, e) => n + (e.type === 'part' ? 0 : e.bytes.length), 0);
console.log(JSON.stringify({
  bench: 'mux', where: 'wasm-node', node: process.version, gc_between_runs: typeof globalThis.gc === 'function', seconds: args.seconds,
  video_samples: samples.filter(([t]) => t === VIDEO).length, audio_samples: samples.filter(([t]) => t === AUDIO).length,
  input_bytes: inputBytes, output_bytes: outputBytes,
  inits: events.filter((e) => e.type === 'init').length, fragments: fragments.length, output_fnv1a: fnv1a(events),
  runs: args.runs, run_ms: runMs.map((x) => round(x, 3)), median_ms: round(med, 3),
  mb_per_s: round(inputBytes / 1e6 / (med / 1000), 1), warmup_runs: args.warmup,
  profile_shares: shares,
}));
