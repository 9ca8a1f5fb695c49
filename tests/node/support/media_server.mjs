// A local HTTP origin for player tests: static files (www/static.mjs) plus
// what a live/LL-HLS origin does that plain file serving cannot:
// - blocking playlist reload: a request with _HLS_msn/_HLS_part is held
//   until the playlist on disk lists that part (or the segment after it);
// - a preload-hinted part that is not written yet is held until it is.
import { createServer } from 'node:http';
import { existsSync, readFileSync } from 'node:fs';
import { resolveMount, serveStatic } from '../../../www/static.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function playlistHas(file, msn, part) {
  let text;
  try { text = readFileSync(file, 'utf8'); } catch { return false; }
  if (text.includes('#EXT-X-ENDLIST')) return true;
  const has = (s) => text.includes(`/${s}"`) || text.includes(`/${s}\n`);
  if (part === null) return has(`${msn}.m4s`) || has(`${msn + 1}.0.m4s`);
  return has(`${msn}.${part}.m4s`) || has(`${msn}.m4s`) || has(`${msn + 1}.0.m4s`);
}

export function startMediaServer(mounts, { holdMs = 6000 } = {}) {
  const server = createServer(async (req, res) => {
    const url = new URL(req.url, 'http://localhost');
    const file = resolveMount(mounts, url.pathname);
    if (file && url.searchParams.has('_HLS_msn')) {
      const msn = Number(url.searchParams.get('_HLS_msn'));
      const part = url.searchParams.has('_HLS_part') ? Number(url.searchParams.get('_HLS_part')) : null;
      if (!Number.isInteger(msn) || msn < 0 || (part !== null && (!Number.isInteger(part) || part < 0))) {
        res.writeHead(400, { 'Access-Control-Allow-Origin': '*' }).end('bad _HLS_msn/_HLS_part');
        return;
      }
      const deadline = Date.now() + holdMs;
      while (!playlistHas(file, msn, part) && Date.now() < deadline) await sleep(20);
    } else if (file && /\.m4s$/.test(file) && !existsSync(file)) {
      const deadline = Date.now() + holdMs;
      while (!existsSync(file) && Date.now() < deadline) await sleep(20);
    }
    if (!serveStatic(req, res, mounts, { cache: 'no-cache' })) res.writeHead(404).end('not found');
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve({ server, origin: `http://127.0.0.1:${server.address().port}` }));
  });
}
