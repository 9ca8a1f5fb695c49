#!/usr/bin/env node
// framecast encoder and muxing benchmarks (`make bench`). See BENCHMARKS.md.
//
//   node tests/bench/run.mjs [--runs N] [--quick] [--only ID,ID...] [--sizes 720p,480p]
//
// --runs N   runs per encoder (default: 5; 3 for ffmpeg.wasm), timed runs of the
//            muxer, and live publishing runs (default 3)
// --quick    30 frames and 1 run per encoder, 1 publishing run of 10 s, a 2 min soak
//            (unless SOAK_MIN says otherwise)
//            (development only: numbers are cold)
// --only     comma-separated encoder ids or id prefixes (native_c, native_asm,
//            wasm_node, wasm_chromium, ffmpeg_wasm, ffmpeg_native, ...),
//            `mux` for the muxing benchmark (examples/mux_bench.rs and
//            tests/bench/mux.mjs), which runs after the encoders, or
//            `prep` for frame preparation (examples/prep_bench.rs and tests/bench/prep.mjs:
//            RGBA 1080p -> I420 720p with a watermark; beside them the same work with
//            framecast in Chromium, native ffmpeg and ffmpeg.wasm), or
//            `audio` for audio transcoding (examples/audio_bench.rs and tests/bench/audio.mjs:
//            60 s of MP3 -> AAC in MP4 and of WAV -> Ogg Opus; beside them native ffmpeg
//            and ffmpeg.wasm), or
//            `publish` for the live publishing benchmark (tests/bench/publish.mjs:
//            the demo page publishing 720p to framecast-server), or
//            `soak` for publisher endurance (tests/bench/soak.mjs: a SOAK_MIN-minute,
//            default 30, 720p publish with audio, memory measured with no DevTools
//            client), which runs last
// --sizes    comma-separated size labels (720p, 480p)
//
// Prints a markdown table and `bench: key = value` lines to stdout (progress
// goes to stderr), and writes everything to target/bench/results.json
// (target/bench/results-partial.json for --quick/--only/--sizes runs). Exits 1
// when any encoder failed (after printing and writing what it has).

import fs from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import {
  ROOT, BENCH_DIR, OUT_DIR, FPS, FULL_FRAMES, QUICK_FRAMES, SIZES, median, round, kbps, have, pinPrefix, run, tail,
  prepareInput, psnrOf, gzipBytes, machineInfo, markdownTable, parseArgs, requireBuilt,
} from './lib.mjs';
import {
  startServer, launchChromium, openPage, framecastWeb, ffmpegWasm, framecastPrepWeb, ffmpegWasmCommands,
} from './browser.mjs';
import * as prepWork from './prep.mjs';
import * as audioWork from './audio.mjs';
import { publishBench, publishLines, printPublishTable, PUBLISH_NEEDS } from './publish.mjs';
import { soakBench, soakLines, printSoakTable, soakMinutes, SOAK_NEEDS } from './soak.mjs';

const args = parseArgs(process.argv.slice(2), { runs: Number, quick: Boolean, only: String, sizes: String });
if (args.runs !== undefined && !(Number.isInteger(args.runs) && args.runs >= 1)) {
  throw new Error('--runs needs a positive integer');
}
const quick = !!args.quick;
const frames = quick ? QUICK_FRAMES : FULL_FRAMES;
const runsFast = args.runs ?? (quick ? 1 : 5);
const runsFfmpegWasm = args.runs ?? (quick ? 1 : 3);
const runsPublish = args.runs ?? (quick ? 1 : 3);
const secondsPublish = quick ? 10 : 20;
const PRESETS = ['ultrafast', 'veryfast'];

const NATIVE_ASM = path.join(ROOT, 'target/release/examples/h264_encode');
const NATIVE_C = path.join(ROOT, 'target/native-c/release/examples/h264_encode');
const PKG_NODE = path.join(ROOT, 'pkg/node/framecast.js');
const PKG_WEB_WASM = path.join(ROOT, 'pkg/web/framecast_bg.wasm');
const MUX_NATIVE = path.join(ROOT, 'target/release/examples/mux_bench');
const PREP_NATIVE = path.join(ROOT, 'target/release/examples/prep_bench');
const AUDIO_NATIVE = path.join(ROOT, 'target/release/examples/audio_bench');
// Frames per ffmpeg run in the frame preparation benchmark.
const PREP_FFMPEG_FRAMES = quick ? 30 : 300;
// Quick or partial runs keep their streams apart from the full run's.
const PARTIAL = !!(quick || args.only || args.sizes);
const OUT = path.join(OUT_DIR, PARTIAL ? 'out-partial' : 'out');

/** Every encoder the benchmark knows, in table order. */
const ENCODERS = [
  { id: 'native_c', name: 'framecast native, C only (no asm)', where: 'native' },
  { id: 'native_asm', name: 'framecast native, x86 asm', where: 'native' },
  { id: 'wasm_node', name: 'framecast wasm, Node', where: 'node' },
  { id: 'wasm_chromium', name: 'framecast wasm, Chromium', where: 'chromium' },
  ...PRESETS.map((p) => ({ id: `ffmpeg_wasm_${p}`, name: `ffmpeg.wasm libx264 ${p}, Chromium`, where: 'chromium' })),
  ...PRESETS.map((p) => ({ id: `ffmpeg_native_${p}`, name: `ffmpeg libx264 ${p}, native (process wall)`, where: 'native' })),
];
const wanted = (id) => !args.only || args.only.split(',').some((w) => id === w || id.startsWith(w));
const encodersWanted = ENCODERS.some((e) => wanted(e.id));
const muxWanted = wanted('mux');
const publishWanted = wanted('publish');
const soakWanted = wanted('soak');
const prepWanted = wanted('prep');
const audioWanted = wanted('audio');
const sizes = SIZES.filter((s) => !args.sizes || args.sizes.split(',').includes(s.label));
const log = (msg) => console.error(`bench: ${msg}`);

const pin = pinPrefix();
const results = [];

