// Temp folders for a test server: <root>/data (the server's own, 0700) and <root>/apps (where apps
// and builds work). The root is 0711 so that apps' uids can walk to their folders, as below /var/lib.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface ServerDirs { root: string; dataDir: string; appsDir: string; env: Record<string, string>; remove(): void }

export function serverDirs(prefix = 'scalarium-test-'): ServerDirs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(root, 0o711);
  // As in a clone of Scalarium (where the default data dir is): a Node project of "type": "module"
  // above the server's folders. Apps must not inherit it.
  fs.writeFileSync(path.join(root, 'package.json'), '{ "name": "enclosing-project", "type": "module" }\n', { mode: 0o644 });
  const dataDir = path.join(root, 'data');
  const appsDir = path.join(root, 'apps');
  return {
    root, dataDir, appsDir,
    env: { SCALARIUM_DATA_DIR: dataDir, SCALARIUM_APPS_DIR: appsDir },
    remove: () => fs.rmSync(root, { recursive: true, force: true }),
  };
}
