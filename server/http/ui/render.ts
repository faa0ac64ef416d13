// Server-side rendering with handlebars. Templates are files of this repository or of a loaded
// plugin (never built from user data) and every value is HTML-escaped by {{ }}; pages are wrapped in
// the layout. Core pages are named by their file ("apps"); a plugin's pages by its namespace
// ("access/users" is <the folder access registered>/pages/users.hbs).
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import Handlebars from 'handlebars';
import { renderGraph, type GraphOptions } from './graph.ts';

const CORE = fileURLToPath(new URL('../../../templates/', import.meta.url));
const NAMESPACE = /^[a-z0-9][a-z0-9-]{0,39}$/;
const PAGE = /^[a-z0-9][a-z0-9-]*$/;
const RESERVED = new Set(['pages', 'layouts', 'partials', 'assets']);

const hbs = Handlebars.create();
hbs.registerHelper('eq', (a: unknown, b: unknown) => a === b);
hbs.registerHelper('short', (value: unknown) => (typeof value === 'string' ? value.slice(0, 7) : ''));
hbs.registerHelper('json', (value: unknown) => JSON.stringify(value));
/** `{{graph options}}`: the SVG of graph.ts, which escapes every text it draws (GraphOptions from the page). */
hbs.registerHelper('graph', (options: GraphOptions) => new hbs.SafeString(renderGraph(options)));
/** An ISO timestamp as "2025-01-31 14:05:09Z" (still escaped by {{ }}). */
hbs.registerHelper('when', (value: unknown) => (typeof value === 'string' ? value.replace('T', ' ').replace(/\.\d+Z$/, 'Z') : ''));
for (const file of fs.existsSync(path.join(CORE, 'partials')) ? fs.readdirSync(path.join(CORE, 'partials')) : []) {
  if (file.endsWith('.hbs')) hbs.registerPartial(file.slice(0, -4), fs.readFileSync(path.join(CORE, 'partials', file), 'utf8'));
}

export interface PageContext {
  title: string;
  user?: { name: string };
  csrf?: string;
  nav?: Array<{ href: string; label: string }>;
  [key: string]: unknown;
}

/** The page templates of one server: core's, plus a folder per plugin that has pages. */
export class Templates {
  private readonly folders = new Map<string, string>();
  private readonly compiled = new Map<string, Handlebars.TemplateDelegate>();

  /** A plugin's templates: `<folder>/pages/<page>.hbs`, rendered as "<namespace>/<page>". */
  add(namespace: string, folder: string): void {
    if (!NAMESPACE.test(namespace) || RESERVED.has(namespace)) throw new Error(`"${namespace}" cannot name a template folder: use the plugin's name (a-z, 0-9, -)`);
    if (this.folders.has(namespace)) throw new Error(`templates "${namespace}" are registered twice`);
    if (!fs.existsSync(path.join(folder, 'pages'))) throw new Error(`templates "${namespace}": ${folder} has no pages/ folder`);
    this.folders.set(namespace, folder);
  }

  render(page: string, context: PageContext): string {
    return this.template(`layouts/main`, CORE)({ ...context, body: this.page(page)(context) });
  }

  private page(name: string): Handlebars.TemplateDelegate {
    const [first, second, ...rest] = name.split('/');
    if (second === undefined) {
      if (!PAGE.test(first!)) throw new Error(`bad template name ${name}`);
      return this.template(`pages/${first}`, CORE);
    }
    const folder = this.folders.get(first!);
    if (!folder || rest.length || !PAGE.test(second)) throw new Error(`no template ${name}: is its plugin loaded?`);
    return this.template(`pages/${second}`, folder, name);
  }

  private template(file: string, root: string, key = file): Handlebars.TemplateDelegate {
    let compiled = this.compiled.get(key);
    if (!compiled) {
      compiled = hbs.compile(fs.readFileSync(path.join(root, `${file}.hbs`), 'utf8'), { strict: false });
      this.compiled.set(key, compiled);
    }
    return compiled;
  }
}
