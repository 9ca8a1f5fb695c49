// Demo: camera -> framecast Publisher (Worker: OpenH264 wasm -> CMAF ->
// upload) -> framecast-server -> live HLS played back with hls.js.
// URL parameters (used by the e2e tests): ?preset=webcam-480p&stream=name
// &fragment=1000&autostart=1&capture=canvas&method=POST
import init, { webcamPresets } from '/pkg/web/framecast.js';
import { Publisher } from '/pkg/publisher.js';
import Hls from '/vendor/hls.mjs';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const config = await (await fetch('/config.json')).json();
await init();

for (const p of webcamPresets()) {
  const o = new Option(`${p.name} · ${p.bitrate / 1000} kbit/s`, p.id);
  $('preset').add(o);
}
$('preset').value = params.get('preset') ?? 'webcam-360p';
if (params.get('fragment')) $('fragment').value = params.get('fragment');
$('stream').value = params.get('stream') ?? `cam-${new Date().toISOString().slice(11, 19).replaceAll(':', '')}`;

let publisher = null;
let hls = null;
let playbackTimer = null;
// Exposed for tests and the benchmark: every acknowledged fragment, warnings, last stats.
window.demo = { fragments: [], warnings: [], errors: [], stats: null, state: 'idle', config };

const log = (line) => {
  const el = $('log');
  el.textContent = `${new Date().toISOString().slice(11, 23)} ${line}\n${el.textContent}`.slice(0, 8000);
};

function table(el, rows) {
  el.replaceChildren(...rows.map(([k, v]) => {
    const tr = document.createElement('tr');
    tr.innerHTML = `<td>${k}</td><td>${v}</td>`;
    return tr;
  }));
}

const fmt = (v, digits = 1) => (v === null || v === undefined || Number.isNaN(v) ? '–' : Number(v).toFixed(digits));

function showStats(s) {
  window.demo.stats = s;
  table($('stats'), [
    ['capture fps', fmt(s.captureFps)],
    ['encoded fps', fmt(s.encodedFps)],
    ['frames encoded / dropped', `${s.framesEncoded} / ${s.framesDropped}`],
    ['encode ms p50 / p95', `${fmt(s.encodeMsP50, 2)} / ${fmt(s.encodeMsP95, 2)}`],
    ['bitrate', `${fmt(s.bitrate / 1000, 0)} kbit/s`],
    ['fragments made / acknowledged', `${s.fragmentsMade} / ${s.fragmentsAcknowledged}`],
    ['dropped / rejected fragments', `${s.fragmentsDropped} / ${s.fragmentsRejected}`],
    ['retries', s.retries],
    ['upload queue', `${s.queueFragments} (${fmt(s.queueDurationMs / 1000)} s)`],
    ['capture → ack ms p50 / p95', `${fmt(s.ackLatencyMsP50, 0)} / ${fmt(s.ackLatencyMsP95, 0)}`],
  ]);
}

function play(stream) {
  const url = `${config.endpoint}/streams/${stream}/master.m3u8`;
  $('links').innerHTML = `<a href="${url}">HLS</a> · <a href="${config.endpoint}/streams/${stream}/manifest.mpd">DASH</a>`;
  const video = $('player');
  hls?.destroy();
  hls = new Hls({ liveSyncDurationCount: 2, manifestLoadingMaxRetry: 30, manifestLoadingRetryDelay: 500 });
  hls.on(Hls.Events.ERROR, (_e, data) => {
    if (data.fatal) log(`player: ${data.details}`);
  });
  hls.loadSource(url);
  hls.attachMedia(video);
  video.play().catch(() => {});
  clearInterval(playbackTimer);
  playbackTimer = setInterval(() => {
    const pdt = hls.playingDate?.getTime();
    const latency = pdt ? (Date.now() - pdt) / 1000 : null;
    window.demo.playback = { currentTime: video.currentTime, width: video.videoWidth, height: video.videoHeight, latency };
    table($('playback'), [
      ['player time', `${fmt(video.currentTime)} s`],
      ['picture', `${video.videoWidth}x${video.videoHeight}`],
      ['behind live edge (hls.js)', hls.latency ? `${fmt(hls.latency)} s` : '–'],
      ['glass-to-glass (PROGRAM-DATE-TIME)', latency === null ? '–' : `${fmt(latency)} s`],
    ]);
  }, 500);
}

async function start() {
  $('error').textContent = '';
  $('start').disabled = true;
  const stream = $('stream').value.trim();
  try {
    publisher = await Publisher.create({
      endpoint: config.endpoint,
      stream,
      preset: $('preset').value,
      fragmentDuration: Number($('fragment').value),
      capture: params.get('capture') ?? 'auto',
      uploadMethod: params.get('method') ?? undefined,
    });
    publisher.on('state', (s) => {
      window.demo.state = s;
      $('state').textContent = s;
    });
    publisher.on('stats', showStats);
    publisher.on('fragment', (f) => {
      window.demo.fragments.push(f);
      log(`fragment ${f.sequence}: ${(f.bytes / 1024).toFixed(0)} KiB, ${(f.duration / 1e6).toFixed(2)} s, acknowledged ${fmt(f.latencyMs, 0)} ms after capture${f.attempts > 1 ? ` (try ${f.attempts})` : ''}`);
      if (f.sequence === 1 || !hls) play(stream);
    });
    publisher.on('warning', (w) => {
      window.demo.warnings.push(w);
      log(`warning: ${w.message}`);
    });
    publisher.on('error', (e) => {
      window.demo.errors.push({ code: e.code, message: e.message });
      $('error').textContent = `${e.code}: ${e.message}`;
    });
    const camera = await navigator.mediaDevices.getUserMedia({
      audio: false,
      video: { width: { ideal: publisher.video.width }, height: { ideal: publisher.video.height }, frameRate: { ideal: publisher.video.frameRate } },
    });
    $('camera').srcObject = camera;
    await publisher.start(camera);
    window.demo.state = publisher.state;
    $('state').textContent = publisher.state;
    $('stop').disabled = false;
  } catch (e) {
    window.demo.errors.push({ code: e.code, message: e.message });
    $('error').textContent = `${e.code ?? 'error'}: ${e.message}`;
    $('start').disabled = false;
  }
}

async function stop() {
  $('stop').disabled = true;
  const result = await publisher.stop({ timeout: 15000 });
  window.demo.stopResult = { complete: result.complete, stats: result.stats };
  if (result.stats) showStats(result.stats);
  log(`stopped: ${result.complete ? 'every fragment acknowledged' : 'some fragments were not acknowledged'}`);
  $('camera').srcObject?.getTracks().forEach((t) => t.stop());
  $('start').disabled = false;
}

$('start').onclick = start;
$('stop').onclick = stop;
window.demo.start = start;
window.demo.stop = stop;
if (params.get('autostart')) start();
