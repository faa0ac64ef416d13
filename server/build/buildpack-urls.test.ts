// In-process parts of the buildpack contract: which URLs are git repositories and which refs they
// may name, what STACK a host gets, and how a download that is no tarball is described.
import test from 'ava';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseGitBuildpackUrl } from './buildpack-git.ts';
import { stackFromOsRelease } from './stack.ts';
import { notATarballReason } from './buildpack-tarball.ts';

test('git buildpack URLs: an http(s) path ending in .git, with an optional #ref that must be a plain branch or tag name', (t) => {
  const parsed = parseGitBuildpackUrl(new URL('https://github.com/heroku/heroku-buildpack-nodejs.git#v250'));
  t.is(parsed?.repository.href, 'https://github.com/heroku/heroku-buildpack-nodejs.git');
  t.is(parsed?.ref, 'v250');
  t.is(parseGitBuildpackUrl(new URL('https://example.org/pack.git'))?.ref, undefined);
  t.is(parseGitBuildpackUrl(new URL('https://example.org/pack.git#release/2024'))?.ref, 'release/2024');
  t.is(parseGitBuildpackUrl(new URL('https://example.org/pack.tgz')), undefined, 'a tarball');
  t.is(parseGitBuildpackUrl(new URL('ssh://example.org/pack.git')), undefined, 'only http(s)');
  for (const ref of ['--upload-pack=touch', '-x', 'a..b', 'a b', '$(id)']) {
    t.throws(() => parseGitBuildpackUrl(new URL(`https://example.org/pack.git#${encodeURIComponent(ref)}`)), { message: /is not a branch or tag name/ }, ref);
  }
});

test('STACK: the Heroku stack of an Ubuntu LTS host, scalarium-local elsewhere', (t) => {
  t.is(stackFromOsRelease('NAME="Ubuntu"\nID=ubuntu\nVERSION_ID="22.04"\n'), 'heroku-22');
  t.is(stackFromOsRelease('ID=ubuntu\nVERSION_ID="24.04"\n'), 'heroku-24');
  t.is(stackFromOsRelease('ID=ubuntu\nVERSION_ID="23.10"\n'), 'scalarium-local');
  t.is(stackFromOsRelease('PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"\nID=debian\nVERSION_ID="12"\n'), 'scalarium-local');
  t.is(stackFromOsRelease(''), 'scalarium-local');
});

test('a download that is no tarball: the unpacker\'s reason without its advice for app archives, and the kind of content', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'scalarium-not-tar-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const reason = new Error('the file is empty or not a tar archive (.tar or .tar.gz); create it again with `tar -czf app.tar.gz -C my-app .`');
  const cases: Array<[Buffer | string, RegExp]> = [
    ['<!DOCTYPE html><html>secret page</html>', /the download is an HTML page/],
    [Buffer.from('PK\x03\x04rest', 'latin1'), /the download is a zip archive, not a tarball/],
    ['{"error":"not found"}', /the download is JSON/],
    ['', /the download is empty/],
  ];
  for (const [content, expected] of cases) {
    const file = path.join(dir, 'download');
    fs.writeFileSync(file, content);
    const text = await notATarballReason(file, reason);
    t.regex(text, /^the file is empty or not a tar archive \(\.tar or \.tar\.gz\); /);
    t.regex(text, expected);
    t.regex(text, /name a git repository \(https:\/\/host\/owner\/repo\.git#ref\)/);
    t.notRegex(text, /create it again|secret page|not found/);
  }
});
