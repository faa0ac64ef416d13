// The database's link to the secret box: modules that store secrets (config vars, release config
// snapshots) seal and open them here, so no plaintext secret is ever written to a table.
import type { Db } from './knex.ts';
import { SecretBox } from '../core/secrets.ts';

// Keyed by the client's config: a transaction gets a client object of its own but shares the
// config, so that secrets can be sealed inside a transaction too.
const boxes = new WeakMap<object, SecretBox>();

export function attachSecrets(db: Db, box: SecretBox): void {
  boxes.set(db.client.config, box);
}

function boxFor(db: Db): SecretBox {
  const box = boxes.get(db.client.config);
  if (!box) throw new Error('no secret key is attached to this database');
  return box;
}

export function seal(db: Db, value: string, aad: string): string {
  return boxFor(db).seal(value, aad);
}

export function open(db: Db, value: string, aad: string): string {
  return boxFor(db).open(value, aad);
}
