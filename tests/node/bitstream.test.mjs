// The wasm build of OpenH264 must produce the same bitstream as the native
// C build (no assembly) for the same input: same sources, same compiler
// (clang-22), same settings, single thread, so any difference is a bug.
// The native build with x86 assembly is compared too and the outcome printed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createHash } from 'node:crypto';
import { e2e, nativeCDir, nativeDir, testsrc2 } from './support/sources.mjs';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url).pathname;
const fc = require(`${root}pkg/node/framecast.js`);

const W = 640, H = 480, FRAMES = 60, BITRATE = 1_000_000;

function native(bin, input, out, profile) {
  const line = execFileSync(bin, [input, String(W), String(H), '--bitrate', String(BITRATE), '--profile', profile, '--out', out]);
  return JSON.parse(line.toString());
}

const sha = (b) => createHash('sha256').update(b).digest('hex').slice(0, 16);

for (const profile of ['baseline', 'main']) {
  test(`wasm and native C (no asm) encode ${profile} identically`, () => {
    const input = testsrc2(`${W}x${H}`, FRAMES);
    const raw = readFileSync(input);
    const size = W * H * 3 / 2;
    const enc = new fc.Encoder({ width: W, height: H, bitrate: BITRATE, profile });
    const parts = [];
    for (let i = 0; i < FRAMES; i++) {
      const ts = Math.round(i * 1e6 / 30);
      parts.push(Buffer.from(enc.encode(raw.subarray(i * size, (i + 1) * size), ts).data));
    }
    const wasm = Buffer.concat(parts);
    writeFileSync(`${e2e}/wasm_${profile}.h264`, wasm);

    const cOut = `${e2e}/native_c_${profile}.h264`;
    const c = native(`${nativeCDir}/examples/h264_encode`, input, cOut, profile);
    assert.equal(c.encoder, 'framecast native (c -O3)');
    const nativeC = readFileSync(cOut);
    assert.equal(wasm.length, nativeC.length, 'same size');
    assert.ok(wasm.equals(nativeC), `wasm ${sha(wasm)} != native C ${sha(nativeC)}`);

    const aOut = `${e2e}/native_asm_${profile}.h264`;
    native(`${nativeDir}/examples/h264_encode`, input, aOut, profile);
    const asm = readFileSync(aOut);
    console.log(`# ${profile}: wasm = native C = ${sha(wasm)} (${wasm.length} B); native asm ${asm.equals(wasm) ? 'identical' : `differs: ${sha(asm)} (${asm.length} B)`}`);
  });
}
