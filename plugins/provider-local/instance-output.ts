// The last lines a local instance's process wrote to its output.log: what says why an agent or a
// router did not come up (EADDRINUSE, a missing module) or died. Shown in clusters:info and the
// cluster page, so they are made safe to print here, once: terminal escape sequences go, other
// control characters become visible (\x1b), and a very long line is cut.
import fsp from 'node:fs/promises';

export const OUTPUT_LINES = 20;
const TAIL_BYTES = 64 * 1024;
const MAX_LINE = 500;

export function printable(line: string): string {
  const text = line
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]/g, '')
    .replace(/[\x00-\x08\x0b-\x1f\x7f-\x9f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  return text.length > MAX_LINE ? `${text.slice(0, MAX_LINE)}…` : text;
}

/** The file's last `count` non-empty lines (from its last 64 KiB), printable; none if it is missing. */
export async function lastLines(file: string, count = OUTPUT_LINES): Promise<string[]> {
  let handle: fsp.FileHandle;
  try {
    handle = await fsp.open(file, 'r');
  } catch {
    return [];
  }
  try {
    const { size } = await handle.stat();
    const start = Math.max(0, size - TAIL_BYTES);
    const buffer = Buffer.alloc(size - start);
    await handle.read(buffer, 0, buffer.length, start);
    const lines = buffer.toString('utf8').split(/\r?\n/);
    if (start > 0) lines.shift(); // cut in the middle
    return lines.filter((l) => l.trim() !== '').slice(-count).map(printable);
  } finally {
    await handle.close();
  }
}
