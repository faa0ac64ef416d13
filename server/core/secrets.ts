// Secrets at rest: AES-256-GCM with a fresh 96-bit nonce per value, bound to where the value lives
// (the AAD, e.g. "config:12:DATABASE_URL") so a ciphertext cannot be moved to another row. The key
// comes from SCALARIUM_SECRET_KEY or <data>/secret.key (created at first start, mode 0600) — never
// from the database. Ciphertexts name their key (an id derived from it), so a key rotation that was
// cut short can still read both generations.
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

const PREFIX = 'enc:v1:';

export function keyId(key: Buffer): string {
  return crypto.createHash('sha256').update(key).digest('hex').slice(0, 8);
}

export function parseKey(text: string, source: string): Buffer {
  const trimmed = text.trim();
  const key = /^[0-9a-f]{64}$/i.test(trimmed) ? Buffer.from(trimmed, 'hex') : Buffer.from(trimmed, 'base64');
  if (key.length !== 32) throw new Error(`${source} must hold 32 bytes as 64 hex characters or base64`);
  return key;
}

export function newKeyText(): string {
  return crypto.randomBytes(32).toString('base64');
}

export class SecretBox {
  private readonly keys = new Map<string, Buffer>();
  readonly currentKeyId: string;

  /** The first key encrypts; all of them decrypt. */
  constructor(current: Buffer, ...older: Buffer[]) {
    this.currentKeyId = keyId(current);
    this.keys.set(this.currentKeyId, current);
    for (const key of older) this.keys.set(keyId(key), key);
  }

  static isSealed(value: string): boolean {
    return value.startsWith(PREFIX);
  }

  seal(plaintext: string, aad: string): string {
    const nonce = crypto.randomBytes(12);
    const cipher = crypto.createCipheriv('aes-256-gcm', this.keys.get(this.currentKeyId)!, nonce);
    cipher.setAAD(Buffer.from(aad));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final()]);
    return `${PREFIX}${this.currentKeyId}:${nonce.toString('base64url')}:${body.toString('base64url')}:${cipher.getAuthTag().toString('base64url')}`;
  }

  open(sealed: string, aad: string): string {
    if (!SecretBox.isSealed(sealed)) return sealed; // written before encryption existed
    const [id, nonce, body, tag] = sealed.slice(PREFIX.length).split(':');
    const key = this.keys.get(id ?? '');
    if (!key || !nonce || body === undefined || !tag) {
      throw new Error(`a secret was encrypted with key ${id}, which this server does not have (check SCALARIUM_SECRET_KEY or secret.key)`);
    }
    const decipher = crypto.createDecipheriv('aes-256-gcm', key, Buffer.from(nonce, 'base64url'));
    decipher.setAAD(Buffer.from(aad));
    decipher.setAuthTag(Buffer.from(tag, 'base64url'));
    return Buffer.concat([decipher.update(Buffer.from(body, 'base64url')), decipher.final()]).toString('utf8');
  }

  /**
   * Keys for one purpose (e.g. signing cookies), derived from the secret key with HKDF so that no
   * second key file has to be kept and every server that shares the secret key agrees on them. The
   * first signs; the others (from a rotation's older key) still verify.
   */
  derivedKeys(purpose: string): Buffer[] {
    const current = this.keys.get(this.currentKeyId)!;
    const all = [current, ...[...this.keys.values()].filter((key) => key !== current)];
    return all.map((key) => Buffer.from(crypto.hkdfSync('sha256', key, Buffer.alloc(0), `scalarium ${purpose}`, 32)));
  }
}

export function keyFilePath(dataDir: string): string {
  return path.join(dataDir, 'secret.key');
}

/** Loads (or, on first start, creates) the key; a leftover `secret.key.next` from an interrupted rotation also decrypts. */
export function loadSecretBox(dataDir: string, env: NodeJS.ProcessEnv = process.env): SecretBox {
  const file = keyFilePath(dataDir);
  const next = `${file}.next`;
  const older = fs.existsSync(next) ? [parseKey(fs.readFileSync(next, 'utf8'), next)] : [];
  if (env.SCALARIUM_SECRET_KEY) return new SecretBox(parseKey(env.SCALARIUM_SECRET_KEY, 'SCALARIUM_SECRET_KEY'), ...older);
  if (!fs.existsSync(file)) fs.writeFileSync(file, `${newKeyText()}\n`, { mode: 0o600, flag: 'wx' });
  const mode = fs.statSync(file).mode & 0o077;
  if (mode) fs.chmodSync(file, 0o600);
  return new SecretBox(parseKey(fs.readFileSync(file, 'utf8'), file), ...older);
}
