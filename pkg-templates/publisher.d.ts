// Types of `framecast/publisher`: browser webcam publishing to a framecast
// stream server (or anything that speaks its ingest API).
import type { PublishSessionConfig, PublishSessionStats } from './web/framecast.js';
import { FramecastError } from './errors.js';
import type { ErrorCode } from './errors.js';

export { FramecastError };
export type { ErrorCode };

/**
 * `Publisher.create(options)`: the session settings (`endpoint`, `stream`,
 * `preset`, `video`, `fragmentDuration`, `maxQueueDuration`, `token`, ...;
 * see `PublishSessionConfig`) plus where and how to capture. Durations are
 * milliseconds.
 */
export interface PublisherOptions extends Omit<PublishSessionConfig, 'watermarks'> {
  /** PNG images for the preset's watermark slots, by slot id. */
  watermarks?: Record<string, Uint8Array | ArrayBuffer | Blob>;
  /**
   * How to read the camera and the microphone; a string sets the camera's
   * path only. Forcing a path the browser lacks makes `start()` reject with
   * `unsupported-runtime`; an invalid value makes `create` reject with
   * `invalid-config` and `field` (`capture`, `capture.video`, `capture.audio`).
   */
  capture?: VideoCapture | { video?: VideoCapture; audio?: AudioCapture };
  /** Cancels the publisher (like `cancel()`) when aborted; a pending `create` or `start` rejects with `aborted`. */
  signal?: AbortSignal;
  /** Where the worker script is, when a bundler moved it; default next to this module. */
  workerUrl?: string | URL;
  /** Where `audio-capture-worklet.js` is (the AudioWorklet capture path), when a bundler moved it; default next to this module. */
  audioWorkletUrl?: string | URL;
  /** Where `framecast_bg.wasm` is, when a bundler moved it. */
  wasmUrl?: string | URL;
  /**
   * Where the audio encoder modules' `framecast_bg.wasm` files are
   * (`web-publisher-aac/`, `web-publisher-opus/`), when a bundler moved
   * them. The Worker loads only the one the preset's audio needs, and none
   * with `audio: false`.
   */
  audioWasmUrls?: { aac?: string | URL; opus?: string | URL };
  /** Milliseconds between `stats` events; default 1000. */
  statsInterval?: number;
  /**
   * Publish the stream's audio track (default true): AAC or Opus per the
   * preset's `audio`, as the track `"audio"`. `start()` without a stream
   * then also opens the microphone. Read with MediaStreamTrackProcessor or
   * an AudioWorklet (`capture.audio`); with neither, a `no-audio-capture`
   * warning and video only.
   */
  audio?: boolean;
}

/** `"auto"` (default): MediaStreamTrackProcessor where available, else video element + canvas. */
export type VideoCapture = 'auto' | 'processor' | 'canvas';

/**
 * `"auto"` (default): MediaStreamTrackProcessor (`AudioData`) where
 * available, else `"worklet"`: an AudioContext at the track's sample rate
 * with an AudioWorklet posting 10 ms of PCM, stamped at capture from
 * `getOutputTimestamp()`, `baseLatency`, `outputLatency` and the track's
 * `latency`. The context is closed by `stop()` and `cancel()`. Where an
 * autoplay policy holds the context until a user gesture, an
 * `audio-suspended` warning, and audio starts after the next click or key.
 */
export type AudioCapture = 'auto' | 'processor' | 'worklet';

export type PublisherState = 'idle' | 'live' | 'stopping' | 'stopped' | 'failed' | 'closed';

/** Worker figures plus capture figures. */
export interface PublisherStats extends PublishSessionStats {
  /** Frames per second delivered by the camera over the last 2 s. */
  captureFps: number;
  state: PublisherState;
}

