// Lip-sync measurement for the A/V tests: a clip with a white flash and a
// 1 kHz beep at the start of every second (for Chromium's file-backed fake
// camera and microphone), and the offsets between flashes and beeps in
// whatever ffmpeg can read (an HLS playlist, an MP4).
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { e2e } from './sources.mjs';
import { launchChromium } from '../../bench/browser.mjs';
import { serveDemo } from '../../../www/serve.mjs';
import { startStreamServer } from '../../../www/stream_server.mjs';

/**
 * Writes `dir/sync.mjpeg` (width x height, 30 fps; frames 0-1 of each
 * second white, the rest black) and `dir/sync.wav` (48 kHz stereo; 60 ms of
 * 1 kHz at the start of each second, else silence), `seconds` long.
 * Chromium loops both.
 */
export function makeSyncClip(dir, { seconds = 10, width = 640, height = 360 } = {}) {
  const video = join(dir, 'sync.mjpeg');
  const audio = join(dir, 'sync.wav');
  const quiet = ['-v', 'error', '-nostdin', '-y'];
  execFileSync('ffmpeg', [...quiet, '-f', 'lavfi', '-i', `color=c=black:s=${width}x${height}:r=30:d=${seconds}`,
    '-vf', "geq=lum='if(lt(mod(N\,30)\,2)\,235\,16)':cb=128:cr=128", '-c:v', 'mjpeg', '-q:v', '3', video]);
  execFileSync('ffmpeg', [...quiet, '-f', 'lavfi', '-i', `aevalsrc='if(lt(mod(t\,1)\,0.06)\,0.5*sin(2*PI*1000*t)\,0)':s=48000:d=${seconds}`,
    '-ac', '2', audio]);
  return { video, audio };
}

/** Flash onsets (s): frames whose mean luma jumps above the midpoint. */
export function flashTimes(input) {
  const r = spawnSync('ffmpeg', ['-hide_banner', '-nostdin', '-i', input, '-map', '0:v:0', '-vf', 'scale=32:18,format=gray,showinfo', '-f', 'null', '-'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const frames = [];
  for (const line of r.stderr.split('\n')) {
    const m = /pts_time:\s*([-\d.]+).*?mean:\[(\d+)/.exec(line);
    if (m) frames.push([Number(m[1]), Number(m[2])]);
  }
  const out = [];
  for (let i = 1; i < frames.length; i++) if (frames[i][1] > 125 && frames[i - 1][1] <= 125) out.push(frames[i][0]);
  return { onsets: out, frames: frames.length };
}

/** Beep onsets (s): first sample above 0.1 after >= 0.3 s below it. */
export function beepTimes(input, rate = 48000) {
  const probe = JSON.parse(execFileSync('ffprobe', ['-v', 'error', '-select_streams', 'a:0', '-show_entries', 'stream=start_time', '-of', 'json', input]).toString());
  const start = Number(probe.streams[0].start_time) || 0;
  const pcm = execFileSync('ffmpeg', ['-v', 'error', '-nostdin', '-i', input, '-map', '0:a:0', '-ac', '1', '-ar', String(rate), '-f', 'f32le', '-'], { maxBuffer: 1 << 30 });
  const x = new Float32Array(pcm.buffer, pcm.byteOffset, pcm.byteLength / 4);
  const out = [];
  let quiet = rate;
  for (let i = 0; i < x.length; i++) {
    if (Math.abs(x[i]) > 0.1) {
      if (quiet >= 0.3 * rate) out.push(start + i / rate);
      quiet = 0;
    } else quiet++;
  }
  return { onsets: out, start };
}

/**
 * Pairs each flash with the nearest beep (within 0.4 s): offsets in
 * seconds (audio minus video) and the drift (last offset minus first).
 */
export function avOffsets(input) {
  const v = flashTimes(input);
  const a = beepTimes(input);
  const pairs = [];
  for (const t of v.onsets) {
    let best = null;
    for (const b of a.onsets) if (best === null || Math.abs(b - t) < Math.abs(best - t)) best = b;
    if (best !== null && Math.abs(best - t) < 0.4) pairs.push([t, best - t]);
  }
  const offs = pairs.map((p) => p[1]);
  return { pairs, flashes: v.onsets.length, beeps: a.onsets.length, first: offs[0], last: offs.at(-1), drift: offs.at(-1) - offs[0], min: Math.min(...offs), max: Math.max(...offs) };
}

/**
 * What both lip-sync tests run against: the flash/beep clip in a fresh
 * directory under `e2e` (named from `prefix`), a real framecast-server, the
 * demo server, and headless Chromium whose fake camera and microphone play
 * the clip. `stop()` tears all of it down.
 */
export async function startSyncRig(prefix) {
  mkdirSync(e2e, { recursive: true });
  const dir = mkdtempSync(join(e2e, prefix));
  const clip = makeSyncClip(dir, { seconds: 10 });
  const streams = await startStreamServer({ dataDir: join(dir, 'data') });
  const demo = await serveDemo({ endpoint: streams.origin });
  const browser = await launchChromium({
    args: [
      '--use-fake-device-for-media-stream',
      '--use-fake-ui-for-media-stream',
      `--use-file-for-fake-video-capture=${clip.video}`,
      `--use-file-for-fake-audio-capture=${clip.audio}`,
    ],
  });
  const stop = async () => {
    await browser.close();
    await streams.stop();
    demo.server.closeAllConnections();
    demo.server.close();
    rmSync(dir, { recursive: true, force: true });
  };
  return { browser, demo, streams, dir, stop };
}
