// The last build's output for the app page: the tail of <data>/builds/<id>.log, without terminal
// escape sequences (the buildpacks run under a pty).
import fsp from 'node:fs/promises';
import path from 'node:path';
import type { Scalarium } from '../../core/scalarium.ts';
import { dataPaths } from '../../core/paths.ts';
import { listBuilds, type Build } from '../../db/builds.ts';

const MAX_LOG = 64 * 1024;
const ANSI = /\x1b(?:\[[0-9;?]*[ -/]*[@-~]|\][^\x07\x1b]*(?:\x07|\x1b\\)|[@-Z\\-_])/g;

export async function lastBuildLog(scalarium: Scalarium, appId: number): Promise<{ build: Build; log: string; truncated: boolean } | undefined> {
  const [build] = await listBuilds(scalarium.db, appId, 1);
  if (!build) return undefined;
  const file = path.join(dataPaths(scalarium).builds, `${build.id}.log`);
  let handle: fsp.FileHandle | undefined;
  try {
    handle = await fsp.open(file, 'r');
    const { size } = await handle.stat();
    const length = Math.min(size, MAX_LOG);
    const buffer = Buffer.alloc(length);
    await handle.read(buffer, 0, length, size - length);
    return { build, log: clean(buffer.toString('utf8')), truncated: size > MAX_LOG };
  } catch {
    return { build, log: '', truncated: false };
  } finally {
    await handle?.close();
  }
}

function clean(text: string): string {
  return text.replace(ANSI, '').replace(/\r\n/g, '\n').replace(/^.*\r(?=[^\n])/gm, '').replace(/\r/g, '');
}
