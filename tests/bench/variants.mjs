#!/usr/bin/env node
// Build-variant comparison for the wasm encoder. See BENCHMARKS.md.
//
//   node tests/bench/variants.mjs [--runs N] [--quick] [--only NAME,NAME...] [--no-build]
//
// Builds the Node package once per variant, each in its own cargo target dir
// (CARGO_TARGET_DIR=target/bench-variants/<name>, package in
// target/bench-variants/<name>/pkg), with the build.rs knobs
// FRAMECAST_OPENH264_OPT / _SIMD / _LTO, then for each variant measures:
//   - median ms/frame encoding the 720p benchmark clip in Node (node_encode.mjs),
//   - gzip -9 size of its framecast_bg.wasm,
//   - whether its H.264 output is byte-identical to the default variant's.
// A failed build (e.g. LTO link errors) is recorded with its error message.
// Prints a markdown table and writes target/bench/variants.json
// (target/bench/variants-partial.json for --quick/--only runs).
//
// --runs N    timed runs per variant (default 5)
// --quick     30 frames, 1 run (development)
// --only      build/measure only these variants (the default one is always
//             included: it is the reference for the output comparison)
// --no-build  reuse packages already built in target/bench-variants/

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  ROOT, OUT_DIR, FULL_FRAMES, QUICK_FRAMES, SIZES, median, round, kbps, run, tail, prepareInput, psnrOf,
  gzipBytes, machineInfo, markdownTable, parseArgs,
} from './lib.mjs';

const args = parseArgs(process.argv.slice(2), { runs: Number, quick: Boolean, only: String, 'no-build': Boolean });
const quick = !!args.quick;
const frames = quick ? QUICK_FRAMES : FULL_FRAMES;
const runs = args.runs ?? (quick ? 1 : 5);
const size = SIZES.find((s) => s.label === '720p');
const VARIANTS_DIR = path.join(ROOT, 'target/bench-variants');
const DEFAULT = 'O3-simd';

const VARIANTS = [
  { name: 'O2-nosimd', desc: '-O2, no SIMD', env: { FRAMECAST_OPENH264_OPT: '2', FRAMECAST_OPENH264_SIMD: '0' } },
  { name: 'O3-nosimd', desc: '-O3, no SIMD', env: { FRAMECAST_OPENH264_OPT: '3', FRAMECAST_OPENH264_SIMD: '0' } },
  { name: 'O3-simd', desc: '-O3, SIMD (default)', env: { FRAMECAST_OPENH264_OPT: '3', FRAMECAST_OPENH264_SIMD: '1' } },
  {
    name: 'O3-simd-lto-thin', desc: '-O3, SIMD, LTO thin',
    env: { FRAMECAST_OPENH264_OPT: '3', FRAMECAST_OPENH264_SIMD: '1', FRAMECAST_OPENH264_LTO: 'thin' },
  },
];
const selected = VARIANTS.filter((v) => !args.only || v.name === DEFAULT || args.only.split(',').includes(v.name));
const log = (msg) => console.error(`variants: ${msg}`);

/** target/toolchain.env (written by .ci/bootstrap.sh): how this machine builds wasm. */
function toolchain() {
  const f = path.join(ROOT, 'target/toolchain.env');
  const vars = {};
  if (fs.existsSync(f)) {
    for (const line of fs.readFileSync(f, 'utf8').split('\n')) {
      const m = /^([A-Z_]+)=(.*)$/.exec(line.trim());
      if (m) vars[m[1]] = m[2].trim();
    }
  }
  return vars;
}

/** PATH with tests/node_modules/.bin (wasm-opt) first, then cargo's bin dir. */
function buildEnv(variant, tc) {
  const cargoBin = tc.CARGO_BIN_DIR || path.join(process.env.CARGO_HOME || path.join(os.homedir(), '.cargo'), 'bin');
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith('FRAMECAST_OPENH264_')) delete env[k];
  env.PATH = [path.join(ROOT, 'tests/node_modules/.bin'), cargoBin, process.env.PATH].join(':');
  env.CARGO_TARGET_DIR = path.join(VARIANTS_DIR, variant.name);
  env.CARGO_TERM_COLOR = 'never';
  // Debian mode: WASM_ENV holds KEY=VALUE assignments for the wasm build.
  for (const kv of (tc.WASM_ENV || '').split(/\s+/).filter(Boolean)) {
    const i = kv.indexOf('=');
    if (i > 0) env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return Object.assign(env, variant.env);
}

