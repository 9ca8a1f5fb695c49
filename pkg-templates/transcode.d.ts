import type { AudioTranscoder, Preset } from 'framecast';

export { AudioTranscoder };

/** What `AudioTranscoder.progress()` and `onProgress` report. */
export interface AudioTranscodeProgress {
  /** Input bytes received and read by the decoder. */
  inputBytes: number;
  readBytes: number;
  /** Input time decoded so far. */
  decodedSeconds: number;
  /** The input's duration, when its container declares it. */
  durationSeconds?: number;
  /** decodedSeconds / durationSeconds, 0..1, when known. */
  fraction?: number;
  outputBytes: number;
  /** An MP4 with its moov after the media: kept whole, decoded at the end. */
  bufferingWholeInput: boolean;
}

/** What a finished transcode made. */
export interface AudioTranscodeSummary {
  input: { container: string; codec: string; sampleRate: number; channels: number; durationSeconds?: number };
  /** "mp4a.40.2", "opus", "flac", "pcm_s16le", "pcm_s24le" or "mp3". */
  codec: string;
  sampleRate: number;
  channels: number;
  /** Samples per channel presented, and as seconds. */
  frames: number;
  durationSeconds: number;
  /** Encoder priming the container trims (edit list, Ogg pre-skip). */
  priming: number;
  outputBytes: number;
  /** e.g. "audio/mp4" and "m4a". */
  mimeType: string;
  extension: string;
  /** Damaged input packets skipped (concealed with silence). */
  badPackets: number;
}

/** Header bytes to write at `offset` once the whole output is stored. */
export interface AudioTranscodePatch {
  offset: number;
  bytes: Uint8Array;
}

export interface AudioTranscodeOptions {
  /** fMP4/CMAF fragment duration, ms. Default 2000. */
  fragmentDuration?: number;
  /** Gain before encoding, -60..40 dB. Default 0. */
  gainDb?: number;
  /** Look-ahead peak limiter after the gain. Default false. */
  limiter?: boolean;
  /** Input hints. */
  extension?: string;
  mimeType?: string;
  /** Damaged packets skipped before failing. Default 100. */
  maxBadPackets?: number;
}

export type AudioInput = Uint8Array | ArrayBuffer | Blob | Response | ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>;

/**
 * Transcodes audio in any format framecast decodes to the preset's.
 * Rejects with an Error whose `code` is `invalid-preset`, `invalid-config`,
 * `unsupported-input`, `decode-error`, `encode-error`, `mux-error` or
 * `aborted`, and whose `field` names a bad option.
 */
export function transcodeAudio(
  input: AudioInput,
  preset: string | Preset,
  options?: AudioTranscodeOptions & {
    onProgress?: (progress: AudioTranscodeProgress) => void;
    onChunk?: (bytes: Uint8Array) => void;
    signal?: AbortSignal;
  },
): Promise<{ data: Uint8Array | undefined; summary: AudioTranscodeSummary; patches: AudioTranscodePatch[] }>;
