#!/usr/bin/env node
// Templates never output unescaped values ({{{ }}}), except the layout's rendered page body: core's
// templates/ and every plugin's templates/ (run by `npm run lint` after eslint).
import fs from 'node:fs';
import path from 'node:path';

const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '..');
const problems = [];

function walk(dir, visit) {
  if (!fs.existsSync(dir)) return;
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules' || entry.name.startsWith('.')) continue;
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) walk(full, visit);
    else visit(full);
  }
}

const folders = [path.join(root, 'templates'), ...fs.readdirSync(path.join(root, 'plugins')).map((p) => path.join(root, 'plugins', p, 'templates'))];
for (const folder of folders) {
  walk(folder, (file) => {
    if (!file.endsWith('.hbs')) return;
    const text = fs.readFileSync(file, 'utf8').replace(/\{\{!--[\s\S]*?--\}\}/g, '');
    const triples = text.match(/\{\{\{[^}]*\}\}\}/g) ?? [];
    const allowed = file === path.join(root, 'templates', 'layouts', 'main.hbs') ? ['{{{body}}}'] : [];
    for (const t of triples) if (!allowed.includes(t)) problems.push(`${path.relative(root, file)}: unescaped ${t}`);
  });
}

if (problems.length) {
  process.stderr.write(`${problems.join('\n')}\n`);
  process.exit(1);
}
process.stdout.write('templates: ok\n');
