// The README's "Errors" table against the package's behaviour: every code
// in the table is produced through the public API of the packed package
// (installed into a fresh app), in Node and, for the Publisher, in headless
// Chromium with a fake camera. Each error must be a FramecastError (for
// every copy of the class: the root build's, framecast/errors as ES module
// and as CommonJS, the publisher's), carry that code, and name the field
// the table documents. A code in the table that nothing here produces, or a
// code of the package missing from the table, fails the test.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installTarball, packPackage } from './support/npm_pack.mjs';
import { root } from './support/sources.mjs';
import { serveStatic } from '../../www/static.mjs';
import { FAKE_MEDIA_ARGS, launchChromium } from '../bench/browser.mjs';

/** The README's table: `[{ code, field }]`, `field` the column's text (`—` for none). */
function readmeTable() {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.split('\n## Errors\n')[1]?.split('\n## ')[0];
  assert.ok(section, 'README has an "Errors" section');
  const rows = section.split('\n').filter((l) => /^\| `[a-z-]+` \|/.test(l));
  return rows.map((row) => {
    const cells = row.split(' | ');
    return { code: /`([a-z-]+)`/.exec(cells[0])[1], field: cells[3].trim() };
  });
}

/** Mono 16-bit PCM WAV of `frames` samples of a 440 Hz tone at `rate`. */
function wav(rate, frames) {
  const bytes = new Uint8Array(44 + frames * 2);
  const v = new DataView(bytes.buffer);
  const text = (at, s) => [...s].forEach((c, i) => v.setUint8(at + i, c.charCodeAt(0)));
  text(0, 'RIFF');
  v.setUint32(4, 36 + frames * 2, true);
  text(8, 'WAVEfmt ');
  v.setUint32(16, 16, true);
  v.setUint16(20, 1, true);
  v.setUint16(22, 1, true);
  v.setUint32(24, rate, true);
  v.setUint32(28, rate * 2, true);
  v.setUint16(32, 2, true);
  v.setUint16(34, 16, true);
  text(36, 'data');
  v.setUint32(40, frames * 2, true);
  for (let i = 0; i < frames; i++) v.setInt16(44 + i * 2, Math.round(8000 * Math.sin((2 * Math.PI * 440 * i) / rate)), true);
  return bytes;
}

/** What a test needs to know of an error, as plain data. */
function describe(e, classes) {
  return {
    name: e?.name,
    code: e?.code,
    field: e?.field,
    instances: classes.map((c) => e instanceof c),
    problems: Array.isArray(e?.errors) ? e.errors.length : undefined,
    firstProblem: e?.errors?.[0]?.field,
    causeCode: e?.cause?.code,
  };
}

/** Calls `fn`; the error it throws or rejects with, or a marker that it did not. */
async function caught(fn) {
  try {
    await fn();
  } catch (e) {
    return e;
  }
  return new Error('did not throw');
}

