// First start: create the admin user and its API token, and say how to log in.
import fs from 'node:fs';
import path from 'node:path';
import type { Db } from '../db/knex.ts';
import { countUsers, createToken, createUser } from '../db/identity.ts';
import { appendAudit } from '../db/audit.ts';

export async function bootstrapAdmin(db: Db, dataDir: string, presetToken: string | undefined): Promise<{ token: string; userId: number } | undefined> {
  if ((await countUsers(db)) > 0) return undefined;
  const admin = await createUser(db, 'admin', { admin: true });
  const token = await createToken(db, admin.id, { name: 'initial', plaintext: presetToken });
  const file = path.join(dataDir, 'initial-admin-token');
  fs.writeFileSync(file, `${token}\n`, { mode: 0o600 });
  fs.chmodSync(file, 0o600);
  await appendAudit(db, { actor: 'scalarium', action: 'user.create', target: 'admin', outcome: 'ok', detail: { firstStart: true } });
  return { token, userId: admin.id };
}
