// A small, dependency-free semver range check, enough for package.json `engines.node`.
//
// Supported: exact versions (`20.1.0`, `=20.1.0`, `v20.1.0`), comparators (`>=`, `>`, `<`, `<=`),
// caret (`^20.1`), tilde (`~20.1`, `~>20.1`), x-ranges (`20`, `20.x`, `20.1.*`, `*`, ``),
// hyphen ranges (`18 - 20`), space-separated AND sets and `||` alternatives.
// Prerelease and build suffixes are accepted and ignored (only major.minor.patch is compared).
//
// Usage as a command: node semver.mjs RANGE [VERSION]
//   VERSION defaults to the running Node's version.
//   Exit 0: satisfied, 1: not satisfied, 2: the range could not be parsed.

import { pathToFileURL } from 'node:url';

export class UnparsableRangeError extends Error {}

const PARTIAL =
  /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;
const OPERATOR = /^(>=|<=|>|<|=|\^|~>?)?(.*)$/;

/** Parses `1`, `1.2`, `1.x.x`, `1.2.3-rc.1` into [major, minor, patch] with null for wildcards. */
function parsePartial(text) {
  const m = PARTIAL.exec(text);
  if (!m) throw new UnparsableRangeError(`cannot parse version "${text}"`);
  const parts = [];
  for (const p of [m[1], m[2], m[3]]) {
    if (p === undefined || /^[xX*]$/.test(p) || parts.includes(null)) parts.push(null);
    else parts.push(Number(p));
  }
  return parts;
}

/** Parses a full version (as reported by Node) into [major, minor, patch]. */
export function parseVersion(text) {
  const parts = parsePartial(String(text).trim());
  if (parts.includes(null)) throw new UnparsableRangeError(`"${text}" is not a full version`);
  return parts;
}

function compare(a, b) {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i] ? -1 : 1;
  return 0;
}

const fill = (parts) => parts.map((p) => p ?? 0);
const count = (parts) => parts.filter((p) => p !== null).length;
const NEVER = [['<', [0, 0, 0]]];

/** Turns one `<op><partial>` token into a list of primitive comparators [op, [M, m, p]]. */
function comparators(op, parts) {
  const n = count(parts);
  const [M, m, p] = fill(parts);
  const upperMinor = [M, m + 1, 0];
  const upperMajor = [M + 1, 0, 0];
  switch (op) {
    case '':
    case '=':
      if (n === 0) return [];
      if (n === 1) return [['>=', [M, 0, 0]], ['<', upperMajor]];
      if (n === 2) return [['>=', [M, m, 0]], ['<', upperMinor]];
      return [['=', [M, m, p]]];
    case '>=':
      return n === 0 ? [] : [['>=', [M, m, p]]];
    case '>':
      if (n === 0) return NEVER;
      if (n === 1) return [['>=', upperMajor]];
      if (n === 2) return [['>=', upperMinor]];
      return [['>', [M, m, p]]];
    case '<':
      return n === 0 ? NEVER : [['<', [M, m, p]]];
    case '<=':
      if (n === 0) return [];
      if (n === 1) return [['<', upperMajor]];
      if (n === 2) return [['<', upperMinor]];
      return [['<=', [M, m, p]]];
    case '~':
    case '~>':
      if (n === 0) return [];
      if (n === 1) return [['>=', [M, 0, 0]], ['<', upperMajor]];
      return [['>=', [M, m, p]], ['<', upperMinor]];
    case '^':
      if (n === 0) return [];
      if (n === 1 || M > 0) return [['>=', [M, m, p]], ['<', upperMajor]];
      if (n === 2 || m > 0) return [['>=', [M, m, p]], ['<', upperMinor]];
      return [['>=', [M, m, p]], ['<', [M, m, p + 1]]];
    default:
      throw new UnparsableRangeError(`unknown operator "${op}"`);
  }
}

function hyphen(lowText, highText) {
  const low = parsePartial(lowText);
  const high = parsePartial(highText);
  const result = count(low) === 0 ? [] : [['>=', fill(low)]];
  return result.concat(comparators('<=', high));
}

/** Parses a range into a list of alternatives, each a list of primitive comparators (AND). */
export function parseRange(range) {
  if (typeof range !== 'string') throw new UnparsableRangeError('range must be a string');
  return range.split('||').map((alternative) => {
    const text = alternative.trim().replace(/(>=|<=|>|<|=|\^|~>?)\s+/g, '$1');
    if (text === '') return [];
    const h = /^(\S+)\s+-\s+(\S+)$/.exec(text);
    if (h) return hyphen(h[1], h[2]);
    return text.split(/\s+/).flatMap((token) => {
      const [, op = '', rest] = OPERATOR.exec(token) ?? [];
      return comparators(op, parsePartial(rest));
    });
  });
}

function test(op, version, bound) {
  const c = compare(version, bound);
  switch (op) {
    case '=': return c === 0;
    case '>=': return c >= 0;
    case '>': return c > 0;
    case '<': return c < 0;
    case '<=': return c <= 0;
    default: return false;
  }
}

/** True when `version` satisfies `range`. Throws UnparsableRangeError when either cannot be parsed. */
export function satisfies(version, range) {
  const v = parseVersion(version);
  return parseRange(range).some((set) => set.every(([op, bound]) => test(op, v, bound)));
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
