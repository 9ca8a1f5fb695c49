// The microphone through the AudioWorklet path (what Firefox and Safari
// get: they have no MediaStreamTrackProcessor), end to end in Chromium.
// Chromium's file-backed fake camera and microphone play the flash and
// beep clip (support/av_sync.mjs); a page on the demo origin publishes them
// with framecast/publisher to a real framecast-server:
// - `capture: { audio: 'worklet' }` (video still through
//   MediaStreamTrackProcessor), 8 s: every audio fragment stored once,
//   ffprobe sees AAC at 48 kHz starting with the video, each beep lands
//   with its flash, and stop() closed the AudioContext;
// - MediaStreamTrackProcessor hidden, `capture` 'auto' (as in Firefox):
//   canvas video and worklet audio, no warning;
// - cancel() closes the context; a bad `capture.audio` names the field.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { avOffsets, startSyncRig } from './support/av_sync.mjs';
import { openPage } from '../bench/browser.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const ms = (s) => Math.round(s * 1000);

let rig, browser, demo, streams, dir;

before(async () => {
  rig = await startSyncRig('worklet-');
  ({ browser, demo, streams, dir } = rig);
});

after(async () => {
  await rig?.stop();
});

/**
 * Opens a page on the demo origin and starts a Publisher there with
 * `options`. The page counts which MediaStreamTrackProcessors (by track
 * kind), AudioWorkletNodes and AudioContexts the publisher makes; with
 * `hideProcessor` it has no MediaStreamTrackProcessor at all.
 */
async function startPublisher(options, { hideProcessor = false } = {}) {
  const p = await openPage(browser, demo.origin, { allow: [streams.origin] });
  await p.page.evaluate(async ({ options, hideProcessor }) => {
    const made = { processors: [], worklets: 0, contexts: [] };
    if (hideProcessor) {
      delete window.MediaStreamTrackProcessor;
    } else {
      const Processor = MediaStreamTrackProcessor;
      window.MediaStreamTrackProcessor = class extends Processor {
        constructor(init) {
          made.processors.push(init.track.kind);
          super(init);
        }
      };
    }
    const Context = AudioContext;
    window.AudioContext = class extends Context {
      constructor(o) {
        super(o);
        made.contexts.push(this);
      }
    };
    const Node = AudioWorkletNode;
    window.AudioWorkletNode = class extends Node {
      constructor(...args) {
        super(...args);
        made.worklets += 1;
      }
    };
    const { Publisher } = await import('/pkg/publisher.js');
    const t = { made, warnings: [], errors: [] };
    window.t = t;
    t.pub = await Publisher.create(options);
    t.pub.on('warning', (w) => t.warnings.push({ code: w.code, message: w.message }));
    t.pub.on('error', (e) => t.errors.push({ code: e.code, message: e.message }));
    await t.pub.start();
  }, { options: { endpoint: streams.origin, preset: 'webcam-360p', fragmentDuration: 2000, ...options }, hideProcessor });
  return p;
}

/** Stops the page's publisher; returns what it saw. */
async function stopPublisher(p) {
  const view = await p.page.evaluate(async () => {
    const result = await t.pub.stop();
    await new Promise((r) => setTimeout(r, 100)); // AudioContext.close() settles
    const { processors, worklets, contexts } = t.made;
    return { result, warnings: t.warnings, errors: t.errors, processors, worklets, contexts: contexts.map((c) => c.state) };
  });
  await p.close();
  assert.deepEqual([...view.errors, ...p.errors], [], 'no errors on the publishing page');
  assert.equal(view.result.complete, true, 'stop() saw every fragment and the end acknowledged');
  assert.deepEqual(view.warnings, [], 'no warning (no-audio-capture, audio-suspended, ...)');
  assert.equal(view.worklets, 1, 'one AudioWorkletNode');
  assert.deepEqual(view.contexts, ['closed'], 'stop() closed the AudioContext');
  return view;
}

