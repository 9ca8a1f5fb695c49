// framecast Publisher: publishes a camera (MediaStream) to a framecast
// stream server. The main thread only captures and forwards frames; a
// dedicated Worker (publisher-worker.js, found next to this file through
// import.meta.url) encodes with OpenH264 in wasm, cuts CMAF fragments and
// uploads them with retries. Without MediaStreamTrackProcessor the
// microphone is read by an AudioWorklet (audio-capture-worklet.js, found
// the same way). Messages to and from the worker are made by
// publisher-protocol.js. See publisher.d.ts for the full API.
import { FramecastError } from './errors.js';
import { toError, toWorker } from './publisher-protocol.js';

export { FramecastError };

/** @deprecated The old name of `FramecastError`, kept for compatibility: the same class. */
export const PublisherError = FramecastError;

/** A FramecastError with `code` (and `field`, `cause` when given). */
const fail = (code, message, more) => new FramecastError(message, { code, ...more });
const configError = (field, message) => fail('invalid-config', `${field}: ${message}`, { field });

/** A browser error from opening or playing the camera or microphone, as `capture-failed`. */
const captureFailed = (e, what) => (e instanceof FramecastError
  ? e
  : fail('capture-failed', `${what}: ${e?.name ?? 'Error'}: ${e?.message ?? e}`, { cause: e }));

/** `signal.reason` as an `aborted` FramecastError (the reason as its cause). */
const aborted = (reason) => (reason instanceof FramecastError && reason.code === 'aborted'
  ? reason
  : fail('aborted', 'the publisher was cancelled', { cause: reason }));

/**
 * getUserMedia constraints for an encoder size and rate (`publisher.video`
 * before `start`): the camera's own picture (`resizeMode: 'none'`: the
 * browser neither crops nor scales it; the preset's sizing policy does that
 * in wasm), in the camera mode nearest that size and rate (ideal values;
 * the rate also as maximum); the microphone with `{ audio: true }`.
 * Without `resizeMode`, Chromium crops to the ideal aspect: a 720x1280
 * portrait camera asked for 1280x720 delivers 720x720.
 */
export function cameraConstraints(video, { audio = false } = {}) {
  return {
    audio: audio ? true : false,
    video: {
      width: { ideal: video.width },
      height: { ideal: video.height },
      frameRate: { ideal: video.frameRate, max: video.frameRate },
      resizeMode: 'none',
    },
  };
}

// Watermark images as Uint8Array (from Uint8Array, ArrayBuffer, Blob).
async function watermarkBytes(watermarks) {
  if (watermarks === undefined || watermarks === null) return undefined;
  if (typeof watermarks !== 'object') {
    throw configError('watermarks', 'must be an object of images by slot id');
  }
  const out = {};
  for (const [id, image] of Object.entries(watermarks)) {
    if (image instanceof Uint8Array) out[id] = image;
    else if (image instanceof ArrayBuffer) out[id] = new Uint8Array(image);
    else if (typeof Blob !== 'undefined' && image instanceof Blob) out[id] = new Uint8Array(await image.arrayBuffer());
    else throw configError(`watermarks.${id}`, 'must be PNG bytes (Uint8Array, ArrayBuffer or Blob)');
  }
  return out;
}

// `capture` as given (a string sets the video path) -> { video, audio }.
const CAPTURE = { video: ['auto', 'processor', 'canvas'], audio: ['auto', 'processor', 'worklet'] };
function captureModes(capture) {
  capture ??= 'auto';
  const modes = typeof capture === 'string' ? { video: capture } : capture;
  if (modes === null || typeof modes !== 'object') {
    throw configError('capture', 'must be a string or { video, audio }');
  }
  const out = {};
  for (const [kind, allowed] of Object.entries(CAPTURE)) {
    const value = modes[kind] ?? 'auto';
    if (!allowed.includes(value)) {
      const field = typeof capture === 'string' ? 'capture' : `capture.${kind}`;
      const names = allowed.map((a) => `"${a}"`);
      throw configError(field, `must be ${names.slice(0, -1).join(', ')} or ${names.at(-1)}, not ${JSON.stringify(value)}`);
    }
    out[kind] = value;
  }
  return out;
}

