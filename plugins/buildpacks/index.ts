// Builds apps with Heroku classic buildpacks. The app chooses its buildpacks with the BUILDPACK_URL
// config var or a .buildpacks file (one per line); otherwise the built-ins are tried in order.
import type { Plugin, Scalarium } from '../../server/core/scalarium.ts';
import type { Detection } from '../../server/core/types.ts';
import {
  BUILTIN_ORDER, builtin, compile, detect, release, resolveBuildpack, type Buildpack, type BuildpackSources,
} from '../../server/build/buildpack-runner.ts';
import { builtinBuildpacksDir } from '../../server/build/workspace.ts';
import { readSourceFile } from '../../server/build/source-files.ts';
import { outboundPolicy } from '../../server/core/outbound-policy.ts';
import { STAGE } from '../../server/core/stages.ts';

const NAME = 'buildpacks';

function sources(scalarium: Scalarium): BuildpackSources {
  return { builtinDir: builtinBuildpacksDir(scalarium), outbound: outboundPolicy(scalarium), localRoots: scalarium.config.buildpackDirs };
}

export const buildpacksPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.detect.tapPromise(NAME, async (build): Promise<Detection | undefined> => {
      const ws = build.workspace;
      const chosen = build.config.BUILDPACK_URL
        ? [build.config.BUILDPACK_URL]
        : ((await readSourceFile(build.buildDir, '.buildpacks', ws.user?.uid)) ?? '')
            .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      if (chosen.length > 10) throw new Error('.buildpacks lists more than 10 buildpacks');
      const from = sources(scalarium);
      if (chosen.length) {
        const packs: Buildpack[] = [];
        for (const spec of chosen) packs.push(await resolveBuildpack(spec, ws, from));
        return { builder: 'buildpack', name: packs.map((p) => p.name).join(', '), data: packs };
      }
      for (const name of BUILTIN_ORDER) {
        const pack = builtin(from, name);
        const detected = await detect(pack, ws);
        if (detected) return { builder: 'buildpack', name: detected, data: [pack] };
      }
      return undefined;
    });

    scalarium.hooks.build.for('buildpack').tapPromise(NAME, async (build, detection) => {
      const packs = detection.data as Buildpack[];
      for (const pack of packs) await compile(pack, build.workspace, build.output);
    });

    // The last buildpack's bin/release proposes default process types; the Procfile (a later
    // stage) refines them.
    scalarium.hooks.release.tapPromise({ name: NAME, stage: STAGE.defaults }, async (spec, context) => {
      if (context.detection?.builder !== 'buildpack' || !context.build) return spec;
      const packs = context.detection.data as Buildpack[];
      const last = packs[packs.length - 1];
      if (!last) return spec;
      return { ...spec, processTypes: { ...(await release(last, context.build.workspace)), ...spec.processTypes } };
    });
  },
};

export default buildpacksPlugin;