/** Records one encoder/size result: times, then bitrate and PSNR from the output file. */
async function record(enc, size, input, { runMs, medianMs, runs, outFile, extra = {} }) {
  const bytes = fs.statSync(outFile).size;
  const { psnr, decodedFrames } = await psnrOf(outFile, input, size.width, size.height);
  const med = medianMs ?? median(runMs);
  const r = {
    id: enc.id, encoder: enc.name, size: size.label, width: size.width, height: size.height,
    frames, runs, run_ms_per_frame: runMs?.map((x) => round(x, 3)) ?? null,
    median_ms_per_frame: round(med, 3), fps: round(1000 / med, 1),
    bytes, kbps: round(kbps(bytes, frames), 0), psnr: round(psnr, 2), decoded_frames: decodedFrames,
    output: path.relative(ROOT, outFile), ...extra,
  };
  if (decodedFrames !== frames) r.warning = `decoded ${decodedFrames} of ${frames} frames`;
  results.push(r);
  log(`${enc.id} ${size.label}: ${r.median_ms_per_frame} ms/frame, ${r.fps} fps, ${r.kbps} kbit/s, ${r.psnr} dB`);
  return r;
}

function failed(enc, size, err) {
  const message = String(err?.message ?? err);
  results.push({ id: enc.id, encoder: enc.name, size: size.label, width: size.width, height: size.height, error: message });
  log(`${enc.id} ${size.label} FAILED: ${message}`);
}

/** framecast native CLI: one process, `--repeat runs`; the CLI reports the median ms/frame. */
async function nativeCli(enc, bin, size, input) {
  const outFile = path.join(OUT, `${enc.id}_${size.label}.h264`);
  const cmd = [...pin, bin, input, String(size.width), String(size.height), '--bitrate', String(size.bitrate),
    '--fps', String(FPS), '--profile', 'main', '--out', outFile, '--repeat', String(runsFast)];
  const r = await run(cmd[0], cmd.slice(1));
  if (r.code !== 0) throw new Error(`${path.relative(ROOT, bin)} exited ${r.code}:\n${tail(r.stderr)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return record(enc, size, input, {
    medianMs: j.ms_per_frame, runs: runsFast, outFile,
    extra: { build: j.encoder, pinned: pin.join(' ') || null, cli_psnr: j.psnr },
  });
}

/** framecast wasm in a fresh Node child process (node_encode.mjs). */
async function wasmNode(enc, size, input) {
  const outFile = path.join(OUT, `${enc.id}_${size.label}.h264`);
  const r = await run(process.execPath, [path.join(ROOT, 'tests/bench/node_encode.mjs'), '--pkg', PKG_NODE,
    '--in', input, '--width', String(size.width), '--height', String(size.height),
    '--bitrate', String(size.bitrate), '--runs', String(runsFast), '--out', outFile]);
  if (r.code !== 0) throw new Error(`node_encode.mjs exited ${r.code}:\n${tail(r.stderr)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1));
  return record(enc, size, input, {
    runMs: j.run_ms_per_frame, runs: runsFast, outFile,
    extra: { build: `framecast wasm (${j.build.openh264})`, node: process.version },
  });
}

