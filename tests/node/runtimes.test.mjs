// The npm package in every runtime it supports, as users get it: packed,
// installed into a fresh app (offline, from the tarball), then run in Node,
// Deno and workerd (Cloudflare's runtime, from npm). Each runs the same
// smoke work (support/runtime_smoke.mjs): H.264 encode and decode, CMAF
// muxing, an HLS playlist and a DASH MPD (root module and `framecast/mux`),
// and an MP3 transcoded to AAC (`framecast/transcode`'s module).
//
// - Node: `import` and `require` share one instance; `init()` and
//   `initSync()` exist in both and return the wasm exports.
// - Deno: no permissions at all (the `deno` exports condition instantiates
//   the module from a source-phase import; the default init() would need
//   --allow-read).
// - workerd, from a wrangler.json (workerd bundles it with esbuild and the
//   `workerd` condition, as wrangler does): the work runs inside a `fetch`
//   handler, and the wasm memory after it stays under WORKERD_MEMORY_LIMIT,
//   far below Cloudflare's 128 MB per isolate, which local workerd does not
//   enforce.
// - workerd from a .capnp config that embeds the modules by hand (no
//   bundler): `initSync({ module })` inside the `fetch` handler.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { installedApp } from './support/npm_pack.mjs';
import { BIN, COMPATIBILITY_DATE, denoEnv, workerdFetch } from './support/edge_runtimes.mjs';

/** Bound on workerd's wasm memory after the smoke work, bytes. */
const WORKERD_MEMORY_LIMIT = 32 << 20;

let work, app, mp3;

before(() => {
  ({ work, app } = installedApp('framecast-runtimes-'));
  copyFileSync(new URL('./support/runtime_smoke.mjs', import.meta.url), join(app, 'smoke.mjs'));
  // 1 s of a 440 Hz tone, MP3 by LAME through ffmpeg.
  mp3 = join(app, 'in.mp3');
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=1',
    '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', mp3]);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** The smoke report is what every runtime must produce. */
