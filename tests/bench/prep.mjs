#!/usr/bin/env node
// Frame preparation benchmark: RGBA 1920x1080 -> I420 1280x720 (Generic 720p,
// Lanczos3) with one 200x100 watermark at 70% opacity, the workload of
// examples/prep_bench.rs, through the npm package's `FramePipeline` in Node
// (wasm, SIMD128). Timed: `processInPlace` (copying the RGBA frame into wasm
// memory, conversion, scaling, watermark). 3 warm-up runs, median of 30.
//
//   node tests/bench/prep.mjs [--pkg pkg/node/framecast.js] [--runs 30] [--profile]
//
// Prints one JSON line: { median_ms, p95_ms, runs }. With --profile the
// line also has `profile`: the same loop over three pipelines, interleaved
// (full; without the watermark; I420 1080p input without the watermark,
// i.e. scaling only) and over calls with a frame 4 bytes short of each
// input size (copied into wasm memory, then refused: the boundary cost),
// their medians, and the parts derived from each loop's fastest call
// (differences of medians drown in the noise of a shared machine; see
// BENCHMARKS.md, "Frame preparation").
//
// As a module it also gives the pictures, the preset and the ffmpeg command
// of the same work to tests/bench/run.mjs (ffmpeg native, ffmpeg.wasm and
// framecast in Chromium).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { encodePng } from '../node/support/png.mjs';
import { median, percentile, run, tail } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Input picture and watermark sizes. */
export const W = 1920, H = 1080, LOGO_W = 200, LOGO_H = 100;
/** Generic 720p (ShrinkToFit, NoPad): 1920x1080 -> 1280x720. */
export const PRESET_ID = '1351620000001-000010';
/** The one watermark slot: bottom right, 16 px in, 70% opacity, kept at 200x100. */
export const WATERMARK = {
  id: 'logo', maxWidth: '200px', maxHeight: '100px', horizontalAlign: 'Right', horizontalOffset: '16px',
  verticalAlign: 'Bottom', verticalOffset: '16px', opacity: 70,
};

// The same pictures as examples/prep_bench.rs.
/** The watermark, straight-alpha RGBA: gradients, alpha 160 with every 7th pixel transparent. */
export function logoRgba() {
  const logo = new Uint8Array(LOGO_W * LOGO_H * 4);
  for (let i = 0; i < LOGO_W * LOGO_H; i++) logo.set([i % 200, Math.floor(i / 200), 200, i % 7 === 0 ? 0 : 160], i * 4);
  return logo;
}

/** The input frame, RGBA (opaque gradients). */
export function frameRgba() {
  const rgba = new Uint8Array(W * H * 4);
  for (let i = 0; i < W * H; i++) rgba.set([(i % W) & 255, Math.floor(i / W) & 255, (i * 7) % 251, 255], i * 4);
  return rgba;
}

/** Generic 720p with the watermark slot (or none), from `systemPresets()`. */
export function prepPreset(systemPresets, { watermark = true } = {}) {
  const generic720 = systemPresets.find((p) => p.id === PRESET_ID);
  return { ...generic720, watermarks: watermark ? [WATERMARK] : [] };
}

/**
 * Writes the input frame (`frame.rgba`, raw 1920x1080 RGBA) and the
 * watermark (`logo.png`) to `dir` for ffmpeg and the browser; returns
 * their paths.
 */
export function writePrepInputs(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = { frame: path.join(dir, 'frame.rgba'), logo: path.join(dir, 'logo.png') };
  fs.writeFileSync(files.frame, frameRgba());
  fs.writeFileSync(files.logo, encodePng(LOGO_W, LOGO_H, logoRgba()));
  return files;
}

/**
 * ffmpeg's filter graph for the same work. The one input frame is repeated
 * `frames` times inside the graph (`loop`, which passes references, no
 * copy), then one `scale` converts RGBA to yuv420p (BT.601 limited range)
 * and resizes with Lanczos (3 taps), and `overlay` blends the logo (its
 * alpha times 0.7, prepared once: a single picture, repeated by
 * `eof_action=repeat`) at 1280-200-16, 720-100-16 in yuv420. The baseline
 * graph keeps only the `loop` (same input, same frame count).
 */
