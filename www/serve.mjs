// The demo: starts framecast-server (the reference stream server) and serves
// the demo page (www/), the npm package (pkg/) and hls.js.
//   node www/serve.mjs
// PORT (8080) and HOST (127.0.0.1) place the page; STREAM_PORT (8787) the
// stream server; DEMO_DATA (target/demo-data) is where streams are stored.
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { serveStatic } from './static.mjs';
import { startStreamServer } from './stream_server.mjs';

const here = fileURLToPath(new URL('.', import.meta.url));
const root = `${here}../`;
const host = process.env.HOST || '127.0.0.1';
const port = Number(process.env.PORT || 8080);
const streamPort = Number(process.env.STREAM_PORT ?? 8787);
const dataDir = process.env.DEMO_DATA || `${root}target/demo-data`;

/** Serves the demo files; the stream server is at `endpoint`. Resolves the page origin. */
export function serveDemo({ endpoint, host = '127.0.0.1', port = 0 }) {
  const mounts = { '/pkg/': `${root}pkg`, '/vendor/': `${root}tests/node_modules/hls.js/dist`, '/': here };
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { Allow: 'GET, HEAD' }).end('method not allowed');
      return;
    }
    const path = new URL(req.url, 'http://localhost').pathname;
    if (path === '/config.json') {
      res.writeHead(200, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }).end(JSON.stringify({ endpoint }));
      return;
    }
    if (!serveStatic(req, res, mounts)) res.writeHead(404).end('not found');
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve({ origin: `http://${host}:${server.address().port}`, server }));
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const streams = await startStreamServer({ dataDir, port: streamPort, echo: false });
  const { origin } = await serveDemo({ endpoint: streams.origin, host, port });
  console.log(`framecast stream server: ${streams.origin} (data in ${dataDir})`);
  console.log(`framecast demo: ${origin}/  (Ctrl-C to stop)`);
  const shutdown = async () => {
    await streams.stop('SIGTERM');
    process.exit(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);
  streams.exited.then(({ code, signal }) => {
    console.error(`framecast-server stopped (${code ?? signal})`);
    process.exit(1);
  });
}