const FRAMES_IN_FLIGHT = 2;

// Reads a track through MediaStreamTrackProcessor, handing each VideoFrame
// or AudioData to `onItem` (which must close or transfer it), until the
// returned function is called.
function readTrack(track, onItem) {
  const reader = new MediaStreamTrackProcessor({ track }).readable.getReader();
  let stopped = false;
  (async () => {
    while (!stopped) {
      let result;
      try {
        result = await reader.read();
      } catch {
        break;
      }
      if (result.done) break;
      if (stopped) result.value.close();
      else onItem(result.value);
    }
  })();
  return () => {
    stopped = true;
    reader.cancel().catch(() => {});
  };
}

// The capture time (µs on the page clock, the time origin of Chromium's
// AudioData) of the sample an AudioContext renders at `contextTime` (s).
// getOutputTimestamp ties the context clock to performance.now() where the
// output device plays; a sample is rendered baseLatency + outputLatency
// before that, and reached the graph `inputLatency` (s) after its capture.
// Without an output timestamp yet, the context renders `currentTime` about
// now.
function captureMicros(ctx, contextTime, inputLatency) {
  const out = ctx.getOutputTimestamp?.();
  const renderedMs = out?.performanceTime > 0
    ? out.performanceTime + (contextTime - out.contextTime) * 1000 - ((ctx.baseLatency ?? 0) + (ctx.outputLatency ?? 0)) * 1000
    : performance.now() + (contextTime - ctx.currentTime) * 1000;
  return Math.round((renderedMs - inputLatency * 1000) * 1000);
}

// Reads a microphone track through an AudioWorklet (moduleUrl: the
// package's audio-capture-worklet.js): track -> MediaStreamAudioSourceNode
// -> AudioWorkletNode -> a muted GainNode -> destination (so that every
// browser pulls the graph). `onPcm({pcm, rate, channels, timestamp})` gets
// 10 ms of interleaved f32 stamped like AudioData. Resolves
// { stop, suspended }: `suspended` when an autoplay policy holds the
// context until a user gesture (it resumes on the next click or key).
async function readTrackWithWorklet(track, moduleUrl, onPcm) {
  const settings = track.getSettings?.() ?? {};
  const open = async (options) => {
    const ctx = new AudioContext(options);
    try {
      await ctx.audioWorklet.addModule(moduleUrl);
      const source = ctx.createMediaStreamSource(new MediaStream([track]));
      const node = new AudioWorkletNode(ctx, 'framecast-capture', {
        numberOfOutputs: 1,
        outputChannelCount: [1],
        processorOptions: { batchFrames: Math.round(ctx.sampleRate / 100) },
        ...(settings.channelCount > 0 ? { channelCount: settings.channelCount, channelCountMode: 'explicit' } : {}),
      });
      source.connect(node).connect(new GainNode(ctx, { gain: 0 })).connect(ctx.destination);
      return { ctx, node };
    } catch (e) {
      ctx.close().catch(() => {});
      throw e;
    }
  };
  // The track's rate spares a resampling; Firefox refuses a source whose
  // rate is not the context's, so then the browser's choice.
  let graph;
  try {
    graph = await open(settings.sampleRate ? { sampleRate: settings.sampleRate } : {});
  } catch (e) {
    if (!settings.sampleRate) throw e;
    graph = await open({});
  }
  const { ctx, node } = graph;
  const inputLatency = settings.latency ?? 0;
  node.port.onmessage = ({ data }) => {
    const timestamp = captureMicros(ctx, data.frame / ctx.sampleRate, inputLatency);
    onPcm({ pcm: data.pcm, rate: ctx.sampleRate, channels: data.channels, timestamp });
  };
  const resume = () => ctx.resume().then(() => true, () => false);
  const running = ctx.state === 'running' || (await Promise.race([resume(), new Promise((r) => setTimeout(() => r(false), 1000))]));
  const gestures = ['pointerdown', 'keydown'];
  if (!running) for (const g of gestures) addEventListener(g, resume, { once: true });
  const stop = () => {
    for (const g of gestures) removeEventListener(g, resume);
    node.port.onmessage = null;
    node.port.postMessage('stop');
    ctx.close().catch(() => {});
  };
  return { stop, suspended: !running };
}

