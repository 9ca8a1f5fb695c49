// Our CMAF + HLS/DASH output, played by players we did not write, in real
// Chromium, from a local HTTP origin:
// - hls.js: VOD (multivariant + audio group), live (a playlist that grows
//   while the test runs), LL-HLS in low-latency mode (parts, blocking
//   reload, preload hints);
// - dash.js: static SegmentTemplate, static on-demand (SegmentBase + sidx),
//   dynamic SegmentTimeline;
// - MSE appendBuffer of our init segment and fragments;
// - a <video> element on the progressive MP4.
// Media comes from examples/package.rs (framecast's encoder, segmenter and
// playlist writers); live variants are produced in real time by that
// program while the players watch.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { startMediaServer } from './support/media_server.mjs';
import { e2e, nativeDir, root, sources } from './support/sources.mjs';
import { launchChromium, openPage } from '../bench/browser.mjs';

const packager = `${nativeDir}/examples/package`;
const SIZE = '640x360';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let origin, server, browser;
const children = [];

function packageArgs(seconds, out, extra = []) {
  const { video, audio } = sources(SIZE, seconds);
  rmSync(out, { recursive: true, force: true });
  return ['--video', video, '--size', SIZE, '--audio', audio, '--out', out, ...extra];
}

/** Starts a live packager and resolves once its first playlists exist. */
async function startLive(name, seconds, extra) {
  const out = `${e2e}/${name}`;
  const child = spawn(packager, packageArgs(seconds, out, ['--live', ...extra]), { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d) => { stderr += d; });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve({ code, stderr })));
  children.push(child);
  const deadline = Date.now() + 15000;
  while (!existsSync(`${out}/master.m3u8`) || !existsSync(`${out}/manifest.mpd`)) {
    assert.ok(Date.now() < deadline, `live packager ${name} produced no playlists: ${stderr}`);
    await sleep(100);
  }
  return { out, exited };
}

/** Opens the player page and waits until playback reaches `fraction` of the duration or ends. */
async function play(params, { fraction = 0.9, timeoutMs = 60000, until } = {}) {
  const { page, errors } = await openPage(browser, origin);
  const qs = new URLSearchParams(params).toString();
  await page.goto(`${origin}/player.html?${qs}`);
  const deadline = Date.now() + timeoutMs;
  let report;
  for (;;) {
    report = await page.evaluate(() => window.report);
    const done = until
      ? until(report)
      : report.ended || (Number.isFinite(report.duration) && report.duration > 0 && report.currentTime >= fraction * report.duration);
    if (done || report.errors.length || errors.length || Date.now() > deadline) break;
    await sleep(250);
  }
  await page.context().close();
  assert.deepEqual([...report.errors, ...errors], [], `player errors (${JSON.stringify(params)})`);
  return report;
}

before(async () => {
  execFileSync(packager, packageArgs(10, `${e2e}/vod`), { stdio: ['ignore', 'ignore', 'inherit'] });
  ({ server, origin } = await startMediaServer({
    '/media/': e2e,
    '/hls.js/': `${root}tests/node_modules/hls.js/dist`,
    '/dashjs/': `${root}tests/node_modules/dashjs/dist/modern/umd`,
    '/': `${root}tests/node/pages`,
  }));
  browser = await launchChromium();
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await browser?.close();
  server?.close();
});

