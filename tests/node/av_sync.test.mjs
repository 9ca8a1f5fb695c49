// Lip sync over a minute, end to end: Chromium's fake camera and
// microphone play a clip with a flash and a beep at the start of every
// second (the same instant); the demo page publishes them (video: OpenH264,
// audio: AAC, both in the Worker) to a real framecast-server; ffmpeg reads
// the ended stream's HLS playlist back and we compare each flash with its
// beep. Chromium's own capture of such a clip holds its offset to about
// 1 ms over 20 s (MediaRecorder), so what drifts here is ours.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { avOffsets, startSyncRig } from './support/av_sync.mjs';
import { openPage } from '../bench/browser.mjs';

const SECONDS = 62;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let rig, browser, demo, streams;

before(async () => {
  rig = await startSyncRig('avsync-');
  ({ browser, demo, streams } = rig);
});

after(async () => {
  await rig?.stop();
});

test(`A/V drift over ${SECONDS} s of live publishing is at most 40 ms`, async () => {
  const stream = 'lipsync';
  const pub = await openPage(browser, demo.origin, { allow: [streams.origin] });
  await pub.page.goto(`${demo.origin}/?preset=webcam-360p&fragment=2000&autostart=1&stream=${stream}`);
  await pub.page.waitForFunction(() => window.demo?.state === 'live' || window.demo?.errors.length, null, { timeout: 20000 });
  await sleep(SECONDS * 1000);
  await pub.page.evaluate(() => window.demo.stop());
  await pub.page.waitForFunction(() => window.demo.stopResult, null, { timeout: 30000 });
  const view = await pub.page.evaluate(() => ({ errors: window.demo.errors, stop: window.demo.stopResult }));
  await pub.close();
  assert.deepEqual([...view.errors, ...pub.errors], []);
  assert.equal(view.stop.complete, true);
  const audio = view.stop.stats.audio;
  assert.ok(audio && audio.packets > 0, 'audio was published');

  const m = avOffsets(`${streams.origin}/streams/${stream}/master.m3u8`);
  const ms = (s) => Math.round(s * 1000);
  console.log(
    `# lip sync: ${m.pairs.length} flash/beep pairs over ${ms(m.pairs.at(-1)[0] - m.pairs[0][0]) / 1000} s; ` +
      `offset (audio - video) first ${ms(m.first)} ms, last ${ms(m.last)} ms, range ${ms(m.min)}..${ms(m.max)} ms, ` +
      `drift ${ms(m.drift)} ms; resyncs ${audio.resyncs}, inserted ${audio.insertedSamples}, dropped ${audio.droppedSamples} samples`,
  );
  assert.ok(m.pairs.length >= SECONDS - 6, `${m.pairs.length} pairs from ${m.flashes} flashes and ${m.beeps} beeps`);
  assert.ok(m.pairs.at(-1)[0] - m.pairs[0][0] >= SECONDS - 8, 'pairs span the minute');
  assert.ok(Math.abs(m.drift) <= 0.04, `drift ${ms(m.drift)} ms`);
  assert.ok(m.max - m.min <= 0.08, `offset wanders ${ms(m.min)}..${ms(m.max)} ms`);
});
