import test from 'ava';
import { parseProcfile } from './index.ts';

test('parses types and commands, skipping comments and blank lines', (t) => {
  const text = '# processes\nweb: node server.js --port $PORT\n\nworker:  node worker.js\r\nclock:node clock.js\n';
  t.deepEqual(parseProcfile(text), { web: 'node server.js --port $PORT', worker: 'node worker.js', clock: 'node clock.js' });
});

test('rejects lines that are not "type: command" with a line number', (t) => {
  t.throws(() => parseProcfile('web node server.js'), { message: /line 1/ });
  t.throws(() => parseProcfile('web: ok\nWeb: bad'), { message: /line 2/ });
  t.throws(() => parseProcfile('we;b: x'), { message: /line 1/ });
});
