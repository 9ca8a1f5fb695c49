#!/usr/bin/env node
// Audio transcoding benchmark, wasm in Node: one input file through the npm
// package's `AudioTranscoder` (pkg/node), the same transcode that
// examples/audio_bench.rs times natively. Timed: the whole transcode
// (`new AudioTranscoder`, `push` of every 256 KiB piece in a tight loop,
// `finish`, joining the output and applying its patches), one untimed run,
// then the median of `--runs`. x realtime = `--seconds` (the input's
// length, default 60) / median wall time.
//
//   node tests/bench/audio.mjs --input FILE --preset aac|opus [--pkg pkg/node/framecast.js] [--runs 5] [--seconds 60] [--out FILE]
//
// Prints one JSON line: { job, median_ms, run_ms, x_realtime, seconds,
// output_bytes, summary }; `--out` writes the last run's output.
//
// As a module it gives tests/bench/run.mjs the two jobs (JOBS: the preset
// and the same work as an ffmpeg command line), their inputs
// (writeAudioInputs) and the check of every output (checkAudio).
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { performance } from 'node:perf_hooks';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { median, run, tail } from './lib.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

/** Length of both inputs, seconds. */
export const SECONDS = 60;

/** Input bytes per `push`, as `transcodeAudio` (pkg/transcode.js) hands them over. */
const PIECE = 256 * 1024;

/**
 * The two jobs: `line` names their `bench:` lines (`<line>_<side>`),
 * `preset` is framecast's (the same JSON as examples/audio_bench.rs's
 * `PRESETS`), `ffmpeg` the same work as ffmpeg output options; `codec` is
 * what ffprobe must find in the output.
 */
export const JOBS = {
  aac: {
    title: 'MP3 44.1 kHz → AAC-LC 48 kHz 128k, MP4',
    line: 'audio_transcode_x_realtime',
    input: 'in.mp3',
    output: 'out.m4a',
    codec: 'aac',
    preset: { name: 'AAC 128k', container: 'mp4', audio: { codec: 'AAC', bitRate: 128, sampleRate: 48000 } },
    ffmpeg: ['-c:a', 'aac', '-b:a', '128k', '-ar', '48000'],
  },
  opus: {
    title: 'WAV 48 kHz → Opus 128k, Ogg',
    line: 'opus_encode_x_realtime',
    input: 'in.wav',
    output: 'out.ogg',
    codec: 'opus',
    preset: { name: 'Opus', container: 'ogg', audio: { codec: 'opus', bitRate: 128 } },
    ffmpeg: ['-c:a', 'libopus', '-b:a', '128k', '-f', 'ogg'],
  },
};

/**
 * The signal of both inputs, stereo, deterministic (ffmpeg's `random()`
 * starts from a fixed state): per channel a decaying arpeggio, a bass
 * tone, a rising sweep and white noise at about -26 dBFS.
 */
const SIGNAL = [
  '0.3*sin(2*PI*220*pow(2,mod(floor(2*t),5)*3/12)*t)*exp(-3*mod(t,0.5))+0.15*sin(2*PI*110*t)' +
    '+0.1*sin(2*PI*(100+40*t)*t)+0.1*(random(0)-0.5)',
  '0.3*sin(2*PI*330*pow(2,mod(floor(4*t),7)*2/12)*t)*exp(-6*mod(t,0.25))+0.15*sin(2*PI*82.5*t)' +
    '+0.1*sin(2*PI*(150+30*t)*t)+0.1*(random(1)-0.5)',
].join('|');

/**
 * Writes the inputs to `dir` with native ffmpeg: `in.mp3` (44.1 kHz
 * stereo, libmp3lame 192 kbit/s) and `in.wav` (48 kHz stereo, 16-bit),
 * both {@link SECONDS} s of {@link SIGNAL}. Returns {name: path}.
 */