/** Native ffmpeg + libx264, one process per run, timed by process wall clock. */
async function ffmpegNative(enc, preset, size, input) {
  const outFile = path.join(OUT, `${enc.id}_${size.label}.h264`);
  const cmd = [...pin, 'ffmpeg', '-hide_banner', '-nostdin', '-nostats', '-loglevel', 'error',
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${size.width}x${size.height}`, '-r', String(FPS), '-i', input,
    '-c:v', 'libx264', '-preset', preset, '-b:v', String(size.bitrate), '-threads', '1',
    '-f', 'h264', '-y', outFile];
  const runMs = [];
  for (let i = 0; i < runsFast; i++) {
    const r = await run(cmd[0], cmd.slice(1));
    if (r.code !== 0) throw new Error(`ffmpeg exited ${r.code}:\n${tail(r.stderr)}`);
    runMs.push(r.ms / frames);
  }
  return record(enc, size, input, {
    runMs, runs: runsFast, outFile, extra: { pinned: pin.join(' ') || null, timing: 'process wall clock' },
  });
}

function sameBytes(a, b) {
  try {
    return fs.readFileSync(a).equals(fs.readFileSync(b));
  } catch {
    return null;
  }
}

async function main() {
  fs.mkdirSync(OUT, { recursive: true });
  const machine = machineInfo();
  log(`${quick ? 'QUICK mode (30 frames, cold numbers), ' : ''}${frames} frames, runs ${runsFast} (ffmpeg.wasm ${runsFfmpegWasm}); ` +
    `${machine.nproc} CPUs, load ${machine.loadavg.join(' ')}; pin native: ${pin.join(' ') || 'no'}`);
  const needed = [];
  if (encodersWanted) {
    needed.push([NATIVE_C, 'make target/native-c/release/examples/h264_encode'],
      [NATIVE_ASM, 'make native'], [PKG_NODE, 'make pkg'], [PKG_WEB_WASM, 'make pkg']);
  }
  if (muxWanted) needed.push([MUX_NATIVE, 'make native'], [PKG_NODE, 'make pkg']);
  if (publishWanted) needed.push(...PUBLISH_NEEDS);
  if (soakWanted) needed.push(...SOAK_NEEDS);
  if (prepWanted) needed.push([PREP_NATIVE, 'make native'], [PKG_NODE, 'make pkg'], [PKG_WEB_WASM, 'make pkg']);
  if (audioWanted) needed.push([AUDIO_NATIVE, 'make native'], [PKG_NODE, 'make pkg']);
  requireBuilt(needed);
  const inputs = {};
  if (encodersWanted) {
    for (const size of sizes) inputs[size.label] = await prepareInput(size.width, size.height, frames);
  }

  const byId = Object.fromEntries(ENCODERS.map((e) => [e.id, e]));
  const guard = async (enc, size, fn) => {
    if (!wanted(enc.id)) return;
    log(`${enc.id} ${size.label} ...`);
    try {
      await fn();
    } catch (e) {
      failed(enc, size, e);
    }
  };

  // Native and Node runs first (no browser running meanwhile).
  for (const size of sizes) {
    const input = inputs[size.label];
    await guard(byId.native_c, size, () => nativeCli(byId.native_c, NATIVE_C, size, input));
    await guard(byId.native_asm, size, () => nativeCli(byId.native_asm, NATIVE_ASM, size, input));
    await guard(byId.wasm_node, size, () => wasmNode(byId.wasm_node, size, input));
  }

  // Headless Chromium: framecast web package and ffmpeg.wasm.
  let chromiumVersion = null;
  let ffmpegWasmLoadMs = {};
  const browserIds = ENCODERS.filter((e) => e.where === 'chromium').map((e) => e.id);
  if (browserIds.some(wanted)) {
    let server = null;
    let browser = null;
    try {
      server = await startServer(OUT);
      browser = await launchChromium();
      chromiumVersion = browser.version();
      log(`Chromium ${chromiumVersion}, serving ${server.origin}`);
      for (const size of sizes) {
        const input = inputs[size.label];
        const inputPath = server.addInput(input);
        await guard(byId.wasm_chromium, size, async () => {
          const p = await openPage(browser, server.origin);
          try {
            const outName = `wasm_chromium_${size.label}.h264`;
            const j = await framecastWeb(p.page, { inputPath, width: size.width, height: size.height,
              bitrate: size.bitrate, runs: runsFast, outName }).catch((e) => {
              throw new Error(`${e.message}\n${p.errors.join('\n')}`);
            });
            await record(byId.wasm_chromium, size, input, {
              runMs: j.run_ms_per_frame, runs: runsFast, outFile: path.join(OUT, outName),
              extra: { build: `framecast wasm (${j.build.openh264})`, chromium: chromiumVersion },
            });
          } finally {
            await p.close();
          }
        });
        const presets = PRESETS.filter((pr) => wanted(`ffmpeg_wasm_${pr}`));
        if (presets.length) {
          const ids = presets.map((pr) => `ffmpeg_wasm_${pr}`);
          log(`${ids.join(', ')} ${size.label} ...`);
          let p = null;
          try {
            p = await openPage(browser, server.origin);
            const outPrefix = `ffmpeg_wasm_${size.label}_`;
            const j = await ffmpegWasm(p.page, { inputPath, width: size.width, height: size.height,
              bitrate: size.bitrate, runs: runsFfmpegWasm, presets, outPrefix }).catch((e) => {
              throw new Error(`${e.message}\n${p.errors.join('\n')}`);
            });
            ffmpegWasmLoadMs[size.label] = round(j.load_ms, 0);
            for (const pr of presets) {
              const enc = byId[`ffmpeg_wasm_${pr}`];
              await record(enc, size, input, {
                runMs: j.results[pr].run_ms_per_frame, runs: runsFfmpegWasm,
                outFile: path.join(OUT, `${outPrefix}${pr}.h264`),
                extra: { chromium: chromiumVersion, timing: 'ffmpeg.exec() only (core load and writeFile excluded)' },
              });
              // Stable file name, like the other encoders.
              fs.renameSync(path.join(OUT, `${outPrefix}${pr}.h264`), path.join(OUT, `${enc.id}_${size.label}.h264`));
              results.at(-1).output = path.relative(ROOT, path.join(OUT, `${enc.id}_${size.label}.h264`));
            }
          } catch (e) {
            for (const id of ids) failed(byId[id], size, e);
          } finally {
            await p?.close();
          }
        }
      }
    } catch (e) {
      for (const size of sizes) {
        for (const id of browserIds.filter(wanted)) {
          if (!results.some((r) => r.id === id && r.size === size.label)) failed(byId[id], size, e);
        }
      }
    } finally {
      await browser?.close();
      await server?.close();
    }
  }

  // Native ffmpeg + libx264 last.
  for (const size of sizes) {
    for (const pr of PRESETS) {
      const enc = byId[`ffmpeg_native_${pr}`];
      await guard(enc, size, () => ffmpegNative(enc, pr, size, inputs[size.label]));
    }
  }

  // Muxing last (examples/mux_bench.rs natively, tests/bench/mux.mjs in Node).
  const mux = muxWanted ? await muxBench() : null;

  // Frame preparation (issue 5): examples/prep_bench.rs and tests/bench/prep.mjs.
  const prep = prepWanted ? await prepBench() : null;

  // Audio transcoding: examples/audio_bench.rs and tests/bench/audio.mjs.
  const audio = audioWanted ? await audioBench() : null;

  // Live publishing last (its own Chromium, stream server and demo server).
  let publish = null;
  if (publishWanted) {
    try {
      publish = await publishBench({ runs: runsPublish, seconds: secondsPublish, log });
    } catch (e) {
      publish = { error: String(e?.message ?? e) };
      log(`publish FAILED: ${publish.error}`);
    }
  }

  // Publisher endurance after everything (SOAK_MIN minutes; Chromium without DevTools).
  let soak = null;
  if (soakWanted) {
    try {
      soak = await soakBench({ minutes: quick && !process.env.SOAK_MIN ? 2 : soakMinutes(), memoryInfraDumps: process.env.SOAK_MEMORY_INFRA === '1', log });
    } catch (e) {
      soak = { error: String(e?.message ?? e) };
      log(`soak FAILED: ${soak.error}`);
    }
  }

  report(machine, chromiumVersion, ffmpegWasmLoadMs, inputs, mux, publish, prep, audio, soak);
  const prepFailed = prep && Object.values(prep).some((side) => side.error);
  const audioFailed = audio && audioFailures(audio).length > 0;
  return results.some((r) => r.error) || (mux && (mux.native.error || mux.wasm.error)) || publish?.error || prepFailed ||
    audioFailed || soak?.error ? 1 : 0;
}

/**
 * Runs one side of a section (frame preparation, audio) into `out[key]`:
 * its result, or `{ error }`, never thrown. Logs `<label> ...`, then
 * `<label>: <done(result)>` or `<label> FAILED: <error>`.
 */
async function runSide(out, key, label, fn, done) {
  log(`${label} ...`);
  try {
    out[key] = await fn();
    log(`${label}: ${done(out[key])}`);
  } catch (e) {
    out[key] = { error: String(e?.message ?? e) };
    log(`${label} FAILED: ${out[key].error}`);
  }
}

/** The last line of a child's stdout, parsed as JSON. */
const lastJson = (stdout) => JSON.parse(stdout.trim().split('\n').at(-1));

/** A child's failure: its first error line up front (the FAILED line shows only that), then its stderr's tail. */
const exited = (what, r) => new Error(`${what} exited ${r.code}: ${r.stderr.split('\n').find((l) => /^\w*Error: /.test(l)) ?? ''}\n${tail(r.stderr)}`);

/** Runs `cmd args`, pinned like the native encoders (`pin`). */
function runPinned(cmd, args) {
  const [first, ...rest] = [...pin, cmd, ...args];
  return run(first, rest);
}

/** A Node script of tests/bench on `pkg/node`, pinned: `node tests/bench/<script> --pkg PKG_NODE ...args`. */
const nodeBench = (script, args) => runPinned(process.execPath, [path.join(BENCH_DIR, script), '--pkg', PKG_NODE, ...args]);

/**
 * Serves `dir` (and pkg/web, ffmpeg.wasm: see browser.mjs) to a fresh
 * headless Chromium, then `fn({ server, chromium, inPage })`, where
 * `inPage(pageFn)` runs `pageFn(page)` in a new page and adds the page's
 * errors to a failure's message. Closes both whatever happens.
 */
async function withChromium(dir, fn) {
  let server = null;
  let browser = null;
  try {
    server = await startServer(dir);
    browser = await launchChromium();
    const inPage = async (pageFn) => {
      const p = await openPage(browser, server.origin);
      try {
        return await pageFn(p.page).catch((e) => {
          throw new Error(`${e.message}\n${p.errors.join('\n')}`);
        });
      } finally {
        await p.close();
      }
    };
    return await fn({ server, chromium: browser.version(), inPage });
  } finally {
    await browser?.close();
    await server?.close();
  }
}

/**
 * Frame preparation: RGBA 1080p -> I420 720p with one watermark (see
 * BENCHMARKS.md, "Frame preparation"). Sides, each recorded as a result or
 * an `error`, never thrown:
 * - `native`: examples/prep_bench.rs (prints a `bench:` line; `--profile`
 *   adds a JSON line with the per-stage times), pinned like the encoders;
 * - `wasm`: tests/bench/prep.mjs in Node, pinned; `wasm_profile`: the same
 *   with `--profile` (the stages by difference of pipelines);
 * - `ffmpeg_native_1thread` (pinned, `-threads 1 -filter_complex_threads 1`)
 *   and `ffmpeg_native` (ffmpeg's default threads, not pinned): the same
 *   work as an ffmpeg filter graph, ms/frame from its `-benchmark` rtime
 *   minus a baseline graph's;
 * - in headless Chromium: `wasm_chromium` (pkg/web's FramePipeline) and
 *   `ffmpeg_wasm` (the same graph in ffmpeg.wasm's single-thread core).
 */
async function prepBench() {
  const out = {};
  const side = (name, fn) => runSide(out, name, `prep_${name}`, fn, (r) => `${round(r.ms, 3)} ms/frame`);
  const nodePinned = (args) => nodeBench('prep.mjs', args);

  await side('native', async () => {
    const native = await runPinned(PREP_NATIVE, ['--profile']);
    const ms = Number(/prep_1080p_to_720p_wm_ms_native = ([\d.]+)/.exec(native.stdout)?.[1]);
    if (native.code !== 0 || !Number.isFinite(ms)) throw exited('prep_bench', native);
    let profile = null;
    try {
      profile = lastJson(native.stdout).profile;
    } catch {
      log('prep_native: no --profile line (a prep_bench built before it had one?)');
    }
    return { ms, profile };
  });
  await side('wasm', async () => {
    const wasm = await nodePinned([]);
    if (wasm.code !== 0) throw exited('prep.mjs', wasm);
    const w = lastJson(wasm.stdout);
    return { ms: w.median_ms, p95_ms: w.p95_ms, runs: w.runs };
  });
  await side('wasm_profile', async () => {
    const wasm = await nodePinned(['--profile']);
    if (wasm.code !== 0) throw exited('prep.mjs --profile', wasm);
    const w = lastJson(wasm.stdout);
    return { ms: w.median_ms, profile: w.profile };
  });

  const inputs = prepWork.writePrepInputs(path.join(OUT_DIR, 'prep'));
  const ffmpegNative = (threads, prefix) => async () => {
    const r = await prepWork.ffmpegNativePrep({ ...inputs, frames: PREP_FFMPEG_FRAMES, runs: runsFast, threads, prefix });
    return { ms: r.ms_per_frame, ...r, pinned: prefix.join(' ') || null };
  };
  await side('ffmpeg_native_1thread', ffmpegNative(1, pin));
  await side('ffmpeg_native', ffmpegNative(null, []));

  try {
    await withChromium(path.join(OUT_DIR, 'prep'), async ({ server, chromium, inPage }) => {
      const framePath = server.addInput(inputs.frame);
      const logoPath = server.addInput(inputs.logo);
      await side('wasm_chromium', () => inPage(async (page) => {
        const j = await framecastPrepWeb(page, { framePath, logoPath, width: prepWork.W, height: prepWork.H,
          presetId: prepWork.PRESET_ID, watermark: prepWork.WATERMARK, runs: 30 });
        if (j.output !== '1280x720') throw new Error(`output ${j.output}`);
        return { ms: median(j.times), runs: j.times.length, chromium };
      }));
      await side('ffmpeg_wasm', () => inPage(async (page) => {
        const frames = PREP_FFMPEG_FRAMES;
        const files = { frame: 'frame.rgba', logo: 'logo.png' };
        const j = await ffmpegWasmCommands(page, {
          inputs: { [files.frame]: framePath, [files.logo]: logoPath },
          commands: {
            graph: prepWork.ffmpegPrepArgs({ ...files, frames, threads: 1 }),
            baseline: prepWork.ffmpegPrepArgs({ ...files, frames, threads: 1, baseline: true }),
          },
          runs: runsFfmpegWasm,
        });
        const rtime = (name) => j.results[name].map(({ log: text }) => {
          const t = prepWork.ffmpegBenchTimes(text);
          if (!t || t.frames !== frames) throw new Error(`ffmpeg.wasm ${name}: no -benchmark line or not ${frames} frames:\n${text}`);
          return t.rtime_ms;
        });
        const [graph, baseline] = [rtime('graph'), rtime('baseline')];
        const execMs = (name) => median(j.results[name].map((x) => x.exec_ms));
        return {
          ms: (median(graph) - median(baseline)) / frames, frames, runs: runsFfmpegWasm,
          rtime_ms: graph, baseline_rtime_ms: baseline,
          exec_ms_per_frame: (execMs('graph') - execMs('baseline')) / frames, load_ms: j.load_ms, chromium,
        };
      }));
    });
  } catch (e) {
    for (const name of ['wasm_chromium', 'ffmpeg_wasm']) out[name] ??= { error: String(e?.message ?? e) };
    log(`prep in Chromium FAILED: ${e.message}`);
  }
  return out;
}

/** Sides of the audio benchmark, in table order: [key, name]. */
const AUDIO_SIDES = [
  ['wasm', 'framecast wasm, Node (`AudioTranscoder`)'],
  ['native', 'framecast native (`transcode_audio_bytes`)'],
  ['ffmpeg_native', 'ffmpeg native, `-threads 1` (process wall)'],
  ['ffmpeg_wasm', 'ffmpeg.wasm (single-thread core), Chromium'],
];

/** Audio jobs that ffmpeg.wasm cannot do, and why (not run, recorded as `skipped`). */
const AUDIO_FFMPEG_WASM_SKIP = {
  opus: 'libopus at 48 kHz crashes in @ffmpeg/core 0.12.10 ("RuntimeError: memory access out of bounds", ' +
    'ffmpegwasm/ffmpeg.wasm#591 and #867; the fix, PR #824, is not released)',
};

/**
 * Audio transcoding (see BENCHMARKS.md, "Audio transcoding"): each job of
 * audio.mjs's JOBS (60 s of MP3 -> AAC-LC 48 kHz in MP4; 60 s of WAV ->
 * Ogg Opus), on every side of AUDIO_SIDES; `out[job][side]` is a result
 * ({ ms, x_realtime, ... }) or an `error`, never thrown:
 * - `wasm`: tests/bench/audio.mjs in Node (pkg/node), pinned;
 * - `native`: examples/audio_bench.rs, pinned;
 * - `ffmpeg_native`: the same job as an ffmpeg command, one process per
 *   run, pinned;
 * - `ffmpeg_wasm`: that command in ffmpeg.wasm in headless Chromium (core
 *   load and writing the input into its in-memory FS not timed).
 * The last output of each side but ffmpeg.wasm (whose stays in its
 * in-memory FS) is read back by ffprobe: `check`, or `check_error`.
 */
async function audioBench() {
  const out = {};
  const dir = path.join(OUT_DIR, 'audio');
  let inputs;
  try {
    inputs = await audioWork.writeAudioInputs(dir);
  } catch (e) {
    for (const job of Object.keys(audioWork.JOBS)) {
      out[job] = Object.fromEntries(AUDIO_SIDES.map(([key]) => [key, { error: String(e?.message ?? e) }]));
    }
    log(`audio inputs FAILED: ${e.message}`);
    return out;
  }
  const seconds = audioWork.SECONDS;
  const timed = (r) => ({ ...r, x_realtime: (seconds * 1e3) / r.ms });
  const side = (job, key, fn) => runSide(out[job], key, `audio_${job}_${key}`, async () => timed(await fn()),
    (r) => `${round(r.ms, 1)} ms, ${round(r.x_realtime, 1)}x realtime`);
  // Reads a side's output back; a wrong output is recorded beside the times.
  const checked = async (r, file, job) => {
    try {
      return { ...r, output: path.relative(ROOT, file), check: await audioWork.checkAudio(file, job) };
    } catch (e) {
      log(`audio output check FAILED: ${e.message}`);
      return { ...r, output: path.relative(ROOT, file), check_error: e.message };
    }
  };

  for (const [id, job] of Object.entries(audioWork.JOBS)) {
    out[id] = {};
    const input = inputs[job.input];
    const output = (key) => path.join(OUT, `audio_${id}_${key}${path.extname(job.output)}`);
    const common = ['--preset', id, '--runs', String(runsFast), '--out'];
    await side(id, 'wasm', async () => {
      const r = await nodeBench('audio.mjs', ['--input', input, ...common, output('wasm')]);
      if (r.code !== 0) throw exited('audio.mjs', r);
      const j = lastJson(r.stdout);
      return checked({ ms: j.median_ms, run_ms: j.run_ms, output_bytes: j.output_bytes, summary: j.summary,
        pinned: pin.join(' ') || null }, output('wasm'), job);
    });
    await side(id, 'native', async () => {
      const r = await runPinned(AUDIO_NATIVE, [input, ...common, output('native')]);
      if (r.code !== 0) throw exited('audio_bench', r);
      const j = lastJson(r.stdout);
      return checked({ ms: j.median_ms, run_ms: j.run_ms, output_bytes: j.output_bytes, pinned: pin.join(' ') || null },
        output('native'), job);
    });
    await side(id, 'ffmpeg_native', async () => {
      const runs = [];
      for (let i = 0; i < runsFast; i++) {
        const r = await runPinned('ffmpeg', audioWork.ffmpegAudioArgs(job, input, output('ffmpeg_native')));
        if (r.code !== 0) throw exited('ffmpeg', r);
        runs.push({ ms: r.ms, rtime_ms: prepWork.ffmpegBenchTimes(r.stderr)?.rtime_ms ?? null });
      }
      return checked({ ms: median(runs.map((r) => r.ms)), run_ms: runs.map((r) => r.ms), rtime_ms: runs.map((r) => r.rtime_ms),
        pinned: pin.join(' ') || null, timing: 'process wall clock' }, output('ffmpeg_native'), job);
    });
  }

  try {
    await withChromium(dir, async ({ server, chromium, inPage }) => {
      for (const [id, job] of Object.entries(audioWork.JOBS)) {
        if (AUDIO_FFMPEG_WASM_SKIP[id]) {
          out[id].ffmpeg_wasm = { skipped: AUDIO_FFMPEG_WASM_SKIP[id] };
          log(`audio_${id}_ffmpeg_wasm skipped: ${AUDIO_FFMPEG_WASM_SKIP[id]}`);
          continue;
        }
        await side(id, 'ffmpeg_wasm', () => inPage(async (page) => {
          const j = await ffmpegWasmCommands(page, {
            inputs: { [job.input]: server.addInput(inputs[job.input]) },
            commands: { [id]: audioWork.ffmpegAudioArgs(job, job.input, job.output) },
            runs: runsFfmpegWasm,
          });
          const runs = j.results[id];
          return { ms: median(runs.map((r) => r.exec_ms)), run_ms: runs.map((r) => r.exec_ms),
            rtime_ms: runs.map((r) => prepWork.ffmpegBenchTimes(r.log)?.rtime_ms ?? null), load_ms: j.load_ms, chromium,
            timing: 'ffmpeg.exec() only (core load and writeFile excluded)' };
        }));
      }
    });
  } catch (e) {
    for (const id of Object.keys(audioWork.JOBS)) out[id].ffmpeg_wasm ??= { error: String(e?.message ?? e) };
    log(`audio in Chromium FAILED: ${e.message}`);
  }
  return out;
}

/** `[name, message]` of every audio side that failed or made a wrong output. */
function audioFailures(audio) {
  return Object.entries(audio).flatMap(([job, sides]) => Object.entries(sides)
    .filter(([, r]) => r.error || r.check_error)
    .map(([key, r]) => [`audio_${job}_${key}`, r.error ?? `output check: ${r.check_error}`]));
}

/**
 * The muxing benchmark: the same workload (60 s of 720p H.264 + AAC samples)
 * through the native segmenter and through the wasm `Muxer` in Node. Each
 * side prints one JSON line; failures are recorded, not thrown.
 */
async function muxBench() {
  const out = {};
  const sides = [
    ['native', [...pin, MUX_NATIVE, '--runs', String(runsFast)]],
    ['wasm', [process.execPath, '--expose-gc', path.join(ROOT, 'tests/bench/mux.mjs'), '--pkg', PKG_NODE,
      '--runs', String(runsFast)]],
  ];
  for (const [side, cmd] of sides) {
    log(`mux_${side} ...`);
    try {
      const r = await run(cmd[0], cmd.slice(1));
      if (r.code !== 0) throw new Error(`${path.relative(ROOT, cmd.find((c) => c.includes('mux')))} exited ${r.code}:\n${tail(r.stderr)}`);
      out[side] = JSON.parse(r.stdout.trim().split('\n').at(-1));
      log(`mux_${side}: ${out[side].median_ms} ms per run, ${out[side].mb_per_s} MB/s`);
    } catch (e) {
      out[side] = { error: String(e?.message ?? e) };
      log(`mux_${side} FAILED: ${out[side].error}`);
    }
  }
  return out;
}

function report(machine, chromiumVersion, ffmpegWasmLoadMs, inputs, mux, publish, prep, audio, soak) {
  const get = (id, size) => results.find((r) => r.id === id && r.size === size && !r.error);
  const fmt = (x, d) => (x === undefined || x === null || Number.isNaN(x) ? 'n/a' : Number(x).toFixed(d));

  // Table: encoders in ENCODERS order, sizes in SIZES order.
  const rows = [];
  for (const enc of ENCODERS) {
    for (const size of sizes) {
      const r = results.find((x) => x.id === enc.id && x.size === size.label);
      if (!r) continue;
      const sz = `${size.width}x${size.height}`;
      if (r.error) rows.push([enc.name, sz, 'FAILED', '', '', '']);
      else {
        rows.push([enc.name, sz, fmt(r.median_ms_per_frame, 2), fmt(r.fps, 1), fmt(r.kbps, 0),
          Number.isFinite(r.psnr) ? fmt(r.psnr, 2) : String(r.psnr)]);
      }
    }
  }
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  if (encodersWanted) {
    console.log(`\n## framecast encoder benchmark (${stamp}${quick ? ', QUICK: 30 frames, 1 run' : ''})\n`);
    console.log(`${frames} frames of testsrc2 per size, 30 fps; target 2000 kbit/s at 720p, 1000 kbit/s at 480p; ` +
      `median of ${runsFast} runs (ffmpeg.wasm ${runsFfmpegWasm}). ${machine.nproc} x ${machine.cpu}, ` +
      `load average at start ${machine.loadavg.join(' ')}.\n`);
    console.log(markdownTable(['encoder', 'size', 'median ms/frame', 'fps', 'kbit/s', 'PSNR dB'], rows,
      ['---', '---', '---:', '---:', '---:', '---:']));
    console.log('');
  }
  if (mux) muxTable(mux, machine);
  if (prep) prepTable(prep, machine);
  if (audio) audioTable(audio, machine);
  if (publish && !publish.error) printPublishTable(publish, machine);
  if (soak && !soak.error) printSoakTable(soak, machine);

  // Machine-readable lines.
  const lines = {};
  const ratio = (a, b) => (a && b ? a.median_ms_per_frame / b.median_ms_per_frame : NaN);
  for (const size of encodersWanted ? sizes.map((s) => s.label) : []) {
    const c = get('native_c', size);
    lines[`encode_${size}_wasm_over_native_c`] = fmt(ratio(get('wasm_node', size), c), 2);
    lines[`encode_${size}_wasm_chromium_over_native_c`] = fmt(ratio(get('wasm_chromium', size), c), 2);
    lines[`encode_${size}_native_asm_over_native_c`] = fmt(ratio(get('native_asm', size), c), 2);
    lines[`encode_${size}_wasm_over_native_asm`] = fmt(ratio(get('wasm_node', size), get('native_asm', size)), 2);
    lines[`encode_${size}_fps_chromium`] = fmt(get('wasm_chromium', size)?.fps, 1);
    lines[`encode_${size}_fps_node`] = fmt(get('wasm_node', size)?.fps, 1);
    for (const pr of PRESETS) {
      lines[`encode_${size}_fps_ffmpeg_wasm_${pr}`] = fmt(get(`ffmpeg_wasm_${pr}`, size)?.fps, 1);
    }
    // The wasm build should produce exactly the native C build's bitstream.
    for (const id of ['wasm_node', 'wasm_chromium']) {
      const a = get(id, size);
      const same = a && c ? sameBytes(path.join(ROOT, a.output), path.join(ROOT, c.output)) : null;
      lines[`${id}_${size}_output_identical_to_native_c`] = same === null ? 'n/a' : same ? 'yes' : 'no';
    }
  }
  if (encodersWanted) {
    let wasmGzip = null;
    try {
      wasmGzip = gzipBytes(PKG_WEB_WASM);
    } catch (e) {
      log(`gzip failed: ${e.message}`);
    }
    lines.wasm_bytes = String(fs.statSync(PKG_WEB_WASM).size);
    lines.wasm_gzip_bytes = wasmGzip === null ? 'n/a' : String(wasmGzip);
  }

  // The four required lines first, in the documented order.
  const first = ['encode_720p_wasm_over_native_c', 'encode_720p_wasm_chromium_over_native_c',
    'encode_720p_fps_chromium', 'wasm_gzip_bytes'];
  if (encodersWanted) {
    for (const k of first) console.log(`bench: ${k} = ${lines[k] ?? 'n/a'}`);
    for (const [k, v] of Object.entries(lines)) if (!first.includes(k)) console.log(`bench: ${k} = ${v}`);
  }
  // Muxing lines after the encoder's.
  if (mux) {
    const { native, wasm } = mux;
    const muxLines = {
      mux_mb_per_s_native: fmt(native.mb_per_s, 1),
      mux_mb_per_s_wasm: fmt(wasm.mb_per_s, 1),
      mux_wasm_over_native: fmt(native.median_ms && wasm.median_ms ? wasm.median_ms / native.median_ms : NaN, 2),
      mux_wasm_boundary_share: fmt(wasm.profile_shares?.boundary, 2),
      mux_output_identical_native_wasm: native.output_fnv1a && wasm.output_fnv1a
        ? (native.output_fnv1a === wasm.output_fnv1a && native.output_bytes === wasm.output_bytes ? 'yes' : 'no') : 'n/a',
    };
    for (const [k, v] of Object.entries(muxLines)) {
      lines[k] = v;
      console.log(`bench: ${k} = ${v}`);
    }
    for (const side of ['native', 'wasm']) {
      if (mux[side].error) console.log(`bench: FAILED mux_${side}: ${mux[side].error.split('\n')[0]}`);
    }
  }
  if (prep) {
    // The two lines of issue 5 first (as prep_bench and prep.mjs print
    // them), then the references.
    const prepLines = [['prep_1080p_to_720p_wm_ms_wasm', 'wasm', (v) => v],
      ['prep_1080p_to_720p_wm_ms_native', 'native', (v) => v],
      ...['wasm_chromium', 'ffmpeg_native_1thread', 'ffmpeg_native', 'ffmpeg_wasm']
        .map((id) => [`prep_1080p_to_720p_wm_ms_${id}`, id, (v) => fmt(v, 3)])];
    for (const [k, id, show] of prepLines) {
      if (prep[id]?.error) continue;
      lines[k] = show(prep[id].ms);
      console.log(`bench: ${k} = ${lines[k]}`);
    }
    for (const [id, side] of Object.entries(prep)) {
      if (side.error) console.log(`bench: FAILED prep_${id}: ${side.error.split('\n')[0]}`);
    }
  }
  if (audio) {
    // The two lines of the issue first (framecast wasm in Node), then the
    // other sides of each job.
    const audioLines = AUDIO_SIDES.flatMap(([key]) => Object.entries(audio).map(([job, sides]) =>
      [`${audioWork.JOBS[job].line}_${key}`, sides[key]]));
    for (const [k, r] of audioLines.filter(([, r]) => r && !r.error && !r.skipped)) {
      lines[k] = fmt(r.x_realtime, 1);
      console.log(`bench: ${k} = ${lines[k]}`);
    }
    for (const [name, message] of audioFailures(audio)) console.log(`bench: FAILED ${name}: ${message.split('\n')[0]}`);
  }
  // Live publishing lines last.
  if (publish && !publish.error) {
    for (const [k, v] of Object.entries(publishLines(publish))) {
      lines[k] = v;
      console.log(`bench: ${k} = ${v}`);
    }
  }
  if (publish?.error) console.log(`bench: FAILED publish: ${publish.error.split('\n')[0]}`);
  if (soak && !soak.error) {
    for (const [k, v] of Object.entries(soakLines(soak))) {
      lines[k] = v;
      console.log(`bench: ${k} = ${v}`);
    }
  }
  if (soak?.error) console.log(`bench: FAILED soak: ${soak.error.split('\n')[0]}`);
  for (const r of results.filter((x) => x.warning)) console.log(`bench: WARNING ${r.id} ${r.size}: ${r.warning}`);
  for (const r of results.filter((x) => x.error)) console.log(`bench: FAILED ${r.id} ${r.size}: ${r.error.split('\n')[0]}`);

  const versions = {
    node: process.version,
    chromium: chromiumVersion,
    ffmpeg: spawnSync('ffmpeg', ['-hide_banner', '-version'], { encoding: 'utf8' }).stdout?.split('\n')[0] ?? null,
    ffmpeg_wasm: ['ffmpeg', 'core', 'util'].map((p) => {
      const f = path.join(ROOT, `tests/node_modules/@ffmpeg/${p}/package.json`);
      return fs.existsSync(f) ? `@ffmpeg/${p}@${JSON.parse(fs.readFileSync(f, 'utf8')).version}` : null;
    }).filter(Boolean),
    git_commit: spawnSync('git', ['rev-parse', 'HEAD'], { cwd: ROOT, encoding: 'utf8' }).stdout?.trim() || null,
  };
  const json = {
    date: stamp,
    quick,
    config: {
      frames, fps: FPS, runs: runsFast, runs_ffmpeg_wasm: runsFfmpegWasm,
      sizes: sizes.map((s) => ({ ...s, input: inputs[s.label] ? path.relative(ROOT, inputs[s.label]) : null })),
      native_pinning: pin.join(' ') || null,
      ffmpeg_wasm_load_ms: ffmpegWasmLoadMs,
    },
    machine: { ...machine, loadavg_end: machineInfo().loadavg },
    versions,
    results,
    mux,
    prep,
    audio,
    publish,
    soak,
    lines,
  };
  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Quick or partial runs never overwrite the full results.
  const file = path.join(OUT_DIR, PARTIAL ? 'results-partial.json' : 'results.json');
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, file)}`);
}

/** The muxing benchmark's table (see BENCHMARKS.md, "Muxing"). */
function muxTable(mux, machine) {
  const w = mux.wasm.error ? mux.native : mux.wasm;
  console.log(`\n## framecast muxing benchmark\n`);
  console.log(`${w.seconds ?? 60} s of 1280x720 30 fps H.264 (${w.video_samples ?? '?'} samples, IDR every 2 s) + ` +
    `AAC 48 kHz (${w.audio_samples ?? '?'} frames), ${w.input_bytes ?? '?'} sample bytes, into 2 s CMAF fragments, ` +
    `one stream per track; MB/s = input sample bytes / wall time; median of ${runsFast} runs after 10 warm-up runs. ` +
    `${machine.nproc} x ${machine.cpu}.\n`);
  const row = (name, r) => (r.error ? [name, 'FAILED', '', '', ''] : [name, r.median_ms.toFixed(2),
    r.mb_per_s.toFixed(0), String(r.fragments), String(r.output_bytes)]);
  console.log(markdownTable(['muxer', 'median ms/run', 'MB/s', 'fragments', 'output bytes'],
    [row('framecast native (Segmenter)', mux.native), row('framecast wasm, Node (Muxer via JS)', mux.wasm)],
    ['---', '---:', '---:', '---:', '---:']));
  if (mux.wasm.profile_shares) {
    const s = mux.wasm.profile_shares;
    console.log(`\nwasm run, CPU profile: wasm code ${(100 * s.wasm).toFixed(0)}%, JS<->wasm boundary ` +
      `${(100 * s.boundary).toFixed(0)}%, GC ${(100 * s.gc).toFixed(0)}%, benchmark loop ${(100 * s.bench_loop).toFixed(0)}%.`);
  }
  console.log('');
}

