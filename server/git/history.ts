// Reads of an app's repository with isomorphic-git, in-process (no git process per read): which
// commit a ref or a short id names, and the recent commits of a branch for the app page and API.
// Writes (receiving pushes, moving branches) stay with native git.
import fs from 'node:fs';
import git from 'isomorphic-git';

export interface CommitSummary { sha: string; message: string; author: string; date: string }

const HEX = /^[0-9a-f]{4,40}$/;
/** A branch or tag name as git allows it, without the parts that could climb out of refs/. */
const REF = /^(?!.*\.\.)(?!.*\/\/)[A-Za-z0-9._-][A-Za-z0-9._/-]{0,200}$/;

/** The commit `ref` names (a branch, or a full or unambiguous short id; tags are peeled), or undefined. */
export async function resolveCommit(gitdir: string, ref: string): Promise<string | undefined> {
  if (!HEX.test(ref) && !REF.test(ref)) return undefined;
  try {
    let oid = HEX.test(ref)
      ? await git.expandOid({ fs, gitdir, oid: ref })
      : await git.resolveRef({ fs, gitdir, ref: ref.startsWith('refs/') ? ref : `refs/heads/${ref}` });
    for (let depth = 0; depth < 10; depth++) {
      const { type, object } = await git.readObject({ fs, gitdir, oid, format: 'parsed' });
      if (type === 'commit') return oid;
      if (type !== 'tag') return undefined;
      oid = (object as { object: string }).object;
    }
  } catch {
    // not found, ambiguous, or not a repository
  }
  return undefined;
}

/** The newest `limit` commits reachable from the branch, newest first; [] before the first push. */
export async function recentCommits(gitdir: string, branch: string, limit: number): Promise<CommitSummary[]> {
  const head = await resolveCommit(gitdir, branch);
  if (!head) return [];
  const entries = await git.log({ fs, gitdir, ref: head, depth: limit });
  return entries.map(({ oid, commit }) => ({
    sha: oid,
    message: commit.message.split('\n')[0]!.slice(0, 200),
    author: commit.author.name.slice(0, 100),
    date: new Date(commit.author.timestamp * 1000).toISOString(),
  }));
}
