// Serves the demo: www/ at / and the built npm package (pkg/) at /pkg/.
//   node www/serve.mjs            (PORT=8080 HOST=127.0.0.1 by default)
import { createServer } from 'node:http';
import { createReadStream, statSync } from 'node:fs';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = fileURLToPath(new URL('.', import.meta.url));
const roots = { '/pkg/': resolve(here, '..', 'pkg'), '/': resolve(here) };
const types = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.ts': 'text/plain' };
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);

const server = createServer((req, res) => {
  const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
  const prefix = Object.keys(roots).find((p) => path.startsWith(p));
  const base = roots[prefix];
  const file = normalize(join(base, path.slice(prefix.length) || 'index.html'));
  if (!file.startsWith(base + sep) && file !== base) {
    res.writeHead(403).end('forbidden');
    return;
  }
  let st;
  try { st = statSync(file); } catch { res.writeHead(404).end('not found'); return; }
  if (st.isDirectory()) { res.writeHead(302, { Location: path.replace(/\/?$/, '/') + 'index.html' }).end(); return; }
  res.writeHead(200, { 'Content-Type': types[extname(file)] || 'application/octet-stream',
    'Content-Length': st.size, 'Cache-Control': 'no-cache' });
  createReadStream(file).pipe(res);
});
server.listen(port, host, () => {
  console.log(`framecast demo: http://${host}:${port}/  (Ctrl-C to stop)`);
});
