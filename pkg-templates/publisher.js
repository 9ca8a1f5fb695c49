// framecast Publisher: publishes a camera (MediaStream) to a framecast
// stream server. The main thread only captures and forwards frames; a
// dedicated Worker (publisher-worker.js, found next to this file through
// import.meta.url) encodes with OpenH264 in wasm, cuts CMAF fragments and
// uploads them with retries. See publisher.d.ts for the full API.

/** An error with a stable `code` (and `field` for configuration errors). */
export class PublisherError extends Error {
  constructor(message, code, field) {
    super(message);
    this.name = 'PublisherError';
    this.code = code;
    if (field !== undefined) this.field = field;
  }
}

const toError = (info) => new PublisherError(info.message, info.code, info.field);

/**
 * getUserMedia constraints for an encoder size and rate (`publisher.video`
 * before `start`): that size as the ideal, that rate as ideal and maximum
 * (browsers drop frames to honour the maximum); the microphone with
 * `{ audio: true }`.
 */
export function cameraConstraints(video, { audio = false } = {}) {
  return {
    audio: audio ? true : false,
    video: {
      width: { ideal: video.width },
      height: { ideal: video.height },
      frameRate: { ideal: video.frameRate, max: video.frameRate },
    },
  };
}

// Watermark images as Uint8Array (from Uint8Array, ArrayBuffer, Blob).
async function watermarkBytes(watermarks) {
  if (watermarks === undefined || watermarks === null) return undefined;
  if (typeof watermarks !== 'object') {
    throw new PublisherError('watermarks: must be an object of images by slot id', 'invalid-config', 'watermarks');
  }
  const out = {};
  for (const [id, image] of Object.entries(watermarks)) {
    if (image instanceof Uint8Array) out[id] = image;
    else if (image instanceof ArrayBuffer) out[id] = new Uint8Array(image);
    else if (typeof Blob !== 'undefined' && image instanceof Blob) out[id] = new Uint8Array(await image.arrayBuffer());
    else throw new PublisherError(`watermarks.${id}: must be PNG bytes (Uint8Array, ArrayBuffer or Blob)`, 'invalid-config', `watermarks.${id}`);
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

export class Publisher {
  #worker;
  #options;
  #listeners = new Map();
  #state = 'idle';
  #video = null;
  #stats = null;
  #inFlight = 0;
  #captured = [];
  #stopCapture = null;
  #ownedStream = null;
  #made = new Map();
  #finished = null;
  #signal;

  /**
   * Creates a publisher and its Worker, and validates `options` there.
   * Rejects with a PublisherError (`invalid-config`, with `field`).
   */
  static async create(options = {}) {
    const { signal, capture, workerUrl, wasmUrl, statsInterval, audio, ...config } = options;
    signal?.throwIfAborted();
    if ('watermarks' in config) config.watermarks = await watermarkBytes(config.watermarks);
    const pub = new Publisher(config, { signal, capture: capture ?? 'auto', audio });
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
      pub.#fatal(new PublisherError(`publisher worker failed: ${e.message ?? 'unknown error'}`, 'worker-error'));
    };
    worker.postMessage({ type: 'init', config, wasmUrl: wasmUrl ? String(wasmUrl) : undefined, statsInterval });
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
  constructor(config, { signal, capture, audio }) {
    this.#options = { ...config, capture, audio };
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
    this.#stopCapture?.();
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
        if (ev.type === 'dropped') for (const s of ev.sequences) for (const t of ['video', 'audio']) this.#made.delete(`${t}/${s}`);
        this.#emit('warning', { code: ev.type, ...ev });
        break;
      case 'failed':
        this.#fatal(new PublisherError(ev.message, ev.code));
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
   */
  async start(stream) {
    if (this.#state !== 'idle') throw new PublisherError(`start() needs state idle, not ${this.#state}`, 'bad-state');
    this.#signal?.throwIfAborted();
    const wantAudio = this.#options.audio !== false;
    if (!stream) {
      stream = await navigator.mediaDevices.getUserMedia(cameraConstraints(this.#video, { audio: wantAudio }));
      this.#ownedStream = stream;
    }
    const track = stream.getVideoTracks()[0];
    if (!track) throw new PublisherError('the MediaStream has no video track', 'no-video-track');
    this.#worker.postMessage({ type: 'camera', frameRate: track.getSettings?.().frameRate });
    const mode = this.#options.capture;
    const processor = typeof MediaStreamTrackProcessor === 'function' && mode !== 'canvas';
    if (mode === 'processor' && !processor) {
      throw new PublisherError('MediaStreamTrackProcessor is not available here', 'unsupported');
    }
    const mic = wantAudio ? stream.getAudioTracks()[0] : undefined;
    if (mic && typeof MediaStreamTrackProcessor !== 'function') {
      this.#emit('warning', { code: 'no-audio-capture', message: 'this browser has no MediaStreamTrackProcessor; publishing video only' });
    }
    this.#setState('live');
    if (processor) this.#captureWithProcessor(track);
    else await this.#captureWithCanvas(track);
    if (mic && typeof MediaStreamTrackProcessor === 'function') this.#captureAudio(mic);
  }

  /** True when a frame may go to the worker; counts a drop otherwise. */
  #admit() {
    this.#captured.push(performance.now());
    if (this.#state !== 'live') return false;
    if (this.#inFlight >= FRAMES_IN_FLIGHT) {
      this.#worker.postMessage({ type: 'dropped' });
      return false;
    }
    this.#inFlight += 1;
    return true;
  }

  #captureWithProcessor(track) {
    this.#stopCapture = readTrack(track, (frame) => {
      if (!this.#admit()) {
        frame.close();
        return;
      }
      const captureTime = performance.timeOrigin + performance.now();
      this.#worker.postMessage({ type: 'frame', frame, captureTime }, [frame]);
    });
  }

  // Microphone: AudioData chunks go to the worker as they come (small, never
  // dropped); the worker maps their clock onto the video frames'.
  #captureAudio(track) {
    const stopVideo = this.#stopCapture;
    const stopAudio = readTrack(track, (audio) => {
      if (this.#state !== 'live') {
        audio.close();
        return;
      }
      const captureTime = performance.timeOrigin + performance.now();
      this.#worker.postMessage({ type: 'audio', audio, captureTime }, [audio]);
    });
    this.#stopCapture = () => {
      stopAudio();
      stopVideo?.();
    };
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
        this.#worker.postMessage({ type: 'rgba', data, width: W, height: H, timestamp: ts, captureTime }, [data]);
      }
      schedule();
    };
    const schedule = () => {
      if (stopped) return;
      if (useRvfc) video.requestVideoFrameCallback(step);
      else timer = setTimeout(() => step(performance.now()), 1000 / frameRate);
    };
    this.#stopCapture = () => {
      stopped = true;
      clearTimeout(timer);
      video.pause();
      video.srcObject = null;
    };
    schedule();
  }

  /**
   * Stops capture, closes the last fragment, and waits (up to `timeout` ms,
   * default 10000) until every fragment and the end mark are acknowledged.
   * Resolves `{ complete, queueFragments, stats }`.
   */
  async stop({ timeout = 10000 } = {}) {
    if (this.#state !== 'live') throw new PublisherError(`stop() needs state live, not ${this.#state}`, 'bad-state');
    this.#setState('stopping');
    this.#stopCapture?.();
    this.#ownedStream?.getTracks().forEach((t) => t.stop());
    const done = new Promise((resolve) => {
      this.#finished = { resolve };
    });
    this.#worker.postMessage({ type: 'finish', timeout });
    const result = await done;
    this.#finished = null;
    if (this.#state === 'failed') return { ...result, complete: false, stats: this.#stats };
    this.#worker.terminate();
    this.#setState('stopped');
    if (!result.complete) {
      this.#emit('error', new PublisherError(`stop(): ${result.queueFragments ?? '?'} fragment(s) not acknowledged within ${timeout} ms`, 'stop-timeout'));
    }
    return { ...result, stats: this.#stats };
  }

  /** Stops at once: no flush, no end mark. Also what an aborted `signal` does. */
  cancel(reason) {
    if (this.#state === 'closed') return;
    this.#stopCapture?.();
    this.#ownedStream?.getTracks().forEach((t) => t.stop());
    this.#worker?.terminate();
    this.#finished?.resolve({ complete: false, cancelled: true });
    if (this.#onReady) {
      this.#onReady.reject(reason ?? new PublisherError('cancelled', 'aborted'));
      this.#onReady = null;
    }
    this.#setState('closed');
  }
}
