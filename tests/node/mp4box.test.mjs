// mp4box.js, a parser we did not write, reads every kind of segment we
// write: per-track init segments and fragments (with CMAF chunks), LL-HLS
// part files, on-demand files with sidx, the progressive MP4, and every
// golden init/fragment of the muxer tests (including muxed A/V). Sample
// counts, timestamps and sync flags must come out as we wrote them.
import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { createFile, Log } from 'mp4box';
import { e2e, nativeDir, root, sources } from './support/sources.mjs';

const out = `${e2e}/mp4box`;
const FRAMES = 300;

const logged = [];
Log.setLogLevel(Log.warn);
Log.error = (...a) => logged.push(`error: ${a.join(' ')}`);
Log.warn = (...a) => logged.push(`warn: ${a.join(' ')}`);

/** Parses buffers as one file; extracts every track's samples. */
function parse(buffers) {
  logged.length = 0;
  const file = createFile(true);
  let info = null, error = null;
  const samples = new Map();
  file.onReady = (i) => {
    info = i;
    for (const t of i.tracks) {
      samples.set(t.id, []);
      file.setExtractionOptions(t.id, null, { nbSamples: 100000 });
    }
    file.start();
  };
  file.onError = (e) => { error = e; };
  file.onSamples = (id, _user, list) => samples.get(id).push(...list.map((s) => ({ dts: s.dts, cts: s.cts, duration: s.duration, sync: s.is_sync, size: s.size, timescale: s.timescale })));
  let offset = 0;
  for (const b of buffers) {
    const ab = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
    ab.fileStart = offset;
    offset += b.byteLength;
    file.appendBuffer(ab);
  }
  file.flush();
  return { file, info, error, samples, logs: [...logged] };
}

const read = (rel) => readFileSync(`${out}/${rel}`);
const numbered = (dir, re) => readdirSync(`${out}/${dir}`).filter((f) => re.test(f)).sort((a, b) => parseFloat(a) - parseFloat(b) || a.localeCompare(b, 'en', { numeric: true }));

function assertContinuous(list, what) {
  for (let i = 1; i < list.length; i++) {
    assert.equal(list[i].dts, list[i - 1].dts + list[i - 1].duration, `${what}: sample ${i} starts where ${i - 1} ends`);
  }
}

before(() => {
  const { video, audio } = sources('640x360', 10);
  rmSync(out, { recursive: true, force: true });
  execFileSync(`${nativeDir}/examples/package`, ['--video', video, '--size', '640x360', '--audio', audio, '--out', out, '--part-ms', '500'], { stdio: ['ignore', 'ignore', 'inherit'] });
});

test('progressive MP4: both tracks, every sample, continuous timing', () => {
  const r = parse([read('progressive.mp4')]);
  assert.equal(r.error, null);
  assert.deepEqual(r.logs, []);
  assert.deepEqual(r.info.tracks.map((t) => t.codec), ['avc1.4d4c1e', 'mp4a.40.2']);
  const [v, a] = r.info.tracks.map((t) => r.samples.get(t.id));
  assert.equal(v.length, FRAMES);
  assert.ok(a.length >= 460, `audio samples ${a.length}`);
  assertContinuous(v, 'video');
  assertContinuous(a, 'audio');
  assert.equal(v.filter((s) => s.sync).length, 5, 'an IDR every 2 s');
});

for (const track of ['video', 'audio']) {
  test(`${track}: init segment + every fragment (CMAF chunks inside)`, () => {
    const frags = numbered(track, /^\d+\.m4s$/);
    assert.equal(frags.length, 5);
    const r = parse([read(`${track}/init.mp4`), ...frags.map((f) => read(`${track}/${f}`))]);
    assert.equal(r.error, null);
    assert.deepEqual(r.logs, []);
    assert.equal(r.info.isFragmented, true);
    assert.equal(r.info.tracks.length, 1);
    const s = r.samples.get(r.info.tracks[0].id);
    if (track === 'video') {
      assert.equal(s.length, FRAMES);
      assert.equal(s[0].timescale, 90000);
      assert.ok(s.every((x) => x.duration === 3000));
    }
    assertContinuous(s, track);
    assert.equal(s[0].dts, 0);
  });

  test(`${track}: every LL-HLS part file is a moof+mdat chunk that mp4box reads`, () => {
    const parts = numbered(track, /^\d+\.\d+\.m4s$/);
    assert.ok(parts.length >= 18, `${parts.length} parts`);
    let total = 0;
    for (const p of parts) {
      const r = parse([read(`${track}/init.mp4`), read(`${track}/${p}`)]);
      assert.equal(r.error, null, p);
      assert.deepEqual(r.logs, [], p);
      assert.deepEqual(r.file.boxes.slice(2).map((b) => b.type), ['moof', 'mdat'], p);
      total += r.samples.get(r.info.tracks[0].id).length;
    }
    const whole = parse([read(`${track}/init.mp4`), ...numbered(track, /^\d+\.m4s$/).map((f) => read(`${track}/${f}`))]);
    assert.equal(total, whole.samples.get(whole.info.tracks[0].id).length, 'parts hold exactly the fragments\' samples');
  });

  test(`${track}: on-demand file with sidx`, () => {
    const r = parse([read(`ondemand/${track}.mp4`)]);
    assert.equal(r.error, null);
    assert.deepEqual(r.logs, []);
    assert.deepEqual(r.file.boxes.slice(0, 3).map((b) => b.type), ['ftyp', 'moov', 'sidx']);
    const sidx = r.file.boxes[2];
    assert.equal(sidx.references.length, 5);
    const sizes = sidx.references.reduce((n, ref) => n + ref.referenced_size, 0);
    assert.equal(sizes, read(`ondemand/${track}.mp4`).length - sidx.start - sidx.size, 'sidx covers the fragments exactly');
    assertContinuous(r.samples.get(r.info.tracks[0].id), track);
  });
}

test('every golden init segment and fragment of the muxer tests', () => {
  const dir = `${root}tests/golden/mux`;
  const files = readdirSync(dir).filter((f) => /\.(mp4|m4s|cmfv|cmfa)$/.test(f));
  assert.ok(files.length >= 8, `${files.length} golden files`);
  const inits = files.filter((f) => /init/.test(f));
  for (const f of files) {
    const bytes = readFileSync(`${dir}/${f}`);
    const r = parse([bytes]);
    assert.equal(r.error, null, f);
    const types = r.file.boxes.map((b) => b.type);
    // Some golden files hold several segments, each led by its own styp;
    // mp4box only notes that it keeps them in an array. Its dfLa reader
    // loops while the last-metadata-block flag is *set* (the reverse of the
    // FLAC spec), so it reads past our conformant dfLa and warns.
    const benign = (l) => /dfLa/.test(l) || (/multiple boxes of type styp/.test(l) && types.filter((t) => t === 'styp').length > 1);
    assert.deepEqual(r.logs.filter((l) => !benign(l)), [], `${f}: ${r.logs}`);
    assert.ok(types.includes('moov') || types.includes('moof') || types.includes('sidx') || types.includes('styp'), `${f}: ${types}`);
  }
  assert.ok(inits.length >= 4, `${inits.length} init segments`);
});
