// Demo: camera -> framecast Publisher (Worker: OpenH264 wasm -> CMAF ->
// upload) -> framecast-server -> live HLS played back with hls.js.
// URL parameters (used by the e2e tests): ?preset=webcam-480p&stream=name
// &fragment=1000&autostart=1&capture=canvas&method=POST&slot=BottomRight&audio=0
import init, { parsePreset, systemPresets, webcamPresets } from '/pkg/web/framecast.js';
import { cameraConstraints, Publisher } from '/pkg/publisher.js';
import Hls from '/vendor/hls.mjs';

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const config = await (await fetch('/config.json')).json();
await init();

// Presets: webcam ids (exactly that size), the system table, custom JSON.
const system = systemPresets();
const group = (label, options) => {
  const g = document.createElement('optgroup');
  g.label = label;
  for (const [text, value] of options) g.append(new Option(text, value));
  $('preset').add(g);
};
group('Webcam, exact size (no watermark slots)', webcamPresets().map((p) => [`${p.name} · ${p.bitrate / 1000} kbit/s`, p.id]));
group('System presets', system.map((p) => [`${p.name} · ${p.video.maxWidth}x${p.video.maxHeight} · ${p.video.bitRate} kbit/s`, p.id]));
group('Custom', [['Custom preset (JSON)…', 'custom']]);
$('preset').value = params.get('preset') ?? 'framecast-webcam-360p-ll';

// The preset the controls describe: a built-in id, or the parsed JSON.
function chosenPreset() {
  if ($('preset').value !== 'custom') return $('preset').value;
  return parsePreset($('custom').value);
}

function slotsOf(preset) {
  if (typeof preset !== 'string') return preset.watermarks ?? [];
  return system.find((p) => p.id === preset)?.watermarks ?? [];
}

function refreshSlots() {
  let slots = [];
  try {
    slots = slotsOf(chosenPreset());
  } catch {
    // Invalid JSON: the error shows on start.
  }
  const keep = $('wmslot').value || params.get('slot') || 'BottomRight';
  $('wmslot').replaceChildren(...slots.map((w) => new Option(w.id, w.id)));
  if (slots.some((w) => w.id === keep)) $('wmslot').value = keep;
  $('wmslot').disabled = $('wmfile').disabled = slots.length === 0;
}

$('preset').onchange = () => {
  const custom = $('preset').value === 'custom';
  $('custom').style.display = custom ? 'block' : 'none';
  if (custom && !$('custom').value) {
    const base = structuredClone(system.find((p) => p.id === 'framecast-webcam-360p-ll'));
    base.id = undefined;
    base.name = 'My preset';
    $('custom').value = JSON.stringify(base, null, 2);
  }
  refreshSlots();
};
$('custom').oninput = refreshSlots;
$('wmfile').onchange = () => {
  const file = $('wmfile').files[0];
  $('wmpreview').style.display = file ? 'inline' : 'none';
  if (file) $('wmpreview').src = URL.createObjectURL(file);
};
$('preset').onchange();
if (params.get('fragment')) $('fragment').value = params.get('fragment');
if (params.get('audio') === '0') $('audio').checked = false;
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
    ['encoded picture', publisher?.video ? `${publisher.video.width}x${publisher.video.height}` : '–'],
    ['frames encoded / dropped', `${s.framesEncoded} / ${s.framesDropped}`],
    ['encode ms p50 / p95', `${fmt(s.encodeMsP50, 2)} / ${fmt(s.encodeMsP95, 2)}`],
    ['bitrate', `${fmt(s.bitrate / 1000, 0)} kbit/s`],
    ['fragments made / acknowledged', `${s.fragmentsMade + (s.audio?.fragmentsMade ?? 0)} / ${s.fragmentsAcknowledged} (video and audio)`],
    ['dropped / rejected fragments', `${s.fragmentsDropped} / ${s.fragmentsRejected}`],
    ['retries', s.retries],
    ['upload queue', `${s.queueFragments} (${fmt(s.queueDurationMs / 1000)} s)`],
    ['capture → ack ms p50 / p95', `${fmt(s.ackLatencyMsP50, 0)} / ${fmt(s.ackLatencyMsP95, 0)}`],
    ['audio', s.audio ? `${s.audio.packets} packets, ${s.audio.fragmentsMade} fragments, re-locked ${s.audio.resyncs}×` : 'off'],
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
    const file = $('wmfile').disabled ? undefined : $('wmfile').files[0];
    publisher = await Publisher.create({
      endpoint: config.endpoint,
      stream,
      preset: chosenPreset(),
      watermarks: file ? { [$('wmslot').value]: file } : undefined,
      fragmentDuration: Number($('fragment').value),
      capture: params.get('capture') ?? 'auto',
      audio: $('audio').checked,
      uploadMethod: params.get('method') ?? undefined,
    });
    publisher.on('state', (s) => {
      window.demo.state = s;
      $('state').textContent = s;
    });
    publisher.on('stats', showStats);
    publisher.on('video', (v) => {
      window.demo.video = v;
      log(`encoding ${v.width}x${v.height} at ${v.frameRate} fps, ${v.bitrate / 1000} kbit/s (camera ${v.input.width}x${v.input.height})`);
    });
    publisher.on('fragment', (f) => {
      window.demo.fragments.push(f);
      log(`${f.track} fragment ${f.sequence}: ${(f.bytes / 1024).toFixed(0)} KiB, ${(f.duration / 1e6).toFixed(2)} s, acknowledged ${fmt(f.latencyMs, 0)} ms after capture${f.attempts > 1 ? ` (try ${f.attempts})` : ''}`);
      if (f.track === 'video' && (f.sequence === 1 || !hls)) play(stream);
    });
    publisher.on('warning', (w) => {
      window.demo.warnings.push(w);
      log(`warning: ${w.message}`);
    });
    publisher.on('error', (e) => {
      window.demo.errors.push({ code: e.code, message: e.message });
      $('error').textContent = `${e.code}: ${e.message}`;
    });
    const camera = await navigator.mediaDevices.getUserMedia(cameraConstraints(publisher.video, { audio: $('audio').checked }));
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
