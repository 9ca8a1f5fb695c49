// Headless-Chromium side of the benchmark: a small local HTTP server
// (127.0.0.1, ephemeral port) and the in-page encode loops for framecast's
// web package and for ffmpeg.wasm's libx264, and the frame preparation
// benchmark's in-page sides (framecast's FramePipeline, ffmpeg.wasm
// running given command lines).
//
// The server only serves what the benchmark needs:
//   /                     an empty page (the loops run via page.evaluate)
//   /pkg/web/*            the framecast web package (pkg/web)
//   /ffmpeg/ffmpeg/*      @ffmpeg/ffmpeg ESM build (its worker loads from here)
//   /ffmpeg/core/*        @ffmpeg/core single-thread ESM build (js + wasm)
//   /input/<name>         raw inputs registered with server.addInput()
//   POST /output/<name>   writes the encoded stream to <outDir>/<name> (target/bench/out/)
// .wasm is served as application/wasm so that streaming compilation works.

import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { ROOT, OUT_DIR, FPS } from './lib.mjs';
import { serveStatic, TYPES } from '../../www/static.mjs';

const MOUNTS = {
  '/pkg/web/': path.join(ROOT, 'pkg/web'),
  '/bench/': path.join(ROOT, 'tests/bench'),
  '/ffmpeg/ffmpeg/': path.join(ROOT, 'tests/node_modules/@ffmpeg/ffmpeg/dist/esm'),
  '/ffmpeg/core/': path.join(ROOT, 'tests/node_modules/@ffmpeg/core/dist/esm'),
};

export function startServer(outDir = path.join(OUT_DIR, 'out')) {
  const inputs = new Map();
  fs.mkdirSync(outDir, { recursive: true });

  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    const fail = (code, msg) => {
      res.writeHead(code, { 'content-type': 'text/plain' });
      res.end(msg);
    };
    if (req.method === 'POST' && url.pathname.startsWith('/output/')) {
      const name = path.basename(url.pathname);
      const parts = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        fs.writeFileSync(path.join(outDir, name), Buffer.concat(parts));
        fail(200, 'ok');
      });
      return;
    }
    if (req.method !== 'GET') return fail(405, 'method not allowed');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'] });
      return res.end('<!doctype html><meta charset="utf-8"><title>framecast bench</title><p>bench</p>');
    }
    if (url.pathname.startsWith('/input/')) {
      const file = inputs.get(path.basename(url.pathname));
      if (!file) return fail(404, 'not found');
      return serveStatic(req, res, { '/input/': path.dirname(file) }, { cache: 'no-store' });
    }
    if (!serveStatic(req, res, MOUNTS, { cache: 'no-store' })) fail(404, 'not found');
  });

  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const origin = `http://127.0.0.1:${server.address().port}`;
      resolve({
        origin,
        outDir,
        /** Makes a local file available as /input/<name>; returns its URL path. */
        addInput(file) {
          const name = path.basename(file);
          inputs.set(name, file);
          return `/input/${name}`;
        },
        close: () => new Promise((r) => {
          server.closeAllConnections?.();
          server.close(() => r());
        }),
      });
    });
  });
}

export const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
];

/** Chromium's synthetic camera (a moving test pattern with a frame counter) and microphone. */
export const FAKE_MEDIA_ARGS = ['--use-fake-device-for-media-stream=fps=30', '--use-fake-ui-for-media-stream'];

/** Launches Debian's Chromium through playwright-core (never downloads a browser). */
export async function launchChromium({ args = [] } = {}) {
  const { chromium } = await import('playwright-core');
  return chromium.launch({ executablePath: '/usr/bin/chromium', args: [...CHROMIUM_ARGS, ...args] });
}

/** A fresh page on `origin`; any request to another origin (but those in `allow`) is aborted. */
export async function openPage(browser, origin, { allow = [] } = {}) {
  const context = await browser.newContext();
  const allowed = [origin, ...allow].map((o) => `${o}/`);
  await context.route('**/*', (route) =>
    allowed.some((o) => route.request().url().startsWith(o)) ? route.continue() : route.abort());
  const page = await context.newPage();
  const errors = [];
  page.on('pageerror', (e) => errors.push(String(e)));
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  await page.goto(origin + '/');
  return { page, errors, close: () => context.close() };
}

