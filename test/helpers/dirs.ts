// Temp folders for a test server: <root>/data (the server's own, 0700) and <root>/apps (where apps
// and builds work). The root is 0711 so that apps' uids can walk to their folders, as below /var/lib.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { APP_PORTS_CHAIN, firewallTools } from '../../server/net/loopback-guard.ts';
import { isAlive } from './processes.ts';

export interface ServerDirs { root: string; dataDir: string; appsDir: string; env: Record<string, string>; remove(): void }

export function serverDirs(prefix = 'scalarium-test-'): ServerDirs {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  fs.chmodSync(root, 0o711);
  // As in a clone of Scalarium (where the default data dir is): a Node project of "type": "module"
  // above the server's folders. Apps must not inherit it.
  fs.writeFileSync(path.join(root, 'package.json'), '{ "name": "enclosing-project", "type": "module" }\n', { mode: 0o644 });
  const dataDir = path.join(root, 'data');
  const appsDir = path.join(root, 'apps');
  const uids = claimUidBlock();
  return {
    root, dataDir, appsDir,
    env: { SCALARIUM_DATA_DIR: dataDir, SCALARIUM_APPS_DIR: appsDir, SCALARIUM_APP_UIDS: uids.range },
    remove: () => {
      fs.rmSync(root, { recursive: true, force: true });
      dropUidsRule(uids.range);
      uids.release();
    },
  };
}

/**
 * A server's firewall guard refuses its app uids on loopback with one rule per uid range, which
 * stays when the server stops (in production the range is the host's). A test server's range is
 * its claimed block: the rule goes with the block. The chain and its entry, shared by every server
 * of the host, stay.
 */
function dropUidsRule(range: string): void {
  if (process.getuid?.() !== 0) return;
  const rule = ['-p', 'tcp', '-m', 'owner', '--uid-owner', range, '-j', 'REJECT', '--reject-with', 'tcp-reset'];
  for (const tool of firewallTools()) {
    // Until none is left; -D fails when there is none (no firewall, or SCALARIUM_FIREWALL_APP_PORTS=0).
    for (let i = 0; i < 5; i++) {
      try {
        execFileSync(tool, ['-w', '5', '-D', APP_PORTS_CHAIN, ...rule], { stdio: 'ignore', env: { PATH: '/usr/sbin:/usr/bin:/sbin:/bin' } });
      } catch {
        break;
      }
    }
  }
}

// Test servers run side by side on one host, and a server kills every process of a build uid when
// the build ends: two servers must never share uids. Each claims a block of its own.
const UID_BASE = 700_000_000;
const UID_BLOCK = 200;
const UID_BLOCKS = 5000;
const CLAIMS = path.join(os.tmpdir(), 'scalarium-test-uid-blocks');

function claimUidBlock(): { range: string; release(): void } {
  fs.mkdirSync(CLAIMS, { recursive: true });
  const start = Math.floor(Math.random() * UID_BLOCKS);
  for (let i = 0; i < UID_BLOCKS; i++) {
    const block = (start + i) % UID_BLOCKS;
    const file = path.join(CLAIMS, String(block));
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
    } catch {
      // Taken; a claim of a test process that died is stale and freed.
      const owner = Number(fs.readFileSync(file, 'utf8') || 0);
      if (owner && isAlive(owner)) continue;
      fs.rmSync(file, { force: true });
      try {
        fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      } catch {
        continue;
      }
    }
    const first = UID_BASE + block * UID_BLOCK;
    return { range: `${first}-${first + UID_BLOCK - 1}`, release: () => fs.rmSync(file, { force: true }) };
  }
  throw new Error('no free block of test uids');
}
