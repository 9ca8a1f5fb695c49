// The publisher's on-demand audio encoder modules (web-publisher-aac/,
// web-publisher-opus/: cargo feature `audio-encoder` with `aac` or `opus`)
// as the Worker uses them: `LiveAudioEncoder` from the preset's audio
// section, its configuration record, packets as one object, and the typed
// errors, including a codec the module does not carry. The Chromium side
// (which module a stream fetches) is in publish.test.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { root } from './support/sources.mjs';

/** The web build in `dir`, initialised from its bytes. */
async function load(dir) {
  const mod = await import(`${root}pkg/${dir}/framecast.js`);
  mod.initSync({ module: new WebAssembly.Module(readFileSync(`${root}pkg/${dir}/framecast_bg.wasm`)) });
  return mod;
}

/** One second of a 440 Hz tone, interleaved, at `rate` Hz. */
function tone(rate, channels) {
  const pcm = new Float32Array(rate * channels);
  for (let i = 0; i < rate; i++) for (let c = 0; c < channels; c++) pcm[i * channels + c] = 0.3 * Math.sin((2 * Math.PI * 440 * i) / rate);
  return pcm;
}

/** Checks `{ data, sizes, durations }` and returns the packet count. */
function packets(out, duration) {
  assert.ok(out.data instanceof Uint8Array && out.sizes instanceof Uint32Array && out.durations instanceof Uint32Array);
  assert.equal(out.sizes.length, out.durations.length);
  assert.equal(out.sizes.reduce((a, b) => a + b, 0), out.data.length, 'sizes add up to the data');
  assert.ok(out.durations.every((d) => d === duration), `every packet lasts ${duration} samples`);
  return out.sizes.length;
}

const refused = (f) => {
  try {
    f();
  } catch (e) {
    return [e.name, e.code, e.field];
  }
  return null;
};

test('the Opus module encodes the preset\'s Opus and refuses AAC with invalid-config on audio.codec', async () => {
  const { LiveAudioEncoder } = await load('web-publisher-opus');
  const enc = new LiveAudioEncoder({ codec: 'opus', sampleRate: 48000, bitRate: 64, channels: 'auto' }, 44100, 2);
  assert.deepEqual([enc.codec, enc.sampleRate, enc.channels, enc.delay], ['Opus', 48000, 2, 312]);
  assert.equal(new TextDecoder().decode(enc.config.subarray(0, 8)), 'OpusHead');
  assert.equal(enc.config.length, 19);
  const n = packets(enc.encode(tone(48000, 2)), 960) + packets(enc.flush(), 960);
  assert.ok(n >= 50, `${n} packets for 1 s`);
  assert.deepEqual(refused(() => new LiveAudioEncoder({ codec: 'AAC', bitRate: 128 }, 48000, 1)), ['FramecastError', 'invalid-config', 'audio.codec']);
  assert.deepEqual(refused(() => new LiveAudioEncoder({ codec: 'opus', bitRate: 1 }, 48000, 1)), ['FramecastError', 'invalid-config', 'audio']);
  assert.deepEqual(refused(() => new LiveAudioEncoder({ codec: 'opus', bitrate: 64 }, 48000, 1))?.[1], 'invalid-config', 'unknown fields are refused');
});

test('the AAC module encodes AAC-LC and refuses Opus with invalid-config on audio.codec', async () => {
  const { LiveAudioEncoder } = await load('web-publisher-aac');
  const enc = new LiveAudioEncoder({ codec: 'AAC', sampleRate: 48000, bitRate: 128, channels: 'auto' }, 48000, 1);
  assert.deepEqual([enc.codec, enc.sampleRate, enc.channels], ['AAC', 48000, 1]);
  assert.ok(enc.delay >= 1024, `priming ${enc.delay}`);
  // AudioSpecificConfig: AAC-LC (object type 2), 48 kHz (index 3), mono.
  assert.deepEqual([...enc.config], [0x11, 0x88]);
  const n = packets(enc.encode(tone(48000, 1)), 1024) + packets(enc.flush(), 1024);
  assert.ok(n >= 46, `${n} packets for 1 s`);
  assert.deepEqual(refused(() => new LiveAudioEncoder({ codec: 'opus', bitRate: 64 }, 48000, 1)), ['FramecastError', 'invalid-config', 'audio.codec']);
});
