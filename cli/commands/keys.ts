// keys, keys:add, keys:remove: your SSH public keys (installed on the instances of clusters where
// you were granted --ssh).
import { readFile, stat } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Command, Context } from '../command.ts';
import { CliError } from '../errors.ts';
import { formatTime, table } from '../output.ts';
import type { KeyBody, SshKey } from '../types.ts';

const KEY_TYPES = [
  'ssh-ed25519', 'ssh-rsa', 'ssh-dss', 'ecdsa-sha2-nistp256', 'ecdsa-sha2-nistp384', 'ecdsa-sha2-nistp521',
  'sk-ssh-ed25519@openssh.com', 'sk-ecdsa-sha2-nistp256@openssh.com',
];
const PUBLIC_KEY = /^(\S+)\s+([A-Za-z0-9+/]+={0,3})(?:\s+(.*))?$/;
const MAX_KEY_FILE = 64 * 1024;

/** True for anything that holds a private key: PEM/OpenSSH "PRIVATE KEY" blocks, PuTTY .ppk files. */
export function looksLikePrivateKey(text: string): boolean {
  return /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/.test(text) || /^PuTTY-User-Key-File-/m.test(text);
}

/** The one public key line of a .pub file, or an explanation of why the text is not one. */
export function parsePublicKey(text: string): { key: string } | { problem: string } {
  const lines = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line && !line.startsWith('#'));
  if (lines.length === 0) return { problem: 'it is empty' };
  if (lines[0].startsWith('---- BEGIN SSH2 PUBLIC KEY')) {
    return { problem: 'it is in the RFC 4716 format; convert it with `ssh-keygen -i -f FILE`' };
  }
  if (lines.length > 1) return { problem: `it holds ${lines.length} lines; give a file with one key` };
  const match = PUBLIC_KEY.exec(lines[0]);
  if (!match) return { problem: 'it is not of the form "TYPE BASE64 [COMMENT]"' };
  if (!KEY_TYPES.includes(match[1])) return { problem: `${JSON.stringify(match[1].slice(0, 40))} is not an SSH key type` };
  return { key: lines[0] };
}

function home(ctx: Context): string {
  return ctx.env.HOME || homedir();
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/** PATH (with `~/` expanded, relative to the working directory), else the first default key that exists. */
async function keyPath(ctx: Context): Promise<string> {
  const given = ctx.positionals[0];
  if (given !== undefined) {
    return given === '~' || given.startsWith('~/') ? join(home(ctx), given.slice(1)) : resolve(ctx.cwd, given);
  }
  const candidates = ['id_ed25519.pub', 'id_rsa.pub'].map((file) => join(home(ctx), '.ssh', file));
  for (const candidate of candidates) if (await isFile(candidate)) return candidate;
  throw new CliError(`No public key found: neither ${candidates.join(' nor ')} exists.`,
    'Give the path of a .pub file, or make a key first: ssh-keygen -t ed25519');
}

const list: Command = {
  name: 'keys',
  aliases: ['keys:list'],
  summary: 'List your SSH public keys',
  json: true,
  examples: ['scalarium keys', 'scalarium keys --json'],
  async run(ctx) {
    const keys = await (await ctx.api()).get<SshKey[]>('/api/keys');
    if (ctx.json) return ctx.printJson(keys);
    if (keys.length === 0) {
      ctx.out('No SSH keys. Add yours with: scalarium keys:add');
      return;
    }
    ctx.out(table(['FINGERPRINT', 'TYPE', 'COMMENT', 'ADDED'], keys.map((k) => [k.fingerprint, k.type ?? '', k.comment || '-', formatTime(k.createdAt)])));
  },
};

const add: Command = {
  name: 'keys:add',
  summary: 'Add an SSH public key (default ~/.ssh/id_ed25519.pub, then ~/.ssh/id_rsa.pub)',
  args: '[PATH]',
  positionals: { min: 0, max: 1 },
  json: true,
  description:
    'Reads a public key file and sends its one line. A file that holds a PRIVATE key is refused and\n' +
    'never sent. Your keys are installed on the instances of the clusters where you have SSH access.',
  examples: ['scalarium keys:add', 'scalarium keys:add ~/.ssh/work_ed25519.pub'],
  async run(ctx) {
    const path = await keyPath(ctx);
    let info;
    try {
      info = await stat(path);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw new CliError(code === 'ENOENT' ? `${path} does not exist.` : `Cannot read ${path}: ${(error as Error).message}`);
    }
    if (!info.isFile()) throw new CliError(`${path} is not a file.`);
    if (info.size > MAX_KEY_FILE) throw new CliError(`${path} is too big to be an SSH public key.`, 'Give the .pub file of your key.');
    let text: string;
    try {
      text = await readFile(path, 'utf8');
    } catch (error) {
      throw new CliError(`Cannot read ${path}: ${(error as Error).message}`);
    }
    if (looksLikePrivateKey(text)) {
      const pub = `${path}.pub`;
      throw new CliError(`${path} is a PRIVATE key: it was not sent. A private key must never leave your machine.`,
        (await isFile(pub)) ? `Add the public key instead: scalarium keys:add ${pub}` : `Give its public key (a .pub file); \`ssh-keygen -y -f ${path}\` prints it.`);
    }
    const parsed = parsePublicKey(text);
    if ('problem' in parsed) {
      throw new CliError(`${path} is not an SSH public key: ${parsed.problem}.`, 'Give a .pub file, e.g. ~/.ssh/id_ed25519.pub.');
    }
    const key = await (await ctx.api()).post<SshKey>('/api/keys', { publicKey: parsed.key } satisfies KeyBody);
    if (ctx.json) return ctx.printJson(key);
    ctx.out(`Added SSH key ${key.fingerprint}${key.comment ? ` (${key.comment})` : ''}.`);
  },
};

const remove: Command = {
  name: 'keys:remove',
  summary: 'Remove one of your SSH keys (by fingerprint, as `scalarium keys` shows it)',
  args: 'FINGERPRINT',
  positionals: { min: 1, max: 1 },
  description: 'The key is removed from the instances the next time their cluster is configured.',
  examples: ['scalarium keys:remove SHA256:4KZsXkfBxbZLsmBp7HvEwLYJ1DxJ84dwt5Tz1fDrLc8'],
  async run(ctx) {
    const given = ctx.positionals[0];
    if (!/^(?:SHA256:)?[A-Za-z0-9+/]{43}=?$/.test(given)) {
      throw ctx.usage(`${JSON.stringify(given)} is not an SSH key fingerprint.`, 'Fingerprints look like SHA256:4KZs…; `scalarium keys` lists yours.');
    }
    const fingerprint = given.startsWith('SHA256:') ? given : `SHA256:${given}`;
    await (await ctx.api()).delete(`/api/keys/${encodeURIComponent(fingerprint)}`);
    ctx.out(`Removed SSH key ${fingerprint}.`);
  },
};

export const commands: Command[] = [list, add, remove];
