// Which buildpacks an app chose, and how a build says so. BUILDPACK_URL (one, or several separated
// by spaces or commas) wins over a .buildpacks file (one per line, # comments); without either the
// built-ins are tried. With one chosen buildpack its bin/detect must claim the app, as on Heroku;
// with several, every one of them runs in order whatever its bin/detect says (a list is the app
// saying what it needs), and the build shows what each detect said.
import { type BuildContext, type Buildpack, type DetectResult, readSourceFile, ScalariumError } from '../../server/plugin-api.ts';

export const MAX_BUILDPACKS = 10;

export interface Choice {
  specs: string[];
  from: 'BUILDPACK_URL' | '.buildpacks';
}

export async function chosenBuildpacks(build: BuildContext): Promise<Choice | undefined> {
  const fromConfig = (build.config.BUILDPACK_URL ?? '').split(/[\s,]+/).filter(Boolean);
  const choice: Choice = fromConfig.length
    ? { specs: fromConfig, from: 'BUILDPACK_URL' }
    : {
      specs: ((await readSourceFile(build.buildDir, '.buildpacks', build.workspace.user?.uid)) ?? '')
        .split('\n').map((l) => l.trim()).filter((l) => l && !l.startsWith('#')),
      from: '.buildpacks',
    };
  if (!choice.specs.length) return undefined;
  if (choice.specs.length > MAX_BUILDPACKS) throw new Error(`${choice.from} lists more than ${MAX_BUILDPACKS} buildpacks`);
  return choice;
}

export function announceChoice(build: BuildContext, choice: Choice): void {
  if (choice.specs.length === 1) {
    build.output.line(`-----> Using buildpack from ${choice.from}: ${shown(choice.specs[0]!)}`);
    return;
  }
  build.output.line(`-----> Using buildpacks from ${choice.from}:`);
  choice.specs.forEach((spec, i) => build.output.line(`       ${i + 1}. ${shown(spec)}`));
}

/** A single chosen buildpack that does not claim the app fails the build, in Heroku's words. */
export function requireCompatible(pack: Buildpack, result: DetectResult): void {
  if (result.detected) return;
  throw new ScalariumError('build_failed', {
    reason: `App not compatible with buildpack: ${shown(pack.source)} (${result.reason ?? 'its bin/detect did not claim the app'}); choose a buildpack that applies to this app in BUILDPACK_URL or .buildpacks, or remove the setting to let Scalarium detect one`,
  });
}

/** The line before each buildpack of a multi-buildpack build. */
export function announceStep(build: BuildContext, pack: Buildpack, result: DetectResult, index: number, count: number): void {
  const said = result.detected ? `bin/detect: ${result.name}` : `${result.reason ?? 'bin/detect did not claim the app'}; it runs anyway, as every buildpack of a list does`;
  build.output.line(`-----> Buildpack ${index + 1} of ${count}: ${shown(pack.source)} (${said})`);
}

/** A spec as printed: URLs without credentials, at most 200 characters. */
export function shown(spec: string): string {
  let text = spec;
  try {
    const url = new URL(spec);
    if (url.username || url.password) {
      url.username = '';
      url.password = '';
      text = url.href;
    }
  } catch {
    // a name or a path
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
