// Live tails through the real server: a tail ends when its holder loses the right to read the
// app's logs (the grant revoked while it runs), and one principal cannot hold more than
// MAX_TAILS_PER_USER streams open at once.
import test from 'ava';
import { until } from '../../cli/test-support.ts';
import { createTestScalarium, type TestScalarium } from '../../test/helpers/harness.ts';
import { createToken, findUserByName } from '../../server/plugin-api.ts';
import { MAX_TAILS_PER_USER } from './live-tail.ts';

let s: TestScalarium;

test.before(async () => {
  s = await createTestScalarium({ env: { SCALARIUM_LOG_TAIL_RECHECK: '0.2' } });
  await s.api('POST', '/api/apps', { name: 'shop' });
});

test.after.always(() => s?.close());

async function viewer(name: string): Promise<string> {
  await s.api('POST', '/api/users', { name });
  await s.api('POST', '/api/access', { user: name, app: 'shop', role: 'viewer' });
  return createToken(s.scalarium.db, (await findUserByName(s.scalarium.db, name))!.id, { name: 'tail' });
}

function tail(token: string): { response: Promise<Response>; abort: () => void } {
  const controller = new AbortController();
  return { response: fetch(`${s.url}/api/apps/shop/logs?tail=1&lines=0`, { headers: { Authorization: `Bearer ${token}` }, signal: controller.signal }), abort: () => controller.abort() };
}

test('a tail ends when its holder\'s grant is revoked while it runs', async (t) => {
  const token = await viewer('tia');
  const { response } = tail(token);
  const res = await response;
  t.is(res.status, 200);
  const reader = res.body!.getReader();
  const decoder = new TextDecoder();
  let seen = '';
  s.scalarium.hooks.log.call({ app: 'shop', source: 'web.1', line: 'before the revocation', at: new Date().toISOString() });
  while (!seen.includes('before the revocation')) seen += decoder.decode((await reader.read()).value);
  t.is((await s.api('POST', '/api/access/revoke', { user: 'tia', app: 'shop' })).status, 204);
  // The stream ends (or breaks) within a recheck: no line of after is ever read.
  const ended = await until('the tail to end', async () => {
    s.scalarium.hooks.log.call({ app: 'shop', source: 'web.1', line: 'after', at: new Date().toISOString() });
    try {
      const chunk = await Promise.race([reader.read(), new Promise<'open'>((resolve) => setTimeout(() => resolve('open'), 300))]);
      if (chunk === 'open') return false;
      if (chunk.done) return true;
      seen += decoder.decode(chunk.value);
      return false;
    } catch {
      return true; // the server closed the connection
    }
  });
  t.true(ended);
  t.is((await s.api('GET', '/api/apps/shop/logs', undefined, token)).status, 404, 'and the next request is refused');
});

test(`one principal holds at most ${MAX_TAILS_PER_USER} tails at once; closing one makes room`, async (t) => {
  const token = await viewer('tom');
  const open = Array.from({ length: MAX_TAILS_PER_USER }, () => tail(token));
  for (const { response } of open) t.is((await response).status, 200);
  const refused = await fetch(`${s.url}/api/apps/shop/logs?tail=1`, { headers: { Authorization: `Bearer ${token}` } });
  t.is(refused.status, 429);
  t.is(((await refused.json()) as { error: { code: string } }).error.code, 'logging.too_many_tails');
  open[0]!.abort();
  await until('room for one more', async () => {
    const again = tail(token);
    const res = await again.response;
    again.abort();
    return res.status === 200;
  });
  for (const { abort } of open.slice(1)) abort();
});
