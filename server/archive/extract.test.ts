import test, { type ExecutionContext } from 'ava';
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import fsp from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import zlib from 'node:zlib';
import { create } from 'tar';
import { ArchiveError, extractArchive, type ExtractOptions } from './extract.ts';

const execFileAsync = promisify(execFile);
const LIMITS = { maxBytes: 64 * 1024 * 1024, maxEntries: 10_000 };
const isRoot = process.getuid?.() === 0;

interface Sandbox {
  base: string;
  target: string;
  outside: string;
  /** A path for an archive (outside target and outside). */
  file(name: string): string;
}

/** base/{target (empty), outside (holds secret.txt), archives}; removed after the test. */
async function sandbox(t: ExecutionContext): Promise<Sandbox> {
  const base = await fsp.mkdtemp(path.join(os.tmpdir(), 'scalarium-extract-'));
  t.teardown(() => fsp.rm(base, { recursive: true, force: true }));
  const target = path.join(base, 'target');
  const outside = path.join(base, 'outside');
  await fsp.mkdir(target);
  await fsp.mkdir(outside);
  await fsp.mkdir(path.join(base, 'archives'));
  await fsp.writeFile(path.join(outside, 'secret.txt'), 'secret');
  return { base, target, outside, file: (name) => path.join(base, 'archives', name) };
}

/** Everything below dir: type, content, link target, link count; to compare before and after. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  const walk = async (sub: string): Promise<void> => {
    for (const name of (await fsp.readdir(path.join(dir, sub))).sort()) {
      const rel = path.join(sub, name);
      const full = path.join(dir, rel);
      const st = await fsp.lstat(full);
      if (st.isSymbolicLink()) out[rel] = `link ${await fsp.readlink(full)}`;
      else if (st.isDirectory()) {
        out[rel] = `dir ${(st.mode & 0o7777).toString(8)}`;
        await walk(rel);
      } else out[rel] = `file nlink=${st.nlink} ${st.isFile() ? await fsp.readFile(full, 'utf8') : 'special'}`;
    }
  };
  await walk('');
  return out;
}

interface RawEntry {
  path: string;
  /** Tar type flag: '0' file, '1' hard link, '2' symlink, '3' char device, '4' block device, '5' dir, '6' FIFO, 'g' pax global. */
  type?: string;
  body?: string | Buffer;
  /** Size written in the header (default: the body's length). */
  size?: number;
  mode?: number;
  uid?: number;
  gid?: number;
  linkpath?: string;
  dev?: [number, number];
}

/** One raw ustar header, written by hand so that hostile fields can be anything. */
function header(entry: RawEntry, size: number): Buffer {
  const block = Buffer.alloc(512);
  const field = (offset: number, length: number, value: string) => block.write(value, offset, length, 'utf8');
  const octal = (offset: number, length: number, n: number) => field(offset, length, `${n.toString(8).padStart(length - 1, '0')}\0`);
  const type = entry.type ?? '0';
  field(0, 100, entry.path);
  octal(100, 8, entry.mode ?? (type === '5' ? 0o755 : 0o644));
  octal(108, 8, entry.uid ?? 1000);
  octal(116, 8, entry.gid ?? 1000);
  octal(124, 12, size);
  octal(136, 12, Math.floor(Date.now() / 1000));
  field(156, 1, type);
  field(157, 100, entry.linkpath ?? '');
  field(257, 8, 'ustar\u000000');
  octal(329, 8, entry.dev?.[0] ?? 0);
  octal(337, 8, entry.dev?.[1] ?? 0);
  block.fill(' ', 148, 156);
  let sum = 0;
  for (const byte of block) sum += byte;
  field(148, 8, `${sum.toString(8).padStart(6, '0')}\0 `);
  return block;
}

function rawEntry(entry: RawEntry): Buffer {
  const body = Buffer.from(entry.body ?? '');
  const padding = Buffer.alloc((512 - (body.length % 512)) % 512);
  return Buffer.concat([header(entry, entry.size ?? body.length), body, padding]);
}

/** A tar archive of raw entries, with its end-of-archive marker. */
function tarball(entries: RawEntry[]): Buffer {
  return Buffer.concat([...entries.map(rawEntry), Buffer.alloc(1024)]);
}

