// The same work in every runtime the package supports (Node, Deno,
// workerd): H.264 encode and decode, CMAF muxing, an HLS playlist and a
// DASH MPD (with the root module and again with `framecast/mux`'s own
// module), and an MP3 transcoded to AAC in MP4. It imports nothing but the
// installed framecast package and uses only web-standard globals, so it is
// copied next to the installed package and run there as is. The runtime
// tests assert on the report it returns.
import { Decoder, Encoder, FramecastError, Muxer, dashMpd, hlsMediaPlaylist, initSync } from 'framecast';
import * as muxEntry from 'framecast/mux';
import { transcodeAudio } from 'framecast/transcode';

const W = 160, H = 96, FPS = 10, FRAMES = 20;
const usOf = (i) => Math.round((i * 1e6) / FPS);

/** A moving gradient (I420). */
function frame(i) {
  const f = new Uint8Array((W * H * 3) / 2).fill(128);
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) f[y * W + x] = ((x + 2 * y + 5 * i) % 200) + 20;
  return f;
}

/**
 * `chunks` muxed into 1 s fragments by `api.Muxer`, then listed in an HLS
 * playlist and a DASH MPD by `api`'s functions.
 */
function muxAndList({ Muxer, hlsMediaPlaylist, dashMpd }, chunks) {
  const muxer = new Muxer({
    tracks: [{ id: 1, kind: 'video', codec: 'avc', description: chunks[0].avcc }],
    fragmentDuration: 1000,
  });
  const events = [];
  for (const [i, c] of chunks.entries()) {
    events.push(...muxer.push(1, { data: c.data, timestamp: c.timestamp, duration: usOf(i + 1) - usOf(i), keyframe: c.keyframe }));
  }
  events.push(...muxer.finish());
  muxer.free();
  const init = events.find((e) => e.type === 'init');
  const fragments = events.filter((e) => e.type === 'fragment');
  const segments = fragments.map((f) => ({
    sequence: f.sequenceNumber, start: f.start, duration: f.duration, uri: `seg${f.sequenceNumber}.m4s`, bytes: f.bytes.length,
  }));
  const hls = hlsMediaPlaylist({ init: 'init.mp4', segments });
  const mpd = dashMpd({
    adaptationSets: [{
      representations: [{ id: 'v', codecs: init.codecs[0], init: 'init.mp4', segments, media: 'seg$Number$.m4s', width: W, height: H }],
    }],
  });
  return { events, init, fragments, hls, mpd };
}

/** PSNR in dB of two luma planes. */
function psnr(a, b) {
  let sum = 0;
  for (let i = 0; i < W * H; i++) sum += (a[i] - b[i]) ** 2;
  return sum === 0 ? Infinity : 10 * Math.log10((255 * 255 * W * H) / sum);
}

/** Runs everything on `mp3` (the bytes of a short MP3 file); resolves to a plain-data report. */
export async function smoke(mp3) {
  // Encode with length-prefixed output (MP4 samples), decode it back.
  const encoder = new Encoder({ width: W, height: H, bitrate: 300_000, frameRate: FPS, keyframeInterval: FPS, format: 'avc' });
  const chunks = [];
  for (let i = 0; i < FRAMES; i++) {
    const c = encoder.encode(frame(i), usOf(i));
    chunks.push({ data: c.data, timestamp: c.timestamp, keyframe: c.keyframe, avcc: c.avcc, codec: c.codec });
    c.free();
  }
  encoder.free();
  const decoder = new Decoder();
  decoder.configure(chunks[0].avcc);
  // Pictures may come out a call later: each is compared with the input
  // frame of its timestamp.
  let decoded = 0, minPsnr = Infinity, size = '';
  const check = (f) => {
    decoded++;
    size = `${f.width}x${f.height}`;
    minPsnr = Math.min(minPsnr, psnr(f.data, frame(Math.round((f.timestamp * FPS) / 1e6))));
    f.free();
  };
  for (const c of chunks) {
    const f = decoder.decode(c.data, c.timestamp);
    if (f) check(f);
  }
  decoder.flush().forEach(check);
  decoder.free();

  // Mux into 1 s fragments and list them, with the root module and with
  // framecast/mux's own module: the same bytes and text.
  const root = muxAndList({ Muxer, hlsMediaPlaylist, dashMpd }, chunks);
  const { init, fragments, hls, mpd } = root;
  const other = muxAndList(muxEntry, chunks);
  const sameBytes = (a, b) => a.length === b.length && a.every((x, k) => x === b[k]);
  const sameEvents = root.events.length === other.events.length
    && root.events.every((e, k) => e.type === other.events[k].type && sameBytes(e.bytes, other.events[k].bytes));
  let muxErrorBrand = false;
  try {
    new muxEntry.Muxer({ tracks: [] });
  } catch (e) {
    muxErrorBrand = e instanceof FramecastError && e.code === 'invalid-config';
  }

  // An MP3 to AAC in MP4, through the streaming helper.
  const preset = { name: 'AAC 96k', container: 'mp4', audio: { codec: 'AAC', bitRate: 96, sampleRate: 48000 } };
  const { data: m4a, summary } = await transcodeAudio(mp3, preset);

  const ascii = (bytes, at) => String.fromCharCode(...bytes.subarray(at, at + 4));
  return {
    encoded: chunks.length,
    keyframes: chunks.filter((c) => c.keyframe).length,
    codec: chunks[0].codec,
    decoded,
    size,
    minPsnr,
    initBox: ascii(init.bytes, 4),
    fragments: fragments.map((f) => [f.sequenceNumber, f.start, f.duration, ascii(f.bytes, 4)]),
    hls,
    mpd,
    muxEntry: {
      sameEvents,
      sameHls: other.hls === hls,
      sameMpd: other.mpd === mpd,
      errorBrand: muxErrorBrand,
    },
    transcode: {
      codec: summary.codec,
      sampleRate: summary.sampleRate,
      channels: summary.channels,
      inputCodec: summary.input.codec,
      bytes: m4a.length,
      firstBox: ascii(m4a, 4),
    },
    // The wasm memory after the work: linear memory only grows, so this is
    // its high-water mark.
    wasmMemoryBytes: initSync().memory.buffer.byteLength,
  };
}