export async function writeAudioInputs(dir) {
  fs.mkdirSync(dir, { recursive: true });
  const files = { 'in.mp3': ['44100', '-c:a', 'libmp3lame', '-b:a', '192k'], 'in.wav': ['48000', '-c:a', 'pcm_s16le'] };
  const out = {};
  for (const [name, [rate, ...codec]] of Object.entries(files)) {
    out[name] = path.join(dir, name);
    const r = await run('ffmpeg', ['-hide_banner', '-nostdin', '-loglevel', 'error', '-f', 'lavfi',
      '-i', `aevalsrc=exprs='${SIGNAL}':s=${rate}:d=${SECONDS}`, ...codec, '-y', out[name]]);
    if (r.code !== 0) throw new Error(`ffmpeg (making ${name}) exited ${r.code}:\n${tail(r.stderr)}`);
  }
  return out;
}

/**
 * ffmpeg arguments doing `job` from `input` to `output`, one thread, with
 * `-benchmark` (its `rtime` is read by prep.mjs's `ffmpegBenchTimes`).
 */
export function ffmpegAudioArgs(job, input, output) {
  return ['-hide_banner', '-nostdin', '-nostats', '-loglevel', 'info', '-benchmark', '-i', input,
    ...job.ffmpeg, '-threads', '1', '-y', output];
}

/**
 * Reads `file` back with ffprobe; throws unless its first audio stream is
 * `job.codec`, 48000 Hz, 2 channels, and its duration is within 25 ms of
 * {@link SECONDS}. Returns what ffprobe said.
 */
export async function checkAudio(file, job) {
  const r = await run('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries',
    'stream=codec_name,sample_rate,channels:format=duration', '-of', 'json', file]);
  if (r.code !== 0) throw new Error(`ffprobe ${path.basename(file)} exited ${r.code}:\n${tail(r.stderr)}`);
  const j = JSON.parse(r.stdout);
  const s = j.streams?.[0] ?? {};
  const got = { codec: s.codec_name, sample_rate: Number(s.sample_rate), channels: s.channels, duration: Number(j.format?.duration) };
  if (got.codec !== job.codec || got.sample_rate !== 48000 || got.channels !== 2 || !(Math.abs(got.duration - SECONDS) <= 0.025)) {
    throw new Error(`${path.basename(file)}: ffprobe says ${got.codec} ${got.sample_rate} Hz ${got.channels} ch ` +
      `${got.duration} s, expected ${job.codec} 48000 Hz 2 ch ${SECONDS} s ± 25 ms`);
  }
  return got;
}

/** One whole transcode of `input` with `preset`; returns the output (patched) and the summary. */
function transcode(fc, input, preset) {
  const t = new fc.AudioTranscoder(preset);
  try {
    const parts = [];
    for (let at = 0; at < input.length; at += PIECE) parts.push(t.push(input.subarray(at, at + PIECE)));
    const { output, summary, patches } = t.finish();
    parts.push(output);
    const data = Buffer.concat(parts);
    for (const p of patches) data.set(p.bytes, p.offset);
    return { data, summary };
  } finally {
    t.free();
  }
}

function main() {
  const usage = 'usage: audio.mjs --input FILE --preset aac|opus [--pkg FILE] [--runs N] [--seconds S] [--out FILE]';
  const args = { pkg: path.join(ROOT, 'pkg/node/framecast.js'), input: null, preset: null, runs: 5, seconds: SECONDS, out: null };
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i += 2) {
    const k = argv[i].replace(/^--/, '');
    const v = argv[i + 1];
    if (!(k in args) || v === undefined) throw new Error(usage);
    args[k] = ['runs', 'seconds'].includes(k) ? Number(v) : v;
  }
  const job = JOBS[args.preset];
  if (!job || !args.input || !(Number.isInteger(args.runs) && args.runs >= 1)) throw new Error(usage);
  const fc = createRequire(import.meta.url)(path.resolve(args.pkg));
  const input = new Uint8Array(fs.readFileSync(args.input));

  let last = transcode(fc, input, job.preset);
  const times = [];
  for (let i = 0; i < args.runs; i++) {
    const t0 = performance.now();
    last = transcode(fc, input, job.preset);
    times.push(performance.now() - t0);
  }
  if (args.out) fs.writeFileSync(args.out, last.data);
  const ms = median(times);
  console.log(JSON.stringify({
    job: args.preset, median_ms: Number(ms.toFixed(3)), run_ms: times.map((x) => Number(x.toFixed(3))),
    x_realtime: Number(((args.seconds * 1e3) / ms).toFixed(2)), seconds: args.seconds,
    output_bytes: last.data.length, summary: last.summary,
  }));
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) main();
