// Checks out a pushed commit into a build directory with `git archive`. During pre-receive the
// commit's objects are still in git's quarantine directory, so we point git at it explicitly.
import { spawn } from 'node:child_process';
import fsp from 'node:fs/promises';

export interface QuarantineEnv {
  objectDirectory?: string | null;
  alternates?: string | null;
}

export async function extractCommit(repoDir: string, commit: string, target: string, quarantine: QuarantineEnv = {}): Promise<void> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error('invalid commit id');
  await fsp.mkdir(target, { recursive: true });
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (quarantine.objectDirectory) env.GIT_OBJECT_DIRECTORY = quarantine.objectDirectory;
  if (quarantine.alternates) env.GIT_ALTERNATE_OBJECT_DIRECTORIES = quarantine.alternates;
  const archive = spawn('git', ['-C', repoDir, 'archive', '--format=tar', commit], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const untar = spawn('tar', ['-x', '-C', target], { stdio: ['pipe', 'ignore', 'pipe'] });
  archive.stdout.pipe(untar.stdin);
  const errors: string[] = [];
  archive.stderr.on('data', (d: Buffer) => errors.push(d.toString()));
  untar.stderr.on('data', (d: Buffer) => errors.push(d.toString()));
  const exit = (p: ReturnType<typeof spawn>) => new Promise<number>((resolve) => p.on('close', (code) => resolve(code ?? 1)));
  const [a, u] = await Promise.all([exit(archive), exit(untar)]);
  if (a !== 0 || u !== 0) throw new Error(`could not check out ${commit.slice(0, 7)}: ${errors.join('').trim()}`);
}
