// Assembles the npm package from wasm-pack output and the templates here:
//   node pkg-templates/assemble.mjs <wasm-pack out root> <package dir>
// The package ships a wasm module per entry point (the root, publisher, mux,
// transcode: cargo feature sets, see the Makefile) and the publisher's two
// on-demand audio encoders, each as a `web` build
// (ES module, loads the .wasm with fetch; also what bundlers use) and
// (except the publisher's) a `node` build (CommonJS, reads the .wasm from
// disk), plus small per-runtime entry files that initialise the web build
// (Deno, workerd) or add `init`/`initSync` to the Node build.
// package.json `exports` picks one per environment.
//
// The Makefile runs wasm-opt for the web build only (`--no-opt` for Node):
// wasm-bindgen writes the same .wasm for both targets, so the Node build
// gets the web build's optimised file, once its exports and imports are
// checked to be what the Node glue was generated for.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { wireGlue, writeErrorModules } from './errors-embed.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const [src, dst] = process.argv.slice(2);
if (!src || !dst) {
  console.error('usage: assemble.mjs <wasm-pack out root> <package dir>');
  process.exit(2);
}
const cargo = readFileSync(join(here, '..', 'Cargo.toml'), 'utf8');
const version = /^version\s*=\s*"([^"]+)"/m.exec(cargo)[1];

rmSync(dst, { recursive: true, force: true });
mkdirSync(dst, { recursive: true });

/**
 * Copies one wasm build, `<src>/<web>` and (optional) `<src>/<node>`, into
 * the package under the same names; the Node build gets the web build's
 * optimised .wasm once its exports and imports are checked to be what the
 * Node glue was generated for. Every glue is wired to the one error module.
 */
function copyBuild(web, node) {
  for (const dir of [web, node].filter(Boolean)) {
    cpSync(join(src, dir), join(dst, dir), {
      recursive: true,
      filter: (p) => !/(\.gitignore|package\.json|README\.md)$/.test(p),
    });
  }
  wireGlue(join(dst, web), 'framecast', 'web');
  if (!node) return;
  // The Node glue was generated for the unoptimised .wasm in node/: the
  // optimised one must export the same names and import nothing else.
  const wasmOf = (dir) => new WebAssembly.Module(readFileSync(join(src, dir, 'framecast_bg.wasm')));
  const names = (list) => list.map((e) => `${e.module ?? ''}/${e.name}:${e.kind}`).sort();
  const [w, n] = [wasmOf(web), wasmOf(node)];
  if (names(WebAssembly.Module.exports(w)).join() !== names(WebAssembly.Module.exports(n)).join()) {
    throw new Error(`${web} and ${node} export different names: build both from the same cargo output`);
  }
  const nodeImports = new Set(names(WebAssembly.Module.imports(n)));
  const extra = names(WebAssembly.Module.imports(w)).filter((i) => !nodeImports.has(i));
  if (extra.length > 0) throw new Error(`${web} imports what the Node glue in ${node} does not provide: ${extra.join(', ')}`);
  cpSync(join(src, web, 'framecast_bg.wasm'), join(dst, node, 'framecast_bg.wasm'));
  // wasm-pack's nodejs output is CommonJS; the package root is "type": "module".
  writeFileSync(join(dst, node, 'package.json'), '{ "type": "commonjs" }\n');
  // The initialisation API of the web build, so that one way to initialise
  // works in every runtime. The Node build instantiates the module when
  // loaded, so both only return the instance's exports (memory included).
  const glue = join(dst, node, 'framecast.js');
  writeFileSync(glue, `${readFileSync(glue, 'utf8')}
// Added by framecast's assemble.mjs: the module is already initialised.
module.exports.initSync = function initSync() { return wasm; };
module.exports.default = function init() { return Promise.resolve(wasm); };
`);
  const types = join(dst, node, 'framecast.d.ts');
  writeFileSync(types, `${readFileSync(types, 'utf8')}
/** The wasm instance's exports. The Node build is initialised when loaded; this does nothing more. */
export function initSync(module?: unknown): { readonly memory: WebAssembly.Memory };
/** Resolves to the wasm instance's exports. The Node build is initialised when loaded; this does nothing more. */
export default function init(module_or_path?: unknown): Promise<{ readonly memory: WebAssembly.Memory }>;
`);
  wireGlue(join(dst, node), 'framecast', 'node');
  // The Node build's `import` entry (package.json "node" condition).
  cpSync(join(here, 'framecast-node.mjs'), join(dst, node, 'framecast.mjs'));
}

// The root module (`framecast`: every class) and the entry points' own
// modules (cargo features, see the Makefile): the publisher's runs in a
// browser Worker only, as do its audio encoders (AAC, Opus), which the
// Worker loads on demand; mux and transcode run wherever the root does.
copyBuild('web', 'node');
for (const dir of ['web-publisher', 'web-publisher-aac', 'web-publisher-opus']) copyBuild(dir);
for (const entry of ['mux', 'transcode']) copyBuild(`web-${entry}`, `node-${entry}`);
// Deno and workerd entry files: each instantiates its build's web module
// (package.json `exports` conditions "deno" and "workerd").
for (const [entry, web] of [['framecast', 'web'], ['mux', 'web-mux'], ['transcode', 'web-transcode']]) {
  for (const runtime of ['deno', 'workerd']) {
    const text = readFileSync(join(here, `framecast-${runtime}.js`), 'utf8').replaceAll("'../web/", `'../${web}/`);
    mkdirSync(join(dst, runtime), { recursive: true });
    writeFileSync(join(dst, runtime, `${entry}.js`), text);
  }
}
for (const file of ['README.md', 'NOTICE', 'publisher.js', 'publisher.d.ts', 'publisher-worker.js', 'publisher-protocol.js', 'audio-capture-worklet.js', 'transcode.js', 'transcode.d.ts']) {
  cpSync(join(here, file), join(dst, file));
}
// One error class for every entry point and module: errors.js (+ .cjs,
// .d.ts), which copyBuild wired into each build's glue.
writeErrorModules(dst);
// FDK AAC's licence must travel with every copy of the encoder: copied
// from the fdk-aac-sys package cargo downloaded (never committed here).
const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--offline'], { cwd: join(here, '..'), encoding: 'utf8', maxBuffer: 64 << 20 }));
const fdk = metadata.packages.find((p) => p.name === 'fdk-aac-sys');
if (!fdk) throw new Error('fdk-aac-sys is not in cargo metadata; run cargo fetch');
cpSync(join(dirname(fdk.manifest_path), 'aac', 'NOTICE'), join(dst, 'FDK-AAC-NOTICE'));
// OpenH264's BSD-2-Clause text must travel with binaries too; it ships in
// the openh264-sys2 package's copy of the upstream sources.
const openh264 = metadata.packages.find((p) => p.name === 'openh264-sys2');
if (!openh264) throw new Error('openh264-sys2 is not in cargo metadata; run cargo fetch');
cpSync(join(dirname(openh264.manifest_path), 'upstream', 'LICENSE'), join(dst, 'OPENH264-LICENSE'));
// package.json last: the Makefile takes it as the sign of a whole package.
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
pkg.version = version;
writeFileSync(join(dst, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
console.log(`assembled ${dst} (framecast ${version})`);
