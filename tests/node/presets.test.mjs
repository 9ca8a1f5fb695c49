// Presets from JS (the Node build of the package): the built-in table and
// complete validation of custom presets with errors naming each field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
const fc = require('../../pkg/node/framecast.js');

test('systemPresets lists Elastic Transcoder ids and framecast webcam presets, each valid', () => {
  const presets = fc.systemPresets();
  const ids = presets.map((p) => p.id);
  for (const id of ['1351620000001-000001', '1351620000001-000010', '1351620000001-000020', '1351620000001-000040',
    '1351620000001-200010', '1351620000001-200050', 'framecast-webcam-720p-ll', 'framecast-webcam-360p-ll']) {
    assert.ok(ids.includes(id), id);
  }
  const generic720 = presets.find((p) => p.id === '1351620000001-000010');
  assert.equal(generic720.name, 'Generic 720p');
  assert.deepEqual([generic720.video.maxWidth, generic720.video.maxHeight], [1280, 720]);
  for (const p of presets) assert.deepEqual(fc.parsePreset(p), p, `${p.id} round-trips`);
  assert.deepEqual(fc.parsePreset(JSON.stringify(generic720)), generic720, 'a JSON string works too');
});

test('parsePreset reports every problem with field, value and range', () => {
  const bad = {
    name: 'bad', container: 'fmp4',
    video: { bitRate: 2000, maxWidth: 4097 },
    thumbnails: { format: 'gif', interval: 10 },
    watermarks: [{ id: 'logo', opacity: 140 }],
  };
  let error;
  try {
    fc.parsePreset(bad);
  } catch (e) {
    error = e;
  }
  assert.ok(error, 'throws');
  assert.equal(error.code, 'invalid-preset');
  const fields = error.errors.map((e) => e.field).sort();
  // Each section is read on its own, so one bad section does not hide another's problems.
  assert.deepEqual(fields, ['thumbnails.format', 'video.maxWidth', 'watermarks[0].opacity'], JSON.stringify(error.errors));
  const width = error.errors.find((e) => e.field === 'video.maxWidth');
  assert.equal(width.value, '4097');
  assert.match(width.message, /^video\.maxWidth must be an even number from 128 to 4096.*got 4097$/);
  assert.throws(() => fc.parsePreset('{"name": '), (e) => e.code === 'invalid-preset');
  assert.throws(() => fc.parsePreset(42), (e) => e.code === 'invalid-preset');
});

test('parsePreset reports every problem inside one section too, each with field, value and message', () => {
  const bad = {
    name: 'bad', container: 'fmp4',
    video: { bitRate: 2000, maxWidth: 4097, sizingPolicy: 'Fitt', frameRate: 'fast', codecOptions: { profile: 'extended' } },
    audio: { codec: 'opus', bitRate: 'lots', channels: 7 },
  };
  let error;
  try {
    fc.parsePreset(bad);
  } catch (e) {
    error = e;
  }
  assert.ok(error instanceof fc.FramecastError, 'a FramecastError');
  assert.equal(error.code, 'invalid-preset');
  const fields = error.errors.map((e) => e.field).sort();
  assert.deepEqual(fields, ['audio.bitRate', 'audio.channels', 'video.codecOptions.profile', 'video.frameRate', 'video.maxWidth', 'video.sizingPolicy'], JSON.stringify(error.errors));
  for (const p of error.errors) {
    assert.equal(typeof p.value, 'string', p.field);
    assert.ok(p.message.startsWith(`${p.field} must be `), p.message);
    assert.ok(p.message.endsWith(`got ${p.value}`), p.message);
  }
  assert.equal(error.errors.find((p) => p.field === 'video.sizingPolicy').value, '"Fitt"');
  assert.equal(error.field, error.errors[0].field, 'field is the first problem\'s');
});
