// The package's TypeScript declarations against the code that reads and
// writes the objects they describe, both ways, on the packed package:
//
// - inputs: tests/node/types/contract/inputs.ts types sample objects for
//   each options type (`EncoderConfig`, `Preset`, `FramePipelineOptions`,
//   `AudioTranscodeOptions`). `tsc --strict` compiles it against the
//   package (its @ts-expect-error lines: the declarations refuse those
//   objects) and emits it; every object the declarations accept must then
//   be accepted by the real API, and every one they refuse be refused with
//   `invalid-config` or `invalid-preset`.
// - outputs: what the API returns (`encoder.config`, `parsePreset`,
//   `systemPresets`, the transcoder's progress and finish, and the
//   hand-written `webcamPresets`, `buildInfo` and `Muxer` events) is written
//   out as TypeScript literals typed with the declared types, and `tsc
//   --strict` must accept them: a missing field, an extra one, `null` where
//   the declaration says optional, or bytes that are not a `Uint8Array`
//   fail the compile.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installedApp } from './support/npm_pack.mjs';
import { root } from './support/sources.mjs';

const TSC = `${root}tests/node_modules/.bin/tsc`;

const COMPILER = {
  strict: true,
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  lib: ['ES2022', 'DOM'],
  skipLibCheck: false,
  types: [],
};

/** Runs tsc on `project`; fails with tsc's output if it reports anything. */
function tsc(project, label) {
  const r = spawnSync(TSC, ['-p', project, '--pretty', 'false'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc (${label}) reported:\n${r.stdout}${r.stderr}`);
}

/** `value` as a TypeScript expression: plain data, with `Uint8Array`s as such. */
function literal(value, path = 'value') {
  if (value === undefined) return 'undefined';
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'number') {
    assert.ok(Number.isFinite(value), `${path} is ${value}`);
    return String(value);
  }
  if (value instanceof Uint8Array) return `new Uint8Array(${value.length})`;
  if (Array.isArray(value)) return `[${value.map((v, i) => literal(v, `${path}[${i}]`)).join(', ')}]`;
  assert.equal(Object.getPrototypeOf(value), Object.prototype, `${path} is a plain object`);
  const fields = Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${literal(v, `${path}.${k}`)}`);
  return `{ ${fields.join(', ')} }`;
}

/** A WAV file: `seconds` of a 440 Hz tone, 48 kHz stereo 16-bit. */
function wav(seconds) {
  const frames = Math.round(48_000 * seconds);
  const bytes = new Uint8Array(44 + frames * 4);
  const v = new DataView(bytes.buffer);
  const text = (at, s) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF'); v.setUint32(4, 36 + frames * 4, true); text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true); v.setUint16(20, 1, true); v.setUint16(22, 2, true);
  v.setUint32(24, 48_000, true); v.setUint32(28, 48_000 * 4, true); v.setUint16(32, 4, true); v.setUint16(34, 16, true);
  text(36, 'data'); v.setUint32(40, frames * 4, true);
  for (let i = 0; i < frames; i++) {
    const s = Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / 48_000));
    v.setInt16(44 + i * 4, s, true);
    v.setInt16(46 + i * 4, s, true);
  }
  return bytes;
}

