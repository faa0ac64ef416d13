// The agent's slug downloads, against a real HTTP server on a port fetch() refuses (the "bad ports"
// browsers block, such as 5060 or 6000): a server may listen on one of them.
import test from 'ava';
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { SlugCache } from './slug-cache.ts';

const FETCH_BLOCKED = [5060, 5061, 6000, 6566, 6665, 6666, 6667, 6668, 6669, 6697, 10080];

async function listenOnABlockedPort(handler: http.RequestListener): Promise<http.Server> {
  for (const port of FETCH_BLOCKED) {
    const server = http.createServer(handler);
    const ok = await new Promise<boolean>((resolve) => {
      server.once('error', () => resolve(false));
      server.listen(port, '127.0.0.1', () => resolve(true));
    });
    if (ok) return server;
  }
  throw new Error('every port fetch blocks is taken here');
}

test('slugs download from a server on a port fetch() refuses; checksums and statuses are checked', async (t) => {
  const slug = crypto.randomBytes(64 * 1024);
  const sha = crypto.createHash('sha256').update(slug).digest('hex');
  const seen: Array<string | undefined> = [];
  const server = await listenOnABlockedPort((req, res) => {
    seen.push(req.headers.authorization);
    if (req.url === '/good') res.end(slug);
    else if (req.url === '/bad') res.end(Buffer.from('not the slug'));
    else res.writeHead(404).end();
  });
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await t.throwsAsync(fetch(`${base}/good`), undefined, 'fetch() itself refuses this port');

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-slugs-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const cache = new SlugCache(dir, () => ({ authorization: 'Bearer instance-token' }));
  const file = await cache.ensure(sha, `${base}/good`);
  t.deepEqual(fs.readFileSync(file), slug);
  t.is(seen[0], 'Bearer instance-token');

  const other = crypto.createHash('sha256').update('x').digest('hex');
  await t.throwsAsync(cache.ensure(other, `${base}/bad`), { message: 'slug download corrupted: checksum mismatch' });
  await t.throwsAsync(cache.ensure(other, `${base}/missing`), { message: 'slug download failed: HTTP 404' });
  t.deepEqual(fs.readdirSync(dir), [`${sha}.tgz`], 'nothing half-downloaded is left');
});
