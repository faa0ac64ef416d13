// The release side of the contract. Every buildpack's bin/release runs, in order: the last one's
// default_process_types are the release's defaults (Heroku: "the last buildpack determines the
// process types"), and the config_vars of all of them become default config vars of the release
// (a later buildpack's over an earlier one's, the app's own config vars over both). Then, once the
// Procfile has had its say, the build tells when it replaced a buildpack's default.
import { type Scalarium, releaseBuildpack as release, type ReleaseInfo, STAGE } from '../../server/plugin-api.ts';
import { compiledPacks, proposedDefaults, type BuildpackDetection } from './detection.ts';

export function tapRelease(scalarium: Scalarium, name: string): void {
  scalarium.hooks.release.tapPromise({ name, stage: STAGE.defaults }, async (spec, context) => {
    const build = context.build;
    if (context.detection?.builder !== 'buildpack' || !build) return spec;
    const { detected } = context.detection.data as BuildpackDetection;
    const packs = compiledPacks.get(build) ?? (context.detection.data as BuildpackDetection).packs;
    const infos: ReleaseInfo[] = [];
    for (const pack of packs) infos.push(await release(pack, build.workspace));
    const defaults = infos.at(-1)?.defaultProcessTypes ?? {};
    proposedDefaults.set(build, { types: defaults, by: detected.at(-1)?.name ?? packs.at(-1)?.name ?? 'the buildpack' });
    const configVars = Object.assign({}, ...infos.map((i) => i.configVars)) as Record<string, string>;
    const added = Object.keys(configVars).filter((key) => !(key in spec.config)).sort();
    if (added.length) build.output.line(`-----> Default config vars from the buildpacks: ${added.join(', ')}`);
    return { ...spec, processTypes: { ...defaults, ...spec.processTypes }, config: { ...configVars, ...spec.config } };
  });

  // Observes the final process types: a buildpack's compile may have said "Static site detected"
  // while the Procfile runs something else, and the person pushing should know which one runs.
  scalarium.hooks.release.tapPromise({ name, stage: STAGE.overrides }, async (spec, context) => {
    const proposed = context.build && proposedDefaults.get(context.build);
    if (!proposed) return spec;
    for (const [type, command] of Object.entries(proposed.types).sort(([a], [b]) => a.localeCompare(b))) {
      const used = spec.processTypes[type];
      if (used === undefined || used === command) continue;
      context.build!.output.line(`-----> The Procfile's ${type} process (${used}) replaces the default of ${proposed.by} (${command})`);
    }
    return spec;
  });
}
