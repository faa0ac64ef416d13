// Plugin loading. Built-in features are plugins too, handed in by the entry point (the list is
// plugins/builtin.ts: core imports no plugin); user plugins are named in SCALARIUM_PLUGINS
// (comma separated) or <data>/plugins.json ({"plugins": ["./my-plugin.ts", "some-package"]}).
// A plugin that fails to load stops the server at start-up with a clear message — never mid-deploy.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin, Scalarium } from './scalarium.ts';
import { migrationSource } from '../db/migrations/index.ts';

export class PluginLoadError extends Error {}

export function userPluginSpecifiers(dataDir: string, fromEnv: string[]): string[] {
  const file = path.join(dataDir, 'plugins.json');
  if (!fs.existsSync(file)) return fromEnv;
  let parsed: unknown;
  try {
    parsed = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw new PluginLoadError(`${file} is not valid JSON: ${(error as Error).message}`);
  }
  const list = (parsed as { plugins?: unknown }).plugins;
  if (!Array.isArray(list) || !list.every((p) => typeof p === 'string')) {
    throw new PluginLoadError(`${file} must look like {"plugins": ["./path/to/plugin.ts"]}`);
  }
  return [...fromEnv, ...list.map((p) => (p.startsWith('.') ? path.resolve(dataDir, p) : p))];
}

async function importPlugin(specifier: string): Promise<Plugin> {
  const target = specifier.startsWith('/') ? pathToFileURL(specifier).href : specifier;
  let module: Record<string, unknown>;
  try {
    module = await import(target);
  } catch (error) {
    throw new PluginLoadError(`plugin "${specifier}" could not be imported: ${(error as Error).message}`);
  }
  const candidate = (module.default ?? module.plugin) as Partial<Plugin> | (() => Plugin) | undefined;
  const plugin = typeof candidate === 'function' ? candidate() : candidate;
  if (!plugin || typeof plugin.name !== 'string' || typeof plugin.apply !== 'function') {
    throw new PluginLoadError(`plugin "${specifier}" must export default { name, apply(scalarium) }`);
  }
  return plugin as Plugin;
}

export async function importPlugins(specifiers: string[]): Promise<Plugin[]> {
  const plugins: Plugin[] = [];
  for (const specifier of specifiers) plugins.push(await importPlugin(specifier));
  return plugins;
}

export async function loadPlugins(scalarium: Scalarium, builtins: Plugin[], specifiers: string[]): Promise<string[]> {
  const plugins = [...builtins, ...(await importPlugins(specifiers))];
  const seen = new Set<string>();
  for (const plugin of plugins) {
    if (seen.has(plugin.name)) throw new PluginLoadError(`two plugins are named "${plugin.name}"`);
    seen.add(plugin.name);
    if (plugin.migrations?.length) await migratePlugin(scalarium, plugin);
    try {
      await plugin.apply(scalarium);
    } catch (error) {
      throw new PluginLoadError(`plugin "${plugin.name}" failed to start: ${(error as Error).message}`);
    }
  }
  return [...seen];
}

/** The plugin's own migrations, in a knex migrations table of its own. */
async function migratePlugin(scalarium: Scalarium, plugin: Plugin): Promise<void> {
  if (!/^[a-z0-9][a-z0-9-]{0,39}$/.test(plugin.name)) throw new PluginLoadError(`plugin "${plugin.name}" has migrations, so its name must be a-z, 0-9 and - (at most 40)`);
  try {
    await scalarium.db.migrate.latest({ migrationSource: migrationSource(plugin.migrations!), tableName: `knex_migrations_${plugin.name.replace(/-/g, '_')}` });
  } catch (error) {
    throw new PluginLoadError(`plugin "${plugin.name}": its database migration failed: ${(error as Error).message}`);
  }
}