/** The frame preparation benchmark's table and stage profile (see BENCHMARKS.md, "Frame preparation"). */
function prepTable(prep, machine) {
  const f = (x, d = 2) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const rows = [
    ['native', 'framecast native (SSE2), `FramePipeline::process`', 'in process, median of 30 calls'],
    ['wasm', 'framecast wasm (SIMD128), Node, `processInPlace`', 'in process, median of 30 calls, incl. copying the frame in'],
    ['wasm_chromium', 'framecast wasm (SIMD128), Chromium, `processInPlace`', 'in the page, median of 30 calls, incl. copying the frame in'],
    ['ffmpeg_native_1thread', 'ffmpeg native, `-threads 1 -filter_complex_threads 1`',
      `(rtime - baseline rtime) / ${PREP_FFMPEG_FRAMES} frames, median of ${runsFast} runs`],
    ['ffmpeg_native', 'ffmpeg native, default threads',
      `(rtime - baseline rtime) / ${PREP_FFMPEG_FRAMES} frames, median of ${runsFast} runs`],
    ['ffmpeg_wasm', 'ffmpeg.wasm (single-thread core), Chromium',
      `(rtime - baseline rtime) / ${PREP_FFMPEG_FRAMES} frames, median of ${runsFfmpegWasm} runs`],
  ].filter(([id]) => prep[id]).map(([id, name, timed]) => {
    const r = prep[id];
    if (r.error) return [name, 'FAILED', '', timed];
    const extra = Number.isFinite(r.cpu_ms_per_frame) ? `; CPU ${f(r.cpu_ms_per_frame)} ms/frame` : '';
    return [name, f(r.ms), f(1000 / r.ms, 0), timed + extra];
  });
  console.log(`\n## framecast frame preparation benchmark\n`);
  console.log(`RGBA 1920x1080 -> I420 1280x720 (Lanczos3, BT.601 limited) with one 200x100 watermark at 70% opacity; ` +
    `${machine.nproc} x ${machine.cpu}, load average at start ${machine.loadavg.join(' ')}.\n`);
  console.log(markdownTable(['side', 'median ms/frame', 'frames/s', 'timed'], rows, ['---', '---:', '---:', '---']));
  const n = prep.native?.profile;
  if (n) {
    console.log(`\nnative stages (median of 30, called one after the other): convert ${f(n.convert_ms)} ms, ` +
      `scale ${f(n.scale_ms)} ms, watermark ${f(n.watermark_ms, 3)} ms (sum ${f(n.sum_ms)} ms).`);
  }
  const w = prep.wasm_profile?.profile?.parts;
  if (w) {
    console.log(`wasm (Node) stages, by difference of pipelines (fastest of 30 calls each, interleaved): ` +
      `copy in ${f(w.copy_in_ms)} ms, convert ${f(w.convert_ms)} ms, scale ${f(w.scale_ms)} ms, ` +
      `watermark ${f(w.watermark_ms, 3)} ms (fastest full call ${f(w.full_fastest_ms)} ms; the watermark is below what differences resolve).`);
  }
  console.log('');
}

