// An instance's last output lines as clusters:info and the cluster page show them: the last 20
// non-empty lines of output.log, terminal sequences removed, other control characters made
// visible, long lines cut; a missing file has none.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { lastLines, printable } from './instance-output.ts';

test('printable: no control character survives, CSI sequences go, others become \\xNN', (t) => {
  t.is(printable('\x1b[1;31mred\x1b[0m ok'), 'red ok');
  t.is(printable('title \x1b]0;owned\x07 bell\x08\x7f\x9b'), 'title \\x1b]0;owned\\x07 bell\\x08\\x7f\\x9b');
  t.is(printable('tab\tstays'), 'tab\tstays');
  t.is(printable('x'.repeat(600)), `${'x'.repeat(500)}…`);
});

test('lastLines: the last 20 non-empty lines of a big file, none of a missing one', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-output-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'output.log');
  t.deepEqual(await lastLines(file), []);
  const lines = Array.from({ length: 5000 }, (_, i) => `line ${i} ${'.'.repeat(40)}`);
  fs.writeFileSync(file, `${lines.join('\n')}\n\n\r\n`);
  t.deepEqual(await lastLines(file), lines.slice(-20));
  t.deepEqual(await lastLines(file, 1), [lines.at(-1)]);
});
