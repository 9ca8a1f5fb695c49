// Demo: capture → RGBA → I420 → framecast Encoder (wasm) → Decoder (wasm) → canvas.
// Runs on the main thread for now; the Worker pipeline and upload come with
// the Publisher API.
import init, { Encoder, Decoder, buildInfo } from '/pkg/web/framecast.js';

const $ = (id) => document.getElementById(id);
let running = null;

function rgbaToI420(rgba, w, h, out) {
  // BT.601 limited range, 2x2 chroma averaging.
  const cw = w >> 1, ys = w * h, cs = cw * (h >> 1);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const i = (y * w + x) * 4;
      out[y * w + x] = ((66 * rgba[i] + 129 * rgba[i + 1] + 25 * rgba[i + 2] + 128) >> 8) + 16;
    }
  }
  for (let y = 0; y < h; y += 2) {
    for (let x = 0; x < w; x += 2) {
      let r = 0, g = 0, b = 0;
      for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
        const i = ((y + dy) * w + x + dx) * 4;
        r += rgba[i]; g += rgba[i + 1]; b += rgba[i + 2];
      }
      r >>= 2; g >>= 2; b >>= 2;
      const c = (y >> 1) * cw + (x >> 1);
      out[ys + c] = ((-38 * r - 74 * g + 112 * b + 128) >> 8) + 128;
      out[ys + cs + c] = ((112 * r - 94 * g - 18 * b + 128) >> 8) + 128;
    }
  }
}

function i420ToRgba(yuv, w, h, img) {
  const cw = w >> 1, ys = w * h, cs = cw * (h >> 1), d = img.data;
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const Y = 1.164 * (yuv[y * w + x] - 16);
      const c = (y >> 1) * cw + (x >> 1);
      const U = yuv[ys + c] - 128, V = yuv[ys + cs + c] - 128;
      const i = (y * w + x) * 4;
      d[i] = Y + 1.596 * V; d[i + 1] = Y - 0.392 * U - 0.813 * V; d[i + 2] = Y + 2.017 * U; d[i + 3] = 255;
    }
  }
}

function testPattern(ctx, w, h, t) {
  const g = ctx.createLinearGradient(0, 0, w, h);
  g.addColorStop(0, `hsl(${(t / 20) % 360},70%,45%)`);
  g.addColorStop(1, `hsl(${(t / 20 + 180) % 360},70%,30%)`);
  ctx.fillStyle = g; ctx.fillRect(0, 0, w, h);
  ctx.fillStyle = '#fff'; ctx.font = `${h / 8}px sans-serif`;
  ctx.fillText('framecast', w * 0.1 + (t / 10) % (w * 0.5), h * 0.5);
  ctx.fillText(new Date().toISOString().slice(11, 23), w * 0.1, h * 0.8);
}

const median = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[s.length >> 1] : 0; };
const p95 = (a) => { const s = [...a].sort((x, y) => x - y); return s.length ? s[Math.floor(s.length * 0.95)] : 0; };

async function start() {
  $('error').textContent = '';
  const [size, bitrate] = $('preset').value.split(':');
  const [dims, fps] = size.split('@');
  const [w, h] = dims.split('x').map(Number);
  const video = $('camera');
  let stream = null;
  try {
    stream = await navigator.mediaDevices.getUserMedia({ video: { width: w, height: h, frameRate: Number(fps) } });
    video.srcObject = stream;
    await video.play();
  } catch (e) {
    $('state').textContent = `no camera (${e.name}); using a test pattern`;
  }
  const enc = new Encoder({ width: w, height: h, frameRate: Number(fps), bitrate: Number(bitrate), profile: $('profile').value });
  const dec = new Decoder();
  const src = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
  const out = $('decoded'); out.width = w; out.height = h;
  const octx = out.getContext('2d');
  const img = octx.createImageData(w, h);
  const i420 = new Uint8Array(w * h * 3 / 2);
  const st = { frames: 0, keys: 0, bytes: 0, encMs: [], decMs: [], t0: performance.now(), codec: '' };
  const show = (f) => { i420ToRgba(f.data, w, h, img); octx.putImageData(img, 0, 0); };
  const tick = () => {
    if (!running) return;
    const t = performance.now();
    if (stream) src.drawImage(video, 0, 0, w, h); else testPattern(src, w, h, t);
    rgbaToI420(src.getImageData(0, 0, w, h).data, w, h, i420);
    const e0 = performance.now();
    const chunk = enc.encode(i420, Math.round(t * 1000));
    const e1 = performance.now();
    if (chunk) {
      st.frames++; st.bytes += chunk.byteLength; st.codec = chunk.codec;
      if (chunk.keyframe) st.keys++;
      const f = dec.decode(chunk.data, chunk.timestamp);
      st.decMs.push(performance.now() - e1);
      if (f) show(f);
    }
    st.encMs.push(e1 - e0);
    if (st.encMs.length > 60) { st.encMs.shift(); st.decMs.shift(); }
    renderStats(st, w, h);
  };
  running = { stop: () => { clearInterval(timer); stream?.getTracks().forEach((t) => t.stop()); dec.flush().forEach(show); } };
  const timer = setInterval(tick, 1000 / Number(fps));
  $('start').disabled = true; $('stop').disabled = false;
  if (stream) $('state').textContent = 'encoding camera';
}

function renderStats(st, w, h) {
  const secs = (performance.now() - st.t0) / 1000;
  const rows = [
    ['Codec', `${st.codec} (${w}x${h})`],
    ['Frames encoded', `${st.frames} (${st.keys} keyframes)`],
    ['Encoded fps', (st.frames / secs).toFixed(1)],
    ['Encode ms p50 / p95', `${median(st.encMs).toFixed(1)} / ${p95(st.encMs).toFixed(1)}`],
    ['Decode ms p50', median(st.decMs).toFixed(1)],
    ['Bitrate', `${(st.bytes * 8 / secs / 1000).toFixed(0)} kbit/s`],
    ['Build', `${buildInfo().openh264} · framecast ${buildInfo().version}`],
  ];
  $('stats').innerHTML = rows.map(([k, v]) => `<tr><td>${k}</td><td id="stat-${k.split(' ')[0].toLowerCase()}">${v}</td></tr>`).join('');
}

$('start').onclick = () => start().catch((e) => { $('error').textContent = `${e.code ?? e.name}: ${e.message}`; running = null; });
$('stop').onclick = () => { running?.stop(); running = null; $('start').disabled = false; $('stop').disabled = true; $('state').textContent = 'stopped'; };

await init();
$('state').textContent = `ready (${buildInfo().openh264})`;
