// The message protocol between the Publisher (publisher.js, main thread)
// and its Worker (publisher-worker.js): every message either side posts is
// made here, so the two cannot drift. Types are JSDoc, checked by tsc
// (checkJs) in tests/node/types.test.mjs.
//
// Page -> worker: init, camera, frame, rgba, audio, pcm, dropped, finish.
// Worker -> page: ready, error, event, frameDone, stats, finished.
// Errors cross as plain data (`ErrorInfo`): structured cloning keeps
// neither the FramecastError class nor its brand.
import { FramecastError } from './errors.js';

/**
 * An error as it crosses the worker boundary.
 * @typedef {object} ErrorInfo
 * @property {import('./errors.js').ErrorCode} code
 * @property {string} message
 * @property {string} [field]
 * @property {{ name?: string, code?: string, message: string }} [cause]
 */

/**
 * @typedef {{ type: 'init', config: Record<string, unknown>, wasmUrl?: string, statsInterval?: number, audio: boolean, audioWasmUrls?: { aac?: string, opus?: string } }} InitMessage
 * @typedef {{ type: 'camera', frameRate?: number }} CameraMessage
 * @typedef {{ type: 'frame', frame: VideoFrame, captureTime: number }} FrameMessage
 * @typedef {{ type: 'rgba', data: ArrayBuffer, width: number, height: number, timestamp: number, captureTime: number }} RgbaMessage
 * @typedef {{ type: 'audio', audio: AudioData, captureTime: number }} AudioMessage
 * @typedef {{ type: 'pcm', pcm: Float32Array, rate: number, channels: number, timestamp: number, captureTime: number }} PcmMessage
 * @typedef {{ type: 'dropped' }} DroppedMessage
 * @typedef {{ type: 'finish', timeout: number }} FinishMessage
 * @typedef {InitMessage | CameraMessage | FrameMessage | RgbaMessage | AudioMessage | PcmMessage | DroppedMessage | FinishMessage} ToWorker
 */

/**
 * @typedef {{ type: 'ready', video: Record<string, unknown> }} ReadyMessage
 * @typedef {{ type: 'error', error: ErrorInfo, fatal: boolean }} ErrorMessage
 * @typedef {{ type: 'event', event: { type: string, [key: string]: unknown } }} EventMessage
 * @typedef {{ type: 'frameDone' }} FrameDoneMessage
 * @typedef {{ type: 'stats', stats: Record<string, unknown> }} StatsMessage
 * @typedef {{ complete: boolean, queueFragments?: number, failure?: { code: string, message: string } | null, error?: ErrorInfo }} FinishResult
 * @typedef {{ type: 'finished', result: FinishResult, stats: Record<string, unknown> }} FinishedMessage
 * @typedef {ReadyMessage | ErrorMessage | EventMessage | FrameDoneMessage | StatsMessage | FinishedMessage} ToPage
 */

