// An API route must be added with declare(), which runs the authorize hook before its handler: one
// added with router.get would run for anyone with a token, so the server refuses to start with it.
import test from 'ava';
import Router from '@koa/router';
import type { Scalarium } from '../../core/scalarium.ts';
import { assertAllDeclared, declare, serverResource } from './route-table.ts';

// declare() only keeps the scalarium for the handler's authorize call, which no request makes here.
const scalarium = {} as Scalarium;

test('declared routes and middleware pass; a route added past declare() stops the start with what to do', (t) => {
  const router = new Router();
  router.use('/api', async (_ctx, next) => next());
  declare(scalarium, router, { method: 'get', path: '/api/things', action: 'read', resource: serverResource, handler: async () => {} });
  declare(scalarium, router, { method: 'post', path: '/api/things', action: 'admin', resource: serverResource, handler: async () => {} });
  t.notThrows(() => assertAllDeclared(router));
  router.delete('/api/things/:id', async () => {});
  t.throws(() => assertAllDeclared(router), { message: 'API route DELETE /api/things/:id was added without declare(): add it with declare() from server/plugin-api.ts, naming the action it needs' });
});