/** The most telling lines of a failed build's output. */
function buildError(text) {
  const lines = text.split('\n');
  const errs = lines.filter((l) => /(^|\s)(error|Error)(\[\w+\])?:|undefined symbol|wasm-ld|LLVM|Invalid/.test(l));
  return (errs.length ? errs.slice(0, 12).join('\n') : tail(text, 12)).trim();
}

async function build(variant, tc) {
  const dir = path.join(VARIANTS_DIR, variant.name);
  const pkg = path.join(dir, 'pkg');
  fs.mkdirSync(dir, { recursive: true });
  const wasmPackArgs = ['build', ...(tc.WASM_PACK_MODE ? tc.WASM_PACK_MODE.split(/\s+/) : []),
    '--release', '--target', 'nodejs', '--out-dir', pkg, '--out-name', 'framecast', '--no-pack', '.'];
  if (tc.WASM_BUILD_STD_ARGS) wasmPackArgs.push('--', ...tc.WASM_BUILD_STD_ARGS.split(/\s+/));
  const envStr = Object.entries(variant.env).map(([k, v]) => `${k}=${v}`).join(' ');
  log(`building ${variant.name}: ${envStr} CARGO_TARGET_DIR=${path.relative(ROOT, dir)} wasm-pack ${wasmPackArgs.join(' ')}`);
  const r = await run('wasm-pack', wasmPackArgs, { env: buildEnv(variant, tc) });
  fs.writeFileSync(path.join(dir, 'build.log'), `$ ${envStr} wasm-pack ${wasmPackArgs.join(' ')}\n${r.stdout}\n${r.stderr}`);
  log(`  ${variant.name}: exit ${r.code} after ${(r.ms / 1000).toFixed(0)} s (log: ${path.relative(ROOT, dir)}/build.log)`);
  if (r.code !== 0) throw new Error(buildError(`${r.stdout}\n${r.stderr}`));
  return { pkg, build_s: round(r.ms / 1000, 1) };
}

async function measure(variant, pkg, input) {
  const out = path.join(OUT_DIR, quick || args.only ? 'variants-partial' : 'variants', `${variant.name}_720p.h264`);
  fs.mkdirSync(path.dirname(out), { recursive: true });
  const r = await run(process.execPath, [path.join(ROOT, 'tests/bench/node_encode.mjs'),
    '--pkg', path.join(pkg, 'framecast.js'), '--in', input, '--width', String(size.width), '--height', String(size.height),
    '--bitrate', String(size.bitrate), '--runs', String(runs), '--out', out]);
  if (r.code !== 0) throw new Error(`node_encode.mjs exited ${r.code}:\n${tail(r.stderr)}`);
  const j = JSON.parse(r.stdout.trim().split('\n').at(-1));
  const { psnr } = await psnrOf(out, input, size.width, size.height);
  const med = median(j.run_ms_per_frame);
  return {
    openh264_build: j.build.openh264,
    run_ms_per_frame: j.run_ms_per_frame.map((x) => round(x, 3)),
    median_ms_per_frame: round(med, 3), fps: round(1000 / med, 1),
    bytes: j.bytes, kbps: round(kbps(j.bytes, j.frames), 0), psnr: round(psnr, 2),
    wasm_bytes: fs.statSync(path.join(pkg, 'framecast_bg.wasm')).size,
    wasm_gzip_bytes: gzipBytes(path.join(pkg, 'framecast_bg.wasm')),
    output: out,
  };
}

