// framecast publisher worker: hosts the wasm module and one PublishSession.
// The main thread (publisher.js) sends captured frames; this worker copies
// them out as they are (I420, NV12 or RGBA; the session applies the preset's
// sizing and watermarks in wasm), encodes, fragments and uploads.
//
// Messages in and out are those of publisher-protocol.js (`toWorker`,
// `toPage`).
// The publisher's own wasm module (cargo feature `publish`), not the root's.
import init, { PublishSession } from './web-publisher/framecast.js';
import { FramecastError } from './errors.js';
import { errorInfo, toPage } from './publisher-protocol.js';

// The audio encoders (cargo feature `audio-encoder`), a wasm module each.
// Their JS glue is small and imported statically, so that bundlers ship
// both modules (a dynamic import() would also need ES-module worker
// output, which Vite does not make by default); their .wasm is fetched only
// when a session needs that codec, before `ready`, so audio never waits on
// a download mid-stream.
import initAac, { LiveAudioEncoder as AacEncoder } from './web-publisher-aac/framecast.js';
import initOpus, { LiveAudioEncoder as OpusEncoder } from './web-publisher-opus/framecast.js';

const AUDIO_MODULES = {
  aac: { init: initAac, Encoder: AacEncoder },
  opus: { init: initOpus, Encoder: OpusEncoder },
};

// Loads the audio encoder module `session` needs and hands the session its
// factory. Codecs without a module (the session refuses them itself at
// the first samples) load nothing.
async function loadAudioEncoder(session, wasmUrls) {
  const codec = session.audioCodec;
  const module = AUDIO_MODULES[codec];
  if (!module) return;
  try {
    const url = wasmUrls?.[codec];
    await module.init(url ? { module_or_path: url } : undefined);
  } catch (cause) {
    throw new FramecastError(`the ${codec} audio encoder module did not load: ${cause?.message ?? cause}`, { code: 'worker-error', field: 'audioWasmUrls', cause });
  }
  const { Encoder } = module;
  session.setAudioEncoderFactory((audio, rate, channels) => new Encoder(audio, rate, channels));
}

let session = null;
// Frames are handled one after another, in arrival order; `finish` waits
// behind them.
let chain = Promise.resolve();
let buffer = new Uint8Array(0);
let scaleCtx = null;

function bufferOf(size) {
  if (buffer.length < size) buffer = new Uint8Array(size);
  return buffer.subarray(0, size);
}

const RGB = { RGBA: false, RGBX: false, BGRA: true, BGRX: true };

