// The npm package as users receive it: `npm pack` the assembled package
// (pkg/) and install the tarball into an app, offline (the tarball is the
// only thing installed).
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { root } from './sources.mjs';

/** Packs pkg/ into `dir` (an empty folder); returns the tarball's path. */
export function packPackage(dir) {
  execFileSync('npm', ['pack', '--silent', '--pack-destination', dir, `${root}pkg`], { stdio: ['ignore', 'pipe', 'inherit'] });
  const tarball = readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tarball) throw new Error(`npm pack wrote no tarball into ${dir}`);
  return join(dir, tarball);
}

/** Installs `tarball` into the app folder `app` (which has a package.json). */
export function installTarball(app, tarball) {
  execFileSync('npm', ['install', '--offline', '--no-audit', '--no-fund', '--silent', tarball], { cwd: app, stdio: 'inherit' });
}

/**
 * A temporary folder (`work`, for the caller to remove) holding the packed
 * package and an app (`app`, an ES module package) with it installed.
 */
export function installedApp(prefix) {
  const work = mkdtempSync(join(tmpdir(), prefix));
  const tarball = packPackage(work);
  const app = join(work, 'app');
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'), JSON.stringify({ name: 'app', private: true, type: 'module' }));
  installTarball(app, tarball);
  return { work, app };
}
