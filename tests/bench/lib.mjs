// Shared helpers for the encoder benchmark (tests/bench/run.mjs), the
// build-variant comparison (tests/bench/variants.mjs) and the live publishing
// benchmark (tests/bench/publish.mjs).

import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { testsrc2 } from '../node/support/sources.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const BENCH_DIR = path.join(ROOT, 'tests/bench');
export const OUT_DIR = path.join(ROOT, 'target/bench');

export const FPS = 30;
export const FULL_FRAMES = 300;
export const QUICK_FRAMES = 30;

/** The two benchmark sizes and their target bitrates (bit/s). */
export const SIZES = [
  { label: '720p', width: 1280, height: 720, bitrate: 2_000_000 },
  { label: '480p', width: 640, height: 480, bitrate: 1_000_000 },
];

export const i420Size = (w, h) => w * h + 2 * ((w + 1) >> 1) * ((h + 1) >> 1);

/** Median of a list of numbers (mean of the middle two for even lengths). */
export function median(values) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  const m = v.length >> 1;
  return v.length % 2 ? v[m] : (v[m - 1] + v[m]) / 2;
}

/** The p-th percentile (0-100) of a list of numbers, nearest rank. */
export function percentile(values, p) {
  const v = [...values].sort((a, b) => a - b);
  if (!v.length) return NaN;
  return v[Math.min(v.length - 1, Math.max(0, Math.ceil((p / 100) * v.length) - 1))];
}

export const round = (x, digits) => (Number.isFinite(x) ? Number(x.toFixed(digits)) : x);

/** Achieved bitrate in kbit/s of `bytes` of video covering `frames` frames at FPS. */
export const kbps = (bytes, frames) => (bytes * 8 * FPS) / frames / 1000;

/** Throws unless every file of `needed` ([file, how to build it] pairs) exists. */
export function requireBuilt(needed) {
  for (const [file, what] of needed) {
    if (!fs.existsSync(file)) throw new Error(`missing ${path.relative(ROOT, file)}: run \`${what}\` (or \`make bench\`)`);
  }
}

/** Whether a command is on PATH. */
export function have(cmd) {
  return spawnSync('sh', ['-c', `command -v ${cmd}`], { stdio: 'ignore' }).status === 0;
}

/** `taskset -c 1` when available and the machine has a CPU 1, else nothing. */
export function pinPrefix() {
  return have('taskset') && os.cpus().length > 1 ? ['taskset', '-c', '1'] : [];
}

/**
 * Runs a command to completion. Resolves {code, stdout, stderr, ms} where ms is
 * the wall-clock time from spawn to exit. Never rejects on a non-zero exit.
 */
export function run(cmd, args, opts = {}) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn(cmd, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'], ...opts });
    const out = [];
    const err = [];
    child.stdout.on('data', (d) => out.push(d));
    child.stderr.on('data', (d) => {
      err.push(d);
      if (opts.echoStderr) process.stderr.write(d);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      resolve({
        code: code ?? signal,
        stdout: Buffer.concat(out).toString(),
        stderr: Buffer.concat(err).toString(),
        ms,
      });
    });
  });
}

/** Last `n` lines of a text, for error messages. */
export const tail = (text, n = 15) => text.trim().split('\n').slice(-n).join('\n');

/**
 * `frames` frames of testsrc2 at the given size as raw I420, made once by
 * the shared test-input helper (tests/node/support/sources.mjs, under
 * target/e2e/); checked for its size.
 */
export async function prepareInput(width, height, frames) {
  const file = testsrc2(`${width}x${height}`, frames);
  const bytes = i420Size(width, height) * frames;
  if (fs.statSync(file).size !== bytes) {
    throw new Error(`${path.relative(ROOT, file)} is not ${bytes} bytes: delete it and run again`);
  }
  return file;
}

/**
 * PSNR of an Annex-B H.264 stream against the raw input, the same way for
 * every encoder: native ffmpeg decodes the stream and its psnr filter compares
 * frame by frame (both inputs re-timed to N/30 so frames pair up in order).
 * Returns {psnr, decodedFrames} (psnr is the "average:" value; Infinity for "inf").
 */
export async function psnrOf(h264, yuv, width, height) {
  const r = await run('ffmpeg', [
    '-hide_banner', '-nostdin',
    '-r', String(FPS), '-i', h264,
    '-f', 'rawvideo', '-pix_fmt', 'yuv420p', '-s', `${width}x${height}`, '-r', String(FPS), '-i', yuv,
    '-lavfi', `[0:v]setpts=N/${FPS}/TB[a];[1:v]setpts=N/${FPS}/TB[b];[a][b]psnr`,
    '-f', 'null', '-',
  ]);
  const m = /PSNR .*average:(\S+)/.exec(r.stderr);
  if (r.code !== 0 || !m) throw new Error(`ffmpeg psnr failed for ${h264}:\n${tail(r.stderr)}`);
  const frameMatches = [...r.stderr.matchAll(/frame=\s*(\d+)/g)];
  const decodedFrames = frameMatches.length ? Number(frameMatches.at(-1)[1]) : null;
  return { psnr: m[1] === 'inf' ? Infinity : Number(m[1]), decodedFrames };
}

/** Size in bytes of `gzip -9` of a file (no name/time in the header). */
export function gzipBytes(file) {
  const r = spawnSync('gzip', ['-9', '-n', '-c', file], { maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`gzip failed: ${r.stderr}`);
  return r.stdout.length;
}

/** nproc, CPU model, memory, load average: what the machine was. */
export function machineInfo() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  const model = /^model name\s*:\s*(.*)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown';
  const nproc = spawnSync('nproc', [], { encoding: 'utf8' }).stdout?.trim();
  return {
    nproc: Number(nproc) || os.cpus().length,
    cpu: model,
    memory_gib: round(os.totalmem() / 2 ** 30, 1),
    loadavg: os.loadavg().map((x) => round(x, 2)),
    kernel: os.release(),
    node: process.version,
  };
}

/** Formats a markdown table from a header row and rows of cells. */
export function markdownTable(header, rows, align) {
  const a = align ?? header.map(() => '---');
  const line = (cells) => `| ${cells.join(' | ')} |`;
  return [line(header), line(a), ...rows.map(line)].join('\n');
}

/** Parses `--runs N`, `--quick` and friends from argv. */
export function parseArgs(argv, spec) {
  const out = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const eq = a.indexOf('=');
    const name = (eq > 0 ? a.slice(0, eq) : a).replace(/^--/, '');
    if (!a.startsWith('--') || !(name in spec)) throw new Error(`unknown argument ${a}`);
    if (spec[name] === Boolean) out[name] = true;
    else {
      const v = eq > 0 ? a.slice(eq + 1) : argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      out[name] = spec[name](v);
    }
  }
  return out;
}
