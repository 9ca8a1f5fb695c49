// Deno and workerd, installed from npm into tests/node_modules: how the
// runtime tests start them against an app folder.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { root } from './sources.mjs';

export const BIN = `${root}tests/node_modules/.bin`;
/** A workerd compatibility date; must not be newer than the workerd build (2026-11-23). */
export const COMPATIBILITY_DATE = '2026-11-01';

/** Environment for `deno run` in a test: its cache under `work`, no update check, no colours. */
export function denoEnv(work) {
  return { ...process.env, DENO_DIR: join(work, 'deno-dir'), DENO_NO_UPDATE_CHECK: '1', NO_COLOR: '1' };
}

/**
 * Starts `workerd serve <args>` in `app` on a free port, sends one request
 * (`init` as for fetch) and stops it. Resolves `{ status, text }`.
 */
export async function workerdFetch(app, args, init = {}) {
  const child = spawn(`${BIN}/workerd`, ['serve', ...args, '--control-fd', '3'], {
    cwd: app,
    // workerd bundles a wrangler.json's `main` with esbuild from PATH.
    env: { ...process.env, PATH: `${BIN}:${process.env.PATH}` },
    stdio: ['ignore', 'inherit', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  try {
    const port = await new Promise((resolve, reject) => {
      let control = '';
      const timer = setTimeout(() => reject(new Error(`workerd did not listen within 60 s: ${stderr}`)), 60_000);
      child.once('exit', (code) => reject(new Error(`workerd exited (${code}): ${stderr}`)));
      child.stdio[3].on('data', (d) => {
        control += d;
        const m = /"event":"listen","socket":"http","port":(\d+)/.exec(control);
        if (m) {
          clearTimeout(timer);
          resolve(Number(m[1]));
        }
      });
    });
    const res = await fetch(`http://127.0.0.1:${port}/`, init);
    const text = await res.text();
    return { status: res.status, text: res.status === 200 ? text : `${text}\n${stderr}` };
  } finally {
    child.kill();
  }
}
