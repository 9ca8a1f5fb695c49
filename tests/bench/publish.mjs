#!/usr/bin/env node
// Live publishing benchmark (issue 4): the demo page (www/) publishes
// Chromium's fake camera (30 fps) at the webcam-720p preset with 1 s
// fragments to a real framecast-server, as a user runs it; Node polls the
// stream's live HLS media playlist meanwhile. See BENCHMARKS.md, "Live
// publishing (issue 4)".
//
//   node tests/bench/publish.mjs [--runs N] [--seconds S] [--keep]
//   (--keep leaves the stream server's data in target/bench/publish-data-*)
//   (also part of `make bench`; alone: node tests/bench/run.mjs --only publish)
//
// Per run (fresh page and stream name; one server, demo server and Chromium
// for all runs):
// - encoded fps     = median of the page's encodedFps (frames encoded in the
//                     last 2 s, from the worker) sampled every second after
//                     the first 2 s of publishing (start-up left out); the
//                     whole-run average (framesEncoded / media span of the
//                     acknowledged fragments) is kept alongside;
// - drop ratio      = framesDropped / framesIn (the page's final stats);
// - glass-to-playlist, per fragment = Date.now() when Node's poller
//                     (every 20 ms) first reads the fragment in video.m3u8,
//                     minus the page's captureTime of its first frame; the
//                     first fragment (start-up) and the last (cut short by
//                     stop()) are left out; p50 and p95 per run;
// - capture -> ack  = the page's ackLatencyMsP50 (last frame captured to
//                     upload acknowledged), informative.
// The `bench:` lines give the median over runs.

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ROOT, OUT_DIR, median, percentile, round, markdownTable, parseArgs, machineInfo, requireBuilt } from './lib.mjs';
import { launchChromium, openPage, FAKE_MEDIA_ARGS } from './browser.mjs';
import { serveDemo } from '../../www/serve.mjs';
import { startStreamServer, SERVER_BIN } from '../../www/stream_server.mjs';