function paxRecord(key: string, value: string): string {
  const rest = ` ${key}=${value}\n`;
  let length = rest.length + String(rest.length).length;
  if (String(length).length + rest.length !== length) length += 1;
  return `${length}${rest}`;
}

async function write(sb: Sandbox, name: string, entries: RawEntry[], gzip = false): Promise<string> {
  const file = sb.file(name);
  const tar = tarball(entries);
  await fsp.writeFile(file, gzip ? zlib.gzipSync(tar) : tar);
  return file;
}

async function refused(t: ExecutionContext, promise: Promise<unknown>, message: RegExp): Promise<string> {
  const error = await t.throwsAsync(promise, { instanceOf: ArchiveError });
  t.regex(error?.message ?? '', message);
  return error?.message ?? '';
}

const skippedPaths = (report: { skipped: Array<{ path: string }> }) => report.skipped.map((s) => s.path).sort();

test('extracts files, folders and relative symbolic links, recognising gzip by content', async (t) => {
  const sb = await sandbox(t);
  const src = path.join(sb.base, 'src');
  await fsp.mkdir(path.join(src, 'lib', 'deep'), { recursive: true });
  await fsp.mkdir(path.join(src, 'empty'));
  await fsp.writeFile(path.join(src, 'index.js'), 'console.log(1);\n');
  await fsp.writeFile(path.join(src, 'lib', 'util.js'), 'export const x = 1;\n');
  await fsp.writeFile(path.join(src, 'lib', 'deep', 'x.txt'), 'deep');
  await fsp.writeFile(path.join(src, 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  await fsp.symlink('lib/util.js', path.join(src, 'util-link'));
  await fsp.symlink('../index.js', path.join(src, 'lib', 'up'));
  const bytes = 16 + 20 + 4 + 10;

  // A gzip archive named like a plain tar, and a plain tar named like a gzip one (made by GNU tar, with './' entries).
  const gz = sb.file('upload.tar');
  await create({ gzip: true, file: gz, cwd: src, portable: true }, ['.']);
  const plain = sb.file('upload.tgz');
  await execFileAsync('tar', ['-cf', plain, '-C', src, '.']);

  for (const archive of [gz, plain]) {
    await fsp.rm(sb.target, { recursive: true, force: true });
    await fsp.mkdir(sb.target);
    const report = await extractArchive(archive, sb.target, LIMITS);
    t.deepEqual({ ...report, skipped: report.skipped.length }, { files: 4, dirs: 3, symlinks: 2, bytes, skipped: 0 }, archive);
    t.is(await fsp.readFile(path.join(sb.target, 'lib', 'deep', 'x.txt'), 'utf8'), 'deep');
    t.is(await fsp.readFile(path.join(sb.target, 'util-link'), 'utf8'), 'export const x = 1;\n');
    t.is(await fsp.readlink(path.join(sb.target, 'util-link')), 'lib/util.js');
    t.is(await fsp.readlink(path.join(sb.target, 'lib', 'up')), '../index.js');
    t.true((await fsp.stat(path.join(sb.target, 'empty'))).isDirectory());
    t.is((await fsp.stat(path.join(sb.target, 'run.sh'))).mode & 0o100, 0o100);
    t.deepEqual((await fsp.readdir(sb.target)).sort(), ['empty', 'index.js', 'lib', 'run.sh', 'util-link']);
  }
});

test('strips the single top folder of forge tarballs, checking links where they end up', async (t) => {
  const sb = await sandbox(t);
  const archive = await write(sb, 'forge.tar.gz', [
    { path: 'pax_global_header', type: 'g', body: paxRecord('comment', 'a'.repeat(40)) },
    { path: 'repo-abc/', type: '5' },
    { path: 'repo-abc/README', body: 'hello' },
    { path: 'repo-abc/bin/compile', body: '#!/bin/sh\n', mode: 0o755 },
    { path: 'repo-abc/lib', type: '2', linkpath: 'bin' },
    // Inside before stripping, outside after: must be judged on the stripped layout.
    { path: 'repo-abc/escape', type: '2', linkpath: '../outside' },
  ], true);
  const report = await extractArchive(archive, sb.target, { ...LIMITS, stripSingleTopFolder: true });
  t.deepEqual((await fsp.readdir(sb.target)).sort(), ['README', 'bin', 'lib']);
  t.is(await fsp.readFile(path.join(sb.target, 'README'), 'utf8'), 'hello');
  t.is(await fsp.readlink(path.join(sb.target, 'lib')), 'bin');
  t.deepEqual(skippedPaths(report), ['pax_global_header', 'repo-abc/escape']);
  t.regex(report.skipped.find((s) => s.path === 'repo-abc/escape')!.reason, /outside/);
  t.deepEqual({ files: report.files, dirs: report.dirs, symlinks: report.symlinks }, { files: 2, dirs: 0, symlinks: 1 });

  // GNU tar run in the parent folder: './', './repo-abc/', ...
  const src = path.join(sb.base, 'src');
  await fsp.mkdir(path.join(src, 'repo-abc', 'bin'), { recursive: true });
  await fsp.writeFile(path.join(src, 'repo-abc', 'bin', 'compile'), 'x');
  const dotted = sb.file('dotted.tgz');
  await execFileAsync('tar', ['-czf', dotted, '-C', src, '.']);
  await fsp.rm(sb.target, { recursive: true });
  await fsp.mkdir(sb.target);
  await extractArchive(dotted, sb.target, { ...LIMITS, stripSingleTopFolder: true });
  t.deepEqual(await snapshot(sb.target), { bin: 'dir 755', 'bin/compile': 'file nlink=1 x' });
});

test('does not strip two top folders, nor a folder that a file or link shares its name with', async (t) => {
  const sb = await sandbox(t);
  const strip: ExtractOptions = { ...LIMITS, stripSingleTopFolder: true };
  const two = await write(sb, 'two.tar', [{ path: 'a/x', body: '1' }, { path: 'b/y', body: '2' }]);
  await extractArchive(two, sb.target, strip);
  t.deepEqual((await fsp.readdir(sb.target)).sort(), ['a', 'b']);

  await fsp.rm(sb.target, { recursive: true });
  await fsp.mkdir(sb.target);
  const before = await snapshot(sb.outside);
  const shadowed = await write(sb, 'shadowed.tar', [
    { path: 'top/', type: '5' },
    { path: 'top/x', body: 'x' },
    { path: 'top', type: '2', linkpath: sb.outside },
  ]);
  const report = await extractArchive(shadowed, sb.target, strip);
  t.deepEqual(await snapshot(sb.target), { top: 'dir 755', 'top/x': 'file nlink=1 x' });
  t.deepEqual(skippedPaths(report), ['top']);
  t.deepEqual(await snapshot(sb.outside), before);

  await fsp.rm(sb.target, { recursive: true });
  await fsp.mkdir(sb.target);
  await extractArchive(await write(sb, 'file.tar', [{ path: 'README', body: 'r' }]), sb.target, strip);
  t.deepEqual(await fsp.readdir(sb.target), ['README']);
});

test('a lone top-level symbolic link is neither stripped nor followed', async (t) => {
  const sb = await sandbox(t);
  await fsp.mkdir(path.join(sb.outside, 'dir'));
  await fsp.writeFile(path.join(sb.outside, 'dir', 'keep.txt'), 'keep');
  const before = await snapshot(sb.outside);
  // The incident: a real symlink packed by GNU tar; plus the same with a relative target.
  const src = path.join(sb.base, 'src');
  await fsp.mkdir(src);
  await fsp.symlink(path.join(sb.outside, 'dir'), path.join(src, 'top'));
  const gnu = sb.file('link.tgz');
  await execFileAsync('tar', ['-czf', gnu, '-C', src, 'top']);
  const relative = await write(sb, 'relative.tar', [{ path: 'top', type: '2', linkpath: '../outside/dir' }]);

  for (const archive of [gnu, relative]) {
    const report = await extractArchive(archive, sb.target, { ...LIMITS, stripSingleTopFolder: true });
    t.deepEqual(await fsp.readdir(sb.target), [], archive);
    t.deepEqual(skippedPaths(report), ['top']);
    t.regex(report.skipped[0]!.reason, /absolute|outside/);
    t.is(await fsp.readFile(path.join(sb.outside, 'dir', 'keep.txt'), 'utf8'), 'keep');
    t.deepEqual(await snapshot(sb.outside), before);
  }
});

test('refuses absolute paths and ".." before writing anywhere, and leaves the target empty', async (t) => {
  const sb = await sandbox(t);
  const etc = `/etc/scalarium-extract-test-${crypto.randomBytes(4).toString('hex')}`;
  const cases: Array<[string, RegExp]> = [
    ['../x', /"\.\."/],
    ['a/../../x', /"\.\."/],
    ['./../x', /"\.\."/],
    [path.join(sb.base, 'x'), /absolute/],
    [etc, /absolute/],
  ];
  for (const [bad, message] of cases) {
    const archive = await write(sb, 'bad.tar.gz', [{ path: 'ok.txt', body: 'ok' }, { path: 'a/', type: '5' }, { path: bad, body: 'pwned' }], true);
    const before = await snapshot(sb.base);
    for (const stripSingleTopFolder of [false, true]) {
      await refused(t, extractArchive(archive, sb.target, { ...LIMITS, stripSingleTopFolder }), message);
      t.deepEqual(await fsp.readdir(sb.target), [], bad);
      t.deepEqual(await snapshot(sb.base), before, bad);
    }
    t.false(fs.existsSync(path.join(sb.base, 'x')));
    t.false(fs.existsSync(path.join(path.dirname(sb.base), 'x')));
    t.false(fs.existsSync(etc));
  }
});

test('refuses ".." hidden in pax and GNU long-name headers', async (t) => {
  const sb = await sandbox(t);
  const hidden: RawEntry[][] = [
    [{ path: 'PaxHeader/innocent', type: 'x', body: paxRecord('path', '../pax-x') }, { path: 'innocent', body: 'p' }],
    [{ path: '././@LongLink', type: 'L', body: '../gnu-x\0' }, { path: 'innocent', body: 'p' }],
  ];
  for (const entries of hidden) {
    const archive = await write(sb, 'hidden.tar', [{ path: 'ok.txt', body: 'ok' }, ...entries]);
    const before = await snapshot(sb.base);
    await refused(t, extractArchive(archive, sb.target, LIMITS), /"\.\.\/(pax|gnu)-x"/);
    t.deepEqual(await snapshot(sb.base), before);
    t.false(fs.existsSync(path.join(sb.base, 'pax-x')) || fs.existsSync(path.join(sb.base, 'gnu-x')));
  }
});

test('refuses entries that conflict on disk, and removes what was written', async (t) => {
  const sb = await sandbox(t);
  const conflicts: RawEntry[][] = [
    // A file, then a file below it.
    [{ path: 'a', body: 'a' }, { path: 'a/b', body: 'b' }],
    // A folder with content, then a link in its place.
    [{ path: 'd/x', body: 'x' }, { path: 'd', type: '2', linkpath: '.' }],
  ];
  for (const entries of conflicts) {
    const message = await refused(t, extractArchive(await write(sb, 'conflict.tar', [{ path: 'ok.txt', body: 'ok' }, ...entries]), sb.target, LIMITS), /could not be unpacked safely/);
    t.false(message.includes(sb.base), message); // no server paths in what the sender reads
    t.deepEqual(await fsp.readdir(sb.target), []);
  }
});

test('never writes through a symbolic link', async (t) => {
  const sb = await sandbox(t);
  const before = await snapshot(sb.outside);
  const cases: Array<{ name: string; entries: RawEntry[]; expect: Record<string, string>; skipped: string[] }> = [
    {
      name: 'link to . then link/pwned',
      entries: [{ path: 'link', type: '2', linkpath: '.' }, { path: 'link/pwned', body: 'p' }],
      expect: { link: 'link .' },
      skipped: ['link/pwned'],
    },
    {
      name: 'link to / then link/pwned',
      entries: [{ path: 'link', type: '2', linkpath: '/' }, { path: 'link/pwned', body: 'p' }],
      expect: { link: 'dir 755', 'link/pwned': 'file nlink=1 p' },
      skipped: ['link'],
    },
    {
      name: 'link to the outside folder then link/secret.txt',
      entries: [{ path: 'link', type: '2', linkpath: sb.outside }, { path: 'link/secret.txt', body: 'overwritten' }],
      expect: { link: 'dir 755', 'link/secret.txt': 'file nlink=1 overwritten' },
      skipped: ['link'],
    },
    {
      name: 'folder link then a file below it',
      entries: [{ path: 'sub/', type: '5' }, { path: 'dir', type: '2', linkpath: 'sub' }, { path: 'dir/x', body: 'x' }],
      expect: { dir: 'link sub', sub: 'dir 755' },
      skipped: ['dir/x'],
    },
    {
      name: 'link replacing an empty folder, then a file below it',
      entries: [{ path: 'd/', type: '5' }, { path: 'd', type: '2', linkpath: '.' }, { path: 'd/pwned', body: 'p' }],
      expect: { d: 'link .' },
      skipped: ['d/pwned'],
    },
    {
      // sub/l leads to the target itself; "sub/l/.." is then the target's parent, though it reads as "sub".
      name: 'chained links climbing out',
      entries: [
        { path: 'sub/l', type: '2', linkpath: '..' },
        { path: 'esc', type: '2', linkpath: 'sub/l/../outside' },
        { path: 'up', type: '2', linkpath: '../outside' },
        { path: 'esc/secret.txt', body: 'overwritten' },
      ],
      expect: { sub: 'dir 755', 'sub/l': 'link ..', esc: 'dir 755', 'esc/secret.txt': 'file nlink=1 overwritten' },
      skipped: ['esc', 'up'],
    },
  ];
  for (const { name, entries, expect, skipped } of cases) {
    await fsp.rm(sb.target, { recursive: true, force: true });
    await fsp.mkdir(sb.target);
    const report = await extractArchive(await write(sb, 'links.tar', entries), sb.target, LIMITS);
    t.deepEqual(await snapshot(sb.target), expect, name);
    t.deepEqual(skippedPaths(report), skipped, name);
    t.deepEqual(await snapshot(sb.outside), before, name);
    t.deepEqual((await fsp.readdir(sb.base)).sort(), ['archives', 'outside', 'target'], name);
  }
});

test('skips hard links, in-archive ones too, and leaves their targets alone', async (t) => {
  const sb = await sandbox(t);
  const secret = path.join(sb.outside, 'secret.txt');
  const archive = await write(sb, 'links.tar', [
    { path: 'a.txt', body: 'a' },
    { path: 'b.txt', type: '1', linkpath: 'a.txt' },
    { path: 'evil', type: '1', linkpath: secret },
    { path: 'evil2', type: '1', linkpath: '../outside/secret.txt' },
    { path: 'passwd', type: '1', linkpath: '/etc/passwd' },
  ]);
  const passwd = await fsp.stat('/etc/passwd').catch(() => undefined);
  const report = await extractArchive(archive, sb.target, LIMITS);
  t.deepEqual(await snapshot(sb.target), { 'a.txt': 'file nlink=1 a' });
  t.deepEqual(skippedPaths(report), ['b.txt', 'evil', 'evil2', 'passwd']);
  for (const skip of report.skipped) t.regex(skip.reason, /hard link/);
  t.is((await fsp.stat(secret)).nlink, 1);
  t.is(await fsp.readFile(secret, 'utf8'), 'secret');
  if (passwd) t.is((await fsp.stat('/etc/passwd')).nlink, passwd.nlink);
  t.is(report.files, 1);
});

test('skips devices, FIFOs and unknown entry types', async (t) => {
  const sb = await sandbox(t);
  const archive = await write(sb, 'special.tar', [
    { path: 'fifo', type: '6' },
    { path: 'null', type: '3', dev: [1, 3] },
    { path: 'disk', type: '4', dev: [8, 0] },
    { path: 'weird', type: 'Z', body: 'data' },
    { path: 'ok.txt', body: 'ok' },
  ]);
  const report = await extractArchive(archive, sb.target, LIMITS);
  t.deepEqual(await snapshot(sb.target), { 'ok.txt': 'file nlink=1 ok' });
  const reasons = Object.fromEntries(report.skipped.map((s) => [s.path, s.reason]));
  t.deepEqual(Object.keys(reasons).sort(), ['disk', 'fifo', 'null', 'weird']);
  t.regex(reasons.fifo!, /FIFO/);
  t.regex(reasons.null!, /device/);
  t.regex(reasons.disk!, /device/);
  t.regex(reasons.weird!, /unsupported/);
});

test('drops setuid, setgid, sticky and world-writable bits, keeping the rest', async (t) => {
  const sb = await sandbox(t);
  // The process umask applies on top, as for any file the server creates.
  const probe = path.join(sb.base, 'probe');
  await fsp.writeFile(probe, '', { mode: 0o777 });
  const umask = 0o777 & ~(await fsp.stat(probe)).mode;
  const archive = await write(sb, 'modes.tar', [
    { path: 'suid', body: 'x', mode: 0o4777 },
    { path: 'sgid', body: 'x', mode: 0o2755 },
    { path: 'private', body: 'x', mode: 0o700 },
    { path: 'shared/', type: '5', mode: 0o1777 },
    { path: 'shared/f', body: 'x', mode: 0o666 },
  ]);
  await extractArchive(archive, sb.target, LIMITS);
  const mode = async (rel: string) => (await fsp.stat(path.join(sb.target, rel))).mode & 0o7777;
  t.is(await mode('suid'), 0o755 & ~umask);
  t.is(await mode('sgid'), 0o755 & ~umask);
  t.is(await mode('private'), 0o700);
  t.is(await mode('shared'), 0o755);
  t.is(await mode('shared/f'), 0o644 & ~umask);
});

test("never keeps the archive's owners; gives everything to options.owner when root", async (t) => {
  const sb = await sandbox(t);
  const archive = await write(sb, 'owners.tar', [
    { path: 'rootfile', body: 'r', uid: 0, gid: 0 },
    { path: 'userfile', body: 'u', uid: 12345, gid: 12345 },
    { path: 'dir/', type: '5', uid: 12345, gid: 12345 },
    { path: 'implicit/sub/f', body: 'f', uid: 12345, gid: 12345 },
    { path: 'link', type: '2', linkpath: 'userfile', uid: 12345, gid: 12345 },
  ]);
  const paths = ['rootfile', 'userfile', 'dir', 'implicit', 'implicit/sub', 'implicit/sub/f', 'link'];
  const owners = async () => Promise.all(paths.map(async (rel) => {
    const st = await fsp.lstat(path.join(sb.target, rel));
    return `${rel} ${st.uid}:${st.gid}`;
  }));
  const me = `${process.getuid!()}:${process.getgid!()}`;

  await extractArchive(archive, sb.target, LIMITS);
  t.deepEqual(await owners(), paths.map((rel) => `${rel} ${me}`));

  await fsp.rm(sb.target, { recursive: true });
  await fsp.mkdir(sb.target);
  await extractArchive(archive, sb.target, { ...LIMITS, owner: { uid: 54321, gid: 54321 } });
  t.deepEqual(await owners(), paths.map((rel) => `${rel} ${isRoot ? '54321:54321' : me}`));
});

/** A tar.gz of one file of `size` zero bytes, compressed as it is generated (never on disk uncompressed). */
async function zeroBomb(file: string, size: number, trailing = 0): Promise<void> {
  const gzip = zlib.createGzip({ strategy: zlib.constants.Z_RLE });
  const out = fs.createWriteStream(file);
  gzip.pipe(out);
  const put = async (chunk: Buffer) => {
    if (!gzip.write(chunk)) await once(gzip, 'drain');
  };
  await put(header({ path: 'zeros' }, size));
  const zeros = Buffer.alloc(1024 * 1024);
  for (let left = size + ((512 - (size % 512)) % 512) + 1024 + trailing; left > 0; left -= zeros.length) await put(left >= zeros.length ? zeros : zeros.subarray(0, left));
  gzip.end();
  await once(out, 'close');
}

test('stops a gzip bomb at its header, before writing it', async (t) => {
  const sb = await sandbox(t);
  const bomb = sb.file('bomb.tar.gz');
  await zeroBomb(bomb, 1024 ** 3);
  t.true((await fsp.stat(bomb)).size < 2 * 1024 * 1024);
  for (const stripSingleTopFolder of [false, true]) {
    const started = Date.now();
    await refused(t, extractArchive(bomb, sb.target, { maxBytes: 16 * 1024 * 1024, maxEntries: 100, stripSingleTopFolder }), /unpacks to more than 16 MiB/);
    t.true(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
    t.deepEqual(await fsp.readdir(sb.target), []);
  }
});

test('stops when the limits are reached part way, and removes what was written', async (t) => {
  const sb = await sandbox(t);
  const mib = Buffer.alloc(1024 * 1024, 'a');
  const big = await write(sb, 'big.tar.gz', Array.from({ length: 40 }, (_, i) => ({ path: `part/${i}.bin`, body: mib })), true);
  await refused(t, extractArchive(big, sb.target, { maxBytes: 16 * 1024 * 1024, maxEntries: 1000 }), /unpacks to more than 16 MiB/);
  t.deepEqual(await fsp.readdir(sb.target), []);

  const many = await write(sb, 'many.tar.gz', Array.from({ length: 1000 }, (_, i) => ({ path: `f${i}`, body: 'x' })), true);
  for (const stripSingleTopFolder of [false, true]) {
    await refused(t, extractArchive(many, sb.target, { maxBytes: 16 * 1024 * 1024, maxEntries: 100, stripSingleTopFolder }), /more than 100 entries/);
    t.deepEqual(await fsp.readdir(sb.target), []);
  }
  // At the limit is fine.
  await extractArchive(many, sb.target, { maxBytes: 1000, maxEntries: 1000 });
  t.is((await fsp.readdir(sb.target)).length, 1000);
});

test('ignores what follows the end-of-archive marker', async (t) => {
  const sb = await sandbox(t);
  const archive = sb.file('trailing.tar.gz');
  // A small file followed by 256 MiB of zeros after the marker: nothing to hold in memory or refuse.
  await zeroBomb(archive, 10, 256 * 1024 * 1024);
  const started = Date.now();
  const report = await extractArchive(archive, sb.target, { maxBytes: 1024, maxEntries: 10 });
  t.true(Date.now() - started < 5000);
  t.is(report.files, 1);
  t.is((await fsp.stat(path.join(sb.target, 'zeros'))).size, 10);
});

test('refuses what is not a tarball, with a clear message', async (t) => {
  const sb = await sandbox(t);
  const random = Buffer.concat([Buffer.from('PK'), crypto.randomBytes(4096)]);
  const tar = tarball([{ path: 'a.txt', body: 'a' }, { path: 'big.bin', body: Buffer.alloc(200_000, 'b') }]);
  const cases: Array<[string, Buffer, RegExp]> = [
    ['random', random, /not a tar archive/],
    ['random.gz', zlib.gzipSync(random), /not a tar archive/],
    ['empty', Buffer.alloc(0), /empty or not a tar archive/],
    ['text', Buffer.from('hello\n'), /not a tar archive/],
    ['zero blocks', Buffer.alloc(10240), /empty or not a tar archive/],
    ['double.gz', zlib.gzipSync(zlib.gzipSync(tar)), /not a tar archive/],
    ['truncated.tar', tar.subarray(0, 100_000), /damaged/],
    ['truncated.tar.gz', zlib.gzipSync(tar).subarray(0, 300), /gzip/],
  ];
  for (const [name, data, message] of cases) {
    const file = sb.file(name);
    await fsp.writeFile(file, data);
    await refused(t, extractArchive(file, sb.target, LIMITS), message);
    t.deepEqual(await fsp.readdir(sb.target), [], name);
  }
  await fsp.writeFile(path.join(sb.target, 'already'), '');
  const error = await t.throwsAsync(extractArchive(sb.file('random'), sb.target, LIMITS));
  t.regex(error?.message ?? '', /not empty/);
});