export function ffmpegPrepGraph(frames, { baseline = false } = {}) {
  const loop = `[0:v]loop=loop=${frames - 1}:size=1:start=0`;
  if (baseline) return `${loop}[out]`;
  return `${loop},scale=w=1280:h=720:flags=lanczos:out_color_matrix=bt601:out_range=tv,format=yuv420p[v];` +
    '[1:v]format=rgba,colorchannelmixer=aa=0.7[wm];' +
    '[v][wm]overlay=x=main_w-overlay_w-16:y=main_h-overlay_h-16:format=yuv420:eof_action=repeat[out]';
}

/**
 * ffmpeg arguments running {@link ffmpegPrepGraph} on `frame` (raw RGBA)
 * and `logo` (PNG) to the null muxer, with `-benchmark` (its `rtime` is
 * read by {@link ffmpegBenchTimes}). `threads: 1` adds `-threads 1
 * -filter_complex_threads 1`; otherwise ffmpeg's defaults (one slice thread
 * per CPU).
 */
export function ffmpegPrepArgs({ frame, logo, frames, threads = null, baseline = false }) {
  return [
    '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark',
    '-f', 'rawvideo', '-pix_fmt', 'rgba', '-s', `${W}x${H}`, '-r', '30', '-i', frame,
    ...(baseline ? [] : ['-i', logo]),
    '-filter_complex', ffmpegPrepGraph(frames, { baseline }), '-map', '[out]',
    ...(threads ? ['-threads', String(threads), '-filter_complex_threads', String(threads)] : []),
    '-f', 'null', '-',
  ];
}

/**
 * ffmpeg's `-benchmark` line from its log: `rtime` (wall clock of the
 * transcoding loop: from after opening the inputs to the end, so process
 * start-up and probing are out), `utime` + `stime` (CPU time of the whole
 * process), in ms, and the last `frame=` count.
 */
export function ffmpegBenchTimes(log) {
  const m = /bench: utime=([\d.]+)s stime=([\d.]+)s rtime=([\d.]+)s/.exec(log);
  if (!m) return null;
  const frames = [...log.matchAll(/frame=\s*(\d+)/g)].at(-1)?.[1];
  return { rtime_ms: Number(m[3]) * 1e3, cpu_ms: (Number(m[1]) + Number(m[2])) * 1e3, frames: frames ? Number(frames) : null };
}

/**
 * Native ffmpeg on the files of {@link writePrepInputs}: `runs` times the
 * graph and the baseline graph (one process each, alternating). Per frame:
 * (median rtime of the graph - median rtime of the baseline) / frames;
 * likewise for the CPU time. `prefix` is put before the command (e.g.
 * `taskset -c 1`).
 */
export async function ffmpegNativePrep({ frame, logo, frames = 300, runs = 5, threads = null, prefix = [] }) {
  const times = { graph: [], baseline: [] };
  for (let r = 0; r < runs; r++) {
    for (const side of ['graph', 'baseline']) {
      const cmd = [...prefix, 'ffmpeg', ...ffmpegPrepArgs({ frame, logo, frames, threads, baseline: side === 'baseline' })];
      const res = await run(cmd[0], cmd.slice(1));
      const t = ffmpegBenchTimes(res.stderr);
      if (res.code !== 0 || !t) throw new Error(`ffmpeg exited ${res.code}:\n${tail(res.stderr)}`);
      if (t.frames !== frames) throw new Error(`ffmpeg output ${t.frames} frames, expected ${frames}`);
      times[side].push(t);
    }
  }
  const med = (side, key) => median(times[side].map((t) => t[key]));
  return {
    ms_per_frame: (med('graph', 'rtime_ms') - med('baseline', 'rtime_ms')) / frames,
    cpu_ms_per_frame: (med('graph', 'cpu_ms') - med('baseline', 'cpu_ms')) / frames,
    frames, runs, threads: threads ?? 'default',
    rtime_ms: times.graph.map((t) => t.rtime_ms), baseline_rtime_ms: times.baseline.map((t) => t.rtime_ms),
  };
}

