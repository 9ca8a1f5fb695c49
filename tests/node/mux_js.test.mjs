// A Node user's end-to-end path through the npm package's Node build:
// encode 3 s of video with `Encoder` (format "avc"), mux it with `Muxer`,
// write init + fragments and the playlists, and let ffprobe (a referee we
// did not write) read the result: every packet there, timestamps as pushed,
// keyframes exactly at the fragment starts.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const require = createRequire(import.meta.url);
const root = new URL('../../', import.meta.url).pathname;
const fc = require(`${root}pkg/node/framecast.js`);

const W = 320, H = 240, FPS = 30, FRAMES = 90, GOP = 30;
const usOf = (i) => Math.round(i * 1e6 / FPS);

/** A moving gradient (I420), so that P-frames carry data. */
function frame(i) {
  const f = new Uint8Array(W * H * 3 / 2).fill(128);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f[y * W + x] = ((x + 2 * y + 5 * i) % 200) + 20;
  return f;
}

/** Encodes FRAMES frames and muxes them; returns { chunks, events, muxer }. */
function encodeAndMux(muxOptions = {}) {
  const enc = new fc.Encoder({ width: W, height: H, bitrate: 500_000, keyframeInterval: GOP, format: 'avc' });
  const chunks = [];
  let muxer = null;
  const events = [];
  for (let i = 0; i < FRAMES; i++) {
    const chunk = enc.encode(frame(i), usOf(i));
    // Like WebCodecs: the first output carries the decoder config (avcC).
    muxer ??= new fc.Muxer({
      tracks: [{ id: 1, kind: 'video', codec: 'avc', description: chunk.avcc }],
      fragmentDuration: 1000,
      ...muxOptions,
    });
    const sample = { data: chunk.data, timestamp: chunk.timestamp, duration: usOf(i + 1) - usOf(i), keyframe: chunk.keyframe };
    chunks.push(sample);
    events.push(...muxer.push(1, sample));
  }
  events.push(...muxer.finish());
  return { chunks, events, muxer };
}

function ffprobe(file, extra = []) {
  const out = execFileSync('ffprobe', ['-v', 'error', ...extra, '-show_packets', '-show_streams', '-of', 'json', file]);
  return JSON.parse(out.toString());
}

