// FramePipeline from JS (Node build): a preset's sizing, padding and a PNG
// watermark applied in wasm; its output checked pixel by pixel, and its
// errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { encodePng } from './support/png.mjs';
import { startMediaServer } from './support/media_server.mjs';
import { root } from './support/sources.mjs';
import { launchChromium } from '../bench/browser.mjs';

const fc = createRequire(import.meta.url)('../../pkg/node/framecast.js');

/** A 64x32 opaque pure red PNG. */
const RED = encodePng(64, 32, new Uint8Array(64 * 32 * 4).map((_, i) => [255, 0, 0, 255][i % 4]));

function preset(watermark) {
  return {
    name: 'test', container: 'fmp4',
    video: { bitRate: 1000, maxWidth: 640, maxHeight: 360, sizingPolicy: 'Fit', paddingPolicy: 'Pad' },
    watermarks: [{ id: 'logo', maxWidth: '64px', maxHeight: '32px', sizingPolicy: 'ShrinkToFit', ...watermark }],
  };
}

test('Fit + Pad with a watermark at the bottom right of the content, exact pixels', () => {
  // 4:3 grey input into 640x360: content 480x360 at x=80, black bars.
  const prep = new fc.FramePipeline({
    width: 320, height: 240, format: 'rgba',
    preset: preset({ horizontalAlign: 'Right', horizontalOffset: '10px', verticalAlign: 'Bottom', verticalOffset: '10px', target: 'Content' }),
    watermarks: { logo: RED },
  });
  assert.deepEqual([prep.outputWidth, prep.outputHeight], [640, 360]);
  const out = prep.process(new Uint8Array(320 * 240 * 4).fill(128));
  assert.equal(out.length, 640 * 360 * 1.5);
  const Y = (x, y) => out[y * 640 + x];
  const V = (x, y) => out[640 * 360 * 1.25 + (y >> 1) * 320 + (x >> 1)];
  assert.equal(Y(10, 100), 16, 'left bar is black');
  assert.equal(Y(630, 100), 16, 'right bar is black');
  // The content ends at x = 80 + 480 = 560; the watermark's right edge is
  // 10 px inside it, its bottom 10 px above the bottom: x 486..549, y 318..349.
  for (const [x, y] of [[486, 318], [549, 349], [520, 330]]) {
    assert.equal(Y(x, y), 81, `red luma at ${x},${y}`);
    assert.equal(V(x, y), 240, `red Cr at ${x},${y}`);
  }
  for (const [x, y] of [[485, 330], [550, 330], [520, 317], [520, 350]]) {
    assert.notEqual(Y(x, y), 81, `grey just outside the watermark at ${x},${y}`);
  }
});

test('a system preset by id; I420 input; rotation swaps the sides', () => {
  const prep = new fc.FramePipeline({ width: 1080, height: 1920, format: 'i420', preset: '1351620000001-000010', rotation: 90 });
  assert.deepEqual([prep.outputWidth, prep.outputHeight], [1280, 720], 'Generic 720p, ShrinkToFit of the rotated 1920x1080');
  assert.equal(prep.process(new Uint8Array(1080 * 1920 * 1.5).fill(100)).length, 1280 * 720 * 1.5);
});

test('bad options, presets, watermarks and frames are typed errors', () => {
  const codeOf = (fn) => {
    try {
      fn();
      return null;
    } catch (e) {
      return [e.code, e.field ?? null];
    }
  };
  const base = { width: 320, height: 240, preset: preset({}) };
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, watermarks: { logo: new Uint8Array([1, 2, 3]) } })), ['invalid-watermark', 'watermarks.logo']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, watermarks: { other: RED } })), ['invalid-config', 'watermarks.other']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, preset: 'no-such-id' })), ['invalid-config', 'preset']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, preset: { name: 'x', container: 'mp4', video: { bitRate: 1000, maxWidth: 4097 } } })), ['invalid-preset', 'video.maxWidth']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, rotation: 45 })), ['invalid-config', 'rotation']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, format: 'yuyv' })), ['invalid-config', 'format']);
  assert.deepEqual(codeOf(() => new fc.FramePipeline({ ...base, width: 321 })), ['invalid-config', null]);
  const prep = new fc.FramePipeline(base);
  assert.deepEqual(codeOf(() => prep.process(new Uint8Array(10))), ['invalid-frame', null]);
  assert.equal(prep.process(new Uint8Array(320 * 240 * 4)).length, 640 * 360 * 1.5, 'usable after an error');
});

test("the README's FramePipeline example runs as written (headless Chromium, the web build)", async (t) => {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const example = [...readme.matchAll(/```js\n([\s\S]*?)```/g)].map((m) => m[1]).find((code) => code.includes('new FramePipeline('));
  assert.ok(example, 'README has a js example with new FramePipeline(');
  const dir = mkdtempSync(join(tmpdir(), 'framecast-readme-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  writeFileSync(join(dir, 'logo.png'), RED);
  // The example's free names: a PNG and a 1920x1080 grey RGBA frame.
  writeFileSync(join(dir, 'example.mjs'), `const pngBytes = new Uint8Array(await (await fetch('/logo.png')).arrayBuffer());
const rgbaBytes = new Uint8Array(1920 * 1080 * 4).fill(128);
${example}
window.result = { w: prep.outputWidth, h: prep.outputHeight, i420: Array.from(i420) };
`);
  writeFileSync(join(dir, 'index.html'), `<!doctype html><meta charset="utf-8">
<script type="importmap">{ "imports": { "framecast": "/pkg/web/framecast.js" } }</script>
<script type="module">import('/example.mjs').catch((e) => { window.failure = String(e && e.stack || e); });</script>`);
  const { origin, server } = await startMediaServer({ '/pkg/': `${root}pkg`, '/': dir });
  const browser = await launchChromium();
  t.after(async () => {
    await browser.close();
    server.closeAllConnections();
    server.close();
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/index.html`);
  await page.waitForFunction(() => window.result || window.failure, null, { timeout: 30000 });
  const { result, failure } = await page.evaluate(() => ({ result: window.result, failure: window.failure }));
  assert.equal(failure, undefined, failure);
  assert.deepEqual([result.w, result.h, result.i420.length], [1280, 720, 1280 * 720 * 1.5], '1280x720 I420, as the comment says');
  // The red PNG is in the BottomRight slot (10 % in from the corner), not elsewhere.
  const Y = (x, y) => result.i420[y * 1280 + x];
  const red = (x0, y0, x1, y1) => {
    let n = 0;
    for (let y = y0; y < y1; y += 2) for (let x = x0; x < x1; x += 2) if (Y(x, y) === 81) n += 1;
    return n;
  };
  assert.ok(red(640, 360, 1280, 720) > 100, 'the watermark in the bottom right quarter');
  assert.equal(red(0, 0, 640, 360), 0, 'nothing in the top left quarter');
});
