// Assembles the npm package from wasm-pack output and the templates here:
//   node pkg-templates/assemble.mjs <wasm-pack out root> <package dir>
// The package ships two builds of the same wasm: `web` (ES module, loads the
// .wasm with fetch; also what bundlers use) and `node` (CommonJS, reads the
// .wasm from disk). package.json `exports` picks one per environment.
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
for (const flavour of ['web', 'node']) {
  cpSync(join(src, flavour), join(dst, flavour), {
    recursive: true,
    filter: (p) => !/(\.gitignore|package\.json|README\.md)$/.test(p),
  });
}
// wasm-pack's nodejs output is CommonJS; the package root is "type": "module".
writeFileSync(join(dst, 'node', 'package.json'), '{ "type": "commonjs" }\n');
const pkg = JSON.parse(readFileSync(join(here, 'package.json'), 'utf8'));
pkg.version = version;
writeFileSync(join(dst, 'package.json'), JSON.stringify(pkg, null, 2) + '\n');
for (const file of ['README.md', 'publisher.js', 'publisher.d.ts', 'publisher-worker.js', 'publisher-protocol.js', 'audio-capture-worklet.js', 'transcode.js', 'transcode.d.ts']) {
  cpSync(join(here, file), join(dst, file));
}
// One error class for every entry point: errors.js (+ .cjs, .d.ts), wired
// into each build's glue.
writeErrorModules(dst);
for (const flavour of ['web', 'node']) wireGlue(join(dst, flavour), 'framecast', flavour);
// FDK AAC's licence must travel with every copy of the encoder: copied
// from the fdk-aac-sys package cargo downloaded (never committed here).
const metadata = JSON.parse(execFileSync('cargo', ['metadata', '--format-version', '1', '--offline'], { cwd: join(here, '..'), encoding: 'utf8', maxBuffer: 64 << 20 }));
const fdk = metadata.packages.find((p) => p.name === 'fdk-aac-sys');
if (!fdk) throw new Error('fdk-aac-sys is not in cargo metadata; run cargo fetch');
cpSync(join(dirname(fdk.manifest_path), 'aac', 'NOTICE'), join(dst, 'FDK-AAC-NOTICE'));
console.log(`assembled ${dst} (framecast ${version})`);