function checkSmoke(report, runtime) {
  assert.equal(report.encoded, 20, runtime);
  assert.equal(report.keyframes, 2, runtime);
  assert.match(report.codec, /^avc1\.4d[0-9a-f]{4}$/, runtime);
  assert.equal(report.decoded, 20, runtime);
  assert.equal(report.size, '160x96', runtime);
  assert.ok(report.minPsnr > 35, `${runtime}: decoded pictures at ${report.minPsnr} dB`);
  assert.equal(report.initBox, 'ftyp', runtime);
  assert.deepEqual(report.fragments, [[1, 0, 1e6, 'moof'], [2, 1e6, 1e6, 'moof']], runtime);
  assert.match(report.hls, /^#EXTM3U\n/, runtime);
  assert.match(report.hls, /#EXT-X-MAP:URI="init\.mp4"\n#EXTINF:1\.000,\nseg1\.m4s\n#EXTINF:1\.000,\nseg2\.m4s\n#EXT-X-ENDLIST\n$/, runtime);
  assert.match(report.mpd, /<S t="0" d="1000000" r="1"\/>/, runtime);
  assert.deepEqual(report.muxEntry, { sameEvents: true, sameHls: true, sameMpd: true, errorBrand: true }, runtime);
  assert.deepEqual(report.transcode.codec, 'mp4a.40.2', runtime);
  assert.deepEqual([report.transcode.sampleRate, report.transcode.channels, report.transcode.inputCodec], [48000, 2, 'mp3'], runtime);
  assert.equal(report.transcode.firstBox, 'ftyp', runtime);
  assert.ok(report.transcode.bytes > 5000, `${runtime}: ${report.transcode.bytes} bytes of AAC`);
  assert.ok(report.wasmMemoryBytes > 0, runtime);
}

test('Node: import and require share one instance; init() and initSync() work in both', () => {
  writeFileSync(join(app, 'node-esm.mjs'), `
    import { readFileSync } from 'node:fs';
    import { createRequire } from 'node:module';
    import init, * as esm from 'framecast';
    import { smoke } from './smoke.mjs';
    const cjs = createRequire(import.meta.url)('framecast');
    const exports = await init();
    const names = (m) => Object.keys(m).filter((k) => k !== 'default').sort();
    console.log(JSON.stringify({
      esmNames: names(esm),
      cjsNames: names(cjs),
      same: esm.Encoder === cjs.Encoder,
      initSync: esm.initSync({ module: undefined }) === exports && cjs.initSync() === exports,
      memory: exports.memory instanceof WebAssembly.Memory,
      report: await smoke(readFileSync('in.mp3')),
    }));
  `);
  const out = JSON.parse(execFileSync('node', ['node-esm.mjs'], { cwd: app }).toString());
  assert.deepEqual(out.esmNames, out.cjsNames, 'the same names from import and require');
  for (const name of ['Encoder', 'Decoder', 'Muxer', 'AudioTranscoder', 'hlsMediaPlaylist', 'dashMpd', 'initSync']) {
    assert.ok(out.esmNames.includes(name), name);
  }
  assert.ok(out.same, 'one instance');
  assert.ok(out.initSync, 'initSync() returns the exports init() resolved to');
  assert.ok(out.memory, 'the exports include the memory');
  checkSmoke(out.report, 'node');
});

test('Deno: runs with no permissions (the "deno" exports condition)', () => {
  writeFileSync(join(app, 'deno-main.mjs'), `
    import init from 'framecast';
    import { smoke } from './smoke.mjs';
    await init(); // the documented browser call does nothing more here
    const mp3 = new Uint8Array(await new Response(Deno.stdin.readable).arrayBuffer());
    console.log(JSON.stringify(await smoke(mp3)));
  `);
  const out = execFileSync(`${BIN}/deno`, ['run', '--no-prompt', '--quiet', 'deno-main.mjs'], {
    cwd: app,
    input: readFileSync(mp3),
    env: denoEnv(work),
  });
  checkSmoke(JSON.parse(out.toString()), 'deno');
});

/** workerd's JSON answer to one request; fails on any other status. */
async function workerdJson(args, init) {
  const { status, text } = await workerdFetch(app, args, init);
  assert.equal(status, 200, text);
  return JSON.parse(text);
}

test('workerd (wrangler.json, the "workerd" exports condition): the work in a fetch handler, memory bounded', async () => {
  writeFileSync(join(app, 'worker.mjs'), `
    import { smoke } from './smoke.mjs';
    export default {
      async fetch(request) {
        return Response.json(await smoke(new Uint8Array(await request.arrayBuffer())));
      },
    };
  `);
  writeFileSync(join(app, 'wrangler.json'), JSON.stringify({ name: 'smoke', main: 'worker.mjs', compatibility_date: COMPATIBILITY_DATE }));
  const report = await workerdJson(['wrangler.json', '-s', 'http=127.0.0.1:0'], { method: 'POST', body: readFileSync(mp3) });
  checkSmoke(report, 'workerd');
  console.log(`# workerd: wasm memory after the smoke work ${report.wasmMemoryBytes} bytes (limit ${WORKERD_MEMORY_LIMIT})`);
  assert.ok(report.wasmMemoryBytes <= WORKERD_MEMORY_LIMIT, `wasm memory ${report.wasmMemoryBytes} bytes`);
});

test('workerd (.capnp, modules embedded by hand): initSync({ module }) in the fetch handler', async () => {
  writeFileSync(join(app, 'explicit.mjs'), `
    import wasm from './web/framecast_bg.wasm';
    import { initSync, Encoder, Muxer, hlsMediaPlaylist } from './web/framecast.js';
    export default {
      async fetch() {
        const { memory } = initSync({ module: wasm });
        const encoder = new Encoder({ width: 64, height: 48, bitrate: 100000, format: 'avc' });
        const chunk = encoder.encode(new Uint8Array(64 * 48 * 3 / 2).fill(100), 0);
        const muxer = new Muxer({ tracks: [{ id: 1, kind: 'video', codec: 'avc', description: chunk.avcc }] });
        const events = [...muxer.push(1, chunk), ...muxer.finish()];
        const fragment = events.find((e) => e.type === 'fragment');
        const hls = hlsMediaPlaylist({ segments: [{ sequence: 1, start: 0, duration: fragment.duration || 33333, uri: 's1.m4s' }] });
        return Response.json({ type: chunk.type, events: events.map((e) => e.type), hls, memory: memory.buffer.byteLength });
      },
    };
  `);
  writeFileSync(join(app, 'explicit.capnp'), `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .worker)],
  sockets = [(name = "http", address = "127.0.0.1:0", http = (), service = "main")],
);
const worker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "explicit.mjs"),
    (name = "web/framecast.js", esModule = embed "node_modules/framecast/web/framecast.js"),
    (name = "web/framecast_bg.wasm", wasm = embed "node_modules/framecast/web/framecast_bg.wasm"),
    (name = "errors.js", esModule = embed "node_modules/framecast/errors.js"),
  ],
  compatibilityDate = "${COMPATIBILITY_DATE}",
);
`);
  const out = await workerdJson(['explicit.capnp']);
  assert.equal(out.type, 'key');
  assert.deepEqual(out.events, ['init', 'fragment']);
  assert.match(out.hls, /#EXTINF:[0-9.]+,\ns1\.m4s\n#EXT-X-ENDLIST\n$/);
  assert.ok(out.memory > 0 && out.memory <= WORKERD_MEMORY_LIMIT, `${out.memory}`);
});
