// Publishes the camera (Chromium's fake one in the test) through
// framecast/publisher for a few seconds, then reports on `window.result`.
// URL parameters: endpoint and stream (nothing happens without them),
// seconds (default 5).
import init, { buildInfo } from 'framecast';
import { Publisher } from 'framecast/publisher';

const params = new URLSearchParams(location.search);
const status = document.getElementById('status');
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const errorOf = (e) => ({ message: e?.message ?? String(e), code: e?.code ?? null });

const result = { build: null, video: null, fragments: [], audioFragments: [], warnings: [], errors: [], complete: false, state: null };

async function publish() {
  await init(); // the main entry too, not only the publisher's worker
  result.build = buildInfo();
  const pub = await Publisher.create({
    endpoint: params.get('endpoint'),
    stream: params.get('stream'),
    preset: 'webcam-360p',
    fragmentDuration: 1000,
  });
  result.video = pub.video;
  // start() opens the camera and the microphone: video and audio fragments.
  pub.on('fragment', (f) => (f.track === 'audio' ? result.audioFragments : result.fragments).push({ sequence: f.sequence, bytes: f.bytes, keyframe: f.keyframe }));
  pub.on('warning', (w) => result.warnings.push({ code: w.code, message: w.message }));
  pub.on('error', (e) => result.errors.push(errorOf(e)));
  await pub.start();
  status.textContent = 'publishing';
  await sleep(Number(params.get('seconds') ?? 5) * 1000);
  const stopped = await pub.stop();
  result.complete = stopped.complete;
  result.state = pub.state;
}

if (params.has('endpoint') && params.has('stream')) {
  publish()
    .catch((e) => result.errors.push(errorOf(e)))
    .finally(() => {
      window.result = result;
      status.textContent = 'done';
    });
} else {
  status.textContent = 'add ?endpoint=<stream server origin>&stream=<name> to publish';
}