// Hands a VideoFrame to the session at its own size, in its own layout
// where wasm reads it (I420, NV12, RGB); the session applies the preset's
// sizing and watermarks. Other layouts are drawn on a canvas and read back
// as RGBA.
async function pushVideoFrame(frame, captureTime) {
  const ts = frame.timestamp;
  // copyTo copies the visible rectangle by default.
  const { width: W, height: H } = frame.visibleRect ?? { width: frame.codedWidth, height: frame.codedHeight };
  const fmt = frame.format;
  if (W % 2 === 0 && H % 2 === 0 && (fmt === 'I420' || fmt === 'I420A')) {
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
  if (W % 2 === 0 && H % 2 === 0 && fmt === 'NV12') {
    const buf = bufferOf(W * H * 1.5);
    await frame.copyTo(buf, { layout: [{ offset: 0, stride: W }, { offset: W * H, stride: W }] });
    return session.pushNv12(buf, W, H, W, W * H, W, ts, captureTime);
  }
  if (fmt in RGB && W % 2 === 0 && H % 2 === 0) {
    const buf = bufferOf(W * H * 4);
    await frame.copyTo(buf, { layout: [{ offset: 0, stride: W * 4 }] });
    return session.pushRgba(buf, W, H, W * 4, RGB[fmt], ts, captureTime);
  }
  // Any other layout (or an odd size): drawn at the even size below it.
  const w = W & ~1;
  const h = H & ~1;
  if (!scaleCtx || scaleCtx.canvas.width !== w || scaleCtx.canvas.height !== h) {
    scaleCtx = new OffscreenCanvas(w, h).getContext('2d', { willReadFrequently: true });
  }
  scaleCtx.drawImage(frame, 0, 0, w, h);
  const img = scaleCtx.getImageData(0, 0, w, h);
  return session.pushRgba(new Uint8Array(img.data.buffer), w, h, w * 4, false, ts, captureTime);
}

// Microphone audio, from either capture path: interleaved f32 stamped at
// its first frame's capture (µs, on the audio's own clock), read at
// `captureTime` (wall-clock ms). The session maps it onto the video clock
// (the core's publish::AvClock) and holds it until the mapping is settled.
function pushPcm(pcm, rate, ch, timestamp, captureTime) {
  session.pushAudio(pcm, rate, ch, timestamp, captureTime);
}

// AudioData (any sample format) -> interleaved f32.
let planes = new Float32Array(0);
function pushAudioData(audio, captureTime) {
  const n = audio.numberOfFrames;
  const ch = audio.numberOfChannels;
  if (planes.length < n) planes = new Float32Array(n);
  const pcm = new Float32Array(n * ch);
  for (let c = 0; c < ch; c++) {
    audio.copyTo(planes.subarray(0, n), { planeIndex: c, format: 'f32-planar' });
    for (let i = 0; i < n; i++) pcm[i * ch + c] = planes[i];
  }
  pushPcm(pcm, audio.sampleRate, ch, audio.timestamp, captureTime);
}

// A failed frame is skipped (a warning) when only that frame was wrong;
// anything else ends the publisher. `fallback` codes errors that carry none.
function fail(e, fatal, fallback) {
  postMessage(toPage.error(e, fatal, fallback));
}

const isFrameError = (e) => e?.code === 'invalid-frame';

function handle(msg) {
  switch (msg.type) {
    case 'frame':
      chain = chain
        .then(() => pushVideoFrame(msg.frame, msg.captureTime))
        .catch((e) => fail(e, !isFrameError(e)))
        .finally(() => {
          msg.frame.close();
          postMessage(toPage.frameDone());
        });
      break;
    case 'rgba':
      chain = chain
        .then(() => {
          const { data, width, height, timestamp, captureTime } = msg;
          session.pushRgba(new Uint8Array(data), width, height, width * 4, false, timestamp, captureTime);
        })
        .catch((e) => fail(e, !isFrameError(e)))
        .finally(() => postMessage(toPage.frameDone()));
      break;
    case 'audio':
      chain = chain
        .then(() => pushAudioData(msg.audio, msg.captureTime))
        .catch((e) => fail(e, !isFrameError(e)))
        .finally(() => msg.audio.close());
      break;
    case 'pcm':
      chain = chain
        .then(() => pushPcm(msg.pcm, msg.rate, msg.channels, msg.timestamp, msg.captureTime))
        .catch((e) => fail(e, !isFrameError(e)));
      break;
    case 'dropped':
      session.noteDropped(1);
      break;
    case 'camera':
      if (msg.frameRate) session.setCameraFrameRate(msg.frameRate);
      break;
    case 'finish':
      chain = chain
        .then(() => {
          try {
            session.flushAudio();
          } catch (e) {
            fail(e, false);
          }
        })
        .then(() => session.finish(msg.timeout))
        .then((result) => postMessage(toPage.finished(result, session.stats())))
        .catch((e) => postMessage(toPage.finished({ complete: false, error: errorInfo(e) }, session.stats())));
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
    else if (msg.type === 'audio') msg.audio.close();
    return;
  }
  try {
    await init(msg.wasmUrl ? { module_or_path: msg.wasmUrl } : undefined);
    const made = new PublishSession(msg.config);
    if (msg.audio) await loadAudioEncoder(made, msg.audioWasmUrls);
    session = made;
    session.onEvent((event) => postMessage(toPage.event(event)));
    setInterval(() => postMessage(toPage.stats(session.stats())), msg.statsInterval ?? 1000);
    postMessage(toPage.ready(session.video));
  } catch (err) {
    // A bad config is the PublishSession's FramecastError; anything else
    // (the wasm did not load) is the worker's.
    fail(err, true, 'worker-error');
  }
};