/** Node: `[code, expectedField, error]` for every code Node can produce. */
async function nodeErrors(pkg, app) {
  const require = createRequire(join(app, 'index.cjs'));
  const fc = require('framecast');
  const { transcodeAudio } = await import(pathToFileURL(require.resolve('framecast/transcode')));
  const errorsEsm = await import(pathToFileURL(join(pkg, 'errors.js')));
  const errorsCjs = require('framecast/errors');
  const classes = [fc.FramecastError, errorsEsm.FramecastError, errorsCjs.FramecastError];
  const encoder = () => new fc.Encoder({ width: 64, height: 48, bitrate: 100_000 });
  const frame = new Uint8Array((64 * 48 * 3) / 2);
  const pcm = { name: 'pcm', container: 'wav', audio: { codec: 'pcm' } };
  const produced = [
    ['invalid-config', 'width', () => new fc.Encoder({ width: 17, height: 48 })],
    ['invalid-config', 'tracks[0].description', () => new fc.Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc' }] })],
    ['invalid-config', 'gainDb', () => transcodeAudio(wav(48000, 480), pcm, { gainDb: 99 })],
    ['invalid-preset', 'first', () => fc.parsePreset({ name: 'x', container: 'mp4', video: { bitRate: 1, maxWidth: 4097 } })],
    ['invalid-watermark', 'watermarks.BottomRight', () => new fc.FramePipeline({
      width: 64, height: 48, preset: '1351620000001-000010', watermarks: { BottomRight: new Uint8Array([137, 80, 78, 71, 1, 2]) },
    })],
    ['invalid-frame', 'data', () => encoder().encode(new Uint8Array(10), 0)],
    ['invalid-frame', 'timestamp', () => {
      const enc = encoder();
      enc.encode(frame, 1000);
      enc.encode(frame, 1000);
    }],
    ['invalid-state', undefined, () => {
      const enc = encoder();
      enc.free();
      enc.encode(frame, 0);
    }],
    ['invalid-state', undefined, () => {
      const muxer = new fc.Muxer({ tracks: [{ id: 1, kind: 'audio', codec: 'opus', channels: 2 }] });
      muxer.finish();
      muxer.push(1, { data: new Uint8Array([1]), timestamp: 0, keyframe: true });
    }],
    ['unsupported-input', undefined, () => transcodeAudio(new TextEncoder().encode('words, not audio'), pcm)],
    ['decode-error', undefined, () => new fc.Decoder().decode(new Uint8Array([1, 2, 3, 4, 5]), 0)],
    // 7350 Hz to 192 kHz: more than the resampler's 24 times.
    ['encode-error', undefined, () => transcodeAudio(wav(7350, 3675), { name: 'up', container: 'wav', audio: { codec: 'pcm', sampleRate: 192000 } })],
    ['mux-error', undefined, () => {
      // The fragment after number 2^32 - 1 has no number.
      const muxer = new fc.Muxer({ tracks: [{ id: 1, kind: 'audio', codec: 'opus', channels: 2 }], fragmentDuration: 100, firstSequenceNumber: 0xffffffff });
      for (let i = 0; i < 30; i++) muxer.push(1, { data: new Uint8Array([1, 2, 3]), timestamp: i * 20_000, keyframe: true });
    }],
    ['playlist-error', 'segments[1].sequence', () => fc.hlsMediaPlaylist({
      segments: [{ sequence: 1, start: 0, duration: 1e6, uri: '1.m4s' }, { sequence: 5, start: 1e6, duration: 1e6, uri: '5.m4s' }],
    })],
    ['aborted', undefined, () => transcodeAudio(wav(48000, 4800), pcm, { signal: AbortSignal.abort() })],
  ];
  const out = [];
  for (const [code, field, fn] of produced) out.push([code, field, describe(await caught(fn), classes)]);
  return out;
}

/**
 * Chromium: the Publisher's codes. One origin serves the package, and
 * stands in for a stream server: under /deny every upload gets 401
 * `unauthorized`; under /hang no upload is ever answered.
 */
async function browserErrors(pkg, t) {
  const hung = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    if (url.pathname.startsWith('/deny/')) {
      res.writeHead(401, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({ error: { code: 'unauthorized', message: 'a bearer token is required' } }));
    } else if (url.pathname.startsWith('/hang/')) {
      hung.push(res);
    } else if (url.pathname === '/') {
      res.writeHead(200, { 'Content-Type': 'text/html' }).end('<!doctype html><title>errors</title>');
    } else if (!serveStatic(req, res, { '/pkg/': pkg }, { cache: 'no-store' })) {
      res.writeHead(404).end('not found');
    }
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${server.address().port}`;
  const browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
  t.after(async () => {
    await browser.close();
    for (const res of hung) res.destroy();
    server.closeAllConnections();
    server.close();
  });
  const page = await browser.newPage();
  await page.goto(`${origin}/`);
  return page.evaluate(async (origin) => {
    const { Publisher, FramecastError, PublisherError } = await import('/pkg/publisher.js');
    const errors = await import('/pkg/errors.js');
    const classes = [FramecastError, errors.FramecastError, PublisherError];
    const describe = (e) => ({
      name: e?.name, code: e?.code, field: e?.field, instances: classes.map((c) => e instanceof c), causeCode: e?.cause?.code,
    });
    const caught = async (fn) => {
      try {
        await fn();
      } catch (e) {
        return describe(e);
      }
      return describe(new Error('did not throw'));
    };
    const next = (pub, type) => new Promise((resolve) => pub.on(type, resolve));
    const base = { endpoint: `${origin}/deny`, stream: 'cam', preset: 'webcam-360p', audio: false };
    const out = [];
    out.push(['worker-error', undefined, await caught(() => Publisher.create({ ...base, workerUrl: '/pkg/no-such-worker.js' }))]);
    out.push(['worker-error', 'audioWasmUrls', await caught(() => Publisher.create({ ...base, audio: true, audioWasmUrls: { aac: '/pkg/no-such.wasm' } }))]);
    out.push(['aborted', undefined, await caught(() => Publisher.create({ ...base, signal: AbortSignal.abort(new Error('user left')) }))]);

    const pub = await Publisher.create(base);
    out.push(['invalid-state', undefined, await caught(() => pub.stop())]);
    out.push(['unsupported-input', 'stream', await caught(() => pub.start(new MediaStream()))]);
    const getUserMedia = navigator.mediaDevices.getUserMedia;
    navigator.mediaDevices.getUserMedia = async () => {
      throw new DOMException('Permission denied', 'NotAllowedError');
    };
    out.push(['capture-failed', undefined, await caught(() => pub.start())]);
    navigator.mediaDevices.getUserMedia = getUserMedia;
    // The server refuses the init segment: the publisher fails.
    const failed = next(pub, 'error');
    await pub.start();
    out.push(['upload-failed', undefined, describe(await failed)]);

    const forced = await Publisher.create({ ...base, capture: { audio: 'worklet' }, audio: true });
    const worklet = globalThis.AudioWorkletNode;
    globalThis.AudioWorkletNode = undefined;
    out.push(['unsupported-runtime', 'capture.audio', await caught(() => forced.start())]);
    globalThis.AudioWorkletNode = worklet;
    forced.cancel();

    // Uploads that are never answered: stop() gives up after its timeout.
    const slow = await Publisher.create({ ...base, endpoint: `${origin}/hang` });
    await slow.start();
    await new Promise((r) => setTimeout(r, 500));
    const timedOut = next(slow, 'error');
    await slow.stop({ timeout: 300 });
    out.push(['stop-timeout', undefined, describe(await timedOut)]);
    return out;
  }, origin);
}

test("every code in the README's Errors table comes out of the packed package as a FramecastError with that code and field", async (t) => {
  const table = readmeTable();
  const work = mkdtempSync(join(tmpdir(), 'framecast-errors-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  installTarball(app, packPackage(work));
  const pkg = join(app, 'node_modules', 'framecast');

  const { ERROR_CODES } = await import(pathToFileURL(join(pkg, 'errors.js')));
  assert.deepEqual(table.map((r) => r.code), ERROR_CODES.filter((c) => c !== 'internal'),
    'the table lists every code but internal, in ERROR_CODES order');

  const results = [...await nodeErrors(pkg, app), ...await browserErrors(pkg, t)];
  for (const [code, field, e] of results) {
    const where = `${code} (${field ?? 'no field'})`;
    assert.equal(e.code, code, `${where}: ${JSON.stringify(e)}`);
    assert.equal(e.name, 'FramecastError', where);
    assert.ok(e.instances.every(Boolean), `${where}: instanceof every FramecastError copy ${JSON.stringify(e.instances)}`);
    if (field === 'first') {
      assert.ok(e.problems >= 2 && e.field === e.firstProblem, `${where}: every problem in errors, field the first's`);
    } else {
      assert.equal(e.field, field, `${where}: field`);
    }
  }
  const byCode = new Map(results.map(([code]) => [code, results.filter(([c]) => c === code)]));
  for (const { code, field } of table) {
    assert.ok(byCode.has(code), `${code} is in the README's table, but nothing in this test produces it`);
    const withField = byCode.get(code).some(([, , e]) => typeof e.field === 'string' && e.field.length > 0);
    assert.equal(withField, field !== '—', `${code}: the table ${field === '—' ? 'names no field' : `names a field (${field})`}`);
  }
  const upload = results.find(([c]) => c === 'upload-failed')[2];
  assert.equal(upload.causeCode, 'unauthorized', "upload-failed: the server's code is the cause's");
});
