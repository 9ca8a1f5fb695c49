// The npm package in a bundled app: the packed tarball is installed into a
// fresh copy of tests/vite-app, built with Vite (production build: the
// publisher's Worker and framecast_bg.wasm become hashed assets), served
// from dist/ and run in Chromium, where it publishes the fake camera to a
// real framecast-server. The app lives in tests/.tmp-vite-<pid> so that its
// vite.config.js finds vite in tests/node_modules.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { build } from 'vite';
import { root } from './support/sources.mjs';
import { installTarball, packPackage } from './support/npm_pack.mjs';
import { FAKE_MEDIA_ARGS, launchChromium, openPage } from '../bench/browser.mjs';
import { serveStatic } from '../../www/static.mjs';
import { startStreamServer } from '../../www/stream_server.mjs';

const app = `${root}tests/.tmp-vite-${process.pid}`;
const STREAM = 'vite';
const SECONDS = 5;

let work, streams, site, browser;

before(async () => {
  work = mkdtempSync(join(tmpdir(), 'framecast-vite-'));
  cpSync(`${root}tests/vite-app`, app, { recursive: true });
  installTarball(app, packPackage(work));
  await build({ root: app, logLevel: 'warn' });
  site = createServer((req, res) => {
    if (!serveStatic(req, res, { '/': `${app}/dist` }, { cache: 'no-store' })) res.writeHead(404).end('not found');
  });
  await new Promise((resolve) => site.listen(0, '127.0.0.1', resolve));
  streams = await startStreamServer({ dataDir: join(work, 'data') });
  browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
});

after(async () => {
  await browser?.close();
  await streams?.stop();
  site?.closeAllConnections();
  site?.close();
  rmSync(app, { recursive: true, force: true });
  if (work) rmSync(work, { recursive: true, force: true });
});

test('a Vite build of an app using the tarball publishes the camera in Chromium', async () => {
  const origin = `http://127.0.0.1:${site.address().port}`;
  const { page, errors, close } = await openPage(browser, origin, { allow: [streams.origin] });
  try {
    const qs = new URLSearchParams({ endpoint: streams.origin, stream: STREAM, seconds: String(SECONDS) });
    await page.goto(`${origin}/?${qs}`);
    await page.waitForFunction(() => window.result, null, { timeout: (SECONDS + 25) * 1000 });
    const result = await page.evaluate(() => window.result);
    assert.deepEqual(result.errors, [], 'errors in the app');
    assert.deepEqual(errors, [], 'errors on the page');
    assert.match(result.build.openh264, /^wasm/, 'the main entry (framecast) loaded its wasm');
    assert.deepEqual([result.video.width, result.video.height], [640, 360]);
    assert.ok(result.fragments.length >= 3, `${result.fragments.length} fragments acknowledged`);
    assert.equal(result.complete, true, 'stop() flushed every fragment and the end mark');
    assert.equal(result.state, 'stopped');

    const r = await fetch(`${streams.origin}/streams/${STREAM}`);
    assert.equal(r.status, 200, `GET /streams/${STREAM}`);
    const info = await r.json();
    assert.equal(info.ended, true);
    const video = info.tracks.find((t) => t.name === 'video');
    assert.ok(video, 'the stream has a video track');
    assert.deepEqual(
      [video.firstSequence, video.lastSequence, video.missing, video.width, video.height],
      [1, video.fragments, 0, 640, 360],
    );
    assert.equal(video.fragments, result.fragments.length, 'every stored fragment was acknowledged');
    const audio = info.tracks.find((t) => t.name === 'audio');
    assert.ok(audio && audio.fragments >= 2, 'the microphone was published too');
    assert.equal(audio.fragments, result.audioFragments.length, 'every stored audio fragment was acknowledged');
  } finally {
    await close();
  }
});