/** A fragment the server acknowledged. Media times are µs, wall-clock times ms since the epoch. */
export interface PublishedFragment {
  /** `"video"` or `"audio"`. */
  track: string;
  sequence: number;
  start: number;
  duration: number;
  bytes: number;
  keyframe: boolean;
  /** When the fragment's first frame was captured. */
  captureTime: number | null;
  serverTimestamp: number;
  persisted: boolean;
  duplicate: boolean;
  /** From the capture of the fragment's last frame to the acknowledgement. */
  latencyMs: number | null;
  /** From queueing to the acknowledgement. */
  uploadMs: number;
  attempts: number;
}

/**
 * Something went wrong but publishing goes on: a retry, dropped or refused
 * fragments (`rejected` carries the server's ingest code), a frame the
 * worker could not use (`invalid-frame`, or another FramecastError code),
 * no way to read the microphone. `dropped` (the upload queue held more than
 * `maxQueueDuration` of media on a track) has `fragments`
 * (`{ track, sequence, start, duration }`, µs) and `mediaMs`, the media time lost.
 */
export interface PublisherWarning {
  code: 'retry' | 'dropped' | 'rejected' | 'no-audio-capture' | 'audio-suspended' | ErrorCode;
  message: string;
  [key: string]: unknown;
}

/** The encoder settings (`EncoderConfig` fields, camelCase). */
export interface PublisherVideo { width: number; height: number; frameRate: number; bitrate: number; [key: string]: unknown }

export interface PublisherEvents {
  state: PublisherState;
  /** The encoder started: the size the preset gave for the camera's picture (`input`), and the other settings. */
  video: PublisherVideo & { input: { width: number; height: number } };
  stats: PublisherStats;
  fragment: PublishedFragment;
  warning: PublisherWarning;
  /** Fatal (the state becomes `failed`): `upload-failed` (`cause`: the server's `{ code, message }`), `worker-error`, `internal`; or, after `stop()`, `stop-timeout`. */
  error: FramecastError;
}

export interface StopResult {
  /** Every fragment and the end mark were acknowledged in time. */
  complete: boolean;
  queueFragments?: number;
  stats: PublisherStats | null;
}

/** @deprecated The old name of `FramecastError`: the same class. */
export declare const PublisherError: typeof FramecastError;
/** @deprecated The old name of `FramecastError`. */
export type PublisherError = FramecastError;

/**
 * getUserMedia constraints for an encoder size and rate: the camera's own picture (`resizeMode: 'none'`,
 * never cropped or scaled by the browser) in the camera mode nearest that size (ideal) and rate (ideal and
 * maximum); the microphone with `{ audio: true }`.
 */
export declare function cameraConstraints(video: { width: number; height: number; frameRate: number }, options?: { audio?: boolean }): MediaStreamConstraints;

export declare class Publisher {
  /** Starts the worker and validates the options there (rejects with a `FramecastError`: `invalid-config`, `invalid-preset` or `invalid-watermark` with `field`; `worker-error`; `aborted`). */
  static create(options: PublisherOptions): Promise<Publisher>;
  readonly state: PublisherState;
  /** Encoder settings: for the preset's largest size until the first frame, then those in force. */
  readonly video: PublisherVideo;
  readonly stats: PublisherStats | null;
  on<K extends keyof PublisherEvents>(type: K, listener: (event: PublisherEvents[K]) => void): () => void;
  off<K extends keyof PublisherEvents>(type: K, listener: (event: PublisherEvents[K]) => void): void;
  /**
   * Publishes the stream's video track; without one, opens the camera with the preset's constraints.
   * Rejects with `invalid-state`, `capture-failed`, `unsupported-input` (no video track), `unsupported-runtime` or `aborted`.
   */
  start(stream?: MediaStream): Promise<void>;
  /** Flushes the last fragment and waits for the uploads and the end mark (default timeout 10000 ms). Rejects with `invalid-state` unless live. */
  stop(options?: { timeout?: number }): Promise<StopResult>;
  /** Stops at once, without flushing. */
  cancel(reason?: unknown): void;
}
