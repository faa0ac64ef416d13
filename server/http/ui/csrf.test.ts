// isSameOrigin against real requests to a real koa app, so ctx.protocol / ctx.host are koa's own
// (including its X-Forwarded-Proto handling when the app trusts a proxy).
import test, { type ExecutionContext } from 'ava';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { isSameOrigin } from './csrf.ts';

interface Probe {
  port: number;
  /** What isSameOrigin says about a request with these headers. */
  check(headers: Record<string, string>): Promise<boolean>;
}

async function probe(t: ExecutionContext, proxy = false): Promise<Probe> {
  const app = new Koa({ proxy });
  app.use((ctx) => {
    ctx.body = isSameOrigin(ctx) ? 'same' : 'cross';
  });
  const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    check: (headers) =>
      new Promise((resolve, reject) => {
        const req = http.request({ host: '127.0.0.1', port, method: 'POST', path: '/', headers, agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve(body === 'same'));
          res.on('error', reject);
        });
        req.on('error', reject);
        req.end();
      }),
  };
}

test('same origin is accepted, with the default port implied or spelt out', async (t) => {
  const p = await probe(t);
  t.true(await p.check({ host: `127.0.0.1:${p.port}`, origin: `http://127.0.0.1:${p.port}` }));
  t.true(await p.check({ host: `Example.TEST:${p.port}`, origin: `http://example.test:${p.port}` }), 'host case');
  t.true(await p.check({ host: 'example.test', origin: 'http://example.test:80' }), 'default port');
  t.true(await p.check({ host: 'example.test:80', origin: 'http://example.test' }), 'default port in Host');
});

test('another scheme is refused (https page posting to an http server)', async (t) => {
  const p = await probe(t);
  t.false(await p.check({ host: `127.0.0.1:${p.port}`, origin: `https://127.0.0.1:${p.port}` }));
  t.false(await p.check({ host: 'example.test', origin: 'https://example.test' }));
});

test('another port is refused', async (t) => {
  const p = await probe(t);
  t.false(await p.check({ host: `127.0.0.1:${p.port}`, origin: `http://127.0.0.1:${p.port + 1}` }));
  t.false(await p.check({ host: 'example.test', origin: 'http://example.test:8080' }));
});

test('another host is refused', async (t) => {
  const p = await probe(t);
  t.false(await p.check({ host: `127.0.0.1:${p.port}`, origin: `http://evil.test:${p.port}` }));
  t.false(await p.check({ host: 'example.test', origin: 'http://example.test.evil.test' }));
});

test('null, opaque and unparsable origins are refused', async (t) => {
  const p = await probe(t);
  const host = `127.0.0.1:${p.port}`;
  for (const origin of ['null', 'file://', 'data:text/html,x', 'not a url', 'http://']) {
    t.false(await p.check({ host, origin }), origin);
  }
});

test('without Origin, Sec-Fetch-Site decides: same-origin and none pass, cross-site and same-site do not', async (t) => {
  const p = await probe(t);
  const host = `127.0.0.1:${p.port}`;
  t.true(await p.check({ host, 'sec-fetch-site': 'same-origin' }));
  t.true(await p.check({ host, 'sec-fetch-site': 'none' }));
  t.false(await p.check({ host, 'sec-fetch-site': 'cross-site' }));
  t.false(await p.check({ host, 'sec-fetch-site': 'same-site' }));
  // A cross-site fetch is refused even when it names our origin.
  t.false(await p.check({ host, origin: `http://${host}`, 'sec-fetch-site': 'cross-site' }));
  // Neither header (old browsers, curl): left to the CSRF token.
  t.true(await p.check({ host }));
});

test('behind a trusted proxy, X-Forwarded-Proto is our scheme; without trust it is ignored', async (t) => {
  const trusted = await probe(t, true);
  t.true(await trusted.check({ host: 'example.test', 'x-forwarded-proto': 'https', origin: 'https://example.test' }));
  t.false(await trusted.check({ host: 'example.test', 'x-forwarded-proto': 'https', origin: 'http://example.test' }));
  const direct = await probe(t, false);
  t.false(await direct.check({ host: 'example.test', 'x-forwarded-proto': 'https', origin: 'https://example.test' }));
  t.true(await direct.check({ host: 'example.test', 'x-forwarded-proto': 'https', origin: 'http://example.test' }));
});
