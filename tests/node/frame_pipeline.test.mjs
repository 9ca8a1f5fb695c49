// FramePipeline from JS (Node build): a preset's sizing, padding and a PNG
// watermark applied in wasm; its output checked pixel by pixel, and its
// errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { encodePng } from './support/png.mjs';

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
