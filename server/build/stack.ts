// The STACK a build sees. Heroku's classic buildpacks check it to pick the binaries they download
// (heroku-22 is Ubuntu 22.04, heroku-24 is Ubuntu 24.04): on such an Ubuntu host builds get that
// name, so those buildpacks work unchanged; any other host is "scalarium-local", which a buildpack
// that needs a Heroku stack refuses by name rather than with binaries built for another system.
import fs from 'node:fs';

const HEROKU_STACKS: Record<string, string> = { '20.04': 'heroku-20', '22.04': 'heroku-22', '24.04': 'heroku-24' };
export const LOCAL_STACK = 'scalarium-local';

/** The stack named by an os-release file's text. */
export function stackFromOsRelease(text: string): string {
  const field = (name: string) => new RegExp(`^${name}="?([^"\\n]*)"?$`, 'm').exec(text)?.[1];
  return field('ID') === 'ubuntu' ? (HEROKU_STACKS[field('VERSION_ID') ?? ''] ?? LOCAL_STACK) : LOCAL_STACK;
}

let cached: string | undefined;

export function hostStack(): string {
  if (cached === undefined) {
    let text = '';
    try {
      text = fs.readFileSync('/etc/os-release', 'utf8');
    } catch {
      // no os-release: not a system Heroku's binaries were built for
    }
    cached = stackFromOsRelease(text);
  }
  return cached;
}
