// The npm README's examples, run as users copy them, against the packed
// package installed into a fresh app: every ```js block in the README is
// preceded by `<!-- example: RUNTIME -->` (node, deno, workerd or browser)
// and runs there unchanged. The only edit is the Publisher's endpoint,
// which points at a framecast-server started for the test instead of the
// default port. Browser examples run in headless Chromium (fake camera and
// microphone) with the README's own import map.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { installedApp } from './support/npm_pack.mjs';
import { BIN, COMPATIBILITY_DATE, denoEnv, workerdFetch } from './support/edge_runtimes.mjs';
import { e2e } from './support/sources.mjs';
import { serveStatic } from '../../www/static.mjs';
import { startStreamServer } from '../../www/stream_server.mjs';
import { FAKE_MEDIA_ARGS, launchChromium, openPage } from '../bench/browser.mjs';

/** The endpoint the README's Publisher example names. */
const README_ENDPOINT = 'http://127.0.0.1:8787';

let work, app, readme;

before(() => {
  ({ work, app } = installedApp('framecast-readme-'));
  readme = readFileSync(join(app, 'node_modules/framecast/README.md'), 'utf8');
  // The transcoding example reads song.mp3: 3 s of a tone, by LAME through ffmpeg.
  execFileSync('ffmpeg', ['-v', 'error', '-y', '-f', 'lavfi', '-i', 'sine=frequency=440:sample_rate=44100:duration=3',
    '-ac', '2', '-c:a', 'libmp3lame', '-b:a', '128k', join(app, 'song.mp3')]);
});

after(() => rmSync(work, { recursive: true, force: true }));

/** Every ```js block with the runtime its tag names; a block without a tag fails. */
function examples() {
  const out = [];
  const re = /(?:<!-- example: (\w+) -->\n)?```js\n([\s\S]*?)```/g;
  for (const m of readme.matchAll(re)) {
    assert.ok(m[1], `a README js block has no <!-- example: RUNTIME --> tag:\n${m[2]}`);
    out.push({ runtime: m[1], code: m[2], name: `example-${out.length + 1}` });
  }
  return out;
}

test('every README example has a runtime the tests know', () => {
  const all = examples();
  assert.ok(all.length >= 6, `${all.length} examples`);
  for (const e of all) assert.ok(['node', 'deno', 'workerd', 'browser'].includes(e.runtime), `${e.name}: ${e.runtime}`);
  for (const runtime of ['node', 'deno', 'workerd', 'browser']) assert.ok(all.some((e) => e.runtime === runtime), runtime);
});

test('Node examples run', () => {
  for (const e of examples().filter((e) => e.runtime === 'node')) {
    writeFileSync(join(app, `${e.name}.mjs`), e.code);
    const out = execFileSync('node', [`${e.name}.mjs`], { cwd: app }).toString();
    assert.ok(out.length > 0, `${e.name} printed nothing`);
  }
  // What they say they write.
  for (const file of ['stream/init.mp4', 'stream/seg3.m4s', 'stream/video.m3u8', 'stream/manifest.mpd', 'song.m4a']) {
    assert.ok(existsSync(join(app, file)), file);
  }
  assert.match(readFileSync(join(app, 'stream/video.m3u8'), 'utf8'), /seg3\.m4s\n#EXT-X-ENDLIST\n$/);
});

test('Deno examples run with no permissions', () => {
  for (const e of examples().filter((e) => e.runtime === 'deno')) {
    writeFileSync(join(app, `${e.name}.mjs`), e.code);
    const out = execFileSync(`${BIN}/deno`, ['run', '--no-prompt', '--quiet', `${e.name}.mjs`], {
      cwd: app,
      env: denoEnv(work),
    }).toString();
    assert.match(out, /^wasm/, e.name);
  }
});

test('workerd examples answer their fetch', async () => {
  for (const e of examples().filter((e) => e.runtime === 'workerd')) {
    writeFileSync(join(app, `${e.name}.mjs`), e.code);
    writeFileSync(join(app, `${e.name}.json`), JSON.stringify({ name: e.name, main: `${e.name}.mjs`, compatibility_date: COMPATIBILITY_DATE }));
    const { status, text } = await workerdFetch(app, [`${e.name}.json`, '-s', 'http=127.0.0.1:0']);
    assert.equal(status, 200, `${e.name}: ${text}`);
    assert.equal(JSON.parse(text).type, 'key', e.name);
  }
});

test('browser examples run in headless Chromium with the README import map', async () => {
  const importMap = /```html\n([\s\S]*?<script type="importmap">[\s\S]*?<\/script>)\n```/.exec(readme)?.[1];
  assert.ok(importMap, 'the README shows the import map');
  mkdirSync(e2e, { recursive: true });
  const dataDir = mkdtempSync(join(e2e, 'readme-'));
  const streams = await startStreamServer({ dataDir });
  const pages = createServer((req, res) => {
    if (!serveStatic(req, res, { '/': app }, { cache: 'no-store' })) res.writeHead(404).end('not found');
  });
  await new Promise((resolve) => pages.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${pages.address().port}`;
  writeFileSync(join(app, 'index.html'), '<!doctype html><meta charset="utf-8"><title>framecast README</title>');
  const browser = await launchChromium({ args: FAKE_MEDIA_ARGS });
  try {
    for (const e of examples().filter((e) => e.runtime === 'browser')) {
      writeFileSync(join(app, `${e.name}.mjs`), e.code.replaceAll(README_ENDPOINT, streams.origin));
      writeFileSync(join(app, `${e.name}.html`), `<!doctype html><meta charset="utf-8">
${importMap}
<script type="module">
  import('./${e.name}.mjs').then(() => { window.exampleDone = 'ok'; }, (err) => { window.exampleDone = String(err?.stack ?? err); });
</script>`);
      const page = await openPage(browser, origin, { allow: [streams.origin] });
      try {
        await page.page.goto(`${origin}/${e.name}.html`);
        await page.page.waitForFunction(() => window.exampleDone, null, { timeout: 60_000 });
        assert.equal(await page.page.evaluate(() => window.exampleDone), 'ok', e.name);
        assert.deepEqual(page.errors, [], `${e.name}: console errors`);
      } finally {
        await page.close();
      }
      if (e.code.includes(README_ENDPOINT)) {
        // The Publisher example published 4 s of 1 s fragments to the server, and ended the stream.
        const res = await fetch(`${streams.origin}/streams/cam`);
        assert.equal(res.status, 200, 'GET /streams/cam');
        const info = await res.json();
        assert.equal(info.ended, true, JSON.stringify(info));
        const video = info.tracks.find((t) => t.kind === 'video');
        assert.ok(video?.fragments >= 3, JSON.stringify(info));
        const playlist = await (await fetch(`${streams.origin}${info.playback.hls}`)).text();
        assert.match(playlist, /^#EXTM3U/, playlist);
      }
    }
  } finally {
    await browser.close();
    await streams.stop();
    pages.closeAllConnections();
    pages.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
});
