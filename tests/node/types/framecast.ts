// Typed use of `framecast` (the root entry: codec, muxer, playlists,
// presets, frame pipeline) as an app writes it. Compiled by
// tests/node/types.test.mjs against the packed package with `tsc --strict`;
// never run. Lines marked @ts-expect-error must stay errors: they prove
// the types are not `any`.
import init, {
  buildInfo,
  dashMpd,
  Decoder,
  Encoder,
  ERROR_CODES,
  FramecastError,
  FramePipeline,
  hlsMediaPlaylist,
  hlsMultivariantPlaylist,
  Muxer,
  parsePreset,
  systemPresets,
  webcamPresets,
  type EncoderConfig,
  type ErrorCode,
  type MuxEvent,
  type Preset,
  type PresetProblem,
} from 'framecast';

await init();
const info: string = buildInfo().openh264;

const config: EncoderConfig = { width: 64, height: 48, bitrate: 100_000, profile: 'baseline', format: 'avc' };
const encoder = new Encoder(config);
const frame = new Uint8Array((64 * 48 * 3) / 2);
const chunk = encoder.encode(frame, 0);
if (chunk === undefined) throw new Error('frameSkip is off: every frame gives a chunk');
const kind: string = chunk.type;
const avcc: Uint8Array = chunk.avcc;
const width: number = encoder.config.width;
encoder.setBitrate(200_000);
encoder[Symbol.dispose]();
// @ts-expect-error width and height are required
new Encoder({ bitrate: 1 });
// @ts-expect-error not a profile
new Encoder({ width: 64, height: 48, profile: 'extended' });

const decoder = new Decoder();
decoder.configure(avcc);
const picture = decoder.decode(chunk.data, chunk.timestamp);
const pixels: number | undefined = picture?.width;
decoder.free();

const muxer = new Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc', description: avcc }], fragmentDuration: 1000 });
const events: MuxEvent[] = [...muxer.push(1, { data: chunk.data, timestamp: 0, keyframe: true }), ...muxer.finish()];
const sequences: number[] = [];
for (const ev of events) {
  if (ev.type === 'fragment') sequences.push(ev.sequenceNumber);
  else if (ev.type === 'init') ev.codecs.join(',');
}
const bandwidth: number | undefined = muxer.bandwidth(1)?.peak;
const codecs: string[] = muxer.codecs();

const media: string = hlsMediaPlaylist({ segments: [{ sequence: 1, start: 0, duration: 2_000_000, uri: '1.m4s' }] });
const master: string = hlsMultivariantPlaylist({ variants: [{ uri: 'video.m3u8', bandwidth: 800_000, codecs }] });
const mpd: string = dashMpd({
  adaptationSets: [{ representations: [{ id: 'v', codecs: codecs[0] ?? '', init: 'init.mp4', segments: [], media: '$Number$.m4s', width: 64, height: 48 }] }],
});
// @ts-expect-error not a playlist kind
hlsMediaPlaylist({ segments: [], kind: 'sliding' });

const presets: Preset[] = systemPresets();
const ogg: Preset = parsePreset({ name: 'speech', container: 'ogg', audio: { codec: 'opus', bitRate: 48 } });
for (const container of ['oga', 'flac', 'wav', 'mp3'] as const) parsePreset({ name: container, container, audio: { codec: 'pcm' } });
// @ts-expect-error not a container
parsePreset({ name: 'x', container: 'avi' });
const webcam: number = webcamPresets()[0]?.width ?? 0;

const pipeline = new FramePipeline({ width: 1920, height: 1080, format: 'rgba', preset: '1351620000001-000010' });
const i420: Uint8Array = pipeline.process(new Uint8Array(1920 * 1080 * 4));
const size: [number, number] = [pipeline.outputWidth, pipeline.outputHeight];

/** Narrowing a caught error: the class, then the code. */
function describe(e: unknown): string {
  if (!(e instanceof FramecastError)) return String(e);
  const code: ErrorCode = e.code;
  switch (e.code) {
    case 'invalid-preset': {
      const problems: PresetProblem[] = e.errors ?? [];
      return problems.map((p) => `${p.field} (${p.kind}): ${p.message}`).join('; ');
    }
    case 'invalid-config':
    case 'invalid-frame':
      return `${code} at ${e.field ?? '?'}`;
    // @ts-expect-error an old code, no longer in the list
    case 'invalid-bitstream':
      return 'never';
    default:
      return `${e.name} ${e.code}: ${e.message}`;
  }
}
try {
  parsePreset('{');
} catch (e) {
  describe(e);
}
const codes: readonly ErrorCode[] = ERROR_CODES;
// @ts-expect-error code is a known string, not any string
const bad: ErrorCode = 'encoder-failed';

export { bad, bandwidth, codes, info, kind, master, media, mpd, ogg, pixels, presets, sequences, size, i420, webcam, width };
