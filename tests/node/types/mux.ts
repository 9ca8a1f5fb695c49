// Typed use of `framecast/mux` (muxing and playlists, its own wasm module
// with no codec) as an app writes it (compiled by
// tests/node/types.test.mjs; never run).
import init, {
  dashMpd,
  FramecastError,
  hlsMediaPlaylist,
  hlsMultivariantPlaylist,
  Muxer,
  type MuxEvent,
} from 'framecast/mux';

await init();
const avcc = new Uint8Array(0);
const muxer = new Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc', description: avcc }], fragmentDuration: 1000 });
const events: MuxEvent[] = [...muxer.push(1, { data: new Uint8Array(0), timestamp: 0, keyframe: true }), ...muxer.finish()];
const sequences: number[] = [];
for (const ev of events) {
  if (ev.type === 'fragment') sequences.push(ev.sequenceNumber);
}
const codecs: string[] = muxer.codecs();
muxer.free();

const media: string = hlsMediaPlaylist({ segments: [{ sequence: 1, start: 0, duration: 2_000_000, uri: '1.m4s' }] });
const master: string = hlsMultivariantPlaylist({ variants: [{ uri: 'video.m3u8', bandwidth: 800_000, codecs }] });
const mpd: string = dashMpd({
  adaptationSets: [{ representations: [{ id: 'v', codecs: codecs[0] ?? '', init: 'init.mp4', segments: [], media: '$Number$.m4s', width: 64, height: 48 }] }],
});
// @ts-expect-error not a playlist kind
hlsMediaPlaylist({ segments: [], kind: 'sliding' });

try {
  new Muxer({ tracks: [] });
} catch (e) {
  if (e instanceof FramecastError) {
    const field: string | undefined = e.field;
  }
}

export { media, master, mpd, sequences };