test('Muxer output read back by ffprobe: packets, timestamps and keyframes as pushed', () => {
  const { chunks, events, muxer } = encodeAndMux();
  const init = events.filter((e) => e.type === 'init');
  const fragments = events.filter((e) => e.type === 'fragment');
  assert.equal(init.length, 1);
  assert.deepEqual(fragments.map((f) => f.sequenceNumber), [1, 2, 3]);
  assert.deepEqual(fragments.map((f) => f.start), [0, 1e6, 2e6]);
  assert.deepEqual(fragments.map((f) => f.duration), [1e6, 1e6, 1e6]);
  assert.ok(fragments.every((f) => f.keyframe && f.bytes instanceof Uint8Array));

  const dir = mkdtempSync(join(tmpdir(), 'framecast-mux-'));
  try {
    const file = join(dir, 'stream.mp4');
    writeFileSync(file, Buffer.concat([init[0].bytes, ...fragments.map((f) => f.bytes)]));
    const probe = ffprobe(file);
    const [stream] = probe.streams;
    assert.equal(stream.codec_name, 'h264');
    assert.equal(stream.width, W);
    assert.equal(stream.height, H);
    const packets = probe.packets;
    assert.equal(packets.length, FRAMES, 'one packet per pushed sample');
    const tb = stream.time_base.split('/').map(Number);
    const toUs = (t) => Math.round(t * tb[0] * 1e6 / tb[1]);
    for (let i = 0; i < FRAMES; i++) {
      const p = packets[i];
      assert.equal(p.pts, p.dts, `packet ${i}: no reordering`);
      if (i > 0) assert.ok(p.dts > packets[i - 1].dts, `packet ${i}: dts increases`);
      assert.equal(toUs(p.pts), chunks[i].timestamp, `packet ${i}: pts as pushed (µs)`);
      assert.equal(Number(p.size), chunks[i].data.length, `packet ${i}: size as pushed`);
      const key = p.flags.includes('K');
      assert.equal(key, chunks[i].keyframe, `packet ${i}: keyframe flag`);
    }
    const keyTimes = packets.filter((p) => p.flags.includes('K')).map((p) => toUs(p.pts));
    assert.deepEqual(keyTimes, fragments.map((f) => f.start), 'keyframes exactly at the fragment starts');

    // The playlists, as a Node packager would write them; ffmpeg's HLS
    // demuxer plays the media playlist back.
    mkdirSync(join(dir, 'v'));
    writeFileSync(join(dir, 'v/init.mp4'), init[0].bytes);
    for (const f of fragments) writeFileSync(join(dir, `v/${f.sequenceNumber}.m4s`), f.bytes);
    const segments = fragments.map((f) => ({
      sequence: f.sequenceNumber, start: f.start, duration: f.duration, uri: `v/${f.sequenceNumber}.m4s`, bytes: f.bytes.length,
    }));
    const media = fc.hlsMediaPlaylist({ init: 'v/init.mp4', segments });
    assert.match(media, /#EXT-X-TARGETDURATION:1\n/);
    writeFileSync(join(dir, 'video.m3u8'), media);
    const [codec] = muxer.codecs();
    assert.equal(codec, init[0].codecs[0]);
    assert.match(codec, /^avc1\.[0-9a-f]{6}$/);
    const bw = muxer.bandwidth(1);
    const master = fc.hlsMultivariantPlaylist({
      variants: [{ uri: 'video.m3u8', bandwidth: bw.peak, averageBandwidth: bw.average, codecs: muxer.codecs(),
        resolution: { width: W, height: H }, frameRate: FPS }],
    });
    assert.ok(master.includes(`CODECS="${codec}",RESOLUTION=${W}x${H}`), master);
    const mpd = fc.dashMpd({
      adaptationSets: [{ representations: [{ id: 'v', codecs: codec, width: W, height: H, frameRate: FPS,
        init: 'v/init.mp4', media: 'v/$Number$.m4s', segments }] }],
    });
    assert.match(mpd, /<S t="0" d="1000000" r="2"\/>/);
    const hls = ffprobe(join(dir, 'video.m3u8'));
    assert.equal(hls.packets.length, FRAMES, 'ffmpeg reads every packet through the playlist');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('LL-HLS parts concatenate to their fragment and ffprobe reads them too', () => {
  const { events } = encodeAndMux({ partDuration: 500 });
  const parts = events.filter((e) => e.type === 'part');
  const fragments = events.filter((e) => e.type === 'fragment');
  assert.equal(parts.length, 6);
  assert.deepEqual(parts.map((p) => p.independent), [true, false, true, false, true, false]);
  for (const f of fragments) {
    const mine = parts.filter((p) => p.sequenceNumber === f.sequenceNumber);
    assert.deepEqual(Buffer.concat(mine.map((p) => p.bytes)), Buffer.from(f.bytes));
    assert.deepEqual(f.parts.map((p) => p.duration), mine.map((p) => p.duration));
  }
  const dir = mkdtempSync(join(tmpdir(), 'framecast-mux-'));
  try {
    const file = join(dir, 'parts.mp4');
    writeFileSync(file, Buffer.concat([events[0].bytes, ...parts.map((p) => p.bytes)]));
    assert.equal(ffprobe(file).packets.length, FRAMES);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('Muxer errors carry a stable code and field', () => {
  assert.throws(() => new fc.Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc' }] }),
    (e) => e.code === 'invalid-config' && e.field === 'tracks[0].description');
  const { chunks } = encodeAndMux();
  const enc = new fc.Encoder({ width: W, height: H, format: 'avc' });
  const avcc = enc.encode(frame(0), 0).avcc;
  const muxer = new fc.Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc', description: avcc }] });
  assert.throws(() => muxer.push(2, chunks[0]), (e) => e.code === 'invalid-frame' && e.field === 'trackId');
  assert.throws(() => muxer.push(1, { ...chunks[1], timestamp: 0 }), (e) => e.code === 'invalid-frame' && e.field === 'keyframe');
  assert.equal(muxer.push(1, chunks[0]).length, 1);
  assert.throws(() => muxer.push(1, chunks[0]), (e) => e.code === 'invalid-frame' && e.field === 'timestamp');
  assert.throws(() => fc.hlsMediaPlaylist({ segments: [], windw: 3 }), (e) => e.code === 'invalid-config');
});