/** Messages the page posts to the worker, with what to transfer. */
export const toWorker = {
  /**
   * Starts the session: validates `config` (PublishSessionConfig) in wasm
   * and, when the stream may have audio, loads the audio encoder module its
   * preset needs (from `audioWasmUrls[codec]` when given) before `ready`.
   * @param {Record<string, unknown>} config
   * @param {string | undefined} wasmUrl
   * @param {number | undefined} statsInterval
   * @param {boolean} audio
   * @param {{ aac?: string, opus?: string } | undefined} audioWasmUrls
   * @returns {InitMessage}
   */
  init: (config, wasmUrl, statsInterval, audio, audioWasmUrls) => ({ type: 'init', config, wasmUrl, statsInterval, audio, audioWasmUrls }),
  /**
   * The camera's frame rate (for a preset's `"auto"`).
   * @param {number | undefined} frameRate
   * @returns {CameraMessage}
   */
  camera: (frameRate) => ({ type: 'camera', frameRate }),
  /**
   * A captured VideoFrame (transfer it) read at `captureTime` (ms since the epoch).
   * @param {VideoFrame} frame
   * @param {number} captureTime
   * @returns {[FrameMessage, Transferable[]]}
   */
  frame: (frame, captureTime) => [{ type: 'frame', frame, captureTime }, [frame]],
  /**
   * A canvas picture: packed RGBA rows (transferred), timestamp µs.
   * @param {ArrayBuffer} data
   * @param {number} width
   * @param {number} height
   * @param {number} timestamp
   * @param {number} captureTime
   * @returns {[RgbaMessage, Transferable[]]}
   */
  rgba: (data, width, height, timestamp, captureTime) => [{ type: 'rgba', data, width, height, timestamp, captureTime }, [data]],
  /**
   * Microphone AudioData (transferred).
   * @param {AudioData} audio
   * @param {number} captureTime
   * @returns {[AudioMessage, Transferable[]]}
   */
  audio: (audio, captureTime) => [{ type: 'audio', audio, captureTime }, [audio]],
  /**
   * Worklet PCM: interleaved f32 (its buffer transferred), stamped at capture (µs, page clock).
   * @param {Float32Array} pcm
   * @param {number} rate
   * @param {number} channels
   * @param {number} timestamp
   * @param {number} captureTime
   * @returns {[PcmMessage, Transferable[]]}
   */
  pcm: (pcm, rate, channels, timestamp, captureTime) => [{ type: 'pcm', pcm, rate, channels, timestamp, captureTime }, [pcm.buffer]],
  /** @returns {DroppedMessage} A frame dropped by capture backpressure. */
  dropped: () => ({ type: 'dropped' }),
  /**
   * Ends the stream and waits up to `timeout` ms for the uploads.
   * @param {number} timeout
   * @returns {FinishMessage}
   */
  finish: (timeout) => ({ type: 'finish', timeout }),
};

/** Messages the worker posts to the page. */
export const toPage = {
  /**
   * @param {Record<string, unknown>} video the encoder settings before the first frame
   * @returns {ReadyMessage}
   */
  ready: (video) => ({ type: 'ready', video }),
  /**
   * @param {unknown} error
   * @param {boolean} fatal
   * @param {import('./errors.js').ErrorCode} [fallback] the code of an error that carries none
   * @returns {ErrorMessage}
   */
  error: (error, fatal, fallback = 'internal') => ({ type: 'error', error: errorInfo(error, fallback), fatal }),
  /**
   * A PublishSession event (`video`, `fragment`, `ack`, `retry`, `failed`, ...).
   * @param {{ type: string, [key: string]: unknown }} event
   * @returns {EventMessage}
   */
  event: (event) => ({ type: 'event', event }),
  /** @returns {FrameDoneMessage} */
  frameDone: () => ({ type: 'frameDone' }),
  /**
   * @param {Record<string, unknown>} stats
   * @returns {StatsMessage}
   */
  stats: (stats) => ({ type: 'stats', stats }),
  /**
   * @param {FinishResult} result
   * @param {Record<string, unknown>} stats
   * @returns {FinishedMessage}
   */
  finished: (result, stats) => ({ type: 'finished', result, stats }),
};

/**
 * An error as plain data: a FramecastError keeps its code and field; any
 * other error gets `fallback` and travels as the cause.
 * @param {unknown} e
 * @param {import('./errors.js').ErrorCode} [fallback]
 * @returns {ErrorInfo}
 */
export function errorInfo(e, fallback = 'internal') {
  const err = /** @type {{ name?: unknown, code?: unknown, message?: unknown, field?: unknown } | null | undefined} */ (e);
  const message = typeof err?.message === 'string' ? err.message : String(e);
  if (e instanceof FramecastError) {
    /** @type {ErrorInfo} */
    const info = { code: e.code, message };
    if (typeof e.field === 'string') info.field = e.field;
    return info;
  }
  const cause = { name: typeof err?.name === 'string' ? err.name : undefined, message };
  return { code: fallback, message, cause };
}

/**
 * The FramecastError an `ErrorInfo` describes.
 * @param {ErrorInfo} info
 * @returns {FramecastError}
 */
export function toError(info) {
  return new FramecastError(info.message, { code: info.code, field: info.field, cause: info.cause });
}
