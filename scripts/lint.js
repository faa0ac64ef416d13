#!/usr/bin/env node
// Project rules that the type checker cannot see (run by `npm run lint`):
// - child processes get argv arrays, never shell strings;
// - templates never output unescaped values, except the layout's rendered page body;
// - SQL stays in server/db;
// - audit rows are written through server/core/audit.ts, which also calls the audit hook.
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const problems = [];

function walk(dir, visit) {
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, visit);
    else visit(full);
  }
}

const rules = [
  { pattern: /shell:\s*true/, message: 'spawn with shell: true' },
  { pattern: /\bexecSync\(|\bexec\(\s*[`'"]|child_process['"]\)\.exec\b|import\s*\{[^}]*\bexec\b[^}]*\}\s*from\s*['"]node:child_process['"]/, message: 'exec() runs a shell string; use execFile/spawn with an argv array' },
];

for (const top of ['server', 'plugins', 'cli']) {
  walk(path.join(root, top), (file) => {
    if (!/\.(ts|js|mjs)$/.test(file) || /\.test\.ts$/.test(file)) return;
    const text = fs.readFileSync(file, 'utf8');
    for (const rule of rules) if (rule.pattern.test(text)) problems.push(`${path.relative(root, file)}: ${rule.message}`);
    if (!file.includes(`${path.sep}server${path.sep}db${path.sep}`) && /\b(scalarium\.)?db\(['"]\w+['"]\)/.test(text)) {
      problems.push(`${path.relative(root, file)}: SQL outside server/db`);
    }
    const auditWriters = ['server/core/audit.ts', 'server/db/audit.ts', 'server/core/bootstrap.ts'];
    if (!auditWriters.includes(path.relative(root, file)) && /\bappendAudit\(/.test(text)) {
      problems.push(`${path.relative(root, file)}: audit rows go through audit() in server/core/audit.ts (it calls hooks.audit)`);
    }
  });
}

walk(path.join(root, 'templates'), (file) => {
  if (!file.endsWith('.hbs')) return;
  const text = fs.readFileSync(file, 'utf8').replace(/\{\{!--[\s\S]*?--\}\}/g, '');
  const triples = text.match(/\{\{\{[^}]*\}\}\}/g) ?? [];
  const allowed = file.endsWith(path.join('layouts', 'main.hbs')) ? ['{{{body}}}'] : [];
  for (const t of triples) if (!allowed.includes(t)) problems.push(`${path.relative(root, file)}: unescaped ${t}`);
});

if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('lint: ok\n');
