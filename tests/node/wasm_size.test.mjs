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

/**
 * Entries known to be over budget, with what is measured and what to do
 * (BENCHMARKS.md "Module size per entry point"). Their tests run and report
 * as TODO instead of failing `make test`.
 */
const OVER_BUDGET = {
};

let work, sizes;

before(() => {
  work = mkdtempSync(join(tmpdir(), 'framecast-size-'));
  execFileSync('tar', ['-xzf', packPackage(work), '-C', work]);
  sizes = wasmSizes(join(work, 'package'));
  for (const line of benchLines(sizes)) console.log(line);
});

after(() => rmSync(work, { recursive: true, force: true }));

/**
 * What each over-budget entry measured when it was split out (gzip -9
 * bytes): until it is cut to its budget it may not grow by more than 2 %
 * over this, so the TODO above cannot hide a regression.
 */

for (const [entry, bytes] of Object.entries(MEASURED)) {
  test(`framecast/${entry}: while over budget, its module grows no more than 2 % over ${bytes} bytes gzipped`, () => {
    const s = sizes.find((x) => x.entry === entry);
    const ceiling = Math.round(bytes * 1.02);
    assert.ok(s.gzip <= ceiling, `${s.subpath}: ${s.file} is ${s.gzip} bytes gzipped, over ${ceiling}`);
  });
}

for (const entry of ['publisher', 'publisher_aac', 'publisher_opus', 'mux', 'transcode']) {
  test(`framecast/${entry}: its wasm module is within its gzip budget`, { todo: OVER_BUDGET[entry] }, () => {
    const s = sizes.find((x) => x.entry === entry);
    assert.ok(s.gzip <= s.budget, `${s.subpath}: ${s.file} is ${s.gzip} bytes gzipped, over its budget of ${s.budget}`);
  });
}

test('each entry point\'s module is its own, smaller than the root module (everything)', () => {
  const root = sizes.find((s) => s.entry === 'root');
  for (const s of sizes.filter((x) => x !== root)) assert.ok(s.gzip < root.gzip, `${s.subpath} is no smaller than the root module`);
});
