// Serves the demo: www/ at / and the built npm package (pkg/) at /pkg/.
//   node www/serve.mjs            (PORT=8080 HOST=127.0.0.1 by default)
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './static.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const mounts = { '/pkg/': `${here}../pkg`, '/': here };
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);

createServer((req, res) => {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { Allow: 'GET, HEAD' }).end('method not allowed');
    return;
  }
  if (!serveStatic(req, res, mounts)) res.writeHead(404).end('not found');
}).listen(port, host, () => {
  console.log(`framecast demo: http://${host}:${port}/  (Ctrl-C to stop)`);
});
