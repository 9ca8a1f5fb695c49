// Publisher endurance through outages (issue 19), as a user runs it: the
// npm package's Publisher in headless Chromium (fake camera and
// microphone, 2 s fragments, every upload option at its default) publishes
// audio and video to a real framecast-server process.
//
// - server outage: the server is killed (SIGKILL) and restarted 45 s later
//   on the same address and data directory; nothing is lost;
// - network outage: the page's context goes offline for 45 s (Playwright
//   `context.setOffline`, which covers the publisher's Worker); nothing is
//   lost;
// - a small `maxQueueDuration` (3 s, 1 s fragments) through 8 s offline:
//   whole fragments of both tracks are dropped, with `dropped` warnings
//   carrying the media time lost; the server marks one discontinuity per
//   run of dropped fragments, at the same time on both tracks, and hls.js
//   plays the ended stream across the gap.
//
// With the old bound (the sum over both tracks, so 30 s of media with the
// default 60 s) the two 45 s outages dropped about 15 s of each track.
// The three run at once, each with its own server (2 cores: about 75 s).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { e2e, root } from './support/sources.mjs';
import { startMediaServer } from './support/media_server.mjs';
import { FAKE_MEDIA_ARGS, launchChromium, openPage } from '../bench/browser.mjs';
import { startStreamServer } from '../../www/stream_server.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const OUTAGE_MS = 45_000;

let browser, pages, pageServer, workDir;
const servers = [];

before(async () => {
  mkdirSync(e2e, { recursive: true });
  workDir = mkdtempSync(join(e2e, 'outage-'));
  ({ origin: pages, server: pageServer } = await startMediaServer({
    '/pkg/': `${root}pkg`,
    '/hls.js/': `${root}tests/node_modules/hls.js/dist`,
    '/': `${root}tests/node/pages`,
  }));
  browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
});

after(async () => {
  await browser?.close();
  for (const s of servers) await s.current?.stop();
  pageServer?.closeAllConnections();
  pageServer?.close();
  if (workDir) rmSync(workDir, { recursive: true, force: true });
});

/** A framecast-server on its own data directory; `restart()` keeps the port and data. */
async function server(name) {
  const dataDir = join(workDir, name);
  const entry = { dataDir, current: await startStreamServer({ dataDir }) };
  entry.origin = entry.current.origin;
  entry.restart = async () => {
    entry.current = await startStreamServer({ dataDir, port: entry.current.port });
  };
  servers.push(entry);
  return entry;
}

/**
 * Opens a page that publishes `stream` to `endpoint` with the package's
 * Publisher (camera and microphone, `options` on top of the defaults) and
 * records acknowledgements, warnings, errors and the largest queue seen.
 */
async function publish(endpoint, stream, options = {}) {
  const p = await openPage(browser, pages, { allow: [endpoint] });
  await p.page.evaluate(async ({ endpoint, stream, options }) => {
    const { Publisher } = await import('/pkg/publisher.js');
    const t = (window.t = { acks: 0, warnings: [], errors: [], stats: null, maxQueueMs: 0, maxQueueFragments: 0 });
    const pub = await Publisher.create({ endpoint, stream, preset: 'webcam-360p', ...options });
    window.pub = pub;
    pub.on('fragment', () => { t.acks++; });
    pub.on('warning', (w) => t.warnings.push(w));
    pub.on('error', (e) => t.errors.push(`${e.code}: ${e.message}`));
    pub.on('stats', (s) => {
      t.stats = s;
      t.maxQueueMs = Math.max(t.maxQueueMs, s.queueDurationMs);
      t.maxQueueFragments = Math.max(t.maxQueueFragments, s.queueFragments);
    });
    await pub.start();
  }, { endpoint, stream, options });
  return p;
}

const view = (p) => p.page.evaluate(() => window.t);

