// Checks out a pushed commit into a build directory with `git archive`. During pre-receive the
// commit's objects are still in git's quarantine directory, so we point git at it explicitly. git
// reads the repository as the server; tar writes the files confined to the build's identity, so
// the checkout can land nowhere but the build directory and belongs to the build's uid.
import { spawn } from 'node:child_process';
import type { ConfinedCommand } from '../sandbox/confine.ts';

export interface QuarantineEnv {
  objectDirectory?: string | null;
  alternates?: string | null;
}

/** How to run tar for the checkout (confined by the build workspace); plain tar when not given. */
export type TarCommand = (argv: string[]) => ConfinedCommand;

export async function extractCommit(repoDir: string, commit: string, target: string, quarantine: QuarantineEnv = {}, tarCommand?: TarCommand): Promise<void> {
  if (!/^[0-9a-f]{40,64}$/.test(commit)) throw new Error('invalid commit id');
  const env: Record<string, string> = { PATH: process.env.PATH ?? '/usr/bin:/bin' };
  if (quarantine.objectDirectory) env.GIT_OBJECT_DIRECTORY = quarantine.objectDirectory;
  if (quarantine.alternates) env.GIT_ALTERNATE_OBJECT_DIRECTORIES = quarantine.alternates;
  const archive = spawn('git', ['-C', repoDir, 'archive', '--format=tar', commit], { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const tarArgv = ['tar', '-x', '--no-same-owner', '--no-same-permissions', '-C', target];
  const tar = tarCommand ? tarCommand(tarArgv) : { file: 'tar', args: tarArgv.slice(1), cwd: target };
  const untar = spawn(tar.file, tar.args, { cwd: tar.cwd, env: { PATH: env.PATH! }, stdio: ['pipe', 'ignore', 'pipe'], detached: true });
  archive.stdout.pipe(untar.stdin);
  untar.stdin.on('error', () => {});
  const errors: string[] = [];
  archive.stderr.on('data', (d: Buffer) => errors.push(d.toString()));
  untar.stderr.on('data', (d: Buffer) => errors.push(d.toString()));
  const exit = (p: ReturnType<typeof spawn>) => new Promise<number>((resolve) => {
    p.on('error', (error) => {
      errors.push(error.message);
      resolve(1);
    });
    p.on('close', (code) => resolve(code ?? 1));
  });
  const [a, u] = await Promise.all([exit(archive), exit(untar)]);
  if (a !== 0 || u !== 0) throw new Error(`could not check out ${commit.slice(0, 7)}: ${errors.join('').trim().slice(0, 500)}`);
}