/** The audio track as the server has it; checks that every audio fragment the publisher made is stored once. */
async function storedAudio(stream, view) {
  const info = await (await fetch(`${streams.origin}/streams/${stream}`)).json();
  const audio = info.tracks.find((t) => t.name === 'audio');
  assert.ok(audio, `the server has an audio track: ${JSON.stringify(info.tracks)}`);
  assert.equal(info.ended, true);
  assert.equal(audio.fragments, view.result.stats.audio.fragmentsMade, 'every audio fragment stored');
  assert.deepEqual([audio.firstSequence, audio.lastSequence, audio.missing], [1, audio.fragments, 0]);
  const index = readFileSync(join(dir, 'data', 'streams', stream, 'index.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l));
  const seqs = index.filter((l) => l.type === 'fragment' && l.track === 'audio').map((l) => l.sequence);
  assert.deepEqual(seqs, Array.from({ length: audio.fragments }, (_, i) => i + 1), 'index: every audio fragment once, in order');
  return audio;
}

test("capture.audio 'worklet': 8 s stored, AAC 48 kHz from ffprobe, beeps with their flashes", async () => {
  const stream = 'worklet';
  const p = await startPublisher({ stream, capture: { audio: 'worklet' } });
  await sleep(8000);
  const view = await stopPublisher(p);
  assert.deepEqual(view.processors, ['video'], 'MediaStreamTrackProcessor for the camera only');
  const audio = await storedAudio(stream, view);
  assert.ok(audio.fragments >= 3, `${audio.fragments} audio fragments`);

  const master = `${streams.origin}/streams/${stream}/master.m3u8`;
  const probe = JSON.parse(
    execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_type,codec_name,sample_rate,channels,start_time', '-of', 'json', master]).toString(),
  );
  const v = probe.streams.find((s) => s.codec_type === 'video');
  const a = probe.streams.find((s) => s.codec_type === 'audio');
  // webcam-360p has no audio settings: AAC-LC, 48 kHz.
  assert.deepEqual([a?.codec_name, a?.sample_rate], ['aac', '48000'], JSON.stringify(probe.streams));
  const startGap = Number(a.start_time) - Number(v.start_time);
  assert.ok(Math.abs(startGap) < 0.1, `audio starts ${ms(startGap)} ms from the video`);

  const m = avOffsets(master);
  const offsets = m.pairs.map((pair) => pair[1]);
  const mean = offsets.reduce((x, y) => x + y, 0) / offsets.length;
  const s = view.result.stats.audio;
  console.log(
    `# worklet lip sync: ${m.pairs.length} flash/beep pairs; offset (audio - video) mean ${ms(mean)} ms, ` +
      `range ${ms(m.min)}..${ms(m.max)} ms; audio starts ${ms(startGap)} ms after video; ` +
      `resyncs ${s.resyncs}, inserted ${s.insertedSamples}, dropped ${s.droppedSamples} samples`,
  );
  assert.ok(m.pairs.length >= 5, `${m.pairs.length} pairs from ${m.flashes} flashes and ${m.beeps} beeps`);
  assert.ok(Math.abs(mean) <= 0.05, `beeps ${ms(mean)} ms from their flashes`);
  assert.ok(m.max - m.min <= 0.04, `offset wanders ${ms(m.min)}..${ms(m.max)} ms`);
});

test("without MediaStreamTrackProcessor, capture 'auto' (as in Firefox): canvas video, worklet audio", async () => {
  const stream = 'firefoxlike';
  const p = await startPublisher({ stream }, { hideProcessor: true });
  await sleep(5000);
  const view = await stopPublisher(p);
  assert.deepEqual(view.processors, []);
  const audio = await storedAudio(stream, view);
  assert.ok(audio.fragments >= 2, `${audio.fragments} audio fragments`);
});

test('cancel() closes the AudioContext; capture option errors name the field', async () => {
  const p = await startPublisher({ stream: 'cancelled', capture: { audio: 'worklet' } });
  await sleep(500);
  const result = await p.page.evaluate(async (endpoint) => {
    t.pub.cancel();
    await new Promise((r) => setTimeout(r, 100));
    const { Publisher } = await import('/pkg/publisher.js');
    const attempt = async (capture) => {
      try {
        await Publisher.create({ endpoint, stream: 'x', capture });
        return null;
      } catch (e) {
        return [e.code, e.field, e.message];
      }
    };
    const errors = { audio: await attempt({ audio: 'mic' }), video: await attempt('webgl'), type: await attempt(7) };
    return { errors, state: t.pub.state, contexts: t.made.contexts.map((c) => c.state), worklets: t.made.worklets };
  }, streams.origin);
  await p.close();
  assert.deepEqual(p.errors, []);
  assert.equal(result.state, 'closed');
  assert.equal(result.worklets, 1);
  assert.deepEqual(result.contexts, ['closed']);
  assert.deepEqual(result.errors, {
    audio: ['invalid-config', 'capture.audio', 'capture.audio: must be "auto", "processor" or "worklet", not "mic"'],
    video: ['invalid-config', 'capture', 'capture: must be "auto", "processor" or "canvas", not "webgl"'],
    type: ['invalid-config', 'capture', 'capture: must be a string or { video, audio }'],
  });
});
