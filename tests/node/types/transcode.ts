// Typed use of `framecast/transcode` as an app writes it (compiled by
// tests/node/types.test.mjs; never run).
import {
  AudioTranscoder,
  FramecastError,
  transcodeAudio,
  type AudioTranscodeProgress,
  type TranscodeAudioResult,
} from 'framecast/transcode';

const progress: AudioTranscodeProgress[] = [];
const controller = new AbortController();
const result: TranscodeAudioResult = await transcodeAudio(new Blob([]), '1351620000001-000010', {
  onProgress: (p) => progress.push(p),
  signal: controller.signal,
  gainDb: -3,
  limiter: true,
});
const mime: string = result.summary.mimeType;
const file: Blob = new Blob([result.data ?? new Uint8Array(0)], { type: mime });

const chunks: Uint8Array[] = [];
const streamed = await transcodeAudio(new Response(new Uint8Array(0)), { name: 'o', container: 'ogg', audio: { codec: 'opus', bitRate: 64 } }, {
  onChunk: (bytes) => chunks.push(bytes),
});
for (const patch of streamed.patches) chunks[0]?.set(patch.bytes, patch.offset);

const transcoder = new AudioTranscoder({ name: 'w', container: 'wav', audio: { codec: 'pcm' } });
const out: Uint8Array = transcoder.push(new Uint8Array(0));
const fraction: number | undefined = transcoder.progress().fraction;
const { output, summary } = transcoder.finish();
const seconds: number = summary.durationSeconds;
transcoder.free();
// @ts-expect-error options are checked
new AudioTranscoder('1351620000001-000010', { gain: 3 });

try {
  await transcodeAudio(new Uint8Array(0), 'no-such-preset');
} catch (e) {
  if (e instanceof FramecastError && e.code === 'invalid-config') console.error(e.field);
}

export { file, fraction, out, output, seconds };
