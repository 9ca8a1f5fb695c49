// Types of `framecast/transcode`: audio file transcoding on the wasm
// `AudioTranscoder`. The option, progress and result types are generated
// from the Rust types (src/web/transcode.rs) and imported from the root
// entry; only `transcodeAudio`, a JS function, is declared here.
import type {
  AudioTranscodeInput,
  AudioTranscodeOptions,
  AudioTranscodePatch,
  AudioTranscodeProgress,
  AudioTranscodeSummary,
  Preset,
} from 'framecast';

export { AudioTranscoder } from 'framecast/transcode/wasm';
/** Initialises the transcode module (browsers; elsewhere it is ready when imported, and this does nothing more). `transcodeAudio` calls it itself. */
export { default as init } from 'framecast/transcode/wasm';
export { FramecastError } from './errors.js';
export type { ErrorCode } from './errors.js';
export type { AudioTranscodeInput, AudioTranscodeOptions, AudioTranscodePatch, AudioTranscodeProgress, AudioTranscodeSummary };

export type AudioInput = Uint8Array | ArrayBuffer | Blob | Response | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/** `transcodeAudio`'s options: the transcoder's, plus callbacks and an abort signal. */
export interface TranscodeAudioOptions extends AudioTranscodeOptions {
  /** Called after each piece of input, and once at the end. */
  onProgress?: (progress: AudioTranscodeProgress) => void;
  /** Hands the output out as it is made instead of collecting it into `data`. */
  onChunk?: (bytes: Uint8Array) => void;
  /** Aborting rejects with `aborted` (the reason as its `cause`). */
  signal?: AbortSignal;
}

/** What `transcodeAudio` resolves to. */
export interface TranscodeAudioResult {
  /** The whole output with its header patches applied (a fresh buffer: `new Blob([data])` takes it); `undefined` with `onChunk`. */
  data: Uint8Array<ArrayBuffer> | undefined;
  summary: AudioTranscodeSummary;
  /** Final header bytes; with `onChunk`, write them where the bytes were stored. */
  patches: AudioTranscodePatch[];
}

/**
 * Transcodes audio in any format framecast decodes to the preset's: a
 * built-in id (a `systemPresets()` preset with audio in a file container;
 * its video is left out), or a preset object or its JSON with `audio` and
 * no `video`. Rejects with a `FramecastError` whose `code` is
 * `invalid-preset` (with `errors`), `invalid-config` (with `field`: an
 * option, `preset` or `input`), `unsupported-input`, `decode-error`,
 * `encode-error`, `mux-error` or `aborted`.
 */
export function transcodeAudio(input: AudioInput, preset: string | Preset, options?: TranscodeAudioOptions): Promise<TranscodeAudioResult>;
