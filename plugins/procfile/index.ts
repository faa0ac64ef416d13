// Process types come from the Procfile, over the buildpack's defaults.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from '../../server/core/scalarium.ts';
import { isValidProcessType } from '../../server/core/names.ts';

const NAME = 'procfile';

/** Parses `type: command` lines; comments and blank lines are skipped, bad types are errors. */
export function parseProcfile(text: string): Record<string, string> {
  const types: Record<string, string> = {};
  for (const [i, raw] of text.split(/\r?\n/).entries()) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const match = /^([^:\s]+)\s*:\s*(.+)$/.exec(line);
    if (!match || !isValidProcessType(match[1])) {
      throw new Error(`Procfile line ${i + 1} is not "type: command" with a lowercase type name`);
    }
    types[match[1]!] = match[2]!;
  }
  return types;
}

export const procfilePlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.release.tapPromise(NAME, async (spec, context) => {
      if (!context.buildDir) return spec;
      const text = await fs.readFile(path.join(context.buildDir, 'Procfile'), 'utf8').catch(() => undefined);
      if (text === undefined) return spec;
      return { ...spec, processTypes: { ...spec.processTypes, ...parseProcfile(text) } };
    });
  },
};

export default procfilePlugin;
