// Plugin loading. Built-in features are plugins too; user plugins are named in SCALARIUM_PLUGINS
// (comma separated) or <data>/plugins.json ({"plugins": ["./my-plugin.ts", "some-package"]}).
// A plugin that fails to load stops the server at start-up with a clear message — never mid-deploy.
import fs from 'node:fs';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Plugin, Scalarium } from './scalarium.ts';
import { accessPlugin } from '../../plugins/access/index.ts';
import { buildpacksPlugin } from '../../plugins/buildpacks/index.ts';
import { procfilePlugin } from '../../plugins/procfile/index.ts';
import { rolloutPlugin } from '../../plugins/rollout/index.ts';
import { routingPlugin } from '../../plugins/routing/index.ts';
import { localProviderPlugin } from '../../plugins/provider-local/index.ts';
import { createLoggingPlugin } from '../../plugins/logging/index.ts';
import { timingsPlugin } from '../../plugins/timings/index.ts';
import { instanceAccessPlugin } from '../../plugins/instance-access/index.ts';
import { lifecyclePlugin } from '../../plugins/lifecycle/index.ts';
import { ec2ProviderPlugin } from '../../plugins/provider-ec2/index.ts';

export class PluginLoadError extends Error {}

export function builtinPlugins(): Plugin[] {
  return [timingsPlugin, accessPlugin, createLoggingPlugin(), localProviderPlugin, ec2ProviderPlugin, buildpacksPlugin, procfilePlugin, routingPlugin, instanceAccessPlugin, lifecyclePlugin, rolloutPlugin];
}

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

export async function loadPlugins(scalarium: Scalarium, specifiers: string[]): Promise<string[]> {
  const plugins = [...builtinPlugins()];
  for (const specifier of specifiers) plugins.push(await importPlugin(specifier));
  const seen = new Set<string>();
  for (const plugin of plugins) {
    if (seen.has(plugin.name)) throw new PluginLoadError(`two plugins are named "${plugin.name}"`);
    seen.add(plugin.name);
    try {
      await plugin.apply(scalarium);
    } catch (error) {
      throw new PluginLoadError(`plugin "${plugin.name}" failed to start: ${(error as Error).message}`);
    }
  }
  return [...seen];
}
