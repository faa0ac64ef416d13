// Process types come from the Procfile, over the buildpack's defaults.
import { STAGE, isValidProcessType, readSourceFile, type Plugin } from '../../server/plugin-api.ts';

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
    scalarium.hooks.release.tapPromise({ name: NAME, stage: STAGE.normal }, async (spec, context) => {
      if (!context.buildDir) return spec;
      // The build has run by now: Procfile may be anything it made, so no links, no FIFOs, no big files.
      const text = await readSourceFile(context.buildDir, 'Procfile', context.build?.workspace.user?.uid);
      if (text === undefined) return spec;
      return { ...spec, processTypes: { ...spec.processTypes, ...parseProcfile(text) } };
    });
  },
};

export default procfilePlugin;
