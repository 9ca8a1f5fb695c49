// The timed framecast encode loop, shared by Node (node_encode.mjs) and the
// Chromium page (browser.mjs serves this folder as /bench/), so both
// environments measure exactly the same work.
//
// Each run creates a fresh Encoder and times encode() of every frame plus
// flush(), including copying each chunk's bytes out of wasm memory (what an
// application does). Returns per-run ms/frame, the last run's chunks
// (Uint8Arrays) and its keyframe count.
export function encodeRuns(fc, input, { width, height, bitrate, runs, fps }) {
  const frameBytes = width * height + 2 * (width >> 1) * (height >> 1);
  const frames = Math.floor(input.length / frameBytes);
  const runMs = [];
  let parts = [];
  let keyframes = 0;
  for (let r = 0; r < runs; r++) {
    const enc = new fc.Encoder({ width, height, bitrate, frameRate: fps, profile: 'main' });
    parts = [];
    keyframes = 0;
    const take = (chunk) => {
      if (!chunk) return;
      parts.push(chunk.data);
      if (chunk.type === 'key') keyframes++;
      chunk.free();
    };
    const t0 = performance.now();
    for (let i = 0; i < frames; i++) {
      take(enc.encode(input.subarray(i * frameBytes, (i + 1) * frameBytes), Math.round((i * 1e6) / fps)));
    }
    for (const chunk of enc.flush()) take(chunk);
    runMs.push((performance.now() - t0) / frames);
    enc.free();
  }
  return { frames, runMs, parts, keyframes };
}
