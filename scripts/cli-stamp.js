// The stamp of dist/cli.mjs: its first line records the sha256 of every source file it was compiled
// from, so that bin/scalarium.js can tell, before running it, whether it still matches the sources.
// Plain JavaScript: it runs before any TypeScript loader, on every CLI call.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url)).replace(/\/$/, '');
export const CLI_OUTPUT = path.join(ROOT, 'dist', 'cli.mjs');
const PREFIX = '// scalarium-build ';

/** @param {string | Buffer} content */
export function sha256(content) {
  return crypto.createHash('sha256').update(content).digest('hex');
}

/** The stamp line for sources given as root-relative path → sha256. @param {Record<string, string>} sources */
export function stampLine(sources) {
  return `${PREFIX}${JSON.stringify({ sources })}\n`;
}

/**
 * Why `file` cannot be run as it is: missing, unstamped, or a source changed since it was built
 * (named). Undefined when every recorded source still has the recorded content.
 * Content hashes, not mtimes: a checkout, an rsync or a copy can give an edited file an old mtime.
 * @param {string} [file]
 * @returns {string | undefined}
 */
export function staleReason(file = CLI_OUTPUT) {
  let head;
  try {
    const fd = fs.openSync(file, 'r');
    try {
      // The stamp is the first line; ~100 bytes per source, so 64 KiB holds several hundred.
      const buffer = Buffer.alloc(65536);
      head = buffer.subarray(0, fs.readSync(fd, buffer, 0, buffer.length, 0)).toString('utf8');
    } finally {
      fs.closeSync(fd);
    }
  } catch {
    return `${path.relative(ROOT, file)} has not been built`;
  }
  const end = head.indexOf('\n');
  if (!head.startsWith(PREFIX) || end < 0) return `${path.relative(ROOT, file)} has no build stamp`;
  /** @type {Record<string, string>} */
  let sources;
  try {
    sources = JSON.parse(head.slice(PREFIX.length, end)).sources;
  } catch {
    return `${path.relative(ROOT, file)} has a damaged build stamp`;
  }
  for (const [source, recorded] of Object.entries(sources)) {
    let content;
    try {
      content = fs.readFileSync(path.join(ROOT, source));
    } catch {
      return `${source} is gone`;
    }
    if (sha256(content) !== recorded) return `${source} changed`;
  }
  return undefined;
}
