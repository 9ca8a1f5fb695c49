// End to end, as a user runs it: the demo page (www/) publishes Chromium's
// fake camera with the npm package's Publisher (Worker: OpenH264 in wasm ->
// CMAF -> fetch upload) to a real framecast-server process over HTTP, and
// players we did not write (hls.js, dash.js in Chromium; ffprobe) play what
// the server serves.
//
// - live publish: 20 s at 640x480 with the fake microphone, hls.js and
//   dash.js watching live (video and audio), then ffprobe on the ended
//   stream (both tracks);
// - server restart: SIGKILL mid-publish, restart on the same data directory
//   and port; the publisher retries and every fragment is stored once;
// - bad uploads: truncated, non-monotonic, traversal names and oversize
//   bodies sent from the page with fetch (a wrong Content-Length cannot be
//   sent from a browser, so that one goes over a raw socket) while a
//   publisher keeps publishing to the same stream;
// - presets: a system preset with a watermark PNG chosen in the demo's
//   file input; the watermark is found by sampling the pixels hls.js
//   plays back.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { e2e, root } from './support/sources.mjs';
import { encodePng } from './support/png.mjs';
import { startMediaServer } from './support/media_server.mjs';
import { FAKE_MEDIA_ARGS, launchChromium, openPage } from '../bench/browser.mjs';
import { serveDemo } from '../../www/serve.mjs';
import { startStreamServer } from '../../www/stream_server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const MAX_FRAGMENT_BYTES = 2_000_000;

let browser, demo, players, playerServer, streams, dataDir;

before(async () => {
  mkdirSync(e2e, { recursive: true });
  dataDir = mkdtempSync(join(e2e, 'publish-'));
  streams = await startStreamServer({ dataDir, args: ['--max-fragment-bytes', String(MAX_FRAGMENT_BYTES)] });
  demo = await serveDemo({ endpoint: streams.origin });
  ({ origin: players, server: playerServer } = await startMediaServer({
    '/hls.js/': `${root}tests/node_modules/hls.js/dist`,
    '/dashjs/': `${root}tests/node_modules/dashjs/dist/modern/umd`,
    '/': `${root}tests/node/pages`,
  }));
  browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
});

after(async () => {
  await browser?.close();
  await streams?.stop();
  for (const server of [demo?.server, playerServer]) {
    server?.closeAllConnections();
    server?.close();
  }
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
});

async function describeStream(name) {
  const r = await fetch(`${streams.origin}/streams/${name}`);
  assert.equal(r.status, 200, `GET /streams/${name}`);
  return r.json();
}

/**
 * Opens the demo page publishing `stream` and waits until it is live. With
 * `watermark` ({ slot, png }), the PNG goes through the page's file input
 * before Start is pressed.
 */
async function publish(stream, { preset = 'webcam-480p', fragment = 2000, capture = 'auto', method = 'PUT', watermark, audio = true } = {}) {
  const pub = await openPage(browser, demo.origin, { allow: [streams.origin] });
  const autostart = watermark ? '' : '&autostart=1';
  const slot = watermark ? `&slot=${watermark.slot}` : '';
  const query = `preset=${preset}&fragment=${fragment}&stream=${stream}&capture=${capture}&method=${method}${autostart}${slot}${audio ? '' : '&audio=0'}`;
  await pub.page.goto(`${demo.origin}/?${query}`);
  if (watermark) {
    await pub.page.waitForFunction(() => typeof window.demo?.start === 'function');
    await pub.page.setInputFiles('#wmfile', { name: 'logo.png', mimeType: 'image/png', buffer: Buffer.from(watermark.png) });
    assert.equal(await pub.page.inputValue('#wmslot'), watermark.slot);
    await pub.page.click('#start');
  }
  await pub.page.waitForFunction(() => window.demo?.state === 'live' || window.demo?.errors.length, null, { timeout: 20000 });
  const state = await pub.page.evaluate(() => window.demo);
  assert.deepEqual(state.errors, [], 'the demo started publishing');
  return pub;
}

const acked = (pub) => pub.page.evaluate(() => window.demo.fragments.length);

