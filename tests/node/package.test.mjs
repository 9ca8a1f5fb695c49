// Tests the npm package as users receive it: `npm pack` the assembled
// package, install the tarball into a fresh app, then use it from both
// module systems. Installs offline from the local tarball only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTarball, packPackage } from './support/npm_pack.mjs';

test('npm tarball installs and encodes from ESM and CommonJS', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'framecast-pkg-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const tarball = packPackage(work);
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  installTarball(app, tarball);
  const probe = `
    const w = 64, h = 48;
    const enc = new fc.Encoder({ width: w, height: h, bitrate: 100000 });
    const c = enc.encode(new Uint8Array(w * h * 3 / 2).fill(100), 0);
    console.log(JSON.stringify({ type: c.type, codec: c.codec, build: fc.buildInfo().openh264 }));
  `;
  writeFileSync(join(app, 'esm.mjs'), `import * as fc from 'framecast';\n${probe}`);
  writeFileSync(join(app, 'cjs.cjs'), `const fc = require('framecast');\n${probe}`);
  for (const file of ['esm.mjs', 'cjs.cjs']) {
    const out = JSON.parse(execFileSync('node', [file], { cwd: app }).toString());
    assert.equal(out.type, 'key', file);
    assert.match(out.codec, /^avc1\.4d[0-9a-f]{4}$/, file);
    assert.match(out.build, /^wasm/, file);
  }
  // framecast/transcode resolves from an app and runs (a 0.1 s WAV to Ogg
  // Opus), and FDK AAC's licence ships with the encoder.
  writeFileSync(join(app, 'transcode.mjs'), `
    import { transcodeAudio } from 'framecast/transcode';
    const frames = 4800, header = new DataView(new ArrayBuffer(44));
    const w = (at, s) => [...s].forEach((c, i) => header.setUint8(at + i, c.charCodeAt(0)));
    w(0, 'RIFF'); header.setUint32(4, 36 + frames * 2, true); w(8, 'WAVEfmt '); header.setUint32(16, 16, true);
    header.setUint16(20, 1, true); header.setUint16(22, 1, true); header.setUint32(24, 48000, true);
    header.setUint32(28, 96000, true); header.setUint16(32, 2, true); header.setUint16(34, 16, true);
    w(36, 'data'); header.setUint32(40, frames * 2, true);
    const wav = new Uint8Array(44 + frames * 2);
    wav.set(new Uint8Array(header.buffer));
    const { summary } = await transcodeAudio(wav, { name: 'o', container: 'ogg', audio: { codec: 'opus', bitRate: 64 } });
    console.log(JSON.stringify(summary));
  `);
  const summary = JSON.parse(execFileSync('node', ['transcode.mjs'], { cwd: app }).toString());
  assert.deepEqual([summary.codec, summary.frames, summary.channels], ['opus', 4800, 1]);
  assert.match(readFileSync(join(app, 'node_modules/framecast/FDK-AAC-NOTICE'), 'utf8'), /Fraunhofer/);
});