async function waitFor(p, what, until, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const t = await view(p);
    if (until(t)) return t;
    assert.deepEqual(t.errors, [], `publisher errors while waiting for ${what}`);
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs} ms: ${JSON.stringify({ ...t, warnings: t.warnings.length })}`);
    await sleep(250);
  }
}

/** Stops the publisher (generous timeout: a backlog may still drain); returns the page's view and the stop result. */
async function stop(p, expectedConsole) {
  const result = await p.page.evaluate(() => window.pub.stop({ timeout: 60000 }));
  const t = await view(p);
  await p.close();
  const unexpected = p.errors.filter((e) => !expectedConsole.some((x) => e.includes(x)));
  assert.deepEqual([...t.errors, ...unexpected], [], 'no errors on the publishing page');
  return { ...t, result };
}

async function tracks(origin, stream) {
  const r = await fetch(`${origin}/streams/${stream}`);
  assert.equal(r.status, 200);
  const info = await r.json();
  return { info, video: info.tracks.find((x) => x.name === 'video'), audio: info.tracks.find((x) => x.name === 'audio') };
}

/** The stored fragments of `track` that start a discontinuity: number, start and the previous one's end (µs). */
function gaps(dataDir, stream, track) {
  const records = readFileSync(`${dataDir}/streams/${stream}/index.jsonl`, 'utf8').trim().split('\n').map((l) => JSON.parse(l))
    .filter((l) => l.type === 'fragment' && l.track === track);
  return records.flatMap((r, i) => (r.discontinuity
    ? [{ sequence: r.sequence, start: r.producerTimestamp, previous: records[i - 1] && [records[i - 1].sequence, records[i - 1].producerTimestamp + (records[i - 1].duration * 1e6) / records[i - 1].timescale] }]
    : []));
}

/** Every fragment the publisher made is on the server, numbered 1.., no gap, no discontinuity. */
async function assertNothingLost(origin, stream, run) {
  const { stats } = run.result;
  assert.equal(run.result.complete, true, 'stop() saw everything acknowledged');
  assert.equal(stats.fragmentsDropped, 0, 'nothing dropped');
  assert.equal(stats.droppedMediaMs, 0);
  assert.equal(stats.fragmentsRejected, 0);
  assert.ok(stats.retries > 0, 'the publisher retried through the outage');
  const { info, video, audio } = await tracks(origin, stream);
  assert.equal(info.ended, true);
  assert.ok(audio, 'an audio track');
  for (const [track, made] of [[video, stats.fragmentsMade], [audio, stats.audio.fragmentsMade]]) {
    assert.deepEqual(
      [track.fragments, track.firstSequence, track.lastSequence, track.missing, track.discontinuities],
      [made, 1, made, 0, 0],
      `${track.name}: every fragment made is stored, contiguous`,
    );
  }
  assert.equal(stats.fragmentsAcknowledged, stats.fragmentsMade + stats.audio.fragmentsMade);
}

describe('publisher through outages', { concurrency: 3 }, () => {
  test('server killed (SIGKILL) for 45 s and restarted on the same address and data: nothing lost', async (ctx) => {
    const srv = await server('killed');
    const p = await publish(srv.origin, 'killed');
    await waitFor(p, '4 acknowledgements', (t) => t.acks >= 4, 30000);
    await srv.current.stop('SIGKILL');
    const down = Date.now();
    await sleep(OUTAGE_MS);
    await srv.restart();
    // The backlog drains (each track held about 45 s of media).
    await waitFor(p, 'the backlog drained', (t) => t.stats?.queueFragments <= 2 && t.maxQueueMs >= OUTAGE_MS - 5000, 60000);
    const drainedAfter = (Date.now() - down - OUTAGE_MS) / 1000;
    const run = await stop(p, ['net::ERR_CONNECTION_REFUSED', 'net::ERR_CONNECTION_RESET', 'net::ERR_EMPTY_RESPONSE']);
    assert.ok(run.maxQueueMs >= OUTAGE_MS - 5000, `the queue held ${run.maxQueueMs} ms of media per track`);
    await assertNothingLost(srv.origin, 'killed', run);
    assert.ok(srv.current.logs.some((l) => l.msg === 'stream loaded'), 'the restarted server rebuilt the stream from disk');
    ctx.diagnostic(`drained ${drainedAfter.toFixed(1)} s after the restart; queue peak ${run.maxQueueMs} ms, ${run.maxQueueFragments} fragments`);
  });

  test('45 s offline (context.setOffline): nothing lost', async () => {
    const srv = await server('offline');
    const p = await publish(srv.origin, 'offline');
    await waitFor(p, '4 acknowledgements', (t) => t.acks >= 4, 30000);
    await p.page.context().setOffline(true);
    await sleep(OUTAGE_MS);
    await p.page.context().setOffline(false);
    await waitFor(p, 'the backlog drained', (t) => t.stats?.queueFragments <= 2 && t.maxQueueMs >= OUTAGE_MS - 5000, 60000);
    const run = await stop(p, ['net::ERR_INTERNET_DISCONNECTED']);
    assert.ok(run.maxQueueMs >= OUTAGE_MS - 5000, `the queue held ${run.maxQueueMs} ms of media per track`);
    await assertNothingLost(srv.origin, 'offline', run);
  });

  test('a 3 s maxQueueDuration through 8 s offline drops whole fragments of both tracks, with events; hls.js plays across the gap', async (ctx) => {
    const srv = await server('small');
    // A short back-off ceiling, so uploads resume soon after the network does.
    const p = await publish(srv.origin, 'small', { fragmentDuration: 1000, maxQueueDuration: 3000, backoff: { max: 2000 } });
    // Acknowledgements count both tracks: 6 s of media before the gap.
    await waitFor(p, '12 acknowledgements', (t) => t.acks >= 12, 30000);
    await p.page.context().setOffline(true);
    await sleep(8000);
    await p.page.context().setOffline(false);
    const before = (await view(p)).acks;
    // And 8 s after it.
    await waitFor(p, 'uploads after the gap', (t) => t.acks >= before + 16 && t.stats?.queueFragments <= 2, 40000);
    const run = await stop(p, ['net::ERR_INTERNET_DISCONNECTED']);
    const { stats } = run.result;
    assert.equal(run.result.complete, true);

    const dropped = run.warnings.filter((w) => w.code === 'dropped');
    assert.ok(dropped.length > 0, 'dropped warnings');
    const fragments = dropped.flatMap((w) => w.fragments);
    for (const w of dropped) {
      assert.ok(w.fragments.length > 0, JSON.stringify(w));
      assert.match(w.message, /per track/);
      // What one track lost (a fragment queued after its span went from
      // the other track is not counted again).
      const perTrack = (name) => w.fragments.filter((f) => f.track === name).reduce((a, f) => a + f.duration, 0);
      assert.ok(w.mediaMs * 1000 <= Math.max(perTrack('video'), perTrack('audio')), JSON.stringify(w));
    }
    assert.equal(stats.fragmentsDropped, fragments.length, 'the counter matches the events');
    assert.ok(Math.abs(stats.droppedMediaMs - dropped.reduce((a, w) => a + w.mediaMs, 0)) < 1e-6);
    // 8 s offline less 3 s queued less a fragment in flight, at least.
    assert.ok(stats.droppedMediaMs >= 3000, `${stats.droppedMediaMs} ms of media dropped`);

    const { video, audio } = await tracks(srv.origin, 'small');
    const lost = (name) => fragments.filter((f) => f.track === name).sort((x, y) => x.sequence - y.sequence);
    // Runs of consecutive dropped numbers: one gap each. (Besides the
    // offline span, a loaded machine can stall an upload past 3 s.)
    const runs = (name) => lost(name).reduce((rs, f) => {
      const last = rs.at(-1);
      if (last && last.at(-1).sequence + 1 === f.sequence) last.push(f);
      else rs.push([f]);
      return rs;
    }, []).map((r) => [r[0].start, r.at(-1).start + r.at(-1).duration]);
    for (const [track, made] of [[video, stats.fragmentsMade], [audio, stats.audio.fragmentsMade]]) {
      const dropped = lost(track.name);
      assert.ok(dropped.length > 0, `${track.name} lost fragments`);
      assert.equal(track.fragments + dropped.length, made, `${track.name}: stored + dropped = made`);
      assert.equal(track.missing, dropped.length, `${track.name}: the dropped numbers are the missing ones`);
      assert.equal(track.discontinuities, runs(track.name).length, `${track.name}: one marked gap per run of dropped fragments: ` +
        `${JSON.stringify(gaps(srv.dataDir, 'small', track.name))}, dropped ${JSON.stringify(dropped.map((f) => [f.sequence, f.start]))}, ` +
        `audio ${JSON.stringify(stats.audio)}`);
    }
    // The same spans went from both tracks, to within a fragment.
    const [v, a] = [runs('video'), runs('audio')];
    assert.equal(v.length, a.length, `video lost ${JSON.stringify(v)}, audio lost ${JSON.stringify(a)} (µs)`);
    v.forEach((span, i) => assert.ok(Math.abs(span[0] - a[i][0]) < 1_100_000 && Math.abs(span[1] - a[i][1]) < 1_100_000,
      `video lost ${JSON.stringify(v)}, audio lost ${JSON.stringify(a)} (µs)`));

    const playlist = await (await fetch(`${srv.origin}/streams/small/video.m3u8`)).text();
    assert.equal(playlist.match(/#EXT-X-DISCONTINUITY\n/g)?.length, v.length, playlist);

    // hls.js plays the ended stream from its start, across the gap, to its end.
    const player = await openPage(browser, pages, { allow: [srv.origin] });
    const src = `${srv.origin}/streams/small/master.m3u8`;
    await player.page.goto(`${pages}/player.html?engine=hls&rate=2&src=${encodeURIComponent(src)}`);
    // 6 s before the offline gap and 8 s after it: playing to the end crosses it.
    const toEnd = (r) => r.ended || (Number.isFinite(r.duration) && r.duration > 10 && r.currentTime >= r.duration - 1.5);
    const deadline = Date.now() + 40000;
    let report;
    for (;;) {
      report = await player.page.evaluate(() => window.report);
      if (toEnd(report) || report.errors.length || Date.now() > deadline) break;
      await sleep(250);
    }
    await player.close();
    assert.deepEqual([...report.errors, ...player.errors], [], 'hls.js errors');
    ctx.diagnostic(`dropped ${stats.droppedMediaMs} ms (${fragments.length} fragments, ${dropped.length} events); ` +
      `hls.js played to ${report.currentTime.toFixed(1)} of ${report.duration.toFixed(1)} s, buffered ${JSON.stringify(report.buffered)}`);
    assert.ok(toEnd(report), `hls.js played to ${report.currentTime} s of ${report.duration} s (${video.fragments} s stored, gaps after ${v.map((x) => (x[0] / 1e6).toFixed(1)).join(', ')} s of media): ${JSON.stringify(report.events.slice(-5))}`);
  });
});
