// Builds apps with Heroku classic buildpacks (docs/buildpacks.md is the contract as implemented).
// The app chooses its buildpacks with BUILDPACK_URL or a .buildpacks file (choice.ts); otherwise
// the built-ins are tried in order and the first whose bin/detect claims the app builds it.
import {
  BUILTIN_BUILDPACKS as BUILTIN_ORDER, builtinBuildpack as builtin, compileBuildpack as compile,
  detectBuildpack as detect, resolveBuildpack, exportFileOf, stageBuildpack, builtinBuildpacksDir, outboundPolicy,
  type Plugin, type Scalarium, type Detection, type Buildpack, type BuildpackSources, type DetectResult,
} from '../../server/plugin-api.ts';
import { announceChoice, announceStep, chosenBuildpacks, requireCompatible } from './choice.ts';
import { compiledPacks, type BuildpackDetection } from './detection.ts';
import { tapRelease } from './release.ts';

const NAME = 'buildpacks';

function sources(scalarium: Scalarium): BuildpackSources {
  return { builtinDir: builtinBuildpacksDir(scalarium), outbound: outboundPolicy(scalarium), localRoots: scalarium.config.buildpackDirs };
}

export const buildpacksPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.detect.tapPromise(NAME, async (build): Promise<Detection | undefined> => {
      const from = sources(scalarium);
      const choice = await chosenBuildpacks(build);
      if (choice) {
        announceChoice(build, choice);
        const packs: Buildpack[] = [];
        for (const spec of choice.specs) packs.push(await resolveBuildpack(spec, build.workspace, from));
        const detected: DetectResult[] = [];
        for (const pack of packs) detected.push(await detect(pack, build.workspace));
        if (packs.length === 1) {
          requireCompatible(packs[0]!, detected[0]!);
          build.output.line(`       bin/detect: ${detected[0]!.name}`);
        }
        const data: BuildpackDetection = { packs, detected, chosen: true };
        return { builder: 'buildpack', name: detected.map((d) => d.name).join(', '), data };
      }
      for (const name of BUILTIN_ORDER) {
        const pack = builtin(from, name);
        const result = await detect(pack, build.workspace);
        if (result.detected) return { builder: 'buildpack', name: result.name, data: { packs: [pack], detected: [result], chosen: false } satisfies BuildpackDetection };
      }
      return undefined;
    });

    // Each buildpack compiles from the build's own copy, with the export files of those before it
    // sourced (multi-buildpack), SOURCE_VERSION set to the commit and its own CACHE_DIR.
    scalarium.hooks.build.for('buildpack').tapPromise(NAME, async (build, detection) => {
      const { packs, detected } = detection.data as BuildpackDetection;
      const env: Record<string, string> = /^[0-9a-f]{40,64}$/.test(build.commit) ? { SOURCE_VERSION: build.commit } : {};
      const exports: string[] = [];
      const compiled: Buildpack[] = [];
      for (const [i, pack] of packs.entries()) {
        if (packs.length > 1) announceStep(build, pack, detected[i]!, i, packs.length);
        const staged = await stageBuildpack(pack, i, build.workspace);
        await compile(staged, build.workspace, build.output, { env, exports: [...exports] });
        const exported = exportFileOf(staged);
        if (exported) exports.push(exported);
        compiled.push(staged);
      }
      compiledPacks.set(build, compiled);
    });

    tapRelease(scalarium, NAME);
  },
};

export default buildpacksPlugin;
