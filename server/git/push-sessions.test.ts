// The push hook token is single use: the pre-receive hook calls back once per push, and nothing
// that learns SCALARIUM_HOOK_TOKEN during the push (a build, a process it starts) can call again.
import test from 'ava';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import Koa from 'koa';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Scalarium } from '../core/scalarium.ts';
import { insertApp } from '../db/apps.ts';
import type { Principal } from '../db/identity.ts';
import { ensureCluster } from '../db/instances.ts';
import { openDatabase } from '../db/knex.ts';
import { PushSessions } from './push-sessions.ts';
import { preReceiveHandler } from './receive.ts';

const principal = { user: { name: 'alice' } } as unknown as Principal;

test('take() consumes the session: a second take of the same token finds nothing', (t) => {
  const sessions = new PushSessions();
  const token = sessions.open({ app: 'shop', principal, source: '127.0.0.1' });
  t.like(sessions.take(token), { app: 'shop', source: '127.0.0.1' });
  t.is(sessions.take(token), undefined);
  t.is(sessions.take(undefined), undefined);
  t.is(sessions.take(''), undefined);
  // Other pushes' tokens are untouched, and close() after take() is harmless.
  const other = sessions.open({ app: 'blog', principal, source: '127.0.0.1' });
  sessions.close(token);
  t.like(sessions.take(other), { app: 'blog' });
});

test('the pre-receive endpoint accepts a token once, then answers 401', async (t) => {
  const sessions = new PushSessions();
  // A push of a branch that does not deploy needs nothing of the Scalarium beyond its database.
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'push-sessions-'));
  const db = await openDatabase(dataDir, '');
  t.teardown(async () => {
    await db.destroy();
    await rm(dataDir, { recursive: true, force: true });
  });
  const cluster = await ensureCluster(db, 'local', 'local');
  await insertApp(db, 'shop', cluster.id, 'alice');
  const scalarium = { db } as unknown as Scalarium;
  const app = new Koa();
  app.use(preReceiveHandler(scalarium, sessions));
  const server = http.createServer(app.callback()).listen(0, '127.0.0.1');
  await once(server, 'listening');
  t.teardown(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/internal/git/pre-receive`;

  const token = sessions.open({ app: 'shop', principal, source: '127.0.0.1' });
  const hook = async (): Promise<{ status: number; text: string }> => {
    const res = await fetch(url, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({ refs: [{ oldSha: '0'.repeat(40), newSha: '1'.repeat(40), ref: 'refs/heads/feature' }], objectDirectory: null, alternates: null }),
    });
    return { status: res.status, text: await res.text() };
  };
  const first = await hook();
  t.is(first.status, 200);
  t.true(first.text.includes('Stored. Only pushes to main or master deploy shop.'), first.text);
  t.true(first.text.includes('\u0000verdict:ok'), first.text);
  const second = await hook();
  t.is(second.status, 401);
  t.is(second.text, 'unknown push\n');
});
