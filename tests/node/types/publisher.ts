// Typed use of `framecast/publisher` as an app writes it (compiled by
// tests/node/types.test.mjs; never run).
import {
  cameraConstraints,
  FramecastError,
  Publisher,
  PublisherError,
  type ErrorCode,
  type PublishedFragment,
  type PublisherOptions,
  type StopResult,
} from 'framecast/publisher';

const options: PublisherOptions = {
  endpoint: 'http://127.0.0.1:8787',
  stream: 'cam',
  preset: 'framecast-webcam-720p-ll',
  watermarks: { BottomRight: new Blob([]) },
  video: { bitrate: 1_500_000 },
  fragmentDuration: 1000,
  capture: { video: 'auto', audio: 'worklet' },
  signal: new AbortController().signal,
};
// @ts-expect-error not a capture path
const wrong: PublisherOptions = { endpoint: '', stream: 'x', capture: 'webrtc' };

export async function publish(stream?: MediaStream): Promise<StopResult | ErrorCode> {
  try {
    const pub = await Publisher.create(options);
    const fragments: PublishedFragment[] = [];
    pub.on('fragment', (f) => fragments.push(f));
    pub.on('video', (v) => console.log(`${v.input.width}x${v.input.height} -> ${v.width}x${v.height}`));
    pub.on('stats', (s) => console.log(s.captureFps, s.encodedFps, s.queueFragments));
    pub.on('warning', (w) => console.warn(w.code, w.message));
    const off = pub.on('error', (e) => {
      if (e.code === 'upload-failed') console.error('the server said', e.cause);
    });
    off();
    await pub.start(stream);
    const result = await pub.stop({ timeout: 5000 });
    const complete: boolean = result.complete;
    return complete ? result : 'stop-timeout';
  } catch (e) {
    if (e instanceof FramecastError) {
      if (e.code === 'invalid-config' || e.code === 'invalid-preset') console.error(e.field);
      return e.code;
    }
    // The deprecated name is the same class.
    if (e instanceof PublisherError) return e.code;
    throw e;
  }
}

const constraints: MediaStreamConstraints = cameraConstraints({ width: 1280, height: 720, frameRate: 30 }, { audio: true });
export { constraints, wrong };
