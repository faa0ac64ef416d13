// Instance access, as Scalarium did it: every user with SSH permission on the cluster gets an
// account on its instances with their public keys in authorized_keys, and sudo only if granted;
// an account that is no longer granted is removed on the next configure.
//
// Two modes. Sandboxed (local instances, which share this host): accounts live under
// <agentDir>/accounts/{home/<user>/.ssh/authorized_keys, sudoers.d/scalarium-<user>}. System
// (SCALARIUM_MANAGE_OS_USERS=1, an agent running as root on its own VM): real `scalarium-<user>`
// accounts made with useradd, and /etc/sudoers.d fragments checked with visudo.
import fs from 'node:fs/promises';
import path from 'node:path';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { isValidName } from '../core/names.ts';

const execFileAsync = promisify(execFile);

export interface AccountSpec { user: string; sudo: boolean; keys: string[] }

const KEY_LINE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,2}$/;

function validate(accounts: unknown): AccountSpec[] {
  if (!Array.isArray(accounts)) throw new Error('accounts must be a list');
  return accounts.map((a: AccountSpec) => {
    if (!isValidName(a.user)) throw new Error(`invalid account name ${JSON.stringify(String(a.user)).slice(0, 40)}`);
    if (!Array.isArray(a.keys) || !a.keys.every((k) => typeof k === 'string' && KEY_LINE.test(k))) throw new Error(`invalid keys for ${a.user}`);
    return { user: a.user, sudo: a.sudo === true, keys: a.keys };
  });
}

async function writePrivate(file: string, content: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const temp = `${file}.tmp`;
  await fs.writeFile(temp, content, { mode: 0o600 });
  await fs.rename(temp, file);
}

/** Sandboxed mode: returns the account names now present. */
export async function applySandboxedAccounts(root: string, raw: unknown): Promise<string[]> {
  const accounts = validate(raw);
  const home = path.join(root, 'home');
  const sudoers = path.join(root, 'sudoers.d');
  await fs.mkdir(home, { recursive: true, mode: 0o700 });
  await fs.mkdir(sudoers, { recursive: true, mode: 0o700 });
  for (const a of accounts) {
    await writePrivate(path.join(home, a.user, '.ssh', 'authorized_keys'), a.keys.map((k) => `${k}\n`).join(''));
    const sudoFile = path.join(sudoers, `scalarium-${a.user}`);
    if (a.sudo) await writePrivate(sudoFile, `scalarium-${a.user} ALL=(ALL) NOPASSWD:ALL\n`);
    else await fs.rm(sudoFile, { force: true });
  }
  const wanted = new Set(accounts.map((a) => a.user));
  for (const existing of await fs.readdir(home)) {
    if (!wanted.has(existing)) await fs.rm(path.join(home, existing), { recursive: true, force: true });
  }
  for (const file of await fs.readdir(sudoers)) {
    if (!wanted.has(file.replace(/^scalarium-/, ''))) await fs.rm(path.join(sudoers, file), { force: true });
  }
  return [...wanted].sort();
}

/** System mode: real accounts `scalarium-<user>` on an instance of its own (agent runs as root). */
export async function applySystemAccounts(raw: unknown): Promise<string[]> {
  const accounts = validate(raw);
  const { stdout } = await execFileAsync('getent', ['passwd']);
  const existing = stdout.split('\n').map((l) => l.split(':')[0] ?? '').filter((n) => n.startsWith('scalarium-') && isValidName(n.slice(10)));
  for (const a of accounts) {
    const account = `scalarium-${a.user}`;
    if (!existing.includes(account)) await execFileAsync('useradd', ['--create-home', '--shell', '/bin/bash', '--', account]);
    const home = `/home/${account}`;
    await writePrivate(path.join(home, '.ssh', 'authorized_keys'), a.keys.map((k) => `${k}\n`).join(''));
    await execFileAsync('chown', ['-R', '--', `${account}:${account}`, path.join(home, '.ssh')]);
    const sudoFile = `/etc/sudoers.d/${account}`;
    if (a.sudo) {
      await writePrivate(`${sudoFile}.tmp-check`, `${account} ALL=(ALL) NOPASSWD:ALL\n`);
      await execFileAsync('visudo', ['-cf', `${sudoFile}.tmp-check`]);
      await fs.rename(`${sudoFile}.tmp-check`, sudoFile);
    } else {
      await fs.rm(sudoFile, { force: true });
    }
  }
  const wanted = new Set(accounts.map((a) => `scalarium-${a.user}`));
  for (const account of existing) {
    if (wanted.has(account)) continue;
    await fs.rm(`/etc/sudoers.d/${account}`, { force: true });
    await execFileAsync('userdel', ['--remove', '--', account]).catch(() => {});
  }
  return accounts.map((a) => a.user).sort();
}