/**
 * framecast (pkg/web) in the page: fetch the clip, then `runs` times a fresh
 * Encoder encodes every frame (+ flush), timed with performance.now(), the
 * same loop as node_encode.mjs. The last run's stream is POSTed to /output/.
 */
export async function framecastWeb(page, { inputPath, width, height, bitrate, runs, outName }) {
  return page.evaluate(async ({ inputPath, width, height, bitrate, runs, outName, FPS }) => {
    const fc = await import('/pkg/web/framecast.js');
    await fc.default();
    const { encodeRuns } = await import('/bench/encode_loop.mjs');
    const input = new Uint8Array(await (await fetch(inputPath)).arrayBuffer());
    const { frames, runMs, parts, keyframes } = encodeRuns(fc, input, { width, height, bitrate, runs, fps: FPS });
    const stream = new Blob(parts);
    const resp = await fetch(`/output/${outName}`, { method: 'POST', body: stream });
    if (!resp.ok) throw new Error(`upload failed: ${resp.status}`);
    return { build: fc.buildInfo(), frames, runs, run_ms_per_frame: runMs, bytes: stream.size, keyframes,
      userAgent: navigator.userAgent };
  }, { inputPath, width, height, bitrate, runs, outName, FPS });
}

/**
 * ffmpeg.wasm (single-thread core) libx264 in the page. Loading the core and
 * writing the clip into its in-memory FS are not timed; each run times only
 * `await ffmpeg.exec(args)` (which includes ffmpeg's own start-up inside the
 * worker and reading the raw clip from MEMFS). The last run's stream of each
 * preset is POSTed to /output/<outPrefix><preset>.h264.
 */
export async function ffmpegWasm(page, { inputPath, width, height, bitrate, runs, presets, outPrefix }) {
  return page.evaluate(async ({ inputPath, width, height, bitrate, runs, presets, outPrefix, FPS }) => {
    const { FFmpeg } = await import('/ffmpeg/ffmpeg/index.js');
    const ffmpeg = new FFmpeg();
    const logs = [];
    ffmpeg.on('log', ({ message }) => {
      logs.push(message);
      if (logs.length > 40) logs.shift();
    });
    const tLoad = performance.now();
    await ffmpeg.load({
      coreURL: `${location.origin}/ffmpeg/core/ffmpeg-core.js`,
      wasmURL: `${location.origin}/ffmpeg/core/ffmpeg-core.wasm`,
    });
    const loadMs = performance.now() - tLoad;
    const input = new Uint8Array(await (await fetch(inputPath)).arrayBuffer());
    const frameBytes = width * height + 2 * (width >> 1) * (height >> 1);
    const frames = Math.floor(input.length / frameBytes);
    await ffmpeg.writeFile('in.yuv', input); // transfers the buffer to the worker
    const results = {};
    for (const preset of presets) {
      const args = [
        '-hide_banner', '-nostats', '-loglevel', 'error',
        '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(FPS), '-i', 'in.yuv',
        '-c:v', 'libx264', '-preset', preset, '-b:v', String(bitrate), '-threads', '1',
        '-f', 'h264', '-y', 'out.h264',
      ];
      const runMs = [];
      let bytes = 0;
      for (let r = 0; r < runs; r++) {
        const t0 = performance.now();
        const ret = await ffmpeg.exec(args);
        const ms = performance.now() - t0;
        if (ret !== 0) throw new Error(`ffmpeg.wasm exec returned ${ret}:\n${logs.join('\n')}`);
        runMs.push(ms / frames);
        const data = await ffmpeg.readFile('out.h264');
        bytes = data.length;
        if (r === runs - 1) {
          const resp = await fetch(`/output/${outPrefix}${preset}.h264`, { method: 'POST', body: data });
          if (!resp.ok) throw new Error(`upload failed: ${resp.status}`);
        }
        await ffmpeg.deleteFile('out.h264');
      }
      results[preset] = { frames, runs, run_ms_per_frame: runMs, bytes };
    }
    ffmpeg.terminate();
    return { load_ms: loadMs, results };
  }, { inputPath, width, height, bitrate, runs, presets, outPrefix, FPS });
}

