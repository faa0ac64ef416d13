// Users' SSH public keys, and which of them belong on a cluster's instances.
import crypto from 'node:crypto';
import { now, type Db, type InstanceAccount } from '../../../server/plugin-api.ts';

export interface SshKey { fingerprint: string; type: string; comment: string | null; createdAt: string; publicKey: string }

const TYPES = new Set(['ssh-ed25519', 'ssh-rsa', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521', 'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com']);

/** Parses one OpenSSH public key line; throws a reason for anything else (private keys included). */
export function parsePublicKey(text: unknown): { type: string; blob: string; comment: string | null; fingerprint: string } {
  if (typeof text !== 'string') throw new Error('expected the key as text');
  const line = text.trim();
  if (line.includes('PRIVATE KEY')) throw new Error('that is a private key — never share it; give the .pub file');
  if (line.length > 16_384 || /[\r\n\0]/.test(line)) throw new Error('expected exactly one line');
  const [type, blob, ...rest] = line.split(/\s+/);
  if (!type || !TYPES.has(type)) throw new Error(`unsupported key type ${JSON.stringify((type ?? '').slice(0, 40))}`);
  if (!blob || !/^[A-Za-z0-9+/]+={0,2}$/.test(blob)) throw new Error('the key data is not base64');
  const raw = Buffer.from(blob, 'base64');
  const nameLength = raw.length >= 4 ? raw.readUInt32BE(0) : -1;
  if (nameLength <= 0 || raw.subarray(4, 4 + nameLength).toString() !== type) throw new Error('the key data does not match its type');
  const comment = rest.join(' ').replace(/[^\x20-\x7e]/g, '').slice(0, 200) || null;
  const fingerprint = `SHA256:${crypto.createHash('sha256').update(raw).digest('base64').replace(/=+$/, '')}`;
  return { type, blob, comment, fingerprint };
}

export async function addKey(db: Db, userId: number, key: ReturnType<typeof parsePublicKey>): Promise<SshKey> {
  const row = { user_id: userId, fingerprint: key.fingerprint, type: key.type, public_key: `${key.type} ${key.blob}`, comment: key.comment, created_at: now() };
  await db('ssh_keys').insert(row);
  return toKey(row);
}

export async function listKeys(db: Db, userId: number): Promise<SshKey[]> {
  return (await db('ssh_keys').where({ user_id: userId }).orderBy('created_at')).map(toKey);
}

export async function deleteKey(db: Db, userId: number, fingerprint: string): Promise<boolean> {
  return (await db('ssh_keys').where({ user_id: userId, fingerprint }).delete()) > 0;
}

/** Enabled users with an SSH grant on the cluster, with their keys: what its instances must allow. */
export async function accountsForCluster(db: Db, cluster: string): Promise<InstanceAccount[]> {
  const rows = await db('grants').join('users', 'users.id', 'grants.user_id')
    .leftJoin('ssh_keys', 'ssh_keys.user_id', 'users.id')
    .where({ 'grants.scope_kind': 'cluster', 'grants.scope_name': cluster, 'grants.ssh': true, 'users.disabled': false })
    .select('users.name', 'grants.sudo', 'ssh_keys.public_key', 'ssh_keys.comment').orderBy('users.name');
  const accounts = new Map<string, InstanceAccount>();
  for (const r of rows) {
    const account: InstanceAccount = accounts.get(r.name) ?? { user: r.name, sudo: Boolean(r.sudo), keys: [] };
    if (r.public_key) account.keys.push(String(r.public_key));
    accounts.set(r.name, account);
  }
  return [...accounts.values()];
}

function toKey(r: Record<string, any>): SshKey {
  return { fingerprint: r.fingerprint, type: r.type, comment: r.comment, createdAt: r.created_at, publicKey: r.public_key };
}
