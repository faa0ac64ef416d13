// `scalarium-server rotate-key`: re-encrypts every stored secret with a new key. The new key is
// written to secret.key.next first (so an interruption leaves both keys readable), the database is
// re-sealed in transactions, then the new key replaces the old one.
import fs from 'node:fs';
import type { Db } from '../db/knex.ts';
import { resealConfig } from '../db/apps.ts';
import { resealReleases } from '../db/releases.ts';
import { resealClusterCredentials } from '../db/clusters.ts';
import { keyFilePath, loadSecretBox, newKeyText, parseKey, SecretBox } from './secrets.ts';

/** Seals values still stored in plaintext (written before encryption existed) with the current key. */
export async function sealPlaintextSecrets(db: Db, box: SecretBox): Promise<number> {
  const reseal = (value: string, aad: string) => (SecretBox.isSealed(value) ? value : box.seal(value, aad));
  return (await resealConfig(db, reseal)) + (await resealReleases(db, reseal)) + (await resealClusterCredentials(db, reseal));
}

export async function rotateKey(db: Db, dataDir: string, env: NodeJS.ProcessEnv): Promise<string> {
  const old = loadSecretBox(dataDir, env);
  const file = keyFilePath(dataDir);
  let nextText: string;
  if (env.SCALARIUM_SECRET_KEY) {
    if (!env.SCALARIUM_NEW_SECRET_KEY) {
      throw new Error('the key comes from SCALARIUM_SECRET_KEY: set SCALARIUM_NEW_SECRET_KEY to the new key (e.g. `openssl rand -base64 32`) and run rotate-key again');
    }
    nextText = env.SCALARIUM_NEW_SECRET_KEY;
  } else {
    nextText = newKeyText();
    fs.writeFileSync(`${file}.next`, `${nextText}\n`, { mode: 0o600 });
  }
  const next = parseKey(nextText, 'the new key');
  const both = new SecretBox(next, ...[fs.readFileSync(file, 'utf8')].filter(() => !env.SCALARIUM_SECRET_KEY).map((t) => parseKey(t, file)));
  const reseal = (value: string, aad: string) => both.seal(SecretBox.isSealed(value) ? openWith(old, both, value, aad) : value, aad);
  const count = (await resealConfig(db, reseal)) + (await resealReleases(db, reseal)) + (await resealClusterCredentials(db, reseal));
  if (env.SCALARIUM_SECRET_KEY) return `re-encrypted ${count} value(s); now start the server with SCALARIUM_SECRET_KEY set to the new key`;
  fs.renameSync(`${file}.next`, file);
  return `re-encrypted ${count} value(s) with a new key in ${file}`;
}

function openWith(old: SecretBox, both: SecretBox, value: string, aad: string): string {
  try {
    return old.open(value, aad);
  } catch {
    return both.open(value, aad);
  }
}