test('the declarations and the API agree on what goes in and what comes out', async (t) => {
  const { work, app } = installedApp('framecast-contract-');
  t.after(() => rmSync(work, { recursive: true, force: true }));
  mkdirSync(join(app, 'src'));
  cpSync(`${root}tests/node/types/contract/inputs.ts`, join(app, 'src', 'inputs.ts'));
  const inputsProject = join(app, 'tsconfig.inputs.json');
  writeFileSync(inputsProject, JSON.stringify({ compilerOptions: { ...COMPILER, rootDir: 'src', outDir: 'out' }, files: ['src/inputs.ts'] }));
  tsc(inputsProject, 'inputs.ts');
  const samples = await import(pathToFileURL(join(app, 'out', 'inputs.js')).href);
  const fc = await import(pathToFileURL(join(app, 'node_modules', 'framecast', 'node', 'framecast.mjs')).href);
  const { FramecastError } = fc;

  const wavPreset = { name: 'w', container: 'wav', audio: { codec: 'pcm' } };
  const make = {
    encoderConfigs: (c) => new fc.Encoder(c),
    presets: (p) => fc.parsePreset(p),
    framePipelineOptions: (o) => new fc.FramePipeline(o),
    audioTranscodeOptions: (o) => new fc.AudioTranscoder(wavPreset, o),
  };
  const made = {};
  for (const [name, use] of Object.entries(make)) {
    const { accepted, refused } = samples[name];
    assert.ok(accepted.length > 0 && refused.length > 0, `${name}: samples both ways`);
    made[name] = accepted.map((sample, i) => {
      try {
        return use(sample);
      } catch (e) {
        assert.fail(`${name}.accepted[${i}] ${JSON.stringify(sample)} is refused: ${e.code} ${e.field ?? ''} ${e.message}`);
      }
    });
    refused.forEach((sample, i) => {
      assert.throws(() => use(sample), (e) => e instanceof FramecastError && ['invalid-config', 'invalid-preset'].includes(e.code),
        `${name}.refused[${i}] ${JSON.stringify(sample)} is accepted`);
    });
  }

  // What comes out, typed as declared.
  const outputs = [];
  const out = (type, value, label) => outputs.push(`export const ${label}: ${type} = ${literal(value, label)};`);
  made.encoderConfigs.forEach((enc, i) => out('EncoderConfig', enc.config, `encoderConfig${i}`));
  made.presets.forEach((p, i) => out('Preset', p, `parsed${i}`));
  out('Preset[]', fc.systemPresets(), 'systemPresets');
  out('WebcamPreset[]', fc.webcamPresets(), 'webcamPresets');
  out('BuildInfo', fc.buildInfo(), 'buildInfo');
  for (const [label, preset] of [['wav', wavPreset], ['flac', { name: 'f', container: 'flac', audio: { codec: 'flac' } }],
    ['m4a', { name: 'a', container: 'mp4', audio: { codec: 'AAC', bitRate: 96 } }]]) {
    const transcoder = new fc.AudioTranscoder(preset, { extension: 'wav' });
    out('AudioTranscodeProgress', transcoder.progress(), `${label}Before`);
    transcoder.push(wav(0.2));
    out('AudioTranscodeProgress', transcoder.progress(), `${label}Progress`);
    const finish = transcoder.finish();
    out('AudioTranscoderFinish', finish, `${label}Finish`);
    out('AudioTranscodeProgress', transcoder.progress(), `${label}After`);
    if (label !== 'm4a') assert.ok(finish.patches.length > 0, `${label}: the finish has header patches to check`);
    transcoder.free();
  }
  const encoder = new fc.Encoder({ width: 64, height: 48, format: 'avc' });
  const chunk = encoder.encode(new Uint8Array((64 * 48 * 3) / 2).fill(128), 0);
  const muxer = new fc.Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc', description: chunk.avcc }], fragmentDuration: 1000, partDuration: 500 });
  const events = [...muxer.push(1, { data: chunk.data, timestamp: 0, keyframe: true }), ...muxer.finish()];
  assert.deepEqual([...new Set(events.map((e) => e.type))].sort(), ['fragment', 'init', 'part'], 'every kind of mux event is checked');
  out('MuxEvent[]', events, 'muxEvents');
  out('MuxBandwidth | undefined', muxer.bandwidth(1), 'bandwidth');

  const names = ['BuildInfo', 'EncoderConfig', 'Preset', 'WebcamPreset', 'AudioTranscodeProgress', 'AudioTranscoderFinish', 'MuxEvent', 'MuxBandwidth'];
  writeFileSync(join(app, 'src', 'outputs.ts'), `import type { ${names.join(', ')} } from 'framecast';\n${outputs.join('\n')}\n`);
  const outputsProject = join(app, 'tsconfig.outputs.json');
  writeFileSync(outputsProject, JSON.stringify({ compilerOptions: { ...COMPILER, noEmit: true }, files: ['src/outputs.ts'] }));
  tsc(outputsProject, 'outputs.ts');
});
