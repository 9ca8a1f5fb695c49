// The package's TypeScript declarations as users compile against them:
// `npm pack`, install the tarball into a fresh app, then `tsc --noEmit
// --strict` over a typed usage file per entry point (tests/node/types/:
// `framecast`, `framecast/mux`, `framecast/publisher`, `framecast/transcode`), once with
// the DOM lib only and once with the newest lib. The usage files construct,
// call, read results and narrow errors; their @ts-expect-error lines fail
// the compile if a type loosens to `any`. The worker protocol module is
// checked from its JSDoc (checkJs).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { installTarball, packPackage } from './support/npm_pack.mjs';
import { root } from './support/sources.mjs';

const TSC = `${root}tests/node_modules/.bin/tsc`;

/** `lib` settings: what a DOM-only app has, and the newest TypeScript knows. */
const LIBS = {
  dom: ['ES2022', 'DOM'],
  newest: ['ESNext', 'DOM', 'DOM.Iterable', 'ESNext.Disposable'],
};

const COMMON = {
  strict: true,
  noEmit: true,
  target: 'ES2022',
  module: 'ESNext',
  moduleResolution: 'Bundler',
  skipLibCheck: false,
  noUnusedLocals: false,
  types: [],
};

/** Runs tsc on `project`; fails the test with tsc's output if it reports anything. */
function tsc(project, label) {
  const r = spawnSync(TSC, ['-p', project, '--pretty', 'false'], { encoding: 'utf8' });
  assert.equal(r.status, 0, `tsc (${label}) reported:\n${r.stdout}${r.stderr}`);
}

test('tsc --strict accepts the packed package and typed use of every entry point, with the DOM lib and the newest lib', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'framecast-types-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const app = join(work, 'app');
  mkdirSync(join(app, 'src'), { recursive: true });
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  installTarball(app, packPackage(work));
  const usage = readdirSync(`${root}tests/node/types`).filter((f) => f.endsWith('.ts'));
  assert.deepEqual(usage.sort(), ['framecast.ts', 'mux.ts', 'publisher.ts', 'transcode.ts'], 'a usage file per entry point');
  for (const file of usage) cpSync(`${root}tests/node/types/${file}`, join(app, 'src', file));
  for (const [name, lib] of Object.entries(LIBS)) {
    const project = join(app, `tsconfig.${name}.json`);
    writeFileSync(project, JSON.stringify({ compilerOptions: { ...COMMON, lib }, include: ['src/*.ts'] }, null, 2));
    tsc(project, `lib ${lib.join(', ')}`);
  }
});

test('the publisher worker protocol type-checks from its JSDoc (checkJs, strict)', (t) => {
  const work = mkdtempSync(join(tmpdir(), 'framecast-protocol-'));
  t.after(() => rmSync(work, { recursive: true, force: true }));
  const project = join(work, 'tsconfig.json');
  writeFileSync(project, JSON.stringify({
    compilerOptions: { ...COMMON, lib: LIBS.dom, allowJs: true, checkJs: true },
    files: [`${root}pkg-templates/publisher-protocol.js`],
  }, null, 2));
  tsc(project, 'publisher-protocol.js');
});