async function waitForAcks(pub, n, timeoutMs = 30000) {
  const deadline = Date.now() + timeoutMs;
  while ((await acked(pub)) < n) {
    assert.ok(Date.now() < deadline, `fewer than ${n} fragments acknowledged in ${timeoutMs} ms`);
    await sleep(200);
  }
}

/** Stops the publisher; returns the page's final view. `expectedConsole` lists console errors that are fine. */
async function stop(pub, expectedConsole = []) {
  await pub.page.evaluate(() => window.demo.stop());
  await pub.page.waitForFunction(() => window.demo.stopResult, null, { timeout: 30000 });
  const state = await pub.page.evaluate(() => ({ ...window.demo, start: undefined, stop: undefined }));
  await pub.close();
  const unexpected = pub.errors.filter((e) => !expectedConsole.some((x) => e.includes(x)));
  assert.deepEqual([...state.errors, ...unexpected], [], 'no errors on the publishing page');
  return { ...state, stats: state.stopResult.stats };
}

/** The stream's index lines, as stored. */
function indexLines(stream) {
  return readFileSync(`${dataDir}/streams/${stream}/index.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l));
}

/** Checks that `track` holds fragments 1..made, each once, in the index and on disk. */
function assertStoredOnce(stream, made, track = 'video') {
  const seqs = indexLines(stream).filter((l) => l.type === 'fragment' && l.track === track).map((l) => l.sequence);
  assert.deepEqual(seqs, Array.from({ length: made }, (_, i) => i + 1), `index: every ${track} fragment once, in order`);
  const files = readdirSync(`${dataDir}/streams/${stream}/${track}`).sort();
  assert.deepEqual(files, ['init.mp4', ...seqs.map((s) => `${s}.m4s`)].sort(), `${track} fragment files: exactly the indexed ones`);
}

/** Opens the player page on `src` with `engine`; resolves the report once `until` holds. */
async function watch(engine, src, until, timeoutMs = 40000) {
  const p = await openPage(browser, players, { allow: [streams.origin] });
  await p.page.goto(`${players}/player.html?engine=${engine}&src=${encodeURIComponent(src)}`);
  const deadline = Date.now() + timeoutMs;
  let report;
  for (;;) {
    report = await p.page.evaluate(() => {
      const v = document.getElementById('v');
      return { ...window.report, videoWidth: v.videoWidth, videoHeight: v.videoHeight };
    });
    if (until(report) || report.errors.length || p.errors.length || Date.now() > deadline) break;
    await sleep(250);
  }
  await p.close();
  assert.deepEqual([...report.errors, ...p.errors], [], `${engine} errors`);
  assert.ok(until(report), `${engine}: ${JSON.stringify({ t: report.currentTime, w: report.videoWidth, events: report.events?.slice(-5) })}`);
  return report;
}

describe('publish from the browser to framecast-server', () => {
  test('20 s at 640x480 with audio: contiguous fragments, live hls.js and dash.js playback, ffprobe', async () => {
    const stream = 'live480';
    const started = Date.now();
    const pub = await publish(stream);
    await waitForAcks(pub, 2);
    // Both players watch while the stream is live.
    const master = `${streams.origin}/streams/${stream}/master.m3u8`;
    const mpd = `${streams.origin}/streams/${stream}/manifest.mpd`;
    let firstTime = null;
    const hls = await watch('hls', master, (r) => {
      if (firstTime === null && r.currentTime > 0) firstTime = r.currentTime;
      return r.videoWidth === 640 && firstTime !== null && r.currentTime > firstTime + 3 && r.audioDecodedBytes > 0;
    });
    assert.equal(hls.live, true, 'hls.js sees a live playlist');
    assert.equal(hls.videoHeight, 480);
    assert.equal(hls.audioTracks, 1, 'hls.js found the audio rendition');
    assert.ok(hls.audioDecodedBytes > 0, 'hls.js plays audio');
    let dashStart = null;
    const dash = await watch('dash', mpd, (r) => {
      if (dashStart === null && r.currentTime > 0) dashStart = r.currentTime;
      return r.videoWidth === 640 && dashStart !== null && r.currentTime > dashStart + 2 && r.audioDecodedBytes > 0;
    });
    assert.equal(dash.videoHeight, 480);
    await sleep(Math.max(0, 20000 - (Date.now() - started)));
    const view = await stop(pub);
    assert.equal(view.stopResult.complete, true, 'stop() saw every fragment and the end acknowledged');

    const info = await describeStream(stream);
    const video = info.tracks.find((t) => t.name === 'video');
    const audio = info.tracks.find((t) => t.name === 'audio');
    assert.equal(info.ended, true);
    assert.ok(audio, 'the server has an audio track');
    assert.equal(audio.fragments, view.stats.audio.fragmentsMade, 'every audio fragment stored');
    assert.deepEqual([audio.firstSequence, audio.lastSequence, audio.missing], [1, audio.fragments, 0]);
    assertStoredOnce(stream, audio.fragments, 'audio');
    assert.deepEqual([video.width, video.height], [640, 480]);
    assert.ok(video.fragments >= 8, `${video.fragments} fragments`);
    assert.equal(video.firstSequence, 1);
    assert.equal(video.lastSequence, video.fragments, 'numbers contiguous from 1');
    assert.equal(video.missing, 0);
    assert.equal(video.discontinuities, 0);
    assert.equal(video.fragments, view.stats.fragmentsMade, 'the server holds every fragment the publisher made');
    assert.equal(view.stats.fragmentsDropped, 0);
    assertStoredOnce(stream, video.fragments);
    for (const f of view.fragments) assert.equal(f.persisted, true);

    const probe = JSON.parse(
      execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,width,height,sample_rate,channels:format=duration', '-of', 'json', master]).toString(),
    );
    const v = probe.streams.find((s) => s.codec_type === 'video');
    const a = probe.streams.find((s) => s.codec_type === 'audio');
    assert.equal(v.codec_name, 'h264');
    assert.deepEqual([v.width, v.height], [640, 480]);
    // webcam-480p has no audio settings: AAC-LC, 48 kHz.
    assert.deepEqual([a?.codec_name, a?.sample_rate], ['aac', '48000'], JSON.stringify(probe.streams));
    assert.ok(Number(probe.format.duration) >= 15, `ffprobe duration ${probe.format.duration}`);
  });

  test('server killed (SIGKILL) mid-publish and restarted: retries, no gap, no duplicate', async () => {
    const stream = 'restart';
    // Uploads by POST here (PUT elsewhere): both are what the server takes.
    const pub = await publish(stream, { preset: 'webcam-360p', fragment: 1000, method: 'POST' });
    await waitForAcks(pub, 3);
    const port = streams.port;
    await streams.stop('SIGKILL');
    await sleep(3000); // fragments pile up in the publisher's queue; uploads fail and back off
    streams = await startStreamServer({ dataDir, port, args: ['--max-fragment-bytes', String(MAX_FRAGMENT_BYTES)] });
    const before = await acked(pub);
    await waitForAcks(pub, before + 4);
    // Chromium logs each refused connection while the server is down.
    const view = await stop(pub, ['net::ERR_CONNECTION_REFUSED']);
    assert.equal(view.stopResult.complete, true);
    assert.ok(view.stats.retries > 0, 'the publisher retried');
    assert.ok(view.warnings.some((w) => w.code === 'retry'), 'retries were reported');
    const info = await describeStream(stream);
    const video = info.tracks.find((t) => t.name === 'video');
    assert.equal(video.fragments, view.stats.fragmentsMade);
    assert.deepEqual([video.firstSequence, video.lastSequence, video.missing, video.discontinuities], [1, video.fragments, 0, 0]);
    assertStoredOnce(stream, video.fragments);
    assert.ok(streams.logs.some((l) => l.msg === 'stream loaded'), 'the restarted server rebuilt the stream from disk');
    // Writes (not the demo player's GETs, nor CORS preflights) are POSTs.
    const uploads = streams.logs.filter(
      (l) => l.msg === 'request' && ['PUT', 'POST'].includes(l.method) && /\.(m4s|mp4)$/.test(l.path) && l.path.startsWith(`/streams/${stream}/`),
    );
    assert.ok(uploads.length >= 4, `${uploads.length} uploads after the restart`);
    assert.deepEqual([...new Set(uploads.map((l) => l.method))], ['POST'], 'uploads went by POST');
  });

  test('bad uploads get the right 4xx, store nothing, and the stream stays healthy', async () => {
    const stream = 'hostile';
    const pub = await publish(stream, { preset: 'webcam-360p', fragment: 1000, capture: 'canvas' });
    await waitForAcks(pub, 3);
    const base = `${streams.origin}/streams/${stream}`;
    const results = await pub.page.evaluate(async ({ base, origin, max }) => {
      const info = await (await fetch(base)).json();
      const last = info.tracks.find((t) => t.name === 'video').lastSequence;
      const one = new Uint8Array(await (await fetch(`${base}/video/1.m4s`)).arrayBuffer());
      const two = new Uint8Array(await (await fetch(`${base}/video/2.m4s`)).arrayBuffer());
      const put = async (url, body) => {
        const r = await fetch(url, { method: 'PUT', body, headers: { 'Content-Type': 'video/mp4' } });
        const j = await r.json().catch(() => ({}));
        return [r.status, j.error?.code ?? null];
      };
      const far = last + 1000;
      return {
        truncated: await put(`${base}/video/${far}.m4s`, two.slice(0, two.length - 100)),
        nonMonotonic: await put(`${base}/video/${far}.m4s`, one),
        traversal: await put(`${origin}/streams/..%2F..%2Ftmp/video/init.mp4`, one),
        dotDot: await put(`${origin}/streams/%2e%2e/video/${far}.m4s`, one),
        oversize: await put(`${base}/video/${far}.m4s`, new Uint8Array(max + 1)),
        garbageInit: await put(`${base}/video/init.mp4`, new Uint8Array(64)),
      };
    }, { base, origin: streams.origin, max: MAX_FRAGMENT_BYTES });
    assert.deepEqual(results, {
      truncated: [400, 'malformed-fragment'],
      nonMonotonic: [409, 'non-monotonic'],
      traversal: [400, 'bad-stream-name'],
      // The browser resolves %2e%2e as ".." (WHATWG URL) before sending:
      // the request reaches /video/N.m4s, which is no route.
      dotDot: [404, 'not-found'],
      oversize: [413, 'oversize'],
      garbageInit: [400, 'malformed-init'],
    });
    // A Content-Length larger than the body, then the client hangs up:
    // browsers set Content-Length themselves, so this one is a raw socket.
    const status = await new Promise((resolve, reject) => {
      const sock = connect(streams.port, '127.0.0.1', () => {
        sock.write(`PUT /streams/${stream}/video/999999.m4s HTTP/1.1\r\nHost: x\r\nContent-Type: video/mp4\r\nContent-Length: 5000\r\n\r\n`);
        sock.write(Buffer.alloc(100));
        sock.end();
      });
      let answer = '';
      sock.on('data', (d) => { answer += d; });
      sock.on('close', () => resolve(Number(/^HTTP\/1\.1 (\d+)/.exec(answer)?.[1] ?? 0)));
      sock.on('error', reject);
    });
    assert.equal(status, 400, 'short body: 400 incomplete-body');

    // Publishing goes on and ends complete; nothing of the above was stored.
    const beforeStop = await acked(pub);
    await waitForAcks(pub, beforeStop + 2);
    // Chromium logs every 4xx answer to fetch on the console.
    const view = await stop(pub, ['the server responded with a status of 4']);
    assert.equal(view.stopResult.complete, true);
    assert.equal(view.stats.fragmentsRejected, 0);
    const info = await describeStream(stream);
    assert.equal(info.tracks.find((t) => t.name === 'video').fragments, view.stats.fragmentsMade);
    assertStoredOnce(stream, info.tracks.find((t) => t.name === 'video').fragments);
    const leftovers = readdirSync(`${dataDir}/streams/${stream}/video`).filter((f) => f.startsWith('.'));
    assert.deepEqual(leftovers, [], 'no temporary files left');
    assert.deepEqual(readdirSync(`${dataDir}/streams`).sort(), ['hostile', 'live480', 'restart'], 'no stream made by a bad name');
  });

  test('a system preset with a watermark PNG: the played video shows it where the preset puts it', async () => {
    const stream = 'watermark';
    // Opaque magenta, 64x64: a colour the fake camera never shows.
    const png = encodePng(64, 64, new Uint8Array(64 * 64 * 4).map((_, i) => [255, 0, 255, 255][i % 4]));
    const pub = await publish(stream, { preset: 'framecast-webcam-360p-ll', fragment: 1000, watermark: { slot: 'BottomRight', png } });
    await waitForAcks(pub, 3);
    const view = await stop(pub);
    assert.equal(view.stopResult.complete, true);
    // The camera's own picture (Chromium's fake camera: its 640x480 mode,
    // the nearest to the preset's 640x360), ShrinkToFit into 640x360:
    // 480x360.
    assert.deepEqual([view.video.input.width, view.video.input.height, view.video.width, view.video.height], [640, 480, 480, 360]);

    // The preset's BottomRight slot: at most 10% of the content (48x36),
    // ShrinkToFit, so the 64x64 image becomes 36x36; 10% (48 px, 36 px)
    // in from the right and bottom edges: x 396..432, y 288..324.
    const p = await openPage(browser, players, { allow: [streams.origin] });
    await p.page.goto(`${players}/player.html?engine=hls&src=${encodeURIComponent(`${streams.origin}/streams/${stream}/master.m3u8`)}`);
    await p.page.waitForFunction(() => document.getElementById('v').currentTime > 1.2, null, { timeout: 30000 });
    const seen = await p.page.evaluate(() => {
      const v = document.getElementById('v');
      v.pause();
      const ctx = new OffscreenCanvas(v.videoWidth, v.videoHeight).getContext('2d');
      ctx.drawImage(v, 0, 0);
      // Mean colour of a rectangle.
      const mean = (x, y, w, h) => {
        const d = ctx.getImageData(x, y, w, h).data;
        const sum = [0, 0, 0];
        for (let i = 0; i < d.length; i += 4) for (let c = 0; c < 3; c++) sum[c] += d[i + c];
        return sum.map((s) => Math.round(s / (w * h)));
      };
      return {
        size: [v.videoWidth, v.videoHeight],
        inside: mean(400, 292, 28, 28),
        // Just outside each edge of the mark, and the mirrored BottomLeft slot.
        left: mean(386, 300, 6, 12),
        right: mean(436, 300, 6, 12),
        above: mean(408, 278, 12, 6),
        below: mean(408, 328, 12, 6),
        mirror: mean(52, 292, 28, 28),
      };
    });
    await p.close();
    assert.deepEqual([...p.errors], []);
    assert.deepEqual(seen.size, [480, 360]);
    const magenta = ([r, g, b]) => r > 180 && b > 180 && g < 90;
    assert.ok(magenta(seen.inside), `the watermark is at x 396..432, y 288..324: ${JSON.stringify(seen)}`);
    for (const where of ['left', 'right', 'above', 'below', 'mirror']) {
      assert.ok(!magenta(seen[where]), `no magenta ${where} of the mark: ${JSON.stringify(seen)}`);
    }
  });

  test('Publisher.create names the bad option; an aborted signal cancels', async () => {
    const p = await openPage(browser, demo.origin, { allow: [streams.origin] });
    const result = await p.page.evaluate(async (endpoint) => {
      const { Publisher } = await import('/pkg/publisher.js');
      const attempt = async (options) => {
        try {
          await Publisher.create({ endpoint, stream: 'x', ...options });
          return null;
        } catch (e) {
          return [e.name, e.code, e.field];
        }
      };
      const errors = {
        stream: await attempt({ stream: '../etc' }),
        preset: await attempt({ preset: 'webcam-8k' }),
        width: await attempt({ video: { width: 17 } }),
        fragment: await attempt({ fragmentDuration: 50 }),
        unknown: await attempt({ fragmentDurationMs: 1000 }),
        endpoint: await attempt({ endpoint: 'ftp://x' }),
        method: await attempt({ uploadMethod: 'GET' }),
        customPreset: await attempt({ preset: { name: 'big', container: 'fmp4', video: { bitRate: 800, maxWidth: 4097 } } }),
        corruptPng: await attempt({ preset: 'framecast-webcam-360p-ll', watermarks: { BottomRight: new Uint8Array([137, 80, 78, 71, 1, 2]) } }),
        noSuchSlot: await attempt({ preset: 'framecast-webcam-360p-ll', watermarks: { Middle: new Uint8Array(8) } }),
        notBytes: await attempt({ preset: 'framecast-webcam-360p-ll', watermarks: { TopLeft: 'logo.png' } }),
      };
      const controller = new AbortController();
      const pub = await Publisher.create({ endpoint, stream: 'aborted', preset: 'webcam-360p', signal: controller.signal });
      const states = [];
      pub.on('state', (s) => states.push(s));
      await pub.start();
      await new Promise((r) => setTimeout(r, 500));
      controller.abort();
      let startAgain = null;
      try {
        await pub.start();
      } catch (e) {
        startAgain = e.code;
      }
      return { errors, states, state: pub.state, startAgain };
    }, streams.origin);
    await p.close();
    assert.deepEqual(result.errors, {
      stream: ['FramecastError', 'invalid-config', 'stream'],
      preset: ['FramecastError', 'invalid-config', 'preset'],
      width: ['FramecastError', 'invalid-config', 'video.width'],
      fragment: ['FramecastError', 'invalid-config', 'fragmentDuration'],
      unknown: ['FramecastError', 'invalid-config', 'fragmentDurationMs'],
      endpoint: ['FramecastError', 'invalid-config', 'endpoint'],
      method: ['FramecastError', 'invalid-config', 'uploadMethod'],
      customPreset: ['FramecastError', 'invalid-preset', 'video.maxWidth'],
      corruptPng: ['FramecastError', 'invalid-watermark', 'watermarks.BottomRight'],
      noSuchSlot: ['FramecastError', 'invalid-config', 'watermarks.Middle'],
      notBytes: ['FramecastError', 'invalid-config', 'watermarks.TopLeft'],
    });
    assert.deepEqual(result.states, ['live', 'closed']);
    assert.equal(result.state, 'closed');
    assert.equal(result.startAgain, 'invalid-state');
  });

  test('audio encoders load on demand: none for video only, only Opus for an Opus preset; a failed load is worker-error', async () => {
    const wasm = [];
    const onRequest = (req) => {
      const m = /\/pkg\/(web-publisher[a-z-]*)\/framecast_bg\.wasm/.exec(req.url);
      if (m) wasm.push(m[1]);
    };
    demo.server.on('request', onRequest);
    try {
      const videoOnly = await publish('ondemand-video', { preset: 'framecast-webcam-360p-ll', fragment: 1000, audio: false });
      await waitForAcks(videoOnly, 2);
      await stop(videoOnly);
      assert.deepEqual(wasm, ['web-publisher'], 'video only: the publisher module and no audio encoder');
      wasm.length = 0;
      const opus = await publish('ondemand-opus', { preset: 'framecast-webcam-360p-ll', fragment: 1000 });
      await waitForAcks(opus, 4);
      await stop(opus);
      assert.deepEqual(wasm.sort(), ['web-publisher', 'web-publisher-opus'], 'Opus: its module only, no AAC');
      const audio = (await describeStream('ondemand-opus')).tracks.find((t) => t.name === 'audio');
      assert.ok(audio && audio.fragments >= 1, `the Opus track was published: ${JSON.stringify(audio)}`);
    } finally {
      demo.server.off('request', onRequest);
    }
    const p = await openPage(browser, demo.origin, { allow: [streams.origin] });
    const failed = await p.page.evaluate(async (endpoint) => {
      const { Publisher } = await import('/pkg/publisher.js');
      try {
        await Publisher.create({ endpoint, stream: 'x', preset: 'framecast-webcam-360p-ll', audioWasmUrls: { opus: '/pkg/no-such.wasm' } });
        return null;
      } catch (e) {
        return [e.name, e.code, e.field];
      }
    }, streams.origin);
    await p.close();
    assert.deepEqual(failed, ['FramecastError', 'worker-error', 'audioWasmUrls']);
  });
});