export class Publisher {
  #worker;
  #options;
  #listeners = new Map();
  #state = 'idle';
  #video = null;
  #stats = null;
  #inFlight = 0;
  #captured = [];
  #stoppers = [];
  #ownedStream = null;
  #made = new Map();
  #finished = null;
  #signal;
  #cancelReason;

  /**
   * Creates a publisher and its Worker, and validates `options` there.
   * Rejects with a FramecastError (`invalid-config`, `invalid-preset`,
   * `invalid-watermark` with `field`; `worker-error`; `aborted`).
   */
  static async create(options = {}) {
    const { signal, capture, workerUrl, wasmUrl, audioWasmUrls, audioWorkletUrl, statsInterval, audio, ...config } = options;
    if (signal?.aborted) throw aborted(signal.reason);
    const modes = captureModes(capture);
    if ('watermarks' in config) config.watermarks = await watermarkBytes(config.watermarks);
    const pub = new Publisher(config, { signal, capture: modes, audio, audioWorkletUrl });
    const worker = workerUrl
      ? new Worker(workerUrl, { type: 'module' })
      : new Worker(new URL('./publisher-worker.js', import.meta.url), { type: 'module' });
    pub.#worker = worker;
    const ready = new Promise((resolve, reject) => {
      pub.#onReady = { resolve, reject };
    });
    worker.onmessage = (e) => pub.#onMessage(e.data);
    worker.onerror = (e) => {
      e.preventDefault?.();
      pub.#fatal(fail('worker-error', `publisher worker failed: ${e.message ?? 'unknown error'}`));
    };
    const audioUrls = audioWasmUrls
      ? Object.fromEntries(Object.entries(audioWasmUrls).filter(([, url]) => url).map(([codec, url]) => [codec, String(url)]))
      : undefined;
    worker.postMessage(toWorker.init(config, wasmUrl ? String(wasmUrl) : undefined, statsInterval, audio !== false, audioUrls));
    if (signal) {
      const onAbort = () => pub.cancel(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
    }
    try {
      await ready;
    } catch (e) {
      worker.terminate();
      throw e;
    }
    return pub;
  }

  #onReady = null;

  /** Use `Publisher.create`. */
  constructor(config, { signal, capture, audio, audioWorkletUrl }) {
    this.#options = { ...config, capture, audio, audioWorkletUrl };
    this.#signal = signal;
  }

  /** `'idle' | 'live' | 'stopping' | 'stopped' | 'failed' | 'closed'`. */
  get state() {
    return this.#state;
  }

  /**
   * Encoder settings (the preset plus `video` overrides): before the first
   * frame those for the preset's largest size, then those in force (also
   * the `video` event).
   */
  get video() {
    return this.#video;
  }

  /** Latest figures (also sent as the `stats` event every second). */
  get stats() {
    return this.#stats;
  }

  /** Subscribes to `'state' | 'video' | 'stats' | 'fragment' | 'warning' | 'error'`; returns an unsubscribe function. */
  on(type, listener) {
    if (!this.#listeners.has(type)) this.#listeners.set(type, new Set());
    this.#listeners.get(type).add(listener);
    return () => this.off(type, listener);
  }

  off(type, listener) {
    this.#listeners.get(type)?.delete(listener);
  }

  #emit(type, payload) {
    for (const fn of this.#listeners.get(type) ?? []) {
      try {
        fn(payload);
      } catch (e) {
        queueMicrotask(() => {
          throw e;
        });
      }
    }
  }

  #setState(state) {
    if (this.#state === state) return;
    this.#state = state;
    this.#emit('state', state);
  }

  #fatal(error) {
    if (this.#onReady) {
      this.#onReady.reject(error);
      this.#onReady = null;
      return;
    }
    if (this.#state === 'stopped' || this.#state === 'closed' || this.#state === 'failed') return;
    this.#stopCapture();
    this.#setState('failed');
    this.#emit('error', error);
    this.#finished?.resolve({ complete: false, error });
  }

  #onMessage(msg) {
    switch (msg.type) {
      case 'ready':
        this.#video = msg.video;
        this.#onReady?.resolve();
        this.#onReady = null;
        break;
      case 'error': {
        const err = toError(msg.error);
        if (msg.fatal) this.#fatal(err);
        else this.#emit('warning', { code: err.code, message: err.message });
        break;
      }
      case 'frameDone':
        this.#inFlight = Math.max(0, this.#inFlight - 1);
        break;
      case 'stats':
        this.#stats = this.#withCapture(msg.stats);
        this.#emit('stats', this.#stats);
        break;
      case 'event':
        this.#onEvent(msg.event);
        break;
      case 'finished':
        this.#stats = this.#withCapture(msg.stats);
        this.#finished?.resolve(msg.result);
        break;
      default:
        break;
    }
  }

