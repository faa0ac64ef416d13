import test from 'ava';
import net from 'node:net';
import { parsePortRange, pickFreePort } from './port-range.ts';

test('SCALARIUM_APP_PORTS: FIRST-LAST of at least 16 unprivileged ports; anything else says what to write', (t) => {
  t.deepEqual(parsePortRange(), { first: 20000, last: 29999 });
  t.deepEqual(parsePortRange(' 40000 - 40015 '), { first: 40000, last: 40015 });
  for (const bad of ['', '20000', '80-1000', '20000-20001', '60000-70000', 'a-b', '20000-29999,1']) {
    t.throws(() => parsePortRange(bad), { message: /SCALARIUM_APP_PORTS must be a range FIRST-LAST .* e\.g\. 20000-29999/ }, bad);
  }
});

test('a picked port is in the range, not taken, and not listened on by anyone', async (t) => {
  const range = { first: 29900, last: 29915 };
  // Occupy all but two ports of the range: one by a listener, the rest by the "taken" set.
  const busy = net.createServer();
  await new Promise<void>((resolve) => busy.listen(29900, '127.0.0.1', resolve));
  try {
    const taken = new Set<number>();
    for (let p = 29902; p <= 29915; p++) taken.add(p);
    for (let i = 0; i < 10; i++) t.is(await pickFreePort(range, taken), 29901);
    taken.add(29901);
    await t.throwsAsync(() => pickFreePort(range, taken), { message: /no free port left in SCALARIUM_APP_PORTS 29900-29915/ });
  } finally {
    await new Promise((resolve) => busy.close(resolve));
  }
});
