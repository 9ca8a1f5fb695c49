// framecast/transcode: audio file transcoding for browsers, Node, Deno and
// workerd, on the wasm `AudioTranscoder` (streamed: memory stays bounded
// for long inputs) of the transcode module (`framecast/transcode/wasm`:
// decoders and audio encoders, no video codec). `transcodeAudio`
// initialises that module itself; code that constructs `AudioTranscoder`
// directly in a browser calls `await init()` from here first (in Node,
// Deno and workerd the module is ready when imported).
import init, { AudioTranscoder } from 'framecast/transcode/wasm';
import { FramecastError } from './errors.js';

export { AudioTranscoder, FramecastError, init };

// Input bytes handed to the wasm per call: small enough for smooth
// progress, large enough that the call overhead does not matter.
const PIECE = 256 * 1024;

// Any accepted input as an async iterable of Uint8Array pieces.
async function* pieces(input) {
  if (input instanceof Uint8Array) {
    for (let at = 0; at < input.length; at += PIECE) yield input.subarray(at, at + PIECE);
  } else if (input instanceof ArrayBuffer) {
    yield* pieces(new Uint8Array(input));
  } else if (typeof Response === 'function' && input instanceof Response) {
    if (!input.body) return;
    yield* pieces(input.body);
  } else if (typeof Blob === 'function' && input instanceof Blob) {
    yield* pieces(input.stream());
  } else if (input && typeof input.getReader === 'function') {
    const reader = input.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) return;
        yield* pieces(value instanceof Uint8Array ? value : new Uint8Array(value));
      }
    } finally {
      reader.releaseLock();
    }
  } else if (input && typeof input[Symbol.asyncIterator] === 'function') {
    for await (const chunk of input) yield* pieces(chunk instanceof Uint8Array ? chunk : new Uint8Array(chunk));
  } else {
    throw new FramecastError('input: must be a Uint8Array, ArrayBuffer, Blob, Response, ReadableStream or async iterable of bytes', { code: 'invalid-config', field: 'input' });
  }
}

function abortError(signal) {
  return new FramecastError(signal.reason?.message ?? 'the transcode was aborted', { code: 'aborted', cause: signal.reason });
}

// Transcodes `input` with `preset` (a built-in id, a preset object or its
// JSON). Rejects with a FramecastError (see transcode.d.ts). Options: `onProgress(progress)`, `onChunk(bytes)` (stream the
// output instead of collecting it), `signal` (AbortSignal), and the wasm
// options `fragmentDuration`, `gainDb`, `limiter`, `extension`,
// `mimeType`, `maxBadPackets`.
// Resolves to `{ data, summary, patches }`: `data` is the whole output with
// its header patches applied (undefined with `onChunk`, whose caller gets
// `patches` to apply where it stored the bytes).
export async function transcodeAudio(input, preset, options = {}) {
  const { onProgress, onChunk, signal, ...wasmOptions } = options;
  await init();
  const transcoder = new AudioTranscoder(preset, wasmOptions);
  const parts = [];
  let size = 0;
  const emit = (bytes) => {
    if (bytes.length === 0) return;
    if (onChunk) onChunk(bytes);
    else parts.push(bytes);
    size += bytes.length;
  };
  try {
    for await (const piece of pieces(input)) {
      if (signal?.aborted) throw abortError(signal);
      emit(transcoder.push(piece));
      onProgress?.(transcoder.progress());
      // Let the event loop breathe between pieces (UI, abort signals).
      await new Promise((resolve) => setTimeout(resolve, 0));
    }
    if (signal?.aborted) throw abortError(signal);
    const { output, summary, patches } = transcoder.finish();
    emit(output);
    onProgress?.(transcoder.progress());
    if (onChunk) return { data: undefined, summary, patches };
    const data = new Uint8Array(size);
    let at = 0;
    for (const p of parts) {
      data.set(p, at);
      at += p.length;
    }
    for (const p of patches) data.set(p.bytes, p.offset);
    return { data, summary, patches };
  } finally {
    transcoder.free();
  }
}
