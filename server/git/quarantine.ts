// During a push git keeps the new objects in a quarantine folder (objects/incoming-*) that it moves
// into the repository only after the pre-receive hook said yes — and deletes if the hook (or the
// server behind it) dies. The server copies them in itself just before it records the release, so
// that the release's commit exists in the repository whatever happens next. Objects are named by
// their content: adding them is harmless, and git's own move later finds them already there.
import fsp from 'node:fs/promises';
import path from 'node:path';

/** Copies every object file of the push's quarantine into the repository's object store. */
export async function keepQuarantinedObjects(repoDir: string, quarantine: string | null): Promise<void> {
  if (!quarantine) return; // nothing quarantined (git without quarantine support moved them already)
  const objects = path.join(repoDir, 'objects');
  const resolved = path.resolve(repoDir, quarantine); // git may give it relative to the repository
  // The path comes from our own hook, but only a quarantine of this very repository is accepted.
  if (path.dirname(resolved) !== objects || !/^(?:tmp_objdir-)?incoming-/.test(path.basename(resolved))) {
    throw new Error(`not a quarantine of this repository: ${quarantine}`);
  }
  const files = (await fsp.readdir(resolved, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => path.relative(resolved, path.join(e.parentPath ?? (e as unknown as { path: string }).path, e.name)));
  // A pack counts once its index exists: packs (and everything else) first, indexes last.
  files.sort((a, b) => Number(a.endsWith('.idx')) - Number(b.endsWith('.idx')));
  for (const file of files) {
    if (!/^(?:[0-9a-f]{2}\/[0-9a-f]{38,62}|pack\/pack-[0-9a-f]{40,64}\.(?:pack|idx|rev))$/.test(file)) continue;
    const target = path.join(objects, file);
    if (await fsp.stat(target).then(() => true, () => false)) continue;
    await fsp.mkdir(path.dirname(target), { recursive: true });
    const part = `${target}.scalarium-${process.pid}.tmp`;
    await fsp.copyFile(path.join(resolved, file), part);
    await fsp.chmod(part, 0o444);
    await fsp.rename(part, target);
  }
}
