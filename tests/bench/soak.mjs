#!/usr/bin/env node
// Publisher endurance (issue 19): a long publish at 720p with audio, its
// memory measured with NO DevTools client attached. A DevTools client
// (Playwright, Puppeteer) makes Chromium's network instrumentation keep
// every request body, so the tab then grows at the upload byte rate: that
// figure would be the harness's, not framecast's.
//
//   SOAK_MIN=30 node tests/bench/soak.mjs [--keep]
//   (also the last section of `make bench`; alone: node tests/bench/run.mjs --only soak)
//
// - Chromium is started directly (no --remote-debugging-*) on a page of a
//   local server; the page runs the npm package's Publisher (fake camera
//   and microphone, preset framecast-webcam-720p-ll: 1280x720 30 fps, Opus
//   audio; 2 s fragments) to a real framecast-server, and every 5 s POSTs
//   its stats and the acknowledgement latencies since the last report.
//   The answer to the last report tells it to stop; it then POSTs stop()'s
//   result.
// - Node samples the resident memory (VmRSS, /proc) of every Chromium
//   process every 10 s. The renderer is the `--type=renderer` process with
//   the most memory (the publishing page and its Worker run there).
// - Figures: the renderer's RSS slope (least squares, MB per hour) after a
//   5 min warm-up (half the run when shorter than 10 min); beside it the
//   slope of each minute's lowest sample (the floor under the garbage
//   collector's saw tooth) and the whole browser's (RSS summed over its
//   processes, shared pages counted in each); fragments made (both tracks), acknowledged,
//   dropped and lost (made but not stored on the server, from the
//   server's own stream description); acknowledgement latency p50 and p99
//   (capture of a fragment's last frame to its acknowledgement).
// - Lines: `bench: publish_soak_rss_slope_mb_per_hour` (target <= 5) and
//   `bench: publish_soak_fragments_lost` (target 0), and the others.
// SOAK_MIN (default 30) sets the minutes; BENCHMARKS.md records a run.

import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ROOT, OUT_DIR, percentile, round, markdownTable, parseArgs, machineInfo, requireBuilt } from './lib.mjs';
import { CHROMIUM_ARGS, FAKE_MEDIA_ARGS } from './browser.mjs';
import { allocatorGrowth, memoryInfra, readMemoryInfra } from './memory_infra.mjs';
import { serveStatic, TYPES } from '../../www/static.mjs';
import { startStreamServer, SERVER_BIN } from '../../www/stream_server.mjs';

export const SOAK_PRESET = 'framecast-webcam-720p-ll';
const REPORT_MS = 5000;
const SAMPLE_MS = 10000;
const CHROMIUM = '/usr/bin/chromium';
/** What the soak needs built, and how to build it. */
export const SOAK_NEEDS = [
  [path.join(ROOT, 'pkg/publisher.js'), 'make pkg'],
  [SERVER_BIN, 'make native'],
  [CHROMIUM, '.ci/bootstrap.sh'],
];

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const defaultLog = (msg) => console.error(`bench: ${msg}`);

/** The minutes to run: SOAK_MIN, else 30. */
export function soakMinutes(env = process.env) {
  if (env.SOAK_MIN === undefined || env.SOAK_MIN === '') return 30;
  const m = Number(env.SOAK_MIN);
  if (!(Number.isFinite(m) && m >= 1)) throw new Error(`SOAK_MIN must be a number of minutes >= 1, got "${env.SOAK_MIN}"`);
  return m;
}

/** The publishing page: everything it learns goes to POST /report. */
const PAGE = (endpoint, stream) => `<!doctype html>
<meta charset="utf-8"><title>framecast soak</title><link rel="icon" href="data:,">
<script type="module">
const post = (path, body) => fetch(path, { method: 'POST', body: JSON.stringify(body), headers: { 'Content-Type': 'application/json' } });
const errors = [];
let latencies = [];
let warnings = [];
try {
  const { Publisher } = await import('/pkg/publisher.js');
  const pub = await Publisher.create({ endpoint: ${JSON.stringify(endpoint)}, stream: ${JSON.stringify(stream)},
    preset: ${JSON.stringify(SOAK_PRESET)} });
  let stats = null;
  pub.on('stats', (s) => { stats = s; });
  pub.on('fragment', (f) => { if (f.latencyMs !== null) latencies.push(Math.round(f.latencyMs)); });
  pub.on('warning', (w) => { warnings.push({ code: w.code, message: w.message, mediaMs: w.mediaMs ?? null }); });
  pub.on('error', (e) => errors.push(e.code + ': ' + e.message));
  await pub.start();
  await post('/started', { video: pub.video ?? null });
  for (;;) {
    await new Promise((r) => setTimeout(r, ${REPORT_MS}));
    const r = await post('/report', { stats, latencies, warnings, errors });
    latencies = [];
    warnings = [];
    if ((await r.text()) === 'stop') break;
  }
  const result = await pub.stop({ timeout: 60000 });
  await post('/done', { result, latencies, warnings, errors });
} catch (e) {
  await post('/done', { failed: String(e && e.stack || e), errors });
}
</script>
<p>framecast soak</p>`;

