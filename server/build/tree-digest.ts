// A SHA-256 of a directory tree as a build would see it: each entry's relative path, kind,
// executable bits and content (a link's target), in a fixed order; plus extra files that shape what
// is made from it (the lockfile that pins what a helper script bundles).
import crypto from 'node:crypto';
import fsp from 'node:fs/promises';
import path from 'node:path';

export async function treeDigest(dir: string, extraFiles: string[] = []): Promise<string> {
  const hash = crypto.createHash('sha256');
  const walk = async (relative: string): Promise<void> => {
    const full = path.join(dir, relative);
    const stat = await fsp.lstat(full);
    if (stat.isSymbolicLink()) hash.update(`link ${relative}\0${await fsp.readlink(full)}\0`);
    else if (stat.isDirectory()) {
      hash.update(`dir ${relative}\0`);
      for (const entry of (await fsp.readdir(full)).sort()) await walk(path.join(relative, entry));
    } else if (stat.isFile()) {
      hash.update(`file ${relative} ${(stat.mode & 0o111).toString(8)} ${stat.size}\0`);
      hash.update(await fsp.readFile(full));
    }
  };
  await walk('');
  for (const file of extraFiles) {
    const content = await fsp.readFile(file).catch(() => Buffer.alloc(0));
    hash.update(`extra ${path.basename(file)} ${content.length}\0`).update(content);
  }
  return hash.digest('hex');
}
