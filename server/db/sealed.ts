// The database's link to the secret box: modules that store secrets (config vars, release config
// snapshots) seal and open them here, so no plaintext secret is ever written to a table.
import type { Db } from './knex.ts';
import { SecretBox } from '../core/secrets.ts';

const boxes = new WeakMap<object, SecretBox>();

export function attachSecrets(db: Db, box: SecretBox): void {
  boxes.set(db.client, box);
}

function boxFor(db: Db): SecretBox {
  const box = boxes.get(db.client);
  if (!box) throw new Error('no secret key is attached to this database');
  return box;
}

export function seal(db: Db, value: string, aad: string): string {
  return boxFor(db).seal(value, aad);
}

export function open(db: Db, value: string, aad: string): string {
  return boxFor(db).open(value, aad);
}
