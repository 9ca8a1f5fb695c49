// Types of `framecast/errors`: the one error class of every framecast entry
// point. The README's "Errors" table says which calls produce each code and
// what to do about it.

/** Every stable code a `FramecastError` carries (src/error.rs `ErrorCode::ALL`). */
export type ErrorCode =
  // codes:begin
  | 'invalid-config'
  | 'invalid-preset'
  | 'invalid-watermark'
  | 'invalid-frame'
  | 'invalid-state'
  | 'unsupported-input'
  | 'unsupported-runtime'
  | 'capture-failed'
  | 'decode-error'
  | 'encode-error'
  | 'mux-error'
  | 'playlist-error'
  | 'upload-failed'
  | 'worker-error'
  | 'stop-timeout'
  | 'aborted'
  | 'internal';
  // codes:end

/** The codes, in the README's order. */
export declare const ERROR_CODES: readonly ErrorCode[];

/** The brand every framecast error carries: `Symbol.for('framecast.error')`. */
export declare const BRAND: unique symbol;

/** One problem of a preset that did not validate (`FramecastError.errors` with `invalid-preset`). */
export interface PresetProblem {
  /** JSON path of the field, e.g. `video.maxWidth`, `watermarks[0].opacity`; empty for the whole document. */
  field: string;
  /** The value found, as written (`4097`, `"Fitt"`, `nothing`). */
  value: string;
  /** What the field accepts. */
  expected: string;
  /** `syntax`, `wrong-type`, `invalid-value`, `unknown-field`, `missing-field` or `conflict`. */
  kind: 'syntax' | 'wrong-type' | 'invalid-value' | 'unknown-field' | 'missing-field' | 'conflict';
  /** `"<field> must be <expected>, got <value>"`. */
  message: string;
}

/** What `new FramecastError(message, options)` takes. */
export interface FramecastErrorOptions {
  code?: ErrorCode;
  field?: string;
  errors?: PresetProblem[];
  cause?: unknown;
}

/**
 * The error every framecast entry point throws or rejects with.
 * `instanceof FramecastError` holds for errors from any copy of the package's
 * modules (each wasm build has its own glue), and for errors made in wasm.
 */
export declare class FramecastError extends Error {
  constructor(message: string, options?: FramecastErrorOptions);
  readonly name: 'FramecastError';
  /** Stable code: what went wrong, in terms of what the caller can do. */
  readonly code: ErrorCode;
  /** The option or argument at fault (`video.width`, `tracks[0].description`, `timestamp`), when known. */
  readonly field?: string;
  /** With `invalid-preset`: every problem found, not only the first. */
  readonly errors?: PresetProblem[];
  /** The underlying error: an abort reason, the server's answer (`upload-failed`: `{ code, message }`), a browser exception. */
  readonly cause?: unknown;
}

/**
 * Used by framecast's own modules: makes the methods of wasm-bindgen classes
 * throw `invalid-state` after `free()` (and when called re-entrantly from a
 * callback), and makes a second `free()` do nothing.
 */
export declare function guardFreed(...classes: Array<abstract new (...args: never[]) => unknown>): void;
