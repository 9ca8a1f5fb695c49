// `framecast/transcode` as a Node or edge-worker user runs it: inputs that
// ffmpeg makes go in as a file stream, a Blob or bytes, and ffprobe/ffmpeg
// (referees we did not write) read what comes out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { Readable } from 'node:stream';

const root = new URL('../../', import.meta.url).pathname;
const { transcodeAudio, AudioTranscoder } = await import(`${root}pkg/transcode.js`);
const { systemPresets } = createRequire(import.meta.url)(`${root}pkg/node/framecast.js`);

const work = mkdtempSync(join(tmpdir(), 'framecast-transcode-'));
test.after(() => rmSync(work, { recursive: true, force: true }));

/** 8 s of 44.1 kHz stereo (a tone and a sweep) encoded by ffmpeg with `args`. */
function ffmpegInput(name, args) {
  const path = join(work, name);
  if (!existsSync(path)) {
    execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=8',
      '-f', 'lavfi', '-i', 'aevalsrc=0.4*sin(2*PI*(100+600*t)*t):s=44100:d=8', '-filter_complex', '[0][1]amerge=inputs=2',
      ...args, path]);
  }
  return path;
}

function probe(path) {
  const out = execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'stream=codec_name,sample_rate,channels', '-of', 'json', path]);
  return JSON.parse(out).streams[0];
}

/** Samples per channel ffmpeg decodes from `path` at `rate`. */
function decodedFrames(path, rate) {
  return execFileSync('ffmpeg', ['-v', 'error', '-i', path, '-ar', String(rate), '-ac', '2', '-f', 'f32le', '-'], { maxBuffer: 1 << 28 }).length / 8;
}

test('an MP3 file stream becomes AAC in MP4, with progress, as ffprobe reads it', async () => {
  const mp3 = ffmpegInput('in.mp3', ['-c:a', 'libmp3lame', '-b:a', '192k']);
  const progress = [];
  const preset = { name: 'AAC 128k', container: 'mp4', audio: { codec: 'AAC', bitRate: 128, sampleRate: 48000 } };
  const { data, summary, patches } = await transcodeAudio(Readable.toWeb(createReadStream(mp3, { highWaterMark: 32 << 10 })), preset, {
    onProgress: (p) => progress.push(p),
  });
  assert.equal(summary.codec, 'mp4a.40.2');
  assert.deepEqual([summary.sampleRate, summary.channels, summary.mimeType, summary.extension], [48000, 2, 'audio/mp4', 'm4a']);
  assert.equal(summary.input.codec, 'mp3');
  assert.equal(summary.outputBytes, data.length);
  assert.deepEqual(patches, []);
  assert.ok(progress.length >= 3, `${progress.length} progress events`);
  for (let i = 1; i < progress.length; i++) assert.ok(progress[i].inputBytes >= progress[i - 1].inputBytes);
  assert.equal(progress.at(-1).inputBytes, readFileSync(mp3).length);
  const out = join(work, 'out.m4a');
  writeFileSync(out, data);
  assert.deepEqual(probe(out), { codec_name: 'aac', sample_rate: '48000', channels: 2 });
  // The MP3 decoder trims LAME's delay and padding; the edit list trims
  // AAC's: ffmpeg decodes 8 s, within one AAC frame.
  assert.ok(Math.abs(decodedFrames(out, 48000) - 8 * 48000) <= 1024, `${decodedFrames(out, 48000)} frames`);
});

