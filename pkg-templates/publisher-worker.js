// framecast publisher worker: hosts the wasm module and one PublishSession.
// The main thread (publisher.js) sends captured frames; this worker copies
// them to I420 (or RGBA, converted in wasm), encodes, fragments and uploads.
//
// Messages in:  {type:'init', config} · {type:'frame', frame: VideoFrame, captureTime}
//               {type:'rgba', data, width, height, timestamp, captureTime} · {type:'dropped'}
//               {type:'finish', timeout}
// Messages out: {type:'ready', video} · {type:'error', error, fatal} · {type:'event', event}
//               {type:'frameDone'} · {type:'stats', stats} · {type:'finished', result, stats}
import init, { PublishSession } from './web/framecast.js';

let session = null;
let video = null;
// Frames are handled one after another, in arrival order; `finish` waits
// behind them.
let chain = Promise.resolve();
let buffer = new Uint8Array(0);
let scaleCtx = null;

function errorInfo(e) {
  return { message: e?.message ?? String(e), code: e?.code ?? 'internal', field: e?.field };
}

function bufferOf(size) {
  if (buffer.length < size) buffer = new Uint8Array(size);
  return buffer.subarray(0, size);
}

const RGB = { RGBA: false, RGBX: false, BGRA: true, BGRX: true };

// Copies a VideoFrame of the session's size in its own format; any other
// size or format is drawn scaled onto a canvas and read back as RGBA.
async function pushVideoFrame(frame, captureTime) {
  const W = video.width;
  const H = video.height;
  const ts = frame.timestamp;
  const rect = frame.visibleRect;
  const sameSize = rect && rect.width === W && rect.height === H;
  const fmt = frame.format;
  if (sameSize && (fmt === 'I420' || fmt === 'I420A')) {
    const layout = [
      { offset: 0, stride: W },
      { offset: W * H, stride: W / 2 },
      { offset: (W * H * 5) / 4, stride: W / 2 },
    ];
    if (fmt === 'I420A') layout.push({ offset: (W * H * 3) / 2, stride: W });
    const buf = bufferOf(fmt === 'I420A' ? W * H * 2.5 : W * H * 1.5);
    await frame.copyTo(buf, { layout });
    return session.pushI420(buf.subarray(0, W * H * 1.5), W, H, ts, captureTime);
  }
  if (sameSize && fmt === 'NV12') {
    const buf = bufferOf(W * H * 1.5);
    await frame.copyTo(buf, { layout: [{ offset: 0, stride: W }, { offset: W * H, stride: W }] });
    return session.pushNv12(buf, W, H, W, W * H, W, ts, captureTime);
  }
  if (sameSize && fmt in RGB) {
    const buf = bufferOf(W * H * 4);
    await frame.copyTo(buf, { layout: [{ offset: 0, stride: W * 4 }] });
    return session.pushRgba(buf, W, H, W * 4, RGB[fmt], ts, captureTime);
  }
  // One canvas at the session's size, made on first use.
  scaleCtx ??= new OffscreenCanvas(W, H).getContext('2d', { willReadFrequently: true });
  const ctx = scaleCtx;
  ctx.drawImage(frame, 0, 0, W, H);
  const img = ctx.getImageData(0, 0, W, H);
  return session.pushRgba(new Uint8Array(img.data.buffer), W, H, W * 4, false, ts, captureTime);
}

function fail(e, fatal) {
  postMessage({ type: 'error', error: errorInfo(e), fatal });
}

function handle(msg) {
  switch (msg.type) {
    case 'frame':
      chain = chain
        .then(() => pushVideoFrame(msg.frame, msg.captureTime))
        .catch((e) => fail(e, e?.code !== 'invalid-frame'))
        .finally(() => {
          msg.frame.close();
          postMessage({ type: 'frameDone' });
        });
      break;
    case 'rgba':
      chain = chain
        .then(() => {
          const { data, width, height, timestamp, captureTime } = msg;
          session.pushRgba(new Uint8Array(data), width, height, width * 4, false, timestamp, captureTime);
        })
        .catch((e) => fail(e, e?.code !== 'invalid-frame'))
        .finally(() => postMessage({ type: 'frameDone' }));
      break;
    case 'dropped':
      session.noteDropped(1);
      break;
    case 'finish':
      chain = chain
        .then(() => session.finish(msg.timeout))
        .then((result) => postMessage({ type: 'finished', result, stats: session.stats() }))
        .catch((e) => postMessage({ type: 'finished', result: { complete: false, error: errorInfo(e) }, stats: session.stats() }));
      break;
    default:
      break;
  }
}

self.onmessage = async (e) => {
  const msg = e.data;
  if (msg.type !== 'init') {
    if (session) handle(msg);
    else if (msg.type === 'frame') msg.frame.close();
    return;
  }
  try {
    await init(msg.wasmUrl ? { module_or_path: msg.wasmUrl } : undefined);
    session = new PublishSession(msg.config);
    video = session.video;
    session.onEvent((event) => postMessage({ type: 'event', event }));
    setInterval(() => postMessage({ type: 'stats', stats: session.stats() }), msg.statsInterval ?? 1000);
    postMessage({ type: 'ready', video });
  } catch (err) {
    fail(err, true);
  }
};