  #onEvent(ev) {
    switch (ev.type) {
      case 'video': {
        const { type, ...video } = ev;
        this.#video = video;
        this.#emit('video', video);
        break;
      }
      case 'fragment':
        this.#made.set(`${ev.track}/${ev.sequence}`, ev);
        break;
      case 'ack': {
        const key = `${ev.track}/${ev.sequence}`;
        const made = this.#made.get(key) ?? {};
        this.#made.delete(key);
        const a = ev.ack;
        this.#emit('fragment', {
          track: a.track,
          sequence: a.sequence,
          start: a.producerTimestamp,
          duration: a.duration,
          bytes: a.bytes,
          keyframe: a.keyframe,
          captureTime: made.captureTime ?? null,
          serverTimestamp: a.serverTimestamp,
          persisted: a.persisted,
          duplicate: a.duplicate,
          latencyMs: ev.latencyMs,
          uploadMs: ev.uploadMs,
          attempts: ev.attempts,
        });
        break;
      }
      case 'retry':
      case 'rejected':
      case 'dropped':
        if (ev.type !== 'retry') console.warn(`framecast publisher: ${ev.message}`);
        if (ev.type === 'dropped') for (const f of ev.fragments) this.#made.delete(`${f.track}/${f.sequence}`);
        this.#emit('warning', { code: ev.type, ...ev });
        break;
      case 'failed':
        this.#fatal(fail('upload-failed', ev.message, { cause: { code: ev.code, message: ev.message } }));
        break;
      default:
        break;
    }
  }

  #withCapture(stats) {
    const now = performance.now();
    this.#captured = this.#captured.filter((t) => t > now - 2000);
    const n = this.#captured.length;
    const captureFps = n > 1 ? ((n - 1) * 1000) / (this.#captured[n - 1] - this.#captured[0]) : 0;
    return { ...stats, captureFps, state: this.#state };
  }

  /**
   * Starts publishing `stream`'s first video track; without a stream, opens
   * the camera with constraints from the preset (`cameraConstraints`).
   * Rejects with a FramecastError: `invalid-state` (not idle),
   * `capture-failed` (the camera or microphone did not open: `cause` is the
   * browser's error), `unsupported-input` (no video track),
   * `unsupported-runtime` (a forced capture path is missing), `aborted`.
   */
  async start(stream) {
    if (this.#state !== 'idle') throw fail('invalid-state', `start() needs state idle, not ${this.#state}`);
    if (this.#signal?.aborted) throw aborted(this.#signal.reason);
    const wantAudio = this.#options.audio !== false;
    if (!stream) {
      try {
        stream = await navigator.mediaDevices.getUserMedia(cameraConstraints(this.#video, { audio: wantAudio }));
      } catch (e) {
        throw captureFailed(e, 'getUserMedia');
      }
      this.#ownedStream = stream;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) {
      this.#releaseStream();
      throw fail('unsupported-input', 'the MediaStream has no video track', { field: 'stream' });
    }
    this.#worker.postMessage(toWorker.camera(track.getSettings?.().frameRate));
    const modes = this.#options.capture;
    const hasProcessor = typeof MediaStreamTrackProcessor === 'function';
    const processor = hasProcessor && modes.video !== 'canvas';
    const mic = wantAudio ? stream.getAudioTracks()[0] : undefined;
    try {
      if (modes.video === 'processor' && !hasProcessor) {
        throw fail('unsupported-runtime', 'MediaStreamTrackProcessor is not available here');
      }
      if (mic) await this.#openMicrophone(mic, modes.audio, hasProcessor);
    } catch (e) {
      this.#releaseStream();
      throw e;
    }
    if (this.#state !== 'idle') {
      // cancel() came while the microphone opened.
      this.#stopCapture();
      throw aborted(this.#cancelReason);
    }
    this.#setState('live');
    if (processor) this.#captureWithProcessor(track);
    else await this.#captureWithCanvas(track).catch((e) => {
      throw captureFailed(e, 'camera playback');
    });
  }

  // Picks the microphone's path: MediaStreamTrackProcessor, else (or with
  // `capture.audio: 'worklet'`) an AudioWorklet. A forced path that is
  // missing rejects `start`; otherwise, without either, a `warning` and
  // video only.
  async #openMicrophone(mic, mode, hasProcessor) {
    const hasWorklet = typeof AudioWorkletNode === 'function';
    const missing = (what) => fail('unsupported-runtime', `${what} is not available here`, { field: 'capture.audio' });
    if (mode === 'processor' && !hasProcessor) throw missing('MediaStreamTrackProcessor');
    if (mode === 'worklet' && !hasWorklet) throw missing('AudioWorklet');
    if (hasProcessor && mode !== 'worklet') {
      this.#captureAudio(mic);
      return;
    }
    if (!hasWorklet) {
      this.#emit('warning', { code: 'no-audio-capture', message: 'this browser has neither MediaStreamTrackProcessor nor AudioWorklet; publishing video only' });
      return;
    }
    try {
      await this.#captureAudioWithWorklet(mic);
    } catch (e) {
      if (mode === 'worklet') throw fail('unsupported-runtime', `AudioWorklet capture failed: ${e?.message ?? e}`, { field: 'capture.audio', cause: e });
      this.#emit('warning', { code: 'no-audio-capture', message: `AudioWorklet capture failed (${e?.message ?? e}); publishing video only` });
    }
  }

  #stopCapture() {
    for (const stop of this.#stoppers.splice(0)) stop();
  }

  // Closes the camera and microphone when `start` opened them.
  #releaseStream() {
    this.#ownedStream?.getTracks().forEach((t) => t.stop());
    this.#ownedStream = null;
  }

  /** True when a frame may go to the worker; counts a drop otherwise. */
  #admit() {
    this.#captured.push(performance.now());
    if (this.#state !== 'live') return false;
    if (this.#inFlight >= FRAMES_IN_FLIGHT) {
      this.#worker.postMessage(toWorker.dropped());
      return false;
    }
    this.#inFlight += 1;
    return true;
  }

  #captureWithProcessor(track) {
    this.#stoppers.push(readTrack(track, (frame) => {
      if (!this.#admit()) {
        frame.close();
        return;
      }
      const captureTime = performance.timeOrigin + performance.now();
      this.#worker.postMessage(...toWorker.frame(frame, captureTime));
    }));
  }

  // Microphone: AudioData chunks go to the worker as they come (small, never
  // dropped); the worker maps their clock onto the video frames'.
  #captureAudio(track) {
    this.#stoppers.push(readTrack(track, (audio) => {
      if (this.#state !== 'live') {
        audio.close();
        return;
      }
      const captureTime = performance.timeOrigin + performance.now();
      this.#worker.postMessage(...toWorker.audio(audio, captureTime));
    }));
  }

  // Microphone through an AudioWorklet: PCM stamped on the page clock at
  // capture; `captureTime` is that same instant, so the worker's clock
  // mapping takes the worklet clock's offset as exact.
  async #captureAudioWithWorklet(track) {
    const url = this.#options.audioWorkletUrl ?? new URL('./audio-capture-worklet.js', import.meta.url);
    const { stop, suspended } = await readTrackWithWorklet(track, url, ({ pcm, rate, channels, timestamp }) => {
      if (this.#state !== 'live') return;
      const captureTime = performance.timeOrigin + timestamp / 1000;
      this.#worker.postMessage(...toWorker.pcm(pcm, rate, channels, timestamp, captureTime));
    });
    this.#stoppers.push(stop);
    if (suspended) {
      this.#emit('warning', { code: 'audio-suspended', message: 'the AudioContext waits for a user gesture (autoplay policy); audio starts after the next click or key press' });
    }
  }

  // Fallback without MediaStreamTrackProcessor (Firefox, Safari): video
  // element -> canvas at the camera's size (even) -> RGBA -> worker.
  async #captureWithCanvas(track) {
    const { frameRate } = this.#video;
    const video = document.createElement('video');
    video.muted = true;
    video.playsInline = true;
    video.srcObject = new MediaStream([track]);
    await video.play();
    const W = video.videoWidth & ~1;
    const H = video.videoHeight & ~1;
    const canvas = document.createElement('canvas');
    canvas.width = W;
    canvas.height = H;
    const ctx = canvas.getContext('2d', { willReadFrequently: true });
    let stopped = false;
    let timer = null;
    let last = -1;
    const useRvfc = typeof video.requestVideoFrameCallback === 'function';
    const step = (now, meta) => {
      if (stopped) return;
      // Frame times: the media time of the presented frame when known,
      // else the page clock; never going back.
      let ts = Math.round(meta?.mediaTime !== undefined ? meta.mediaTime * 1e6 : performance.now() * 1000);
      if (ts <= last) ts = last + 1;
      if (this.#admit()) {
        last = ts;
        ctx.drawImage(video, 0, 0, W, H);
        const data = ctx.getImageData(0, 0, W, H).data.buffer;
        const captureTime = performance.timeOrigin + performance.now();
        this.#worker.postMessage(...toWorker.rgba(data, W, H, ts, captureTime));
      }
      schedule();
    };
    const schedule = () => {
      if (stopped) return;
      if (useRvfc) video.requestVideoFrameCallback(step);
      else timer = setTimeout(() => step(performance.now()), 1000 / frameRate);
    };
    this.#stoppers.push(() => {
      stopped = true;
      clearTimeout(timer);
      video.pause();
      video.srcObject = null;
    });
    schedule();
  }

  /**
   * Stops capture, closes the last fragment, and waits (up to `timeout` ms,
   * default 10000) until every fragment and the end mark are acknowledged.
   * Resolves `{ complete, queueFragments, stats }`.
   */
  async stop({ timeout = 10000 } = {}) {
    if (this.#state !== 'live') throw fail('invalid-state', `stop() needs state live, not ${this.#state}`);
    this.#setState('stopping');
    this.#stopCapture();
    this.#releaseStream();
    const done = new Promise((resolve) => {
      this.#finished = { resolve };
    });
    this.#worker.postMessage(toWorker.finish(timeout));
    const result = await done;
    this.#finished = null;
    if (this.#state === 'failed') return { ...result, complete: false, stats: this.#stats };
    this.#worker.terminate();
    this.#setState('stopped');
    if (!result.complete) {
      this.#emit('error', fail('stop-timeout', `stop(): ${result.queueFragments ?? '?'} fragment(s) not acknowledged within ${timeout} ms`));
    }
    return { ...result, stats: this.#stats };
  }

  /**
   * Stops at once: no flush, no end mark. Also what an aborted `signal`
   * does. A `create` or `start` still pending rejects with `aborted`
   * (`reason` as its cause).
   */
  cancel(reason) {
    if (this.#state === 'closed') return;
    this.#cancelReason = reason;
    this.#stopCapture();
    this.#releaseStream();
    this.#worker?.terminate();
    this.#finished?.resolve({ complete: false, cancelled: true });
    if (this.#onReady) {
      this.#onReady.reject(aborted(reason));
      this.#onReady = null;
    }
    this.#setState('closed');
  }
}