test('Blob and bytes inputs; Ogg Opus, FLAC and WAV outputs with their header patches', async () => {
  const flac = readFileSync(ffmpegInput('in.flac', ['-c:a', 'flac']));
  const cases = [
    [{ name: 'opus', container: 'ogg', audio: { codec: 'opus', bitRate: 96 } }, 'opus', 48000, 'audio/ogg'],
    [{ name: 'flac', container: 'flac', audio: { codec: 'flac' } }, 'flac', 44100, 'audio/flac'],
    [{ name: 'wav', container: 'wav', audio: { codec: 'pcm', sampleRate: 48000, channels: 1 } }, 'pcm_s16le', 48000, 'audio/wav'],
  ];
  for (const [preset, codec, rate, mime] of cases) {
    const input = preset.name === 'flac' ? new Blob([flac]) : flac;
    const { data, summary, patches } = await transcodeAudio(input, JSON.stringify(preset));
    assert.equal(summary.mimeType, mime);
    assert.equal(patches.length, codec === 'opus' ? 0 : 1, `${codec} patches`);
    const out = join(work, `out.${summary.extension}`);
    writeFileSync(out, data);
    const s = probe(out);
    assert.deepEqual([s.codec_name, Number(s.sample_rate), s.channels], [codec, rate, preset.audio.channels ?? 2], codec);
    const frames = decodedFrames(out, rate);
    assert.ok(Math.abs(frames - 8 * rate) <= rate / 50, `${codec}: ${frames} frames`);
  }
  // The patched FLAC header carries the sample count (ffprobe reads it).
  const { data } = await transcodeAudio(flac, { name: 'f', container: 'flac', audio: { codec: 'flac' } });
  const streaminfoSamples = Number(BigInt.asUintN(36, (BigInt(data[8 + 13] & 0x0f) << 32n) | BigInt(new DataView(data.buffer, data.byteOffset).getUint32(8 + 14))));
  assert.equal(streaminfoSamples, 8 * 44100);
});

test('built-in preset ids: those with audio in a file container transcode with their container and audio; HLS ones are refused by container', async () => {
  const flac = readFileSync(ffmpegInput('in.flac', ['-c:a', 'flac']));
  const presets = systemPresets().filter((p) => p.audio);
  const files = presets.filter((p) => !['hls', 'dash'].includes(p.container));
  assert.ok(files.length >= 6, `${files.length} audio-capable file presets`);
  const codecs = { AAC: 'aac', opus: 'opus' };
  for (const p of files) {
    const { data, summary } = await transcodeAudio(flac, p.id);
    assert.equal(summary.mimeType, 'audio/mp4', p.id);
    const out = join(work, `builtin.${summary.extension}`);
    writeFileSync(out, data);
    const s = probe(out);
    const rate = p.audio.sampleRate === 'auto' ? 44100 : p.audio.sampleRate;
    assert.deepEqual([s.codec_name, Number(s.sample_rate), s.channels], [codecs[p.audio.codec], rate, 2], p.id);
    assert.ok(Math.abs(decodedFrames(out, rate) - 8 * rate) <= 1024, `${p.id}: all 8 s`);
  }
  for (const p of presets.filter((p) => p.container === 'hls')) {
    await assert.rejects(transcodeAudio(flac, p.id), (e) => e.code === 'invalid-preset' && e.field === 'container', p.id);
  }
});

test('bad presets, options and inputs reject with typed errors; aborts stop the work', async () => {
  const flac = readFileSync(ffmpegInput('in.flac', ['-c:a', 'flac']));
  const rejects = (promise, code, field) => assert.rejects(promise, (e) => e.code === code && (field === undefined || e.field === field));
  await rejects(transcodeAudio(flac, { name: 'x', container: 'ogg', audio: { codec: 'flac' } }), 'invalid-preset', 'audio.codec');
  await rejects(transcodeAudio(flac, 'no-such-preset'), 'invalid-config', 'preset');
  await rejects(transcodeAudio(flac, { name: 'x', container: 'wav', audio: { codec: 'pcm' } }, { gainDb: 99 }), 'invalid-config', 'gainDb');
  await rejects(transcodeAudio(flac, { name: 'x', container: 'wav', audio: { codec: 'pcm' } }, { volume: 1 }), 'invalid-config', 'volume');
  await rejects(transcodeAudio(42, { name: 'x', container: 'wav', audio: { codec: 'pcm' } }), 'invalid-config', 'input');
  await rejects(transcodeAudio(new TextEncoder().encode('not audio, just text'), { name: 'x', container: 'wav', audio: { codec: 'pcm' } }), 'unsupported-input');
  await rejects(transcodeAudio(flac.subarray(0, 200), { name: 'x', container: 'wav', audio: { codec: 'pcm' } }), 'decode-error');
  const ac = new AbortController();
  ac.abort();
  await rejects(transcodeAudio(flac, { name: 'x', container: 'wav', audio: { codec: 'pcm' } }, { signal: ac.signal }), 'aborted');
  // The class: a failed transcoder refuses further calls.
  const t = new AudioTranscoder({ name: 'x', container: 'wav', audio: { codec: 'pcm' } });
  assert.throws(() => { t.push(new Uint8Array(10)); t.finish(); }, (e) => e.code === 'unsupported-input');
  assert.throws(() => t.push(new Uint8Array(1)), (e) => e.code === 'invalid-state');
  t.free();
});