export const PRESET = 'webcam-720p';
export const FRAGMENT_MS = 1000;
export const POLL_MS = 20;
/** What the publish benchmark needs built, and how to build it. */
export const PUBLISH_NEEDS = [
  [path.join(ROOT, 'pkg/web/framecast.js'), 'make pkg'],
  [path.join(ROOT, 'pkg/publisher.js'), 'make pkg'],
  [SERVER_BIN, 'make native'],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const defaultLog = (msg) => console.error(`bench: ${msg}`);

/**
 * Polls `url` every `everyMs` until `stop()`; `seen` maps each fragment
 * sequence number to the Date.now() at which the first playlist listing it
 * had been read. Fragments are the `video/<seq>.m4s` URIs.
 */
function pollPlaylist(url, everyMs) {
  const seen = new Map();
  let polls = 0;
  let failures = 0;
  let stopped = false;
  let lastText = '';
  const loop = (async () => {
    while (!stopped) {
      const t0 = Date.now();
      try {
        const r = await fetch(url);
        const text = await r.text();
        const now = Date.now();
        polls += 1;
        if (r.ok) {
          lastText = text;
          for (const m of text.matchAll(/^video\/(\d+)\.m4s\b/gm)) {
            const seq = Number(m[1]);
            if (!seen.has(seq)) seen.set(seq, now);
          }
        } else failures += 1;
      } catch {
        failures += 1;
      }
      await sleep(Math.max(0, t0 + everyMs - Date.now()));
    }
  })();
  return {
    seen,
    stats: () => ({ polls, failures }),
    lastText: () => lastText,
    async stop() {
      stopped = true;
      await loop;
    },
  };
}

/** One publish run on a fresh page: returns its fragments, stats and figures. */
async function publishOnce(browser, demo, streams, { stream, seconds }) {
  const playlistUrl = `${streams.origin}/streams/${stream}/video.m3u8`;
  const poller = pollPlaylist(playlistUrl, POLL_MS);
  const p = await openPage(browser, demo.origin, { allow: [streams.origin] });
  const fail = (msg, extra = []) => new Error([msg, ...extra, ...p.errors].join('\n'));
  try {
    await p.page.goto(`${demo.origin}/?preset=${PRESET}&fragment=${FRAGMENT_MS}&autostart=1&stream=${stream}`);
    await p.page.waitForFunction(() => window.demo?.state === 'live' || window.demo?.errors.length, null,
      { timeout: 30000 });
    const pageErrors = () => p.page.evaluate(() => window.demo.errors.map((e) => `${e.code}: ${e.message}`));
    const failed = async (when) => fail(`publish run ${stream}: the page reported errors ${when}`, await pageErrors());
    if ((await pageErrors()).length || p.errors.length) throw await failed('while starting');
    const live = Date.now();
    const camera = await p.page.evaluate(() => document.getElementById('camera').srcObject?.getVideoTracks()[0]?.getSettings());
    // Per-second samples of the page's stats (encodedFps is over the last 2 s).
    const samples = [];
    while (Date.now() - live < seconds * 1000) {
      await sleep(1000);
      const { s, ok } = await p.page.evaluate(() => ({ s: window.demo.stats,
        ok: window.demo.state === 'live' && !window.demo.errors.length }));
      if (!ok || p.errors.length) throw await failed('while publishing');
      // The page refreshes its stats every second: keep each sample once.
      if (s && !(samples.at(-1)?.framesIn === s.framesIn && samples.at(-1)?.framesEncoded === s.framesEncoded)) {
        samples.push({ t: (Date.now() - live) / 1000, ...s });
      }
    }
    await p.page.evaluate(() => window.demo.stop());
    const d = await p.page.evaluate(() => ({
      fragments: window.demo.fragments, warnings: window.demo.warnings, errors: window.demo.errors,
      stopResult: window.demo.stopResult, state: window.demo.state,
    }));
    d.camera = camera;
    // Wait (up to 5 s) until the poller has seen every acknowledged fragment.
    const deadline = Date.now() + 5000;
    while (d.fragments.some((f) => !poller.seen.has(f.sequence)) && Date.now() < deadline) await sleep(POLL_MS);
    await poller.stop();

    if (d.errors.length || p.errors.length) throw await failed('while stopping');
    if (!d.fragments.length) throw fail(`publish run ${stream}: no fragment was acknowledged`);
    const missing = d.fragments.filter((f) => !poller.seen.has(f.sequence)).map((f) => f.sequence);
    if (missing.length) {
      throw fail(`publish run ${stream}: fragments ${missing.join(', ')} never appeared in ${playlistUrl}`,
        [`last playlist:\n${poller.lastText()}`]);
    }
    if (!d.stopResult?.complete) throw fail(`publish run ${stream}: stop() did not complete`);
    return summarize(stream, d, samples, poller);
  } finally {
    await poller.stop();
    await p.close();
  }
}

/** The figures of one run (see the header comment). */
function summarize(stream, d, samples, poller) {
  const st = d.stopResult.stats;
  const frags = [...d.fragments].sort((a, b) => a.sequence - b.sequence);
  const spanS = (frags.at(-1).start + frags.at(-1).duration - frags[0].start) / 1e6;
  const steady = frags.slice(1, -1);
  const g2p = steady.map((f) => poller.seen.get(f.sequence) - f.captureTime);
  const late = samples.filter((s) => s.t > 2);
  return {
    stream,
    fragments: frags.length,
    fragments_measured: g2p.length,
    media_seconds: round(spanS, 3),
    frames_in: st.framesIn,
    frames_encoded: st.framesEncoded,
    frames_dropped: st.framesDropped,
    encoded_fps: round(median(late.map((s) => s.encodedFps)), 2),
    encoded_fps_whole_run: round(st.framesEncoded / spanS, 2),
    capture_fps: round(median(late.map((s) => s.captureFps)), 2),
    drop_ratio: round(st.framesIn ? st.framesDropped / st.framesIn : NaN, 4),
    encode_ms_p50: round(st.encodeMsP50, 2),
    encode_ms_p95: round(st.encodeMsP95, 2),
    glass_to_playlist_ms: g2p.map((x) => round(x, 0)),
    glass_to_playlist_ms_p50: round(percentile(g2p, 50), 0),
    glass_to_playlist_ms_p95: round(percentile(g2p, 95), 0),
    capture_to_ack_ms_p50: round(st.ackLatencyMsP50, 0),
    capture_to_ack_ms_p95: round(st.ackLatencyMsP95, 0),
    kbps: round((frags.reduce((a, f) => a + f.bytes, 0) * 8) / spanS / 1000, 0),
    retries: st.retries,
    warnings: d.warnings.length,
    playlist_polls: poller.stats().polls,
    playlist_poll_failures: poller.stats().failures,
    camera: d.camera && { width: d.camera.width, height: d.camera.height, frameRate: d.camera.frameRate },
    // Per fragment: media start/duration (µs), first frame's capture and first sight in the playlist (ms).
    fragment_log: frags.map((f) => ({ sequence: f.sequence, start: f.start, duration: f.duration, bytes: f.bytes,
      captureTime: f.captureTime, seenAt: poller.seen.get(f.sequence), latencyMs: round(f.latencyMs, 0),
      attempts: f.attempts })),
    stats_samples: samples.map((x) => ({ t: round(x.t, 2), encodedFps: round(x.encodedFps, 2),
      captureFps: round(x.captureFps, 2), framesIn: x.framesIn, framesEncoded: x.framesEncoded,
      framesDropped: x.framesDropped })),
  };
}

/**
 * The benchmark: `runs` runs of `seconds` s each. Resolves
 * `{ config, chromium, runs: [...] }`; throws on the first failed run.
 */
export async function publishBench({ runs = 3, seconds = 20, keep = false, log = defaultLog } = {}) {
  requireBuilt(PUBLISH_NEEDS);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const loadavgStart = machineInfo().loadavg;
  const dataDir = fs.mkdtempSync(path.join(OUT_DIR, 'publish-data-'));
  let streams = null;
  let demo = null;
  let browser = null;
  try {
    streams = await startStreamServer({ dataDir });
    demo = await serveDemo({ endpoint: streams.origin });
    browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
    log(`publish: Chromium ${browser.version()}, ${PRESET}, ${FRAGMENT_MS} ms fragments, ${runs} x ${seconds} s; ` +
      `stream server ${streams.origin}, demo ${demo.origin}`);
    const out = [];
    for (let i = 0; i < runs; i++) {
      const stream = `bench-${Date.now().toString(36)}-${i + 1}`;
      log(`publish run ${i + 1}/${runs} (${stream}) ...`);
      const r = await publishOnce(browser, demo, streams, { stream, seconds });
      log(`publish run ${i + 1}: ${r.fragments} fragments, ${r.encoded_fps} fps encoded, drop ratio ${r.drop_ratio}, ` +
        `glass-to-playlist p50 ${r.glass_to_playlist_ms_p50} ms p95 ${r.glass_to_playlist_ms_p95} ms, ` +
        `capture->ack p50 ${r.capture_to_ack_ms_p50} ms`);
      out.push(r);
    }
    return {
      config: { preset: PRESET, fragment_ms: FRAGMENT_MS, seconds, runs, poll_ms: POLL_MS, camera: FAKE_MEDIA_ARGS.join(' ') },
      chromium: browser.version(),
      loadavg_start: loadavgStart,
      loadavg_end: machineInfo().loadavg,
      runs: out,
    };
  } finally {
    await browser?.close();
    demo?.server.closeAllConnections?.();
    demo?.server.close();
    await streams?.stop();
    if (keep) log(`publish: streams kept in ${path.relative(ROOT, dataDir)}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/**
 * The `bench:` values of a publishBench() result: medians over runs, then
 * `publish_720p_per_run`, the per-run values on one line.
 */
export function publishLines(result) {
  const med = (k, d) => round(median(result.runs.map((r) => r[k])), d);
  const fmt = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  const per = (k) => result.runs.map((r) => r[k]).join(' ');
  return {
    publish_720p_encoded_fps: fmt(med('encoded_fps', 1), 1),
    publish_720p_drop_ratio: fmt(med('drop_ratio', 4), 4),
    glass_to_playlist_ms_p50: fmt(med('glass_to_playlist_ms_p50', 0), 0),
    glass_to_playlist_ms_p95: fmt(med('glass_to_playlist_ms_p95', 0), 0),
    publish_720p_capture_to_ack_ms_p50: fmt(med('capture_to_ack_ms_p50', 0), 0),
    publish_720p_per_run: `encoded_fps ${per('encoded_fps')}; drop_ratio ${per('drop_ratio')}; ` +
      `glass_to_playlist_ms_p50 ${per('glass_to_playlist_ms_p50')}; p95 ${per('glass_to_playlist_ms_p95')}; ` +
      `capture_to_ack_ms_p50 ${per('capture_to_ack_ms_p50')}`,
  };
}

/** Prints the heading, the settings and one table row per run. */
export function printPublishTable(result, machine) {
  const { config: c, runs } = result;
  console.log(`\n## framecast live publishing benchmark\n`);
  console.log(`Demo page, ${c.preset}, ${c.fragment_ms} ms fragments, Chromium fake camera (30 fps), ${c.seconds} s ` +
    `per run, ${c.runs} runs; playlist polled every ${c.poll_ms} ms from Node. Encoded and capture fps: median of the ` +
    `page's 1 s samples after the first 2 s; whole run: framesEncoded / media span. Glass-to-playlist leaves out ` +
    `each run's first and last fragment. ${machine.nproc} x ${machine.cpu}, load average ${result.loadavg_start.join(' ')} ` +
    `at start, ${result.loadavg_end.join(' ')} at end.\n`);
  const rows = runs.map((r, i) => [String(i + 1), String(r.fragments), r.encoded_fps.toFixed(1),
    r.capture_fps.toFixed(1), r.encoded_fps_whole_run.toFixed(1), r.drop_ratio.toFixed(4),
    String(r.encode_ms_p50), String(r.glass_to_playlist_ms_p50), String(r.glass_to_playlist_ms_p95),
    String(r.capture_to_ack_ms_p50), String(r.kbps)]);
  console.log(markdownTable(['run', 'fragments', 'encoded fps', 'capture fps', 'encoded fps, whole run',
    'drop ratio', 'encode ms p50', 'glass-to-playlist ms p50', 'p95', 'capture→ack ms p50', 'kbit/s'], rows,
  ['---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:', '---:']));
  console.log('');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2), { runs: Number, seconds: Number, keep: Boolean });
  for (const k of ['runs', 'seconds']) {
    if (args[k] !== undefined && !(Number.isInteger(args[k]) && args[k] >= 1)) throw new Error(`--${k} needs a positive integer`);
  }
  const machine = machineInfo();
  try {
    const result = await publishBench({ runs: args.runs, seconds: args.seconds, keep: args.keep });
    printPublishTable(result, machine);
    for (const [k, v] of Object.entries(publishLines(result))) console.log(`bench: ${k} = ${v}`);
    const file = path.join(OUT_DIR, 'publish.json');
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, ...result }, null, 2) + '\n');
    defaultLog(`wrote ${path.relative(ROOT, file)}`);
  } catch (e) {
    console.error(`bench: FAILED publish: ${e.stack ?? e}`);
    process.exitCode = 1;
  }
}
