// Server-side rendering with handlebars. Templates are files of this repository only (never built
// from user data) and every value is HTML-escaped by {{ }}; pages are wrapped in the layout.
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';

const ROOT = fileURLToPath(new URL('../../../templates/', import.meta.url));
const hbs = Handlebars.create();
const cache = new Map<string, Handlebars.TemplateDelegate>();

hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('short', (value: unknown) => (typeof value === 'string' ? value.slice(0, 7) : ''));
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
/** An ISO timestamp as "2025-01-31 14:05:09Z" (still escaped by {{ }}). */
hbs.registerHelper('when', (value: unknown) => (typeof value === 'string' ? value.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''));

for (const file of fs.existsSync(path.join(ROOT, 'partials')) ? fs.readdirSync(path.join(ROOT, 'partials')) : []) {
  if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), fs.readFileSync(path.join(ROOT, 'partials', file), 'utf8'));
}

function template(name: string): Handlebars.TemplateDelegate {
  let compiled = cache.get(name);
  if (!compiled) {
    if (!/^[a-z0-9/-]+$/.test(name)) throw new Error(`bad template name ${name}`);
    compiled = hbs.compile(fs.readFileSync(path.join(ROOT, `${name}.hbs`), 'utf8'), { strict: false });
    cache.set(name, compiled);
  }
  return compiled;
}

export interface PageContext {
  title: string;
  user?: { name: string };
  csrf?: string;
  nav?: Array<{ href: string; label: string }>;
  [key: string]: unknown;
}

export function renderPage(page: string, context: PageContext): string {
  const body = template(`pages/${page}`)(context);
  return template('layouts/main')({ ...context, body });
}
