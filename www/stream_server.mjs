// Starts framecast-server (the reference stream server, built by
// `make native` into target/ci, or `cargo build --release -p
// framecast-server`) as a child process and waits until it listens. Shared
// by the demo (www/serve.mjs), the e2e tests and the publish benchmark.
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** The server binary: in FRAMECAST_NATIVE_DIR (which `make` sets), else target/release. */
export const SERVER_BIN = process.env.FRAMECAST_NATIVE_DIR
  ? `${process.env.FRAMECAST_NATIVE_DIR}/framecast-server`
  : fileURLToPath(new URL('../target/release/framecast-server', import.meta.url));

/**
 * Runs the server on `dataDir`. `port` 0 picks a free port. Resolves
 * `{ origin, port, child, logs, stop(signal), exited }` once the
 * `listening` log line names the address. `logs` collects parsed log lines.
 */
export function startStreamServer({ dataDir, port = 0, host = '127.0.0.1', args = [], echo = false } = {}) {
  if (!existsSync(SERVER_BIN)) {
    throw new Error(`${SERVER_BIN} is missing: run \`make native\` (or \`cargo build --release -p framecast-server\`)`);
  }
  mkdirSync(dataDir, { recursive: true });
  const child = spawn(SERVER_BIN, ['--data', dataDir, '--listen', `${host}:${port}`, '--auto-create', ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const logs = [];
  const exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  return new Promise((resolve, reject) => {
    let pending = '';
    const timer = setTimeout(() => reject(new Error('framecast-server did not start within 20 s')), 20000);
    child.once('error', reject);
    exited.then(({ code, signal }) => reject(new Error(`framecast-server exited (${code ?? signal}) before listening`)));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk) => {
      pending += chunk;
      let nl;
      while ((nl = pending.indexOf('\n')) >= 0) {
        const line = pending.slice(0, nl);
        pending = pending.slice(nl + 1);
        if (echo) process.stderr.write(`${line}\n`);
        let entry;
        try {
          entry = JSON.parse(line);
        } catch {
          continue;
        }
        logs.push(entry);
        if (entry.msg === 'listening') {
          clearTimeout(timer);
          const addr = entry.addr;
          const actualPort = Number(addr.slice(addr.lastIndexOf(':') + 1));
          resolve({
            origin: `http://${host}:${actualPort}`,
            port: actualPort,
            child,
            logs,
            exited,
            stop(signal = 'SIGTERM') {
              if (child.exitCode === null && child.signalCode === null) child.kill(signal);
              return exited;
            },
          });
        }
      }
    });
  });
}
