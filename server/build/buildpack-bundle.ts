// A built-in buildpack's helper scripts (lib/*.mjs) may import npm packages of this repository (the
// nodejs buildpack's semver check). Builds run them from the published copy, outside the
// repository and without its node_modules, so each is bundled with what it imports, from its source.
import fs from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

const BARE_IMPORT = /^\s*import\s[^;]*?from\s+['"](?![./]|node:)[^'"]+['"]/m;

export async function bundleBuildpackScripts(sourceDir: string, targetDir: string): Promise<void> {
  const lib = path.join(sourceDir, 'lib');
  for (const name of fs.existsSync(lib) ? fs.readdirSync(lib) : []) {
    if (!name.endsWith('.mjs') || !BARE_IMPORT.test(fs.readFileSync(path.join(lib, name), 'utf8'))) continue;
    await build({
      entryPoints: [path.join(lib, name)], outfile: path.join(targetDir, 'lib', name), allowOverwrite: true,
      bundle: true, platform: 'node', format: 'esm', target: 'node20', logLevel: 'silent', legalComments: 'inline',
    });
  }
}
