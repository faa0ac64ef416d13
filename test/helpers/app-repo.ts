// A local git repository made from a fixture app, pushed with the real git client.
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ROOT } from './server.ts';

const execFileAsync = promisify(execFile);

export interface AppRepo {
  dir: string;
  git(...args: string[]): Promise<{ stdout: string; stderr: string }>;
  write(file: string, content: string): void;
  commit(message: string): Promise<string>;
  /** Pushes and never throws: returns exit code and the combined output. */
  push(remoteUrl: string, ref?: string): Promise<{ code: number; output: string }>;
  cleanup(): void;
}

export async function createAppRepo(fixture: string): Promise<AppRepo> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-app-'));
  fs.cpSync(path.join(ROOT, 'test', 'fixtures', 'apps', fixture), dir, { recursive: true });
  const env = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'Test', GIT_AUTHOR_EMAIL: 't@example.org', GIT_COMMITTER_NAME: 'Test', GIT_COMMITTER_EMAIL: 't@example.org' };
  const git = (...args: string[]) => execFileAsync('git', args, { cwd: dir, env, maxBuffer: 10 * 1024 * 1024 });
  await git('init', '-q', '-b', 'main');
  const repo: AppRepo = {
    dir,
    git,
    write(file, content) {
      fs.writeFileSync(path.join(dir, file), content);
    },
    async commit(message) {
      await git('add', '-A');
      await git('commit', '-q', '--allow-empty', '-m', message);
      return (await git('rev-parse', 'HEAD')).stdout.trim();
    },
    async push(remoteUrl, ref = 'main') {
      try {
        const { stdout, stderr } = await git('push', '--porcelain', remoteUrl, `${ref}:${ref}`);
        return { code: 0, output: stdout + stderr };
      } catch (error) {
        const e = error as { code?: number; stdout?: string; stderr?: string };
        return { code: typeof e.code === 'number' ? e.code : 1, output: `${e.stdout ?? ''}${e.stderr ?? ''}` };
      }
    },
    cleanup() {
      fs.rmSync(dir, { recursive: true, force: true });
    },
  };
  await repo.commit('v1');
  return repo;
}

export function authedGitUrl(serverUrl: string, app: string, token: string): string {
  const url = new URL(`${serverUrl}/${app}.git`);
  url.username = 'scalarium';
  url.password = token;
  return url.href;
}

/** Rewrites the node-hello fixture's response text. */
export function setResponse(repo: AppRepo, text: string): void {
  const file = path.join(repo.dir, 'server.js');
  const source = fs.readFileSync(file, 'utf8').replace(/const RESPONSE = .*;/, `const RESPONSE = ${JSON.stringify(text)};`);
  fs.writeFileSync(file, source);
}
