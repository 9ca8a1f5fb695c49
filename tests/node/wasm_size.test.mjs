// The size of each npm entry point's wasm module in the packed package
// (gzip -9 of the .wasm a browser downloads), against its budget:
// publisher <= 700,000 bytes, mux (muxing and playlists, no codec) <=
// 150,000, transcode <= 1,500,000; the publisher's on-demand audio
// encoder modules (AAC, Opus) <= their size when split out + 2 %. Prints
// the `bench:` lines that `make bench` prints too
// (tests/bench/wasm_size.mjs).
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { packPackage } from './support/npm_pack.mjs';
import { benchLines, wasmSizes } from '../bench/wasm_size.mjs';

let work, sizes;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'framecast-size-'));
  execFileSync('tar', ['-xzf', packPackage(work), '-C', work]);
  sizes = wasmSizes(join(work, 'package'));
  for (const line of benchLines(sizes)) console.log(line);
});

after(() => rmSync(work, { recursive: true, force: true }));

for (const entry of ['publisher', 'publisher_aac', 'publisher_opus', 'mux', 'transcode']) {
  test(`framecast/${entry}: its wasm module is within its gzip budget`, () => {
    const s = sizes.find((x) => x.entry === entry);
    assert.ok(s.gzip <= s.budget, `${s.subpath}: ${s.file} is ${s.gzip} bytes gzipped, over its budget of ${s.budget}`);
  });
}

test('each entry point\'s module is its own, smaller than the root module (everything)', () => {
  const root = sizes.find((s) => s.entry === 'root');
  for (const s of sizes.filter((x) => x !== root)) assert.ok(s.gzip < root.gzip, `${s.subpath} is no smaller than the root module`);
});
