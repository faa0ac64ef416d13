// Does the host's Node.js satisfy package.json `engines.node`? With the semver package: npm's own
// range rules (exact versions, comparators, ^, ~, x-ranges, hyphen ranges, ||), not a copy of them.
// In this repository `semver` resolves from node_modules; the server bundles it into the buildpack
// it publishes for builds (server/build/buildpack-bundle.ts), so a build host needs nothing
// installed and the slug gets nothing of it.
//
// Usage as a command: node semver.mjs RANGE [VERSION]
//   VERSION defaults to the running Node's version.
//   Exit 0: satisfied, 1: not satisfied, 2: the range could not be parsed.

import { pathToFileURL } from 'node:url';
import satisfiesRange from 'semver/functions/satisfies.js';
import validRange from 'semver/ranges/valid.js';
import validVersion from 'semver/functions/valid.js';

export class UnparsableRangeError extends Error {}

/** True when `version` satisfies `range`. Throws UnparsableRangeError when either cannot be parsed. */
export function satisfies(version, range) {
  if (validVersion(version) === null) throw new UnparsableRangeError(`"${version}" is not a version`);
  if (validRange(range) === null) throw new UnparsableRangeError(`"${range}" is not a version range`);
  return satisfiesRange(version, range);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const [range, version = process.versions.node] = process.argv.slice(2);
  try {
    process.exitCode = satisfies(version, range ?? '') ? 0 : 1;
  } catch (err) {
    if (!(err instanceof UnparsableRangeError)) throw err;
    process.stderr.write(`${err.message}\n`);
    process.exitCode = 2;
  }
}
