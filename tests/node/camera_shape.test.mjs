// Cameras that are not 16:9 keep their picture: the Publisher asks for the
// camera's own picture (resizeMode "none") and the preset's sizing policy
// decides the encoded size. Headless Chromium's file-backed fake camera
// plays a portrait (720x1280) or a 4:3 (640x480) clip made by ffmpeg; the
// Publisher (the demo server's pkg/) publishes it to a real
// framecast-server, and ffprobe reads the stored stream's size. These are
// also the README's worked examples (camera size -> encoded size).
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { e2e } from './support/sources.mjs';
import { launchChromium, openPage } from '../bench/browser.mjs';
import { serveDemo } from '../../www/serve.mjs';
import { startStreamServer } from '../../www/stream_server.mjs';

/** `dir/name.mjpeg`: 2 s of testsrc2 at `size` ("WxH"), 30 fps (Chromium loops it). */
function clip(dir, name, size) {
  const path = join(dir, `${name}.mjpeg`);
  execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-y', '-f', 'lavfi', '-i', `testsrc2=size=${size}:rate=30:duration=2`,
    '-c:v', 'mjpeg', '-q:v', '4', path]);
  return path;
}

let dir, streams, demo;

before(async () => {
  mkdirSync(e2e, { recursive: true });
  dir = mkdtempSync(join(e2e, 'camera-shape-'));
  streams = await startStreamServer({ dataDir: join(dir, 'data') });
  demo = await serveDemo({ endpoint: streams.origin });
});

after(async () => {
  await streams?.stop();
  demo?.server.closeAllConnections();
  demo?.server.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/**
 * Publishes the fake camera (playing `camera`) with `preset` to `stream`
 * until two fragments are acknowledged; returns the Publisher's `video`
 * event (the camera's size as `input`, the encoded size) and ffprobe's size
 * of the stored stream.
 */
async function publish(camera, preset, stream) {
  const browser = await launchChromium({
    args: ['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${camera}`],
  });
  try {
    const p = await openPage(browser, demo.origin, { allow: [streams.origin] });
    const video = await p.page.evaluate(async ({ endpoint, preset, stream }) => {
      const { Publisher } = await import('/pkg/publisher.js');
      const pub = await Publisher.create({ endpoint, stream, preset, audio: false, fragmentDuration: 1000 });
      const started = new Promise((resolve) => pub.on('video', resolve));
      let acked = 0;
      const twoAcked = new Promise((resolve) => pub.on('fragment', () => ++acked === 2 && resolve()));
      await pub.start();
      const video = await started;
      await twoAcked;
      await pub.stop();
      return video;
    }, { endpoint: streams.origin, preset, stream });
    await p.close();
    assert.deepEqual(p.errors, [], 'no errors on the page');
    const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'v:0', '-show_entries', 'stream=width,height',
      '-of', 'json', `${streams.origin}/streams/${stream}/video.m3u8`]).toString()).streams[0];
    return { input: [video.input.width, video.input.height], encoded: [video.width, video.height], stored: [probe.width, probe.height] };
  } finally {
    await browser.close();
  }
}

describe('camera shapes the browser must not crop', () => {
  test('a 720x1280 portrait camera: ShrinkToFit into 1280x720 gives 406x720; Fill gives 1280x720 from its centre', async () => {
    const camera = clip(dir, 'portrait', '720x1280');
    assert.deepEqual(await publish(camera, 'framecast-webcam-720p-ll', 'portrait-fit'),
      { input: [720, 1280], encoded: [406, 720], stored: [406, 720] }, 'the whole portrait picture, scaled to fit');
    assert.deepEqual(await publish(camera, 'webcam-720p', 'portrait-fill'),
      { input: [720, 1280], encoded: [1280, 720], stored: [1280, 720] }, 'webcam-* ids fill exactly their size');
  });

  test('a 640x480 camera: ShrinkToFit into 640x360 gives 480x360; Fill gives 640x360', async () => {
    const camera = clip(dir, 'vga', '640x480');
    assert.deepEqual(await publish(camera, 'framecast-webcam-360p-ll', 'vga-fit'),
      { input: [640, 480], encoded: [480, 360], stored: [480, 360] });
    assert.deepEqual(await publish(camera, 'webcam-360p', 'vga-fill'),
      { input: [640, 480], encoded: [640, 360], stored: [640, 360] });
  });
});
