// Where things live in the data directory (docs/how-it-works.md has the tree).
import path from 'node:path';
import type { Scalarium } from './scalarium.ts';
import { RepoStore } from '../git/repos.ts';

export function dataPaths(scalarium: Scalarium) {
  const root = scalarium.config.dataDir;
  return {
    repos: path.join(root, 'repos'),
    slugs: path.join(root, 'slugs'),
    builds: path.join(root, 'builds'),
    tmp: path.join(root, 'tmp'),
    logs: path.join(root, 'logs'),
    instances: path.join(root, 'instances'),
  };
}

/** The apps' bare repositories. */
export function repoStore(scalarium: Scalarium): RepoStore {
  return new RepoStore(dataPaths(scalarium).repos);
}