/** The audio transcoding benchmark's table (see BENCHMARKS.md, "Audio transcoding"). */
function audioTable(audio, machine) {
  const rows = [];
  for (const [key, name] of AUDIO_SIDES) {
    for (const [job, sides] of Object.entries(audio)) {
      const r = sides[key];
      if (!r) continue;
      const title = audioWork.JOBS[job].title;
      if (r.error) rows.push([name, title, 'FAILED', '']);
      else if (r.skipped) rows.push([name, title, 'not run', '']);
      else rows.push([name, title, r.ms.toFixed(1), r.x_realtime.toFixed(1) + (r.check_error ? ' (wrong output)' : '')]);
    }
  }
  console.log(`\n## framecast audio transcoding benchmark\n`);
  console.log(`${audioWork.SECONDS} s of a stereo test signal (tones, sweep, noise): MP3 44.1 kHz 192 kbit/s -> AAC-LC ` +
    `48 kHz 128 kbit/s in MP4, and WAV 48 kHz 16-bit -> Opus 128 kbit/s in Ogg; x realtime = ${audioWork.SECONDS} s / ` +
    `median wall time of the whole transcode; ${machine.nproc} x ${machine.cpu}, load average at start ` +
    `${machine.loadavg.join(' ')}.\n`);
  console.log(markdownTable(['side', 'job', 'median ms', 'x realtime'], rows, ['---', '---', '---:', '---:']));
  for (const [key, name] of AUDIO_SIDES) {
    for (const [job, sides] of Object.entries(audio)) {
      if (sides[key]?.skipped) console.log(`\n${name}, ${audioWork.JOBS[job].title}: not run: ${sides[key].skipped}.`);
    }
  }
  console.log('');
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  console.error(`bench: ERROR: ${e.stack ?? e}`);
  process.exitCode = 1;
});