async function main() {
  const tc = toolchain();
  const machine = machineInfo();
  log(`${quick ? 'QUICK mode, ' : ''}${frames} frames at 720p, ${runs} run(s); variants: ${selected.map((v) => v.name).join(', ')}; ` +
    `load ${machine.loadavg.join(' ')}`);
  const input = await prepareInput(size.width, size.height, frames);
  const results = [];
  for (const v of selected) {
    const res = { name: v.name, description: v.desc, env: v.env, target_dir: path.relative(ROOT, path.join(VARIANTS_DIR, v.name)) };
    results.push(res);
    let pkg = path.join(VARIANTS_DIR, v.name, 'pkg');
    try {
      if (args['no-build']) {
        if (!fs.existsSync(path.join(pkg, 'framecast_bg.wasm'))) throw new Error(`no package in ${path.relative(ROOT, pkg)} (drop --no-build)`);
      } else {
        const b = await build(v, tc);
        pkg = b.pkg;
        res.build_s = b.build_s;
      }
    } catch (e) {
      res.build_error = e.message;
      log(`  ${v.name}: build FAILED:\n${e.message}`);
      continue;
    }
    try {
      Object.assign(res, await measure(v, pkg, input));
      log(`  ${v.name}: ${res.median_ms_per_frame} ms/frame, ${res.wasm_gzip_bytes} gzip bytes`);
    } catch (e) {
      res.error = e.message;
      log(`  ${v.name}: measurement FAILED: ${e.message}`);
    }
  }

  const ref = results.find((r) => r.name === DEFAULT && r.output);
  const refBytes = ref ? fs.readFileSync(ref.output) : null;
  for (const r of results) {
    if (r.output && refBytes) r.identical_to_default = fs.readFileSync(r.output).equals(refBytes);
    if (r.output) r.output = path.relative(ROOT, r.output);
  }

  const fmt = (x, d) => (x === undefined || x === null ? 'n/a' : Number(x).toFixed(d));
  const rows = results.map((r) => {
    if (r.build_error || r.error) {
      const msg = (r.build_error ?? r.error).split('\n').find((l) => l.trim()) ?? 'failed';
      return [r.name, r.description, `FAILED: ${msg.replace(/\|/g, '\\|').slice(0, 160)}`, '', '', '', ''];
    }
    return [r.name, r.description, fmt(r.median_ms_per_frame, 2),
      fmt(ref?.median_ms_per_frame ? r.median_ms_per_frame / ref.median_ms_per_frame : null, 2),
      String(r.wasm_gzip_bytes), fmt(r.psnr, 2),
      r.identical_to_default === undefined ? 'n/a' : r.identical_to_default ? 'yes' : 'NO'];
  });
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  console.log(`\n## framecast wasm build variants (${stamp}${quick ? ', QUICK: 30 frames, 1 run' : ''})\n`);
  console.log(`Node ${process.version}, 1280x720 testsrc2, ${frames} frames, 2000 kbit/s, Main; median of ${runs} run(s). ` +
    `${machine.nproc} x ${machine.cpu}, load average at start ${machine.loadavg.join(' ')}.\n`);
  console.log(markdownTable(
    ['variant', 'flags', 'median ms/frame (720p, Node)', 'vs default', 'wasm gzip -9 bytes', 'PSNR dB', 'output identical to default'],
    rows, ['---', '---', '---:', '---:', '---:', '---:', '---']));
  console.log('');
  for (const r of results) {
    const key = r.name.replace(/-/g, '_').toLowerCase();
    if (r.median_ms_per_frame !== undefined) {
      console.log(`bench: variant_${key}_ms_per_frame = ${fmt(r.median_ms_per_frame, 2)}`);
      console.log(`bench: variant_${key}_wasm_gzip_bytes = ${r.wasm_gzip_bytes}`);
      console.log(`bench: variant_${key}_identical_to_default = ${r.identical_to_default === undefined ? 'n/a' : r.identical_to_default ? 'yes' : 'no'}`);
    } else {
      console.log(`bench: variant_${key} = FAILED`);
    }
  }
  for (const r of results.filter((x) => x.build_error)) console.log(`\n${r.name} build error:\n${r.build_error}`);

  fs.mkdirSync(OUT_DIR, { recursive: true });
  // Quick or partial runs never overwrite the full results.
  const file = path.join(OUT_DIR, quick || args.only ? 'variants-partial.json' : 'variants.json');
  fs.writeFileSync(file, JSON.stringify({
    date: stamp, quick, frames, runs, size, machine: { ...machine, loadavg_end: machineInfo().loadavg }, results,
  }, null, 2) + '\n');
  log(`wrote ${path.relative(ROOT, file)}`);
  return results.some((r) => r.name === DEFAULT && (r.build_error || r.error)) ? 1 : 0;
}

main().then((code) => {
  process.exitCode = code;
}, (e) => {
  console.error(`variants: ERROR: ${e.stack ?? e}`);
  process.exitCode = 1;
});
