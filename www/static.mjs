// Static file serving shared by the demo server (www/serve.mjs), the
// benchmark page server and the player tests: URL-prefix mounts, content
// types for web and streaming media, byte ranges (DASH on-demand reads the
// sidx and fragments by range), CORS, and no escaping from a mount.
import { createReadStream, statSync } from 'node:fs';
import { extname, resolve, sep } from 'node:path';

export const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.ts': 'text/plain',
  '.m3u8': 'application/vnd.apple.mpegurl',
  '.mpd': 'application/dash+xml',
  '.mp4': 'video/mp4',
  '.m4s': 'video/iso.segment',
  '.cmfv': 'video/mp4',
  '.cmfa': 'audio/mp4',
  '.h264': 'video/h264',
  '.yuv': 'application/octet-stream',
};

/**
 * Resolves `pathname` against `mounts` ({ '/prefix/': '/abs/dir' }, longest
 * prefix first). Returns the absolute file path, or null when nothing
 * matches or the path would leave the mounted folder.
 */
export function resolveMount(mounts, pathname) {
  const prefixes = Object.keys(mounts).sort((a, b) => b.length - a.length);
  const prefix = prefixes.find((p) => pathname.startsWith(p));
  if (prefix === undefined) return null;
  const root = resolve(mounts[prefix]);
  let rel;
  try { rel = decodeURIComponent(pathname.slice(prefix.length)); } catch { return null; }
  const file = resolve(root, rel || 'index.html');
  return file === root || file.startsWith(root + sep) ? file : null;
}

/**
 * Serves a GET/HEAD for a file under `mounts`. Returns false when the path
 * is not mounted (so the caller can handle it), true once answered.
 */
export function serveStatic(req, res, mounts, { cache = 'no-cache' } = {}) {
  const url = new URL(req.url, 'http://localhost');
  const file = resolveMount(mounts, url.pathname);
  if (file === null) return false;
  let st;
  try { st = statSync(file); } catch { st = null; }
  if (!st || !st.isFile()) {
    res.writeHead(404, { 'Content-Type': 'text/plain', 'Access-Control-Allow-Origin': '*' }).end('not found');
    return true;
  }
  const headers = {
    'Content-Type': TYPES[extname(file)] || 'application/octet-stream',
    'Cache-Control': cache,
    'Accept-Ranges': 'bytes',
    'Access-Control-Allow-Origin': '*',
    'Access-Control-Expose-Headers': 'Content-Length, Content-Range',
  };
  let start = 0, end = st.size - 1, status = 200;
  const range = /^bytes=(\d*)-(\d*)$/.exec(req.headers.range || '');
  if (range && (range[1] || range[2])) {
    if (range[1]) { start = Number(range[1]); end = range[2] ? Math.min(Number(range[2]), st.size - 1) : st.size - 1; }
    else { start = Math.max(0, st.size - Number(range[2])); }
    if (start > end || start >= st.size) {
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${st.size}` }).end();
      return true;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${st.size}`;
  }
  headers['Content-Length'] = end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || st.size === 0) res.end();
  else createReadStream(file, { start, end }).pipe(res);
  return true;
}