describe('VOD', () => {
  test('hls.js plays the VOD multivariant playlist with its audio rendition', async () => {
    const r = await play({ engine: 'hls', src: '/media/vod/master.m3u8', rate: 4 });
    assert.ok(Math.abs(r.duration - 10) < 0.2, `duration ${r.duration}`);
    assert.ok(r.currentTime >= 9, `played to ${r.currentTime}`);
    assert.ok(r.quality.totalVideoFrames >= 250, `decoded ${r.quality.totalVideoFrames} frames`);
  });

  test('dash.js plays the static SegmentTemplate MPD', async () => {
    const r = await play({ engine: 'dash', src: '/media/vod/manifest.mpd', rate: 4 });
    assert.ok(r.currentTime >= 9, `played to ${r.currentTime}`);
  });

  test('dash.js plays the on-demand MPD (SegmentBase, sidx, byte ranges)', async () => {
    const r = await play({ engine: 'dash', src: '/media/vod/ondemand.mpd', rate: 4 });
    assert.ok(r.currentTime >= 9, `played to ${r.currentTime}`);
  });

  test('MSE accepts our init segment and fragments via appendBuffer', async () => {
    const frags = readdirSync(`${e2e}/vod/video`).filter((f) => /^\d+\.m4s$/.test(f))
      .sort((a, b) => parseInt(a) - parseInt(b)).map((f) => `/media/vod/video/${f}`);
    const codec = /CODECS="(avc1\.[0-9a-f]{6})/.exec(readFileSync(`${e2e}/vod/master.m3u8`, 'utf8'))[1];
    const r = await play({ engine: 'mse', init: '/media/vod/video/init.mp4', frags: frags.join(','), codec: `video/mp4; codecs="${codec}"`, rate: 4 });
    assert.ok(r.currentTime >= 9, `played to ${r.currentTime}`);
  });

  test('a <video> element plays the progressive MP4', async () => {
    const r = await play({ engine: 'file', src: '/media/vod/progressive.mp4', rate: 4 });
    assert.ok(Math.abs(r.duration - 10) < 0.2, `duration ${r.duration}`);
  });
});

describe('live', { concurrency: 3 }, () => {
  const SECONDS = 20;

  test('hls.js plays a live playlist that grows while it watches', async () => {
    const { out, exited } = await startLive('live', SECONDS, []);
    const first = readFileSync(`${out}/video.m3u8`, 'utf8');
    assert.ok(!first.includes('#EXT-X-ENDLIST') && !first.includes('PLAYLIST-TYPE:VOD'), 'starts live');
    // A live window's duration is not the stream's: play until the end.
    const untilEnd = (rep) => rep.ended || rep.currentTime >= 0.9 * SECONDS;
    const r = await play({ engine: 'hls', src: '/media/live/master.m3u8' }, { timeoutMs: (SECONDS + 25) * 1000, until: untilEnd });
    assert.equal(r.live, true, 'hls.js saw a live playlist');
    assert.ok(r.levelLoads >= 4, `the playlist was reloaded as it grew (${r.levelLoads} loads)`);
    assert.ok(r.currentTime >= 0.9 * SECONDS, `played to ${r.currentTime} of ${SECONDS}`);
    assert.equal((await exited).code, 0);
  });

  test('hls.js plays LL-HLS in low-latency mode (parts, blocking reload, preload hints)', async () => {
    const { exited } = await startLive('ll', SECONDS, ['--part-ms', '500']);
    const untilEnd = (rep) => rep.ended || rep.currentTime >= 0.9 * SECONDS;
    const r = await play({ engine: 'hls', src: '/media/ll/master.m3u8', lowLatency: '1' }, { timeoutMs: (SECONDS + 25) * 1000, until: untilEnd });
    assert.equal(r.live, true);
    assert.ok(Math.abs(r.partTarget - 0.5) < 1e-6, `part target ${r.partTarget}`);
    assert.equal(r.canBlockReload, true, 'CAN-BLOCK-RELOAD=YES');
    assert.ok(r.targetLatency > 0 && r.targetLatency < 4, `low-latency target ${r.targetLatency} s`);
    assert.ok(r.currentTime >= 0.9 * SECONDS, `played to ${r.currentTime} of ${SECONDS}`);
    assert.equal((await exited).code, 0);
  });

  test('dash.js plays the dynamic MPD (SegmentTimeline) while it grows', async () => {
    const { out, exited } = await startLive('dash-live', SECONDS, []);
    assert.match(readFileSync(`${out}/manifest.mpd`, 'utf8'), /type="dynamic"/);
    // Watch for 8 s of live playback, then stop.
    let startTime = null;
    const r = await play({ engine: 'dash', src: '/media/dash-live/manifest.mpd' }, {
      timeoutMs: 30000,
      until: (rep) => {
        if (rep.currentTime > 0 && startTime === null) startTime = rep.currentTime;
        return startTime !== null && rep.currentTime - startTime >= 8;
      },
    });
    assert.ok(startTime !== null && r.currentTime - startTime >= 8, `live playback advanced ${r.currentTime - startTime} s`);
    assert.equal((await exited).code, 0);
  });
});
