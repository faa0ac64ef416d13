// Builds apps with Heroku classic buildpacks. The app chooses its buildpacks with the BUILDPACK_URL
// config var or a .buildpacks file (one per line); otherwise the built-ins are tried in order.
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Plugin } from '../../server/core/scalarium.ts';
import type { Detection } from '../../server/core/types.ts';
import {
  BUILTIN_ORDER, builtin, compile, detect, release, resolveBuildpack, type Buildpack,
} from '../../server/build/buildpack-runner.ts';

const NAME = 'buildpacks';

export const buildpacksPlugin: Plugin = {
  name: NAME,
  apply(scalarium) {
    scalarium.hooks.detect.tapPromise(NAME, async (build): Promise<Detection | undefined> => {
      const chosen = build.config.BUILDPACK_URL
        ? [build.config.BUILDPACK_URL]
        : (await fs.readFile(path.join(build.buildDir, '.buildpacks'), 'utf8').catch(() => ''))
            .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#'));
      if (chosen.length) {
        const packs: Buildpack[] = [];
        for (const spec of chosen) packs.push(await resolveBuildpack(spec, build.cacheDir));
        return { builder: 'buildpack', name: packs.map((p) => p.name).join(', '), data: packs };
      }
      for (const name of BUILTIN_ORDER) {
        const pack = builtin(name);
        const detected = await detect(pack, build.buildDir);
        if (detected) return { builder: 'buildpack', name: detected, data: [pack] };
      }
      return undefined;
    });

    scalarium.hooks.build.for('buildpack').tapPromise(NAME, async (build, detection) => {
      const packs = detection.data as Buildpack[];
      const envDir = build.envDir;
      for (const pack of packs) {
        await compile(pack, { build: build.buildDir, cache: path.join(build.cacheDir, pack.name), env: envDir }, build.output);
      }
      const last = packs[packs.length - 1];
      if (last) build.defaultProcessTypes = await release(last, build.buildDir);
    });
  },
};

export default buildpacksPlugin;