/** Times of `runs` calls of each of `fns` (interleaved), after 3 untimed calls of each. */
function timeLoop(fns, runs) {
  for (const fn of fns) for (let i = 0; i < 3; i++) fn();
  const times = fns.map(() => []);
  for (let i = 0; i < runs; i++) {
    fns.forEach((fn, k) => {
      const t0 = performance.now();
      fn();
      times[k].push(performance.now() - t0);
    });
  }
  return times;
}

function main() {
  const args = { pkg: path.join(ROOT, 'pkg/node/framecast.js'), runs: 30, profile: false };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i].replace(/^--/, '');
    if (k === 'profile') {
      args.profile = true;
      continue;
    }
    const v = argv[++i];
    if (!(k in args) || v === undefined) throw new Error('usage: prep.mjs [--pkg FILE] [--runs N] [--profile]');
    args[k] = k === 'pkg' ? path.resolve(v) : Number(v);
  }
  const fc = createRequire(import.meta.url)(args.pkg);

  const logoPng = encodePng(LOGO_W, LOGO_H, logoRgba());
  const rgba = frameRgba();
  const pipeline = (format, watermark) => {
    const p = new fc.FramePipeline({ width: W, height: H, format, preset: prepPreset(fc.systemPresets(), { watermark }),
      watermarks: watermark ? { logo: logoPng } : {} });
    if (p.outputWidth !== 1280 || p.outputHeight !== 720) throw new Error(`output ${p.outputWidth}x${p.outputHeight}`);
    return p;
  };
  const prep = pipeline('rgba', true);
  const fmt3 = (x) => Number(x.toFixed(3));

  if (!args.profile) {
    const [times] = timeLoop([() => prep.processInPlace(rgba)], args.runs);
    console.log(JSON.stringify({ median_ms: fmt3(median(times)), p95_ms: fmt3(percentile(times, 95)), runs: args.runs }));
    return;
  }

  // Profile: the parts by difference, all loops interleaved so that a
  // change of machine load hits each of them alike.
  const noWm = pipeline('rgba', false);
  const scaleOnly = pipeline('i420', false);
  const i420 = new Uint8Array(W * H * 3 / 2);
  for (let i = 0; i < i420.length; i++) i420[i] = i < W * H ? rgba[i * 4 + 1] : 128 + ((i * 7) % 64) - 32;
  // processInPlace copies its argument into wasm memory before the size
  // check; a frame 4 bytes short times that copy (and the thrown error).
  const refused = (p, data) => () => {
    try {
      p.processInPlace(data.subarray(0, data.length - 4));
    } catch {
      return;
    }
    throw new Error('a short frame was accepted');
  };
  const [full, nw, so, copyRgba, copyI420] = timeLoop([
    () => prep.processInPlace(rgba),
    () => noWm.processInPlace(rgba),
    () => scaleOnly.processInPlace(i420),
    refused(noWm, rgba),
    refused(scaleOnly, i420),
  ], args.runs);
  const loops = { full, no_watermark: nw, i420_in_no_watermark: so, copy_rgba_refused: copyRgba, copy_i420_refused: copyI420 };
  const profile = Object.fromEntries(Object.entries(loops).map(([k, t]) => [`${k}_ms`, median(t)]));
  // Parts, from the fastest call of each loop: the input copy (8 MB),
  // RGBA -> I420 at 1080p, the Lanczos3 scale of the three planes, the
  // watermark blend.
  const b = Object.fromEntries(Object.entries(loops).map(([k, t]) => [k, Math.min(...t)]));
  profile.parts = {
    copy_in_ms: b.copy_rgba_refused,
    convert_ms: b.no_watermark - b.i420_in_no_watermark - (b.copy_rgba_refused - b.copy_i420_refused),
    scale_ms: b.i420_in_no_watermark - b.copy_i420_refused,
    watermark_ms: b.full - b.no_watermark,
    full_fastest_ms: b.full,
  };
  for (const o of [profile, profile.parts]) for (const k of Object.keys(o)) if (typeof o[k] === 'number') o[k] = fmt3(o[k]);
  console.log(JSON.stringify({ median_ms: profile.full_ms, p95_ms: fmt3(percentile(full, 95)), runs: args.runs, profile }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