/** The page's server: the page, the package, and the reports it POSTs. */
function pageServer(endpoint, stream) {
  const state = { started: null, reports: [], done: null, stop: false, waiters: [] };
  const notify = () => { for (const w of state.waiters.splice(0)) w(); };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://127.0.0.1');
    if (req.method === 'POST') {
      const parts = [];
      req.on('data', (d) => parts.push(d));
      req.on('end', () => {
        let body = null;
        try {
          body = JSON.parse(Buffer.concat(parts).toString('utf8'));
        } catch {
          res.writeHead(400).end('bad json');
          return;
        }
        const at = Date.now();
        if (url.pathname === '/started') state.started = { at, ...body };
        else if (url.pathname === '/report') state.reports.push({ at, ...body });
        else if (url.pathname === '/done') state.done = { at, ...body };
        else return res.writeHead(404).end('not found');
        res.writeHead(200, { 'content-type': 'text/plain' }).end(state.stop ? 'stop' : 'go');
        notify();
      });
      return;
    }
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': TYPES['.html'], 'cache-control': 'no-store' });
      return res.end(PAGE(endpoint, stream));
    }
    if (!serveStatic(req, res, { '/pkg/': path.join(ROOT, 'pkg') }, { cache: 'no-store' })) res.writeHead(404).end('not found');
  });
  const until = async (cond, timeoutMs, what) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`soak: no ${what} within ${timeoutMs / 1000} s`);
      await new Promise((r) => {
        state.waiters.push(r);
        setTimeout(r, 1000);
      });
    }
  };
  return new Promise((resolve, reject) => {
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => resolve({ origin: `http://127.0.0.1:${server.address().port}`, server, state, until }));
  });
}

/** VmRSS of `pid` in MB, or null when it is gone. */
function rssMb(pid) {
  try {
    const m = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** `root` and its descendants: [{ pid, cmdline }]. */
function processTree(root) {
  const children = new Map();
  for (const name of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(name));
    } catch {
      // gone
    }
  }
  const out = [];
  const walk = (pid) => {
    let cmdline = '';
    try {
      cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
    } catch {
      return;
    }
    out.push({ pid, cmdline });
    for (const c of children.get(pid) ?? []) walk(c);
  };
  walk(root);
  return out;
}

/** One sample: the largest renderer's RSS and the whole tree's, in MB. */
function sampleMemory(browserPid) {
  const tree = processTree(browserPid).map((p) => ({ ...p, rss: rssMb(p.pid) })).filter((p) => p.rss !== null);
  const renderers = tree.filter((p) => p.cmdline.includes('--type=renderer') && !p.cmdline.includes('--extension-process'));
  const renderer = renderers.sort((a, b) => b.rss - a.rss)[0] ?? null;
  return {
    renderer_pid: renderer?.pid ?? null,
    renderer_mb: renderer ? round(renderer.rss, 1) : null,
    renderers: renderers.length,
    total_mb: round(tree.reduce((a, p) => a + p.rss, 0), 1),
    processes: tree.length,
  };
}

/** Least-squares slope of `ys` over `xs`. */
export function slope(xs, ys) {
  const n = xs.length;
  if (n < 2) return NaN;
  const mx = xs.reduce((a, x) => a + x, 0) / n;
  const my = ys.reduce((a, y) => a + y, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i] - mx) * (ys[i] - my);
    den += (xs[i] - mx) ** 2;
  }
  return den > 0 ? num / den : NaN;
}

