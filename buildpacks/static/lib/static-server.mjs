// Scalarium's static file server: dependency-free, copied by the static buildpack into
// BUILD_DIR/.scalarium/static-server.mjs and started as `node .scalarium/static-server.mjs`.
//
// - listens on $PORT (default 5000), on all interfaces
// - serves the app's public/ directory when there is one, else the app root
// - index.html for directories (redirecting `/dir` to `/dir/`), 404.html for misses when present
// - GET and HEAD only; dotfiles (.git, .env, .scalarium…) are never served, except .well-known/
// - refuses path traversal: the path is resolved and must stay under the root (also after symlinks)
// - SIGTERM/SIGINT: stop accepting, finish in-flight requests, exit 0

import { createReadStream } from 'node:fs';
import { realpath, stat } from 'node:fs/promises';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const APP_DIR = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const PORT = Number(process.env.PORT) || 5000;
const SHUTDOWN_TIMEOUT_MS = 10_000;

const TYPES = {
  '.html': 'text/html; charset=utf-8',
  '.htm': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.csv': 'text/csv; charset=utf-8',
  '.xml': 'application/xml; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.avif': 'image/avif',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.pdf': 'application/pdf',
  '.wasm': 'application/wasm',
  '.zip': 'application/zip',
  '.mp3': 'audio/mpeg',
  '.wav': 'audio/wav',
  '.ogg': 'audio/ogg',
  '.mp4': 'video/mp4',
  '.webm': 'video/webm',
};

async function isDirectory(p) {
  try {
    return (await stat(p)).isDirectory();
  } catch {
    return false;
  }
}

const ROOT = await realpath((await isDirectory(path.join(APP_DIR, 'public'))) ? path.join(APP_DIR, 'public') : APP_DIR);

const within = (p) => p === ROOT || p.startsWith(ROOT + path.sep);

function send(req, res, status, text, headers = {}) {
  const body = Buffer.from(text ? `${text}\n` : '');
  res.writeHead(status, {
    'Content-Type': 'text/plain; charset=utf-8',
    'Content-Length': body.length,
    'X-Content-Type-Options': 'nosniff',
    ...headers,
  });
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Streams a file; `info` is its stat. */
function sendFile(req, res, file, info, status = 200) {
  res.writeHead(status, {
    'Content-Type': TYPES[path.extname(file).toLowerCase()] ?? 'application/octet-stream',
    'Content-Length': info.size,
    'Last-Modified': info.mtime.toUTCString(),
    'X-Content-Type-Options': 'nosniff',
  });
  if (req.method === 'HEAD') {
    res.end();
    return;
  }
  const stream = createReadStream(file);
  stream.on('error', () => res.destroy());
  stream.pipe(res);
}

/** Resolves an existing regular file under ROOT (following symlinks), or null. */
async function findFile(candidate) {
  try {
    const real = await realpath(candidate);
    if (!within(real)) return null;
    const info = await stat(real);
    return info.isFile() ? { file: real, info } : null;
  } catch {
    return null;
  }
}

async function notFound(req, res) {
  const page = await findFile(path.join(ROOT, '404.html'));
  if (page) sendFile(req, res, page.file, page.info, 404);
  else send(req, res, 404, 'Not Found');
}

async function handle(req, res) {
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    send(req, res, 405, 'Method Not Allowed', { Allow: 'GET, HEAD' });
    return;
  }
  // The raw request path, deliberately not normalised by URL parsing, so that `..` is seen here.
  const rawPath = (req.url ?? '/').split(/[?#]/, 1)[0];
  let pathname;
  try {
    pathname = decodeURIComponent(rawPath);
  } catch {
    send(req, res, 400, 'Bad Request');
    return;
  }
  if (!pathname.startsWith('/') || pathname.includes('\0')) {
    send(req, res, 400, 'Bad Request');
    return;
  }
  const target = path.resolve(ROOT, `.${pathname}`);
  if (!within(target)) {
    send(req, res, 403, 'Forbidden');
    return;
  }
  const relative = path.relative(ROOT, target);
  const hidden = (segment) => segment.startsWith('.') && segment !== '.well-known';
  if (relative.split(path.sep).some(hidden)) {
    await notFound(req, res);
    return;
  }
  if (await isDirectory(target)) {
    if (!pathname.endsWith('/')) {
      // One leading slash only, so that the Location can never be `//other-host/`.
      const location = `/${rawPath.replace(/^\/+/, '')}/${(req.url ?? '').slice(rawPath.length)}`;
      send(req, res, 301, 'Moved Permanently', { Location: location });
      return;
    }
    const index = await findFile(path.join(target, 'index.html'));
    if (index) sendFile(req, res, index.file, index.info);
    else await notFound(req, res);
    return;
  }
  const found = await findFile(target);
  if (found) sendFile(req, res, found.file, found.info);
  else await notFound(req, res);
}

const server = http.createServer((req, res) => {
  handle(req, res).catch((err) => {
    console.error(`static-server: ${req.method} ${req.url}: ${err?.stack ?? err}`);
    if (!res.headersSent) send(req, res, 500, 'Internal Server Error');
    else res.destroy();
  });
});

server.listen(PORT, () => {
  console.log(`static-server listening on port ${PORT}, serving ${ROOT}`);
});

function shutdown(signal) {
  console.log(`static-server: ${signal} received, shutting down`);
  server.close(() => process.exit(0));
  server.closeIdleConnections();
  setTimeout(() => process.exit(0), SHUTDOWN_TIMEOUT_MS).unref();
}
process.once('SIGTERM', () => shutdown('SIGTERM'));
process.once('SIGINT', () => shutdown('SIGINT'));
