// At server start: the host made ready for isolated apps and builds, or a clear reason why not.
import path from 'node:path';
import type { Scalarium } from '../core/scalarium.ts';
import { firstUnreachableAncestor, packageBoundary, platformDir } from './dirs.ts';
import { BUILTIN_ORDER, BUILTIN_SOURCE_DIR } from '../build/buildpack-runner.ts';
import { installBuiltinBuildpacks, sweepBuildWorkspaces } from '../build/workspace.ts';
import { overlapsOnHost } from './identities.ts';
import { describeLimits } from './limits.ts';

/** Returns the lines to print at start; throws when the configuration cannot isolate anything. */
export async function prepareIsolation(scalarium: Scalarium): Promise<string[]> {
  const { isolation, config } = scalarium;
  const lines = [`isolation: ${isolation.summary}`];
  if (isolation.warning) {
    const bar = '!'.repeat(100);
    lines.push(bar, `! WARNING: ${isolation.warning}`, bar);
  }
  await platformDir(config.appsDir, 0o711);
  await packageBoundary(config.appsDir);
  if (isolation.mode === 'uid') {
    const clashes = overlapsOnHost(config.appUids);
    if (clashes.length) {
      throw new Error(`SCALARIUM_APP_UIDS ${config.appUids.first}-${config.appUids.last} overlaps ${clashes.slice(0, 3).join(', ')}: ` +
        'apps would share uids with them. Choose a free range with SCALARIUM_APP_UIDS.');
    }
  }
  if (isolation.mode === 'uid' && !isolation.bwrap) {
    // Without bind mounts the apps' uids walk the real path to their folders.
    const blocked = firstUnreachableAncestor(config.appsDir);
    if (blocked) {
      throw new Error(`SCALARIUM_APPS_DIR ${config.appsDir} cannot be reached by the apps' uids: ${blocked} is not traversable by others. ` +
        'Choose an apps dir below a traversable path (e.g. /var/lib/scalarium/apps), or install bubblewrap.');
    }
    const nodeBlocked = firstUnreachableAncestor(path.dirname(process.execPath));
    if (nodeBlocked) lines.push(`! WARNING: apps cannot run ${process.execPath}: ${nodeBlocked} is not traversable by others (install Node system-wide, or install bubblewrap)`);
  }
  await installBuiltinBuildpacks(scalarium, BUILTIN_SOURCE_DIR, BUILTIN_ORDER);
  const swept = await sweepBuildWorkspaces(scalarium);
  if (swept) lines.push(`removed ${swept} build folder(s) left by an interrupted build`);
  lines.push(`apps and builds work in ${config.appsDir}`);
  const limits = `each app process: ${describeLimits(config.appLimits)}; each build: ${describeLimits(config.buildLimits)}`;
  const { cgroups } = scalarium;
  scalarium.statusNotes.set('Resource limits', { ok: Boolean(cgroups.host), text: `${limits} — ${cgroups.summary}` });
  lines.push(`resource limits: ${limits} — ${cgroups.summary}`);
  return lines;
}
