// Tests the npm package as users receive it: `npm pack` the assembled
// package, install the tarball into a fresh app, then use it from both
// module systems. Installs offline from the local tarball only.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
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
});