/** Runs the soak for `minutes`; resolves its figures (throws when the publish failed). */
export async function soakBench({ minutes = soakMinutes(), keep = false, memoryInfraDumps = false, log = defaultLog } = {}) {
  requireBuilt(SOAK_NEEDS);
  fs.mkdirSync(OUT_DIR, { recursive: true });
  const loadavgStart = machineInfo().loadavg;
  const dataDir = fs.mkdtempSync(path.join(OUT_DIR, 'soak-data-'));
  const profile = fs.mkdtempSync(path.join(os.tmpdir(), 'framecast-soak-chromium-'));
  const stream = `soak-${Date.now().toString(36)}`;
  const warmupMin = Math.min(5, minutes / 2);
  let streams = null;
  let page = null;
  let chromium = null;
  let exited = null;
  let mi = null;
  const launchedAt = Date.now();
  try {
    streams = await startStreamServer({ dataDir });
    page = await pageServer(streams.origin, stream);
    // Chromium alone: no DevTools client (no --remote-debugging-port/pipe).
    // With memoryInfraDumps, Chromium's startup tracing records where the
    // renderer's memory goes, up to 20 s before the end (the trace is
    // written then, while the publish still runs).
    mi = memoryInfraDumps ? memoryInfra({ dir: OUT_DIR, seconds: minutes * 60 - 20,
      intervalMs: Math.min(180000, Math.max(10000, Math.floor((minutes * 60000) / 10))) }) : null;
    chromium = spawn(CHROMIUM, [...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS, ...(mi?.args ?? []), `--user-data-dir=${profile}`, `${page.origin}/`],
      { stdio: ['ignore', 'ignore', 'pipe'] });
    let chromiumErr = '';
    chromium.stderr.on('data', (d) => { chromiumErr = (chromiumErr + d).slice(-4000); });
    exited = new Promise((r) => chromium.once('exit', (code, signal) => r({ code, signal })));
    log(`soak: ${minutes} min (warm-up ${warmupMin} min), ${SOAK_PRESET}, Chromium pid ${chromium.pid} (no DevTools), ` +
      `stream server ${streams.origin}, page ${page.origin}`);
    await page.until(() => page.state.started || page.state.done, 60000, 'start report from the page')
      .catch((e) => { throw new Error(`${e.message}; Chromium: ${chromiumErr.slice(-800)}`); });
    if (page.state.done?.failed) throw new Error(`soak page failed: ${page.state.done.failed}`);
    const t0 = page.state.started.at;
    const samples = [];
    let lastLog = t0;
    while (Date.now() - t0 < minutes * 60000) {
      if (chromium.exitCode !== null || chromium.signalCode !== null) throw new Error(`Chromium exited: ${chromiumErr.slice(-800)}`);
      const last = page.state.reports.at(-1);
      if (last?.errors?.length) throw new Error(`publisher errors: ${last.errors.join('; ')}`);
      if (page.state.done?.failed) throw new Error(`soak page failed: ${page.state.done.failed}`);
      samples.push({ t_min: round((Date.now() - t0) / 60000, 3), ...sampleMemory(chromium.pid) });
      if (Date.now() - lastLog >= 60000) {
        lastLog = Date.now();
        const s = last?.stats;
        log(`soak: ${samples.at(-1).t_min.toFixed(1)} min, renderer ${samples.at(-1).renderer_mb} MB, browser ` +
          `${samples.at(-1).total_mb} MB; acknowledged ${s?.fragmentsAcknowledged}, dropped ${s?.fragmentsDropped}, ` +
          `${s?.encodedFps?.toFixed(1)} fps`);
      }
      await sleep(Math.max(0, Math.min(SAMPLE_MS, t0 + minutes * 60000 - Date.now())));
    }
    samples.push({ t_min: round((Date.now() - t0) / 60000, 3), ...sampleMemory(chromium.pid) });
    let memory = null;
    if (mi) {
      // Dump times count from launch; the figures from the page's start.
      const file = await mi.waitForFile();
      const renderer = samples.at(-1).renderer_pid;
      const { pid, process, dumps } = readMemoryInfra(file, renderer);
      const offsetS = (t0 - launchedAt) / 1000;
      const shifted = dumps.map((d) => ({ ...d, t_s: d.t_s - offsetS }));
      memory = { file: path.relative(ROOT, file), pid, process, matches_sampled_renderer: pid === renderer,
        dumps: shifted, growth: allocatorGrowth(shifted, warmupMin * 60) };
    }
    page.state.stop = true;
    await page.until(() => page.state.done, 90000, 'stop() result from the page');
    const done = page.state.done;
    if (done.failed) throw new Error(`soak page failed: ${done.failed}`);
    const errors = [...page.state.reports.flatMap((r) => r.errors ?? []), ...(done.errors ?? [])];
    const st = done.result.stats;
    const info = await (await fetch(`${streams.origin}/streams/${stream}`)).json();
    const stored = info.tracks.reduce((a, t) => a + t.fragments, 0);
    const made = st.fragmentsMade + (st.audio?.fragmentsMade ?? 0);
    const latencies = [...page.state.reports.flatMap((r) => r.latencies), ...done.latencies];
    const warnings = [...page.state.reports.flatMap((r) => r.warnings), ...done.warnings];
    const steady = samples.filter((s) => s.t_min >= warmupMin);
    const perHour = (key) => round(slope(steady.map((s) => s.t_min / 60), steady.map((s) => s[key])), 1);
    // The garbage collector makes a saw tooth (about 5 MB, 30 s here): the
    // lowest sample of each whole minute after the warm-up is the floor.
    const floors = [];
    for (const s of steady) {
      const minute = Math.floor(s.t_min - warmupMin);
      if (minute >= Math.floor(samples.at(-1).t_min - warmupMin)) continue; // a last partial minute
      if (!floors[minute] || s.renderer_mb < floors[minute].renderer_mb) floors[minute] = s;
    }
    const floor = floors.filter(Boolean);
    const statsSeries = page.state.reports.map((r) => ({ t_min: round((r.at - t0) / 60000, 3),
      fragmentsAcknowledged: r.stats?.fragmentsAcknowledged, fragmentsDropped: r.stats?.fragmentsDropped,
      queueFragments: r.stats?.queueFragments, encodedFps: round(r.stats?.encodedFps, 1), framesDropped: r.stats?.framesDropped,
      bytesAcknowledged: r.stats?.bytesAcknowledged }));
    chromium.kill('SIGTERM');
    await Promise.race([exited, sleep(10000)]);
    return {
      config: { minutes, warmup_min: warmupMin, preset: SOAK_PRESET, fragment_ms: 2000, sample_ms: SAMPLE_MS,
        chromium: `${CHROMIUM} ${[...CHROMIUM_ARGS, ...FAKE_MEDIA_ARGS].join(' ')} (no DevTools client)` },
      loadavg_start: loadavgStart,
      loadavg_end: machineInfo().loadavg,
      video: page.state.started.video,
      complete: done.result.complete,
      errors,
      warnings: warnings.length,
      rss_slope_mb_per_hour: perHour('renderer_mb'),
      rss_floor_slope_mb_per_hour: round(slope(floor.map((s) => s.t_min / 60), floor.map((s) => s.renderer_mb)), 1),
      browser_rss_slope_mb_per_hour: perHour('total_mb'),
      renderer_mb_first: samples[0].renderer_mb,
      renderer_mb_after_warmup: steady[0]?.renderer_mb ?? null,
      renderer_mb_last: samples.at(-1).renderer_mb,
      renderer_pids: [...new Set(samples.map((s) => s.renderer_pid))],
      fragments_made: made,
      fragments_acknowledged: st.fragmentsAcknowledged,
      fragments_dropped: st.fragmentsDropped,
      fragments_stored: stored,
      fragments_lost: made - stored,
      frames_in: st.framesIn,
      frames_dropped: st.framesDropped,
      bytes_acknowledged: st.bytesAcknowledged,
      ack_ms_p50: round(percentile(latencies, 50), 0),
      ack_ms_p99: round(percentile(latencies, 99), 0),
      acks_timed: latencies.length,
      samples,
      stats: statsSeries,
      memory_infra: memory,
    };
  } finally {
    if (chromium && chromium.exitCode === null && chromium.signalCode === null) {
      chromium.kill('SIGKILL');
      await Promise.race([exited, sleep(10000)]);
    }
    page?.server.closeAllConnections?.();
    page?.server.close();
    await streams?.stop();
    fs.rmSync(profile, { recursive: true, force: true, maxRetries: 5 });
    if (keep) log(`soak: stream kept in ${path.relative(ROOT, dataDir)}`);
    else fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

/** The `bench:` values of a soakBench() result, the two with targets first. */
export function soakLines(r) {
  const fmt = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : 'n/a');
  return {
    publish_soak_rss_slope_mb_per_hour: fmt(r.rss_slope_mb_per_hour, 1),
    publish_soak_fragments_lost: String(r.fragments_lost),
    publish_soak_minutes: fmt(r.config.minutes, 1),
    publish_soak_rss_floor_slope_mb_per_hour: fmt(r.rss_floor_slope_mb_per_hour, 1),
    publish_soak_browser_rss_slope_mb_per_hour: fmt(r.browser_rss_slope_mb_per_hour, 1),
    publish_soak_fragments_made: String(r.fragments_made),
    publish_soak_fragments_acknowledged: String(r.fragments_acknowledged),
    publish_soak_fragments_dropped: String(r.fragments_dropped),
    publish_soak_ack_ms_p50: fmt(r.ack_ms_p50, 0),
    publish_soak_ack_ms_p99: fmt(r.ack_ms_p99, 0),
  };
}

/** Prints the heading, the settings and the figures. */
export function printSoakTable(r, machine) {
  const c = r.config;
  console.log(`\n## framecast publisher endurance (soak)\n`);
  console.log(`${c.minutes} min publish, ${c.preset} (${r.video?.width}x${r.video?.height}, audio on), ${c.fragment_ms} ms ` +
    `fragments, Chromium started directly with no DevTools client; RSS from /proc every ${c.sample_ms / 1000} s, slope ` +
    `after ${c.warmup_min} min. ${machine.nproc} x ${machine.cpu}, load average ${r.loadavg_start.join(' ')} at start, ` +
    `${r.loadavg_end.join(' ')} at end.\n`);
  console.log(markdownTable(['figure', 'value', 'target'], [
    ['renderer RSS slope, MB/hour', String(r.rss_slope_mb_per_hour), '<= 5'],
    ['renderer RSS floor slope (lowest sample of each minute), MB/hour', String(r.rss_floor_slope_mb_per_hour), ''],
    ['whole browser RSS slope (sum over its processes), MB/hour', String(r.browser_rss_slope_mb_per_hour), ''],
    ['renderer RSS first / after warm-up / last, MB', `${r.renderer_mb_first} / ${r.renderer_mb_after_warmup} / ${r.renderer_mb_last}`, ''],
    ['fragments made / acknowledged / dropped / stored', `${r.fragments_made} / ${r.fragments_acknowledged} / ${r.fragments_dropped} / ${r.fragments_stored}`, ''],
    ['fragments lost', String(r.fragments_lost), '0'],
    ['frames dropped / in', `${r.frames_dropped} / ${r.frames_in}`, ''],
    ['ack latency p50 / p99, ms', `${r.ack_ms_p50} / ${r.ack_ms_p99}`, ''],
  ], ['---', '---:', '---:']));
  console.log('');
  const mi = r.memory_infra;
  if (mi) {
    const rows = mi.growth.filter((g) => !g.name.includes('/') || Math.abs(g.mb_per_hour) >= 0.5);
    const span = rows[0] ? `${(rows[0].from_s / 60).toFixed(1)} to ${(rows[0].to_s / 60).toFixed(1)} min` : 'too few dumps';
    console.log(`Where the renderer's memory goes (Chromium memory-infra dumps of pid ${mi.pid}, ${mi.dumps.length} ` +
      `dumps, ${span}; \`${mi.file}\`):\n`);
    console.log(markdownTable(['allocator', 'after warm-up, MB', 'last, MB', 'MB/hour'],
      rows.map((g) => [g.name, g.from_mb.toFixed(1), g.to_mb.toFixed(1), g.mb_per_hour.toFixed(1)]), ['---', '---:', '---:', '---:']));
    console.log('');
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const args = parseArgs(process.argv.slice(2), { keep: Boolean, 'memory-infra': Boolean });
  const machine = machineInfo();
  try {
    const result = await soakBench({ keep: args.keep, memoryInfraDumps: args['memory-infra'] || process.env.SOAK_MEMORY_INFRA === '1' });
    printSoakTable(result, machine);
    for (const [k, v] of Object.entries(soakLines(result))) console.log(`bench: ${k} = ${v}`);
    const file = path.join(OUT_DIR, 'soak.json');
    fs.writeFileSync(file, JSON.stringify({ date: new Date().toISOString(), machine, ...result }, null, 2) + '\n');
    defaultLog(`wrote ${path.relative(ROOT, file)}`);
  } catch (e) {
    console.error(`bench: FAILED soak: ${e.stack ?? e}`);
    process.exitCode = 1;
  }
}
