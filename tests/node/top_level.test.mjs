// What the package runs when it is imported must not use randomness or
// timers: Cloudflare Workers (workerd) refuse both at module top level, and
// they would make start-up non-deterministic elsewhere. Every shipped module
// is evaluated here, and the wasm instantiated (start function included),
// while those globals throw; they are restored afterwards. The workerd and
// Deno tests (runtimes.test.mjs) load the entry files there as well.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { root } from './support/sources.mjs';

const pkg = `${root}pkg`;
const TRAPPED = [
  [Math, 'random'],
  [crypto, 'getRandomValues'],
  [crypto, 'randomUUID'],
  [globalThis, 'setTimeout'],
  [globalThis, 'setInterval'],
  [globalThis, 'setImmediate'],
];

/** Runs `body` with every trapped global throwing; lists the ones called. */
async function trapped(body) {
  const called = [];
  const saved = TRAPPED.map(([object, name]) => [object, name, object[name]]);
  for (const [object, name] of TRAPPED) {
    object[name] = () => {
      called.push(name);
      throw new Error(`${name} called at module top level`);
    };
  }
  try {
    await body();
  } finally {
    for (const [object, name, value] of saved) object[name] = value;
  }
  return called;
}

test('no randomness or timers when the modules load and the wasm starts', async () => {
  // Worker and worklet globals the entry files touch at the top level.
  const stubs = {
    self: globalThis,
    AudioWorkletProcessor: class {},
    registerProcessor: () => {},
  };
  Object.assign(globalThis, stubs);
  let web;
  const called = await trapped(async () => {
    web = await import(`${pkg}/web/framecast.js`);
    web.initSync({ module: new WebAssembly.Module(readFileSync(`${pkg}/web/framecast_bg.wasm`)) });
    await import(`${pkg}/publisher.js`);
    await import(`${pkg}/publisher-worker.js`);
    await import(`${pkg}/audio-capture-worklet.js`);
    await import(`${pkg}/node/framecast.mjs`);
  });
  for (const name of Object.keys(stubs)) delete globalThis[name];
  assert.deepEqual(called, []);
  assert.equal(typeof web.buildInfo().openh264, 'string', 'the module works once loaded');
});

test('the trap catches a top-level timer', async () => {
  const called = await trapped(async () => {
    await assert.rejects(import(`data:text/javascript,setTimeout(() => {}, 0)`), /setTimeout called/);
  });
  assert.deepEqual(called, ['setTimeout']);
});