/**
 * Frame preparation (tests/bench/prep.mjs's workload) with framecast's web
 * package in the page: a `FramePipeline` for RGBA `width` x `height` with
 * the system preset `presetId` plus the `watermark` slot, its image
 * fetched from `logoPath` (PNG) and the frame from `framePath` (raw RGBA).
 * `warmup` untimed calls (Chromium tiers hot wasm functions up from its
 * baseline compiler while they run), then `runs` calls of `processInPlace`,
 * each timed with performance.now() (copying the frame into wasm memory,
 * conversion, scaling, watermark; the page is not cross-origin isolated, so
 * the clock has 0.1 ms steps). Returns the times in ms.
 */
export async function framecastPrepWeb(page, { framePath, logoPath, width, height, presetId, watermark, runs, warmup = 10 }) {
  return page.evaluate(async ({ framePath, logoPath, width, height, presetId, watermark, runs, warmup }) => {
    const fc = await import('/pkg/web/framecast.js');
    await fc.default();
    const bytes = async (p) => new Uint8Array(await (await fetch(p)).arrayBuffer());
    const [rgba, logo] = [await bytes(framePath), await bytes(logoPath)];
    const generic = fc.systemPresets().find((p) => p.id === presetId);
    const prep = new fc.FramePipeline({ width, height, format: 'rgba', preset: { ...generic, watermarks: [watermark] },
      watermarks: { [watermark.id]: logo } });
    const out = `${prep.outputWidth}x${prep.outputHeight}`;
    for (let i = 0; i < warmup; i++) prep.processInPlace(rgba);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const t0 = performance.now();
      prep.processInPlace(rgba);
      times.push(performance.now() - t0);
    }
    prep.free();
    return { times, output: out, build: fc.buildInfo(), userAgent: navigator.userAgent };
  }, { framePath, logoPath, width, height, presetId, watermark, runs, warmup });
}

/**
 * ffmpeg.wasm (single-thread core) running given ffmpeg command lines in
 * the page: the files in `inputs` ({MEMFS name: URL path}) are fetched and
 * written to its in-memory FS first (not timed, nor is loading the core);
 * then `runs` rounds of `await ffmpeg.exec(args)` for each command of
 * `commands` ({name: args}), in turn. Returns, per command, each run's
 * exec wall time (ms) and the log lines that carry ffmpeg's `-benchmark`
 * result and frame count (`bench:`, `frame=`), for the caller to parse.
 */
export async function ffmpegWasmCommands(page, { inputs, commands, runs }) {
  return page.evaluate(async ({ inputs, commands, runs }) => {
    const { FFmpeg } = await import('/ffmpeg/ffmpeg/index.js');
    const ffmpeg = new FFmpeg();
    let lines = [];
    const recent = [];
    ffmpeg.on('log', ({ message }) => {
      if (/bench:|frame=/.test(message)) lines.push(message);
      recent.push(message);
      if (recent.length > 40) recent.shift();
    });
    const tLoad = performance.now();
    await ffmpeg.load({
      coreURL: `${location.origin}/ffmpeg/core/ffmpeg-core.js`,
      wasmURL: `${location.origin}/ffmpeg/core/ffmpeg-core.wasm`,
    });
    const loadMs = performance.now() - tLoad;
    for (const [name, url] of Object.entries(inputs)) {
      await ffmpeg.writeFile(name, new Uint8Array(await (await fetch(url)).arrayBuffer()));
    }
    const results = Object.fromEntries(Object.keys(commands).map((k) => [k, []]));
    for (let r = 0; r < runs; r++) {
      for (const [name, args] of Object.entries(commands)) {
        lines = [];
        const t0 = performance.now();
        const ret = await ffmpeg.exec(args);
        const ms = performance.now() - t0;
        if (ret !== 0) throw new Error(`ffmpeg.wasm exec (${name}) returned ${ret}:\n${recent.join('\n')}`);
        results[name].push({ exec_ms: ms, log: lines.join('\n') });
      }
    }
    ffmpeg.terminate();
    return { load_ms: loadMs, results };
  }, { inputs, commands, runs });
}
